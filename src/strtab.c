/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * An open-addressing hash table (linear probing, FNV-1a) over one growing
 * byte pool.  Ids are dense; the table holds id + 1 so that 0 means empty.
 * The load factor stays at or below one half.
 */
#include "pogo/compat.h"

#include "pogo/log.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

struct pogo_strtab {
	char *pool; /* NUL-separated strings */
	size_t pool_len;
	size_t pool_cap;
	uint32_t *off;  /* id -> offset in pool */
	uint32_t *hash; /* id -> hash */
	uint32_t count;
	uint32_t cap_ids;
	uint64_t *slots; /* hash << 32 | (id + 1), or 0 */
	uint32_t nslots; /* power of two */
};

static uint32_t
strtab_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

struct pogo_strtab *
pogo_strtab_new_sized(size_t n)
{
	struct pogo_strtab *st = xcalloc(1, sizeof(*st));

	st->nslots = 64;
	while (st->nslots < n * 2 && st->nslots < (1u << 31))
		st->nslots *= 2;
	st->slots = xcalloc(st->nslots, sizeof(*st->slots));
	if (n > 64 && n < UINT32_MAX) {
		st->cap_ids = (uint32_t)n;
		st->off = xreallocarray(NULL, n, sizeof(*st->off));
		st->hash = xreallocarray(NULL, n, sizeof(*st->hash));
	}
	return st;
}

struct pogo_strtab *
pogo_strtab_new(void)
{
	return pogo_strtab_new_sized(0);
}

void
pogo_strtab_free(struct pogo_strtab *st)
{
	if (st == NULL)
		return;
	free(st->pool);
	free(st->off);
	free(st->hash);
	free(st->slots);
	free(st);
}

/* Double the slot array and re-insert every id. */
static void
strtab_grow(struct pogo_strtab *st)
{
	uint32_t i, mask, j;

	free(st->slots);
	st->nslots *= 2;
	st->slots = xcalloc(st->nslots, sizeof(*st->slots));
	mask = st->nslots - 1;
	for (i = 0; i < st->count; i++) {
		j = st->hash[i] & mask;
		while (st->slots[j] != 0)
			j = (j + 1) & mask;
		st->slots[j] = (uint64_t)st->hash[i] << 32 | (i + 1);
	}
}

static bool
strtab_equal(
    const struct pogo_strtab *st, uint32_t id, const char *s, size_t len)
{
	const char *p = st->pool + st->off[id];

	return strncmp(p, s, len) == 0 && p[len] == '\0';
}

uint32_t
pogo_strtab_find(const struct pogo_strtab *st, const char *s, size_t len)
{
	uint32_t h = strtab_hash(s, len), mask = st->nslots - 1, j, id;

	for (j = h & mask; st->slots[j] != 0; j = (j + 1) & mask) {
		id = (uint32_t)st->slots[j] - 1;
		if ((uint32_t)(st->slots[j] >> 32) == h &&
		    strtab_equal(st, id, s, len))
			return id;
	}
	return POGO_STRTAB_NONE;
}

uint32_t
pogo_strtab_intern(
    struct pogo_strtab *st, const char *s, size_t len, bool *addedp)
{
	uint32_t h = strtab_hash(s, len), mask = st->nslots - 1, j, id;

	if (addedp != NULL)
		*addedp = false;
	for (j = h & mask; st->slots[j] != 0; j = (j + 1) & mask) {
		id = (uint32_t)st->slots[j] - 1;
		if ((uint32_t)(st->slots[j] >> 32) == h &&
		    strtab_equal(st, id, s, len))
			return id;
	}
	if (st->count == UINT32_MAX - 1 || st->pool_len + len + 1 > UINT32_MAX)
		fatalx("strtab: too many strings");
	if (st->count == st->cap_ids) {
		st->cap_ids = st->cap_ids ? st->cap_ids * 2 : 64;
		st->off = xreallocarray(st->off, st->cap_ids, sizeof(*st->off));
		st->hash =
		    xreallocarray(st->hash, st->cap_ids, sizeof(*st->hash));
	}
	while (st->pool_len + len + 1 > st->pool_cap) {
		st->pool_cap = st->pool_cap ? st->pool_cap * 2 : 1024;
		st->pool = xreallocarray(st->pool, st->pool_cap, 1);
	}
	id = st->count++;
	st->off[id] = (uint32_t)st->pool_len;
	st->hash[id] = h;
	memcpy(st->pool + st->pool_len, s, len);
	st->pool[st->pool_len + len] = '\0';
	st->pool_len += len + 1;
	st->slots[j] = (uint64_t)h << 32 | (id + 1);
	if (st->count * 2 > st->nslots)
		strtab_grow(st);
	if (addedp != NULL)
		*addedp = true;
	return id;
}

const char *
pogo_strtab_get(const struct pogo_strtab *st, uint32_t id)
{
	POGO_ASSERT(id < st->count);
	return st->pool + st->off[id];
}

size_t
pogo_strtab_len(const struct pogo_strtab *st, uint32_t id)
{
	POGO_ASSERT(id < st->count);
	if (id + 1 < st->count)
		return st->off[id + 1] - st->off[id] - 1;
	return st->pool_len - st->off[id] - 1;
}

uint32_t
pogo_strtab_count(const struct pogo_strtab *st)
{
	return st->count;
}

size_t
pogo_strtab_bytes(const struct pogo_strtab *st)
{
	return st->pool_cap + (size_t)st->cap_ids * 8 + (size_t)st->nslots * 8 +
	    sizeof(*st);
}
