/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Protocol connections (peer.h): the dispatcher's worker port and the
 * worker's links to its dispatchers, over one connection core.
 *
 * A struct peer_conn is one TCP connection, or one end of a socketpair
 * (a dispatcher and a worker of one process, peer.h's links): its read
 * buffer feeds a wire
 * reader, its heartbeat pings and declares silence, and it writes lines.
 * Its owner (a server-side worker, or a client-side link) is told about
 * messages, bad lines, the start of its close and the end of it through
 * four hooks.  The conn is freed in its handle's close callback, never
 * before; everything that reaches the owner after the close started is
 * dropped.  Server-side, the worker struct embeds its conn (one per
 * accepted connection); client-side, a link outlives its connections and
 * makes a new conn for each attempt.
 *
 * Invariants: a queue is paused whenever its connection is not usable, so
 * nothing is ever written to a closing conn; the server and the client
 * finish their close from a close callback (a private timer handle), so
 * their close callbacks are never called from inside _close().
 */
#include "pogo/compat.h"

#include <sys/socket.h>

#include <netinet/in.h>
#include <unistd.h>

#include "pogo/cfg.h"
#include "pogo/error.h"
#include "pogo/heartbeat.h"
#include "pogo/http.h"
#include "pogo/log.h"
#include "pogo/peer.h"
#include "pogo/queue.h"
#include "pogo/stream.h"
#include "pogo/tls.h"
#include "pogo/wire.h"
#include "pogo/xmalloc.h"

#define PEER_ADDR_LEN 64
#define PEER_WHO_LEN (POGO_PROTO_HOST_MAX + PEER_ADDR_LEN + 32)

/* ------------------------------------------------------------------ */
/* The connection core. */

struct peer_conn;

struct peer_conn_ops {
	void (*msg)(struct peer_conn *c, struct pogo_msg *m);
	void (*bad)(struct peer_conn *c, const struct pogo_msg *m, int r,
	    const char *cause);
	void (*closing)(struct peer_conn *c);
	void (*closed)(struct peer_conn *c);
};

struct peer_conn {
	struct pogo_stream *stream;
	uv_connect_t connect; /* client side */
	const struct peer_conn_ops *ops;
	void *owner;
	struct pogo_clock *clock;
	uint64_t ping_ms, silence_ms;
	struct pogo_wire *wire;
	struct pogo_heartbeat *hb;
	bool reading;
	bool closing;
	int status;             /* why it closed */
	char who[PEER_WHO_LEN]; /* for the log: who the peer is */
};

static void conn_close(struct peer_conn *c, int status);
static void conn_write_msg(struct peer_conn *c, const struct pogo_msg *m);

static void
conn_wire_msg(struct pogo_wire *w, struct pogo_msg *m, void *arg)
{
	struct peer_conn *c = arg;
	struct pogo_msg pong;

	if (c->closing)
		return;
	switch (m->type) {
	case POGO_MSG_PING:
		log_debug2("%s: ping", c->who);
		pogo_proto_msg_init(&pong, POGO_MSG_PONG);
		conn_write_msg(c, &pong);
		break;
	case POGO_MSG_PONG:
		log_debug2("%s: pong", c->who);
		break;
	default:
		c->ops->msg(c, m);
		break;
	}
}

static void
conn_wire_error(struct pogo_wire *w, const struct pogo_msg *m, int r,
    const char *cause, const char *line, size_t len, void *arg)
{
	struct peer_conn *c = arg;

	if (c->closing)
		return;
	log_warn("%s: ignored a line of %zu bytes: %s", c->who, len,
	    cause != NULL ? cause : pogo_strerror(r));
	c->ops->bad(c, m, r, cause);
}

static const struct pogo_wire_cbs conn_wire_cbs = { conn_wire_msg,
	conn_wire_error };

static void
conn_hb_ping(struct pogo_heartbeat *hb, void *arg)
{
	struct peer_conn *c = arg;
	struct pogo_msg m;

	pogo_proto_msg_init(&m, POGO_MSG_PING);
	conn_write_msg(c, &m);
}

static void
conn_hb_dead(struct pogo_heartbeat *hb, void *arg)
{
	struct peer_conn *c = arg;

	log_warn("%s: silent for %llu s; closing the connection", c->who,
	    (unsigned long long)(c->silence_ms / 1000));
	conn_close(c, POGO_ERR_TIMEOUT);
}

static const struct pogo_heartbeat_cbs conn_hb_cbs = { conn_hb_ping,
	conn_hb_dead };

/*
 * A new conn on loop, a TCP or pipe handle (kind), TLS with tls (NULL:
 * plain); the caller connects, accepts or opens it, then starts it.
 */
static struct peer_conn *
conn_new(uv_loop_t *loop, enum pogo_stream_kind kind, struct pogo_tls *tls,
    const struct peer_conn_ops *ops, void *owner, struct pogo_clock *clock,
    uint64_t ping_ms, uint64_t silence_ms, size_t size)
{
	struct peer_conn *c = xcalloc(1, size);

	c->ops = ops;
	c->owner = owner;
	c->clock = clock;
	c->ping_ms = ping_ms;
	c->silence_ms = silence_ms;
	c->stream =
	    pogo_stream_new(loop, kind, tls, clock, POGO_STREAM_HANDSHAKE_MS);
	c->wire = pogo_wire_new(0, &conn_wire_cbs, c);
	return c;
}

static void
conn_read_cb(struct pogo_stream *s, ssize_t nread, const char *buf, void *arg)
{
	struct peer_conn *c = arg;
	int r;

	if (c->closing)
		return;
	if (nread < 0) {
		if (nread == UV_EOF)
			log_debug("%s: end of connection", c->who);
		else if (nread == POGO_ERR_TLS || nread == POGO_ERR_TIMEOUT)
			log_warn("%s: TLS: %s", c->who, pogo_stream_cause(s));
		else if (pogo_stream_cause(s)[0] != '\0')
			log_warn("%s: %s", c->who, pogo_stream_cause(s));
		else
			log_warn(
			    "%s: read: %s", c->who, pogo_strerror((int)nread));
		conn_close(c, (int)nread);
		return;
	}
	if (nread == 0)
		return;
	pogo_heartbeat_heard(c->hb);
	r = pogo_wire_feed(c->wire, buf, (size_t)nread);
	if (r == POGO_ERR_LIMIT && !c->closing) {
		log_warn("%s: a line longer than %u bytes; closing the "
		         "connection",
		    c->who, POGO_PROTO_MAX_LINE);
		conn_close(c, POGO_ERR_LIMIT);
	}
}

/* Start reading and watching for silence. */
static int
conn_start(struct peer_conn *c)
{
	int r;

	if ((r = pogo_stream_start(c->stream, conn_read_cb, c)) != 0)
		return r;
	c->reading = true;
	c->hb = pogo_heartbeat_new(
	    c->clock, c->ping_ms, c->silence_ms, &conn_hb_cbs, c);
	return 0;
}

/*
 * Send one encoded line (borrowed).  Lines sent in one loop turn leave in
 * one write (pogo_stream_send); a write that fails comes back through
 * conn_read_cb.
 */
static void
conn_write_line(struct peer_conn *c, const char *line, size_t len)
{
	int r;

	if (c->closing)
		return;
	if ((r = pogo_stream_send(c->stream, line, len)) != 0) {
		log_warn("%s: write: %s", c->who, pogo_strerror(r));
		conn_close(c, r);
		return;
	}
	if (pogo_stream_write_queue_size(c->stream) >
	    POGO_PEER_MAX_WRITE_QUEUE) {
		log_warn("%s: more than %u bytes unread by the peer; closing "
		         "the connection",
		    c->who, POGO_PEER_MAX_WRITE_QUEUE);
		conn_close(c, POGO_ERR_LIMIT);
	}
}

static void
conn_write_msg(struct peer_conn *c, const struct pogo_msg *m)
{
	size_t len;
	char *line;

	if (c->closing)
		return;
	line = pogo_proto_encode(m, &len);
	log_debug3("%s: send %.*s", c->who, (int)(len - 1), line);
	conn_write_line(c, line, len);
	free(line);
}

static void
conn_close_cb(struct pogo_stream *s, void *arg)
{
	struct peer_conn *c = arg;

	c->ops->closed(c);
	pogo_wire_free(c->wire);
	free(c);
}

/* Start closing c (once); ops->closing now, ops->closed from the loop. */
static void
conn_close(struct peer_conn *c, int status)
{
	if (c->closing)
		return;
	c->closing = true;
	c->status = status;
	pogo_wire_stop(c->wire);
	pogo_heartbeat_free(c->hb);
	c->hb = NULL;
	c->ops->closing(c);
	pogo_stream_close(c->stream, conn_close_cb, c);
}

/* A reply (ok 0 "OK" or ok 1 text) on channel. */
static void
conn_reply(struct peer_conn *c, int channel, const char *task_id, int ok,
    const char *text, int tasks)
{
	struct pogo_msg m;

	pogo_proto_msg_init(&m, POGO_MSG_REPLY);
	m.channel = channel;
	m.task_id = (char *)task_id;
	m.ok = ok;
	m.text = (char *)text;
	m.tasks = tasks;
	conn_write_msg(c, &m);
}

/* ------------------------------------------------------------------ */
/* Dispatcher side. */

/* A queued command: its line, what its reply names, the caller's cookie. */
struct peer_cmd {
	char *line;
	size_t len;
	char *task_id;           /* or NULL (status) */
	enum pogo_msg_type type; /* for the log */
	void *cookie;
	struct peer_cmd *next;
};

struct pogo_peer_server {
	uv_loop_t *loop;
	uv_tcp_t listener;
	bool listening; /* not for a server of links alone */
	uv_timer_t closer;
	struct pogo_clock *clock;
	bool own_clock;
	struct pogo_tls *tls; /* NULL: plain */
	uint64_t ping_ms, silence_ms;
	int64_t command_timeout_ms;
	int command_retries;
	unsigned max_unhello;
	uint64_t hello_timeout_ms;
	unsigned nunhello; /* open connections that have not said hello */
	bool refusing;     /* logged that nunhello reached max_unhello */
	/* A connection libuv holds for us, not accepted while nunhello is
	 * at the cap; libuv stops reading the listener until we do. */
	bool accept_waiting;
	const struct pogo_peer_server_cbs *cbs;
	void *arg;
	struct pogo_peer_worker *conns; /* every connection */
	size_t nconns;
	struct pogo_peer_worker **reg; /* the registry: said hello */
	size_t nreg, capreg;
	bool closing;
	unsigned nclose; /* handles of the server being closed */
	pogo_peer_server_close_cb close_cb;
	void *close_arg;
};

struct pogo_peer_worker {
	struct peer_conn *c;
	struct pogo_peer_server *srv;
	struct pogo_peer_worker *next, *prev;
	struct pogo_clock_timer *hello_timer;
	char addr[PEER_ADDR_LEN];
	bool up;
	bool unhello; /* counted in srv->nunhello */
	char *name, *instance, *key_id;
	int max_tasks;
	void *data;
	struct pogo_queue *q;
	struct peer_cmd *dropped, *dropped_tail;
	bool in_lost;
};

static void
peer_cmd_free(struct peer_cmd *pc)
{
	if (pc == NULL)
		return;
	free(pc->line);
	free(pc->task_id);
	free(pc);
}

void
pogo_peer_server_opts_init(struct pogo_peer_server_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->listen = "127.0.0.1:7655";
	opts->ping_ms = POGO_HEARTBEAT_PING_MS;
	opts->silence_ms = POGO_HEARTBEAT_SILENCE_MS;
	opts->command_timeout_ms = POGO_PEER_COMMAND_TIMEOUT_MS;
	opts->command_retries = POGO_PEER_COMMAND_RETRIES;
	opts->max_unhello = POGO_PEER_MAX_UNHELLO;
	opts->hello_timeout_ms = POGO_PEER_HELLO_TIMEOUT_MS;
}

static const char *
worker_who(const struct pogo_peer_worker *w)
{
	return w->c->who;
}

static void
srv_queue_send(struct pogo_queue *q, void *item, unsigned attempt, void *arg)
{
	struct pogo_peer_worker *w = arg;
	struct peer_cmd *pc = item;

	if (attempt > 1)
		log_info("%s: no reply to %s %s; sending it again (attempt %u)",
		    worker_who(w), pogo_proto_type_name(pc->type),
		    pc->task_id != NULL ? pc->task_id : "", attempt);
	conn_write_line(w->c, pc->line, pc->len);
}

static void
srv_queue_drop(struct pogo_queue *q, void *item, void *arg)
{
	struct pogo_peer_worker *w = arg;
	struct peer_cmd *pc = item;

	log_warn("%s: no reply to %s %s after %d attempts; closing the "
	         "connection",
	    worker_who(w), pogo_proto_type_name(pc->type),
	    pc->task_id != NULL ? pc->task_id : "",
	    w->srv->command_retries + 1);
	if (w->dropped_tail != NULL)
		w->dropped_tail->next = pc;
	else
		w->dropped = pc;
	w->dropped_tail = pc;
	pogo_queue_pause(q);
	conn_close(w->c, POGO_ERR_TIMEOUT);
}

/* Queue items are released by the worker, which knows the callbacks. */
static void
srv_queue_release(void *item)
{
	peer_cmd_free(item);
}

static const struct pogo_queue_cbs srv_queue_cbs = { srv_queue_send,
	srv_queue_drop, NULL, srv_queue_release };

static bool
srv_cmd_match(const void *item, const void *key)
{
	const struct peer_cmd *pc = item;
	const char *id = key;

	if (pc->task_id == NULL || id == NULL)
		return pc->task_id == id;
	return strcmp(pc->task_id, id) == 0;
}

static void
srv_register(struct pogo_peer_server *srv, struct pogo_peer_worker *w)
{
	if (srv->nreg == srv->capreg) {
		srv->capreg = srv->capreg == 0 ? 8 : srv->capreg * 2;
		srv->reg =
		    xreallocarray(srv->reg, srv->capreg, sizeof(*srv->reg));
	}
	srv->reg[srv->nreg++] = w;
}

static void
srv_unregister(struct pogo_peer_server *srv, struct pogo_peer_worker *w)
{
	size_t i;

	for (i = 0; i < srv->nreg; i++) {
		if (srv->reg[i] == w) {
			memmove(&srv->reg[i], &srv->reg[i + 1],
			    (srv->nreg - i - 1) * sizeof(*srv->reg));
			srv->nreg--;
			return;
		}
	}
}

static void srv_accept(struct pogo_peer_server *srv);

/*
 * w said hello or is closing: it no longer counts against the cap, and a
 * connection waiting for a slot is accepted.
 */
static void
srv_uncount(struct pogo_peer_worker *w)
{
	struct pogo_peer_server *srv = w->srv;

	if (!w->unhello)
		return;
	w->unhello = false;
	srv->nunhello--;
	if (srv->nunhello >= srv->max_unhello)
		return;
	if (srv->accept_waiting && !srv->closing) {
		/* The crowd goes on: no new warning for it. */
		srv->accept_waiting = false;
		srv_accept(srv);
	} else
		srv->refusing = false;
}

static void
srv_hello(struct pogo_peer_worker *w, struct pogo_msg *m)
{
	struct pogo_peer_server *srv = w->srv;

	srv_uncount(w);
	w->up = true;
	w->name = m->worker;
	m->worker = NULL;
	w->instance = m->instance;
	m->instance = NULL;
	w->key_id = m->key_id;
	m->key_id = NULL;
	w->max_tasks = m->max_tasks;
	pogo_clock_timer_stop(w->hello_timer);
	/* From now on the log names the worker too. */
	snprintf(
	    w->c->who, sizeof(w->c->who), "worker %s at %s", w->name, w->addr);
	log_info("%s: hello (max_tasks %d, instance %s)", w->c->who,
	    w->max_tasks, w->instance);
	srv_register(srv, w);
	pogo_queue_resume(w->q);
	srv->cbs->up(srv, w, srv->arg);
}

static void
srv_conn_msg(struct peer_conn *c, struct pogo_msg *m)
{
	struct pogo_peer_worker *w = c->owner;
	struct pogo_peer_server *srv = w->srv;
	struct peer_cmd *pc;
	void *cookie;

	if (!w->up) {
		if (m->type == POGO_MSG_HELLO)
			srv_hello(w, m);
		else
			log_info("%s: %s before hello: ignored", c->who,
			    pogo_proto_type_name(m->type));
		return;
	}
	switch (m->type) {
	case POGO_MSG_REPLY:
		if (m->channel != POGO_CHAN_COMMAND) {
			log_debug("%s: a reply on channel %d: ignored", c->who,
			    m->channel);
			return;
		}
		pc = pogo_queue_ack_match(w->q, srv_cmd_match, m->task_id);
		if (pc == NULL)
			return;
		cookie = pc->cookie;
		peer_cmd_free(pc);
		srv->cbs->reply(srv, w, m, cookie, srv->arg);
		break;
	case POGO_MSG_TASK_STARTED:
	case POGO_MSG_TASK_OUTPUT:
	case POGO_MSG_TASK_DONE:
		srv->cbs->report(srv, w, m, srv->arg);
		break;
	case POGO_MSG_UNKNOWN:
		if (m->channel == POGO_CHAN_REPORT) {
			/* SPEC 8.3: logged, acknowledged, ignored. */
			log_info("%s: unknown command %s: ignored", c->who,
			    m->command);
			pogo_peer_worker_ack(w);
		}
		break;
	default:
		log_debug("%s: %s on channel %d: ignored", c->who,
		    pogo_proto_type_name(m->type), m->channel);
		break;
	}
}

static void
srv_conn_bad(
    struct peer_conn *c, const struct pogo_msg *m, int r, const char *cause)
{
	struct pogo_peer_worker *w = c->owner;

	/*
	 * A queued report that cannot be read is acknowledged all the same
	 * (as an unknown command is), or the worker would resend it for
	 * ever and deliver nothing after it.
	 */
	if (w->up && r == POGO_ERR_PROTOCOL && m->channel == POGO_CHAN_REPORT &&
	    (m->type == POGO_MSG_TASK_STARTED || m->type == POGO_MSG_TASK_DONE))
		pogo_peer_worker_ack(w);
}

static void
srv_conn_closing(struct peer_conn *c)
{
	struct pogo_peer_worker *w = c->owner;

	pogo_queue_pause(w->q);
	pogo_clock_timer_stop(w->hello_timer);
	srv_uncount(w);
}

static void srv_maybe_done(struct pogo_peer_server *srv);

static void
srv_conn_closed(struct peer_conn *c)
{
	struct pogo_peer_worker *w = c->owner;
	struct pogo_peer_server *srv = w->srv;
	struct peer_cmd *pc;
	void *cookie;

	if (w->up) {
		log_info("%s: connection closed: %s", c->who,
		    c->status == UV_EOF ? "end of connection"
		                        : pogo_strerror(c->status));
		srv_unregister(srv, w);
		w->in_lost = true;
		srv->cbs->lost(srv, w, c->status, srv->arg);
		w->in_lost = false;
	}
	while ((cookie = pogo_peer_worker_take(w)) != NULL) {
		if (srv->cbs->release != NULL)
			srv->cbs->release(cookie);
	}
	while ((pc = pogo_queue_shift(w->q)) != NULL)
		peer_cmd_free(pc);
	pogo_queue_free(w->q);
	pogo_clock_timer_free(w->hello_timer);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		srv->conns = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	srv->nconns--;
	free(w->name);
	free(w->instance);
	free(w->key_id);
	free(w);
	srv_maybe_done(srv);
}

static const struct peer_conn_ops srv_conn_ops = { srv_conn_msg, srv_conn_bad,
	srv_conn_closing, srv_conn_closed };

static void
srv_hello_timeout(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_peer_worker *w = arg;

	log_warn("%s: no hello within %llu ms; closing the connection",
	    worker_who(w), (unsigned long long)w->srv->hello_timeout_ms);
	conn_close(w->c, POGO_ERR_TIMEOUT);
}

/* A new connection of srv, in its list; the caller accepts or opens it. */
static struct pogo_peer_worker *
srv_conn_new(struct pogo_peer_server *srv, enum pogo_stream_kind kind)
{
	struct pogo_peer_worker *w;

	w = xcalloc(1, sizeof(*w));
	w->srv = srv;
	w->c = conn_new(srv->loop, kind, srv->tls, &srv_conn_ops, w, srv->clock,
	    srv->ping_ms, srv->silence_ms, sizeof(*w->c));
	w->q = pogo_queue_new(srv->clock, srv->command_timeout_ms,
	    srv->command_retries, &srv_queue_cbs, w);
	w->hello_timer = pogo_clock_timer_new(srv->clock, srv_hello_timeout, w);
	w->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = w;
	srv->conns = w;
	srv->nconns++;
	return w;
}

/* w is connected (w->addr set): the cap, then read, greet, wait hello. */
static void
srv_conn_begin(struct pogo_peer_worker *w)
{
	struct pogo_peer_server *srv = w->srv;
	struct pogo_msg m;
	int r;

	snprintf(w->c->who, sizeof(w->c->who), "worker at %s", w->addr);
	log_debug("%s: connection accepted", w->c->who);
	if (srv->nunhello >= srv->max_unhello) {
		/* Said once per crowd, not once per connection. */
		if (!srv->refusing)
			log_warn("%s: %u connections have not said hello yet; "
			         "closing new ones",
			    w->c->who, srv->nunhello);
		else
			log_debug("%s: %u connections have not said hello "
			          "yet; closing it",
			    w->c->who, srv->nunhello);
		srv->refusing = true;
		conn_close(w->c, POGO_ERR_LIMIT);
		return;
	}
	w->unhello = true;
	srv->nunhello++;
	if ((r = conn_start(w->c)) != 0) {
		log_warn("%s: read: %s", w->c->who, pogo_strerror(r));
		conn_close(w->c, r);
		return;
	}
	pogo_clock_timer_start(w->hello_timer, srv->hello_timeout_ms);
	pogo_proto_msg_init(&m, POGO_MSG_GREETING);
	conn_write_msg(w->c, &m);
}

/* Accept the connection libuv holds (it then reads the listener again). */
static void
srv_accept(struct pogo_peer_server *srv)
{
	struct pogo_peer_worker *w;
	struct sockaddr_storage ss;
	int len = sizeof(ss), r;

	w = srv_conn_new(srv, POGO_STREAM_TCP);
	if ((r = uv_accept((uv_stream_t *)&srv->listener,
	         pogo_stream_uv(w->c->stream))) != 0) {
		log_warn("worker port: accept: %s", pogo_strerror(r));
		snprintf(w->c->who, sizeof(w->c->who), "worker at ?");
		conn_close(w->c, r);
		return;
	}
	if (uv_tcp_getpeername(pogo_stream_tcp(w->c->stream),
	        (struct sockaddr *)&ss, &len) == 0)
		pogo_http_format_addr(
		    (struct sockaddr *)&ss, w->addr, sizeof(w->addr));
	else
		snprintf(w->addr, sizeof(w->addr), "?");
	srv_conn_begin(w);
}

/*
 * A new connection on the worker port.  With max_unhello connections
 * still before their hello it is left to wait (libuv holds it, the
 * kernel queues the next ones in the listen backlog) and accepted when
 * one of them says hello or closes (srv_uncount): a herd of reconnecting
 * workers is served in turn instead of being reset into its backoff,
 * and a crowd that never says hello still holds no more than the cap.
 */
static void
srv_connection_cb(uv_stream_t *s, int status)
{
	struct pogo_peer_server *srv = s->data;

	if (status < 0) {
		log_warn("worker port: accept: %s", pogo_strerror(status));
		return;
	}
	if (srv->closing)
		return;
	if (srv->nunhello >= srv->max_unhello) {
		/* Said once per crowd, not once per connection. */
		if (!srv->refusing)
			log_warn("worker port: %u connections have not said "
			         "hello yet; the next ones wait",
			    srv->nunhello);
		srv->refusing = true;
		srv->accept_waiting = true;
		return;
	}
	srv_accept(srv);
}

int
pogo_peer_server_link(struct pogo_peer_server *srv, uv_os_sock_t *sockp)
{
	struct pogo_peer_worker *w;
	uv_os_sock_t sv[2];
	int r;

	if (srv->closing)
		return UV_ECANCELED;
	/* Both ends non-blocking: the caller's goes to a uv_pipe_t too. */
	if ((r = uv_socketpair(
	         SOCK_STREAM, 0, sv, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE)) != 0)
		return r;
	w = srv_conn_new(srv, POGO_STREAM_PIPE);
	snprintf(w->addr, sizeof(w->addr), "%s", POGO_PEER_LINK_ADDR);
	if ((r = uv_pipe_open(pogo_stream_pipe(w->c->stream), sv[0])) != 0) {
		(void)close(sv[0]);
		(void)close(sv[1]);
		snprintf(w->c->who, sizeof(w->c->who), "worker at %s", w->addr);
		conn_close(w->c, r);
		return r;
	}
	*sockp = sv[1];
	srv_conn_begin(w);
	return 0;
}

int
pogo_peer_server_new(uv_loop_t *loop, const struct pogo_peer_server_opts *opts,
    const struct pogo_peer_server_cbs *cbs, void *arg,
    struct pogo_peer_server **srvp, char **cause)
{
	struct pogo_peer_server *srv;
	struct pogo_tls *tls = NULL;
	struct pogo_tls_opts to;
	struct sockaddr_storage ss;
	char text[PEER_ADDR_LEN];
	int r;

	*srvp = NULL;
	*cause = NULL;
	if (opts->listen != NULL) {
		if ((r = pogo_http_parse_addr(opts->listen, &ss, cause)) != 0)
			return r;
		if ((r = pogo_http_check_loopback((struct sockaddr *)&ss,
		         opts->tls != NULL, opts->insecure, cause)) != 0)
			return r;
		pogo_http_format_addr(
		    (struct sockaddr *)&ss, text, sizeof(text));
	}
	if (opts->tls != NULL) {
		to = *opts->tls;
		to.server = true;
		to.peer_kind = "worker";
		if ((r = pogo_tls_new(&to, &tls, cause)) != 0)
			return r;
	}
	srv = xcalloc(1, sizeof(*srv));
	srv->tls = tls;
	srv->loop = loop;
	srv->cbs = cbs;
	srv->arg = arg;
	srv->ping_ms = opts->ping_ms;
	srv->silence_ms = opts->silence_ms;
	srv->command_timeout_ms = opts->command_timeout_ms;
	srv->command_retries = opts->command_retries;
	srv->max_unhello = opts->max_unhello;
	srv->hello_timeout_ms = opts->hello_timeout_ms;
	if (opts->clock != NULL)
		srv->clock = opts->clock;
	else {
		srv->clock = pogo_clock_uv_new(loop);
		srv->own_clock = true;
	}
	uv_timer_init(loop, &srv->closer);
	srv->closer.data = srv;
	if (opts->listen == NULL) {
		*srvp = srv;
		return 0;
	}
	uv_tcp_init(loop, &srv->listener);
	srv->listener.data = srv;
	srv->listening = true;
	if ((r = uv_tcp_bind(&srv->listener, (struct sockaddr *)&ss, 0)) != 0 ||
	    (r = uv_listen((uv_stream_t *)&srv->listener,
	         POGO_PEER_LISTEN_BACKLOG, srv_connection_cb)) != 0) {
		xasprintf(cause, "listen on %s: %s", text, uv_strerror(r));
		pogo_peer_server_close(srv, NULL, NULL);
		return r;
	}
	*srvp = srv;
	return 0;
}

int
pogo_peer_server_address(
    struct pogo_peer_server *srv, struct sockaddr_storage *ss)
{
	int len = sizeof(*ss);

	if (!srv->listening)
		return UV_EINVAL;
	return uv_tcp_getsockname(&srv->listener, (struct sockaddr *)ss, &len);
}

size_t
pogo_peer_server_nworkers(const struct pogo_peer_server *srv)
{
	return srv->nreg;
}

struct pogo_peer_worker *
pogo_peer_server_worker(struct pogo_peer_server *srv, size_t i)
{
	return i < srv->nreg ? srv->reg[i] : NULL;
}

void
pogo_peer_server_describe(struct pogo_peer_server *srv,
    void (*fn)(const char *line, void *fnarg), void *fnarg)
{
	char *line;
	size_t i;

	for (i = 0; i < srv->nreg; i++) {
		xasprintf(&line, "%s %s", srv->reg[i]->name, srv->reg[i]->addr);
		fn(line, fnarg);
		free(line);
	}
}

size_t
pogo_peer_server_nconns(const struct pogo_peer_server *srv)
{
	return srv->nconns;
}

static void
srv_maybe_done(struct pogo_peer_server *srv)
{
	pogo_peer_server_close_cb cb;
	void *arg;

	if (!srv->closing || srv->nclose > 0 || srv->nconns > 0)
		return;
	cb = srv->close_cb;
	arg = srv->close_arg;
	if (cb != NULL)
		cb(srv, 0, arg);
	if (srv->own_clock)
		pogo_clock_free(srv->clock);
	pogo_tls_free(srv->tls);
	free(srv->reg);
	free(srv);
}

static void
srv_handle_closed(uv_handle_t *h)
{
	struct pogo_peer_server *srv = h->data;

	srv->nclose--;
	srv_maybe_done(srv);
}

void
pogo_peer_server_close(
    struct pogo_peer_server *srv, pogo_peer_server_close_cb cb, void *arg)
{
	struct pogo_peer_worker *w;

	POGO_ASSERT(!srv->closing);
	srv->closing = true;
	srv->close_cb = cb;
	srv->close_arg = arg;
	srv->nclose = 1;
	uv_close((uv_handle_t *)&srv->closer, srv_handle_closed);
	if (srv->listening) {
		srv->nclose++;
		uv_close((uv_handle_t *)&srv->listener, srv_handle_closed);
	}
	for (w = srv->conns; w != NULL; w = w->next)
		conn_close(w->c, UV_ECANCELED);
}

const char *
pogo_peer_worker_name(const struct pogo_peer_worker *w)
{
	return w->name;
}

const char *
pogo_peer_worker_instance(const struct pogo_peer_worker *w)
{
	return w->instance;
}

int
pogo_peer_worker_max_tasks(const struct pogo_peer_worker *w)
{
	return w->max_tasks;
}

const char *
pogo_peer_worker_key_id(const struct pogo_peer_worker *w)
{
	return w->key_id;
}

const char *
pogo_peer_worker_address(const struct pogo_peer_worker *w)
{
	return w->addr;
}

void
pogo_peer_worker_set_data(struct pogo_peer_worker *w, void *data)
{
	w->data = data;
}

void *
pogo_peer_worker_data(const struct pogo_peer_worker *w)
{
	return w->data;
}

void
pogo_peer_worker_command(
    struct pogo_peer_worker *w, const struct pogo_msg *m, void *cookie)
{
	struct peer_cmd *pc = xcalloc(1, sizeof(*pc));

	pc->line = pogo_proto_encode(m, &pc->len);
	pc->task_id = m->task_id != NULL ? xstrdup(m->task_id) : NULL;
	pc->type = m->type;
	pc->cookie = cookie;
	pogo_queue_push(w->q, pc);
}

size_t
pogo_peer_worker_pending(const struct pogo_peer_worker *w)
{
	return pogo_queue_len(w->q);
}

void *
pogo_peer_worker_take(struct pogo_peer_worker *w)
{
	struct peer_cmd *pc;
	void *cookie;

	if ((pc = w->dropped) != NULL) {
		w->dropped = pc->next;
		if (w->dropped == NULL)
			w->dropped_tail = NULL;
	} else if ((pc = pogo_queue_shift(w->q)) == NULL)
		return NULL;
	cookie = pc->cookie;
	peer_cmd_free(pc);
	return cookie;
}

void
pogo_peer_worker_ack(struct pogo_peer_worker *w)
{
	conn_reply(w->c, POGO_CHAN_REPORT, NULL, 0, "OK", -1);
}

void
pogo_peer_worker_send(struct pogo_peer_worker *w, const struct pogo_msg *m)
{
	conn_write_msg(w->c, m);
}

void
pogo_peer_worker_close(struct pogo_peer_worker *w, int status)
{
	conn_close(w->c, status);
}

/* ------------------------------------------------------------------ */
/* Worker side. */

enum link_state {
	LINK_WAIT,    /* the reconnect delay */
	LINK_RESOLVE, /* uv_getaddrinfo */
	LINK_CONNECT, /* uv_tcp_connect */
	LINK_GREET,   /* connected, waiting for the greeting */
	LINK_UP,      /* greeted, hello sent */
	LINK_HELD,    /* no more attempts (hold, close) */
};

struct link_resolve {
	uv_getaddrinfo_t req;
	struct pogo_peer_link *l; /* NULL once abandoned */
	struct pogo_peer_client *cl;
};

struct link_report {
	char *line;
	size_t len;
	char *task_id; /* its task's */
	bool done;     /* a task_done (cbs->delivered is told) */
};

struct pogo_peer_link {
	struct pogo_peer_client *cl;
	char *addr; /* as configured */
	char *host;
	int port;
	enum link_state state;
	struct pogo_clock_timer *timer; /* delay, then connect timeout */
	struct peer_conn *conn;
	struct link_resolve *res;
	struct pogo_queue *q;
	unsigned failures; /* attempts that failed in a row */
	unsigned sessions;
	uint64_t up_since;
	bool warned;
};

struct pogo_peer_client {
	uv_loop_t *loop;
	pogo_peer_link_fn link; /* or NULL: TCP */
	void *link_arg;
	uv_timer_t closer;
	struct pogo_clock *clock;
	bool own_clock;
	struct pogo_tls *tls; /* NULL: plain */
	char *name, *instance, *key_id;
	int max_tasks;
	unsigned reconnect_delay;
	uint64_t ping_ms, silence_ms, connect_timeout_ms;
	uint64_t backoff_min_ms, backoff_max_ms;
	const struct pogo_peer_client_cbs *cbs;
	void *arg;
	struct pogo_peer_link **links;
	size_t nlinks;
	bool holding, closing;
	unsigned nclose; /* conns, resolutions and the closer pending */
	pogo_peer_client_close_cb close_cb;
	void *close_arg;
};

void
pogo_peer_client_opts_init(struct pogo_peer_client_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->max_tasks = 256;
	opts->reconnect_delay = 10;
	opts->ping_ms = POGO_HEARTBEAT_PING_MS;
	opts->silence_ms = POGO_HEARTBEAT_SILENCE_MS;
	opts->connect_timeout_ms = POGO_PEER_CONNECT_TIMEOUT_MS;
	opts->backoff_min_ms = POGO_PEER_BACKOFF_MIN_MS;
	opts->backoff_max_ms = POGO_PEER_BACKOFF_MAX_MS;
	opts->report_timeout_ms = POGO_PEER_REPORT_TIMEOUT_MS;
	opts->report_retries = POGO_PEER_REPORT_RETRIES;
}

static uint32_t
peer_random(void)
{
	uint32_t v = 0;

	if (uv_random(NULL, NULL, &v, sizeof(v), 0, NULL) != 0)
		v = (uint32_t)uv_hrtime();
	return v;
}

static void
link_report_free(void *item)
{
	struct link_report *lr = item;

	if (lr == NULL)
		return;
	free(lr->line);
	free(lr->task_id);
	free(lr);
}

/* Report lr left l's queue (acknowledged or dropped): tell, free it. */
static void
link_report_gone(struct pogo_peer_link *l, struct link_report *lr)
{
	struct pogo_peer_client *cl = l->cl;

	if (lr != NULL && lr->done && cl->cbs->delivered != NULL &&
	    !cl->closing)
		cl->cbs->delivered(cl, l, lr->task_id, cl->arg);
	link_report_free(lr);
}

static void
link_queue_send(struct pogo_queue *q, void *item, unsigned attempt, void *arg)
{
	struct pogo_peer_link *l = arg;
	struct link_report *lr = item;

	if (l->conn == NULL || l->state != LINK_UP)
		return; /* cannot happen: the queue is paused */
	if (attempt > 1)
		log_info("dispatcher %s: no reply to a report; sending it "
		         "again (attempt %u)",
		    l->addr, attempt);
	conn_write_line(l->conn, lr->line, lr->len);
}

static void
link_queue_drop(struct pogo_queue *q, void *item, void *arg)
{
	struct pogo_peer_link *l = arg;

	/* Only with report_retries >= 0 (the tests). */
	log_warn(
	    "dispatcher %s: a report was dropped after its retries", l->addr);
	link_report_gone(l, item);
}

static void
link_queue_idle(struct pogo_queue *q, void *arg)
{
	struct pogo_peer_link *l = arg;
	struct pogo_peer_client *cl = l->cl;

	if (cl->cbs->idle != NULL && !cl->closing)
		cl->cbs->idle(cl, l, cl->arg);
}

static const struct pogo_queue_cbs link_queue_cbs = { link_queue_send,
	link_queue_drop, link_queue_idle, link_report_free };

static void link_schedule(struct pogo_peer_link *l);
static void client_maybe_done(struct pogo_peer_client *cl);

static void
link_greeted(struct pogo_peer_link *l)
{
	struct pogo_peer_client *cl = l->cl;
	struct pogo_msg m;

	l->state = LINK_UP;
	pogo_clock_timer_stop(l->timer);
	l->warned = false;
	l->sessions++;
	l->up_since = pogo_clock_now(cl->clock);
	log_info("dispatcher %s: connected", l->addr);
	pogo_proto_msg_init(&m, POGO_MSG_HELLO);
	m.worker = cl->name;
	m.instance = cl->instance;
	m.max_tasks = cl->max_tasks;
	m.key_id = cl->key_id;
	conn_write_msg(l->conn, &m);
	if (l->conn->closing)
		return;
	pogo_queue_resume(l->q);
	cl->cbs->up(cl, l, cl->arg);
}

static void
link_conn_msg(struct peer_conn *c, struct pogo_msg *m)
{
	struct pogo_peer_link *l = c->owner;
	struct pogo_peer_client *cl = l->cl;
	char *text;

	if (l->state != LINK_UP) {
		if (m->type == POGO_MSG_GREETING)
			link_greeted(l);
		else
			log_info("%s: %s before the greeting: ignored", c->who,
			    pogo_proto_type_name(m->type));
		return;
	}
	switch (m->type) {
	case POGO_MSG_REPLY:
		if (m->channel == POGO_CHAN_REPORT)
			link_report_gone(l, pogo_queue_ack(l->q));
		else
			log_debug("%s: a reply on channel %d: ignored", c->who,
			    m->channel);
		break;
	case POGO_MSG_RUN:
	case POGO_MSG_TASKSTATUS:
	case POGO_MSG_TASKKILL:
	case POGO_MSG_STATUS:
		cl->cbs->command(cl, l, m, cl->arg);
		break;
	case POGO_MSG_UNKNOWN:
		if (m->channel != POGO_CHAN_COMMAND)
			break;
		xasprintf(&text, "unknown command %s", m->command);
		log_info("%s: %s", c->who, text);
		conn_reply(c, POGO_CHAN_COMMAND, m->task_id, 1, text, -1);
		free(text);
		break;
	default:
		log_debug("%s: %s on channel %d: ignored", c->who,
		    pogo_proto_type_name(m->type), m->channel);
		break;
	}
}

static void
link_conn_bad(
    struct peer_conn *c, const struct pogo_msg *m, int r, const char *cause)
{
	struct pogo_peer_link *l = c->owner;
	char *text;

	/* A command that cannot be read is refused, so it is not resent. */
	if (l->state != LINK_UP || r != POGO_ERR_PROTOCOL ||
	    m->channel != POGO_CHAN_COMMAND || m->type == POGO_MSG_REPLY ||
	    m->type == POGO_MSG_IGNORED)
		return;
	xasprintf(&text, "invalid %s: %.200s", pogo_proto_type_name(m->type),
	    cause != NULL ? cause : "bad member");
	conn_reply(c, POGO_CHAN_COMMAND, m->task_id, 1, text, -1);
	free(text);
}

static void
link_conn_closing(struct peer_conn *c)
{
	struct pogo_peer_link *l = c->owner;

	if (l->q != NULL)
		pogo_queue_pause(l->q);
}

static void
link_conn_closed(struct peer_conn *c)
{
	struct pogo_peer_link *l = c->owner;
	struct pogo_peer_client *cl = l->cl;
	bool was_up;

	l->conn = NULL;
	if (cl->closing) {
		cl->nclose--;
		client_maybe_done(cl);
		return;
	}
	was_up = l->state == LINK_UP;
	pogo_clock_timer_stop(l->timer);
	if (was_up) {
		/*
		 * A session cut short counts as a failure, so a dispatcher
		 * that greets and hangs up at once is not hammered.
		 */
		if (pogo_clock_now(cl->clock) - l->up_since < cl->ping_ms)
			l->failures++;
		else
			l->failures = 0;
		log_warn("dispatcher %s: connection lost: %s", l->addr,
		    c->status == UV_EOF ? "end of connection"
		                        : pogo_strerror(c->status));
		if (cl->cbs->down != NULL)
			cl->cbs->down(cl, l, c->status, cl->arg);
	} else if (!cl->holding) {
		l->failures++;
		if (!l->warned)
			log_warn("dispatcher %s: cannot connect: %s", l->addr,
			    c->status == UV_EOF ? "connection closed"
			                        : pogo_strerror(c->status));
		else
			log_debug("dispatcher %s: cannot connect: %s", l->addr,
			    pogo_strerror(c->status));
		l->warned = true;
	}
	link_schedule(l);
}

static const struct peer_conn_ops link_conn_ops = { link_conn_msg,
	link_conn_bad, link_conn_closing, link_conn_closed };

static void
link_connect_cb(uv_connect_t *req, int status)
{
	struct peer_conn *c = container_of(req, struct peer_conn, connect);
	struct pogo_peer_link *l = c->owner;
	int r;

	if (c->closing)
		return;
	if (status < 0) {
		conn_close(c, status);
		return;
	}
	l->state = LINK_GREET;
	if ((r = conn_start(c)) != 0)
		conn_close(c, r);
}

static void
link_connect(struct pogo_peer_link *l, const struct sockaddr *sa)
{
	struct pogo_peer_client *cl = l->cl;
	struct peer_conn *c;
	int r;

	c = conn_new(cl->loop, POGO_STREAM_TCP, cl->tls, &link_conn_ops, l,
	    cl->clock, cl->ping_ms, cl->silence_ms, sizeof(*c));
	snprintf(c->who, sizeof(c->who), "dispatcher %s", l->addr);
	l->conn = c;
	l->state = LINK_CONNECT;
	if ((r = uv_tcp_connect(&c->connect, pogo_stream_tcp(c->stream), sa,
	         link_connect_cb)) != 0)
		conn_close(c, r);
}

static void
link_resolve_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	struct link_resolve *lr = container_of(req, struct link_resolve, req);
	struct pogo_peer_link *l = lr->l;
	struct pogo_peer_client *cl = lr->cl;

	if (l == NULL) {
		uv_freeaddrinfo(res);
		free(lr);
		cl->nclose--;
		client_maybe_done(cl);
		return;
	}
	l->res = NULL;
	free(lr);
	if (status < 0 || res == NULL) {
		l->failures++;
		if (!l->warned)
			log_warn("dispatcher %s: cannot resolve %s: %s",
			    l->addr, l->host, uv_strerror(status));
		l->warned = true;
		uv_freeaddrinfo(res);
		pogo_clock_timer_stop(l->timer);
		link_schedule(l);
		return;
	}
	link_connect(l, res->ai_addr);
	uv_freeaddrinfo(res);
}

