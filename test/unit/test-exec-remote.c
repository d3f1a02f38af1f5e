/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The remote executor (exec-remote.h) against peer.c's worker side on
 * loopback, in one loop: capacity from the workers' hellos, the run and
 * its task_data, busy, reports as events and their acknowledgements,
 * taskkill, and lost workers (SPEC 7.2, 7.3, 8.3).
 */
#include "pogo/compat.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/exec-remote.h"
#include "pogo/peer.h"
#include "pogo/proc.h"
#include "pogo/proto.h"

struct rt {
	uv_loop_t loop;
	struct pogo_peer_server *srv;
	struct pogo_peer_client *cl;
	struct pogo_exec *e;
	int port;
	int kicks;
	int barriers;
	/* worker side */
	int runs, kills, statuses;
	char run_task[64], run_host[64], run_cmd[64], run_name[16];
	char run_job[32], run_user[16];
	char run_pw[64], run_key[64], run_kpp[64];
	/* the job's secrets (opts.secrets); need_secrets without: NOWORKER */
	const struct pogo_dispatcher_secrets *secrets;
	bool need_secrets;
	int secret_asks;
	const char *answer;        /* NULL: OK */
	const char *status_answer; /* to taskstatus; NULL: ack */
	/* events */
	int started, outputs, dones;
	char out[64];
	bool out_eol;
	struct pogo_exec_result res;
	bool srv_closed;
	bool e_closed;
	/* barriers not yet "committed" (opts.barrier of the tests) */
	void (*go[16])(void *cookie, int status);
	void *cookie[16];
	int npending;
	bool hold;       /* do not commit */
	int commit_fail; /* the commits fail with this status */
};

static void
srv_up(struct pogo_peer_server *srv, struct pogo_peer_worker *w, void *arg)
{
	pogo_exec_remote_up(((struct rt *)arg)->e, w);
}

static void
srv_lost(struct pogo_peer_server *srv, struct pogo_peer_worker *w, int status,
    void *arg)
{
	pogo_exec_remote_lost(((struct rt *)arg)->e, w, status);
}

static void
srv_report(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *arg)
{
	pogo_exec_remote_report(((struct rt *)arg)->e, w, m);
}

static void
srv_reply(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *cookie, void *arg)
{
	pogo_exec_remote_reply(((struct rt *)arg)->e, w, m, cookie);
}

static const struct pogo_peer_server_cbs srv_cbs = { srv_up, srv_lost,
	srv_report, srv_reply, pogo_exec_remote_release };

static void
cp(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s != NULL ? s : "(null)");
}

static void
cl_command(struct pogo_peer_client *cl, struct pogo_peer_link *l,
    struct pogo_msg *m, void *arg)
{
	struct rt *t = arg;

	if (m->type == POGO_MSG_RUN) {
		t->runs++;
		cp(t->run_task, sizeof(t->run_task), m->task_id);
		cp(t->run_host, sizeof(t->run_host), m->host);
		cp(t->run_cmd, sizeof(t->run_cmd), m->task.command);
		cp(t->run_name, sizeof(t->run_name), m->task.task_name);
		cp(t->run_job, sizeof(t->run_job), m->task.job_id);
		cp(t->run_user, sizeof(t->run_user), m->task.user);
		cp(t->run_pw, sizeof(t->run_pw), m->task.password);
		cp(t->run_key, sizeof(t->run_key), m->task.client_private_key);
		cp(t->run_kpp, sizeof(t->run_kpp), m->task.pvt_key_passphrase);
		pogo_peer_link_reply(
		    l, m->task_id, t->answer != NULL, t->answer, -1);
		return;
	}
	if (m->type == POGO_MSG_TASKKILL)
		t->kills++;
	if (m->type == POGO_MSG_TASKSTATUS) {
		t->statuses++;
		pogo_peer_link_reply(l, m->task_id, 0,
		    t->status_answer != NULL ? t->status_answer : "ack", -1);
		return;
	}
	pogo_peer_link_reply(l, m->task_id, 0, "ack", -1);
}

static void
cl_up(struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg)
{
}

static const struct pogo_peer_client_cbs cl_cbs = { cl_up, NULL, cl_command,
	NULL, NULL };

static void
ev_started(struct pogo_exec_task *task, void *arg)
{
	((struct rt *)arg)->started++;
}

static void
ev_output(struct pogo_exec_task *task, enum pogo_out_type type,
    const char *data, size_t len, bool eol, void *arg)
{
	struct rt *t = arg;

	t->outputs++;
	snprintf(t->out, sizeof(t->out), "%.*s", (int)len, data);
	t->out_eol = eol;
}

static void
ev_done(
    struct pogo_exec_task *task, const struct pogo_exec_result *r, void *arg)
{
	struct rt *t = arg;

	t->dones++;
	t->res = *r;
}

