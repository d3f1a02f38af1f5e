/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A scheduler configuration (SPEC 2): tags, sequences and constraints,
 * parsed from YAML into host-id lists.  Pure: no I/O.  External
 * references (SPEC 2.7) are collected at parse time and answered by the
 * caller before pogo_sched_config_build(), so that resolvers can run
 * asynchronously outside this module.
 *
 * Life cycle: pogo_sched_config_parse() -> for each reference
 * pogo_sched_config_set_ref() -> pogo_sched_config_build() -> read-only use
 * by any number of schedules -> pogo_sched_config_free().
 */
#ifndef POGO_SCHED_CONFIG_H
#define POGO_SCHED_CONFIG_H

#include "pogo/str.h"

struct pogo_sched_config;
struct pogo_strtab;

/*
 * Parse YAML text.  Returns 0 with *cfgp owning a new configuration, or
 * POGO_ERR_CONFIG with *cause set (SPEC 2.11 messages, positional ones
 * prefixed "line L, column C: "), freed by the caller.
 */
int pogo_sched_config_parse(const char *text, size_t len,
    struct pogo_sched_config **cfgp, char **cause);

/* Most host entries (range-expanded tag leaves) in one configuration. */
#define POGO_SCHED_CONFIG_MAX_ENTRIES 10000000u

/*
 * Most distinct hosts in one configuration, as in one job (SPEC 5.2).  A
 * tag pattern with more names is refused by counting, before any name is
 * made: "invalid range pattern '<p>': more than 1000000 hosts in the
 * configuration".
 */
#define POGO_SCHED_CONFIG_MAX_HOSTS 1000000u
/* The most distinct external references (SPEC 2.7) of a configuration. */
#define POGO_SCHED_CONFIG_MAX_REFS 1024u

/*
 * The same with a smaller limit on the configuration's host entries (0
 * means POGO_SCHED_CONFIG_MAX_ENTRIES); for fuzzing and tests.
 */
int pogo_sched_config_parse_limit(const char *text, size_t len,
    size_t max_entries, struct pogo_sched_config **cfgp, char **cause);

/* The empty configuration of SPEC 2.1, already built. */
struct pogo_sched_config *pogo_sched_config_empty(void);

void pogo_sched_config_free(struct pogo_sched_config *cfg);

/* External references still to answer: count and text ("Name a b"). */
size_t pogo_sched_config_nrefs(const struct pogo_sched_config *cfg);
const char *pogo_sched_config_ref(
    const struct pogo_sched_config *cfg, size_t i);

/*
 * Answer reference i with the resolver's hosts (in printed order), or with
 * the failure reason: then build fails with
 * "resolver '<Name>' failed: <reason>".
 */
void pogo_sched_config_set_ref(
    struct pogo_sched_config *cfg, size_t i, const struct pogo_strv *hosts);
void pogo_sched_config_fail_ref(
    struct pogo_sched_config *cfg, size_t i, const char *reason);

/*
 * The answer of reference i: false while it has none; else true, with
 * its hosts (in the order given to pogo_sched_config_set_ref()) appended
 * to hosts, or *failurep set (borrowed) when it failed.  For the
 * dispatcher, which stores the answers with the job (SPEC 6.4).
 */
bool pogo_sched_config_ref_answer(const struct pogo_sched_config *cfg, size_t i,
    struct pogo_strv *hosts, const char **failurep);

/*
 * Check a resolver reference: its first word must be a valid resolver
 * name.  Returns 0 or POGO_ERR_CONFIG.
 */
int pogo_sched_config_ref_name(const char *ref, char *name, size_t size);

/* Compute slots and constraint groups.  Returns 0 or POGO_ERR_CONFIG. */
int pogo_sched_config_build(struct pogo_sched_config *cfg, char **cause);

/* Read access for the scheduler (valid after build). */
const struct pogo_strtab *pogo_sched_config_hosts(
    const struct pogo_sched_config *cfg);
/*
 * The configured hosts (SPEC 2.6) are the host ids 0 .. n-1, in
 * config-host order (SPEC 2.9); this returns n.
 */
uint32_t pogo_sched_config_nconfigured(const struct pogo_sched_config *cfg);
size_t pogo_sched_config_nthreads(const struct pogo_sched_config *cfg);
size_t pogo_sched_config_nslots(
    const struct pogo_sched_config *cfg, size_t thread);
const char *pogo_sched_config_slot_name(
    const struct pogo_sched_config *cfg, size_t thread, size_t slot);
const uint32_t *pogo_sched_config_slot_hosts(
    const struct pogo_sched_config *cfg, size_t thread, size_t slot,
    size_t *np);
size_t pogo_sched_config_ngroups(const struct pogo_sched_config *cfg);
const char *pogo_sched_config_group_name(
    const struct pogo_sched_config *cfg, size_t group);
uint32_t pogo_sched_config_group_limit(
    const struct pogo_sched_config *cfg, size_t group);
const uint32_t *pogo_sched_config_group_hosts(
    const struct pogo_sched_config *cfg, size_t group, size_t *np);

/*
 * Members of a tag path (without '$') in member order (SPEC 2.9); empty
 * for an unknown tag.  For tests and tools.  *np is set.
 */
const uint32_t *pogo_sched_config_tag_members(
    struct pogo_sched_config *cfg, const char *tag, size_t *np);

/*
 * Every tag path (without '$') whose members include host, in byte
 * order, appended to tags (GET /v1/namespaces/:ns/hosts/:host/tags).
 * Valid after build.
 */
void pogo_sched_config_host_tags(
    struct pogo_sched_config *cfg, const char *host, struct pogo_strv *tags);

/* Parse a max_parallel value; G is the group size.  0 or POGO_ERR_CONFIG. */
int pogo_sched_config_limit(const char *value, size_t g, uint32_t *limitp);

#endif
