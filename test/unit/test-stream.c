/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/stream.c and src/tls.c: a server and a client stream
 * on one loop over loopback TCP, plain and TLS, with certificates made at
 * run time by test/data/tls-certs.sh (the openssl command line).  SPEC
 * 10.1: the right CA, another CA, no client certificate (openssl
 * s_client), a certificate of the wrong kind, an expired one, pins with
 * and without a CA, a wrong pin, and the handshake timeout on a manual
 * clock (a peer that connects and says nothing is dropped; another one
 * is not affected).  The missing items of T-MISSING.  pogo_stream_send()'s
 * corking over a SOCK_SEQPACKET pair, where each write is one packet.
 */
#include "pogo/compat.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/stream.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#define ST_HANDSHAKE_MS 5000

static char certdir[256];

static int
st_sh(const char *cmd)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
st_cleanup(void)
{
	char *cmd;

	if (certdir[0] == '\0')
		return;
	xasprintf(&cmd, "rm -rf '%s'", certdir);
	st_sh(cmd);
	free(cmd);
}

/* The certificates, made once per run. */
static const char *
st_certs(void)
{
	const char *data = getenv("POGO_TEST_DATA");
	char *cmd;

	if (certdir[0] != '\0')
		return certdir;
	if (data == NULL)
		harness_skip("POGO_TEST_DATA is not set");
	if (st_sh("command -v openssl >/dev/null") != 0)
		harness_skip("no openssl command");
	snprintf(certdir, sizeof(certdir), "/tmp/pogo-test-stream.XXXXXX");
	ASSERT(mkdtemp(certdir) != NULL);
	atexit(st_cleanup);
	xasprintf(&cmd, "sh '%s/tls-certs.sh' '%s'", data, certdir);
	ASSERT_EQ(st_sh(cmd), 0);
	free(cmd);
	return certdir;
}

static char *
st_path(const char *name)
{
	char *p;

	xasprintf(&p, "%s/%s", st_certs(), name);
	return p;
}

