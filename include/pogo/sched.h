/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The scheduler (SPEC 3): one job's threads, slots and tasks, driven by
 * task_finished events.  Pure and single-threaded: no I/O, no libuv, no
 * clock.  It emits task_run when a task may be dispatched, waiting when a
 * task is held back by full constraint groups, and done when the job is
 * finished or deadlocked.
 *
 * Tasks are numbered 0..n-1 in schedule order (thread order, slot order,
 * slot host order), with the unconstrained thread last.
 *
 * Callbacks are made from inside pogo_sched_start(), _task_finished(),
 * _retry(), _skip() and _resume(); a callback may call
 * pogo_sched_task_finished() (or another operation) on the same schedule:
 * the work is queued and finished before the outer call returns.
 *
 * Constraint counters live in a pogo_sched_counters registry, which jobs
 * of one namespace share (SPEC 3.5).  A release in one job wakes the other
 * jobs of the registry in the same call.
 */
#ifndef POGO_SCHED_H
#define POGO_SCHED_H

#include "pogo/str.h"

struct pogo_sched;
struct pogo_sched_config;
struct pogo_sched_counters;

enum pogo_sched_outcome {
	POGO_SCHED_OK,
	POGO_SCHED_FAILED,
	POGO_SCHED_SKIPPED,
};

enum pogo_sched_task_state {
	POGO_SCHED_PENDING,  /* not started (waiting, halted, deadlocked) */
	POGO_SCHED_INFLIGHT, /* task_run emitted, not finished */
	POGO_SCHED_DONE_OK,
	POGO_SCHED_DONE_FAILED,
	POGO_SCHED_DONE_SKIPPED,
};

enum pogo_sched_end {
	POGO_SCHED_FINISHED,
	POGO_SCHED_DEADLOCKED,
};

struct pogo_sched_cbs {
	/* The task may be dispatched; it now holds its units. */
	void (*run)(struct pogo_sched *s, uint32_t task, void *arg);
	/* The task is held back by these full groups (once per episode). */
	void (*waiting)(struct pogo_sched *s, uint32_t task,
	    const uint32_t *groups, size_t ngroups, void *arg);
	/* Optional: a slot completed; a thread is done. */
	void (*slot_done)(
	    struct pogo_sched *s, uint32_t thread, uint32_t slot, void *arg);
	void (*thread_done)(struct pogo_sched *s, uint32_t thread, void *arg);
	/*
	 * Every task is final (FINISHED), or nothing can run any more
	 * (DEADLOCKED: the pending tasks stay PENDING, in schedule order).
	 * Every unit the job holds has been released.
	 */
	void (*done)(struct pogo_sched *s, enum pogo_sched_end end, void *arg);
};

/* A registry of named counters; jobs sharing one share their limits. */
struct pogo_sched_counters *pogo_sched_counters_new(void);
/* Free; every schedule using it must have been freed first. */
void pogo_sched_counters_free(struct pogo_sched_counters *c);
/* Units in use of a group name, -1 if unknown; and units of in-flight. */
int pogo_sched_counters_used(
    const struct pogo_sched_counters *c, const char *group, int *inflightp);

/*
 * Build the schedule of a job (SPEC 3.2).  cfg is a built configuration
 * (borrowed; it must outlive the schedule), or NULL for the empty one.
 * hosts are the job's hosts in job order (duplicates are removed here).
 * concurrent is NULL or the job's `concurrent` value ("N", "N%").  counters
 * is the registry to use, or NULL for private counters.  Returns 0 and
 * *sp, or POGO_ERR_CONFIG with *cause (invalid concurrent value).
 */
int pogo_sched_new(const struct pogo_sched_config *cfg,
    const struct pogo_strv *hosts, const char *concurrent,
    struct pogo_sched_counters *counters, const struct pogo_sched_cbs *cbs,
    void *arg, struct pogo_sched **sp, char **cause);
void pogo_sched_free(struct pogo_sched *s);

/*
 * Activate the first slots and run the first dispatch pass (after
 * pogo_sched_restore(): only the pass).
 */
void pogo_sched_start(struct pogo_sched *s);

