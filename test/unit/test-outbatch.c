/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/outbatch.c on a manual clock: records numbered from 0
 * without gaps, at most 64 KiB of data per message, at most 10 messages
 * in any second, records of one loop turn in one message, nothing sent
 * from inside add, and drained once after the last message.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/clock.h"
#include "pogo/outbatch.h"

#define MSG_MAX 256

struct sent {
	struct pogo_clock *c;
	uint64_t at[MSG_MAX];
	uint64_t first[MSG_MAX];
	size_t n[MSG_MAX];
	size_t bytes[MSG_MAX];
	int msgs;
	uint64_t next; /* the number the next message must start at */
	int drained;
	uint64_t drained_at;
	char last[16];
};

static void
ob_send(struct pogo_outbatch *b, uint64_t first,
    const struct pogo_proto_record *recs, size_t n, void *arg)
{
	struct sent *s = arg;
	size_t i, bytes = 0;

	ASSERT_LT(s->msgs, MSG_MAX);
	ASSERT_EQ(first, s->next);
	for (i = 0; i < n; i++)
		bytes += recs[i].len;
	s->at[s->msgs] = pogo_clock_now(s->c);
	s->first[s->msgs] = first;
	s->n[s->msgs] = n;
	s->bytes[s->msgs] = bytes;
	s->msgs++;
	s->next = first + n;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)recs[n - 1].len,
	    recs[n - 1].data);
}

static void
ob_drained(struct pogo_outbatch *b, void *arg)
{
	struct sent *s = arg;

	s->drained++;
	s->drained_at = pogo_clock_now(s->c);
}

static const struct pogo_outbatch_cbs ob_cbs = { ob_send, ob_drained };

TEST(records_of_a_turn_leave_together_then_paced)
{
	struct sent s = { 0 };
	struct pogo_outbatch *b;

	s.c = pogo_clock_manual_new(0);
	b = pogo_outbatch_new(s.c, &ob_cbs, &s);
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, "a", 1);
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDERR, "b", 1);
	/* Nothing from inside add. */
	ASSERT_EQ(s.msgs, 0);
	pogo_clock_manual_advance(s.c, 0);
	ASSERT_EQ(s.msgs, 1);
	ASSERT_EQ(s.n[0], 2);
	ASSERT_EQ(s.first[0], 0);
	/* 10 ms later: waits for the 100 ms pace. */
	pogo_clock_manual_advance(s.c, 10);
	pogo_outbatch_add(b, 1.01, POGO_OUT_STDOUT, "c", 1);
	pogo_clock_manual_advance(s.c, 80);
	ASSERT_EQ(s.msgs, 1);
	pogo_outbatch_add(b, 1.09, POGO_OUT_STDOUT, "d", 1);
	pogo_clock_manual_advance(s.c, 10);
	ASSERT_EQ(s.msgs, 2);
	ASSERT_EQ(s.at[1], 100);
	ASSERT_EQ(s.first[1], 2);
	ASSERT_EQ(s.n[1], 2);
	ASSERT_STR_EQ(s.last, "d");
	/* Quiet for a while: the next record leaves at once. */
	pogo_clock_manual_advance(s.c, 5000);
	pogo_outbatch_add(b, 6.1, POGO_OUT_STDOUT, "e", 1);
	pogo_clock_manual_advance(s.c, 0);
	ASSERT_EQ(s.msgs, 3);
	ASSERT_EQ(s.at[2], 5100);
	ASSERT_EQ(pogo_outbatch_count(b), 5);
	pogo_outbatch_end(b);
	ASSERT_EQ(s.drained, 0);
	pogo_clock_manual_advance(s.c, 1000);
	ASSERT_EQ(s.drained, 1);
	ASSERT_EQ(s.msgs, 3);
	pogo_outbatch_free(b);
	pogo_clock_free(s.c);
}

TEST(a_flood_is_cut_at_64k_and_10_messages_a_second)
{
	struct sent s = { 0 };
	struct pogo_outbatch *b;
	char rec[4096];
	int i, j, in_window;

	s.c = pogo_clock_manual_new(0);
	b = pogo_outbatch_new(s.c, &ob_cbs, &s);
	/* 2 MiB at once, in records of 4096 bytes. */
	for (i = 0; i < 512; i++) {
		memset(rec, 'a' + i % 26, sizeof(rec));
		snprintf(rec, sizeof(rec), "%d", i);
		pogo_outbatch_add(b, 1, POGO_OUT_STDOUT, rec, sizeof(rec));
	}
	pogo_outbatch_add(b, 1, POGO_OUT_STDOUT, "end", 3);
	ASSERT_EQ(pogo_outbatch_pending(b), 512 * 4096 + 3);
	pogo_outbatch_end(b);
	pogo_clock_manual_advance(s.c, 60000);
	ASSERT_EQ(s.drained, 1);
	ASSERT_EQ(s.next, 513);
	ASSERT_EQ(pogo_outbatch_count(b), 513);
	ASSERT_EQ(pogo_outbatch_pending(b), 0);
	ASSERT_STR_EQ(s.last, "end");
	/* 16 records of 4 KiB fill a message; 33 messages in all. */
	ASSERT_EQ(s.msgs, 33);
	for (i = 0; i < s.msgs; i++) {
		ASSERT_LE(s.bytes[i], POGO_PROTO_OUTPUT_MAX);
		in_window = 0;
		for (j = i; j < s.msgs && s.at[j] < s.at[i] + 1000; j++)
			in_window++;
		ASSERT_LE(in_window, 10);
	}
	ASSERT_EQ(s.n[0], 16);
	ASSERT_EQ(s.bytes[0], POGO_PROTO_OUTPUT_MAX);
	/* Drained right after the last message, not a pace later. */
	ASSERT_EQ(s.drained_at, s.at[s.msgs - 1]);
	pogo_outbatch_free(b);
	pogo_clock_free(s.c);
}

TEST(empty_task_drains_and_free_drops_the_rest)
{
	struct sent s = { 0 };
	struct pogo_outbatch *b;

	s.c = pogo_clock_manual_new(0);
	b = pogo_outbatch_new(s.c, &ob_cbs, &s);
	pogo_outbatch_end(b);
	ASSERT_EQ(s.drained, 0);
	pogo_clock_manual_advance(s.c, 0);
	ASSERT_EQ(s.drained, 1);
	ASSERT_EQ(s.msgs, 0);
	ASSERT_EQ(pogo_outbatch_count(b), 0);
	pogo_outbatch_free(b);
	/* Freed with records waiting: no callback, no leak (ASan). */
	b = pogo_outbatch_new(s.c, &ob_cbs, &s);
	pogo_outbatch_add(b, 1, POGO_OUT_STDOUT, "x", 1);
	pogo_outbatch_free(b);
	pogo_clock_manual_advance(s.c, 1000);
	ASSERT_EQ(s.msgs, 0);
	pogo_clock_free(s.c);
}
