/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The API's authentication and authorisation decisions (SPEC 11.1;
 * api-auth.h).
 */
#include "pogo/compat.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pogo/api-auth.h"
#include "pogo/error.h"
#include "pogo/http.h"
#include "pogo/str.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#define TOKENS_FILE_MAX (1024 * 1024)
#define TOKEN_MIN 32

struct api_token {
	char *user;
	char *token;
	size_t len;
};

struct pogo_api_tokens {
	struct api_token *v;
	size_t n;
};

void
pogo_api_tokens_free(struct pogo_api_tokens *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->v[i].user);
		if (t->v[i].token != NULL)
			explicit_bzero(t->v[i].token, t->v[i].len);
		free(t->v[i].token);
	}
	free(t->v);
	free(t);
}

size_t
pogo_api_tokens_count(const struct pogo_api_tokens *t)
{
	return t == NULL ? 0 : t->n;
}

static bool
tokens_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Up to TOKENS_FILE_MAX bytes of fd into *bufp (NUL-terminated). */
static int
auth_read_fd(int fd, char **bufp, size_t *lenp)
{
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap), *nbuf;
	ssize_t n;

	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= TOKENS_FILE_MAX) {
				pogo_freezero(buf, cap);
				return POGO_ERR_CONFIG;
			}
			/* Grown by hand: realloc would leave a copy behind. */
			nbuf = xmalloc(cap * 2);
			memcpy(nbuf, buf, len);
			pogo_freezero(buf, cap);
			buf = nbuf;
			cap *= 2;
		}
		if ((n = read(fd, buf + len, cap - len - 1)) < 0) {
			if (errno == EINTR)
				continue;
			n = POGO_ERR_ERRNO(errno);
			pogo_freezero(buf, cap);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

static bool
auth_token_known(const struct pogo_api_tokens *t, const char *tok, size_t tlen)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->v[i].len == tlen &&
		    pogo_mbed_ct_equal(t->v[i].token, tok, tlen))
			return true;
	}
	return false;
}

