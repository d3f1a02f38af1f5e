/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo dispatcher (SPEC 7.1, 12.6): options and configuration, then the
 * dispatcher component run through proc.c (signals, log and pid files).
 * SIGTERM and SIGINT stop it gracefully (exit 0 when the loop closed
 * cleanly); a start-up failure exits 1.  With -a the API component
 * (api.h) runs in the same process, forwarding to this dispatcher's
 * control port.
 */
#include "pogo/compat.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "pogo/api.h"
#include "pogo/cfg.h"
#include "pogo/cmd.h"
#include "pogo/dispatcher-engine.h"
#include "pogo/dispatcher-peer.h"
#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/proc.h"

static int cmd_dispatcher_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_dispatcher = {
	.name = "dispatcher",
	.usage = "[-f FILE] [-o KEY=VALUE]... [-v]... [-a|--api] [--insecure]",
	.summary = "dispatcher daemon: jobs, scheduling, state",
	.flags = POGO_CMD_CONFIG | POGO_CMD_LOOP | POGO_CMD_DAEMON,
	.main = cmd_dispatcher_main,
};

/* The running component: NULL once it is stopping. */
struct cmd_dispatcher {
	struct pogo_dispatcher *d;
	struct pogo_api *api; /* -a */
	bool failed;          /* its store failed: exit with a failure */
};

/* SIGTERM or SIGINT: stop the component; the loop then ends. */
static void
cmd_dispatcher_stop(struct pogo_proc *p, int signum, void *arg)
{
	struct cmd_dispatcher *cd = arg;

	if (cd->api != NULL)
		pogo_api_stop(cd->api, NULL, NULL);
	cd->api = NULL;
	if (cd->d != NULL)
		pogo_dispatcher_stop(cd->d, NULL, NULL);
	cd->d = NULL;
}

/* SIGHUP: the API re-reads its token file. */
static void
cmd_dispatcher_hup(struct pogo_proc *p, void *arg)
{
	struct cmd_dispatcher *cd = arg;

	if (cd->api != NULL)
		pogo_api_reload(cd->api);
}

/* The store failed to commit: stop as on SIGTERM, then fail. */
static void
cmd_dispatcher_fatal(struct pogo_dispatcher *d, void *arg)
{
	struct cmd_dispatcher *cd = arg;

	cd->failed = true;
	cmd_dispatcher_stop(NULL, 0, cd);
}

static int
cmd_dispatcher_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct option longopts[] = {
		{ "api", no_argument, NULL, 'a' },
		{ "insecure", no_argument, NULL, POGO_CMD_OPT_INSECURE },
		{ NULL, 0, NULL, 0 },
	};
	struct pogo_cmd_daemon opt = { 0 };
	struct pogo_proc_opts po = { 0 };
	struct pogo_proc *p = NULL;
	struct cmd_dispatcher cd = { 0 };
	struct pogo_exec *remote;
	struct pogo_cfg *cfg = NULL;
	struct sockaddr_storage control;
	char *cause = NULL;
	bool api = false;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = pogo_cmd_daemon_getopt(
	            &opt, argc, argv, "+f:o:va", longopts)) != -1) {
		switch (c) {
		case 'a':
			api = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((r = pogo_cmd_daemon_load(&pogo_cmd_dispatcher, &opt, &cfg)) != 0)
		goto out;
	pogo_log_set_role("dispatcher");
	pogo_log_level = cfg->log_level;
	po.log_file = cfg->log_file;
	po.pid_file = cfg->pid_file;
	po.stop = cmd_dispatcher_stop;
	po.hup = cmd_dispatcher_hup;
	po.arg = &cd;
	if (pogo_proc_new(&po, &p, &cause) != 0) {
		fprintf(stderr, "pogo dispatcher: %s\n", cause);
		r = POGO_EXIT_FAIL;
		goto out;
	}
	if ((r = pogo_dispatcher_start(
	         pogo_proc_loop(p), cfg, &cd.d, &cause)) != 0) {
		fprintf(stderr, "pogo dispatcher: %s\n", cause);
		if (cfg->log_file[0] != '\0')
			log_error("%s", cause);
		/* Let what the failed start closed finish closing. */
		pogo_proc_run(p);
		pogo_proc_free(p);
		/* An invalid configuration (the loopback rule, TLS) is 2. */
		r = r == POGO_ERR_CONFIG ? POGO_EXIT_USAGE : POGO_EXIT_FAIL;
		goto out;
	}
	remote = pogo_dispatcher_engine_start(cd.d, pogo_proc_loop(p), cfg);
	if (pogo_dispatcher_peer_start(
	        cd.d, pogo_proc_loop(p), cfg, remote, &cause) != 0) {
		fprintf(stderr, "pogo dispatcher: %s\n", cause);
		if (cfg->log_file[0] != '\0')
			log_error("%s", cause);
		pogo_dispatcher_stop(cd.d, NULL, NULL);
		/* A signal while it stops must not stop it again. */
		cd.d = NULL;
		pogo_proc_run(p);
		pogo_proc_free(p);
		r = POGO_EXIT_FAIL;
		goto out;
	}
	pogo_dispatcher_set_fatal(cd.d, cmd_dispatcher_fatal, &cd);
	if (api) {
		pogo_dispatcher_control_address(cd.d, &control);
		if ((r = pogo_api_start(pogo_proc_loop(p), cfg,
		         (struct sockaddr *)&control, &cd.api, &cause)) != 0) {
			fprintf(stderr, "pogo dispatcher: %s\n", cause);
			if (cfg->log_file[0] != '\0')
				log_error("%s", cause);
			cmd_dispatcher_stop(NULL, 0, &cd);
			pogo_proc_run(p);
			pogo_proc_free(p);
			r = r == POGO_ERR_CONFIG ? POGO_EXIT_USAGE
			                         : POGO_EXIT_FAIL;
			goto out;
		}
	}
	pogo_proc_run(p);
	r = pogo_proc_free(p) == 0 && !cd.failed ? POGO_EXIT_OK
	                                         : POGO_EXIT_FAIL;
	goto out;
usage:
	pogo_cmd_usage(&pogo_cmd_dispatcher, stderr);
	r = POGO_EXIT_USAGE;
out:
	free(cause);
	pogo_cfg_free(cfg);
	pogo_cmd_daemon_release(&opt);
	return r;
}
