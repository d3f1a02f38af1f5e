/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The worker component (worker.h): a peer client (peer.h) to every
 * dispatcher of the configuration, de-duplication of runs by task id
 * (dedup.h), one local and one SSH executor (exec.h) that run the tasks,
 * output batching per task (outbatch.h), and the graceful stop of SPEC 9.
 * Everything lives in struct pogo_worker; callbacks reach it through
 * their arg.
 */
#include "pogo/compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <string.h>

#include "pogo/box.h"
#include "pogo/cfg.h"
#include "pogo/dedup.h"
#include "pogo/error.h"
#include "pogo/exec-local.h"
#include "pogo/log.h"
#include "pogo/outbatch.h"
#include "pogo/peer.h"
#include "pogo/pidfile.h"
#include "pogo/proc.h"
#include "pogo/ssh-config.h"
#include "pogo/ssh.h"
#include "pogo/tls.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

/*
 * Unsent output per task (SPEC 9.9: 1 MiB): beyond it the oldest unsent
 * records are dropped.  On a link in this process (output_unpaced), the
 * executor is throttled instead beyond WORKER_OUTPUT_LINKED, counting
 * what the link's socket has not taken yet, and the cap is only a bound
 * (the throttle stops the reading within one read of it).  2 MiB: 60 MB
 * of output (t1006 big-local's command to /dev/null) took 7.7 and 9.1 s
 * with 12-13 MB resident, 8.0 and 9.8 s with 16 MB at 4 MiB; at 4 MiB,
 * t1006 big-local under ASan grew 16.8 MB while its reader slept (the
 * bound is 16), all of it in flight to the store.
 */
#define WORKER_OUTPUT_HELD (1024u * 1024)
#define WORKER_OUTPUT_LINKED (2 * WORKER_OUTPUT_HELD)
#define WORKER_OUTPUT_CAP_LINKED (2 * WORKER_OUTPUT_LINKED)
/*
 * How often a throttled executor looks whether its link drained (no
 * event says so).  The throttle is on while the dispatcher on the same
 * loop is behind: a 1 ms poll woke that loop 1,000 times a second for as
 * long as a big output lasted (review8 10).  10 ms is a tenth of the
 * batcher's pace (outbatch.h).
 */
#define WORKER_THROTTLE_POLL_MS 10

/*
 * How long a task accepted at once and then refused for now by its
 * executor (worker_task_hold) waits before its start is tried again, at
 * most (a task of the worker that ends tries it at once).
 */
#define WORKER_RETRY_MS 1000

struct pogo_worker;

/*
 * One task, from its run to its task_done queued: the executor's task
 * (strings owned here, taken from the run message), the link that issued
 * it, its output batcher, and its result once the executor is done.
 */
struct worker_task {
	struct pogo_worker *w;
	struct pogo_peer_link *l;
	struct pogo_exec *e;
	struct pogo_exec_task t;
	struct pogo_exec_stub stub;
	char *task_id;
	char *host;
	struct pogo_proto_task data;
	/* The secrets decrypted from data's boxes, wiped at the end. */
	struct pogo_exec_secrets sec;
	char *password;
	size_t password_len;
	char *key;
	size_t key_len;
	char *passphrase;
	size_t passphrase_len;
	struct pogo_outbatch *ob;
	struct pogo_exec_result res;
	bool exec_done; /* the executor's done event came */
	bool killed;
	/* The boxes are being opened in the thread pool (worker_open_work). */
	bool opening;
	int open_status; /* the pool's result: 0 or POGO_ERR_DECRYPT */
	uv_work_t open_req;
	/* Accepted, its start refused for now: tried again (_hold). */
	bool held;
	struct worker_task *next;
	struct worker_task *prev;
};

