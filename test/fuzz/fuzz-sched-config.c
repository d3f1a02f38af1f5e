/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: scheduler configuration text.  A configuration that
 * parses is built (external references answered with one host), scheduled
 * over its configured hosts and run to the end, so the scheduler's
 * invariant checks run on every accepted input.  Memory per input is
 * bounded: the configuration holds at most FUZZ_MAX_ENTRIES host entries,
 * and the smoke run sets -rss_limit_mb and -malloc_limit_mb.
 */
#include "pogo/compat.h"

#include "pogo/sched-config.h"
#include "pogo/sched.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

#define FUZZ_MAX_ENTRIES 100000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_run_cb(struct pogo_sched *s, uint32_t t, void *arg)
{
	uint32_t *n = arg;

	/* Fail every third task, finish the others. */
	(*n)++;
	pogo_sched_task_finished(
	    s, t, (*n % 3) == 0 ? POGO_SCHED_FAILED : POGO_SCHED_OK);
}

static void
fuzz_done_cb(struct pogo_sched *s, enum pogo_sched_end end, void *arg)
{
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct pogo_sched_cbs cbs = { .run = fuzz_run_cb,
		.done = fuzz_done_cb };
	struct pogo_sched_config *cfg = NULL;
	struct pogo_sched *s = NULL;
	struct pogo_strv hosts = { 0 }, one = { 0 };
	const struct pogo_strtab *st;
	char *cause = NULL;
	uint32_t runs = 0;
	size_t i, n;

	if (size > 65536)
		return 0;
	/*
	 * A small entry limit keeps every run fast and its memory bounded;
	 * the caps work alike at any size (patterns are counted before they
	 * are expanded).
	 */
	if (pogo_sched_config_parse_limit((const char *)data, size,
	        FUZZ_MAX_ENTRIES, &cfg, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return 0;
	}
	pogo_strv_push(&one, "resolved");
	for (i = 0; i < pogo_sched_config_nrefs(cfg); i++)
		pogo_sched_config_set_ref(cfg, i, &one);
	if (pogo_strtab_count(pogo_sched_config_hosts(cfg)) >
	    FUZZ_MAX_ENTRIES + 1) /* + "resolved" */
		abort();
	if (pogo_sched_config_build(cfg, &cause) == 0) {
		st = pogo_sched_config_hosts(cfg);
		n = pogo_sched_config_nconfigured(cfg);
		for (i = 0; i < n && i < 5000; i++)
			pogo_strv_push(
			    &hosts, pogo_strtab_get(st, (uint32_t)i));
		pogo_strv_push(&hosts, "unconfigured");
		if (pogo_sched_new(cfg, &hosts, NULL, NULL, &cbs, &runs, &s,
		        &cause) == 0) {
			pogo_sched_start(s);
			pogo_sched_free(s);
		}
	}
	free(cause);
	pogo_strv_clear(&hosts);
	pogo_strv_clear(&one);
	pogo_sched_config_free(cfg);
	return 0;
}
