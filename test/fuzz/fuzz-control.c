/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the dispatcher's control port (SPEC 7.5, 11) as it
 * runs: the component of src/dispatcher.c, started with an in-memory
 * store on loopback, without engine or worker layer.  The input is what a
 * client sends on one TCP connection to the control port, then it
 * half-closes; the loop runs until the server closes the connection, for
 * at most FZ_DEADLINE_MS (a long poll may wait longer: then the client
 * closes).  Checks: what the client reads is a sequence of HTTP/1.1
 * responses whose Content-Length matches (only the last may be cut, and
 * only when the client gave up waiting), every error answer is a JSON
 * {"errors": [...]} body (JSONP with cb= aside), and the daemon keeps
 * serving: a GET /status on a new connection answers 200.  The component
 * is reused across inputs and restarted every FZ_RESTART inputs, so that
 * the stored jobs stay bounded.
 */
#include "pogo/compat.h"

#include <string.h>

#include "pogo/cfg.h"
#include "pogo/dispatcher.h"
#include "pogo/log.h"
#include "pogo/xmalloc.h"

#include "fuzz-conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_INPUT 65536
#define FZ_RESTART 512

static uv_loop_t fz_loop;
static struct pogo_cfg *fz_cfg;
static struct pogo_dispatcher *fz_d;
static unsigned fz_runs;

/* Send req[0..len) to the server; the answer in c (see fuzz-conn.h). */
static void
fz_send(struct fz_client *c, const void *req, size_t len)
{
	struct sockaddr_storage ss;

	if (pogo_dispatcher_control_address(fz_d, &ss) != 0)
		abort();
	fz_exchange(&fz_loop, &ss, c, req, len, 64 * 1024 * 1024);
}

/*
 * Is the body of an error answer a JSON object with its "errors" array
 * (SPEC 11.2: the envelope's meta first, from the dispatcher; errors
 * alone, from the HTTP server), maybe pretty, or JSONP of it?
 */
static bool
fz_error_body(const char *b, size_t n)
{
	const char *p = memchr(b, '{', n), *end = b + n;

	if (p == NULL || b[n - 1] != '\n' ||
	    (p = memmem(p, (size_t)(end - p), "\"errors\":", 9)) == NULL)
		return false;
	for (p += 9; p < end && (*p == ' ' || *p == '\n'); p++)
		;
	return p < end && *p == '[';
}

/*
 * Checks that buf[0..len) is a sequence of whole responses; the last may
 * be cut when cut is true.  head_in says whether the input holds a HEAD
 * request line (answers to it have no body).
 */
static void
fz_check_responses(const char *buf, size_t len, bool cut, bool head_in)
{
	const char *p, *end, *hend, *cl;
	unsigned long long n;
	int status;
	char *e;

	if (len == 0)
		return;
	p = buf;
	end = buf + len;
	while (p < end) {
		if ((size_t)(end - p) < 13 || memcmp(p, "HTTP/1.1 ", 9) != 0) {
			if (cut &&
			    memcmp(p, "HTTP/1.1 ",
			        (size_t)(end - p) < 9 ? (size_t)(end - p)
			                              : 9) == 0)
				return;
			abort();
		}
		status = (int)strtol(p + 9, NULL, 10);
		if (status < 100 || status > 599)
			abort();
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL) {
			if (cut)
				return;
			abort();
		}
		hend += 4;
		if (status == 100) {
			p = hend;
			continue;
		}
		cl = memmem(p, (size_t)(hend - p), "\r\nContent-Length: ", 18);
		if (cl == NULL)
			abort();
		n = strtoull(cl + 18, &e, 10);
		if (*e != '\r')
			abort();
		/* An error answer to HEAD: headers only. */
		if (head_in && status >= 400 &&
		    (hend == end ||
		        ((size_t)(end - hend) >= 9 &&
		            memcmp(hend, "HTTP/1.1 ", 9) == 0))) {
			p = hend;
			continue;
		}
		if (n > (size_t)(end - hend)) {
			if (cut)
				return;
			abort();
		}
		if (status >= 400 && n > 0 && !fz_error_body(hend, n))
			abort();
		p = hend + n;
	}
}

static void
fz_stopped_cb(void *arg)
{
}

static void
fz_start(void)
{
	struct pogo_cfg_src src = { .home = "/nonexistent" };
	static const char text[] = "dispatcher:\n"
	                           "  control_listen: 127.0.0.1:0\n"
	                           "  worker_listen: 127.0.0.1:0\n"
	                           /* Never written: its parent is missing. */
	                           "  namespace_dir: /nonexistent/ns\n";
	char *cause = NULL;

	if (fz_cfg == NULL) {
		pogo_log_level = POGO_LOG_ERROR;
		if (uv_loop_init(&fz_loop) != 0 ||
		    pogo_cfg_load_text(
		        text, strlen(text), "fuzz", &src, &fz_cfg, &cause) != 0)
			abort();
		free(fz_cfg->state_dir);
		fz_cfg->state_dir = xstrdup("");
	}
	if (pogo_dispatcher_start(&fz_loop, fz_cfg, &fz_d, &cause) != 0)
		abort();
}

/* Stop the component and run the loop until every handle is closed. */
static void
fz_stop(void)
{
	pogo_dispatcher_stop(fz_d, fz_stopped_cb, NULL);
	fz_d = NULL;
	uv_run(&fz_loop, UV_RUN_DEFAULT);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char status[] =
	    "GET /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct fz_client *c;

	if (size > FZ_MAX_INPUT)
		return 0;
	if (fz_d != NULL && fz_runs++ % FZ_RESTART == FZ_RESTART - 1)
		fz_stop();
	if (fz_d == NULL)
		fz_start();
	c = xmalloc(sizeof(*c));
	fz_send(c, size > 0 ? data : (const uint8_t *)"", size);
	if (!c->eof && !c->timedout)
		abort();
	/* To read what a crashing input was answered. */
	if (getenv("POGO_FUZZ_PRINT") != NULL)
		fwrite(c->buf, 1, c->len, stderr);
	fz_check_responses(c->buf, c->len, c->timedout || c->reset,
	    memmem(data, size, "HEAD ", 5) != NULL);
	free(c->buf);

	/* The daemon keeps serving. */
	fz_send(c, status, sizeof(status) - 1);
	if (!c->eof || c->len < 13 || memcmp(c->buf, "HTTP/1.1 200 ", 13) != 0)
		abort();
	fz_check_responses(c->buf, c->len, false, false);
	free(c->buf);
	free(c);
	return 0;
}
