/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The first include of every pogo source file.  It selects the feature
 * macros, pulls in the system headers that nearly every file needs, defines
 * the attribute and helper macros of the house style and finally includes
 * banned.h, so that a banned libc call fails to build anywhere in pogo.
 */
#ifndef POGO_COMPAT_H
#define POGO_COMPAT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define POGO_PRINTFLIKE(a, b) __attribute__((format(printf, a, b)))
#define POGO_NORETURN __attribute__((noreturn))
#define POGO_UNUSED __attribute__((unused))
#define POGO_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))
#endif

/* glibc 2.36 has no strlcpy; ours has the BSD semantics. */
size_t pogo_strlcpy(char *dst, const char *src, size_t size);
#define strlcpy pogo_strlcpy

#include "pogo/banned.h"

#endif
