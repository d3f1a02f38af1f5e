/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/dispatcher-engine.c: a dispatcher with the engine on
 * one loop, over a store in a temporary state directory that a test seeds
 * through store.h first (what a dispatcher killed at some point left),
 * and no worker connected.  Restart (SPEC 6.4): a job that cannot be
 * reloaded is halted with what failed, its hosts in flight failed "lost
 * contact with worker".  The job operations of the control port (SPEC
 * 5.5) on jobs that ended before the restart, and on jobs that ended in
 * this process (freed, then reloaded from the store on demand).  The
 * schedule of a job the engine holds comes from its memory.  A job with
 * external references (SPEC 2.7) is reloaded with the answers stored at
 * submission; one stopped while gathering gathers again, and one halted
 * meanwhile stays halted.  An ended job
 * is reloaded for an operation a page of rows per loop turn.
 */
#include "pogo/compat.h"

#include <netinet/in.h>
#include <sys/stat.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/box.h"
#include "pogo/ca.h"
#include "pogo/cfg.h"
#include "pogo/dispatcher-engine.h"
#include "pogo/dispatcher-peer.h"
#include "pogo/dispatcher.h"
#include "pogo/job.h"
#include "pogo/log.h"
#include "pogo/peer.h"
#include "pogo/proc.h"
#include "pogo/store.h"
#include "pogo/xmalloc.h"

struct efx {
	char dir[64];
	uv_loop_t loop;
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct pogo_store *st; /* the seeding store, then the dispatcher's */
	int flag;
	bool worker_port; /* efx_start() starts the worker port too */
};

static void
efx_flag_cb(void *arg)
{
	((struct efx *)arg)->flag++;
}

static void
efx_commit_cb(struct pogo_store *st, int status, void *arg)
{
	ASSERT_OK(status);
	((struct efx *)arg)->flag++;
}

static void
efx_timeout_cb(uv_timer_t *t)
{
	((struct efx *)t->data)->flag++;
}

static void
efx_closed_cb(uv_handle_t *h)
{
	((struct efx *)h->data)->flag++;
}