struct pogo_worker {
	uv_loop_t *loop;
	struct pogo_clock *clock;
	bool own_clock;
	struct pogo_peer_client *cl;
	struct pogo_dedup *dedup;
	unsigned max_tasks;
	unsigned running; /* tasks from run to task_done queued */
	struct worker_task *tasks;
	struct pogo_exec *local;
	struct pogo_exec *ssh;
	int lockfd; /* <state_dir>/worker.lock, held (flock) until the end */
	struct pogo_box_key *key;       /* tls.key, for job secrets; or NULL */
	unsigned opening;               /* tasks whose boxes the pool opens */
	unsigned held;                  /* tasks whose start waits (_hold) */
	struct pogo_clock_timer *retry; /* tries the held tasks again */
	struct pogo_clock_timer *drain; /* while throttled */
	unsigned execs_open;
	bool paused_local;
	bool paused_ssh;
	bool throttled_local;
	bool throttled_ssh;
	bool output_held;    /* pogo_worker_hold() */
	bool output_unpaced; /* opts.output_unpaced */
	bool killing;        /* the stop's wait for tasks is over */
	char *hook_dir;      /* NULL: the stub's default */
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

static void worker_check_stop(struct pogo_worker *w);
static void worker_execs_close(struct pogo_worker *w);

static void
worker_task_free(struct worker_task *wt)
{
	struct pogo_worker *w = wt->w;
	struct pogo_proto_task *d = &wt->data;

	if (wt->prev != NULL)
		wt->prev->next = wt->next;
	else
		w->tasks = wt->next;
	if (wt->next != NULL)
		wt->next->prev = wt->prev;
	w->running--;
	if (wt->held)
		w->held--;
	pogo_outbatch_free(wt->ob);
	free(wt->task_id);
	free(wt->host);
	free(d->task_name);
	free(d->command);
	free(d->job_id);
	free(d->user);
	free(d->ssh_user);
	free(d->run_as);
	free(d->exe_name);
	free(d->exe_data);
	free(d->password);
	free(d->client_private_key);
	free(d->pvt_key_passphrase);
	if (wt->password != NULL)
		pogo_freezero(wt->password, wt->password_len);
	if (wt->key != NULL)
		pogo_freezero(wt->key, wt->key_len);
	if (wt->passphrase != NULL)
		pogo_freezero(wt->passphrase, wt->passphrase_len);
	free(wt);
}

static struct worker_task *
worker_task_find(struct pogo_worker *w, const char *task_id)
{
	struct worker_task *wt;

	if (task_id == NULL)
		return NULL;
	for (wt = w->tasks; wt != NULL; wt = wt->next) {
		if (strcmp(wt->task_id, task_id) == 0)
			return wt;
	}
	return NULL;
}

/*
 * Ask the executor to stop a task still running (its done event comes);
 * a task whose boxes are being opened is never started
 * (worker_open_done), its opening cancelled if it has not begun; a held
 * one ends `killed` from the retry timer (worker_retry_cb).
 */
static void
worker_task_kill(struct worker_task *wt)
{
	if (wt->exec_done || wt->killed)
		return;
	wt->killed = true;
	if (wt->opening) {
		(void)uv_cancel((uv_req_t *)&wt->open_req);
		return;
	}
	if (wt->held) {
		/* Ended from the timer: callers walk the task list. */
		pogo_clock_timer_start(wt->w->retry, 0);
		return;
	}
	wt->e->ops->kill(wt->e, &wt->t);
}

/* Output of wt's command that waits: batched, or not passed on by its link. */
static size_t
worker_task_waiting(struct worker_task *wt)
{
	return pogo_outbatch_pending(wt->ob) + pogo_peer_link_unsent(wt->l);
}

/*
 * Back-pressure.  pogo_worker_hold() pauses both executors (exec.h: the
 * limits of commands held back stand still, as for a slow reader of
 * pogo one).  On a link in this process (output_unpaced), an executor
 * whose tasks hold more than WORKER_OUTPUT_LINKED of unsent output is
 * throttled (exec.h: the linger's bound runs on, a limit stands still
 * for at most its own length) until every one of its tasks is below
 * half of it.  Otherwise nothing stops a command: the batcher drops the
 * oldest unsent records beyond WORKER_OUTPUT_HELD (SPEC 9.9), and one
 * noisy task never holds back the others.
 *
 * grew: the task whose output just changed, or NULL.  While not
 * throttled only it can go over, so only it is looked at (a walk of
 * every task for each line of output was lines x tasks).
 */
static void
worker_check_pause(
    struct pogo_worker *w, struct pogo_exec *e, struct worker_task *grew)
{
	struct worker_task *wt;
	bool *paused = e == w->local ? &w->paused_local : &w->paused_ssh;
	bool *throttled =
	    e == w->local ? &w->throttled_local : &w->throttled_ssh;
	bool over = false, high = false;
	size_t n;

