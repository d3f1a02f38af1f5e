/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/pidfile.c (SPEC 9.10): a file written while a task
 * runs and gone after, its content, a task id that is not a file name,
 * and the reaping at a worker's start: the group of a worker that is
 * gone is killed, a running worker's task and a group from another boot
 * are left alone, a reused id is not signalled, junk is removed.
 */
#include "pogo/compat.h"

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/pidfile.h"
#include "pogo/proc.h"
#include "pogo/str.h"

#define PF_MANY 64

static char pf_dir[64];

static void
pf_mkdir(void)
{
	snprintf(pf_dir, sizeof(pf_dir), "/tmp/pogo-pf-XXXXXX");
	ASSERT(mkdtemp(pf_dir) != NULL);
}

static void
pf_rmdir(void)
{
	char path[384];
	struct dirent *de;
	DIR *d;

	ASSERT((d = opendir(pf_dir)) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", pf_dir, de->d_name);
		ASSERT_EQ(unlink(path), 0);
	}
	closedir(d);
	ASSERT_EQ(rmdir(pf_dir), 0);
}

/* A process group of its own running sleep: returns its id. */
static pid_t
pf_group(void)
{
	pid_t pid;
	int i;

	if ((pid = fork()) == 0) {
		setsid();
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	ASSERT(pid > 0);
	/* A group only once the child's setsid() ran (a loaded machine). */
	for (i = 0; i < 1000 && getpgid(pid) != pid; i++)
		uv_sleep(10);
	ASSERT_EQ(getpgid(pid), pid);
	return pid;
}

/* Did pid die (reaped here) within 10 s? */
static bool
pf_died(pid_t pid)
{
	int i, st;

	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
		uv_sleep(10);
	}
	return false;
}

static void pf_write(const char *name, const char *fmt, ...)
    POGO_PRINTFLIKE(2, 3);

static void
pf_write(const char *name, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pf_dir, name);
	ASSERT((f = fopen(path, "w")) != NULL);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ASSERT_EQ(fclose(f), 0);
}

static bool
pf_exists(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", pf_dir, name);
	return access(path, F_OK) == 0;
}

static void
pf_boot(char out[64])
{
	char *buf = NULL;
	size_t len;

	ASSERT_OK(pogo_str_read_file(
	    "/proc/sys/kernel/random/boot_id", 64, &buf, &len));
	snprintf(out, 64, "%.36s", buf);
	free(buf);
}

static void
pf_removed(void *arg)
{
	(*(int *)arg)++;
}

