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
#include "pogo/store.h"
#include "pogo/str.h"
#include "pogo/tail.h"
#include "pogo/worker.h"
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
	struct pogo_cfg *cfg;
	uv_loop_t loop;
	struct pogo_pair *p;
	struct pogo_dispatcher *d;
	struct pogo_follow *f;
	char dir[64], out_path[128], err_path[128];
	int out_fd, err_fd;
	char *out, *err; /* what the follower wrote, once closed */
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
	/* The waiting uv_run returns without polling (end_cb). */
	uv_stop(&t->loop);
}

/*
 * The tests wait for ends with uv_run(UV_RUN_ONCE), whose poll comes
 * after the timers that run this: without uv_stop it waited for the next
 * event, often the worker's 30 s heartbeat.
 */
static void
end_cb(struct pogo_tail *tail, void *arg)
{
	struct tt *t = arg;

	t->ends++;
	uv_stop(&t->loop);
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

/*
 * A pair with max_tasks on its own loop, a job of fields submitted to it
 * and answered, followed (nhosts) into the files of a new directory.
 */
static void
tt_start(struct tt *t, unsigned max_tasks,
    const struct pogo_dispatcher_field *fields, size_t nfields, uint32_t nhosts,
    bool show_output, const char *output_dir)
{
	struct pogo_follow_opts fo;
	struct pogo_worker_opts wo;
	char *cause = NULL, *msg = NULL;
	int i;

	memset(t, 0, sizeof(*t));
	t->cfg = test_cfg(max_tasks);
	pogo_log_level = POGO_LOG_WARN;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test-tail.XXXXXX");
	ASSERT(mkdtemp(t->dir) != NULL);
	snprintf(t->out_path, sizeof(t->out_path), "%s/stdout", t->dir);
	snprintf(t->err_path, sizeof(t->err_path), "%s/stderr", t->dir);
	t->out_fd = open(t->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	t->err_fd = open(t->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT(t->out_fd >= 0 && t->err_fd >= 0);

	ASSERT_OK(uv_loop_init(&t->loop));
	/* As pogo one links its worker: unpaced, nothing dropped. */
	memset(&wo, 0, sizeof(wo));
	wo.output_unpaced = true;
	ASSERT_OK(pogo_pair_start(&t->loop, t->cfg, &wo, "one", &t->p, &cause));
	t->d = pogo_pair_dispatcher(t->p);
	ASSERT_OK(pogo_dispatcher_submit(
	    t->d, fields, nfields, "test", submitted_cb, t, &msg));
	for (i = 0; i < 100000 && t->answers == 0; i++)
		uv_run(&t->loop, UV_RUN_ONCE);

	memset(&fo, 0, sizeof(fo));
	fo.prog = "pogo one";
	fo.job = t->jobid;
	fo.nhosts = nhosts;
	fo.out_fd = t->out_fd;
	fo.err_fd = t->err_fd;
	fo.show_output = show_output;
	fo.output_dir = output_dir;
	fo.high = 4 * 1024 * 1024;
	t->f = pogo_follow_new(&t->loop, &fo, &src_ops, t);
	ASSERT_OK(
	    pogo_tail_start(&t->loop, t->d, 0, t->f, 0, end_cb, t, &t->tail));
	pogo_follow_start(t->f);
}

/* Close the tail, the follower and the pair; read what was written. */
static void
tt_close(struct tt *t)
{
	pogo_tail_close(t->tail, closed_cb, t);
	pogo_follow_close(t->f, closed_cb, t);
	pogo_pair_stop(t->p, pair_closed_cb, t);
	ASSERT_OK(uv_run(&t->loop, UV_RUN_DEFAULT));
	ASSERT_EQ(t->closed, 3);
	ASSERT_OK(uv_loop_close(&t->loop));
	t->out = slurp(t->out_path);
	t->err = slurp(t->err_path);
}

static void
tt_free(struct tt *t)
{
	free(t->out);
	free(t->err);
	unlink(t->out_path);
	unlink(t->err_path);
	rmdir(t->dir);
	pogo_cfg_free(t->cfg);
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
	struct tt t;
	char line[128], *out, *err;
	long a, b, c, z;
	uint64_t start;
	int i, exitcode;

	tt_start(&t, 2, fields, POGO_NELEM(fields), 3, true, NULL);
	ASSERT_STR_EQ(t.jobid, "p0000000000");

	/* Paused, nothing is fed: every host stays waiting. */
	pogo_tail_pause(t.tail, true);
	for (i = 0; i < 200; i++)
		uv_run(&t.loop, UV_RUN_NOWAIT);
	ASSERT_EQ(pogo_follow_count(t.f, POGO_HOST_WAITING), 3);
	pogo_tail_pause(t.tail, false);

	/*
	 * The end is seen as soon as it comes: a loop turn that tells it
	 * does not then wait in its poll for the next timer, the worker's
	 * 30 s heartbeat (it did in about half the runs: end_cb runs from
	 * the tail's timer, before the poll of the same uv_run).
	 */
	start = uv_hrtime();
	for (i = 0; i < 1000000 && t.ends == 0; i++)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT_EQ(t.ends, 1);
	ASSERT_LT((uv_hrtime() - start) / 1000000, 10000);
	ASSERT_EQ(pogo_follow_count(t.f, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_follow_count(t.f, POGO_HOST_FAILED), 1);
	exitcode = pogo_follow_finish(t.f, NULL);
	ASSERT_EQ(exitcode, 1);
	tt_close(&t);
	ASSERT_EQ(t.ends, 1);

	out = t.out;
	err = t.err;
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
	tt_free(&t);
}

TEST(ctrl_c_halts_the_job_then_kills_its_running_task)
{
	static const struct pogo_dispatcher_field fields[] = {
		{ "range", "h1,h2,h3,h4" },
		{ "command", "sleep 30" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	struct pogo_follow *f;
	struct tt t;
	char *out, *err;
	uint64_t start;
	int i;

	tt_start(&t, 1, fields, POGO_NELEM(fields), 4, false, NULL);
	f = t.f;

	/* One host runs (max_tasks 1): the first Ctrl-C halts the job. */
	for (i = 0; i < 1000000 && pogo_follow_count(f, POGO_HOST_RUNNING) == 0;
	     i++)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_RUNNING), 1);
	pogo_follow_interrupt(f);
	ASSERT_EQ(t.halts, 1);
	for (i = 0; i < 1000000 && pogo_follow_count(f, POGO_HOST_HALTED) < 3;
	     i++)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_HALTED), 3);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_RUNNING), 1);
	ASSERT_EQ(t.ends, 0); /* the running host is awaited */

	/* The second kills it, long before its 30 s. */
	start = uv_now(&t.loop);
	pogo_follow_interrupt(f);
	ASSERT_EQ(t.stops, 1);
	for (i = 0; i < 1000000 && t.ends == 0; i++)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT_EQ(t.ends, 1);
	uv_update_time(&t.loop);
	ASSERT_LT(uv_now(&t.loop) - start, 20000);
	ASSERT_EQ(pogo_follow_count(f, POGO_HOST_FAILED), 1);
	ASSERT_EQ(pogo_follow_finish(f, NULL), 1);
	tt_close(&t);

	out = t.out;
	err = t.err;
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
	tt_free(&t);
}