/* The fingerprint file of a certificate. */
static char *
st_pin(const char *name)
{
	char *path, *pin, buf[128];
	FILE *f;

	xasprintf(&path, "%s/%s.sha256", st_certs(), name);
	ASSERT((f = fopen(path, "r")) != NULL);
	ASSERT(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	free(path);
	buf[strcspn(buf, "\n")] = '\0';
	pin = xstrdup(buf);
	return pin;
}

/*
 * A TLS configuration: own certificate NAME (NAME.crt, NAME.key), CA
 * file ca (NULL: none), pin (NULL: none), the peer's expected kind.
 */
static struct pogo_tls *
st_tls(bool server, const char *name, const char *ca, const char *pin,
    const char *kind)
{
	struct pogo_tls_opts o;
	struct pogo_tls *tls;
	char *crt, *key, *cafile = NULL, *cause = NULL;
	const char *pins[1];

	memset(&o, 0, sizeof(o));
	xasprintf(&crt, "%s.crt", name);
	xasprintf(&key, "%s.key", name);
	o.server = server;
	o.cert = st_path(crt);
	o.key = st_path(key);
	if (ca != NULL)
		o.ca_cert = cafile = st_path(ca);
	if (pin != NULL) {
		pins[0] = pin;
		o.pins = pins;
		o.npins = 1;
	}
	o.peer_kind = kind;
	if (pogo_tls_new(&o, &tls, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "pogo_tls_new: %s", cause);
	free((char *)o.cert);
	free((char *)o.key);
	free(cafile);
	free(crt);
	free(key);
	return tls;
}

/* One end of a connection and what it saw. */
struct st_end {
	struct pogo_stream *s;
	char got[256];
	size_t ngot;
	int err; /* the read callback's n < 0 */
	char cause[256];
	char peer[64];
	int writes;
	int reads; /* read callbacks with bytes: with TLS, records */
	bool closed;
};

struct st {
	uv_loop_t loop;
	struct pogo_clock *clock;
	struct pogo_tls *stls, *ctls;
	uv_tcp_t listener;
	int port;
	struct st_end srv, cl;
	uv_connect_t connect;
	int connected;
	const char *greeting; /* the server writes it on accept */
};

static void
st_read_cb(struct pogo_stream *s, ssize_t n, const char *buf, void *arg)
{
	struct st_end *e = arg;

	if (n < 0) {
		e->err = (int)n;
		snprintf(
		    e->cause, sizeof(e->cause), "%s", pogo_stream_cause(s));
		return;
	}
	snprintf(e->peer, sizeof(e->peer), "%s", pogo_stream_peer_name(s));
	e->reads++;
	if (e->ngot + (size_t)n < sizeof(e->got)) {
		memcpy(e->got + e->ngot, buf, (size_t)n);
		e->ngot += (size_t)n;
	}
}

static void
st_write_cb(struct pogo_stream *s, int status, void *arg)
{
	struct st_end *e = arg;

	if (status == 0)
		e->writes++;
}

static void
st_close_cb(struct pogo_stream *s, void *arg)
{
	struct st_end *e = arg;

	e->closed = true;
}

static void
st_connection_cb(uv_stream_t *ls, int status)
{
	struct st *t = ls->data;

	ASSERT_EQ(status, 0);
	ASSERT_NULL(t->srv.s);
	t->srv.s = pogo_stream_new(
	    &t->loop, POGO_STREAM_TCP, t->stls, t->clock, ST_HANDSHAKE_MS);
	ASSERT_OK(uv_accept(ls, pogo_stream_uv(t->srv.s)));
	ASSERT_OK(pogo_stream_start(t->srv.s, st_read_cb, &t->srv));
	if (t->greeting != NULL)
		ASSERT_OK(pogo_stream_write(t->srv.s, t->greeting,
		    strlen(t->greeting), st_write_cb, &t->srv));
}

static void
st_init(struct st *t, struct pogo_tls *stls, struct pogo_tls *ctls)
{
	struct sockaddr_in sin;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(t, 0, sizeof(*t));
	ASSERT_OK(uv_loop_init(&t->loop));
	t->clock = pogo_clock_uv_new(&t->loop);
	t->stls = stls;
	t->ctls = ctls;
	uv_tcp_init(&t->loop, &t->listener);
	t->listener.data = t;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	ASSERT_OK(uv_tcp_bind(&t->listener, (struct sockaddr *)&sin, 0));
	ASSERT_OK(uv_listen((uv_stream_t *)&t->listener, 8, st_connection_cb));
	ASSERT_OK(
	    uv_tcp_getsockname(&t->listener, (struct sockaddr *)&ss, &len));
	t->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
st_connect_cb(uv_connect_t *req, int status)
{
	struct st *t = req->data;

	ASSERT_EQ(status, 0);
	t->connected = 1;
	ASSERT_OK(pogo_stream_start(t->cl.s, st_read_cb, &t->cl));
}

static void
st_connect(struct st *t)
{
	struct sockaddr_in sin;

	uv_ip4_addr("127.0.0.1", t->port, &sin);
	t->cl.s = pogo_stream_new(
	    &t->loop, POGO_STREAM_TCP, t->ctls, t->clock, ST_HANDSHAKE_MS);
	t->connect.data = t;
	ASSERT_OK(uv_tcp_connect(&t->connect, pogo_stream_tcp(t->cl.s),
	    (struct sockaddr *)&sin, st_connect_cb));
}

/* Run the loop until *flag or 20 s. */
static void
st_run_until(struct st *t, const bool *b, const int *i)
{
	uint64_t end = uv_hrtime() + 20ull * 1000 * 1000 * 1000;

	while (!(b != NULL && *b) && !(i != NULL && *i != 0)) {
		if (uv_hrtime() > end)
			harness_fail(__FILE__, __LINE__, "timed out");
		uv_run(&t->loop, UV_RUN_ONCE);
	}
}

static void
st_listener_closed(uv_handle_t *h)
{
}

static void
st_fini(struct st *t)
{
	int i;

	if (t->srv.s != NULL && !t->srv.closed)
		pogo_stream_close(t->srv.s, st_close_cb, &t->srv);
	if (t->cl.s != NULL && !t->cl.closed)
		pogo_stream_close(t->cl.s, st_close_cb, &t->cl);
	uv_close((uv_handle_t *)&t->listener, st_listener_closed);
	for (i = 0; i < 100 && uv_loop_alive(&t->loop); i++)
		uv_run(&t->loop, UV_RUN_NOWAIT);
	pogo_clock_free(t->clock);
	for (i = 0; i < 10; i++)
		uv_run(&t->loop, UV_RUN_NOWAIT);
	ASSERT_OK(uv_loop_close(&t->loop));
	pogo_tls_free(t->stls);
	pogo_tls_free(t->ctls);
}

/* Both ends exchange a line; returns when each has the other's. */
static void
st_exchange(struct st *t)
{
	uint64_t end;

	t->greeting = "hello, client\n";
	st_connect(t);
	/* Written before the handshake is over: it waits for it. */
	ASSERT_OK(pogo_stream_write(
	    t->cl.s, "hello, server\n", 14, st_write_cb, &t->cl));
	end = uv_hrtime() + 20ull * 1000 * 1000 * 1000;
	while ((t->cl.ngot < 14 || t->srv.ngot < 14) && t->cl.err == 0 &&
	    t->srv.err == 0) {
		if (uv_hrtime() > end)
			harness_fail(__FILE__, __LINE__, "timed out");
		uv_run(&t->loop, UV_RUN_ONCE);
	}
}

static void
st_run_some(struct st *t, int *flag)
{
	uint64_t end = uv_hrtime() + 20ull * 1000 * 1000 * 1000;

	while (*flag == 0 && uv_hrtime() < end)
		uv_run(&t->loop, UV_RUN_ONCE);
}

TEST(plain_pair)
{
	struct st t;

	st_init(&t, NULL, NULL);
	t.greeting = "hello, client\n";
	st_connect(&t);
	ASSERT_OK(pogo_stream_write(
	    t.cl.s, "hello, server\n", 14, st_write_cb, &t.cl));
	while (t.cl.ngot < 14 || t.srv.ngot < 14)
		st_run_until(&t, NULL, &t.connected),
		    uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT(memcmp(t.cl.got, "hello, client\n", 14) == 0);
	ASSERT(memcmp(t.srv.got, "hello, server\n", 14) == 0);
	ASSERT(!pogo_stream_is_tls(t.cl.s));
	ASSERT_STR_EQ(pogo_stream_peer_name(t.cl.s), "");
	st_fini(&t);
}

TEST(tls_pair)
{
	struct st t;

	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, "worker", "ca.crt", NULL, "dispatcher"));
	t.greeting = "hello, client\n";
	st_connect(&t);
	ASSERT_OK(pogo_stream_write(
	    t.cl.s, "hello, server\n", 14, st_write_cb, &t.cl));
	while (t.cl.ngot < 14 || t.srv.ngot < 14) {
		ASSERT_EQ(t.cl.err, 0);
		ASSERT_EQ(t.srv.err, 0);
		uv_run(&t.loop, UV_RUN_ONCE);
	}
	ASSERT(memcmp(t.cl.got, "hello, client\n", 14) == 0);
	ASSERT(memcmp(t.srv.got, "hello, server\n", 14) == 0);
	ASSERT(pogo_stream_is_tls(t.cl.s));
	ASSERT_STR_EQ(t.cl.peer, "d1");
	ASSERT_STR_EQ(t.srv.peer, "w1");
	/* Later writes, after the handshake, and a shutdown: EOF. */
	ASSERT_OK(pogo_stream_write(t.srv.s, "more\n", 5, st_write_cb, &t.srv));
	while (t.cl.ngot < 19)
		uv_run(&t.loop, UV_RUN_ONCE);
	ASSERT(memcmp(t.cl.got + 14, "more\n", 5) == 0);
	ASSERT_OK(pogo_stream_shutdown(t.srv.s, NULL, NULL));
	st_run_some(&t, &t.cl.err);
	ASSERT_EQ(t.cl.err, UV_EOF);
	ASSERT_EQ(t.srv.writes, 2);
	ASSERT_EQ(t.cl.writes, 1);
	st_fini(&t);
}

/*
 * A configuration held by another (a client borrowing pogo api's) stays
 * usable after its maker lets go: pogo api freed its configuration while
 * cancelled clients' sessions still pointed at it (review4 F-S).
 */
TEST(tls_ref_outlives_its_maker)
{
	struct pogo_tls *tls =
	    st_tls(false, "worker", "ca.crt", NULL, "dispatcher");
	struct pogo_tls *held = pogo_tls_ref(tls);
	struct pogo_tls_session *s;

	ASSERT(held == tls);
	pogo_tls_free(tls);
	s = pogo_tls_session_new(held);
	ASSERT(s != NULL);
	pogo_tls_session_free(s);
	pogo_tls_free(held);
}

/*
 * A TLS write without a callback after the stream was shut down: libuv
 * refuses it and the caller gets the error, with nothing freed twice.
 */
TEST(tls_write_after_shutdown)
{
	struct st t;

	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, "worker", "ca.crt", NULL, "dispatcher"));
	st_exchange(&t);
	ASSERT_EQ(t.cl.err, 0);
	ASSERT_EQ(t.srv.err, 0);
	ASSERT_OK(pogo_stream_shutdown(t.srv.s, NULL, NULL));
	ASSERT(pogo_stream_write(t.srv.s, "late\n", 5, NULL, NULL) < 0);
	ASSERT(
	    pogo_stream_write(t.srv.s, "late\n", 5, st_write_cb, &t.srv) < 0);
	st_run_some(&t, &t.cl.err);
	ASSERT_EQ(t.cl.err, UV_EOF);
	ASSERT_EQ(t.cl.ngot, 14);
	st_fini(&t);
}

