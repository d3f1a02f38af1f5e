/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The boundary to mbedTLS: src/tls.c is the only file that includes its
 * headers.  So far it reports the linked version; TLS and secret boxes
 * arrive with the dispatcher and worker.
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
