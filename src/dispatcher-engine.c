/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher's engine (dispatcher-engine.h): jobs of the store run on
 * one dispatch over the remote executor, and everything they do is
 * written back to the store.
 */
#include "pogo/compat.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pogo/cfg.h"
#include "pogo/clock.h"
#include "pogo/dispatcher-engine.h"
#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/exec-remote.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/resolver.h"
#include "pogo/sched.h"
#include "pogo/sched-config.h"
#include "pogo/secret-cache.h"
#include "pogo/store.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

struct deng;

/* What the engine keeps of a host for its stored row. */
struct dhost {
	uint32_t runs;
	double start_time;
	double finish_time;
	char *task_id;
	char *worker;
	char *instance;
	uint32_t seqrun; /* the run seq counts records of */
	uint32_t seq;
};

struct djob {
	struct deng *eng;
	struct djob *next;
	uint64_t n;
	char id[32];
	struct pogo_store_job *rec;
	struct pogo_sched_config *cfg;
	struct pogo_job *job;
	struct pogo_strtab *names; /* host name -> index */
	struct dhost *hosts;
	uint32_t nhosts;
	bool ended;
	bool poll_pending; /* a long-poll wake-up waits for a commit */
	unsigned refs;     /* the engine's, and each pending wake-up */
};

struct deng {
	struct pogo_dispatcher *d;
	uv_loop_t *loop;
	struct pogo_store *st;
	struct pogo_exec *exec;
	struct pogo_dispatch *dispatch;
	struct pogo_clock *clock;
	struct pogo_secret_cache *secrets; /* SPEC 7.4 */
	struct djob *jobs;
	struct dresolve *resolving; /* jobs gathering their resolvers */
	struct dload *loading; /* ended jobs being reloaded (deng_load_op) */
	bool halt_earlier; /* cfg halt_earlier_jobs: pogo one's dispatcher */
	unsigned nloading;
	uint64_t nresolving;
	struct djob **byn; /* job n -> its engine job (numbers are dense) */
	size_t nbyn;
	uint64_t nactive; /* jobs not ended */
	unsigned closing; /* jobs, dispatch, executor still closing */
	void (*done)(void *darg);
	void *darg;
};

/*
 * A submitted job whose configuration's external references are being
 * resolved (SPEC 2.7, 2.11: while it is `gathering`); eng NULL once the
 * engine stopped (the resolver still runs: it has no cancel, and is
 * bounded by its time limit).
 */
struct dresolve {
	struct deng *eng;
	uint64_t n;
	struct pogo_sched_config *cfg;
	/*
	 * halted: the job is halted (stored: a halt asked for meanwhile, or
	 * halted before a restart), its answers are only stored, for a
	 * resume; else restart: built as a reloaded job (SPEC 6.4: its
	 * timeout from its start, its lost secrets), else as a new one.
	 */
	bool halted;
	bool restart;
	struct dresolve *next;
};

/*
 * What is read of a job to reload it (deng_build(), deng_load()): its
 * host rows and log entries, copied, in index order; read in pages, one
 * per loop turn, for an ended job reloaded for an operation.
 */
struct dsnap {
	struct pogo_store_host *hosts;
	uint32_t nhosts;
	struct pogo_store_entry *log;
	uint32_t nlog;
	uint32_t next_host; /* the next page's first index */
	uint32_t next_entry;
	bool hosts_done;
	bool log_done;
};

/* Rows read per loop turn when a job is reloaded for an operation. */
#define DENG_LOAD_ROWS 2048
/* Reloads at once, and requests waiting for one. */
#define DENG_LOADS 4
#define DENG_LOAD_WAITERS 64

/* An ended job being reloaded for operations (deng_load_op()). */
struct dload {
	struct deng *eng; /* NULL once the engine stopped */
	uint64_t n;
	struct dsnap snap;
	struct {
		void (*cb)(void *cookie, int status);
		void *cookie;
	} waiters[DENG_LOAD_WAITERS];
	unsigned nwaiters;
	struct dload *next;
};

struct dbarrier {
	struct deng *eng;
	void (*go)(void *cookie, int status);
	void *cookie;
};

static void
djob_unref(struct djob *dj)
{
	uint32_t i;

	if (--dj->refs > 0)
		return;
	for (i = 0; i < dj->nhosts; i++) {
		free(dj->hosts[i].task_id);
		free(dj->hosts[i].worker);
		free(dj->hosts[i].instance);
	}
	free(dj->hosts);
	if (dj->names != NULL)
		pogo_strtab_free(dj->names);
	pogo_sched_config_free(dj->cfg);
	pogo_store_job_free(dj->rec);
	free(dj);
}

/* The engine's job n, or NULL: one array read. */
static struct djob *
deng_find_n(struct deng *eng, uint64_t n)
{
	return n < eng->nbyn ? eng->byn[n] : NULL;
}

/* The engine's job of job (its id is "p<n>"), or NULL. */
static struct djob *
deng_find(struct deng *eng, const struct pogo_job *job)
{
	const char *id = pogo_job_id(job);
	struct djob *dj;

	if (id == NULL || id[0] != 'p')
		return NULL;
	dj = deng_find_n(eng, strtoull(id + 1, NULL, 10));
	return dj != NULL && dj->job == job ? dj : NULL;
}

/* Index dj, a new job not ended. */
static void
deng_link(struct deng *eng, struct djob *dj)
{
	size_t n;

	if (dj->n >= eng->nbyn) {
		n = eng->nbyn > 0 ? eng->nbyn : 16;
		while (n <= dj->n)
			n *= 2;
		eng->byn = xreallocarray(eng->byn, n, sizeof(*eng->byn));
		memset(eng->byn + eng->nbyn, 0,
		    (n - eng->nbyn) * sizeof(*eng->byn));
		eng->nbyn = n;
	}
	eng->byn[dj->n] = dj;
	dj->next = eng->jobs;
	eng->jobs = dj;
	eng->nactive++;
}

/* Take dj out of the index and the list. */
static void
deng_unlink(struct deng *eng, struct djob *dj)
{
	struct djob **p;

	for (p = &eng->jobs; *p != NULL; p = &(*p)->next) {
		if (*p == dj) {
			*p = dj->next;
			break;
		}
	}
	if (dj->n < eng->nbyn && eng->byn[dj->n] == dj)
		eng->byn[dj->n] = NULL;
	if (!dj->ended)
		eng->nactive--;
}

/*
 * Drop the engine's hold on dj: out of the index and the list, its job
 * closed, its engine forgotten (a pending wake-up or commit finds none)
 * and the engine's reference released (dj may be freed).
 */
static void
deng_drop(struct deng *eng, struct djob *dj)
{
	deng_unlink(eng, dj);
	pogo_job_close(dj->job, NULL, NULL);
	dj->eng = NULL;
	djob_unref(dj);
}

static void
deng_barrier_cb(struct pogo_store *st, int status, void *arg)
{
	struct dbarrier *b = arg;

	/*
	 * Failed: the executor sends no run and acknowledges no report any
	 * more (SPEC 6.3), and the dispatcher stops; its next start resumes
	 * from what the store holds (SPEC 6.4), the workers sending their
	 * unacknowledged reports again.
	 */
	if (status != 0) {
		log_error("store commit failed: %s", pogo_strerror(status));
		pogo_dispatcher_store_failed(b->eng->d);
	}
	b->go(b->cookie, status);
	free(b);
}

static void
deng_barrier(void (*go)(void *cookie, int status), void *cookie, void *arg)
{
	struct deng *eng = arg;
	struct dbarrier *b = xcalloc(1, sizeof(*b));

	b->eng = eng;
	b->go = go;
	b->cookie = cookie;
	pogo_store_after_commit(eng->st, deng_barrier_cb, b);
}

static void
deng_assign(struct pogo_exec_task *t, const char *worker, const char *instance,
    void *arg)
{
	struct deng *eng = arg;
	struct djob *dj = deng_find(eng, t->data);
	struct dhost *h;
	uint32_t i;

	if (dj == NULL)
		return;
	t->task_name = dj->rec->task_name;
	t->user = dj->rec->user;
	t->ssh_user = dj->rec->ssh_user;
	t->ssh_port = dj->rec->ssh_port > 0 ? (unsigned)dj->rec->ssh_port : 0;
	t->connect_timeout = dj->rec->connect_timeout > 0
	    ? (unsigned)dj->rec->connect_timeout
	    : 0;
	i = pogo_strtab_find(dj->names, t->host, strlen(t->host));
	if (i == POGO_STRTAB_NONE || i >= dj->nhosts)
		return;
	h = &dj->hosts[i];
	free(h->worker);
	free(h->instance);
	h->worker = xstrdup(worker);
	h->instance = xstrdup(instance);
}

/* Does the job need secrets (SPEC 5.5: submitted with a secret field)? */
static bool
deng_needs_secrets(const struct djob *dj)
{
	return dj->rec->key_id != NULL;
}

