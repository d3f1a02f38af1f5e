/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Pid files of running local tasks (SPEC 9.10; pidfile.h).  Writes and
 * removals run in libuv's thread pool, in batches of a directory, one
 * batch at a time; the reaping at start is synchronous, before the loop
 * runs.  An ended task's file is renamed to a spare, which the next task's
 * write renames to its own name: a file system allocates and frees an
 * inode for a file created and deleted, which cost ext4 about 0.1 ms per
 * task (P4 in test/bench/README.md), a rename a tenth of it.
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
#define PIDFILE_NAME 180    /* bytes of a task id's file name, before ".pid" */
#define PROC_STAT_MAX 2048  /* /proc/PID/stat: 52 numbers and a name */
#define PIDFILE_SPARES 1024 /* spare files kept for reuse, at most */
#define PIDFILE_SPARE ".spare-" /* a spare's name: .spare-<pid>-<k> */

struct pogo_pidfile_dir {
	uv_loop_t *loop;
	uv_work_t work;
	char *dir;
	struct pogo_pidfile *queue;  /* asked for, not under way yet */
	struct pogo_pidfile **qtail; /* where the next one goes */
	struct pogo_pidfile *batch;  /* under way in the thread pool */
	size_t files;                /* not freed yet */
	unsigned long batches;
	bool busy;    /* a batch is under way */
	bool freeing; /* free once it ends */
	/*
	 * " <worker-pid> <worker-start> <boot-id>\n", made by the first
	 * batch's thread and read by the next ones' (one at a time).
	 */
	bool have_self;
	char self[96];
	/*
	 * Spares: the files .spare-<pid>-<k> for k < nspare, ended tasks'
	 * files kept for the next writes; spare_max is the highest nspare
	 * so far.  Only the batch's thread touches them, and
	 * pogo_pidfile_dir_free() once no batch is under way.
	 */
	long pid;
	unsigned nspare;
	unsigned spare_max;
};

struct pogo_pidfile {
	struct pogo_pidfile_dir *d;
	struct pogo_pidfile *next; /* on d's queue or batch */
	char *path;
	pid_t pgid;
	int err;      /* of the write, in the thread */
	bool written; /* the write's batch ended */
	bool remove;  /* removal asked for */
	void (*written_cb)(void *);
	void *written_arg;
	void (*done)(void *);
	void *arg;
};

/*
 * Read path (a /proc file, short) into buf[0..size), NUL-terminated,
 * without allocating (it runs in the thread pool too).  Returns its
 * length, or -1.
 */
