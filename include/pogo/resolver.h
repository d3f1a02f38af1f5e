/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * External resolvers (SPEC 2.7): for each external reference of a parsed
 * configuration, run the executable Name from the first directory of the
 * resolver path that has it, with the reference's words as arguments, no
 * shell, stdin on /dev/null and a time limit, and hand its output lines to
 * the configuration.  Asynchronous on the caller's libuv loop.  Each
 * resolver runs in a session and process group of its own; at the time
 * limit (or over the output limit) the whole group is killed and its
 * output is no longer waited for, even if a child still holds the pipe.
 */
#ifndef POGO_RESOLVER_H
#define POGO_RESOLVER_H

#include <uv.h>

struct pogo_sched_config;
struct pogo_resolver;
struct pogo_strv;

/* Time limit of one resolver run, and the most output it may print. */
#define POGO_RESOLVER_TIMEOUT_MS 30000
#define POGO_RESOLVER_MAX_OUTPUT (64 * 1024 * 1024)
/* Resolver children running at once in a process, all runs together. */
#define POGO_RESOLVER_MAX_RUNNING 16

/* Called once when every reference has an answer (or a failure). */
typedef void (*pogo_resolver_done_cb)(
    struct pogo_resolver *res, int status, void *arg);

/*
 * Resolve every external reference of cfg (borrowed until the callback),
 * at most POGO_RESOLVER_MAX_RUNNING resolvers at once in the process, for
 * all runs together; the waiting runs are served one child each in turn.
 * path is a ':'-separated directory list.  timeout_ms 0 means the default
 * (POGO_RESOLVER_TIMEOUT_MS); the tests pass a short one.
 * Returns 0 and calls cb exactly once, later, from the loop (status 0:
 * every reference answered; failures are recorded in cfg and reported by
 * pogo_sched_config_build()); or returns an error and never calls cb.
 * The request frees itself after the callback.
 */
int pogo_resolver_run(uv_loop_t *loop, struct pogo_sched_config *cfg,
    const char *path, uint64_t timeout_ms, pogo_resolver_done_cb cb, void *arg);

/*
 * Stop every run on loop (a dispatcher that stops): children not started
 * are answered as failed, running ones are killed with their process
 * groups; each run still calls back, soon, from the loop.
 */
void pogo_resolver_cancel_all(uv_loop_t *loop);

/*
 * A resolver's output, buf[0..len) followed by a NUL: append its hosts,
 * one per line (blanks around a name, blank lines and '#' lines are
 * ignored), to hosts; buf is cut up in place.  Output with a NUL byte is
 * refused (POGO_ERR_RANGE, *reasonp set, to be freed by the caller):
 * it would cut the list short.  Exposed for the fuzz target.
 */
int pogo_resolver_parse(
    char *buf, size_t len, struct pogo_strv *hosts, char **reasonp);

#endif
