/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The boundary to SQLite, the dispatcher's durable store: src/store.c is
 * the only file that includes it.  So far it reports the version; the
 * store arrives with the dispatcher.
 */
#ifndef POGO_STORE_H
#define POGO_STORE_H

/* SQLite's version string. */
const char *pogo_store_version(void);

#endif
