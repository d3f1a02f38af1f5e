/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Text and stable names for pogo error codes.  Codes outside pogo's own
 * block are negated errno values and are described by strerror.
 */
#include "pogo/compat.h"

#include "pogo/error.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} error_table[] = {
	{ POGO_ERR_CONFIG, "ERR_CONFIG", "invalid configuration" },
	{ POGO_ERR_RANGE, "ERR_RANGE", "invalid range pattern" },
	{ POGO_ERR_LIMIT, "ERR_LIMIT", "size limit exceeded" },
	{ POGO_ERR_USAGE, "ERR_USAGE", "usage error" },
	{ POGO_ERR_PROTOCOL, "ERR_PROTOCOL", "protocol error" },
	{ POGO_ERR_TLS, "ERR_TLS", "TLS error" },
	{ POGO_ERR_SSH, "ERR_SSH", "ssh error" },
	{ POGO_ERR_SSH_AUTH, "ERR_SSH_AUTH", "authentication failed" },
	{ POGO_ERR_HOSTKEY, "ERR_HOSTKEY", "host key verification failed" },
	{ POGO_ERR_JSON, "ERR_JSON", "invalid JSON" },
	{ POGO_ERR_RESOLVER, "ERR_RESOLVER", "resolver failed" },
	{ POGO_ERR_STATE, "ERR_STATE", "operation not allowed in this state" },
	{ POGO_ERR_NOTFOUND, "ERR_NOTFOUND", "not found" },
	{ POGO_ERR_TIMEOUT, "ERR_TIMEOUT", "timed out" },
	{ POGO_ERR_NOTIMPL, "ERR_NOTIMPL", "not implemented yet" },
	{ POGO_ERR_STORE, "ERR_STORE", "state store error" },
	{ POGO_ERR_CRYPTO, "ERR_CRYPTO", "cryptographic operation failed" },
	{ POGO_ERR_DECRYPT, "ERR_DECRYPT", "cannot decrypt job secrets" },
	{ POGO_ERR_NOKEY, "ERR_NOKEY", "Worker key not defined" },
	{ POGO_ERR_NOWORKER, "ERR_NOWORKER", "no worker for this task" },
};

const char *
pogo_strerror(int r)
{
	size_t i;

	for (i = 0; i < POGO_NELEM(error_table); i++) {
		if (error_table[i].code == r)
			return error_table[i].text;
	}
	if (r < 0 && r > -4096)
		return strerror(-r);
	return "unknown error";
}

const char *
pogo_err_name(int r)
{
	size_t i;

	for (i = 0; i < POGO_NELEM(error_table); i++) {
		if (error_table[i].code == r)
			return error_table[i].name;
	}
	return r == 0 ? "OK" : "ERR_SYSTEM";
}
