/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo one: one job from this process (SPEC 12.2).  Option parsing, the
 * configuration, the target list and the wiring of the job engine to an
 * executor (SSH, or local with --local) on one loop; the printer of the
 * default lines, --json events, --output-dir files, the progress line and
 * the summary; SIGINT, SIGTERM and SIGHUP halt the job, a second one kills
 * the running tasks.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include <uv.h>

#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/exec-local.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/proc.h"
#include "pogo/resolver.h"
#include "pogo/sched-config.h"
#include "pogo/sched-table.h"
#include "pogo/sched.h"
#include "pogo/sink.h"
#include "pogo/ssh.h"
#include "pogo/target.h"
#include "pogo/xmalloc.h"

#define ONE_DEFAULT_RESOLVERS "/etc/pogo/resolvers"
#define ONE_MAX_CONFIG (64 * 1024 * 1024)
#define ONE_FD_RESERVE 64
#define ONE_MAX_SCRIPT (1024 * 1024) /* SPEC 5.1 exe_data */
/*
 * Output queued for a slow reader of stdout or stderr beyond this pauses
 * the reading of the commands' output (back-pressure); half resumes it.
 */
#define ONE_SINK_HIGH (4 * 1024 * 1024)

static int cmd_one_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_one = {
	.name = "one",
	.usage = "--targets LIST --run-command CMD [--config FILE] "
	         "[-p|--password] [-l|--user USER] [--port N] "
	         "[-i|--identity FILE]... [-F|--ssh-config FILE] "
	         "[--known-hosts FILE] "
	         "[--host-key-check strict|accept-new|off] "
	         "[--connect-timeout S] [--timeout S] [--job-timeout S] "
	         "[--concurrency N] [--max-handshakes N] [--max-output N] "
	         "[--run-as USER] [--retry N] [--prehook] [--posthook] "
	         "[--lock] [--hook-dir DIR] [--file SCRIPT] [--local] "
	         "[--output-dir DIR] [--json] "
	         "[--show-output] [--dry-run] [--resolver-path PATH] "
	         "[-v|--verbose]",
	.summary = "run one job from this process (dispatcher and worker in "
	           "one)",
	.flags = POGO_CMD_LOOP,
	.main = cmd_one_main,
};

struct one {
	uv_loop_t loop;
	struct pogo_job *job;
	struct pogo_exec *exec;
	struct pogo_dispatch *dispatch;
	uv_signal_t sigint;
	uv_signal_t sigterm;
	uv_signal_t sighup;
	uv_timer_t progress;
	struct pogo_sink *out; /* stdout, written through the loop */
	struct pogo_sink *err; /* stderr, likewise */
	bool escape;           /* stdout is a terminal: escape output */
	bool out_full;         /* stdout's queue is above its mark */
	bool err_full;         /* stderr's, likewise */
	bool paused;           /* the executor's reading is paused */
	bool exec_closed;
	char *summary; /* the stderr summary, after stdout */
	int signals;
	bool json;
	bool show_output;
	bool progress_on;
	bool progress_shown;
	const char *output_dir;
	FILE **files; /* per host run being written, by host index */
	char **file_names;
	bool *file_failed;
	unsigned file_errors; /* output files that could not be written */
	double start;
	bool ended;
};

static double
one_now(void)
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Clear the progress line before anything else reaches the terminal. */
static void
one_progress_clear(struct one *o)
{
	if (o->progress_shown) {
		pogo_sink_write(o->err, "\r\033[K", 4);
		o->progress_shown = false;
	}
}

/* A log line of the loop's thread: through the sink, in order. */
static void
one_log_line(const char *line, size_t len, void *arg)
{
	struct one *o = arg;

	one_progress_clear(o);
	pogo_sink_write(o->err, line, len);
}

static void
one_progress_cb(uv_timer_t *tm)
{
	struct one *o = tm->data;
	struct pogo_job *j = o->job;
	uint32_t done = pogo_job_count(j, POGO_HOST_FINISHED) +
	    pogo_job_count(j, POGO_HOST_FAILED) +
	    pogo_job_count(j, POGO_HOST_UNREACHABLE) +
	    pogo_job_count(j, POGO_HOST_SKIPPED);

	/* A terminal that does not keep up misses an update. */
	if (pogo_sink_queued(o->err) > 0)
		return;
	pogo_sink_printf(o->err,
	    "\r\033[K[%u/%u done, %u running, %u waiting, %u failed]", done,
	    pogo_job_nhosts(j),
	    pogo_job_count(j, POGO_HOST_READY) +
	        pogo_job_count(j, POGO_HOST_RUNNING),
	    pogo_job_count(j, POGO_HOST_WAITING),
	    pogo_job_count(j, POGO_HOST_FAILED) +
	        pogo_job_count(j, POGO_HOST_UNREACHABLE));
	o->progress_shown = true;
}

/* Queue a JSON line (freed here) on stdout. */
static void
one_line(struct one *o, char *line)
{
	pogo_sink_write(o->out, line, strlen(line));
	pogo_sink_write(o->out, "\n", 1);
	free(line);
}

