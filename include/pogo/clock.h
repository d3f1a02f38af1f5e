/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * An injectable clock: a monotonic time in milliseconds and one-shot
 * timers.  The wire layer (queue.h, heartbeat.h, outbatch.h) takes its
 * time from here and never from libuv directly, so a unit test can drive
 * it by hand and check timings of 30 or 90 seconds in no time.
 *
 * Two kinds, one interface:
 *   - pogo_clock_uv_new(loop): libuv's cached loop time and one uv_timer
 *     per timer (the daemons);
 *   - pogo_clock_manual_new(start): time moves only in
 *     pogo_clock_manual_advance(), which fires due timers in order of due
 *     time (ties in order of start), each with the clock set to its due
 *     time (the tests).
 *
 * Timers are owned by whoever made them.  A timer callback is never
 * called from inside pogo_clock_timer_start(); after
 * pogo_clock_timer_stop() or _free() it is not called again.
 * pogo_clock_timer_free() may be called from the timer's own callback.
 * With libuv, the memory of a freed timer goes back in a close callback,
 * so the loop needs one more turn before uv_loop_close().
 */
#ifndef POGO_CLOCK_H
#define POGO_CLOCK_H

#include <uv.h>

struct pogo_clock;
struct pogo_clock_timer;

typedef void (*pogo_clock_timer_cb)(struct pogo_clock_timer *t, void *arg);

/* A clock on loop (borrowed; must outlive the clock). */
struct pogo_clock *pogo_clock_uv_new(uv_loop_t *loop);
/* A clock driven by hand, starting at start_ms. */
struct pogo_clock *pogo_clock_manual_new(uint64_t start_ms);
/* Free a clock; every timer of it must have been freed (POGO_BUG). */
void pogo_clock_free(struct pogo_clock *c);

/* Now, in milliseconds (monotonic; its origin means nothing). */
uint64_t pogo_clock_now(const struct pogo_clock *c);

/*
 * Move a manual clock forward by ms, firing every timer that falls due on
 * the way (also those started by the callbacks).  POGO_BUG on a libuv
 * clock.
 */
void pogo_clock_manual_advance(struct pogo_clock *c, uint64_t ms);
/* Manual clock: milliseconds until the next timer is due, or -1. */
int64_t pogo_clock_manual_next(const struct pogo_clock *c);

/* A stopped timer calling cb(t, arg) when it fires; free with _free. */
struct pogo_clock_timer *pogo_clock_timer_new(
    struct pogo_clock *c, pogo_clock_timer_cb cb, void *arg);
/* (Re)start t to fire once, ms from now. */
void pogo_clock_timer_start(struct pogo_clock_timer *t, uint64_t ms);
void pogo_clock_timer_stop(struct pogo_clock_timer *t);
bool pogo_clock_timer_active(const struct pogo_clock_timer *t);
/* Stop and free t (NULL-safe). */
void pogo_clock_timer_free(struct pogo_clock_timer *t);

#endif
