/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The boundary to mbedTLS: src/tls.c is the only file that includes its
 * headers.  So far it reports the linked version; TLS and secret boxes
 * arrive with the dispatcher and worker.
 */
#ifndef POGO_TLS_H
#define POGO_TLS_H

/* mbedTLS's version string. */
const char *pogo_tls_version(void);

#endif
