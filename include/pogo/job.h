/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The job engine (SPEC 3.4-3.6, 5): one job's state machine.  It drives
 * the scheduler, keeps every host's state and message and the job's
 * append-only log, hands runnable tasks to an executor (exec.h) within the
 * executor's capacity, and applies the host and job timeouts.  It knows
 * nothing of SSH, sockets or output formatting: a listener receives every
 * log entry and output record.  Used by pogo one, and by the dispatcher,
 * which will implement the executor over the network.
 */
#ifndef POGO_JOB_H
#define POGO_JOB_H

#include <uv.h>

#include "pogo/exec.h"
#include "pogo/str.h"

struct pogo_job;
struct pogo_sched_config;
struct pogo_sched_counters;

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
	struct pogo_sched_counters *counters; /* NULL: the job's own */
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
 * for the empty one) and executor exec (borrowed).  Returns 0 and *jobp, or
 * POGO_ERR_CONFIG with *cause.  Nothing happens before pogo_job_start().
 */
int pogo_job_new(uv_loop_t *loop, const struct pogo_sched_config *cfg,
    const struct pogo_strv *hosts, const struct pogo_job_opts *opts,
    struct pogo_exec *exec, const struct pogo_job_listener *listener, void *arg,
    struct pogo_job **jobp, char **cause);

/* Log the creation, build the schedule, start the job timeout, dispatch. */
void pogo_job_start(struct pogo_job *job);

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
/* Stop every running task ("killed"); used on a second Ctrl-C. */
void pogo_job_kill(struct pogo_job *job);

enum pogo_job_state pogo_job_state(const struct pogo_job *job);
const char *pogo_job_id(const struct pogo_job *job);
uint32_t pogo_job_nhosts(const struct pogo_job *job);
/* Hosts per state. */
uint32_t pogo_job_count(const struct pogo_job *job, enum pogo_host_state s);
/* Hosts handed to the executor and not yet done. */
uint32_t pogo_job_inflight(const struct pogo_job *job);
/* A host's state and exit status (-1: none); POGO_ERR_NOTFOUND. */
int pogo_job_host(const struct pogo_job *job, const char *host,
    enum pogo_host_state *statep, int *exitp);
/* The job's log (for tests and the API): entry i, or NULL. */
bool pogo_job_log(
    const struct pogo_job *job, uint32_t i, struct pogo_job_entry *e);
/* The scheduler (read-only use: the schedule table of --dry-run). */
const struct pogo_sched *pogo_job_sched(const struct pogo_job *job);

/* Close the job's handles; cb is called once, later; then it is freed. */
void pogo_job_close(struct pogo_job *job, void (*cb)(void *arg), void *arg);

#endif
