/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/worker.c: the worker component against an in-process
 * dispatcher side of peer.c on one loop, over loopback TCP, with a manual
 * clock.  N-002's unknown task name (acknowledged, then done with rc 255
 * and "invalid task name blech"), N-DEDUP for runs, and the graceful
 * stop: busy to new runs, the queued report delivered before the end, or
 * the end at the deadline with POGO_ERR_TIMEOUT when it never is.
 */
#include "pogo/compat.h"

#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/box.h"
#include "pogo/ca.h"
#include "pogo/log.h"
#include "pogo/cfg.h"
#include "pogo/peer.h"
#include "pogo/proc.h"
#include "pogo/ssh.h"
#include "pogo/tls.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

struct wt {
	uv_loop_t loop;
	char state_dir[64]; /* the worker's own, never /var/lib/pogo */
	struct pogo_clock *clock;
	struct pogo_peer_server *srv;
	struct pogo_peer_worker *pw;
	struct pogo_worker *w;
	struct pogo_cfg *cfg;
	int ups, reports, replies, started;
	int reply_ok;
	char reply_text[64];
	int done_rc;
	char done_message[128];
	bool ack_reports;
	bool hold_done; /* leave task_done reports unacknowledged */
	bool stopped;
	int stop_status;
};

static void
wt_up(struct pogo_peer_server *srv, struct pogo_peer_worker *w, void *arg)
{
	struct wt *t = arg;

	t->ups++;
	t->pw = w;
}

static void
wt_lost(struct pogo_peer_server *srv, struct pogo_peer_worker *w, int status,
    void *arg)
{
	struct wt *t = arg;

	if (t->pw == w)
		t->pw = NULL;
}

static void
wt_report(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *arg)
{
	struct wt *t = arg;

	if (m->type == POGO_MSG_TASK_STARTED) {
		t->started++;
		if (t->ack_reports)
			pogo_peer_worker_ack(w);
		return;
	}
	if (m->type != POGO_MSG_TASK_DONE)
		return;
	t->reports++;
	t->done_rc = m->rc;
	snprintf(t->done_message, sizeof(t->done_message), "%s",
	    m->message != NULL ? m->message : "");
	if (t->ack_reports && !t->hold_done)
		pogo_peer_worker_ack(w);
}

static void
wt_reply(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *cookie, void *arg)
{
	struct wt *t = arg;

	t->replies++;
	t->reply_ok = m->ok;
	snprintf(t->reply_text, sizeof(t->reply_text), "%s",
	    m->text != NULL ? m->text : "");
}

static const struct pogo_peer_server_cbs wt_cbs = { wt_up, wt_lost, wt_report,
	wt_reply, NULL };

/*
 * Run the loop until *field >= want or *flag; with tick_ms, the manual
 * clock goes on by tick_ms a turn (10 ms: a 60 s deadline is at least 6 s
 * of real time away, so a loaded machine does not reach it first).
 */
static bool
wt_spin(struct wt *t, const int *field, int want, const bool *flag,
    uint64_t tick_ms)
{
	uint64_t end = uv_hrtime() + (tick_ms > 0 ? 30 : 5) * 1000000000ULL;

	while (uv_hrtime() < end) {
		uv_run(&t->loop, UV_RUN_NOWAIT);
		if (field != NULL && *field >= want)
			return true;
		if (flag != NULL && *flag)
			return true;
		if (tick_ms > 0)
			pogo_clock_manual_advance(t->clock, tick_ms);
		usleep(1000);
	}
	return false;
}

#define WAIT_GE(t, f, n) ASSERT(wt_spin((t), &(t)->f, (n), NULL, 0))
#define WAIT_FLAG(t, f) ASSERT(wt_spin((t), NULL, 0, &(t)->f, 0))
/* The same, the manual clock going on meanwhile. */
#define WAIT_TICKING_GE(t, f, n) ASSERT(wt_spin((t), &(t)->f, (n), NULL, 10))
#define WAIT_TICKING_FLAG(t, f) ASSERT(wt_spin((t), NULL, 0, &(t)->f, 10))

static void
wt_stopped(struct pogo_worker *w, int status, void *arg)
{
	struct wt *t = arg;

	t->stopped = true;
	t->stop_status = status;
	t->w = NULL;
}

static size_t wt_dedup_done; /* the worker's opts.dedup_done */

/*
 * The worker's SSH executor, its start refusing the next wt_refusals
 * starts with wt_refusal (exec.h: a refusal that passes).
 */
static struct pogo_exec_ops wt_ops;
static const struct pogo_exec_ops *wt_real_ops;
static int wt_refusals;
static int wt_refusal;
static int wt_refused; /* starts refused so far */

