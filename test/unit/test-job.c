/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/job.c on a real loop with a fake executor (scripted
 * exit codes and delays, in the manner of the original Pogo's
 * pogo-test-ssh-sim): host states and messages of SPEC 5.4, the job log,
 * executor capacity, halt, resume, retry, skip and the job timeout.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/error.h"
#include "pogo/job.h"
#include "pogo/proc.h"
#include "pogo/range.h"
#include "pogo/sched-config.h"
#include "pogo/sched.h"
#include "pogo/xmalloc.h"

struct fake_task {
	struct fake_exec *fe;
	struct pogo_exec_task *t;
	uv_timer_t timer;
	bool started;
	bool killed;
};

struct fake_exec {
	struct pogo_exec base;
	uv_loop_t *loop;
	unsigned delay_ms;
	const char *fail;   /* hosts that exit 1, "a,b" */
	const char *okfile; /* when it exists, nothing fails */
	unsigned refuse;    /* refuse this many starts first */
	int refusal;        /* with this code; 0: UV_EAGAIN */
	int alive;
	const char *watch; /* hosts whose overlap is measured, "a,b" */
	int watch_now;
	int watch_peak;
	struct pogo_strv ids;   /* task ids handed over, in order */
	struct pogo_strv hosts; /* their hosts */
	const char *slow;       /* hosts that take slow_ms */
	unsigned slow_ms;
	unsigned giveback; /* give this many accepted tasks back unstarted */
	unsigned accept_first;    /* starts accepted before the refusals */
	unsigned starts;          /* calls of start() */
	uint64_t last_start;      /* uv_now() of the last accepted start */
	const char *cancel;       /* hosts refused for good (UV_ECANCELED) */
	struct pogo_strv adopted; /* "id@worker/instance" adopted, in order */
	uint64_t adopted_records; /* their stored records, summed */
	bool no_adopt;            /* adopt refuses */
	const char *nowork;       /* hosts refused POGO_ERR_NOWORKER (no key) */
};

