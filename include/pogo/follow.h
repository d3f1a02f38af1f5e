/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The follower: what a user sees of one job while it runs (SPEC 12.2,
 * 12.4 --follow).  It consumes a stream of job events from a source and
 * prints them: the default lines or the --json events on stdout, the
 * command output (--show-output, --json), the per-run files of
 * --output-dir, the progress line on a terminal's stderr, and at the end
 * the summary (a JSON object on stdout with --json, a line on stderr
 * always) and the exit status of SPEC 1.7.  The first SIGINT, SIGTERM or
 * SIGHUP asks the source to halt the job, the next one to stop.
 *
 * The events are the job log entries and output records of SPEC 5.7-5.8
 * in the shape the HTTP API returns them (11.4), so that any source can
 * feed them: pogo one from its job's listener, pogo submit --follow from
 * the log long poll.  The follower knows nothing of struct pogo_job: it
 * keeps each host's latest state from the entries (a host it has not
 * seen yet is waiting) and the job's state from the job entries.
 *
 * stdout and stderr are written through sinks on the loop (sink.h), so a
 * slow reader never blocks it; while either holds more than its mark, the
 * source is asked to pause the reading of command output.  Log lines of
 * the loop's thread go through the stderr sink too (log.h's writer).
 * Everything runs on the loop's thread.
 *
 * XXX(#9): pogo one still feeds it from the job's listener of an
 * in-process job; pair.h describes the move to a dispatcher and a worker
 * in one process, where pogo one reads the job's committed log and
 * output as pogo submit --follow will.
 */
#ifndef POGO_FOLLOW_H
#define POGO_FOLLOW_H

#include <uv.h>

#include "pogo/exec.h"

struct pogo_follow;
struct pogo_json;

/*
 * One job log entry (SPEC 5.7, 11.4 "log entry"); borrowed for the call.
 * Entries come in log order; one whose index was already seen is
 * ignored, so a source may deliver an entry twice.
 */
struct pogo_follow_entry {
	uint32_t index;   /* position in the job's log, from 0 */
	double time;      /* seconds since the epoch */
	const char *host; /* NULL for a job entry */
	int state;        /* enum pogo_job_state or pogo_host_state */
	const char *message;
	int exitstatus; /* -1: none */
	uint32_t run;   /* host entries: the run, from 0 */
};

/* One output record of a host's run (SPEC 5.8); borrowed for the call. */
struct pogo_follow_record {
	const char *host;
	uint32_t run;
	enum pogo_out_type type;
	const char *data; /* any bytes, NUL included */
	size_t len;
	bool eol; /* a newline ended the line (the --output-dir files) */
	double time;
};

/*
 * What the follower asks of its source; arg is the one given to
 * pogo_follow_new().  halt and stop are called from the signal handlers
 * and from pogo_follow_interrupt(); pause may be called from inside
 * pogo_follow_entry() and pogo_follow_output(), when a write fills a
 * sink, and from the loop.  None is called after pogo_follow_finish().
 */
struct pogo_follow_source {
	/* The first signal: halt the job ("halted by user"). */
	void (*halt)(void *arg);
	/*
	 * A later signal: pogo one kills the running tasks; a client
	 * stops following.
	 */
	void (*stop)(void *arg);
	/* Pause (true) or resume the reading of command output; may be NULL. */
	void (*pause)(bool pause, void *arg);
};

struct pogo_follow_opts {
	const char *prog; /* "pogo one": the prefix of error lines */
	const char *job;  /* the job id of the --json events */
	uint32_t nhosts;  /* hosts in the job */
	int out_fd;       /* stdout, borrowed */
	int err_fd;       /* stderr, borrowed */
	bool json;        /* --json events instead of the default lines */
	bool show_output; /* print output records as "<host>: <data>" */
	bool progress;    /* a progress line on err_fd, every 100 ms */
	bool signals;     /* catch SIGINT, SIGTERM, SIGHUP; ignore SIGPIPE */
	const char *output_dir; /* NULL, or DIR of DIR/<host>.<n>.txt */
	size_t high;            /* the sinks' high-water mark, bytes */
	double (*now)(void);    /* wall clock, seconds; NULL: the real one */
};

/* Counters only the source knows, for the --json summary. */
struct pogo_follow_stats {
	unsigned peak_in_flight;
	unsigned peak_handshakes;
};

/*
 * A follower on loop, printing to opts->out_fd and opts->err_fd (opts
 * copied, its strings borrowed for the follower's life).  It installs
 * the log writer; nothing is printed before events arrive.
 */
struct pogo_follow *pogo_follow_new(uv_loop_t *loop,
    const struct pogo_follow_opts *opts, const struct pogo_follow_source *src,
    void *arg);

/* The job starts now (the summary's elapsed time): signals, progress. */
void pogo_follow_start(struct pogo_follow *f);

/* A log entry, an output record: print them, count the host states. */
void pogo_follow_entry(
    struct pogo_follow *f, const struct pogo_follow_entry *e);
void pogo_follow_output(
    struct pogo_follow *f, const struct pogo_follow_record *r);

/*
 * A log entry as the HTTP API returns it (SPEC 11.4: "index", "time",
 * "type", "state", "message", and "host", "exitstatus", "output" when
 * present; the run is the "?run=N" of "output"), fed as by
 * pogo_follow_entry().  0, or POGO_ERR_JSON when e is no such entry (a
 * member missing or of the wrong kind, an unknown state): nothing is
 * printed then.
 */
int pogo_follow_entry_json(struct pogo_follow *f, const struct pogo_json *e);

/*
 * The job is no longer active and no host is in flight: signals are
 * ignored from now on and the progress line goes away.
 */
void pogo_follow_end(struct pogo_follow *f);

/* What a signal does: halt first, then stop (until the end). */
void pogo_follow_interrupt(struct pogo_follow *f);

/*
 * Hosts per state, from the entries so far (hosts not yet named in an
 * entry are waiting).  s: enum pogo_host_state.
 */
uint32_t pogo_follow_count(const struct pogo_follow *f, int s);

/*
 * The end of the stream: close the --output-dir files, print the --json
 * summary and keep the stderr summary line for pogo_follow_close().
 * Returns the exit status of SPEC 12.2: 0 when the job finished and every
 * host succeeded (and every output file was written), else 1.  st (may
 * be NULL: zeros) fills the summary's peaks.  The source is never called
 * again.
 */
int pogo_follow_finish(
    struct pogo_follow *f, const struct pogo_follow_stats *st);

/*
 * Write stdout out, then the summary line on stderr, close both and the
 * follower's handles, remove the log writer; cb(arg) is called once,
 * later, from the loop, and f is freed.  The loop must run until then.
 */
void pogo_follow_close(struct pogo_follow *f, void (*cb)(void *), void *arg);

/*
 * A state name of SPEC 5.3 (host false) or 5.4 (host true), as the API
 * spells it, to its enum value in *statep.  0, or POGO_ERR_NOTFOUND.
 */
int pogo_follow_state_parse(const char *name, bool host, int *statep);

#endif
