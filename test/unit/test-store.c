/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/store.c on a real loop and real files: every record
 * round-trips through a close and a reopen; a child process that commits
 * and then dies (_exit or SIGKILL) leaves exactly what was committed; a
 * second process is refused the state directory; an empty (version 0)
 * database is migrated and a newer one refused; counters continue across
 * reopens; after-commit callbacks run later than their registration, in
 * order, and only once their changes survive a SIGKILL; a transaction and
 * the output buffer stay bounded; output alone is committed in batches;
 * checkpoints run in the pool; no column is named for a secret and the
 * files are 0600; a bad output record or a failed multi-row write loses
 * only itself; a visitor cannot restart the read it is called from; the
 * per-state host counts follow every change of the host rows (rolled-back
 * ones included) and survive a migration of a schema-1 database holding
 * real data; host pages in name order, with a state filter; the answers
 * of a job's external references round-trip, and a schema-3 database
 * is migrated to hold them.
 */
#include "pogo/compat.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/job.h"
#include "pogo/proc.h"
#include "pogo/store.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

struct fixture {
	char dir[64];
	uv_loop_t loop;
	struct pogo_store *st;
	int closed;
};

static void
fx_dir(struct fixture *fx)
{
	strlcpy(fx->dir, "/tmp/pogo-test-store.XXXXXX", sizeof(fx->dir));
	ASSERT(mkdtemp(fx->dir) != NULL);
}

static void
fx_open(struct fixture *fx, const struct pogo_store_opts *o)
{
	struct pogo_store_opts def = { .state_dir = fx->dir };
	char *cause = NULL;
	int r;

	ASSERT_OK(pogo_proc_loop_init(&fx->loop));
	r = pogo_store_open(&fx->loop, o != NULL ? o : &def, &fx->st, &cause);
	if (r != 0)
		harness_fail(__FILE__, __LINE__, "open: %s", cause);
}

static void
fx_closed_cb(void *arg)
{
	((struct fixture *)arg)->closed++;
}

static void
fx_close(struct fixture *fx)
{
	fx->closed = 0;
	pogo_store_close(fx->st, fx_closed_cb, fx);
	/* The callback never comes from inside the close. */
	ASSERT_EQ(fx->closed, 0);
	uv_run(&fx->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(fx->closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&fx->loop));
	fx->st = NULL;
}

static void
fx_rm(struct fixture *fx)
{
	static const char *const names[] = { "pogo.db", "pogo.db-wal",
		"pogo.db-shm", "dispatcher.lock" };
	char p[128];
	size_t i;

	for (i = 0; i < POGO_NELEM(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", fx->dir, names[i]);
		(void)unlink(p);
	}
	ASSERT_EQ(rmdir(fx->dir), 0);
}

static void
flag_cb(struct pogo_store *st, int status, void *arg)
{
	ASSERT_OK(status);
	(*(int *)arg)++;
}

/* Queue an after-commit callback and run the loop until it is called. */
static void
fx_commit(struct fixture *fx)
{
	int done = 0;

	pogo_store_after_commit(fx->st, flag_cb, &done);
	ASSERT_EQ(done, 0);
	while (done == 0)
		uv_run(&fx->loop, UV_RUN_ONCE);
}

static const char *const hosts3[] = { "web1", "web2", "db1" };

/* Insert job number n with the three hosts above. */
static void
insert_job(struct pogo_store *st, uint64_t n, const char *command)
{
	const char *range[] = { "web[1-2]", "db1" };
	struct pogo_store_job j = { .job = n,
		.state = 1,
		.user = "alice",
		.command = command,
		.task_name = "ssh",
		.timeout = 600,
		.job_timeout = 1800,
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = 1000.5,
		.range = range,
		.nrange = 2 };

	ASSERT_OK(pogo_store_job_insert(st, &j, hosts3, 3));
}

static int
count_job_cb(const struct pogo_store_job *j, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static int
njobs(struct pogo_store *st)
{
	int n = 0;

	ASSERT_OK(pogo_store_jobs(st, count_job_cb, &n));
	return n;
}

TEST(round_trip_every_record)
{
	struct fixture fx;
	const char *range[] = { "web[1-2]", "db1" };
	struct pogo_store_job j = { .job = 0,
		.state = 0,
		.state_message = "job created; fetching host info",
		.user = "alice",
		.run_as = "root",
		.ssh_user = "deploy",
		.ssh_port = 2222,
		.connect_timeout = 7,
		.command = "uptime",
		.task_name = "ssh",
		.config = "tag: {}",
		.namespace = "ns1",
		.timeout = 60,
		.job_timeout = 120,
		.retry = 2,
		.prehook = true,
		.posthook = false,
		.lock = true,
		.concurrent = "10%",
		.exe_name = "x.sh",
		.exe_data = "ZWNobwo=",
		.requesthost = "laptop",
		.invoked_as = "pogo run",
		.client = "pogo 0.1",
		.email = "a@example.org",
		.im_handle = "alice",
		.message = "note",
		.start_time = 1700.25,
		.has_password = true,
		.key_id = "k-1",
		.range = range,
		.nrange = 2 };
	struct pogo_store_host h = { .idx = 1,
		.state = 4,
		.message = "exited with status 3",
		.exitstatus = 3,
		.runs = 1,
		.start_time = 1701.5,
		.finish_time = 1702.75,
		.task_id = "127.0.0.1:7655-1",
		.worker = "w1",
		.worker_instance = "w1-abc" };
	struct pogo_store_entry e0 = { .index = 0,
		.time = 1700.25,
		.host = -1,
		.state = 0,
		.message = "job created",
		.exitstatus = -1 };
	struct pogo_store_entry e1 = { .index = 1,
		.time = 1702.75,
		.host = 1,
		.state = 4,
		.message = "exited with status 3",
		.exitstatus = 3,
		.run = 0,
		.output = true };
	struct pogo_store_output o = { .host = 1,
		.run = 0,
		.seq = 0,
		.ts = 1701.6,
		.type = POGO_STORE_OUT_STDOUT,
		.data = "a\0b",
		.len = 3 };
	struct pogo_store_job *g = NULL;
	uint64_t n;
	uint32_t idx;
	char *v = NULL;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &n));
	ASSERT_EQ(n, 0);
	ASSERT_OK(pogo_store_job_insert(fx.st, &j, hosts3, 3));
	ASSERT_EQ(pogo_store_job_insert(fx.st, &j, hosts3, 3), UV_EEXIST);
	ASSERT_OK(pogo_store_host_set(fx.st, 0, &h));
	h.idx = 7;
	ASSERT_EQ(pogo_store_host_set(fx.st, 0, &h), POGO_ERR_NOTFOUND);
	ASSERT_OK(pogo_store_log_append(fx.st, 0, &e0));
	ASSERT_OK(pogo_store_log_append(fx.st, 0, &e1));
	ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	o.seq = 1;
	o.type = POGO_STORE_OUT_EXIT;
	o.data = "3";
	o.len = 1;
	ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	/* A record sent again after a crash has no second effect. */
	o.data = "9";
	ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	ASSERT_OK(pogo_store_setting_set(fx.st, "nomas", "1"));
	ASSERT_OK(pogo_store_job_state(fx.st, 0, 2, "no more hosts", 1703));
	ASSERT_OK(pogo_store_job_alter(fx.st, 0, "retry", "5"));
	ASSERT_OK(pogo_store_job_alter(fx.st, 0, "posthook", "true"));
	ASSERT_OK(pogo_store_job_alter(fx.st, 0, "lock", "0"));
	ASSERT_OK(pogo_store_job_alter(fx.st, 0, "message", "altered"));
	ASSERT_EQ(pogo_store_job_alter(fx.st, 0, "lock", "yes"), UV_EINVAL);
	ASSERT_EQ(pogo_store_job_alter(fx.st, 0, "timeout", "-1"), UV_EINVAL);
	ASSERT_EQ(
	    pogo_store_job_alter(fx.st, 9, "retry", "1"), POGO_ERR_NOTFOUND);
	ASSERT_EQ(
	    pogo_store_job_alter(fx.st, 0, "user", "eve"), POGO_ERR_NOTFOUND);
	fx_commit(&fx);
	fx_close(&fx);

	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_job_get(fx.st, 0, &g));
	ASSERT_EQ(g->state, 2);
	ASSERT_STR_EQ(g->state_message, "no more hosts");
	ASSERT_STR_EQ(g->user, "alice");
	ASSERT_STR_EQ(g->run_as, "root");
	ASSERT_STR_EQ(g->ssh_user, "deploy");
	ASSERT_EQ(g->ssh_port, 2222);
	ASSERT_EQ(g->connect_timeout, 7);
	ASSERT_STR_EQ(g->command, "uptime");
	ASSERT_STR_EQ(g->config, "tag: {}");
	ASSERT_STR_EQ(g->namespace, "ns1");
	ASSERT_EQ(g->timeout, 60);
	ASSERT_EQ(g->job_timeout, 120);
	ASSERT_EQ(g->retry, 5);
	ASSERT(g->prehook && g->posthook && !g->lock);
	ASSERT_STR_EQ(g->concurrent, "10%");
	ASSERT_STR_EQ(g->exe_name, "x.sh");
	ASSERT_STR_EQ(g->exe_data, "ZWNobwo=");
	ASSERT_STR_EQ(g->requesthost, "laptop");
	ASSERT_STR_EQ(g->invoked_as, "pogo run");
	ASSERT_STR_EQ(g->client, "pogo 0.1");
	ASSERT_STR_EQ(g->email, "a@example.org");
	ASSERT_STR_EQ(g->im_handle, "alice");
	ASSERT_STR_EQ(g->message, "altered");
	ASSERT(g->start_time == 1700.25 && g->end_time == 1703);
	ASSERT_EQ(g->host_count, 3);
	ASSERT(g->has_password && !g->has_key);
	ASSERT_STR_EQ(g->key_id, "k-1");
	ASSERT_EQ(g->nrange, 2);
	ASSERT_STR_EQ(g->range[0], "web[1-2]");
	ASSERT_STR_EQ(g->range[1], "db1");
	pogo_store_job_free(g);
	ASSERT_EQ(pogo_store_job_get(fx.st, 1, &g), POGO_ERR_NOTFOUND);
	ASSERT_NULL(g);

	ASSERT_OK(pogo_store_host_find(fx.st, 0, "db1", &idx));
	ASSERT_EQ(idx, 2);
	ASSERT_EQ(
	    pogo_store_host_find(fx.st, 0, "nope", &idx), POGO_ERR_NOTFOUND);
	ASSERT_OK(pogo_store_setting_get(fx.st, "nomas", &v));
	ASSERT_STR_EQ(v, "1");
	free(v);
	ASSERT_OK(pogo_store_setting_get(fx.st, "other", &v));
	ASSERT_NULL(v);
	fx_close(&fx);
	fx_rm(&fx);
}

struct hcollect {
	int n;
	uint32_t idx[8];
	char name[8][16];
	int state[8];
	int exitstatus[8];
	char task[8][32];
	double finish[8];
};

