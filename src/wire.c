/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * JSON-lines framing (wire.h).  Complete lines are decoded straight from
 * the caller's chunk; only an incomplete last line is copied, into a
 * buffer that never holds more than the limit.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/wire.h"
#include "pogo/xmalloc.h"

struct pogo_wire {
	size_t max;
	const struct pogo_wire_cbs *cbs;
	void *arg;
	char *buf; /* an incomplete line */
	size_t len, cap;
	bool stopped;
	int err; /* sticky */
};

struct pogo_wire *
pogo_wire_new(size_t max, const struct pogo_wire_cbs *cbs, void *arg)
{
	struct pogo_wire *w = xcalloc(1, sizeof(*w));

	w->max = max != 0 ? max : POGO_PROTO_MAX_LINE;
	w->cbs = cbs;
	w->arg = arg;
	return w;
}

void
pogo_wire_free(struct pogo_wire *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w);
}

void
pogo_wire_stop(struct pogo_wire *w)
{
	w->stopped = true;
	if (w->err == 0)
		w->err = POGO_ERR_STATE;
}

size_t
pogo_wire_pending(const struct pogo_wire *w)
{
	return w->len;
}

/* Decode one complete line (without its '\n') and report it. */
static void
wire_line(struct pogo_wire *w, const char *line, size_t len)
{
	struct pogo_msg m;
	char *cause = NULL;
	int r;

	r = pogo_proto_decode(line, len, &m, &cause);
	if (r != 0)
		w->cbs->error(w, &m, r, cause, line, len, w->arg);
	else if (m.type != POGO_MSG_IGNORED)
		w->cbs->msg(w, &m, w->arg);
	pogo_proto_msg_clear(&m);
	free(cause);
}

/* Keep data[0..len), the start of a line, for the next chunk. */
static int
wire_keep(struct pogo_wire *w, const char *data, size_t len)
{
	if (w->len + len > w->max) {
		w->err = POGO_ERR_LIMIT;
		free(w->buf);
		w->buf = NULL;
		w->len = w->cap = 0;
		return w->err;
	}
	if (w->len + len > w->cap) {
		w->cap =
		    w->len + len < w->max / 2 ? (w->len + len) * 2 : w->max;
		w->buf = xreallocarray(w->buf, w->cap, 1);
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
	return 0;
}

int
pogo_wire_feed(struct pogo_wire *w, const char *data, size_t len)
{
	const char *nl;
	size_t n, whole;
	int r;

	while (w->err == 0 && len > 0) {
		if ((nl = memchr(data, '\n', len)) == NULL)
			return wire_keep(w, data, len);
		n = (size_t)(nl - data);
		if (w->len == 0) {
			if (n > w->max)
				return w->err = POGO_ERR_LIMIT;
			wire_line(w, data, n);
		} else {
			if ((r = wire_keep(w, data, n)) != 0)
				return r;
			/* The buffer stays valid until the next wire_keep(). */
			whole = w->len;
			w->len = 0;
			wire_line(w, w->buf, whole);
		}
		data += n + 1;
		len -= n + 1;
	}
	return w->err;
}