/*
 * Restore the schedule of a job a restarted dispatcher reloads (SPEC
 * 6.4), instead of the start's activation: states[t] is task t's state
 * from its stored host state (PENDING: waiting; INFLIGHT: handed to a
 * worker; DONE_OK, DONE_FAILED, DONE_SKIPPED: final).  Tasks in flight
 * and failed tasks take their units again, past a limit if need be (the
 * job is active).  In each thread the slots before the last one that has
 * a started or final task are complete (a task of them that is not final
 * is a retry, which does not hold the thread), and the active slot is the
 * first from there with a task not final.  A retry in that last slot
 * holds it, although it may have been detached before the restart (its
 * slot complete): the stored host states cannot tell the two apart, and
 * holding is the stricter order (a later slot waits for the retry; it
 * never starts early).  No callback is made and
 * nothing is dispatched: pogo_sched_start() then runs the first dispatch
 * pass (and the end checks), or pogo_sched_halt() halts the job.
 * Restore every schedule of a counter registry before starting any, so
 * that no pass takes the units of another job's hosts in flight.
 * Returns 0, or POGO_ERR_STATE if s was started or restored already.
 */
int pogo_sched_restore(
    struct pogo_sched *s, const enum pogo_sched_task_state *states);

/*
 * A task ended.  Returns 0, or POGO_ERR_STATE when the task is not in
 * flight (the event is ignored).
 */
int pogo_sched_task_finished(
    struct pogo_sched *s, uint32_t task, enum pogo_sched_outcome outcome);

/* Halt: stop dispatching; failed hosts release their units (SPEC 5.3). */
void pogo_sched_halt(struct pogo_sched *s);
/*
 * Resume a halted, deadlocked or finished job: failed hosts take their
 * units back, pending tasks are judged again.
 */
void pogo_sched_resume(struct pogo_sched *s);
/*
 * Retry a failed or finished task: it becomes pending (reusing the units
 * it still holds).  Does not resume an inactive job by itself.  Returns 0,
 * or POGO_ERR_STATE when the task is not final-failed or final-ok.
 */
int pogo_sched_retry(struct pogo_sched *s, uint32_t task);
/*
 * Withdraw a task that is in flight but was never started on its host (it
 * waited for a worker): it becomes pending again and gives its units
 * back.  Returns 0, or POGO_ERR_STATE when the task is not in flight.
 */
int pogo_sched_withdraw(struct pogo_sched *s, uint32_t task);
/*
 * Skip a pending or failed task: it becomes final, its units are freed,
 * and an active job runs a dispatch pass.  POGO_ERR_STATE otherwise.
 */
int pogo_sched_skip(struct pogo_sched *s, uint32_t task);

/* Is the job active (started, not halted, not done)? */
bool pogo_sched_active(const struct pogo_sched *s);

/* Read access. */
uint32_t pogo_sched_ntasks(const struct pogo_sched *s);
const char *pogo_sched_task_host(const struct pogo_sched *s, uint32_t task);
/* Task of a host name, or UINT32_MAX. */
uint32_t pogo_sched_find_task(const struct pogo_sched *s, const char *host);
enum pogo_sched_task_state pogo_sched_task_state(
    const struct pogo_sched *s, uint32_t task);
bool pogo_sched_task_holds_units(const struct pogo_sched *s, uint32_t task);
uint32_t pogo_sched_task_thread(const struct pogo_sched *s, uint32_t task);
uint32_t pogo_sched_task_slot(const struct pogo_sched *s, uint32_t task);
/* The task's groups (group indexes of this schedule). */
const uint32_t *pogo_sched_task_groups(
    const struct pogo_sched *s, uint32_t task, size_t *np);

/* Threads: the sequence threads in order, then "unconstrained". */
uint32_t pogo_sched_nthreads(const struct pogo_sched *s);
/* "thread-%09d" or "unconstrained" (borrowed). */
const char *pogo_sched_thread_name(const struct pogo_sched *s, uint32_t thread);
uint32_t pogo_sched_nslots(const struct pogo_sched *s, uint32_t thread);
const char *pogo_sched_slot_name(
    const struct pogo_sched *s, uint32_t thread, uint32_t slot);
/* Tasks of a slot: [*firstp, *firstp + *np). */
void pogo_sched_slot_tasks(const struct pogo_sched *s, uint32_t thread,
    uint32_t slot, uint32_t *firstp, uint32_t *np);
/* Active slot of a thread, or UINT32_MAX when the thread is done. */
uint32_t pogo_sched_active_slot(const struct pogo_sched *s, uint32_t thread);

uint32_t pogo_sched_ngroups(const struct pogo_sched *s);
const char *pogo_sched_group_name(const struct pogo_sched *s, uint32_t g);
uint32_t pogo_sched_group_limit(const struct pogo_sched *s, uint32_t g);
/* Units in use of the group's counter (shared by the registry). */
int pogo_sched_group_used(const struct pogo_sched *s, uint32_t g);

/* Bytes of memory the schedule holds (for benchmarks). */
size_t pogo_sched_bytes(const struct pogo_sched *s);

#endif
