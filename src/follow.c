/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The follower (follow.h): the printers of pogo one and pogo submit
 * --follow, their summary, exit status and signals, fed with job events
 * by a source.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/follow.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/sink.h"
#include "pogo/str.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

#define FOLLOW_PROGRESS_MS 100
#define FOLLOW_MAX_FILE_NUMBER 100000

/* One host of the job, by its id in the follower's table. */
struct follow_host {
	uint8_t state; /* enum pogo_host_state */
	bool file_failed;
	FILE *file;      /* the run's --output-dir file being written */
	char *file_name; /* its path, kept for the error message */
};

struct pogo_follow {
	uv_loop_t *loop;
	struct pogo_follow_opts opts;
	const struct pogo_follow_source *src;
	void *arg;

	uv_signal_t sigint;
	uv_signal_t sigterm;
	uv_signal_t sighup;
	uv_timer_t progress;
	uv_async_t logwake;    /* other threads' log lines are queued */
	struct pogo_sink *out; /* stdout, written through the loop */
	struct pogo_sink *err; /* stderr, likewise */
	bool escape;           /* stdout is a terminal: escape output */
	bool out_full;         /* stdout's queue is above its mark */
	bool err_full;         /* stderr's, likewise */
	bool paused;           /* the source was asked to pause */
	bool progress_shown;
	bool detached; /* finished: the source is not called any more */

	struct pogo_strtab *names; /* host name -> id */
	struct follow_host *hosts; /* by id */
	uint32_t nalloc;
	uint32_t nhosts; /* in the job (at least every host named) */
	uint32_t counts[POGO_HOST_NSTATES];
	int job_state;        /* enum pogo_job_state, from the job entries */
	uint32_t next_index;  /* the log index expected next */
	unsigned file_errors; /* output files that could not be written */

	int signals;
	bool started;
	bool ended;
	double start;
	char *summary; /* the stderr line, written after stdout */
	int pending;   /* closes under way */
	void (*close_cb)(void *);
	void *close_arg;
};