/* Print the README line of a host entry (SPEC 12.2), if it has one. */
static void
one_print_line(struct one *o, const struct pogo_job_entry *e)
{
	switch (e->state) {
	case POGO_HOST_READY:
		pogo_sink_printf(o->out, "%s: Running target\n", e->host);
		break;
	case POGO_HOST_FINISHED:
		pogo_sink_printf(o->out, "%s: Success\n", e->host);
		break;
	case POGO_HOST_FAILED:
		if (e->exitstatus >= 0)
			pogo_sink_printf(o->out, "%s: Failed (rc=%d)\n",
			    e->host, e->exitstatus);
		else
			pogo_sink_printf(
			    o->out, "%s: Failed (%s)\n", e->host, e->message);
		break;
	case POGO_HOST_UNREACHABLE:
		pogo_sink_printf(
		    o->out, "%s: Unreachable (%s)\n", e->host, e->message);
		break;
	case POGO_HOST_DEADLOCKED:
		pogo_sink_printf(o->out, "%s: Deadlocked\n", e->host);
		break;
	case POGO_HOST_HALTED:
		pogo_sink_printf(o->out, "%s: Halted\n", e->host);
		break;
	case POGO_HOST_SKIPPED:
		pogo_sink_printf(o->out, "%s: Skipped\n", e->host);
		break;
	default:
		return;
	}
}

static void
one_entry_cb(struct pogo_job *job, const struct pogo_job_entry *e, void *arg)
{
	struct one *o = arg;
	char *line;

	one_progress_clear(o);
	if (o->json) {
		line = pogo_json_event_entry(pogo_job_id(job), e);
		one_line(o, line);
		return;
	}
	if (e->host != NULL)
		one_print_line(o, e);
}

/* Report a failed output file once, and make the exit status non-zero. */
static void
one_file_error(struct one *o, uint32_t t, int err)
{
	if (o->file_failed[t])
		return;
	o->file_failed[t] = true;
	o->file_errors++;
	one_progress_clear(o);
	pogo_sink_printf(
	    o->err, "pogo one: %s: %s\n", o->file_names[t], strerror(err));
}

/* Open DIR/<host>.<n>.txt, n the first free number (SPEC 12.2). */
static void
one_output_file(struct one *o, uint32_t t, const char *host)
{
	char *safe = xstrdup(host), *path = NULL;
	unsigned n;
	size_t i;
	int fd = -1, err = 0;

	for (i = 0; safe[i] != '\0'; i++) {
		char c = safe[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		        c == ':' || c == '-') ||
		    (i == 0 && c == '.'))
			safe[i] = '_';
	}
	for (n = 0; n < 100000; n++) {
		free(path);
		xasprintf(&path, "%s/%s.%u.txt", o->output_dir, safe, n);
		/* XXX(#4): small local files, written on the loop thread. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	err = fd < 0 ? errno : 0;
	free(o->file_names[t]);
	o->file_names[t] = path;
	o->file_failed[t] = false;
	if (fd >= 0 && (o->files[t] = fdopen(fd, "w")) == NULL) {
		err = errno;
		close(fd);
	}
	if (o->files[t] == NULL)
		one_file_error(o, t, err != 0 ? err : EEXIST);
	free(safe);
}

static void
one_output_cb(struct pogo_job *job, const char *host, uint32_t run,
    enum pogo_out_type type, const char *data, size_t len, bool eol,
    double time, void *arg)
{
	struct one *o = arg;
	char *line;
	uint32_t t;
	FILE *f;

	if (o->json) {
		one_progress_clear(o);
		line = pogo_json_event_output(
		    pogo_job_id(job), host, run, type, data, len, time);
		one_line(o, line);
	} else if (o->show_output) {
		one_progress_clear(o);
		/*
		 * Every byte, NUL included; on a terminal, the bytes that
		 * would move the cursor or forge a line are shown escaped.
		 */
		pogo_sink_printf(o->out, "%s: ", host);
		if (o->escape)
			pogo_sink_write_escaped(o->out, data, len);
		else
			pogo_sink_write(o->out, data, len);
		pogo_sink_write(o->out, "\n", 1);
	}
	if (o->output_dir != NULL) {
		/* The file was opened when the run started. */
		t = pogo_sched_find_task(pogo_job_sched(job), host);
		if ((f = o->files[t]) != NULL && !o->file_failed[t] &&
		    ((len > 0 && fwrite(data, 1, len, f) != len) ||
		        (eol && fputc('\n', f) == EOF)))
			one_file_error(o, t, errno);
	}
}

/* Close the output file of task t; a write error is reported. */
static void
one_close_file(struct one *o, uint32_t t)
{
	FILE *f = o->files[t];
	int err;

	if (f == NULL)
		return;
	o->files[t] = NULL;
	errno = 0;
	if (ferror(f) | fflush(f)) {
		err = errno != 0 ? errno : EIO;
		fclose(f);
		one_file_error(o, t, err);
	} else if (fclose(f) != 0)
		one_file_error(o, t, errno);
}

static void
one_close_files(struct one *o)
{
	uint32_t t, n = pogo_job_nhosts(o->job);

	if (o->output_dir == NULL)
		return;
	for (t = 0; t < n; t++) {
		one_close_file(o, t);
		free(o->file_names[t]);
	}
}

static void
one_entry_files_cb(struct one *o, const struct pogo_job_entry *e)
{
	uint32_t t;

	if (o->output_dir == NULL || e->host == NULL)
		return;
	t = pogo_sched_find_task(pogo_job_sched(o->job), e->host);
	if (e->state == POGO_HOST_RUNNING && o->files[t] == NULL)
		one_output_file(o, t, e->host);
	if (e->state >= POGO_HOST_FINISHED)
		one_close_file(o, t);
}

