/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The HTTP/1.1 server of include/pogo/http.h, the only file that includes
 * llhttp.  Each connection reads into its own input buffer and parses from
 * it; a complete request pauses the parser (on_message_complete returns
 * HPE_PAUSED), so bytes of a pipelined next request wait in the buffer
 * until the answer is written.  While a request waits for its handler or
 * its answer the connection keeps reading (to see the client go away), up
 * to POGO_HTTP_PIPELINE_MAX buffered bytes.  Nothing is allocated for a
 * client-supplied size before that size is checked against the limits.
 * One timer per connection bounds, by turns, the idle time between
 * requests, the time to send one request and the time to take an answer.
 */
#include "pogo/compat.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <strings.h>

#include <llhttp.h>

#include "pogo/error.h"
#include "pogo/http.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/stream.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#define POGO_HTTP_PIPELINE_MAX (64 * 1024)

/*
 * A growable byte buffer with a hard cap, counted in the server's stats.
 * A request's bytes may carry a job's secret boxes (SPEC 10.4): every
 * request buffer is wiped when it is released or outgrown, and input
 * already parsed is wiped where it stood.
 */
struct http_buf {
	char *p;
	size_t len;
	size_t cap;
};

struct http_pair {
	char *name;
	char *value;
};

struct http_pairs {
	struct http_pair *v;
	size_t n;
	size_t cap;
};

enum http_conn_state {
	HTTP_READING,  /* parsing: between requests or inside one */
	HTTP_HANDLING, /* a complete request waits for its handler's answer */
	HTTP_WRITING,  /* the answer is being written */
};

enum http_timer_kind {
	HTTP_TIMER_NONE,
	HTTP_TIMER_IDLE,
	HTTP_TIMER_REQUEST,
	HTTP_TIMER_WRITE,
	HTTP_TIMER_LINGER,
};

struct http_conn;

struct pogo_http_req {
	struct http_conn *conn;
	const char *method;
	struct http_buf target;
	char *path;
	char *query;
	struct http_pairs headers;
	struct http_buf field;
	struct http_buf value;
	bool in_value;
	struct http_buf body;
	struct http_pairs params;
	struct http_pairs route_params;
	const struct pogo_http_route *route;
	struct pogo_strv resp_headers;
	pogo_http_abort_cb abort_cb;
	void *abort_arg;
	bool aborted;
	bool keep_alive;
	bool head;
	uint8_t http_minor;
};

struct http_conn {
	struct pogo_http_server *srv;
	struct pogo_stream *stream;
	uv_timer_t timer;
	enum http_conn_state state;
	enum http_timer_kind timer_kind;
	llhttp_t parser;
	struct sockaddr_storage peer;
	char *in;
	size_t inlen;
	size_t incap;
	struct pogo_http_req *req;
	char *out;
	size_t header_bytes;
	int fail_status;
	char *fail_msg;
	int nclose;
	bool reading;
	bool closing;
	bool close_after;
	bool eof;
	bool in_message;
	bool draining;
	uint64_t idle_since;
	struct http_conn *prev;
	struct http_conn *next;
};

struct pogo_http_server {
	uv_loop_t *loop;
	struct pogo_http_config cfg;
	llhttp_settings_t settings;
	uv_tcp_t listener;
	uv_timer_t closer;
	struct pogo_tls *tls;     /* NULL: plain */
	struct pogo_clock *clock; /* the TLS handshake timeouts */
	bool listening;
	bool closing;
	int nclose;
	size_t nconns;
	size_t nalive;
	struct http_conn *conns;
	struct pogo_http_stats stats;
	pogo_http_close_cb close_cb;
	void *close_arg;
};

static void conn_close(struct http_conn *c);
static void conn_process(struct http_conn *c);
static void conn_read_cb(
    struct pogo_stream *s, ssize_t n, const char *buf, void *arg);
static void server_maybe_done(struct pogo_http_server *srv);

/* Track a change of allocated request bytes. */
static void
http_account(struct pogo_http_server *srv, ssize_t delta)
{
	srv->stats.buffered += (size_t)delta;
	if (srv->stats.buffered > srv->stats.peak_buffered)
		srv->stats.peak_buffered = srv->stats.buffered;
}

/*
 * A new block of cap bytes holding the len first bytes of p (cap bytes
 * long, wiped and freed): realloc would leave a moved block's bytes
 * behind.
 */
static char *
http_grow(char *p, size_t len, size_t oldcap, size_t cap)
{
	char *n = xmalloc(cap);

	if (len > 0)
		memcpy(n, p, len);
	pogo_freezero(p, oldcap);
	return n;
}

/*
 * Appends data to b unless that would pass max (returns -1) or the
 * server's cap on the bytes of all requests together (returns -2), and
 * then allocates nothing; growth doubles, capped at max plus one NUL.
 */
static int
http_buf_add(struct pogo_http_server *srv, struct http_buf *b, const char *data,
    size_t n, size_t max)
{
	size_t cap, total = srv->cfg.limits.max_buffered;

	if (n > max || b->len > max - n)
		return -1;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 256 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		if (srv->stats.buffered > total ||
		    cap - b->cap > total - srv->stats.buffered)
			return -2;
		b->p = http_grow(b->p, b->len, b->cap, cap);
		http_account(srv, (ssize_t)(cap - b->cap));
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static void
http_buf_release(struct pogo_http_server *srv, struct http_buf *b)
{
	http_account(srv, -(ssize_t)b->cap);
	pogo_freezero(b->p, b->cap);
	memset(b, 0, sizeof(*b));
}

static void
http_pairs_add(struct http_pairs *ps, char *name, char *value)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap == 0 ? 8 : ps->cap * 2;
		ps->v = xreallocarray(ps->v, ps->cap, sizeof(*ps->v));
	}
	ps->v[ps->n].name = name;
	ps->v[ps->n].value = value;
	ps->n++;
}

