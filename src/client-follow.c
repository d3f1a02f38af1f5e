/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo submit --follow (client-follow.h): the job's log, page by page
 * and then by long poll, fed to the follower of pogo one.
 */
#include "pogo/compat.h"

#include <unistd.h>

#include "pogo/client-follow.h"
#include "pogo/client.h"
#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/follow.h"
#include "pogo/json.h"
#include "pogo/xmalloc.h"

#define CF_PAGE 100
#define CF_WAIT_S 25
/* Output queued for a slow reader beyond this: as pogo one. */
#define CF_SINK_HIGH (4 * 1024 * 1024)

struct cf {
	uv_loop_t *loop;
	struct pogo_client *poll; /* the log's requests */
	struct pogo_client *ops;  /* jobhalt, beside a long poll */
	struct pogo_follow *follow;
	const char *jobid;
	long long offset;
	bool waited;   /* the last request had wait= */
	uint64_t sent; /* uv_hrtime() of the last request */
	uv_timer_t pause;
	bool stopped; /* the second Ctrl-C */
	bool done;
	int exitcode;
};

static void cf_next(struct cf *cf, bool wait);

static bool
cf_active(const char *state)
{
	return state != NULL &&
	    (strcmp(state, "gathering") == 0 || strcmp(state, "running") == 0);
}

/* The end: the summary, the follower closed (stdout, then stderr). */
static void
cf_finish(struct cf *cf, int exitcode)
{
	int r;

	if (cf->done)
		return;
	cf->done = true;
	r = pogo_follow_finish(cf->follow, NULL);
	cf->exitcode = exitcode >= 0 ? exitcode : r;
	pogo_follow_close(cf->follow, NULL, NULL);
	uv_close((uv_handle_t *)&cf->pause, NULL);
}

static void
cf_pause_cb(uv_timer_t *t)
{
	struct cf *cf = t->data;

	if (!cf->done)
		cf_next(cf, true);
}

static void
cf_log_cb(int err, const char *cause, int status, const char *body, size_t len,
    void *arg)
{
	struct cf *cf = arg;
	struct pogo_json *doc = NULL;
	const struct pogo_json *resp, *meta, *e;
	char *msg = NULL, *state = NULL;
	long long count, inflight;
	bool got = false;

	if (cf->done)
		return;
	if (cf->stopped) {
		cf_finish(cf, POGO_EXIT_FAIL);
		return;
	}
	if (err != 0) {
		fprintf(stderr, "pogo submit: cannot follow job %s: %s\n",
		    cf->jobid, cause);
		cf_finish(cf, POGO_EXIT_NOJOB);
		return;
	}
	if (status == 503 && cf->waited) {
		/*
		 * pogo api already forwards api.max_long_polls long polls
		 * (Retry-After: 1), or is stopping: again in a second.
		 */
		uv_timer_start(&cf->pause, cf_pause_cb, 1000, 0);
		return;
	}
	if (pogo_client_envelope(status, body, len, &doc, &resp, &msg) != 0) {
		fprintf(stderr, "pogo submit: cannot follow job %s: %s\n",
		    cf->jobid, msg);
		free(msg);
		cf_finish(cf, POGO_EXIT_NOJOB);
		return;
	}
	for (e = pogo_json_first(pogo_json_get(resp, "joblog")); e != NULL;
	     e = pogo_json_next(e), cf->offset++) {
		/* A page that does not follow on (#9). */
		if (!pogo_client_log_next(e, cf->offset)) {
			fprintf(stderr,
			    "pogo submit: cannot follow job %s: the API "
			    "answered log entries out of order\n",
			    cf->jobid);
			cf_finish(cf, POGO_EXIT_NOJOB);
			goto out;
		}
		(void)pogo_follow_entry_json(cf->follow, e);
		got = true;
	}
	meta = pogo_json_get(doc, "meta");
	/* Clamped: the API's numbers (review3 15). */
	count = pogo_client_ll(pogo_json_get(meta, "count"));
	inflight = pogo_client_ll(pogo_json_get(meta, "in_flight"));
	state = pogo_json_string(pogo_json_get(meta, "state"), NULL);
	if (cf->offset < count && got) {
		cf_next(cf, false);
		goto out;
	}
	if (!cf_active(state) && inflight == 0 && cf->offset >= count) {
		cf_finish(cf, -1);
		goto out;
	}
	/* A server without the long poll answered at once: a pause. */
	if (cf->waited && !got && uv_hrtime() - cf->sent < 500000000ULL)
		uv_timer_start(&cf->pause, cf_pause_cb, 1000, 0);
	else
		cf_next(cf, true);
out:
	free(state);
	pogo_json_free(doc);
}

