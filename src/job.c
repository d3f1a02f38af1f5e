/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The job engine.  It turns scheduler events into host states and log
 * entries, hands tasks to the executor while it has capacity (the others
 * wait, holding their units, "waiting for a worker"), turns executor
 * results into host states and scheduler outcomes, and runs the job
 * timeout on a uv timer.  Log messages are interned, so an entry is a few
 * dozen bytes even for a million hosts.
 *
 * Invariants: a host is handed to the executor at most once per run; a
 * host in the executor is never halted, deadlocked or skipped, only
 * recorded when it ends; the end callback comes once the job is inactive
 * and nothing is in the executor.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/job.h"
#include "pogo/log.h"
#include "pogo/sched.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

#define JOB_NONE UINT32_MAX

struct job_entry {
	double time;
	uint32_t host; /* task index, or JOB_NONE for job entries */
	uint32_t msg;  /* id in the message table */
	uint32_t run;
	int32_t exitstatus;
	uint8_t state;
	uint8_t output;
};

struct job_host {
	struct pogo_exec_task task;
	uint32_t msg; /* last logged message */
	int32_t exitstatus;
	uint32_t runs;
	uint8_t state;
	bool in_exec; /* handed to the executor, not yet done */
	bool queued;  /* units taken, waiting for executor capacity */
};

struct pogo_job {
	uv_loop_t *loop;
	char *id;
	char *command;
	char *run_as;
	unsigned timeout;
	unsigned job_timeout;
	struct pogo_exec_stub stub; /* owned strings */
	struct pogo_sched *sched;
	struct pogo_exec *exec;
	const struct pogo_job_listener *listener;
	void *arg;
	struct job_host *hosts;
	uint32_t nhosts;
	uint32_t counts[POGO_HOST_NSTATES];
	struct pogo_idv queue; /* FIFO of task indexes */
	size_t qhead;
	uint32_t in_exec;
	uint32_t next_task;
	enum pogo_job_state state;
	uint32_t state_msg;
	struct job_entry *log;
	uint32_t nlog;
	uint32_t caplog;
	struct pogo_strtab *msgs;
	uv_timer_t timer;
	uv_timer_t retry; /* hands refused tasks to the executor again */
	int handles;      /* open timers; the job is freed at zero */
	double start_time;
	bool started;
	bool ended;
	void (*close_cb)(void *);
	void *close_arg;
};

static const char *job_state_names[] = { "gathering", "running", "finished",
	"deadlocked", "halted" };
static const char *host_state_names[] = { "waiting", "ready", "running",
	"finished", "failed", "unreachable", "skipped", "halted",
	"deadlocked" };

const char *
pogo_job_state_name(enum pogo_job_state s)
{
	return (unsigned)s < POGO_NELEM(job_state_names) ? job_state_names[s]
	                                                 : "?";
}

const char *
pogo_host_state_name(enum pogo_host_state s)
{
	return (unsigned)s < POGO_NELEM(host_state_names) ? host_state_names[s]
	                                                  : "?";
}

static double
job_now(void)
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static bool
job_active(const struct pogo_job *job)
{
	return job->state == POGO_JOB_GATHERING ||
	    job->state == POGO_JOB_RUNNING;
}

/* Fill the public view of log entry i. */
static void
job_entry_view(const struct pogo_job *job, uint32_t i, struct pogo_job_entry *e)
{
	const struct job_entry *le = &job->log[i];

	e->index = i;
	e->time = le->time;
	e->host = le->host == JOB_NONE
	    ? NULL
	    : pogo_sched_task_host(job->sched, le->host);
	e->state = le->state;
	e->message = pogo_strtab_get(job->msgs, le->msg);
	e->exitstatus = le->exitstatus;
	e->run = le->run;
	e->output = le->output != 0;
}

