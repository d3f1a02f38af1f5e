/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher's engine (SPEC 7.1-7.3, 6.3): plugged into a dispatcher
 * component (pogo_dispatcher_set_engine()), it runs every submitted job
 * on one dispatch (job.h) over the remote executor (exec-remote.h).
 *
 * - On a submission (after its commit) the job is built from its stored
 *   record: its hosts in target order, its configuration (YAML; a
 *   configuration with resolver references is halted until the
 *   dispatcher resolves them), the counters of its namespace, task ids
 *   "<worker port>-<n>" with n from the store's next_task counter.
 * - Every job-listener event maps to the store (store.h): a log entry to
 *   pogo_store_log_append() (entry 0 is the submission's), a host entry
 *   also to pogo_store_host_set() (with the task id and the worker its
 *   task was given to), the job's state to pogo_store_job_state(),
 *   output to pogo_store_output_append() (buffered, written at least
 *   once a second).  The executor's barriers are the store's
 *   after-commit callbacks: a `run` goes out after its task's `ready`
 *   state is committed, a report is acknowledged after its effects are.
 *   Long polls on a job's log are answered after the commit too.
 * - Stopping closes the jobs, the dispatch and the executor.
 *
 * - halt and kill (pogo_dispatcher_job_halt(), _kill()) reach the job,
 *   and so do resume, retry, skip and alter (SPEC 5.5) of the control
 *   port's POST /v1/jobs/:jobid; their state changes reach the store
 *   through the listener as any other, an alter through
 *   pogo_store_job_alter().
 * - Memory holds the active jobs only: a job that ends is freed once its
 *   last entries are committed.  resume, retry and skip of an ended job
 *   (in this process or before a restart) reload it from the store
 *   first, as at a restart, in its ended state (job.h pogo_job_load());
 *   halt and kill need no ended job, and an alter of one changes its
 *   record, which a reload reads.
 * - At the start (before the worker port listens), every active job of
 *   the store, and every halted one with hosts in flight, is reloaded
 *   (SPEC 6.4, job.h pogo_job_load()): all of them
 *   before any dispatches, so that a namespace's counters hold every
 *   job's units; hosts in flight are adopted by the remote executor with
 *   their stored task id, worker and instance (SPEC 7.3's rule, its grace
 *   period starting now); expired jobs are halted "timeout reached", jobs
 *   with secrets "dispatcher restarted" (their secrets were only in
 *   the cache).
 *   A job that cannot be reloaded (stored part-way, a gap in its log, a
 *   host row or state out of range, a configuration that no longer
 *   parses, a store read error) is halted "cannot reload the job: <what
 *   failed>", after its hosts stored `ready` or `running` are failed
 *   "lost contact with worker" (SPEC 6.4.5: nothing else would ever
 *   resolve them; their workers' reports find no job).
 * - The secret cache (SPEC 7.4, secret-cache.h): a submission's boxes are
 *   cached for job_timeout + 60 s (no timer without job_timeout: 60 s
 *   after the job ends); a task of a job that needs secrets (its stored
 *   key_id) goes only to a worker of that key_id and only while they are
 *   cached (exec-remote.h opts.secrets), else it waits `waiting for a
 *   worker`.  resume (the engine's op, POST /v1/jobs/:jobid jobresume)
 *   replaces them with the boxes it is given.  Every entry is wiped when
 *   it is dropped, and all of them at the stop.
 */
#ifndef POGO_DISPATCHER_ENGINE_H
#define POGO_DISPATCHER_ENGINE_H

#include <uv.h>

struct pogo_cfg;
struct pogo_dispatcher;
struct pogo_exec;

/*
 * Plug an engine into d (which stops it) and return its remote executor,
 * for pogo_dispatcher_peer_start().
 */
struct pogo_exec *pogo_dispatcher_engine_start(
    struct pogo_dispatcher *d, uv_loop_t *loop, const struct pogo_cfg *cfg);

#endif
