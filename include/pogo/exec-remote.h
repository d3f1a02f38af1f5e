/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The remote executor (SPEC 7.2, 7.3, 8.3): the dispatcher's executor
 * (exec.h) over the workers connected to its worker port (peer.h).  The
 * worker layer (dispatcher-peer.c) forwards the peer server's events to
 * it with pogo_exec_remote_up(), _lost(), _report(), _reply() and
 * _release().
 *
 * - max_tasks is the sum of the max_tasks the connected workers
 *   announced; with no worker it is 0 and the dispatch keeps its tasks
 *   waiting (`waiting for a worker`) until kicked (opts.kick).
 * - start() picks a worker at random among those with free capacity
 *   (fewer tasks in flight than their max_tasks) that did not answer
 *   `busy` since their last finished task; without one it refuses with
 *   UV_EBUSY (the task waits at the head of the queue).  The `run` goes
 *   out from opts.barrier's callback: the engine commits the task's
 *   `ready` state, id and worker first (SPEC 6.3).
 * - A task of a job with secrets (opts.secrets) goes only to a worker
 *   whose hello key_id is the boxes' key_id, and only while they are
 *   cached: otherwise start() refuses with POGO_ERR_NOWORKER (this task
 *   waits, tasks behind it may go, job.h; UV_EBUSY when no worker has
 *   room at all).  The boxes go in the run's task_data (password,
 *   client_private_key, pvt_key_passphrase); a task whose secrets are
 *   gone when its run is to be sent is given back unstarted
 *   (result.requeue).
 * - A `busy` answer marks the worker full until it reports a finished
 *   task, and gives the task back unstarted (result.requeue: the engine
 *   puts it at the head of the queue).  Another refusal fails the host
 *   with the worker's words.
 * - A barrier whose commit failed: from then on no run leaves and no
 *   report is acknowledged (SPEC 6.3); a task whose run was to leave
 *   stays in flight unsent, without events, until the close (the
 *   dispatcher stops; its next start resumes from the store and the
 *   workers send their unacknowledged reports again).
 * - Reports become the started, output and done events (a task_done with
 *   started_at for a task not started yet: the started event first, the
 *   worker having dropped its unsent task_started); each task_started
 *   and task_done is acknowledged from opts.barrier's callback, after the
 *   engine's writes for it are committed.  A report for a task not in
 *   flight on that worker is acknowledged and has no effect (a resent
 *   report, SPEC 6.3).
 * - kill() sends taskkill; a task whose run is not sent yet is not sent
 *   and ends `failed`, "killed".  withdraw() takes back a task whose run
 *   is not sent yet.
 * - A lost worker (SPEC 7.3): its tasks whose run was never sent go back
 *   to the queue (requeue).  The others wait for the grace period
 *   (opts.grace_ms): if a worker of the same name and instance says
 *   hello within it, they move to the new connection and are asked
 *   `taskstatus` (running: wait; done: wait for the report; unknown: back
 *   to the queue, or `failed` "killed" if kill() was called meanwhile,
 *   whose taskkill goes out after the taskstatus).  Otherwise, or on a
 *   hello with another instance, they end `failed` with "lost contact
 *   with worker" and no exit status.  While they wait, each keeps one
 *   unit of max_tasks (their worker's max_tasks left with it), so
 *   max_tasks - inflight stays the room of the connected workers.
 * - A hello from the same name and instance while that worker's old
 *   connection still looks alive (half-open) closes the old one at once
 *   and its tasks move to the new one as above.
 * - adopt() takes over a task a dispatcher's earlier life sent (SPEC
 *   6.4): the same rule resolves it, its grace period starting with the
 *   adoption (at once: taskstatus to a connected worker of that name and
 *   instance, lost for another instance).  It is never sent again as a
 *   `run` unless its worker answers `unknown`.
 */
#ifndef POGO_EXEC_REMOTE_H
#define POGO_EXEC_REMOTE_H

#include <uv.h>

#include "pogo/exec.h"

struct pogo_dispatcher_secrets;
struct pogo_msg;
struct pogo_peer_worker;

struct pogo_exec_remote_opts {
	/*
	 * Call go(cookie, status) once, later, when every change the engine
	 * queued so far is durable (pogo_store_after_commit()): status 0, or
	 * a negative code if the commit failed; NULL: on the next loop turn
	 * (status 0).
	 */
	void (*barrier)(
	    void (*go)(void *cookie, int status), void *cookie, void *arg);
	/*
	 * start() gives t to worker (name and instance borrowed for the
	 * call): fill the fields of t the job engine does not set
	 * (task_name, user, ssh_user, ssh_port, connect_timeout) from the
	 * job t->data belongs to, and note the worker for the task's `ready`
	 * state.  May be NULL.
	 */
	void (*assign)(struct pogo_exec_task *t, const char *worker,
	    const char *instance, void *arg);
	/*
	 * The secret boxes of t's job (SPEC 7.2, 8.3; may be NULL: no job
	 * has secrets), asked when t starts and again when its run is sent:
	 * 0 with *sp NULL for a job without secrets, or with its boxes and
	 * their key_id (borrowed for the call); POGO_ERR_NOWORKER for a job
	 * whose secrets are not cached (SPEC 7.4).
	 */
	int (*secrets)(const struct pogo_exec_task *t,
	    const struct pogo_dispatcher_secrets **sp, void *arg);
	/* A worker gained room (hello, a task ended on a busy worker). */
	void (*kick)(void *arg);
	void *arg;
	uint64_t grace_ms; /* SPEC 7.3 lost_worker_grace; 0: none */
};

/* A remote executor on loop; opts is copied. */
struct pogo_exec *pogo_exec_remote_new(
    uv_loop_t *loop, const struct pogo_exec_remote_opts *opts);

/*
 * The worker layer forwards events to e until it detaches it (its own
 * stop): e is freed after its close and the detach, whichever is last.
 */
void pogo_exec_remote_attach(struct pogo_exec *e);
void pogo_exec_remote_detach(struct pogo_exec *e);

/*
 * The worker port's bound address "HOST:PORT": task ids are
 * "HOST:PORT-<n>" (SPEC 7.2).  Before it is set, "remote-".
 */
void pogo_exec_remote_set_prefix(struct pogo_exec *e, const char *addr);
const char *pogo_exec_remote_prefix(const struct pogo_exec *e);

/*
 * cb(arg) after each worker's hello, once its room is counted and the
 * engine kicked (pair.h: pogo one submits its job then); NULL: none.
 * Called from the worker layer's event, so cb must not stop e.
 */
void pogo_exec_remote_on_hello(
    struct pogo_exec *e, void (*cb)(void *arg), void *arg);

/* The peer server's events (peer.h), forwarded by the worker layer. */
void pogo_exec_remote_up(struct pogo_exec *e, struct pogo_peer_worker *w);
void pogo_exec_remote_lost(
    struct pogo_exec *e, struct pogo_peer_worker *w, int status);
void pogo_exec_remote_report(
    struct pogo_exec *e, struct pogo_peer_worker *w, struct pogo_msg *m);
void pogo_exec_remote_reply(struct pogo_exec *e, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *cookie);
/* The peer server's release of a command cookie (no executor needed). */
void pogo_exec_remote_release(void *cookie);

/*
 * The worker task t (in flight on e) was given to: its name and instance
 * (borrowed while t is in flight), or NULL.
 */
const char *pogo_exec_remote_worker(
    const struct pogo_exec_task *t, const char **instancep);

#endif
