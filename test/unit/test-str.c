/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/str.c. */
#include "pogo/compat.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/str.h"

TEST(strtonum)
{
	long long v = -7;

	ASSERT_OK(pogo_strtonum("42", 0, 100, &v));
	ASSERT_EQ(v, 42);
	ASSERT_OK(pogo_strtonum("-5", -10, 10, &v));
	ASSERT_EQ(v, -5);
	ASSERT_EQ(pogo_strtonum("", 0, 10, &v), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_strtonum("1x", 0, 10, &v), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_strtonum("11", 0, 10, &v), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_strtonum("-1", 0, 10, &v), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_strtonum("99999999999999999999", 0, LLONG_MAX, &v),
	    POGO_ERR_RANGE);
	ASSERT_EQ(pogo_strtonum("+1", 0, 10, &v), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_strtonum(" 1", 0, 10, &v), POGO_ERR_RANGE);
	ASSERT_EQ(v, -5);
}

TEST(strlcpy_truncates)
{
	char buf[4];

	ASSERT_EQ(strlcpy(buf, "abcdef", sizeof(buf)), 6);
	ASSERT_STR_EQ(buf, "abc");
	ASSERT_EQ(strlcpy(buf, "ab", sizeof(buf)), 2);
	ASSERT_STR_EQ(buf, "ab");
}

TEST(vectors)
{
	struct pogo_strv sv = { 0 };
	struct pogo_idv iv = { 0 };
	uint32_t i;

	for (i = 0; i < 100; i++) {
		pogo_strv_push(&sv, "x");
		pogo_idv_push(&iv, i);
	}
	ASSERT_EQ(sv.n, 100);
	ASSERT_EQ(iv.v[99], 99);
	pogo_strv_clear(&sv);
	pogo_idv_clear(&iv);
	ASSERT_EQ(sv.n, 0);
	ASSERT_NULL(iv.v);
}

TEST(read_file_bounds)
{
	char *buf = NULL;
	size_t len = 0;

	ASSERT_EQ(
	    pogo_str_read_file("/nonexistent/pogo", 10, &buf, &len), -ENOENT);
	ASSERT_NULL(buf);
	ASSERT_EQ(pogo_str_read_file("/proc/self/cmdline", 1, &buf, &len),
	    POGO_ERR_LIMIT);
	ASSERT_NULL(buf);
	ASSERT_OK(pogo_str_read_file("/dev/null", 10, &buf, &len));
	ASSERT_EQ(len, 0);
	ASSERT_STR_EQ(buf, "");
	free(buf);
}

/* A regular file only: a FIFO is refused at once, not waited on. */
TEST(read_regular_file_refuses_a_fifo)
{
	char dir[] = "/tmp/test-str-XXXXXX", path[64], *buf;
	size_t len;
	int fd;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ASSERT_OK(mkfifo(path, 0600));
	ASSERT_EQ(pogo_str_read_regular_file(path, 100, &buf, &len),
	    POGO_ERR_ERRNO(EINVAL));
	ASSERT_NULL(buf);
	unlink(path);
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "0123456789", 10), 10);
	close(fd);
	ASSERT_EQ(
	    pogo_str_read_regular_file(path, 5, &buf, &len), POGO_ERR_LIMIT);
	ASSERT_OK(pogo_str_read_regular_file(path, 10, &buf, &len));
	ASSERT_EQ(len, 10);
	ASSERT_STR_EQ(buf, "0123456789");
	free(buf);
	unlink(path);
	rmdir(dir);
}

/* A full non-blocking pipe is waited for, then the wait gives up. */
TEST(write_all_waits_for_room_then_gives_up)
{
	char chunk[4096];
	int fds[2];

	memset(chunk, 'x', sizeof(chunk));
	ASSERT_OK(pipe(fds));
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	while (write(fds[1], chunk, sizeof(chunk)) > 0)
		;
	ASSERT_EQ(
	    pogo_str_write_all(fds[1], chunk, 10, 200), POGO_ERR_ERRNO(EAGAIN));
	/* Room again: every byte goes. */
	ASSERT_EQ(read(fds[0], chunk, sizeof(chunk)), (ssize_t)sizeof(chunk));
	ASSERT_OK(pogo_str_write_all(fds[1], "hello", 5, 200));
	close(fds[0]);
	close(fds[1]);
}

TEST(next_line)
{
	char text[] = "  a \r\n\n# comment\n\tb\nc";
	char *cur = text;

	ASSERT_STR_EQ(pogo_str_next_line(&cur), "a");
	ASSERT_STR_EQ(pogo_str_next_line(&cur), "b");
	ASSERT_STR_EQ(pogo_str_next_line(&cur), "c");
	ASSERT_NULL(pogo_str_next_line(&cur));
	ASSERT_NULL(pogo_str_next_line(&cur));
}

TEST(utf8_valid)
{
	size_t bad = 99;

	ASSERT(pogo_str_utf8_valid("", 0, &bad));
	ASSERT(pogo_str_utf8_valid(
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, &bad));
	ASSERT_EQ(bad, 99);
	ASSERT(!pogo_str_utf8_valid("ab\xe9", 3, &bad));
	ASSERT_EQ(bad, 2);
	ASSERT(!pogo_str_utf8_valid("\xc0\xaf", 2, &bad)); /* overlong */
	ASSERT_EQ(bad, 0);
	ASSERT(!pogo_str_utf8_valid("x\xed\xa0\x80", 4, &bad)); /* surrogate */
	ASSERT_EQ(bad, 1);
	ASSERT(!pogo_str_utf8_valid("\xf4\x90\x80\x80", 4, &bad));
	ASSERT(!pogo_str_utf8_valid("\xe2\x82", 2, &bad)); /* cut short */
	ASSERT_EQ(bad, 0);
}

TEST(hexval)
{
	const char *digits = "0123456789abcdef", *upper = "ABCDEF";
	int c, i;

	for (i = 0; i < 16; i++)
		ASSERT_EQ(pogo_str_hexval(digits[i]), i);
	for (i = 0; i < 6; i++)
		ASSERT_EQ(pogo_str_hexval(upper[i]), 10 + i);
	for (c = 1; c < 256; c++) {
		if (strchr(digits, c) == NULL && strchr(upper, c) == NULL)
			ASSERT_EQ(pogo_str_hexval((char)c), -1);
	}
	ASSERT_EQ(pogo_str_hexval('\0'), -1);
}
