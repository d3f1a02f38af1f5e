/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Output records (SPEC 5.8): a stream of bytes from a command cut into
 * lines without their newline, lines longer than 4096 bytes cut into
 * 4096-byte records, a trailing partial line emitted on flush, invalid
 * UTF-8 replaced by U+FFFD.  Under a PTY, "\r\n" becomes "\n".  Pure: the
 * caller owns the clock and calls pogo_output_flush() after 0.5 s of quiet
 * and at the end of the stream.
 */
#ifndef POGO_OUTPUT_H
#define POGO_OUTPUT_H

#include "pogo/exec.h"

#define POGO_OUTPUT_RECORD_MAX 4096
#define POGO_OUTPUT_QUIET_MS 500

typedef void (*pogo_output_cb)(
    enum pogo_out_type type, const char *data, size_t len, bool eol, void *arg);

struct pogo_output {
	enum pogo_out_type type;
	bool pty;
	bool cr;      /* a '\r' waits for a possible '\n' */
	char pend[4]; /* an incomplete UTF-8 sequence */
	size_t npend;
	char line[POGO_OUTPUT_RECORD_MAX + 8];
	size_t len;
	pogo_output_cb cb;
	void *arg;
};

void pogo_output_init(struct pogo_output *o, enum pogo_out_type type, bool pty,
    pogo_output_cb cb, void *arg);
/* Feed bytes; complete records are passed to the callback. */
void pogo_output_feed(struct pogo_output *o, const char *data, size_t len);
/* Emit a pending partial line (quiet period, or end of stream). */
void pogo_output_flush(struct pogo_output *o);
/* Is a partial line pending? */
bool pogo_output_pending(const struct pogo_output *o);

#endif
