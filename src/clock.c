/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The injectable clock (clock.h).  A libuv clock wraps one uv_timer per
 * timer; a manual clock keeps its timers on a list and fires them from
 * pogo_clock_manual_advance().  Timer counts are small (a few per
 * connection and per running task), so the manual clock scans its list.
 */
#include "pogo/compat.h"

#include "pogo/clock.h"
#include "pogo/log.h"
#include "pogo/xmalloc.h"

struct pogo_clock {
	uv_loop_t *loop;                 /* NULL: manual */
	uint64_t now;                    /* manual */
	uint64_t seq;                    /* manual: order of starts */
	struct pogo_clock_timer *timers; /* manual: every timer */
	unsigned ntimers;
};

struct pogo_clock_timer {
	uv_timer_t uv; /* libuv clock only */
	struct pogo_clock *clock;
	pogo_clock_timer_cb cb;
	void *arg;
	bool active;
	uint64_t due;                         /* manual */
	uint64_t seq;                         /* manual */
	struct pogo_clock_timer *next, *prev; /* manual */
};

struct pogo_clock *
pogo_clock_uv_new(uv_loop_t *loop)
{
	struct pogo_clock *c = xcalloc(1, sizeof(*c));

	c->loop = loop;
	return c;
}

struct pogo_clock *
pogo_clock_manual_new(uint64_t start_ms)
{
	struct pogo_clock *c = xcalloc(1, sizeof(*c));

	c->now = start_ms;
	return c;
}

void
pogo_clock_free(struct pogo_clock *c)
{
	if (c == NULL)
		return;
	if (c->ntimers != 0)
		POGO_BUG("clock freed with %u timers", c->ntimers);
	free(c);
}

uint64_t
pogo_clock_now(const struct pogo_clock *c)
{
	return c->loop != NULL ? uv_now(c->loop) : c->now;
}

/* The manual timer due first (ties: started first), or NULL. */
static struct pogo_clock_timer *
clock_manual_first(const struct pogo_clock *c)
{
	struct pogo_clock_timer *t, *best = NULL;

	for (t = c->timers; t != NULL; t = t->next) {
		if (!t->active)
			continue;
		if (best == NULL || t->due < best->due ||
		    (t->due == best->due && t->seq < best->seq))
			best = t;
	}
	return best;
}

void
pogo_clock_manual_advance(struct pogo_clock *c, uint64_t ms)
{
	struct pogo_clock_timer *t;
	uint64_t end;

	if (c->loop != NULL)
		POGO_BUG("advancing a libuv clock");
	end = c->now + ms;
	while ((t = clock_manual_first(c)) != NULL && t->due <= end) {
		if (t->due > c->now)
			c->now = t->due;
		t->active = false;
		t->cb(t, t->arg);
	}
	c->now = end;
}

int64_t
pogo_clock_manual_next(const struct pogo_clock *c)
{
	const struct pogo_clock_timer *t = clock_manual_first(c);

	if (t == NULL)
		return -1;
	return t->due > c->now ? (int64_t)(t->due - c->now) : 0;
}

static void
clock_uv_cb(uv_timer_t *uvt)
{
	struct pogo_clock_timer *t =
	    container_of(uvt, struct pogo_clock_timer, uv);

	t->active = false;
	t->cb(t, t->arg);
}

struct pogo_clock_timer *
pogo_clock_timer_new(struct pogo_clock *c, pogo_clock_timer_cb cb, void *arg)
{
	struct pogo_clock_timer *t = xcalloc(1, sizeof(*t));

	t->clock = c;
	t->cb = cb;
	t->arg = arg;
	c->ntimers++;
	if (c->loop != NULL) {
		uv_timer_init(c->loop, &t->uv);
		return t;
	}
	t->next = c->timers;
	if (c->timers != NULL)
		c->timers->prev = t;
	c->timers = t;
	return t;
}

void
pogo_clock_timer_start(struct pogo_clock_timer *t, uint64_t ms)
{
	struct pogo_clock *c = t->clock;

	t->active = true;
	if (c->loop != NULL) {
		uv_timer_start(&t->uv, clock_uv_cb, ms, 0);
		return;
	}
	t->due = c->now + ms;
	t->seq = c->seq++;
}

void
pogo_clock_timer_stop(struct pogo_clock_timer *t)
{
	t->active = false;
	if (t->clock->loop != NULL)
		uv_timer_stop(&t->uv);
}

bool
pogo_clock_timer_active(const struct pogo_clock_timer *t)
{
	return t->active;
}

static void
clock_uv_close_cb(uv_handle_t *h)
{
	free(container_of(h, struct pogo_clock_timer, uv));
}

void
pogo_clock_timer_free(struct pogo_clock_timer *t)
{
	struct pogo_clock *c;

	if (t == NULL)
		return;
	c = t->clock;
	c->ntimers--;
	if (c->loop != NULL) {
		t->active = false;
		uv_close((uv_handle_t *)&t->uv, clock_uv_close_cb);
		return;
	}
	if (t->prev != NULL)
		t->prev->next = t->next;
	else
		c->timers = t->next;
	if (t->next != NULL)
		t->next->prev = t->prev;
	free(t);
}
