/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The HTTP client of the client commands (SPEC 12.4, 12.5): the client
 * configuration file, the API's URL, one request at a time on a libuv
 * loop over the project's stream (plain, or TLS through tls.c with the
 * API's host name checked against its certificate's subjectAltName), the
 * answer parsed by llhttp with a bounded body, and the v1 envelope of
 * SPEC 11.2 read back.  Every request opens its own connection and asks
 * for "Connection: close", unless the client draws on a pool of
 * kept-alive connections (pogo api's to the control port); a token
 * (SPEC 11.1) goes out as "Authorization: Bearer <token>".
 *
 * The pure parts (URL, job-id shorthands, envelope, the response parser)
 * are separate functions for the unit tests and the fuzz target.
 */
#ifndef POGO_CLIENT_H
#define POGO_CLIENT_H

#include <uv.h>

struct pogo_client;
struct pogo_json;
struct pogo_client_parser;
struct pogo_tls;

/* The largest answer body the client takes (the API's own bodies). */
#define POGO_CLIENT_MAX_BODY (64 * 1024 * 1024)
/*
 * The most values an answer may hold (its tree costs some 80 bytes a
 * value; the largest page, 10,000 output records, holds some 60,000).
 */
#define POGO_CLIENT_MAX_VALUES 1000000
/* Milliseconds for a whole request, long polls aside. */
#define POGO_CLIENT_TIMEOUT_MS 30000

/* The client configuration (SPEC 12.4): owned strings, NULL when unset. */
struct pogo_client_cfg {
	char *api;
	char *ca;
	char *cert;
	char *key;
	char *token_file;
	char *worker_cert;
	char *namespace;
	char *timeout;
	char *job_timeout;
	char *token; /* $POGO_TOKEN, else the first line of token_file */
};

/*
 * Read $POGO_CLIENT_CONFIG, else ~/.pogo/client.yaml (a missing file of
 * the default path means defaults; a missing $POGO_CLIENT_CONFIG file is
 * an error), into cfg (zeroed first).  Returns 0, or POGO_ERR_CONFIG with
 * *cause (freed by the caller).  The token is read later, by
 * pogo_client_cfg_token(), once the command line had its say.
 */
int pogo_client_cfg_load(struct pogo_client_cfg *cfg, char **cause);
/* cfg->token from $POGO_TOKEN or cfg->token_file.  0 or POGO_ERR_CONFIG. */
int pogo_client_cfg_token(struct pogo_client_cfg *cfg, char **cause);
/* Replace a string field (a copy of value). */
void pogo_client_cfg_set(char **field, const char *value);
void pogo_client_cfg_release(struct pogo_client_cfg *cfg);

/* An API URL: http[s]://host[:port][/prefix]. */
struct pogo_client_url {
	bool tls;
	char *host; /* without brackets */
	int port;
	char *prefix; /* "" or "/path" without a final '/' */
};

/* Parse url into u.  0, or POGO_ERR_CONFIG with *cause. */
int pogo_client_url_parse(
    const char *url, struct pogo_client_url *u, char **cause);
void pogo_client_url_release(struct pogo_client_url *u);

/*
 * A job id or its shorthand (SPEC 5.2): "123" and "p123" become
 * "p0000000123"; an id matching ^[a-z]{1,3}[0-9]{10}$ is kept.  Writes
 * the id to out (at least 16 bytes).  "last" is left to the caller (it
 * needs the API).  0, or POGO_ERR_RANGE.
 */
int pogo_client_jobid(const char *arg, char *out, size_t len);

struct pogo_json;
/*
 * A number of the API's as an integer: 0 for NaN, null or no number,
 * clamped to [-2^62, 2^62] (a cast of a double out of range is
 * undefined; review3 15).
 */
long long pogo_client_ll(const struct pogo_json *v);

/*
 * Whether e, an entry of a page of a job's log (SPEC 5.7), is entry
 * number offset, the next one the client counts: entries come in order,
 * each page from its offset on.  An API whose pages do not follow on (the
 * same entries again, under a `count` that never ends) would have the
 * client page for ever.  An index is below 2^32 (follow.c).
 */
bool pogo_client_log_next(const struct pogo_json *e, long long offset);

/* Append s percent-encoded (a query or form value) to *bufp. */
void pogo_client_urlenc(char **bufp, const char *s);

/*
 * The envelope of an answer (SPEC 11.2): with status 2xx, no "errors"
 * and a "response" member, 0 with *docp (freed by the caller) and
 * *respp (borrowed from it).  Otherwise POGO_ERR_PROTOCOL with *errp
 * (freed by the caller): the errors joined by "; ", the response's
 * message when meta.rc is "nok" (SPEC 11.5), or "HTTP <status> <text>"
 * (or "not JSON") when the body says nothing.
 */
int pogo_client_envelope(int status, const char *body, size_t len,
    struct pogo_json **docp, const struct pogo_json **respp, char **errp);

/*
 * The response parser: feed it the bytes of one HTTP/1.1 answer.
 * pogo_client_parser_feed returns 0 (more wanted), 1 (complete) or
 * POGO_ERR_PROTOCOL (malformed, or a body over max) with *cause;
 * pogo_client_parser_eof ends a body delimited by the connection's end.
 */
struct pogo_client_parser *pogo_client_parser_new(size_t max);
/*
 * A budget shared by several parsers: the body bytes they hold at once
 * (used) at most max; an answer that would go over it is refused as one
 * over the parser's own max is ("the answers held at once would be larger
 * than <max> bytes").  A parser gives its bytes back when it is freed or
 * given another budget (NULL: none).
 */
struct pogo_client_budget {
	size_t max;
	size_t used;
};
void pogo_client_parser_set_budget(
    struct pogo_client_parser *p, struct pogo_client_budget *b);
/* Was the answer refused for its size (max or budget)? */
bool pogo_client_parser_over(const struct pogo_client_parser *p);
int pogo_client_parser_feed(
    struct pogo_client_parser *p, const char *data, size_t len, char **cause);
int pogo_client_parser_eof(struct pogo_client_parser *p, char **cause);
int pogo_client_parser_status(const struct pogo_client_parser *p);
const char *pogo_client_parser_body(
    const struct pogo_client_parser *p, size_t *lenp);
/*
 * The answer's Retry-After if it is delay-seconds (1 to 9 digits) and
 * came once, else NULL (an HTTP-date included: pogo's servers send
 * seconds).  Borrowed from p.
 */
const char *pogo_client_parser_retry_after(const struct pogo_client_parser *p);
void pogo_client_parser_free(struct pogo_client_parser *p);

/*
 * A pool of kept-alive connections to one server, for the clients that
 * name it (pogo api's, to the control port: review4 F-K).  A request
 * that may be sent twice (GET, HEAD) takes an idle connection if there
 * is one, else opens one; any other request opens its own.  After a
 * complete answer on a connection the server keeps open, the connection
 * waits in the pool, at most max of them, each at most idle_ms (less
 * than the server's own idle time), and closes when the server closes
 * it.  A request whose kept-alive connection fails before any byte of
 * the answer came (the server closed it as the request left) is sent
 * once more on a new connection.  tls (held; NULL: plain) must be the
 * clients' configuration.  pogo_client_pool_free() closes the idle
 * connections; the pool's memory goes when the last connection that a
 * request still holds is closed.
 */
struct pogo_client_pool;

struct pogo_client_pool *pogo_client_pool_new(
    uv_loop_t *loop, struct pogo_tls *tls, size_t max, uint64_t idle_ms);
void pogo_client_pool_free(struct pogo_client_pool *p);
/* Connections opened so far, and idle now (for the tests). */
uint64_t pogo_client_pool_opened(const struct pogo_client_pool *p);
size_t pogo_client_pool_idle(const struct pogo_client_pool *p);

struct pogo_client_opts {
	const char *api; /* the URL */
	const char *ca, *cert, *key;
	const char *token; /* NULL: no Authorization header */
	/* Send token over plain HTTP to a host that is not loopback. */
	bool insecure;
	/*
	 * A TLS configuration made by the caller (the client holds it with
	 * pogo_tls_ref() until its last session is freed, so the caller may
	 * free it at any time), used for an https URL instead of one made of ca,
	 * cert and key: pogo api's, for the control port (no file is read
	 * on the loop, and no host name is checked, SPEC 10.1).
	 */
	struct pogo_tls *tls;
	/* Kept-alive connections (borrowed), or NULL: one per request. */
	struct pogo_client_pool *pool;
	/* The largest answer body taken (0: POGO_CLIENT_MAX_BODY). */
	size_t max_body;
	/*
	 * The budget of answer bytes held at once, shared with other
	 * clients (borrowed; it must outlive every request in flight: a
	 * request gives its bytes back right after its callback), or NULL.
	 */
	struct pogo_client_budget *budget;
	/*
	 * pogo_client_call() tries a refused connection again, every
	 * 100 ms, for up to this long (0: never): nothing was sent, so a
	 * command typed right after the daemon's start, or during its
	 * restart, waits for it instead of failing.
	 */
	uint64_t refused_retry_ms;
};

/*
 * A client of the API on loop.  Returns 0 with *cp, or POGO_ERR_CONFIG
 * with *cause (the URL, the TLS files, or a token for plain HTTP to a
 * host that is not loopback without insecure: SPEC 11.1).
 */
int pogo_client_new(uv_loop_t *loop, const struct pogo_client_opts *o,
    struct pogo_client **cp, char **cause);
/* The API URL as given, without a final '/'. */
const char *pogo_client_api(const struct pogo_client *c);
/*
 * In a request's callback: its answer's Retry-After
 * (pogo_client_parser_retry_after()), or NULL.  Borrowed from c.
 */
const char *pogo_client_retry_after(const struct pogo_client *c);

/*
 * The answer of one request: err 0 and the HTTP status and body
 * (borrowed for the call), or err < 0 with cause ("connection refused",
 * the TLS refusal, "timed out", ...); POGO_ERR_LIMIT for an answer over
 * max_body or the budget.
 */
typedef void (*pogo_client_cb)(int err, const char *cause, int status,
    const char *body, size_t len, void *arg);

/*
 * Send method target (the path below the API's prefix, with its query)
 * with body (NULL: none; else form-encoded), then cb once, from the loop.
 * timeout_ms 0: POGO_CLIENT_TIMEOUT_MS.  One request at a time.
 */
void pogo_client_request(struct pogo_client *c, const char *method,
    const char *target, const char *body, uint64_t timeout_ms,
    pogo_client_cb cb, void *arg);

/*
 * The same with everything said: more header lines (NULL, or lines each
 * ending "\r\n"), the body's content type (NULL: form-encoded) and its
 * length (it may hold any byte).  For the API's forwarding (api.c).
 */
struct pogo_client_msg {
	const char *method;
	const char *target;
	const char *headers;
	const char *content_type;
	const char *body; /* NULL: none */
	size_t len;
	uint64_t timeout_ms;
};
void pogo_client_send(struct pogo_client *c, const struct pogo_client_msg *m,
    pogo_client_cb cb, void *arg);

/*
 * Run the loop until one request is answered (a refused connection is
 * tried again for up to the options' refused_retry_ms): 0 with *docp and *respp
 * as pogo_client_envelope gives them, or an error with *errp (the
 * envelope's error, or the transport's cause).  *statusp (may be NULL)
 * gets the HTTP status (0 when there was none).
 */
int pogo_client_call(struct pogo_client *c, const char *method,
    const char *target, const char *body, uint64_t timeout_ms,
    struct pogo_json **docp, const struct pogo_json **respp, int *statusp,
    char **errp);

/*
 * End the request in flight, if any: its callback gets UV_ECANCELED
 * ("cancelled") now, from this call.
 */
void pogo_client_cancel(struct pogo_client *c);

/* Free the client; the loop must run on until its handles are closed. */
void pogo_client_free(struct pogo_client *c);

#endif
