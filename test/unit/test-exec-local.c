/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/exec-local.c on a real loop: W-008 (records and task
 * ids, two tasks at once), exit statuses and signals (128 + S), the
 * environment, the host timeout (the whole process group dies), the output
 * bound, kill, and the callback contract.
 */
#include "pogo/compat.h"

#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/error.h"
#include "pogo/exec-local.h"
#include "pogo/proc.h"
#include "pogo/str.h"
#include "pogo/stub.h"
#include "pogo/xmalloc.h"

/* The stub features of the next lt_run (NULL: direct mode). */
static const struct pogo_exec_stub *lt_stub;

struct lt {
	uv_loop_t loop;
	struct pogo_exec *e;
	struct pogo_exec_task t;
	struct pogo_exec_result r;
	char out[8192];
	size_t olen;
	int started;
	int done;
	bool in_start;
};

static void
lt_started(struct pogo_exec_task *t, void *arg)
{
	struct lt *l = arg;

	ASSERT(!l->in_start);
	l->started++;
}

static void
lt_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
	struct lt *l = arg;

	l->olen += (size_t)snprintf(l->out + l->olen, sizeof(l->out) - l->olen,
	    "%s%.*s|", type == POGO_OUT_STDERR ? "E:" : "", (int)n, d);
}

static void
lt_done(struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct lt *l = arg;

	ASSERT(!l->in_start);
	l->done++;
	l->r = *r;
}

static const struct pogo_exec_events lt_ev = { lt_started, lt_output, lt_done };

static void
lt_closed(void *arg)
{
	(*(int *)arg)++;
}

/* With kill: kill this long after the start (0: at once). */
static unsigned lt_kill_ms;

static void
lt_kill_cb(uv_timer_t *tm)
{
	struct lt *l = tm->data;

	l->e->ops->kill(l->e, &l->t);
	uv_close((uv_handle_t *)tm, NULL);
}

/* Run one command to its end; returns the recorder. */
static struct lt *
lt_run(const char *cmd, unsigned timeout, size_t max_output, bool kill)
{
	static struct lt l;
	static uv_timer_t killer;
	struct pogo_exec_local_opts o = { 0 };
	int closed = 0;

	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_proc_loop_init(&l.loop));
	o.max_tasks = 4;
	o.max_output = max_output;
	o.kill_grace_ms = 300;
	l.e = pogo_exec_local_new(&l.loop, &o, &lt_ev, &l);
	l.t.job_id = "p0000000042";
	l.t.task_id = "some-id";
	l.t.host = "h1";
	l.t.command = cmd;
	l.t.timeout = timeout;
	l.t.stub = lt_stub;
	l.in_start = true;
	ASSERT_OK(l.e->ops->start(l.e, &l.t));
	l.in_start = false;
	ASSERT_EQ(l.e->inflight, 1);
	if (kill && lt_kill_ms > 0) {
		uv_timer_init(&l.loop, &killer);
		killer.data = &l;
		uv_timer_start(&killer, lt_kill_cb, lt_kill_ms, 0);
	} else if (kill) {
		uv_run(&l.loop, UV_RUN_ONCE);
		l.e->ops->kill(l.e, &l.t);
	}
	uv_run(&l.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(l.done, 1);
	ASSERT_EQ(l.e->inflight, 0);
	l.e->ops->close(l.e, lt_closed, &closed);
	uv_run(&l.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&l.loop));
	return &l;
}

/* W-008 with two tasks at once: every event names its own task. */
struct lt2 {
	char rec[1024]; /* "id started|id:data|id done rc|" in order */
};

static void lt2_log(struct lt2 *l, const char *fmt, ...) POGO_PRINTFLIKE(2, 3);

static void
lt2_log(struct lt2 *l, const char *fmt, ...)
{
	size_t o = strlen(l->rec);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->rec + o, sizeof(l->rec) - o, fmt, ap);
	va_end(ap);
}

static void
lt2_started(struct pogo_exec_task *t, void *arg)
{
	lt2_log(arg, "%s started|", t->task_id);
}

static void
lt2_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
	lt2_log(arg, "%s:%.*s|", t->task_id, (int)n, d);
}

static void
lt2_done(struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	lt2_log(arg, "%s done %d|", t->task_id, (int)r->exitstatus);
}

