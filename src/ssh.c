/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The SSH executor, and the only file that includes libssh.
 *
 * Each task is a state machine driven by the loop: a handshake slot (at
 * most max_handshakes sessions between TCP connect and the end of
 * authentication; the others wait in a FIFO), name resolution (numeric
 * addresses directly, names with uv_getaddrinfo), a non-blocking TCP
 * connect on a socket of our own watched by a uv_poll, then libssh in
 * non-blocking mode on that socket: key exchange, host-key check,
 * authentication, channel, exec, output.  Every phase has a timer: the
 * connect timeout runs from the connect to the end of authentication, the
 * command timeout from the exec on.  libssh's errors become messages of
 * SPEC 9.8 here; nothing that a host does ends the process.
 *
 * Invariants: the uv_poll is stopped before libssh closes the socket; a
 * task's memory is freed only when its last handle is closed; done is
 * reported exactly once per started task, never from inside start.
 */
#include "pogo/compat.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <openssl/crypto.h>

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/output.h"
#include "pogo/prompt.h"
#include "pogo/ssh-config.h"
#include "pogo/ssh.h"
#include "pogo/strtab.h"
#include "pogo/stub.h"
#include "pogo/xmalloc.h"

/*
 * libssh's parser of ssh_config text (src/config.c: what
 * ssh_config_parse_file does with each line of a file, from memory; its
 * tests' entry point, not in libssh.h; linked statically).
 */
int ssh_config_parse_string(ssh_session session, const char *input);

enum ssh_phase {
	SSH_P_QUEUED,
	SSH_P_RESOLVE,
	SSH_P_CONNECT,
	SSH_P_KEX,
	SSH_P_AUTH_NONE,
	SSH_P_AUTH_JOBKEY,
	SSH_P_AUTH_AGENT,
	SSH_P_AUTH_KEY,
	SSH_P_AUTH_PASSWORD,
	SSH_P_AUTH_KBDINT,
	SSH_P_CHAN_OPEN,
	SSH_P_CHAN_PTY,
	SSH_P_CHAN_EXEC,
	SSH_P_RUNNING,
	SSH_P_DONE,
};

/*
 * An identity file, loaded at most once for every host that names it;
 * the list only grows while the executor lives (its lock guards it).
 */
struct ssh_ident {
	char *path;
	ssh_key key; /* NULL: missing, unreadable or still encrypted */
	struct ssh_ident *next;
};

/*
 * The known-hosts files in memory, read once before the loop runs: each
 * host checks the few lines that can name it (an index of the plain
 * names, plus every hashed or wildcard line), never the whole file.  Only
 * the loop thread uses it.  New keys are appended to the file off the
 * loop, one write at a time (SPEC 9.3).
 */
struct ssh_kh_line {
	char *line; /* in a file's buffer, or owned when added */
	bool global;
	bool owned;
};

struct ssh_kh {
	struct ssh_kh_line *v;
	size_t n;
	char *bufs[2];             /* the user's and the global file */
	struct pogo_strtab *names; /* a plain host name -> an id */
	struct pogo_idv *byname;   /* id -> line indexes */
	size_t nbyname;
	struct pogo_idv scan; /* hashed, wildcard and negated lines */
	/* Appends: what waits, and the one write in flight. */
	char *pending;
	size_t npending;
	char *writing;
	size_t nwriting;
	int werr;
	uv_work_t work;
	bool busy;
};

struct ssh_exec {
	struct pogo_exec base; /* first */
	uv_loop_t *loop;
	struct pogo_ssh_opts opts;
	uv_mutex_t lock; /* idents */
	/*
	 * Held while a setup thread leaves its task and while the loop kills
	 * that thread's children: the thread cannot go on to another host's
	 * "Match exec" while they are being killed.
	 */
	uv_mutex_t setup_lock;
	struct ssh_ident *idents;
	char hostkeys[512]; /* the default host key algorithms, made once */
	char *local_user;
	char *local_host;
	char *home;
	char *sshdir; /* $HOME/.ssh */
	char *config; /* NULL: none */
	struct pogo_ssh_config *cfg;
	/*
	 * The ssh_config's text when a host's session can be set up on the
	 * loop, from memory (pogo_ssh_config_plain); NULL: on the pool.
	 */
	char *config_text;
	uv_thread_t loop_thread; /* the loop's: no file read there */
	char *known_hosts;
	struct ssh_kh kh;
	struct ssh_task *hs_head; /* tasks waiting for a handshake slot */
	struct ssh_task *hs_tail;
	/*
	 * Tasks whose command runs: a subset of base.runs, kept apart for
	 * ssh_pause(), whose walk may finish a task and so start queued
	 * handshakes; those can end at once, but are never on this list.
	 */
	struct ssh_task *run_head;
	bool paused;    /* output reading held back */
	bool throttled; /* the same, the limits running on (exec.h) */
	/* Ever paused or throttled: a limit may wait for us (exec.h). */
	bool held_once;
	uv_timer_t kick;
	unsigned tasks;
	bool closing;
	void (*close_cb)(void *);
	void *close_arg;
};

struct ssh_task {
	struct pogo_exec_run run; /* on se->base.runs until done */
	struct ssh_exec *se;
	struct pogo_exec_task *t;
	struct ssh_task *hs_next;
	struct ssh_task *run_next; /* se->run_head, while running */
	struct ssh_task *run_prev;
	bool on_run_list;
	enum ssh_phase phase;
	ssh_session s;
	ssh_channel ch;
	struct ssh_channel_callbacks_struct cb;
	int fd; /* pogo's: libssh never closes it (ssh_pogo_set_event_loop) */
	uv_poll_t poll;
	bool poll_init;
	int events;
	bool stepping;    /* in ssh_step: a re-step can follow */
	bool restep;      /* ssh_wait asked ssh_step to go round again */
	unsigned resteps; /* re-steps left in this ssh_step */
	uv_timer_t timer; /* connect, channel and command timeouts, the
	                     stop's grace, the linger, deferred finish */
	uv_timer_t quiet; /* partial-line flush, prompts */
	struct pogo_exec_limit limit;   /* the command timeout, on timer */
	struct pogo_exec_linger linger; /* after the exit status */
	uv_getaddrinfo_t gai;
	struct addrinfo *ai_list;
	struct addrinfo *ai;
	char *host;
	char *user;
	unsigned port;
	char *ssh_user;           /* the task's, for the setup thread; NULL */
	char *job_user;           /* the task's user, the last default; NULL */
	unsigned ssh_port;        /* the task's; 0: none */
	unsigned connect_timeout; /* seconds: the task's, or the option */
	char *cmdline;
	char *name;     /* t->host, for the setup thread: t may go first */
	uv_work_t work; /* the session set up off the loop */
	bool setting_up;
	int setup_tid;        /* the thread that sets up (atomic), 0 before */
	uint64_t setup_began; /* uv_hrtime() when it began (atomic), 0 */
	ssh_session ws;       /* the set-up session, until the loop takes it */
	char setup_msg[256];  /* a failure of the setup */
	enum pogo_exec_state setup_state;
	struct ssh_ident **ids; /* the identity files to offer, in order */
	size_t nids;
	bool ids_only;   /* IdentitiesOnly: not the agent's other keys */
	char tried[512]; /* the methods tried, for -v */
	int methods;
	size_t key_idx;
	/*
	 * The task's secrets (SPEC 9.4, 9.6): password and passphrase are
	 * borrowed from the task (its secrets, or the executor's options)
	 * and used on the loop only; the private key's text and passphrase
	 * are copied for the setup thread, which imports the key in memory
	 * and wipes the copies.
	 */
	const char *password;
	const char *passphrase;
	char *jobkey_text;
	size_t jobkey_len;
	char *jobkey_pass;
	size_t jobkey_pass_len;
	ssh_key jobkey;     /* NULL: none, or it did not load */
	bool methods_known; /* a server's list came (st->methods) */
	bool eof_sent;      /* standard input's EOF went with the exec */
	bool none_tried;
	bool jobkey_tried;
	bool agent_tried;
	bool password_tried;
	bool kbdint_tried;
	int kbd_rounds;
	bool pty;
	bool in_handshake;
	bool resolving;
	struct pogo_output o_out;
	struct pogo_output o_err;
	struct pogo_prompt prompt;
	struct pogo_redact redact;  /* the password, then */
	struct pogo_redact redact2; /* the passphrase */
	size_t bytes;
	uint64_t out_at; /* the loop's time output was last taken */
	int exit_status;
	int exit_signal;
	bool got_status;
	bool got_signal;
	bool remote_closed;
	bool want_stop;
	bool stopping;  /* TERM sent (or due at the exec) */
	bool killed;    /* killed before the exec: ends from the loop */
	bool lingering; /* the exit status came; finish soon */
	bool cut;       /* killed while lingering: finish now */
	bool have_result;
	bool finished;
	struct pogo_exec_result res;
	int handles;
	/* Stub mode (SPEC 9.5, 9.7): the marker, then the stub is sent. */
	bool stubmode;
	bool marker_seen;
	char marker[POGO_STUB_MARKER_LEN + 1];
	char *stub; /* until it is written */
	size_t stub_len;
	size_t stub_off;
	struct pogo_stub_tail tail; /* the stub's last line */
};

/*
 * No known-hosts file for libssh: "none", as in OpenSSH's ssh_config(5);
 * libssh opens nothing for it (third_party/patches/).
 */
#define SSH_NO_FILE "none"

#define POGO_SSH_CIPHERS \
	"chacha20-poly1305@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr"

/*
 * libssh's default host key algorithms with ECDSA P-256 first: OpenSSH's
 * sshd signs with Ed25519 through its own reference code, about 0.7 ms of
 * the target's CPU per session on the machines of test/bench/README.md,
 * against 0.07 ms for ECDSA P-256 through OpenSSL (issue 8).  A host
 * whose known_hosts entries name other types is asked for those first
 * (ssh_kh_hostkeys); a HostKeyAlgorithms line in ssh_config wins.
 */
static const struct {
	const char *alg;
	enum ssh_keytypes_e type;
} ssh_hostkey_order[] = {
	{ "ecdsa-sha2-nistp256", SSH_KEYTYPE_ECDSA_P256 },
	{ "ssh-ed25519", SSH_KEYTYPE_ED25519 },
	{ "ecdsa-sha2-nistp384", SSH_KEYTYPE_ECDSA_P384 },
	{ "ecdsa-sha2-nistp521", SSH_KEYTYPE_ECDSA_P521 },
	{ "sk-ssh-ed25519@openssh.com", SSH_KEYTYPE_SK_ED25519 },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", SSH_KEYTYPE_SK_ECDSA },
	{ "rsa-sha2-512", SSH_KEYTYPE_RSA },
	{ "rsa-sha2-256", SSH_KEYTYPE_RSA },
};
#define SSH_HOSTKEYS_ALL (~0U)

static void ssh_step(struct ssh_task *st);
static void ssh_kick_cb(uv_timer_t *tm);
static void ssh_stop(struct ssh_task *st);
static void ssh_wait(struct ssh_task *st);
static void ssh_redacted(const char *d, size_t n, void *arg);
static void ssh_redact_flush(struct ssh_task *st);
static void ssh_jobkey_wipe(struct ssh_task *st);
static void ssh_finish(struct ssh_task *st);
static void ssh_deferred_finish_cb(uv_timer_t *tm);
static void ssh_hostkeys_list(unsigned types, char *list, size_t size);
static void ssh_kh_hostkeys(struct ssh_task *st);
static void ssh_linger_cb(uv_timer_t *tm);
static bool ssh_limit_holds(const struct ssh_task *st);
static bool ssh_unread(struct ssh_task *st);
static void ssh_close_timer_closed(uv_handle_t *h);

const char *
pogo_ssh_version(void)
{
	return ssh_version(0);
}

/*
 * libssh's log goes through pogo's: its warnings and protocol lines at
 * -vv, its packet lines at -vvv, nothing below.  libssh keeps the log
 * callback and level per thread, so every thread that calls it (the loop
 * and the setup threads) sets both, and does so again after an ssh_config
 * whose LogLevel changed the level.
 */
static void
ssh_log_cb(int priority, const char *function, const char *buffer, void *arg)
{
	int level =
	    priority >= SSH_LOG_PACKET ? POGO_LOG_DEBUG3 : POGO_LOG_DEBUG2;

	if (pogo_log_level >= level)
		pogo_log_write(level, function, 0, "libssh: %s", buffer);
}

static int
ssh_log_verbosity(void)
{
	if (pogo_log_level >= POGO_LOG_DEBUG3)
		return SSH_LOG_PACKET;
	if (pogo_log_level >= POGO_LOG_DEBUG2)
		return SSH_LOG_PROTOCOL;
	return SSH_LOG_NOLOG;
}

static void
ssh_log_thread(void)
{
	ssh_set_log_callback(ssh_log_cb);
	ssh_set_log_level(ssh_log_verbosity());
}

const char *
pogo_ssh_crypto_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}

const char *
pogo_ssh_sodium_version(void)
{
	return ssh_pogo_sodium_version();
}

char *
pogo_ssh_quote(const char *s)
{
	size_t n = 3, i, o = 0;
	char *q;

	for (i = 0; s[i] != '\0'; i++)
		n += s[i] == '\'' ? 4 : 1;
	q = xmalloc(n);
	q[o++] = '\'';
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '\'') {
			memcpy(q + o, "'\\''", 4);
			o += 4;
		} else
			q[o++] = s[i];
	}
	q[o++] = '\'';
	q[o] = '\0';
	return q;
}