static bool
fake_in(const char *list, const char *host)
{
	const char *p;
	size_t n = strlen(host);

	for (p = list; p != NULL && (p = strstr(p, host)) != NULL; p++) {
		if ((p == list || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

static void
fake_closed(uv_handle_t *h)
{
	struct fake_task *ft = h->data;

	ft->fe->alive--;
	free(ft);
}

static void
fake_timer_cb(uv_timer_t *tm)
{
	struct fake_task *ft = tm->data;
	struct fake_exec *fe = ft->fe;
	struct pogo_exec_result r;

	if (!ft->started && fe->giveback > 0 && !ft->killed) {
		/* A worker's late `busy`: accepted, never started. */
		fe->giveback--;
		memset(&r, 0, sizeof(r));
		r.requeue = true;
		fe->base.inflight--;
		fe->base.ev->done(ft->t, &r, fe->base.ev_arg);
		uv_close((uv_handle_t *)tm, fake_closed);
		return;
	}
	if (!ft->started) {
		ft->started = true;
		if (fake_in(fe->watch, ft->t->host) &&
		    ++fe->watch_now > fe->watch_peak)
			fe->watch_peak = fe->watch_now;
		fe->base.ev->started(ft->t, fe->base.ev_arg);
		fe->base.ev->output(
		    ft->t, POGO_OUT_STDOUT, "hello", 5, true, fe->base.ev_arg);
		uv_timer_start(tm, fake_timer_cb,
		    fake_in(fe->slow, ft->t->host) ? fe->slow_ms : fe->delay_ms,
		    0);
		return;
	}
	if (ft->killed)
		pogo_exec_result_set(&r, POGO_EXEC_FAILED, -1, "killed");
	else if (fake_in(fe->fail, ft->t->host) &&
	    (fe->okfile == NULL || access(fe->okfile, F_OK) != 0))
		pogo_exec_result_exit(&r, 1, 0);
	else
		pogo_exec_result_exit(&r, 0, 0);
	if (fake_in(fe->watch, ft->t->host))
		fe->watch_now--;
	fe->base.inflight--;
	fe->base.ev->done(ft->t, &r, fe->base.ev_arg);
	uv_close((uv_handle_t *)tm, fake_closed);
}

static int
fake_start(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct fake_exec *fe = (struct fake_exec *)e;
	struct fake_task *ft;

	fe->starts++;
	if (fake_in(fe->cancel, t->host))
		return UV_ECANCELED;
	if (fake_in(fe->nowork, t->host))
		return POGO_ERR_NOWORKER;
	if (fe->accept_first > 0)
		fe->accept_first--;
	else if (fe->refuse > 0) {
		fe->refuse--;
		return fe->refusal != 0 ? fe->refusal : UV_EAGAIN;
	}
	fe->last_start = uv_now(fe->loop);
	pogo_strv_push(&fe->ids, t->task_id);
	pogo_strv_push(&fe->hosts, t->host);
	ft = xcalloc(1, sizeof(*ft));
	ft->fe = fe;
	ft->t = t;
	t->priv = ft;
	uv_timer_init(fe->loop, &ft->timer);
	ft->timer.data = ft;
	uv_timer_start(&ft->timer, fake_timer_cb, 0, 0);
	fe->alive++;
	e->inflight++;
	if (e->inflight > e->peak_inflight)
		e->peak_inflight = e->inflight;
	return 0;
}

static void
fake_kill(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct fake_task *ft = t->priv;

	ft->killed = true;
	uv_timer_start(&ft->timer, fake_timer_cb, 0, 0);
}

static void
fake_close(struct pogo_exec *e, void (*cb)(void *), void *arg)
{
	cb(arg);
}

/* A task of an earlier life (SPEC 6.4): it ends after delay_ms. */
static int
fake_adopt(struct pogo_exec *e, struct pogo_exec_task *t, const char *worker,
    const char *instance, double started_at, uint64_t records)
{
	struct fake_exec *fe = (struct fake_exec *)e;
	struct fake_task *ft;
	char *s;

	if (fe->no_adopt)
		return POGO_ERR_NOTIMPL;
	xasprintf(&s, "%s@%s/%s", t->task_id, worker, instance);
	pogo_strv_push(&fe->adopted, s);
	fe->adopted_records += records;
	free(s);
	ft = xcalloc(1, sizeof(*ft));
	ft->fe = fe;
	ft->t = t;
	ft->started = started_at > 0;
	t->priv = ft;
	uv_timer_init(fe->loop, &ft->timer);
	ft->timer.data = ft;
	uv_timer_start(&ft->timer, fake_timer_cb, fe->delay_ms, 0);
	fe->alive++;
	e->inflight++;
	return 0;
}

static const struct pogo_exec_ops fake_ops = { fake_start, fake_kill,
	fake_close, NULL, NULL, NULL, fake_adopt, NULL };

struct run {
	uv_loop_t loop;
	struct fake_exec fe;
	struct pogo_dispatch *d;
	struct pogo_sched_config *cfg;
	struct pogo_job *job;
	uv_timer_t guard;
	uv_timer_t action;
	int ends;
	char lines[16384];
	size_t len;
	int outputs;
	uint32_t output_run; /* run number of the last output record */
	void (*at)(struct run *r);
};

static void
run_entry(struct pogo_job *job, const struct pogo_job_entry *e, void *arg)
{
	struct run *r = arg;

	r->len += (size_t)snprintf(r->lines + r->len, sizeof(r->lines) - r->len,
	    "%s %s %s%s%d\n", e->host != NULL ? e->host : "job",
	    e->host != NULL ? pogo_host_state_name(e->state)
	                    : pogo_job_state_name(e->state),
	    e->message, e->exitstatus >= 0 ? " rc=" : " ", e->exitstatus);
}

static void
run_output(struct pogo_job *job, const char *host, uint32_t run,
    enum pogo_out_type type, const char *data, size_t len, bool eol,
    double time, void *arg)
{
	((struct run *)arg)->outputs++;
	((struct run *)arg)->output_run = run;
}

static void
run_end(struct pogo_job *job, void *arg)
{
	struct run *r = arg;

	r->ends++;
	uv_stop(&r->loop);
}

static const struct pogo_job_listener run_listener = { run_entry, run_output,
	run_end };

static const char *guard_lines; /* printed when the guard fires */

static void
guard_cb(uv_timer_t *t)
{
	if (guard_lines != NULL)
		fprintf(stderr, "%s", guard_lines);
	harness_fail(__FILE__, __LINE__, "the job did not end in time");
}

static void
action_cb(uv_timer_t *t)
{
	struct run *r = t->data;

	r->at(r);
}

static void
run_setup(struct run *r, const char *yaml, const char *targets,
    unsigned max_tasks, unsigned delay_ms, unsigned job_timeout)
{
	struct pogo_strv hosts = { 0 };
	struct pogo_job_opts o;
	char *cause = NULL;

	memset(r, 0, sizeof(*r));
	ASSERT_OK(pogo_proc_loop_init(&r->loop));
	r->fe.base.ops = &fake_ops;
	r->fe.base.max_tasks = max_tasks;
	r->fe.loop = &r->loop;
	r->fe.delay_ms = delay_ms;
	if (yaml != NULL) {
		ASSERT_OK(pogo_sched_config_parse(
		    yaml, strlen(yaml), &r->cfg, &cause));
		ASSERT_OK(pogo_sched_config_build(r->cfg, &cause));
	}
	ASSERT_OK(pogo_range_expand(targets, 0, &hosts, &cause));
	memset(&o, 0, sizeof(o));
	o.id = "p0000000000";
	o.command = "cmd";
	o.timeout = 600;
	o.job_timeout = job_timeout;
	r->d = pogo_dispatch_new(&r->loop, &r->fe.base, NULL);
	ASSERT_OK(pogo_job_new(&r->loop, r->cfg, &hosts, &o, r->d,
	    &run_listener, r, &r->job, &cause));
	pogo_strv_clear(&hosts);
	uv_timer_init(&r->loop, &r->guard);
	uv_timer_init(&r->loop, &r->action);
	r->action.data = r;
}

static void
closed_cb(void *arg)
{
}

static void
run_go(struct run *r)
{
	guard_lines = r->lines;
	uv_timer_start(&r->guard, guard_cb, 10000, 0);
	uv_run(&r->loop, UV_RUN_DEFAULT);
}

static void
run_free(struct run *r)
{
	uv_close((uv_handle_t *)&r->guard, NULL);
	uv_close((uv_handle_t *)&r->action, NULL);
	pogo_job_close(r->job, closed_cb, NULL);
	pogo_dispatch_close(r->d, closed_cb, NULL);
	uv_run(&r->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(r->fe.alive, 0);
	pogo_strv_clear(&r->fe.ids);
	pogo_strv_clear(&r->fe.hosts);
	pogo_strv_clear(&r->fe.adopted);
	ASSERT_OK(pogo_proc_loop_close(&r->loop));
	pogo_sched_config_free(r->cfg);
}

#define CFG_S022                                                     \
	"tag:\n  colo:\n    north_america: [host4, host5, host6]\n"  \
	"constraint:\n  $colo.north_america:\n    max_parallel: 1\n" \
	"sequence:\n  - $colo.north_america\n"

TEST(J_2_states_and_log)
{
	struct run r;

	run_setup(&r, CFG_S022, "host4,host5,host6", 10, 1, 0);
	r.fe.fail = "host6";
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(r.ends, 1);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_DEADLOCKED);
	ASSERT_STR_EQ(r.lines,
	    "job gathering job created; fetching host info -1\n"
	    "host6 waiting determining run order... -1\n"
	    "host5 waiting determining run order... -1\n"
	    "host4 waiting determining run order... -1\n"
	    "job running constraints computed -1\n"
	    "host6 ready connecting to host... -1\n"
	    "host5 waiting waiting for $colo.north_america -1\n"
	    "host4 waiting waiting for $colo.north_america -1\n"
	    "host6 running started -1\n"
	    "host6 failed exited with status 1 rc=1\n"
	    "host5 deadlocked job deadlocked -1\n"
	    "host4 deadlocked job deadlocked -1\n"
	    "job deadlocked unable to run more hosts due to failures -1\n");
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_DEADLOCKED), 2);
	ASSERT_EQ(r.outputs, 1);
	run_free(&r);
}

TEST(slot_waiting_messages_and_sequence)
{
	struct run r;

	run_setup(&r,
	    "tag: {colo: {na: [h1, h2], sea: [h3]}}\n"
	    "sequence: [$colo.na, $colo.sea]\n",
	    "h1,h2,h3", 10, 1, 0);
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT(strstr(r.lines, "h3 waiting waiting for $colo.na -1\n") != NULL);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT(strstr(r.lines, "job finished no more hosts to run") != NULL);
	run_free(&r);
}

TEST(executor_capacity)
{
	struct run r;

	run_setup(&r, NULL, "a,b,c", 1, 5, 0);
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT(strstr(r.lines, "b waiting waiting for a worker") != NULL);
	ASSERT(strstr(r.lines, "c waiting waiting for a worker") != NULL);
	ASSERT_EQ(r.fe.base.peak_inflight, 1);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 3);
	run_free(&r);
}

/*
 * A start the executor refuses is no run of the host: the task waits and
 * is handed over again later, even with nothing else in flight.
 */
TEST(refused_start_waits_and_is_retried)
{
	struct run r;
	struct pogo_job_entry e;
	uint32_t i;

	run_setup(&r, NULL, "a,b", 10, 1, 0);
	r.fe.refuse = 3;
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(r.fe.refuse, 0);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FAILED), 0);
	ASSERT(
	    strstr(r.lines,
	        "a waiting waiting for a worker: cannot run task: ") != NULL);
	ASSERT(strstr(r.lines, "failed") == NULL);
	for (i = 0; pogo_job_log(r.job, i, &e); i++) {
		if (e.host != NULL)
			ASSERT_EQ(e.run, 0);
	}
	run_free(&r);
}

/* A refusal that will not pass (the executor closes) fails the host. */
TEST(refused_start_for_good_fails)
{
	struct run r;

	run_setup(&r, NULL, "a", 10, 1, 0);
	r.fe.refuse = 1000000;
	r.fe.refusal = UV_ECANCELED;
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FAILED), 1);
	ASSERT(strstr(r.lines, "a failed cannot run task: ") != NULL);
	ASSERT_EQ(r.ends, 1);
	run_free(&r);
}