static void
job_append(struct pogo_job *job, uint32_t host, int state, uint32_t msg,
    int exitstatus, bool output)
{
	struct job_entry *le;
	struct pogo_job_entry e;

	if (job->nlog == job->caplog) {
		job->caplog = job->caplog ? job->caplog * 2 : 64;
		job->log =
		    xreallocarray(job->log, job->caplog, sizeof(*job->log));
	}
	le = &job->log[job->nlog];
	le->time = job_now();
	le->host = host;
	le->state = (uint8_t)state;
	le->msg = msg;
	le->exitstatus = exitstatus;
	le->run = host == JOB_NONE ? 0 : job->hosts[host].runs;
	le->output = output;
	if (job->nlog == 0)
		job->start_time = le->time;
	job->nlog++;
	if (job->listener->entry != NULL) {
		job_entry_view(job, job->nlog - 1, &e);
		job->listener->entry(job, &e, job->arg);
	}
}

static uint32_t
job_msg(struct pogo_job *job, const char *msg)
{
	return pogo_strtab_intern(job->msgs, msg, strlen(msg), NULL);
}

/* Change the job's state and log it. */
static void
job_set_state(struct pogo_job *job, enum pogo_job_state state, const char *msg)
{
	job->state = state;
	job->state_msg = job_msg(job, msg);
	job_append(job, JOB_NONE, state, job->state_msg, -1, false);
}

/* Change a host's state and log it, unless nothing changes. */
static void
job_host_set(struct pogo_job *job, uint32_t t, enum pogo_host_state state,
    int exitstatus, bool output, const char *msg)
{
	struct job_host *h = &job->hosts[t];
	uint32_t m = job_msg(job, msg);

	if (h->state == state && h->msg == m && exitstatus < 0 && !output &&
	    job->nlog > 0)
		return;
	job->counts[h->state]--;
	job->counts[state]++;
	h->state = (uint8_t)state;
	h->msg = m;
	h->exitstatus = exitstatus;
	job_append(job, t, state, m, exitstatus, output);
}

static void
job_maybe_end(struct pogo_job *job)
{
	if (job->ended || job_active(job) || job->in_exec > 0)
		return;
	job->ended = true;
	uv_timer_stop(&job->timer);
	uv_timer_stop(&job->retry);
	if (job->listener->end != NULL)
		job->listener->end(job, job->arg);
}

/* How long a task whose start the executor refused waits to try again. */
#define JOB_RETRY_MS 1000

static void job_drain(struct pogo_job *job);

static void
job_retry_cb(uv_timer_t *tm)
{
	struct pogo_job *job = tm->data;

	job_drain(job);
}

/* A refusal that passes (the executor is short of something): wait. */
static bool
job_refusal_passes(int rc)
{
	return rc == UV_EAGAIN || rc == UV_EMFILE || rc == UV_ENFILE ||
	    rc == UV_ENOMEM || rc == UV_EBUSY;
}

/*
 * Hand task t to the executor.  Returns 0, or a refusal that passes: then
 * the task keeps its units and waits, queued, for the retry timer (such a
 * refusal is no run of the host).  Any other refusal fails the host.
 */
static int
job_exec(struct pogo_job *job, uint32_t t)
{
	struct job_host *h = &job->hosts[t];
	char *tid, *msg;
	int rc;

	h->queued = false;
	free((char *)h->task.task_id);
	xasprintf(&tid, "t%u", job->next_task++);
	h->task.task_id = tid;
	h->task.job_id = job->id;
	h->task.host = pogo_sched_task_host(job->sched, t);
	h->task.command = job->command;
	h->task.run_as = job->run_as;
	h->task.timeout = job->timeout;
	h->task.stub = &job->stub;
	h->task.run = h->runs;
	h->task.data = job;
	rc = job->exec->ops->start(job->exec, &h->task);
	if (rc != 0 && !job_refusal_passes(rc)) {
		/* The executor cannot run it at all (it is closing, ...). */
		xasprintf(&msg, "cannot run task: %s", pogo_strerror(rc));
		job_host_set(job, t, POGO_HOST_FAILED, -1, false, msg);
		free(msg);
		h->runs++;
		pogo_sched_task_finished(job->sched, t, POGO_SCHED_FAILED);
		return 0;
	}
	if (rc != 0) {
		h->queued = true;
		xasprintf(&msg, "waiting for a worker: cannot run task: %s",
		    pogo_strerror(rc));
		job_host_set(job, t, POGO_HOST_WAITING, -1, false, msg);
		free(msg);
		if (!uv_is_active((uv_handle_t *)&job->retry))
			uv_timer_start(
			    &job->retry, job_retry_cb, JOB_RETRY_MS, 0);
		return rc;
	}
	job_host_set(
	    job, t, POGO_HOST_READY, -1, false, "connecting to host...");
	h->in_exec = true;
	job->in_exec++;
	return 0;
}

