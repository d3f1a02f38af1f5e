/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the daemon configuration file and -o overrides.  The
 * input is the document, then optionally a NUL byte and overrides, one
 * KEY=VALUE per line.  A load either succeeds with every string set or
 * fails with a message; the file size bound and libcyaml's string and
 * list bounds keep the memory per input small.
 */
#include "pogo/compat.h"

#include "pogo/cfg.h"
#include "pogo/xmalloc.h"

#define FUZZ_MAX_OVERRIDES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *ov[FUZZ_MAX_OVERRIDES];
	struct pogo_cfg_src src = { .home = "/home/fuzz", .hostname = "fuzz" };
	struct pogo_cfg *cfg = NULL;
	const uint8_t *nul;
	char *cause = NULL, *rest = NULL, *line, *nl;
	size_t doclen = size, n = 0, i;
	int r;

	if (size > 2 * POGO_CFG_MAX_BYTES)
		return 0;
	if ((nul = memchr(data, '\0', size)) != NULL) {
		doclen = (size_t)(nul - data);
		rest = xstrndup((const char *)nul + 1, size - doclen - 1);
		for (line = rest; line != NULL && n < FUZZ_MAX_OVERRIDES;
		     line = nl) {
			if ((nl = strchr(line, '\n')) != NULL)
				*nl++ = '\0';
			ov[n++] = line;
		}
	}
	src.overrides = ov;
	src.noverrides = n;
	r = pogo_cfg_load_text(
	    (const char *)data, doclen, "fuzz.yaml", &src, &cfg, &cause);
	if (r == 0) {
		if (cfg == NULL || cause != NULL || cfg->state_dir == NULL ||
		    cfg->worker.name == NULL || cfg->worker.ndispatchers == 0 ||
		    cfg->worker.ssh.known_hosts == NULL)
			abort();
		for (i = 0; i < cfg->worker.ndispatchers; i++) {
			if (cfg->worker.dispatchers[i].port < 1 ||
			    cfg->worker.dispatchers[i].port > 65535)
				abort();
		}
	} else if (cfg != NULL || cause == NULL)
		abort();
	free(cause);
	pogo_cfg_free(cfg);
	free(rest);
	return 0;
}
