/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/peer.c: both sides of the protocol on one loop over
 * loopback TCP, with the heartbeats, queues, connect timeouts and
 * reconnect delays on a manual clock.  Where one side must misbehave
 * (never say hello, stay silent, send garbage or a line over 4 MiB, never
 * answer), the test plays it with a raw non-blocking socket.
 * N-HELLO, N-HEARTBEAT, N-MALFORMED, the loopback rule, commands and
 * reports both ways, a command dropped after its retries, reconnection.
 */
#include "pogo/compat.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/heartbeat.h"
#include "pogo/peer.h"
#include "pogo/proc.h"
#include "pogo/xmalloc.h"

/* What the callbacks saw. */
struct pt {
	uv_loop_t loop;
	struct pogo_clock *clock;
	struct pogo_peer_server *srv;
	struct pogo_peer_client *cl;
	int port;
	/* server */
	int ups, losts, reports, replies, releases;
	int lost_status;
	struct pogo_peer_worker *w;
	char report_cmd[64], report_task[64];
	char report_seq[256]; /* "cmd task," for each report, in order */
	int reply_ok;
	char reply_text[128];
	intptr_t reply_cookie;
	intptr_t taken[8];
	int ntaken;
	bool ack_reports;
	/* client */
	int cups, cdowns, commands, idles;
	char command_task[64];
	int command_type;
	bool answer_commands;
	bool closed;
	char described[128];
};

static void
srv_up(struct pogo_peer_server *srv, struct pogo_peer_worker *w, void *arg)
{
	struct pt *t = arg;

	t->ups++;
	t->w = w;
}

static void
srv_lost(struct pogo_peer_server *srv, struct pogo_peer_worker *w, int status,
    void *arg)
{
	struct pt *t = arg;
	void *cookie;

	t->losts++;
	t->lost_status = status;
	while ((cookie = pogo_peer_worker_take(w)) != NULL && t->ntaken < 8)
		t->taken[t->ntaken++] = (intptr_t)cookie;
	if (t->w == w)
		t->w = NULL;
}

static void
srv_report(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *arg)
{
	struct pt *t = arg;

	t->reports++;
	snprintf(t->report_cmd, sizeof(t->report_cmd), "%s",
	    pogo_proto_type_name(m->type));
	snprintf(t->report_task, sizeof(t->report_task), "%s",
	    m->task_id != NULL ? m->task_id : "");
	snprintf(t->report_seq + strlen(t->report_seq),
	    sizeof(t->report_seq) - strlen(t->report_seq), "%s %s,",
	    t->report_cmd, t->report_task);
	if (t->ack_reports && m->type != POGO_MSG_TASK_OUTPUT)
		pogo_peer_worker_ack(w);
}

static void
srv_reply(struct pogo_peer_server *srv, struct pogo_peer_worker *w,
    struct pogo_msg *m, void *cookie, void *arg)
{
	struct pt *t = arg;

	t->replies++;
	t->reply_ok = m->ok;
	snprintf(t->reply_text, sizeof(t->reply_text), "%s",
	    m->text != NULL ? m->text : "");
	t->reply_cookie = (intptr_t)cookie;
}

static const struct pogo_peer_server_cbs srv_cbs = { srv_up, srv_lost,
	srv_report, srv_reply, NULL };

static void
cl_up(struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg)
{
	struct pt *t = arg;

	t->cups++;
}

static void
cl_down(struct pogo_peer_client *cl, struct pogo_peer_link *l, int status,
    void *arg)
{
	struct pt *t = arg;

	t->cdowns++;
}

static void
cl_command(struct pogo_peer_client *cl, struct pogo_peer_link *l,
    struct pogo_msg *m, void *arg)
{
	struct pt *t = arg;

	t->commands++;
	t->command_type = m->type;
	snprintf(t->command_task, sizeof(t->command_task), "%s",
	    m->task_id != NULL ? m->task_id : "");
	if (t->answer_commands)
		pogo_peer_link_reply(l, m->task_id, 0, NULL, -1);
}

static void
cl_idle(struct pogo_peer_client *cl, struct pogo_peer_link *l, void *arg)
{
	struct pt *t = arg;

	t->idles++;
}

static const struct pogo_peer_client_cbs cl_cbs = { cl_up, cl_down, cl_command,
	cl_idle, NULL };

/* A raw, non-blocking socket playing one side by hand. */
struct raw {
	int fd;
	char buf[65536];
	size_t len;
	bool eof;
	int reads; /* recv calls that got bytes: on SOCK_SEQPACKET, writes */
};

