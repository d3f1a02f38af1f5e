/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A dispatcher and a worker in one process (pair.h): the components are
 * started as the daemons start them, the worker pointed at the
 * dispatcher's bound worker port.
 */
#include "pogo/compat.h"

#include "pogo/cfg.h"
#include "pogo/dispatcher-engine.h"
#include "pogo/dispatcher-peer.h"
#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/exec-remote.h"
#include "pogo/http.h"
#include "pogo/log.h"
#include "pogo/pair.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

struct pogo_pair {
	struct pogo_dispatcher *d;
	struct pogo_worker *w;
	int status; /* the worker's stop status */
	void (*cb)(int status, void *arg);
	void *arg;
};

/* Point cfg's worker at addr, the dispatcher's worker port. */
static int
pair_worker_cfg(
    struct pogo_cfg *cfg, const struct sockaddr_storage *ss, char **cause)
{
	struct pogo_cfg_addr a;
	char addr[64];
	size_t i;
	int r;

	pogo_http_format_addr((const struct sockaddr *)ss, addr, sizeof(addr));
	if ((r = pogo_cfg_parse_addr(addr, false, &a, cause)) != 0)
		return r;
	for (i = 0; i < cfg->worker.ndispatchers; i++)
		pogo_cfg_addr_release(&cfg->worker.dispatchers[i]);
	free(cfg->worker.dispatchers);
	cfg->worker.dispatchers = xcalloc(1, sizeof(a));
	cfg->worker.dispatchers[0] = a;
	cfg->worker.ndispatchers = 1;
	return 0;
}

static void
pair_free(struct pogo_pair *p)
{
	void (*cb)(int, void *) = p->cb;
	void *arg = p->arg;
	int status = p->status;

	free(p);
	if (cb != NULL)
		cb(status, arg);
}

static void
pair_dispatcher_stopped_cb(void *arg)
{
	pair_free(arg);
}

static void
pair_worker_stopped_cb(struct pogo_worker *w, int status, void *arg)
{
	struct pogo_pair *p = arg;

	p->w = NULL;
	p->status = status;
	if (p->d != NULL)
		pogo_dispatcher_stop(p->d, pair_dispatcher_stopped_cb, p);
	else
		pair_free(p);
}

int
pogo_pair_start(uv_loop_t *loop, struct pogo_cfg *cfg,
    const struct pogo_worker_opts *wopts, const char *prefix,
    struct pogo_pair **pp, char **cause)
{
	struct pogo_pair *p;
	struct pogo_exec *remote;
	struct sockaddr_storage ss;
	int r;

	*pp = NULL;
	*cause = NULL;
	p = xcalloc(1, sizeof(*p));
	if ((r = pogo_dispatcher_start(loop, cfg, &p->d, cause)) != 0) {
		free(p);
		return r;
	}
	remote = pogo_dispatcher_engine_start(p->d, loop, cfg);
	if ((r = pogo_dispatcher_peer_start(p->d, loop, cfg, remote, cause)) !=
	    0)
		goto fail;
	if (prefix != NULL)
		pogo_exec_remote_set_prefix(remote, prefix);
	if ((r = pogo_dispatcher_worker_address(p->d, &ss)) != 0) {
		xasprintf(cause, "worker port: %s", pogo_strerror(r));
		goto fail;
	}
	if ((r = pair_worker_cfg(cfg, &ss, cause)) != 0 ||
	    (r = pogo_worker_start(loop, cfg, wopts, &p->w, cause)) != 0)
		goto fail;
	*pp = p;
	return 0;
fail:
	pogo_dispatcher_stop(p->d, pair_dispatcher_stopped_cb, p);
	return r;
}

void
pogo_pair_stop(
    struct pogo_pair *p, void (*cb)(int status, void *arg), void *arg)
{
	p->cb = cb;
	p->arg = arg;
	pogo_worker_stop(p->w, pair_worker_stopped_cb, p);
}

struct pogo_dispatcher *
pogo_pair_dispatcher(struct pogo_pair *p)
{
	return p->d;
}

struct pogo_worker *
pogo_pair_worker(struct pogo_pair *p)
{
	return p->w;
}
