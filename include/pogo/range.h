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

/* Most bytes a count may hold at once, and make in all (time bound). */
#define POGO_RANGE_COUNT_MAX_HELD (4u * 1024 * 1024)
#define POGO_RANGE_COUNT_MAX_MADE (4u * 1024 * 1024)

/*
 * Count the names the expansion of pattern makes, without making them:
 * the size of the result before "!" removals, trimming and dropping empty
 * names, so an upper bound of it.  Patterns that differ only in digits put
 * in place of a bracket, or in plain brace alternatives, expand alike
 * (unless that text may end up inside a bracket body) and are counted
 * once, so the work does not grow with the count.  It holds at most
 * POGO_RANGE_COUNT_MAX_HELD bytes.  max: as for pogo_range_expand().
 * Returns 0 with *countp <= max; POGO_ERR_LIMIT with *countp = max + 1
 * when there are more names; or POGO_ERR_RANGE when the pattern is too
 * long or too complex to count within the bounds.  An invalid bracket
 * piece counts as no names (the expansion reports it).
 */
int pogo_range_count(const char *pattern, size_t max, uint64_t *countp);

/*
 * Expand pattern into out (appended; duplicates are kept, as the SPEC
 * says: the caller removes them).  max bounds the number of items,
 * including intermediate ones and names removed later, and the number of
 * names "!" pieces removed; 0 means POGO_RANGE_MAX_ITEMS.  The pattern is
 * counted first (pogo_range_count) and refused before any name is made
 * when it has more than max.  A "!" piece with more names than there are
 * items, or more than that bound leaves, compares the items with its
 * names instead of making them, so what it costs is bounded by what is
 * held.  Returns 0, or POGO_ERR_RANGE with *cause (if cause is not NULL)
 * set to "invalid range pattern '<pattern>'", to be freed by the caller;
 * out is then unchanged.
 */
int pogo_range_expand(
    const char *pattern, size_t max, struct pogo_strv *out, char **cause);

#endif
