/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/sched-config.c: the C- tests of SPEC 13.5 and every
 * configuration error of SPEC 2.11.
 */
#include "pogo/compat.h"

#include "sched-sim.h"

static struct pogo_sched_config *
cfg_ok(const char *yaml)
{
	struct pogo_sched_config *cfg = NULL;
	char *cause = NULL;

	if (pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause) != 0 ||
	    pogo_sched_config_build(cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "config: %s", cause);
	return cfg;
}

/* Members of tag as "a b c". */
static const char *
members(struct pogo_sched_config *cfg, const char *tag)
{
	static char buf[1024];
	const uint32_t *v;
	size_t n, i, o = 0;

	buf[0] = '\0';
	v = pogo_sched_config_tag_members(cfg, tag, &n);
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? " " : "",
		    pogo_strtab_get(pogo_sched_config_hosts(cfg), v[i]));
	return buf;
}

/* The parse (or build) error of yaml. */
static void
cfg_err(const char *yaml, const char *expect)
{
	struct pogo_sched_config *cfg = NULL;
	char *cause = NULL;
	int r;

	r = pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause);
	if (r == 0) {
		r = pogo_sched_config_build(cfg, &cause);
		pogo_sched_config_free(cfg);
	}
	if (r == 0)
		harness_fail(__FILE__, __LINE__, "'%s' is valid", yaml);
	ASSERT_EQ(r, POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, expect);
	free(cause);
}

TEST(C_031_parents_and_resolver)
{
	struct pogo_sched_config *cfg =
	    cfg_ok("tag: {colo.usa: [host1], colo.mexico: [host2]}\n");
	struct pogo_strv res = { 0 };
	char *cause = NULL;

	ASSERT_STR_EQ(members(cfg, "colo"), "host1 host2");
	ASSERT_STR_EQ(members(cfg, "colo.mexico"), "host2");
	pogo_sched_config_free(cfg);

	ASSERT_OK(pogo_sched_config_parse(
	    "tag:\nsequence: [\"Example bonk schtonk\"]\n", 39, &cfg, &cause));
	ASSERT_EQ(pogo_sched_config_nrefs(cfg), 1);
	ASSERT_STR_EQ(pogo_sched_config_ref(cfg, 0), "Example bonk schtonk");
	pogo_strv_push(&res, "foo");
	pogo_strv_push(&res, "bar");
	pogo_sched_config_set_ref(cfg, 0, &res);
	ASSERT_OK(pogo_sched_config_build(cfg, &cause));
	{
		size_t n;
		const uint32_t *v = pogo_sched_config_slot_hosts(cfg, 0, 0, &n);
		const struct pogo_strtab *st = pogo_sched_config_hosts(cfg);

		ASSERT_EQ(n, 2);
		ASSERT_STR_EQ(pogo_strtab_get(st, v[0]), "foo");
		ASSERT_STR_EQ(pogo_strtab_get(st, v[1]), "bar");
	}
	pogo_strv_clear(&res);
	pogo_sched_config_free(cfg);
}

TEST(C_032_resolver_slot)
{
	struct sim m;
	struct pogo_strv res = { 0 }, hosts = { 0 };
	struct pogo_sched_config *cfg = NULL;
	static const struct pogo_sched_cbs cbs = { 0 };
	char *cause = NULL;
	const char *yaml = "tag:\nsequence: [Example x]\n";

	ASSERT_OK(pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause));
	pogo_strv_push(&res, "bar");
	pogo_sched_config_set_ref(cfg, 0, &res);
	ASSERT_OK(pogo_sched_config_build(cfg, &cause));
	pogo_strv_push(&hosts, "bar");
	pogo_strv_push(&hosts, "baz");
	memset(&m, 0, sizeof(m));
	ASSERT_OK(
	    pogo_sched_new(cfg, &hosts, NULL, NULL, &cbs, NULL, &m.s, &cause));
	ASSERT_STR_EQ(pogo_sched_slot_name(m.s, 0, 0), "Example x");
	ASSERT_EQ(
	    pogo_sched_task_thread(m.s, pogo_sched_find_task(m.s, "bar")), 0);
	ASSERT_EQ(
	    pogo_sched_task_thread(m.s, pogo_sched_find_task(m.s, "baz")), 1);
	pogo_sched_free(m.s);
	pogo_sched_config_free(cfg);
	pogo_strv_clear(&res);
	pogo_strv_clear(&hosts);
}

TEST(C_010_resolver_failure_message)
{
	struct pogo_sched_config *cfg = NULL;
	char *cause = NULL;
	const char *yaml = "tag:\nsequence: [Example x]\n";

	ASSERT_OK(pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause));
	pogo_sched_config_fail_ref(cfg, 0, "exit status 1");
	ASSERT_EQ(pogo_sched_config_build(cfg, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "line 2, column 12: resolver 'Example' failed: exit status 1");
	free(cause);
	pogo_sched_config_free(cfg);
}

