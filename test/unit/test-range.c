/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/range.c: every vector of SPEC 2.8 (C-GLOB), counting
 * before expanding, and refusals of huge patterns (targets, configuration
 * tags) that allocate almost nothing.
 */
#include "pogo/compat.h"

#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/error.h"
#include "pogo/range.h"
#include "pogo/sched-config.h"
#include "pogo/target.h"
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
	/*
	 * "!" pieces with more names than items: the items they would make
	 * go, written as the piece writes them, and later ones stay.
	 */
	{ "n[8],n[08],n[!08-10]", "n8" },
	{ "n[8],n[08],n[!8-10]", "n08" },
	{ "n[1],n[01],n[001],n[!1-100]", "n01 n001" },
	{ "n[10]x,n[10],n[!1-99]x", "n10" },
	{ "a[0]b,a[00]b,a[!0-99]b", "a00b" },
	{ "h[1-2],h[!0-5],h3", "h3" },
	{ "h[1-2],h[!0-5],h[3-4]", "h3 h4" },
	{ "h[1-2],h[!0-5]", NULL },
	{ "h[!0-999999999999999999]", NULL },
	/* The same with more items than names: the names are made. */
	{ "n[8],n[08],p[1-3],n[!08-10]", "n8 p1 p2 p3" },
	{ "n[8],n[08],p[1-3],n[!8-10]", "n08 p1 p2 p3" },
	{ "n[1],n[01],n[001],p[1-3],n[!1-3]", "n01 n001 p1 p2 p3" },
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

/*
 * Counting (SPEC 2.8 without making the names): the count equals the
 * expansion's size when nothing is removed, and bounds it otherwise.
 */
TEST(count_matches_expansion)
{
	struct pogo_strv out = { 0 };
	char *cause = NULL;
	uint64_t n;
	size_t i;

	for (i = 0; i < POGO_NELEM(range_vectors); i++) {
		if (range_vectors[i].out == NULL)
			continue;
		ASSERT_OK(
		    pogo_range_expand(range_vectors[i].in, 0, &out, &cause));
		ASSERT_OK(pogo_range_count(range_vectors[i].in, 0, &n));
		if (strchr(range_vectors[i].in, '!') == NULL &&
		    strchr(range_vectors[i].in, ' ') == NULL &&
		    strstr(range_vectors[i].in, "{a,}") == NULL && n != out.n)
			harness_fail(__FILE__, __LINE__,
			    "'%s': count %llu, expansion %zu",
			    range_vectors[i].in, (unsigned long long)n, out.n);
		ASSERT(n >= out.n);
		pogo_strv_clear(&out);
	}
	ASSERT_OK(pogo_range_count("h[1-3000]x[1-3000]", 0, &n));
	ASSERT_EQ(n, 9000000);
	ASSERT_OK(pogo_range_count("a{b,c[1-5],d{e,f}}[01-10],x", 0, &n));
	ASSERT_OK(
	    pogo_range_expand("a{b,c[1-5],d{e,f}}[01-10],x", 0, &out, &cause));
	ASSERT_EQ(n, out.n);
	pogo_strv_clear(&out);
	/*
	 * Digits put in place of "[1-3]" end up inside the body "[0-91]"
	 * once the first brace splits the pattern: each number counts apart.
	 */
	ASSERT_OK(
	    pogo_range_count("[01-12]{{[0-9,!3][01-12][!1]{a,b}[1-3]]", 0, &n));
	ASSERT_OK(pogo_range_expand(
	    "[01-12]{{[0-9,!3][01-12][!1]{a,b}[1-3]]", 0, &out, &cause));
	ASSERT(n >= out.n);
	ASSERT_EQ(out.n, 318);
	pogo_strv_clear(&out);
	/*
	 * An alternative put between "c{" and "}" makes a brace body of an
	 * empty one ("c{e}" against "c{}"): each alternative counts apart
	 * (fuzz-range: 6 counted, 7 made).
	 */
	ASSERT_OK(pogo_range_count("a{,b[1-2]c{,d}{,e}}", 0, &n));
	ASSERT_OK(pogo_range_expand("a{,b[1-2]c{,d}{,e}}", 0, &out, &cause));
	ASSERT_EQ(out.n, 7);
	ASSERT_EQ(n, out.n);
	pogo_strv_clear(&out);
}

