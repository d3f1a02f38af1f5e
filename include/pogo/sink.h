/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A sink: writes to a file descriptor (pogo one's stdout and stderr)
 * through the loop, so that a slow reader (`| less`, Ctrl-S, a slow
 * terminal link) never blocks timers.  Terminals, pipes and sockets are
 * written with libuv streams; regular files and other descriptors that
 * cannot wait (disks, /dev/null) are written at once.  Data is copied into
 * a queue.  The queue is bounded by its owner: past the high-water mark
 * the level callback says "full", and the owner slows its producers down
 * (pogo one pauses the executors' reading of command output); at half of
 * it the callback says "not full" again.
 */
#ifndef POGO_SINK_H
#define POGO_SINK_H

#include <uv.h>

struct pogo_sink;

/* The queue went above the high-water mark (full), or back to half. */
typedef void (*pogo_sink_level_cb)(struct pogo_sink *s, bool full, void *arg);

/*
 * A sink writing to fd (borrowed: never closed) on loop.  high is the
 * high-water mark in bytes; cb (may be NULL) is called from
 * pogo_sink_write() and from the loop.  A descriptor libuv puts in
 * non-blocking mode gets its flags back at pogo_sink_close().
 */
struct pogo_sink *pogo_sink_new(
    uv_loop_t *loop, int fd, size_t high, pogo_sink_level_cb cb, void *arg);

/* Queue a copy of data[0..len).  After a write error, data is dropped. */
void pogo_sink_write(struct pogo_sink *s, const char *data, size_t len);
void pogo_sink_printf(struct pogo_sink *s, const char *fmt, ...)
    POGO_PRINTFLIKE(2, 3);

/*
 * Queue data with the bytes a terminal would act on made visible, as
 * OpenSSH and tmux do: C0 controls and DEL as \r, \t, \033 (octal, or the
 * C escape), C1 controls (U+0080-U+009F) as their octal UTF-8 bytes.
 * Used for command output when the sink is a terminal.
 */
void pogo_sink_write_escaped(struct pogo_sink *s, const char *data, size_t len);

/* Bytes queued and not yet written. */
size_t pogo_sink_queued(const struct pogo_sink *s);

/* Is the descriptor a terminal? */
bool pogo_sink_is_tty(const struct pogo_sink *s);

/* The first write error (a negative libuv code), or 0. */
int pogo_sink_error(const struct pogo_sink *s);

/*
 * Write what is queued, then close the handle and free s; cb(arg) is
 * called once, later, from the loop.  The loop must run until then.
 * What is written between the last queued byte's write and cb (the log
 * lines of the end of a run) is written at once, after it: the loop
 * waits for the reader then (up to 10 s for a non-blocking descriptor,
 * as long as the reader takes for a blocking one, as any write(2)).
 */
void pogo_sink_close(struct pogo_sink *s, void (*cb)(void *), void *arg);

#endif
