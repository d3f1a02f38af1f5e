/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The API component (api.h, SPEC 11): http.c serves the clients, client.c
 * forwards each request to the control port, and the answer goes back.
 * Nothing here blocks the loop and nothing is kept between requests but
 * a few kept-alive connections to the control port (client.h's pool).
 */
#include "pogo/compat.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pogo/api-auth.h"
#include "pogo/api.h"
#include "pogo/cfg.h"
#include "pogo/client.h"
#include "pogo/error.h"
#include "pogo/http.h"
#include "pogo/json.h"
#include "pogo/str.h"
#include "pogo/log.h"
#include "pogo/tls.h"
#include "pogo/ui.h"
#include "pogo/version.h"
#include "pogo/xmalloc.h"

/*
 * The longest a forwarded request may take: a log long poll waits up to
 * POGO_DISPATCHER_MAX_WAIT (60 s) at the dispatcher, and a few more.
 */
#define API_FORWARD_TIMEOUT_MS 75000
/*
 * Idle kept-alive connections to the control port (review4 F-K: one
 * connection, and with TLS a mutual-TLS handshake on both loops, per
 * forwarded request), each for at most 30 s: the control port closes
 * its own after 60 s (POGO_HTTP_DEFAULT_IDLE_TIMEOUT_MS).  With fewer
 * than the clients' concurrency, answers that come back together close
 * the surplus and the next requests open (and handshake) again: 16
 * left test/bench/api.sh's 64 wrk connections at 3 requests/s with TLS;
 * 64 closed 136 of its 200 long polls' connections at every wake-up, and
 * their polls connected again at once (wake p99 about 100 ms through the
 * API against 20-40 ms with 256, same machine, interleaved runs).
 */
#define API_POOL_MAX 256
#define API_POOL_IDLE_MS 30000

struct api_fwd;

struct pogo_api {
	uv_loop_t *loop;
	const struct pogo_cfg *cfg;
	struct pogo_http_server *http;
	char *upstream;                /* the control port's URL */
	struct pogo_tls *tls;          /* to the control port, or NULL */
	struct pogo_client_pool *pool; /* kept-alive connections to it */
	/* Bytes of the control port's answers held now (api.max_buffered). */
	struct pogo_client_budget budget;
	unsigned nlong; /* long polls forwarded now (api.max_long_polls) */
	struct pogo_api_tokens *tokens; /* api.auth token */
	char hostname[256];
	bool loopback;        /* auth none on a loopback api.listen */
	struct api_fwd *fwds; /* requests waiting for the dispatcher */
	bool stopping;
	void (*stop_cb)(void *);
	void *stop_arg;
};

/* A request forwarded to the control port. */
struct api_fwd {
	struct pogo_api *a;
	struct pogo_http_req *req; /* NULL once answered */
	struct pogo_client *client;
	bool submit;    /* POST /v1/jobs: answer in SPEC 11.5's envelope */
	bool lookup;    /* asking for the job's owner first */
	bool long_poll; /* counted in nlong */
	char *headers;  /* X-Pogo-User, X-Pogo-Admin, X-Pogo-Auth */
	char *user;     /* the authenticated user, or NULL */
	bool admin;
	struct api_fwd *prev, *next;
};

static void api_send(struct api_fwd *f);

static void api_forward(struct pogo_http_req *req, void *arg);
static void api_root(struct pogo_http_req *req, void *arg);
static void api_status(struct pogo_http_req *req, void *arg);

/*
 * The API's own routes; every other path goes to api_other: /v1/...
 * forwarded, /ui/... the web UI, anything else 404 (SPEC 11.3).
 */
static const struct pogo_http_route api_routes[] = {
	{ "GET", "/", api_root, 0 },
	{ "GET", "/status", api_status, 0 },
};

bool
pogo_api_route(size_t i, const char **method, const char **pattern)
{
	if (i >= POGO_NELEM(api_routes))
		return false;
	*method = api_routes[i].method;
	*pattern = api_routes[i].pattern;
	return true;
}

/* {"meta": {"rc": rc, "status": status, "hostname": ...}, ...}. */
static struct pogo_json *
api_envelope(struct pogo_api *a, const char *rc, int status)
{
	struct pogo_json *doc = pogo_json_new_object();
	struct pogo_json *meta = pogo_json_add_object(doc, "meta");

	if (rc != NULL)
		pogo_json_add_string(meta, "rc", rc);
	pogo_json_add_number(meta, "status", status);
	pogo_json_add_string(meta, "hostname", a->hostname);
	return doc;
}

static void
api_respond_doc(struct pogo_http_req *req, int status, struct pogo_json *doc)
{
	size_t len;
	char *s = pogo_json_print_line(doc, &len);

	pogo_http_respond(req, status, "application/json", s, len);
	free(s);
}

/* An error of the API itself, in the envelope (SPEC 11.2). */
static void POGO_PRINTFLIKE(5, 6) api_error(struct pogo_api *a,
    struct pogo_http_req *req, const char *rc, int status, const char *fmt, ...)
{
	struct pogo_json *doc = api_envelope(a, rc, status);
	struct pogo_json *errors = pogo_json_add_array(doc, "errors");
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	pogo_json_add_string(errors, NULL, msg);
	free(msg);
	api_respond_doc(req, status, doc);
}

/* GET /: the web UI (SPEC 11.6). */
static void
api_root(struct pogo_http_req *req, void *arg)
{
	pogo_http_req_add_header(req, "Location", "/ui/");
	pogo_http_respond(req, 302, "text/plain", "", 0);
}

/*
 * GET /status: SPEC 11.3's bare {"pogo_version": ...}, answered here.
 * It needs no credentials, so the control port's richer /status (its
 * workers' names and addresses, its load; SPEC 7.5) is not passed on.
 */
static void
api_status(struct pogo_http_req *req, void *arg)
{
	struct pogo_json *doc = pogo_json_new_object();

	pogo_json_add_string(doc, "pogo_version", POGO_VERSION);
	api_respond_doc(req, 200, doc);
}

/* GET /ui/...: the embedded web UI (SPEC 11.6, ui.h). */
static void
api_ui(struct pogo_api *a, struct pogo_http_req *req)
{
	const struct pogo_ui_file *f =
	    pogo_ui_find(pogo_http_req_path(req) + strlen("/ui/"));

	if (f == NULL) {
		pogo_http_respond_error(
		    req, 404, "not found: '%s'", pogo_http_req_path(req));
		return;
	}
	if (f->cache_control != NULL)
		pogo_http_req_add_header(
		    req, "Cache-Control", f->cache_control);
	/* Never inside another site's frame (its buttons act). */
	pogo_http_req_add_header(req, "X-Frame-Options", "DENY");
	pogo_http_req_add_header(
	    req, "Content-Security-Policy", "frame-ancestors 'none'");
	pogo_http_respond(
	    req, 200, f->content_type, (const char *)f->data, f->len);
}

static void
api_fwd_free(struct api_fwd *f)
{
	struct pogo_api *a = f->a;

	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		a->fwds = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	if (f->long_poll)
		a->nlong--;
	pogo_client_free(f->client);
	free(f->headers);
	free(f->user);
	free(f);
}

/*
 * The control port's answer to a submission, {"rc", "message",
 * "jobid"}, in the envelope of SPEC 11.5.
 */
static void
api_submit_answer(struct api_fwd *f, const char *body, size_t len)
{
	struct pogo_api *a = f->a;
	struct pogo_json *in = NULL, *doc, *resp;
	const struct pogo_json *rc, *msg, *id;
	char *rcs = NULL, *msgs = NULL, *ids = NULL;

	if (pogo_json_parse_object(body, len, &in) != 0 ||
	    (rc = pogo_json_get(in, "rc")) == NULL ||
	    (rcs = pogo_json_string(rc, NULL)) == NULL ||
	    (msg = pogo_json_get(in, "message")) == NULL ||
	    (msgs = pogo_json_string(msg, NULL)) == NULL) {
		api_error(a, f->req, "fail", 500,
		    "problem in communication with dispatcher: %s",
		    "garbled answer to a submission");
		goto out;
	}
	doc = api_envelope(a, rcs, 200);
	resp = pogo_json_add_object(doc, "response");
	pogo_json_add_string(resp, "message", msgs);
	if ((id = pogo_json_get(in, "jobid")) != NULL &&
	    (ids = pogo_json_string(id, NULL)) != NULL)
		pogo_json_add_string(resp, "jobid", ids);
	api_respond_doc(f->req, 200, doc);
out:
	free(rcs);
	free(msgs);
	free(ids);
	pogo_json_free(in);
}

/*
 * The owner of the job that a job operation names (GET /v1/jobs/:jobid
 * answered 200): allowed, the operation goes on; else 403.
 */
static void
api_owner_cb(struct api_fwd *f, const char *body, size_t len)
{
	struct pogo_api *a = f->a;
	struct pogo_json *doc = NULL;
	const struct pogo_json *job;
	char *owner = NULL;

	if (pogo_json_parse_object(body, len, &doc) == 0 &&
	    (job = pogo_json_get(pogo_json_get(doc, "response"), "job")) !=
	        NULL)
		owner = pogo_json_string(pogo_json_get(job, "user"), NULL);
	pogo_json_free(doc);
	f->lookup = false;
	if (pogo_api_allowed(
	        true, POGO_API_NEED_OWNER, f->user, f->admin, owner) != 0) {
		free(owner);
		api_error(a, f->req, NULL, 403, "permission denied");
		f->req = NULL;
		api_fwd_free(f);
		return;
	}
	free(owner);
	api_send(f);
}

/* The control port answered (or could not be reached). */
static void
api_forward_cb(int err, const char *cause, int status, const char *body,
    size_t len, void *arg)
{
	struct api_fwd *f = arg;
	struct pogo_api *a = f->a;
	const char *ra;

	if (f->req == NULL)
		goto out;
	if (f->lookup && err == 0 && status == 200) {
		api_owner_cb(f, body, len);
		return;
	}
	if (err == UV_ECANCELED)
		/* Stopping, or the client went away (the answer is lost). */
		api_error(a, f->req, "fail", 503, "the API is stopping");
	else if (err == POGO_ERR_LIMIT)
		/* Over api.max_buffered: not held, not passed on. */
		api_error(a, f->req, "fail", 502,
		    "problem in communication with dispatcher: %s", cause);
	else if (err != 0)
		api_error(a, f->req, "fail", 500,
		    "problem in communication with dispatcher: %s",
		    cause != NULL ? cause : pogo_strerror(err));
	else if (status < 100 || status > 599)
		api_error(a, f->req, "fail", 500,
		    "problem in communication with dispatcher: HTTP status %d",
		    status);
	else if (f->submit && status == 200)
		api_submit_answer(f, body, len);
	else {
		/*
		 * Of the answer's headers only Retry-After (a schedule's or
		 * a job's 503: when to try again) is the client's; the
		 * others are the control port's own or hop-by-hop.
		 */
		if ((ra = pogo_client_retry_after(f->client)) != NULL)
			pogo_http_req_add_header(f->req, "Retry-After", ra);
		pogo_http_respond(
		    f->req, status, "application/json", body, len);
	}
out:
	f->req = NULL;
	api_fwd_free(f);
}

/* The client went away: stop waiting for the dispatcher. */
static void
api_abort_cb(struct pogo_http_req *req, void *arg)
{
	struct api_fwd *f = arg;

	pogo_client_cancel(f->client);
}

/*
 * The authenticated user of req (SPEC 11.1), or NULL: the CN of a
 * verified client certificate (cert), or the user a bearer token maps to
 * (token).  A name with a control character is no user.
 */
static const char *
api_user(struct pogo_api *a, struct pogo_http_req *req)
{
	const char *user = NULL, *h, *p;

	switch (a->cfg->api.auth) {
	case POGO_CFG_AUTH_CERT:
		user = pogo_http_req_tls_peer(req);
		break;
	case POGO_CFG_AUTH_TOKEN:
		h = pogo_http_req_header(req, "Authorization");
		if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
			return NULL;
		h += 7;
		h += strspn(h, " ");
		user = pogo_api_tokens_user(a->tokens, h, strlen(h));
		break;
	case POGO_CFG_AUTH_NONE:
		return NULL;
	}
	if (user == NULL || user[0] == '\0')
		return NULL;
	for (p = user; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return NULL;
	}
	return user;
}

static bool
api_is_admin(struct pogo_api *a, const char *user)
{
	size_t i;

	for (i = 0; user != NULL && i < a->cfg->api.nadmins; i++) {
		if (strcmp(a->cfg->api.admins[i], user) == 0)
			return true;
	}
	return false;
}

/*
 * Is req a long poll of a job's log (GET or HEAD /v1/jobs/:jobid/log with
 * a wait of at least a second)?
 */
static bool
api_is_long_poll(struct pogo_http_req *req)
{
	const char *path = pogo_http_req_path(req), *p, *w;
	const char *method = pogo_http_req_method(req);
	long long wait;
	size_t n;

	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return false;
	if (strncmp(path, "/v1/jobs/", 9) != 0)
		return false;
	p = path + 9;
	n = strcspn(p, "/");
	if (n == 0 || strcmp(p + n, "/log") != 0)
		return false;
	w = pogo_http_req_param(req, "wait");
	return w != NULL && pogo_strtonum(w, 1, UINT32_MAX, &wait) == 0;
}

/* Send f's request (or its owner lookup) to the control port. */
static void
api_send(struct api_fwd *f)
{
	struct pogo_http_req *req = f->req;
	struct pogo_client_msg m = { 0 };
	const char *target = pogo_http_req_target(req), *q, *id;
	char *sub = NULL;
	size_t len;

	m.method = pogo_http_req_method(req);
	/*
	 * A HEAD goes up as a GET: http.c answers the client's HEAD with
	 * the GET's headers and no body (review3 11, review4 F-Q).
	 */
	if (strcmp(m.method, "HEAD") == 0)
		m.method = "GET";
	m.target = target;
	m.headers = f->headers;
	m.timeout_ms = API_FORWARD_TIMEOUT_MS;
	if (f->lookup) {
		/* /v1/jobs/<jobid>...: the job's owner. */
		id = pogo_http_req_path(req) + strlen("/v1/jobs/");
		xasprintf(&sub, "/v1/jobs/%.*s", (int)strcspn(id, "/"), id);
		m.method = "GET";
		m.target = sub;
		pogo_client_send(f->client, &m, api_forward_cb, f);
		free(sub);
		return;
	}
	if (strcmp(m.method, "POST") == 0 &&
	    strcmp(pogo_http_req_path(req), "/v1/jobs") == 0) {
		/* SPEC 11.5: a submission is the control port's jobsubmit. */
		f->submit = true;
		q = strchr(target, '?');
		xasprintf(&sub, "/v1/jobsubmit%s", q != NULL ? q : "");
		m.target = sub;
	}
	m.body = pogo_http_req_body(req, &len);
	m.len = len;
	if (len == 0 && strcmp(m.method, "POST") != 0)
		m.body = NULL;
	m.content_type = pogo_http_req_header(req, "Content-Type");
	pogo_client_send(f->client, &m, api_forward_cb, f);
	free(sub);
}

/*
 * A request for the control port: the Origin check, authentication and
 * authorisation (SPEC 11.1), then forwarded with the user in
 * X-Pogo-User and X-Pogo-Admin (the client's own X-Pogo-* headers are
 * never passed on: only these are sent).
 */
static void
api_forward(struct pogo_http_req *req, void *arg)
{
	struct pogo_api *a = arg;
	struct pogo_client_opts o = { 0 };
	const char *method = pogo_http_req_method(req);
	const char *path = pogo_http_req_path(req);
	bool authenticated = a->cfg->api.auth != POGO_CFG_AUTH_NONE;
	enum pogo_api_need need = pogo_api_need(method, path);
	const char *user = NULL;
	struct api_fwd *f;
	char *cause = NULL;
	bool admin = false, long_poll;
	int r;

	if (a->stopping) {
		api_error(a, req, "fail", 503, "the API is stopping");
		return;
	}
	if (need == POGO_API_NEED_UNKNOWN) {
		/* Fail closed: only the endpoints of SPEC 11.3 go on. */
		api_error(a, req, NULL, 400, "unknown request: %s '%s'", method,
		    strncmp(path, "/v1", 3) == 0 ? path + 3 : path);
		return;
	}
	if (!pogo_api_host_ok(pogo_http_req_header(req, "Host"), a->loopback)) {
		api_error(a, req, NULL, 421,
		    "misdirected request: the Host is not a loopback name");
		return;
	}
	if (!pogo_api_fetch_ok(pogo_http_req_header(req, "Sec-Fetch-Site"),
	        pogo_http_req_header(req, "Sec-Fetch-Mode"), method)) {
		api_error(a, req, NULL, 403, "cross-origin request refused");
		return;
	}
	if (strcmp(method, "POST") == 0) {
		if (!pogo_api_origin_ok(pogo_http_req_header(req, "Origin"),
		        pogo_http_req_header(req, "Host"),
		        pogo_http_req_is_tls(req))) {
			api_error(
			    a, req, NULL, 403, "cross-origin request refused");
			return;
		}
	}
	if (authenticated) {
		user = api_user(a, req);
		admin = api_is_admin(a, user);
	}
	r = pogo_api_allowed(authenticated,
	    need == POGO_API_NEED_OWNER ? POGO_API_NEED_USER : need, user,
	    admin, NULL);
	if (r == POGO_API_UNAUTH) {
		if (a->cfg->api.auth == POGO_CFG_AUTH_TOKEN)
			pogo_http_req_add_header(
			    req, "WWW-Authenticate", "Bearer");
		api_error(a, req, NULL, 401, "authentication required");
		return;
	}
	if (r != 0) {
		api_error(a, req, NULL, 403, "permission denied");
		return;
	}
	long_poll = api_is_long_poll(req);
	if (long_poll && a->nlong >= a->cfg->api.max_long_polls) {
		/*
		 * Each holds a connection here and at the control port for
		 * up to a minute: the client comes back later rather than
		 * polling at once in a loop.
		 */
		log_debug(
		    "api: a long poll refused: %u already forwarded", a->nlong);
		pogo_http_req_add_header(req, "Retry-After", "1");
		api_error(a, req, "fail", 503,
		    "too many long polls (%u); try again later",
		    a->cfg->api.max_long_polls);
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->a = a;
	f->req = req;
	o.api = a->upstream;
	o.tls = a->tls;
	o.pool = a->pool;
	o.budget = &a->budget;
	if (pogo_client_new(a->loop, &o, &f->client, &cause) != 0) {
		api_error(a, req, "fail", 500,
		    "problem in communication with dispatcher: %s", cause);
		free(cause);
		free(f);
		return;
	}
	f->next = a->fwds;
	if (a->fwds != NULL)
		a->fwds->prev = f;
	a->fwds = f;
	f->long_poll = long_poll;
	if (long_poll)
		a->nlong++;
	f->headers = xstrdup("");
	if (user != NULL) {
		f->user = xstrdup(user);
		f->admin = admin;
		free(f->headers);
		xasprintf(&f->headers,
		    "X-Pogo-User: %s\r\n%sX-Pogo-Auth: %s\r\n", user,
		    admin ? "X-Pogo-Admin: 1\r\n" : "",
		    a->cfg->api.auth == POGO_CFG_AUTH_CERT ? "cert" : "token");
	}
	/*
	 * An owner's operation (POST /v1/jobs/:jobid) by a user who is no
	 * admin: whose job?
	 */
	f->lookup = need == POGO_API_NEED_OWNER && authenticated && !admin;
	pogo_http_req_on_abort(req, api_abort_cb, f);
	api_send(f);
}

/* Every path the table does not name. */
static void
api_other(struct pogo_http_req *req, void *arg)
{
	struct pogo_api *a = arg;
	const char *path = pogo_http_req_path(req);
	const char *method = pogo_http_req_method(req);

	if (strcmp(path, "/v1") == 0 || strncmp(path, "/v1/", 4) == 0)
		api_forward(req, arg);
	else if (strcmp(method, "HEAD") == 0 && strcmp(path, "/status") == 0)
		/* (The table's GET /status, for a HEAD.) */
		api_status(req, arg);
	else if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
	    strncmp(path, "/ui/", 4) == 0)
		api_ui(a, req);
	else if (strcmp(method, "GET") == 0 && strcmp(path, "/ui") == 0)
		api_root(req, arg);
	else
		pogo_http_respond_error(req, 404, "not found: '%s'", path);
}

int
pogo_api_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    const struct sockaddr *upstream, struct pogo_api **ap, char **cause)
{
	struct pogo_api *a = NULL;
	struct pogo_http_config hc = { 0 };
	struct pogo_http_listen hl = { 0 };
	struct pogo_tls_opts to, so;
	struct pogo_tls *tls;
	struct sockaddr_storage ss, bound;
	const struct pogo_cfg_addr *up = &cfg->api.dispatcher;
	bool has_tls = cfg->tls.cert[0] != '\0';
	char addr[64], *c = NULL;
	int r;

	*ap = NULL;
	*cause = NULL;
	if ((r = pogo_http_parse_addr(cfg->api.listen.str, &ss, &c)) != 0) {
		xasprintf(cause, "api.listen: %s", c);
		free(c);
		return r;
	}
	/* The loopback rule (SPEC 10.1, 11.1). */
	if ((r = pogo_http_check_loopback(
	         (struct sockaddr *)&ss, has_tls, cfg->insecure, &c)) != 0) {
		free(c);
		xasprintf(cause,
		    "refusing to listen on %s without TLS; use --insecure to "
		    "override",
		    cfg->api.listen.str);
		return r;
	}
	if (cfg->api.auth == POGO_CFG_AUTH_NONE && !cfg->insecure &&
	    !pogo_http_addr_is_loopback((struct sockaddr *)&ss)) {
		xasprintf(cause,
		    "refusing to serve the API on %s without authentication; "
		    "use --insecure to override",
		    cfg->api.listen.str);
		return POGO_ERR_CONFIG;
	}
	if (cfg->api.auth == POGO_CFG_AUTH_CERT && !has_tls) {
		xasprintf(
		    cause, "api.auth cert needs TLS: tls.cert is not set");
		return POGO_ERR_CONFIG;
	}
	if (cfg->api.auth == POGO_CFG_AUTH_TOKEN &&
	    cfg->api.token_file[0] == '\0') {
		xasprintf(cause, "api.auth token: api.token_file is not set");
		return POGO_ERR_CONFIG;
	}
	a = xcalloc(1, sizeof(*a));
	a->loop = loop;
	a->cfg = cfg;
	/*
	 * The Host rule against DNS rebinding, for auth none only: with
	 * credentials a rebound page has none to send, and a reverse proxy
	 * in front passes the public name.
	 */
	a->loopback = cfg->api.auth == POGO_CFG_AUTH_NONE &&
	    pogo_http_addr_is_loopback((struct sockaddr *)&ss);
	if (cfg->api.auth == POGO_CFG_AUTH_TOKEN &&
	    (r = pogo_api_tokens_load(cfg->api.token_file, &a->tokens, &c)) !=
	        0) {
		xasprintf(cause, "api.token_file: %s", c);
		goto out;
	}
	/*
	 * TLS (SPEC 10.1): the API presents tls.cert (of kind dispatcher)
	 * to its clients, who may present one of kind client, and to the
	 * control port, which must present one of kind dispatcher.  Every
	 * item is checked now, so that a missing one stops start-up.
	 */
	if (pogo_tls_opts_from_cfg(&to, cfg)) {
		so = to;
		so.server = true;
		so.peer_kind = "client";
		so.peer_optional = true;
		if ((r = pogo_tls_new(&so, &tls, cause)) != 0)
			goto out;
		pogo_tls_free(tls);
		hl.tls = &so;
		to.server = false;
		to.peer_kind = "dispatcher";
		if ((r = pogo_tls_new(&to, &a->tls, cause)) != 0)
			goto out;
	}
	a->pool =
	    pogo_client_pool_new(loop, a->tls, API_POOL_MAX, API_POOL_IDLE_MS);
	a->budget.max = cfg->api.max_buffered;
	if (gethostname(a->hostname, sizeof(a->hostname) - 1) != 0)
		pogo_strlcpy(a->hostname, "localhost", sizeof(a->hostname));
	if (upstream != NULL) {
		pogo_http_format_addr(upstream, addr, sizeof(addr));
		xasprintf(&a->upstream, "%s://%s",
		    a->tls != NULL ? "https" : "http", addr);
	} else
		xasprintf(&a->upstream,
		    strchr(up->host, ':') != NULL ? "%s://[%s]:%d"
		                                  : "%s://%s:%d",
		    a->tls != NULL ? "https" : "http", up->host, up->port);
	hc.routes = api_routes;
	hc.nroutes = POGO_NELEM(api_routes);
	hc.unknown = api_other;
	hc.arg = a;
	if ((r = pogo_http_server_new(loop, &hc, &a->http)) != 0) {
		xasprintf(cause, "api: %s", pogo_strerror(r));
		goto out;
	}
	hl.addr = (struct sockaddr *)&ss;
	hl.insecure = cfg->insecure;
	if ((r = pogo_http_server_listen(a->http, &hl, &c)) != 0) {
		xasprintf(cause, "api %s: %s", cfg->api.listen.str,
		    c != NULL ? c : pogo_strerror(r));
		goto out;
	}
	pogo_http_server_address(a->http, &bound);
	pogo_http_format_addr((struct sockaddr *)&bound, addr, sizeof(addr));
	log_info("Listening on %s", addr);
	*ap = a;
	a = NULL;
	r = 0;
out:
	free(c);
	if (a != NULL) {
		if (a->http != NULL)
			pogo_http_server_close(a->http, NULL, NULL);
		pogo_client_pool_free(a->pool);
		pogo_tls_free(a->tls);
		pogo_api_tokens_free(a->tokens);
		free(a->upstream);
		free(a);
	}
	return r;
}

