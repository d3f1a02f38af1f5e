/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The scheduler of SPEC 3: builds a job's schedule from a configuration
 * and runs it on task_finished events.  Used by every role that runs jobs
 * (the dispatcher, pogo one) and by pogo schedule; no I/O and no clock.
 *
 * The dispatch pass is incremental but gives exactly the result of the
 * full pass the SPEC describes (threads in order, each active slot's tasks
 * in order, each judged on its own groups).  Tasks are numbered in that
 * order, so "earlier in the pass" is "smaller task number".  A blocked
 * task is parked on one full group's min-heap.  When a group gains room its
 * smallest parked task becomes a candidate; candidates are taken from a
 * min-heap, so a pass only looks at tasks that may start now, in the same
 * order a full rescan would.  A completion therefore costs O(groups log n)
 * instead of a scan of every pending task.
 *
 * Invariants: a task holds one unit of each of its groups from task_run
 * until it finishes ok or is skipped, and while it is failed in an active
 * job; used and inflight of every counter equal the sums over all tasks of
 * all schedules sharing the registry.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/sched-config.h"
#include "pogo/sched.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

#define SCHED_NONE UINT32_MAX
#define SCHED_INJOB (UINT32_MAX - 1) /* in the job, not laid out yet */

enum sched_task_flags {
	SCHED_HOLDS = (1 << 0),    /* holds one unit of each group */
	SCHED_BLOCKED = (1 << 1),  /* waiting emitted for this episode */
	SCHED_IN_CAND = (1 << 2),  /* in the candidate heap */
	SCHED_DETACHED = (1 << 3), /* retried after its slot completed */
};

struct sched_task {
	uint32_t host; /* id in the schedule's host table */
	uint32_t slot; /* global slot index */
	uint32_t goff; /* first entry in the group list */
	uint32_t park; /* group parked on, or came from as a candidate */
	uint16_t ngroups;
	uint8_t state;
	uint8_t flags;
};

struct sched_slot {
	const char *name;
	uint32_t thread;
	uint32_t first;
	uint32_t n;
	uint32_t nonfinal;
};

struct sched_thread {
	char name[24];
	uint32_t first_slot;
	uint32_t nslots;
	uint32_t active; /* index within the thread; nslots when done */
};

struct sched_heap {
	uint32_t *v;
	uint32_t n;
	uint32_t cap;
};

struct sched_group {
	char *name;
	uint32_t limit;
	uint32_t ctr;
	struct sched_heap parked;
	bool dirty;
};

struct sched_watch {
	struct pogo_sched *s;
	uint32_t g;
};

struct sched_counter {
	int used;
	int inflight;
	struct sched_watch *watch;
	size_t nwatch;
};

struct pogo_sched_counters {
	struct pogo_strtab *names;
	struct sched_counter *v;
	size_t n;
	struct pogo_sched **pending; /* schedules that need a pass */
	size_t npending;
	bool draining;
};

struct pogo_sched {
	const struct pogo_sched_cbs *cbs;
	void *arg;
	/*
	 * Host ids: below ncfg, the configuration's own (cfg_hosts); from
	 * ncfg on, job hosts the configuration does not know (extra).
	 */
	const struct pogo_strtab *cfg_hosts;
	uint32_t ncfg;
	struct pogo_strtab *extra;
	struct pogo_sched_config *own_cfg; /* the empty one, when used */
	uint32_t *u2task;                  /* host id -> task, or SCHED_NONE */
	struct pogo_sched_counters *ctrs;
	bool own_ctrs;

	struct sched_task *tasks;
	uint32_t ntasks;
	uint32_t *glist;
	struct sched_slot *slots;
	uint32_t nslots;
	struct sched_thread *threads;
	uint32_t nthreads;
	struct sched_group *groups;
	uint32_t ngroups;

	struct sched_heap cand;
	struct pogo_idv dirty;
	struct pogo_idv detached;
	uint32_t *waitbuf;

	uint32_t nonfinal;
	uint32_t inflight;
	bool started;
	bool held; /* restored: no pass before pogo_sched_start() */
	bool halted;
	bool done;
	bool busy;
	bool again;
	bool pending;
};

static void sched_run(struct pogo_sched *s);

/* Min-heap of task numbers. */
static void
sched_heap_push(struct sched_heap *h, uint32_t t)
{
	uint32_t i, p;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 8;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	i = h->n++;
	while (i > 0) {
		p = (i - 1) / 2;
		if (h->v[p] <= t)
			break;
		h->v[i] = h->v[p];
		i = p;
	}
	h->v[i] = t;
}

static uint32_t
sched_heap_pop(struct sched_heap *h)
{
	uint32_t top = h->v[0], last = h->v[--h->n], i = 0, c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (last <= h->v[c])
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}

struct pogo_sched_counters *
pogo_sched_counters_new(void)
{
	struct pogo_sched_counters *c = xcalloc(1, sizeof(*c));

	c->names = pogo_strtab_new();
	return c;
}

void
pogo_sched_counters_free(struct pogo_sched_counters *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->v[i].watch);
	free(c->v);
	free(c->pending);
	pogo_strtab_free(c->names);
	free(c);
}

int
pogo_sched_counters_used(
    const struct pogo_sched_counters *c, const char *group, int *inflightp)
{
	uint32_t id = pogo_strtab_find(c->names, group, strlen(group));

	if (id == POGO_STRTAB_NONE)
		return -1;
	if (inflightp != NULL)
		*inflightp = c->v[id].inflight;
	return c->v[id].used;
}

