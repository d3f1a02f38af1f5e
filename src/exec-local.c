/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The local executor: one child process per task, started with posix_spawn
 * in a session and process group of its own, so that a timeout or a kill
 * reaches every process the command started (TERM, then KILL after the
 * grace period).  posix_spawn (glibc: clone with CLONE_VM and CLONE_VFORK)
 * copies neither the page tables nor the mappings of the process, as
 * uv_spawn's fork does: that fork, its copy-on-write faults and the
 * child's teardown of the copy before its exec were a third of a worker's
 * CPU per local task (P4, test/bench/README.md).  The child's exit is
 * watched through a pidfd on the loop (no SIGCHLD handler, no waitpid of
 * every child at each signal).  Its stdout and stderr are pipes (uv_spawn
 * made socket pairs); every signal is at its default and none is blocked,
 * except that glibc's posix_spawn leaves its two internal signals (32 and
 * 33, below SIGRTMIN) ignored.  Output goes through the record splitter of output.c and
 * is bounded by max_output.  Each task owns five handles and is freed when
 * the last one is closed.  The child is spawned on the loop turn after
 * start(), with the started event: until then the task can be withdrawn
 * with nothing run.  In stub mode (SPEC 9.11) the child is `sh -s`
 * with the stub of stub.c on its standard input, and the result is read
 * from the stub's last line.
 */
#include "pogo/compat.h"

#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#include <uv.h>

#include "pogo/error.h"
#include "pogo/exec-local.h"
#include "pogo/log.h"
#include "pogo/output.h"
#include "pogo/pidfile.h"
#include "pogo/stub.h"
#include "pogo/xmalloc.h"

extern char **environ;

struct local_exec {
	struct pogo_exec base; /* first */
	uv_loop_t *loop;
	struct pogo_exec_local_opts opts;
	unsigned tasks; /* alive, including closing */
	bool paused;    /* output reading stopped (back-pressure) */
	bool throttled; /* the same, the limits running on (exec.h) */
	/* Ever paused or throttled: a limit may wait for us (exec.h). */
	bool held_once;
	bool closing;
	void (*close_cb)(void *);
	void *close_arg;
	uv_timer_t close_timer;
	struct pogo_pidfile_dir *pid_dir; /* opts.pid_dir's files, or NULL */
};

struct local_task {
	struct pogo_exec_run run; /* on le->base.runs until done */
	struct local_exec *le;
	struct pogo_exec_task *t;
	pid_t pid;       /* the child, once spawned */
	int pidfd;       /* its pidfd, watched by exitw; -1 */
	uv_poll_t exitw; /* readable at the child's exit */
	uv_pipe_t in;    /* stub mode: the stub goes in here */
	uv_pipe_t out;
	uv_pipe_t err;
	uv_timer_t timer;               /* start, timeout, kill grace, linger */
	uv_timer_t quiet;               /* partial-line flush */
	struct pogo_exec_limit limit;   /* the timeout, on timer */
	struct pogo_exec_linger linger; /* after the exit */
	struct pogo_output o_out;
	struct pogo_output o_err;
	uv_write_t wreq;
	char *stub;                 /* stub mode: the script, until written */
	struct pogo_stub_tail tail; /* stub mode: the last stdout line */
	size_t bytes;
	uint64_t out_at; /* the loop's time output was last taken */
	int handles;
	bool stubmode;
	bool spawned;
	bool started; /* the started event came (run.started) */
	bool exited;
	bool eof_out;
	bool eof_err;
	bool stopping; /* TERM sent */
	bool killed;   /* KILL sent after the grace */
	bool cut;      /* killed after its exit: the linger ends at once */
	bool have_result;
	bool done;
	int64_t status;
	int signal;
	struct pogo_exec_result res;
	char *spawn_error;
	struct pogo_pidfile *pidfile; /* SPEC 9.10, while it runs */
};

static void local_maybe_done(struct local_task *lt);
static void local_announce(struct local_task *lt);
static void local_pid_written(void *arg);
static void local_timeout_cb(uv_timer_t *tm);
static void local_close_timer_closed(uv_handle_t *h);
static void local_exitw_closed(uv_handle_t *h);

/* A task (or a reaper) of le is freed: the last one of a closing le frees
 * it. */
static void
local_exec_unref(struct local_exec *le)
{
	le->tasks--;
	if (le->closing && le->tasks == 0) {
		/* The executor is freed by its timer's close callback. */
		uv_close(
		    (uv_handle_t *)&le->close_timer, local_close_timer_closed);
	}
}

