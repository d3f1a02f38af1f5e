/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Output batching (outbatch.h).  Records wait in recs[head..n): a message
 * or a drop by the cap only moves head, and the array is compacted when
 * the dead prefix is more than half of it (or to make room), so every
 * record costs O(1) amortised however many wait (review8 11: a memmove
 * of all waiting records on each add froze a worker running `yes`).  One
 * timer paces the messages.
 */
#include "pogo/compat.h"

#include "pogo/log.h"
#include "pogo/outbatch.h"
#include "pogo/xmalloc.h"

/*
 * The worst case of one record on the wire: each byte of data escaped as
 * \u00XX, plus {"ts":<17 digits and an exponent>,"type":"STDERR",
 * "data":"","eol":false}, (POGO_OUTBATCH_RECORD_OVERHEAD is at least
 * that).  A message holds at most OUTBATCH_ENCODED_MAX of records by that
 * measure, well under the line limit whatever the task id and the rest
 * take.
 */
#define OUTBATCH_ESCAPE 6
#define OUTBATCH_ENCODED_MAX (POGO_PROTO_MAX_LINE / 4)
_Static_assert(
    POGO_PROTO_OUTPUT_MAX *OUTBATCH_ESCAPE + POGO_OUTBATCH_RECORD_OVERHEAD <=
        OUTBATCH_ENCODED_MAX,
    "a full message of data fits the encoded budget");
_Static_assert(OUTBATCH_ENCODED_MAX / POGO_OUTBATCH_RECORD_OVERHEAD <=
        POGO_PROTO_RECORDS_MAX,
    "the budget caps records per message below the decoder's limit");

struct pogo_outbatch {
	struct pogo_clock *clock;
	struct pogo_clock_timer *timer;
	const struct pogo_outbatch_cbs *cbs;
	void *arg;
	struct pogo_proto_record *recs; /* waiting: recs[head..n) */
	size_t head, n, cap;
	size_t pending; /* data + per-record overhead waiting */
	size_t held;    /* data + POGO_OUTBATCH_HELD_OVERHEAD a record */
	uint64_t first; /* number of recs[head] */
	bool sent_once;
	uint64_t last_sent;
	uint64_t interval; /* ms between messages */
	size_t limit;      /* pending beyond it drops the oldest; 0: none */
	uint64_t dropped;
	bool ended, drained;
};

static void outbatch_timer_cb(struct pogo_clock_timer *t, void *arg);

struct pogo_outbatch *
pogo_outbatch_new(
    struct pogo_clock *clock, const struct pogo_outbatch_cbs *cbs, void *arg)
{
	struct pogo_outbatch *b = xcalloc(1, sizeof(*b));

	b->clock = clock;
	b->timer = pogo_clock_timer_new(clock, outbatch_timer_cb, b);
	b->cbs = cbs;
	b->arg = arg;
	b->interval = POGO_OUTBATCH_INTERVAL_MS;
	return b;
}

void
pogo_outbatch_set_interval(struct pogo_outbatch *b, uint64_t ms)
{
	b->interval = ms;
}

void
pogo_outbatch_set_cap(struct pogo_outbatch *b, size_t bytes)
{
	b->limit = bytes;
}

void
pogo_outbatch_free(struct pogo_outbatch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = b->head; i < b->n; i++)
		free(b->recs[i].data);
	free(b->recs);
	pogo_clock_timer_free(b->timer);
	free(b);
}

/* Arm the timer for the earliest time the next message may leave. */
static void
outbatch_arm(struct pogo_outbatch *b)
{
	uint64_t now = pogo_clock_now(b->clock), at = now;

	if (pogo_clock_timer_active(b->timer))
		return;
	if (b->sent_once && b->last_sent + b->interval > now)
		at = b->last_sent + b->interval;
	pogo_clock_timer_start(b->timer, at - now);
}

/*
 * Move the live records to the front when the dead prefix is more than
 * half of the array (force: whenever there is one; pogo_outbatch_add()
 * forces it only once a quarter of the array is dead): each compaction
 * moves at most three records for each that died since the last, O(1)
 * amortised a record.
 */
static void
outbatch_compact(struct pogo_outbatch *b, bool force)
{
	if (b->head == 0 || (!force && b->head <= b->n / 2))
		return;
	memmove(
	    b->recs, b->recs + b->head, (b->n - b->head) * sizeof(*b->recs));
	b->n -= b->head;
	b->head = 0;
}

/*
 * SPEC 9.9: beyond the cap, the oldest unsent records go (the newest one
 * always stays).  They keep their numbers: the next message's first says
 * where the gap is, and pogo_outbatch_count() still counts them.
 */