/* The client (a worker) offers cert; the server refuses it with why. */
static void
st_refused(const char *cert, const char *why)
{
	struct st t;

	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, cert, "ca.crt", NULL, "dispatcher"));
	st_exchange(&t);
	st_run_some(&t, &t.srv.err);
	ASSERT_EQ(t.srv.err, POGO_ERR_TLS);
	if (strstr(t.srv.cause, why) == NULL)
		harness_fail(__FILE__, __LINE__, "cause '%s' lacks '%s'",
		    t.srv.cause, why);
	st_run_some(&t, &t.cl.err);
	ASSERT(t.cl.err < 0);
	/* Nothing of the application got through either way. */
	ASSERT_EQ(t.srv.ngot, 0);
	ASSERT_EQ(t.cl.ngot, 0);
	st_fini(&t);
}

TEST(tls_other_ca)
{
	st_refused("other-worker", "not correctly signed");
}

TEST(tls_wrong_kind)
{
	st_refused("client", "of kind 'client', not 'worker'");
}

TEST(tls_expired)
{
	st_refused("expired", "expired");
}

/* The worker refuses a dispatcher of the wrong kind too. */
TEST(tls_client_checks_server_kind)
{
	struct st t;

	/* (A worker certificate cannot even serve: no serverAuth.) */
	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, "worker", "ca.crt", NULL, "client"));
	st_exchange(&t);
	st_run_some(&t, &t.cl.err);
	ASSERT_EQ(t.cl.err, POGO_ERR_TLS);
	if (strstr(t.cl.cause, "of kind 'dispatcher', not 'client'") == NULL)
		harness_fail(__FILE__, __LINE__, "cause: %s", t.cl.cause);
	ASSERT_EQ(t.cl.ngot, 0);
	st_fini(&t);
}