/* Counter of a group name, watched by (s, g). */
static uint32_t
sched_counter_attach(struct pogo_sched_counters *c, const char *name,
    struct pogo_sched *s, uint32_t g)
{
	struct sched_counter *ctr;
	bool added;
	uint32_t id;

	id = pogo_strtab_intern(c->names, name, strlen(name), &added);
	if (added) {
		c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
		memset(&c->v[c->n], 0, sizeof(c->v[c->n]));
		c->n++;
	}
	ctr = &c->v[id];
	ctr->watch =
	    xreallocarray(ctr->watch, ctr->nwatch + 1, sizeof(*ctr->watch));
	ctr->watch[ctr->nwatch].s = s;
	ctr->watch[ctr->nwatch].g = g;
	ctr->nwatch++;
	return id;
}

static void
sched_counter_detach(
    struct pogo_sched_counters *c, uint32_t id, struct pogo_sched *s)
{
	struct sched_counter *ctr = &c->v[id];
	size_t i, k = 0;

	for (i = 0; i < ctr->nwatch; i++) {
		if (ctr->watch[i].s != s)
			ctr->watch[k++] = ctr->watch[i];
	}
	ctr->nwatch = k;
}

static struct sched_counter *
sched_ctr(const struct pogo_sched *s, uint32_t g)
{
	return &s->ctrs->v[s->groups[g].ctr];
}

static bool
sched_room(const struct pogo_sched *s, uint32_t g)
{
	return sched_ctr(s, g)->used < (int)s->groups[g].limit;
}

static const uint32_t *
sched_tgroups(const struct pogo_sched *s, uint32_t t)
{
	return s->glist + s->tasks[t].goff;
}

/* Another job of the registry must run a pass (and its end check). */
static void
sched_mark_pending(struct pogo_sched_counters *c, struct pogo_sched *o)
{
	if (o->pending)
		return;
	o->pending = true;
	c->pending =
	    xreallocarray(c->pending, c->npending + 1, sizeof(*c->pending));
	c->pending[c->npending++] = o;
}

/* A counter lost a unit: every group watching it may start tasks. */
static void
sched_counter_wake(struct pogo_sched *self, struct sched_counter *ctr)
{
	struct pogo_sched *o;
	size_t i;

	for (i = 0; i < ctr->nwatch; i++) {
		o = ctr->watch[i].s;
		if (!o->groups[ctr->watch[i].g].dirty) {
			o->groups[ctr->watch[i].g].dirty = true;
			pogo_idv_push(&o->dirty, ctr->watch[i].g);
		}
		if (o != self)
			sched_mark_pending(self->ctrs, o);
	}
}

/*
 * A counter's last in-flight unit landed, but its units may still be held
 * (a failed host keeps them).  Another job with nothing in flight that
 * waits for this group may now be deadlocked (SPEC 3.4): let it check.
 */
static void
sched_counter_landed(struct pogo_sched *self, struct sched_counter *ctr)
{
	struct pogo_sched *o;
	size_t i;

	for (i = 0; i < ctr->nwatch; i++) {
		o = ctr->watch[i].s;
		if (o != self && o->inflight == 0 && pogo_sched_active(o))
			sched_mark_pending(self->ctrs, o);
	}
}

/* Take one unit of each group of t (no limit check). */
static void
sched_take(struct pogo_sched *s, uint32_t t)
{
	const uint32_t *g = sched_tgroups(s, t);
	uint16_t i;

	for (i = 0; i < s->tasks[t].ngroups; i++)
		sched_ctr(s, g[i])->used++;
	s->tasks[t].flags |= SCHED_HOLDS;
}

/* Give back the units t holds. */
static void
sched_release(struct pogo_sched *s, uint32_t t)
{
	const uint32_t *g = sched_tgroups(s, t);
	struct sched_counter *ctr;
	uint16_t i;

	if ((s->tasks[t].flags & SCHED_HOLDS) == 0)
		return;
	s->tasks[t].flags &= (uint8_t)~SCHED_HOLDS;
	for (i = 0; i < s->tasks[t].ngroups; i++) {
		ctr = sched_ctr(s, g[i]);
		POGO_ASSERT(ctr->used > 0);
		ctr->used--;
		sched_counter_wake(s, ctr);
	}
}

static void
sched_cand_push(struct pogo_sched *s, uint32_t t, uint32_t from)
{
	if (s->tasks[t].flags & SCHED_IN_CAND)
		return;
	s->tasks[t].flags |= SCHED_IN_CAND;
	s->tasks[t].park = from;
	sched_heap_push(&s->cand, t);
}

/* If group g has room, make its smallest parked task a candidate. */
static void
sched_push_head(struct pogo_sched *s, uint32_t g)
{
	struct sched_group *gr = &s->groups[g];
	struct sched_task *t;
	uint32_t i;

	while (gr->parked.n > 0 && sched_room(s, g)) {
		i = sched_heap_pop(&gr->parked);
		t = &s->tasks[i];
		/* Entries are deleted lazily: skip stale ones. */
		if (t->state != POGO_SCHED_PENDING || t->park != g ||
		    (t->flags & SCHED_IN_CAND))
			continue;
		sched_cand_push(s, i, g);
		return;
	}
}