	if (w->finishing)
		return;
	if (e->ops->pause != NULL && *paused != w->output_held) {
		*paused = w->output_held;
		e->ops->pause(e, *paused);
	}
	if (e->ops->throttle == NULL || !w->output_unpaced)
		return;
	if (grew != NULL && !*throttled) {
		if (grew->e != e || grew->exec_done || grew->ob == NULL ||
		    worker_task_waiting(grew) <= WORKER_OUTPUT_LINKED)
			return;
		over = true;
	}
	for (wt = over ? NULL : w->tasks; wt != NULL; wt = wt->next) {
		/* Not started yet (its boxes opening): no output. */
		if (wt->e != e || wt->exec_done || wt->ob == NULL)
			continue;
		/* What its link has not passed on yet waits as well. */
		n = worker_task_waiting(wt);
		if (n > WORKER_OUTPUT_LINKED)
			over = true;
		if (n > WORKER_OUTPUT_LINKED / 2)
			high = true;
	}
	if (!*throttled && over) {
		*throttled = true;
		e->ops->throttle(e, true);
	} else if (*throttled && !high) {
		*throttled = false;
		e->ops->throttle(e, false);
	}
	/* A link drains without an event here: look again soon. */
	if ((w->throttled_local || w->throttled_ssh) &&
	    !pogo_clock_timer_active(w->drain))
		pogo_clock_timer_start(w->drain, WORKER_THROTTLE_POLL_MS);
}

static void
worker_drain_cb(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_worker *w = arg;

	if (w->throttled_local)
		worker_check_pause(w, w->local, NULL);
	if (w->throttled_ssh)
		worker_check_pause(w, w->ssh, NULL);
}

static void
worker_ob_send(struct pogo_outbatch *b, uint64_t first,
    const struct pogo_proto_record *records, size_t n, void *arg)
{
	struct worker_task *wt = arg;
	struct pogo_msg m;

	pogo_proto_msg_init(&m, POGO_MSG_TASK_OUTPUT);
	m.task_id = wt->task_id;
	m.first = first;
	m.records = (struct pogo_proto_record *)records;
	m.nrecords = n;
	/* Not acknowledged nor resent (SPEC 8.3): lost with the link. */
	(void)pogo_peer_link_send(wt->l, &m);
	worker_check_pause(wt->w, wt->e, wt);
}

/* SPEC 8.3's signal name ("TERM"), the number for others, or NULL. */
static const char *
worker_signal_name(int sig, char *buf, size_t len)
{
	const char *name;

	if (sig <= 0)
		return NULL;
	if ((name = pogo_exec_signal_name(sig)) != NULL)
		return name;
	snprintf(buf, len, "%d", sig);
	return buf;
}

/* Every record is out: task_done goes into the link's report queue. */
static void
worker_ob_drained(struct pogo_outbatch *b, void *arg)
{
	struct worker_task *wt = arg;
	struct pogo_worker *w = wt->w;
	const struct pogo_exec_result *r = &wt->res;
	struct pogo_msg m;
	char sigbuf[16];

	pogo_proto_msg_init(&m, POGO_MSG_TASK_DONE);
	m.task_id = wt->task_id;
	m.rc = r->exitstatus >= 0 && r->exitstatus <= 255 ? r->exitstatus : -1;
	m.signal =
	    (char *)worker_signal_name(r->signal, sigbuf, sizeof(sigbuf));
	m.timed_out = r->timed_out;
	m.state = r->state;
	m.message = (char *)r->msg;
	m.started_at = r->started_at > 0 ? r->started_at : -1;
	m.finished_at = r->finished_at > 0 ? r->finished_at : worker_wall();
	m.nrecords_total = pogo_outbatch_count(wt->ob);
	pogo_peer_link_report(wt->l, &m);
	if (pogo_outbatch_dropped(wt->ob) > 0)
		log_warn("task %s host %s: %llu output records dropped (more "
		         "than %u bytes waited unsent)",
		    wt->task_id, wt->host,
		    (unsigned long long)pogo_outbatch_dropped(wt->ob),
		    WORKER_OUTPUT_HELD);
	log_info("task %s host %s: %s", wt->task_id, wt->host, r->msg);
	pogo_dedup_done_held(w->dedup, wt->task_id);
	worker_task_free(wt);
	worker_check_stop(w);
}

static const struct pogo_outbatch_cbs worker_ob_cbs = { worker_ob_send,
	worker_ob_drained };

static void
worker_ev_started(struct pogo_exec_task *t, void *arg)
{
	struct worker_task *wt = t->data;
	struct pogo_exec_run *run;
	struct pogo_msg m;

	if (wt->w->finishing)
		return;
	run = pogo_exec_run_find(wt->e, wt->task_id);
	pogo_proto_msg_init(&m, POGO_MSG_TASK_STARTED);
	m.task_id = wt->task_id;
	m.started_at = run != NULL && run->started_at > 0 ? run->started_at
	                                                  : pogo_exec_now();
	pogo_peer_link_report(wt->l, &m);
	log_debug("task %s host %s: started", wt->task_id, wt->host);
}

static void
worker_ev_output(struct pogo_exec_task *t, enum pogo_out_type type,
    const char *data, size_t len, bool eol, void *arg)
{
	struct worker_task *wt = t->data;

	if (wt->w->finishing)
		return;
	pogo_outbatch_add(wt->ob, pogo_exec_now(), type, data, len, eol);
	worker_check_pause(wt->w, wt->e, wt);
}

static void
worker_ev_done(
    struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct worker_task *wt = t->data;
	struct pogo_worker *w = wt->w;

	wt->res = *r;
	wt->exec_done = true;
	/* Room: a held task is tried again (from the loop, not here). */
	if (w->held > 0)
		pogo_clock_timer_start(w->retry, 0);
	if (r->requeue) {
		/* Never started here: the dispatcher runs it elsewhere. */
		pogo_exec_result_set(&wt->res, POGO_EXEC_FAILED, -1,
		    "the worker did not start the task");
	}
	if (w->finishing) {
		worker_task_free(wt);
		return;
	}
	pogo_outbatch_end(wt->ob);
	/*
	 * An ending task can only lift its executor's throttle: without
	 * one, no walk of every task (it was tasks in flight per task).
	 */
	if (wt->e == w->local ? w->throttled_local : w->throttled_ssh)
		worker_check_pause(w, wt->e, NULL);
}

static const struct pogo_exec_events worker_exec_events = {
	worker_ev_started,
	worker_ev_output,
	worker_ev_done,
};

/* A refusal the dispatcher should try again later (exec.h). */
static bool
worker_refusal_passes(int r)
{
	return r == UV_EBUSY || r == UV_EAGAIN || r == UV_EMFILE ||
	    r == UV_ENFILE || r == UV_ENOMEM;
}

/*
 * The attached script travels in base64 (SPEC 5.1, 8.3); the stub writes
 * its text (exec.h).  Returns 0 with d->exe_data decoded, or an error for
 * text that is not base64 or a script with a NUL byte.
 */
static int
worker_decode_script(struct pogo_proto_task *d)
{
	char *text;
	size_t len;
	int r;

	if ((r = pogo_tls_base64_decode(d->exe_data, strlen(d->exe_data),
	         POGO_PROTO_EXE_MAX, &text, &len)) != 0)
		return r;
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		return POGO_ERR_RANGE;
	}
	free(d->exe_data);
	d->exe_data = text;
	return 0;
}

static bool
worker_has_secrets(const struct pogo_proto_task *d)
{
	return d->password != NULL || d->client_private_key != NULL ||
	    d->pvt_key_passphrase != NULL;
}

/*
 * In the thread pool: open the boxes of an SSH task (SPEC 8.3, 10.3) with
 * the worker key, a private-key operation each (a few ms for RSA-3072),
 * so that the loop goes on serving links, output and other tasks.  Reads
 * only the task's boxes and the key (both left alone on the loop
 * meanwhile: the key is freed after the last opening, worker_open_done),
 * writes only the task's clear secrets.  open_status is 0, or
 * POGO_ERR_DECRYPT when a box does not open.
 */