TEST(tls_no_client_cert)
{
	struct st t;
	char *cmd;
	pid_t pid;
	int st;

	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"), NULL);
	t.greeting = "hello, client\n";
	xasprintf(&cmd,
	    "sleep 1 | openssl s_client -connect 127.0.0.1:%d -CAfile "
	    "'%s/ca.crt' >/dev/null 2>&1",
	    t.port, st_certs());
	pid = fork();
	ASSERT(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(cmd);
	st_run_some(&t, &t.srv.err);
	ASSERT_EQ(t.srv.err, POGO_ERR_TLS);
	ASSERT_EQ(t.srv.ngot, 0);
	ASSERT_EQ(t.srv.writes, 0);
	pogo_stream_close(t.srv.s, st_close_cb, &t.srv);
	st_run_until(&t, &t.srv.closed, NULL);
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	st_fini(&t);
}

TEST(tls_pins)
{
	struct st t;
	char *pin = st_pin("self"), *wpin = st_pin("worker");

	/* Pins and no CA on both sides: the pins alone decide. */
	st_init(&t, st_tls(true, "self", NULL, wpin, "worker"),
	    st_tls(false, "worker", NULL, pin, "dispatcher"));
	st_exchange(&t);
	ASSERT_EQ(t.cl.err, 0);
	ASSERT_EQ(t.srv.err, 0);
	ASSERT_STR_EQ(t.cl.peer, "d-self");
	st_fini(&t);

	/* A pin and a CA: both must hold. */
	free(pin);
	pin = st_pin("dispatcher");
	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, "worker", "ca.crt", pin, "dispatcher"));
	st_exchange(&t);
	ASSERT_EQ(t.cl.err, 0);
	ASSERT(memcmp(t.cl.got, "hello, client\n", 14) == 0);
	st_fini(&t);
	free(pin);
	free(wpin);
}

