/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/ssh.c that need no server: the quoting and the exec
 * request of SPEC 9.5, and the executor against a loopback server that
 * never speaks (task fields, taskstatus, withdraw).  The executor itself is
 * tested end to end against OpenSSH (test/e2e).  Also libssh's ECDSA
 * signature check, which a patch of pogo's changed (at the end).
 */
#include "pogo/compat.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "harness.h"
#include "pogo/error.h"
#include "pogo/proc.h"
#include "pogo/ssh.h"

TEST(quote)
{
	char *q;

	q = pogo_ssh_quote("a b");
	ASSERT_STR_EQ(q, "'a b'");
	free(q);
	q = pogo_ssh_quote("it's");
	ASSERT_STR_EQ(q, "'it'\\''s'");
	free(q);
	q = pogo_ssh_quote("");
	ASSERT_STR_EQ(q, "''");
	free(q);
}

TEST(direct_mode_command)
{
	char *c;

	/* SPEC 9.5's line, exactly (issue 8 item 2). */
	c = pogo_ssh_command("p0000000000", "host1", "echo $HOME", NULL);
	ASSERT_STR_EQ(c,
	    "exec env PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:/usr/sbin"
	    ":/bin:/sbin POGO_JOB_ID='p0000000000' POGO_HOST='host1' sh -c "
	    "'echo $HOME'");
	free(c);
	c = pogo_ssh_command("p1", "h'x", "it's", "root");
	ASSERT_STR_EQ(c,
	    "exec sudo -u 'root' -- env PATH=/usr/local/bin:/usr/local/sbin"
	    ":/usr/bin:/usr/sbin:/bin:/sbin POGO_JOB_ID='p1' POGO_HOST='h'"
	    "\\''x' sh -c 'it'\\''s'");
	free(c);
}

/* SPEC 9.5 stub mode: the marker first, stty under a PTY, sh not
 * interactive under a PTY. */
TEST(stub_mode_command)
{
	char *c;

	c = pogo_ssh_stub_command(NULL, "POGO-READY-00ff", false);
	ASSERT_STR_EQ(c, "exec sh -c 'echo POGO-READY-00ff; exec sh -s'");
	free(c);
	c = pogo_ssh_stub_command("o'k", "POGO-READY-00ff", true);
	ASSERT_STR_EQ(c,
	    "exec sudo -u 'o'\\''k' -- sh -c 'stty -echo -icanon -isig "
	    "-iexten -ixon -icrnl -opost min 1 time 0 2>/dev/null; echo "
	    "POGO-READY-00ff; exec sh /dev/stdin'");
	free(c);
}

TEST(version_names_the_backend)
{
	ASSERT(strstr(pogo_ssh_version(), "/openssl") != NULL);
	ASSERT(strncmp(pogo_ssh_crypto_version(), "OpenSSL 3.", 10) == 0);
}

/*
 * The executor against a TCP server that accepts and never speaks: the
 * task's connect_timeout and ssh_port, taskstatus and withdraw (issue 9:
 * the contract of a remote peer).  Loopback only.
 */
struct silent {
	uv_loop_t loop;
	uv_tcp_t server;
	uv_tcp_t conn;
	uv_timer_t tick;
	int port;
	bool accepted;
	size_t got; /* bytes from the client */
	bool eof;
	struct pogo_exec *e;
	int events;
	struct pogo_exec_result r;
	int closed;
};

static void
silent_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	static char b[4096];

	*buf = uv_buf_init(b, sizeof(b));
}

static void
silent_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct silent *w = s->data;

	if (n < 0) {
		w->eof = true;
		uv_read_stop(s);
	} else
		w->got += (size_t)n;
}

static void
silent_conn(uv_stream_t *server, int status)
{
	struct silent *w = server->data;

	ASSERT_OK(status);
	ASSERT(!w->accepted);
	ASSERT_OK(uv_tcp_init(&w->loop, &w->conn));
	w->conn.data = w;
	ASSERT_OK(uv_accept(server, (uv_stream_t *)&w->conn));
	w->accepted = true;
	ASSERT_OK(
	    uv_read_start((uv_stream_t *)&w->conn, silent_alloc, silent_read));
}

