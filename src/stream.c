/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Byte streams, plain or TLS (stream.h).
 *
 * Plain, a stream is a thin layer over its libuv handle.  With TLS, the
 * bytes read are fed to the session (tls.h) and stream_process() moves it
 * on: the handshake first, then plaintext for the owner while it reads.
 * Whatever the session wants to send (handshake messages, records,
 * alerts) goes out with uv_write right after each step.  An idle handle
 * (the kick) runs stream_process() from the loop when there may be input
 * buffered that no new read would bring: at start and when the owner
 * starts reading again.
 *
 * Writes made before the handshake is over wait in a list, in order; an
 * end of input (or a read error) seen while plaintext may still be
 * buffered is kept in rerr and delivered once the session has nothing
 * left to give.
 *
 * pogo_stream_send() corks: its bytes are copied into out, and an idle
 * handle (flush) hands out to the socket before the loop next polls, so
 * what is sent in one loop turn leaves in one write (and with TLS, in as
 * few records as the session makes of it).  A flush first tries the
 * socket directly (uv_try_write): a write the kernel takes whole needs no
 * request, no callback turn and no epoll change; what it does not take
 * goes out with uv_write.  An idle handle, not a prepare handle: one
 * started from inside a phase (a send made from the flush's own failure
 * callback, or from another idle or prepare callback) runs only in the
 * next turn, and while an idle handle is active libuv polls without
 * waiting, so corked bytes never wait for an unrelated event.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/stream.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#define STREAM_READ_SIZE (64u * 1024)
#define STREAM_PLAIN_SIZE (16u * 1024)
#define STREAM_CAUSE_LEN 256
/* A corked buffer at most this large is kept for the next turn. */
#define STREAM_OUT_KEEP (4u * 1024)

struct stream_write {
	uv_write_t req;
	struct pogo_stream *s;
	pogo_stream_write_cb cb;
	void *arg;
	char *cipher;     /* TLS: the records being written (owned) */
	char *own;        /* sent bytes being written (owned) */
	const char *data; /* waiting for the handshake: the plaintext */
	size_t len;
	struct stream_write *next;
};

struct stream_shutdown {
	uv_shutdown_t req;
	struct pogo_stream *s;
	pogo_stream_write_cb cb;
	void *arg;
};

struct pogo_stream {
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} h;
	uv_idle_t kick;  /* TLS only */
	uv_idle_t flush; /* active while out holds bytes */
	uv_check_t late; /* the same, after this turn's poll */
	struct pogo_tls_session *tls;
	struct pogo_clock *clock;
	struct pogo_clock_timer *hs_timer;
	uint64_t handshake_ms;
	pogo_stream_read_cb read_cb;
	void *arg;
	bool reading; /* the owner wants reads */
	bool failed;  /* the read callback had its n < 0 */
	bool closing;
	int rerr; /* TLS: the end of input or a read error, not delivered */
	int nclose;
	pogo_stream_close_cb close_cb;
	void *close_arg;
	struct stream_write *pending, **pending_tail;
	size_t pending_bytes;
	char cause[STREAM_CAUSE_LEN];
	char *pbuf; /* TLS: plaintext for the read callback */
	char *out;  /* pogo_stream_send()'s bytes, not flushed yet */
	size_t outlen, outcap;
	int werr; /* a flush failed: told from the flush handle */
};

static void stream_process(struct pogo_stream *s);
static void stream_flush(struct pogo_stream *s);
static void stream_flush_cb(uv_idle_t *h);
static void stream_late_cb(uv_check_t *h);
static void stream_write_cb(uv_write_t *req, int status);

struct pogo_stream *
pogo_stream_new(uv_loop_t *loop, enum pogo_stream_kind kind,
    struct pogo_tls *tls, struct pogo_clock *clock, uint64_t handshake_ms)
{
	struct pogo_stream *s = xcalloc(1, sizeof(*s));

	if (kind == POGO_STREAM_PIPE)
		uv_pipe_init(loop, &s->h.pipe, 0);
	else
		uv_tcp_init(loop, &s->h.tcp);
	s->h.handle.data = s;
	s->pending_tail = &s->pending;
	uv_idle_init(loop, &s->flush);
	s->flush.data = s;
	uv_check_init(loop, &s->late);
	s->late.data = s;
	if (tls != NULL) {
		if (clock == NULL)
			fatalx("a TLS stream needs a clock");
		s->tls = pogo_tls_session_new(tls);
		s->pbuf = xmalloc(STREAM_PLAIN_SIZE);
		s->clock = clock;
		s->handshake_ms = handshake_ms;
		uv_idle_init(loop, &s->kick);
		s->kick.data = s;
	}
	return s;
}