TEST(tls_wrong_pin)
{
	struct st t;
	char *pin = st_pin("client");

	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, "worker", "ca.crt", pin, "dispatcher"));
	st_exchange(&t);
	st_run_some(&t, &t.cl.err);
	ASSERT_EQ(t.cl.err, POGO_ERR_TLS);
	ASSERT(strstr(t.cl.cause, "matches no pin") != NULL);
	ASSERT_EQ(t.cl.ngot, 0);
	st_fini(&t);

	/* Pins only, and the peer is not pinned. */
	st_init(&t, st_tls(true, "self", NULL, pin, "worker"),
	    st_tls(false, "worker", "ca.crt", NULL, "dispatcher"));
	st_exchange(&t);
	st_run_some(&t, &t.srv.err);
	ASSERT_EQ(t.srv.err, POGO_ERR_TLS);
	ASSERT_EQ(t.srv.ngot, 0);
	st_fini(&t);
	free(pin);
}

/*
 * On a manual clock: a client that connects and never starts the
 * handshake is dropped after the timeout; one that completes it is not.
 */
TEST(tls_handshake_timeout)
{
	struct st t;
	struct pogo_stream *silent;
	struct st_end se;
	struct sockaddr_in sin;
	uv_connect_t creq;
	int i;

	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, "worker", "ca.crt", NULL, "dispatcher"));
	pogo_clock_free(t.clock);
	t.clock = pogo_clock_manual_new(1000);
	/* The silent one: a plain TCP connection that sends nothing. */
	memset(&se, 0, sizeof(se));
	silent = pogo_stream_new(&t.loop, POGO_STREAM_TCP, NULL, NULL, 0);
	uv_ip4_addr("127.0.0.1", t.port, &sin);
	creq.data = &se;
	ASSERT_OK(uv_tcp_connect(
	    &creq, pogo_stream_tcp(silent), (struct sockaddr *)&sin, NULL));
	while (t.srv.s == NULL)
		uv_run(&t.loop, UV_RUN_ONCE);
	for (i = 0; i < 20; i++)
		uv_run(&t.loop, UV_RUN_NOWAIT);
	ASSERT_EQ(t.srv.err, 0);
	pogo_clock_manual_advance(t.clock, ST_HANDSHAKE_MS - 1);
	ASSERT_EQ(t.srv.err, 0);
	pogo_clock_manual_advance(t.clock, 1);
	ASSERT_EQ(t.srv.err, POGO_ERR_TIMEOUT);
	ASSERT(strstr(t.srv.cause, "no TLS handshake within 5 s") != NULL);
	pogo_stream_close(t.srv.s, st_close_cb, &t.srv);
	st_run_until(&t, &t.srv.closed, NULL);
	pogo_stream_close(silent, st_close_cb, &se);
	st_run_until(&t, &se.closed, NULL);
	/* A good client after it goes through. */
	memset(&t.srv, 0, sizeof(t.srv));
	st_exchange(&t);
	ASSERT_EQ(t.srv.err, 0);
	ASSERT(memcmp(t.srv.got, "hello, server\n", 14) == 0);
	pogo_clock_manual_advance(t.clock, ST_HANDSHAKE_MS * 2);
	ASSERT_EQ(t.srv.err, 0);
	ASSERT_EQ(t.cl.err, 0);
	st_fini(&t);
}

