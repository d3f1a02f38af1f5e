/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Loop set-up and a checked close: after the roles stopped, whatever is
 * left is closed and uv_loop_close() must succeed (libuv's
 * MAKE_VALGRIND_HAPPY).  Used by every subcommand that runs a loop.  The
 * daemons add signals, the log file and the pid file (struct pogo_proc).
 */
#include "pogo/compat.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/proc.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

static void *
proc_malloc(size_t size)
{
	return xmalloc(size);
}

static void *
proc_realloc(void *p, size_t size)
{
	return xreallocarray(p, size, 1);
}

static void *
proc_calloc(size_t n, size_t size)
{
	return xcalloc(n, size);
}

int
pogo_proc_loop_init(uv_loop_t *loop)
{
	static bool replaced;

	if (!replaced) {
		uv_replace_allocator(
		    proc_malloc, proc_realloc, proc_calloc, free);
		replaced = true;
	}
	return uv_loop_init(loop);
}

static void
proc_pool_noop(uv_work_t *req)
{
	(void)req;
}

static void
proc_pool_started(uv_work_t *req, int status)
{
	free(req);
}

void
pogo_proc_pool_start(uv_loop_t *loop)
{
	static const int sync[] = { SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV,
		SIGSYS, SIGTRAP };
	static bool started;
	sigset_t set, old;
	uv_work_t *req;
	size_t i;
	int r;

	if (started)
		return;
	started = true;
	/* A fault's signal is the faulting thread's: never blocked. */
	sigfillset(&set);
	for (i = 0; i < sizeof(sync) / sizeof(sync[0]); i++)
		sigdelset(&set, sync[i]);
	if ((r = pthread_sigmask(SIG_BLOCK, &set, &old)) != 0)
		POGO_BUG("pthread_sigmask: %s", strerror(r));
	req = xcalloc(1, sizeof(*req));
	/* Fails only without a work callback. */
	if ((r = uv_queue_work(loop, req, proc_pool_noop, proc_pool_started)) !=
	    0)
		POGO_BUG("uv_queue_work: %s", uv_strerror(r));
	if ((r = pthread_sigmask(SIG_SETMASK, &old, NULL)) != 0)
		POGO_BUG("pthread_sigmask: %s", strerror(r));
}

