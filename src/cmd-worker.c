/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo worker: options and configuration (a bad one exits 2 with a
 * message), then the worker component (worker.h) on a daemon's loop
 * (proc.h) until SIGTERM or SIGINT has stopped it gracefully: exit 0, or
 * 1 when it could not start or left reports undelivered.
 */
#include "pogo/compat.h"

#include <getopt.h>

#include "pogo/cfg.h"
#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/proc.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

static int cmd_worker_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_worker = {
	.name = "worker",
	.usage = "[-f FILE] [-o KEY=VALUE]... [-v]... [--dispatcher "
	         "HOST:PORT]... [--insecure]",
	.summary = "worker daemon: runs tasks over SSH",
	.flags = POGO_CMD_CONFIG | POGO_CMD_LOOP | POGO_CMD_DAEMON,
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

struct worker_main {
	struct pogo_worker *w;
	int status;
};

static void
worker_stopped(struct pogo_worker *w, int status, void *arg)
{
	struct worker_main *wm = arg;

	wm->w = NULL;
	wm->status = status;
}

static void
worker_signal_stop(struct pogo_proc *p, int signum, void *arg)
{
	struct worker_main *wm = arg;

	if (wm->w != NULL)
		pogo_worker_stop(wm->w, worker_stopped, wm);
}

/* Run the worker until it has stopped; returns the exit status. */
static int
worker_run(const struct pogo_cfg *cfg)
{
	struct worker_main wm = { NULL, 0 };
	struct pogo_proc_opts po = { .log_file = cfg->log_file,
		.pid_file = cfg->pid_file,
		.stop = worker_signal_stop,
		.arg = &wm };
	struct pogo_proc *p = NULL;
	char *cause = NULL;
	int r;

	pogo_log_level = cfg->log_level;
	if ((r = pogo_proc_new(&po, &p, &cause)) != 0) {
		fprintf(stderr, "pogo worker: %s\n", cause);
		free(cause);
		return POGO_EXIT_FAIL;
	}
	if ((r = pogo_worker_start(
	         pogo_proc_loop(p), cfg, NULL, &wm.w, &cause)) != 0) {
		log_error("%s", cause);
		free(cause);
		pogo_proc_free(p);
		/* An invalid configuration (a TLS item) is 2 (SPEC 1.7). */
		return r == POGO_ERR_CONFIG ? POGO_EXIT_USAGE : POGO_EXIT_FAIL;
	}
	pogo_proc_run(p);
	r = wm.w == NULL && wm.status == 0 ? POGO_EXIT_OK : POGO_EXIT_FAIL;
	if (pogo_proc_free(p) != 0)
		r = POGO_EXIT_FAIL;
	return r;
}

static int
cmd_worker_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	enum { OPT_DISPATCHER = POGO_CMD_OPT_INSECURE + 1 };
	static const struct option longopts[] = {
		{ "dispatcher", required_argument, NULL, OPT_DISPATCHER },
		{ "insecure", no_argument, NULL, POGO_CMD_OPT_INSECURE },
		{ NULL, 0, NULL, 0 },
	};
	struct pogo_cmd_daemon d = { 0 };
	struct pogo_cfg *cfg = NULL;
	char **disp = NULL;
	size_t ndisp = 0;
	int c, r;

	opterr = 0;
	optind = 1;
	while ((c = pogo_cmd_daemon_getopt(
	            &d, argc, argv, "+f:o:v", longopts)) != -1) {
		switch (c) {
		case OPT_DISPATCHER:
			disp = xreallocarray(disp, ndisp + 1, sizeof(*disp));
			disp[ndisp++] = optarg;
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
	r = worker_run(cfg);
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
