/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/exec-local.c on a real loop: W-008 (records, task id),
 * exit statuses and signals (128 + S), the environment, the host timeout,
 * the output bound, kill, and the callback contract.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/exec-local.h"
#include "pogo/proc.h"

struct lt {
	uv_loop_t loop;
	struct pogo_exec *e;
	struct pogo_exec_task t;
	struct pogo_exec_result r;
	char out[8192];
	size_t olen;
	int started;
	int done;
	bool in_start;
};

static void
lt_started(struct pogo_exec_task *t, void *arg)
{
	struct lt *l = arg;

	ASSERT(!l->in_start);
	l->started++;
}

static void
lt_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
	struct lt *l = arg;

	l->olen += (size_t)snprintf(l->out + l->olen, sizeof(l->out) - l->olen,
	    "%s%.*s|", type == POGO_OUT_STDERR ? "E:" : "", (int)n, d);
}

static void
lt_done(struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct lt *l = arg;

	ASSERT(!l->in_start);
	l->done++;
	l->r = *r;
}

static const struct pogo_exec_events lt_ev = { lt_started, lt_output, lt_done };

static void
lt_closed(void *arg)
{
	(*(int *)arg)++;
}

/* Run one command to its end; returns the recorder. */
static struct lt *
lt_run(const char *cmd, unsigned timeout, size_t max_output, bool kill)
{
	static struct lt l;
	struct pogo_exec_local_opts o = { 0 };
	int closed = 0;

	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_proc_loop_init(&l.loop));
	o.max_tasks = 4;
	o.max_output = max_output;
	o.kill_grace_ms = 300;
	l.e = pogo_exec_local_new(&l.loop, &o, &lt_ev, &l);
	l.t.job_id = "p0000000042";
	l.t.task_id = "some-id";
	l.t.host = "h1";
	l.t.command = cmd;
	l.t.timeout = timeout;
	l.in_start = true;
	ASSERT_OK(l.e->ops->start(l.e, &l.t));
	l.in_start = false;
	ASSERT_EQ(l.e->inflight, 1);
	if (kill) {
		uv_run(&l.loop, UV_RUN_ONCE);
		l.e->ops->kill(l.e, &l.t);
	}
	uv_run(&l.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(l.done, 1);
	ASSERT_EQ(l.e->inflight, 0);
	l.e->ops->close(l.e, lt_closed, &closed);
	uv_run(&l.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&l.loop));
	return &l;
}

TEST(W_008_records)
{
	struct lt *l = lt_run("echo foo; echo bar", 0, 0, false);

	ASSERT_EQ(l->started, 1);
	ASSERT_STR_EQ(l->out, "foo|bar|");
	ASSERT_EQ(l->r.state, POGO_EXEC_FINISHED);
	ASSERT_EQ(l->r.exitstatus, 0);
	ASSERT_STR_EQ(l->r.msg, "ok");
	ASSERT_STR_EQ(l->t.task_id, "some-id");
}

TEST(exit_status_and_streams)
{
	struct lt *l = lt_run("echo out; echo err >&2; exit 3", 0, 0, false);

	ASSERT(strstr(l->out, "out|") != NULL);
	ASSERT(strstr(l->out, "E:err|") != NULL);
	ASSERT_EQ(l->r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(l->r.exitstatus, 3);
	ASSERT_STR_EQ(l->r.msg, "exited with status 3");
}

TEST(signal_is_128_plus_n)
{
	struct lt *l = lt_run("kill -TERM $$", 0, 0, false);

	ASSERT_EQ(l->r.exitstatus, 143);
	ASSERT_STR_EQ(l->r.msg, "exited with status 143");
}

TEST(environment)
{
	struct lt *l = lt_run("echo \"$POGO_JOB_ID $POGO_HOST\"; read x || "
	                      "echo eof",
	    0, 0, false);

	ASSERT_STR_EQ(l->out, "p0000000042 h1|eof|");
}

TEST(timeout_kills_the_group)
{
	struct lt *l = lt_run("sleep 30 & sleep 30", 1, 0, false);

	ASSERT_EQ(l->r.state, POGO_EXEC_FAILED);
	ASSERT(l->r.timed_out);
	ASSERT_STR_EQ(l->r.msg, "timed out after 1 seconds");
}

TEST(output_bound)
{
	struct lt *l = lt_run("yes", 0, 100, false);

	ASSERT_STR_EQ(l->r.msg, "output exceeded 100 bytes");
	ASSERT(strstr(l->out,
	           "E:== Output exceeded maximum length of 100 bytes ==|") !=
	    NULL);
}

TEST(kill)
{
	struct lt *l = lt_run("sleep 30", 0, 0, true);

	ASSERT_STR_EQ(l->r.msg, "killed");
}

TEST(partial_line_at_exit)
{
	struct lt *l = lt_run("printf 'no newline'", 0, 0, false);

	ASSERT_STR_EQ(l->out, "no newline|");
}

/*
 * Many short tasks, each new one started from a done event as the job
 * engine does: every task reports started before done, even when its
 * child exits before the loop delivers the started event (issue 7: hosts
 * that never reached running lost their --output-dir file).
 */
#define MANY_TASKS 200
#define MANY_INFLIGHT 64

struct many {
	uv_loop_t loop;
	struct pogo_exec *e;
	struct pogo_exec_task t[MANY_TASKS];
	int started[MANY_TASKS];
	int done[MANY_TASKS];
	bool done_before_started;
	size_t next;
	size_t ndone;
};

static void
many_start_next(struct many *m)
{
	struct pogo_exec_task *t;

	if (m->next >= MANY_TASKS)
		return;
	t = &m->t[m->next];
	t->job_id = "p0000000042";
	t->task_id = "id";
	t->host = "h";
	t->command = "true";
	t->data = (void *)(uintptr_t)m->next;
	m->next++;
	ASSERT_OK(m->e->ops->start(m->e, t));
}

static void
many_started(struct pogo_exec_task *t, void *arg)
{
	struct many *m = arg;

	m->started[(uintptr_t)t->data]++;
}

static void
many_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
}

static void
many_done(struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct many *m = arg;
	size_t i = (uintptr_t)t->data;

	if (m->started[i] == 0)
		m->done_before_started = true;
	m->done[i]++;
	m->ndone++;
	many_start_next(m);
}

static const struct pogo_exec_events many_ev = { many_started, many_output,
	many_done };

TEST(started_before_done_for_every_task)
{
	static struct many m;
	struct pogo_exec_local_opts o = { 0 };
	int closed = 0;
	size_t i;

	ASSERT_OK(pogo_proc_loop_init(&m.loop));
	o.max_tasks = MANY_INFLIGHT;
	m.e = pogo_exec_local_new(&m.loop, &o, &many_ev, &m);
	for (i = 0; i < MANY_INFLIGHT; i++)
		many_start_next(&m);
	uv_run(&m.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(m.ndone, MANY_TASKS);
	ASSERT(!m.done_before_started);
	for (i = 0; i < MANY_TASKS; i++) {
		ASSERT_EQ(m.started[i], 1);
		ASSERT_EQ(m.done[i], 1);
	}
	m.e->ops->close(m.e, lt_closed, &closed);
	uv_run(&m.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&m.loop));
}