static int
wt_refusing_start(struct pogo_exec *e, struct pogo_exec_task *t)
{
	if (wt_refusals > 0) {
		wt_refusals--;
		wt_refused++;
		return wt_refusal;
	}
	return wt_real_ops->start(e, t);
}

static struct pogo_exec *
wt_ssh_new(uv_loop_t *loop, const struct pogo_ssh_opts *opts,
    const struct pogo_exec_events *ev, void *ev_arg, char **cause)
{
	struct pogo_exec *e;

	if ((e = pogo_exec_ssh_new(loop, opts, ev, ev_arg, cause)) == NULL)
		return NULL;
	wt_real_ops = e->ops;
	wt_ops = *e->ops;
	wt_ops.start = wt_refusing_start;
	e->ops = &wt_ops;
	return e;
}
/* A CA directory (wt_tls_make) for TLS on both sides; NULL: no TLS. */
static const char *wt_tls_dir;

/*
 * A dispatcher side on on's loop and clock, acknowledging reports, b
 * (cleared first) holding its counters; its port.
 */
static int
wt_listen(struct wt *on, struct wt *b)
{
	struct pogo_peer_server_opts so;
	struct pogo_tls_opts to;
	struct sockaddr_storage ss;
	char *cause = NULL, *ca = NULL, *crt = NULL, *key = NULL;

	if (b != on)
		memset(b, 0, sizeof(*b));
	b->ack_reports = true;
	pogo_peer_server_opts_init(&so);
	so.listen = "127.0.0.1:0";
	so.clock = on->clock;
	if (wt_tls_dir != NULL) {
		memset(&to, 0, sizeof(to));
		xasprintf(&ca, "%s/ca.crt", wt_tls_dir);
		xasprintf(&crt, "%s/dispatcher-d1.crt", wt_tls_dir);
		xasprintf(&key, "%s/dispatcher-d1.key", wt_tls_dir);
		to.ca_cert = ca;
		to.cert = crt;
		to.key = key;
		so.tls = &to;
	}
	ASSERT_OK(
	    pogo_peer_server_new(&on->loop, &so, &wt_cbs, b, &b->srv, &cause));
	ASSERT_OK(pogo_peer_server_address(b->srv, &ss));
	free(ca);
	free(crt);
	free(key);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/*
 * A worker on a new loop and manual clock, connected to t's dispatcher
 * side (named wu) or, with b, to t's and to a second one holding its
 * counters in b (named by default).
 */
static int
wt_remove(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

static void
wt_setup(struct wt *t, struct wt *b)
{
	struct pogo_worker_opts wo = { 0 };
	struct pogo_cfg_src src = { 0 };
	char *cause = NULL, ov[7][512];
	const char *ovp[7] = { ov[0], ov[1], ov[2], ov[3], ov[4], ov[5],
		ov[6] };
	size_t n;
	int port;

	memset(t, 0, sizeof(*t));
	ASSERT_OK(pogo_proc_loop_init(&t->loop));
	t->clock = pogo_clock_manual_new(1000);
	port = wt_listen(t, t);
	if (b == NULL)
		snprintf(ov[0], sizeof(ov[0]),
		    "worker.dispatchers=[127.0.0.1:%d]", port);
	else
		snprintf(ov[0], sizeof(ov[0]),
		    "worker.dispatchers=[127.0.0.1:%d, 127.0.0.1:%d]", port,
		    wt_listen(t, b));
	snprintf(ov[1], sizeof(ov[1]), "worker.reconnect_delay=0");
	snprintf(ov[2], sizeof(ov[2]), "worker.name=wu");
	n = b == NULL ? 3 : 2;
	snprintf(t->state_dir, sizeof(t->state_dir),
	    "/tmp/pogo-test-worker-state-XXXXXX");
	ASSERT(mkdtemp(t->state_dir) != NULL);
	snprintf(ov[n++], sizeof(ov[0]), "state_dir=%s", t->state_dir);
	if (wt_tls_dir != NULL) {
		snprintf(ov[n++], sizeof(ov[0]), "tls.ca_cert=%s/ca.crt",
		    wt_tls_dir);
		snprintf(ov[n++], sizeof(ov[0]), "tls.cert=%s/worker-w1.crt",
		    wt_tls_dir);
		snprintf(ov[n++], sizeof(ov[0]), "tls.key=%s/worker-w1.key",
		    wt_tls_dir);
	}
	src.overrides = ovp;
	src.noverrides = n;
	src.hostname = "h";
	src.home = "/nonexistent";
	ASSERT_OK(pogo_cfg_load_text("", 0, "t.yaml", &src, &t->cfg, &cause));
	wo.clock = t->clock;
	wo.dedup_done = wt_dedup_done;
	wo.ssh_new = wt_ssh_new;
	ASSERT_OK(pogo_worker_start(&t->loop, t->cfg, &wo, &t->w, &cause));
	pogo_clock_manual_advance(t->clock, 0);
	WAIT_GE(t, ups, 1);
}

static void
wt_init(struct wt *t)
{
	wt_setup(t, NULL);
}

static void
wt_done(struct wt *t)
{
	if (t->w != NULL)
		pogo_worker_stop(t->w, wt_stopped, t);
	pogo_peer_server_close(t->srv, NULL, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	ASSERT(t->stopped);
	ASSERT_OK(uv_loop_close(&t->loop));
	pogo_clock_free(t->clock);
	pogo_cfg_free(t->cfg);
	ASSERT_OK(nftw(t->state_dir, wt_remove, 8, FTW_DEPTH | FTW_PHYS));
}

static void
wt_run_command(
    struct wt *t, const char *task_id, const char *name, const char *command)
{
	struct pogo_msg m;

	pogo_proto_msg_init(&m, POGO_MSG_RUN);
	m.task_id = (char *)task_id;
	m.host = (char *)"wonkhost";
	m.task.task_name = (char *)name;
	m.task.command = (char *)command;
	pogo_peer_worker_command(t->pw, &m, NULL);
}

static void
wt_run(struct wt *t, const char *task_id, const char *name)
{
	wt_run_command(t, task_id, name, "command-by-dispatcher");
}

/* Ask the worker taskstatus of task_id; the answer comes as a reply. */
static void
wt_taskstatus(struct wt *t, const char *task_id)
{
	struct pogo_msg m;

	pogo_proto_msg_init(&m, POGO_MSG_TASKSTATUS);
	m.task_id = (char *)task_id;
	pogo_peer_worker_command(t->pw, &m, NULL);
}

/*
 * A worker (wt_init) running t1, `exec sleep 300`, acknowledged and
 * started, then told to stop.
 */
static void
wt_stop_while_sleeping(struct wt *t)
{
	wt_init(t);
	wt_run_command(t, "t1", "local", "exec sleep 300");
	WAIT_GE(t, replies, 1);
	ASSERT_EQ(t->reply_ok, 0);
	WAIT_GE(t, started, 1);
	pogo_worker_stop(t->w, wt_stopped, t);
}

TEST(n002_unknown_task_name_and_dedup)
{
	struct wt t;

	wt_init(&t);
	ASSERT_STR_EQ(pogo_peer_worker_name(t.pw), "wu");
	ASSERT_EQ(pogo_peer_worker_max_tasks(t.pw), 256);
	wt_run(&t, "123", "blech");
	WAIT_GE(&t, reports, 1);
	ASSERT_EQ(t.replies, 1);
	ASSERT_EQ(t.reply_ok, 0);
	ASSERT_EQ(t.done_rc, 255);
	ASSERT_STR_EQ(t.done_message, "invalid task name blech");
	/* The same run again: acknowledged, not run (no second report). */
	wt_run(&t, "123", "blech");
	wt_taskstatus(&t, "123");
	WAIT_GE(&t, replies, 3);
	ASSERT_STR_EQ(t.reply_text, "done");
	ASSERT_EQ(t.reports, 1);
	wt_done(&t);
	ASSERT_EQ(t.stop_status, 0);
}

TEST(stop_delivers_report_and_refuses_runs)
{
	struct wt t;

	wt_init(&t);
	t.ack_reports = false;
	wt_run(&t, "t1", "blech");
	WAIT_GE(&t, reports, 1);
	pogo_worker_stop(t.w, wt_stopped, &t);
	wt_run(&t, "t2", "blech");
	WAIT_GE(&t, replies, 2);
	ASSERT_EQ(t.reply_ok, 1);
	ASSERT_STR_EQ(t.reply_text, "busy");
	ASSERT(!t.stopped);
	/* The report is resent after 10 s; acknowledged, the worker ends. */
	t.ack_reports = true;
	pogo_clock_manual_advance(t.clock, POGO_PEER_REPORT_TIMEOUT_MS);
	WAIT_FLAG(&t, stopped);
	ASSERT_EQ(t.stop_status, 0);
	ASSERT_EQ(t.reports, 2);
	wt_done(&t);
}

TEST(stop_gives_up_at_the_deadline)
{
	struct wt t;

	wt_init(&t);
	t.ack_reports = false;
	wt_run(&t, "t1", "blech");
	WAIT_GE(&t, reports, 1);
	pogo_worker_stop(t.w, wt_stopped, &t);
	pogo_clock_manual_advance(t.clock, POGO_WORKER_STOP_MS - 1);
	uv_run(&t.loop, UV_RUN_NOWAIT);
	ASSERT(!t.stopped);
	pogo_clock_manual_advance(t.clock, 1);
	WAIT_FLAG(&t, stopped);
	ASSERT_EQ(t.stop_status, POGO_ERR_TIMEOUT);
	wt_done(&t);
}

/*
 * SPEC 9: a stop waits for a running task until the deadline, then kills
 * it (reported failed, "killed"), delivers the report and ends.
 */
TEST(stop_kills_running_tasks_at_the_deadline)
{
	struct wt t;

	wt_stop_while_sleeping(&t);
	pogo_clock_manual_advance(t.clock, POGO_WORKER_STOP_MS - 1);
	uv_run(&t.loop, UV_RUN_NOWAIT);
	ASSERT(!t.stopped);
	ASSERT_EQ(t.reports, 0);
	pogo_clock_manual_advance(t.clock, 1);
	/* The kill ends the command; its output timer runs on the clock. */
	WAIT_TICKING_FLAG(&t, stopped);
	ASSERT_EQ(t.stop_status, 0);
	ASSERT_EQ(t.reports, 1);
	ASSERT_STR_EQ(t.done_message, "killed");
	wt_done(&t);
}

/*
 * A resend of a run the worker is already running, arriving while it
 * stops, is acknowledged as any resend (SPEC 8.4), not answered busy;
 * a new run is refused busy.
 */
TEST(stop_acknowledges_a_resend_refuses_a_new_run)
{
	struct wt t;

	wt_stop_while_sleeping(&t);
	wt_run_command(&t, "t1", "local", "exec sleep 300");
	WAIT_GE(&t, replies, 2);
	ASSERT_EQ(t.reply_ok, 0);
	wt_run_command(&t, "t2", "local", "true");
	WAIT_GE(&t, replies, 3);
	ASSERT_EQ(t.reply_ok, 1);
	ASSERT_STR_EQ(t.reply_text, "busy");
	pogo_clock_manual_advance(t.clock, POGO_WORKER_STOP_MS);
	WAIT_TICKING_FLAG(&t, stopped);
	ASSERT_EQ(t.reports, 1);
	ASSERT_STR_EQ(t.done_message, "killed");
	wt_done(&t);
}

/*
 * A report not yet acknowledged when the dispatcher's connection drops
 * and the stop begins is not given up: the link reconnects to deliver
 * it (SPEC 9: the stop delivers the reports), then the worker exits 0.
 */
TEST(stop_reconnects_to_deliver_a_report)
{
	struct wt t;

	wt_init(&t);
	t.hold_done = true;
	wt_run_command(&t, "t1", "local", "true");
	/* The report leaves after the output's timer, on the clock. */
	WAIT_TICKING_GE(&t, reports, 1);
	ASSERT_EQ(t.reports, 1);
	pogo_peer_worker_close(t.pw, UV_ECONNRESET);
	pogo_worker_stop(t.w, wt_stopped, &t);
	t.hold_done = false;
	WAIT_TICKING_FLAG(&t, stopped);
	ASSERT_EQ(t.stop_status, 0);
	ASSERT(t.reports >= 2);
	ASSERT_EQ(t.ups, 2);
	wt_done(&t);
}

TEST(reports_go_to_the_dispatcher_that_issued_the_task)
{
	struct wt t, b;

	wt_setup(&t, &b);
	ASSERT(wt_spin(&t, &b.ups, 1, NULL, 0));
	/* One instance for both: the same worker process. */
	ASSERT_STR_EQ(
	    pogo_peer_worker_instance(t.pw), pogo_peer_worker_instance(b.pw));
	wt_run(&b, "on-b", "blech");
	ASSERT(wt_spin(&t, &b.reports, 1, NULL, 0));
	wt_run(&t, "on-a", "blech");
	WAIT_GE(&t, reports, 1);
	ASSERT_EQ(b.reports, 1);
	ASSERT_EQ(t.reports, 1);
	pogo_peer_server_close(b.srv, NULL, NULL);
	wt_done(&t);
}

/*
 * A task_done not acknowledged yet (the dispatcher is away, or slow)
 * while more tasks than the de-duplication remembers finish after it: the
 * task is still done to taskstatus, and a resent run is not run again.
 */
TEST(done_ids_kept_while_their_report_waits)
{
	struct wt t;
	char id[16];
	int i;

	wt_dedup_done = 2;
	wt_init(&t);
	wt_dedup_done = 0;
	t.hold_done = true;
	wt_run(&t, "x", "blech");
	WAIT_GE(&t, reports, 1);
	/* Five more finish; their reports wait behind x's. */
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "y%d", i);
		wt_run(&t, id, "blech");
	}
	WAIT_GE(&t, replies, 6);
	wt_taskstatus(&t, "x");
	WAIT_GE(&t, replies, 7);
	ASSERT_STR_EQ(t.reply_text, "done");
	wt_run(&t, "x", "blech");
	WAIT_GE(&t, replies, 8);
	ASSERT_EQ(t.reply_ok, 0);
	/* Delivered now: x's report (resent) and the five others. */
	t.hold_done = false;
	pogo_clock_manual_advance(t.clock, POGO_PEER_REPORT_TIMEOUT_MS);
	WAIT_GE(&t, reports, 7);
	/* Delivered, x ages out like any other id. */
	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "z%d", i);
		wt_run(&t, id, "blech");
	}
	WAIT_GE(&t, reports, 10);
	wt_taskstatus(&t, "x");
	WAIT_GE(&t, replies, 12);
	ASSERT_STR_EQ(t.reply_text, "unknown");
	ASSERT_EQ(t.reports, 10); /* x ran once */
	wt_done(&t);
	ASSERT_EQ(t.stop_status, 0);
}

