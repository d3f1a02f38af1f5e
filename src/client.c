/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The API client of the client commands (client.h): configuration, URL,
 * job ids, the envelope, an llhttp response parser, and one request at a
 * time over a stream (stream.h, plain or TLS).
 */
#include "pogo/compat.h"

#include <errno.h>
#include <llhttp.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pogo/client.h"
#include "pogo/clock.h"
#include "pogo/error.h"
#include "pogo/http.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/stream.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"
#include "pogo/yaml.h"

#define CLIENT_CFG_MAX (1024 * 1024)

/* ------------------------------------------------------------------ */
/* Configuration. */

void
pogo_client_cfg_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

void
pogo_client_cfg_release(struct pogo_client_cfg *cfg)
{
	free(cfg->api);
	free(cfg->ca);
	free(cfg->cert);
	free(cfg->key);
	free(cfg->token_file);
	free(cfg->worker_cert);
	free(cfg->namespace);
	free(cfg->timeout);
	free(cfg->job_timeout);
	if (cfg->token != NULL)
		pogo_freezero(cfg->token, strlen(cfg->token));
	memset(cfg, 0, sizeof(*cfg));
}

/* "~/x" to "$HOME/x". */
static char *
client_path(const char *s)
{
	const char *home = getenv("HOME");
	char *p;

	if (s[0] == '~' && (s[1] == '/' || s[1] == '\0') && home != NULL) {
		xasprintf(&p, "%s%s", home, s + 1);
		return p;
	}
	return xstrdup(s);
}

int
pogo_client_cfg_load(struct pogo_client_cfg *cfg, char **cause)
{
	static const char *keys[] = { "api", "ca", "cert", "key", "token_file",
		"worker_cert", "namespace", "timeout", "job_timeout" };
	char **fields[] = { &cfg->api, &cfg->ca, &cfg->cert, &cfg->key,
		&cfg->token_file, &cfg->worker_cert, &cfg->namespace,
		&cfg->timeout, &cfg->job_timeout };
	struct pogo_yaml_node *root = NULL, *k, *v;
	const char *env = getenv("POGO_CLIENT_CONFIG");
	char *path, *text = NULL, *why = NULL;
	size_t len, i, j;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	*cause = NULL;
	if (env != NULL && env[0] != '\0')
		path = xstrdup(env);
	else
		path = client_path("~/.pogo/client.yaml");
	r = pogo_str_read_file(path, CLIENT_CFG_MAX, &text, &len);
	if (r == POGO_ERR_ERRNO(ENOENT) && (env == NULL || env[0] == '\0')) {
		r = 0;
		goto out;
	}
	if (r != 0) {
		xasprintf(cause, "%s: %s", path, pogo_strerror(r));
		r = POGO_ERR_CONFIG;
		goto out;
	}
	if ((r = pogo_yaml_parse(text, len, &root, &why)) != 0) {
		xasprintf(cause, "%s: %s", path, why);
		goto out;
	}
	if (root == NULL)
		goto out;
	r = POGO_ERR_CONFIG;
	if (root->kind != POGO_YAML_MAP) {
		xasprintf(cause, "%s: not a mapping", path);
		goto out;
	}
	for (i = 0; i < root->n / 2; i++) {
		k = root->items[2 * i];
		v = root->items[2 * i + 1];
		for (j = 0; j < POGO_NELEM(keys); j++)
			if (strcmp(k->str, keys[j]) == 0)
				break;
		if (j == POGO_NELEM(keys)) {
			xasprintf(cause, "%s: line %d: unknown key '%s'", path,
			    k->line, k->str);
			goto out;
		}
		if (v->kind != POGO_YAML_SCALAR) {
			xasprintf(cause, "%s: line %d: '%s' is not a scalar",
			    path, v->line, k->str);
			goto out;
		}
		free(*fields[j]);
		*fields[j] = NULL;
		if (!v->null)
			*fields[j] = j == 0 || j == 6 || j >= 7
			    ? xstrdup(v->str)
			    : client_path(v->str);
	}
	r = 0;
out:
	if (r != 0)
		pogo_client_cfg_release(cfg);
	pogo_yaml_free(root);
	free(why);
	free(text);
	free(path);
	return r;
}

int
pogo_client_cfg_token(struct pogo_client_cfg *cfg, char **cause)
{
	const char *env = getenv("POGO_TOKEN");
	char *text = NULL, *cur, *line;
	size_t len;
	int r;

	*cause = NULL;
	if (env != NULL && env[0] != '\0') {
		pogo_client_cfg_set(&cfg->token, env);
		return 0;
	}
	if (cfg->token_file == NULL || cfg->token_file[0] == '\0')
		return 0;
	if ((r = pogo_str_read_file(cfg->token_file, 64 * 1024, &text, &len)) !=
	    0) {
		xasprintf(cause, "token_file: %s: %s", cfg->token_file,
		    pogo_strerror(r));
		return POGO_ERR_CONFIG;
	}
	cur = text;
	while ((line = pogo_str_next_line(&cur)) != NULL) {
		line += strspn(line, " \t\r");
		line[strcspn(line, " \t\r")] = '\0';
		if (line[0] != '\0' && line[0] != '#')
			break;
	}
	if (line == NULL) {
		xasprintf(cause, "token_file: %s: no token", cfg->token_file);
		r = POGO_ERR_CONFIG;
	} else
		pogo_client_cfg_set(&cfg->token, line);
	pogo_freezero(text, len);
	return r;
}

