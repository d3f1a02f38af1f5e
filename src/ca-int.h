/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Shared by src/ca.c and src/ca-p12.c, and reached by the unit tests. */
#ifndef POGO_CA_INT_H
#define POGO_CA_INT_H

#include <stddef.h>
#include <stdint.h>

#define POGO_CA_P12_ITER 2048

/*
 * A PKCS#12 file (DER) holding the private key key8 (a DER PKCS#8
 * PrivateKeyInfo) and the certificate crt (DER): both in PBES2 bags
 * (PBKDF2-HMAC-SHA256, POGO_CA_P12_ITER iterations, AES-256-CBC) under
 * password (UTF-8), with an HMAC-SHA256 MAC whose key comes from the
 * PKCS#12 key derivation.  Returns 0 with *outp (freed by the caller) of
 * *outlenp bytes, or POGO_ERR_CRYPTO, POGO_ERR_RANGE for a password that
 * is empty or not UTF-8.
 */
int pogo_ca_p12(const uint8_t *key8, size_t key8len, const uint8_t *crt,
    size_t crtlen, const char *password, uint8_t **outp, size_t *outlenp);

#endif