/* A halt withdraws a task whose start was refused; the job ends. */
TEST(refused_start_withdrawn_by_halt)
{
	struct run r;

	run_setup(&r, NULL, "a", 10, 1, 0);
	r.fe.refuse = 1000000;
	pogo_job_start(r.job);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_WAITING), 1);
	ASSERT_OK(pogo_job_halt(r.job, NULL));
	run_go(&r);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_HALTED), 1);
	ASSERT_EQ(r.ends, 1);
	run_free(&r);
}

TEST(J_7_job_timeout)
{
	struct run r;

	run_setup(&r,
	    "tag: {g: [h1, h2, h3]}\nconstraint: {$g: "
	    "{max_parallel: 1}}\n",
	    "h1,h2,h3", 10, 1500, 1);
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	ASSERT(strstr(r.lines, "job halted timeout reached") != NULL);
	/* The running host finished; the two waiting ones were halted. */
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 1);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_HALTED), 2);
	run_free(&r);
}

static void
halt_then_resume(struct run *r)
{
	if (pogo_job_state(r->job) == POGO_JOB_RUNNING) {
		ASSERT_OK(pogo_job_halt(r->job, NULL));
		ASSERT_EQ(pogo_job_halt(r->job, NULL), POGO_ERR_STATE);
	}
}

TEST(J_6_halt_and_resume)
{
	struct run r;

	run_setup(&r,
	    "tag: {all: [\"h[1-10]\"]}\nconstraint: {$all: "
	    "{max_parallel: 2}}\n",
	    "h[1-10]", 10, 200, 0);
	r.at = halt_then_resume;
	pogo_job_start(r.job);
	uv_timer_start(&r.action, action_cb, 100, 0);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_HALTED), 8);
	ASSERT(strstr(r.lines, "job halted halted by user") != NULL);
	ASSERT_OK(pogo_job_resume(r.job));
	ASSERT_EQ(pogo_job_resume(r.job), POGO_ERR_STATE);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 10);
	run_free(&r);
}

TEST(J_3_retry_and_J_4_skip)
{
	struct run r;
	enum pogo_host_state st;
	int rc;
	char okfile[] = "/tmp/pogo-job-ok-XXXXXX";
	int fd;

	fd = mkstemp(okfile);
	ASSERT(fd >= 0);
	close(fd);
	unlink(okfile);
	run_setup(&r, CFG_S022, "host4,host5,host6", 10, 1, 0);
	r.fe.fail = "host6";
	r.fe.okfile = okfile;
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_DEADLOCKED);
	ASSERT_EQ(pogo_job_retry(r.job, "host5"), POGO_ERR_STATE);
	ASSERT_EQ(pogo_job_retry(r.job, "nope"), POGO_ERR_NOTFOUND);
	/* J-3: make host6 succeed, retry it: the job resumes and ends. */
	fd = open(okfile, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ASSERT_OK(pogo_job_retry(r.job, "host6"));
	ASSERT(strstr(r.lines, "job running job resumed by retry request") !=
	    NULL);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT_OK(pogo_job_host(r.job, "host6", &st, &rc));
	ASSERT_EQ(st, POGO_HOST_FINISHED);
	ASSERT_EQ(rc, 0);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 3);
	run_free(&r);
	unlink(okfile);

	/* J-4: skip instead; the job stays deadlocked until resumed. */
	run_setup(&r, CFG_S022, "host4,host5,host6", 10, 1, 0);
	r.fe.fail = "host6";
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_OK(pogo_job_skip(r.job, "host6"));
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_DEADLOCKED);
	ASSERT_OK(pogo_job_host(r.job, "host5", &st, &rc));
	ASSERT_EQ(st, POGO_HOST_DEADLOCKED);
	ASSERT_OK(pogo_job_resume(r.job));
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT_OK(pogo_job_host(r.job, "host6", &st, &rc));
	ASSERT_EQ(st, POGO_HOST_SKIPPED);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 2);
	run_free(&r);
}

static void
kill_all(struct run *r)
{
	pogo_job_halt(r->job, NULL);
	pogo_job_kill(r->job);
}

TEST(kill_stops_running_tasks)
{
	struct run r;

	run_setup(&r, NULL, "a,b", 10, 5000, 0);
	r.at = kill_all;
	pogo_job_start(r.job);
	uv_timer_start(&r.action, action_cb, 50, 0);
	run_go(&r);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FAILED), 2);
	ASSERT(strstr(r.lines, "a failed killed") != NULL);
	run_free(&r);
}

static void
halt_by_user(struct run *r)
{
	ASSERT_OK(pogo_job_halt(r->job, NULL));
}

/* The job timeout still applies after a resume (SPEC 5.6). */
TEST(J_7_job_timeout_after_resume)
{
	struct run r;

	run_setup(&r,
	    "tag: {g: [h1, h2, h3]}\nconstraint: {$g: "
	    "{max_parallel: 1}}\n",
	    "h1,h2,h3", 10, 600, 1);
	r.at = halt_by_user;
	pogo_job_start(r.job);
	uv_timer_start(&r.action, action_cb, 100, 0);
	run_go(&r);
	ASSERT(strstr(r.lines, "job halted halted by user") != NULL);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 1);
	/* Resumed at about 0.6 s: h2 runs to 1.2 s, past the deadline. */
	ASSERT_OK(pogo_job_resume(r.job));
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	ASSERT(strstr(r.lines, "job halted timeout reached") != NULL);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_HALTED), 1);
	run_free(&r);
}

/* A retry that resumes a deadlocked job re-arms the job timeout. */
TEST(J_7_job_timeout_after_retry)
{
	struct run r;
	char okfile[] = "/tmp/pogo-job-ok-XXXXXX";
	int fd;

	fd = mkstemp(okfile);
	ASSERT(fd >= 0);
	close(fd);
	run_setup(&r, CFG_S022, "host4,host5,host6", 10, 1, 1);
	r.fe.fail = "host6";
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_DEADLOCKED);
	/* The retried host now takes 1.5 s: the job times out meanwhile. */
	r.fe.okfile = okfile;
	r.fe.delay_ms = 1500;
	ASSERT_OK(pogo_job_retry(r.job, "host6"));
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	ASSERT(strstr(r.lines, "job halted timeout reached") != NULL);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 1);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_HALTED), 2);
	run_free(&r);
	unlink(okfile);
}

static void
stop_loop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

/* SPEC 5.5: retry is refused once start_time + job_timeout has passed. */
TEST(retry_refused_after_job_expired)
{
	struct run r;
	enum pogo_host_state st;
	struct pogo_job_entry e;
	uint32_t n;
	int rc;

	run_setup(&r, CFG_S022, "host4,host5,host6", 10, 1, 1);
	r.fe.fail = "host6";
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_DEADLOCKED);
	ASSERT(pogo_job_log(r.job, 0, &e));
	/* Let the job's deadline pass. */
	uv_timer_start(&r.action, stop_loop, 1200, 0);
	uv_run(&r.loop, UV_RUN_DEFAULT);
	for (n = 0; pogo_job_log(r.job, n, &e); n++)
		;
	ASSERT_EQ(pogo_job_retry(r.job, "host6"), POGO_ERR_TIMEOUT);
	ASSERT_EQ(pogo_job_retry(r.job, "nope"), POGO_ERR_TIMEOUT);
	/* Nothing changed: no entry, same states. */
	ASSERT(!pogo_job_log(r.job, n, &e));
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_DEADLOCKED);
	ASSERT_OK(pogo_job_host(r.job, "host6", &st, &rc));
	ASSERT_EQ(st, POGO_HOST_FAILED);
	/* Skip is not refused (SPEC 5.5). */
	ASSERT_OK(pogo_job_skip(r.job, "host6"));
	run_free(&r);
}

