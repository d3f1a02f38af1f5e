/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Writes to a descriptor through the loop (see pogo/sink.h).  One write is
 * in flight at a time: what is queued meanwhile is gathered into the next
 * one.  The sink owns a libuv stream on the descriptor (or none, for a
 * descriptor written at once) and a timer that defers the close callback.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/sink.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

struct pogo_sink {
	uv_loop_t *loop;
	int fd;
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_pipe_t pipe;
		uv_tty_t tty;
		uv_tcp_t tcp;
	} h;
	bool stream; /* h is open; else write(2) at once */
	bool tty;
	int saved_flags; /* -1: nothing to restore */
	char *pend;      /* queued, not yet handed to libuv */
	size_t plen;
	size_t pcap;
	char *busy; /* the write in flight */
	size_t blen;
	size_t bcap;
	bool writing;
	uv_write_t req;
	size_t high;
	bool full;
	pogo_sink_level_cb cb;
	void *arg;
	int err;
	bool closing;
	bool flushed; /* closing and written: what comes is written at once */
	int handles;
	uv_timer_t defer;
	void (*close_cb)(void *);
	void *close_arg;
};

static void sink_kick(struct pogo_sink *s);

size_t
pogo_sink_queued(const struct pogo_sink *s)
{
	return s->plen + (s->writing ? s->blen : 0);
}

bool
pogo_sink_is_tty(const struct pogo_sink *s)
{
	return s->tty;
}

int
pogo_sink_error(const struct pogo_sink *s)
{
	return s->err;
}

/* Tell the owner when the queue crosses the marks. */
static void
sink_level(struct pogo_sink *s)
{
	size_t q = pogo_sink_queued(s);

	if (!s->full && s->err == 0 && q > s->high) {
		s->full = true;
		if (s->cb != NULL)
			s->cb(s, true, s->arg);
	} else if (s->full && (s->err != 0 || q <= s->high / 2)) {
		s->full = false;
		if (s->cb != NULL)
			s->cb(s, false, s->arg);
	}
}

static void
sink_handle_closed(uv_handle_t *h)
{
	struct pogo_sink *s = h->data;

	if (--s->handles > 0)
		return;
	s->close_cb(s->close_arg);
	free(s->pend);
	free(s->busy);
	free(s);
}

/* Everything is written (or dropped): close the handles. */
static void
sink_finish_close(struct pogo_sink *s)
{
	if (s->saved_flags != -1)
		(void)fcntl(s->fd, F_SETFL, s->saved_flags);
	s->saved_flags = -1;
	s->flushed = true;
	if (s->stream && !uv_is_closing(&s->h.handle)) {
		s->handles++;
		uv_close(&s->h.handle, sink_handle_closed);
	}
	if (!uv_is_closing((uv_handle_t *)&s->defer))
		uv_close((uv_handle_t *)&s->defer, sink_handle_closed);
}

static void
sink_write_cb(uv_write_t *req, int status)
{
	struct pogo_sink *s = req->data;

	s->writing = false;
	s->blen = 0;
	if (status < 0 && s->err == 0) {
		/* The reader is gone: drop what is queued, and what comes. */
		s->err = status;
		s->plen = 0;
	}
	sink_kick(s);
	sink_level(s);
	if (s->closing && !s->writing)
		sink_finish_close(s);
}

/* Hand what is queued to libuv, unless a write is in flight. */
static void
sink_kick(struct pogo_sink *s)
{
	char *tmp;
	size_t cap;
	uv_buf_t buf;
	int r;

	if (s->writing || s->plen == 0 || s->err != 0)
		return;
	tmp = s->busy;
	cap = s->bcap;
	s->busy = s->pend;
	s->bcap = s->pcap;
	s->blen = s->plen;
	s->pend = tmp;
	s->pcap = cap;
	s->plen = 0;
	buf = uv_buf_init(s->busy, (unsigned)s->blen);
	s->req.data = s;
	if ((r = uv_write(&s->req, &s->h.stream, &buf, 1, sink_write_cb)) !=
	    0) {
		s->err = r;
		s->blen = 0;
		return;
	}
	s->writing = true;
}