uv_stream_t *
pogo_stream_uv(struct pogo_stream *s)
{
	return &s->h.stream;
}

uv_tcp_t *
pogo_stream_tcp(struct pogo_stream *s)
{
	return &s->h.tcp;
}

uv_pipe_t *
pogo_stream_pipe(struct pogo_stream *s)
{
	return &s->h.pipe;
}

bool
pogo_stream_is_tls(const struct pogo_stream *s)
{
	return s->tls != NULL;
}

const char *
pogo_stream_peer_name(const struct pogo_stream *s)
{
	return s->tls != NULL ? pogo_tls_session_peer_name(s->tls) : "";
}

const char *
pogo_stream_cause(const struct pogo_stream *s)
{
	return s->cause;
}

bool
pogo_stream_closing(const struct pogo_stream *s)
{
	return s->closing;
}

/* Delivers the end of the stream (once). */
static void
stream_fail(struct pogo_stream *s, int r, const char *cause)
{
	if (s->failed || s->closing)
		return;
	s->failed = true;
	if (cause != NULL && s->cause[0] == '\0')
		snprintf(s->cause, sizeof(s->cause), "%s", cause);
	pogo_clock_timer_free(s->hs_timer);
	s->hs_timer = NULL;
	uv_read_stop(&s->h.stream);
	s->read_cb(s, r, NULL, s->arg);
}

/* A write of the stream's own failed: the owner learns it as a read. */
static void
stream_write_failed(struct pogo_stream *s, int r)
{
	char cause[STREAM_CAUSE_LEN];

	snprintf(cause, sizeof(cause), "write: %s", uv_strerror(r));
	stream_fail(s, r, cause);
}

/*
 * Write len bytes of buf to the socket after everything before them:
 * directly while nothing waits, with uv_write for what the kernel does not
 * take.  Returns 0, or 1 when buf went to uv_write (the stream frees it
 * then), or an error.  With keep false buf is the stream's in any case.
 */
static int
stream_put(struct pogo_stream *s, char *buf, size_t len, bool keep)
{
	struct stream_write *w;
	uv_buf_t b;
	int n = 0, r;

	if (uv_stream_get_write_queue_size(&s->h.stream) == 0) {
		b = uv_buf_init(buf, (unsigned int)len);
		n = uv_try_write(&s->h.stream, &b, 1);
		if ((n >= 0 && (size_t)n == len) || (n < 0 && n != UV_EAGAIN)) {
			if (!keep)
				free(buf);
			return n < 0 ? n : 0;
		}
		if (n < 0)
			n = 0;
	}
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->own = buf;
	b = uv_buf_init(buf + n, (unsigned int)(len - (size_t)n));
	if ((r = uv_write(&w->req, &s->h.stream, &b, 1, stream_write_cb)) !=
	    0) {
		if (!keep)
			free(buf);
		free(w);
		return r;
	}
	return 1;
}

static void
stream_write_cb(uv_write_t *req, int status)
{
	struct stream_write *w = container_of(req, struct stream_write, req);
	struct pogo_stream *s = w->s;

	free(w->cipher);
	free(w->own);
	if (w->cb != NULL)
		w->cb(s, status, w->arg);
	else if (status < 0 && status != UV_ECANCELED)
		stream_write_failed(s, status);
	free(w);
}

/*
 * TLS: write what the session has to send, then w->cb.  w may be NULL (a
 * write of the session's own).  On error a w given stays the caller's.
 */
static int
stream_send_output(struct pogo_stream *s, struct stream_write *w)
{
	uv_buf_t buf;
	size_t len;
	char *out;
	int r;

	out = pogo_tls_session_take_output(s->tls, &len);
	if (out == NULL && w == NULL)
		return 0;
	if (w == NULL)
		return (r = stream_put(s, out, len, false)) < 0 ? r : 0;
	w->cipher = out;
	buf = uv_buf_init(out, (unsigned int)len);
	if ((r = uv_write(&w->req, &s->h.stream, &buf, 1, stream_write_cb)) !=
	    0) {
		free(out);
		w->cipher = NULL;
		return r;
	}
	return 0;
}