/* Run the loop until everything queued so far is committed. */
static void
efx_commit(struct efx *fx)
{
	int i;

	fx->flag = 0;
	pogo_store_after_commit(fx->st, efx_commit_cb, fx);
	for (i = 0; i < 100000 && fx->flag == 0; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT_EQ(fx->flag, 1);
}

/* A temporary state directory and a store on it to seed. */
static void
efx_seed(struct efx *fx)
{
	struct pogo_store_opts o = { 0 };
	char *cause = NULL;

	memset(fx, 0, sizeof(*fx));
	strlcpy(fx->dir, "/tmp/pogo-test-deng.XXXXXX", sizeof(fx->dir));
	ASSERT(mkdtemp(fx->dir) != NULL);
	ASSERT_OK(pogo_proc_loop_init(&fx->loop));
	o.state_dir = fx->dir;
	if (pogo_store_open(&fx->loop, &o, &fx->st, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "store: %s", cause);
}

/* Close the seeding store, start a dispatcher and its engine on it. */
static void
efx_start(struct efx *fx)
{
	struct pogo_cfg_src src = { .home = "/nonexistent" };
	static const char text[] = "dispatcher:\n"
	                           "  control_listen: 127.0.0.1:0\n"
	                           "  worker_listen: 127.0.0.1:0\n";
	struct pogo_exec *remote;
	char *cause = NULL;
	int i;

	if (fx->st != NULL) {
		fx->flag = 0;
		pogo_store_close(fx->st, efx_flag_cb, fx);
		for (i = 0; i < 100000 && fx->flag == 0; i++)
			uv_run(&fx->loop, UV_RUN_ONCE);
		ASSERT_EQ(fx->flag, 1);
	}
	if (fx->cfg == NULL) {
		if (pogo_cfg_load_text(text, strlen(text), "test", &src,
		        &fx->cfg, &cause) != 0)
			harness_fail(__FILE__, __LINE__, "cfg: %s", cause);
		free(fx->cfg->state_dir);
		fx->cfg->state_dir = xstrdup(fx->dir);
	}
	if (pogo_dispatcher_start(&fx->loop, fx->cfg, &fx->d, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "start: %s", cause);
	remote = pogo_dispatcher_engine_start(fx->d, &fx->loop, fx->cfg);
	if (fx->worker_port &&
	    pogo_dispatcher_peer_start(
	        fx->d, &fx->loop, fx->cfg, remote, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "worker port: %s", cause);
	fx->st = pogo_dispatcher_store(fx->d);
	efx_commit(fx);
}

/* Stop the dispatcher (the state directory stays). */
static void
efx_stop(struct efx *fx)
{
	int i;

	fx->flag = 0;
	pogo_dispatcher_stop(fx->d, efx_flag_cb, fx);
	for (i = 0; i < 100000 && fx->flag == 0; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT_EQ(fx->flag, 1);
	fx->d = NULL;
	fx->st = NULL;
}

/* Stop, check that no handle is left, remove the state directory. */
static void
efx_end(struct efx *fx)
{
	static const char *const names[] = { "pogo.db", "pogo.db-wal",
		"pogo.db-shm", "dispatcher.lock" };
	char p[128];
	size_t i;

	if (fx->d != NULL)
		efx_stop(fx);
	ASSERT_OK(pogo_proc_loop_close(&fx->loop));
	pogo_cfg_free(fx->cfg);
	for (i = 0; i < POGO_NELEM(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", fx->dir, names[i]);
		(void)unlink(p);
	}
	ASSERT_EQ(rmdir(fx->dir), 0);
}

static const char *const hosts2[] = { "h1", "h2" };
/* The worker key the next seeded job's secrets are for (NULL: none). */
static const char *seed_key_id;

/* Seed job n, `running`, on h1 and h2 with config (NULL: none). */
static void
seed_job(struct efx *fx, uint64_t n, const char *config, unsigned job_timeout,
    double start_time)
{
	const char *range[] = { "h[1-2]" };
	struct pogo_store_job j = { .job = n,
		.state = POGO_JOB_RUNNING,
		.state_message = "constraints computed",
		.user = "alice",
		.command = "true",
		.task_name = "local",
		.config = config,
		.timeout = 600,
		.job_timeout = job_timeout,
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = start_time,
		.range = range,
		.nrange = 1,
		.has_password = seed_key_id != NULL,
		.key_id = seed_key_id };
	uint64_t got;

	ASSERT_OK(pogo_store_next_job(fx->st, &got));
	ASSERT_EQ(got, n);
	ASSERT_OK(pogo_store_job_insert(fx->st, &j, hosts2, 2));
}

/* Seed log entry idx of job n (host -1: a job entry). */
static void
seed_entry(struct efx *fx, uint64_t n, uint32_t idx, double time, int64_t host,
    int state, const char *message, uint32_t run)
{
	struct pogo_store_entry e = { .index = idx,
		.time = time,
		.host = host,
		.state = state,
		.message = message,
		.exitstatus = -1,
		.run = run };

	ASSERT_OK(pogo_store_log_append(fx->st, n, &e));
}

/* Seed host idx of job n in state with runs (and a task when in flight). */
static void
seed_host(struct efx *fx, uint64_t n, uint32_t idx, int state,
    const char *message, uint32_t runs)
{
	struct pogo_store_host h = { .idx = idx,
		.state = state,
		.message = message,
		.exitstatus = -1,
		.runs = runs };

	if (state == POGO_HOST_READY || state == POGO_HOST_RUNNING) {
		h.task_id = "127.0.0.1:1-7";
		h.worker = "w1";
		h.worker_instance = "0123456789abcdef0123456789abcdef";
		h.start_time = 1000;
	}
	ASSERT_OK(pogo_store_host_set(fx->st, n, &h));
}

struct hostv {
	int state;
	char message[128];
	int exitstatus;
	uint32_t runs;
};

static int
hostv_cb(const struct pogo_store_host *h, void *arg)
{
	struct hostv *v = arg;

	v->state = h->state;
	strlcpy(v->message, h->message != NULL ? h->message : "",
	    sizeof(v->message));
	v->exitstatus = h->exitstatus;
	v->runs = h->runs;
	return 1;
}

/* The stored state of host idx of job n. */
static struct hostv
host_of(struct efx *fx, uint64_t n, uint32_t idx)
{
	struct hostv v;

	memset(&v, 0, sizeof(v));
	v.state = -1;
	ASSERT_OK(pogo_store_hosts(fx->st, n, idx, 1, hostv_cb, &v));
	return v;
}

/* The stored record of job n (free it). */
static struct pogo_store_job *
job_of(struct efx *fx, uint64_t n)
{
	struct pogo_store_job *j = NULL;

	ASSERT_OK(pogo_store_job_get(fx->st, n, &j));
	return j;
}

/* A job stored `running` with h1 in flight, entries 0-1 and 3 (a gap). */
static void
seed_running_with_gap(struct efx *fx, uint64_t n, const char *config)
{
	seed_job(fx, n, config, 0, 1000);
	seed_entry(fx, n, 0, 1000, -1, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0);
	seed_entry(
	    fx, n, 1, 1000, -1, POGO_JOB_RUNNING, "constraints computed", 0);
	seed_host(fx, n, 0, POGO_HOST_RUNNING, "started", 1);
	seed_entry(fx, n, 3, 1001, 0, POGO_HOST_RUNNING, "started", 0);
}

/*
 * Review finding 2: a job that cannot be reloaded (here: a gap in its
 * log; a configuration that does not parse) is halted with what failed,
 * and its host in flight is resolved: failed "lost contact with
 * worker", counted so, and logged.
 */
TEST(restore_failure_resolves_hosts_in_flight)
{
	struct efx fx;
	struct pogo_store_job *j;
	struct hostv h;
	uint32_t counts[POGO_HOST_NSTATES], len = 0;

	efx_seed(&fx);
	seed_running_with_gap(&fx, 0, NULL);
	seed_running_with_gap(&fx, 1, "tag: [");
	efx_start(&fx);

	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	ASSERT_STR_EQ(
	    j->state_message, "cannot reload the job: log entry 2 is missing");
	pogo_store_job_free(j);
	j = job_of(&fx, 1);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	ASSERT(strncmp(j->state_message, "cannot reload the job: ", 23) == 0);
	ASSERT(strstr(j->state_message, "cannot store") == NULL);
	pogo_store_job_free(j);

	h = host_of(&fx, 0, 0);
	ASSERT_EQ(h.state, POGO_HOST_FAILED);
	ASSERT_STR_EQ(h.message, "lost contact with worker");
	ASSERT_EQ(h.exitstatus, -1);
	ASSERT_EQ(h.runs, 1);
	h = host_of(&fx, 1, 0);
	ASSERT_EQ(h.state, POGO_HOST_FAILED);
	ASSERT_STR_EQ(h.message, "lost contact with worker");
	/* The waiting host is left as it is: the job is halted. */
	h = host_of(&fx, 0, 1);
	ASSERT_EQ(h.state, POGO_HOST_WAITING);

	ASSERT_OK(pogo_store_host_counts(fx.st, 0, counts, POGO_HOST_NSTATES));
	ASSERT_EQ(counts[POGO_HOST_RUNNING], 0);
	ASSERT_EQ(counts[POGO_HOST_FAILED], 1);
	/* Logged after what was stored: the host's entry, the job's. */
	ASSERT_OK(pogo_store_log_length(fx.st, 0, &len));
	ASSERT_EQ(len, 6);
	efx_end(&fx);
}

/* A client: one request with Connection: close, the whole answer. */
struct client {
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wr;
	char *req;
	char buf[65536];
	size_t len;
	bool done;
};

static void
client_alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *b)
{
	struct client *c = h->data;

	b->base = c->buf + c->len;
	b->len = sizeof(c->buf) - 1 - c->len;
}

static void
client_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct client *c = s->data;

	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
		return;
	}
	if (n < 0) {
		c->done = true;
		uv_close((uv_handle_t *)s, NULL);
	}
}

static void
client_write_cb(uv_write_t *w, int status)
{
	ASSERT_OK(status);
}

static void
client_connect_cb(uv_connect_t *cr, int status)
{
	struct client *c = cr->data;
	uv_buf_t b = uv_buf_init(c->req, (unsigned)strlen(c->req));

	ASSERT_OK(status);
	ASSERT_OK(
	    uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, client_write_cb));
	ASSERT_OK(uv_read_start(
	    (uv_stream_t *)&c->tcp, client_alloc_cb, client_read_cb));
}

/* Send req (taken) to the control port; the answer comes in c->buf. */
static void
request_start(struct efx *fx, struct client *c, char *req)
{
	struct sockaddr_storage ss;

	memset(c, 0, sizeof(*c));
	c->req = req;
	ASSERT_OK(pogo_dispatcher_control_address(fx->d, &ss));
	ASSERT_OK(uv_tcp_init(&fx->loop, &c->tcp));
	c->tcp.data = c;
	c->conn.data = c;
	ASSERT_OK(uv_tcp_connect(
	    &c->conn, &c->tcp, (struct sockaddr *)&ss, client_connect_cb));
}

/* Send req (taken) to the control port; the whole answer in c->buf. */
static void
request(struct efx *fx, struct client *c, char *req)
{
	int i;

	request_start(fx, c, req);
	for (i = 0; i < 100000 && !c->done; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT(c->done);
	free(c->req);
}

/* POST form to /v1/jobs/p<n> as request_start(). */
static void
post_op_start(struct efx *fx, struct client *c, uint64_t n, const char *form)
{
	char *req;

	xasprintf(&req,
	    "POST /v1/jobs/p%010llu HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    (unsigned long long)n, strlen(form), form);
	request_start(fx, c, req);
}

/* POST form to /v1/jobs/p<n>; the whole answer in c->buf. */
static void
post_op(struct efx *fx, struct client *c, uint64_t n, const char *form)
{
	char *req;

	xasprintf(&req,
	    "POST /v1/jobs/p%010llu HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s",
	    (unsigned long long)n, strlen(form), form);
	request(fx, c, req);
}

/* GET path; the whole answer in c->buf. */
static void
get(struct efx *fx, struct client *c, const char *path)
{
	char *req;

	xasprintf(&req,
	    "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	request(fx, c, req);
}

/* Expect an answer with status and text in its body. */
#define ASSERT_ANSWER(c, status, text)                                    \
	do {                                                              \
		char want_[32];                                           \
		snprintf(want_, sizeof(want_), "HTTP/1.1 %d ", (status)); \
		if (strncmp((c)->buf, want_, strlen(want_)) != 0 ||       \
		    strstr((c)->buf, (text)) == NULL)                     \
			harness_fail(__FILE__, __LINE__,                  \
			    "want %s... %s, got: %s", want_, (text),      \
			    (c)->buf);                                    \
	} while (0)

/* The log lines of the test, for what the engine says it did. */
static char logbuf[65536];
static size_t loglen;

static void
log_capture(const char *line, size_t len, void *arg)
{
	if (loglen + len < sizeof(logbuf)) {
		memcpy(logbuf + loglen, line, len);
		loglen += len;
		logbuf[loglen] = '\0';
	}
	fwrite(line, 1, len, stderr);
}

/* How many times s occurs in the captured log. */
static int
log_count(const char *s)
{
	const char *p = logbuf;
	int n = 0;

	while ((p = strstr(p, s)) != NULL) {
		n++;
		p += strlen(s);
	}
	return n;
}

/* The configuration of the jobs seed_ended() seeds (NULL: none). */
static const char *seed_ended_config;

/*
 * Seed job n ended in state (finished or halted, its message), h1 failed
 * (exit 3, after h1_runs runs), h2 in h2_state, with a whole log.
 */
static void
seed_ended(struct efx *fx, uint64_t n, int state, const char *message,
    int h2_state, unsigned job_timeout, double start)
{
	struct pogo_store_host h1 = { .idx = 0,
		.state = POGO_HOST_FAILED,
		.message = "exited with status 3",
		.exitstatus = 3,
		.runs = 1,
		.start_time = start + 1,
		.finish_time = start + 2 };
	struct pogo_store_entry e = { .index = 2,
		.time = start + 2,
		.host = 0,
		.state = POGO_HOST_FAILED,
		.message = "exited with status 3",
		.exitstatus = 3 };

	seed_job(fx, n, seed_ended_config, job_timeout, start);
	seed_entry(fx, n, 0, start, -1, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0);
	seed_entry(
	    fx, n, 1, start, -1, POGO_JOB_RUNNING, "constraints computed", 0);
	ASSERT_OK(pogo_store_host_set(fx->st, n, &h1));
	ASSERT_OK(pogo_store_log_append(fx->st, n, &e));
	seed_host(fx, n, 1, h2_state,
	    h2_state == POGO_HOST_FINISHED ? "exited with status 0"
	                                   : "job halted",
	    h2_state == POGO_HOST_FINISHED ? 1 : 0);
	seed_entry(fx, n, 3, start + 2, 1, h2_state, "", 0);
	seed_entry(fx, n, 4, start + 3, -1, state, message, 0);
	ASSERT_OK(pogo_store_job_state(fx->st, n, state, message, start + 3));
}

/*
 * A job that ended before the restart: jobretry reloads it from the
 * store (was 409 "was not run by this dispatcher"), the host waits
 * again and the job runs, its log going on after what was stored.  Once
 * it ends again (halted here), it is freed: the next operation reloads
 * it again.  Resume of a finished job is refused as before (the job
 * reloaded for it is freed again).
 */
TEST(ended_job_reloaded_for_operations)
{
	struct efx fx;
	struct client c;
	struct pogo_store_job *j;
	struct hostv h;
	uint32_t len = 0;

	loglen = 0;
	pogo_log_set_writer(log_capture, NULL, NULL);
	efx_seed(&fx);
	seed_ended(&fx, 0, POGO_JOB_FINISHED, "no more hosts to run",
	    POGO_HOST_FINISHED, 0, 1000);
	efx_start(&fx);
	ASSERT_EQ(log_count("reloaded"), 0);

	post_op(&fx, &c, 0, "command=jobresume");
	ASSERT_ANSWER(&c, 409, "job p0000000000 not halted; cannot resume");
	ASSERT_EQ(log_count("job p0000000000: reloaded from the store "
	                    "(finished)"),
	    1);
	/* Still ended, freed after the commit: the retry reloads it. */
	post_op(&fx, &c, 0, "command=jobretry&host=h1");
	ASSERT_ANSWER(&c, 200, "retry requested for 1 host(s)");
	ASSERT_EQ(log_count("job p0000000000: reloaded from the store "
	                    "(finished)"),
	    2);
	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_RUNNING);
	ASSERT_STR_EQ(j->state_message, "job resumed by retry request");
	pogo_store_job_free(j);
	h = host_of(&fx, 0, 0);
	ASSERT_EQ(h.state, POGO_HOST_WAITING);
	h = host_of(&fx, 0, 1);
	ASSERT_EQ(h.state, POGO_HOST_FINISHED);
	ASSERT_OK(pogo_store_log_length(fx.st, 0, &len));
	ASSERT_LT(5, len);

	/* Ended in this process: freed, and reloaded for the resume. */
	ASSERT_OK(pogo_dispatcher_job_halt(fx.d, 0, "stop it"));
	efx_commit(&fx);
	h = host_of(&fx, 0, 0);
	ASSERT_EQ(h.state, POGO_HOST_HALTED);
	post_op(&fx, &c, 0, "command=jobresume");
	ASSERT_ANSWER(&c, 200, "job p0000000000 resumed");
	ASSERT_EQ(log_count("job p0000000000: reloaded from the store "
	                    "(halted)"),
	    1);
	h = host_of(&fx, 0, 0);
	ASSERT_EQ(h.state, POGO_HOST_WAITING);
	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_RUNNING);
	pogo_store_job_free(j);
	/* Active now: the engine holds it, nothing is reloaded. */
	ASSERT_OK(pogo_dispatcher_job_halt(fx.d, 0, NULL));
	ASSERT_EQ(log_count("reloaded from the store"), 3);
	efx_end(&fx);
	pogo_log_set_writer(NULL, NULL, NULL);
}

/*
 * jobskip of a host of a job halted before the restart; jobretry of an
 * expired job is refused (409) and changes nothing.
 */
TEST(ended_job_skip_and_expired_retry)
{
	struct efx fx;
	struct client c;
	struct hostv h;

	efx_seed(&fx);
	seed_ended(&fx, 0, POGO_JOB_HALTED, "halted by user", POGO_HOST_HALTED,
	    0, 1000);
	seed_ended(&fx, 1, POGO_JOB_FINISHED, "no more hosts to run",
	    POGO_HOST_FINISHED, 10, 1000);
	efx_start(&fx);

	post_op(&fx, &c, 0, "command=jobskip&host=h2&host=h1");
	ASSERT_ANSWER(&c, 200, "skipped 2 host(s)");
	h = host_of(&fx, 0, 1);
	ASSERT_EQ(h.state, POGO_HOST_SKIPPED);
	ASSERT_STR_EQ(h.message, "skipped by user");
	h = host_of(&fx, 0, 0);
	ASSERT_EQ(h.state, POGO_HOST_SKIPPED);

	post_op(&fx, &c, 1, "command=jobretry&host=h1");
	ASSERT_ANSWER(&c, 409, "jobid p0000000001 has expired");
	h = host_of(&fx, 1, 0);
	ASSERT_EQ(h.state, POGO_HOST_FAILED);
	efx_end(&fx);
}

/* Host rows the dispatcher's store has read so far. */
static uint64_t
host_rows(struct efx *fx)
{
	struct pogo_store_stats st;

	pogo_store_stats(fx->st, &st);
	return st.host_rows;
}

/*
 * GET /v1/jobs/:jobid/schedule (review5 finding 3): a job the engine
 * holds is answered from its memory, without reading a host row; an
 * ended one from the store.
 */
TEST(schedule_of_a_held_job_from_memory)
{
	struct efx fx;
	struct client c;
	uint64_t rows;

	efx_seed(&fx);
	seed_ended(&fx, 0, POGO_JOB_FINISHED, "no more hosts to run",
	    POGO_HOST_FINISHED, 0, 1000);
	efx_start(&fx);
	rows = host_rows(&fx);
	get(&fx, &c, "/v1/jobs/p0000000000/schedule");
	ASSERT_ANSWER(&c, 200, "\"summary\":{\"finished\":1,\"failed\":1}");
	ASSERT_EQ(host_rows(&fx) - rows, 2);

	/* Reloaded and running again, h1 waiting: the engine's. */
	post_op(&fx, &c, 0, "command=jobretry&host=h1");
	ASSERT_ANSWER(&c, 200, "retry requested for 1 host(s)");
	rows = host_rows(&fx);
	get(&fx, &c, "/v1/jobs/p0000000000/schedule");
	ASSERT_ANSWER(&c, 200, "\"summary\":{\"waiting\":1,\"finished\":1}");
	ASSERT_EQ(host_rows(&fx), rows);
	efx_end(&fx);
}

/* A configuration with one external reference (SPEC 2.7) as a group. */
static const char grp_config[] = "tag:\n"
                                 "constraint:\n"
                                 "  Grp one:\n"
                                 "    max_parallel: 1\n";

/* Store the answer h1, h2 of grp_config's reference with job n. */
static void
seed_grp_answer(struct efx *fx, uint64_t n)
{
	struct pogo_store_ref ref = {
		.idx = 0, .ref = "Grp one", .hosts = hosts2, .nhosts = 2
	};

	ASSERT_OK(pogo_store_job_ref_set(fx->st, n, &ref));
}

/*
 * Issue 9: a job whose configuration has an external reference is
 * reloaded with the answer stored at submission, without running its
 * resolver (there is no resolver path here): a running one (h1 in
 * flight) after a restart keeps its group of 1, so h2 waits, and its
 * schedule view shows the group; an ended one is reloaded for a retry.
 * A job of schema 3, stored without its answers, is halted with why.
 * Was: halted "cannot reload the job: configurations with resolvers are
 * not supported by the dispatcher yet".
 */
TEST(reloaded_job_keeps_resolved_groups)
{
	struct efx fx;
	struct client c;
	struct pogo_store_job *j;
	struct hostv h;

	efx_seed(&fx);
	seed_job(&fx, 0, grp_config, 0, 1000);
	seed_entry(&fx, 0, 0, 1000, -1, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0);
	seed_entry(
	    &fx, 0, 1, 1000, -1, POGO_JOB_RUNNING, "constraints computed", 0);
	seed_host(&fx, 0, 0, POGO_HOST_RUNNING, "started", 1);
	seed_entry(&fx, 0, 2, 1001, 0, POGO_HOST_RUNNING, "started", 0);
	seed_grp_answer(&fx, 0);
	/* As job 0, without its answer (a job of schema 3). */
	seed_job(&fx, 1, grp_config, 0, 1000);
	seed_entry(&fx, 1, 0, 1000, -1, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0);
	seed_entry(
	    &fx, 1, 1, 1000, -1, POGO_JOB_RUNNING, "constraints computed", 0);
	/* Ended, h1 failed. */
	seed_ended_config = grp_config;
	seed_ended(&fx, 2, POGO_JOB_FINISHED, "no more hosts to run",
	    POGO_HOST_FINISHED, 0, 1000);
	seed_grp_answer(&fx, 2);
	efx_start(&fx);

	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_RUNNING);
	pogo_store_job_free(j);
	h = host_of(&fx, 0, 1);
	ASSERT_EQ(h.state, POGO_HOST_WAITING);
	get(&fx, &c, "/v1/jobs/p0000000000/schedule");
	ASSERT_ANSWER(&c, 200,
	    "\"groups\":[{\"name\":\"Grp one\",\"limit\":1,\"count\":2,"
	    "\"used\":1");
	j = job_of(&fx, 1);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	ASSERT_STR_EQ(j->state_message,
	    "cannot reload the job: the answers of its resolvers were not "
	    "stored");
	pogo_store_job_free(j);

	/* Ended: reloaded for a retry, the same group. */
	post_op(&fx, &c, 2, "command=jobretry&host=h1");
	ASSERT_ANSWER(&c, 200, "retry requested for 1 host(s)");
	j = job_of(&fx, 2);
	ASSERT_EQ(j->state, POGO_JOB_RUNNING);
	pogo_store_job_free(j);
	get(&fx, &c, "/v1/jobs/p0000000002/schedule");
	ASSERT_ANSWER(&c, 200,
	    "\"groups\":[{\"name\":\"Grp one\",\"limit\":1,\"count\":2");
	seed_ended_config = NULL;
	efx_end(&fx);
}

/* The number of stored answers of job n's references, and the first's
 * hosts joined with ','. */
struct refv {
	int n;
	char hosts[64];
};

static int
refv_cb(const struct pogo_store_ref *ref, void *arg)
{
	struct refv *v = arg;
	size_t i, len = 0;

	if (v->n++ > 0)
		return 0;
	for (i = 0; i < ref->nhosts; i++)
		len += (size_t)snprintf(v->hosts + len, sizeof(v->hosts) - len,
		    "%s%s", i > 0 ? "," : "", ref->hosts[i]);
	return 0;
}

static struct refv
refs_of(struct efx *fx, uint64_t n)
{
	struct refv v;

	memset(&v, 0, sizeof(v));
	ASSERT_OK(pogo_store_job_refs(fx->st, n, refv_cb, &v));
	return v;
}

/* Seed job n gathering with grp_config: only its first log entry. */
static void
seed_gathering(struct efx *fx, uint64_t n)
{
	seed_job(fx, n, grp_config, 0, 1000);
	ASSERT_OK(pogo_store_job_state(fx->st, n, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0));
	seed_entry(fx, n, 0, 1000, -1, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0);
}

/*
 * Run the loop until job n is stored in state; each turn waits for an
 * event (the resolver's exit), bounded by a timer of 10 s.
 */
static void
wait_job_state(struct efx *fx, uint64_t n, int state)
{
	struct pogo_store_job *j;
	uv_timer_t t;
	int i, now = -1;

	ASSERT_OK(uv_timer_init(&fx->loop, &t));
	ASSERT_OK(uv_timer_start(&t, efx_timeout_cb, 10000, 0));
	t.data = fx;
	fx->flag = 0;
	for (i = 0; i < 100000 && fx->flag == 0; i++) {
		j = job_of(fx, n);
		now = j->state;
		pogo_store_job_free(j);
		if (now == state)
			break;
		uv_run(&fx->loop, UV_RUN_ONCE);
	}
	fx->flag = 0;
	uv_close((uv_handle_t *)&t, efx_closed_cb);
	for (i = 0; i < 100000 && fx->flag == 0; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT_EQ(fx->flag, 1);
	ASSERT_EQ(now, state);
}

/* Run the loop until job n has n_refs stored answers (bounded, 10 s). */
static void
wait_refs(struct efx *fx, uint64_t n, int n_refs)
{
	uv_timer_t t;
	int i, now = -1;

	ASSERT_OK(uv_timer_init(&fx->loop, &t));
	ASSERT_OK(uv_timer_start(&t, efx_timeout_cb, 10000, 0));
	t.data = fx;
	fx->flag = 0;
	for (i = 0; i < 100000 && fx->flag == 0; i++) {
		if ((now = refs_of(fx, n).n) == n_refs)
			break;
		uv_run(&fx->loop, UV_RUN_ONCE);
	}
	fx->flag = 0;
	uv_close((uv_handle_t *)&t, efx_closed_cb);
	for (i = 0; i < 100000 && fx->flag == 0; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT_EQ(fx->flag, 1);
	ASSERT_EQ(now, n_refs);
}

/*
 * Issue 9: a job still gathering when the dispatcher stopped (its
 * resolvers had not answered: nothing ran) gathers again at the restart:
 * its resolver runs, the answer is stored with it, and it runs.  One that
 * needs secrets lost them (SPEC 6.4): halted "dispatcher restarted" once
 * its resolver answered, the answer stored for its resume.
 */
TEST(gathering_job_resolves_again_after_restart)
{
	struct pogo_cfg_src src = { .home = "/nonexistent" };
	char rdir[64], path[96], *text = NULL, *cause = NULL;
	struct pogo_store_job *j;
	struct refv v;
	struct efx fx;
	FILE *f;

	strlcpy(rdir, "/tmp/pogo-test-deng-res.XXXXXX", sizeof(rdir));
	ASSERT(mkdtemp(rdir) != NULL);
	snprintf(path, sizeof(path), "%s/Grp", rdir);
	ASSERT((f = fopen(path, "w")) != NULL);
	fputs("#!/bin/sh\nprintf 'h2\\nh1\\n'\n", f);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_EQ(chmod(path, 0755), 0);

	efx_seed(&fx);
	seed_gathering(&fx, 0);
	seed_key_id = "00112233445566778899aabbccddeeff"
	              "00112233445566778899aabbccddeeff";
	seed_gathering(&fx, 1);
	seed_key_id = NULL;
	/* Its job timeout (10 s from its start at 1000) has passed. */
	seed_job(&fx, 2, grp_config, 10, 1000);
	ASSERT_OK(pogo_store_job_state(fx.st, 2, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0));
	seed_entry(&fx, 2, 0, 1000, -1, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0);
	xasprintf(&text,
	    "dispatcher:\n"
	    "  control_listen: 127.0.0.1:0\n"
	    "  worker_listen: 127.0.0.1:0\n"
	    "  resolver_path: %s\n",
	    rdir);
	if (pogo_cfg_load_text(
	        text, strlen(text), "test", &src, &fx.cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "cfg: %s", cause);
	free(text);
	free(fx.cfg->state_dir);
	fx.cfg->state_dir = xstrdup(fx.dir);
	efx_start(&fx);

	wait_job_state(&fx, 0, POGO_JOB_RUNNING);
	v = refs_of(&fx, 0);
	ASSERT_EQ(v.n, 1);
	ASSERT_STR_EQ(v.hosts, "h2,h1");
	wait_job_state(&fx, 1, POGO_JOB_HALTED);
	j = job_of(&fx, 1);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	ASSERT_STR_EQ(j->state_message, "dispatcher restarted");
	pogo_store_job_free(j);
	v = refs_of(&fx, 1);
	ASSERT_EQ(v.n, 1);
	/* Expired: halted, its timeout counted from its start (6.4.3). */
	wait_job_state(&fx, 2, POGO_JOB_HALTED);
	j = job_of(&fx, 2);
	ASSERT_STR_EQ(j->state_message, "timeout reached");
	pogo_store_job_free(j);
	efx_end(&fx);
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(rmdir(rdir), 0);
}

/*
 * review8 finding 2: a job halted while its resolvers run (here: again,
 * after a restart) is halted in the store at once; stopped before they
 * answer and started again, it stays halted and runs nothing: its
 * resolvers run again only to store their answers, for its resume,
 * which then runs it.  Was: the halt was kept in memory only, and the
 * job ran after the restart.
 */
TEST(halt_while_gathering_is_kept_across_restart)
{
	struct pogo_cfg_src src = { .home = "/nonexistent" };
	char rdir[64], path[96], gopath[96], *text = NULL, *cause = NULL;
	struct pogo_store_job *j;
	struct client c;
	struct efx fx;
	FILE *f;

	strlcpy(rdir, "/tmp/pogo-test-deng-res.XXXXXX", sizeof(rdir));
	ASSERT(mkdtemp(rdir) != NULL);
	snprintf(path, sizeof(path), "%s/Grp", rdir);
	snprintf(gopath, sizeof(gopath), "%s/go", rdir);
	ASSERT((f = fopen(path, "w")) != NULL);
	/* Answers once go exists (at most 20 s). */
	fprintf(f,
	    "#!/bin/sh\ni=0\nwhile [ ! -e %s ] && [ $i -lt 400 ]; do "
	    "sleep 0.05; i=$((i + 1)); done\nprintf 'h1\\nh2\\n'\n",
	    gopath);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_EQ(chmod(path, 0755), 0);

	efx_seed(&fx);
	seed_gathering(&fx, 0);
	xasprintf(&text,
	    "dispatcher:\n"
	    "  control_listen: 127.0.0.1:0\n"
	    "  worker_listen: 127.0.0.1:0\n"
	    "  resolver_path: %s\n",
	    rdir);
	if (pogo_cfg_load_text(
	        text, strlen(text), "test", &src, &fx.cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "cfg: %s", cause);
	free(text);
	free(fx.cfg->state_dir);
	fx.cfg->state_dir = xstrdup(fx.dir);
	efx_start(&fx);
	ASSERT_OK(pogo_dispatcher_job_halt(fx.d, 0, "stop it"));
	efx_commit(&fx);
	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	ASSERT_STR_EQ(j->state_message, "stop it");
	pogo_store_job_free(j);
	ASSERT_EQ(refs_of(&fx, 0).n, 0);
	efx_stop(&fx);

	/* Started again: halted still; the answers come, nothing runs. */
	f = fopen(gopath, "w");
	ASSERT(f != NULL);
	ASSERT_EQ(fclose(f), 0);
	efx_start(&fx);
	wait_refs(&fx, 0, 1);
	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	ASSERT_STR_EQ(j->state_message, "stop it");
	pogo_store_job_free(j);
	ASSERT_EQ(host_of(&fx, 0, 0).runs, 0);

	/* The resume runs it, its groups from the stored answers. */
	post_op(&fx, &c, 0, "command=jobresume");
	ASSERT_ANSWER(&c, 200, "job p0000000000 resumed");
	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_RUNNING);
	pogo_store_job_free(j);
	efx_end(&fx);
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(unlink(gopath), 0);
	ASSERT_EQ(rmdir(rdir), 0);
}

/*
 * review8 finding 8: at a start, only a halted job that never ran a host
 * (halted while gathering) runs its resolvers again.  A halted job that
 * ran, without stored answers (a job of schema 3), does not: nothing
 * resolves it at the start, it gets no answers (its resume cannot build
 * groups its hosts did not run under).  A resume of the job whose
 * resolvers still run is a 409 that says so; once they answered, it runs.
 * Was: both resolved (two jobs active), the one that ran got today's
 * answers, and the resume meanwhile a 500.
 */
TEST(halted_job_that_ran_is_not_resolved_again)
{
	struct pogo_cfg_src src = { .home = "/nonexistent" };
	char rdir[64], path[96], gopath[96], *text = NULL, *cause = NULL;
	struct pogo_store_job *j;
	struct client c;
	struct efx fx;
	FILE *f;

	strlcpy(rdir, "/tmp/pogo-test-deng-res.XXXXXX", sizeof(rdir));
	ASSERT(mkdtemp(rdir) != NULL);
	snprintf(path, sizeof(path), "%s/Grp", rdir);
	snprintf(gopath, sizeof(gopath), "%s/go", rdir);
	ASSERT((f = fopen(path, "w")) != NULL);
	/* Answers once go exists (at most 20 s). */
	fprintf(f,
	    "#!/bin/sh\ni=0\nwhile [ ! -e %s ] && [ $i -lt 400 ]; do "
	    "sleep 0.05; i=$((i + 1)); done\nprintf 'h1\\nh2\\n'\n",
	    gopath);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_EQ(chmod(path, 0755), 0);

	efx_seed(&fx);
	/* 0: ran (h1 failed), halted, no answers stored (schema 3). */
	seed_ended_config = grp_config;
	seed_ended(&fx, 0, POGO_JOB_HALTED, "halted by user", POGO_HOST_HALTED,
	    0, 1000);
	seed_ended_config = NULL;
	/* 1: halted while gathering (its hosts waiting, none ran). */
	seed_gathering(&fx, 1);
	ASSERT_OK(
	    pogo_store_job_state(fx.st, 1, POGO_JOB_HALTED, "stop it", 0));
	xasprintf(&text,
	    "dispatcher:\n"
	    "  control_listen: 127.0.0.1:0\n"
	    "  worker_listen: 127.0.0.1:0\n"
	    "  resolver_path: %s\n",
	    rdir);
	if (pogo_cfg_load_text(
	        text, strlen(text), "test", &src, &fx.cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "cfg: %s", cause);
	free(text);
	free(fx.cfg->state_dir);
	fx.cfg->state_dir = xstrdup(fx.dir);
	efx_start(&fx);

	/* Only job 1's resolvers run. */
	get(&fx, &c, "/status");
	ASSERT_ANSWER(&c, 200, "\"jobs_active\":1");
	post_op(&fx, &c, 1, "command=jobresume");
	ASSERT_ANSWER(&c, 409,
	    "job p0000000001: its resolvers are still running; try again");
	j = job_of(&fx, 1);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	pogo_store_job_free(j);

	f = fopen(gopath, "w");
	ASSERT(f != NULL);
	ASSERT_EQ(fclose(f), 0);
	wait_refs(&fx, 1, 1);
	ASSERT_EQ(refs_of(&fx, 0).n, 0);
	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	ASSERT_STR_EQ(j->state_message, "halted by user");
	pogo_store_job_free(j);
	post_op(&fx, &c, 0, "command=jobresume");
	ASSERT(strncmp(c.buf, "HTTP/1.1 200 ", 13) != 0);
	ASSERT_EQ(refs_of(&fx, 0).n, 0);
	j = job_of(&fx, 0);
	ASSERT_EQ(j->state, POGO_JOB_HALTED);
	pogo_store_job_free(j);

	post_op(&fx, &c, 1, "command=jobresume");
	ASSERT_ANSWER(&c, 200, "job p0000000001 resumed");
	efx_end(&fx);
	ASSERT_EQ(unlink(path), 0);
	ASSERT_EQ(unlink(gopath), 0);
	ASSERT_EQ(rmdir(rdir), 0);
}

/* Host rows read per loop turn, the most in one turn. */
struct turns {
	struct efx *fx;
	uv_check_t check;
	uint64_t last;
	uint64_t max;
	unsigned n;
};

static void
turns_cb(uv_check_t *h)
{
	struct turns *t = h->data;
	uint64_t now = host_rows(t->fx);

	if (now - t->last > t->max)
		t->max = now - t->last;
	t->last = now;
	t->n++;
}

/*
 * Finding F-I of issue 11's review: a job that ended is reloaded for an
 * operation a page of rows per loop turn, never all at once on the loop:
 * jobretry of a host of an ended job of 10,000 hosts (and as many log
 * entries) reads at most 2,048 host rows in any one turn, over several
 * turns, and answers as before; a second request for the same job while
 * it loads waits for the same reload (the job is reloaded once).  Was:
 * all 10,000 rows (and the log) read in the request's turn.
 */
TEST(ended_job_reloaded_a_page_per_loop_turn)
{
	enum { N = 10000 };
	struct efx fx;
	struct client c, c2;
	struct turns t;
	struct pogo_store_job j = { .job = 0,
		.state = POGO_JOB_RUNNING,
		.user = "alice",
		.command = "true",
		.task_name = "local",
		.timeout = 600,
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = 1000 };
	struct pogo_store_host h = { .exitstatus = 0,
		.runs = 1,
		.start_time = 1001,
		.finish_time = 1002 };
	char **names = xcalloc(N, sizeof(*names));
	struct hostv hv;
	uint64_t got;
	uint32_t i;

	loglen = 0;
	pogo_log_set_writer(log_capture, NULL, NULL);
	efx_seed(&fx);
	for (i = 0; i < N; i++)
		xasprintf(&names[i], "h%05" PRIu32, i);
	ASSERT_OK(pogo_store_next_job(fx.st, &got));
	ASSERT_OK(
	    pogo_store_job_insert(fx.st, &j, (const char *const *)names, N));
	seed_entry(&fx, 0, 0, 1000, -1, POGO_JOB_GATHERING,
	    "job created; fetching host info", 0);
	seed_entry(
	    &fx, 0, 1, 1000, -1, POGO_JOB_RUNNING, "constraints computed", 0);
	for (i = 0; i < N; i++) {
		h.idx = i;
		h.state = i < 2 ? POGO_HOST_FAILED : POGO_HOST_FINISHED;
		h.exitstatus = i < 2 ? 3 : 0;
		h.message = i < 2 ? "exited with status 3" : "";
		ASSERT_OK(pogo_store_host_set(fx.st, 0, &h));
		seed_entry(&fx, 0, 2 + i, 1002, i, h.state, h.message, 0);
	}
	seed_entry(&fx, 0, 2 + N, 1003, -1, POGO_JOB_FINISHED,
	    "no more hosts to run", 0);
	ASSERT_OK(pogo_store_job_state(
	    fx.st, 0, POGO_JOB_FINISHED, "no more hosts to run", 1003));
	efx_start(&fx);

	memset(&t, 0, sizeof(t));
	t.fx = &fx;
	t.last = host_rows(&fx);
	ASSERT_OK(uv_check_init(&fx.loop, &t.check));
	t.check.data = &t;
	ASSERT_OK(uv_check_start(&t.check, turns_cb));
	post_op_start(&fx, &c, 0, "command=jobretry&host=h00000");
	post_op_start(&fx, &c2, 0, "command=jobretry&host=h00001");
	for (i = 0; i < 100000 && !(c.done && c2.done); i++)
		uv_run(&fx.loop, UV_RUN_ONCE);
	ASSERT(c.done && c2.done);
	free(c.req);
	free(c2.req);
	ASSERT_ANSWER(&c, 200, "retry requested for 1 host(s)");
	ASSERT_ANSWER(&c2, 200, "retry requested for 1 host(s)");
	ASSERT_LE(t.max, 2048);
	ASSERT_LT(5, t.n);
	ASSERT_EQ(log_count("job p0000000000: reloaded from the store "
	                    "(finished)"),
	    1);
	hv = host_of(&fx, 0, 0);
	ASSERT_EQ(hv.state, POGO_HOST_WAITING);
	hv = host_of(&fx, 0, 1);
	ASSERT_EQ(hv.state, POGO_HOST_WAITING);
	hv = host_of(&fx, 0, 2);
	ASSERT_EQ(hv.state, POGO_HOST_FINISHED);
	uv_close((uv_handle_t *)&t.check, NULL);
	efx_end(&fx);
	pogo_log_set_writer(NULL, NULL, NULL);
	for (i = 0; i < N; i++)
		free(names[i]);
	free(names);
}

/*
 * A worker for the secrets tests: the peer layer's client with a worker
 * key's id in its hello, one task at a time; each run's password box is
 * kept, and the run is reported finished at once.
 */
struct fw {
	struct pogo_peer_client *cl;
	int ups;
	int runs;
	char *password[8]; /* each run's box, in order (NULL: none) */
	char host[8][8];
	bool closed;
};

static void
fw_up(struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg)
{
	((struct fw *)arg)->ups++;
}

static void
fw_command(struct pogo_peer_client *cl, struct pogo_peer_link *l,
    struct pogo_msg *m, void *arg)
{
	struct fw *w = arg;
	struct pogo_msg r;

	if (m->type != POGO_MSG_RUN) {
		pogo_peer_link_reply(l, m->task_id, 0, "unknown", -1);
		return;
	}
	pogo_peer_link_reply(l, m->task_id, 0, NULL, -1);
	ASSERT_LT(w->runs, (int)POGO_NELEM(w->password));
	w->password[w->runs] =
	    m->task.password != NULL ? xstrdup(m->task.password) : NULL;
	strlcpy(w->host[w->runs], m->host != NULL ? m->host : "",
	    sizeof(w->host[0]));
	w->runs++;
	pogo_proto_msg_init(&r, POGO_MSG_TASK_STARTED);
	r.task_id = m->task_id;
	r.started_at = 2000;
	pogo_peer_link_report(l, &r);
	pogo_proto_msg_init(&r, POGO_MSG_TASK_DONE);
	r.task_id = m->task_id;
	r.rc = 0;
	r.state = POGO_EXEC_FINISHED;
	r.message = (char *)"ok";
	r.started_at = 2000;
	r.finished_at = 2001;
	r.nrecords_total = 0;
	pogo_peer_link_report(l, &r);
}

static const struct pogo_peer_client_cbs fw_cbs = { fw_up, NULL, fw_command,
	NULL, NULL };

/* Connect w, of worker key key_id, to fx's worker port. */
static void
fw_connect(struct efx *fx, struct fw *w, const char *key_id)
{
	struct pogo_peer_client_opts o;
	struct sockaddr_storage ss;
	char addr[64], *cause = NULL;
	const char *dv[1] = { addr };
	int i;

	memset(w, 0, sizeof(*w));
	ASSERT_OK(pogo_dispatcher_worker_address(fx->d, &ss));
	snprintf(addr, sizeof(addr), "127.0.0.1:%u",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	pogo_peer_client_opts_init(&o);
	o.dispatchers = dv;
	o.ndispatchers = 1;
	o.name = "w1";
	o.max_tasks = 1;
	o.key_id = key_id;
	ASSERT_OK(
	    pogo_peer_client_new(&fx->loop, &o, &fw_cbs, w, &w->cl, &cause));
	for (i = 0; i < 100000 && w->ups == 0; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT_EQ(w->ups, 1);
}

static void
fw_closed_cb(struct pogo_peer_client *cl, int status, void *arg)
{
	((struct fw *)arg)->closed = true;
}

static void
fw_close(struct efx *fx, struct fw *w)
{
	int i;

	pogo_peer_client_close(w->cl, fw_closed_cb, w);
	for (i = 0; i < 100000 && !w->closed; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT(w->closed);
	for (i = 0; i < w->runs; i++)
		free(w->password[i]);
}

/* Run the loop until host idx of job n is stored in state (at most 20 s). */
static void
wait_host(struct efx *fx, uint64_t n, uint32_t idx, int state)
{
	uint64_t end = uv_hrtime() + 20 * 1000000000ULL;

	while (host_of(fx, n, idx).state != state) {
		if (uv_hrtime() > end)
			harness_fail(__FILE__, __LINE__,
			    "host %u of job %llu: state %d, not %d",
			    (unsigned)idx, (unsigned long long)n,
			    host_of(fx, n, idx).state, state);
		uv_run(&fx->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

/* Run the loop until w had runs runs (at most 20 s). */
static void
wait_runs(struct efx *fx, struct fw *w, int runs)
{
	uint64_t end = uv_hrtime() + 20 * 1000000000ULL;

	while (w->runs < runs) {
		if (uv_hrtime() > end)
			harness_fail(__FILE__, __LINE__,
			    "%d runs, not %d; h1 state %d, h2 state %d %s",
			    w->runs, runs, host_of(fx, 0, 0).state,
			    host_of(fx, 0, 1).state, host_of(fx, 0, 1).message);
		uv_run(&fx->loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
}

/* box, percent-encoded for a form (base64's '+', '/', '='). */
static char *
form_value(const char *box)
{
	size_t len = 3 * strlen(box) + 1, i = 0;
	char *v = xmalloc(len);

	for (; *box != '\0'; box++) {
		if (*box == '+' || *box == '/' || *box == '=')
			i += (size_t)snprintf(
			    v + i, len - i, "%%%02X", (unsigned char)*box);
		else
			v[i++] = *box;
	}
	v[i] = '\0';
	return v;
}

/*
 * #10: resume and retry of a job that needs secrets (SPEC 5.5, 7.4).
 * Halted "dispatcher restarted" (its secrets were only in the cache): a
 * resume without secrets is refused; a resume with new ones dispatches
 * the waiting host with them, a retry with newer ones the retried host
 * with those, a retry without secrets the cached ones; after a restart
 * (the cache empty) a retry without secrets is refused and changes
 * nothing.  Secrets for a job submitted without any are refused.
 */
TEST(resume_and_retry_dispatch_the_new_secrets)
{
	struct pogo_box_key *k, *other;
	struct efx fx;
	struct client c;
	struct fw w;
	struct hostv h;
	char *pem = NULL, *a, *b, *x, *fa, *fb, *fx_, *form;
	size_t n;

	ASSERT_OK(pogo_ca_key_generate(POGO_CA_KEY_EC, &pem, &n));
	ASSERT_OK(pogo_box_key_parse(pem, n, &k));
	pogo_freezero(pem, n);
	ASSERT_OK(pogo_box_seal_base64(k, "pw-A", 4, &a));
	ASSERT_OK(pogo_box_seal_base64(k, "pw-B", 4, &b));
	fa = form_value(a);
	fb = form_value(b);

	efx_seed(&fx);
	fx.worker_port = true;
	seed_key_id = pogo_box_key_id_hex(k);
	seed_ended(&fx, 0, POGO_JOB_HALTED, "dispatcher restarted",
	    POGO_HOST_HALTED, 0, 1000);
	seed_key_id = NULL;
	seed_ended(&fx, 1, POGO_JOB_HALTED, "halted by user", POGO_HOST_HALTED,
	    0, 1000);
	efx_start(&fx);
	fw_connect(&fx, &w, pogo_box_key_id_hex(k));

	/* Needs secrets, none cached, none given. */
	post_op(&fx, &c, 0, "command=jobresume");
	ASSERT_ANSWER(&c, 409,
	    "job p0000000000 has no secrets; give them with the request");
	ASSERT_EQ(host_of(&fx, 0, 1).state, POGO_HOST_HALTED);
	/* Submitted without secrets: none can be added. */
	xasprintf(&form, "command=jobresume&password=%s", fa);
	post_op(&fx, &c, 1, form);
	ASSERT_ANSWER(&c, 400,
	    "job p0000000001 was submitted without secrets; they cannot be "
	    "added to it");
	ASSERT_EQ(host_of(&fx, 1, 1).state, POGO_HOST_HALTED);

	/* Resumed with A: h2 (halted) runs with A. */
	post_op(&fx, &c, 0, form);
	free(form);
	ASSERT_ANSWER(&c, 200, "job p0000000000 resumed");
	wait_host(&fx, 0, 1, POGO_HOST_FINISHED);
	ASSERT_EQ(w.runs, 1);
	ASSERT_STR_EQ(w.host[0], "h2");
	ASSERT(w.password[0] != NULL);
	ASSERT_STR_EQ(w.password[0], a);

	/* Secrets for another worker key: refused, nothing runs. */
	ASSERT_OK(pogo_ca_key_generate(POGO_CA_KEY_EC, &pem, &n));
	ASSERT_OK(pogo_box_key_parse(pem, n, &other));
	pogo_freezero(pem, n);
	ASSERT_OK(pogo_box_seal_base64(other, "pw-X", 4, &x));
	fx_ = form_value(x);
	xasprintf(&form, "command=jobretry&host=h1&password=%s", fx_);
	post_op(&fx, &c, 0, form);
	free(form);
	ASSERT_ANSWER(&c, 400, "secrets encrypted for different worker keys");
	ASSERT_EQ(host_of(&fx, 0, 0).state, POGO_HOST_FAILED);

	/* Retried with B: h1 (failed) runs with B. */
	xasprintf(&form, "command=jobretry&host=h1&password=%s", fb);
	post_op(&fx, &c, 0, form);
	free(form);
	ASSERT_ANSWER(&c, 200, "retry requested for 1 host(s)");
	wait_host(&fx, 0, 0, POGO_HOST_FINISHED);
	ASSERT_EQ(w.runs, 2);
	ASSERT_STR_EQ(w.host[1], "h1");
	ASSERT(w.password[1] != NULL);
	ASSERT_STR_EQ(w.password[1], b);

	/* Retried without secrets while B is cached: h2 runs with B. */
	post_op(&fx, &c, 0, "command=jobretry&host=h2");
	ASSERT_ANSWER(&c, 200, "retry requested for 1 host(s)");
	wait_runs(&fx, &w, 3);
	wait_host(&fx, 0, 1, POGO_HOST_FINISHED);
	ASSERT_EQ(w.runs, 3);
	ASSERT_STR_EQ(w.host[2], "h2");
	ASSERT(w.password[2] != NULL);
	ASSERT_STR_EQ(w.password[2], b);
	fw_close(&fx, &w);

	/* A restart empties the cache: a retry without secrets is refused. */
	efx_stop(&fx);
	efx_start(&fx);
	post_op(&fx, &c, 0, "command=jobretry&host=h1");
	ASSERT_ANSWER(&c, 409,
	    "job p0000000000 has no secrets; give them with the request");
	h = host_of(&fx, 0, 0);
	ASSERT_EQ(h.state, POGO_HOST_FINISHED);
	ASSERT_EQ(h.runs, 2);
	efx_end(&fx);
	free(a);
	free(b);
	free(fa);
	free(fb);
	free(x);
	free(fx_);
	pogo_box_key_free(k);
	pogo_box_key_free(other);
}