/* Run numbers (SPEC 5.8): every entry of a run carries that run's number. */
TEST(run_numbers_of_log_entries)
{
	struct run r;
	struct pogo_job_entry e;
	char got[1024];
	size_t len = 0;
	uint32_t i;

	run_setup(&r, NULL, "a", 10, 1, 0);
	r.fe.fail = "a";
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(r.output_run, 0);
	r.fe.fail = NULL;
	ASSERT_OK(pogo_job_retry(r.job, "a"));
	run_go(&r);
	ASSERT_EQ(r.output_run, 1);
	for (i = 0; pogo_job_log(r.job, i, &e); i++) {
		if (e.host != NULL)
			len += (size_t)snprintf(got + len, sizeof(got) - len,
			    "%s %u\n", pogo_host_state_name(e.state), e.run);
	}
	ASSERT_STR_EQ(got,
	    "waiting 0\n"
	    "ready 0\n"
	    "running 0\n"
	    "failed 0\n"
	    "waiting 1\n"
	    "ready 1\n"
	    "running 1\n"
	    "finished 1\n");
	run_free(&r);
}

/*
 * Several jobs on one executor (SPEC 7.2, 3.5): one loop, one fake
 * executor, jobs sharing one counter registry (one namespace).
 */
#define MULTI_MAX 3

struct mjob {
	struct multi *m;
	struct pogo_job *job;
	char lines[8192];
	size_t len;
	int ends;
	int end_order; /* 1 for the first job to end, ... */
};

struct multi {
	uv_loop_t loop;
	struct fake_exec fe;
	struct pogo_dispatch *d;
	struct pogo_sched_config *cfg;
	struct pogo_sched_counters *ctrs;
	struct mjob j[MULTI_MAX];
	int njobs;
	int ended;
	unsigned job_timeout; /* of the jobs added next */
	uv_timer_t guard;
};

static void
multi_entry(struct pogo_job *job, const struct pogo_job_entry *e, void *arg)
{
	struct mjob *mj = arg;

	mj->len +=
	    (size_t)snprintf(mj->lines + mj->len, sizeof(mj->lines) - mj->len,
	        "%s %s %s run=%u\n", e->host != NULL ? e->host : "job",
	        e->host != NULL ? pogo_host_state_name(e->state)
	                        : pogo_job_state_name(e->state),
	        e->message, e->run);
}

static void
multi_end(struct pogo_job *job, void *arg)
{
	struct mjob *mj = arg;

	mj->ends++;
	mj->end_order = ++mj->m->ended;
	if (mj->m->ended == mj->m->njobs)
		uv_stop(&mj->m->loop);
}

static const struct pogo_job_listener multi_listener = { multi_entry, NULL,
	multi_end };

static void
multi_setup_opts(struct multi *m, const char *yaml, unsigned max_tasks,
    unsigned delay_ms, bool shared, const struct pogo_dispatch_opts *dopts)
{
	char *cause = NULL;

	memset(m, 0, sizeof(*m));
	ASSERT_OK(pogo_proc_loop_init(&m->loop));
	m->fe.base.ops = &fake_ops;
	m->fe.base.max_tasks = max_tasks;
	m->fe.loop = &m->loop;
	m->fe.delay_ms = delay_ms;
	if (yaml != NULL) {
		ASSERT_OK(pogo_sched_config_parse(
		    yaml, strlen(yaml), &m->cfg, &cause));
		ASSERT_OK(pogo_sched_config_build(m->cfg, &cause));
	}
	m->d = pogo_dispatch_new(&m->loop, &m->fe.base, dopts);
	if (shared)
		m->ctrs = pogo_dispatch_counters(m->d, "ns");
	uv_timer_init(&m->loop, &m->guard);
}

static void
multi_setup(struct multi *m, const char *yaml, unsigned max_tasks,
    unsigned delay_ms, bool shared)
{
	multi_setup_opts(m, yaml, max_tasks, delay_ms, shared, NULL);
}

static struct pogo_job *
multi_add(struct multi *m, const char *id, const char *targets)
{
	struct pogo_strv hosts = { 0 };
	struct pogo_job_opts o;
	struct mjob *mj = &m->j[m->njobs];
	char *cause = NULL;

	ASSERT_LT(m->njobs, MULTI_MAX);
	ASSERT_OK(pogo_range_expand(targets, 0, &hosts, &cause));
	memset(&o, 0, sizeof(o));
	o.id = id;
	o.command = "cmd";
	o.timeout = 600;
	o.counters = m->ctrs;
	o.job_timeout = m->job_timeout;
	mj->m = m;
	ASSERT_OK(pogo_job_new(&m->loop, m->cfg, &hosts, &o, m->d,
	    &multi_listener, mj, &mj->job, &cause));
	pogo_strv_clear(&hosts);
	m->njobs++;
	return mj->job;
}

static void
multi_go(struct multi *m, unsigned ms)
{
	uv_timer_start(&m->guard, guard_cb, ms, 0);
	uv_run(&m->loop, UV_RUN_DEFAULT);
	uv_timer_stop(&m->guard);
}

static void
multi_free(struct multi *m)
{
	int i;

	uv_close((uv_handle_t *)&m->guard, NULL);
	for (i = 0; i < m->njobs; i++)
		pogo_job_close(m->j[i].job, closed_cb, NULL);
	pogo_dispatch_close(m->d, closed_cb, NULL);
	uv_run(&m->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(m->fe.alive, 0);
	pogo_strv_clear(&m->fe.ids);
	pogo_strv_clear(&m->fe.hosts);
	ASSERT_OK(pogo_proc_loop_close(&m->loop));
	pogo_sched_config_free(m->cfg);
}

/*
 * Two jobs on an executor with room for one task: both finish.  With a
 * queue per job, the second job's tasks waited for its own tasks to end,
 * which never started: it stalled.
 */
TEST(two_jobs_on_one_executor_both_finish)
{
	struct multi m;
	int i;

	multi_setup(&m, NULL, 1, 5, false);
	multi_add(&m, "p0000000001", "a1,a2,a3");
	multi_add(&m, "p0000000002", "b1,b2,b3");
	for (i = 0; i < m.njobs; i++)
		pogo_job_start(m.j[i].job);
	multi_go(&m, 5000);
	for (i = 0; i < m.njobs; i++) {
		ASSERT_EQ(pogo_job_state(m.j[i].job), POGO_JOB_FINISHED);
		ASSERT_EQ(pogo_job_count(m.j[i].job, POGO_HOST_FINISHED), 3);
		ASSERT_EQ(m.j[i].ends, 1);
	}
	ASSERT(strstr(m.j[1].lines, "b1 waiting waiting for a worker") != NULL);
	ASSERT_EQ(m.fe.base.peak_inflight, 1);
	multi_free(&m);
}

/*
 * SPEC 7.2: one dispatch queue, served in order over all jobs.  A's second
 * slot becomes runnable after B's hosts queued: they wait behind B's.
 */
TEST(dispatch_queue_served_in_order_across_jobs)
{
	struct multi m;
	char got[256];
	size_t i, len = 0;

	multi_setup(&m,
	    "tag: {s1: [a1], s2: [a2, a3]}\n"
	    "sequence: [$s1, $s2]\n",
	    1, 5, false);
	multi_add(&m, "p0000000001", "a1,a2,a3");
	multi_add(&m, "p0000000002", "b1,b2");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	multi_go(&m, 5000);
	got[0] = '\0';
	for (i = 0; i < m.fe.hosts.n; i++)
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s",
		    i > 0 ? "," : "", m.fe.hosts.v[i]);
	/* a2 and a3 in their slot's order (SPEC 2.9), after B's hosts. */
	ASSERT(strncmp(got, "a1,b1,b2,", 9) == 0);
	ASSERT(strcmp(got + 9, "a2,a3") == 0 || strcmp(got + 9, "a3,a2") == 0);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_FINISHED), 3);
	ASSERT_EQ(pogo_job_count(m.j[1].job, POGO_HOST_FINISHED), 2);
	multi_free(&m);
}