static void
one_entry_all_cb(
    struct pogo_job *job, const struct pogo_job_entry *e, void *arg)
{
	one_entry_cb(job, e, arg);
	one_entry_files_cb(arg, e);
}

static void
one_end_cb(struct pogo_job *job, void *arg)
{
	struct one *o = arg;

	o->ended = true;
	uv_signal_stop(&o->sigint);
	uv_signal_stop(&o->sigterm);
	uv_signal_stop(&o->sighup);
	uv_timer_stop(&o->progress);
	one_progress_clear(o);
}

static const struct pogo_job_listener one_listener = {
	.entry = one_entry_all_cb,
	.output = one_output_cb,
	.end = one_end_cb,
};

static void
one_signal_cb(uv_signal_t *h, int signum)
{
	struct one *o = h->data;

	if (o->ended)
		return;
	if (++o->signals == 1)
		pogo_job_halt(o->job, "halted by user");
	else
		pogo_job_kill(o->job);
}

/* The signal that interrupted the secret's prompt; 0 if none. */
static volatile sig_atomic_t one_pw_signal;

static void
one_pw_signal_cb(int sig)
{
	one_pw_signal = sig;
}

/*
 * One line of fd into buf (without the newline), a byte at a time, unless
 * a signal comes first.
 */
static void
one_read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char c;

	while (n + 1 < size && one_pw_signal == 0) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r != 1 || c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = '\0';
	explicit_bzero(&c, sizeof(c));
}

/*
 * Read a password or passphrase after prompt (SPEC 12.1): the terminal with
 * echo off, or one line of stdin without a prompt.  The terminal's modes
 * come back even when a signal (Ctrl-C, a hangup) ends the prompt; the
 * signal is then delivered again, to its old handler, as OpenSSH's
 * readpassphrase() does.
 */
static char *
one_read_secret(const char *prompt)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
		SIGTTIN, SIGTTOU };
	struct sigaction sa, old[POGO_NELEM(sigs)];
	struct termios t, saved;
	char buf[1024], *pw;
	size_t len, i;
	bool noecho;
	int fd, sig;

	/*
	 * read(2), not stdio: no stream buffer keeps a copy of the secret.
	 * Echo goes off before the prompt is written, so nothing typed after
	 * the prompt appears is echoed or flushed.  A stop (Ctrl-Z) restores
	 * the terminal, stops, and asks again once continued, as
	 * readpassphrase(3) does; any other signal is delivered after the
	 * terminal is restored.
	 */
restart:
	noecho = false;
	if (isatty(STDIN_FILENO) &&
	    (fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) >= 0) {
		one_pw_signal = 0;
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = one_pw_signal_cb; /* no SA_RESTART */
		for (i = 0; i < POGO_NELEM(sigs); i++) {
			sigaction(sigs[i], &sa, &old[i]);
			if (old[i].sa_handler == SIG_IGN)
				sigaction(sigs[i], &old[i], NULL);
		}
		if (tcgetattr(fd, &t) == 0) {
			saved = t;
			t.c_lflag &= ~(tcflag_t)ECHO;
			noecho = tcsetattr(fd, TCSAFLUSH, &t) == 0;
		}
		(void)!write(fd, prompt, strlen(prompt));
		one_read_line(fd, buf, sizeof(buf));
		if (noecho)
			tcsetattr(fd, TCSAFLUSH, &saved);
		(void)!write(fd, "\n", 1);
		close(fd);
		for (i = 0; i < POGO_NELEM(sigs); i++)
			sigaction(sigs[i], &old[i], NULL);
		if ((sig = one_pw_signal) != 0) {
			explicit_bzero(buf, sizeof(buf));
			kill(getpid(), sig);
			if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU)
				goto restart;
		}
	} else
		one_read_line(STDIN_FILENO, buf, sizeof(buf));
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	pw = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return pw;
}

static void
one_summary(struct one *o, int exitcode)
{
	struct pogo_job *j = o->job;
	uint32_t n = pogo_job_nhosts(j);
	double elapsed = one_now() - o->start;
	char extra[128] = "";
	size_t x = 0;
	char *line;

	if (pogo_job_count(j, POGO_HOST_DEADLOCKED) > 0)
		x += (size_t)snprintf(extra + x, sizeof(extra) - x,
		    ", %u deadlocked", pogo_job_count(j, POGO_HOST_DEADLOCKED));
	if (pogo_job_count(j, POGO_HOST_HALTED) > 0)
		x += (size_t)snprintf(extra + x, sizeof(extra) - x,
		    ", %u halted", pogo_job_count(j, POGO_HOST_HALTED));
	if (pogo_job_count(j, POGO_HOST_SKIPPED) > 0)
		x += (size_t)snprintf(extra + x, sizeof(extra) - x,
		    ", %u skipped", pogo_job_count(j, POGO_HOST_SKIPPED));
	if (o->json) {
		line = pogo_json_event_summary(n,
		    pogo_job_count(j, POGO_HOST_FINISHED),
		    pogo_job_count(j, POGO_HOST_FAILED),
		    pogo_job_count(j, POGO_HOST_UNREACHABLE),
		    pogo_job_count(j, POGO_HOST_DEADLOCKED),
		    pogo_job_count(j, POGO_HOST_HALTED),
		    pogo_job_count(j, POGO_HOST_SKIPPED), elapsed,
		    o->exec->peak_inflight, o->exec->peak_handshakes, exitcode);
		one_line(o, line);
	}
	/* Written to stderr once stdout is out (one_out_closed_cb). */
	xasprintf(&o->summary,
	    "%u host%s: %u ok, %u failed, %u unreachable%s in %.1f s\n", n,
	    n == 1 ? "" : "s", pogo_job_count(j, POGO_HOST_FINISHED),
	    pogo_job_count(j, POGO_HOST_FAILED),
	    pogo_job_count(j, POGO_HOST_UNREACHABLE), extra, elapsed);
}

