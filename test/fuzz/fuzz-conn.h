/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The client side of the fuzz targets that feed a listening component
 * over TCP (fuzz-control.c, fuzz-tls.c): one connection, the input sent,
 * a half-close, then everything read until the server closes it or
 * FZ_DEADLINE_MS pass.  Header only: each target is one program.
 */
#ifndef POGO_FUZZ_CONN_H
#define POGO_FUZZ_CONN_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "pogo/xmalloc.h"

#define FZ_DEADLINE_MS 2000
#define FZ_MAX_TURNS 1000000

struct fz_client {
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wr;
	uv_shutdown_t sh;
	uv_timer_t timer;
	const char *req;
	size_t reqlen;
	char *buf;
	size_t len, cap;
	size_t max; /* more from the server than this is a bug: abort */
	char rbuf[65536];
	int open;      /* handles not yet closed */
	bool eof;      /* the server closed or reset the connection */
	bool timedout; /* the client gave up waiting */
	bool reset;    /* the server reset it: the last answer may be cut */
};

static void
fz_close_cb(uv_handle_t *h)
{
	struct fz_client *c = h->data;

	c->open--;
}

static void
fz_client_close(struct fz_client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->tcp))
		uv_close((uv_handle_t *)&c->tcp, fz_close_cb);
	if (!uv_is_closing((uv_handle_t *)&c->timer))
		uv_close((uv_handle_t *)&c->timer, fz_close_cb);
}

static void
fz_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct fz_client *c = h->data;

	*b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
fz_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct fz_client *c = s->data;

	if (n < 0) {
		c->eof = true;
		c->reset = n != UV_EOF;
		fz_client_close(c);
		return;
	}
	if (c->len + (size_t)n > c->max)
		abort();
	if (c->len + (size_t)n > c->cap) {
		c->cap = (c->len + (size_t)n) * 2;
		c->buf = xreallocarray(c->buf, 1, c->cap);
	}
	memcpy(c->buf + c->len, b->base, (size_t)n);
	c->len += (size_t)n;
}

static void
fz_shutdown_cb(uv_shutdown_t *sh, int status)
{
}

static void
fz_write_cb(uv_write_t *w, int status)
{
	struct fz_client *c = w->data;

	/* The server may close first (an answer with Connection: close). */
	if (status == 0 && !uv_is_closing((uv_handle_t *)&c->tcp))
		uv_shutdown(&c->sh, (uv_stream_t *)&c->tcp, fz_shutdown_cb);
}

static void
fz_connect_cb(uv_connect_t *cr, int status)
{
	struct fz_client *c = cr->data;
	uv_buf_t b = uv_buf_init((char *)c->req, (unsigned)c->reqlen);

	if (status != 0)
		abort();
	if (uv_read_start((uv_stream_t *)&c->tcp, fz_alloc_cb, fz_read_cb) != 0)
		abort();
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, fz_write_cb) != 0)
		abort();
}

static void
fz_timer_cb(uv_timer_t *t)
{
	struct fz_client *c = t->data;

	c->timedout = true;
	fz_client_close(c);
}

/*
 * Send req[0..len) to ss on a new connection of loop and read until the
 * server closes it or the deadline passes; the answer is in
 * c->buf[0..c->len) (at most max bytes), for the caller to free.
 */
static void
fz_exchange(uv_loop_t *loop, const struct sockaddr_storage *ss,
    struct fz_client *c, const void *req, size_t len, size_t max)
{
	unsigned turns;

	memset(c, 0, sizeof(*c));
	c->req = req;
	c->reqlen = len;
	c->max = max;
	if (uv_tcp_init(loop, &c->tcp) != 0 ||
	    uv_timer_init(loop, &c->timer) != 0)
		abort();
	c->open = 2;
	c->tcp.data = c;
	c->timer.data = c;
	c->conn.data = c;
	if (uv_tcp_connect(&c->conn, &c->tcp, (const struct sockaddr *)ss,
	        fz_connect_cb) != 0 ||
	    uv_timer_start(&c->timer, fz_timer_cb, FZ_DEADLINE_MS, 0) != 0)
		abort();
	for (turns = 0; c->open > 0; turns++) {
		if (turns == FZ_MAX_TURNS)
			abort();
		uv_run(loop, UV_RUN_ONCE);
	}
}

#endif