TEST(resolver_names)
{
	char name[64];

	ASSERT_OK(pogo_sched_config_ref_name("Ex_1.a-b x", name, sizeof(name)));
	ASSERT_STR_EQ(name, "Ex_1.a-b");
	ASSERT_EQ(pogo_sched_config_ref_name("../x y", name, sizeof(name)),
	    POGO_ERR_CONFIG);
	ASSERT_EQ(pogo_sched_config_ref_name("a/b y", name, sizeof(name)),
	    POGO_ERR_CONFIG);
	ASSERT_EQ(pogo_sched_config_ref_name("-x y", name, sizeof(name)),
	    POGO_ERR_CONFIG);
	cfg_err("tag:\nsequence: [\"a/b c\"]\n",
	    "line 2, column 12: resolver 'a/b c' failed: invalid resolver "
	    "name");
}

/* At most POGO_SCHED_CONFIG_MAX_REFS distinct external references. */
static char *
many_refs(unsigned n, bool again)
{
	char *y = NULL, *t;
	unsigned i;

	xasprintf(&y, "tag:\nsequence: [");
	for (i = 0; i < n; i++) {
		xasprintf(&t, "%s%s\"R r%u\"", y, i ? ", " : "", again ? 0 : i);
		free(y);
		y = t;
	}
	xasprintf(&t, "%s]\n", y);
	free(y);
	return t;
}

TEST(external_references_bounded)
{
	struct pogo_sched_config *cfg = NULL;
	char *y, *cause = NULL;

	y = many_refs(POGO_SCHED_CONFIG_MAX_REFS, false);
	ASSERT_OK(pogo_sched_config_parse(y, strlen(y), &cfg, &cause));
	ASSERT_EQ(pogo_sched_config_nrefs(cfg), POGO_SCHED_CONFIG_MAX_REFS);
	pogo_sched_config_free(cfg);
	free(y);
	/* The same reference many times is one. */
	y = many_refs(POGO_SCHED_CONFIG_MAX_REFS + 10, true);
	ASSERT_OK(pogo_sched_config_parse(y, strlen(y), &cfg, &cause));
	ASSERT_EQ(pogo_sched_config_nrefs(cfg), 1);
	pogo_sched_config_free(cfg);
	free(y);
	y = many_refs(POGO_SCHED_CONFIG_MAX_REFS + 1, false);
	ASSERT_EQ(pogo_sched_config_parse(y, strlen(y), &cfg, &cause),
	    POGO_ERR_CONFIG);
	ASSERT(strstr(cause, "more than 1024 external references") != NULL);
	free(cause);
	free(y);
}

TEST(C_GLOB_in_tags)
{
	struct pogo_sched_config *cfg =
	    cfg_ok("tag: {t: [\"h[1-3]\", x], s: \"n[08-10]\"}\n");

	/* Lists are walked last to first; each expansion keeps its order. */
	ASSERT_STR_EQ(members(cfg, "t"), "x h3 h2 h1");
	ASSERT_STR_EQ(members(cfg, "s"), "n10 n09 n08");
	pogo_sched_config_free(cfg);
}

TEST(C_ORDER_member_order)
{
	struct pogo_sched_config *cfg;

	cfg = cfg_ok("tag: {a.b.c: [x], a.d: [y], a.b.e: [z]}\n");
	ASSERT_STR_EQ(members(cfg, "a"), "x y z");
	ASSERT_STR_EQ(members(cfg, "a.b"), "x z");
	pogo_sched_config_free(cfg);
	cfg = cfg_ok("tag: {a: {b: [p], x: [q], b.c: [z]}}\n");
	ASSERT_STR_EQ(members(cfg, "a"), "p z q");
	pogo_sched_config_free(cfg);
	cfg = cfg_ok("tag: {colo: {one: [host1, host2], two: [host3]}}\n");
	ASSERT_STR_EQ(members(cfg, "colo"), "host2 host1 host3");
	pogo_sched_config_free(cfg);
}

TEST(C_SCALAR_literal_text)
{
	struct pogo_sched_config *cfg =
	    cfg_ok("tag: {t: [yes, 010, ~, 1.50]}\n");

	ASSERT_STR_EQ(members(cfg, "t"), "1.50 010 yes");
	pogo_sched_config_free(cfg);
	cfg_err("tag: {t: {a: 1}, t: {b: 2}}\n",
	    "line 1, column 18: duplicate key 't'");
}

TEST(C_ERR_messages)
{
	cfg_err("sequence: [a]\n", "Improper config file: No tag");
	cfg_err("", "Improper config file: No tag");
	cfg_err("- a\n", "Improper config file: No tag");
	cfg_err("tag:\nconstraint:\n  $g: {max: 1}\n",
	    "line 3, column 8: unknown constraint field 'max'");
	cfg_err("tag:\nconstraint:\n  $g: {}\n",
	    "line 3, column 7: mandatory parameter max_parallel not set");
	cfg_err("tag:\nconstraint:\n  $g:\n",
	    "line 3, column 6: mandatory parameter max_parallel not set");
	cfg_err("tag:\nconstraint:\n  $g: {max_parallel: 0}\n",
	    "line 3, column 22: invalid max_parallel '0'");
	cfg_err("tag: {t: [\"h[a]\"]}\n",
	    "line 1, column 11: invalid range pattern 'h[a]'");
	cfg_err("tag: {t: [\"h[3-1]\"]}\n",
	    "line 1, column 11: invalid range pattern 'h[3-1]'");
	cfg_err("tag:\n  a: [b\n",
	    "line 3, column 1: did not find expected ',' or ']'");
}

