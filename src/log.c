/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Logging for every role, on stderr or a log file (SPEC 12.6).  Each line
 * carries a UTC timestamp in milliseconds, the role, the pid and a level
 * letter.  Untrusted text is escaped so that control characters cannot
 * forge or corrupt log lines.  The level, the role, the log file, the
 * loop thread's writer, the other threads' queue for it and what fatal()
 * last wrote of that queue are the only process-wide state, as STYLE.md
 * allows.
 */
#include "pogo/compat.h"

#include <sys/time.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

int pogo_log_level = POGO_LOG_INFO;
static const char *log_role = "pogo";
static void (*log_writer)(const char *, size_t, void *);
static void (*log_wake)(void *);
static void *log_writer_arg;
static pthread_t log_writer_thread;
/*
 * The lines of other threads while a writer is set, for the writer's
 * thread to hand on (pogo_log_drain); at most LOG_PENDING_MAX bytes, a
 * thread that finds it full waits for room, up to 10 s, then drops its
 * line (counted, and told by the next drain) rather than write it into
 * the middle of the writer's.  Without a writer, other threads write
 * under log_mu too, so that nothing overtakes the queue's last lines.
 */
#define LOG_PENDING_MAX (1024 * 1024)
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t log_once = PTHREAD_ONCE_INIT;
static pthread_cond_t log_room; /* on CLOCK_MONOTONIC */
static char *log_pend;
static size_t log_plen;
static size_t log_pcap;
static unsigned long log_dropped;
static bool log_dying; /* fatal(): every line at once, no lock */
static int log_fd = STDERR_FILENO;
static char *log_path; /* NULL: stderr */

static const char log_letters[] = "EWIDDD";
static const char *log_names[] = { "error", "warn", "info", "debug", "debug2",
	"debug3" };

void
pogo_log_set_role(const char *role)
{
	log_role = role;
}

int
pogo_log_parse_level(const char *name, int *levelp)
{
	size_t i;

	for (i = 0; i < POGO_NELEM(log_names); i++) {
		if (strcmp(name, log_names[i]) == 0) {
			*levelp = (int)i;
			return 0;
		}
	}
	return POGO_ERR_CONFIG;
}

static void log_write_all(const char *p, size_t len);

static void
log_init_once(void)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&log_room, &a);
	pthread_condattr_destroy(&a);
}

/* Under log_mu: take the other threads' lines (the caller frees them). */
static char *
log_take_pending_locked(size_t *lenp, unsigned long *droppedp)
{
	char *p = log_pend;

	*lenp = log_plen;
	*droppedp = log_dropped;
	log_pend = NULL;
	log_plen = 0;
	log_pcap = 0;
	log_dropped = 0;
	pthread_cond_broadcast(&log_room);
	return p;
}

static void
log_tell_dropped(unsigned long n)
{
	if (n > 0)
		log_warn("%lu log line%s of other threads dropped: the loop "
		         "took none for 10 s",
		    n, n == 1 ? "" : "s");
}

/* Set fn, or unset: any writer (owner NULL) or owner's only. */
static void
log_set_writer(void (*fn)(const char *, size_t, void *), void (*wake)(void *),
    void *arg, void *owner)
{
	unsigned long dropped = 0;
	size_t len;
	char *p = NULL;

	pthread_once(&log_once, log_init_once);
	pthread_mutex_lock(&log_mu);
	/* Another writer's: not this caller's to unset. */
	if (fn == NULL && owner != NULL &&
	    (__atomic_load_n(&log_writer, __ATOMIC_ACQUIRE) == NULL ||
	        log_writer_arg != owner)) {
		pthread_mutex_unlock(&log_mu);
		return;
	}
	/* Other threads compare the thread: it changes only with a writer. */
	if (fn != NULL) {
		log_writer_thread = pthread_self();
		log_writer_arg = arg;
	}
	log_wake = fn != NULL ? wake : NULL;
	__atomic_store_n(&log_writer, fn, __ATOMIC_RELEASE);
	/* What other threads left for the old writer: to the descriptor,
	 * before any line that comes after. */
	if (fn == NULL) {
		p = log_take_pending_locked(&len, &dropped);
		if (p != NULL)
			log_write_all(p, len);
	}
	pthread_mutex_unlock(&log_mu);
	free(p);
	log_tell_dropped(dropped);
}

