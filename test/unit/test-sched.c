/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/sched.c: the S- tests of SPEC 13.2, the scheduler
 * parts of J-2/J-4/J-6, table-driven constraint combinations, and a
 * randomised property test that checks the incremental dispatcher against
 * a naive full-rescan model of SPEC 3.3 after every event.
 */
#include "pogo/compat.h"

#include "sched-sim.h"

#define CFG_NA_SEA                                   \
	"tag:\n"                                     \
	"  colo:\n"                                  \
	"    north_america: [host1, host2, host3]\n" \
	"    south_east_asia: [host4, host5, host6]\n"

#define CFG_S015                                       \
	"tag:\n"                                       \
	"  frontend: [host1, host4]\n"                 \
	"  backend: [host2, host5]\n"                  \
	"  colo:\n"                                    \
	"    north_america: [host1, host2, host3]\n"   \
	"    south_east_asia: [host4, host5, host6]\n" \
	"sequence:\n"                                  \
	"  $frontend:\n"                               \
	"    - $colo.north_america\n"                  \
	"    - $colo.south_east_asia\n"                \
	"  $backend:\n"                                \
	"    - $colo.south_east_asia\n"                \
	"    - $colo.north_america\n"

#define CFG_S022                                     \
	"tag:\n"                                     \
	"  colo:\n"                                  \
	"    north_america: [host4, host5, host6]\n" \
	"constraint:\n"                              \
	"  $colo.north_america:\n"                   \
	"    max_parallel: 1\n"                      \
	"sequence:\n"                                \
	"  - $colo.north_america\n"

#define CFG_S023                                     \
	"tag:\n"                                     \
	"  colo:\n"                                  \
	"    north_america: [host4, host5, host6]\n" \
	"constraint:\n"                              \
	"  $colo.north_america:\n"                   \
	"    max_parallel: 1\n"

/* Run a configuration in waves and compare the exact wave string. */
static void
waves_are(
    const char *yaml, const char *targets, const char *fail, const char *expect)
{
	struct sim m;
	const char *got;

	sim_init(&m, yaml, targets);
	m.fail = fail;
	got = sim_waves(&m);
	if (strcmp(got, expect) != 0)
		harness_fail(__FILE__, __LINE__,
		    "waves:\n  got:    %s\n  expect: %s", got, expect);
	ASSERT_EQ(m.done, 1);
	sim_free(&m);
}

/*
 * The same for a sequence, "Set: A -> B": besides the exact waves, no
 * task of a later set may start while a task of the earlier one is still
 * in flight, which the wave string alone cannot show.
 */
static void
set_waves_are(
    const char *yaml, const char *targets, const char *fail, const char *expect)
{
	struct sim m;
	const char *got;

	sim_init(&m, yaml, targets);
	m.fail = fail;
	got = sim_waves(&m);
	if (strcmp(got, expect) != 0)
		harness_fail(__FILE__, __LINE__,
		    "waves:\n  got:    %s\n  expect: %s", got, expect);
	if (m.early[0] != '\0')
		harness_fail(__FILE__, __LINE__,
		    "started before an earlier slot was final: %s", m.early);
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(S_012_trivial)
{
	struct sim m;

	sim_init(&m, NULL, "task1");
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "task1");
	ASSERT_EQ(m.done, 0);
	ASSERT_OK(pogo_sched_task_finished(m.s, 0, POGO_SCHED_OK));
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(S_013_traversal)
{
	struct sim m;
	struct pogo_sched_config *cfg = NULL;
	const char *yaml = "tag: {a: {b: [c, d]}}\n";
	const uint32_t *v;
	char *cause = NULL;
	size_t n;

	sim_init(&m,
	    CFG_NA_SEA "sequence: [$colo.north_america, "
	               "$colo.south_east_asia]\n",
	    NULL);
	ASSERT_EQ(pogo_sched_nthreads(m.s), 2);
	ASSERT_EQ(pogo_sched_nslots(m.s, 0), 2);
	ASSERT_STR_EQ(pogo_sched_slot_name(m.s, 0, 0), "$colo.north_america");
	ASSERT_STR_EQ(pogo_sched_slot_name(m.s, 0, 1), "$colo.south_east_asia");
	sim_free(&m);
	ASSERT_OK(pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause));
	ASSERT_OK(pogo_sched_config_build(cfg, &cause));
	v = pogo_sched_config_tag_members(cfg, "a.b", &n);
	ASSERT_EQ(n, 2);
	ASSERT_STR_EQ(pogo_strtab_get(pogo_sched_config_hosts(cfg), v[0]), "d");
	ASSERT_STR_EQ(pogo_strtab_get(pogo_sched_config_hosts(cfg), v[1]), "c");
	pogo_sched_config_free(cfg);
}

TEST(S_014_simple_sequence)
{
	struct sim m;

	set_waves_are(CFG_NA_SEA "sequence:\n  - $colo.north_america\n"
	                         "  - $colo.south_east_asia\n",
	    NULL, NULL, "host3 host2 host1 -> host6 host5 host4");
	sim_init(&m,
	    CFG_NA_SEA "sequence:\n  - $colo.north_america\n"
	               "  - $colo.south_east_asia\n",
	    NULL);
	sim_waves(&m);
	ASSERT_EQ(m.nruns, 6);
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(S_015_sequences_on_attributes)
{
	struct sim m;

	sim_init(&m, CFG_S015, NULL);
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "host1 host5 host3 host6");
	ASSERT_STR_EQ(
	    pogo_sched_slot_name(m.s, 0, 0), "$frontend.$colo.north_america");
	ASSERT_STR_EQ(
	    pogo_sched_slot_name(m.s, 0, 1), "$frontend.$colo.south_east_asia");
	ASSERT_STR_EQ(
	    pogo_sched_slot_name(m.s, 1, 0), "$backend.$colo.south_east_asia");
	ASSERT_STR_EQ(pogo_sched_thread_name(m.s, 1), "thread-000000001");
	ASSERT_STR_EQ(pogo_sched_thread_name(m.s, 2), "unconstrained");
	/* host4 waits for host1, host2 for host5. */
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "host5"), POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 4), "host2");
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "host1"), POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 5), "host4");
	sim_free(&m);
	waves_are(
	    CFG_S015, NULL, NULL, "host1 host5 host3 host6 -> host4 host2");
}

/* S-016: the ordered-bucket checker of the SPEC, as a test utility. */
struct checker {
	const char *buckets[4][4];
	int nb;
	int cur;
	bool used[4][4];
};

static bool
checker_item(struct checker *c, const char *x)
{
	int i;
	bool empty = true;

	for (i = 0; i < 4 && c->buckets[c->cur][i] != NULL; i++) {
		if (!c->used[c->cur][i] &&
		    strcmp(c->buckets[c->cur][i], x) == 0) {
			c->used[c->cur][i] = true;
			break;
		}
	}
	if (i == 4 || c->buckets[c->cur][i] == NULL)
		return false;
	for (i = 0; i < 4 && c->buckets[c->cur][i] != NULL; i++)
		empty = empty && c->used[c->cur][i];
	if (empty && c->cur + 1 < c->nb)
		c->cur++;
	return true;
}

static bool
checker_done(const struct checker *c)
{
	int i;

	if (c->cur != c->nb - 1)
		return false;
	for (i = 0; i < 4 && c->buckets[c->cur][i] != NULL; i++) {
		if (!c->used[c->cur][i])
			return false;
	}
	return true;
}

static bool
threaded_item(struct checker *c, int n, const char *x)
{
	int i;

	for (i = 0; i < n; i++) {
		if (checker_item(&c[i], x))
			return true;
	}
	return false;
}

static bool
threaded_done(const struct checker *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (!checker_done(&c[i]))
			return false;
	}
	return true;
}

TEST(S_016_ordered_bucket_checker)
{
	struct checker c[2] = {
		{ .buckets = { { "h1", "h2", "h3" }, { "h4", "h5" } },
		    .nb = 2 },
		{ .buckets = { { "h10", "h12" } }, .nb = 1 },
	};

	ASSERT(!threaded_done(c, 2));
	ASSERT(threaded_item(c, 2, "h2"));
	ASSERT(threaded_item(c, 2, "h1"));
	ASSERT(!threaded_item(c, 2, "h4"));
	ASSERT(!threaded_done(c, 2));
	ASSERT(threaded_item(c, 2, "h3"));
	ASSERT(threaded_item(c, 2, "h4"));
	ASSERT(threaded_item(c, 2, "h5"));
	ASSERT(!threaded_done(c, 2));
	ASSERT(threaded_item(c, 2, "h12"));
	ASSERT(threaded_item(c, 2, "h10"));
	ASSERT(threaded_done(c, 2));
}