/* Abandon a resolution in flight; its callback frees it. */
static void
link_abandon_resolve(struct pogo_peer_link *l)
{
	if (l->res == NULL)
		return;
	l->res->l = NULL;
	l->cl->nclose++;
	uv_cancel((uv_req_t *)&l->res->req);
	l->res = NULL;
}

/* A dispatcher of this process: one end of a socketpair from cl->link. */
static void
link_open(struct pogo_peer_link *l)
{
	struct pogo_peer_client *cl = l->cl;
	struct peer_conn *c;
	uv_os_sock_t sock;
	int r;

	c = conn_new(cl->loop, POGO_STREAM_PIPE, cl->tls, &link_conn_ops, l,
	    cl->clock, cl->ping_ms, cl->silence_ms, sizeof(*c));
	snprintf(c->who, sizeof(c->who), "dispatcher %s", l->addr);
	l->conn = c;
	l->state = LINK_GREET;
	if ((r = cl->link(cl->link_arg, &sock)) != 0) {
		conn_close(c, r);
		return;
	}
	if ((r = uv_pipe_open(pogo_stream_pipe(c->stream), sock)) != 0) {
		(void)close(sock);
		conn_close(c, r);
		return;
	}
	if ((r = conn_start(c)) != 0)
		conn_close(c, r);
}

