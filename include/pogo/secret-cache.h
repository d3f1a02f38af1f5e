/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher's secret cache (SPEC 7.4): job id -> the job's secret
 * boxes (base64, as the client sent them, SPEC 10.3) and their key_id,
 * only in memory, each entry with an expiry timer.  Memory that held a
 * box is wiped when the entry is replaced or dropped.  A linear table:
 * the cache holds the jobs with secrets that are active or recently
 * ended, a few hundred at most.
 */
#ifndef POGO_SECRET_CACHE_H
#define POGO_SECRET_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "pogo/clock.h"
#include "pogo/dispatcher.h"

struct pogo_secret_cache;

/* A cache on clock c (borrowed; it must outlive the cache). */
struct pogo_secret_cache *pogo_secret_cache_new(struct pogo_clock *c);

/* Wipe and free every entry and the cache; NULL-safe. */
void pogo_secret_cache_free(struct pogo_secret_cache *sc);

/*
 * Put (or replace) the secrets of job: the strings are copied.  The entry
 * expires expiry_ms from now; 0 means no timer (a job without
 * job_timeout, until pogo_secret_cache_expire_in()).
 */
void pogo_secret_cache_put(struct pogo_secret_cache *sc, uint64_t job,
    const struct pogo_dispatcher_secrets *s, uint64_t expiry_ms);

/*
 * The secrets of job, or NULL when none are cached; the pointers stay
 * valid until the entry is replaced, dropped or expires.
 */
const struct pogo_dispatcher_secrets *pogo_secret_cache_get(
    const struct pogo_secret_cache *sc, uint64_t job);

/*
 * (Re)start the expiry of job's entry: ms from now (SPEC 7.4: 60 s after
 * the end of a job without job_timeout); 0 stops it (the job runs again:
 * no timer until it ends again).  Nothing if job has no entry.
 */
void pogo_secret_cache_expire_in(
    struct pogo_secret_cache *sc, uint64_t job, uint64_t ms);

/* Drop (and wipe) job's entry, if any. */
void pogo_secret_cache_drop(struct pogo_secret_cache *sc, uint64_t job);

/* The number of entries. */
size_t pogo_secret_cache_count(const struct pogo_secret_cache *sc);

#endif
