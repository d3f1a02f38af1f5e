/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Following a job of a dispatcher in this process (tail.h): committed log
 * entries and output records, read from the store, fed to a follower.
 */
#include "pogo/compat.h"

#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/follow.h"
#include "pogo/job.h"
#include "pogo/log.h"
#include "pogo/store.h"
#include "pogo/tail.h"
#include "pogo/xmalloc.h"

/*
 * The most log entries one read copies, and output records one store
 * call visits: a job of 20,000 hosts has over 60,000 entries, read in
 * pages on successive loop turns instead of one copy of them all.
 */
#define TAIL_LOG_PAGE 1024
#define TAIL_OUT_PAGE 256

/* One host: its run in flight, and the records of it fed so far. */
struct tail_host {
	char *name;
	uint32_t run;
	uint32_t seen;
	uint32_t forgot; /* records below it deleted from the store */
	bool active;
	bool running; /* its run's `running` entry was fed */
};

/* A log entry copied out of the store's visitor. */
struct tail_entry {
	uint32_t index;
	double time;
	int64_t host;
	int state;
	char *message;
	int exitstatus;
	uint32_t run;
	char *host_name;
};

struct tail_entries {
	struct tail_entry *v;
	size_t n, cap;
};

struct pogo_tail {
	uv_loop_t *loop;
	struct pogo_dispatcher *d;
	struct pogo_store *st;
	uint64_t job;
	struct pogo_follow *f;
	uint64_t poll_ms;
	pogo_tail_end_cb end_cb;
	void *arg;
	struct pogo_dispatcher_watch *watch;
	uv_timer_t timer;
	struct tail_host *hosts;
	uint32_t nhosts;
	uint32_t next; /* the log index read next */
	int job_state; /* from the job entries */
	bool ran;      /* a job entry left `gathering` for `running` */
	bool paused;
	bool ended;
	bool forget; /* pogo_tail_forget() */
	void (*close_cb)(void *arg);
	void *close_arg;
};

static int
tail_copy_entry(const struct pogo_store_entry *e, void *arg)
{
	struct tail_entries *es = arg;
	struct tail_entry *x;

	if (es->n == es->cap) {
		es->cap = es->cap == 0 ? 64 : es->cap * 2;
		es->v = xreallocarray(es->v, es->cap, sizeof(*es->v));
	}
	x = &es->v[es->n++];
	x->index = e->index;
	x->time = e->time;
	x->host = e->host;
	x->state = e->state;
	x->message = xstrdup(e->message != NULL ? e->message : "");
	x->exitstatus = e->exitstatus;
	x->run = e->run;
	x->host_name = e->host_name != NULL ? xstrdup(e->host_name) : NULL;
	return 0;
}

struct tail_drain {
	struct pogo_tail *t;
	struct tail_host *h;
	uint32_t n; /* records visited by this call */
};

static int
tail_record(const struct pogo_store_output *o, void *arg)
{
	struct tail_drain *dr = arg;
	struct pogo_follow_record r;

	dr->h->seen = o->seq + 1;
	dr->n++;
	if (o->type != POGO_STORE_OUT_STDOUT &&
	    o->type != POGO_STORE_OUT_STDERR)
		return 0; /* EXIT and ERROR: the log entry says it */
	memset(&r, 0, sizeof(r));
	r.host = dr->h->name;
	r.run = dr->h->run;
	r.type = o->type == POGO_STORE_OUT_STDERR ? POGO_OUT_STDERR
	                                          : POGO_OUT_STDOUT;
	r.data = o->data;
	r.len = o->len;
	r.eol = o->eol;
	r.time = o->ts;
	pogo_follow_output(dr->t->f, &r);
	return 0;
}

/* pogo_tail_forget(): the records of host i's run fed so far go. */
static void
tail_forget(struct pogo_tail *t, uint32_t i)
{
	struct tail_host *h = &t->hosts[i];
	int r;

	if (!t->forget || h->seen <= h->forgot)
		return;
	if ((r = pogo_store_output_forget(
	         t->st, t->job, i, h->run, h->forgot, h->seen)) != 0) {
		log_warn("job p%010llu: cannot delete the output of %s read "
		         "already: %s",
		    (unsigned long long)t->job, h->name, pogo_strerror(r));
		return;
	}
	h->forgot = h->seen;
}

