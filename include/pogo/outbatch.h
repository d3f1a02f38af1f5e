/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Output batching of one task on the worker (SPEC 8.3 task_output):
 * records are numbered from 0 and leave in task_output messages of at
 * most POGO_PROTO_OUTPUT_MAX bytes of data (a single larger record goes
 * alone), at most one message every POGO_OUTBATCH_INTERVAL_MS, so at
 * most 10 messages a second per task.  A message also holds at most as
 * many records as fit a quarter of the line limit in the worst case
 * (every byte escaped as \u00XX, POGO_OUTBATCH_RECORD_OVERHEAD bytes of
 * JSON per record), so it always decodes (pogo_proto_decode) however
 * many empty or escaped records a task prints.
 *
 * Pure, on the injectable clock (clock.h).  Records added during one loop
 * turn leave together: cbs->send is only ever called from the clock's
 * timer, never from inside pogo_outbatch_add().  After pogo_outbatch_end()
 * the rest leaves at the same pace, then cbs->drained is called once
 * (from the timer too), and the worker queues task_done with
 * pogo_outbatch_count() records.  What waits is held in memory, bounded
 * by a cap (pogo_outbatch_set_cap(), SPEC 9.9: the oldest unsent records
 * are dropped), or by the caller: pogo_outbatch_pending() lets a worker
 * linked in its own process throttle a command that prints faster than
 * its dispatcher stores (exec.h's throttle).  It counts each record's
 * overhead too, so a flood of empty records counts as well.
 */
#ifndef POGO_OUTBATCH_H
#define POGO_OUTBATCH_H

#include "pogo/clock.h"
#include "pogo/proto.h"

#define POGO_OUTBATCH_INTERVAL_MS 100
/* JSON around one record's data, at least (outbatch.c). */
#define POGO_OUTBATCH_RECORD_OVERHEAD 80
/*
 * What one waiting record costs against the cap besides its data: SPEC
 * 9.9's 1 MiB is of output (20,000 lines of 10 bytes fit, t5210), yet a
 * flood of empty records is bounded too.
 */
#define POGO_OUTBATCH_HELD_OVERHEAD 16

struct pogo_outbatch;

struct pogo_outbatch_cbs {
	/* One message: records[0..n) are numbers first..first+n-1. */
	void (*send)(struct pogo_outbatch *b, uint64_t first,
	    const struct pogo_proto_record *records, size_t n, void *arg);
	void (*drained)(struct pogo_outbatch *b, void *arg);
};

struct pogo_outbatch *pogo_outbatch_new(
    struct pogo_clock *clock, const struct pogo_outbatch_cbs *cbs, void *arg);
/*
 * The least time between two messages, POGO_OUTBATCH_INTERVAL_MS unless
 * set; 0: a message on every clock turn (a worker linked to a dispatcher
 * of its own process, worker.h output_unpaced).
 */
void pogo_outbatch_set_interval(struct pogo_outbatch *b, uint64_t ms);

/*
 * SPEC 9.9: at most bytes of unsent output wait (data, plus
 * POGO_OUTBATCH_HELD_OVERHEAD a record); an add beyond it drops the
 * oldest unsent records, never the one just added.  Dropped records keep their numbers (the next
 * message's first skips them) and pogo_outbatch_count() still counts
 * them, so the dispatcher sees how many it lacks.  0 (the default): no
 * cap, the caller bounds what waits (a paused executor).
 */
void pogo_outbatch_set_cap(struct pogo_outbatch *b, size_t bytes);

/* Free b and whatever it holds (NULL-safe); no callback after this. */
void pogo_outbatch_free(struct pogo_outbatch *b);

/* Add a record (data copied); not after pogo_outbatch_end(). */
void pogo_outbatch_add(struct pogo_outbatch *b, double ts,
    enum pogo_out_type type, const char *data, size_t len, bool eol);
/* No more records: send the rest, then call cbs->drained. */
void pogo_outbatch_end(struct pogo_outbatch *b);

/* Records added so far (the "records" of task_done). */
uint64_t pogo_outbatch_count(const struct pogo_outbatch *b);
/* Bytes not sent yet: data plus POGO_OUTBATCH_RECORD_OVERHEAD a record. */
size_t pogo_outbatch_pending(const struct pogo_outbatch *b);
/* Records dropped by the cap so far. */
uint64_t pogo_outbatch_dropped(const struct pogo_outbatch *b);

#endif
