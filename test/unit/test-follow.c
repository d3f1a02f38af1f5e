/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/follow.c on a real loop: synthetic job events go in,
 * and what reaches stdout and stderr (regular files here, written at
 * once), the --output-dir files, the summary and the exit status are
 * compared with SPEC 12.2 byte for byte.  Signals and a slow reader reach
 * the source's callbacks.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/cmd.h"
#include "pogo/follow.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/proc.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

static double fake_clock;

static double
fake_now(void)
{
	return fake_clock;
}

/* The source: counts what the follower asks for. */
struct src {
	int halts;
	int stops;
	int pauses;
	int resumes;
};

static void
src_halt(void *arg)
{
	((struct src *)arg)->halts++;
}

static void
src_stop(void *arg)
{
	((struct src *)arg)->stops++;
}

static void
src_pause(bool pause, void *arg)
{
	if (pause)
		((struct src *)arg)->pauses++;
	else
		((struct src *)arg)->resumes++;
}

static const struct pogo_follow_source src_ops = {
	.halt = src_halt,
	.stop = src_stop,
	.pause = src_pause,
};

/* One follower writing to two files of a temporary directory. */
struct fx {
	uv_loop_t loop;
	char dir[64];
	char out_path[128];
	char err_path[128];
	int out_fd;
	int err_fd;
	struct pogo_follow_opts opts;
	struct src src;
	struct pogo_follow *f;
	uint32_t index;
	int closed;
	char *out; /* what was written, after fx_end() */
	char *err;
	size_t out_len;
};

static void
fx_init(struct fx *x, uint32_t nhosts)
{
	memset(x, 0, sizeof(*x));
	ASSERT_OK(pogo_proc_loop_init(&x->loop));
	snprintf(x->dir, sizeof(x->dir), "/tmp/test-follow.XXXXXX");
	ASSERT(mkdtemp(x->dir) != NULL);
	snprintf(x->out_path, sizeof(x->out_path), "%s/stdout", x->dir);
	snprintf(x->err_path, sizeof(x->err_path), "%s/stderr", x->dir);
	x->out_fd = open(x->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	x->err_fd = open(x->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT(x->out_fd >= 0 && x->err_fd >= 0);
	x->opts.prog = "pogo one";
	x->opts.job = "p0000000000";
	x->opts.nhosts = nhosts;
	x->opts.out_fd = x->out_fd;
	x->opts.err_fd = x->err_fd;
	x->opts.high = 4 * 1024 * 1024;
	x->opts.now = fake_now;
	fake_clock = 1732525200.0;
}

static void
fx_start(struct fx *x)
{
	x->f = pogo_follow_new(&x->loop, &x->opts, &src_ops, &x->src);
	pogo_follow_start(x->f);
}

/* Feed a job entry (host NULL) or a host entry, with the next index. */
static void
fx_entry(
    struct fx *x, const char *host, int state, const char *msg, int exitstatus)
{
	struct pogo_follow_entry e;

	memset(&e, 0, sizeof(e));
	e.index = x->index++;
	e.time = fake_clock;
	e.host = host;
	e.state = state;
	e.message = msg;
	e.exitstatus = exitstatus;
	pogo_follow_entry(x->f, &e);
}

static void
fx_output(struct fx *x, const char *host, uint32_t run, const char *data,
    size_t len, bool eol)
{
	struct pogo_follow_record r;

	memset(&r, 0, sizeof(r));
	r.host = host;
	r.run = run;
	r.type = POGO_OUT_STDOUT;
	r.data = data;
	r.len = len;
	r.eol = eol;
	r.time = fake_clock;
	pogo_follow_output(x->f, &r);
}

/* A host's whole successful or failed run. */
static void
fx_run(struct fx *x, const char *host, int state, const char *msg, int rc)
{
	fx_entry(x, host, POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(x, host, POGO_HOST_RUNNING, "started", -1);
	fx_entry(x, host, state, msg, rc);
}

static void
fx_closed_cb(void *arg)
{
	((struct fx *)arg)->closed++;
}

static char *
fx_read(const char *path, size_t *lenp)
{
	char *text = NULL;
	size_t len = 0;

	ASSERT_OK(pogo_str_read_file(path, 1 << 20, &text, &len));
	if (lenp != NULL)
		*lenp = len;
	return text;
}

/* End the stream: finish, close, and read what was printed. */
static int
fx_end(struct fx *x, const struct pogo_follow_stats *st)
{
	int code;

	pogo_follow_end(x->f);
	code = pogo_follow_finish(x->f, st);
	pogo_follow_close(x->f, fx_closed_cb, x);
	uv_run(&x->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(x->closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&x->loop));
	x->out = fx_read(x->out_path, &x->out_len);
	x->err = fx_read(x->err_path, NULL);
	return code;
}

static void
fx_free(struct fx *x)
{
	close(x->out_fd);
	close(x->err_fd);
	free(x->out);
	free(x->err);
	unlink(x->out_path);
	unlink(x->err_path);
	rmdir(x->dir);
}

TEST(success_lines_and_summary)
{
	struct fx x;

	fx_init(&x, 2);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_GATHERING,
	    "job created; fetching host info", -1);
	fx_entry(
	    &x, "host1", POGO_HOST_WAITING, "determining run order...", -1);
	fx_entry(
	    &x, "host2", POGO_HOST_WAITING, "determining run order...", -1);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "host2", POGO_HOST_FINISHED, "ok", 0);
	ASSERT_EQ(pogo_follow_count(x.f, POGO_HOST_FINISHED), 1);
	ASSERT_EQ(pogo_follow_count(x.f, POGO_HOST_WAITING), 1);
	fx_run(&x, "host1", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	fake_clock += 1.3;
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_OK);
	ASSERT_STR_EQ(x.out,
	    "host2: Running target\n"
	    "host2: Success\n"
	    "host1: Running target\n"
	    "host1: Success\n");
	ASSERT_STR_EQ(
	    x.err, "2 hosts: 2 ok, 0 failed, 0 unreachable in 1.3 s\n");
	fx_free(&x);
}

/* Log lines from a thread that is not the loop's (libssh's setup). */
#define LOG_THREAD_LINES 300

static void *
log_thread_main(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < LOG_THREAD_LINES; i++)
		log_info("from another thread %d.", i);
	return NULL;
}

