/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/clock.c: the manual clock fires timers in order of
 * due time at their due time, also those started by a callback, and not
 * stopped or freed ones; the libuv clock fires a real timer and closes
 * cleanly.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/clock.h"
#include "pogo/proc.h"

struct fired {
	struct pogo_clock *c;
	uint64_t at[8];
	int who[8];
	int n;
	struct pogo_clock_timer *restart; /* started again by the callback */
};

static struct fired *fired_of;

static void
note_cb(struct pogo_clock_timer *t, void *arg)
{
	struct fired *f = fired_of;

	f->at[f->n] = pogo_clock_now(f->c);
	f->who[f->n] = (int)(intptr_t)arg;
	f->n++;
	if (t == f->restart) {
		f->restart = NULL;
		pogo_clock_timer_start(t, 5);
	}
}

TEST(manual_fires_in_due_order_at_due_time)
{
	struct fired f = { 0 };
	struct pogo_clock *c = pogo_clock_manual_new(1000);
	struct pogo_clock_timer *a, *b, *d, *e;

	fired_of = &f;
	f.c = c;
	a = pogo_clock_timer_new(c, note_cb, (void *)1);
	b = pogo_clock_timer_new(c, note_cb, (void *)2);
	d = pogo_clock_timer_new(c, note_cb, (void *)3);
	e = pogo_clock_timer_new(c, note_cb, (void *)4);
	pogo_clock_timer_start(a, 30);
	pogo_clock_timer_start(b, 10);
	pogo_clock_timer_start(d, 10);
	pogo_clock_timer_start(e, 20);
	pogo_clock_timer_stop(e);
	f.restart = b;
	ASSERT_EQ(pogo_clock_manual_next(c), 10);
	pogo_clock_manual_advance(c, 9);
	ASSERT_EQ(f.n, 0);
	ASSERT_EQ(pogo_clock_now(c), 1009);
	pogo_clock_manual_advance(c, 100);
	/* b and d at 10 (b started first), b again at 15, a at 30. */
	ASSERT_EQ(f.n, 4);
	ASSERT_EQ(f.who[0], 2);
	ASSERT_EQ(f.at[0], 1010);
	ASSERT_EQ(f.who[1], 3);
	ASSERT_EQ(f.at[1], 1010);
	ASSERT_EQ(f.who[2], 2);
	ASSERT_EQ(f.at[2], 1015);
	ASSERT_EQ(f.who[3], 1);
	ASSERT_EQ(f.at[3], 1030);
	ASSERT_EQ(pogo_clock_now(c), 1109);
	ASSERT(!pogo_clock_timer_active(a));
	ASSERT_EQ(pogo_clock_manual_next(c), -1);
	pogo_clock_timer_free(a);
	pogo_clock_timer_free(b);
	pogo_clock_timer_free(d);
	pogo_clock_timer_free(e);
	pogo_clock_timer_free(NULL);
	pogo_clock_free(c);
}

static void
free_self_cb(struct pogo_clock_timer *t, void *arg)
{
	(*(int *)arg)++;
	pogo_clock_timer_free(t);
}

TEST(uv_clock_fires_and_closes_cleanly)
{
	uv_loop_t loop;
	struct pogo_clock *c;
	struct pogo_clock_timer *t;
	uint64_t t0;
	int n = 0;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	c = pogo_clock_uv_new(&loop);
	t0 = pogo_clock_now(c);
	t = pogo_clock_timer_new(c, free_self_cb, &n);
	pogo_clock_timer_start(t, 20);
	ASSERT(pogo_clock_timer_active(t));
	ASSERT_EQ(n, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(n, 1);
	ASSERT_GE(pogo_clock_now(c), t0 + 20);
	pogo_clock_free(c);
	ASSERT_EQ(uv_loop_close(&loop), 0);
}