static void
http_pairs_clear(struct http_pairs *ps)
{
	size_t i;

	/* A form's values may be a job's secret boxes (http_buf). */
	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].name);
		if (ps->v[i].value != NULL)
			pogo_freezero(ps->v[i].value, strlen(ps->v[i].value));
	}
	free(ps->v);
	memset(ps, 0, sizeof(*ps));
}

const char *
pogo_http_status_text(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 417:
		return "Expectation Failed";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 421:
		return "Misdirected Request";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* Addresses and the loopback rule. */

bool
pogo_http_addr_is_loopback(const struct sockaddr *addr)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const uint8_t *b;

	if (addr->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)addr;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (addr->sa_family != AF_INET6)
		return false;
	sin6 = (const struct sockaddr_in6 *)(const void *)addr;
	b = sin6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
		return true;
	return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && b[12] == 127;
}

bool
pogo_http_name_is_loopback(const char *name)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;

	if (strcasecmp(name, "localhost") == 0)
		return true;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	sin.sin_family = AF_INET;
	sin6.sin6_family = AF_INET6;
	if (inet_pton(AF_INET, name, &sin.sin_addr) == 1)
		return pogo_http_addr_is_loopback((struct sockaddr *)&sin);
	if (inet_pton(AF_INET6, name, &sin6.sin6_addr) == 1)
		return pogo_http_addr_is_loopback((struct sockaddr *)&sin6);
	return false;
}

void
pogo_http_format_addr(const struct sockaddr *addr, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (addr->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)addr;
		uv_ip4_name(sin, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(sin->sin_port));
	} else if (addr->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)addr;
		uv_ip6_name(sin6, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(sin6->sin6_port));
	} else
		snprintf(buf, len, "local");
}

int
pogo_http_check_loopback(
    const struct sockaddr *addr, bool tls, bool insecure, char **cause)
{
	char text[INET6_ADDRSTRLEN + 16];

	*cause = NULL;
	if (tls || insecure || pogo_http_addr_is_loopback(addr))
		return 0;
	pogo_http_format_addr(addr, text, sizeof(text));
	xasprintf(cause,
	    "refusing to listen on %s without TLS; use --insecure to override",
	    text);
	return POGO_ERR_CONFIG;
}

int
pogo_http_parse_addr(
    const char *text, struct sockaddr_storage *ss, char **cause)
{
	const char *colon, *hs, *he;
	char host[INET6_ADDRSTRLEN];
	long long port;
	int r;

	*cause = NULL;
	memset(ss, 0, sizeof(*ss));
	if (text[0] == '[') {
		hs = text + 1;
		if ((he = strchr(hs, ']')) == NULL || he[1] != ':')
			goto bad;
		colon = he + 1;
	} else {
		hs = text;
		if ((colon = strrchr(text, ':')) == NULL)
			goto bad;
		he = colon;
	}
	if (he == hs || (size_t)(he - hs) >= sizeof(host))
		goto bad;
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	if (pogo_strtonum(colon + 1, 0, 65535, &port) != 0)
		goto bad;
	if (text[0] == '[')
		r = uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss);
	else
		r = uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss);
	if (r != 0)
		goto bad;
	return 0;
bad:
	xasprintf(
	    cause, "invalid address '%s' (want IP:PORT or [IPv6]:PORT)", text);
	return POGO_ERR_CONFIG;
}

/* Percent-decoding and parameters. */

/*
 * Decodes s[0..n) into a new string (*outp); plus turns '+' into a space.
 * Returns 0, or -1 for a bad escape or an escaped NUL byte.
 */
static int
http_decode(const char *s, size_t n, bool plus, char **outp)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;
	int hi, lo;

	*outp = NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3 || (hi = pogo_str_hexval(s[i + 1])) < 0 ||
			    (lo = pogo_str_hexval(s[i + 2])) < 0 ||
			    (hi == 0 && lo == 0)) {
				free(out);
				return -1;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (plus && s[i] == '+')
			*o++ = ' ';
		else
			*o++ = s[i];
	}
	*o = '\0';
	*outp = out;
	return 0;
}

/*
 * Adds the pairs of an x-www-form-urlencoded string s[0..n) to ps.
 * Returns 0, 400 (bad escape) or 413 (more than max pairs in all).
 */
static int
http_parse_pairs(struct http_pairs *ps, const char *s, size_t n, size_t max)
{
	const char *p = s, *end = s + n, *amp, *eq;
	char *name, *value;

	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p) {
			p++;
			continue;
		}
		if (ps->n >= max)
			return 413;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if (http_decode(p, (size_t)(eq - p), true, &name) != 0)
			return 400;
		if (eq == amp)
			value = xstrdup("");
		else if (http_decode(eq + 1, (size_t)(amp - eq - 1), true,
		             &value) != 0) {
			free(name);
			return 400;
		}
		http_pairs_add(ps, name, value);
		p = amp;
	}
	return 0;
}

static bool
http_is_form(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	size_t n = sizeof(form) - 1;

	if (ct == NULL || strncasecmp(ct, form, n) != 0)
		return false;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t';
}

/*
 * Matches path against a route pattern, segment by segment; a ":name"
 * segment takes any non-empty segment, percent-decoded into params.
 */
