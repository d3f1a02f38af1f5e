/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The SSH executor's boundary to libssh.  src/ssh.c is the only file that
 * includes libssh's headers.  So far it reports the linked version; the
 * executor itself arrives with pogo one (issue #4).
 */
#ifndef POGO_SSH_H
#define POGO_SSH_H

/* libssh's version string, with its crypto backend ("0.10.6/mbedtls"). */
const char *pogo_ssh_version(void);

#endif