static const struct pogo_exec_events events = { ev_started, ev_output,
	ev_done };

static void
kick(void *arg)
{
	((struct rt *)arg)->kicks++;
}

static void
barrier(void (*go)(void *cookie, int status), void *cookie, void *arg)
{
	struct rt *t = arg;

	ASSERT_LT(t->npending, 16);
	t->go[t->npending] = go;
	t->cookie[t->npending++] = cookie;
}

/* The store's commit: the barriers waiting so far go, in order. */
static void
commit(struct rt *t)
{
	int i, n = t->npending;

	if (t->hold)
		return;
	for (i = 0; i < n; i++) {
		t->barriers++;
		t->go[i](t->cookie[i], t->commit_fail);
	}
	memmove(t->go, t->go + n, (size_t)(t->npending - n) * sizeof(t->go[0]));
	memmove(t->cookie, t->cookie + n,
	    (size_t)(t->npending - n) * sizeof(t->cookie[0]));
	t->npending -= n;
}

static void
assign(struct pogo_exec_task *t, const char *worker, const char *instance,
    void *arg)
{
	t->task_name = "local";
	t->user = "alice";
}

static int
secrets(const struct pogo_exec_task *task,
    const struct pogo_dispatcher_secrets **sp, void *arg)
{
	struct rt *t = arg;

	t->secret_asks++;
	*sp = t->secrets;
	return t->need_secrets && t->secrets == NULL ? POGO_ERR_NOWORKER : 0;
}

#define WAIT_UNTIL(t, cond)                                  \
	do {                                                 \
		uint64_t end_ = uv_hrtime() + 5000000000ULL; \
		while (!(cond) && uv_hrtime() < end_) {      \
			uv_run(&(t)->loop, UV_RUN_NOWAIT);   \
			commit(t);                           \
			usleep(1000);                        \
		}                                            \
		ASSERT(cond);                                \
	} while (0)

static void
rt_init(struct rt *t, uint64_t grace_ms, bool with_barrier)
{
	struct pogo_exec_remote_opts o;
	struct pogo_peer_server_opts so;
	struct sockaddr_storage ss;
	char *cause = NULL;

	memset(t, 0, sizeof(*t));
	ASSERT_OK(pogo_proc_loop_init(&t->loop));
	memset(&o, 0, sizeof(o));
	o.kick = kick;
	o.assign = assign;
	o.secrets = secrets;
	o.barrier = with_barrier ? barrier : NULL;
	o.arg = t;
	o.grace_ms = grace_ms;
	t->e = pogo_exec_remote_new(&t->loop, &o);
	t->e->ev = &events;
	t->e->ev_arg = t;
	pogo_exec_remote_attach(t->e);
	pogo_peer_server_opts_init(&so);
	so.listen = "127.0.0.1:0";
	ASSERT_OK(
	    pogo_peer_server_new(&t->loop, &so, &srv_cbs, t, &t->srv, &cause));
	ASSERT_OK(pogo_peer_server_address(t->srv, &ss));
	t->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	pogo_exec_remote_set_prefix(t->e, "127.0.0.1:7655");
}

/* A worker name of max_tasks, with instance (NULL: a random one). */
static struct pogo_peer_client *
rt_worker_key(struct rt *t, const char *name, int max_tasks,
    const char *instance, const char *key_id)
{
	struct pogo_peer_client_opts o;
	struct pogo_peer_client *cl;
	char addr[64];
	const char *dv[1] = { addr };
	char *cause = NULL;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", t->port);
	pogo_peer_client_opts_init(&o);
	o.dispatchers = dv;
	o.ndispatchers = 1;
	o.name = name;
	o.instance = instance;
	o.max_tasks = max_tasks;
	o.key_id = key_id;
	o.reconnect_delay = 0;
	ASSERT_OK(pogo_peer_client_new(&t->loop, &o, &cl_cbs, t, &cl, &cause));
	return cl;
}

static struct pogo_peer_client *
rt_worker(struct rt *t, const char *name, int max_tasks, const char *instance)
{
	return rt_worker_key(t, name, max_tasks, instance, NULL);
}

static void
rt_client(struct rt *t, int max_tasks)
{
	t->cl = rt_worker(t, "w1", max_tasks, NULL);
}

static struct pogo_peer_link *
rt_link(struct rt *t)
{
	return pogo_peer_client_link(t->cl, 0);
}

static void
srv_closed_cb(struct pogo_peer_server *srv, int status, void *arg)
{
	((struct rt *)arg)->srv_closed = true;
}

static void
e_closed_cb(void *arg)
{
	((struct rt *)arg)->e_closed = true;
}

