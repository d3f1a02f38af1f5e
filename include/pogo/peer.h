/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Framed protocol connections between workers and dispatchers (SPEC 8):
 * TCP, JSON lines (wire.h), the greeting and the hello, heartbeats both
 * ways (heartbeat.h), and the queue processors of SPEC 8.4 (queue.h).
 * Both sides of the protocol live here; the dispatcher and the worker
 * components use them and keep their own logic (jobs, tasks, capacity,
 * de-duplication) out of it.
 *
 * Dispatcher side: a server listens on the worker port
 * (dispatcher.worker_listen).  Each accepted connection is greeted; it
 * becomes a worker of the registry when its hello arrives (cbs->up), and
 * leaves it when the connection ends (cbs->lost).  Nothing of a
 * connection that has not said hello reaches the caller (N-HELLO).  Such
 * connections are bounded: at most max_unhello at a time (a new one
 * beyond is closed at once, and logged), each closed when no hello came
 * within hello_timeout_ms.
 * Commands (channel 2) go out through one queue processor per worker
 * (retries 3, timeout 5 s); when a command is dropped after its retries,
 * the connection is closed (the worker is unresponsive) and cbs->lost
 * hands the unacknowledged commands back.
 *
 * Worker side: a client connects to every dispatcher it is given (one
 * link each), after the reconnect delay (a random whole number of
 * seconds in [0, N-1]) plus a backoff that grows while attempts keep
 * failing (from backoff_min_ms, doubling, to backoff_max_ms), and again
 * after any error or end of connection.  A connection that fails before
 * the greeting is a failure, and so is a session that ends less than a
 * heartbeat interval (ping_ms) after its greeting, so that a dispatcher
 * that greets and hangs up at once is not hammered; only a session that
 * lasted ping_ms resets the backoff.  After the greeting it sends its
 * hello.  Reports (task_started, task_done) go
 * through one queue processor per link (retries for ever, timeout 10 s)
 * that is kept across connections: a report is never lost while the
 * process lives.
 *
 * In one process (pair.h), the two sides need no port: a server without
 * a listen address listens on nothing, and pogo_peer_server_link() makes
 * a socketpair, keeps one end as an accepted connection and hands the
 * other to a client whose opts.link gets it (no file system name, no
 * port: nobody else can reach either side).  Such a link is logged as
 * "in-process"; it is greeted, says hello and reconnects (a new pair of
 * sockets) as a TCP link does.
 *
 * Both sides: a line that is not a JSON object is logged and ignored; a
 * line longer than 4 MiB closes the connection (N-MALFORMED).  A ping is
 * sent after ping_ms without hearing from the peer and answered by a
 * pong; a peer silent for silence_ms is declared dead and its connection
 * closed (N-HEARTBEAT).  Unknown commands are answered as SPEC 8.3 says
 * without bothering the caller.  Every timer runs on an injectable clock
 * (clock.h), so tests can drive the heartbeats, the queues, the connect
 * timeout and the reconnect delays by hand.
 *
 * TLS (SPEC 10.1, stream.h): with tls options, the worker port accepts
 * only TLS from certificates of kind "worker" and the worker connects
 * with TLS to dispatchers of kind "dispatcher"; a handshake that fails or
 * takes longer than POGO_STREAM_HANDSHAKE_MS closes the connection (it is
 * logged, and is a failed attempt on the worker side).  A listener on a
 * non-loopback address needs TLS or `insecure` (SPEC 10.1's loopback
 * rule, with its exact message).
 *
 * Callbacks are never called from inside the function that registered
 * them or that closes the object; they run on the loop (read, timers,
 * close callbacks).  Received messages are lent to the callee for the
 * duration of the callback; it may take strings out of them (setting the
 * pointers to NULL).
 */
#ifndef POGO_PEER_H
#define POGO_PEER_H

#include <uv.h>

#include "pogo/clock.h"
#include "pogo/proto.h"
#include "pogo/tls.h"

/* The address of a link inside one process, in logs and GET /status. */
#define POGO_PEER_LINK_ADDR "in-process"

/* Defaults (SPEC 1.5, 8.4). */
#define POGO_PEER_COMMAND_TIMEOUT_MS 5000
#define POGO_PEER_COMMAND_RETRIES 3
#define POGO_PEER_REPORT_TIMEOUT_MS 10000
#define POGO_PEER_REPORT_RETRIES (-1)
#define POGO_PEER_CONNECT_TIMEOUT_MS 10000
#define POGO_PEER_BACKOFF_MIN_MS 100
#define POGO_PEER_BACKOFF_MAX_MS 5000
/*
 * Connections of the worker port that have not said hello yet: at most
 * this many (beyond, the next ones wait in the listen backlog and are
 * accepted as these say hello or close), each for at most this long
 * from its accept.
 */
