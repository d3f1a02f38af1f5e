/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * One error-code space for all of pogo.  Fallible functions return 0 or a
 * negative code.  System and libuv errors pass through unchanged (libuv's
 * UV_E* are -errno on Unix); pogo's own codes live at -20000 and below, far
 * from errno and from libuv's -3000..-4095 block.
 */
#ifndef POGO_ERROR_H
#define POGO_ERROR_H

#define POGO_ERR_ERRNO(e) (-(e))

enum pogo_err {
	POGO_ERR_CONFIG = -20000,
	POGO_ERR_RANGE = -20001,
	POGO_ERR_LIMIT = -20002,
	POGO_ERR_USAGE = -20003,
	POGO_ERR_PROTOCOL = -20004,
	POGO_ERR_TLS = -20005,
	POGO_ERR_SSH = -20006,
	POGO_ERR_SSH_AUTH = -20007,
	POGO_ERR_HOSTKEY = -20008,
	POGO_ERR_JSON = -20009,
	POGO_ERR_RESOLVER = -20010,
	POGO_ERR_STATE = -20011,
	POGO_ERR_NOTFOUND = -20012,
	POGO_ERR_TIMEOUT = -20013,
	POGO_ERR_NOTIMPL = -20014,
	POGO_ERR_STORE = -20015,
	POGO_ERR_CRYPTO = -20016,
	POGO_ERR_DECRYPT = -20017,
	POGO_ERR_NOKEY = -20018,
	POGO_ERR_NOWORKER = -20019,
};

/* Text for r (never NULL; unknown codes give a generic text). */
const char *pogo_strerror(int r);

/* A stable token such as "ERR_CONFIG" for the API and the tests. */
const char *pogo_err_name(int r);

#endif
