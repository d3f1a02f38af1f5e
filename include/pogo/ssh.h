/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The SSH executor (SPEC 9.3-9.10): runs one command on one host over SSH,
 * in-process, with libssh in non-blocking mode driven by the libuv loop
 * (a uv_poll on each session's socket and a timer for every phase; no
 * thread and no child process per host).  src/ssh.c is the only file that
 * includes libssh's headers; libssh's errors become messages there.
 */
#ifndef POGO_SSH_H
#define POGO_SSH_H

#include <uv.h>

#include "pogo/exec.h"
#include "pogo/str.h"

enum pogo_ssh_hostkey {
	POGO_SSH_HOSTKEY_STRICT,
	POGO_SSH_HOSTKEY_ACCEPT_NEW,
	POGO_SSH_HOSTKEY_OFF,
};

struct pogo_ssh_opts {
	unsigned max_tasks;       /* tasks in flight */
	unsigned max_handshakes;  /* connect to end of authentication */
	unsigned connect_timeout; /* seconds */
	size_t max_output;        /* bytes per run, 0: none */
	unsigned kill_grace_ms;   /* TERM -> close; 0: 10 s */
	const char *user;         /* NULL: ssh_config, else local user */
	unsigned port;            /* 0: ssh_config, else 22 */
	const char *ssh_config;   /* NULL: ~/.ssh/config if it exists */
	bool ssh_config_optional; /* ssh_config may be missing (a default) */
	const char *known_hosts;  /* NULL: ~/.ssh/known_hosts */
	/*
	 * The login name when neither the task's ssh_user, user nor the
	 * ssh_config's User names one (a worker's worker.ssh.user, SPEC
	 * 1.6, 9.3); NULL: none.
	 */
	const char *default_user;
	/*
	 * The task's user (who submitted the job) is the last default login
	 * name, before the local user (a worker, SPEC 5.1, 9.3).
	 */
	bool task_user_default;
	enum pogo_ssh_hostkey host_key_check;
	struct pogo_strv identities; /* empty: libssh's defaults */
	/*
	 * Offer identities alone: no ssh_config IdentityFile and no default
	 * files (a worker daemon without use_local_identity, SPEC 9.4).
	 */
	bool given_identities_only;
	bool use_agent;
	const char
	    *password; /* borrowed; NULL: none; for tasks without secrets */
	/*
	 * Read a secret after showing prompt (SPEC 12.1), for the passphrase
	 * of an encrypted identity file; returns a string the executor wipes
	 * and frees, or NULL.  NULL: never ask.
	 */
	char *(*ask_secret)(const char *prompt);
};

/* libssh's version string, with its crypto backend ("0.10.6/openssl"). */
const char *pogo_ssh_version(void);

/* The version of libssh's crypto library ("OpenSSL 3.0.19 27 Jan 2026"). */
const char *pogo_ssh_crypto_version(void);

/*
 * The version of libsodium, which does libssh's Ed25519 signatures and
 * X25519 key exchange ("1.0.18"; pogo's libssh patch, third_party/).
 */
const char *pogo_ssh_sodium_version(void);

/*
 * Initialise libssh (a static libssh needs it).  Call once before the
 * loop runs.  Returns 0, or POGO_ERR_SSH with *cause.
 */
int pogo_ssh_init(char **cause);

/*
 * A new SSH executor on loop; freed by its close op.  Call before the loop
 * runs: it loads the identity files whose names are known before any host
 * (-i, the ssh_config's names without a per-host token, the default
 * names), asking with opts->ask_secret once for each encrypted one.
 * Returns NULL with *cause when a file of opts->identities cannot be used.
 *
 * For each host, the session is set up off the loop (libuv's thread pool:
 * the ssh_config may run "Match exec" commands), bounded by the connect
 * timeout; the ssh_config's LogLevel and StrictHostKeyChecking never
 * override pogo's log level and host_key_check; the identity files are
 * those OpenSSH would offer (ssh-config.h), -i first.
 */
struct pogo_exec *pogo_exec_ssh_new(uv_loop_t *loop,
    const struct pogo_ssh_opts *opts, const struct pogo_exec_events *ev,
    void *ev_arg, char **cause);

/*
 * Does text (the bytes of a private key file, NUL-terminated) import as
 * an SSH private key, with passphrase (NULL: none, and an encrypted key
 * fails)?  For a client that sends a key as a job secret (SPEC 12.4).
 * 0, or POGO_ERR_SSH.  Needs pogo_ssh_init().
 */
int pogo_ssh_key_check(const char *text, const char *passphrase);

/* Q(s) of SPEC 9.5: s in single quotes, each ' written as '\''. */
char *pogo_ssh_quote(const char *s);

/*
 * The exec request of direct mode, freed by the caller: `exec SUDO sh -c
 * Q(export PATH=... POGO_JOB_ID=Q(id) POGO_HOST=Q(host); <command>)`.
 * SPEC 9.5 says `exec SUDO env ENV sh -c Q(cmd)`; the env process is
 * left out (issue 8: sshd's CPU per session).  The login shell must be
 * a POSIX shell.
 */
char *pogo_ssh_command(const char *job_id, const char *host,
    const char *command, const char *run_as);

/*
 * The exec request of stub mode (SPEC 9.5): `exec SUDO sh -c Q(<STTY>echo
 * <marker>; exec sh -s)`; under a PTY `sh /dev/stdin` instead of `sh -s`,
 * which would be interactive.  Freed by the caller.
 */
char *pogo_ssh_stub_command(const char *run_as, const char *marker, bool pty);

#endif