/* The records of one task id, in order, without the id. */
static const char *
lt2_of(const struct lt2 *l, const char *id)
{
	static char buf[1024];
	const char *p = l->rec, *e;
	size_t idlen = strlen(id), o = 0;

	buf[0] = '\0';
	while ((e = strchr(p, '|')) != NULL) {
		if ((size_t)(e - p) > idlen && strncmp(p, id, idlen) == 0 &&
		    (p[idlen] == ':' || p[idlen] == ' '))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%.*s|",
			    (int)(e - p - idlen - 1), p + idlen + 1);
		p = e + 1;
	}
	return buf;
}

TEST(W_008_records)
{
	static const struct pogo_exec_events ev = { lt2_started, lt2_output,
		lt2_done };
	struct pogo_exec_local_opts o = { 0 };
	struct pogo_exec_task a = { 0 }, b = { 0 };
	struct pogo_exec *e;
	struct lt2 l = { { 0 } };
	uv_loop_t loop;
	int closed = 0;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	o.max_tasks = 4;
	o.kill_grace_ms = 300;
	e = pogo_exec_local_new(&loop, &o, &ev, &l);
	a.job_id = b.job_id = "p0000000042";
	a.task_id = "some-id";
	a.host = "h1";
	a.command = "echo foo; echo bar";
	b.task_id = "other-id";
	b.host = "h2";
	b.command = "echo baz; exit 4";
	ASSERT_OK(e->ops->start(e, &a));
	ASSERT_OK(e->ops->start(e, &b));
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_STR_EQ(lt2_of(&l, "some-id"), "started|foo|bar|done 0|");
	ASSERT_STR_EQ(lt2_of(&l, "other-id"), "started|baz|done 4|");
	ASSERT_EQ(e->inflight, 0);
	e->ops->close(e, lt_closed, &closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&loop));
}

TEST(exit_status_and_streams)
{
	struct lt *l = lt_run("echo out; echo err >&2; exit 3", 0, 0, false);

	ASSERT(strstr(l->out, "out|") != NULL);
	ASSERT(strstr(l->out, "E:err|") != NULL);
	ASSERT_EQ(l->r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(l->r.exitstatus, 3);
	ASSERT_STR_EQ(l->r.msg, "exited with status 3");
}

TEST(signal_is_128_plus_n)
{
	struct lt *l = lt_run("kill -TERM $$", 0, 0, false);

	ASSERT_EQ(l->r.exitstatus, 143);
	ASSERT_STR_EQ(l->r.msg, "exited with status 143");
}

TEST(environment)
{
	struct lt *l = lt_run("echo \"$POGO_JOB_ID $POGO_HOST\"; read x || "
	                      "echo eof",
	    0, 0, false);

	ASSERT_STR_EQ(l->out, "p0000000042 h1|eof|");
}

/* Is pid gone (no such process, or a zombie nobody reaped yet)? */
static bool
lt_gone(pid_t pid)
{
	char path[64], *buf = NULL, *p;
	size_t len;
	bool gone;

	if (kill(pid, 0) != 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pogo_str_read_file(path, 4096, &buf, &len) != 0)
		return true;
	/* "pid (comm) S ...": the state follows the last ')'. */
	p = strrchr(buf, ')');
	gone = p != NULL && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
	free(buf);
	return gone;
}

TEST(timeout_kills_the_group)
{
	struct lt *l = lt_run("sleep 30 & echo $!; sleep 30", 1, 0, false);
	long long pid;
	char *bar;
	int i;

	ASSERT_EQ(l->r.state, POGO_EXEC_FAILED);
	ASSERT(l->r.timed_out);
	ASSERT_STR_EQ(l->r.msg, "timed out after 1 seconds");
	/* The background sleep (the first record is its pid) died too. */
	bar = strchr(l->out, '|');
	ASSERT(bar != NULL);
	*bar = '\0';
	ASSERT_OK(pogo_strtonum(l->out, 2, INT_MAX, &pid));
	for (i = 0; i < 100 && !lt_gone((pid_t)pid); i++)
		usleep(20 * 1000);
	if (!lt_gone((pid_t)pid)) {
		kill((pid_t)pid, SIGKILL);
		harness_fail(__FILE__, __LINE__,
		    "the background sleep %lld survived the timeout", pid);
	}
}

TEST(output_bound)
{
	struct lt *l = lt_run("yes", 0, 100, false);

	ASSERT_STR_EQ(l->r.msg, "output exceeded 100 bytes");
	ASSERT(strstr(l->out,
	           "E:== Output exceeded maximum length of 100 bytes ==|") !=
	    NULL);
}

static uint64_t lt_ms(void);

/*
 * Killed while it runs (100 ms after the start: one loop turn could
 * block until the command's own exit, which a kill then no longer
 * changes), it ends at once, `killed`.
 */
TEST(kill)
{
	uint64_t t0 = lt_ms();
	struct lt *l;

	lt_kill_ms = 100;
	l = lt_run("sleep 30", 0, 0, true);
	lt_kill_ms = 0;
	ASSERT_STR_EQ(l->r.msg, "killed");
	ASSERT_LT(lt_ms() - t0, 10000);
}

TEST(partial_line_at_exit)
{
	struct lt *l = lt_run("printf 'no newline'", 0, 0, false);

	ASSERT_STR_EQ(l->out, "no newline|");
}

/*
 * Many short tasks, each new one started from a done event as the job
 * engine does: every task reports started before done, even when its
 * child exits before the loop delivers the started event (issue 7: hosts
 * that never reached running lost their --output-dir file).
 */
#define MANY_TASKS 200
#define MANY_INFLIGHT 64

struct many {
	uv_loop_t loop;
	struct pogo_exec *e;
	struct pogo_exec_task t[MANY_TASKS];
	int started[MANY_TASKS];
	int done[MANY_TASKS];
	bool done_before_started;
	size_t next;
	size_t ndone;
};

static void
many_start_next(struct many *m)
{
	struct pogo_exec_task *t;

	if (m->next >= MANY_TASKS)
		return;
	t = &m->t[m->next];
	t->job_id = "p0000000042";
	t->task_id = "id";
	t->host = "h";
	t->command = "true";
	t->data = (void *)(uintptr_t)m->next;
	m->next++;
	ASSERT_OK(m->e->ops->start(m->e, t));
}

static void
many_started(struct pogo_exec_task *t, void *arg)
{
	struct many *m = arg;

	m->started[(uintptr_t)t->data]++;
}

static void
many_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
}

