/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/dispatcher.c as a component on one loop, with an
 * in-memory store and a stub engine and worker layer: a submission of
 * more hosts than one insert chunk is answered after its last commit and
 * only then handed to the engine; /status asks the worker layer and the
 * engine; a stop stops the engine, then the workers, then the store, and
 * leaves no handle open.  A log long poll wakes when the engine appends
 * an entry.  Start-up refusals name their cause.  A job's summary, its
 * log's in_flight and its host pages (count, name order, state filter)
 * follow the stored host states.  A job's schedule reads its hosts once
 * per change of the job, however many ask, builds are capped (503), and
 * a configuration with resolvers gets 409.
 * The HTTP routes are tested end to end by test/e2e/t5001.
 */
#include "pogo/compat.h"

#include <string.h>

#include "harness.h"
#include "pogo/cfg.h"
#include "pogo/dispatcher.h"
#include "pogo/job.h"
#include "pogo/store.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/* A configuration with an in-memory store on ephemeral loopback ports. */
static struct pogo_cfg *
test_cfg(const char *control, const char *extra)
{
	struct pogo_cfg_src src = { .home = "/nonexistent" };
	struct pogo_cfg *cfg = NULL;
	char *text, *cause = NULL;

	xasprintf(&text,
	    "dispatcher:\n  control_listen: %s\n"
	    "  worker_listen: 127.0.0.1:0\n%s",
	    control, extra);
	if (pogo_cfg_load_text(
	        text, strlen(text), "test", &src, &cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "cfg: %s", cause);
	free(text);
	free(cfg->state_dir);
	cfg->state_dir = xstrdup("");
	return cfg;
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

/* Send req to the dispatcher's control port. */
static void
client_start(uv_loop_t *loop, struct pogo_dispatcher *d, struct client *c,
    const char *req)
{
	struct sockaddr_storage ss;

	memset(c, 0, sizeof(*c));
	c->req = xstrdup(req);
	ASSERT_OK(pogo_dispatcher_control_address(d, &ss));
	ASSERT_OK(uv_tcp_init(loop, &c->tcp));
	c->tcp.data = c;
	c->conn.data = c;
	ASSERT_OK(uv_tcp_connect(
	    &c->conn, &c->tcp, (struct sockaddr *)&ss, client_connect_cb));
}

/* Run the loop until the answer is complete. */
static void
client_wait(uv_loop_t *loop, struct client *c)
{
	int i;

	for (i = 0; i < 100000 && !c->done; i++)
		uv_run(loop, UV_RUN_ONCE);
	ASSERT(c->done);
	free(c->req);
}

static void
client_run(uv_loop_t *loop, struct pogo_dispatcher *d, struct client *c,
    const char *req)
{
	client_start(loop, d, c, req);
	client_wait(loop, c);
}

/* The stub engine and worker layer record what happened, in order. */
struct stubs {
	char order[64];
	uint64_t submitted;
	uint64_t job;
	uint32_t hosts;
	uint64_t commits;
	uv_timer_t timer;
	void (*done)(void *);
	void *darg;
};

static int
count_host(const struct pogo_store_host *h, void *arg)
{
	(*(uint32_t *)arg)++;
	return 0;
}

static void
engine_submitted(struct pogo_dispatcher *d, uint64_t job,
    const struct pogo_dispatcher_secrets *sec, void *arg)
{
	struct stubs *s = arg;
	struct pogo_store *st = pogo_dispatcher_store(d);
	struct pogo_store_job *j = NULL;
	struct pogo_store_stats stats;

	s->submitted++;
	s->job = job;
	ASSERT_OK(pogo_store_job_get(st, job, &j));
	ASSERT_EQ(j->state, POGO_JOB_GATHERING);
	ASSERT_EQ(j->host_count, 5000);
	pogo_store_job_free(j);
	ASSERT_OK(pogo_store_hosts(st, job, 0, 0, count_host, &s->hosts));
	pogo_store_stats(st, &stats);
	s->commits = stats.commits;
	ASSERT_NULL(sec->password);
	ASSERT_NULL(sec->key_id);
}

static void
stub_timer_cb(uv_timer_t *t)
{
	struct stubs *s = t->data;

	s->done(s->darg);
}

static void
stub_stop(struct stubs *s, const char *who, void (*done)(void *), void *darg)
{
	size_t n = strlen(s->order);

	snprintf(s->order + n, sizeof(s->order) - n, "%s", who);
	s->done = done;
	s->darg = darg;
	/* Later, as the contract says. */
	uv_timer_start(&s->timer, stub_timer_cb, 0, 0);
}

static void
engine_stop(
    struct pogo_dispatcher *d, void (*done)(void *), void *darg, void *arg)
{
	stub_stop(arg, "engine,", done, darg);
}

static uint64_t
engine_jobs_active(struct pogo_dispatcher *d, void *arg)
{
	return 7;
}

static void
peer_workers(struct pogo_dispatcher *d, void (*fn)(const char *, void *),
    void *fnarg, void *arg)
{
	fn("w1 127.0.0.1:5555", fnarg);
	fn("w2 [::1]:6666", fnarg);
}

static void
peer_stop(
    struct pogo_dispatcher *d, void (*done)(void *), void *darg, void *arg)
{
	stub_stop(arg, "peer,", done, darg);
}

static void
stopped_cb(void *arg)
{
	struct stubs *s = arg;

	size_t n = strlen(s->order);

	snprintf(s->order + n, sizeof(s->order) - n, "stopped");
	uv_close((uv_handle_t *)&s->timer, NULL);
}

TEST(submit_then_engine_then_stop)
{
	static const struct pogo_dispatcher_engine engine = {
		.submitted = engine_submitted,
		.stop = engine_stop,
		.jobs_active = engine_jobs_active,
	};
	static const struct pogo_dispatcher_peer peer = {
		.workers = peer_workers,
		.stop = peer_stop,
	};
	struct pogo_cfg *cfg = test_cfg("127.0.0.1:0", "");
	struct pogo_dispatcher *d = NULL;
	struct stubs s;
	struct client c;
	uv_loop_t loop;
	char *cause = NULL;

	memset(&s, 0, sizeof(s));
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(uv_timer_init(&loop, &s.timer));
	s.timer.data = &s;
	ASSERT_OK(pogo_dispatcher_start(&loop, cfg, &d, &cause));
	pogo_dispatcher_set_engine(d, &engine, &s);
	pogo_dispatcher_set_peer(d, &peer, &s);

	/* 5,000 hosts: two insert chunks, two commits before the answer. */
	client_run(&loop, d, &c,
	    "POST /v1/jobsubmit HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: 37\r\n\r\n"
	    "range=h[1-5000]&command=true&user=ann");
	ASSERT(strstr(c.buf, "HTTP/1.1 200 ") == c.buf);
	ASSERT(strstr(c.buf,
	           "{\"rc\":\"ok\",\"message\":\"dispatcher CP: job received\","
	           "\"jobid\":\"p0000000000\"}\n") != NULL);
	ASSERT_EQ(s.submitted, 1);
	ASSERT_EQ(s.job, 0);
	ASSERT_EQ(s.hosts, 5000);
	ASSERT_GE(s.commits, 2);

	client_run(&loop, d, &c,
	    "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT(strstr(c.buf,
	           "\"workers\":[\"w1 127.0.0.1:5555\",\"w2 [::1]:6666\"],"
	           "\"jobs_active\":7}") != NULL);

	pogo_dispatcher_stop(d, stopped_cb, &s);
	ASSERT_STR_EQ(s.order, "");
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_STR_EQ(s.order, "engine,peer,stopped");
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/* Without an engine, a job stays gathering and /status counts it. */
TEST(no_engine)
{
	struct pogo_cfg *cfg = test_cfg("127.0.0.1:0", "");
	struct pogo_dispatcher *d = NULL;
	struct client c;
	uv_loop_t loop;
	char *cause = NULL;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_dispatcher_start(&loop, cfg, &d, &cause));
	client_run(&loop, d, &c,
	    "POST /v1/jobsubmit?range=a,b&command=x&user=u HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	ASSERT(strstr(c.buf, "\"jobid\":\"p0000000000\"") != NULL);
	client_run(&loop, d, &c,
	    "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT(strstr(c.buf, "\"workers\":[],\"jobs_active\":1}") != NULL);
	pogo_dispatcher_stop(d, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/* Refusals name their cause and leave nothing open. */
TEST(start_refused)
{
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d = NULL;
	uv_loop_t loop;
	char *cause = NULL;

	ASSERT_OK(uv_loop_init(&loop));
	cfg = test_cfg("10.9.8.7:7656", "");
	ASSERT_EQ(
	    pogo_dispatcher_start(&loop, cfg, &d, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "refusing to listen on 10.9.8.7:7656 without TLS; use --insecure "
	    "to override");
	ASSERT_NULL(d);
	free(cause);
	pogo_cfg_free(cfg);

	cfg = test_cfg("127.0.0.1:0",
	    "tls:\n  cert: /nonexistent.pem\n  key: /nonexistent.key\n  "
	    "ca_cert: /nonexistent.ca\n");
	/* An unreadable TLS item stops start-up and is named. */
	ASSERT_EQ(
	    pogo_dispatcher_start(&loop, cfg, &d, &cause), POGO_ERR_CONFIG);
	ASSERT(strncmp(cause, "tls.cert: /nonexistent.pem: ", 28) == 0);
	ASSERT_NULL(d);
	free(cause);
	pogo_cfg_free(cfg);

	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
}

/* What the engine does: append a log entry, then say so. */
struct appender {
	struct pogo_dispatcher *d;
	uv_timer_t timer;
	uint64_t at; /* uv_now when the entry was appended */
};

static void
append_cb(uv_timer_t *t)
{
	struct appender *a = t->data;
	struct pogo_store_entry e = { .index = 1,
		.time = 1.5,
		.host = 0,
		.state = POGO_HOST_WAITING,
		.message = "determining run order...",
		.exitstatus = -1 };

	ASSERT_OK(pogo_store_log_append(pogo_dispatcher_store(a->d), 0, &e));
	pogo_dispatcher_log_appended(a->d, 0);
	/* Another job's entry wakes nobody. */
	pogo_dispatcher_log_appended(a->d, 99);
	a->at = uv_now(t->loop);
	uv_close((uv_handle_t *)t, NULL);
}

/*
 * A long poll on the log answers when the engine appends an entry (if the
 * request comes after the entry, it is answered at once: the test passes
 * either way, and fails only if the wake-up is lost).
 */
TEST(log_long_poll_wakes)
{
	struct pogo_cfg *cfg = test_cfg("127.0.0.1:0", "");
	struct pogo_dispatcher *d = NULL;
	struct appender a;
	struct client c;
	uv_loop_t loop;
	char *cause = NULL;

	memset(&a, 0, sizeof(a));
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_dispatcher_start(&loop, cfg, &d, &cause));
	client_run(&loop, d, &c,
	    "POST /v1/jobsubmit?range=h1&command=x&user=u HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	ASSERT(strstr(c.buf, "\"jobid\":\"p0000000000\"") != NULL);

	a.d = d;
	ASSERT_OK(uv_timer_init(&loop, &a.timer));
	a.timer.data = &a;
	ASSERT_OK(uv_timer_start(&a.timer, append_cb, 300, 0));
	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000000/log?offset=1&wait=30 HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ASSERT(a.at != 0);
	/* Answered on the entry's commit, not at the end of the 30 s. */
	ASSERT_LT(uv_now(&loop) - a.at, 10000);
	ASSERT(strstr(c.buf,
	           "\"joblog\":[{\"index\":1,\"time\":1.5,\"type\":"
	           "\"hoststate\",\"state\":\"waiting\",\"message\":"
	           "\"determining run order...\",\"host\":\"h1\"}]") != NULL);
	ASSERT(strstr(c.buf, "\"count\":2") != NULL);

	pogo_dispatcher_stop(d, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/*
 * An output link names the host percent-encoded (RFC 3986): a scoped
 * IPv6 address keeps its colons, its '%' becomes %25, and the link leads
 * back to the host.
 */
TEST(output_link_encodes_host)
{
	struct pogo_cfg *cfg = test_cfg("127.0.0.1:0", "");
	struct pogo_dispatcher *d = NULL;
	struct pogo_store_entry e = { .index = 1,
		.time = 2.5,
		.host = 0,
		.state = POGO_HOST_FAILED,
		.message = "exited with 1",
		.exitstatus = 1,
		.run = 0,
		.output = true };
	struct client c;
	uv_loop_t loop;
	char *cause = NULL;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_dispatcher_start(&loop, cfg, &d, &cause));
	client_run(&loop, d, &c,
	    "POST /v1/jobsubmit?range=fe80::1%25eth0&command=x&user=u "
	    "HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "Content-Length: 0\r\n\r\n");
	ASSERT(strstr(c.buf, "\"jobid\":\"p0000000000\"") != NULL);
	ASSERT_OK(pogo_store_log_append(pogo_dispatcher_store(d), 0, &e));
	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000000/log?offset=1 HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ASSERT(strstr(c.buf,
	           "\"output\":\"/v1/jobs/p0000000000/hosts/"
	           "fe80::1%25eth0?run=0\"") != NULL);
	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000000/hosts/fe80::1%25eth0?run=0 HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ASSERT(strstr(c.buf, "HTTP/1.1 200 ") == c.buf);

	pogo_dispatcher_stop(d, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/*
 * A submission whose later chunk cannot be stored leaves no job
 * `gathering`: it is halted ("cannot store the job") with a log entry
 * saying so, and the client gets a 500.  The test makes the third chunk
 * fail by taking its first host index while the second is queued.
 */
TEST(submit_failing_part_way_halts_the_job)
{
	struct pogo_cfg *cfg = test_cfg("127.0.0.1:0", "");
	struct pogo_dispatcher *d = NULL;
	struct pogo_store *st;
	struct pogo_store_job *j = NULL;
	const char *intruder[] = { "intruder" };
	struct client c;
	uv_loop_t loop;
	char *cause = NULL, req[512];
	int i, n;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_dispatcher_start(&loop, cfg, &d, &cause));
	st = pogo_dispatcher_store(d);
	/* Three chunks of POGO_DISPATCHER_INSERT_CHUNK hosts. */
	n = snprintf(req, sizeof(req),
	    "POST /v1/jobsubmit?range=h[1-%d]&command=x&user=u HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
	    2 * POGO_DISPATCHER_INSERT_CHUNK + 10);
	ASSERT_LT(n, (int)sizeof(req));
	client_start(&loop, d, &c, req);
	for (i = 0; i < 100000 && !c.done; i++) {
		uv_run(&loop, UV_RUN_ONCE);
		if (pogo_store_job_get(st, 0, &j) == 0)
			break;
	}
	ASSERT(j != NULL);
	pogo_store_job_free(j);
	/* The first chunk is committed, the second queued. */
	ASSERT_OK(pogo_store_job_add_hosts(
	    st, 0, 2 * POGO_DISPATCHER_INSERT_CHUNK, intruder, 1));
	client_wait(&loop, &c);
	ASSERT(strstr(c.buf, "HTTP/1.1 500 ") == c.buf);
	ASSERT(strstr(c.buf, "dispatcher CP: cannot store the job") != NULL);

	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000000 HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ASSERT(strstr(c.buf,
	           "\"state\":\"halted\",\"state_message\":\"cannot store the "
	           "job\"") != NULL);
	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000000/log?offset=1 HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ASSERT(strstr(c.buf,
	           "\"type\":\"jobstate\",\"state\":\"halted\",\"message\":"
	           "\"cannot store the job\"") != NULL);
	client_run(&loop, d, &c,
	    "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ASSERT(strstr(c.buf, "\"jobs_active\":0}") != NULL);

	pogo_dispatcher_stop(d, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/* Append log entry idx of job 0 (a host entry of host 0). */
static void
append_entry(struct pogo_dispatcher *d, uint32_t idx)
{
	struct pogo_store_entry e = { .index = idx,
		.time = 1.0 + idx,
		.host = 0,
		.state = POGO_HOST_WAITING,
		.message = "m",
		.exitstatus = -1 };

	ASSERT_OK(pogo_store_log_append(pogo_dispatcher_store(d), 0, &e));
	pogo_dispatcher_log_appended(d, 0);
}

static void
count_commit_cb(struct pogo_store *st, int status, void *arg)
{
	(*(int *)arg)++;
}

/* Run the loop until everything queued so far is committed. */
static void
wait_commit(uv_loop_t *loop, struct pogo_dispatcher *d)
{
	int n = 0, i;

	pogo_store_after_commit(pogo_dispatcher_store(d), count_commit_cb, &n);
	for (i = 0; i < 100000 && n == 0; i++)
		uv_run(loop, UV_RUN_ONCE);
	ASSERT_EQ(n, 1);
}

/*
 * A long poll wakes only when an entry reaches its offset: entries
 * before it leave it waiting (no empty answer, no rescan per commit).
 */
TEST(log_long_poll_waits_for_its_offset)
{
	struct pogo_cfg *cfg = test_cfg("127.0.0.1:0", "");
	struct pogo_dispatcher *d = NULL;
	struct client c;
	uv_loop_t loop;
	char *cause = NULL;
	int i;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_dispatcher_start(&loop, cfg, &d, &cause));
	client_run(&loop, d, &c,
	    "POST /v1/jobsubmit?range=h1&command=x&user=u HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	ASSERT(strstr(c.buf, "\"jobid\":\"p0000000000\"") != NULL);
	client_start(&loop, d, &c,
	    "GET /v1/jobs/p0000000000/log?offset=3&wait=30 HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	/* Until the request is read and waiting. */
	for (i = 0; i < 50; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	append_entry(d, 1);
	wait_commit(&loop, d);
	append_entry(d, 2);
	wait_commit(&loop, d);
	for (i = 0; i < 50; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT_EQ(c.len, 0);
	ASSERT(!c.done);
	append_entry(d, 3);
	client_wait(&loop, &c);
	ASSERT(strstr(c.buf, "\"joblog\":[{\"index\":3,") != NULL);
	ASSERT(strstr(c.buf, "\"count\":4") != NULL);

	pogo_dispatcher_stop(d, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/* Set host idx of job 0 to state, as the engine would. */
static void
set_host(struct pogo_dispatcher *d, uint32_t idx, int state)
{
	struct pogo_store_host h = { .idx = idx,
		.state = state,
		.exitstatus = state == POGO_HOST_FAILED ? 3 : -1,
		.runs = state == POGO_HOST_WAITING ? 0 : 1 };

	ASSERT_OK(pogo_store_host_set(pogo_dispatcher_store(d), 0, &h));
}

/* GET path; the answer in c. */
static void
get(uv_loop_t *loop, struct pogo_dispatcher *d, struct client *c,
    const char *path)
{
	char *req;

	xasprintf(&req,
	    "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	client_run(loop, d, c, req);
	free(req);
	ASSERT(strstr(c->buf, "HTTP/1.1 200 ") == c->buf);
}

/*
 * The job's summary, the log's in_flight and the hosts pages are the
 * store's per-state counts and name-ordered pages (issue 9): they follow
 * every host state change, before and after its commit.
 */
TEST(summary_and_host_pages_follow_host_states)
{
	struct pogo_cfg *cfg = test_cfg("127.0.0.1:0", "");
	struct pogo_dispatcher *d = NULL;
	struct client c;
	uv_loop_t loop;
	char *cause = NULL;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_dispatcher_start(&loop, cfg, &d, &cause));
	client_run(&loop, d, &c,
	    "POST /v1/jobsubmit?range=h[1-12]&command=x&user=u HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
	ASSERT(strstr(c.buf, "\"jobid\":\"p0000000000\"") != NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000000");
	ASSERT(strstr(c.buf, "\"summary\":{\"waiting\":12},") != NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000000/log");
	ASSERT(strstr(c.buf, "\"in_flight\":0") != NULL);

	set_host(d, 0, POGO_HOST_FINISHED); /* h1 */
	set_host(d, 2, POGO_HOST_FAILED);   /* h3 */
	set_host(d, 4, POGO_HOST_RUNNING);  /* h5 */
	set_host(d, 6, POGO_HOST_READY);    /* h7 */
	set_host(d, 9, POGO_HOST_RUNNING);  /* h10 */
	set_host(d, 9, POGO_HOST_FAILED);   /* h10 again */
	get(&loop, d, &c, "/v1/jobs/p0000000000");
	ASSERT(strstr(c.buf,
	           "\"summary\":{\"waiting\":7,\"ready\":1,\"running\":1,"
	           "\"finished\":1,\"failed\":2},") != NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000000/log");
	ASSERT(strstr(c.buf, "\"in_flight\":2") != NULL);

	/* Every host, paged in byte order of the names. */
	get(&loop, d, &c, "/v1/jobs/p0000000000/hosts?max=3&offset=2");
	ASSERT(strstr(c.buf, "\"count\":12") != NULL);
	ASSERT(strstr(c.buf, "\"hosts\":{\"h11\":{\"state\":\"waiting\",") !=
	    NULL);
	ASSERT(strstr(c.buf, "\"h12\":{") != NULL);
	ASSERT(strstr(c.buf, "\"h2\":{") != NULL);
	ASSERT(strstr(c.buf, "\"h3\":{") == NULL);
	ASSERT(strstr(c.buf, "\"h10\":{") == NULL);
	/* A state: its count, its hosts only, in name order. */
	get(&loop, d, &c, "/v1/jobs/p0000000000/hosts?state=failed");
	ASSERT(strstr(c.buf, "\"count\":2") != NULL);
	ASSERT(strstr(c.buf,
	           "\"hosts\":{\"h10\":{\"state\":\"failed\",\"message\":null,"
	           "\"exitstatus\":3,") != NULL);
	ASSERT(strstr(c.buf, "},\"h3\":{\"state\":\"failed\",") != NULL);
	ASSERT(strstr(c.buf, "\"h1\":{") == NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000000/hosts?state=failed&offset=1");
	ASSERT(strstr(c.buf, "\"count\":2") != NULL);
	ASSERT(strstr(c.buf, "\"hosts\":{\"h3\":{") != NULL);
	ASSERT(strstr(c.buf, "\"h10\":{") == NULL);
	/* No host in that state, or an offset past the end: empty. */
	get(&loop, d, &c, "/v1/jobs/p0000000000/hosts?state=skipped");
	ASSERT(strstr(c.buf, "\"count\":0") != NULL);
	ASSERT(strstr(c.buf, "\"hosts\":{}") != NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000000/hosts?offset=12");
	ASSERT(strstr(c.buf, "\"count\":12") != NULL);
	ASSERT(strstr(c.buf, "\"hosts\":{}") != NULL);

	pogo_dispatcher_stop(d, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(&loop));
	pogo_cfg_free(cfg);
}

/*
 * GET /v1/jobs/:jobid/schedule (issue 12, review5 finding 3): the hosts
 * of a job are read from the store at most once per change of the job
 * (its log's length) and key while its answer is kept, however many
 * requests ask, and not at all for a
 * job the engine holds; at most POGO_DISPATCHER_SCHED_BUILDS builds run
 * at once, a request beyond them gets 503 at once and a request for a
 * build already running waits for it; a configuration with resolvers
 * gets 409.
 */

/* Host rows the store has read so far. */
static uint64_t
host_rows(struct pogo_dispatcher *d)
{
	struct pogo_store_stats st;

	pogo_store_stats(pogo_dispatcher_store(d), &st);
	return st.host_rows;
}

static void
guard_cb(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/* Run the loop until done(arg), for at most 10 s. */
static void
run_until(uv_loop_t *loop, bool (*done)(void *), void *arg)
{
	uv_timer_t guard;
	bool expired = false;
	int i;

	ASSERT_OK(uv_timer_init(loop, &guard));
	guard.data = &expired;
	ASSERT_OK(uv_timer_start(&guard, guard_cb, 10000, 0));
	for (i = 0; i < 100000 && !expired && !done(arg); i++)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&guard, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	ASSERT(done(arg));
}

struct rows_above {
	struct pogo_dispatcher *d;
	uint64_t rows;
};

static bool
rows_above(void *arg)
{
	struct rows_above *ra = arg;

	return host_rows(ra->d) > ra->rows;
}

/* Run the loop until the store has read more than rows host rows. */
static void
wait_host_rows(uv_loop_t *loop, struct pogo_dispatcher *d, uint64_t rows)
{
	struct rows_above ra = { d, rows };

	run_until(loop, rows_above, &ra);
}

static bool
client_done(void *arg)
{
	return ((struct client *)arg)->done;
}

static void
submit(uv_loop_t *loop, struct pogo_dispatcher *d, const char *query,
    const char *jobid)
{
	struct client c;
	char *req;

	xasprintf(&req,
	    "POST /v1/jobsubmit?%s&command=x&user=u HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
	    query);
	client_run(loop, d, &c, req);
	free(req);
	if (strstr(c.buf, jobid) == NULL)
		harness_fail(__FILE__, __LINE__, "submit: %s", c.buf);
}

static char *
sched_req(const char *jobid, unsigned max)
{
	char *req;

	xasprintf(&req,
	    "GET /v1/jobs/%s/schedule?max=%u HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n",
	    jobid, max);
	return req;
}

/* A dispatcher without engine on loop (initialised here), its cfg. */
static struct pogo_dispatcher *
dispatcher_begin(uv_loop_t *loop, struct pogo_cfg **cfgp)
{
	struct pogo_dispatcher *d = NULL;
	char *cause = NULL;

	*cfgp = test_cfg("127.0.0.1:0", "");
	ASSERT_OK(uv_loop_init(loop));
	if (pogo_dispatcher_start(loop, *cfgp, &d, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "start: %s", cause);
	return d;
}

static void
dispatcher_end(uv_loop_t *loop, struct pogo_dispatcher *d, struct pogo_cfg *cfg)
{
	pogo_dispatcher_stop(d, NULL, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	ASSERT_OK(uv_loop_close(loop));
	pogo_cfg_free(cfg);
}

TEST(schedule_reads_the_store_once_per_change)
{
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct client *c = xcalloc(20, sizeof(*c));
	uv_loop_t loop;
	char *req;
	uint64_t rows;
	int i;

	d = dispatcher_begin(&loop, &cfg);
	submit(&loop, d, "range=h[1-10000]", "p0000000000");
	rows = host_rows(d);

	/* 20 browsers at once: one read of the 10,000 hosts. */
	req = sched_req("p0000000000", 5);
	for (i = 0; i < 20; i++)
		client_start(&loop, d, &c[i], req);
	for (i = 0; i < 20; i++)
		client_wait(&loop, &c[i]);
	free(req);
	ASSERT_EQ(host_rows(d) - rows, 10000);
	for (i = 0; i < 20; i++) {
		ASSERT(strncmp(c[i].buf, "HTTP/1.1 200 ", 13) == 0);
		/* The same answer from the meta on (the Date may differ). */
		ASSERT_STR_EQ(strstr(c[i].buf, "{\"meta\""),
		    strstr(c[0].buf, "{\"meta\""));
	}
	ASSERT(strstr(c[0].buf,
	           "\"slots\":[{\"name\":\"unconstrained\",\"count\":10000,"
	           "\"summary\":{\"waiting\":10000},") != NULL);

	/* A change (a host's state and its log entry): read once more. */
	set_host(d, 0, POGO_HOST_FINISHED);
	append_entry(d, 1);
	rows = host_rows(d);
	req = sched_req("p0000000000", 5);
	client_run(&loop, d, &c[0], req);
	client_run(&loop, d, &c[1], req);
	free(req);
	ASSERT_EQ(host_rows(d) - rows, 10000);
	ASSERT(strstr(c[0].buf,
	           "\"summary\":{\"waiting\":9999,\"finished\":1},") != NULL);
	ASSERT_STR_EQ(
	    strstr(c[0].buf, "{\"meta\""), strstr(c[1].buf, "{\"meta\""));

	free(c);
	dispatcher_end(&loop, d, cfg);
}

/* A stub engine holding job 0, h1..h12, h3 failed (the store: waiting). */
static int
engine_hosts(struct pogo_dispatcher *d, uint64_t job, struct pogo_strv *hosts,
    uint8_t **states, void *arg)
{
	char name[16];
	int i;

	if (job != 0)
		return POGO_ERR_NOTFOUND;
	*states = xcalloc(12, 1);
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "h%d", i + 1);
		pogo_strv_push(hosts, name);
		(*states)[i] = i == 2 ? POGO_HOST_FAILED : POGO_HOST_WAITING;
	}
	return 0;
}

TEST(schedule_of_an_engine_job_reads_no_host_row)
{
	static const struct pogo_dispatcher_engine engine = {
		.hosts = engine_hosts,
	};
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct client c;
	uv_loop_t loop;
	uint64_t rows;

	d = dispatcher_begin(&loop, &cfg);
	submit(&loop, d, "range=h[1-12]", "p0000000000");
	submit(&loop, d, "range=h[1-12]", "p0000000001");
	pogo_dispatcher_set_engine(d, &engine, NULL);
	rows = host_rows(d);
	get(&loop, d, &c, "/v1/jobs/p0000000000/schedule");
	ASSERT(strstr(c.buf, "\"summary\":{\"waiting\":11,\"failed\":1},") !=
	    NULL);
	ASSERT_EQ(host_rows(d), rows);
	/* A job the engine does not hold: from the store. */
	get(&loop, d, &c, "/v1/jobs/p0000000001/schedule");
	ASSERT(strstr(c.buf, "\"summary\":{\"waiting\":12},") != NULL);
	ASSERT_EQ(host_rows(d) - rows, 12);
	/* The kept answer in each request's format (SPEC 11.2). */
	get(&loop, d, &c, "/v1/jobs/p0000000001/schedule?cb=f");
	ASSERT(strstr(c.buf, "\r\n\r\nf({\"meta\":{") != NULL);
	ASSERT(strstr(c.buf, "})\n") != NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000001/schedule?format=json-pretty");
	ASSERT(strstr(c.buf, "\r\n\r\n{\n  \"meta\": {\n") != NULL);
	/* Another key, built once no other build of the job runs: the
	 * hosts were let go with the first answer (review7 finding 4). */
	ASSERT_EQ(host_rows(d) - rows, 24);
	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000001/schedule?format=xml HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ASSERT(strncmp(c.buf, "HTTP/1.1 400 ", 13) == 0);
	ASSERT(
	    strstr(c.buf, "\"errors\":[\"format 'xml' not known\"]") != NULL);
	ASSERT_EQ(host_rows(d) - rows, 24);
	dispatcher_end(&loop, d, cfg);
}

/*
 * ?table=0 leaves the text of pogo schedule out ("table": null), for a
 * client that draws its own (the web UI); an answer kept without it is
 * not given to a request that wants it.
 */
TEST(schedule_table_0_leaves_the_table_out)
{
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct client c;
	uv_loop_t loop;

	d = dispatcher_begin(&loop, &cfg);
	submit(&loop, d, "range=h[1-12]", "p0000000000");
	get(&loop, d, &c, "/v1/jobs/p0000000000/schedule?max=5&table=0");
	ASSERT(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT(strstr(c.buf, "\"table\":null}") != NULL);
	ASSERT(strstr(c.buf,
	           "\"hosts\":[\"h1\",\"h2\",\"h3\",\"h4\",\"h5\"]") != NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000000/schedule?max=5");
	ASSERT(strstr(c.buf, "\"table\":\".---") != NULL);
	ASSERT(strstr(c.buf, "... 7 more") != NULL);
	get(&loop, d, &c, "/v1/jobs/p0000000000/schedule?max=5&table=1");
	ASSERT(strstr(c.buf, "\"table\":\".---") != NULL);
	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000000/schedule?table=no HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ASSERT(strncmp(c.buf, "HTTP/1.1 400 ", 13) == 0);
	ASSERT(strstr(c.buf, "\"errors\":[\"invalid value for 'table'\"]") !=
	    NULL);
	dispatcher_end(&loop, d, cfg);
}

/* Work items that hold every thread of the pool until released. */
#define BLOCKERS 64
struct blockers {
	uv_mutex_t mu;
	uv_cond_t cv;
	bool go;
	int done;
	uv_work_t w[BLOCKERS];
};

static void
blocker_work_cb(uv_work_t *w)
{
	struct blockers *b = w->data;

	uv_mutex_lock(&b->mu);
	while (!b->go)
		uv_cond_wait(&b->cv, &b->mu);
	uv_mutex_unlock(&b->mu);
}

static void
blocker_after_cb(uv_work_t *w, int status)
{
	((struct blockers *)w->data)->done++;
}

struct sched_waiters {
	struct pogo_dispatcher *d;
	unsigned waiters;
};

static bool
sched_waiters_are(void *arg)
{
	struct sched_waiters *w = arg;
	struct pogo_dispatcher_sched_stats st;

	pogo_dispatcher_sched_stats(w->d, &st);
	return st.waiters == w->waiters;
}

TEST(schedule_builds_are_capped)
{
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct blockers b;
	struct client a, bb, cc, dd;
	struct sched_waiters ww;
	const char *env = getenv("UV_THREADPOOL_SIZE");
	uv_loop_t loop;
	char *req;
	uint64_t rows;
	long long threads = 4;
	int i;

	/* Queued behind BLOCKERS items, no build can start. */
	if (env != NULL)
		ASSERT_OK(pogo_strtonum(env, 1, 1024, &threads));
	ASSERT_LE(threads, BLOCKERS);
	d = dispatcher_begin(&loop, &cfg);
	submit(&loop, d, "range=h[1-12]", "p0000000000");
	submit(&loop, d, "range=h[1-12]", "p0000000001");
	memset(&b, 0, sizeof(b));
	ASSERT_OK(uv_mutex_init(&b.mu));
	ASSERT_OK(uv_cond_init(&b.cv));
	for (i = 0; i < BLOCKERS; i++) {
		b.w[i].data = &b;
		ASSERT_OK(uv_queue_work(
		    &loop, &b.w[i], blocker_work_cb, blocker_after_cb));
	}

	/* Two builds (each job's hosts read once): the cap. */
	rows = host_rows(d);
	req = sched_req("p0000000000", 1);
	client_start(&loop, d, &a, req);
	free(req);
	wait_host_rows(&loop, d, rows);
	rows = host_rows(d);
	req = sched_req("p0000000001", 1);
	client_start(&loop, d, &bb, req);
	free(req);
	wait_host_rows(&loop, d, rows);
	rows = host_rows(d);
	/* The first one's again: it waits for that build (received while
	 * a and bb wait: three waiters). */
	req = sched_req("p0000000000", 1);
	client_start(&loop, d, &dd, req);
	free(req);
	ww.d = d;
	ww.waiters = 3;
	run_until(&loop, sched_waiters_are, &ww);
	ASSERT(!dd.done);
	/* A third build: refused at once, nothing read. */
	req = sched_req("p0000000000", 3);
	client_start(&loop, d, &cc, req);
	free(req);
	run_until(&loop, client_done, &cc);
	free(cc.req);
	ASSERT(strncmp(cc.buf, "HTTP/1.1 503 ", 13) == 0);
	ASSERT(strstr(cc.buf, "\r\nRetry-After: 1\r\n") != NULL);
	ASSERT(strstr(cc.buf,
	           "\"errors\":[\"too many schedules being built (at most 2 "
	           "at once); try again later\"]") != NULL);
	ASSERT_EQ(host_rows(d), rows);
	ASSERT(!a.done && !bb.done && !dd.done);

	uv_mutex_lock(&b.mu);
	b.go = true;
	uv_cond_broadcast(&b.cv);
	uv_mutex_unlock(&b.mu);
	client_wait(&loop, &a);
	client_wait(&loop, &bb);
	client_wait(&loop, &dd);
	ASSERT(strncmp(a.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT(strncmp(bb.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT(strncmp(dd.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT_STR_EQ(strstr(a.buf, "{\"meta\""), strstr(dd.buf, "{\"meta\""));
	ASSERT_EQ(host_rows(d), rows);
	for (i = 0; i < 100000 && b.done < BLOCKERS; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(b.done, BLOCKERS);
	/* Once they are built, the 503 was only for then (a new build:
	 * the built answers keep no hosts, review7 finding 4). */
	req = sched_req("p0000000000", 3);
	client_run(&loop, d, &cc, req);
	free(req);
	ASSERT(strncmp(cc.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT_EQ(host_rows(d) - rows, 12);
	uv_cond_destroy(&b.cv);
	uv_mutex_destroy(&b.mu);
	dispatcher_end(&loop, d, cfg);
}

static bool
sched_nothing_kept(void *arg)
{
	struct pogo_dispatcher_sched_stats st;

	pogo_dispatcher_sched_stats(arg, &st);
	return st.kept == 0 && st.bytes == 0 && st.hosts == 0;
}

static void
tick_cb(uv_timer_t *t)
{
	(void)t;
}

/*
 * A built answer keeps no host list (no other build of that change
 * runs), and expires after its age (review7 finding 4); a timer that
 * keeps the loop alive only while the test ticks.
 */
TEST(schedule_answers_expire_and_hold_no_hosts)
{
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct pogo_dispatcher_sched_stats st;
	struct client c;
	uv_timer_t tick;
	uv_loop_t loop;
	char *req;
	uint64_t rows, t0;

	d = dispatcher_begin(&loop, &cfg);
	pogo_dispatcher_sched_limits(d, 1000, POGO_DISPATCHER_SCHED_BYTES);
	submit(&loop, d, "range=h[1-1000]", "p0000000000");
	req = sched_req("p0000000000", 5);
	uv_update_time(&loop);
	t0 = uv_now(&loop);
	client_run(&loop, d, &c, req);
	ASSERT(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
	pogo_dispatcher_sched_stats(d, &st);
	ASSERT_EQ(st.kept, 1);
	ASSERT(st.bytes > 0);
	ASSERT_EQ(st.hosts, 0);
	/* Kept: the same request reads nothing. */
	rows = host_rows(d);
	client_run(&loop, d, &c, req);
	ASSERT(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT_EQ(host_rows(d), rows);

	/* Nothing else happens: gone 1 s after it was built, not before. */
	ASSERT_OK(uv_timer_init(&loop, &tick));
	ASSERT_OK(uv_timer_start(&tick, tick_cb, 5, 5));
	run_until(&loop, sched_nothing_kept, d);
	uv_update_time(&loop);
	ASSERT(uv_now(&loop) - t0 >= 1000);
	uv_close((uv_handle_t *)&tick, NULL);
	uv_run(&loop, UV_RUN_NOWAIT);
	/* Built again from the store. */
	client_run(&loop, d, &c, req);
	ASSERT(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT_EQ(host_rows(d) - rows, 1000);
	free(req);
	/* The expiry timer does not keep the loop alive (dispatcher_end). */
	dispatcher_end(&loop, d, cfg);
}

/* The kept answers' texts are bounded in bytes: the oldest go first. */
TEST(schedule_answers_are_capped_in_bytes)
{
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct pogo_dispatcher_sched_stats st;
	struct client c;
	uv_loop_t loop;
	char *req;
	size_t one;
	uint64_t rows;

	d = dispatcher_begin(&loop, &cfg);
	submit(&loop, d, "range=h[1-1000]", "p0000000000");
	req = sched_req("p0000000000", 5);
	client_run(&loop, d, &c, req);
	free(req);
	pogo_dispatcher_sched_stats(d, &st);
	ASSERT_EQ(st.kept, 1);
	one = st.bytes;
	/* Room for two answers of about that size. */
	pogo_dispatcher_sched_limits(
	    d, POGO_DISPATCHER_SCHED_AGE_MS, 2 * one + one / 2);
	req = sched_req("p0000000000", 6);
	client_run(&loop, d, &c, req);
	free(req);
	req = sched_req("p0000000000", 7);
	client_run(&loop, d, &c, req);
	free(req);
	pogo_dispatcher_sched_stats(d, &st);
	ASSERT_EQ(st.kept, 2);
	ASSERT(st.bytes <= 2 * one + one / 2);
	/* The oldest (max=5) was dropped: read again. */
	rows = host_rows(d);
	req = sched_req("p0000000000", 5);
	client_run(&loop, d, &c, req);
	free(req);
	ASSERT(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
	ASSERT_EQ(host_rows(d) - rows, 1000);
	/* An answer larger than the cap is answered, not kept. */
	pogo_dispatcher_sched_limits(d, POGO_DISPATCHER_SCHED_AGE_MS, 10);
	req = sched_req("p0000000000", 8);
	client_run(&loop, d, &c, req);
	free(req);
	ASSERT(strncmp(c.buf, "HTTP/1.1 200 ", 13) == 0);
	pogo_dispatcher_sched_stats(d, &st);
	ASSERT_EQ(st.kept, 0);
	ASSERT_EQ(st.bytes, 0);
	dispatcher_end(&loop, d, cfg);
}

/* SPEC 11.2's envelope with the cause, pogo's 409 (pogo-api.8): no
 * engine here, so the resolvers never answered (nothing is stored). */
TEST(schedule_of_a_configuration_with_resolvers_is_409)
{
	struct pogo_cfg *cfg;
	struct pogo_dispatcher *d;
	struct client c;
	uv_loop_t loop;

	d = dispatcher_begin(&loop, &cfg);
	submit(&loop, d,
	    "range=a&config=tag%3A%0Asequence%3A%20%5B%22myres%20arg%22%5D%0A",
	    "p0000000000");
	client_run(&loop, d, &c,
	    "GET /v1/jobs/p0000000000/schedule HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n");
	ASSERT(strncmp(c.buf, "HTTP/1.1 409 ", 13) == 0);
	ASSERT(strstr(c.buf, "{\"meta\":{\"hostname\":\"") != NULL);
	ASSERT(strstr(c.buf,
	           "\"errors\":[\"the answers of its resolvers were not "
	           "stored\"]}\n") != NULL);
	dispatcher_end(&loop, d, cfg);
}