static void
worker_open_work(uv_work_t *req)
{
	struct worker_task *wt = req->data;
	const struct pogo_box_key *k = wt->w->key;
	struct pogo_proto_task *d = &wt->data;
	int r = 0;

	if (d->password != NULL &&
	    (r = pogo_box_open_base64(
	         k, d->password, &wt->password, &wt->password_len)) != 0)
		goto out;
	if (d->client_private_key != NULL &&
	    (r = pogo_box_open_base64(
	         k, d->client_private_key, &wt->key, &wt->key_len)) != 0)
		goto out;
	if (d->pvt_key_passphrase != NULL)
		r = pogo_box_open_base64(k, d->pvt_key_passphrase,
		    &wt->passphrase, &wt->passphrase_len);
out:
	wt->open_status = r;
}

/* A task that ends before its executor: reported done, freed. */
static void
worker_task_fail(struct worker_task *wt, int rc, const char *msg)
{
	struct pogo_worker *w = wt->w;

	worker_report_done(wt->l, wt->task_id, rc, msg);
	pogo_dedup_done_held(w->dedup, wt->task_id);
	worker_task_free(wt);
	worker_check_stop(w);
}

/*
 * A task accepted at once (its boxes opened in the pool) whose start the
 * executor refused for now (exec.h: out of descriptors, full): it cannot
 * be answered `busy` any more (SPEC 8.3: the run was acknowledged), and
 * it never ran, so its host must not fail.  The worker keeps it, counts
 * as full (runs and status are answered `busy`, so the dispatcher sends
 * its other tasks elsewhere, SPEC 7.2), and tries its start again when a
 * task of its ends or after WORKER_RETRY_MS (worker_retry_cb).
 */
static void
worker_task_hold(struct worker_task *wt, int r)
{
	struct pogo_worker *w = wt->w;

	log_info("task %s host %s: cannot start the task for now (%s): "
	         "held, tried again",
	    wt->task_id, wt->host, pogo_strerror(r));
	wt->held = true;
	w->held++;
	if (!pogo_clock_timer_active(w->retry))
		pogo_clock_timer_start(w->retry, WORKER_RETRY_MS);
}

/*
 * Start wt on its executor; the run's reply is sent from here unless
 * `replied` (a task whose boxes were opened in the pool was accepted at
 * once: a refusal that passes holds it, worker_task_hold; another is its
 * task_done).  Returns true when wt was held.
 */
static bool
worker_task_exec(struct worker_task *wt, bool replied)
{
	struct pogo_worker *w = wt->w;
	struct pogo_exec *e = wt->e;
	char *text;
	int r;

	if ((r = e->ops->start(e, &wt->t)) != 0) {
		if (!replied && worker_refusal_passes(r)) {
			pogo_dedup_forget(w->dedup, wt->task_id);
			pogo_peer_link_reply(wt->l, wt->task_id, 1, "busy", -1);
			worker_task_free(wt);
			return false;
		}
		if (worker_refusal_passes(r)) {
			worker_task_hold(wt, r);
			return true;
		}
		if (!replied)
			pogo_peer_link_reply(wt->l, wt->task_id, 0, NULL, -1);
		xasprintf(&text, "cannot start the task: %s", pogo_strerror(r));
		log_info("task %s host %s: %s", wt->task_id, wt->host, text);
		worker_task_fail(wt, 255, text);
		free(text);
		return false;
	}
	wt->ob = pogo_outbatch_new(w->clock, &worker_ob_cbs, wt);
	if (w->output_unpaced) {
		pogo_outbatch_set_interval(wt->ob, 0);
		pogo_outbatch_set_cap(wt->ob, WORKER_OUTPUT_CAP_LINKED);
	} else
		pogo_outbatch_set_cap(wt->ob, WORKER_OUTPUT_HELD);
	if (!replied)
		pogo_peer_link_reply(wt->l, wt->task_id, 0, NULL, -1);
	log_info("task %s host %s: %s task accepted", wt->task_id, wt->host,
	    wt->data.task_name);
	return false;
}

/*
 * The held tasks (worker_task_hold): killed ones end `killed`, the
 * others are started again until the executor refuses one more; those
 * left wait WORKER_RETRY_MS more.  One task is taken at a time from the
 * list's head: ending one may free others (worker_check_stop).
 */
static void
worker_retry_cb(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_worker *w = arg;
	struct worker_task *wt;
	bool refused = false;

	while (!w->finishing && w->held > 0) {
		for (wt = w->tasks; wt != NULL; wt = wt->next) {
			if (wt->held && (wt->killed || !refused))
				break;
		}
		if (wt == NULL)
			break;
		wt->held = false;
		w->held--;
		if (wt->killed) {
			log_info(
			    "task %s host %s: killed", wt->task_id, wt->host);
			worker_task_fail(wt, -1, "killed");
		} else if (worker_task_exec(wt, true))
			refused = true;
	}
	if (!w->finishing && w->held > 0 && !pogo_clock_timer_active(w->retry))
		pogo_clock_timer_start(w->retry, WORKER_RETRY_MS);
}

/* The pool opened (or not) a task's boxes: start it, or report why not. */
static void
worker_open_done(uv_work_t *req, int status)
{
	struct worker_task *wt = req->data;
	struct pogo_worker *w = wt->w;
	const char *msg;

	wt->opening = false;
	POGO_ASSERT(w->opening > 0);
	w->opening--;
	if (w->finishing) {
		/* Its report would be lost with the process (worker_finish). */
		worker_task_free(wt);
		if (w->opening == 0)
			worker_execs_close(w);
		return;
	}
	if (status == UV_ECANCELED || wt->killed) {
		log_info("task %s host %s: killed", wt->task_id, wt->host);
		worker_task_fail(wt, -1, "killed");
		return;
	}
	if (wt->open_status != 0) {
		/* SPEC 9.8's message; never a word of the box. */
		msg = "cannot decrypt job secrets";
		log_warn("task %s host %s: %s", wt->task_id, wt->host, msg);
		worker_task_fail(wt, -1, msg);
		return;
	}
	wt->sec.password = wt->password;
	wt->sec.client_private_key = wt->key;
	wt->sec.pvt_key_passphrase = wt->passphrase;
	wt->t.secrets = &wt->sec;
	(void)worker_task_exec(wt, true);
}