static void
rt_done(struct rt *t)
{
	if (t->cl != NULL)
		pogo_peer_client_close(t->cl, NULL, NULL);
	t->e->ops->close(t->e, e_closed_cb, t);
	pogo_peer_server_close(t->srv, srv_closed_cb, t);
	WAIT_UNTIL(t, t->e_closed && t->srv_closed);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	ASSERT(t->srv_closed);
	ASSERT(t->e_closed);
	pogo_exec_remote_detach(t->e);
	ASSERT_OK(uv_loop_close(&t->loop));
}

static void
task_init(struct pogo_exec_task *task, const char *id)
{
	memset(task, 0, sizeof(*task));
	task->job_id = "p0000000007";
	task->task_id = id;
	task->host = "h1";
	task->command = "echo hi";
}

/* The records a task_done says the task produced (its "records"). */
static uint64_t report_total;

static void
report_on(
    struct pogo_peer_link *l, enum pogo_msg_type type, const char *id, int rc)
{
	struct pogo_msg m;
	struct pogo_proto_record rec;

	pogo_proto_msg_init(&m, type);
	m.task_id = (char *)id;
	m.started_at = 1.0;
	if (type == POGO_MSG_TASK_OUTPUT) {
		rec.ts = 2.0;
		rec.type = POGO_OUT_STDOUT;
		rec.data = (char *)"hi there";
		rec.len = 8;
		rec.eol = false; /* a partial line (SPEC 5.8) */
		m.records = &rec;
		m.nrecords = 1;
		ASSERT_OK(pogo_peer_link_send(l, &m));
		return;
	}
	if (type == POGO_MSG_TASK_DONE) {
		m.rc = rc;
		m.state = rc == 0 ? POGO_EXEC_FINISHED : POGO_EXEC_FAILED;
		m.message = (char *)(rc == 0 ? "ok" : "exited with status 3");
		m.finished_at = 3.0;
		m.nrecords_total = report_total;
	}
	pogo_peer_link_report(l, &m);
}

static void
report(struct rt *t, enum pogo_msg_type type, const char *id, int rc)
{
	report_on(rt_link(t), type, id, rc);
}

TEST(no_worker_no_capacity_then_a_run_with_its_task_data)
{
	struct pogo_exec_task task;
	struct rt t;
	int i;

	rt_init(&t, 0, true);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_EQ(t.e->max_tasks, 0);
	ASSERT_EQ(t.e->ops->start(t.e, &task), UV_EBUSY);
	ASSERT_EQ(t.e->inflight, 0);

	rt_client(&t, 1);
	WAIT_UNTIL(&t, t.kicks >= 1);
	ASSERT_EQ(t.e->max_tasks, 1);
	ASSERT_OK(t.e->ops->start(t.e, &task));
	ASSERT_EQ(t.e->inflight, 1);
	ASSERT_STR_EQ(pogo_exec_remote_worker(&task, NULL), "w1");
	/* The run waits for the commit of the task's ready state. */
	t.hold = true;
	for (i = 0; i < 50; i++) {
		uv_run(&t.loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	ASSERT_EQ(t.npending, 1);
	ASSERT_EQ(t.runs, 0);
	t.hold = false;
	WAIT_UNTIL(&t, t.runs == 1);
	ASSERT_EQ(t.barriers, 1);
	ASSERT_STR_EQ(t.run_task, "127.0.0.1:7655-1");
	ASSERT_STR_EQ(t.run_host, "h1");
	ASSERT_STR_EQ(t.run_cmd, "echo hi");
	ASSERT_STR_EQ(t.run_name, "local");
	ASSERT_STR_EQ(t.run_job, "p0000000007");
	ASSERT_STR_EQ(t.run_user, "alice");
	rt_done(&t);
}

TEST(reports_become_events_and_are_acknowledged)
{
	struct pogo_exec_task task, task2;
	struct rt t;

	rt_init(&t, 0, true);
	rt_client(&t, 1);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	/* Full: a second task waits. */
	task_init(&task2, "127.0.0.1:7655-2");
	ASSERT_EQ(t.e->ops->start(t.e, &task2), UV_EBUSY);
	ASSERT_EQ(
	    t.e->ops->taskstatus(t.e, "127.0.0.1:7655-1"), POGO_EXEC_WAITING);

	report(&t, POGO_MSG_TASK_STARTED, "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.started == 1);
	report(&t, POGO_MSG_TASK_OUTPUT, "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.outputs == 1);
	ASSERT_STR_EQ(t.out, "hi there");
	ASSERT(!t.out_eol); /* issue 9: the record's end of line is kept */
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-1", 3);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_FAILED);
	ASSERT_EQ(t.res.exitstatus, 3);
	ASSERT_STR_EQ(t.res.msg, "exited with status 3");
	ASSERT(!t.res.requeue);
	ASSERT_EQ(t.res.records, 1);
	ASSERT_EQ(t.e->inflight, 0);
	/* Both reports were acknowledged, after their barriers. */
	WAIT_UNTIL(&t, pogo_peer_link_pending(rt_link(&t)) == 0);
	ASSERT_EQ(t.barriers, 3);
	/* A resent done has no second effect, and is acknowledged. */
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.barriers == 4);
	WAIT_UNTIL(&t, pogo_peer_link_pending(rt_link(&t)) == 0);
	ASSERT_EQ(t.dones, 1);
	rt_done(&t);
}

/*
 * SPEC 8.4: a task_done with its start (started_at) whose task_started
 * was never sent stands for both: the started event, then the done one,
 * in one turn (one barrier).  A task_done without a start (the command
 * never ran: unreachable, cannot run) has no started event.
 */
TEST(task_done_with_its_start_stands_for_task_started)
{
	struct pogo_exec_task task, task2;
	struct rt t;
	struct pogo_msg m;

	rt_init(&t, 0, true);
	rt_client(&t, 2);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	task_init(&task2, "127.0.0.1:7655-2");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	ASSERT_OK(t.e->ops->start(t.e, &task2));
	WAIT_UNTIL(&t, t.runs == 2);
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.started, 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_FINISHED);
	ASSERT(t.res.started_at > 0);
	WAIT_UNTIL(&t, pogo_peer_link_pending(rt_link(&t)) == 0);
	ASSERT_EQ(t.barriers, 3); /* two runs, one report */

	pogo_proto_msg_init(&m, POGO_MSG_TASK_DONE);
	m.task_id = (char *)"127.0.0.1:7655-2";
	m.rc = -1;
	m.state = POGO_EXEC_UNREACHABLE;
	m.message = (char *)"connection refused";
	m.finished_at = 3.0;
	pogo_peer_link_report(rt_link(&t), &m);
	WAIT_UNTIL(&t, t.dones == 2);
	ASSERT_EQ(t.started, 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_UNREACHABLE);
	ASSERT(t.res.started_at <= 0);
	rt_done(&t);
}

/*
 * SPEC 8.3, 9.9: records the worker dropped (more than 1 MiB unsent) or
 * the link lost still count in task_done's records; the dispatcher notes
 * the loss in a record before the final one.
 */
TEST(lost_records_are_noted_before_the_end)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 0, true);
	rt_client(&t, 1);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	report(&t, POGO_MSG_TASK_STARTED, "127.0.0.1:7655-1", 0);
	report(&t, POGO_MSG_TASK_OUTPUT, "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.outputs == 1);
	report_total = 4;
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-1", 0);
	report_total = 0;
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.outputs, 2);
	ASSERT_STR_EQ(t.out, "== output incomplete: 3 records lost ==");
	ASSERT_EQ(t.res.records, 2);
	rt_done(&t);
}

