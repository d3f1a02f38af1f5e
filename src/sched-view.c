/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The schedule of a job as data (include/pogo/sched-view.h): built and
 * restored by the scheduler itself, then read through its accessors.
 */
#include "pogo/compat.h"

#include <string.h>

#include "pogo/error.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/sched-config.h"
#include "pogo/sched-table.h"
#include "pogo/sched-view.h"
#include "pogo/sched.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/* The scheduler's state of a stored host state (as job.c's reload). */
static enum pogo_sched_task_state
view_task_state(uint8_t hs)
{
	switch (hs) {
	case POGO_HOST_READY:
	case POGO_HOST_RUNNING:
		return POGO_SCHED_INFLIGHT;
	case POGO_HOST_FINISHED:
		return POGO_SCHED_DONE_OK;
	case POGO_HOST_FAILED:
	case POGO_HOST_UNREACHABLE:
		return POGO_SCHED_DONE_FAILED;
	case POGO_HOST_SKIPPED:
		return POGO_SCHED_DONE_SKIPPED;
	default:
		return POGO_SCHED_PENDING;
	}
}

/* {"state": n, ...} of the counts n[], states with no host left out. */
static void
view_summary(struct pogo_json *o, const uint32_t *n)
{
	struct pogo_json *sum = pogo_json_add_object(o, "summary");
	int s;

	for (s = 0; s < POGO_HOST_NSTATES; s++)
		if (n[s] > 0)
			pogo_json_add_number(
			    sum, pogo_host_state_name(s), n[s]);
}

static void
view_threads(const struct pogo_sched *s, const uint8_t *ts, uint32_t max,
    struct pogo_json *o)
{
	struct pogo_json *threads, *th, *slots, *sl, *hosts;
	uint32_t nth = pogo_sched_nthreads(s), t, k, first, n, i, active;
	uint32_t cnt[POGO_HOST_NSTATES];

	threads = pogo_json_add_array(o, "threads");
	for (t = 0; t < nth; t++) {
		th = pogo_json_add_object(threads, NULL);
		pogo_json_add_string(th, "name", pogo_sched_thread_name(s, t));
		active = pogo_sched_active_slot(s, t);
		if (active == UINT32_MAX)
			pogo_json_add_null(th, "active_slot");
		else
			pogo_json_add_number(th, "active_slot", active);
		slots = pogo_json_add_array(th, "slots");
		for (k = 0; k < pogo_sched_nslots(s, t); k++) {
			sl = pogo_json_add_object(slots, NULL);
			pogo_json_add_string(
			    sl, "name", pogo_sched_slot_name(s, t, k));
			pogo_sched_slot_tasks(s, t, k, &first, &n);
			pogo_json_add_number(sl, "count", n);
			memset(cnt, 0, sizeof(cnt));
			for (i = 0; i < n; i++)
				cnt[ts[first + i]]++;
			view_summary(sl, cnt);
			hosts = pogo_json_add_array(sl, "hosts");
			for (i = 0; i < n && i < max; i++)
				pogo_json_add_string(hosts, NULL,
				    pogo_sched_task_host(s, first + i));
		}
	}
}

static void
view_groups(const struct pogo_sched *s, uint32_t max, struct pogo_json *o)
{
	struct pogo_json *groups, *gr, **holders;
	uint32_t ng = pogo_sched_ngroups(s), g, t, *count, *nheld;
	const uint32_t *tg;
	size_t n, i;

	count = xcalloc((size_t)ng + 1, sizeof(*count));
	nheld = xcalloc((size_t)ng + 1, sizeof(*nheld));
	holders = xcalloc((size_t)ng + 1, sizeof(*holders));
	for (t = 0; t < pogo_sched_ntasks(s); t++) {
		tg = pogo_sched_task_groups(s, t, &n);
		for (i = 0; i < n; i++)
			count[tg[i]]++;
	}
	groups = pogo_json_add_array(o, "groups");
	for (g = 0; g < ng; g++) {
		gr = pogo_json_add_object(groups, NULL);
		pogo_json_add_string(gr, "name", pogo_sched_group_name(s, g));
		pogo_json_add_number(gr, "limit", pogo_sched_group_limit(s, g));
		pogo_json_add_number(gr, "count", count[g]);
		pogo_json_add_number(gr, "used", pogo_sched_group_used(s, g));
		holders[g] = pogo_json_add_array(gr, "holders");
	}
	/* In schedule order, as the table lists the hosts. */
	for (t = 0; t < pogo_sched_ntasks(s); t++) {
		if (!pogo_sched_task_holds_units(s, t))
			continue;
		tg = pogo_sched_task_groups(s, t, &n);
		for (i = 0; i < n; i++) {
			if (nheld[tg[i]]++ < max)
				pogo_json_add_string(holders[tg[i]], NULL,
				    pogo_sched_task_host(s, t));
		}
	}
	free(holders);
	free(nheld);
	free(count);
}