/* A run of an SSH task with the given boxes (NULL: absent). */
static void
wt_run_secrets(struct wt *t, const char *task_id, const char *name,
    const char *password, const char *key, const char *passphrase)
{
	struct pogo_msg m;

	pogo_proto_msg_init(&m, POGO_MSG_RUN);
	m.task_id = (char *)task_id;
	m.host = (char *)"127.0.0.1";
	m.task.task_name = (char *)name;
	m.task.command = (char *)"true";
	/* Nothing listens on port 1: the connection is refused. */
	m.task.ssh_port = 1;
	m.task.connect_timeout = 5;
	m.task.password = (char *)password;
	m.task.client_private_key = (char *)key;
	m.task.pvt_key_passphrase = (char *)passphrase;
	pogo_peer_worker_command(t->pw, &m, NULL);
}

/*
 * A CA in dir with a dispatcher certificate for 127.0.0.1 and a worker
 * certificate with a key of type kt (EC is quicker than the default RSA),
 * as `pogo ca` makes them; the worker's key parsed.
 */
static struct pogo_box_key *
wt_tls_make(const char *dir, enum pogo_ca_key_type kt)
{
	struct pogo_ca_init ci = { 0 };
	struct pogo_ca_issue is = { 0 };
	struct pogo_box_key *k = NULL;
	const char *sans[1] = { "127.0.0.1" };
	char *cause = NULL, *fpr = NULL, *path;

	ci.dir = dir;
	ASSERT_OK(pogo_ca_init(&ci, &cause));
	is.dir = dir;
	is.kind = "dispatcher";
	is.name = "d1";
	is.sans = sans;
	is.nsans = 1;
	xasprintf(&path, "%s/dispatcher-d1", dir);
	is.prefix = path;
	ASSERT_OK(pogo_ca_issue(&is, &fpr, &cause));
	free(fpr);
	free(path);
	is.kind = "worker";
	is.name = "w1";
	is.sans = NULL;
	is.nsans = 0;
	is.key_type = kt;
	xasprintf(&path, "%s/worker-w1", dir);
	is.prefix = path;
	ASSERT_OK(pogo_ca_issue(&is, &fpr, &cause));
	free(fpr);
	free(path);
	xasprintf(&path, "%s/worker-w1.key", dir);
	ASSERT_OK(pogo_box_key_load(path, &k));
	free(path);
	return k;
}

