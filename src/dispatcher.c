/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher component (include/pogo/dispatcher.h): the store, the
 * control port and its routes.  Every piece of state lives in struct
 * pogo_dispatcher or in the per-request structs below; the route table
 * is constant.  Handlers answer from the store, synchronously and paged,
 * except a submission (answered after its commit) and a log long poll
 * (answered on a new entry or at its timer).
 */
#include "pogo/compat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pogo/box.h"
#include "pogo/cfg.h"
#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/http.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/namespace.h"
#include "pogo/sched-config.h"
#include "pogo/sched-view.h"
#include "pogo/store.h"
#include "pogo/str.h"
#include "pogo/target.h"
#include "pogo/tls.h"
#include "pogo/version.h"
#include "pogo/xmalloc.h"

/* A log long poll (GET /v1/jobs/:jobid/log?wait=S), waiting on a timer. */
struct disp_wait {
	struct pogo_dispatcher *d;
	struct pogo_http_req *req; /* NULL once answered */
	uint64_t job;
	uint32_t offset; /* the entry it waits for */
	uv_timer_t timer;
	struct disp_wait *next;
};

/*
 * Where a submission's fields come from (SPEC 5.1): the form of POST
 * /v1/jobsubmit, or a caller in this process (pogo_dispatcher_submit()).
 * Borrowed for the checks and the first insert.
 */
struct disp_fields {
	const struct pogo_dispatcher_field *v;
	size_t n;
	const char *auth; /* the API's X-Pogo-User, or NULL */
	bool admin;       /* the API's X-Pogo-Admin: 1 */
	/*
	 * The namespaces read for it (SPEC 2.10), off the loop: the text of
	 * the one `config` names, or else of `namespace` (NULL: none such),
	 * and whether `namespace` names one.  A caller in this process has
	 * none read: every name is unknown to it.
	 */
	const char *ns_config;
	bool ns_exists;
};

/* A submission being stored, a chunk of hosts per loop turn. */
struct disp_submit {
	struct pogo_dispatcher *d;
	/* The answer: the job id, or an error (HTTP status, rc, message). */
	pogo_dispatcher_submit_cb cb;
	void *cb_arg;
	char *from; /* who submitted, for the log */
	uint64_t job;
	struct pogo_strv hosts;
	size_t stored; /* hosts inserted so far */
	char *password;
	char *client_private_key;
	char *pvt_key_passphrase;
	char *key_id;
};

/* A reader of a job's log in this process (pogo_dispatcher_watch()). */
struct pogo_dispatcher_watch {
	uint64_t job;
	pogo_dispatcher_watch_fn fn;
	void *arg;
	struct pogo_dispatcher_watch *next;
};

struct pogo_dispatcher {
	uv_loop_t *loop;
	const struct pogo_cfg *cfg;
	struct pogo_store *store;
	struct pogo_http_server *http;
	char hostname[256];

	const struct pogo_dispatcher_engine *engine;
	void *engine_arg;
	const struct pogo_dispatcher_peer *peer;
	void *peer_arg;

	struct disp_wait *waits;
	struct pogo_dispatcher_watch *watches;
	/* GET .../schedule's answers, newest first; nscheds being built. */
	struct disp_sched *scheds;
	unsigned nscheds;
	/* Built answers expire after sched_age ms; at most sched_bytes. */
	uint64_t sched_age;
	size_t sched_bytes;
	uv_timer_t *sched_timer;
	struct pogo_box_cert wcert; /* api.worker_cert; key_id NULL: none */
	bool stopping;
	bool failed; /* a commit failed */
	void (*fatal_cb)(struct pogo_dispatcher *d, void *arg);
	void *fatal_arg;
	void (*stop_cb)(void *arg);
	void *stop_arg;
};

/* Route flags: DISP_ROUTE_ADMIN needs an admin when the API forwards a
 * user (disp_admin_ok()). */
enum disp_route_flags {
	DISP_ROUTE_ADMIN = (1 << 0),
};

static void disp_status(struct pogo_http_req *req, void *arg);
static void disp_submit(struct pogo_http_req *req, void *arg);
static void disp_job(struct pogo_http_req *req, void *arg);
static void disp_hosts(struct pogo_http_req *req, void *arg);
static void disp_output(struct pogo_http_req *req, void *arg);
static void disp_log(struct pogo_http_req *req, void *arg);
static void disp_ping(struct pogo_http_req *req, void *arg);
static void disp_nomas(struct pogo_http_req *req, void *arg);
static void disp_nomas_get(struct pogo_http_req *req, void *arg);
static void disp_jobs(struct pogo_http_req *req, void *arg);
static void disp_last(struct pogo_http_req *req, void *arg);
static void disp_whoami(struct pogo_http_req *req, void *arg);
static void disp_schedule(struct pogo_http_req *req, void *arg);
static void disp_namespaces(struct pogo_http_req *req, void *arg);
static void disp_namespace(struct pogo_http_req *req, void *arg);
static void disp_ns_locks(struct pogo_http_req *req, void *arg);
static void disp_ns_tags(struct pogo_http_req *req, void *arg);
static void disp_ns_constraints(struct pogo_http_req *req, void *arg);
static void disp_ns_put(struct pogo_http_req *req, void *arg);
static void disp_workercert(struct pogo_http_req *req, void *arg);
static void disp_jobop(struct pogo_http_req *req, void *arg);

/*
 * The control port's routes: SPEC 7.5 and 11.3, every endpoint of v1.
 * "last/:user" comes before ":jobid/..." on purpose.
 */
static const struct pogo_http_route disp_routes[] = {
	{ "GET", "/status", disp_status, 0 },
	{ "POST", "/v1/jobsubmit", disp_submit, 0 },
	{ "GET", "/v1/ping", disp_ping, 0 },
	{ "GET", "/v1/whoami", disp_whoami, 0 },
	{ "GET", "/v1/workercert", disp_workercert, 0 },
	{ "GET", "/v1/jobs", disp_jobs, 0 },
	{ "POST", "/v1/jobs", disp_submit, 0 },
	{ "GET", "/v1/jobs/last/:user", disp_last, 0 },
	{ "GET", "/v1/jobs/:jobid", disp_job, 0 },
	{ "POST", "/v1/jobs/:jobid", disp_jobop, 0 },
	{ "GET", "/v1/jobs/:jobid/log", disp_log, 0 },
	{ "GET", "/v1/jobs/:jobid/hosts", disp_hosts, 0 },
	{ "GET", "/v1/jobs/:jobid/hosts/:host", disp_output, 0 },
	{ "GET", "/v1/jobs/:jobid/schedule", disp_schedule, 0 },
	{ "GET", "/v1/namespaces", disp_namespaces, 0 },
	{ "GET", "/v1/namespaces/:ns", disp_namespace, 0 },
	{ "GET", "/v1/namespaces/:ns/locks", disp_ns_locks, 0 },
	{ "GET", "/v1/namespaces/:ns/hosts/:host/tags", disp_ns_tags, 0 },
	{ "GET", "/v1/namespaces/:ns/constraints", disp_ns_constraints, 0 },
	{ "POST", "/v1/namespaces/:ns/constraints", disp_ns_put,
	    DISP_ROUTE_ADMIN },
	{ "GET", "/v1/admin/nomas", disp_nomas_get, DISP_ROUTE_ADMIN },
	{ "POST", "/v1/admin/nomas", disp_nomas, DISP_ROUTE_ADMIN },
};

bool
pogo_dispatcher_route(
    size_t i, const char **method, const char **pattern, bool *admin)
{
	if (i >= POGO_NELEM(disp_routes))
		return false;
	*method = disp_routes[i].method;
	*pattern = disp_routes[i].pattern;
	*admin = (disp_routes[i].flags & DISP_ROUTE_ADMIN) != 0;
	return true;
}

