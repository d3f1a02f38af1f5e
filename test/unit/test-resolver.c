/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/resolver.c on a real loop: output parsing, arguments,
 * path order, exit status, the time limit (the child is killed), and that
 * the callback comes once, later, and the loop closes cleanly.
 */
#include "pogo/compat.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/proc.h"
#include "pogo/resolver.h"
#include "pogo/sched-config.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

static int done_calls;

static void
done_cb(struct pogo_resolver *res, int status, void *arg)
{
	done_calls++;
	*(int *)arg = status;
}

static char tmpdir[64];

static void
script(const char *dir, const char *name, const char *body)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(dir, 0755);
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	ASSERT_OK(chmod(path, 0755));
}

/* Parse yaml, resolve on a loop with path, build; returns the cause. */
static char *
resolve(const char *yaml, const char *path, uint64_t timeout_ms,
    struct pogo_sched_config **cfgp)
{
	uv_loop_t loop;
	char *cause = NULL;
	int status = -1;

	ASSERT_OK(pogo_sched_config_parse(yaml, strlen(yaml), cfgp, &cause));
	ASSERT_OK(pogo_proc_loop_init(&loop));
	done_calls = 0;
	ASSERT_OK(pogo_resolver_run(
	    &loop, *cfgp, path, timeout_ms, done_cb, &status));
	ASSERT_EQ(done_calls, 0); /* never from inside the call */
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(done_calls, 1);
	ASSERT_EQ(status, 0);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	if (pogo_sched_config_build(*cfgp, &cause) == 0)
		return NULL;
	return cause;
}

/* The whole of a small file, NUL-terminated. */
static char *
slurp_file(const char *path)
{
	char *buf = xcalloc(1, 65536);
	FILE *f = fopen(path, "r");

	ASSERT(f != NULL);
	(void)!fread(buf, 1, 65535, f);
	fclose(f);
	return buf;
}

/* Remove the scripts and their directories. */
static void
cleanup(void)
{
	static const char *files[] = { "a/Ex", "b/Ex", "b/Fail", "b/Slow",
		"b/Bg", "b/Nul", "c/Peak", "c/Log", "peaks", "starts", "pids",
		"a", "b", "c", "run", "" };
	char p[256];
	size_t i;

	for (i = 0; i < POGO_NELEM(files); i++) {
		snprintf(p, sizeof(p), "%s/%s", tmpdir, files[i]);
		if (unlink(p) != 0)
			rmdir(p);
	}
}

static void
setup(void)
{
	char d[128], body[512];

	if (tmpdir[0] != '\0')
		return;
	atexit(cleanup);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pogo-resolver-XXXXXX");
	ASSERT(mkdtemp(tmpdir) != NULL);
	snprintf(d, sizeof(d), "%s/a", tmpdir);
	script(d, "Ex", "printf '%s\\n' \"# c\" '' \"$@\" ' spaced '");
	snprintf(d, sizeof(d), "%s/b", tmpdir);
	script(d, "Ex", "echo from-b");
	script(d, "Fail", "exit 3");
	script(d, "Slow", "exec sleep 30");
	script(d, "Nul", "printf 'a\\000b\\nc\\n'");
	/* A child that keeps the pipe open after the resolver is killed. */
	snprintf(body, sizeof(body),
	    "sleep 30 & echo $! >%s/pids; echo $$ >>%s/pids; wait", tmpdir,
	    tmpdir);
	script(d, "Bg", body);
	/*
	 * Counts the Peak resolvers running (a file each in run/), waits
	 * (at most 2 s) for the limit's worth, and writes the counts it saw.
	 */
	snprintf(d, sizeof(d), "%s/c", tmpdir);
	snprintf(body, sizeof(body),
	    "cd %s && : >run/$$ && i=0 && "
	    "while [ $(ls run | wc -l) -lt %d ] && [ $i -lt 40 ]; do "
	    "sleep 0.05; i=$((i + 1)); done; "
	    "ls run | wc -l >>peaks; rm run/$$; echo \"h-$1\"",
	    tmpdir, POGO_RESOLVER_MAX_RUNNING);
	script(d, "Peak", body);
	/* Writes its argument to starts/, then takes 0.1 s. */
	snprintf(body, sizeof(body),
	    "echo \"$1\" >>%s/starts; sleep 0.1; echo \"h-$1\"", tmpdir);
	script(d, "Log", body);
	snprintf(d, sizeof(d), "%s/run", tmpdir);
	mkdir(d, 0755);
}

