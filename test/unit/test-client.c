/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/client.c: the pure parts and the configuration. */
#include "pogo/compat.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/client.h"
#include "pogo/error.h"
#include "pogo/json.h"
#include "pogo/xmalloc.h"

TEST(jobid_shorthands)
{
	char id[32];

	ASSERT_OK(pogo_client_jobid("123", id, sizeof(id)));
	ASSERT_STR_EQ(id, "p0000000123");
	ASSERT_OK(pogo_client_jobid("p123", id, sizeof(id)));
	ASSERT_STR_EQ(id, "p0000000123");
	ASSERT_OK(pogo_client_jobid("0", id, sizeof(id)));
	ASSERT_STR_EQ(id, "p0000000000");
	ASSERT_OK(pogo_client_jobid("p0000000042", id, sizeof(id)));
	ASSERT_STR_EQ(id, "p0000000042");
	ASSERT_OK(pogo_client_jobid("abc0000000042", id, sizeof(id)));
	ASSERT_STR_EQ(id, "abc0000000042");
	ASSERT_OK(pogo_client_jobid("9999999999", id, sizeof(id)));
	ASSERT_STR_EQ(id, "p9999999999");
	ASSERT_EQ(pogo_client_jobid("q12", id, sizeof(id)), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_client_jobid("p", id, sizeof(id)), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_client_jobid("", id, sizeof(id)), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_client_jobid("12x", id, sizeof(id)), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_client_jobid("-1", id, sizeof(id)), POGO_ERR_RANGE);
	ASSERT_EQ(
	    pogo_client_jobid("12345678901", id, sizeof(id)), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_client_jobid("last", id, sizeof(id)), POGO_ERR_RANGE);
	ASSERT_EQ(pogo_client_jobid("123", id, 8), POGO_ERR_RANGE);
}

