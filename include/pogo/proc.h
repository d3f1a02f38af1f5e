/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The process's event loop (tmux proc.c): every role runs on one libuv
 * loop created and closed here.  Signals, pid files and graceful shutdown
 * join this module with the daemons.
 */
#ifndef POGO_PROC_H
#define POGO_PROC_H

#include <uv.h>

/* Initialise loop and route libuv's allocations through xmalloc. */
int pogo_proc_loop_init(uv_loop_t *loop);

/*
 * Close every handle still open, run the loop until they are closed and
 * close it.  Returns 0, or the error of uv_loop_close().
 */
int pogo_proc_loop_close(uv_loop_t *loop);

#endif
