/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Pid files of running local tasks (SPEC 9.10; pidfile.h).  Writes and
 * removals run in libuv's thread pool; the reaping at start is
 * synchronous, before the loop runs.
 */
#include "pogo/compat.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/pidfile.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

#define PIDFILE_MAX 256
#define PIDFILE_NAME 180 /* bytes of a task id's file name, before ".pid" */

struct pogo_pidfile {
	uv_work_t work;
	char *path;
	pid_t pgid;
	int err;      /* of the write, in the thread */
	bool written; /* the write's after-work ran */
	bool remove;  /* removal asked for */
	void (*written_cb)(void *);
	void *written_arg;
	void (*done)(void *);
	void *arg;
};

unsigned long long
pogo_pidfile_starttime(pid_t pid)
{
	char path[64], *buf = NULL, *p;
	unsigned long long v = 0;
	size_t len;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (pogo_str_read_file(path, 4096, &buf, &len) != 0)
		return 0;
	/* After the command name, which may hold spaces and ')'. */
	if ((p = strrchr(buf, ')')) != NULL) {
		/* Field 3 follows ") "; the start time is field 22. */
		for (i = 2; i < 22 && p != NULL; i++)
			p = strchr(p + 1, ' ');
		if (p != NULL)
			v = strtoull(p + 1, NULL, 10);
	}
	free(buf);
	return v;
}

/* The boot's id into out (37 bytes), or "-" when it cannot be read. */
static void
pidfile_boot_id(char out[37])
{
	char *buf = NULL;
	size_t len;

	snprintf(out, 37, "-");
	if (pogo_str_read_file(
	        "/proc/sys/kernel/random/boot_id", 64, &buf, &len) != 0)
		return;
	if (len >= 36) {
		memcpy(out, buf, 36);
		out[36] = '\0';
	}
	free(buf);
}

