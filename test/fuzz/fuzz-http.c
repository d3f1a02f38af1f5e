/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: HTTP request parsing through the server of src/http.c
 * (the dispatcher's control port, SPEC 7.5).  The input is what a client
 * sends on one connection, then it half-closes; the connection is one end
 * of a socketpair that the server adopts, on a real loop.  Checks: the
 * loop ends (every connection closes), what the client reads is a sequence
 * of complete HTTP/1.1 responses whose Content-Length matches, every error
 * answer is a JSON {"errors": [...]} body, and nothing stays allocated for
 * requests afterwards.  Every handler records, by the answer's number,
 * whether its request was HEAD: only those answers may lack their body
 * (and answers the server makes itself, without a handler, only when the
 * input holds a HEAD request).
 */
#include "pogo/compat.h"

#include <sys/socket.h>
#include <unistd.h>

#include "pogo/http.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_ANSWERS 8192

static uv_loop_t fz_loop;
static struct pogo_http_server *fz_srv;
static uint64_t fz_base;
/* Per answer of this input: 0 no handler, 1 a handler, 2 one for HEAD. */
static uint8_t fz_seen[FZ_MAX_ANSWERS];

/* Notes that the next answer is req's (one request at a time). */
static void
fz_record(struct pogo_http_req *req)
{
	struct pogo_http_stats st;
	uint64_t i;

	pogo_http_server_stats(fz_srv, &st);
	i = st.requests - fz_base;
	if (i < FZ_MAX_ANSWERS)
		fz_seen[i] =
		    strcmp(pogo_http_req_method(req), "HEAD") == 0 ? 2 : 1;
}

static void
fz_handler(struct pogo_http_req *req, void *arg)
{
	const char *name, *value, *p;
	size_t i, len;

	fz_record(req);
	for (i = 0; i < pogo_http_req_nparams(req); i++)
		pogo_http_req_param_at(req, i, &name, &value);
	pogo_http_req_body(req, &len);
	(void)pogo_http_req_header(req, "content-type");
	if ((p = pogo_http_req_route_param(req, "jobid")) != NULL)
		pogo_http_respond_error(req, 404, "no such job %s", p);
	else
		pogo_http_respond_json(req, 200, "{\"ok\":true}");
}

static void
fz_unknown(struct pogo_http_req *req, void *arg)
{
	fz_record(req);
	pogo_http_respond_error(
	    req, 400, "unknown request: '%s'", pogo_http_req_path(req));
}

struct fz_poll {
	uv_timer_t t;
	struct pogo_http_req *req;
};

static void
fz_poll_close_cb(uv_handle_t *h)
{
	free(h->data);
}

static void
fz_poll_cb(uv_timer_t *t)
{
	struct fz_poll *fp = t->data;

	pogo_http_respond_json(fp->req, 200, "{\"log\":[]}");
	uv_close((uv_handle_t *)t, fz_poll_close_cb);
}

static void
fz_abort(struct pogo_http_req *req, void *arg)
{
	struct fz_poll *fp = arg;

	uv_timer_stop(&fp->t);
	uv_close((uv_handle_t *)&fp->t, fz_poll_close_cb);
	pogo_http_respond_error(req, 503, "gone");
}

/*
 * A long poll: answers on the next loop turn (a half-closed client still
 * gets its answer), or 503 if the client goes away first.
 */
static void
fz_wait(struct pogo_http_req *req, void *arg)
{
	struct fz_poll *fp = xcalloc(1, sizeof(*fp));

	fz_record(req);
	fp->req = req;
	uv_timer_init(&fz_loop, &fp->t);
	fp->t.data = fp;
	uv_timer_start(&fp->t, fz_poll_cb, 0, 0);
	pogo_http_req_on_abort(req, fz_abort, fp);
}

static const struct pogo_http_route fz_routes[] = {
	{ "GET", "/status", fz_handler, 0 },
	{ "POST", "/v1/jobsubmit", fz_handler, 0 },
	{ "GET", "/v1/jobs/:jobid", fz_handler, 0 },
	{ "GET", "/v1/jobs/:jobid/hosts", fz_handler, 0 },
	{ "GET", "/v1/jobs/:jobid/hosts/:host", fz_handler, 0 },
	{ "POST", "/v1/jobs/:jobid", fz_handler, 0 },
	{ "GET", "/v1/jobs/:jobid/log", fz_wait, 0 },
};

struct fz_client {
	uv_pipe_t pipe;
	char *buf;
	size_t len;
	size_t cap;
	char rbuf[65536];
};

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
		uv_close((uv_handle_t *)s, NULL);
		return;
	}
	if (c->len + (size_t)n > c->cap) {
		c->cap = (c->len + (size_t)n) * 2;
		c->buf = xreallocarray(c->buf, 1, c->cap);
	}
	memcpy(c->buf + c->len, b->base, (size_t)n);
	c->len += (size_t)n;
}

