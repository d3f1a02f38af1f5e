/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/http.c: addresses and the loopback rule of SPEC 10.1,
 * and a server on 127.0.0.1:0 with a toy route table, driven by real
 * clients (curl, and python3 with http.client, urllib and raw sockets in
 * test/unit/http-clients.py, run as a child process while the loop
 * serves): keep-alive, pipelining, chunked bodies, form and query
 * parameters, oversize requests refused without allocating for them, slow
 * and idle clients timed out, malformed requests answered 400 while other
 * connections go on.
 */
#include "pogo/compat.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <errno.h>
#include <malloc.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "harness.h"
#include "pogo/http.h"
#include "pogo/xmalloc.h"

/* Loopback names without a lookup (the client's and the API's checks). */
TEST(name_is_loopback)
{
	ASSERT(pogo_http_name_is_loopback("localhost"));
	ASSERT(pogo_http_name_is_loopback("LOCALHOST"));
	ASSERT(pogo_http_name_is_loopback("127.0.0.1"));
	ASSERT(pogo_http_name_is_loopback("127.9.8.7"));
	ASSERT(pogo_http_name_is_loopback("::1"));
	ASSERT(pogo_http_name_is_loopback("::ffff:127.0.0.1"));
	ASSERT(!pogo_http_name_is_loopback("127.attacker.example"));
	ASSERT(!pogo_http_name_is_loopback("127.0.0.1.evil.example"));
	ASSERT(!pogo_http_name_is_loopback("localhost.evil.example"));
	ASSERT(!pogo_http_name_is_loopback("128.0.0.1"));
	ASSERT(!pogo_http_name_is_loopback("::2"));
	ASSERT(!pogo_http_name_is_loopback("[::1]"));
	ASSERT(!pogo_http_name_is_loopback(""));
}

