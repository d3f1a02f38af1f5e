/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* libFuzzer target: host range expansion (SPEC 2.8) on arbitrary input. */
#include "pogo/compat.h"

#include "pogo/range.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pogo_strv out = { 0 };
	char *s, *cause = NULL;

	if (size > 4096)
		return 0;
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	/* A small item limit keeps every run fast; the logic is the same. */
	if (pogo_range_expand(s, 10000, &out, &cause) == 0) {
		if (out.n == 0)
			abort();
	} else if (cause == NULL || out.n != 0)
		abort();
	free(cause);
	pogo_strv_clear(&out);
	free(s);
	return 0;
}