/* Put the pending tasks of a thread's active slot in the candidates. */
static void
sched_activate(struct pogo_sched *s, uint32_t th)
{
	struct sched_thread *thr = &s->threads[th];
	struct sched_slot *sl;
	uint32_t i;

	while (thr->active < thr->nslots) {
		sl = &s->slots[thr->first_slot + thr->active];
		if (sl->nonfinal == 0) {
			if (s->cbs->slot_done != NULL)
				s->cbs->slot_done(s, th, thr->active, s->arg);
			thr->active++;
			continue;
		}
		for (i = sl->first; i < sl->first + sl->n; i++) {
			if (s->tasks[i].state == POGO_SCHED_PENDING)
				sched_cand_push(s, i, SCHED_NONE);
		}
		return;
	}
	if (s->cbs->thread_done != NULL)
		s->cbs->thread_done(s, th, s->arg);
}

/* Task t became final: slot and thread bookkeeping. */
static void
sched_final(struct pogo_sched *s, uint32_t t)
{
	struct sched_task *tk = &s->tasks[t];
	struct sched_slot *sl = &s->slots[tk->slot];
	struct sched_thread *thr = &s->threads[sl->thread];
	size_t i;

	s->nonfinal--;
	if (tk->flags & SCHED_DETACHED) {
		tk->flags &= (uint8_t)~SCHED_DETACHED;
		for (i = 0; i < s->detached.n; i++) {
			if (s->detached.v[i] == t) {
				s->detached.v[i] =
				    s->detached.v[--s->detached.n];
				break;
			}
		}
		return;
	}
	POGO_ASSERT(sl->nonfinal > 0);
	if (--sl->nonfinal == 0 && thr->first_slot + thr->active == tk->slot &&
	    s->started)
		sched_activate(s, sl->thread);
}

/* Emit waiting for t, naming every full group. */
static void
sched_emit_waiting(struct pogo_sched *s, uint32_t t)
{
	const uint32_t *g = sched_tgroups(s, t);
	size_t n = 0;
	uint16_t i;

	for (i = 0; i < s->tasks[t].ngroups; i++) {
		if (!sched_room(s, g[i]))
			s->waitbuf[n++] = g[i];
	}
	if (s->cbs->waiting != NULL)
		s->cbs->waiting(s, t, s->waitbuf, n, s->arg);
}

/* One dispatch pass over the candidates (SPEC 3.3 rule 2). */
static void
sched_pass(struct pogo_sched *s)
{
	struct sched_task *tk;
	const uint32_t *g;
	uint32_t t, from, full;
	size_t i;
	uint16_t k;

	for (;;) {
		/* Groups that gained room, also from inside callbacks. */
		for (i = 0; i < s->dirty.n; i++) {
			s->groups[s->dirty.v[i]].dirty = false;
			sched_push_head(s, s->dirty.v[i]);
		}
		s->dirty.n = 0;
		if (s->cand.n == 0 || s->halted || s->done)
			break;
		t = sched_heap_pop(&s->cand);
		tk = &s->tasks[t];
		tk->flags &= (uint8_t)~SCHED_IN_CAND;
		from = tk->park;
		tk->park = SCHED_NONE;
		if (tk->state != POGO_SCHED_PENDING) {
			if (from != SCHED_NONE)
				sched_push_head(s, from);
			continue;
		}
		g = sched_tgroups(s, t);
		if ((tk->flags & SCHED_HOLDS) == 0) {
			full = SCHED_NONE;
			for (k = 0; k < tk->ngroups; k++) {
				if (!sched_room(s, g[k])) {
					full = g[k];
					break;
				}
			}
			if (full != SCHED_NONE) {
				tk->park = full;
				sched_heap_push(&s->groups[full].parked, t);
				if ((tk->flags & SCHED_BLOCKED) == 0) {
					tk->flags |= SCHED_BLOCKED;
					sched_emit_waiting(s, t);
				}
				if (from != SCHED_NONE && from != full)
					sched_push_head(s, from);
				continue;
			}
			sched_take(s, t);
		}
		for (k = 0; k < tk->ngroups; k++)
			sched_ctr(s, g[k])->inflight++;
		tk->state = POGO_SCHED_INFLIGHT;
		tk->flags &= (uint8_t)~SCHED_BLOCKED;
		s->inflight++;
		if (from != SCHED_NONE)
			sched_push_head(s, from);
		s->cbs->run(s, t, s->arg);
	}
}

/* Does a full group with no in-flight units block t for good? */
static bool
sched_stuck(const struct pogo_sched *s, uint32_t t)
{
	const uint32_t *g = sched_tgroups(s, t);
	const struct sched_counter *ctr;
	uint16_t i;

	for (i = 0; i < s->tasks[t].ngroups; i++) {
		ctr = sched_ctr(s, g[i]);
		if (ctr->used >= (int)s->groups[g[i]].limit &&
		    ctr->inflight == 0)
			return true;
	}
	return false;
}

/* The deadlock rule of SPEC 3.4, checked when nothing is in flight. */
static bool
sched_deadlocked(const struct pogo_sched *s)
{
	const struct sched_thread *thr;
	const struct sched_slot *sl;
	uint32_t th, i;

	for (th = 0; th < s->nthreads; th++) {
		thr = &s->threads[th];
		if (thr->active >= thr->nslots)
			continue;
		sl = &s->slots[thr->first_slot + thr->active];
		for (i = sl->first; i < sl->first + sl->n; i++) {
			if (s->tasks[i].state == POGO_SCHED_PENDING &&
			    !sched_stuck(s, i))
				return false;
		}
	}
	for (i = 0; i < s->detached.n; i++) {
		if (s->tasks[s->detached.v[i]].state == POGO_SCHED_PENDING &&
		    !sched_stuck(s, s->detached.v[i]))
			return false;
	}
	return true;
}

