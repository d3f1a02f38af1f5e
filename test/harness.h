/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The unit-test harness (libuv test/task.h and OpenSSH test_helper in
 * spirit).  TEST(name) defines a test; the ASSERT macros print both sides
 * with file:line and end the test.  A test binary runs every test, or only
 * those named on its command line, prints one line per test and a closing
 * "N passed, N failed" line.  Exit code 77 means skip; harness_skip() fails
 * the test instead when POGO_TEST_NO_SKIP=1 (CI).
 */
#ifndef POGO_TEST_HARNESS_H
#define POGO_TEST_HARNESS_H

#include "pogo/compat.h"

#include <setjmp.h>

#include "pogo/error.h"

struct harness_test {
	const char *name;
	void (*fn)(void);
	struct harness_test *next;
};

void harness_register(struct harness_test *t);
void harness_fail(const char *file, int line, const char *fmt, ...)
    POGO_PRINTFLIKE(3, 4) POGO_NORETURN;
void harness_skip(const char *why) POGO_NORETURN;

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	static struct harness_test harness_t_##name = { #name, test_##name, \
		NULL };                                                     \
	__attribute__((constructor)) static void harness_reg_##name(void)   \
	{                                                                   \
		harness_register(&harness_t_##name);                        \
	}                                                                   \
	static void test_##name(void)

#define ASSERT(e)                                                            \
	do {                                                                 \
		if (!(e))                                                    \
			harness_fail(                                        \
			    __FILE__, __LINE__, "assertion failed: %s", #e); \
	} while (0)

#define ASSERT_CMP_INT(a, op, b)                                            \
	do {                                                                \
		long long a_ = (long long)(a), b_ = (long long)(b);         \
		if (!(a_ op b_))                                            \
			harness_fail(__FILE__, __LINE__,                    \
			    "%s %s %s: %lld vs %lld", #a, #op, #b, a_, b_); \
	} while (0)

#define ASSERT_EQ(a, b) ASSERT_CMP_INT(a, ==, b)
#define ASSERT_NE(a, b) ASSERT_CMP_INT(a, !=, b)
#define ASSERT_LT(a, b) ASSERT_CMP_INT(a, <, b)
#define ASSERT_LE(a, b) ASSERT_CMP_INT(a, <=, b)
#define ASSERT_GE(a, b) ASSERT_CMP_INT(a, >=, b)

#define ASSERT_OK(r)                                                        \
	do {                                                                \
		int r_ = (r);                                               \
		if (r_ != 0)                                                \
			harness_fail(__FILE__, __LINE__, "%s: %d (%s)", #r, \
			    r_, pogo_strerror(r_));                         \
	} while (0)

#define ASSERT_STR_EQ(a, b)                                                    \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)           \
			harness_fail(__FILE__, __LINE__,                       \
			    "%s == %s:\n  left:  \"%s\"\n  right: \"%s\"", #a, \
			    #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");       \
	} while (0)

#define ASSERT_NULL(p)                                                         \
	do {                                                                   \
		const void *p_ = (p);                                          \
		if (p_ != NULL)                                                \
			harness_fail(                                          \
			    __FILE__, __LINE__, "%s is not NULL: %p", #p, p_); \
	} while (0)

#define ASSERT_MEM_EQ(a, b, n)                                       \
	do {                                                         \
		if (memcmp((a), (b), (n)) != 0)                      \
			harness_fail(__FILE__, __LINE__,             \
			    "%s and %s differ in %zu bytes", #a, #b, \
			    (size_t)(n));                            \
	} while (0)

/* Read a file of the test data directory (POGO_TEST_DATA). */
char *harness_data(const char *rel, size_t *lenp);

/* CLOCK_MONOTONIC in seconds, for a test's own deadlines. */
double harness_now(void);

/* Sleep ms milliseconds (a poll's interval while waiting for a condition). */
void harness_nap_ms(long ms);

#endif
