/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The local executor (SPEC 9.11): runs `sh -c COMMAND` on this machine with
 * POGO_HOST and POGO_JOB_ID set, standard input on /dev/null, in its own
 * process group, capturing stdout and stderr separately.  For tests and
 * for benchmarks without SSH.
 */
#ifndef POGO_EXEC_LOCAL_H
#define POGO_EXEC_LOCAL_H

#include <uv.h>

#include "pogo/exec.h"

/*
 * Tests only (test-exec-local.c, through opts.fault): fail the next
 * spawn's pidfd_open (fail 1)
 * or the watch of its pidfd (fail 2) as if out of descriptors; with spare,
 * its child is not killed there but left to end by itself (to show that
 * reaping it does not hold the loop).  pid is set to that child.  Reset
 * after one use.
 */
struct pogo_exec_local_fault {
	int fail;
	bool spare;
	pid_t pid;
};

struct pogo_exec_local_opts {
	unsigned max_tasks;
	size_t max_output;      /* bytes per run, 0: none */
	unsigned kill_grace_ms; /* TERM -> KILL; 0: 10 s */
	const char *pid_dir;    /* SPEC 9.10 pid files here; NULL: none */
	struct pogo_exec_local_fault *fault; /* tests only; NULL */
};

/* A new local executor on loop; freed by its close op. */
struct pogo_exec *pogo_exec_local_new(uv_loop_t *loop,
    const struct pogo_exec_local_opts *opts, const struct pogo_exec_events *ev,
    void *ev_arg);

#endif
