/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The daemon configuration file.  The only file that includes libcyaml;
 * cyaml_err_t becomes POGO_ERR_CONFIG with a cause here.
 *
 * Two steps.  libcyaml loads the document into a "raw" tree that mirrors
 * the file: every leaf is a string or a list of strings, NULL when absent
 * (or empty, or null; a listen address only when absent).  -o overrides
 * replace leaves of that tree, each VALUE loaded by libcyaml with the
 * leaf's own schema.  Then the raw tree becomes struct pogo_cfg:
 * defaults, strict numbers, addresses, paths.
 */
#include "pogo/compat.h"

#include <ctype.h>
#include <pwd.h>
#include <unistd.h>

#include <cyaml/cyaml.h>

#include "pogo/cfg.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/* The file as libcyaml loads it. */
struct cfg_raw_tls {
	char *ca_cert;
	char *cert;
	char *key;
	char **pins;
	uint32_t pins_count;
};

struct cfg_raw_api {
	char *listen;
	char *dispatcher;
	char *auth;
	char *token_file;
	char **admins;
	uint32_t admins_count;
	char *worker_cert;
	char *max_long_polls;
	char *max_buffered;
};

struct cfg_raw_dispatcher {
	char *worker_listen;
	char *control_listen;
	char *namespace_dir;
	char *resolver_path;
	char *lost_worker_grace;
	char *retention_days;
	char *local_tasks_for_all;
};

struct cfg_raw_ssh {
	char *user;
	char *port;
	char **identity_files;
	uint32_t identity_files_count;
	char *config;
	char *known_hosts;
	char *host_key_check;
	char *connect_timeout;
};

struct cfg_raw_worker {
	char *name;
	char **dispatchers;
	uint32_t dispatchers_count;
	char *reconnect_delay;
	char *max_tasks;
	char *max_handshakes;
	char *max_output;
	char *use_local_identity;
	char *hook_dir;
	struct cfg_raw_ssh *ssh;
};

struct cfg_raw {
	char *state_dir;
	char *log_level;
	char *log_file;
	char *pid_file;
	char *insecure;
	struct cfg_raw_tls *tls;
	struct cfg_raw_api *api;
	struct cfg_raw_dispatcher *dispatcher;
	struct cfg_raw_worker *worker;
};

/* Absent, empty and null values all load as NULL: the default. */
#define CFG_OPT (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER_NULL_STR)
#define CFG_MAX_SCALAR 64 /* numbers, booleans, enums */

#define CFG_STR(key, st, m, max) \
	CYAML_FIELD_STRING_PTR(key, CFG_OPT, st, m, 0, max)
#define CFG_PATH(key, st, m) CFG_STR(key, st, m, POGO_CFG_MAX_STRING)
#define CFG_SCALAR(key, st, m) CFG_STR(key, st, m, CFG_MAX_SCALAR)
/*
 * A listen address takes only absence as its default: an empty or null
 * value loads as itself ("", "~", "null"), which cfg_addr refuses (#9).
 */
#define CFG_LISTEN(key, st, m)                                                \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER, \
	    st, m, 0, POGO_CFG_MAX_NAME)
#define CFG_LIST(key, st, m, entry, max) \
	CYAML_FIELD_SEQUENCE(key, CFG_OPT, st, m, entry, 0, max)
#define CFG_SECTION(key, st, m, fields) \
	CYAML_FIELD_MAPPING_PTR(key, CFG_OPT, st, m, fields)

static const cyaml_schema_value_t cfg_entry_path = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, POGO_CFG_MAX_STRING),
};
static const cyaml_schema_value_t cfg_entry_name = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, POGO_CFG_MAX_NAME),
};

