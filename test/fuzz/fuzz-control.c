/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the dispatcher's control port (SPEC 7.5, 11) as it
 * runs: the component of src/dispatcher.c, started with an in-memory
 * store on loopback, without engine or worker layer.  The input is what a
 * client sends on one TCP connection to the control port, then it
 * half-closes; the loop runs until the server closes the connection, for
 * at most FZ_DEADLINE_MS (a long poll may wait longer: then the client
 * closes).  Checks: what the client reads is a sequence of HTTP/1.1
 * responses whose Content-Length matches (only the last may be cut, and
 * only when the client gave up waiting), every error answer is a JSON
 * {"errors": [...]} body (JSONP with cb= aside), and the daemon keeps
 * serving: a GET /status on a new connection answers 200.  The component
 * is reused across inputs and restarted every FZ_RESTART inputs, so that
 * the stored jobs stay bounded.
 */
#include "pogo/compat.h"

#include <string.h>

#include "pogo/cfg.h"
#include "pogo/dispatcher.h"
#include "pogo/log.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_INPUT 65536
#define FZ_DEADLINE_MS 2000
#define FZ_MAX_TURNS 1000000
#define FZ_RESTART 512

static uv_loop_t fz_loop;
static struct pogo_cfg *fz_cfg;
static struct pogo_dispatcher *fz_d;
static unsigned fz_runs;

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
	/* The answers to one input of 64 KiB stay far below this. */
	if (c->len + (size_t)n > 64 * 1024 * 1024)
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
 * Send req[0..len) on a new connection and read until the server closes
 * it or the deadline passes; the answer is in c->buf[0..c->len).
 */
static void
fz_exchange(struct fz_client *c, const void *req, size_t len)
{
	struct sockaddr_storage ss;
	unsigned turns;

	memset(c, 0, sizeof(*c));
	c->req = req;
	c->reqlen = len;
	if (pogo_dispatcher_control_address(fz_d, &ss) != 0 ||
	    uv_tcp_init(&fz_loop, &c->tcp) != 0 ||
	    uv_timer_init(&fz_loop, &c->timer) != 0)
		abort();
	c->open = 2;
	c->tcp.data = c;
	c->timer.data = c;
	c->conn.data = c;
	if (uv_tcp_connect(&c->conn, &c->tcp, (struct sockaddr *)&ss,
	        fz_connect_cb) != 0 ||
	    uv_timer_start(&c->timer, fz_timer_cb, FZ_DEADLINE_MS, 0) != 0)
		abort();
	for (turns = 0; c->open > 0; turns++) {
		if (turns == FZ_MAX_TURNS)
			abort();
		uv_run(&fz_loop, UV_RUN_ONCE);
	}
}

/*
 * Is the body of an error answer a JSON object with its "errors" array
 * (SPEC 11.2: the envelope's meta first, from the dispatcher; errors
 * alone, from the HTTP server), maybe pretty, or JSONP of it?
 */
static bool
fz_error_body(const char *b, size_t n)
{
	const char *p = memchr(b, '{', n), *end = b + n;

	if (p == NULL || b[n - 1] != '\n' ||
	    (p = memmem(p, (size_t)(end - p), "\"errors\":", 9)) == NULL)
		return false;
	for (p += 9; p < end && (*p == ' ' || *p == '\n'); p++)
		;
	return p < end && *p == '[';
}

/*
 * Checks that buf[0..len) is a sequence of whole responses; the last may
 * be cut when cut is true.  head_in says whether the input holds a HEAD
 * request line (answers to it have no body).
 */
static void
fz_check_responses(const char *buf, size_t len, bool cut, bool head_in)
{
	const char *p, *end, *hend, *cl;
	unsigned long long n;
	int status;
	char *e;

	if (len == 0)
		return;
	p = buf;
	end = buf + len;
	while (p < end) {
		if ((size_t)(end - p) < 13 || memcmp(p, "HTTP/1.1 ", 9) != 0) {
			if (cut &&
			    memcmp(p, "HTTP/1.1 ",
			        (size_t)(end - p) < 9 ? (size_t)(end - p)
			                              : 9) == 0)
				return;
			abort();
		}
		status = (int)strtol(p + 9, NULL, 10);
		if (status < 100 || status > 599)
			abort();
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL) {
			if (cut)
				return;
			abort();
		}
		hend += 4;
		if (status == 100) {
			p = hend;
			continue;
		}
		cl = memmem(p, (size_t)(hend - p), "\r\nContent-Length: ", 18);
		if (cl == NULL)
			abort();
		n = strtoull(cl + 18, &e, 10);
		if (*e != '\r')
			abort();
		/* An error answer to HEAD: headers only. */
		if (head_in && status >= 400 &&
		    (hend == end ||
		        ((size_t)(end - hend) >= 9 &&
		            memcmp(hend, "HTTP/1.1 ", 9) == 0))) {
			p = hend;
			continue;
		}
		if (n > (size_t)(end - hend)) {
			if (cut)
				return;
			abort();
		}
		if (status >= 400 && n > 0 && !fz_error_body(hend, n))
			abort();
		p = hend + n;
	}
}

static void
fz_stopped_cb(void *arg)
{
}

static void
fz_start(void)
{
	struct pogo_cfg_src src = { .home = "/nonexistent" };
	static const char text[] = "dispatcher:\n"
	                           "  control_listen: 127.0.0.1:0\n"
	                           "  worker_listen: 127.0.0.1:0\n";
	char *cause = NULL;

	if (fz_cfg == NULL) {
		pogo_log_level = POGO_LOG_ERROR;
		if (uv_loop_init(&fz_loop) != 0 ||
		    pogo_cfg_load_text(
		        text, strlen(text), "fuzz", &src, &fz_cfg, &cause) != 0)
			abort();
		free(fz_cfg->state_dir);
		fz_cfg->state_dir = xstrdup("");
	}
	if (pogo_dispatcher_start(&fz_loop, fz_cfg, &fz_d, &cause) != 0)
		abort();
}

/* Stop the component and run the loop until every handle is closed. */
static void
fz_stop(void)
{
	pogo_dispatcher_stop(fz_d, fz_stopped_cb, NULL);
	fz_d = NULL;
	uv_run(&fz_loop, UV_RUN_DEFAULT);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char status[] =
	    "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct fz_client *c;

	if (size > FZ_MAX_INPUT)
		return 0;
	if (fz_d != NULL && fz_runs++ % FZ_RESTART == FZ_RESTART - 1)
		fz_stop();
	if (fz_d == NULL)
		fz_start();
	c = xmalloc(sizeof(*c));
	fz_exchange(c, size > 0 ? data : (const uint8_t *)"", size);
	if (!c->eof && !c->timedout)
		abort();
	/* To read what a crashing input was answered. */
	if (getenv("POGO_FUZZ_PRINT") != NULL)
		fwrite(c->buf, 1, c->len, stderr);
	fz_check_responses(c->buf, c->len, c->timedout || c->reset,
	    memmem(data, size, "HEAD ", 5) != NULL);
	free(c->buf);

	/* The daemon keeps serving. */
	fz_exchange(c, status, sizeof(status) - 1);
	if (!c->eof || c->len < 13 || memcmp(c->buf, "HTTP/1.1 200 ", 13) != 0)
		abort();
	fz_check_responses(c->buf, c->len, false, false);
	free(c->buf);
	free(c);
	return 0;
}
