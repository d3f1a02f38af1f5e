/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Loop set-up and a checked close: after the roles stopped, whatever is
 * left is closed and uv_loop_close() must succeed (libuv's
 * MAKE_VALGRIND_HAPPY).  Used by every subcommand that runs a loop.
 */
#include "pogo/compat.h"

#include "pogo/proc.h"
#include "pogo/xmalloc.h"

static void *
proc_malloc(size_t size)
{
	return xmalloc(size);
}

static void *
proc_realloc(void *p, size_t size)
{
	return xreallocarray(p, size, 1);
}

static void *
proc_calloc(size_t n, size_t size)
{
	return xcalloc(n, size);
}

int
pogo_proc_loop_init(uv_loop_t *loop)
{
	static bool replaced;

	if (!replaced) {
		uv_replace_allocator(
		    proc_malloc, proc_realloc, proc_calloc, free);
		replaced = true;
	}
	return uv_loop_init(loop);
}

static void
proc_close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int
pogo_proc_loop_close(uv_loop_t *loop)
{
	uv_walk(loop, proc_close_walk, NULL);
	uv_run(loop, UV_RUN_DEFAULT);
	return uv_loop_close(loop);
}
