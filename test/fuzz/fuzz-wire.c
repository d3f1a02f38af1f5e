/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the protocol's frame decoder (src/wire.c) and message
 * decoder (src/proto.c), the parsers of everything a peer sends (SPEC 8).
 * The first byte picks the read sizes; the rest is the byte stream, read
 * with a 4 KiB line limit so that the limit is reached too.  The events
 * (messages and errors, in order) and the limit do not depend on how the
 * stream was cut into reads; every message decoded encodes to one line
 * with a single newline, at its end, which decodes to a message that
 * encodes to the same line again.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/wire.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINE 4096

struct fw {
	char *ev; /* every event: a tag, a length, the bytes */
	size_t len, cap;
};

static void
fuzz_put(struct fw *f, char tag, const char *s, size_t n)
{
	if (f->len + n + 1 + sizeof(n) > f->cap) {
		f->cap = (f->len + n + 1 + sizeof(n)) * 2;
		f->ev = xreallocarray(f->ev, f->cap, 1);
	}
	f->ev[f->len++] = tag;
	memcpy(f->ev + f->len, &n, sizeof(n));
	f->len += sizeof(n);
	memcpy(f->ev + f->len, s, n);
	f->len += n;
}

static void
fuzz_msg(struct pogo_wire *w, struct pogo_msg *m, void *arg)
{
	struct pogo_msg again;
	char *line, *line2;
	size_t len, len2;

	line = pogo_proto_encode(m, &len);
	if (len == 0 || line[len - 1] != '\n' ||
	    memchr(line, '\n', len - 1) != NULL)
		abort();
	if (pogo_proto_decode(line, len, &again, NULL) != 0 ||
	    again.type != m->type)
		abort();
	line2 = pogo_proto_encode(&again, &len2);
	if (len2 != len || memcmp(line, line2, len) != 0)
		abort();
	fuzz_put(arg, 'M', line, len);
	pogo_proto_msg_clear(&again);
	free(line);
	free(line2);
}

static void
fuzz_error(struct pogo_wire *w, const struct pogo_msg *m, int r,
    const char *cause, const char *line, size_t len, void *arg)
{
	if ((r != POGO_ERR_JSON && r != POGO_ERR_PROTOCOL) || cause == NULL ||
	    len > FUZZ_MAX_LINE)
		abort();
	fuzz_put(arg, r == POGO_ERR_JSON ? 'J' : 'P', line, len);
}

static const struct pogo_wire_cbs fuzz_cbs = { fuzz_msg, fuzz_error };

/* Feed d[0..n) in reads of step bytes (0: all at once). */
static int
fuzz_feed(const char *d, size_t n, size_t step, struct fw *f)
{
	struct pogo_wire *w = pogo_wire_new(FUZZ_MAX_LINE, &fuzz_cbs, f);
	size_t i, k;
	int r = 0;

	for (i = 0; i < n && r == 0; i += k) {
		k = step == 0 ? n - i : step + (i % 5);
		if (k > n - i)
			k = n - i;
		r = pogo_wire_feed(w, d + i, k);
	}
	if (r != 0 && r != POGO_ERR_LIMIT)
		abort();
	if (pogo_wire_pending(w) > FUZZ_MAX_LINE)
		abort();
	pogo_wire_free(w);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw whole = { 0 }, cut = { 0 };
	const char *d = (const char *)data + 1;
	int r1, r2;

	if (size < 1 || size > 65536)
		return 0;
	r1 = fuzz_feed(d, size - 1, 0, &whole);
	r2 = fuzz_feed(d, size - 1, 1 + data[0] % 61, &cut);
	if (r1 != r2 || whole.len != cut.len ||
	    (whole.len > 0 && memcmp(whole.ev, cut.ev, whole.len) != 0))
		abort();
	free(whole.ev);
	free(cut.ev);
	return 0;
}
