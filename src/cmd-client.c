/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The client commands of SPEC 12.5: pogo ping, jobs, status, log, output,
 * halt, resume, retry and skip, and pogo submit (SPEC 12.4).  Each reads the client configuration
 * (client.h), takes the common client options, asks the API with
 * pogo_client_call() and prints the answer in the exact forms of 12.5,
 * or with --json the API's data as JSON.
 */
#include "pogo/compat.h"

#include <getopt.h>
#include <pwd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "pogo/client-follow.h"
#include "pogo/client-secrets.h"
#include "pogo/client.h"
#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/json.h"
#include "pogo/range.h"
#include "pogo/str.h"
#include "pogo/target.h"
#include "pogo/tls.h"
#include "pogo/version.h"
#include "pogo/xmalloc.h"

/* Long options common to every client command. */
enum {
	CL_API = 300,
	CL_CA,
	CL_CERT,
	CL_KEY,
	CL_TOKEN_FILE,
	CL_WORKER_CERT,
	CL_JSON,
	CL_ALL,
	CL_RUN,
	CL_REASON,
};

#define CL_COMMON_LONGOPTS                                              \
	{ "api", required_argument, NULL, CL_API },                     \
	    { "ca", required_argument, NULL, CL_CA },                   \
	    { "cert", required_argument, NULL, CL_CERT },               \
	    { "key", required_argument, NULL, CL_KEY },                 \
	    { "token-file", required_argument, NULL, CL_TOKEN_FILE },   \
	    { "worker-cert", required_argument, NULL, CL_WORKER_CERT }, \
	    { "json", no_argument, NULL, CL_JSON },                     \
	{                                                               \
		"verbose", no_argument, NULL, 'v'                       \
	}

#define CL_PAGE_LOG 100
#define CL_PAGE_HOSTS 500
#define CL_PAGE_OUTPUT 500
#define CL_WAIT_S 25 /* the wait= of the log's long poll */
/* A refused connection is tried again for this long (client.h). */
#define CL_REFUSED_RETRY_MS 5000

/* One client command run. */
struct cl {
	const struct pogo_cmd *cmd;
	struct pogo_client_cfg cfg;
	uv_loop_t loop;
	bool loop_ok;
	struct pogo_client *c;
	struct pogo_client_opts opts; /* c's, for more connections */
	bool json;
	int verbose;
	uint64_t t0; /* uv_hrtime() at the start */
};

static int
cl_usage(struct cl *cl)
{
	pogo_cmd_usage(cl->cmd, stderr);
	return POGO_EXIT_USAGE;
}

/* Handle a common option; true if c was one. */
static bool
cl_option(struct cl *cl, int c, const char *arg)
{
	switch (c) {
	case CL_API:
		pogo_client_cfg_set(&cl->cfg.api, arg);
		return true;
	case CL_CA:
		pogo_client_cfg_set(&cl->cfg.ca, arg);
		return true;
	case CL_CERT:
		pogo_client_cfg_set(&cl->cfg.cert, arg);
		return true;
	case CL_KEY:
		pogo_client_cfg_set(&cl->cfg.key, arg);
		return true;
	case CL_TOKEN_FILE:
		pogo_client_cfg_set(&cl->cfg.token_file, arg);
		return true;
	case CL_WORKER_CERT:
		pogo_client_cfg_set(&cl->cfg.worker_cert, arg);
		return true;
	case CL_JSON:
		cl->json = true;
		return true;
	case 'v':
		cl->verbose++;
		return true;
	}
	return false;
}

/* Read the configuration before the options override it. */
static int
cl_init(struct cl *cl, const struct pogo_cmd *cmd)
{
	char *cause = NULL;

	memset(cl, 0, sizeof(*cl));
	cl->cmd = cmd;
	cl->t0 = uv_hrtime();
	if (pogo_client_cfg_load(&cl->cfg, &cause) != 0) {
		fprintf(stderr, "pogo %s: %s\n", cmd->name, cause);
		free(cause);
		return POGO_EXIT_USAGE;
	}
	return POGO_EXIT_OK;
}

/* After the options: the token, the loop and the client. */
static int
cl_connect(struct cl *cl)
{
	struct pogo_client_opts o;
	const char *e;
	char *cause = NULL;

	if (cl->cfg.api == NULL)
		pogo_client_cfg_set(&cl->cfg.api, "http://127.0.0.1:7657");
	if (pogo_client_cfg_token(&cl->cfg, &cause) != 0)
		goto bad;
	memset(&o, 0, sizeof(o));
	o.api = cl->cfg.api;
	o.ca = cl->cfg.ca;
	o.cert = cl->cfg.cert;
	o.key = cl->cfg.key;
	o.token = cl->cfg.token;
	o.insecure =
	    (e = getenv("POGO_INSECURE")) != NULL && strcmp(e, "1") == 0;
	/* ping reports what it finds at once; the others wait a moment. */
	if (cl->cmd != &pogo_cmd_ping)
		o.refused_retry_ms = CL_REFUSED_RETRY_MS;
	cl->opts = o;
	if (uv_loop_init(&cl->loop) != 0) {
		fprintf(stderr, "pogo %s: cannot start the event loop\n",
		    cl->cmd->name);
		return POGO_EXIT_FAIL;
	}
	cl->loop_ok = true;
	if (pogo_client_new(&cl->loop, &o, &cl->c, &cause) != 0)
		goto bad;
	return POGO_EXIT_OK;
bad:
	fprintf(stderr, "pogo %s: %s\n", cl->cmd->name, cause);
	free(cause);
	return POGO_EXIT_USAGE;
}

static int
cl_done(struct cl *cl, int rc)
{
	pogo_client_free(cl->c);
	if (cl->loop_ok) {
		uv_run(&cl->loop, UV_RUN_DEFAULT);
		uv_loop_close(&cl->loop);
	}
	pogo_client_cfg_release(&cl->cfg);
	fflush(stdout);
	return rc;
}

/* An API call; on failure prints "pogo <cmd>: <error>" and returns 1. */
static int
cl_call(struct cl *cl, const char *method, const char *target, const char *body,
    uint64_t timeout_ms, struct pogo_json **docp,
    const struct pogo_json **respp)
{
	char *err = NULL;

	if (pogo_client_call(cl->c, method, target, body, timeout_ms, docp,
	        respp, NULL, &err) != 0) {
		fprintf(stderr, "pogo %s: %s\n", cl->cmd->name, err);
		free(err);
		return POGO_EXIT_FAIL;
	}
	return POGO_EXIT_OK;
}

/*
 * The secret fields of -p and -i (client-secrets.h) appended to *bodyp;
 * on failure prints "pogo <cmd>: <why>" and returns the exit status.
 */