TEST(written_while_running_then_removed)
{
	struct pogo_pidfile *pf;
	char path[128], *buf = NULL, boot[64], want[256];
	struct pogo_pidfile_dir *d;
	uv_loop_t loop;
	size_t len;
	int removed = 0, written = 0, i;

	pf_mkdir();
	pf_boot(boot);
	ASSERT_OK(pogo_proc_loop_init(&loop));
	d = pogo_pidfile_dir_new(&loop, pf_dir);
	pf = pogo_pidfile_new(d, "one-7", getpid(), pf_removed, &written);
	snprintf(path, sizeof(path), "%s/one-7.pid", pf_dir);
	for (i = 0; i < 1000 && access(path, F_OK) != 0; i++)
		uv_run(&loop, UV_RUN_ONCE);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(written, 1);
	ASSERT_OK(pogo_str_read_file(path, 256, &buf, &len));
	snprintf(want, sizeof(want), "%ld %llu %ld %llu %s\n", (long)getpid(),
	    pogo_pidfile_starttime(getpid()), (long)getpid(),
	    pogo_pidfile_starttime(getpid()), boot);
	ASSERT_STR_EQ(buf, want);
	free(buf);
	pogo_pidfile_remove(pf, pf_removed, &removed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(removed, 1);
	ASSERT(access(path, F_OK) != 0);
	pogo_pidfile_dir_free(d);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	pf_rmdir();
}

/* Removed before the write was done: written, then removed, once. */
TEST(removed_at_once)
{
	struct pogo_pidfile *pf;
	struct pogo_pidfile_dir *d;
	uv_loop_t loop;
	int removed = 0;

	pf_mkdir();
	ASSERT_OK(pogo_proc_loop_init(&loop));
	d = pogo_pidfile_dir_new(&loop, pf_dir);
	pf = pogo_pidfile_new(d, "../../x/y", getpid(), NULL, NULL);
	pogo_pidfile_remove(pf, pf_removed, &removed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(removed, 1);
	ASSERT(!pf_exists("%2E.%2F..%2Fx%2Fy.pid"));
	pogo_pidfile_dir_free(d);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	pf_rmdir();
}

/* A task id is a name in the directory, never a path. */
TEST(task_id_is_not_a_path)
{
	struct pogo_pidfile *pf;
	struct pogo_pidfile_dir *d;
	uv_loop_t loop;
	int removed = 0;

	pf_mkdir();
	ASSERT_OK(pogo_proc_loop_init(&loop));
	d = pogo_pidfile_dir_new(&loop, pf_dir);
	pf = pogo_pidfile_new(d, "../../x/y", getpid(), NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT(pf_exists("%2E.%2F..%2Fx%2Fy.pid"));
	pogo_pidfile_remove(pf, pf_removed, &removed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT(!pf_exists("%2E.%2F..%2Fx%2Fy.pid"));
	pogo_pidfile_dir_free(d);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	pf_rmdir();
}

/* The names in pf_dir, ". and .." left out, sorted, space-separated. */
static void
pf_list(char *out, size_t size)
{
	char names[16][64];
	struct dirent *de;
	size_t n = 0, i, o = 0;
	DIR *d;

	ASSERT((d = opendir(pf_dir)) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		ASSERT(n < 16 && strlen(de->d_name) < sizeof(names[0]));
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]),
	    (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(
		    out + o, size - o, "%s%s", i > 0 ? " " : "", names[i]);
}

/*
 * An ended task's file is renamed for the next task's, not deleted and
 * created again (the file system's inode allocation cost ext4 about 0.1 ms
 * a task): a second link to the first file, which keeps its inode from
 * being freed, is the second task's file.  The reused file holds the new,
 * shorter line only, and the spare goes with the directory.
 */
TEST(ended_tasks_files_are_reused)
{
	char path[128], keep[128], *buf = NULL, boot[64], want[256];
	char names[256];
	struct pogo_pidfile *pf;
	struct pogo_pidfile_dir *d;
	struct stat a, b;
	uv_loop_t loop;
	int removed = 0;
	size_t len;

	pf_mkdir();
	pf_boot(boot);
	ASSERT_OK(pogo_proc_loop_init(&loop));
	d = pogo_pidfile_dir_new(&loop, pf_dir);
	pf = pogo_pidfile_new(d, "first", getpid(), NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	snprintf(path, sizeof(path), "%s/first.pid", pf_dir);
	snprintf(keep, sizeof(keep), "%s/keep", pf_dir);
	ASSERT_EQ(link(path, keep), 0);
	ASSERT_EQ(stat(keep, &a), 0);
	pogo_pidfile_remove(pf, pf_removed, &removed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(removed, 1);
	ASSERT(!pf_exists("first.pid"));
	/* Process group 1: a line shorter than the first file's. */
	pf = pogo_pidfile_new(d, "second", 1, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	snprintf(path, sizeof(path), "%s/second.pid", pf_dir);
	ASSERT_EQ(stat(path, &b), 0);
	ASSERT_EQ(a.st_ino, b.st_ino);
	ASSERT_OK(pogo_str_read_file(path, 256, &buf, &len));
	snprintf(want, sizeof(want), "1 %llu %ld %llu %s\n",
	    pogo_pidfile_starttime(1), (long)getpid(),
	    pogo_pidfile_starttime(getpid()), boot);
	ASSERT_STR_EQ(buf, want);
	free(buf);
	pogo_pidfile_remove(pf, pf_removed, &removed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(removed, 2);
	pogo_pidfile_dir_free(d);
	pf_list(names, sizeof(names));
	ASSERT_STR_EQ(names, "keep");
	ASSERT_OK(pogo_proc_loop_close(&loop));
	pf_rmdir();
}

/* Two task ids, two files, whatever bytes they hold or their length. */
TEST(task_ids_never_share_a_file)
{
	struct pogo_pidfile *pf[4];
	char a[300], b[300];
	struct dirent *de;
	struct pogo_pidfile_dir *d;
	uv_loop_t loop;
	int removed = 0, n = 0, i;
	DIR *dp;

	pf_mkdir();
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'b';
	ASSERT_OK(pogo_proc_loop_init(&loop));
	d = pogo_pidfile_dir_new(&loop, pf_dir);
	pf[0] = pogo_pidfile_new(d, "x/y", getpid(), NULL, NULL);
	pf[1] = pogo_pidfile_new(d, "x_y", getpid(), NULL, NULL);
	pf[2] = pogo_pidfile_new(d, a, getpid(), NULL, NULL);
	pf[3] = pogo_pidfile_new(d, b, getpid(), NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT((dp = opendir(pf_dir)) != NULL);
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] != '.') {
			ASSERT(strlen(de->d_name) < 255);
			n++;
		}
	}
	closedir(dp);
	ASSERT_EQ(n, 4);
	ASSERT(pf_exists("x%2Fy.pid"));
	ASSERT(pf_exists("x_y.pid"));
	for (i = 0; i < 4; i++)
		pogo_pidfile_remove(pf[i], pf_removed, &removed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(removed, 4);
	pogo_pidfile_dir_free(d);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	pf_rmdir();
}

/*
 * Many tasks cost few thread-pool round trips: the files asked for while a
 * batch is under way go together in the next one, each with its own
 * content; removals too.
 */
TEST(files_go_in_batches)
{
	struct pogo_pidfile *pf[PF_MANY];
	struct pogo_pidfile_dir *d;
	char name[32], path[128], *buf = NULL, want[256], boot[64];
	unsigned long after_writes;
	uv_loop_t loop;
	int removed = 0, written = 0, i;
	pid_t g[2];
	size_t len;

	pf_mkdir();
	pf_boot(boot);
	g[0] = pf_group();
	g[1] = pf_group();
	while (pogo_pidfile_starttime(g[0]) == 0 ||
	    pogo_pidfile_starttime(g[1]) == 0)
		uv_sleep(1);
	ASSERT_OK(pogo_proc_loop_init(&loop));
	d = pogo_pidfile_dir_new(&loop, pf_dir);
	for (i = 0; i < PF_MANY; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		pf[i] =
		    pogo_pidfile_new(d, name, g[i % 2], pf_removed, &written);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(written, PF_MANY);
	/* The first alone (nothing was under way), the others together. */
	after_writes = pogo_pidfile_dir_batches(d);
	ASSERT(after_writes >= 1 && after_writes <= 2);
	for (i = 0; i < PF_MANY; i++) {
		snprintf(path, sizeof(path), "%s/t%d.pid", pf_dir, i);
		ASSERT_OK(pogo_str_read_file(path, 256, &buf, &len));
		snprintf(want, sizeof(want), "%ld %llu %ld %llu %s\n",
		    (long)g[i % 2], pogo_pidfile_starttime(g[i % 2]),
		    (long)getpid(), pogo_pidfile_starttime(getpid()), boot);
		ASSERT_STR_EQ(buf, want);
		free(buf);
	}
	for (i = 0; i < PF_MANY; i++)
		pogo_pidfile_remove(pf[i], pf_removed, &removed);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(removed, PF_MANY);
	ASSERT(pogo_pidfile_dir_batches(d) - after_writes >= 1 &&
	    pogo_pidfile_dir_batches(d) - after_writes <= 2);
	for (i = 0; i < PF_MANY; i++) {
		snprintf(name, sizeof(name), "t%d.pid", i);
		ASSERT(!pf_exists(name));
	}
	pogo_pidfile_dir_free(d);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(kill(g[i], SIGKILL), 0);
		ASSERT(pf_died(g[i]));
	}
	pf_rmdir();
}

struct pf_free_arg {
	struct pogo_pidfile_dir *d;
	int removed;
};

static void
pf_removed_free(void *arg)
{
	struct pf_free_arg *fa = arg;

	/* From within the batch's end: d goes once it is over. */
	pogo_pidfile_dir_free(fa->d);
	fa->removed++;
}

struct pf_now {
	struct pogo_pidfile *pf;
	int written, removed;
};

static void
pf_now_removed(void *arg)
{
	((struct pf_now *)arg)->removed++;
}

static void
pf_now_written(void *arg)
{
	struct pf_now *n = arg;

	n->written++;
	pogo_pidfile_remove(n->pf, pf_now_removed, n);
}

/* Removed from its written callback (a task that ended meanwhile): once. */
TEST(removed_from_written)
{
	struct pf_now n[3] = { { NULL, 0, 0 } };
	struct pogo_pidfile_dir *d;
	uv_loop_t loop;
	int i;

	pf_mkdir();
	ASSERT_OK(pogo_proc_loop_init(&loop));
	d = pogo_pidfile_dir_new(&loop, pf_dir);
	n[0].pf = pogo_pidfile_new(d, "n0", getpid(), pf_now_written, &n[0]);
	n[1].pf = pogo_pidfile_new(d, "n1", getpid(), pf_now_written, &n[1]);
	n[2].pf = pogo_pidfile_new(d, "n2", getpid(), pf_now_written, &n[2]);
	uv_run(&loop, UV_RUN_DEFAULT);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(n[i].written, 1);
		ASSERT_EQ(n[i].removed, 1);
	}
	ASSERT(!pf_exists("n0.pid"));
	ASSERT(!pf_exists("n1.pid"));
	ASSERT(!pf_exists("n2.pid"));
	pogo_pidfile_dir_free(d);
	ASSERT_OK(pogo_proc_loop_close(&loop));
	pf_rmdir();
}

/* The directory freed by its last file's removal (exec-local's close). */
TEST(dir_freed_from_the_last_removal)
{
	struct pf_free_arg fa = { NULL, 0 };
	struct pogo_pidfile *pf;
	uv_loop_t loop;

	pf_mkdir();
	ASSERT_OK(pogo_proc_loop_init(&loop));
	fa.d = pogo_pidfile_dir_new(&loop, pf_dir);
	pf = pogo_pidfile_new(fa.d, "last", getpid(), NULL, NULL);
	pogo_pidfile_remove(pf, pf_removed_free, &fa);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(fa.removed, 1);
	ASSERT(!pf_exists("last.pid"));
	ASSERT_OK(pogo_proc_loop_close(&loop));
	pf_rmdir();
}

/*
 * A group whose leader is gone proves nothing: after the task's group
 * ended, its id may name another group whose leader exited while its
 * members live (a daemon's double fork, a pipeline's first process).
 */
TEST(leaderless_group_is_not_signalled)
{
	unsigned long long me = pogo_pidfile_starttime(getpid());
	pid_t gone_worker, leader, member = 0;
	char boot[64], *cause = NULL;
	int fds[2], st;

	pf_mkdir();
	pf_boot(boot);
	if ((gone_worker = fork()) == 0)
		_exit(0);
	ASSERT(waitpid(gone_worker, &st, 0) == gone_worker);
	ASSERT_EQ(pipe(fds), 0);
	if ((leader = fork()) == 0) {
		pid_t m;

		setsid();
		if ((m = fork()) == 0) {
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		if (write(fds[1], &m, sizeof(m)) != (ssize_t)sizeof(m))
			_exit(1);
		_exit(0);
	}
	ASSERT(leader > 0);
	ASSERT_EQ(
	    read(fds[0], &member, sizeof(member)), (ssize_t)sizeof(member));
	close(fds[0]);
	close(fds[1]);
	ASSERT(waitpid(leader, &st, 0) == leader);
	ASSERT(member > 0);
	ASSERT_EQ(getpgid(member), leader);
	pf_write("t1.pid", "%ld %llu %ld %llu %s\n", (long)leader, 12345ull,
	    (long)gone_worker, me + 1, boot);
	ASSERT_EQ(pogo_pidfile_reap(pf_dir, &cause), 0);
	ASSERT(cause == NULL);
	ASSERT(!pf_exists("t1.pid"));
	ASSERT_EQ(kill(member, 0), 0);
	kill(member, SIGKILL);
	pf_rmdir();
}

TEST(reap)
{
	unsigned long long me = pogo_pidfile_starttime(getpid());
	pid_t gone_worker, orphan, mine, other_boot, reused;
	char boot[64], *cause = NULL, spare[128];
	int st;

	pf_mkdir();
	pf_boot(boot);
	/* A worker that is gone: a child reaped here. */
	if ((gone_worker = fork()) == 0)
		_exit(0);
	ASSERT(waitpid(gone_worker, &st, 0) == gone_worker);
	orphan = pf_group();
	mine = pf_group();
	other_boot = pf_group();
	reused = pf_group();
	while (pogo_pidfile_starttime(reused) == 0)
		uv_sleep(1);
	pf_write("t1.pid", "%ld %llu %ld %llu %s\n", (long)orphan,
	    pogo_pidfile_starttime(orphan), (long)gone_worker, me + 1, boot);
	/* This process plays the worker still running. */
	pf_write("t2.pid", "%ld %llu %ld %llu %s\n", (long)mine,
	    pogo_pidfile_starttime(mine), (long)getpid(), me, boot);
	pf_write("t3.pid", "%ld %llu %ld %llu %s\n", (long)other_boot,
	    pogo_pidfile_starttime(other_boot), (long)gone_worker, me + 1,
	    "00000000-0000-0000-0000-000000000000");
	/* The group's id now names a process started at another time. */
	pf_write("t4.pid", "%ld %llu %ld %llu %s\n", (long)reused,
	    pogo_pidfile_starttime(reused) - 1, (long)gone_worker, me + 1,
	    boot);
	pf_write("t5.pid", "junk\n");
	/* The leader's start time or the boot unknown: never signalled. */
	pf_write("t6.pid", "%ld %llu %ld %llu %s\n", (long)mine, 0ull,
	    (long)gone_worker, me + 1, boot);
	pf_write("t7.pid", "%ld %llu %ld %llu %s\n", (long)mine,
	    pogo_pidfile_starttime(mine), (long)gone_worker, me + 1, "-");
	pf_write("notes.txt", "%d %d\n", 1, 2);
	/*
	 * Spares (ended tasks' files kept for reuse): those of a worker that
	 * is gone are removed, never signalled, even when their group lives;
	 * a running worker's are its own.
	 */
	pf_write(".spare-1-0", "%ld %llu %ld %llu %s\n", (long)mine,
	    pogo_pidfile_starttime(mine), (long)gone_worker, me + 1, boot);
	pf_write(".spare-1-1", "junk\n");
	pf_write(".spare-2-0", "%ld %llu %ld %llu %s\n", (long)mine,
	    pogo_pidfile_starttime(mine), (long)getpid(), me, boot);
	ASSERT_EQ(pogo_pidfile_reap(pf_dir, &cause), 1);
	ASSERT(cause == NULL);
	ASSERT(pf_died(orphan));
	ASSERT(!pf_exists("t1.pid"));
	ASSERT(pf_exists("t2.pid"));
	ASSERT(!pf_exists("t3.pid"));
	ASSERT(!pf_exists("t4.pid"));
	ASSERT(!pf_exists("t5.pid"));
	ASSERT(!pf_exists("t6.pid"));
	ASSERT(!pf_exists("t7.pid"));
	ASSERT(pf_exists("notes.txt"));
	ASSERT(!pf_exists(".spare-1-0"));
	ASSERT(!pf_exists(".spare-1-1"));
	ASSERT(pf_exists(".spare-2-0"));
	snprintf(spare, sizeof(spare), "%s/.spare-2-0", pf_dir);
	ASSERT_EQ(unlink(spare), 0);
	ASSERT_EQ(kill(mine, 0), 0);
	ASSERT_EQ(kill(other_boot, 0), 0);
	ASSERT_EQ(kill(reused, 0), 0);
	kill(-mine, SIGKILL);
	kill(-other_boot, SIGKILL);
	kill(-reused, SIGKILL);
	waitpid(mine, &st, 0);
	waitpid(other_boot, &st, 0);
	waitpid(reused, &st, 0);
	/* A directory that does not exist holds nothing. */
	pf_rmdir();
	ASSERT_EQ(pogo_pidfile_reap(pf_dir, &cause), 0);
}
