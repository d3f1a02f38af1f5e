/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The identity files an OpenSSH client would offer to one host.
 *
 * libssh (0.10.6) parses the ssh_config for every other option, but of
 * IdentityFile it exposes only one value (ssh_options_get with
 * SSH_OPTIONS_IDENTITY), keeps its own defaults after the configured files,
 * in reverse order, and ignores IdentitiesOnly.  This module reads just
 * those two keywords, with OpenSSH's rules: every IdentityFile of every
 * block that applies, in file order, without duplicates; the first
 * IdentitiesOnly wins; Include is followed; ~ and the %-tokens are expanded
 * with the final host name, port and user.  The Match lines see the file
 * in order, as OpenSSH's do (HostName, Port and User so far; a second
 * reading after "Match final").  A block's condition is evaluated only
 * when the block holds one of those keywords, or a HostName, Port or User
 * line that a later Match line may see (so a "Match exec" elsewhere runs
 * once, in libssh, not twice).
 *
 * Files are read once and kept; the functions are safe to call from
 * several threads at once (a mutex guards the file cache).
 */
#ifndef POGO_SSH_CONFIG_H
#define POGO_SSH_CONFIG_H

#include <stdbool.h>

#include "pogo/str.h"

struct pogo_ssh_config;

/* What the evaluation of one host knows; every field is borrowed. */
struct pogo_ssh_config_host {
	const char *name;         /* as given on the command line (%n) */
	const char *hostname;     /* after HostName (%h) */
	const char *user;         /* remote user (%r) */
	unsigned port;            /* %p */
	const char *local_user;   /* %u */
	const char *home;         /* ~ and %d */
	const char *local_host;   /* %l */
	const char *default_user; /* login before any User line (%r of a
	                           * Match exec); NULL: local_user */
	bool user_given;          /* user from -l: known before any User */
	bool port_given;          /* port from --port: known before any Port */
};

/*
 * Check the ssh_config at path before anything reads it (the built libssh
 * lacks the fix of CVE-2026-0965, and a FIFO would block its reader): a
 * regular file of at most 1 MiB that can be read.  /dev/null is none
 * (OpenSSH's -F /dev/null); so is a file that is missing or cannot be
 * read, as OpenSSH has it, when optional (the default ~/.ssh/config, not
 * a file the user named).  Returns 0 (use it),
 * 1 (none) or POGO_ERR_CONFIG with *cause ("ssh_config PATH: why").
 */
int pogo_ssh_config_check(const char *path, bool optional, char **cause);

/*
 * Every file the ssh_config includes (Include lines of any block, as
 * libssh may read them for some host) must be a regular file of at most
 * 1 MiB, or libssh would block on a FIFO: 0, or POGO_ERR_CONFIG with
 * *cause.  Reads the files (on the caller's thread).
 */
int pogo_ssh_config_check_includes(struct pogo_ssh_config *c,
    const struct pogo_ssh_config_host *h, char **cause);

/*
 * A reader for the ssh_config at path (NULL: none, every query gives no
 * file).  Include paths that are not absolute are taken relative to
 * sshdir (~/.ssh).  Never fails; unreadable files count as empty.
 */
struct pogo_ssh_config *pogo_ssh_config_new(
    const char *path, const char *sshdir);
void pogo_ssh_config_free(struct pogo_ssh_config *c);

/*
 * Append to files the identity files for h (expanded, owned by files);
 * *only is set from IdentitiesOnly (false when absent).  A "Match exec"
 * command runs synchronously: call this off the loop.  Returns 0, or
 * POGO_ERR_CONFIG with *cause for a file that OpenSSH would refuse (an
 * unknown %-token).
 */
int pogo_ssh_config_identities(struct pogo_ssh_config *c,
    const struct pogo_ssh_config_host *h, struct pogo_strv *files, bool *only,
    char **cause);

/*
 * Append to files every IdentityFile of the ssh_config, in any block,
 * whose name does not depend on the host (no %h %n %p %r token), expanded
 * with the local fields of h: the files whose passphrase can be asked for
 * before any host runs.  Includes are followed.
 */
void pogo_ssh_config_static_files(struct pogo_ssh_config *c,
    const struct pogo_ssh_config_host *h, struct pogo_strv *files);

/*
 * The ssh_config's text (its lines, trimmed, without comments and blank
 * lines) when every host's settings come from that text alone, so a host
 * can be set up on the loop, from memory: a file read whole, of at most
 * 64 KiB, named without ~ or a %-token, with no Include, no "Match exec"
 * or "Match localuser", no IdentityFile with a %-token (every identity
 * file is then known before any host: see pogo_ssh_config_static_files),
 * no %u and no line longer than libssh's reader of text takes (1,023
 * bytes).  NULL otherwise; "" without an ssh_config or when its file does
 * not exist (libssh skips it too).  The caller frees it.
 */
char *pogo_ssh_config_plain(struct pogo_ssh_config *c);

/*
 * Expand ~ and the %-tokens of an IdentityFile value for h; returns a new
 * string, or NULL for an unknown token.
 */
char *pogo_ssh_config_expand(
    const char *value, const struct pogo_ssh_config_host *h);

#endif
