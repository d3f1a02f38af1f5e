/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Runs external resolvers with uv_spawn, one child per reference, all at
 * once.  Each child has a timer; output is read through a pipe and bounded.
 * The request counts its open handles and frees itself when the last one
 * is closed, after the done callback.  Used by pogo schedule, pogo one and
 * the dispatcher while a job is gathering.  A timeout kills the child's
 * whole process group.
 */
#include "pogo/compat.h"

#include <signal.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/resolver.h"
#include "pogo/sched-config.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

struct resolver_child {
	struct pogo_resolver *res;
	size_t ref;
	uv_process_t proc;
	uv_pipe_t out;
	uv_timer_t timer;
	char *buf;
	size_t len;
	size_t cap;
	char *failure;
	bool exited;
	bool eof;
	bool answered;
	int pid; /* of the child, and of its process group */
	int64_t status;
	int signal;
	int closing;
};

struct pogo_resolver {
	uv_loop_t *loop;
	char *path;
	size_t next;                     /* the next child to start */
	struct pogo_resolver *wait_next; /* in resolver_waiting */
	struct pogo_resolver *all_next;  /* in resolver_all until called */
	bool cancelled;
	struct pogo_sched_config *cfg;
	pogo_resolver_done_cb cb;
	void *arg;
	struct resolver_child *children;
	size_t nchildren;
	size_t remaining;
	size_t handles;
	uv_timer_t defer;
	uint64_t timeout_ms;
	bool called;
};

/*
 * The children running in this process, all runs together, and the runs
 * with children not started yet, served one child each in turn: at most
 * POGO_RESOLVER_MAX_RUNNING children at once, however many references a
 * configuration has and however many jobs resolve at once (a dispatcher
 * resolves every submitted job's).
 */
static size_t resolver_running;
static struct pogo_resolver *resolver_waiting, *resolver_waiting_last;
static struct pogo_resolver *resolver_all; /* runs not called back yet */

static void resolver_start(
    struct pogo_resolver *, struct resolver_child *, const char *);
static void resolver_defer_cb(uv_timer_t *);

/* Start what the limit allows, one child per waiting run in turn. */
static void
resolver_fill(void)
{
	struct pogo_resolver *res;

	while (resolver_running < POGO_RESOLVER_MAX_RUNNING &&
	    (res = resolver_waiting) != NULL) {
		/* One child per run in turn: a small job is not held up. */
		resolver_waiting = res->wait_next;
		if (resolver_waiting == NULL)
			resolver_waiting_last = NULL;
		res->wait_next = NULL;
		if (res->next + 1 < res->nchildren) {
			if (resolver_waiting_last != NULL)
				resolver_waiting_last->wait_next = res;
			else
				resolver_waiting = res;
			resolver_waiting_last = res;
		}
		resolver_start(res, &res->children[res->next], res->path);
		res->next++;
		/* Every child failed to start: answered on the next turn. */
		if (res->remaining == 0)
			uv_timer_start(&res->defer, resolver_defer_cb, 0, 0);
	}
}

static void
resolver_handle_closed(uv_handle_t *h)
{
	struct pogo_resolver *res = h->data;
	size_t i;

	if (--res->handles > 0)
		return;
	for (i = 0; i < res->nchildren; i++) {
		free(res->children[i].buf);
		free(res->children[i].failure);
	}
	free(res->children);
	free(res->path);
	free(res);
}

static void
resolver_finish(struct pogo_resolver *res)
{
	struct pogo_resolver **pp;

	if (res->called)
		return;
	res->called = true;
	for (pp = &resolver_all; *pp != NULL; pp = &(*pp)->all_next) {
		if (*pp == res) {
			*pp = res->all_next;
			break;
		}
	}
	res->cb(res, 0, res->arg);
	uv_close((uv_handle_t *)&res->defer, resolver_handle_closed);
}

static void
resolver_defer_cb(uv_timer_t *t)
{
	resolver_finish(t->data);
}

int
pogo_resolver_parse(
    char *buf, size_t len, struct pogo_strv *hosts, char **reasonp)
{
	char *line, *cursor = buf;

	if (memchr(buf, '\0', len) != NULL) {
		*reasonp = xstrdup("output contains a NUL byte");
		return POGO_ERR_RANGE;
	}
	while ((line = pogo_str_next_line(&cursor)) != NULL)
		pogo_strv_push(hosts, line);
	return 0;
}

/* Hand one child's result to the configuration. */
static void
resolver_answer(struct resolver_child *ch)
{
	struct pogo_strv hosts = { 0 };
	char *reason = NULL;

	if (ch->failure != NULL)
		reason = xstrdup(ch->failure);
	else if (ch->signal != 0)
		xasprintf(&reason, "killed by signal %d", ch->signal);
	else if (ch->status != 0)
		xasprintf(&reason, "exit status %" PRId64, ch->status);
	if (reason != NULL) {
		pogo_sched_config_fail_ref(ch->res->cfg, ch->ref, reason);
		free(reason);
		return;
	}
	if (ch->buf == NULL)
		ch->buf = xstrdup("");
	if (pogo_resolver_parse(ch->buf, ch->len, &hosts, &reason) != 0) {
		pogo_sched_config_fail_ref(ch->res->cfg, ch->ref, reason);
		free(reason);
		return;
	}
	pogo_sched_config_set_ref(ch->res->cfg, ch->ref, &hosts);
	pogo_strv_clear(&hosts);
}