/* The boxes of t's job for the executor (exec-remote.h opts.secrets). */
static int
deng_secrets(const struct pogo_exec_task *t,
    const struct pogo_dispatcher_secrets **sp, void *arg)
{
	struct deng *eng = arg;
	struct djob *dj = deng_find(eng, t->data);

	*sp = NULL;
	if (dj == NULL || !deng_needs_secrets(dj))
		return 0;
	if (eng->secrets == NULL ||
	    (*sp = pogo_secret_cache_get(eng->secrets, dj->n)) == NULL)
		return POGO_ERR_NOWORKER;
	return 0;
}

/*
 * Cache the secrets of job dj (SPEC 7.4): they expire job_timeout + 60 s
 * from now; without job_timeout, 60 s after the job ends.
 */
static void
deng_cache_secrets(struct djob *dj, const struct pogo_dispatcher_secrets *s)
{
	uint64_t ms = 0;

	if (dj->rec->job_timeout > 0)
		ms = ((uint64_t)dj->rec->job_timeout + 60) * 1000;
	pogo_secret_cache_put(dj->eng->secrets, dj->n, s, ms);
}

/*
 * The secrets of a resume or retry (SPEC 5.5): given (with a key_id),
 * they replace the cached ones and their expiry restarts (SPEC 7.4);
 * else a job that needs secrets must still have them cached.  0,
 * POGO_ERR_RANGE (for another worker key), POGO_ERR_USAGE (for a job
 * submitted without secrets) or POGO_ERR_NOKEY.
 */
static int
deng_take_secrets(struct djob *dj, const struct pogo_dispatcher_secrets *s)
{
	if (s != NULL && s->key_id != NULL) {
		if (!deng_needs_secrets(dj))
			return POGO_ERR_USAGE;
		if (strcmp(s->key_id, dj->rec->key_id) != 0)
			return POGO_ERR_RANGE;
		deng_cache_secrets(dj, s);
		return 0;
	}
	if (deng_needs_secrets(dj) &&
	    pogo_secret_cache_get(dj->eng->secrets, dj->n) == NULL)
		return POGO_ERR_NOKEY;
	return 0;
}

static void
deng_kick(void *arg)
{
	struct deng *eng = arg;

	if (eng->dispatch != NULL)
		pogo_dispatch_kick(eng->dispatch);
}

/* The log's long polls are answered once the new entries are durable. */
static void
deng_poll_cb(struct pogo_store *st, int status, void *arg)
{
	struct djob *dj = arg;

	dj->poll_pending = false;
	if (dj->eng != NULL)
		pogo_dispatcher_log_appended(dj->eng->d, dj->n);
	djob_unref(dj);
}

static void
deng_log(struct djob *dj, const struct pogo_job_entry *e, int64_t host)
{
	struct pogo_store_entry se;
	int r;

	memset(&se, 0, sizeof(se));
	se.index = e->index;
	se.time = e->time;
	se.host = host;
	se.state = e->state;
	se.message = e->message;
	se.exitstatus = e->exitstatus;
	se.run = e->run;
	se.output = e->output;
	if ((r = pogo_store_log_append(dj->eng->st, dj->n, &se)) != 0)
		log_error("job %s: cannot store log entry %" PRIu32 ": %s",
		    dj->id, e->index, pogo_strerror(r));
	if (!dj->poll_pending) {
		dj->poll_pending = true;
		dj->refs++;
		pogo_store_after_commit(dj->eng->st, deng_poll_cb, dj);
	}
}

static bool
deng_final(int state)
{
	return state == POGO_HOST_FINISHED || state == POGO_HOST_FAILED ||
	    state == POGO_HOST_UNREACHABLE || state == POGO_HOST_HALTED ||
	    state == POGO_HOST_DEADLOCKED || state == POGO_HOST_SKIPPED;
}

/* Store one output record of host i's run (its next seq). */
static void
deng_record(struct djob *dj, uint32_t i, uint32_t run,
    enum pogo_store_out_type type, const char *data, size_t len, bool eol,
    double time)
{
	struct dhost *h = &dj->hosts[i];
	struct pogo_store_output o;
	int r;

	if (h->seqrun != run) {
		h->seqrun = run;
		h->seq = 0;
	}
	memset(&o, 0, sizeof(o));
	o.host = i;
	o.run = run;
	o.seq = h->seq++;
	o.ts = time;
	o.type = type;
	o.data = data;
	o.len = len;
	o.eol = eol;
	if ((r = pogo_store_output_append(dj->eng->st, dj->n, &o)) != 0)
		log_error("job %s: cannot store output of %s: %s", dj->id,
		    pogo_strtab_get(dj->names, i), pogo_strerror(r));
}

/*
 * The last record of a run (SPEC 5.8): EXIT with the exit status, or
 * ERROR with the host message when the run ended without one.
 */
static void
deng_output_end(struct djob *dj, uint32_t i, const struct pogo_job_entry *e)
{
	char status[16];

	if (e->exitstatus >= 0) {
		snprintf(status, sizeof(status), "%d", e->exitstatus);
		deng_record(dj, i, e->run, POGO_STORE_OUT_EXIT, status,
		    strlen(status), true, e->time);
	} else
		deng_record(dj, i, e->run, POGO_STORE_OUT_ERROR,
		    e->message != NULL ? e->message : "",
		    e->message != NULL ? strlen(e->message) : 0, true, e->time);
}

static void
deng_entry(struct pogo_job *job, const struct pogo_job_entry *e, void *arg)
{
	struct djob *dj = arg;
	struct pogo_store_host sh;
	struct dhost *h;
	uint32_t i;
	int r;

	if (e->host == NULL) {
		/* Entry 0 is the submission's, stored with the job. */
		if (e->index == 0)
			return;
		deng_log(dj, e, -1);
		if ((r = pogo_store_job_state(dj->eng->st, dj->n, e->state,
		         e->message,
		         e->state >= POGO_JOB_FINISHED ? e->time : 0)) != 0)
			log_error("job %s: cannot store its state: %s", dj->id,
			    pogo_strerror(r));
		return;
	}
	i = pogo_strtab_find(dj->names, e->host, strlen(e->host));
	if (i == POGO_STRTAB_NONE || i >= dj->nhosts) {
		log_error("job %s: entry for unknown host %s", dj->id, e->host);
		return;
	}
	h = &dj->hosts[i];
	if (e->task_id != NULL &&
	    (h->task_id == NULL || strcmp(h->task_id, e->task_id) != 0)) {
		free(h->task_id);
		h->task_id = xstrdup(e->task_id);
	}
	if (e->state == POGO_HOST_READY) {
		h->runs = e->run + 1;
		h->start_time = 0;
		h->finish_time = 0;
	} else if (e->state == POGO_HOST_RUNNING)
		h->start_time = e->time;
	else if (deng_final(e->state) && h->runs > e->run)
		h->finish_time = e->time;
	memset(&sh, 0, sizeof(sh));
	sh.idx = i;
	sh.state = e->state;
	sh.message = e->message;
	sh.exitstatus = e->exitstatus;
	sh.runs = h->runs;
	sh.start_time = h->start_time;
	sh.finish_time = h->finish_time;
	sh.task_id = h->task_id;
	sh.worker = h->worker;
	sh.worker_instance = h->instance;
	if ((r = pogo_store_host_set(dj->eng->st, dj->n, &sh)) != 0)
		log_error("job %s: cannot store host %s: %s", dj->id, e->host,
		    pogo_strerror(r));
	/* The entry that ends a run ends its output too (SPEC 5.8). */
	if ((e->state == POGO_HOST_FINISHED || e->state == POGO_HOST_FAILED ||
	        e->state == POGO_HOST_UNREACHABLE) &&
	    h->runs > e->run)
		deng_output_end(dj, i, e);
	deng_log(dj, e, i);
}

static void
deng_output(struct pogo_job *job, const char *host, uint32_t run,
    enum pogo_out_type type, const char *data, size_t len, bool eol,
    double time, void *arg)
{
	struct djob *dj = arg;
	uint32_t i;

	i = pogo_strtab_find(dj->names, host, strlen(host));
	if (i == POGO_STRTAB_NONE || i >= dj->nhosts)
		return;
	deng_record(dj, i, run,
	    type == POGO_OUT_STDERR ? POGO_STORE_OUT_STDERR
	                            : POGO_STORE_OUT_STDOUT,
	    data, len, eol, time);
}

/*
 * An ended job is freed once its last entries are committed, unless an
 * operation made it active again meanwhile: a long-running dispatcher
 * holds only its active jobs; an operation on an ended one reloads it
 * from the store (deng_get()).
 */