/* One of lt's handles (or its pid file) is closed: the last frees lt. */
static void
local_unref(struct local_task *lt)
{
	struct local_exec *le = lt->le;

	if (--lt->handles > 0)
		return;
	free(lt->spawn_error);
	free(lt->stub);
	free(lt);
	local_exec_unref(le);
}

/*
 * A killed child that nothing watches (its pidfd could not be had or
 * watched) is reaped from a timer polling waitpid(WNOHANG), never by a
 * blocking wait on the loop (STYLE 10.4.1: a child stuck in the kernel
 * would hold every task).  The polls come at once, then after 2, 4 ... ms,
 * then every second, at most LOCAL_REAP_TRIES of them (about a minute); a
 * closing executor stops them at the next one.  Counted as a task of the
 * executor, which is freed after it.
 */
#define LOCAL_REAP_TRIES 72
#define LOCAL_REAP_MAX_MS 1000

struct local_reaper {
	uv_timer_t timer;
	struct local_exec *le;
	pid_t pid;
	unsigned tries;
	uint64_t delay_ms;
};

static void
local_reaper_closed(uv_handle_t *h)
{
	struct local_reaper *rp = h->data;
	struct local_exec *le = rp->le;

	free(rp);
	local_exec_unref(le);
}

static void
local_reaper_cb(uv_timer_t *tm)
{
	struct local_reaper *rp = tm->data;
	pid_t r;

	do
		r = waitpid(rp->pid, NULL, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0 && ++rp->tries < LOCAL_REAP_TRIES && !rp->le->closing) {
		if ((rp->delay_ms *= 2) > LOCAL_REAP_MAX_MS)
			rp->delay_ms = LOCAL_REAP_MAX_MS;
		uv_timer_start(&rp->timer, local_reaper_cb, rp->delay_ms, 0);
		return;
	}
	if (r == 0)
		log_warn("process %ld was killed but has not ended: "
		         "left unreaped",
		    (long)rp->pid);
	uv_close((uv_handle_t *)&rp->timer, local_reaper_closed);
}

static void
local_reap(struct local_exec *le, pid_t pid)
{
	struct local_reaper *rp = xcalloc(1, sizeof(*rp));

	rp->le = le;
	rp->pid = pid;
	rp->delay_ms = 1;
	le->tasks++;
	uv_timer_init(le->loop, &rp->timer);
	rp->timer.data = rp;
	uv_timer_start(&rp->timer, local_reaper_cb, 0, 0);
}

/*
 * A child nothing can watch goes: SIGKILL to its group and to itself (its
 * setsid may not have run yet), unless a test spares it, then it is
 * reaped from the timer above.  lt's pid is forgotten.
 */
static void
local_abandon(struct local_task *lt, bool spare)
{
	if (!spare) {
		(void)kill(-lt->pid, SIGKILL);
		(void)kill(lt->pid, SIGKILL);
	}
	local_reap(lt->le, lt->pid);
	lt->pid = 0;
}

static void
local_handle_closed(uv_handle_t *h)
{
	local_unref(h->data);
}

static void
local_pidfile_removed(void *arg)
{
	local_unref(arg);
}

static void
local_close_task(struct local_task *lt)
{
	uv_handle_t *hs[] = { (uv_handle_t *)&lt->in, (uv_handle_t *)&lt->out,
		(uv_handle_t *)&lt->err, (uv_handle_t *)&lt->timer,
		(uv_handle_t *)&lt->quiet, (uv_handle_t *)&lt->exitw };
	size_t i, n = lt->spawned ? 6 : 5;

	for (i = 0; i < n; i++) {
		if (!uv_is_closing(hs[i]))
			uv_close(hs[i],
			    i == 5 ? local_exitw_closed : local_handle_closed);
	}
	if (lt->pidfile != NULL) {
		pogo_pidfile_remove(lt->pidfile, local_pidfile_removed, lt);
		lt->pidfile = NULL;
	}
}

/*
 * Signal the task's whole process group, also after its leader exited:
 * the group's id cannot be reused while a member lives (Linux frees a pid
 * only when no process uses it as pid, group or session).
 */
static int
local_signal(struct local_task *lt, int sig)
{
	if (!lt->spawned || lt->done || lt->pid <= 0)
		return -1;
	return kill(-lt->pid, sig);
}