static bool
http_route_match(
    const char *pattern, const char *path, struct http_pairs *params)
{
	const char *p = pattern, *q = path, *pe, *qe;
	char *value;

	for (;;) {
		if (*p != '/' || *q != '/')
			break;
		p++;
		q++;
		pe = p + strcspn(p, "/");
		qe = q + strcspn(q, "/");
		if (*p == ':') {
			if (qe == q ||
			    http_decode(q, (size_t)(qe - q), false, &value) !=
			        0)
				goto fail;
			http_pairs_add(params,
			    xstrndup(p + 1, (size_t)(pe - p - 1)), value);
		} else if (pe - p != qe - q ||
		    memcmp(p, q, (size_t)(pe - p)) != 0)
			goto fail;
		p = pe;
		q = qe;
		if (*p == '\0' && *q == '\0')
			return true;
	}
fail:
	http_pairs_clear(params);
	return false;
}

bool
pogo_http_route_matches(const char *pattern, const char *path)
{
	struct http_pairs params = { 0 };
	bool r = http_route_match(pattern, path, &params);

	http_pairs_clear(&params);
	return r;
}

/* The request object. */

static void
req_free(struct pogo_http_req *req, struct pogo_http_server *srv)
{
	if (req == NULL)
		return;
	http_buf_release(srv, &req->target);
	http_buf_release(srv, &req->field);
	http_buf_release(srv, &req->value);
	http_buf_release(srv, &req->body);
	free(req->path);
	http_pairs_clear(&req->headers);
	http_pairs_clear(&req->params);
	http_pairs_clear(&req->route_params);
	pogo_strv_clear(&req->resp_headers);
	free(req);
}

const char *
pogo_http_req_method(struct pogo_http_req *req)
{
	return req->method;
}

const char *
pogo_http_req_path(struct pogo_http_req *req)
{
	return req->path;
}

const char *
pogo_http_req_target(struct pogo_http_req *req)
{
	return req->target.p;
}

int
pogo_http_req_route_flags(struct pogo_http_req *req)
{
	return req->route != NULL ? req->route->flags : 0;
}

static const char *
http_pairs_find(
    const struct http_pairs *ps, const char *name, size_t nth, bool nocase)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if ((nocase ? strcasecmp(ps->v[i].name, name)
		            : strcmp(ps->v[i].name, name)) != 0)
			continue;
		if (nth-- == 0)
			return ps->v[i].value;
	}
	return NULL;
}

const char *
pogo_http_req_route_param(struct pogo_http_req *req, const char *name)
{
	return http_pairs_find(&req->route_params, name, 0, false);
}

const char *
pogo_http_req_param(struct pogo_http_req *req, const char *name)
{
	return http_pairs_find(&req->params, name, 0, false);
}

const char *
pogo_http_req_param_nth(struct pogo_http_req *req, const char *name, size_t n)
{
	return http_pairs_find(&req->params, name, n, false);
}

size_t
pogo_http_req_nparams(struct pogo_http_req *req)
{
	return req->params.n;
}

void
pogo_http_req_param_at(struct pogo_http_req *req, size_t i, const char **namep,
    const char **valuep)
{
	POGO_ASSERT(i < req->params.n);
	*namep = req->params.v[i].name;
	*valuep = req->params.v[i].value;
}

const char *
pogo_http_req_header(struct pogo_http_req *req, const char *name)
{
	return http_pairs_find(&req->headers, name, 0, true);
}

const char *
pogo_http_req_body(struct pogo_http_req *req, size_t *lenp)
{
	*lenp = req->body.len;
	return req->body.p != NULL ? req->body.p : "";
}

bool
pogo_http_req_is_tls(struct pogo_http_req *req)
{
	return pogo_stream_is_tls(req->conn->stream);
}

const char *
pogo_http_req_tls_peer(struct pogo_http_req *req)
{
	return pogo_stream_peer_name(req->conn->stream);
}

void
pogo_http_req_peer(struct pogo_http_req *req, char *buf, size_t len)
{
	pogo_http_format_addr(
	    (const struct sockaddr *)&req->conn->peer, buf, len);
}

void
pogo_http_req_on_abort(
    struct pogo_http_req *req, pogo_http_abort_cb cb, void *arg)
{
	req->abort_cb = cb;
	req->abort_arg = arg;
}

void
pogo_http_req_add_header(
    struct pogo_http_req *req, const char *name, const char *value)
{
	char *line;

	POGO_ASSERT(strpbrk(name, "\r\n:") == NULL);
	POGO_ASSERT(strpbrk(value, "\r\n") == NULL);
	xasprintf(&line, "%s: %s\r\n", name, value);
	pogo_strv_take(&req->resp_headers, line);
}

/* Connections: timers. */

static void
conn_timer_cb(uv_timer_t *t)
{
	struct http_conn *c = t->data;

	switch (c->timer_kind) {
	case HTTP_TIMER_REQUEST:
		log_debug("http: request timeout");
		c->fail_status = 408;
		free(c->fail_msg);
		c->fail_msg = xstrdup("request timeout");
		conn_process(c);
		break;
	case HTTP_TIMER_IDLE:
	case HTTP_TIMER_WRITE:
	case HTTP_TIMER_LINGER:
	case HTTP_TIMER_NONE:
		conn_close(c);
		break;
	}
}

