/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Test helpers for the scheduler: build a schedule from YAML text, record
 * its events, and run it in "waves" (SPEC 13.1: every task takes the same
 * time; tasks finishing at the same instant are processed in start order).
 */
#ifndef POGO_TEST_SCHED_SIM_H
#define POGO_TEST_SCHED_SIM_H

#include "harness.h"
#include "pogo/sched-config.h"
#include "pogo/sched.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

struct sim {
	struct pogo_sched_config *cfg;
	struct pogo_sched *s;
	struct pogo_strv hosts;
	uint32_t runs[4096];
	size_t nruns;
	char waiting[8192]; /* "host:group,group;" per waiting event */
	size_t nwaiting;
	int slot_done; /* of thread 0 */
	int slot_done_all;
	int thread_done;
	int done;
	enum pogo_sched_end end;
	/* Tasks that fail (by host name), and tasks finished inside run. */
	const char *fail;
	bool sync;
	int sync_depth;
	int max_depth; /* the deepest nesting of run callbacks */
	/* Every event in order: "run:h slot_done:0.1 thread_done:0 done:0 " */
	char log[8192];
	/*
	 * Starts that sim_waves saw while a task of an earlier slot of the
	 * same thread was not final (SPEC 3.3): "host6<host2 " means host6
	 * started while host2 was still pending or in flight.
	 */
	char early[4096];
	bool check_order;
};

/* Parse and build cfg (NULL: empty), job hosts "a,b" (NULL: configured). */
void sim_init(struct sim *m, const char *yaml, const char *targets);
void sim_init_shared(struct sim *m, const char *yaml, const char *targets,
    struct pogo_sched_counters *ctrs, const char *concurrent);
void sim_free(struct sim *m);
/* Hosts of runs[from..] joined by spaces (static buffer). */
const char *sim_runs(struct sim *m, size_t from);
/*
 * Start, then run waves until quiet: "h3 h2 -> h1" (static buffer).  The
 * tasks of a wave finish one by one in start order; a task that starts
 * before the last of them has finished is shown in the next wave, so the
 * string cannot show a sequence broken within a wave: m->early can.
 */
const char *sim_waves(struct sim *m);
bool sim_fails(const struct sim *m, uint32_t task);

#endif