/*
 * SPEC 6.3: a run leaves only once its `ready` state is committed, and a
 * report is acknowledged only once it is committed.  A failed commit
 * sends neither: the run stays unsent (no event, the dispatcher stops and
 * a restart dispatches it from the store) and the worker keeps its
 * report to send it again.  A taskkill, which writes nothing, still goes
 * out; it comes after anything sent before it, so once the worker has it
 * no run and no acknowledgement can still be on their way.
 */
TEST(failed_commit_sends_no_run_and_acknowledges_no_report)
{
	struct pogo_exec_task task, task2;
	struct rt t;

	rt_init(&t, 0, true);
	rt_client(&t, 4);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);

	t.commit_fail = POGO_ERR_STORE;
	report(&t, POGO_MSG_TASK_STARTED, "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.barriers == 2);
	task_init(&task2, "127.0.0.1:7655-2");
	task2.host = "h2";
	ASSERT_OK(t.e->ops->start(t.e, &task2));
	WAIT_UNTIL(&t, t.barriers == 3);
	t.e->ops->kill(t.e, &task);
	WAIT_UNTIL(&t, t.kills == 1);
	ASSERT_EQ(t.runs, 1);
	ASSERT_EQ(pogo_peer_link_pending(rt_link(&t)), 1);
	ASSERT_EQ(t.dones, 0);
	ASSERT_EQ(
	    t.e->ops->taskstatus(t.e, "127.0.0.1:7655-2"), POGO_EXEC_WAITING);
	rt_done(&t);
	ASSERT_EQ(t.runs, 1);
	ASSERT_EQ(t.dones, 0);
}

TEST(busy_gives_the_task_back_and_the_worker_counts_as_full)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 0, false);
	rt_client(&t, 4);
	WAIT_UNTIL(&t, t.kicks >= 1);
	t.answer = "busy";
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT(t.res.requeue);
	ASSERT_EQ(t.e->inflight, 0);
	/* Full until it reports a finished task. */
	ASSERT_EQ(t.e->ops->start(t.e, &task), UV_EBUSY);
	rt_done(&t);
}

