/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The secret cache (SPEC 7.4) of the dispatcher: a table of entries, each
 * with its own timer on the dispatcher's clock.  Boxes are wiped before
 * their memory is freed (SPEC 10.4).
 */
#include "pogo/compat.h"

#include "pogo/clock.h"
#include "pogo/secret-cache.h"
#include "pogo/xmalloc.h"

struct secret_entry {
	struct pogo_secret_cache *sc;
	uint64_t job;
	struct pogo_dispatcher_secrets s; /* owned copies */
	struct pogo_clock_timer *timer;
};

struct pogo_secret_cache {
	struct pogo_clock *clock;
	struct secret_entry **v;
	size_t n;
	size_t cap;
};

struct pogo_secret_cache *
pogo_secret_cache_new(struct pogo_clock *c)
{
	struct pogo_secret_cache *sc = xcalloc(1, sizeof(*sc));

	sc->clock = c;
	return sc;
}

/* A copy of s, or NULL. */
static const char *
secret_dup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
secret_wipe(const char *s)
{
	if (s != NULL)
		pogo_freezero((char *)s, strlen(s));
}

/* Wipe and free e; the caller takes it out of the table. */
static void
secret_entry_free(struct secret_entry *e)
{
	pogo_clock_timer_free(e->timer);
	secret_wipe(e->s.password);
	secret_wipe(e->s.client_private_key);
	secret_wipe(e->s.pvt_key_passphrase);
	free((char *)e->s.key_id);
	free(e);
}

/* The index of job's entry, or sc->n. */
static size_t
secret_find(const struct pogo_secret_cache *sc, uint64_t job)
{
	size_t i;

	for (i = 0; i < sc->n; i++) {
		if (sc->v[i]->job == job)
			break;
	}
	return i;
}

/* Take entry i out of the table and free it. */
static void
secret_remove(struct pogo_secret_cache *sc, size_t i)
{
	struct secret_entry *e = sc->v[i];

	sc->v[i] = sc->v[--sc->n];
	secret_entry_free(e);
}

static void
secret_expire_cb(struct pogo_clock_timer *t, void *arg)
{
	struct secret_entry *e = arg;
	struct pogo_secret_cache *sc = e->sc;

	secret_remove(sc, secret_find(sc, e->job));
}

void
pogo_secret_cache_free(struct pogo_secret_cache *sc)
{
	if (sc == NULL)
		return;
	while (sc->n > 0)
		secret_remove(sc, sc->n - 1);
	free(sc->v);
	free(sc);
}

void
pogo_secret_cache_put(struct pogo_secret_cache *sc, uint64_t job,
    const struct pogo_dispatcher_secrets *s, uint64_t expiry_ms)
{
	struct secret_entry *e;
	size_t i;

	if ((i = secret_find(sc, job)) < sc->n)
		secret_remove(sc, i);
	e = xcalloc(1, sizeof(*e));
	e->sc = sc;
	e->job = job;
	e->s.password = secret_dup(s->password);
	e->s.client_private_key = secret_dup(s->client_private_key);
	e->s.pvt_key_passphrase = secret_dup(s->pvt_key_passphrase);
	e->s.key_id = secret_dup(s->key_id);
	e->timer = pogo_clock_timer_new(sc->clock, secret_expire_cb, e);
	if (expiry_ms > 0)
		pogo_clock_timer_start(e->timer, expiry_ms);
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 16;
		sc->v = xreallocarray(sc->v, sc->cap, sizeof(*sc->v));
	}
	sc->v[sc->n++] = e;
}

const struct pogo_dispatcher_secrets *
pogo_secret_cache_get(const struct pogo_secret_cache *sc, uint64_t job)
{
	size_t i = secret_find(sc, job);

	return i < sc->n ? &sc->v[i]->s : NULL;
}

void
pogo_secret_cache_expire_in(
    struct pogo_secret_cache *sc, uint64_t job, uint64_t ms)
{
	size_t i = secret_find(sc, job);

	if (i >= sc->n)
		return;
	if (ms > 0)
		pogo_clock_timer_start(sc->v[i]->timer, ms);
	else
		pogo_clock_timer_stop(sc->v[i]->timer);
}

void
pogo_secret_cache_drop(struct pogo_secret_cache *sc, uint64_t job)
{
	size_t i = secret_find(sc, job);

	if (i < sc->n)
		secret_remove(sc, i);
}

size_t
pogo_secret_cache_count(const struct pogo_secret_cache *sc)
{
	return sc->n;
}
