/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The API's authentication and authorisation decisions (SPEC 11.1),
 * without I/O on the loop: the bearer-token file and the question "may
 * this user do this".  The API component (not written yet) calls these.
 */
#ifndef POGO_API_AUTH_H
#define POGO_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct pogo_api_tokens;

/*
 * Read the token file: one "<user> <token>" a line; blank lines and lines
 * starting with '#' are ignored; a token has at least 32 characters.  The
 * file must not be readable, writable or executable by group or others.
 * Blocks (start-up and SIGHUP only).  Returns 0 with *out set, or a
 * negative error with *cause set (the caller prints and frees it).
 */
int pogo_api_tokens_load(
    const char *path, struct pogo_api_tokens **out, char **cause);

/*
 * The user that token (len bytes) maps to, or NULL.  Every entry is
 * compared, each in constant time, so that the time taken does not
 * depend on which entry or how many bytes matched.
 */
const char *pogo_api_tokens_user(
    const struct pogo_api_tokens *t, const char *token, size_t len);

size_t pogo_api_tokens_count(const struct pogo_api_tokens *t);

void pogo_api_tokens_free(struct pogo_api_tokens *t);

/* What a request needs (SPEC 11.1, "Authorisation"). */
enum pogo_api_need {
	POGO_API_NEED_NONE,    /* /status, /v1/ping, /ui/ */
	POGO_API_NEED_USER,    /* reads, submissions */
	POGO_API_NEED_OWNER,   /* halt, resume, retry, skip, alter */
	POGO_API_NEED_ADMIN,   /* namespace changes, /v1/admin/ */
	POGO_API_NEED_UNKNOWN, /* no endpoint: answered 400, never sent on */
};

/*
 * What a request with this method and path (the raw target without its
 * query) needs.  The path is matched against the endpoints of SPEC 11.3
 * exactly as the control port's router matches it (literal segments
 * byte for byte, parameters percent-decoded), so that the decision is
 * about the route the control port will take: a host "fe80::1" escaped
 * as "fe80%3A%3A1" is a read like any other.  POST /v1/jobs submits
 * (USER); POST /v1/jobs/:jobid operates on that job (OWNER: the caller
 * asks the control port for the owner).  Anything else, or any method
 * but GET, HEAD and POST, is UNKNOWN: the API refuses it (fail closed).
 */
enum pogo_api_need pogo_api_need(const char *method, const char *path);

/*
 * Row i of the table pogo_api_need() decides from: its method, its
 * pattern (written as the control port's routes write theirs, see
 * pogo_dispatcher_route()) and what it needs, all static.  Returns false
 * past the last row.  For the test that the two tables agree.
 */
bool pogo_api_auth_route(size_t i, const char **method, const char **pattern,
    enum pogo_api_need *need);

/*
 * Whether user (NULL: not authenticated), admin or not, may do what need
 * asks on a job owned by owner (NULL when need is not OWNER or the
 * owner is unknown).  With authenticated false (api.auth none) all is
 * allowed.  Returns 0, POGO_API_UNAUTH (401 "authentication required")
 * or POGO_API_DENIED (403 "permission denied").
 */
#define POGO_API_UNAUTH 401
#define POGO_API_DENIED 403
int pogo_api_allowed(bool authenticated, enum pogo_api_need need,
    const char *user, bool admin, const char *owner);

/*
 * Whether a POST with the Origin header origin (NULL: none) may pass:
 * true without the header, or when it is the API's own origin for the
 * Host header host: "https://<host>", and "http://<host>" when the
 * request came over plain HTTP (tls false).  The https form of the same
 * host is accepted over HTTP too, for the same-host TLS reverse proxy in
 * front of a loopback API (review4 F-R): a page of another site has
 * another host in its Origin, and its browser puts ours in Host.  The
 * caller refuses the rest with 403 "cross-origin request refused".
 */
bool pogo_api_origin_ok(const char *origin, const char *host, bool tls);

/*
 * Whether a request whose Host header is host (NULL: none) may be served
 * by an API listening on a loopback address: only for a loopback name
 * ("localhost" or a loopback IP literal, any port).  Under DNS rebinding
 * a web page's own name points at 127.0.0.1 and its requests carry that
 * name in Host and Origin, which then agree; the caller refuses them
 * with 421.  Always true for other listeners (they need credentials).
 */
bool pogo_api_host_ok(const char *host, bool loopback_listener);

/*
 * Whether a request with the browser's Sec-Fetch-Site and Sec-Fetch-Mode
 * headers (NULL: absent, as from curl or an older browser) may pass:
 * same-origin and user-typed ("none") requests, and another site's plain
 * GET or HEAD navigation (a link: the page that linked cannot read the
 * answer).  Refused: another site's script, fetch or form, which under
 * JSONP (cb=, SPEC 11.2) or ambient credentials (a client certificate)
 * would read or act as the operator.  The caller answers 403
 * "cross-origin request refused".
 */
bool pogo_api_fetch_ok(const char *site, const char *mode, const char *method);

#endif