static void
deng_free_cb(struct pogo_store *st, int status, void *arg)
{
	struct djob *dj = arg;
	struct deng *eng = dj->eng;

	if (eng != NULL && dj->ended && deng_find_n(eng, dj->n) == dj) {
		log_debug("job %s: ended, freed", dj->id);
		deng_drop(eng, dj);
	}
	djob_unref(dj);
}

static void
deng_end(struct pogo_job *job, void *arg)
{
	struct djob *dj = arg;

	if (!dj->ended && dj->eng != NULL && deng_find_n(dj->eng, dj->n) == dj)
		dj->eng->nactive--;
	dj->ended = true;
	/*
	 * Kept for a retry (SPEC 7.4); without a timer, for 60 s after the
	 * job ends (finished or deadlocked: a halted job keeps them for its
	 * resume).
	 */
	if (dj->eng != NULL && dj->eng->secrets != NULL &&
	    dj->rec->job_timeout == 0 &&
	    (pogo_job_state(job) == POGO_JOB_FINISHED ||
	        pogo_job_state(job) == POGO_JOB_DEADLOCKED))
		pogo_secret_cache_expire_in(dj->eng->secrets, dj->n, 60 * 1000);
	if (dj->eng != NULL) {
		dj->refs++;
		pogo_store_after_commit(dj->eng->st, deng_free_cb, dj);
	}
}

static const struct pogo_job_listener deng_listener = { deng_entry, deng_output,
	deng_end };

static int
deng_host_cb(const struct pogo_store_host *h, void *arg)
{
	struct pogo_strv *hosts = arg;

	pogo_strv_push(hosts, h->name);
	return 0;
}

static int
deng_next_task(void *arg, uint64_t *np)
{
	struct deng *eng = arg;

	/* The worker port may have been bound after the dispatch was made. */
	pogo_dispatch_set_prefix(
	    eng->dispatch, pogo_exec_remote_prefix(eng->exec));
	return pogo_store_next_task(eng->st, np);
}

/* The dispatch of every job, made on first use. */
static struct pogo_dispatch *
deng_dispatch(struct deng *eng)
{
	struct pogo_dispatch_opts dopts;

	if (eng->dispatch == NULL) {
		memset(&dopts, 0, sizeof(dopts));
		dopts.task_prefix = pogo_exec_remote_prefix(eng->exec);
		dopts.next_task = deng_next_task;
		dopts.next_task_arg = eng;
		eng->dispatch = pogo_dispatch_new(eng->loop, eng->exec, &dopts);
	}
	return eng->dispatch;
}

/* Hosts stored in flight of a job that cannot run, and the log's end. */
struct deng_lost {
	struct deng *eng;
	uint64_t n;
	uint32_t next; /* the next log index; 0: no log to append to */
	double now;
};

/*
 * A host stored `ready` or `running` of a job that cannot be reloaded has
 * no job to report to: it is failed "lost contact with worker" (SPEC
 * 6.4.5, 7.3) and keeps its run count, as when its worker is lost.
 */
static int
deng_lose_host(const struct pogo_store_host *sh, void *arg)
{
	static const char msg[] = "lost contact with worker";
	struct deng_lost *l = arg;
	struct pogo_store_host h;
	struct pogo_store_entry e;
	int r;

	if (sh->state != POGO_HOST_READY && sh->state != POGO_HOST_RUNNING)
		return 0;
	h = *sh;
	h.state = POGO_HOST_FAILED;
	h.message = msg;
	h.exitstatus = -1;
	h.finish_time = l->now;
	log_warn("job p%010" PRIu64 ": host %s: %s", l->n, sh->name, msg);
	if ((r = pogo_store_host_set(l->eng->st, l->n, &h)) != 0) {
		log_error("job p%010" PRIu64 ": cannot store host %s: %s", l->n,
		    sh->name, pogo_strerror(r));
		return 0;
	}
	if (l->next == 0)
		return 0;
	memset(&e, 0, sizeof(e));
	e.index = l->next++;
	e.time = l->now;
	e.host = sh->idx;
	e.state = POGO_HOST_FAILED;
	e.message = msg;
	e.exitstatus = -1;
	e.run = sh->runs > 0 ? sh->runs - 1 : 0;
	(void)pogo_store_log_append(l->eng->st, l->n, &e);
	return 0;
}

/*
 * A job that cannot be built is halted with the reason, after its hosts
 * in flight are resolved (nothing would ever resolve them otherwise).
 */
static void
deng_refuse(struct deng *eng, uint64_t n, const char *why, bool user)
{
	struct pogo_store_entry e;
	struct deng_lost l;
	int r;

	/* The user's configuration or halt: the job's log says it. */
	if (user)
		log_info("job p%010" PRIu64 ": halted: %s", n, why);
	else
		log_error("job p%010" PRIu64 ": %s", n, why);
	memset(&l, 0, sizeof(l));
	l.eng = eng;
	l.n = n;
	l.now = pogo_exec_now();
	if (pogo_store_log_length(eng->st, n, &l.next) != 0)
		l.next = 0;
	if ((r = pogo_store_hosts(eng->st, n, 0, 0, deng_lose_host, &l)) != 0)
		log_error("job p%010" PRIu64 ": cannot read its hosts: %s", n,
		    pogo_strerror(r));
	(void)pogo_store_job_state(eng->st, n, POGO_JOB_HALTED, why, l.now);
	if (l.next == 0)
		return;
	memset(&e, 0, sizeof(e));
	e.index = l.next;
	e.time = l.now;
	e.host = -1;
	e.state = POGO_JOB_HALTED;
	e.message = why;
	e.exitstatus = -1;
	(void)pogo_store_log_append(eng->st, n, &e);
}

/*
 * Store the answers of cfg's external references with job n (SPEC 2.7:
 * cached for the life of the schedule; 6.4: a reloaded job builds the
 * same constraint groups from them, without running its resolvers).
 */
static int
deng_store_refs(
    struct deng *eng, uint64_t n, const struct pogo_sched_config *cfg)
{
	struct pogo_strv hosts = { 0 };
	struct pogo_store_ref ref;
	size_t i;
	int r = 0;

	for (i = 0; r == 0 && i < pogo_sched_config_nrefs(cfg); i++) {
		memset(&ref, 0, sizeof(ref));
		if (!pogo_sched_config_ref_answer(cfg, i, &hosts, &ref.failure))
			continue;
		ref.idx = (uint32_t)i;
		ref.ref = pogo_sched_config_ref(cfg, i);
		ref.hosts = (const char *const *)hosts.v;
		ref.nhosts = hosts.n;
		r = pogo_store_job_ref_set(eng->st, n, &ref);
		pogo_strv_clear(&hosts);
	}
	return r;
}

/* The stored answers being given to a configuration. */
struct deng_refs {
	struct pogo_sched_config *cfg;
	size_t n; /* answers given */
	char *cause;
};

static int
deng_ref_cb(const struct pogo_store_ref *ref, void *arg)
{
	struct deng_refs *dr = arg;
	struct pogo_strv hosts = { 0 };

	if (ref->idx >= pogo_sched_config_nrefs(dr->cfg) ||
	    strcmp(ref->ref, pogo_sched_config_ref(dr->cfg, ref->idx)) != 0) {
		xasprintf(&dr->cause,
		    "the stored answer of '%s' does not match its "
		    "configuration",
		    ref->ref);
		return 1;
	}
	if (ref->failure != NULL) {
		pogo_sched_config_fail_ref(dr->cfg, ref->idx, ref->failure);
	} else {
		/* A borrowed view: set_ref() copies the names. */
		hosts.v = (char **)(uintptr_t)ref->hosts;
		hosts.n = ref->nhosts;
		pogo_sched_config_set_ref(dr->cfg, ref->idx, &hosts);
	}
	dr->n++;
	return 0;
}

/*
 * Answer cfg's external references with those stored with job n.
 * Returns 0; or an error and *causep (a job stored before its answers
 * were, by a pogo of schema 3).
 */
static int
deng_load_refs(
    struct deng *eng, uint64_t n, struct pogo_sched_config *cfg, char **causep)
{
	struct deng_refs dr = { .cfg = cfg };
	int r;

	if ((r = pogo_store_job_refs(eng->st, n, deng_ref_cb, &dr)) != 0) {
		free(dr.cause);
		xasprintf(causep, "store: %s", pogo_strerror(r));
		return r;
	}
	if (dr.cause != NULL) {
		*causep = dr.cause;
		return POGO_ERR_STATE;
	}
	if (dr.n < pogo_sched_config_nrefs(cfg)) {
		xasprintf(
		    causep, "the answers of its resolvers were not stored");
		return POGO_ERR_STATE;
	}
	return 0;
}

/* Why a job is built: what a failure does. */
enum deng_why {
	DENG_SUBMITTED, /* halted with the reason */
	DENG_RESTART,   /* halted "cannot reload the job: <reason>" */
	DENG_DEMAND,    /* an ended job for an operation: logged only */
};

