/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: a resolver's output (pogo_resolver_parse, then the
 * configuration that receives the answer, SPEC 2.7).  The input is what
 * the resolver printed for the external reference of a small
 * configuration.  Output with a NUL byte is refused with a reason; other
 * output gives at most one host per line, without blanks around it, and
 * when the configuration builds, the reference's slot holds exactly those
 * hosts in the order printed (SPEC 2.9, slot host order; the schedule
 * removes repeated hosts later).
 */
#include "pogo/compat.h"

#include "pogo/resolver.h"
#include "pogo/sched-config.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz_yaml[] =
    "tag:\n  t: [h1]\nsequence: [\"Ex one two\", $t]\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pogo_sched_config *cfg = NULL;
	struct pogo_strv hosts = { 0 };
	const struct pogo_strtab *st;
	const uint32_t *v;
	char *buf, *cause = NULL, *reason = NULL;
	size_t i, n, lines = 1;
	const char *h;

	if (size > 65536)
		return 0;
	buf = xmalloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (pogo_resolver_parse(buf, size, &hosts, &reason) != 0) {
		if (reason == NULL || memchr(data, '\0', size) == NULL)
			abort();
		free(reason);
		goto out;
	}
	if (reason != NULL || hosts.n > lines)
		abort();
	for (i = 0; i < hosts.n; i++) {
		h = hosts.v[i];
		n = strlen(h);
		if (n == 0 || h[0] == ' ' || h[0] == '\t' || h[0] == '#' ||
		    h[n - 1] == ' ' || h[n - 1] == '\t' || h[n - 1] == '\r' ||
		    strchr(h, '\n') != NULL)
			abort();
	}
	if (pogo_sched_config_parse(
	        fuzz_yaml, strlen(fuzz_yaml), &cfg, &cause) != 0 ||
	    pogo_sched_config_nrefs(cfg) != 1)
		abort();
	pogo_sched_config_set_ref(cfg, 0, &hosts);
	if (pogo_sched_config_build(cfg, &cause) == 0) {
		st = pogo_sched_config_hosts(cfg);
		v = pogo_sched_config_slot_hosts(cfg, 0, 0, &n);
		if (n != hosts.n)
			abort();
		for (i = 0; i < n; i++) {
			if (strcmp(pogo_strtab_get(st, v[i]), hosts.v[i]) != 0)
				abort();
		}
	} else if (cause == NULL)
		abort();
	free(cause);
	pogo_sched_config_free(cfg);
out:
	pogo_strv_clear(&hosts);
	free(buf);
	return 0;
}