/* Stop waiting: the pipes are done with, whoever still holds them. */
static void
local_stop_reading(struct local_task *lt)
{
	uv_read_stop((uv_stream_t *)&lt->out);
	uv_read_stop((uv_stream_t *)&lt->err);
	lt->eof_out = lt->eof_err = true;
}

/* POGO_EXEC_LINGER_MS after the KILL: report, whatever is left. */
static void
local_kill_wait_cb(uv_timer_t *tm)
{
	struct local_task *lt = tm->data;
	size_t n;

	if (!lt->exited) {
		/* Not even the leader died (a process stuck in the kernel). */
		n = strlen(lt->res.msg);
		snprintf(lt->res.msg + n, sizeof(lt->res.msg) - n, "%s",
		    POGO_EXEC_MAY_RUN);
		lt->exited = true;
	}
	local_stop_reading(lt);
	local_maybe_done(lt);
}

static void
local_grace_cb(uv_timer_t *tm)
{
	struct local_task *lt = tm->data;

	lt->killed = true;
	(void)local_signal(lt, SIGKILL);
	if (lt->exited && lt->eof_out && lt->eof_err)
		local_maybe_done(lt);
	else
		uv_timer_start(
		    &lt->timer, local_kill_wait_cb, POGO_EXEC_LINGER_MS, 0);
}

static void
local_start_grace(struct local_task *lt)
{
	uv_timer_stop(&lt->timer);
	uv_timer_start(&lt->timer, local_grace_cb,
	    lt->le->opts.kill_grace_ms ? lt->le->opts.kill_grace_ms
	                               : POGO_EXEC_KILL_GRACE_MS,
	    0);
}

/* Stop the task with TERM, then KILL after the grace period. */
static void
local_stop(struct local_task *lt)
{
	if (lt->stopping)
		return;
	lt->stopping = true;
	(void)local_signal(lt, SIGTERM);
	/* The timer holds the started event: the grace starts there. */
	if (lt->started)
		local_start_grace(lt);
}

static void
local_record(
    enum pogo_out_type type, const char *data, size_t len, bool eol, void *arg)
{
	struct local_task *lt = arg;
	struct local_exec *le = lt->le;

	if (lt->stubmode && type == POGO_OUT_STDOUT)
		pogo_stub_tail_feed(&lt->tail, data, len, eol);
	pogo_exec_run_output(&le->base, &lt->run, type, data, len, eol);
}

static void
local_quiet_cb(uv_timer_t *tm)
{
	struct local_task *lt = tm->data;

	/* Not quiet: its output is held back by a slow reader. */
	if (lt->le->paused || lt->le->throttled) {
		uv_timer_start(
		    &lt->quiet, local_quiet_cb, POGO_OUTPUT_QUIET_MS, 0);
		return;
	}
	pogo_output_flush(&lt->o_out);
	pogo_output_flush(&lt->o_err);
}

static void
local_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char slab[65536];

	buf->base = slab;
	buf->len = sizeof(slab);
}

static void
local_read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct local_task *lt = s->data;
	struct pogo_output *o =
	    s == (uv_stream_t *)&lt->out ? &lt->o_out : &lt->o_err;
	size_t max = lt->le->opts.max_output, take;
	char msg[96];

	if (n < 0) {
		uv_read_stop(s);
		if (s == (uv_stream_t *)&lt->out)
			lt->eof_out = true;
		else
			lt->eof_err = true;
		local_maybe_done(lt);
		return;
	}
	if (n == 0 || lt->have_result)
		return;
	take = (size_t)n;
	if (max > 0 && lt->bytes + take > max)
		take = max - lt->bytes;
	lt->bytes += take;
	lt->out_at = uv_now(lt->le->loop);
	pogo_output_feed(o, buf->base, take);
	if (take < (size_t)n) {
		/* Over the limit: say so, stop the task, read no more. */
		pogo_output_flush(&lt->o_out);
		pogo_output_flush(&lt->o_err);
		snprintf(msg, sizeof(msg),
		    "== Output exceeded maximum length of %zu bytes ==", max);
		local_record(POGO_OUT_STDERR, msg, strlen(msg), true, lt);
		pogo_exec_result_set(&lt->res, POGO_EXEC_FAILED, -1,
		    "output exceeded %zu bytes", max);
		lt->have_result = true;
		local_stop(lt);
		return;
	}
	if (pogo_output_pending(o))
		uv_timer_start(
		    &lt->quiet, local_quiet_cb, POGO_OUTPUT_QUIET_MS, 0);
}