/* Run m on e; the reply is sent from here. */
static void
worker_task_start(struct pogo_worker *w, struct pogo_peer_link *l,
    struct pogo_msg *m, struct pogo_exec *e)
{
	struct worker_task *wt;
	struct pogo_proto_task *d;
	const char *msg;
	char *text;
	int r;

	wt = xcalloc(1, sizeof(*wt));
	wt->w = w;
	wt->l = l;
	wt->e = e;
	wt->task_id = m->task_id;
	m->task_id = NULL;
	wt->host = m->host != NULL ? m->host : xstrdup("");
	m->host = NULL;
	wt->data = m->task;
	memset(&m->task, 0, sizeof(m->task));
	d = &wt->data;
	wt->t.data = wt;
	/* In the list first: running counts it, free unlinks it. */
	wt->next = w->tasks;
	if (w->tasks != NULL)
		w->tasks->prev = wt;
	w->tasks = wt;
	w->running++;
	wt->t.job_id = d->job_id != NULL ? d->job_id : "";
	wt->t.task_id = wt->task_id;
	wt->t.host = wt->host;
	wt->t.command = d->command != NULL ? d->command : "";
	wt->t.task_name = d->task_name;
	wt->t.user = d->user;
	wt->t.ssh_user = d->ssh_user;
	wt->t.ssh_port = d->ssh_port > 0 ? (unsigned)d->ssh_port : 0;
	wt->t.connect_timeout =
	    d->connect_timeout > 0 ? (unsigned)d->connect_timeout : 0;
	wt->t.run_as = d->run_as;
	wt->t.timeout = d->timeout > 0 ? (unsigned)d->timeout : 0;
	if (d->exe_data != NULL && worker_decode_script(d) != 0) {
		pogo_peer_link_reply(l, wt->task_id, 0, NULL, -1);
		log_info(
		    "task %s host %s: invalid exe_data", wt->task_id, wt->host);
		worker_task_fail(wt, 255, "invalid exe_data");
		return;
	}
	if (d->retry > 0 || d->prehook || d->posthook || d->lock ||
	    d->exe_name != NULL) {
		wt->stub.retry = d->retry > 0 ? (unsigned)d->retry : 0;
		wt->stub.prehook = d->prehook;
		wt->stub.posthook = d->posthook;
		wt->stub.lock = d->lock;
		wt->stub.hook_dir = w->hook_dir;
		wt->stub.exe_name = d->exe_name;
		wt->stub.exe_data = d->exe_data;
		wt->t.stub = &wt->stub;
	}
	/* Local tasks ignore secrets (SPEC 9.11). */
	if (e != w->ssh || !worker_has_secrets(d)) {
		(void)worker_task_exec(wt, false);
		return;
	}
	pogo_peer_link_reply(l, wt->task_id, 0, NULL, -1);
	if (w->key == NULL) {
		msg = "Worker key not defined"; /* SPEC 9.8 */
		log_warn("task %s host %s: %s", wt->task_id, wt->host, msg);
		worker_task_fail(wt, -1, msg);
		return;
	}
	/*
	 * Accepted at once, opened in the pool: the next run comes (the
	 * dispatcher waits for each reply, SPEC 8.4), others' output and
	 * pings go on meanwhile.
	 */
	wt->open_req.data = wt;
	if ((r = uv_queue_work(w->loop, &wt->open_req, worker_open_work,
	         worker_open_done)) != 0) {
		xasprintf(&text, "cannot start the task: %s", uv_strerror(r));
		worker_task_fail(wt, 255, text);
		free(text);
		return;
	}
	wt->opening = true;
	w->opening++;
}

static void
worker_run(struct pogo_worker *w, struct pogo_peer_link *l, struct pogo_msg *m)
{
	const char *name = m->task.task_name != NULL ? m->task.task_name : "";
	char *text;

	/* A resend is acknowledged even while stopping (SPEC 8.4). */
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
	if (w->stopping) {
		pogo_dedup_forget(w->dedup, m->task_id);
		pogo_peer_link_reply(l, m->task_id, 1, "busy", -1);
		return;
	}
	if (strcmp(name, "ssh") == 0 || strcmp(name, "local") == 0) {
		if (w->running >= w->max_tasks || w->held > 0) {
			/*
			 * Full (SPEC 9.2), or a task waits for room
			 * (worker_task_hold): the dispatcher keeps the task.
			 */
			pogo_dedup_forget(w->dedup, m->task_id);
			pogo_peer_link_reply(l, m->task_id, 1, "busy", -1);
			return;
		}
		worker_task_start(
		    w, l, m, strcmp(name, "ssh") == 0 ? w->ssh : w->local);
		return;
	}
	pogo_peer_link_reply(l, m->task_id, 0, NULL, -1);
	xasprintf(&text, "invalid task name %s", name);
	log_info("task %s host %s: %s", m->task_id,
	    m->host != NULL ? m->host : "", text);
	worker_report_done(l, m->task_id, 255, text);
	free(text);
	pogo_dedup_done_held(w->dedup, m->task_id);
}