/*
 * Build job n from its stored record on the engine's dispatch (not
 * started).  resolved (taken; may be NULL): the job's configuration,
 * parsed and its external references resolved (deng_resolved_cb()),
 * built here.  snap (may be NULL: read here): its hosts, read already.  Returns the job, or NULL when it cannot be built (see
 * enum deng_why).
 */
static struct djob *
deng_build(struct deng *eng, uint64_t n, enum deng_why mode,
    struct pogo_sched_config *resolved, const struct dsnap *snap)
{
	struct pogo_job_opts jopts;
	struct pogo_strv hosts = { 0 };
	struct djob *dj;
	char *cause = NULL, *why;
	size_t i;
	int r;

	dj = xcalloc(1, sizeof(*dj));
	dj->eng = eng;
	dj->n = n;
	dj->refs = 1;
	snprintf(dj->id, sizeof(dj->id), "p%010" PRIu64, n);
	for (i = 0; snap != NULL && i < snap->nhosts; i++)
		pogo_strv_push(&hosts, snap->hosts[i].name);
	if ((r = pogo_store_job_get(eng->st, n, &dj->rec)) != 0 ||
	    (snap == NULL &&
	        (r = pogo_store_hosts(
	             eng->st, n, 0, 0, deng_host_cb, &hosts)) != 0)) {
		xasprintf(&cause, "%s: %s",
		    mode != DENG_SUBMITTED ? "store" : "cannot load the job",
		    pogo_strerror(r));
		goto fail;
	}
	dj->nhosts = (uint32_t)hosts.n;
	dj->hosts = xcalloc(hosts.n + 1, sizeof(*dj->hosts));
	dj->names = pogo_strtab_new_sized(hosts.n);
	for (i = 0; i < hosts.n; i++)
		(void)pogo_strtab_intern(
		    dj->names, hosts.v[i], strlen(hosts.v[i]), NULL);
	if (resolved != NULL) {
		dj->cfg = resolved;
		resolved = NULL;
		if ((r = pogo_sched_config_build(dj->cfg, &cause)) != 0)
			goto fail;
	} else if (dj->rec->config != NULL) {
		r = pogo_sched_config_parse(
		    dj->rec->config, strlen(dj->rec->config), &dj->cfg, &cause);
		/* Reloaded: the answers its resolvers gave when it was
		 * gathering (deng_resolved_cb()). */
		if (r == 0 && pogo_sched_config_nrefs(dj->cfg) > 0)
			r = deng_load_refs(eng, n, dj->cfg, &cause);
		if (r == 0)
			r = pogo_sched_config_build(dj->cfg, &cause);
		if (r != 0)
			goto fail;
	}
	memset(&jopts, 0, sizeof(jopts));
	jopts.id = dj->id;
	jopts.command = dj->rec->command;
	jopts.run_as = dj->rec->run_as;
	jopts.timeout = dj->rec->timeout;
	jopts.job_timeout = dj->rec->job_timeout;
	jopts.concurrent = dj->rec->concurrent;
	jopts.stub.retry = dj->rec->retry;
	jopts.stub.prehook = dj->rec->prehook;
	jopts.stub.posthook = dj->rec->posthook;
	jopts.stub.lock = dj->rec->lock;
	jopts.stub.exe_name = dj->rec->exe_name;
	jopts.stub.exe_data = dj->rec->exe_data;
	jopts.counters =
	    pogo_dispatch_counters(deng_dispatch(eng), dj->rec->namespace);
	if ((r = pogo_job_new(eng->loop, dj->cfg, &hosts, &jopts,
	         deng_dispatch(eng), &deng_listener, dj, &dj->job, &cause)) !=
	    0)
		goto fail;
	pogo_strv_clear(&hosts);
	deng_link(eng, dj);
	return dj;
fail:
	if (mode != DENG_SUBMITTED) {
		/* Say what failed: the reload, then why. */
		xasprintf(&why, "cannot reload the job: %s",
		    cause != NULL ? cause : pogo_strerror(r));
		free(cause);
		cause = why;
	}
	if (mode == DENG_DEMAND)
		log_error("job %s: %s", dj->id, cause);
	else
		deng_refuse(eng, n, cause != NULL ? cause : pogo_strerror(r),
		    mode == DENG_SUBMITTED && r == POGO_ERR_CONFIG);
	free(cause);
	pogo_strv_clear(&hosts);
	pogo_sched_config_free(resolved); /* not taken */
	djob_unref(dj);
	return NULL;
}

static int deng_load(
    struct deng *eng, struct djob *dj, const struct dsnap *snap, char **causep);

/*
 * Build job n as reloaded after a restart (resolved: its configuration
 * answered, taken; NULL: from the store) and load its hosts and log, not
 * started.  Returns it, or NULL: it could not be, and it is halted
 * "cannot reload the job: <reason>" as if never built.
 */
static struct djob *
deng_restart_job(
    struct deng *eng, uint64_t n, struct pogo_sched_config *resolved)
{
	struct djob *dj;
	char *cause = NULL, *why;

	if ((dj = deng_build(eng, n, DENG_RESTART, resolved, NULL)) == NULL)
		return NULL;
	if (deng_load(eng, dj, NULL, &cause) != 0) {
		deng_drop(eng, dj);
		xasprintf(&why, "cannot reload the job: %s", cause);
		deng_refuse(eng, n, why, false);
		free(why);
		free(cause);
		return NULL;
	}
	return dj;
}

/* The resolvers of rs's job answered (resolver.h): build and start it. */
static void
deng_resolved_cb(struct pogo_resolver *res, int status, void *arg)
{
	struct dresolve *rs = arg, **pp;
	struct deng *eng = rs->eng;
	struct djob *dj;
	char *why;
	int r;

	if (eng == NULL) {
		/* The engine stopped meanwhile. */
		pogo_sched_config_free(rs->cfg);
		free(rs);
		return;
	}
	for (pp = &eng->resolving; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == rs) {
			*pp = rs->next;
			break;
		}
	}
	eng->nresolving--;
	if ((r = deng_store_refs(eng, rs->n, rs->cfg)) != 0) {
		pogo_sched_config_free(rs->cfg);
		xasprintf(&why, "cannot store the answers of its resolvers: %s",
		    pogo_strerror(r));
		deng_refuse(eng, rs->n, why, false);
		free(why);
	} else if (rs->halted) {
		/* Halted already: the answers are for its resume. */
		pogo_sched_config_free(rs->cfg);
	} else if (rs->restart) {
		if ((dj = deng_restart_job(eng, rs->n, rs->cfg)) != NULL)
			pogo_job_start(dj->job);
	} else if ((dj = deng_build(
	                eng, rs->n, DENG_SUBMITTED, rs->cfg, NULL)) != NULL)
		pogo_job_start(dj->job);
	free(rs);
}

/*
 * Run the resolvers of job n's configuration cfg (taken), gathering
 * (SPEC 2.11); restart, halted: as struct dresolve.
 */
static void
deng_resolve(struct deng *eng, uint64_t n, struct pogo_sched_config *cfg,
    bool restart, bool halted)
{
	struct dresolve *rs;

	rs = xcalloc(1, sizeof(*rs));
	rs->eng = eng;
	rs->n = n;
	rs->cfg = cfg;
	if (pogo_resolver_run(eng->loop, cfg,
	        pogo_dispatcher_cfg(eng->d)->dispatcher.resolver_path, 0,
	        deng_resolved_cb, rs) != 0) {
		pogo_sched_config_free(cfg);
		free(rs);
		deng_refuse(eng, n, "cannot run the resolvers", false);
		return;
	}
	rs->halted = halted;
	rs->restart = restart;
	rs->next = eng->resolving;
	eng->resolving = rs;
	eng->nresolving++;
}

static void
deng_submitted(struct pogo_dispatcher *d, uint64_t n,
    const struct pogo_dispatcher_secrets *secrets, void *arg)
{
	struct deng *eng = arg;
	struct djob *dj;

	struct pogo_store_job *rec = NULL;
	struct pogo_sched_config *cfg = NULL;
	char *cause = NULL;
	uint64_t ms = 0;

	/*
	 * External references (SPEC 2.7, 2.11): resolved while the job is
	 * gathering, off the loop's critical path (resolver.h), then built;
	 * a failure halts the job with the resolver's message.  Anything
	 * else, a parse error too, is deng_build()'s.
	 */
	if (pogo_store_job_get(eng->st, n, &rec) == 0 && rec->config != NULL &&
	    pogo_sched_config_parse(
	        rec->config, strlen(rec->config), &cfg, &cause) == 0 &&
	    pogo_sched_config_nrefs(cfg) > 0) {
		/* The secrets are borrowed for this call: cache them now. */
		if (rec->key_id != NULL && secrets != NULL &&
		    secrets->key_id != NULL) {
			if (rec->job_timeout > 0)
				ms = ((uint64_t)rec->job_timeout + 60) * 1000;
			pogo_secret_cache_put(eng->secrets, n, secrets, ms);
		}
		deng_resolve(eng, n, cfg, false, false);
		pogo_store_job_free(rec);
		return;
	}
	free(cause);
	pogo_sched_config_free(cfg);
	pogo_store_job_free(rec);
	if ((dj = deng_build(eng, n, DENG_SUBMITTED, NULL, NULL)) == NULL)
		return;
	if (deng_needs_secrets(dj) && secrets != NULL &&
	    secrets->key_id != NULL)
		deng_cache_secrets(dj, secrets);
	pogo_job_start(dj->job);
}