void
pogo_api_reload(struct pogo_api *a)
{
	struct pogo_api_tokens *t;
	char *cause = NULL;

	if (a->cfg->api.auth != POGO_CFG_AUTH_TOKEN)
		return;
	if (pogo_api_tokens_load(a->cfg->api.token_file, &t, &cause) != 0) {
		log_error(
		    "SIGHUP: api.token_file: %s; the old tokens stay", cause);
		free(cause);
		return;
	}
	pogo_api_tokens_free(a->tokens);
	a->tokens = t;
	log_info("SIGHUP: %zu tokens read from %s", pogo_api_tokens_count(t),
	    a->cfg->api.token_file);
}

int
pogo_api_address(struct pogo_api *a, struct sockaddr_storage *ss)
{
	return pogo_http_server_address(a->http, ss);
}

static void
api_http_closed_cb(struct pogo_http_server *srv, int status, void *arg)
{
	struct pogo_api *a = arg;
	void (*cb)(void *) = a->stop_cb;
	void *cbarg = a->stop_arg;

	pogo_tls_free(a->tls);
	pogo_api_tokens_free(a->tokens);
	free(a->upstream);
	free(a);
	log_debug("api stopped");
	if (cb != NULL)
		cb(cbarg);
}

void
pogo_api_stop(struct pogo_api *a, void (*cb)(void *arg), void *arg)
{
	a->stopping = true;
	a->stop_cb = cb;
	a->stop_arg = arg;
	/* Answer the waiting requests now (503); each frees its forward. */
	while (a->fwds != NULL)
		pogo_client_cancel(a->fwds->client);
	/* Its idle connections close; those of requests, with them. */
	pogo_client_pool_free(a->pool);
	a->pool = NULL;
	pogo_http_server_close(a->http, api_http_closed_cb, a);
}
