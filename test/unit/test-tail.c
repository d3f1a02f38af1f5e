/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/tail.c: a job run by a dispatcher and a worker in one
 * process (pair.h), followed from the store into a follower (follow.h)
 * writing to files, as pogo one will print it: every host's lines in
 * order (Running target, its output, its final line), the summary line
 * and the exit status; a paused tail feeds nothing until resumed.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/cfg.h"
#include "pogo/dispatcher.h"
#include "pogo/follow.h"
#include "pogo/job.h"
#include "pogo/log.h"
#include "pogo/pair.h"
#include "pogo/str.h"
#include "pogo/tail.h"
#include "pogo/xmalloc.h"

static struct pogo_cfg *
test_cfg(unsigned max_tasks)
{
	struct pogo_cfg_src src = { .home = "/nonexistent",
		.hostname = "test" };
	struct pogo_cfg *cfg = NULL;
	char *text, *cause = NULL;

	xasprintf(&text,
	    "dispatcher:\n"
	    "  control_listen: 127.0.0.1:0\n"
	    "  worker_listen: 127.0.0.1:0\n"
	    "worker:\n"
	    "  name: one\n"
	    "  max_tasks: %u\n"
	    "  reconnect_delay: 0\n",
	    max_tasks);
	if (pogo_cfg_load_text(
	        text, strlen(text), "test", &src, &cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "cfg: %s", cause);
	free(text);
	free(cfg->state_dir);
	cfg->state_dir = xstrdup("");
	return cfg;
}

struct tt {
	struct pogo_dispatcher *d;
	struct pogo_tail *tail;
	int halts;
	int stops;
	int answers;
	char jobid[32];
	int ends;
	bool paused_seen;
	int closed;
};

static void
submitted_cb(
    struct pogo_dispatcher *d, int status, const char *jobid, void *arg)
{
	struct tt *t = arg;

	ASSERT_OK(status);
	t->answers++;
	snprintf(t->jobid, sizeof(t->jobid), "%s", jobid);
}

static void
end_cb(struct pogo_tail *tail, void *arg)
{
	((struct tt *)arg)->ends++;
}

/* pogo one's Ctrl-C: halt the job, then kill its running tasks. */
static void
src_halt(void *arg)
{
	struct tt *t = arg;

	t->halts++;
	ASSERT_OK(pogo_dispatcher_job_halt(t->d, 0, "halted by user"));
}

static void
src_stop(void *arg)
{
	struct tt *t = arg;

	t->stops++;
	ASSERT_OK(pogo_dispatcher_job_kill(t->d, 0));
}

static void
src_pause(bool pause, void *arg)
{
	struct tt *t = arg;

	pogo_tail_pause(t->tail, pause);
}

static const struct pogo_follow_source src_ops = { src_halt, src_stop,
	src_pause };

static void
closed_cb(void *arg)
{
	((struct tt *)arg)->closed++;
}

static void
pair_closed_cb(int status, void *arg)
{
	ASSERT_OK(status);
	((struct tt *)arg)->closed++;
}

/* Where line is in text, or -1. */
static long
line_at(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return p - text;
	return -1;
}

static char *
slurp(const char *path)
{
	char *text = NULL;
	size_t len;

	ASSERT_OK(pogo_str_read_file(path, 1 << 20, &text, &len));
	return text;
}

TEST(a_job_followed_from_the_store)
{
	static const struct pogo_dispatcher_field fields[] = {
		{ "range", "h1,h2,h3" },
		{ "command",
		    "echo \"out of $POGO_HOST\"; echo second; "
		    "test \"$POGO_HOST\" != h2" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	static const char *const hosts[] = { "h1", "h2", "h3" };
	static const char *const last[] = { "Success", "Failed (rc=1)",
		"Success" };
	struct pogo_cfg *cfg = test_cfg(2);
	struct pogo_follow_opts fo;
	struct pogo_follow *f;
	struct pogo_pair *p = NULL;
	struct tt t;
	uv_loop_t loop;
	char dir[64], out_path[128], err_path[128], line[128];
	char *cause = NULL, *msg = NULL, *out, *err;
	long a, b, c, z;
	int i, out_fd, err_fd, exitcode;

	memset(&t, 0, sizeof(t));
	pogo_log_level = POGO_LOG_WARN;
	snprintf(dir, sizeof(dir), "/tmp/test-tail.XXXXXX");
	ASSERT(mkdtemp(dir) != NULL);
	snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
	out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT(out_fd >= 0 && err_fd >= 0);

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_pair_start(&loop, cfg, NULL, "one", &p, &cause));
	t.d = pogo_pair_dispatcher(p);
	ASSERT_OK(pogo_dispatcher_submit(pogo_pair_dispatcher(p), fields,
	    POGO_NELEM(fields), "test", submitted_cb, &t, &msg));
	for (i = 0; i < 100000 && t.answers == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_STR_EQ(t.jobid, "p0000000000");

	memset(&fo, 0, sizeof(fo));
	fo.prog = "pogo one";
	fo.job = t.jobid;
	fo.nhosts = 3;
	fo.out_fd = out_fd;
	fo.err_fd = err_fd;
	fo.show_output = true;
	fo.high = 4 * 1024 * 1024;
	f = pogo_follow_new(&loop, &fo, &src_ops, &t);
	ASSERT_OK(pogo_tail_start(
	    &loop, pogo_pair_dispatcher(p), 0, f, 0, end_cb, &t, &t.tail));
	pogo_follow_start(f);

	/* Paused, nothing is fed: every host stays waiting. */
	pogo_tail_pause(t.tail, true);
	for (i = 0; i < 200; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_WAITING), 3);
	pogo_tail_pause(t.tail, false);

	for (i = 0; i < 1000000 && t.ends == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(t.ends, 1);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_FAILED), 1);
	exitcode = pogo_follow_finish(f, NULL);
	ASSERT_EQ(exitcode, 1);
	pogo_tail_close(t.tail, closed_cb, &t);
	pogo_follow_close(f, closed_cb, &t);
	pogo_pair_stop(p, pair_closed_cb, &t);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT_EQ(t.closed, 3);
	ASSERT_EQ(t.ends, 1);
	ASSERT_OK(uv_loop_close(&loop));

	out = slurp(out_path);
	err = slurp(err_path);
	for (i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "%s: Running target", hosts[i]);
		a = line_at(out, line);
		snprintf(
		    line, sizeof(line), "%s: out of %s", hosts[i], hosts[i]);
		b = line_at(out, line);
		snprintf(line, sizeof(line), "%s: second", hosts[i]);
		c = line_at(out, line);
		snprintf(line, sizeof(line), "%s: %s", hosts[i], last[i]);
		z = line_at(out, line);
		ASSERT(a >= 0 && a < b && b < c && c < z);
	}
	/* Four lines a host, nothing else. */
	for (i = 0, a = 0; out[a] != '\0'; a++)
		i += out[a] == '\n';
	ASSERT_EQ(i, 12);
	ASSERT(strncmp(err, "3 hosts: 2 ok, 1 failed, 0 unreachable in ",
	           strlen("3 hosts: 2 ok, 1 failed, 0 unreachable in ")) == 0);
	free(out);
	free(err);
	unlink(out_path);
	unlink(err_path);
	rmdir(dir);
	pogo_cfg_free(cfg);
}

