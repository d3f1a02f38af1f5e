/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Namespaces (SPEC 2.10): configurations stored on the dispatcher as the
 * files <namespace_dir>/<name>.yaml, read when a job is submitted (so an
 * edit applies to later jobs) and replaced atomically by POST
 * /v1/namespaces/<ns>/constraints.  A name is [A-Za-z0-9_][A-Za-z0-9_.-]*;
 * any other name is no namespace, and no path is ever made from it.
 *
 * Every function but pogo_namespace_name_valid() does blocking file I/O:
 * call them from the thread pool (uv_queue_work), never on the loop.
 */
#ifndef POGO_NAMESPACE_H
#define POGO_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>

#include "pogo/str.h"

/* The largest namespace file read or written (the API's body limit). */
#define POGO_NAMESPACE_MAX_SIZE (8 * 1024 * 1024)

/* Is name a namespace name (SPEC 2.10)? */
bool pogo_namespace_name_valid(const char *name);

/*
 * Read namespace name of dir.  Returns 0 with *textp (NUL-terminated,
 * freed by the caller) and *lenp; POGO_ERR_NOTFOUND when the name is not
 * valid or there is no such file; another error with *cause otherwise.
 */
int pogo_namespace_read(const char *dir, const char *name, char **textp,
    size_t *lenp, char **cause);

/*
 * The namespaces of dir, sorted in byte order, appended to names.  A
 * missing dir holds none.  Returns 0, or an error with *cause.
 */
int pogo_namespace_list(const char *dir, struct pogo_strv *names, char **cause);

/*
 * Replace (or create) namespace name of dir with text: a temporary file
 * in dir, written and synced, renamed over <name>.yaml, and dir synced.
 * dir is made (mode 0755) if it is missing.  Returns 0, POGO_ERR_NOTFOUND
 * for a name that is not valid, or an error with *cause.
 */
int pogo_namespace_write(const char *dir, const char *name, const char *text,
    size_t len, char **cause);

#endif