char *
pogo_ssh_command(const char *job_id, const char *host, const char *command,
    const char *run_as)
{
	char *qid = pogo_ssh_quote(job_id), *qhost = pogo_ssh_quote(host);
	char *qinner, *sudo = NULL, *qas, *out;

	if (run_as != NULL) {
		qas = pogo_ssh_quote(run_as);
		xasprintf(&sudo, "sudo -u %s -- ", qas);
		free(qas);
	}
	/*
	 * SPEC 9.5's line, exactly: exec SUDO env ENV sh -c Q(command).
	 * Having sh export ENV itself (exec sh -c 'export ENV; command')
	 * saves env(1)'s exec, 0.56 ms of the target's CPU per session
	 * (dash login shell, loaded 2-core machine), about 2 % of an sshd
	 * session: less than the noise of sshd-cost.sh, and with this line
	 * pogo's sessions cost sshd 0.98-1.00 times `ssh host true`'s
	 * (issue 8 item 2; figures in test/bench/README.md).
	 */
	qinner = pogo_ssh_quote(command);
	xasprintf(&out,
	    "exec %senv PATH=/usr/local/bin:/usr/local/sbin:/usr/bin:"
	    "/usr/sbin:/bin:/sbin POGO_JOB_ID=%s POGO_HOST=%s sh -c %s",
	    sudo != NULL ? sudo : "", qid, qhost, qinner);
	free(qid);
	free(qhost);
	free(qinner);
	free(sudo);
	return out;
}

char *
pogo_ssh_stub_command(const char *run_as, const char *marker, bool pty)
{
	char *inner, *qinner, *sudo = NULL, *qas, *out;

	if (run_as != NULL) {
		qas = pogo_ssh_quote(run_as);
		xasprintf(&sudo, "sudo -u %s -- ", qas);
		free(qas);
	}
	/*
	 * Under a PTY, `sh -s` would be an interactive shell (prompts on
	 * the output, job control): the stub is read from /dev/stdin, a
	 * file operand, which keeps sh non-interactive.
	 */
	xasprintf(&inner, "%secho %s; exec sh %s",
	    pty ? "stty -echo -icanon -isig -iexten -ixon -icrnl -opost min 1 "
	          "time 0 2>/dev/null; "
	        : "",
	    marker, pty ? "/dev/stdin" : "-s");
	qinner = pogo_ssh_quote(inner);
	xasprintf(&out, "exec %ssh -c %s", sudo != NULL ? sudo : "", qinner);
	free(inner);
	free(qinner);
	free(sudo);
	return out;
}

/* Record the task's result (the first one wins). */
static void ssh_result(struct ssh_task *st, enum pogo_exec_state state,
    int exitstatus, const char *fmt, ...) POGO_PRINTFLIKE(4, 5);

static void
ssh_result(struct ssh_task *st, enum pogo_exec_state state, int exitstatus,
    const char *fmt, ...)
{
	va_list ap;

	if (st->have_result)
		return;
	st->have_result = true;
	st->res.state = state;
	st->res.exitstatus = exitstatus;
	st->res.timed_out = false;
	va_start(ap, fmt);
	vsnprintf(st->res.msg, sizeof(st->res.msg), fmt, ap);
	va_end(ap);
}

/* libssh's last error, for "ssh error: <detail>". */
static const char *
ssh_detail(const struct ssh_task *st)
{
	const char *e = st->s != NULL ? ssh_get_error(st->s) : NULL;

	return e != NULL && *e != '\0' ? e : "protocol error";
}

/* A failure before authentication ended: closed connections are
 * unreachable, everything else an ssh error. */
static void
ssh_fail_handshake(struct ssh_task *st)
{
	const char *e = ssh_detail(st);

	if (strstr(e, "disconnected") != NULL ||
	    strstr(e, "Connection closed") != NULL ||
	    strstr(e, "Connection reset") != NULL ||
	    strstr(e, "Socket closed") != NULL ||
	    strstr(e, "Remote host closed") != NULL)
		ssh_result(st, POGO_EXEC_UNREACHABLE, -1,
		    "cannot connect: connection closed by remote host");
	else
		ssh_result(st, POGO_EXEC_FAILED, -1, "ssh error: %s", e);
	ssh_finish(st);
}

/* A task or a known-hosts write ended: close once none is left. */
static void
ssh_exec_unref(struct ssh_exec *se)
{
	se->tasks--;
	if (se->closing && se->tasks == 0)
		uv_close((uv_handle_t *)&se->kick, ssh_close_timer_closed);
}

/* Drop one reference (a handle or a pending request); free at zero. */
static void
ssh_unref(struct ssh_task *st)
{
	struct ssh_exec *se = st->se;

	if (--st->handles > 0)
		return;
	if (st->ai_list != NULL)
		uv_freeaddrinfo(st->ai_list);
	free(st->host);
	free(st->user);
	free(st->ssh_user);
	free(st->job_user);
	free(st->cmdline);
	free(st->name);
	free(st->ids);
	if (st->stub != NULL)
		pogo_freezero(st->stub, st->stub_len);
	ssh_jobkey_wipe(st);
	if (st->jobkey != NULL)
		ssh_key_free(st->jobkey);
	free(st);
	ssh_exec_unref(se);
}

static void
ssh_handle_closed(uv_handle_t *h)
{
	ssh_unref(h->data);
}

/* Start tasks from the handshake queue while there are free slots. */
static void
ssh_hs_pump(struct ssh_exec *se)
{
	struct ssh_task *st;

	while (se->hs_head != NULL &&
	    se->base.handshakes < se->opts.max_handshakes) {
		st = se->hs_head;
		se->hs_head = st->hs_next;
		if (se->hs_head == NULL)
			se->hs_tail = NULL;
		st->in_handshake = true;
		se->base.handshakes++;
		if (se->base.handshakes > se->base.peak_handshakes)
			se->base.peak_handshakes = se->base.handshakes;
		ssh_step(st);
	}
}

static void
ssh_hs_release(struct ssh_task *st)
{
	if (!st->in_handshake)
		return;
	st->in_handshake = false;
	st->se->base.handshakes--;
}

/* Drop st from the handshake queue, if it is there. */
static void
ssh_hs_remove(struct ssh_task *st)
{
	struct ssh_exec *se = st->se;
	struct ssh_task **pp, *prev = NULL;

	for (pp = &se->hs_head; *pp != NULL; prev = *pp, pp = &(*pp)->hs_next) {
		if (*pp == st) {
			*pp = st->hs_next;
			if (se->hs_tail == st)
				se->hs_tail = prev;
			return;
		}
	}
}

/* End the task: report the result, free libssh, close the handles. */
static void
ssh_run_unlink(struct ssh_task *st)
{
	if (!st->on_run_list)
		return;
	if (st->run_prev != NULL)
		st->run_prev->run_next = st->run_next;
	else
		st->se->run_head = st->run_next;
	if (st->run_next != NULL)
		st->run_next->run_prev = st->run_prev;
	st->run_next = st->run_prev = NULL;
	st->on_run_list = false;
}

/*
 * End the session.  The socket is pogo's (SSH_OPTIONS_FD, in libssh's
 * event-loop mode): libssh never closes it, ssh_end() does.  The channel's
 * close and SSH_MSG_DISCONNECT leave before the socket closes, so that
 * sshd ends the session on the message: libssh writes without blocking,
 * and a write that would block only leaves them unsent.
 */
static void
ssh_close_session(struct ssh_task *st)
{
	/* Not forgotten by libssh after a socket error. */
	if (ssh_get_fd(st->s) == SSH_INVALID_SOCKET)
		return;
	ssh_set_fd_towrite(st->s);
	ssh_disconnect(st->s);
}

/*
 * End the task, with its done event (report), or without any (a
 * withdrawn task, which never started).
 */
static void
ssh_end(struct ssh_task *st, bool report)
{
	struct ssh_exec *se = st->se;

	if (st->finished)
		return;
	st->finished = true;
	st->phase = SSH_P_DONE;
	ssh_run_unlink(st);
	ssh_hs_remove(st);
	ssh_hs_release(st);
	if (st->resolving)
		uv_cancel((uv_req_t *)&st->gai);
	/* A setup still running ends on its own; ssh_setup_done frees. */
	if (st->setting_up)
		uv_cancel((uv_req_t *)&st->work);
	uv_timer_stop(&st->timer);
	uv_timer_stop(&st->quiet);
	if (report) {
		ssh_redact_flush(st);
		pogo_output_flush(&st->o_out);
		pogo_output_flush(&st->o_err);
	}
	if (!st->have_result)
		ssh_result(st, POGO_EXEC_FAILED, -1, "connection lost");
	/* Stop watching the socket (uv_close does at once) before it closes. */
	if (st->poll_init)
		uv_close((uv_handle_t *)&st->poll, ssh_handle_closed);
	/* The channel's close leaves with SSH_MSG_DISCONNECT (uncorks). */
	if (st->s != NULL)
		ssh_pogo_cork(st->s, 1);
	if (st->ch != NULL) {
		ssh_channel_free(st->ch);
		st->ch = NULL;
	}
	if (st->s != NULL) {
		ssh_close_session(st);
		ssh_free(st->s);
		st->s = NULL;
	}
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	uv_close((uv_handle_t *)&st->timer, ssh_handle_closed);
	uv_close((uv_handle_t *)&st->quiet, ssh_handle_closed);
	st->res.signal = st->got_signal ? st->exit_signal : 0;
	if (report) {
		pogo_exec_run_done(&se->base, &st->run, &st->res);
		ssh_hs_pump(se);
		return;
	}
	/* withdraw() calls nothing back: the next handshakes start later. */
	pogo_exec_run_drop(&se->base, &st->run);
	uv_timer_start(&se->kick, ssh_kick_cb, 0, 0);
}

static void
ssh_finish(struct ssh_task *st)
{
	ssh_end(st, true);
}

static void
ssh_record(
    enum pogo_out_type type, const char *data, size_t len, bool eol, void *arg)
{
	struct ssh_task *st = arg;
	size_t mlen = POGO_STUB_MARKER_LEN;

	if (st->stubmode && type == POGO_OUT_STDOUT) {
		if (!st->marker_seen && eol && len >= mlen &&
		    memcmp(data + len - mlen, st->marker, mlen) == 0) {
			/* The marker line goes; the stub is sent (running). */
			st->marker_seen = true;
			if (len == mlen)
				return;
			len -= mlen;
		} else if (st->marker_seen)
			pogo_stub_tail_feed(&st->tail, data, len, eol);
	}
	pogo_exec_run_output(&st->se->base, &st->run, type, data, len, eol);
}

/*
 * Stub mode: once the marker is in, write the stub, as far as the
 * channel's window lets us, then EOF without a PTY.
 */
static void
ssh_stub_write(struct ssh_task *st)
{
	size_t n;
	int w;

	if (st->stub == NULL || !st->marker_seen || st->stopping)
		return;
	while (st->stub_off < st->stub_len) {
		n = st->stub_len - st->stub_off;
		if (n > 65536)
			n = 65536;
		w = ssh_channel_write(
		    st->ch, st->stub + st->stub_off, (uint32_t)n);
		if (w <= 0)
			return; /* an error shows in the session's state */
		st->stub_off += (size_t)w;
		if ((size_t)w < n)
			return; /* the window is full: more after it grows */
	}
	pogo_freezero(st->stub, st->stub_len);
	st->stub = NULL;
	if (!st->pty)
		ssh_channel_send_eof(st->ch);
}

/* The result from the exit status or signal (SPEC 9.7 in stub mode). */
static void
ssh_exit_result(struct ssh_task *st)
{
	int status = st->got_signal ? 0 : st->exit_status;
	int sig = st->got_signal ? st->exit_signal : 0;

	if (st->stubmode)
		pogo_stub_result(
		    &st->res, &st->tail, status, sig, st->t->timeout);
	else
		pogo_exec_result_exit(&st->res, status, sig);
}

static void
ssh_quiet_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;
	static const char note[] = " (supplied by pogo)";
	const char *answer;
	bool fail = false;

	/* Not quiet: its output is held back by a slow reader. */
	if ((st->se->paused || st->se->throttled) && !st->stopping) {
		uv_timer_start(
		    &st->quiet, ssh_quiet_cb, POGO_OUTPUT_QUIET_MS, 0);
		return;
	}
	if (st->pty && st->phase == SSH_P_RUNNING && !st->stopping) {
		answer =
		    pogo_prompt_check(&st->prompt, uv_now(st->se->loop), &fail);
		if (fail) {
			ssh_result(st, POGO_EXEC_FAILED, -1, "%s",
			    pogo_prompt_failure(&st->prompt));
			ssh_stop(st);
		} else if (answer != NULL) {
			ssh_channel_write(
			    st->ch, answer, (uint32_t)strlen(answer));
			ssh_channel_write(st->ch, "\n", 1);
			/* The note continues the prompt's line. */
			ssh_redact_flush(st);
			pogo_output_feed(&st->o_out, note, sizeof(note) - 1);
			ssh_wait(st);
			return;
		}
	}
	ssh_redact_flush(st);
	pogo_output_flush(&st->o_out);
	pogo_output_flush(&st->o_err);
}

/* Redacted PTY output goes on to the record splitter. */
static void
ssh_redacted(const char *d, size_t n, void *arg)
{
	pogo_output_feed(arg, d, n);
}

/* Output without the password goes on without the passphrase. */
static void
ssh_redacted_pw(const char *d, size_t n, void *arg)
{
	struct ssh_task *st = arg;

	pogo_redact_feed(&st->redact2, d, n, ssh_redacted, &st->o_out);
}

/* PTY output through both redactors (SPEC 9.6). */
static void
ssh_redact_feed(struct ssh_task *st, const char *data, size_t len)
{
	pogo_redact_feed(&st->redact, data, len, ssh_redacted_pw, st);
}

/* Release what the redactors hold back. */
static void
ssh_redact_flush(struct ssh_task *st)
{
	pogo_redact_flush(&st->redact, ssh_redacted_pw, st);
	pogo_redact_flush(&st->redact2, ssh_redacted, &st->o_out);
}

