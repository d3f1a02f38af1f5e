/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo worker: its options and its configuration are read and checked (a
 * bad one exits 2 with a message); the worker itself is not implemented
 * yet, and after a valid configuration it says so (exit 2) instead of
 * pretending to work.
 */
#include "pogo/compat.h"

#include <getopt.h>

#include "pogo/cfg.h"
#include "pogo/cmd.h"
#include "pogo/xmalloc.h"

static int cmd_worker_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_worker = {
	.name = "worker",
	.usage = "[-f FILE] [-o KEY=VALUE]... [-v]... [--dispatcher "
	         "HOST:PORT]... [--insecure]",
	.summary = "worker daemon: runs tasks over SSH",
	.flags = POGO_CMD_STUB | POGO_CMD_CONFIG | POGO_CMD_DAEMON,
	.main = cmd_worker_main,
};

/* --dispatcher replaces worker.dispatchers of the file and of -o. */
static int
worker_set_dispatchers(struct pogo_cfg *cfg, char **v, size_t n)
{
	struct pogo_cfg_addr *addrs;
	char *cause;
	size_t i, j;

	if (n > POGO_CFG_MAX_DISPATCHERS) {
		fprintf(stderr, "pogo worker: more than %d --dispatcher\n",
		    POGO_CFG_MAX_DISPATCHERS);
		return POGO_EXIT_USAGE;
	}
	addrs = xcalloc(n, sizeof(*addrs));
	for (i = 0; i < n; i++) {
		if (pogo_cfg_parse_addr(v[i], false, &addrs[i], &cause) != 0) {
			fprintf(
			    stderr, "pogo worker: --dispatcher %s\n", cause);
			free(cause);
			for (j = 0; j < i; j++)
				pogo_cfg_addr_release(&addrs[j]);
			free(addrs);
			return POGO_EXIT_USAGE;
		}
	}
	for (i = 0; i < cfg->worker.ndispatchers; i++)
		pogo_cfg_addr_release(&cfg->worker.dispatchers[i]);
	free(cfg->worker.dispatchers);
	cfg->worker.dispatchers = addrs;
	cfg->worker.ndispatchers = n;
	return POGO_EXIT_OK;
}

static int
cmd_worker_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	enum { OPT_INSECURE = 256, OPT_DISPATCHER };
	static const struct option longopts[] = {
		{ "dispatcher", required_argument, NULL, OPT_DISPATCHER },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ NULL, 0, NULL, 0 },
	};
	struct pogo_cmd_daemon d = { 0 };
	struct pogo_cfg *cfg = NULL;
	char **disp = NULL;
	size_t ndisp = 0;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:o:v", longopts, NULL)) != -1) {
		if (pogo_cmd_daemon_option(&d, c, optarg))
			continue;
		switch (c) {
		case OPT_DISPATCHER:
			disp = xreallocarray(disp, ndisp + 1, sizeof(*disp));
			disp[ndisp++] = optarg;
			break;
		case OPT_INSECURE:
			d.insecure = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((r = pogo_cmd_daemon_load(&pogo_cmd_worker, &d, &cfg)) != 0)
		goto out;
	if (ndisp > 0 &&
	    (r = worker_set_dispatchers(cfg, disp, ndisp)) != POGO_EXIT_OK)
		goto out;
	r = pogo_cmd_not_implemented(&pogo_cmd_worker);
	goto out;
usage:
	pogo_cmd_usage(&pogo_cmd_worker, stderr);
	r = POGO_EXIT_USAGE;
out:
	free(disp);
	pogo_cfg_free(cfg);
	pogo_cmd_daemon_release(&d);
	return r;
}