void
pogo_log_set_writer(void (*fn)(const char *line, size_t len, void *arg),
    void (*wake)(void *arg), void *arg)
{
	log_set_writer(fn, wake, arg, NULL);
}

void
pogo_log_unset_writer(void *arg)
{
	log_set_writer(NULL, NULL, NULL, arg);
}

void
pogo_log_drain(void)
{
	void (*writer)(const char *, size_t, void *);
	unsigned long dropped;
	size_t len;
	char *p;

	writer = __atomic_load_n(&log_writer, __ATOMIC_ACQUIRE);
	if (writer == NULL || !pthread_equal(pthread_self(), log_writer_thread))
		return;
	pthread_mutex_lock(&log_mu);
	p = log_take_pending_locked(&len, &dropped);
	pthread_mutex_unlock(&log_mu);
	if (p != NULL)
		writer(p, len, log_writer_arg);
	free(p);
	log_tell_dropped(dropped);
}

/*
 * A line of a thread other than the writer's: queued for the writer's
 * thread, which is woken (under log_mu: no wake once the writer is
 * gone), or written at once when no writer is set.
 */
static void
log_other_line(const char *line, size_t len)
{
	struct timespec until = { 0, 0 };

	pthread_once(&log_once, log_init_once);
	pthread_mutex_lock(&log_mu);
	while (log_wake != NULL && log_plen > 0 &&
	    log_plen + len > LOG_PENDING_MAX) {
		if (until.tv_sec == 0) {
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += 10;
		}
		if (pthread_cond_timedwait(&log_room, &log_mu, &until) != 0)
			break;
	}
	if (log_wake == NULL)
		log_write_all(line, len);
	else if (log_plen + len > LOG_PENDING_MAX)
		log_dropped++;
	else {
		if (log_pcap - log_plen < len) {
			log_pcap = log_plen + len > 2 * log_pcap
			    ? log_plen + len
			    : 2 * log_pcap;
			log_pend = xreallocarray(log_pend, log_pcap, 1);
		}
		memcpy(log_pend + log_plen, line, len);
		log_plen += len;
		log_wake(log_writer_arg);
	}
	pthread_mutex_unlock(&log_mu);
}

/*
 * Write a whole line to stderr or the log file.  A descriptor another part
 * of pogo made non-blocking is waited for, up to 10 s: a line is not
 * dropped because the reader is slow, nor does a reader that stopped hang
 * pogo.
 */
static void
log_write_all(const char *p, size_t len)
{
	(void)pogo_str_write_all(log_fd, p, len, 10000);
}

/* Format the message, escape control bytes and write one line. */
static void log_vwrite(int level, const char *func, int line, const char *fmt,
    va_list ap) POGO_PRINTFLIKE(4, 0);

static void
log_vwrite(int level, const char *func, int line, const char *fmt, va_list ap)
{
	void (*writer)(const char *, size_t, void *);
	char msg[2048], out[4096 + 128], ts[32];
	struct timeval tv;
	struct tm tm;
	size_t i, o;
	int n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level < 0)
		level = 0;
	if (level >= (int)POGO_NELEM(log_names))
		level = (int)POGO_NELEM(log_names) - 1;
	if (level >= POGO_LOG_DEBUG)
		n = snprintf(out, sizeof(out),
		    "%s.%03dZ %s[%ld] %c %s:%d: ", ts, (int)(tv.tv_usec / 1000),
		    log_role, (long)getpid(), log_letters[level], func, line);
	else
		n = snprintf(out, sizeof(out), "%s.%03dZ %s[%ld] %c ", ts,
		    (int)(tv.tv_usec / 1000), log_role, (long)getpid(),
		    log_letters[level]);
	o = n > 0 ? (size_t)n : 0;
	for (i = 0; msg[i] != '\0' && o + 5 < sizeof(out); i++) {
		unsigned char c = (unsigned char)msg[i];

		if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(
			    out + o, sizeof(out) - o, "\\x%02x", c);
		} else
			out[o++] = (char)c;
	}
	out[o++] = '\n';
	writer = __atomic_load_n(&log_writer, __ATOMIC_ACQUIRE);
	if (writer != NULL && pthread_equal(pthread_self(), log_writer_thread))
		writer(out, o, log_writer_arg);
	else if (__atomic_load_n(&log_dying, __ATOMIC_ACQUIRE))
		log_write_all(out, o);
	else
		log_other_line(out, o);
}