/* libssh channel callbacks: they only record; work happens after. */
static int
ssh_data_cb(ssh_session s, ssh_channel ch, void *data, uint32_t len,
    int is_stderr, void *arg)
{
	struct ssh_task *st = arg;
	struct pogo_output *o = is_stderr && !st->pty ? &st->o_err : &st->o_out;
	size_t max = st->se->opts.max_output, take = len;
	char msg[96];

	if (st->want_stop || st->stopping)
		return (int)len;
	/*
	 * Back-pressure: leave the data in libssh's buffer; the channel
	 * window closes and the command waits (ssh_pause).
	 */
	if (st->se->paused || st->se->throttled)
		return 0;
	if (max > 0 && st->bytes + take > max)
		take = max - st->bytes;
	st->bytes += take;
	st->out_at = uv_now(st->se->loop);
	if (st->pty) {
		if (pogo_prompt_feed(
		        &st->prompt, data, take, uv_now(st->se->loop))) {
			/* A dealbreaker: the secret was refused. */
			ssh_result(
			    st, POGO_EXEC_FAILED, -1, "authentication failed");
			st->want_stop = true;
		}
		ssh_redact_feed(st, data, take);
	} else
		pogo_output_feed(o, data, take);
	if (take < len) {
		pogo_output_flush(&st->o_out);
		pogo_output_flush(&st->o_err);
		snprintf(msg, sizeof(msg),
		    "== Output exceeded maximum length of %zu bytes ==", max);
		ssh_record(POGO_OUT_STDERR, msg, strlen(msg), true, st);
		ssh_result(
		    st, POGO_EXEC_FAILED, -1, "output exceeded %zu bytes", max);
		st->want_stop = true;
	}
	return (int)len;
}

static void
ssh_close_cb(ssh_session s, ssh_channel ch, void *arg)
{
	((struct ssh_task *)arg)->remote_closed = true;
}

static void
ssh_exit_status_cb(ssh_session s, ssh_channel ch, int status, void *arg)
{
	struct ssh_task *st = arg;

	st->exit_status = status;
	st->got_status = true;
}

static void
ssh_exit_signal_cb(ssh_session s, ssh_channel ch, const char *signal, int core,
    const char *errmsg, const char *lang, void *arg)
{
	struct ssh_task *st = arg;
	int n = signal != NULL ? pogo_exec_signal_number(signal) : 0;

	/* SPEC 9.8: 128 + S; an unknown name gives 255. */
	st->exit_signal = n > 0 ? n : 255 - 128;
	st->got_signal = true;
}

/* Watch the socket for what libssh (or the connect) waits for. */
static void ssh_poll_cb(uv_poll_t *p, int status, int events);

static void
ssh_watch(struct ssh_task *st, int events)
{
	if (!st->poll_init) {
		if (uv_poll_init(st->se->loop, &st->poll, st->fd) != 0) {
			ssh_result(st, POGO_EXEC_FAILED, -1,
			    "ssh error: cannot watch the socket");
			ssh_finish(st);
			return;
		}
		st->poll.data = st;
		st->poll_init = true;
		st->handles++;
	}
	if (events != st->events) {
		st->events = events;
		uv_poll_start(&st->poll, events, ssh_poll_cb);
	}
}

/*
 * After a libssh call returned SSH_AGAIN: wait for the socket.  libssh
 * (in event-loop mode, third_party/README.md) asks for writability once
 * after the connect, and after a write that fell short.  After the
 * connect (the key exchange's first calls), within ssh_step, the call is
 * made again at once instead: the connect's writability is already known
 * (ssh_set_fd_towrite), so that goes on without a wake-up of the loop and
 * two changes of the watched events (each an epoll_ctl DEL and ADD in
 * libuv); the key exchange's packets are too small to fall short.  ssh_step bounds the
 * re-steps (SSH_RESTEPS).  After a short write libssh sends nothing more
 * until the loop says the socket is writable, so then, as outside
 * ssh_step, the loop watches for writability at once.
 */
#define SSH_RESTEPS 4

static void
ssh_wait(struct ssh_task *st)
{
	int ev = UV_READABLE;

	/* What the step queued leaves now, in one write (ssh_step). */
	if (st->s != NULL)
		ssh_pogo_cork(st->s, 0);
	if (st->s != NULL && (ssh_get_poll_flags(st->s) & SSH_WRITE_PENDING)) {
		if (st->stepping && st->resteps > 0 &&
		    (st->phase == SSH_P_CONNECT || st->phase == SSH_P_KEX))
			st->restep = true;
		else
			ev |= UV_WRITABLE;
	}
	ssh_watch(st, ev);
}

static void
ssh_connect_timeout_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;

	ssh_result(st, POGO_EXEC_UNREACHABLE, -1,
	    "cannot connect: timed out after %u seconds", st->connect_timeout);
	ssh_finish(st);
}

static void
ssh_channel_timeout_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;

	ssh_result(st, POGO_EXEC_FAILED, -1,
	    "ssh error: no answer to the channel requests within %u seconds",
	    st->connect_timeout);
	ssh_finish(st);
}

/* Neither the exit nor the channel's close came after the KILL. */
static void
ssh_kill_wait_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;
	size_t n = strlen(st->res.msg);

	snprintf(
	    st->res.msg + n, sizeof(st->res.msg) - n, "%s", POGO_EXEC_MAY_RUN);
	ssh_finish(st);
}

/*
 * The grace after TERM is over: KILL.  OpenSSH's sshd sends a signal
 * request to the session's process group (killpg), and the command is the
 * session leader (exec), so this reaches everything the command started
 * that did not leave the group.  The done event comes with the exit, or
 * POGO_EXEC_LINGER_MS later with a warning.
 */
static void
ssh_grace_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;

	if (st->ch != NULL && st->phase == SSH_P_RUNNING)
		ssh_channel_request_send_signal(st->ch, "KILL");
	uv_timer_start(&st->timer, ssh_kill_wait_cb, POGO_EXEC_LINGER_MS, 0);
	if (st->s != NULL && st->fd >= 0)
		ssh_wait(st);
}

/* Stop a running command: TERM, then KILL after the grace (SPEC 9.10). */
static void
ssh_stop(struct ssh_task *st)
{
	if (st->stopping || st->lingering)
		return;
	st->stopping = true;
	if (st->ch != NULL && st->phase == SSH_P_RUNNING)
		ssh_channel_request_send_signal(st->ch, "TERM");
	uv_timer_stop(&st->timer);
	uv_timer_start(&st->timer, ssh_grace_cb,
	    st->se->opts.kill_grace_ms ? st->se->opts.kill_grace_ms
	                               : POGO_EXEC_KILL_GRACE_MS,
	    0);
	if (st->s != NULL && st->fd >= 0)
		ssh_wait(st);
}

/* Output of st waits unread in libssh's channel buffer. */
static bool
ssh_held_back(struct ssh_task *st)
{
	return st->ch != NULL &&
	    (ssh_channel_poll(st->ch, 0) > 0 ||
	        ssh_channel_poll(st->ch, 1) > 0);
}

static void
ssh_command_timeout_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;
	struct pogo_exec_held h = { 0 };

	h.paused = st->se->paused;
	h.throttled = st->se->throttled;
	h.once = st->se->held_once;
	h.back = ssh_held_back(st);
	h.unread = h.back || (h.once && ssh_unread(st));
	if (pogo_exec_limit_expired_waits(
	        &st->limit, &st->timer, ssh_command_timeout_cb, &h))
		return;
	ssh_result(st, POGO_EXEC_FAILED, -1, "timed out after %u seconds",
	    st->t->timeout);
	st->res.timed_out = true;
	ssh_stop(st);
}

static const char *
ssh_errno_text(int e)
{
	switch (e) {
	case ECONNREFUSED:
		return "connection refused";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case ETIMEDOUT:
		return "connection timed out";
	default:
		return strerror(e);
	}
}

/* Open a non-blocking TCP connection to st->ai. */
static void
ssh_connect_next(struct ssh_task *st)
{
	int fd, one = 1;

	for (; st->ai != NULL; st->ai = st->ai->ai_next) {
		fd = socket(st->ai->ai_family,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				ssh_result(st, POGO_EXEC_FAILED, -1,
				    "ssh error: too many open files");
				ssh_finish(st);
				return;
			}
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (st->fd >= 0) {
			/*
			 * Another address of the same host: the poll handle
			 * watches st->fd, so the new socket takes that number.
			 */
			if (dup3(fd, st->fd, O_CLOEXEC) == -1) {
				close(fd);
				continue;
			}
			close(fd);
			fd = st->fd;
		}
		if (connect(fd, st->ai->ai_addr, st->ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS) {
			st->fd = fd;
			st->phase = SSH_P_CONNECT;
			st->events = 0;
			ssh_watch(st, UV_WRITABLE);
			return;
		}
		if (st->ai->ai_next == NULL) {
			ssh_result(st, POGO_EXEC_UNREACHABLE, -1,
			    "cannot connect: %s", ssh_errno_text(errno));
			if (st->fd < 0)
				close(fd);
			ssh_finish(st);
			return;
		}
		if (st->fd < 0)
			close(fd);
	}
	ssh_result(
	    st, POGO_EXEC_UNREACHABLE, -1, "cannot connect: no usable address");
	ssh_finish(st);
}

static void
ssh_resolved_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct ssh_task *st = req->data;

	st->resolving = false;
	if (st->finished || st->killed) {
		if (res != NULL)
			uv_freeaddrinfo(res);
		ssh_unref(st);
		return;
	}
	ssh_unref(st);
	if (status != 0) {
		if (status == UV_EAI_NONAME || status == UV_EAI_NODATA ||
		    status == UV_EAI_AGAIN || status == UV_EAI_FAIL)
			ssh_result(st, POGO_EXEC_UNREACHABLE, -1,
			    "cannot connect: name does not resolve");
		else
			ssh_result(st, POGO_EXEC_UNREACHABLE, -1,
			    "cannot connect: %s", uv_strerror(status));
		ssh_finish(st);
		return;
	}
	st->ai_list = st->ai = res;
	ssh_connect_next(st);
}

/* A failure of the setup, recorded by its thread for the loop. */
static void ssh_setup_fail(struct ssh_task *st, enum pogo_exec_state state,
    const char *fmt, ...) POGO_PRINTFLIKE(3, 4);

static void
ssh_setup_fail(
    struct ssh_task *st, enum pogo_exec_state state, const char *fmt, ...)
{
	va_list ap;

	st->setup_state = state;
	va_start(ap, fmt);
	vsnprintf(st->setup_msg, sizeof(st->setup_msg), fmt, ap);
	va_end(ap);
}

/* libssh's last error on the session being set up. */
static const char *
ssh_setup_detail(ssh_session s)
{
	const char *e = ssh_get_error(s);

	return e != NULL && *e != '\0' ? e : "protocol error";
}

/*
 * The passphrase callback of a key import without a passphrase: none.
 * Without it, OpenSSL's default callback asks on /dev/tty itself (and on
 * the setup thread would hang every host behind the lock).
 */
static int
ssh_no_passphrase(const char *prompt, char *buf, size_t len, int echo,
    int verify, void *userdata)
{
	return SSH_ERROR;
}

/*
 * The identity file at path, loaded on first use (any thread).  Encrypted
 * files were decrypted at start if their name was known then; one met
 * later is skipped (no prompt while hosts run).
 */
static struct ssh_ident *
ssh_ident_get(struct ssh_exec *se, const char *path)
{
	struct ssh_ident *id;
	uv_thread_t self;

	uv_mutex_lock(&se->lock);
	for (id = se->idents; id != NULL; id = id->next)
		if (strcmp(id->path, path) == 0)
			goto out;
	self = uv_thread_self();
	id = xcalloc(1, sizeof(*id));
	id->path = xstrdup(path);
	/*
	 * On the loop (a plain ssh_config), every file a host can name was
	 * loaded at start: one that was not is not read here, only skipped.
	 */
	if (se->config_text != NULL && uv_thread_equal(&self, &se->loop_thread))
		log_warn(
		    "identity file %s was not loaded at start; skipped", path);
	else if (access(path, R_OK) == 0 &&
	    ssh_pki_import_privkey_file(
	        path, NULL, ssh_no_passphrase, NULL, &id->key) != SSH_OK) {
		id->key = NULL;
		log_debug("identity file %s cannot be loaded (encrypted, "
		          "or not a private key); skipped",
		    path);
	}
	id->next = se->idents;
	se->idents = id;
out:
	uv_mutex_unlock(&se->lock);
	return id;
}

/* Offer id (once) to this host. */
static void
ssh_ident_add(struct ssh_task *st, struct ssh_ident *id)
{
	size_t i;

	if (id->key == NULL)
		return;
	for (i = 0; i < st->nids; i++)
		if (st->ids[i] == id)
			return;
	st->ids = xreallocarray(st->ids, st->nids + 1, sizeof(*st->ids));
	st->ids[st->nids++] = id;
}

/* Wipe and free the copies of the job's key and passphrase. */
static void
ssh_jobkey_wipe(struct ssh_task *st)
{
	if (st->jobkey_text != NULL)
		pogo_freezero(st->jobkey_text, st->jobkey_len);
	if (st->jobkey_pass != NULL)
		pogo_freezero(st->jobkey_pass, st->jobkey_pass_len);
	st->jobkey_text = st->jobkey_pass = NULL;
}

/*
 * The job's private key (client_private_key, SPEC 9.4), imported in
 * memory with its passphrase, on the setup thread, never on the loop
 * (an encrypted key's KDF takes its time): never written to a file, no
 * agent.  A key that does not load (a wrong passphrase) is not offered.
 */
