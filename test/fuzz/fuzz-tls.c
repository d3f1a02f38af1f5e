/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the TLS record path of the worker port (SPEC 8.1,
 * 10.1) as it runs: a protocol server (src/peer.c) listening on loopback
 * with TLS (src/stream.c, src/tls.c), certificates made once per process
 * by test/data/tls-certs.sh (the openssl command line).  The input is
 * what a client sends on one TCP connection, then it half-closes; the
 * loop runs until the server closes the connection, for at most
 * FZ_DEADLINE_MS.  Checks: no input gets the protocol's greeting in
 * clear (no client here has a certificate, so no handshake can finish),
 * the connection is closed and forgotten (no worker registered, no
 * connection left), and the port keeps accepting.
 */
#include "pogo/compat.h"

#include <sys/wait.h>

#include <string.h>
#include <unistd.h>

#include "pogo/log.h"
#include "pogo/peer.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#include "fuzz-conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_INPUT 65536

static uv_loop_t fz_loop;
static struct pogo_peer_server *fz_srv;
static char fz_dir[64];

/* Send req[0..len) to the server; the answer in c (see fuzz-conn.h). */
static void
fz_send(struct fz_client *c, const void *req, size_t len)
{
	struct sockaddr_storage ss;

	if (pogo_peer_server_address(fz_srv, &ss) != 0)
		abort();
	fz_exchange(&fz_loop, &ss, c, req, len, 16 * 1024 * 1024);
}

static void
fz_up(struct pogo_peer_server *srv, struct pogo_peer_worker *w, void *arg)
{
	/* No client here can finish a handshake. */
	abort();
}

static void
fz_lost(struct pogo_peer_server *srv, struct pogo_peer_worker *w, int status,
    void *arg)
{
	abort();
}

static const struct pogo_peer_server_cbs fz_cbs = { fz_up, fz_lost, NULL, NULL,
	NULL };

static void
fz_rm(void)
{
	char cmd[128];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fz_dir);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* The certificates: test/data/tls-certs.sh next to this file. */
static void
fz_certs(void)
{
	char script[1024], *p;
	pid_t pid;
	int st;

	snprintf(script, sizeof(script), "%s", __FILE__);
	if ((p = strrchr(script, '/')) == NULL)
		abort();
	snprintf(
	    p, sizeof(script) - (size_t)(p - script), "/../data/tls-certs.sh");
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/pogo-fuzz-tls.XXXXXX");
	if (mkdtemp(fz_dir) == NULL)
		abort();
	atexit(fz_rm);
	if ((pid = fork()) == 0) {
		execl("/bin/sh", "sh", script, fz_dir, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "fuzz-tls: %s failed\n", script);
		abort();
	}
}

static void
fz_start(void)
{
	struct pogo_peer_server_opts o;
	struct pogo_tls_opts to;
	char crt[128], key[128], ca[128], *cause = NULL;

	pogo_log_level = POGO_LOG_ERROR;
	fz_certs();
	if (uv_loop_init(&fz_loop) != 0)
		abort();
	snprintf(crt, sizeof(crt), "%s/dispatcher.crt", fz_dir);
	snprintf(key, sizeof(key), "%s/dispatcher.key", fz_dir);
	snprintf(ca, sizeof(ca), "%s/ca.crt", fz_dir);
	memset(&to, 0, sizeof(to));
	to.cert = crt;
	to.key = key;
	to.ca_cert = ca;
	pogo_peer_server_opts_init(&o);
	o.listen = "127.0.0.1:0";
	o.tls = &to;
	if (pogo_peer_server_new(
	        &fz_loop, &o, &fz_cbs, NULL, &fz_srv, &cause) != 0) {
		fprintf(stderr, "fuzz-tls: %s\n", cause);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_client *c;
	unsigned turns;

	if (size > FZ_MAX_INPUT)
		return 0;
	if (fz_srv == NULL)
		fz_start();
	c = xmalloc(sizeof(*c));
	fz_send(c, size > 0 ? data : (const uint8_t *)"", size);
	if (!c->eof && !c->timedout)
		abort();
	/* Never the greeting in clear, never a worker. */
	if (c->len > 0 && memmem(c->buf, c->len, "Hello, worker", 13) != NULL)
		abort();
	free(c->buf);
	if (pogo_peer_server_nworkers(fz_srv) != 0)
		abort();
	/* The connection is forgotten (the client's close may come first). */
	for (turns = 0; pogo_peer_server_nconns(fz_srv) > 0; turns++) {
		if (turns == FZ_MAX_TURNS)
			abort();
		uv_run(&fz_loop, UV_RUN_NOWAIT);
	}
	free(c);
	return 0;
}