static int
hcollect_cb(const struct pogo_store_host *h, void *arg)
{
	struct hcollect *c = arg;

	c->idx[c->n] = h->idx;
	strlcpy(c->name[c->n], h->name, sizeof(c->name[0]));
	c->state[c->n] = h->state;
	c->exitstatus[c->n] = h->exitstatus;
	strlcpy(c->task[c->n], h->task_id != NULL ? h->task_id : "-",
	    sizeof(c->task[0]));
	c->finish[c->n] = h->finish_time;
	c->n++;
	return 0;
}

struct ecollect {
	int n;
	uint32_t index[8];
	int64_t host[8];
	char host_name[8][16];
	int exitstatus[8];
	bool output[8];
};

static int
ecollect_cb(const struct pogo_store_entry *e, void *arg)
{
	struct ecollect *c = arg;

	c->index[c->n] = e->index;
	c->host[c->n] = e->host;
	strlcpy(c->host_name[c->n], e->host_name != NULL ? e->host_name : "-",
	    sizeof(c->host_name[0]));
	c->exitstatus[c->n] = e->exitstatus;
	c->output[c->n] = e->output;
	c->n++;
	return 0;
}

struct ocollect {
	int n;
	uint32_t seq[16];
	int type[16];
	char data[16][16];
	size_t len[16];
	bool eol[16];
};

static int
ocollect_cb(const struct pogo_store_output *o, void *arg)
{
	struct ocollect *c = arg;

	c->seq[c->n] = o->seq;
	c->type[c->n] = o->type;
	ASSERT_LT(o->len, sizeof(c->data[0]));
	memcpy(c->data[c->n], o->data, o->len);
	c->len[c->n] = o->len;
	c->eol[c->n] = o->eol;
	c->n++;
	return 0;
}

TEST(reads_are_paged_and_ordered)
{
	struct fixture fx;
	struct pogo_store_host h = { .state = 3,
		.exitstatus = 0,
		.runs = 1,
		.finish_time = 5,
		.task_id = "one-1" };
	struct pogo_store_entry e = { .exitstatus = -1 };
	struct pogo_store_output o = { .host = 2,
		.run = 1,
		.type = POGO_STORE_OUT_STDERR,
		.data = "line",
		.len = 4 };
	struct hcollect hc;
	struct ecollect ec;
	struct ocollect oc;
	uint32_t i;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	insert_job(fx.st, 0, "true");
	h.idx = 2;
	ASSERT_OK(pogo_store_host_set(fx.st, 0, &h));
	for (i = 0; i < 5; i++) {
		e.index = i;
		e.time = 10 + i;
		e.host = i == 0 ? -1 : (int64_t)(i % 3);
		e.exitstatus = i == 4 ? 0 : -1;
		e.output = i == 4;
		ASSERT_OK(pogo_store_log_append(fx.st, 0, &e));
	}
	/* An entry index that is not the next one is refused. */
	e.index = 2;
	ASSERT_EQ(pogo_store_log_append(fx.st, 0, &e), UV_EEXIST);
	for (i = 0; i < 10; i++) {
		o.seq = i;
		o.ts = 20 + i;
		o.eol = i % 2 == 0; /* odd ones: partial lines */
		ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	}
	fx_commit(&fx);

	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, 0, 0, 0, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 3);
	ASSERT_STR_EQ(hc.name[0], "web1");
	ASSERT_STR_EQ(hc.name[2], "db1");
	ASSERT_EQ(hc.state[0], 0);
	ASSERT_EQ(hc.exitstatus[0], -1);
	ASSERT_STR_EQ(hc.task[0], "-");
	ASSERT_EQ(hc.state[2], 3);
	ASSERT_EQ(hc.exitstatus[2], 0);
	ASSERT_STR_EQ(hc.task[2], "one-1");
	ASSERT(hc.finish[2] == 5);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, 0, 1, 1, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 1);
	ASSERT_STR_EQ(hc.name[0], "web2");

	memset(&ec, 0, sizeof(ec));
	ASSERT_OK(pogo_store_log(fx.st, 0, 0, 0, ecollect_cb, &ec));
	ASSERT_EQ(ec.n, 5);
	ASSERT_EQ(ec.host[0], -1);
	ASSERT_STR_EQ(ec.host_name[0], "-");
	ASSERT_STR_EQ(ec.host_name[1], "web2");
	ASSERT_STR_EQ(ec.host_name[2], "db1");
	ASSERT_EQ(ec.exitstatus[4], 0);
	ASSERT(ec.output[4] && !ec.output[3]);
	memset(&ec, 0, sizeof(ec));
	ASSERT_OK(pogo_store_log(fx.st, 0, 3, 10, ecollect_cb, &ec));
	ASSERT_EQ(ec.n, 2);
	ASSERT_EQ(ec.index[0], 3);

	memset(&oc, 0, sizeof(oc));
	ASSERT_OK(pogo_store_output(fx.st, 0, 2, 1, 4, 3, ocollect_cb, &oc));
	ASSERT_EQ(oc.n, 3);
	ASSERT_EQ(oc.seq[0], 4);
	ASSERT_EQ(oc.seq[2], 6);
	ASSERT_EQ(oc.type[0], POGO_STORE_OUT_STDERR);
	ASSERT_MEM_EQ(oc.data[0], "line", 4);
	/* Issue 9: each record keeps its end of line (SPEC 5.8). */
	ASSERT(oc.eol[0] && !oc.eol[1] && oc.eol[2]);
	memset(&oc, 0, sizeof(oc));
	ASSERT_OK(pogo_store_output(fx.st, 0, 2, 0, 0, 0, ocollect_cb, &oc));
	ASSERT_EQ(oc.n, 0);
	fx_close(&fx);
	fx_rm(&fx);
}

TEST(in_memory_store)
{
	struct fixture fx;
	struct pogo_store_opts o = { .state_dir = NULL };
	uint64_t n;

	fx_open(&fx, &o);
	ASSERT_OK(pogo_store_next_job(fx.st, &n));
	ASSERT_EQ(n, 0);
	insert_job(fx.st, n, "true");
	fx_commit(&fx);
	ASSERT_EQ(njobs(fx.st), 1);
	fx_close(&fx);
}

TEST(counters_continue_across_reopen)
{
	struct fixture fx;
	uint64_t n;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &n));
	ASSERT_EQ(n, 0);
	ASSERT_OK(pogo_store_next_job(fx.st, &n));
	ASSERT_EQ(n, 1);
	ASSERT_OK(pogo_store_next_task(fx.st, &n));
	ASSERT_EQ(n, 1);
	ASSERT_OK(pogo_store_next_task(fx.st, &n));
	ASSERT_EQ(n, 2);
	fx_commit(&fx);
	fx_close(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &n));
	ASSERT_EQ(n, 2);
	ASSERT_OK(pogo_store_next_task(fx.st, &n));
	ASSERT_EQ(n, 3);
	fx_close(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &n));
	ASSERT_EQ(n, 3);
	fx_close(&fx);
	fx_rm(&fx);
}

/* The child's after-commit callback: queue one more job, then die. */
static void
die_cb(struct pogo_store *st, int status, void *arg)
{
	int how = *(int *)arg;

	if (status != 0)
		_exit(3);
	insert_job(st, 1, "never committed");
	if (how == SIGKILL)
		kill(getpid(), SIGKILL);
	_exit(0);
}