#define POGO_PEER_MAX_UNHELLO 64
#define POGO_PEER_HELLO_TIMEOUT_MS 10000
/*
 * Connections the kernel may hold on the worker port before they are
 * accepted (capped by net.core.somaxconn): beyond the cap above, a herd
 * of reconnecting workers waits there; with 128, 200 TLS workers
 * overflowed it into 1 s SYN retransmits.
 */
#define POGO_PEER_LISTEN_BACKLOG 4096
/* Bytes waiting to be written to a peer that does not read: then close. */
#define POGO_PEER_MAX_WRITE_QUEUE (64u * 1024 * 1024)

/* ------------------------------------------------------------------ */
/* Dispatcher side. */

struct pogo_peer_server;
struct pogo_peer_worker;

struct pogo_peer_server_cbs {
	/* A connection said hello: w is in the registry from now on. */
	void (*up)(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
	    void *arg);
	/*
	 * The connection of w ended (status: UV_EOF, a read or write error,
	 * POGO_ERR_TIMEOUT for silence or a command dropped after its
	 * retries, POGO_ERR_LIMIT for an oversized line, UV_ECANCELED when
	 * the server closes).  w has left the registry; the callee takes its
	 * unacknowledged commands back with pogo_peer_worker_take() now
	 * (those it leaves are released with cbs->release).  w is freed
	 * when this returns.
	 */
	void (*lost)(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
	    int status, void *arg);
	/*
	 * A report (channel 1: task_started, task_output, task_done) from
	 * w.  task_started and task_done must be acknowledged with
	 * pogo_peer_worker_ack(), once each and in order, when they are
	 * committed (SPEC 6.3); task_output is never acknowledged.
	 */
	void (*report)(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
	    struct pogo_msg *m, void *arg);
	/*
	 * w answered the command queued with cookie (m->ok 0: accepted; 1:
	 * refused, m->text says why, "busy" for a full worker).  The cookie
	 * is the callee's again.
	 */
	void (*reply)(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
	    struct pogo_msg *m, void *cookie, void *arg);
	/* Free a cookie nobody took back (may be NULL). */
	void (*release)(void *cookie);
};

struct pogo_peer_server_opts {
	/* numeric "HOST:PORT", "[V6]:PORT"; port 0 ok; NULL: no listener */
	const char *listen;
	bool insecure; /* allow a non-loopback address without TLS */
	/* TLS (borrowed; server and peer_kind are set here), NULL: plain */
	const struct pogo_tls_opts *tls;
	struct pogo_clock *clock; /* NULL: a clock on the loop */
	uint64_t ping_ms;         /* heartbeats */
	uint64_t silence_ms;
	int64_t command_timeout_ms; /* the queue processor of channel 2 */
	int command_retries;
	unsigned max_unhello;      /* connections without hello, at most */
	uint64_t hello_timeout_ms; /* from accept to hello */
};

/* The defaults of SPEC 1.5 and 8.4, listening on 127.0.0.1:7655. */
void pogo_peer_server_opts_init(struct pogo_peer_server_opts *opts);

/*
 * Bind and listen on loop.  opts and cbs are borrowed (cbs and the clock
 * must outlive the server).  Returns 0 with *srvp, or POGO_ERR_CONFIG
 * (bad address, the loopback rule, a TLS item missing or unreadable) or
 * a libuv error (bind, listen) with *cause set for the caller to print
 * and free.
 */
int pogo_peer_server_new(uv_loop_t *loop,
    const struct pogo_peer_server_opts *opts,
    const struct pogo_peer_server_cbs *cbs, void *arg,
    struct pogo_peer_server **srvp, char **cause);

/* The bound address (for port 0); UV_EINVAL without a listener. */
int pogo_peer_server_address(
    struct pogo_peer_server *srv, struct sockaddr_storage *ss);

/*
 * A worker of this process: a connected socketpair, one end accepted by
 * srv now (greeted, counted as a connection without hello), the other
 * in *sockp for the caller (non-blocking, close-on-exec), who owns it.
 * Returns 0, UV_ECANCELED once srv is closing, or a libuv error.
 */
int pogo_peer_server_link(struct pogo_peer_server *srv, uv_os_sock_t *sockp);