/* Start queued tasks while the executor has room and takes them. */
static void
job_drain(struct pogo_job *job)
{
	uint32_t t;

	while (job->qhead < job->queue.n &&
	    job->exec->inflight < job->exec->max_tasks) {
		t = job->queue.v[job->qhead++];
		if (!job->hosts[t].queued)
			continue;
		if (job_exec(job, t) != 0) {
			/* Refused: it stays first in line. */
			job->qhead--;
			break;
		}
	}
	if (job->qhead == job->queue.n)
		job->queue.n = job->qhead = 0;
}

static void
job_sched_run(struct pogo_sched *s, uint32_t t, void *arg)
{
	struct pogo_job *job = arg;
	struct job_host *h = &job->hosts[t];

	if (job->exec->inflight < job->exec->max_tasks &&
	    job->qhead == job->queue.n) {
		if (job_exec(job, t) != 0)
			pogo_idv_push(&job->queue, t);
		return;
	}
	h->queued = true;
	pogo_idv_push(&job->queue, t);
	job_host_set(
	    job, t, POGO_HOST_WAITING, -1, false, "waiting for a worker");
}

static void
job_sched_waiting(struct pogo_sched *s, uint32_t t, const uint32_t *groups,
    size_t n, void *arg)
{
	struct pogo_job *job = arg;
	char *msg, *p;
	size_t i, len = 16;

	for (i = 0; i < n; i++)
		len += strlen(pogo_sched_group_name(s, groups[i])) + 2;
	p = msg = xmalloc(len);
	p += snprintf(p, len, "waiting for ");
	for (i = 0; i < n; i++)
		p += snprintf(p, len - (size_t)(p - msg), "%s%s",
		    i > 0 ? ", " : "", pogo_sched_group_name(s, groups[i]));
	job_host_set(job, t, POGO_HOST_WAITING, -1, false, msg);
	free(msg);
}

static void
job_sched_done(struct pogo_sched *s, enum pogo_sched_end end, void *arg)
{
	struct pogo_job *job = arg;
	uint32_t t;

	if (end == POGO_SCHED_FINISHED) {
		job_set_state(job, POGO_JOB_FINISHED, "no more hosts to run");
	} else {
		/* Non-final hosts not in flight, in schedule order. */
		for (t = 0; t < job->nhosts; t++) {
			if (pogo_sched_task_state(s, t) == POGO_SCHED_PENDING)
				job_host_set(job, t, POGO_HOST_DEADLOCKED, -1,
				    false, "job deadlocked");
		}
		job_set_state(job, POGO_JOB_DEADLOCKED,
		    "unable to run more hosts due to failures");
	}
	job_maybe_end(job);
}

static const struct pogo_sched_cbs job_sched_cbs = {
	.run = job_sched_run,
	.waiting = job_sched_waiting,
	.done = job_sched_done,
};

static void
job_exec_started(struct pogo_exec_task *task, void *arg)
{
	struct pogo_job *job = task->data;
	uint32_t t =
	    (uint32_t)(container_of(task, struct job_host, task) - job->hosts);

	job_host_set(job, t, POGO_HOST_RUNNING, -1, true, "started");
}

static void
job_exec_output(struct pogo_exec_task *task, enum pogo_out_type type,
    const char *data, size_t len, bool eol, void *arg)
{
	struct pogo_job *job = task->data;

	if (job->listener->output != NULL)
		job->listener->output(job, task->host, task->run, type, data,
		    len, eol, job_now(), job->arg);
}