/* Release every unit of the job (it left the active states). */
static void
sched_release_all(struct pogo_sched *s)
{
	uint32_t t;

	for (t = 0; t < s->ntasks; t++) {
		if (s->tasks[t].state != POGO_SCHED_INFLIGHT)
			sched_release(s, t);
	}
}

static void
sched_check_end(struct pogo_sched *s)
{
	enum pogo_sched_end end;

	if (!s->started || s->halted || s->done)
		return;
	if (s->nonfinal == 0)
		end = POGO_SCHED_FINISHED;
	else if (s->inflight == 0 && s->cand.n == 0 && sched_deadlocked(s))
		end = POGO_SCHED_DEADLOCKED;
	else
		return;
	s->done = true;
	sched_release_all(s);
	if (s->cbs->done != NULL)
		s->cbs->done(s, end, s->arg);
}

/* Let the jobs woken by released units run their passes. */
static void
sched_drain(struct pogo_sched_counters *c)
{
	struct pogo_sched *o;

	if (c->draining)
		return;
	c->draining = true;
	while (c->npending > 0) {
		o = c->pending[--c->npending];
		o->pending = false;
		sched_run(o);
	}
	c->draining = false;
}

/* Run passes until quiet; then let other jobs of the registry run. */
static void
sched_run(struct pogo_sched *s)
{
	if (s->busy) {
		s->again = true;
		return;
	}
	s->busy = true;
	do {
		s->again = false;
		if (s->held)
			break;
		if (s->started && !s->halted && !s->done)
			sched_pass(s);
		if (!s->again)
			sched_check_end(s);
	} while (s->again);
	s->busy = false;
	sched_drain(s->ctrs);
}

/* Parse the job's `concurrent` value: -1 for no group. */
static int
sched_concurrent(const char *v, size_t nhosts, long long *limitp)
{
	size_t len = strlen(v);
	char buf[24];
	long long n;

	if (len == 0 || len >= sizeof(buf))
		return POGO_ERR_CONFIG;
	memcpy(buf, v, len + 1);
	if (buf[len - 1] == '%')
		buf[len - 1] = '\0';
	if (buf[0] == '\0' || pogo_strtonum(buf, 0, INT32_MAX, &n) != 0)
		return POGO_ERR_CONFIG;
	if (v[len - 1] == '%') {
		n = (long long)((uint64_t)n * nhosts / 100);
		*limitp = n < 1 ? 1 : n;
	} else
		*limitp = n == 0 ? -1 : n;
	return 0;
}

static void
sched_add_thread(struct pogo_sched *s, const char *name)
{
	struct sched_thread *thr = &s->threads[s->nthreads++];

	strlcpy(thr->name, name, sizeof(thr->name));
	thr->first_slot = s->nslots;
	thr->nslots = 0;
	thr->active = 0;
}

static void
sched_add_slot(struct pogo_sched *s, const char *name)
{
	struct sched_slot *sl = &s->slots[s->nslots++];

	sl->name = name;
	sl->thread = s->nthreads - 1;
	sl->first = s->ntasks;
	sl->n = 0;
	s->threads[s->nthreads - 1].nslots++;
}

/* Make a task of host id h if it is in the job and not placed yet. */
static void
sched_add_task(struct pogo_sched *s, uint32_t h)
{
	struct sched_task *t = &s->tasks[s->ntasks];

	if (s->u2task[h] != SCHED_INJOB)
		return;
	memset(t, 0, sizeof(*t));
	t->host = h;
	t->slot = s->nslots - 1;
	t->park = SCHED_NONE;
	t->state = POGO_SCHED_PENDING;
	s->u2task[h] = s->ntasks++;
	s->slots[s->nslots - 1].n++;
	s->slots[s->nslots - 1].nonfinal++;
}

static void
sched_add_group(struct pogo_sched *s, const char *name, uint32_t limit)
{
	struct sched_group *g = &s->groups[s->ngroups];

	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->limit = limit;
	g->ctr = sched_counter_attach(s->ctrs, name, s, s->ngroups);
	s->ngroups++;
}

/* Lay out the tasks of a configured schedule (SPEC 3.2 steps 1-3). */
static void
sched_layout(struct pogo_sched *s, const struct pogo_sched_config *cfg,
    const uint32_t *joborder, uint32_t njob)
{
	const uint32_t *h;
	size_t th, sl, i, n, nth;
	char name[32];

	nth = pogo_sched_config_nthreads(cfg);
	for (th = 0; th < nth; th++) {
		snprintf(name, sizeof(name), "thread-%09u",
		    (unsigned)th % 1000000000u);
		sched_add_thread(s, name);
		for (sl = 0; sl < pogo_sched_config_nslots(cfg, th); sl++) {
			sched_add_slot(
			    s, pogo_sched_config_slot_name(cfg, th, sl));
			h = pogo_sched_config_slot_hosts(cfg, th, sl, &n);
			for (i = 0; i < n; i++)
				sched_add_task(s, h[i]);
		}
	}
	sched_add_thread(s, "unconstrained");
	sched_add_slot(s, "unconstrained");
	n = pogo_sched_config_nconfigured(cfg);
	for (i = 0; i < n; i++)
		sched_add_task(s, (uint32_t)i);
	for (i = 0; i < njob; i++)
		sched_add_task(s, joborder[i]);
}