TEST(kill_sends_taskkill_unsent_kill_ends_killed)
{
	struct pogo_exec_task task, task2;
	struct rt t;

	rt_init(&t, 0, false);
	rt_client(&t, 4);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	t.e->ops->kill(t.e, &task);
	WAIT_UNTIL(&t, t.kills == 1);
	ASSERT_EQ(t.dones, 0); /* its done comes from the worker */

	/* Killed before its run went out: never sent, failed "killed". */
	task_init(&task2, "127.0.0.1:7655-2");
	ASSERT_OK(t.e->ops->start(t.e, &task2));
	t.e->ops->kill(t.e, &task2);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_STR_EQ(t.res.msg, "killed");
	ASSERT_EQ(t.res.state, POGO_EXEC_FAILED);
	ASSERT_EQ(t.runs, 1);
	rt_done(&t);
}

TEST(withdraw_before_the_run_is_sent)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 0, false);
	rt_client(&t, 4);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	ASSERT_OK(t.e->ops->withdraw(t.e, &task));
	ASSERT_EQ(t.e->inflight, 0);
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	ASSERT_EQ(t.e->ops->withdraw(t.e, &task), POGO_ERR_STATE);
	rt_done(&t);
}

TEST(lost_worker_fails_its_tasks_after_the_grace)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 200, false);
	rt_client(&t, 4);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	pogo_peer_client_close(t.cl, NULL, NULL);
	t.cl = NULL;
	WAIT_UNTIL(&t, pogo_peer_server_nworkers(t.srv) == 0);
	ASSERT_EQ(t.dones, 0); /* within the grace period */
	/* Its 4 are gone; its task keeps one, in flight (see below). */
	ASSERT_EQ(t.e->max_tasks, 1);
	ASSERT_EQ(t.e->inflight, 1);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.e->max_tasks, 0);
	ASSERT_EQ(t.res.state, POGO_EXEC_FAILED);
	ASSERT_EQ(t.res.exitstatus, -1);
	ASSERT_STR_EQ(t.res.msg, "lost contact with worker");
	rt_done(&t);
}

TEST(same_worker_back_within_the_grace_is_asked_taskstatus)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 10000, false);
	rt_client(&t, 4);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	/* Cut the connection; the client reconnects with its instance. */
	ASSERT_EQ(pogo_peer_server_nworkers(t.srv), 1);
	pogo_peer_worker_close(pogo_peer_server_worker(t.srv, 0), UV_EOF);
	WAIT_UNTIL(&t, t.kicks >= 2);
	ASSERT_EQ(t.dones, 0);
	/* The fake worker answers taskstatus "ack" (not unknown): waits. */
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_FINISHED);
	ASSERT_EQ(t.res.exitstatus, 0);
	rt_done(&t);
}

#define INSTANCE "0123456789abcdef0123456789abcdef"

TEST(same_worker_back_while_its_old_connection_looks_alive)
{
	struct pogo_exec_task task;
	struct pogo_peer_client *cl2;
	struct rt t;

	/*
	 * Half-open: the worker's side of its connection is gone, the
	 * dispatcher's still looks alive, and the same worker process (same
	 * name and instance) says hello on a new connection.  Its re-sent
	 * task_done must be applied, and the old connection dropped.
	 */
	rt_init(&t, 10000, false);
	t.cl = rt_worker(&t, "w1", 4, INSTANCE);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	cl2 = rt_worker(&t, "w1", 4, INSTANCE);
	WAIT_UNTIL(&t, t.kicks >= 2);
	/* The old connection is closed: one worker left, of 4 tasks. */
	WAIT_UNTIL(&t, pogo_peer_server_nworkers(t.srv) == 1);
	WAIT_UNTIL(&t, t.statuses == 1);
	ASSERT_EQ(t.e->max_tasks, 4);
	report_on(pogo_peer_client_link(cl2, 0), POGO_MSG_TASK_DONE,
	    "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_FINISHED);
	ASSERT_EQ(t.res.exitstatus, 0);
	ASSERT_EQ(t.e->inflight, 0);
	ASSERT_EQ(t.runs, 1);
	pogo_peer_client_close(cl2, NULL, NULL);
	rt_done(&t);
}

/*
 * As above with lost_worker_grace 0 (review finding 1): the old
 * connection's tasks move to the new one, asked taskstatus, instead of
 * failing at once "lost contact with worker" while the worker runs them.
 */
TEST(same_worker_back_while_half_open_without_grace)
{
	struct pogo_exec_task task;
	struct pogo_peer_client *cl2;
	struct rt t;

	rt_init(&t, 0, false);
	t.cl = rt_worker(&t, "w1", 4, INSTANCE);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_OK(t.e->ops->start(t.e, &task));
	WAIT_UNTIL(&t, t.runs == 1);
	cl2 = rt_worker(&t, "w1", 4, INSTANCE);
	WAIT_UNTIL(&t, pogo_peer_server_nworkers(t.srv) == 1);
	WAIT_UNTIL(&t, t.statuses == 1 || t.dones == 1);
	ASSERT_EQ(t.dones, 0);
	ASSERT_EQ(t.statuses, 1);
	report_on(pogo_peer_client_link(cl2, 0), POGO_MSG_TASK_DONE,
	    "127.0.0.1:7655-1", 0);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_FINISHED);
	ASSERT_EQ(t.e->inflight, 0);
	ASSERT_EQ(t.e->max_tasks, 4);
	ASSERT_EQ(t.runs, 1);
	pogo_peer_client_close(cl2, NULL, NULL);
	rt_done(&t);
}