TEST(unknown_tags_are_empty)
{
	struct pogo_sched_config *cfg =
	    cfg_ok("tag: {a: [x]}\nsequence: [$nope, $a]\n"
	           "constraint: {$nope: {max_parallel: 1}}\n");
	size_t n;

	ASSERT_STR_EQ(members(cfg, "nope"), "");
	(void)pogo_sched_config_slot_hosts(cfg, 0, 0, &n);
	ASSERT_EQ(n, 0);
	ASSERT_EQ(pogo_sched_config_ngroups(cfg), 0);
	pogo_sched_config_free(cfg);
}

TEST(config_hosts_order)
{
	/* S-015's configuration: host4 host1 host5 host2 host3 host6. */
	struct pogo_sched_config *cfg = cfg_ok(
	    "tag:\n  frontend: [host1, host4]\n  backend: [host2, host5]\n"
	    "  colo:\n    north_america: [host1, host2, host3]\n"
	    "    south_east_asia: [host4, host5, host6]\n");
	size_t n, i, o = 0;
	char buf[256];

	n = pogo_sched_config_nconfigured(cfg);
	buf[0] = '\0';
	for (i = 0; i < n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? " " : "",
		    pogo_strtab_get(pogo_sched_config_hosts(cfg), (uint32_t)i));
	ASSERT_STR_EQ(buf, "host4 host1 host5 host2 host3 host6");
	pogo_sched_config_free(cfg);
}

TEST(aliases_and_dollar_leaves)
{
	struct pogo_sched_config *cfg =
	    cfg_ok("tag:\n  a: &hosts [h1, h2, $notahost]\n  b: *hosts\n");

	ASSERT_STR_EQ(members(cfg, "b"), "h2 h1");
	pogo_sched_config_free(cfg);
}

TEST(empty_configuration)
{
	struct pogo_sched_config *cfg = pogo_sched_config_empty();

	ASSERT_EQ(pogo_sched_config_nthreads(cfg), 0);
	ASSERT_EQ(pogo_sched_config_ngroups(cfg), 0);
	pogo_sched_config_free(cfg);
	cfg = cfg_ok("tag:\nsequence:\nconstraint:\n");
	ASSERT_EQ(pogo_sched_config_nthreads(cfg), 0);
	pogo_sched_config_free(cfg);
}

TEST(host_entry_budget)
{
	struct pogo_sched_config *cfg = NULL;
	char *cause = NULL;
	const char *yaml = "tag: {a: [\"h[1-60]\"], b: [\"h[1-60]\"]}\n";

	ASSERT_OK(pogo_sched_config_parse_limit(
	    yaml, strlen(yaml), 120, &cfg, &cause));
	pogo_sched_config_free(cfg);
	ASSERT_EQ(pogo_sched_config_parse_limit(
	              yaml, strlen(yaml), 100, &cfg, &cause),
	    POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "line 1, column 27: invalid range pattern "
	    "'h[1-60]': more than 100 host entries in the "
	    "configuration");
	free(cause);
}

/* GET /v1/namespaces/:ns/hosts/:host/tags (A-NS): every tag holding the
 * host, through parents and ranges, sorted. */
TEST(host_tags)
{
	struct pogo_sched_config *cfg =
	    cfg_ok("tag:\n"
	           "  colo:\n"
	           "    north_america: [host1, host2, host3]\n"
	           "    south_east_asia: [host4, host5, host6]\n"
	           "  web: [\"host[2-4]\", host6]\n"
	           "  aaa: [host3]\n");
	struct pogo_strv t = { 0 };
	const char *const want[] = { "aaa", "colo", "colo.north_america",
		"web" };
	size_t i;

	pogo_sched_config_host_tags(cfg, "host3", &t);
	ASSERT_EQ(t.n, POGO_NELEM(want));
	for (i = 0; i < t.n; i++)
		ASSERT_STR_EQ(t.v[i], want[i]);
	pogo_strv_clear(&t);
	pogo_sched_config_host_tags(cfg, "host6", &t);
	ASSERT_EQ(t.n, 3);
	ASSERT_STR_EQ(t.v[0], "colo");
	ASSERT_STR_EQ(t.v[1], "colo.south_east_asia");
	ASSERT_STR_EQ(t.v[2], "web");
	pogo_strv_clear(&t);
	pogo_sched_config_host_tags(cfg, "nohost", &t);
	ASSERT_EQ(t.n, 0);
	pogo_sched_config_free(cfg);
}
