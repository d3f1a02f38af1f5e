/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The job secrets of pogo submit, resume and retry (SPEC 12.4, 12.5):
 * -p asks for the password, -i FILE reads a private key (asking
 * "Enter passphrase for FILE: " when it is encrypted), and each secret is
 * sealed into a box (box.h, SPEC 10.3) for the worker certificate: the
 * file --worker-cert / worker_cert, else the first certificate of GET
 * /v1/workercert, which must chain to the client's CA (ca) or, without a
 * CA, come from a loopback API.  The boxes go out as the form fields
 * password, client_private_key and pvt_key_passphrase (SPEC 5.1); the
 * secrets themselves are wiped as soon as they are sealed.
 */
#ifndef POGO_CLIENT_SECRETS_H
#define POGO_CLIENT_SECRETS_H

#include <stdbool.h>

struct pogo_client;

struct pogo_client_secrets_opts {
	bool password;           /* -p */
	const char *identity;    /* -i FILE, or NULL */
	const char *worker_cert; /* --worker-cert or worker_cert, or NULL */
	const char *ca;          /* the client's CA (ca), or NULL */
};

/*
 * Append the secret fields that o asks for to the form *bodyp (each as
 * "&name=value", or "name=value" when *bodyp is NULL); nothing when o
 * asks for none.  The worker certificate is read or fetched first (with
 * c, running its loop), then the user is asked.  Returns 0;
 * POGO_ERR_CONFIG with *cause for the command line's or the
 * configuration's fault (a key file that cannot be read or imported, a
 * worker certificate that does not verify: exit 2); another error with
 * *cause when the API could not give a usable certificate (exit 1).
 */
int pogo_client_secrets_add(struct pogo_client *c,
    const struct pogo_client_secrets_opts *o, char **bodyp, char **cause);

#endif
