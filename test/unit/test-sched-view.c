/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/sched-view.c: the schedule of a stored job as data
 * (GET /v1/jobs/:jobid/schedule): threads and slots as pogo schedule
 * prints them, each slot's progress, groups with their holders, bounds;
 * external references answered as stored.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/error.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/sched-view.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/* Host states by their SPEC names, for readable cases. */
static uint8_t
state_of(const char *name)
{
	int s;

	for (s = 0; s < POGO_HOST_NSTATES; s++)
		if (strcmp(pogo_host_state_name(s), name) == 0)
			return (uint8_t)s;
	harness_fail(__FILE__, __LINE__, "no host state %s", name);
}

/*
 * The view of a job on "host=state ..." as one JSON line (a new string),
 * or NULL with *rp and *causep set.
 */
static char *
view(const char *config, const char *concurrent, const char *spec, bool active,
    uint32_t max, int *rp, char **causep)
{
	struct pogo_strv hosts = { 0 };
	uint8_t *states = xcalloc(strlen(spec) + 1, 1);
	char *copy = xstrdup(spec), *w, *save = NULL, *eq, *cause = NULL, *s;
	struct pogo_json *o = pogo_json_new_object();
	size_t len;
	int r;

	for (w = strtok_r(copy, " ", &save); w != NULL;
	     w = strtok_r(NULL, " ", &save)) {
		eq = strchr(w, '=');
		ASSERT(eq != NULL);
		*eq = '\0';
		states[hosts.n] = state_of(eq + 1);
		pogo_strv_push(&hosts, w);
	}
	r = pogo_sched_view(
	    config, concurrent, &hosts, states, active, max, true, o, &cause);
	if (rp != NULL)
		*rp = r;
	if (causep != NULL)
		*causep = cause;
	else
		free(cause);
	s = pogo_json_print_line(o, &len);
	free(copy);
	free(states);
	pogo_strv_clear(&hosts);
	if (r != 0) {
		/* o unchanged: still the empty object. */
		ASSERT_STR_EQ(s, "{}\n");
		free(s);
		return NULL;
	}
	return s;
}

/* The member key of the printed object s, printed. */
static char *
member(const char *s, const char *key)
{
	struct pogo_json *doc;
	size_t len;
	char *v;

	ASSERT_OK(pogo_json_parse_object(s, strlen(s), &doc));
	v = pogo_json_print_value(pogo_json_get(doc, key), &len);
	pogo_json_free(doc);
	v[strcspn(v, "\n")] = '\0';
	return v;
}

static const char TRIPLE[] =
    "tag:\n  colo:\n    one: [host1, host2, host3]\n"
    "    two: [host4, host5, host6]\n    three: [host7, host8, host9]\n"
    "sequence:\n  foo:\n    - $colo.one\n    - $colo.two\n"
    "  bar:\n    - $colo.three\n";

/* SPEC 4.3's example, mid-run: slot 1 of foo running, bar's slot done. */
TEST(triple_threads_slots_and_progress)
{
	char *s, *v, *expect;

	s = view(TRIPLE, NULL,
	    "host1=failed host2=running host3=finished host4=waiting "
	    "host5=waiting host6=waiting host7=finished host8=skipped "
	    "host9=finished",
	    true, 100, NULL, NULL);
	ASSERT(s != NULL);
	v = member(s, "threads");
	ASSERT_STR_EQ(v,
	    "[{\"name\":\"thread-000000000\",\"active_slot\":0,\"slots\":["
	    "{\"name\":\"foo.$colo.one\",\"count\":3,\"summary\":"
	    "{\"running\":1,\"finished\":1,\"failed\":1},"
	    "\"hosts\":[\"host3\",\"host2\",\"host1\"]},"
	    "{\"name\":\"foo.$colo.two\",\"count\":3,\"summary\":"
	    "{\"waiting\":3},\"hosts\":[\"host6\",\"host5\",\"host4\"]}]},"
	    "{\"name\":\"thread-000000001\",\"active_slot\":null,\"slots\":["
	    "{\"name\":\"bar.$colo.three\",\"count\":3,\"summary\":"
	    "{\"finished\":2,\"skipped\":1},"
	    "\"hosts\":[\"host9\",\"host8\",\"host7\"]}]},"
	    "{\"name\":\"unconstrained\",\"active_slot\":null,\"slots\":["
	    "{\"name\":\"unconstrained\",\"count\":0,\"summary\":{},"
	    "\"hosts\":[]}]}]");
	free(v);
	/* The table is pogo schedule's, byte for byte (SPEC 4.3, P-1). */
	v = member(s, "table");
	expect = harness_data("sched/p01-triple.expected", NULL);
	{
		struct pogo_json *doc;
		char *t;

		ASSERT_OK(pogo_json_parse_object(s, strlen(s), &doc));
		t = pogo_json_string(pogo_json_get(doc, "table"), NULL);
		ASSERT_STR_EQ(t, expect);
		free(t);
		pogo_json_free(doc);
	}
	free(expect);
	free(v);
	v = member(s, "groups");
	ASSERT_STR_EQ(v, "[]");
	free(v);
	free(s);
}

