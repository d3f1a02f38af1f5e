/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The API component (api.h, SPEC 11): http.c serves the clients, client.c
 * forwards each request to the control port, and the answer goes back.
 * Nothing here blocks the loop and nothing is kept between requests.
 */
#include "pogo/compat.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pogo/api.h"
#include "pogo/cfg.h"
#include "pogo/client.h"
#include "pogo/error.h"
#include "pogo/http.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/ui.h"
#include "pogo/xmalloc.h"

/*
 * The longest a forwarded request may take: a log long poll waits up to
 * POGO_DISPATCHER_MAX_WAIT (60 s) at the dispatcher, and a few more.
 */
#define API_FORWARD_TIMEOUT_MS 75000

struct api_fwd;

struct pogo_api {
	uv_loop_t *loop;
	const struct pogo_cfg *cfg;
	struct pogo_http_server *http;
	char *upstream; /* the control port's URL */
	char hostname[256];
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
	bool submit; /* POST /v1/jobs: answer in SPEC 11.5's envelope */
	struct api_fwd *prev, *next;
};

static void api_forward(struct pogo_http_req *req, void *arg);
static void api_root(struct pogo_http_req *req, void *arg);

/*
 * The API's own routes; every other path goes to api_other: /v1/...
 * forwarded, /ui/... the web UI, anything else 404 (SPEC 11.3).
 */
static const struct pogo_http_route api_routes[] = {
	{ "GET", "/", api_root, 0 },
	{ "GET", "/status", api_forward, 0 },
};

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
	pogo_client_free(f->client);
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

/* The control port answered (or could not be reached). */
static void
api_forward_cb(int err, const char *cause, int status, const char *body,
    size_t len, void *arg)
{
	struct api_fwd *f = arg;
	struct pogo_api *a = f->a;

	if (f->req == NULL)
		goto out;
	if (err == UV_ECANCELED)
		/* Stopping, or the client went away (the answer is lost). */
		api_error(a, f->req, "fail", 503, "the API is stopping");
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
	else
		pogo_http_respond(
		    f->req, status, "application/json", body, len);
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

/* Forward req to the control port. */
static void
api_forward(struct pogo_http_req *req, void *arg)
{
	struct pogo_api *a = arg;
	struct pogo_client_opts o = { 0 };
	struct pogo_client_msg m = { 0 };
	struct api_fwd *f;
	const char *target = pogo_http_req_target(req), *q;
	char *cause = NULL, *sub = NULL;
	size_t len;

	if (a->stopping) {
		api_error(a, req, "fail", 503, "the API is stopping");
		return;
	}
	f = xcalloc(1, sizeof(*f));
	f->a = a;
	f->req = req;
	o.api = a->upstream;
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
	m.method = pogo_http_req_method(req);
	m.target = target;
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
	m.timeout_ms = API_FORWARD_TIMEOUT_MS;
	pogo_http_req_on_abort(req, api_abort_cb, f);
	pogo_client_send(f->client, &m, api_forward_cb, f);
	free(sub);
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
    struct pogo_api **ap, char **cause)
{
	struct pogo_api *a = NULL;
	struct pogo_http_config hc = { 0 };
	struct pogo_http_listen hl = { 0 };
	struct sockaddr_storage ss, bound;
	const struct pogo_cfg_addr *up = &cfg->api.dispatcher;
	char addr[64], *c = NULL;
	int r;

	*ap = NULL;
	*cause = NULL;
	if ((r = pogo_http_parse_addr(cfg->api.listen.str, &ss, &c)) != 0) {
		xasprintf(cause, "api.listen: %s", c);
		free(c);
		return r;
	}
	if ((r = pogo_http_check_loopback((struct sockaddr *)&ss,
	         cfg->tls.cert[0] != '\0', cfg->insecure, &c)) != 0) {
		free(c);
		xasprintf(cause,
		    "refusing to listen on %s without TLS; use --insecure to "
		    "override",
		    cfg->api.listen.str);
		return r;
	}
	a = xcalloc(1, sizeof(*a));
	a->loop = loop;
	a->cfg = cfg;
	if (gethostname(a->hostname, sizeof(a->hostname) - 1) != 0)
		pogo_strlcpy(a->hostname, "localhost", sizeof(a->hostname));
	xasprintf(&a->upstream,
	    strchr(up->host, ':') != NULL ? "http://[%s]:%d" : "http://%s:%d",
	    up->host, up->port);
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
		free(a->upstream);
		free(a);
	}
	return r;
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
	pogo_http_server_close(a->http, api_http_closed_cb, a);
}