static void
many_done(struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct many *m = arg;
	size_t i = (uintptr_t)t->data;

	if (m->started[i] == 0)
		m->done_before_started = true;
	m->done[i]++;
	m->ndone++;
	many_start_next(m);
}

static const struct pogo_exec_events many_ev = { many_started, many_output,
	many_done };

TEST(started_before_done_for_every_task)
{
	static struct many m;
	struct pogo_exec_local_opts o = { 0 };
	int closed = 0;
	size_t i;

	ASSERT_OK(pogo_proc_loop_init(&m.loop));
	o.max_tasks = MANY_INFLIGHT;
	m.e = pogo_exec_local_new(&m.loop, &o, &many_ev, &m);
	for (i = 0; i < MANY_INFLIGHT; i++)
		many_start_next(&m);
	uv_run(&m.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(m.ndone, MANY_TASKS);
	ASSERT(!m.done_before_started);
	for (i = 0; i < MANY_TASKS; i++) {
		ASSERT_EQ(m.started[i], 1);
		ASSERT_EQ(m.done[i], 1);
	}
	m.e->ops->close(m.e, lt_closed, &closed);
	uv_run(&m.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&m.loop));
}

/* Stub features all off: direct mode, no stub lines. */
TEST(W_DIRECT_no_stub)
{
	static const struct pogo_exec_stub none = { .hook_dir = "/x" };
	struct lt *l;

	lt_stub = &none;
	l = lt_run("echo foo", 0, 0, false);
	lt_stub = NULL;
	ASSERT_STR_EQ(l->out, "foo|");
	ASSERT_EQ(l->r.exitstatus, 0);
}