static void
ssh_setup_jobkey(struct ssh_task *st)
{
	if (st->jobkey_text == NULL)
		return;
	if (ssh_pki_import_privkey_base64(st->jobkey_text, st->jobkey_pass,
	        ssh_no_passphrase, NULL, &st->jobkey) != SSH_OK) {
		st->jobkey = NULL;
		log_debug("host=%s: the job's private key cannot be loaded "
		          "(not a private key, or a wrong passphrase); "
		          "not offered",
		    st->name);
	}
	ssh_jobkey_wipe(st);
}

/*
 * The login without -l, a task's ssh_user or a User line (SPEC 9.3): the
 * worker's default_user, the job's user, the local user (ssh(1)'s).
 */
static const char *
ssh_default_login(const struct ssh_task *st)
{
	const struct ssh_exec *se = st->se;

	return se->opts.default_user != NULL ? se->opts.default_user
	    : st->job_user != NULL           ? st->job_user
	                                     : se->local_user;
}

/*
 * The identity files of this host, as OpenSSH orders them: -i first, then
 * every IdentityFile of the ssh_config that applies; the default names
 * only when neither names one.
 */
static int
ssh_setup_identities(struct ssh_task *st, ssh_session s)
{
	static const char *defaults[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
	struct ssh_exec *se = st->se;
	struct pogo_ssh_config_host h;
	struct pogo_strv files = { 0 };
	char *user = NULL, *cause = NULL, *path;
	size_t i;
	int r;

	if (ssh_options_get(s, SSH_OPTIONS_USER, &user) != SSH_OK)
		user = NULL;
	memset(&h, 0, sizeof(h));
	h.name = st->name;
	h.hostname = st->host;
	h.user = user != NULL ? user : se->local_user;
	h.port = st->port;
	h.local_user = se->local_user;
	h.home = se->home;
	h.local_host = se->local_host;
	/* Set before the ssh_config is read, as ssh(1)'s -l and -p. */
	h.user_given = st->ssh_user != NULL || se->opts.user != NULL;
	h.port_given = st->ssh_port != 0 || se->opts.port != 0;
	/* The login without a User line (ssh(1): the local user). */
	h.default_user = ssh_default_login(st);
	for (i = 0; i < se->opts.identities.n; i++)
		ssh_ident_add(st, ssh_ident_get(se, se->opts.identities.v[i]));
	if (se->opts.given_identities_only) {
		if (user != NULL)
			ssh_string_free_char(user);
		return 0;
	}
	r = pogo_ssh_config_identities(
	    se->cfg, &h, &files, &st->ids_only, &cause);
	if (user != NULL)
		ssh_string_free_char(user);
	if (r != 0) {
		ssh_setup_fail(st, POGO_EXEC_FAILED, "ssh error: %s", cause);
		free(cause);
		pogo_strv_clear(&files);
		return -1;
	}
	for (i = 0; i < files.n; i++)
		ssh_ident_add(st, ssh_ident_get(se, files.v[i]));
	if (se->opts.identities.n == 0 && files.n == 0) {
		for (i = 0; i < POGO_NELEM(defaults); i++) {
			xasprintf(&path, "%s/.ssh/%s", se->home, defaults[i]);
			ssh_ident_add(st, ssh_ident_get(se, path));
			free(path);
		}
	}
	pogo_strv_clear(&files);
	return 0;
}

/*
 * Set up the libssh session: options, the ssh_config, then pogo's own
 * settings over it.  Runs off the loop (a "Match exec" runs a command),
 * or on it from the ssh_config's text when nothing is read or run there
 * (se->config_text); on st->ws only; failures go to st->setup_msg.
 */
static int
ssh_session_setup(struct ssh_task *st)
{
	struct ssh_exec *se = st->se;
	int verbosity = ssh_log_verbosity(), zero = 0, one = 1;
	ssh_session s;
	char *v = NULL;
	unsigned port = 0;

	if ((s = st->ws = ssh_new()) == NULL) {
		ssh_setup_fail(
		    st, POGO_EXEC_FAILED, "ssh error: out of memory");
		return -1;
	}
	ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &zero);
	if (ssh_options_set(s, SSH_OPTIONS_HOST, st->name) != 0) {
		ssh_setup_fail(
		    st, POGO_EXEC_FAILED, "ssh error: %s", ssh_setup_detail(s));
		return -1;
	}
	/*
	 * libssh's default ciphers without AES-GCM: the libssh built here
	 * checks the GCM tag wrongly with OpenSSL (CVE-2026-59847, see
	 * third_party/README.md).  A Ciphers line in ssh_config still wins.
	 */
	ssh_options_set(s, SSH_OPTIONS_CIPHERS_C_S, POGO_SSH_CIPHERS);
	ssh_options_set(s, SSH_OPTIONS_CIPHERS_S_C, POGO_SSH_CIPHERS);
	ssh_options_set(s, SSH_OPTIONS_HOSTKEYS, se->hostkeys);
	/* ~/.ssh from $HOME, as pogo reads it: libssh needs no getpwuid. */
	ssh_options_set(s, SSH_OPTIONS_SSH_DIR, se->sshdir);
	/*
	 * The task's ssh_user, else -l, wins over User, and "Match user"
	 * sees it (as in OpenSSH).
	 */
	if (st->ssh_user != NULL)
		ssh_options_set(s, SSH_OPTIONS_USER, st->ssh_user);
	else if (se->opts.user != NULL)
		ssh_options_set(s, SSH_OPTIONS_USER, se->opts.user);
	/*
	 * "Match user" above any User line compares the login used without
	 * one, as pogo's key reader does (ssh(1): the local user); only
	 * Match reads it (third_party/patches/), so a User line still wins.
	 */
	ssh_options_set(
	    s, SSH_OPTIONS_POGO_DEFAULT_USER, ssh_default_login(st));
	if (se->config_text != NULL && se->config != NULL &&
	    ssh_config_parse_string(s, se->config_text) != 0) {
		ssh_setup_fail(st, POGO_EXEC_FAILED,
		    "ssh error: cannot parse %s", se->config);
		return -1;
	}
	if (se->config_text == NULL && se->config != NULL &&
	    ssh_options_parse_config(s, se->config) != 0) {
		ssh_setup_fail(st, POGO_EXEC_FAILED,
		    "ssh error: cannot parse %s", se->config);
		return -1;
	}
	/*
	 * pogo's settings win over the ssh_config's: its LogLevel must not
	 * print libssh's lines, and its StrictHostKeyChecking must not make
	 * libssh call an unknown or changed host known (SPEC 9.3).
	 */
	ssh_log_thread();
	ssh_options_set(s, SSH_OPTIONS_LOG_VERBOSITY, &verbosity);
	ssh_options_set(s, SSH_OPTIONS_STRICTHOSTKEYCHECK, &one);
	if (ssh_options_get(s, SSH_OPTIONS_PROXYCOMMAND, &v) == SSH_OK) {
		ssh_string_free_char(v);
		ssh_setup_fail(st, POGO_EXEC_FAILED,
		    "ssh error: ProxyCommand and ProxyJump are not supported");
		return -1;
	}
	/* Below the ssh_config's User (SPEC 9.3): the worker's, the job's. */
	if (ssh_options_get(s, SSH_OPTIONS_USER, &v) == SSH_OK)
		ssh_string_free_char(v);
	else
		ssh_options_set(s, SSH_OPTIONS_USER, ssh_default_login(st));
	/* The task's ssh_port, else --port, wins over Port. */
	if (st->ssh_port != 0 || se->opts.port != 0) {
		port = st->ssh_port != 0 ? st->ssh_port : se->opts.port;
		ssh_options_set(s, SSH_OPTIONS_PORT, &port);
	}
	/*
	 * pogo checks host keys itself, from memory (ssh_kh_check), and
	 * orders the host key algorithms (ssh_kh_hostkeys).  libssh would
	 * still read both files at every key exchange to order them: "none"
	 * opens nothing (a path that cannot exist cost a failed open each).
	 */
	ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, SSH_NO_FILE);
	ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, SSH_NO_FILE);
	ssh_options_set(s, SSH_OPTIONS_NODELAY, &one);
	if (ssh_options_get(s, SSH_OPTIONS_HOST, &v) != SSH_OK) {
		ssh_setup_fail(st, POGO_EXEC_FAILED, "ssh error: no host name");
		return -1;
	}
	st->host = xstrdup(v);
	ssh_string_free_char(v);
	if (ssh_options_get_port(s, &port) != SSH_OK || port == 0)
		port = 22;
	st->port = port;
	ssh_setup_jobkey(st);
	return ssh_setup_identities(st, s);
}

/* The calling thread's id, asked of the kernel once per pool thread. */
static int
ssh_thread_id(void)
{
	static __thread int tid;

	if (tid == 0)
		tid = (int)gettid();
	return tid;
}

/* The setup thread: the ssh_config may take its time here. */
static void
ssh_setup_work(uv_work_t *w)
{
	struct ssh_task *st = w->data;

	__atomic_store_n(&st->setup_tid, ssh_thread_id(), __ATOMIC_RELEASE);
	__atomic_store_n(&st->setup_began, uv_hrtime(), __ATOMIC_RELEASE);
	ssh_log_thread();
	(void)ssh_session_setup(st);
	uv_mutex_lock(&st->se->setup_lock);
	__atomic_store_n(&st->setup_tid, 0, __ATOMIC_RELEASE);
	uv_mutex_unlock(&st->se->setup_lock);
}

/* The children of process (or thread) id, from /proc; n at most max. */
static size_t
ssh_children(int pid, int tid, int *out, size_t max)
{
	char path[64], buf[4096], *p, *end;
	size_t n = 0;
	ssize_t len;
	long v;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	for (p = buf; n < max; p = end) {
		v = strtol(p, &end, 10);
		if (end == p || v <= 0)
			break;
		out[n++] = (int)v;
	}
	return n;
}

/*
 * A setup outlived the connect timeout: end what its thread started (the
 * commands of "Match exec", with their children), so that the thread,
 * and pogo's exit, do not wait for them.  Without /proc, they run on.
 */
static void
ssh_setup_kill(struct ssh_task *st)
{
	int tid, pids[64];
	size_t n, i;

	uv_mutex_lock(&st->se->setup_lock);
	if ((tid = __atomic_load_n(&st->setup_tid, __ATOMIC_ACQUIRE)) <= 0) {
		uv_mutex_unlock(&st->se->setup_lock);
		return;
	}
	n = ssh_children(getpid(), tid, pids, POGO_NELEM(pids));
	/* Their descendants first are collected, then all are killed. */
	for (i = 0; i < n; i++)
		n += ssh_children(
		    pids[i], pids[i], pids + n, POGO_NELEM(pids) - n);
	for (i = 0; i < n; i++) {
		log_debug("host=%s: killing process %d of the ssh_config",
		    st->name, pids[i]);
		(void)kill(pids[i], SIGKILL);
	}
	uv_mutex_unlock(&st->se->setup_lock);
}

static void ssh_setup_done(uv_work_t *w, int status);
static void ssh_setup_ready(struct ssh_task *st, int status);

/*
 * The setup on the loop (a plain ssh_config: nothing to read or run), one
 * iteration after the task came, as the pool's would be.
 */
static void
ssh_setup_loop_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;

	(void)ssh_session_setup(st);
	ssh_setup_ready(st, 0);
}

/*
 * The connect timeout bounds a host's own setup, not its wait for a pool
 * thread behind other hosts' slow "Match exec": until the setup began,
 * and until the timeout has passed since then, look again later.
 */
static void
ssh_setup_timeout_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;
	uint64_t limit = (uint64_t)st->connect_timeout * 1000;
	uint64_t began = __atomic_load_n(&st->setup_began, __ATOMIC_ACQUIRE);
	uint64_t ran = began == 0 ? 0 : (uv_hrtime() - began) / 1000000;

	if (ran < limit) {
		uv_timer_start(&st->timer, ssh_setup_timeout_cb,
		    began == 0 ? limit : limit - ran, 0);
		return;
	}
	ssh_result(st, POGO_EXEC_FAILED, -1,
	    "ssh error: the ssh_config took more than %u seconds",
	    st->connect_timeout);
	ssh_setup_kill(st);
	ssh_finish(st);
}

/*
 * A new task: set its session up, then queue it; on the loop from a plain
 * ssh_config's text (libssh logs each line it parses at -vvv, per host),
 * else off the loop.
 */
static void
ssh_setup_start(struct ssh_task *st)
{
	struct ssh_exec *se = st->se;

	/* The job's key goes to the pool: an encrypted key's KDF takes time. */
	if (se->config_text != NULL && st->jobkey_text == NULL) {
		uv_timer_start(&st->timer, ssh_setup_loop_cb, 0, 0);
		return;
	}
	st->work.data = st;
	uv_timer_start(&st->timer, ssh_setup_timeout_cb,
	    (uint64_t)st->connect_timeout * 1000, 0);
	if (uv_queue_work(
	        se->loop, &st->work, ssh_setup_work, ssh_setup_done) != 0) {
		ssh_result(st, POGO_EXEC_FAILED, -1,
		    "ssh error: cannot queue the setup");
		uv_timer_stop(&st->timer);
		uv_timer_start(&st->quiet, ssh_deferred_finish_cb, 0, 0);
		return;
	}
	st->setting_up = true;
	st->handles++;
}

static void
ssh_setup_done(uv_work_t *w, int status)
{
	struct ssh_task *st = w->data;

	st->setting_up = false;
	if (st->finished) {
		if (st->ws != NULL)
			ssh_free(st->ws);
		st->ws = NULL;
		ssh_unref(st);
		return;
	}
	st->handles--; /* the timers still hold the task */
	ssh_setup_ready(st, status);
}