static void
worker_command(struct pogo_peer_client *cl, struct pogo_peer_link *l,
    struct pogo_msg *m, void *arg)
{
	struct pogo_worker *w = arg;
	struct worker_task *wt;
	const char *s;

	switch (m->type) {
	case POGO_MSG_RUN:
		worker_run(w, l, m);
		break;
	case POGO_MSG_TASKSTATUS:
		/*
		 * In flight (waiting for its handshake, running, or its
		 * output still leaving): running; its task_done queued or
		 * delivered: done.
		 */
		wt = worker_task_find(w, m->task_id);
		if (wt != NULL)
			s = "running";
		else if (pogo_dedup_state(w->dedup, m->task_id) ==
		    POGO_DEDUP_DONE)
			s = "done";
		else
			s = "unknown";
		pogo_peer_link_reply(l, m->task_id, 0, s, -1);
		break;
	case POGO_MSG_TASKKILL:
		/* Acknowledged first, then stopped as a timeout is (9.10). */
		wt = worker_task_find(w, m->task_id);
		pogo_peer_link_reply(
		    l, m->task_id, 0, wt != NULL ? "ack" : "unknown", -1);
		if (wt != NULL) {
			log_info("task %s host %s: killed by the dispatcher",
			    wt->task_id, wt->host);
			worker_task_kill(wt);
		}
		break;
	case POGO_MSG_STATUS:
		pogo_peer_link_reply(l, m->task_id, 0,
		    w->stopping || w->running >= w->max_tasks || w->held > 0
		        ? "busy"
		        : "ok",
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
	pogo_clock_timer_free(w->retry);
	pogo_clock_timer_free(w->drain);
	pogo_dedup_free(w->dedup);
	if (w->stop_cb != NULL)
		w->stop_cb(w, w->stop_status, w->stop_arg);
	if (w->own_clock)
		pogo_clock_free(w->clock);
	pogo_box_key_free(w->key);
	free(w->hook_dir);
	if (w->lockfd != -1)
		close(w->lockfd);
	free(w);
}

static void
worker_exec_closed(void *arg)
{
	struct pogo_worker *w = arg;

	POGO_ASSERT(w->execs_open > 0);
	if (--w->execs_open == 0)
		pogo_peer_client_close(w->cl, worker_client_closed, w);
}

/* Close both executors; the client is closed after them. */
static void
worker_execs_close(struct pogo_worker *w)
{
	w->execs_open = 2;
	w->local->ops->close(w->local, worker_exec_closed, w);
	w->ssh->ops->close(w->ssh, worker_exec_closed, w);
}

static void
worker_finish(struct pogo_worker *w, int status)
{
	struct worker_task *wt, *next;

	if (w->finishing)
		return;
	w->finishing = true;
	w->stop_status = status;
	pogo_clock_timer_stop(w->deadline);
	pogo_clock_timer_stop(w->retry);
	/*
	 * What is left: tasks whose output still leaves (their reports are
	 * lost with the process) are dropped; tasks still running are
	 * killed, and dropped at their done event, before the executors
	 * close.
	 */
	for (wt = w->tasks; wt != NULL; wt = next) {
		next = wt->next;
		if (wt->exec_done || wt->held)
			worker_task_free(wt);
		else
			worker_task_kill(wt);
	}
	/* Tasks still opening their boxes close them (worker_open_done). */
	if (w->opening == 0)
		worker_execs_close(w);
}

/* Reports still to deliver to dispatchers that are up. */
static size_t
worker_undelivered(struct pogo_worker *w)
{
	struct pogo_peer_link *l;
	size_t i, n = 0;

	/* Every link's: one that is down reconnects to deliver them. */
	for (i = 0; i < pogo_peer_client_nlinks(w->cl); i++) {
		l = pogo_peer_client_link(w->cl, i);
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
	struct worker_task *wt;

	if (!w->killing && w->running > 0) {
		/*
		 * SPEC 9: the wait for running tasks is over; kill them
		 * (reported failed, killed) and give their reports as long
		 * again to leave.
		 */
		w->killing = true;
		log_warn(
		    "stopping: killing %u tasks still running after %llu s",
		    w->running, (unsigned long long)(w->stop_ms / 1000));
		for (wt = w->tasks; wt != NULL; wt = wt->next)
			worker_task_kill(wt);
		pogo_clock_timer_start(w->deadline, w->stop_ms);
		return;
	}
	log_warn("stopping: %zu reports not delivered, %u tasks not done",
	    worker_undelivered(w), w->running);
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

/*
 * A task_done was delivered: its id may be forgotten from now on (held
 * until then, so a resent run is never run again, nor is a taskstatus
 * answered unknown, while its report waits: pogo_dedup_done_held()).
 */
static void
worker_delivered(struct pogo_peer_client *cl, struct pogo_peer_link *l,
    const char *task_id, void *arg)
{
	struct pogo_worker *w = arg;

	pogo_dedup_release(w->dedup, task_id);
}

static const struct pogo_peer_client_cbs worker_peer_cbs = { worker_up,
	worker_down, worker_command, worker_idle, worker_delivered };

static void
worker_exec_abandoned(void *arg)
{
}

/* The worker's SSH executor options (SPEC 1.6 worker.ssh.*, 9.3, 9.4). */
static void
worker_ssh_opts(const struct pogo_cfg *cfg, struct pogo_ssh_opts *so)
{
	size_t i;

	memset(so, 0, sizeof(*so));
	so->max_tasks = cfg->worker.max_tasks;
	so->max_handshakes = cfg->worker.max_handshakes;
	so->connect_timeout = cfg->worker.ssh.connect_timeout;
	so->max_output = cfg->worker.max_output;
	/*
	 * The login name (SPEC 5.1, 9.3): the job's ssh_user, else the
	 * ssh_config's User, else worker.ssh.user, else the job's user.
	 * XXX(#9): a worker.ssh.port other than 22 still comes before the
	 * ssh_config's Port (the executor's port is pogo one's --port).
	 */
	so->default_user =
	    cfg->worker.ssh.user[0] != '\0' ? cfg->worker.ssh.user : NULL;
	so->task_user_default = true;
	so->port = cfg->worker.ssh.port > 0 && cfg->worker.ssh.port != 22
	    ? (unsigned)cfg->worker.ssh.port
	    : 0;
	so->ssh_config =
	    cfg->worker.ssh.config[0] != '\0' ? cfg->worker.ssh.config : NULL;
	so->ssh_config_optional = cfg->worker.ssh.config_optional;
	so->known_hosts = cfg->worker.ssh.known_hosts[0] != '\0'
	    ? cfg->worker.ssh.known_hosts
	    : NULL;
	switch (cfg->worker.ssh.host_key_check) {
	case POGO_CFG_HOSTKEY_STRICT:
		so->host_key_check = POGO_SSH_HOSTKEY_STRICT;
		break;
	case POGO_CFG_HOSTKEY_OFF:
		so->host_key_check = POGO_SSH_HOSTKEY_OFF;
		break;
	default:
		so->host_key_check = POGO_SSH_HOSTKEY_ACCEPT_NEW;
		break;
	}
	/* SPEC 9.4: the worker's own agent and keys only when asked for. */
	so->use_agent = cfg->worker.use_local_identity;
	so->given_identities_only = !cfg->worker.use_local_identity;
	if (cfg->worker.use_local_identity) {
		for (i = 0; i < cfg->worker.ssh.nidentity_files; i++)
			pogo_strv_push(
			    &so->identities, cfg->worker.ssh.identity_files[i]);
	}
	so->password = NULL;
	so->ask_secret = NULL; /* the daemon skips encrypted identity files */
}

/*
 * SPEC 9.10: <state_dir>/worker holds the pid files of running local
 * tasks; the groups that a worker killed before left running are killed
 * now.  Returns the directory for the local executor, or NULL (no state
 * directory, as in `pogo one`, or one that cannot be made: a warning).
 */
static char *
worker_pid_dir(const struct pogo_cfg *cfg)
{
	char *dir = NULL, *cause = NULL;
	int n;

	if (cfg->state_dir == NULL || cfg->state_dir[0] == '\0')
		return NULL;
	xasprintf(&dir, "%s/worker", cfg->state_dir);
	if ((mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST)) {
		log_warn("cannot create %s: %s; local tasks run without pid "
		         "files (a worker killed would leave them running)",
		    dir, strerror(errno));
		free(dir);
		return NULL;
	}
	if ((n = pogo_pidfile_reap(dir, &cause)) < 0) {
		log_warn("%s", cause);
		free(cause);
	} else if (n > 0)
		log_warn("%d task%s left running by a killed worker: killed", n,
		    n == 1 ? "" : "s");
	return dir;
}

/* Are cfg's TLS items, if any, complete and loadable? */
static int
worker_tls_check(const struct pogo_cfg *cfg, char **cause)
{
	struct pogo_tls_opts to;
	struct pogo_tls *tls;
	int r;

	if (!pogo_tls_opts_from_cfg(&to, cfg))
		return 0;
	to.server = false;
	to.peer_kind = "dispatcher";
	if ((r = pogo_tls_new(&to, &tls, cause)) != 0)
		return r;
	pogo_tls_free(tls);
	return 0;
}

/* worker.ssh.config, checked before the state directory is made. */
static int
worker_ssh_config_check(const struct pogo_cfg *cfg, char **cause)
{
	if (cfg->worker.ssh.config[0] == '\0' ||
	    pogo_ssh_config_check(cfg->worker.ssh.config,
	        cfg->worker.ssh.config_optional, cause) >= 0)
		return 0;
	return POGO_ERR_CONFIG;
}

int
pogo_worker_start(uv_loop_t *loop, const struct pogo_cfg *cfg,
    const struct pogo_worker_opts *opts, struct pogo_worker **wp, char **cause)
{
	struct pogo_peer_client_opts po;
	struct pogo_tls_opts to;
	struct pogo_exec_local_opts lo;
	struct pogo_ssh_opts so;
	struct pogo_worker *w;
	struct pogo_exec *(*ssh_new)(uv_loop_t *, const struct pogo_ssh_opts *,
	    const struct pogo_exec_events *, void *, char **);
	const char **dv;
	char *pid_dir;
	size_t i;
	int r;

	*wp = NULL;
	*cause = NULL;
	if ((r = pogo_ssh_init(cause)) != 0)
		return r;
	/*
	 * Before anything uses the pool (the dispatchers' names, pid files):
	 * every signal is the loop thread's alone.
	 */
	pogo_proc_pool_start(loop);
	w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->lockfd = -1;
	/*
	 * The worker key (tls.key) opens job secrets (SPEC 10.3); its KID is
	 * the key_id of the hello.  Without it, a task with secrets fails
	 * with "Worker key not defined".
	 */
	if (cfg->tls.key != NULL && cfg->tls.key[0] != '\0' &&
	    pogo_box_key_load(cfg->tls.key, &w->key) != 0) {
		xasprintf(cause,
		    "tls.key %s: cannot be loaded as the worker key (RSA of "
		    "2048 "
		    "bits or more, or EC P-256)",
		    cfg->tls.key);
		free(w);
		return POGO_ERR_CONFIG;
	}
	/*
	 * One worker per state directory, held before its pid files are
	 * read: a second worker would kill the first one's live tasks as
	 * left running by a worker that ended.  The lock makes the
	 * directory, so the TLS items and the ssh_config are checked first:
	 * a start refused for them makes nothing (t6051, t0020).
	 */
	if ((r = worker_tls_check(cfg, cause)) != 0 ||
	    (r = worker_ssh_config_check(cfg, cause)) != 0 ||
	    (cfg->state_dir != NULL && cfg->state_dir[0] != '\0' &&
	        (r = pogo_proc_dir_lock(
	             cfg->state_dir, "worker.lock", &w->lockfd, cause)) != 0)) {
		pogo_box_key_free(w->key);
		free(w);
		return r;
	}
	worker_ssh_opts(cfg, &so);
	if (opts != NULL) {
		so.password = opts->password;
		so.ask_secret = opts->ask_secret;
	}
	ssh_new = opts != NULL && opts->ssh_new != NULL ? opts->ssh_new
	                                                : pogo_exec_ssh_new;
	w->ssh = ssh_new(loop, &so, &worker_exec_events, w, cause);
	pogo_strv_clear(&so.identities);
	if (w->ssh == NULL) {
		pogo_box_key_free(w->key);
		if (w->lockfd != -1)
			close(w->lockfd);
		free(w);
		return POGO_ERR_CONFIG;
	}
	if (cfg->worker.hook_dir[0] != '\0')
		w->hook_dir = xstrdup(cfg->worker.hook_dir);
	if (opts != NULL && opts->clock != NULL)
		w->clock = opts->clock;
	else {
		w->clock = pogo_clock_uv_new(loop);
		w->own_clock = true;
	}
	w->output_unpaced = opts != NULL && opts->output_unpaced;
	w->stop_ms = opts != NULL && opts->stop_ms != 0 ? opts->stop_ms
	                                                : POGO_WORKER_STOP_MS;
	w->max_tasks = cfg->worker.max_tasks;
	w->dedup = pogo_dedup_new(w->max_tasks,
	    opts != NULL && opts->dedup_done != 0 ? opts->dedup_done
	                                          : POGO_WORKER_DEDUP_DONE);
	w->deadline = pogo_clock_timer_new(w->clock, worker_deadline, w);
	w->retry = pogo_clock_timer_new(w->clock, worker_retry_cb, w);
	w->drain = pogo_clock_timer_new(w->clock, worker_drain_cb, w);
	dv = xcalloc(cfg->worker.ndispatchers, sizeof(*dv));
	for (i = 0; i < cfg->worker.ndispatchers; i++)
		dv[i] = cfg->worker.dispatchers[i].str;
	pogo_peer_client_opts_init(&po);
	po.dispatchers = dv;
	po.ndispatchers = cfg->worker.ndispatchers;
	if (opts != NULL && opts->link != NULL) {
		po.link = opts->link;
		po.link_arg = opts->link_arg;
	}
	if (pogo_tls_opts_from_cfg(&to, cfg))
		po.tls = &to;
	po.name = cfg->worker.name;
	po.key_id = w->key != NULL ? pogo_box_key_id_hex(w->key) : NULL;
	po.max_tasks = (int)w->max_tasks;
	po.reconnect_delay = cfg->worker.reconnect_delay;
	po.clock = w->clock;
	r = pogo_peer_client_new(loop, &po, &worker_peer_cbs, w, &w->cl, cause);
	free(dv);
	if (r != 0) {
		/* Nothing ran: the executor frees itself on the loop. */
		w->ssh->ops->close(w->ssh, worker_exec_abandoned, NULL);
		pogo_clock_timer_free(w->deadline);
		pogo_clock_timer_free(w->retry);
		pogo_clock_timer_free(w->drain);
		pogo_dedup_free(w->dedup);
		if (w->own_clock)
			pogo_clock_free(w->clock);
		pogo_box_key_free(w->key);
		free(w->hook_dir);
		if (w->lockfd != -1)
			close(w->lockfd);
		free(w);
		return r;
	}
	/*
	 * Only a start that is going to run touches the pid files
	 * (leftovers killed): a refused one kills nothing.
	 */
	memset(&lo, 0, sizeof(lo));
	lo.max_tasks = cfg->worker.max_tasks;
	lo.max_output = cfg->worker.max_output;
	lo.pid_dir = pid_dir = worker_pid_dir(cfg);
	w->local = pogo_exec_local_new(loop, &lo, &worker_exec_events, w);
	free(pid_dir);
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
	if (w->running > 0)
		log_info("stopping: waiting for %u running tasks", w->running);
	if ((n = worker_undelivered(w)) > 0)
		log_info("stopping: delivering %zu reports", n);
	pogo_clock_timer_start(w->deadline, w->stop_ms);
	worker_check_stop(w);
}

void
pogo_worker_abort(struct pogo_worker *w, pogo_worker_stop_cb cb, void *arg)
{
	pogo_worker_stop(w, cb, arg);
	worker_finish(w, UV_ECANCELED);
}

void
pogo_worker_hold(struct pogo_worker *w, bool hold)
{
	if (w->output_held == hold)
		return;
	w->output_held = hold;
	worker_check_pause(w, w->local, NULL);
	worker_check_pause(w, w->ssh, NULL);
}

void
pogo_worker_peaks(
    const struct pogo_worker *w, unsigned *inflightp, unsigned *handshakesp)
{
	/* A job uses one of them; both are counted all the same. */
	*inflightp = w->local->peak_inflight + w->ssh->peak_inflight;
	*handshakesp = w->ssh->peak_handshakes;
}