static void
crash_after_commit(int how)
{
	struct fixture fx;
	pid_t pid;
	int status;

	fx_dir(&fx);
	pid = fork();
	ASSERT(pid != -1);
	if (pid == 0) {
		fx_open(&fx, NULL);
		insert_job(fx.st, 0, "committed");
		pogo_store_after_commit(fx.st, die_cb, &how);
		uv_run(&fx.loop, UV_RUN_DEFAULT);
		_exit(4);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (how == SIGKILL)
		ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	else
		ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The lock died with the child; what it committed is there. */
	fx_open(&fx, NULL);
	ASSERT_EQ(njobs(fx.st), 1);
	{
		struct pogo_store_job *g;

		ASSERT_OK(pogo_store_job_get(fx.st, 0, &g));
		ASSERT_STR_EQ(g->command, "committed");
		pogo_store_job_free(g);
	}
	fx_close(&fx);
	fx_rm(&fx);
}

TEST(crash_sigkill_keeps_committed_only)
{
	crash_after_commit(SIGKILL);
}

TEST(crash_exit_keeps_committed_only)
{
	crash_after_commit(0);
}

TEST(second_process_refused)
{
	struct fixture fx;
	struct pogo_store_opts o;
	char buf[256], want[160];
	pid_t pid;
	int fds[2], status;
	ssize_t n;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pipe(fds));
	pid = fork();
	ASSERT(pid != -1);
	if (pid == 0) {
		uv_loop_t loop;
		struct pogo_store *st2 = NULL;
		char *cause = NULL;
		int r;

		close(fds[0]);
		memset(&o, 0, sizeof(o));
		o.state_dir = fx.dir;
		uv_loop_init(&loop);
		r = pogo_store_open(&loop, &o, &st2, &cause);
		if (cause != NULL)
			(void)write(fds[1], cause, strlen(cause));
		_exit(r == UV_EBUSY && st2 == NULL ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	ASSERT(n > 0);
	buf[n] = '\0';
	close(fds[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(want, sizeof(want), "state directory %s is in use by pid %ld",
	    fx.dir, (long)getpid());
	ASSERT_STR_EQ(buf, want);
	fx_close(&fx);
	fx_rm(&fx);
}

/* PRAGMA user_version: 4 big-endian bytes at offset 60 of the file. */
static uint32_t
read_user_version(const char *dir)
{
	unsigned char b[4];
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/pogo.db", dir);
	fd = open(p, O_RDONLY);
	ASSERT(fd != -1);
	ASSERT_EQ(pread(fd, b, 4, 60), 4);
	close(fd);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

TEST(version_0_database_is_migrated)
{
	struct fixture fx;
	char p[128];
	uint64_t n;
	int fd;

	/* An empty file is an SQLite database of user_version 0. */
	fx_dir(&fx);
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ASSERT(fd != -1);
	close(fd);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &n));
	ASSERT_EQ(n, 0);
	insert_job(fx.st, n, "true");
	fx_commit(&fx);
	fx_close(&fx);
	ASSERT_EQ(read_user_version(fx.dir), POGO_STORE_SCHEMA_VERSION);
	fx_open(&fx, NULL);
	ASSERT_EQ(njobs(fx.st), 1);
	fx_close(&fx);
	fx_rm(&fx);
}

TEST(newer_schema_is_refused)
{
	struct fixture fx;
	struct pogo_store_opts o = { 0 };
	unsigned char b[4] = { 0, 0, 0, POGO_STORE_SCHEMA_VERSION + 1 };
	char p[128], want[64], *cause = NULL;
	int fd;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	fx_close(&fx);
	/* A clean close leaves no WAL: the header in pogo.db is current. */
	snprintf(p, sizeof(p), "%s/pogo.db-wal", fx.dir);
	ASSERT(access(p, F_OK) != 0);
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	fd = open(p, O_WRONLY);
	ASSERT(fd != -1);
	ASSERT_EQ(pwrite(fd, b, 4, 60), 4);
	close(fd);
	o.state_dir = fx.dir;
	ASSERT_OK(pogo_proc_loop_init(&fx.loop));
	ASSERT_EQ(
	    pogo_store_open(&fx.loop, &o, &fx.st, &cause), POGO_ERR_STORE);
	ASSERT_NULL(fx.st);
	snprintf(want, sizeof(want), "schema version %d is newer",
	    POGO_STORE_SCHEMA_VERSION + 1);
	ASSERT(cause != NULL && strstr(cause, want) != NULL);
	free(cause);
	ASSERT_OK(pogo_proc_loop_close(&fx.loop));
	/* The refusal released the lock: the directory opens again once
	 * the version is one this pogo knows. */
	b[3] = POGO_STORE_SCHEMA_VERSION;
	fd = open(p, O_WRONLY);
	ASSERT_EQ(pwrite(fd, b, 4, 60), 4);
	close(fd);
	fx_open(&fx, NULL);
	fx_close(&fx);
	fx_rm(&fx);
}

struct order {
	int seen[8];
	int n;
	int wfd;
	struct fixture *fx;
};

static void
order_cb(struct pogo_store *st, int status, void *arg)
{
	struct order *o = arg;
	char c;

	ASSERT_OK(status);
	o->seen[o->n] = o->n;
	c = (char)('0' + o->n);
	(void)write(o->wfd, &c, 1);
	o->n++;
	if (o->n == 2)
		kill(getpid(), SIGKILL);
}

TEST(after_commit_in_order_and_durable)
{
	struct fixture fx;
	struct order o = { .n = 0 };
	char buf[8];
	pid_t pid;
	int fds[2], status, done = 0;
	ssize_t n;

	/* In order, later than the call, even with nothing queued. */
	fx_dir(&fx);
	fx_open(&fx, NULL);
	pogo_store_after_commit(fx.st, flag_cb, &done);
	ASSERT_EQ(done, 0);
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(done, 1);
	fx_close(&fx);

	/* A child queues job 0, a callback, job 1, a callback that kills
	 * the child: both callbacks ran, in order, and both jobs survive. */
	ASSERT_OK(pipe(fds));
	pid = fork();
	ASSERT(pid != -1);
	if (pid == 0) {
		close(fds[0]);
		o.wfd = fds[1];
		fx_open(&fx, NULL);
		insert_job(fx.st, 0, "first");
		pogo_store_after_commit(fx.st, order_cb, &o);
		insert_job(fx.st, 1, "second");
		pogo_store_after_commit(fx.st, order_cb, &o);
		if (o.n != 0)
			_exit(5);
		uv_run(&fx.loop, UV_RUN_DEFAULT);
		_exit(4);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf));
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	if (n < 2)
		n += read(fds[0], buf + n, sizeof(buf) - (size_t)n);
	close(fds[0]);
	ASSERT_EQ(n, 2);
	ASSERT_MEM_EQ(buf, "01", 2);
	fx_open(&fx, NULL);
	ASSERT_EQ(njobs(fx.st), 2);
	fx_close(&fx);
	fx_rm(&fx);
}

static int
count_out_cb(const struct pogo_store_output *o, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* Collect each host's run count in hc->idx. */
static int
hruns_cb(const struct pogo_store_host *h, void *arg)
{
	struct hcollect *c = arg;

	c->idx[c->n++] = h->runs;
	return 0;
}

struct bseq {
	int next;
	int bad;
};

static void
bseq_cb(struct pogo_store *st, int status, void *arg)
{
	struct bseq *b = arg;

	(void)st;
	if (status != 0)
		b->bad++;
	b->next++;
}

TEST(many_queued_changes_stay_bounded)
{
	struct fixture fx;
	struct pogo_store_host h = {
		.state = 1, .exitstatus = -1, .message = "connecting to host..."
	};
	struct pogo_store_output o = {
		.type = POGO_STORE_OUT_STDOUT, .data = "x", .len = 1
	};
	struct pogo_store_stats s;
	struct bseq b = { 0 };
	struct hcollect hc;
	uint32_t i, total = 2 * POGO_STORE_MAX_BATCH + 10;
	int nrec = 0;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	insert_job(fx.st, 0, "true");
	/* One turn queues more changes than a transaction holds: the
	 * store commits as it goes, and no callback runs before the loop
	 * does. */
	for (i = 0; i < total; i++) {
		h.idx = i % 3;
		h.runs = i;
		ASSERT_OK(pogo_store_host_set(fx.st, 0, &h));
		if (i % 1000 == 0)
			pogo_store_after_commit(fx.st, bseq_cb, &b);
	}
	pogo_store_stats(fx.st, &s);
	ASSERT_EQ(s.commits, 2);
	ASSERT_EQ(b.next, 0);
	/* Output: the buffer holds at most POGO_STORE_MAX_OUTPUT records. */
	for (i = 0; i <= POGO_STORE_MAX_OUTPUT; i++) {
		o.seq = i;
		ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	}
	fx_commit(&fx);
	ASSERT_EQ(b.next, (int)(total + 999) / 1000);
	ASSERT_EQ(b.bad, 0);
	/* A full output buffer (4,096 rows) filled a transaction of its
	 * own, and the last record went with the final commit. */
	pogo_store_stats(fx.st, &s);
	ASSERT_EQ(s.commits, 4);
	fx_close(&fx);

	/* Everything arrived, the last write of each host winning. */
	fx_open(&fx, NULL);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, 0, 0, 0, hruns_cb, &hc));
	ASSERT_EQ(hc.n, 3);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(hc.idx[i], total - 1 - (total - 1 - i) % 3);
	ASSERT_OK(pogo_store_output(fx.st, 0, 0, 0, 0, 0, count_out_cb, &nrec));
	ASSERT_EQ(nrec, POGO_STORE_MAX_OUTPUT + 1);
	fx_close(&fx);
	fx_rm(&fx);
}

struct ticker {
	struct fixture *fx;
	uv_timer_t t;
	uint32_t n;
	uint32_t turns;
};

static void
ticker_cb(uv_timer_t *t)
{
	struct ticker *k = t->data;
	struct pogo_store_output o = { .host = 0,
		.run = 0,
		.seq = k->n,
		.ts = k->n,
		.type = POGO_STORE_OUT_STDOUT,
		.data = "out",
		.len = 3 };

	ASSERT_OK(pogo_store_output_append(k->fx->st, 0, &o));
	if (++k->n == k->turns)
		uv_timer_stop(t);
}

static void
broken_count_cb(struct pogo_store *st, int status, void *arg)
{
	if (status == 0)
		_exit(5);
	(*(int *)arg)++;
}

/*
 * A commit that fails while output is buffered, made by the write that
 * fills a batch: opts.broken is called once, and nothing is written
 * after the failure (a file-size limit makes the WAL's writes fail).  It
 * used to flush the output from inside the failing commit, outside any
 * transaction, and to commit again from there, without end (a stack
 * overflow).  In a child: the limit and the crash stay there.
 */
TEST(failed_commit_with_buffered_output_breaks_once)
{
	struct fixture fx;
	pid_t pid;
	int status;

	fx_dir(&fx);
	pid = fork();
	ASSERT(pid != -1);
	if (pid == 0) {
		struct pogo_store_opts o = { 0 };
		struct pogo_store_output out = { .ts = 1,
			.type = POGO_STORE_OUT_STDOUT,
			.data = "x",
			.len = 1,
			.eol = true };
		struct pogo_store_host h = { .state = 1, .exitstatus = -1 };
		struct rlimit rl = { 4096, 4096 };
		int nbroken = 0, turns = 0;
		uint32_t i;

		o.state_dir = fx.dir;
		o.output_interval_ms = 60000;
		o.broken = broken_count_cb;
		o.broken_arg = &nbroken;
		fx_open(&fx, &o);
		insert_job(fx.st, 0, "true");
		fx_commit(&fx);
		ASSERT_OK(pogo_store_output_append(fx.st, 0, &out));
		(void)signal(SIGXFSZ, SIG_IGN);
		ASSERT_OK(setrlimit(RLIMIT_FSIZE, &rl));
		for (i = 0; i < POGO_STORE_MAX_BATCH + 8; i++) {
			h.idx = i % 3;
			h.runs = i;
			(void)pogo_store_host_set(fx.st, 0, &h);
		}
		while (nbroken == 0 && turns++ < 1000)
			uv_run(&fx.loop, UV_RUN_ONCE);
		_exit(nbroken == 1 ? 0 : 6);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	fx_open(&fx, NULL);
	ASSERT_EQ(njobs(fx.st), 1);
	fx_close(&fx);
	fx_rm(&fx);
}

TEST(output_alone_is_committed_in_batches)
{
	struct fixture fx;
	struct pogo_store_opts o = { 0 };
	struct pogo_store_stats s0, s1;
	struct ticker k = { .fx = &fx, .turns = 20 };
	uint64_t t0;
	int nrec = 0;

	fx_dir(&fx);
	o.state_dir = fx.dir;
	o.output_interval_ms = 200;
	fx_open(&fx, &o);
	insert_job(fx.st, 0, "true");
	fx_commit(&fx);
	pogo_store_stats(fx.st, &s0);
	/* 20 records over 20 loop turns, 5 ms apart: one commit, made
	 * when the oldest record has waited the output interval. */
	t0 = uv_now(&fx.loop);
	uv_timer_init(&fx.loop, &k.t);
	k.t.data = &k;
	uv_timer_start(&k.t, ticker_cb, 5, 5);
	uv_run(&fx.loop, UV_RUN_DEFAULT);
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(k.n, 20);
	ASSERT_EQ(s1.commits - s0.commits, 1);
	ASSERT_GE(uv_now(&fx.loop) - t0, 200);
	ASSERT_OK(pogo_store_output(fx.st, 0, 0, 0, 0, 0, count_out_cb, &nrec));
	ASSERT_EQ(nrec, 20);
	uv_close((uv_handle_t *)&k.t, NULL);
	fx_close(&fx);
	fx_rm(&fx);
}

TEST(checkpoints_run_in_the_pool)
{
	struct fixture fx;
	struct pogo_store_opts o = { 0 };
	struct pogo_store_stats s;
	struct stat sb;
	char p[128];
	int i;

	fx_dir(&fx);
	o.state_dir = fx.dir;
	o.checkpoint_pages = 4;
	fx_open(&fx, &o);
	for (i = 0; i < 20; i++) {
		insert_job(fx.st, (uint64_t)i, "a command of some length");
		fx_commit(&fx);
	}
	/* The main connection never checkpoints: every one counted came
	 * from the pool.  Wait for the last one to finish. */
	for (i = 0; i < 1000; i++) {
		pogo_store_stats(fx.st, &s);
		if (s.checkpoints > 0)
			break;
		uv_sleep(1);
		uv_run(&fx.loop, UV_RUN_NOWAIT);
	}
	ASSERT_GE(s.checkpoints, 1);
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(stat(p, &sb), 0);
	ASSERT_GE(sb.st_size, 4096);
	fx_close(&fx);
	fx_rm(&fx);
}

/* A dispatcher's steady load: every tick changes a batch of hosts and
 * appends their log entries, committed at the end of the turn. */
struct load {
	struct fixture *fx;
	uv_timer_t t;
	uint32_t nhosts;
	uint32_t next;
	uint32_t ticks;
	uint32_t entry;
};

static void
load_tick_cb(uv_timer_t *t)
{
	struct load *l = t->data;
	struct pogo_store_host h = { .exitstatus = -1, .task_id = "x-1" };
	struct pogo_store_entry e = { .exitstatus = -1 };
	int i;

	for (i = 0; i < 100; i++) {
		h.idx = l->next++ % l->nhosts;
		h.state = (int)(l->ticks % 4);
		h.runs = l->ticks;
		ASSERT_OK(pogo_store_host_set(l->fx->st, 0, &h));
		e.index = l->entry++;
		e.time = l->entry;
		e.host = h.idx;
		e.state = h.state;
		e.message = "a state change of some length";
		ASSERT_OK(pogo_store_log_append(l->fx->st, 0, &e));
	}
	if (++l->ticks == 600)
		uv_timer_stop(t);
}

/*
 * Under a steady load (a commit every few milliseconds, as a dispatcher
 * running thousands of tasks makes) the WAL is restarted from time to
 * time, so it stays bounded.  Before, a checkpoint was queued only after
 * checkpoint_pages new pages; commits made while it ran in the pool left
 * the WAL never wholly checkpointed, which SQLite needs to restart it:
 * the 20,000-host benchmark ended with a 400 MB WAL (issue 9).
 */
TEST(steady_load_keeps_the_wal_bounded)
{
	struct fixture fx;
	struct pogo_store_opts o = { 0 };
	struct pogo_store_stats s;
	struct pogo_store_job j = { .job = 0,
		.state = 1,
		.user = "alice",
		.command = "true",
		.task_name = "local",
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = 1 };
	struct load l;
	char **names;
	uint32_t i;

	fx_dir(&fx);
	o.state_dir = fx.dir;
	o.checkpoint_pages = 64;
	fx_open(&fx, &o);
	memset(&l, 0, sizeof(l));
	l.fx = &fx;
	l.nhosts = 2000;
	names = xreallocarray(NULL, l.nhosts, sizeof(*names));
	for (i = 0; i < l.nhosts; i++)
		xasprintf(&names[i], "host-%04u.example.com", i);
	ASSERT_OK(pogo_store_job_insert(
	    fx.st, &j, (const char *const *)names, l.nhosts));
	for (i = 0; i < l.nhosts; i++)
		free(names[i]);
	free(names);
	fx_commit(&fx);
	ASSERT_OK(uv_timer_init(&fx.loop, &l.t));
	l.t.data = &l;
	ASSERT_OK(uv_timer_start(&l.t, load_tick_cb, 5, 5));
	while (l.ticks < 600)
		uv_run(&fx.loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&l.t, NULL);
	fx_commit(&fx);
	pogo_store_stats(fx.st, &s);
	/* (A late timer may run two ticks in one turn, one commit.) */
	ASSERT_GE(s.commits, 300);
	/* About 10 pages a commit: some 6,000 in all (before: the WAL
	 * held them all at the end); at most a third of them at once, and
	 * 32 times checkpoint_pages (a loaded machine's checkpoints may miss
	 * a few restarts; seen: at most 1,310 pages). */
	ASSERT_GE(s.wal_pages, 3000);
	ASSERT_LE(s.wal_pages_max * 3, s.wal_pages);
	ASSERT_LE(s.wal_pages_max, 32 * 64);
	ASSERT_GE(s.wal_restarts, 1);
	fx_close(&fx);
	fx_rm(&fx);
}

/* Whether the file dir/name holds the bytes of needle. */
static bool
file_has(const char *dir, const char *name, const char *needle)
{
	char p[128], *buf = NULL;
	size_t len = 0, cap = 0, nl = strlen(needle), i;
	ssize_t n;
	bool found = false;
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fd = open(p, O_RDONLY)) == -1)
		return false;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 65536 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	for (i = 0; i + nl <= len && !found; i++)
		found = memcmp(buf + i, needle, nl) == 0;
	free(buf);
	return found;
}

