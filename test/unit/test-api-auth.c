/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/api-auth.c (SPEC 11.1): the token file (mode, format,
 * short tokens, lookup), what each request needs, who may do it, and the
 * Origin check.  Also that pogo api's table of what each request needs
 * names exactly the control port's routes, and that pogo-api(8) documents
 * every route of both servers, each with an example, and nothing else.
 */
#include "pogo/compat.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/api-auth.h"
#include "pogo/api.h"
#include "pogo/dispatcher.h"
#include "pogo/tls.h"

#define TOK_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define TOK_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static char tk_path[64];

static void
tk_write(const char *text, mode_t mode)
{
	FILE *f;
	int fd;

	snprintf(tk_path, sizeof(tk_path), "/tmp/pogo-tokens-XXXXXX");
	ASSERT((fd = mkstemp(tk_path)) >= 0);
	ASSERT((f = fdopen(fd, "w")) != NULL);
	fputs(text, f);
	fclose(f);
	ASSERT_EQ(chmod(tk_path, mode), 0);
}

/* The constant-time comparison the token lookup goes through (src/mbed.c). */
TEST(ct_equal)
{
	ASSERT(pogo_mbed_ct_equal(TOK_A, TOK_A "x", strlen(TOK_A)));
	ASSERT(pogo_mbed_ct_equal("", "x", 0));
	ASSERT(!pogo_mbed_ct_equal(TOK_A, TOK_B, strlen(TOK_A)));
	ASSERT(!pogo_mbed_ct_equal("abcX", "abcY", 4));
	ASSERT(!pogo_mbed_ct_equal("Xbcd", "Ybcd", 4));
}

TEST(tokens_file_maps_tokens_to_users)
{
	struct pogo_api_tokens *t = NULL;
	char *cause = NULL;

	tk_write("# users\n\nalice " TOK_A "\n  bob\t" TOK_B "  \r\n", 0600);
	ASSERT_OK(pogo_api_tokens_load(tk_path, &t, &cause));
	ASSERT(cause == NULL);
	ASSERT_EQ(pogo_api_tokens_count(t), 2);
	ASSERT_STR_EQ(pogo_api_tokens_user(t, TOK_A, strlen(TOK_A)), "alice");
	ASSERT_STR_EQ(pogo_api_tokens_user(t, TOK_B, strlen(TOK_B)), "bob");
	/* One byte off, a prefix, a longer one, nothing. */
	ASSERT_NULL(pogo_api_tokens_user(t, TOK_A "a", strlen(TOK_A) + 1));
	ASSERT_NULL(pogo_api_tokens_user(t, TOK_A, strlen(TOK_A) - 1));
	ASSERT_NULL(pogo_api_tokens_user(
	    t, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", strlen(TOK_A)));
	ASSERT_NULL(pogo_api_tokens_user(t, "", 0));
	pogo_api_tokens_free(t);
	unlink(tk_path);
	/* 0400 is stricter than 0600: fine. */
	tk_write("alice " TOK_A "\n", 0400);
	ASSERT_OK(pogo_api_tokens_load(tk_path, &t, &cause));
	pogo_api_tokens_free(t);
	unlink(tk_path);
}

TEST(tokens_file_readable_by_others_is_refused)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0620, 0602, 0610 };
	struct pogo_api_tokens *t = NULL;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		tk_write("alice " TOK_A "\n", modes[i]);
		ASSERT(pogo_api_tokens_load(tk_path, &t, &cause) < 0);
		ASSERT_NULL(t);
		ASSERT(cause != NULL);
		ASSERT(strstr(cause, "group or others") != NULL);
		free(cause);
		cause = NULL;
		unlink(tk_path);
	}
}

TEST(tokens_file_bad_lines)
{
	FILE *f;
	static const char *bad[] = {
		"alice\n",
		"alice short\n",
		"alice " TOK_A " extra\n",
	};
	struct pogo_api_tokens *t = NULL;
	char *cause = NULL;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tk_write(bad[i], 0600);
		ASSERT(pogo_api_tokens_load(tk_path, &t, &cause) < 0);
		ASSERT_NULL(t);
		ASSERT(strstr(cause, "line 1") != NULL);
		free(cause);
		cause = NULL;
		unlink(tk_path);
	}
	/* review3 12: a NUL byte, a token given twice. */
	tk_write("alice " TOK_A "\n", 0600);
	ASSERT((f = fopen(tk_path, "a")) != NULL);
	fwrite("\0bob " TOK_B "\n", 1, strlen(TOK_B) + 6, f);
	fclose(f);
	ASSERT(pogo_api_tokens_load(tk_path, &t, &cause) < 0);
	ASSERT_NULL(t);
	ASSERT(strstr(cause, "NUL") != NULL);
	free(cause);
	cause = NULL;
	unlink(tk_path);
	tk_write("alice " TOK_A "\nbob " TOK_A "\n", 0600);
	ASSERT(pogo_api_tokens_load(tk_path, &t, &cause) < 0);
	ASSERT_NULL(t);
	ASSERT(strstr(cause, "line 2") != NULL);
	free(cause);
	cause = NULL;
	unlink(tk_path);
	ASSERT(pogo_api_tokens_load("/nonexistent/tokens", &t, &cause) < 0);
	ASSERT(cause != NULL);
	free(cause);
}