static void
silent_tick(uv_timer_t *tm)
{
}

static void
silent_started(struct pogo_exec_task *t, void *arg)
{
	((struct silent *)arg)->events++;
}

static void
silent_output(struct pogo_exec_task *t, enum pogo_out_type type, const char *d,
    size_t n, bool eol, void *arg)
{
	((struct silent *)arg)->events++;
}

static void
silent_done(
    struct pogo_exec_task *t, const struct pogo_exec_result *r, void *arg)
{
	struct silent *w = arg;

	w->events++;
	w->r = *r;
}

static const struct pogo_exec_events silent_ev = { silent_started,
	silent_output, silent_done };

static void
silent_closed(void *arg)
{
	((struct silent *)arg)->closed++;
}

/* A closed port of this machine: one just bound and let go. */
static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	ASSERT(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_OK(getsockname(fd, (struct sockaddr *)&sa, &len));
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
silent_init(struct silent *w, unsigned connect_timeout)
{
	struct pogo_ssh_opts o = { 0 };
	struct sockaddr_in sa;
	int len = sizeof(sa);
	char *cause;

	memset(w, 0, sizeof(*w));
	ASSERT_OK(pogo_ssh_init(&cause));
	ASSERT_OK(pogo_proc_loop_init(&w->loop));
	ASSERT_OK(uv_tcp_init(&w->loop, &w->server));
	w->server.data = w;
	ASSERT_OK(uv_ip4_addr("127.0.0.1", 0, &sa));
	ASSERT_OK(uv_tcp_bind(&w->server, (struct sockaddr *)&sa, 0));
	ASSERT_OK(uv_listen((uv_stream_t *)&w->server, 4, silent_conn));
	ASSERT_OK(uv_tcp_getsockname(&w->server, (struct sockaddr *)&sa, &len));
	w->port = ntohs(sa.sin_port);
	uv_timer_init(&w->loop, &w->tick);
	uv_timer_start(&w->tick, silent_tick, 50, 50);
	o.max_tasks = 4;
	o.connect_timeout = connect_timeout;
	/* The executor's own port is closed: only the task's answers. */
	o.port = (unsigned)closed_port();
	o.ssh_config = "/dev/null";
	o.known_hosts = "/dev/null";
	o.host_key_check = POGO_SSH_HOSTKEY_OFF;
	w->e = pogo_exec_ssh_new(&w->loop, &o, &silent_ev, w, &cause);
	ASSERT(w->e != NULL);
}

/* Run the loop until *flag, at most ms. */
static void
silent_until(struct silent *w, const bool *flag, uint64_t ms)
{
	uint64_t end;

	uv_update_time(&w->loop);
	end = uv_now(&w->loop) + ms;
	while (!*flag && uv_now(&w->loop) < end)
		uv_run(&w->loop, UV_RUN_ONCE);
	ASSERT(*flag);
}

static void
silent_close(struct silent *w)
{
	ASSERT_EQ(w->e->inflight, 0);
	w->e->ops->close(w->e, silent_closed, w);
	uv_close((uv_handle_t *)&w->tick, NULL);
	uv_close((uv_handle_t *)&w->server, NULL);
	if (w->accepted)
		uv_close((uv_handle_t *)&w->conn, NULL);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	ASSERT_EQ(w->closed, 1);
	ASSERT_OK(pogo_proc_loop_close(&w->loop));
}

/* The task's ssh_port wins over the executor's port; withdrawn before the
 * exec, the session ends and no event comes. */
TEST(withdraw_before_the_exec)
{
	static struct silent w;
	struct pogo_exec_task t = { 0 };
	bool talked = false;

	silent_init(&w, 30);
	t.job_id = "p0000000042";
	t.task_id = "t1";
	t.host = "127.0.0.1";
	t.command = "echo never";
	t.ssh_port = (unsigned)w.port;
	ASSERT_OK(w.e->ops->start(w.e, &t));
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "t1"), POGO_EXEC_WAITING);
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "t2"), POGO_EXEC_UNKNOWN);
	silent_until(&w, &w.accepted, 10000);
	/* Its banner came: the handshake waits for the server's. */
	while (w.got == 0 && !talked) {
		uv_run(&w.loop, UV_RUN_ONCE);
		talked = w.got > 0 || w.eof;
	}
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "t1"), POGO_EXEC_WAITING);
	ASSERT_OK(w.e->ops->withdraw(w.e, &t));
	ASSERT_EQ(w.e->inflight, 0);
	ASSERT_EQ(w.e->ops->taskstatus(w.e, "t1"), POGO_EXEC_UNKNOWN);
	ASSERT_EQ(w.e->ops->withdraw(w.e, &t), POGO_ERR_NOTFOUND);
	silent_until(&w, &w.eof, 10000);
	ASSERT_EQ(w.events, 0);
	silent_close(&w);
	ASSERT_EQ(w.events, 0);
}

