/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only file that includes mbedTLS.  Its negative error codes overlap
 * errno and must never leave this file raw.
 */
#include "pogo/compat.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/version.h>

#include "pogo/error.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

const char *
pogo_tls_version(void)
{
	static char v[32];

	if (v[0] == '\0')
		mbedtls_version_get_string(v);
	return v;
}

int
pogo_tls_base64_decode(
    const char *s, size_t len, size_t max, char **outp, size_t *outlenp)
{
	unsigned char *buf;
	size_t n = 0, cap;

	*outp = NULL;
	*outlenp = 0;
	/* Standard base64 only: no line breaks or blanks, which mbedTLS
	 * would skip. */
	if (len % 4 != 0 || memchr(s, '\n', len) != NULL ||
	    memchr(s, ' ', len) != NULL || memchr(s, '\r', len) != NULL)
		return POGO_ERR_RANGE;
	cap = len / 4 * 3;
	if (cap > max + 2)
		return POGO_ERR_LIMIT;
	buf = xmalloc(cap + 1);
	if (mbedtls_base64_decode(
	        buf, cap + 1, &n, (const unsigned char *)s, len) != 0) {
		free(buf);
		return POGO_ERR_RANGE;
	}
	if (n > max) {
		free(buf);
		return POGO_ERR_LIMIT;
	}
	buf[n] = '\0';
	*outp = (char *)buf;
	*outlenp = n;
	return 0;
}
