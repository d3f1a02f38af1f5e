/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/outbatch.c on a manual clock: records numbered from 0
 * without gaps, at most 64 KiB of data per message, at most 10 messages
 * in any second, records of one loop turn in one message, nothing sent
 * from inside add, and drained once after the last message.
 */
#include "pogo/compat.h"

#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

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
	bool last_eol;
	size_t pending[MSG_MAX]; /* pogo_outbatch_pending() inside send */
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
	s->pending[s->msgs] = pogo_outbatch_pending(b);
	s->first[s->msgs] = first;
	s->n[s->msgs] = n;
	s->bytes[s->msgs] = bytes;
	s->msgs++;
	s->next = first + n;
	snprintf(s->last, sizeof(s->last), "%.*s", (int)recs[n - 1].len,
	    recs[n - 1].data);
	s->last_eol = recs[n - 1].eol;
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
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, "a", 1, true);
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDERR, "b", 1, true);
	/* Nothing from inside add. */
	ASSERT_EQ(s.msgs, 0);
	pogo_clock_manual_advance(s.c, 0);
	ASSERT_EQ(s.msgs, 1);
	ASSERT_EQ(s.n[0], 2);
	ASSERT_EQ(s.first[0], 0);
	/* 10 ms later: waits for the 100 ms pace. */
	pogo_clock_manual_advance(s.c, 10);
	pogo_outbatch_add(b, 1.01, POGO_OUT_STDOUT, "c", 1, true);
	pogo_clock_manual_advance(s.c, 80);
	ASSERT_EQ(s.msgs, 1);
	pogo_outbatch_add(b, 1.09, POGO_OUT_STDOUT, "d", 1, true);
	pogo_clock_manual_advance(s.c, 10);
	ASSERT_EQ(s.msgs, 2);
	ASSERT_EQ(s.at[1], 100);
	ASSERT_EQ(s.first[1], 2);
	ASSERT_EQ(s.n[1], 2);
	ASSERT_STR_EQ(s.last, "d");
	/* Quiet for a while: the next record leaves at once. */
	pogo_clock_manual_advance(s.c, 5000);
	pogo_outbatch_add(b, 6.1, POGO_OUT_STDOUT, "e", 1, true);
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
		pogo_outbatch_add(
		    b, 1, POGO_OUT_STDOUT, rec, sizeof(rec), true);
	}
	pogo_outbatch_add(b, 1, POGO_OUT_STDOUT, "end", 3, true);
	ASSERT_EQ(pogo_outbatch_pending(b),
	    512 * 4096 + 3 + 513 * POGO_OUTBATCH_RECORD_OVERHEAD);
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

/* Issue 9: each record keeps whether a newline ended it (SPEC 5.8). */
TEST(records_keep_their_end_of_line)
{
	struct sent s = { 0 };
	struct pogo_outbatch *b;

	s.c = pogo_clock_manual_new(0);
	b = pogo_outbatch_new(s.c, &ob_cbs, &s);
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, "line", 4, true);
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, "part", 4, false);
	pogo_clock_manual_advance(s.c, 0);
	ASSERT_EQ(s.msgs, 1);
	ASSERT_STR_EQ(s.last, "part");
	ASSERT(!s.last_eol);
	pogo_clock_manual_advance(s.c, 100);
	pogo_outbatch_add(b, 1.1, POGO_OUT_STDOUT, "rest", 4, true);
	pogo_clock_manual_advance(s.c, 0);
	ASSERT_EQ(s.msgs, 2);
	ASSERT_STR_EQ(s.last, "rest");
	ASSERT(s.last_eol);
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
	pogo_outbatch_add(b, 1, POGO_OUT_STDOUT, "x", 1, true);
	pogo_outbatch_free(b);
	pogo_clock_manual_advance(s.c, 1000);
	ASSERT_EQ(s.msgs, 0);
	pogo_clock_free(s.c);
}

/*
 * Every message of a hostile record stream must encode to a line that
 * pogo_proto_decode takes back whole and that stays under the line limit.
 */
struct wire_check {
	int msgs;
	uint64_t next;
	size_t max_n;
	size_t max_len;
	size_t max_bytes;
};

