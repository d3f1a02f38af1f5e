/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only file that includes mbedTLS.  Its negative error codes overlap
 * errno and must never leave this file raw.
 */
#include "pogo/compat.h"

#include <mbedtls/version.h>

#include "pogo/tls.h"

const char *
pogo_tls_version(void)
{
	static char v[32];

	if (v[0] == '\0')
		mbedtls_version_get_string(v);
	return v;
}
