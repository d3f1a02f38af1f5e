/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The schedule table of SPEC 4.2, byte for byte: the output of
 * pogo schedule and pogo one --dry-run.  Pure: formats into a string.
 */
#ifndef POGO_SCHED_TABLE_H
#define POGO_SCHED_TABLE_H

#include <stdint.h>

struct pogo_sched;

/* Cells of the slot columns wrap at this many bytes. */
#define POGO_SCHED_TABLE_WRAP 50

/*
 * The table of s as a new NUL-terminated string, freed by the caller.
 * A slot's cell lists its first max hosts, then "... N more" when it has
 * N more (GET /v1/jobs/:jobid/schedule?max=); UINT32_MAX lists them all,
 * as pogo schedule does.
 */
char *pogo_sched_table(const struct pogo_sched *s, uint32_t max);

#endif
