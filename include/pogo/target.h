/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Job targets (SPEC 5.2): range patterns expanded into a checked,
 * de-duplicated host list.
 */
#ifndef POGO_TARGET_H
#define POGO_TARGET_H

#include "pogo/str.h"

/*
 * Most hosts in one job.  The fuzz build lowers it (CMakeLists.txt): a
 * job of 1,000,000 hosts takes 15 s and 700 MB under ASan, beyond the
 * fuzz smoke run's bounds, and fuzz-control submits jobs.
 */
#ifndef POGO_TARGET_MAX_HOSTS
#define POGO_TARGET_MAX_HOSTS 1000000
#endif

/*
 * Expand one pattern and append its hosts to out, checking every name
 * (1-255 bytes of [A-Za-z0-9._:%-], not starting with '-').  Duplicates
 * are kept; pogo_target_dedup() removes them.  Returns 0, or
 * POGO_ERR_RANGE / POGO_ERR_LIMIT with *cause set (freed by the caller).
 */
int pogo_target_expand(
    const char *pattern, struct pogo_strv *out, char **cause);

/*
 * Expand a command-line target list: a pattern, or "@FILE" naming a file
 * with one pattern per line (blank lines and '#' lines ignored), appended
 * to out, which may hold the hosts of earlier calls (repeated --targets):
 * the whole list is de-duplicated, first occurrences kept.  Refused
 * (POGO_ERR_*, *cause set), out is left with only the hosts it held, as
 * long as those were distinct.  Reads the file synchronously: for
 * clients, before any loop runs.
 */
int pogo_target_parse(const char *arg, struct pogo_strv *out, char **cause);

/* Remove repeated hosts, keeping first occurrences. */
void pogo_target_dedup(struct pogo_strv *hosts);

/* Is name a valid host name?  (SPEC 5.2) */
bool pogo_target_valid_host(const char *name);

#endif