static void
wc_send(struct pogo_outbatch *b, uint64_t first,
    const struct pogo_proto_record *recs, size_t n, void *arg)
{
	struct wire_check *w = arg;
	struct pogo_msg m, back;
	char task_id[] = "127.0.0.1:7655-1";
	char *line, *cause = NULL;
	size_t len, i, bytes = 0;
	int r;

	ASSERT_EQ(first, w->next);
	pogo_proto_msg_init(&m, POGO_MSG_TASK_OUTPUT);
	m.channel = POGO_CHAN_REPORT;
	m.task_id = task_id;
	m.first = first;
	m.records = (struct pogo_proto_record *)(uintptr_t)recs;
	m.nrecords = n;
	line = pogo_proto_encode(&m, &len);
	ASSERT_LE(len, POGO_PROTO_MAX_LINE);
	pogo_proto_msg_init(&back, POGO_MSG_IGNORED);
	r = pogo_proto_decode(line, len, &back, &cause);
	if (r != 0)
		harness_fail(__FILE__, __LINE__,
		    "message %d (%zu records, "
		    "%zu bytes) does not decode: %s",
		    w->msgs, n, len, cause != NULL ? cause : "?");
	ASSERT_EQ(back.nrecords, n);
	ASSERT_EQ(back.first, first);
	for (i = 0; i < n; i++) {
		ASSERT_EQ(back.records[i].len, recs[i].len);
		ASSERT_MEM_EQ(back.records[i].data, recs[i].data, recs[i].len);
		ASSERT(!back.records[i].eol);
		bytes += recs[i].len;
	}
	ASSERT_LE(bytes, POGO_PROTO_OUTPUT_MAX);
	pogo_proto_msg_clear(&back);
	free(line);
	if (n > w->max_n)
		w->max_n = n;
	if (len > w->max_len)
		w->max_len = len;
	if (bytes > w->max_bytes)
		w->max_bytes = bytes;
	w->msgs++;
	w->next = first + n;
}

static void
wc_drained(struct pogo_outbatch *b, void *arg)
{
}

static const struct pogo_outbatch_cbs wc_cbs = { wc_send, wc_drained };

/* Feed nrec records of len bytes of c; return what was seen on the wire. */
static void
hostile_stream(struct wire_check *w, size_t nrec, char c, size_t len)
{
	struct pogo_clock *clock = pogo_clock_manual_new(0);
	struct pogo_outbatch *b = pogo_outbatch_new(clock, &wc_cbs, w);
	char *data = malloc(len + 1);
	size_t i;
	int turns;

	ASSERT(data != NULL);
	memset(data, c, len);
	memset(w, 0, sizeof(*w));
	for (i = 0; i < nrec; i++) {
		/* A timestamp with all 17 digits cJSON prints. */
		/* Partial lines: "eol": false makes them longer. */
		pogo_outbatch_add(b, 1764150000.1234567 + (double)i / 3,
		    POGO_OUT_STDERR, data, len, false);
	}
	/* Waiting records count for the pause even when they are empty. */
	ASSERT_GE(pogo_outbatch_pending(b), nrec);
	pogo_outbatch_end(b);
	for (turns = 0; turns < 100000 && w->next < nrec; turns++)
		pogo_clock_manual_advance(clock, POGO_OUTBATCH_INTERVAL_MS);
	ASSERT_EQ(w->next, nrec);
	ASSERT_EQ(pogo_outbatch_pending(b), 0);
	pogo_outbatch_free(b);
	pogo_clock_free(clock);
	free(data);
}

TEST(hostile_streams_stay_decodable_and_under_the_line_limit)
{
	struct wire_check w;

	/* 100,000 empty records: was one message of 4.8 MB. */
	hostile_stream(&w, 100000, 'x', 0);
	ASSERT_GE(w.msgs, 2);
	ASSERT_LE(w.max_n, POGO_PROTO_RECORDS_MAX);
	/* One-byte records that escape to \u00XX, 64 Ki of them and more. */
	hostile_stream(&w, 70000, '\x01', 1);
	ASSERT_GE(w.msgs, 2);
	/* Full 4 KiB records of escapes: the data cap still binds. */
	hostile_stream(&w, 100, '\x1f', 4096);
	ASSERT_EQ(w.max_bytes, POGO_PROTO_OUTPUT_MAX);
	/* NUL bytes. */
	hostile_stream(&w, 3000, '\0', 100);
	ASSERT_GE(w.msgs, 2);
}

