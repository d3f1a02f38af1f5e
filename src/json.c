/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only file that includes cJSON.  cJSON's NULL returns become
 * POGO_ERR_JSON here.
 */
#include "pogo/compat.h"

#include <cjson/cJSON.h>

#include "pogo/json.h"

const char *
pogo_json_version(void)
{
	return cJSON_Version();
}
