/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of client.c's pool of kept-alive connections (client.h,
 * review4 F-K), against a small HTTP/1.1 server on loopback made here
 * with libuv, which counts the connections it accepts and can close a
 * connection where a real server would (idle, or as a request comes).
 */
#include "pogo/compat.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "pogo/client.h"
#include "pogo/error.h"
#include "pogo/xmalloc.h"

enum fake_mode {
	FAKE_ANSWER,       /* answer every request, keep the connection */
	FAKE_CLOSE_SECOND, /* close a connection at its second request */
	FAKE_CLOSE_LATER,  /* answer the first request only, close at others */
	FAKE_CLOSE_IDLE,   /* close each connection after its answer */
};

struct fake {
	uv_loop_t *loop;
	uv_tcp_t listener;
	enum fake_mode mode;
	int port;
	unsigned accepted, requests, open;
};

struct fake_conn {
	uv_tcp_t h;
	struct fake *f;
	char buf[16384];
	size_t len;
	unsigned id, nreq;
	bool closing;
};

struct fake_write {
	uv_write_t w;
	struct fake_conn *c;
	bool close;
	char data[];
};

static void
fake_conn_closed(uv_handle_t *h)
{
	struct fake_conn *c = h->data;

	c->f->open--;
	free(c);
}

static void
fake_conn_close(struct fake_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	uv_close((uv_handle_t *)&c->h, fake_conn_closed);
}

static void
fake_written(uv_write_t *w, int status)
{
	struct fake_write *fw = (struct fake_write *)w;

	if (fw->close)
		fake_conn_close(fw->c);
	free(fw);
}

static void
fake_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct fake_conn *c = h->data;

	*buf =
	    uv_buf_init(c->buf + c->len, (unsigned)(sizeof(c->buf) - c->len));
}

/* One complete request of c's buffer: answered, or the connection closed. */
static void
fake_request(struct fake_conn *c, bool head)
{
	struct fake *f = c->f;
	struct fake_write *fw;
	char body[64];
	uv_buf_t b;
	int n;

	f->requests++;
	c->nreq++;
	if ((f->mode == FAKE_CLOSE_SECOND && c->nreq == 2) ||
	    (f->mode == FAKE_CLOSE_LATER && f->requests > 1)) {
		fake_conn_close(c);
		return;
	}
	snprintf(body, sizeof(body), "conn %u req %u", c->id, c->nreq);
	fw = xmalloc(sizeof(*fw) + 256);
	fw->c = c;
	fw->close = f->mode == FAKE_CLOSE_IDLE;
	n = snprintf(fw->data, 256,
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    strlen(body), head ? "" : body);
	b = uv_buf_init(fw->data, (unsigned)n);
	ASSERT_OK(uv_write(&fw->w, (uv_stream_t *)&c->h, &b, 1, fake_written));
}

static void
fake_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct fake_conn *c = s->data;
	char *end, *cl;
	size_t head, body, used;

	if (n < 0) {
		fake_conn_close(c);
		return;
	}
	c->len += (size_t)n;
	while (!c->closing && c->len > 0) {
		c->buf[c->len < sizeof(c->buf) ? c->len : sizeof(c->buf) - 1] =
		    '\0';
		if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
			return;
		head = (size_t)(end - c->buf) + 4;
		body = 0;
		if ((cl = strcasestr(c->buf, "\r\nContent-Length:")) != NULL &&
		    cl < end)
			body = strtoul(cl + 17, NULL, 10);
		if (c->len < head + body)
			return;
		used = head + body;
		fake_request(c, strncmp(c->buf, "HEAD ", 5) == 0);
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
	}
}

static void
fake_accept(uv_stream_t *l, int status)
{
	struct fake *f = l->data;
	struct fake_conn *c = xcalloc(1, sizeof(*c));

	ASSERT_OK(status);
	c->f = f;
	c->id = ++f->accepted;
	f->open++;
	ASSERT_OK(uv_tcp_init(f->loop, &c->h));
	c->h.data = c;
	ASSERT_OK(uv_accept(l, (uv_stream_t *)&c->h));
	ASSERT_OK(uv_read_start((uv_stream_t *)&c->h, fake_alloc, fake_read));
}

static void
fake_start(struct fake *f, uv_loop_t *loop, enum fake_mode mode)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(f, 0, sizeof(*f));
	f->loop = loop;
	f->mode = mode;
	ASSERT_OK(uv_tcp_init(loop, &f->listener));
	f->listener.data = f;
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sin));
	ASSERT_OK(uv_tcp_bind(&f->listener, (struct sockaddr *)&sin, 0));
	ASSERT_OK(uv_listen((uv_stream_t *)&f->listener, 64, fake_accept));
	ASSERT_OK(
	    uv_tcp_getsockname(&f->listener, (struct sockaddr *)&ss, &len));
	f->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ------------------------------------------------------------------ */
