/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/stub.c: the outcome mapping of SPEC 9.7, and the
 * generated script run for real by /bin/sh (dash on Debian) and, when
 * present, by bash --posix, in a session of its own as sshd would start
 * it: the exact messages, retries, the lock (live, stale, released), the
 * hooks, the attached script, the per-attempt watchdog, HUP/INT/TERM,
 * and that nothing the command started survives a timeout or a signal.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/str.h"
#include "pogo/stub.h"
#include "pogo/xmalloc.h"

#define RND "0123456789abcdef0123456789abcdef"

static char dir[256];
static char lockfile[300];

/* Run a shell command line; its exit status. */
static int
shell(const char *cmd)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
setup(void)
{
	char cmd[600];

	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s/*", dir);
		ASSERT_EQ(shell(cmd), 0);
	} else {
		snprintf(dir, sizeof(dir), "%s/pogo-test-stub.XXXXXX",
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
		ASSERT(mkdtemp(dir) != NULL);
	}
	snprintf(lockfile, sizeof(lockfile), "%s/lock", dir);
}

static char *
slurp(const char *path)
{
	char *buf = NULL;
	size_t len;

	if (pogo_str_read_file(path, 1 << 20, &buf, &len) != 0)
		return xstrdup("");
	return buf;
}

struct run {
	char *out;
	int status; /* exit status, or 128 + signal */
	double secs;
};

/*
 * Start shell ("sh" or "bash") in a new session, reading its script from a
 * pipe, stdout and stderr to the file out (of size outsize: dir/out).  With
 * traced, the child is this process's tracee and stops (SIGSTOP) before it
 * executes the shell.  Returns its pid; *to is the pipe's write end
 * (stub_feed writes the script to it).
 */