/* Count a run's stored output records (the next one's seq). */
static int
deng_count_output(const struct pogo_store_output *o, void *arg)
{
	(*(uint32_t *)arg)++;
	return 0;
}

/* A job being reloaded, and what failed (SPEC 6.4). */
struct deng_load {
	struct djob *dj;
	uint32_t next; /* the log index expected next */
	char *cause;
};

/* A stored host of a job being reloaded (SPEC 6.4). */
static int
deng_load_host(const struct pogo_store_host *sh, void *arg)
{
	struct deng_load *ld = arg;
	struct djob *dj = ld->dj;
	struct pogo_job_stored_host jh;
	struct dhost *h;
	int r;

	if (sh->idx >= dj->nhosts) {
		xasprintf(
		    &ld->cause, "host %" PRIu32 " is out of range", sh->idx);
		return POGO_ERR_STATE;
	}
	h = &dj->hosts[sh->idx];
	h->runs = sh->runs;
	h->start_time = sh->start_time;
	h->finish_time = sh->finish_time;
	h->task_id = sh->task_id != NULL ? xstrdup(sh->task_id) : NULL;
	h->worker = sh->worker != NULL ? xstrdup(sh->worker) : NULL;
	h->instance =
	    sh->worker_instance != NULL ? xstrdup(sh->worker_instance) : NULL;
	memset(&jh, 0, sizeof(jh));
	jh.host = sh->name;
	jh.state = (enum pogo_host_state)sh->state;
	jh.message = sh->message;
	jh.exitstatus = sh->exitstatus;
	jh.runs = sh->runs;
	jh.task_id = sh->task_id;
	jh.worker = sh->worker;
	jh.instance = sh->worker_instance;
	jh.started_at = sh->start_time;
	if ((sh->state == POGO_HOST_READY || sh->state == POGO_HOST_RUNNING) &&
	    sh->runs > 0) {
		/* New output of the run in flight follows what is stored. */
		h->seqrun = sh->runs - 1;
		h->seq = 0;
		(void)pogo_store_output(dj->eng->st, dj->n, sh->idx, h->seqrun,
		    0, 0, deng_count_output, &h->seq);
		/* Stored, so not lost (SPEC 8.3): the adopted run counts them. */
		jh.records = h->seq;
	}
	if ((r = pogo_job_load_host(dj->job, &jh)) != 0)
		xasprintf(&ld->cause, "host %s: state %d: %s", sh->name,
		    sh->state, pogo_strerror(r));
	return r;
}

static int
deng_load_entry(const struct pogo_store_entry *se, void *arg)
{
	struct deng_load *ld = arg;
	struct pogo_job_entry e;
	int r;

	if (se->index != ld->next) {
		xasprintf(
		    &ld->cause, "log entry %" PRIu32 " is missing", ld->next);
		return POGO_ERR_STATE;
	}
	ld->next++;
	memset(&e, 0, sizeof(e));
	e.index = se->index;
	e.time = se->time;
	e.host = se->host >= 0 ? se->host_name : NULL;
	e.state = se->state;
	e.message = se->message;
	e.exitstatus = se->exitstatus;
	e.run = se->run;
	e.output = se->output;
	if ((r = pogo_job_load_entry(ld->dj->job, &e)) != 0)
		xasprintf(&ld->cause, "log entry %" PRIu32 ": %s", se->index,
		    se->host >= 0 && se->host_name == NULL ? "unknown host"
		                                           : pogo_strerror(r));
	return r;
}

/*
 * Give the loaded job dj what was stored: its log, its hosts, its state
 * (from snap when not NULL, else read here).  Returns 0, or an error and
 * *causep (what failed; the caller frees it).
 */
static int
deng_load(
    struct deng *eng, struct djob *dj, const struct dsnap *snap, char **causep)
{
	struct deng_load ld;
	uint32_t i;
	int r;

	memset(&ld, 0, sizeof(ld));
	ld.dj = dj;
	*causep = NULL;
	if (dj->rec->state == POGO_JOB_GATHERING &&
	    dj->nhosts < dj->rec->host_count) {
		xasprintf(causep,
		    "stored part-way (%" PRIu32 " of %" PRIu32 " hosts)",
		    dj->nhosts, dj->rec->host_count);
		return POGO_ERR_STATE;
	}
	/* A visitor's error only stops the read: its cause tells. */
	if (snap != NULL) {
		for (i = 0, r = 0; r == 0 && i < snap->nlog; i++)
			r = deng_load_entry(&snap->log[i], &ld);
		for (i = 0; r == 0 && i < snap->nhosts; i++)
			r = deng_load_host(&snap->hosts[i], &ld);
		if (ld.cause != NULL)
			r = 0; /* told below */
	} else {
		r = pogo_store_log(eng->st, dj->n, 0, 0, deng_load_entry, &ld);
		if (r == 0 && ld.cause == NULL)
			r = pogo_store_hosts(
			    eng->st, dj->n, 0, 0, deng_load_host, &ld);
	}
	if (r == 0 && ld.cause != NULL)
		r = POGO_ERR_STATE;
	if (r == 0 && ld.next == 0) {
		xasprintf(&ld.cause, "log entry 0 is missing");
		r = POGO_ERR_STATE;
	}
	if (r == 0 &&
	    (r = pogo_job_load(dj->job, (enum pogo_job_state)dj->rec->state,
	         deng_needs_secrets(dj))) != 0)
		xasprintf(&ld.cause, "state %s: %s",
		    pogo_job_state_name(dj->rec->state), pogo_strerror(r));
	if (r != 0 && ld.cause == NULL)
		xasprintf(&ld.cause, "store: %s", pogo_strerror(r));
	*causep = ld.cause;
	return r;
}

struct deng_scan {
	struct deng *eng;
	struct pogo_idv v;
	struct pogo_idv resolve; /* gathering, resolvers never answered */
};