static int
log_open_fd(const char *path, int *fdp)
{
	int fd;

	fd = open(path,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
	    0640);
	if (fd == -1)
		return POGO_ERR_ERRNO(errno);
	*fdp = fd;
	return 0;
}

int
pogo_log_open(const char *path)
{
	int fd = -1, r;

	if ((r = log_open_fd(path, &fd)) != 0)
		return r;
	pogo_log_close();
	log_fd = fd;
	log_path = xstrdup(path);
	return 0;
}

int
pogo_log_reopen(void)
{
	int fd = -1, r;

	if (log_path == NULL)
		return 0;
	if ((r = log_open_fd(log_path, &fd)) != 0)
		return r;
	/* In place: other threads may be writing to log_fd. */
	if (dup2(fd, log_fd) == -1) {
		r = POGO_ERR_ERRNO(errno);
		close(fd);
		return r;
	}
	close(fd);
	(void)fcntl(log_fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

void
pogo_log_close(void)
{
	if (log_path != NULL) {
		close(log_fd);
		free(log_path);
		log_path = NULL;
	}
	log_fd = STDERR_FILENO;
}

int
pogo_log_cycle_level(void)
{
	if (pogo_log_level >= POGO_LOG_DEBUG3)
		pogo_log_level = POGO_LOG_INFO;
	else
		pogo_log_level++;
	return pogo_log_level;
}

const char *
pogo_log_level_name(int level)
{
	if (level < 0 || level >= (int)POGO_NELEM(log_names))
		return "?";
	return log_names[level];
}

void
pogo_log_write(int level, const char *func, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, func, line, fmt, ap);
	va_end(ap);
}

/* What log_last_words wrote, still held (volatile: a store never read
 * may otherwise be dropped, and LeakSanitizer would count it lost). */
static char *volatile log_last_queue;

/*
 * The process is about to end: its last line goes straight to stderr, not
 * into a sink queue that exit() throws away (and that may need memory).
 */

static void
log_last_words(void)
{
	unsigned long dropped;
	size_t len;
	char *p;

	__atomic_store_n(&log_writer, NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&log_dying, true, __ATOMIC_RELEASE);
	/* The queued lines first, unless a thread holds the queue (an
	 * allocation failed under log_mu): nothing may wait here. */
	if (pthread_mutex_trylock(&log_mu) != 0)
		return;
	log_wake = NULL;
	p = log_take_pending_locked(&len, &dropped);
	if (p != NULL)
		log_write_all(p, len);
	pthread_mutex_unlock(&log_mu);
	/* Kept, not freed: a POGO_BUG may come from a broken heap. */
	log_last_queue = p;
}

void
fatal(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_last_words();
	pogo_log_write(POGO_LOG_ERROR, __func__, __LINE__, "fatal: %s: %s", msg,
	    strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_last_words();
	pogo_log_write(POGO_LOG_ERROR, __func__, __LINE__, "fatal: %s", msg);
	exit(1);
}

void
pogo_log_bug(const char *file, int line, const char *func, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_last_words();
	pogo_log_write(POGO_LOG_ERROR, func, line, "BUG at %s:%d %s: %s", file,
	    line, func, msg);
	abort();
}