static void
proc_close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int
pogo_proc_loop_close(uv_loop_t *loop)
{
	uv_walk(loop, proc_close_walk, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	return uv_loop_close(loop);
}

/* A daemon's process: the loop, its signals, the log and pid files. */
#define PROC_NSIGNALS 4

struct pogo_proc {
	uv_loop_t loop;
	uv_signal_t sigs[PROC_NSIGNALS];
	int nsigs;
	bool stopping;
	bool log_opened;
	pogo_proc_stop_cb stop;
	void (*hup)(struct pogo_proc *p, void *arg);
	void *arg;
	char *pid_file; /* set once this process holds the file */
	int pid_fd;     /* its descriptor, locked (flock) for our life */
};

static const int proc_signums[PROC_NSIGNALS] = { SIGTERM, SIGINT, SIGHUP,
	SIGUSR2 };

static const char *
proc_signame(int signum)
{
	switch (signum) {
	case SIGTERM:
		return "SIGTERM";
	case SIGINT:
		return "SIGINT";
	case SIGHUP:
		return "SIGHUP";
	case SIGUSR2:
		return "SIGUSR2";
	}
	return "signal";
}

static void
proc_signal_cb(uv_signal_t *h, int signum)
{
	struct pogo_proc *p = h->data;
	int r;

	switch (signum) {
	case SIGTERM:
	case SIGINT:
		if (p->stopping) {
			log_info("%s: already stopping", proc_signame(signum));
			return;
		}
		p->stopping = true;
		log_info("%s: stopping", proc_signame(signum));
		if (p->stop != NULL)
			p->stop(p, signum, p->arg);
		break;
	case SIGHUP:
		if ((r = pogo_log_reopen()) != 0)
			log_error("SIGHUP: cannot reopen the log file: %s",
			    r == POGO_ERR_ERRNO(ELOOP)
			        ? "it is a symbolic link; pogo does not "
			          "follow it"
			        : pogo_strerror(r));
		else
			log_info("SIGHUP: log file reopened");
		if (p->hup != NULL)
			p->hup(p, p->arg);
		break;
	case SIGUSR2:
		r = pogo_log_cycle_level();
		log_info("SIGUSR2: log level %s", pogo_log_level_name(r));
		break;
	}
}

/* The pid written in the open pid file; 0 when it holds none. */
static long long
proc_pidfile_read(int fd)
{
	char buf[32], *nl;
	ssize_t n;
	long long pid = 0;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((nl = strchr(buf, '\n')) != NULL)
		*nl = '\0';
	if (pogo_strtonum(buf, 1, INT32_MAX, &pid) != 0)
		pid = 0;
	return pid;
}

/* Is the open file fd still the one at path? */
static bool
proc_pidfile_ours(int fd, const char *path)
{
	struct stat fst, pst;

	return fstat(fd, &fst) == 0 && lstat(path, &pst) == 0 &&
	    fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino;
}

static int
proc_file_cause(char **cause, const char *what, const char *path, int r)
{
	if (r == POGO_ERR_ERRNO(ELOOP))
		xasprintf(cause,
		    "%s %s: is a symbolic link; pogo does not follow it", what,
		    path);
	else
		xasprintf(cause, "%s %s: %s", what, path, pogo_strerror(r));
	return r;
}

int
pogo_proc_dir_lock(const char *dir, const char *name, int *fdp, char **cause)
{
	char *path = NULL, line[32];
	long long pid;
	int fd = -1, n, r;

	*fdp = -1;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		r = POGO_ERR_ERRNO(errno);
		xasprintf(
		    cause, "state directory %s: %s", dir, strerror(errno));
		goto out;
	}
	xasprintf(&path, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		r = POGO_ERR_ERRNO(errno);
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			r = UV_EBUSY;
			if ((pid = proc_pidfile_read(fd)) != 0)
				xasprintf(cause,
				    "state directory %s is in use by pid %lld",
				    dir, pid);
			else
				xasprintf(
				    cause, "state directory %s is in use", dir);
		} else {
			r = POGO_ERR_ERRNO(errno);
			xasprintf(
			    cause, "%s: flock: %s", path, strerror(errno));
		}
		goto out;
	}
	/* Only for the message above: the lock is what counts. */
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n)
		log_warn("%s: cannot write the pid: %s", path, strerror(errno));
	*fdp = fd;
	fd = -1;
	r = 0;
out:
	if (fd != -1)
		close(fd);
	free(path);
	return r;
}

/*
 * Take the pid file: open (or create) it, lock it (flock), then write
 * this process's pid.  The lock, not the pid in the file, says whether a
 * daemon runs: it is held for the process's life (the descriptor stays
 * open) and dies with the process.  A file that was unlinked between our
 * open and our lock (its owner exiting) is not the path's file: retry.
 */
static int
proc_pidfile_create(struct pogo_proc *p, const char *path, char **cause)
{
	char line[32];
	long long pid;
	int fd = -1, n, r, tries;

	for (tries = 0; tries < 3; tries++) {
		fd = open(path,
		    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
		if (fd == -1)
			return proc_file_cause(
			    cause, "pid file", path, POGO_ERR_ERRNO(errno));
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			r = POGO_ERR_ERRNO(errno);
			if (errno == EWOULDBLOCK) {
				pid = proc_pidfile_read(fd);
				if (pid != 0)
					xasprintf(cause,
					    "pid file %s: pogo is already "
					    "running as pid %lld",
					    path, pid);
				else
					xasprintf(cause,
					    "pid file %s: pogo is already "
					    "running (the file is locked)",
					    path);
				r = POGO_ERR_STATE;
			} else
				proc_file_cause(cause, "pid file", path, r);
			close(fd);
			return r;
		}
		if (proc_pidfile_ours(fd, path))
			break;
		close(fd);
		fd = -1;
	}
	if (fd == -1) {
		xasprintf(cause, "pid file %s: cannot create it", path);
		return POGO_ERR_STATE;
	}
	if ((pid = proc_pidfile_read(fd)) != 0 && pid != (long long)getpid())
		log_warn("pid file %s: pid %lld no longer holds it; replacing "
		         "it",
		    path, pid);
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
		r = errno != 0 ? POGO_ERR_ERRNO(errno) : POGO_ERR_ERRNO(EIO);
		unlink(path);
		close(fd);
		return proc_file_cause(cause, "pid file", path, r);
	}
	p->pid_fd = fd;
	p->pid_file = xstrdup(path);
	return 0;
}