/* Column names that would hold a secret; "has_password" only says
 * whether one exists. */
static int
secret_col_cb(const char *table, const char *column, void *arg)
{
	static const char *const bad[] = { "password", "passphrase",
		"private_key", "privkey", "secret" };
	int *seen = arg;
	size_t i;

	if (strcmp(column, "has_password") == 0) {
		seen[0]++;
		return 0;
	}
	seen[1]++;
	for (i = 0; i < POGO_NELEM(bad); i++) {
		if (strstr(column, bad[i]) != NULL)
			harness_fail(__FILE__, __LINE__,
			    "column %s.%s may hold a secret", table, column);
	}
	return 0;
}

TEST(no_column_holds_a_secret)
{
	struct fixture fx;
	int seen[2] = { 0, 0 };

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_columns(fx.st, secret_col_cb, seen));
	/* The enumeration reaches the jobs table and every other one. */
	ASSERT_EQ(seen[0], 1);
	ASSERT_LT(40, seen[1]);
	fx_close(&fx);
	fx_rm(&fx);
}

TEST(files_are_private)
{
	struct fixture fx;
	static const char *const files[] = { "pogo.db", "pogo.db-wal" };
	struct stat sb;
	char p[128];
	size_t i;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	insert_job(fx.st, 0, "echo Cmd-Marker-0815");
	fx_commit(&fx);
	ASSERT(file_has(fx.dir, "pogo.db-wal", "Cmd-Marker-0815"));
	/* Commands and scripts are for the dispatcher's user only. */
	for (i = 0; i < POGO_NELEM(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", fx.dir, files[i]);
		ASSERT_EQ(stat(p, &sb), 0);
		ASSERT_EQ(sb.st_mode & 0777, 0600);
	}
	fx_close(&fx);
	fx_rm(&fx);
}

struct jlist {
	int n;
	uint64_t job[8];
};

static int
jlist_cb(const struct pogo_store_job *j, void *arg)
{
	struct jlist *l = arg;

	l->job[l->n++] = j->job;
	return 0;
}

/* pogo_store_jobs_count() with f: what the list gives without paging. */
static uint64_t
jcount(struct pogo_store *st, const struct pogo_store_filter *f)
{
	uint64_t n = 99;

	ASSERT_OK(pogo_store_jobs_count(st, f, &n));
	return n;
}

TEST(job_list_newest_first_with_filters)
{
	struct fixture fx;
	struct pogo_store_opts o = { .state_dir = NULL };
	const char *other[] = { "mail1" };
	struct pogo_store_job j = { .state = 1,
		.user = "bob",
		.command = "true",
		.task_name = "local",
		.namespace = "prod",
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = 1 };
	struct pogo_store_filter f = { .state = -1 };
	struct jlist l;

	fx_open(&fx, &o);
	insert_job(fx.st, 0, "true"); /* alice, web1 web2 db1, running */
	j.job = 1;
	ASSERT_OK(pogo_store_job_insert(fx.st, &j, other, 1));
	insert_job(fx.st, 2, "true");
	ASSERT_OK(pogo_store_job_state(fx.st, 2, 2, "no more hosts", 5));
	fx_commit(&fx);

	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_store_jobs_list(fx.st, &f, 0, 0, jlist_cb, &l));
	ASSERT_EQ(jcount(fx.st, &f), (uint64_t)l.n);
	ASSERT_EQ(l.n, 3);
	ASSERT_EQ(l.job[0], 2);
	ASSERT_EQ(l.job[2], 0);
	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_store_jobs_list(fx.st, &f, 1, 1, jlist_cb, &l));
	ASSERT_EQ(l.n, 1);
	ASSERT_EQ(l.job[0], 1);
	f.user = "alice";
	ASSERT_EQ(jcount(fx.st, &f), 2);
	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_store_jobs_list(fx.st, &f, 0, 1, jlist_cb, &l));
	ASSERT_EQ(l.n, 1);
	ASSERT_EQ(l.job[0], 2);
	f.state = 1;
	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_store_jobs_list(fx.st, &f, 0, 0, jlist_cb, &l));
	ASSERT_EQ(jcount(fx.st, &f), (uint64_t)l.n);
	ASSERT_EQ(l.n, 1);
	ASSERT_EQ(l.job[0], 0);
	f.user = NULL;
	f.state = -1;
	f.namespace = "prod";
	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_store_jobs_list(fx.st, &f, 0, 0, jlist_cb, &l));
	ASSERT_EQ(jcount(fx.st, &f), (uint64_t)l.n);
	ASSERT_EQ(l.n, 1);
	ASSERT_EQ(l.job[0], 1);
	f.namespace = NULL;
	f.target = "db1";
	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_store_jobs_list(fx.st, &f, 0, 0, jlist_cb, &l));
	ASSERT_EQ(jcount(fx.st, &f), (uint64_t)l.n);
	ASSERT_EQ(l.n, 2);
	ASSERT_EQ(l.job[0], 2);
	ASSERT_EQ(l.job[1], 0);
	f.target = "nowhere";
	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_store_jobs_list(fx.st, &f, 0, 0, jlist_cb, &l));
	ASSERT_EQ(jcount(fx.st, &f), (uint64_t)l.n);
	ASSERT_EQ(l.n, 0);
	fx_close(&fx);
}

/* Review item: one record of an unknown host must not lose the records
 * buffered after it, nor fail the read that flushes the buffer. */
TEST(bad_output_record_loses_only_itself)
{
	struct fixture fx;
	struct pogo_store_output o = {
		.type = POGO_STORE_OUT_STDOUT, .data = "x", .len = 1
	};
	struct pogo_store_stats s;
	struct ocollect oc;
	uint32_t i;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	insert_job(fx.st, 0, "true");
	fx_commit(&fx);
	for (i = 0; i < 5; i++) {
		o.seq = i;
		ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	}
	o.host = 99;
	o.seq = 0;
	ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	o.host = 1;
	ASSERT_OK(pogo_store_output_append(fx.st, 0, &o));
	memset(&oc, 0, sizeof(oc));
	ASSERT_OK(pogo_store_output(fx.st, 0, 1, 0, 0, 0, ocollect_cb, &oc));
	ASSERT_EQ(oc.n, 1);
	memset(&oc, 0, sizeof(oc));
	ASSERT_OK(pogo_store_output(fx.st, 0, 0, 0, 0, 0, ocollect_cb, &oc));
	ASSERT_EQ(oc.n, 5);
	pogo_store_stats(fx.st, &s);
	ASSERT_EQ(s.output_dropped, 1);
	fx_commit(&fx);
	fx_close(&fx);
	/* What was kept is durable. */
	fx_open(&fx, NULL);
	memset(&oc, 0, sizeof(oc));
	ASSERT_OK(pogo_store_output(fx.st, 0, 1, 0, 0, 0, ocollect_cb, &oc));
	ASSERT_EQ(oc.n, 1);
	fx_close(&fx);
	fx_rm(&fx);
}