/*
 * Write at once: to a descriptor that cannot make the loop wait long, or
 * after the close's last write (the log lines of the end of a run), when
 * a descriptor that was non-blocking before is waited for up to 10 s.
 */
static void
sink_write_now(struct pogo_sink *s, const char *data, size_t len)
{
	int r;

	if (s->err == 0 &&
	    (r = pogo_str_write_all(s->fd, data, len, 10000)) != 0)
		s->err = r;
}

void
pogo_sink_write(struct pogo_sink *s, const char *data, size_t len)
{
	if (len == 0 || s->err != 0)
		return;
	if (!s->stream || s->flushed) {
		sink_write_now(s, data, len);
		return;
	}
	if (s->pcap - s->plen < len) {
		s->pcap =
		    s->plen + len > 2 * s->pcap ? s->plen + len : 2 * s->pcap;
		s->pend = xreallocarray(s->pend, s->pcap, 1);
	}
	memcpy(s->pend + s->plen, data, len);
	s->plen += len;
	sink_kick(s);
	sink_level(s);
}

void
pogo_sink_printf(struct pogo_sink *s, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = xvasprintf(&text, fmt, ap);
	va_end(ap);
	pogo_sink_write(s, text, (size_t)n);
	free(text);
}

void
pogo_sink_write_escaped(struct pogo_sink *s, const char *data, size_t len)
{
	static const char cesc[] = "0000000abtnvfr";
	const unsigned char *u = (const unsigned char *)data;
	char *out = xmalloc(len * 8 + 1), *p = out;
	size_t i;

	for (i = 0; i < len; i++) {
		if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80 &&
		    u[i + 1] <= 0x9f) {
			/* A C1 control: both bytes in octal. */
			p += snprintf(p, 9, "\\%03o\\%03o", u[i], u[i + 1]);
			i++;
		} else if (u[i] >= 7 && u[i] <= 13 && u[i] != '\t') {
			*p++ = '\\';
			*p++ = cesc[u[i]];
		} else if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f)
			p += snprintf(p, 5, "\\%03o", u[i]);
		else
			*p++ = (char)u[i];
	}
	pogo_sink_write(s, out, (size_t)(p - out));
	free(out);
}

struct pogo_sink *
pogo_sink_new(
    uv_loop_t *loop, int fd, size_t high, pogo_sink_level_cb cb, void *arg)
{
	struct pogo_sink *s = xcalloc(1, sizeof(*s));
	uv_handle_type type = uv_guess_handle(fd);
	int r = UV_EINVAL, dupfd = -1;

	s->loop = loop;
	s->fd = fd;
	s->high = high;
	s->cb = cb;
	s->arg = arg;
	s->saved_flags = fcntl(fd, F_GETFL);
	s->tty = type == UV_TTY;
	/* libuv closes what it is given (above 2): give it a copy. */
	if ((type == UV_TTY || type == UV_NAMED_PIPE || type == UV_TCP) &&
	    (dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0)
		type = UV_FILE;
	if (type == UV_TTY)
		r = uv_tty_init(loop, &s->h.tty, dupfd, 0);
	else if (type == UV_NAMED_PIPE) {
		if ((r = uv_pipe_init(loop, &s->h.pipe, 0)) == 0 &&
		    (r = uv_pipe_open(&s->h.pipe, dupfd)) != 0)
			uv_close(&s->h.handle, NULL);
	} else if (type == UV_TCP) {
		if ((r = uv_tcp_init(loop, &s->h.tcp)) == 0 &&
		    (r = uv_tcp_open(&s->h.tcp, dupfd)) != 0)
			uv_close(&s->h.handle, NULL);
	}
	s->stream = r == 0;
	s->h.handle.data = s;
	if (!s->stream && dupfd >= 0)
		close(dupfd);
	if (!s->stream || (s->saved_flags & O_NONBLOCK) != 0)
		s->saved_flags = -1;
	uv_timer_init(loop, &s->defer);
	s->defer.data = s;
	s->handles = 1;
	return s;
}

void
pogo_sink_close(struct pogo_sink *s, void (*cb)(void *), void *arg)
{
	s->closing = true;
	s->close_cb = cb;
	s->close_arg = arg;
	if (!s->writing)
		sink_finish_close(s);
}