static void
one_resolved_cb(struct pogo_resolver *res, int status, void *arg)
{
	*(int *)arg = status;
}

/* Parse, resolve and build the configuration of --config. */
static int
one_config(const char *file, const char *path, struct pogo_sched_config **cfgp)
{
	struct pogo_sched_config *cfg = NULL;
	char *text = NULL, *cause = NULL;
	uv_loop_t loop;
	size_t len;
	int r, status = -1;

	*cfgp = NULL;
	if ((r = pogo_str_read_file(file, ONE_MAX_CONFIG, &text, &len)) != 0) {
		fprintf(stderr, "pogo one: %s: %s\n", file, pogo_strerror(r));
		return r;
	}
	r = pogo_sched_config_parse(text, len, &cfg, &cause);
	free(text);
	if (r == 0 && pogo_sched_config_nrefs(cfg) > 0) {
		if ((r = pogo_proc_loop_init(&loop)) == 0) {
			r = pogo_resolver_run(
			    &loop, cfg, path, 0, one_resolved_cb, &status);
			if (r == 0)
				uv_run(&loop, UV_RUN_DEFAULT);
			pogo_proc_loop_close(&loop);
		}
	}
	if (r == 0)
		r = pogo_sched_config_build(cfg, &cause);
	if (r != 0) {
		if (cause != NULL)
			fprintf(stderr, "%s\n", cause);
		free(cause);
		pogo_sched_config_free(cfg);
		return r;
	}
	*cfgp = cfg;
	return 0;
}

static int
one_number(
    const char *opt, const char *v, long long min, long long max, unsigned *out)
{
	long long n;

	if (pogo_strtonum(v, min, max, &n) != 0) {
		fprintf(
		    stderr, "pogo one: invalid value for --%s: '%s'\n", opt, v);
		return POGO_ERR_USAGE;
	}
	*out = (unsigned)n;
	return 0;
}

/*
 * Make sure the descriptors of N tasks fit (SPEC: a clear error): a
 * connection, or two pipes for a local command, plus an output file.
 */
static int
one_check_fds(unsigned concurrency, bool local, bool files)
{
	struct rlimit rl;
	rlim_t per = (local ? 2 : 1) + (files ? 1 : 0);
	rlim_t need = (rlim_t)concurrency * per + ONE_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return 0;
	}
	fprintf(stderr,
	    "pogo one: --concurrency %u needs %llu file descriptors; the "
	    "limit is %llu\n",
	    concurrency, (unsigned long long)need,
	    (unsigned long long)rl.rlim_max);
	return POGO_ERR_LIMIT;
}

/* Create the directory dir and its missing parents (mkdir -p). */
static int
one_mkdirs(const char *dir)
{
	struct stat sb;
	char *path = xstrdup(dir), *p;
	bool end = dir[0] == '\0';
	int r = 0;

	for (p = path + 1; !end; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		end = *p == '\0';
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "pogo one: --output-dir %s: %s\n", path,
			    strerror(errno));
			r = POGO_ERR_ERRNO(errno);
			goto out;
		}
		if (!end)
			*p = '/';
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "pogo one: --output-dir %s: not a directory\n",
		    dir);
		r = POGO_ERR_CONFIG;
	}
out:
	free(path);
	return r;
}

static void
one_closed_cb(void *arg)
{
	(void)arg;
}

/* stdout is written: the summary goes to stderr, which is closed too. */
static void
one_out_closed_cb(void *arg)
{
	struct one *o = arg;

	if (o->summary != NULL)
		pogo_sink_write(o->err, o->summary, strlen(o->summary));
	pogo_log_set_writer(NULL, NULL);
	pogo_sink_close(o->err, one_closed_cb, NULL);
}

/*
 * Back-pressure: while stdout or stderr holds more than ONE_SINK_HIGH
 * for a slow reader, the executor stops reading the commands' output
 * (they wait on their pipes), rather than the loop blocking on a write
 * and firing every timer late.
 */
static void
one_level_cb(struct pogo_sink *s, bool full, void *arg)
{
	struct one *o = arg;
	bool pause;

	if (s == o->out)
		o->out_full = full;
	else
		o->err_full = full;
	pause = o->out_full || o->err_full;
	if (pause == o->paused || o->exec_closed)
		return;
	o->paused = pause;
	log_debug("%s reading command output: a slow reader of %s",
	    pause ? "pause" : "resume", s == o->out ? "stdout" : "stderr");
	if (o->exec->ops->pause != NULL)
		o->exec->ops->pause(o->exec, pause);
}