TEST(count_refuses_over_the_limit)
{
	uint64_t n;
	char *pat;
	size_t i;

	ASSERT_EQ(pogo_range_count("h[1-3000]x[1-3000]", 1000000, &n),
	    POGO_ERR_LIMIT);
	ASSERT_EQ(pogo_range_count("h[1-99999999999]", 0, &n), POGO_ERR_LIMIT);
	ASSERT_OK(pogo_range_count("h[1-1000000]", 1000000, &n));
	ASSERT_EQ(n, 1000000);
	ASSERT_EQ(
	    pogo_range_count("h[1-1000001]", 1000000, &n), POGO_ERR_LIMIT);
	/* 1000^7 overflows nothing: the count saturates. */
	ASSERT_EQ(pogo_range_count("[1-1000][1-1000][1-1000][1-1000][1-1000]"
	                           "[1-1000][1-1000]",
	              0, &n),
	    POGO_ERR_LIMIT);
	/* 2^40 through alternatives. */
	pat = xcalloc(1, 40 * 5 + 1);
	for (i = 0; i < 40; i++)
		memcpy(pat + i * 5, "{a,b}", 5);
	ASSERT_EQ(pogo_range_count(pat, 0, &n), POGO_ERR_LIMIT);
	free(pat);
}

static const char *
refuse_big_target(void)
{
	static char msg[512];
	struct pogo_strv h = { 0 };
	char *cause = NULL;

	if (pogo_target_parse("h[1-3000]x[1-3000]", &h, &cause) == 0)
		return "the targets were accepted";
	snprintf(msg, sizeof(msg), "%s", cause != NULL ? cause : "");
	free(cause);
	if (h.n != 0)
		return "hosts were left in the list";
	if (strcmp(msg,
	        "invalid range pattern 'h[1-3000]x[1-3000]': a job "
	        "has at most 1000000 hosts") != 0)
		return msg;
	return NULL;
}

static const char *
refuse_big_expansion(void)
{
	struct pogo_strv h = { 0 };
	char *cause = NULL;
	int r;

	r = pogo_range_expand("h[1-3000]x[1-3000]", 1000000, &h, &cause);
	free(cause);
	return r == POGO_ERR_RANGE && h.n == 0 ? NULL : "not refused";
}

static const char *
refuse_big_config_tag(void)
{
	static char msg[512];
	const char *yaml = "tag: {t: [\"h[1-9999999]\"]}\n";
	struct pogo_sched_config *cfg = NULL;
	char *cause = NULL;

	if (pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause) == 0) {
		pogo_sched_config_free(cfg);
		return "the configuration was accepted";
	}
	snprintf(msg, sizeof(msg), "%s", cause != NULL ? cause : "");
	free(cause);
	if (strcmp(msg,
	        "line 1, column 11: invalid range pattern "
	        "'h[1-9999999]': more than 1000000 hosts in the "
	        "configuration") != 0)
		return msg;
	return NULL;
}

/*
 * A "!" piece far wider than the names made so far removes what it
 * matches without making its names: SPEC 2.8 accepts the pattern, and
 * the memory it takes is that of the names kept.
 */
static const char *
exclude_wide_range(void)
{
	struct pogo_strv h = { 0 };
	char *cause = NULL;
	const char *err = NULL;

	if (pogo_range_expand(
	        "h[1-3],h[!2-999999999999999999],h[09-11]", 0, &h, &cause) != 0)
		err = "refused";
	else if (h.n != 4 || strcmp(h.v[0], "h1") != 0 ||
	    strcmp(h.v[1], "h09") != 0 || strcmp(h.v[2], "h10") != 0 ||
	    strcmp(h.v[3], "h11") != 0)
		err = "wrong names";
	free(cause);
	pogo_strv_clear(&h);
	return err;
}

/*
 * Found by fuzz-range (a 64 MiB allocation): 1,444,441 names removed
 * from an empty list.  The result is empty, so the pattern is invalid.
 */
static const char *
exclude_from_nothing(void)
{
	static const char pat[] = "h[-,-< ,, \377\377\3771][!0-1444440]"
	                          "\221\221 h";
	struct pogo_strv h = { 0 };
	char *cause = NULL;
	int r;

	r = pogo_range_expand(pat, 10000, &h, &cause);
	free(cause);
	return r == POGO_ERR_RANGE && h.n == 0 ? NULL : "not refused";
}

/*
 * "!" pieces each narrower than the items held, but together far more
 * names than the item limit: past it, they look at the items too.
 */