/* The task's connect_timeout wins over the executor's (30 s). */
TEST(task_connect_timeout)
{
	static struct silent w;
	struct pogo_exec_task t = { 0 };
	uint64_t t0;
	bool done = false;

	silent_init(&w, 30);
	t.job_id = "p0000000042";
	t.task_id = "t1";
	t.host = "127.0.0.1";
	t.command = "echo never";
	t.ssh_port = (unsigned)w.port;
	t.connect_timeout = 1;
	t0 = uv_hrtime();
	ASSERT_OK(w.e->ops->start(w.e, &t));
	while (!done && (uv_hrtime() - t0) / 1000000 < 10000) {
		uv_run(&w.loop, UV_RUN_ONCE);
		done = w.events > 0;
	}
	ASSERT(done);
	ASSERT(w.accepted);
	ASSERT_LT((uv_hrtime() - t0) / 1000000, 5000);
	ASSERT_EQ(w.r.state, POGO_EXEC_UNREACHABLE);
	ASSERT_STR_EQ(w.r.msg, "cannot connect: timed out after 1 seconds");
	ASSERT(w.r.started_at == 0);
	ASSERT(w.r.finished_at > 0);
	ASSERT_EQ(w.r.records, 0);
	ASSERT_EQ(w.e->ops->withdraw(w.e, &t), POGO_ERR_NOTFOUND);
	silent_close(&w);
}

/*
 * libssh's check of ECDSA signatures and keys, which pogo's fifth libssh
 * patch (third_party/patches/libssh-0.10.6-verify-ecdsa.patch) moved off
 * EVP_DigestVerify: a signature made by OpenSSL's signer verifies; one
 * with a changed byte, one over other data or one checked with another
 * key does not; a public key whose point is not on the curve is refused.
 * libssh has no public call that signs or verifies, so its internal ones
 * are declared here (libssh 0.10.6's pki.h and pki_priv.h; pogo links
 * libssh statically).  The digest is enum ssh_digest_e's value.
 */
typedef struct ssh_signature_struct *ssh_signature;
ssh_signature pki_sign_data(const ssh_key privkey, unsigned hash_type,
    const unsigned char *input, size_t input_len);
int pki_verify_data_signature(ssh_signature signature, const ssh_key pubkey,
    const unsigned char *input, size_t input_len);
int ssh_pki_export_signature_blob(
    const ssh_signature sign, ssh_string *sig_blob);
int ssh_pki_import_signature_blob(
    const ssh_string sig_blob, const ssh_key pubkey, ssh_signature *psig);
void ssh_signature_free(ssh_signature sign);
int ssh_pki_export_pubkey_blob(const ssh_key key, ssh_string *pblob);
int ssh_pki_import_pubkey_blob(const ssh_string key_blob, ssh_key *pkey);

/* The signature of BLOB with byte AT (from the end if negative) flipped. */
static ssh_signature
ecdsa_sig_flipped(ssh_string blob, ssh_key pub, long at)
{
	size_t len = ssh_string_len(blob);
	ssh_string copy = ssh_string_copy(blob);
	unsigned char *b = ssh_string_data(copy);
	ssh_signature sig = NULL;

	ASSERT(copy != NULL);
	b[at < 0 ? (long)len + at : at] ^= 0x01;
	/* The blob still parses: r and s are only other numbers. */
	ASSERT_OK(ssh_pki_import_signature_blob(copy, pub, &sig));
	ssh_string_free(copy);
	return sig;
}