static void
job_exec_done(
    struct pogo_exec_task *task, const struct pogo_exec_result *r, void *arg)
{
	struct pogo_job *job = task->data;
	struct job_host *h = container_of(task, struct job_host, task);
	uint32_t t = (uint32_t)(h - job->hosts);
	enum pogo_host_state st;

	POGO_ASSERT(h->in_exec);
	h->in_exec = false;
	job->in_exec--;
	st = r->state == POGO_EXEC_FINISHED     ? POGO_HOST_FINISHED
	    : r->state == POGO_EXEC_UNREACHABLE ? POGO_HOST_UNREACHABLE
	                                        : POGO_HOST_FAILED;
	/* The final entry belongs to the run that ended (SPEC 5.8). */
	job_host_set(job, t, st, r->exitstatus, false, r->msg);
	h->runs++;
	job_drain(job);
	pogo_sched_task_finished(job->sched, t,
	    st == POGO_HOST_FINISHED ? POGO_SCHED_OK : POGO_SCHED_FAILED);
	job_drain(job);
	job_maybe_end(job);
}

static const struct pogo_exec_events job_exec_events = {
	.started = job_exec_started,
	.output = job_exec_output,
	.done = job_exec_done,
};

static char *
job_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
job_stub_clear(struct pogo_exec_stub *s)
{
	free((char *)s->hook_dir);
	free((char *)s->exe_name);
	free((char *)s->exe_data);
}

int
pogo_job_new(uv_loop_t *loop, const struct pogo_sched_config *cfg,
    const struct pogo_strv *hosts, const struct pogo_job_opts *opts,
    struct pogo_exec *exec, const struct pogo_job_listener *listener, void *arg,
    struct pogo_job **jobp, char **cause)
{
	struct pogo_job *job;
	int r;

	*jobp = NULL;
	job = xcalloc(1, sizeof(*job));
	job->loop = loop;
	job->id = xstrdup(opts->id);
	job->command = xstrdup(opts->command);
	job->run_as = opts->run_as != NULL ? xstrdup(opts->run_as) : NULL;
	job->timeout = opts->timeout;
	job->job_timeout = opts->job_timeout;
	job->stub = opts->stub;
	job->stub.hook_dir = job_strdup(opts->stub.hook_dir);
	job->stub.exe_name = job_strdup(opts->stub.exe_name);
	job->stub.exe_data = job_strdup(opts->stub.exe_data);
	job->exec = exec;
	job->listener = listener;
	job->arg = arg;
	job->msgs = pogo_strtab_new();
	if ((r = pogo_sched_new(cfg, hosts, opts->concurrent, opts->counters,
	         &job_sched_cbs, job, &job->sched, cause)) != 0) {
		pogo_strtab_free(job->msgs);
		free(job->id);
		free(job->command);
		free(job->run_as);
		job_stub_clear(&job->stub);
		free(job);
		return r;
	}
	job->nhosts = pogo_sched_ntasks(job->sched);
	job->hosts = xcalloc(job->nhosts + 1, sizeof(*job->hosts));
	job->counts[POGO_HOST_WAITING] = job->nhosts;
	/* The executor reports to the job engine. */
	exec->ev = &job_exec_events;
	exec->ev_arg = job;
	uv_timer_init(loop, &job->timer);
	uv_timer_init(loop, &job->retry);
	job->timer.data = job->retry.data = job;
	job->handles = 2;
	*jobp = job;
	return 0;
}

/* Seconds left before start_time + job_timeout (SPEC 5.5, 5.6). */
static double
job_time_left(const struct pogo_job *job)
{
	return job->start_time + (double)job->job_timeout - job_now();
}

/* Expired: the deadline has passed, whatever the state (SPEC 5.5). */
static bool
job_expired(const struct pogo_job *job)
{
	return job->job_timeout > 0 && job->nlog > 0 && job_time_left(job) <= 0;
}

static void job_arm_timeout(struct pogo_job *job);

static void
job_timeout_cb(uv_timer_t *tm)
{
	struct pogo_job *job = tm->data;

	if (!job_active(job))
		return;
	if (!job_expired(job))
		job_arm_timeout(job); /* the clocks disagree: not yet */
	else
		pogo_job_halt(job, "timeout reached");
}

