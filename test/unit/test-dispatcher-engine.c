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
 * schedule of a job the engine holds comes from its memory.
 */
#include "pogo/compat.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/cfg.h"
#include "pogo/dispatcher-engine.h"
#include "pogo/dispatcher.h"
#include "pogo/job.h"
#include "pogo/log.h"
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
	(void)pogo_dispatcher_engine_start(fx->d, &fx->loop, fx->cfg);
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
		.nrange = 1 };
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

/* Send req (taken) to the control port; the whole answer in c->buf. */
static void
request(struct efx *fx, struct client *c, char *req)
{
	struct sockaddr_storage ss;
	int i;

	memset(c, 0, sizeof(*c));
	c->req = req;
	ASSERT_OK(pogo_dispatcher_control_address(fx->d, &ss));
	ASSERT_OK(uv_tcp_init(&fx->loop, &c->tcp));
	c->tcp.data = c;
	c->conn.data = c;
	ASSERT_OK(uv_tcp_connect(
	    &c->conn, &c->tcp, (struct sockaddr *)&ss, client_connect_cb));
	for (i = 0; i < 100000 && !c->done; i++)
		uv_run(&fx->loop, UV_RUN_ONCE);
	ASSERT(c->done);
	free(c->req);
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

	seed_job(fx, n, NULL, job_timeout, start);
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
	pogo_log_set_writer(log_capture, NULL);
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
	pogo_log_set_writer(NULL, NULL);
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
