/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * One log line format for every role (SPEC 12.6):
 *   2026-08-22T10:11:12.345Z dispatcher[4242] W message
 * on stderr, or appended to a log file that SIGHUP reopens.
 * The level is checked before any argument is evaluated.  Debug levels add
 * func:line.  fatal() appends strerror(errno), fatalx() does not; both exit
 * and are only for memory exhaustion and setup before the loop runs.
 */
#ifndef POGO_LOG_H
#define POGO_LOG_H

enum pogo_log_level {
	POGO_LOG_ERROR = 0,
	POGO_LOG_WARN,
	POGO_LOG_INFO,
	POGO_LOG_DEBUG,
	POGO_LOG_DEBUG2,
	POGO_LOG_DEBUG3,
};

extern int pogo_log_level;

/* Set the role written on every line (borrowed: must outlive logging). */
void pogo_log_set_role(const char *role);

/*
 * While a role writes its stderr through its loop (pogo one's sink, which
 * makes the descriptor non-blocking), the log lines of the thread calling
 * this go to fn, in order with the rest of that output; NULL fn: back to
 * the log's descriptor, after the lines still queued.  Lines of other
 * threads (libssh's, from the setup threads) are queued whole, and
 * wake(arg) (thread-safe and quick, as uv_async_send; called under a
 * lock) asks the writer's thread to call pogo_log_drain; a thread finding
 * 1 MiB queued waits for room up to 10 s (holding whatever lock it
 * holds), then drops its line, and the next drain says how many were.
 * With a NULL wake, other threads write at once.
 */
void pogo_log_set_writer(void (*fn)(const char *line, size_t len, void *arg),
    void (*wake)(void *arg), void *arg);

/* Unset the writer if it is still the one set with arg (as NULL fn). */
void pogo_log_unset_writer(void *arg);

/* On the writer's thread: hand the other threads' lines to the writer. */
void pogo_log_drain(void);

/* Parse a level name; returns 0 or POGO_ERR_CONFIG. */
int pogo_log_parse_level(const char *name, int *levelp);

/* The name of a level ("info"), "?" for none. */
const char *pogo_log_level_name(int level);

/*
 * SIGUSR2: raise the level one step, from debug3 back to info.  Returns
 * the new level.
 */
int pogo_log_cycle_level(void);

/*
 * Log to path (appended, created 0640) instead of stderr.  Returns 0 or
 * an errno code; on failure the log stays where it was.
 */
int pogo_log_open(const char *path);

/*
 * Reopen the log file by name (SIGHUP, after logrotate moved it away);
 * 0 without a log file.  On failure the old file stays in use.
 */
int pogo_log_reopen(void);

/* Close the log file and log to stderr again. */
void pogo_log_close(void);

/* Write one line at level; func/line are printed at debug levels. */
void pogo_log_write(int level, const char *func, int line, const char *fmt, ...)
    POGO_PRINTFLIKE(4, 5);

#define POGO_LOG_AT(lvl, ...)                                        \
	do {                                                         \
		if (pogo_log_level >= (lvl))                         \
			pogo_log_write(                              \
			    (lvl), __func__, __LINE__, __VA_ARGS__); \
	} while (0)

#define log_error(...) POGO_LOG_AT(POGO_LOG_ERROR, __VA_ARGS__)
#define log_warn(...) POGO_LOG_AT(POGO_LOG_WARN, __VA_ARGS__)
#define log_info(...) POGO_LOG_AT(POGO_LOG_INFO, __VA_ARGS__)
#define log_debug(...) POGO_LOG_AT(POGO_LOG_DEBUG, __VA_ARGS__)
#define log_debug2(...) POGO_LOG_AT(POGO_LOG_DEBUG2, __VA_ARGS__)
#define log_debug3(...) POGO_LOG_AT(POGO_LOG_DEBUG3, __VA_ARGS__)

void fatal(const char *fmt, ...) POGO_PRINTFLIKE(1, 2) POGO_NORETURN;
void fatalx(const char *fmt, ...) POGO_PRINTFLIKE(1, 2) POGO_NORETURN;

/* Invariant checks: always compiled in, log file:line and abort. */
#define POGO_BUG(...) pogo_log_bug(__FILE__, __LINE__, __func__, __VA_ARGS__)
#define POGO_ASSERT(e)                                        \
	do {                                                  \
		if (!(e))                                     \
			POGO_BUG("assertion failed: %s", #e); \
	} while (0)
void pogo_log_bug(const char *file, int line, const char *func, const char *fmt,
    ...) POGO_PRINTFLIKE(4, 5) POGO_NORETURN;

#endif
