/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher's durable store (SPEC 6): an SQLite database,
 * <state_dir>/pogo.db in WAL mode, or an in-memory database for `pogo one`
 * without --state-dir.  src/store.c is the only file that includes SQLite;
 * callers see no SQL.
 *
 * What is stored (SPEC 6.1): job records (every non-secret field of SPEC
 * 5.1 and what the dispatcher adds), the job's range patterns, per host
 * its state, message, exit status, run count, start and finish time of
 * the latest run, task id, worker name and instance; every log entry
 * (5.7); every output record (5.8) per job, host and run; the counters
 * (next job number, next task number) and settings (`nomas`); per job
 * the number of hosts in each state, kept by the statements that write
 * host rows (schema 2), for the control port's summaries; per output
 * record whether a newline ended it (schema 3); per job the answers its
 * external references (SPEC 2.7) got when it was submitted, so that a
 * reloaded job keeps its constraint groups (schema 4).  No function here takes
 * a password, key, passphrase or their encrypted forms (SPEC 6.2): the
 * job record only says whether secrets exist and for which worker key
 * (key_id).
 *
 * Jobs are named by their number n (job id "p%010llu", SPEC 5.2), hosts
 * by their index in the job's target list.
 *
 * Write grouping (SPEC 6.3).  A write function runs its statement at once
 * inside the store's open transaction and returns; nothing is durable
 * until that transaction commits.  The store commits it at the end of the
 * loop turn in which the first change was made (a uv_check handle, with a
 * uv_idle handle keeping the loop from blocking in poll meanwhile), so the
 * changes of one turn share one commit.  A transaction that reaches
 * POGO_STORE_MAX_BATCH changes is committed at once by the write that
 * reaches it, which bounds the transaction and the time one commit takes.
 * Output records are buffered in memory and written at least once per
 * output interval (1 s by default), or sooner when the buffer is full.
 *
 * After-commit callbacks carry the write rules: the engine queues the
 * `ready` state, task id and worker of a task, then calls
 * pogo_store_after_commit() and sends the task from the callback; a
 * worker's report is stored the same way and acknowledged from the
 * callback; a job is inserted and its id returned to the client from the
 * callback.  Callbacks run in the order they were registered, each after
 * every change queued before it is committed.
 *
 * Reads (the loaders used at restart and the control port's queries) run
 * synchronously on the caller's thread over the main connection, so they
 * also see changes not yet committed.  They are indexed and paged; keep
 * `max` small on the loop thread.
 *
 * WAL checkpoints run in libuv's thread pool on a second connection (the
 * main connection never checkpoints on its own); the last one runs when
 * the store closes.  Measured by test/bench/bench-store.c
 * (test/bench/README.md): a turn of 768 changes (256 hosts, each a host
 * state, a log entry and an output record) costs the loop about 4 ms, of
 * which the commit is about 1 ms (a write() to the WAL, no fsync); the
 * store takes 372 bytes per host of a 20,000-host job.
 *
 * How the dispatcher engine adopts it: at start, pogo_store_open(); load
 * every job with pogo_store_jobs(), then per active job its hosts and log
 * (SPEC 6.4), and rebuild schedules from them without storing anything
 * new; counters continue by themselves.  Then every job-listener event
 * (pogo_job_listener in job.h) maps to one call: a log entry to
 * pogo_store_log_append(), the host's new state to pogo_store_host_set(),
 * output to pogo_store_output_append(); the points where the engine must
 * wait (send a task, acknowledge a report, answer a submit) call
 * pogo_store_after_commit().
 */
#ifndef POGO_STORE_H
#define POGO_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct pogo_store;

/* The schema version this pogo writes (PRAGMA user_version). */
#define POGO_STORE_SCHEMA_VERSION 5
/* Changes per transaction before the store commits without waiting. */
#define POGO_STORE_MAX_BATCH 4096
/* Buffered output records (or 1 MiB of data) before they are written. */
#define POGO_STORE_MAX_OUTPUT 4096