TEST(other_threads_log_lines_go_through_the_loop)
{
	struct fx x;
	pthread_t th;
	const char *p;
	char want[64];
	int i;

	fx_init(&x, 1);
	fx_start(&x);
	ASSERT_OK(pthread_create(&th, NULL, log_thread_main, NULL));
	/* The loop's own lines meanwhile, with the thread's queued. */
	for (i = 0; i < 20; i++) {
		log_info("from the loop %d.", i);
		uv_run(&x.loop, UV_RUN_NOWAIT);
	}
	ASSERT_OK(pthread_join(th, NULL));
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "host1", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_OK);
	/* Every line reached the follower's stderr, whole and in order. */
	p = x.err;
	for (i = 0; i < LOG_THREAD_LINES; i++) {
		snprintf(want, sizeof(want), " I from another thread %d.\n", i);
		ASSERT((p = strstr(p, want)) != NULL);
	}
	p = x.err;
	for (i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), " I from the loop %d.\n", i);
		ASSERT((p = strstr(p, want)) != NULL);
	}
	ASSERT(strstr(x.err, "1 host: 1 ok, 0 failed") != NULL);
	fx_free(&x);
}

TEST(failed_and_unreachable_hosts)
{
	struct fx x;

	fx_init(&x, 3);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "a", POGO_HOST_FAILED, "exited with status 3", 3);
	fx_entry(&x, "b", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "b", POGO_HOST_UNREACHABLE, "connection refused", -1);
	fx_entry(&x, "c", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "c", POGO_HOST_FAILED, "authentication failed", -1);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	fake_clock += 0.04;
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out,
	    "a: Running target\n"
	    "a: Failed (rc=3)\n"
	    "b: Running target\n"
	    "b: Unreachable (connection refused)\n"
	    "c: Running target\n"
	    "c: Failed (authentication failed)\n");
	ASSERT_STR_EQ(
	    x.err, "3 hosts: 0 ok, 2 failed, 1 unreachable in 0.0 s\n");
	fx_free(&x);
}

