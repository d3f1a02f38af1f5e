/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The job engine and the dispatch (job.h has the design).  A job turns
 * scheduler events into host states and log entries, turns executor
 * results into host states and scheduler outcomes, and runs the job
 * timeout on a uv timer.  The dispatch owns the executor's events and one
 * FIFO of (job, task) over all its jobs, the tasks that hold their units
 * and wait for executor capacity.  Log messages are interned, so an entry
 * is a few dozen bytes even for a million hosts.
 *
 * Invariants: a host is handed to the executor at most once per run (a
 * refused or given-back start is no run); a host is queued (in the
 * dispatch queue, exactly once) or in the executor or neither; a host in
 * the executor is never halted, deadlocked or skipped, only recorded when
 * it ends; the end callback comes once the job is inactive and nothing of
 * it is in the executor; a closed job has nothing in the dispatch queue.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/job.h"
#include "pogo/log.h"
#include "pogo/sched.h"
#include "pogo/str.h"
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
	bool queued;  /* units taken, in the dispatch queue */
	bool has_id;  /* task.task_id belongs to the current run */
};

struct job_adopt {
	uint32_t t;
	char *worker;
	char *instance;
	double started_at;
	uint64_t records;
};

struct dispatch_entry {
	struct pogo_job *job;
	uint32_t t;
};

struct dispatch_ns {
	char *name;
	struct pogo_sched_counters *ctrs;
};

struct pogo_dispatch {
	uv_loop_t *loop;
	struct pogo_exec *exec;
	char *prefix;
	int (*next_task)(void *arg, uint64_t *np);
	void *next_task_arg;
	uint64_t counter;         /* without next_task */
	struct dispatch_entry *q; /* the queue: q[head..n) */
	size_t head;
	size_t n;
	size_t cap;
	uv_timer_t retry;
	bool refused;   /* full until a task ends or the retry timer fires */
	bool draining;  /* in dispatch_drain(): only append */
	uint32_t njobs; /* not yet freed */
	bool closing;
	struct dispatch_ns *ns;
	size_t nns;
	void (*close_cb)(void *);
	void *close_arg;
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
	struct pogo_dispatch *d;
	const struct pogo_job_listener *listener;
	void *arg;
	struct job_host *hosts;
	uint32_t nhosts;
	uint32_t counts[POGO_HOST_NSTATES];
	uint32_t in_exec;
	uint32_t queued; /* hosts in the dispatch queue */
	enum pogo_job_state state;
	uint32_t state_msg;
	struct job_entry *log;
	uint32_t nlog;
	uint32_t caplog;
	struct pogo_strtab *msgs;
	uv_timer_t timer;
	double start_time;
	bool started;
	bool ended;
	void (*close_cb)(void *);
	void *close_arg;
	/* Loaded (SPEC 6.4): hosts in flight to adopt at the start. */
	struct job_adopt *adopt;
	uint32_t nadopt;
	bool loaded; /* pogo_job_load() done, pogo_job_start() due */
	bool secrets_lost;
	/* Commands replaced by pogo_job_alter(), which tasks may borrow. */
	struct pogo_strv old_commands;
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
	e->task_id = NULL;
}

/* A new entry at the end of the job's log, to fill. */
static struct job_entry *
job_log_push(struct pogo_job *job)
{
	if (job->nlog == job->caplog) {
		job->caplog = job->caplog ? job->caplog * 2 : 64;
		job->log =
		    xreallocarray(job->log, job->caplog, sizeof(*job->log));
	}
	return &job->log[job->nlog++];
}

