/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * One byte stream for the protocol (peer.c) and HTTP (http.c) code, plain
 * or TLS alike: a libuv TCP or pipe handle, and, with a TLS configuration
 * (tls.h), a TLS session driven by the loop.  Received bytes are fed to
 * the session and what it wants sent goes out with uv_write; nothing
 * blocks.
 *
 * With TLS, writes made before the handshake is over wait for it; reads
 * deliver plaintext only.  A handshake that is not over within
 * handshake_ms of pogo_stream_start() fails with POGO_ERR_TIMEOUT; one
 * refused (the peer's certificate, or the peer refused ours) fails with
 * POGO_ERR_TLS.  Both are delivered through the read callback, and
 * pogo_stream_cause() says why.
 *
 * Callbacks are never called from inside the function that causes them:
 * they run from libuv callbacks (reads, writes, an idle handle).  The
 * stream is freed after its close callback.
 */
#ifndef POGO_STREAM_H
#define POGO_STREAM_H

#include <uv.h>

#include "pogo/clock.h"

struct pogo_stream;
struct pogo_tls;

/* Milliseconds for a TLS handshake, from start (SPEC 10.1). */
#define POGO_STREAM_HANDSHAKE_MS 10000

enum pogo_stream_kind {
	POGO_STREAM_TCP,
	POGO_STREAM_PIPE,
};

/*
 * n > 0 bytes in buf (borrowed for the call); n < 0: UV_EOF, a libuv
 * error, POGO_ERR_TLS or POGO_ERR_TIMEOUT (the handshake).  Nothing more
 * is read after n < 0; the owner closes the stream.
 */
typedef void (*pogo_stream_read_cb)(
    struct pogo_stream *s, ssize_t n, const char *buf, void *arg);
/* A write is over (status 0, or an error); its data is the caller's. */
typedef void (*pogo_stream_write_cb)(
    struct pogo_stream *s, int status, void *arg);
typedef void (*pogo_stream_close_cb)(struct pogo_stream *s, void *arg);

/*
 * A new stream on loop, not connected: accept into pogo_stream_uv() or
 * connect with pogo_stream_tcp(), or open a descriptor on a pipe, then
 * pogo_stream_start().  tls (NULL: plain) and clock (for the handshake
 * timeout; NULL is allowed for a plain stream) are borrowed and must
 * outlive the stream.
 */
struct pogo_stream *pogo_stream_new(uv_loop_t *loop, enum pogo_stream_kind kind,
    struct pogo_tls *tls, struct pogo_clock *clock, uint64_t handshake_ms);

uv_stream_t *pogo_stream_uv(struct pogo_stream *s);
uv_tcp_t *pogo_stream_tcp(struct pogo_stream *s);
uv_pipe_t *pogo_stream_pipe(struct pogo_stream *s);
bool pogo_stream_is_tls(const struct pogo_stream *s);
/* After the handshake: the peer certificate's CN ("" when plain). */
const char *pogo_stream_peer_name(const struct pogo_stream *s);
/* Why the stream failed ("" if it did not). */
const char *pogo_stream_cause(const struct pogo_stream *s);

/*
 * Start reading (and the handshake, as client or server after the TLS
 * configuration) with read_cb(s, n, buf, arg).  Returns 0 or a libuv
 * error.
 */
int pogo_stream_start(
    struct pogo_stream *s, pogo_stream_read_cb read_cb, void *arg);
/* Deliver the next reads to read_cb(s, n, buf, arg) (a new owner). */
void pogo_stream_set_read_cb(
    struct pogo_stream *s, pogo_stream_read_cb read_cb, void *arg);
/* Stop and restart delivering reads (back-pressure). */
void pogo_stream_read_stop(struct pogo_stream *s);
int pogo_stream_read_start(struct pogo_stream *s);

/*
 * Write len bytes of data (borrowed until cb is called), then cb (may be
 * NULL).  Returns 0 or an error (nothing is written and cb is not
 * called).  Writes go out in order, after what was sent before.
 */
int pogo_stream_write(struct pogo_stream *s, const char *data, size_t len,
    pogo_stream_write_cb cb, void *arg);
/*
 * Send len bytes of data (copied), corked: everything sent during one
 * loop turn leaves in one write (TLS: one pass through the session, so
 * as few records as it makes) before the loop next waits for events,
 * after the writes made before, in order.  Returns 0, or UV_EPIPE once
 * the stream is closing.  No callback: a write that fails reaches the
 * read callback as its error (n < 0, pogo_stream_cause() "write: ..."),
 * as a read error would.  Closing the stream first hands what is held to
 * the socket, as far as it takes it at once.
 */
int pogo_stream_send(struct pogo_stream *s, const char *data, size_t len);
/*
 * Bytes accepted by write or send and not sent yet (on the wire side),
 * those held for the end of the loop turn included.
 */
size_t pogo_stream_write_queue_size(const struct pogo_stream *s);
/*
 * End the sending side after the writes made so far (TLS: close_notify,
 * then a TCP shutdown), then cb(s, status, arg).  Returns 0 or an error.
 */
int pogo_stream_shutdown(
    struct pogo_stream *s, pogo_stream_write_cb cb, void *arg);

/*
 * Close (once): writes not done are called back with UV_ECANCELED, then
 * cb (may be NULL), then s is freed.
 */
void pogo_stream_close(
    struct pogo_stream *s, pogo_stream_close_cb cb, void *arg);
bool pogo_stream_closing(const struct pogo_stream *s);

#endif