/*
 * The registry: workers that said hello and are still connected, in the
 * order they said it.  i < pogo_peer_server_nworkers().
 */
size_t pogo_peer_server_nworkers(const struct pogo_peer_server *srv);
struct pogo_peer_worker *pogo_peer_server_worker(
    struct pogo_peer_server *srv, size_t i);
/*
 * Call fn(line, fnarg) once per worker of the registry, in order, with
 * line "<name> <peer-ip>:<peer-port>" (GET /status, SPEC 7.5; borrowed
 * for the call).
 */
void pogo_peer_server_describe(struct pogo_peer_server *srv,
    void (*fn)(const char *line, void *fnarg), void *fnarg);
/* Connections accepted and not closed yet (with or without hello). */
size_t pogo_peer_server_nconns(const struct pogo_peer_server *srv);

typedef void (*pogo_peer_server_close_cb)(
    struct pogo_peer_server *srv, int status, void *arg);
/*
 * Stop listening and close every connection: cbs->lost is called for each
 * worker (UV_ECANCELED), then cb (may be NULL) once every handle is closed;
 * the server is freed after cb.
 */
void pogo_peer_server_close(
    struct pogo_peer_server *srv, pogo_peer_server_close_cb cb, void *arg);

/* What the hello said (strings owned by w). */
const char *pogo_peer_worker_name(const struct pogo_peer_worker *w);
const char *pogo_peer_worker_instance(const struct pogo_peer_worker *w);
int pogo_peer_worker_max_tasks(const struct pogo_peer_worker *w);
const char *pogo_peer_worker_key_id(const struct pogo_peer_worker *w);
/* The peer's "IP:PORT" ("[IPv6]:PORT"). */
const char *pogo_peer_worker_address(const struct pogo_peer_worker *w);
/* The caller's own pointer for w. */
void pogo_peer_worker_set_data(struct pogo_peer_worker *w, void *data);
void *pogo_peer_worker_data(const struct pogo_peer_worker *w);

/*
 * Queue a channel-2 command (m is borrowed and encoded now) with the
 * caller's cookie, handed back by cbs->reply or pogo_peer_worker_take().
 * Commands go out one at a time, in order.
 */
void pogo_peer_worker_command(
    struct pogo_peer_worker *w, const struct pogo_msg *m, void *cookie);
/* Commands queued, the unacknowledged one included. */
size_t pogo_peer_worker_pending(const struct pogo_peer_worker *w);
/*
 * In cbs->lost only: the next unacknowledged command's cookie, in the
 * order they were queued (a command dropped after its retries first), or
 * NULL when none is left.
 */
void *pogo_peer_worker_take(struct pogo_peer_worker *w);
/* Acknowledge the oldest unacknowledged report (channel 1). */
void pogo_peer_worker_ack(struct pogo_peer_worker *w);
/* Send m at once, outside the queue (m borrowed). */
void pogo_peer_worker_send(
    struct pogo_peer_worker *w, const struct pogo_msg *m);
/* Close w's connection; cbs->lost follows with status. */
void pogo_peer_worker_close(struct pogo_peer_worker *w, int status);

/* ------------------------------------------------------------------ */
/* Worker side. */

struct pogo_peer_client;
struct pogo_peer_link;

struct pogo_peer_client_cbs {
	/* The greeting came and the hello went out on link. */
	void (*up)(
	    struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg);
	/*
	 * link's connection ended after it was up (status as for the
	 * server's lost); a new one is tried after the reconnect delay.
	 * Queued reports stay queued.  May be NULL.
	 */
	void (*down)(struct pogo_peer_client *cl, struct pogo_peer_link *l,
	    int status, void *arg);
	/*
	 * A channel-2 request (run, taskstatus, taskkill, status).  The
	 * callee answers it at once with pogo_peer_link_reply().
	 */
	void (*command)(struct pogo_peer_client *cl, struct pogo_peer_link *l,
	    struct pogo_msg *m, void *arg);
	/* link's report queue became empty (may be NULL). */
	void (*idle)(
	    struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg);
	/*
	 * The task_done report of task_id (borrowed) left link's queue:
	 * acknowledged, or dropped after its retries.  May be NULL.
	 */
	void (*delivered)(struct pogo_peer_client *cl, struct pogo_peer_link *l,
	    const char *task_id, void *arg);
};

/*
 * A client's way to its dispatcher of this process: 0 and a connected
 * socket in *sockp, which the client owns from then on, or an error (a
 * failed attempt).  pogo_peer_server_link() on the caller's server.
 */