/* Start an attempt: resolve (names only), connect, wait for greeting. */
static void
link_attempt(struct pogo_peer_link *l)
{
	struct pogo_peer_client *cl = l->cl;
	struct sockaddr_storage ss;
	struct addrinfo hints;
	char port[16];
	int r;

	pogo_clock_timer_start(l->timer, cl->connect_timeout_ms);
	if (cl->link != NULL) {
		link_open(l);
		return;
	}
	memset(&ss, 0, sizeof(ss));
	if (uv_ip4_addr(l->host, l->port, (struct sockaddr_in *)&ss) == 0 ||
	    uv_ip6_addr(l->host, l->port, (struct sockaddr_in6 *)&ss) == 0) {
		link_connect(l, (struct sockaddr *)&ss);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", l->port);
	l->res = xcalloc(1, sizeof(*l->res));
	l->res->l = l;
	l->res->cl = cl;
	l->state = LINK_RESOLVE;
	if ((r = uv_getaddrinfo(cl->loop, &l->res->req, link_resolve_cb,
	         l->host, port, &hints)) != 0) {
		free(l->res);
		l->res = NULL;
		log_warn("dispatcher %s: cannot resolve %s: %s", l->addr,
		    l->host, uv_strerror(r));
		l->failures++;
		pogo_clock_timer_stop(l->timer);
		link_schedule(l);
	}
}

static void
link_timer_cb(struct pogo_clock_timer *t, void *arg)
{
	struct pogo_peer_link *l = arg;

	switch (l->state) {
	case LINK_WAIT:
		link_attempt(l);
		break;
	case LINK_RESOLVE:
		log_warn("dispatcher %s: cannot resolve %s: timed out", l->addr,
		    l->host);
		link_abandon_resolve(l);
		l->failures++;
		link_schedule(l);
		break;
	case LINK_CONNECT:
	case LINK_GREET:
		if (l->conn != NULL) {
			log_debug("dispatcher %s: no greeting within %llu ms",
			    l->addr,
			    (unsigned long long)l->cl->connect_timeout_ms);
			conn_close(l->conn, POGO_ERR_TIMEOUT);
		}
		break;
	default:
		break;
	}
}

/* Wait the reconnect delay plus the backoff, then attempt. */
static void
link_schedule(struct pogo_peer_link *l)
{
	struct pogo_peer_client *cl = l->cl;
	uint64_t ms = 0, backoff;
	unsigned i;

	if (cl->closing || (cl->holding && pogo_peer_link_pending(l) == 0)) {
		l->state = LINK_HELD;
		return;
	}
	if (cl->reconnect_delay > 1)
		ms = (uint64_t)(peer_random() % cl->reconnect_delay) * 1000;
	if (l->failures > 0 && cl->backoff_min_ms > 0) {
		backoff = cl->backoff_min_ms;
		for (i = 1; i < l->failures && backoff < cl->backoff_max_ms;
		     i++)
			backoff *= 2;
		if (backoff > cl->backoff_max_ms)
			backoff = cl->backoff_max_ms;
		ms += backoff;
	}
	l->state = LINK_WAIT;
	pogo_clock_timer_start(l->timer, ms);
}

int
pogo_peer_client_new(uv_loop_t *loop, const struct pogo_peer_client_opts *opts,
    const struct pogo_peer_client_cbs *cbs, void *arg,
    struct pogo_peer_client **clp, char **cause)
{
	struct pogo_peer_client *cl = NULL;
	struct pogo_tls *tls = NULL;
	struct pogo_tls_opts to;
	struct pogo_cfg_addr *addrs = NULL;
	struct pogo_peer_link *l;
	uint8_t rnd[16];
	char hex[33];
	size_t i, n = 0;
	int r = POGO_ERR_CONFIG;

	*clp = NULL;
	*cause = NULL;
	if (opts->ndispatchers == 0 && opts->link == NULL) {
		xasprintf(cause, "no dispatcher to connect to");
		goto out;
	}
	if (opts->tls != NULL) {
		to = *opts->tls;
		to.server = false;
		to.peer_kind = "dispatcher";
		if ((r = pogo_tls_new(&to, &tls, cause)) != 0)
			goto out;
	}
	if (opts->link != NULL) {
		/* One link, to the dispatcher of this process. */
		addrs = xcalloc(1, sizeof(*addrs));
		addrs[0].str = xstrdup(POGO_PEER_LINK_ADDR);
		addrs[0].host = xstrdup("");
		n = 1;
	} else {
		addrs = xcalloc(opts->ndispatchers, sizeof(*addrs));
		for (n = 0; n < opts->ndispatchers; n++) {
			if ((r = pogo_cfg_parse_addr(opts->dispatchers[n],
			         false, &addrs[n], cause)) != 0)
				goto out;
		}
	}
	cl = xcalloc(1, sizeof(*cl));
	cl->loop = loop;
	cl->link = opts->link;
	cl->link_arg = opts->link_arg;
	cl->tls = tls;
	tls = NULL;
	cl->cbs = cbs;
	cl->arg = arg;
	cl->name = xstrdup(opts->name != NULL ? opts->name : "worker");
	if (opts->instance != NULL)
		cl->instance = xstrdup(opts->instance);
	else {
		if ((r = uv_random(NULL, NULL, rnd, sizeof(rnd), 0, NULL)) !=
		    0) {
			xasprintf(cause, "random instance: %s", uv_strerror(r));
			goto out;
		}
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
		cl->instance = xstrdup(hex);
	}
	cl->key_id = opts->key_id != NULL ? xstrdup(opts->key_id) : NULL;
	cl->max_tasks = opts->max_tasks;
	cl->reconnect_delay = opts->reconnect_delay;
	cl->ping_ms = opts->ping_ms;
	cl->silence_ms = opts->silence_ms;
	cl->connect_timeout_ms = opts->connect_timeout_ms;
	cl->backoff_min_ms = opts->backoff_min_ms;
	cl->backoff_max_ms = opts->backoff_max_ms;
	if (opts->clock != NULL)
		cl->clock = opts->clock;
	else {
		cl->clock = pogo_clock_uv_new(loop);
		cl->own_clock = true;
	}
	uv_timer_init(loop, &cl->closer);
	cl->closer.data = cl;
	cl->links = xcalloc(n, sizeof(*cl->links));
	for (i = 0; i < n; i++) {
		l = xcalloc(1, sizeof(*l));
		l->cl = cl;
		l->addr = xstrdup(addrs[i].str);
		l->host = xstrdup(addrs[i].host);
		l->port = addrs[i].port;
		l->timer = pogo_clock_timer_new(cl->clock, link_timer_cb, l);
		l->q = pogo_queue_new(cl->clock, opts->report_timeout_ms,
		    opts->report_retries, &link_queue_cbs, l);
		cl->links[cl->nlinks++] = l;
		link_schedule(l);
	}
	*clp = cl;
	cl = NULL;
	r = 0;
out:
	for (i = 0; i < n && addrs != NULL; i++)
		pogo_cfg_addr_release(&addrs[i]);
	free(addrs);
	pogo_tls_free(tls);
	if (cl != NULL) {
		pogo_tls_free(cl->tls);
		free(cl->name);
		free(cl->instance);
		free(cl);
	}
	return r;
}

const char *
pogo_peer_client_instance(const struct pogo_peer_client *cl)
{
	return cl->instance;
}

size_t
pogo_peer_client_nlinks(const struct pogo_peer_client *cl)
{
	return cl->nlinks;
}

struct pogo_peer_link *
pogo_peer_client_link(struct pogo_peer_client *cl, size_t i)
{
	return i < cl->nlinks ? cl->links[i] : NULL;
}

void
pogo_peer_client_hold(struct pogo_peer_client *cl)
{
	struct pogo_peer_link *l;
	size_t i;

	cl->holding = true;
	for (i = 0; i < cl->nlinks; i++) {
		l = cl->links[i];
		/* A link with reports to deliver goes on (re)connecting. */
		if (pogo_peer_link_pending(l) > 0)
			continue;
		switch (l->state) {
		case LINK_WAIT:
			pogo_clock_timer_stop(l->timer);
			l->state = LINK_HELD;
			break;
		case LINK_RESOLVE:
			pogo_clock_timer_stop(l->timer);
			link_abandon_resolve(l);
			l->state = LINK_HELD;
			break;
		case LINK_CONNECT:
		case LINK_GREET:
			/* Its close callback finds the client holding. */
			conn_close(l->conn, UV_ECANCELED);
			break;
		default:
			break;
		}
	}
}

static void
client_maybe_done(struct pogo_peer_client *cl)
{
	pogo_peer_client_close_cb cb;
	void *arg;
	size_t i;

	if (!cl->closing || cl->nclose > 0)
		return;
	cb = cl->close_cb;
	arg = cl->close_arg;
	if (cb != NULL)
		cb(cl, 0, arg);
	for (i = 0; i < cl->nlinks; i++) {
		free(cl->links[i]->addr);
		free(cl->links[i]->host);
		free(cl->links[i]);
	}
	free(cl->links);
	if (cl->own_clock)
		pogo_clock_free(cl->clock);
	pogo_tls_free(cl->tls);
	free(cl->name);
	free(cl->instance);
	free(cl->key_id);
	free(cl);
}

static void
client_closer_closed(uv_handle_t *h)
{
	struct pogo_peer_client *cl = h->data;

	cl->nclose--;
	client_maybe_done(cl);
}

void
pogo_peer_client_close(
    struct pogo_peer_client *cl, pogo_peer_client_close_cb cb, void *arg)
{
	struct pogo_peer_link *l;
	size_t i;

	POGO_ASSERT(!cl->closing);
	cl->closing = true;
	cl->close_cb = cb;
	cl->close_arg = arg;
	cl->nclose++; /* resolutions abandoned by a hold may be pending */
	uv_close((uv_handle_t *)&cl->closer, client_closer_closed);
	for (i = 0; i < cl->nlinks; i++) {
		l = cl->links[i];
		l->state = LINK_HELD;
		pogo_clock_timer_free(l->timer);
		l->timer = NULL;
		link_abandon_resolve(l);
		pogo_queue_free(l->q);
		l->q = NULL;
		if (l->conn != NULL) {
			/* Closing already or not, its close callback counts. */
			cl->nclose++;
			conn_close(l->conn, UV_ECANCELED);
		}
	}
}

const char *
pogo_peer_link_address(const struct pogo_peer_link *l)
{
	return l->addr;
}

bool
pogo_peer_link_up(const struct pogo_peer_link *l)
{
	return l->state == LINK_UP && l->conn != NULL && !l->conn->closing;
}

unsigned
pogo_peer_link_sessions(const struct pogo_peer_link *l)
{
	return l->sessions;
}

/* A queued task_started report of task key. */
static bool
link_report_started_of(const void *item, const void *key)
{
	const struct link_report *lr = item;

	return !lr->done && lr->task_id != NULL &&
	    strcmp(lr->task_id, key) == 0;
}

void
pogo_peer_link_report(struct pogo_peer_link *l, const struct pogo_msg *m)
{
	struct link_report *lr;

	if (l->q == NULL)
		return; /* closing */
	/*
	 * A task_done whose task_started has not left yet stands for both
	 * (SPEC 8.4): one report, one round trip and one commit less.  It
	 * carries started_at, from which the dispatcher applies the start.
	 */
	if (m->type == POGO_MSG_TASK_DONE && m->task_id != NULL &&
	    m->started_at >= 0)
		link_report_free(
		    pogo_queue_take(l->q, link_report_started_of, m->task_id));
	lr = xcalloc(1, sizeof(*lr));
	lr->line = pogo_proto_encode(m, &lr->len);
	if ((m->type == POGO_MSG_TASK_DONE ||
	        m->type == POGO_MSG_TASK_STARTED) &&
	    m->task_id != NULL)
		lr->task_id = xstrdup(m->task_id);
	lr->done = m->type == POGO_MSG_TASK_DONE && m->task_id != NULL;
	pogo_queue_push(l->q, lr);
	/* Held while holding, with no report then: it has one now. */
	if (l->state == LINK_HELD && !l->cl->closing)
		link_schedule(l);
}

size_t
pogo_peer_link_unsent(const struct pogo_peer_link *l)
{
	if (!pogo_peer_link_up(l))
		return 0;
	return pogo_stream_write_queue_size(l->conn->stream);
}

size_t
pogo_peer_link_pending(const struct pogo_peer_link *l)
{
	return l->q != NULL ? pogo_queue_len(l->q) : 0;
}

int
pogo_peer_link_send(struct pogo_peer_link *l, const struct pogo_msg *m)
{
	if (!pogo_peer_link_up(l))
		return POGO_ERR_STATE;
	conn_write_msg(l->conn, m);
	return 0;
}

void
pogo_peer_link_reply(struct pogo_peer_link *l, const char *task_id, int ok,
    const char *text, int tasks)
{
	if (!pogo_peer_link_up(l))
		return;
	conn_reply(l->conn, POGO_CHAN_COMMAND, task_id, ok, text, tasks);
}