/* w1 (INSTANCE) runs task, then its process goes: lost, no reconnect. */
static void
run_then_lose(struct rt *t, struct pogo_exec_task *task, int max_tasks)
{
	t->cl = rt_worker(t, "w1", max_tasks, INSTANCE);
	WAIT_UNTIL(t, t->kicks >= 1);
	task_init(task, "127.0.0.1:7655-1");
	ASSERT_OK(t->e->ops->start(t->e, task));
	WAIT_UNTIL(t, t->runs == 1);
	pogo_peer_client_close(t->cl, NULL, NULL);
	t->cl = NULL;
	WAIT_UNTIL(t, pogo_peer_server_nworkers(t->srv) == 0);
}

TEST(kill_while_lost_is_sent_once_the_worker_is_back)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 10000, false);
	run_then_lose(&t, &task, 4);
	t.e->ops->kill(t.e, &task);
	t.cl = rt_worker(&t, "w1", 4, INSTANCE);
	WAIT_UNTIL(&t, t.statuses == 1);
	WAIT_UNTIL(&t, t.kills == 1);
	ASSERT_EQ(t.dones, 0); /* its done comes from the worker */
	rt_done(&t);
}

TEST(killed_task_unknown_after_the_reconnection_is_not_run)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 10000, false);
	run_then_lose(&t, &task, 4);
	t.e->ops->kill(t.e, &task);
	t.status_answer = "unknown";
	t.cl = rt_worker(&t, "w1", 4, INSTANCE);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT(!t.res.requeue);
	ASSERT_EQ(t.res.state, POGO_EXEC_FAILED);
	ASSERT_STR_EQ(t.res.msg, "killed");
	ASSERT_EQ(t.runs, 1);
	rt_done(&t);
}

TEST(lost_worker_tasks_hold_no_room_of_the_other_workers)
{
	struct pogo_exec_task task, task2;
	struct pogo_peer_client *cl2;
	struct rt t;

	/* The engine dispatches while inflight < max_tasks (job.c). */
	rt_init(&t, 10000, false);
	run_then_lose(&t, &task, 1);
	cl2 = rt_worker(&t, "w2", 1, NULL);
	WAIT_UNTIL(&t, t.kicks >= 2);
	ASSERT_LT(t.e->inflight, t.e->max_tasks);
	task_init(&task2, "127.0.0.1:7655-2");
	ASSERT_OK(t.e->ops->start(t.e, &task2));
	WAIT_UNTIL(&t, t.runs == 2);
	ASSERT_EQ(t.e->inflight, t.e->max_tasks); /* w2 is full */
	/* w1 back (same instance): its task and its room are back. */
	t.cl = rt_worker(&t, "w1", 1, INSTANCE);
	WAIT_UNTIL(&t, t.statuses == 1);
	ASSERT_EQ(t.e->max_tasks, 2);
	ASSERT_EQ(t.e->inflight, 2);
	pogo_peer_client_close(cl2, NULL, NULL);
	rt_done(&t);
}

TEST(lost_worker_room_after_its_grace)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 200, false);
	run_then_lose(&t, &task, 2);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_STR_EQ(t.res.msg, "lost contact with worker");
	ASSERT_EQ(t.e->max_tasks, 0);
	ASSERT_EQ(t.e->inflight, 0);
	rt_done(&t);
}

#define INST_A "0123456789abcdef0123456789abcdef"
#define INST_B "fedcba9876543210fedcba9876543210"

static int
adopt(struct rt *t, struct pogo_exec_task *task, const char *instance,
    double started_at)
{
	return t->e->ops->adopt(t->e, task, "w1", instance, started_at, 0);
}

/*
 * review8 9: an adopted run's records stored before the restart are not
 * lost (SPEC 8.3): 2 stored, 1 received now, the worker counted 3 - no
 * record of loss; had it counted 4, one is lost.
 */