/* The session is set up (st->ws), on the loop or off it: queue it. */
static void
ssh_setup_ready(struct ssh_task *st, int status)
{
	struct ssh_exec *se = st->se;

	st->s = st->ws;
	st->ws = NULL;
	if (st->killed)
		return; /* its deferred finish is on the timer */
	uv_timer_stop(&st->timer);
	if (status != 0 || st->setup_msg[0] != '\0') {
		if (status != 0)
			ssh_result(st, POGO_EXEC_FAILED, -1, "ssh error: %s",
			    uv_strerror(status));
		else
			ssh_result(
			    st, st->setup_state, -1, "%s", st->setup_msg);
		ssh_finish(st);
		return;
	}
	if (se->hs_tail != NULL)
		se->hs_tail->hs_next = st;
	else
		se->hs_head = st;
	se->hs_tail = st;
	ssh_hs_pump(se);
}

/* Begin a task that got a handshake slot: resolve, then connect. */
static void
ssh_begin(struct ssh_task *st)
{
	struct addrinfo hints;
	char portstr[16];
	int r;

	uv_timer_start(&st->timer, ssh_connect_timeout_cb,
	    (uint64_t)st->connect_timeout * 1000, 0);
	if (st->se->opts.host_key_check != POGO_SSH_HOSTKEY_OFF)
		ssh_kh_hostkeys(st);
	snprintf(portstr, sizeof(portstr), "%u", st->port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	st->phase = SSH_P_RESOLVE;
	/* Numeric addresses need no resolver thread. */
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(st->host, portstr, &hints, &st->ai_list) == 0) {
		st->ai = st->ai_list;
		ssh_connect_next(st);
		return;
	}
	st->ai_list = NULL;
	hints.ai_flags = AI_NUMERICSERV;
	st->gai.data = st;
	if ((r = uv_getaddrinfo(st->se->loop, &st->gai, ssh_resolved_cb,
	         st->host, portstr, &hints)) != 0) {
		ssh_result(st, POGO_EXEC_UNREACHABLE, -1, "cannot connect: %s",
		    uv_strerror(r));
		ssh_finish(st);
		return;
	}
	st->resolving = true;
	st->handles++;
}

/* Index line i of the known hosts under each of its plain names. */
static void
ssh_kh_index(struct ssh_kh *kh, size_t i)
{
	const char *l = kh->v[i].line;
	size_t len = strcspn(l, " \t"), n;
	char name[1024];
	uint32_t id;
	size_t j;

	if (l[0] == '|' || memchr(l, '*', len) != NULL ||
	    memchr(l, '?', len) != NULL || memchr(l, '!', len) != NULL) {
		pogo_idv_push(&kh->scan, (uint32_t)i);
		return;
	}
	while (len > 0) {
		n = strcspn(l, ",");
		if (n > len)
			n = len;
		if (n > 0 && n < sizeof(name)) {
			for (j = 0; j < n; j++)
				name[j] = (char)tolower((unsigned char)l[j]);
			id = pogo_strtab_intern(kh->names, name, n, NULL);
			if (id >= kh->nbyname) {
				kh->byname = xreallocarray(kh->byname,
				    (size_t)id + 1, sizeof(*kh->byname));
				memset(kh->byname + kh->nbyname, 0,
				    ((size_t)id + 1 - kh->nbyname) *
				        sizeof(*kh->byname));
				kh->nbyname = (size_t)id + 1;
			}
			pogo_idv_push(&kh->byname[id], (uint32_t)i);
		}
		l += n;
		len -= n;
		if (len > 0) {
			l++;
			len--;
		}
	}
}

static void
ssh_kh_add_line(struct ssh_kh *kh, char *line, bool global, bool owned)
{
	kh->v = xreallocarray(kh->v, kh->n + 1, sizeof(*kh->v));
	kh->v[kh->n].line = line;
	kh->v[kh->n].global = global;
	kh->v[kh->n].owned = owned;
	kh->n++;
	ssh_kh_index(kh, kh->n - 1);
}

/* Read a known-hosts file into kh (a missing file is empty). */
static void
ssh_kh_load(struct ssh_kh *kh, const char *path, bool global)
{
	char *buf, *cur, *line;
	size_t len;
	int r;

	if ((r = pogo_str_read_file(path, 256 * 1024 * 1024, &buf, &len)) !=
	    0) {
		if (r != UV_ENOENT)
			log_warn("cannot read %s: %s", path, uv_strerror(r));
		return;
	}
	kh->bufs[global] = buf;
	cur = buf;
	while ((line = pogo_str_next_line(&cur)) != NULL) {
		/* Markers (@cert-authority, @revoked): libssh skips them. */
		if (line[0] != '@')
			ssh_kh_add_line(kh, line, global, false);
	}
}

static void
ssh_kh_clear(struct ssh_kh *kh)
{
	size_t i;

	for (i = 0; i < kh->n; i++)
		if (kh->v[i].owned)
			free(kh->v[i].line);
	free(kh->v);
	for (i = 0; i < kh->nbyname; i++)
		pogo_idv_clear(&kh->byname[i]);
	free(kh->byname);
	pogo_idv_clear(&kh->scan);
	pogo_strtab_free(kh->names);
	free(kh->bufs[0]);
	free(kh->bufs[1]);
	free(kh->pending);
}

/* The lines that may name hostport ("host", or "[host]:port"). */
static void
ssh_kh_candidates(struct ssh_kh *kh, const char *hostport, struct pogo_idv *out)
{
	char name[1024];
	size_t n, i, k;
	uint32_t id;

	for (k = 0; k < 2; k++) {
		/* Port 22 is also written "[host]:22". */
		if (k == 0)
			n = (size_t)snprintf(
			    name, sizeof(name), "%s", hostport);
		else if (hostport[0] != '[')
			n = (size_t)snprintf(
			    name, sizeof(name), "[%s]:22", hostport);
		else
			break;
		if (n >= sizeof(name))
			continue;
		for (i = 0; i < n; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		id = pogo_strtab_find(kh->names, name, n);
		if (id != POGO_STRTAB_NONE && id < kh->nbyname)
			for (i = 0; i < kh->byname[id].n; i++)
				pogo_idv_push(out, kh->byname[id].v[i]);
	}
	for (i = 0; i < kh->scan.n; i++)
		pogo_idv_push(out, kh->scan.v[i]);
}

/*
 * libssh's verdict for one file (ssh_known_hosts_check_server_key): OK on
 * a matching key, CHANGED for another key of the same type, OTHER for keys
 * of other types only, UNKNOWN for no line.  With key NULL, collect the
 * key types of the lines instead (into *types).
 */
static enum ssh_known_hosts_e
ssh_kh_check_file(struct ssh_kh *kh, const char *hostport,
    const struct pogo_idv *cands, bool global, ssh_key key, unsigned *types)
{
	enum ssh_known_hosts_e found = SSH_KNOWN_HOSTS_UNKNOWN;
	struct ssh_knownhosts_entry *e;
	enum ssh_keytypes_e t;
	size_t i;

	for (i = 0; i < cands->n; i++) {
		if (kh->v[cands->v[i]].global != global)
			continue;
		e = NULL;
		if (ssh_known_hosts_parse_line(
		        hostport, kh->v[cands->v[i]].line, &e) != SSH_OK) {
			ssh_knownhosts_entry_free(e);
			continue;
		}
		t = ssh_key_type(e->publickey);
		if (key == NULL) {
			if ((unsigned)t < 32)
				*types |= 1u << (unsigned)t;
		} else if (ssh_key_cmp(key, e->publickey, SSH_KEY_CMP_PUBLIC) ==
		    0) {
			ssh_knownhosts_entry_free(e);
			return SSH_KNOWN_HOSTS_OK;
		} else if (ssh_key_type(key) == t)
			found = SSH_KNOWN_HOSTS_CHANGED;
		else if (found != SSH_KNOWN_HOSTS_CHANGED)
			found = SSH_KNOWN_HOSTS_OTHER;
		ssh_knownhosts_entry_free(e);
	}
	return found;
}

/* "host" for port 22, else "[host]:port", as libssh writes them. */
static char *
ssh_kh_hostport(const struct ssh_task *st)
{
	char *hp;

	if (st->port == 22)
		return xstrdup(st->host);
	xasprintf(&hp, "[%s]:%u", st->host, st->port);
	return hp;
}

/* The known-hosts verdict for the server's key (user file, then global). */
static enum ssh_known_hosts_e
ssh_kh_check(struct ssh_task *st, ssh_key key)
{
	struct ssh_kh *kh = &st->se->kh;
	struct pogo_idv cands = { 0 };
	enum ssh_known_hosts_e u, g;
	char *hp = ssh_kh_hostport(st);

	ssh_kh_candidates(kh, hp, &cands);
	u = ssh_kh_check_file(kh, hp, &cands, false, key, NULL);
	if (u != SSH_KNOWN_HOSTS_OK) {
		g = ssh_kh_check_file(kh, hp, &cands, true, key, NULL);
		if (g != SSH_KNOWN_HOSTS_UNKNOWN)
			u = g;
	}
	pogo_idv_clear(&cands);
	free(hp);
	return u;
}

/*
 * The host key algorithms of ssh_hostkey_order, in its order, those of
 * the key types set in types first (SSH_HOSTKEYS_ALL: the default list).
 */
static void
ssh_hostkeys_list(unsigned types, char *list, size_t size)
{
	size_t i, n = 0;
	int pass;

	_Static_assert(SSH_KEYTYPE_SK_ED25519_CERT01 < 32,
	    "a key type is a bit of an unsigned");
	list[0] = '\0';
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < POGO_NELEM(ssh_hostkey_order); i++) {
			if (((types >> (unsigned)ssh_hostkey_order[i].type) &
			        1) != !pass)
				continue;
			n += (size_t)snprintf(list + n, size - n, "%s%s",
			    n > 0 ? "," : "", ssh_hostkey_order[i].alg);
			if (n >= size)
				POGO_BUG("host key list longer than %zu", size);
		}
	}
}

/*
 * A known host is asked first for the key types on record (as libssh does
 * when it reads the file itself, which it no longer does: its files are
 * "none"), then for the rest.
 */
static void
ssh_kh_hostkeys(struct ssh_task *st)
{
	struct ssh_kh *kh = &st->se->kh;
	struct pogo_idv cands = { 0 };
	char *hp = ssh_kh_hostport(st), list[512];
	unsigned types = 0;

	ssh_kh_candidates(kh, hp, &cands);
	(void)ssh_kh_check_file(kh, hp, &cands, false, NULL, &types);
	(void)ssh_kh_check_file(kh, hp, &cands, true, NULL, &types);
	pogo_idv_clear(&cands);
	free(hp);
	if (types == 0)
		return;
	ssh_hostkeys_list(types, list, sizeof(list));
	ssh_options_set(st->s, SSH_OPTIONS_HOSTKEYS, list);
}

static void ssh_kh_flush(struct ssh_exec *se);

static void
ssh_kh_write_work(uv_work_t *w)
{
	struct ssh_exec *se = w->data;
	struct ssh_kh *kh = &se->kh;
	char *dir, *slash;
	ssize_t n;
	size_t off = 0;
	int fd;

	kh->werr = 0;
	dir = xstrdup(se->known_hosts);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		(void)mkdir(dir, 0700);
	}
	free(dir);
	fd = open(
	    se->known_hosts, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		kh->werr = errno;
		return;
	}
	if (flock(fd, LOCK_EX) != 0)
		kh->werr = errno;
	while (kh->werr == 0 && off < kh->nwriting) {
		n = write(fd, kh->writing + off, kh->nwriting - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			kh->werr = n == -1 ? errno : EIO;
		else
			off += (size_t)n;
	}
	close(fd);
}

static void
ssh_kh_write_done(uv_work_t *w, int status)
{
	struct ssh_exec *se = w->data;
	struct ssh_kh *kh = &se->kh;

	if (status == 0 && kh->werr != 0)
		log_warn("cannot add host keys to %s: %s", se->known_hosts,
		    strerror(kh->werr));
	free(kh->writing);
	kh->writing = NULL;
	kh->busy = false;
	ssh_kh_flush(se);
	ssh_exec_unref(se);
}

/* Start the write of the pending entries, unless one is in flight. */
static void
ssh_kh_flush(struct ssh_exec *se)
{
	struct ssh_kh *kh = &se->kh;

	if (kh->busy || kh->npending == 0)
		return;
	kh->writing = kh->pending;
	kh->nwriting = kh->npending;
	kh->pending = NULL;
	kh->npending = 0;
	kh->work.data = se;
	if (uv_queue_work(se->loop, &kh->work, ssh_kh_write_work,
	        ssh_kh_write_done) != 0) {
		log_warn("cannot add host keys to %s", se->known_hosts);
		free(kh->writing);
		kh->writing = NULL;
		return;
	}
	kh->busy = true;
	se->tasks++; /* the executor closes after the write */
}

/* accept-new: remember the server's key, and append it to the file. */
static void
ssh_known_hosts_add(struct ssh_task *st)
{
	struct ssh_kh *kh = &st->se->kh;
	char *entry = NULL;
	size_t len;

	if (ssh_session_export_known_hosts_entry(st->s, &entry) != SSH_OK) {
		log_warn("host=%s: cannot add the host key to %s", st->t->host,
		    st->se->known_hosts);
		return;
	}
	len = strlen(entry);
	kh->pending = xreallocarray(kh->pending, kh->npending + len, 1);
	memcpy(kh->pending + kh->npending, entry, len);
	kh->npending += len;
	entry[strcspn(entry, "\r\n")] = '\0';
	ssh_kh_add_line(kh, xstrdup(entry), false, true);
	ssh_string_free_char(entry);
	ssh_kh_flush(st->se);
}

/*
 * AES-GCM negotiated anyway (a Ciphers line of the user's ssh_config wins
 * over POGO_SSH_CIPHERS): refused before anything is sent, because the
 * libssh built accepts forged GCM tags (CVE-2026-59847, third_party/).
 */
