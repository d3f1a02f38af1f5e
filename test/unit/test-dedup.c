/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/dedup.c: N-DEDUP's receiver side (a repeated run is
 * seen as a repeat and not run again, a repeated task_done is recognised),
 * taskstatus answers, and the bound on remembered done ids.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/dedup.h"

TEST(n_dedup_repeated_run_and_done)
{
	struct pogo_dedup *d = pogo_dedup_new(8, 100);
	int runs = 0, i;

	/* The dispatcher resends run 123 three times: it runs once. */
	for (i = 0; i < 3; i++) {
		if (pogo_dedup_see(d, "123") == POGO_DEDUP_UNKNOWN)
			runs++;
	}
	ASSERT_EQ(runs, 1);
	ASSERT_EQ(pogo_dedup_state(d, "123"), POGO_DEDUP_RUNNING);
	ASSERT_EQ(pogo_dedup_state(d, "124"), POGO_DEDUP_UNKNOWN);
	pogo_dedup_done(d, "123");
	/* taskstatus: done; a late resend of the run is still a repeat. */
	ASSERT_EQ(pogo_dedup_state(d, "123"), POGO_DEDUP_DONE);
	ASSERT_EQ(pogo_dedup_see(d, "123"), POGO_DEDUP_DONE);
	/* The dispatcher's side: the first task_done counts, repeats not. */
	ASSERT_EQ(pogo_dedup_state(d, "9"), POGO_DEDUP_UNKNOWN);
	pogo_dedup_done(d, "9");
	pogo_dedup_done(d, "9");
	ASSERT_EQ(pogo_dedup_state(d, "9"), POGO_DEDUP_DONE);
	ASSERT_EQ(pogo_dedup_count(d), 2);
	pogo_dedup_free(d);
	pogo_dedup_free(NULL);
}

TEST(oldest_done_ids_forgotten_running_kept)
{
	struct pogo_dedup *d = pogo_dedup_new(8, 3);
	char id[16];
	int i;

	ASSERT_EQ(pogo_dedup_see(d, "running"), POGO_DEDUP_UNKNOWN);
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		ASSERT_EQ(pogo_dedup_see(d, id), POGO_DEDUP_UNKNOWN);
		pogo_dedup_done(d, id);
	}
	ASSERT_EQ(pogo_dedup_count(d), 4);
	ASSERT_EQ(pogo_dedup_state(d, "running"), POGO_DEDUP_RUNNING);
	for (i = 0; i < 7; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		ASSERT_EQ(pogo_dedup_state(d, id), POGO_DEDUP_UNKNOWN);
	}
	for (i = 7; i < 10; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		ASSERT_EQ(pogo_dedup_state(d, id), POGO_DEDUP_DONE);
	}
	pogo_dedup_free(d);
}

/*
 * The worker's call order: see, then decide; a run refused `busy` is
 * forgotten, so the same id sent again later is new and runs.
 */
TEST(run_refused_busy_is_forgotten_and_runs_when_sent_again)
{
	struct pogo_dedup *d = pogo_dedup_new(1, 10);

	ASSERT_EQ(pogo_dedup_see(d, "a"), POGO_DEDUP_UNKNOWN);
	/* The worker's one slot is taken by a: b is new but refused. */
	ASSERT_EQ(pogo_dedup_see(d, "b"), POGO_DEDUP_FULL);
	pogo_dedup_forget(d, "b");
	ASSERT_EQ(pogo_dedup_state(d, "b"), POGO_DEDUP_UNKNOWN);
	ASSERT_EQ(pogo_dedup_count(d), 1);
	pogo_dedup_done(d, "a");
	/* Sent again once a is done: it is new and runs. */
	ASSERT_EQ(pogo_dedup_see(d, "b"), POGO_DEDUP_UNKNOWN);
	ASSERT_EQ(pogo_dedup_state(d, "b"), POGO_DEDUP_RUNNING);
	/* The worker itself refused b (busy) after seeing it: forgotten. */
	pogo_dedup_forget(d, "b");
	ASSERT_EQ(pogo_dedup_see(d, "b"), POGO_DEDUP_UNKNOWN);
	/* Forgetting a done id or an unknown one changes nothing. */
	pogo_dedup_forget(d, "a");
	pogo_dedup_forget(d, "nope");
	ASSERT_EQ(pogo_dedup_state(d, "a"), POGO_DEDUP_DONE);
	ASSERT_EQ(pogo_dedup_see(d, "a"), POGO_DEDUP_DONE);
	ASSERT_EQ(pogo_dedup_count(d), 2);
	pogo_dedup_free(d);
}

