/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Secret boxes (SPEC 10.3): a secret encrypted for the worker key.
 * Version 1 is for an RSA worker key (RSA-OAEP-SHA256 wraps a random
 * AES-256-GCM key), version 2 for an EC P-256 key (ephemeral ECDH,
 * HKDF-SHA256, AES-256-GCM).  Clients seal with the worker certificate;
 * workers open with the worker's private key; the dispatcher only reads
 * the KID of a box.  Every buffer that holds a secret or key is wiped when
 * it is dropped.
 */
#ifndef POGO_BOX_H
#define POGO_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POGO_BOX_KID_LEN 32
#define POGO_BOX_V1 0x01 /* RSA-OAEP + AES-256-GCM */
#define POGO_BOX_V2 0x02 /* ECDH P-256 + HKDF-SHA256 + AES-256-GCM */
/* The largest box accepted; a secret is at most POGO_PROTO_SECRET_MAX. */
#define POGO_BOX_MAX (64u * 1024 + 1024)

/* A worker key: public (to seal) or private (to seal and open). */
struct pogo_box_key;

/* The largest key or certificate file accepted. */
#define POGO_BOX_KEY_MAX (64u * 1024)

/*
 * Parse buf[0..len) (PEM or DER): an X.509 certificate, a private key or
 * a public key, RSA (2048 bits or more) or EC P-256.  Returns 0 with *kp
 * (freed with pogo_box_key_free()), or POGO_ERR_CRYPTO for anything else.
 */
int pogo_box_key_parse(const void *buf, size_t len, struct pogo_box_key **kp);

/* pogo_box_key_parse() on the contents of the file path. */
int pogo_box_key_load(const char *path, struct pogo_box_key **kp);

/*
 * What GET /v1/workercert says of a worker certificate (SPEC 11.3), owned
 * strings: key_id (SPEC 8.3), pem (the certificate), spki (base64 of the
 * DER SubjectPublicKeyInfo), subject ("CN=w1, OU=worker, O=pogo"),
 * not_after ("YYYY-MM-DDTHH:MM:SSZ").
 */
struct pogo_box_cert {
	char *key_id;
	char *pem;
	char *spki;
	char *subject;
	char *not_after;
};

/*
 * The fields of k's certificate into c.  Returns 0, or POGO_ERR_NOTFOUND
 * when k was not parsed from a certificate, POGO_ERR_CRYPTO otherwise.
 */
int pogo_box_key_cert(const struct pogo_box_key *k, struct pogo_box_cert *c);
void pogo_box_cert_release(struct pogo_box_cert *c);

/*
 * Does k's certificate chain to the CA certificate(s) of the PEM file
 * ca_path, inside its validity dates, with the kind (OU) worker (SPEC
 * 10.1)?  0, or POGO_ERR_CRYPTO with *cause (freed by the caller).
 */
int pogo_box_key_verify(
    const struct pogo_box_key *k, const char *ca_path, char **cause);

/* Free k and wipe its private part; NULL-safe. */
void pogo_box_key_free(struct pogo_box_key *k);

/* Does k hold a private key (can it open boxes)? */
bool pogo_box_key_private(const struct pogo_box_key *k);

/* The KID of k: SHA-256 of its DER SubjectPublicKeyInfo. */
const uint8_t *pogo_box_key_id(const struct pogo_box_key *k);

/* The worker's key_id (SPEC 8.3): the KID in lowercase hex, 64 chars. */
const char *pogo_box_key_id_hex(const struct pogo_box_key *k);

/*
 * Seal p[0..len) for k: version 1 for RSA, version 2 for EC.  Returns 0
 * with *boxp (plain bytes, freed by the caller) of *boxlenp bytes, or a
 * negative code (POGO_ERR_LIMIT for a secret over POGO_PROTO_SECRET_MAX).
 */
int pogo_box_seal(const struct pogo_box_key *k, const void *p, size_t len,
    uint8_t **boxp, size_t *boxlenp);

/* pogo_box_seal() with the box in standard base64 in *b64p (NUL-ended). */
int pogo_box_seal_base64(
    const struct pogo_box_key *k, const void *p, size_t len, char **b64p);

/*
 * Open box[0..boxlen) with the private key k (NULL when the worker has
 * none).  Returns 0 with the secret in *pp (NUL-terminated, *lenp bytes,
 * freed with pogo_freezero(*pp, *lenp)), POGO_ERR_NOKEY without a private
 * key ("Worker key not defined"), or POGO_ERR_DECRYPT ("cannot decrypt
 * job secrets") for any box that is not a valid box for k: another KID,
 * an unknown version, a failed tag, a short or long box.
 */
int pogo_box_open(const struct pogo_box_key *k, const uint8_t *box,
    size_t boxlen, char **pp, size_t *lenp);

/* pogo_box_open() of a box in standard base64; bad base64 is DECRYPT. */
int pogo_box_open_base64(
    const struct pogo_box_key *k, const char *b64, char **pp, size_t *lenp);

/*
 * The version and KID of a box (its first 33 bytes are not secret), for
 * the dispatcher.  Returns the version (POGO_BOX_V1 or POGO_BOX_V2) with
 * kid[] set, or POGO_ERR_DECRYPT for a box too short or of an unknown
 * version.
 */
int pogo_box_peek(
    const uint8_t *box, size_t boxlen, uint8_t kid[POGO_BOX_KID_LEN]);

/*
 * The key_id (SPEC 8.3) that the base64 box b64 is sealed for, in
 * lowercase hex into hex[], for the dispatcher to choose workers (all
 * boxes of a job must give the same).  Returns the box's version, or
 * POGO_ERR_DECRYPT for text that is not a box (bad base64, too short or
 * too long, unknown version).
 */
int pogo_box_key_id_base64(const char *b64, char hex[2 * POGO_BOX_KID_LEN + 1]);

#endif
