/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * JSON documents, through cJSON: src/json.c is the only file that includes
 * it, and cJSON allocates through xmalloc.  For now the event lines of
 * pogo one --json (SPEC 12.2); the API and the wire protocol come later.
 */
#ifndef POGO_JSON_H
#define POGO_JSON_H

#include "pogo/exec.h"

struct pogo_job_entry;

/* cJSON's version string. */
const char *pogo_json_version(void);

/*
 * One line (without newline, freed by the caller) for a job log entry, an
 * output record and the final summary, keys in the order of SPEC 12.2.
 */
char *pogo_json_event_entry(const char *job, const struct pogo_job_entry *e);
char *pogo_json_event_output(const char *job, const char *host, uint32_t run,
    enum pogo_out_type type, const char *data, size_t len, double time);
char *pogo_json_event_summary(uint32_t hosts, uint32_t ok, uint32_t failed,
    uint32_t unreachable, uint32_t deadlocked, uint32_t halted,
    uint32_t skipped, double elapsed, unsigned peak_in_flight,
    unsigned peak_handshakes, int exitcode);

#endif
