/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The worker component (SPEC 9): connects to its dispatchers (peer.h),
 * answers their commands and reports its tasks on the link that issued
 * each one.  It owns its handles and keeps no file-level state, so
 * several can run on one loop (pogo one, the tests).
 *
 * Tasks run on the worker's own executors (exec.h): one local and one SSH
 * executor, built from the configuration (worker.max_tasks,
 * max_handshakes, max_output, worker.ssh.*).  A run of task_name "ssh" or
 * "local" becomes a struct pogo_exec_task from its task_data (exe_data
 * arrives in base64 and is decoded for the stub; a run whose exe_data is
 * not base64 is reported done with rc 255, "invalid exe_data"); it counts
 * against max_tasks from the run until its task_done is queued, and a run
 * beyond them is answered `busy`.  A task with secrets is acknowledged
 * at once and its boxes opened in the thread pool; a start its executor
 * then refuses for now (exec.h) holds it: started again when a task ends
 * or after a second, the worker answering `busy` meanwhile; a kill ends
 * it `killed`.  Its output records leave numbered and
 * batched (outbatch.h) on the link that issued it, task_done after the
 * last of them, with the worker's start and end times, rc, signal and
 * record count.  A task holds at most 1 MiB of unsent output: beyond it
 * the oldest unsent records are dropped (SPEC 9.9; they still count in
 * task_done's records, and a warning says how many), and nothing pauses
 * the command or its executor's other tasks.  A run of
 * any other task_name is acknowledged and reported done with rc 255 and
 * "invalid task name <name>" (SPEC 8.3).  Repeated runs are acknowledged
 * and not run again (N-DEDUP); taskstatus answers running (in flight),
 * done (task_done queued) or unknown; taskkill stops a task as a timeout
 * does, reported failed, "killed".
 *
 * A graceful stop (SIGTERM) answers `busy` to every new run and makes no
 * new connection; it waits for the running tasks (at most stop_ms), kills
 * those left, waits until the reports queued for the dispatchers that are
 * up are acknowledged (at most stop_ms more), then closes the executors
 * and the links.
 *
 * pogo one runs a worker beside a dispatcher in its own process
 * (pair.h), configured from its options like any worker.
 */
#ifndef POGO_WORKER_H
#define POGO_WORKER_H

#include <uv.h>

#include "pogo/clock.h"

/* How long a stop waits for tasks, then for reports (SPEC 9). */
#define POGO_WORKER_STOP_MS 60000

struct pogo_cfg;
struct pogo_exec;
struct pogo_exec_events;
struct pogo_ssh_opts;
struct pogo_worker;

/* Knobs for tests; NULL for the daemon's defaults. */
/*
 * Finished task ids remembered for repeated runs and taskstatus once
 * their task_done is delivered (until then they are all kept).
 */
#define POGO_WORKER_DEDUP_DONE 4096

struct pogo_worker_opts {
	struct pogo_clock *clock; /* NULL: a clock on the loop */
	/*
	 * A dispatcher of this process instead of worker.dispatchers
	 * (pair.h): each connection's socket from link(link_arg, &sock)
	 * (peer.h pogo_peer_link_fn); NULL: the configured dispatchers.
	 */
	int (*link)(void *link_arg, uv_os_sock_t *sockp);
	void *link_arg;
	/*
	 * For a worker of this process only (pair.h: pogo one's -p and
	 * its terminal): the SSH executor's password for tasks without
	 * secrets (borrowed: it must outlive the worker; never sent,
	 * stored or logged), and its ask_secret for the passphrase of an
	 * encrypted identity file (ssh.h).  NULL: none, as for the daemon.
	 */
	const char *password;
	char *(*ask_secret)(const char *prompt);
	/*
	 * task_output leaves on every loop turn instead of at most 10
	 * messages a second per task (SPEC 8.3): for a link that crosses
	 * no network (pair.h), where the pace only slowed a command that
	 * prints much (640 KiB/s) down.  Nothing is dropped then: an
	 * executor whose tasks hold more than 2 MiB unsent is throttled
	 * (exec.h: reading stops; the linger's bound runs on, and a time
	 * limit stands still for at most its own length) while its
	 * dispatcher, on the same loop, catches up.
	 */
	bool output_unpaced;
	uint64_t stop_ms;  /* 0: POGO_WORKER_STOP_MS */
	size_t dedup_done; /* 0: POGO_WORKER_DEDUP_DONE */
	/*
	 * Makes the SSH executor (the arguments of pogo_exec_ssh_new());
	 * NULL: pogo_exec_ssh_new().  Tests wrap its ops, for example to
	 * refuse a start for now (exec.h).
	 */
	struct pogo_exec *(*ssh_new)(uv_loop_t *loop,
	    const struct pogo_ssh_opts *opts, const struct pogo_exec_events *ev,
	    void *ev_arg, char **cause);
};

/*
 * Start a worker on loop with cfg (borrowed: read now).  Returns 0 with
 * *wp, or POGO_ERR_CONFIG / POGO_ERR_NOTIMPL (TLS) with *cause set for
 * the caller to print and free.
 */
int pogo_worker_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    const struct pogo_worker_opts *opts, struct pogo_worker **wp, char **cause);

/*
 * The most tasks its executors had in flight at once and the most SSH
 * handshakes, so far (pogo one's --json summary, SPEC 12.2).
 */
void pogo_worker_peaks(
    const struct pogo_worker *w, unsigned *inflightp, unsigned *handshakesp);

/*
 * Hold (true) or release the output of the running tasks: while held,
 * the executors are paused (exec.h pause: commands wait on their pipes,
 * and the timeouts of those held back stand still, t1006).  For an owner
 * whose reader is a person's slow terminal (pair.h: pogo one's stdout).
 */
void pogo_worker_hold(struct pogo_worker *w, bool hold);

typedef void (*pogo_worker_stop_cb)(
    struct pogo_worker *w, int status, void *arg);
/*
 * Stop gracefully (see above); cb (may be NULL) is called from the loop
 * once every handle is closed, with 0, or POGO_ERR_TIMEOUT when reports
 * were still undelivered (or killed tasks not done) at the deadline.  The worker is freed after cb.
 */
void pogo_worker_stop(struct pogo_worker *w, pogo_worker_stop_cb cb, void *arg);

/*
 * Stop at once, not gracefully: running tasks are killed and reports not
 * delivered are dropped (pair.h: the dispatcher's store failed, nothing
 * can be recorded).  cb as for pogo_worker_stop(), with UV_ECANCELED.
 */
void pogo_worker_abort(
    struct pogo_worker *w, pogo_worker_stop_cb cb, void *arg);

#endif