static int
jhosts_cb(const struct pogo_store_job *j, void *arg)
{
	struct pogo_store_job *c = arg;

	c->job = j->job;
	c->host_count = j->host_count;
	return 0;
}

static int
hcount_cb(const struct pogo_store_host *h, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

/* Review item: a multi-row write that fails midway leaves nothing. */
TEST(failed_multi_row_write_leaves_nothing)
{
	struct fixture fx;
	static const char *const dup[] = { "a", "b", "a" };
	static const char *const more[] = { "c", "d", "c" };
	struct pogo_store_job j = { .job = 5,
		.state = 1,
		.user = "alice",
		.command = "true",
		.task_name = "ssh",
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = 1 };
	struct pogo_store_job c;
	int n;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	insert_job(fx.st, 0, "true");
	ASSERT_EQ(pogo_store_job_insert(fx.st, &j, dup, 3), UV_EEXIST);
	ASSERT_EQ(pogo_store_job_add_hosts(fx.st, 0, 3, more, 3), UV_EEXIST);
	/* The rest of the transaction is kept. */
	ASSERT_OK(pogo_store_job_add_hosts(fx.st, 0, 3, more, 2));
	fx_commit(&fx);
	fx_close(&fx);
	fx_open(&fx, NULL);
	ASSERT_EQ(njobs(fx.st), 1);
	memset(&c, 0, sizeof(c));
	ASSERT_OK(pogo_store_jobs(fx.st, jhosts_cb, &c));
	ASSERT_EQ(c.job, 0);
	n = 0;
	ASSERT_OK(pogo_store_hosts(fx.st, 5, 0, 0, hcount_cb, &n));
	ASSERT_EQ(n, 0);
	n = 0;
	ASSERT_OK(pogo_store_hosts(fx.st, 0, 0, 0, hcount_cb, &n));
	ASSERT_EQ(n, 5);
	fx_close(&fx);
	fx_rm(&fx);
}

struct nested {
	struct pogo_store *st;
	int outer;
	int inner_rc;
	int inner_n;
};

static int
nested_host_cb(const struct pogo_store_host *h, void *arg)
{
	struct nested *n = arg;

	n->outer++;
	if (n->outer == 1)
		n->inner_rc =
		    pogo_store_hosts(n->st, 0, 0, 0, hcount_cb, &n->inner_n);
	return 0;
}

static int
nested_job_cb(const struct pogo_store_job *j, void *arg)
{
	struct nested *n = arg;
	struct pogo_store_filter f = { .state = -1 };
	int k = 0;

	n->outer++;
	if (n->outer == 1) {
		n->inner_rc = pogo_store_jobs(n->st, count_job_cb, &k);
		ASSERT_OK(
		    pogo_store_jobs_list(n->st, &f, 0, 0, count_job_cb, &k));
		n->inner_n = k;
	}
	return 0;
}

/* Review item: a visitor that calls the same read gets UV_EBUSY, and the
 * outer iteration is not disturbed. */
TEST(nested_same_read_is_refused)
{
	struct fixture fx;
	struct nested n;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	insert_job(fx.st, 0, "true");
	insert_job(fx.st, 1, "true");
	memset(&n, 0, sizeof(n));
	n.st = fx.st;
	ASSERT_OK(pogo_store_hosts(fx.st, 0, 0, 0, nested_host_cb, &n));
	ASSERT_EQ(n.inner_rc, UV_EBUSY);
	ASSERT_EQ(n.inner_n, 0);
	ASSERT_EQ(n.outer, 3);
	/* A different read from a visitor works. */
	memset(&n, 0, sizeof(n));
	n.st = fx.st;
	ASSERT_OK(pogo_store_jobs(fx.st, nested_job_cb, &n));
	ASSERT_EQ(n.inner_rc, UV_EBUSY);
	ASSERT_EQ(n.inner_n, 2);
	ASSERT_EQ(n.outer, 2);
	/* Once the outer read is over, the read works again. */
	n.inner_n = 0;
	ASSERT_OK(pogo_store_hosts(fx.st, 0, 0, 0, hcount_cb, &n.inner_n));
	ASSERT_EQ(n.inner_n, 3);
	fx_close(&fx);
	fx_rm(&fx);
}

/* Per-state counts from a walk over every host row, to check the kept
 * counts against. */
static int
scan_count_cb(const struct pogo_store_host *h, void *arg)
{
	uint32_t *n = arg;

	ASSERT(h->state >= 0 && h->state < POGO_HOST_NSTATES);
	n[h->state]++;
	return 0;
}

static void
assert_counts_match_rows(struct pogo_store *st, uint64_t job)
{
	uint32_t kept[POGO_HOST_NSTATES], rows[POGO_HOST_NSTATES] = { 0 };
	int s;

	ASSERT_OK(pogo_store_host_counts(st, job, kept, POGO_HOST_NSTATES));
	ASSERT_OK(pogo_store_hosts(st, job, 0, 0, scan_count_cb, rows));
	for (s = 0; s < POGO_HOST_NSTATES; s++)
		ASSERT_EQ(kept[s], rows[s]);
}

/* A small PRNG (rand() is banned): xorshift32. */
static uint32_t
xs32(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

TEST(host_counts_follow_every_change)
{
	static const char *const more[] = { "c", "d", "c" };
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = -1 };
	uint32_t n[POGO_HOST_NSTATES], x = 12345, i;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	/* An unknown job has no host in any state. */
	memset(n, 0xff, sizeof(n));
	ASSERT_OK(pogo_store_host_counts(fx.st, 7, n, POGO_HOST_NSTATES));
	for (i = 0; i < POGO_HOST_NSTATES; i++)
		ASSERT_EQ(n[i], 0);
	insert_job(fx.st, 0, "true");
	insert_job(fx.st, 1, "true");
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_WAITING], 3);
	ASSERT_EQ(n[POGO_HOST_FINISHED], 0);
	/* Seen before the commit, as every read on the connection. */
	h.idx = 1;
	h.state = POGO_HOST_RUNNING;
	ASSERT_OK(pogo_store_host_set(fx.st, 0, &h));
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_WAITING], 2);
	ASSERT_EQ(n[POGO_HOST_RUNNING], 1);
	/* The same state again (a new message) counts once. */
	h.message = "still running";
	ASSERT_OK(pogo_store_host_set(fx.st, 0, &h));
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_RUNNING], 1);
	/* Job 1 is counted apart. */
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_WAITING], 3);
	ASSERT_EQ(n[POGO_HOST_RUNNING], 0);
	/* A multi-row write that fails is undone with its counts. */
	ASSERT_EQ(pogo_store_job_add_hosts(fx.st, 0, 3, more, 3), UV_EEXIST);
	assert_counts_match_rows(fx.st, 0);
	ASSERT_OK(pogo_store_job_add_hosts(fx.st, 0, 3, more, 2));
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_WAITING], 4);
	/* Only the first nstates are written. */
	n[2] = 99;
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, 2));
	ASSERT_EQ(n[POGO_HOST_WAITING], 4);
	ASSERT_EQ(n[2], 99);
	/* Many changes, across several commits, in every state. */
	for (i = 0; i < 400; i++) {
		h.idx = xs32(&x) % 5;
		h.state = (int)(xs32(&x) % POGO_HOST_NSTATES);
		ASSERT_OK(pogo_store_host_set(fx.st, 0, &h));
		if (i % 50 == 0) {
			assert_counts_match_rows(fx.st, 0);
			fx_commit(&fx);
		}
	}
	assert_counts_match_rows(fx.st, 0);
	assert_counts_match_rows(fx.st, 1);
	fx_commit(&fx);
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	fx_close(&fx);
	/* Durable with the host rows. */
	fx_open(&fx, NULL);
	assert_counts_match_rows(fx.st, 0);
	assert_counts_match_rows(fx.st, 1);
	fx_close(&fx);
	fx_rm(&fx);
}

