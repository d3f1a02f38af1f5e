/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the target-file reader (pogo_target_parse("@FILE"),
 * src/target.c, SPEC 5.2).  The input is the file, read through a memfd.
 * An accepted file gives a non-empty list of valid, distinct host names
 * within the job cap (1,000 hosts in the fuzz build, so that the cap is
 * reached); a refused one gives a reason and an empty list.  Files whose
 * lines would expand to more than 20,000 names are skipped, to keep every
 * run fast (the counting itself is exercised).
 */
#include "pogo/compat.h"

#include <sys/mman.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/range.h"
#include "pogo/target.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Would the lines of d expand to more than max names in all? */
static bool
fuzz_too_many(const uint8_t *d, size_t n, uint64_t max)
{
	char *s = xmalloc(n + 1), *line, *cursor;
	uint64_t total = 0, c;
	bool big = false;

	memcpy(s, d, n);
	s[n] = '\0';
	cursor = s;
	while (!big && (line = pogo_str_next_line(&cursor)) != NULL) {
		c = 0;
		if (pogo_range_count(line, max, &c) == POGO_ERR_LIMIT)
			big = true;
		else if ((total += c) > max)
			big = true;
	}
	free(s);
	return big;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char arg[64];
	struct pogo_strv out = { 0 };
	char *cause = NULL;
	size_t i, j;

	if (size > 8192 || fuzz_too_many(data, size, 20000))
		return 0;
	if (fd < 0) {
		if ((fd = memfd_create("pogo-fuzz-targets", 0)) < 0)
			abort();
		snprintf(arg, sizeof(arg), "@/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	if (pogo_target_parse(arg, &out, &cause) == 0) {
		if (cause != NULL || out.n < 1 || out.n > POGO_TARGET_MAX_HOSTS)
			abort();
		for (i = 0; i < out.n; i++) {
			if (!pogo_target_valid_host(out.v[i]))
				abort();
			for (j = 0; j < i && out.n < 2000; j++) {
				if (strcmp(out.v[i], out.v[j]) == 0)
					abort();
			}
		}
	} else if (cause == NULL || out.n != 0)
		abort();
	free(cause);
	pogo_strv_clear(&out);
	return 0;
}