/* SPEC 9.11: the stub runs locally with sh -s (W-STUB-RETRY, local). */
TEST(W_STUB_RETRY_local)
{
	static const struct pogo_exec_stub s = { .retry = 1 };
	struct lt *l;

	lt_stub = &s;
	l = lt_run("echo try; exit 3", 60, 0, false);
	lt_stub = NULL;
	ASSERT_STR_EQ(l->out,
	    "|pogo-worker: loaded; retry=1, timeout=60|"
	    "pogo-worker: command='echo try; exit 3'|"
	    "pogo-worker: running command 'echo try; exit 3'|try|"
	    "WARNING: pogo-worker: command exited 3|try|"
	    "WARNING: pogo-worker: command exited 3, retry 1 of 1|"
	    "ERROR: pogo-worker died: command exited 3|");
	ASSERT_EQ(l->r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(l->r.exitstatus, 3);
	ASSERT_STR_EQ(l->r.msg, "exited with status 3");
}

/* An attached script: $0 is its file, gone afterwards. */
TEST(W_STUB_ATTACH_local)
{
	static const struct pogo_exec_stub s = { .exe_name = "s.sh",
		.exe_data = "echo \"$0\"\n" };
	struct lt *l;
	char *p, path[64];

	lt_stub = &s;
	l = lt_run("Attached file: s.sh", 0, 0, false);
	lt_stub = NULL;
	ASSERT_EQ(l->r.exitstatus, 0);
	ASSERT_STR_EQ(l->r.msg, "ok");
	p = strstr(l->out, "|/tmp/pogo_s.sh_");
	ASSERT(p != NULL);
	ASSERT_EQ(strspn(p + 16, "0123456789abcdef"), 16);
	ASSERT_EQ(p[32], '|');
	snprintf(path, sizeof(path), "%.31s", p + 1);
	ASSERT(access(path, F_OK) != 0);
}

/* A stub abort: status 254 and the reason as the message. */
TEST(stub_abort_local)
{
	static const struct pogo_exec_stub s = { .prehook = true,
		.hook_dir = "." };
	char dir[64] = "/tmp/pogo-test-hook.XXXXXX", p[128];
	struct pogo_exec_stub s2 = s;
	struct lt *l;
	FILE *f;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/pre.d", dir);
	ASSERT_EQ(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/pre.d/h", dir);
	f = fopen(p, "w");
	ASSERT(f != NULL);
	fputs("exit 4\n", f);
	fclose(f);
	ASSERT_EQ(chmod(p, 0700), 0);
	s2.hook_dir = dir;
	lt_stub = &s2;
	l = lt_run("echo never", 0, 0, false);
	lt_stub = NULL;
	unlink(p);
	snprintf(p, sizeof(p), "%s/pre.d", dir);
	rmdir(p);
	rmdir(dir);
	ASSERT_EQ(l->r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(l->r.exitstatus, 254);
	snprintf(p, sizeof(p), "hook '%s/pre.d/h' exited 4, bailing out", dir);
	ASSERT_STR_EQ(l->r.msg, p);
}

/* The stub's watchdog: "timed out after T seconds", timed_out. */
TEST(stub_timeout_local)
{
	static const struct pogo_exec_stub s = { .retry = 2 };
	struct lt *l;

	lt_stub = &s;
	l = lt_run("sleep 30", 1, 0, false);
	lt_stub = NULL;
	ASSERT_EQ(l->r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(l->r.exitstatus, -1);
	ASSERT(l->r.timed_out);
	ASSERT_STR_EQ(l->r.msg, "timed out after 1 seconds");
	ASSERT(strstr(l->out, "ERROR: pogo-worker died: command timed out|") !=
	    NULL);
}

/* Kill in stub mode: the stub reports the signal; the result is killed. */
TEST(stub_kill_local)
{
	static const struct pogo_exec_stub s = { .retry = 1 };
	struct lt *l;

	lt_stub = &s;
	l = lt_run("sleep 30", 0, 0, true);
	lt_stub = NULL;
	ASSERT_STR_EQ(l->r.msg, "killed");
}

/* The process group the command printed first ("$$"). */
static pid_t
lt_group(const struct lt *l)
{
	long long n;
	char buf[32];
	size_t len = strcspn(l->out, "|");

	ASSERT(len > 0 && len < sizeof(buf));
	memcpy(buf, l->out, len);
	buf[len] = '\0';
	ASSERT_OK(pogo_strtonum(buf, 2, INT32_MAX, &n));
	return (pid_t)n;
}

/* A live (not zombie) process in group g, from /proc; 0 if none. */
static pid_t
lt_group_member(pid_t g)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[300], buf[512], *p, state;
	long long pgrp;
	pid_t found = 0;
	FILE *f;

	ASSERT(d != NULL);
	while (found == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* pid (comm) state ppid pgrp ...; comm may hold spaces. */
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %c %*d %lld", &state, &pgrp) == 2 &&
		    pgrp == g && state != 'Z')
			found = (pid_t)strtol(de->d_name, NULL, 10);
		fclose(f);
	}
	closedir(d);
	return found;
}

/* Is anything left in process group g, after up to 1 s? */
static bool
lt_group_alive(pid_t g)
{
	pid_t p = 0;
	int i;

	for (i = 0; i < 100; i++) {
		if ((p = lt_group_member(g)) == 0)
			return false;
		usleep(10000);
	}
	fprintf(stderr, "  process %d is left in group %d\n", (int)p, (int)g);
	return true;
}

static uint64_t
lt_ms(void)
{
	return uv_hrtime() / 1000000;
}

/* A command that ignores SIGTERM gets SIGKILL after the grace (300 ms
 * here), and its result comes then. */
TEST(timeout_kills_a_term_proof_command)
{
	uint64_t t0 = lt_ms();
	struct lt *l =
	    lt_run("echo $$; trap '' TERM; sleep 30 & sleep 30", 1, 0, false);

	ASSERT_STR_EQ(l->r.msg, "timed out after 1 seconds");
	ASSERT_LT(lt_ms() - t0, 1000 + 300 + 700);
	ASSERT(!lt_group_alive(lt_group(l)));
}

/* The command's shell dies of TERM, a child that ignores TERM lives on:
 * the group still gets SIGKILL after the grace. */
TEST(timeout_kills_a_term_proof_child)
{
	struct lt *l =
	    lt_run("echo $$; (trap '' TERM; sleep 30; :) & wait", 1, 0, false);

	ASSERT_STR_EQ(l->r.msg, "timed out after 1 seconds");
	ASSERT(!lt_group_alive(lt_group(l)));
}

/* A daemon keeps the output open: the host is finished one linger after
 * the exit, with the command's own result, and the daemon lives on. */
TEST(daemon_finishes_after_the_linger)
{
	uint64_t t0 = lt_ms();
	struct lt *l = lt_run("echo $$; sleep 30 & echo started", 10, 0, false);
	pid_t g = lt_group(l);

	ASSERT_STR_EQ(l->r.msg, "ok");
	ASSERT_LT(lt_ms() - t0, POGO_EXEC_LINGER_MS + 700);
	ASSERT(strstr(l->out, "started|") != NULL);
	ASSERT_NE(lt_group_member(g), 0);
	kill(-g, SIGKILL);
}

/*
 * Quiet means a second without output: what a background process prints
 * half a second after the exit is kept, and the host ends a linger after
 * that last output, not at the first tick after the exit.
 */
TEST(output_after_the_exit_extends_the_linger)
{
	uint64_t t0 = lt_ms(), took;
	struct lt *l =
	    lt_run("echo $$; (sleep 0.5; echo late; sleep 30) & echo started",
	        10, 0, false);
	pid_t g = lt_group(l);

	took = lt_ms() - t0;
	ASSERT_STR_EQ(l->r.msg, "ok");
	ASSERT(strstr(l->out, "late|") != NULL);
	ASSERT(took >= 500 + POGO_EXEC_LINGER_MS);
	ASSERT_LT(took, 500 + POGO_EXEC_LINGER_MS + 700);
	ASSERT_NE(lt_group_member(g), 0);
	kill(-g, SIGKILL);
}

/*
 * #9 (review5 5): a kill while the command lingers (it exited, something
 * it started holds its output) ends the linger at once: what is left of
 * its process group gets SIGKILL, and the host ends with the command's
 * own result.  Held back for a slow reader (paused), the linger would
 * last as long as the reader is away.
 */
TEST(kill_after_the_exit_keeps_the_result)
{
	uint64_t t0 = lt_ms();
	struct lt *l;
	pid_t g;

	lt_kill_ms = 300;
	l = lt_run("echo $$; sleep 30 & exit 4", 0, 0, true);
	lt_kill_ms = 0;
	g = lt_group(l);
	ASSERT_STR_EQ(l->r.msg, "exited with status 4");
	ASSERT_EQ(l->r.exitstatus, 4);
	/* Before the linger's first tick (1 s) would have ended it. */
	ASSERT_LT(lt_ms() - t0, POGO_EXEC_LINGER_MS);
	ASSERT(!lt_group_alive(g));
}

/* The result carries what task_done reports (SPEC 8.3): the signal, the
 * worker's start and end times and the number of output records. */
TEST(result_carries_signal_times_and_records)
{
	double t0 = pogo_exec_now(), t1;
	struct lt *l =
	    lt_run("echo a; echo b >&2; printf c; kill -KILL $$", 0, 0, false);

	t1 = pogo_exec_now();
	ASSERT_STR_EQ(l->out, "a|E:b|c|");
	ASSERT_EQ(l->r.exitstatus, 137);
	ASSERT_EQ(l->r.signal, SIGKILL);
	ASSERT_EQ(l->r.records, 3);
	ASSERT(l->r.started_at >= t0);
	ASSERT(l->r.finished_at >= l->r.started_at);
	ASSERT(l->r.finished_at <= t1);
	l = lt_run("exit 3", 0, 0, false);
	ASSERT_EQ(l->r.signal, 0);
	ASSERT_EQ(l->r.records, 0);
	ASSERT(l->r.started_at > 0);
}

/* taskstatus and withdraw (issue 9: the contract of a remote peer). */
struct tw {
	uv_loop_t loop;
	struct pogo_exec *e;
	struct pogo_exec_task a;
	struct pogo_exec_task b;
	enum pogo_exec_status at_started;
	enum pogo_exec_status at_done;
	char rec[256];
};

static void
tw_started(struct pogo_exec_task *t, void *arg)
{
	struct tw *w = arg;
	size_t o = strlen(w->rec);

	w->at_started = w->e->ops->taskstatus(w->e, t->task_id);
	/* Started: too late to withdraw. */
	ASSERT_EQ(w->e->ops->withdraw(w->e, t), POGO_ERR_STATE);
	snprintf(w->rec + o, sizeof(w->rec) - o, "%s started|", t->task_id);
}

static void
tw_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
	struct tw *w = arg;
	size_t o = strlen(w->rec);

	snprintf(
	    w->rec + o, sizeof(w->rec) - o, "%s:%.*s|", t->task_id, (int)n, d);
}

static void
tw_done(struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct tw *w = arg;
	size_t o = strlen(w->rec);

	w->at_done = w->e->ops->taskstatus(w->e, t->task_id);
	snprintf(
	    w->rec + o, sizeof(w->rec) - o, "%s done %s|", t->task_id, r->msg);
}

static const struct pogo_exec_events tw_ev = { tw_started, tw_output, tw_done };

static void
tw_init(struct tw *w)
{
	struct pogo_exec_local_opts o = { 0 };

	memset(w, 0, sizeof(*w));
	ASSERT_OK(pogo_proc_loop_init(&w->loop));
	o.max_tasks = 4;
	o.kill_grace_ms = 300;
	w->e = pogo_exec_local_new(&w->loop, &o, &tw_ev, w);
	w->a.job_id = w->b.job_id = "p0000000042";
	w->a.task_id = "a";
	w->a.host = "h1";
	w->b.task_id = "b";
	w->b.host = "h2";
}

static void
tw_close(struct tw *w)
{
	int closed = 0;

	ASSERT_EQ(w->e->inflight, 0);
	ASSERT_NULL(w->e->runs);
	w->e->ops->close(w->e, lt_closed, &closed);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&w->loop));
}

