/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The unit-test runner: tests register themselves from constructors, run
 * in registration order, and a failing assertion longjmps back here so
 * that the next test still runs.
 */
#include "pogo/compat.h"

#include <signal.h>
#include <time.h>

#include "harness.h"
#include "pogo/str.h"

static struct harness_test *harness_head, **harness_tail = &harness_head;
static jmp_buf harness_jmp;
static int harness_skipped;

void
harness_register(struct harness_test *t)
{
	*harness_tail = t;
	harness_tail = &t->next;
}

void
harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fprintf(stdout, "\n");
	fflush(stdout);
	longjmp(harness_jmp, 1);
}

/* With POGO_TEST_NO_SKIP=1 (CI: .ci/run) a skip is a failure. */
void
harness_skip(const char *why)
{
	const char *no_skip = getenv("POGO_TEST_NO_SKIP");

	if (no_skip != NULL && strcmp(no_skip, "1") == 0)
		harness_fail(__FILE__, __LINE__,
		    "cannot run: %s (POGO_TEST_NO_SKIP=1: a skip is a failure)",
		    why);
	fprintf(stdout, "  skip: %s\n", why);
	harness_skipped = 1;
	longjmp(harness_jmp, 2);
}

char *
harness_data(const char *rel, size_t *lenp)
{
	const char *dir = getenv("POGO_TEST_DATA");
	char path[4096], *buf = NULL;
	size_t len;

	snprintf(
	    path, sizeof(path), "%s/%s", dir != NULL ? dir : "test/data", rel);
	if (pogo_str_read_file(path, 64 * 1024 * 1024, &buf, &len) != 0)
		harness_fail(__FILE__, __LINE__, "cannot read %s", path);
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static bool
harness_selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], name) == 0)
			return true;
	}
	return false;
}

int
main(int argc, char **argv)
{
	/* Static: setjmp/longjmp must not clobber them. */
	static struct harness_test *t;
	static int passed, failed, skipped;
	int jr;

	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * As every pogo process that holds connections (proc.c, follow.c): a
	 * write to a peer that went away is an error (EPIPE), not the end of
	 * the process.  Local tasks get the default back at their spawn.
	 */
	signal(SIGPIPE, SIG_IGN);
	for (t = harness_head; t != NULL; t = t->next) {
		if (!harness_selected(t->name, argc, argv))
			continue;
		harness_skipped = 0;
		if ((jr = setjmp(harness_jmp)) == 0) {
			t->fn();
			printf("ok %s\n", t->name);
			passed++;
		} else if (jr == 2) {
			printf("skip %s\n", t->name);
			skipped++;
		} else {
			printf("FAIL %s\n", t->name);
			failed++;
		}
	}
	if (skipped > 0)
		printf("%d passed, %d failed, %d skipped\n", passed, failed,
		    skipped);
	else
		printf("%d passed, %d failed\n", passed, failed);
	if (failed > 0)
		return 1;
	if (passed == 0 && skipped > 0)
		return 77;
	return 0;
}

double
harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
harness_nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}
