/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Following a job of a dispatcher in this process (pair.h) the way a
 * remote follower does: the job's committed log entries and output
 * records are read from the store and fed to a follower (follow.h) in
 * log order, nothing taken from the engine's memory.  pogo one will
 * print its job through it; pogo submit --follow reads the same events
 * over HTTP (SPEC 11.3 log long poll, 5.8 output).
 *
 * - New entries are read when the dispatcher says they are committed
 *   (pogo_dispatcher_watch()), and once at the start.
 * - Output of a host's run is read from the store (which writes its
 *   buffered records first) every poll_ms while the run is in flight,
 *   once its `running` entry was fed (the follower opens the run's
 *   --output-dir file there), and always before the entry that ends
 *   the run, so that a host's lines come before its final line.
 * - Entries are read TAIL_LOG_PAGE at a time and records
 *   TAIL_OUT_PAGE at a time (tail.c): a long log is read over several
 *   loop turns, never copied whole.
 * - pogo_tail_pause(true) stops the reading (a slow reader of stdout:
 *   the records wait in the store), false resumes it.
 * - When a log entry puts the job in a final state (SPEC 5.3) and no
 *   host is in flight any more, pogo_follow_end() is called, then
 *   end_cb once.
 * - Each record is fed with its end of line as the worker saw it (SPEC
 *   5.8: a partial line, at the end of a stream or after 0.5 s, has
 *   none): the wire record and the store keep the flag, so the
 *   --output-dir files hold exactly the bytes the command printed.
 */
#ifndef POGO_TAIL_H
#define POGO_TAIL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct pogo_dispatcher;
struct pogo_follow;
struct pogo_tail;

/* How often the output of runs in flight is read, by default. */
#define POGO_TAIL_POLL_MS 100

typedef void (*pogo_tail_end_cb)(struct pogo_tail *t, void *arg);

/*
 * Follow job of d into f (both borrowed; they must outlive t).  The job
 * must exist.  poll_ms 0: POGO_TAIL_POLL_MS.  Returns 0 and *tp, or
 * POGO_ERR_NOTFOUND (no such job) or a store error; end_cb is then never
 * called.  Reading starts on the next loop turn.
 */
int pogo_tail_start(uv_loop_t *loop, struct pogo_dispatcher *d, uint64_t job,
    struct pogo_follow *f, uint64_t poll_ms, pogo_tail_end_cb end_cb, void *arg,
    struct pogo_tail **tp);

/*
 * Did the job's log say it was `running` (its schedule built)?  false
 * for a job halted while gathering: its configuration failed (SPEC
 * 2.11, a resolver), or a halt came first.
 */
bool pogo_tail_ran(const struct pogo_tail *t);

/*
 * With forget true, the output records fed to f are deleted from the
 * store (pogo_store_output_forget()), a page at a time: an in-memory
 * store (pogo one, SPEC 6.1) then holds the output not read yet, not the
 * job's whole output (t4022: a background `yes` grew it without bound).
 * Only for a follower that is the job's one reader.
 */
void pogo_tail_forget(struct pogo_tail *t, bool forget);

/* Stop or resume reading (back-pressure from the follower's sinks). */
void pogo_tail_pause(struct pogo_tail *t, bool pause);

/*
 * Stop following: no more calls into f or end_cb; cb(arg) once, later,
 * from the loop, and t is freed.  Call before d stops.
 */
void pogo_tail_close(struct pogo_tail *t, void (*cb)(void *arg), void *arg);

#endif