/* SPEC 7.2: task ids are unique across the jobs of an executor. */
TEST(task_ids_unique_across_jobs)
{
	struct multi m;
	size_t i, k;

	multi_setup(&m, NULL, 10, 1, false);
	multi_add(&m, "p0000000001", "a1,a2");
	multi_add(&m, "p0000000002", "b1,b2");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	multi_go(&m, 5000);
	ASSERT_EQ(m.fe.ids.n, 4);
	for (i = 0; i < m.fe.ids.n; i++) {
		for (k = i + 1; k < m.fe.ids.n; k++)
			ASSERT(strcmp(m.fe.ids.v[i], m.fe.ids.v[k]) != 0);
	}
	multi_free(&m);
}

/*
 * SPEC 3.5: two jobs of one namespace never exceed a shared limit
 * together, and reach it.
 */
TEST(shared_counters_limit_two_jobs_together)
{
	struct multi m;
	int i;

	multi_setup(&m,
	    "tag: {g: [\"a[1-4]\", \"b[1-4]\"]}\n"
	    "constraint: {$g: {max_parallel: 2}}\n",
	    10, 20, true);
	m.fe.watch = "a1,a2,a3,a4,b1,b2,b3,b4";
	multi_add(&m, "p0000000001", "a[1-4]");
	multi_add(&m, "p0000000002", "b[1-4]");
	for (i = 0; i < m.njobs; i++)
		pogo_job_start(m.j[i].job);
	multi_go(&m, 5000);
	for (i = 0; i < m.njobs; i++)
		ASSERT_EQ(pogo_job_count(m.j[i].job, POGO_HOST_FINISHED), 4);
	ASSERT_EQ(m.fe.watch_peak, 2);
	ASSERT(strstr(m.j[1].lines, "b1 waiting waiting for $g") != NULL);
	multi_free(&m);
}

/*
 * SPEC 3.4: B waits for the unit of a shared group that A's host holds.
 * A's host fails and keeps the unit while A goes on (a2 runs): B is
 * deadlocked then, not when A ends.
 */
TEST(deadlock_across_jobs_when_other_jobs_host_fails)
{
	struct multi m;

	multi_setup(&m,
	    "tag: {g: [a1, b1, b2]}\n"
	    "constraint: {$g: {max_parallel: 1}}\n",
	    10, 50, true);
	m.fe.fail = "a1";
	m.fe.slow = "a2";
	m.fe.slow_ms = 400;
	multi_add(&m, "p0000000001", "a1,a2");
	multi_add(&m, "p0000000002", "b1,b2");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	multi_go(&m, 5000);
	ASSERT_EQ(pogo_job_state(m.j[1].job), POGO_JOB_DEADLOCKED);
	ASSERT_EQ(pogo_job_count(m.j[1].job, POGO_HOST_DEADLOCKED), 2);
	ASSERT_EQ(pogo_job_state(m.j[0].job), POGO_JOB_FINISHED);
	ASSERT_EQ(m.j[1].end_order, 1);
	ASSERT_EQ(m.j[0].end_order, 2);
	multi_free(&m);
}

/*
 * A task the executor accepted and gives back unstarted (a worker's late
 * `busy`) is no run: the host waits for a worker again, never `failed`,
 * and goes out again with the same task id and run number.
 */
TEST(task_given_back_by_executor_waits_not_failed)
{
	struct run r;
	struct pogo_job_entry e;
	uint32_t i;

	run_setup(&r, NULL, "a", 10, 1, 0);
	r.fe.giveback = 2;
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(r.fe.giveback, 0);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FINISHED), 1);
	ASSERT(strstr(r.lines, "failed") == NULL);
	ASSERT(strstr(r.lines,
	           "a ready connecting to host... -1\n"
	           "a waiting waiting for a worker -1\n"
	           "a ready connecting to host...") != NULL);
	ASSERT_EQ(r.fe.ids.n, 3);
	ASSERT_STR_EQ(r.fe.ids.v[0], r.fe.ids.v[2]);
	ASSERT_STR_EQ(r.fe.ids.v[0], "one-1");
	for (i = 0; pogo_job_log(r.job, i, &e); i++) {
		if (e.host != NULL)
			ASSERT_EQ(e.run, 0);
	}
	run_free(&r);
}

static void
halt_now(struct run *r)
{
	ASSERT_OK(pogo_job_halt(r->job, NULL));
}

/*
 * A task given back after its job was halted never ran: the host is
 * `halted` and the job ends.
 */
TEST(task_given_back_after_halt_is_halted)
{
	struct run r;

	run_setup(&r, NULL, "a", 10, 1, 0);
	r.fe.giveback = 1;
	r.at = halt_now;
	pogo_job_start(r.job);
	/* Halt before the executor's answer (its timer runs at 0 ms). */
	halt_now(&r);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_HALTED), 1);
	ASSERT(strstr(r.lines, "a halted job halted") != NULL);
	ASSERT(strstr(r.lines, "failed") == NULL);
	ASSERT_EQ(r.ends, 1);
	run_free(&r);
}

static int
count_from_41(void *arg, uint64_t *np)
{
	uint64_t *n = arg;

	*np = (*n)++;
	return 0;
}

/*
 * SPEC 7.2, 6.4: task ids are <prefix><n> with n from the caller's
 * counter (the store's, in the dispatcher), across jobs; a retry is a new
 * run with a new id.
 */
TEST(task_ids_from_the_callers_counter)
{
	struct multi m;
	struct pogo_dispatch_opts o;
	uint64_t next = 41;
	char got[256];
	size_t i, len = 0;

	memset(&o, 0, sizeof(o));
	o.task_prefix = "127.0.0.1:7655-";
	o.next_task = count_from_41;
	o.next_task_arg = &next;
	multi_setup_opts(&m, NULL, 1, 1, false, &o);
	m.fe.fail = "a1";
	multi_add(&m, "p0000000001", "a1");
	multi_add(&m, "p0000000002", "b1");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	multi_go(&m, 5000);
	m.fe.fail = NULL;
	m.ended = 1;
	ASSERT_OK(pogo_job_retry(m.j[0].job, "a1"));
	multi_go(&m, 5000);
	for (i = 0; i < m.fe.ids.n; i++)
		len += (size_t)snprintf(got + len, sizeof(got) - len, "%s=%s ",
		    m.fe.hosts.v[i], m.fe.ids.v[i]);
	ASSERT_STR_EQ(got,
	    "a1=127.0.0.1:7655-41 b1=127.0.0.1:7655-42 "
	    "a1=127.0.0.1:7655-43 ");
	ASSERT_EQ(next, 44);
	multi_free(&m);
}