/* The client side. */

struct env {
	uv_loop_t loop;
	uv_timer_t tick; /* so that a turn of the loop never blocks long */
	struct fake f;
	struct pogo_client_pool *pool;
	char url[64];
};

struct result {
	struct pogo_client *c;
	bool done;
	int err;
	int status;
	char body[64];
	size_t len;
};

static void
tick_cb(uv_timer_t *t)
{
}

static void
env_start(struct env *e, enum fake_mode mode, size_t max)
{
	memset(e, 0, sizeof(*e));
	ASSERT_OK(uv_loop_init(&e->loop));
	ASSERT_OK(uv_timer_init(&e->loop, &e->tick));
	ASSERT_OK(uv_timer_start(&e->tick, tick_cb, 10, 10));
	fake_start(&e->f, &e->loop, mode);
	snprintf(e->url, sizeof(e->url), "http://127.0.0.1:%d", e->f.port);
	e->pool =
	    max > 0 ? pogo_client_pool_new(&e->loop, NULL, max, 30000) : NULL;
}

/* Turn the loop until *done (a bool) or until pred, at most 10 s. */
static void
env_run(struct env *e, bool (*pred)(struct env *, void *), void *arg)
{
	uint64_t end;

	uv_update_time(&e->loop);
	end = uv_now(&e->loop) + 10000;
	while (!pred(e, arg)) {
		ASSERT(uv_now(&e->loop) < end);
		uv_run(&e->loop, UV_RUN_ONCE);
	}
}

static void
env_stop(struct env *e)
{
	uint64_t end;

	/* The pool's connections close, then the server's (at their EOF). */
	pogo_client_pool_free(e->pool);
	uv_close((uv_handle_t *)&e->f.listener, NULL);
	uv_update_time(&e->loop);
	end = uv_now(&e->loop) + 10000;
	while (e->f.open > 0) {
		ASSERT(uv_now(&e->loop) < end);
		uv_run(&e->loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&e->tick, NULL);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&e->loop));
}

static void
result_cb(int err, const char *cause, int status, const char *body, size_t len,
    void *arg)
{
	struct result *r = arg;

	r->done = true;
	r->err = err;
	r->status = status;
	r->len = len;
	snprintf(r->body, sizeof(r->body), "%.*s", (int)len, body);
	pogo_client_free(r->c);
	r->c = NULL;
}

/* Send method /x (with a body for POST) on a new client of the pool. */
static void
env_send(struct env *e, const char *method, struct result *r)
{
	struct pogo_client_opts o = { 0 };
	char *cause = NULL;

	memset(r, 0, sizeof(*r));
	o.api = e->url;
	o.pool = e->pool;
	ASSERT_OK(pogo_client_new(&e->loop, &o, &r->c, &cause));
	pogo_client_request(r->c, method, "/x",
	    strcmp(method, "POST") == 0 ? "a=1" : NULL, 5000, result_cb, r);
}

static bool
is_done(struct env *e, void *arg)
{
	return ((struct result *)arg)->done;
}

static void
env_call(struct env *e, const char *method, struct result *r)
{
	env_send(e, method, r);
	env_run(e, is_done, r);
}

static bool
none_idle(struct env *e, void *arg)
{
	return pogo_client_pool_idle(e->pool) == 0;
}

static bool
server_open_is(struct env *e, void *arg)
{
	return e->f.open == *(unsigned *)arg;
}

TEST(reuses_one_connection)
{
	struct env e;
	struct result r;
	char want[64];
	unsigned i;

	env_start(&e, FAKE_ANSWER, 4);
	for (i = 1; i <= 20; i++) {
		env_call(&e, "GET", &r);
		ASSERT_EQ(r.err, 0);
		ASSERT_EQ(r.status, 200);
		snprintf(want, sizeof(want), "conn 1 req %u", i);
		ASSERT_STR_EQ(r.body, want);
	}
	ASSERT_EQ(e.f.accepted, 1);
	ASSERT_EQ(e.f.requests, 20);
	ASSERT_EQ(pogo_client_pool_opened(e.pool), 1);
	ASSERT_EQ(pogo_client_pool_idle(e.pool), 1);
	env_stop(&e);
}