/*
 * Feed the records of host i's run in flight not fed yet, a page at a
 * time; a pause from the follower stops it between pages.  Returns true
 * when every stored record was fed (or the store failed: nothing more
 * can be read), false when paused with records left.
 */
static bool
tail_drain(struct pogo_tail *t, uint32_t i)
{
	struct tail_drain dr = { t, &t->hosts[i], 0 };
	bool all;
	int r;

	for (;;) {
		dr.n = 0;
		if ((r = pogo_store_output(t->st, t->job, i, dr.h->run,
		         dr.h->seen, TAIL_OUT_PAGE, tail_record, &dr)) != 0) {
			log_error("job p%010llu: cannot read the output of %s: "
			          "%s",
			    (unsigned long long)t->job, dr.h->name,
			    pogo_strerror(r));
			all = true;
			break;
		}
		if (dr.n < TAIL_OUT_PAGE) {
			all = true;
			break;
		}
		if (t->paused) {
			all = false;
			break;
		}
	}
	tail_forget(t, i);
	return all;
}

static bool
tail_host_final(int state)
{
	return state >= POGO_HOST_FINISHED;
}

/*
 * Feed one entry, its run's output first when it ends the run.  Returns
 * false when a pause came before that output was all fed: the entry is
 * not fed, and is read again on resume.
 */
static bool
tail_feed(struct pogo_tail *t, const struct tail_entry *e)
{
	struct pogo_follow_entry fe;
	struct tail_host *h = NULL;

	memset(&fe, 0, sizeof(fe));
	fe.index = e->index;
	fe.time = e->time;
	fe.state = e->state;
	fe.message = e->message;
	fe.exitstatus = e->exitstatus;
	fe.run = e->run;
	if (e->host < 0) {
		t->job_state = e->state;
		if (e->state == POGO_JOB_RUNNING)
			t->ran = true;
		pogo_follow_entry(t->f, &fe);
		return true;
	}
	if (e->host_name == NULL || (uint64_t)e->host >= t->nhosts)
		return true; /* not a host of the job: nothing to say */
	h = &t->hosts[e->host];
	if (h->name == NULL)
		h->name = xstrdup(e->host_name);
	fe.host = h->name;
	if (e->state == POGO_HOST_READY) {
		if (h->active && !tail_drain(t, (uint32_t)e->host))
			return false;
		h->run = e->run;
		h->seen = 0;
		h->forgot = 0;
		h->active = true;
		h->running = false;
	} else if (tail_host_final(e->state) && h->active && h->run == e->run) {
		if (!tail_drain(t, (uint32_t)e->host))
			return false;
		h->active = false;
	}
	pogo_follow_entry(t->f, &fe);
	/*
	 * The output of a run is fed after its `running` entry: the
	 * follower opens the run's --output-dir file there (follow.c), and
	 * dropped the records of 2,989 hosts of 3,000 (t1004 outdir-3000)
	 * that the timer had read between the two entries.
	 */
	if (e->state == POGO_HOST_RUNNING && h->active && h->run == e->run)
		h->running = true;
	return true;
}

static void tail_timer_cb(uv_timer_t *tm);

/* The job is over once it is final and no host is in flight. */
static void
tail_check_end(struct pogo_tail *t)
{
	if (t->ended || t->job_state < POGO_JOB_FINISHED ||
	    pogo_follow_count(t->f, POGO_HOST_READY) +
	            pogo_follow_count(t->f, POGO_HOST_RUNNING) >
	        0)
		return;
	t->ended = true;
	uv_timer_stop(&t->timer);
	pogo_follow_end(t->f);
	if (t->end_cb != NULL)
		t->end_cb(t, t->arg);
}

/*
 * Read and feed the committed entries not fed yet, unless paused: one
 * page (TAIL_LOG_PAGE); a full page means more may wait, read on the
 * next loop turn (the timer at 0).
 */
