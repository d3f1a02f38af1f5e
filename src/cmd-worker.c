/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo worker: registered so that help and usage list it; it is not
 * implemented yet and says so (exit 2) instead of pretending to work.
 */
#include "pogo/compat.h"

#include "pogo/cmd.h"

static int cmd_worker_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_worker = {
	.name = "worker",
	.usage = "[-f FILE] [-o KEY=VALUE]... [-v]... [--dispatcher "
	         "HOST:PORT]... [--insecure]",
	.summary = "worker daemon: runs tasks over SSH",
	.flags = POGO_CMD_STUB,
	.main = cmd_worker_main,
};

static int
cmd_worker_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	return pogo_cmd_not_implemented(&pogo_cmd_worker);
}