/* Without a pool, a connection per request (pogo's client commands). */
TEST(no_pool_one_connection_each)
{
	struct env e;
	struct result r;
	char want[64];
	unsigned i;

	env_start(&e, FAKE_ANSWER, 0);
	for (i = 1; i <= 3; i++) {
		env_call(&e, "GET", &r);
		ASSERT_EQ(r.status, 200);
		snprintf(want, sizeof(want), "conn %u req 1", i);
		ASSERT_STR_EQ(r.body, want);
	}
	ASSERT_EQ(e.f.accepted, 3);
	env_stop(&e);
}

TEST(bounded)
{
	struct env e;
	struct result r[8];
	unsigned i, three = 3;

	env_start(&e, FAKE_ANSWER, 3);
	for (i = 0; i < 8; i++)
		env_send(&e, "GET", &r[i]);
	for (i = 0; i < 8; i++) {
		env_run(&e, is_done, &r[i]);
		ASSERT_EQ(r[i].status, 200);
	}
	ASSERT_EQ(e.f.accepted, 8);
	ASSERT_EQ(pogo_client_pool_idle(e.pool), 3);
	/* The five beyond the bound are closed. */
	env_run(&e, server_open_is, &three);
	/* The kept ones serve the next requests. */
	for (i = 0; i < 6; i++) {
		env_call(&e, "GET", &r[0]);
		ASSERT_EQ(r[0].status, 200);
	}
	ASSERT_EQ(e.f.accepted, 8);
	env_stop(&e);
}

/*
 * The server closes a kept connection as a GET comes on it: the GET goes
 * again, once, on a new connection.
 */
TEST(retry_once_when_closed)
{
	struct env e;
	struct result r;

	env_start(&e, FAKE_CLOSE_SECOND, 4);
	env_call(&e, "GET", &r);
	ASSERT_STR_EQ(r.body, "conn 1 req 1");
	env_call(&e, "GET", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_STR_EQ(r.body, "conn 2 req 1");
	ASSERT_EQ(e.f.accepted, 2);
	ASSERT_EQ(e.f.requests, 3);
	env_stop(&e);
}

/* ... once only: a new connection closed too is an error. */
TEST(retry_only_once)
{
	struct env e;
	struct result r;

	env_start(&e, FAKE_CLOSE_LATER, 4);
	env_call(&e, "GET", &r);
	ASSERT_STR_EQ(r.body, "conn 1 req 1");
	env_call(&e, "GET", &r);
	ASSERT(r.err < 0);
	ASSERT_EQ(e.f.accepted, 2);
	ASSERT_EQ(e.f.requests, 3);
	/* A first request on a new connection is never sent twice. */
	env_call(&e, "GET", &r);
	ASSERT(r.err < 0);
	ASSERT_EQ(e.f.accepted, 3);
	ASSERT_EQ(e.f.requests, 4);
	env_stop(&e);
}

/*
 * A POST is never sent on a kept connection (it could not be sent
 * again); its own connection is kept afterwards.
 */
TEST(post_opens_its_own)
{
	struct env e;
	struct result r;

	env_start(&e, FAKE_ANSWER, 4);
	env_call(&e, "GET", &r);
	ASSERT_STR_EQ(r.body, "conn 1 req 1");
	env_call(&e, "POST", &r);
	ASSERT_EQ(r.status, 200);
	ASSERT_STR_EQ(r.body, "conn 2 req 1");
	ASSERT_EQ(e.f.accepted, 2);
	ASSERT_EQ(pogo_client_pool_idle(e.pool), 2);
	env_call(&e, "GET", &r);
	ASSERT_STR_EQ(r.body, "conn 2 req 2");
	env_stop(&e);
}

/* A HEAD's answer has no body, whatever its Content-Length says. */
TEST(head_has_no_body)
{
	struct env e;
	struct result r;

	env_start(&e, FAKE_ANSWER, 4);
	env_call(&e, "HEAD", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_EQ(r.status, 200);
	ASSERT_EQ(r.len, 0);
	env_call(&e, "GET", &r);
	ASSERT_STR_EQ(r.body, "conn 1 req 2");
	ASSERT_EQ(e.f.accepted, 1);
	env_stop(&e);
}

/* The server closes an idle connection: it leaves the pool. */
TEST(closed_idle_leaves)
{
	struct env e;
	struct result r;

	env_start(&e, FAKE_CLOSE_IDLE, 4);
	env_call(&e, "GET", &r);
	ASSERT_STR_EQ(r.body, "conn 1 req 1");
	env_run(&e, none_idle, NULL);
	env_call(&e, "GET", &r);
	ASSERT_EQ(r.err, 0);
	ASSERT_STR_EQ(r.body, "conn 2 req 1");
	ASSERT_EQ(e.f.requests, 2);
	env_stop(&e);
}