/* Give every task its groups, as one flat list (SPEC 3.2 step 4). */
static void
sched_assign_groups(struct pogo_sched *s, const struct pogo_sched_config *cfg)
{
	const uint32_t *h;
	uint32_t *cnt, g, t, total = 0;
	size_t i, n;

	cnt = xcalloc(s->ntasks + 1, sizeof(*cnt));
	for (g = 0; g < s->ngroups; g++) {
		h = pogo_sched_config_group_hosts(cfg, g, &n);
		for (i = 0; i < n; i++) {
			if (s->u2task[h[i]] < SCHED_INJOB)
				cnt[s->u2task[h[i]]]++;
		}
	}
	for (t = 0; t < s->ntasks; t++) {
		if (cnt[t] > UINT16_MAX)
			fatalx("sched: a host is in more than %d groups",
			    UINT16_MAX);
		s->tasks[t].goff = total;
		total += cnt[t];
		cnt[t] = 0;
	}
	s->glist = xreallocarray(NULL, total + 1, sizeof(*s->glist));
	for (g = 0; g < s->ngroups; g++) {
		h = pogo_sched_config_group_hosts(cfg, g, &n);
		for (i = 0; i < n; i++) {
			if ((t = s->u2task[h[i]]) >= SCHED_INJOB)
				continue;
			s->glist[s->tasks[t].goff + cnt[t]++] = g;
		}
	}
	for (t = 0; t < s->ntasks; t++)
		s->tasks[t].ngroups = (uint16_t)cnt[t];
	free(cnt);
}

/*
 * Map the job's hosts to host ids, in job order and without duplicates:
 * the configuration's own ids where it knows the name, new ids otherwise.
 * Returns the number of distinct hosts; joborder receives their ids.
 */
static uint32_t
sched_job_hosts(
    struct pogo_sched *s, const struct pogo_strv *hosts, uint32_t *joborder)
{
	uint32_t id, n = 0;
	size_t i, len;
	bool added;

	for (i = 0; i < hosts->n; i++) {
		len = strlen(hosts->v[i]);
		id = pogo_strtab_find(s->cfg_hosts, hosts->v[i], len);
		if (id == POGO_STRTAB_NONE) {
			id = s->ncfg +
			    pogo_strtab_intern(
			        s->extra, hosts->v[i], len, &added);
			if (!added)
				continue;
		} else if (s->u2task[id] == SCHED_INJOB)
			continue;
		s->u2task[id] = SCHED_INJOB;
		joborder[n++] = id;
	}
	return n;
}

int
pogo_sched_new(const struct pogo_sched_config *cfg,
    const struct pogo_strv *hosts, const char *concurrent,
    struct pogo_sched_counters *counters, const struct pogo_sched_cbs *cbs,
    void *arg, struct pogo_sched **sp, char **cause)
{
	struct pogo_sched *s;
	uint32_t *joborder = NULL, njob, i, maxg = 1;
	long long climit = -1;
	size_t nth = 0, nsl = 0, th, k;

	*sp = NULL;
	*cause = NULL;
	s = xcalloc(1, sizeof(*s));
	s->cbs = cbs;
	s->arg = arg;
	if (concurrent != NULL || cfg == NULL)
		cfg = s->own_cfg = pogo_sched_config_empty();
	s->cfg_hosts = pogo_sched_config_hosts(cfg);
	s->ncfg = pogo_strtab_count(s->cfg_hosts);
	s->extra = pogo_strtab_new_sized(s->ncfg == 0 ? hosts->n : 0);
	s->u2task = xreallocarray(
	    NULL, (size_t)s->ncfg + hosts->n + 1, sizeof(*s->u2task));
	for (k = 0; k < (size_t)s->ncfg + hosts->n + 1; k++)
		s->u2task[k] = SCHED_NONE;
	joborder = xreallocarray(NULL, hosts->n + 1, sizeof(*joborder));
	njob = sched_job_hosts(s, hosts, joborder);
	if (concurrent != NULL &&
	    sched_concurrent(concurrent, njob, &climit) != 0) {
		xasprintf(cause, "invalid value for 'concurrent'");
		free(joborder);
		pogo_strtab_free(s->extra);
		free(s->u2task);
		pogo_sched_config_free(s->own_cfg);
		free(s);
		return POGO_ERR_CONFIG;
	}
	if (concurrent != NULL || counters == NULL) {
		s->ctrs = pogo_sched_counters_new();
		s->own_ctrs = true;
	} else
		s->ctrs = counters;

	nth = pogo_sched_config_nthreads(cfg);
	for (th = 0; th < nth; th++)
		nsl += pogo_sched_config_nslots(cfg, th);
	s->threads = xcalloc(nth + 1, sizeof(*s->threads));
	s->slots = xcalloc(nsl + 1, sizeof(*s->slots));
	s->tasks = xreallocarray(NULL, njob + 1, sizeof(*s->tasks));
	sched_layout(s, cfg, joborder, njob);
	free(joborder);

	if (climit > 0) {
		s->groups = xcalloc(1, sizeof(*s->groups));
		sched_add_group(s, "$concurrent", (uint32_t)climit);
		s->glist =
		    xreallocarray(NULL, s->ntasks + 1, sizeof(*s->glist));
		for (i = 0; i < s->ntasks; i++) {
			s->glist[i] = 0;
			s->tasks[i].goff = i;
			s->tasks[i].ngroups = 1;
		}
	} else {
		s->groups = xcalloc(
		    pogo_sched_config_ngroups(cfg) + 1, sizeof(*s->groups));
		for (i = 0; i < pogo_sched_config_ngroups(cfg); i++)
			sched_add_group(s, pogo_sched_config_group_name(cfg, i),
			    pogo_sched_config_group_limit(cfg, i));
		sched_assign_groups(s, cfg);
	}
	for (i = 0; i < s->ntasks; i++) {
		if (s->tasks[i].ngroups > maxg)
			maxg = s->tasks[i].ngroups;
	}
	s->waitbuf = xreallocarray(NULL, maxg, sizeof(*s->waitbuf));
	s->nonfinal = s->ntasks;
	*sp = s;
	return 0;
}