struct pogo_store_opts {
	/* NULL: an in-memory database, no lock, nothing on disk. */
	const char *state_dir;
	/* Longest wait of a buffered output record; 0: 1000 ms. */
	unsigned output_interval_ms;
	/* WAL pages that trigger a checkpoint in the pool; 0: 1000. */
	unsigned checkpoint_pages;
	/*
	 * Called once (may be NULL), from the loop, after the first commit
	 * that failed, with its status, whether or not an after-commit
	 * callback was waiting on it (pogo one's job would never end).
	 */
	void (*broken)(struct pogo_store *st, int status, void *arg);
	void *broken_arg;
};

/*
 * A job record (SPEC 5.1 and what the dispatcher adds), secrets excluded.
 * Passed to pogo_store_job_insert() its strings are borrowed; one made by
 * the store (pogo_store_job_get(), the visitor of pogo_store_jobs()) owns
 * its strings and is freed with pogo_store_job_free().
 */
struct pogo_store_job {
	uint64_t job;              /* the job number */
	int state;                 /* enum pogo_job_state */
	const char *state_message; /* NULL: none */
	const char *user;
	const char *run_as; /* NULL: absent, as every optional string */
	const char *ssh_user;
	int ssh_port;        /* -1: absent */
	int connect_timeout; /* -1: absent */
	const char *command;
	const char *task_name; /* "ssh" or "local" */
	const char *config;    /* YAML text or namespace name */
	const char *namespace;
	unsigned timeout;
	unsigned job_timeout;
	unsigned retry;
	bool prehook;
	bool posthook;
	bool lock;
	const char *concurrent;
	const char *exe_name;
	const char *exe_data;
	const char *requesthost;
	const char *invoked_as;
	const char *client;
	const char *email;
	const char *im_handle;
	const char *message;
	double start_time; /* time of log entry 0 */
	double end_time;   /* 0: active */
	uint32_t host_count;
	bool has_password;
	bool has_key;
	const char *key_id; /* worker key the secrets are for; NULL: none */
	const char **range; /* the range patterns as submitted */
	size_t nrange;
};

/* A host's state (SPEC 6.1).  Strings are borrowed; NULL means none. */
struct pogo_store_host {
	uint32_t idx; /* index in the job's target list */
	const char *name;
	int state; /* enum pogo_host_state */
	const char *message;
	int exitstatus;     /* -1: none */
	uint32_t runs;      /* runs started so far */
	double start_time;  /* latest run; 0: none */
	double finish_time; /* latest run; 0: none */
	const char *task_id;
	const char *worker;
	const char *worker_instance;
};

/* A log entry (SPEC 5.7).  host is -1 for job entries. */
struct pogo_store_entry {
	uint32_t index;
	double time;
	int64_t host;          /* host index, or -1 */
	const char *host_name; /* loaders fill it; ignored on append */
	int state;
	const char *message;
	int exitstatus; /* -1: none */
	uint32_t run;   /* host entries: the run number, from 0 */
	bool output;    /* the entry names the run's output */
};

enum pogo_store_out_type {
	POGO_STORE_OUT_STDOUT,
	POGO_STORE_OUT_STDERR,
	POGO_STORE_OUT_EXIT,
	POGO_STORE_OUT_ERROR,
};

/* An output record (SPEC 5.8). */
struct pogo_store_output {
	uint32_t host; /* host index */
	uint32_t run;
	uint32_t seq; /* number of the record in the run, from 0 */
	double ts;
	enum pogo_store_out_type type;
	const char *data; /* may hold NUL bytes */
	size_t len;
	bool eol; /* a newline ended it; false: a partial line (schema 3) */
};

/*
 * The answer an external reference (SPEC 2.7) of a job's configuration
 * got at submission (schema 4): reference idx of the parsed configuration
 * (its text ref, "Name arg ..."), and either its hosts in the order the
 * resolver printed them (names without a newline) or, when it failed,
 * failure (hosts then NULL).
 */
struct pogo_store_ref {
	uint32_t idx;
	const char *ref;
	const char *const *hosts;
	size_t nhosts;
	const char *failure; /* NULL: answered with hosts */
};

/* Called after a commit: status 0, or a negative code if it failed. */
typedef void (*pogo_store_commit_cb)(
    struct pogo_store *st, int status, void *arg);
/* Visitors of the read functions: called synchronously, before the
 * function returns; the pointed-to data lives until the visitor returns.
 * Return non-zero to stop early.  A visitor may call the other reads and
 * the writes, but not the read it is called from (say pogo_store_hosts()
 * from a pogo_store_hosts() visitor): that inner call returns UV_EBUSY
 * (pogo_store_jobs() and pogo_store_jobs_list() are different reads). */
