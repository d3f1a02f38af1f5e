/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The daemon process plumbing: signals sent to a real child process, the
 * log file and its reopening, the pid file's exclusivity and the check
 * that the loop closed cleanly.
 */
#include "pogo/compat.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/log.h"
#include "pogo/proc.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

static char tmpdir[64];

static void
tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pogo-test-proc-XXXXXX");
	ASSERT(mkdtemp(tmpdir) != NULL);
}

static char *
tmp_path(const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

static void
tmp_cleanup(void)
{
	static const char *names[] = { "pid", "log", "log.1", "pid.old",
		"target" };
	char *p;
	size_t i;

	for (i = 0; i < POGO_NELEM(names); i++) {
		p = tmp_path(names[i]);
		unlink(p);
		free(p);
	}
	rmdir(tmpdir);
}

/* Does file contain text?  Polls for at most 10 s. */
static bool
wait_for_text(const char *path, const char *text)
{
	char *buf;
	size_t len;
	int i;
	bool found;

	for (i = 0; i < 1000; i++) {
		if (pogo_str_read_file(path, 1 << 20, &buf, &len) == 0) {
			found = strstr(buf, text) != NULL;
			free(buf);
			if (found)
				return true;
		}
		harness_nap_ms(10);
	}
	return false;
}

/* The child: a "role" that is one repeating timer, closed on stop. */
static uv_timer_t child_timer;

static void
child_timer_cb(uv_timer_t *t)
{
}

static void
child_stop_cb(struct pogo_proc *p, int signum, void *arg)
{
	uv_close((uv_handle_t *)&child_timer, NULL);
}

static POGO_NORETURN void
child_main(const char *pid_file, const char *log_file)
{
	struct pogo_proc_opts opts = { .log_file = log_file,
		.pid_file = pid_file,
		.stop = child_stop_cb };
	struct pogo_proc *p;
	char *cause;

	/* A failed test must not leave this child running. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(5);
	pogo_log_set_role("test");
	if (pogo_proc_new(&opts, &p, &cause) != 0)
		_exit(4);
	uv_timer_init(pogo_proc_loop(p), &child_timer);
	uv_timer_start(&child_timer, child_timer_cb, 50, 50);
	log_info("started");
	pogo_proc_run(p);
	log_info("loop ended");
	_exit(pogo_proc_free(p) == 0 ? 0 : 3);
}

static int
wait_child(pid_t pid)
{
	int i, status;

	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		harness_nap_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* Start a child daemon; returns once its pid file and log show it. */
static pid_t
child_start(const char *pid_file, const char *log_file)
{
	char *want;
	pid_t pid;

	ASSERT((pid = fork()) >= 0);
	if (pid == 0)
		child_main(pid_file, log_file);
	xasprintf(&want, "%ld\n", (long)pid);
	ASSERT(wait_for_text(pid_file, want));
	free(want);
	ASSERT(wait_for_text(log_file, " I started\n"));
	return pid;
}

struct pool_mask {
	int chld, term, segv; /* 1: blocked in a pool thread */
};

static void
pool_mask_work(uv_work_t *req)
{
	struct pool_mask *m = req->data;
	sigset_t cur;

	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	m->chld = sigismember(&cur, SIGCHLD);
	m->term = sigismember(&cur, SIGTERM);
	m->segv = sigismember(&cur, SIGSEGV);
}

static void
pool_mask_done(uv_work_t *req, int status)
{
	ASSERT_EQ(status, 0);
}

/*
 * The pool's threads never take the process's signals (a worker's SIGCHLD
 * goes to the loop thread), a fault's excepted; the loop thread's mask is
 * as it was.  (No other test here uses the pool before this one.)
 */
TEST(pool_threads_block_signals)
{
	struct pool_mask m = { -1, -1, -1 };
	sigset_t cur;
	uv_work_t req;
	uv_loop_t loop;
	int i;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	pogo_proc_pool_start(&loop);
	pogo_proc_pool_start(&loop);
	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, NULL, &cur), 0);
	ASSERT_EQ(sigismember(&cur, SIGCHLD), 0);
	ASSERT_EQ(sigismember(&cur, SIGTERM), 0);
	/* Each of the pool's threads, whichever takes the work. */
	for (i = 0; i < 16; i++) {
		m.chld = m.term = m.segv = -1;
		req.data = &m;
		ASSERT_EQ(
		    uv_queue_work(&loop, &req, pool_mask_work, pool_mask_done),
		    0);
		ASSERT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
		ASSERT_EQ(m.chld, 1);
		ASSERT_EQ(m.term, 1);
		ASSERT_EQ(m.segv, 0);
	}
	ASSERT_OK(pogo_proc_loop_close(&loop));
}

