/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The job engine (SPEC 3.4-3.6, 5, 7.2): the jobs' state machines and the
 * dispatch that serves them.  Used by pogo one, and by the dispatcher,
 * which implements the executor over the network.
 *
 * A job drives its scheduler, keeps every host's state and message and the
 * job's append-only log, and applies the job timeout.  It knows nothing of
 * SSH, sockets or output formatting: a listener receives every log entry
 * and output record.
 *
 * A dispatch (struct pogo_dispatch) serves every job that runs on one
 * executor (exec.h): it owns the executor's events, and keeps ONE dispatch
 * queue over all its jobs (SPEC 7.2).
 *
 * - A task the scheduler lets run (its units taken) goes to the executor
 *   at once when the queue is empty and the executor has free capacity
 *   (exec->inflight < exec->max_tasks, and no refusal pending).  Otherwise
 *   it joins the tail of the queue, and its host shows `waiting for a
 *   worker` (SPEC 5.4): it keeps its units and counts as in flight, so it
 *   is never `failed` for want of a worker.
 * - The queue is served in order, job after job as their tasks became
 *   runnable, whenever a task of any job ends, a task is queued, or the
 *   retry timer fires.
 * - A start the executor refuses for now (UV_EBUSY, a worker's `busy`;
 *   UV_EAGAIN, UV_EMFILE, UV_ENFILE, UV_ENOMEM) is no run of the host: the
 *   task goes back to the head of the queue and the host waits (`waiting
 *   for a worker: cannot run task: ...`).  The executor counts as full
 *   until one of its tasks ends, or POGO_DISPATCH_RETRY_MS pass.  Any
 *   other refusal (the executor is closing) fails the host with `cannot
 *   run task: ...`.  A task the executor accepted and gives back unstarted
 *   (a done event with result->requeue: a late `busy`, or taskstatus
 *   `unknown`) goes back to the head of the queue the same way, or, if its
 *   job was halted meanwhile, becomes `halted` and gives its units back.
 * - A start refused with POGO_ERR_NOWORKER (no connected worker may take
 *   this task: its job's secrets are for another key, or not cached, SPEC
 *   7.2) is no run either: the host waits (`waiting for a worker`) in its
 *   place in the queue, and the tasks behind it are served; it is tried
 *   again at the next drain (a kick, a task's end).
 * - Task ids are <prefix><n> with n from the caller's counter (next_task,
 *   for example the store's pogo_store_next_task()), so they are unique
 *   across jobs and, with a stored counter, across restarts (SPEC 6.4).
 *   A run keeps its id when it goes back to the queue; a retry is a new
 *   run with a new id.
 *
 * Constraint counters (SPEC 3.5): jobs of one namespace share one counter
 * registry (pogo_dispatch_counters()); a job without a namespace has its
 * own.  Each job checks `used` against its own configuration's limit.
 * When a host of one job ends, fails or is withdrawn, every other job of
 * the registry is judged again from inside that call: its dispatch pass
 * runs (it may start hosts) and its deadlock check runs (SPEC 3.4: a job
 * waiting only for units that another job's failed hosts hold is
 * deadlocked at once, while one waiting for units of in-flight hosts,
 * queued ones included, waits).
 *
 * Lifetimes: the dispatch outlives its jobs (close every job first), and
 * the executor outlives the dispatch.
 */
#ifndef POGO_JOB_H
#define POGO_JOB_H

#include <uv.h>

#include "pogo/exec.h"
#include "pogo/str.h"

struct pogo_dispatch;
struct pogo_job;
struct pogo_sched_config;
struct pogo_sched_counters;

/* How long a refused executor is left alone when nothing of it ends. */
#define POGO_DISPATCH_RETRY_MS 1000

struct pogo_dispatch_opts {
	const char *task_prefix; /* task ids: prefix + n; NULL: "one-" */
	/*
	 * The next task number (SPEC 7.2), or NULL to count from 1 in
	 * memory.  Returns 0, or an error: the task then waits and is tried
	 * again later, as for a refusal that passes.
	 */
	int (*next_task)(void *arg, uint64_t *np);
	void *next_task_arg;
};

/*
 * A dispatch over exec (borrowed; it must outlive the dispatch), which
 * from now on reports to the dispatch (exec->ev, exec->ev_arg).  opts is
 * copied.
 */
struct pogo_dispatch *pogo_dispatch_new(uv_loop_t *loop, struct pogo_exec *exec,
    const struct pogo_dispatch_opts *opts);
/*
 * The counter registry of namespace ns (SPEC 3.5), made on first use and
 * freed with the dispatch; NULL for a NULL or empty ns (the job's own
 * counters).  Give it to pogo_job_opts.counters.
 */
struct pogo_sched_counters *pogo_dispatch_counters(
    struct pogo_dispatch *d, const char *ns);
/*
 * Task ids from now on are prefix + n (copied): for a prefix known only
 * after the dispatch was made (a worker port bound later).
 */
void pogo_dispatch_set_prefix(struct pogo_dispatch *d, const char *prefix);
/*
 * The executor has room again for a reason the dispatch cannot see (a
 * worker connected, max_tasks grew): forget a pending refusal and serve
 * the queue now.  Queued hosts may become `ready` (listener entries)
 * from inside the call.
 */
void pogo_dispatch_kick(struct pogo_dispatch *d);
/* Tasks in the dispatch queue (waiting for a worker). */
uint32_t pogo_dispatch_queued(const struct pogo_dispatch *d);
/* Jobs made on the dispatch and not yet freed. */
uint32_t pogo_dispatch_njobs(const struct pogo_dispatch *d);
/*
 * Close the dispatch, after pogo_job_close() of every job of it (their
 * closes may still be under way); cb is called once, later, after the
 * last job is freed; then the dispatch is freed, with its counter
 * registries.
 */
void pogo_dispatch_close(
    struct pogo_dispatch *d, void (*cb)(void *arg), void *arg);

enum pogo_job_state {
	POGO_JOB_GATHERING,
	POGO_JOB_RUNNING,
	POGO_JOB_FINISHED,
	POGO_JOB_DEADLOCKED,
	POGO_JOB_HALTED,
};

enum pogo_host_state {
	POGO_HOST_WAITING,
	POGO_HOST_READY,
	POGO_HOST_RUNNING,
	POGO_HOST_FINISHED,
	POGO_HOST_FAILED,
	POGO_HOST_UNREACHABLE,
	POGO_HOST_SKIPPED,
	POGO_HOST_HALTED,
	POGO_HOST_DEADLOCKED,
	POGO_HOST_NSTATES
};

/* "running", "finished", ... (SPEC 5.3, 5.4). */
const char *pogo_job_state_name(enum pogo_job_state s);
const char *pogo_host_state_name(enum pogo_host_state s);

struct pogo_job_opts {
	const char *id; /* "p0000000000" */
	const char *command;
	const char *run_as;         /* NULL: the login user (SPEC 9.5) */
	unsigned timeout;           /* per host, seconds; 0: none */
	unsigned job_timeout;       /* seconds; 0: none */
	const char *concurrent;     /* NULL, or SPEC 5.1 `concurrent` */
	struct pogo_exec_stub stub; /* retry, hooks, lock, script (copied) */
	/* NULL: the job's own; else shared, see pogo_dispatch_counters() */
	struct pogo_sched_counters *counters;
};

/* One log entry (SPEC 5.7); valid during the listener call. */
struct pogo_job_entry {
	uint32_t index;
	double time;      /* seconds since the epoch */
	const char *host; /* NULL for job entries */
	int state;        /* enum pogo_job_state or pogo_host_state */
	const char *message;
	int exitstatus; /* -1: none */
	uint32_t run;   /* host entries: the run number, from 0 (SPEC 5.8) */
	bool output;    /* the entry names the run's output */
	/*
	 * Host entries while the run has a task id (from its first hand-over
	 * to the executor to its final entry): that id; NULL otherwise, and
	 * always NULL from pogo_job_log().
	 */
	const char *task_id;
};

struct pogo_job_listener {
	void (*entry)(
	    struct pogo_job *job, const struct pogo_job_entry *e, void *arg);
	void (*output)(struct pogo_job *job, const char *host, uint32_t run,
	    enum pogo_out_type type, const char *data, size_t len, bool eol,
	    double time, void *arg);
	/* The job is no longer active and no host is in flight. */
	void (*end)(struct pogo_job *job, void *arg);
};

/*
 * Create a job on hosts (job order) with configuration cfg (borrowed, NULL
 * for the empty one) on dispatch d (borrowed).  Returns 0 and *jobp, or
 * POGO_ERR_CONFIG with *cause.  Nothing happens before pogo_job_start().
 */
int pogo_job_new(uv_loop_t *loop, const struct pogo_sched_config *cfg,
    const struct pogo_strv *hosts, const struct pogo_job_opts *opts,
    struct pogo_dispatch *d, const struct pogo_job_listener *listener,
    void *arg, struct pogo_job **jobp, char **cause);

/*
 * Log the creation, build the schedule, start the job timeout, dispatch
 * (a loaded job: see pogo_job_load()).
 */
void pogo_job_start(struct pogo_job *job);

/*
 * Restart (SPEC 6.4).  A job a restarted dispatcher reloads is made with
 * pogo_job_new() and, instead of being built, given what was stored:
 * every log entry in order (pogo_job_load_entry(): e->index must be the
 * job's next one, e->host a host name or NULL, e->task_id ignored),
 * every host's state (pogo_job_load_host()), then pogo_job_load() with
 * the job's stored state (any: an ended job is reloaded on demand).  None
 * of them calls the listener.  pogo_job_load() restores the schedule (pogo_sched_restore():
 * hosts in flight and failed hosts hold their units again; a job stored
 * ended, `finished`, `deadlocked` or `halted`, holds only those of its
 * hosts in flight, as it did when it ended) and dispatches nothing: load
 * every job of a dispatch first, then pogo_job_start() each one, which
 *   - hands every host that was `ready` or `running` to the executor's
 *     adopt op (with its stored task id, worker and instance), never
 *     running it again; a host the executor cannot adopt is `failed`,
 *     "lost contact with worker", keeping its units (SPEC 7.3);
 *   - for a job stored `gathering`, logs what pogo_job_start() would
 *     have logged after entry 0 and goes `running`;
 *   - halts an expired job with "timeout reached", then a job whose
 *     secrets were lost (secrets_lost) with "dispatcher restarted"
 *     (waiting hosts become `halted`, hosts in flight finish);
 *   - otherwise re-arms the job timeout from start_time (entry 0's
 *     time) and runs the first dispatch pass;
 *   - for a job stored ended, does nothing more: it stays in its state
 *     (the listener's end once no host is in flight), and the job
 *     operations (resume, retry, skip) apply to it as to a job that
 *     ended in this process.
 * Task numbers come from the dispatch's counter as for any run.
 */
struct pogo_job_stored_host {
	const char *host;
	enum pogo_host_state state;
	const char *message; /* NULL: none yet */
	int exitstatus;      /* -1: none */
	uint32_t runs;       /* runs started (SPEC 6.1) */
	/* `ready` and `running` hosts: the run in flight (borrowed). */
	const char *task_id;
	const char *worker;
	const char *instance;
	double started_at; /* `running`: when its command started */
	uint64_t records;  /* output records of the run in flight stored */
};
/* 0, or POGO_ERR_STATE (out of order, job started) / POGO_ERR_NOTFOUND. */
int pogo_job_load_entry(struct pogo_job *job, const struct pogo_job_entry *e);
int pogo_job_load_host(
    struct pogo_job *job, const struct pogo_job_stored_host *h);
/* 0, or POGO_ERR_STATE (no entry 0, no such state, job started). */
int pogo_job_load(
    struct pogo_job *job, enum pogo_job_state state, bool secrets_lost);

/*
 * Job operations (SPEC 5.5).  0, or POGO_ERR_STATE / POGO_ERR_NOTFOUND.
 * The job timeout's deadline is start_time + job_timeout: resume and
 * retry re-arm the timer for the time left (a job resumed past it is
 * halted at once with "timeout reached"), and retry is refused with
 * POGO_ERR_TIMEOUT once the deadline has passed (the job has expired).
 */
int pogo_job_halt(struct pogo_job *job, const char *reason);
int pogo_job_resume(struct pogo_job *job);
int pogo_job_retry(struct pogo_job *job, const char *host);
int pogo_job_skip(struct pogo_job *job, const char *host);
/* Has the job expired (start_time + job_timeout <= now, SPEC 5.5)? */
bool pogo_job_expired(const struct pogo_job *job);
/*
 * jobalter (SPEC 5.5): set attr to value for the hosts handed over
 * afterwards.  "timeout" and "retry" take a non-negative integer,
 * "prehook", "posthook" and "lock" 1/0/true/false, "command" non-empty
 * text, "message" anything (the job record's, not the job's).  0,
 * POGO_ERR_NOTFOUND for another attribute, UV_EINVAL for a bad value;
 * nothing changes on an error.
 */
int pogo_job_alter(struct pogo_job *job, const char *attr, const char *value);
/* The checks of pogo_job_alter() alone, for a job not at hand. */
int pogo_job_alter_check(const char *attr, const char *value);
/* Stop every running task ("killed"); used on a second Ctrl-C. */
void pogo_job_kill(struct pogo_job *job);

enum pogo_job_state pogo_job_state(const struct pogo_job *job);
const char *pogo_job_id(const struct pogo_job *job);
uint32_t pogo_job_nhosts(const struct pogo_job *job);
/* Hosts per state. */
uint32_t pogo_job_count(const struct pogo_job *job, enum pogo_host_state s);
/* Hosts handed to the executor and not yet done (not the queued ones). */
uint32_t pogo_job_inflight(const struct pogo_job *job);
/* A host's state and exit status (-1: none); POGO_ERR_NOTFOUND. */
int pogo_job_host(const struct pogo_job *job, const char *host,
    enum pogo_host_state *statep, int *exitp);
/* The job's log (for tests and the API): entry i, or NULL. */
bool pogo_job_log(
    const struct pogo_job *job, uint32_t i, struct pogo_job_entry *e);
/* The scheduler (read-only use: the schedule table of --dry-run). */
const struct pogo_sched *pogo_job_sched(const struct pogo_job *job);

/*
 * The executor was closed with tasks of this job in flight (a daemon that
 * stops leaves them to its workers, SPEC 6.4): forget them, with no
 * event, so that the job may be closed.
 */
void pogo_job_abandon(struct pogo_job *job);

/* Close the job's handles; cb is called once, later; then it is freed. */
void pogo_job_close(struct pogo_job *job, void (*cb)(void *arg), void *arg);

#endif