TEST(hosts_by_name_pages_in_name_order)
{
	static const char *const names[] = { "web10", "db2", "web9", "Web1",
		"db10", "a" };
	struct pogo_store_job j = { .job = 3,
		.state = 1,
		.user = "alice",
		.command = "true",
		.task_name = "local",
		.ssh_port = -1,
		.connect_timeout = -1,
		.start_time = 1 };
	struct pogo_store_host h = { .exitstatus = 2, .runs = 1 };
	struct fixture fx;
	struct hcollect hc;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_job_insert(fx.st, &j, names, 6));
	insert_job(fx.st, 4, "true");
	h.state = POGO_HOST_FAILED;
	h.idx = 0; /* web10 */
	ASSERT_OK(pogo_store_host_set(fx.st, 3, &h));
	h.idx = 4; /* db10 */
	ASSERT_OK(pogo_store_host_set(fx.st, 3, &h));
	fx_commit(&fx);
	/* Byte order (strcmp): upper case first, "db10" before "db2". */
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(
	    pogo_store_hosts_by_name(fx.st, 3, -1, 0, 0, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 6);
	ASSERT_STR_EQ(hc.name[0], "Web1");
	ASSERT_STR_EQ(hc.name[1], "a");
	ASSERT_STR_EQ(hc.name[2], "db10");
	ASSERT_STR_EQ(hc.name[3], "db2");
	ASSERT_STR_EQ(hc.name[4], "web10");
	ASSERT_STR_EQ(hc.name[5], "web9");
	ASSERT_EQ(hc.idx[2], 4);
	ASSERT_EQ(hc.state[2], POGO_HOST_FAILED);
	ASSERT_EQ(hc.exitstatus[2], 2);
	/* A page. */
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(
	    pogo_store_hosts_by_name(fx.st, 3, -1, 2, 3, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 3);
	ASSERT_STR_EQ(hc.name[0], "db10");
	ASSERT_STR_EQ(hc.name[2], "web10");
	/* A state filter, paged among the matching hosts. */
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts_by_name(
	    fx.st, 3, POGO_HOST_FAILED, 0, 0, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 2);
	ASSERT_STR_EQ(hc.name[0], "db10");
	ASSERT_STR_EQ(hc.name[1], "web10");
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts_by_name(
	    fx.st, 3, POGO_HOST_FAILED, 1, 5, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 1);
	ASSERT_STR_EQ(hc.name[0], "web10");
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts_by_name(
	    fx.st, 3, POGO_HOST_WAITING, 4, 0, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 0);
	/* Another job's hosts are not in the walk. */
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(
	    pogo_store_hosts_by_name(fx.st, 4, -1, 0, 0, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 3);
	ASSERT_STR_EQ(hc.name[0], "db1");
	fx_close(&fx);
	fx_rm(&fx);
}

/* Issue 9: a database of schema 2 (test/data/store/schema-2.sql,
 * written by a real dispatcher and worker) is migrated to schema 3: its
 * output records, stored without an end-of-line flag, read as lines;
 * new records keep theirs; the rest is untouched. */
TEST(version_2_database_with_data_is_migrated)
{
	const char *data = getenv("POGO_TEST_DATA");
	struct fixture fx;
	struct pogo_store_output o = { .host = 0,
		.run = 0,
		.seq = 1,
		.ts = 1795728950,
		.type = POGO_STORE_OUT_STDOUT,
		.data = "more",
		.len = 4,
		.eol = false };
	struct ocollect oc;
	sqlite3 *db = NULL;
	char p[256], *sql = NULL, *err = NULL;
	uint32_t n[POGO_HOST_NSTATES], len;
	uint64_t next;
	size_t sqllen;
	char want[16];
	int i;

	snprintf(p, sizeof(p), "%s/store/schema-2.sql",
	    data != NULL ? data : "test/data");
	ASSERT_OK(pogo_str_read_file(p, 1 << 20, &sql, &sqllen));
	fx_dir(&fx);
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		harness_fail(__FILE__, __LINE__, "fixture: %s", err);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
	free(sql);
	ASSERT_EQ(read_user_version(fx.dir), 2);

	fx_open(&fx, NULL);
	/* The records of schema 2 are lines, in order. */
	for (i = 0; i < 3; i++) {
		memset(&oc, 0, sizeof(oc));
		ASSERT_OK(pogo_store_output(
		    fx.st, 0, (uint32_t)i, 0, 0, 0, ocollect_cb, &oc));
		ASSERT_EQ(oc.n, 3);
		snprintf(want, sizeof(want), "line of web%d", i + 1);
		ASSERT_EQ(oc.len[0], strlen(want));
		ASSERT_MEM_EQ(oc.data[0], want, strlen(want));
		ASSERT_EQ(oc.type[1], POGO_STORE_OUT_STDERR);
		ASSERT_MEM_EQ(oc.data[2], "partial", 7);
		ASSERT(oc.eol[0] && oc.eol[1] && oc.eol[2]);
	}
	/* The rest is there. */
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FINISHED], 2);
	ASSERT_EQ(n[POGO_HOST_FAILED], 1);
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_RUNNING], 2);
	ASSERT_EQ(n[POGO_HOST_WAITING], 1);
	assert_counts_match_rows(fx.st, 0);
	assert_counts_match_rows(fx.st, 1);
	ASSERT_OK(pogo_store_log_length(fx.st, 0, &len));
	ASSERT(len > 0);
	ASSERT_OK(pogo_store_next_job(fx.st, &next));
	ASSERT_EQ(next, 2);
	ASSERT_OK(pogo_store_next_task(fx.st, &next));
	ASSERT_EQ(next, 6);
	/* A running host's next record, a partial line, keeps its flag. */
	ASSERT_OK(pogo_store_output_append(fx.st, 1, &o));
	fx_commit(&fx);
	fx_close(&fx);
	ASSERT_EQ(read_user_version(fx.dir), POGO_STORE_SCHEMA_VERSION);

	fx_open(&fx, NULL);
	memset(&oc, 0, sizeof(oc));
	ASSERT_OK(pogo_store_output(fx.st, 1, 0, 0, 0, 0, ocollect_cb, &oc));
	ASSERT_EQ(oc.n, 2);
	ASSERT_EQ(oc.len[0], 10);
	ASSERT_MEM_EQ(oc.data[0], "no newline", 10);
	ASSERT(oc.eol[0]);
	ASSERT_MEM_EQ(oc.data[1], "more", 4);
	ASSERT(!oc.eol[1]);
	fx_close(&fx);
	fx_rm(&fx);
}

/* Review of issue 9: a database of schema 1 (test/data/store/
 * schema-1.sql, written by a real dispatcher and worker) is migrated at
 * start: its counts are built from its host rows, nothing is lost, and
 * the counts then follow new changes. */
TEST(version_1_database_with_data_is_migrated)
{
	const char *data = getenv("POGO_TEST_DATA");
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = -1 };
	struct pogo_store_job *j = NULL;
	struct hcollect hc;
	sqlite3 *db = NULL;
	char p[256], *sql = NULL, *err = NULL;
	uint32_t n[POGO_HOST_NSTATES], len;
	uint64_t next;
	size_t sqllen;

	snprintf(p, sizeof(p), "%s/store/schema-1.sql",
	    data != NULL ? data : "test/data");
	ASSERT_OK(pogo_str_read_file(p, 1 << 20, &sql, &sqllen));
	fx_dir(&fx);
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		harness_fail(__FILE__, __LINE__, "fixture: %s", err);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
	free(sql);
	ASSERT_EQ(read_user_version(fx.dir), 1);

	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FINISHED], 4);
	ASSERT_EQ(n[POGO_HOST_FAILED], 1);
	ASSERT_EQ(n[POGO_HOST_WAITING], 0);
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_WAITING], 4);
	ASSERT_EQ(n[POGO_HOST_RUNNING], 2);
	ASSERT_EQ(n[POGO_HOST_FINISHED], 0);
	assert_counts_match_rows(fx.st, 0);
	assert_counts_match_rows(fx.st, 1);
	/* The records are all there. */
	ASSERT_OK(pogo_store_job_get(fx.st, 0, &j));
	ASSERT_STR_EQ(j->user, "alice");
	ASSERT_EQ(j->host_count, 5);
	ASSERT_EQ(j->nrange, 1);
	ASSERT_STR_EQ(j->range[0], "web[1-5]");
	pogo_store_job_free(j);
	ASSERT_OK(pogo_store_log_length(fx.st, 0, &len));
	ASSERT_EQ(len, 26);
	ASSERT_OK(pogo_store_log_length(fx.st, 1, &len));
	ASSERT_EQ(len, 16);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts_by_name(
	    fx.st, 0, POGO_HOST_FAILED, 0, 0, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 1);
	ASSERT_STR_EQ(hc.name[0], "web3");
	ASSERT_EQ(hc.exitstatus[0], 1);
	ASSERT_STR_EQ(hc.task[0], "127.0.0.1:40011-3");
	/* The counters go on from the stored ones. */
	ASSERT_OK(pogo_store_next_job(fx.st, &next));
	ASSERT_EQ(next, 2);
	ASSERT_OK(pogo_store_next_task(fx.st, &next));
	ASSERT_EQ(next, 8);
	/* New changes are counted. */
	h.idx = 5; /* db6, waiting */
	h.state = POGO_HOST_RUNNING;
	ASSERT_OK(pogo_store_host_set(fx.st, 1, &h));
	fx_commit(&fx);
	fx_close(&fx);
	ASSERT_EQ(read_user_version(fx.dir), POGO_STORE_SCHEMA_VERSION);
	/* Opened again: nothing to migrate, the counts are kept. */
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_WAITING], 3);
	ASSERT_EQ(n[POGO_HOST_RUNNING], 3);
	assert_counts_match_rows(fx.st, 1);
	fx_close(&fx);
	fx_rm(&fx);
}

/* The answers of a job's external references, as read back. */
struct rcollect {
	int n;
	uint32_t idx[8];
	char ref[8][32];
	char hosts[8][64]; /* joined with ',' */
	size_t nhosts[8];
	char failure[8][64];
	bool failed[8];
};

static int
rcollect_cb(const struct pogo_store_ref *r, void *arg)
{
	struct rcollect *rc = arg;
	size_t i, len;

	ASSERT_LT(rc->n, 8);
	rc->idx[rc->n] = r->idx;
	strlcpy(rc->ref[rc->n], r->ref, sizeof(rc->ref[0]));
	rc->nhosts[rc->n] = r->nhosts;
	rc->hosts[rc->n][0] = '\0';
	for (i = 0, len = 0; i < r->nhosts; i++) {
		len += (size_t)snprintf(rc->hosts[rc->n] + len,
		    sizeof(rc->hosts[0]) - len, "%s%s", i > 0 ? "," : "",
		    r->hosts[i]);
		ASSERT_LT(len, sizeof(rc->hosts[0]));
	}
	rc->failed[rc->n] = r->failure != NULL;
	strlcpy(rc->failure[rc->n], r->failure != NULL ? r->failure : "",
	    sizeof(rc->failure[0]));
	rc->n++;
	return 0;
}

/*
 * Issue 9 (schema 4): the answers of a job's external references
 * round-trip through a close and a reopen, in idx order: hosts in the
 * resolver's order (duplicates and an empty answer kept), a failure, a
 * replaced answer; a name with a newline is refused and leaves nothing;
 * another job has none.
 */
TEST(job_refs_round_trip)
{
	struct fixture fx;
	const char *const a[] = { "h2", "h1", "h2", "" };
	const char *const b[] = { "x" };
	const char *const nl[] = { "ok", "bad\nname" };
	struct pogo_store_ref r0 = { .idx = 0, .ref = "Grp one" };
	struct pogo_store_ref r1 = { .idx = 1, .ref = "Grp empty" };
	struct pogo_store_ref r2 = {
		.idx = 2, .ref = "Grp bad", .failure = "exited with status 1"
	};
	struct pogo_store_ref rn = { .idx = 3, .ref = "Grp nl" };
	struct rcollect rc;
	int pass;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	insert_job(fx.st, 0, "true");
	insert_job(fx.st, 1, "true");
	r0.hosts = b;
	r0.nhosts = 1;
	ASSERT_OK(pogo_store_job_ref_set(fx.st, 0, &r0));
	/* The same idx again replaces it. */
	r0.hosts = a;
	r0.nhosts = 3;
	ASSERT_OK(pogo_store_job_ref_set(fx.st, 0, &r0));
	ASSERT_OK(pogo_store_job_ref_set(fx.st, 0, &r2));
	ASSERT_OK(pogo_store_job_ref_set(fx.st, 0, &r1));
	rn.hosts = nl;
	rn.nhosts = 2;
	ASSERT_EQ(pogo_store_job_ref_set(fx.st, 0, &rn), UV_EINVAL);
	fx_commit(&fx);
	for (pass = 0; pass < 2; pass++) {
		memset(&rc, 0, sizeof(rc));
		ASSERT_OK(pogo_store_job_refs(fx.st, 0, rcollect_cb, &rc));
		ASSERT_EQ(rc.n, 3);
		ASSERT_EQ(rc.idx[0], 0);
		ASSERT_STR_EQ(rc.ref[0], "Grp one");
		ASSERT_EQ(rc.nhosts[0], 3);
		ASSERT_STR_EQ(rc.hosts[0], "h2,h1,h2");
		ASSERT(!rc.failed[0]);
		ASSERT_EQ(rc.idx[1], 1);
		ASSERT_EQ(rc.nhosts[1], 0);
		ASSERT(!rc.failed[1]);
		ASSERT_EQ(rc.idx[2], 2);
		ASSERT(rc.failed[2]);
		ASSERT_STR_EQ(rc.failure[2], "exited with status 1");
		ASSERT_EQ(rc.nhosts[2], 0);
		memset(&rc, 0, sizeof(rc));
		ASSERT_OK(pogo_store_job_refs(fx.st, 1, rcollect_cb, &rc));
		ASSERT_EQ(rc.n, 0);
		fx_close(&fx);
		fx_open(&fx, NULL);
	}
	fx_close(&fx);
	fx_rm(&fx);
}