/* Remove what wt_tls_make() made. */
static void
wt_tls_remove(const char *dir)
{
	static const char *files[] = { "ca.crt", "ca.key", "serials",
		"dispatcher-d1.crt", "dispatcher-d1.key", "worker-w1.crt",
		"worker-w1.key" };
	char *path;
	size_t i;

	for (i = 0; i < POGO_NELEM(files); i++) {
		xasprintf(&path, "%s/%s", dir, files[i]);
		(void)unlink(path);
		free(path);
	}
	ASSERT_OK(rmdir(dir));
}

/* The log lines, to look for secrets in them (SPEC 10.4). */
static char wt_log[65536];
static size_t wt_log_len;

static void
wt_log_writer(const char *line, size_t len, void *arg)
{
	if (len > sizeof(wt_log) - 1 - wt_log_len)
		len = sizeof(wt_log) - 1 - wt_log_len;
	memcpy(wt_log + wt_log_len, line, len);
	wt_log_len += len;
	wt_log[wt_log_len] = '\0';
}

/* X-WRONG: a job with secrets on a worker without tls.key. */
TEST(secrets_without_worker_key)
{
	struct wt t;

	wt_tls_dir = NULL;
	wt_init(&t);
	ASSERT_NULL(pogo_peer_worker_key_id(t.pw));
	wt_run_secrets(&t, "s1", "ssh", "AQID", NULL, NULL);
	WAIT_GE(&t, reports, 1);
	ASSERT_EQ(t.replies, 1);
	ASSERT_EQ(t.reply_ok, 0);
	ASSERT_STR_EQ(t.done_message, "Worker key not defined");
	ASSERT_EQ(t.done_rc, -1);
	ASSERT_EQ(t.started, 0);
	/* Secrets of a local task are ignored (SPEC 9.11). */
	wt_run_secrets(&t, "s2", "local", NULL, NULL, "AQID");
	WAIT_TICKING_GE(&t, reports, 2);
	ASSERT_STR_EQ(t.done_message, "ok");
	wt_done(&t);
}