/*
 * Checks that buf[0..len) is a sequence of whole responses; head_in says
 * whether the input holds a HEAD request line.
 */
static void
fz_check_responses(const char *buf, size_t len, bool head_in)
{
	const char *p, *end, *hend, *cl;
	unsigned long long n;
	size_t k = 0;
	uint8_t seen;
	int status;
	char *e;

	if (len == 0)
		return;
	p = buf;
	end = buf + len;
	while (p < end) {
		if ((size_t)(end - p) < 13 || memcmp(p, "HTTP/1.1 ", 9) != 0)
			abort();
		status = (int)strtol(p + 9, NULL, 10);
		if (status < 100 || status > 599)
			abort();
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL)
			abort();
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
		/*
		 * An answer to HEAD (always an error here: no route takes
		 * HEAD) has a Content-Length and no body: a handler said
		 * the request was HEAD, or, for an answer the server made
		 * itself, the input holds a HEAD request.
		 */
		seen = k < FZ_MAX_ANSWERS ? fz_seen[k] : 0;
		k++;
		if (seen == 2 ||
		    (seen == 0 && head_in && status >= 400 &&
		        (hend == end ||
		            ((size_t)(end - hend) >= 9 &&
		                memcmp(hend, "HTTP/1.1 ", 9) == 0)))) {
			if (status < 400)
				abort();
			p = hend;
			continue;
		}
		if (n > (size_t)(end - hend))
			abort();
		if (status >= 400 && n > 0 &&
		    (n < 14 || memcmp(hend, "{\"errors\":[\"", 12) != 0 ||
		        hend[n - 1] != '\n'))
			abort();
		p = hend + n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uv_loop_t *loop = &fz_loop;
	struct pogo_http_config cfg = { 0 };
	struct pogo_http_stats st;
	struct fz_client *c;
	int sv[2];
	size_t off = 0;
	ssize_t n;

	if (size > 65536)
		return 0;
	if (fz_srv == NULL) {
		uv_loop_init(loop);
		cfg.routes = fz_routes;
		cfg.nroutes = POGO_NELEM(fz_routes);
		cfg.unknown = fz_unknown;
		/* Small limits, so that the fuzzer reaches them. */
		cfg.limits.max_target = 512;
		cfg.limits.max_header_bytes = 1024;
		cfg.limits.max_headers = 16;
		cfg.limits.max_body = 4096;
		cfg.limits.max_params = 32;
		if (pogo_http_server_new(loop, &cfg, &fz_srv) != 0)
			abort();
	}
	pogo_http_server_stats(fz_srv, &st);
	fz_base = st.requests;
	memset(fz_seen, 0, sizeof(fz_seen));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		abort();
	while (off < size) {
		n = write(sv[1], data + off, size - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	shutdown(sv[1], SHUT_WR);
	if (pogo_http_server_adopt_fd(fz_srv, sv[0]) != 0)
		abort();
	c = xcalloc(1, sizeof(*c));
	uv_pipe_init(loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_pipe_open(&c->pipe, sv[1]) != 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, fz_alloc_cb, fz_read_cb) !=
	        0)
		abort();
	uv_run(loop, UV_RUN_DEFAULT);
	if (pogo_http_server_connections(fz_srv) != 0)
		abort();
	pogo_http_server_stats(fz_srv, &st);
	if (st.buffered != 0)
		abort();
	fz_check_responses(
	    c->buf, c->len, memmem(data, size, "HEAD ", 5) != NULL);
	free(c->buf);
	free(c);
	return 0;
}