void
pogo_sched_free(struct pogo_sched *s)
{
	struct pogo_sched_counters *c;
	uint32_t t, g;
	uint16_t k;
	size_t i, j;

	if (s == NULL)
		return;
	c = s->ctrs;
	/* Give the shared counters back what this job still holds. */
	for (t = 0; t < s->ntasks; t++) {
		if ((s->tasks[t].flags & SCHED_HOLDS) == 0)
			continue;
		for (k = 0; k < s->tasks[t].ngroups; k++) {
			g = sched_tgroups(s, t)[k];
			sched_ctr(s, g)->used--;
			if (s->tasks[t].state == POGO_SCHED_INFLIGHT)
				sched_ctr(s, g)->inflight--;
		}
	}
	for (g = 0; g < s->ngroups; g++) {
		sched_counter_detach(c, s->groups[g].ctr, s);
		free(s->groups[g].parked.v);
		free(s->groups[g].name);
	}
	for (i = 0, j = 0; i < c->npending; i++) {
		if (c->pending[i] != s)
			c->pending[j++] = c->pending[i];
	}
	c->npending = j;
	if (s->own_ctrs)
		pogo_sched_counters_free(c);
	else {
		for (g = 0; g < s->ngroups; g++)
			sched_counter_wake(s, &c->v[s->groups[g].ctr]);
	}
	if (!s->own_ctrs)
		sched_drain(c);
	free(s->groups);
	free(s->tasks);
	free(s->glist);
	free(s->slots);
	free(s->threads);
	free(s->cand.v);
	free(s->waitbuf);
	free(s->u2task);
	pogo_idv_clear(&s->dirty);
	pogo_idv_clear(&s->detached);
	pogo_strtab_free(s->extra);
	pogo_sched_config_free(s->own_cfg);
	free(s);
}

void
pogo_sched_start(struct pogo_sched *s)
{
	uint32_t th;

	if (s->held) {
		/* Restored: the threads are active, only the pass is due. */
		s->held = false;
		sched_run(s);
		return;
	}
	if (s->started)
		return;
	s->started = true;
	s->busy = true;
	for (th = 0; th < s->nthreads; th++)
		sched_activate(s, th);
	s->busy = false;
	sched_run(s);
}

/*
 * Lay out thread th of a restored schedule: the slots before the last
 * one with a started or final task are complete (their tasks not final
 * are retries, detached), the active slot is the first from there with a
 * task not final, and its pending tasks become candidates.
 */
static void
sched_restore_thread(struct pogo_sched *s, uint32_t th)
{
	struct sched_thread *thr = &s->threads[th];
	struct sched_slot *sl;
	struct sched_task *tk;
	uint32_t k, t, last = 0;

	for (k = 0; k < thr->nslots; k++) {
		sl = &s->slots[thr->first_slot + k];
		for (t = sl->first; t < sl->first + sl->n; t++) {
			if (s->tasks[t].state != POGO_SCHED_PENDING)
				last = k;
		}
	}
	for (k = 0; k < thr->nslots; k++) {
		sl = &s->slots[thr->first_slot + k];
		sl->nonfinal = 0;
		for (t = sl->first; t < sl->first + sl->n; t++) {
			tk = &s->tasks[t];
			if (tk->state >= POGO_SCHED_DONE_OK)
				continue;
			if (k < last) {
				tk->flags |= SCHED_DETACHED;
				pogo_idv_push(&s->detached, t);
				if (tk->state == POGO_SCHED_PENDING)
					sched_cand_push(s, t, SCHED_NONE);
			} else
				sl->nonfinal++;
		}
	}
	for (thr->active = last; thr->active < thr->nslots; thr->active++) {
		sl = &s->slots[thr->first_slot + thr->active];
		if (sl->nonfinal == 0)
			continue;
		for (t = sl->first; t < sl->first + sl->n; t++) {
			if (s->tasks[t].state == POGO_SCHED_PENDING)
				sched_cand_push(s, t, SCHED_NONE);
		}
		break;
	}
}

int
pogo_sched_restore(
    struct pogo_sched *s, const enum pogo_sched_task_state *states)
{
	struct sched_task *tk;
	const uint32_t *g;
	uint32_t t, th;
	uint16_t k;

	if (s->started)
		return POGO_ERR_STATE;
	s->started = true;
	s->held = true;
	s->nonfinal = 0;
	for (t = 0; t < s->ntasks; t++) {
		tk = &s->tasks[t];
		tk->state = (uint8_t)states[t];
		if (states[t] < POGO_SCHED_DONE_OK)
			s->nonfinal++;
		/* Failed and in-flight hosts hold their units (SPEC 6.4). */
		if (states[t] == POGO_SCHED_INFLIGHT ||
		    states[t] == POGO_SCHED_DONE_FAILED)
			sched_take(s, t);
		if (states[t] != POGO_SCHED_INFLIGHT)
			continue;
		g = sched_tgroups(s, t);
		for (k = 0; k < tk->ngroups; k++)
			sched_ctr(s, g[k])->inflight++;
		s->inflight++;
	}
	for (th = 0; th < s->nthreads; th++)
		sched_restore_thread(s, th);
	return 0;
}