static void
outbatch_drop(struct pogo_outbatch *b)
{
	struct pogo_proto_record *r;

	if (b->limit == 0 || b->held <= b->limit)
		return;
	while (b->held > b->limit && b->head + 1 < b->n) {
		r = &b->recs[b->head++];
		b->pending -= r->len + POGO_OUTBATCH_RECORD_OVERHEAD;
		b->held -= r->len + POGO_OUTBATCH_HELD_OVERHEAD;
		free(r->data);
		r->data = NULL;
		b->first++;
		b->dropped++;
	}
	outbatch_compact(b, false);
}

void
pogo_outbatch_add(struct pogo_outbatch *b, double ts, enum pogo_out_type type,
    const char *data, size_t len, bool eol)
{
	struct pogo_proto_record *r;

	if (b->ended)
		POGO_BUG("output added after the end");
	/*
	 * Full: compact only if a quarter of the array is dead (each such
	 * compaction follows at least cap/4 records gone since the last),
	 * else grow, so a cap that keeps about as many records as the array
	 * holds does not move them all again on every add.
	 */
	if (b->n == b->cap && b->head >= b->cap / 4)
		outbatch_compact(b, true);
	if (b->n == b->cap) {
		b->cap = b->cap != 0 ? b->cap * 2 : 16;
		b->recs = xreallocarray(b->recs, b->cap, sizeof(*b->recs));
	}
	r = &b->recs[b->n++];
	r->ts = ts;
	r->type = type;
	r->data = xmalloc(len + 1);
	memcpy(r->data, data, len);
	r->data[len] = '\0';
	r->len = len;
	r->eol = eol;
	b->pending += len + POGO_OUTBATCH_RECORD_OVERHEAD;
	b->held += len + POGO_OUTBATCH_HELD_OVERHEAD;
	outbatch_drop(b);
	outbatch_arm(b);
}

void
pogo_outbatch_end(struct pogo_outbatch *b)
{
	b->ended = true;
	outbatch_arm(b);
}

static void
outbatch_timer_cb(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_outbatch *b = arg;
	size_t k = 0, bytes = 0, enc = 0, len, i;
	struct pogo_proto_record *recs = NULL; /* b->recs is NULL at first */
	size_t n = b->n - b->head;

	if (n > 0) {
		recs = b->recs + b->head;
		/*
		 * As many records as fit in one message, at least one: at
		 * most POGO_PROTO_OUTPUT_MAX bytes of data, and at most
		 * OUTBATCH_ENCODED_MAX encoded in the worst case, which also
		 * keeps the count under POGO_PROTO_RECORDS_MAX.
		 */
		while (k < n) {
			len = recs[k].len;
			if (k > 0 &&
			    (bytes + len > POGO_PROTO_OUTPUT_MAX ||
			        enc + len * OUTBATCH_ESCAPE +
			                POGO_OUTBATCH_RECORD_OVERHEAD >
			            OUTBATCH_ENCODED_MAX ||
			        k == POGO_PROTO_RECORDS_MAX))
				break;
			bytes += len;
			enc += len * OUTBATCH_ESCAPE +
			    POGO_OUTBATCH_RECORD_OVERHEAD;
			k++;
		}
		b->sent_once = true;
		b->last_sent = pogo_clock_now(b->clock);
		/*
		 * Not pending any more from send's point of view: the
		 * worker resumes a paused executor from there.
		 */
		b->pending -= bytes + k * POGO_OUTBATCH_RECORD_OVERHEAD;
		b->held -= bytes + k * POGO_OUTBATCH_HELD_OVERHEAD;
		b->cbs->send(b, b->first, recs, k, b->arg);
		for (i = 0; i < k; i++) {
			free(recs[i].data);
			recs[i].data = NULL;
		}
		b->head += k;
		b->first += k;
		if (b->head == b->n)
			b->head = b->n = 0;
		else
			outbatch_compact(b, false);
		if (b->head < b->n) {
			outbatch_arm(b);
			return;
		}
	}
	if (b->ended && !b->drained) {
		b->drained = true;
		b->cbs->drained(b, b->arg);
	}
}

uint64_t
pogo_outbatch_count(const struct pogo_outbatch *b)
{
	return b->first + (b->n - b->head);
}

size_t
pogo_outbatch_pending(const struct pogo_outbatch *b)
{
	return b->pending;
}

uint64_t
pogo_outbatch_dropped(const struct pogo_outbatch *b)
{
	return b->dropped;
}