static void
resolver_child_done(struct resolver_child *ch)
{
	struct pogo_resolver *res = ch->res;

	if (ch->answered || !(ch->exited && ch->eof))
		return;
	ch->answered = true;
	resolver_running--;
	uv_timer_stop(&ch->timer);
	resolver_answer(ch);
	if (--res->remaining == 0)
		resolver_finish(res);
	resolver_fill();
}

static void
resolver_close_child(struct resolver_child *ch)
{
	if (!uv_is_closing((uv_handle_t *)&ch->out))
		uv_close((uv_handle_t *)&ch->out, resolver_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&ch->timer))
		uv_close((uv_handle_t *)&ch->timer, resolver_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&ch->proc))
		uv_close((uv_handle_t *)&ch->proc, resolver_handle_closed);
}

static void
resolver_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct resolver_child *ch =
	    container_of(p, struct resolver_child, proc);

	ch->exited = true;
	ch->status = status;
	ch->signal = sig;
	resolver_child_done(ch);
	if (ch->exited && ch->eof)
		resolver_close_child(ch);
}

static void
resolver_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct resolver_child *ch =
	    container_of((uv_pipe_t *)h, struct resolver_child, out);

	if (ch->cap - ch->len < 65536) {
		ch->cap = ch->cap ? ch->cap * 2 : 65536 * 2;
		ch->buf = xreallocarray(ch->buf, ch->cap, 1);
	}
	buf->base = ch->buf + ch->len;
	buf->len = ch->cap - ch->len - 1;
}

static void
resolver_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct resolver_child *ch =
	    container_of((uv_pipe_t *)s, struct resolver_child, out);

	if (n > 0) {
		ch->len += (size_t)n;
		ch->buf[ch->len] = '\0';
		if (ch->len > POGO_RESOLVER_MAX_OUTPUT && ch->failure == NULL) {
			xasprintf(&ch->failure, "output larger than %d bytes",
			    POGO_RESOLVER_MAX_OUTPUT);
			kill(-ch->pid, SIGKILL);
			uv_read_stop(s);
			ch->eof = true;
			resolver_child_done(ch);
			if (ch->exited)
				resolver_close_child(ch);
		}
		return;
	}
	if (n < 0) {
		uv_read_stop(s);
		ch->eof = true;
		resolver_child_done(ch);
		if (ch->exited)
			resolver_close_child(ch);
	}
}

static void
resolver_timer_cb(uv_timer_t *t)
{
	struct resolver_child *ch =
	    container_of(t, struct resolver_child, timer);

	if (ch->failure == NULL)
		xasprintf(&ch->failure, "timed out after %g seconds",
		    (double)ch->res->timeout_ms / 1000);
	/*
	 * The whole process group: a child of the resolver may hold the
	 * pipe open.  Then stop waiting for the end of its output.
	 */
	if (ch->pid > 0)
		kill(-ch->pid, SIGKILL);
	if (!ch->eof) {
		uv_read_stop((uv_stream_t *)&ch->out);
		ch->eof = true;
		resolver_child_done(ch);
		if (ch->exited)
			resolver_close_child(ch);
	}
}

/* Find Name in the resolver path: 0 and *filep, or an error. */
static int
resolver_find(const char *path, const char *name, char **filep)
{
	const char *dir = path, *colon;
	char *file;
	size_t len;

	*filep = NULL;
	while (dir != NULL && *dir != '\0') {
		colon = strchr(dir, ':');
		len = colon != NULL ? (size_t)(colon - dir) : strlen(dir);
		if (len > 0) {
			xasprintf(&file, "%.*s/%s", (int)len, dir, name);
			/* XXX(#3): a local access() on the loop thread. */
			if (access(file, X_OK) == 0) {
				*filep = file;
				return 0;
			}
			free(file);
		}
		dir = colon != NULL ? colon + 1 : NULL;
	}
	return POGO_ERR_NOTFOUND;
}

/* Split "Name a b" into an argv (words on runs of blanks). */
static char **
resolver_argv(const char *ref, const char *file)
{
	char **argv = xcalloc(strlen(ref) / 2 + 3, sizeof(*argv));
	const char *p = ref, *q;
	size_t n = 0;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ' ' && *q != '\t'; q++)
			;
		argv[n++] = xstrndup(p, (size_t)(q - p));
		p = q;
	}
	free(argv[0]);
	argv[0] = xstrdup(file);
	return argv;
}

