/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The worker component (SPEC 9): connects to its dispatchers (peer.h),
 * answers their commands and reports its tasks on the link that issued
 * each one.  It owns its handles and keeps no file-level state, so
 * several can run on one loop (pogo one, the tests).
 *
 * Task execution is not wired in yet (XXX(#9)): a run of a task_name
 * other than "ssh" or "local" is acknowledged and reported done with rc
 * 255 and "invalid task name <name>" (SPEC 8.3); a run of "ssh" or
 * "local" is answered `busy`, so the dispatcher keeps the task for a
 * worker that can run it.  Repeated runs are acknowledged and not run
 * again (N-DEDUP); taskstatus answers running, done or unknown.
 *
 * A graceful stop (SIGTERM) answers `busy` to every new run, makes no new
 * connection, waits until the reports queued for the dispatchers that are
 * up are acknowledged (at most POGO_WORKER_STOP_MS), then closes.
 */
#ifndef POGO_WORKER_H
#define POGO_WORKER_H

#include <uv.h>

#include "pogo/clock.h"

/* How long a stop waits for tasks and reports (SPEC 9). */
#define POGO_WORKER_STOP_MS 60000

struct pogo_cfg;
struct pogo_worker;

/* Knobs for tests; NULL for the daemon's defaults. */
struct pogo_worker_opts {
	struct pogo_clock *clock; /* NULL: a clock on the loop */
	uint64_t stop_ms;         /* 0: POGO_WORKER_STOP_MS */
};

/*
 * Start a worker on loop with cfg (borrowed: read now).  Returns 0 with
 * *wp, or POGO_ERR_CONFIG / POGO_ERR_NOTIMPL (TLS) with *cause set for
 * the caller to print and free.
 */
int pogo_worker_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    const struct pogo_worker_opts *opts, struct pogo_worker **wp, char **cause);

typedef void (*pogo_worker_stop_cb)(
    struct pogo_worker *w, int status, void *arg);
/*
 * Stop gracefully (see above); cb (may be NULL) is called from the loop
 * once every handle is closed, with 0, or POGO_ERR_TIMEOUT when reports
 * were still undelivered at the deadline.  The worker is freed after cb.
 */
void pogo_worker_stop(struct pogo_worker *w, pogo_worker_stop_cb cb, void *arg);

#endif