/* T-MISSING: each missing item is named. */
TEST(tls_missing)
{
	struct pogo_tls_opts o;
	struct pogo_tls *tls;
	char *cause, *crt = st_path("worker.crt"), *key = st_path("worker.key");
	const char *pins[] = { "zz" };

	memset(&o, 0, sizeof(o));
	o.cert = crt;
	ASSERT_EQ(pogo_tls_new(&o, &tls, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, "tls.key is not set");
	free(cause);
	o.key = key;
	ASSERT_EQ(pogo_tls_new(&o, &tls, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, "tls.ca_cert is not set");
	free(cause);
	o.cert = NULL;
	ASSERT_EQ(pogo_tls_new(&o, &tls, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, "tls.cert is not set");
	free(cause);
	o.cert = crt;
	o.ca_cert = "/nonexistent/ca.crt";
	ASSERT_EQ(pogo_tls_new(&o, &tls, &cause), POGO_ERR_CONFIG);
	ASSERT(strncmp(cause, "tls.ca_cert: /nonexistent/ca.crt: ", 34) == 0);
	free(cause);
	o.ca_cert = NULL;
	o.pins = pins;
	o.npins = 1;
	ASSERT_EQ(pogo_tls_new(&o, &tls, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, "tls.pins: 'zz' is not a SHA-256 fingerprint");
	free(cause);
	/* A key that is not the certificate's. */
	o.npins = 0;
	free(key);
	key = st_path("client.key");
	o.key = key;
	o.ca_cert = "";
	free(crt);
	crt = st_path("worker.crt");
	o.cert = crt;
	o.ca_cert = NULL;
	{
		char *ca = st_path("ca.crt");

		o.ca_cert = ca;
		ASSERT_EQ(pogo_tls_new(&o, &tls, &cause), POGO_ERR_CONFIG);
		ASSERT(strstr(cause, "does not match") != NULL);
		free(cause);
		free(ca);
	}
	free(crt);
	free(key);
}

TEST(tls_parse_pin)
{
	unsigned char a[32], b[32];
	char *pin = st_pin("worker"), nocolon[65];
	size_t i, n = 0;

	for (i = 0; pin[i] != '\0'; i++) {
		if (pin[i] != ':' && n < 64)
			nocolon[n++] = (char)(pin[i] | 0x20);
	}
	nocolon[n] = '\0';
	ASSERT_OK(pogo_tls_parse_pin(pin, a));
	ASSERT_OK(pogo_tls_parse_pin(nocolon, b));
	ASSERT_MEM_EQ(a, b, 32);
	nocolon[63] = '\0';
	ASSERT_EQ(pogo_tls_parse_pin(nocolon, b), POGO_ERR_CONFIG);
	free(pin);
}

/* A plain stream on one end of a SOCK_SEQPACKET pair; *peerp the other. */
static struct pogo_stream *
st_seq_stream(uv_loop_t *loop, struct st_end *e, int *peerp)
{
	struct pogo_stream *s;
	int sv[2];

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	s = pogo_stream_new(loop, POGO_STREAM_PIPE, NULL, NULL, 0);
	ASSERT_OK(uv_pipe_open(pogo_stream_pipe(s), sv[0]));
	ASSERT_OK(pogo_stream_start(s, st_read_cb, e));
	*peerp = sv[1];
	return s;
}

/* The next packet on fd (non-blocking) into buf: its length, or -1. */
static ssize_t
st_packet(int fd, char *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, 0);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static void
st_loop_fini(uv_loop_t *loop)
{
	int i;

	for (i = 0; i < 100 && uv_loop_alive(loop); i++)
		uv_run(loop, UV_RUN_NOWAIT);
	ASSERT_OK(uv_loop_close(loop));
}

/*
 * What is sent in one loop turn leaves in one write, before the loop
 * waits; a write with a callback goes after what was sent before it; a
 * send in a later turn is a write of its own; closing hands what is held
 * to the socket.
 */
TEST(send_corks_a_turn)
{
	uv_loop_t loop;
	struct st_end e;
	char buf[256];
	int peer, i;

	memset(&e, 0, sizeof(e));
	ASSERT_OK(uv_loop_init(&loop));
	e.s = st_seq_stream(&loop, &e, &peer);
	ASSERT_OK(pogo_stream_send(e.s, "a\n", 2));
	ASSERT_OK(pogo_stream_send(e.s, "b\n", 2));
	ASSERT_EQ(pogo_stream_write_queue_size(e.s), 4);
	ASSERT_EQ(st_packet(peer, buf, sizeof(buf)), -1);
	ASSERT_OK(pogo_stream_write(e.s, "c\n", 2, st_write_cb, &e));
	ASSERT_OK(pogo_stream_send(e.s, "d\n", 2));
	ASSERT_OK(pogo_stream_send(e.s, "e\n", 2));
	for (i = 0; i < 10 && e.writes == 0; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT_EQ(e.writes, 1);
	ASSERT_EQ(pogo_stream_write_queue_size(e.s), 0);
	ASSERT_EQ(st_packet(peer, buf, sizeof(buf)), 4);
	ASSERT_STR_EQ(buf, "a\nb\n");
	ASSERT_EQ(st_packet(peer, buf, sizeof(buf)), 2);
	ASSERT_STR_EQ(buf, "c\n");
	ASSERT_EQ(st_packet(peer, buf, sizeof(buf)), 4);
	ASSERT_STR_EQ(buf, "d\ne\n");
	ASSERT_EQ(st_packet(peer, buf, sizeof(buf)), -1);

	/* A turn later: a write of its own. */
	ASSERT_OK(pogo_stream_send(e.s, "f\n", 2));
	uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT_EQ(st_packet(peer, buf, sizeof(buf)), 2);
	ASSERT_STR_EQ(buf, "f\n");

	/* Held at the close: it leaves all the same. */
	ASSERT_OK(pogo_stream_send(e.s, "g\n", 2));
	pogo_stream_close(e.s, st_close_cb, &e);
	ASSERT_EQ(pogo_stream_send(e.s, "h\n", 2), UV_EPIPE);
	ASSERT_EQ(st_packet(peer, buf, sizeof(buf)), 2);
	ASSERT_STR_EQ(buf, "g\n");
	st_loop_fini(&loop);
	ASSERT(e.closed);
	ASSERT_EQ(e.err, 0);
	close(peer);
}

/* A corked write that fails reaches the owner as a read error. */
TEST(send_failure_is_read_error)
{
	uv_loop_t loop;
	struct st_end e;
	int peer, i;

	signal(SIGPIPE, SIG_IGN);
	memset(&e, 0, sizeof(e));
	ASSERT_OK(uv_loop_init(&loop));
	e.s = st_seq_stream(&loop, &e, &peer);
	close(peer);
	ASSERT_OK(pogo_stream_send(e.s, "a\n", 2));
	ASSERT_EQ(e.err, 0);
	for (i = 0; i < 10 && e.err == 0; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT_EQ(e.err, UV_EPIPE);
	ASSERT(strncmp(e.cause, "write: ", 7) == 0);
	pogo_stream_close(e.s, st_close_cb, &e);
	st_loop_fini(&loop);
	ASSERT(e.closed);
}

/*
 * With TLS, what is sent in one turn goes through the session at once:
 * one record (the reader gets one TLS read for three lines), where three
 * writes made three.
 */
TEST(tls_send_one_record_per_turn)
{
	struct st t;
	uint64_t end;
	int before;

	st_init(&t, st_tls(true, "dispatcher", "ca.crt", NULL, "worker"),
	    st_tls(false, "worker", "ca.crt", NULL, "dispatcher"));
	st_exchange(&t);
	ASSERT_EQ(t.cl.err, 0);
	ASSERT_EQ(t.srv.err, 0);
	before = t.cl.reads;
	ASSERT_OK(pogo_stream_send(t.srv.s, "one\n", 4));
	ASSERT_OK(pogo_stream_send(t.srv.s, "two\n", 4));
	ASSERT_OK(pogo_stream_send(t.srv.s, "three\n", 6));
	end = uv_hrtime() + 20ull * 1000 * 1000 * 1000;
	while (t.cl.ngot < 14 + 14 && t.cl.err == 0) {
		if (uv_hrtime() > end)
			harness_fail(__FILE__, __LINE__, "timed out");
		uv_run(&t.loop, UV_RUN_ONCE);
	}
	ASSERT_EQ(t.cl.err, 0);
	ASSERT(memcmp(t.cl.got + 14, "one\ntwo\nthree\n", 14) == 0);
	ASSERT_EQ(t.cl.reads - before, 1);
	st_fini(&t);
}

/*
 * A write failure is told from the flush handle; what the owner sends from
 * there (on another stream) must leave before the loop would sleep, not
 * wait for some unrelated event (review10 1: with a prepare handle it
 * waited for the next poll, for good when nothing else came).
 */
struct late_send {
	struct st_end a;
	struct pogo_stream *b;
	bool sent;
};

static void
late_read_cb(struct pogo_stream *s, ssize_t n, const char *buf, void *arg)
{
	struct late_send *x = arg;

	if (n < 0 && !x->sent) {
		x->a.err = (int)n;
		x->sent = true;
		(void)pogo_stream_send(x->b, "late\n", 5);
	}
}

TEST(a_send_from_a_flush_failure_leaves_before_the_loop_sleeps)
{
	uv_loop_t loop;
	struct late_send x;
	struct st_end be;
	char buf[64];
	int i, pb, sv[2];
	ssize_t got = -1;

	signal(SIGPIPE, SIG_IGN);
	memset(&x, 0, sizeof(x));
	memset(&be, 0, sizeof(be));
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	x.a.s = pogo_stream_new(&loop, POGO_STREAM_PIPE, NULL, NULL, 0);
	ASSERT_OK(uv_pipe_open(pogo_stream_pipe(x.a.s), sv[0]));
	ASSERT_OK(pogo_stream_start(x.a.s, late_read_cb, &x));
	x.b = st_seq_stream(&loop, &be, &pb);
	close(sv[1]);
	ASSERT_OK(pogo_stream_send(x.a.s, "a\n", 2));
	/*
	 * Turn by turn, never sleeping: once A's failure is told, whenever
	 * the loop would next wait (a poll timeout other than 0), B's line
	 * must be out already.
	 */
	for (i = 0; i < 100 && got < 0; i++) {
		uv_run(&loop, UV_RUN_NOWAIT);
		if (x.sent && uv_backend_timeout(&loop) != 0) {
			got = st_packet(pb, buf, sizeof(buf));
			ASSERT_EQ(got, 5);
		}
	}
	ASSERT_EQ(x.a.err, UV_EPIPE);
	ASSERT_EQ(got, 5);
	ASSERT(memcmp(buf, "late\n", 5) == 0);
	pogo_stream_close(x.a.s, NULL, NULL);
	pogo_stream_close(x.b, NULL, NULL);
	close(pb);
	st_loop_fini(&loop);
}

/*
 * What a poll callback sends leaves in that turn's check phase, before
 * the timers that run next (a worker's local spawns, which block the loop
 * until their child's exec: a run's reply and the next report waited for
 * them, one turn per stop-and-wait round trip of SPEC 8.4).
 */
struct poll_send {
	struct st_end e;
	uv_timer_t timer;
	int peer;
	ssize_t seen; /* by the timer: the peer's packet, or -1 */
	bool timed;
	char buf[64];
};

static void
poll_send_timer_cb(uv_timer_t *h)
{
	struct poll_send *x = h->data;

	x->timed = true;
	x->seen = st_packet(x->peer, x->buf, sizeof(x->buf));
}

static void
poll_send_read_cb(struct pogo_stream *s, ssize_t n, const char *buf, void *arg)
{
	struct poll_send *x = arg;

	if (n <= 0)
		return;
	(void)pogo_stream_send(s, "reply\n", 6);
	uv_timer_start(&x->timer, poll_send_timer_cb, 0, 0);
}

TEST(a_send_from_a_poll_callback_leaves_before_the_timers)
{
	uv_loop_t loop;
	struct poll_send x;
	int i, sv[2];

	memset(&x, 0, sizeof(x));
	x.seen = -1;
	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	x.peer = sv[1];
	x.e.s = pogo_stream_new(&loop, POGO_STREAM_PIPE, NULL, NULL, 0);
	ASSERT_OK(uv_pipe_open(pogo_stream_pipe(x.e.s), sv[0]));
	ASSERT_OK(pogo_stream_start(x.e.s, poll_send_read_cb, &x));
	uv_timer_init(&loop, &x.timer);
	x.timer.data = &x;
	ASSERT_EQ(send(x.peer, "run\n", 4, 0), 4);
	for (i = 0; i < 100 && !x.timed; i++)
		uv_run(&loop, UV_RUN_NOWAIT);
	ASSERT(x.timed);
	ASSERT_EQ(x.seen, 6);
	ASSERT(memcmp(x.buf, "reply\n", 6) == 0);
	pogo_stream_close(x.e.s, NULL, NULL);
	uv_close((uv_handle_t *)&x.timer, NULL);
	close(x.peer);
	st_loop_fini(&loop);
}
