/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only file that includes libssh.  libssh's errors are translated to
 * POGO_ERR_* here and nowhere else.
 */
#include "pogo/compat.h"

#include <libssh/libssh.h>

#include "pogo/ssh.h"

const char *
pogo_ssh_version(void)
{
	return ssh_version(0);
}
