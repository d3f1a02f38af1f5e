/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The executor interface: how the job engine (dispatcher side) has one
 * task run on one host (worker side).  The SSH executor (ssh.c) and the
 * local executor (exec-local.c) implement it in-process; the dispatcher
 * will implement it over the worker protocol.
 *
 * Callback contract (STYLE.md 10.4): start() returning 0 means the done
 * event comes exactly once, later, from the loop, never from inside
 * start(); an error return means no event at all: UV_EBUSY (full, a
 * worker's `busy`), UV_EAGAIN, UV_EMFILE, UV_ENFILE or UV_ENOMEM for a
 * refusal that passes (the task is tried again later, job.h), anything
 * else for one that does not (the host fails).  inflight counts the tasks
 * between a successful start() and their done event, and is decremented
 * before the done event, so the engine sees the room it frees.  started and output
 * events come between start() and done.  kill() asks for a running task to
 * be stopped; its done event still comes (message "killed").  Stopping
 * a command (kill, timeout, output limit) sends TERM to its process group,
 * then KILL after the grace; the done event comes when the command is
 * gone, or POGO_EXEC_LINGER_MS after the KILL with POGO_EXEC_MAY_RUN added
 * to the message when the target did not confirm it.  A command whose exit
 * status has come is finished once its output is closed, or is found quiet
 * POGO_EXEC_LINGER_MS later, even if something it started still holds it
 * open (struct pogo_exec_linger).  A kill then ends the linger at once,
 * the command's result kept: what is left of a local command's process
 * group gets SIGKILL, an SSH command's channel is closed.
 *
 * A remote peer fits the same contract: the dispatcher's worker executor
 * sends a task's fields as the task_data of SPEC 8.3, and the worker runs
 * it on its own SSH or local executor, unchanged.  Hence everything a
 * task needs is in struct pogo_exec_task (no executor option may be
 * needed per task), and a result carries what task_done reports: the
 * worker's start and end times, the signal and the record count.  The
 * optional ops taskstatus and withdraw answer the dispatcher's questions
 * about tasks in flight (SPEC 7.3, 8.3).
 *
 * The bookkeeping of the tasks in flight (the count, the peak, the list,
 * times and record counts) is shared: each executor embeds a struct
 * pogo_exec_run in its task and reports through pogo_exec_run_*() below,
 * never calling the events itself.
 */
#ifndef POGO_EXEC_H
#define POGO_EXEC_H

#include <uv.h>

/*
 * After a command's exit status, how long an executor still collects
 * output before it looks again: a background process (a daemon) may keep
 * the command's output open for ever, so the host is finished when the
 * output is quiet then (struct pogo_exec_linger, pogo-one(1)).  Also how
 * long an executor waits for a command to die after SIGKILL.
 */
#define POGO_EXEC_LINGER_MS 1000
/*
 * The bound of the linger of a command without a time limit (timeout 0):
 * a background process writing without end keeps its host no longer
 * (pogo-one(1), pogo.yaml(5)).
 */
#define POGO_EXEC_LINGER_MAX_MS 10000
/* TERM -> KILL when a command is stopped (SPEC 1.5). */
#define POGO_EXEC_KILL_GRACE_MS 10000
/* Appended to the message of a stop the target did not confirm. */
#define POGO_EXEC_MAY_RUN "; the command may still be running"

struct pogo_exec;

enum pogo_out_type {
	POGO_OUT_STDOUT,
	POGO_OUT_STDERR,
};

/* Final host states an executor can report (SPEC 5.4, 9.8). */
enum pogo_exec_state {
	POGO_EXEC_FINISHED,
	POGO_EXEC_FAILED,
	POGO_EXEC_UNREACHABLE,
};

struct pogo_exec_result {
	enum pogo_exec_state state;
	int exitstatus; /* -1: none */
	bool timed_out;
	/*
	 * The task was accepted but never started on its host (a worker's
	 * late `busy`, taskstatus `unknown`, SPEC 7.2, 7.3): it is no run;
	 * the engine gives it back to the dispatch queue, keeping its units
	 * and task id.  state, exitstatus and msg are then ignored.
	 */
	bool requeue;
	char msg[256]; /* "ok", "exited with status 3", ... */
	/*
	 * Filled by pogo_exec_run_done() (SPEC 8.3 task_done): the signal
	 * that ended the command (0: none; exitstatus is then 128 + it),
	 * the worker's wall-clock times in seconds since the epoch
	 * (started_at 0: the command never started) and the number of
	 * output records the task produced.
	 */
	int signal;
	double started_at;
	double finished_at;
	uint64_t records;
};

/*
 * The stub features of a task (SPEC 9.7): any of them puts the task in
 * stub mode (pogo_stub_needed() in stub.h).  Strings are borrowed.
 */
struct pogo_exec_stub {
	unsigned retry; /* extra attempts on the target */
	bool prehook;
	bool posthook;
	bool lock;
	const char *hook_dir; /* NULL: /etc/pogo (worker.hook_dir) */
	const char *exe_name; /* attached script: [A-Za-z0-9_.-]+; or NULL */
	const char *exe_data; /* its text (no NUL bytes); NULL: none */
};

/*
 * The secrets of a task (SPEC 8.3: password, client_private_key,
 * pvt_key_passphrase; NULL: absent).  Strings are borrowed.  On the
 * worker they are the plaintext the worker decrypted from task_data's
 * boxes (SPEC 10.3), wiped by the worker when the task's done event has
 * come; the SSH executor uses them for this task alone (authentication,
 * prompts, redaction, SPEC 9.4, 9.6) and copies none of them except the
 * private key, which it imports in memory and wipes.  On the dispatcher's
 * remote executor they are the boxes, in base64, sent as they came.  A
 * task without secrets (NULL) uses the SSH executor's options (pogo one's
 * -p, -i).
 */
struct pogo_exec_secrets {
	const char *password;
	const char *client_private_key; /* the key file's text */
	const char *pvt_key_passphrase;
};

/*
 * One task: owned by the engine, borrowed by the executor until done (or
 * withdrawn).  Every field of SPEC 8.3's task_data is here: retry,
 * prehook, posthook, lock, exe_name and exe_data in stub.  Strings are
 * borrowed; NULL and 0 mean "the executor's default" where said.
 */
struct pogo_exec_task {
	const char *job_id;
	const char *task_id;
	const char *host;
	const char *command;
	const char *task_name;             /* "ssh", "local"; NULL: any */
	const char *user;                  /* who submitted the job, or NULL */
	const char *ssh_user;              /* NULL: -l, ssh_config, login */
	unsigned ssh_port;                 /* 0: --port, ssh_config, 22 */
	unsigned connect_timeout;          /* seconds, 0: the executor's */
	const char *run_as;                /* NULL: the login user */
	unsigned timeout;                  /* seconds, 0: none */
	const struct pogo_exec_stub *stub; /* NULL: direct mode */
	const struct pogo_exec_secrets *secrets; /* NULL: none */
	uint32_t run; /* run number of this host, from 0 */
	void *data;   /* the engine's */
	void *priv;   /* the executor's */
};

/* Where a task stands on an executor (the taskstatus op). */
enum pogo_exec_status {
	POGO_EXEC_UNKNOWN, /* not in flight here: never given, or done */
	POGO_EXEC_WAITING, /* accepted; its command has not started */
	POGO_EXEC_RUNNING, /* started, its done event still to come */
};

struct pogo_exec_events {
	/* The command started on the target (exec accepted, or spawned). */
	void (*started)(struct pogo_exec_task *t, void *arg);
	/*
	 * One output record (SPEC 5.8): a line without its newline (eol
	 * true), or a partial line.  data is borrowed.
	 */
	void (*output)(struct pogo_exec_task *t, enum pogo_out_type type,
	    const char *data, size_t len, bool eol, void *arg);
	void (*done)(struct pogo_exec_task *t, const struct pogo_exec_result *r,
	    void *arg);
};

struct pogo_exec_ops {
	int (*start)(struct pogo_exec *e, struct pogo_exec_task *t);
	void (*kill)(struct pogo_exec *e, struct pogo_exec_task *t);
	/* Close every handle; cb is called once, later, then e is freed. */
	void (*close)(struct pogo_exec *e, void (*cb)(void *arg), void *arg);
	/*
	 * Back-pressure (may be NULL): with paused true, stop reading the
	 * commands' output until called with false; commands that print
	 * then wait on their pipe or channel window.  Nothing is dropped,
	 * and a task does not finish while its output is held back.
	 */
	void (*pause)(struct pogo_exec *e, bool paused);
	/*
	 * Where task task_id stands here (may be NULL).  A done task is
	 * UNKNOWN: whether its report was delivered is the worker's to say
	 * (SPEC 8.3 taskstatus "done").
	 */
	enum pogo_exec_status (*taskstatus)(
	    struct pogo_exec *e, const char *task_id);
	/*
	 * Take back a task whose command has not started (may be NULL):
	 * returns 0 and no event comes for t any more, which the engine
	 * owns again at once; nothing of it ran on the target.  Returns
	 * POGO_ERR_STATE once the command started or may have (kill() it
	 * instead), or after kill() (its done event comes), and
	 * POGO_ERR_NOTFOUND when t is not in flight here.  Never calls back.
	 */
	int (*withdraw)(struct pogo_exec *e, struct pogo_exec_task *t);
	/*
	 * Take over a task that an earlier life of the executor had in
	 * flight (a dispatcher's restart, SPEC 6.4) (may be NULL): t (its
	 * task_id set) was handed to worker (name, instance; borrowed), and
	 * its command started at started_at (seconds since the epoch; 0: not
	 * known to have started); records: its output records the engine
	 * stored already (the run's count starts there: SPEC 8.3's lost
	 * records are those the worker counted and the engine never got).
	 * Returns 0: t is in flight as after a start() that was sent, and
	 * its done event comes once, later; or an error and no event (the
	 * engine decides the host's fate).  Never calls back.
	 */
	int (*adopt)(struct pogo_exec *e, struct pogo_exec_task *t,
	    const char *worker, const char *instance, double started_at,
	    uint64_t records);
	/*
	 * Throttle (may be NULL): with on true, stop reading the commands'
	 * output as pause does, for a reader in this process (a worker
	 * whose dispatcher, in the same process, stores slower than a
	 * command prints).  The linger's bound runs on (SPEC 9.10), and a
	 * limit stands still only within its stretch
	 * (pogo_exec_limit_throttle()).
	 * Nothing is dropped.  Independent of pause: the output is read
	 * when neither holds it.
	 */
	void (*throttle)(struct pogo_exec *e, bool on);
};

/*
 * The common part of an executor's task, embedded in it: one task in
 * flight, from pogo_exec_run_add() to pogo_exec_run_done() or _drop().
 * Read-only outside exec.c.
 */
struct pogo_exec_run {
	struct pogo_exec_task *t;
	struct pogo_exec_run *next; /* e->runs */
	struct pogo_exec_run *prev;
	double started_at; /* wall clock; 0 before started */
	uint64_t records;  /* output events so far */
	bool started;
	bool linked;
};

/* The common part of every executor (embedded first in each). */
struct pogo_exec {
	const struct pogo_exec_ops *ops;
	const struct pogo_exec_events *ev;
	void *ev_arg;
	unsigned max_tasks; /* tasks in flight at most */
	unsigned inflight;  /* tasks between start() and done (withdrawn) */
	unsigned peak_inflight;
	unsigned handshakes;
	unsigned peak_handshakes;
	struct pogo_exec_run *runs; /* the tasks in flight, newest first */
};

/*
 * The shared bookkeeping, for executors.  run_add: t is in flight (count,
 * peak, list); call from start() once it will succeed.  run_started: the
 * command started, the started event (with its time).  run_output: one
 * output record, the output event (counted).  run_done: off the list and
 * the count, result r completed (times, records; r->signal is the
 * executor's), then the done event; call once.  run_drop: off the list
 * and the count without an event (withdraw).  All but run_add call back
 * into the engine, which may start or kill other tasks from there.
 */
void pogo_exec_run_add(
    struct pogo_exec *e, struct pogo_exec_run *r, struct pogo_exec_task *t);
/*
 * run_adopt: as run_add, for a task adopted (the adopt op); started_at
 * non-zero marks its command as started then, without an event; its
 * records count from records (those stored before the adoption).
 */
void pogo_exec_run_adopt(struct pogo_exec *e, struct pogo_exec_run *r,
    struct pogo_exec_task *t, double started_at, uint64_t records);
void pogo_exec_run_started(struct pogo_exec *e, struct pogo_exec_run *r);
void pogo_exec_run_output(struct pogo_exec *e, struct pogo_exec_run *r,
    enum pogo_out_type type, const char *data, size_t len, bool eol);
void pogo_exec_run_done(
    struct pogo_exec *e, struct pogo_exec_run *r, struct pogo_exec_result *res);
void pogo_exec_run_drop(struct pogo_exec *e, struct pogo_exec_run *r);
/*
 * The executor closes while r is in flight, started or not: forget it
 * with no event; the task's owner abandons it too (pogo_job_abandon).
 */
void pogo_exec_run_abandon(struct pogo_exec *e, struct pogo_exec_run *r);
/* The run of task task_id in flight on e, or NULL. */
struct pogo_exec_run *pogo_exec_run_find(
    const struct pogo_exec *e, const char *task_id);
/* The taskstatus op of an executor that keeps its runs on e->runs. */
enum pogo_exec_status pogo_exec_taskstatus(
    struct pogo_exec *e, const char *task_id);
/* Seconds since the epoch, as results and events carry them. */
double pogo_exec_now(void);

/*
 * A command's time limit, on a timer the executor also uses for other
 * things.  It stands still for a command whose output the executor holds
 * back (pause): a command blocked on a full pipe or channel window waits
 * for pogo's reader, not for itself.  A command with nothing held back
 * times out as usual.  One whose output is held back only after its limit
 * was set running gets POGO_EXEC_LIMIT_AFTER_MS once the output flows.
 * The executor says whether its timer still holds the limit.
 */
#define POGO_EXEC_LIMIT_AFTER_MS 1000
struct pogo_exec_limit {
	uint64_t left_ms;
	uint64_t stretch_ms;   /* what throttles may still add */
	uint64_t throttled_at; /* the loop's time a throttle froze it */
	bool throttled;        /* frozen by a throttle */
	bool frozen;
	bool set; /* started: the command has a limit */
};

/*
 * A throttle (exec.h ops) freezes the limit too, but adds at most the
 * limit's own length in all: time while the executor's own process is
 * slower than the command prints does not count, up to that, so a
 * command printing without end still ends (t4022).  A pause for a slow
 * reader has no such bound.
 */
void pogo_exec_limit_throttle(
    struct pogo_exec_limit *l, uv_timer_t *tm, bool holds);

/* What holds a command's output back when its limit runs out. */
struct pogo_exec_held {
	bool paused;    /* the executor is paused (a slow reader) */
	bool throttled; /* the executor is throttled */
	bool once;      /* it was paused or throttled at some time */
	bool back;      /* output of the command waits for pogo's reader */
	bool unread;    /* output waits unread (in a pipe or socket) */
};
/*
 * The limit on tm ran out.  Returns true when it waits instead of
 * ending the command:
 *   - paused with output held back: until the output flows (no bound);
 *   - throttled with output held back: while some stretch is left;
 *   - once held (pogo one's own reader behind it: a slow terminal, or
 *     the pair's dispatcher in the same process busy storing) with output
 *     unread: cb runs again after at most POGO_EXEC_LIMIT_AFTER_MS, taken
 *     from the same stretch.
 * False: the command times out now.  A daemon worker's executor is never
 * paused or throttled, so a chatty command ends at its timeout (SPEC
 * 9.10).
 */
bool pogo_exec_limit_expired_waits(struct pogo_exec_limit *l, uv_timer_t *tm,
    uv_timer_cb cb, const struct pogo_exec_held *h);

/* Start the limit on tm, or keep it frozen if the output is held back. */
void pogo_exec_limit_start(struct pogo_exec_limit *l, uv_timer_t *tm,
    uv_timer_cb cb, uint64_t ms, bool paused);
/* The output is held back: stop tm, keeping the time left, if it holds it. */
void pogo_exec_limit_freeze(
    struct pogo_exec_limit *l, uv_timer_t *tm, bool holds);
/* The output flows: go on with the time left, if tm still holds it. */
void pogo_exec_limit_thaw(
    struct pogo_exec_limit *l, uv_timer_t *tm, uv_timer_cb cb, bool holds);

/*
 * The linger after a command's exit status, in ticks of
 * POGO_EXEC_LINGER_MS.  At each tick the executor says whether output is
 * held back for a slow reader, whether some waits unread (in a pipe or
 * socket: the loop could not read it in time) and when it last took
 * output; it is given up on a quiet output only: nothing held, nothing
 * unread, and no byte taken for POGO_EXEC_LINGER_MS since the exit status
 * (something the command started may still write, a little at a time:
 * the next tick is then due that long after the last byte).  The time
 * its limit had left at the exit status still bounds it, or
 * POGO_EXEC_LINGER_MAX_MS for a command without a limit, standing still
 * as the limit does while output is held back (the executor tells each
 * pause), so a background process writing without end (`yes &`) keeps
 * the host no longer than its timeout, or than that bound.
 */
struct pogo_exec_linger {
	uint64_t left_ms; /* while frozen */
	uint64_t due;     /* the loop's time it runs out, while not */
	uint64_t throttled_at;
	uint64_t start; /* the loop's time of the exit status */
	bool throttled; /* frozen by a throttle */
	bool frozen;
};

/* Start: the first tick's length (arm the executor's timer, tm, with
 * it); holds says whether tm still holds the limit l. */
uint64_t pogo_exec_linger_start(struct pogo_exec_linger *lg,
    const struct pogo_exec_limit *l, const uv_timer_t *tm, bool holds);
/* The executor pauses (held: output of this command is held back) or
 * goes on; tm is the task's timer, for its loop. */
void pogo_exec_linger_pause(
    struct pogo_exec_linger *lg, const uv_timer_t *tm, bool paused, bool held);
/*
 * The executor is throttled (on) or not any more; held: output of this
 * command waits unread.  The bound stands still as the limit does for a
 * throttle, taking from the same stretch (l, pogo_exec_limit_throttle):
 * a background `yes` keeps its host at most twice its timeout (t4022).
 */
void pogo_exec_linger_throttle(struct pogo_exec_linger *lg,
    struct pogo_exec_limit *l, const uv_timer_t *tm, bool on, bool held);
/*
 * A tick of t's linger ended: the next one's length, or 0 to finish now
 * (logged when the bound ends it with output still coming).  out_at: the
 * loop's time (uv_now) the executor last took output, 0 for never.
 */
uint64_t pogo_exec_linger_next(struct pogo_exec_linger *lg,
    const struct pogo_exec_task *t, const uv_timer_t *tm, bool held,
    bool unread, uint64_t out_at);

/* Fill r with a state, exit status (-1: none) and message. */
void pogo_exec_result_set(struct pogo_exec_result *r,
    enum pogo_exec_state state, int exitstatus, const char *fmt, ...)
    POGO_PRINTFLIKE(4, 5);

/* The result of a command's exit status or signal (SPEC 9.8). */
void pogo_exec_result_exit(struct pogo_exec_result *r, int status, int signal);

/* Linux signal number of a name such as "TERM" or "SIGTERM"; 0 unknown. */
int pogo_exec_signal_number(const char *name);
/* The name ("TERM") of a Linux signal number, or NULL (unknown). */
const char *pogo_exec_signal_name(int signal);

#endif