TEST(output_and_arguments)
{
	struct pogo_sched_config *cfg = NULL;
	char path[256], *cause;
	const uint32_t *v;
	size_t n;

	setup();
	snprintf(path, sizeof(path), "%s/a:%s/b", tmpdir, tmpdir);
	cause = resolve("tag:\nsequence: [\"Ex  one\ttwo\"]\n", path, 0, &cfg);
	ASSERT_NULL(cause);
	v = pogo_sched_config_slot_hosts(cfg, 0, 0, &n);
	ASSERT_EQ(n, 3);
	ASSERT_STR_EQ(
	    pogo_strtab_get(pogo_sched_config_hosts(cfg), v[0]), "one");
	ASSERT_STR_EQ(
	    pogo_strtab_get(pogo_sched_config_hosts(cfg), v[1]), "two");
	ASSERT_STR_EQ(
	    pogo_strtab_get(pogo_sched_config_hosts(cfg), v[2]), "spaced");
	pogo_sched_config_free(cfg);
}

/*
 * However many references, and however many runs at once (a dispatcher
 * resolves every submitted job's configuration), at most
 * POGO_RESOLVER_MAX_RUNNING resolvers run at once, and that many do.
 */
TEST(resolvers_at_once_are_bounded)
{
	struct pogo_sched_config *cfg[2] = { NULL, NULL };
	char path[256], yaml[2][2048], *cause = NULL, *peaks, *line, *end;
	long v;
	int status[2] = { -1, -1 }, i, k, peak = 0, n = 0;
	size_t len;
	uv_loop_t loop;

	setup();
	snprintf(path, sizeof(path), "%s/c", tmpdir);
	for (k = 0; k < 2; k++) {
		len = (size_t)snprintf(
		    yaml[k], sizeof(yaml[k]), "tag:\nsequence: [");
		for (i = 0; i < 30; i++)
			len += (size_t)snprintf(yaml[k] + len,
			    sizeof(yaml[k]) - len, "%s\"Peak r%d-%d\"",
			    i ? ", " : "", k, i);
		snprintf(yaml[k] + len, sizeof(yaml[k]) - len, "]\n");
		ASSERT_OK(pogo_sched_config_parse(
		    yaml[k], strlen(yaml[k]), &cfg[k], &cause));
	}
	ASSERT_OK(pogo_proc_loop_init(&loop));
	done_calls = 0;
	for (k = 0; k < 2; k++)
		ASSERT_OK(pogo_resolver_run(
		    &loop, cfg[k], path, 0, done_cb, &status[k]));
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(done_calls, 2);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(status[k], 0);
		ASSERT_OK(pogo_sched_config_build(cfg[k], &cause));
		pogo_sched_config_free(cfg[k]);
	}
	snprintf(path, sizeof(path), "%s/peaks", tmpdir);
	peaks = slurp_file(path);
	for (line = peaks; *line != '\0'; line = end) {
		v = strtol(line, &end, 10);
		ASSERT(end != line);
		while (*end == ' ' || *end == '\n')
			end++;
		n++;
		if (v > peak)
			peak = (int)v;
	}
	free(peaks);
	ASSERT_EQ(n, 60);
	ASSERT_EQ(peak, POGO_RESOLVER_MAX_RUNNING);
}

/*
 * Runs that wait are served one resolver each in turn, not in order: a
 * one-reference job that comes after a 100-reference one starts among
 * the first free slots, not after the 100 (a dispatcher resolves every
 * user's jobs).
 */