/*
 * A halt takes the job's queued tasks out of the shared queue; the other
 * job's tasks go on in order.
 */
TEST(halt_withdraws_queued_tasks_other_jobs_go_on)
{
	struct multi m;

	multi_setup(&m, NULL, 1, 20, false);
	multi_add(&m, "p0000000001", "a1,a2,a3");
	multi_add(&m, "p0000000002", "b1,b2");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	ASSERT_EQ(pogo_dispatch_queued(m.d), 4);
	ASSERT_OK(pogo_job_halt(m.j[0].job, NULL));
	ASSERT_EQ(pogo_dispatch_queued(m.d), 2);
	multi_go(&m, 5000);
	ASSERT_EQ(pogo_job_state(m.j[0].job), POGO_JOB_HALTED);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_FINISHED), 1);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_HALTED), 2);
	ASSERT_EQ(pogo_job_count(m.j[1].job, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_dispatch_queued(m.d), 0);
	multi_free(&m);
}

static int
count_fail_once(void *arg, uint64_t *np)
{
	uint64_t *n = arg;

	if ((*n)++ == 0)
		return POGO_ERR_STORE;
	*np = *n;
	return 0;
}

/*
 * A task counter that fails (the store) leaves the host waiting for a
 * worker, with the reason, and the task is tried again later: no run.
 */
TEST(task_counter_error_waits_and_retries)
{
	struct multi m;
	struct pogo_dispatch_opts o;
	uint64_t n = 0;

	memset(&o, 0, sizeof(o));
	o.next_task = count_fail_once;
	o.next_task_arg = &n;
	multi_setup_opts(&m, NULL, 10, 1, false, &o);
	multi_add(&m, "p0000000001", "a1");
	pogo_job_start(m.j[0].job);
	multi_go(&m, 5000);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_FINISHED), 1);
	ASSERT(
	    strstr(m.j[0].lines,
	        "a1 waiting waiting for a worker: cannot run task: ") != NULL);
	ASSERT_EQ(m.fe.ids.n, 1);
	ASSERT_STR_EQ(m.fe.ids.v[0], "one-2");
	multi_free(&m);
}

/*
 * SPEC 5.6 with a shared executor: A's hosts wait in the dispatch queue
 * behind B's slow host when A's job timeout comes; A is halted, its queued
 * hosts are halted and give their place up, and B goes on.
 */
TEST(job_timeout_halts_queued_hosts_of_one_job)
{
	struct multi m;

	multi_setup(&m, NULL, 1, 1, false);
	m.fe.slow = "b1,b2";
	m.fe.slow_ms = 700;
	multi_add(&m, "p0000000002", "b1,b2");
	m.job_timeout = 1;
	multi_add(&m, "p0000000001", "a1,a2");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	ASSERT_EQ(pogo_dispatch_queued(m.d), 3);
	multi_go(&m, 5000);
	/* b1 ran 0-0.7 s, b2 0.7-1.4 s; A timed out at 1 s, still queued. */
	ASSERT_EQ(pogo_job_state(m.j[1].job), POGO_JOB_HALTED);
	ASSERT(strstr(m.j[1].lines, "job halted timeout reached") != NULL);
	ASSERT_EQ(pogo_job_count(m.j[1].job, POGO_HOST_HALTED), 2);
	ASSERT_EQ(m.j[1].end_order, 1);
	ASSERT_EQ(pogo_job_state(m.j[0].job), POGO_JOB_FINISHED);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(m.fe.hosts.n, 2);
	multi_free(&m);
}

/*
 * SPEC 7.2: an executor that answers busy counts as full until one of its
 * tasks ends; then the refused task, first in line, goes at once (not
 * after POGO_DISPATCH_RETRY_MS), and nothing is tried in between.
 */
TEST(busy_executor_full_until_a_task_ends)
{
	struct multi m;
	uint64_t t0;

	multi_setup(&m, NULL, 10, 50, false);
	m.fe.accept_first = 1;
	m.fe.refuse = 1;
	m.fe.refusal = UV_EBUSY;
	multi_add(&m, "p0000000001", "a1,a2");
	multi_add(&m, "p0000000002", "b1");
	uv_update_time(&m.loop);
	t0 = uv_now(&m.loop);
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	/* a1 runs; a2 was refused and waits first in line, b1 behind it. */
	ASSERT_EQ(pogo_dispatch_queued(m.d), 2);
	ASSERT_EQ(m.fe.starts, 2);
	ASSERT(
	    strstr(m.j[0].lines,
	        "a2 waiting waiting for a worker: cannot run task: ") != NULL);
	multi_go(&m, 5000);
	ASSERT_EQ(m.fe.starts, 4);
	ASSERT_EQ(m.fe.hosts.n, 3);
	ASSERT_STR_EQ(m.fe.hosts.v[1], "a2");
	ASSERT_STR_EQ(m.fe.hosts.v[2], "b1");
	ASSERT_LT(m.fe.last_start - t0, POGO_DISPATCH_RETRY_MS);
	ASSERT(strstr(m.j[0].lines, "failed") == NULL);
	multi_free(&m);
}

/*
 * SPEC 7.2: a task no connected worker can take (its job's secrets are
 * for a key no worker with room holds, or not cached) waits in its place,
 * `waiting for a worker`, never failed, while the tasks of other jobs
 * behind it go; a kick (a worker connects) tries it again.
 */
TEST(task_for_no_worker_waits_in_place_others_go)
{
	struct multi m;

	multi_setup(&m, NULL, 10, 1, false);
	m.fe.nowork = "a1,a2";
	multi_add(&m, "p0000000001", "a1,a2");
	multi_add(&m, "p0000000002", "b1,b2");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	uv_timer_start(&m.guard, stop_loop, 300, 0);
	uv_run(&m.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(pogo_job_count(m.j[1].job, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_job_state(m.j[1].job), POGO_JOB_FINISHED);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_WAITING), 2);
	ASSERT_EQ(pogo_dispatch_queued(m.d), 2);
	ASSERT(strstr(m.j[0].lines,
	           "a1 waiting waiting for a worker run=0\n") != NULL);
	ASSERT(strstr(m.j[0].lines, "cannot run task") == NULL);
	m.fe.nowork = NULL;
	pogo_dispatch_kick(m.d);
	multi_go(&m, 5000);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_FINISHED), 2);
	ASSERT(strstr(m.j[0].lines, "failed") == NULL);
	multi_free(&m);
}

/*
 * No capacity at all (no worker yet: max_tasks 0) is no failure: every
 * host waits for a worker, holding its units, until the executor gains
 * room and the dispatch is told (pogo_dispatch_kick).
 */
