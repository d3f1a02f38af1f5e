/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* The only file that includes SQLite. */
#include "pogo/compat.h"

#include <sqlite3.h>

#include "pogo/store.h"

const char *
pogo_store_version(void)
{
	return sqlite3_libversion();
}