TEST(waiting_runs_take_turns)
{
	struct pogo_sched_config *big = NULL, *small = NULL;
	char path[256], yaml[4096], *cause = NULL, *starts, *line, *nl;
	int status[2] = { -1, -1 }, i, pos = 0, at = 0;
	size_t len;
	uv_loop_t loop;

	setup();
	snprintf(path, sizeof(path), "%s/c", tmpdir);
	len = (size_t)snprintf(yaml, sizeof(yaml), "tag:\nsequence: [");
	for (i = 0; i < 100; i++)
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len,
		    "%s\"Log big%d\"", i ? ", " : "", i);
	snprintf(yaml + len, sizeof(yaml) - len, "]\n");
	ASSERT_OK(pogo_sched_config_parse(yaml, strlen(yaml), &big, &cause));
	ASSERT_OK(pogo_sched_config_parse("tag:\nsequence: [\"Log small\"]\n",
	    strlen("tag:\nsequence: [\"Log small\"]\n"), &small, &cause));
	ASSERT_OK(pogo_proc_loop_init(&loop));
	done_calls = 0;
	ASSERT_OK(pogo_resolver_run(&loop, big, path, 0, done_cb, &status[0]));
	ASSERT_OK(
	    pogo_resolver_run(&loop, small, path, 0, done_cb, &status[1]));
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(done_calls, 2);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	ASSERT_EQ(status[0], 0);
	ASSERT_EQ(status[1], 0);
	pogo_sched_config_free(big);
	pogo_sched_config_free(small);
	snprintf(path, sizeof(path), "%s/starts", tmpdir);
	starts = slurp_file(path);
	for (line = starts; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		pos++;
		if (strncmp(line, "small\n", 6) == 0)
			at = pos;
	}
	free(starts);
	ASSERT_EQ(pos, 101);
	/* Round robin: about 17th; in order it would be 101st. */
	ASSERT(at > 0 && at <= 40);
}

static void
cancel_cb(uv_timer_t *t)
{
	pogo_resolver_cancel_all(t->loop);
	uv_close((uv_handle_t *)t, NULL);
}

/*
 * A process that stops (a dispatcher's SIGTERM) kills its resolvers
 * instead of waiting up to their time limit: 20 references to a
 * resolver that sleeps 30 s, 16 of them running, cancelled after 0.3 s;
 * the run calls back at once with every reference failed.
 */
TEST(cancel_kills_the_running_and_drops_the_waiting)
{
	struct pogo_sched_config *cfg = NULL;
	char path[256], yaml[1024], *cause = NULL;
	int status = -1, i;
	size_t len;
	uv_loop_t loop;
	uv_timer_t t;
	uint64_t t0;

	setup();
	snprintf(path, sizeof(path), "%s/b", tmpdir);
	len = (size_t)snprintf(yaml, sizeof(yaml), "tag:\nsequence: [");
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(yaml + len, sizeof(yaml) - len,
		    "%s\"Slow s%d\"", i ? ", " : "", i);
	snprintf(yaml + len, sizeof(yaml) - len, "]\n");
	ASSERT_OK(pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause));
	ASSERT_OK(pogo_proc_loop_init(&loop));
	done_calls = 0;
	t0 = uv_hrtime();
	ASSERT_OK(pogo_resolver_run(&loop, cfg, path, 0, done_cb, &status));
	uv_timer_init(&loop, &t);
	uv_timer_start(&t, cancel_cb, 300, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(done_calls, 1);
	ASSERT_EQ(status, 0);
	/* Well before the 30 s of the resolvers' sleep and time limit. */
	ASSERT((uv_hrtime() - t0) / 1000000 < 10000);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	ASSERT(pogo_sched_config_build(cfg, &cause) != 0);
	ASSERT(cause != NULL);
	free(cause);
	pogo_sched_config_free(cfg);
}

TEST(first_directory_wins)
{
	struct pogo_sched_config *cfg = NULL;
	char path[256], *cause;
	const uint32_t *v;
	size_t n;

	setup();
	snprintf(path, sizeof(path), "/nonexistent:%s/b:%s/a", tmpdir, tmpdir);
	cause = resolve("tag:\nsequence: [\"Ex x\"]\n", path, 0, &cfg);
	ASSERT_NULL(cause);
	v = pogo_sched_config_slot_hosts(cfg, 0, 0, &n);
	ASSERT_EQ(n, 1);
	ASSERT_STR_EQ(
	    pogo_strtab_get(pogo_sched_config_hosts(cfg), v[0]), "from-b");
	pogo_sched_config_free(cfg);
}