static void
pidfile_write_work(uv_work_t *req)
{
	struct pogo_pidfile *pf = req->data;
	char line[PIDFILE_MAX], boot[37];
	size_t n, off = 0;
	ssize_t w;
	int fd;

	pidfile_boot_id(boot);
	n = (size_t)snprintf(line, sizeof(line), "%ld %llu %ld %llu %s\n",
	    (long)pf->pgid, pogo_pidfile_starttime(pf->pgid), (long)getpid(),
	    pogo_pidfile_starttime(getpid()), boot);
	fd = open(pf->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		pf->err = -errno;
		return;
	}
	while (off < n) {
		if ((w = write(fd, line + off, n - off)) < 0) {
			if (errno == EINTR)
				continue;
			pf->err = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0 && pf->err == 0)
		pf->err = -errno;
}

static void
pidfile_unlink_work(uv_work_t *req)
{
	struct pogo_pidfile *pf = req->data;

	(void)unlink(pf->path);
}

static void
pidfile_unlinked(uv_work_t *req, int status)
{
	struct pogo_pidfile *pf = req->data;

	if (pf->done != NULL)
		pf->done(pf->arg);
	free(pf->path);
	free(pf);
}

static void
pidfile_start_unlink(struct pogo_pidfile *pf)
{
	uv_loop_t *loop = pf->work.loop;

	int r;

	/* Fails only without a work callback. */
	if ((r = uv_queue_work(
	         loop, &pf->work, pidfile_unlink_work, pidfile_unlinked)) != 0)
		POGO_BUG("uv_queue_work: %s", uv_strerror(r));
}

static void
pidfile_written(uv_work_t *req, int status)
{
	struct pogo_pidfile *pf = req->data;

	pf->written = true;
	if (pf->err != 0)
		log_warn("cannot write %s: %s (a worker killed now would "
		         "leave its task running)",
		    pf->path, strerror(-pf->err));
	if (pf->written_cb != NULL)
		pf->written_cb(pf->written_arg);
	if (pf->remove)
		pidfile_start_unlink(pf);
}

struct pogo_pidfile *
pogo_pidfile_new(uv_loop_t *loop, const char *dir, const char *name, pid_t pgid,
    void (*written)(void *arg), void *arg)
{
	struct pogo_pidfile *pf = xcalloc(1, sizeof(*pf));
	char safe[PIDFILE_NAME + 24];
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	size_t i, o = 0;
	int r;

	/*
	 * The name is a task id from the network: never a path, and two ids
	 * never share a file.  Bytes other than [A-Za-z0-9_.:-] and a leading
	 * '.' become %XX; a long name keeps its start and gets its hash.
	 */
	for (i = 0; name[i] != '\0'; i++) {
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
		if (o >= PIDFILE_NAME)
			continue;
		if ((isalnum((unsigned char)name[i]) ||
		        strchr("_:-", name[i]) != NULL ||
		        (name[i] == '.' && i > 0)))
			safe[o++] = name[i];
		else
			o += (size_t)snprintf(safe + o, sizeof(safe) - o,
			    "%%%02X", (unsigned char)name[i]);
	}
	if (o >= PIDFILE_NAME)
		o = PIDFILE_NAME +
		    (size_t)snprintf(safe + PIDFILE_NAME,
		        sizeof(safe) - PIDFILE_NAME, "%%%016llx",
		        (unsigned long long)h);
	safe[o] = '\0';
	xasprintf(&pf->path, "%s/%s.pid", dir, o == 0 ? "%" : safe);
	pf->pgid = pgid;
	pf->written_cb = written;
	pf->written_arg = arg;
	pf->work.data = pf;
	/* Fails only without a work callback. */
	if ((r = uv_queue_work(
	         loop, &pf->work, pidfile_write_work, pidfile_written)) != 0)
		POGO_BUG("uv_queue_work: %s", uv_strerror(r));
	return pf;
}

void
pogo_pidfile_remove(struct pogo_pidfile *pf, void (*done)(void *), void *arg)
{
	pf->done = done;
	pf->arg = arg;
	pf->remove = true;
	if (pf->written)
		pidfile_start_unlink(pf);
}

/* Is pid running and started at start (ticks since boot)? */
static bool
pidfile_alive(pid_t pid, unsigned long long start)
{
	return pid > 0 && start != 0 && pogo_pidfile_starttime(pid) == start;
}

/* One leftover file: returns 1 when a group was signalled. */
static int
pidfile_reap_one(const char *dir, const char *name, const char *boot)
{
	char *path = NULL, *buf = NULL, fboot[64];
	unsigned long long start, wstart, now;
	long pgid, wpid;
	size_t len;
	int n = 0;

	xasprintf(&path, "%s/%s", dir, name);
	if (pogo_str_read_file(path, PIDFILE_MAX, &buf, &len) != 0)
		goto out;
	if (sscanf(buf, "%ld %llu %ld %llu %63s", &pgid, &start, &wpid, &wstart,
	        fboot) != 5 ||
	    pgid <= 1 || wpid <= 0) {
		log_warn("%s: not a pid file of pogo's; removed", path);
		goto remove;
	}
	/* A running worker's task: not ours to touch. */
	if ((strcmp(fboot, boot) == 0 || strcmp(boot, "-") == 0 ||
	        strcmp(fboot, "-") == 0) &&
	    pidfile_alive((pid_t)wpid, wstart))
		goto out;
	if (strcmp(fboot, boot) != 0)
		goto remove; /* another boot: nothing of it runs */
	/* Without the boot or the leader's start time, nothing is proven. */
	if (strcmp(boot, "-") == 0 || start == 0) {
		log_warn("%s: cannot tell whether process group %ld is the "
		         "task's; not signalled, removed",
		    path, pgid);
		goto remove;
	}
	now = pogo_pidfile_starttime((pid_t)pgid);
	/* A live process with the group's id is its leader, or a reuse. */
	if (now != 0 && now != start)
		goto remove;
	if (kill(-(pid_t)pgid, SIGKILL) == 0) {
		log_warn("killed process group %ld, left running by a worker "
		         "that ended (%s)",
		    pgid, path);
		n = 1;
	}
remove:
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
out:
	free(buf);
	free(path);
	return n;
}

int
pogo_pidfile_reap(const char *dir, char **cause)
{
	char boot[37];
	struct dirent *de;
	size_t len;
	DIR *d;
	int n = 0, e;

	*cause = NULL;
	if ((d = opendir(dir)) == NULL) {
		if ((e = errno) == ENOENT)
			return 0;
		xasprintf(cause, "cannot read %s: %s", dir, strerror(e));
		return -e;
	}
	pidfile_boot_id(boot);
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".pid") == 0)
			n += pidfile_reap_one(dir, de->d_name, boot);
	}
	closedir(d);
	return n;
}
