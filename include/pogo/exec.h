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
 * status has come is finished POGO_EXEC_LINGER_MS later at the latest,
 * even if something it started still holds its output open; a kill then
 * changes nothing.
 */
#ifndef POGO_EXEC_H
#define POGO_EXEC_H

#include <uv.h>

/*
 * After a command's exit status, how long an executor still collects
 * output: a background process (a daemon) may keep the command's output
 * open for ever, so the host is finished when this ends (pogo-one(1)).
 * Also how long an executor waits for a command to die after SIGKILL.
 */
#define POGO_EXEC_LINGER_MS 1000
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

/* One task: owned by the engine, borrowed by the executor until done. */
struct pogo_exec_task {
	const char *job_id;
	const char *task_id;
	const char *host;
	const char *command;
	const char *run_as;                /* NULL: the login user */
	unsigned timeout;                  /* seconds, 0: none */
	const struct pogo_exec_stub *stub; /* NULL: direct mode */
	uint32_t run;                      /* run number of this host, from 0 */
	void *data;                        /* the engine's */
	void *priv;                        /* the executor's */
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
};

/* The common part of every executor (embedded first in each). */
struct pogo_exec {
	const struct pogo_exec_ops *ops;
	const struct pogo_exec_events *ev;
	void *ev_arg;
	unsigned max_tasks; /* tasks in flight at most */
	unsigned inflight;
	unsigned peak_inflight;
	unsigned handshakes;
	unsigned peak_handshakes;
};

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
	bool frozen;
};

/* Start the limit on tm, or keep it frozen if the output is held back. */
void pogo_exec_limit_start(struct pogo_exec_limit *l, uv_timer_t *tm,
    uv_timer_cb cb, uint64_t ms, bool paused);
/* The output is held back: stop tm, keeping the time left, if it holds it. */
void pogo_exec_limit_freeze(
    struct pogo_exec_limit *l, uv_timer_t *tm, bool holds);
/* The limit ran out while the output is held back: wait for it. */
void pogo_exec_limit_postpone(struct pogo_exec_limit *l);
/* The output flows: go on with the time left, if tm still holds it. */
void pogo_exec_limit_thaw(
    struct pogo_exec_limit *l, uv_timer_t *tm, uv_timer_cb cb, bool holds);

/* Fill r with a state, exit status (-1: none) and message. */
void pogo_exec_result_set(struct pogo_exec_result *r,
    enum pogo_exec_state state, int exitstatus, const char *fmt, ...)
    POGO_PRINTFLIKE(4, 5);

/* The result of a command's exit status or signal (SPEC 9.8). */
void pogo_exec_result_exit(struct pogo_exec_result *r, int status, int signal);

/* Linux signal number of a name such as "TERM" or "SIGTERM"; 0 unknown. */
int pogo_exec_signal_number(const char *name);

#endif