TEST(needs)
{
	ASSERT_EQ(pogo_api_need("GET", "/status"), POGO_API_NEED_NONE);
	ASSERT_EQ(pogo_api_need("GET", "/v1/ping"), POGO_API_NEED_NONE);
	ASSERT_EQ(pogo_api_need("HEAD", "/v1/ping"), POGO_API_NEED_NONE);
	ASSERT_EQ(pogo_api_need("GET", "/ui/index.html"), POGO_API_NEED_NONE);
	ASSERT_EQ(pogo_api_need("GET", "/v1/jobs"), POGO_API_NEED_USER);
	ASSERT_EQ(pogo_api_need("POST", "/v1/jobs"), POGO_API_NEED_USER);
	ASSERT_EQ(
	    pogo_api_need("POST", "/v1/jobs/p0000000001"), POGO_API_NEED_OWNER);
	ASSERT_EQ(pogo_api_need("GET", "/v1/namespaces"), POGO_API_NEED_USER);
	ASSERT_EQ(pogo_api_need("GET", "/v1/namespaces/ns/constraints"),
	    POGO_API_NEED_USER);
	ASSERT_EQ(pogo_api_need("POST", "/v1/namespaces/ns/constraints"),
	    POGO_API_NEED_ADMIN);
	ASSERT_EQ(pogo_api_need("GET", "/v1/admin/nomas"), POGO_API_NEED_ADMIN);
	ASSERT_EQ(
	    pogo_api_need("POST", "/v1/admin/nomas"), POGO_API_NEED_ADMIN);
	/* Escaped parameters are judged decoded (review4 F-D). */
	ASSERT_EQ(
	    pogo_api_need("GET", "/v1/jobs/p0000000001/hosts/fe80%3A%3A1"),
	    POGO_API_NEED_USER);
	ASSERT_EQ(pogo_api_need("GET", "/v1/jobs/p0000000001/hosts/h%2525"),
	    POGO_API_NEED_USER);
	ASSERT_EQ(pogo_api_need("GET", "/v1/jobs/last/Alice%20Smith"),
	    POGO_API_NEED_USER);
	ASSERT_EQ(pogo_api_need("POST", "/v1/jobs/%70000000001"),
	    POGO_API_NEED_OWNER);
	/* Unknown requests fail closed (review4 F-P). */
	ASSERT_EQ(
	    pogo_api_need("POST", "/v1/admin/workers"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("POST", "/v1/whoami"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(
	    pogo_api_need("POST", "/v1/jobsubmit"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("POST", "/v1/jobs/p0000000001/hosts"),
	    POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("PUT", "/v1/jobs"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("DELETE", "/v1/jobs/p0000000001"),
	    POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("GET", "/uix"), POGO_API_NEED_UNKNOWN);
	/* Paths the control port would not route either. */
	ASSERT_EQ(
	    pogo_api_need("GET", "/ui/../v1/admin/x"), POGO_API_NEED_NONE);
	ASSERT_EQ(
	    pogo_api_need("GET", "/v1/%61dmin/nomas"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("GET", "/v1/jobs/../admin/nomas"),
	    POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(
	    pogo_api_need("GET", "/v1/jobs//hosts"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("GET", "/v1/jobs/"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("GET", "//v1/admin"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("GET", "v1/jobs"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(
	    pogo_api_need("GET", "/v1/jobs/p%00/hosts"), POGO_API_NEED_UNKNOWN);
	ASSERT_EQ(pogo_api_need("GET", "/v1/jobs/p%zz"), POGO_API_NEED_UNKNOWN);
}

TEST(authorisation)
{
	/* api.auth none: everything. */
	ASSERT_EQ(
	    pogo_api_allowed(false, POGO_API_NEED_ADMIN, NULL, false, NULL), 0);
	/* Authenticated modes. */
	ASSERT_EQ(
	    pogo_api_allowed(true, POGO_API_NEED_NONE, NULL, false, NULL), 0);
	ASSERT_EQ(pogo_api_allowed(true, POGO_API_NEED_USER, NULL, false, NULL),
	    POGO_API_UNAUTH);
	ASSERT_EQ(
	    pogo_api_allowed(true, POGO_API_NEED_USER, "bob", false, NULL), 0);
	/* A-AUTHZ: bob halting alice's job; the admin carol may. */
	ASSERT_EQ(
	    pogo_api_allowed(true, POGO_API_NEED_OWNER, "bob", false, "alice"),
	    POGO_API_DENIED);
	ASSERT_EQ(pogo_api_allowed(
	              true, POGO_API_NEED_OWNER, "alice", false, "alice"),
	    0);
	ASSERT_EQ(
	    pogo_api_allowed(true, POGO_API_NEED_OWNER, "carol", true, "alice"),
	    0);
	ASSERT_EQ(
	    pogo_api_allowed(true, POGO_API_NEED_OWNER, "bob", false, NULL),
	    POGO_API_DENIED);
	ASSERT_EQ(
	    pogo_api_allowed(true, POGO_API_NEED_ADMIN, "alice", false, NULL),
	    POGO_API_DENIED);
	ASSERT_EQ(
	    pogo_api_allowed(true, POGO_API_NEED_ADMIN, "carol", true, NULL),
	    0);
}

TEST(host_on_loopback)
{
	ASSERT(pogo_api_host_ok("127.0.0.1:7657", true));
	ASSERT(pogo_api_host_ok("127.0.0.1", true));
	ASSERT(pogo_api_host_ok("127.1.2.3:80", true));
	ASSERT(pogo_api_host_ok("localhost:7657", true));
	ASSERT(pogo_api_host_ok("LocalHost", true));
	ASSERT(pogo_api_host_ok("[::1]:7657", true));
	ASSERT(pogo_api_host_ok("[::ffff:127.0.0.1]:7657", true));
	ASSERT(pogo_api_host_ok(NULL, true));
	/* DNS rebinding: the page's own name, pointed at 127.0.0.1. */
	ASSERT(!pogo_api_host_ok("evil.example:7657", true));
	ASSERT(!pogo_api_host_ok("127.attacker.example:7657", true));
	ASSERT(!pogo_api_host_ok("localhost.evil.example", true));
	ASSERT(!pogo_api_host_ok("10.0.0.1:7657", true));
	ASSERT(!pogo_api_host_ok("[::2]:7657", true));
	ASSERT(!pogo_api_host_ok("[::1", true));
	ASSERT(!pogo_api_host_ok("[::1]x", true));
	ASSERT(!pogo_api_host_ok("::1", true));
	ASSERT(!pogo_api_host_ok("", true));
	ASSERT(!pogo_api_host_ok(":7657", true));
	/* Other listeners need credentials: any name. */
	ASSERT(pogo_api_host_ok("api.example:7657", false));
}

TEST(fetch_metadata)
{
	/* curl, older browsers, same origin, typed by the user. */
	ASSERT(pogo_api_fetch_ok(NULL, NULL, "POST"));
	ASSERT(pogo_api_fetch_ok("same-origin", "cors", "POST"));
	ASSERT(pogo_api_fetch_ok("none", "navigate", "GET"));
	/* Another site's link: the page cannot read the answer. */
	ASSERT(pogo_api_fetch_ok("cross-site", "navigate", "GET"));
	/* Another site's <script src=...?cb=>, fetch or form. */
	ASSERT(!pogo_api_fetch_ok("cross-site", "no-cors", "GET"));
	ASSERT(!pogo_api_fetch_ok("same-site", "no-cors", "GET"));
	ASSERT(!pogo_api_fetch_ok("cross-site", "cors", "GET"));
	ASSERT(!pogo_api_fetch_ok("cross-site", "navigate", "POST"));
	ASSERT(!pogo_api_fetch_ok("cross-site", NULL, "GET"));
}

TEST(origin)
{
	ASSERT(pogo_api_origin_ok(NULL, "api.example:7657", true));
	ASSERT(pogo_api_origin_ok(
	    "https://api.example:7657", "api.example:7657", true));
	ASSERT(pogo_api_origin_ok(
	    "http://127.0.0.1:7657", "127.0.0.1:7657", false));
	/* A-CSRF */
	ASSERT(!pogo_api_origin_ok(
	    "https://evil.example", "api.example:7657", true));
	ASSERT(!pogo_api_origin_ok(
	    "https://evil.example", "api.example:7657", false));
	ASSERT(!pogo_api_origin_ok(
	    "http://api.example:7657", "api.example:7657", true));
	ASSERT(!pogo_api_origin_ok(
	    "https://api.example:7657.evil", "api.example:7657", false));
	ASSERT(!pogo_api_origin_ok("null", "api.example", false));
	ASSERT(!pogo_api_origin_ok("https://api.example", NULL, false));
	ASSERT(!pogo_api_origin_ok("https://", "", false));
	/* review4 F-R: a TLS proxy in front of a plain API, same host. */
	ASSERT(
	    pogo_api_origin_ok("https://pogo.example", "pogo.example", false));
}

/* The control port's own route, which pogo api never sends on. */
static bool
route_cp_only(const char *method, const char *pattern)
{
	return strcmp(method, "POST") == 0 &&
	    strcmp(pattern, "/v1/jobsubmit") == 0;
}

/* A request path for pattern: each ":param" segment given a value. */
static void
route_example(const char *pattern, char *buf, size_t size)
{
	const char *p = pattern;
	size_t len = 0, n;

	buf[0] = '\0';
	while (*p != '\0') {
		n = strcspn(p + 1, "/") + 1;
		if (p[0] == '/' && p[1] == ':')
			len += (size_t)snprintf(buf + len, size - len, "/x1");
		else
			len += (size_t)snprintf(
			    buf + len, size - len, "%.*s", (int)n, p);
		ASSERT_LT(len, size);
		p += n;
	}
}

TEST(auth_routes_are_the_control_ports)
{
	const char *m, *p, *am, *ap;
	enum pogo_api_need an, need = POGO_API_NEED_UNKNOWN;
	size_t i, j, nd = 0, na = 0;
	char path[256];
	bool admin, found;

	for (i = 0; pogo_dispatcher_route(i, &m, &p, &admin); i++) {
		if (route_cp_only(m, p)) {
			ASSERT_EQ(pogo_api_need(m, p), POGO_API_NEED_UNKNOWN);
			continue;
		}
		nd++;
		found = false;
		for (j = 0; !found && pogo_api_auth_route(j, &am, &ap, &an);
		     j++) {
			if (strcmp(am, m) == 0 && strcmp(ap, p) == 0) {
				found = true;
				need = an;
			}
		}
		if (!found)
			harness_fail(__FILE__, __LINE__,
			    "the control port's %s %s is not in pogo api's "
			    "auth_routes: pogo api refuses it",
			    m, p);
		if (admin != (need == POGO_API_NEED_ADMIN))
			harness_fail(__FILE__, __LINE__,
			    "%s %s: admin only on the control port: %d, "
			    "in auth_routes: %d",
			    m, p, admin, need == POGO_API_NEED_ADMIN);
		/* The row is the one a request takes, none before it. */
		route_example(p, path, sizeof(path));
		if (pogo_api_need(m, path) != need)
			harness_fail(__FILE__, __LINE__,
			    "%s %s: pogo_api_need() says %d, its row %d", m,
			    path, pogo_api_need(m, path), need);
	}
	for (j = 0; pogo_api_auth_route(j, &am, &ap, &an); j++) {
		na++;
		found = false;
		for (i = 0; !found && pogo_dispatcher_route(i, &m, &p, &admin);
		     i++)
			found = strcmp(am, m) == 0 && strcmp(ap, p) == 0 &&
			    !route_cp_only(m, p);
		if (!found)
			harness_fail(__FILE__, __LINE__,
			    "pogo api's auth_routes has %s %s, the control "
			    "port has no such route",
			    am, ap);
	}
	/* Each row once. */
	ASSERT_EQ(na, nd);
	ASSERT_GE(nd, 20);
}

/* An endpoint of pogo-api(8): "METHOD /path/:param" and its example. */
struct man_endpoint {
	char route[256];
	bool example;
};

#define MAN_MAX_ENDPOINTS 128

/*
 * The item ".It Li GET /v1/jobs/ Ns Ar jobid Ns Li /log" as
 * "GET /v1/jobs/:jobid/log" in buf; false when it is not of that form.
 */
static bool
man_item_route(char *line, char *buf, size_t size)
{
	char *save = NULL, *tok;
	size_t len = 0;
	bool arg = false;
	int n = 0;

	for (tok = strtok_r(line, " \t\n", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\n", &save), n++) {
		if (n == 0 && strcmp(tok, ".It") != 0)
			return false;
		if (n == 1 && strcmp(tok, "Li") != 0)
			return false;
		if (n < 2 || strcmp(tok, "Ns") == 0)
			continue;
		if (strcmp(tok, "Li") == 0 || strcmp(tok, "Ar") == 0) {
			arg = strcmp(tok, "Ar") == 0;
			continue;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s%s",
		    n == 3 ? " " : "", arg ? ":" : "", tok);
		if (len >= size)
			return false;
	}
	return n >= 4;
}

/* The endpoints listed in the ENDPOINTS section of the page at path. */
static size_t
man_endpoints(const char *path, struct man_endpoint *ep, size_t max)
{
	char *line = NULL;
	size_t cap = 0, n = 0, lines = 0;
	int depth = 0;
	bool in = false;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		harness_fail(
		    __FILE__, __LINE__, "%s: %s", path, strerror(errno));
	while (getline(&line, &cap, f) > 0 && lines++ < 100000) {
		if (strncmp(line, ".Sh ", 4) == 0) {
			if (in)
				break;
			in = strcmp(line, ".Sh ENDPOINTS\n") == 0;
			continue;
		}
		if (!in)
			continue;
		if (strncmp(line, ".Bl ", 4) == 0)
			depth++;
		else if (strncmp(line, ".El", 3) == 0)
			depth--;
		else if (depth == 1 && strncmp(line, ".It ", 4) == 0) {
			ASSERT_LT(n, max);
			if (!man_item_route(
			        line, ep[n].route, sizeof(ep[n].route)))
				harness_fail(__FILE__, __LINE__,
				    "%s: an ENDPOINTS item not of the form "
				    ".It Li METHOD path: %s",
				    path, line);
			ep[n++].example = false;
		} else if (n > 0 && strncmp(line, ".Dl curl ", 9) == 0)
			ep[n - 1].example = true;
	}
	free(line);
	fclose(f);
	return n;
}

static bool
man_has(struct man_endpoint *ep, size_t n, const char *route)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ep[i].route, route) == 0)
			return true;
	return false;
}

/* Add "method pattern" to the routes in want unless it is there. */
static void
man_want(struct man_endpoint *want, size_t *n, const char *method,
    const char *pattern)
{
	char route[256];

	snprintf(route, sizeof(route), "%s %s", method, pattern);
	if (man_has(want, *n, route))
		return;
	ASSERT_LT(*n, MAN_MAX_ENDPOINTS);
	strlcpy(want[(*n)++].route, route, sizeof(want[0].route));
}

TEST(man_page_documents_every_route)
{
	static struct man_endpoint ep[MAN_MAX_ENDPOINTS];
	static struct man_endpoint want[MAN_MAX_ENDPOINTS];
	const char *dir = getenv("POGO_MAN_DIR"), *m, *p;
	size_t i, j, n, nwant = 0;
	char path[4096];
	bool admin;

	if (dir == NULL)
		harness_skip("POGO_MAN_DIR is not set");
	/* The control port's routes, which pogo api forwards ... */
	for (i = 0; pogo_dispatcher_route(i, &m, &p, &admin); i++)
		if (!route_cp_only(m, p))
			man_want(want, &nwant, m, p);
	/* ... pogo api's own, and the web UI (answered outside a table). */
	for (i = 0; pogo_api_route(i, &m, &p); i++)
		man_want(want, &nwant, m, p);
	man_want(want, &nwant, "GET", "/ui/:path");
	ASSERT_GE(nwant, 20);

	snprintf(path, sizeof(path), "%s/pogo-api.8", dir);
	n = man_endpoints(path, ep, POGO_NELEM(ep));
	for (i = 0; i < n; i++) {
		if (!man_has(want, nwant, ep[i].route))
			harness_fail(__FILE__, __LINE__,
			    "pogo-api(8) documents %s, which no route table "
			    "has",
			    ep[i].route);
		if (!ep[i].example)
			harness_fail(__FILE__, __LINE__,
			    "pogo-api(8): %s has no example (.Dl curl ...)",
			    ep[i].route);
		for (j = 0; j < i; j++)
			if (strcmp(ep[i].route, ep[j].route) == 0)
				harness_fail(__FILE__, __LINE__,
				    "pogo-api(8): %s is listed twice",
				    ep[i].route);
	}
	for (i = 0; i < nwant; i++)
		if (!man_has(ep, n, want[i].route))
			harness_fail(__FILE__, __LINE__,
			    "pogo-api(8) does not document %s", want[i].route);
}