static void
conn_timer(struct http_conn *c, enum http_timer_kind kind)
{
	const struct pogo_http_limits *l = &c->srv->cfg.limits;
	uint64_t ms = 0;

	c->timer_kind = kind;
	switch (kind) {
	case HTTP_TIMER_NONE:
		uv_timer_stop(&c->timer);
		return;
	case HTTP_TIMER_IDLE:
		ms = l->idle_timeout_ms;
		c->idle_since = uv_now(c->srv->loop);
		break;
	case HTTP_TIMER_REQUEST:
		ms = l->request_timeout_ms;
		break;
	case HTTP_TIMER_WRITE:
		ms = l->write_timeout_ms;
		break;
	case HTTP_TIMER_LINGER:
		ms = l->linger_ms;
		break;
	}
	uv_timer_start(&c->timer, conn_timer_cb, ms, 0);
}

/* Connections: parser callbacks. */

/* Records the answer for a request that cannot go on; parsing stops. */
static int
conn_reject(struct http_conn *c, int status, const char *msg)
{
	if (c->fail_status == 0) {
		c->fail_status = status;
		c->fail_msg = xstrdup(msg);
	}
	return -1;
}

/*
 * Refuses a request that http_buf_add could not grow: msg (with status)
 * for its own limit, 503 for the server's cap on all requests together.
 */
static int
conn_reject_buf(struct http_conn *c, int r, int status, const char *msg)
{
	if (r == -2) {
		log_warn("http: %zu bytes of requests buffered, refusing more",
		    c->srv->stats.buffered);
		return conn_reject(
		    c, 503, "too much request data buffered; try again later");
	}
	return conn_reject(c, status, msg);
}

static int
on_message_begin(llhttp_t *p)
{
	struct http_conn *c = p->data;

	POGO_ASSERT(c->req == NULL);
	c->req = xcalloc(1, sizeof(*c->req));
	c->req->conn = c;
	c->header_bytes = 0;
	c->in_message = true;
	conn_timer(c, HTTP_TIMER_REQUEST);
	return 0;
}

static int
on_url(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;

	int r;

	if ((r = http_buf_add(c->srv, &c->req->target, at, n,
	         c->srv->cfg.limits.max_target)) != 0)
		return conn_reject_buf(c, r, 414, "request target too long");
	return 0;
}

/* Moves the finished header line into the request's list. */
static int
conn_header_done(struct http_conn *c)
{
	struct pogo_http_req *req = c->req;

	if (req->headers.n >= c->srv->cfg.limits.max_headers)
		return conn_reject(c, 431, "too many header fields");
	if (req->field.len == 0 ||
	    memchr(req->value.p != NULL ? req->value.p : "", '\0',
	        req->value.len) != NULL)
		return conn_reject(c, 400, "invalid header field");
	http_pairs_add(&req->headers, xstrndup(req->field.p, req->field.len),
	    xstrndup(req->value.p != NULL ? req->value.p : "", req->value.len));
	http_buf_release(c->srv, &req->field);
	http_buf_release(c->srv, &req->value);
	return 0;
}

static int
conn_header_span(
    struct http_conn *c, struct http_buf *b, const char *at, size_t n)
{
	size_t max = c->srv->cfg.limits.max_header_bytes;
	int r;

	if (n > max || c->header_bytes > max - n)
		return conn_reject(c, 431, "request header fields too large");
	c->header_bytes += n;
	if ((r = http_buf_add(c->srv, b, at, n, max)) != 0)
		return conn_reject_buf(
		    c, r, 431, "request header fields too large");
	return 0;
}

static int
on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;

	return conn_header_span(c, &c->req->field, at, n);
}

static int
on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;

	return conn_header_span(c, &c->req->value, at, n);
}

static int
on_header_value_complete(llhttp_t *p)
{
	return conn_header_done(p->data);
}

static void
conn_continue_cb(struct pogo_stream *s, int status, void *arg)
{
}

static int
on_headers_complete(llhttp_t *p)
{
	static char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct http_conn *c = p->data;
	const char *expect;

	/* A header without a value ends without on_header_value_complete. */
	if (c->req->field.len > 0 && conn_header_done(c) != 0)
		return -1;
	if ((p->flags & F_CONTENT_LENGTH) != 0 &&
	    p->content_length > c->srv->cfg.limits.max_body)
		return conn_reject(c, 413, "request body too large");
	if ((p->flags & F_CONTENT_LENGTH) != 0 &&
	    c->srv->stats.buffered + p->content_length >
	        c->srv->cfg.limits.max_buffered)
		return conn_reject_buf(c, -2, 0, NULL);
	expect = http_pairs_find(&c->req->headers, "Expect", 0, true);
	if (expect != NULL) {
		if (strcasecmp(expect, "100-continue") != 0)
			return conn_reject(c, 417, "unsupported expectation");
		if (p->http_major == 1 && p->http_minor >= 1 &&
		    ((p->flags & F_CHUNKED) != 0 || p->content_length > 0)) {
			if (pogo_stream_write(c->stream, cont, sizeof(cont) - 1,
			        conn_continue_cb, c) != 0)
				return conn_reject(c, 400, "write failed");
		}
	}
	return 0;
}

static int
on_body(llhttp_t *p, const char *at, size_t n)
{
	struct http_conn *c = p->data;
	int r;

	if ((r = http_buf_add(c->srv, &c->req->body, at, n,
	         c->srv->cfg.limits.max_body)) != 0)
		return conn_reject_buf(c, r, 413, "request body too large");
	return 0;
}

static int
on_message_complete(llhttp_t *p)
{
	struct http_conn *c = p->data;

	c->req->method = llhttp_method_name(p->method);
	c->req->keep_alive = llhttp_should_keep_alive(p) != 0;
	c->req->http_minor = p->http_minor;
	c->req->head = p->method == HTTP_HEAD;
	/* Whatever follows an upgrade or CONNECT is not HTTP: close. */
	if (p->upgrade)
		c->req->keep_alive = false;
	c->in_message = false;
	return HPE_PAUSED;
}