/* Issue 9: a database of schema 3 (test/data/store/schema-3.sql, written
 * by a real dispatcher and worker, a job with an external reference
 * running) is migrated to schema 4: its jobs have no stored answers,
 * which can then be stored; the rest is untouched. */
TEST(version_3_database_with_data_is_migrated)
{
	const char *data = getenv("POGO_TEST_DATA");
	const char *const hosts[] = { "r1", "r2", "r3" };
	struct pogo_store_ref r0 = {
		.idx = 0, .ref = "Grp one", .hosts = hosts, .nhosts = 3
	};
	struct fixture fx;
	struct pogo_store_job *j = NULL;
	struct rcollect rc;
	sqlite3 *db = NULL;
	char p[256], *sql = NULL, *err = NULL;
	uint32_t n[POGO_HOST_NSTATES], len;
	uint64_t next;
	size_t sqllen;

	snprintf(p, sizeof(p), "%s/store/schema-3.sql",
	    data != NULL ? data : "test/data");
	ASSERT_OK(pogo_str_read_file(p, 1 << 20, &sql, &sqllen));
	fx_dir(&fx);
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		harness_fail(__FILE__, __LINE__, "fixture: %s", err);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
	free(sql);
	ASSERT_EQ(read_user_version(fx.dir), 3);

	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_job_get(fx.st, 0, &j));
	ASSERT(strstr(j->config, "Grp one:") != NULL);
	ASSERT_EQ(j->state, POGO_JOB_RUNNING);
	pogo_store_job_free(j);
	memset(&rc, 0, sizeof(rc));
	ASSERT_OK(pogo_store_job_refs(fx.st, 0, rcollect_cb, &rc));
	ASSERT_EQ(rc.n, 0);
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_RUNNING], 1);
	ASSERT_EQ(n[POGO_HOST_WAITING], 2);
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FINISHED], 2);
	assert_counts_match_rows(fx.st, 0);
	ASSERT_OK(pogo_store_log_length(fx.st, 0, &len));
	ASSERT_EQ(len, 10);
	ASSERT_OK(pogo_store_next_job(fx.st, &next));
	ASSERT_EQ(next, 2);
	ASSERT_OK(pogo_store_job_ref_set(fx.st, 0, &r0));
	fx_commit(&fx);
	fx_close(&fx);
	ASSERT_EQ(read_user_version(fx.dir), POGO_STORE_SCHEMA_VERSION);

	fx_open(&fx, NULL);
	memset(&rc, 0, sizeof(rc));
	ASSERT_OK(pogo_store_job_refs(fx.st, 0, rcollect_cb, &rc));
	ASSERT_EQ(rc.n, 1);
	ASSERT_STR_EQ(rc.hosts[0], "r1,r2,r3");
	fx_close(&fx);
	fx_rm(&fx);
}

/* The count sql (binding ?1 and ?2 to a and b when not NULL) reads in
 * dir's pogo.db opened apart (the store closed). */
static int
db_count(const char *dir, const char *sql, const char *a, const char *b)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char p[256];
	int n;

	snprintf(p, sizeof(p), "%s/pogo.db", dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	ASSERT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (a != NULL)
		sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
	ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
	return n;
}

/* The entries of sqlite_master of a type ("table", "trigger") whose name
 * starts with prefix, in dir's pogo.db. */
static int
master_count(const char *dir, const char *type, const char *prefix)
{
	return db_count(dir,
	    "SELECT count(*) FROM sqlite_master WHERE type = ?1"
	    " AND substr(name, 1, length(?2)) = ?2",
	    type, prefix);
}

/*
 * Issue 8: a database of schema 4 (test/data/store/schema-4.sql, written
 * by `pogo one --state-dir`: two finished jobs) is migrated to schema 5:
 * the triggers on hosts that kept host_counts go (they cost 12,700
 * instructions per state change); the table stays with its counts, read
 * without a host row (review11 1), and the store writes it at the commit
 * of a change.  The counts read the same, follow a new change, and match
 * the rows after a reopen.
 */
TEST(version_4_database_with_data_is_migrated)
{
	const char *data = getenv("POGO_TEST_DATA");
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = -1, .runs = 2 };
	struct pogo_store_stats s;
	sqlite3 *db = NULL;
	char p[256], *sql = NULL, *err = NULL;
	uint32_t n[POGO_HOST_NSTATES];
	size_t sqllen;

	snprintf(p, sizeof(p), "%s/store/schema-4.sql",
	    data != NULL ? data : "test/data");
	ASSERT_OK(pogo_str_read_file(p, 1 << 20, &sql, &sqllen));
	fx_dir(&fx);
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		harness_fail(__FILE__, __LINE__, "fixture: %s", err);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
	free(sql);
	ASSERT_EQ(read_user_version(fx.dir), 4);
	ASSERT_EQ(master_count(fx.dir, "trigger", "hosts_count_"), 3);

	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_host_counts(fx.st, 0, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FINISHED], 3);
	ASSERT_EQ(n[POGO_HOST_WAITING], 0);
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FAILED], 2);
	pogo_store_stats(fx.st, &s);
	ASSERT_EQ(s.host_jobs_loaded, 0);
	ASSERT_EQ(s.host_rows, 0);
	assert_counts_match_rows(fx.st, 0);
	assert_counts_match_rows(fx.st, 1);
	/* A retry of x1: failed -> running. */
	h.idx = 0;
	h.state = POGO_HOST_RUNNING;
	h.start_time = 1795728960;
	ASSERT_OK(pogo_store_host_set(fx.st, 1, &h));
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FAILED], 1);
	ASSERT_EQ(n[POGO_HOST_RUNNING], 1);
	fx_commit(&fx);
	fx_close(&fx);
	ASSERT_EQ(read_user_version(fx.dir), 5);
	ASSERT_EQ(master_count(fx.dir, "trigger", "hosts_count_"), 0);
	ASSERT_EQ(master_count(fx.dir, "table", "host_counts"), 1);

	/* After the reopen: from host_counts, as the commit wrote it. */
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_host_counts(fx.st, 1, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FAILED], 1);
	ASSERT_EQ(n[POGO_HOST_RUNNING], 1);
	pogo_store_stats(fx.st, &s);
	ASSERT_EQ(s.host_jobs, 0);
	assert_counts_match_rows(fx.st, 0);
	assert_counts_match_rows(fx.st, 1);
	fx_close(&fx);
	fx_rm(&fx);
}

/*
 * Issue 8: a host whose state changes several times in one transaction
 * is written once, with its latest state (every field of it), at the
 * commit; a read of host rows or counts in between sees the queued state
 * (it is written first); the check of an unknown host stays synchronous,
 * and follows the hosts that pogo_store_job_add_hosts() adds.
 */
TEST(a_host_changed_in_one_transaction_is_written_once)
{
	static const char *const more[] = { "web3" };
	struct fixture fx;
	struct pogo_store_opts o = { 0 };
	struct pogo_store_host h = { .exitstatus = -1 };
	struct pogo_store_stats s0, s1;
	struct hcollect hc;
	uint32_t n[POGO_HOST_NSTATES];
	uint64_t job;

	fx_open(&fx, &o);
	ASSERT_OK(pogo_store_next_job(fx.st, &job));
	insert_job(fx.st, job, "true");
	fx_commit(&fx);
	pogo_store_stats(fx.st, &s0);

	/* waiting -> ready -> running -> finished, in one turn. */
	h.idx = 1;
	h.state = POGO_HOST_READY;
	h.message = "connecting to host...";
	h.runs = 1;
	h.task_id = "one-1";
	h.worker = "w";
	h.worker_instance = "w-1";
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	h.state = POGO_HOST_RUNNING;
	h.message = "started";
	h.start_time = 5.5;
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	h.state = POGO_HOST_FINISHED;
	h.message = "ok";
	h.exitstatus = 0;
	h.finish_time = 6.25;
	h.task_id = "one-2";
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	fx_commit(&fx);
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(s1.host_writes - s0.host_writes, 1);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, job, 1, 1, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 1);
	ASSERT_EQ(hc.state[0], POGO_HOST_FINISHED);
	ASSERT_EQ(hc.exitstatus[0], 0);
	ASSERT_STR_EQ(hc.task[0], "one-2");
	ASSERT(hc.finish[0] == 6.25);
	assert_counts_match_rows(fx.st, job);

	/* A read in the transaction sees the queued state, then the last
	 * one is written at the commit. */
	h.idx = 2;
	h.state = POGO_HOST_READY;
	h.exitstatus = -1;
	h.finish_time = 0;
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	ASSERT_OK(pogo_store_host_counts(fx.st, job, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_READY], 1);
	ASSERT_EQ(n[POGO_HOST_WAITING], 1);
	h.state = POGO_HOST_RUNNING;
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, job, 2, 1, hcollect_cb, &hc));
	ASSERT_EQ(hc.state[0], POGO_HOST_RUNNING);
	h.state = POGO_HOST_FAILED;
	h.exitstatus = 3;
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	fx_commit(&fx);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, job, 2, 1, hcollect_cb, &hc));
	ASSERT_EQ(hc.state[0], POGO_HOST_FAILED);
	ASSERT_EQ(hc.exitstatus[0], 3);
	assert_counts_match_rows(fx.st, job);

	/* Unknown hosts and jobs, at once; hosts added later are known. */
	h.idx = 3;
	ASSERT_EQ(pogo_store_host_set(fx.st, job, &h), POGO_ERR_NOTFOUND);
	ASSERT_EQ(pogo_store_host_set(fx.st, job + 1, &h), POGO_ERR_NOTFOUND);
	ASSERT_OK(pogo_store_job_add_hosts(fx.st, job, 3, more, 1));
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	fx_commit(&fx);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, job, 3, 1, hcollect_cb, &hc));
	ASSERT_EQ(hc.n, 1);
	ASSERT_EQ(hc.state[0], POGO_HOST_FAILED);
	fx_close(&fx);
}

/*
 * A queued host row that fails to be written before a read fails the
 * transaction's commit; the rows queued after it must never reach the
 * database (review10 2: a later read of the broken store wrote them
 * outside any transaction: a rolled-back task id became durable).
 */
static void
commit_status_cb(struct pogo_store *st, int status, void *arg)
{
	*(int *)arg = status != 0 ? status : 1;
}

