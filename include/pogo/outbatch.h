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
 * pogo_outbatch_count() records.  What waits is held in memory:
 * pogo_outbatch_pending() lets the worker pause a command that prints
 * faster than 640 KiB a second (exec.h's pause); it counts each record's
 * overhead too, so a flood of empty records pauses the command as well.
 */
#ifndef POGO_OUTBATCH_H
#define POGO_OUTBATCH_H

#include "pogo/clock.h"
#include "pogo/proto.h"

#define POGO_OUTBATCH_INTERVAL_MS 100
/* JSON around one record's data, at least (outbatch.c). */
#define POGO_OUTBATCH_RECORD_OVERHEAD 80

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

#endif
