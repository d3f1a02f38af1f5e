/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the prompt engine and the redaction of secrets
 * (src/prompt.c, SPEC 9.6).  Input: a flags byte, a secret of 4 to 19
 * bytes, then output fed in pieces with the clock moving on.  The engine
 * answers only with the job's own secrets, at most
 * POGO_PROMPT_MAX_ANSWERS times; the redacted stream equals the input with
 * each occurrence of the secret (left to right) replaced by "********",
 * however the input was cut.
 */
#include "pogo/compat.h"

#include "pogo/prompt.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fbuf {
	char *p;
	size_t len, cap;
};

static void
fuzz_put(const char *d, size_t n, void *arg)
{
	struct fbuf *b = arg;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void
fuzz_redact(
    const char *secret, const char *d, size_t n, size_t step, struct fbuf *b)
{
	struct pogo_redact r;
	size_t i, k;

	pogo_redact_init(&r, secret);
	for (i = 0; i < n; i += k) {
		k = step == 0 ? n - i : step + (i % 5);
		if (k > n - i)
			k = n - i;
		pogo_redact_feed(&r, d + i, k, fuzz_put, b);
	}
	pogo_redact_flush(&r, fuzz_put, b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pogo_prompt p;
	struct fbuf whole = { 0 }, cut = { 0 }, want = { 0 };
	char secret[20], pass[] = "fuzz-passphrase";
	const char *d, *answer;
	size_t slen, n, i, k;
	uint64_t now = 1000;
	bool fail;
	int answers = 0;

	if (size < 6 || size > 16384)
		return 0;
	slen = 4 + data[0] % 16;
	if (size < 1 + slen)
		return 0;
	memcpy(secret, data + 1, slen);
	secret[slen] = '\0';
	if (strlen(secret) < 4)
		return 0;
	slen = strlen(secret);
	d = (const char *)data + 1 + slen;
	n = size - 1 - slen;

	/* Prompts: answers are the job's own secrets, a bounded number. */
	pogo_prompt_init(&p, secret, (data[0] & 0x10) ? pass : NULL);
	for (i = 0; i < n; i += k) {
		k = 1 + (size_t)(unsigned char)d[i] % 64;
		if (k > n - i)
			k = n - i;
		(void)pogo_prompt_feed(&p, d + i, k, now);
		now += (unsigned char)d[i] % 3 == 0 ? POGO_PROMPT_QUIET_MS : 7;
		answer = pogo_prompt_check(&p, now, &fail);
		if (answer != NULL) {
			if (answer != secret && answer != pass)
				abort();
			if (fail)
				abort();
			answers++;
		}
	}
	if (answers > POGO_PROMPT_MAX_ANSWERS)
		abort();

	/* Redaction: the reference, then two ways of cutting the input. */
	for (i = 0; i < n;) {
		if (n - i >= slen && memcmp(d + i, secret, slen) == 0) {
			fuzz_put("********", 8, &want);
			i += slen;
		} else
			fuzz_put(d + i++, 1, &want);
	}
	fuzz_redact(secret, d, n, 0, &whole);
	fuzz_redact(secret, d, n, 1 + data[0] % 7, &cut);
	if (whole.len != want.len || cut.len != want.len)
		abort();
	if (want.len > 0 &&
	    (memcmp(whole.p, want.p, want.len) != 0 ||
	        memcmp(cut.p, want.p, want.len) != 0))
		abort();
	free(whole.p);
	free(cut.p);
	free(want.p);
	return 0;
}