/* TLS: encrypt w's plaintext and send it; on error w is the caller's. */
static int
stream_tls_write(
    struct pogo_stream *s, struct stream_write *w, const char *d, size_t n)
{
	int r;

	if ((r = pogo_tls_session_write(s->tls, d, n)) != 0)
		return r;
	return stream_send_output(s, w);
}

/* After the handshake: the writes that waited for it. */
static void
stream_send_pending(struct pogo_stream *s)
{
	struct stream_write *w;
	int r;

	while ((w = s->pending) != NULL && !s->closing) {
		s->pending = w->next;
		if (s->pending == NULL)
			s->pending_tail = &s->pending;
		w->next = NULL;
		s->pending_bytes -= w->len;
		if ((r = stream_tls_write(s, w, w->data, w->len)) != 0) {
			if (w->cb != NULL)
				w->cb(s, r, w->arg);
			else if (s->werr == 0) {
				/* A corked send's: told from the flush handle. */
				s->werr = r;
				uv_idle_start(&s->flush, stream_flush_cb);
			}
			free(w->own);
			free(w);
		}
	}
}

static void
stream_hs_timeout(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_stream *s = arg;
	char cause[64];

	snprintf(cause, sizeof(cause), "no TLS handshake within %llu s",
	    (unsigned long long)(s->handshake_ms / 1000));
	stream_fail(s, POGO_ERR_TIMEOUT, cause);
}

/* TLS: move the session on as far as the input buffered allows. */
static void
stream_process(struct pogo_stream *s)
{
	char *cause;
	ssize_t n;
	int r;

	if (s->closing || s->failed)
		return;
	if (!pogo_tls_session_ready(s->tls)) {
		r = pogo_tls_session_handshake(s->tls, &cause);
		(void)stream_send_output(s, NULL);
		if (r < 0) {
			stream_fail(s, r, cause);
			free(cause);
			return;
		}
		if (r == 1) {
			if (s->rerr != 0)
				stream_fail(s, s->rerr,
				    s->rerr == UV_EOF
				        ? "connection closed during the TLS "
				          "handshake"
				        : NULL);
			return;
		}
		pogo_clock_timer_free(s->hs_timer);
		s->hs_timer = NULL;
		log_debug3("TLS handshake done with '%s'",
		    pogo_tls_session_peer_name(s->tls));
		stream_send_pending(s);
		if (s->outlen > 0)
			uv_idle_start(&s->flush, stream_flush_cb);
	}
	while (s->reading && !s->closing && !s->failed) {
		n = pogo_tls_session_read(s->tls, s->pbuf, STREAM_PLAIN_SIZE);
		(void)stream_send_output(s, NULL);
		if (n < 0) {
			stream_fail(
			    s, (int)n, n == UV_EOF ? NULL : "a bad TLS record");
			return;
		}
		if (n == 0) {
			if (s->rerr != 0)
				stream_fail(s, s->rerr, NULL);
			return;
		}
		s->read_cb(s, n, s->pbuf, s->arg);
		/* Read by now: a request may carry secrets (SPEC 10.4). */
		explicit_bzero(s->pbuf, (size_t)n);
	}
}

static void
stream_kick_cb(uv_idle_t *h)
{
	struct pogo_stream *s = h->data;

	uv_idle_stop(&s->kick);
	stream_process(s);
}

static void
stream_alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	/* Each read's own buffer: thousands of idle streams hold none. */
	*buf = uv_buf_init(xmalloc(STREAM_READ_SIZE), STREAM_READ_SIZE);
}

static void
stream_read_cb(uv_stream_t *h, ssize_t n, const uv_buf_t *buf)
{
	struct pogo_stream *s = h->data;

	if (n == 0 || s->closing || s->failed)
		goto out;
	if (s->tls == NULL) {
		if (n < 0)
			s->failed = true;
		s->read_cb(s, n, n > 0 ? buf->base : NULL, s->arg);
		goto out;
	}
	if (n < 0) {
		s->rerr = (int)n;
		uv_read_stop(h);
	} else
		pogo_tls_session_feed(s->tls, buf->base, (size_t)n);
	stream_process(s);
out:
	/* Plain bytes may carry secrets (SPEC 10.4): wiped, not just freed. */
	if (n > 0)
		explicit_bzero(buf->base, (size_t)n);
	free(buf->base);
}