TEST(taskstatus_follows_the_task)
{
	static struct tw w;

	tw_init(&w);
	w.a.command = "echo x";
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "a"), POGO_EXEC_UNKNOWN);
	ASSERT_OK(w.e->ops->start(w.e, &w.a));
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "a"), POGO_EXEC_WAITING);
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "b"), POGO_EXEC_UNKNOWN);
	uv_run(&w.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(w.at_started, POGO_EXEC_RUNNING);
	ASSERT_EQ(w.at_done, POGO_EXEC_UNKNOWN);
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "a"), POGO_EXEC_UNKNOWN);
	ASSERT_STR_EQ(w.rec, "a started|a:x|a done ok|");
	/* Done: not in flight any more. */
	ASSERT_EQ(w.e->ops->withdraw(w.e, &w.a), POGO_ERR_NOTFOUND);
	tw_close(&w);
}

/* A task withdrawn before its command started: no event, nothing ran,
 * and the other task runs as usual. */
TEST(withdraw_before_the_start_runs_nothing)
{
	static struct tw w;
	char dir[] = "/tmp/pogo-test-XXXXXX", *cmd, *file;
	struct stat sb;

	ASSERT(mkdtemp(dir) != NULL);
	xasprintf(&file, "%s/ran", dir);
	xasprintf(&cmd, "echo a >%s", file);
	tw_init(&w);
	w.a.command = cmd;
	w.b.command = "echo y";
	ASSERT_OK(w.e->ops->start(w.e, &w.a));
	ASSERT_OK(w.e->ops->start(w.e, &w.b));
	ASSERT_EQ(w.e->inflight, 2);
	ASSERT_OK(w.e->ops->withdraw(w.e, &w.a));
	ASSERT_EQ(w.e->inflight, 1);
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "a"), POGO_EXEC_UNKNOWN);
	ASSERT_EQ(w.e->ops->withdraw(w.e, &w.a), POGO_ERR_NOTFOUND);
	uv_run(&w.loop, UV_RUN_DEFAULT);
	ASSERT_STR_EQ(w.rec, "b started|b:y|b done ok|");
	ASSERT(stat(file, &sb) == -1 && errno == ENOENT);
	/* The engine may give it again: it runs. */
	w.rec[0] = '\0';
	ASSERT_OK(w.e->ops->start(w.e, &w.a));
	uv_run(&w.loop, UV_RUN_DEFAULT);
	ASSERT_STR_EQ(w.rec, "a started|a done ok|");
	ASSERT_OK(stat(file, &sb));
	ASSERT_OK(unlink(file));
	ASSERT_OK(rmdir(dir));
	free(cmd);
	free(file);
	tw_close(&w);
}