/*
 * Issue 9: a record without its newline (SPEC 5.8: a partial last line,
 * or a partial line sent after 0.5 s) comes from the worker through the
 * wire and the store to the --output-dir file without one: the files
 * hold exactly the bytes the command printed.
 */
TEST(output_dir_files_hold_exact_bytes)
{
	static const struct pogo_dispatcher_field fields[] = {
		{ "range", "h1,h2" },
		{ "command",
		    "if [ \"$POGO_HOST\" = h1 ]; then printf 'one\\ntwo'; "
		    "else printf 'wait'; sleep 1; echo ed; printf 'x'; fi" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	char dir[] = "/tmp/test-tail-out.XXXXXX", path[128], *text;
	struct tt t;
	int i;

	ASSERT(mkdtemp(dir) != NULL);
	tt_start(&t, 2, fields, POGO_NELEM(fields), 2, false, dir);
	for (i = 0; i < 1000000 && t.ends == 0; i++)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT_EQ(t.ends, 1);
	ASSERT_EQ(pogo_follow_count(t.f, POGO_HOST_FINISHED), 2);
	ASSERT_EQ(pogo_follow_finish(t.f, NULL), 0);
	tt_close(&t);

	snprintf(path, sizeof(path), "%s/h1.0.txt", dir);
	text = slurp(path);
	ASSERT_STR_EQ(text, "one\ntwo");
	free(text);
	unlink(path);
	/* "wait" left alone after 0.5 s, then "ed" ended its line. */
	snprintf(path, sizeof(path), "%s/h2.0.txt", dir);
	text = slurp(path);
	ASSERT_STR_EQ(text, "waited\nx");
	free(text);
	unlink(path);
	ASSERT_OK(rmdir(dir));
	tt_free(&t);
}

/*
 * Each run's records reach its --output-dir file, many hosts in flight:
 * the follower opens the file at the run's `running` entry, and the tail
 * read the output of runs it had seen `ready` only (entries are read
 * after their commit, output records before theirs), so most files of
 * t1004's 3,000 hosts through the pair stayed empty.
 */
TEST(output_dir_many_hosts_each_file_has_its_output)
{
	static const struct pogo_dispatcher_field fields[] = {
		{ "range", "h[1-300]" },
		{ "command", "echo \"out $POGO_HOST\"" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	char dir[] = "/tmp/test-tail-many.XXXXXX", path[128], want[32];
	char *text;
	struct tt t;
	int i, bad = 0;

	ASSERT(mkdtemp(dir) != NULL);
	tt_start(&t, 64, fields, POGO_NELEM(fields), 300, false, dir);
	for (i = 0; i < 10000000 && t.ends == 0; i++)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT_EQ(t.ends, 1);
	ASSERT_EQ(pogo_follow_count(t.f, POGO_HOST_FINISHED), 300);
	ASSERT_EQ(pogo_follow_finish(t.f, NULL), 0);
	tt_close(&t);
	for (i = 1; i <= 300; i++) {
		snprintf(path, sizeof(path), "%s/h%d.0.txt", dir, i);
		snprintf(want, sizeof(want), "out h%d\n", i);
		text = slurp(path);
		if (strcmp(text, want) != 0)
			bad++;
		free(text);
		unlink(path);
	}
	ASSERT_EQ(bad, 0);
	ASSERT_OK(rmdir(dir));
	tt_free(&t);
}

static int
count_record(const struct pogo_store_output *o, void *arg)
{
	(*(uint64_t *)arg)++;
	return 0;
}

/* Output records of host 0 of job 0 left in the store, over its runs. */
static uint64_t
stored_records(struct tt *t)
{
	struct pogo_store *st = pogo_dispatcher_store(t->d);
	uint64_t n = 0;
	uint32_t run;

	for (run = 0; run < 4; run++)
		ASSERT_OK(
		    pogo_store_output(st, 0, 0, run, 0, 0, count_record, &n));
	return n;
}

/*
 * pogo one's in-memory store holds the output not read yet, not all of it
 * (issue 9: a background `yes` grew it to 152 MB in t4022): with forget,
 * the records fed are deleted; every line still arrives, in order.
 * Without forget (the default, a follower that is not the only reader),
 * the store keeps them.
 */
TEST(forget_deletes_the_output_read)
{
	static const struct pogo_dispatcher_field fields[] = {
		{ "range", "h1" },
		{ "command", "seq 1 20000" },
		{ "user", "u" },
		{ "task_name", "local" },
	};
	struct tt t;
	uint64_t most = 0, n;
	int i, k;
	bool forget;

	for (k = 0; k < 2; k++) {
		forget = k == 0;
		tt_start(&t, 1, fields, POGO_NELEM(fields), 1, true, NULL);
		pogo_tail_forget(t.tail, forget);
		for (i = 0; i < 1000000 && t.ends == 0; i++) {
			uv_run(&t.loop, UV_RUN_ONCE);
			if ((n = stored_records(&t)) > most)
				most = n;
		}
		ASSERT_EQ(t.ends, 1);
		n = stored_records(&t);
		if (forget)
			ASSERT_EQ(n, 0);
		else
			ASSERT_LE(20000, n);
		ASSERT_EQ(pogo_follow_finish(t.f, NULL), 0);
		tt_close(&t);
		ASSERT(line_at(t.out, "h1: 1") >= 0);
		ASSERT(line_at(t.out, "h1: 1") < line_at(t.out, "h1: 20000"));
		ASSERT(line_at(t.out, "h1: 20000") <
		    line_at(t.out, "h1: Success"));
		tt_free(&t);
	}
}