/* A NUL byte would silently cut the list at that point: refused. */
TEST(output_with_a_nul_byte)
{
	struct pogo_sched_config *cfg = NULL;
	char path[256], *cause;

	setup();
	snprintf(path, sizeof(path), "%s/b", tmpdir);
	cause = resolve("tag:\nsequence: [\"Nul x\"]\n", path, 0, &cfg);
	ASSERT_STR_EQ(cause,
	    "line 2, column 12: resolver 'Nul' failed: "
	    "output contains a NUL byte");
	free(cause);
	pogo_sched_config_free(cfg);
}

TEST(failures)
{
	struct pogo_sched_config *cfg = NULL;
	char path[256], *cause;

	setup();
	snprintf(path, sizeof(path), "%s/b", tmpdir);
	cause = resolve("tag:\nsequence: [\"Fail x\"]\n", path, 0, &cfg);
	ASSERT_STR_EQ(
	    cause, "line 2, column 12: resolver 'Fail' failed: exit status 3");
	free(cause);
	pogo_sched_config_free(cfg);
	cause = resolve("tag:\nsequence: [\"Nope x\"]\n", path, 0, &cfg);
	ASSERT_STR_EQ(cause,
	    "line 2, column 12: resolver 'Nope' failed: "
	    "not found in the resolver path");
	free(cause);
	pogo_sched_config_free(cfg);
}

TEST(time_limit_kills_the_resolver)
{
	struct pogo_sched_config *cfg = NULL;
	char path[256], *cause;

	setup();
	snprintf(path, sizeof(path), "%s/b", tmpdir);
	cause = resolve(
	    "tag:\nsequence: [\"Slow x\", \"Ex y\"]\n", path, 200, &cfg);
	ASSERT_STR_EQ(cause,
	    "line 2, column 12: resolver 'Slow' failed: "
	    "timed out after 0.2 seconds");
	free(cause);
	pogo_sched_config_free(cfg);
}

/* Is pid a live process (not a zombie waiting for its parent)? */
static bool
alive(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	bool r = false;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		r = p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	fclose(f);
	return r;
}

TEST(time_limit_with_a_child_holding_the_pipe)
{
	struct pogo_sched_config *cfg = NULL;
	char path[256], *cause;
	uint64_t t0;
	long pids[2] = { 0, 0 };
	FILE *f;
	int i, n;

	setup();
	snprintf(path, sizeof(path), "%s/b", tmpdir);
	t0 = uv_hrtime();
	cause = resolve("tag:\nsequence: [\"Bg x\"]\n", path, 300, &cfg);
	/* Within the limit and a margin, not when sleep 30 ends. */
	ASSERT(uv_hrtime() - t0 < 5000000000ULL);
	ASSERT_STR_EQ(cause,
	    "line 2, column 12: resolver 'Bg' failed: "
	    "timed out after 0.3 seconds");
	free(cause);
	pogo_sched_config_free(cfg);
	snprintf(path, sizeof(path), "%s/pids", tmpdir);
	f = fopen(path, "r");
	ASSERT(f != NULL);
	ASSERT_EQ(fscanf(f, "%ld %ld", &pids[0], &pids[1]), 2);
	fclose(f);
	/* The whole process group is gone (reaped by init soon after). */
	for (i = 0; i < 2; i++) {
		for (n = 0; n < 200 && alive((pid_t)pids[i]); n++)
			usleep(10000);
		if (alive((pid_t)pids[i]))
			kill((pid_t)pids[i], SIGKILL);
		ASSERT(n < 200);
	}
}

TEST(no_references_still_calls_back_later)
{
	struct pogo_sched_config *cfg = NULL;
	char *cause;

	cause = resolve("tag: {a: [b]}\n", "/nonexistent", 0, &cfg);
	ASSERT_NULL(cause);
	pogo_sched_config_free(cfg);
}
