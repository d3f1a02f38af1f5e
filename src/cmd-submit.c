/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo submit: registered so that help and usage list it; it is not
 * implemented yet and says so (exit 2) instead of pretending to work.
 */
#include "pogo/compat.h"

#include "pogo/cmd.h"

static int cmd_submit_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_submit = {
	.name = "submit",
	.usage = "[--api URL] --targets LIST --command CMD [options]",
	.summary = "submit a job to the API, optionally follow it",
	.flags = POGO_CMD_STUB,
	.main = cmd_submit_main,
};

static int
cmd_submit_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	return pogo_cmd_not_implemented(&pogo_cmd_submit);
}
