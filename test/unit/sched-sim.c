/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Scheduler test helpers (see sched-sim.h). */
#include "pogo/compat.h"

#include "sched-sim.h"
#include "pogo/target.h"

static void POGO_PRINTFLIKE(2, 3) sim_log(struct sim *m, const char *fmt, ...)
{
	size_t o = strlen(m->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->log + o, sizeof(m->log) - o, fmt, ap);
	va_end(ap);
}

/* Record in m->early every task of an earlier slot of t's thread that is
 * not final when t starts. */
static void
sim_check_order(struct sim *m, uint32_t t)
{
	uint32_t th = pogo_sched_task_thread(m->s, t), sl, first, n, i;
	enum pogo_sched_task_state st;
	size_t o;

	for (sl = 0; sl < pogo_sched_task_slot(m->s, t); sl++) {
		pogo_sched_slot_tasks(m->s, th, sl, &first, &n);
		for (i = first; i < first + n; i++) {
			st = pogo_sched_task_state(m->s, i);
			if (st != POGO_SCHED_PENDING &&
			    st != POGO_SCHED_INFLIGHT)
				continue;
			o = strlen(m->early);
			snprintf(m->early + o, sizeof(m->early) - o, "%s<%s ",
			    pogo_sched_task_host(m->s, t),
			    pogo_sched_task_host(m->s, i));
		}
	}
}

static void
sim_run_cb(struct pogo_sched *s, uint32_t t, void *arg)
{
	struct sim *m = arg;

	if (m->check_order)
		sim_check_order(m, t);
	ASSERT(m->nruns < POGO_NELEM(m->runs));
	m->runs[m->nruns++] = t;
	sim_log(m, "run:%s ", pogo_sched_task_host(s, t));
	if (m->sync) {
		m->sync_depth++;
		if (m->sync_depth > m->max_depth)
			m->max_depth = m->sync_depth;
		ASSERT_OK(pogo_sched_task_finished(
		    s, t, sim_fails(m, t) ? POGO_SCHED_FAILED : POGO_SCHED_OK));
		m->sync_depth--;
	}
}

static void
sim_waiting_cb(
    struct pogo_sched *s, uint32_t t, const uint32_t *g, size_t n, void *arg)
{
	struct sim *m = arg;
	size_t i, o = strlen(m->waiting);

	o += (size_t)snprintf(m->waiting + o, sizeof(m->waiting) - o,
	    "%s:", pogo_sched_task_host(s, t));
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(m->waiting + o, sizeof(m->waiting) - o,
		    "%s%s", i > 0 ? "," : "", pogo_sched_group_name(s, g[i]));
	snprintf(m->waiting + o, sizeof(m->waiting) - o, ";");
	m->nwaiting++;
}

static void
sim_slot_done_cb(struct pogo_sched *s, uint32_t th, uint32_t sl, void *arg)
{
	struct sim *m = arg;

	sim_log(m, "slot_done:%u.%u ", th, sl);
	m->slot_done_all++;
	if (th == 0)
		m->slot_done++;
}

static void
sim_thread_done_cb(struct pogo_sched *s, uint32_t th, void *arg)
{
	sim_log(arg, "thread_done:%u ", th);
	((struct sim *)arg)->thread_done++;
}

static void
sim_done_cb(struct pogo_sched *s, enum pogo_sched_end end, void *arg)
{
	struct sim *m = arg;

	sim_log(m, "done:%d ", (int)end);
	m->done++;
	m->end = end;
}

static const struct pogo_sched_cbs sim_cbs = {
	.run = sim_run_cb,
	.waiting = sim_waiting_cb,
	.slot_done = sim_slot_done_cb,
	.thread_done = sim_thread_done_cb,
	.done = sim_done_cb,
};

void
sim_init_shared(struct sim *m, const char *yaml, const char *targets,
    struct pogo_sched_counters *ctrs, const char *concurrent)
{
	const struct pogo_strtab *st;
	char *cause = NULL;
	size_t i, n;

	memset(m, 0, sizeof(*m));
	if (yaml != NULL) {
		if (pogo_sched_config_parse(
		        yaml, strlen(yaml), &m->cfg, &cause) != 0 ||
		    pogo_sched_config_build(m->cfg, &cause) != 0)
			harness_fail(__FILE__, __LINE__, "config: %s", cause);
	}
	if (targets != NULL) {
		if (pogo_target_parse(targets, &m->hosts, &cause) != 0)
			harness_fail(__FILE__, __LINE__, "targets: %s", cause);
	} else {
		ASSERT(m->cfg != NULL);
		st = pogo_sched_config_hosts(m->cfg);
		n = pogo_sched_config_nconfigured(m->cfg);
		for (i = 0; i < n; i++)
			pogo_strv_push(
			    &m->hosts, pogo_strtab_get(st, (uint32_t)i));
	}
	if (pogo_sched_new(m->cfg, &m->hosts, concurrent, ctrs, &sim_cbs, m,
	        &m->s, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "sched: %s", cause);
}

void
sim_init(struct sim *m, const char *yaml, const char *targets)
{
	sim_init_shared(m, yaml, targets, NULL, NULL);
}

void
sim_free(struct sim *m)
{
	pogo_sched_free(m->s);
	pogo_sched_config_free(m->cfg);
	pogo_strv_clear(&m->hosts);
}

bool
sim_fails(const struct sim *m, uint32_t task)
{
	const char *h = pogo_sched_task_host(m->s, task), *p;
	size_t len = strlen(h);

	for (p = m->fail; p != NULL && (p = strstr(p, h)) != NULL; p++) {
		if ((p == m->fail || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
	}
	return false;
}

const char *
sim_runs(struct sim *m, size_t from)
{
	static char buf[16384];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = from; i < m->nruns; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i > from ? " " : "",
		    pogo_sched_task_host(m->s, m->runs[i]));
	return buf;
}

const char *
sim_waves(struct sim *m)
{
	static char buf[16384];
	size_t o = 0, from = 0, to, i;

	buf[0] = '\0';
	m->check_order = true;
	pogo_sched_start(m->s);
	while (m->nruns > from) {
		to = m->nruns;
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    from > 0 ? " -> " : "", sim_runs(m, from));
		for (i = from; i < to; i++)
			ASSERT_OK(pogo_sched_task_finished(m->s, m->runs[i],
			    sim_fails(m, m->runs[i]) ? POGO_SCHED_FAILED
			                             : POGO_SCHED_OK));
		from = to;
	}
	m->check_order = false;
	return buf;
}
