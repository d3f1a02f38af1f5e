/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The boundary to mbedTLS.  Only these files include its headers: src/tls.c
 * (TLS, base64), src/box.c (secret boxes), src/ca.c and src/ca-p12.c
 * (pogo ca, PKCS#12) and src/mbed.c with src/mbed-int.h (their random
 * generator and error translation).  mbedTLS's negative error codes
 * overlap errno and never leave those files raw: they become POGO_ERR_*
 * codes there.
 */
#ifndef POGO_TLS_H
#define POGO_TLS_H

#include <stddef.h>

/* mbedTLS's version string. */
const char *pogo_tls_version(void);

/*
 * Decode standard base64 (RFC 4648 section 4, with padding): s[0..len)
 * into a new buffer *outp (NUL-terminated, freed by the caller) of
 * *outlenp bytes.  At most max decoded bytes.  Returns 0, POGO_ERR_RANGE
 * for text that is not base64, or POGO_ERR_LIMIT.
 */
int pogo_tls_base64_decode(
    const char *s, size_t len, size_t max, char **outp, size_t *outlenp);

#endif