TEST(libssh_ecdsa_verify)
{
	static const struct {
		enum ssh_keytypes_e type;
		int bits;
		unsigned digest; /* SSH_DIGEST_SHA256 .. SHA512 */
	} curves[] = {
		{ SSH_KEYTYPE_ECDSA_P256, 256, 2 },
		{ SSH_KEYTYPE_ECDSA_P384, 384, 3 },
		{ SSH_KEYTYPE_ECDSA_P521, 521, 4 },
	};
	static const unsigned char data[] = "the exchange hash";
	static const unsigned char other[] = "the exchange hasH";
	char *cause;

	ASSERT_OK(pogo_ssh_init(&cause));
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		ssh_key priv = NULL, pub = NULL, priv2 = NULL, pub2 = NULL;
		ssh_key back = NULL, bad = NULL;
		ssh_string sigblob = NULL, keyblob = NULL, offcurve;
		ssh_signature sig, sig2;

		ASSERT_OK(
		    ssh_pki_generate(curves[i].type, curves[i].bits, &priv));
		ASSERT_OK(
		    ssh_pki_generate(curves[i].type, curves[i].bits, &priv2));
		ASSERT_OK(ssh_pki_export_privkey_to_pubkey(priv, &pub));
		ASSERT_OK(ssh_pki_export_privkey_to_pubkey(priv2, &pub2));

		sig = pki_sign_data(priv, curves[i].digest, data, sizeof(data));
		ASSERT(sig != NULL);
		ASSERT_OK(
		    pki_verify_data_signature(sig, pub, data, sizeof(data)));
		ASSERT_EQ(
		    pki_verify_data_signature(sig, pub, other, sizeof(other)),
		    SSH_ERROR);
		ASSERT_EQ(
		    pki_verify_data_signature(sig, pub2, data, sizeof(data)),
		    SSH_ERROR);

		/* The low byte of s, then a byte of r (after the two
		 * strings' lengths, the type name and r's length). */
		ASSERT_OK(ssh_pki_export_signature_blob(sig, &sigblob));
		sig2 = ecdsa_sig_flipped(sigblob, pub, -1);
		ASSERT_EQ(
		    pki_verify_data_signature(sig2, pub, data, sizeof(data)),
		    SSH_ERROR);
		ssh_signature_free(sig2);
		sig2 = ecdsa_sig_flipped(sigblob, pub, 4 + 19 + 4 + 4 + 10);
		ASSERT_EQ(
		    pki_verify_data_signature(sig2, pub, data, sizeof(data)),
		    SSH_ERROR);
		ssh_signature_free(sig2);

		/* The public key read back compares equal; with the last byte
		 * of its point's y changed, the point is off the curve. */
		ASSERT_OK(ssh_pki_export_pubkey_blob(pub, &keyblob));
		ASSERT_OK(ssh_pki_import_pubkey_blob(keyblob, &back));
		ASSERT_OK(ssh_key_cmp(back, pub, SSH_KEY_CMP_PUBLIC));
		ASSERT_OK(
		    pki_verify_data_signature(sig, back, data, sizeof(data)));
		offcurve = ssh_string_copy(keyblob);
		ASSERT(offcurve != NULL);
		((unsigned char *)ssh_string_data(
		    offcurve))[ssh_string_len(offcurve) - 1] ^= 0x01;
		ASSERT_EQ(
		    ssh_pki_import_pubkey_blob(offcurve, &bad), SSH_ERROR);
		ASSERT(bad == NULL);

		ssh_string_free(offcurve);
		ssh_string_free(keyblob);
		ssh_string_free(sigblob);
		ssh_signature_free(sig);
		ssh_key_free(back);
		ssh_key_free(pub2);
		ssh_key_free(priv2);
		ssh_key_free(pub);
		ssh_key_free(priv);
	}
}