static void
raw_poll(struct raw *r)
{
	ssize_t n;

	if (r->fd < 0 || r->eof)
		return;
	for (;;) {
		if (r->len == sizeof(r->buf) - 1)
			r->len = 0; /* the tests look at recent lines only */
		n = recv(
		    r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len, 0);
		if (n > 0) {
			r->len += (size_t)n;
			r->buf[r->len] = '\0';
			r->reads++;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			r->eof = true;
		return;
	}
}

static struct raw *rawv[4];

/* Run the loop (and read the raw sockets) until cond, at most 5 s. */
static bool
spin_until(struct pt *t, bool (*cond)(struct pt *t, void *arg), void *arg)
{
	uint64_t end = uv_hrtime() + 5000000000ULL;
	size_t i;

	while (uv_hrtime() < end) {
		uv_run(&t->loop, UV_RUN_NOWAIT);
		for (i = 0; i < POGO_NELEM(rawv); i++) {
			if (rawv[i] != NULL)
				raw_poll(rawv[i]);
		}
		if (cond(t, arg))
			return true;
		usleep(1000);
	}
	return false;
}

/* A few loop turns, for checking that something did not happen. */
static void
spin_turns(struct pt *t, int n)
{
	size_t i;

	while (n-- > 0) {
		uv_run(&t->loop, UV_RUN_NOWAIT);
		for (i = 0; i < POGO_NELEM(rawv); i++) {
			if (rawv[i] != NULL)
				raw_poll(rawv[i]);
		}
		usleep(1000);
	}
}

static bool
cond_int_ge(struct pt *t, void *arg)
{
	const int *const *p = arg;

	return *p[0] >= *p[1];
}

#define WAIT_GE(t, field, n)                                              \
	do {                                                              \
		int want_ = (n);                                          \
		const int *pp_[2] = { &(t)->field, &want_ };              \
		if (!spin_until((t), cond_int_ge, pp_))                   \
			harness_fail(__FILE__, __LINE__,                  \
			    "timed out waiting for %s >= %d: %d", #field, \
			    want_, (t)->field);                           \
	} while (0)

static bool
cond_raw_has(struct pt *t, void *arg)
{
	void **a = arg;
	struct raw *r = a[0];

	return strstr(r->buf, a[1]) != NULL;
}

#define WAIT_RAW(t, r, text)                                           \
	do {                                                           \
		void *a_[2] = { (r), (void *)(text) };                 \
		if (!spin_until((t), cond_raw_has, a_))                \
			harness_fail(__FILE__, __LINE__,               \
			    "timed out waiting for %s in: %s", (text), \
			    (r)->buf);                                 \
	} while (0)

static bool
cond_raw_eof(struct pt *t, void *arg)
{
	return ((struct raw *)arg)->eof;
}

static void
raw_send(struct pt *t, struct raw *r, const char *s, size_t len)
{
	size_t off = 0;
	ssize_t n;
	uint64_t end = uv_hrtime() + 10000000000ULL;

	while (off < len && uv_hrtime() < end) {
		n = send(r->fd, s + off, len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			break; /* closed by the peer: the test checks that */
		uv_run(&t->loop, UV_RUN_NOWAIT);
		raw_poll(r);
	}
}

static void
raw_line(struct pt *t, struct raw *r, const char *line)
{
	raw_send(t, r, line, strlen(line));
}

static struct raw *
raw_connect(int port)
{
	struct raw *r = xcalloc(1, sizeof(*r));
	struct sockaddr_in sin;
	size_t i;

	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT(r->fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(connect(r->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	fcntl(r->fd, F_SETFL, O_NONBLOCK);
	for (i = 0; i < POGO_NELEM(rawv); i++) {
		if (rawv[i] == NULL) {
			rawv[i] = r;
			break;
		}
	}
	return r;
}

static void
raw_free(struct raw *r)
{
	size_t i;

	for (i = 0; i < POGO_NELEM(rawv); i++) {
		if (rawv[i] == r)
			rawv[i] = NULL;
	}
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

/* A listening raw socket on 127.0.0.1:0; *portp its port. */
static int
raw_listen(int *portp)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ASSERT_EQ(listen(fd, 8), 0);
	ASSERT_EQ(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*portp = ntohs(sin.sin_port);
	return fd;
}

static bool
cond_accept(struct pt *t, void *arg)
{
	void **a = arg;
	int lfd = *(int *)a[0];
	struct raw **rp = a[1];
	int fd;
	size_t i;

	if ((fd = accept(lfd, NULL, NULL)) < 0)
		return false;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	*rp = xcalloc(1, sizeof(**rp));
	(*rp)->fd = fd;
	for (i = 0; i < POGO_NELEM(rawv); i++) {
		if (rawv[i] == NULL) {
			rawv[i] = *rp;
			break;
		}
	}
	return true;
}

static struct raw *
raw_accept(struct pt *t, int lfd)
{
	struct raw *r = NULL;
	void *a[2] = { &lfd, &r };

	if (!spin_until(t, cond_accept, a))
		harness_fail(__FILE__, __LINE__, "no connection to accept");
	return r;
}

static void
pt_init(struct pt *t)
{
	memset(t, 0, sizeof(*t));
	ASSERT_OK(pogo_proc_loop_init(&t->loop));
	t->clock = pogo_clock_manual_new(1000000);
	t->ack_reports = true;
	t->answer_commands = true;
}

static unsigned pt_max_unhello; /* 0: the default */

static void
pt_server(struct pt *t)
{
	struct pogo_peer_server_opts o;
	struct sockaddr_storage ss;
	char *cause = NULL;

	pogo_peer_server_opts_init(&o);
	o.listen = "127.0.0.1:0";
	o.clock = t->clock;
	if (pt_max_unhello > 0)
		o.max_unhello = pt_max_unhello;
	ASSERT_OK(
	    pogo_peer_server_new(&t->loop, &o, &srv_cbs, t, &t->srv, &cause));
	ASSERT_OK(pogo_peer_server_address(t->srv, &ss));
	t->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
pt_client(struct pt *t, int port)
{
	struct pogo_peer_client_opts o;
	char addr[64];
	const char *dv[1] = { addr };
	char *cause = NULL;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	pogo_peer_client_opts_init(&o);
	o.dispatchers = dv;
	o.ndispatchers = 1;
	o.name = "w1";
	o.max_tasks = 7;
	o.reconnect_delay = 0;
	o.clock = t->clock;
	ASSERT_OK(
	    pogo_peer_client_new(&t->loop, &o, &cl_cbs, t, &t->cl, &cause));
	/* The first attempt waits a delay of 0 on the manual clock. */
	pogo_clock_manual_advance(t->clock, 0);
}

static void
srv_closed(struct pogo_peer_server *srv, int status, void *arg)
{
	((struct pt *)arg)->closed = true;
}

static void
pt_done(struct pt *t)
{
	size_t i;

	if (t->cl != NULL)
		pogo_peer_client_close(t->cl, NULL, NULL);
	if (t->srv != NULL)
		pogo_peer_server_close(t->srv, srv_closed, t);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	if (t->srv != NULL)
		ASSERT(t->closed);
	for (i = 0; i < POGO_NELEM(rawv); i++) {
		if (rawv[i] != NULL)
			raw_free(rawv[i]);
	}
	ASSERT_OK(uv_loop_close(&t->loop));
	pogo_clock_free(t->clock);
}

TEST(loopback_rule)
{
	struct pt t;
	struct pogo_peer_server_opts o;
	struct pogo_tls_opts to;
	struct pogo_peer_server *srv = NULL;
	char *cause = NULL;

	pt_init(&t);
	pogo_peer_server_opts_init(&o);
	o.clock = t.clock;
	o.listen = "0.0.0.0:0";
	ASSERT_EQ(pogo_peer_server_new(&t.loop, &o, &srv_cbs, &t, &srv, &cause),
	    POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "refusing to listen on 0.0.0.0:0 without TLS; "
	    "use --insecure to override");
	free(cause);
	ASSERT_NULL(srv);
	/* With TLS asked for, its missing items are named (T-MISSING). */
	memset(&to, 0, sizeof(to));
	to.cert = "/nonexistent/dispatcher.crt";
	o.tls = &to;
	ASSERT_EQ(pogo_peer_server_new(&t.loop, &o, &srv_cbs, &t, &srv, &cause),
	    POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, "tls.key is not set");
	free(cause);
	ASSERT_NULL(srv);
	o.tls = NULL;
	o.insecure = true;
	ASSERT_OK(
	    pogo_peer_server_new(&t.loop, &o, &srv_cbs, &t, &t.srv, &cause));
	pt_done(&t);
}

static void
describe_cb(const char *line, void *arg)
{
	struct pt *t = arg;

	snprintf(t->described, sizeof(t->described), "%s", line);
}

TEST(hello_registers_worker)
{
	struct pt t;
	struct pogo_peer_worker *w;

	pt_init(&t);
	pt_server(&t);
	pt_client(&t, t.port);
	WAIT_GE(&t, ups, 1);
	WAIT_GE(&t, cups, 1);
	ASSERT_EQ(pogo_peer_server_nworkers(t.srv), 1);
	w = pogo_peer_server_worker(t.srv, 0);
	ASSERT_STR_EQ(pogo_peer_worker_name(w), "w1");
	ASSERT_EQ(pogo_peer_worker_max_tasks(w), 7);
	ASSERT_STR_EQ(
	    pogo_peer_worker_instance(w), pogo_peer_client_instance(t.cl));
	ASSERT_EQ(strlen(pogo_peer_worker_instance(w)), 32);
	ASSERT_NULL(pogo_peer_worker_key_id(w));
	ASSERT(strncmp(pogo_peer_worker_address(w), "127.0.0.1:", 10) == 0);
	ASSERT(pogo_peer_link_up(pogo_peer_client_link(t.cl, 0)));
	/* N-001's /status line. */
	t.described[0] = '\0';
	pogo_peer_server_describe(t.srv, describe_cb, &t);
	ASSERT(strncmp(t.described, "w1 127.0.0.1:", 13) == 0);
	ASSERT_STR_EQ(t.described + 3, pogo_peer_worker_address(w));
	pt_done(&t);
	ASSERT_EQ(t.losts, 1);
	ASSERT_EQ(t.lost_status, UV_ECANCELED);
}

TEST(n_hello_no_worker_before_hello)
{
	struct pt t;
	struct raw *r;

	pt_init(&t);
	pt_server(&t);
	r = raw_connect(t.port);
	WAIT_RAW(&t, r, "\"msg\":\"Hello, worker.\"");
	ASSERT(strstr(r->buf, "\"protocol\":\"2.0\"") != NULL);
	/* A report before the hello is not the caller's business. */
	raw_line(&t, r,
	    "{\"channel\":1,\"command\":\"task_started\",\"task_id\":\"t1\","
	    "\"started_at\":1.5}\n");
	raw_line(&t, r, "{\"channel\":0,\"msg\":\"ping\"}\n");
	WAIT_RAW(&t, r, "\"msg\":\"pong\"");
	ASSERT_EQ(pogo_peer_server_nconns(t.srv), 1);
	ASSERT_EQ(pogo_peer_server_nworkers(t.srv), 0);
	ASSERT_EQ(t.ups, 0);
	ASSERT_EQ(t.reports, 0);
	/* No hello within the silence limit: closed. */
	pogo_clock_manual_advance(t.clock, POGO_HEARTBEAT_SILENCE_MS);
	ASSERT(spin_until(&t, cond_raw_eof, r));
	ASSERT_EQ(t.losts, 0);
	pt_done(&t);
}

static const char *raw_hello =
    "{\"channel\":0,\"msg\":\"hello\",\"protocol\":\"2.0\",\"worker\":"
    "\"raw\",\"instance\":\"0123456789abcdef0123456789abcdef\","
    "\"max_tasks\":2,\"key_id\":null}\n";

/*
 * At most max_unhello connections without hello: the next ones wait in
 * the listen backlog, neither greeted nor closed, and are accepted in
 * turn as slots free (a herd of reconnecting workers is served as fast
 * as the handshakes go, not reset into their backoff); each has
 * hello_timeout_ms from its accept.
 */
TEST(connections_without_hello_are_bounded_and_timed)
{
	struct pt t;
	struct raw *r1, *r2, *r3, *r4;

	pt_init(&t);
	pt_max_unhello = 2;
	pt_server(&t);
	pt_max_unhello = 0;
	r1 = raw_connect(t.port);
	WAIT_RAW(&t, r1, "\"msg\":\"Hello, worker.\"");
	r2 = raw_connect(t.port);
	WAIT_RAW(&t, r2, "\"msg\":\"Hello, worker.\"");
	/* A third one waits: not greeted, not closed. */
	r3 = raw_connect(t.port);
	spin_turns(&t, 50);
	ASSERT(!r3->eof);
	ASSERT_NULL(strstr(r3->buf, "Hello, worker."));
	ASSERT_EQ(pogo_peer_server_nconns(t.srv), 2);
	/* r1 says hello: it no longer counts, r3 is accepted and greeted. */
	raw_line(&t, r1, raw_hello);
	WAIT_GE(&t, ups, 1);
	WAIT_RAW(&t, r3, "\"msg\":\"Hello, worker.\"");
	/* r4 waits behind r2 and r3. */
	r4 = raw_connect(t.port);
	spin_turns(&t, 50);
	ASSERT(!r4->eof);
	ASSERT_NULL(strstr(r4->buf, "Hello, worker."));
	ASSERT_EQ(pogo_peer_server_nconns(t.srv), 3);
	/* No hello within hello_timeout_ms: closed (the worker stays); r4
	 * is greeted in their place and has its own time. */
	pogo_clock_manual_advance(t.clock, POGO_PEER_HELLO_TIMEOUT_MS - 1);
	spin_turns(&t, 20);
	ASSERT(!r2->eof);
	ASSERT(!r3->eof);
	pogo_clock_manual_advance(t.clock, 1);
	ASSERT(spin_until(&t, cond_raw_eof, r2));
	ASSERT(spin_until(&t, cond_raw_eof, r3));
	WAIT_RAW(&t, r4, "\"msg\":\"Hello, worker.\"");
	ASSERT(!r4->eof);
	pogo_clock_manual_advance(t.clock, POGO_PEER_HELLO_TIMEOUT_MS - 1);
	spin_turns(&t, 20);
	ASSERT(!r4->eof);
	pogo_clock_manual_advance(t.clock, 1);
	ASSERT(spin_until(&t, cond_raw_eof, r4));
	ASSERT(!r1->eof);
	ASSERT_EQ(pogo_peer_server_nworkers(t.srv), 1);
	ASSERT_EQ(t.losts, 0);
	pt_done(&t);
}

TEST(n_heartbeat_server_pings_then_closes_silent_worker)
{
	struct pt t;
	struct raw *r;

	pt_init(&t);
	pt_server(&t);
	r = raw_connect(t.port);
	raw_line(&t, r, raw_hello);
	WAIT_GE(&t, ups, 1);
	r->len = 0;
	r->buf[0] = '\0';
	pogo_clock_manual_advance(t.clock, POGO_HEARTBEAT_PING_MS - 1);
	uv_run(&t.loop, UV_RUN_NOWAIT);
	raw_poll(r);
	ASSERT(strstr(r->buf, "ping") == NULL);
	pogo_clock_manual_advance(t.clock, 1);
	WAIT_RAW(&t, r, "{\"channel\":0,\"msg\":\"ping\"}\n");
	ASSERT(!r->eof);
	pogo_clock_manual_advance(
	    t.clock, POGO_HEARTBEAT_SILENCE_MS - POGO_HEARTBEAT_PING_MS - 1);
	uv_run(&t.loop, UV_RUN_NOWAIT);
	ASSERT_EQ(t.losts, 0);
	pogo_clock_manual_advance(t.clock, 1);
	WAIT_GE(&t, losts, 1);
	ASSERT_EQ(t.lost_status, POGO_ERR_TIMEOUT);
	ASSERT(spin_until(&t, cond_raw_eof, r));
	ASSERT_EQ(pogo_peer_server_nworkers(t.srv), 0);
	pt_done(&t);
}

TEST(n_heartbeat_live_peers_stay_up)
{
	struct pt t;
	struct pogo_msg m;
	int i;

	pt_init(&t);
	pt_server(&t);
	pt_client(&t, t.port);
	WAIT_GE(&t, ups, 1);
	WAIT_GE(&t, cups, 1);
	/*
	 * Ten minutes of silence but for pings and pongs.  After each ping
	 * a command goes round, so both sides have read the pings and pongs
	 * sent before it.
	 */
	pogo_proto_msg_init(&m, POGO_MSG_STATUS);
	for (i = 0; i < 20; i++) {
		pogo_clock_manual_advance(t.clock, POGO_HEARTBEAT_PING_MS);
		pogo_peer_worker_command(t.w, &m, NULL);
		WAIT_GE(&t, replies, i + 1);
	}
	ASSERT_EQ(t.losts, 0);
	ASSERT_EQ(t.cdowns, 0);
	ASSERT_EQ(pogo_peer_server_nworkers(t.srv), 1);
	pt_done(&t);
}

TEST(n_heartbeat_worker_leaves_silent_dispatcher)
{
	struct pt t;
	struct raw *r;
	int lfd, port;

	pt_init(&t);
	lfd = raw_listen(&port);
	pt_client(&t, port);
	r = raw_accept(&t, lfd);
	raw_line(&t, r,
	    "{\"channel\":0,\"msg\":\"Hello, worker.\",\"protocol\":\"2.0\"}"
	    "\n");
	WAIT_GE(&t, cups, 1);
	WAIT_RAW(&t, r, "\"msg\":\"hello\"");
	ASSERT(strstr(r->buf, "\"worker\":\"w1\"") != NULL);
	ASSERT(strstr(r->buf, "\"max_tasks\":7") != NULL);
	/* An unknown command is refused without bothering the worker. */
	raw_line(
	    &t, r, "{\"channel\":2,\"command\":\"frob\",\"task_id\":\"x\"}\n");
	WAIT_RAW(&t, r, "\"msg\":\"unknown command frob\"");
	ASSERT(strstr(r->buf, "\"ok\":1") != NULL);
	ASSERT_EQ(t.commands, 0);
	/* A run that cannot be read is refused too. */
	raw_line(
	    &t, r, "{\"channel\":2,\"command\":\"run\",\"task_id\":\"y\"}\n");
	WAIT_RAW(&t, r, "\"msg\":\"invalid run: ");
	ASSERT_EQ(t.commands, 0);
	pogo_clock_manual_advance(t.clock, POGO_HEARTBEAT_PING_MS);
	WAIT_RAW(&t, r, "{\"channel\":0,\"msg\":\"ping\"}\n");
	pogo_clock_manual_advance(
	    t.clock, POGO_HEARTBEAT_SILENCE_MS - POGO_HEARTBEAT_PING_MS);
	WAIT_GE(&t, cdowns, 1);
	ASSERT(spin_until(&t, cond_raw_eof, r));
	/* And it connects again. */
	pogo_clock_manual_advance(t.clock, POGO_PEER_BACKOFF_MAX_MS);
	raw_free(r);
	r = raw_accept(&t, lfd);
	raw_line(&t, r,
	    "{\"channel\":0,\"msg\":\"Hello, worker.\",\"protocol\":\"2.0\"}"
	    "\n");
	WAIT_GE(&t, cups, 2);
	ASSERT_EQ(pogo_peer_link_sessions(pogo_peer_client_link(t.cl, 0)), 2);
	close(lfd);
	pt_done(&t);
}

TEST(n_malformed_bad_line_ignored_long_line_closes)
{
	struct pt t;
	struct raw *r;
	char *big;
	size_t n = POGO_PROTO_MAX_LINE + 16;

	pt_init(&t);
	pt_server(&t);
	r = raw_connect(t.port);
	raw_line(&t, r, raw_hello);
	WAIT_GE(&t, ups, 1);
	raw_line(&t, r,
	    "this is not JSON\n[1,2]\n{\"channel\":1,\"command\":"
	    "\"task_done\",\"task_id\":\"t\"}\n");
	raw_line(&t, r,
	    "{\"channel\":1,\"command\":\"task_started\",\"task_id\":\"t9\","
	    "\"started_at\":2.5}\n");
	WAIT_GE(&t, reports, 1);
	ASSERT_STR_EQ(t.report_cmd, "task_started");
	ASSERT_STR_EQ(t.report_task, "t9");
	ASSERT_EQ(t.losts, 0);
	/* The malformed task_done was acknowledged, so is the started. */
	WAIT_RAW(&t, r, "\"type\":\"reply\"");
	big = xmalloc(n);
	memset(big, 'x', n);
	raw_send(&t, r, big, n);
	free(big);
	WAIT_GE(&t, losts, 1);
	ASSERT_EQ(t.lost_status, POGO_ERR_LIMIT);
	pt_done(&t);
}

TEST(commands_and_reports_both_ways)
{
	struct pt t;
	struct pogo_msg m;
	struct pogo_peer_link *l;

	pt_init(&t);
	pt_server(&t);
	pt_client(&t, t.port);
	WAIT_GE(&t, ups, 1);
	WAIT_GE(&t, cups, 1);
	l = pogo_peer_client_link(t.cl, 0);

	pogo_proto_msg_init(&m, POGO_MSG_RUN);
	m.task_id = (char *)"127.0.0.1:7655-1";
	m.host = (char *)"wonkhost";
	m.task.task_name = (char *)"blech";
	m.task.command = (char *)"command-by-dispatcher";
	pogo_peer_worker_command(t.w, &m, (void *)(intptr_t)41);
	WAIT_GE(&t, replies, 1);
	ASSERT_EQ(t.commands, 1);
	ASSERT_EQ(t.command_type, POGO_MSG_RUN);
	ASSERT_STR_EQ(t.command_task, "127.0.0.1:7655-1");
	ASSERT_EQ(t.reply_ok, 0);
	ASSERT_STR_EQ(t.reply_text, "OK");
	ASSERT_EQ(t.reply_cookie, 41);
	ASSERT_EQ(pogo_peer_worker_pending(t.w), 0);

	pogo_proto_msg_init(&m, POGO_MSG_TASK_DONE);
	m.task_id = (char *)"127.0.0.1:7655-1";
	m.rc = 255;
	m.state = POGO_EXEC_FAILED;
	m.message = (char *)"invalid task name blech";
	m.finished_at = 12.5;
	pogo_peer_link_report(l, &m);
	WAIT_GE(&t, idles, 1);
	ASSERT_EQ(t.reports, 1);
	ASSERT_STR_EQ(t.report_cmd, "task_done");
	ASSERT_EQ(pogo_peer_link_pending(l), 0);
	pt_done(&t);
}

TEST(command_dropped_after_retries_closes_and_hands_back)
{
	struct pt t;
	struct pogo_msg m;
	struct raw *r;
	int i;

	pt_init(&t);
	pt_server(&t);
	r = raw_connect(t.port);
	raw_line(&t, r, raw_hello);
	WAIT_GE(&t, ups, 1);
	pogo_proto_msg_init(&m, POGO_MSG_TASKSTATUS);
	m.task_id = (char *)"a";
	pogo_peer_worker_command(t.w, &m, (void *)(intptr_t)1);
	m.task_id = (char *)"b";
	pogo_peer_worker_command(t.w, &m, (void *)(intptr_t)2);
	ASSERT_EQ(pogo_peer_worker_pending(t.w), 2);
	/* Sent at 0, 5, 10 and 15 s; dropped at 20 s. */
	for (i = 0; i < 3; i++)
		pogo_clock_manual_advance(
		    t.clock, POGO_PEER_COMMAND_TIMEOUT_MS);
	uv_run(&t.loop, UV_RUN_NOWAIT);
	ASSERT_EQ(t.losts, 0);
	pogo_clock_manual_advance(t.clock, POGO_PEER_COMMAND_TIMEOUT_MS);
	WAIT_GE(&t, losts, 1);
	ASSERT_EQ(t.lost_status, POGO_ERR_TIMEOUT);
	ASSERT_EQ(t.ntaken, 2);
	ASSERT_EQ(t.taken[0], 1);
	ASSERT_EQ(t.taken[1], 2);
	ASSERT(spin_until(&t, cond_raw_eof, r));
	pt_done(&t);
}

TEST(reconnect_keeps_reports)
{
	struct pt t;
	struct pogo_msg m;
	struct pogo_peer_link *l;
	char inst[64];

	pt_init(&t);
	pt_server(&t);
	pt_client(&t, t.port);
	WAIT_GE(&t, ups, 1);
	WAIT_GE(&t, cups, 1);
	l = pogo_peer_client_link(t.cl, 0);
	snprintf(inst, sizeof(inst), "%s", pogo_peer_worker_instance(t.w));
	/* The dispatcher holds back its acknowledgement, then the cut. */
	t.ack_reports = false;
	pogo_proto_msg_init(&m, POGO_MSG_TASK_STARTED);
	m.task_id = (char *)"t1";
	m.started_at = 3.25;
	pogo_peer_link_report(l, &m);
	WAIT_GE(&t, reports, 1);
	pogo_peer_worker_close(t.w, UV_ECONNRESET);
	WAIT_GE(&t, cdowns, 1);
	WAIT_GE(&t, losts, 1);
	ASSERT_EQ(pogo_peer_link_pending(l), 1);
	ASSERT(!pogo_peer_link_up(l));
	ASSERT_EQ(pogo_peer_link_send(l, &m), POGO_ERR_STATE);
	/* Reconnect after the backoff; the report is sent again. */
	t.ack_reports = true;
	pogo_clock_manual_advance(t.clock, POGO_PEER_BACKOFF_MAX_MS);
	WAIT_GE(&t, ups, 2);
	WAIT_GE(&t, reports, 2);
	WAIT_GE(&t, idles, 1);
	ASSERT_STR_EQ(t.report_task, "t1");
	ASSERT_STR_EQ(pogo_peer_worker_instance(t.w), inst);
	ASSERT_EQ(pogo_peer_link_sessions(l), 2);
	ASSERT_EQ(pogo_peer_link_pending(l), 0);
	pt_done(&t);
}

/*
 * A task_done with its start (started_at) whose task_started has not left
 * the queue stands for it (SPEC 8.4): the started report is not sent.
 * One already sent is acknowledged as usual, and a task_done without a
 * start (the command never ran) leaves its task's queued start alone.
 */
TEST(task_done_stands_for_its_unsent_task_started)
{
	struct pt t;
	struct pogo_msg m;
	struct pogo_peer_link *l;
	const char *ids[] = { "t1", "t2", "t3" };
	int i;

	pt_init(&t);
	pt_server(&t);
	pt_client(&t, t.port);
	WAIT_GE(&t, ups, 1);
	WAIT_GE(&t, cups, 1);
	l = pogo_peer_client_link(t.cl, 0);
	t.ack_reports = false;
	for (i = 0; i < 3; i++) {
		pogo_proto_msg_init(&m, POGO_MSG_TASK_STARTED);
		m.task_id = (char *)ids[i];
		m.started_at = 3.25;
		pogo_peer_link_report(l, &m);
	}
	WAIT_GE(&t, reports, 1); /* t1's start is out */
	for (i = 0; i < 3; i++) {
		pogo_proto_msg_init(&m, POGO_MSG_TASK_DONE);
		m.task_id = (char *)ids[i];
		m.rc = 0;
		m.state = POGO_EXEC_FINISHED;
		m.message = (char *)"ok";
		m.started_at = i == 2 ? -1 : 3.25;
		m.finished_at = 4.5;
		pogo_peer_link_report(l, &m);
	}
	/* t1 started (out), t3 started, t1 done, t2 done, t3 done. */
	ASSERT_EQ(pogo_peer_link_pending(l), 5);
	for (i = 1; i <= 5; i++) {
		WAIT_GE(&t, reports, i);
		pogo_peer_worker_ack(t.w);
	}
	WAIT_GE(&t, idles, 1);
	ASSERT_STR_EQ(t.report_seq,
	    "task_started t1,task_started t3,task_done t1,task_done t2,"
	    "task_done t3,");
	ASSERT_EQ(t.reports, 5);
	pt_done(&t);
}

TEST(connect_refused_backs_off_then_connects)
{
	struct pt t;
	struct pogo_peer_server_opts o;
	char *cause = NULL, addr[32];
	int lfd, port;

	pt_init(&t);
	/* A port nobody listens on (taken, then freed). */
	lfd = raw_listen(&port);
	close(lfd);
	pt_client(&t, port);
	/* Attempts fail; nothing happens while the backoff runs. */
	spin_turns(&t, 50);
	ASSERT_EQ(t.cups, 0);
	ASSERT(!pogo_peer_link_up(pogo_peer_client_link(t.cl, 0)));
	pogo_peer_server_opts_init(&o);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	o.listen = addr;
	o.clock = t.clock;
	ASSERT_OK(
	    pogo_peer_server_new(&t.loop, &o, &srv_cbs, &t, &t.srv, &cause));
	pogo_clock_manual_advance(t.clock, POGO_PEER_BACKOFF_MAX_MS);
	WAIT_GE(&t, cups, 1);
	WAIT_GE(&t, ups, 1);
	pt_done(&t);
}

/*
 * peer.h: a session cut short after its greeting is a failure (the
 * backoff keeps growing); one that lasted a heartbeat interval resets it.
 */
TEST(short_sessions_back_off_long_one_resets)
{
	struct pt t;

	pt_init(&t);
	pt_server(&t);
	pt_client(&t, t.port);
	WAIT_GE(&t, ups, 1);
	/* Cut at once: one failure, the minimum backoff. */
	pogo_peer_worker_close(t.w, UV_ECONNRESET);
	WAIT_GE(&t, cdowns, 1);
	spin_turns(&t, 20);
	ASSERT_EQ(t.ups, 1);
	pogo_clock_manual_advance(t.clock, POGO_PEER_BACKOFF_MIN_MS);
	WAIT_GE(&t, ups, 2);
	/* Cut at once again: two failures, twice the minimum. */
	pogo_peer_worker_close(t.w, UV_ECONNRESET);
	WAIT_GE(&t, cdowns, 2);
	pogo_clock_manual_advance(t.clock, POGO_PEER_BACKOFF_MIN_MS);
	spin_turns(&t, 20);
	ASSERT_EQ(t.ups, 2);
	pogo_clock_manual_advance(t.clock, POGO_PEER_BACKOFF_MIN_MS);
	WAIT_GE(&t, ups, 3);
	/* A session of a heartbeat interval: no backoff after it. */
	pogo_clock_manual_advance(t.clock, POGO_HEARTBEAT_PING_MS);
	spin_turns(&t, 20);
	pogo_peer_worker_close(t.w, UV_ECONNRESET);
	WAIT_GE(&t, cdowns, 3);
	pogo_clock_manual_advance(t.clock, 0);
	WAIT_GE(&t, ups, 4);
	pt_done(&t);
}

static void
cl_closed(struct pogo_peer_client *cl, int status, void *arg)
{
	((struct pt *)arg)->closed = true;
}

TEST(hold_during_resolution_then_close)
{
	struct pt t;
	struct pogo_peer_client_opts o;
	const char *dv[1] = { "localhost:9" };
	char *cause = NULL;

	pt_init(&t);
	pogo_peer_client_opts_init(&o);
	o.dispatchers = dv;
	o.ndispatchers = 1;
	o.name = "w1";
	o.reconnect_delay = 0;
	o.clock = t.clock;
	ASSERT_OK(
	    pogo_peer_client_new(&t.loop, &o, &cl_cbs, &t, &t.cl, &cause));
	/* The name is being resolved when the hold comes, then the close. */
	pogo_clock_manual_advance(t.clock, 0);
	pogo_peer_client_hold(t.cl);
	pogo_peer_client_close(t.cl, cl_closed, &t);
	t.cl = NULL;
	uv_run(&t.loop, UV_RUN_DEFAULT);
	ASSERT(t.closed);
	ASSERT_EQ(t.cups, 0);
	pt_done(&t);
}

/* cl_link's socket: one end of a SOCK_SEQPACKET pair, the other raw. */
static int
seq_link(void *arg, uv_os_sock_t *sockp)
{
	struct raw **rp = arg;
	int sv[2];
	size_t i;

	ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	*rp = xcalloc(1, sizeof(**rp));
	(*rp)->fd = sv[1];
	for (i = 0; i < POGO_NELEM(rawv); i++) {
		if (rawv[i] == NULL) {
			rawv[i] = *rp;
			break;
		}
	}
	*sockp = sv[0];
	return 0;
}

/*
 * Lines sent on a connection during one loop turn leave in one write
 * (issue 8: fewer system calls, and with TLS fewer records): the
 * dispatcher end is a SOCK_SEQPACKET socket, on which each write of the
 * worker is one packet, so the reader counts the writes.  A line sent in
 * a later turn is a write of its own.
 */
TEST(lines_of_one_turn_leave_in_one_write)
{
	struct pt t;
	struct pogo_peer_client_opts o;
	struct pogo_peer_link *l;
	struct pogo_proto_record rec = { 1.5, POGO_OUT_STDOUT, NULL, 1, true };
	struct pogo_msg m;
	struct raw *r = NULL;
	char *cause = NULL;
	int before;

	pt_init(&t);
	pogo_peer_client_opts_init(&o);
	o.link = seq_link;
	o.link_arg = &r;
	o.name = "w1";
	o.max_tasks = 7;
	o.reconnect_delay = 0;
	o.clock = t.clock;
	ASSERT_OK(
	    pogo_peer_client_new(&t.loop, &o, &cl_cbs, &t, &t.cl, &cause));
	pogo_clock_manual_advance(t.clock, 0);
	spin_turns(&t, 3);
	ASSERT(r != NULL);
	raw_line(&t, r,
	    "{\"channel\":0,\"msg\":\"Hello, worker.\","
	    "\"protocol\":\"2.0\"}\n");
	WAIT_GE(&t, cups, 1);
	WAIT_RAW(&t, r, "\"msg\":\"hello\"");
	l = pogo_peer_client_link(t.cl, 0);
	before = r->reads;

	pogo_proto_msg_init(&m, POGO_MSG_TASK_OUTPUT);
	m.task_id = (char *)"t1";
	m.records = &rec;
	m.nrecords = 1;
	rec.data = (char *)"a";
	ASSERT_OK(pogo_peer_link_send(l, &m));
	rec.data = (char *)"b";
	m.first = 1;
	ASSERT_OK(pogo_peer_link_send(l, &m));
	pogo_peer_link_reply(l, "t0", 0, NULL, -1);
	WAIT_RAW(&t, r, "\"msg\":\"OK\"");
	ASSERT(strstr(r->buf, "\"data\":\"a\"") <
	    strstr(r->buf, "\"data\":\"b\""));
	ASSERT_EQ(r->reads - before, 1);

	rec.data = (char *)"c";
	m.first = 2;
	ASSERT_OK(pogo_peer_link_send(l, &m));
	WAIT_RAW(&t, r, "\"data\":\"c\"");
	ASSERT_EQ(r->reads - before, 2);
	pt_done(&t);
}