/*
 * Inside send, pending no longer counts the message being sent: the
 * worker decides there whether to resume a paused executor (worker.c
 * worker_ob_send).  Counted, a last message of many short records (a
 * flood of `yes` lines: over 512 KiB of overhead in one message) kept
 * the executor paused with nothing left to send, and the task waited
 * for ever (t4022 on pogo one's pair).
 */
TEST(pending_inside_send_excludes_the_message)
{
	struct sent s = { 0 };
	struct pogo_outbatch *b;
	int i;

	s.c = pogo_clock_manual_new(0);
	b = pogo_outbatch_new(s.c, &ob_cbs, &s);
	for (i = 0; i < 1000; i++)
		pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, "y", 1, true);
	ASSERT_EQ(pogo_outbatch_pending(b),
	    1000 * (1 + POGO_OUTBATCH_RECORD_OVERHEAD));
	pogo_clock_manual_advance(s.c, 0);
	ASSERT_EQ(s.msgs, 1);
	ASSERT_EQ(s.n[0], 1000);
	ASSERT_EQ(s.pending[0], 0);
	ASSERT_EQ(pogo_outbatch_pending(b), 0);
	pogo_outbatch_free(b);
	pogo_clock_free(s.c);
}

/* What a capped batcher delivered: numbers and the data of each record. */
struct capped {
	uint64_t next;     /* the number after the last record received */
	uint64_t received; /* records received */
	uint64_t gaps;     /* records skipped between messages */
	unsigned last;     /* the number in the last record's data */
	bool ordered;      /* data numbers only grow */
	int drained;
};

static void
capped_send(struct pogo_outbatch *b, uint64_t first,
    const struct pogo_proto_record *recs, size_t n, void *arg)
{
	struct capped *c = arg;
	unsigned v;
	size_t i;

	ASSERT_GE(first, c->next);
	c->gaps += first - c->next;
	for (i = 0; i < n; i++) {
		v = (unsigned)strtoul(recs[i].data, NULL, 10);
		if (c->received > 0 && v <= c->last)
			c->ordered = false;
		c->last = v;
		c->received++;
	}
	c->next = first + n;
}

static void
capped_drained(struct pogo_outbatch *b, void *arg)
{
	((struct capped *)arg)->drained++;
}

static const struct pogo_outbatch_cbs capped_cbs = { capped_send,
	capped_drained };

/*
 * SPEC 9.9: at most the cap of unsent output waits; beyond it the oldest
 * unsent records are dropped, the newest kept, and the dropped ones still
 * count (a gap in the numbers, the same count for task_done).  Without a
 * cap the worker paused the whole executor instead (t4022 through the
 * pair: the linger of `yes &` never ended).
 */
TEST(cap_drops_the_oldest_unsent_records)
{
	struct capped c = { 0 };
	struct pogo_clock *clock = pogo_clock_manual_new(0);
	struct pogo_outbatch *b = pogo_outbatch_new(clock, &capped_cbs, &c);
	char line[1024];
	const size_t cap = 1024 * 1024;
	unsigned i, total = 4000;
	size_t rec = 1000 + POGO_OUTBATCH_HELD_OVERHEAD;

	c.ordered = true;
	pogo_outbatch_set_cap(b, cap);
	/* One message leaves first: the gap comes after it. */
	memset(line, 'x', sizeof(line));
	snprintf(line, sizeof(line), "%010u", 0u);
	line[10] = 'x';
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, line, 1000, true);
	pogo_clock_manual_advance(clock, 0);
	ASSERT_EQ(c.received, 1);
	/* 4 MB without a clock turn: a worker whose link is slow. */
	for (i = 1; i < total; i++) {
		snprintf(line, sizeof(line), "%010u", i);
		line[10] = 'x';
		pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, line, 1000, true);
		ASSERT_LE(pogo_outbatch_pending(b),
		    (cap / rec) * (1000 + POGO_OUTBATCH_RECORD_OVERHEAD));
	}
	ASSERT_EQ(pogo_outbatch_count(b), total);
	ASSERT_LT(0, pogo_outbatch_dropped(b));
	ASSERT_EQ(pogo_outbatch_pending(b),
	    (cap / rec) * (1000 + POGO_OUTBATCH_RECORD_OVERHEAD));
	pogo_outbatch_end(b);
	for (i = 0; i < 1000 && c.drained == 0; i++)
		pogo_clock_manual_advance(clock, POGO_OUTBATCH_INTERVAL_MS);
	ASSERT_EQ(c.drained, 1);
	/* The newest were kept, in order, the last one among them. */
	ASSERT(c.ordered);
	ASSERT_EQ(c.last, total - 1);
	ASSERT_EQ(c.next, total);
	ASSERT_EQ(c.received, 1 + cap / rec);
	ASSERT_EQ(c.gaps, pogo_outbatch_dropped(b));
	ASSERT_EQ(c.received + c.gaps, total);
	pogo_outbatch_free(b);
	pogo_clock_free(clock);
}

