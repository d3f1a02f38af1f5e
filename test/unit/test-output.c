/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/output.c: the output records of SPEC 5.8. */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/output.h"
#include "pogo/xmalloc.h"

struct recs {
	char text[16384];
	size_t len;
	int n;
};

static void
rec_cb(
    enum pogo_out_type type, const char *data, size_t len, bool eol, void *arg)
{
	struct recs *r = arg;

	r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len,
	    "[%s%.*s%s]", type == POGO_OUT_STDERR ? "E:" : "", (int)len, data,
	    eol ? "" : "~");
	r->n++;
}

static const char *
run(const char *in, bool pty, size_t chunk)
{
	static struct recs r;
	struct pogo_output o;
	size_t i, len = strlen(in), n;

	memset(&r, 0, sizeof(r));
	pogo_output_init(&o, POGO_OUT_STDOUT, pty, rec_cb, &r);
	for (i = 0; i < len; i += n) {
		n = len - i < chunk ? len - i : chunk;
		pogo_output_feed(&o, in + i, n);
	}
	pogo_output_flush(&o);
	return r.text;
}

TEST(lines_and_partial)
{
	ASSERT_STR_EQ(run("foo\nbar\n", false, 100), "[foo][bar]");
	ASSERT_STR_EQ(run("foo\nbar", false, 1), "[foo][bar~]");
	ASSERT_STR_EQ(run("\n\n", false, 3), "[][]");
	ASSERT_STR_EQ(run("", false, 3), "");
}

TEST(pty_crlf)
{
	ASSERT_STR_EQ(run("a\r\nb\r\n", true, 1), "[a][b]");
	ASSERT_STR_EQ(run("a\rb\r\n", true, 100), "[a\rb]");
	ASSERT_STR_EQ(run("a\r\n", false, 100), "[a\r]");
}

TEST(long_lines_are_cut_at_4096)
{
	char *in = xmalloc(10000);
	struct recs r;
	struct pogo_output o;

	memset(in, 'x', 9000);
	in[9000] = '\n';
	memset(&r, 0, sizeof(r));
	pogo_output_init(&o, POGO_OUT_STDERR, false, rec_cb, &r);
	pogo_output_feed(&o, in, 9001);
	ASSERT_EQ(r.n, 3); /* 4096 + 4096 + 808 */
	free(in);
}

TEST(invalid_utf8_is_replaced)
{
	ASSERT_STR_EQ(run("a\xff"
	                  "b\n",
	                  false, 100),
	    "[a\xef\xbf\xbd"
	    "b]");
	/* A valid sequence split across reads is kept. */
	ASSERT_STR_EQ(run("\xc3\xa9\n", false, 1), "[\xc3\xa9]");
	ASSERT_STR_EQ(run("\xe2\x82\xac!\n", false, 1), "[\xe2\x82\xac!]");
	/* A cut sequence, an overlong one, a surrogate. */
	ASSERT_STR_EQ(run("\xc3"
	                  "a\n",
	                  false, 100),
	    "[\xef\xbf\xbd"
	    "a]");
	ASSERT_STR_EQ(run("\xe0\x80\x80\n", false, 100), "[\xef\xbf\xbd]");
	ASSERT_STR_EQ(run("\xed\xa0\x80\n", false, 100), "[\xef\xbf\xbd]");
	ASSERT_STR_EQ(run("\xc3", false, 100), "[\xef\xbf\xbd~]");
}

static void
nul_cb(
    enum pogo_out_type type, const char *data, size_t len, bool eol, void *arg)
{
	struct recs *r = arg;

	memcpy(r->text + r->len, data, len);
	r->len += len;
	r->text[r->len++] = '|';
	r->n++;
}

TEST(nul_bytes_are_kept)
{
	struct recs r;
	struct pogo_output o;

	memset(&r, 0, sizeof(r));
	pogo_output_init(&o, POGO_OUT_STDOUT, false, nul_cb, &r);
	pogo_output_feed(&o, "a\0b\n\0\n", 6);
	pogo_output_flush(&o);
	ASSERT_EQ(r.n, 2);
	ASSERT_EQ(r.len, 6);
	ASSERT(memcmp(r.text, "a\0b|\0|", 6) == 0);
}
