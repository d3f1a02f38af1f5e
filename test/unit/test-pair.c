/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/pair.c: a dispatcher (in-memory store, engine, worker
 * layer) and a worker started in one process on one loop, linked by a
 * socketpair and listening on nothing, as pogo one runs them.  A job submitted through
 * pogo_dispatcher_submit() (the control port's submission path, without
 * HTTP) runs on the worker's local executor with task ids "one-<n>"
 * (SPEC 7.2), its hosts and log end in the store, a refused submission
 * has the control port's message and no answer, and the stop closes
 * every handle.
 */
#include "pogo/compat.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/cfg.h"
#include "pogo/dispatcher.h"
#include "pogo/job.h"
#include "pogo/pair.h"
#include "pogo/store.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

static struct pogo_cfg *
test_cfg(void)
{
	static const char text[] = "dispatcher:\n"
	                           "  control_listen: 127.0.0.1:0\n"
	                           "  worker_listen: 127.0.0.1:0\n"
	                           "worker:\n"
	                           "  name: one\n"
	                           "  max_tasks: 4\n"
	                           "  reconnect_delay: 0\n";
	struct pogo_cfg_src src = { .home = "/nonexistent",
		.hostname = "test" };
	struct pogo_cfg *cfg = NULL;
	char *cause = NULL;

	if (pogo_cfg_load_text(
	        text, strlen(text), "test", &src, &cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "cfg: %s", cause);
	free(cfg->state_dir);
	cfg->state_dir = xstrdup("");
	return cfg;
}

struct pt {
	int answers;
	int status;
	char jobid[32];
	bool stopped;
	int stop_status;
	/* The hosts as stored. */
	int states[8];
	int exits[8];
	char task_ids[8][32];
	uint32_t nhosts;
	int waited; /* entries "waiting for a worker" */
	int readies;
	int ready_status;
	int fatals;
};

static void
submitted_cb(
    struct pogo_dispatcher *d, int status, const char *jobid, void *arg)
{
	struct pt *t = arg;

	t->answers++;
	t->status = status;
	if (jobid != NULL)
		snprintf(t->jobid, sizeof(t->jobid), "%s", jobid);
}

static void
ready_cb(struct pogo_pair *p, int status, void *arg)
{
	struct pt *t = arg;

	t->readies++;
	t->ready_status = status;
}

static void
stopped_cb(int status, void *arg)
{
	struct pt *t = arg;

	t->stopped = true;
	t->stop_status = status;
}

static int
host_cb(const struct pogo_store_host *h, void *arg)
{
	struct pt *t = arg;

	ASSERT_LT(h->idx, 8);
	t->states[h->idx] = h->state;
	t->exits[h->idx] = h->exitstatus;
	snprintf(t->task_ids[h->idx], sizeof(t->task_ids[h->idx]), "%s",
	    h->task_id != NULL ? h->task_id : "");
	t->nhosts++;
	return 0;
}

static int
entry_cb(const struct pogo_store_entry *e, void *arg)
{
	if (e->message != NULL &&
	    strncmp(e->message, "waiting for a worker", 20) == 0)
		(*(int *)arg)++;
	return 0;
}

/* The job's state in the store. */
static int
job_state(struct pogo_dispatcher *d, uint64_t job)
{
	struct pogo_store_job *j = NULL;
	int s;

	ASSERT_OK(pogo_store_job_get(pogo_dispatcher_store(d), job, &j));
	s = j->state;
	pogo_store_job_free(j);
	return s;
}

TEST(a_job_runs_through_both_components_in_one_process)
{
	static const struct pogo_dispatcher_field ok[] = {
		{ "range", "h1,h2" },
		{ "range", "h3" },
		{ "command", "test \"$POGO_HOST\" != h2" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	static const struct pogo_dispatcher_field bad[] = {
		{ "range", "h1" },
		{ "user", "u" },
	};
	struct pogo_cfg *cfg = test_cfg();
	struct pogo_pair *p = NULL;
	struct pogo_dispatcher *d;
	struct pt t;
	uv_loop_t loop;
	char *cause = NULL, *msg = NULL;
	unsigned peak, hs;
	int i;

	memset(&t, 0, sizeof(t));
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_pair_start(&loop, cfg, NULL, "one", &p, &cause));
	d = pogo_pair_dispatcher(p);
	ASSERT(pogo_pair_worker(p) != NULL);
	pogo_pair_ready(p, 60000, ready_cb, &t);
	ASSERT_EQ(t.readies, 0); /* never from inside the call */
	for (i = 0; i < 100000 && t.readies == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(t.readies, 1);
	ASSERT_OK(t.ready_status);

	/* A refusal: the control port's message, and no answer later. */
	ASSERT_EQ(pogo_dispatcher_submit(
	              d, bad, POGO_NELEM(bad), "test", submitted_cb, &t, &msg),
	    POGO_ERR_CONFIG);
	ASSERT_STR_EQ(msg, "Mandatory field 'command' missing");
	free(msg);

	ASSERT_OK(pogo_dispatcher_submit(
	    d, ok, POGO_NELEM(ok), "test", submitted_cb, &t, &msg));
	ASSERT_EQ(t.answers, 0); /* never from inside the call */
	for (i = 0; i < 100000 && t.answers == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(t.answers, 1);
	ASSERT_OK(t.status);
	/* A new store: the first job (SPEC 7.2). */
	ASSERT_STR_EQ(t.jobid, "p0000000000");

	for (i = 0; i < 1000000 && job_state(d, 0) < POGO_JOB_FINISHED; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(job_state(d, 0), POGO_JOB_FINISHED);
	ASSERT_OK(
	    pogo_store_hosts(pogo_dispatcher_store(d), 0, 0, 0, host_cb, &t));
	ASSERT_EQ(t.nhosts, 3);
	ASSERT_EQ(t.states[0], POGO_HOST_FINISHED);
	ASSERT_EQ(t.states[1], POGO_HOST_FAILED);
	ASSERT_EQ(t.exits[1], 1);
	ASSERT_EQ(t.states[2], POGO_HOST_FINISHED);
	for (i = 0; i < 3; i++)
		ASSERT(strncmp(t.task_ids[i], "one-", 4) == 0);
	ASSERT(strcmp(t.task_ids[0], t.task_ids[1]) != 0);
	ASSERT(strcmp(t.task_ids[1], t.task_ids[2]) != 0);
	/* The worker was there before the job: no host waited for it. */
	ASSERT_OK(pogo_store_log(
	    pogo_dispatcher_store(d), 0, 0, 0, entry_cb, &t.waited));
	ASSERT_EQ(t.waited, 0);

	/*
	 * The peaks of pogo one's --json summary: the 3 hosts were handed
	 * to the worker at once (max_tasks 4), however soon the worker ran
	 * each over the stop-and-wait link (t1001 O-JSON saw 2 through the
	 * worker's own count).
	 */
	pogo_pair_peaks(p, &peak, &hs);
	ASSERT_EQ(peak, 3);
	ASSERT_EQ(hs, 0);

	pogo_pair_stop(p, stopped_cb, &t);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT(t.stopped);
	ASSERT_OK(t.stop_status);
	ASSERT_EQ(t.answers, 1);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

static void
fatal_cb(struct pogo_pair *p, void *arg)
{
	struct pt *t = arg;

	t->fatals++;
	/* What pogo one does: stop the pair. */
	pogo_pair_stop(p, stopped_cb, t);
}

/*
 * Review3 finding 9: a commit of the pair's store that fails (here the
 * fault is a commit refused, as SQLITE_NOMEM of an in-memory store would
 * refuse it: pogo_store_fail_commits()) stops the pair through its fatal callback, the running
 * task killed and the stop's status POGO_ERR_STORE, instead of a job
 * that never ends.
 */
TEST(a_failed_commit_stops_the_pair)
{
	static const struct pogo_dispatcher_field job[] = {
		{ "range", "h1" },
		{ "command",
		    "i=0; while [ $i -lt 600 ]; do echo line $i; sleep 0.1; "
		    "i=$((i+1)); done" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	struct pogo_cfg *cfg = test_cfg();
	struct pogo_pair *p = NULL;
	struct pogo_dispatcher *d;
	struct pt t;
	uv_loop_t loop;
	char *cause = NULL, *msg = NULL;
	uint64_t t0;
	int i;

	memset(&t, 0, sizeof(t));
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_pair_start(&loop, cfg, NULL, "one", &p, &cause));
	d = pogo_pair_dispatcher(p);
	pogo_pair_set_fatal(p, fatal_cb, &t);
	ASSERT_OK(pogo_dispatcher_submit(
	    d, job, POGO_NELEM(job), "test", submitted_cb, &t, &msg));
	for (i = 0; i < 1000000 && job_state(d, 0) != POGO_JOB_RUNNING; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(job_state(d, 0), POGO_JOB_RUNNING);
	/* The fault: from now on every commit fails. */
	t0 = uv_hrtime();
	pogo_store_fail_commits(pogo_dispatcher_store(d), true);
	for (i = 0; i < 1000000 && !t.stopped; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(t.fatals, 1);
	ASSERT(t.stopped);
	ASSERT_EQ(t.stop_status, POGO_ERR_STORE);
	/* Not the 60 s of a graceful stop: the task was killed. */
	ASSERT_LT((uv_hrtime() - t0) / 1000000, 30000);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

TEST(the_pair_listens_on_nothing)
{
	struct pogo_cfg *cfg = test_cfg();
	struct pogo_pair *p = NULL;
	struct pogo_dispatcher *d;
	struct sockaddr_storage ss;
	struct pt t;
	uv_loop_t loop;
	char *cause = NULL;
	int i;

	/* Ports in the configuration are not used (review3 finding 1). */
	memset(&t, 0, sizeof(t));
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_pair_start(&loop, cfg, NULL, "one", &p, &cause));
	d = pogo_pair_dispatcher(p);
	ASSERT(pogo_dispatcher_control_address(d, &ss) != 0);
	ASSERT(pogo_dispatcher_worker_address(d, &ss) != 0);
	/* The worker says hello all the same, over its socketpair. */
	pogo_pair_ready(p, 60000, ready_cb, &t);
	for (i = 0; i < 100000 && t.readies == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(t.readies, 1);
	ASSERT_OK(t.ready_status);
	pogo_pair_stop(p, stopped_cb, &t);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT(t.stopped);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

TEST(a_failed_start_leaves_nothing_open)
{
	struct pogo_cfg *cfg = test_cfg();
	struct pogo_pair *p = NULL;
	uv_loop_t loop;
	char *cause = NULL;

	/* A state directory that cannot be one. */
	free(cfg->state_dir);
	cfg->state_dir = xstrdup("/dev/null/pogo");
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT(pogo_pair_start(&loop, cfg, NULL, "one", &p, &cause) != 0);
	ASSERT_NULL(p);
	ASSERT(cause != NULL);
	free(cause);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/* Host idx's first `ready` entry in job's log (or UINT32_MAX). */
struct first_ready {
	uint32_t idx[2];
};

static int
ready_entry_cb(const struct pogo_store_entry *e, void *arg)
{
	struct first_ready *fr = arg;

	if (e->state == POGO_HOST_READY && e->host >= 0 && e->host < 2 &&
	    fr->idx[e->host] == UINT32_MAX)
		fr->idx[e->host] = e->index;
	return 0;
}

/* The job's state message in the store. */
static char *
job_message(struct pogo_dispatcher *d, uint64_t job)
{
	struct pogo_store_job *j = NULL;
	char *m;

	ASSERT_OK(pogo_store_job_get(pogo_dispatcher_store(d), job, &j));
	m = xstrdup(j->state_message != NULL ? j->state_message : "");
	pogo_store_job_free(j);
	return m;
}

/*
 * SPEC 2.7, 2.11: a submitted configuration's external references are
 * resolved by the dispatcher while the job gathers, from
 * dispatcher.resolver_path (pogo one's --resolver-path), the sequence in
 * the order the resolver printed; a resolver that fails halts the job
 * with its message.  Before, the engine halted every such job with
 * "configurations with resolvers are not supported by the dispatcher
 * yet", and pogo one ran them in-process.
 */
TEST(resolvers_run_while_the_job_gathers)
{
	static const char ok_script[] = "#!/bin/sh\necho h2\necho h1\n";
	static const char bad_script[] = "#!/bin/sh\nexit 1\n";
	struct pogo_dispatcher_field job[] = {
		{ "range", "h1,h2" },
		{ "command", "true" },
		{ "user", "u" },
		{ "task_name", "local" },
		{ "config", "tag:\nsequence: [Example x]\n" },
	};
	struct pogo_cfg *cfg = test_cfg();
	struct pogo_pair *p = NULL;
	struct pogo_dispatcher *d;
	struct first_ready fr = { { UINT32_MAX, UINT32_MAX } };
	struct pt t;
	uv_loop_t loop;
	char dir[] = "/tmp/test-pair.XXXXXX", *path = NULL, *cause = NULL;
	char *msg = NULL;
	FILE *fp;
	int i, pass;

	ASSERT(mkdtemp(dir) != NULL);
	xasprintf(&path, "%s/Example", dir);
	free(cfg->dispatcher.resolver_path);
	cfg->dispatcher.resolver_path = xstrdup(dir);
	memset(&t, 0, sizeof(t));
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_pair_start(&loop, cfg, NULL, "one", &p, &cause));
	d = pogo_pair_dispatcher(p);
	for (pass = 0; pass < 2; pass++) {
		ASSERT((fp = fopen(path, "w")) != NULL);
		fputs(pass == 0 ? ok_script : bad_script, fp);
		ASSERT_OK(fclose(fp));
		ASSERT_OK(chmod(path, 0755));
		ASSERT_OK(pogo_dispatcher_submit(
		    d, job, POGO_NELEM(job), "test", submitted_cb, &t, &msg));
		for (i = 0; i < 1000000 &&
		     (t.answers <= pass ||
		         job_state(d, (uint64_t)pass) < POGO_JOB_FINISHED);
		     i++)
			uv_run(&loop, UV_RUN_ONCE);
		ASSERT_EQ(t.answers, pass + 1);
		ASSERT_OK(t.status);
	}
	/* The first job ran, h2 (the resolver's first) before h1. */
	ASSERT_EQ(job_state(d, 0), POGO_JOB_FINISHED);
	ASSERT_OK(
	    pogo_store_hosts(pogo_dispatcher_store(d), 0, 0, 0, host_cb, &t));
	ASSERT_EQ(t.nhosts, 2);
	ASSERT_EQ(t.states[0], POGO_HOST_FINISHED);
	ASSERT_EQ(t.states[1], POGO_HOST_FINISHED);
	ASSERT_OK(pogo_store_log(
	    pogo_dispatcher_store(d), 0, 0, 0, ready_entry_cb, &fr));
	ASSERT(fr.idx[1] < fr.idx[0]);
	/* The second was halted with the resolver's message. */
	ASSERT_EQ(job_state(d, 1), POGO_JOB_HALTED);
	msg = job_message(d, 1);
	ASSERT_STR_EQ(msg,
	    "line 2, column 12: resolver 'Example' failed: "
	    "exit status 1");
	free(msg);

	pogo_pair_stop(p, stopped_cb, &t);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT(t.stopped);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
	ASSERT_OK(unlink(path));
	ASSERT_OK(rmdir(dir));
	free(path);
}