TEST(one_host_is_singular)
{
	struct fx x;

	fx_init(&x, 1);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "solo", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	fake_clock += 12.25;
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_OK);
	ASSERT_STR_EQ(
	    x.err, "1 host: 1 ok, 0 failed, 0 unreachable in 12.2 s\n");
	fx_free(&x);
}

TEST(ctrl_c_halts_then_stops_through_the_source)
{
	struct fx x;

	fx_init(&x, 3);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "a", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "a", POGO_HOST_RUNNING, "started", -1);
	pogo_follow_interrupt(x.f);
	ASSERT_EQ(x.src.halts, 1);
	ASSERT_EQ(x.src.stops, 0);
	/* What the engine logs on halt. */
	fx_entry(&x, NULL, POGO_JOB_HALTED, "halted by user", -1);
	fx_entry(&x, "b", POGO_HOST_HALTED, "job halted", -1);
	fx_entry(&x, "c", POGO_HOST_HALTED, "job halted", -1);
	pogo_follow_interrupt(x.f);
	ASSERT_EQ(x.src.halts, 1);
	ASSERT_EQ(x.src.stops, 1);
	fx_entry(&x, "a", POGO_HOST_FAILED, "killed", -1);
	pogo_follow_end(x.f);
	/* After the end, signals are ignored. */
	pogo_follow_interrupt(x.f);
	ASSERT_EQ(x.src.halts + x.src.stops, 2);
	fake_clock += 2;
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out,
	    "a: Running target\n"
	    "b: Halted\n"
	    "c: Halted\n"
	    "a: Failed (killed)\n");
	ASSERT_STR_EQ(x.err,
	    "3 hosts: 0 ok, 1 failed, 0 unreachable, 2 halted in 2.0 s\n");
	fx_free(&x);
}

TEST(halted_job_with_every_host_ok_exits_1)
{
	struct fx x;

	/* The job timeout came while the last host ran; it succeeded. */
	fx_init(&x, 1);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "a", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, NULL, POGO_JOB_HALTED, "timeout reached", -1);
	fx_entry(&x, "a", POGO_HOST_RUNNING, "started", -1);
	fx_entry(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out, "a: Running target\na: Success\n");
	ASSERT_STR_EQ(
	    x.err, "1 host: 1 ok, 0 failed, 0 unreachable in 0.0 s\n");
	fx_free(&x);
}

TEST(a_real_sigint_reaches_the_source)
{
	struct fx x;
	uint64_t t0 = uv_hrtime();
	int k;

	fx_init(&x, 1);
	x.opts.signals = true;
	fx_start(&x);
	ASSERT_OK(uv_kill(getpid(), SIGINT));
	for (k = 0; k < 1000 && x.src.halts == 0; k++) {
		uv_run(&x.loop, UV_RUN_NOWAIT);
		ASSERT(uv_hrtime() - t0 < 10000000000ULL);
		if (x.src.halts == 0)
			usleep(1000);
	}
	ASSERT_EQ(x.src.halts, 1);
	ASSERT_OK(uv_kill(getpid(), SIGTERM));
	for (k = 0; k < 1000 && x.src.stops == 0; k++) {
		uv_run(&x.loop, UV_RUN_NOWAIT);
		if (x.src.stops == 0)
			usleep(1000);
	}
	ASSERT_EQ(x.src.stops, 1);
	fx_entry(&x, NULL, POGO_JOB_HALTED, "halted by user", -1);
	fx_entry(&x, "a", POGO_HOST_HALTED, "job halted", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out, "a: Halted\n");
	ASSERT_STR_EQ(x.err,
	    "1 host: 0 ok, 0 failed, 0 unreachable, 1 halted in 0.0 s\n");
	fx_free(&x);
}