static int
cl_secrets(struct cl *cl, bool password, const char *identity, char **bodyp)
{
	struct pogo_client_secrets_opts o;
	char *cause = NULL;
	int r;

	memset(&o, 0, sizeof(o));
	o.password = password;
	o.identity = identity;
	o.worker_cert = cl->cfg.worker_cert;
	o.ca = cl->cfg.ca;
	if ((r = pogo_client_secrets_add(cl->c, &o, bodyp, &cause)) == 0)
		return POGO_EXIT_OK;
	fprintf(stderr, "pogo %s: %s\n", cl->cmd->name, cause);
	free(cause);
	return r == POGO_ERR_CONFIG ? POGO_EXIT_USAGE : POGO_EXIT_FAIL;
}

static void
cl_print_json(const struct pogo_json *v)
{
	size_t len;
	char *s = pogo_json_print_value(v, &len);

	fwrite(s, 1, len, stdout);
	free(s);
}

/* A JSON string of key (a host name) on stdout. */
static void
cl_print_key(const char *key)
{
	struct pogo_json *o = pogo_json_new_object();
	size_t len;
	char *s;

	pogo_json_add_string(o, "k", key);
	s = pogo_json_print_line(o, &len);
	/* {"k":"..."}\n: the string is from offset 5 to the '}'. */
	fwrite(s + 5, 1, len - 7, stdout);
	free(s);
}

/* A string member, or "" (owned by the caller). */
static char *
cl_str(const struct pogo_json *o, const char *key)
{
	char *s = pogo_json_string(pogo_json_get(o, key), NULL);

	return s != NULL ? s : xstrdup("");
}

/* A value as text: strings as they are, lists comma-joined, null "". */
static char *
cl_text(const struct pogo_json *v)
{
	const struct pogo_json *e;
	char *s, *t, *all = NULL;
	size_t len;
	double d;

	switch (pogo_json_kind(v)) {
	case POGO_JSON_NONE:
	case POGO_JSON_NULL:
		return xstrdup("");
	case POGO_JSON_BOOL:
		return xstrdup(pogo_json_bool(v) ? "true" : "false");
	case POGO_JSON_NUMBER:
		d = pogo_json_number(v);
		if (d >= -4611686018427387904.0 && d <= 4611686018427387904.0 &&
		    d == (double)(long long)d)
			xasprintf(&s, "%lld", (long long)d);
		else
			xasprintf(&s, "%.6f", d);
		return s;
	case POGO_JSON_STRING:
		return pogo_json_string(v, NULL);
	case POGO_JSON_ARRAY:
		for (e = pogo_json_first(v); e != NULL; e = pogo_json_next(e)) {
			s = cl_text(e);
			if (all == NULL)
				all = s;
			else {
				xasprintf(&t, "%s,%s", all, s);
				free(all);
				free(s);
				all = t;
			}
		}
		return all != NULL ? all : xstrdup("");
	case POGO_JSON_OBJECT:
		s = pogo_json_print_value(v, &len);
		s[len - 1] = '\0';
		return s;
	}
	return xstrdup("");
}

/* The local user name. */
static char *
cl_local_user(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = getenv("USER");

	if (pw != NULL && pw->pw_name != NULL)
		return xstrdup(pw->pw_name);
	return xstrdup(u != NULL ? u : "nobody");
}

/* The authenticated user (GET /v1/whoami), else the local user name. */
static int
cl_user(struct cl *cl, char **userp)
{
	struct pogo_json *doc;
	const struct pogo_json *resp;
	char *u;

	if (cl_call(cl, "GET", "/v1/whoami", NULL, 0, &doc, &resp) != 0)
		return POGO_EXIT_FAIL;
	u = pogo_json_string(pogo_json_get(resp, "user"), NULL);
	pogo_json_free(doc);
	*userp = u != NULL ? u : cl_local_user();
	return POGO_EXIT_OK;
}

/* A job argument to its id (SPEC 5.2), "last" through the API. */
static int
cl_jobid(struct cl *cl, const char *arg, char *out, size_t len)
{
	struct pogo_json *doc;
	const struct pogo_json *resp;
	char *user, *path = NULL, *id;
	int rc;

	if (strcmp(arg, "last") != 0) {
		if (pogo_client_jobid(arg, out, len) != 0) {
			fprintf(stderr, "pogo %s: invalid job id '%s'\n",
			    cl->cmd->name, arg);
			return POGO_EXIT_USAGE;
		}
		return POGO_EXIT_OK;
	}
	if ((rc = cl_user(cl, &user)) != 0)
		return rc;
	path = xstrdup("/v1/jobs/last/");
	pogo_client_urlenc(&path, user);
	free(user);
	rc = cl_call(cl, "GET", path, NULL, 0, &doc, &resp);
	free(path);
	if (rc != 0)
		return rc;
	/* Checked: it goes into the next requests' paths (review3 13). */
	id = cl_str(pogo_json_get(resp, "job"), "jobid");
	rc = POGO_EXIT_OK;
	if (id == NULL || pogo_client_jobid(id, out, len) != 0 ||
	    strcmp(id, out) != 0) {
		fprintf(stderr, "pogo %s: the API answered an invalid job id\n",
		    cl->cmd->name);
		rc = POGO_EXIT_FAIL;
	}
	free(id);
	pogo_json_free(doc);
	return rc;
}

/*
 * getopt_long over the command's own options plus the common ones;
 * returns the next option of the command's own, -1 at the end, '?' on a
 * usage error.
 */