int
pogo_stream_start(struct pogo_stream *s, pogo_stream_read_cb read_cb, void *arg)
{
	int r;

	s->read_cb = read_cb;
	s->arg = arg;
	if ((r = uv_read_start(
	         &s->h.stream, stream_alloc_cb, stream_read_cb)) != 0)
		return r;
	s->reading = true;
	if (s->tls != NULL) {
		s->hs_timer =
		    pogo_clock_timer_new(s->clock, stream_hs_timeout, s);
		pogo_clock_timer_start(s->hs_timer, s->handshake_ms);
		uv_idle_start(&s->kick, stream_kick_cb);
	}
	return 0;
}

void
pogo_stream_set_read_cb(
    struct pogo_stream *s, pogo_stream_read_cb read_cb, void *arg)
{
	s->read_cb = read_cb;
	s->arg = arg;
}

void
pogo_stream_read_stop(struct pogo_stream *s)
{
	s->reading = false;
	uv_read_stop(&s->h.stream);
	if (s->tls != NULL)
		uv_idle_stop(&s->kick);
}

int
pogo_stream_read_start(struct pogo_stream *s)
{
	int r = 0;

	if (s->closing)
		return UV_EINVAL;
	s->reading = true;
	if (s->failed)
		return 0;
	if (s->tls == NULL || s->rerr == 0)
		r = uv_read_start(
		    &s->h.stream, stream_alloc_cb, stream_read_cb);
	if (s->tls != NULL)
		uv_idle_start(&s->kick, stream_kick_cb);
	return r;
}

int
pogo_stream_write(struct pogo_stream *s, const char *data, size_t len,
    pogo_stream_write_cb cb, void *arg)
{
	struct stream_write *w;
	uv_buf_t buf;
	int r;

	if (s->closing)
		return UV_EPIPE;
	/* What was sent before goes first. */
	stream_flush(s);
	w = xcalloc(1, sizeof(*w));
	w->s = s;
	w->cb = cb;
	w->arg = arg;
	if (s->tls == NULL) {
		buf = uv_buf_init((char *)data, (unsigned int)len);
		if ((r = uv_write(
		         &w->req, &s->h.stream, &buf, 1, stream_write_cb)) != 0)
			free(w);
		return r;
	}
	if (!pogo_tls_session_ready(s->tls)) {
		w->data = data;
		w->len = len;
		*s->pending_tail = w;
		s->pending_tail = &w->next;
		s->pending_bytes += len;
		return 0;
	}
	if ((r = stream_tls_write(s, w, data, len)) != 0)
		free(w);
	return r;
}

int
pogo_stream_send(struct pogo_stream *s, const char *data, size_t len)
{
	struct stream_write *w;
	size_t cap;

	if (s->closing)
		return UV_EPIPE;
	if (len == 0)
		return 0;
	if (s->tls != NULL && !pogo_tls_session_ready(s->tls)) {
		/* In order with pogo_stream_write()'s, after the handshake. */
		w = xcalloc(1, sizeof(*w));
		w->s = s;
		w->own = xmalloc(len);
		memcpy(w->own, data, len);
		w->data = w->own;
		w->len = len;
		*s->pending_tail = w;
		s->pending_tail = &w->next;
		s->pending_bytes += len;
		return 0;
	}
	if (s->outlen + len > s->outcap) {
		cap = s->outcap > 0 ? s->outcap : 512;
		while (cap < s->outlen + len)
			cap = cap * 2 >= cap ? cap * 2 : s->outlen + len;
		s->out = xreallocarray(s->out, cap, 1);
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, data, len);
	if (s->outlen == 0) {
		uv_idle_start(&s->flush, stream_flush_cb);
		uv_check_start(&s->late, stream_late_cb);
	}
	s->outlen += len;
	return 0;
}

/*
 * Hand what pogo_stream_send() holds to the socket (plain) or the TLS
 * session, now.  A failure reaches the owner as a read of the error, from
 * the flush handle (never from inside the caller).
 */
