/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Scheduler benchmark: generate a fleet of N hosts in colos, racks of 40
 * and roles, with three sequences and per-value percentage constraints;
 * build the schedule; simulate a complete run in which every started task
 * finishes in a pseudo-random order (fixed seed).  Prints wall time, peak
 * RSS and bytes per host.  Usage: bench-sched N
 */
#include "pogo/compat.h"

#include <sys/resource.h>
#include <time.h>

#include "pogo/sched-config.h"
#include "pogo/sched.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

#define BENCH_COLOS 4
#define BENCH_RACK 40

struct bench {
	uint32_t *inflight;
	size_t n;
	uint64_t runs;
	bool done;
	enum pogo_sched_end end;
};

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_run_cb(struct pogo_sched *s, uint32_t t, void *arg)
{
	struct bench *b = arg;

	b->inflight[b->n++] = t;
	b->runs++;
}

static void
bench_done_cb(struct pogo_sched *s, enum pogo_sched_end end, void *arg)
{
	struct bench *b = arg;

	b->done = true;
	b->end = end;
}

/* Append to a growing text buffer. */
static void bench_printf(char **buf, size_t *len, size_t *cap, const char *fmt,
    ...) POGO_PRINTFLIKE(4, 5);

static void
bench_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < *cap - *len) {
			*len += (size_t)n;
			return;
		}
		*cap = *cap * 2 + (size_t)n + 1;
		*buf = xreallocarray(*buf, *cap, 1);
	}
}

/* The fleet's configuration: racks as range patterns keep the YAML small. */
static char *
bench_config(uint32_t nhosts, uint32_t *nracksp)
{
	static const char *roles[] = { "web", "db", "cache" };
	uint32_t nracks = (nhosts + BENCH_RACK - 1) / BENCH_RACK, r, c, k;
	size_t len = 0, cap = 1 << 16;
	char *y = xmalloc(cap);

	*nracksp = nracks;
	bench_printf(&y, &len, &cap, "tag:\n  colo:\n");
	for (c = 0; c < BENCH_COLOS; c++) {
		bench_printf(&y, &len, &cap, "    c%u:\n", c);
		for (r = c; r < nracks; r += BENCH_COLOS)
			bench_printf(&y, &len, &cap,
			    "      - \"r%06uh[01-%02u]\"\n", r, BENCH_RACK);
	}
	bench_printf(&y, &len, &cap, "  rack:\n");
	for (r = 0; r < nracks; r++)
		bench_printf(&y, &len, &cap,
		    "    r%06u: [\"r%06uh[01-%02u]\"]\n", r, r, BENCH_RACK);
	bench_printf(&y, &len, &cap, "  role:\n");
	for (k = 0; k < 3; k++) {
		bench_printf(&y, &len, &cap, "    %s:\n", roles[k]);
		for (r = k; r < nracks; r += 3)
			bench_printf(&y, &len, &cap,
			    "      - \"r%06uh[01-%02u]\"\n", r, BENCH_RACK);
	}
	bench_printf(&y, &len, &cap,
	    "sequence:\n"
	    "  $role.db: [$colo.c0, $colo.c1, $colo.c2, $colo.c3]\n"
	    "  $role.web: [$colo.c0, $colo.c1, $colo.c2, $colo.c3]\n"
	    "  $role.cache: [$colo.c3, $colo.c2, $colo.c1, $colo.c0]\n"
	    "constraint:\n"
	    "  $colo:\n    max_parallel: 2%%\n"
	    "  $rack:\n    max_parallel: 25%%\n"
	    "  $role:\n    max_parallel: 1%%\n");
	return y;
}

static long
bench_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int
main(int argc, char **argv)
{
	static const struct pogo_sched_cbs cbs = { .run = bench_run_cb,
		.done = bench_done_cb };
	struct pogo_sched_config *cfg = NULL;
	struct pogo_sched *s = NULL;
	struct pogo_strv hosts = { 0 };
	struct bench b = { 0 };
	uint64_t seed = 88172645463325252ull;
	uint32_t nhosts, nracks, r, h, i;
	double t0, t1, t2, t3, tp, tb, tc;
	long long v;
	long rss0, rss;
	char *yaml, *cause = NULL, name[32];
	const char *fault = getenv("POGO_BENCH_FAULT");
	size_t idx;

	if (argc != 2 || pogo_strtonum(argv[1], 1, 10000000, &v) != 0) {
		fprintf(stderr, "usage: bench-sched N\n");
		return 2;
	}
	nhosts = (uint32_t)v;
	rss0 = bench_rss_kb();
	t0 = bench_now();
	yaml = bench_config(nhosts, &nracks);
	/* The job: every host of the fleet, in name order. */
	for (r = 0, i = 0; r < nracks; r++) {
		for (h = 1; h <= BENCH_RACK && i < nhosts; h++, i++) {
			snprintf(name, sizeof(name), "r%06uh%02u", r, h);
			pogo_strv_push(&hosts, name);
		}
	}
	tp = bench_now();
	if (pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause) != 0) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	tb = bench_now();
	if (pogo_sched_config_build(cfg, &cause) != 0) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	tc = bench_now();
	free(yaml);
	if (pogo_sched_new(cfg, &hosts, NULL, NULL, &cbs, &b, &s, &cause) !=
	    0) {
		fprintf(stderr, "bench: %s\n", cause);
		return 1;
	}
	pogo_strv_clear(&hosts);
	t1 = bench_now();
	b.inflight = xreallocarray(NULL, nhosts + 1, sizeof(*b.inflight));
	pogo_sched_start(s);
	t2 = bench_now();
	/*
	 * POGO_BENCH_FAULT proves that test/bench/sched.sh fails on a broken
	 * run: "crash" aborts, "drop" never finishes the last task.
	 */
	if (fault != NULL && strcmp(fault, "crash") == 0)
		abort();
	while (b.n > 0) {
		if (fault != NULL && strcmp(fault, "drop") == 0 && b.n == 1)
			break;
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		idx = (size_t)(seed % b.n);
		i = b.inflight[idx];
		b.inflight[idx] = b.inflight[--b.n];
		pogo_sched_task_finished(s, i, POGO_SCHED_OK);
	}
	t3 = bench_now();
	rss = bench_rss_kb();
	if (!b.done || b.end != POGO_SCHED_FINISHED || b.runs != nhosts) {
		fprintf(stderr, "bench: run incomplete (%" PRIu64 " of %u)\n",
		    b.runs, nhosts);
		return 1;
	}
	printf("hosts=%u racks=%u groups=%u build=%.3fs run=%.3fs "
	       "total=%.3fs peak_rss=%.1fMB bytes_per_host=%.0f "
	       "(above start: %.0f) [generate %.3fs, parse %.3fs, "
	       "config %.3fs, schedule %.3fs]\n",
	    nhosts, nracks, pogo_sched_ngroups(s), t1 - t0, t3 - t2, t3 - t0,
	    (double)rss / 1024, (double)rss * 1024 / nhosts,
	    (double)(rss - rss0) * 1024 / nhosts, tp - t0, tb - tp, tc - tb,
	    t1 - tc);
	pogo_sched_free(s);
	pogo_sched_config_free(cfg);
	free(b.inflight);
	return 0;
}