TEST(deadlocked_job)
{
	struct fx x;

	fx_init(&x, 3);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "a", POGO_HOST_FAILED, "exited with status 1", 1);
	fx_entry(&x, NULL, POGO_JOB_DEADLOCKED,
	    "unable to run more hosts due to failures", -1);
	fx_entry(&x, "b", POGO_HOST_DEADLOCKED, "job deadlocked", -1);
	fx_entry(&x, "c", POGO_HOST_DEADLOCKED, "job deadlocked", -1);
	fake_clock += 0.96;
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out,
	    "a: Running target\n"
	    "a: Failed (rc=1)\n"
	    "b: Deadlocked\n"
	    "c: Deadlocked\n");
	ASSERT_STR_EQ(x.err,
	    "3 hosts: 0 ok, 1 failed, 0 unreachable, 2 deadlocked in 1.0 s\n");
	fx_free(&x);
}

TEST(skipped_host)
{
	struct fx x;

	fx_init(&x, 2);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "b", POGO_HOST_SKIPPED, "skipped by user", -1);
	fx_run(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out, "b: Skipped\na: Running target\na: Success\n");
	ASSERT_STR_EQ(x.err,
	    "2 hosts: 1 ok, 0 failed, 0 unreachable, 1 skipped in 0.0 s\n");
	fx_free(&x);
}

TEST(an_entry_seen_twice_counts_once)
{
	struct fx x;
	struct pogo_follow_entry e;

	fx_init(&x, 1);
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "a", POGO_HOST_FAILED, "exited with status 2", 2);
	/* A long poll that delivers entry 2 again. */
	memset(&e, 0, sizeof(e));
	e.index = 2;
	e.host = "a";
	e.state = POGO_HOST_RUNNING;
	e.message = "started";
	e.exitstatus = -1;
	pogo_follow_entry(x.f, &e);
	ASSERT_EQ(pogo_follow_count(x.f, POGO_HOST_FAILED), 1);
	ASSERT_EQ(pogo_follow_count(x.f, POGO_HOST_RUNNING), 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out, "a: Running target\na: Failed (rc=2)\n");
	fx_free(&x);
}

TEST(json_events_keep_special_bytes)
{
	static const char data[] = "a\0b\033[2J\"q\"\\\t\xff\xc3\xa9";
	struct pogo_follow_stats st = { 3, 2 };
	struct fx x;

	fx_init(&x, 1);
	x.opts.json = true;
	x.opts.show_output = true; /* --json wins */
	fake_clock = 1732525200.25;
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "h\"1", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "h\"1", POGO_HOST_RUNNING, "started", -1);
	fx_output(&x, "h\"1", 0, data, sizeof(data) - 1, true);
	fx_entry(&x, "h\"1", POGO_HOST_FAILED, "exited with status 7", 7);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	fake_clock += 1.26;
	ASSERT_EQ(fx_end(&x, &st), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out,
	    "{\"event\":\"job\",\"job\":\"p0000000000\",\"state\":\"running\","
	    "\"message\":\"constraints computed\",\"time\":1732525200.25}\n"
	    "{\"event\":\"host\",\"job\":\"p0000000000\",\"host\":\"h\\\"1\","
	    "\"state\":\"ready\",\"message\":\"connecting to host...\","
	    "\"time\":1732525200.25}\n"
	    "{\"event\":\"host\",\"job\":\"p0000000000\",\"host\":\"h\\\"1\","
	    "\"state\":\"running\",\"message\":\"started\","
	    "\"time\":1732525200.25}\n"
	    "{\"event\":\"output\",\"job\":\"p0000000000\",\"host\":\"h\\\"1\","
	    "\"run\":0,\"type\":\"STDOUT\",\"data\":"
	    "\"a\\u0000b\\u001b[2J\\\"q\\\"\\\\\\t\xef\xbf\xbd\xc3\xa9\","
	    "\"time\":1732525200.25}\n"
	    "{\"event\":\"host\",\"job\":\"p0000000000\",\"host\":\"h\\\"1\","
	    "\"state\":\"failed\",\"message\":\"exited with status 7\","
	    "\"exitstatus\":7,\"time\":1732525200.25}\n"
	    "{\"event\":\"job\",\"job\":\"p0000000000\",\"state\":\"finished\","
	    "\"message\":\"no more hosts to run\",\"time\":1732525200.25}\n"
	    "{\"event\":\"summary\",\"hosts\":1,\"ok\":0,\"failed\":1,"
	    "\"unreachable\":0,\"deadlocked\":0,\"halted\":0,\"skipped\":0,"
	    "\"elapsed\":1.3,\"peak_in_flight\":3,\"peak_handshakes\":2,"
	    "\"exit\":1}\n");
	ASSERT_STR_EQ(
	    x.err, "1 host: 0 ok, 1 failed, 0 unreachable in 1.3 s\n");
	fx_free(&x);
}

