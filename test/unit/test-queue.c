/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/queue.c, the queue processor of SPEC 8.4, on a manual
 * clock: N-003's timings exactly as SPEC pins them, stop-and-wait order,
 * retries for ever and never, waiting for ever, an out-of-sequence ACK,
 * and pause/resume/shift across a lost connection.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/clock.h"
#include "pogo/queue.h"

#define EV_MAX 64

/* What the queue did, in order, with the clock's time (ms). */
struct trace {
	struct pogo_clock *c;
	char what[EV_MAX]; /* 's'end, 'd'rop, 'i'dle */
	int item[EV_MAX];
	uint64_t at[EV_MAX];
	unsigned attempt[EV_MAX];
	int n;
	bool ack_at_once;
	bool pause_on_drop;
	struct pogo_queue *q;
	int released;
};

static void
trace_add(struct trace *tr, char what, void *item, unsigned attempt)
{
	if (tr->n == EV_MAX)
		harness_fail(__FILE__, __LINE__, "too many events");
	tr->what[tr->n] = what;
	tr->item[tr->n] = (int)(intptr_t)item;
	tr->at[tr->n] = pogo_clock_now(tr->c);
	tr->attempt[tr->n] = attempt;
	tr->n++;
}

static void
t_send(struct pogo_queue *q, void *item, unsigned attempt, void *arg)
{
	trace_add(arg, 's', item, attempt);
}

static void
t_drop(struct pogo_queue *q, void *item, void *arg)
{
	struct trace *tr = arg;

	trace_add(tr, 'd', item, 0);
	if (tr->pause_on_drop)
		pogo_queue_pause(q);
}

static void
t_idle(struct pogo_queue *q, void *arg)
{
	trace_add(arg, 'i', NULL, 0);
}

static void
t_release(void *item)
{
	(*(int *)item)++;
}

static const struct pogo_queue_cbs t_cbs = { t_send, t_drop, t_idle, NULL };
static const struct pogo_queue_cbs t_cbs_rel = { t_send, t_drop, t_idle,
	t_release };

#define ITEM(n) ((void *)(intptr_t)(n))

static void
expect(struct trace *tr, int i, char what, int item, uint64_t at)
{
	if (i >= tr->n)
		harness_fail(__FILE__, __LINE__, "event %d missing", i);
	if (tr->what[i] != what || tr->item[i] != item || tr->at[i] != at)
		harness_fail(__FILE__, __LINE__,
		    "event %d: %c item %d at %" PRIu64 ", expected %c %d at "
		    "%" PRIu64,
		    i, tr->what[i], tr->item[i], tr->at[i], what, item, at);
}

/* N-003, first half: timeout 1, retries 1, a consumer that never acks. */
TEST(n003_never_acked_offered_at_0_and_1_dropped_at_2)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 1000, 1, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(7));
	pogo_clock_manual_advance(tr.c, 5000);
	ASSERT_EQ(tr.n, 4);
	expect(&tr, 0, 's', 7, 0);
	expect(&tr, 1, 's', 7, 1000);
	ASSERT_EQ(tr.attempt[1], 2);
	expect(&tr, 2, 'd', 7, 2000);
	expect(&tr, 3, 'i', 0, 2000);
	ASSERT_EQ(pogo_queue_len(q), 0);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

/* N-003, second half: a consumer that acknowledges at once. */
TEST(n003_acked_at_once_offered_once_then_idle)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 1000, 1, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(7));
	ASSERT(pogo_queue_outstanding(q) == ITEM(7));
	ASSERT(pogo_queue_ack(q) == ITEM(7));
	pogo_clock_manual_advance(tr.c, 5000);
	ASSERT_EQ(tr.n, 2);
	expect(&tr, 0, 's', 7, 0);
	expect(&tr, 1, 'i', 0, 0);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

TEST(stop_and_wait_in_order)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 5000, 3, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(1));
	pogo_queue_push(q, ITEM(2));
	pogo_queue_push(q, ITEM(3));
	/* Only the head is out. */
	ASSERT_EQ(tr.n, 1);
	ASSERT_EQ(pogo_queue_len(q), 3);
	pogo_clock_manual_advance(tr.c, 100);
	ASSERT(pogo_queue_ack(q) == ITEM(1));
	pogo_clock_manual_advance(tr.c, 100);
	ASSERT(pogo_queue_ack(q) == ITEM(2));
	ASSERT(pogo_queue_ack(q) == ITEM(3));
	ASSERT_EQ(tr.n, 4);
	expect(&tr, 0, 's', 1, 0);
	expect(&tr, 1, 's', 2, 100);
	expect(&tr, 2, 's', 3, 200);
	expect(&tr, 3, 'i', 0, 200);
	/* The ACK of 3 stopped its timer: nothing is resent. */
	pogo_clock_manual_advance(tr.c, 60000);
	ASSERT_EQ(tr.n, 4);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