/* Connections: answers. */

/* Frees the input buffer (when it holds nothing to parse). */
static void
conn_free_input(struct http_conn *c)
{
	pogo_freezero(c->in, c->incap);
	c->in = NULL;
	http_account(c->srv, -(ssize_t)c->incap);
	c->incap = 0;
}

static void
conn_shutdown_cb(struct pogo_stream *s, int status, void *arg)
{
	struct http_conn *c = arg;

	if (status != 0 && !c->closing)
		conn_close(c);
}

/*
 * After an answer that ends the connection: stop sending, and read and
 * drop what the client still sends for a moment, so that closing with
 * unread input (a refused body) does not reset the connection before the
 * client has read the answer.
 */
static void
conn_linger(struct http_conn *c)
{
	c->draining = true;
	c->inlen = 0;
	conn_free_input(c);
	conn_timer(c, HTTP_TIMER_LINGER);
	if (c->eof ||
	    pogo_stream_shutdown(c->stream, conn_shutdown_cb, c) != 0) {
		conn_close(c);
		return;
	}
	if (!c->reading && pogo_stream_read_start(c->stream) == 0)
		c->reading = true;
}

static void
conn_write_cb(struct pogo_stream *s, int status, void *arg)
{
	struct http_conn *c = arg;

	free(c->out);
	c->out = NULL;
	if (c->closing)
		return;
	if (status != 0) {
		conn_close(c);
		return;
	}
	if (c->close_after) {
		conn_linger(c);
		return;
	}
	c->state = HTTP_READING;
	conn_timer(c, HTTP_TIMER_IDLE);
	conn_process(c);
	if (!c->closing && !c->reading && c->state == HTTP_READING) {
		if (pogo_stream_read_start(c->stream) == 0)
			c->reading = true;
	}
}

/* Writes the answer of the current request and frees it. */
static void
conn_send(struct http_conn *c, struct pogo_http_req *req, int status,
    const char *ctype, const char *body, size_t len)
{
	char *head, *extra = NULL, *tmp;
	const char *conn_hdr = "";
	size_t i, hlen;

	if (!req->keep_alive)
		c->close_after = true;
	if (c->close_after)
		conn_hdr = "Connection: close\r\n";
	else if (req->http_minor == 0)
		conn_hdr = "Connection: keep-alive\r\n";
	extra = xstrdup("");
	for (i = 0; i < req->resp_headers.n; i++) {
		xasprintf(&tmp, "%s%s", extra, req->resp_headers.v[i]);
		free(extra);
		extra = tmp;
	}
	xasprintf(&head,
	    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "%s%s\r\n",
	    status, pogo_http_status_text(status), ctype, len, conn_hdr, extra);
	free(extra);
	if (req->head)
		len = 0;
	hlen = strlen(head);
	c->out = xmalloc(hlen + len + 1);
	memcpy(c->out, head, hlen);
	if (len > 0)
		memcpy(c->out + hlen, body, len);
	free(head);
	c->srv->stats.requests++;
	if (status >= 400)
		c->srv->stats.errors++;
	req_free(req, c->srv);
	c->req = NULL;
	c->state = HTTP_WRITING;
	conn_timer(c, HTTP_TIMER_WRITE);
	if (pogo_stream_write(
	        c->stream, c->out, hlen + len, conn_write_cb, c) != 0) {
		free(c->out);
		c->out = NULL;
		conn_close(c);
	}
}

static void
conn_free(struct http_conn *c)
{
	struct pogo_http_server *srv = c->srv;

	conn_free_input(c);
	free(c->fail_msg);
	free(c);
	srv->nalive--;
	server_maybe_done(srv);
}

void
pogo_http_respond(struct pogo_http_req *req, int status,
    const char *content_type, const char *body, size_t len)
{
	struct http_conn *c = req->conn;

	POGO_ASSERT(c->req == req && c->state == HTTP_HANDLING);
	if (c->closing) {
		req_free(req, c->srv);
		c->req = NULL;
		if (c->nclose == 0)
			conn_free(c);
		return;
	}
	conn_send(c, req, status, content_type, body, len);
}

void
pogo_http_respond_json(struct pogo_http_req *req, int status, const char *json)
{
	size_t len = strlen(json);
	char *s;

	if (len > 0 && json[len - 1] == '\n') {
		pogo_http_respond(req, status, "application/json", json, len);
		return;
	}
	s = xmalloc(len + 2);
	memcpy(s, json, len);
	s[len] = '\n';
	s[len + 1] = '\0';
	pogo_http_respond(req, status, "application/json", s, len + 1);
	free(s);
}

void
pogo_http_respond_error(
    struct pogo_http_req *req, int status, const char *fmt, ...)
{
	va_list ap;
	char *msg, *json;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	json = pogo_json_errors(msg);
	pogo_http_respond_json(req, status, json);
	free(json);
	free(msg);
}

/* The default answer for a path no route knows (SPEC 7.5). */
static void
http_unknown(struct pogo_http_req *req, void *arg)
{
	pogo_http_respond_error(
	    req, 400, "unknown request: '%s'", pogo_http_req_path(req));
}