typedef int (*pogo_store_job_fn)(const struct pogo_store_job *j, void *arg);
typedef int (*pogo_store_host_fn)(const struct pogo_store_host *h, void *arg);
typedef int (*pogo_store_entry_fn)(const struct pogo_store_entry *e, void *arg);
typedef int (*pogo_store_output_fn)(
    const struct pogo_store_output *o, void *arg);
typedef int (*pogo_store_ref_fn)(const struct pogo_store_ref *r, void *arg);

/*
 * Open the store on loop: create <state_dir> (mode 0700) if it is missing,
 * take the exclusive flock of <state_dir>/dispatcher.lock, open pogo.db
 * (mode 0600; WAL, synchronous=NORMAL, foreign_keys=ON), migrate an older
 * schema and prepare the statements.  Call it before the loop runs: it
 * blocks.
 * Returns 0 and *stp, or a negative code and a message in *cause (free
 * it): UV_EBUSY "state directory <dir> is in use"; POGO_ERR_STORE for a
 * newer schema, a damaged or unwritable database.
 */
int pogo_store_open(uv_loop_t *loop, const struct pogo_store_opts *opts,
    struct pogo_store **stp, char **cause);

/*
 * Write what is queued, commit, run the last checkpoint, close the
 * handles and release the lock.  Pending after-commit callbacks are called
 * (status 0 if the final commit succeeded), then cb(arg), from the loop,
 * never from inside this call.  st is freed after cb.
 */
void pogo_store_close(struct pogo_store *st, void (*cb)(void *arg), void *arg);

/*
 * Call cb(st, status, arg) once, from the loop, after every change queued
 * so far (output records included) is committed.  Always later than this
 * call, even when nothing is queued.  Callbacks run in registration order.
 * status is POGO_ERR_STORE if the commit failed: those changes are lost
 * and every later write fails too (the engine's memory no longer matches
 * the disk), so the dispatcher should stop.  Not after pogo_store_close():
 * writes then return UV_ECANCELED.
 */
void pogo_store_after_commit(
    struct pogo_store *st, pogo_store_commit_cb cb, void *arg);

/* Allocate the next job number (from 0) or task number (from 1); the
 * counter's new value is queued with the other changes. */
int pogo_store_next_job(struct pogo_store *st, uint64_t *np);
int pogo_store_next_task(struct pogo_store *st, uint64_t *np);

/*
 * Queue a new job: its record (j->job from pogo_store_next_job()) and its
 * first nhosts hosts, in order, each `waiting` with no message.
 * j->host_count is the job's final count (0: nhosts).  Every row counts
 * toward POGO_STORE_MAX_BATCH, but one call is never split over two
 * transactions, and a call that fails leaves none of its rows (a
 * savepoint).  Inserting 20,000 hosts in one call holds the loop for
 * about 150 ms (test/bench/README.md): for a large job insert the first
 * chunk here and the others with pogo_store_job_add_hosts(), one chunk
 * (say 4,096 hosts) per loop turn, and answer the client from the
 * after-commit callback of the last chunk.  A job whose stored hosts are
 * fewer than its host_count was interrupted while gathering; at restart
 * the engine halts it.  Returns 0, UV_EEXIST or POGO_ERR_STORE.
 */
int pogo_store_job_insert(struct pogo_store *st, const struct pogo_store_job *j,
    const char *const *hosts, size_t nhosts);
/* Queue hosts first, first + 1, ... of a job already inserted. */
int pogo_store_job_add_hosts(struct pogo_store *st, uint64_t job,
    uint32_t first, const char *const *hosts, size_t nhosts);
/*
 * Queue the answer of an external reference of a job already inserted
 * (its resolvers answered while it was gathering); the same idx again
 * replaces it.  Returns 0, UV_EINVAL (a host name holds a newline) or
 * POGO_ERR_STORE.
 */
int pogo_store_job_ref_set(
    struct pogo_store *st, uint64_t job, const struct pogo_store_ref *r);
/* Queue a job's new state, message and end time (0: active). */
int pogo_store_job_state(struct pogo_store *st, uint64_t job, int state,
    const char *message, double end_time);
