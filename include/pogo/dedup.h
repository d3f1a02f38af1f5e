/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * De-duplication by task id (SPEC 8.4, N-DEDUP): the receiver of a
 * request remembers each task id it has seen and whether that task is
 * done, so a repeated run is acknowledged and not run again, a repeated
 * task_done is acknowledged and ignored, and taskstatus can answer
 * running, done or unknown.
 *
 * Bounded: ids of running tasks are kept as long as they run, at most
 * max_running of them (the worker's max_tasks: it accepts no more), and
 * the max_done most recently finished ones after that; older finished
 * ids are forgotten (a resend comes within the queue's retries, seconds
 * later), except those held (their report is not delivered yet: see
 * pogo_dedup_done_held()).  Pure; ids are copied.
 *
 * The worker's call order for a run: pogo_dedup_see() first.  UNKNOWN:
 * the id is now RUNNING; if the worker then refuses the run (`busy`), it
 * calls pogo_dedup_forget() before answering, so the same id sent again
 * later is new; else it acknowledges and runs it, and calls
 * pogo_dedup_done() when the task is done.  FULL: refuse it `busy`
 * (nothing was remembered).  RUNNING or DONE: a repeat, acknowledged and
 * not run.
 */
#ifndef POGO_DEDUP_H
#define POGO_DEDUP_H

enum pogo_dedup_state {
	POGO_DEDUP_UNKNOWN, /* never seen (or forgotten) */
	POGO_DEDUP_RUNNING, /* seen, not done */
	POGO_DEDUP_DONE,
	POGO_DEDUP_FULL, /* never seen, max_running are running: refuse */
};

struct pogo_dedup;

struct pogo_dedup *pogo_dedup_new(size_t max_running, size_t max_done);
void pogo_dedup_free(struct pogo_dedup *d);

/*
 * A request for task id arrived.  Returns the state it had: UNKNOWN means
 * new (it is now RUNNING: act on it, or forget it); FULL means new but
 * max_running ids are running already (it is not remembered); RUNNING
 * and DONE mean a repeat.
 */
enum pogo_dedup_state pogo_dedup_see(struct pogo_dedup *d, const char *id);
/* A run seen as new was refused: forget id if RUNNING (else no-op). */
void pogo_dedup_forget(struct pogo_dedup *d, const char *id);
/*
 * Task id is done (seen or not: the dispatcher's side only calls this);
 * may forget the oldest done ids.
 */
void pogo_dedup_done(struct pogo_dedup *d, const char *id);
/*
 * Task id is done and its report is still to be delivered: DONE, and
 * kept whatever max_done says until pogo_dedup_release(id) (a run or
 * taskstatus sent again before the report arrives must not find it
 * forgotten).
 */
void pogo_dedup_done_held(struct pogo_dedup *d, const char *id);
/* The report of held id was delivered: it is counted in max_done now. */
void pogo_dedup_release(struct pogo_dedup *d, const char *id);
/* The state of task id. */
enum pogo_dedup_state pogo_dedup_state(
    const struct pogo_dedup *d, const char *id);
/* Ids remembered (running and done). */
size_t pogo_dedup_count(const struct pogo_dedup *d);

#endif