static void
job_append(struct pogo_job *job, uint32_t host, int state, uint32_t msg,
    int exitstatus, bool output)
{
	struct job_entry *le = job_log_push(job);
	struct pogo_job_entry e;

	le->time = job_now();
	le->host = host;
	le->state = (uint8_t)state;
	le->msg = msg;
	le->exitstatus = exitstatus;
	le->run = host == JOB_NONE ? 0 : job->hosts[host].runs;
	le->output = output;
	if (job->nlog == 1)
		job->start_time = le->time;
	if (job->listener->entry != NULL) {
		job_entry_view(job, job->nlog - 1, &e);
		if (host != JOB_NONE && job->hosts[host].has_id)
			e.task_id = job->hosts[host].task.task_id;
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
	POGO_ASSERT(job->queued == 0);
	job->ended = true;
	uv_timer_stop(&job->timer);
	if (job->listener->end != NULL)
		job->listener->end(job, job->arg);
}

/* A refusal that passes (the executor is short of something): wait. */
static bool
job_refusal_passes(int rc)
{
	return rc == UV_EAGAIN || rc == UV_EMFILE || rc == UV_ENFILE ||
	    rc == UV_ENOMEM || rc == UV_EBUSY || rc == POGO_ERR_NOWORKER;
}

static void dispatch_drain(struct pogo_dispatch *d);

/* Room in the executor for one more task? */
static bool
dispatch_room(const struct pogo_dispatch *d)
{
	return !d->refused && d->exec->inflight < d->exec->max_tasks;
}

static void
dispatch_retry_cb(uv_timer_t *tm)
{
	struct pogo_dispatch *d = tm->data;

	d->refused = false;
	dispatch_drain(d);
}

/* The executor refused a start for now: full until a task ends. */
static void
dispatch_refused(struct pogo_dispatch *d)
{
	d->refused = true;
	if (!uv_is_active((uv_handle_t *)&d->retry))
		uv_timer_start(
		    &d->retry, dispatch_retry_cb, POGO_DISPATCH_RETRY_MS, 0);
}

static void
dispatch_grow(struct pogo_dispatch *d)
{
	if (d->head > 0 && d->head == d->n) {
		d->head = d->n = 0;
		return;
	}
	if (d->n < d->cap)
		return;
	if (d->head > 0) {
		memmove(d->q, d->q + d->head, (d->n - d->head) * sizeof(*d->q));
		d->n -= d->head;
		d->head = 0;
		return;
	}
	d->cap = d->cap ? d->cap * 2 : 64;
	d->q = xreallocarray(d->q, d->cap, sizeof(*d->q));
}

/* Queue task t of job at the tail (or the head) of the dispatch queue. */
static void
dispatch_push(
    struct pogo_dispatch *d, struct pogo_job *job, uint32_t t, bool head)
{
	POGO_ASSERT(!job->hosts[t].queued);
	job->hosts[t].queued = true;
	job->queued++;
	if (head && d->head > 0) {
		d->head--;
		d->q[d->head].job = job;
		d->q[d->head].t = t;
		return;
	}
	dispatch_grow(d);
	if (head) {
		memmove(d->q + d->head + 1, d->q + d->head,
		    (d->n - d->head) * sizeof(*d->q));
		d->q[d->head].job = job;
		d->q[d->head].t = t;
	} else {
		d->q[d->n].job = job;
		d->q[d->n].t = t;
	}
	d->n++;
}

/*
 * Take job's entries (every one, or only task t's) out of the queue, in
 * place, keeping the order of the others.
 */
static void
dispatch_remove(struct pogo_dispatch *d, struct pogo_job *job, uint32_t t)
{
	size_t i, k = d->head;

	for (i = d->head; i < d->n; i++) {
		if (d->q[i].job == job && (t == JOB_NONE || d->q[i].t == t)) {
			job->hosts[d->q[i].t].queued = false;
			job->queued--;
			continue;
		}
		d->q[k++] = d->q[i];
	}
	d->n = k;
	if (d->head == d->n)
		d->head = d->n = 0;
}

/* A task number for host h's run, unless the run has one already. */
static int
dispatch_task_id(struct pogo_dispatch *d, struct job_host *h)
{
	uint64_t n;
	char *tid;
	int r;

	if (h->has_id)
		return 0;
	if (d->next_task != NULL) {
		if ((r = d->next_task(d->next_task_arg, &n)) != 0)
			return r;
	} else
		n = ++d->counter;
	xasprintf(&tid, "%s%llu", d->prefix, (unsigned long long)n);
	free((char *)h->task.task_id);
	h->task.task_id = tid;
	h->has_id = true;
	return 0;
}

/* The fields of host t's task for the executor, but its id. */
static void
job_task_fill(struct pogo_job *job, uint32_t t)
{
	struct job_host *h = &job->hosts[t];

	h->task.job_id = job->id;
	h->task.host = pogo_sched_task_host(job->sched, t);
	h->task.command = job->command;
	h->task.run_as = job->run_as;
	h->task.timeout = job->timeout;
	h->task.stub = &job->stub;
	h->task.run = h->runs;
	h->task.data = job;
}

/*
 * Hand task t to the executor.  Returns 0 (handed over, or failed for
 * good), or the error of a refusal that passes or of the task counter:
 * then the task keeps its units and the caller puts it back at the head
 * of the queue (such a refusal is no run of the host).
 */
static int
job_exec(struct pogo_job *job, uint32_t t)
{
	struct pogo_dispatch *d = job->d;
	struct job_host *h = &job->hosts[t];
	char *msg;
	int rc;

	if ((rc = dispatch_task_id(d, h)) == 0) {
		job_task_fill(job, t);
		rc = d->exec->ops->start(d->exec, &h->task);
		if (rc != 0 && !job_refusal_passes(rc)) {
			/* The executor cannot run it at all (it closes). */
			xasprintf(
			    &msg, "cannot run task: %s", pogo_strerror(rc));
			job_host_set(job, t, POGO_HOST_FAILED, -1, false, msg);
			free(msg);
			h->has_id = false;
			h->runs++;
			pogo_sched_task_finished(
			    job->sched, t, POGO_SCHED_FAILED);
			return 0;
		}
	}
	if (rc == POGO_ERR_NOWORKER) {
		/* No worker for this task now; the others may go. */
		job_host_set(job, t, POGO_HOST_WAITING, -1, false,
		    "waiting for a worker");
		return rc;
	}
	if (rc != 0) {
		/* Refused for now, or no task number yet: try again later. */
		xasprintf(&msg, "waiting for a worker: cannot run task: %s",
		    pogo_strerror(rc));
		job_host_set(job, t, POGO_HOST_WAITING, -1, false, msg);
		free(msg);
		return rc;
	}
	job_host_set(
	    job, t, POGO_HOST_READY, -1, false, "connecting to host...");
	h->in_exec = true;
	job->in_exec++;
	return 0;
}

/* Serve the queue in order while the executor has room and takes tasks. */
static void
dispatch_drain(struct pogo_dispatch *d)
{
	struct dispatch_entry e, *skip = NULL;
	size_t nskip = 0, cap = 0, i;
	int rc;

	if (d->draining)
		return;
	d->draining = true;
	while (d->head < d->n && dispatch_room(d)) {
		e = d->q[d->head++];
		e.job->hosts[e.t].queued = false;
		e.job->queued--;
		if (d->head == d->n)
			d->head = d->n = 0;
		if ((rc = job_exec(e.job, e.t)) == POGO_ERR_NOWORKER) {
			/* No worker for it now: it keeps its place. */
			if (nskip == cap) {
				cap = cap ? cap * 2 : 16;
				skip = xreallocarray(skip, cap, sizeof(*skip));
			}
			skip[nskip++] = e;
		} else if (rc != 0) {
			/* Refused: it stays first in line. */
			dispatch_push(d, e.job, e.t, true);
			dispatch_refused(d);
			break;
		}
	}
	for (i = nskip; i-- > 0;)
		dispatch_push(d, skip[i].job, skip[i].t, true);
	free(skip);
	d->draining = false;
}

/* The scheduler let task t run: to the executor, or into the queue. */
static void
job_sched_run(struct pogo_sched *s, uint32_t t, void *arg)
{
	struct pogo_job *job = arg;
	struct pogo_dispatch *d = job->d;
	int rc;

	if (!d->draining && d->head == d->n && dispatch_room(d)) {
		if ((rc = job_exec(job, t)) == POGO_ERR_NOWORKER)
			dispatch_push(d, job, t, false);
		else if (rc != 0) {
			dispatch_push(d, job, t, true);
			dispatch_refused(d);
		}
		return;
	}
	dispatch_push(d, job, t, false);
	job_host_set(
	    job, t, POGO_HOST_WAITING, -1, false, "waiting for a worker");
	/*
	 * Room, and no refusal: the queue holds tasks no worker may take
	 * now (POGO_ERR_NOWORKER); this one may go, at the next loop turn.
	 */
	if (!d->draining && dispatch_room(d) &&
	    !uv_is_active((uv_handle_t *)&d->retry))
		uv_timer_start(&d->retry, dispatch_retry_cb, 0, 0);
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
job_exec_started(struct pogo_exec_task *task)
{
	struct pogo_job *job = task->data;
	uint32_t t =
	    (uint32_t)(container_of(task, struct job_host, task) - job->hosts);

	job_host_set(job, t, POGO_HOST_RUNNING, -1, true, "started");
}

static void
job_exec_output(struct pogo_exec_task *task, enum pogo_out_type type,
    const char *data, size_t len, bool eol)
{
	struct pogo_job *job = task->data;

	if (job->listener->output != NULL)
		job->listener->output(job, task->host, task->run, type, data,
		    len, eol, job_now(), job->arg);
}

/*
 * The executor gave task t back unstarted: it waits at the head of the
 * queue again, or, in a job halted meanwhile, is halted and gives its
 * units back (SPEC 5.4: a ready host not started is halted).
 */
static void
job_exec_requeue(struct pogo_job *job, uint32_t t)
{
	if (job_active(job)) {
		dispatch_push(job->d, job, t, true);
		job_host_set(job, t, POGO_HOST_WAITING, -1, false,
		    "waiting for a worker");
		dispatch_refused(job->d);
		return;
	}
	job->hosts[t].has_id = false;
	job_host_set(job, t, POGO_HOST_HALTED, -1, false, "job halted");
	pogo_sched_withdraw(job->sched, t);
	job_maybe_end(job);
}

static void
job_exec_done(struct pogo_exec_task *task, const struct pogo_exec_result *r)
{
	struct pogo_job *job = task->data;
	struct job_host *h = container_of(task, struct job_host, task);
	uint32_t t = (uint32_t)(h - job->hosts);
	enum pogo_host_state st;

	POGO_ASSERT(h->in_exec);
	h->in_exec = false;
	job->in_exec--;
	if (r->requeue) {
		job_exec_requeue(job, t);
		return;
	}
	st = r->state == POGO_EXEC_FINISHED     ? POGO_HOST_FINISHED
	    : r->state == POGO_EXEC_UNREACHABLE ? POGO_HOST_UNREACHABLE
	                                        : POGO_HOST_FAILED;
	/* The final entry belongs to the run that ended (SPEC 5.8). */
	job_host_set(job, t, st, r->exitstatus, false, r->msg);
	h->has_id = false;
	h->runs++;
	pogo_sched_task_finished(job->sched, t,
	    st == POGO_HOST_FINISHED ? POGO_SCHED_OK : POGO_SCHED_FAILED);
	job_maybe_end(job);
}

static void
dispatch_started_cb(struct pogo_exec_task *task, void *arg)
{
	job_exec_started(task);
}

static void
dispatch_output_cb(struct pogo_exec_task *task, enum pogo_out_type type,
    const char *data, size_t len, bool eol, void *arg)
{
	job_exec_output(task, type, data, len, eol);
}

/*
 * A task of some job ended: that job records it (which may end jobs and
 * queue tasks of any job sharing its counters), then the queue is served
 * with the room it freed.
 */
static void
dispatch_done_cb(
    struct pogo_exec_task *task, const struct pogo_exec_result *r, void *arg)
{
	struct pogo_dispatch *d = arg;

	if (!r->requeue) {
		d->refused = false;
		uv_timer_stop(&d->retry);
	}
	job_exec_done(task, r);
	dispatch_drain(d);
}

static const struct pogo_exec_events dispatch_exec_events = {
	.started = dispatch_started_cb,
	.output = dispatch_output_cb,
	.done = dispatch_done_cb,
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
    struct pogo_dispatch *d, const struct pogo_job_listener *listener,
    void *arg, struct pogo_job **jobp, char **cause)
{
	struct pogo_job *job;
	uint32_t i;
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
	job->d = d;
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
	for (i = 0; i < job->nhosts; i++) {
		job->hosts[i].msg = JOB_NONE;
		job->hosts[i].exitstatus = -1;
	}
	uv_timer_init(loop, &job->timer);
	job->timer.data = job;
	d->njobs++;
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

/*
 * What the start logs after the creation: every host waits for its run
 * order, then for its slot's predecessor, and the job runs.
 */
static void
job_start_hosts(struct pogo_job *job)
{
	uint32_t t, th, sl, first, n, i;
	char *msg;

	for (t = 0; t < job->nhosts; t++)
		job_host_set(job, t, POGO_HOST_WAITING, -1, false,
		    "determining run order...");
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
}

static void job_start_loaded(struct pogo_job *job);

void
pogo_job_start(struct pogo_job *job)
{
	if (job->loaded) {
		job_start_loaded(job);
		return;
	}
	if (job->started)
		return;
	job->started = true;
	job_set_state(
	    job, POGO_JOB_GATHERING, "job created; fetching host info");
	job_start_hosts(job);
	job_arm_timeout(job);
	pogo_sched_start(job->sched);
	job_maybe_end(job);
}

int
pogo_job_halt(struct pogo_job *job, const char *reason)
{
	struct pogo_idv withdrawn = { 0 };
	uint32_t t;
	size_t i;

	if (!job_active(job))
		return POGO_ERR_STATE;
	pogo_sched_halt(job->sched);
	/*
	 * Tasks waiting for the executor are withdrawn: out of the queue
	 * first, so that the units they give back, which other jobs may
	 * take at once, find a queue without them.
	 */
	for (t = 0; t < job->nhosts && withdrawn.n < job->queued; t++) {
		if (job->hosts[t].queued)
			pogo_idv_push(&withdrawn, t);
	}
	dispatch_remove(job->d, job, JOB_NONE);
	for (i = 0; i < withdrawn.n; i++) {
		job->hosts[withdrawn.v[i]].has_id = false;
		pogo_sched_withdraw(job->sched, withdrawn.v[i]);
	}
	pogo_idv_clear(&withdrawn);
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
		dispatch_remove(job->d, job, t);
		h->has_id = false;
		pogo_sched_withdraw(job->sched, t);
	}
	job_host_set(job, t, POGO_HOST_SKIPPED, -1, false, "skipped by user");
	pogo_sched_skip(job->sched, t);
	job_maybe_end(job);
	return 0;
}

bool
pogo_job_expired(const struct pogo_job *job)
{
	return job_expired(job);
}

/* A value of jobalter: a boolean (1/0/true/false), false if not one. */
static bool
job_parse_bool(const char *s, bool *vp)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*vp = true;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
		*vp = false;
	else
		return false;
	return true;
}

int
pogo_job_alter_check(const char *attr, const char *value)
{
	long long n;
	bool b;

	if (strcmp(attr, "timeout") == 0 || strcmp(attr, "retry") == 0) {
		if (pogo_strtonum(value, 0, UINT_MAX, &n) != 0)
			return UV_EINVAL;
	} else if (strcmp(attr, "prehook") == 0 ||
	    strcmp(attr, "posthook") == 0 || strcmp(attr, "lock") == 0) {
		if (!job_parse_bool(value, &b))
			return UV_EINVAL;
	} else if (strcmp(attr, "command") == 0) {
		if (value[0] == '\0')
			return UV_EINVAL;
	} else if (strcmp(attr, "message") != 0)
		return POGO_ERR_NOTFOUND;
	return 0;
}

int
pogo_job_alter(struct pogo_job *job, const char *attr, const char *value)
{
	long long n = 0;
	bool b = false;
	int r;

	if ((r = pogo_job_alter_check(attr, value)) != 0)
		return r;
	if (strcmp(attr, "timeout") == 0 || strcmp(attr, "retry") == 0)
		(void)pogo_strtonum(value, 0, UINT_MAX, &n);
	else
		(void)job_parse_bool(value, &b);
	if (strcmp(attr, "timeout") == 0)
		job->timeout = (unsigned)n;
	else if (strcmp(attr, "retry") == 0)
		job->stub.retry = (unsigned)n;
	else if (strcmp(attr, "prehook") == 0)
		job->stub.prehook = b;
	else if (strcmp(attr, "posthook") == 0)
		job->stub.posthook = b;
	else if (strcmp(attr, "lock") == 0)
		job->stub.lock = b;
	else if (strcmp(attr, "command") == 0) {
		/* Tasks in flight borrow the old one until the close. */
		pogo_strv_push(&job->old_commands, job->command);
		free(job->command);
		job->command = xstrdup(value);
	}
	return 0;
}

void
pogo_job_kill(struct pogo_job *job)
{
	uint32_t t;

	for (t = 0; t < job->nhosts; t++) {
		if (job->hosts[t].in_exec)
			job->d->exec->ops->kill(
			    job->d->exec, &job->hosts[t].task);
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

static void dispatch_close_now(struct pogo_dispatch *d);

static void
job_adopt_clear(struct pogo_job *job)
{
	uint32_t i;

	for (i = 0; i < job->nadopt; i++) {
		free(job->adopt[i].worker);
		free(job->adopt[i].instance);
	}
	free(job->adopt);
	job->adopt = NULL;
	job->nadopt = 0;
}

static void
job_timer_closed(uv_handle_t *h)
{
	struct pogo_job *job = h->data;
	struct pogo_dispatch *d = job->d;
	uint32_t t;

	for (t = 0; t < job->nhosts; t++)
		free((char *)job->hosts[t].task.task_id);
	job_adopt_clear(job);
	if (job->close_cb != NULL)
		job->close_cb(job->close_arg);
	pogo_sched_free(job->sched);
	pogo_strtab_free(job->msgs);
	free(job->hosts);
	free(job->log);
	free(job->id);
	free(job->command);
	pogo_strv_clear(&job->old_commands);
	free(job->run_as);
	job_stub_clear(&job->stub);
	free(job);
	/* The schedule is gone: the counter registries may go too. */
	if (--d->njobs == 0 && d->closing)
		dispatch_close_now(d);
}

void
pogo_job_abandon(struct pogo_job *job)
{
	uint32_t t;

	for (t = 0; t < job->nhosts; t++)
		job->hosts[t].in_exec = false;
	job->in_exec = 0;
}

void
pogo_job_close(struct pogo_job *job, void (*cb)(void *arg), void *arg)
{
	POGO_ASSERT(job->in_exec == 0);
	/* Nothing of a closed job stays queued (a job never started). */
	dispatch_remove(job->d, job, JOB_NONE);
	job->close_cb = cb;
	job->close_arg = arg;
	uv_close((uv_handle_t *)&job->timer, job_timer_closed);
}

struct pogo_dispatch *
pogo_dispatch_new(uv_loop_t *loop, struct pogo_exec *exec,
    const struct pogo_dispatch_opts *opts)
{
	struct pogo_dispatch *d = xcalloc(1, sizeof(*d));

	d->loop = loop;
	d->exec = exec;
	d->prefix = xstrdup(opts != NULL && opts->task_prefix != NULL
	        ? opts->task_prefix
	        : "one-");
	if (opts != NULL) {
		d->next_task = opts->next_task;
		d->next_task_arg = opts->next_task_arg;
	}
	uv_timer_init(loop, &d->retry);
	d->retry.data = d;
	/* The executor reports to the dispatch, for every job. */
	exec->ev = &dispatch_exec_events;
	exec->ev_arg = d;
	return d;
}

struct pogo_sched_counters *
pogo_dispatch_counters(struct pogo_dispatch *d, const char *ns)
{
	size_t i;

	if (ns == NULL || *ns == '\0')
		return NULL;
	for (i = 0; i < d->nns; i++) {
		if (strcmp(d->ns[i].name, ns) == 0)
			return d->ns[i].ctrs;
	}
	d->ns = xreallocarray(d->ns, d->nns + 1, sizeof(*d->ns));
	d->ns[d->nns].name = xstrdup(ns);
	d->ns[d->nns].ctrs = pogo_sched_counters_new();
	return d->ns[d->nns++].ctrs;
}

void
pogo_dispatch_set_prefix(struct pogo_dispatch *d, const char *prefix)
{
	if (strcmp(d->prefix, prefix) == 0)
		return;
	free(d->prefix);
	d->prefix = xstrdup(prefix);
}

void
pogo_dispatch_kick(struct pogo_dispatch *d)
{
	d->refused = false;
	uv_timer_stop(&d->retry);
	dispatch_drain(d);
}

uint32_t
pogo_dispatch_queued(const struct pogo_dispatch *d)
{
	return (uint32_t)(d->n - d->head);
}

uint32_t
pogo_dispatch_njobs(const struct pogo_dispatch *d)
{
	return d->njobs;
}

static void
dispatch_closed(uv_handle_t *h)
{
	struct pogo_dispatch *d = h->data;
	size_t i;

	if (d->close_cb != NULL)
		d->close_cb(d->close_arg);
	for (i = 0; i < d->nns; i++) {
		free(d->ns[i].name);
		pogo_sched_counters_free(d->ns[i].ctrs);
	}
	free(d->ns);
	free(d->q);
	free(d->prefix);
	free(d);
}

static void
dispatch_close_now(struct pogo_dispatch *d)
{
	POGO_ASSERT(d->head == d->n);
	uv_close((uv_handle_t *)&d->retry, dispatch_closed);
}

void
pogo_dispatch_close(struct pogo_dispatch *d, void (*cb)(void *arg), void *arg)
{
	POGO_ASSERT(!d->closing);
	d->closing = true;
	d->close_cb = cb;
	d->close_arg = arg;
	/* Jobs still closing free their schedules first. */
	if (d->njobs == 0)
		dispatch_close_now(d);
}

int
pogo_job_load_entry(struct pogo_job *job, const struct pogo_job_entry *e)
{
	struct job_entry *le;
	uint32_t t = JOB_NONE;

	if (job->started || e->index != job->nlog)
		return POGO_ERR_STATE;
	if (e->host != NULL &&
	    (t = pogo_sched_find_task(job->sched, e->host)) == UINT32_MAX)
		return POGO_ERR_NOTFOUND;
	le = job_log_push(job);
	le->time = e->time;
	le->host = t;
	le->state = (uint8_t)e->state;
	le->msg = job_msg(job, e->message != NULL ? e->message : "");
	le->exitstatus = e->exitstatus;
	le->run = e->run;
	le->output = e->output;
	if (job->nlog == 1)
		job->start_time = e->time;
	if (t == JOB_NONE)
		job->state_msg = le->msg;
	return 0;
}

int
pogo_job_load_host(struct pogo_job *job, const struct pogo_job_stored_host *sh)
{
	struct job_host *h;
	struct job_adopt *a;
	uint32_t t;

	if (job->started || (unsigned)sh->state >= POGO_HOST_NSTATES)
		return POGO_ERR_STATE;
	if ((t = pogo_sched_find_task(job->sched, sh->host)) == UINT32_MAX)
		return POGO_ERR_NOTFOUND;
	h = &job->hosts[t];
	job->counts[h->state]--;
	job->counts[sh->state]++;
	h->state = (uint8_t)sh->state;
	h->msg = sh->message != NULL ? job_msg(job, sh->message) : JOB_NONE;
	h->exitstatus = sh->exitstatus;
	h->runs = sh->runs;
	if (sh->state != POGO_HOST_READY && sh->state != POGO_HOST_RUNNING)
		return 0;
	/* In flight: its run is the latest one started. */
	if (h->runs > 0)
		h->runs--;
	free((char *)h->task.task_id);
	h->task.task_id = NULL;
	h->has_id = sh->task_id != NULL;
	if (h->has_id)
		h->task.task_id = xstrdup(sh->task_id);
	job->adopt =
	    xreallocarray(job->adopt, job->nadopt + 1, sizeof(*job->adopt));
	a = &job->adopt[job->nadopt++];
	a->t = t;
	a->worker = job_strdup(sh->worker);
	a->instance = job_strdup(sh->instance);
	a->started_at = sh->state == POGO_HOST_RUNNING ? sh->started_at : 0;
	a->records = sh->records;
	return 0;
}

int
pogo_job_load(
    struct pogo_job *job, enum pogo_job_state state, bool secrets_lost)
{
	enum pogo_sched_task_state *st;
	uint32_t t;
	int r;

	if (job->started || job->nlog == 0 || (unsigned)state > POGO_JOB_HALTED)
		return POGO_ERR_STATE;
	st = xreallocarray(NULL, job->nhosts + 1, sizeof(*st));
	for (t = 0; t < job->nhosts; t++) {
		switch (job->hosts[t].state) {
		case POGO_HOST_READY:
		case POGO_HOST_RUNNING:
			st[t] = POGO_SCHED_INFLIGHT;
			break;
		case POGO_HOST_FINISHED:
			st[t] = POGO_SCHED_DONE_OK;
			break;
		case POGO_HOST_FAILED:
		case POGO_HOST_UNREACHABLE:
			st[t] = POGO_SCHED_DONE_FAILED;
			break;
		case POGO_HOST_SKIPPED:
			st[t] = POGO_SCHED_DONE_SKIPPED;
			break;
		default:
			st[t] = POGO_SCHED_PENDING;
			break;
		}
	}
	r = pogo_sched_restore(job->sched, st);
	free(st);
	if (r != 0)
		return r;
	/* An ended job released its units, but for hosts still in flight. */
	if (state != POGO_JOB_GATHERING && state != POGO_JOB_RUNNING)
		pogo_sched_halt(job->sched);
	job->state = state;
	job->started = true;
	job->loaded = true;
	job->secrets_lost = secrets_lost;
	return 0;
}

/* The start of a loaded job (job.h, pogo_job_load()). */
static void
job_start_loaded(struct pogo_job *job)
{
	struct pogo_exec *e = job->d->exec;
	struct job_adopt *a;
	struct job_host *h;
	uint32_t i;
	int rc;

	job->loaded = false;
	for (i = 0; i < job->nadopt; i++) {
		a = &job->adopt[i];
		h = &job->hosts[a->t];
		job_task_fill(job, a->t);
		rc = POGO_ERR_NOTIMPL;
		if (h->has_id && a->worker != NULL && a->instance != NULL &&
		    e->ops->adopt != NULL)
			rc = e->ops->adopt(e, &h->task, a->worker, a->instance,
			    a->started_at, a->records);
		if (rc == 0) {
			h->in_exec = true;
			job->in_exec++;
			continue;
		}
		/* Its worker cannot be asked: lost (SPEC 7.3). */
		log_warn("job %s: host %s: cannot adopt its task: %s", job->id,
		    h->task.host, pogo_strerror(rc));
		job_host_set(job, a->t, POGO_HOST_FAILED, -1, false,
		    "lost contact with worker");
		h->has_id = false;
		h->runs++;
		pogo_sched_task_finished(job->sched, a->t, POGO_SCHED_FAILED);
	}
	job_adopt_clear(job);
	if (!job_active(job)) {
		/* It stays as it was: it ends once nothing is in flight. */
		job_maybe_end(job);
		return;
	}
	if (job->state == POGO_JOB_GATHERING)
		job_start_hosts(job);
	if (job_expired(job))
		pogo_job_halt(job, "timeout reached");
	else if (job->secrets_lost)
		pogo_job_halt(job, "dispatcher restarted");
	else {
		job_arm_timeout(job);
		pogo_sched_start(job->sched);
	}
	job_maybe_end(job);
}