/* Wall-clock time in seconds, for the job record and the log. */
static double
disp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Print doc compactly and answer with it (SPEC 7.5's bare objects). */
static void
disp_respond_plain(struct pogo_http_req *req, int status, struct pogo_json *doc)
{
	size_t len;
	char *s = pogo_json_print_line(doc, &len);

	pogo_http_respond(req, status, "application/json", s, len);
	free(s);
}

/* Is s a JSONP callback name, ^[A-Za-z_$][A-Za-z0-9_$.]*$ (SPEC 11.2)? */
static bool
disp_cb_valid(const char *s)
{
	static const char first[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "abcdefghijklmnopqrstuvwxyz_$";

	return s[0] != '\0' && strchr(first, s[0]) != NULL &&
	    s[strspn(s,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789_$.")] == '\0';
}

/*
 * Does the request ask for a format this answers (SPEC 11.2): `format`
 * json or json-pretty (*prettyp), `cb` a valid JSONP name?  Else it is
 * answered 400 and false returned.
 */
static bool
disp_format_ok(struct pogo_http_req *req, bool *prettyp)
{
	const char *format = pogo_http_req_param(req, "format");
	const char *cb = pogo_http_req_param(req, "cb");
	char *s, *msg;

	if (format != NULL && strcmp(format, "json") != 0 &&
	    strcmp(format, "json-pretty") != 0) {
		xasprintf(&msg, "format '%s' not known", format);
		s = pogo_json_errors(msg);
		pogo_http_respond_json(req, 400, s);
		free(msg);
		free(s);
		return false;
	}
	if (cb != NULL && !disp_cb_valid(cb)) {
		s = pogo_json_errors("invalid value for 'cb'");
		pogo_http_respond_json(req, 400, s);
		free(s);
		return false;
	}
	*prettyp = format != NULL && strcmp(format, "json-pretty") == 0;
	return true;
}

/*
 * Answer with s[0..len), a printed document ending with its newline,
 * wrapped as JSONP when the request has a `cb` (checked by
 * disp_format_ok()).
 */
static void
disp_respond_text(
    struct pogo_http_req *req, int status, const char *s, size_t len)
{
	const char *cb = pogo_http_req_param(req, "cb");
	char *w;
	int n;

	if (cb == NULL) {
		pogo_http_respond(req, status, "application/json", s, len);
		return;
	}
	/* name(json) and the final newline. */
	n = xasprintf(&w, "%s(%.*s)\n", cb, (int)(len - 1), s);
	pogo_http_respond(req, status, "application/json", w, (size_t)n);
	free(w);
}

/*
 * Answer with doc in the request's format (SPEC 11.2): `format` json or
 * json-pretty, `cb` wrapping it as JSONP.  An unknown format or a bad
 * callback name is a 400 instead.
 */
static void
disp_respond(struct pogo_http_req *req, int status, struct pogo_json *doc)
{
	size_t len;
	bool pretty;
	char *s;

	if (!disp_format_ok(req, &pretty)) {
		pogo_json_free(doc);
		return;
	}
	s = pretty ? pogo_json_print_pretty(doc, &len)
	           : pogo_json_print_line(doc, &len);
	disp_respond_text(req, status, s, len);
	free(s);
}

/* A new answer of SPEC 11.2: {"meta": {"hostname": ...}}; *metap its
 * meta object. */
static struct pogo_json *
disp_envelope(struct pogo_dispatcher *d, struct pogo_json **metap)
{
	struct pogo_json *doc = pogo_json_new_object();
	struct pogo_json *meta = pogo_json_add_object(doc, "meta");

	pogo_json_add_string(meta, "hostname", d->hostname);
	if (metap != NULL)
		*metap = meta;
	return doc;
}

/* Answer an error of SPEC 11.2 in the envelope. */
static void POGO_PRINTFLIKE(4, 5) disp_error(struct pogo_dispatcher *d,
    struct pogo_http_req *req, int status, const char *fmt, ...)
{
	struct pogo_json *doc = disp_envelope(d, NULL);
	struct pogo_json *errors = pogo_json_add_array(doc, "errors");
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	pogo_json_add_string(errors, NULL, msg);
	free(msg);
	disp_respond(req, status, doc);
}

/* Answer a submission: {"rc": rc, "message": msg[, "jobid": id]}. */
static void
disp_submit_answer(struct pogo_http_req *req, int status, const char *rc,
    const char *msg, const char *jobid)
{
	struct pogo_json *doc = pogo_json_new_object();

	pogo_json_add_string(doc, "rc", rc);
	pogo_json_add_string(doc, "message", msg);
	if (jobid != NULL)
		pogo_json_add_string(doc, "jobid", jobid);
	disp_respond_plain(req, status, doc);
}

/*
 * Anything no route knows.  Below /v1 the 400 of SPEC 11.3, with the
 * method and the path below /v1; elsewhere SPEC 11.3's 404 (the control
 * port serves no /ui/), in SPEC 7.5's form.
 */
static void
disp_unknown(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	const char *path = pogo_http_req_path(req);

	if (strncmp(path, "/v1/", 4) == 0 || strcmp(path, "/v1") == 0)
		disp_error(d, req, 400, "unknown request: %s '%s'",
		    pogo_http_req_method(req), path + 3);
	else
		pogo_http_respond_error(
		    req, 404, "unknown request: '%s'", path);
}

/*
 * May the request use an admin route (SPEC 11.1)?  The API forwards its
 * authenticated user in X-Pogo-User and admins with X-Pogo-Admin: 1;
 * without a user (no authentication) everything is allowed.  Answers a
 * 403 and returns false otherwise.
 */
static bool
disp_admin_ok(struct pogo_dispatcher *d, struct pogo_http_req *req)
{
	const char *admin = pogo_http_req_header(req, "X-Pogo-Admin");
	const char *user = pogo_http_req_header(req, "X-Pogo-User");

	/* An empty X-Pogo-User is no user, as for whoami. */
	if ((pogo_http_req_route_flags(req) & DISP_ROUTE_ADMIN) == 0 ||
	    user == NULL || user[0] == '\0' ||
	    (admin != NULL && strcmp(admin, "1") == 0))
		return true;
	disp_error(d, req, 403, "permission denied");
	return false;
}

/* GET /v1/whoami: what the API forwarded (SPEC 7.5, 11.3). */
static void
disp_whoami(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_json *doc = disp_envelope(d, NULL);
	struct pogo_json *resp = pogo_json_add_object(doc, "response");
	const char *user = pogo_http_req_header(req, "X-Pogo-User");
	const char *admin = pogo_http_req_header(req, "X-Pogo-Admin");
	const char *auth = pogo_http_req_header(req, "X-Pogo-Auth");

	if (user != NULL && user[0] == '\0')
		user = NULL;
	/* Only the API knows its mode; it may say so in X-Pogo-Auth. */
	if (user == NULL || auth == NULL ||
	    (strcmp(auth, "cert") != 0 && strcmp(auth, "token") != 0))
		auth = "none";
	pogo_json_add_string(resp, "user", user);
	pogo_json_add_string(resp, "auth", auth);
	pogo_json_add_bool(
	    resp, "admin", admin != NULL && strcmp(admin, "1") == 0);
	disp_respond(req, 200, doc);
}

/*
 * GET /v1/workercert (SPEC 11.3): the worker certificate clients encrypt
 * secrets for (SPEC 10.3), api.worker_cert.
 * XXX(#11): without api.worker_cert, SPEC 1.6 wants the certificates of
 * the connected workers; the worker port keeps only their key_id, so the
 * list is empty then.
 */
static void
disp_workercert(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_json *doc = disp_envelope(d, NULL);
	struct pogo_json *resp = pogo_json_add_object(doc, "response");
	struct pogo_json *certs = pogo_json_add_array(resp, "certs"), *c;

	if (d->wcert.key_id != NULL) {
		c = pogo_json_add_object(certs, NULL);
		pogo_json_add_string(c, "key_id", d->wcert.key_id);
		pogo_json_add_string(c, "pem", d->wcert.pem);
		pogo_json_add_string(c, "spki", d->wcert.spki);
		pogo_json_add_string(c, "subject", d->wcert.subject);
		pogo_json_add_string(c, "not_after", d->wcert.not_after);
	}
	disp_respond(req, 200, doc);
}

/*
 * api.worker_cert (SPEC 1.6) into d->wcert: a certificate with an RSA
 * (2048 bits or more) or EC P-256 key.  0, or POGO_ERR_CONFIG with *cause.
 */
static int
disp_load_workercert(struct pogo_dispatcher *d, char **cause)
{
	const char *path = d->cfg->api.worker_cert;
	struct pogo_box_key *k = NULL;
	int r;

	if (path == NULL || path[0] == '\0')
		return 0;
	if ((r = pogo_box_key_load(path, &k)) != 0 ||
	    (r = pogo_box_key_cert(k, &d->wcert)) != 0) {
		if (r == POGO_ERR_CRYPTO || r == POGO_ERR_NOTFOUND)
			xasprintf(cause,
			    "api.worker_cert: %s: not a certificate with an "
			    "RSA (2048 bits or more) or EC P-256 key",
			    path);
		else
			xasprintf(cause, "api.worker_cert: %s: %s", path,
			    pogo_strerror(r));
		pogo_box_key_free(k);
		return POGO_ERR_CONFIG;
	}
	pogo_box_key_free(k);
	return 0;
}

/*
 * Namespaces (SPEC 2.10, 11.3): the files of dispatcher.namespace_dir,
 * read, listed and written in the thread pool (namespace.h), with the
 * parse and build of their configuration.  The request is answered back
 * on the loop; the HTTP server waits for it when it closes.
 */
enum disp_ns_op {
	DISP_NS_LIST,
	DISP_NS_GET,
	DISP_NS_LOCKS,
	DISP_NS_TAGS,
	DISP_NS_CONSTRAINTS,
	DISP_NS_PUT,
	DISP_NS_SUBMIT,
};

struct disp_ns_work {
	uv_work_t work;
	struct pogo_dispatcher *d;
	struct pogo_http_req *req;
	enum disp_ns_op op;
	char *dir;
	char *name;  /* the namespace (a submission: config's name) */
	char *scope; /* a submission's namespace field, or NULL */
	char *host;  /* DISP_NS_TAGS */
	char *text;  /* read, or to write */
	size_t len;
	struct pogo_strv list; /* names or tags */
	long long nhosts;      /* configured hosts; -1 if it does not build */
	bool scope_exists;
	int r;       /* 0, POGO_ERR_NOTFOUND, POGO_ERR_CONFIG, other */
	char *cause; /* of POGO_ERR_CONFIG and the others */
	/* DISP_NS_SUBMIT: the request's fields, copied. */
	struct pogo_dispatcher_field *fields;
	size_t nfields;
};

static void disp_submit_resolved(struct disp_ns_work *w);

static void
disp_ns_work_free(struct disp_ns_work *w)
{
	size_t i;

	/* Copies of the request's fields: the secret boxes among them. */
	for (i = 0; i < w->nfields; i++) {
		free((char *)w->fields[i].name);
		pogo_freezero(
		    (char *)w->fields[i].value, strlen(w->fields[i].value));
	}
	free(w->fields);
	free(w->dir);
	free(w->name);
	free(w->scope);
	free(w->host);
	free(w->text);
	free(w->cause);
	pogo_strv_clear(&w->list);
	free(w);
}

/*
 * Parse and build text as a job would (SPEC 2.11); with external
 * references it is only parsed: the engine runs its resolvers while the
 * job gathers (dispatcher-engine.c), and a failure halts it then.
 * Returns 0 and *cfgp (may be NULL), or POGO_ERR_CONFIG with *cause.
 */
static int
disp_config_check(
    const char *text, size_t len, struct pogo_sched_config **cfgp, char **cause)
{
	struct pogo_sched_config *sc = NULL;
	int r;

	if (cfgp != NULL)
		*cfgp = NULL;
	r = pogo_sched_config_parse(text, len, &sc, cause);
	if (r == 0 && pogo_sched_config_nrefs(sc) == 0)
		r = pogo_sched_config_build(sc, cause);
	else if (r == 0 && cfgp != NULL) {
		/* Not built: it answers no host questions. */
		pogo_sched_config_free(sc);
		sc = NULL;
	}
	if (r != 0 || cfgp == NULL)
		pogo_sched_config_free(sc);
	else
		*cfgp = sc;
	return r;
}

/* In the thread pool: the file work of w->op. */
static void
disp_ns_work_cb(uv_work_t *req)
{
	struct disp_ns_work *w = req->data;
	struct pogo_sched_config *sc = NULL;
	char *text = NULL, *cause = NULL;
	size_t len;

	switch (w->op) {
	case DISP_NS_LIST:
		w->r = pogo_namespace_list(w->dir, &w->list, &w->cause);
		return;
	case DISP_NS_PUT:
		if ((w->r = disp_config_check(
		         w->text, w->len, NULL, &w->cause)) != 0)
			return;
		w->r = pogo_namespace_write(
		    w->dir, w->name, w->text, w->len, &w->cause);
		return;
	case DISP_NS_SUBMIT:
		if (w->scope != NULL) {
			if (pogo_namespace_read(
			        w->dir, w->scope, &text, &len, &cause) == 0)
				w->scope_exists = true;
			/* Another error: a refusal, logged on the loop. */
			if (cause != NULL && w->cause == NULL)
				w->cause = cause;
			else
				free(cause);
			cause = NULL;
		}
		if (w->name == NULL) {
			/* namespace alone chooses the configuration. */
			w->text = text;
			w->len = w->scope_exists ? len : 0;
			return;
		}
		free(text);
		w->r = pogo_namespace_read(
		    w->dir, w->name, &w->text, &w->len, &cause);
		if (cause != NULL && w->cause == NULL)
			w->cause = cause;
		else
			free(cause);
		return;
	default:
		break;
	}
	if ((w->r = pogo_namespace_read(
	         w->dir, w->name, &w->text, &w->len, &w->cause)) != 0)
		return;
	if (w->op == DISP_NS_GET || w->op == DISP_NS_TAGS) {
		w->nhosts = -1;
		if (disp_config_check(w->text, w->len, &sc, &cause) == 0 &&
		    sc != NULL) {
			w->nhosts = pogo_sched_config_nconfigured(sc);
			if (w->op == DISP_NS_TAGS)
				pogo_sched_config_host_tags(
				    sc, w->host, &w->list);
		} else if (w->op == DISP_NS_TAGS) {
			/* No tags from a configuration that does not build. */
			w->r = POGO_ERR_CONFIG;
			w->cause = cause != NULL
			    ? cause
			    : xstrdup("configurations with resolvers "
			              "are not supported here");
			cause = NULL;
		}
		free(cause);
		pogo_sched_config_free(sc);
	}
}

/* Back on the loop: answer w's request. */
static void
disp_ns_after_cb(uv_work_t *req, int status)
{
	struct disp_ns_work *w = req->data;
	struct pogo_dispatcher *d = w->d;
	struct pogo_json *doc, *resp, *a;
	size_t i;

	if (w->op == DISP_NS_SUBMIT) {
		disp_submit_resolved(w);
		disp_ns_work_free(w);
		return;
	}
	if (w->r == POGO_ERR_NOTFOUND) {
		disp_error(d, w->req, 404, "no such namespace '%s'", w->name);
		goto out;
	}
	if (w->r == POGO_ERR_CONFIG && w->op == DISP_NS_PUT) {
		disp_error(d, w->req, 400, "%s", w->cause);
		goto out;
	}
	if (w->r != 0) {
		log_error("namespace %s: %s", w->name != NULL ? w->name : "*",
		    w->cause != NULL ? w->cause : pogo_strerror(w->r));
		disp_error(d, w->req, 500, "namespace: %s",
		    w->cause != NULL ? w->cause : pogo_strerror(w->r));
		goto out;
	}
	doc = disp_envelope(d, NULL);
	resp = pogo_json_add_object(doc, "response");
	switch (w->op) {
	case DISP_NS_LIST:
		a = pogo_json_add_array(resp, "namespaces");
		for (i = 0; i < w->list.n; i++)
			pogo_json_add_string(a, NULL, w->list.v[i]);
		break;
	case DISP_NS_GET:
		pogo_json_add_string(resp, "namespace", w->name);
		pogo_json_add_bytes(resp, "config", w->text, w->len);
		if (w->nhosts >= 0)
			pogo_json_add_number(resp, "hosts", (double)w->nhosts);
		else
			pogo_json_add_null(resp, "hosts");
		break;
	case DISP_NS_LOCKS:
		/* The counters are the engine's, in memory (SPEC 3.5). */
		a = pogo_json_add_array(resp, "locks");
		if (d->engine != NULL && d->engine->locks != NULL)
			d->engine->locks(d, w->name, a, d->engine_arg);
		break;
	case DISP_NS_TAGS:
		a = pogo_json_add_array(resp, "tags");
		for (i = 0; i < w->list.n; i++)
			pogo_json_add_string(a, NULL, w->list.v[i]);
		break;
	case DISP_NS_CONSTRAINTS:
		pogo_json_add_bytes(resp, "config", w->text, w->len);
		break;
	case DISP_NS_PUT:
		log_info("namespace %s: updated", w->name);
		xasprintf(&w->cause, "namespace %s updated", w->name);
		pogo_json_add_string(resp, "message", w->cause);
		break;
	default:
		break;
	}
	disp_respond(w->req, 200, doc);
out:
	disp_ns_work_free(w);
}

/* Queue w (its op and fields set) to the thread pool. */
static void
disp_ns_queue(struct pogo_dispatcher *d, struct pogo_http_req *req,
    struct disp_ns_work *w)
{
	int r;

	w->d = d;
	w->req = req;
	w->dir = xstrdup(d->cfg->dispatcher.namespace_dir);
	w->work.data = w;
	if ((r = uv_queue_work(
	         d->loop, &w->work, disp_ns_work_cb, disp_ns_after_cb)) != 0)
		POGO_BUG("uv_queue_work: %s", uv_strerror(r));
}

/* A work of op on the request's :ns, or a 404 for a name that cannot be
 * a namespace (no path is made from it). */
static struct disp_ns_work *
disp_ns_new(
    struct pogo_dispatcher *d, struct pogo_http_req *req, enum disp_ns_op op)
{
	const char *ns = pogo_http_req_route_param(req, "ns");
	struct disp_ns_work *w;

	if (ns == NULL || !pogo_namespace_name_valid(ns)) {
		disp_error(d, req, 404, "no such namespace '%s'",
		    ns != NULL ? ns : "");
		return NULL;
	}
	w = xcalloc(1, sizeof(*w));
	w->op = op;
	w->name = xstrdup(ns);
	return w;
}

/* GET /v1/namespaces: the names, sorted. */
static void
disp_namespaces(struct pogo_http_req *req, void *arg)
{
	struct disp_ns_work *w = xcalloc(1, sizeof(*w));

	w->op = DISP_NS_LIST;
	disp_ns_queue(arg, req, w);
}

/* GET /v1/namespaces/:ns: name, configuration and its host count. */
static void
disp_namespace(struct pogo_http_req *req, void *arg)
{
	struct disp_ns_work *w;

	if ((w = disp_ns_new(arg, req, DISP_NS_GET)) != NULL)
		disp_ns_queue(arg, req, w);
}

/* GET /v1/namespaces/:ns/locks: the scope's current counters. */
static void
disp_ns_locks(struct pogo_http_req *req, void *arg)
{
	struct disp_ns_work *w;

	if ((w = disp_ns_new(arg, req, DISP_NS_LOCKS)) != NULL)
		disp_ns_queue(arg, req, w);
}

/* GET /v1/namespaces/:ns/hosts/:host/tags: the host's tags, sorted. */
static void
disp_ns_tags(struct pogo_http_req *req, void *arg)
{
	struct disp_ns_work *w;

	if ((w = disp_ns_new(arg, req, DISP_NS_TAGS)) != NULL) {
		w->host = xstrdup(pogo_http_req_route_param(req, "host"));
		disp_ns_queue(arg, req, w);
	}
}

/* GET /v1/namespaces/:ns/constraints: the configuration. */
static void
disp_ns_constraints(struct pogo_http_req *req, void *arg)
{
	struct disp_ns_work *w;

	if ((w = disp_ns_new(arg, req, DISP_NS_CONSTRAINTS)) != NULL)
		disp_ns_queue(arg, req, w);
}

/*
 * POST /v1/namespaces/:ns/constraints with config=<YAML> (admin): the
 * configuration is checked as a job's would be (400 with the error of
 * SPEC 2.11), then replaces the file atomically (or creates it).
 */
static void
disp_ns_put(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	const char *config = pogo_http_req_param(req, "config");
	const char *ns = pogo_http_req_route_param(req, "ns");
	struct disp_ns_work *w;

	if (!disp_admin_ok(d, req))
		return;
	if (ns == NULL || !pogo_namespace_name_valid(ns)) {
		disp_error(d, req, 400, "invalid namespace name '%s'",
		    ns != NULL ? ns : "");
		return;
	}
	if (config == NULL) {
		disp_error(d, req, 400, "Mandatory field 'config' missing");
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->op = DISP_NS_PUT;
	w->name = xstrdup(ns);
	w->len = strlen(config);
	w->text = xstrdup(config);
	disp_ns_queue(d, req, w);
}

static void
disp_ping(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_json *doc = disp_envelope(d, NULL);
	struct pogo_json *resp = pogo_json_add_object(doc, "response");

	pogo_json_add_string(resp, "ping", "pong");
	disp_respond(req, 200, doc);
}

static int
disp_count_job(const struct pogo_store_job *j, void *arg)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static void
disp_status_worker(const char *worker, void *arg)
{
	pogo_json_add_string(arg, NULL, worker);
}

/* GET /status (SPEC 7.5). */
static void
disp_status(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_store_filter f = { .state = -1 };
	struct pogo_json *doc = pogo_json_new_object(), *workers;
	uint64_t active = 0;

	pogo_json_add_string(doc, "pogo_version", POGO_VERSION);
	workers = pogo_json_add_array(doc, "workers");
	if (d->peer != NULL && d->peer->workers != NULL)
		d->peer->workers(d, disp_status_worker, workers, d->peer_arg);
	if (d->engine != NULL && d->engine->jobs_active != NULL)
		active = d->engine->jobs_active(d, d->engine_arg);
	else {
		f.state = POGO_JOB_GATHERING;
		pogo_store_jobs_list(
		    d->store, &f, 0, 0, disp_count_job, &active);
		f.state = POGO_JOB_RUNNING;
		pogo_store_jobs_list(
		    d->store, &f, 0, 0, disp_count_job, &active);
	}
	pogo_json_add_number(doc, "jobs_active", (double)active);
	disp_respond_plain(req, 200, doc);
}

/*
 * Job submission (SPEC 5.1, 7.5).
 */

/* Is s one of the booleans of SPEC 5.1?  Sets *vp. */
static bool
disp_parse_bool(const char *s, bool *vp)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*vp = true;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
		*vp = false;
	else
		return false;
	return true;
}

/* Does s match ^[0-9]+%?$ (SPEC 5.1 concurrent)? */
static bool
disp_concurrent_valid(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && (s[n] == '\0' || (s[n] == '%' && s[n + 1] == '\0'));
}

/* Is s a name of [A-Za-z0-9_.-]+ (exe_name)? */
static bool
disp_name_valid(const char *s)
{
	return s[0] != '\0' &&
	    s[strspn(s,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789_.-")] == '\0';
}

/* A parameter, NULL when absent or empty. */
static const char *
disp_param(struct pogo_http_req *req, const char *name)
{
	const char *v = pogo_http_req_param(req, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/*
 * The request's fields (its form), in order, as an array of *np entries
 * and a zeroed one: each name and value borrowed from req, or with copy,
 * copied (the caller frees each and the array).
 */
static struct pogo_dispatcher_field *
disp_req_fields(struct pogo_http_req *req, bool copy, size_t *np)
{
	struct pogo_dispatcher_field *v;
	const char *name, *value;
	size_t i, n = pogo_http_req_nparams(req);

	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++) {
		pogo_http_req_param_at(req, i, &name, &value);
		v[i].name = copy ? xstrdup(name) : name;
		v[i].value = copy ? xstrdup(value) : value;
	}
	*np = n;
	return v;
}

/* The nth value of field name (repeated fields: range), or NULL. */
static const char *
disp_field_nth(const struct disp_fields *f, const char *name, size_t nth)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->v[i].name, name) == 0 && nth-- == 0)
			return f->v[i].value;
	return NULL;
}

/* A field's first value, NULL when absent or empty (as disp_param). */
static const char *
disp_field(const struct disp_fields *f, const char *name)
{
	const char *v = disp_field_nth(f, name, 0);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Expand every range value into s->hosts (SPEC 5.2). */
static int
disp_submit_targets(
    const struct disp_fields *req, struct disp_submit *s, char **msg)
{
	const char *v;
	char *cause = NULL;
	size_t i;

	for (i = 0; (v = disp_field_nth(req, "range", i)) != NULL; i++) {
		if (v[0] == '\0')
			continue;
		if (pogo_target_expand(v, &s->hosts, &cause) != 0) {
			*msg = cause;
			return POGO_ERR_RANGE;
		}
		if (s->hosts.n > POGO_TARGET_MAX_HOSTS)
			pogo_target_dedup(&s->hosts);
		if (s->hosts.n > POGO_TARGET_MAX_HOSTS) {
			xasprintf(msg, "more than %u hosts in the job",
			    POGO_TARGET_MAX_HOSTS);
			return POGO_ERR_LIMIT;
		}
	}
	pogo_target_dedup(&s->hosts);
	if (s->hosts.n == 0) {
		xasprintf(msg, "no host in the range");
		return POGO_ERR_RANGE;
	}
	return 0;
}

/* Check a job's configuration, YAML text (SPEC 2.11). */
static int
disp_submit_config(const char *config, char **msg)
{
	char *cause = NULL;
	int r;

	if ((r = disp_config_check(config, strlen(config), NULL, &cause)) != 0)
		*msg = cause;
	return r;
}

/* A secret box's worker key id (SPEC 10.3): its bytes 1..32, in hex. */
static int
disp_secret_key_id(const char *box, char **kidp)
{
	static const char hex[] = "0123456789abcdef";
	char *raw = NULL, *kid;
	size_t len, i;
	int r;

	*kidp = NULL;
	if ((r = pogo_tls_base64_decode(
	         box, strlen(box), 16 * 1024 * 1024, &raw, &len)) != 0)
		return r;
	if (len < 33 + 12 + 16 || (raw[0] != 0x01 && raw[0] != 0x02)) {
		free(raw);
		return POGO_ERR_RANGE;
	}
	kid = xmalloc(65);
	for (i = 0; i < 32; i++) {
		kid[2 * i] = hex[(unsigned char)raw[1 + i] >> 4];
		kid[2 * i + 1] = hex[(unsigned char)raw[1 + i] & 0xf];
	}
	kid[64] = '\0';
	free(raw);
	*kidp = kid;
	return 0;
}

/* The secrets: every box for one worker key (SPEC 5.1, 10.3). */
static int
disp_submit_secrets(
    const struct disp_fields *req, struct disp_submit *s, char **msg)
{
	static const char *const names[] = { "password", "client_private_key",
		"pvt_key_passphrase" };
	char **dst[] = { &s->password, &s->client_private_key,
		&s->pvt_key_passphrase };
	const char *v;
	char *kid;
	size_t i;

	for (i = 0; i < POGO_NELEM(names); i++) {
		if ((v = disp_field(req, names[i])) == NULL)
			continue;
		if (disp_secret_key_id(v, &kid) != 0) {
			xasprintf(msg, "invalid value for '%s'", names[i]);
			return POGO_ERR_RANGE;
		}
		if (s->key_id != NULL && strcmp(s->key_id, kid) != 0) {
			free(kid);
			xasprintf(
			    msg, "secrets encrypted for different worker keys");
			return POGO_ERR_RANGE;
		}
		free(s->key_id);
		s->key_id = kid;
		*dst[i] = xstrdup(v);
	}
	return 0;
}

/* The numeric, boolean and bounded fields; fills j. */
static int
disp_submit_values(
    const struct disp_fields *req, struct pogo_store_job *j, char **msg)
{
	static const struct {
		const char *name;
		long long min, max, def;
	} nums[] = {
		{ "ssh_port", 1, 65535, -1 },
		{ "connect_timeout", 0, POGO_CFG_MAX_DURATION, -1 },
		{ "timeout", 0, POGO_CFG_MAX_DURATION, 600 },
		{ "job_timeout", 0, POGO_CFG_MAX_DURATION, 1800 },
		{ "retry", 0, 1000000, 0 },
	};
	static const char *const bools[] = { "prehook", "posthook", "lock" };
	long long v[POGO_NELEM(nums)];
	bool b[POGO_NELEM(bools)];
	const char *s, *exe_name, *exe_data;
	char *raw = NULL;
	size_t i, len;

	for (i = 0; i < POGO_NELEM(nums); i++) {
		v[i] = nums[i].def;
		if ((s = disp_field(req, nums[i].name)) != NULL &&
		    pogo_strtonum(s, nums[i].min, nums[i].max, &v[i]) != 0) {
			xasprintf(msg, "invalid value for '%s'", nums[i].name);
			return POGO_ERR_RANGE;
		}
	}
	if ((s = disp_field(req, "concurrent")) != NULL &&
	    !disp_concurrent_valid(s)) {
		xasprintf(msg, "invalid value for 'concurrent'");
		return POGO_ERR_RANGE;
	}
	for (i = 0; i < POGO_NELEM(bools); i++) {
		b[i] = false;
		if ((s = disp_field(req, bools[i])) != NULL &&
		    !disp_parse_bool(s, &b[i])) {
			xasprintf(msg, "invalid value for '%s'", bools[i]);
			return POGO_ERR_RANGE;
		}
	}
	if (strlen(j->command) > POGO_DISPATCHER_MAX_COMMAND) {
		xasprintf(msg,
		    "invalid value for 'command': longer than %d bytes",
		    POGO_DISPATCHER_MAX_COMMAND);
		return POGO_ERR_LIMIT;
	}
	exe_name = disp_field(req, "exe_name");
	exe_data = disp_field(req, "exe_data");
	if ((exe_name != NULL || exe_data != NULL) &&
	    (exe_name == NULL || !disp_name_valid(exe_name))) {
		xasprintf(msg, "invalid value for 'exe_name'");
		return POGO_ERR_RANGE;
	}
	if (exe_name != NULL &&
	    (exe_data == NULL ||
	        pogo_tls_base64_decode(exe_data, strlen(exe_data),
	            POGO_DISPATCHER_MAX_EXE, &raw, &len) != 0 ||
	        memchr(raw, '\0', len) != NULL)) {
		free(raw);
		xasprintf(msg, "invalid value for 'exe_data'");
		return POGO_ERR_RANGE;
	}
	free(raw);
	j->ssh_port = (int)v[0];
	j->connect_timeout = (int)v[1];
	j->timeout = (unsigned)v[2];
	j->job_timeout = (unsigned)v[3];
	j->retry = (unsigned)v[4];
	j->prehook = b[0];
	j->posthook = b[1];
	j->lock = b[2];
	j->concurrent = disp_field(req, "concurrent");
	j->exe_name = exe_name;
	j->exe_data = exe_data;
	return 0;
}

#define DISP_LOCAL_ADMINS \
	"task type local is for admins only (dispatcher.local_tasks_for_all)"

/*
 * May this user run a local job's command?  A local task is a shell as the
 * worker's user, who holds the worker key that opens every job's secrets
 * (#10, review4 F-F): for the API's admins only, unless
 * dispatcher.local_tasks_for_all; a request without a user (no
 * authentication: the operator, pogo one) may, as for the admin routes
 * (disp_admin_ok).
 */
static bool
disp_local_ok(const struct pogo_dispatcher *d, const char *user, bool admin,
    const char *task_name)
{
	return task_name == NULL || strcmp(task_name, "local") != 0 ||
	    user == NULL || user[0] == '\0' || admin ||
	    d->cfg->dispatcher.local_tasks_for_all;
}

/*
 * The checks of SPEC 5.1, in its order.  Returns 0 with j (its strings
 * borrowed from req) and s's hosts and secrets, or an error with *msg,
 * the message for the client.
 */
static int
disp_submit_check(struct pogo_dispatcher *d, const struct disp_fields *req,
    struct disp_submit *s, struct pogo_store_job *j, char **msg)
{
	const char *auth, *user, *config;
	char *nomas = NULL;
	size_t i;
	bool range = false;
	int r;

	for (i = 0; disp_field_nth(req, "range", i) != NULL; i++)
		if (disp_field_nth(req, "range", i)[0] != '\0')
			range = true;
	if (!range) {
		xasprintf(msg, "Mandatory field 'range' missing");
		return POGO_ERR_CONFIG;
	}
	if ((j->command = disp_field(req, "command")) == NULL) {
		xasprintf(msg, "Mandatory field 'command' missing");
		return POGO_ERR_CONFIG;
	}
	if ((j->task_name = disp_field(req, "task_name")) == NULL)
		j->task_name = "ssh";
	if (strcmp(j->task_name, "ssh") != 0 &&
	    strcmp(j->task_name, "local") != 0) {
		xasprintf(msg, "Invalid task name %s", j->task_name);
		return POGO_ERR_CONFIG;
	}
	if (!disp_local_ok(d, req->auth, req->admin, j->task_name)) {
		xasprintf(msg, "%s", DISP_LOCAL_ADMINS);
		return POGO_ERR_CONFIG;
	}
	/* The API forwards its authenticated user (SPEC 7.5). */
	auth = req->auth;
	user = disp_field(req, "user");
	if (auth == NULL && user == NULL) {
		xasprintf(msg, "Mandatory field 'user' missing");
		return POGO_ERR_CONFIG;
	}
	if (auth != NULL && user != NULL && strcmp(auth, user) != 0) {
		xasprintf(msg,
		    "user '%s' does not match the authenticated user '%s'",
		    user, auth);
		return POGO_ERR_CONFIG;
	}
	j->user = auth != NULL ? auth : user;
	if ((r = disp_submit_targets(req, s, msg)) != 0)
		return r;
	/*
	 * SPEC 2.10: YAML text (it has a newline), else the namespace config
	 * names, else the one namespace names; the job keeps the text it
	 * runs with, so a later edit of the namespace does not change it.
	 */
	config = disp_field(req, "config");
	j->namespace = disp_field(req, "namespace");
	if (config != NULL && strchr(config, '\n') == NULL) {
		if (req->ns_config == NULL) {
			xasprintf(msg, "no such namespace '%s'", config);
			return POGO_ERR_CONFIG;
		}
		config = req->ns_config;
	} else if (config == NULL && j->namespace != NULL)
		config = req->ns_config;
	if (j->namespace != NULL && !req->ns_exists) {
		xasprintf(msg, "no such namespace '%s'", j->namespace);
		return POGO_ERR_CONFIG;
	}
	if (config != NULL && (r = disp_submit_config(config, msg)) != 0)
		return r;
	j->config = config;
	if ((r = disp_submit_values(req, j, msg)) != 0)
		return r;
	j->run_as = disp_field(req, "run_as");
	if (strcmp(j->task_name, "local") == 0 && j->run_as != NULL) {
		xasprintf(msg, "task type local does not support run_as");
		return POGO_ERR_CONFIG;
	}
	if ((r = disp_submit_secrets(req, s, msg)) != 0)
		return r;
	if ((r = pogo_store_setting_get(d->store, "nomas", &nomas)) != 0) {
		xasprintf(msg, "store: %s", pogo_strerror(r));
		return r;
	}
	if (nomas != NULL && strcmp(nomas, "1") == 0) {
		free(nomas);
		xasprintf(msg, "dispatcher is not accepting new jobs");
		return POGO_ERR_STATE;
	}
	free(nomas);
	j->ssh_user = disp_field(req, "ssh_user");
	j->requesthost = disp_field(req, "requesthost");
	j->invoked_as = disp_field(req, "invoked_as");
	j->client = disp_field(req, "client");
	j->email = disp_field(req, "email");
	j->im_handle = disp_field(req, "im_handle");
	j->message = disp_field(req, "message");
	j->has_password = s->password != NULL;
	j->has_key = s->client_private_key != NULL;
	j->key_id = s->key_id;
	return 0;
}

/* Free a submission, wiping its secrets. */
static void
disp_submit_free(struct disp_submit *s)
{
	char **secrets[] = { &s->password, &s->client_private_key,
		&s->pvt_key_passphrase };
	size_t i;

	for (i = 0; i < POGO_NELEM(secrets); i++) {
		if (*secrets[i] != NULL) {
			explicit_bzero(*secrets[i], strlen(*secrets[i]));
			free(*secrets[i]);
		}
	}
	free(s->key_id);
	free(s->from);
	pogo_strv_clear(&s->hosts);
	free(s);
}

static void disp_submit_commit_cb(struct pogo_store *st, int status, void *arg);

/* Queue the next chunk of hosts, then wait for its commit. */
static int
disp_submit_chunk(struct disp_submit *s)
{
	size_t n = s->hosts.n - s->stored;
	int r;

	if (n > POGO_DISPATCHER_INSERT_CHUNK)
		n = POGO_DISPATCHER_INSERT_CHUNK;
	if ((r = pogo_store_job_add_hosts(s->d->store, s->job,
	         (uint32_t)s->stored,
	         (const char *const *)s->hosts.v + s->stored, n)) != 0)
		return r;
	s->stored += n;
	pogo_store_after_commit(s->d->store, disp_submit_commit_cb, s);
	return 0;
}

/*
 * A commit failed: the store refuses every later write and no longer
 * matches memory (store.h), so the dispatcher stops through its owner.
 */
static void
disp_store_failed(struct pogo_dispatcher *d)
{
	if (d->stopping || d->failed)
		return;
	d->failed = true;
	log_error("the store failed to commit; stopping the dispatcher");
	if (d->fatal_cb != NULL)
		d->fatal_cb(d, d->fatal_arg);
}

/*
 * A later chunk of a stored job could not be queued: the job, partly
 * stored, ends halted rather than staying `gathering` (at a restart the
 * engine would halt it too).
 */
static void
disp_submit_halt(struct disp_submit *s)
{
	static const char msg[] = "cannot store the job";
	struct pogo_store_entry e = { 0 };
	double now = disp_now();
	int r;

	e.index = 1;
	e.time = now;
	e.host = -1;
	e.state = POGO_JOB_HALTED;
	e.message = msg;
	e.exitstatus = -1;
	if ((r = pogo_store_job_state(
	         s->d->store, s->job, POGO_JOB_HALTED, msg, now)) != 0 ||
	    (r = pogo_store_log_append(s->d->store, s->job, &e)) != 0)
		log_error("job=p%010llu: cannot halt it: %s",
		    (unsigned long long)s->job, pogo_strerror(r));
}

/* A chunk of the job is committed: the next one, or the answer. */
static void
disp_submit_commit_cb(struct pogo_store *st, int status, void *arg)
{
	struct disp_submit *s = arg;
	struct pogo_dispatcher *d = s->d;
	struct pogo_dispatcher_secrets sec = { 0 };
	char jobid[32];
	int r = status;

	snprintf(jobid, sizeof(jobid), "p%010llu", (unsigned long long)s->job);
	if (r == 0 && s->stored < s->hosts.n) {
		if ((r = disp_submit_chunk(s)) == 0)
			return;
	}
	if (r != 0) {
		log_error("job=%s: cannot store the job: %s", jobid,
		    pogo_strerror(r));
		s->cb(d, r, NULL, s->cb_arg);
		if (status == 0)
			disp_submit_halt(s);
		else
			disp_store_failed(d);
		disp_submit_free(s);
		return;
	}
	log_info(
	    "job=%s: received from %s, %zu hosts", jobid, s->from, s->hosts.n);
	s->cb(d, 0, jobid, s->cb_arg);
	/* A job stored while stopping is the engine's at the next start. */
	if (!d->stopping && d->engine != NULL && d->engine->submitted != NULL) {
		sec.password = s->password;
		sec.client_private_key = s->client_private_key;
		sec.pvt_key_passphrase = s->pvt_key_passphrase;
		sec.key_id = s->key_id;
		d->engine->submitted(d, s->job, &sec, d->engine_arg);
	}
	disp_submit_free(s);
}

/*
 * Check and store a submission; cb answers it after the commit.  Returns
 * 0, or an error with *msg (the client's message) and *httpp (200 for a
 * refused job, 500 when the store failed): cb is not called then.
 */
static int
disp_submit_fields(struct pogo_dispatcher *d, const struct disp_fields *f,
    const char *from, pogo_dispatcher_submit_cb cb, void *arg, char **msg,
    int *httpp)
{
	struct pogo_store_job j = { 0 };
	struct pogo_store_entry e = { 0 };
	struct disp_submit *s = xcalloc(1, sizeof(*s));
	const char **range = NULL;
	size_t i, n, nrange = 0;
	int r;

	*msg = NULL;
	*httpp = 200;
	s->d = d;
	s->cb = cb;
	s->cb_arg = arg;
	s->from = xstrdup(from);
	if ((r = disp_submit_check(d, f, s, &j, msg)) != 0)
		goto out;
	while (disp_field_nth(f, "range", nrange) != NULL)
		nrange++;
	range = xcalloc(nrange, sizeof(*range));
	for (i = 0; i < nrange; i++)
		range[i] = disp_field_nth(f, "range", i);
	j.range = range;
	j.nrange = nrange;
	j.state = POGO_JOB_GATHERING;
	j.state_message = "job created; fetching host info";
	j.start_time = disp_now();
	j.host_count = (uint32_t)s->hosts.n;
	if ((r = pogo_store_next_job(d->store, &s->job)) != 0)
		goto fail;
	j.job = s->job;
	n = s->hosts.n < POGO_DISPATCHER_INSERT_CHUNK
	    ? s->hosts.n
	    : POGO_DISPATCHER_INSERT_CHUNK;
	if ((r = pogo_store_job_insert(
	         d->store, &j, (const char *const *)s->hosts.v, n)) != 0)
		goto fail;
	s->stored = n;
	e.index = 0;
	e.time = j.start_time;
	e.host = -1;
	e.state = POGO_JOB_GATHERING;
	e.message = j.state_message;
	e.exitstatus = -1;
	if ((r = pogo_store_log_append(d->store, s->job, &e)) != 0)
		goto fail;
	pogo_store_after_commit(d->store, disp_submit_commit_cb, s);
	s = NULL;
	goto out;
fail:
	log_error("jobsubmit: cannot store the job: %s", pogo_strerror(r));
	*msg = xstrdup("dispatcher CP: cannot store the job");
	*httpp = 500;
out:
	free(range);
	if (s != NULL)
		disp_submit_free(s);
	return r;
}

/*
 * Answer a submission: POST /v1/jobsubmit in SPEC 7.5's bare form, POST
 * /v1/jobs in SPEC 11.5's envelope ({"meta": {"rc", "status",
 * "hostname"}, "response": {"message"[, "jobid"]}}; a failure of the
 * dispatcher itself is rc "fail" with the message in errors).
 */
static void
disp_submit_reply(struct pogo_dispatcher *d, struct pogo_http_req *req,
    int status, const char *rc, const char *msg, const char *jobid)
{
	struct pogo_json *doc, *meta, *resp;

	if (strcmp(pogo_http_req_path(req), "/v1/jobs") != 0) {
		disp_submit_answer(req, status, rc, msg, jobid);
		return;
	}
	doc = disp_envelope(d, &meta);
	if (status != 200)
		rc = "fail";
	pogo_json_add_string(meta, "rc", rc);
	pogo_json_add_number(meta, "status", (double)status);
	if (status != 200) {
		pogo_json_add_string(
		    pogo_json_add_array(doc, "errors"), NULL, msg);
	} else {
		resp = pogo_json_add_object(doc, "response");
		pogo_json_add_string(resp, "message", msg);
		if (jobid != NULL)
			pogo_json_add_string(resp, "jobid", jobid);
	}
	disp_respond(req, status, doc);
}

/* The control port's answer to a submission, after its commit. */
static void
disp_submit_http_cb(
    struct pogo_dispatcher *d, int status, const char *jobid, void *arg)
{
	if (status != 0)
		disp_submit_reply(d, arg, 500, "nok",
		    "dispatcher CP: cannot store the job", NULL);
	else
		disp_submit_reply(
		    d, arg, 200, "ok", "dispatcher CP: job received", jobid);
}

/* The namespaces are read (or none was needed): check, store, answer. */
static void
disp_submit_resolved(struct disp_ns_work *w)
{
	struct pogo_dispatcher *d = w->d;
	struct pogo_http_req *req = w->req;
	struct disp_fields f = { 0 };
	const char *admin;
	char peer[64], *msg = NULL;
	int http;

	if (w->cause != NULL)
		log_warn("jobsubmit: %s", w->cause);
	if (d->stopping) {
		disp_submit_reply(
		    d, req, 500, "nok", "dispatcher is stopping", NULL);
		return;
	}
	f.v = w->fields;
	f.n = w->nfields;
	f.auth = pogo_http_req_header(req, "X-Pogo-User");
	admin = pogo_http_req_header(req, "X-Pogo-Admin");
	f.admin = admin != NULL && strcmp(admin, "1") == 0;
	f.ns_config = w->r == 0 ? w->text : NULL;
	f.ns_exists = w->scope_exists;
	pogo_http_req_peer(req, peer, sizeof(peer));
	if (disp_submit_fields(
	        d, &f, peer, disp_submit_http_cb, req, &msg, &http) != 0)
		disp_submit_reply(d, req, http, "nok", msg, NULL);
	free(msg);
}

/*
 * POST /v1/jobsubmit (SPEC 7.5) and POST /v1/jobs (SPEC 11.5): the
 * fields, copied, go to the thread pool when a namespace is to be read
 * (SPEC 2.10), then are checked and stored; the answer comes after the
 * commit.
 */
static void
disp_submit(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct disp_ns_work *w = xcalloc(1, sizeof(*w));
	const char *value, *config;

	w->fields = disp_req_fields(req, true, &w->nfields);
	w->op = DISP_NS_SUBMIT;
	config = disp_param(req, "config");
	if (config != NULL && strchr(config, '\n') == NULL &&
	    pogo_namespace_name_valid(config))
		w->name = xstrdup(config);
	if ((value = disp_param(req, "namespace")) != NULL &&
	    pogo_namespace_name_valid(value))
		w->scope = xstrdup(value);
	/*
	 * A config that names no namespace is refused as such (SPEC 2.10),
	 * never run with the configuration of namespace (review4 F-H).
	 */
	if ((config != NULL && strchr(config, '\n') == NULL &&
	        w->name == NULL) ||
	    (w->name == NULL && w->scope == NULL)) {
		w->d = d;
		w->req = req;
		w->r = POGO_ERR_NOTFOUND;
		disp_submit_resolved(w);
		disp_ns_work_free(w);
		return;
	}
	disp_ns_queue(d, req, w);
}

int
pogo_dispatcher_submit(struct pogo_dispatcher *d,
    const struct pogo_dispatcher_field *fields, size_t nfields,
    const char *from, pogo_dispatcher_submit_cb cb, void *arg, char **msg)
{
	struct disp_fields f = { 0 };
	int http;

	f.v = fields;
	f.n = nfields;
	if (d->stopping) {
		*msg = xstrdup("dispatcher is stopping");
		return POGO_ERR_STATE;
	}
	return disp_submit_fields(d, &f, from, cb, arg, msg, &http);
}

/* A nomas change waiting for its commit. */
struct disp_nomas {
	struct pogo_dispatcher *d;
	struct pogo_http_req *req;
	bool on;
};

/* The nomas setting is committed (or not): answer. */
static void
disp_nomas_commit_cb(struct pogo_store *st, int status, void *arg)
{
	struct disp_nomas *n = arg;
	struct pogo_json *doc, *resp;

	if (status != 0) {
		log_error("nomas: %s", pogo_strerror(status));
		disp_error(
		    n->d, n->req, 500, "store: %s", pogo_strerror(status));
		disp_store_failed(n->d);
		free(n);
		return;
	}
	log_info("nomas: %s new jobs", n->on ? "refusing" : "accepting");
	doc = disp_envelope(n->d, NULL);
	resp = pogo_json_add_object(doc, "response");
	pogo_json_add_bool(resp, "accepting", !n->on);
	disp_respond(n->req, 200, doc);
	free(n);
}

/*
 * POST /v1/admin/nomas with enable=1|0 (SPEC 11.3): enable=1 accepts new
 * jobs, enable=0 refuses them ("no más", A-NOMAS); answered after the
 * setting's commit.
 */
static void
disp_nomas(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct disp_nomas *n;
	const char *v = pogo_http_req_param(req, "enable");
	bool enable, on;
	int r;

	if (!disp_admin_ok(d, req))
		return;
	if (v == NULL || !disp_parse_bool(v, &enable)) {
		disp_error(d, req, 400, "invalid value for 'enable'");
		return;
	}
	on = !enable;
	if ((r = pogo_store_setting_set(d->store, "nomas", on ? "1" : "0")) !=
	    0) {
		log_error("nomas: %s", pogo_strerror(r));
		disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		return;
	}
	n = xcalloc(1, sizeof(*n));
	n->d = d;
	n->req = req;
	n->on = on;
	pogo_store_after_commit(d->store, disp_nomas_commit_cb, n);
}

/* GET /v1/admin/nomas: {"accepting": <bool>}, as POST answers. */
static void
disp_nomas_get(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_json *doc, *resp;
	char *nomas = NULL;
	int r;

	if (!disp_admin_ok(d, req))
		return;
	if ((r = pogo_store_setting_get(d->store, "nomas", &nomas)) != 0) {
		disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		return;
	}
	doc = disp_envelope(d, NULL);
	resp = pogo_json_add_object(doc, "response");
	pogo_json_add_bool(
	    resp, "accepting", nomas == NULL || strcmp(nomas, "1") != 0);
	free(nomas);
	disp_respond(req, 200, doc);
}

/*
 * Reading jobs (SPEC 11.3, 11.4).
 */

/* The job number of a job id; false when it names no job of ours. */
static bool
disp_parse_jobid(const char *id, uint64_t *jobp)
{
	long long n;

	if (id == NULL || id[0] != 'p' || strlen(id) != 11 ||
	    strspn(id + 1, "0123456789") != 10 ||
	    pogo_strtonum(id + 1, 0, 9999999999LL, &n) != 0)
		return false;
	*jobp = (uint64_t)n;
	return true;
}

/* The job of the request's :jobid, or a 404 answered (NULL). */
static struct pogo_store_job *
disp_req_job(struct pogo_dispatcher *d, struct pogo_http_req *req)
{
	const char *id = pogo_http_req_route_param(req, "jobid");
	struct pogo_store_job *j = NULL;
	uint64_t n;
	int r;

	if (!disp_parse_jobid(id, &n) ||
	    (r = pogo_store_job_get(d->store, n, &j)) == POGO_ERR_NOTFOUND) {
		disp_error(d, req, 404, "no such job %s", id);
		return NULL;
	}
	if (r != 0) {
		log_error("store: job %s: %s", id, pogo_strerror(r));
		disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		return NULL;
	}
	return j;
}

/*
 * A job operation whose changes are queued to the store: answered with
 * doc after their commit (SPEC 6.3), as a submission is.
 */
struct disp_jobop {
	struct pogo_dispatcher *d;
	struct pogo_http_req *req;
	struct pogo_json *doc;
};

static void
disp_jobop_commit_cb(struct pogo_store *st, int status, void *arg)
{
	struct disp_jobop *op = arg;

	if (status != 0) {
		log_error("job operation: %s", pogo_strerror(status));
		pogo_json_free(op->doc);
		disp_error(
		    op->d, op->req, 500, "store: %s", pogo_strerror(status));
		disp_store_failed(op->d);
	} else
		disp_respond(op->req, 200, op->doc);
	free(op);
}

/* Answer {"message": msg[, "results": [...]]} once the changes are
 * committed. */
static void
disp_jobop_answer(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const char *msg, const int *results, size_t n)
{
	struct disp_jobop *op = xcalloc(1, sizeof(*op));
	struct pogo_json *resp, *a;
	size_t i;

	op->d = d;
	op->req = req;
	op->doc = disp_envelope(d, NULL);
	resp = pogo_json_add_object(op->doc, "response");
	pogo_json_add_string(resp, "message", msg);
	if (results != NULL) {
		a = pogo_json_add_array(resp, "results");
		for (i = 0; i < n; i++)
			pogo_json_add_number(a, NULL, results[i]);
	}
	pogo_store_after_commit(d->store, disp_jobop_commit_cb, op);
}

static void
disp_jobop_halt(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j, const char *id)
{
	const char *reason = pogo_http_req_param(req, "reason");
	char *msg;
	int r;

	if (reason == NULL || reason[0] == '\0')
		reason = "halted by user";
	r = pogo_dispatcher_job_halt(d, j->job, reason);
	if (r == POGO_ERR_NOTFOUND || r == POGO_ERR_STATE) {
		disp_error(d, req, 409, "job %s not active; cannot halt", id);
		return;
	}
	if (r != 0) {
		disp_error(d, req, 500, "cannot halt job %s: %s", id,
		    pogo_strerror(r));
		return;
	}
	log_info("job=%s: halted: %s", id, reason);
	xasprintf(&msg, "job %s halted", id);
	disp_jobop_answer(d, req, msg, NULL, 0);
	free(msg);
}

/*
 * The secret fields of a job operation (SPEC 5.5: resume and retry take
 * those of a submission, SPEC 5.1): *sp holds them, to be freed with
 * disp_submit_free(), and sec borrows them (key_id NULL: none given).
 * false with the 400 answered.
 */
static bool
disp_jobop_secrets(struct pogo_dispatcher *d, struct pogo_http_req *req,
    struct disp_submit **sp, struct pogo_dispatcher_secrets *sec)
{
	struct pogo_dispatcher_field *v;
	struct disp_fields f = { 0 };
	struct disp_submit *s = xcalloc(1, sizeof(*s));
	char *msg = NULL;
	int r;

	*sp = s;
	memset(sec, 0, sizeof(*sec));
	f.v = v = disp_req_fields(req, false, &f.n);
	r = disp_submit_secrets(&f, s, &msg);
	free(v);
	if (r != 0) {
		disp_error(d, req, 400, "%s", msg);
		free(msg);
		return false;
	}
	sec->password = s->password;
	sec->client_private_key = s->client_private_key;
	sec->pvt_key_passphrase = s->pvt_key_passphrase;
	sec->key_id = s->key_id;
	return true;
}

/*
 * Answer the engine's refusal of a resume's or a retry's secrets (SPEC
 * 5.5, 7.4): r POGO_ERR_NOKEY (the job needs secrets no longer cached,
 * and none were given), POGO_ERR_RANGE (boxes for different worker keys)
 * or POGO_ERR_USAGE (a job submitted without secrets).  true if r was
 * one of those, answered.
 */
static bool
disp_jobop_secret_error(
    struct pogo_dispatcher *d, struct pogo_http_req *req, const char *id, int r)
{
	switch (r) {
	case POGO_ERR_NOKEY:
		disp_error(d, req, 409,
		    "job %s has no secrets; give them with the request", id);
		return true;
	case POGO_ERR_RANGE:
		disp_error(
		    d, req, 400, "secrets encrypted for different worker keys");
		return true;
	case POGO_ERR_USAGE:
		disp_error(d, req, 400,
		    "job %s was submitted without secrets; they cannot be "
		    "added to it",
		    id);
		return true;
	}
	return false;
}

/*
 * A halted job whose resolvers still run (the engine's UV_EBUSY: it is
 * built once they answered, review8 8): 409, try again.  true: answered.
 */
static bool
disp_jobop_resolving(
    struct pogo_dispatcher *d, struct pogo_http_req *req, const char *id, int r)
{
	if (r != UV_EBUSY)
		return false;
	pogo_http_req_add_header(req, "Retry-After", "1");
	disp_error(d, req, 409,
	    "job %s: its resolvers are still running; try again", id);
	return true;
}

/*
 * jobresume: its secret fields replace the cached secrets (SPEC 7.4,
 * D-5); a job that needs secrets no longer cached, given none, is
 * refused.
 */
static void
disp_jobop_resume(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j, const char *id, int loaded)
{
	struct pogo_dispatcher_secrets sec;
	struct disp_submit *s;
	char *msg;
	int r = POGO_ERR_NOTIMPL;

	if (!disp_jobop_secrets(d, req, &s, &sec))
		goto out;
	/* The engine reloads a job that ended from the store. */
	if (loaded != 0)
		r = loaded;
	else if (d->engine != NULL && d->engine->resume != NULL && !d->stopping)
		r = d->engine->resume(
		    d, j->job, sec.key_id != NULL ? &sec : NULL, d->engine_arg);
	if (r == POGO_ERR_NOTFOUND || r == POGO_ERR_STATE) {
		disp_error(d, req, 409, "job %s not halted; cannot resume", id);
		goto out;
	}
	if (disp_jobop_resolving(d, req, id, r))
		goto out;
	if (disp_jobop_secret_error(d, req, id, r))
		goto out;
	if (r != 0) {
		disp_error(d, req, 500, "cannot resume job %s: %s", id,
		    pogo_strerror(r));
		goto out;
	}
	log_info("job=%s: resumed%s", id,
	    sec.key_id != NULL ? " with new secrets" : "");
	xasprintf(&msg, "job %s resumed", id);
	disp_jobop_answer(d, req, msg, NULL, 0);
	free(msg);
out:
	disp_submit_free(s);
}

/*
 * The request's `host` values, each a host of the job; false with the
 * 400 answered.
 */
static bool
disp_jobop_hosts(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j, struct pogo_strv *hosts)
{
	const char *h;
	uint32_t idx;
	size_t i;
	int r;

	for (i = 0; (h = pogo_http_req_param_nth(req, "host", i)) != NULL;
	     i++) {
		if ((r = pogo_store_host_find(d->store, j->job, h, &idx)) ==
		    POGO_ERR_NOTFOUND) {
			disp_error(d, req, 400, "no host %s in job", h);
			return false;
		}
		if (r != 0) {
			disp_error(d, req, 500, "store: %s", pogo_strerror(r));
			return false;
		}
		pogo_strv_push(hosts, h);
	}
	if (hosts->n == 0) {
		disp_error(d, req, 400, "Mandatory field 'host' missing");
		return false;
	}
	return true;
}

/* jobretry and jobskip: results per host, in the request's order. */
static void
disp_jobop_hostop(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j, const char *id, bool retry, int loaded)
{
	struct pogo_dispatcher_secrets sec = { 0 };
	struct disp_submit *s = NULL;
	struct pogo_strv hosts = { 0 };
	int *results = NULL;
	char *msg;
	size_t i, k = 0;
	int r = POGO_ERR_NOTIMPL;

	/* Expired: start_time + job_timeout <= now (SPEC 5.5). */
	if (retry && j->job_timeout != 0 &&
	    j->start_time + (double)j->job_timeout <= disp_now()) {
		disp_error(d, req, 409, "jobid %s has expired", id);
		return;
	}
	if (!disp_jobop_hosts(d, req, j, &hosts))
		goto out;
	/* retry takes the secret fields (SPEC 5.5), as resume does. */
	if (retry && !disp_jobop_secrets(d, req, &s, &sec))
		goto out;
	results = xcalloc(hosts.n, sizeof(*results));
	if (loaded != 0)
		r = loaded;
	else if (d->engine == NULL || d->stopping)
		;
	else if (retry && d->engine->retry != NULL)
		r = d->engine->retry(d, j->job, (const char *const *)hosts.v,
		    hosts.n, sec.key_id != NULL ? &sec : NULL, results,
		    d->engine_arg);
	else if (!retry && d->engine->skip != NULL)
		r = d->engine->skip(d, j->job, (const char *const *)hosts.v,
		    hosts.n, results, d->engine_arg);
	if (disp_jobop_secret_error(d, req, id, r))
		goto out;
	if (r == POGO_ERR_TIMEOUT) {
		disp_error(d, req, 409, "jobid %s has expired", id);
		goto out;
	}
	if (disp_jobop_resolving(d, req, id, r))
		goto out;
	if (r != 0) {
		disp_error(d, req, 500, "cannot %s in job %s: %s",
		    retry ? "retry" : "skip", id, pogo_strerror(r));
		goto out;
	}
	for (i = 0; i < hosts.n; i++)
		k += results[i] != 0;
	if (retry)
		xasprintf(&msg, "retry requested for %zu host(s)", k);
	else
		xasprintf(&msg, "skipped %zu host(s)", k);
	log_info("job=%s: %s", id, msg);
	disp_jobop_answer(d, req, msg, results, hosts.n);
	free(msg);
out:
	if (s != NULL)
		disp_submit_free(s);
	free(results);
	pogo_strv_clear(&hosts);
}

/*
 * jobalter: every attribute/value pair is checked before any is set;
 * a job the engine does not run (ended) changes in the store only.
 */
static void
disp_jobop_alter(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j, const char *id)
{
	const char *a, *v;
	char *msg;
	size_t i, n;
	int r;

	for (n = 0; pogo_http_req_param_nth(req, "attribute", n) != NULL; n++)
		;
	if (n == 0) {
		disp_error(d, req, 400, "Mandatory field 'attribute' missing");
		return;
	}
	for (i = 0; i < n; i++) {
		a = pogo_http_req_param_nth(req, "attribute", i);
		v = pogo_http_req_param_nth(req, "value", i);
		if (v == NULL || pogo_job_alter_check(a, v) != 0) {
			disp_error(d, req, 400, "failed to set %s=%s for %s", a,
			    v != NULL ? v : "", id);
			return;
		}
	}
	for (i = 0; i < n; i++) {
		a = pogo_http_req_param_nth(req, "attribute", i);
		v = pogo_http_req_param_nth(req, "value", i);
		r = POGO_ERR_NOTFOUND;
		if (d->engine != NULL && d->engine->alter != NULL &&
		    !d->stopping)
			r = d->engine->alter(d, j->job, a, v, d->engine_arg);
		if (r == POGO_ERR_NOTFOUND)
			r = pogo_store_job_alter(d->store, j->job, a, v);
		if (r != 0) {
			disp_error(d, req, 500, "failed to set %s=%s for %s", a,
			    v, id);
			return;
		}
		log_info("job=%s: altered %s", id, a);
	}
	xasprintf(&msg, "job %s altered", id);
	disp_jobop_answer(d, req, msg, NULL, 0);
	free(msg);
}

/*
 * POST /v1/jobs/:jobid with command=jobhalt, jobresume, jobretry,
 * jobskip or jobalter (SPEC 5.5, 11.3): 404 for an unknown job, 409 for
 * a state conflict, 400 for a bad command, host or attribute; answered
 * after the changes are committed.
 */
/* disp_jobop_run()'s loaded once the engine holds the job (errors are
 * negative). */
#define DISP_LOADED 1

/* A job operation waiting for the engine to reload its job. */
struct disp_jobop_wait {
	struct pogo_dispatcher *d;
	struct pogo_http_req *req;
};

static void disp_jobop_run(
    struct pogo_dispatcher *d, struct pogo_http_req *req, int loaded);

static void
disp_jobop_loaded_cb(void *cookie, int status)
{
	struct disp_jobop_wait *w = cookie;

	/* 0: the engine holds the job in this turn; else the answer. */
	disp_jobop_run(w->d, w->req, status != 0 ? status : DISP_LOADED);
	free(w);
}

/*
 * Have the engine hold job j before an operation on it (a job that
 * ended is reloaded a page of rows per loop turn, never all at once on
 * the loop: dispatcher.h, load).  false: the request waits for it, or
 * was answered (503).
 */
static bool
disp_jobop_load(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j)
{
	struct disp_jobop_wait *w;
	int r;

	if (d->stopping || d->engine == NULL || d->engine->load == NULL)
		return true;
	w = xcalloc(1, sizeof(*w));
	w->d = d;
	w->req = req;
	r = d->engine->load(d, j->job, disp_jobop_loaded_cb, w, d->engine_arg);
	if (r == UV_EAGAIN)
		return false;
	free(w);
	if (r == UV_EBUSY) {
		pogo_http_req_add_header(req, "Retry-After", "1");
		disp_error(d, req, 503,
		    "too many jobs being reloaded from the store; try again "
		    "later");
		return false;
	}
	return true;
}

static void
disp_jobop(struct pogo_http_req *req, void *arg)
{
	disp_jobop_run(arg, req, 0);
}

/*
 * loaded: 0 before the engine was asked to hold the job, DISP_LOADED
 * once it holds it, or the operation's error from the reload.
 */
static void
disp_jobop_run(struct pogo_dispatcher *d, struct pogo_http_req *req, int loaded)
{
	const char *cmd = pogo_http_req_param(req, "command");
	const char *id = pogo_http_req_route_param(req, "jobid");
	const char *admin = pogo_http_req_header(req, "X-Pogo-Admin");
	struct pogo_store_job *j;

	if ((j = disp_req_job(d, req)) == NULL)
		return;
	if (cmd == NULL)
		cmd = "";
	/* What runs a local job's command again is judged as submitting it
	 * (review5 9): halt and skip stop things and stay the owner's. */
	if ((strcmp(cmd, "jobresume") == 0 || strcmp(cmd, "jobretry") == 0 ||
	        strcmp(cmd, "jobalter") == 0) &&
	    !disp_local_ok(d, pogo_http_req_header(req, "X-Pogo-User"),
	        admin != NULL && strcmp(admin, "1") == 0, j->task_name))
		disp_error(d, req, 403, "%s", DISP_LOCAL_ADMINS);
	else if (strcmp(cmd, "jobhalt") == 0)
		disp_jobop_halt(d, req, j, id);
	else if ((strcmp(cmd, "jobresume") == 0 ||
	             strcmp(cmd, "jobretry") == 0 ||
	             strcmp(cmd, "jobskip") == 0) &&
	    loaded == 0 && !disp_jobop_load(d, req, j))
		; /* waits for the reload, or answered */
	else if (strcmp(cmd, "jobresume") == 0)
		disp_jobop_resume(
		    d, req, j, id, loaded == DISP_LOADED ? 0 : loaded);
	else if (strcmp(cmd, "jobretry") == 0)
		disp_jobop_hostop(
		    d, req, j, id, true, loaded == DISP_LOADED ? 0 : loaded);
	else if (strcmp(cmd, "jobskip") == 0)
		disp_jobop_hostop(
		    d, req, j, id, false, loaded == DISP_LOADED ? 0 : loaded);
	else if (strcmp(cmd, "jobalter") == 0)
		disp_jobop_alter(d, req, j, id);
	else
		disp_error(d, req, 400, "unknown job command '%s'", cmd);
	pogo_store_job_free(j);
}

/* Paging parameters (SPEC 11.2); false with a 400 answered. */
static bool
disp_req_page(struct pogo_dispatcher *d, struct pogo_http_req *req,
    uint32_t def, uint32_t *offsetp, uint32_t *maxp)
{
	const char *names[] = { "offset", "max" };
	long long v[2] = { 0, 0 };
	size_t i;
	const char *s;

	for (i = 0; i < 2; i++) {
		if ((s = disp_param(req, names[i])) != NULL &&
		    pogo_strtonum(s, 0, UINT32_MAX, &v[i]) != 0) {
			disp_error(
			    d, req, 400, "invalid value for '%s'", names[i]);
			return false;
		}
	}
	*offsetp = (uint32_t)v[0];
	*maxp = v[1] == 0 ? def : (uint32_t)v[1];
	if (*maxp > POGO_DISPATCHER_MAX_PAGE)
		*maxp = POGO_DISPATCHER_MAX_PAGE;
	return true;
}

/* A job's host counts per state, kept by the store (no host row is
 * read). */
struct disp_counts {
	uint32_t n[POGO_HOST_NSTATES];
};

static void
disp_counts_get(struct pogo_dispatcher *d, uint64_t job, struct disp_counts *c)
{
	int r;

	if ((r = pogo_store_host_counts(
	         d->store, job, c->n, POGO_HOST_NSTATES)) != 0)
		log_warn("job %llu: host counts: %s", (unsigned long long)job,
		    pogo_strerror(r));
}

/* Optional strings and numbers of the job object are null when absent. */
static void
disp_add_num(struct pogo_json *o, const char *key, double v, bool present)
{
	if (present)
		pogo_json_add_number(o, key, v);
	else
		pogo_json_add_null(o, key);
}

/* The job object of SPEC 11.4. */
static void
disp_job_json(struct pogo_dispatcher *d, const struct pogo_store_job *j,
    struct pogo_json *o)
{
	struct disp_counts c = { { 0 } };
	struct pogo_json *a;
	char jobid[32];
	size_t i;
	double expires = j->start_time + j->job_timeout;

	disp_counts_get(d, j->job, &c);
	snprintf(jobid, sizeof(jobid), "p%010llu", (unsigned long long)j->job);
	pogo_json_add_string(o, "jobid", jobid);
	pogo_json_add_string(o, "state", pogo_job_state_name(j->state));
	pogo_json_add_string(o, "state_message", j->state_message);
	pogo_json_add_string(o, "user", j->user);
	pogo_json_add_string(o, "run_as", j->run_as);
	pogo_json_add_string(o, "ssh_user", j->ssh_user);
	disp_add_num(o, "ssh_port", j->ssh_port, j->ssh_port >= 0);
	disp_add_num(
	    o, "connect_timeout", j->connect_timeout, j->connect_timeout >= 0);
	pogo_json_add_string(o, "command", j->command);
	a = pogo_json_add_array(o, "range");
	for (i = 0; i < j->nrange; i++)
		pogo_json_add_string(a, NULL, j->range[i]);
	pogo_json_add_number(o, "host_count", j->host_count);
	a = pogo_json_add_object(o, "summary");
	for (i = 0; i < POGO_HOST_NSTATES; i++)
		if (c.n[i] > 0)
			pogo_json_add_number(
			    a, pogo_host_state_name(i), c.n[i]);
	pogo_json_add_string(o, "namespace", j->namespace);
	pogo_json_add_string(o, "task_name", j->task_name);
	pogo_json_add_number(o, "timeout", j->timeout);
	pogo_json_add_number(o, "job_timeout", j->job_timeout);
	pogo_json_add_number(o, "retry", j->retry);
	pogo_json_add_bool(o, "prehook", j->prehook);
	pogo_json_add_bool(o, "posthook", j->posthook);
	pogo_json_add_bool(o, "lock", j->lock);
	pogo_json_add_string(o, "concurrent", j->concurrent);
	pogo_json_add_string(o, "exe_name", j->exe_name);
	pogo_json_add_string(o, "requesthost", j->requesthost);
	pogo_json_add_string(o, "invoked_as", j->invoked_as);
	pogo_json_add_string(o, "client", j->client);
	pogo_json_add_string(o, "email", j->email);
	pogo_json_add_string(o, "im_handle", j->im_handle);
	pogo_json_add_string(o, "message", j->message);
	pogo_json_add_number(o, "start_time", j->start_time);
	disp_add_num(o, "end_time", j->end_time, j->end_time != 0);
	disp_add_num(o, "expires_at", expires, j->job_timeout != 0);
	pogo_json_add_bool(
	    o, "is_expired", j->job_timeout != 0 && expires <= disp_now());
	pogo_json_add_bool(o, "has_password", j->has_password);
	pogo_json_add_bool(o, "has_key", j->has_key);
}

/* GET /v1/jobs/:jobid. */
static void
disp_job(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_store_job *j;
	struct pogo_json *doc, *resp, *job;

	if ((j = disp_req_job(d, req)) == NULL)
		return;
	doc = disp_envelope(d, NULL);
	resp = pogo_json_add_object(doc, "response");
	job = pogo_json_add_object(resp, "job");
	disp_job_json(d, j, job);
	pogo_json_add_string(job, "config", j->config);
	pogo_store_job_free(j);
	disp_respond(req, 200, doc);
}

/* Job objects for a list, in the visitor of pogo_store_jobs_list(). */
struct disp_joblist {
	struct pogo_dispatcher *d;
	struct pogo_json *list; /* an array, or an object given key */
	const char *key;
	uint32_t n;
};

static int
disp_add_job(const struct pogo_store_job *j, void *arg)
{
	struct disp_joblist *jl = arg;

	disp_job_json(jl->d, j, pogo_json_add_object(jl->list, jl->key));
	jl->n++;
	return 0;
}

/* GET /v1/jobs[?user=U&state=S&namespace=N&target=H]: newest first,
 * paged (default 20), meta.count the number of matching jobs. */
static void
disp_jobs(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_store_filter f = { .state = -1 };
	struct disp_joblist jl = { 0 };
	struct pogo_json *doc, *meta, *resp;
	const char *state;
	uint32_t offset, max;
	uint64_t count = 0;
	int s, r;

	if (!disp_req_page(d, req, 20, &offset, &max))
		return;
	if ((state = disp_param(req, "state")) != NULL) {
		for (s = 0; s <= POGO_JOB_HALTED; s++)
			if (strcmp(pogo_job_state_name(s), state) == 0)
				break;
		if (s > POGO_JOB_HALTED) {
			disp_error(d, req, 400, "invalid value for 'state'");
			return;
		}
		f.state = s;
	}
	f.user = disp_param(req, "user");
	f.namespace = disp_param(req, "namespace");
	f.target = disp_param(req, "target");
	if ((r = pogo_store_jobs_count(d->store, &f, &count)) != 0) {
		log_error("store: jobs: %s", pogo_strerror(r));
		disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		return;
	}
	doc = disp_envelope(d, &meta);
	pogo_json_add_number(meta, "count", (double)count);
	resp = pogo_json_add_object(doc, "response");
	jl.d = d;
	jl.list = pogo_json_add_array(resp, "jobs");
	if (offset < count &&
	    (r = pogo_store_jobs_list(
	         d->store, &f, offset, max, disp_add_job, &jl)) != 0) {
		pogo_json_free(doc);
		log_error("store: jobs: %s", pogo_strerror(r));
		disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		return;
	}
	disp_respond(req, 200, doc);
}

/* GET /v1/jobs/last/:user: that user's newest job (SPEC 5.5 `last`). */
static void
disp_last(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_store_filter f = { .state = -1 };
	struct disp_joblist jl = { 0 };
	struct pogo_json *doc, *resp;
	const char *user = pogo_http_req_route_param(req, "user");
	int r;

	f.user = user;
	doc = disp_envelope(d, NULL);
	resp = pogo_json_add_object(doc, "response");
	jl.d = d;
	jl.list = resp;
	jl.key = "job";
	if ((r = pogo_store_jobs_list(d->store, &f, 0, 1, disp_add_job, &jl)) !=
	        0 ||
	    jl.n == 0) {
		pogo_json_free(doc);
		if (r != 0)
			disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		else
			disp_error(d, req, 404, "no jobs for user %s", user);
		return;
	}
	disp_respond(req, 200, doc);
}

/* A host read for the hosts endpoint. */
struct disp_host {
	char *name;
	int state;
	char *message;
	int exitstatus;
	uint32_t runs;
	double start_time;
	double finish_time;
};

struct disp_hosts {
	struct disp_host *v;
	size_t n, cap;
};

static int
disp_collect_host(const struct pogo_store_host *h, void *arg)
{
	struct disp_hosts *hs = arg;
	struct disp_host *x;

	if (hs->n == hs->cap) {
		hs->cap = hs->cap == 0 ? 64 : hs->cap * 2;
		hs->v = xreallocarray(hs->v, hs->cap, sizeof(*hs->v));
	}
	x = &hs->v[hs->n++];
	x->name = xstrdup(h->name);
	x->state = h->state;
	x->message = h->message != NULL ? xstrdup(h->message) : NULL;
	x->exitstatus = h->exitstatus;
	x->runs = h->runs;
	x->start_time = h->start_time;
	x->finish_time = h->finish_time;
	return 0;
}

/* The API path of a host run's output (SPEC 5.8). */
static char *
disp_output_path(const char *jobid, const char *host, uint32_t run)
{
	static const char hex[] = "0123456789ABCDEF";
	char *enc = xmalloc(3 * strlen(host) + 1), *p;
	size_t i, n = 0;

	/* Percent-encode all but unreserved characters and ':' (RFC 3986). */
	for (i = 0; host[i] != '\0'; i++) {
		unsigned char c = (unsigned char)host[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~:", c) != NULL)
			enc[n++] = (char)c;
		else {
			enc[n++] = '%';
			enc[n++] = hex[c >> 4];
			enc[n++] = hex[c & 0xf];
		}
	}
	enc[n] = '\0';
	xasprintf(&p, "/v1/jobs/%s/hosts/%s?run=%u", jobid, enc, run);
	free(enc);
	return p;
}

/* GET /v1/jobs/:jobid/hosts[?state=S]: paged in name order.  The count
 * comes from the store's per-state counts and the page from its name
 * index: only the page's hosts are read. */
static void
disp_hosts(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct disp_hosts hs = { 0 };
	struct disp_counts c = { { 0 } };
	struct pogo_store_job *j = NULL;
	struct pogo_json *doc, *meta, *resp, *hosts, *h;
	const char *state;
	char jobid[32], *p;
	uint32_t offset, max, count = 0;
	size_t i;
	int s, filter = -1;

	if (!disp_req_page(d, req, 500, &offset, &max))
		return;
	if ((state = disp_param(req, "state")) != NULL) {
		for (s = 0; s < POGO_HOST_NSTATES; s++)
			if (strcmp(pogo_host_state_name(s), state) == 0)
				break;
		if (s == POGO_HOST_NSTATES) {
			disp_error(d, req, 400, "invalid value for 'state'");
			return;
		}
		filter = s;
	}
	if ((j = disp_req_job(d, req)) == NULL)
		return;
	snprintf(jobid, sizeof(jobid), "p%010llu", (unsigned long long)j->job);
	disp_counts_get(d, j->job, &c);
	for (s = 0; s < POGO_HOST_NSTATES; s++)
		if (filter == -1 || s == filter)
			count += c.n[s];
	if (offset < count)
		pogo_store_hosts_by_name(d->store, j->job, filter, offset, max,
		    disp_collect_host, &hs);
	pogo_store_job_free(j);
	doc = disp_envelope(d, &meta);
	pogo_json_add_number(meta, "count", count);
	resp = pogo_json_add_object(doc, "response");
	hosts = pogo_json_add_object(resp, "hosts");
	for (i = 0; i < hs.n; i++) {
		h = pogo_json_add_object(hosts, hs.v[i].name);
		pogo_json_add_string(
		    h, "state", pogo_host_state_name(hs.v[i].state));
		pogo_json_add_string(h, "message", hs.v[i].message);
		disp_add_num(h, "exitstatus", hs.v[i].exitstatus,
		    hs.v[i].exitstatus >= 0);
		disp_add_num(h, "start_time", hs.v[i].start_time,
		    hs.v[i].start_time != 0);
		disp_add_num(h, "finish_time", hs.v[i].finish_time,
		    hs.v[i].finish_time != 0);
		pogo_json_add_number(h, "runs", hs.v[i].runs);
		if (hs.v[i].runs > 0) {
			p = disp_output_path(
			    jobid, hs.v[i].name, hs.v[i].runs - 1);
			pogo_json_add_string(h, "output", p);
			free(p);
		} else
			pogo_json_add_null(h, "output");
	}
	for (i = 0; i < hs.n; i++) {
		free(hs.v[i].name);
		free(hs.v[i].message);
	}
	free(hs.v);
	disp_respond(req, 200, doc);
}

/* The output records of one host run. */
struct disp_records {
	struct pogo_json *list;
	const char *task; /* "<jobid>/<host>" */
	uint32_t n;
};

static int
disp_count_record(const struct pogo_store_output *o, void *arg)
{
	(*(uint32_t *)arg)++;
	return 0;
}

static int
disp_add_record(const struct pogo_store_output *o, void *arg)
{
	static const char *const types[] = { "STDOUT", "STDERR", "EXIT",
		"ERROR" };
	struct disp_records *rs = arg;
	struct pogo_json *r = pogo_json_add_object(rs->list, NULL);

	pogo_json_add_number(r, "ts", o->ts);
	pogo_json_add_string(r, "type",
	    (size_t)o->type < POGO_NELEM(types) ? types[o->type] : "?");
	pogo_json_add_string(r, "task", rs->task);
	pogo_json_add_bytes(r, "data", o->data, o->len);
	return 0;
}

static int
disp_host_runs(const struct pogo_store_host *h, void *arg)
{
	*(uint32_t *)arg = h->runs;
	return 1;
}

/*
 * GET /v1/jobs/:jobid/schedule.  A job's hosts and their states at one
 * generation of the job, shared read-only by the builds that use them.
 */
struct disp_sched_hosts {
	unsigned refs;
	struct pogo_strv hosts;
	uint8_t *states;
	size_t cap; /* of states, read from the store */
};

/*
 * One answer: built in the thread pool while its requests wait (reqs),
 * then kept for the next requests with the same key until the job
 * changes, it is POGO_DISPATCHER_SCHED_AGE_MS old, or newer answers push
 * it out (POGO_DISPATCHER_SCHED_KEEP, POGO_DISPATCHER_SCHED_BYTES); once
 * built it keeps its hosts only while another build of them runs.
 * The key: the job at generation gen (its log's length: every change of
 * a host's or the job's state appends an entry, SPEC 5.7), whether it is
 * active, max and the print format.  Only the loop touches the list;
 * the pool reads the inputs and writes status and text.
 */
struct disp_sched {
	uv_work_t work;
	struct pogo_dispatcher *d;
	struct disp_sched *next;
	uint64_t job;
	uint32_t gen;
	bool active;
	uint32_t max;
	bool table;
	bool pretty;
	char hostname[256];
	char *config;
	struct pogo_sched_view_ref *refs; /* its answers (SPEC 2.7) */
	size_t nrefs;
	char *concurrent;
	struct disp_sched_hosts *hosts;
	struct pogo_http_req **reqs; /* POGO_DISPATCHER_SCHED_WAITERS */
	size_t nreqs;
	bool built;
	uint64_t built_at; /* uv_now() */
	int status;
	char *text;
	size_t len;
};

static void
disp_sched_hosts_unref(struct disp_sched_hosts *h)
{
	if (h == NULL || --h->refs > 0)
		return;
	pogo_strv_clear(&h->hosts);
	free(h->states);
	free(h);
}

static void
disp_sched_free(struct disp_sched *s)
{
	size_t i;

	disp_sched_hosts_unref(s->hosts);
	for (i = 0; i < s->nrefs; i++) {
		free(s->refs[i].ref);
		pogo_strv_clear(&s->refs[i].hosts);
		free(s->refs[i].failure);
	}
	free(s->refs);
	free(s->config);
	free(s->concurrent);
	free(s->reqs);
	free(s->text);
	free(s);
}

static int
disp_sched_host(const struct pogo_store_host *h, void *arg)
{
	struct disp_sched_hosts *sh = arg;

	if (sh->hosts.n == sh->cap)
		return 1; /* more rows than the job's host count */
	sh->states[sh->hosts.n] = (uint8_t)h->state;
	pogo_strv_push(&sh->hosts, h->name);
	return 0;
}

/*
 * The hosts of job j at generation gen: those of another build of the
 * same generation still running, else the engine's memory, else the
 * store.  NULL and a 500
 * answered on a store error.
 */
static struct disp_sched_hosts *
disp_sched_hosts(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j, uint32_t gen)
{
	struct disp_sched_hosts *sh;
	struct disp_sched *s;
	int r;

	for (s = d->scheds; s != NULL; s = s->next) {
		if (s->job == j->job && s->gen == gen && s->hosts != NULL) {
			s->hosts->refs++;
			return s->hosts;
		}
	}
	sh = xcalloc(1, sizeof(*sh));
	sh->refs = 1;
	if (d->engine != NULL && d->engine->hosts != NULL &&
	    d->engine->hosts(
	        d, j->job, &sh->hosts, &sh->states, d->engine_arg) == 0)
		return sh;
	sh->cap = j->host_count;
	sh->states = xcalloc(sh->cap + 1, 1);
	if ((r = pogo_store_hosts(d->store, j->job, 0, j->host_count,
	         disp_sched_host, sh)) != 0) {
		log_error("store: hosts of p%010llu: %s",
		    (unsigned long long)j->job, pogo_strerror(r));
		disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		disp_sched_hosts_unref(sh);
		return NULL;
	}
	return sh;
}

/* A stored answer of the job's external references, for the view. */
static int
disp_sched_ref(const struct pogo_store_ref *ref, void *arg)
{
	struct disp_sched *s = arg;
	struct pogo_sched_view_ref *v;
	size_t i;

	if ((s->nrefs & (s->nrefs + 1)) == 0 || s->refs == NULL)
		s->refs =
		    xreallocarray(s->refs, 2 * s->nrefs + 1, sizeof(*s->refs));
	v = &s->refs[s->nrefs++];
	memset(v, 0, sizeof(*v));
	v->idx = ref->idx;
	v->ref = xstrdup(ref->ref);
	v->failure = ref->failure != NULL ? xstrdup(ref->failure) : NULL;
	for (i = 0; i < ref->nhosts; i++)
		pogo_strv_push(&v->hosts, ref->hosts[i]);
	return 0;
}

static void
disp_sched_work_cb(uv_work_t *work)
{
	struct disp_sched *s = work->data;
	struct pogo_json *doc, *meta, *errors;
	char *cause = NULL;
	int r;

	doc = pogo_json_new_object();
	meta = pogo_json_add_object(doc, "meta");
	pogo_json_add_string(meta, "hostname", s->hostname);
	pogo_json_add_number(meta, "count", (double)s->hosts->hosts.n);
	r = pogo_sched_view_refs(s->config, s->refs, s->nrefs, s->concurrent,
	    &s->hosts->hosts, s->hosts->states, s->active, s->max, s->table,
	    pogo_json_add_object(
	        pogo_json_add_object(doc, "response"), "schedule"),
	    &cause);
	s->status = 200;
	if (r != 0) {
		/* The envelope without its response: an error of 11.2. */
		pogo_json_free(doc);
		doc = pogo_json_new_object();
		pogo_json_add_string(
		    pogo_json_add_object(doc, "meta"), "hostname", s->hostname);
		errors = pogo_json_add_array(doc, "errors");
		pogo_json_add_string(
		    errors, NULL, cause != NULL ? cause : pogo_strerror(r));
		s->status = 409;
	}
	free(cause);
	s->text = s->pretty ? pogo_json_print_pretty(doc, &s->len)
	                    : pogo_json_print_line(doc, &s->len);
}

static void disp_sched_trim(
    struct pogo_dispatcher *d, bool byjob, uint64_t job, uint32_t gen);

/* Expire what is due, then wait for the next built answer to expire. */
static void
disp_sched_timer_cb(uv_timer_t *t)
{
	struct pogo_dispatcher *d = t->data;
	struct disp_sched *s;
	uint64_t oldest = UINT64_MAX, now;

	if (d->stopping)
		return;
	disp_sched_trim(d, false, 0, 0);
	for (s = d->scheds; s != NULL; s = s->next)
		if (s->built && s->built_at < oldest)
			oldest = s->built_at;
	if (oldest == UINT64_MAX) {
		uv_timer_stop(t);
		return;
	}
	now = uv_now(d->loop);
	uv_timer_start(t, disp_sched_timer_cb,
	    oldest + d->sched_age > now ? oldest + d->sched_age - now : 1, 0);
}

/*
 * Answer every request waiting for s; s is freed when d stops.  Its
 * hosts are let go unless another build of the same job and generation
 * runs (then the last build to end lets them go for all).
 */
static void
disp_sched_after_cb(uv_work_t *work, int status)
{
	struct disp_sched *s = work->data;
	struct pogo_dispatcher *d = s->d;
	struct pogo_http_req **reqs = s->reqs;
	size_t nreqs = s->nreqs, i;
	struct disp_sched **pp, *o;
	bool stopping = d->stopping;

	d->nscheds--;
	s->built = true;
	s->reqs = NULL;
	s->nreqs = 0;
	if (stopping) {
		/* d may be freed once the last request is answered. */
		for (pp = &d->scheds; *pp != s; pp = &(*pp)->next)
			;
		*pp = s->next;
	}
	for (i = 0; i < nreqs; i++)
		disp_respond_text(reqs[i], s->status, s->text, s->len);
	free(reqs);
	if (stopping) {
		disp_sched_free(s);
		return;
	}
	s->built_at = uv_now(d->loop);
	for (o = d->scheds; o != NULL; o = o->next)
		if (!o->built && o->job == s->job && o->gen == s->gen)
			break;
	if (o == NULL) {
		for (o = d->scheds; o != NULL; o = o->next) {
			if (o->built && o->job == s->job && o->gen == s->gen &&
			    o->hosts != NULL) {
				disp_sched_hosts_unref(o->hosts);
				o->hosts = NULL;
			}
		}
	}
	disp_sched_trim(d, false, 0, 0);
	if (!uv_is_active((uv_handle_t *)d->sched_timer))
		disp_sched_timer_cb(d->sched_timer);
}

/*
 * Drop the built answers of job that are of another generation (byjob),
 * those older than d->sched_age, and, newest first, those beyond
 * POGO_DISPATCHER_SCHED_KEEP answers or d->sched_bytes in all.  Answers
 * being built stay: their requests wait for them.
 */
static void
disp_sched_trim(
    struct pogo_dispatcher *d, bool byjob, uint64_t job, uint32_t gen)
{
	struct disp_sched **pp, *s;
	unsigned kept = 0;
	size_t bytes = 0;
	uint64_t now = uv_now(d->loop);

	for (pp = &d->scheds; (s = *pp) != NULL;) {
		if (s->built &&
		    ((byjob && s->job == job && s->gen != gen) ||
		        now - s->built_at >= d->sched_age ||
		        s->len > d->sched_bytes - bytes ||
		        ++kept > POGO_DISPATCHER_SCHED_KEEP)) {
			*pp = s->next;
			disp_sched_free(s);
		} else {
			if (s->built)
				bytes += s->len;
			pp = &s->next;
		}
	}
}

/*
 * GET /v1/jobs/:jobid/schedule[?max=N&table=0]: the job's threads and
 * slots as pogo schedule prints them, each slot's progress and the job's
 * groups (sched-view.h), at most max (default 100) host names per slot,
 * per group's holders and per slot's cell of the table; table=0 leaves
 * the table out (null).  A configuration that does not build
 * (resolvers): 409 with the cause.
 *
 * The cost on the loop is bounded, however many browsers poll a large
 * job (review5 finding 3).  The store's connection belongs to the loop
 * (store.h), so the hosts cannot be read in the pool; instead:
 * - an answer is kept per job, generation (the log's length), max,
 *   table and format, and a request with the same key gets it as it is,
 *   or waits for its build (at most POGO_DISPATCHER_SCHED_WAITERS
 *   requests); built answers are kept at most
 *   POGO_DISPATCHER_SCHED_AGE_MS, POGO_DISPATCHER_SCHED_KEEP of them and
 *   POGO_DISPATCHER_SCHED_BYTES of text in all, and keep no hosts;
 * - a new build takes its hosts and states from another build of the
 *   same generation still running, else from the engine's memory (an
 *   active job), else from the store (an ended job): the store is read
 *   at most once per change for a key while its answer is kept;
 * - the schedule is built and printed in the thread pool, at most
 *   POGO_DISPATCHER_SCHED_BUILDS at once: a request that needs another
 *   build gets 503 "too many schedules being built" with Retry-After.
 */
static void
disp_schedule(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct disp_sched *s;
	struct disp_sched_hosts *sh;
	struct pogo_store_job *j;
	uint32_t offset, max, gen;
	bool pretty, active, table = true;
	const char *v;
	int r;

	if (!disp_req_page(d, req, 100, &offset, &max) ||
	    !disp_format_ok(req, &pretty))
		return;
	if ((v = disp_param(req, "table")) != NULL) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
			disp_error(d, req, 400, "invalid value for 'table'");
			return;
		}
		table = v[0] == '1';
	}
	if ((j = disp_req_job(d, req)) == NULL)
		return;
	if ((r = pogo_store_log_length(d->store, j->job, &gen)) != 0) {
		disp_error(d, req, 500, "store: %s", pogo_strerror(r));
		pogo_store_job_free(j);
		return;
	}
	active = j->state == POGO_JOB_GATHERING || j->state == POGO_JOB_RUNNING;
	disp_sched_trim(d, true, j->job, gen);
	for (s = d->scheds; s != NULL; s = s->next)
		if (s->job == j->job && s->gen == gen && s->active == active &&
		    s->max == max && s->table == table && s->pretty == pretty)
			break;
	if (s != NULL && s->built) {
		pogo_store_job_free(j);
		disp_respond_text(req, s->status, s->text, s->len);
		return;
	}
	if (s != NULL || d->nscheds == POGO_DISPATCHER_SCHED_BUILDS)
		pogo_store_job_free(j);
	if (s != NULL && s->nreqs < POGO_DISPATCHER_SCHED_WAITERS) {
		s->reqs[s->nreqs++] = req;
		return;
	}
	if (s != NULL || d->nscheds == POGO_DISPATCHER_SCHED_BUILDS) {
		pogo_http_req_add_header(req, "Retry-After", "1");
		if (s != NULL)
			disp_error(d, req, 503,
			    "too many requests waiting for this schedule "
			    "(at most %d); try again later",
			    POGO_DISPATCHER_SCHED_WAITERS);
		else
			disp_error(d, req, 503,
			    "too many schedules being built (at most %d at "
			    "once); try again later",
			    POGO_DISPATCHER_SCHED_BUILDS);
		return;
	}
	if ((sh = disp_sched_hosts(d, req, j, gen)) == NULL) {
		pogo_store_job_free(j);
		return;
	}
	s = xcalloc(1, sizeof(*s));
	s->d = d;
	s->job = j->job;
	s->gen = gen;
	s->active = active;
	s->max = max;
	s->table = table;
	s->pretty = pretty;
	memcpy(s->hostname, d->hostname, sizeof(s->hostname));
	s->config = j->config != NULL ? xstrdup(j->config) : NULL;
	s->concurrent = j->concurrent != NULL ? xstrdup(j->concurrent) : NULL;
	/* Read on the loop as its hosts; the view runs in the pool. */
	if (s->config != NULL &&
	    (r = pogo_store_job_refs(d->store, j->job, disp_sched_ref, s)) != 0)
		log_error("store: references of p%010llu: %s",
		    (unsigned long long)j->job, pogo_strerror(r));
	pogo_store_job_free(j);
	s->hosts = sh;
	s->reqs = xcalloc(POGO_DISPATCHER_SCHED_WAITERS, sizeof(*s->reqs));
	s->reqs[s->nreqs++] = req;
	s->next = d->scheds;
	d->scheds = s;
	d->nscheds++;
	s->work.data = s;
	if ((r = uv_queue_work(d->loop, &s->work, disp_sched_work_cb,
	         disp_sched_after_cb)) != 0)
		POGO_BUG("uv_queue_work: %s", uv_strerror(r));
}

void
pogo_dispatcher_sched_stats(
    struct pogo_dispatcher *d, struct pogo_dispatcher_sched_stats *st)
{
	struct disp_sched *s;

	memset(st, 0, sizeof(*st));
	for (s = d->scheds; s != NULL; s = s->next) {
		if (s->built) {
			st->kept++;
			st->bytes += s->len;
		} else
			st->waiters += (unsigned)s->nreqs;
		if (s->hosts != NULL)
			st->hosts++;
	}
}

void
pogo_dispatcher_sched_limits(
    struct pogo_dispatcher *d, uint64_t age_ms, size_t bytes)
{
	d->sched_age = age_ms;
	d->sched_bytes = bytes;
}

/* GET /v1/jobs/:jobid/hosts/:host[?run=N]: one run's output (SPEC 5.8). */
static void
disp_output(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	const char *id = pogo_http_req_route_param(req, "jobid");
	const char *host = pogo_http_req_route_param(req, "host");
	struct disp_records rs = { 0 };
	struct pogo_json *doc, *meta, *resp;
	const char *s;
	char *task = NULL;
	uint64_t job;
	uint32_t idx, runs = 0, offset, max, count = 0;
	long long run = -1;

	if (!disp_req_page(d, req, 500, &offset, &max))
		return;
	if ((s = disp_param(req, "run")) != NULL &&
	    pogo_strtonum(s, 0, UINT32_MAX, &run) != 0) {
		disp_error(d, req, 400, "invalid value for 'run'");
		return;
	}
	if (!disp_parse_jobid(id, &job) ||
	    pogo_store_host_find(d->store, job, host, &idx) != 0) {
		disp_error(d, req, 404, "no such job/host combination %s/%s",
		    id, host);
		return;
	}
	pogo_store_hosts(d->store, job, idx, 1, disp_host_runs, &runs);
	if (run == -1)
		run = runs > 0 ? runs - 1 : 0;
	xasprintf(&task, "%s/%s", id, host);
	pogo_store_output(
	    d->store, job, idx, (uint32_t)run, 0, 0, disp_count_record, &count);
	doc = disp_envelope(d, &meta);
	pogo_json_add_number(meta, "count", count);
	pogo_json_add_number(meta, "runs", runs);
	resp = pogo_json_add_object(doc, "response");
	rs.list = pogo_json_add_array(resp, "output");
	rs.task = task;
	pogo_store_output(d->store, job, idx, (uint32_t)run, offset, max,
	    disp_add_record, &rs);
	free(task);
	disp_respond(req, 200, doc);
}

/* The log entries of a job. */
struct disp_entries {
	struct pogo_json *list;
	const char *jobid;
	const struct pogo_store_job *job;
	uint32_t n;
};

static int
disp_add_entry(const struct pogo_store_entry *e, void *arg)
{
	struct disp_entries *es = arg;
	struct pogo_json *o = pogo_json_add_object(es->list, NULL), *a;
	char *p;
	size_t i;
	bool host = e->host >= 0;

	pogo_json_add_number(o, "index", e->index);
	pogo_json_add_number(o, "time", e->time);
	pogo_json_add_string(o, "type", host ? "hoststate" : "jobstate");
	pogo_json_add_string(o, "state",
	    host ? pogo_host_state_name(e->state)
	         : pogo_job_state_name(e->state));
	pogo_json_add_string(o, "message", e->message);
	if (host) {
		pogo_json_add_string(o, "host", e->host_name);
		if (e->output) {
			p = disp_output_path(es->jobid, e->host_name, e->run);
			pogo_json_add_string(o, "output", p);
			free(p);
		}
	}
	if (e->exitstatus >= 0)
		pogo_json_add_number(o, "exitstatus", e->exitstatus);
	if (e->index == 0) {
		a = pogo_json_add_array(o, "range");
		for (i = 0; i < es->job->nrange; i++)
			pogo_json_add_string(a, NULL, es->job->range[i]);
	}
	return 0;
}

/*
 * The answer to a log request of job j (count entries): at most max
 * entries from offset.
 */
static struct pogo_json *
disp_log_doc(struct pogo_dispatcher *d, const struct pogo_store_job *j,
    uint32_t offset, uint32_t max, uint32_t count)
{
	struct disp_entries es = { 0 };
	struct disp_counts c = { { 0 } };
	struct pogo_json *doc, *meta, *resp;
	char jobid[32];

	disp_counts_get(d, j->job, &c);
	snprintf(jobid, sizeof(jobid), "p%010llu", (unsigned long long)j->job);
	doc = disp_envelope(d, &meta);
	pogo_json_add_number(meta, "count", count);
	pogo_json_add_string(meta, "state", pogo_job_state_name(j->state));
	pogo_json_add_number(
	    meta, "in_flight", c.n[POGO_HOST_READY] + c.n[POGO_HOST_RUNNING]);
	resp = pogo_json_add_object(doc, "response");
	es.list = pogo_json_add_array(resp, "joblog");
	es.jobid = jobid;
	es.job = j;
	pogo_store_log(d->store, j->job, offset, max, disp_add_entry, &es);
	return doc;
}

/* disp_log_doc() printed (pretty: json-pretty), ending with a newline. */
static char *
disp_log_doc_print(struct pogo_dispatcher *d, const struct pogo_store_job *j,
    uint32_t offset, uint32_t max, uint32_t count, bool pretty, size_t *lenp)
{
	struct pogo_json *doc = disp_log_doc(d, j, offset, max, count);

	return pretty ? pogo_json_print_pretty(doc, lenp)
	              : pogo_json_print_line(doc, lenp);
}

/*
 * Answer a log request of job j; with wait > 0 and nothing at offset,
 * return false without answering.
 */
static bool
disp_log_answer(struct pogo_dispatcher *d, struct pogo_http_req *req,
    const struct pogo_store_job *j, bool may_wait)
{
	uint32_t offset, max, count = 0;

	if (!disp_req_page(d, req, 300, &offset, &max))
		return true;
	pogo_store_log_length(d->store, j->job, &count);
	if (may_wait && offset >= count)
		return false;
	disp_respond(req, 200, disp_log_doc(d, j, offset, max, count));
	return true;
}

static void
disp_wait_close_cb(uv_handle_t *h)
{
	free(h->data);
}

/* Answer a long poll (now, whatever the log holds) and drop it. */
static void
disp_wait_end(struct disp_wait *w)
{
	struct pogo_dispatcher *d = w->d;
	struct disp_wait **pp;
	struct pogo_store_job *j = NULL;

	for (pp = &d->waits; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	}
	if (pogo_store_job_get(d->store, w->job, &j) == 0) {
		disp_log_answer(d, w->req, j, false);
		pogo_store_job_free(j);
	} else
		disp_error(d, w->req, 404, "no such job p%010llu",
		    (unsigned long long)w->job);
	w->req = NULL;
	uv_close((uv_handle_t *)&w->timer, disp_wait_close_cb);
}

static void
disp_wait_timer_cb(uv_timer_t *t)
{
	disp_wait_end(t->data);
}

static void
disp_wait_abort_cb(struct pogo_http_req *req, void *arg)
{
	disp_wait_end(arg);
}

/* GET /v1/jobs/:jobid/log[?wait=S] (SPEC 11.3). */
static void
disp_log(struct pogo_http_req *req, void *arg)
{
	struct pogo_dispatcher *d = arg;
	struct pogo_store_job *j;
	struct disp_wait *w;
	const char *s;
	long long wait = 0, off;

	if ((s = disp_param(req, "wait")) != NULL &&
	    pogo_strtonum(s, 0, UINT32_MAX, &wait) != 0) {
		disp_error(d, req, 400, "invalid value for 'wait'");
		return;
	}
	if ((j = disp_req_job(d, req)) == NULL)
		return;
	if (disp_log_answer(d, req, j, wait > 0 && !d->stopping)) {
		pogo_store_job_free(j);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->d = d;
	w->req = req;
	w->job = j->job;
	/* Checked by disp_log_answer() already. */
	if ((s = disp_param(req, "offset")) != NULL &&
	    pogo_strtonum(s, 0, UINT32_MAX, &off) == 0)
		w->offset = (uint32_t)off;
	pogo_store_job_free(j);
	uv_timer_init(d->loop, &w->timer);
	w->timer.data = w;
	if (wait > POGO_DISPATCHER_MAX_WAIT)
		wait = POGO_DISPATCHER_MAX_WAIT;
	uv_timer_start(&w->timer, disp_wait_timer_cb, (uint64_t)wait * 1000, 0);
	pogo_http_req_on_abort(req, disp_wait_abort_cb, w);
	w->next = d->waits;
	d->waits = w;
	/* t5141 A-WAIT counts these to know its polls wait. */
	log_debug("a long poll of p%010llu waits for entry %u",
	    (unsigned long long)w->job, w->offset);
}

/*
 * The printed answer to the long polls of one job that asked for the same
 * page in the same format: built once for all of them (200 followers of a
 * job are woken by the same entry; test/bench/api.sh's wake stage).  A
 * JSONP `cb` wraps it for each.
 */
struct disp_log_body {
	uint32_t offset, max;
	bool pretty;
	char *s;
	size_t len;
};

/* The different bodies kept for one wake-up; others are built each. */
#define DISP_LOG_BODIES 8

/*
 * Answer the long poll w (out of the list) of job j (NULL: gone), whose
 * log holds count entries, with a body of bodies[0..*nbodies) if one was
 * built for the same page and format, else a new one, kept there if there
 * is room.  The same bytes disp_log_answer() would send.
 */
static void
disp_wait_answer(struct pogo_dispatcher *d, struct disp_wait *w,
    const struct pogo_store_job *j, uint32_t count,
    struct disp_log_body *bodies, size_t *nbodies)
{
	struct pogo_http_req *req = w->req;
	struct disp_log_body *b = NULL, one;
	uint32_t offset, max;
	bool pretty;
	size_t i;

	w->req = NULL;
	if (j == NULL)
		disp_error(d, req, 404, "no such job p%010llu",
		    (unsigned long long)w->job);
	else if (disp_req_page(d, req, 300, &offset, &max) &&
	    disp_format_ok(req, &pretty)) {
		for (i = 0; i < *nbodies && b == NULL; i++) {
			if (bodies[i].offset == offset &&
			    bodies[i].max == max && bodies[i].pretty == pretty)
				b = &bodies[i];
		}
		if (b == NULL) {
			b = *nbodies < DISP_LOG_BODIES ? &bodies[(*nbodies)++]
			                               : &one;
			b->offset = offset;
			b->max = max;
			b->pretty = pretty;
			b->s = disp_log_doc_print(
			    d, j, offset, max, count, pretty, &b->len);
		}
		disp_respond_text(req, 200, b->s, b->len);
		if (b == &one)
			free(one.s);
	}
	uv_close((uv_handle_t *)&w->timer, disp_wait_close_cb);
}

/* The commit of a new entry has happened: answer its long polls. */
static void
disp_log_commit_cb(struct pogo_store *st, int status, void *arg)
{
	struct pogo_dispatcher *d = ((struct disp_wait *)arg)->d;
	uint64_t job = ((struct disp_wait *)arg)->job;
	struct disp_wait *w, **pp, *ready = NULL;
	struct pogo_dispatcher_watch *x, *xnext;
	struct disp_log_body bodies[DISP_LOG_BODIES];
	struct pogo_store_job *j = NULL;
	uint32_t count = 0;
	size_t nbodies = 0, i;

	free(arg);
	/* Readers in this process first; fn may unwatch its own watch. */
	for (x = d->watches; x != NULL; x = xnext) {
		xnext = x->next;
		if (x->job == job)
			x->fn(d, job, x->arg);
	}
	/* Only the polls whose entry exists now, the oldest first (no
	 * read of the log's length without a poll on the job: pogo one
	 * has none, and came here after every commit). */
	for (w = d->waits; w != NULL && w->job != job; w = w->next)
		;
	if (w == NULL || pogo_store_log_length(d->store, job, &count) != 0)
		return;
	for (pp = &d->waits; (w = *pp) != NULL;) {
		if (w->job == job && w->offset < count) {
			*pp = w->next;
			w->next = ready;
			ready = w;
		} else
			pp = &w->next;
	}
	if (ready == NULL)
		return;
	/* The job, its counts and its entries are read once for them all. */
	if (pogo_store_job_get(d->store, job, &j) != 0)
		j = NULL;
	while ((w = ready) != NULL) {
		ready = w->next;
		disp_wait_answer(d, w, j, count, bodies, &nbodies);
	}
	for (i = 0; i < nbodies; i++)
		free(bodies[i].s);
	pogo_store_job_free(j);
}

void
pogo_dispatcher_log_appended(struct pogo_dispatcher *d, uint64_t job)
{
	struct disp_wait *w;
	struct disp_wait *key;
	struct pogo_dispatcher_watch *x;

	for (w = d->waits; w != NULL; w = w->next)
		if (w->job == job)
			break;
	for (x = d->watches; x != NULL && w == NULL; x = x->next)
		if (x->job == job)
			break;
	if (w == NULL && x == NULL)
		return;
	/* A plain carrier of (d, job), never linked or timed. */
	key = xcalloc(1, sizeof(*key));
	key->d = d;
	key->job = job;
	pogo_store_after_commit(d->store, disp_log_commit_cb, key);
}

/*
 * The component.
 */

/* The store's first failed commit (store.h opts.broken). */
static void
disp_store_broken_cb(struct pogo_store *st, int status, void *arg)
{
	disp_store_failed(arg);
}

/* Check one listen address against the loopback rule (SPEC 10.1). */
static int
disp_check_listen(const struct pogo_cfg *cfg, const char *what,
    const struct pogo_cfg_addr *a, struct sockaddr_storage *ss, char **cause)
{
	char *c = NULL;
	int r;

	if ((r = pogo_http_parse_addr(a->str, ss, &c)) != 0) {
		xasprintf(cause, "%s: %s", what, c);
		free(c);
		return r;
	}
	if ((r = pogo_http_check_loopback((struct sockaddr *)ss,
	         cfg->tls.cert[0] != '\0', cfg->insecure, &c)) != 0) {
		/* The address as configured, not as formatted back. */
		free(c);
		xasprintf(cause,
		    "refusing to listen on %s without TLS; use --insecure to "
		    "override",
		    a->str);
		return r;
	}
	return 0;
}

int
pogo_dispatcher_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    struct pogo_dispatcher **dp, char **cause)
{
	struct pogo_dispatcher *d = NULL;
	struct pogo_store_opts so = { 0 };
	struct pogo_http_config hc = { 0 };
	struct pogo_http_listen hl = { 0 };
	struct pogo_tls_opts to;
	struct pogo_tls *tls;
	struct sockaddr_storage control, worker, bound;
	char addr[64], *c = NULL;
	int r;

	*dp = NULL;
	*cause = NULL;
	/* An empty address: no such port (pair.h; never from a file). */
	if ((cfg->dispatcher.control_listen.str[0] != '\0' &&
	        (r = disp_check_listen(cfg, "dispatcher.control_listen",
	             &cfg->dispatcher.control_listen, &control, cause)) != 0) ||
	    (cfg->dispatcher.worker_listen.str[0] != '\0' &&
	        (r = disp_check_listen(cfg, "dispatcher.worker_listen",
	             &cfg->dispatcher.worker_listen, &worker, cause)) != 0))
		return r;
	/*
	 * TLS (SPEC 10.1): the control port wants the API server's
	 * certificate, of kind dispatcher.  Every item is checked now, so
	 * that a missing one stops start-up with its own message.
	 */
	if (pogo_tls_opts_from_cfg(&to, cfg)) {
		to.server = true;
		to.peer_kind = "dispatcher";
		if ((r = pogo_tls_new(&to, &tls, cause)) != 0)
			return r;
		pogo_tls_free(tls);
		hl.tls = &to;
	}
	d = xcalloc(1, sizeof(*d));
	d->loop = loop;
	d->sched_age = POGO_DISPATCHER_SCHED_AGE_MS;
	d->sched_bytes = POGO_DISPATCHER_SCHED_BYTES;
	d->cfg = cfg;
	if (gethostname(d->hostname, sizeof(d->hostname) - 1) != 0)
		pogo_strlcpy(d->hostname, "localhost", sizeof(d->hostname));
	if ((r = disp_load_workercert(d, cause)) != 0)
		goto out;
	so.state_dir = cfg->state_dir[0] != '\0' ? cfg->state_dir : NULL;
	so.broken = disp_store_broken_cb;
	so.broken_arg = d;
	if ((r = pogo_store_open(loop, &so, &d->store, cause)) != 0)
		goto out;
	hc.routes = disp_routes;
	hc.nroutes = POGO_NELEM(disp_routes);
	hc.unknown = disp_unknown;
	hc.arg = d;
	if ((r = pogo_http_server_new(loop, &hc, &d->http)) != 0) {
		xasprintf(cause, "control port: %s", pogo_strerror(r));
		goto out;
	}
	hl.addr = (struct sockaddr *)&control;
	hl.insecure = cfg->insecure;
	if (cfg->dispatcher.control_listen.str[0] == '\0')
		log_debug("no control port");
	else if ((r = pogo_http_server_listen(d->http, &hl, &c)) != 0) {
		xasprintf(cause, "control port %s: %s",
		    cfg->dispatcher.control_listen.str,
		    c != NULL ? c : pogo_strerror(r));
		goto out;
	} else {
		pogo_http_server_address(d->http, &bound);
		pogo_http_format_addr(
		    (struct sockaddr *)&bound, addr, sizeof(addr));
		log_info("Listening on %s", addr);
	}
	/* Never keeps the loop alive; closed when d stops. */
	d->sched_timer = xcalloc(1, sizeof(*d->sched_timer));
	if ((r = uv_timer_init(loop, d->sched_timer)) != 0)
		POGO_BUG("uv_timer_init: %s", uv_strerror(r));
	d->sched_timer->data = d;
	uv_unref((uv_handle_t *)d->sched_timer);
	*dp = d;
	d = NULL;
	r = 0;
out:
	free(c);
	if (d != NULL) {
		/* Nothing has run on the loop: close what was opened. */
		if (d->http != NULL)
			pogo_http_server_close(d->http, NULL, NULL);
		if (d->store != NULL)
			pogo_store_close(d->store, NULL, NULL);
		pogo_box_cert_release(&d->wcert);
		free(d);
	}
	return r;
}

static void
disp_sched_timer_closed_cb(uv_handle_t *h)
{
	free(h);
}

static void
disp_store_closed_cb(void *arg)
{
	struct pogo_dispatcher *d = arg;
	void (*cb)(void *) = d->stop_cb;
	void *cbarg = d->stop_arg;
	struct pogo_dispatcher_watch *x;
	struct disp_sched *sched;

	while ((x = d->watches) != NULL) {
		d->watches = x->next;
		free(x);
	}
	/* Every request is answered: no schedule is being built. */
	while ((sched = d->scheds) != NULL) {
		d->scheds = sched->next;
		disp_sched_free(sched);
	}
	uv_close((uv_handle_t *)d->sched_timer, disp_sched_timer_closed_cb);
	log_debug("dispatcher stopped");
	pogo_box_cert_release(&d->wcert);
	free(d);
	if (cb != NULL)
		cb(cbarg);
}

static void
disp_peer_stopped_cb(void *arg)
{
	struct pogo_dispatcher *d = arg;

	pogo_store_close(d->store, disp_store_closed_cb, d);
}

static void
disp_engine_stopped_cb(void *arg)
{
	struct pogo_dispatcher *d = arg;

	if (d->peer != NULL && d->peer->stop != NULL)
		d->peer->stop(d, disp_peer_stopped_cb, d, d->peer_arg);
	else
		disp_peer_stopped_cb(d);
}

/* Every request is answered: stop the engine, the peers, the store. */
static void
disp_http_closed_cb(struct pogo_http_server *srv, int status, void *arg)
{
	struct pogo_dispatcher *d = arg;

	d->http = NULL;
	if (d->engine != NULL && d->engine->stop != NULL)
		d->engine->stop(d, disp_engine_stopped_cb, d, d->engine_arg);
	else
		disp_engine_stopped_cb(d);
}

void
pogo_dispatcher_stop(
    struct pogo_dispatcher *d, void (*cb)(void *arg), void *arg)
{
	POGO_ASSERT(!d->stopping);
	d->stopping = true;
	d->stop_cb = cb;
	d->stop_arg = arg;
	uv_timer_stop(d->sched_timer);
	/* Long polls answer now, with what the log holds. */
	while (d->waits != NULL)
		disp_wait_end(d->waits);
	pogo_http_server_close(d->http, disp_http_closed_cb, d);
}

void
pogo_dispatcher_set_engine(struct pogo_dispatcher *d,
    const struct pogo_dispatcher_engine *engine, void *arg)
{
	d->engine = engine;
	d->engine_arg = arg;
}

void
pogo_dispatcher_store_failed(struct pogo_dispatcher *d)
{
	disp_store_failed(d);
}

void
pogo_dispatcher_set_fatal(struct pogo_dispatcher *d,
    void (*cb)(struct pogo_dispatcher *d, void *arg), void *arg)
{
	d->fatal_cb = cb;
	d->fatal_arg = arg;
}

void
pogo_dispatcher_set_peer(struct pogo_dispatcher *d,
    const struct pogo_dispatcher_peer *peer, void *arg)
{
	d->peer = peer;
	d->peer_arg = arg;
}

struct pogo_store *
pogo_dispatcher_store(struct pogo_dispatcher *d)
{
	return d->store;
}

const struct pogo_cfg *
pogo_dispatcher_cfg(struct pogo_dispatcher *d)
{
	return d->cfg;
}

int
pogo_dispatcher_control_address(
    struct pogo_dispatcher *d, struct sockaddr_storage *ss)
{
	if (d->http == NULL)
		return UV_EINVAL;
	return pogo_http_server_address(d->http, ss);
}

int
pogo_dispatcher_worker_address(
    struct pogo_dispatcher *d, struct sockaddr_storage *ss)
{
	if (d->peer == NULL || d->peer->address == NULL)
		return UV_EINVAL;
	return d->peer->address(d, ss, d->peer_arg);
}

int
pogo_dispatcher_worker_link(struct pogo_dispatcher *d, uv_os_sock_t *sockp)
{
	if (d->stopping || d->peer == NULL || d->peer->link == NULL)
		return UV_ECANCELED;
	return d->peer->link(d, sockp, d->peer_arg);
}

struct pogo_dispatcher_watch *
pogo_dispatcher_watch(struct pogo_dispatcher *d, uint64_t job,
    pogo_dispatcher_watch_fn fn, void *arg)
{
	struct pogo_dispatcher_watch *x = xcalloc(1, sizeof(*x));

	x->job = job;
	x->fn = fn;
	x->arg = arg;
	x->next = d->watches;
	d->watches = x;
	return x;
}

void
pogo_dispatcher_unwatch(
    struct pogo_dispatcher *d, struct pogo_dispatcher_watch *x)
{
	struct pogo_dispatcher_watch **pp;

	for (pp = &d->watches; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			free(x);
			return;
		}
	}
}

int
pogo_dispatcher_job_halt(
    struct pogo_dispatcher *d, uint64_t job, const char *reason)
{
	if (d->stopping || d->engine == NULL || d->engine->halt == NULL)
		return POGO_ERR_NOTIMPL;
	return d->engine->halt(d, job, reason, d->engine_arg);
}

int
pogo_dispatcher_job_kill(struct pogo_dispatcher *d, uint64_t job)
{
	if (d->stopping || d->engine == NULL || d->engine->kill == NULL)
		return POGO_ERR_NOTIMPL;
	return d->engine->kill(d, job, d->engine_arg);
}