TEST(adopted_task_counts_its_stored_records)
{
	struct pogo_exec_task task, task2;
	struct rt t;

	rt_init(&t, 10000, true);
	task_init(&task, "127.0.0.1:7655-9");
	task_init(&task2, "127.0.0.1:7655-10");
	ASSERT_OK(t.e->ops->adopt(t.e, &task, "w1", INST_A, 1.0, 2));
	ASSERT_OK(t.e->ops->adopt(t.e, &task2, "w1", INST_A, 1.0, 2));
	t.cl = rt_worker(&t, "w1", 4, INST_A);
	WAIT_UNTIL(&t, t.statuses == 2);
	report(&t, POGO_MSG_TASK_OUTPUT, "127.0.0.1:7655-9", 0);
	WAIT_UNTIL(&t, t.outputs == 1);
	report_total = 3;
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-9", 0);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.outputs, 1);
	ASSERT_STR_EQ(t.out, "hi there");
	ASSERT_EQ(t.res.records, 3);
	report(&t, POGO_MSG_TASK_OUTPUT, "127.0.0.1:7655-10", 0);
	WAIT_UNTIL(&t, t.outputs == 2);
	report_total = 4;
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-10", 0);
	report_total = 0;
	WAIT_UNTIL(&t, t.dones == 2);
	ASSERT_EQ(t.outputs, 3);
	ASSERT_STR_EQ(t.out, "== output incomplete: 1 records lost ==");
	ASSERT_EQ(t.res.records, 4);
	rt_done(&t);
}

TEST(adopted_task_same_worker_back_is_asked_taskstatus)
{
	struct pogo_exec_task task;
	struct rt t;
	const char *inst;

	rt_init(&t, 10000, true);
	task_init(&task, "127.0.0.1:7655-9");
	ASSERT_OK(adopt(&t, &task, INST_A, 1.0));
	ASSERT_EQ(t.e->inflight, 1);
	ASSERT_STR_EQ(pogo_exec_remote_worker(&task, &inst), "w1");
	ASSERT_STR_EQ(inst, INST_A);
	t.cl = rt_worker(&t, "w1", 4, INST_A);
	WAIT_UNTIL(&t, t.statuses == 1);
	/* Never run again; a resent started has no second event. */
	ASSERT_EQ(t.runs, 0);
	report(&t, POGO_MSG_TASK_STARTED, "127.0.0.1:7655-9", 0);
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-9", 3);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.started, 0);
	ASSERT_EQ(t.res.state, POGO_EXEC_FAILED);
	ASSERT_EQ(t.res.exitstatus, 3);
	ASSERT_EQ(t.runs, 0);
	ASSERT_EQ(t.e->inflight, 0);
	rt_done(&t);
}

TEST(adopted_task_unknown_to_its_worker_goes_back_to_the_queue)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 10000, true);
	task_init(&task, "127.0.0.1:7655-9");
	ASSERT_OK(adopt(&t, &task, INST_A, 0));
	t.status_answer = "unknown";
	t.cl = rt_worker(&t, "w1", 4, INST_A);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT(t.res.requeue);
	ASSERT_EQ(t.runs, 0);
	rt_done(&t);
}

TEST(adopted_task_of_a_restarted_worker_is_lost)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 10000, true);
	task_init(&task, "127.0.0.1:7655-9");
	ASSERT_OK(adopt(&t, &task, INST_A, 1.0));
	t.cl = rt_worker(&t, "w1", 4, INST_B);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT(!t.res.requeue);
	ASSERT_EQ(t.res.state, POGO_EXEC_FAILED);
	ASSERT_EQ(t.res.exitstatus, -1);
	ASSERT_STR_EQ(t.res.msg, "lost contact with worker");
	ASSERT_EQ(t.statuses, 0);
	ASSERT_EQ(t.runs, 0);
	rt_done(&t);
}

TEST(adopted_task_lost_when_the_grace_ends)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 200, true);
	task_init(&task, "127.0.0.1:7655-9");
	ASSERT_OK(adopt(&t, &task, INST_A, 1.0));
	ASSERT_EQ(t.dones, 0);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_FAILED);
	ASSERT_STR_EQ(t.res.msg, "lost contact with worker");
	rt_done(&t);
}

TEST(adopted_task_with_a_connected_worker_of_that_instance)
{
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 10000, true);
	t.cl = rt_worker(&t, "w1", 4, INST_A);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-9");
	ASSERT_OK(adopt(&t, &task, INST_A, 1.0));
	WAIT_UNTIL(&t, t.statuses == 1);
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-9", 0);
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT_EQ(t.res.state, POGO_EXEC_FINISHED);
	ASSERT_EQ(t.runs, 0);
	rt_done(&t);
}

/*
 * Two lost records of one worker name (tasks adopted from two instances
 * of it): the worker back with one of them resolves both at once, the
 * tasks of its instance asked taskstatus, the other's lost; none waits
 * out its grace period.
 */
