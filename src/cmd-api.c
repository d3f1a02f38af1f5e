/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo api (SPEC 11.1, 12.6): options and configuration, then the API
 * component (api.h) run through proc.c (signals, log and pid files).
 * SIGTERM and SIGINT stop it gracefully (exit 0 when the loop closed
 * cleanly); a configuration that cannot work (the loopback rule) exits
 * 2, another start-up failure 1.
 */
#include "pogo/compat.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "pogo/api.h"
#include "pogo/cfg.h"
#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/proc.h"

static int cmd_api_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_api = {
	.name = "api",
	.usage = "[-f FILE] [-o KEY=VALUE]... [-v]... [--listen HOST:PORT] "
	         "[--insecure]",
	.summary = "HTTP API server and web UI",
	.flags = POGO_CMD_CONFIG | POGO_CMD_LOOP | POGO_CMD_DAEMON,
	.main = cmd_api_main,
};

enum { OPT_LISTEN = POGO_CMD_OPT_INSECURE + 1 };

/* SIGHUP: re-read the token file. */
static void
cmd_api_hup(struct pogo_proc *p, void *arg)
{
	struct pogo_api **ap = arg;

	if (*ap != NULL)
		pogo_api_reload(*ap);
}

/* SIGTERM or SIGINT: stop the component; the loop then ends. */
static void
cmd_api_stop(struct pogo_proc *p, int signum, void *arg)
{
	struct pogo_api **ap = arg;

	if (*ap != NULL)
		pogo_api_stop(*ap, NULL, NULL);
	*ap = NULL;
}

static int
cmd_api_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "insecure", no_argument, NULL, POGO_CMD_OPT_INSECURE },
		{ NULL, 0, NULL, 0 },
	};
	struct pogo_cmd_daemon opt = { 0 };
	struct pogo_proc_opts po = { 0 };
	struct pogo_proc *p = NULL;
	struct pogo_api *a = NULL;
	struct pogo_cfg *cfg = NULL;
	struct pogo_cfg_addr listen;
	const char *listen_arg = NULL;
	char *cause = NULL;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = pogo_cmd_daemon_getopt(
	            &opt, argc, argv, "+f:o:v", longopts)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			listen_arg = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((r = pogo_cmd_daemon_load(&pogo_cmd_api, &opt, &cfg)) != 0)
		goto out;
	if (listen_arg != NULL) {
		/* --listen replaces api.listen of the file and of -o. */
		if (pogo_cfg_parse_addr(listen_arg, true, &listen, &cause) !=
		    0) {
			fprintf(stderr, "pogo api: --listen %s\n", cause);
			r = POGO_EXIT_USAGE;
			goto out;
		}
		pogo_cfg_addr_release(&cfg->api.listen);
		cfg->api.listen = listen;
	}
	pogo_log_set_role("api");
	pogo_log_level = cfg->log_level;
	po.log_file = cfg->log_file;
	po.pid_file = cfg->pid_file;
	po.stop = cmd_api_stop;
	po.hup = cmd_api_hup;
	po.arg = &a;
	if (pogo_proc_new(&po, &p, &cause) != 0) {
		fprintf(stderr, "pogo api: %s\n", cause);
		r = POGO_EXIT_FAIL;
		goto out;
	}
	if ((r = pogo_api_start(pogo_proc_loop(p), cfg, NULL, &a, &cause)) !=
	    0) {
		fprintf(stderr, "pogo api: %s\n", cause);
		if (cfg->log_file[0] != '\0')
			log_error("%s", cause);
		pogo_proc_run(p);
		pogo_proc_free(p);
		r = r == POGO_ERR_CONFIG ? POGO_EXIT_USAGE : POGO_EXIT_FAIL;
		goto out;
	}
	pogo_proc_run(p);
	r = pogo_proc_free(p) == 0 ? POGO_EXIT_OK : POGO_EXIT_FAIL;
	goto out;
usage:
	pogo_cmd_usage(&pogo_cmd_api, stderr);
	r = POGO_EXIT_USAGE;
out:
	free(cause);
	pogo_cfg_free(cfg);
	pogo_cmd_daemon_release(&opt);
	return r;
}