/* Queue a change of an alterable field (SPEC 5.5 alter): "timeout" and
 * "retry" take a non-negative integer, "prehook", "posthook" and "lock"
 * 1/0/true/false, "message" and "command" text.  POGO_ERR_NOTFOUND for
 * another field or an unknown job, UV_EINVAL for a bad value. */
int pogo_store_job_alter(
    struct pogo_store *st, uint64_t job, const char *field, const char *value);

/* Queue a host's state: every field of h except name (h->idx selects the
 * host).  POGO_ERR_NOTFOUND for an unknown job or host.  The row is
 * written once per transaction with the host's latest state (at the
 * commit, or before a read of host rows or counts), however many times
 * the host changed in it: a host of `pogo one` goes from `waiting` to
 * `ready` in the turn that starts the job, and often from `running` to
 * `finished` in one turn. */
int pogo_store_host_set(
    struct pogo_store *st, uint64_t job, const struct pogo_store_host *h);

/* Queue a log entry; e->index must be the job's next one. */
int pogo_store_log_append(
    struct pogo_store *st, uint64_t job, const struct pogo_store_entry *e);

/* Buffer an output record (data copied).  A record whose (host, run, seq)
 * is already stored is ignored, so a resent record has no second effect.
 * A record the database refuses when the buffer is written (an unknown
 * job or host) is dropped alone, counted in output_dropped and logged (at
 * most once a minute); the records around it are kept. */
int pogo_store_output_append(
    struct pogo_store *st, uint64_t job, const struct pogo_store_output *o);

/* Settings such as "nomas": set queues the change; get returns a new
 * string in *valuep (NULL when unset). */
int pogo_store_setting_set(
    struct pogo_store *st, const char *name, const char *value);
int pogo_store_setting_get(
    struct pogo_store *st, const char *name, char **valuep);

/* Every job, in job-number order (restart, SPEC 6.4). */
int pogo_store_jobs(struct pogo_store *st, pogo_store_job_fn fn, void *arg);
/* Filters of the job list (SPEC 5.5 list); NULL or -1: any. */
struct pogo_store_filter {
	const char *user;
	int state; /* enum pogo_job_state, or -1 */
	const char *namespace;
	const char *target; /* jobs that include this host */
};
/* Jobs newest first, from offset, at most max (0: all).  SPEC 5.5 `last`
 * is the filter on user with max 1. */
int pogo_store_jobs_list(struct pogo_store *st,
    const struct pogo_store_filter *f, uint32_t offset, uint32_t max,
    pogo_store_job_fn fn, void *arg);
/* The number of jobs that pogo_store_jobs_list() would give with f and
 * no paging, in *np. */
int pogo_store_jobs_count(
    struct pogo_store *st, const struct pogo_store_filter *f, uint64_t *np);
/* One job: 0 and *jp (free with pogo_store_job_free()), or
 * POGO_ERR_NOTFOUND. */
int pogo_store_job_get(
    struct pogo_store *st, uint64_t job, struct pogo_store_job **jp);
void pogo_store_job_free(struct pogo_store_job *j);
/* The stored answers of a job's external references, in idx order (none
 * for a job without them, or one stored before schema 4). */
int pogo_store_job_refs(
    struct pogo_store *st, uint64_t job, pogo_store_ref_fn fn, void *arg);
/* A job's hosts in target order, from host offset, at most max (0: all). */
int pogo_store_hosts(struct pogo_store *st, uint64_t job, uint32_t offset,
    uint32_t max, pogo_store_host_fn fn, void *arg);
/* A job's hosts in ascending byte order of their names (strcmp), only
 * those in state (-1: any), from offset among them, at most max (0: all).
 * Walks the (job, name) index: a page costs offset + max rows without a
 * filter; with one, the rows up to the page's end. */
int pogo_store_hosts_by_name(struct pogo_store *st, uint64_t job, int state,
    uint32_t offset, uint32_t max, pogo_store_host_fn fn, void *arg);