TEST(dispatcher_settings_drop_after_3_retries_then_next)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 5000, 3, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(1));
	pogo_queue_push(q, ITEM(2));
	pogo_clock_manual_advance(tr.c, 20000);
	ASSERT_EQ(tr.n, 6);
	expect(&tr, 0, 's', 1, 0);
	expect(&tr, 1, 's', 1, 5000);
	expect(&tr, 2, 's', 1, 10000);
	expect(&tr, 3, 's', 1, 15000);
	expect(&tr, 4, 'd', 1, 20000);
	expect(&tr, 5, 's', 2, 20000);
	ASSERT_EQ(tr.attempt[5], 1);
	ASSERT(pogo_queue_ack(q) == ITEM(2));
	expect(&tr, 6, 'i', 0, 20000);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

TEST(retries_0_never_resends)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 1000, 0, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(1));
	pogo_clock_manual_advance(tr.c, 10000);
	ASSERT_EQ(tr.n, 3);
	expect(&tr, 0, 's', 1, 0);
	expect(&tr, 1, 'd', 1, 1000);
	expect(&tr, 2, 'i', 0, 1000);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

TEST(retries_negative_resends_for_ever)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;
	int i;

	tr.c = pogo_clock_manual_new(0);
	/* The worker's settings: retries -1, timeout 10. */
	q = pogo_queue_new(tr.c, 10000, -1, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(1));
	pogo_clock_manual_advance(tr.c, 400000);
	ASSERT_EQ(tr.n, 41);
	for (i = 0; i < tr.n; i++)
		expect(&tr, i, 's', 1, (uint64_t)i * 10000);
	ASSERT_EQ(tr.attempt[40], 41);
	ASSERT(pogo_queue_ack(q) == ITEM(1));
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

TEST(timeout_negative_waits_for_ever)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, -1, 0, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(1));
	ASSERT_EQ(pogo_clock_manual_next(tr.c), -1);
	pogo_clock_manual_advance(tr.c, 1000000);
	ASSERT_EQ(tr.n, 1);
	ASSERT(pogo_queue_ack(q) == ITEM(1));
	ASSERT_EQ(tr.n, 2);
	expect(&tr, 1, 'i', 0, 1000000);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

TEST(out_of_sequence_ack_is_ignored)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 1000, 1, &t_cbs, &tr);
	/* Nothing queued. */
	ASSERT_NULL(pogo_queue_ack(q));
	/* Queued but paused: nothing outstanding either. */
	pogo_queue_push(q, ITEM(1));
	ASSERT_EQ(tr.n, 0);
	ASSERT_NULL(pogo_queue_ack(q));
	ASSERT_EQ(pogo_queue_len(q), 1);
	pogo_queue_resume(q);
	ASSERT(pogo_queue_ack(q) == ITEM(1));
	ASSERT_NULL(pogo_queue_ack(q));
	ASSERT_EQ(tr.n, 2);
	expect(&tr, 0, 's', 1, 0);
	expect(&tr, 1, 'i', 0, 0);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

TEST(pause_keeps_items_resume_resends_shift_takes_back)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;
	int a = 0, b = 0, c = 0;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 1000, -1, &t_cbs_rel, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, &a);
	pogo_queue_push(q, &b);
	pogo_queue_push(q, &c);
	pogo_clock_manual_advance(tr.c, 500);
	/* The connection ends: nothing is resent while paused. */
	pogo_queue_pause(q);
	ASSERT_NULL(pogo_queue_outstanding(q));
	pogo_clock_manual_advance(tr.c, 10000);
	ASSERT_EQ(tr.n, 1);
	/* A new connection: the head again, as a first attempt. */
	pogo_queue_resume(q);
	ASSERT_EQ(tr.n, 2);
	ASSERT(tr.what[1] == 's' && tr.attempt[1] == 1);
	ASSERT_EQ(tr.at[1], 10500);
	ASSERT(pogo_queue_ack(q) == &a);
	/* The dispatcher takes the rest back. */
	pogo_queue_pause(q);
	ASSERT(pogo_queue_shift(q) == &b);
	ASSERT_EQ(pogo_queue_len(q), 1);
	/* Free releases what is left. */
	pogo_queue_free(q);
	ASSERT_EQ(a + b, 0);
	ASSERT_EQ(c, 1);
	pogo_clock_free(tr.c);
}