/* A kill before the command started: killed, nothing ran, no started
 * event; a withdraw then is refused (the done event comes). */
TEST(kill_before_the_start_runs_nothing)
{
	static struct tw w;
	char dir[] = "/tmp/pogo-test-XXXXXX", *cmd, *file;
	struct stat sb;

	ASSERT(mkdtemp(dir) != NULL);
	xasprintf(&file, "%s/ran", dir);
	xasprintf(&cmd, "echo a >%s", file);
	tw_init(&w);
	w.a.command = cmd;
	ASSERT_OK(w.e->ops->start(w.e, &w.a));
	w.e->ops->kill(w.e, &w.a);
	ASSERT_EQ(w.e->ops->withdraw(w.e, &w.a), POGO_ERR_STATE);
	uv_run(&w.loop, UV_RUN_DEFAULT);
	ASSERT_STR_EQ(w.rec, "a done killed|");
	ASSERT(stat(file, &sb) == -1 && errno == ENOENT);
	ASSERT_OK(rmdir(dir));
	free(cmd);
	free(file);
	tw_close(&w);
}

/* Counts lines of output; remembers the result. */
struct lt_lines {
	size_t lines;
	int done;
	struct pogo_exec_result r;
};

static void
lt_lines_started(struct pogo_exec_task *t, void *arg)
{
}