/*
 * X-WRONG: the worker's hello names its key; a box for another key, or
 * one flipped byte, cannot be decrypted; good boxes let the task go on
 * to its host (here: connection refused).
 */
TEST(secrets_boxes_open_with_the_worker_key)
{
	struct pogo_box_key *mine, *other = NULL;
	char dir[] = "/tmp/pogo-test-worker-XXXXXX", *good, *pass, *bad;
	char *flipped, *pem = NULL, cadir[64];
	struct wt t;
	size_t i, n;
	int level;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	mine = wt_tls_make(cadir, POGO_CA_KEY_EC);
	ASSERT_OK(pogo_ca_key_generate(POGO_CA_KEY_EC, &pem, &n));
	ASSERT_OK(pogo_box_key_parse(pem, n, &other));
	pogo_freezero(pem, n);
	wt_tls_dir = cadir;
	wt_init(&t);
	wt_tls_dir = NULL;
	ASSERT(pogo_peer_worker_key_id(t.pw) != NULL);
	ASSERT_STR_EQ(pogo_peer_worker_key_id(t.pw), pogo_box_key_id_hex(mine));
	ASSERT_OK(pogo_box_seal_base64(mine, "pw-1234", 7, &good));
	ASSERT_OK(pogo_box_seal_base64(mine, "phrase", 6, &pass));
	ASSERT_OK(pogo_box_seal_base64(other, "pw-1234", 7, &bad));
	/* One flipped byte in the ciphertext (base64 of the tag's end). */
	flipped = xstrdup(good);
	i = strlen(flipped) - 6;
	flipped[i] = flipped[i] == 'A' ? 'B' : 'A';

	/* Every line logged, even the protocol's (debug3), is kept. */
	wt_log_len = 0;
	level = pogo_log_level;
	pogo_log_level = POGO_LOG_DEBUG3;
	pogo_log_set_writer(wt_log_writer, NULL, NULL);
	wt_run_secrets(&t, "w1", "ssh", bad, NULL, NULL);
	WAIT_GE(&t, reports, 1);
	ASSERT_STR_EQ(t.done_message, "cannot decrypt job secrets");
	ASSERT_EQ(t.done_rc, -1);
	wt_run_secrets(&t, "w2", "ssh", flipped, NULL, NULL);
	WAIT_GE(&t, reports, 2);
	ASSERT_STR_EQ(t.done_message, "cannot decrypt job secrets");
	/* A good password with a bad passphrase box: the same. */
	wt_run_secrets(&t, "w3", "ssh", good, NULL, bad);
	WAIT_GE(&t, reports, 3);
	ASSERT_STR_EQ(t.done_message, "cannot decrypt job secrets");
	wt_run_secrets(&t, "w4", "ssh", good, NULL, pass);
	WAIT_TICKING_GE(&t, reports, 4);
	ASSERT_STR_EQ(t.done_message, "cannot connect: connection refused");
	ASSERT_EQ(t.replies, 4);
	pogo_log_set_writer(NULL, NULL, NULL);
	pogo_log_level = level;
	/* The runs were logged, their boxes not. */
	ASSERT(strstr(wt_log, "w4") != NULL);
	ASSERT_NULL(strstr(wt_log, "\"password\""));
	ASSERT_NULL(strstr(wt_log, good));
	ASSERT_NULL(strstr(wt_log, bad));
	wt_done(&t);
	free(good);
	free(pass);
	free(bad);
	free(flipped);
	pogo_box_key_free(mine);
	pogo_box_key_free(other);
	wt_tls_remove(cadir);
	ASSERT_OK(rmdir(dir));
}