/* Routes a complete request and hands it to its handler. */
static void
conn_dispatch(struct http_conn *c)
{
	struct pogo_http_server *srv = c->srv;
	struct pogo_http_req *req = c->req;
	const struct pogo_http_route *rt;
	const char *q;
	size_t i, n;
	int r;

	c->state = HTTP_HANDLING;
	conn_timer(c, HTTP_TIMER_NONE);
	if (req->target.len == 0 || req->target.p[0] != '/') {
		c->close_after = true;
		pogo_http_respond_error(req, 400, "invalid request target");
		return;
	}
	n = strcspn(req->target.p, "?");
	req->path = xstrndup(req->target.p, n);
	q = req->target.p + n;
	if (*q == '?' &&
	    (r = http_parse_pairs(&req->params, q + 1, strlen(q + 1),
	         srv->cfg.limits.max_params)) != 0) {
		pogo_http_respond_error(req, r,
		    r == 413 ? "too many parameters"
		             : "invalid percent-encoding in the query string");
		return;
	}
	if (req->body.len > 0 &&
	    http_is_form(
	        http_pairs_find(&req->headers, "Content-Type", 0, true)) &&
	    (r = http_parse_pairs(&req->params, req->body.p, req->body.len,
	         srv->cfg.limits.max_params)) != 0) {
		pogo_http_respond_error(req, r,
		    r == 413 ? "too many parameters"
		             : "invalid percent-encoding in the form body");
		return;
	}
	for (i = 0; i < srv->cfg.nroutes; i++) {
		rt = &srv->cfg.routes[i];
		if (!http_route_match(
		        rt->pattern, req->path, &req->route_params))
			continue;
		if (strcmp(rt->method, req->method) == 0) {
			req->route = rt;
			rt->fn(req, srv->cfg.arg);
			return;
		}
		http_pairs_clear(&req->route_params);
	}
	/* SPEC 7.5, 11.3: any other request, other methods too, is 400. */
	if (srv->cfg.unknown != NULL)
		srv->cfg.unknown(req, srv->cfg.arg);
	else
		http_unknown(req, srv->cfg.arg);
}

/* Answers a request the parser refused, then closes the connection. */
static void
conn_fail(struct http_conn *c, int status, const char *msg)
{
	struct pogo_http_req *req = c->req;

	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		req->conn = c;
		c->req = req;
	}
	req->keep_alive = false;
	req->head = false;
	req->http_minor = 1;
	c->close_after = true;
	c->in_message = false;
	c->state = HTTP_HANDLING;
	pogo_stream_read_stop(c->stream);
	c->reading = false;
	/* Nothing after a refused request is parsed. */
	c->inlen = 0;
	conn_free_input(c);
	pogo_http_respond_error(req, status, "%s", msg);
}

/*
 * Parses what the input buffer holds while no request is waiting; stops
 * at each complete request and hands it over.
 */
static void
conn_process(struct http_conn *c)
{
	llhttp_errno_t err;
	const char *pos;
	size_t used;
	char *msg;

	while (!c->closing && c->state == HTTP_READING) {
		if (c->fail_status != 0) {
			msg = c->fail_msg;
			c->fail_msg = NULL;
			conn_fail(c, c->fail_status, msg != NULL ? msg : "");
			free(msg);
			return;
		}
		if (c->inlen == 0) {
			/* At the end of input a partial request is dropped. */
			if (c->eof)
				conn_close(c);
			return;
		}
		err = llhttp_execute(&c->parser, c->in, c->inlen);
		if (err == HPE_OK) {
			c->inlen = 0;
			continue;
		}
		if (c->fail_status != 0)
			continue;
		if (err == HPE_PAUSED || err == HPE_PAUSED_UPGRADE) {
			pos = llhttp_get_error_pos(&c->parser);
			used = pos != NULL ? (size_t)(pos - c->in) : c->inlen;
			POGO_ASSERT(used <= c->inlen);
			memmove(c->in, c->in + used, c->inlen - used);
			c->inlen -= used;
			/* The request's bytes left behind (http_buf). */
			explicit_bzero(c->in + c->inlen, used);
			if (err == HPE_PAUSED)
				llhttp_resume(&c->parser);
			else {
				/* Nothing after an upgrade is HTTP. */
				c->close_after = true;
				c->inlen = 0;
			}
			if (c->req == NULL)
				continue;
			conn_dispatch(c);
			return;
		}
		log_debug("http: parse error %s: %s", llhttp_errno_name(err),
		    llhttp_get_error_reason(&c->parser));
		c->fail_status = 400;
		xasprintf(&c->fail_msg, "malformed request: %s",
		    llhttp_get_error_reason(&c->parser));
	}
}

static void
conn_read_cb(struct pogo_stream *s, ssize_t n, const char *buf, void *arg)
{
	struct http_conn *c = arg;
	size_t cap;

	if (c->closing || n == 0)
		return;
	if (c->draining) {
		if (n < 0)
			conn_close(c);
		return;
	}
	if (n < 0) {
		pogo_stream_read_stop(s);
		c->reading = false;
		c->eof = true;
		if (n == POGO_ERR_TLS || n == POGO_ERR_TIMEOUT) {
			log_warn("http: TLS: %s", pogo_stream_cause(s));
			conn_close(c);
			return;
		}
		/*
		 * A half-close (EOF) after a complete request still gets the
		 * answer; a read error (a reset: the client is gone) aborts.
		 * A client that closes fully is seen when the answer's write
		 * fails.
		 */
		if (n != UV_EOF && c->state == HTTP_HANDLING &&
		    c->req != NULL && !c->req->aborted) {
			c->req->aborted = true;
			if (c->req->abort_cb != NULL)
				c->req->abort_cb(c->req, c->req->abort_arg);
		} else if (c->state == HTTP_READING)
			conn_process(c);
		return;
	}
	if (c->inlen + (size_t)n > c->incap) {
		cap = c->inlen + (size_t)n;
		c->in = http_grow(c->in, c->inlen, c->incap, cap);
		http_account(c->srv, (ssize_t)(cap - c->incap));
		c->incap = cap;
	}
	memcpy(c->in + c->inlen, buf, (size_t)n);
	c->inlen += (size_t)n;
	if (c->state == HTTP_READING)
		conn_process(c);
	else if (c->inlen >= POGO_HTTP_PIPELINE_MAX ||
	    c->srv->stats.buffered >= c->srv->cfg.limits.max_buffered) {
		pogo_stream_read_stop(s);
		c->reading = false;
	}
	/* An idle connection holds no input buffer. */
	if (!c->closing && c->inlen == 0)
		conn_free_input(c);
}