static int
deng_count_ref(const struct pogo_store_ref *ref, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

/* A host that ran, or was given to a worker: *arg, and the read stops. */
static int
deng_host_ran(const struct pogo_store_host *h, void *arg)
{
	bool *ran = arg;

	*ran =
	    h->state != POGO_HOST_WAITING || h->runs > 0 || h->task_id != NULL;
	return *ran;
}

/*
 * Was job j stopped before its resolvers' answers were stored, while
 * gathering (still gathering, or halted then: review8 8)?  Then it never
 * ran a host: its resolvers run again, as at submission.  A halted job
 * that ran a host without stored answers (one of schema 3) is not
 * resolved: its reload says "the answers of its resolvers were not
 * stored", as a resume would build groups its hosts did not run under.
 */
static bool
deng_unresolved(struct deng *eng, const struct pogo_store_job *j)
{
	struct pogo_sched_config *cfg = NULL;
	uint32_t counts[POGO_HOST_NSTATES], nhosts = 0;
	char *cause = NULL;
	size_t nrefs = 0, stored = 0;
	bool ran = false;
	int i;

	/* Stored part-way: deng_load() halts it. */
	if (pogo_store_host_counts(
	        eng->st, j->job, counts, POGO_NELEM(counts)) != 0)
		return false;
	for (i = 0; i < POGO_HOST_NSTATES; i++)
		nhosts += counts[i];
	if (j->config == NULL || nhosts < j->host_count ||
	    pogo_sched_config_parse(
	        j->config, strlen(j->config), &cfg, &cause) != 0) {
		free(cause);
		return false;
	}
	nrefs = pogo_sched_config_nrefs(cfg);
	pogo_sched_config_free(cfg);
	/* Not all stored (a commit between two of them): again, all. */
	if (nrefs == 0 ||
	    pogo_store_job_refs(eng->st, j->job, deng_count_ref, &stored) !=
	        0 ||
	    stored >= nrefs)
		return false;
	/* Halted: only if every host waits, none ran (read last, rarely). */
	if (j->state == POGO_JOB_GATHERING)
		return true;
	return counts[POGO_HOST_WAITING] == nhosts &&
	    pogo_store_hosts(eng->st, j->job, 0, 0, deng_host_ran, &ran) == 0 &&
	    !ran;
}

/* Active jobs, and halted ones with hosts in flight (SPEC 6.4.5). */
static int
deng_active_job(const struct pogo_store_job *j, void *arg)
{
	struct deng_scan *sc = arg;
	uint32_t n[POGO_HOST_NSTATES];

	/* Job numbers of one dispatcher fit: it counts them from 0. */
	if ((j->state == POGO_JOB_GATHERING || j->state == POGO_JOB_HALTED) &&
	    deng_unresolved(sc->eng, j))
		pogo_idv_push(&sc->resolve, (uint32_t)j->job);
	else if (j->state == POGO_JOB_GATHERING || j->state == POGO_JOB_RUNNING)
		pogo_idv_push(&sc->v, (uint32_t)j->job);
	else if (j->state == POGO_JOB_HALTED &&
	    pogo_store_host_counts(sc->eng->st, j->job, n, POGO_NELEM(n)) ==
	        0 &&
	    n[POGO_HOST_READY] + n[POGO_HOST_RUNNING] > 0)
		pogo_idv_push(&sc->v, (uint32_t)j->job);
	return 0;
}

/*
 * Reload every active job of the store (SPEC 6.4): all of them first,
 * so that the counters of a namespace hold every job's units before any
 * job dispatches, then each is started (job.h, pogo_job_load()).
 */
static void
deng_restore(struct deng *eng)
{
	struct deng_scan sc = { 0 };
	struct pogo_idv loaded = { 0 };
	struct pogo_idv *active = &sc.v;
	struct pogo_store_job *rec;
	struct pogo_sched_config *cfg;
	struct djob *dj;
	char *cause = NULL;
	uint32_t n;
	size_t i, k;
	int r;

	sc.eng = eng;
	if ((r = pogo_store_jobs(eng->st, deng_active_job, &sc)) != 0)
		log_error("cannot reload the jobs: %s", pogo_strerror(r));
	if (eng->halt_earlier) {
		/* pogo one: none continues; hosts in flight are resolved. */
		for (k = 0; k < active->n + sc.resolve.n; k++) {
			n = k < active->n ? active->v[k]
			                  : sc.resolve.v[k - active->n];
			log_warn("job p%010" PRIu32 " of an earlier run in the "
			         "state directory: halted, not continued",
			    n);
			deng_refuse(eng, n,
			    "a job of an earlier pogo one, not continued",
			    true);
		}
		active->n = sc.resolve.n = 0;
	}
	for (i = 0; i < active->n; i++) {
		if (deng_restart_job(eng, active->v[i], NULL) != NULL)
			pogo_idv_push(&loaded, active->v[i]);
	}
	for (k = 0; k < loaded.n; k++) {
		if ((dj = deng_find_n(eng, loaded.v[k])) != NULL) {
			log_info("job %s: reloaded (%s)", dj->id,
			    pogo_job_state_name(dj->rec->state));
			pogo_job_start(dj->job);
		}
	}
	/*
	 * Stopped while its resolvers ran: nothing ran yet, they run again,
	 * then it is reloaded as the others (SPEC 6.4: an expired one is
	 * halted, one that needs secrets lost them).  One halted meanwhile
	 * only stores their answers, for its resume.
	 */
	cause = NULL;
	for (k = 0; k < sc.resolve.n; k++) {
		if (pogo_store_job_get(eng->st, sc.resolve.v[k], &rec) != 0)
			continue;
		if (pogo_sched_config_parse(
		        rec->config, strlen(rec->config), &cfg, &cause) == 0) {
			log_info("job p%010" PRIu32 ": %s again",
			    sc.resolve.v[k],
			    rec->state == POGO_JOB_GATHERING ? "gathering"
			                                     : "resolving");
			deng_resolve(eng, sc.resolve.v[k], cfg,
			    rec->state == POGO_JOB_GATHERING,
			    rec->state != POGO_JOB_GATHERING);
		}
		free(cause);
		cause = NULL;
		pogo_store_job_free(rec);
	}
	pogo_idv_clear(active);
	pogo_idv_clear(&sc.resolve);
	pogo_idv_clear(&loaded);
}

static uint64_t
deng_jobs_active(struct pogo_dispatcher *d, void *arg)
{
	struct deng *eng = arg;

	return eng->nactive + eng->nresolving;
}

static void
deng_closed_one(void *arg)
{
	struct deng *eng = arg;
	void (*done)(void *darg);
	void *darg;

	if (--eng->closing > 0)
		return;
	done = eng->done;
	darg = eng->darg;
	free(eng->byn);
	free(eng);
	if (done != NULL)
		done(darg);
}

static void
deng_dispatch_closed(void *arg)
{
	deng_closed_one(arg);
}

static void
deng_stop(
    struct pogo_dispatcher *d, void (*done)(void *darg), void *darg, void *arg)
{
	struct deng *eng = arg;
	struct djob *dj;

	struct dresolve *rs;
	struct dload *ld;

	eng->done = done;
	eng->darg = darg;
	eng->closing = 2; /* the executor, then the dispatch */
	/*
	 * Resolvers still running are killed, not waited for (a stop would
	 * otherwise wait up to their 30 s); the jobs stay gathering in the
	 * store, for deng_restore() at the next start, and the callbacks
	 * find no engine.
	 */
	while ((rs = eng->resolving) != NULL) {
		eng->resolving = rs->next;
		rs->eng = NULL;
	}
	/*
	 * Reloads in progress end at their next step, telling nobody: the
	 * dispatcher has answered every request before it stops the engine.
	 */
	while ((ld = eng->loading) != NULL) {
		eng->loading = ld->next;
		ld->eng = NULL;
	}
	eng->nloading = 0;
	pogo_resolver_cancel_all(eng->loop);
	eng->nresolving = 0;
	/* Every cached secret is wiped (SPEC 7.4, 10.4). */
	pogo_secret_cache_free(eng->secrets);
	eng->secrets = NULL;
	pogo_clock_free(eng->clock);
	eng->clock = NULL;
	/*
	 * The executor first: it forgets the tasks in flight, which the
	 * workers keep running (SPEC 6.4 resolves them at the next start);
	 * then the jobs, which abandon them too.
	 */
	eng->exec->ops->close(eng->exec, deng_closed_one, eng);
	while ((dj = eng->jobs) != NULL) {
		pogo_job_abandon(dj->job);
		deng_drop(eng, dj);
	}
	if (eng->dispatch != NULL)
		pogo_dispatch_close(eng->dispatch, deng_dispatch_closed, eng);
	else
		deng_dispatch_closed(eng);
}

/*
 * May job n, not held, be reloaded for an operation?  0 (it ended), or
 * the operation's error: POGO_ERR_NOTFOUND (no such job, or an active
 * one not handed over yet), UV_EBUSY (halted, its resolvers still run:
 * review8 8), POGO_ERR_STORE.
 */
static struct dresolve *deng_resolving(struct deng *eng, uint64_t n);

static int
deng_reloadable(struct deng *eng, uint64_t n)
{
	struct pogo_store_job *rec = NULL;
	int r, state;

	if ((r = pogo_store_job_get(eng->st, n, &rec)) != 0)
		return r == POGO_ERR_NOTFOUND ? r : POGO_ERR_STORE;
	state = rec->state;
	pogo_store_job_free(rec);
	if (state == POGO_JOB_GATHERING || state == POGO_JOB_RUNNING)
		return POGO_ERR_NOTFOUND;
	/* Halted while its resolvers still run: built once they answer. */
	if (deng_resolving(eng, n) != NULL)
		return UV_EBUSY;
	return 0;
}

/*
 * Reload ended job n (its rows in snap, or read here when NULL) and
 * start it as a loaded job; NULL and *rp POGO_ERR_STORE if it cannot be
 * (logged).
 */
static struct djob *
deng_reload(struct deng *eng, uint64_t n, const struct dsnap *snap, int *rp)
{
	struct djob *dj;
	char *cause = NULL;
	int r;

	if ((dj = deng_build(eng, n, DENG_DEMAND, NULL, snap)) == NULL) {
		*rp = POGO_ERR_STORE;
		return NULL;
	}
	if ((r = deng_load(eng, dj, snap, &cause)) != 0) {
		log_error("job %s: cannot reload the job: %s", dj->id, cause);
		free(cause);
		deng_drop(eng, dj);
		*rp = POGO_ERR_STORE;
		return NULL;
	}
	log_info("job %s: reloaded from the store (%s)", dj->id,
	    pogo_job_state_name(dj->rec->state));
	pogo_job_start(dj->job);
	*rp = 0;
	return dj;
}

/*
 * The engine's job n; a job of the store that ended (in this process or
 * before a restart) is reloaded from the store and started as a loaded
 * job (job.h), so that resume, retry and skip apply to it (SPEC 5.5,
 * 6.4); it is freed again once it ends again (deng_free_cb()).  NULL and
 * *rp: POGO_ERR_NOTFOUND (no such job, or one not handed over yet), or
 * POGO_ERR_STORE (it cannot be reloaded; logged).  The control port has
 * the engine reload it first, a page of rows per loop turn
 * (deng_load_op()); one not held here is read at once.
 */
static struct djob *
deng_get(struct deng *eng, uint64_t n, int *rp)
{
	struct djob *dj;

	*rp = 0;
	if ((dj = deng_find_n(eng, n)) != NULL)
		return dj;
	if ((*rp = deng_reloadable(eng, n)) != 0)
		return NULL;
	return deng_reload(eng, n, NULL, rp);
}

static void
dsnap_clear(struct dsnap *snap)
{
	uint32_t i;

	for (i = 0; i < snap->nhosts; i++) {
		free((char *)snap->hosts[i].name);
		free((char *)snap->hosts[i].message);
		free((char *)snap->hosts[i].task_id);
		free((char *)snap->hosts[i].worker);
		free((char *)snap->hosts[i].worker_instance);
	}
	for (i = 0; i < snap->nlog; i++) {
		free((char *)snap->log[i].host_name);
		free((char *)snap->log[i].message);
	}
	free(snap->hosts);
	free(snap->log);
	memset(snap, 0, sizeof(*snap));
}

static char *
deng_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static int
deng_snap_host(const struct pogo_store_host *h, void *arg)
{
	struct dsnap *snap = arg;
	struct pogo_store_host *c;

	if ((snap->nhosts & (snap->nhosts - 1)) == 0)
		snap->hosts = xreallocarray(snap->hosts,
		    snap->nhosts ? (size_t)snap->nhosts * 2 : 1,
		    sizeof(*snap->hosts));
	c = &snap->hosts[snap->nhosts++];
	*c = *h;
	c->name = deng_strdup(h->name);
	c->message = deng_strdup(h->message);
	c->task_id = deng_strdup(h->task_id);
	c->worker = deng_strdup(h->worker);
	c->worker_instance = deng_strdup(h->worker_instance);
	snap->next_host = h->idx + 1;
	return 0;
}

static int
deng_snap_entry(const struct pogo_store_entry *e, void *arg)
{
	struct dsnap *snap = arg;
	struct pogo_store_entry *c;

	if ((snap->nlog & (snap->nlog - 1)) == 0)
		snap->log = xreallocarray(snap->log,
		    snap->nlog ? (size_t)snap->nlog * 2 : 1,
		    sizeof(*snap->log));
	c = &snap->log[snap->nlog++];
	*c = *e;
	c->host_name = deng_strdup(e->host_name);
	c->message = deng_strdup(e->message);
	snap->next_entry = e->index + 1;
	return 0;
}

/*
 * Read the next page of job n's rows into snap: hosts, then log entries,
 * at most DENG_LOAD_ROWS.  Returns 0 (snap->log_done: all read) or the
 * store's error.
 */
static int
deng_snap_page(struct deng *eng, uint64_t n, struct dsnap *snap)
{
	uint32_t before;
	int r;

	if (!snap->hosts_done) {
		before = snap->nhosts;
		r = pogo_store_hosts(eng->st, n, snap->next_host,
		    DENG_LOAD_ROWS, deng_snap_host, snap);
		snap->hosts_done = snap->nhosts - before < DENG_LOAD_ROWS;
		return r;
	}
	before = snap->nlog;
	r = pogo_store_log(eng->st, n, snap->next_entry, DENG_LOAD_ROWS,
	    deng_snap_entry, snap);
	snap->log_done = snap->nlog - before < DENG_LOAD_ROWS;
	return r;
}

static struct dload *
deng_loading(struct deng *eng, uint64_t n)
{
	struct dload *ld;

	for (ld = eng->loading; ld != NULL; ld = ld->next)
		if (ld->n == n)
			return ld;
	return NULL;
}

static void deng_load_step(struct pogo_store *st, int status, void *arg);

/*
 * The next page of a reload, a loop turn after the last (an after-commit
 * callback is always later than its call); the last one builds the job
 * from them, starts it and tells the waiters in the same turn.
 */
static void
deng_load_step(struct pogo_store *st, int status, void *arg)
{
	struct dload *ld = arg, **pp;
	struct deng *eng = ld->eng;
	int r = status != 0 ? POGO_ERR_STORE : 0;
	unsigned i;

	if (eng == NULL) {
		/* The engine stopped meanwhile: nobody waits. */
		dsnap_clear(&ld->snap);
		free(ld);
		return;
	}
	if (r == 0 && (r = deng_snap_page(eng, ld->n, &ld->snap)) != 0)
		r = POGO_ERR_STORE;
	if (r == 0 && !ld->snap.log_done) {
		pogo_store_after_commit(eng->st, deng_load_step, ld);
		return;
	}
	for (pp = &eng->loading; *pp != ld; pp = &(*pp)->next)
		;
	*pp = ld->next;
	eng->nloading--;
	/* Its record is read now: an alter meanwhile is in it. */
	if (r == 0 && deng_find_n(eng, ld->n) == NULL &&
	    (r = deng_reloadable(eng, ld->n)) == 0)
		(void)deng_reload(eng, ld->n, &ld->snap, &r);
	dsnap_clear(&ld->snap);
	for (i = 0; i < ld->nwaiters; i++)
		ld->waiters[i].cb(ld->waiters[i].cookie, r);
	free(ld);
}

/* pogo_dispatcher_engine.load (dispatcher.h). */
static int
deng_load_op(struct pogo_dispatcher *d, uint64_t n,
    void (*cb)(void *cookie, int status), void *cookie, void *arg)
{
	struct deng *eng = arg;
	struct dload *ld;

	if (deng_find_n(eng, n) != NULL || deng_reloadable(eng, n) != 0)
		return 0;
	if ((ld = deng_loading(eng, n)) == NULL) {
		if (eng->nloading == DENG_LOADS)
			return UV_EBUSY;
		ld = xcalloc(1, sizeof(*ld));
		ld->eng = eng;
		ld->n = n;
		ld->next = eng->loading;
		eng->loading = ld;
		eng->nloading++;
		pogo_store_after_commit(eng->st, deng_load_step, ld);
	}
	if (ld->nwaiters == DENG_LOAD_WAITERS)
		return UV_EBUSY;
	ld->waiters[ld->nwaiters].cb = cb;
	ld->waiters[ld->nwaiters].cookie = cookie;
	ld->nwaiters++;
	return UV_EAGAIN;
}

/* A job gathering its resolvers (deng_submitted()), or NULL. */
static struct dresolve *
deng_resolving(struct deng *eng, uint64_t n)
{
	struct dresolve *rs;

	for (rs = eng->resolving; rs != NULL; rs = rs->next)
		if (rs->n == n)
			return rs;
	return NULL;
}

static int
deng_halt(struct pogo_dispatcher *d, uint64_t n, const char *reason, void *arg)
{
	struct djob *dj = deng_find_n(arg, n);
	struct dresolve *rs;

	if (dj == NULL && (rs = deng_resolving(arg, n)) != NULL) {
		/* Halted now, stored (SPEC 5.3); its answers still come. */
		if (!rs->halted)
			deng_refuse(arg, n,
			    reason != NULL ? reason : "halted by user", true);
		rs->halted = true;
		return 0;
	}
	if (dj == NULL)
		return POGO_ERR_NOTFOUND;
	return pogo_job_halt(dj->job, reason);
}

static int
deng_kill(struct pogo_dispatcher *d, uint64_t n, void *arg)
{
	struct djob *dj = deng_find_n(arg, n);
	struct dresolve *rs;

	if (dj == NULL && (rs = deng_resolving(arg, n)) != NULL) {
		/* Nothing runs yet: halted now, as deng_halt(). */
		if (!rs->halted)
			deng_refuse(arg, n, "halted by user", true);
		rs->halted = true;
		return 0;
	}
	if (dj == NULL)
		return POGO_ERR_NOTFOUND;
	pogo_job_kill(dj->job);
	return 0;
}

/*
 * A resume or retry made an ended job active again: count it, and stop
 * the 60 s its secrets had left after the end (SPEC 7.4: a job without
 * job_timeout keeps them while it runs).
 */
static void
deng_reactivated(struct djob *dj)
{
	if (dj->ended && pogo_job_state(dj->job) == POGO_JOB_RUNNING) {
		dj->ended = false;
		dj->eng->nactive++;
		if (dj->rec->job_timeout == 0)
			pogo_secret_cache_expire_in(dj->eng->secrets, dj->n, 0);
	}
}

/*
 * jobresume (SPEC 5.5): new secrets replace the cached ones once the job
 * is known to be resumable; a job that needs secrets not cached is
 * refused (SPEC 7.4).
 */
static int
deng_resume(struct pogo_dispatcher *d, uint64_t n,
    const struct pogo_dispatcher_secrets *secrets, void *arg)
{
	struct djob *dj;
	int r;

	if ((dj = deng_get(arg, n, &r)) == NULL)
		return r;
	if (pogo_job_state(dj->job) != POGO_JOB_HALTED &&
	    pogo_job_state(dj->job) != POGO_JOB_DEADLOCKED)
		return POGO_ERR_STATE;
	if ((r = deng_take_secrets(dj, secrets)) != 0)
		return r;
	if ((r = pogo_job_resume(dj->job)) == 0)
		deng_reactivated(dj);
	return r;
}

static int
deng_retry(struct pogo_dispatcher *d, uint64_t n, const char *const *hosts,
    size_t nhosts, const struct pogo_dispatcher_secrets *secrets, int *results,
    void *arg)
{
	struct djob *dj;
	size_t i;
	int r;

	if ((dj = deng_get(arg, n, &r)) == NULL)
		return r;
	if (pogo_job_expired(dj->job))
		return POGO_ERR_TIMEOUT;
	/* Missing secrets as for resume (SPEC 5.5). */
	if ((r = deng_take_secrets(dj, secrets)) != 0)
		return r;
	for (i = 0; i < nhosts; i++)
		results[i] = pogo_job_retry(dj->job, hosts[i]) == 0;
	deng_reactivated(dj);
	/* Still ended, new secrets without a timer go 60 s on (SPEC 7.4). */
	if (dj->ended && dj->rec->job_timeout == 0)
		pogo_secret_cache_expire_in(dj->eng->secrets, n, 60 * 1000);
	return 0;
}

static int
deng_skip(struct pogo_dispatcher *d, uint64_t n, const char *const *hosts,
    size_t nhosts, int *results, void *arg)
{
	struct djob *dj;
	size_t i;
	int r;

	if ((dj = deng_get(arg, n, &r)) == NULL)
		return r;
	for (i = 0; i < nhosts; i++)
		results[i] = pogo_job_skip(dj->job, hosts[i]) == 0;
	return 0;
}

static int
deng_alter(struct pogo_dispatcher *d, uint64_t n, const char *attr,
    const char *value, void *arg)
{
	struct deng *eng = arg;
	struct djob *dj = deng_find_n(eng, n);
	int r;

	if (dj == NULL)
		return POGO_ERR_NOTFOUND;
	if ((r = pogo_job_alter(dj->job, attr, value)) != 0)
		return r == POGO_ERR_NOTFOUND ? UV_EINVAL : r;
	if ((r = pogo_store_job_alter(eng->st, n, attr, value)) != 0)
		log_error("job %s: cannot store %s: %s", dj->id, attr,
		    pogo_strerror(r));
	return 0;
}

/* A group of GET /v1/namespaces/:ns/locks being gathered. */
struct deng_lock {
	const char *group; /* borrowed from a schedule */
	uint32_t limit;
	int used;
	struct pogo_json *holders; /* its array in the answer */
};

static int
deng_lock_cmp(const void *a, const void *b)
{
	return strcmp((*(struct deng_lock *const *)a)->group,
	    (*(struct deng_lock *const *)b)->group);
}

/* Does dj share the counters of namespace ns? */
static bool
deng_in_scope(const struct djob *dj, const char *ns)
{
	return dj->rec->namespace != NULL &&
	    strcmp(dj->rec->namespace, ns) == 0 &&
	    dj->rec->concurrent == NULL && pogo_job_sched(dj->job) != NULL;
}

/*
 * The counters of namespace ns (SPEC 3.5): every group of the jobs that
 * share its registry, with the smallest limit among them (each job
 * checks its own), the shared `used`, and the hosts holding units.  A
 * job with `concurrent` has counters of its own, outside the scope.
 */
static void
deng_locks(struct pogo_dispatcher *d, const char *ns, struct pogo_json *locks,
    void *arg)
{
	struct deng *eng = arg;
	struct pogo_strtab *names = pogo_strtab_new();
	struct deng_lock *lk = NULL, **order = NULL;
	struct pogo_json *o, *h;
	const struct pogo_sched *s;
	const uint32_t *groups;
	const char *name;
	struct djob *dj;
	size_t nlk = 0, ng, i;
	uint32_t g, t, id;
	bool added;

	for (dj = eng->jobs; dj != NULL; dj = dj->next) {
		if (!deng_in_scope(dj, ns))
			continue;
		s = pogo_job_sched(dj->job);
		for (g = 0; g < pogo_sched_ngroups(s); g++) {
			name = pogo_sched_group_name(s, g);
			id = pogo_strtab_intern(
			    names, name, strlen(name), &added);
			if (added) {
				lk = xreallocarray(lk, nlk + 1, sizeof(*lk));
				lk[nlk].group = name;
				lk[nlk].limit = pogo_sched_group_limit(s, g);
				lk[nlk].holders = NULL;
				nlk++;
			}
			if (pogo_sched_group_limit(s, g) < lk[id].limit)
				lk[id].limit = pogo_sched_group_limit(s, g);
			lk[id].used = pogo_sched_group_used(s, g);
		}
	}
	order = xcalloc(nlk + 1, sizeof(*order));
	for (i = 0; i < nlk; i++)
		order[i] = &lk[i];
	qsort(order, nlk, sizeof(*order), deng_lock_cmp);
	for (i = 0; i < nlk; i++) {
		o = pogo_json_add_object(locks, NULL);
		pogo_json_add_string(o, "group", order[i]->group);
		pogo_json_add_number(o, "limit", (double)order[i]->limit);
		pogo_json_add_number(o, "used", (double)order[i]->used);
		order[i]->holders = pogo_json_add_array(o, "holders");
	}
	for (dj = eng->jobs; dj != NULL; dj = dj->next) {
		if (!deng_in_scope(dj, ns))
			continue;
		s = pogo_job_sched(dj->job);
		for (t = 0; t < pogo_sched_ntasks(s); t++) {
			if (!pogo_sched_task_holds_units(s, t))
				continue;
			groups = pogo_sched_task_groups(s, t, &ng);
			for (i = 0; i < ng; i++) {
				name = pogo_sched_group_name(s, groups[i]);
				id =
				    pogo_strtab_find(names, name, strlen(name));
				h = pogo_json_add_object(lk[id].holders, NULL);
				pogo_json_add_string(h, "jobid", dj->id);
				pogo_json_add_string(
				    h, "host", pogo_sched_task_host(s, t));
			}
		}
	}
	free(order);
	free(lk);
	pogo_strtab_free(names);
}

/*
 * The hosts of a job in memory (GET /v1/jobs/:jobid/schedule), copied
 * in job order: the names the job was built with, the states its
 * scheduler holds.  A job that ended may still be held until its last
 * entries are committed; one reloaded for an operation is held again.
 */
static int
deng_hosts(struct pogo_dispatcher *d, uint64_t n, struct pogo_strv *hosts,
    uint8_t **states, void *arg)
{
	struct djob *dj = deng_find_n(arg, n);
	enum pogo_host_state hs;
	uint32_t i, count;
	const char *name;
	int exitstatus;

	if (dj == NULL || dj->job == NULL)
		return POGO_ERR_NOTFOUND;
	count = pogo_strtab_count(dj->names);
	*states = xcalloc((size_t)count + 1, 1);
	for (i = 0; i < count; i++) {
		name = pogo_strtab_get(dj->names, i);
		pogo_strv_push(hosts, name);
		if (pogo_job_host(dj->job, name, &hs, &exitstatus) == 0)
			(*states)[i] = (uint8_t)hs;
	}
	return 0;
}

static const struct pogo_dispatcher_engine deng_table = { deng_submitted,
	deng_stop, deng_jobs_active, deng_halt, deng_kill, deng_resume,
	deng_retry, deng_skip, deng_alter, deng_locks, deng_hosts,
	deng_load_op };

struct pogo_exec *
pogo_dispatcher_engine_start(
    struct pogo_dispatcher *d, uv_loop_t *loop, const struct pogo_cfg *cfg)
{
	struct pogo_exec_remote_opts o;
	struct deng *eng = xcalloc(1, sizeof(*eng));

	eng->d = d;
	eng->loop = loop;
	eng->st = pogo_dispatcher_store(d);
	eng->clock = pogo_clock_uv_new(loop);
	eng->secrets = pogo_secret_cache_new(eng->clock);
	memset(&o, 0, sizeof(o));
	o.barrier = deng_barrier;
	o.assign = deng_assign;
	o.secrets = deng_secrets;
	o.kick = deng_kick;
	o.arg = eng;
	o.grace_ms = (uint64_t)cfg->dispatcher.lost_worker_grace * 1000;
	eng->halt_earlier = cfg->halt_earlier_jobs;
	eng->exec = pogo_exec_remote_new(loop, &o);
	pogo_dispatcher_set_engine(d, &deng_table, eng);
	deng_restore(eng);
	return eng->exec;
}
