/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Job target lists: range expansion plus the host-name rules and the
 * per-job host limit of SPEC 5.2.  Used by every client of jobs (pogo one,
 * pogo schedule --targets, later pogo submit and the dispatcher).
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/range.h"
#include "pogo/strtab.h"
#include "pogo/target.h"
#include "pogo/xmalloc.h"

bool
pogo_target_valid_host(const char *name)
{
	size_t i;

	if (name[0] == '\0' || name[0] == '-')
		return false;
	for (i = 0; name[i] != '\0'; i++) {
		char c = name[i];

		if (i >= 255)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		        c == '_' || c == ':' || c == '%'))
			return false;
	}
	return true;
}

int
pogo_target_expand(const char *pattern, struct pogo_strv *out, char **cause)
{
	size_t start = out->n, i;
	uint64_t n;
	int r;

	*cause = NULL;
	/* Count first: nothing is made for a pattern over the job's cap. */
	if (pogo_range_count(pattern, POGO_TARGET_MAX_HOSTS, &n) ==
	    POGO_ERR_LIMIT) {
		xasprintf(cause,
		    "invalid range pattern '%s': a job has at most %d hosts",
		    pattern, POGO_TARGET_MAX_HOSTS);
		return POGO_ERR_LIMIT;
	}
	if ((r = pogo_range_expand(
	         pattern, POGO_TARGET_MAX_HOSTS, out, cause)) != 0)
		return r;
	for (i = start; i < out->n; i++) {
		if (!pogo_target_valid_host(out->v[i])) {
			xasprintf(cause, "invalid host name '%s'", out->v[i]);
			r = POGO_ERR_RANGE;
			break;
		}
	}
	/* Bound the list before de-duplication too (many @FILE lines). */
	if (r == 0 && out->n > POGO_RANGE_MAX_ITEMS) {
		xasprintf(
		    cause, "more than %u target names", POGO_RANGE_MAX_ITEMS);
		r = POGO_ERR_LIMIT;
	}
	if (r != 0) {
		while (out->n > start)
			free(out->v[--out->n]);
	}
	return r;
}

void
pogo_target_dedup(struct pogo_strv *hosts)
{
	struct pogo_strtab *seen = pogo_strtab_new();
	size_t i, k = 0;
	bool added;

	for (i = 0; i < hosts->n; i++) {
		pogo_strtab_intern(
		    seen, hosts->v[i], strlen(hosts->v[i]), &added);
		if (added)
			hosts->v[k++] = hosts->v[i];
		else
			free(hosts->v[i]);
	}
	hosts->n = k;
	pogo_strtab_free(seen);
}

/*
 * A target list is text: refuse NUL bytes (a UTF-16 file would otherwise
 * read as one truncated host) and invalid UTF-8, naming the line.
 */
static int
target_check_text(const char *what, const char *buf, size_t len, char **cause)
{
	const char *nul = memchr(buf, '\0', len);
	size_t bad = len, line = 1, i;
	const char *why = NULL;

	if (nul != NULL) {
		bad = (size_t)(nul - buf);
		why = "a NUL byte (not a text file: UTF-16?)";
	}
	if (!pogo_str_utf8_valid(buf, bad, &bad))
		why = "invalid UTF-8";
	if (why == NULL)
		return 0;
	for (i = 0; i < bad; i++)
		line += buf[i] == '\n';
	xasprintf(cause, "%s: line %zu: %s", what, line, why);
	return POGO_ERR_RANGE;
}

int
pogo_target_parse(const char *arg, struct pogo_strv *out, char **cause)
{
	char *buf = NULL, *line, *cursor;
	size_t len, start = out->n;
	int r;

	*cause = NULL;
	if (arg[0] != '@') {
		if ((r = target_check_text(
		         "targets", arg, strlen(arg), cause)) == 0)
			r = pogo_target_expand(arg, out, cause);
		goto out;
	}
	if ((r = pogo_str_read_file(arg + 1, 64 * 1024 * 1024, &buf, &len)) !=
	    0) {
		xasprintf(cause, "%s: %s", arg + 1, pogo_strerror(r));
		return r;
	}
	if ((r = target_check_text(arg + 1, buf, len, cause)) != 0)
		goto out;
	cursor = buf;
	while ((line = pogo_str_next_line(&cursor)) != NULL) {
		if ((r = pogo_target_expand(line, out, cause)) != 0)
			goto out;
	}
	r = 0;
out:
	free(buf);
	if (r == 0) {
		pogo_target_dedup(out);
		if (out->n == 0) {
			xasprintf(cause, "no targets in '%s'", arg);
			r = POGO_ERR_RANGE;
		} else if (out->n > POGO_TARGET_MAX_HOSTS) {
			xasprintf(cause, "a job has at most %d hosts",
			    POGO_TARGET_MAX_HOSTS);
			r = POGO_ERR_LIMIT;
		}
	}
	/* A refused list is empty: nothing of it reaches the caller. */
	if (r != 0) {
		while (out->n > start)
			free(out->v[--out->n]);
	}
	return r;
}
