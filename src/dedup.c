/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Task-id de-duplication (dedup.h): libc's balanced tree (tsearch) keyed
 * by id, plus a FIFO of done entries, oldest first, for the bound.
 */
#include "pogo/compat.h"

#include <search.h>

#include "pogo/dedup.h"
#include "pogo/log.h"
#include "pogo/xmalloc.h"

struct dedup_entry {
	char *id;
	enum pogo_dedup_state state;
	bool held; /* done, outside the FIFO until released */
	struct dedup_entry *next_done;
};

struct pogo_dedup {
	void *root;
	size_t n;
	size_t max_running;
	size_t nrunning;
	size_t max_done;
	size_t ndone;
	struct dedup_entry *done_head, *done_tail;
};

static int
dedup_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dedup_entry *)a)->id,
	    ((const struct dedup_entry *)b)->id);
}

struct pogo_dedup *
pogo_dedup_new(size_t max_running, size_t max_done)
{
	struct pogo_dedup *d = xcalloc(1, sizeof(*d));

	d->max_running = max_running;
	d->max_done = max_done;
	return d;
}

static void
dedup_entry_free(void *p)
{
	struct dedup_entry *e = p;

	free(e->id);
	free(e);
}

void
pogo_dedup_free(struct pogo_dedup *d)
{
	if (d == NULL)
		return;
	tdestroy(d->root, dedup_entry_free);
	free(d);
}

static struct dedup_entry *
dedup_find(const struct pogo_dedup *d, const char *id)
{
	struct dedup_entry key = { (char *)id, POGO_DEDUP_UNKNOWN, false,
		NULL };
	void *const *p = tfind(&key, &d->root, dedup_cmp);

	return p != NULL ? *(struct dedup_entry *const *)p : NULL;
}

/* The entry of id, added as RUNNING if new; *addedp says which. */
static struct dedup_entry *
dedup_add(struct pogo_dedup *d, const char *id, bool *addedp)
{
	struct dedup_entry *e = xcalloc(1, sizeof(*e)), *found;

	e->id = xstrdup(id);
	e->state = POGO_DEDUP_RUNNING;
	found = *(struct dedup_entry **)tsearch(e, &d->root, dedup_cmp);
	*addedp = found == e;
	if (found != e)
		dedup_entry_free(e);
	else {
		d->n++;
		d->nrunning++;
	}
	return found;
}

enum pogo_dedup_state
pogo_dedup_see(struct pogo_dedup *d, const char *id)
{
	struct dedup_entry *e = dedup_find(d, id);
	bool added;

	if (e != NULL)
		return e->state;
	if (d->nrunning >= d->max_running)
		return POGO_DEDUP_FULL;
	dedup_add(d, id, &added);
	return POGO_DEDUP_UNKNOWN;
}

void
pogo_dedup_forget(struct pogo_dedup *d, const char *id)
{
	struct dedup_entry *e = dedup_find(d, id);

	if (e == NULL || e->state != POGO_DEDUP_RUNNING)
		return;
	tdelete(e, &d->root, dedup_cmp);
	dedup_entry_free(e);
	d->n--;
	d->nrunning--;
}

/* Append done entry e to the FIFO; forget the oldest beyond max_done. */
static void
dedup_push_done(struct pogo_dedup *d, struct dedup_entry *e)
{
	struct dedup_entry *old;

	if (d->done_tail != NULL)
		d->done_tail->next_done = e;
	else
		d->done_head = e;
	d->done_tail = e;
	d->ndone++;
	while (d->ndone > d->max_done) {
		old = d->done_head;
		d->done_head = old->next_done;
		if (d->done_head == NULL)
			d->done_tail = NULL;
		d->ndone--;
		d->n--;
		tdelete(old, &d->root, dedup_cmp);
		dedup_entry_free(old);
	}
}

static void
dedup_done(struct pogo_dedup *d, const char *id, bool held)
{
	bool added;
	struct dedup_entry *e = dedup_add(d, id, &added);

	if (e->state == POGO_DEDUP_DONE)
		return;
	POGO_ASSERT(d->nrunning > 0);
	d->nrunning--;
	e->state = POGO_DEDUP_DONE;
	if (held)
		e->held = true;
	else
		dedup_push_done(d, e);
}

void
pogo_dedup_done(struct pogo_dedup *d, const char *id)
{
	dedup_done(d, id, false);
}

void
pogo_dedup_done_held(struct pogo_dedup *d, const char *id)
{
	dedup_done(d, id, true);
}

void
pogo_dedup_release(struct pogo_dedup *d, const char *id)
{
	struct dedup_entry *e = dedup_find(d, id);

	if (e == NULL || !e->held)
		return;
	e->held = false;
	dedup_push_done(d, e);
}

enum pogo_dedup_state
pogo_dedup_state(const struct pogo_dedup *d, const char *id)
{
	const struct dedup_entry *e = dedup_find(d, id);

	return e != NULL ? e->state : POGO_DEDUP_UNKNOWN;
}

size_t
pogo_dedup_count(const struct pogo_dedup *d)
{
	return d->n;
}
