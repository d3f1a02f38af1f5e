/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo dispatcher: registered so that help and usage list it; it is not
 * implemented yet and says so (exit 2) instead of pretending to work.
 */
#include "pogo/compat.h"

#include "pogo/cmd.h"

static int cmd_dispatcher_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_dispatcher = {
	.name = "dispatcher",
	.usage = "[-f FILE] [-o KEY=VALUE]... [-v]... [-a|--api] [--insecure]",
	.summary = "dispatcher daemon: jobs, scheduling, state",
	.flags = POGO_CMD_STUB,
	.main = cmd_dispatcher_main,
};

static int
cmd_dispatcher_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	return pogo_cmd_not_implemented(&pogo_cmd_dispatcher);
}