static const char *
exclude_many_ranges(void)
{
	struct pogo_strv h = { 0 };
	char *cause = NULL, pat[16384];
	const char *err = NULL;
	size_t k, o;

	o = (size_t)snprintf(pat, sizeof(pat), "h[1-5000]");
	for (k = 1; k <= 300; k++)
		o += (size_t)snprintf(pat + o, sizeof(pat) - o, ",h[!%zu-%zu]",
		    k * 5000 + 1, k * 5000 + 4999);
	snprintf(pat + o, sizeof(pat) - o, ",h[!2-4999]");
	if (pogo_range_expand(pat, 10000, &h, &cause) != 0)
		err = "refused";
	else if (h.n != 2 || strcmp(h.v[0], "h1") != 0 ||
	    strcmp(h.v[1], "h5000") != 0)
		err = "wrong names";
	free(cause);
	pogo_strv_clear(&h);
	return err;
}

/*
 * Long names held, and "!" pieces each with one name more than them: the
 * pieces look at the names, and what that costs is the comparison, not
 * the names' length (review12 3: 270 such pieces over 1,000 names of
 * 1,004 bytes were refused for the byte budget).
 */
static const char *
exclude_beside_long_names(void)
{
	static char pat[8192];
	struct pogo_strv h = { 0 };
	char *cause = NULL;
	const char *err = NULL;
	size_t k, o;

	memset(pat, 'P', 1000);
	o = 1000 +
	    (size_t)snprintf(
	        pat + 1000, sizeof(pat) - 1000, "[1-1000],x[!1-1001");
	for (k = 1; k < 270; k++)
		o += (size_t)snprintf(pat + o, sizeof(pat) - o, ",!1-1001");
	snprintf(pat + o, sizeof(pat) - o, "]");
	if (pogo_range_expand(pat, 0, &h, &cause) != 0)
		err = "refused";
	else if (h.n != 1000 || strncmp(h.v[999], "PPP", 3) != 0 ||
	    strcmp(h.v[999] + 1000, "1000") != 0)
		err = "wrong names";
	free(cause);
	pogo_strv_clear(&h);
	return err;
}

static const struct {
	const char *name;
	const char *(*fn)(void);
} refusals[] = {
	{ "expansion", refuse_big_expansion },
	{ "targets", refuse_big_target },
	{ "config tag", refuse_big_config_tag },
	{ "wide exclusion", exclude_wide_range },
	{ "exclusion from nothing", exclude_from_nothing },
	{ "many exclusions", exclude_many_ranges },
	{ "exclusions beside long names", exclude_beside_long_names },
};

/* The process's peak resident memory (VmHWM, KiB; reset by exec). */
static long
peak_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return kb;
}

/*
 * In a copy of this program run by peak_growth_kb() (a fresh process, so
 * no freed memory to reuse), make one refusal and print how much the peak
 * resident memory grew, in KiB, and what went wrong, if anything.
 */
__attribute__((constructor)) static void
refusal_child(void)
{
	const char *which = getenv("POGO_TEST_REFUSAL"), *err = NULL;
	long kb0, kb1;
	size_t i;

	if (which == NULL)
		return;
	for (i = 0; i < POGO_NELEM(refusals); i++) {
		if (strcmp(which, refusals[i].name) != 0)
			continue;
		kb0 = peak_kb();
		err = refusals[i].fn();
		kb1 = peak_kb();
		printf("%ld %s\n", kb0 < 0 || kb1 < 0 ? -1 : kb1 - kb0,
		    err != NULL ? err : "");
		fflush(stdout);
		_exit(0);
	}
	_exit(1);
}

/* Peak memory growth of a refusal (KiB), measured in a fresh process. */
static long
peak_growth_kb(const char *name)
{
	char buf[600], *sp;
	int fd[2], st;
	ssize_t n;
	pid_t pid;

	ASSERT_OK(pipe(fd));
	if ((pid = fork()) == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		setenv("POGO_TEST_REFUSAL", name, 1);
		execl("/proc/self/exe", "test-range", (char *)NULL);
		_exit(127);
	}
	ASSERT(pid > 0);
	close(fd[1]);
	n = read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ASSERT(n > 0);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if ((sp = strchr(buf, ' ')) != NULL && sp[1] != '\0')
		harness_fail(__FILE__, __LINE__, "%s: %s", name, sp + 1);
	if (strtol(buf, NULL, 10) < 0)
		harness_fail(__FILE__, __LINE__, "no VmHWM in /proc");
	return strtol(buf, NULL, 10);
}

/*
 * Refusals are decided by counting, and "!" pieces wider than what they
 * can remove make no names: each allocates a few MB at most.
 */
TEST(refusals_allocate_little)
{
	size_t i;
	long kb;

	for (i = 0; i < POGO_NELEM(refusals); i++) {
		kb = peak_growth_kb(refusals[i].name);
		if (kb > 8 * 1024)
			harness_fail(__FILE__, __LINE__,
			    "%s: the peak grew by %ld KiB", refusals[i].name,
			    kb);
	}
}
