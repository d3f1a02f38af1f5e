/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A small HTTP/1.1 server on a libuv loop, with llhttp as the parser
 * (src/http.c is the only file that includes llhttp).  It serves the
 * dispatcher's control port (SPEC 7.5) and, later, the API (SPEC 11).
 *
 * One request at a time per connection: when a request is complete the
 * connection stops reading until its handler has answered, then parses
 * what the client already sent (pipelining) and reads on.  Keep-alive is
 * HTTP/1.1's default; HTTP/1.0 keeps the connection only with
 * "Connection: keep-alive".  Every size that comes from the client is
 * checked against pogo_http_limits before anything is allocated for it:
 * the request target (414), the header bytes and count (431) and the body
 * (413, from Content-Length before any byte of it arrives, and chunk by
 * chunk for a chunked body); the bytes of all requests together are
 * capped too (max_buffered: 503, and the connection closes).  At the
 * connection limit the longest-idle keep-alive connection is closed to
 * make room for a new one.  A malformed request gets 400 and the
 * connection closes; other connections are not affected.  Every error
 * answer is JSON, {"errors": ["..."]}.  Timers close idle connections,
 * clients that take too long to send one request (slowloris) and clients
 * that do not read their answer.
 *
 * Routes are rows of a table: a method, a path pattern whose ":name"
 * segments match any one non-empty segment (read back with
 * pogo_http_req_route_param), and a handler.  A path that no pattern
 * matches goes to the configured fallback (by default HTTP 400,
 * {"errors": ["unknown request: '<path>'"]}, SPEC 7.5), and so does a
 * path that a pattern matches under another method (SPEC 11.3: "anything
 * else" is 400).
 */
#ifndef POGO_HTTP_H
#define POGO_HTTP_H

#include <sys/socket.h>
#include <uv.h>

struct pogo_http_server;
struct pogo_http_req;
struct pogo_tls_opts;

/*
 * A route handler.  It must answer the request exactly once with one of
 * the pogo_http_respond* functions, now or later from another callback;
 * the request stays valid until then.  It may not free or keep the
 * request after answering.
 */
typedef void (*pogo_http_handler_fn)(struct pogo_http_req *req, void *arg);

/* Called when a request still waiting for its answer loses its client. */
typedef void (*pogo_http_abort_cb)(struct pogo_http_req *req, void *arg);

/* Called once, after the server and all its connections are closed. */
typedef void (*pogo_http_close_cb)(
    struct pogo_http_server *srv, int status, void *arg);

/*
 * A route: method ("GET", "POST", ...), pattern ("/v1/jobs/:jobid/hosts")
 * and handler.  flags are the owner's (authentication, mutation, ...):
 * http.c only passes them on (pogo_http_req_route_flags).
 */
struct pogo_http_route {
	const char *method;
	const char *pattern;
	pogo_http_handler_fn fn;
	int flags;
};

/*
 * Bounds on what a client may send and how long it may take.  A zero
 * field takes the default given beside it.
 */
struct pogo_http_limits {
	size_t max_target;           /* 8 KiB: request target, else 414 */
	size_t max_header_bytes;     /* 16 KiB: names and values, else 431 */
	size_t max_headers;          /* 64 header lines, else 431 */
	size_t max_body;             /* 8 MiB (SPEC 11.1), else 413 */
	size_t max_params;           /* 10,000 query and form pairs, else 413 */
	size_t max_buffered;         /* 64 MiB in all requests, else 503 */
	size_t max_connections;      /* 1,024, then the most idle closes */
	uint64_t idle_timeout_ms;    /* 60 s without a request: close */
	uint64_t request_timeout_ms; /* 30 s from a request's first byte */
	uint64_t write_timeout_ms;   /* 60 s for the client to take an answer */
	uint64_t linger_ms; /* 2 s draining input after a closing answer */
};

#define POGO_HTTP_DEFAULT_MAX_TARGET (8 * 1024)
#define POGO_HTTP_DEFAULT_MAX_HEADER_BYTES (16 * 1024)
#define POGO_HTTP_DEFAULT_MAX_HEADERS 64
#define POGO_HTTP_DEFAULT_MAX_BODY (8 * 1024 * 1024)
#define POGO_HTTP_DEFAULT_MAX_PARAMS 10000
#define POGO_HTTP_DEFAULT_MAX_BUFFERED (64 * 1024 * 1024)
#define POGO_HTTP_DEFAULT_MAX_CONNECTIONS 1024
#define POGO_HTTP_DEFAULT_IDLE_TIMEOUT_MS 60000
#define POGO_HTTP_DEFAULT_REQUEST_TIMEOUT_MS 30000
#define POGO_HTTP_DEFAULT_WRITE_TIMEOUT_MS 60000
#define POGO_HTTP_DEFAULT_LINGER_MS 2000

/*
 * A server's configuration.  routes (borrowed: it must outlive the
 * server) is searched in order.  unknown, when set, answers every request
 * whose path no route matches, instead of SPEC 7.5's 400.  arg is passed
 * to every handler.
 */
struct pogo_http_config {
	const struct pogo_http_route *routes;
	size_t nroutes;
	pogo_http_handler_fn unknown;
	void *arg;
	struct pogo_http_limits limits;
};

/*
 * How to listen.  tls (borrowed for the call; NULL: plain) serves HTTPS
 * (SPEC 10.1, stream.h): its peer_kind is the kind of client certificate
 * required.  insecure allows a non-loopback address without TLS.
 */
struct pogo_http_listen {
	const struct sockaddr *addr;
	const struct pogo_tls_opts *tls;
	bool insecure;
};

/*
 * The loopback rule of SPEC 10.1 for any listener: a non-loopback address
 * (which includes the wildcards 0.0.0.0 and ::) needs TLS unless insecure.
 * Returns 0, or POGO_ERR_CONFIG with *cause (freed by the caller) set to
 * "refusing to listen on <addr> without TLS; use --insecure to override".
 */
int pogo_http_check_loopback(
    const struct sockaddr *addr, bool tls, bool insecure, char **cause);

/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool pogo_http_addr_is_loopback(const struct sockaddr *addr);

/*
 * True for a host name that is loopback without a name lookup:
 * "localhost" (any case) or a numeric address that
 * pogo_http_addr_is_loopback() accepts ("127.0.0.1", "::1", without
 * brackets or port).  "127.evil.example" is not.
 */
bool pogo_http_name_is_loopback(const char *name);

/*
 * Does path (the raw target without its query) match the route pattern
 * as the server routes it: literal segments byte for byte, a ":name"
 * segment any non-empty segment that percent-decodes (no %00)?
 */
bool pogo_http_route_matches(const char *pattern, const char *path);

/*
 * Parses a numeric "IPv4:port" or "[IPv6]:port" into *ss.  Returns 0 or
 * POGO_ERR_CONFIG with *cause set (freed by the caller).
 */
int pogo_http_parse_addr(
    const char *text, struct sockaddr_storage *ss, char **cause);

/* Writes "ip:port" or "[ip]:port" of addr into buf (at least 64 bytes). */
void pogo_http_format_addr(const struct sockaddr *addr, char *buf, size_t len);

/*
 * Creates a server on loop; cfg is copied (routes stay borrowed).  Returns
 * 0 with *srvp set; the server is freed by pogo_http_server_close.
 */
int pogo_http_server_new(uv_loop_t *loop, const struct pogo_http_config *cfg,
    struct pogo_http_server **srvp);

/*
 * Binds and listens.  Returns 0, POGO_ERR_CONFIG (the loopback rule, a TLS
 * item missing or unreadable, with *cause) or a libuv error (bind, listen) with
 * *cause set.  Call once per server.
 */
int pogo_http_server_listen(struct pogo_http_server *srv,
    const struct pogo_http_listen *how, char **cause);

/* The bound address (after a successful listen), for port 0. */
int pogo_http_server_address(
    struct pogo_http_server *srv, struct sockaddr_storage *ss);

/* Number of open client connections. */
size_t pogo_http_server_connections(struct pogo_http_server *srv);

/*
 * Counters: answers written, of which errors (status >= 400), and the
 * bytes currently and at most allocated for requests (targets, headers,
 * bodies and input buffers of every connection).
 */
struct pogo_http_stats {
	uint64_t requests;
	uint64_t errors;
	size_t buffered;
	size_t peak_buffered;
};
void pogo_http_server_stats(
    struct pogo_http_server *srv, struct pogo_http_stats *st);

/*
 * Serves one already connected stream socket (a socketpair end, an
 * inherited descriptor), which the server then owns; for tests and the
 * fuzz target.  Returns 0 or a libuv error (fd is then left open).
 */
int pogo_http_server_adopt_fd(struct pogo_http_server *srv, int fd);

/*
 * Stops listening and closes every connection.  A request still waiting
 * for its handler's answer gets its abort callback; its answer, when it
 * comes, is discarded.  cb runs once every handle is closed and every
 * pending request has been answered; then the server is freed.
 */
void pogo_http_server_close(
    struct pogo_http_server *srv, pogo_http_close_cb cb, void *arg);

/*
 * The request, read-only for the handler.  Every string is owned by the
 * request and valid until it is answered.
 */

/* "GET", "POST", ... */
const char *pogo_http_req_method(struct pogo_http_req *req);

/* The path as sent, percent-encoded, without the query string. */
const char *pogo_http_req_path(struct pogo_http_req *req);

/* The request target as sent: the path and the query string, if any. */
const char *pogo_http_req_target(struct pogo_http_req *req);

/* The matched route's flags (0 in the fallback). */
int pogo_http_req_route_flags(struct pogo_http_req *req);

/* The percent-decoded value of a ":name" segment, or NULL. */
const char *pogo_http_req_route_param(
    struct pogo_http_req *req, const char *name);

/*
 * The parameters of SPEC 11.2: query string pairs, then the pairs of an
 * application/x-www-form-urlencoded body, percent-decoded ('+' is a
 * space).  pogo_http_req_param returns the first value of name or NULL;
 * pogo_http_req_param_nth the n-th (from 0) of a repeated name or NULL.
 * pogo_http_req_nparams and pogo_http_req_param_at walk every pair.
 */
const char *pogo_http_req_param(struct pogo_http_req *req, const char *name);
const char *pogo_http_req_param_nth(
    struct pogo_http_req *req, const char *name, size_t n);
size_t pogo_http_req_nparams(struct pogo_http_req *req);
void pogo_http_req_param_at(struct pogo_http_req *req, size_t i,
    const char **namep, const char **valuep);

/* The first value of a header (name compared without case), or NULL. */
const char *pogo_http_req_header(struct pogo_http_req *req, const char *name);

/* The body as received (chunked bodies decoded); never NULL. */
const char *pogo_http_req_body(struct pogo_http_req *req, size_t *lenp);

/*
 * Over TLS: whether the connection is TLS, and the CN of the client
 * certificate it verified ("" without one, and on a plain connection).
 */
bool pogo_http_req_is_tls(struct pogo_http_req *req);
const char *pogo_http_req_tls_peer(struct pogo_http_req *req);

/* The client's address as "ip:port" into buf (at least 64 bytes). */
void pogo_http_req_peer(struct pogo_http_req *req, char *buf, size_t len);

/*
 * Sets the abort callback: it is called (at most once, before the answer)
 * if the client goes away (the connection is reset, or a write fails) or
 * the server closes while the request waits.  A client that only
 * half-closes (shutdown of its sending side) still gets its answer.
 * The handler must still answer.
 */
void pogo_http_req_on_abort(
    struct pogo_http_req *req, pogo_http_abort_cb cb, void *arg);

/* Adds a response header (copied) before the answer. */
void pogo_http_req_add_header(
    struct pogo_http_req *req, const char *name, const char *value);

/*
 * Answers the request: status, content type and body (copied).  After
 * this call the request is gone.
 */
void pogo_http_respond(struct pogo_http_req *req, int status,
    const char *content_type, const char *body, size_t len);

/* Answers with a JSON body (application/json), ending it with '\n'. */
void pogo_http_respond_json(
    struct pogo_http_req *req, int status, const char *json);

/* Answers with {"errors": ["<message>"]}. */
void pogo_http_respond_error(struct pogo_http_req *req, int status,
    const char *fmt, ...) POGO_PRINTFLIKE(3, 4);

/* The reason phrase of an HTTP status code ("Not Found"). */
const char *pogo_http_status_text(int status);

#endif