int
pogo_api_tokens_load(
    const char *path, struct pogo_api_tokens **out, char **cause)
{
	struct pogo_api_tokens *t = NULL;
	char *buf = NULL, *line, *next, *p, *user, *tok;
	size_t len = 0, lineno = 0, ulen, tlen;
	struct stat st;
	int fd = -1, r;

	*out = NULL;
	*cause = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    fstat(fd, &st) != 0) {
		r = POGO_ERR_ERRNO(errno);
		xasprintf(cause, "token file %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = POGO_ERR_CONFIG;
		xasprintf(cause, "token file %s: not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = POGO_ERR_CONFIG;
		xasprintf(cause,
		    "token file %s: mode %04o is accessible by group or "
		    "others; chmod 600 it",
		    path, (unsigned)(st.st_mode & 07777));
		goto out;
	}
	/* The bytes of the file checked, not of a second open by name. */
	if ((r = auth_read_fd(fd, &buf, &len)) != 0) {
		xasprintf(cause, "token file %s: %s", path,
		    r == POGO_ERR_CONFIG ? "larger than 1 MiB"
		                         : pogo_strerror(r));
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		r = POGO_ERR_CONFIG;
		xasprintf(cause, "token file %s: it holds a NUL byte", path);
		goto out;
	}
	t = xcalloc(1, sizeof(*t));
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		for (p = line; tokens_space(*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		user = p;
		for (ulen = 0; p[ulen] != '\0' && !tokens_space(p[ulen]);
		     ulen++)
			;
		for (p += ulen; tokens_space(*p); p++)
			;
		tok = p;
		for (tlen = 0; p[tlen] != '\0' && !tokens_space(p[tlen]);
		     tlen++)
			;
		for (p += tlen; tokens_space(*p); p++)
			;
		if (tlen == 0 || *p != '\0') {
			r = POGO_ERR_CONFIG;
			xasprintf(cause,
			    "token file %s, line %zu: expected '<user> "
			    "<token>'",
			    path, lineno);
			goto out;
		}
		if (tlen < TOKEN_MIN) {
			r = POGO_ERR_CONFIG;
			xasprintf(cause,
			    "token file %s, line %zu: the token has fewer than "
			    "%d characters",
			    path, lineno, TOKEN_MIN);
			goto out;
		}
		if (auth_token_known(t, tok, tlen)) {
			r = POGO_ERR_CONFIG;
			xasprintf(cause,
			    "token file %s, line %zu: the token of an earlier "
			    "line",
			    path, lineno);
			goto out;
		}
		t->v = xreallocarray(t->v, t->n + 1, sizeof(*t->v));
		t->v[t->n].user = xstrndup(user, ulen);
		t->v[t->n].token = xstrndup(tok, tlen);
		t->v[t->n].len = tlen;
		t->n++;
	}
	*out = t;
	t = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	pogo_api_tokens_free(t);
	return r;
}

const char *
pogo_api_tokens_user(
    const struct pogo_api_tokens *t, const char *token, size_t len)
{
	const char *user = NULL;
	size_t i;

	if (t == NULL || token == NULL || len < TOKEN_MIN)
		return NULL;
	for (i = 0; i < t->n; i++) {
		/* The lengths are not secret; the bytes are. */
		if (t->v[i].len == len &&
		    pogo_mbed_ct_equal(t->v[i].token, token, len) &&
		    user == NULL)
			user = t->v[i].user;
	}
	return user;
}

/*
 * Every request the API forwards (SPEC 11.3) and what it needs: the
 * control port's routes (dispatcher.c disp_routes) but its own POST
 * /v1/jobsubmit, matched as the control port's router matches them
 * (unit.api-auth checks the two tables name the same routes).
 */
static const struct {
	const char *method;
	const char *pattern;
	enum pogo_api_need need;
} auth_routes[] = {
	{ "GET", "/status", POGO_API_NEED_NONE },
	{ "GET", "/v1/ping", POGO_API_NEED_NONE },
	{ "GET", "/v1/whoami", POGO_API_NEED_USER },
	{ "GET", "/v1/workercert", POGO_API_NEED_USER },
	{ "GET", "/v1/jobs", POGO_API_NEED_USER },
	{ "POST", "/v1/jobs", POGO_API_NEED_USER },
	{ "GET", "/v1/jobs/last/:user", POGO_API_NEED_USER },
	{ "GET", "/v1/jobs/:jobid", POGO_API_NEED_USER },
	{ "POST", "/v1/jobs/:jobid", POGO_API_NEED_OWNER },
	{ "GET", "/v1/jobs/:jobid/log", POGO_API_NEED_USER },
	{ "GET", "/v1/jobs/:jobid/hosts", POGO_API_NEED_USER },
	{ "GET", "/v1/jobs/:jobid/hosts/:host", POGO_API_NEED_USER },
	{ "GET", "/v1/jobs/:jobid/schedule", POGO_API_NEED_USER },
	{ "GET", "/v1/namespaces", POGO_API_NEED_USER },
	{ "GET", "/v1/namespaces/:ns", POGO_API_NEED_USER },
	{ "GET", "/v1/namespaces/:ns/locks", POGO_API_NEED_USER },
	{ "GET", "/v1/namespaces/:ns/hosts/:host/tags", POGO_API_NEED_USER },
	{ "GET", "/v1/namespaces/:ns/constraints", POGO_API_NEED_USER },
	{ "POST", "/v1/namespaces/:ns/constraints", POGO_API_NEED_ADMIN },
	{ "GET", "/v1/admin/nomas", POGO_API_NEED_ADMIN },
	{ "POST", "/v1/admin/nomas", POGO_API_NEED_ADMIN },
};

bool
pogo_api_auth_route(size_t i, const char **method, const char **pattern,
    enum pogo_api_need *need)
{
	if (i >= POGO_NELEM(auth_routes))
		return false;
	*method = auth_routes[i].method;
	*pattern = auth_routes[i].pattern;
	*need = auth_routes[i].need;
	return true;
}

enum pogo_api_need
pogo_api_need(const char *method, const char *path)
{
	size_t i;

	/* HEAD is a GET without its body. */
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	if (strcmp(method, "GET") == 0 && strncmp(path, "/ui/", 4) == 0)
		return POGO_API_NEED_NONE;
	for (i = 0; i < sizeof(auth_routes) / sizeof(auth_routes[0]); i++) {
		if (strcmp(auth_routes[i].method, method) == 0 &&
		    pogo_http_route_matches(auth_routes[i].pattern, path))
			return auth_routes[i].need;
	}
	return POGO_API_NEED_UNKNOWN;
}

int
pogo_api_allowed(bool authenticated, enum pogo_api_need need, const char *user,
    bool admin, const char *owner)
{
	if (!authenticated || need == POGO_API_NEED_NONE)
		return 0;
	if (user == NULL)
		return POGO_API_UNAUTH;
	switch (need) {
	case POGO_API_NEED_USER:
		return 0;
	case POGO_API_NEED_OWNER:
		if (admin || (owner != NULL && strcmp(owner, user) == 0))
			return 0;
		return POGO_API_DENIED;
	case POGO_API_NEED_ADMIN:
	default:
		return admin ? 0 : POGO_API_DENIED;
	}
}

bool
pogo_api_origin_ok(const char *origin, const char *host, bool tls)
{
	if (origin == NULL)
		return true;
	if (host == NULL || host[0] == '\0')
		return false;
	if (strncasecmp(origin, "https://", 8) == 0)
		return strcasecmp(origin + 8, host) == 0;
	if (!tls && strncasecmp(origin, "http://", 7) == 0)
		return strcasecmp(origin + 7, host) == 0;
	return false;
}

bool
pogo_api_host_ok(const char *host, bool loopback_listener)
{
	char name[64];
	const char *end;
	size_t len;

	if (!loopback_listener || host == NULL)
		return true;
	if (host[0] == '[') {
		/* [v6]:port */
		if ((end = strchr(host, ']')) == NULL ||
		    (end[1] != '\0' && end[1] != ':'))
			return false;
		host++;
	} else if ((end = strchr(host, ':')) == NULL)
		end = host + strlen(host);
	else if (strchr(end + 1, ':') != NULL)
		return false; /* v6 without brackets: not a Host */
	if ((len = (size_t)(end - host)) == 0 || len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	return pogo_http_name_is_loopback(name);
}

bool
pogo_api_fetch_ok(const char *site, const char *mode, const char *method)
{
	if (site == NULL || strcmp(site, "same-origin") == 0 ||
	    strcmp(site, "none") == 0)
		return true;
	return mode != NULL && strcmp(mode, "navigate") == 0 &&
	    (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
}
