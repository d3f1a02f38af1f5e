/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The boundary to cJSON: src/json.c is the only file that includes it.
 * So far it reports the version; JSON events and the wire protocol arrive
 * with later issues.
 */
#ifndef POGO_JSON_H
#define POGO_JSON_H

/* cJSON's version string. */
const char *pogo_json_version(void);

#endif