TEST(parse_addr)
{
	struct sockaddr_storage ss;
	char *cause = NULL, buf[64];

	ASSERT_OK(pogo_http_parse_addr("127.0.0.1:7656", &ss, &cause));
	pogo_http_format_addr((struct sockaddr *)&ss, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "127.0.0.1:7656");
	ASSERT_OK(pogo_http_parse_addr("[::1]:0", &ss, &cause));
	pogo_http_format_addr((struct sockaddr *)&ss, buf, sizeof(buf));
	ASSERT_STR_EQ(buf, "[::1]:0");
	ASSERT_EQ(
	    pogo_http_parse_addr("localhost:80", &ss, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "invalid address 'localhost:80' (want IP:PORT or [IPv6]:PORT)");
	free(cause);
	ASSERT_EQ(pogo_http_parse_addr("1.2.3.4:65536", &ss, &cause),
	    POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(pogo_http_parse_addr("::1:80", &ss, &cause), POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(
	    pogo_http_parse_addr("[::1]80", &ss, &cause), POGO_ERR_CONFIG);
	free(cause);
}

static int
lb_check(const char *text, bool tls, bool insecure, char **cause)
{
	struct sockaddr_storage ss;
	char *c = NULL;

	ASSERT_OK(pogo_http_parse_addr(text, &ss, &c));
	return pogo_http_check_loopback(
	    (struct sockaddr *)&ss, tls, insecure, cause);
}

TEST(loopback_rule)
{
	char *cause = NULL;

	ASSERT_OK(lb_check("127.0.0.1:7656", false, false, &cause));
	ASSERT_NULL(cause);
	ASSERT_OK(lb_check("127.3.4.5:1", false, false, &cause));
	ASSERT_OK(lb_check("[::1]:7656", false, false, &cause));
	ASSERT_OK(lb_check("[::ffff:127.0.0.1]:7656", false, false, &cause));
	ASSERT_EQ(
	    lb_check("10.0.0.1:7656", false, false, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "refusing to listen on 10.0.0.1:7656 without TLS; use --insecure "
	    "to override");
	free(cause);
	ASSERT_EQ(
	    lb_check("0.0.0.0:7656", false, false, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "refusing to listen on 0.0.0.0:7656 without TLS; use --insecure "
	    "to override");
	free(cause);
	ASSERT_EQ(lb_check("[::]:7656", false, false, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "refusing to listen on [::]:7656 without TLS; use --insecure to "
	    "override");
	free(cause);
	ASSERT_EQ(lb_check("[::ffff:10.1.2.3]:1", false, false, &cause),
	    POGO_ERR_CONFIG);
	free(cause);
	ASSERT_OK(lb_check("10.0.0.1:7656", true, false, &cause));
	ASSERT_OK(lb_check("10.0.0.1:7656", false, true, &cause));
}

static int closed;

static void
close_cb(struct pogo_http_server *srv, int status, void *arg)
{
	ASSERT_EQ(status, 0);
	closed++;
}

static void
walk_cb(uv_handle_t *h, void *arg)
{
	harness_fail(__FILE__, __LINE__, "handle of type %s left open",
	    uv_handle_type_name(h->type));
}

/* The server refuses a wildcard address without TLS and binds nothing. */
TEST(listen_refused)
{
	uv_loop_t loop;
	struct pogo_http_server *srv;
	struct pogo_http_config cfg = { 0 };
	struct pogo_http_listen how = { 0 };
	struct sockaddr_storage ss;
	char *cause = NULL;

	ASSERT_OK(uv_loop_init(&loop));
	ASSERT_OK(pogo_http_server_new(&loop, &cfg, &srv));
	ASSERT_OK(pogo_http_parse_addr("0.0.0.0:0", &ss, &cause));
	how.addr = (struct sockaddr *)&ss;
	ASSERT_EQ(pogo_http_server_listen(srv, &how, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "refusing to listen on 0.0.0.0:0 without TLS; use --insecure to "
	    "override");
	free(cause);
	ASSERT_EQ(pogo_http_server_address(srv, &ss), POGO_ERR_STATE);
	closed = 0;
	pogo_http_server_close(srv, close_cb, NULL);
	ASSERT_EQ(closed, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	uv_walk(&loop, walk_cb, NULL);
	ASSERT_OK(uv_loop_close(&loop));
}

/* The toy route table. */

static int aborted;

static void
reply(struct pogo_http_req *req, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	pogo_http_respond_json(req, 200, s);
	cJSON_free(s);
	cJSON_Delete(o);
}

static cJSON *
params_json(struct pogo_http_req *req)
{
	cJSON *a = cJSON_CreateArray(), *pair;
	const char *k, *v;
	size_t i;

	for (i = 0; i < pogo_http_req_nparams(req); i++) {
		pogo_http_req_param_at(req, i, &k, &v);
		pair = cJSON_CreateArray();
		cJSON_AddItemToArray(pair, cJSON_CreateString(k));
		cJSON_AddItemToArray(pair, cJSON_CreateString(v));
		cJSON_AddItemToArray(a, pair);
	}
	return a;
}

static void
h_job(struct pogo_http_req *req, void *arg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(
	    o, "jobid", pogo_http_req_route_param(req, "jobid"));
	cJSON_AddNumberToObject(o, "flags", pogo_http_req_route_flags(req));
	reply(req, o);
}

static void
h_hosts(struct pogo_http_req *req, void *arg)
{
	cJSON *o = cJSON_CreateObject();
	const char *state;

	cJSON_AddStringToObject(
	    o, "jobid", pogo_http_req_route_param(req, "jobid"));
	if ((state = pogo_http_req_param_nth(req, "state", 1)) != NULL)
		cJSON_AddStringToObject(o, "state2", state);
	cJSON_AddItemToObject(o, "params", params_json(req));
	reply(req, o);
}

static void
h_host(struct pogo_http_req *req, void *arg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(
	    o, "jobid", pogo_http_req_route_param(req, "jobid"));
	cJSON_AddStringToObject(
	    o, "host", pogo_http_req_route_param(req, "host"));
	reply(req, o);
}

static void
h_echo(struct pogo_http_req *req, void *arg)
{
	cJSON *o = cJSON_CreateObject();
	const char *ct = pogo_http_req_header(req, "content-type");
	size_t len;

	pogo_http_req_body(req, &len);
	cJSON_AddStringToObject(o, "method", pogo_http_req_method(req));
	cJSON_AddItemToObject(o, "params", params_json(req));
	cJSON_AddNumberToObject(o, "body_len", (double)len);
	if (ct != NULL)
		cJSON_AddStringToObject(o, "content_type", ct);
	reply(req, o);
}

static void
h_peer(struct pogo_http_req *req, void *arg)
{
	cJSON *o = cJSON_CreateObject();
	char buf[64];

	pogo_http_req_peer(req, buf, sizeof(buf));
	cJSON_AddStringToObject(o, "peer", buf);
	cJSON_AddStringToObject(o, "n",
	    pogo_http_req_param(req, "n") != NULL
	        ? pogo_http_req_param(req, "n")
	        : "");
	reply(req, o);
}

struct slow {
	uv_timer_t t;
	struct pogo_http_req *req;
	char *n;
};

static void
slow_close_cb(uv_handle_t *h)
{
	struct slow *s = h->data;

	free(s->n);
	free(s);
}

static void
slow_timer_cb(uv_timer_t *t)
{
	struct slow *s = t->data;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "slow", s->n);
	reply(s->req, o);
	uv_close((uv_handle_t *)t, slow_close_cb);
}

/* The client went away: answer 503 at once, the timer is not needed. */
static void
slow_abort_cb(struct pogo_http_req *req, void *arg)
{
	struct slow *s = arg;

	uv_timer_stop(&s->t);
	uv_close((uv_handle_t *)&s->t, slow_close_cb);
	pogo_http_respond_error(req, 503, "client gone");
}

/* Answers 150 ms later, from a timer, unless the client goes away. */
static void
h_slow(struct pogo_http_req *req, void *arg)
{
	uv_loop_t *loop = arg;
	struct slow *s = xcalloc(1, sizeof(*s));
	const char *n = pogo_http_req_param(req, "n");

	s->req = req;
	s->n = xstrdup(n != NULL ? n : "");
	uv_timer_init(loop, &s->t);
	s->t.data = s;
	uv_timer_start(&s->t, slow_timer_cb, 150, 0);
	pogo_http_req_on_abort(req, slow_abort_cb, s);
}

static void
wait_abort_cb(struct pogo_http_req *req, void *arg)
{
	aborted++;
	pogo_http_respond_error(req, 503, "client gone");
}

/* Answers only when the client goes away (a long poll). */
static void
h_wait(struct pogo_http_req *req, void *arg)
{
	pogo_http_req_on_abort(req, wait_abort_cb, NULL);
}

static struct pogo_http_server *conns_srv;

/* The number of open connections, this one included. */
static void
h_conns(struct pogo_http_req *req, void *arg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(
	    o, "conns", (double)pogo_http_server_connections(conns_srv));
	reply(req, o);
}

/* The number of long polls aborted so far. */
static void
h_aborts(struct pogo_http_req *req, void *arg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "aborts", aborted);
	reply(req, o);
}

static const struct pogo_http_route routes[] = {
	{ "GET", "/aborts", h_aborts, 0 },
	{ "GET", "/conns", h_conns, 0 },
	{ "GET", "/v1/jobs/:jobid", h_job, 7 },
	{ "GET", "/v1/jobs/:jobid/hosts", h_hosts, 0 },
	{ "GET", "/v1/jobs/:jobid/hosts/:host", h_host, 0 },
	{ "POST", "/v1/jobs/:jobid", h_job, 8 },
	{ "GET", "/echo", h_echo, 0 },
	{ "POST", "/echo", h_echo, 0 },
	{ "PUT", "/echo", h_echo, 0 },
	{ "GET", "/peer", h_peer, 0 },
	{ "GET", "/slow", h_slow, 0 },
	{ "GET", "/wait", h_wait, 0 },
};

struct clients {
	uv_loop_t loop;
	uv_process_t proc;
	uv_timer_t guard;
	struct pogo_http_server *srv;
	struct pogo_http_stats st;
	int64_t status;
	int exited;
};

static void
proc_close_cb(uv_handle_t *h)
{
}

static void
clients_exit_cb(uv_process_t *p, int64_t status, int sig)
{
	struct clients *cl = p->data;

	cl->status = sig != 0 ? 128 + sig : status;
	cl->exited++;
	pogo_http_server_stats(cl->srv, &cl->st);
	uv_close((uv_handle_t *)p, proc_close_cb);
	uv_close((uv_handle_t *)&cl->guard, proc_close_cb);
	pogo_http_server_close(cl->srv, close_cb, NULL);
}

static void
guard_cb(uv_timer_t *t)
{
	harness_fail(__FILE__, __LINE__, "clients still running after 300 s");
}

TEST(clients)
{
	struct clients cl = { 0 };
	struct pogo_http_config cfg = { 0 };
	struct pogo_http_listen how = { 0 };
	struct sockaddr_storage ss;
	uv_process_options_t po = { 0 };
	uv_stdio_container_t stdio[3];
	char *cause = NULL, port[16], *script, *args[4], py[] = "python3";
	const char *data = getenv("POGO_TEST_DATA");

	if (data == NULL)
		harness_skip("POGO_TEST_DATA is not set");
	ASSERT_OK(uv_loop_init(&cl.loop));
	cfg.routes = routes;
	cfg.nroutes = POGO_NELEM(routes);
	cfg.arg = &cl.loop;
	cfg.limits.max_target = 1024;
	cfg.limits.max_header_bytes = 4096;
	cfg.limits.max_headers = 20;
	cfg.limits.max_body = 64 * 1024;
	cfg.limits.max_params = 100;
	cfg.limits.request_timeout_ms = 1500;
	cfg.limits.idle_timeout_ms = 3000;
	cfg.limits.max_buffered = 256 * 1024;
	cfg.limits.max_connections = 32;
	/* Long, so that a connection closed by it shows. */
	cfg.limits.linger_ms = 60000;
	ASSERT_OK(pogo_http_server_new(&cl.loop, &cfg, &cl.srv));
	conns_srv = cl.srv;
	ASSERT_OK(pogo_http_parse_addr("127.0.0.1:0", &ss, &cause));
	how.addr = (struct sockaddr *)&ss;
	ASSERT_OK(pogo_http_server_listen(cl.srv, &how, &cause));
	ASSERT_OK(pogo_http_server_address(cl.srv, &ss));
	snprintf(port, sizeof(port), "%u",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));

	xasprintf(&script, "%s/../unit/http-clients.py", data);
	args[0] = py;
	args[1] = script;
	args[2] = port;
	args[3] = NULL;
	po.file = py;
	po.args = args;
	po.exit_cb = clients_exit_cb;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_INHERIT_FD;
	stdio[1].data.fd = 1;
	stdio[2].flags = UV_INHERIT_FD;
	stdio[2].data.fd = 2;
	po.stdio = stdio;
	po.stdio_count = 3;
	cl.proc.data = &cl;
	fflush(stdout);
	ASSERT_OK(uv_spawn(&cl.loop, &cl.proc, &po));
	uv_timer_init(&cl.loop, &cl.guard);
	uv_timer_start(&cl.guard, guard_cb, 300000, 0);

	closed = 0;
	aborted = 0;
	uv_run(&cl.loop, UV_RUN_DEFAULT);
	ASSERT_EQ(cl.status, 0);
	ASSERT_EQ(closed, 1);
	ASSERT_EQ(aborted, 1);
	ASSERT_GE(cl.st.requests, 30);
	ASSERT_GE(cl.st.errors, 10);
	/*
	 * The clients announced a 100 MB body, sent a 1 MB chunked one and
	 * 1 MB of headers: the server never held more than its limits.
	 */
	ASSERT_LT(cl.st.peak_buffered, 1024 * 1024);
	/*
	 * Twelve concurrent 60 KB bodies: the cap of 256 KiB held, give or
	 * take one read (64 KiB) that is parsed at once.
	 */
	ASSERT_LE(cl.st.peak_buffered, 256 * 1024 + 64 * 1024);
	ASSERT_EQ(cl.st.buffered, 0);
	uv_walk(&cl.loop, walk_cb, NULL);
	ASSERT_OK(uv_loop_close(&cl.loop));
	free(script);
}

/*
 * The allocator's free and realloc, watched (the test is linked with
 * --wrap=free --wrap=realloc, CMakeLists.txt): while wipe_marker is set,
 * a block given back that still holds it is counted before it goes.
 */
void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);

static const char *wipe_marker;
static int wipe_left; /* blocks given back with the marker in them */

static void
wipe_check(void *p)
{
	const char *b = p;
	size_t n, m, i;

	if (wipe_marker == NULL || p == NULL)
		return;
	n = malloc_usable_size(p);
	m = strlen(wipe_marker);
	for (i = 0; i + m <= n; i++) {
		if (b[i] == wipe_marker[0] &&
		    memcmp(b + i, wipe_marker, m) == 0) {
			wipe_left++;
			return;
		}
	}
}

void
__wrap_free(void *p)
{
	wipe_check(p);
	__real_free(p);
}

/* A moved block is freed as it stands: it counts as given back. */
void *
__wrap_realloc(void *p, size_t n)
{
	wipe_check(p);
	return __real_realloc(p, n);
}

static int wipe_forms; /* forms read whose password held the marker */

/* Says what the form holds, copying none of its values. */
static void
h_form(struct pogo_http_req *req, void *arg)
{
	const char *pw = pogo_http_req_param(req, "password");
	char text[128];
	size_t len;

	pogo_http_req_body(req, &len);
	if (pw != NULL && wipe_marker != NULL &&
	    strstr(pw, wipe_marker) != NULL)
		wipe_forms++;
	snprintf(text, sizeof(text), "{\"body_len\":%zu,\"nparams\":%zu}", len,
	    pogo_http_req_nparams(req));
	pogo_http_respond_json(req, 200, text);
}

static const struct pogo_http_route wipe_routes[] = {
	{ "GET", "/form", h_form, 0 },
	{ "POST", "/form", h_form, 0 },
};

/*
 * #10: a request's bytes may carry a job's secret boxes (POST
 * /v1/jobsubmit, resume and retry with their secret fields), and secrets
 * are wiped when dropped (SPEC 10.4).  Two requests pipelined on one
 * connection, a form body of 3 KB whose values hold a marker, then a GET
 * that closes it: the server answers both (it read the body), and no
 * block it gives back (read buffers, input, body, parameters) still holds
 * the marker.
 */
TEST(request_bytes_wiped)
{
	static const char marker[] = "SECRET-BOX-7f3a9c";
	static char body[3000 + 1], req[4096], resp[8192];
	struct pogo_http_config cfg = { 0 };
	struct pogo_http_listen how = { 0 };
	struct sockaddr_storage ss;
	struct pogo_http_server *srv;
	char *cause = NULL, want[64];
	size_t off, resplen = 0;
	ssize_t n;
	uv_loop_t loop;
	uint64_t end;
	int fd, len;

	/* password=<marker...>&pvt_key_passphrase=<marker...> */
	off = (size_t)snprintf(body, sizeof(body), "password=");
	while (off + sizeof(marker) + 32 < 1500) {
		memcpy(body + off, marker, sizeof(marker) - 1);
		off += sizeof(marker) - 1;
	}
	off += (size_t)snprintf(
	    body + off, sizeof(body) - off, "&pvt_key_passphrase=");
	while (off + sizeof(marker) < sizeof(body)) {
		memcpy(body + off, marker, sizeof(marker) - 1);
		off += sizeof(marker) - 1;
	}
	body[off] = '\0';
	len = snprintf(req, sizeof(req),
	    "POST /form HTTP/1.1\r\nHost: x\r\n"
	    "Content-Type: application/x-www-form-urlencoded\r\n"
	    "Content-Length: %zu\r\n\r\n%s"
	    "GET /form HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	    off, body);
	ASSERT(len > 0 && (size_t)len < sizeof(req));

	ASSERT_OK(uv_loop_init(&loop));
	cfg.routes = wipe_routes;
	cfg.nroutes = POGO_NELEM(wipe_routes);
	ASSERT_OK(pogo_http_server_new(&loop, &cfg, &srv));
	ASSERT_OK(pogo_http_parse_addr("127.0.0.1:0", &ss, &cause));
	how.addr = (struct sockaddr *)&ss;
	ASSERT_OK(pogo_http_server_listen(srv, &how, &cause));
	ASSERT_OK(pogo_http_server_address(srv, &ss));

	wipe_left = 0;
	wipe_forms = 0;
	wipe_marker = marker;
	/* Loopback: the connection and the write complete in the kernel. */
	ASSERT((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	ASSERT_OK(
	    connect(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)));
	ASSERT_EQ(write(fd, req, (size_t)len), len);
	/* Both answers, then the server's close (at most 10 s). */
	end = uv_hrtime() + 10 * 1000000000ULL;
	for (;;) {
		ASSERT(uv_hrtime() < end);
		uv_run(&loop, UV_RUN_NOWAIT);
		n = recv(fd, resp + resplen, sizeof(resp) - 1 - resplen,
		    MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			resplen += (size_t)n;
		else
			ASSERT(errno == EAGAIN || errno == EWOULDBLOCK);
		ASSERT(resplen < sizeof(resp) - 1);
		usleep(1000);
	}
	resp[resplen] = '\0';
	close(fd);
	/* The body was read, as a form of two fields. */
	snprintf(want, sizeof(want), "\"body_len\":%zu", off);
	ASSERT(strstr(resp, want) != NULL);
	ASSERT(strstr(resp, "\"nparams\":2") != NULL);
	ASSERT(strstr(resp, "\"body_len\":0") != NULL);
	ASSERT_EQ(wipe_forms, 1);
	ASSERT_NULL(strstr(resp, marker));
	closed = 0;
	pogo_http_server_close(srv, close_cb, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(closed, 1);
	wipe_marker = NULL;
	ASSERT_EQ(wipe_left, 0);
	uv_walk(&loop, walk_cb, NULL);
	ASSERT_OK(uv_loop_close(&loop));
}
