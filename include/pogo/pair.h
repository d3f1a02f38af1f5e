/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A dispatcher and a worker in one process, on one loop (SPEC 12.2, issue
 * 9 design item 4): what `pogo one` runs, and what tests and benchmarks
 * can run.  Neither component knows it is paired: the pair only starts
 * them as the daemons would, with a configuration the caller fills in.
 *
 *   pogo_pair_start(loop, cfg, wopts, &p, &cause)
 *       starts the dispatcher component (dispatcher.h) with its engine
 *       (dispatcher-engine.h) and worker layer (dispatcher-peer.h), its
 *       store in cfg->state_dir ("" for an in-memory store, SPEC 6.1),
 *       then the worker component (worker.h) with cfg->worker.* and
 *       wopts.  The pair listens on nothing (review3 finding 1: a port,
 *       even on loopback, lets any local user submit jobs that run as
 *       this user, or pose as its worker): it has no control port (its
 *       owner calls the dispatcher's functions) and its worker is linked
 *       to the dispatcher by a socketpair (peer.h, worker.h's link), a
 *       new one per connection.  cfg's control_listen and worker_listen
 *       are emptied for that (cfg is the caller's and must outlive p).
 *       When prefix is given, task ids are "<prefix>-<n>" (SPEC 7.2:
 *       pogo one uses "one-<n>").
 *   pogo_pair_ready(p, timeout_ms, cb, arg)
 *       calls cb when the worker has said hello to the dispatcher.
 *   pogo_pair_stop(p, cb, arg)
 *       stops the worker gracefully (its reports delivered), then the
 *       dispatcher (its last commit), then calls cb and frees p.
 *
 * `pogo one` on this pair (issue 9), its only way:
 *   1. cmd-one.c parses its options into a struct pogo_cfg:
 *      state_dir from --state-dir or "",
 *      worker.reconnect_delay 0 (the worker connects at once),
 *      worker.max_tasks from --concurrency, max_handshakes, max_output,
 *      hook_dir, worker.ssh.* from -i, -F, --known-hosts,
 *      --host-key-check, --connect-timeout; the worker uses the local
 *      agent and identities (worker.use_local_identity).  A prompt for a
 *      key's passphrase is a worker option (the terminal is this
 *      process's).
 *   2. Once the worker is connected (pogo_pair_ready()), it submits its
 *      one job through pogo_dispatcher_submit(), the
 *      function behind POST /v1/jobsubmit, with the same fields: the
 *      checks, the store and the engine see an ordinary submission.
 *      -l and --port are the job's ssh_user and ssh_port, --local its
 *      task_name, --file its exe_name and exe_data, --retry, --prehook,
 *      --posthook, --lock its stub fields: they reach the worker in
 *      task_data (SPEC 8.3) as for any job.  -p's password is not a
 *      job secret: the worker's SSH executor holds it (worker.h).
 *   3. It follows the job as a remote follower would (tail.h): the
 *      job's log entries and output records read from the store after
 *      their commit, fed to the follower (follow.h), whose halt and stop
 *      become pogo_dispatcher_job_halt() and _kill(); the summary's
 *      peaks come from pogo_worker_peaks().
 *   4. When the job ends and the follower has printed everything, the
 *      pair stops and pogo one exits with the follower's status.
 * Its worker is linked unpaced (worker.h output_unpaced): task_output
 * leaves every loop turn, and a command printing faster than the
 * dispatcher stores is throttled, never dropped (exec.h throttle: the
 * linger's bound runs on, t4022; its timeout stands still for at most
 * its own length, t1006); a slow reader of pogo one's
 * stdout holds the commands back as in-process pogo one did
 * (pogo_worker_hold(), exec.h pause: their timeouts stand still, t1006).
 * The follower is the store's one reader: what it printed is deleted
 * (pogo_tail_forget()), so the in-memory store holds only what waits.
 * Every pogo one test runs through the pair.
 * Still open: a job of many short tasks costs more CPU than the
 * in-process engine pogo one had before (issue 9 P4; test/bench).
 */
#ifndef POGO_PAIR_H
#define POGO_PAIR_H

#include <uv.h>

struct pogo_cfg;
struct pogo_dispatcher;
struct pogo_pair;
struct pogo_worker;
struct pogo_worker_opts;

/*
 * Start the pair (see above); prefix may be NULL.  Blocks while the
 * store opens: call it before the loop runs.  Returns 0 and *pp, or an
 * error of pogo_dispatcher_start(), pogo_dispatcher_peer_start() or
 * pogo_worker_start() with *cause for the caller to print and free;
 * what was started is stopped then, and the loop must run until it is
 * closed.
 */
int pogo_pair_start(uv_loop_t *loop, struct pogo_cfg *cfg,
    const struct pogo_worker_opts *wopts, const char *prefix,
    struct pogo_pair **pp, char **cause);

/*
 * Stop the pair: cb(status, arg) once, from the loop, when both
 * components are closed; status is the worker's stop status (worker.h:
 * 0, or POGO_ERR_TIMEOUT), or POGO_ERR_STORE after the store failed
 * (then the worker's running tasks are killed at once and its reports
 * dropped: nothing can be recorded any more).  p is freed then.  Call
 * once.
 */
void pogo_pair_stop(
    struct pogo_pair *p, void (*cb)(int status, void *arg), void *arg);

/*
 * cb(p, status, arg) once, later, from the loop: status 0 on the loop
 * turn after the dispatcher has the worker's hello (at once if it came
 * before the call; a job submitted then never waits for a worker), or
 * POGO_ERR_TIMEOUT after timeout_ms without it.  Event-driven: the
 * remote executor tells the pair of each hello (exec-remote.h), nothing
 * polls.  One at a time; a stop cancels it without a call.
 */
typedef void (*pogo_pair_ready_cb)(struct pogo_pair *p, int status, void *arg);
void pogo_pair_ready(
    struct pogo_pair *p, uint64_t timeout_ms, pogo_pair_ready_cb cb, void *arg);

/*
 * cb(p, arg) once, from the loop, when a commit of the dispatcher's store
 * failed (review3 finding 9; store.h: every later write fails, the job
 * can no longer end): the owner must stop the pair and exit with an
 * error.  Without it, the failure is only logged.
 */
typedef void (*pogo_pair_fatal_cb)(struct pogo_pair *p, void *arg);
void pogo_pair_set_fatal(struct pogo_pair *p, pogo_pair_fatal_cb cb, void *arg);

/*
 * pogo one's summary peaks (SPEC 12.2 --json): the most tasks the
 * dispatcher had handed to the worker and not seen done at once (the
 * hosts in flight, as the in-process executor counted them: a run the
 * worker ends before the next run reaches it over the stop-and-wait
 * link still counts), and the worker's most SSH handshakes.
 */
void pogo_pair_peaks(
    struct pogo_pair *p, unsigned *inflightp, unsigned *handshakesp);

/* The components, for submissions, reads and tests. */
struct pogo_dispatcher *pogo_pair_dispatcher(struct pogo_pair *p);
struct pogo_worker *pogo_pair_worker(struct pogo_pair *p);

#endif