/*
 * (Re-)arm the job timeout for the time left until the deadline, which
 * start, resume and retry never move: an active job past it is halted at
 * once.
 */
static void
job_arm_timeout(struct pogo_job *job)
{
	double left;

	if (job->job_timeout == 0)
		return;
	left = job_time_left(job);
	uv_update_time(job->loop);
	uv_timer_start(&job->timer, job_timeout_cb,
	    left <= 0 ? 0 : (uint64_t)(left * 1000) + 1, 0);
}

void
pogo_job_start(struct pogo_job *job)
{
	uint32_t t, th, sl, first, n, i;
	char *msg;

	if (job->started)
		return;
	job->started = true;
	job_set_state(
	    job, POGO_JOB_GATHERING, "job created; fetching host info");
	for (t = 0; t < job->nhosts; t++) {
		job->hosts[t].exitstatus = -1;
		job->hosts[t].msg = JOB_NONE;
		job_host_set(job, t, POGO_HOST_WAITING, -1, false,
		    "determining run order...");
	}
	/* Hosts in slot k > 1 wait for slot k - 1 (SPEC 5.4). */
	for (th = 0; th < pogo_sched_nthreads(job->sched); th++) {
		for (sl = 1; sl < pogo_sched_nslots(job->sched, th); sl++) {
			pogo_sched_slot_tasks(job->sched, th, sl, &first, &n);
			if (n == 0)
				continue;
			xasprintf(&msg, "waiting for %s",
			    pogo_sched_slot_name(job->sched, th, sl - 1));
			for (i = first; i < first + n; i++)
				job_host_set(
				    job, i, POGO_HOST_WAITING, -1, false, msg);
			free(msg);
		}
	}
	job_set_state(job, POGO_JOB_RUNNING, "constraints computed");
	job_arm_timeout(job);
	pogo_sched_start(job->sched);
	job_maybe_end(job);
}

int
pogo_job_halt(struct pogo_job *job, const char *reason)
{
	uint32_t t;

	if (!job_active(job))
		return POGO_ERR_STATE;
	pogo_sched_halt(job->sched);
	/* Tasks waiting for the executor are withdrawn. */
	for (t = 0; t < job->nhosts; t++) {
		if (job->hosts[t].queued) {
			job->hosts[t].queued = false;
			pogo_sched_withdraw(job->sched, t);
		}
	}
	job->queue.n = job->qhead = 0;
	uv_timer_stop(&job->retry);
	job_set_state(
	    job, POGO_JOB_HALTED, reason != NULL ? reason : "halted by user");
	for (t = 0; t < job->nhosts; t++) {
		if (job->hosts[t].state == POGO_HOST_WAITING)
			job_host_set(
			    job, t, POGO_HOST_HALTED, -1, false, "job halted");
	}
	job_maybe_end(job);
	return 0;
}

/* Resume with msg: halted and deadlocked hosts wait again. */
static void
job_resume(struct pogo_job *job, const char *msg)
{
	uint32_t t;

	job->ended = false;
	for (t = 0; t < job->nhosts; t++) {
		if (job->hosts[t].state == POGO_HOST_HALTED ||
		    job->hosts[t].state == POGO_HOST_DEADLOCKED)
			job_host_set(job, t, POGO_HOST_WAITING, -1, false,
			    "job resumed");
	}
	job_set_state(job, POGO_JOB_RUNNING, msg);
	job_arm_timeout(job);
	pogo_sched_resume(job->sched);
	job_maybe_end(job);
}

int
pogo_job_resume(struct pogo_job *job)
{
	if (job->state != POGO_JOB_HALTED && job->state != POGO_JOB_DEADLOCKED)
		return POGO_ERR_STATE;
	job_resume(job, "job resumed");
	return 0;
}

