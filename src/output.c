/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Cuts command output into records (SPEC 5.8).  Bytes are validated as
 * UTF-8 as they arrive; a sequence split across two reads is held back
 * until it completes.  Used by every executor, so that the same records
 * leave a worker whichever way the command ran.
 */
#include "pogo/compat.h"

#include "pogo/output.h"

static const char output_fffd[] = "\xef\xbf\xbd";

void
pogo_output_init(struct pogo_output *o, enum pogo_out_type type, bool pty,
    pogo_output_cb cb, void *arg)
{
	memset(o, 0, sizeof(*o));
	o->type = type;
	o->pty = pty;
	o->cb = cb;
	o->arg = arg;
}

static void
output_emit(struct pogo_output *o, bool eol)
{
	o->cb(o->type, o->line, o->len, eol, o->arg);
	o->len = 0;
}

/* Append valid UTF-8 bytes s[0..n) (n <= 4) to the line. */
static void
output_put(struct pogo_output *o, const char *s, size_t n)
{
	if (o->len + n > POGO_OUTPUT_RECORD_MAX)
		output_emit(o, false);
	memcpy(o->line + o->len, s, n);
	o->len += n;
	if (o->len == POGO_OUTPUT_RECORD_MAX)
		output_emit(o, false);
}

/* Length a UTF-8 sequence starting with byte c should have; 0: invalid. */
static size_t
output_seqlen(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/* Is s[0..n) a valid, complete UTF-8 sequence (no overlong, no UTF-16)? */
static bool
output_valid(const unsigned char *s, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return false;
	}
	if (n == 3 && s[0] == 0xe0 && s[1] < 0xa0)
		return false;
	if (n == 3 && s[0] == 0xed && s[1] >= 0xa0)
		return false;
	if (n == 4 && s[0] == 0xf0 && s[1] < 0x90)
		return false;
	if (n == 4 && s[0] == 0xf4 && s[1] >= 0x90)
		return false;
	return true;
}

/* One byte of text (not a newline). */
static void
output_byte(struct pogo_output *o, unsigned char c)
{
	size_t want;

	if (o->npend > 0) {
		if ((c & 0xc0) == 0x80) {
			o->pend[o->npend++] = (char)c;
			want = output_seqlen((unsigned char)o->pend[0]);
			if (o->npend < want)
				return;
			if (output_valid(
			        (const unsigned char *)o->pend, o->npend))
				output_put(o, o->pend, o->npend);
			else
				output_put(o, output_fffd, 3);
			o->npend = 0;
			return;
		}
		/* The sequence was cut short. */
		output_put(o, output_fffd, 3);
		o->npend = 0;
	}
	want = output_seqlen(c);
	if (want == 1) {
		char b = (char)c;

		output_put(o, &b, 1);
	} else if (want == 0)
		output_put(o, output_fffd, 3);
	else
		o->pend[o->npend++] = (char)c;
}

static void
output_newline(struct pogo_output *o)
{
	if (o->npend > 0) {
		output_put(o, output_fffd, 3);
		o->npend = 0;
	}
	output_emit(o, true);
}

void
pogo_output_feed(struct pogo_output *o, const char *data, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)data[i];
		if (o->pty) {
			/* Under a PTY, "\r\n" is a newline. */
			if (o->cr) {
				o->cr = false;
				if (c == '\n') {
					output_newline(o);
					continue;
				}
				output_byte(o, '\r');
			}
			if (c == '\r') {
				o->cr = true;
				continue;
			}
		}
		if (c == '\n')
			output_newline(o);
		else
			output_byte(o, c);
	}
}

bool
pogo_output_pending(const struct pogo_output *o)
{
	return o->len > 0 || o->npend > 0 || o->cr;
}

void
pogo_output_flush(struct pogo_output *o)
{
	if (o->cr) {
		o->cr = false;
		output_byte(o, '\r');
	}
	if (o->npend > 0) {
		output_put(o, output_fffd, 3);
		o->npend = 0;
	}
	if (o->len > 0)
		output_emit(o, false);
}
