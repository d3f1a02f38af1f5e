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
	struct pogo_dedup *d = pogo_dedup_new(100);
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
	struct pogo_dedup *d = pogo_dedup_new(3);
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