static bool
ssh_cipher_ok(struct ssh_task *st)
{
	const char *in = ssh_get_cipher_in(st->s),
	           *out = ssh_get_cipher_out(st->s);

	if ((in != NULL && strstr(in, "gcm") != NULL) ||
	    (out != NULL && strstr(out, "gcm") != NULL)) {
		ssh_result(st, POGO_EXEC_FAILED, -1,
		    "ssh error: cipher %s refused (AES-GCM is unsafe in this "
		    "libssh build); name chacha20-poly1305 or aes*-ctr in "
		    "Ciphers",
		    in != NULL && strstr(in, "gcm") != NULL ? in : out);
		return false;
	}
	return true;
}

/* The host-key check after key exchange; false when refused. */
static bool
ssh_hostkey_ok(struct ssh_task *st)
{
	enum pogo_ssh_hostkey mode = st->se->opts.host_key_check;
	enum ssh_known_hosts_e k;
	ssh_key key = NULL;

	if (mode == POGO_SSH_HOSTKEY_OFF)
		return true;
	if (ssh_get_server_publickey(st->s, &key) != SSH_OK) {
		ssh_result(
		    st, POGO_EXEC_FAILED, -1, "ssh error: %s", ssh_detail(st));
		return false;
	}
	k = ssh_kh_check(st, key);
	ssh_key_free(key);
	switch (k) {
	case SSH_KNOWN_HOSTS_OK:
		return true;
	case SSH_KNOWN_HOSTS_CHANGED:
	case SSH_KNOWN_HOSTS_OTHER:
		ssh_result(st, POGO_EXEC_FAILED, -1,
		    "host key verification failed: key changed");
		return false;
	default:
		if (mode == POGO_SSH_HOSTKEY_STRICT) {
			ssh_result(st, POGO_EXEC_FAILED, -1,
			    "host key verification failed: unknown host");
			return false;
		}
		ssh_known_hosts_add(st);
		return true;
	}
}

/* Note a method tried, for the -v line of a failure. */
static void
ssh_tried(struct ssh_task *st, const char *what)
{
	size_t n = strlen(st->tried);

	log_debug("host=%s: trying %s", st->t->host, what);
	snprintf(st->tried + n, sizeof(st->tried) - n, "%s%s",
	    n > 0 ? ", " : "", what);
}

/* The next authentication method to try (SPEC 9.4), or DONE. */
static enum ssh_phase
ssh_next_auth(struct ssh_task *st)
{
	struct ssh_exec *se = st->se;
	char what[1100];

	/* The job's own key first (SPEC 9.4). */
	if ((st->methods & SSH_AUTH_METHOD_PUBLICKEY) && st->jobkey != NULL &&
	    !st->jobkey_tried) {
		ssh_tried(st, "the job's private key");
		return SSH_P_AUTH_JOBKEY;
	}
	/* IdentitiesOnly: the agent's keys are not offered. */
	if ((st->methods & SSH_AUTH_METHOD_PUBLICKEY) && se->opts.use_agent &&
	    !st->ids_only && !st->agent_tried &&
	    getenv("SSH_AUTH_SOCK") != NULL) {
		ssh_tried(st, "the agent's keys");
		return SSH_P_AUTH_AGENT;
	}
	if ((st->methods & SSH_AUTH_METHOD_PUBLICKEY) &&
	    st->key_idx < st->nids) {
		snprintf(what, sizeof(what), "publickey %s",
		    st->ids[st->key_idx]->path);
		ssh_tried(st, what);
		return SSH_P_AUTH_KEY;
	}
	if ((st->methods & SSH_AUTH_METHOD_PASSWORD) && st->password != NULL &&
	    !st->password_tried) {
		ssh_tried(st, "password");
		return SSH_P_AUTH_PASSWORD;
	}
	if ((st->methods & SSH_AUTH_METHOD_INTERACTIVE) &&
	    st->password != NULL && !st->kbdint_tried) {
		ssh_tried(st, "keyboard-interactive");
		return SSH_P_AUTH_KBDINT;
	}
	return SSH_P_DONE;
}

/*
 * The next method, or the none method when every other one is out and
 * none has not been asked: a server tells its methods in the failure of
 * any request, so none is asked last, not first (issue 8: a round trip
 * less for both sides; SPEC 9.4 asks none first).  Before the server's
 * list, only publickey is assumed: with no key to offer, none comes
 * first and brings the list.
 */
static enum ssh_phase
ssh_auth_first_or_none(struct ssh_task *st)
{
	enum ssh_phase ph = ssh_next_auth(st);

	if (ph == SSH_P_DONE && !st->none_tried) {
		st->none_tried = true;
		return SSH_P_AUTH_NONE;
	}
	return ph;
}

/* The methods a server offers, for -v. */
static void
ssh_log_methods(struct ssh_task *st)
{
	log_debug("host=%s: the server offers%s%s%s%s (%zu identity "
	          "file%s to offer)",
	    st->t->host,
	    (st->methods & SSH_AUTH_METHOD_PUBLICKEY) ? " publickey" : "",
	    (st->methods & SSH_AUTH_METHOD_PASSWORD) ? " password" : "",
	    (st->methods & SSH_AUTH_METHOD_INTERACTIVE)
	        ? " keyboard-interactive"
	        : "",
	    st->methods == 0 ? " no method" : "", st->nids,
	    st->nids == 1 ? "" : "s");
}

/* An authentication attempt ended without success: try the next. */
static void
ssh_auth_next(struct ssh_task *st)
{
	int methods = ssh_userauth_list(st->s, NULL);

	/*
	 * 0: no list from the server yet (an attempt libssh refused before
	 * sending anything, as an agent without keys): keep assuming.
	 */
	if (methods != 0 && (!st->methods_known || methods != st->methods)) {
		st->methods = methods;
		st->methods_known = true;
		ssh_log_methods(st);
	}
	st->phase = ssh_auth_first_or_none(st);
	if (st->phase == SSH_P_DONE) {
		log_debug("host=%s: authentication failed; tried: %s",
		    st->t->host, st->tried[0] != '\0' ? st->tried : "nothing");
		ssh_result(st, POGO_EXEC_FAILED, -1, "authentication failed");
		ssh_finish(st);
	}
}

/* Authentication succeeded: free the handshake slot, open a channel. */
static void
ssh_auth_ok(struct ssh_task *st)
{
	struct ssh_exec *se = st->se;

	/* The channel, PTY and exec requests get their own time limit. */
	uv_timer_stop(&st->timer);
	uv_timer_start(&st->timer, ssh_channel_timeout_cb,
	    (uint64_t)st->connect_timeout * 1000, 0);
	ssh_hs_release(st);
	st->phase = SSH_P_CHAN_OPEN;
	/* Others may start now, from the loop; this task goes on below. */
	uv_timer_start(&se->kick, ssh_kick_cb, 0, 0);
}

/* One keyboard-interactive round; false when the method ends. */
static int
ssh_kbdint(struct ssh_task *st)
{
	int rc, n, i;
	char echo;

	for (;;) {
		rc = ssh_userauth_kbdint(st->s, NULL, NULL);
		if (rc != SSH_AUTH_INFO)
			return rc;
		if (++st->kbd_rounds > 3)
			return SSH_AUTH_DENIED;
		n = ssh_userauth_kbdint_getnprompts(st->s);
		for (i = 0; i < n; i++) {
			(void)ssh_userauth_kbdint_getprompt(
			    st->s, (unsigned)i, &echo);
			if (echo)
				return SSH_AUTH_DENIED;
			if (ssh_userauth_kbdint_setanswer(
			        st->s, (unsigned)i, st->password) < 0)
				return SSH_AUTH_ERROR;
		}
	}
}

/*
 * The session closed during authentication.  A DISCONNECT from the server
 * (sshd's "Too many authentication failures" once MaxAuthTries keys were
 * refused) fails the host with SPEC 9.8's "authentication failed"; the
 * server's reason, text it chose, goes to the log (escaped by log.c,
 * bounded here), not into the message the API and the summary show.
 * libssh has closed the socket, so there is nothing left to wait for.
 */
static void
ssh_fail_auth_closed(struct ssh_task *st)
{
	static const char pfx[] = "Received SSH_MSG_DISCONNECT: ";
	const char *e = ssh_detail(st), *why;

	if (strncmp(e, pfx, sizeof(pfx) - 1) != 0) {
		ssh_fail_handshake(st);
		return;
	}
	why = e + sizeof(pfx) - 1;
	why += strspn(why, "0123456789");
	why += *why == ':';
	why += strspn(why, " ");
	log_info("host=%s: authentication failed: the server disconnected: "
	         "%.200s",
	    st->t->host, why);
	ssh_result(st, POGO_EXEC_FAILED, -1, "authentication failed");
	ssh_finish(st);
}