static void
conn_closed(struct http_conn *c)
{
	if (--c->nclose > 0)
		return;
	if (c->req == NULL || c->state != HTTP_HANDLING) {
		req_free(c->req, c->srv);
		c->req = NULL;
		conn_free(c);
	}
}

static void
conn_close_cb(uv_handle_t *h)
{
	conn_closed(h->data);
}

static void
conn_stream_close_cb(struct pogo_stream *s, void *arg)
{
	conn_closed(arg);
}

/* Closes a connection; a request waiting for its answer keeps it. */
static void
conn_close(struct http_conn *c)
{
	struct pogo_http_server *srv = c->srv;

	if (c->closing)
		return;
	c->closing = true;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nconns--;
	c->nclose = 2;
	uv_close((uv_handle_t *)&c->timer, conn_close_cb);
	pogo_stream_close(c->stream, conn_stream_close_cb, c);
	if (c->state == HTTP_HANDLING && c->req != NULL && !c->req->aborted) {
		c->req->aborted = true;
		if (c->req->abort_cb != NULL)
			c->req->abort_cb(c->req, c->req->abort_arg);
	}
}

/* Starts serving a connected stream (already initialised in c->h). */
static int
conn_start(struct http_conn *c)
{
	struct pogo_http_server *srv = c->srv;
	int r;

	uv_timer_init(srv->loop, &c->timer);
	c->timer.data = c;
	llhttp_init(&c->parser, HTTP_REQUEST, &srv->settings);
	c->parser.data = c;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nconns++;
	conn_timer(c, HTTP_TIMER_IDLE);
	if ((r = pogo_stream_start(c->stream, conn_read_cb, c)) != 0) {
		conn_close(c);
		return r;
	}
	c->reading = true;
	return 0;
}

static struct http_conn *
conn_new(struct pogo_http_server *srv)
{
	struct http_conn *c = xcalloc(1, sizeof(*c));

	c->srv = srv;
	srv->nalive++;
	return c;
}

static void
server_reject_close_cb(struct pogo_stream *s, void *arg)
{
	struct http_conn *c = arg;

	conn_free(c);
}

/*
 * At the connection limit: closes the keep-alive connection idle the
 * longest (no request in progress, nothing buffered) to make room.
 * Returns false if every connection is busy.
 */
static bool
server_evict(struct pogo_http_server *srv)
{
	struct http_conn *c, *oldest = NULL;

	for (c = srv->conns; c != NULL; c = c->next) {
		if (c->state != HTTP_READING ||
		    c->timer_kind != HTTP_TIMER_IDLE || c->in_message ||
		    c->inlen > 0 || c->draining)
			continue;
		if (oldest == NULL || c->idle_since <= oldest->idle_since)
			oldest = c;
	}
	if (oldest == NULL)
		return false;
	log_debug(
	    "http: %zu connections, closing the longest idle", srv->nconns);
	conn_close(oldest);
	return true;
}

static void
server_connection_cb(uv_stream_t *ls, int status)
{
	struct pogo_http_server *srv = ls->data;
	struct http_conn *c;
	int len = sizeof(struct sockaddr_storage), r;

	if (status != 0) {
		log_warn("http: accept: %s", uv_strerror(status));
		return;
	}
	c = conn_new(srv);
	c->stream = pogo_stream_new(srv->loop, POGO_STREAM_TCP, srv->tls,
	    srv->clock, POGO_STREAM_HANDSHAKE_MS);
	r = uv_accept(ls, pogo_stream_uv(c->stream));
	if (r == 0 && !srv->closing &&
	    srv->nconns >= srv->cfg.limits.max_connections)
		server_evict(srv);
	if (r != 0 || srv->nconns >= srv->cfg.limits.max_connections ||
	    srv->closing) {
		if (srv->nconns >= srv->cfg.limits.max_connections)
			log_warn("http: too many busy connections (%zu)",
			    srv->nconns);
		pogo_stream_close(c->stream, server_reject_close_cb, c);
		return;
	}
	uv_tcp_getpeername(
	    pogo_stream_tcp(c->stream), (struct sockaddr *)&c->peer, &len);
	uv_tcp_nodelay(pogo_stream_tcp(c->stream), 1);
	conn_start(c);
}

int
pogo_http_server_adopt_fd(struct pogo_http_server *srv, int fd)
{
	struct http_conn *c;
	int r;

	c = conn_new(srv);
	c->stream = pogo_stream_new(srv->loop, POGO_STREAM_PIPE, NULL, NULL, 0);
	c->peer.ss_family = AF_UNIX;
	if ((r = uv_pipe_open(pogo_stream_pipe(c->stream), fd)) != 0) {
		pogo_stream_close(c->stream, server_reject_close_cb, c);
		return r;
	}
	return conn_start(c);
}

/* The server. */