/* Start or stop reading both pipes (not those at their end). */
static void
local_reading(struct local_task *lt, bool on)
{
	if (!lt->spawned || !lt->started || lt->done)
		return;
	if (!lt->eof_out) {
		if (on)
			uv_read_start((uv_stream_t *)&lt->out, local_alloc_cb,
			    local_read_cb);
		else
			uv_read_stop((uv_stream_t *)&lt->out);
	}
	if (!lt->eof_err) {
		if (on)
			uv_read_start((uv_stream_t *)&lt->err, local_alloc_cb,
			    local_read_cb);
		else
			uv_read_stop((uv_stream_t *)&lt->err);
	}
}

/* Output of lt waits unread in its pipes (pogo stopped reading them). */
static bool
local_held_back(struct local_task *lt)
{
	uv_os_fd_t fd;
	int n;

	if (uv_fileno((uv_handle_t *)&lt->out, &fd) == 0 &&
	    ioctl(fd, FIONREAD, &n) == 0 && n > 0)
		return true;
	return uv_fileno((uv_handle_t *)&lt->err, &fd) == 0 &&
	    ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static void
local_pause(struct pogo_exec *e, bool paused)
{
	struct local_exec *le = (struct local_exec *)e;
	struct pogo_exec_run *r;
	struct local_task *lt;
	bool holds;

	if (le->paused == paused)
		return;
	le->paused = paused;
	le->held_once |= paused;
	for (r = e->runs; r != NULL; r = r->next) {
		lt = container_of(r, struct local_task, run);
		/* The timeout waits while the command waits for us. */
		holds =
		    lt->started && !lt->exited && !lt->stopping && !lt->done;
		if (paused)
			holds = holds && local_held_back(lt);
		if (lt->started && lt->exited && !lt->stopping && !lt->done)
			pogo_exec_linger_pause(&lt->linger, &lt->timer, paused,
			    paused && local_held_back(lt));
		if (paused)
			pogo_exec_limit_freeze(&lt->limit, &lt->timer, holds);
		else
			pogo_exec_limit_thaw(
			    &lt->limit, &lt->timer, local_timeout_cb, holds);
		/* Still throttled: the throttle's freeze, bounded. */
		if (!paused && le->throttled)
			pogo_exec_limit_throttle(&lt->limit, &lt->timer,
			    holds && local_held_back(lt));
		local_reading(lt, !paused && !le->throttled);
		/* A partial line waits a whole quiet period from now. */
		if (!paused && uv_is_active((uv_handle_t *)&lt->quiet))
			uv_timer_start(&lt->quiet, local_quiet_cb,
			    POGO_OUTPUT_QUIET_MS, 0);
	}
}

/* exec.h: reading stops or goes on; the limits and the linger run on. */
static void
local_throttle(struct pogo_exec *e, bool on)
{
	struct local_exec *le = (struct local_exec *)e;
	struct pogo_exec_run *r;
	struct local_task *lt;
	bool holds;

	if (le->throttled == on)
		return;
	le->throttled = on;
	le->held_once |= on;
	for (r = e->runs; r != NULL; r = r->next) {
		lt = container_of(r, struct local_task, run);
		/* The timeout waits a while for us (exec.h). */
		holds =
		    lt->started && !lt->exited && !lt->stopping && !lt->done;
		if (lt->started && lt->exited && !lt->stopping && !lt->done &&
		    !le->paused)
			pogo_exec_linger_throttle(&lt->linger, &lt->limit,
			    &lt->timer, on, local_held_back(lt));
		if (on && !le->paused)
			pogo_exec_limit_throttle(&lt->limit, &lt->timer,
			    holds && local_held_back(lt));
		else if (!on && !le->paused)
			pogo_exec_limit_thaw(
			    &lt->limit, &lt->timer, local_timeout_cb, holds);
		local_reading(lt, !on && !le->paused);
		if (!on && uv_is_active((uv_handle_t *)&lt->quiet))
			uv_timer_start(&lt->quiet, local_quiet_cb,
			    POGO_OUTPUT_QUIET_MS, 0);
	}
}

static void
local_linger_cb(uv_timer_t *tm)
{
	struct local_task *lt = tm->data;
	bool unread = local_held_back(lt);
	uint64_t ms;

	if (lt->cut) {
		/* Killed (exec.h): what is left of its group goes too. */
		(void)local_signal(lt, SIGKILL);
		local_stop_reading(lt);
		local_maybe_done(lt);
		return;
	}

	/*
	 * Output held back by a slow reader is not abandoned, nor output
	 * still waiting in a pipe because the loop could not read it in
	 * time (a loaded machine), nor output that came during the tick:
	 * only a quiet, open pipe is given up, or one still busy when the
	 * command's timeout is spent (exec.h).
	 */
	ms = pogo_exec_linger_next(&lt->linger, lt->t, &lt->timer,
	    lt->le->paused && unread, unread, lt->out_at);
	if (ms > 0) {
		uv_timer_start(&lt->timer, local_linger_cb, ms, 0);
		return;
	}
	/* Background processes keep the pipes open: stop waiting. */
	local_stop_reading(lt);
	local_maybe_done(lt);
}

/* The process exited: wait a little for the pipes, then finish. */
static void
local_exited(struct local_task *lt)
{
	uint64_t ms;

	if (lt->stopping) {
		/*
		 * Being stopped: while something of the group holds the
		 * output, it gets its KILL when the grace ends (the grace or
		 * kill-wait timer runs on); local_maybe_done() KILLs the rest.
		 */
		local_maybe_done(lt);
		return;
	}
	/* The timer still holds the timeout: it started, nothing stops. */
	ms = pogo_exec_linger_start(&lt->linger, &lt->limit, &lt->timer, true);
	if (lt->cut)
		ms = 0;
	uv_timer_stop(&lt->timer);
	if (!(lt->eof_out && lt->eof_err)) {
		log_debug("task %s host %s: exited, its output still open: "
		          "lingering",
		    lt->t->task_id, lt->t->host);
		uv_timer_start(&lt->timer, local_linger_cb, ms, 0);
	}
	local_maybe_done(lt);
}

static void
local_exit_cb(struct local_task *lt, int64_t status, int sig)
{
	lt->exited = true;
	lt->status = status;
	lt->signal = sig;
	/*
	 * Before the started event the timer still holds it: leave it, and
	 * let local_started_cb() go on from here.
	 */
	if (!lt->started)
		return;
	local_exited(lt);
}

/* Report the result once the process exited and both pipes are done. */
static void
local_maybe_done(struct local_task *lt)
{
	struct local_exec *le = lt->le;

	if (lt->done || !lt->started ||
	    !(lt->exited && lt->eof_out && lt->eof_err))
		return;
	/* A stop leaves nothing behind: what ignored TERM gets KILL now. */
	if (lt->stopping && !lt->killed)
		(void)local_signal(lt, SIGKILL);
	lt->done = true;
	pogo_output_flush(&lt->o_out);
	pogo_output_flush(&lt->o_err);
	if (!lt->have_result && lt->stubmode)
		pogo_stub_result(&lt->res, &lt->tail, (int)lt->status,
		    lt->signal, lt->t->timeout);
	else if (!lt->have_result)
		pogo_exec_result_exit(&lt->res, (int)lt->status, lt->signal);
	lt->res.signal = lt->signal;
	pogo_exec_run_done(&le->base, &lt->run, &lt->res);
	local_close_task(lt);
}

static void
local_timeout_cb(uv_timer_t *tm)
{
	struct local_task *lt = tm->data;
	struct pogo_exec_held h = { 0 };

	h.paused = lt->le->paused;
	h.throttled = lt->le->throttled;
	h.once = lt->le->held_once && !lt->have_result;
	h.back = h.unread = local_held_back(lt);
	if (pogo_exec_limit_expired_waits(
	        &lt->limit, &lt->timer, local_timeout_cb, &h))
		return;
	if (!lt->have_result) {
		pogo_exec_result_set(&lt->res, POGO_EXEC_FAILED, -1,
		    "timed out after %u seconds", lt->t->timeout);
		lt->res.timed_out = true;
		lt->have_result = true;
	}
	local_stop(lt);
}

/* environ plus POGO_HOST and POGO_JOB_ID (replacing inherited ones). */
static char **
local_env(const struct pogo_exec_task *t)
{
	size_t n = 0, i, k = 0;
	char **env;

	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 3, sizeof(*env));
	for (i = 0; i < n; i++) {
		if (strncmp(environ[i], "POGO_HOST=", 10) == 0 ||
		    strncmp(environ[i], "POGO_JOB_ID=", 12) == 0)
			continue;
		env[k++] = xstrdup(environ[i]);
	}
	xasprintf(&env[k++], "POGO_HOST=%s", t->host);
	xasprintf(&env[k++], "POGO_JOB_ID=%s", t->job_id);
	return env;
}