TEST(show_output_writes_every_byte)
{
	static const char data[] = "x\0y\033z";
	static const char want[] = "a: Running target\n"
	                           "a: x\0y\033z\n"
	                           "a: Success\n";
	struct fx x;

	fx_init(&x, 1);
	x.opts.show_output = true;
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "a", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "a", POGO_HOST_RUNNING, "started", -1);
	fx_output(&x, "a", 0, data, sizeof(data) - 1, true);
	fx_entry(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_OK);
	ASSERT_EQ(x.out_len, sizeof(want) - 1);
	ASSERT_MEM_EQ(x.out, want, sizeof(want) - 1);
	fx_free(&x);
}

TEST(output_dir_files_per_run)
{
	char odir[128], p0[192], p1[192], p2[192];
	char *text;
	size_t len;
	struct fx x;

	fx_init(&x, 2);
	snprintf(odir, sizeof(odir), "%s/out", x.dir);
	ASSERT_OK(mkdir(odir, 0700));
	x.opts.output_dir = odir;
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "a", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "a", POGO_HOST_RUNNING, "started", -1);
	fx_output(&x, "a", 0, "one", 3, true);
	fx_output(&x, "a", 0, "tw\0", 3, false);
	fx_entry(&x, "a", POGO_HOST_FAILED, "exited with status 1", 1);
	/* A retry: a new run, a new file. */
	fx_entry(&x, "a", POGO_HOST_WAITING, "retry requested", -1);
	fx_entry(&x, "a", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "a", POGO_HOST_RUNNING, "started", -1);
	fx_output(&x, "a", 1, "again", 5, true);
	fx_entry(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	/* A name with a slash and a leading dot. */
	fx_entry(&x, ".x/y", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, ".x/y", POGO_HOST_RUNNING, "started", -1);
	fx_output(&x, ".x/y", 0, "z", 1, true);
	fx_entry(&x, ".x/y", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_OK);
	snprintf(p0, sizeof(p0), "%s/a.0.txt", odir);
	snprintf(p1, sizeof(p1), "%s/a.1.txt", odir);
	snprintf(p2, sizeof(p2), "%s/_x_y.0.txt", odir);
	text = fx_read(p0, &len);
	ASSERT_EQ(len, 7);
	ASSERT_MEM_EQ(text, "one\ntw\0", 7);
	free(text);
	text = fx_read(p1, NULL);
	ASSERT_STR_EQ(text, "again\n");
	free(text);
	text = fx_read(p2, NULL);
	ASSERT_STR_EQ(text, "z\n");
	free(text);
	unlink(p0);
	unlink(p1);
	unlink(p2);
	rmdir(odir);
	fx_free(&x);
}

TEST(an_output_file_that_cannot_be_written_fails_the_job)
{
	char odir[128];
	struct fx x;

	fx_init(&x, 1);
	/* The directory vanished after the checks. */
	snprintf(odir, sizeof(odir), "%s/gone", x.dir);
	x.opts.output_dir = odir;
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "a", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "a", POGO_HOST_RUNNING, "started", -1);
	fx_output(&x, "a", 0, "lost", 4, true);
	fx_entry(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out, "a: Running target\na: Success\n");
	ASSERT(strstr(x.err, "pogo one: ") == x.err);
	ASSERT(strstr(x.err, "/gone/a.0.txt: No such file or directory\n") !=
	    NULL);
	ASSERT(
	    strstr(x.err,
	        "\n1 host: 1 ok, 0 failed, 0 unreachable in 0.0 s\n") != NULL);
	fx_free(&x);
}