/* Turn an authentication return code into the next step. */
static bool
ssh_auth_rc(struct ssh_task *st, int rc, bool *tried)
{
	bool closed =
	    (ssh_get_status(st->s) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0;

	switch (rc) {
	case SSH_AUTH_AGAIN:
		if (closed) {
			ssh_fail_auth_closed(st);
			return false;
		}
		ssh_wait(st);
		return false;
	case SSH_AUTH_SUCCESS:
		ssh_auth_ok(st);
		return true;
	case SSH_AUTH_ERROR:
		if (closed) {
			ssh_fail_auth_closed(st);
			return false;
		}
		/* FALLTHROUGH */
	default:
		if (tried != NULL)
			*tried = true;
		ssh_auth_next(st);
		return st->phase != SSH_P_DONE;
	}
}

/* Finish with the command's exit status or signal, unless a timeout, a
 * kill or the output limit decided the result. */
static void
ssh_exit_finish(struct ssh_task *st)
{
	if (!st->have_result && (st->got_signal || st->got_status)) {
		ssh_exit_result(st);
		st->have_result = true;
	}
	ssh_finish(st);
}

/* Bytes wait in st's socket, not read by libssh yet. */
static bool
ssh_unread(struct ssh_task *st)
{
	int n = 0;

	return st->fd >= 0 && ioctl(st->fd, FIONREAD, &n) == 0 && n > 0;
}

static void
ssh_linger_cb(uv_timer_t *tm)
{
	struct ssh_task *st = tm->data;
	uint64_t ms;

	if (st->cut) {
		/* Killed (exec.h): the channel closes with the session. */
		ssh_exit_finish(st);
		return;
	}
	/*
	 * Output held back for a slow reader is not abandoned, nor output
	 * still waiting in the socket because the loop could not read it in
	 * time, or in libssh's buffer while throttled, nor output that came
	 * during the tick: only a quiet, open channel is given up, or one
	 * still busy when the command's timeout is spent (exec.h).
	 */
	ms = pogo_exec_linger_next(&st->linger, st->t, &st->timer,
	    st->se->paused && ssh_held_back(st),
	    ssh_unread(st) || (st->se->throttled && ssh_held_back(st)),
	    st->out_at);
	if (ms > 0) {
		uv_timer_start(&st->timer, ssh_linger_cb, ms, 0);
		return;
	}
	ssh_exit_finish(st);
}

/* The command runs: pump libssh, then act on what it reported. */
static void
ssh_running(struct ssh_task *st)
{
	uint64_t ms;
	int rc;

	if (!ssh_channel_is_eof(st->ch))
		rc = ssh_channel_poll(st->ch, 0);
	else {
		/*
		 * After EOF only this call still reads packets; it returns
		 * the status, -1 (= SSH_ERROR) while none came: errors are
		 * told by the session's state below.
		 */
		(void)ssh_channel_get_exit_status(st->ch);
		rc = SSH_OK;
	}
	if (pogo_output_pending(&st->o_out) || pogo_output_pending(&st->o_err))
		uv_timer_start(
		    &st->quiet, ssh_quiet_cb, POGO_OUTPUT_QUIET_MS, 0);
	ssh_stub_write(st);
	if (st->want_stop) {
		st->want_stop = false;
		ssh_stop(st);
	}
	/*
	 * Done at the channel's close, or at EOF once the exit status (or
	 * signal) is in: no data can follow an EOF, and libssh reads no
	 * more packets for a channel at EOF whose status is known.
	 */
	/* Output held back for a slow reader is read before the end. */
	if ((st->se->paused || st->se->throttled) && !st->stopping &&
	    (ssh_channel_poll(st->ch, 0) > 0 ||
	        ssh_channel_poll(st->ch, 1) > 0)) {
		ssh_wait(st);
		return;
	}
	if (st->remote_closed || ssh_channel_is_closed(st->ch) ||
	    (ssh_channel_is_eof(st->ch) &&
	        (st->got_status || st->got_signal))) {
		ssh_exit_finish(st);
		return;
	}
	/*
	 * The exit status came, but something the command started in the
	 * background holds its output open: finish after the linger.
	 */
	if ((st->got_status || st->got_signal) && !st->lingering &&
	    !st->stopping) {
		ms = pogo_exec_linger_start(
		    &st->linger, &st->limit, &st->timer, ssh_limit_holds(st));
		st->lingering = true;
		log_debug("task %s host %s: exited, its output still open: "
		          "lingering",
		    st->t->task_id, st->name);
		uv_timer_stop(&st->timer);
		uv_timer_start(&st->timer, ssh_linger_cb, ms, 0);
	}
	if (rc == SSH_ERROR ||
	    (ssh_get_status(st->s) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
		ssh_finish(st);
		return;
	}
	ssh_wait(st);
}

/* Advance the state machine as far as libssh lets it go. */
static void
ssh_advance(struct ssh_task *st)
{
	struct ssh_exec *se = st->se;
	uint64_t limit;
	int rc;

	for (;;) {
		if (st->finished || st->killed)
			return;
		switch (st->phase) {
		case SSH_P_QUEUED:
			ssh_begin(st);
			return;
		case SSH_P_RESOLVE:
			return;
		case SSH_P_CONNECT: {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(
			        st->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
				err = errno;
			if (err == EINPROGRESS || err == EALREADY)
				return;
			if (err != 0) {
				uv_poll_stop(&st->poll);
				st->events = 0;
				if (st->ai != NULL && st->ai->ai_next != NULL) {
					st->ai = st->ai->ai_next;
					ssh_connect_next(st);
					return;
				}
				ssh_result(st, POGO_EXEC_UNREACHABLE, -1,
				    "cannot connect: %s", ssh_errno_text(err));
				ssh_finish(st);
				return;
			}
			/*
			 * libssh in event-loop mode (third_party/README.md):
			 * no poll() of its own, the socket stays non-blocking
			 * and pogo's, and the loop says when it is ready.  The
			 * connect is done: it is writable.
			 */
			ssh_options_set(st->s, SSH_OPTIONS_FD, &st->fd);
			ssh_set_blocking(st->s, 0);
			ssh_pogo_set_event_loop(st->s);
			ssh_set_fd_towrite(st->s);
			st->phase = SSH_P_KEX;
			continue;
		}
		case SSH_P_KEX:
			rc = ssh_connect(st->s);
			if (rc == SSH_AGAIN) {
				ssh_wait(st);
				return;
			}
			if (rc != SSH_OK) {
				ssh_fail_handshake(st);
				return;
			}
			if (!ssh_cipher_ok(st) || !ssh_hostkey_ok(st)) {
				ssh_finish(st);
				return;
			}
			/*
			 * Until a server's list comes, assume publickey only:
			 * a key's failure brings the list, and a password
			 * goes only where it is offered (SPEC 9.4).
			 */
			st->methods = SSH_AUTH_METHOD_PUBLICKEY;
			st->phase = ssh_auth_first_or_none(st);
			continue;
		case SSH_P_AUTH_NONE:
			rc = ssh_userauth_none(st->s, NULL);
			if (!ssh_auth_rc(st, rc, NULL))
				return;
			continue;
		case SSH_P_AUTH_JOBKEY:
			rc = ssh_userauth_publickey(st->s, NULL, st->jobkey);
			if (!ssh_auth_rc(st, rc, &st->jobkey_tried))
				return;
			continue;
		case SSH_P_AUTH_AGENT:
			rc = ssh_userauth_agent(st->s, NULL);
			if (!ssh_auth_rc(st, rc, &st->agent_tried))
				return;
			continue;
		case SSH_P_AUTH_KEY:
			rc = ssh_userauth_publickey(
			    st->s, NULL, st->ids[st->key_idx]->key);
			/* Anything but a wait or a success: the next key
			 * (an error on a live session would retry this one
			 * for ever, review12 2). */
			if (rc != SSH_AUTH_AGAIN && rc != SSH_AUTH_SUCCESS)
				st->key_idx++;
			if (!ssh_auth_rc(st, rc, NULL))
				return;
			continue;
		case SSH_P_AUTH_PASSWORD:
			rc = ssh_userauth_password(st->s, NULL, st->password);
			if (!ssh_auth_rc(st, rc, &st->password_tried))
				return;
			continue;
		case SSH_P_AUTH_KBDINT:
			rc = ssh_kbdint(st);
			if (!ssh_auth_rc(st, rc, &st->kbdint_tried))
				return;
			continue;
		case SSH_P_CHAN_OPEN:
			if (st->ch == NULL) {
				if ((st->ch = ssh_channel_new(st->s)) == NULL) {
					ssh_result(st, POGO_EXEC_FAILED, -1,
					    "ssh error: %s", ssh_detail(st));
					ssh_finish(st);
					return;
				}
				ssh_callbacks_init(&st->cb);
				st->cb.userdata = st;
				st->cb.channel_data_function = ssh_data_cb;
				st->cb.channel_close_function = ssh_close_cb;
				st->cb.channel_exit_status_function =
				    ssh_exit_status_cb;
				st->cb.channel_exit_signal_function =
				    ssh_exit_signal_cb;
				ssh_set_channel_callbacks(st->ch, &st->cb);
			}
			rc = ssh_channel_open_session(st->ch);
			if (rc == SSH_AGAIN) {
				ssh_wait(st);
				return;
			}
			if (rc != SSH_OK) {
				ssh_result(st, POGO_EXEC_FAILED, -1,
				    "ssh error: channel refused: %s",
				    ssh_detail(st));
				ssh_finish(st);
				return;
			}
			st->phase = st->pty ? SSH_P_CHAN_PTY : SSH_P_CHAN_EXEC;
			continue;
		case SSH_P_CHAN_PTY:
			rc = ssh_channel_request_pty_size(
			    st->ch, "dumb", 80, 24);
			if (rc == SSH_AGAIN) {
				ssh_wait(st);
				return;
			}
			if (rc != SSH_OK) {
				ssh_result(st, POGO_EXEC_FAILED, -1,
				    "ssh error: PTY refused: %s",
				    ssh_detail(st));
				ssh_finish(st);
				return;
			}
			st->phase = SSH_P_CHAN_EXEC;
			continue;
		case SSH_P_CHAN_EXEC:
			rc = ssh_channel_request_exec(st->ch, st->cmdline);
			/*
			 * Standard input: EOF at once, without a PTY, in the
			 * exec request's write (the server reads it after the
			 * request, so the command's stdin is at its end).
			 */
			if (rc != SSH_ERROR && !st->pty && !st->stubmode &&
			    !st->eof_sent) {
				ssh_channel_send_eof(st->ch);
				st->eof_sent = true;
			}
			if (rc == SSH_AGAIN) {
				ssh_wait(st);
				return;
			}
			if (rc != SSH_OK) {
				ssh_result(st, POGO_EXEC_FAILED, -1,
				    "ssh error: exec refused: %s",
				    ssh_detail(st));
				ssh_finish(st);
				return;
			}
			st->phase = SSH_P_RUNNING;
			st->run_next = se->run_head;
			if (se->run_head != NULL)
				se->run_head->run_prev = st;
			se->run_head = st;
			st->on_run_list = true;
			uv_timer_stop(&st->timer);
			pogo_exec_run_started(&se->base, &st->run);
			/* Stub mode: the whole run is limited (9.10). */
			limit = st->stubmode ? pogo_stub_run_limit(st->t)
			                     : st->t->timeout;
			if (limit > 0 && !st->stopping)
				pogo_exec_limit_start(&st->limit, &st->timer,
				    ssh_command_timeout_cb, limit * 1000,
				    se->paused);
			if (st->stopping) {
				st->stopping = false;
				ssh_stop(st);
			}
			continue;
		case SSH_P_RUNNING:
			ssh_running(st);
			return;
		case SSH_P_DONE:
			return;
		}
	}
}

/* ssh_advance, again while it only waits to flush (ssh_wait). */
static void
ssh_step(struct ssh_task *st)
{
	if (st->stepping) {
		ssh_advance(st);
		return;
	}
	st->stepping = true;
	st->resteps = SSH_RESTEPS;
	do {
		/*
		 * The packets of a step leave together, when it waits
		 * (ssh_wait) or ends: NEWKEYS with the service request, one
		 * segment and one wake-up of sshd where there were two.
		 */
		if (st->s != NULL)
			ssh_pogo_cork(st->s, 1);
		st->restep = false;
		ssh_advance(st);
	} while (
	    st->restep && st->resteps-- > 0 && !st->finished && !st->killed);
	st->stepping = false;
	st->restep = false;
	if (st->s != NULL)
		ssh_pogo_cork(st->s, 0);
}

static void
ssh_poll_cb(uv_poll_t *p, int status, int events)
{
	struct ssh_task *st = p->data;

	if (st->finished)
		return;
	/*
	 * libssh polls nothing itself (event-loop mode): tell it what the
	 * socket is ready for.  An error (libuv stopped the watcher) is
	 * read: recv() reports it.
	 */
	if (status < 0)
		st->events = 0;
	if (st->s != NULL) {
		if (status < 0 || (events & UV_READABLE))
			ssh_set_fd_toread(st->s);
		if (events & UV_WRITABLE)
			ssh_set_fd_towrite(st->s);
	}
	ssh_step(st);
}

/* Kick: start queued handshakes from the loop, never from start(). */
static void
ssh_kick_cb(uv_timer_t *tm)
{
	ssh_hs_pump(tm->data);
}

static void
ssh_deferred_finish_cb(uv_timer_t *tm)
{
	ssh_finish(tm->data);
}

static int
ssh_start(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct ssh_exec *se = (struct ssh_exec *)e;
	struct ssh_task *st;
	char mrnd[POGO_STUB_RANDOM_HEX + 1], rnd[POGO_STUB_RANDOM_HEX + 1];
	int r;

	if (se->closing)
		return UV_ECANCELED;
	if (pogo_stub_needed(t->stub) &&
	    ((r = pogo_stub_random(mrnd)) != 0 ||
	        (r = pogo_stub_random(rnd)) != 0))
		return r;
	st = xcalloc(1, sizeof(*st));
	st->se = se;
	st->t = t;
	st->fd = -1;
	t->priv = st;
	uv_timer_init(se->loop, &st->timer);
	uv_timer_init(se->loop, &st->quiet);
	st->timer.data = st->quiet.data = st;
	st->handles = 2;
	/*
	 * The task's secrets, or without any the executor's (pogo one's
	 * -p).  The key's text is copied for the setup thread: a killed
	 * task's secrets are wiped before its setup ends.
	 */
	if (t->secrets != NULL) {
		st->password = t->secrets->password;
		st->passphrase = t->secrets->pvt_key_passphrase;
		if (t->secrets->client_private_key != NULL) {
			st->jobkey_text =
			    xstrdup(t->secrets->client_private_key);
			st->jobkey_len = strlen(st->jobkey_text);
		}
		if (st->jobkey_text != NULL && st->passphrase != NULL) {
			st->jobkey_pass = xstrdup(st->passphrase);
			st->jobkey_pass_len = strlen(st->jobkey_pass);
		}
	} else
		st->password = se->opts.password;
	/* A PTY lets sudo and the like prompt (SPEC 9.5). */
	st->pty = st->password != NULL || t->run_as != NULL;
	if (pogo_stub_needed(t->stub)) {
		/* Stub mode (SPEC 9.5): a random marker, then the stub. */
		st->stubmode = true;
		snprintf(st->marker, sizeof(st->marker), "POGO-READY-%s", mrnd);
		st->stub = pogo_stub_script(t, rnd, NULL);
		st->stub_len = strlen(st->stub);
		st->cmdline =
		    pogo_ssh_stub_command(t->run_as, st->marker, st->pty);
	} else
		st->cmdline =
		    pogo_ssh_command(t->job_id, t->host, t->command, t->run_as);
	st->name = xstrdup(t->host);
	st->ssh_user = t->ssh_user != NULL ? xstrdup(t->ssh_user) : NULL;
	st->job_user =
	    se->opts.task_user_default && t->user != NULL && t->user[0] != '\0'
	    ? xstrdup(t->user)
	    : NULL;
	st->ssh_port = t->ssh_port;
	st->connect_timeout = t->connect_timeout != 0
	    ? t->connect_timeout
	    : se->opts.connect_timeout;
	pogo_prompt_init(&st->prompt, st->password, st->passphrase);
	pogo_redact_init(&st->redact, st->password);
	pogo_redact_init(&st->redact2, st->passphrase);
	pogo_output_init(&st->o_out, POGO_OUT_STDOUT, st->pty, ssh_record, st);
	pogo_output_init(&st->o_err, POGO_OUT_STDERR, st->pty, ssh_record, st);
	se->tasks++;
	pogo_exec_run_add(e, &st->run, t);
	ssh_setup_start(st);
	return 0;
}

static void
ssh_kill(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct ssh_task *st = t->priv;

	if (st == NULL || st->finished || st->killed || st->cut)
		return;
	if (st->lingering) {
		/*
		 * Its exit status came and stands; the linger (something it
		 * started holds the channel) ends now, from the loop.
		 */
		st->cut = true;
		uv_timer_stop(&st->timer);
		uv_timer_start(&st->timer, ssh_linger_cb, 0, 0);
		return;
	}
	ssh_result(st, POGO_EXEC_FAILED, -1, "killed");
	/*
	 * The race of issue 9 (ssh_kill against the exec, on st->quiet):
	 * a kill that came while the exec request was out (SSH_P_CHAN_EXEC)
	 * counted as "not running yet" and armed the deferred finish on
	 * st->quiet; the socket stayed watched, so in the same poll batch
	 * the exec's answer could move the task to SSH_P_RUNNING, whose first
	 * output re-armed st->quiet for the partial-line flush: the finish
	 * was lost, no TERM was sent, and the killed command ran to its end.
	 * Now (6e9d296) a kill from SSH_P_CHAN_EXEC on is a stop (TERM at
	 * the exec), and an earlier one ends the task on st->timer, which
	 * nothing re-arms once ssh_step() returns for a killed task.  Not
	 * tested: the kill must land between the exec request and its
	 * answer, a window of one round trip that no test here can hold
	 * open on a real sshd.
	 */
	if (st->phase >= SSH_P_CHAN_EXEC) {
		/* The exec request is out: the command may be running. */
		ssh_stop(st);
		return;
	}
	/*
	 * Nothing runs on the target yet: end it from the loop, on the timer
	 * that nothing re-arms once ssh_step() stops (killed); the quiet
	 * timer would be re-armed by output, and the task run to its end.
	 */
	st->killed = true;
	ssh_hs_remove(st);
	if (st->poll_init) {
		uv_poll_stop(&st->poll);
		st->events = 0;
	}
	uv_timer_stop(&st->quiet);
	uv_timer_stop(&st->timer);
	uv_timer_start(&st->timer, ssh_deferred_finish_cb, 0, 0);
}

/*
 * Take back a task whose exec request is not out: its session, if any,
 * ends without running anything, and no event comes.
 */
static int
ssh_withdraw(struct pogo_exec *e, struct pogo_exec_task *t)
{
	struct ssh_task *st = t->priv;

	if (st == NULL || st->se != (struct ssh_exec *)e || !st->run.linked)
		return POGO_ERR_NOTFOUND;
	if (st->finished || st->killed || st->phase >= SSH_P_CHAN_EXEC)
		return POGO_ERR_STATE;
	ssh_end(st, false);
	return 0;
}

static void
ssh_exec_free(struct ssh_exec *se)
{
	struct ssh_ident *id, *next;

	for (id = se->idents; id != NULL; id = next) {
		next = id->next;
		ssh_key_free(id->key);
		free(id->path);
		free(id);
	}
	uv_mutex_destroy(&se->lock);
	uv_mutex_destroy(&se->setup_lock);
	pogo_ssh_config_free(se->cfg);
	ssh_kh_clear(&se->kh);
	pogo_strv_clear(&se->opts.identities);
	free(se->local_user);
	free(se->local_host);
	free(se->home);
	free(se->sshdir);
	free(se->config);
	free(se->config_text);
	free(se->known_hosts);
	free(se);
}

static void
ssh_close_timer_closed(uv_handle_t *h)
{
	struct ssh_exec *se = h->data;
	void (*cb)(void *) = se->close_cb;
	void *arg = se->close_arg;

	ssh_exec_free(se);
	if (cb != NULL)
		cb(arg);
}

static void
ssh_close(struct pogo_exec *e, void (*cb)(void *), void *arg)
{
	struct ssh_exec *se = (struct ssh_exec *)e;

	se->closing = true;
	se->close_cb = cb;
	se->close_arg = arg;
	if (se->tasks == 0)
		uv_close((uv_handle_t *)&se->kick, ssh_close_timer_closed);
}

/* Whether st->timer holds the command timeout (not a stop, linger...). */
static bool
ssh_limit_holds(const struct ssh_task *st)
{
	return st->phase == SSH_P_RUNNING && !st->stopping && !st->lingering &&
	    !st->finished && !st->killed;
}

/*
 * Back-pressure: while paused, ssh_data_cb leaves the data in libssh's
 * channel buffer, which stops growing the window, so the server stops
 * sending.  On resume the buffered data is read here (which opens the
 * window again: no packet may come to deliver it otherwise), and each
 * task looks at its state again.  Called from the loop only.
 */
static void ssh_read_held(struct ssh_exec *se);

static void
ssh_pause(struct pogo_exec *e, bool paused)
{
	struct ssh_exec *se = (struct ssh_exec *)e;
	struct ssh_task *st;

	if (se->paused == paused)
		return;
	se->paused = paused;
	se->held_once |= paused;
	/* The command timeouts wait while the commands wait for us. */
	for (st = se->run_head; st != NULL; st = st->run_next) {
		if (st->lingering && !st->finished && !st->killed)
			pogo_exec_linger_pause(&st->linger, &st->timer, paused,
			    paused && ssh_held_back(st));
		if (paused)
			pogo_exec_limit_freeze(&st->limit, &st->timer,
			    ssh_limit_holds(st) && ssh_held_back(st));
		else
			pogo_exec_limit_thaw(&st->limit, &st->timer,
			    ssh_command_timeout_cb, ssh_limit_holds(st));
		/* Still throttled: the throttle's freeze, bounded. */
		if (!paused && se->throttled)
			pogo_exec_limit_throttle(&st->limit, &st->timer,
			    ssh_limit_holds(st) && ssh_held_back(st));
	}
	if (paused || se->throttled)
		return;
	ssh_read_held(se);
}

/* exec.h: reading stops or goes on; the limits and the linger run on. */
static void
ssh_throttle(struct pogo_exec *e, bool on)
{
	struct ssh_exec *se = (struct ssh_exec *)e;
	struct ssh_task *st;

	if (se->throttled == on)
		return;
	se->throttled = on;
	se->held_once |= on;
	/* The command timeouts wait a while for us (exec.h). */
	for (st = se->run_head; st != NULL && !se->paused; st = st->run_next) {
		if (st->lingering && !st->finished && !st->killed)
			pogo_exec_linger_throttle(&st->linger, &st->limit,
			    &st->timer, on, ssh_held_back(st));
		if (on)
			pogo_exec_limit_throttle(&st->limit, &st->timer,
			    ssh_limit_holds(st) && ssh_held_back(st));
		else
			pogo_exec_limit_thaw(&st->limit, &st->timer,
			    ssh_command_timeout_cb, ssh_limit_holds(st));
	}
	if (!on && !se->paused)
		ssh_read_held(se);
}

/*
 * Reading goes on: the data libssh buffered meanwhile is read here (which
 * opens the window again: no packet may come to deliver it otherwise),
 * and each task looks at its state again.
 */
static void
ssh_read_held(struct ssh_exec *se)
{
	struct ssh_task *st, *next;
	char buf[16384];
	int n, k, i;

	for (st = se->run_head; st != NULL && !se->paused && !se->throttled;
	     st = next) {
		next = st->run_next;
		for (k = 0; k < 2 && !st->finished; k++) {
			for (i = 0; i < 256 && !se->paused && !se->throttled &&
			     st->ch != NULL;
			     i++) {
				n = ssh_channel_read_nonblocking(
				    st->ch, buf, sizeof(buf), k);
				if (n <= 0)
					break;
				ssh_data_cb(
				    st->s, st->ch, buf, (uint32_t)n, k, st);
			}
		}
		if (!st->finished && st->phase == SSH_P_RUNNING)
			ssh_running(st);
	}
}

static const struct pogo_exec_ops ssh_ops = {
	.start = ssh_start,
	.kill = ssh_kill,
	.close = ssh_close,
	.pause = ssh_pause,
	.throttle = ssh_throttle,
	.taskstatus = pogo_exec_taskstatus,
	.withdraw = ssh_withdraw,
};

/*
 * Load an identity file before the loop runs, asking for its passphrase
 * once if it is encrypted.  A required file (-i) that cannot be used is an
 * error; any other is skipped.
 */
static int
ssh_load_key(struct ssh_exec *se, const char *path, bool required, char **cause)
{
	struct ssh_ident *id;
	ssh_key key = NULL;
	char prompt[1024], *pass;
	int rc;

	for (id = se->idents; id != NULL; id = id->next)
		if (strcmp(id->path, path) == 0)
			return 0;
	if (access(path, R_OK) != 0) {
		if (required) {
			xasprintf(cause, "cannot read identity file %s: %s",
			    path, strerror(errno));
			return POGO_ERR_SSH;
		}
		/* Known to be absent, as ssh_ident_get would record it. */
		goto add;
	}
	rc = ssh_pki_import_privkey_file(
	    path, NULL, ssh_no_passphrase, NULL, &key);
	if (rc != SSH_OK && se->opts.ask_secret != NULL) {
		/* Probably encrypted: ask once, at start. */
		snprintf(
		    prompt, sizeof(prompt), "Enter passphrase for %s: ", path);
		if ((pass = se->opts.ask_secret(prompt)) != NULL) {
			rc = ssh_pki_import_privkey_file(
			    path, pass, NULL, NULL, &key);
			pogo_freezero(pass, strlen(pass));
		}
	}
	if (rc != SSH_OK) {
		key = NULL;
		if (required) {
			xasprintf(cause,
			    "cannot load identity file %s (not a private key, "
			    "or a wrong passphrase)",
			    path);
			return POGO_ERR_SSH;
		}
		log_debug("identity file %s cannot be loaded; skipped", path);
	}
add:
	id = xcalloc(1, sizeof(*id));
	id->path = xstrdup(path);
	id->key = key;
	id->next = se->idents;
	se->idents = id;
	return 0;
}

int
pogo_ssh_key_check(const char *text, const char *passphrase)
{
	ssh_key key = NULL;
	int rc;

	rc = ssh_pki_import_privkey_base64(text, passphrase,
	    passphrase == NULL ? ssh_no_passphrase : NULL, NULL, &key);
	ssh_key_free(key);
	return rc == SSH_OK ? 0 : POGO_ERR_SSH;
}

int
pogo_ssh_init(char **cause)
{
	static bool done;

	*cause = NULL;
	if (!done) {
		/*
		 * The static libcrypto must not read the machine's OpenSSL
		 * configuration: it may load providers or engines, shared
		 * objects built for another libcrypto.  The first
		 * initialisation's options win, so this precedes libssh's.
		 */
		if (OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) !=
		    1) {
			*cause = xstrdup("cannot initialise libcrypto");
			return POGO_ERR_SSH;
		}
		if (ssh_init() != SSH_OK) {
			*cause = xstrdup("cannot initialise libssh");
			return POGO_ERR_SSH;
		}
		done = true;
	}
	ssh_log_thread();
	return 0;
}

struct pogo_exec *
pogo_exec_ssh_new(uv_loop_t *loop, const struct pogo_ssh_opts *opts,
    const struct pogo_exec_events *ev, void *ev_arg, char **cause)
{
	struct ssh_exec *se = xcalloc(1, sizeof(*se));
	static const char *defaults[] = { "id_ed25519", "id_ecdsa", "id_rsa" };
	struct passwd *pw = getpwuid(getuid());
	const char *home = getenv("HOME");
	struct pogo_ssh_config_host h;
	struct pogo_strv files = { 0 };
	char *path, *cfgpath = NULL, hostname[256];
	size_t i;
	int r;

	*cause = NULL;
	se->base.ops = &ssh_ops;
	se->base.ev = ev;
	se->base.ev_arg = ev_arg;
	se->base.max_tasks = opts->max_tasks ? opts->max_tasks : 256;
	se->loop = loop;
	se->opts = *opts;
	ssh_hostkeys_list(SSH_HOSTKEYS_ALL, se->hostkeys, sizeof(se->hostkeys));
	/* The identity names are read per host: a copy of the caller's
	 * (the worker frees its list once the executor is made). */
	memset(&se->opts.identities, 0, sizeof(se->opts.identities));
	for (i = 0; i < opts->identities.n; i++)
		pogo_strv_push(&se->opts.identities, opts->identities.v[i]);
	if (se->opts.max_handshakes == 0)
		se->opts.max_handshakes = 32;
	if (se->opts.connect_timeout == 0)
		se->opts.connect_timeout = 10;
	if (uv_mutex_init(&se->lock) != 0 ||
	    uv_mutex_init(&se->setup_lock) != 0)
		fatalx("cannot create a mutex");
	/* The user's names, once: no getpwuid on the loop. */
	se->local_user = xstrdup(pw != NULL ? pw->pw_name : "root");
	if (home == NULL)
		home = pw != NULL ? pw->pw_dir : "/";
	se->home = xstrdup(home);
	if (gethostname(hostname, sizeof(hostname)) != 0)
		strlcpy(hostname, "localhost", sizeof(hostname));
	hostname[sizeof(hostname) - 1] = '\0';
	se->local_host = xstrdup(hostname);
	if (opts->ssh_config != NULL)
		cfgpath = xstrdup(opts->ssh_config);
	else
		xasprintf(&cfgpath, "%s/.ssh/config", home);
	r = pogo_ssh_config_check(cfgpath,
	    opts->ssh_config == NULL || opts->ssh_config_optional, cause);
	if (r < 0)
		goto fail;
	if (r == 0) {
		se->config = cfgpath;
		cfgpath = NULL;
	}
	xasprintf(&se->sshdir, "%s/.ssh", home);
	se->cfg = pogo_ssh_config_new(se->config, se->sshdir);
	memset(&h, 0, sizeof(h));
	h.local_user = se->local_user;
	h.home = se->home;
	h.local_host = se->local_host;
	/* An Include'd FIFO would hold a setup thread for ever. */
	if (pogo_ssh_config_check_includes(se->cfg, &h, cause) != 0)
		goto fail;
	if (opts->known_hosts != NULL)
		se->known_hosts = xstrdup(opts->known_hosts);
	else
		xasprintf(&se->known_hosts, "%s/.ssh/known_hosts", home);
	/* Both files once, now: no host reads them again. */
	se->kh.names = pogo_strtab_new();
	ssh_kh_load(&se->kh, se->known_hosts, false);
	ssh_kh_load(&se->kh, "/etc/ssh/ssh_known_hosts", true);
	/*
	 * Load the identity files whose names are known before any host is:
	 * -i, the ssh_config's names without a per-host token, the defaults.
	 * Their passphrases are asked for now, once per file.
	 */
	for (i = 0; i < opts->identities.n; i++) {
		if (ssh_load_key(se, opts->identities.v[i], true, cause) != 0)
			goto fail;
	}
	if (!opts->given_identities_only) {
		pogo_ssh_config_static_files(se->cfg, &h, &files);
		for (i = 0; i < files.n; i++)
			(void)ssh_load_key(se, files.v[i], false, cause);
		pogo_strv_clear(&files);
		for (i = 0; i < POGO_NELEM(defaults); i++) {
			xasprintf(&path, "%s/.ssh/%s", home, defaults[i]);
			(void)ssh_load_key(se, path, false, cause);
			free(path);
		}
	}
	/*
	 * With a plain ssh_config, every identity file a host can name is
	 * known now: each host's session is set up on the loop, from memory,
	 * instead of on the pool (a thread's hand-off each way per host).
	 */
	se->config_text = pogo_ssh_config_plain(se->cfg);
	if (se->config_text != NULL && se->config == NULL)
		log_debug("ssh_config %s: none; hosts are set up on the loop",
		    cfgpath);
	else if (se->config_text != NULL)
		log_debug(
		    "ssh_config %s: read once; hosts are set up on the loop",
		    se->config);
	else
		log_debug("ssh_config %s: read by libssh for each host, on the "
		          "thread pool",
		    se->config);
	free(cfgpath);
	se->loop_thread = uv_thread_self();
	uv_timer_init(loop, &se->kick);
	se->kick.data = se;
	return &se->base;
fail:
	free(cfgpath);
	ssh_exec_free(se);
	return NULL;
}