/* When every host of slot 1 is final, slot 2 is the active one. */
TEST(active_slot_moves_on_when_the_slot_is_final)
{
	char *s, *v;

	s = view(TRIPLE, NULL,
	    "host1=failed host2=finished host3=skipped host4=running "
	    "host5=waiting host6=waiting host7=waiting host8=waiting "
	    "host9=waiting",
	    true, 100, NULL, NULL);
	ASSERT(s != NULL);
	v = member(s, "threads");
	ASSERT(strstr(v, "{\"name\":\"thread-000000000\",\"active_slot\":1,") !=
	    NULL);
	ASSERT(strstr(v, "{\"name\":\"thread-000000001\",\"active_slot\":0,") !=
	    NULL);
	free(v);
	free(s);
}

static const char LIMIT2[] = "tag: {all: [h1, h2, h3, h4]}\n"
                             "constraint: {$all: {max_parallel: 2}}\n";

/*
 * Running and failed hosts hold units (SPEC 3.4), waiting ones do not;
 * holders in schedule order (the unconstrained slot: h4, h3, h2, h1).
 */
TEST(groups_limit_used_holders)
{
	char *s, *v;

	s = view(LIMIT2, NULL, "h1=running h2=failed h3=waiting h4=finished",
	    true, 100, NULL, NULL);
	ASSERT(s != NULL);
	v = member(s, "groups");
	ASSERT_STR_EQ(v,
	    "[{\"name\":\"$all\",\"limit\":2,\"count\":4,\"used\":2,"
	    "\"holders\":[\"h2\",\"h1\"]}]");
	free(v);
	free(s);
	/* An ended job released its units, but for hosts in flight. */
	s = view(LIMIT2, NULL, "h1=running h2=failed h3=halted h4=finished",
	    false, 100, NULL, NULL);
	ASSERT(s != NULL);
	v = member(s, "groups");
	ASSERT_STR_EQ(v,
	    "[{\"name\":\"$all\",\"limit\":2,\"count\":4,\"used\":1,"
	    "\"holders\":[\"h1\"]}]");
	free(v);
	free(s);
}

/* A job with concurrent: one job-local group (SPEC 3.2). */
TEST(concurrent_group)
{
	char *s, *v;

	s = view(
	    NULL, "1", "a=finished b=running c=waiting", true, 100, NULL, NULL);
	ASSERT(s != NULL);
	v = member(s, "groups");
	ASSERT_STR_EQ(v,
	    "[{\"name\":\"$concurrent\",\"limit\":1,\"count\":3,\"used\":1,"
	    "\"holders\":[\"b\"]}]");
	free(v);
	v = member(s, "threads");
	ASSERT_STR_EQ(v,
	    "[{\"name\":\"unconstrained\",\"active_slot\":0,\"slots\":["
	    "{\"name\":\"unconstrained\",\"count\":3,\"summary\":"
	    "{\"waiting\":1,\"running\":1,\"finished\":1},"
	    "\"hosts\":[\"a\",\"b\",\"c\"]}]}]");
	free(v);
	free(s);
}

/* max bounds the names listed, never the counts. */
TEST(max_bounds_the_lists)
{
	char *s, *v;

	s = view(LIMIT2, NULL, "h1=running h2=failed h3=waiting h4=finished",
	    true, 1, NULL, NULL);
	ASSERT(s != NULL);
	v = member(s, "groups");
	ASSERT_STR_EQ(v,
	    "[{\"name\":\"$all\",\"limit\":2,\"count\":4,\"used\":2,"
	    "\"holders\":[\"h2\"]}]");
	free(v);
	v = member(s, "threads");
	ASSERT(strstr(v, "\"count\":4,") != NULL);
	ASSERT(strstr(v, "\"hosts\":[\"h4\"]}") != NULL);
	free(v);
	free(s);
}