static void
progress_timeout_cb(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

TEST(progress_line_counts_and_clears)
{
	uv_timer_t tm;
	int fired = 0, k;
	struct fx x;

	fx_init(&x, 4);
	x.opts.progress = true;
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	fx_run(&x, "b", POGO_HOST_UNREACHABLE, "connection refused", -1);
	fx_entry(&x, "c", POGO_HOST_READY, "connecting to host...", -1);
	/* Wait for one tick of the progress timer (100 ms). */
	uv_timer_init(&x.loop, &tm);
	tm.data = &fired;
	uv_timer_start(&tm, progress_timeout_cb, 250, 0);
	for (k = 0; k < 100000 && !fired; k++)
		uv_run(&x.loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&tm, NULL);
	fx_entry(&x, "c", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	/* The line is drawn, redrawn, and cleared before the next entry. */
	ASSERT(
	    strncmp(x.err, "\r\033[K[2/4 done, 1 running, 1 waiting, 1 failed]",
	        46) == 0);
	ASSERT(strstr(x.err,
	           "1 failed]\r\033[K4 hosts: 2 ok, 0 failed, 1 unreachable "
	           "in 0.0 s\n") != NULL);
	ASSERT(strstr(x.out, "c: Success\n") != NULL);
	fx_free(&x);
}

TEST(a_slow_reader_pauses_the_source)
{
	struct fx x;
	char line[200], buf[65536];
	int fds[2], k;
	uint64_t t0;

	fx_init(&x, 1);
	ASSERT_OK(pipe(fds));
	x.opts.out_fd = fds[1];
	x.opts.show_output = true;
	x.opts.high = 100000;
	fx_start(&x);
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_entry(&x, "a", POGO_HOST_READY, "connecting to host...", -1);
	fx_entry(&x, "a", POGO_HOST_RUNNING, "started", -1);
	memset(line, 'x', sizeof(line));
	t0 = uv_hrtime();
	for (k = 0; k < 2000 && x.src.pauses == 0; k++) {
		fx_output(&x, "a", 0, line, sizeof(line), true);
		uv_run(&x.loop, UV_RUN_NOWAIT);
	}
	ASSERT_EQ(x.src.pauses, 1);
	ASSERT_EQ(x.src.resumes, 0);
	/* The reader catches up: the source resumes. */
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	for (k = 0; k < 100000 && x.src.resumes == 0; k++) {
		ASSERT(uv_hrtime() - t0 < 10000000000ULL);
		(void)!read(fds[0], buf, sizeof(buf));
		uv_run(&x.loop, UV_RUN_NOWAIT);
	}
	ASSERT_EQ(x.src.resumes, 1);
	fx_entry(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	/* Drain the rest while the follower closes. */
	pogo_follow_end(x.f);
	ASSERT_EQ(pogo_follow_finish(x.f, NULL), POGO_EXIT_OK);
	pogo_follow_close(x.f, fx_closed_cb, &x);
	for (k = 0; k < 100000 && x.closed == 0; k++) {
		ASSERT(uv_hrtime() - t0 < 10000000000ULL);
		(void)!read(fds[0], buf, sizeof(buf));
		uv_run(&x.loop, UV_RUN_NOWAIT);
	}
	ASSERT_EQ(x.closed, 1);
	/* After finish the source is not called any more. */
	ASSERT_EQ(x.src.pauses, 1);
	ASSERT_OK(pogo_proc_loop_close(&x.loop));
	close(fds[0]);
	close(fds[1]);
	fx_free(&x);
}

TEST(state_names_parse)
{
	int s = -1;

	ASSERT_OK(pogo_follow_state_parse("deadlocked", true, &s));
	ASSERT_EQ(s, POGO_HOST_DEADLOCKED);
	ASSERT_OK(pogo_follow_state_parse("waiting", true, &s));
	ASSERT_EQ(s, POGO_HOST_WAITING);
	ASSERT_OK(pogo_follow_state_parse("halted", false, &s));
	ASSERT_EQ(s, POGO_JOB_HALTED);
	ASSERT_OK(pogo_follow_state_parse("gathering", false, &s));
	ASSERT_EQ(s, POGO_JOB_GATHERING);
	ASSERT_EQ(
	    pogo_follow_state_parse("waiting", false, &s), POGO_ERR_NOTFOUND);
	ASSERT_EQ(
	    pogo_follow_state_parse("gathering", true, &s), POGO_ERR_NOTFOUND);
	ASSERT_EQ(pogo_follow_state_parse("", true, &s), POGO_ERR_NOTFOUND);
}

/* Feed one API log entry given as JSON text. */
static int
fx_json(struct fx *x, const char *text)
{
	struct pogo_json *doc = NULL;
	int r;

	ASSERT_OK(pogo_json_parse_object(text, strlen(text), &doc));
	r = pogo_follow_entry_json(x->f, doc);
	pogo_json_free(doc);
	return r;
}

TEST(api_log_entries_feed_the_follower)
{
	struct fx x;

	/* The entries of GET /v1/jobs/:jobid/log (SPEC 11.4). */
	fx_init(&x, 2);
	fx_start(&x);
	ASSERT_OK(fx_json(&x,
	    "{\"index\":0,\"time\":1732525200.1,\"type\":\"jobstate\","
	    "\"state\":\"gathering\",\"message\":\"job created; fetching "
	    "host info\",\"range\":[\"a\",\"b\"]}"));
	ASSERT_OK(fx_json(&x,
	    "{\"index\":1,\"time\":1732525200.1,\"type\":\"jobstate\","
	    "\"state\":\"running\",\"message\":\"constraints computed\"}"));
	ASSERT_OK(fx_json(&x,
	    "{\"index\":2,\"time\":1732525200.2,\"type\":\"hoststate\","
	    "\"state\":\"ready\",\"message\":\"connecting to host...\","
	    "\"host\":\"a\"}"));
	ASSERT_OK(fx_json(&x,
	    "{\"index\":3,\"time\":1732525200.3,\"type\":\"hoststate\","
	    "\"state\":\"running\",\"message\":\"started\",\"host\":\"a\","
	    "\"output\":\"/v1/jobs/p0000000000/hosts/a?run=0\"}"));
	ASSERT_OK(fx_json(&x,
	    "{\"index\":4,\"time\":1732525200.4,\"type\":\"hoststate\","
	    "\"state\":\"failed\",\"message\":\"exited with status 4\","
	    "\"host\":\"a\",\"output\":\"/v1/jobs/p0000000000/hosts/"
	    "a?run=0\",\"exitstatus\":4}"));
	/* The long poll's next page repeats an entry: ignored. */
	ASSERT_OK(fx_json(&x,
	    "{\"index\":4,\"time\":1732525200.4,\"type\":\"hoststate\","
	    "\"state\":\"failed\",\"message\":\"exited with status 4\","
	    "\"host\":\"a\",\"exitstatus\":4}"));
	/* Not entries: nothing printed, nothing counted. */
	ASSERT_EQ(fx_json(&x,
	              "{\"index\":5,\"time\":1.0,\"type\":\"hoststate\","
	              "\"state\":\"asleep\",\"message\":\"m\",\"host\":\"b\"}"),
	    POGO_ERR_JSON);
	ASSERT_EQ(fx_json(&x,
	              "{\"time\":1.0,\"type\":\"hoststate\",\"state\":"
	              "\"finished\",\"message\":\"ok\",\"host\":\"b\"}"),
	    POGO_ERR_JSON);
	ASSERT_EQ(fx_json(&x,
	              "{\"index\":5,\"time\":1.0,\"type\":\"hoststate\","
	              "\"state\":\"finished\",\"message\":\"ok\"}"),
	    POGO_ERR_JSON);
	ASSERT_EQ(fx_json(&x,
	              "{\"index\":5,\"time\":1.0,\"type\":\"jobstate\","
	              "\"state\":\"waiting\",\"message\":\"m\"}"),
	    POGO_ERR_JSON);
	ASSERT_EQ(fx_json(&x,
	              "{\"index\":5,\"time\":\"now\",\"type\":\"jobstate\","
	              "\"state\":\"finished\",\"message\":\"m\"}"),
	    POGO_ERR_JSON);
	ASSERT_EQ(pogo_follow_count(x.f, POGO_HOST_FAILED), 1);
	ASSERT_EQ(pogo_follow_count(x.f, POGO_HOST_WAITING), 1);
	ASSERT_OK(fx_json(&x,
	    "{\"index\":5,\"time\":1732525200.5,\"type\":\"hoststate\","
	    "\"state\":\"unreachable\",\"message\":\"connection timed out\","
	    "\"host\":\"b\"}"));
	ASSERT_OK(fx_json(&x,
	    "{\"index\":6,\"time\":1732525200.6,\"type\":\"jobstate\","
	    "\"state\":\"finished\",\"message\":\"no more hosts to run\"}"));
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_FAIL);
	ASSERT_STR_EQ(x.out,
	    "a: Running target\n"
	    "a: Failed (rc=4)\n"
	    "b: Unreachable (connection timed out)\n");
	ASSERT_STR_EQ(
	    x.err, "2 hosts: 0 ok, 1 failed, 1 unreachable in 0.0 s\n");
	fx_free(&x);
}

TEST(api_log_entries_as_json_events)
{
	struct fx x;

	fx_init(&x, 1);
	x.opts.json = true;
	fx_start(&x);
	ASSERT_OK(fx_json(&x,
	    "{\"index\":7,\"time\":1732525200.5,\"type\":\"hoststate\","
	    "\"state\":\"finished\",\"message\":\"ok\",\"host\":\"a\","
	    "\"output\":\"/v1/jobs/p0000000000/hosts/a?run=2\","
	    "\"exitstatus\":0}"));
	ASSERT_OK(fx_json(&x,
	    "{\"index\":8,\"time\":1732525200.5,\"type\":\"jobstate\","
	    "\"state\":\"finished\",\"message\":\"no more hosts to run\"}"));
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_OK);
	ASSERT_STR_EQ(x.out,
	    "{\"event\":\"host\",\"job\":\"p0000000000\",\"host\":\"a\","
	    "\"state\":\"finished\",\"message\":\"ok\",\"exitstatus\":0,"
	    "\"time\":1732525200.5}\n"
	    "{\"event\":\"job\",\"job\":\"p0000000000\",\"state\":\"finished\","
	    "\"message\":\"no more hosts to run\",\"time\":1732525200.5}\n"
	    "{\"event\":\"summary\",\"hosts\":1,\"ok\":1,\"failed\":0,"
	    "\"unreachable\":0,\"deadlocked\":0,\"halted\":0,\"skipped\":0,"
	    "\"elapsed\":0,\"peak_in_flight\":0,\"peak_handshakes\":0,"
	    "\"exit\":0}\n");
	fx_free(&x);
}

TEST(an_entry_with_an_unknown_state_is_ignored)
{
	struct fx x;
	struct pogo_follow_entry e;

	fx_init(&x, 1);
	fx_start(&x);
	memset(&e, 0, sizeof(e));
	e.host = "a";
	e.state = POGO_HOST_NSTATES;
	e.message = "?";
	e.exitstatus = -1;
	pogo_follow_entry(x.f, &e);
	e.host = NULL;
	e.state = POGO_JOB_HALTED + 1;
	pogo_follow_entry(x.f, &e);
	ASSERT_EQ(pogo_follow_count(x.f, POGO_HOST_WAITING), 1);
	/* Index 0 is still to come. */
	fx_entry(&x, NULL, POGO_JOB_RUNNING, "constraints computed", -1);
	fx_run(&x, "a", POGO_HOST_FINISHED, "ok", 0);
	fx_entry(&x, NULL, POGO_JOB_FINISHED, "no more hosts to run", -1);
	ASSERT_EQ(fx_end(&x, NULL), POGO_EXIT_OK);
	ASSERT_STR_EQ(x.out, "a: Running target\na: Success\n");
	fx_free(&x);
}
