/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/range.c: every vector of SPEC 2.8 (C-GLOB). */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/range.h"
#include "pogo/xmalloc.h"

static const struct {
	const char *in;
	const char *out; /* space-separated, NULL for an error */
} range_vectors[] = {
	{ "host[1-3]", "host1 host2 host3" },
	{ "host{7,8}", "host7 host8" },
	{ "h[1,3-4]", "h1 h3 h4" },
	{ "h[1-5,!3]", "h1 h2 h4 h5" },
	{ "a{b,c}[1-2]", "ab1 ac1 ab2 ac2" },
	{ "x[1-2]{a,b}", "x1a x2a x1b x2b" },
	{ "h[1-2]-[3-4]", "h1-3 h2-3 h1-4 h2-4" },
	{ "a,b", "a b" },
	{ "h[1-3],x", "h1 h2 h3 x" },
	{ "x,h[1-2]", "x h1 x h2" },
	{ "host[8-11].x", "host8.x host9.x host10.x host11.x" },
	{ "n[08-10]", "n08 n09 n10" },
	{ "n[8-10]", "n8 n9 n10" },
	{ "h[01-3]", "h1 h2 h3" },
	{ "h[1-3,!2],h2", "h1 h3 h2" },
	{ "h[1-2],h[!1]", "h2" },
	{ "h[3-1]", NULL },
	{ "h[!2]", NULL },
	{ "h[a]", NULL },
	/* More cases: blanks, empties, single items, padding. */
	{ " a , b ", "a b" },
	{ "host1", "host1" },
	{ "h[05]", "h05" },
	{ "h[5]", "h5" },
	{ "", NULL },
	{ ",", NULL },
	{ "h[]", "h[]" },
	{ "h[1-2", "h[1-2" },
	{ "h{a,}", "ha h" },
	{ "h[1-x]", NULL },
	{ "h[-1]", NULL },
	{ "h[1--2]", NULL },
	{ "h[1-2],h[!1-2]", NULL },
	{ "web[1-2].{a,b}.com", "web1.a.com web2.a.com web1.b.com web2.b.com" },
	{ "h[9-11]", "h9 h10 h11" },
	{ "h[099-101]", "h099 h100 h101" },
};

/* Expand in and compare with the space-separated expectation. */
static void
range_check(const char *in, const char *expect)
{
	struct pogo_strv out = { 0 };
	char *cause = NULL, got[4096];
	size_t i, o = 0;
	int r;

	r = pogo_range_expand(in, 0, &out, &cause);
	if (expect == NULL) {
		if (r == 0)
			harness_fail(__FILE__, __LINE__,
			    "'%s' expanded, expected an error", in);
		ASSERT_EQ(r, POGO_ERR_RANGE);
		ASSERT_EQ(out.n, 0);
		ASSERT(cause != NULL);
		ASSERT(strstr(cause, "invalid range pattern '") == cause);
		free(cause);
		return;
	}
	if (r != 0)
		harness_fail(__FILE__, __LINE__, "'%s': %s", in,
		    cause != NULL ? cause : "?");
	got[0] = '\0';
	for (i = 0; i < out.n; i++)
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s",
		    i > 0 ? " " : "", out.v[i]);
	if (strcmp(got, expect) != 0)
		harness_fail(__FILE__, __LINE__,
		    "'%s':\n  got:    %s\n  expect: %s", in, got, expect);
	pogo_strv_clear(&out);
}

TEST(c_glob_vectors)
{
	size_t i;

	for (i = 0; i < POGO_NELEM(range_vectors); i++)
		range_check(range_vectors[i].in, range_vectors[i].out);
}

TEST(error_message_names_pattern)
{
	struct pogo_strv out = { 0 };
	char *cause = NULL;

	ASSERT_EQ(pogo_range_expand("h[a]", 0, &out, &cause), POGO_ERR_RANGE);
	ASSERT_STR_EQ(cause, "invalid range pattern 'h[a]'");
	free(cause);
}

TEST(absurd_sizes_are_refused)
{
	struct pogo_strv out = { 0 };
	char *cause = NULL;

	/* Far above the 10,000,000 limit: refused before any allocation. */
	ASSERT_EQ(pogo_range_expand("h[1-99999999999]", 0, &out, &cause),
	    POGO_ERR_RANGE);
	free(cause);
	ASSERT_EQ(pogo_range_expand("h[1-10000001]", 0, &out, &cause),
	    POGO_ERR_RANGE);
	free(cause);
	/* Products of braces and brackets hit the limit too. */
	ASSERT_EQ(
	    pogo_range_expand("h[1-5000]{a,b,c}[1-5000]", 0, &out, &cause),
	    POGO_ERR_RANGE);
	free(cause);
	ASSERT_EQ(out.n, 0);
	/* A caller-given limit. */
	ASSERT_EQ(
	    pogo_range_expand("h[1-11]", 10, &out, &cause), POGO_ERR_RANGE);
	free(cause);
	ASSERT_OK(pogo_range_expand("h[1-10]", 10, &out, &cause));
	ASSERT_EQ(out.n, 10);
	pogo_strv_clear(&out);
}

TEST(large_exclusions_stay_linear)
{
	struct pogo_strv out = { 0 };
	char *cause = NULL;

	ASSERT_OK(pogo_range_expand("h[1-200000,!1-199990]", 0, &out, &cause));
	ASSERT_EQ(out.n, 10);
	ASSERT_STR_EQ(out.v[0], "h199991");
	ASSERT_STR_EQ(out.v[9], "h200000");
	pogo_strv_clear(&out);
}

TEST(appends_to_existing_list)
{
	struct pogo_strv out = { 0 };
	char *cause = NULL;

	pogo_strv_push(&out, "keep");
	ASSERT_OK(pogo_range_expand("a,b", 0, &out, &cause));
	ASSERT_EQ(out.n, 3);
	ASSERT_EQ(pogo_range_expand("h[a]", 0, &out, &cause), POGO_ERR_RANGE);
	free(cause);
	ASSERT_EQ(out.n, 3);
	ASSERT_STR_EQ(out.v[0], "keep");
	pogo_strv_clear(&out);
}

TEST(byte_budget)
{
	struct pogo_strv out = { 0 };
	char *cause = NULL, *pat;
	char name[2001];

	/* 9,000,000 names of 2,000 bytes: far past the byte budget. */
	memset(name, 'n', 2000);
	name[2000] = '\0';
	xasprintf(&pat, "%s[1-9000000]", name);
	ASSERT_EQ(pogo_range_expand(pat, 0, &out, &cause), POGO_ERR_RANGE);
	ASSERT_EQ(out.n, 0);
	free(cause);
	free(pat);
}