/* Above POGO_SCHED_VIEW_TABLE_MAX hosts, no table. */
TEST(no_table_for_a_huge_job)
{
	struct pogo_strv hosts = { 0 };
	struct pogo_json *o = pogo_json_new_object();
	uint8_t *states;
	char name[32], *cause = NULL, *s, *v;
	size_t i, len, n = POGO_SCHED_VIEW_TABLE_MAX + 1;

	states = xcalloc(n, 1);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		pogo_strv_push(&hosts, name);
	}
	ASSERT_OK(pogo_sched_view(
	    NULL, NULL, &hosts, states, true, 2, true, o, &cause));
	s = pogo_json_print_line(o, &len);
	v = member(s, "table");
	ASSERT_STR_EQ(v, "null");
	free(v);
	v = member(s, "threads");
	ASSERT(strstr(v,
	           "\"count\":10001,\"summary\":{\"waiting\":10001},"
	           "\"hosts\":[\"n0\",\"n1\"]}") != NULL);
	free(v);
	free(s);
	free(states);
	pogo_strv_clear(&hosts);
}

/*
 * The view of n1..n10000 in 20 sequence slots of 500 (the web UI's
 * 10,000-host case), all waiting, as one JSON line of *lenp bytes.
 */
static char *
view_big(uint32_t max, size_t *lenp)
{
	struct pogo_strv hosts = { 0 };
	struct pogo_json *o = pogo_json_new_object();
	char *cfg = xstrdup("tag:\n  colo:\n"), *seq = xstrdup("sequence:\n");
	char *cause = NULL, *s, *t, name[32];
	uint8_t *states;
	size_t i;

	for (i = 1; i <= 20; i++) {
		t = cfg;
		xasprintf(&cfg, "%s    c%zu: \"n[%zu-%zu]\"\n", t, i,
		    (i - 1) * 500 + 1, i * 500);
		free(t);
		t = seq;
		xasprintf(&seq, "%s  - $colo.c%zu\n", t, i);
		free(t);
	}
	t = cfg;
	xasprintf(&cfg, "%s%s", t, seq);
	free(t);
	states = xcalloc(10000, 1);
	for (i = 1; i <= 10000; i++) {
		snprintf(name, sizeof(name), "n%zu", i);
		pogo_strv_push(&hosts, name);
	}
	ASSERT_OK(pogo_sched_view(
	    cfg, NULL, &hosts, states, true, max, true, o, &cause));
	s = pogo_json_print_line(o, lenp);
	pogo_strv_clear(&hosts);
	free(states);
	free(seq);
	free(cfg);
	return s;
}

/* The host names in a table's cells ("n" and digits), counted. */
static size_t
table_hosts(const char *table)
{
	size_t n = 0, l;
	const char *p = table;

	while (*p != '\0') {
		l = strcspn(p, " |,\n");
		if (l > 1 && p[0] == 'n' &&
		    strspn(p + 1, "0123456789") == l - 1)
			n++;
		p += l > 0 ? l : 1;
	}
	return n;
}