#define CFG_SLOT4 "tag: {s: [t4, t3, t2, t1]}\nsequence: [$s]\n"

TEST(S_017_slot_stepping)
{
	struct sim m;
	size_t i;

	sim_init(&m, CFG_SLOT4, NULL);
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "t1 t2 t3 t4");
	for (i = 0; i < 4; i++)
		ASSERT_OK(
		    pogo_sched_task_finished(m.s, m.runs[i], POGO_SCHED_OK));
	ASSERT_EQ(m.slot_done, 1);
	ASSERT_EQ(m.done, 1);
	for (i = 0; i < pogo_sched_ntasks(m.s); i++)
		ASSERT_EQ(pogo_sched_task_state(m.s, (uint32_t)i),
		    POGO_SCHED_DONE_OK);
	sim_free(&m);
}

TEST(S_018_slot_driven_by_events)
{
	struct sim m;

	/*
	 * The slot of S-017, one task at a time: each task_run marks its
	 * task done, which starts the next.  4 task_run, each after the
	 * previous task is final and never nested in its callback, then one
	 * slot_done.
	 */
	sim_init(&m, CFG_SLOT4 "constraint: {$s: {max_parallel: 1}}\n", NULL);
	m.sync = true;
	pogo_sched_start(m.s);
	ASSERT_EQ(m.nruns, 4);
	ASSERT_EQ(m.max_depth, 1);
	ASSERT_STR_EQ(m.log,
	    "slot_done:1.0 thread_done:1 run:t1 run:t2 run:t3 run:t4 "
	    "slot_done:0.0 thread_done:0 done:0 ");
	ASSERT_EQ(m.slot_done, 1);
	ASSERT_EQ(m.done, 1);
	sim_free(&m);
}

TEST(S_019_thread)
{
	struct sim m;

	/*
	 * One thread with one slot of 4 tasks, each marked done inside its
	 * task_run: 4 task_run, then exactly one slot_done and one
	 * thread_done for it, and only then the end of the job.
	 */
	sim_init(&m, CFG_SLOT4, NULL);
	m.sync = true;
	pogo_sched_start(m.s);
	ASSERT_EQ(m.nruns, 4);
	ASSERT_EQ(m.max_depth, 1);
	ASSERT_STR_EQ(m.log,
	    "slot_done:1.0 thread_done:1 run:t1 run:t2 run:t3 run:t4 "
	    "slot_done:0.0 thread_done:0 done:0 ");
	ASSERT_EQ(m.slot_done, 1);
	ASSERT_EQ(m.slot_done_all, 2); /* and the empty unconstrained slot */
	ASSERT_EQ(m.thread_done, 2);
	ASSERT_EQ(pogo_sched_active_slot(m.s, 0), UINT32_MAX);
	sim_free(&m);
}

TEST(S_020_empty_middle_slot)
{
	set_waves_are("tag:\n  colo:\n    one: [host1, host2, host3]\n"
	              "    two: [host4, host5, host6]\n"
	              "    three: [host7, host8, host9]\n"
	              "sequence: [$colo.one, $colo.two, $colo.three]\n",
	    "host9,host8,host7,host1,host2,host3", NULL,
	    "host3 host2 host1 -> host9 host8 host7");
}

TEST(S_021_constraint_equal_to_slot_size)
{
	set_waves_are(CFG_NA_SEA "sequence:\n  - $colo.south_east_asia\n"
	                         "  - $colo.north_america\n"
	                         "constraint:\n  $colo.north_america:\n"
	                         "    max_parallel: 3\n",
	    NULL, NULL, "host6 host5 host4 -> host3 host2 host1");
}

static void
one_at_a_time(const char *yaml)
{
	struct sim m;

	sim_init(&m, yaml, NULL);
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "host6");
	ASSERT_EQ(m.nwaiting, 2);
	ASSERT_STR_EQ(
	    m.waiting, "host5:$colo.north_america;host4:$colo.north_america;");
	sim_free(&m);
	waves_are(yaml, NULL, NULL, "host6 -> host5 -> host4");
}

TEST(S_022_constraint_1_in_sequence)
{
	one_at_a_time(CFG_S022);
}

TEST(S_023_constraint_without_sequence)
{
	struct sim m;

	one_at_a_time(CFG_S023);
	sim_init(&m, CFG_S023, NULL);
	ASSERT_EQ(pogo_sched_nthreads(m.s), 1);
	ASSERT_STR_EQ(pogo_sched_slot_name(m.s, 0, 0), "unconstrained");
	sim_free(&m);
}

TEST(S_024_constraint_inside_slot_sync)
{
	struct sim m;

	sim_init(&m,
	    "tag: {g: [bar, foo]}\nsequence: [$g]\n"
	    "constraint: {$g: {max_parallel: 1}}\n",
	    NULL);
	m.sync = true;
	pogo_sched_start(m.s);
	ASSERT_EQ(m.nruns, 2);
	ASSERT_EQ(m.slot_done, 1);
	ASSERT_EQ(m.done, 1);
	sim_free(&m);
}

TEST(S_025_two_sequences_with_ranges)
{
	struct sim m;

	set_waves_are("tag:\n  north: [ \"host[1-2]\" ]\n"
	              "  south: [ \"host[3-4]\" ]\n  east:  [ \"host[5-6]\" ]\n"
	              "  west:  [ \"host{7,8}\" ]\n"
	              "sequence:\n  horizontal: [ $south, $north ]\n"
	              "  vertical:   [ $west, $east ]\n",
	    NULL, NULL, "host4 host3 host8 host7 -> host2 host1 host6 host5");
	sim_init(&m, "tag:\n  north: [ \"host[1-2]\" ]\n", NULL);
	ASSERT_EQ(pogo_sched_ntasks(m.s), 2);
	sim_free(&m);
}

TEST(S_027_sequence_of_literal_hosts)
{
	waves_are("tag:\nsequence: [host3, host2, host1]\n",
	    "host1,host2,host3", NULL, "host3 -> host2 -> host1");
}

TEST(S_DOC_1_constraint_example)
{
	waves_are(CFG_NA_SEA "sequence:\n  - $colo.north_america\n"
	                     "  - $colo.south_east_asia\n"
	                     "constraint:\n  $colo:\n    max_parallel: 2\n",
	    NULL, NULL, "host3 host2 -> host1 -> host6 host5 -> host4");
}

TEST(S_DOC_2_sequence_on_subset)
{
	waves_are(CFG_NA_SEA "  frontend: [host1, host4]\n"
	                     "  backend: [host2, host5]\n"
	                     "sequence:\n  $frontend:\n"
	                     "    - $colo.north_america\n"
	                     "    - $colo.south_east_asia\n",
	    NULL, NULL, "host1 host3 host2 host6 host5 -> host4");
}

TEST(S_PCT_percentage)
{
	static const struct {
		const char *v;
		uint32_t limit;
	} ok[] = { { "34%", 1 }, { "67%", 2 }, { "1%", 1 }, { "50%", 1 },
		{ "100%", 3 }, { "2", 2 } };
	static const char *bad[] = { "0%", "101%", "0", "-1", "1.5", "x", "",
		"1 %", "%", "+2", "99999999999" };
	struct pogo_sched_config *cfg;
	char yaml[256], *cause;
	size_t i;

	for (i = 0; i < POGO_NELEM(ok); i++) {
		snprintf(yaml, sizeof(yaml),
		    CFG_NA_SEA "constraint: {$colo.north_america: "
		               "{max_parallel: '%s'}}\n",
		    ok[i].v);
		ASSERT_OK(
		    pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause));
		ASSERT_OK(pogo_sched_config_build(cfg, &cause));
		ASSERT_EQ(pogo_sched_config_ngroups(cfg), 1);
		ASSERT_EQ(pogo_sched_config_group_limit(cfg, 0), ok[i].limit);
		pogo_sched_config_free(cfg);
	}
	for (i = 0; i < POGO_NELEM(bad); i++) {
		char expect[64];

		snprintf(yaml, sizeof(yaml),
		    CFG_NA_SEA "constraint: {$colo.north_america: "
		               "{max_parallel: '%s'}}\n",
		    bad[i]);
		ASSERT_EQ(
		    pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause),
		    POGO_ERR_CONFIG);
		snprintf(expect, sizeof(expect), "invalid max_parallel '%s'",
		    bad[i]);
		if (strstr(cause, expect) == NULL)
			harness_fail(
			    __FILE__, __LINE__, "'%s': %s", bad[i], cause);
		free(cause);
	}
}