static void
stream_flush(struct pogo_stream *s)
{
	size_t len = s->outlen;
	int r;

	uv_idle_stop(&s->flush);
	uv_check_stop(&s->late);
	if (len == 0)
		return;
	s->outlen = 0;
	if (s->tls != NULL) {
		r = pogo_tls_session_write(s->tls, s->out, len);
		if (r == 0)
			r = stream_send_output(s, NULL);
	} else if ((r = stream_put(s, s->out, len, true)) == 1) {
		/* uv_write has the buffer now. */
		s->out = NULL;
		s->outcap = 0;
		r = 0;
	}
	/* A small buffer is kept for the next turn. */
	if (s->outcap > STREAM_OUT_KEEP) {
		free(s->out);
		s->out = NULL;
		s->outcap = 0;
	}
	if (r != 0 && s->werr == 0) {
		s->werr = r;
		if (!s->closing)
			uv_idle_start(&s->flush, stream_flush_cb);
	}
}

static void
stream_flush_cb(uv_idle_t *h)
{
	struct pogo_stream *s = h->data;
	int r;

	stream_flush(s);
	if ((r = s->werr) != 0) {
		uv_idle_stop(&s->flush);
		stream_write_failed(s, r);
	}
}

/*
 * What the poll's callbacks sent leaves in the check phase of the same
 * turn, before the next turn's timers run (a worker's local spawns, which
 * block the loop until the child's exec, ran first: a run's reply and the
 * next report waited for them, SPEC 8.4's stop-and-wait with them).  A
 * send from a check callback (the store's commit) starts the handle for
 * the next turn: the idle handle, before the poll, is first then.
 */
static void
stream_late_cb(uv_check_t *h)
{
	struct pogo_stream *s = h->data;

	uv_check_stop(&s->late);
	if (s->werr == 0)
		stream_flush(s);
	if (s->werr != 0)
		uv_idle_start(&s->flush, stream_flush_cb);
}

size_t
pogo_stream_write_queue_size(const struct pogo_stream *s)
{
	return uv_stream_get_write_queue_size(&s->h.stream) + s->pending_bytes +
	    s->outlen;
}

static void
stream_shutdown_cb(uv_shutdown_t *req, int status)
{
	struct stream_shutdown *sh =
	    container_of(req, struct stream_shutdown, req);

	if (sh->cb != NULL)
		sh->cb(sh->s, status, sh->arg);
	free(sh);
}

int
pogo_stream_shutdown(struct pogo_stream *s, pogo_stream_write_cb cb, void *arg)
{
	struct stream_shutdown *sh;
	int r;

	if (s->closing)
		return UV_EPIPE;
	stream_flush(s);
	if (s->tls != NULL && pogo_tls_session_ready(s->tls)) {
		pogo_tls_session_close_notify(s->tls);
		(void)stream_send_output(s, NULL);
	}
	sh = xcalloc(1, sizeof(*sh));
	sh->s = s;
	sh->cb = cb;
	sh->arg = arg;
	if ((r = uv_shutdown(&sh->req, &s->h.stream, stream_shutdown_cb)) != 0)
		free(sh);
	return r;
}

static void
stream_close_cb(uv_handle_t *h)
{
	struct pogo_stream *s = h->data;
	struct stream_write *w;

	if (--s->nclose > 0)
		return;
	while ((w = s->pending) != NULL) {
		s->pending = w->next;
		if (w->cb != NULL)
			w->cb(s, UV_ECANCELED, w->arg);
		free(w->own);
		free(w);
	}
	free(s->out);
	/* The session first: its configuration may go in the callback. */
	pogo_tls_session_free(s->tls);
	s->tls = NULL;
	free(s->pbuf);
	if (s->close_cb != NULL)
		s->close_cb(s, s->close_arg);
	free(s);
}

void
pogo_stream_close(struct pogo_stream *s, pogo_stream_close_cb cb, void *arg)
{
	if (s->closing)
		return;
	s->closing = true;
	/* What was sent goes out as far as the socket takes it now. */
	stream_flush(s);
	s->close_cb = cb;
	s->close_arg = arg;
	pogo_clock_timer_free(s->hs_timer);
	s->hs_timer = NULL;
	s->nclose = 3;
	uv_close(&s->h.handle, stream_close_cb);
	uv_close((uv_handle_t *)&s->flush, stream_close_cb);
	uv_close((uv_handle_t *)&s->late, stream_close_cb);
	if (s->tls != NULL) {
		s->nclose++;
		uv_close((uv_handle_t *)&s->kick, stream_close_cb);
	}
}