/* A tls.key that is no worker key stops the start with a message. */
TEST(secrets_bad_worker_key_file)
{
	struct pogo_cfg_src src = { 0 };
	struct pogo_cfg *cfg = NULL;
	struct pogo_worker *w = NULL;
	const char *ov[3] = { "tls.key=/nonexistent/w.key",
		"tls.cert=/nonexistent/w.crt",
		"tls.ca_cert=/nonexistent/ca.crt" };
	char *cause = NULL;
	uv_loop_t loop;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	src.overrides = ov;
	src.noverrides = 3;
	src.hostname = "h";
	src.home = "/nonexistent";
	ASSERT_OK(pogo_cfg_load_text("", 0, "t.yaml", &src, &cfg, &cause));
	ASSERT_EQ(
	    pogo_worker_start(&loop, cfg, NULL, &w, &cause), POGO_ERR_CONFIG);
	ASSERT(cause != NULL && strstr(cause, "/nonexistent/w.key") != NULL);
	free(cause);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/*
 * #10: a task's boxes are opened in the thread pool, not on the loop.
 * Many runs with boxes, then a status: while they are accepted, no turn
 * of the loop lasts as long as opening one task's boxes (on the loop,
 * every run's turn did), and the tasks still go on to their host with
 * their secrets (here: connection refused).
 */
TEST(secrets_opened_off_the_loop)
{
	enum { N = 100 };
	struct pogo_box_key *mine;
	char dir[] = "/tmp/pogo-test-worker-XXXXXX", cadir[64], id[16];
	char *pw, *pass, *clear;
	struct pogo_msg m;
	struct wt t;
	uint64_t t0, t1, one, cost = UINT64_MAX, turn, longest = 0, end;
	size_t n;
	int i, slow = 0;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	mine = wt_tls_make(cadir, POGO_CA_KEY_RSA);
	ASSERT_OK(pogo_box_seal_base64(mine, "pw-1234", 7, &pw));
	ASSERT_OK(pogo_box_seal_base64(mine, "phrase", 6, &pass));
	/* What opening one task's boxes costs here, at best. */
	for (i = 0; i < 20; i++) {
		t0 = uv_hrtime();
		ASSERT_OK(pogo_box_open_base64(mine, pw, &clear, &n));
		pogo_freezero(clear, n);
		ASSERT_OK(pogo_box_open_base64(mine, pass, &clear, &n));
		pogo_freezero(clear, n);
		if ((one = uv_hrtime() - t0) < cost)
			cost = one;
	}
	wt_tls_dir = cadir;
	wt_init(&t);
	wt_tls_dir = NULL;
	t0 = uv_hrtime();
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "b%d", i);
		wt_run_secrets(&t, id, "ssh", pw, NULL, pass);
	}
	pogo_proto_msg_init(&m, POGO_MSG_STATUS);
	pogo_peer_worker_command(t.pw, &m, NULL);
	/* Stop-and-wait (SPEC 8.4): the status's reply is the last. */
	end = t0 + 60 * 1000000000ULL;
	while (t.replies < N + 1 && uv_hrtime() < end) {
		t1 = uv_hrtime();
		uv_run(&t.loop, UV_RUN_NOWAIT);
		turn = uv_hrtime() - t1;
		if (turn >= cost)
			slow++;
		if (turn > longest)
			longest = turn;
		usleep(1000);
	}
	ASSERT_EQ(t.replies, N + 1);
	fprintf(stderr,
	    "opening a task's boxes: %.2f ms; %d runs and a status answered "
	    "in %.1f ms; %d turns of the loop as long, the longest %.2f ms\n",
	    cost / 1e6, N, (uv_hrtime() - t0) / 1e6, slow, longest / 1e6);
	ASSERT(slow < N / 5);
	WAIT_TICKING_GE(&t, reports, N);
	ASSERT_EQ(t.reports, N);
	ASSERT_STR_EQ(t.done_message, "cannot connect: connection refused");
	wt_done(&t);
	free(pw);
	free(pass);
	pogo_box_key_free(mine);
	wt_tls_remove(cadir);
	ASSERT_OK(rmdir(dir));
}

