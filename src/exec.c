/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Helpers shared by every executor: the bookkeeping of the tasks in
 * flight, result messages and the mapping of exit statuses and signals of
 * SPEC 9.8.
 */
#include "pogo/compat.h"

#include <string.h>

#include "pogo/error.h"
#include "pogo/exec.h"
#include "pogo/log.h"

void
pogo_exec_result_set(struct pogo_exec_result *r, enum pogo_exec_state state,
    int exitstatus, const char *fmt, ...)
{
	va_list ap;

	r->state = state;
	r->exitstatus = exitstatus;
	r->timed_out = false;
	r->requeue = false;
	r->signal = 0;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
}

void
pogo_exec_result_exit(struct pogo_exec_result *r, int status, int signal)
{
	if (signal > 0)
		status = 128 + signal;
	if (status == 0)
		pogo_exec_result_set(r, POGO_EXEC_FINISHED, 0, "ok");
	else
		pogo_exec_result_set(r, POGO_EXEC_FAILED, status,
		    "exited with status %d", status);
	r->signal = signal > 0 ? signal : 0;
}

double
pogo_exec_now(void)
{
	uv_timeval64_t tv;

	if (uv_gettimeofday(&tv) != 0)
		return 0;
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void
pogo_exec_run_add(
    struct pogo_exec *e, struct pogo_exec_run *r, struct pogo_exec_task *t)
{
	POGO_ASSERT(!r->linked);
	r->t = t;
	r->prev = NULL;
	r->next = e->runs;
	if (e->runs != NULL)
		e->runs->prev = r;
	e->runs = r;
	r->linked = true;
	e->inflight++;
	if (e->inflight > e->peak_inflight)
		e->peak_inflight = e->inflight;
}

static void
exec_run_unlink(struct pogo_exec *e, struct pogo_exec_run *r)
{
	POGO_ASSERT(r->linked);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		e->runs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
	r->linked = false;
	e->inflight--;
}

void
pogo_exec_run_adopt(struct pogo_exec *e, struct pogo_exec_run *r,
    struct pogo_exec_task *t, double started_at, uint64_t records)
{
	pogo_exec_run_add(e, r, t);
	r->records = records;
	if (started_at > 0) {
		r->started = true;
		r->started_at = started_at;
	}
}

void
pogo_exec_run_started(struct pogo_exec *e, struct pogo_exec_run *r)
{
	POGO_ASSERT(r->linked && !r->started);
	r->started = true;
	r->started_at = pogo_exec_now();
	e->ev->started(r->t, e->ev_arg);
}

void
pogo_exec_run_output(struct pogo_exec *e, struct pogo_exec_run *r,
    enum pogo_out_type type, const char *data, size_t len, bool eol)
{
	r->records++;
	e->ev->output(r->t, type, data, len, eol, e->ev_arg);
}

void
pogo_exec_run_done(
    struct pogo_exec *e, struct pogo_exec_run *r, struct pogo_exec_result *res)
{
	exec_run_unlink(e, r);
	res->started_at = r->started_at;
	res->finished_at = pogo_exec_now();
	res->records = r->records;
	r->t->priv = NULL;
	e->ev->done(r->t, res, e->ev_arg);
}

void
pogo_exec_run_drop(struct pogo_exec *e, struct pogo_exec_run *r)
{
	POGO_ASSERT(!r->started);
	exec_run_unlink(e, r);
	r->t->priv = NULL;
}

void
pogo_exec_run_abandon(struct pogo_exec *e, struct pogo_exec_run *r)
{
	exec_run_unlink(e, r);
	r->t->priv = NULL;
}

struct pogo_exec_run *
pogo_exec_run_find(const struct pogo_exec *e, const char *task_id)
{
	struct pogo_exec_run *r;

	for (r = e->runs; r != NULL; r = r->next) {
		if (r->t->task_id != NULL &&
		    strcmp(r->t->task_id, task_id) == 0)
			return r;
	}
	return NULL;
}

enum pogo_exec_status
pogo_exec_taskstatus(struct pogo_exec *e, const char *task_id)
{
	struct pogo_exec_run *r = pogo_exec_run_find(e, task_id);

	if (r == NULL)
		return POGO_EXEC_UNKNOWN;
	return r->started ? POGO_EXEC_RUNNING : POGO_EXEC_WAITING;
}

static const struct {
	const char *name;
	int n;
} exec_sigs[] = { { "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 },
	{ "ABRT", 6 }, { "FPE", 8 }, { "KILL", 9 }, { "USR1", 10 },
	{ "SEGV", 11 }, { "USR2", 12 }, { "PIPE", 13 }, { "ALRM", 14 },
	{ "TERM", 15 } };

int
pogo_exec_signal_number(const char *name)
{
	size_t i;

	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; i < POGO_NELEM(exec_sigs); i++) {
		if (strcmp(exec_sigs[i].name, name) == 0)
			return exec_sigs[i].n;
	}
	return 0;
}

const char *
pogo_exec_signal_name(int signal)
{
	size_t i;

	for (i = 0; i < POGO_NELEM(exec_sigs); i++) {
		if (exec_sigs[i].n == signal)
			return exec_sigs[i].name;
	}
	return NULL;
}

void
pogo_exec_limit_start(struct pogo_exec_limit *l, uv_timer_t *tm, uv_timer_cb cb,
    uint64_t ms, bool paused)
{
	l->left_ms = ms;
	l->frozen = paused;
	l->set = true;
	l->stretch_ms = ms;
	l->throttled = false;
	if (!paused)
		uv_timer_start(tm, cb, ms, 0);
}

/* A throttle's freeze that began at since ends: its time off l's stretch. */
static void
exec_stretch_take(
    struct pogo_exec_limit *l, uint64_t since, const uv_timer_t *tm)
{
	uint64_t used = uv_now(tm->loop) - since;

	l->stretch_ms = used < l->stretch_ms ? l->stretch_ms - used : 0;
}

/* A throttle's freeze ends (or becomes a pause's): count its time. */
static void
exec_limit_unthrottle(struct pogo_exec_limit *l, const uv_timer_t *tm)
{
	if (!l->throttled)
		return;
	exec_stretch_take(l, l->throttled_at, tm);
	l->throttled = false;
}

void
pogo_exec_limit_throttle(struct pogo_exec_limit *l, uv_timer_t *tm, bool holds)
{
	if (l->frozen || !holds || l->stretch_ms == 0 ||
	    !uv_is_active((uv_handle_t *)tm))
		return;
	l->left_ms = uv_timer_get_due_in(tm);
	l->frozen = true;
	l->throttled = true;
	l->throttled_at = uv_now(tm->loop);
	uv_timer_stop(tm);
}

/* The limit ran out while the output is held back: wait for it. */
static void
exec_limit_postpone(struct pogo_exec_limit *l)
{
	l->left_ms = POGO_EXEC_LIMIT_AFTER_MS;
	l->frozen = true;
}

bool
pogo_exec_limit_expired_waits(struct pogo_exec_limit *l, uv_timer_t *tm,
    uv_timer_cb cb, const struct pogo_exec_held *h)
{
	uint64_t ms = POGO_EXEC_LIMIT_AFTER_MS;

	if (h->paused && h->back) {
		exec_limit_postpone(l);
		return true;
	}
	if (!l->set || l->stretch_ms == 0)
		return false;
	if (h->throttled && h->back) {
		exec_limit_postpone(l);
		l->throttled = true;
		l->throttled_at = uv_now(tm->loop);
		return true;
	}
	if (!h->once || !h->unread)
		return false;
	if (ms > l->stretch_ms)
		ms = l->stretch_ms;
	l->stretch_ms -= ms;
	uv_timer_start(tm, cb, ms, 0);
	return true;
}

void
pogo_exec_limit_freeze(struct pogo_exec_limit *l, uv_timer_t *tm, bool holds)
{
	/* Frozen by a throttle: from now on by the pause, without bound. */
	exec_limit_unthrottle(l, tm);
	if (l->frozen || !holds || !uv_is_active((uv_handle_t *)tm))
		return;
	l->left_ms = uv_timer_get_due_in(tm);
	l->frozen = true;
	uv_timer_stop(tm);
}

uint64_t
pogo_exec_linger_start(struct pogo_exec_linger *lg,
    const struct pogo_exec_limit *l, const uv_timer_t *tm, bool holds)
{
	memset(lg, 0, sizeof(*lg));
	lg->start = uv_now(tm->loop);
	if (!l->set) {
		/* No limit (timeout 0): the linger still has a bound. */
		lg->due = uv_now(tm->loop) + POGO_EXEC_LINGER_MAX_MS;
	} else if (l->frozen) {
		lg->frozen = true;
		lg->left_ms = l->left_ms;
	} else {
		/* Not held: running on tm, or run out. */
		lg->due = uv_now(tm->loop);
		if (holds && uv_is_active((const uv_handle_t *)tm))
			lg->due += uv_timer_get_due_in(tm);
	}
	return POGO_EXEC_LINGER_MS;
}

/* What the linger's limit has left now. */
static uint64_t
exec_linger_left(const struct pogo_exec_linger *lg, const uv_timer_t *tm)
{
	uint64_t now = uv_now(tm->loop);

	if (lg->frozen)
		return lg->left_ms;
	return lg->due > now ? lg->due - now : 0;
}

/* A throttle's freeze of the linger ends: its time comes off l's stretch. */
static void
exec_linger_unthrottle(struct pogo_exec_linger *lg, struct pogo_exec_limit *l,
    const uv_timer_t *tm)
{
	if (!lg->throttled)
		return;
	if (l != NULL)
		exec_stretch_take(l, lg->throttled_at, tm);
	lg->throttled = false;
}

void
pogo_exec_linger_throttle(struct pogo_exec_linger *lg,
    struct pogo_exec_limit *l, const uv_timer_t *tm, bool on, bool held)
{
	if (on && held && !lg->frozen && l->set && l->stretch_ms > 0) {
		lg->left_ms = exec_linger_left(lg, tm);
		lg->frozen = true;
		lg->throttled = true;
		lg->throttled_at = uv_now(tm->loop);
	} else if (!on && lg->throttled) {
		exec_linger_unthrottle(lg, l, tm);
		lg->due = uv_now(tm->loop) + lg->left_ms;
		lg->frozen = false;
	}
}

void
pogo_exec_linger_pause(
    struct pogo_exec_linger *lg, const uv_timer_t *tm, bool paused, bool held)
{
	/* A throttle's freeze becomes the pause's (its stretch kept). */
	if (paused && lg->throttled)
		lg->throttled = false;
	if (paused && held && !lg->frozen) {
		lg->left_ms = exec_linger_left(lg, tm);
		lg->frozen = true;
	} else if (!paused && lg->frozen) {
		lg->due = uv_now(tm->loop) + lg->left_ms;
		lg->frozen = false;
	}
}

uint64_t
pogo_exec_linger_next(struct pogo_exec_linger *lg,
    const struct pogo_exec_task *t, const uv_timer_t *tm, bool held,
    bool unread, uint64_t out_at)
{
	uint64_t now = uv_now(tm->loop), since, tick, left;

	if (held)
		return POGO_EXEC_LINGER_MS;
	/* Quiet for a tick since the exit status and the last byte. */
	since = out_at > lg->start ? out_at : lg->start;
	tick = since + POGO_EXEC_LINGER_MS > now
	    ? since + POGO_EXEC_LINGER_MS - now
	    : 0;
	if (unread)
		tick = POGO_EXEC_LINGER_MS;
	if (tick == 0)
		return 0;
	if ((left = exec_linger_left(lg, tm)) == 0) {
		log_warn("task %s host %s: output still coming after the exit "
		         "status: given up at the time limit (something the "
		         "command started holds its output)",
		    t->task_id, t->host);
		return 0;
	}
	return left < tick ? left : tick;
}

void
pogo_exec_limit_thaw(
    struct pogo_exec_limit *l, uv_timer_t *tm, uv_timer_cb cb, bool holds)
{
	exec_limit_unthrottle(l, tm);
	if (!l->frozen)
		return;
	l->frozen = false;
	if (holds)
		uv_timer_start(tm, cb, l->left_ms, 0);
}
