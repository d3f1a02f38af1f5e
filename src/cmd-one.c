/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo one: registered so that help and usage list it; it is not
 * implemented yet and says so (exit 2) instead of pretending to work.
 */
#include "pogo/compat.h"

#include "pogo/cmd.h"

static int cmd_one_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_one = {
	.name = "one",
	.usage = "--targets LIST --run-command CMD [--config FILE] [options]",
	.summary =
	    "run one job from this process (dispatcher and worker in one)",
	.flags = POGO_CMD_STUB,
	.main = cmd_one_main,
};

static int
cmd_one_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	return pogo_cmd_not_implemented(&pogo_cmd_one);
}