TEST(S_PERVALUE_per_value_limit)
{
	struct sim m;
	const char *yaml = CFG_NA_SEA "constraint:\n  $colo:\n"
	                              "    max_parallel: 1\n";

	waves_are(
	    yaml, NULL, NULL, "host3 host6 -> host2 host5 -> host1 host4");
	sim_init(&m, yaml, NULL);
	ASSERT_EQ(pogo_sched_ngroups(m.s), 2);
	ASSERT_STR_EQ(pogo_sched_group_name(m.s, 0), "$colo.north_america");
	ASSERT_STR_EQ(pogo_sched_group_name(m.s, 1), "$colo.south_east_asia");
	sim_free(&m);
}

TEST(S_NESTED_constraint_keys)
{
	struct sim m;
	const char *yaml = "tag:\n  frontend: [host1, host4]\n"
	                   "  backend: [host2, host5]\n  colo:\n"
	                   "    north_america: [host1, host2, host3]\n"
	                   "    south_east_asia: [host4, host5, host6]\n"
	                   "constraint:\n  $frontend:\n"
	                   "    $colo.north_america:\n      max_parallel: 1\n";
	size_t n;

	waves_are(yaml, NULL, NULL, "host4 host1 host5 host2 host3 host6");
	sim_init(&m, yaml, NULL);
	ASSERT_EQ(pogo_sched_ngroups(m.s), 1);
	ASSERT_STR_EQ(
	    pogo_sched_group_name(m.s, 0), "$frontend.$colo.north_america");
	(void)pogo_sched_task_groups(
	    m.s, pogo_sched_find_task(m.s, "host1"), &n);
	ASSERT_EQ(n, 1);
	(void)pogo_sched_task_groups(
	    m.s, pogo_sched_find_task(m.s, "host2"), &n);
	ASSERT_EQ(n, 0);
	sim_free(&m);
}

/* The index of the group called name. */
static uint32_t
group_named(struct sim *m, const char *name)
{
	uint32_t g;

	for (g = 0; g < pogo_sched_ngroups(m->s); g++) {
		if (strcmp(pogo_sched_group_name(m->s, g), name) == 0)
			return g;
	}
	harness_fail(__FILE__, __LINE__, "no group %s", name);
}

TEST(S_MULTI_all_groups_need_room)
{
	struct sim m;
	uint32_t one, five;

	sim_init(&m,
	    "tag: {one: [y, x], five: [z, y]}\n"
	    "constraint:\n  $one: {max_parallel: 1}\n"
	    "  $five: {max_parallel: 5}\n",
	    "x,y,z");
	one = group_named(&m, "$one");
	five = group_named(&m, "$five");
	pogo_sched_start(m.s);
	/* y is in both groups; $one is full (x), so y waits for $one only. */
	ASSERT_STR_EQ(sim_runs(&m, 0), "x z");
	ASSERT_STR_EQ(m.waiting, "y:$one;");
	ASSERT_EQ(pogo_sched_group_used(m.s, one), 1);
	ASSERT_EQ(pogo_sched_group_used(m.s, five), 1);
	/* z finishes: $five is empty, y still waits for $one. */
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "z"), POGO_SCHED_OK));
	ASSERT_EQ(m.nruns, 2);
	ASSERT_EQ(pogo_sched_group_used(m.s, one), 1);
	ASSERT_EQ(pogo_sched_group_used(m.s, five), 0);
	/* x finishes: y starts, and both groups rise by one (0 -> 1). */
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "x"), POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 2), "y");
	ASSERT_EQ(pogo_sched_group_used(m.s, one), 1);
	ASSERT_EQ(pogo_sched_group_used(m.s, five), 1);
	/* y finishes: both units come back, the job is done. */
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "y"), POGO_SCHED_OK));
	ASSERT_EQ(pogo_sched_group_used(m.s, one), 0);
	ASSERT_EQ(pogo_sched_group_used(m.s, five), 0);
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(S_NOCONFIG_unconfigured_hosts)
{
	waves_are(CFG_S022, "host6,host5,host4,hostA,hostB", NULL,
	    "host6 hostA hostB -> host5 -> host4");
}

TEST(S_DUP_parent_tag_without_duplicates)
{
	struct sim m;
	const char *yaml = "tag:\n  colo:\n    one: [host1, host2]\n"
	                   "    two: [host3]\nsequence: [$colo, hostx]\n";

	waves_are(yaml, NULL, NULL, "host2 host1 host3 -> hostx");
	sim_init(&m, yaml, NULL);
	ASSERT_EQ(pogo_sched_ntasks(m.s), 4);
	sim_free(&m);
}

TEST(S_CONCURRENT)
{
	struct sim m;

	sim_init_shared(&m, CFG_S023, "h[1-5]", NULL, "2");
	ASSERT_STR_EQ(sim_waves(&m), "h1 h2 -> h3 h4 -> h5");
	sim_free(&m);
	sim_init_shared(&m, CFG_S023, "h[1-5]", NULL, "40%");
	ASSERT_STR_EQ(sim_waves(&m), "h1 h2 -> h3 h4 -> h5");
	sim_free(&m);
	sim_init_shared(&m, CFG_S023, "h[1-5]", NULL, "0");
	ASSERT_STR_EQ(sim_waves(&m), "h1 h2 h3 h4 h5");
	ASSERT_EQ(pogo_sched_ngroups(m.s), 0);
	sim_free(&m);
	sim_init_shared(&m, NULL, "h[1-5]", NULL, "1%");
	ASSERT_STR_EQ(sim_waves(&m), "h1 -> h2 -> h3 -> h4 -> h5");
	sim_free(&m);
}

TEST(S_CONCURRENT_invalid)
{
	struct pogo_strv h = { 0 };
	struct pogo_sched *s = NULL;
	static const struct pogo_sched_cbs cbs = { 0 };
	static const char *bad[] = { "", "-1", "x", "2%%", "%", "1.5" };
	char *cause = NULL;
	size_t i;

	pogo_strv_push(&h, "a");
	for (i = 0; i < POGO_NELEM(bad); i++) {
		ASSERT_EQ(pogo_sched_new(
		              NULL, &h, bad[i], NULL, &cbs, NULL, &s, &cause),
		    POGO_ERR_CONFIG);
		ASSERT_STR_EQ(cause, "invalid value for 'concurrent'");
		free(cause);
	}
	pogo_strv_clear(&h);
}

TEST(S_RETRY_UNITS)
{
	struct sim m;
	uint32_t h1, h3;

	sim_init(&m,
	    "tag: {a: [h1], b: [h3]}\n"
	    "constraint: {$a: {max_parallel: 1}}\n",
	    "h1,h3");
	pogo_sched_start(m.s);
	h1 = pogo_sched_find_task(m.s, "h1");
	h3 = pogo_sched_find_task(m.s, "h3");
	ASSERT_EQ(m.nruns, 2);
	ASSERT_OK(pogo_sched_task_finished(m.s, h1, POGO_SCHED_FAILED));
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 1);
	ASSERT(pogo_sched_task_holds_units(m.s, h1));
	ASSERT_OK(pogo_sched_retry(m.s, h1));
	ASSERT_EQ(m.nruns, 3);
	ASSERT_EQ(m.runs[2], h1);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 1);
	ASSERT_OK(pogo_sched_task_finished(m.s, h1, POGO_SCHED_OK));
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	ASSERT_EQ(m.done, 0);
	ASSERT_OK(pogo_sched_task_finished(m.s, h3, POGO_SCHED_OK));
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(S_SHARED_namespace_counters)
{
	struct pogo_sched_counters *ctrs = pogo_sched_counters_new();
	struct sim a, b;
	int inflight = -1;
	size_t afin = 0, bfin = 0, i;

	sim_init_shared(&a, CFG_S022, NULL, ctrs, NULL);
	sim_init_shared(&b, CFG_S022, NULL, ctrs, NULL);
	pogo_sched_start(a.s);
	ASSERT_STR_EQ(sim_runs(&a, 0), "host6");
	pogo_sched_start(b.s);
	ASSERT_EQ(b.nruns, 0);
	ASSERT_STR_EQ(b.waiting,
	    "host6:$colo.north_america;"
	    "host5:$colo.north_america;"
	    "host4:$colo.north_america;");
	ASSERT_EQ(b.done, 0); /* waiting for a running host: no deadlock */
	ASSERT_EQ(
	    pogo_sched_counters_used(ctrs, "$colo.north_america", &inflight),
	    1);
	ASSERT_EQ(inflight, 1);
	/*
	 * Finish whatever runs, one task at a time, until both jobs end: B
	 * proceeds (its three hosts run and it finishes, never deadlocked)
	 * and the two jobs never have two hosts of the group in flight.
	 */
	for (i = 0; i < 6; i++) {
		ASSERT_EQ(a.nruns - afin + b.nruns - bfin, 1);
		if (a.nruns > afin)
			ASSERT_OK(pogo_sched_task_finished(
			    a.s, a.runs[afin++], POGO_SCHED_OK));
		else
			ASSERT_OK(pogo_sched_task_finished(
			    b.s, b.runs[bfin++], POGO_SCHED_OK));
	}
	ASSERT_STR_EQ(a.log,
	    "slot_done:1.0 thread_done:1 run:host6 run:host5 run:host4 "
	    "slot_done:0.0 thread_done:0 done:0 ");
	ASSERT_STR_EQ(b.log,
	    "slot_done:1.0 thread_done:1 run:host6 run:host5 run:host4 "
	    "slot_done:0.0 thread_done:0 done:0 ");
	ASSERT_EQ(b.nruns, 3);
	ASSERT_EQ(b.done, 1);
	ASSERT_EQ(b.end, POGO_SCHED_FINISHED);
	ASSERT_EQ(a.done, 1);
	ASSERT_EQ(a.end, POGO_SCHED_FINISHED);
	ASSERT_EQ(
	    pogo_sched_counters_used(ctrs, "$colo.north_america", NULL), 0);
	sim_free(&a);
	sim_free(&b);
	pogo_sched_counters_free(ctrs);
}