static void
lt_lines_output(struct pogo_exec_task *t, enum pogo_out_type type,
    const char *d, size_t n, bool eol, void *arg)
{
	struct lt_lines *c = arg;

	if (eol)
		c->lines++;
}

static void
lt_lines_done(
    struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct lt_lines *c = arg;

	c->done++;
	c->r = *r;
}

static const struct pogo_exec_events lt_lines_ev = { lt_lines_started,
	lt_lines_output, lt_lines_done };

/*
 * The command exited with output still unread in its pipe, and the worker
 * could not read for longer than the linger (a loaded machine deschedules
 * it; here the test stalls the loop): what the pipe holds is still read
 * in full.  The linger gives up only on a pipe that stays open and empty
 * (a background process), never on output pogo has not read yet.
 */
TEST(unread_output_survives_a_stalled_loop)
{
	struct pogo_exec_local_opts o = { 0 };
	struct pogo_exec_task t = { 0 };
	struct lt_lines c = { 0 };
	char dir[] = "/tmp/pogo-lt-XXXXXX", pidf[64], cmd[256], *buf = NULL;
	uv_loop_t loop;
	struct pogo_exec *e;
	long long pid = 0;
	uint64_t end;
	size_t len;
	int closed = 0;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(pidf, sizeof(pidf), "%s/pid", dir);
	snprintf(cmd, sizeof(cmd),
	    "seq 1 5000; printf %%s $$ >%s.tmp; mv %s.tmp %s", pidf, pidf,
	    pidf);
	ASSERT_OK(pogo_proc_loop_init(&loop));
	o.max_tasks = 1;
	o.kill_grace_ms = 300;
	e = pogo_exec_local_new(&loop, &o, &lt_lines_ev, &c);
	t.job_id = "p0000000042";
	t.task_id = "stalled";
	t.host = "h1";
	t.command = cmd;
	t.timeout = 30;
	e->ops->pause(e, true);
	ASSERT_OK(e->ops->start(e, &t));
	/* Paused: the command fills the pipe (23,893 bytes) and exits. */
	end = uv_hrtime() + 20ull * 1000 * 1000 * 1000;
	while (pid == 0 || kill((pid_t)pid, 0) == 0) {
		if (uv_hrtime() > end)
			harness_fail(
			    __FILE__, __LINE__, "the command never ended");
		uv_run(&loop, UV_RUN_NOWAIT);
		if (pid == 0 && pogo_str_read_file(pidf, 64, &buf, &len) == 0) {
			ASSERT_OK(pogo_strtonum(buf, 1, INT_MAX, &pid));
			free(buf);
		}
		uv_sleep(5);
	}
	/* Reaped, so its linger runs.  Reading again, then a stall. */
	e->ops->pause(e, false);
	uv_sleep(POGO_EXEC_LINGER_MS + 300);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(c.done, 1);
	ASSERT_STR_EQ(c.r.msg, "ok");
	ASSERT_EQ(c.lines, 5000);
	e->ops->close(e, lt_closed, &closed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	unlink(pidf);
	rmdir(dir);
}

/* pid's state: 0 running, 1 ended (a zombie), 2 reaped (no child of ours). */
static int
lf_state(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
		ASSERT_EQ(errno, ECHILD);
		return 2;
	}
	return si.si_pid == 0 ? 0 : 1;
}