struct one_args {
	struct pogo_strv targets; /* every --targets value */
	const char *command;
	const char *config;
	const char *resolvers;
	const char *output_dir;
	const char *run_as;
	unsigned timeout;
	unsigned job_timeout;
	unsigned concurrency;
	unsigned max_output;
	struct pogo_exec_stub stub;
	const char *file; /* --file: the attached script's path */
	char *exe_data;   /* and its text */
	char *file_command;
	bool ask_password;
	bool local;
	bool dry_run;
	bool json;
	bool show_output;
	struct pogo_ssh_opts ssh;
};

/* User names: no shell metacharacters reach a login or sudo. */
static bool
one_valid_user(const char *u)
{
	size_t i;

	if (u[0] == '\0' || u[0] == '-' || strlen(u) > 64)
		return false;
	for (i = 0; u[i] != '\0'; i++) {
		if (!((u[i] >= 'a' && u[i] <= 'z') ||
		        (u[i] >= 'A' && u[i] <= 'Z') ||
		        (u[i] >= '0' && u[i] <= '9') || u[i] == '.' ||
		        u[i] == '_' || u[i] == '-' || u[i] == '@'))
			return false;
	}
	return true;
}

/*
 * An ssh_config file must be a regular file of sane size before libssh
 * reads it (the built libssh lacks the fix of CVE-2026-0965).
 */
static int
one_check_file(const char *path)
{
	struct stat sb;

	/* -F /dev/null: the standard way to ignore ~/.ssh/config. */
	if (strcmp(path, "/dev/null") == 0)
		return 0;
	if (stat(path, &sb) != 0) {
		fprintf(stderr, "pogo one: %s: %s\n", path, strerror(errno));
		return POGO_ERR_CONFIG;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > 1024 * 1024) {
		fprintf(stderr,
		    "pogo one: %s: not a regular file of at most 1 MiB\n",
		    path);
		return POGO_ERR_CONFIG;
	}
	return 0;
}

/*
 * --file SCRIPT: the attached script (SPEC 5.1 exe_name, exe_data): a base
 * name of [A-Za-z0-9_.-], text of at most 1 MiB without NUL bytes.  The
 * command shown is "Attached file: <name>".
 */