TEST(J_2_failure_uses_up_capacity)
{
	struct sim m;

	sim_init(&m, CFG_S022, NULL);
	m.fail = "host6";
	ASSERT_STR_EQ(sim_waves(&m), "host6");
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_DEADLOCKED);
	ASSERT_EQ(
	    pogo_sched_task_state(m.s, pogo_sched_find_task(m.s, "host5")),
	    POGO_SCHED_PENDING);
	/* Deadlocked hosts in schedule order: host5, then host4. */
	ASSERT(pogo_sched_find_task(m.s, "host5") <
	    pogo_sched_find_task(m.s, "host4"));
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	sim_free(&m);
}

TEST(J_3_retry_after_deadlock)
{
	struct sim m;
	uint32_t h6;

	sim_init(&m, CFG_S022, NULL);
	m.fail = "host6";
	sim_waves(&m);
	ASSERT_EQ(m.end, POGO_SCHED_DEADLOCKED);
	h6 = pogo_sched_find_task(m.s, "host6");
	m.fail = NULL;
	ASSERT_OK(pogo_sched_retry(m.s, h6));
	pogo_sched_resume(m.s);
	ASSERT_EQ(m.nruns, 2);
	ASSERT_EQ(m.runs[1], h6);
	ASSERT_OK(pogo_sched_task_finished(m.s, h6, POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 2), "host5");
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[2], POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 3), "host4");
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[3], POGO_SCHED_OK));
	ASSERT_EQ(m.done, 2);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(J_4_skip_and_resume)
{
	struct sim m;

	sim_init(&m, CFG_S022, NULL);
	m.fail = "host6";
	sim_waves(&m);
	ASSERT_EQ(m.end, POGO_SCHED_DEADLOCKED);
	ASSERT_OK(pogo_sched_skip(m.s, pogo_sched_find_task(m.s, "host6")));
	/* Skipping in an inactive job changes only that host. */
	ASSERT_EQ(m.nruns, 1);
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(pogo_sched_skip(m.s, pogo_sched_find_task(m.s, "host6")),
	    POGO_ERR_STATE);
	pogo_sched_resume(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 1), "host5");
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 1);
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[1], POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 2), "host4");
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[2], POGO_SCHED_OK));
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	ASSERT_EQ(
	    pogo_sched_task_state(m.s, pogo_sched_find_task(m.s, "host6")),
	    POGO_SCHED_DONE_SKIPPED);
	sim_free(&m);
}

TEST(J_5_failure_does_not_block_sequence)
{
	waves_are(CFG_NA_SEA "sequence:\n  - $colo.north_america\n"
	                     "  - $colo.south_east_asia\n",
	    NULL, "host2", "host3 host2 host1 -> host6 host5 host4");
}

TEST(J_6_halt_and_resume)
{
	struct sim m;
	size_t i;

	sim_init(&m,
	    "tag: {all: [\"h[1-10]\"]}\n"
	    "constraint: {$all: {max_parallel: 2}}\n",
	    NULL);
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "h10 h9");
	pogo_sched_halt(m.s);
	ASSERT(!pogo_sched_active(m.s));
	for (i = 0; i < 2; i++)
		ASSERT_OK(
		    pogo_sched_task_finished(m.s, m.runs[i], POGO_SCHED_OK));
	ASSERT_EQ(m.nruns, 2);
	ASSERT_EQ(m.done, 0);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	pogo_sched_resume(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 2), "h8 h7");
	for (i = 2; i < 10; i++) {
		ASSERT_OK(
		    pogo_sched_task_finished(m.s, m.runs[i], POGO_SCHED_OK));
	}
	ASSERT_EQ(m.nruns, 10);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(halt_releases_failed_units_and_resume_retakes_them)
{
	struct sim m;

	sim_init(&m,
	    "tag: {g: [a, b, c, d]}\nconstraint: {$g: {max_parallel: "
	    "3}}\n",
	    NULL);
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "d c b");
	/* d fails and keeps its unit: a cannot start. */
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[0], POGO_SCHED_FAILED));
	ASSERT_EQ(m.nruns, 3);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 3);
	pogo_sched_halt(m.s);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 2); /* c, b in flight */
	/* A failure while halted releases its units at once. */
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[1], POGO_SCHED_FAILED));
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 1);
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[2], POGO_SCHED_OK));
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	ASSERT_EQ(m.nruns, 3);
	pogo_sched_resume(m.s);
	/* d and c take their units back; one unit is left for a. */
	ASSERT_STR_EQ(sim_runs(&m, 3), "a");
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 3);
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[3], POGO_SCHED_OK));
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	sim_free(&m);
}

TEST(deadlock_releases_units_of_shared_counters)
{
	struct pogo_sched_counters *ctrs = pogo_sched_counters_new();
	struct sim a, b;

	sim_init_shared(&a, CFG_S022, NULL, ctrs, NULL);
	sim_init_shared(&b, CFG_S022, NULL, ctrs, NULL);
	a.fail = "host6";
	pogo_sched_start(a.s);
	pogo_sched_start(b.s);
	ASSERT_EQ(b.nruns, 0);
	/* A deadlocks and gives its unit back; B starts at once. */
	ASSERT_OK(pogo_sched_task_finished(a.s, a.runs[0], POGO_SCHED_FAILED));
	ASSERT_EQ(a.end, POGO_SCHED_DEADLOCKED);
	ASSERT_STR_EQ(sim_runs(&b, 0), "host6");
	sim_free(&a);
	sim_free(&b);
	pogo_sched_counters_free(ctrs);
}

/*
 * SPEC 3.4: a job whose pending hosts wait only for units that a failed
 * host of another job holds is deadlocked, even while that other job is
 * still active (its other hosts run).
 */
TEST(deadlock_across_jobs_sharing_counters)
{
	struct pogo_sched_counters *ctrs = pogo_sched_counters_new();
	const char *cfg = "tag: {g: [a1, b1, b2]}\n"
	                  "constraint: {$g: {max_parallel: 1}}\n";
	struct sim a, b;
	uint32_t a1, a2;

	sim_init_shared(&a, cfg, "a1,a2", ctrs, NULL);
	sim_init_shared(&b, cfg, "b1,b2", ctrs, NULL);
	pogo_sched_start(a.s);
	ASSERT_EQ(a.nruns, 2); /* a1 takes $g; a2 is unconstrained */
	a1 = pogo_sched_find_task(a.s, "a1");
	a2 = pogo_sched_find_task(a.s, "a2");
	pogo_sched_start(b.s);
	ASSERT_EQ(b.nruns, 0);
	ASSERT_EQ(b.done, 0); /* a1 is running: B waits */
	/* a1 fails and keeps its unit; A stays active (a2 runs). */
	ASSERT_OK(pogo_sched_task_finished(a.s, a1, POGO_SCHED_FAILED));
	ASSERT_EQ(a.done, 0);
	ASSERT(pogo_sched_active(a.s));
	ASSERT_EQ(pogo_sched_counters_used(ctrs, "$g", NULL), 1);
	/* Nothing can ever give B the unit back: B is deadlocked now. */
	ASSERT_EQ(b.done, 1);
	ASSERT_EQ(b.end, POGO_SCHED_DEADLOCKED);
	ASSERT_EQ(b.nruns, 0);
	/* A finishes; its failed host's unit is released. */
	ASSERT_OK(pogo_sched_task_finished(a.s, a2, POGO_SCHED_OK));
	ASSERT_EQ(a.done, 1);
	ASSERT_EQ(a.end, POGO_SCHED_FINISHED);
	ASSERT_EQ(pogo_sched_counters_used(ctrs, "$g", NULL), 0);
	/* B stays deadlocked until resumed; then it runs. */
	ASSERT_EQ(b.nruns, 0);
	pogo_sched_resume(b.s);
	ASSERT_EQ(b.nruns, 1);
	sim_free(&a);
	sim_free(&b);
	pogo_sched_counters_free(ctrs);
}

