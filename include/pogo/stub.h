/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The target-side stub (SPEC 9.7): the POSIX sh script that runs a task in
 * stub mode (hooks, retries, the target lock, an attached script), and the
 * reading of its outcome.  Pure: the executors (ssh.c, exec-local.c) send
 * the script to `sh` on the target and feed the output back.
 *
 * The script is one compound command, a function definition followed on
 * its last line by the call and `exit`, so that sh has read all of it
 * before any of it runs.  It prints its messages on standard output; its
 * last line after an abort is "ERROR: pogo-worker died: <reason>".
 */
#ifndef POGO_STUB_H
#define POGO_STUB_H

#include "pogo/exec.h"

#define POGO_STUB_LOCKFILE "/tmp/pogo_worker.lock"
#define POGO_STUB_HOOK_DIR "/etc/pogo"
#define POGO_STUB_TMPDIR "/tmp"
/* Hex digits of the random part of a marker or script name. */
#define POGO_STUB_RANDOM_HEX 32
/* "POGO-READY-" and 32 hex digits. */
#define POGO_STUB_MARKER_LEN (11 + POGO_STUB_RANDOM_HEX)
/* Extra seconds per attempt and per run of the whole-run limit. */
#define POGO_STUB_SLACK_ATTEMPT 5
#define POGO_STUB_SLACK_RUN 30

/* Does the task ask for stub mode?  (s may be NULL: direct mode.) */
bool pogo_stub_needed(const struct pogo_exec_stub *s);

/*
 * Fill hex with POGO_STUB_RANDOM_HEX random hex digits and a NUL (hex has
 * room for POGO_STUB_RANDOM_HEX + 1 bytes).  Returns 0 or a libuv error.
 */
int pogo_stub_random(char *hex);

/*
 * The stub script for task t (t->stub set), with the random hex string rnd
 * (from pogo_stub_random(): it names the attached script and the
 * here-document's delimiter).  lockfile is the lock's path, NULL for
 * POGO_STUB_LOCKFILE (tests use their own).  The result is owned by the
 * caller.
 */
char *pogo_stub_script(
    const struct pogo_exec_task *t, const char *rnd, const char *lockfile);

/*
 * The whole-run limit of a stub-mode task in seconds (SPEC 9.10):
 * (retry + 1) * (timeout + 5) + 30; 0 (none) when timeout is 0.
 */
uint64_t pogo_stub_run_limit(const struct pogo_exec_task *t);

/*
 * The last line of a stream of output records (the stub's standard
 * output), bounded: a longer line keeps its first bytes.
 */
struct pogo_stub_tail {
	char line[512];
	size_t len;
	bool eol; /* the last record ended its line */
};

/* Feed one output record (as the executor's output event has it). */
void pogo_stub_tail_feed(
    struct pogo_stub_tail *tl, const char *data, size_t len, bool eol);

/*
 * The task's result from the stub's exit status (or the signal that ended
 * it, 0: none) and its last line (SPEC 9.7): exit 0 is finished; "command
 * exited <n>" with exit n is failed with status n; "command timed out"
 * is a timeout of timeout seconds; any other "ERROR: pogo-worker died:
 * <reason>" is failed with <reason> and status 254; the rest maps as
 * SPEC 9.8.
 */
void pogo_stub_result(struct pogo_exec_result *r,
    const struct pogo_stub_tail *tl, int status, int signal, unsigned timeout);

#endif