TEST(no_capacity_waits_for_a_worker_until_kicked)
{
	struct multi m;

	multi_setup(&m, NULL, 0, 1, false);
	multi_add(&m, "p0000000001", "a1,a2");
	pogo_job_start(m.j[0].job);
	ASSERT_EQ(pogo_dispatch_queued(m.d), 2);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_WAITING), 2);
	ASSERT(strstr(m.j[0].lines, "a2 waiting waiting for a worker") != NULL);
	/* Nothing changes while the loop runs without room. */
	uv_timer_start(&m.guard, stop_loop, 200, 0);
	uv_run(&m.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(pogo_dispatch_queued(m.d), 2);
	ASSERT_EQ(m.fe.starts, 0);
	ASSERT_EQ(pogo_job_state(m.j[0].job), POGO_JOB_RUNNING);
	m.fe.base.max_tasks = 1;
	pogo_dispatch_kick(m.d);
	ASSERT_EQ(pogo_dispatch_queued(m.d), 1);
	multi_go(&m, 5000);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_FINISHED), 2);
	ASSERT(strstr(m.j[0].lines, "failed") == NULL);
	multi_free(&m);
}

/*
 * The same when A's host fails because the executor refuses it for good
 * ("cannot run task"): a1 took the unit and waited for a worker while B
 * waited for the unit; when a1 is refused, B is deadlocked, not left
 * waiting.
 */
TEST(deadlock_across_jobs_when_other_jobs_host_is_refused)
{
	struct multi m;

	multi_setup(&m,
	    "tag: {g: [a1, b1, b2]}\n"
	    "constraint: {$g: {max_parallel: 1}}\n",
	    1, 100, true);
	m.fe.cancel = "a1";
	multi_add(&m, "p0000000001", "a1,a2,a3");
	multi_add(&m, "p0000000002", "b1,b2");
	pogo_job_start(m.j[0].job);
	pogo_job_start(m.j[1].job);
	ASSERT(strstr(m.j[1].lines, "b1 waiting waiting for $g") != NULL);
	multi_go(&m, 5000);
	ASSERT(strstr(m.j[0].lines, "a1 failed cannot run task: ") != NULL);
	ASSERT_EQ(pogo_job_state(m.j[1].job), POGO_JOB_DEADLOCKED);
	ASSERT_EQ(pogo_job_count(m.j[1].job, POGO_HOST_DEADLOCKED), 2);
	ASSERT_EQ(pogo_job_state(m.j[0].job), POGO_JOB_FINISHED);
	ASSERT_EQ(pogo_job_count(m.j[0].job, POGO_HOST_FINISHED), 2);
	multi_free(&m);
}

/*
 * Load r's job (SPEC 6.4) as stored: entry 0 at start_time (and
 * "constraints computed" unless gathering), then hosts from "name=state"
 * words (w waiting, r running, y ready, f failed rc 1, o finished); the
 * running and ready ones have task "old-<name>" on worker w1/i1.
 */
static void
run_load(struct run *r, double start_time, enum pogo_job_state state,
    const char *spec, bool secrets_lost)
{
	struct pogo_job_stored_host h;
	struct pogo_job_entry e;
	char word[64], tid[80], *eq;
	const char *p = spec;
	size_t len;

	memset(&e, 0, sizeof(e));
	e.time = start_time;
	e.state = POGO_JOB_GATHERING;
	e.message = "job created; fetching host info";
	e.exitstatus = -1;
	ASSERT_OK(pogo_job_load_entry(r->job, &e));
	e.index = 5; /* out of order */
	ASSERT_EQ(pogo_job_load_entry(r->job, &e), POGO_ERR_STATE);
	if (state == POGO_JOB_RUNNING) {
		e.index = 1;
		e.state = POGO_JOB_RUNNING;
		e.message = "constraints computed";
		ASSERT_OK(pogo_job_load_entry(r->job, &e));
	}
	while (*p != '\0') {
		len = strcspn(p, " ");
		ASSERT(len < sizeof(word));
		memcpy(word, p, len);
		word[len] = '\0';
		p += len + (p[len] == ' ');
		ASSERT((eq = strchr(word, '=')) != NULL);
		*eq = '\0';
		memset(&h, 0, sizeof(h));
		h.host = word;
		h.exitstatus = -1;
		h.runs = 1;
		snprintf(tid, sizeof(tid), "old-%s", word);
		switch (eq[1]) {
		case 'r':
			h.state = POGO_HOST_RUNNING;
			h.message = "started";
			h.started_at = start_time;
			h.task_id = tid;
			h.worker = "w1";
			h.instance = "i1";
			h.records = 2; /* output stored before the restart */
			break;
		case 'y':
			h.state = POGO_HOST_READY;
			h.message = "connecting to host...";
			h.task_id = tid;
			h.worker = "w1";
			h.instance = "i1";
			break;
		case 'f':
			h.state = POGO_HOST_FAILED;
			h.message = "exited with status 1";
			h.exitstatus = 1;
			break;
		case 'o':
			h.state = POGO_HOST_FINISHED;
			h.message = "ok";
			h.exitstatus = 0;
			break;
		default:
			h.state = POGO_HOST_WAITING;
			h.message =
			    state == POGO_JOB_RUNNING ? "waiting for $g" : NULL;
			h.runs = 0;
			break;
		}
		ASSERT_OK(pogo_job_load_host(r->job, &h));
	}
	ASSERT_OK(pogo_job_load(r->job, state, secrets_lost));
	/* Nothing is logged or dispatched before the start. */
	ASSERT_EQ(r->len, 0);
	ASSERT_EQ(r->fe.starts, 0);
	ASSERT_EQ(r->fe.adopted.n, 0);
}

#define CFG_LIMIT2 \
	"tag: {g: [h1, h2, h3, h4]}\nconstraint: {$g: {max_parallel: 2}}\n"

TEST(load_adopts_in_flight_hosts_and_goes_on)
{
	struct run r;
	struct pogo_job_entry e;
	enum pogo_host_state st;
	int rc;

	run_setup(&r, CFG_LIMIT2, "h1,h2,h3,h4", 10, 50, 0);
	run_load(&r, pogo_exec_now() - 5, POGO_JOB_RUNNING,
	    "h1=r h2=f h3=w h4=w", false);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_RUNNING);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_FAILED), 1);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_RUNNING), 1);
	ASSERT_EQ(pogo_job_count(r.job, POGO_HOST_WAITING), 2);
	pogo_job_start(r.job);
	/* h1 is adopted, never started again; h2's unit is still held. */
	ASSERT_EQ(r.fe.adopted.n, 1);
	ASSERT_STR_EQ(r.fe.adopted.v[0], "old-h1@w1/i1");
	/* Its stored output counts for the run (SPEC 8.3's lost records). */
	ASSERT_EQ(r.fe.adopted_records, 2);
	ASSERT_EQ(r.fe.starts, 0);
	ASSERT_EQ(pogo_job_inflight(r.job), 1);
	run_go(&r);
	ASSERT_EQ(r.ends, 1);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	/* h4 and h3 ran once each, one after the other. */
	ASSERT_EQ(r.fe.starts, 2);
	ASSERT_EQ(r.fe.ids.n, 2);
	ASSERT_OK(pogo_job_host(r.job, "h1", &st, &rc));
	ASSERT_EQ(st, POGO_HOST_FINISHED);
	ASSERT_OK(pogo_job_host(r.job, "h2", &st, &rc));
	ASSERT_EQ(st, POGO_HOST_FAILED);
	ASSERT_EQ(rc, 1);
	ASSERT_STR_EQ(r.lines,
	    "h1 finished ok rc=0\n"
	    "h4 ready connecting to host... -1\n"
	    "h4 running started -1\n"
	    "h4 finished ok rc=0\n"
	    "h3 ready connecting to host... -1\n"
	    "h3 running started -1\n"
	    "h3 finished ok rc=0\n"
	    "job finished no more hosts to run -1\n");
	/* The log goes on from the stored entries; h1's run is its first. */
	ASSERT(pogo_job_log(r.job, 2, &e));
	ASSERT_STR_EQ(e.host, "h1");
	ASSERT_EQ(e.run, 0);
	ASSERT_EQ(e.state, POGO_HOST_FINISHED);
	run_free(&r);
}