/*
 * review8 7: a child whose pidfd cannot be had (fail 1) or watched (fail 2)
 * fails its task (`cannot run command`) and is reaped without holding the
 * loop: with spare, the child (not killed by the fault) still runs when the
 * done event comes, and is reaped by the executor once it ends.
 */
static void
lf_run(int fail, bool spare)
{
	static struct lt l;
	struct pogo_exec_local_opts o = { 0 };
	struct pogo_exec_local_fault fault = { 0 };
	uint64_t end = uv_hrtime() + 20 * (uint64_t)1000000000;
	int closed = 0;
	pid_t pid;

	memset(&l, 0, sizeof(l));
	ASSERT_OK(pogo_proc_loop_init(&l.loop));
	o.max_tasks = 4;
	o.kill_grace_ms = 300;
	o.fault = &fault;
	l.e = pogo_exec_local_new(&l.loop, &o, &lt_ev, &l);
	l.t.job_id = "p0000000042";
	l.t.task_id = "some-id";
	l.t.host = "h1";
	/* Spared, it ends by itself (a bound on a blocking wait). */
	l.t.command = "exec sleep 5";
	fault.fail = fail;
	fault.spare = spare;
	ASSERT_OK(l.e->ops->start(l.e, &l.t));
	while (l.done == 0 && uv_hrtime() < end)
		uv_run(&l.loop, UV_RUN_ONCE);
	ASSERT_EQ(l.done, 1);
	ASSERT_EQ(l.started, 0);
	ASSERT_EQ(l.r.state, POGO_EXEC_FAILED);
	ASSERT_STR_EQ(l.r.msg, "cannot run command: too many open files");
	pid = fault.pid;
	ASSERT(pid > 0);
	ASSERT_EQ(fault.fail, 0);
	if (spare) {
		/* Nothing waited for it on the loop. */
		ASSERT_EQ(lf_state(pid), 0);
		ASSERT_OK(kill(pid, SIGKILL));
	}
	/* The executor reaps it, on the loop. */
	while (lf_state(pid) != 2 && uv_hrtime() < end)
		uv_run(&l.loop, UV_RUN_ONCE);
	ASSERT_EQ(lf_state(pid), 2);
	l.e->ops->close(l.e, lt_closed, &closed);
	uv_run(&l.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&l.loop));
}

TEST(no_pidfd_fails_the_task_and_reaps_the_child)
{
	lf_run(1, false);
}

TEST(unwatched_child_fails_the_task_and_is_reaped)
{
	lf_run(2, false);
}

TEST(reaping_a_child_on_an_error_path_does_not_hold_the_loop)
{
	lf_run(1, true);
	lf_run(2, true);
}