int
pogo_http_server_new(uv_loop_t *loop, const struct pogo_http_config *cfg,
    struct pogo_http_server **srvp)
{
	struct pogo_http_server *srv;
	struct pogo_http_limits *l;

	*srvp = NULL;
	srv = xcalloc(1, sizeof(*srv));
	srv->loop = loop;
	srv->cfg = *cfg;
	l = &srv->cfg.limits;
#define DEF(f, v)                   \
	do {                        \
		if (l->f == 0)      \
			l->f = (v); \
	} while (0)
	DEF(max_target, POGO_HTTP_DEFAULT_MAX_TARGET);
	DEF(max_header_bytes, POGO_HTTP_DEFAULT_MAX_HEADER_BYTES);
	DEF(max_headers, POGO_HTTP_DEFAULT_MAX_HEADERS);
	DEF(max_body, POGO_HTTP_DEFAULT_MAX_BODY);
	DEF(max_params, POGO_HTTP_DEFAULT_MAX_PARAMS);
	DEF(max_buffered, POGO_HTTP_DEFAULT_MAX_BUFFERED);
	DEF(max_connections, POGO_HTTP_DEFAULT_MAX_CONNECTIONS);
	DEF(idle_timeout_ms, POGO_HTTP_DEFAULT_IDLE_TIMEOUT_MS);
	DEF(request_timeout_ms, POGO_HTTP_DEFAULT_REQUEST_TIMEOUT_MS);
	DEF(write_timeout_ms, POGO_HTTP_DEFAULT_WRITE_TIMEOUT_MS);
	DEF(linger_ms, POGO_HTTP_DEFAULT_LINGER_MS);
#undef DEF
	llhttp_settings_init(&srv->settings);
	srv->settings.on_message_begin = on_message_begin;
	srv->settings.on_url = on_url;
	srv->settings.on_header_field = on_header_field;
	srv->settings.on_header_value = on_header_value;
	srv->settings.on_header_value_complete = on_header_value_complete;
	srv->settings.on_headers_complete = on_headers_complete;
	srv->settings.on_body = on_body;
	srv->settings.on_message_complete = on_message_complete;
	uv_timer_init(loop, &srv->closer);
	srv->closer.data = srv;
	*srvp = srv;
	return 0;
}

/*
 * Connections the kernel may hold before they are accepted (capped by
 * net.core.somaxconn).  With 128, pogo api's 200 long polls of a job,
 * answered together and sent again on new connections to the control
 * port, overflowed it: the dropped SYNs came again after 1 s
 * (TcpExtListenDrops; test/bench/api.sh's wake stage, max ~1 s).
 */
#define HTTP_BACKLOG 4096

int
pogo_http_server_listen(struct pogo_http_server *srv,
    const struct pogo_http_listen *how, char **cause)
{
	char text[INET6_ADDRSTRLEN + 16];
	struct pogo_tls_opts to;
	int r;

	*cause = NULL;
	POGO_ASSERT(!srv->listening);
	if ((r = pogo_http_check_loopback(
	         how->addr, how->tls != NULL, how->insecure, cause)) != 0)
		return r;
	pogo_http_format_addr(how->addr, text, sizeof(text));
	if (how->tls != NULL) {
		to = *how->tls;
		to.server = true;
		if ((r = pogo_tls_new(&to, &srv->tls, cause)) != 0)
			return r;
		srv->clock = pogo_clock_uv_new(srv->loop);
	}
	uv_tcp_init(srv->loop, &srv->listener);
	srv->listener.data = srv;
	srv->listening = true;
	if ((r = uv_tcp_bind(&srv->listener, how->addr, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&srv->listener, HTTP_BACKLOG,
	         server_connection_cb)) != 0) {
		xasprintf(cause, "listen on %s: %s", text, uv_strerror(r));
		return r;
	}
	return 0;
}

int
pogo_http_server_address(
    struct pogo_http_server *srv, struct sockaddr_storage *ss)
{
	int len = sizeof(*ss);

	if (!srv->listening)
		return POGO_ERR_STATE;
	return uv_tcp_getsockname(&srv->listener, (struct sockaddr *)ss, &len);
}

size_t
pogo_http_server_connections(struct pogo_http_server *srv)
{
	return srv->nconns;
}

void
pogo_http_server_stats(struct pogo_http_server *srv, struct pogo_http_stats *st)
{
	*st = srv->stats;
}

static void
server_maybe_done(struct pogo_http_server *srv)
{
	pogo_http_close_cb cb;
	void *arg;

	if (!srv->closing || srv->nclose > 0 || srv->nalive > 0)
		return;
	cb = srv->close_cb;
	arg = srv->close_arg;
	if (cb != NULL)
		cb(srv, 0, arg);
	pogo_tls_free(srv->tls);
	if (srv->clock != NULL)
		pogo_clock_free(srv->clock);
	free(srv);
}

static void
server_close_cb(uv_handle_t *h)
{
	struct pogo_http_server *srv = h->data;

	srv->nclose--;
	server_maybe_done(srv);
}

void
pogo_http_server_close(
    struct pogo_http_server *srv, pogo_http_close_cb cb, void *arg)
{
	POGO_ASSERT(!srv->closing);
	srv->closing = true;
	srv->close_cb = cb;
	srv->close_arg = arg;
	srv->nclose = 1;
	uv_close((uv_handle_t *)&srv->closer, server_close_cb);
	if (srv->listening) {
		srv->nclose++;
		uv_close((uv_handle_t *)&srv->listener, server_close_cb);
	}
	while (srv->conns != NULL)
		conn_close(srv->conns);
}