/* How many times needle occurs in s. */
static size_t
occurrences(const char *s, const char *needle)
{
	size_t n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/*
 * max bounds the table's cells as it does the lists: a slot of more than
 * max hosts shows its first max and "... N more".  The web UI's answer
 * for a 10,000-host job (max=50) was 159 KB, mostly the table.
 */
TEST(max_bounds_the_table)
{
	const struct pogo_json *sl, *h;
	struct pogo_json *doc;
	char *s, *table, *name;
	size_t len, k, i;

	s = view_big(50, &len);
	ASSERT_OK(pogo_json_parse_object(s, strlen(s), &doc));
	table = pogo_json_string(pogo_json_get(doc, "table"), NULL);
	ASSERT(table != NULL);
	ASSERT_EQ(table_hosts(table), 20 * 50);
	ASSERT_EQ(occurrences(table, "... 450 more"), 20);
	/* The hosts shown are those the slots list, in the same order. */
	sl = pogo_json_first(pogo_json_get(
	    pogo_json_first(pogo_json_get(doc, "threads")), "slots"));
	for (k = 0; sl != NULL; sl = pogo_json_next(sl), k++) {
		i = 0;
		for (h = pogo_json_first(pogo_json_get(sl, "hosts")); h != NULL;
		     h = pogo_json_next(h), i++) {
			name = pogo_json_string(h, NULL);
			ASSERT(strstr(table, name) != NULL);
			free(name);
		}
		ASSERT_EQ(i, 50);
	}
	ASSERT_EQ(k, 20);
	printf("# max=50: %zu bytes\n", len);
	ASSERT(len < 40000);
	free(table);
	pogo_json_free(doc);
	free(s);

	/* max of a slot's size or more: the whole table, as before. */
	s = view_big(500, &len);
	ASSERT_OK(pogo_json_parse_object(s, strlen(s), &doc));
	table = pogo_json_string(pogo_json_get(doc, "table"), NULL);
	ASSERT_EQ(table_hosts(table), 10000);
	ASSERT_NULL(strstr(table, "more"));
	free(table);
	pogo_json_free(doc);
	free(s);
}

/* A configuration that does not build, or has resolver references. */
TEST(errors)
{
	char *cause = NULL;
	int r = 0;

	ASSERT_NULL(view("tag: [", NULL, "a=waiting", true, 10, &r, &cause));
	ASSERT_EQ(r, POGO_ERR_CONFIG);
	ASSERT(cause != NULL);
	free(cause);
	cause = NULL;
	ASSERT_NULL(view("sequence: [\"myres arg\"]\n", NULL, "a=waiting", true,
	    10, &r, &cause));
	ASSERT_EQ(r, POGO_ERR_CONFIG);
	ASSERT(cause != NULL);
	free(cause);
	cause = NULL;
	ASSERT_NULL(view(NULL, "x", "a=waiting", true, 10, &r, &cause));
	ASSERT_EQ(r, POGO_ERR_CONFIG);
	ASSERT(cause != NULL);
	free(cause);
}

/*
 * Issue 9: a configuration with an external reference is viewed with
 * the answer stored at submission (its group of the resolved hosts);
 * without it, or with one of another reference, it is refused.
 */
TEST(external_reference_answered_from_the_store)
{
	static const char config[] = "tag:\n"
	                             "constraint:\n"
	                             "  Grp one:\n"
	                             "    max_parallel: 1\n";
	struct pogo_sched_view_ref ref = { .idx = 0, .ref = (char *)"Grp one" };
	struct pogo_strv hosts = { 0 };
	uint8_t states[3] = { POGO_HOST_RUNNING, POGO_HOST_WAITING,
		POGO_HOST_WAITING };
	struct pogo_json *o;
	char *cause = NULL, *s;
	size_t len;

	pogo_strv_push(&ref.hosts, "a");
	pogo_strv_push(&ref.hosts, "b");
	pogo_strv_push(&hosts, "a");
	pogo_strv_push(&hosts, "b");
	pogo_strv_push(&hosts, "c");
	o = pogo_json_new_object();
	ASSERT_OK(pogo_sched_view_refs(
	    config, &ref, 1, NULL, &hosts, states, true, 10, false, o, &cause));
	s = pogo_json_print_line(o, &len);
	ASSERT(strstr(s,
	           "\"groups\":[{\"name\":\"Grp one\",\"limit\":1,"
	           "\"count\":2,\"used\":1,\"holders\":[\"a\"]}]") != NULL);
	free(s); /* o went with its printing */

	o = pogo_json_new_object();
	ASSERT_EQ(pogo_sched_view_refs(config, NULL, 0, NULL, &hosts, states,
	              true, 10, false, o, &cause),
	    POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, "the answers of its resolvers were not stored");
	free(cause);
	cause = NULL;
	ref.ref = (char *)"Grp two";
	ASSERT_EQ(pogo_sched_view_refs(config, &ref, 1, NULL, &hosts, states,
	              true, 10, false, o, &cause),
	    POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "the stored answers of its resolvers do not match its "
	    "configuration");
	free(cause);
	pogo_json_free(o);
	pogo_strv_clear(&ref.hosts);
	pogo_strv_clear(&hosts);
}
