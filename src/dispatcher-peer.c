/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The worker port of a dispatcher (dispatcher-peer.h): a peer server and
 * the table of pogo_dispatcher_set_peer() around it.  The layer's memory
 * goes with the server's close callback.
 */
#include "pogo/compat.h"

#include "pogo/cfg.h"
#include "pogo/dispatcher-peer.h"
#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/exec-remote.h"
#include "pogo/http.h"
#include "pogo/log.h"
#include "pogo/peer.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

struct dpeer {
	struct pogo_peer_server *srv;
	struct pogo_exec *remote; /* the engine's executor, or NULL */
	void (*done)(void *darg);
	void *darg;
};

static void
dpeer_up(struct pogo_peer_server *srv, struct pogo_peer_worker *w, void *arg)
{
	struct dpeer *dp = arg;

	/* peer.c logged the hello. */
	if (dp->remote != NULL)
		pogo_exec_remote_up(dp->remote, w);
}

static void
dpeer_lost(struct pogo_peer_server *srv, struct pogo_peer_worker *w, int status,
    void *arg)
{
	struct dpeer *dp = arg;

	/* Without an engine no command was ever queued. */
	if (dp->remote != NULL)
		pogo_exec_remote_lost(dp->remote, w, status);
}

static void
dpeer_report(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *arg)
{
	struct dpeer *dp = arg;

	if (dp->remote != NULL) {
		pogo_exec_remote_report(dp->remote, w, m);
		return;
	}
	if (m->type == POGO_MSG_TASK_OUTPUT)
		return;
	log_info("worker %s: %s for unknown task %s: acknowledged and ignored",
	    pogo_peer_worker_name(w), pogo_proto_type_name(m->type),
	    m->task_id);
	pogo_peer_worker_ack(w);
}

static void
dpeer_reply(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *cookie, void *arg)
{
	struct dpeer *dp = arg;

	if (dp->remote != NULL)
		pogo_exec_remote_reply(dp->remote, w, m, cookie);
	else
		pogo_exec_remote_release(cookie);
}

static const struct pogo_peer_server_cbs dpeer_cbs = { dpeer_up, dpeer_lost,
	dpeer_report, dpeer_reply, pogo_exec_remote_release };

static void
dpeer_workers(struct pogo_dispatcher *d,
    void (*fn)(const char *worker, void *fnarg), void *fnarg, void *arg)
{
	struct dpeer *dp = arg;

	pogo_peer_server_describe(dp->srv, fn, fnarg);
}

static void
dpeer_closed(struct pogo_peer_server *srv, int status, void *arg)
{
	struct dpeer *dp = arg;
	void (*done)(void *darg) = dp->done;
	void *darg = dp->darg;

	if (dp->remote != NULL)
		pogo_exec_remote_detach(dp->remote);
	free(dp);
	if (done != NULL)
		done(darg);
}

static void
dpeer_stop(
    struct pogo_dispatcher *d, void (*done)(void *darg), void *darg, void *arg)
{
	struct dpeer *dp = arg;

	dp->done = done;
	dp->darg = darg;
	pogo_peer_server_close(dp->srv, dpeer_closed, dp);
}

static int
dpeer_address(struct pogo_dispatcher *d, struct sockaddr_storage *ss, void *arg)
{
	struct dpeer *dp = arg;

	return pogo_peer_server_address(dp->srv, ss);
}

static int
dpeer_link(struct pogo_dispatcher *d, uv_os_sock_t *sockp, void *arg)
{
	struct dpeer *dp = arg;

	return pogo_peer_server_link(dp->srv, sockp);
}

static const struct pogo_dispatcher_peer dpeer_table = { dpeer_workers,
	dpeer_stop, dpeer_address, dpeer_link };

int
pogo_dispatcher_peer_start(struct pogo_dispatcher *d, uv_loop_t *loop,
    const struct pogo_cfg *cfg, struct pogo_exec *remote, char **cause)
{
	struct pogo_peer_server_opts o;
	struct pogo_tls_opts to;
	struct sockaddr_storage ss;
	struct dpeer *dp;
	char *why = NULL, addr[64];
	int r;

	*cause = NULL;
	pogo_peer_server_opts_init(&o);
	/* No worker port: workers of this process only (link). */
	o.listen = cfg->dispatcher.worker_listen.str[0] != '\0'
	    ? cfg->dispatcher.worker_listen.str
	    : NULL;
	o.insecure = cfg->insecure;
	if (pogo_tls_opts_from_cfg(&to, cfg))
		o.tls = &to;
	dp = xcalloc(1, sizeof(*dp));
	if ((r = pogo_peer_server_new(
	         loop, &o, &dpeer_cbs, dp, &dp->srv, &why)) != 0) {
		/* The dispatcher checked the address, the rule and TLS. */
		xasprintf(cause, "worker port %s: %s",
		    cfg->dispatcher.worker_listen.str,
		    r > POGO_ERR_CONFIG ? pogo_strerror(r) : why);
		free(why);
		free(dp);
		return r;
	}
	if (pogo_peer_server_address(dp->srv, &ss) == 0) {
		pogo_http_format_addr(
		    (struct sockaddr *)&ss, addr, sizeof(addr));
		log_info("Listening on %s", addr);
		if (remote != NULL)
			pogo_exec_remote_set_prefix(remote, addr);
	}
	if ((dp->remote = remote) != NULL)
		pogo_exec_remote_attach(remote);
	pogo_dispatcher_set_peer(d, &dpeer_table, dp);
	return 0;
}