/* A single record larger than the cap is kept (the newest always is). */
TEST(cap_keeps_the_newest_record)
{
	struct capped c = { 0 };
	struct pogo_clock *clock = pogo_clock_manual_new(0);
	struct pogo_outbatch *b = pogo_outbatch_new(clock, &capped_cbs, &c);
	char big[4096];

	c.ordered = true;
	memset(big, 'y', sizeof(big));
	pogo_outbatch_set_cap(b, 1000);
	snprintf(big, sizeof(big), "%010u", 1u);
	big[10] = 'y';
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, big, sizeof(big), true);
	snprintf(big, sizeof(big), "%010u", 2u);
	big[10] = 'y';
	pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, big, sizeof(big), true);
	ASSERT_EQ(pogo_outbatch_dropped(b), 1);
	ASSERT_EQ(pogo_outbatch_pending(b),
	    sizeof(big) + POGO_OUTBATCH_RECORD_OVERHEAD);
	pogo_outbatch_end(b);
	pogo_clock_manual_advance(clock, 0);
	ASSERT_EQ(c.received, 1);
	ASSERT_EQ(c.last, 2);
	ASSERT_EQ(c.next, 2);
	ASSERT_EQ(c.drained, 1);
	pogo_outbatch_free(b);
	pogo_clock_free(clock);
}

/*
 * The cap is of output: 20,000 lines of 10 bytes (200 KB, 1.8 MB by
 * pogo_outbatch_pending()'s wire measure) added in one turn all stay
 * (t5210 m1 lost 8,332 of them when the cap counted the JSON).
 */
TEST(cap_counts_output_not_json)
{
	struct capped c = { 0 };
	struct pogo_clock *clock = pogo_clock_manual_new(0);
	struct pogo_outbatch *b = pogo_outbatch_new(clock, &capped_cbs, &c);
	char line[16];
	unsigned i;

	c.ordered = true;
	pogo_outbatch_set_cap(b, 1024 * 1024);
	for (i = 0; i < 20000; i++) {
		snprintf(line, sizeof(line), "%010u", i);
		pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT, line, 10, true);
	}
	ASSERT_LT(1024 * 1024, pogo_outbatch_pending(b));
	ASSERT_EQ(pogo_outbatch_dropped(b), 0);
	pogo_outbatch_end(b);
	for (i = 0; i < 1000 && c.drained == 0; i++)
		pogo_clock_manual_advance(clock, POGO_OUTBATCH_INTERVAL_MS);
	ASSERT_EQ(c.received, 20000);
	ASSERT_EQ(c.gaps, 0);
	pogo_outbatch_free(b);
	pogo_clock_free(clock);
}

/*
 * review8 11: a million one-byte records under the 1 MiB cap, without a
 * clock turn (`yes` on a daemon worker), cost O(1) each.  Dropping by a
 * memmove of every waiting record (some 60,000 of them) took hours of
 * memmove here and froze the worker; in a child bounded by alarm(20),
 * which the linear drop meets some hundred times over.
 */