/*
 * The other side: B waits for a unit whose holder lands in another job
 * while a third job's in-flight host still holds a unit of the group;
 * B must not be declared deadlocked then.
 */
TEST(no_deadlock_while_another_job_runs_in_the_group)
{
	struct pogo_sched_counters *ctrs = pogo_sched_counters_new();
	const char *cfg = "tag: {g: [a1, c1, b1]}\n"
	                  "constraint: {$g: {max_parallel: 2}}\n";
	struct sim a, b, c;

	sim_init_shared(&a, cfg, "a1,a2", ctrs, NULL);
	sim_init_shared(&c, cfg, "c1", ctrs, NULL);
	sim_init_shared(&b, cfg, "b1", ctrs, NULL);
	pogo_sched_start(a.s);
	pogo_sched_start(c.s);
	pogo_sched_start(b.s);
	ASSERT_EQ(b.nruns, 0);
	ASSERT_OK(pogo_sched_task_finished(
	    a.s, pogo_sched_find_task(a.s, "a1"), POGO_SCHED_FAILED));
	ASSERT_EQ(b.done, 0); /* c1 still runs in $g */
	ASSERT_OK(pogo_sched_task_finished(c.s, c.runs[0], POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&b, 0), "b1");
	ASSERT_OK(pogo_sched_task_finished(b.s, b.runs[0], POGO_SCHED_OK));
	ASSERT_EQ(b.end, POGO_SCHED_FINISHED);
	sim_free(&a);
	sim_free(&b);
	sim_free(&c);
	pogo_sched_counters_free(ctrs);
}

/*
 * A halted job withdraws a task that waited for a worker: its units go
 * back, and another job of the namespace waiting for them starts at once.
 */
TEST(withdraw_in_halted_job_wakes_other_jobs)
{
	struct pogo_sched_counters *ctrs = pogo_sched_counters_new();
	const char *cfg = "tag: {g: [a1, b1]}\n"
	                  "constraint: {$g: {max_parallel: 1}}\n";
	struct sim a, b;

	sim_init_shared(&a, cfg, "a1", ctrs, NULL);
	sim_init_shared(&b, cfg, "b1", ctrs, NULL);
	pogo_sched_start(a.s);
	pogo_sched_start(b.s);
	ASSERT_EQ(a.nruns, 1);
	ASSERT_EQ(b.nruns, 0);
	pogo_sched_halt(a.s);
	ASSERT_EQ(b.nruns, 0); /* a1 is in flight: it keeps its unit */
	ASSERT_OK(pogo_sched_withdraw(a.s, a.runs[0]));
	ASSERT_STR_EQ(sim_runs(&b, 0), "b1");
	sim_free(&a);
	sim_free(&b);
	pogo_sched_counters_free(ctrs);
}

/* Table-driven constraint combinations: configuration -> exact waves. */
TEST(constraint_combinations)
{
	static const struct {
		const char *yaml;
		const char *targets;
		const char *fail;
		const char *waves;
	} cases[] = {
		/* max_parallel N on a plain tag. */
		{ "tag: {g: [a, b, c, d]}\nconstraint: {$g: {max_parallel: "
		  "2}}\n",
		    NULL, NULL, "d c -> b a" },
		/* Key without '$' names the same tag. */
		{ "tag: {g: [a, b, c, d]}\nconstraint: {g: {max_parallel: "
		  "3}}\n",
		    NULL, NULL, "d c b -> a" },
		/* Percentage of the configured group, not of the job. */
		{ "tag: {g: [a, b, c, d]}\nconstraint: {$g: {max_parallel: "
		  "50%}}\n",
		    "a,b", NULL, "b a" },
		/* Two entries naming one group: the smaller limit wins. */
		{ "tag: {g: [a, b, c]}\nconstraint:\n  $g: {max_parallel: 3}\n"
		  "  g: {max_parallel: 1}\n",
		    NULL, NULL, "c -> b -> a" },
		/* Per-value limits with a filter key. */
		{ "tag:\n  web: [a, b, c, x]\n  colo: {e: [a, b], w: [c, d]}\n"
		  "constraint: {$web: {$colo: {max_parallel: 1}}}\n",
		    NULL, NULL, "x c b d -> a" },
		/* A group with no hosts has no effect. */
		{ "tag: {g: []}\nconstraint: {$g: {max_parallel: 1}}\n", "a,b",
		    NULL, "a b" },
		/* Unknown tag in a constraint: empty group. */
		{ "tag: {g: [a]}\nconstraint: {$nope: {max_parallel: 1}}\n",
		    "a,b", NULL, "a b" },
		/* A failure holds its unit: with limit 2 one more runs. */
		{ "tag: {g: [a, b, c, d]}\nconstraint: {$g: {max_parallel: "
		  "2}}\n",
		    NULL, "d", "d c -> b -> a" },
		/* Two failures use up limit 2: the job deadlocks. */
		{ "tag: {g: [a, b, c, d]}\nconstraint: {$g: {max_parallel: "
		  "2}}\n",
		    NULL, "d,c", "d c" },
		/* Sequence plus a constraint across slots. */
		{ "tag: {s1: [a, b], s2: [c, d], all: [a, b, c, d]}\n"
		  "sequence: [$s1, $s2]\n"
		  "constraint: {$all: {max_parallel: 1}}\n",
		    NULL, NULL, "b -> a -> d -> c" },
		/* Constraint on a parent tag with direct members: one group. */
		{ "tag: {p: [a], p.q: [b, c]}\n"
		  "constraint: {$p: {max_parallel: 2}}\n",
		    NULL, NULL, "a c -> b" },
		/* Nested values: per value of the first level only. */
		{ "tag: {r: {x: {y: [a, b]}, z: [c, d]}}\n"
		  "constraint: {$r: {max_parallel: 1}}\n",
		    NULL, NULL, "b d -> a c" },
		/* Independent threads share a constraint. */
		{ "tag: {t1: [a], t2: [b], all: [a, b]}\n"
		  "sequence: {x: [$t1], y: [$t2]}\n"
		  "constraint: {$all: {max_parallel: 1}}\n",
		    NULL, NULL, "a -> b" },
		/* A sequence filter with an unknown tag holds no hosts. */
		{ "tag: {t: [a, b]}\nsequence: {$nope: [$t]}\n", NULL, NULL,
		    "b a" },
		/* Labelled lists of literal hosts. */
		{ "tag:\nsequence: {foo: [b], bar: [a]}\n", "a,b", NULL,
		    "b a" },
	};
	size_t i;
	struct sim m;
	const char *got;

	for (i = 0; i < POGO_NELEM(cases); i++) {
		sim_init(&m, cases[i].yaml, cases[i].targets);
		m.fail = cases[i].fail;
		got = sim_waves(&m);
		if (strcmp(got, cases[i].waves) != 0)
			harness_fail(__FILE__, __LINE__,
			    "case %zu:\n  got:    %s\n  expect: %s", i, got,
			    cases[i].waves);
		ASSERT_EQ(m.done, 1);
		sim_free(&m);
	}
}

TEST(operations_refuse_wrong_states)
{
	struct sim m;

	sim_init(&m, NULL, "a,b");
	pogo_sched_start(m.s);
	ASSERT_EQ(pogo_sched_retry(m.s, 0), POGO_ERR_STATE);
	ASSERT_EQ(
	    pogo_sched_task_finished(m.s, 99, POGO_SCHED_OK), POGO_ERR_STATE);
	ASSERT_OK(pogo_sched_task_finished(m.s, 0, POGO_SCHED_OK));
	ASSERT_EQ(
	    pogo_sched_task_finished(m.s, 0, POGO_SCHED_OK), POGO_ERR_STATE);
	ASSERT_EQ(pogo_sched_skip(m.s, 0), POGO_ERR_STATE);
	ASSERT_EQ(pogo_sched_skip(m.s, 1), POGO_ERR_STATE);
	sim_free(&m);
}