/* A task leaves flight: its units stop counting as in flight. */
static int
sched_land(struct pogo_sched *s, uint32_t task)
{
	struct sched_counter *ctr;
	const uint32_t *g;
	uint16_t k;

	if (task >= s->ntasks || s->tasks[task].state != POGO_SCHED_INFLIGHT)
		return POGO_ERR_STATE;
	g = sched_tgroups(s, task);
	for (k = 0; k < s->tasks[task].ngroups; k++) {
		ctr = sched_ctr(s, g[k]);
		if (--ctr->inflight == 0)
			sched_counter_landed(s, ctr);
	}
	s->inflight--;
	return 0;
}

int
pogo_sched_task_finished(
    struct pogo_sched *s, uint32_t task, enum pogo_sched_outcome outcome)
{
	struct sched_task *tk;

	if (sched_land(s, task) != 0)
		return POGO_ERR_STATE;
	tk = &s->tasks[task];
	switch (outcome) {
	case POGO_SCHED_OK:
		tk->state = POGO_SCHED_DONE_OK;
		sched_release(s, task);
		break;
	case POGO_SCHED_SKIPPED:
		tk->state = POGO_SCHED_DONE_SKIPPED;
		sched_release(s, task);
		break;
	case POGO_SCHED_FAILED:
		tk->state = POGO_SCHED_DONE_FAILED;
		/* A failed host counts as down while the job is active. */
		if (!pogo_sched_active(s))
			sched_release(s, task);
		break;
	}
	sched_final(s, task);
	sched_run(s);
	return 0;
}

void
pogo_sched_halt(struct pogo_sched *s)
{
	if (!pogo_sched_active(s))
		return;
	s->held = false;
	s->halted = true;
	sched_release_all(s);
	sched_run(s);
}

void
pogo_sched_resume(struct pogo_sched *s)
{
	struct sched_thread *thr;
	struct sched_slot *sl;
	uint32_t t, g, th;

	if (!s->started || (!s->halted && !s->done))
		return;
	s->halted = false;
	s->done = false;
	for (g = 0; g < s->ngroups; g++)
		s->groups[g].parked.n = 0;
	for (t = 0; t < s->ntasks; t++) {
		struct sched_task *tk = &s->tasks[t];

		/* Failed hosts take their units back, even past the limit. */
		if (tk->state == POGO_SCHED_DONE_FAILED &&
		    (tk->flags & SCHED_HOLDS) == 0)
			sched_take(s, t);
		if (tk->state == POGO_SCHED_PENDING) {
			tk->flags &= (uint8_t)~SCHED_BLOCKED;
			tk->park = SCHED_NONE;
		}
	}
	for (th = 0; th < s->nthreads; th++) {
		thr = &s->threads[th];
		if (thr->active >= thr->nslots)
			continue;
		sl = &s->slots[thr->first_slot + thr->active];
		for (t = sl->first; t < sl->first + sl->n; t++) {
			if (s->tasks[t].state == POGO_SCHED_PENDING)
				sched_cand_push(s, t, SCHED_NONE);
		}
	}
	for (t = 0; t < s->detached.n; t++) {
		if (s->tasks[s->detached.v[t]].state == POGO_SCHED_PENDING)
			sched_cand_push(s, s->detached.v[t], SCHED_NONE);
	}
	sched_run(s);
}

int
pogo_sched_retry(struct pogo_sched *s, uint32_t task)
{
	struct sched_task *tk;
	struct sched_slot *sl;
	struct sched_thread *thr;

	if (task >= s->ntasks)
		return POGO_ERR_STATE;
	tk = &s->tasks[task];
	if (tk->state != POGO_SCHED_DONE_FAILED &&
	    tk->state != POGO_SCHED_DONE_OK)
		return POGO_ERR_STATE;
	tk->state = POGO_SCHED_PENDING;
	tk->flags &= (uint8_t)~SCHED_BLOCKED;
	tk->park = SCHED_NONE;
	s->nonfinal++;
	sl = &s->slots[tk->slot];
	thr = &s->threads[sl->thread];
	if (thr->first_slot + thr->active == tk->slot)
		sl->nonfinal++;
	else {
		/* Its slot completed: the retry does not hold the thread. */
		tk->flags |= SCHED_DETACHED;
		pogo_idv_push(&s->detached, task);
	}
	sched_cand_push(s, task, SCHED_NONE);
	if (pogo_sched_active(s))
		sched_run(s);
	return 0;
}

int
pogo_sched_withdraw(struct pogo_sched *s, uint32_t task)
{
	struct sched_task *tk;

	if (sched_land(s, task) != 0)
		return POGO_ERR_STATE;
	tk = &s->tasks[task];
	tk->state = POGO_SCHED_PENDING;
	tk->park = SCHED_NONE;
	sched_release(s, task);
	sched_cand_push(s, task, SCHED_NONE);
	/* Even in a halted job: other jobs may use the units at once. */
	sched_run(s);
	return 0;
}

int
pogo_sched_skip(struct pogo_sched *s, uint32_t task)
{
	struct sched_task *tk;
	bool was_pending;

	if (task >= s->ntasks)
		return POGO_ERR_STATE;
	tk = &s->tasks[task];
	if (tk->state != POGO_SCHED_PENDING &&
	    tk->state != POGO_SCHED_DONE_FAILED)
		return POGO_ERR_STATE;
	was_pending = tk->state == POGO_SCHED_PENDING;
	tk->state = POGO_SCHED_DONE_SKIPPED;
	tk->flags &= (uint8_t)~SCHED_BLOCKED;
	sched_release(s, task);
	if (was_pending)
		sched_final(s, task);
	if (pogo_sched_active(s))
		sched_run(s);
	return 0;
}