TEST(signals_child)
{
	struct pogo_proc_opts opts = { 0 };
	struct pogo_proc *p = NULL;
	char *pid_file, *log_file, *log_old, *want, *cause = NULL, *buf;
	struct stat st;
	size_t len;
	pid_t pid;

	tmp_setup();
	pid_file = tmp_path("pid");
	log_file = tmp_path("log");
	log_old = tmp_path("log.1");
	pid = child_start(pid_file, log_file);

	/* The log line format of SPEC 12.6. */
	ASSERT_OK(pogo_str_read_file(log_file, 1 << 20, &buf, &len));
	xasprintf(&want, "Z test[%ld] I started\n", (long)pid);
	ASSERT(len > 24 && buf[4] == '-' && buf[10] == 'T' && buf[19] == '.');
	ASSERT_MEM_EQ(buf + 23, want, strlen(want));
	free(want);
	free(buf);

	/* A second daemon on the same pid file refuses to start. */
	opts.pid_file = pid_file;
	ASSERT_EQ(pogo_proc_new(&opts, &p, &cause), POGO_ERR_STATE);
	ASSERT_NULL(p);
	xasprintf(&want, "pid file %s: pogo is already running as pid %ld",
	    pid_file, (long)pid);
	ASSERT_STR_EQ(cause, want);
	free(want);
	free(cause);

	/* SIGUSR2 raises the level, wrapping from debug3 to info. */
	kill(pid, SIGUSR2);
	ASSERT(wait_for_text(log_file, "I SIGUSR2: log level debug\n"));
	kill(pid, SIGUSR2);
	ASSERT(wait_for_text(log_file, "SIGUSR2: log level debug2\n"));
	kill(pid, SIGUSR2);
	ASSERT(wait_for_text(log_file, "SIGUSR2: log level debug3\n"));
	kill(pid, SIGUSR2);
	ASSERT(wait_for_text(log_file, "I SIGUSR2: log level info\n"));

	/* SIGHUP reopens the log file by name (logrotate's move). */
	ASSERT_EQ(rename(log_file, log_old), 0);
	kill(pid, SIGHUP);
	ASSERT(wait_for_text(log_file, "I SIGHUP: log file reopened\n"));
	ASSERT(wait_for_text(log_old, "log level info\n"));

	/* SIGTERM: a graceful stop, a clean loop, the pid file removed. */
	kill(pid, SIGTERM);
	ASSERT_EQ(wait_child(pid), 0);
	ASSERT(wait_for_text(log_file, "I SIGTERM: stopping\n"));
	ASSERT(wait_for_text(log_file, "I loop ended\n"));
	ASSERT(stat(pid_file, &st) != 0 && errno == ENOENT);
	free(pid_file);
	free(log_file);
	free(log_old);
	tmp_cleanup();
}

TEST(sigint_stops)
{
	char *pid_file, *log_file;
	pid_t pid;

	tmp_setup();
	pid_file = tmp_path("pid");
	log_file = tmp_path("log");
	pid = child_start(pid_file, log_file);
	kill(pid, SIGINT);
	ASSERT_EQ(wait_child(pid), 0);
	ASSERT(wait_for_text(log_file, "I SIGINT: stopping\n"));
	ASSERT(access(pid_file, F_OK) != 0);
	free(pid_file);
	free(log_file);
	tmp_cleanup();
}