TEST(retry_of_finished_job_detaches_from_sequence)
{
	struct sim m;
	uint32_t a;

	sim_init(&m, "tag:\nsequence: [a, b]\n", "a,b");
	ASSERT_STR_EQ(sim_waves(&m), "a -> b");
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	a = pogo_sched_find_task(m.s, "a");
	ASSERT_OK(pogo_sched_retry(m.s, a));
	pogo_sched_resume(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 2), "a");
	ASSERT_EQ(m.done, 1);
	ASSERT_OK(pogo_sched_task_finished(m.s, a, POGO_SCHED_OK));
	ASSERT_EQ(m.done, 2);
	sim_free(&m);
}

/*
 * The property test.  A naive model of SPEC 3.3 (full rescan in every
 * pass) runs beside the real scheduler; after every event both must have
 * emitted the same runs, waiting events and end, and the invariants of the
 * issue must hold.
 */
struct model {
	const struct pogo_sched *s; /* structure only */
	uint8_t *state;
	bool *holds;
	bool *blocked;
	bool *detached;
	int *used;
	uint32_t *active; /* per thread */
	bool active_job;
	bool done;
	enum pogo_sched_end end;
	uint32_t runs[256];
	size_t nruns;
	char waiting[8192];
};

static uint64_t prop_seed;

static uint32_t
prop_rand(uint32_t n)
{
	prop_seed ^= prop_seed << 13;
	prop_seed ^= prop_seed >> 7;
	prop_seed ^= prop_seed << 17;
	return (uint32_t)(prop_seed % n);
}

static bool
model_room(const struct model *md, uint32_t g)
{
	return md->used[g] < (int)pogo_sched_group_limit(md->s, g);
}

static void
model_activate(struct model *md, uint32_t th)
{
	uint32_t first, n, i;
	bool complete;

	while (md->active[th] < pogo_sched_nslots(md->s, th)) {
		pogo_sched_slot_tasks(md->s, th, md->active[th], &first, &n);
		complete = true;
		for (i = first; i < first + n; i++) {
			if (md->state[i] <= POGO_SCHED_INFLIGHT)
				complete = false;
		}
		if (!complete)
			return;
		md->active[th]++;
	}
}

static bool
model_eligible(const struct model *md, uint32_t t)
{
	uint32_t th = pogo_sched_task_thread(md->s, t);

	if (md->state[t] != POGO_SCHED_PENDING)
		return false;
	return md->detached[t] ||
	    pogo_sched_task_slot(md->s, t) == md->active[th];
}

static void
model_pass(struct model *md)
{
	uint32_t t, nt = pogo_sched_ntasks(md->s);
	const uint32_t *g;
	size_t ng, k, o;
	bool ok;

	if (!md->active_job || md->done)
		return;
	for (t = 0; t < nt; t++) {
		if (!model_eligible(md, t))
			continue;
		g = pogo_sched_task_groups(md->s, t, &ng);
		ok = true;
		if (!md->holds[t]) {
			for (k = 0; k < ng; k++)
				ok = ok && model_room(md, g[k]);
		}
		if (!ok) {
			if (!md->blocked[t]) {
				md->blocked[t] = true;
				o = strlen(md->waiting);
				o += (size_t)snprintf(md->waiting + o,
				    sizeof(md->waiting) - o,
				    "%s:", pogo_sched_task_host(md->s, t));
				for (k = 0, ok = true; k < ng; k++) {
					if (model_room(md, g[k]))
						continue;
					o += (size_t)snprintf(md->waiting + o,
					    sizeof(md->waiting) - o, "%s%s",
					    ok ? "" : ",",
					    pogo_sched_group_name(md->s, g[k]));
					ok = false;
				}
				snprintf(md->waiting + o,
				    sizeof(md->waiting) - o, ";");
			}
			continue;
		}
		if (!md->holds[t]) {
			for (k = 0; k < ng; k++)
				md->used[g[k]]++;
			md->holds[t] = true;
		}
		md->blocked[t] = false;
		md->state[t] = POGO_SCHED_INFLIGHT;
		md->runs[md->nruns++] = t;
	}
}

static void
model_release(struct model *md, uint32_t t)
{
	const uint32_t *g;
	size_t ng, k;

	if (!md->holds[t])
		return;
	g = pogo_sched_task_groups(md->s, t, &ng);
	for (k = 0; k < ng; k++)
		md->used[g[k]]--;
	md->holds[t] = false;
}

static void
model_check_end(struct model *md)
{
	uint32_t t, nt = pogo_sched_ntasks(md->s), inflight = 0, pending = 0;
	const uint32_t *g;
	size_t ng, k;
	bool stuck, all_stuck = true;

	if (!md->active_job || md->done)
		return;
	for (t = 0; t < nt; t++) {
		if (md->state[t] == POGO_SCHED_INFLIGHT)
			inflight++;
		if (md->state[t] == POGO_SCHED_PENDING)
			pending++;
		if (!model_eligible(md, t))
			continue;
		g = pogo_sched_task_groups(md->s, t, &ng);
		stuck = false;
		for (k = 0; k < ng; k++) {
			uint32_t u, infl = 0;
			size_t ng2, k2;
			const uint32_t *g2;

			if (model_room(md, g[k]))
				continue;
			for (u = 0; u < nt; u++) {
				if (md->state[u] != POGO_SCHED_INFLIGHT)
					continue;
				g2 = pogo_sched_task_groups(md->s, u, &ng2);
				for (k2 = 0; k2 < ng2; k2++)
					infl += g2[k2] == g[k];
			}
			stuck = stuck || infl == 0;
		}
		all_stuck = all_stuck && stuck;
	}
	if (pending + inflight == 0) {
		md->done = true;
		md->end = POGO_SCHED_FINISHED;
	} else if (inflight == 0 && all_stuck) {
		md->done = true;
		md->end = POGO_SCHED_DEADLOCKED;
	}
	if (md->done) {
		for (t = 0; t < nt; t++)
			model_release(md, t);
	}
}

static void
model_finish(struct model *md, uint32_t t, enum pogo_sched_outcome o)
{
	uint32_t th = pogo_sched_task_thread(md->s, t);

	md->state[t] = o == POGO_SCHED_OK ? POGO_SCHED_DONE_OK
	    : o == POGO_SCHED_FAILED      ? POGO_SCHED_DONE_FAILED
	                                  : POGO_SCHED_DONE_SKIPPED;
	if (o != POGO_SCHED_FAILED)
		model_release(md, t);
	md->detached[t] = false;
	model_activate(md, th);
	model_pass(md);
	model_check_end(md);
}

/* Random configuration text over hosts h1..hN. */
static void
prop_config(char *buf, size_t size, uint32_t nh)
{
	static const char *fams[] = { "colo", "rack", "role" };
	uint32_t f, v, h, k, nf = 1 + prop_rand(3), nv;
	size_t o = 0;

	o += (size_t)snprintf(buf + o, size - o, "tag:\n");
	for (f = 0; f < nf; f++) {
		nv = 1 + prop_rand(3);
		o += (size_t)snprintf(buf + o, size - o, "  %s:\n", fams[f]);
		for (v = 0; v < nv; v++) {
			o += (size_t)snprintf(
			    buf + o, size - o, "    v%u: [", v);
			for (h = 1, k = 0; h <= nh; h++) {
				if (prop_rand(nv) != v)
					continue;
				o += (size_t)snprintf(buf + o, size - o,
				    "%sh%u", k++ ? ", " : "", h);
			}
			o += (size_t)snprintf(buf + o, size - o, "]\n");
		}
	}
	if (prop_rand(3) != 0) {
		uint32_t nt = 1 + prop_rand(2), t, s, ns;

		o += (size_t)snprintf(buf + o, size - o, "sequence:\n");
		for (t = 0; t < nt; t++) {
			/* Keys differ by t: no duplicate keys. */
			if (prop_rand(2) == 0)
				o += (size_t)snprintf(
				    buf + o, size - o, "  l%u:\n", t);
			else
				o += (size_t)snprintf(buf + o, size - o,
				    "  $%s.v%u:\n", fams[prop_rand(nf)], t);
			ns = 1 + prop_rand(3);
			for (s = 0; s < ns; s++) {
				if (prop_rand(4) == 0)
					o += (size_t)snprintf(buf + o, size - o,
					    "    - h%u\n", 1 + prop_rand(nh));
				else
					o += (size_t)snprintf(buf + o, size - o,
					    "    - $%s.v%u\n",
					    fams[prop_rand(nf)], prop_rand(3));
			}
		}
	}
	if (prop_rand(4) != 0) {
		uint32_t nc = 1 + prop_rand(nf), c;

		o += (size_t)snprintf(buf + o, size - o, "constraint:\n");
		for (c = 0; c < nc; c++) {
			/* One entry per family: no duplicate keys. */
			const char *fam = fams[c];

			switch (prop_rand(3)) {
			case 0:
				o += (size_t)snprintf(buf + o, size - o,
				    "  $%s:\n    max_parallel: %u\n", fam,
				    1 + prop_rand(3));
				break;
			case 1:
				o += (size_t)snprintf(buf + o, size - o,
				    "  $%s.v%u:\n    max_parallel: %u%%\n", fam,
				    prop_rand(3), 1 + prop_rand(100));
				break;
			default:
				o += (size_t)snprintf(buf + o, size - o,
				    "  $%s.v%u:\n    $%s:\n      max_parallel: "
				    "%u\n",
				    fam, prop_rand(3), fams[prop_rand(nf)],
				    1 + prop_rand(2));
				break;
			}
		}
	}
}