/* ------------------------------------------------------------------ */
/* URL, job ids, encoding. */

void
pogo_client_url_release(struct pogo_client_url *u)
{
	free(u->host);
	free(u->prefix);
	memset(u, 0, sizeof(*u));
}

int
pogo_client_url_parse(const char *url, struct pogo_client_url *u, char **cause)
{
	const char *p, *end, *slash;
	long long port;
	char *ps;

	memset(u, 0, sizeof(*u));
	*cause = NULL;
	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0) {
		u->tls = true;
		p = url + 8;
	} else
		goto bad;
	u->port = u->tls ? 443 : 80;
	slash = p + strcspn(p, "/?#");
	if (*slash == '?' || *slash == '#')
		goto bad;
	if (*p == '[') {
		if ((end = memchr(p, ']', (size_t)(slash - p))) == NULL ||
		    end == p + 1)
			goto bad;
		u->host = xstrndup(p + 1, (size_t)(end - p - 1));
		end++;
	} else {
		end = p + strcspn(p, ":/");
		if (end > slash)
			end = slash;
		if (end == p)
			goto bad;
		u->host = xstrndup(p, (size_t)(end - p));
	}
	if (strpbrk(u->host, "@ \t") != NULL)
		goto bad;
	if (end < slash) {
		if (*end != ':' || end + 1 == slash)
			goto bad;
		ps = xstrndup(end + 1, (size_t)(slash - end - 1));
		if (pogo_strtonum(ps, 1, 65535, &port) != 0) {
			free(ps);
			goto bad;
		}
		free(ps);
		u->port = (int)port;
	}
	u->prefix = xstrdup(slash);
	if (strpbrk(u->prefix, "?# \t") != NULL)
		goto bad;
	while (u->prefix[0] != '\0' && u->prefix[strlen(u->prefix) - 1] == '/')
		u->prefix[strlen(u->prefix) - 1] = '\0';
	return 0;
bad:
	pogo_client_url_release(u);
	xasprintf(cause, "invalid API URL '%s'", url);
	return POGO_ERR_CONFIG;
}

int
pogo_client_jobid(const char *arg, char *out, size_t len)
{
	size_t i, nl = 0, nd;
	long long v;

	while (arg[nl] >= 'a' && arg[nl] <= 'z')
		nl++;
	nd = strspn(arg + nl, "0123456789");
	if (nd == 0 || arg[nl + nd] != '\0' || len < 16)
		return POGO_ERR_RANGE;
	if (nl >= 1 && nl <= 3 && nd == 10) {
		snprintf(out, len, "%s", arg);
		return 0;
	}
	if ((nl != 0 && !(nl == 1 && arg[0] == 'p')) || nd > 10)
		return POGO_ERR_RANGE;
	for (i = 0, v = 0; i < nd; i++)
		v = v * 10 + (arg[nl + i] - '0');
	snprintf(out, len, "p%010lld", v);
	return 0;
}

long long
pogo_client_ll(const struct pogo_json *v)
{
	double d = pogo_json_number(v);

	if (isnan(d))
		return 0;
	if (d > 4611686018427387904.0)
		return 4611686018427387904LL;
	if (d < -4611686018427387904.0)
		return -4611686018427387904LL;
	return (long long)d;
}

bool
pogo_client_log_next(const struct pogo_json *e, long long offset)
{
	const struct pogo_json *v = pogo_json_get(e, "index");

	return pogo_json_kind(v) == POGO_JSON_NUMBER && offset >= 0 &&
	    offset <= UINT32_MAX && pogo_json_number(v) == (double)offset;
}

void
pogo_client_urlenc(char **bufp, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t old = *bufp != NULL ? strlen(*bufp) : 0, n = old;
	unsigned char c;
	char *b;

	b = xreallocarray(*bufp, 1, old + 3 * strlen(s) + 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			b[n++] = (char)c;
		else {
			b[n++] = '%';
			b[n++] = hex[c >> 4];
			b[n++] = hex[c & 0xf];
		}
	}
	b[n] = '\0';
	*bufp = b;
}

/* ------------------------------------------------------------------ */
/* The envelope. */

/*
 * An upper bound of the number of values in the JSON text s[0..len): one
 * more than the commas, colons and openings outside strings.
 */
static size_t
client_json_values(const char *s, size_t len)
{
	size_t i, n = 1;
	bool str = false;

	for (i = 0; i < len; i++) {
		if (str) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				str = false;
		} else if (s[i] == '"')
			str = true;
		else if (s[i] == ',' || s[i] == ':' || s[i] == '[' ||
		    s[i] == '{')
			n++;
	}
	return n;
}

int
pogo_client_envelope(int status, const char *body, size_t len,
    struct pogo_json **docp, const struct pogo_json **respp, char **errp)
{
	const struct pogo_json *errs, *e, *resp, *meta, *rc, *msg;
	struct pogo_json *doc = NULL;
	char *s, *all = NULL, *t;