/*
 * #10: a stop that reaches its deadline while tasks' boxes are still
 * being opened in the pool: they are cancelled or dropped, none starts,
 * and the worker ends (the pool's callbacks before the executors close).
 */
TEST(secrets_stop_while_opening)
{
	enum { N = 20 };
	struct pogo_box_key *mine;
	char dir[] = "/tmp/pogo-test-worker-XXXXXX", cadir[64], id[16];
	char *pw, *pass;
	struct wt t;
	int i;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	mine = wt_tls_make(cadir, POGO_CA_KEY_RSA);
	ASSERT_OK(pogo_box_seal_base64(mine, "pw-1234", 7, &pw));
	ASSERT_OK(pogo_box_seal_base64(mine, "phrase", 6, &pass));
	wt_tls_dir = cadir;
	wt_init(&t);
	wt_tls_dir = NULL;
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "c%d", i);
		wt_run_secrets(&t, id, "ssh", pw, NULL, pass);
	}
	WAIT_GE(&t, replies, N);
	pogo_worker_stop(t.w, wt_stopped, &t);
	/* Both deadlines: the wait for tasks, then for their reports. */
	pogo_clock_manual_advance(t.clock, POGO_WORKER_STOP_MS);
	uv_run(&t.loop, UV_RUN_NOWAIT);
	pogo_clock_manual_advance(t.clock, POGO_WORKER_STOP_MS);
	WAIT_TICKING_FLAG(&t, stopped);
	ASSERT_EQ(t.started, 0);
	wt_done(&t);
	free(pw);
	free(pass);
	pogo_box_key_free(mine);
	wt_tls_remove(cadir);
	ASSERT_OK(rmdir(dir));
}