TEST(load_expired_job_is_halted_timeout_reached)
{
	struct run r;

	run_setup(&r, CFG_LIMIT2, "h1,h2,h3", 10, 50, 3);
	run_load(&r, pogo_exec_now() - 10, POGO_JOB_RUNNING, "h1=y h2=w h3=w",
	    false);
	pogo_job_start(r.job);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	ASSERT_EQ(r.fe.adopted.n, 1);
	run_go(&r);
	ASSERT_EQ(r.ends, 1);
	ASSERT_EQ(r.fe.starts, 0);
	ASSERT_STR_EQ(r.lines,
	    "job halted timeout reached -1\n"
	    "h3 halted job halted -1\n"
	    "h2 halted job halted -1\n"
	    "h1 running started -1\n"
	    "h1 finished ok rc=0\n");
	run_free(&r);
}

TEST(load_job_timeout_rearmed_from_start_time)
{
	struct run r;
	uint64_t t0;

	/* 1.5 s of a 2 s timeout went by before the restart. */
	run_setup(&r,
	    "tag: {g: [h1, h2]}\nconstraint: {$g: {max_parallel: 1}}\n",
	    "h1,h2", 10, 1500, 2);
	run_load(
	    &r, pogo_exec_now() - 1.5, POGO_JOB_RUNNING, "h1=r h2=w", false);
	uv_update_time(&r.loop);
	t0 = uv_now(&r.loop);
	pogo_job_start(r.job);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_RUNNING);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	ASSERT(strstr(r.lines, "job halted timeout reached") != NULL);
	/* Halted about 0.5 s after the restart, not 2 s. */
	ASSERT(uv_now(&r.loop) - t0 >= 1400); /* h1 ended it */
	ASSERT_STR_EQ(r.lines,
	    "job halted timeout reached -1\n"
	    "h2 halted job halted -1\n"
	    "h1 finished ok rc=0\n");
	run_free(&r);
}

TEST(load_job_whose_secrets_were_lost_is_halted)
{
	struct run r;

	run_setup(&r, NULL, "h1,h2", 10, 50, 0);
	run_load(&r, pogo_exec_now(), POGO_JOB_RUNNING, "h1=r h2=w", true);
	pogo_job_start(r.job);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_HALTED);
	run_go(&r);
	ASSERT_EQ(r.fe.starts, 0);
	ASSERT_STR_EQ(r.lines,
	    "job halted dispatcher restarted -1\n"
	    "h2 halted job halted -1\n"
	    "h1 finished ok rc=0\n");
	run_free(&r);
}

TEST(load_host_the_executor_cannot_adopt_is_lost)
{
	struct run r;

	run_setup(&r, CFG_LIMIT2, "h1,h2,h3", 10, 50, 0);
	r.fe.no_adopt = true;
	run_load(
	    &r, pogo_exec_now(), POGO_JOB_RUNNING, "h1=r h2=f h3=w", false);
	pogo_job_start(r.job);
	run_go(&r);
	/* h1 failed keeping its unit: with h2's, h3 can never run. */
	ASSERT_EQ(r.fe.starts, 0);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_DEADLOCKED);
	ASSERT_STR_EQ(r.lines,
	    "h1 failed lost contact with worker -1\n"
	    "h3 deadlocked job deadlocked -1\n"
	    "job deadlocked unable to run more hosts due to failures -1\n");
	run_free(&r);
}

TEST(load_gathering_job_is_built_as_at_submission)
{
	struct run r;

	run_setup(&r, CFG_S022, "host4,host5,host6", 10, 1, 0);
	run_load(&r, pogo_exec_now(), POGO_JOB_GATHERING,
	    "host4=w host5=w host6=w", false);
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT_EQ(r.fe.starts, 3);
	ASSERT(strncmp(r.lines,
	           "host6 waiting determining run order... -1\n"
	           "host5 waiting determining run order... -1\n"
	           "host4 waiting determining run order... -1\n"
	           "job running constraints computed -1\n",
	           strlen("host6 waiting determining run order... -1\n"
	                  "host5 waiting determining run order... -1\n"
	                  "host4 waiting determining run order... -1\n"
	                  "job running constraints computed -1\n")) == 0);
	run_free(&r);
}

TEST(load_refuses_no_entry_0_and_an_unknown_state)
{
	struct run r;
	struct pogo_job_entry e;

	run_setup(&r, NULL, "h1", 10, 1, 0);
	ASSERT_EQ(pogo_job_load(r.job, POGO_JOB_RUNNING, false),
	    POGO_ERR_STATE); /* no entry 0 */
	memset(&e, 0, sizeof(e));
	e.time = pogo_exec_now();
	e.message = "job created; fetching host info";
	e.exitstatus = -1;
	ASSERT_OK(pogo_job_load_entry(r.job, &e));
	ASSERT_EQ(pogo_job_load(
	              r.job, (enum pogo_job_state)(POGO_JOB_HALTED + 1), false),
	    POGO_ERR_STATE);
	run_free(&r);
}

/*
 * A job stored ended (reloaded for an operation, SPEC 5.5): its start
 * runs nothing and logs nothing, it ends at once; a retry of its failed
 * host runs it, the failed host taking its unit back (SPEC 3.6).
 */
TEST(load_ended_job_stays_ended_until_retried)
{
	struct run r;

	run_setup(&r, CFG_LIMIT2, "h1,h2,h3", 10, 1, 0);
	run_load(
	    &r, pogo_exec_now(), POGO_JOB_FINISHED, "h1=f h2=o h3=o", false);
	pogo_job_start(r.job);
	run_go(&r);
	ASSERT_EQ(r.ends, 1);
	ASSERT_EQ(r.fe.starts, 0);
	ASSERT_STR_EQ(r.lines, "");
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT_EQ(pogo_job_resume(r.job), POGO_ERR_STATE);
	ASSERT_OK(pogo_job_retry(r.job, "h1"));
	run_go(&r);
	ASSERT_EQ(r.fe.starts, 1);
	ASSERT_EQ(r.ends, 2);
	ASSERT_EQ(pogo_job_state(r.job), POGO_JOB_FINISHED);
	ASSERT(
	    strncmp(r.lines,
	        "h1 waiting retry requested -1\n"
	        "job running job resumed by retry request -1\n",
	        strlen("h1 waiting retry requested -1\n"
	               "job running job resumed by retry request -1\n")) == 0);
	run_free(&r);
}