static int
cl_getopt(struct cl *cl, int argc, char **argv, const char *shortopts,
    const struct option *own)
{
	static const struct option common[] = { CL_COMMON_LONGOPTS };
	struct option all[32];
	size_t n = 0, i;
	int c;

	for (i = 0; own != NULL && own[i].name != NULL; i++)
		all[n++] = own[i];
	for (i = 0; i < POGO_NELEM(common); i++)
		all[n++] = common[i];
	memset(&all[n], 0, sizeof(all[n]));
	while ((c = getopt_long(argc, argv, shortopts, all, NULL)) != -1) {
		if (c == '?' || c == ':')
			return '?';
		if (!cl_option(cl, c, optarg))
			return c;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* pogo ping */

static int cmd_ping_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_ping = {
	.name = "ping",
	.usage = "[client options] [--json]",
	.summary = "check that the API answers",
	.flags = POGO_CMD_LOOP,
	.main = cmd_ping_main,
};

static int
cmd_ping_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	struct pogo_json *doc = NULL, *o;
	const struct pogo_json *resp;
	struct cl cl;
	char *err = NULL, *pong = NULL, *s;
	uint64_t ms;
	size_t len;
	int rc;

	if ((rc = cl_init(&cl, &pogo_cmd_ping)) != 0)
		return rc;
	if (cl_getopt(&cl, argc, argv, "v", NULL) != -1 || optind != argc)
		return cl_done(&cl, cl_usage(&cl));
	if ((rc = cl_connect(&cl)) != 0)
		return cl_done(&cl, rc);
	rc = pogo_client_call(
	    cl.c, "GET", "/v1/ping", NULL, 0, &doc, &resp, NULL, &err);
	if (rc == 0) {
		pong = pogo_json_string(pogo_json_get(resp, "ping"), NULL);
		if (pong == NULL || strcmp(pong, "pong") != 0) {
			err = xstrdup("the answer is not pong");
			rc = POGO_ERR_PROTOCOL;
		}
	}
	ms = (uv_hrtime() - cl.t0) / 1000000;
	if (cl.json) {
		o = pogo_json_new_object();
		pogo_json_add_string(o, "api", pogo_client_api(cl.c));
		pogo_json_add_bool(o, "ok", rc == 0);
		pogo_json_add_number(o, "ms", (double)ms);
		if (rc != 0)
			pogo_json_add_string(o, "error", err);
		s = pogo_json_print_line(o, &len);
		fwrite(s, 1, len, stdout);
		free(s);
	} else if (rc == 0)
		printf("OK %s %llums\n", pogo_client_api(cl.c),
		    (unsigned long long)ms);
	else
		printf("ERROR %s: %s\n", pogo_client_api(cl.c), err);
	free(pong);
	free(err);
	pogo_json_free(doc);
	return cl_done(&cl, rc == 0 ? POGO_EXIT_OK : POGO_EXIT_FAIL);
}

/* ------------------------------------------------------------------ */
/* pogo jobs */

static int cmd_jobs_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_jobs = {
	.name = "jobs",
	.usage = "[client options] [-U|--user USER] [--all] [-L|--limit N] "
	         "[--json]",
	.summary = "list jobs",
	.flags = POGO_CMD_LOOP,
	.main = cmd_jobs_main,
};

static int
cmd_jobs_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option own[] = {
		{ "user", required_argument, NULL, 'U' },
		{ "all", no_argument, NULL, CL_ALL },
		{ "limit", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	const struct pogo_json *resp, *jobs, *j, **v = NULL;
	struct pogo_json *doc = NULL;
	char *user = NULL, *path = NULL, *id, *u, *cmd, *quoted, *s;
	long long limit = 50;
	size_t n = 0, i, len;
	bool all = false;
	struct cl cl;
	int c, rc;

	if ((rc = cl_init(&cl, &pogo_cmd_jobs)) != 0)
		return rc;
	while ((c = cl_getopt(&cl, argc, argv, "U:L:v", own)) != -1) {
		switch (c) {
		case 'U':
			free(user);
			user = xstrdup(optarg);
			break;
		case CL_ALL:
			all = true;
			break;
		case 'L':
			if (pogo_strtonum(optarg, 1, 1000000, &limit) != 0)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((rc = cl_connect(&cl)) != 0)
		goto out;
	if (!all && user == NULL && (rc = cl_user(&cl, &user)) != 0)
		goto out;
	xasprintf(&path, "/v1/jobs?max=%lld", limit);
	if (!all) {
		s = path;
		xasprintf(&path, "%s&user=", s);
		free(s);
		pogo_client_urlenc(&path, user);
	}
	if ((rc = cl_call(&cl, "GET", path, NULL, 0, &doc, &resp)) != 0)
		goto out;
	jobs = pogo_json_get(resp, "jobs");
	for (j = pogo_json_first(jobs); j != NULL; j = pogo_json_next(j)) {
		v = xreallocarray(v, n + 1, sizeof(*v));
		v[n++] = j;
	}
	if (cl.json) {
		printf("[");
		for (i = n; i-- > 0;) {
			s = pogo_json_print_value(v[i], &len);
			s[len - 1] = '\0';
			printf("%s%s", i + 1 == n ? "" : ",", s);
			free(s);
		}
		printf("]\n");
		goto out;
	}
	printf("Job ID      User     Command\n");
	for (i = n; i-- > 0;) {
		id = cl_str(v[i], "jobid");
		u = cl_str(v[i], "user");
		cmd = cl_str(v[i], "command");
		xasprintf(&quoted, "'%s'", cmd);
		printf("%-11.11s %-8.8s %.56s\n", id, u, quoted);
		free(quoted);
		free(id);
		free(u);
		free(cmd);
	}
	goto out;
usage:
	rc = cl_usage(&cl);
out:
	free(v);
	pogo_json_free(doc);
	free(path);
	free(user);
	return cl_done(&cl, rc);
}

/* ------------------------------------------------------------------ */
/* pogo status */

static int cmd_status_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_status = {
	.name = "status",
	.usage = "[client options] JOB [-h|--target PATTERN] "
	         "[-s|--status STATE] [-v] [--json]",
	.summary = "show a job and the state of its hosts",
	.flags = POGO_CMD_LOOP | POGO_CMD_OWN_H,
	.main = cmd_status_main,
};

static int
cl_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is host one of the sorted names of set (or set NULL)? */
static bool
cl_in_set(const struct pogo_strv *set, const char *host)
{
	if (set == NULL)
		return true;
	return bsearch(&host, set->v, set->n, sizeof(*set->v), cl_strcmp) !=
	    NULL;
}

/* Expand a range pattern into a sorted set; 0 or a usage error. */
static int
cl_pattern(struct cl *cl, const char *pattern, struct pogo_strv *set)
{
	char *cause = NULL;

	if (pogo_range_expand(pattern, 0, set, &cause) != 0) {
		fprintf(stderr, "pogo %s: %s\n", cl->cmd->name, cause);
		free(cause);
		return POGO_EXIT_USAGE;
	}
	qsort(set->v, set->n, sizeof(*set->v), cl_strcmp);
	return POGO_EXIT_OK;
}

static int
cmd_status_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option own[] = {
		{ "target", required_argument, NULL, 'h' },
		{ "status", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *keys[] = { "job id", "user", "command",
		"invoked as" };
	static const char *fields[] = { "jobid", "user", "command",
		"invoked_as" };
	struct pogo_strv set = { 0 }, names = { 0 }, vals = { 0 };
	const struct pogo_json *resp, *job, *hosts, *h, *m;
	struct pogo_json *doc = NULL, *hdoc = NULL;
	const char *pattern = NULL, *state = NULL;
	char id[32], *path = NULL, *s, *st;
	long long count, offset = 0, nhosts;
	size_t i, w = 5;
	bool first = true, counted;
	struct cl cl;
	int c, rc;

	if ((rc = cl_init(&cl, &pogo_cmd_status)) != 0)
		return rc;
	while ((c = cl_getopt(&cl, argc, argv, "h:s:v", own)) != -1) {
		switch (c) {
		case 'h':
			pattern = optarg;
			break;
		case 's':
			state = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc)
		goto usage;
	if (pattern != NULL && (rc = cl_pattern(&cl, pattern, &set)) != 0)
		goto out;
	if ((rc = cl_connect(&cl)) != 0 ||
	    (rc = cl_jobid(&cl, argv[optind], id, sizeof(id))) != 0)
		goto out;
	xasprintf(&path, "/v1/jobs/%s", id);
	if ((rc = cl_call(&cl, "GET", path, NULL, 0, &doc, &resp)) != 0)
		goto out;
	job = pogo_json_get(resp, "job");
	if (cl.verbose > 0) {
		for (m = pogo_json_first(job); m != NULL; m = pogo_json_next(m))
			pogo_strv_push(&names, pogo_json_key(m));
		qsort(names.v, names.n, sizeof(*names.v), cl_strcmp);
		for (i = 0; i < names.n; i++)
			pogo_strv_take(
			    &vals, cl_text(pogo_json_get(job, names.v[i])));
	} else {
		for (i = 0; i < POGO_NELEM(keys); i++) {
			pogo_strv_push(&names, keys[i]);
			pogo_strv_take(&vals, cl_str(job, fields[i]));
		}
	}
	pogo_strv_push(&names, "job status");
	pogo_strv_take(&vals, cl_str(job, "state"));
	for (i = 0; i < names.n; i++)
		if (strlen(names.v[i]) > w)
			w = strlen(names.v[i]);
	if (!cl.json)
		for (i = 0; i < names.n; i++)
			printf(" %*s: %s\n", (int)w, names.v[i], vals.v[i]);
	else {
		printf("{\"job\":");
		s = pogo_json_print_value(job, &i);
		s[i - 1] = '\0';
		printf("%s,\"hosts\":{", s);
		free(s);
	}
	/*
	 * The hosts, page by page, in ascending order: no more than the
	 * job's host_count (at most POGO_TARGET_MAX_HOSTS), whatever the
	 * API's count says (a count that never ends, #9).
	 */
	nhosts = pogo_client_ll(pogo_json_get(job, "host_count"));
	counted = nhosts > 0 && nhosts <= POGO_TARGET_MAX_HOSTS;
	if (!counted)
		nhosts = POGO_TARGET_MAX_HOSTS;
	for (c = 0;; c++) {
		free(path);
		xasprintf(&path, "/v1/jobs/%s/hosts?max=%d&offset=%lld", id,
		    CL_PAGE_HOSTS, offset);
		if (state != NULL) {
			s = path;
			xasprintf(&path, "%s&state=", s);
			free(s);
			pogo_client_urlenc(&path, state);
		}
		pogo_json_free(hdoc);
		hdoc = NULL;
		if ((rc = cl_call(&cl, "GET", path, NULL, 0, &hdoc, &resp)) !=
		    0)
			goto out;
		hosts = pogo_json_get(resp, "hosts");
		count = pogo_client_ll(
		    pogo_json_get(pogo_json_get(hdoc, "meta"), "count"));
		for (h = pogo_json_first(hosts); h != NULL;
		     h = pogo_json_next(h), offset++) {
			if (!cl_in_set(pattern != NULL ? &set : NULL,
			        pogo_json_key(h)))
				continue;
			if (cl.json) {
				s = pogo_json_print_value(h, &i);
				s[i - 1] = '\0';
				printf("%s", first ? "" : ",");
				cl_print_key(pogo_json_key(h));
				printf(":%s", s);
				first = false;
				free(s);
				continue;
			}
			st = cl_str(h, "state");
			printf("  %s => %s\n", pogo_json_key(h), st);
			free(st);
		}
		if (pogo_json_first(hosts) == NULL || offset >= count)
			break;
		if (offset >= nhosts) {
			fflush(stdout);
			fprintf(stderr,
			    counted ? "pogo status: the API answered more "
			              "hosts than the job's %lld\n"
			            : "pogo status: the API answered more "
			              "than %lld hosts\n",
			    nhosts);
			rc = POGO_EXIT_FAIL;
			goto out;
		}
	}
	if (cl.json)
		printf("}}\n");
	goto out;
usage:
	rc = cl_usage(&cl);
out:
	pogo_strv_clear(&set);
	pogo_strv_clear(&names);
	pogo_strv_clear(&vals);
	pogo_json_free(doc);
	pogo_json_free(hdoc);
	free(path);
	return cl_done(&cl, rc);
}

/* ------------------------------------------------------------------ */
/* pogo log */

static int cmd_log_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_log = {
	.name = "log",
	.usage = "[client options] JOB [PATTERN] [-f|--tail] [-v] [--json]",
	.summary = "print a job's log, or follow it",
	.flags = POGO_CMD_LOOP,
	.main = cmd_log_main,
};

static void
cl_pause_cb(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

static void
cl_pause_closed(uv_handle_t *h)
{
	free(h);
}

/*
 * GET a page of the log (a long poll when wait): false with *rc (0 with
 * *docp and *respp, or the exit status after the message), or true for a
 * long poll answered 503, to be sent again a second later: pogo api
 * already forwards api.max_long_polls of them (Retry-After: 1), or is
 * stopping (the next try finds it back, or fails to connect).
 */
static bool
cl_log_get(struct cl *cl, const char *path, bool wait, struct pogo_json **docp,
    const struct pogo_json **respp, int *rc)
{
	char *err = NULL;
	int status = 0;

	*rc = POGO_EXIT_OK;
	if (pogo_client_call(cl->c, "GET", path, NULL,
	        (CL_WAIT_S + 30) * 1000ULL, docp, respp, &status, &err) == 0)
		return false;
	if (wait && status == 503) {
		free(err);
		return true;
	}
	fprintf(stderr, "pogo %s: %s\n", cl->cmd->name, err);
	free(err);
	*rc = POGO_EXIT_FAIL;
	return false;
}

/* Let ms pass on the loop (a long poll the server answered at once). */
static void
cl_pause(struct cl *cl, uint64_t ms)
{
	uv_timer_t *t = xcalloc(1, sizeof(*t));
	bool fired = false;

	uv_timer_init(&cl->loop, t);
	t->data = &fired;
	uv_timer_start(t, cl_pause_cb, ms, 0);
	while (!fired)
		uv_run(&cl->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)t, cl_pause_closed);
}

static void
cl_log_entry(
    struct cl *cl, const struct pogo_json *e, const struct pogo_strv *set)
{
	const struct pogo_json *m;
	struct pogo_strv keys = { 0 };
	char tbuf[64], *type, *host, *msg, *v;
	struct tm tm;
	time_t t;
	size_t i;

	host = pogo_json_string(pogo_json_get(e, "host"), NULL);
	if (host != NULL && set != NULL && !cl_in_set(set, host)) {
		free(host);
		return;
	}
	if (cl->json) {
		cl_print_json(e);
		free(host);
		return;
	}
	t = (time_t)pogo_client_ll(pogo_json_get(e, "time"));
	if (localtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	strftime(tbuf, sizeof(tbuf), "%b %e %H:%M:%S UTC%z", &tm);
	if (host != NULL)
		xasprintf(&type, "host/%s", host);
	else
		type = xstrdup("job");
	msg = cl_str(e, "message");
	printf("%-24s %s => %s\n", tbuf, type, msg);
	if (cl->verbose > 0) {
		for (m = pogo_json_first(e); m != NULL; m = pogo_json_next(m)) {
			if (strcmp(pogo_json_key(m), "index") == 0 ||
			    strcmp(pogo_json_key(m), "time") == 0 ||
			    strcmp(pogo_json_key(m), "type") == 0 ||
			    strcmp(pogo_json_key(m), "host") == 0 ||
			    strcmp(pogo_json_key(m), "message") == 0)
				continue;
			pogo_strv_push(&keys, pogo_json_key(m));
		}
		qsort(keys.v, keys.n, sizeof(*keys.v), cl_strcmp);
		for (i = 0; i < keys.n; i++) {
			v = cl_text(pogo_json_get(e, keys.v[i]));
			printf("%25s%s => %s\n", "", keys.v[i], v);
			free(v);
		}
		pogo_strv_clear(&keys);
	}
	fflush(stdout);
	free(msg);
	free(type);
	free(host);
}

static bool
cl_job_active(const char *state)
{
	return strcmp(state, "gathering") == 0 || strcmp(state, "running") == 0;
}

static int
cmd_log_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option own[] = {
		{ "tail", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const struct pogo_json *resp, *e, *meta;
	struct pogo_json *doc = NULL;
	struct pogo_strv set = { 0 };
	const char *pattern = NULL;
	char id[32], *path = NULL, *state;
	long long count, offset = 0, inflight;
	bool follow = false, got, active, wait = false, waited;
	uint64_t t;
	struct cl cl;
	int c, rc;

	if ((rc = cl_init(&cl, &pogo_cmd_log)) != 0)
		return rc;
	while ((c = cl_getopt(&cl, argc, argv, "fv", own)) != -1) {
		switch (c) {
		case 'f':
			follow = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc && optind + 2 != argc)
		goto usage;
	if (optind + 2 == argc) {
		pattern = argv[optind + 1];
		if ((rc = cl_pattern(&cl, pattern, &set)) != 0)
			goto out;
	}
	if ((rc = cl_connect(&cl)) != 0 ||
	    (rc = cl_jobid(&cl, argv[optind], id, sizeof(id))) != 0)
		goto out;
	for (;;) {
		free(path);
		xasprintf(&path, "/v1/jobs/%s/log?max=%d&offset=%lld%s", id,
		    CL_PAGE_LOG, offset, wait ? "&wait=25" : "");
		t = uv_hrtime();
		pogo_json_free(doc);
		doc = NULL;
		if (cl_log_get(&cl, path, wait, &doc, &resp, &rc)) {
			cl_pause(&cl, 1000);
			continue;
		}
		if (rc != 0)
			goto out;
		got = false;
		for (e = pogo_json_first(pogo_json_get(resp, "joblog"));
		     e != NULL; e = pogo_json_next(e), offset++) {
			/* A page that does not follow on (#9). */
			if (!pogo_client_log_next(e, offset)) {
				fflush(stdout);
				fprintf(stderr,
				    "pogo log: the API answered log entries "
				    "out of order\n");
				rc = POGO_EXIT_FAIL;
				goto out;
			}
			cl_log_entry(&cl, e, pattern != NULL ? &set : NULL);
			got = true;
		}
		meta = pogo_json_get(doc, "meta");
		count = pogo_client_ll(pogo_json_get(meta, "count"));
		waited = wait;
		wait = false;
		if (offset < count && got)
			continue;
		if (!follow)
			break;
		state = cl_str(meta, "state");
		inflight = pogo_client_ll(pogo_json_get(meta, "in_flight"));
		active = cl_job_active(state) || inflight > 0;
		free(state);
		if (!active && offset >= count)
			break;
		/* A server without the long poll answered at once. */
		if (waited && !got && uv_hrtime() - t < 500000000ULL)
			cl_pause(&cl, 1000);
		wait = true;
	}
	goto out;
usage:
	rc = cl_usage(&cl);
out:
	pogo_strv_clear(&set);
	pogo_json_free(doc);
	free(path);
	return cl_done(&cl, rc);
}

/* ------------------------------------------------------------------ */
/* pogo output */

static int cmd_output_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_output = {
	.name = "output",
	.usage = "[client options] JOB HOST [--run N] [--json]",
	.summary = "print the output of one host's run",
	.flags = POGO_CMD_LOOP,
	.main = cmd_output_main,
};

static int
cmd_output_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option own[] = {
		{ "run", required_argument, NULL, CL_RUN },
		{ NULL, 0, NULL, 0 },
	};
	const struct pogo_json *resp, *r;
	struct pogo_json *doc = NULL;
	char id[32], *path = NULL, *type, *data, *s;
	long long run = -1, offset = 0, count;
	size_t len;
	struct cl cl;
	int c, rc;

	if ((rc = cl_init(&cl, &pogo_cmd_output)) != 0)
		return rc;
	while ((c = cl_getopt(&cl, argc, argv, "v", own)) != -1) {
		switch (c) {
		case CL_RUN:
			if (pogo_strtonum(optarg, 0, 1000000000, &run) != 0)
				goto usage;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 2 != argc)
		goto usage;
	if ((rc = cl_connect(&cl)) != 0 ||
	    (rc = cl_jobid(&cl, argv[optind], id, sizeof(id))) != 0)
		goto out;
	for (;;) {
		free(path);
		path = NULL;
		xasprintf(&path, "/v1/jobs/%s/hosts/", id);
		pogo_client_urlenc(&path, argv[optind + 1]);
		s = path;
		if (run >= 0)
			xasprintf(&path, "%s?max=%d&offset=%lld&run=%lld", s,
			    CL_PAGE_OUTPUT, offset, run);
		else
			xasprintf(&path, "%s?max=%d&offset=%lld", s,
			    CL_PAGE_OUTPUT, offset);
		free(s);
		pogo_json_free(doc);
		doc = NULL;
		if ((rc = cl_call(&cl, "GET", path, NULL, 0, &doc, &resp)) != 0)
			goto out;
		r = pogo_json_first(pogo_json_get(resp, "output"));
		if (r == NULL)
			break;
		for (; r != NULL; r = pogo_json_next(r), offset++) {
			if (cl.json) {
				cl_print_json(r);
				continue;
			}
			type = cl_str(r, "type");
			data = pogo_json_string(pogo_json_get(r, "data"), &len);
			if (data != NULL && strcmp(type, "STDOUT") == 0) {
				fwrite(data, 1, len, stdout);
				putchar('\n');
			} else if (data != NULL &&
			    strcmp(type, "STDERR") == 0) {
				fflush(stdout);
				fwrite(data, 1, len, stderr);
				fputc('\n', stderr);
			}
			free(type);
			free(data);
		}
		count = pogo_client_ll(
		    pogo_json_get(pogo_json_get(doc, "meta"), "count"));
		if (offset >= count)
			break;
	}
	goto out;
usage:
	rc = cl_usage(&cl);
out:
	pogo_json_free(doc);
	free(path);
	return cl_done(&cl, rc);
}

/* ------------------------------------------------------------------ */
/* pogo halt, resume, retry, skip */

static int cmd_op_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_halt = {
	.name = "halt",
	.usage = "[client options] JOB [--reason TEXT] [--json]",
	.summary = "halt a job",
	.flags = POGO_CMD_LOOP,
	.main = cmd_op_main,
};

const struct pogo_cmd pogo_cmd_resume = {
	.name = "resume",
	.usage = "[client options] JOB [-p|--password] [-i|--identity FILE] "
	         "[--json]",
	.summary = "resume a halted or deadlocked job",
	.flags = POGO_CMD_LOOP,
	.main = cmd_op_main,
};

const struct pogo_cmd pogo_cmd_retry = {
	.name = "retry",
	.usage = "[client options] JOB HOST... [-p|--password] "
	         "[-i|--identity FILE] [--json]",
	.summary = "run hosts of a job again",
	.flags = POGO_CMD_LOOP,
	.main = cmd_op_main,
};

const struct pogo_cmd pogo_cmd_skip = {
	.name = "skip",
	.usage = "[client options] JOB HOST... [--json]",
	.summary = "skip hosts of a job",
	.flags = POGO_CMD_LOOP,
	.main = cmd_op_main,
};

static int
cmd_op_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	/* resume and retry: own; halt: own + 3; skip: own + 4. */
	static const struct option own[] = {
		{ "password", no_argument, NULL, 'p' },
		{ "identity", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
		{ "reason", required_argument, NULL, CL_REASON },
		{ NULL, 0, NULL, 0 },
	};
	const struct pogo_cmd *cmd;
	const char *identity = NULL;
	bool password = false, secrets;
	const struct pogo_json *resp, *res;
	struct pogo_json *doc = NULL;
	struct pogo_strv hosts = { 0 };
	const char *reason = NULL, *done;
	char id[32], *path = NULL, *body = NULL, *msg;
	bool withhosts;
	size_t i;
	struct cl cl;
	int c, rc, k;

	if (strcmp(argv[0], "halt") == 0)
		cmd = &pogo_cmd_halt;
	else if (strcmp(argv[0], "resume") == 0)
		cmd = &pogo_cmd_resume;
	else if (strcmp(argv[0], "retry") == 0)
		cmd = &pogo_cmd_retry;
	else
		cmd = &pogo_cmd_skip;
	withhosts = cmd == &pogo_cmd_retry || cmd == &pogo_cmd_skip;
	done = cmd == &pogo_cmd_retry ? "retried" : "skipped";
	if ((rc = cl_init(&cl, cmd)) != 0)
		return rc;
	secrets = cmd == &pogo_cmd_resume || cmd == &pogo_cmd_retry;
	while ((c = cl_getopt(&cl, argc, argv, secrets ? "vpi:" : "v",
	            cmd == &pogo_cmd_halt ? own + 3
	                : secrets         ? own
	                                  : own + 4)) != -1) {
		switch (c) {
		case CL_REASON:
			reason = optarg;
			break;
		case 'p':
			password = true;
			break;
		case 'i':
			identity = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (withhosts ? optind + 2 > argc : optind + 1 != argc)
		goto usage;
	for (k = optind + 1; k < argc; k++)
		if (pogo_range_expand(argv[k], 0, &hosts, &msg) != 0) {
			fprintf(stderr, "pogo %s: %s\n", cmd->name, msg);
			free(msg);
			rc = POGO_EXIT_USAGE;
			goto out;
		}
	if ((rc = cl_connect(&cl)) != 0 ||
	    (rc = cl_jobid(&cl, argv[optind], id, sizeof(id))) != 0)
		goto out;
	xasprintf(&body, "command=job%s", cmd->name);
	if (reason != NULL) {
		msg = body;
		xasprintf(&body, "%s&reason=", msg);
		free(msg);
		pogo_client_urlenc(&body, reason);
	}
	for (i = 0; i < hosts.n; i++) {
		msg = body;
		xasprintf(&body, "%s&host=", msg);
		free(msg);
		pogo_client_urlenc(&body, hosts.v[i]);
	}
	if ((rc = cl_secrets(&cl, password, identity, &body)) != 0)
		goto out;
	xasprintf(&path, "/v1/jobs/%s", id);
	if ((rc = cl_call(&cl, "POST", path, body, 0, &doc, &resp)) != 0)
		goto out;
	if (cl.json) {
		cl_print_json(resp);
		goto out;
	}
	msg = cl_str(resp, "message");
	printf("%s\n", msg);
	free(msg);
	res = pogo_json_first(pogo_json_get(resp, "results"));
	for (i = 0; withhosts && i < hosts.n; i++) {
		printf("%s: %s\n", hosts.v[i],
		    res != NULL && pogo_json_number(res) == 1 ? done
		                                              : "unchanged");
		res = pogo_json_next(res);
	}
	goto out;
usage:
	rc = cl_usage(&cl);
out:
	pogo_strv_clear(&hosts);
	pogo_json_free(doc);
	free(body);
	free(path);
	return cl_done(&cl, rc);
}

/* ------------------------------------------------------------------ */
/* pogo submit (SPEC 12.4) */

static int cmd_submit_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_submit = {
	.name = "submit",
	.usage = "[client options] --targets LIST --command CMD "
	         "[--config FILE | --namespace NAME] [-p|--password] "
	         "[-i|--identity FILE] [--timeout S] "
	         "[--job-timeout S] [--run-as USER] [--ssh-user USER] "
	         "[--retry N] [--prehook] [--posthook] [--lock] "
	         "[--concurrent N|N%] [--file SCRIPT] [--local] "
	         "[--message TEXT] [--follow] [--json]",
	.summary = "submit a job to the API",
	.flags = POGO_CMD_LOOP,
	.main = cmd_submit_main,
};

enum {
	SUB_TARGETS = 400,
	SUB_COMMAND,
	SUB_CONFIG,
	SUB_NAMESPACE,
	SUB_TIMEOUT,
	SUB_JOB_TIMEOUT,
	SUB_RUN_AS,
	SUB_SSH_USER,
	SUB_RETRY,
	SUB_PREHOOK,
	SUB_POSTHOOK,
	SUB_LOCK,
	SUB_CONCURRENT,
	SUB_FILE,
	SUB_LOCAL,
	SUB_MESSAGE,
	SUB_FOLLOW,
};

/* Append "&name=value" (or "name=value" first) to *bodyp. */
static void
cl_field(char **bodyp, const char *name, const char *value)
{
	char *s = *bodyp;

	if (s == NULL)
		xasprintf(bodyp, "%s=", name);
	else {
		xasprintf(bodyp, "%s&%s=", s, name);
		free(s);
	}
	pogo_client_urlenc(bodyp, value);
}

/* The ranges of --targets: LIST, or the patterns of @FILE. */
static int
cl_targets(struct cl *cl, const char *arg, char **bodyp)
{
	char *text = NULL, *cur, *line, *enc, *acc = NULL;
	size_t len, alen = 0, acap = 0, need;
	int r, n = 0;

	if (arg[0] != '@') {
		cl_field(bodyp, "range", arg);
		return POGO_EXIT_OK;
	}
	if ((r = pogo_str_read_file(arg + 1, 64 * 1024 * 1024, &text, &len)) !=
	    0) {
		fprintf(stderr, "pogo %s: %s: %s\n", cl->cmd->name, arg + 1,
		    pogo_strerror(r));
		return POGO_EXIT_USAGE;
	}
	/* One growing buffer: a field at a time would copy it each time. */
	cur = text;
	while ((line = pogo_str_next_line(&cur)) != NULL) {
		line += strspn(line, " \t\r");
		line[strcspn(line, "\r")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		enc = NULL;
		pogo_client_urlenc(&enc, line);
		need = alen + strlen("&range=") + strlen(enc) + 1;
		if (need > acap) {
			acap = need > 2 * acap ? need : 2 * acap;
			acc = xreallocarray(acc, 1, acap);
		}
		alen += (size_t)snprintf(acc + alen, acap - alen, "%srange=%s",
		    n > 0 ? "&" : "", enc);
		free(enc);
		n++;
	}
	free(text);
	if (n == 0) {
		fprintf(stderr, "pogo %s: %s: no targets\n", cl->cmd->name,
		    arg + 1);
		return POGO_EXIT_USAGE;
	}
	if (*bodyp == NULL)
		*bodyp = acc;
	else {
		cur = *bodyp;
		xasprintf(bodyp, "%s&%s", cur, acc);
		free(cur);
		free(acc);
	}
	return POGO_EXIT_OK;
}

static bool
cl_concurrent_ok(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n > 0 && (s[n] == '\0' || (s[n] == '%' && s[n + 1] == '\0'));
}

static int
cmd_submit_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option own[] = {
		{ "targets", required_argument, NULL, SUB_TARGETS },
		{ "command", required_argument, NULL, SUB_COMMAND },
		{ "config", required_argument, NULL, SUB_CONFIG },
		{ "namespace", required_argument, NULL, SUB_NAMESPACE },
		{ "timeout", required_argument, NULL, SUB_TIMEOUT },
		{ "job-timeout", required_argument, NULL, SUB_JOB_TIMEOUT },
		{ "run-as", required_argument, NULL, SUB_RUN_AS },
		{ "ssh-user", required_argument, NULL, SUB_SSH_USER },
		{ "retry", required_argument, NULL, SUB_RETRY },
		{ "prehook", no_argument, NULL, SUB_PREHOOK },
		{ "posthook", no_argument, NULL, SUB_POSTHOOK },
		{ "lock", no_argument, NULL, SUB_LOCK },
		{ "concurrent", required_argument, NULL, SUB_CONCURRENT },
		{ "file", required_argument, NULL, SUB_FILE },
		{ "local", no_argument, NULL, SUB_LOCAL },
		{ "message", required_argument, NULL, SUB_MESSAGE },
		{ "password", no_argument, NULL, 'p' },
		{ "identity", required_argument, NULL, 'i' },
		{ "follow", no_argument, NULL, SUB_FOLLOW },
		{ NULL, 0, NULL, 0 },
	};
	const char *identity = NULL;
	bool password = false, follow = false;
	const struct pogo_json *job;
	struct pogo_json *jdoc = NULL;
	double nhosts;
	const char *targets = NULL, *command = NULL, *config = NULL;
	const char *ns = NULL, *timeout = NULL, *job_timeout = NULL;
	const char *run_as = NULL, *ssh_user = NULL, *retry = NULL;
	const char *concurrent = NULL, *file = NULL, *message = NULL;
	bool prehook = false, posthook = false, lock = false, local = false;
	const struct pogo_json *resp;
	struct pogo_json *doc = NULL;
	char *body = NULL, *text = NULL, *user = NULL, *s, *id = NULL;
	char host[256], *inv = NULL, *b64, *client, *err = NULL, idbuf[32];
	int status = 0;
	const char *base;
	long long v;
	size_t len;
	struct cl cl;
	int c, rc, i;

	if ((rc = cl_init(&cl, &pogo_cmd_submit)) != 0)
		return rc;
	while ((c = cl_getopt(&cl, argc, argv, "vpi:", own)) != -1) {
		switch (c) {
		case 'p':
			password = true;
			break;
		case 'i':
			identity = optarg;
			break;
		case SUB_FOLLOW:
			follow = true;
			break;
		case SUB_TARGETS:
			targets = optarg;
			break;
		case SUB_COMMAND:
			command = optarg;
			break;
		case SUB_CONFIG:
			config = optarg;
			break;
		case SUB_NAMESPACE:
			ns = optarg;
			break;
		case SUB_TIMEOUT:
			timeout = optarg;
			break;
		case SUB_JOB_TIMEOUT:
			job_timeout = optarg;
			break;
		case SUB_RUN_AS:
			run_as = optarg;
			break;
		case SUB_SSH_USER:
			ssh_user = optarg;
			break;
		case SUB_RETRY:
			retry = optarg;
			break;
		case SUB_PREHOOK:
			prehook = true;
			break;
		case SUB_POSTHOOK:
			posthook = true;
			break;
		case SUB_LOCK:
			lock = true;
			break;
		case SUB_CONCURRENT:
			concurrent = optarg;
			break;
		case SUB_FILE:
			file = optarg;
			break;
		case SUB_LOCAL:
			local = true;
			break;
		case SUB_MESSAGE:
			message = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || (config != NULL && ns != NULL))
		goto usage;
	if (targets == NULL || (command == NULL && file == NULL)) {
		fprintf(stderr, "Mandatory parameter %s missing\n",
		    targets == NULL ? "targets" : "command");
		rc = POGO_EXIT_USAGE;
		goto out;
	}
	if (timeout == NULL)
		timeout = cl.cfg.timeout;
	if (job_timeout == NULL)
		job_timeout = cl.cfg.job_timeout;
	if (ns == NULL && config == NULL)
		ns = cl.cfg.namespace;
	if ((timeout != NULL && pogo_strtonum(timeout, 0, INT_MAX, &v) != 0) ||
	    (job_timeout != NULL &&
	        pogo_strtonum(job_timeout, 0, INT_MAX, &v) != 0) ||
	    (retry != NULL && pogo_strtonum(retry, 0, 1000, &v) != 0) ||
	    (concurrent != NULL && !cl_concurrent_ok(concurrent)))
		goto usage;
	if ((rc = cl_targets(&cl, targets, &body)) != 0)
		goto out;
	if (file != NULL) {
		if ((rc = pogo_str_read_file(file, 1024 * 1024, &text, &len)) !=
		    0) {
			fprintf(stderr, "pogo submit: %s: %s\n", file,
			    pogo_strerror(rc));
			rc = POGO_EXIT_USAGE;
			goto out;
		}
		base =
		    strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
		b64 = pogo_tls_base64_encode(text, len);
		cl_field(&body, "exe_name", base);
		cl_field(&body, "exe_data", b64);
		free(b64);
		free(text);
		text = NULL;
	}
	if (command != NULL)
		cl_field(&body, "command", command);
	else {
		xasprintf(&s, "Attached file: %s",
		    strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file);
		cl_field(&body, "command", s);
		free(s);
	}
	if (config != NULL) {
		if ((rc = pogo_str_read_file(
		         config, 16 * 1024 * 1024, &text, &len)) != 0) {
			fprintf(stderr, "pogo submit: %s: %s\n", config,
			    pogo_strerror(rc));
			rc = POGO_EXIT_USAGE;
			goto out;
		}
		if (len == 0 || text[len - 1] != '\n') {
			s = text;
			xasprintf(&text, "%s\n", s);
			free(s);
		}
		cl_field(&body, "config", text);
	}
	if (ns != NULL)
		cl_field(&body, "namespace", ns);
	if (timeout != NULL)
		cl_field(&body, "timeout", timeout);
	if (job_timeout != NULL)
		cl_field(&body, "job_timeout", job_timeout);
	if (run_as != NULL)
		cl_field(&body, "run_as", run_as);
	if (ssh_user != NULL)
		cl_field(&body, "ssh_user", ssh_user);
	if (retry != NULL)
		cl_field(&body, "retry", retry);
	if (prehook)
		cl_field(&body, "prehook", "1");
	if (posthook)
		cl_field(&body, "posthook", "1");
	if (lock)
		cl_field(&body, "lock", "1");
	if (concurrent != NULL)
		cl_field(&body, "concurrent", concurrent);
	if (local)
		cl_field(&body, "task_name", "local");
	if (message != NULL)
		cl_field(&body, "message", message);
	if ((rc = cl_connect(&cl)) != 0)
		goto out;
	if ((rc = cl_user(&cl, &user)) != 0) {
		/* SPEC 12.4: with --follow, 3 when the API cannot be reached. */
		if (follow)
			rc = POGO_EXIT_NOJOB;
		goto out;
	}
	cl_field(&body, "user", user);
	if (gethostname(host, sizeof(host) - 1) == 0) {
		host[sizeof(host) - 1] = '\0';
		cl_field(&body, "requesthost", host);
	}
	inv = xstrdup("pogo");
	for (i = 0; i < argc; i++) {
		s = inv;
		xasprintf(&inv, "%s %s", s, argv[i]);
		free(s);
	}
	cl_field(&body, "invoked_as", inv);
	xasprintf(&client, "pogo %s", POGO_VERSION);
	cl_field(&body, "client", client);
	free(client);
	if ((rc = cl_secrets(&cl, password, identity, &body)) != 0)
		goto out;
	if (pogo_client_call(cl.c, "POST", "/v1/jobs", body, 0, &doc, &resp,
	        &status, &err) != 0) {
		fprintf(stderr, "pogo submit: %s\n", err);
		free(err);
		/*
		 * SPEC 12.4: --follow exits 3 when the API cannot be reached
		 * (no answer, or its 500 for a dispatcher it cannot reach); a
		 * refused job is 1.
		 */
		rc = follow && (status == 0 || status >= 500) ? POGO_EXIT_NOJOB
		                                              : POGO_EXIT_FAIL;
		goto out;
	}
	id = pogo_json_string(pogo_json_get(resp, "jobid"), NULL);
	if (id == NULL || pogo_client_jobid(id, idbuf, sizeof(idbuf)) != 0 ||
	    strcmp(id, idbuf) != 0) {
		fprintf(
		    stderr, "pogo submit: the API answered no valid job id\n");
		rc = follow ? POGO_EXIT_NOJOB : POGO_EXIT_FAIL;
		goto out;
	}
	if (follow) {
		/* The job line on stderr, then what pogo one prints. */
		fprintf(stderr, "%s; %s/ui/job/%s\n", id, pogo_client_api(cl.c),
		    id);
		xasprintf(&s, "/v1/jobs/%s", id);
		rc = cl_call(&cl, "GET", s, NULL, 0, &jdoc, &job);
		free(s);
		if (rc != 0) {
			rc = POGO_EXIT_NOJOB;
			goto out;
		}
		nhosts = pogo_json_number(
		    pogo_json_get(pogo_json_get(job, "job"), "host_count"));
		rc = pogo_client_follow(&cl.loop, &cl.opts, id,
		    nhosts > 0 && nhosts <= UINT32_MAX ? (uint32_t)nhosts : 0,
		    cl.json);
	} else if (cl.json)
		cl_print_json(resp);
	else
		printf("%s; %s/ui/job/%s\n", id, pogo_client_api(cl.c), id);
	goto out;
usage:
	rc = cl_usage(&cl);
out:
	pogo_json_free(jdoc);
	free(id);
	free(inv);
	free(user);
	free(text);
	free(body);
	pogo_json_free(doc);
	return cl_done(&cl, rc);
}
