/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The private CA of `pogo ca` (SPEC 10.2): keys, certificates of the
 * three kinds, the `serials` file, PKCS#12 for browsers, and the summary
 * of a certificate.  One of the files that include mbedTLS
 * (include/pogo/tls.h).  Every function that fails sets *causep to a
 * message for the user (freed by the caller), naming the file concerned.
 */
#ifndef POGO_CA_H
#define POGO_CA_H

#include <stddef.h>

enum pogo_ca_key_type {
	POGO_CA_KEY_DEFAULT, /* ec, except rsa for a worker */
	POGO_CA_KEY_EC,      /* ECDSA on P-256 */
	POGO_CA_KEY_RSA,     /* RSA-3072, exponent 65537 */
};

#define POGO_CA_DAYS_MAX 36500
#define POGO_CA_SANS_MAX 64

/* What `pogo ca init` makes. */
struct pogo_ca_init {
	const char *dir;
	enum pogo_ca_key_type key_type;
	unsigned days;  /* 0: 3650 */
	const char *cn; /* NULL: "pogo CA" */
};

/* What `pogo ca issue` makes. */
struct pogo_ca_issue {
	const char *dir;
	const char *kind; /* dispatcher, worker or client */
	const char *name;
	enum pogo_ca_key_type key_type;
	unsigned days; /* 0: 825 */
	const char **sans;
	size_t nsans;
	const char *prefix;   /* NULL: <kind>-<name> */
	const char *password; /* not NULL: also write <prefix>.p12 */
};

/*
 * Generate a key of type t (DEFAULT is EC) as PEM in *pemp (NUL-ended,
 * *lenp bytes, freed with pogo_freezero(*pemp, *lenp)).  Returns 0 or
 * POGO_ERR_CRYPTO.
 */
int pogo_ca_key_generate(enum pogo_ca_key_type t, char **pemp, size_t *lenp);

/*
 * Create the CA directory (mode 0700) with ca.key (0600), ca.crt and an
 * empty serials file.  Refuses an existing ca.key.  Returns 0 or a
 * negative code with *causep.
 */
int pogo_ca_init(const struct pogo_ca_init *o, char **causep);

/*
 * Issue a certificate signed by the CA of o->dir: <prefix>.key (0600),
 * <prefix>.crt, <prefix>.p12 with a password, and a line in serials.
 * Returns 0 with the certificate's SHA-256 fingerprint (colon-separated
 * uppercase hex, as openssl prints it) in *fprp, or a negative code with
 * *causep.
 */
int pogo_ca_issue(const struct pogo_ca_issue *o, char **fprp, char **causep);

/*
 * The summary of the certificate in file path (PEM or DER): subject,
 * kind, serial, validity, key type, SHA-256 fingerprint, one per line, in
 * *textp.  Returns 0 or a negative code with *causep.
 */
int pogo_ca_show(const char *path, char **textp, char **causep);

/* The default CA directory: $POGO_CA_DIR, else ~/.pogo/ca (new string). */
char *pogo_ca_default_dir(void);

#endif
