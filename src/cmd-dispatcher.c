/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo dispatcher: its options and its configuration are read and
 * checked (a bad one exits 2 with a message); the dispatcher itself is
 * not implemented yet, and after a valid configuration it says so (exit
 * 2) instead of pretending to work.
 */
#include "pogo/compat.h"

#include <getopt.h>

#include "pogo/cfg.h"
#include "pogo/cmd.h"

static int cmd_dispatcher_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_dispatcher = {
	.name = "dispatcher",
	.usage = "[-f FILE] [-o KEY=VALUE]... [-v]... [-a|--api] [--insecure]",
	.summary = "dispatcher daemon: jobs, scheduling, state",
	.flags = POGO_CMD_STUB | POGO_CMD_CONFIG | POGO_CMD_DAEMON,
	.main = cmd_dispatcher_main,
};

static int
cmd_dispatcher_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	enum { OPT_INSECURE = 256 };
	static const struct option longopts[] = {
		{ "api", no_argument, NULL, 'a' },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ NULL, 0, NULL, 0 },
	};
	struct pogo_cmd_daemon d = { 0 };
	struct pogo_cfg *cfg = NULL;
	bool api = false;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:o:va", longopts, NULL)) != -1) {
		if (pogo_cmd_daemon_option(&d, c, optarg))
			continue;
		switch (c) {
		case 'a':
			api = true;
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
	if ((r = pogo_cmd_daemon_load(&pogo_cmd_dispatcher, &d, &cfg)) != 0)
		goto out;
	(void)api;
	r = pogo_cmd_not_implemented(&pogo_cmd_dispatcher);
	goto out;
usage:
	pogo_cmd_usage(&pogo_cmd_dispatcher, stderr);
	r = POGO_EXIT_USAGE;
out:
	pogo_cfg_free(cfg);
	pogo_cmd_daemon_release(&d);
	return r;
}