typedef int (*pogo_peer_link_fn)(void *arg, uv_os_sock_t *sockp);

struct pogo_peer_client_opts {
	const char *const *dispatchers; /* "HOST:PORT" each; names resolve */
	size_t ndispatchers;
	/*
	 * Or, instead of dispatchers: one link, each attempt getting its
	 * socket from link(link_arg, &sock) (see above).
	 */
	pogo_peer_link_fn link;
	void *link_arg;
	const struct pogo_tls_opts *tls; /* as for the server */
	const char *name;                /* the hello's worker */
	const char *instance;            /* 32 hex; NULL: a random one */
	int max_tasks;
	const char *key_id;       /* or NULL */
	unsigned reconnect_delay; /* seconds: wait [0, N-1] before connects */
	struct pogo_clock *clock; /* NULL: a clock on the loop */
	uint64_t ping_ms;
	uint64_t silence_ms;
	uint64_t connect_timeout_ms; /* from connect to the greeting */
	uint64_t backoff_min_ms;
	uint64_t backoff_max_ms;
	int64_t report_timeout_ms;
	int report_retries;
};

/* The defaults (SPEC 1.5, 8.4); dispatchers and name must be set. */
void pogo_peer_client_opts_init(struct pogo_peer_client_opts *opts);

/*
 * Start connecting to every dispatcher of opts (copied; cbs and the clock
 * are borrowed).  Returns 0 with *clp, or POGO_ERR_CONFIG (a bad address,
 * a TLS item) with *cause set.
 */
int pogo_peer_client_new(uv_loop_t *loop,
    const struct pogo_peer_client_opts *opts,
    const struct pogo_peer_client_cbs *cbs, void *arg,
    struct pogo_peer_client **clp, char **cause);

/* The instance sent in every hello. */
const char *pogo_peer_client_instance(const struct pogo_peer_client *cl);

/* The links, one per dispatcher, in the order of opts. */
size_t pogo_peer_client_nlinks(const struct pogo_peer_client *cl);
struct pogo_peer_link *pogo_peer_client_link(
    struct pogo_peer_client *cl, size_t i);

/*
 * A graceful stop: a link with no report to deliver makes no new
 * connection attempt (one that is up stays up; one that goes down stays
 * down); a link with reports, or that gets one, goes on (re)connecting
 * to deliver them, until the client is closed.
 */
void pogo_peer_client_hold(struct pogo_peer_client *cl);

typedef void (*pogo_peer_client_close_cb)(
    struct pogo_peer_client *cl, int status, void *arg);
/*
 * Close every link (no callback of cbs is called from now on; queued
 * reports are dropped), then cb (may be NULL); the client is freed after
 * cb.
 */
void pogo_peer_client_close(
    struct pogo_peer_client *cl, pogo_peer_client_close_cb cb, void *arg);

/* The dispatcher's "HOST:PORT" as configured. */
const char *pogo_peer_link_address(const struct pogo_peer_link *l);
/* Is the link up (greeted, hello sent)? */
bool pogo_peer_link_up(const struct pogo_peer_link *l);
/* Connections that reached the greeting so far. */
unsigned pogo_peer_link_sessions(const struct pogo_peer_link *l);

/*
 * Queue a report (task_started, task_done; m borrowed, encoded now).  It
 * is sent when the link is up and resent until acknowledged.  A task_done
 * with started_at takes its task's task_started out of the queue if that
 * has not been sent yet: the task_done stands for both.
 */
void pogo_peer_link_report(struct pogo_peer_link *l, const struct pogo_msg *m);
/* Reports queued, the unacknowledged one included. */
size_t pogo_peer_link_pending(const struct pogo_peer_link *l);
/*
 * Bytes sent on the link that its connection has not handed to the
 * kernel yet (the stream's write queue); 0 while it is not up.
 */
size_t pogo_peer_link_unsent(const struct pogo_peer_link *l);
/*
 * Send m at once, outside the queue (task_output).  Returns 0, or
 * POGO_ERR_STATE when the link is not up (nothing is sent).
 */
int pogo_peer_link_send(struct pogo_peer_link *l, const struct pogo_msg *m);
/*
 * Answer a channel-2 request: ok 0 (text NULL: "OK") or 1 (text says
 * why: "busy"), tasks < 0 for none.  Nothing is sent when the link is
 * not up.
 */
void pogo_peer_link_reply(struct pogo_peer_link *l, const char *task_id, int ok,
    const char *text, int tasks);

#endif