TEST(ctrl_c_halts_the_job_then_kills_its_running_task)
{
	static const struct pogo_dispatcher_field fields[] = {
		{ "range", "h1,h2,h3,h4" },
		{ "command", "sleep 30" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	struct pogo_cfg *cfg = test_cfg(1);
	struct pogo_follow_opts fo;
	struct pogo_follow *f;
	struct pogo_pair *p = NULL;
	struct tt t;
	uv_loop_t loop;
	char dir[64], out_path[128], err_path[128];
	char *cause = NULL, *msg = NULL, *out, *err;
	uint64_t start;
	int i, out_fd, err_fd;

	memset(&t, 0, sizeof(t));
	pogo_log_level = POGO_LOG_WARN;
	snprintf(dir, sizeof(dir), "/tmp/test-tail.XXXXXX");
	ASSERT(mkdtemp(dir) != NULL);
	snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
	snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
	out_fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err_fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT(out_fd >= 0 && err_fd >= 0);

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_pair_start(&loop, cfg, NULL, "one", &p, &cause));
	t.d = pogo_pair_dispatcher(p);
	ASSERT_OK(pogo_dispatcher_submit(
	    t.d, fields, POGO_NELEM(fields), "test", submitted_cb, &t, &msg));
	for (i = 0; i < 100000 && t.answers == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	memset(&fo, 0, sizeof(fo));
	fo.prog = "pogo one";
	fo.job = t.jobid;
	fo.nhosts = 4;
	fo.out_fd = out_fd;
	fo.err_fd = err_fd;
	fo.high = 4 * 1024 * 1024;
	f = pogo_follow_new(&loop, &fo, &src_ops, &t);
	ASSERT_OK(pogo_tail_start(&loop, t.d, 0, f, 0, end_cb, &t, &t.tail));
	pogo_follow_start(f);

	/* One host runs (max_tasks 1): the first Ctrl-C halts the job. */
	for (i = 0; i < 1000000 && pogo_follow_count(f, POGO_HOST_RUNNING) == 0;
	     i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_RUNNING), 1);
	pogo_follow_interrupt(f);
	ASSERT_EQ(t.halts, 1);
	for (i = 0; i < 1000000 && pogo_follow_count(f, POGO_HOST_HALTED) < 3;
	     i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_HALTED), 3);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_RUNNING), 1);
	ASSERT_EQ(t.ends, 0); /* the running host is awaited */

	/* The second kills it, long before its 30 s. */
	start = uv_now(&loop);
	pogo_follow_interrupt(f);
	ASSERT_EQ(t.stops, 1);
	for (i = 0; i < 1000000 && t.ends == 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	ASSERT_EQ(t.ends, 1);
	uv_update_time(&loop);
	ASSERT_LT(uv_now(&loop) - start, 20000);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_FAILED), 1);
	ASSERT_EQ(pogo_follow_finish(f, NULL), 1);
	pogo_tail_close(t.tail, closed_cb, &t);
	pogo_follow_close(f, closed_cb, &t);
	pogo_pair_stop(p, pair_closed_cb, &t);
	ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
	ASSERT_EQ(t.closed, 3);
	ASSERT_OK(uv_loop_close(&loop));

	out = slurp(out_path);
	err = slurp(err_path);
	ASSERT(line_at(out, "h1: Running target") >= 0);
	ASSERT(line_at(out, "h1: Failed (killed)") >
	    line_at(out, "h1: Running target"));
	for (i = 2; i <= 4; i++) {
		char line[32];

		snprintf(line, sizeof(line), "h%d: Halted", i);
		ASSERT(line_at(out, line) >= 0);
	}
	ASSERT(
	    strncmp(err, "4 hosts: 0 ok, 1 failed, 0 unreachable, 3 halted in ",
	        strlen("4 hosts: 0 ok, 1 failed, 0 unreachable, 3 "
	               "halted in ")) == 0);
	free(out);
	free(err);
	unlink(out_path);
	unlink(err_path);
	rmdir(dir);
	pogo_cfg_free(cfg);
}