	*docp = NULL;
	*respp = NULL;
	*errp = NULL;
	/* Counted first: a tree costs some 80 bytes a value (review3 10). */
	if (client_json_values(body, len) > POGO_CLIENT_MAX_VALUES) {
		xasprintf(errp,
		    "HTTP %d %s: the answer has more than %d values", status,
		    pogo_http_status_text(status), POGO_CLIENT_MAX_VALUES);
		return POGO_ERR_PROTOCOL;
	}
	if (pogo_json_parse_object(body, len, &doc) != 0) {
		xasprintf(errp, "HTTP %d %s: not JSON", status,
		    pogo_http_status_text(status));
		return POGO_ERR_PROTOCOL;
	}
	errs = pogo_json_get(doc, "errors");
	if (pogo_json_kind(errs) == POGO_JSON_ARRAY) {
		for (e = pogo_json_first(errs); e != NULL;
		     e = pogo_json_next(e)) {
			if ((s = pogo_json_string(e, NULL)) == NULL)
				continue;
			if (all == NULL)
				all = s;
			else {
				xasprintf(&t, "%s; %s", all, s);
				free(all);
				free(s);
				all = t;
			}
		}
	}
	resp = pogo_json_get(doc, "response");
	meta = pogo_json_get(doc, "meta");
	rc = pogo_json_get(meta, "rc");
	if (all == NULL && (s = pogo_json_string(rc, NULL)) != NULL) {
		if (strcmp(s, "ok") != 0) {
			msg = pogo_json_get(resp, "message");
			all = pogo_json_string(msg, NULL);
			if (all == NULL)
				all = xstrdup(s);
		}
		free(s);
	}
	if (all == NULL && (status < 200 || status > 299))
		xasprintf(
		    &all, "HTTP %d %s", status, pogo_http_status_text(status));
	if (all == NULL && pogo_json_kind(resp) == POGO_JSON_NONE)
		xasprintf(&all, "HTTP %d: no response in the answer", status);
	if (all != NULL && all[0] == '\0') {
		free(all);
		xasprintf(&all, "HTTP %d %s: an error without a message",
		    status, pogo_http_status_text(status));
	}
	if (all != NULL) {
		pogo_json_free(doc);
		*errp = all;
		return POGO_ERR_PROTOCOL;
	}
	*docp = doc;
	*respp = resp;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The response parser. */

struct pogo_client_parser {
	llhttp_t http;
	llhttp_settings_t settings;
	size_t max;
	char *body;
	size_t len, cap;
	bool over;
	bool over_budget; /* over budget's room rather than max */
	struct pogo_client_budget *budget; /* shared, or NULL */
	size_t charged;                    /* bytes counted in budget */
	bool complete;
	bool head;       /* the answer to a HEAD: no body */
	bool keep_alive; /* the connection may carry another request */
	bool extra;      /* bytes after the answer */
	int status;
	/* The header being read: its name (longer ones: ignored). */
	char field[16];
	size_t fieldlen;
	bool field_long;
	bool in_retry_after; /* reading a Retry-After's value */
	/* Retry-After: its value, how many came, whether it was too long. */
	char retry_after[12];
	size_t ralen;
	unsigned nretry_after;
	bool ra_long;
};

static int
parser_on_header_field(llhttp_t *h, const char *at, size_t n)
{
	struct pogo_client_parser *p = h->data;

	if (n >= sizeof(p->field) - p->fieldlen)
		p->field_long = true;
	else {
		memcpy(p->field + p->fieldlen, at, n);
		p->fieldlen += n;
	}
	return 0;
}

static int
parser_on_header_field_complete(llhttp_t *h)
{
	struct pogo_client_parser *p = h->data;

	p->field[p->fieldlen] = '\0';
	p->in_retry_after =
	    !p->field_long && strcasecmp(p->field, "Retry-After") == 0;
	if (p->in_retry_after) {
		p->nretry_after++;
		p->ralen = 0;
	}
	p->fieldlen = 0;
	p->field_long = false;
	return 0;
}

static int
parser_on_header_value(llhttp_t *h, const char *at, size_t n)
{
	struct pogo_client_parser *p = h->data;

	if (!p->in_retry_after)
		return 0;
	if (n >= sizeof(p->retry_after) - p->ralen)
		p->ra_long = true;
	else {
		memcpy(p->retry_after + p->ralen, at, n);
		p->ralen += n;
	}
	return 0;
}

static int
parser_on_header_value_complete(llhttp_t *h)
{
	struct pogo_client_parser *p = h->data;

	p->retry_after[p->ralen] = '\0';
	p->in_retry_after = false;
	return 0;
}

static int
parser_on_headers_complete(llhttp_t *h)
{
	struct pogo_client_parser *p = h->data;

	p->status = h->status_code;
	/* llhttp's way to say that the answer has no body. */
	if (p->head)
		return 1;
	if (h->content_length > p->max && (h->flags & F_CONTENT_LENGTH)) {
		p->over = true;
		return -1;
	}
	if (p->budget != NULL && (h->flags & F_CONTENT_LENGTH) &&
	    h->content_length > p->budget->max - p->budget->used) {
		p->over = p->over_budget = true;
		return -1;
	}
	return 0;
}

static int
parser_on_body(llhttp_t *h, const char *at, size_t n)
{
	struct pogo_client_parser *p = h->data;

	if (n > p->max - p->len) {
		p->over = true;
		return -1;
	}
	if (p->budget != NULL) {
		if (n > p->budget->max - p->budget->used) {
			p->over = p->over_budget = true;
			return -1;
		}
		p->budget->used += n;
		p->charged += n;
	}
	if (p->len + n + 1 > p->cap) {
		p->cap =
		    p->len + n + 1 > 2 * p->cap ? p->len + n + 1 : 2 * p->cap;
		p->body = xreallocarray(p->body, 1, p->cap);
	}
	memcpy(p->body + p->len, at, n);
	p->len += n;
	p->body[p->len] = '\0';
	return 0;
}

static int
parser_on_message_complete(llhttp_t *h)
{
	struct pogo_client_parser *p = h->data;

	p->complete = true;
	p->keep_alive = llhttp_should_keep_alive(h) != 0;
	return HPE_PAUSED;
}

/* Give back what p counted in its budget, and leave it. */
static void
parser_unbudget(struct pogo_client_parser *p)
{
	if (p->budget != NULL)
		p->budget->used -= p->charged;
	p->charged = 0;
	p->budget = NULL;
}

void
pogo_client_parser_set_budget(
    struct pogo_client_parser *p, struct pogo_client_budget *b)
{
	parser_unbudget(p);
	p->budget = b;
}

bool
pogo_client_parser_over(const struct pogo_client_parser *p)
{
	return p->over;
}

struct pogo_client_parser *
pogo_client_parser_new(size_t max)
{
	struct pogo_client_parser *p = xcalloc(1, sizeof(*p));

	llhttp_settings_init(&p->settings);
	p->settings.on_header_field = parser_on_header_field;
	p->settings.on_header_field_complete = parser_on_header_field_complete;
	p->settings.on_header_value = parser_on_header_value;
	p->settings.on_header_value_complete = parser_on_header_value_complete;
	p->settings.on_headers_complete = parser_on_headers_complete;
	p->settings.on_body = parser_on_body;
	p->settings.on_message_complete = parser_on_message_complete;
	llhttp_init(&p->http, HTTP_RESPONSE, &p->settings);
	p->http.data = p;
	p->max = max;
	return p;
}

static int
parser_result(struct pogo_client_parser *p, llhttp_errno_t err, char **cause)
{
	*cause = NULL;
	if (p->complete)
		return 1;
	if (err == HPE_OK)
		return 0;
	if (p->over_budget)
		xasprintf(cause,
		    "the answers held at once would be larger than %zu bytes",
		    p->budget->max);
	else if (p->over)
		xasprintf(cause, "the answer is larger than %zu bytes", p->max);
	else
		xasprintf(cause, "malformed HTTP answer: %s",
		    llhttp_get_error_reason(&p->http));
	return POGO_ERR_PROTOCOL;
}

int
pogo_client_parser_feed(
    struct pogo_client_parser *p, const char *data, size_t len, char **cause)
{
	llhttp_errno_t err;

