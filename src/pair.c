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
#include "pogo/log.h"
#include "pogo/pair.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

struct pogo_pair {
	struct pogo_dispatcher *d;
	struct pogo_worker *w;
	struct pogo_exec *remote; /* the engine's executor */
	uv_timer_t timer;         /* pogo_pair_ready()'s */
	unsigned hellos;          /* the worker's hellos so far */
	pogo_pair_ready_cb ready_cb;
	void *ready_arg;
	int status;  /* the worker's stop status */
	bool failed; /* the store failed to commit */
	pogo_pair_fatal_cb fatal_cb;
	void *fatal_arg;
	void (*cb)(int status, void *arg);
	void *arg;
};

static void pair_hello_cb(void *arg);

/* An address meaning "no port" (dispatcher.h). */
static void
pair_no_port(struct pogo_cfg_addr *a)
{
	pogo_cfg_addr_release(a);
	a->str = xstrdup("");
	a->host = xstrdup("");
}

/* The store failed (review3 finding 9): the owner stops the pair. */
static void
pair_fatal(struct pogo_dispatcher *d, void *arg)
{
	struct pogo_pair *p = arg;

	p->failed = true;
	if (p->fatal_cb != NULL)
		p->fatal_cb(p, p->fatal_arg);
}

/* The worker's way to the dispatcher: a socketpair, no port. */
static int
pair_link(void *arg, uv_os_sock_t *sockp)
{
	struct pogo_pair *p = arg;

	if (p->d == NULL)
		return UV_ECANCELED;
	return pogo_dispatcher_worker_link(p->d, sockp);
}

static void
pair_timer_closed_cb(uv_handle_t *h)
{
	struct pogo_pair *p = h->data;
	void (*cb)(int, void *) = p->cb;
	void *arg = p->arg;
	int status = p->status;

	free(p);
	if (cb != NULL)
		cb(status, arg);
}

static void
pair_free(struct pogo_pair *p)
{
	uv_close((uv_handle_t *)&p->timer, pair_timer_closed_cb);
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
	p->status = p->failed ? POGO_ERR_STORE : status;
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
	struct pogo_worker_opts wo;
	struct pogo_pair *p;
	struct pogo_exec *remote;
	int r;

	*pp = NULL;
	*cause = NULL;
	/* No control port, no worker port (review3 finding 1). */
	pair_no_port(&cfg->dispatcher.control_listen);
	pair_no_port(&cfg->dispatcher.worker_listen);
	p = xcalloc(1, sizeof(*p));
	if ((r = pogo_dispatcher_start(loop, cfg, &p->d, cause)) != 0) {
		free(p);
		return r;
	}
	uv_timer_init(loop, &p->timer);
	p->timer.data = p;
	pogo_dispatcher_set_fatal(p->d, pair_fatal, p);
	p->remote = remote = pogo_dispatcher_engine_start(p->d, loop, cfg);
	if ((r = pogo_dispatcher_peer_start(p->d, loop, cfg, remote, cause)) !=
	    0)
		goto fail;
	if (prefix != NULL)
		pogo_exec_remote_set_prefix(remote, prefix);
	pogo_exec_remote_on_hello(remote, pair_hello_cb, p);
	if (wopts != NULL)
		wo = *wopts;
	else
		memset(&wo, 0, sizeof(wo));
	wo.link = pair_link;
	wo.link_arg = p;
	if ((r = pogo_worker_start(loop, cfg, &wo, &p->w, cause)) != 0)
		goto fail;
	*pp = p;
	return 0;
fail:
	pogo_dispatcher_stop(p->d, pair_dispatcher_stopped_cb, p);
	return r;
}

/* pogo_pair_ready()'s answer, on its own loop turn. */
static void
pair_ready_timer_cb(uv_timer_t *tm)
{
	struct pogo_pair *p = tm->data;
	pogo_pair_ready_cb cb = p->ready_cb;

	if (cb == NULL)
		return;
	p->ready_cb = NULL;
	cb(p, p->hellos > 0 ? 0 : POGO_ERR_TIMEOUT, p->ready_arg);
}

/*
 * The dispatcher has the worker's hello (exec-remote.h): a waiting
 * pogo_pair_ready() is answered on the next loop turn, out of the peer
 * layer's event.
 */
static void
pair_hello_cb(void *arg)
{
	struct pogo_pair *p = arg;

	p->hellos++;
	if (p->ready_cb != NULL)
		uv_timer_start(&p->timer, pair_ready_timer_cb, 0, 0);
}

void
pogo_pair_ready(
    struct pogo_pair *p, uint64_t timeout_ms, pogo_pair_ready_cb cb, void *arg)
{
	POGO_ASSERT(p->ready_cb == NULL);
	p->ready_cb = cb;
	p->ready_arg = arg;
	uv_timer_start(
	    &p->timer, pair_ready_timer_cb, p->hellos > 0 ? 0 : timeout_ms, 0);
}

void
pogo_pair_stop(
    struct pogo_pair *p, void (*cb)(int status, void *arg), void *arg)
{
	uv_timer_stop(&p->timer);
	p->ready_cb = NULL;
	pogo_exec_remote_on_hello(p->remote, NULL, NULL);
	p->cb = cb;
	p->arg = arg;
	p->fatal_cb = NULL;
	/*
	 * After a failed commit nothing the worker reports can be recorded
	 * (the dispatcher holds its acknowledgements): no graceful stop.
	 */
	if (p->failed)
		pogo_worker_abort(p->w, pair_worker_stopped_cb, p);
	else
		pogo_worker_stop(p->w, pair_worker_stopped_cb, p);
}

void
pogo_pair_set_fatal(struct pogo_pair *p, pogo_pair_fatal_cb cb, void *arg)
{
	p->fatal_cb = cb;
	p->fatal_arg = arg;
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

void
pogo_pair_peaks(struct pogo_pair *p, unsigned *inflightp, unsigned *handshakesp)
{
	unsigned inflight;

	*inflightp = p->remote->peak_inflight;
	pogo_worker_peaks(p->w, &inflight, handshakesp);
}
