/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only file that includes libcyaml; cyaml_err_t becomes
 * POGO_ERR_CONFIG with a cause here.
 */
#include "pogo/compat.h"

#include <cyaml/cyaml.h>

#include "pogo/cfg.h"

const char *
pogo_cfg_version(void)
{
	return cyaml_version_str;
}