bool
pogo_sched_active(const struct pogo_sched *s)
{
	return s->started && !s->halted && !s->done;
}

uint32_t
pogo_sched_ntasks(const struct pogo_sched *s)
{
	return s->ntasks;
}

const char *
pogo_sched_task_host(const struct pogo_sched *s, uint32_t task)
{
	uint32_t h;

	POGO_ASSERT(task < s->ntasks);
	h = s->tasks[task].host;
	return h < s->ncfg ? pogo_strtab_get(s->cfg_hosts, h)
	                   : pogo_strtab_get(s->extra, h - s->ncfg);
}

uint32_t
pogo_sched_find_task(const struct pogo_sched *s, const char *host)
{
	size_t len = strlen(host);
	uint32_t id = pogo_strtab_find(s->cfg_hosts, host, len), t;

	if (id == POGO_STRTAB_NONE) {
		id = pogo_strtab_find(s->extra, host, len);
		if (id == POGO_STRTAB_NONE)
			return UINT32_MAX;
		id += s->ncfg;
	}
	t = s->u2task[id];
	return t < SCHED_INJOB ? t : UINT32_MAX;
}

enum pogo_sched_task_state
pogo_sched_task_state(const struct pogo_sched *s, uint32_t task)
{
	POGO_ASSERT(task < s->ntasks);
	return (enum pogo_sched_task_state)s->tasks[task].state;
}

bool
pogo_sched_task_holds_units(const struct pogo_sched *s, uint32_t task)
{
	POGO_ASSERT(task < s->ntasks);
	return (s->tasks[task].flags & SCHED_HOLDS) != 0;
}

uint32_t
pogo_sched_task_thread(const struct pogo_sched *s, uint32_t task)
{
	POGO_ASSERT(task < s->ntasks);
	return s->slots[s->tasks[task].slot].thread;
}

uint32_t
pogo_sched_task_slot(const struct pogo_sched *s, uint32_t task)
{
	const struct sched_slot *sl;

	POGO_ASSERT(task < s->ntasks);
	sl = &s->slots[s->tasks[task].slot];
	return s->tasks[task].slot - s->threads[sl->thread].first_slot;
}

const uint32_t *
pogo_sched_task_groups(const struct pogo_sched *s, uint32_t task, size_t *np)
{
	POGO_ASSERT(task < s->ntasks);
	*np = s->tasks[task].ngroups;
	return sched_tgroups(s, task);
}

uint32_t
pogo_sched_nthreads(const struct pogo_sched *s)
{
	return s->nthreads;
}

const char *
pogo_sched_thread_name(const struct pogo_sched *s, uint32_t thread)
{
	POGO_ASSERT(thread < s->nthreads);
	return s->threads[thread].name;
}

uint32_t
pogo_sched_nslots(const struct pogo_sched *s, uint32_t thread)
{
	POGO_ASSERT(thread < s->nthreads);
	return s->threads[thread].nslots;
}

const char *
pogo_sched_slot_name(const struct pogo_sched *s, uint32_t thread, uint32_t slot)
{
	POGO_ASSERT(thread < s->nthreads && slot < s->threads[thread].nslots);
	return s->slots[s->threads[thread].first_slot + slot].name;
}

void
pogo_sched_slot_tasks(const struct pogo_sched *s, uint32_t thread,
    uint32_t slot, uint32_t *firstp, uint32_t *np)
{
	const struct sched_slot *sl;

	POGO_ASSERT(thread < s->nthreads && slot < s->threads[thread].nslots);
	sl = &s->slots[s->threads[thread].first_slot + slot];
	*firstp = sl->first;
	*np = sl->n;
}

uint32_t
pogo_sched_active_slot(const struct pogo_sched *s, uint32_t thread)
{
	POGO_ASSERT(thread < s->nthreads);
	if (s->threads[thread].active >= s->threads[thread].nslots)
		return UINT32_MAX;
	return s->threads[thread].active;
}

uint32_t
pogo_sched_ngroups(const struct pogo_sched *s)
{
	return s->ngroups;
}

const char *
pogo_sched_group_name(const struct pogo_sched *s, uint32_t g)
{
	POGO_ASSERT(g < s->ngroups);
	return s->groups[g].name;
}

uint32_t
pogo_sched_group_limit(const struct pogo_sched *s, uint32_t g)
{
	POGO_ASSERT(g < s->ngroups);
	return s->groups[g].limit;
}

int
pogo_sched_group_used(const struct pogo_sched *s, uint32_t g)
{
	POGO_ASSERT(g < s->ngroups);
	return sched_ctr(s, g)->used;
}

size_t
pogo_sched_bytes(const struct pogo_sched *s)
{
	size_t b = sizeof(*s) + pogo_strtab_bytes(s->extra) +
	    ((size_t)s->ncfg + pogo_strtab_count(s->extra)) * 4;
	uint32_t g;

	b += (size_t)s->ntasks * sizeof(*s->tasks);
	b += (s->ntasks > 0 ? s->tasks[s->ntasks - 1].goff +
	                 s->tasks[s->ntasks - 1].ngroups
	                    : 0) *
	    sizeof(*s->glist);
	b += (size_t)s->cand.cap * 4;
	for (g = 0; g < s->ngroups; g++)
		b += (size_t)s->groups[g].parked.cap * 4;
	return b;
}
