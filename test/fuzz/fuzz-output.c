/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the output splitter (src/output.c, SPEC 5.8).  The
 * first byte picks PTY mode and the read sizes; the rest is the command's
 * output.  Every record is at most POGO_OUTPUT_RECORD_MAX bytes of valid
 * UTF-8 without a newline, the records do not depend on how the output
 * was cut into reads, and without a PTY there is one end-of-line record
 * per newline.
 */
#include "pogo/compat.h"

#include "pogo/output.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fo {
	char *rec; /* every record: type, eol, length, bytes */
	size_t len, cap;
	size_t eols;
};

/* Is s[0..n) valid UTF-8 (no overlong forms, surrogates or > U+10FFFF)? */
static bool
fuzz_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, want;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			want = 2;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			want = 3;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			want = 4;
			cp = s[i] & 0x07;
		} else
			return false;
		if (i + want > n)
			return false;
		for (k = 1; k < want; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((want == 3 && cp < 0x800) || (want == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += want;
	}
	return true;
}

static void
fuzz_record(
    enum pogo_out_type type, const char *d, size_t n, bool eol, void *arg)
{
	struct fo *f = arg;

	if (n > POGO_OUTPUT_RECORD_MAX || memchr(d, '\n', n) != NULL ||
	    !fuzz_utf8((const unsigned char *)d, n))
		abort();
	if (f->len + n + 16 > f->cap) {
		f->cap = (f->len + n + 16) * 2;
		f->rec = xreallocarray(f->rec, f->cap, 1);
	}
	f->rec[f->len++] = (char)type;
	f->rec[f->len++] = eol ? 'E' : 'P';
	memcpy(f->rec + f->len, &n, sizeof(n));
	f->len += sizeof(n);
	memcpy(f->rec + f->len, d, n);
	f->len += n;
	if (eol)
		f->eols++;
}

static void
fuzz_split(const char *d, size_t n, bool pty, size_t step, struct fo *f)
{
	struct pogo_output o;
	size_t i, k;

	pogo_output_init(&o, POGO_OUT_STDERR, pty, fuzz_record, f);
	for (i = 0; i < n; i += k) {
		k = step == 0 ? n - i : step + (i % 7);
		if (k > n - i)
			k = n - i;
		pogo_output_feed(&o, d + i, k);
	}
	pogo_output_flush(&o);
	if (pogo_output_pending(&o))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fo whole = { 0 }, cut = { 0 };
	const char *d = (const char *)data + 1;
	size_t n, i, nl = 0;
	bool pty;

	if (size < 1 || size > 65536)
		return 0;
	pty = data[0] & 1;
	n = size - 1;
	fuzz_split(d, n, pty, 0, &whole);
	fuzz_split(d, n, pty, 1 + (data[0] >> 1) % 13, &cut);
	if (whole.len != cut.len ||
	    (whole.len > 0 && memcmp(whole.rec, cut.rec, whole.len) != 0))
		abort();
	if (!pty) {
		for (i = 0; i < n; i++)
			nl += d[i] == '\n';
		if (whole.eols != nl)
			abort();
	}
	free(whole.rec);
	free(cut.rec);
	return 0;
}