static const cyaml_schema_field_t cfg_tls_fields[] = {
	CFG_PATH("ca_cert", struct cfg_raw_tls, ca_cert),
	CFG_PATH("cert", struct cfg_raw_tls, cert),
	CFG_PATH("key", struct cfg_raw_tls, key),
	CFG_LIST("pins", struct cfg_raw_tls, pins, &cfg_entry_name,
	    POGO_CFG_MAX_PINS),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cfg_api_fields[] = {
	CFG_LISTEN("listen", struct cfg_raw_api, listen),
	CFG_STR(
	    "dispatcher", struct cfg_raw_api, dispatcher, POGO_CFG_MAX_NAME),
	CFG_SCALAR("auth", struct cfg_raw_api, auth),
	CFG_PATH("token_file", struct cfg_raw_api, token_file),
	CFG_LIST("admins", struct cfg_raw_api, admins, &cfg_entry_name,
	    POGO_CFG_MAX_ADMINS),
	CFG_PATH("worker_cert", struct cfg_raw_api, worker_cert),
	CFG_SCALAR("max_long_polls", struct cfg_raw_api, max_long_polls),
	CFG_SCALAR("max_buffered", struct cfg_raw_api, max_buffered),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cfg_dispatcher_fields[] = {
	CFG_LISTEN("worker_listen", struct cfg_raw_dispatcher, worker_listen),
	CFG_LISTEN("control_listen", struct cfg_raw_dispatcher, control_listen),
	CFG_PATH("namespace_dir", struct cfg_raw_dispatcher, namespace_dir),
	CFG_PATH("resolver_path", struct cfg_raw_dispatcher, resolver_path),
	CFG_SCALAR(
	    "lost_worker_grace", struct cfg_raw_dispatcher, lost_worker_grace),
	CFG_SCALAR("retention_days", struct cfg_raw_dispatcher, retention_days),
	CFG_SCALAR("local_tasks_for_all", struct cfg_raw_dispatcher,
	    local_tasks_for_all),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cfg_ssh_fields[] = {
	CFG_STR("user", struct cfg_raw_ssh, user, POGO_CFG_MAX_NAME),
	CFG_SCALAR("port", struct cfg_raw_ssh, port),
	CFG_LIST("identity_files", struct cfg_raw_ssh, identity_files,
	    &cfg_entry_path, POGO_CFG_MAX_IDENTITIES),
	CFG_PATH("config", struct cfg_raw_ssh, config),
	CFG_PATH("known_hosts", struct cfg_raw_ssh, known_hosts),
	CFG_SCALAR("host_key_check", struct cfg_raw_ssh, host_key_check),
	CFG_SCALAR("connect_timeout", struct cfg_raw_ssh, connect_timeout),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cfg_worker_fields[] = {
	CFG_STR("name", struct cfg_raw_worker, name, POGO_CFG_MAX_NAME),
	CFG_LIST("dispatchers", struct cfg_raw_worker, dispatchers,
	    &cfg_entry_name, POGO_CFG_MAX_DISPATCHERS),
	CFG_SCALAR("reconnect_delay", struct cfg_raw_worker, reconnect_delay),
	CFG_SCALAR("max_tasks", struct cfg_raw_worker, max_tasks),
	CFG_SCALAR("max_handshakes", struct cfg_raw_worker, max_handshakes),
	CFG_SCALAR("max_output", struct cfg_raw_worker, max_output),
	CFG_SCALAR(
	    "use_local_identity", struct cfg_raw_worker, use_local_identity),
	CFG_PATH("hook_dir", struct cfg_raw_worker, hook_dir),
	CFG_SECTION("ssh", struct cfg_raw_worker, ssh, cfg_ssh_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t cfg_fields[] = {
	CFG_PATH("state_dir", struct cfg_raw, state_dir),
	CFG_SCALAR("log_level", struct cfg_raw, log_level),
	CFG_PATH("log_file", struct cfg_raw, log_file),
	CFG_PATH("pid_file", struct cfg_raw, pid_file),
	CFG_SCALAR("insecure", struct cfg_raw, insecure),
	CFG_SECTION("tls", struct cfg_raw, tls, cfg_tls_fields),
	CFG_SECTION("api", struct cfg_raw, api, cfg_api_fields),
	CFG_SECTION(
	    "dispatcher", struct cfg_raw, dispatcher, cfg_dispatcher_fields),
	CFG_SECTION("worker", struct cfg_raw, worker, cfg_worker_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t cfg_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct cfg_raw, cfg_fields),
};

/* A load in progress: libcyaml's messages and the overridden keys. */
struct cfg_ctx {
	cyaml_config_t cc;
	struct pogo_strv logs;
	struct pogo_strv warnings;
	struct pogo_strv overridden; /* "KEY=VALUE" as given, by key */
	const char *name;
	const char *home;
	char *cause;
};

#define CFG_MAX_LOG_LINES 32

static void *
cfg_mem(void *ctx, void *ptr, size_t size)
{
	if (size == 0) {
		free(ptr);
		return NULL;
	}
	return xreallocarray(ptr, size, 1);
}

static void cfg_log_cb(cyaml_log_t level, void *arg, const char *fmt,
    va_list ap) POGO_PRINTFLIKE(3, 0);

static void
cfg_log_cb(cyaml_log_t level, void *arg, const char *fmt, va_list ap)
{
	struct cfg_ctx *c = arg;
	struct pogo_strv *sv =
	    level >= CYAML_LOG_ERROR ? &c->logs : &c->warnings;
	char *line;
	size_t len;

	if (sv->n >= CFG_MAX_LOG_LINES)
		return;
	xvasprintf(&line, fmt, ap);
	len = strlen(line);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
		line[--len] = '\0';
	pogo_strv_take(sv, line);
}

static void
cfg_ctx_init(struct cfg_ctx *c, const char *name, const char *home)
{
	memset(c, 0, sizeof(*c));
	c->cc.log_fn = cfg_log_cb;
	c->cc.log_ctx = c;
	c->cc.mem_fn = cfg_mem;
	c->cc.log_level = CYAML_LOG_WARNING;
	c->cc.flags = CYAML_CFG_DEFAULT;
	c->name = name;
	c->home = home;
}

static void
cfg_ctx_release(struct cfg_ctx *c)
{
	pogo_strv_clear(&c->logs);
	pogo_strv_clear(&c->warnings);
	pogo_strv_clear(&c->overridden);
	free(c->cause);
}

/* Copy at most 80 bytes of s, control bytes as '?', for a message. */
static char *
cfg_quote(const char *s)
{
	size_t i, n = strlen(s);
	char *q;

	q = xmalloc(n > 80 ? 84 : n + 1);
	for (i = 0; i < n && i < 80; i++)
		q[i] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	if (n > 80)
		memcpy(q + i, "...", 4);
	else
		q[i] = '\0';
	return q;
}

/*
 * Turn libcyaml's log of a failed load into one line: the problem, the
 * dotted key (from the backtrace) and the position of the innermost
 * entry that has one.  prefix is "FILE" or "-o KEY=VALUE".
 */
static void
cfg_cyaml_cause(
    struct cfg_ctx *c, const char *prefix, const char *base, cyaml_err_t e)
{
	char path[512], *msg, *q, *p, *s;
	const char *problem = NULL, *bt;
	size_t i, n;
	int line = 0, col = 0, l, k;
	bool unknown = false, dup = false;

	path[0] = '\0';
	if (base != NULL)
		snprintf(path, sizeof(path), "%s", base);
	/*
	 * The backtrace is innermost first: collect outermost first.  Its
	 * sequence indexes are not reliable in libcyaml 1.3; the position
	 * tells the entry.
	 */
	for (i = c->logs.n; i > 0; i--) {
		bt = c->logs.v[i - 1];
		if ((s = strstr(bt, "in mapping field '")) != NULL) {
			s += strlen("in mapping field '");
			if ((p = strchr(s, '\'')) == NULL)
				continue;
			n = strlen(path);
			snprintf(path + n, sizeof(path) - n, "%s%.*s",
			    n > 0 ? "." : "", (int)(p - s), s);
		}
	}
	for (i = 0; i < c->logs.n; i++) {
		s = strstr(c->logs.v[i], "(line: ");
		if (s != NULL &&
		    sscanf(s, "(line: %d, column: %d)", &l, &k) == 2) {
			line = l;
			col = k;
			break;
		}
	}
	msg = c->logs.n > 0 ? c->logs.v[0] : NULL;
	if (msg != NULL && strncmp(msg, "Load: ", 6) == 0)
		msg += 6;
	if (msg != NULL && strncmp(msg, "Unexpected key: ", 16) == 0) {
		unknown = true;
		n = strlen(path);
		q = cfg_quote(msg + 16);
		snprintf(
		    path + n, sizeof(path) - n, "%s%s", n > 0 ? "." : "", q);
		free(q);
	} else if (msg != NULL &&
	    strncmp(msg, "Mapping field already seen: ", 28) == 0)
		dup = true;
	else if (e == CYAML_ERR_STRING_LENGTH_MAX ||
	    e == CYAML_ERR_STRING_LENGTH_MIN ||
	    e == CYAML_ERR_SEQUENCE_ENTRIES_MAX)
		problem = cyaml_strerror(e);
	free(c->cause);
	c->cause = NULL;
	q = cfg_quote(problem != NULL ? problem
	        : msg != NULL         ? msg
	                              : cyaml_strerror(e));
	if (unknown)
		/* libcyaml's position here is the event before the key. */
		xasprintf(&c->cause, "%s: unknown key '%s'", prefix, path);
	else if (dup)
		xasprintf(&c->cause,
		    "%s: line %d, column %d: duplicate key '%s'", prefix, line,
		    col, path);
	else if (line > 0 && path[0] != '\0')
		xasprintf(&c->cause, "%s: line %d, column %d: %s: %s", prefix,
		    line, col, path, q);
	else if (path[0] != '\0')
		xasprintf(&c->cause, "%s: %s: %s", prefix, path, q);
	else if (line > 0)
		xasprintf(&c->cause, "%s: line %d, column %d: %s", prefix, line,
		    col, q);
	else
		xasprintf(&c->cause, "%s: %s", prefix, q);
	free(q);
}

/* Load the document into the raw tree (an empty one for no document). */
static int
cfg_load_raw(
    struct cfg_ctx *c, const char *text, size_t len, struct cfg_raw **rawp)
{
	cyaml_err_t e;
	struct cfg_raw *raw = NULL;

	e = cyaml_load_data((const uint8_t *)text, len, &c->cc, &cfg_schema,
	    (cyaml_data_t **)&raw, NULL);
	if (e != CYAML_OK) {
		cfg_cyaml_cause(c, c->name, NULL, e);
		return POGO_ERR_CONFIG;
	}
	if (c->warnings.n > 0) {
		/* "Ignoring documents after first in stream" and the like. */
		char *q = cfg_quote(c->warnings.v[0]);

		if (strstr(q, "Ignoring documents after first") != NULL)
			xasprintf(&c->cause, "%s: more than one YAML document",
			    c->name);
		else
			xasprintf(&c->cause, "%s: %s", c->name, q);
		free(q);
		cyaml_free(&c->cc, &cfg_schema, raw, 0);
		return POGO_ERR_CONFIG;
	}
	if (raw == NULL)
		raw = xcalloc(1, sizeof(*raw));
	*rawp = raw;
	return 0;
}

/* Apply one -o KEY=VALUE to the raw tree. */
static int
cfg_override(struct cfg_ctx *c, struct cfg_raw *raw, const char *kv)
{
	const cyaml_schema_field_t *fields = cfg_fields, *f = NULL;
	char key[256], *comp, *dot, *q;
	const char *eq, *value;
	uint8_t *base = (uint8_t *)raw;
	void *data = NULL, **slot;
	unsigned seq_count = 0;
	uint32_t count;
	cyaml_err_t e;
	size_t i;

	q = cfg_quote(kv);
	if ((eq = strchr(kv, '=')) == NULL || eq == kv ||
	    (size_t)(eq - kv) >= sizeof(key)) {
		xasprintf(&c->cause, "-o %s: expected KEY=VALUE", q);
		free(q);
		return POGO_ERR_CONFIG;
	}
	free(q);
	memcpy(key, kv, (size_t)(eq - kv));
	key[eq - kv] = '\0';
	value = eq + 1;
	q = cfg_quote(kv);
	for (comp = key;; comp = dot + 1) {
		if ((dot = strchr(comp, '.')) != NULL)
			*dot = '\0';
		for (f = NULL, i = 0; fields[i].key != NULL; i++) {
			if (strcmp(fields[i].key, comp) == 0) {
				f = &fields[i];
				break;
			}
		}
		if (dot != NULL)
			*dot = '.';
		if (f == NULL ||
		    (dot != NULL && f->value.type != CYAML_MAPPING))
			goto unknown;
		if (f->value.type != CYAML_MAPPING)
			break;
		if (dot == NULL) {
			xasprintf(&c->cause,
			    "-o %s: '%s' is a section; name one of its keys "
			    "(%s.%s)",
			    q, key, key, f->value.mapping.fields[0].key);
			free(q);
			return POGO_ERR_CONFIG;
		}
		slot = (void **)(base + f->data_offset);
		if (*slot == NULL)
			*slot = xcalloc(1, f->value.data_size);
		base = *slot;
		fields = f->value.mapping.fields;
	}
	/*
	 * An empty VALUE is an empty value, as in the file (loaded as it is,
	 * it would be no document at all).
	 */
	if (*value == '\0' && f->value.type != CYAML_SEQUENCE)
		value = "\"\"";
	pogo_strv_clear(&c->logs);
	e = cyaml_load_data((const uint8_t *)value, strlen(value), &c->cc,
	    &f->value, (cyaml_data_t **)&data,
	    f->value.type == CYAML_SEQUENCE ? &seq_count : NULL);
	if (e != CYAML_OK) {
		char *prefix;

		xasprintf(&prefix, "-o %s", q);
		cfg_cyaml_cause(c, prefix, key, e);
		free(prefix);
		free(q);
		return POGO_ERR_CONFIG;
	}
	slot = (void **)(base + f->data_offset);
	if (f->value.type == CYAML_SEQUENCE) {
		memcpy(&count, base + f->count_offset, sizeof(count));
		cyaml_free(&c->cc, &f->value, *slot, count);
		count = seq_count;
		memcpy(base + f->count_offset, &count, sizeof(count));
	} else
		cyaml_free(&c->cc, &f->value, *slot, 0);
	*slot = data;
	/* Messages about this key name the override, the last one given. */
	for (i = 0; i < c->overridden.n; i++) {
		if (strncmp(c->overridden.v[i], key, strlen(key)) == 0 &&
		    c->overridden.v[i][strlen(key)] == '=') {
			free(c->overridden.v[i]);
			c->overridden.v[i] = xstrdup(kv);
			break;
		}
	}
	if (i == c->overridden.n)
		pogo_strv_push(&c->overridden, kv);
	free(q);
	return 0;
unknown:
	xasprintf(&c->cause, "-o %s: unknown key '%s'", q, key);
	free(q);
	return POGO_ERR_CONFIG;
}

/* Set c->cause for key: prefixed by its override, or by the file name. */
static int cfg_error(struct cfg_ctx *c, const char *key, const char *fmt, ...)
    POGO_PRINTFLIKE(3, 4);

static int
cfg_error(struct cfg_ctx *c, const char *key, const char *fmt, ...)
{
	const char *src = NULL;
	char *msg, *q;
	size_t i, n = strcspn(key, "["); /* a list item: the list's -o */
	va_list ap;

	for (i = 0; i < c->overridden.n; i++) {
		if (strncmp(c->overridden.v[i], key, n) == 0 &&
		    c->overridden.v[i][n] == '=')
			src = c->overridden.v[i];
	}
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (c->cause == NULL) {
		if (src != NULL) {
			q = cfg_quote(src);
			xasprintf(&c->cause, "-o %s: %s: %s", q, key, msg);
			free(q);
		} else
			xasprintf(&c->cause, "%s: %s: %s", c->name, key, msg);
	}
	free(msg);
	return POGO_ERR_CONFIG;
}

static bool
cfg_set(const char *raw)
{
	return raw != NULL && raw[0] != '\0';
}

static int
cfg_string(struct cfg_ctx *c, const char *key, const char *raw, const char *def,
    char **outp)
{
	const char *v = cfg_set(raw) ? raw : def;
	size_t i;

	for (i = 0; v[i] != '\0'; i++) {
		if (iscntrl((unsigned char)v[i]))
			return cfg_error(c, key, "control character in value");
	}
	*outp = xstrdup(v);
	return 0;
}

/* A name: no blanks or control characters (logs, the protocol). */
static int
cfg_name(struct cfg_ctx *c, const char *key, const char *v)
{
	size_t i;

	if (v[0] == '\0')
		return cfg_error(c, key, "empty name");
	for (i = 0; v[i] != '\0'; i++) {
		if (isspace((unsigned char)v[i]) ||
		    iscntrl((unsigned char)v[i]))
			return cfg_error(c, key,
			    "'%s': a name has no blanks or control characters",
			    v);
	}
	return 0;
}

/* Expand "~" or "~/..." and require an absolute path. */
static int
cfg_expand(struct cfg_ctx *c, const char *key, const char *v, char **outp)
{
	char *q;

	*outp = NULL;
	if (v[0] == '~' && v[1] != '\0' && v[1] != '/') {
		q = cfg_quote(v);
		cfg_error(c, key, "'%s': only ~ or ~/ may start a path", q);
		free(q);
		return POGO_ERR_CONFIG;
	}
	if (v[0] == '~') {
		if (c->home == NULL || c->home[0] != '/')
			return cfg_error(
			    c, key, "no home directory for the ~ in this path");
		xasprintf(outp, "%s%s", c->home, v + 1);
	} else
		*outp = xstrdup(v);
	if ((*outp)[0] != '/') {
		q = cfg_quote(v);
		cfg_error(c, key, "'%s' is not an absolute path", q);
		free(q);
		free(*outp);
		*outp = NULL;
		return POGO_ERR_CONFIG;
	}
	return 0;
}

/* A path: "" stays "" (unset); otherwise expanded and absolute. */
static int
cfg_path(struct cfg_ctx *c, const char *key, const char *raw, const char *def,
    char **outp)
{
	char *v;
	int r;

	if ((r = cfg_string(c, key, raw, def, &v)) != 0)
		return r;
	if (v[0] == '\0') {
		*outp = v;
		return 0;
	}
	r = cfg_expand(c, key, v, outp);
	free(v);
	return r;
}

/* A ':'-separated list of paths, each expanded. */
static int
cfg_path_list(struct cfg_ctx *c, const char *key, const char *raw,
    const char *def, char **outp)
{
	char *v, *p, *next, *one, *out = NULL, *tmp;
	int r;

	if ((r = cfg_string(c, key, raw, def, &v)) != 0)
		return r;
	for (p = v; p != NULL; p = next) {
		if ((next = strchr(p, ':')) != NULL)
			*next++ = '\0';
		if (*p == '\0')
			continue;
		if ((r = cfg_expand(c, key, p, &one)) != 0)
			goto out;
		if (out == NULL)
			out = one;
		else {
			xasprintf(&tmp, "%s:%s", out, one);
			free(out);
			free(one);
			out = tmp;
		}
	}
	*outp = out != NULL ? out : xstrdup("");
	out = NULL;
out:
	free(out);
	free(v);
	return r;
}

static int
cfg_uint(struct cfg_ctx *c, const char *key, const char *raw, long long def,
    long long min, long long max, const char *what, unsigned *outp)
{
	long long v = def;
	char *q;

	if (cfg_set(raw) && pogo_strtonum(raw, min, max, &v) != 0) {
		q = cfg_quote(raw);
		cfg_error(c, key, "'%s' is not %s from %lld to %lld", q, what,
		    min, max);
		free(q);
		return POGO_ERR_CONFIG;
	}
	*outp = (unsigned)v;
	return 0;
}

static int
cfg_duration(struct cfg_ctx *c, const char *key, const char *raw, long long def,
    unsigned *outp)
{
	return cfg_uint(c, key, raw, def, 0, POGO_CFG_MAX_DURATION,
	    "a duration in whole seconds", outp);
}

static int
cfg_bool(
    struct cfg_ctx *c, const char *key, const char *raw, bool def, bool *outp)
{
	static const char *yes[] = { "true", "yes", "on" };
	static const char *no[] = { "false", "no", "off" };
	char *q;
	size_t i;

	*outp = def;
	if (!cfg_set(raw))
		return 0;
	for (i = 0; i < POGO_NELEM(yes); i++) {
		if (strcasecmp(raw, yes[i]) == 0) {
			*outp = true;
			return 0;
		}
		if (strcasecmp(raw, no[i]) == 0) {
			*outp = false;
			return 0;
		}
	}
	q = cfg_quote(raw);
	cfg_error(c, key, "'%s' is not true or false", q);
	free(q);
	return POGO_ERR_CONFIG;
}

static int
cfg_enum(struct cfg_ctx *c, const char *key, const char *raw, int def,
    const char *const *names, size_t n, int *outp)
{
	char list[256], *q;
	size_t i, len;

	*outp = def;
	if (!cfg_set(raw))
		return 0;
	for (i = 0; i < n; i++) {
		if (strcmp(raw, names[i]) == 0) {
			*outp = (int)i;
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(list);
		snprintf(list + len, sizeof(list) - len, "%s%s",
		    i == 0           ? ""
		        : i + 1 == n ? " or "
		                     : ", ",
		    names[i]);
	}
	q = cfg_quote(raw);
	cfg_error(c, key, "'%s' is not one of %s", q, list);
	free(q);
	return POGO_ERR_CONFIG;
}

void
pogo_cfg_addr_release(struct pogo_cfg_addr *addr)
{
	free(addr->str);
	free(addr->host);
	memset(addr, 0, sizeof(*addr));
}

int
pogo_cfg_parse_addr(
    const char *s, bool listen, struct pogo_cfg_addr *addr, char **cause)
{
	const char *colon, *host = s, *hend;
	long long port;
	char *q;

	memset(addr, 0, sizeof(*addr));
	*cause = NULL;
	q = cfg_quote(s);
	if (s[0] == '[') {
		host = s + 1;
		if ((hend = strchr(host, ']')) == NULL || hend[1] != ':')
			goto bad;
		colon = hend + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			goto bad;
		hend = colon;
	}
	if (hend == host)
		goto bad;
	if (pogo_strtonum(colon + 1, listen ? 0 : 1, 65535, &port) != 0) {
		xasprintf(cause,
		    "'%s': the port is not a number from %d to "
		    "65535",
		    q, listen ? 0 : 1);
		free(q);
		return POGO_ERR_CONFIG;
	}
	for (; host < hend && !isspace((unsigned char)*host) &&
	     !iscntrl((unsigned char)*host);
	     host++)
		;
	if (host != hend)
		goto bad;
	host = s[0] == '[' ? s + 1 : s;
	addr->host = xstrndup(host, (size_t)(hend - host));
	addr->str = xstrdup(s);
	addr->port = (int)port;
	free(q);
	return 0;
bad:
	xasprintf(cause,
	    "'%s' is not HOST:PORT (write [ADDRESS]:PORT for "
	    "IPv6)",
	    q);
	free(q);
	return POGO_ERR_CONFIG;
}

static int
cfg_addr(struct cfg_ctx *c, const char *key, const char *raw, const char *def,
    bool listen, struct pogo_cfg_addr *addr)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	char *cause;
	size_t i;

	/* Not the default port, nor none (the code's empty address). */
	for (i = 0; listen && raw != NULL && i < POGO_NELEM(nulls); i++)
		if (strcmp(raw, nulls[i]) == 0)
			return cfg_error(c, key,
			    "an empty listen address; give HOST:PORT, or leave "
			    "the key out for its default");
	if (pogo_cfg_parse_addr(
	        cfg_set(raw) ? raw : def, listen, addr, &cause) != 0) {
		cfg_error(c, key, "%s", cause);
		free(cause);
		return POGO_ERR_CONFIG;
	}
	return 0;
}

/* A SHA-256 fingerprint: 64 hex digits, ':' between bytes allowed. */
static int
cfg_pin(struct cfg_ctx *c, const char *key, const char *v)
{
	size_t i, n = 0;
	char *q;

	for (i = 0; v[i] != '\0'; i++) {
		if (isxdigit((unsigned char)v[i]))
			n++;
		else if (v[i] != ':')
			break;
	}
	if (v[i] == '\0' && n == 64)
		return 0;
	q = cfg_quote(v);
	cfg_error(
	    c, key, "'%s' is not a SHA-256 fingerprint (64 hex digits)", q);
	free(q);
	return POGO_ERR_CONFIG;
}

static const char *const cfg_log_names[] = { "error", "warn", "info", "debug",
	"debug2", "debug3" };
static const char *const cfg_auth_names[] = { "none", "cert", "token" };
static const char *const cfg_hostkey_names[] = { "strict", "accept-new",
	"off" };

/* The raw tree becomes cfg, with defaults; the first problem stops it. */
static int
cfg_convert(struct cfg_ctx *c, struct cfg_raw *raw, const char *hostname,
    struct pogo_cfg *cfg)
{
	static const struct cfg_raw_tls notls;
	static const struct cfg_raw_api noapi;
	static const struct cfg_raw_dispatcher nodisp;
	static const struct cfg_raw_worker noworker;
	static const struct cfg_raw_ssh nossh;
	const struct cfg_raw_tls *t = raw->tls != NULL ? raw->tls : &notls;
	const struct cfg_raw_api *a = raw->api != NULL ? raw->api : &noapi;
	const struct cfg_raw_dispatcher *d =
	    raw->dispatcher != NULL ? raw->dispatcher : &nodisp;
	const struct cfg_raw_worker *w =
	    raw->worker != NULL ? raw->worker : &noworker;
	const struct cfg_raw_ssh *s = w->ssh != NULL ? w->ssh : &nossh;
	char key[64];
	unsigned port;
	int v;
	size_t i;

	if (cfg_path(c, "state_dir", raw->state_dir, "/var/lib/pogo",
	        &cfg->state_dir) != 0 ||
	    cfg_enum(c, "log_level", raw->log_level, POGO_LOG_INFO,
	        cfg_log_names, POGO_NELEM(cfg_log_names),
	        &cfg->log_level) != 0 ||
	    cfg_path(c, "log_file", raw->log_file, "", &cfg->log_file) != 0 ||
	    cfg_path(c, "pid_file", raw->pid_file, "", &cfg->pid_file) != 0 ||
	    cfg_bool(c, "insecure", raw->insecure, false, &cfg->insecure) != 0)
		return POGO_ERR_CONFIG;
	if (cfg->state_dir[0] == '\0')
		return cfg_error(c, "state_dir", "must not be empty");

	if (cfg_path(c, "tls.ca_cert", t->ca_cert, "", &cfg->tls.ca_cert) !=
	        0 ||
	    cfg_path(c, "tls.cert", t->cert, "", &cfg->tls.cert) != 0 ||
	    cfg_path(c, "tls.key", t->key, "", &cfg->tls.key) != 0)
		return POGO_ERR_CONFIG;
	cfg->tls.pins = xcalloc(t->pins_count + 1, sizeof(char *));
	for (i = 0; i < t->pins_count; i++) {
		snprintf(key, sizeof(key), "tls.pins[%zu]", i);
		if (cfg_pin(c, key, t->pins[i]) != 0)
			return POGO_ERR_CONFIG;
		cfg->tls.pins[cfg->tls.npins++] = xstrdup(t->pins[i]);
	}
	if (cfg->tls.cert[0] != '\0' && cfg->tls.key[0] == '\0')
		return cfg_error(c, "tls.key", "tls.key is not set");
	if (cfg->tls.key[0] != '\0' && cfg->tls.cert[0] == '\0')
		return cfg_error(c, "tls.cert", "tls.cert is not set");
	if (cfg->tls.cert[0] != '\0' && cfg->tls.ca_cert[0] == '\0' &&
	    cfg->tls.npins == 0)
		return cfg_error(c, "tls.ca_cert", "tls.ca_cert is not set");

	if (cfg_addr(c, "api.listen", a->listen, "127.0.0.1:7657", true,
	        &cfg->api.listen) != 0 ||
	    cfg_addr(c, "api.dispatcher", a->dispatcher, "127.0.0.1:7656",
	        false, &cfg->api.dispatcher) != 0 ||
	    cfg_enum(c, "api.auth", a->auth, POGO_CFG_AUTH_NONE, cfg_auth_names,
	        POGO_NELEM(cfg_auth_names), &v) != 0 ||
	    cfg_path(c, "api.token_file", a->token_file, "",
	        &cfg->api.token_file) != 0 ||
	    cfg_path(c, "api.worker_cert", a->worker_cert, "",
	        &cfg->api.worker_cert) != 0 ||
	    cfg_uint(c, "api.max_long_polls", a->max_long_polls, 512, 1, 100000,
	        "a number", &cfg->api.max_long_polls) != 0 ||
	    cfg_uint(c, "api.max_buffered", a->max_buffered, 268435456, 65536,
	        INT32_MAX, "a number of bytes", &cfg->api.max_buffered) != 0)
		return POGO_ERR_CONFIG;
	cfg->api.auth = (enum pogo_cfg_auth)v;
	cfg->api.admins = xcalloc(a->admins_count + 1, sizeof(char *));
	for (i = 0; i < a->admins_count; i++) {
		snprintf(key, sizeof(key), "api.admins[%zu]", i);
		if (cfg_name(c, key, a->admins[i]) != 0)
			return POGO_ERR_CONFIG;
		cfg->api.admins[cfg->api.nadmins++] = xstrdup(a->admins[i]);
	}
	if (cfg->api.auth == POGO_CFG_AUTH_TOKEN &&
	    cfg->api.token_file[0] == '\0')
		return cfg_error(
		    c, "api.token_file", "api.token_file is not set");
	if (cfg->api.auth == POGO_CFG_AUTH_CERT && cfg->tls.cert[0] == '\0')
		return cfg_error(
		    c, "api.auth", "'cert' needs TLS, and tls.cert is not set");

	if (cfg_addr(c, "dispatcher.worker_listen", d->worker_listen,
	        "127.0.0.1:7655", true, &cfg->dispatcher.worker_listen) != 0 ||
	    cfg_addr(c, "dispatcher.control_listen", d->control_listen,
	        "127.0.0.1:7656", true, &cfg->dispatcher.control_listen) != 0 ||
	    cfg_path(c, "dispatcher.namespace_dir", d->namespace_dir,
	        "/etc/pogo/namespaces", &cfg->dispatcher.namespace_dir) != 0 ||
	    cfg_path_list(c, "dispatcher.resolver_path", d->resolver_path,
	        "/etc/pogo/resolvers", &cfg->dispatcher.resolver_path) != 0 ||
	    cfg_duration(c, "dispatcher.lost_worker_grace",
	        d->lost_worker_grace, 60,
	        &cfg->dispatcher.lost_worker_grace) != 0 ||
	    cfg_uint(c, "dispatcher.retention_days", d->retention_days, 0, 0,
	        36600, "a number of days",
	        &cfg->dispatcher.retention_days) != 0 ||
	    cfg_bool(c, "dispatcher.local_tasks_for_all",
	        d->local_tasks_for_all, false,
	        &cfg->dispatcher.local_tasks_for_all) != 0)
		return POGO_ERR_CONFIG;

	if (cfg_string(
	        c, "worker.name", w->name, hostname, &cfg->worker.name) != 0 ||
	    cfg_name(c, "worker.name", cfg->worker.name) != 0)
		return POGO_ERR_CONFIG;
	if (w->dispatchers_count == 0) {
		cfg->worker.dispatchers =
		    xcalloc(1, sizeof(struct pogo_cfg_addr));
		if (cfg_addr(c, "worker.dispatchers", NULL, "127.0.0.1:7655",
		        false, &cfg->worker.dispatchers[0]) != 0)
			return POGO_ERR_CONFIG;
		cfg->worker.ndispatchers = 1;
	} else {
		cfg->worker.dispatchers =
		    xcalloc(w->dispatchers_count, sizeof(struct pogo_cfg_addr));
		for (i = 0; i < w->dispatchers_count; i++) {
			snprintf(
			    key, sizeof(key), "worker.dispatchers[%zu]", i);
			if (cfg_addr(c, key, w->dispatchers[i], "", false,
			        &cfg->worker.dispatchers[i]) != 0)
				return POGO_ERR_CONFIG;
			cfg->worker.ndispatchers++;
		}
	}
	if (cfg_uint(c, "worker.reconnect_delay", w->reconnect_delay, 10, 0,
	        3600, "a number of seconds",
	        &cfg->worker.reconnect_delay) != 0 ||
	    cfg_uint(c, "worker.max_tasks", w->max_tasks, 256, 1, 1000000,
	        "a number", &cfg->worker.max_tasks) != 0 ||
	    cfg_uint(c, "worker.max_handshakes", w->max_handshakes, 32, 1,
	        65536, "a number", &cfg->worker.max_handshakes) != 0 ||
	    cfg_uint(c, "worker.max_output", w->max_output, 10485760, 0,
	        INT32_MAX, "a number of bytes", &cfg->worker.max_output) != 0 ||
	    cfg_bool(c, "worker.use_local_identity", w->use_local_identity,
	        false, &cfg->worker.use_local_identity) != 0 ||
	    cfg_path(c, "worker.hook_dir", w->hook_dir, "/etc/pogo",
	        &cfg->worker.hook_dir) != 0)
		return POGO_ERR_CONFIG;
	if (cfg->worker.hook_dir[0] == '\0')
		return cfg_error(c, "worker.hook_dir", "must not be empty");

	if (cfg_string(c, "worker.ssh.user", s->user, "",
	        &cfg->worker.ssh.user) != 0 ||
	    (cfg->worker.ssh.user[0] != '\0' &&
	        cfg_name(c, "worker.ssh.user", cfg->worker.ssh.user) != 0) ||
	    cfg_uint(c, "worker.ssh.port", s->port, 22, 1, 65535, "a port",
	        &port) != 0)
		return POGO_ERR_CONFIG;
	cfg->worker.ssh.port = (int)port;
	cfg->worker.ssh.identity_files =
	    xcalloc(s->identity_files_count + 1, sizeof(char *));
	for (i = 0; i < s->identity_files_count; i++) {
		snprintf(key, sizeof(key), "worker.ssh.identity_files[%zu]", i);
		if (cfg_path(c, key, s->identity_files[i], "",
		        &cfg->worker.ssh.identity_files[i]) != 0)
			return POGO_ERR_CONFIG;
		cfg->worker.ssh.nidentity_files++;
	}
	cfg->worker.ssh.config_optional = !cfg_set(s->config);
	if (cfg_path(c, "worker.ssh.config", s->config, "~/.ssh/config",
	        &cfg->worker.ssh.config) != 0 ||
	    cfg_path(c, "worker.ssh.known_hosts", s->known_hosts,
	        "~/.ssh/known_hosts", &cfg->worker.ssh.known_hosts) != 0 ||
	    cfg_enum(c, "worker.ssh.host_key_check", s->host_key_check,
	        POGO_CFG_HOSTKEY_ACCEPT_NEW, cfg_hostkey_names,
	        POGO_NELEM(cfg_hostkey_names), &v) != 0 ||
	    cfg_uint(c, "worker.ssh.connect_timeout", s->connect_timeout, 10, 1,
	        POGO_CFG_MAX_DURATION, "a duration in whole seconds",
	        &cfg->worker.ssh.connect_timeout) != 0)
		return POGO_ERR_CONFIG;
	cfg->worker.ssh.host_key_check = (enum pogo_cfg_hostkey)v;
	return 0;
}

static char *
cfg_home(const struct pogo_cfg_src *src)
{
	const char *h = src->home;
	struct passwd *pw;

	if (h == NULL)
		h = getenv("HOME");
	if (h == NULL || h[0] == '\0') {
		if ((pw = getpwuid(getuid())) != NULL)
			h = pw->pw_dir;
	}
	return h != NULL && h[0] != '\0' ? xstrdup(h) : NULL;
}

int
pogo_cfg_load_text(const char *text, size_t len, const char *name,
    const struct pogo_cfg_src *src, struct pogo_cfg **cfgp, char **cause)
{
	struct cfg_ctx c;
	struct cfg_raw *raw = NULL;
	struct pogo_cfg *cfg = NULL;
	char host[256], *home = cfg_home(src);
	const char *hostname = src->hostname;
	size_t i;
	int r;

	*cfgp = NULL;
	*cause = NULL;
	cfg_ctx_init(&c, name, home);
	if (len > POGO_CFG_MAX_BYTES) {
		xasprintf(&c.cause, "%s: larger than %d bytes", name,
		    POGO_CFG_MAX_BYTES);
		r = POGO_ERR_CONFIG;
		goto out;
	}
	if ((r = cfg_load_raw(&c, text, len, &raw)) != 0)
		goto out;
	for (i = 0; i < src->noverrides; i++) {
		if ((r = cfg_override(&c, raw, src->overrides[i])) != 0)
			goto out;
	}
	if (hostname == NULL) {
		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		hostname = host[0] != '\0' ? host : "worker";
	}
	cfg = xcalloc(1, sizeof(*cfg));
	cfg->file = xstrdup(name);
	if ((r = cfg_convert(&c, raw, hostname, cfg)) != 0)
		goto out;
	*cfgp = cfg;
	cfg = NULL;
out:
	if (r != 0) {
		*cause = c.cause != NULL ? c.cause : xstrdup("invalid");
		c.cause = NULL;
	}
	if (raw != NULL)
		cyaml_free(&c.cc, &cfg_schema, raw, 0);
	pogo_cfg_free(cfg);
	cfg_ctx_release(&c);
	free(home);
	return r;
}

int
pogo_cfg_load(
    const struct pogo_cfg_src *src, struct pogo_cfg **cfgp, char **cause)
{
	const char *file =
	    src->file != NULL ? src->file : POGO_CFG_DEFAULT_FILE;
	char *text = NULL, *q;
	size_t len = 0;
	int r;

	*cfgp = NULL;
	*cause = NULL;
	r = pogo_str_read_file(file, POGO_CFG_MAX_BYTES, &text, &len);
	if (r == POGO_ERR_ERRNO(ENOENT) && src->file == NULL) {
		r = pogo_cfg_load_text(
		    "", 0, POGO_CFG_DEFAULT_FILE, src, cfgp, cause);
		if (r == 0) {
			free((*cfgp)->file);
			(*cfgp)->file = xstrdup("");
		}
		return r;
	}
	if (r != 0) {
		q = cfg_quote(file);
		xasprintf(cause, "%s: %s", q,
		    r == POGO_ERR_LIMIT ? "file too large" : pogo_strerror(r));
		free(q);
		return POGO_ERR_CONFIG;
	}
	r = pogo_cfg_load_text(text, len, file, src, cfgp, cause);
	free(text);
	return r;
}

static void
cfg_strs_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
pogo_cfg_free(struct pogo_cfg *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->file);
	free(cfg->state_dir);
	free(cfg->log_file);
	free(cfg->pid_file);
	free(cfg->tls.ca_cert);
	free(cfg->tls.cert);
	free(cfg->tls.key);
	cfg_strs_free(cfg->tls.pins, cfg->tls.npins);
	pogo_cfg_addr_release(&cfg->api.listen);
	pogo_cfg_addr_release(&cfg->api.dispatcher);
	free(cfg->api.token_file);
	cfg_strs_free(cfg->api.admins, cfg->api.nadmins);
	free(cfg->api.worker_cert);
	pogo_cfg_addr_release(&cfg->dispatcher.worker_listen);
	pogo_cfg_addr_release(&cfg->dispatcher.control_listen);
	free(cfg->dispatcher.namespace_dir);
	free(cfg->dispatcher.resolver_path);
	free(cfg->worker.name);
	for (i = 0; i < cfg->worker.ndispatchers; i++)
		pogo_cfg_addr_release(&cfg->worker.dispatchers[i]);
	free(cfg->worker.dispatchers);
	free(cfg->worker.hook_dir);
	free(cfg->worker.ssh.user);
	cfg_strs_free(
	    cfg->worker.ssh.identity_files, cfg->worker.ssh.nidentity_files);
	free(cfg->worker.ssh.config);
	free(cfg->worker.ssh.known_hosts);
	free(cfg);
}

const char *
pogo_cfg_version(void)
{
	return cyaml_version_str;
}
