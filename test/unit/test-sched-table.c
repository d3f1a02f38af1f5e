/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/sched-table.c: the byte-exact tables of SPEC 13.4
 * (P-1 to P-12) from test/data/sched/, plus the wrapping rules.
 */
#include "pogo/compat.h"

#include "sched-sim.h"
#include "pogo/sched-table.h"

/* Build the golden case NAME and compare its table with NAME.expected. */
static void
golden(const char *name, bool has_targets)
{
	char path[256], *yaml, *expect, *targets = NULL, *table, *nl;
	struct sim m;

	snprintf(path, sizeof(path), "sched/%s.yaml", name);
	yaml = harness_data(path, NULL);
	snprintf(path, sizeof(path), "sched/%s.expected", name);
	expect = harness_data(path, NULL);
	if (has_targets) {
		snprintf(path, sizeof(path), "sched/%s.targets", name);
		targets = harness_data(path, NULL);
		if ((nl = strchr(targets, '\n')) != NULL)
			*nl = '\0';
	}
	if (targets == NULL) {
		/* The whole configuration: configured and slot hosts. */
		struct pogo_sched_config *cfg = NULL;
		struct pogo_strv h = { 0 };
		const struct pogo_strtab *st;
		const uint32_t *v;
		char *cause = NULL;
		size_t i, n, th, sl;

		ASSERT_OK(
		    pogo_sched_config_parse(yaml, strlen(yaml), &cfg, &cause));
		ASSERT_OK(pogo_sched_config_build(cfg, &cause));
		st = pogo_sched_config_hosts(cfg);
		n = pogo_sched_config_nconfigured(cfg);
		for (i = 0; i < n; i++)
			pogo_strv_push(&h, pogo_strtab_get(st, (uint32_t)i));
		for (th = 0; th < pogo_sched_config_nthreads(cfg); th++) {
			for (sl = 0; sl < pogo_sched_config_nslots(cfg, th);
			     sl++) {
				v = pogo_sched_config_slot_hosts(
				    cfg, th, sl, &n);
				for (i = 0; i < n; i++)
					pogo_strv_push(
					    &h, pogo_strtab_get(st, v[i]));
			}
		}
		memset(&m, 0, sizeof(m));
		m.cfg = cfg;
		m.hosts = h;
		{
			static const struct pogo_sched_cbs cbs = { 0 };

			ASSERT_OK(pogo_sched_new(
			    cfg, &h, NULL, NULL, &cbs, NULL, &m.s, &cause));
		}
	} else
		sim_init(&m, yaml, targets);
	table = pogo_sched_table(m.s, UINT32_MAX);
	ASSERT_STR_EQ(table, expect);
	free(table);
	sim_free(&m);
	free(yaml);
	free(expect);
	free(targets);
}

TEST(P_1_triple)
{
	golden("p01-triple", false);
}

TEST(P_2_attributes)
{
	golden("p02-attributes", false);
}

TEST(P_3_constraint_in_slot)
{
	golden("p03-constraint-slot", false);
}

TEST(P_4_no_sequence)
{
	golden("p04-no-sequence", false);
}

TEST(P_5_ranges)
{
	golden("p05-ranges", false);
}

TEST(P_6_literal_hosts)
{
	golden("p06-one", false);
}

TEST(P_7_wrapping_and_alignment)
{
	golden("p07-wrap", false);
}

TEST(P_8_unconstrained_leftover)
{
	golden("p08-leftover", false);
}

TEST(P_9_parent_tag)
{
	golden("p09-parent", false);
}

TEST(P_11_targets)
{
	golden("p11-targets", true);
}

TEST(P_12_empty_slot_keeps_name)
{
	golden("p12-empty-slot", true);
}

/*
 * SPEC 4.4 on one cell: a 60-byte word is cut to 50 (its comma with it),
 * the line "7" matches the number pattern and is right-aligned, the other
 * lines are left-aligned, and widths are 2 + the longest line.
 */
TEST(long_word_is_cut_and_numbers_align_right)
{
	golden("cut-align", true);
}
