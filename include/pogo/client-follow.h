/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo submit --follow (SPEC 12.4): one job of the API followed through
 * its log's long poll (SPEC 11.3, wait=) and printed by the follower of
 * pogo one (follow.h): the same per-host lines, --json events (without
 * output events), summary line and exit status.  The first Ctrl-C halts
 * the job (jobhalt, "halted by user") and goes on following; the second
 * stops following, the job left halted, and exits 1.
 */
#ifndef POGO_CLIENT_FOLLOW_H
#define POGO_CLIENT_FOLLOW_H

#include <stdbool.h>
#include <uv.h>

struct pogo_client_opts;

/*
 * Follow jobid (nhosts hosts) on loop, with its own connections to the
 * API of o, printing on stdout and stderr; runs the loop until the job
 * is no longer active and no host is in flight.  Returns the exit status
 * of SPEC 12.2 (0, 1), or 3 (POGO_EXIT_NOJOB) when the API could not be
 * reached or the job not followed (the reason on stderr).
 */
int pogo_client_follow(uv_loop_t *loop, const struct pogo_client_opts *o,
    const char *jobid, uint32_t nhosts, bool json);

#endif
