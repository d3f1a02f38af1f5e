/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The API component (SPEC 11): a stateless HTTP/1.1 server in front of
 * the dispatcher's control port (SPEC 7.5).  It keeps no file-level
 * state, so that `pogo api` and `pogo dispatcher -a` run it on their
 * loop beside the other components.
 *
 *   pogo_api_start(loop, cfg, &a, &cause)
 *       checks the loopback rule (SPEC 10.1) for api.listen and listens
 *       there, logging "Listening on <host>:<port>".
 *   pogo_api_stop(a, cb, arg)
 *       stops listening, answers every request still waiting for the
 *       dispatcher with 503, then calls cb and frees a.
 *
 * It serves GET /status and every /v1/... request by forwarding it to
 * api.dispatcher (POST /v1/jobs as the control port's POST
 * /v1/jobsubmit, its answer put in the envelope of SPEC 11.5), the web
 * UI's files under /ui/ (ui.h) and GET / as a redirect to /ui/.  A
 * dispatcher that cannot be reached or answers garbage gives 500
 * "problem in communication with dispatcher: <detail>".
 */
#ifndef POGO_API_H
#define POGO_API_H

#include <sys/socket.h>
#include <uv.h>

struct pogo_api;
struct pogo_cfg;

/*
 * Start the API on loop with cfg (borrowed: it must outlive the API),
 * forwarding to upstream (NULL: api.dispatcher; pogo dispatcher -a
 * gives its own control port).  Loads the token file (api.auth token)
 * and the TLS files: call it before the loop runs.
 * Returns 0 and *ap, or a negative code and *cause (freed by the
 * caller): POGO_ERR_CONFIG for the loopback rule, a bad address, a TLS
 * item or the token file, or
 * a libuv error of bind or listen.  Nothing is left open on failure.
 */
int pogo_api_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    const struct sockaddr *upstream, struct pogo_api **ap, char **cause);

/* SIGHUP: re-read api.token_file (blocks); a bad file keeps the old. */
void pogo_api_reload(struct pogo_api *a);

/* Stop a (see above); cb(arg) (may be NULL) once a is freed.  Once. */
void pogo_api_stop(struct pogo_api *a, void (*cb)(void *arg), void *arg);

/*
 * Row i of the API's own route table (what it answers itself rather than
 * forwards): its method and pattern, both static.  Returns false past the
 * last row.  For the test that pogo-api(8) names every route.
 */
bool pogo_api_route(size_t i, const char **method, const char **pattern);

/* The bound address (port 0 resolved). */
int pogo_api_address(struct pogo_api *a, struct sockaddr_storage *ss);

#endif