static int
one_attach(struct one_args *a)
{
	const char *name = strrchr(a->file, '/');
	size_t len;
	int r;

	name = name != NULL ? name + 1 : a->file;
	if (name[0] == '\0' ||
	    strspn(name,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789_.-") != strlen(name)) {
		fprintf(stderr,
		    "pogo one: --file %s: the name must be made of "
		    "A-Z a-z 0-9 _ . -\n",
		    a->file);
		return POGO_ERR_USAGE;
	}
	if ((r = pogo_str_read_file(
	         a->file, ONE_MAX_SCRIPT, &a->exe_data, &len)) != 0) {
		fprintf(stderr, "pogo one: --file %s: %s\n", a->file,
		    r == POGO_ERR_LIMIT ? "larger than 1 MiB"
		                        : pogo_strerror(r));
		return r;
	}
	if (memchr(a->exe_data, '\0', len) != NULL) {
		fprintf(
		    stderr, "pogo one: --file %s: not a text file\n", a->file);
		return POGO_ERR_USAGE;
	}
	a->stub.exe_name = name;
	a->stub.exe_data = a->exe_data;
	xasprintf(&a->file_command, "Attached file: %s", name);
	a->command = a->file_command;
	return 0;
}

/* Parse the command line into a; returns 0 or an exit status. */
static int
one_parse(int argc, char **argv, struct one_args *a)
{
	enum {
		OPT_TARGETS = 256,
		OPT_RUN,
		OPT_CONFIG,
		OPT_PORT,
		OPT_KNOWN,
		OPT_HKC,
		OPT_CTIMEOUT,
		OPT_TIMEOUT,
		OPT_JTIMEOUT,
		OPT_CONC,
		OPT_HS,
		OPT_MAXOUT,
		OPT_LOCAL,
		OPT_OUTDIR,
		OPT_JSON,
		OPT_SHOW,
		OPT_DRY,
		OPT_RESOLVERS,
		OPT_RUNAS,
		OPT_RETRY,
		OPT_PREHOOK,
		OPT_POSTHOOK,
		OPT_LOCK,
		OPT_HOOKDIR,
		OPT_FILE,
		OPT_LATER,
	};
	static const struct option longopts[] = {
		{ "targets", required_argument, NULL, OPT_TARGETS },
		{ "run-command", required_argument, NULL, OPT_RUN },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "password", no_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "identity", required_argument, NULL, 'i' },
		{ "ssh-config", required_argument, NULL, 'F' },
		{ "known-hosts", required_argument, NULL, OPT_KNOWN },
		{ "host-key-check", required_argument, NULL, OPT_HKC },
		{ "connect-timeout", required_argument, NULL, OPT_CTIMEOUT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "job-timeout", required_argument, NULL, OPT_JTIMEOUT },
		{ "concurrency", required_argument, NULL, OPT_CONC },
		{ "max-handshakes", required_argument, NULL, OPT_HS },
		{ "max-output", required_argument, NULL, OPT_MAXOUT },
		{ "local", no_argument, NULL, OPT_LOCAL },
		{ "output-dir", required_argument, NULL, OPT_OUTDIR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "show-output", no_argument, NULL, OPT_SHOW },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "resolver-path", required_argument, NULL, OPT_RESOLVERS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "run-as", required_argument, NULL, OPT_RUNAS },
		{ "retry", required_argument, NULL, OPT_RETRY },
		{ "prehook", no_argument, NULL, OPT_PREHOOK },
		{ "posthook", no_argument, NULL, OPT_POSTHOOK },
		{ "lock", no_argument, NULL, OPT_LOCK },
		{ "hook-dir", required_argument, NULL, OPT_HOOKDIR },
		{ "file", required_argument, NULL, OPT_FILE },
		/* SPEC 12.2 options that arrive later. */
		{ "state-dir", required_argument, NULL, OPT_LATER },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->resolvers = ONE_DEFAULT_RESOLVERS;
	a->timeout = 600;
	a->job_timeout = 1800;
	a->concurrency = 256;
	a->max_output = 1024 * 1024;
	a->ssh.max_handshakes = 32;
	a->ssh.connect_timeout = 10;
	a->ssh.host_key_check = POGO_SSH_HOSTKEY_ACCEPT_NEW;
	a->ssh.use_agent = true;
	opterr = 0;
	optind = 1;
	while (
	    (c = getopt_long(argc, argv, "pl:i:F:v", longopts, &idx)) != -1) {
		switch (c) {
		case OPT_TARGETS:
			pogo_strv_push(&a->targets, optarg);
			break;
		case OPT_RUN:
			a->command = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case 'p':
			a->ask_password = true;
			break;
		case 'l':
			a->ssh.user = optarg;
			break;
		case OPT_PORT:
			if (one_number("port", optarg, 1, 65535, &a->ssh.port))
				return POGO_EXIT_USAGE;
			break;
		case 'i':
			pogo_strv_push(&a->ssh.identities, optarg);
			break;
		case 'F':
			a->ssh.ssh_config = optarg;
			break;
		case OPT_KNOWN:
			a->ssh.known_hosts = optarg;
			break;
		case OPT_HKC:
			if (strcmp(optarg, "strict") == 0)
				a->ssh.host_key_check = POGO_SSH_HOSTKEY_STRICT;
			else if (strcmp(optarg, "accept-new") == 0)
				a->ssh.host_key_check =
				    POGO_SSH_HOSTKEY_ACCEPT_NEW;
			else if (strcmp(optarg, "off") == 0)
				a->ssh.host_key_check = POGO_SSH_HOSTKEY_OFF;
			else {
				fprintf(stderr,
				    "pogo one: invalid --host-key-check "
				    "'%s'\n",
				    optarg);
				return POGO_EXIT_USAGE;
			}
			break;
		case OPT_CTIMEOUT:
			if (one_number("connect-timeout", optarg, 1, 86400,
			        &a->ssh.connect_timeout))
				return POGO_EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (one_number(
			        "timeout", optarg, 0, 31536000, &a->timeout))
				return POGO_EXIT_USAGE;
			break;
		case OPT_JTIMEOUT:
			if (one_number("job-timeout", optarg, 0, 31536000,
			        &a->job_timeout))
				return POGO_EXIT_USAGE;
			break;
		case OPT_CONC:
			if (one_number("concurrency", optarg, 1, 100000,
			        &a->concurrency))
				return POGO_EXIT_USAGE;
			break;
		case OPT_HS:
			if (one_number("max-handshakes", optarg, 1, 100000,
			        &a->ssh.max_handshakes))
				return POGO_EXIT_USAGE;
			break;
		case OPT_MAXOUT:
			if (one_number("max-output", optarg, 0, INT32_MAX,
			        &a->max_output))
				return POGO_EXIT_USAGE;
			break;
		case OPT_LOCAL:
			a->local = true;
			break;
		case OPT_OUTDIR:
			a->output_dir = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_SHOW:
			a->show_output = true;
			break;
		case OPT_DRY:
			a->dry_run = true;
			break;
		case OPT_RESOLVERS:
			a->resolvers = optarg;
			break;
		case OPT_RUNAS:
			a->run_as = optarg;
			break;
		case OPT_RETRY:
			if (one_number(
			        "retry", optarg, 0, 1000, &a->stub.retry))
				return POGO_EXIT_USAGE;
			break;
		case OPT_PREHOOK:
			a->stub.prehook = true;
			break;
		case OPT_POSTHOOK:
			a->stub.posthook = true;
			break;
		case OPT_LOCK:
			a->stub.lock = true;
			break;
		case OPT_HOOKDIR:
			a->stub.hook_dir = optarg;
			break;
		case OPT_FILE:
			a->file = optarg;
			break;
		case 'v':
			pogo_log_level++;
			break;
		case OPT_LATER:
			fprintf(stderr,
			    "pogo one: --%s is not implemented yet\n",
			    longopts[idx].name);
			return POGO_EXIT_USAGE;
		default:
			pogo_cmd_usage(&pogo_cmd_one, stderr);
			return POGO_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		pogo_cmd_usage(&pogo_cmd_one, stderr);
		return POGO_EXIT_USAGE;
	}
	if (a->targets.n == 0) {
		fprintf(stderr, "Mandatory parameter targets missing\n");
		return POGO_EXIT_USAGE;
	}
	if (a->file != NULL && a->command != NULL) {
		fprintf(stderr,
		    "pogo one: --file and --run-command are exclusive\n");
		return POGO_EXIT_USAGE;
	}
	if (a->file != NULL && one_attach(a) != 0)
		return POGO_EXIT_USAGE;
	if (a->command == NULL ||
	    a->command[strspn(a->command, " \t\n")] == '\0') {
		fprintf(stderr, "Mandatory parameter run-command missing\n");
		return POGO_EXIT_USAGE;
	}
	if (a->stub.hook_dir != NULL && a->stub.hook_dir[0] == '\0') {
		fprintf(stderr, "pogo one: --hook-dir must not be empty\n");
		return POGO_EXIT_USAGE;
	}
	if (a->ssh.user != NULL && !one_valid_user(a->ssh.user)) {
		fprintf(
		    stderr, "pogo one: invalid user name '%s'\n", a->ssh.user);
		return POGO_EXIT_USAGE;
	}
	if (a->run_as != NULL && !one_valid_user(a->run_as)) {
		fprintf(
		    stderr, "pogo one: invalid user name '%s'\n", a->run_as);
		return POGO_EXIT_USAGE;
	}
	if (a->ssh.ssh_config != NULL && one_check_file(a->ssh.ssh_config) != 0)
		return POGO_EXIT_USAGE;
	for (i = 0; i < a->ssh.identities.n; i++) {
		if (access(a->ssh.identities.v[i], R_OK) != 0) {
			fprintf(stderr,
			    "pogo one: cannot read identity file %s: %s\n",
			    a->ssh.identities.v[i], strerror(errno));
			return POGO_EXIT_USAGE;
		}
	}
	if (a->local && a->run_as != NULL) {
		fprintf(stderr, "task type local does not support run_as\n");
		return POGO_EXIT_USAGE;
	}
	a->ssh.max_tasks = a->concurrency;
	a->ssh.max_output = a->max_output;
	return 0;
}

/* Run the job on the loop; returns the exit status. */
static int
one_run(
    struct one_args *a, struct pogo_sched_config *cfg, struct pogo_strv *hosts)
{
	struct pogo_exec_local_opts lopts;
	struct pogo_job_opts jopts;
	struct one *o;
	char *cause = NULL;
	int r, exitcode;
	uint32_t bad, n;

	o = xcalloc(1, sizeof(*o));
	o->json = a->json;
	o->show_output = a->show_output;
	o->output_dir = a->output_dir;
	if ((r = pogo_proc_loop_init(&o->loop)) != 0) {
		fprintf(stderr, "pogo one: cannot create the loop: %s\n",
		    uv_strerror(r));
		free(o);
		return POGO_EXIT_NOJOB;
	}
	if (a->local) {
		memset(&lopts, 0, sizeof(lopts));
		lopts.max_tasks = a->concurrency;
		lopts.max_output = a->max_output;
		o->exec = pogo_exec_local_new(&o->loop, &lopts, NULL, NULL);
	} else if ((o->exec = pogo_exec_ssh_new(
	                &o->loop, &a->ssh, NULL, NULL, &cause)) == NULL) {
		fprintf(stderr, "pogo one: %s\n", cause);
		free(cause);
		pogo_proc_loop_close(&o->loop);
		free(o);
		return POGO_EXIT_USAGE;
	}
	o->dispatch = pogo_dispatch_new(&o->loop, o->exec, NULL);
	memset(&jopts, 0, sizeof(jopts));
	jopts.id = "p0000000000";
	jopts.command = a->command;
	jopts.run_as = a->run_as;
	jopts.timeout = a->timeout;
	jopts.job_timeout = a->job_timeout;
	jopts.stub = a->stub;
	if (pogo_job_new(&o->loop, cfg, hosts, &jopts, o->dispatch,
	        &one_listener, o, &o->job, &cause) != 0) {
		fprintf(stderr, "pogo one: %s\n", cause);
		free(cause);
		pogo_dispatch_close(o->dispatch, one_closed_cb, NULL);
		o->exec->ops->close(o->exec, one_closed_cb, NULL);
		pogo_proc_loop_close(&o->loop);
		free(o);
		return POGO_EXIT_USAGE;
	}
	o->out = pogo_sink_new(
	    &o->loop, STDOUT_FILENO, ONE_SINK_HIGH, one_level_cb, o);
	o->err = pogo_sink_new(
	    &o->loop, STDERR_FILENO, ONE_SINK_HIGH, one_level_cb, o);
	pogo_log_set_writer(one_log_line, o);
	o->escape = pogo_sink_is_tty(o->out);
	if (o->output_dir != NULL) {
		n = pogo_job_nhosts(o->job) + 1;
		o->files = xcalloc(n, sizeof(*o->files));
		o->file_names = xcalloc(n, sizeof(*o->file_names));
		o->file_failed = xcalloc(n, sizeof(*o->file_failed));
	}
	uv_signal_init(&o->loop, &o->sigint);
	uv_signal_init(&o->loop, &o->sigterm);
	uv_signal_init(&o->loop, &o->sighup);
	o->sigint.data = o->sigterm.data = o->sighup.data = o;
	uv_signal_start(&o->sigint, one_signal_cb, SIGINT);
	uv_signal_start(&o->sigterm, one_signal_cb, SIGTERM);
	/* A closed terminal: halt and report, as for SIGTERM. */
	uv_signal_start(&o->sighup, one_signal_cb, SIGHUP);
	/*
	 * A reader that went away (`| head`) must not end a rollout half
	 * way: the sinks drop what they cannot write, the job runs on.
	 * Children get the default back from uv_spawn.
	 */
	signal(SIGPIPE, SIG_IGN);
	uv_timer_init(&o->loop, &o->progress);
	o->progress.data = o;
	if (!o->json && isatty(STDERR_FILENO))
		uv_timer_start(&o->progress, one_progress_cb, 100, 100);
	o->start = one_now();
	pogo_job_start(o->job);
	uv_run(&o->loop, UV_RUN_DEFAULT);

	bad = pogo_job_count(o->job, POGO_HOST_FAILED) +
	    pogo_job_count(o->job, POGO_HOST_UNREACHABLE) +
	    pogo_job_count(o->job, POGO_HOST_DEADLOCKED) +
	    pogo_job_count(o->job, POGO_HOST_HALTED) +
	    pogo_job_count(o->job, POGO_HOST_SKIPPED);
	exitcode = bad == 0 && pogo_job_state(o->job) == POGO_JOB_FINISHED
	    ? POGO_EXIT_OK
	    : POGO_EXIT_FAIL;
	one_close_files(o);
	if (o->file_errors > 0)
		exitcode = POGO_EXIT_FAIL;
	one_summary(o, exitcode);
	uv_close((uv_handle_t *)&o->sigint, NULL);
	uv_close((uv_handle_t *)&o->sigterm, NULL);
	uv_close((uv_handle_t *)&o->sighup, NULL);
	uv_close((uv_handle_t *)&o->progress, NULL);
	pogo_job_close(o->job, one_closed_cb, NULL);
	pogo_dispatch_close(o->dispatch, one_closed_cb, NULL);
	o->exec_closed = true;
	o->exec->ops->close(o->exec, one_closed_cb, NULL);
	/* stdout first, then the summary on stderr (one_out_closed_cb). */
	pogo_sink_close(o->out, one_out_closed_cb, o);
	uv_run(&o->loop, UV_RUN_DEFAULT);
	if (pogo_proc_loop_close(&o->loop) != 0)
		log_warn("the loop did not close cleanly");
	free(o->files);
	free(o->file_names);
	free(o->file_failed);
	free(o->summary);
	free(o);
	return exitcode;
}

/*
 * Every handshake may hold a thread of libuv's pool while its ssh_config
 * is read (a "Match exec" runs a command), and DNS lookups share the pool:
 * size it for max_handshakes, unless the user did.  libuv reads this once,
 * at the first work request, which comes later.
 */
static void
one_pool_size(unsigned handshakes)
{
	char n[16];

	if (getenv("UV_THREADPOOL_SIZE") != NULL)
		return;
	snprintf(
	    n, sizeof(n), "%u", handshakes + 4 < 256 ? handshakes + 4 : 256);
	setenv("UV_THREADPOOL_SIZE", n, 1);
}

static int
cmd_one_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct pogo_sched_cbs nocbs = { 0 };
	struct one_args a;
	struct pogo_sched_config *cfg = NULL;
	struct pogo_sched *dry = NULL;
	struct pogo_strv hosts = { 0 };
	char *cause = NULL, *table, *password = NULL;
	size_t i;
	int ret;

	if ((ret = one_parse(argc, argv, &a)) != 0)
		goto out;
	ret = POGO_EXIT_USAGE;
	if (a.config != NULL && one_config(a.config, a.resolvers, &cfg) != 0)
		goto out;
	/* Repeated --targets: the union, first occurrence kept (SPEC 5.2). */
	for (i = 0; i < a.targets.n; i++) {
		if (pogo_target_parse(a.targets.v[i], &hosts, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			goto out;
		}
	}
	if (a.dry_run) {
		if (pogo_sched_new(cfg, &hosts, NULL, NULL, &nocbs, NULL, &dry,
		        &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			goto out;
		}
		table = pogo_sched_table(dry);
		fputs(table, stdout);
		free(table);
		pogo_sched_free(dry);
		ret = POGO_EXIT_OK;
		goto out;
	}
	if (a.output_dir != NULL && one_mkdirs(a.output_dir) != 0)
		goto out;
	if (one_check_fds(a.concurrency, a.local, a.output_dir != NULL) != 0)
		goto out;
	if (!a.local) {
		if (pogo_ssh_init(&cause) != 0) {
			fprintf(stderr, "pogo one: %s\n", cause);
			ret = POGO_EXIT_NOJOB;
			goto out;
		}
		a.ssh.ask_secret = one_read_secret;
		one_pool_size(a.ssh.max_handshakes);
		if (a.ask_password) {
			password = one_read_secret("Password: ");
			a.ssh.password = password;
		}
	}
	ret = one_run(&a, cfg, &hosts);
out:
	(void)ctx;
	free(cause);
	if (password != NULL)
		pogo_freezero(password, strlen(password));
	pogo_strv_clear(&hosts);
	pogo_strv_clear(&a.targets);
	pogo_strv_clear(&a.ssh.identities);
	free(a.exe_data);
	free(a.file_command);
	pogo_sched_config_free(cfg);
	return ret;
}
