/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The process's event loop (tmux proc.c): every role runs on one libuv
 * loop created and closed here.
 *
 * A daemon (pogo api, dispatcher, worker; SPEC 12.6) wraps its loop in a
 * struct pogo_proc, which also owns:
 *   - the signals: SIGTERM and SIGINT call the stop callback once (the
 *     roles then stop and close their handles, and the loop ends);
 *     SIGHUP reopens the log file; SIGUSR2 raises the log level one step,
 *     wrapping from debug3 back to info; SIGPIPE is ignored;
 *   - the log file, if any (log.c writes to it);
 *   - the pid file, if any: created exclusively (O_EXCL), so that a
 *     second daemon on the same file refuses to start; a file left by a
 *     process that no longer runs is replaced; removed at the end;
 *   - the check at the end that every handle of the loop was closed.
 * The signal handles are unreferenced: the loop runs while the roles have
 * work or listeners, and pogo_proc_run() returns when they closed them.
 */
#ifndef POGO_PROC_H
#define POGO_PROC_H

#include <uv.h>

/* Initialise loop and route libuv's allocations through xmalloc. */
int pogo_proc_loop_init(uv_loop_t *loop);

/*
 * Close every handle still open, run the loop until they are closed and
 * close it.  Returns 0, or the error of uv_loop_close().
 */
int pogo_proc_loop_close(uv_loop_t *loop);

/*
 * Start libuv's thread pool now (otherwise its first use starts it), with
 * the asynchronous signals blocked, a mask its threads inherit: the
 * process's signals then reach the loop thread only.  A worker's SIGCHLD
 * for each local task would otherwise often wake an idle pool thread,
 * whose handler writes to pages that each fork has just made
 * copy-on-write: page faults and TLB shoot-downs on every task.  Call it
 * before anything uses the pool (once is enough; later calls do nothing);
 * its no-op work ends on loop's next run.
 */
void pogo_proc_pool_start(uv_loop_t *loop);

struct pogo_proc;

/*
 * Called on the loop, once, for the first SIGTERM or SIGINT (signum).  It
 * starts a graceful stop; a later stop signal is logged and ignored.
 */
typedef void (*pogo_proc_stop_cb)(struct pogo_proc *p, int signum, void *arg);

struct pogo_proc_opts {
	const char *log_file; /* NULL or "": stderr */
	const char *pid_file; /* NULL or "": none */
	pogo_proc_stop_cb stop;
	void *arg;
	/* Called on the loop for every SIGHUP, after the log file (may be
	 * NULL): pogo api re-reads its token file. */
	void (*hup)(struct pogo_proc *p, void *arg);
};

/*
 * Start a daemon process: loop, log file, pid file, signals, in this
 * order.  Returns 0 with *pp, or an error with *cause (for the caller to
 * print and free) naming the file, such as "pid file /run/p.pid: pogo is
 * already running as pid 42"; nothing is left behind on failure.
 */
int pogo_proc_new(
    const struct pogo_proc_opts *opts, struct pogo_proc **pp, char **cause);

/*
 * Hold a state directory (SPEC 6.1, 9.10): make dir (0700) if needed,
 * open <dir>/<name> and take its exclusive flock without waiting, then
 * write this process's pid in it.  The lock lasts while *fdp is open
 * (the caller closes it at its end; the process's death releases it).
 * Returns 0 with *fdp; UV_EBUSY with *cause "state directory DIR is in
 * use by pid N" when another process holds it; or another error with
 * *cause naming the file.
 */
int pogo_proc_dir_lock(
    const char *dir, const char *name, int *fdp, char **cause);

/* The loop, for the roles' _start(loop, cfg). */
uv_loop_t *pogo_proc_loop(struct pogo_proc *p);

/* Run the loop until no referenced handle is left; returns uv_run's. */
int pogo_proc_run(struct pogo_proc *p);

/* Has a stop signal arrived? */
bool pogo_proc_stopping(const struct pogo_proc *p);

/*
 * The end: close the signal handles, check that nothing else is open on
 * the loop, close what is (logging each one's type), close the loop,
 * remove the pid file and close the log file.  Returns 0 when the loop
 * closed cleanly, POGO_ERR_STATE when some handle was left open.
 * NULL-safe.
 */
int pogo_proc_free(struct pogo_proc *p);

#endif
