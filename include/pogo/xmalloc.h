/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Allocation that cannot fail: on exhaustion these call fatalx() and never
 * return NULL, so callers never check.  Input from outside must be bounded
 * before it reaches them (STYLE.md 10.3).
 */
#ifndef POGO_XMALLOC_H
#define POGO_XMALLOC_H

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
int xasprintf(char **ret, const char *fmt, ...) POGO_PRINTFLIKE(2, 3);
int xvasprintf(char **ret, const char *fmt, va_list ap) POGO_PRINTFLIKE(2, 0);

/* Wipe len bytes at p, then free p; NULL-safe.  For secrets. */
void pogo_freezero(void *p, size_t len);

#endif