TEST(url_parse)
{
	struct pogo_client_url u;
	char *cause = NULL;

	ASSERT_OK(pogo_client_url_parse("http://127.0.0.1:7657", &u, &cause));
	ASSERT(!u.tls);
	ASSERT_STR_EQ(u.host, "127.0.0.1");
	ASSERT_EQ(u.port, 7657);
	ASSERT_STR_EQ(u.prefix, "");
	pogo_client_url_release(&u);
	ASSERT_OK(
	    pogo_client_url_parse("https://api.example/pogo/", &u, &cause));
	ASSERT(u.tls);
	ASSERT_STR_EQ(u.host, "api.example");
	ASSERT_EQ(u.port, 443);
	ASSERT_STR_EQ(u.prefix, "/pogo");
	pogo_client_url_release(&u);
	ASSERT_OK(pogo_client_url_parse("http://[::1]:80/", &u, &cause));
	ASSERT_STR_EQ(u.host, "::1");
	ASSERT_EQ(u.port, 80);
	pogo_client_url_release(&u);
	ASSERT_EQ(
	    pogo_client_url_parse("ftp://x", &u, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause, "invalid API URL 'ftp://x'");
	free(cause);
	ASSERT_EQ(
	    pogo_client_url_parse("http://h:0", &u, &cause), POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(pogo_client_url_parse("http://h:99999", &u, &cause),
	    POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(
	    pogo_client_url_parse("http://:80", &u, &cause), POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(
	    pogo_client_url_parse("http://u@h/", &u, &cause), POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(
	    pogo_client_url_parse("http://h/?q", &u, &cause), POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(
	    pogo_client_url_parse("http://[::1/", &u, &cause), POGO_ERR_CONFIG);
	free(cause);
}

TEST(urlenc)
{
	char *b = NULL;

	pogo_client_urlenc(&b, "a b&c=d/é~");
	ASSERT_STR_EQ(b, "a%20b%26c%3Dd%2F%C3%A9~");
	pogo_client_urlenc(&b, "-_.");
	ASSERT_STR_EQ(b, "a%20b%26c%3Dd%2F%C3%A9~-_.");
	free(b);
}

/* The envelope: its response, or the error a user is shown. */
static char *
envelope_error(int status, const char *body)
{
	struct pogo_json *doc;
	const struct pogo_json *resp;
	char *err;

	ASSERT_EQ(
	    pogo_client_envelope(status, body, strlen(body), &doc, &resp, &err),
	    POGO_ERR_PROTOCOL);
	ASSERT_NULL(doc);
	return err;
}

TEST(envelope)
{
	struct pogo_json *doc;
	const struct pogo_json *resp;
	const char *ok = "{\"meta\":{},\"response\":{\"ping\":\"pong\"}}\n";
	char *err, *s;

	ASSERT_OK(pogo_client_envelope(200, ok, strlen(ok), &doc, &resp, &err));
	s = pogo_json_string(pogo_json_get(resp, "ping"), NULL);
	ASSERT_STR_EQ(s, "pong");
	free(s);
	pogo_json_free(doc);

	err = envelope_error(404, "{\"errors\":[\"no such job p0000000009\"]}");
	ASSERT_STR_EQ(err, "no such job p0000000009");
	free(err);
	err = envelope_error(400, "{\"errors\":[\"a\",\"b\"]}");
	ASSERT_STR_EQ(err, "a; b");
	free(err);
	/* SPEC 11.5: a refused submission is 200 with meta.rc nok. */
	err = envelope_error(200,
	    "{\"meta\":{\"rc\":\"nok\"},\"response\":{\"message\":"
	    "\"Mandatory field 'range' missing\"}}");
	ASSERT_STR_EQ(err, "Mandatory field 'range' missing");
	free(err);
	err = envelope_error(503, "<html>busy</html>");
	ASSERT_STR_EQ(err, "HTTP 503 Service Unavailable: not JSON");
	free(err);
	err = envelope_error(500, "{}");
	ASSERT_STR_EQ(err, "HTTP 500 Internal Server Error");
	free(err);
	err = envelope_error(200, "{\"meta\":{}}");
	ASSERT_STR_EQ(err, "HTTP 200: no response in the answer");
	free(
	    err); /* An error without words still says what happened (fuzz-client). */
	err = envelope_error(
	    200, "{\"meta\":{\"rc\":\"nok\"},\"response\":{\"message\":\"\"}}");
	ASSERT_STR_EQ(err, "HTTP 200 OK: an error without a message");
	free(err);
	err = envelope_error(409, "{\"errors\":[\"\"]}");
	ASSERT_STR_EQ(err, "HTTP 409 Conflict: an error without a message");
	free(err);
}

/* Feed s in pieces of n bytes; the last result. */
static int
feed(struct pogo_client_parser *p, const char *s, size_t n, char **cause)
{
	size_t len = strlen(s), i, k;
	int r = 0;

	*cause = NULL;
	for (i = 0; i < len && r == 0; i += k) {
		k = len - i < n ? len - i : n;
		r = pogo_client_parser_feed(p, s + i, k, cause);
	}
	return r;
}

TEST(parser_lengths)
{
	static const char *ok[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n",
	};
	struct pogo_client_parser *p;
	const char *body;
	size_t i, n, len;
	char *cause;

	for (i = 0; i < POGO_NELEM(ok); i++) {
		for (n = 1; n < 64; n *= 3) {
			p = pogo_client_parser_new(1024);
			ASSERT_EQ(feed(p, ok[i], n, &cause), 1);
			ASSERT_EQ(pogo_client_parser_status(p), 200);
			body = pogo_client_parser_body(p, &len);
			ASSERT_EQ(len, 5);
			ASSERT_MEM_EQ(body, "hello", 5);
			pogo_client_parser_free(p);
		}
	}
	/* A body that ends with the connection. */
	p = pogo_client_parser_new(1024);
	ASSERT_EQ(feed(p, "HTTP/1.0 404 Not Found\r\n\r\n{}", 7, &cause), 0);
	ASSERT_EQ(pogo_client_parser_eof(p, &cause), 1);
	ASSERT_EQ(pogo_client_parser_status(p), 404);
	body = pogo_client_parser_body(p, &len);
	ASSERT_EQ(len, 2);
	pogo_client_parser_free(p);
}

/*
 * Retry-After: delay-seconds given once, in any case and however the
 * bytes are split; anything else is no Retry-After (what pogo api
 * passes on, #12).
 */
TEST(parser_retry_after)
{
	static const struct {
		const char *headers, *want;
	} cases[] = {
		{ "Retry-After: 1\r\n", "1" },
		{ "retry-after:   120\r\nX-Retry-After-Not: 5\r\n", "120" },
		{ "X-Long-Header-Name-Of-Sorts: 5\r\nRetry-After: 7\r\n", "7" },
		{ "", NULL },
		{ "Retry-After-X: 5\r\n", NULL },
		{ "Retry-After: soon\r\n", NULL },
		{ "Retry-After: Fri, 27 Nov 2026 10:00:00 GMT\r\n", NULL },
		{ "Retry-After: 1234567890\r\n", NULL },
		{ "Retry-After: -1\r\n", NULL },
		{ "Retry-After: 1\r\nRetry-After: 2\r\n", NULL },
	};
	struct pogo_client_parser *p;
	const char *ra;
	char *s, *cause;
	size_t i, n;

	for (i = 0; i < POGO_NELEM(cases); i++) {
		xasprintf(&s,
		    "HTTP/1.1 503 Service Unavailable\r\n%s"
		    "Content-Length: 2\r\n\r\n{}",
		    cases[i].headers);
		for (n = 1; n < 64; n *= 3) {
			p = pogo_client_parser_new(1024);
			ASSERT_EQ(feed(p, s, n, &cause), 1);
			ra = pogo_client_parser_retry_after(p);
			if (cases[i].want == NULL)
				ASSERT_NULL(ra);
			else
				ASSERT_STR_EQ(ra, cases[i].want);
			pogo_client_parser_free(p);
		}
		free(s);
	}
}

TEST(parser_budget)
{
	struct pogo_client_budget b = { 10, 0 };
	struct pogo_client_parser *p1, *p2, *p3;
	char *cause;

	/* p1 holds 6 bytes of 10: p2's 5 more are refused, chunk by chunk. */
	p1 = pogo_client_parser_new(1024);
	pogo_client_parser_set_budget(p1, &b);
	ASSERT_EQ(feed(p1,
	              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	              "6\r\nabcdef\r\n",
	              100, &cause),
	    0);
	ASSERT_EQ(b.used, 6);
	p2 = pogo_client_parser_new(1024);
	pogo_client_parser_set_budget(p2, &b);
	ASSERT_EQ(feed(p2,
	              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	              "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
	              100, &cause),
	    POGO_ERR_PROTOCOL);
	ASSERT_STR_EQ(
	    cause, "the answers held at once would be larger than 10 bytes");
	ASSERT(pogo_client_parser_over(p2));
	free(cause);
	pogo_client_parser_free(p2);
	ASSERT_EQ(b.used, 6);
	/* ... and from its Content-Length, before the body. */
	p3 = pogo_client_parser_new(1024);
	pogo_client_parser_set_budget(p3, &b);
	ASSERT_EQ(feed(p3, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 100,
	              &cause),
	    POGO_ERR_PROTOCOL);
	free(cause);
	pogo_client_parser_free(p3);
	/* p1 gives its bytes back when freed; 10 fit again. */
	pogo_client_parser_free(p1);
	ASSERT_EQ(b.used, 0);
	p3 = pogo_client_parser_new(1024);
	pogo_client_parser_set_budget(p3, &b);
	ASSERT_EQ(feed(p3,
	              "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
	              "0123456789",
	              3, &cause),
	    1);
	ASSERT(!pogo_client_parser_over(p3));
	ASSERT_EQ(b.used, 10);
	pogo_client_parser_free(p3);
	ASSERT_EQ(b.used, 0);
}

TEST(parser_refusals)
{
	struct pogo_client_parser *p;
	char *cause;

	/* Over the bound: refused from Content-Length, before the body. */
	p = pogo_client_parser_new(4);
	ASSERT_EQ(feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", 100,
	              &cause),
	    POGO_ERR_PROTOCOL);
	ASSERT_STR_EQ(cause, "the answer is larger than 4 bytes");
	free(cause);
	pogo_client_parser_free(p);
	/* ... and chunk by chunk. */
	p = pogo_client_parser_new(4);
	ASSERT_EQ(feed(p,
	              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	              "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n",
	              100, &cause),
	    POGO_ERR_PROTOCOL);
	free(cause);
	pogo_client_parser_free(p);
	/* Not HTTP. */
	p = pogo_client_parser_new(1024);
	ASSERT_EQ(
	    feed(p, "SSH-2.0-OpenSSH\r\n", 100, &cause), POGO_ERR_PROTOCOL);
	ASSERT(strncmp(cause, "malformed HTTP answer: ", 23) == 0);
	free(cause);
	pogo_client_parser_free(p);
	/* Cut short. */
	p = pogo_client_parser_new(1024);
	ASSERT_EQ(feed(p, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nab", 100,
	              &cause),
	    0);
	ASSERT_EQ(pogo_client_parser_eof(p, &cause), POGO_ERR_PROTOCOL);
	free(cause);
	pogo_client_parser_free(p);
}

TEST(cfg_file_and_token)
{
	struct pogo_client_cfg cfg;
	char dir[] = "/tmp/test-client.XXXXXX", path[128], tok[128];
	char *cause = NULL;
	FILE *f;

	ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/client.yaml", dir);
	snprintf(tok, sizeof(tok), "%s/token", dir);
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fprintf(f,
	    "api: https://api:7657\nca: ~/ca.crt\ntoken_file: %s\n"
	    "namespace: ns1\n",
	    tok);
	fclose(f);
	f = fopen(tok, "w");
	ASSERT(f != NULL);
	fprintf(f, "# the token\n\n  tok-from-file  \n");
	fclose(f);
	setenv("HOME", "/home/u", 1);
	setenv("POGO_CLIENT_CONFIG", path, 1);
	unsetenv("POGO_TOKEN");
	ASSERT_OK(pogo_client_cfg_load(&cfg, &cause));
	ASSERT_STR_EQ(cfg.api, "https://api:7657");
	ASSERT_STR_EQ(cfg.ca, "/home/u/ca.crt");
	ASSERT_STR_EQ(cfg.namespace, "ns1");
	ASSERT_NULL(cfg.cert);
	ASSERT_OK(pogo_client_cfg_token(&cfg, &cause));
	ASSERT_STR_EQ(cfg.token, "tok-from-file");
	setenv("POGO_TOKEN", "tok-from-env", 1);
	ASSERT_OK(pogo_client_cfg_token(&cfg, &cause));
	ASSERT_STR_EQ(cfg.token, "tok-from-env");
	pogo_client_cfg_release(&cfg);

	/* An unknown key; a missing named file; the default path's absence. */
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fprintf(f, "apii: x\n");
	fclose(f);
	ASSERT_EQ(pogo_client_cfg_load(&cfg, &cause), POGO_ERR_CONFIG);
	ASSERT(strstr(cause, "unknown key 'apii'") != NULL);
	free(cause);
	unlink(path);
	ASSERT_EQ(pogo_client_cfg_load(&cfg, &cause), POGO_ERR_CONFIG);
	free(cause);
	unsetenv("POGO_CLIENT_CONFIG");
	setenv("HOME", dir, 1);
	ASSERT_OK(pogo_client_cfg_load(&cfg, &cause));
	ASSERT_NULL(cfg.api);
	pogo_client_cfg_release(&cfg);
	unlink(tok);
	rmdir(dir);
}

/* review3 8: a token over plain HTTP goes to loopback only (SPEC 11.1). */
TEST(token_over_http_loopback_only)
{
	static const char *ok[] = { "http://127.0.0.1:7657", "http://[::1]:1",
		"http://localhost:7657" };
	struct pogo_client_opts o = { 0 };
	struct pogo_client *c;
	uv_loop_t loop;
	char *cause = NULL;
	size_t i;

	ASSERT_EQ(uv_loop_init(&loop), 0);
	o.token = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	o.api = "http://192.0.2.1:7657";
	ASSERT(pogo_client_new(&loop, &o, &c, &cause) < 0);
	ASSERT(cause != NULL && strstr(cause, "192.0.2.1") != NULL);
	free(cause);
	cause = NULL;
	o.api = "http://127.attacker.example:7657";
	ASSERT(pogo_client_new(&loop, &o, &c, &cause) < 0);
	free(cause);
	cause = NULL;
	/* The opt-in; and without a token anything goes. */
	o.api = "http://192.0.2.1:7657";
	o.insecure = true;
	ASSERT_OK(pogo_client_new(&loop, &o, &c, &cause));
	pogo_client_free(c);
	o.insecure = false;
	o.token = NULL;
	ASSERT_OK(pogo_client_new(&loop, &o, &c, &cause));
	pogo_client_free(c);
	o.token = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		o.api = ok[i];
		ASSERT_OK(pogo_client_new(&loop, &o, &c, &cause));
		pogo_client_free(c);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(uv_loop_close(&loop), 0);
}

/*
 * review3 10: an answer of many small values (each some 80 bytes as a
 * tree) is refused before the tree is built; a large string is not.
 */
TEST(envelope_bounds_values)
{
	const struct pogo_json *resp;
	struct pogo_json *doc;
	size_t n = POGO_CLIENT_MAX_VALUES + 1, i, len;
	char *body, *p, *err = NULL;

	body = malloc(64 + 2 * n);
	ASSERT(body != NULL);
	p = body + snprintf(body, 64, "{\"meta\":{},\"response\":{\"x\":[");
	for (i = 0; i < n; i++) {
		*p++ = '0';
		*p++ = ',';
	}
	p[-1] = ']';
	memcpy(p, "}}", 2);
	p += 2;
	len = (size_t)(p - body);
	ASSERT(pogo_client_envelope(200, body, len, &doc, &resp, &err) ==
	    POGO_ERR_PROTOCOL);
	ASSERT_NULL(doc);
	ASSERT(err != NULL && strstr(err, "more than 1000000 values") != NULL);
	free(err);
	/* The same bytes as one string: one value. */
	memset(body, 'a', len);
	memcpy(body, "{\"response\":\"", 13);
	memcpy(body + len - 2, "\"}", 2);
	ASSERT_OK(pogo_client_envelope(200, body, len, &doc, &resp, &err));
	pogo_json_free(doc);
	free(body);
}

TEST(numbers_clamped)
{
	static const char body[] =
	    "{\"a\":1e300,\"b\":-1e300,\"c\":1.5e19,\"d\":-5,\"e\":null,"
	    "\"f\":4611686018427387904,\"g\":-9.3e18,\"h\":1e999,"
	    "\"i\":\"12\",\"j\":42.9}";
	struct pogo_json *doc;

	ASSERT_OK(pogo_json_parse_object(body, sizeof(body) - 1, &doc));
	ASSERT_EQ(
	    pogo_client_ll(pogo_json_get(doc, "a")), 4611686018427387904LL);
	ASSERT_EQ(
	    pogo_client_ll(pogo_json_get(doc, "b")), -4611686018427387904LL);
	ASSERT_EQ(
	    pogo_client_ll(pogo_json_get(doc, "c")), 4611686018427387904LL);
	ASSERT_EQ(pogo_client_ll(pogo_json_get(doc, "d")), -5);
	ASSERT_EQ(pogo_client_ll(pogo_json_get(doc, "e")), 0);
	ASSERT_EQ(
	    pogo_client_ll(pogo_json_get(doc, "f")), 4611686018427387904LL);
	ASSERT_EQ(
	    pogo_client_ll(pogo_json_get(doc, "g")), -4611686018427387904LL);
	ASSERT_EQ(
	    pogo_client_ll(pogo_json_get(doc, "h")), 4611686018427387904LL);
	ASSERT_EQ(pogo_client_ll(pogo_json_get(doc, "i")), 0);
	ASSERT_EQ(pogo_client_ll(pogo_json_get(doc, "j")), 42);
	ASSERT_EQ(pogo_client_ll(pogo_json_get(doc, "nothing")), 0);
	ASSERT_EQ(pogo_client_ll(NULL), 0);
	pogo_json_free(doc);
}

/* A log entry is the one due only with that very index (#9). */
TEST(log_next)
{
	static const char body[] =
	    "{\"a\":{\"index\":0},\"b\":{\"index\":4294967295},"
	    "\"c\":{\"index\":4294967296},\"d\":{\"index\":\"3\"},"
	    "\"e\":{\"index\":3.5},\"f\":{},\"g\":{\"index\":-1}}";
	struct pogo_json *doc;

	ASSERT_OK(pogo_json_parse_object(body, sizeof(body) - 1, &doc));
	ASSERT(pogo_client_log_next(pogo_json_get(doc, "a"), 0));
	ASSERT(!pogo_client_log_next(pogo_json_get(doc, "a"), 1));
	ASSERT(pogo_client_log_next(pogo_json_get(doc, "b"), 4294967295LL));
	ASSERT(!pogo_client_log_next(pogo_json_get(doc, "c"), 4294967296LL));
	ASSERT(!pogo_client_log_next(pogo_json_get(doc, "d"), 3));
	ASSERT(!pogo_client_log_next(pogo_json_get(doc, "e"), 3));
	ASSERT(!pogo_client_log_next(pogo_json_get(doc, "f"), 0));
	ASSERT(!pogo_client_log_next(pogo_json_get(doc, "g"), -1));
	ASSERT(!pogo_client_log_next(NULL, 0));
	pogo_json_free(doc);
}