/* The stub is written: EOF on its standard input. */
static void
local_stub_written_cb(uv_write_t *req, int status)
{
	struct local_task *lt = req->data;

	free(lt->stub);
	lt->stub = NULL;
	if (!uv_is_closing((uv_handle_t *)&lt->in))
		uv_close((uv_handle_t *)&lt->in, local_handle_closed);
}

/* The child's pidfd is readable: it exited (reaped here). */
static void
local_exitw_cb(uv_poll_t *h, int status, int events)
{
	struct local_task *lt = h->data;
	pid_t r;
	int st;

	do
		r = waitpid(lt->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return; /* not yet */
	uv_poll_stop(h);
	if (r < 0) {
		/* Reaped by someone else: its status is lost. */
		log_warn("task %s host %s: cannot wait for process %ld: %s",
		    lt->t->task_id, lt->t->host, (long)lt->pid,
		    strerror(errno));
		local_exit_cb(lt, 0, SIGKILL);
		return;
	}
	/* As uv_spawn reported it: the status, or 0 and the signal. */
	local_exit_cb(lt, WIFEXITED(st) ? WEXITSTATUS(st) : 0,
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void
local_exitw_closed(uv_handle_t *h)
{
	struct local_task *lt = h->data;

	if (lt->pidfd >= 0)
		close(lt->pidfd);
	lt->pidfd = -1;
	local_unref(lt);
}

/* A pipe, both ends close-on-exec, above the standard descriptors. */
static int
local_pipe(int fds[2])
{
	int i, fd;

	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	for (i = 0; i < 2; i++) {
		if (fds[i] > STDERR_FILENO)
			continue;
		/* A daemon started with 0, 1 or 2 closed. */
		if ((fd = fcntl(fds[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) <
		    0) {
			fd = -errno;
			close(fds[0]);
			close(fds[1]);
			/* The caller closes what is >= 0. */
			fds[0] = fds[1] = -1;
			return fd;
		}
		close(fds[i]);
		fds[i] = fd;
	}
	return 0;
}

/*
 * Start the child: `sh -c COMMAND` (or `sh -s` reading the stub on its
 * standard input, else /dev/null there), stdout and stderr on pipes, in a
 * session of its own, every signal at its default and none blocked (as
 * uv_spawn did).  Returns 0, or a negative errno with nothing left open.
 */
static int
local_posix_spawn(struct local_task *lt, char **args, char **env, int *in_w,
    int *out_r, int *err_r)
{
	struct pogo_exec_local_fault nofault = { 0 };
	struct pogo_exec_local_fault *fault =
	    lt->le->opts.fault != NULL ? lt->le->opts.fault : &nofault;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int r;

	if ((lt->stubmode && (r = local_pipe(in)) != 0) ||
	    (r = local_pipe(out)) != 0 || (r = local_pipe(err)) != 0)
		goto fail;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if (lt->stubmode)
		posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(
		    &fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at,
	    POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF |
	        POSIX_SPAWN_SETSIGMASK);
	r = -posix_spawn(&lt->pid, "/bin/sh", &fa, &at, args, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (r != 0)
		goto fail;
	if (fault->fail != 0)
		fault->pid = lt->pid;
	if (fault->fail == 1) {
		lt->pidfd = -1;
		errno = EMFILE;
	} else
		lt->pidfd = pidfd_open(lt->pid, 0);
	if (lt->pidfd < 0) {
		/* Out of descriptors: nothing could watch it, so it goes. */
		r = -errno;
		fault->fail = 0;
		local_abandon(lt, fault->spare);
		goto fail;
	}
	if (lt->stubmode)
		close(in[0]);
	close(out[1]);
	close(err[1]);
	*in_w = in[1];
	*out_r = out[0];
	*err_r = err[0];
	return 0;
fail:
	if (in[0] >= 0) {
		close(in[0]);
		close(in[1]);
	}
	if (out[0] >= 0) {
		close(out[0]);
		close(out[1]);
	}
	if (err[0] >= 0) {
		close(err[0]);
		close(err[1]);
	}
	return r;
}

/* Spawn the child of lt (`sh -c`, or `sh -s` reading the stub). */
static void
local_spawn(struct local_task *lt)
{
	struct local_exec *le = lt->le;
	struct pogo_exec_local_fault nofault = { 0 };
	struct pogo_exec_local_fault *fault =
	    le->opts.fault != NULL ? le->opts.fault : &nofault;
	struct pogo_exec_task *t = lt->t;
	char *args[4], **env;
	int in_w = -1, out_r = -1, err_r = -1;
	uv_buf_t buf;
	size_t i;
	int r;

	args[0] = (char *)"sh";
	args[1] = (char *)"-c";
	args[2] = (char *)t->command;
	args[3] = NULL;
	if (lt->stubmode) {
		/* SPEC 9.11: the stub of 9.7, read by `sh -s`. */
		args[1] = (char *)"-s";
		args[2] = NULL;
	}
	env = local_env(t);
	r = local_posix_spawn(lt, args, env, &in_w, &out_r, &err_r);
	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
	if (r == 0 && fault->fail == 2) {
		fault->fail = 0;
		r = UV_EMFILE;
	} else if (r == 0)
		r = uv_poll_init(le->loop, &lt->exitw, lt->pidfd);
	if (r != 0 && lt->pidfd >= 0) {
		/* The child runs, unwatched: it goes (its pipes too). */
		local_abandon(lt, fault->spare);
		close(lt->pidfd);
		lt->pidfd = -1;
		if (in_w >= 0)
			close(in_w);
		close(out_r);
		close(err_r);
	}
	lt->spawned = r == 0;
	if (r != 0) {
		/* SPEC 9.11: `cannot run command: <reason>` (local_started_cb) */
		lt->spawn_error = xstrdup(uv_strerror(r));
		lt->exited = lt->eof_out = lt->eof_err = true;
		return;
	}
	lt->exitw.data = lt;
	lt->handles++;
	(void)uv_poll_start(&lt->exitw, UV_READABLE, local_exitw_cb);
	(void)uv_pipe_open(&lt->out, out_r);
	(void)uv_pipe_open(&lt->err, err_r);
	if (lt->stubmode) {
		(void)uv_pipe_open(&lt->in, in_w);
		if (lt->stub != NULL) {
			buf = uv_buf_init(lt->stub, (unsigned)strlen(lt->stub));
			if (uv_write(&lt->wreq, (uv_stream_t *)&lt->in, &buf, 1,
			        local_stub_written_cb) != 0)
				uv_close((uv_handle_t *)&lt->in,
				    local_handle_closed);
		}
	}
}

/* The loop turn after start(): spawn, then the started (or done) event. */
static void
local_started_cb(uv_timer_t *tm)
{
	struct local_task *lt = tm->data;
	struct local_exec *le = lt->le;

	if (lt->stopping) {
		/* Killed before the spawn: nothing ran. */
		lt->done = true;
		pogo_exec_run_done(&le->base, &lt->run, &lt->res);
		local_close_task(lt);
		return;
	}
	local_spawn(lt);
	if (!lt->spawned) {
		/* SPEC 9.11: a command that cannot be spawned fails. */
		pogo_exec_result_set(&lt->res, POGO_EXEC_FAILED, -1,
		    "cannot run command: %s", lt->spawn_error);
		lt->have_result = true;
		lt->done = true;
		pogo_exec_run_done(&le->base, &lt->run, &lt->res);
		local_close_task(lt);
		return;
	}
	if (le->pid_dir == NULL) {
		local_announce(lt);
		return;
	}
	/* SPEC 9.10: started once a next worker could find it. */
	lt->pidfile = pogo_pidfile_new(
	    le->pid_dir, lt->t->task_id, lt->pid, local_pid_written, lt);
	lt->handles++;
}

static void
local_pid_written(void *arg)
{
	local_announce(arg);
}

/* Spawned (and its pid file written): the task runs. */
static void
local_announce(struct local_task *lt)
{
	struct local_exec *le = lt->le;
	uint64_t limit;

	lt->started = true;
	if (!le->paused && !le->throttled)
		local_reading(lt, true);
	pogo_exec_run_started(&le->base, &lt->run);
	if (lt->stopping)
		local_start_grace(lt);
	else {
		/* Stub mode: the stub times attempts, this the whole run
		 * (9.10); it bounds the linger of one that exited already. */
		limit =
		    lt->stubmode ? pogo_stub_run_limit(lt->t) : lt->t->timeout;
		if (limit > 0)
			pogo_exec_limit_start(&lt->limit, &lt->timer,
			    local_timeout_cb, limit * 1000, le->paused);
	}
	if (lt->exited)
		local_exited(lt);
}

static int
local_start(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct local_exec *le = (struct local_exec *)e;
	struct local_task *lt;
	char rnd[POGO_STUB_RANDOM_HEX + 1];
	int r;

	if (le->closing)
		return UV_ECANCELED;
	if (pogo_stub_needed(t->stub) && (r = pogo_stub_random(rnd)) != 0)
		return r;
	lt = xcalloc(1, sizeof(*lt));
	lt->stubmode = pogo_stub_needed(t->stub);
	lt->le = le;
	lt->t = t;
	t->priv = lt;
	uv_pipe_init(le->loop, &lt->in, 0);
	uv_pipe_init(le->loop, &lt->out, 0);
	uv_pipe_init(le->loop, &lt->err, 0);
	uv_timer_init(le->loop, &lt->timer);
	uv_timer_init(le->loop, &lt->quiet);
	lt->in.data = lt->out.data = lt->err.data = lt;
	lt->timer.data = lt->quiet.data = lt->exitw.data = lt;
	lt->pidfd = -1;
	lt->wreq.data = lt;
	lt->handles = 5;
	pogo_output_init(&lt->o_out, POGO_OUT_STDOUT, false, local_record, lt);
	pogo_output_init(&lt->o_err, POGO_OUT_STDERR, false, local_record, lt);
	if (lt->stubmode)
		lt->stub = pogo_stub_script(t, rnd, NULL);
	le->tasks++;
	pogo_exec_run_add(e, &lt->run, t);
	/* The spawn and the started (or failed) event: from the loop. */
	uv_timer_start(&lt->timer, local_started_cb, 0, 0);
	return 0;
}

/* Take back a task not spawned yet (its timer holds the spawn). */
static int
local_withdraw(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct local_task *lt = t->priv;

	if (lt == NULL || lt->le != (struct local_exec *)e || !lt->run.linked)
		return POGO_ERR_NOTFOUND;
	if (lt->spawned || lt->run.started || lt->stopping)
		return POGO_ERR_STATE;
	uv_timer_stop(&lt->timer);
	pogo_exec_run_drop(e, &lt->run);
	lt->done = true;
	local_close_task(lt);
	return 0;
}

static void
local_kill(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct local_task *lt = t->priv;

	if (lt == NULL || lt->done)
		return;
	if (lt->exited && !lt->stopping) {
		/*
		 * It exited: its result stands.  A linger (something it
		 * started holds its output) ends now, from the loop
		 * (local_linger_cb); before the started event, local_exited()
		 * begins it so.
		 */
		lt->cut = true;
		if (lt->started) {
			uv_timer_stop(&lt->timer);
			uv_timer_start(&lt->timer, local_linger_cb, 0, 0);
		}
		return;
	}
	if (!lt->have_result) {
		pogo_exec_result_set(&lt->res, POGO_EXEC_FAILED, -1, "killed");
		lt->have_result = true;
	}
	local_stop(lt);
}

static void
local_close_timer_closed(uv_handle_t *h)
{
	struct local_exec *le = h->data;

	le->close_cb(le->close_arg);
	/* Each task's pid file was removed before its task was freed. */
	pogo_pidfile_dir_free(le->pid_dir);
	free(le);
}

static void
local_close(struct pogo_exec *e, void (*cb)(void *), void *arg)
{
	struct local_exec *le = (struct local_exec *)e;

	le->closing = true;
	le->close_cb = cb;
	le->close_arg = arg;
	le->close_timer.data = le;
	/* Freed in the timer's close callback, after the last task. */
	if (le->tasks == 0)
		uv_close(
		    (uv_handle_t *)&le->close_timer, local_close_timer_closed);
}

static const struct pogo_exec_ops local_ops = {
	.start = local_start,
	.kill = local_kill,
	.pause = local_pause,
	.throttle = local_throttle,
	.close = local_close,
	.taskstatus = pogo_exec_taskstatus,
	.withdraw = local_withdraw,
};

struct pogo_exec *
pogo_exec_local_new(uv_loop_t *loop, const struct pogo_exec_local_opts *opts,
    const struct pogo_exec_events *ev, void *ev_arg)
{
	struct local_exec *le = xcalloc(1, sizeof(*le));

	le->base.ops = &local_ops;
	le->base.ev = ev;
	le->base.ev_arg = ev_arg;
	le->base.max_tasks = opts->max_tasks ? opts->max_tasks : 256;
	le->loop = loop;
	le->opts = *opts;
	le->opts.pid_dir = NULL; /* the caller's string */
	if (opts->pid_dir != NULL)
		le->pid_dir = pogo_pidfile_dir_new(loop, opts->pid_dir);
	uv_timer_init(loop, &le->close_timer);
	le->close_timer.data = le;
	return &le->base;
}