static void
cap_flood_child(void)
{
	struct capped c = { 0 };
	struct pogo_clock *clock = pogo_clock_manual_new(0);
	struct pogo_outbatch *b = pogo_outbatch_new(clock, &capped_cbs, &c);
	const size_t cap = 1024 * 1024, total = 1000000;
	const size_t kept = cap / (1 + POGO_OUTBATCH_HELD_OVERHEAD);
	size_t i;

	alarm(20);
	pogo_outbatch_set_cap(b, cap);
	for (i = 0; i < total; i++)
		pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT,
		    i + 1 == total ? "7" : "y", 1, true);
	ASSERT_EQ(pogo_outbatch_count(b), total);
	ASSERT_EQ(pogo_outbatch_dropped(b), total - kept);
	ASSERT_EQ(pogo_outbatch_pending(b),
	    kept * (1 + POGO_OUTBATCH_RECORD_OVERHEAD));
	/* A message leaves, then the flood goes on over the gap. */
	pogo_clock_manual_advance(clock, 0);
	ASSERT_LT(0, c.received);
	for (i = 0; i < total; i++)
		pogo_outbatch_add(b, 2.0, POGO_OUT_STDOUT,
		    i + 1 == total ? "8" : "z", 1, true);
	ASSERT_EQ(pogo_outbatch_count(b), 2 * total);
	ASSERT_EQ(pogo_outbatch_pending(b),
	    kept * (1 + POGO_OUTBATCH_RECORD_OVERHEAD));
	pogo_outbatch_end(b);
	for (i = 0; i < 100000 && c.drained == 0; i++)
		pogo_clock_manual_advance(clock, POGO_OUTBATCH_INTERVAL_MS);
	ASSERT_EQ(c.drained, 1);
	ASSERT_EQ(c.last, 8);
	ASSERT_EQ(c.next, 2 * total);
	ASSERT_EQ(c.gaps, pogo_outbatch_dropped(b));
	ASSERT_EQ(c.received + c.gaps, 2 * total);
	ASSERT_EQ(pogo_outbatch_pending(b), 0);
	pogo_outbatch_free(b);
	pogo_clock_free(clock);
	_exit(0);
}

/*
 * A cap that keeps one record fewer than the waiting array holds (65,535
 * one-byte records, an array of 65,536): the array sits full, and every
 * add must not move all the waiting records again to make room.
 */
static void
cap_flood_full_array_child(void)
{
	struct capped c = { 0 };
	struct pogo_clock *clock = pogo_clock_manual_new(0);
	struct pogo_outbatch *b = pogo_outbatch_new(clock, &capped_cbs, &c);
	const size_t kept = 65535, total = 1000000;
	size_t i;

	alarm(20);
	pogo_outbatch_set_cap(b, kept * (1 + POGO_OUTBATCH_HELD_OVERHEAD));
	for (i = 0; i < total; i++)
		pogo_outbatch_add(b, 1.0, POGO_OUT_STDOUT,
		    i + 1 == total ? "7" : "y", 1, true);
	ASSERT_EQ(pogo_outbatch_count(b), total);
	ASSERT_EQ(pogo_outbatch_dropped(b), total - kept);
	ASSERT_EQ(pogo_outbatch_pending(b),
	    kept * (1 + POGO_OUTBATCH_RECORD_OVERHEAD));
	pogo_outbatch_end(b);
	for (i = 0; i < 100000 && c.drained == 0; i++)
		pogo_clock_manual_advance(clock, POGO_OUTBATCH_INTERVAL_MS);
	ASSERT_EQ(c.drained, 1);
	ASSERT_EQ(c.last, 7);
	ASSERT_EQ(c.received + c.gaps, total);
	pogo_outbatch_free(b);
	pogo_clock_free(clock);
	_exit(0);
}

TEST(cap_flood_with_a_full_array_is_linear)
{
	pid_t pid;
	int st;

	ASSERT((pid = fork()) >= 0);
	if (pid == 0)
		cap_flood_full_array_child();
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}

TEST(cap_flood_of_short_records_is_linear)
{
	pid_t pid;
	int st;

	ASSERT((pid = fork()) >= 0);
	if (pid == 0)
		cap_flood_child();
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
}
