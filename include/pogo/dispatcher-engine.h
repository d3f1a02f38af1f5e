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
 * - halt and kill (pogo_dispatcher_job_halt(), _kill()) reach the job.
 *
 * XXX(#9): restart (SPEC 6.4) and the other job operations of SPEC 5.5
 * are not here yet: a job active when the dispatcher stopped stays as
 * stored.
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