static void
cf_next(struct cf *cf, bool wait)
{
	char *target = NULL;

	xasprintf(&target, "/v1/jobs/%s/log?max=%d&offset=%lld%s", cf->jobid,
	    CF_PAGE, cf->offset, wait ? "&wait=25" : "");
	cf->waited = wait;
	cf->sent = uv_hrtime();
	pogo_client_request(cf->poll, "GET", target, NULL,
	    (CF_WAIT_S + 30) * 1000ULL, cf_log_cb, cf);
	free(target);
}

static void
cf_halt_cb(int err, const char *cause, int status, const char *body, size_t len,
    void *arg)
{
	char *msg = NULL;
	struct pogo_json *doc = NULL;
	const struct pogo_json *resp;

	if (err != 0)
		fprintf(
		    stderr, "pogo submit: cannot halt the job: %s\n", cause);
	else if (pogo_client_envelope(status, body, len, &doc, &resp, &msg) !=
	    0) {
		fprintf(stderr, "pogo submit: cannot halt the job: %s\n", msg);
		free(msg);
	}
	pogo_json_free(doc);
}

/* The first Ctrl-C: halt the job, as pogo one does. */
static void
cf_halt(void *arg)
{
	struct cf *cf = arg;
	char *target = NULL;

	xasprintf(&target, "/v1/jobs/%s", cf->jobid);
	pogo_client_request(cf->ops, "POST", target,
	    "command=jobhalt&reason=halted%20by%20user", 0, cf_halt_cb, cf);
	free(target);
}

/* The second: stop following (the job stays halted). */
static void
cf_stop(void *arg)
{
	struct cf *cf = arg;

	cf->stopped = true;
	pogo_client_cancel(cf->poll);
	if (!cf->done)
		cf_finish(cf, POGO_EXIT_FAIL);
}

static const struct pogo_follow_source cf_source = {
	.halt = cf_halt,
	.stop = cf_stop,
	.pause = NULL,
};

int
pogo_client_follow(uv_loop_t *loop, const struct pogo_client_opts *o,
    const char *jobid, uint32_t nhosts, bool json)
{
	struct pogo_follow_opts fopts;
	struct cf cf;
	char *cause = NULL;

	memset(&cf, 0, sizeof(cf));
	cf.loop = loop;
	cf.jobid = jobid;
	if (pogo_client_new(loop, o, &cf.poll, &cause) != 0 ||
	    pogo_client_new(loop, o, &cf.ops, &cause) != 0) {
		fprintf(stderr, "pogo submit: %s\n", cause);
		free(cause);
		pogo_client_free(cf.poll);
		uv_run(loop, UV_RUN_DEFAULT);
		return POGO_EXIT_NOJOB;
	}
	uv_timer_init(loop, &cf.pause);
	cf.pause.data = &cf;
	memset(&fopts, 0, sizeof(fopts));
	fopts.prog = "pogo submit";
	fopts.job = jobid;
	fopts.nhosts = nhosts;
	fopts.out_fd = STDOUT_FILENO;
	fopts.err_fd = STDERR_FILENO;
	fopts.json = json;
	fopts.progress = !json && isatty(STDERR_FILENO);
	fopts.signals = true;
	fopts.high = CF_SINK_HIGH;
	cf.follow = pogo_follow_new(loop, &fopts, &cf_source, &cf);
	pogo_follow_start(cf.follow);
	cf_next(&cf, false);
	uv_run(loop, UV_RUN_DEFAULT);
	pogo_client_free(cf.poll);
	pogo_client_free(cf.ops);
	uv_run(loop, UV_RUN_DEFAULT);
	return cf.exitcode;
}