static ssize_t
pidfile_read(const char *path, char *buf, size_t size)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (off < size - 1) {
		if ((n = read(fd, buf + off, size - 1 - off)) < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	buf[off] = '\0';
	return (ssize_t)off;
}

unsigned long long
pogo_pidfile_starttime(pid_t pid)
{
	char path[64], buf[PROC_STAT_MAX], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (pidfile_read(path, buf, sizeof(buf)) < 0)
		return 0;
	/* After the command name, which may hold spaces and ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return 0;
	/* Field 3 follows ") "; the start time is field 22. */
	for (i = 2; i < 22 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	return p != NULL ? strtoull(p + 1, NULL, 10) : 0;
}

/* The boot's id into out (37 bytes), or "-" when it cannot be read. */
static void
pidfile_boot_id(char out[37])
{
	char buf[64];

	snprintf(out, 37, "-");
	if (pidfile_read("/proc/sys/kernel/random/boot_id", buf, sizeof(buf)) >=
	    36) {
		memcpy(out, buf, 36);
		out[36] = '\0';
	}
}

/* The path of d's spare k. */
static void
pidfile_spare_path(
    const struct pogo_pidfile_dir *d, unsigned k, char *buf, size_t size)
{
	snprintf(buf, size, "%s/" PIDFILE_SPARE "%ld-%u", d->dir, d->pid, k);
}

/*
 * In the thread: write pf's file, from the last spare when there is one
 * (renamed, then overwritten and cut to the new line's length).
 */
static void
pidfile_write(struct pogo_pidfile_dir *d, struct pogo_pidfile *pf)
{
	char line[PIDFILE_MAX], spare[PATH_MAX];
	size_t n, off = 0;
	ssize_t w;
	bool reused = false;
	int fd = -1;

	n = (size_t)snprintf(line, sizeof(line), "%ld %llu%s", (long)pf->pgid,
	    pogo_pidfile_starttime(pf->pgid), d->self);
	if (d->nspare > 0) {
		pidfile_spare_path(d, --d->nspare, spare, sizeof(spare));
		if (rename(spare, pf->path) == 0 &&
		    (fd = open(pf->path, O_WRONLY | O_CLOEXEC)) >= 0)
			reused = true;
	}
	if (fd < 0)
		fd = open(
		    pf->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
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
	if (reused && pf->err == 0 && ftruncate(fd, (off_t)n) != 0)
		pf->err = -errno;
	if (close(fd) != 0 && pf->err == 0)
		pf->err = -errno;
}

/* In the thread: remove pf's file, kept as a spare while there is room. */
static void
pidfile_unlink(struct pogo_pidfile_dir *d, struct pogo_pidfile *pf)
{
	char spare[PATH_MAX];

	if (d->nspare < PIDFILE_SPARES) {
		pidfile_spare_path(d, d->nspare, spare, sizeof(spare));
		if (rename(pf->path, spare) == 0) {
			if (++d->nspare > d->spare_max)
				d->spare_max = d->nspare;
			return;
		}
	}
	(void)unlink(pf->path);
}

/* In the thread: a batch's writes and removals, in their order. */
static void
pidfile_batch_work(uv_work_t *req)
{
	struct pogo_pidfile_dir *d = req->data;
	struct pogo_pidfile *pf;
	char boot[37];

	if (!d->have_self) {
		pidfile_boot_id(boot);
		snprintf(d->self, sizeof(d->self), " %ld %llu %s\n",
		    (long)getpid(), pogo_pidfile_starttime(getpid()), boot);
		d->have_self = true;
	}
	for (pf = d->batch; pf != NULL; pf = pf->next) {
		if (pf->written)
			pidfile_unlink(d, pf);
		else
			pidfile_write(d, pf);
	}
}

static void pidfile_batch_done(uv_work_t *req, int status);

static void
pidfile_enqueue(struct pogo_pidfile *pf)
{
	struct pogo_pidfile_dir *d = pf->d;

	pf->next = NULL;
	*d->qtail = pf;
	d->qtail = &pf->next;
}

/* Start the next batch unless one is under way. */
static void
pidfile_kick(struct pogo_pidfile_dir *d)
{
	int r;

	if (d->busy || d->queue == NULL)
		return;
	d->batch = d->queue;
	d->queue = NULL;
	d->qtail = &d->queue;
	d->busy = true;
	d->batches++;
	/* Fails only without a work callback. */
	if ((r = uv_queue_work(d->loop, &d->work, pidfile_batch_work,
	         pidfile_batch_done)) != 0)
		POGO_BUG("uv_queue_work: %s", uv_strerror(r));
}

static void
pidfile_batch_done(uv_work_t *req, int status)
{
	struct pogo_pidfile_dir *d = req->data;
	struct pogo_pidfile *pf, *next;
	bool removed;

	next = d->batch;
	d->batch = NULL;
	while ((pf = next) != NULL) {
		next = pf->next;
		if (pf->written) {
			/* Removed. */
			d->files--;
			if (pf->done != NULL)
				pf->done(pf->arg);
			free(pf->path);
			free(pf);
			continue;
		}
		/* A removal asked for from written_cb queues itself. */
		removed = pf->remove;
		pf->written = true;
		if (pf->err != 0)
			log_warn("cannot write %s: %s (a worker killed now "
			         "would leave its task running)",
			    pf->path, strerror(-pf->err));
		if (pf->written_cb != NULL)
			pf->written_cb(pf->written_arg);
		if (removed)
			pidfile_enqueue(pf);
	}
	d->busy = false;
	if (d->freeing) {
		pogo_pidfile_dir_free(d);
		return;
	}
	pidfile_kick(d);
}

struct pogo_pidfile_dir *
pogo_pidfile_dir_new(uv_loop_t *loop, const char *dir)
{
	struct pogo_pidfile_dir *d = xcalloc(1, sizeof(*d));

	d->loop = loop;
	d->dir = xstrdup(dir);
	d->pid = (long)getpid();
	d->qtail = &d->queue;
	d->work.data = d;
	return d;
}

void
pogo_pidfile_dir_free(struct pogo_pidfile_dir *d)
{
	char spare[PATH_MAX];
	unsigned k;

	if (d == NULL)
		return;
	if (d->files != 0)
		POGO_BUG("%zu pid files of %s not removed", d->files, d->dir);
	if (d->busy) {
		d->freeing = true;
		return;
	}
	/* The spares go with the directory's last file (at most 1024). */
	for (k = 0; k < d->spare_max; k++) {
		pidfile_spare_path(d, k, spare, sizeof(spare));
		if (unlink(spare) != 0 && errno != ENOENT)
			log_warn(
			    "cannot remove %s: %s", spare, strerror(errno));
	}
	free(d->dir);
	free(d);
}

unsigned long
pogo_pidfile_dir_batches(const struct pogo_pidfile_dir *d)
{
	return d->batches;
}

struct pogo_pidfile *
pogo_pidfile_new(struct pogo_pidfile_dir *d, const char *name, pid_t pgid,
    void (*written)(void *arg), void *arg)
{
	struct pogo_pidfile *pf = xcalloc(1, sizeof(*pf));
	char safe[PIDFILE_NAME + 24];
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	size_t i, o = 0;

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
	xasprintf(&pf->path, "%s/%s.pid", d->dir, o == 0 ? "%" : safe);
	pf->d = d;
	pf->pgid = pgid;
	pf->written_cb = written;
	pf->written_arg = arg;
	d->files++;
	pidfile_enqueue(pf);
	pidfile_kick(d);
	return pf;
}

void
pogo_pidfile_remove(struct pogo_pidfile *pf, void (*done)(void *), void *arg)
{
	pf->done = done;
	pf->arg = arg;
	pf->remove = true;
	/* Otherwise its write's batch queues the removal. */
	if (pf->written) {
		pidfile_enqueue(pf);
		pidfile_kick(pf->d);
	}
}

/* Is pid running and started at start (ticks since boot)? */
static bool
pidfile_alive(pid_t pid, unsigned long long start)
{
	return pid > 0 && start != 0 && pogo_pidfile_starttime(pid) == start;
}

/* A pid file's line: the group and the worker that wrote it (pidfile.h). */
struct pidfile_line {
	long pgid, wpid;
	unsigned long long start, wstart;
	char boot[64];
};

/*
 * Read path's line into pl: 0; -1 when it cannot be read; 1 when it is no
 * pid file of pogo's.
 */
static int
pidfile_read_line(const char *path, struct pidfile_line *pl)
{
	char *buf = NULL;
	size_t len;
	int r;

	if (pogo_str_read_file(path, PIDFILE_MAX, &buf, &len) != 0)
		return -1;
	r = sscanf(buf, "%ld %llu %ld %llu %63s", &pl->pgid, &pl->start,
	        &pl->wpid, &pl->wstart, pl->boot) == 5
	    ? 0
	    : 1;
	free(buf);
	return r;
}

/* The worker that wrote pl runs still (this boot, or no boot to tell). */
static bool
pidfile_writer_alive(const struct pidfile_line *pl, const char *boot)
{
	return (strcmp(pl->boot, boot) == 0 || strcmp(boot, "-") == 0 ||
	           strcmp(pl->boot, "-") == 0) &&
	    pidfile_alive((pid_t)pl->wpid, pl->wstart);
}

/*
 * A spare (an ended task's file kept for reuse) at a worker's start: left
 * to a worker that still runs, else removed; never signalled.
 */
static void
pidfile_reap_spare(const char *dir, const char *name, const char *boot)
{
	struct pidfile_line pl;
	char *path = NULL;

	xasprintf(&path, "%s/%s", dir, name);
	if ((pidfile_read_line(path, &pl) != 0 ||
	        !pidfile_writer_alive(&pl, boot)) &&
	    unlink(path) != 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
	free(path);
}

/* One leftover file: returns 1 when a group was signalled. */
static int
pidfile_reap_one(const char *dir, const char *name, const char *boot)
{
	struct pidfile_line pl;
	unsigned long long start, now;
	char *path = NULL;
	long pgid;
	int n = 0, r;

	xasprintf(&path, "%s/%s", dir, name);
	if ((r = pidfile_read_line(path, &pl)) < 0)
		goto out;
	if (r > 0 || pl.pgid <= 1 || pl.wpid <= 0) {
		log_warn("%s: not a pid file of pogo's; removed", path);
		goto remove;
	}
	pgid = pl.pgid;
	start = pl.start;
	/* A running worker's task: not ours to touch. */
	if (pidfile_writer_alive(&pl, boot))
		goto out;
	if (strcmp(pl.boot, boot) != 0)
		goto remove; /* another boot: nothing of it runs */
	/* Without the boot or the leader's start time, nothing is proven. */
	if (strcmp(boot, "-") == 0 || start == 0) {
		log_warn("%s: cannot tell whether process group %ld is the "
		         "task's; not signalled, removed",
		    path, pgid);
		goto remove;
	}
	/*
	 * Only the group's live leader, started when the file says, proves
	 * the group is the task's: once the task's group ended, its id may
	 * name another group whose leader exited while members live (a
	 * daemon's double fork), so a group without its leader is left alone.
	 */
	now = pogo_pidfile_starttime((pid_t)pgid);
	if (now == 0) {
		log_warn("%s: the leader of process group %ld is gone; cannot "
		         "tell whether the group is the task's; not signalled, "
		         "removed",
		    path, pgid);
		goto remove;
	}
	if (now != start)
		goto remove; /* the group's id names another process now */
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
		else if (strncmp(de->d_name, PIDFILE_SPARE,
		             strlen(PIDFILE_SPARE)) == 0)
			pidfile_reap_spare(dir, de->d_name, boot);
	}
	closedir(d);
	return n;
}