int
pogo_job_retry(struct pogo_job *job, const char *host)
{
	uint32_t t;
	uint8_t st;

	if (job_expired(job))
		return POGO_ERR_TIMEOUT;
	if ((t = pogo_sched_find_task(job->sched, host)) == UINT32_MAX)
		return POGO_ERR_NOTFOUND;
	st = job->hosts[t].state;
	if (st != POGO_HOST_FAILED && st != POGO_HOST_UNREACHABLE &&
	    st != POGO_HOST_FINISHED)
		return POGO_ERR_STATE;
	job_host_set(job, t, POGO_HOST_WAITING, -1, false, "retry requested");
	pogo_sched_retry(job->sched, t);
	if (!job_active(job))
		job_resume(job, "job resumed by retry request");
	return 0;
}

int
pogo_job_skip(struct pogo_job *job, const char *host)
{
	uint32_t t = pogo_sched_find_task(job->sched, host);
	struct job_host *h;

	if (t == UINT32_MAX)
		return POGO_ERR_NOTFOUND;
	h = &job->hosts[t];
	if (h->in_exec ||
	    (h->state != POGO_HOST_WAITING && h->state != POGO_HOST_FAILED &&
	        h->state != POGO_HOST_UNREACHABLE &&
	        h->state != POGO_HOST_HALTED &&
	        h->state != POGO_HOST_DEADLOCKED))
		return POGO_ERR_STATE;
	if (h->queued) {
		h->queued = false;
		pogo_sched_withdraw(job->sched, t);
	}
	job_host_set(job, t, POGO_HOST_SKIPPED, -1, false, "skipped by user");
	pogo_sched_skip(job->sched, t);
	job_maybe_end(job);
	return 0;
}

void
pogo_job_kill(struct pogo_job *job)
{
	uint32_t t;

	for (t = 0; t < job->nhosts; t++) {
		if (job->hosts[t].in_exec)
			job->exec->ops->kill(job->exec, &job->hosts[t].task);
	}
}

enum pogo_job_state
pogo_job_state(const struct pogo_job *job)
{
	return job->state;
}

const char *
pogo_job_id(const struct pogo_job *job)
{
	return job->id;
}

uint32_t
pogo_job_nhosts(const struct pogo_job *job)
{
	return job->nhosts;
}

uint32_t
pogo_job_count(const struct pogo_job *job, enum pogo_host_state s)
{
	return (unsigned)s < POGO_HOST_NSTATES ? job->counts[s] : 0;
}

uint32_t
pogo_job_inflight(const struct pogo_job *job)
{
	return job->in_exec;
}

int
pogo_job_host(const struct pogo_job *job, const char *host,
    enum pogo_host_state *statep, int *exitp)
{
	uint32_t t = pogo_sched_find_task(job->sched, host);

	if (t == UINT32_MAX)
		return POGO_ERR_NOTFOUND;
	*statep = (enum pogo_host_state)job->hosts[t].state;
	*exitp = job->hosts[t].exitstatus;
	return 0;
}

bool
pogo_job_log(const struct pogo_job *job, uint32_t i, struct pogo_job_entry *e)
{
	if (i >= job->nlog)
		return false;
	job_entry_view(job, i, e);
	return true;
}

const struct pogo_sched *
pogo_job_sched(const struct pogo_job *job)
{
	return job->sched;
}

static void
job_timer_closed(uv_handle_t *h)
{
	struct pogo_job *job = h->data;
	uint32_t t;

	if (--job->handles > 0)
		return;
	for (t = 0; t < job->nhosts; t++)
		free((char *)job->hosts[t].task.task_id);
	if (job->close_cb != NULL)
		job->close_cb(job->close_arg);
	pogo_sched_free(job->sched);
	pogo_strtab_free(job->msgs);
	pogo_idv_clear(&job->queue);
	free(job->hosts);
	free(job->log);
	free(job->id);
	free(job->command);
	free(job->run_as);
	job_stub_clear(&job->stub);
	free(job);
}

void
pogo_job_close(struct pogo_job *job, void (*cb)(void *arg), void *arg)
{
	POGO_ASSERT(job->in_exec == 0);
	job->close_cb = cb;
	job->close_arg = arg;
	uv_close((uv_handle_t *)&job->timer, job_timer_closed);
	uv_close((uv_handle_t *)&job->retry, job_timer_closed);
}
