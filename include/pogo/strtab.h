/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * String interning: each distinct string gets a dense id 0, 1, 2, ... in
 * order of first insertion.  Host names and tag paths are handled as ids
 * everywhere in the scheduler, which keeps a host at a few dozen bytes even
 * in fleets of a million.  Strings may contain any byte but NUL.
 */
#ifndef POGO_STRTAB_H
#define POGO_STRTAB_H

#define POGO_STRTAB_NONE UINT32_MAX

struct pogo_strtab;

struct pogo_strtab *pogo_strtab_new(void);
/* A table sized for about n strings (no rehashing until then). */
struct pogo_strtab *pogo_strtab_new_sized(size_t n);
void pogo_strtab_free(struct pogo_strtab *st);

/* Intern s[0..len); returns its id.  *addedp (may be NULL) says if new. */
uint32_t pogo_strtab_intern(
    struct pogo_strtab *st, const char *s, size_t len, bool *addedp);

/* Id of s, or POGO_STRTAB_NONE. */
uint32_t pogo_strtab_find(
    const struct pogo_strtab *st, const char *s, size_t len);

/* The string of id (borrowed; valid until the next intern). */
const char *pogo_strtab_get(const struct pogo_strtab *st, uint32_t id);
size_t pogo_strtab_len(const struct pogo_strtab *st, uint32_t id);

/* Number of strings. */
uint32_t pogo_strtab_count(const struct pogo_strtab *st);

/* Bytes of memory held (for benchmarks). */
size_t pogo_strtab_bytes(const struct pogo_strtab *st);

#endif