/* A pid file left by a process that is gone is replaced. */
TEST(pidfile_stale)
{
	struct pogo_proc_opts opts = { 0 };
	struct pogo_proc *p = NULL;
	char *pid_file, *cause = NULL, *want;
	FILE *f;
	pid_t dead;

	tmp_setup();
	pid_file = tmp_path("pid");
	ASSERT((dead = fork()) >= 0);
	if (dead == 0)
		_exit(0);
	ASSERT_EQ(wait_child(dead), 0);
	ASSERT((f = fopen(pid_file, "w")) != NULL);
	fprintf(f, "%ld\n", (long)dead);
	fclose(f);
	opts.pid_file = pid_file;
	pogo_log_level = POGO_LOG_ERROR; /* the warning is expected */
	ASSERT_OK(pogo_proc_new(&opts, &p, &cause));
	pogo_log_level = POGO_LOG_INFO;
	xasprintf(&want, "%ld\n", (long)getpid());
	ASSERT(wait_for_text(pid_file, want));
	free(want);
	ASSERT_OK(pogo_proc_free(p));
	ASSERT(access(pid_file, F_OK) != 0);
	free(pid_file);
	tmp_cleanup();
}

/*
 * Two daemons on one pid file (two real processes): while A runs, the
 * file's content may be stale (B read it before A wrote its pid); B must
 * still refuse, because A holds the file's lock.
 */
TEST(pidfile_locked_stale_content)
{
	struct pogo_proc_opts opts = { 0 };
	struct pogo_proc *p = NULL;
	char *pid_file, *log_file, *want, *cause = NULL;
	FILE *f;
	pid_t a, dead;
	int r;

	tmp_setup();
	pid_file = tmp_path("pid");
	log_file = tmp_path("log");
	ASSERT((dead = fork()) >= 0);
	if (dead == 0)
		_exit(0);
	ASSERT_EQ(wait_child(dead), 0);
	a = child_start(pid_file, log_file);
	/* The same file now names a pid that is gone. */
	ASSERT((f = fopen(pid_file, "r+")) != NULL);
	fprintf(f, "%ld\n", (long)dead);
	fclose(f);
	opts.pid_file = pid_file;
	pogo_log_level = POGO_LOG_ERROR;
	r = pogo_proc_new(&opts, &p, &cause);
	pogo_log_level = POGO_LOG_INFO;
	if (r == 0)
		pogo_proc_free(p);
	ASSERT_EQ(r, POGO_ERR_STATE);
	ASSERT_NULL(p);
	xasprintf(&want, "pid file %s: pogo is already running as pid %ld",
	    pid_file, (long)dead);
	ASSERT_STR_EQ(cause, want);
	free(want);
	free(cause);
	kill(a, SIGTERM);
	ASSERT_EQ(wait_child(a), 0);
	ASSERT(access(pid_file, F_OK) != 0);
	free(pid_file);
	free(log_file);
	tmp_cleanup();
}

/* At exit a daemon removes its pid file only if the path is still its. */
TEST(pidfile_replaced_kept)
{
	char *pid_file, *pid_old, *log_file, *buf;
	size_t len;
	FILE *f;
	pid_t a;

	tmp_setup();
	pid_file = tmp_path("pid");
	pid_old = tmp_path("pid.old");
	log_file = tmp_path("log");
	a = child_start(pid_file, log_file);
	ASSERT_EQ(rename(pid_file, pid_old), 0);
	ASSERT((f = fopen(pid_file, "w")) != NULL);
	fputs("4242\n", f);
	fclose(f);
	kill(a, SIGTERM);
	ASSERT_EQ(wait_child(a), 0);
	ASSERT_OK(pogo_str_read_file(pid_file, 64, &buf, &len));
	ASSERT_STR_EQ(buf, "4242\n");
	free(buf);
	free(pid_file);
	free(pid_old);
	free(log_file);
	tmp_cleanup();
}

