/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The remote executor (exec-remote.h): tasks run on the workers of the
 * dispatcher's worker port.
 *
 * Lifetimes.  A worker record (struct rworker) lives while its connection
 * lives, while a task points to it and while an acknowledgement of it
 * waits for the store (refs).  A task record (struct rtask) lives while
 * the task is in flight and while its `run` waits for the store.  The
 * executor is freed once it is closed, no barrier callback is pending
 * and the worker layer detached it (it forwards peer events until its
 * own stop, after the engine's).
 */
#include "pogo/compat.h"

#include <string.h>

#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/exec-remote.h"
#include "pogo/log.h"
#include "pogo/peer.h"
#include "pogo/proto.h"
#include "pogo/xmalloc.h"

struct remote;

struct rworker {
	struct remote *e;
	struct pogo_peer_worker *w; /* NULL once lost */
	char *name;
	char *instance;
	unsigned max_tasks;
	unsigned inflight; /* tasks given and not done */
	unsigned refs;
	bool busy;         /* answered busy; full until a task is done */
	uint64_t deadline; /* lost: end of the grace period (loop ms) */
	struct rworker *next;
};

struct rtask {
	struct pogo_exec_run run;
	struct remote *e;
	struct pogo_exec_task *t;
	struct rworker *wk;
	unsigned refs;
	bool sent;           /* the run went out */
	bool held;           /* its ready state was not stored: never sent */
	bool killed;         /* kill() was called */
	bool lost;           /* its worker is lost: in the grace period */
	bool done;           /* no event any more */
	uint64_t hash;       /* of its task id, while in e->tab */
	struct rtask *hnext; /* in its bucket of e->tab */
};

/* A command's cookie (peer.h). */
struct rcmd {
	enum pogo_msg_type type;
	char *task_id;
};

/* A barrier with no opts.barrier: the next loop turn. */
struct rturn {
	void (*go)(void *cookie, int status);
	void *cookie;
	struct rturn *next;
};

struct remote {
	struct pogo_exec base;
	uv_loop_t *loop;
	struct pogo_exec_remote_opts o;
	struct rworker *workers;
	uv_timer_t grace;
	uv_idle_t turn;
	struct rturn *turns;
	struct rturn **turns_tail;
	char *prefix;
	void (*hello_cb)(void *arg); /* pogo_exec_remote_on_hello() */
	void *hello_arg;
	/*
	 * The tasks whose run is linked (on base.runs), by task id: a report
	 * finds its task without walking every task in flight (a strcmp per
	 * task, 6 % of the dispatcher's CPU in P4).  ntab entries in tabsize
	 * buckets (a power of two, or 0).
	 */
	struct rtask **tab;
	size_t tabsize;
	size_t ntab;
	unsigned pending; /* barrier callbacks still to come */
	unsigned handles; /* open handles */
	bool attached;
	bool failed; /* a commit failed: no run, no ack goes out any more */
	bool closing;
	bool closed; /* close_cb called */
	void (*close_cb)(void *arg);
	void *close_arg;
};

static void remote_maybe_free(struct remote *e);

/* FNV-1a of a task id. */
static uint64_t
remote_hash(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Index rt, whose run was just linked (at the head of its bucket). */
static void
remote_index_add(struct remote *e, struct rtask *rt)
{
	struct rtask **tab, *n, *next;
	size_t size, i;

	if ((e->ntab + 1) * 2 > e->tabsize) {
		size = e->tabsize > 0 ? e->tabsize * 2 : 64;
		tab = xcalloc(size, sizeof(*tab));
		for (i = 0; i < e->tabsize; i++) {
			for (n = e->tab[i]; n != NULL; n = next) {
				next = n->hnext;
				n->hnext = tab[n->hash & (size - 1)];
				tab[n->hash & (size - 1)] = n;
			}
		}
		free(e->tab);
		e->tab = tab;
		e->tabsize = size;
	}
	rt->hash = remote_hash(rt->t->task_id != NULL ? rt->t->task_id : "");
	i = rt->hash & (e->tabsize - 1);
	rt->hnext = e->tab[i];
	e->tab[i] = rt;
	e->ntab++;
}

/* Unindex rt, whose run is being unlinked. */
static void
remote_index_del(struct remote *e, struct rtask *rt)
{
	struct rtask **p;

	for (p = &e->tab[rt->hash & (e->tabsize - 1)]; *p != NULL;
	     p = &(*p)->hnext) {
		if (*p == rt) {
			*p = rt->hnext;
			e->ntab--;
			return;
		}
	}
	POGO_BUG("task %s not indexed", rt->t->task_id);
}

static void
rworker_unref(struct rworker *wk)
{
	struct remote *e = wk->e;
	struct rworker **p;

	if (--wk->refs > 0)
		return;
	for (p = &e->workers; *p != NULL; p = &(*p)->next) {
		if (*p == wk) {
			*p = wk->next;
			break;
		}
	}
	free(wk->name);
	free(wk->instance);
	free(wk);
}

static void
rtask_unref(struct rtask *rt)
{
	if (--rt->refs > 0)
		return;
	rworker_unref(rt->wk);
	free(rt);
}

static void
remote_turn_cb(uv_idle_t *h)
{
	struct remote *e = h->data;
	struct rturn *list = e->turns, *n;

	e->turns = NULL;
	e->turns_tail = &e->turns;
	uv_idle_stop(&e->turn);
	while ((n = list) != NULL) {
		list = n->next;
		n->go(n->cookie, 0);
		free(n);
	}
}

/* Call go(cookie) once the engine's changes so far are durable. */
static void
remote_barrier(
    struct remote *e, void (*go)(void *cookie, int status), void *cookie)
{
	struct rturn *n;

	e->pending++;
	if (e->o.barrier != NULL) {
		e->o.barrier(go, cookie, e->o.arg);
		return;
	}
	n = xcalloc(1, sizeof(*n));
	n->go = go;
	n->cookie = cookie;
	*e->turns_tail = n;
	e->turns_tail = &n->next;
	uv_idle_start(&e->turn, remote_turn_cb);
}

static void
remote_barrier_done(struct remote *e)
{
	e->pending--;
	remote_maybe_free(e);
}

/* The task's end: its done event (or give it back unstarted). */
static void
rtask_finish(struct rtask *rt, struct pogo_exec_result *r)
{
	struct remote *e = rt->e;

	rt->done = true;
	rt->t->priv = NULL;
	rt->wk->inflight--;
	remote_index_del(e, rt);
	if (rt->wk->busy && !r->requeue) {
		rt->wk->busy = false;
		if (e->o.kick != NULL && rt->wk->w != NULL)
			e->o.kick(e->o.arg);
	}
	pogo_exec_run_done(&e->base, &rt->run, r);
	rtask_unref(rt);
}

/*
 * A task of a lost worker keeps one unit of the executor's max_tasks
 * while it waits for the grace rule, as its worker's max_tasks left with
 * the connection: inflight - max_tasks stays the room of the connected
 * workers (SPEC 7.2: the engine dispatches while inflight < max_tasks).
 */
static void
rtask_lose(struct rtask *rt)
{
	rt->lost = true;
	rt->e->base.max_tasks++;
}

static void
rtask_unlose(struct rtask *rt)
{
	if (!rt->lost)
		return;
	rt->lost = false;
	rt->e->base.max_tasks--;
}

static void
rtask_requeue(struct rtask *rt)
{
	struct pogo_exec_result r;

	memset(&r, 0, sizeof(r));
	r.requeue = true;
	r.exitstatus = -1;
	rtask_finish(rt, &r);
}

static void
rtask_fail(struct rtask *rt, const char *msg)
{
	struct pogo_exec_result r;

	memset(&r, 0, sizeof(r));
	pogo_exec_result_set(&r, POGO_EXEC_FAILED, -1, "%s", msg);
	rtask_finish(rt, &r);
}

/* The task of task_id whose run is linked (the newest), or NULL. */
static struct rtask *
remote_find(struct remote *e, const char *task_id)
{
	struct rtask *rt;
	uint64_t h;

	if (task_id == NULL || e->ntab == 0)
		return NULL;
	h = remote_hash(task_id);
	for (rt = e->tab[h & (e->tabsize - 1)]; rt != NULL; rt = rt->hnext) {
		if (rt->hash == h && rt->t->task_id != NULL &&
		    strcmp(rt->t->task_id, task_id) == 0)
			return rt;
	}
	return NULL;
}

/* Does worker wk hold the key of secrets s (NULL: none needed)? */
static bool
remote_key_ok(const struct rworker *wk, const struct pogo_dispatcher_secrets *s)
{
	const char *kid;

	if (s == NULL || s->key_id == NULL)
		return true;
	kid = wk->w != NULL ? pogo_peer_worker_key_id(wk->w) : NULL;
	return kid != NULL && strcmp(kid, s->key_id) == 0;
}

/* The secrets of t's job (opts.secrets): 0 and *sp, or an error. */
static int
remote_secrets(struct remote *e, const struct pogo_exec_task *t,
    const struct pogo_dispatcher_secrets **sp)
{
	*sp = NULL;
	if (e->o.secrets == NULL)
		return 0;
	return e->o.secrets(t, sp, e->o.arg);
}

/* A command to wk; a run carries the secret boxes sec (or NULL). */
static void
remote_command(struct rworker *wk, enum pogo_msg_type type, struct rtask *rt,
    const struct pogo_dispatcher_secrets *sec)
{
	const struct pogo_exec_task *t = rt->t;
	const struct pogo_exec_stub *s = t->stub;
	struct pogo_msg m;
	struct rcmd *c;

	pogo_proto_msg_init(&m, type);
	m.task_id = (char *)t->task_id;
	if (type == POGO_MSG_RUN) {
		m.host = (char *)t->host;
		m.task.task_name =
		    (char *)(t->task_name != NULL ? t->task_name : "ssh");
		m.task.command = (char *)t->command;
		m.task.job_id = (char *)t->job_id;
		m.task.user = (char *)t->user;
		m.task.ssh_user = (char *)t->ssh_user;
		if (t->ssh_port != 0)
			m.task.ssh_port = (int)t->ssh_port;
		if (t->connect_timeout != 0)
			m.task.connect_timeout = (int)t->connect_timeout;
		m.task.run_as = (char *)t->run_as;
		m.task.timeout = t->timeout;
		if (s != NULL) {
			m.task.retry = (int)s->retry;
			m.task.prehook = s->prehook;
			m.task.posthook = s->posthook;
			m.task.lock = s->lock;
			m.task.exe_name = (char *)s->exe_name;
			/* As submitted and stored: base64 (SPEC 5.1, 8.3). */
			m.task.exe_data = (char *)s->exe_data;
		}
		/* The boxes as the client sent them (SPEC 8.3, 10.3). */
		if (sec != NULL) {
			m.task.password = (char *)sec->password;
			m.task.client_private_key =
			    (char *)sec->client_private_key;
			m.task.pvt_key_passphrase =
			    (char *)sec->pvt_key_passphrase;
		}
	}
	c = xcalloc(1, sizeof(*c));
	c->type = type;
	c->task_id = xstrdup(t->task_id);
	pogo_peer_worker_command(wk->w, &m, c);
}

/*
 * A barrier's commit status.  After a failed commit the store no longer
 * matches the engine's memory (store.h): nothing that needs a commit
 * goes out any more (SPEC 6.3), until the close.
 */
static void
remote_commit_status(struct remote *e, int status)
{
	if (status == 0 || e->failed)
		return;
	e->failed = true;
	log_error("the store failed to commit (%s): no run and no "
	          "acknowledgement goes out any more",
	    pogo_strerror(status));
}

/* The barrier of a start: the task's ready state is committed. */
static void
remote_send_cb(void *cookie, int status)
{
	struct rtask *rt = cookie;
	struct remote *e = rt->e;
	const struct pogo_dispatcher_secrets *s = NULL;

	remote_commit_status(e, status);
	if (!rt->done && e->failed) {
		/*
		 * SPEC 6.3: its ready state is not stored, so its run does
		 * not leave.  It stays in flight, unsent, until the close:
		 * the dispatcher stops and its next start dispatches the
		 * host from the store.
		 */
		rt->held = true;
		log_error("task %s: not sent: its state could not be stored",
		    rt->t->task_id);
	} else if (!rt->done) {
		if (rt->killed)
			rtask_fail(rt, "killed");
		else if (rt->wk->w == NULL)
			rtask_requeue(rt); /* lost before it was sent */
		else if (remote_secrets(e, rt->t, &s) != 0 ||
		    !remote_key_ok(rt->wk, s))
			rtask_requeue(rt); /* its secrets went meanwhile */
		else {
			rt->sent = true;
			remote_command(rt->wk, POGO_MSG_RUN, rt, s);
		}
	}
	rtask_unref(rt);
	remote_barrier_done(e);
}

static int
remote_start(struct pogo_exec *base, struct pogo_exec_task *t)
{
	struct remote *e = (struct remote *)base;
	const struct pogo_dispatcher_secrets *s;
	struct rworker *wk, *pick = NULL;
	struct rtask *rt;
	uint32_t n = 0, v, other = 0;
	int r;

	if (e->closing)
		return UV_ECANCELED;
	if ((r = remote_secrets(e, t, &s)) != 0)
		return r;
	/*
	 * A random worker with free capacity and, for a job with secrets,
	 * their key (SPEC 7.2).
	 */
	for (wk = e->workers; wk != NULL; wk = wk->next) {
		if (wk->w == NULL || wk->busy || wk->inflight >= wk->max_tasks)
			continue;
		if (!remote_key_ok(wk, s)) {
			other++;
			continue;
		}
		n++;
		if (uv_random(NULL, NULL, &v, sizeof(v), 0, NULL) != 0)
			v = 0;
		if (v % n == 0)
			pick = wk;
	}
	if (pick == NULL)
		return other > 0 ? POGO_ERR_NOWORKER : UV_EBUSY;
	if (e->o.assign != NULL)
		e->o.assign(t, pick->name, pick->instance, e->o.arg);
	rt = xcalloc(1, sizeof(*rt));
	rt->e = e;
	rt->t = t;
	rt->wk = pick;
	rt->refs = 2; /* in flight, and the barrier */
	pick->refs++;
	pick->inflight++;
	t->priv = rt;
	pogo_exec_run_add(&e->base, &rt->run, t);
	remote_index_add(e, rt);
	remote_barrier(e, remote_send_cb, rt);
	return 0;
}

static void
remote_kill(struct pogo_exec *base, struct pogo_exec_task *t)
{
	struct rtask *rt = t->priv;

	if (rt == NULL || rt->done || rt->killed)
		return;
	rt->killed = true;
	if (rt->sent && rt->wk->w != NULL)
		remote_command(rt->wk, POGO_MSG_TASKKILL, rt, NULL);
	/* Unsent: the send's barrier ends it.  Lost: the grace rule. */
}

static int
remote_withdraw(struct pogo_exec *base, struct pogo_exec_task *t)
{
	struct remote *e = (struct remote *)base;
	struct rtask *rt = remote_find(e, t->task_id);

	if (rt == NULL || rt->t != t || rt->done)
		return POGO_ERR_NOTFOUND;
	if (rt->sent || rt->killed)
		return POGO_ERR_STATE;
	rt->done = true;
	rt->t->priv = NULL;
	rt->wk->inflight--;
	remote_index_del(e, rt);
	pogo_exec_run_drop(&e->base, &rt->run);
	rtask_unref(rt);
	return 0;
}

static void
remote_handle_closed(uv_handle_t *h)
{
	struct remote *e = h->data;

	e->handles--;
	remote_maybe_free(e);
}

static void
remote_maybe_free(struct remote *e)
{
	void (*cb)(void *arg);
	void *arg;

	if (!e->closing || e->pending > 0 || e->handles > 0)
		return;
	if (!e->closed) {
		e->closed = true;
		cb = e->close_cb;
		arg = e->close_arg;
		if (cb != NULL)
			cb(arg);
	}
	if (!e->attached) {
		free(e->tab);
		free(e->prefix);
		free(e);
	}
}

static void
remote_close(struct pogo_exec *base, void (*cb)(void *arg), void *arg)
{
	struct remote *e = (struct remote *)base;
	struct pogo_exec_run *run;
	struct rtask *rt;

	e->closing = true;
	e->close_cb = cb;
	e->close_arg = arg;
	/*
	 * Tasks still in flight are dropped without events, started or not:
	 * the workers keep running them and their reports (SPEC 6.4).
	 */
	while ((run = e->base.runs) != NULL) {
		rt = container_of(run, struct rtask, run);
		rtask_unlose(rt);
		rt->done = true;
		rt->t->priv = NULL;
		rt->wk->inflight--;
		remote_index_del(e, rt);
		pogo_exec_run_abandon(&e->base, run);
		rtask_unref(rt);
	}
	uv_close((uv_handle_t *)&e->grace, remote_handle_closed);
	uv_close((uv_handle_t *)&e->turn, remote_handle_closed);
	/* The turn's barriers still come: run them now, they see done. */
	remote_turn_cb(&e->turn);
}

static int remote_adopt(struct pogo_exec *base, struct pogo_exec_task *t,
    const char *worker, const char *instance, double started_at,
    uint64_t records);

static const struct pogo_exec_ops remote_ops = {
	.start = remote_start,
	.kill = remote_kill,
	.close = remote_close,
	.pause = NULL,
	.taskstatus = pogo_exec_taskstatus,
	.withdraw = remote_withdraw,
	.adopt = remote_adopt,
};

struct pogo_exec *
pogo_exec_remote_new(uv_loop_t *loop, const struct pogo_exec_remote_opts *opts)
{
	struct remote *e = xcalloc(1, sizeof(*e));

	e->base.ops = &remote_ops;
	e->loop = loop;
	e->o = *opts;
	e->turns_tail = &e->turns;
	uv_timer_init(loop, &e->grace);
	uv_idle_init(loop, &e->turn);
	e->grace.data = e;
	e->turn.data = e;
	e->handles = 2;
	return &e->base;
}

void
pogo_exec_remote_set_prefix(struct pogo_exec *base, const char *addr)
{
	struct remote *e = (struct remote *)base;

	free(e->prefix);
	xasprintf(&e->prefix, "%s-", addr);
}

const char *
pogo_exec_remote_prefix(const struct pogo_exec *base)
{
	const struct remote *e = (const struct remote *)base;

	return e->prefix != NULL ? e->prefix : "remote-";
}

void
pogo_exec_remote_attach(struct pogo_exec *base)
{
	((struct remote *)base)->attached = true;
}

void
pogo_exec_remote_detach(struct pogo_exec *base)
{
	struct remote *e = (struct remote *)base;

	e->attached = false;
	remote_maybe_free(e);
}

/* Fail the tasks of lost worker wk still in flight (SPEC 7.3). */
static void
remote_fail_lost(struct remote *e, struct rworker *wk)
{
	struct pogo_exec_run *run;
	struct rtask *rt;
	bool again = true;

	wk->refs++;
	while (again) {
		again = false;
		for (run = e->base.runs; run != NULL; run = run->next) {
			rt = container_of(run, struct rtask, run);
			if (rt->wk == wk && rt->lost && !rt->done) {
				rtask_unlose(rt);
				rtask_fail(rt, "lost contact with worker");
				again = true; /* the list changed */
				break;
			}
		}
	}
	rworker_unref(wk);
}

static void remote_grace_cb(uv_timer_t *h);

static void
remote_grace_arm(struct remote *e)
{
	struct rworker *wk;
	uint64_t now = uv_now(e->loop), next = 0;

	for (wk = e->workers; wk != NULL; wk = wk->next) {
		if (wk->w == NULL && wk->deadline != 0 &&
		    (next == 0 || wk->deadline < next))
			next = wk->deadline;
	}
	if (next != 0)
		uv_timer_start(
		    &e->grace, remote_grace_cb, next > now ? next - now : 0, 0);
}

static void
remote_grace_cb(uv_timer_t *h)
{
	struct remote *e = h->data;
	struct rworker *wk;
	uint64_t now = uv_now(e->loop);

again:
	for (wk = e->workers; wk != NULL; wk = wk->next) {
		if (wk->w == NULL && wk->deadline != 0 && wk->deadline <= now) {
			wk->deadline = 0;
			log_info("worker %s: lost, its grace period ended",
			    wk->name);
			remote_fail_lost(e, wk);
			goto again; /* the list may have changed */
		}
	}
	remote_grace_arm(e);
}

/*
 * The connection of wk is gone (or given up): its unsent runs go back to
 * the queue, the others wait for the grace rule (SPEC 7.3).  wk keeps the
 * connection's reference; the caller drops it.
 */
static void
remote_disconnect(struct remote *e, struct rworker *wk)
{
	struct pogo_exec_run *run;
	struct rtask *rt;
	bool again = true;

	wk->w = NULL;
	e->base.max_tasks -= wk->max_tasks;
	if (e->closing)
		return;
	wk->refs++;
	while (again) {
		again = false;
		for (run = e->base.runs; run != NULL; run = run->next) {
			rt = container_of(run, struct rtask, run);
			if (rt->wk != wk || rt->done || rt->lost || rt->held)
				continue;
			if (rt->sent) {
				rtask_lose(rt);
				continue;
			}
			if (rt->killed)
				continue; /* its barrier ends it */
			rtask_requeue(rt);
			again = true;
			break;
		}
	}
	if (e->o.grace_ms > 0) {
		wk->deadline = uv_now(e->loop) + e->o.grace_ms;
		remote_grace_arm(e);
	} else
		remote_fail_lost(e, wk);
	rworker_unref(wk);
}

/*
 * The tasks of worker record old still in flight go to wk, the same
 * worker's new connection: those whose run went out are asked taskstatus
 * there (and taskkill if a kill was asked for meanwhile, SPEC 8.3); the
 * others' barrier sends their run on it.
 */
static void
remote_move_tasks(struct remote *e, struct rworker *old, struct rworker *wk)
{
	struct pogo_exec_run *run;
	struct rtask *rt;

	for (run = e->base.runs; run != NULL; run = run->next) {
		rt = container_of(run, struct rtask, run);
		if (rt->wk != old || rt->done)
			continue;
		rtask_unlose(rt);
		old->inflight--;
		wk->inflight++;
		wk->refs++;
		rt->wk = wk;
		rworker_unref(old); /* the caller holds another reference */
		if (!rt->sent)
			continue;
		remote_command(wk, POGO_MSG_TASKSTATUS, rt, NULL);
		if (rt->killed)
			remote_command(wk, POGO_MSG_TASKKILL, rt, NULL);
	}
}

/*
 * A worker of the same name and instance said hello again while its old
 * connection still looks alive: that one is half-open (a worker keeps one
 * connection per dispatcher).  It is dropped now, so that its tasks move
 * to the new connection and the reports the worker sends again on it
 * are applied.
 */
static void
remote_drop_stale(struct remote *e, struct rworker *wk)
{
	struct pogo_peer_worker *w;
	struct rworker *old;

again:
	for (old = e->workers; old != NULL; old = old->next) {
		if (old == wk || old->w == NULL ||
		    strcmp(old->name, wk->name) != 0 ||
		    strcmp(old->instance, wk->instance) != 0)
			continue;
		w = old->w;
		log_warn("worker %s at %s: connected again from %s; closing "
		         "the old connection",
		    old->name, pogo_peer_worker_address(w),
		    pogo_peer_worker_address(wk->w));
		/* Its lost event finds no worker: its commands are released. */
		pogo_peer_worker_set_data(w, NULL);
		pogo_peer_worker_close(w, POGO_ERR_STATE);
		/*
		 * Its tasks move to the new connection now, whatever the
		 * grace period (0 would fail them at once): the worker still
		 * runs them.
		 */
		remote_move_tasks(e, old, wk);
		remote_disconnect(e, old);
		rworker_unref(old); /* the connection's */
		goto again;         /* the list may have changed */
	}
}

/*
 * A task the dispatcher's earlier life had sent (SPEC 6.4): it is in
 * flight on its worker as the task of a lost worker is, and the lost
 * worker's rule resolves it (SPEC 7.3), the grace period starting now.
 * Its worker connected already with that instance: asked taskstatus at
 * once.  With another instance: lost, at the next loop turn.
 */
static int
remote_adopt(struct pogo_exec *base, struct pogo_exec_task *t,
    const char *worker, const char *instance, double started_at,
    uint64_t records)
{
	struct remote *e = (struct remote *)base;
	struct rworker *wk, *live = NULL, *lost = NULL;
	struct rtask *rt;
	uint64_t now;

	if (e->closing)
		return UV_ECANCELED;
	for (wk = e->workers; wk != NULL; wk = wk->next) {
		if (strcmp(wk->name, worker) != 0)
			continue;
		if (wk->w != NULL)
			live = wk;
		else if (wk->deadline != 0 &&
		    strcmp(wk->instance, instance) == 0)
			lost = wk;
	}
	rt = xcalloc(1, sizeof(*rt));
	rt->e = e;
	rt->t = t;
	rt->refs = 1;
	rt->sent = true;
	if (live != NULL && strcmp(live->instance, instance) == 0)
		wk = live;
	else if ((wk = lost) == NULL) {
		/* A lost worker record, as pogo_exec_remote_lost() leaves. */
		wk = xcalloc(1, sizeof(*wk));
		wk->e = e;
		wk->name = xstrdup(worker);
		wk->instance = xstrdup(instance);
		uv_update_time(e->loop);
		now = uv_now(e->loop);
		wk->deadline = (live != NULL ? now : now + e->o.grace_ms) + 1;
		wk->next = e->workers;
		e->workers = wk;
	}
	rt->wk = wk;
	if (wk->w == NULL)
		rtask_lose(rt);
	wk->refs++;
	wk->inflight++;
	t->priv = rt;
	pogo_exec_run_adopt(&e->base, &rt->run, t, started_at, records);
	remote_index_add(e, rt);
	if (wk->w != NULL)
		remote_command(wk, POGO_MSG_TASKSTATUS, rt, NULL);
	else
		remote_grace_arm(e);
	return 0;
}

void
pogo_exec_remote_up(struct pogo_exec *base, struct pogo_peer_worker *w)
{
	struct remote *e = (struct remote *)base;
	struct pogo_exec_run *run;
	struct rworker *wk, *old;
	struct rtask *rt;
	int max;

	if (e->closing)
		return;
	wk = xcalloc(1, sizeof(*wk));
	wk->e = e;
	wk->w = w;
	wk->name = xstrdup(pogo_peer_worker_name(w));
	wk->instance = xstrdup(pogo_peer_worker_instance(w));
	max = pogo_peer_worker_max_tasks(w);
	wk->max_tasks = max > 0 ? (unsigned)max : 0;
	wk->refs = 1;
	wk->next = e->workers;
	e->workers = wk;
	pogo_peer_worker_set_data(w, wk);
	e->base.max_tasks += wk->max_tasks;
	remote_drop_stale(e, wk);
	/*
	 * The same worker back within its grace period (SPEC 7.3)?  Every
	 * lost record of its name is resolved (tasks adopted from two of its
	 * instances leave two): those of its instance move to it, the
	 * others' tasks are lost.
	 */
again:
	for (old = e->workers; old != NULL; old = old->next) {
		if (old->w != NULL || old->deadline == 0 ||
		    strcmp(old->name, wk->name) != 0)
			continue;
		old->deadline = 0;
		if (strcmp(old->instance, wk->instance) != 0) {
			log_info("worker %s: restarted: its tasks are lost",
			    wk->name);
			remote_fail_lost(e, old);
			goto again; /* the list may have changed */
		}
		old->refs++;
		for (run = e->base.runs; run != NULL; run = run->next) {
			rt = container_of(run, struct rtask, run);
			if (rt->wk != old || !rt->lost || rt->done)
				continue;
			rtask_unlose(rt);
			old->inflight--;
			wk->inflight++;
			wk->refs++;
			rt->wk = wk;
			rworker_unref(old);
			remote_command(wk, POGO_MSG_TASKSTATUS, rt, NULL);
			/* A kill asked for while it was lost (SPEC 8.3). */
			if (rt->killed)
				remote_command(wk, POGO_MSG_TASKKILL, rt, NULL);
		}
		rworker_unref(old);
		goto again; /* old may be gone */
	}
	remote_grace_arm(e);
	if (e->o.kick != NULL)
		e->o.kick(e->o.arg);
	if (e->hello_cb != NULL && !e->closing)
		e->hello_cb(e->hello_arg);
}

void
pogo_exec_remote_on_hello(
    struct pogo_exec *base, void (*cb)(void *arg), void *arg)
{
	struct remote *e = (struct remote *)base;

	e->hello_cb = cb;
	e->hello_arg = arg;
}

void
pogo_exec_remote_lost(
    struct pogo_exec *base, struct pogo_peer_worker *w, int status)
{
	struct remote *e = (struct remote *)base;
	struct rworker *wk = pogo_peer_worker_data(w);
	void *c;

	while ((c = pogo_peer_worker_take(w)) != NULL)
		pogo_exec_remote_release(c);
	if (wk == NULL)
		return;
	pogo_peer_worker_set_data(w, NULL);
	remote_disconnect(e, wk);
	rworker_unref(wk); /* the connection's */
	if (e->closing)
		remote_maybe_free(e);
}

/* The barrier of a report: acknowledge it. */
static void
remote_ack_cb(void *cookie, int status)
{
	struct rworker *wk = cookie;
	struct remote *e = wk->e;

	remote_commit_status(e, status);
	/* Not stored, not acknowledged: the worker sends it again. */
	if (wk->w != NULL && !e->failed)
		pogo_peer_worker_ack(wk->w);
	rworker_unref(wk);
	remote_barrier_done(e);
}

void
pogo_exec_remote_report(
    struct pogo_exec *base, struct pogo_peer_worker *w, struct pogo_msg *m)
{
	struct remote *e = (struct remote *)base;
	struct rworker *wk = pogo_peer_worker_data(w);
	struct pogo_exec_result r;
	struct rtask *rt;
	char lost[80];
	size_t i;

	/*
	 * Closing: not acknowledged, so the worker keeps the report for the
	 * next start (nothing here can store it any more).
	 */
	if (wk == NULL || e->closing)
		return;
	rt = remote_find(e, m->task_id);
	if (rt != NULL && (rt->wk != wk || rt->done || !rt->sent))
		rt = NULL;
	switch (m->type) {
	case POGO_MSG_TASK_STARTED:
		if (rt != NULL && !rt->run.started)
			pogo_exec_run_started(&e->base, &rt->run);
		break;
	case POGO_MSG_TASK_OUTPUT:
		for (i = 0; rt != NULL && !rt->done && i < m->nrecords; i++)
			pogo_exec_run_output(&e->base, &rt->run,
			    m->records[i].type, m->records[i].data,
			    m->records[i].len, m->records[i].eol);
		return; /* never acknowledged */
	case POGO_MSG_TASK_DONE:
		if (rt == NULL)
			break;
		/*
		 * A task_done with its start (started_at) whose task_started
		 * never came stands for both (SPEC 8.4): the start first, in
		 * the same transaction.
		 */
		if (!rt->run.started && m->started_at >= 0)
			pogo_exec_run_started(&e->base, &rt->run);
		/*
		 * SPEC 8.3: records the worker dropped (9.9) or the link
		 * lost are noted before the final record.  An adopted
		 * run's count includes what was stored before the
		 * dispatcher's restart (remote_adopt).
		 */
		if (m->nrecords_total > rt->run.records) {
			snprintf(lost, sizeof(lost),
			    "== output incomplete: %llu records lost ==",
			    (unsigned long long)(m->nrecords_total -
			        rt->run.records));
			pogo_exec_run_output(&e->base, &rt->run,
			    POGO_OUT_STDERR, lost, strlen(lost), true);
		}
		memset(&r, 0, sizeof(r));
		pogo_exec_result_set(&r, m->state, m->rc, "%s",
		    m->message != NULL ? m->message : "");
		r.timed_out = m->timed_out;
		if (m->signal != NULL)
			r.signal = pogo_exec_signal_number(m->signal);
		rtask_finish(rt, &r);
		break;
	default:
		break;
	}
	if (rt == NULL && m->type != POGO_MSG_TASK_OUTPUT)
		log_info("worker %s: %s for task %s not in flight on it: "
		         "acknowledged and ignored",
		    wk->name, pogo_proto_type_name(m->type),
		    m->task_id != NULL ? m->task_id : "-");
	wk->refs++;
	remote_barrier(e, remote_ack_cb, wk);
}

void
pogo_exec_remote_reply(struct pogo_exec *base, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *cookie)
{
	struct remote *e = (struct remote *)base;
	struct rworker *wk = pogo_peer_worker_data(w);
	struct rcmd *c = cookie;
	struct rtask *rt;
	const char *text = m->text != NULL ? m->text : "";

	rt = e->closing ? NULL : remote_find(e, c->task_id);
	if (rt != NULL && (rt->wk != wk || rt->done))
		rt = NULL;
	if (rt != NULL && c->type == POGO_MSG_RUN && m->ok != 0) {
		if (strcmp(text, "busy") == 0) {
			/* Full until it reports a finished task (SPEC 7.2). */
			wk->busy = true;
			rtask_requeue(rt);
		} else
			rtask_fail(rt, text);
	} else if (rt != NULL && c->type == POGO_MSG_TASKSTATUS && m->ok == 0 &&
	    strcmp(text, "unknown") == 0) {
		/* Never received (SPEC 7.3): again, unless it was killed. */
		if (rt->killed)
			rtask_fail(rt, "killed");
		else
			rtask_requeue(rt);
	}
	pogo_exec_remote_release(c);
}

void
pogo_exec_remote_release(void *cookie)
{
	struct rcmd *c = cookie;

	if (c == NULL)
		return;
	free(c->task_id);
	free(c);
}

const char *
pogo_exec_remote_worker(const struct pogo_exec_task *t, const char **instancep)
{
	const struct rtask *rt = t->priv;

	if (rt == NULL || rt->done) {
		if (instancep != NULL)
			*instancep = NULL;
		return NULL;
	}
	if (instancep != NULL)
		*instancep = rt->wk->instance;
	return rt->wk->name;
}