static void
tail_read(struct pogo_tail *t)
{
	struct tail_entries es = { 0 };
	bool more;
	size_t i;
	int r;

	if (t->paused || t->ended || t->close_cb != NULL)
		return;
	if ((r = pogo_store_log(t->st, t->job, t->next, TAIL_LOG_PAGE,
	         tail_copy_entry, &es)) != 0)
		log_error("job p%010llu: cannot read its log: %s",
		    (unsigned long long)t->job, pogo_strerror(r));
	more = r == 0 && es.n == TAIL_LOG_PAGE;
	for (i = 0; i < es.n; i++) {
		/* A pause from inside the follower: the rest waits. */
		if (!t->paused && es.v[i].index >= t->next &&
		    tail_feed(t, &es.v[i]))
			t->next = es.v[i].index + 1;
		free(es.v[i].message);
		free(es.v[i].host_name);
	}
	free(es.v);
	if (t->paused)
		return;
	if (more)
		uv_timer_start(&t->timer, tail_timer_cb, 0, t->poll_ms);
	else
		tail_check_end(t);
}

static void
tail_watch_cb(struct pogo_dispatcher *d, uint64_t job, void *arg)
{
	tail_read(arg);
}

/* The first read, then the output of the runs in flight. */
static void
tail_timer_cb(uv_timer_t *tm)
{
	struct pogo_tail *t = tm->data;
	uint32_t i;

	if (t->paused || t->ended)
		return;
	tail_read(t);
	for (i = 0; i < t->nhosts && !t->paused && !t->ended; i++)
		if (t->hosts[i].active && t->hosts[i].running)
			(void)tail_drain(t, i);
}

int
pogo_tail_start(uv_loop_t *loop, struct pogo_dispatcher *d, uint64_t job,
    struct pogo_follow *f, uint64_t poll_ms, pogo_tail_end_cb end_cb, void *arg,
    struct pogo_tail **tp)
{
	struct pogo_store *st = pogo_dispatcher_store(d);
	struct pogo_store_job *j = NULL;
	struct pogo_tail *t;
	int r;

	*tp = NULL;
	if ((r = pogo_store_job_get(st, job, &j)) != 0)
		return r;
	t = xcalloc(1, sizeof(*t));
	t->loop = loop;
	t->d = d;
	t->st = st;
	t->job = job;
	t->f = f;
	t->poll_ms = poll_ms != 0 ? poll_ms : POGO_TAIL_POLL_MS;
	t->end_cb = end_cb;
	t->arg = arg;
	t->job_state = POGO_JOB_GATHERING;
	t->nhosts = j->host_count;
	t->hosts = xcalloc((size_t)t->nhosts + 1, sizeof(*t->hosts));
	pogo_store_job_free(j);
	uv_timer_init(loop, &t->timer);
	t->timer.data = t;
	uv_timer_start(&t->timer, tail_timer_cb, 0, t->poll_ms);
	t->watch = pogo_dispatcher_watch(d, job, tail_watch_cb, t);
	*tp = t;
	return 0;
}

bool
pogo_tail_ran(const struct pogo_tail *t)
{
	return t->ran;
}

void
pogo_tail_forget(struct pogo_tail *t, bool forget)
{
	t->forget = forget;
}

void
pogo_tail_pause(struct pogo_tail *t, bool pause)
{
	if (t->paused == pause)
		return;
	t->paused = pause;
	/* The timer catches up on the entries that came meanwhile. */
	if (!pause && !t->ended && t->close_cb == NULL)
		uv_timer_start(&t->timer, tail_timer_cb, 0, t->poll_ms);
}

static void
tail_closed_cb(uv_handle_t *h)
{
	struct pogo_tail *t = h->data;
	void (*cb)(void *) = t->close_cb;
	void *arg = t->close_arg;
	uint32_t i;

	for (i = 0; i < t->nhosts; i++)
		free(t->hosts[i].name);
	free(t->hosts);
	free(t);
	cb(arg);
}

static void
tail_noop(void *arg)
{
}

void
pogo_tail_close(struct pogo_tail *t, void (*cb)(void *arg), void *arg)
{
	t->close_cb = cb != NULL ? cb : tail_noop;
	t->close_arg = arg;
	pogo_dispatcher_unwatch(t->d, t->watch);
	t->watch = NULL;
	uv_close((uv_handle_t *)&t->timer, tail_closed_cb);
}
