/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The receiving half of a protocol connection (SPEC 8.1): JSON lines cut
 * from a byte stream and decoded into messages (proto.h).  Pure: the
 * owner feeds whatever its read callback got, in chunks of any size, and
 * writes with pogo_proto_encode(), whose lines never hold a raw newline.
 *
 * The line buffer is bounded (POGO_PROTO_MAX_LINE unless told otherwise):
 * a longer line makes pogo_wire_feed() return POGO_ERR_LIMIT, and the
 * owner closes the connection.  A line that is not a JSON object, or a
 * known message with a bad member, goes to cbs->error and decoding goes
 * on (N-MALFORMED); whoever owns the connection logs it once.  Messages
 * on an unknown channel are dropped here.
 *
 * cbs->msg and cbs->error are called from inside pogo_wire_feed(), once
 * per line, in order.  The message is the callee's to read, and it may
 * take strings out of it (setting the pointers to NULL); it is cleared
 * when the callback returns.  A callback may call pogo_wire_stop(), after
 * which feed returns without reading further (the owner is closing); it
 * must not free the reader.
 */
#ifndef POGO_WIRE_H
#define POGO_WIRE_H

#include "pogo/proto.h"

struct pogo_wire;

struct pogo_wire_cbs {
	void (*msg)(struct pogo_wire *w, struct pogo_msg *m, void *arg);
	/*
	 * A line was not a message: r is POGO_ERR_JSON (not a JSON object)
	 * or POGO_ERR_PROTOCOL (m says what could be read: type, channel,
	 * task_id), cause a text for the log.  line[0..len) is the line.
	 */
	void (*error)(struct pogo_wire *w, const struct pogo_msg *m, int r,
	    const char *cause, const char *line, size_t len, void *arg);
};

/* A reader for lines of at most max bytes (0: POGO_PROTO_MAX_LINE). */
struct pogo_wire *pogo_wire_new(
    size_t max, const struct pogo_wire_cbs *cbs, void *arg);
void pogo_wire_free(struct pogo_wire *w);

/*
 * Feed bytes received.  Returns 0, or POGO_ERR_LIMIT when a line is
 * longer than the limit (nothing more is read from then on), or
 * POGO_ERR_STATE once pogo_wire_stop() has been called.
 */
int pogo_wire_feed(struct pogo_wire *w, const char *data, size_t len);

/* Read no further (from a callback: the owner is closing). */
void pogo_wire_stop(struct pogo_wire *w);

/* Bytes of an incomplete line held. */
size_t pogo_wire_pending(const struct pogo_wire *w);

#endif