int
pogo_sched_view(const char *config, const char *concurrent,
    const struct pogo_strv *hosts, const uint8_t *states, bool active,
    uint32_t max, bool with_table, struct pogo_json *o, char **cause)
{
	return pogo_sched_view_refs(config, NULL, 0, concurrent, hosts, states,
	    active, max, with_table, o, cause);
}

/* Answer cfg's references with refs; every one must be answered. */
static int
view_answer(struct pogo_sched_config *cfg,
    const struct pogo_sched_view_ref *refs, size_t nrefs, char **cause)
{
	size_t i, n = 0, want = pogo_sched_config_nrefs(cfg);

	for (i = 0; i < nrefs; i++) {
		if (refs[i].idx >= want ||
		    strcmp(refs[i].ref,
		        pogo_sched_config_ref(cfg, refs[i].idx)) != 0)
			break;
		if (refs[i].failure != NULL)
			pogo_sched_config_fail_ref(
			    cfg, refs[i].idx, refs[i].failure);
		else
			pogo_sched_config_set_ref(
			    cfg, refs[i].idx, &refs[i].hosts);
		n++;
	}
	if (n == nrefs && n == want)
		return 0;
	xasprintf(cause,
	    n == nrefs ? "the answers of its resolvers were not stored"
	               : "the stored answers of its resolvers do not match "
	                 "its configuration");
	return POGO_ERR_CONFIG;
}

int
pogo_sched_view_refs(const char *config, const struct pogo_sched_view_ref *refs,
    size_t nrefs, const char *concurrent, const struct pogo_strv *hosts,
    const uint8_t *states, bool active, uint32_t max, bool with_table,
    struct pogo_json *o, char **cause)
{
	static const struct pogo_sched_cbs cbs = { 0 };
	struct pogo_sched_config *cfg = NULL;
	struct pogo_sched *s = NULL;
	enum pogo_sched_task_state *st = NULL;
	uint8_t *ts = NULL;
	uint32_t ntasks, t;
	char *table;
	size_t i;
	int r;

	*cause = NULL;
	if (config != NULL) {
		if ((r = pogo_sched_config_parse(
		         config, strlen(config), &cfg, cause)) != 0)
			goto out;
		/* Its groups as resolved at submission (SPEC 2.7). */
		if (pogo_sched_config_nrefs(cfg) > 0 &&
		    (r = view_answer(cfg, refs, nrefs, cause)) != 0)
			goto out;
		if ((r = pogo_sched_config_build(cfg, cause)) != 0)
			goto out;
	}
	if ((r = pogo_sched_new(
	         cfg, hosts, concurrent, NULL, &cbs, NULL, &s, cause)) != 0)
		goto out;
	ntasks = pogo_sched_ntasks(s);
	st = xcalloc((size_t)ntasks + 1, sizeof(*st));
	ts = xcalloc((size_t)ntasks + 1, sizeof(*ts));
	for (i = 0; i < hosts->n; i++) {
		if ((t = pogo_sched_find_task(s, hosts->v[i])) == UINT32_MAX ||
		    states[i] >= POGO_HOST_NSTATES)
			continue;
		ts[t] = states[i];
		st[t] = view_task_state(states[i]);
	}
	if ((r = pogo_sched_restore(s, st)) != 0)
		goto out;
	if (!active)
		pogo_sched_halt(s);
	view_threads(s, ts, max, o);
	view_groups(s, max, o);
	if (with_table && ntasks <= POGO_SCHED_VIEW_TABLE_MAX) {
		table = pogo_sched_table(s, max);
		pogo_json_add_string(o, "table", table);
		free(table);
	} else
		pogo_json_add_null(o, "table");
out:
	free(ts);
	free(st);
	pogo_sched_free(s);
	pogo_sched_config_free(cfg);
	return r;
}