/*
 * A job's number of hosts in each state: n[s] for every state s below
 * nstates (zero for a state no host is in, and for an unknown job).  The
 * counts always match the rows the same connection sees with the states
 * queued by pogo_store_host_set() (committed or not).  The store keeps
 * them in the host_counts table (at most one row per state, read here:
 * no host is visited).  The hosts of a job that changes are counted in
 * memory (one byte per host, read from its rows when a host first
 * changes, or made by the job's insert) until the job ends, the store
 * closes, or the jobs kept pass a memory budget (64 MiB; those changed
 * least recently leave first); then its counts are written.  Meanwhile host_counts marks the job (in the
 * transaction that loaded it): a count the store no longer holds in
 * memory (a failed commit) is read from its rows, and the next open
 * counts a marked job's rows again (a dispatcher that stopped).
 */
int pogo_store_host_counts(
    struct pogo_store *st, uint64_t job, uint32_t *n, size_t nstates);
/* One host by name: its index, or POGO_ERR_NOTFOUND. */
int pogo_store_host_find(
    struct pogo_store *st, uint64_t job, const char *name, uint32_t *idxp);
/* A job's log entries from offset, at most max (0: all). */
int pogo_store_log(struct pogo_store *st, uint64_t job, uint32_t offset,
    uint32_t max, pogo_store_entry_fn fn, void *arg);
/* A job's number of log entries (its next index), read from the index
 * without visiting them: 0 for an unknown job. */
int pogo_store_log_length(struct pogo_store *st, uint64_t job, uint32_t *np);
/* The output of one host run from record offset, at most max (0: all);
 * buffered records are written first so the reader sees them (a failure
 * to write them does not fail the read). */
int pogo_store_output(struct pogo_store *st, uint64_t job, uint32_t host,
    uint32_t run, uint32_t offset, uint32_t max, pogo_store_output_fn fn,
    void *arg);

/*
 * Delete the output records of one host run numbered from `from` to below
 * `below` (a follower in this process has read them: pair.h, tail.h), so
 * that an in-memory store holds what is still unread, not a job's whole
 * output; those below `from` must be gone already.  Part of the open
 * transaction, as any write.  A few records are deleted one by one (a
 * range delete costs SQLite a temporary table, as the table has a
 * foreign key: 34,000 instructions for one record instead of about
 * 6,000, per SSH host of `pogo one`).
 */
int pogo_store_output_forget(struct pogo_store *st, uint64_t job, uint32_t host,
    uint32_t run, uint32_t from, uint32_t below);

/* Counters for tests and the bench: commits, changes, checkpoints. */
struct pogo_store_stats {
	uint64_t commits;
	uint64_t changes;
	uint64_t checkpoints;
	uint64_t commit_ns_max; /* the longest commit */
	uint64_t commit_ns_total;
	uint64_t output_dropped; /* buffered records the database refused */
	uint64_t wal_pages;      /* pages written to the WAL by commits */
	uint64_t wal_pages_max;  /* the longest the WAL was, in pages */
	uint64_t wal_restarts;   /* times the WAL started again from its head */
	uint64_t host_rows;      /* host rows read (pogo_store_hosts*()) */
	uint64_t host_writes;    /* host rows written (UPDATEs) */
	/* Jobs whose hosts are counted in memory (a byte per host): now, read
	 * from their rows so far, and dropped so far. */
	uint64_t host_jobs;
	uint64_t host_jobs_loaded;
	uint64_t host_jobs_evicted;
};
void pogo_store_stats(const struct pogo_store *st, struct pogo_store_stats *s);

/*
 * For tests: every commit from now on fails as one that SQLite refuses
 * (SQLITE_NOMEM of an in-memory store), until called with false.  The
 * store keeps no memory statistics (SQLITE_CONFIG_MEMSTATUS 0), so
 * sqlite3_hard_heap_limit64() cannot make that fault.
 */
void pogo_store_fail_commits(struct pogo_store *st, bool fail);

/*
 * For tests: the memory the store may keep for counting the hosts of jobs
 * that change (a byte per host and about 300 bytes per job; 64 MiB by
 * default), beyond which the jobs changed least recently leave it.
 */
void pogo_store_hjobs_budget(struct pogo_store *st, size_t bytes);

/* For tests: call fn for every column of every table of the schema. */
int pogo_store_columns(struct pogo_store *st,
    int (*fn)(const char *table, const char *column, void *arg), void *arg);

/* SQLite's version string. */
const char *pogo_store_version(void);

#endif