static pid_t
stub_start(const char *shell, bool traced, int *to, char *out, size_t outsize)
{
	int in[2], fd;
	pid_t pid;

	snprintf(out, outsize, "%s/out", dir);
	ASSERT_EQ(pipe(in), 0);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT(fd >= 0);
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		setsid();
		dup2(in[0], 0);
		dup2(fd, 1);
		dup2(fd, 2);
		close(in[0]);
		close(in[1]);
		close(fd);
		if (traced) {
			if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
				_exit(126);
			raise(SIGSTOP);
		}
		if (strcmp(shell, "bash") == 0)
			execlp("bash", "bash", "--posix", "-s", (char *)NULL);
		else
			execl("/bin/sh", "sh", "-s", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(fd);
	*to = in[1];
	return pid;
}

/* Write script to the stub's input (to, from stub_start) and close it. */
static void
stub_feed(int to, const char *script)
{
	ASSERT_EQ(write(to, script, strlen(script)), (ssize_t)strlen(script));
	close(to);
}

/*
 * Wait at most ticks * 10 ms for the stub pid to end, its wait status in
 * *st; if it has not ended by then, kill its session and reap it.  Returns
 * whether it ended in time.
 */
static bool
stub_wait(pid_t pid, int ticks, int *st)
{
	int i;

	for (i = 0; i < ticks; i++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return true;
		harness_nap_ms(10);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, st, 0);
	return false;
}

/*
 * Run script with shell ("sh" or "bash") in a new session, stdout and
 * stderr to a file.  With sig, send it to the stub once the output holds
 * wait_for.
 */
static struct run
run_stub(const char *shell, const char *script, int sig, const char *wait_for)
{
	struct run r = { NULL, -1, 0 };
	char out[400];
	int to, st, i;
	pid_t pid;
	double t0 = harness_now();
	char *o;

	pid = stub_start(shell, false, &to, out, sizeof(out));
	stub_feed(to, script);
	if (sig != 0) {
		for (i = 0; i < 1000; i++) {
			o = slurp(out);
			if (strstr(o, wait_for) != NULL) {
				free(o);
				break;
			}
			free(o);
			harness_nap_ms(10);
		}
		ASSERT(i < 1000);
		kill(pid, sig);
	}
	if (!stub_wait(pid, 6000, &st))
		harness_fail(__FILE__, __LINE__, "the stub did not end");
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(out);
	r.secs = harness_now() - t0;
	return r;
}

/* The last line of out (without its newline). */
static const char *
last_line(const char *out, char *buf, size_t size)
{
	size_t len = strlen(out), end, start;

	end = len > 0 && out[len - 1] == '\n' ? len - 1 : len;
	start = end;
	while (start > 0 && out[start - 1] != '\n')
		start--;
	snprintf(buf, size, "%.*s", (int)(end - start), out + start);
	return buf;
}

/* Is process pid gone (or a zombie)?  Polled for up to 3 s. */
static bool
gone(pid_t pid)
{
	char path[64], *stat;
	int i;
	bool dead = false;

	for (i = 0; i < 300 && !dead; i++) {
		if (kill(pid, 0) != 0)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		stat = slurp(path);
		dead = strstr(stat, ") Z") != NULL;
		free(stat);
		if (!dead)
			harness_nap_ms(10);
	}
	return dead;
}

static bool
have_bash(void)
{
	return access("/bin/bash", X_OK) == 0 ||
	    access("/usr/bin/bash", X_OK) == 0;
}

static struct pogo_exec_task
task(const char *cmd, unsigned timeout, const struct pogo_exec_stub *s)
{
	struct pogo_exec_task t;

	memset(&t, 0, sizeof(t));
	t.job_id = "p0000000007";
	t.task_id = "t0";
	t.host = "host1";
	t.command = cmd;
	t.timeout = timeout;
	t.stub = s;
	return t;
}

static char *
script(const struct pogo_exec_task *t)
{
	return pogo_stub_script(t, RND, lockfile);
}

TEST(needed)
{
	struct pogo_exec_stub s;

	memset(&s, 0, sizeof(s));
	ASSERT(!pogo_stub_needed(NULL));
	ASSERT(!pogo_stub_needed(&s));
	s.hook_dir = "/x"; /* the directory alone is no feature */
	ASSERT(!pogo_stub_needed(&s));
	s.retry = 1;
	ASSERT(pogo_stub_needed(&s));
	s.retry = 0;
	s.prehook = true;
	ASSERT(pogo_stub_needed(&s));
	s.prehook = false;
	s.posthook = true;
	ASSERT(pogo_stub_needed(&s));
	s.posthook = false;
	s.lock = true;
	ASSERT(pogo_stub_needed(&s));
	s.lock = false;
	s.exe_name = "a.sh";
	ASSERT(pogo_stub_needed(&s));
}

TEST(run_limit)
{
	struct pogo_exec_stub s = { .retry = 2 };
	struct pogo_exec_task t = task("true", 600, &s);

	/* (retry + 1) * (timeout + 5) + 30 (SPEC 9.10) */
	ASSERT_EQ(pogo_stub_run_limit(&t), 3 * 605 + 30);
	t.timeout = 0;
	ASSERT_EQ(pogo_stub_run_limit(&t), 0);
}

TEST(random)
{
	char a[POGO_STUB_RANDOM_HEX + 1], b[POGO_STUB_RANDOM_HEX + 1];
	size_t i;

	ASSERT_OK(pogo_stub_random(a));
	ASSERT_OK(pogo_stub_random(b));
	ASSERT_EQ(strlen(a), POGO_STUB_RANDOM_HEX);
	for (i = 0; i < POGO_STUB_RANDOM_HEX; i++)
		ASSERT(strchr("0123456789abcdef", a[i]) != NULL);
	ASSERT(strcmp(a, b) != 0);
}

/* One compound command: the definition, then the call on the last line. */
TEST(shape)
{
	struct pogo_exec_stub s = { .retry = 1, .lock = true };
	struct pogo_exec_task t = task("echo 'it''s' $HOME", 10, &s);
	char *sc = script(&t), buf[256];

	ASSERT(strncmp(sc, "pogo_stub() {\n", 14) == 0);
	ASSERT_STR_EQ(last_line(sc, buf, sizeof(buf)), "pogo_stub; exit $?");
	ASSERT(sc[strlen(sc) - 1] == '\n');
	free(sc);
}

static void
feed(struct pogo_stub_tail *tl, const char *s)
{
	pogo_stub_tail_feed(tl, s, strlen(s), true);
}

TEST(result_mapping)
{
	struct pogo_stub_tail tl;
	struct pogo_exec_result r;

	memset(&tl, 0, sizeof(tl));
	feed(&tl, "");
	pogo_stub_result(&r, &tl, 0, 0, 600);
	ASSERT_EQ(r.state, POGO_EXEC_FINISHED);
	ASSERT_EQ(r.exitstatus, 0);
	ASSERT_STR_EQ(r.msg, "ok");

	feed(&tl, "ERROR: pogo-worker died: command exited 3");
	pogo_stub_result(&r, &tl, 3, 0, 600);
	ASSERT_EQ(r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(r.exitstatus, 3);
	ASSERT_STR_EQ(r.msg, "exited with status 3");

	feed(&tl, "ERROR: pogo-worker died: command timed out");
	pogo_stub_result(&r, &tl, 254, 0, 7);
	ASSERT_EQ(r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(r.exitstatus, -1);
	ASSERT(r.timed_out);
	ASSERT_STR_EQ(r.msg, "timed out after 7 seconds");

	feed(&tl,
	    "ERROR: pogo-worker died: another pogo-worker is running "
	    "(pid 12), bailing out");
	pogo_stub_result(&r, &tl, 254, 0, 7);
	ASSERT_EQ(r.state, POGO_EXEC_FAILED);
	ASSERT_EQ(r.exitstatus, 254);
	ASSERT(!r.timed_out);
	ASSERT_STR_EQ(
	    r.msg, "another pogo-worker is running (pid 12), bailing out");

	/* "command exited 3" with another exit: a stub abort. */
	feed(&tl, "ERROR: pogo-worker died: command exited 3");
	pogo_stub_result(&r, &tl, 1, 0, 7);
	ASSERT_EQ(r.exitstatus, 254);
	ASSERT_STR_EQ(r.msg, "command exited 3");

	/* No ERROR line: SPEC 9.8. */
	feed(&tl, "some output");
	pogo_stub_result(&r, &tl, 5, 0, 7);
	ASSERT_EQ(r.exitstatus, 5);
	ASSERT_STR_EQ(r.msg, "exited with status 5");
	pogo_stub_result(&r, &tl, 0, 9, 7);
	ASSERT_EQ(r.exitstatus, 137);

	/* A line cut into partial records is put together. */
	memset(&tl, 0, sizeof(tl));
	pogo_stub_tail_feed(&tl, "ERROR: pogo-worker di", 21, false);
	pogo_stub_tail_feed(&tl, "ed: got SIGHUP", 14, true);
	ASSERT_STR_EQ(tl.line, "ERROR: pogo-worker died: got SIGHUP");
	pogo_stub_result(&r, &tl, 254, 0, 7);
	ASSERT_STR_EQ(r.msg, "got SIGHUP");
}

static void
check_retry(const char *shell)
{
	struct pogo_exec_stub s = { .retry = 1 };
	struct pogo_exec_task t = task("exit 3", 600, &s);
	char *sc = script(&t);
	struct run r = run_stub(shell, sc, 0, NULL);

	ASSERT_STR_EQ(r.out,
	    "\n"
	    "pogo-worker: loaded; retry=1, timeout=600\n"
	    "pogo-worker: command='exit 3'\n"
	    "pogo-worker: running command 'exit 3'\n"
	    "WARNING: pogo-worker: command exited 3\n"
	    "WARNING: pogo-worker: command exited 3, retry 1 of 1\n"
	    "ERROR: pogo-worker died: command exited 3\n");
	ASSERT_EQ(r.status, 3);
	/* One pause of 5 s between the two attempts. */
	ASSERT(r.secs >= 4.9);
	free(r.out);
	free(sc);
}

TEST(retry_sh)
{
	setup();
	check_retry("sh");
}

/*
 * The watchdog is stopped when an attempt ends, however fast the command
 * is: a command that ends before the watchdog's subshell has set its own
 * trap must not leave the stub waiting for the watchdog's sleep, nor be
 * called a timeout when that sleep ends.  20 runs of `true` under a
 * 30 s watchdog; each must end at once with exit 0.
 */
static void
check_watchdog_stopped(const char *shell)
{
	struct pogo_exec_stub s = { .retry = 1 };
	struct pogo_exec_task t = task("true", 30, &s);
	char *sc = script(&t);
	struct run r;
	int i, slow = 0;

	for (i = 0; i < 20; i++) {
		r = run_stub(shell, sc, 0, NULL);
		ASSERT_EQ(r.status, 0);
		ASSERT(strstr(r.out, "pogo-worker: command exit 0\n") != NULL);
		if (r.secs >= 10)
			slow++;
		free(r.out);
	}
	ASSERT_EQ(slow, 0);
	free(sc);
}

TEST(watchdog_stopped_sh)
{
	setup();
	check_watchdog_stopped("sh");
}

TEST(watchdog_stopped_bash)
{
	if (!have_bash())
		harness_skip("no bash");
	setup();
	check_watchdog_stopped("bash");
}

TEST(retry_bash)
{
	if (!have_bash())
		harness_skip("no bash");
	setup();
	check_retry("bash");
}

static void
check_success(const char *shell)
{
	struct pogo_exec_stub s = { .retry = 3 };
	struct pogo_exec_task t =
	    task("printf '%s\\n' \"$POGO_JOB_ID $POGO_HOST\" 'it'\\''s' '\\n'",
	        0, &s);
	char *sc = script(&t);
	struct run r = run_stub(shell, sc, 0, NULL);

	ASSERT_STR_EQ(r.out,
	    "\n"
	    "pogo-worker: loaded; retry=3, timeout=0\n"
	    "pogo-worker: command='printf '%s\\n' \"$POGO_JOB_ID $POGO_HOST\" "
	    "'it'\\''s' '\\n''\n"
	    "pogo-worker: running command 'printf '%s\\n' \"$POGO_JOB_ID "
	    "$POGO_HOST\" 'it'\\''s' '\\n''\n"
	    "p0000000007 host1\n"
	    "it's\n"
	    "\\n\n"
	    "pogo-worker: command exit 0\n"
	    "\n");
	ASSERT_EQ(r.status, 0);
	free(r.out);
	free(sc);
}

TEST(success_sh)
{
	setup();
	check_success("sh");
}

TEST(success_bash)
{
	if (!have_bash())
		harness_skip("no bash");
	setup();
	check_success("bash");
}

/* A retry that succeeds: the warnings, then "command exit 0". */
TEST(retry_then_success)
{
	struct pogo_exec_stub s = { .retry = 2 };
	char cmd[1024], *sc;
	struct pogo_exec_task t;
	struct run r;

	setup();
	snprintf(
	    cmd, sizeof(cmd), "test -e %s/x || { : >%s/x; exit 7; }", dir, dir);
	t = task(cmd, 0, &s);
	sc = script(&t);
	r = run_stub("sh", sc, 0, NULL);
	ASSERT(strstr(r.out,
	           "WARNING: pogo-worker: command exited 7\n"
	           "pogo-worker: command exit 0\n\n") != NULL);
	ASSERT_EQ(r.status, 0);
	free(r.out);
	free(sc);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

TEST(lock)
{
	struct pogo_exec_stub s = { .lock = true };
	struct pogo_exec_task t;
	char cmd[512], buf[256], *sc, want[128], *pidtext;
	struct run r;
	pid_t dead;
	int st;

	setup();
	/* The lock holds the stub's pid while it runs, and goes after. */
	snprintf(cmd, sizeof(cmd), "cat %s", lockfile);
	t = task(cmd, 0, &s);
	sc = script(&t);
	r = run_stub("sh", sc, 0, NULL);
	ASSERT_EQ(r.status, 0);
	ASSERT(strstr(r.out, "cleaning up") == NULL);
	ASSERT(access(lockfile, F_OK) != 0);
	pidtext = strstr(r.out, "'\n");
	ASSERT(pidtext != NULL);
	free(r.out);
	free(sc);

	/* A live process holds it: bail out, leave its lock alone. */
	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	write_file(lockfile, buf, 0644);
	t = task("echo never", 0, &s);
	sc = script(&t);
	r = run_stub("sh", sc, 0, NULL);
	snprintf(want, sizeof(want),
	    "ERROR: pogo-worker died: another pogo-worker is running (pid "
	    "%d), bailing out",
	    (int)getpid());
	ASSERT_STR_EQ(last_line(r.out, buf, sizeof(buf)), want);
	ASSERT(strstr(r.out, "\nnever\n") == NULL);
	ASSERT(strstr(r.out, "unlocking") == NULL);
	ASSERT_EQ(r.status, 254);
	ASSERT(access(lockfile, F_OK) == 0);
	free(r.out);

	/* A stale lock (a dead pid): cleaned up, the command runs. */
	dead = fork();
	if (dead == 0)
		_exit(0);
	waitpid(dead, &st, 0);
	snprintf(buf, sizeof(buf), "%d\n", (int)dead);
	write_file(lockfile, buf, 0644);
	r = run_stub("sh", sc, 0, NULL);
	ASSERT(
	    strstr(r.out,
	        "pogo-worker: cleaning up stale lockfile\n"
	        "pogo-worker: running command 'echo never'\nnever\n") != NULL);
	ASSERT_EQ(r.status, 0);
	ASSERT(access(lockfile, F_OK) != 0);
	free(r.out);
	free(sc);
}

TEST(hooks)
{
	struct pogo_exec_stub s = { .prehook = true, .posthook = true };
	struct pogo_exec_task t;
	char p[512], hd[400], want[2048], buf[512], *sc;
	struct run r;

	setup();
	snprintf(hd, sizeof(hd), "%s/hooks", dir);
	s.hook_dir = hd;
	mkdir(hd, 0755);
	snprintf(p, sizeof(p), "%s/pre.d", hd);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/post.d", hd);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/pre.d/20-b", hd);
	write_file(p, "#!/bin/sh\necho B\n", 0755);
	snprintf(p, sizeof(p), "%s/pre.d/10-a", hd);
	write_file(p, "#!/bin/sh\necho A\n", 0755);
	snprintf(p, sizeof(p), "%s/pre.d/.hidden", hd);
	write_file(p, "#!/bin/sh\necho HIDDEN\n", 0755);
	snprintf(p, sizeof(p), "%s/pre.d/30-c", hd);
	write_file(p, "#!/bin/sh\necho C\n", 0644);
	snprintf(p, sizeof(p), "%s/pre.d/Z-upper", hd);
	write_file(p, "#!/bin/sh\necho Z\n", 0755);
	snprintf(p, sizeof(p), "%s/post.d/1-post", hd);
	write_file(p, "#!/bin/sh\necho POST \"$POGO_HOST\"\n", 0755);
	t = task("echo CMD", 0, &s);
	sc = script(&t);
	r = run_stub("sh", sc, 0, NULL);
	/* Byte order: digits, then upper case ("Z" < "a" in C). */
	snprintf(want, sizeof(want),
	    "pogo-worker: command='echo CMD'\n"
	    "pogo-worker: running hook '%s/pre.d/10-a'\nA\n"
	    "pogo-worker: running hook '%s/pre.d/20-b'\nB\n"
	    "pogo-worker: running hook '%s/pre.d/Z-upper'\nZ\n"
	    "pogo-worker: running command 'echo CMD'\nCMD\n"
	    "pogo-worker: command exit 0\n"
	    "pogo-worker: running hook '%s/post.d/1-post'\nPOST host1\n\n",
	    hd, hd, hd, hd);
	ASSERT(strstr(r.out, want) != NULL);
	ASSERT(strstr(r.out, "HIDDEN") == NULL);
	ASSERT(strstr(r.out, "\nC\n") == NULL);
	ASSERT_EQ(r.status, 0);
	free(r.out);

	/* A hook that exits 4 aborts before the command. */
	snprintf(p, sizeof(p), "%s/pre.d/20-b", hd);
	write_file(p, "#!/bin/sh\nexit 4\n", 0755);
	r = run_stub("sh", sc, 0, NULL);
	snprintf(want, sizeof(want),
	    "ERROR: pogo-worker died: hook '%s/pre.d/20-b' exited 4, bailing "
	    "out",
	    hd);
	ASSERT_STR_EQ(last_line(r.out, buf, sizeof(buf)), want);
	ASSERT(strstr(r.out, "CMD") == strstr(r.out, "'echo CMD'") + 6);
	ASSERT(strstr(r.out, "running command") == NULL);
	ASSERT_EQ(r.status, 254);
	free(r.out);
	free(sc);

	/* No hook directory: nothing to run. */
	s.hook_dir = "/nonexistent/pogo";
	t = task("echo CMD", 0, &s);
	sc = script(&t);
	r = run_stub("sh", sc, 0, NULL);
	ASSERT_EQ(r.status, 0);
	ASSERT(strstr(r.out, "running hook") == NULL);
	free(r.out);
	free(sc);
}

static void
check_attach(const char *shell, const char *data, const char *cmd)
{
	struct pogo_exec_stub s = { .exe_name = "s.sh" };
	struct pogo_exec_task t = task("Attached file: s.sh", 0, &s);
	char *sc, path[64], want[4096];
	struct run r;

	setup();
	s.exe_data = data;
	sc = script(&t);
	snprintf(path, sizeof(path), "/tmp/pogo_s.sh_%.16s", RND);
	unlink(path);
	r = run_stub(shell, sc, 0, NULL);
	snprintf(want, sizeof(want),
	    "pogo-worker: command='Attached file: s.sh'\n"
	    "pogo-worker: running command '%s'\n%s"
	    "pogo-worker: command exit 0\n\n",
	    path, cmd);
	ASSERT_STR_EQ(strstr(r.out, "pogo-worker: command="), want);
	ASSERT_EQ(r.status, 0);
	ASSERT(access(path, F_OK) != 0);
	free(r.out);
	free(sc);
}

TEST(attach)
{
	char data[512], out[1024];

	/* $0 is the file; its bytes are exactly exe_data. */
	check_attach(
	    "sh", "echo \"$0\"\n", "/tmp/pogo_s.sh_0123456789abcdef\n");
	/* No final newline, quotes, and the delimiter inside the text. */
	snprintf(data, sizeof(data),
	    "cat \"$0\"; printf '%%s' 'it'\\''s'; exit 0\n"
	    "POGO_EOF_%s\n"
	    "# the end, without a newline",
	    RND);
	snprintf(out, sizeof(out), "%sit's", data);
	check_attach("sh", data, out);
	if (have_bash())
		check_attach("bash", data, out);
}

/* The attached script is created exclusively: an existing file stays. */
TEST(attach_exclusive)
{
	struct pogo_exec_stub s = { .exe_name = "s.sh",
		.exe_data = "echo x\n" };
	struct pogo_exec_task t = task("Attached file: s.sh", 0, &s);
	char *sc, path[64], buf[256], *kept;
	struct run r;

	setup();
	sc = script(&t);
	snprintf(path, sizeof(path), "/tmp/pogo_s.sh_%.16s", RND);
	write_file(path, "precious\n", 0600);
	r = run_stub("sh", sc, 0, NULL);
	ASSERT_EQ(r.status, 254);
	snprintf(buf, sizeof(buf), "ERROR: pogo-worker died: cannot create %s",
	    path);
	ASSERT(strstr(r.out, buf) != NULL);
	kept = slurp(path);
	ASSERT_STR_EQ(kept, "precious\n");
	free(kept);
	unlink(path);
	free(r.out);
	free(sc);
}

/* The command and what it started, by the pid file the command writes. */
static pid_t
child_pid(void)
{
	char path[400], *s;
	long long v = 0;

	snprintf(path, sizeof(path), "%s/pid", dir);
	s = slurp(path);
	s[strcspn(s, "\n")] = '\0';
	if (pogo_strtonum(s, 1, INT32_MAX, &v) != 0)
		v = 0;
	free(s);
	return (pid_t)v;
}

static void
check_timeout(const char *shell)
{
	struct pogo_exec_stub s = { .retry = 1, .lock = true };
	struct pogo_exec_task t;
	char cmd[1024], buf[256], *sc;
	struct run r;
	pid_t pid;

	setup();
	snprintf(cmd, sizeof(cmd),
	    "sleep 30 & echo $! >%s/pid; echo started; wait", dir);
	t = task(cmd, 1, &s);
	sc = script(&t);
	r = run_stub(shell, sc, 0, NULL);
	ASSERT_STR_EQ(last_line(r.out, buf, sizeof(buf)),
	    "ERROR: pogo-worker died: command timed out");
	ASSERT(strstr(r.out, "pogo-worker: unlocking\n") != NULL);
	/* No retry after a timeout. */
	ASSERT(strstr(r.out, "WARNING") == NULL);
	ASSERT_EQ(r.status, 254);
	ASSERT(r.secs < 15); /* the sleep is 30 s; the margin is for load */
	pid = child_pid();
	ASSERT(pid > 0);
	ASSERT(gone(pid));
	ASSERT(access(lockfile, F_OK) != 0);
	free(r.out);
	free(sc);
}

TEST(timeout_sh)
{
	check_timeout("sh");
}

TEST(timeout_bash)
{
	if (!have_bash())
		harness_skip("no bash");
	check_timeout("bash");
}

static void
check_signal(const char *shell, int sig, const char *name)
{
	struct pogo_exec_stub s = { .lock = true, .exe_name = "k.sh" };
	struct pogo_exec_task t = task("Attached file: k.sh", 0, &s);
	char data[512], buf[256], want[128], *sc, path[64];
	struct run r;
	pid_t pid;

	setup();
	snprintf(data, sizeof(data),
	    "sleep 30 & echo $! >%s/pid; echo started; wait\n", dir);
	s.exe_data = data;
	sc = script(&t);
	r = run_stub(shell, sc, sig, "started\n");
	snprintf(want, sizeof(want), "ERROR: pogo-worker died: got %s", name);
	ASSERT_STR_EQ(last_line(r.out, buf, sizeof(buf)), want);
	ASSERT(strstr(r.out, "pogo-worker: unlocking\n") != NULL);
	ASSERT_EQ(r.status, 254);
	ASSERT(r.secs < 10);
	pid = child_pid();
	ASSERT(pid > 0);
	ASSERT(gone(pid));
	ASSERT(access(lockfile, F_OK) != 0);
	snprintf(path, sizeof(path), "/tmp/pogo_k.sh_%.16s", RND);
	ASSERT(access(path, F_OK) != 0);
	free(r.out);
	free(sc);
}

TEST(signals_sh)
{
	check_signal("sh", SIGTERM, "SIGTERM");
	check_signal("sh", SIGHUP, "SIGHUP");
	check_signal("sh", SIGINT, "SIGINT");
}

TEST(signals_bash)
{
	if (!have_bash())
		harness_skip("no bash");
	check_signal("bash", SIGTERM, "SIGTERM");
	check_signal("bash", SIGHUP, "SIGHUP");
}

/* A signal during the pause between attempts acts at once. */
TEST(signal_in_pause)
{
	struct pogo_exec_stub s = { .retry = 1 };
	struct pogo_exec_task t = task("exit 2", 0, &s);
	char *sc = script(&t), buf[256];
	struct run r;

	setup();
	r = run_stub("sh", sc, SIGTERM, "command exited 2\n");
	ASSERT_STR_EQ(last_line(r.out, buf, sizeof(buf)),
	    "ERROR: pogo-worker died: got SIGTERM");
	ASSERT(r.secs < 15); /* the sleep is 30 s; the margin is for load */
	ASSERT_EQ(r.status, 254);
	free(r.out);
	free(sc);
}

/*
 * The watchdog told to stop before it ran a single instruction of its own.
 * On a loaded machine the forked watchdog subshell may not run at all
 * before the command has ended and the stub has signalled it (t5111: a
 * local `echo` under retry 2 held for the whole 77 s timeout).  A signal
 * that the stub traps (it used to be TERM) then reaches the child while it
 * still has the stub's handler, and the shell drops it when the subshell
 * resets its traps: the watchdog sleeps on, the stub waits for it, and the
 * attempt ends as "command timed out".  ptrace forces that interleaving:
 * the stub's first child, the watchdog, is held at its birth until the
 * stub's stop signal is pending on it.
 */
static void
check_watchdog_stopped_at_birth(const char *shell)
{
	struct pogo_exec_stub s = { .retry = 2 };
	struct pogo_exec_task t = task("echo hi", 20, &s);
	char *sc = script(&t), out[400], path[64], *status, *p, buf[256];
	int to, st, i;
	unsigned long msg = 0;
	pid_t pid, w, wd = -1;
	double t0;
	bool pending = false;

	setup();
	pid = stub_start(shell, true, &to, out, sizeof(out));
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFSTOPPED(st));
	ASSERT_EQ(ptrace(PTRACE_SETOPTIONS, pid, NULL,
	              (void *)(long)(PTRACE_O_TRACEFORK | PTRACE_O_EXITKILL)),
	    0);
	ASSERT_EQ(ptrace(PTRACE_CONT, pid, NULL, NULL), 0);
	stub_feed(to, sc);
	/* The stub's first fork is the watchdog of the first attempt. */
	for (i = 0; i < 100 && wd < 0; i++) {
		w = waitpid(pid, &st, 0);
		ASSERT_EQ(w, pid);
		ASSERT(WIFSTOPPED(st));
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_FORK << 8))) {
			ASSERT_EQ(
			    ptrace(PTRACE_GETEVENTMSG, pid, NULL, &msg), 0);
			wd = (pid_t)msg;
			ASSERT_EQ(ptrace(PTRACE_DETACH, pid, NULL, NULL), 0);
		} else {
			/* exec's SIGTRAP, or a signal for the stub */
			ASSERT_EQ(ptrace(PTRACE_CONT, pid, NULL,
			              (void *)(long)(WSTOPSIG(st) == SIGTRAP
			                      ? 0
			                      : WSTOPSIG(st))),
			    0);
		}
	}
	ASSERT(wd > 0);
	/* Its birth stop: it stays there while the stub goes on. */
	ASSERT_EQ(waitpid(wd, &st, __WALL), wd);
	ASSERT(WIFSTOPPED(st));
	snprintf(path, sizeof(path), "/proc/%d/status", (int)wd);
	for (i = 0; i < 1000 && !pending; i++) {
		status = slurp(path);
		p = strstr(status, "\nSigPnd:");
		pending = p != NULL && strtoull(p + 8, NULL, 16) != 0;
		p = strstr(status, "\nShdPnd:");
		pending =
		    pending || (p != NULL && strtoull(p + 8, NULL, 16) != 0);
		free(status);
		if (!pending)
			harness_nap_ms(10);
	}
	ASSERT(pending);
	/* Let it run, the stub's signal first. */
	t0 = harness_now();
	ASSERT_EQ(ptrace(PTRACE_DETACH, wd, NULL, NULL), 0);
	stub_wait(pid, 1500, &st);
	status = slurp(out);
	/* Not the watchdog's 20 s: at once (the margin is for load). */
	ASSERT(harness_now() - t0 < 10);
	ASSERT(WIFEXITED(st));
	ASSERT_EQ(WEXITSTATUS(st), 0);
	ASSERT(strstr(status, "hi\n") != NULL);
	ASSERT(strstr(status, "pogo-worker: command exit 0\n") != NULL);
	ASSERT(
	    strstr(last_line(status, buf, sizeof(buf)), "timed out") == NULL);
	ASSERT(gone(wd));
	free(status);
	free(sc);
}

TEST(watchdog_stopped_at_birth_sh)
{
	check_watchdog_stopped_at_birth("sh");
}

TEST(watchdog_stopped_at_birth_bash)
{
	if (!have_bash())
		harness_skip("no bash");
	check_watchdog_stopped_at_birth("bash");
}

TEST(cleanup)
{
	char cmd[400];

	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		ASSERT_EQ(shell(cmd), 0);
	}
}
