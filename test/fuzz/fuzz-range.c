/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: host range expansion (SPEC 2.8) on arbitrary input.
 * Memory per input is bounded because a pattern is counted before it is
 * expanded: the target checks that the count bounds the result and that
 * a pattern counted over the limit is refused.  The smoke run adds
 * -rss_limit_mb and -malloc_limit_mb (test/run-all.sh).
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/range.h"
#include "pogo/target.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pogo_strv out = { 0 };
	char *s, *cause = NULL;
	uint64_t n, big;
	int rc, re;

	if (size > 4096)
		return 0;
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	/* At the job's cap, counting alone stays within its bounds. */
	rc = pogo_range_count(s, POGO_TARGET_MAX_HOSTS, &big);
	if (rc == 0 && big > POGO_TARGET_MAX_HOSTS)
		abort();
	/* A small item limit keeps every run fast; the logic is the same. */
	rc = pogo_range_count(s, 10000, &n);
	if ((rc == 0 && n > 10000) || (rc == POGO_ERR_LIMIT && n != 10001))
		abort();
	re = pogo_range_expand(s, 10000, &out, &cause);
	if (re == 0) {
		/* The count bounds the result: nothing is made past it. */
		if (out.n == 0 || rc != 0 || out.n > n)
			abort();
	} else if (cause == NULL || out.n != 0)
		abort();
	if (rc == POGO_ERR_LIMIT && re == 0)
		abort();
	free(cause);
	pogo_strv_clear(&out);
	free(s);
	return 0;
}
