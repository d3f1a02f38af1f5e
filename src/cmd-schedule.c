/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo schedule CONFIG [--targets LIST] [--resolver-path PATH]: print the
 * schedule table of a configuration, or of a job on LIST (SPEC 4).  The
 * scheduler with no I/O; external resolvers run on a loop first.
 */
#include "pogo/compat.h"

#include <getopt.h>

#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/proc.h"
#include "pogo/resolver.h"
#include "pogo/sched-config.h"
#include "pogo/sched-table.h"
#include "pogo/sched.h"
#include "pogo/strtab.h"
#include "pogo/target.h"
#include "pogo/xmalloc.h"

#define SCHEDULE_DEFAULT_RESOLVERS "/etc/pogo/resolvers"
#define SCHEDULE_MAX_CONFIG (64 * 1024 * 1024)

static int cmd_schedule_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_schedule = {
	.name = "schedule",
	.usage = "CONFIG [--targets LIST] [--resolver-path PATH]",
	.summary = "print the schedule (threads, slots, hosts) of a "
	           "configuration",
	.flags = 0,
	.main = cmd_schedule_main,
};

static void
schedule_resolved_cb(struct pogo_resolver *res, int status, void *arg)
{
	*(int *)arg = status;
}

/* The hosts of the whole configuration: configured and slot hosts. */
static void
schedule_all_hosts(const struct pogo_sched_config *cfg, struct pogo_strv *h)
{
	const struct pogo_strtab *st = pogo_sched_config_hosts(cfg);
	const uint32_t *v;
	size_t i, n, th, sl;

	n = pogo_sched_config_nconfigured(cfg);
	for (i = 0; i < n; i++)
		pogo_strv_push(h, pogo_strtab_get(st, (uint32_t)i));
	for (th = 0; th < pogo_sched_config_nthreads(cfg); th++) {
		for (sl = 0; sl < pogo_sched_config_nslots(cfg, th); sl++) {
			v = pogo_sched_config_slot_hosts(cfg, th, sl, &n);
			for (i = 0; i < n; i++)
				pogo_strv_push(h, pogo_strtab_get(st, v[i]));
		}
	}
}

/* Resolve the external references of cfg on a private loop. */
static int
schedule_resolve(struct pogo_sched_config *cfg, const char *path)
{
	uv_loop_t loop;
	int r, status = -1;

	if (pogo_sched_config_nrefs(cfg) == 0)
		return 0;
	if ((r = pogo_proc_loop_init(&loop)) != 0)
		return r;
	r = pogo_resolver_run(
	    &loop, cfg, path, 0, schedule_resolved_cb, &status);
	if (r == 0)
		uv_run(&loop, UV_RUN_DEFAULT);
	if (pogo_proc_loop_close(&loop) != 0 && r == 0)
		r = POGO_ERR_STATE;
	return r != 0 ? r : status;
}

static int
cmd_schedule_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "targets", required_argument, NULL, 't' },
		{ "resolver-path", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	static const struct pogo_sched_cbs cbs = { 0 };
	struct pogo_sched_config *cfg = NULL;
	struct pogo_sched *s = NULL;
	struct pogo_strv hosts = { 0 };
	const char *targets = NULL, *path = SCHEDULE_DEFAULT_RESOLVERS;
	char *text = NULL, *cause = NULL, *table = NULL;
	size_t len;
	int c, r, ret = POGO_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			targets = optarg;
			break;
		case 'R':
			path = optarg;
			break;
		default:
			pogo_cmd_usage(&pogo_cmd_schedule, stderr);
			return POGO_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		pogo_cmd_usage(&pogo_cmd_schedule, stderr);
		return POGO_EXIT_USAGE;
	}
	if ((r = pogo_str_read_file(
	         argv[optind], SCHEDULE_MAX_CONFIG, &text, &len)) != 0) {
		fprintf(stderr, "pogo schedule: %s: %s\n", argv[optind],
		    pogo_strerror(r));
		goto out;
	}
	if (pogo_sched_config_parse(text, len, &cfg, &cause) != 0)
		goto out;
	if ((r = schedule_resolve(cfg, path)) != 0) {
		fprintf(
		    stderr, "pogo schedule: resolvers: %s\n", pogo_strerror(r));
		goto out;
	}
	if (pogo_sched_config_build(cfg, &cause) != 0)
		goto out;
	if (targets != NULL) {
		if (pogo_target_parse(targets, &hosts, &cause) != 0)
			goto out;
	} else
		schedule_all_hosts(cfg, &hosts);
	if (pogo_sched_new(cfg, &hosts, NULL, NULL, &cbs, NULL, &s, &cause) !=
	    0)
		goto out;
	table = pogo_sched_table(s, UINT32_MAX);
	fputs(table, stdout);
	ret = fflush(stdout) == 0 ? POGO_EXIT_OK : POGO_EXIT_FAIL;
out:
	if (cause != NULL)
		fprintf(stderr, "%s\n", cause);
	free(cause);
	free(table);
	free(text);
	pogo_sched_free(s);
	pogo_sched_config_free(cfg);
	pogo_strv_clear(&hosts);
	return ret;
}
