/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/target.c: job target lists (SPEC 5.2). */
#include "pogo/compat.h"

#include <unistd.h>

#include "harness.h"
#include "pogo/target.h"

TEST(host_names)
{
	ASSERT(pogo_target_valid_host("web1.example.com"));
	ASSERT(pogo_target_valid_host("10.0.0.1"));
	ASSERT(pogo_target_valid_host("fe80::1%eth0"));
	ASSERT(pogo_target_valid_host("a_b"));
	ASSERT(!pogo_target_valid_host(""));
	ASSERT(!pogo_target_valid_host("-oProxyCommand=x"));
	ASSERT(!pogo_target_valid_host("a b"));
	ASSERT(!pogo_target_valid_host("a;b"));
	ASSERT(!pogo_target_valid_host("a/b"));
}

TEST(long_names)
{
	char name[300];

	memset(name, 'a', 255);
	name[255] = '\0';
	ASSERT(pogo_target_valid_host(name));
	name[255] = 'a';
	name[256] = '\0';
	ASSERT(!pogo_target_valid_host(name));
}

TEST(parse_dedups_and_checks)
{
	struct pogo_strv h = { 0 };
	char *cause = NULL;

	ASSERT_OK(pogo_target_parse("h[1-3],h2,x", &h, &cause));
	ASSERT_EQ(h.n, 4);
	ASSERT_STR_EQ(h.v[0], "h1");
	ASSERT_STR_EQ(h.v[3], "x");
	pogo_strv_clear(&h);
	ASSERT_EQ(pogo_target_parse("ok,bad;name", &h, &cause), POGO_ERR_RANGE);
	ASSERT_STR_EQ(cause, "invalid host name 'bad;name'");
	free(cause);
	ASSERT_EQ(h.n, 0);
	ASSERT_EQ(
	    pogo_target_parse("h[1-1000001]", &h, &cause), POGO_ERR_LIMIT);
	ASSERT(strstr(cause, "a job has at most 1000000 hosts") != NULL);
	free(cause);
	/* A refused list is empty: the caller gets a reason, not the hosts. */
	ASSERT_EQ(h.n, 0);
	pogo_strv_clear(&h);
}

TEST(parse_at_file)
{
	struct pogo_strv h = { 0 };
	char path[] = "/tmp/pogo-target-XXXXXX", arg[64], *cause = NULL;
	const char text[] = "# hosts\n\nweb[1-2]\n  db1  \nweb1\n";
	int fd;

	fd = mkstemp(path);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
	close(fd);
	snprintf(arg, sizeof(arg), "@%s", path);
	ASSERT_OK(pogo_target_parse(arg, &h, &cause));
	unlink(path);
	ASSERT_EQ(h.n, 3);
	ASSERT_STR_EQ(h.v[0], "web1");
	ASSERT_STR_EQ(h.v[1], "web2");
	ASSERT_STR_EQ(h.v[2], "db1");
	pogo_strv_clear(&h);
	ASSERT(pogo_target_parse("@/nonexistent/x", &h, &cause) != 0);
	ASSERT(strstr(cause, "/nonexistent/x") != NULL);
	free(cause);
}

/* Parse a target file holding text[0..len); returns the error. */
static int
parse_file(const char *text, size_t len, struct pogo_strv *h, char **cause)
{
	char path[] = "/tmp/pogo-target-XXXXXX", arg[64];
	int fd, r;

	fd = mkstemp(path);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, text, len), len);
	close(fd);
	snprintf(arg, sizeof(arg), "@%s", path);
	r = pogo_target_parse(arg, h, cause);
	unlink(path);
	return r;
}

TEST(file_with_nul_or_bad_utf8_is_refused)
{
	/* "web1\nweb2\n" in UTF-16LE, and a NUL inside a line. */
	static const char utf16[] = "w\0e\0b\0001\0\n\0w\0e\0b\0002\0\n\0";
	static const char nul[] = "web1\nweb2\0web3\n";
	static const char latin1[] = "web1\n# caf\xe9\nweb2\n";
	struct pogo_strv h = { 0 };
	char *cause = NULL;

	ASSERT_EQ(
	    parse_file(utf16, sizeof(utf16) - 1, &h, &cause), POGO_ERR_RANGE);
	ASSERT_EQ(h.n, 0);
	ASSERT(strstr(cause, "line 1: a NUL byte") != NULL);
	free(cause);
	ASSERT_EQ(parse_file(nul, sizeof(nul) - 1, &h, &cause), POGO_ERR_RANGE);
	ASSERT_EQ(h.n, 0);
	ASSERT(strstr(cause, "line 2: a NUL byte") != NULL);
	free(cause);
	ASSERT_EQ(
	    parse_file(latin1, sizeof(latin1) - 1, &h, &cause), POGO_ERR_RANGE);
	ASSERT_EQ(h.n, 0);
	ASSERT(strstr(cause, "line 2: invalid UTF-8") != NULL);
	free(cause);
	/* Valid UTF-8 in a comment is fine. */
	ASSERT_OK(parse_file("# caf\xc3\xa9\nweb1\n", 13, &h, &cause));
	ASSERT_EQ(h.n, 1);
	pogo_strv_clear(&h);
}

TEST(pattern_with_bad_utf8_is_refused)
{
	struct pogo_strv h = { 0 };
	char *cause = NULL;

	ASSERT_EQ(
	    pogo_target_parse("web1,caf\xe9", &h, &cause), POGO_ERR_RANGE);
	ASSERT_EQ(h.n, 0);
	ASSERT(strstr(cause, "invalid UTF-8") != NULL);
	free(cause);
}

/*
 * The host cap holds after de-duplication over all the file's lines: a
 * file over it is refused whole, and lines that repeat one another count
 * once (the fuzzer found a refused file whose hosts reached the caller).
 */
TEST(file_over_the_host_cap_is_refused_whole)
{
	static const char over[] = "a[1-600000]\nb[1-400001]\n";
	static const char repeats[] = "a[1-600000]\na[1-400000]\nb1\n";
	struct pogo_strv h = { 0 };
	char *cause = NULL;

	ASSERT_EQ(
	    parse_file(over, sizeof(over) - 1, &h, &cause), POGO_ERR_LIMIT);
	ASSERT_STR_EQ(cause, "a job has at most 1000000 hosts");
	ASSERT_EQ(h.n, 0);
	free(cause);
	/* Over the cap with an earlier list's hosts (repeated --targets). */
	ASSERT_OK(pogo_target_parse("x,a1", &h, &cause));
	ASSERT_EQ(
	    parse_file(over, sizeof(over) - 1, &h, &cause), POGO_ERR_LIMIT);
	free(cause);
	ASSERT_EQ(h.n, 2);
	ASSERT_STR_EQ(h.v[0], "x");
	ASSERT_STR_EQ(h.v[1], "a1");
	pogo_strv_clear(&h);
	ASSERT_OK(parse_file(repeats, sizeof(repeats) - 1, &h, &cause));
	ASSERT_EQ(h.n, 600001);
	ASSERT_STR_EQ(h.v[600000], "b1");
	pogo_strv_clear(&h);
}