TEST(drop_may_pause_the_queue)
{
	struct trace tr = { 0 };

	tr.c = pogo_clock_manual_new(0);
	tr.pause_on_drop = true;
	tr.q = pogo_queue_new(tr.c, 1000, 0, &t_cbs, &tr);
	pogo_queue_resume(tr.q);
	pogo_queue_push(tr.q, ITEM(1));
	pogo_queue_push(tr.q, ITEM(2));
	pogo_clock_manual_advance(tr.c, 5000);
	/* Dropped 1, and 2 was not sent on the closing connection. */
	ASSERT_EQ(tr.n, 2);
	expect(&tr, 1, 'd', 1, 1000);
	ASSERT(pogo_queue_shift(tr.q) == ITEM(2));
	pogo_queue_free(tr.q);
	pogo_clock_free(tr.c);
}

/* Channel 2: replies carry the task id; items here are small ids. */
static bool
t_match(const void *item, const void *key)
{
	return (intptr_t)item == (intptr_t)key;
}

/*
 * Item 1 is resent; the reply to its first send comes late, after the
 * resend, and acknowledges 1; the reply to the resend then comes while
 * 2 is outstanding: it is stale, logged and ignored, and 2 stays out.
 */
TEST(stale_reply_to_a_resent_item_does_not_ack_the_next)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 5000, 3, &t_cbs, &tr);
	pogo_queue_resume(q);
	pogo_queue_push(q, ITEM(1));
	pogo_queue_push(q, ITEM(2));
	pogo_clock_manual_advance(tr.c, 5000);
	expect(&tr, 1, 's', 1, 5000);
	pogo_clock_manual_advance(tr.c, 100);
	ASSERT(pogo_queue_ack_match(q, t_match, ITEM(1)) == ITEM(1));
	expect(&tr, 2, 's', 2, 5100);
	pogo_clock_manual_advance(tr.c, 100);
	ASSERT_NULL(pogo_queue_ack_match(q, t_match, ITEM(1)));
	ASSERT(pogo_queue_outstanding(q) == ITEM(2));
	ASSERT_EQ(pogo_queue_len(q), 1);
	ASSERT_EQ(tr.n, 3);
	/* 2's timer still runs: resent 5 s after its first send. */
	pogo_clock_manual_advance(tr.c, 4900);
	expect(&tr, 3, 's', 2, 10100);
	ASSERT(pogo_queue_ack_match(q, t_match, ITEM(2)) == ITEM(2));
	expect(&tr, 4, 'i', 0, 10100);
	/* Nothing outstanding: any reply is out of sequence. */
	ASSERT_NULL(pogo_queue_ack_match(q, t_match, ITEM(2)));
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}

/*
 * take() removes a queued item that has not left (a task_started that its
 * task_done stands for, peer.c), never the outstanding head, and keeps
 * the order and the tail of the rest.
 */
TEST(take_removes_an_unsent_item_never_the_outstanding_head)
{
	struct trace tr = { 0 };
	struct pogo_queue *q;

	tr.c = pogo_clock_manual_new(0);
	q = pogo_queue_new(tr.c, 5000, 3, &t_cbs, &tr);
	pogo_queue_push(q, ITEM(1));
	pogo_queue_push(q, ITEM(2));
	pogo_queue_push(q, ITEM(3));
	/* Paused: nothing has left, the head may go. */
	ASSERT(pogo_queue_take(q, t_match, ITEM(1)) == ITEM(1));
	ASSERT_EQ(pogo_queue_len(q), 2);
	pogo_queue_resume(q);
	expect(&tr, 0, 's', 2, 0);
	/* 2 is out: it stays, only its reply takes it. */
	ASSERT_NULL(pogo_queue_take(q, t_match, ITEM(2)));
	ASSERT_NULL(pogo_queue_take(q, t_match, ITEM(9)));
	/* The tail: a push after it goes behind 2. */
	ASSERT(pogo_queue_take(q, t_match, ITEM(3)) == ITEM(3));
	ASSERT_EQ(pogo_queue_len(q), 1);
	pogo_queue_push(q, ITEM(4));
	pogo_queue_push(q, ITEM(5));
	ASSERT(pogo_queue_take(q, t_match, ITEM(4)) == ITEM(4));
	ASSERT_EQ(tr.n, 1); /* no send, no idle */
	ASSERT(pogo_queue_ack(q) == ITEM(2));
	expect(&tr, 1, 's', 5, 0);
	ASSERT(pogo_queue_ack(q) == ITEM(5));
	expect(&tr, 2, 'i', 0, 0);
	ASSERT_EQ(pogo_queue_len(q), 0);
	pogo_queue_free(q);
	pogo_clock_free(tr.c);
}
