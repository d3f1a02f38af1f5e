/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The schedule of a job as data, for GET /v1/jobs/:jobid/schedule and
 * the web UI's schedule and constraint views: the job's threads and
 * slots as pogo schedule prints them (SPEC 4), each slot's progress, and
 * the job's constraint groups, from the stored configuration, hosts and
 * host states.  The scheduler's own code builds the schedule (SPEC 3.2)
 * and restores it from the states (pogo_sched_restore(), as a restarted
 * dispatcher does), so the view is the scheduler's, not a copy of its
 * rules.  Pure: no I/O, safe in the thread pool.
 */
#ifndef POGO_SCHED_VIEW_H
#define POGO_SCHED_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "pogo/str.h"

struct pogo_json;

/* Above this many hosts the answer has no ASCII table ("table": null). */
#define POGO_SCHED_VIEW_TABLE_MAX 10000

/*
 * Add the view of a job to the object o:
 *   "threads": [{"name", "active_slot": index or null, "slots": [{"name",
 *       "count": hosts, "summary": {host state: n, ...}, "hosts": [the
 *       first max host names in slot order]}]}],
 *   "groups": [{"name", "limit", "count": the job's hosts in the group,
 *       "used": units in use, "holders": [the first max holding hosts]}],
 *   "table": the text of pogo schedule, each slot's cell with its first
 *       max hosts and "... N more" for the rest (the whole text when no
 *       slot has more than max), or null without with_table or above
 *       POGO_SCHED_VIEW_TABLE_MAX hosts.
 * config is the job's configuration (YAML) or NULL, concurrent its
 * `concurrent` or NULL, hosts its hosts in job order and states[i] the
 * state (enum pogo_host_state) of hosts->v[i]; active says whether the
 * job is active (gathering, running): an ended job holds units only for
 * its hosts in flight (pogo_sched_halt()).  Summaries leave out states
 * with no host.  Returns 0, or POGO_ERR_CONFIG with *cause (the
 * configuration does not build, has resolver references (see
 * pogo_sched_view_refs()), or concurrent
 * is invalid); o is then unchanged.
 */
int pogo_sched_view(const char *config, const char *concurrent,
    const struct pogo_strv *hosts, const uint8_t *states, bool active,
    uint32_t max, bool with_table, struct pogo_json *o, char **cause);

/*
 * The answer an external reference (SPEC 2.7) of a job's configuration
 * got at submission, as the dispatcher stored it (store.h): reference idx
 * (text ref) answered with hosts, or failed with failure.
 */
struct pogo_sched_view_ref {
	uint32_t idx;
	char *ref;
	struct pogo_strv hosts;
	char *failure; /* NULL: answered with hosts */
};

/*
 * The same for a configuration with external references: refs[0..nrefs)
 * answer them (every one must be answered, else POGO_ERR_CONFIG).
 */
int pogo_sched_view_refs(const char *config,
    const struct pogo_sched_view_ref *refs, size_t nrefs,
    const char *concurrent, const struct pogo_strv *hosts,
    const uint8_t *states, bool active, uint32_t max, bool with_table,
    struct pogo_json *o, char **cause);

#endif