/* Compare real and model; check the invariants. */
static void
prop_compare(struct sim *m, struct model *md, uint32_t *runcount,
    uint32_t *retries, size_t *seen)
{
	uint32_t nt = pogo_sched_ntasks(m->s), t, g, i, th, sl, first, n, u;
	uint32_t *held = NULL;

	if (m->nruns != md->nruns)
		harness_fail(__FILE__, __LINE__, "runs %zu vs model %zu",
		    m->nruns, md->nruns);
	ASSERT_MEM_EQ(m->runs, md->runs, m->nruns * sizeof(m->runs[0]));
	ASSERT_STR_EQ(m->waiting, md->waiting);
	ASSERT_EQ(m->done > 0, md->done);
	if (md->done)
		ASSERT_EQ(m->end, md->end);
	ASSERT_LE(m->done, 1 + (int)0);
	/* New runs: sequence order and at most one run per try. */
	for (; *seen < m->nruns; (*seen)++) {
		t = m->runs[*seen];
		runcount[t]++;
		ASSERT_LE(runcount[t], 1 + retries[t]);
		th = pogo_sched_task_thread(m->s, t);
		for (sl = 0; sl < pogo_sched_task_slot(m->s, t); sl++) {
			pogo_sched_slot_tasks(m->s, th, sl, &first, &n);
			/* A retried host does not hold later slots. */
			for (u = first; u < first + n; u++)
				ASSERT(pogo_sched_task_state(m->s, u) >
				        POGO_SCHED_INFLIGHT ||
				    retries[u] > 0);
		}
	}
	/* No group ever exceeds its limit; counters match the tasks. */
	held = xcalloc(pogo_sched_ngroups(m->s) + 1, sizeof(*held));
	for (t = 0; t < nt; t++) {
		size_t ng;
		const uint32_t *gl = pogo_sched_task_groups(m->s, t, &ng);

		if (!pogo_sched_task_holds_units(m->s, t))
			continue;
		for (i = 0; i < ng; i++)
			held[gl[i]]++;
	}
	for (g = 0; g < pogo_sched_ngroups(m->s); g++) {
		ASSERT_LE(held[g], pogo_sched_group_limit(m->s, g));
		ASSERT_EQ(held[g], pogo_sched_group_used(m->s, g));
		ASSERT_EQ(held[g], md->used[g]);
	}
	free(held);
}

static void
prop_case(uint64_t seed)
{
	char yaml[4096], targets[512];
	struct sim m;
	struct model md;
	uint32_t nh, nt, h, t, i, pick, inflight[256], ninf, *runcount,
	    *retries, th;
	size_t o = 0, seen = 0, steps = 0;
	enum pogo_sched_outcome oc;

	prop_seed = seed * 2654435761u + 1;
	nh = 1 + prop_rand(12);
	prop_config(yaml, sizeof(yaml), nh);
	targets[0] = '\0';
	for (h = 1; h <= nh + 2; h++) {
		if (prop_rand(5) == 0)
			continue;
		o += (size_t)snprintf(
		    targets + o, sizeof(targets) - o, "%sh%u", o ? "," : "", h);
	}
	if (o == 0)
		snprintf(targets, sizeof(targets), "h1");
	sim_init(&m, yaml, targets);
	nt = pogo_sched_ntasks(m.s);
	memset(&md, 0, sizeof(md));
	md.s = m.s;
	md.state = xcalloc(nt + 1, 1);
	md.holds = xcalloc(nt + 1, sizeof(bool));
	md.blocked = xcalloc(nt + 1, sizeof(bool));
	md.detached = xcalloc(nt + 1, sizeof(bool));
	md.used = xcalloc(pogo_sched_ngroups(m.s) + 1, sizeof(int));
	md.active = xcalloc(pogo_sched_nthreads(m.s), sizeof(uint32_t));
	runcount = xcalloc(nt + 1, sizeof(*runcount));
	retries = xcalloc(nt + 1, sizeof(*retries));
	md.active_job = true;
	pogo_sched_start(m.s);
	for (th = 0; th < pogo_sched_nthreads(m.s); th++)
		model_activate(&md, th);
	model_pass(&md);
	model_check_end(&md);
	prop_compare(&m, &md, runcount, retries, &seen);
	while (!md.done) {
		ninf = 0;
		for (t = 0; t < nt; t++) {
			if (pogo_sched_task_state(m.s, t) ==
			    POGO_SCHED_INFLIGHT)
				inflight[ninf++] = t;
		}
		/* The job never hangs: something is in flight. */
		if (ninf == 0)
			harness_fail(__FILE__, __LINE__,
			    "seed %" PRIu64 ": hangs\n%s", seed, yaml);
		pick = inflight[prop_rand(ninf)];
		i = prop_rand(10);
		oc = i < 7  ? POGO_SCHED_OK
		    : i < 9 ? POGO_SCHED_FAILED
		            : POGO_SCHED_SKIPPED;
		ASSERT_OK(pogo_sched_task_finished(m.s, pick, oc));
		model_finish(&md, pick, oc);
		prop_compare(&m, &md, runcount, retries, &seen);
		/* Sometimes retry a failed host of the active job. */
		if (!md.done && oc == POGO_SCHED_FAILED && prop_rand(4) == 0) {
			uint32_t pth = pogo_sched_task_thread(m.s, pick);

			ASSERT_OK(pogo_sched_retry(m.s, pick));
			retries[pick]++;
			md.state[pick] = POGO_SCHED_PENDING;
			md.blocked[pick] = false;
			md.detached[pick] =
			    pogo_sched_task_slot(m.s, pick) != md.active[pth];
			model_pass(&md);
			model_check_end(&md);
			prop_compare(&m, &md, runcount, retries, &seen);
		}
		if (++steps > 1000)
			harness_fail(__FILE__, __LINE__, "too many steps");
	}
	if (md.end == POGO_SCHED_FINISHED) {
		for (t = 0; t < nt; t++)
			ASSERT(pogo_sched_task_state(m.s, t) >
			    POGO_SCHED_INFLIGHT);
	}
	ASSERT_EQ(m.done, 1);
	for (i = 0; i < pogo_sched_ngroups(m.s); i++)
		ASSERT_EQ(pogo_sched_group_used(m.s, i), 0);
	free(md.state);
	free(md.holds);
	free(md.blocked);
	free(md.detached);
	free(md.used);
	free(md.active);
	free(runcount);
	free(retries);
	sim_free(&m);
}

TEST(property_random_configurations)
{
	uint64_t seed, n = 10000;
	const char *env = getenv("POGO_PROPERTY_CASES");

	if (env != NULL)
		n = strtoull(env, NULL, 10);
	for (seed = 1; seed <= n; seed++)
		prop_case(seed);
}

TEST(withdraw_returns_task_to_pending)
{
	struct sim m;

	sim_init(&m, "tag: {g: [a, b]}\nconstraint: {$g: {max_parallel: 1}}\n",
	    NULL);
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "b");
	pogo_sched_halt(m.s);
	ASSERT_OK(pogo_sched_withdraw(m.s, m.runs[0]));
	ASSERT_EQ(pogo_sched_task_state(m.s, m.runs[0]), POGO_SCHED_PENDING);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	ASSERT_EQ(pogo_sched_withdraw(m.s, m.runs[0]), POGO_ERR_STATE);
	pogo_sched_resume(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 1), "b");
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[1], POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 2), "a");
	sim_free(&m);
}