	if (p->complete) {
		*cause = NULL;
		p->extra = p->extra || len > 0;
		return 1;
	}
	err = llhttp_execute(&p->http, data, len);
	if (p->complete && err == HPE_PAUSED &&
	    llhttp_get_error_pos(&p->http) != data + len)
		p->extra = true;
	return parser_result(p, err, cause);
}

int
pogo_client_parser_eof(struct pogo_client_parser *p, char **cause)
{
	int r;

	if (p->complete) {
		*cause = NULL;
		return 1;
	}
	r = parser_result(p, llhttp_finish(&p->http), cause);
	if (r == 0) {
		xasprintf(cause,
		    "the connection closed before the answer "
		    "was complete");
		return POGO_ERR_PROTOCOL;
	}
	return r;
}

int
pogo_client_parser_status(const struct pogo_client_parser *p)
{
	return p->status;
}

const char *
pogo_client_parser_body(const struct pogo_client_parser *p, size_t *lenp)
{
	*lenp = p->len;
	return p->body != NULL ? p->body : "";
}

const char *
pogo_client_parser_retry_after(const struct pogo_client_parser *p)
{
	if (p->nretry_after != 1 || p->ra_long || p->ralen == 0 ||
	    p->ralen > 9 || strspn(p->retry_after, "0123456789") != p->ralen)
		return NULL;
	return p->retry_after;
}

void
pogo_client_parser_free(struct pogo_client_parser *p)
{
	if (p == NULL)
		return;
	parser_unbudget(p);
	free(p->body);
	free(p);
}

/* ------------------------------------------------------------------ */
/* Requests. */

struct client_req;
struct pool_conn;

struct pogo_client {
	uv_loop_t *loop;
	struct pogo_clock *clock;
	struct pogo_tls *tls;
	struct pogo_client_pool *pool; /* borrowed, or NULL */
	struct pogo_client_url url;
	char *api;
	char *token;
	struct client_req *req; /* the request in flight */
	size_t max_body;
	struct pogo_client_budget *budget; /* borrowed, or NULL */
	uint64_t refused_retry_ms;
	/* The answer's Retry-After, for its callback (or ""). */
	char retry_after[12];
	unsigned nalive; /* requests not freed yet */
	bool freeing;
};

struct client_req {
	struct pogo_client *c;
	struct pogo_stream *stream;
	uv_connect_t connect;
	uv_getaddrinfo_t resolve;
	bool resolving;
	struct pogo_clock_timer *timer;
	struct pogo_client_parser *parser;
	char *out;
	size_t outlen;
	pogo_client_cb cb;
	void *arg;
	bool done;
	bool head;       /* a HEAD: the answer has no body */
	bool idempotent; /* GET or HEAD: may be sent again */
	bool reused;     /* on a kept-alive connection of the pool */
	bool retried;    /* sent again once already */
	bool written;    /* the whole request went out */
	bool answered;   /* a byte of the answer came */
};

/*
 * The pool (client.h): idle connections, the most recently used first.
 * Every stream made for a client of the pool uses the pool's clock and
 * TLS configuration, so that it may outlive its client; the pool lives
 * on until the last of them is closed.
 */
struct pogo_client_pool {
	struct pogo_clock *clock;
	struct pogo_tls *tls; /* held, or NULL */
	size_t max;
	uint64_t idle_ms;
	struct pool_conn *idle;
	size_t nidle;
	unsigned nstreams; /* streams of the pool not closed yet */
	uint64_t opened;
	bool freeing;
};

struct pool_conn {
	struct pogo_client_pool *pool;
	struct pogo_stream *stream;
	struct pogo_clock_timer *timer;
	struct pool_conn *prev, *next;
};

static void client_maybe_free(struct pogo_client *c);
static void req_read(
    struct pogo_stream *s, ssize_t n, const char *buf, void *arg);
static void req_written(struct pogo_stream *s, int status, void *arg);
static void req_dial(struct client_req *q);

static void
pool_maybe_free(struct pogo_client_pool *p)
{
	if (!p->freeing || p->nstreams > 0)
		return;
	pogo_clock_free(p->clock);
	pogo_tls_free(p->tls);
	free(p);
}

/* A stream of the pool is closed (whoever had it). */
static void
pool_stream_closed(struct pogo_stream *s, void *arg)
{
	struct pogo_client_pool *p = arg;

	p->nstreams--;
	pool_maybe_free(p);
}

/* Take pc out of the idle list; its stream is the caller's. */
static struct pogo_stream *
pool_unlink(struct pool_conn *pc)
{
	struct pogo_client_pool *p = pc->pool;
	struct pogo_stream *s = pc->stream;

	if (pc->prev != NULL)
		pc->prev->next = pc->next;
	else
		p->idle = pc->next;
	if (pc->next != NULL)
		pc->next->prev = pc->prev;
	p->nidle--;
	pogo_clock_timer_free(pc->timer);
	free(pc);
	return s;
}

static void
pool_drop(struct pool_conn *pc)
{
	struct pogo_client_pool *p = pc->pool;

	pogo_stream_close(pool_unlink(pc), pool_stream_closed, p);
}

/*
 * An idle connection said something (the server closed it, or sent what
 * no request asked for): it is done.
 */
static void
pool_idle_read(struct pogo_stream *s, ssize_t n, const char *buf, void *arg)
{
	pool_drop(arg);
}

static void
pool_idle_timeout(struct pogo_clock_timer *t, void *arg)
{
	pool_drop(arg);
}

/* Keep s idle; false when the pool is full (s stays the caller's). */
static bool
pool_put(struct pogo_client_pool *p, struct pogo_stream *s)
{
	struct pool_conn *pc;

	if (p->freeing || p->nidle >= p->max)
		return false;
	pc = xcalloc(1, sizeof(*pc));
	pc->pool = p;
	pc->stream = s;
	pc->next = p->idle;
	if (p->idle != NULL)
		p->idle->prev = pc;
	p->idle = pc;
	p->nidle++;
	pogo_stream_set_read_cb(s, pool_idle_read, pc);
	pc->timer = pogo_clock_timer_new(p->clock, pool_idle_timeout, pc);
	pogo_clock_timer_start(pc->timer, p->idle_ms);
	return true;
}

struct pogo_client_pool *
pogo_client_pool_new(
    uv_loop_t *loop, struct pogo_tls *tls, size_t max, uint64_t idle_ms)
{
	struct pogo_client_pool *p = xcalloc(1, sizeof(*p));

	p->clock = pogo_clock_uv_new(loop);
	p->tls = tls != NULL ? pogo_tls_ref(tls) : NULL;
	p->max = max;
	p->idle_ms = idle_ms;
	return p;
}

void
pogo_client_pool_free(struct pogo_client_pool *p)
{
	if (p == NULL)
		return;
	p->freeing = true;
	while (p->idle != NULL)
		pool_drop(p->idle);
	pool_maybe_free(p);
}

uint64_t
pogo_client_pool_opened(const struct pogo_client_pool *p)
{
	return p->opened;
}

size_t
pogo_client_pool_idle(const struct pogo_client_pool *p)
{
	return p->nidle;
}

/* A new parser for q's answer. */
static void
req_parser(struct client_req *q)
{
	q->parser = pogo_client_parser_new(q->c->max_body);
	q->parser->head = q->head;
	pogo_client_parser_set_budget(q->parser, q->c->budget);
}

static void
req_free(struct client_req *q)
{
	struct pogo_client *c = q->c;

	pogo_client_parser_free(q->parser);
	/* The request written held the token (and maybe secret boxes). */
	if (q->out != NULL)
		pogo_freezero(q->out, q->outlen);
	free(q);
	c->nalive--;
	client_maybe_free(c);
}

static void
req_stream_closed(struct pogo_stream *s, void *arg)
{
	struct client_req *q = arg;

	if (q->c->pool != NULL)
		pool_stream_closed(s, q->c->pool);
	q->stream = NULL;
	if (!q->resolving)
		req_free(q);
}

/* Answer the caller once, then close everything of q. */
static void
req_finish(struct client_req *q, int err, const char *cause)
{
	struct pogo_client_pool *pool = q->c->pool;
	const char *body = "", *ra;
	size_t len = 0;
	int status = 0;

	if (q->done)
		return;
	q->done = true;
	q->c->req = NULL;
	pogo_clock_timer_free(q->timer);
	q->timer = NULL;
	q->c->retry_after[0] = '\0';
	if (err == 0) {
		body = pogo_client_parser_body(q->parser, &len);
		if ((ra = pogo_client_parser_retry_after(q->parser)) != NULL)
			strlcpy(
			    q->c->retry_after, ra, sizeof(q->c->retry_after));
	}
	if (q->parser != NULL)
		status = pogo_client_parser_status(q->parser);
	q->cb(err, cause, status, body, len, q->arg);
	/* (Now: the budget's owner may be gone when q is freed.) */
	if (q->parser != NULL)
		parser_unbudget(q->parser);
	if (q->resolving)
		uv_cancel((uv_req_t *)&q->resolve);
	/*
	 * A complete answer on a connection the server keeps open, with
	 * nothing more on it and the request written out: it may carry
	 * another request.
	 */
	if (err == 0 && pool != NULL && q->stream != NULL && q->written &&
	    !pogo_stream_closing(q->stream) && q->parser->keep_alive &&
	    !q->parser->extra && pool_put(pool, q->stream)) {
		q->stream = NULL;
		req_free(q);
		return;
	}
	if (q->stream != NULL && !pogo_stream_closing(q->stream))
		pogo_stream_close(q->stream, req_stream_closed, q);
}

/*
 * q's connection failed.  A request sent on a kept-alive connection
 * that the server closed before answering (it may have closed it just
 * as the request left) is sent once more on a new connection, if sending
 * it again is harmless (GET, HEAD); anything else is answered err.
 */
static void
req_fail(struct client_req *q, int err, const char *cause)
{
	struct pogo_stream *s = q->stream;

	if (!q->reused || q->retried || q->answered || !q->idempotent) {
		req_finish(q, err, cause);
		return;
	}
	log_debug("client: a kept-alive connection failed (%s); sending "
	          "again on a new one",
	    cause != NULL ? cause : pogo_strerror(err));
	q->retried = true;
	q->reused = false;
	q->written = false;
	q->stream = NULL;
	pogo_stream_close(s, pool_stream_closed, q->c->pool);
	pogo_client_parser_free(q->parser);
	req_parser(q);
	req_dial(q);
}

static void
req_timeout(struct pogo_clock_timer *t, void *arg)
{
	req_finish(arg, POGO_ERR_TIMEOUT, "timed out");
}

static void
req_read(struct pogo_stream *s, ssize_t n, const char *buf, void *arg)
{
	struct client_req *q = arg;
	char *cause = NULL, *msg;
	int r;

	if (q->done || s != q->stream)
		return;
	if (n > 0) {
		q->answered = true;
		r = pogo_client_parser_feed(q->parser, buf, (size_t)n, &cause);
	} else if (n == UV_EOF && !q->answered) {
		req_fail(q, (int)n,
		    "the connection closed before the answer "
		    "was complete");
		return;
	} else if (n == UV_EOF)
		r = pogo_client_parser_eof(q->parser, &cause);
	else {
		if (pogo_stream_cause(s)[0] != '\0')
			msg = xstrdup(pogo_stream_cause(s));
		else
			msg = xstrdup(uv_strerror((int)n));
		req_fail(q, (int)n, msg);
		free(msg);
		return;
	}
	if (r == 1)
		req_finish(q, 0, NULL);
	else if (r < 0)
		req_finish(q, q->parser->over ? POGO_ERR_LIMIT : r, cause);
	free(cause);
}

static void
req_written(struct pogo_stream *s, int status, void *arg)
{
	struct client_req *q = arg;

	if (status == UV_ECANCELED || q->done || s != q->stream)
		return;
	if (status < 0)
		req_fail(q, status, uv_strerror(status));
	else
		q->written = true;
}

/* Send q's request on its connected stream. */
static void
req_send(struct client_req *q)
{
	int r;

	if ((r = pogo_stream_write(
	         q->stream, q->out, q->outlen, req_written, q)) != 0)
		req_fail(q, r, uv_strerror(r));
}

static void
req_connected(uv_connect_t *creq, int status)
{
	struct client_req *q = container_of(creq, struct client_req, connect);
	int r;

	if (q->done)
		return;
	if (status < 0) {
		req_finish(q, status, uv_strerror(status));
		return;
	}
	if ((r = pogo_stream_start(q->stream, req_read, q)) != 0) {
		req_finish(q, r, uv_strerror(r));
		return;
	}
	req_send(q);
}

static void
req_connect(struct client_req *q, const struct sockaddr *sa)
{
	struct pogo_client *c = q->c;
	struct pogo_client_pool *pool = c->pool;
	int r;

	if (pool != NULL) {
		q->stream = pogo_stream_new(c->loop, POGO_STREAM_TCP, pool->tls,
		    pool->clock, POGO_STREAM_HANDSHAKE_MS);
		pool->nstreams++;
		pool->opened++;
	} else
		q->stream = pogo_stream_new(c->loop, POGO_STREAM_TCP, c->tls,
		    c->clock, POGO_STREAM_HANDSHAKE_MS);
	if ((r = uv_tcp_connect(&q->connect, pogo_stream_tcp(q->stream), sa,
	         req_connected)) != 0)
		req_finish(q, r, uv_strerror(r));
}

static void
req_resolved(uv_getaddrinfo_t *rreq, int status, struct addrinfo *res)
{
	struct client_req *q = container_of(rreq, struct client_req, resolve);
	char *msg;

	q->resolving = false;
	if (q->done) {
		uv_freeaddrinfo(res);
		if (q->stream == NULL)
			req_free(q);
		return;
	}
	if (status < 0 || res == NULL) {
		xasprintf(&msg, "cannot resolve %s: %s", q->c->url.host,
		    uv_strerror(status));
		req_finish(q, status < 0 ? status : UV_EAI_NONAME, msg);
		free(msg);
		uv_freeaddrinfo(res);
		if (q->stream == NULL)
			req_free(q);
		return;
	}
	req_connect(q, res->ai_addr);
	uv_freeaddrinfo(res);
}

/* A new connection for q: its address, then connect. */
static void
req_dial(struct client_req *q)
{
	struct pogo_client *c = q->c;
	struct sockaddr_storage ss;
	struct addrinfo hints;
	char port[16];
	int r;

	memset(&ss, 0, sizeof(ss));
	if (uv_ip4_addr(c->url.host, c->url.port, (struct sockaddr_in *)&ss) ==
	        0 ||
	    uv_ip6_addr(c->url.host, c->url.port, (struct sockaddr_in6 *)&ss) ==
	        0) {
		req_connect(q, (struct sockaddr *)&ss);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", c->url.port);
	q->resolving = true;
	if ((r = uv_getaddrinfo(c->loop, &q->resolve, req_resolved, c->url.host,
	         port, &hints)) != 0) {
		q->resolving = false;
		req_finish(q, r, uv_strerror(r));
		if (q->stream == NULL)
			req_free(q);
	}
}

void
pogo_client_request(struct pogo_client *c, const char *method,
    const char *target, const char *body, uint64_t timeout_ms,
    pogo_client_cb cb, void *arg)
{
	struct pogo_client_msg m = { 0 };

	m.method = method;
	m.target = target;
	m.body = body;
	m.len = body != NULL ? strlen(body) : 0;
	m.timeout_ms = timeout_ms;
	pogo_client_send(c, &m, cb, arg);
}

void
pogo_client_send(struct pogo_client *c, const struct pogo_client_msg *m,
    pogo_client_cb cb, void *arg)
{
	struct client_req *q = xcalloc(1, sizeof(*q));
	struct pogo_client_pool *pool = c->pool;
	char *auth = NULL, *hosthdr, *head, *ct = NULL;
	bool v6 = strchr(c->url.host, ':') != NULL;
	uint64_t timeout_ms = m->timeout_ms;
	int r;

	POGO_ASSERT(c->req == NULL && !c->freeing);
	POGO_ASSERT(pool == NULL || !pool->freeing);
	q->c = c;
	q->cb = cb;
	q->arg = arg;
	q->head = strcmp(m->method, "HEAD") == 0;
	q->idempotent = q->head || strcmp(m->method, "GET") == 0;
	req_parser(q);
	c->req = q;
	c->nalive++;
	if (c->token != NULL)
		xasprintf(&auth, "Authorization: Bearer %s\r\n", c->token);
	if ((c->url.tls && c->url.port == 443) ||
	    (!c->url.tls && c->url.port == 80))
		xasprintf(&hosthdr, v6 ? "[%s]" : "%s", c->url.host);
	else
		xasprintf(&hosthdr, v6 ? "[%s]:%d" : "%s:%d", c->url.host,
		    c->url.port);
	if (m->body != NULL)
		xasprintf(&ct, "Content-Type: %s\r\n",
		    m->content_type != NULL
		        ? m->content_type
		        : "application/x-www-form-urlencoded");
	/* With a pool the connection stays open (HTTP/1.1's default). */
	r = xasprintf(&head,
	    "%s %s%s HTTP/1.1\r\nHost: %s\r\n%s"
	    "Accept: application/json\r\nUser-Agent: pogo\r\n%s%s%s"
	    "Content-Length: %zu\r\n\r\n",
	    m->method, c->url.prefix, m->target, hosthdr,
	    pool != NULL ? "" : "Connection: close\r\n",
	    auth != NULL ? auth : "", m->headers != NULL ? m->headers : "",
	    ct != NULL ? ct : "", m->body != NULL ? m->len : 0);
	q->out = xmalloc((size_t)r + (m->body != NULL ? m->len : 0) + 1);
	memcpy(q->out, head, (size_t)r);
	if (m->body != NULL)
		memcpy(q->out + r, m->body, m->len);
	r += m->body != NULL ? (int)m->len : 0;
	pogo_freezero(head, strlen(head));
	free(ct);
	q->outlen = (size_t)r;
	if (auth != NULL)
		pogo_freezero(auth, strlen(auth));
	free(hosthdr);
	q->timer = pogo_clock_timer_new(c->clock, req_timeout, q);
	pogo_clock_timer_start(
	    q->timer, timeout_ms != 0 ? timeout_ms : POGO_CLIENT_TIMEOUT_MS);
	/*
	 * An idle connection of the pool for a request that may be sent
	 * again if the server closed it meanwhile; any other request opens
	 * its own (its connection joins the pool afterwards).
	 */
	if (pool != NULL && q->idempotent && pool->idle != NULL) {
		q->stream = pool_unlink(pool->idle);
		q->reused = true;
		pogo_stream_set_read_cb(q->stream, req_read, q);
		req_send(q);
		return;
	}
	req_dial(q);
}

int
pogo_client_new(uv_loop_t *loop, const struct pogo_client_opts *o,
    struct pogo_client **cp, char **cause)
{
	struct pogo_client *c = xcalloc(1, sizeof(*c));
	struct pogo_tls_opts to;
	size_t n;
	int r;

	*cp = NULL;
	*cause = NULL;
	if ((r = pogo_client_url_parse(o->api, &c->url, cause)) != 0) {
		free(c);
		return r;
	}
	/* SPEC 11.1: a token over HTTPS, or HTTP on loopback only. */
	if (o->token != NULL && !c->url.tls && !o->insecure &&
	    !pogo_http_name_is_loopback(c->url.host)) {
		xasprintf(cause,
		    "refusing to send the token over plain HTTP to %s; use "
		    "https",
		    c->url.host);
		pogo_client_url_release(&c->url);
		free(c);
		return POGO_ERR_CONFIG;
	}
	c->loop = loop;
	c->pool = o->pool;
	c->max_body = o->max_body != 0 ? o->max_body : POGO_CLIENT_MAX_BODY;
	c->refused_retry_ms = o->refused_retry_ms;
	c->budget = o->budget;
	c->api = xstrdup(o->api);
	n = strlen(c->api);
	while (n > 0 && c->api[n - 1] == '/')
		c->api[--n] = '\0';
	if (o->token != NULL)
		c->token = xstrdup(o->token);
	if (c->url.tls && o->tls != NULL)
		c->tls = pogo_tls_ref(o->tls);
	else if (c->url.tls) {
		memset(&to, 0, sizeof(to));
		to.ca_cert = o->ca;
		to.cert = o->cert;
		to.key = o->key;
		to.peer_kind = "dispatcher";
		to.hostname = c->url.host;
		to.no_cert = o->cert == NULL || o->cert[0] == '\0';
		if ((r = pogo_tls_new(&to, &c->tls, cause)) != 0) {
			pogo_client_url_release(&c->url);
			free(c->api);
			free(c->token);
			free(c);
			return r;
		}
	}
	c->clock = pogo_clock_uv_new(loop);
	*cp = c;
	return 0;
}

const char *
pogo_client_retry_after(const struct pogo_client *c)
{
	return c->retry_after[0] != '\0' ? c->retry_after : NULL;
}

const char *
pogo_client_api(const struct pogo_client *c)
{
	return c->api;
}

static void
client_maybe_free(struct pogo_client *c)
{
	if (!c->freeing || c->nalive > 0)
		return;
	pogo_clock_free(c->clock);
	pogo_tls_free(c->tls);
	pogo_client_url_release(&c->url);
	free(c->api);
	if (c->token != NULL)
		pogo_freezero(c->token, strlen(c->token));
	free(c);
}

void
pogo_client_cancel(struct pogo_client *c)
{
	if (c->req != NULL)
		req_finish(c->req, UV_ECANCELED, "cancelled");
}

void
pogo_client_free(struct pogo_client *c)
{
	if (c == NULL)
		return;
	POGO_ASSERT(c->req == NULL);
	c->freeing = true;
	client_maybe_free(c);
}

struct client_call {
	bool done;
	int err;
	char *cause;
	int status;
	int r;
	struct pogo_json *doc;
	const struct pogo_json *resp;
	char *errmsg;
};

/* The envelope read from the body borrowed for the call: no copy. */
static void
client_call_cb(int err, const char *cause, int status, const char *body,
    size_t len, void *arg)
{
	struct client_call *cc = arg;

	cc->done = true;
	cc->err = err;
	cc->cause = cause != NULL ? xstrdup(cause) : NULL;
	cc->status = status;
	if (err == 0)
		cc->r = pogo_client_envelope(
		    status, body, len, &cc->doc, &cc->resp, &cc->errmsg);
}

static void
client_call_pause_cb(uv_timer_t *t)
{
}

static void
client_call_paused_cb(uv_handle_t *h)
{
	*(bool *)h->data = false;
}

int
pogo_client_call(struct pogo_client *c, const char *method, const char *target,
    const char *body, uint64_t timeout_ms, struct pogo_json **docp,
    const struct pogo_json **respp, int *statusp, char **errp)
{
	struct client_call cc;
	uint64_t start = uv_hrtime() / 1000000;
	uv_timer_t pause;
	bool paused = false;

	*docp = NULL;
	*respp = NULL;
	*errp = NULL;
	for (;;) {
		memset(&cc, 0, sizeof(cc));
		pogo_client_request(
		    c, method, target, body, timeout_ms, client_call_cb, &cc);
		while (!cc.done)
			uv_run(c->loop, UV_RUN_ONCE);
		if (cc.err != UV_ECONNREFUSED ||
		    uv_hrtime() / 1000000 - start >= c->refused_retry_ms)
			break;
		free(cc.cause);
		if (!paused) {
			uv_timer_init(c->loop, &pause);
			paused = true;
		}
		uv_timer_start(&pause, client_call_pause_cb, 100, 0);
		while (uv_is_active((uv_handle_t *)&pause))
			uv_run(c->loop, UV_RUN_ONCE);
	}
	if (paused) {
		pause.data = &paused;
		uv_close((uv_handle_t *)&pause, client_call_paused_cb);
		while (paused)
			uv_run(c->loop, UV_RUN_ONCE);
	}
	if (statusp != NULL)
		*statusp = cc.status;
	if (cc.err != 0) {
		*errp = cc.cause != NULL ? cc.cause
		                         : xstrdup(pogo_strerror(cc.err));
		return cc.err;
	}
	*docp = cc.doc;
	*respp = cc.resp;
	*errp = cc.errmsg;
	free(cc.cause);
	return cc.r;
}