/* Start one child; a failure to start is recorded as its answer. */
static void
resolver_start(
    struct pogo_resolver *res, struct resolver_child *ch, const char *path)
{
	uv_process_options_t opt;
	uv_stdio_container_t stdio[3];
	const char *ref = pogo_sched_config_ref(res->cfg, ch->ref);
	char name[256], *file = NULL, **argv = NULL;
	bool spawned = false;
	size_t i;
	int r;

	ch->res = res;
	uv_pipe_init(res->loop, &ch->out, 0);
	uv_timer_init(res->loop, &ch->timer);
	ch->out.data = ch->timer.data = ch->proc.data = res;
	res->handles += 2;
	if (pogo_sched_config_ref_name(ref, name, sizeof(name)) != 0) {
		ch->failure = xstrdup("invalid resolver name");
		goto fail;
	}
	if (resolver_find(path, name, &file) != 0) {
		ch->failure = xstrdup("not found in the resolver path");
		goto fail;
	}
	argv = resolver_argv(ref, file);
	memset(&opt, 0, sizeof(opt));
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&ch->out;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	opt.file = file;
	opt.args = argv;
	opt.stdio = stdio;
	opt.stdio_count = 3;
	opt.exit_cb = resolver_exit_cb;
	/* A session and process group of its own, killed as a whole. */
	opt.flags = UV_PROCESS_DETACHED;
	/* uv_spawn initialises the handle even when it fails. */
	spawned = true;
	res->handles++;
	r = uv_spawn(res->loop, &ch->proc, &opt);
	ch->proc.data = res;
	if (r != 0) {
		xasprintf(&ch->failure, "%s", uv_strerror(r));
		goto fail;
	}
	ch->pid = ch->proc.pid;
	resolver_running++;
	uv_read_start(
	    (uv_stream_t *)&ch->out, resolver_alloc_cb, resolver_read_cb);
	uv_timer_start(&ch->timer, resolver_timer_cb, res->timeout_ms, 0);
	goto out;
fail:
	ch->exited = ch->eof = ch->answered = true;
	resolver_answer(ch);
	res->remaining--;
	uv_close((uv_handle_t *)&ch->out, resolver_handle_closed);
	uv_close((uv_handle_t *)&ch->timer, resolver_handle_closed);
	if (spawned)
		uv_close((uv_handle_t *)&ch->proc, resolver_handle_closed);
out:
	if (argv != NULL) {
		for (i = 0; argv[i] != NULL; i++)
			free(argv[i]);
		free(argv);
	}
	free(file);
}

int
pogo_resolver_run(uv_loop_t *loop, struct pogo_sched_config *cfg,
    const char *path, uint64_t timeout_ms, pogo_resolver_done_cb cb, void *arg)
{
	struct pogo_resolver *res;
	size_t i, n = pogo_sched_config_nrefs(cfg);

	res = xcalloc(1, sizeof(*res));
	res->loop = loop;
	res->cfg = cfg;
	res->cb = cb;
	res->arg = arg;
	res->timeout_ms = timeout_ms ? timeout_ms : POGO_RESOLVER_TIMEOUT_MS;
	res->children = xcalloc(n + 1, sizeof(*res->children));
	res->nchildren = n;
	res->remaining = n;
	uv_timer_init(loop, &res->defer);
	res->defer.data = res;
	res->handles = 1;
	res->path = path != NULL ? xstrdup(path) : NULL;
	for (i = 0; i < n; i++)
		res->children[i].ref = i;
	res->all_next = resolver_all;
	resolver_all = res;
	if (n > 0) {
		if (resolver_waiting_last != NULL)
			resolver_waiting_last->wait_next = res;
		else
			resolver_waiting = res;
		resolver_waiting_last = res;
	}
	/* Never call back from inside this function (resolver_fill()). */
	resolver_fill();
	if (res->remaining == 0)
		uv_timer_start(&res->defer, resolver_defer_cb, 0, 0);
	return 0;
}

void
pogo_resolver_cancel_all(uv_loop_t *loop)
{
	struct pogo_resolver *res, **pp;
	struct resolver_child *ch;

	/* No more children of these runs: out of the waiting list. */
	pp = &resolver_waiting;
	resolver_waiting_last = NULL;
	while ((res = *pp) != NULL) {
		if (res->loop == loop) {
			*pp = res->wait_next;
			continue;
		}
		resolver_waiting_last = res;
		pp = &res->wait_next;
	}
	for (res = resolver_all; res != NULL; res = res->all_next) {
		if (res->loop != loop || res->cancelled)
			continue;
		res->cancelled = true;
		/* The children not started: answered as cancelled. */
		for (; res->next < res->nchildren; res->next++) {
			ch = &res->children[res->next];
			ch->res = res;
			ch->failure = xstrdup("cancelled: the process stops");
			ch->exited = ch->eof = ch->answered = true;
			resolver_answer(ch);
			res->remaining--;
		}
		/* The running ones: their whole process groups. */
		for (ch = res->children; ch < res->children + res->next; ch++)
			if (!ch->answered && ch->pid > 0)
				kill(-ch->pid, SIGKILL);
		if (res->remaining == 0)
			uv_timer_start(&res->defer, resolver_defer_cb, 0, 0);
	}
}