int
pogo_proc_new(
    const struct pogo_proc_opts *opts, struct pogo_proc **pp, char **cause)
{
	struct pogo_proc *p;
	struct sigaction sa;
	int i, r;

	*pp = NULL;
	*cause = NULL;
	p = xcalloc(1, sizeof(*p));
	p->pid_fd = -1;
	p->stop = opts->stop;
	p->hup = opts->hup;
	p->arg = opts->arg;
	if ((r = pogo_proc_loop_init(&p->loop)) != 0) {
		xasprintf(cause, "event loop: %s", pogo_strerror(r));
		free(p);
		return r;
	}
	if (opts->log_file != NULL && opts->log_file[0] != '\0') {
		if ((r = pogo_log_open(opts->log_file)) != 0) {
			proc_file_cause(cause, "log file", opts->log_file, r);
			goto fail;
		}
		p->log_opened = true;
	}
	if (opts->pid_file != NULL && opts->pid_file[0] != '\0' &&
	    (r = proc_pidfile_create(p, opts->pid_file, cause)) != 0)
		goto fail;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGPIPE, &sa, NULL);
	for (i = 0; i < PROC_NSIGNALS; i++) {
		if ((r = uv_signal_init(&p->loop, &p->sigs[i])) != 0) {
			xasprintf(cause, "signals: %s", pogo_strerror(r));
			goto fail;
		}
		p->nsigs++;
		p->sigs[i].data = p;
		if ((r = uv_signal_start(
		         &p->sigs[i], proc_signal_cb, proc_signums[i])) != 0) {
			xasprintf(cause, "signals: %s", pogo_strerror(r));
			goto fail;
		}
		uv_unref((uv_handle_t *)&p->sigs[i]);
	}
	*pp = p;
	return 0;
fail:
	pogo_proc_free(p);
	return r;
}

uv_loop_t *
pogo_proc_loop(struct pogo_proc *p)
{
	return &p->loop;
}

int
pogo_proc_run(struct pogo_proc *p)
{
	return uv_run(&p->loop, UV_RUN_DEFAULT);
}

bool
pogo_proc_stopping(const struct pogo_proc *p)
{
	return p->stopping;
}

/* A handle that a role left open: a bug, reported and closed. */
struct proc_walk {
	struct pogo_proc *p;
	int leaks;
};

static void
proc_leak_walk(uv_handle_t *h, void *arg)
{
	struct proc_walk *w = arg;
	int i;

	for (i = 0; i < w->p->nsigs; i++) {
		if (h == (uv_handle_t *)&w->p->sigs[i])
			return;
	}
	if (uv_is_closing(h))
		return;
	log_error("loop not closed cleanly: a %s handle is still open",
	    uv_handle_type_name(uv_handle_get_type(h)));
	w->leaks++;
	uv_close(h, NULL);
}

int
pogo_proc_free(struct pogo_proc *p)
{
	struct proc_walk w = { .p = p, .leaks = 0 };
	int i, r;

	if (p == NULL)
		return 0;
	uv_walk(&p->loop, proc_leak_walk, &w);
	for (i = 0; i < p->nsigs; i++)
		uv_close((uv_handle_t *)&p->sigs[i], NULL);
	uv_run(&p->loop, UV_RUN_DEFAULT);
	if ((r = uv_loop_close(&p->loop)) != 0) {
		log_error("loop not closed cleanly: %s", pogo_strerror(r));
		w.leaks++;
	}
	if (p->pid_fd != -1) {
		/* Still locked: unlink only the file that is ours. */
		if (proc_pidfile_ours(p->pid_fd, p->pid_file) &&
		    unlink(p->pid_file) != 0 && errno != ENOENT)
			log_warn("pid file %s: %s", p->pid_file,
			    pogo_strerror(POGO_ERR_ERRNO(errno)));
		close(p->pid_fd);
	}
	free(p->pid_file);
	if (p->log_opened)
		pogo_log_close();
	free(p);
	return w.leaks > 0 ? POGO_ERR_STATE : 0;
}