/*
 * Restore m's schedule (SPEC 6.4) from "host=X ..." with X one of P
 * (pending), I (in flight), O (ok), F (failed), S (skipped); hosts not
 * named are pending.
 */
static int
restore_as(struct sim *m, const char *spec)
{
	enum pogo_sched_task_state *st;
	char host[64], *eq;
	const char *p = spec;
	uint32_t n = pogo_sched_ntasks(m->s), t;
	size_t len;
	int r;

	st = xcalloc(n + 1, sizeof(*st));
	for (t = 0; t < n; t++)
		st[t] = POGO_SCHED_PENDING;
	while (*p != '\0') {
		len = strcspn(p, " ");
		ASSERT(len < sizeof(host));
		memcpy(host, p, len);
		host[len] = '\0';
		p += len + (p[len] == ' ');
		ASSERT((eq = strchr(host, '=')) != NULL);
		*eq = '\0';
		t = pogo_sched_find_task(m->s, host);
		ASSERT(t != UINT32_MAX);
		switch (eq[1]) {
		case 'I':
			st[t] = POGO_SCHED_INFLIGHT;
			break;
		case 'O':
			st[t] = POGO_SCHED_DONE_OK;
			break;
		case 'F':
			st[t] = POGO_SCHED_DONE_FAILED;
			break;
		case 'S':
			st[t] = POGO_SCHED_DONE_SKIPPED;
			break;
		default:
			st[t] = POGO_SCHED_PENDING;
			break;
		}
	}
	r = pogo_sched_restore(m->s, st);
	free(st);
	return r;
}

#define CFG_RESTORE_SEQ                          \
	"tag: {a: [h1, h2], b: [h3], c: [h4]}\n" \
	"sequence: [$a, $b, $c]\n"

#define CFG_RESTORE_LIMIT              \
	"tag: {g: [h1, h2, h3, h4]}\n" \
	"constraint: {$g: {max_parallel: 2}}\n"

TEST(restore_takes_units_again_and_emits_no_run)
{
	struct sim m;
	uint32_t h1, h3;

	sim_init(&m, CFG_RESTORE_LIMIT, NULL);
	ASSERT_OK(restore_as(&m, "h1=I h2=F"));
	/* In flight and failed hold their units; nothing is dispatched. */
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 2);
	ASSERT_EQ(m.nruns, 0);
	ASSERT_EQ(m.done, 0);
	h1 = pogo_sched_find_task(m.s, "h1");
	h3 = pogo_sched_find_task(m.s, "h3");
	ASSERT_EQ(pogo_sched_task_state(m.s, h1), POGO_SCHED_INFLIGHT);
	ASSERT(pogo_sched_task_holds_units(m.s, h1));
	/* The first pass: the group is full, nothing runs. */
	pogo_sched_start(m.s);
	ASSERT_EQ(m.nruns, 0);
	ASSERT_EQ(m.done, 0);
	/* A restore is once, before anything else. */
	ASSERT_EQ(restore_as(&m, ""), POGO_ERR_STATE);
	ASSERT_OK(pogo_sched_task_finished(m.s, h1, POGO_SCHED_OK));
	ASSERT_EQ(m.nruns, 1);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 2);
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[0], POGO_SCHED_OK));
	ASSERT_EQ(m.nruns, 2);
	ASSERT(m.runs[0] == h3 || m.runs[1] == h3);
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[1], POGO_SCHED_OK));
	/* h2 failed: the job is done, every unit released. */
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	sim_free(&m);
}

TEST(restore_resumes_a_sequence_at_its_active_slot)
{
	struct sim m;

	sim_init(&m, CFG_RESTORE_SEQ, NULL);
	ASSERT_OK(restore_as(&m, "h1=O h2=O h3=I"));
	pogo_sched_start(m.s);
	ASSERT_EQ(m.nruns, 0);
	ASSERT_EQ(pogo_sched_active_slot(m.s, 0), 1);
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "h3"), POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 0), "h4");
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[0], POGO_SCHED_OK));
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(restore_pending_slot_after_a_final_one_is_dispatched)
{
	struct sim m;

	/* Slot a ended, slot b had not been stored as started. */
	sim_init(&m, CFG_RESTORE_SEQ, NULL);
	ASSERT_OK(restore_as(&m, "h1=O h2=F"));
	ASSERT_EQ(m.nruns, 0);
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "h3");
	sim_free(&m);
}

TEST(restore_a_retry_of_an_earlier_slot_does_not_hold_the_thread)
{
	struct sim m;
	uint32_t h1;

	/* h1 was retried after slot a completed, while h3 runs. */
	sim_init(&m, CFG_RESTORE_SEQ, NULL);
	ASSERT_OK(restore_as(&m, "h1=P h2=O h3=I"));
	pogo_sched_start(m.s);
	ASSERT_STR_EQ(sim_runs(&m, 0), "h1");
	ASSERT_EQ(pogo_sched_active_slot(m.s, 0), 1);
	h1 = pogo_sched_find_task(m.s, "h1");
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "h3"), POGO_SCHED_OK));
	ASSERT_STR_EQ(sim_runs(&m, 1), "h4");
	ASSERT_OK(pogo_sched_task_finished(m.s, h1, POGO_SCHED_OK));
	ASSERT_EQ(m.done, 0);
	ASSERT_OK(pogo_sched_task_finished(m.s, m.runs[1], POGO_SCHED_OK));
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(restore_failed_hosts_deadlock_at_the_first_pass)
{
	struct sim m;

	sim_init(&m, CFG_RESTORE_LIMIT, NULL);
	ASSERT_OK(restore_as(&m, "h1=F h2=F"));
	ASSERT_EQ(m.done, 0);
	pogo_sched_start(m.s);
	ASSERT_EQ(m.nruns, 0);
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_DEADLOCKED);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	sim_free(&m);
}

TEST(restore_every_final_finishes_at_the_first_pass)
{
	struct sim m;

	sim_init(&m, CFG_RESTORE_SEQ, NULL);
	ASSERT_OK(restore_as(&m, "h1=O h2=S h3=O h4=F"));
	ASSERT_EQ(m.done, 0);
	pogo_sched_start(m.s);
	ASSERT_EQ(m.done, 1);
	ASSERT_EQ(m.end, POGO_SCHED_FINISHED);
	sim_free(&m);
}

TEST(restore_shared_counters_before_any_pass)
{
	struct pogo_sched_counters *ctrs = pogo_sched_counters_new();
	struct sim a, b;

	sim_init_shared(&a, CFG_RESTORE_LIMIT, NULL, ctrs, NULL);
	sim_init_shared(&b, CFG_RESTORE_LIMIT, NULL, ctrs, NULL);
	ASSERT_OK(restore_as(&a, "h1=I h2=I"));
	ASSERT_OK(restore_as(&b, "h1=O"));
	ASSERT_EQ(pogo_sched_group_used(a.s, 0), 2);
	/* b waits for the units a's hosts in flight hold. */
	pogo_sched_start(b.s);
	pogo_sched_start(a.s);
	ASSERT_EQ(a.nruns + b.nruns, 0);
	ASSERT_EQ(a.done + b.done, 0);
	/* A halt keeps the units of the hosts in flight. */
	pogo_sched_halt(a.s);
	ASSERT_EQ(pogo_sched_group_used(a.s, 0), 2);
	ASSERT_OK(pogo_sched_task_finished(
	    a.s, pogo_sched_find_task(a.s, "h1"), POGO_SCHED_OK));
	ASSERT_EQ(b.nruns, 1);
	ASSERT_EQ(pogo_sched_group_used(a.s, 0), 2);
	sim_free(&a);
	sim_free(&b);
	pogo_sched_counters_free(ctrs);
}

TEST(restore_then_halt_runs_nothing)
{
	struct sim m;

	sim_init(&m, CFG_RESTORE_LIMIT, NULL);
	ASSERT_OK(restore_as(&m, "h1=I"));
	pogo_sched_halt(m.s);
	ASSERT_EQ(m.nruns, 0);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 1);
	ASSERT_OK(pogo_sched_task_finished(
	    m.s, pogo_sched_find_task(m.s, "h1"), POGO_SCHED_OK));
	ASSERT_EQ(m.nruns, 0);
	ASSERT_EQ(m.done, 0);
	ASSERT_EQ(pogo_sched_group_used(m.s, 0), 0);
	sim_free(&m);
}