/* A peer sending runs with fresh ids never makes it remember more. */
TEST(running_ids_bounded_by_max_running)
{
	struct pogo_dedup *d = pogo_dedup_new(4, 3);
	char id[16];
	int i, fresh = 0, full = 0;

	for (i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		switch (pogo_dedup_see(d, id)) {
		case POGO_DEDUP_UNKNOWN:
			fresh++;
			break;
		case POGO_DEDUP_FULL:
			full++;
			pogo_dedup_forget(d, id);
			break;
		default:
			harness_fail(__FILE__, __LINE__, "%s: a repeat?", id);
		}
	}
	ASSERT_EQ(fresh, 4);
	ASSERT_EQ(full, 10000 - 4);
	ASSERT_EQ(pogo_dedup_count(d), 4);
	/* A repeat of a running id is still a repeat when full. */
	ASSERT_EQ(pogo_dedup_see(d, "r0"), POGO_DEDUP_RUNNING);
	/* Done ids are bounded by max_done; running ones free a slot. */
	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		pogo_dedup_done(d, id);
	}
	ASSERT_EQ(pogo_dedup_count(d), 3);
	ASSERT_EQ(pogo_dedup_see(d, "new"), POGO_DEDUP_UNKNOWN);
	/* task_done of an id never seen (the dispatcher) is not running. */
	pogo_dedup_done(d, "x1");
	pogo_dedup_done(d, "x2");
	pogo_dedup_done(d, "x3");
	ASSERT_EQ(pogo_dedup_see(d, "new2"), POGO_DEDUP_UNKNOWN);
	ASSERT_EQ(pogo_dedup_see(d, "new3"), POGO_DEDUP_UNKNOWN);
	ASSERT_EQ(pogo_dedup_see(d, "new4"), POGO_DEDUP_UNKNOWN);
	ASSERT_EQ(pogo_dedup_see(d, "new5"), POGO_DEDUP_FULL);
	pogo_dedup_forget(d, "new5");
	ASSERT_EQ(pogo_dedup_count(d), 3 + 4);
	pogo_dedup_free(d);
}

/*
 * A done id whose report is not delivered yet is held: however many
 * others finish meanwhile, a resent run or a taskstatus still finds it
 * done.  Once released it ages out like the others.
 */
TEST(held_done_ids_kept_until_released)
{
	struct pogo_dedup *d = pogo_dedup_new(8, 3);
	char id[16];
	int i;

	ASSERT_EQ(pogo_dedup_see(d, "held"), POGO_DEDUP_UNKNOWN);
	pogo_dedup_done_held(d, "held");
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		ASSERT_EQ(pogo_dedup_see(d, id), POGO_DEDUP_UNKNOWN);
		pogo_dedup_done(d, id);
	}
	ASSERT_EQ(pogo_dedup_state(d, "held"), POGO_DEDUP_DONE);
	ASSERT_EQ(pogo_dedup_see(d, "held"), POGO_DEDUP_DONE);
	ASSERT_EQ(pogo_dedup_count(d), 4);
	pogo_dedup_release(d, "held");
	pogo_dedup_release(d, "held"); /* twice: no-op */
	pogo_dedup_release(d, "never");
	ASSERT_EQ(pogo_dedup_state(d, "held"), POGO_DEDUP_DONE);
	ASSERT_EQ(pogo_dedup_count(d), 3);
	for (i = 10; i < 13; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		ASSERT_EQ(pogo_dedup_see(d, id), POGO_DEDUP_UNKNOWN);
		pogo_dedup_done(d, id);
	}
	ASSERT_EQ(pogo_dedup_state(d, "held"), POGO_DEDUP_UNKNOWN);
	ASSERT_EQ(pogo_dedup_count(d), 3);
	pogo_dedup_free(d);
}