static double
follow_wall(void)
{
	uv_timeval64_t tv;

	uv_gettimeofday(&tv);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static double
follow_now(struct pogo_follow *f)
{
	return f->opts.now != NULL ? f->opts.now() : follow_wall();
}

/* Clear the progress line before anything else reaches the terminal. */
static void
follow_progress_clear(struct pogo_follow *f)
{
	if (f->progress_shown) {
		pogo_sink_write(f->err, "\r\033[K", 4);
		f->progress_shown = false;
	}
}

/* A log line of the loop's thread: through the sink, in order. */
static void
follow_log_line(const char *line, size_t len, void *arg)
{
	struct pogo_follow *f = arg;

	follow_progress_clear(f);
	pogo_sink_write(f->err, line, len);
}

/* Other threads' lines: on to stderr, after the loop's so far. */
static void
follow_logwake_cb(uv_async_t *h)
{
	pogo_log_drain();
}

static void
follow_logwake(void *arg)
{
	struct pogo_follow *f = arg;

	uv_async_send(&f->logwake);
}

static void
follow_progress_cb(uv_timer_t *tm)
{
	struct pogo_follow *f = tm->data;
	const uint32_t *c = f->counts;
	uint32_t done = c[POGO_HOST_FINISHED] + c[POGO_HOST_FAILED] +
	    c[POGO_HOST_UNREACHABLE] + c[POGO_HOST_SKIPPED];

	/* A terminal that does not keep up misses an update. */
	if (pogo_sink_queued(f->err) > 0)
		return;
	pogo_sink_printf(f->err,
	    "\r\033[K[%u/%u done, %u running, %u waiting, %u failed]", done,
	    f->nhosts, c[POGO_HOST_READY] + c[POGO_HOST_RUNNING],
	    c[POGO_HOST_WAITING],
	    c[POGO_HOST_FAILED] + c[POGO_HOST_UNREACHABLE]);
	f->progress_shown = true;
}

/*
 * Back-pressure: while stdout or stderr holds more than the mark for a
 * slow reader, the source stops reading the commands' output (they wait
 * on their pipes), rather than the loop blocking on a write and firing
 * every timer late.
 */
static void
follow_level_cb(struct pogo_sink *s, bool full, void *arg)
{
	struct pogo_follow *f = arg;
	bool pause;

	if (s == f->out)
		f->out_full = full;
	else
		f->err_full = full;
	pause = f->out_full || f->err_full;
	if (pause == f->paused || f->detached)
		return;
	f->paused = pause;
	log_debug("%s reading command output: a slow reader of %s",
	    pause ? "pause" : "resume", s == f->out ? "stdout" : "stderr");
	if (f->src->pause != NULL)
		f->src->pause(pause, f->arg);
}

static void
follow_signal_cb(uv_signal_t *h, int signum)
{
	pogo_follow_interrupt(h->data);
}

struct pogo_follow *
pogo_follow_new(uv_loop_t *loop, const struct pogo_follow_opts *opts,
    const struct pogo_follow_source *src, void *arg)
{
	struct pogo_follow *f = xcalloc(1, sizeof(*f));

	f->loop = loop;
	f->opts = *opts;
	f->src = src;
	f->arg = arg;
	f->nhosts = opts->nhosts;
	f->counts[POGO_HOST_WAITING] = opts->nhosts;
	f->job_state = POGO_JOB_GATHERING;
	f->names = pogo_strtab_new_sized(opts->nhosts);
	f->out =
	    pogo_sink_new(loop, opts->out_fd, opts->high, follow_level_cb, f);
	f->err =
	    pogo_sink_new(loop, opts->err_fd, opts->high, follow_level_cb, f);
	f->escape = pogo_sink_is_tty(f->out);
	uv_async_init(loop, &f->logwake, follow_logwake_cb);
	f->logwake.data = f;
	pogo_log_set_writer(follow_log_line, follow_logwake, f);
	if (opts->signals) {
		uv_signal_init(loop, &f->sigint);
		uv_signal_init(loop, &f->sigterm);
		uv_signal_init(loop, &f->sighup);
		f->sigint.data = f->sigterm.data = f->sighup.data = f;
	}
	uv_timer_init(loop, &f->progress);
	f->progress.data = f;
	return f;
}

void
pogo_follow_start(struct pogo_follow *f)
{
	if (f->opts.signals) {
		uv_signal_start(&f->sigint, follow_signal_cb, SIGINT);
		uv_signal_start(&f->sigterm, follow_signal_cb, SIGTERM);
		/* A closed terminal: halt and report, as for SIGTERM. */
		uv_signal_start(&f->sighup, follow_signal_cb, SIGHUP);
		/*
		 * A reader that went away (`| head`) must not end a rollout
		 * half way: the sinks drop what they cannot write, the job
		 * runs on.  Children get the default back (exec-local.c, uv_spawn).
		 */
		signal(SIGPIPE, SIG_IGN);
	}
	if (f->opts.progress && !f->opts.json)
		uv_timer_start(&f->progress, follow_progress_cb,
		    FOLLOW_PROGRESS_MS, FOLLOW_PROGRESS_MS);
	f->start = follow_now(f);
	f->started = true;
}

void
pogo_follow_interrupt(struct pogo_follow *f)
{
	if (f->ended || f->detached)
		return;
	if (++f->signals == 1)
		f->src->halt(f->arg);
	else
		f->src->stop(f->arg);
}

/* The id of host, added (waiting) when first named. */
static uint32_t
follow_host_id(struct pogo_follow *f, const char *host)
{
	bool added;
	uint32_t id, n;

	id = pogo_strtab_intern(f->names, host, strlen(host), &added);
	if (id >= f->nalloc) {
		n = f->nalloc < 16 ? 16 : f->nalloc * 2;
		f->hosts = xreallocarray(f->hosts, n, sizeof(*f->hosts));
		memset(f->hosts + f->nalloc, 0,
		    (n - f->nalloc) * sizeof(*f->hosts));
		f->nalloc = n;
	}
	if (added) {
		f->hosts[id].state = POGO_HOST_WAITING;
		/* A host beyond the count given: the count was short. */
		if (id >= f->nhosts) {
			f->nhosts = id + 1;
			f->counts[POGO_HOST_WAITING]++;
		}
	}
	return id;
}

/* Queue a JSON line (freed here) on stdout. */
static void
follow_json_line(struct pogo_follow *f, char *line)
{
	pogo_sink_write(f->out, line, strlen(line));
	pogo_sink_write(f->out, "\n", 1);
	free(line);
}

/* Print the README line of a host entry (SPEC 12.2), if it has one. */
static void
follow_print_line(struct pogo_follow *f, const struct pogo_follow_entry *e)
{
	struct pogo_sink *o = f->out;

	switch (e->state) {
	case POGO_HOST_READY:
		pogo_sink_printf(o, "%s: Running target\n", e->host);
		break;
	case POGO_HOST_FINISHED:
		pogo_sink_printf(o, "%s: Success\n", e->host);
		break;
	case POGO_HOST_FAILED:
		if (e->exitstatus >= 0)
			pogo_sink_printf(
			    o, "%s: Failed (rc=%d)\n", e->host, e->exitstatus);
		else
			pogo_sink_printf(
			    o, "%s: Failed (%s)\n", e->host, e->message);
		break;
	case POGO_HOST_UNREACHABLE:
		pogo_sink_printf(
		    o, "%s: Unreachable (%s)\n", e->host, e->message);
		break;
	case POGO_HOST_DEADLOCKED:
		pogo_sink_printf(o, "%s: Deadlocked\n", e->host);
		break;
	case POGO_HOST_HALTED:
		pogo_sink_printf(o, "%s: Halted\n", e->host);
		break;
	case POGO_HOST_SKIPPED:
		pogo_sink_printf(o, "%s: Skipped\n", e->host);
		break;
	default:
		return;
	}
}

/* Report a failed output file once, and make the exit status non-zero. */
static void
follow_file_error(struct pogo_follow *f, struct follow_host *h, int err)
{
	if (h->file_failed)
		return;
	h->file_failed = true;
	f->file_errors++;
	follow_progress_clear(f);
	pogo_sink_printf(
	    f->err, "%s: %s: %s\n", f->opts.prog, h->file_name, strerror(err));
}

/* Open DIR/<host>.<n>.txt, n the first free number (SPEC 12.2). */
static void
follow_open_file(struct pogo_follow *f, struct follow_host *h, const char *host)
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
	for (n = 0; n < FOLLOW_MAX_FILE_NUMBER; n++) {
		free(path);
		xasprintf(&path, "%s/%s.%u.txt", f->opts.output_dir, safe, n);
		/* XXX(#4): small local files, written on the loop thread. */
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	err = fd < 0 ? errno : 0;
	free(h->file_name);
	h->file_name = path;
	h->file_failed = false;
	if (fd >= 0 && (h->file = fdopen(fd, "w")) == NULL) {
		err = errno;
		close(fd);
	}
	if (h->file == NULL)
		follow_file_error(f, h, err != 0 ? err : EEXIST);
	free(safe);
}

/* Close a host's output file; a write error is reported. */
static void
follow_close_file(struct pogo_follow *f, struct follow_host *h)
{
	FILE *fp = h->file;
	int err;

	if (fp == NULL)
		return;
	h->file = NULL;
	errno = 0;
	if (ferror(fp) | fflush(fp)) {
		err = errno != 0 ? errno : EIO;
		fclose(fp);
		follow_file_error(f, h, err);
	} else if (fclose(fp) != 0)
		follow_file_error(f, h, errno);
}

void
pogo_follow_entry(struct pogo_follow *f, const struct pogo_follow_entry *e)
{
	struct pogo_job_entry je;
	struct follow_host *h;
	uint32_t id;
	int nstates = e->host != NULL ? POGO_HOST_NSTATES : POGO_JOB_HALTED + 1;

	if (e->index < f->next_index)
		return; /* seen already */
	if (e->state < 0 || e->state >= nstates)
		return; /* no entry of SPEC 5.7 */
	f->next_index = e->index + 1;
	follow_progress_clear(f);
	if (f->opts.json) {
		memset(&je, 0, sizeof(je));
		je.index = e->index;
		je.time = e->time;
		je.host = e->host;
		je.state = e->state;
		je.message = e->message;
		je.exitstatus = e->exitstatus;
		je.run = e->run;
		follow_json_line(f, pogo_json_event_entry(f->opts.job, &je));
	}
	if (e->host == NULL) {
		f->job_state = e->state;
		return;
	}
	id = follow_host_id(f, e->host); /* may move f->hosts */
	h = &f->hosts[id];
	f->counts[h->state]--;
	f->counts[e->state]++;
	h->state = (uint8_t)e->state;
	if (!f->opts.json)
		follow_print_line(f, e);
	if (f->opts.output_dir == NULL)
		return;
	if (e->state == POGO_HOST_RUNNING && h->file == NULL)
		follow_open_file(f, h, e->host);
	if (e->state >= POGO_HOST_FINISHED)
		follow_close_file(f, h);
}

int
pogo_follow_entry_json(struct pogo_follow *f, const struct pogo_json *e)
{
	struct pogo_follow_entry fe;
	const struct pogo_json *v;
	const char *q;
	char *type = NULL, *state = NULL, *msg = NULL, *host = NULL;
	char *output = NULL;
	double n;
	long long run;
	int r = POGO_ERR_JSON;

	memset(&fe, 0, sizeof(fe));
	fe.exitstatus = -1;
	v = pogo_json_get(e, "index");
	n = pogo_json_number(v);
	if (pogo_json_kind(v) != POGO_JSON_NUMBER || n < 0 || n > UINT32_MAX ||
	    n != (double)(uint32_t)n)
		goto out;
	fe.index = (uint32_t)n;
	if (pogo_json_kind(v = pogo_json_get(e, "time")) != POGO_JSON_NUMBER)
		goto out;
	fe.time = pogo_json_number(v);
	if ((type = pogo_json_string(pogo_json_get(e, "type"), NULL)) == NULL ||
	    (state = pogo_json_string(pogo_json_get(e, "state"), NULL)) ==
	        NULL ||
	    (msg = pogo_json_string(pogo_json_get(e, "message"), NULL)) == NULL)
		goto out;
	if (strcmp(type, "hoststate") == 0) {
		host = pogo_json_string(pogo_json_get(e, "host"), NULL);
		if (host == NULL ||
		    pogo_follow_state_parse(state, true, &fe.state) != 0)
			goto out;
	} else if (strcmp(type, "jobstate") != 0 ||
	    pogo_follow_state_parse(state, false, &fe.state) != 0)
		goto out;
	v = pogo_json_get(e, "exitstatus");
	if (pogo_json_kind(v) == POGO_JSON_NUMBER) {
		n = pogo_json_number(v);
		if (n < 0 || n > INT_MAX || n != (double)(int)n)
			goto out;
		fe.exitstatus = (int)n;
	} else if (pogo_json_kind(v) != POGO_JSON_NONE &&
	    pogo_json_kind(v) != POGO_JSON_NULL)
		goto out;
	output = pogo_json_string(pogo_json_get(e, "output"), NULL);
	if (output != NULL && (q = strstr(output, "?run=")) != NULL &&
	    pogo_strtonum(q + 5, 0, UINT32_MAX, &run) == 0)
		fe.run = (uint32_t)run;
	fe.host = host;
	fe.message = msg;
	pogo_follow_entry(f, &fe);
	r = 0;
out:
	free(type);
	free(state);
	free(msg);
	free(host);
	free(output);
	return r;
}

void
pogo_follow_output(struct pogo_follow *f, const struct pogo_follow_record *r)
{
	struct follow_host *h;
	uint32_t id;
	FILE *fp;

	if (f->opts.json) {
		follow_progress_clear(f);
		follow_json_line(f,
		    pogo_json_event_output(f->opts.job, r->host, r->run,
		        r->type, r->data, r->len, r->time));
	} else if (f->opts.show_output) {
		follow_progress_clear(f);
		/*
		 * Every byte, NUL included; on a terminal, the bytes that
		 * would move the cursor or forge a line are shown escaped.
		 */
		pogo_sink_printf(f->out, "%s: ", r->host);
		if (f->escape)
			pogo_sink_write_escaped(f->out, r->data, r->len);
		else
			pogo_sink_write(f->out, r->data, r->len);
		pogo_sink_write(f->out, "\n", 1);
	}
	if (f->opts.output_dir == NULL)
		return;
	/* The file was opened when the run started. */
	id = pogo_strtab_find(f->names, r->host, strlen(r->host));
	if (id == POGO_STRTAB_NONE)
		return;
	h = &f->hosts[id];
	if ((fp = h->file) != NULL && !h->file_failed &&
	    ((r->len > 0 && fwrite(r->data, 1, r->len, fp) != r->len) ||
	        (r->eol && fputc('\n', fp) == EOF)))
		follow_file_error(f, h, errno);
}

void
pogo_follow_end(struct pogo_follow *f)
{
	f->ended = true;
	if (f->opts.signals) {
		uv_signal_stop(&f->sigint);
		uv_signal_stop(&f->sigterm);
		uv_signal_stop(&f->sighup);
	}
	uv_timer_stop(&f->progress);
	follow_progress_clear(f);
}

uint32_t
pogo_follow_count(const struct pogo_follow *f, int s)
{
	return s >= 0 && s < POGO_HOST_NSTATES ? f->counts[s] : 0;
}

int
pogo_follow_finish(struct pogo_follow *f, const struct pogo_follow_stats *st)
{
	static const struct pogo_follow_stats zero = { 0 };
	const uint32_t *c = f->counts;
	uint32_t id, bad, n = f->nhosts;
	double elapsed;
	char extra[128] = "";
	size_t x = 0;
	int exitcode;

	if (st == NULL)
		st = &zero;
	f->detached = true;
	pogo_follow_end(f);
	bad = c[POGO_HOST_FAILED] + c[POGO_HOST_UNREACHABLE] +
	    c[POGO_HOST_DEADLOCKED] + c[POGO_HOST_HALTED] +
	    c[POGO_HOST_SKIPPED];
	exitcode = bad == 0 && f->job_state == POGO_JOB_FINISHED
	    ? POGO_EXIT_OK
	    : POGO_EXIT_FAIL;
	for (id = 0; id < pogo_strtab_count(f->names); id++)
		follow_close_file(f, &f->hosts[id]);
	if (f->file_errors > 0)
		exitcode = POGO_EXIT_FAIL;
	elapsed = f->started ? follow_now(f) - f->start : 0;
	if (c[POGO_HOST_DEADLOCKED] > 0)
		x += (size_t)snprintf(extra + x, sizeof(extra) - x,
		    ", %u deadlocked", c[POGO_HOST_DEADLOCKED]);
	if (c[POGO_HOST_HALTED] > 0)
		x += (size_t)snprintf(extra + x, sizeof(extra) - x,
		    ", %u halted", c[POGO_HOST_HALTED]);
	if (c[POGO_HOST_SKIPPED] > 0)
		x += (size_t)snprintf(extra + x, sizeof(extra) - x,
		    ", %u skipped", c[POGO_HOST_SKIPPED]);
	if (f->opts.json)
		follow_json_line(f,
		    pogo_json_event_summary(n, c[POGO_HOST_FINISHED],
		        c[POGO_HOST_FAILED], c[POGO_HOST_UNREACHABLE],
		        c[POGO_HOST_DEADLOCKED], c[POGO_HOST_HALTED],
		        c[POGO_HOST_SKIPPED], elapsed, st->peak_in_flight,
		        st->peak_handshakes, exitcode));
	/* Written to stderr once stdout is out (follow_out_closed_cb). */
	free(f->summary);
	xasprintf(&f->summary,
	    "%u host%s: %u ok, %u failed, %u unreachable%s in %.1f s\n", n,
	    n == 1 ? "" : "s", c[POGO_HOST_FINISHED], c[POGO_HOST_FAILED],
	    c[POGO_HOST_UNREACHABLE], extra, elapsed);
	return exitcode;
}

static void
follow_free(struct pogo_follow *f)
{
	uint32_t id;

	for (id = 0; id < pogo_strtab_count(f->names); id++) {
		if (f->hosts[id].file != NULL)
			fclose(f->hosts[id].file);
		free(f->hosts[id].file_name);
	}
	free(f->hosts);
	pogo_strtab_free(f->names);
	free(f->summary);
	free(f);
}

static void
follow_closed(struct pogo_follow *f)
{
	void (*cb)(void *) = f->close_cb;
	void *arg = f->close_arg;

	if (--f->pending > 0)
		return;
	follow_free(f);
	if (cb != NULL)
		cb(arg);
}

static void
follow_handle_closed_cb(uv_handle_t *h)
{
	follow_closed(h->data);
}

/*
 * stderr is written to its end: the log goes to the descriptor again (the
 * lines of the end of a run, written at once by the sink meanwhile).
 */
static void
follow_err_closed_cb(void *arg)
{
	struct pogo_follow *f = arg;

	pogo_log_unset_writer(f);
	f->pending++;
	uv_close((uv_handle_t *)&f->logwake, follow_handle_closed_cb);
	follow_closed(f);
}

/* stdout is written: the summary goes to stderr, which is closed too. */
static void
follow_out_closed_cb(void *arg)
{
	struct pogo_follow *f = arg;

	if (f->summary != NULL)
		pogo_sink_write(f->err, f->summary, strlen(f->summary));
	pogo_sink_close(f->err, follow_err_closed_cb, f);
}

void
pogo_follow_close(struct pogo_follow *f, void (*cb)(void *), void *arg)
{
	f->detached = true;
	f->close_cb = cb;
	f->close_arg = arg;
	f->pending = 1; /* the sinks */
	if (f->opts.signals) {
		f->pending += 3;
		uv_close((uv_handle_t *)&f->sigint, follow_handle_closed_cb);
		uv_close((uv_handle_t *)&f->sigterm, follow_handle_closed_cb);
		uv_close((uv_handle_t *)&f->sighup, follow_handle_closed_cb);
	}
	f->pending++;
	uv_close((uv_handle_t *)&f->progress, follow_handle_closed_cb);
	/* stdout first, then the summary on stderr. */
	pogo_sink_close(f->out, follow_out_closed_cb, f);
}

int
pogo_follow_state_parse(const char *name, bool host, int *statep)
{
	int s, n = host ? POGO_HOST_NSTATES : POGO_JOB_HALTED + 1;

	for (s = 0; s < n; s++) {
		if (strcmp(name,
		        host ? pogo_host_state_name((enum pogo_host_state)s)
		             : pogo_job_state_name((enum pogo_job_state)s)) ==
		    0) {
			*statep = s;
			return 0;
		}
	}
	return POGO_ERR_NOTFOUND;
}