TEST(two_lost_records_of_one_name_are_both_resolved)
{
	struct pogo_exec_task task, task2;
	struct rt t;

	rt_init(&t, 60000, true);
	task_init(&task, "127.0.0.1:7655-8");
	ASSERT_OK(adopt(&t, &task, INST_A, 1.0));
	task_init(&task2, "127.0.0.1:7655-9");
	task2.host = "h2";
	ASSERT_OK(adopt(&t, &task2, INST_B, 1.0));
	t.cl = rt_worker(&t, "w1", 4, INST_A);
	WAIT_UNTIL(&t, t.statuses == 1 && t.dones == 1);
	ASSERT_STR_EQ(t.res.msg, "lost contact with worker");
	ASSERT_STR_EQ(pogo_exec_remote_worker(&task2, NULL) == NULL
	        ? "gone"
	        : "in flight",
	    "gone");
	ASSERT_STR_EQ(pogo_exec_remote_worker(&task, NULL), "w1");
	report(&t, POGO_MSG_TASK_DONE, "127.0.0.1:7655-8", 0);
	WAIT_UNTIL(&t, t.dones == 2);
	ASSERT_EQ(t.res.state, POGO_EXEC_FINISHED);
	ASSERT_EQ(t.runs, 0);
	rt_done(&t);
}

#define KEY_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KEY_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

TEST(secrets_go_only_to_a_worker_of_their_key_in_task_data)
{
	struct pogo_dispatcher_secrets sec = { "BOX-PW", "BOX-KEY", "BOX-KPP",
		KEY_B };
	struct pogo_exec_task task, task2, task3;
	struct pogo_peer_client *cla, *cl0;
	struct rt t;
	int i;

	rt_init(&t, 0, true);
	t.secrets = &sec;
	t.need_secrets = true;
	cla = rt_worker_key(&t, "wa", 4, NULL, KEY_A);
	cl0 = rt_worker_key(&t, "w0", 4, NULL, NULL);
	WAIT_UNTIL(&t, t.kicks >= 2);
	task_init(&task, "127.0.0.1:7655-1");
	/* Room, but no worker of key B: this task waits, others may go. */
	for (i = 0; i < 20; i++)
		ASSERT_EQ(t.e->ops->start(t.e, &task), POGO_ERR_NOWORKER);
	ASSERT_EQ(t.e->inflight, 0);
	t.cl = rt_worker_key(&t, "wb", 1, NULL, KEY_B);
	WAIT_UNTIL(&t, t.kicks >= 3);
	ASSERT_OK(t.e->ops->start(t.e, &task));
	ASSERT_STR_EQ(pogo_exec_remote_worker(&task, NULL), "wb");
	WAIT_UNTIL(&t, t.runs == 1);
	ASSERT_STR_EQ(t.run_pw, "BOX-PW");
	ASSERT_STR_EQ(t.run_key, "BOX-KEY");
	ASSERT_STR_EQ(t.run_kpp, "BOX-KPP");
	/* wb is full: the next task of the job waits, wa has room. */
	task_init(&task2, "127.0.0.1:7655-2");
	ASSERT_EQ(t.e->ops->start(t.e, &task2), POGO_ERR_NOWORKER);
	/* A job without secrets goes anywhere, without boxes. */
	t.secrets = NULL;
	t.need_secrets = false;
	task_init(&task3, "127.0.0.1:7655-3");
	ASSERT_OK(t.e->ops->start(t.e, &task3));
	WAIT_UNTIL(&t, t.runs == 2);
	ASSERT_STR_EQ(t.run_pw, "(null)");
	ASSERT_STR_EQ(t.run_key, "(null)");
	pogo_peer_client_close(cla, NULL, NULL);
	pogo_peer_client_close(cl0, NULL, NULL);
	rt_done(&t);
}

TEST(secrets_not_cached_the_task_waits_also_at_the_send)
{
	struct pogo_dispatcher_secrets sec = { "BOX-PW", NULL, NULL, KEY_B };
	struct pogo_exec_task task;
	struct rt t;

	rt_init(&t, 0, true);
	t.need_secrets = true;
	t.cl = rt_worker_key(&t, "wb", 2, NULL, KEY_B);
	WAIT_UNTIL(&t, t.kicks >= 1);
	task_init(&task, "127.0.0.1:7655-1");
	ASSERT_EQ(t.e->ops->start(t.e, &task), POGO_ERR_NOWORKER);
	ASSERT_EQ(t.e->inflight, 0);
	/* Cached at the start, dropped before the run goes: back, unsent. */
	t.secrets = &sec;
	t.hold = true;
	ASSERT_OK(t.e->ops->start(t.e, &task));
	t.secrets = NULL;
	t.hold = false;
	WAIT_UNTIL(&t, t.dones == 1);
	ASSERT(t.res.requeue);
	ASSERT_EQ(t.runs, 0);
	ASSERT_EQ(t.e->inflight, 0);
	rt_done(&t);
}
