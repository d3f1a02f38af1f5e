/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The worker component (worker.h): a peer client (peer.h) to every
 * dispatcher of the configuration, de-duplication of runs by task id
 * (dedup.h), and the graceful stop of SPEC 9.  Everything lives in
 * struct pogo_worker; callbacks reach it through their arg.
 */
#include "pogo/compat.h"

#include "pogo/cfg.h"
#include "pogo/dedup.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/peer.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

/* Finished task ids remembered for repeated runs and taskstatus. */
#define WORKER_DEDUP_DONE 4096

struct pogo_worker {
	struct pogo_clock *clock;
	bool own_clock;
	struct pogo_peer_client *cl;
	struct pogo_dedup *dedup;
	unsigned max_tasks;
	unsigned running;
	bool stopping;
	bool finishing;
	uint64_t stop_ms;
	struct pogo_clock_timer *deadline;
	int stop_status;
	pogo_worker_stop_cb stop_cb;
	void *stop_arg;
};

static double
worker_wall(void)
{
	uv_timeval64_t tv;

	if (uv_gettimeofday(&tv) != 0)
		return 0;
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* A task that never ran is reported done at once (SPEC 8.3). */
static void
worker_report_done(
    struct pogo_peer_link *l, const char *task_id, int rc, const char *message)
{
	struct pogo_msg m;

	pogo_proto_msg_init(&m, POGO_MSG_TASK_DONE);
	m.task_id = (char *)task_id;
	m.rc = rc;
	m.state = POGO_EXEC_FAILED;
	m.message = (char *)message;
	m.started_at = -1;
	m.finished_at = worker_wall();
	m.nrecords_total = 0;
	pogo_peer_link_report(l, &m);
}

static void
worker_run(struct pogo_worker *w, struct pogo_peer_link *l, struct pogo_msg *m)
{
	const char *name = m->task.task_name != NULL ? m->task.task_name : "";
	char *text;

	if (w->stopping) {
		pogo_peer_link_reply(l, m->task_id, 1, "busy", -1);
		return;
	}
	switch (pogo_dedup_see(w->dedup, m->task_id)) {
	case POGO_DEDUP_RUNNING:
	case POGO_DEDUP_DONE:
		/* A resend: acknowledged, not run again (N-DEDUP). */
		log_debug("task %s: repeated run acknowledged", m->task_id);
		pogo_peer_link_reply(l, m->task_id, 0, NULL, -1);
		return;
	case POGO_DEDUP_FULL:
		pogo_peer_link_reply(l, m->task_id, 1, "busy", -1);
		return;
	case POGO_DEDUP_UNKNOWN:
		break;
	}
	if (strcmp(name, "ssh") == 0 || strcmp(name, "local") == 0) {
		/*
		 * XXX(#9): running tasks comes with the executors; until
		 * then the task stays with the dispatcher.
		 */
		pogo_dedup_forget(w->dedup, m->task_id);
		pogo_peer_link_reply(l, m->task_id, 1, "busy", -1);
		return;
	}
	pogo_peer_link_reply(l, m->task_id, 0, NULL, -1);
	xasprintf(&text, "invalid task name %s", name);
	log_info("task %s host %s: %s", m->task_id,
	    m->host != NULL ? m->host : "", text);
	worker_report_done(l, m->task_id, 255, text);
	free(text);
	pogo_dedup_done(w->dedup, m->task_id);
}

static void
worker_command(struct pogo_peer_client *cl, struct pogo_peer_link *l,
    struct pogo_msg *m, void *arg)
{
	struct pogo_worker *w = arg;
	const char *s;

	switch (m->type) {
	case POGO_MSG_RUN:
		worker_run(w, l, m);
		break;
	case POGO_MSG_TASKSTATUS:
		switch (pogo_dedup_state(w->dedup, m->task_id)) {
		case POGO_DEDUP_RUNNING:
			s = "running";
			break;
		case POGO_DEDUP_DONE:
			s = "done";
			break;
		default:
			s = "unknown";
			break;
		}
		pogo_peer_link_reply(l, m->task_id, 0, s, -1);
		break;
	case POGO_MSG_TASKKILL:
		/* No task runs here yet (see worker_run). */
		pogo_peer_link_reply(l, m->task_id, 0,
		    pogo_dedup_state(w->dedup, m->task_id) == POGO_DEDUP_RUNNING
		        ? "ack"
		        : "unknown",
		    -1);
		break;
	case POGO_MSG_STATUS:
		pogo_peer_link_reply(l, m->task_id, 0,
		    w->stopping || w->running >= w->max_tasks ? "busy" : "ok",
		    (int)w->running);
		break;
	default:
		break;
	}
}

static void
worker_client_closed(struct pogo_peer_client *cl, int status, void *arg)
{
	struct pogo_worker *w = arg;

	pogo_clock_timer_free(w->deadline);
	pogo_dedup_free(w->dedup);
	if (w->stop_cb != NULL)
		w->stop_cb(w, w->stop_status, w->stop_arg);
	if (w->own_clock)
		pogo_clock_free(w->clock);
	free(w);
}

static void
worker_finish(struct pogo_worker *w, int status)
{
	if (w->finishing)
		return;
	w->finishing = true;
	w->stop_status = status;
	pogo_clock_timer_stop(w->deadline);
	pogo_peer_client_close(w->cl, worker_client_closed, w);
}

/* Reports still to deliver to dispatchers that are up. */
static size_t
worker_undelivered(struct pogo_worker *w)
{
	struct pogo_peer_link *l;
	size_t i, n = 0;

	for (i = 0; i < pogo_peer_client_nlinks(w->cl); i++) {
		l = pogo_peer_client_link(w->cl, i);
		if (pogo_peer_link_up(l))
			n += pogo_peer_link_pending(l);
	}
	return n;
}

static void
worker_check_stop(struct pogo_worker *w)
{
	if (!w->stopping || w->finishing)
		return;
	if (w->running == 0 && worker_undelivered(w) == 0)
		worker_finish(w, 0);
}

static void
worker_deadline(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_worker *w = arg;

	log_warn("stopping: %zu reports not delivered after %llu s",
	    worker_undelivered(w), (unsigned long long)(w->stop_ms / 1000));
	worker_finish(w, POGO_ERR_TIMEOUT);
}

static void
worker_up(struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg)
{
}

static void
worker_down(struct pogo_peer_client *cl, struct pogo_peer_link *l, int status,
    void *arg)
{
	worker_check_stop(arg);
}

static void
worker_idle(struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg)
{
	worker_check_stop(arg);
}

static const struct pogo_peer_client_cbs worker_peer_cbs = { worker_up,
	worker_down, worker_command, worker_idle };

int
pogo_worker_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    const struct pogo_worker_opts *opts, struct pogo_worker **wp, char **cause)
{
	struct pogo_peer_client_opts po;
	struct pogo_worker *w;
	const char **dv;
	size_t i;
	int r;

	*wp = NULL;
	*cause = NULL;
	w = xcalloc(1, sizeof(*w));
	if (opts != NULL && opts->clock != NULL)
		w->clock = opts->clock;
	else {
		w->clock = pogo_clock_uv_new(loop);
		w->own_clock = true;
	}
	w->stop_ms = opts != NULL && opts->stop_ms != 0 ? opts->stop_ms
	                                                : POGO_WORKER_STOP_MS;
	w->max_tasks = cfg->worker.max_tasks;
	w->dedup = pogo_dedup_new(w->max_tasks, WORKER_DEDUP_DONE);
	w->deadline = pogo_clock_timer_new(w->clock, worker_deadline, w);
	dv = xcalloc(cfg->worker.ndispatchers, sizeof(*dv));
	for (i = 0; i < cfg->worker.ndispatchers; i++)
		dv[i] = cfg->worker.dispatchers[i].str;
	pogo_peer_client_opts_init(&po);
	po.dispatchers = dv;
	po.ndispatchers = cfg->worker.ndispatchers;
	po.tls = cfg->tls.cert[0] != '\0';
	po.name = cfg->worker.name;
	po.max_tasks = (int)w->max_tasks;
	po.reconnect_delay = cfg->worker.reconnect_delay;
	po.clock = w->clock;
	r = pogo_peer_client_new(loop, &po, &worker_peer_cbs, w, &w->cl, cause);
	free(dv);
	if (r != 0) {
		pogo_clock_timer_free(w->deadline);
		pogo_dedup_free(w->dedup);
		if (w->own_clock)
			pogo_clock_free(w->clock);
		free(w);
		return r;
	}
	log_info("worker %s (instance %s, max_tasks %u) connecting to %zu "
	         "dispatcher%s",
	    cfg->worker.name, pogo_peer_client_instance(w->cl), w->max_tasks,
	    cfg->worker.ndispatchers, cfg->worker.ndispatchers == 1 ? "" : "s");
	*wp = w;
	return 0;
}

void
pogo_worker_stop(struct pogo_worker *w, pogo_worker_stop_cb cb, void *arg)
{
	size_t n;

	POGO_ASSERT(!w->stopping);
	w->stopping = true;
	w->stop_cb = cb;
	w->stop_arg = arg;
	pogo_peer_client_hold(w->cl);
	if ((n = worker_undelivered(w)) > 0)
		log_info("stopping: delivering %zu reports", n);
	pogo_clock_timer_start(w->deadline, w->stop_ms);
	worker_check_stop(w);
}