/*
 * #9 (review5 4): a task with secrets is accepted at once (its boxes are
 * opened in the pool, SPEC 8.3); a start its executor then refuses for
 * now (UV_EMFILE, UV_EBUSY) does not fail the host: the worker holds the
 * task and answers `busy` to runs and status meanwhile, as a full worker
 * does (SPEC 7.2, 8.3), starts it again once a task of its ends or
 * POGO_WORKER_RETRY_MS pass, and a kill ends it `killed`.
 */
TEST(secrets_start_refused_for_now_is_held)
{
	static const int refusals[] = { UV_EMFILE, UV_EBUSY };
	struct pogo_box_key *mine;
	char dir[] = "/tmp/pogo-test-worker-XXXXXX", cadir[64], id[16];
	struct pogo_msg m;
	char *pw;
	struct wt t;
	int i, r;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(cadir, sizeof(cadir), "%s/ca", dir);
	mine = wt_tls_make(cadir, POGO_CA_KEY_EC);
	ASSERT_OK(pogo_box_seal_base64(mine, "pw-1234", 7, &pw));
	wt_tls_dir = cadir;
	wt_init(&t);
	wt_tls_dir = NULL;
	wt_refused = 0;
	for (i = 0; i < (int)POGO_NELEM(refusals); i++) {
		r = 4 * i;
		wt_refusal = refusals[i];
		wt_refusals = 1;
		snprintf(id, sizeof(id), "h%d", i);
		wt_run_secrets(&t, id, "ssh", pw, NULL, NULL);
		WAIT_GE(&t, replies, r + 1);
		ASSERT_EQ(t.reply_ok, 0);
		/* Refused once its boxes are open: held, the worker full. */
		ASSERT(wt_spin(&t, &wt_refused, i + 1, NULL, 0));
		wt_run(&t, "probe", "local");
		WAIT_GE(&t, replies, r + 2);
		ASSERT_EQ(t.reports, i);
		ASSERT_EQ(t.reply_ok, 1);
		ASSERT_STR_EQ(t.reply_text, "busy");
		pogo_proto_msg_init(&m, POGO_MSG_STATUS);
		pogo_peer_worker_command(t.pw, &m, NULL);
		WAIT_GE(&t, replies, r + 3);
		ASSERT_STR_EQ(t.reply_text, "busy");
		ASSERT_EQ(t.reports, i);
		/* Started again later: on to its host (connection refused). */
		WAIT_TICKING_GE(&t, reports, i + 1);
		ASSERT_STR_EQ(
		    t.done_message, "cannot connect: connection refused");
		pogo_proto_msg_init(&m, POGO_MSG_STATUS);
		pogo_peer_worker_command(t.pw, &m, NULL);
		WAIT_GE(&t, replies, r + 4);
		ASSERT_STR_EQ(t.reply_text, "ok");
	}
	/* A held task killed: done, `killed`, never started. */
	wt_refusal = UV_EMFILE;
	wt_refusals = 1000000;
	wt_run_secrets(&t, "k1", "ssh", pw, NULL, NULL);
	WAIT_GE(&t, replies, 9);
	ASSERT_EQ(t.reply_ok, 0);
	ASSERT(wt_spin(&t, &wt_refused, 3, NULL, 0));
	pogo_proto_msg_init(&m, POGO_MSG_TASKKILL);
	m.task_id = (char *)"k1";
	pogo_peer_worker_command(t.pw, &m, NULL);
	WAIT_TICKING_GE(&t, reports, 3);
	ASSERT_STR_EQ(t.done_message, "killed");
	ASSERT_EQ(t.started, 0);
	wt_refusals = 0;
	wt_done(&t);
	free(pw);
	pogo_box_key_free(mine);
	wt_tls_remove(cadir);
	ASSERT_OK(rmdir(dir));
}