TEST(rows_of_a_failed_transaction_are_not_written_later)
{
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = -1 };
	struct pogo_store_stats s0, s1;
	struct hcollect hc;
	uint64_t job;
	sqlite3 *db;
	char p[512], *err = NULL;
	int done = 0, i;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &job));
	insert_job(fx.st, job, "true");
	fx_commit(&fx);
	/* A database fault: an UPDATE of host 0 to state 5 is refused. */
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db,
	        "CREATE TRIGGER fault BEFORE UPDATE ON hosts WHEN new.idx = 0"
	        " AND new.state = 5 BEGIN SELECT RAISE(ABORT, 'fault'); END",
	        NULL, NULL, &err) != SQLITE_OK)
		harness_fail(__FILE__, __LINE__, "trigger: %s", err);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);

	h.idx = 0;
	h.state = 5;
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	/* A read of host rows writes host 0 first: refused (hosts_lost;
	 * review11 2: a count is no syncing read, it reads no host row). */
	pogo_store_stats(fx.st, &s0);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, job, 0, 0, hcollect_cb, &hc));
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(s1.host_writes, s0.host_writes);
	ASSERT_EQ(hc.n, 3);
	/* host 1 queued in the same, doomed, transaction */
	h.idx = 1;
	h.state = POGO_HOST_RUNNING;
	h.task_id = "rolled-back-task";
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	pogo_store_after_commit(fx.st, commit_status_cb, &done);
	for (i = 0; i < 100 && done == 0; i++)
		uv_run(&fx.loop, UV_RUN_ONCE);
	/* the commit failed */
	ASSERT(done != 0 && done != 1);
	/* The store is broken; a status read comes in. */
	memset(&hc, 0, sizeof(hc));
	(void)pogo_store_hosts(fx.st, job, 0, 3, hcollect_cb, &hc);
	fx_close(&fx);

	/* What is durable: host 1 must still be as committed (waiting). */
	fx_open(&fx, NULL);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, job, 1, 1, hcollect_cb, &hc));
	ASSERT_EQ(hc.state[0], POGO_HOST_WAITING);
	fx_close(&fx);
	fx_rm(&fx);
}

/*
 * review11 15: the first change of a job since the open marks its counts
 * in host_counts; when that write fails, the change is not stored, so
 * the transaction's commit must fail too (SPEC 6.3: no report is
 * acknowledged for it), not commit the rest.
 */
TEST(a_failed_count_mark_fails_the_commit)
{
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = 0 };
	struct hcollect hc;
	uint64_t job;
	sqlite3 *db;
	char p[512], *err = NULL;
	int done = 0, i;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &job));
	insert_job(fx.st, job, "true");
	fx_commit(&fx);
	fx_close(&fx);
	/* A database fault: the job's mark cannot be written. */
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	if (sqlite3_exec(db,
	        "CREATE TRIGGER fault BEFORE INSERT ON host_counts"
	        " WHEN new.state = -1 BEGIN SELECT RAISE(ABORT, 'fault'); END",
	        NULL, NULL, &err) != SQLITE_OK)
		harness_fail(__FILE__, __LINE__, "trigger: %s", err);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);

	fx_open(&fx, NULL);
	h.idx = 0;
	h.state = POGO_HOST_FINISHED;
	ASSERT(pogo_store_host_set(fx.st, job, &h) != 0);
	pogo_store_after_commit(fx.st, commit_status_cb, &done);
	for (i = 0; i < 100 && done == 0; i++)
		uv_run(&fx.loop, UV_RUN_ONCE);
	/* the commit failed */
	ASSERT(done != 0 && done != 1);
	fx_close(&fx);

	fx_open(&fx, NULL);
	memset(&hc, 0, sizeof(hc));
	ASSERT_OK(pogo_store_hosts(fx.st, job, 0, 1, hcollect_cb, &hc));
	ASSERT_EQ(hc.state[0], POGO_HOST_WAITING);
	fx_close(&fx);
	fx_rm(&fx);
}

/*
 * Guard: with host rows deferred, a transaction may begin with a read and
 * take the write lock only at its commit; another connection's write in
 * between (the checkpoint connection's) must not make that commit fail.
 */
TEST(another_writer_between_a_host_change_and_its_commit)
{
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = -1 };
	uint64_t job;
	sqlite3 *db;
	char p[512], *err = NULL;
	int done = 0, i, rc;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	ASSERT_OK(pogo_store_next_job(fx.st, &job));
	insert_job(fx.st, job, "true");
	fx_commit(&fx);

	h.idx = 0;
	h.state = POGO_HOST_READY;
	h.task_id = "t-1";
	ASSERT_OK(pogo_store_host_set(fx.st, job, &h));
	/* Another connection's write, as the checkpoint thread's. */
	snprintf(p, sizeof(p), "%s/pogo.db", fx.dir);
	ASSERT_EQ(sqlite3_open(p, &db), SQLITE_OK);
	rc = sqlite3_exec(db,
	    "BEGIN IMMEDIATE; UPDATE counters SET value = value"
	    " WHERE name = 'next_job'; COMMIT",
	    NULL, NULL, &err);
	sqlite3_free(err);
	ASSERT_EQ(rc, SQLITE_OK);
	ASSERT_EQ(sqlite3_close(db), SQLITE_OK);
	pogo_store_after_commit(fx.st, commit_status_cb, &done);
	for (i = 0; i < 100 && done == 0; i++)
		uv_run(&fx.loop, UV_RUN_ONCE);
	ASSERT_EQ(done, 1);
	fx_close(&fx);
	fx_rm(&fx);
}

/*
 * review11 1: counting jobs reads host_counts, no host row, and keeps no
 * host in memory; the jobs whose hosts change are counted in memory, at
 * most a few of them (an ended job leaves at once, the others the least
 * recently changed first), their counts written to host_counts when they
 * leave.  Counts stay right after a job left memory, after a failed
 * commit (host_counts rolls back with the rows; the counts only memory
 * held are read from the rows) and after a reopen.
 */
#define NJOBS 300

static void
assert_job_counts(struct pogo_store *st, uint64_t job, uint32_t nfinished)
{
	uint32_t n[POGO_HOST_NSTATES];

	ASSERT_OK(pogo_store_host_counts(st, job, n, POGO_HOST_NSTATES));
	ASSERT_EQ(n[POGO_HOST_FINISHED], nfinished);
	ASSERT_EQ(n[POGO_HOST_WAITING], 3 - nfinished);
}

/* Jobs marked in host_counts (counts that may lag), the store closed. */
static int
marked_jobs(const char *dir)
{
	return db_count(dir,
	    "SELECT count(*) FROM host_counts WHERE state = -1", NULL, NULL);
}

TEST(counted_jobs_leave_memory)
{
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = 0 };
	struct pogo_store_stats s0, s1;
	uint64_t job[NJOBS], most = 0;
	uint32_t i;
	int done = 0, k;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	/* Room for 128 jobs at most (each takes more than 256 bytes). */
	pogo_store_hjobs_budget(fx.st, 128 * 256);
	/* In one transaction: jobs leave memory before its commit. */
	for (i = 0; i < NJOBS; i++) {
		ASSERT_OK(pogo_store_next_job(fx.st, &job[i]));
		insert_job(fx.st, job[i], "true");
		h.idx = i % 3;
		h.state = POGO_HOST_FINISHED;
		ASSERT_OK(pogo_store_host_set(fx.st, job[i], &h));
		/* Every other job ends. */
		if (i % 2 == 0)
			ASSERT_OK(pogo_store_job_state(
			    fx.st, job[i], POGO_JOB_FINISHED, NULL, 2000.5));
		pogo_store_stats(fx.st, &s1);
		if (s1.host_jobs > most)
			most = s1.host_jobs;
	}
	ASSERT(most >= 2 && most <= 128);
	for (i = 0; i < NJOBS; i++)
		assert_job_counts(fx.st, job[i], 1);
	fx_commit(&fx);

	/* Counting every job loads none. */
	pogo_store_stats(fx.st, &s0);
	for (i = 0; i < NJOBS; i++)
		assert_job_counts(fx.st, job[i], 1);
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(s1.host_jobs_loaded, s0.host_jobs_loaded);
	ASSERT_EQ(s1.host_jobs, s0.host_jobs);
	ASSERT(s1.host_jobs <= 128);
	ASSERT(s1.host_jobs_evicted >= NJOBS - 128);

	/* The first job left memory long ago: a change reads its rows. */
	h.idx = 1;
	ASSERT_OK(pogo_store_host_set(fx.st, job[0], &h));
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(s1.host_jobs_loaded, s0.host_jobs_loaded + 1);
	assert_job_counts(fx.st, job[0], 2);
	assert_counts_match_rows(fx.st, job[0]);
	fx_commit(&fx);

	/* A failed commit undoes a change and its counts. */
	h.idx = 2;
	ASSERT_OK(pogo_store_host_set(fx.st, job[1], &h));
	assert_job_counts(fx.st, job[1], 2);
	pogo_store_fail_commits(fx.st, true);
	pogo_store_after_commit(fx.st, commit_status_cb, &done);
	for (k = 0; k < 100 && done == 0; k++)
		uv_run(&fx.loop, UV_RUN_ONCE);
	ASSERT(done != 0 && done != 1);
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(s1.host_jobs, 0);
	assert_job_counts(fx.st, job[1], 1);
	assert_counts_match_rows(fx.st, job[1]);
	/* job[0]'s counts were in memory only: counted from its rows. */
	assert_job_counts(fx.st, job[0], 2);
	fx_close(&fx);
	/* The broken store could not write them: mended at the open. */
	ASSERT(marked_jobs(fx.dir) > 0);

	fx_open(&fx, NULL);
	for (i = 0; i < NJOBS; i++) {
		assert_job_counts(fx.st, job[i], i == 0 ? 2 : 1);
		if (i % 37 == 0)
			assert_counts_match_rows(fx.st, job[i]);
	}
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(s1.host_jobs_loaded, 0);
	ASSERT_EQ(s1.host_jobs, 0);
	/* A change, then a clean close: the counts are written. */
	h.idx = 2;
	ASSERT_OK(pogo_store_host_set(fx.st, job[0], &h));
	fx_close(&fx);
	ASSERT_EQ(marked_jobs(fx.dir), 0);
	fx_open(&fx, NULL);
	assert_job_counts(fx.st, job[0], 3);
	fx_close(&fx);
	fx_rm(&fx);
}

/*
 * review11 11: more jobs than a count cap changing round-robin (a
 * dispatcher's many running jobs) are each read from their rows once, not
 * again at every change.
 */
TEST(many_changing_jobs_are_loaded_once)
{
	struct fixture fx;
	struct pogo_store_host h = { .exitstatus = 0 };
	struct pogo_store_stats s0, s1;
	uint64_t job[NJOBS];
	uint32_t i, round;

	fx_dir(&fx);
	fx_open(&fx, NULL);
	for (i = 0; i < NJOBS; i++) {
		ASSERT_OK(pogo_store_next_job(fx.st, &job[i]));
		insert_job(fx.st, job[i], "true");
	}
	fx_commit(&fx);
	/* Reopened: no job is in memory; each is loaded at its change. */
	fx_close(&fx);
	fx_open(&fx, NULL);
	pogo_store_stats(fx.st, &s0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < NJOBS; i++) {
			h.idx = round;
			h.state = POGO_HOST_FINISHED;
			ASSERT_OK(pogo_store_host_set(fx.st, job[i], &h));
		}
		fx_commit(&fx);
	}
	pogo_store_stats(fx.st, &s1);
	ASSERT_EQ(s1.host_jobs_loaded - s0.host_jobs_loaded, NJOBS);
	ASSERT_EQ(s1.host_jobs_evicted, s0.host_jobs_evicted);
	for (i = 0; i < NJOBS; i++)
		assert_job_counts(fx.st, job[i], 3);
	fx_close(&fx);
	fx_rm(&fx);
}