/* Neither the log file nor the pid file follows a symbolic link. */
TEST(symlinks_refused)
{
	static const char *what[] = { "log file", "pid file" };
	struct pogo_proc_opts opts = { 0 };
	struct pogo_proc *p = NULL;
	char *link, *target, *cause = NULL, *want;
	size_t i;

	tmp_setup();
	link = tmp_path("log");
	target = tmp_path("target");
	ASSERT_EQ(symlink(target, link), 0);
	for (i = 0; i < POGO_NELEM(what); i++) {
		opts.log_file = i == 0 ? link : NULL;
		opts.pid_file = i == 1 ? link : NULL;
		ASSERT(pogo_proc_new(&opts, &p, &cause) != 0);
		ASSERT_NULL(p);
		xasprintf(&want,
		    "%s %s: is a symbolic link; pogo does not follow it",
		    what[i], link);
		ASSERT_STR_EQ(cause, want);
		free(want);
		free(cause);
		ASSERT(access(target, F_OK) != 0);
	}
	free(link);
	free(target);
	tmp_cleanup();
}

/* A file that no process holds is replaced, whatever it says. */
TEST(pidfile_garbage)
{
	struct pogo_proc_opts opts = { 0 };
	struct pogo_proc *p = NULL;
	char *pid_file, *cause = NULL, *want, *buf;
	size_t len;
	FILE *f;

	tmp_setup();
	pid_file = tmp_path("pid");
	ASSERT((f = fopen(pid_file, "w")) != NULL);
	fputs("hello, this is a long line of garbage\n", f);
	fclose(f);
	opts.pid_file = pid_file;
	pogo_log_level = POGO_LOG_ERROR; /* the warning is expected */
	ASSERT_OK(pogo_proc_new(&opts, &p, &cause));
	pogo_log_level = POGO_LOG_INFO;
	xasprintf(&want, "%ld\n", (long)getpid());
	ASSERT_OK(pogo_str_read_file(pid_file, 64, &buf, &len));
	ASSERT_STR_EQ(buf, want); /* truncated: nothing of the old text */
	free(buf);
	free(want);
	ASSERT_OK(pogo_proc_free(p));
	ASSERT(access(pid_file, F_OK) != 0);
	free(pid_file);
	tmp_cleanup();
}

TEST(pidfile_bad_dir)
{
	struct pogo_proc_opts opts = { .pid_file = "/nonexistent/dir/p.pid" };
	struct pogo_proc *p = NULL;
	char *cause = NULL;

	ASSERT(pogo_proc_new(&opts, &p, &cause) != 0);
	ASSERT_NULL(p);
	ASSERT_STR_EQ(cause,
	    "pid file /nonexistent/dir/p.pid: No such file or directory");
	free(cause);
	opts.pid_file = NULL;
	opts.log_file = "/nonexistent/dir/log";
	ASSERT(pogo_proc_new(&opts, &p, &cause) != 0);
	ASSERT_STR_EQ(
	    cause, "log file /nonexistent/dir/log: No such file or directory");
	free(cause);
}

/* A handle left open is found, reported, closed. */
TEST(loop_closed_cleanly)
{
	struct pogo_proc_opts opts = { 0 };
	struct pogo_proc *p = NULL;
	uv_timer_t t;
	char *cause = NULL;

	ASSERT_OK(pogo_proc_new(&opts, &p, &cause));
	ASSERT_OK(pogo_proc_run(p)); /* nothing referenced: returns */
	ASSERT_OK(pogo_proc_free(p));

	ASSERT_OK(pogo_proc_new(&opts, &p, &cause));
	uv_timer_init(pogo_proc_loop(p), &t);
	uv_timer_start(&t, child_timer_cb, 60000, 0);
	pogo_log_level = -1; /* the error line is expected */
	ASSERT_EQ(pogo_proc_free(p), POGO_ERR_STATE);
	pogo_log_level = POGO_LOG_INFO;
}

TEST(log_level_cycle)
{
	pogo_log_level = POGO_LOG_WARN;
	ASSERT_EQ(pogo_log_cycle_level(), POGO_LOG_INFO);
	ASSERT_EQ(pogo_log_cycle_level(), POGO_LOG_DEBUG);
	ASSERT_EQ(pogo_log_cycle_level(), POGO_LOG_DEBUG2);
	ASSERT_EQ(pogo_log_cycle_level(), POGO_LOG_DEBUG3);
	ASSERT_EQ(pogo_log_cycle_level(), POGO_LOG_INFO);
	ASSERT_STR_EQ(pogo_log_level_name(POGO_LOG_DEBUG2), "debug2");
	pogo_log_level = POGO_LOG_INFO;
}
