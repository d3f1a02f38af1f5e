/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Host range expansion (SPEC 2.8): "web[1-3].x,db{a,b}" -> web1.x web2.x
 * web3.x dba dbb.  Pure: no I/O.  Used for host strings under `tag` and for
 * job targets.
 */
#ifndef POGO_RANGE_H
#define POGO_RANGE_H

#include "pogo/str.h"

/* The SPEC's limit on the items of one expansion. */
#define POGO_RANGE_MAX_ITEMS 10000000u

/* Most bytes of names one expansion may make (a memory bound). */
#define POGO_RANGE_MAX_BYTES (256u * 1024 * 1024)

/* Longest pattern accepted (bytes). */
#define POGO_RANGE_MAX_PATTERN (1024 * 1024)

/*
 * Expand pattern into out (appended; duplicates are kept, as the SPEC
 * says: the caller removes them).  max bounds the number of items,
 * including intermediate ones; 0 means POGO_RANGE_MAX_ITEMS.  Returns 0, or
 * POGO_ERR_RANGE with *cause (if cause is not NULL) set to
 * "invalid range pattern '<pattern>'", to be freed by the caller; out is
 * then unchanged.
 */
int pogo_range_expand(
    const char *pattern, size_t max, struct pogo_strv *out, char **cause);

#endif
