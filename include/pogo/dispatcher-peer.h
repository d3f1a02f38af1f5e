/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The dispatcher's worker port: peer.c's server (peer.h) plugged into a
 * dispatcher component (dispatcher.h) as its worker connection layer
 * (pogo_dispatcher_set_peer).  It listens on dispatcher.worker_listen,
 * logs "Listening on <host>:<port>" (an empty worker_listen: no port,
 * only workers of this process, pogo_dispatcher_worker_link()), keeps the registry of workers that
 * said hello (GET /status lists them, N-001) and is stopped by the
 * dispatcher after its engine.
 *
 * The engine's remote executor (exec-remote.h), when given, hears every
 * event of the peer server until the layer stops; it learns the bound
 * address, the prefix of task ids (SPEC 7.2).  Without one, no command is
 * sent to a worker, and a report that arrives is logged and acknowledged,
 * as a report for a task this dispatcher does not know would be.
 */
#ifndef POGO_DISPATCHER_PEER_H
#define POGO_DISPATCHER_PEER_H

#include <uv.h>

struct pogo_cfg;
struct pogo_dispatcher;
struct pogo_exec;

/*
 * Listen on cfg->dispatcher.worker_listen (cfg borrowed: it must outlive
 * the layer) and plug the layer into d, which owns it from then on: it is
 * closed and freed by pogo_dispatcher_stop().  Returns 0, or an error
 * with *cause for the caller to print and free (the loopback rule, TLS,
 * bind or listen: "worker port <addr>: address already in use").
 */
int pogo_dispatcher_peer_start(struct pogo_dispatcher *d, uv_loop_t *loop,
    const struct pogo_cfg *cfg, struct pogo_exec *remote, char **cause);

#endif
