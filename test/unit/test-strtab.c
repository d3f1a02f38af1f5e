/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/strtab.c. */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/strtab.h"

TEST(dense_ids_in_insertion_order)
{
	struct pogo_strtab *st = pogo_strtab_new();
	bool added;

	ASSERT_EQ(pogo_strtab_intern(st, "a", 1, &added), 0);
	ASSERT(added);
	ASSERT_EQ(pogo_strtab_intern(st, "bb", 2, &added), 1);
	ASSERT_EQ(pogo_strtab_intern(st, "a", 1, &added), 0);
	ASSERT(!added);
	ASSERT_EQ(pogo_strtab_count(st), 2);
	ASSERT_STR_EQ(pogo_strtab_get(st, 1), "bb");
	ASSERT_EQ(pogo_strtab_len(st, 1), 2);
	ASSERT_EQ(pogo_strtab_len(st, 0), 1);
	ASSERT_EQ(pogo_strtab_find(st, "c", 1), POGO_STRTAB_NONE);
	/* Length-bounded lookups do not read past len. */
	ASSERT_EQ(pogo_strtab_find(st, "abc", 1), 0);
	pogo_strtab_free(st);
}

TEST(many_strings_survive_growth)
{
	struct pogo_strtab *st = pogo_strtab_new();
	char buf[32];
	uint32_t i;
	int n;

	for (i = 0; i < 100000; i++) {
		n = snprintf(buf, sizeof(buf), "host%u", i);
		ASSERT_EQ(pogo_strtab_intern(st, buf, (size_t)n, NULL), i);
	}
	for (i = 0; i < 100000; i += 997) {
		n = snprintf(buf, sizeof(buf), "host%u", i);
		ASSERT_EQ(pogo_strtab_find(st, buf, (size_t)n), i);
		ASSERT_STR_EQ(pogo_strtab_get(st, i), buf);
	}
	ASSERT_EQ(pogo_strtab_find(st, "", 0), POGO_STRTAB_NONE);
	pogo_strtab_free(st);
}
