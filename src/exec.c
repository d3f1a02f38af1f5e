/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Helpers shared by every executor: result messages and the mapping of
 * exit statuses and signals of SPEC 9.8.
 */
#include "pogo/compat.h"

#include "pogo/exec.h"

void
pogo_exec_result_set(struct pogo_exec_result *r, enum pogo_exec_state state,
    int exitstatus, const char *fmt, ...)
{
	va_list ap;

	r->state = state;
	r->exitstatus = exitstatus;
	r->timed_out = false;
	r->requeue = false;
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
}

int
pogo_exec_signal_number(const char *name)
{
	static const struct {
		const char *name;
		int n;
	} sigs[] = { { "HUP", 1 }, { "INT", 2 }, { "QUIT", 3 }, { "ILL", 4 },
		{ "ABRT", 6 }, { "FPE", 8 }, { "KILL", 9 }, { "USR1", 10 },
		{ "SEGV", 11 }, { "USR2", 12 }, { "PIPE", 13 }, { "ALRM", 14 },
		{ "TERM", 15 } };
	size_t i;

	if (strncmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; i < POGO_NELEM(sigs); i++) {
		if (strcmp(sigs[i].name, name) == 0)
			return sigs[i].n;
	}
	return 0;
}

void
pogo_exec_limit_start(struct pogo_exec_limit *l, uv_timer_t *tm, uv_timer_cb cb,
    uint64_t ms, bool paused)
{
	l->left_ms = ms;
	l->frozen = paused;
	if (!paused)
		uv_timer_start(tm, cb, ms, 0);
}

void
pogo_exec_limit_freeze(struct pogo_exec_limit *l, uv_timer_t *tm, bool holds)
{
	if (l->frozen || !holds || !uv_is_active((uv_handle_t *)tm))
		return;
	l->left_ms = uv_timer_get_due_in(tm);
	l->frozen = true;
	uv_timer_stop(tm);
}

void
pogo_exec_limit_postpone(struct pogo_exec_limit *l)
{
	l->left_ms = POGO_EXEC_LIMIT_AFTER_MS;
	l->frozen = true;
}

void
pogo_exec_limit_thaw(
    struct pogo_exec_limit *l, uv_timer_t *tm, uv_timer_cb cb, bool holds)
{
	if (!l->frozen)
		return;
	l->frozen = false;
	if (holds)
		uv_timer_start(tm, cb, l->left_ms, 0);
}
