/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only file that includes cJSON.  cJSON allocates through pogo's x*
 * allocators, so its NULL returns cannot mean exhausted memory here.
 */
#include "pogo/compat.h"

#include <math.h>

#include <cjson/cJSON.h>

#include "pogo/error.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/*
 * A container of pogo_json_new_message() has this in cJSON's valueint,
 * which cJSON uses for numbers only: its members' keys are the caller's
 * constants, added with cJSON_AddItemToObjectCS (not copied).
 */
#define JSON_STATIC_KEYS 0x4b455953

/* pogo_json_print_line()'s first try, on the stack. */
#define JSON_LINE_BUF 4096

static void
json_init(void)
{
	static bool done;
	static cJSON_Hooks hooks = { xmalloc, free };

	if (!done) {
		cJSON_InitHooks(&hooks);
		done = true;
	}
}

const char *
pogo_json_version(void)
{
	return cJSON_Version();
}

static char *
json_print(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	if (s == NULL)
		fatalx("json: cannot print an event");
	cJSON_Delete(o);
	return s;
}

static char *json_string(const char *data, size_t len);

char *
pogo_json_event_entry(const char *job, const struct pogo_job_entry *e)
{
	cJSON *o;
	char *text;

	json_init();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", e->host != NULL ? "host" : "job");
	cJSON_AddStringToObject(o, "job", job);
	if (e->host != NULL) {
		cJSON_AddStringToObject(o, "host", e->host);
		cJSON_AddStringToObject(o, "state",
		    pogo_host_state_name((enum pogo_host_state)e->state));
	} else
		cJSON_AddStringToObject(o, "state",
		    pogo_job_state_name((enum pogo_job_state)e->state));
	/* The target's bytes may be in it: valid UTF-8 (json_string). */
	text = json_string(e->message, strlen(e->message));
	cJSON_AddRawToObject(o, "message", text);
	free(text);
	if (e->host != NULL && e->exitstatus >= 0)
		cJSON_AddNumberToObject(o, "exitstatus", e->exitstatus);
	cJSON_AddNumberToObject(o, "time", e->time);
	return json_print(o);
}

/*
 * data[0..len) as a JSON string literal, every byte kept: cJSON takes
 * NUL-terminated strings, and a record may hold NUL bytes (SPEC 5.8), so
 * this escapes as cJSON does and adds \u0000; invalid UTF-8 becomes
 * U+FFFD.
 */
static char *
json_string(const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)data;
	char *out = xmalloc(len * 6 + 3), *p = out;
	size_t i = 0, n;

	*p++ = '"';
	while (i < len) {
		if (u[i] >= 0x80) {
			n = u[i] >= 0xf0 ? 4 : u[i] >= 0xe0 ? 3 : 2;
			if (n > len - i ||
			    !pogo_str_utf8_valid(data + i, n, NULL)) {
				memcpy(p, "\xef\xbf\xbd", 3);
				p += 3;
				i++;
				continue;
			}
			memcpy(p, data + i, n);
			p += n;
			i += n;
			continue;
		}
		switch (u[i]) {
		case '"':
		case '\\':
			*p++ = '\\';
			*p++ = (char)u[i];
			break;
		case '\b':
			*p++ = '\\';
			*p++ = 'b';
			break;
		case '\f':
			*p++ = '\\';
			*p++ = 'f';
			break;
		case '\n':
			*p++ = '\\';
			*p++ = 'n';
			break;
		case '\r':
			*p++ = '\\';
			*p++ = 'r';
			break;
		case '\t':
			*p++ = '\\';
			*p++ = 't';
			break;
		default:
			if (u[i] < 0x20) {
				memcpy(p, "\\u00", 4);
				p[4] = hex[u[i] >> 4];
				p[5] = hex[u[i] & 0xf];
				p += 6;
			} else
				*p++ = (char)u[i];
		}
		i++;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

char *
pogo_json_event_output(const char *job, const char *host, uint32_t run,
    enum pogo_out_type type, const char *data, size_t len, double time)
{
	cJSON *o;
	char *text = json_string(data, len);

	json_init();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "output");
	cJSON_AddStringToObject(o, "job", job);
	cJSON_AddStringToObject(o, "host", host);
	cJSON_AddNumberToObject(o, "run", run);
	cJSON_AddStringToObject(
	    o, "type", type == POGO_OUT_STDERR ? "STDERR" : "STDOUT");
	cJSON_AddRawToObject(o, "data", text);
	cJSON_AddNumberToObject(o, "time", time);
	free(text);
	return json_print(o);
}

char *
pogo_json_event_summary(uint32_t hosts, uint32_t ok, uint32_t failed,
    uint32_t unreachable, uint32_t deadlocked, uint32_t halted,
    uint32_t skipped, double elapsed, unsigned peak_in_flight,
    unsigned peak_handshakes, int exitcode)
{
	cJSON *o;

	json_init();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "summary");
	cJSON_AddNumberToObject(o, "hosts", hosts);
	cJSON_AddNumberToObject(o, "ok", ok);
	cJSON_AddNumberToObject(o, "failed", failed);
	cJSON_AddNumberToObject(o, "unreachable", unreachable);
	cJSON_AddNumberToObject(o, "deadlocked", deadlocked);
	cJSON_AddNumberToObject(o, "halted", halted);
	cJSON_AddNumberToObject(o, "skipped", skipped);
	cJSON_AddNumberToObject(
	    o, "elapsed", (double)(long long)(elapsed * 10 + 0.5) / 10);
	cJSON_AddNumberToObject(o, "peak_in_flight", peak_in_flight);
	cJSON_AddNumberToObject(o, "peak_handshakes", peak_handshakes);
	cJSON_AddNumberToObject(o, "exit", exitcode);
	return json_print(o);
}

/*
 * The document interface.  A struct pogo_json is a cJSON node; the casts
 * below are the only place where the two names meet.
 */
#define JSON_OF(v) ((cJSON *)(void *)(v))
#define JSON_COF(v) ((const cJSON *)(const void *)(v))
#define POGO_OF(j) ((struct pogo_json *)(void *)(j))

/*
 * Before cJSON sees a line, \u0000 becomes \u0001\u0001 and \u0001 becomes
 * \u0001\u0002, so a decoded cJSON string never holds a NUL byte and
 * json_unmap() can restore both.  Backslashes occur in valid JSON only in
 * strings, where each starts an escape: the scan steps over escapes whole,
 * so "\\u0000" (a backslash, then u0000) is left alone.  Returns NULL when
 * there is nothing to map.
 */
static char *
json_map(const char *s, size_t len, size_t *outlenp)
{
	const char *bs;
	char *out = NULL;
	size_t i = 0, o = 0, from = 0;

	while (i < len && (bs = memchr(s + i, '\\', len - i)) != NULL) {
		i = (size_t)(bs - s);
		if (len - i >= 6 && memcmp(s + i + 1, "u000", 4) == 0 &&
		    (s[i + 5] == '0' || s[i + 5] == '1')) {
			/* Each 6-byte escape becomes 12 bytes. */
			if (out == NULL)
				out = xmalloc(len * 2 + 1);
			memcpy(out + o, s + from, i - from);
			o += i - from;
			memcpy(out + o, "\\u0001\\u000", 11);
			out[o + 11] = s[i + 5] == '0' ? '1' : '2';
			o += 12;
			i += 6;
			from = i;
			continue;
		}
		i += 2; /* the escaped character too */
	}
	if (out == NULL)
		return NULL;
	memcpy(out + o, s + from, len - from);
	*outlenp = o + len - from;
	return out;
}

int
pogo_json_parse_object(const char *s, size_t len, struct pogo_json **docp)
{
	const char *end = NULL, *p = s;
	char *mapped;
	size_t mlen = 0, i;
	cJSON *j;

	*docp = NULL;
	json_init();
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' &&
		    s[i] != '\n' && s[i] != '\r')
			return POGO_ERR_JSON;
	}
	if ((mapped = json_map(s, len, &mlen)) != NULL) {
		p = mapped;
		len = mlen;
	}
	j = cJSON_ParseWithLengthOpts(p, len, &end, false);
	if (j != NULL) {
		for (; end < p + len; end++) {
			if (*end != ' ' && *end != '\t' && *end != '\n' &&
			    *end != '\r')
				break;
		}
	}
	free(mapped);
	if (j == NULL || end < p + len || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return POGO_ERR_JSON;
	}
	*docp = POGO_OF(j);
	return 0;
}

void
pogo_json_free(struct pogo_json *doc)
{
	cJSON_Delete(JSON_OF(doc));
}

const struct pogo_json *
pogo_json_get(const struct pogo_json *obj, const char *key)
{
	if (!cJSON_IsObject(JSON_COF(obj)))
		return NULL;
	return POGO_OF(cJSON_GetObjectItemCaseSensitive(JSON_COF(obj), key));
}

enum pogo_json_kind
pogo_json_kind(const struct pogo_json *v)
{
	const cJSON *j = JSON_COF(v);

	if (j == NULL)
		return POGO_JSON_NONE;
	if (cJSON_IsNull(j))
		return POGO_JSON_NULL;
	if (cJSON_IsBool(j))
		return POGO_JSON_BOOL;
	if (cJSON_IsNumber(j))
		return POGO_JSON_NUMBER;
	if (cJSON_IsString(j))
		return POGO_JSON_STRING;
	if (cJSON_IsArray(j))
		return POGO_JSON_ARRAY;
	if (cJSON_IsObject(j))
		return POGO_JSON_OBJECT;
	return POGO_JSON_NONE;
}

bool
pogo_json_bool(const struct pogo_json *v)
{
	return cJSON_IsTrue(JSON_COF(v));
}

double
pogo_json_number(const struct pogo_json *v)
{
	return cJSON_IsNumber(JSON_COF(v)) ? JSON_COF(v)->valuedouble : 0;
}

/* Undo json_map() in place; returns the new length. */
static size_t
json_unmap(char *s, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\x01' && i + 1 < len) {
			s[o++] = s[i + 1] == '\x01' ? '\0' : '\x01';
			i++;
		} else
			s[o++] = s[i];
	}
	return o;
}

char *
pogo_json_string(const struct pogo_json *v, size_t *lenp)
{
	const cJSON *j = JSON_COF(v);
	char *tmp, *out;
	size_t len, i = 0, o = 0, bad;

	if (!cJSON_IsString(j) || j->valuestring == NULL)
		return NULL;
	len = strlen(j->valuestring);
	tmp = xstrndup(j->valuestring, len);
	len = json_unmap(tmp, len);
	if (pogo_str_utf8_valid(tmp, len, NULL)) {
		out = tmp;
		o = len;
		goto out;
	}
	/* Each invalid byte becomes U+FFFD, as json_string() does. */
	out = xmalloc(len * 3 + 1);
	while (i < len) {
		if (pogo_str_utf8_valid(tmp + i, len - i, &bad))
			bad = len - i;
		memcpy(out + o, tmp + i, bad);
		o += bad;
		i += bad;
		if (i < len) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	free(tmp);
out:
	out[o] = '\0';
	if (lenp != NULL)
		*lenp = o;
	return out;
}

const struct pogo_json *
pogo_json_first(const struct pogo_json *array)
{
	if (!cJSON_IsArray(JSON_COF(array)) && !cJSON_IsObject(JSON_COF(array)))
		return NULL;
	return POGO_OF(JSON_COF(array)->child);
}

const struct pogo_json *
pogo_json_next(const struct pogo_json *v)
{
	return v != NULL ? POGO_OF(JSON_COF(v)->next) : NULL;
}

const char *
pogo_json_key(const struct pogo_json *v)
{
	return v != NULL ? JSON_COF(v)->string : NULL;
}

char *
pogo_json_print_value(const struct pogo_json *v, size_t *lenp)
{
	char *s, *out;
	size_t len;

	if (v == NULL)
		s = xstrdup("null");
	else if ((s = cJSON_PrintUnformatted(JSON_COF(v))) == NULL)
		fatalx("json: cannot print a value");
	len = strlen(s);
	out = xmalloc(len + 2);
	memcpy(out, s, len);
	out[len] = '\n';
	out[len + 1] = '\0';
	if (v == NULL)
		free(s);
	else
		cJSON_free(s);
	*lenp = len + 1;
	return out;
}

struct pogo_json *
pogo_json_new_object(void)
{
	json_init();
	return POGO_OF(cJSON_CreateObject());
}

struct pogo_json *
pogo_json_new_message(void)
{
	cJSON *o;

	json_init();
	o = cJSON_CreateObject();
	o->valueint = JSON_STATIC_KEYS;
	return POGO_OF(o);
}

/* Add item to object o under key, or to array o when key is NULL. */
static void
json_add(struct pogo_json *o, const char *key, cJSON *item)
{
	/* The objects and arrays of a message pass the mark on. */
	if (JSON_OF(o)->valueint == JSON_STATIC_KEYS &&
	    (cJSON_IsObject(item) || cJSON_IsArray(item)))
		item->valueint = JSON_STATIC_KEYS;
	if (key == NULL)
		cJSON_AddItemToArray(JSON_OF(o), item);
	else if (JSON_OF(o)->valueint == JSON_STATIC_KEYS)
		cJSON_AddItemToObjectCS(JSON_OF(o), key, item);
	else
		cJSON_AddItemToObject(JSON_OF(o), key, item);
}

void
pogo_json_add_bytes(
    struct pogo_json *o, const char *key, const char *s, size_t len)
{
	char *text = json_string(s, len);

	json_add(o, key, cJSON_CreateRaw(text));
	free(text);
}

void
pogo_json_add_string(struct pogo_json *o, const char *key, const char *s)
{
	if (s == NULL)
		pogo_json_add_null(o, key);
	else
		pogo_json_add_bytes(o, key, s, strlen(s));
}

/*
 * An integer's item, or NULL for a number that is not one.  cJSON prints
 * every number with "%1.15g", reads the text back with sscanf and, when
 * that differs, prints "%1.17g": about 2,500 instructions for a small
 * int, nine of them per SSH host of pogo one.  An integer below 10^15 in
 * magnitude (where "%1.15g" prints every digit) is printed with one
 * snprintf of "%lld" as raw text instead: the same text.
 */
static cJSON *
json_integer(double v)
{
	char text[24];
	int n;

	if (!(v > -1e15 && v < 1e15) || v != (double)(long long)v ||
	    (v == 0 && signbit(v)))
		return NULL;
	n = snprintf(text, sizeof(text), "%lld", (long long)v);
	if (n <= 0 || (size_t)n >= sizeof(text))
		return NULL;
	return cJSON_CreateRaw(text);
}

void
pogo_json_add_number(struct pogo_json *o, const char *key, double v)
{
	cJSON *item = json_integer(v);

	json_add(o, key, item != NULL ? item : cJSON_CreateNumber(v));
}

void
pogo_json_add_double(struct pogo_json *o, const char *key, double v)
{
	cJSON *item;
	char text[32], *end;
	int n;

	if ((item = json_integer(v)) != NULL) {
		json_add(o, key, item);
		return;
	}
	/*
	 * cJSON prints "%1.15g", reads it back with sscanf and, when it
	 * differs, prints "%1.17g": one snprintf checked with strtod does.
	 */
	if (isfinite(v)) {
		n = snprintf(text, sizeof(text), "%.17g", v);
		if (n > 0 && (size_t)n < sizeof(text) &&
		    strtod(text, &end) == v && *end == '\0') {
			json_add(o, key, cJSON_CreateRaw(text));
			return;
		}
	}
	json_add(o, key, cJSON_CreateNumber(v));
}

void
pogo_json_add_bool(struct pogo_json *o, const char *key, bool v)
{
	json_add(o, key, cJSON_CreateBool(v));
}

void
pogo_json_add_null(struct pogo_json *o, const char *key)
{
	json_add(o, key, cJSON_CreateNull());
}

struct pogo_json *
pogo_json_add_object(struct pogo_json *o, const char *key)
{
	cJSON *item = cJSON_CreateObject();

	json_add(o, key, item);
	return POGO_OF(item);
}

struct pogo_json *
pogo_json_add_array(struct pogo_json *o, const char *key)
{
	cJSON *item = cJSON_CreateArray();

	json_add(o, key, item);
	return POGO_OF(item);
}

char *
pogo_json_print_line(struct pogo_json *doc, size_t *lenp)
{
	char buf[JSON_LINE_BUF], *s;
	size_t len;

	/*
	 * Into a buffer on the stack first: cJSON's own printer grows its
	 * buffer by copying (its hooks have no realloc) and copies the
	 * result once more to its exact size.
	 */
	if (cJSON_PrintPreallocated(JSON_OF(doc), buf, sizeof(buf), false)) {
		cJSON_Delete(JSON_OF(doc));
		len = strlen(buf);
		s = xmalloc(len + 2);
		memcpy(s, buf, len);
	} else {
		s = json_print(JSON_OF(doc));
		len = strlen(s);
		/* cJSON's buffer is exactly len + 1 bytes: room for '\n'. */
		s = xreallocarray(s, len + 2, 1);
	}
	s[len] = '\n';
	s[len + 1] = '\0';
	*lenp = len + 1;
	return s;
}

char *
pogo_json_print_pretty(struct pogo_json *doc, size_t *lenp)
{
	cJSON *o = JSON_OF(doc);
	char *s = cJSON_Print(o), *out, *p;
	size_t n = 0, k, tabs = 0;
	bool bol = true;

	if (s == NULL)
		fatalx("json: cannot print a document");
	cJSON_Delete(o);
	/*
	 * cJSON indents with tabs and puts a tab after each ':'.  Strings
	 * never hold a raw tab (it is escaped), so a tab at the start of a
	 * line is one level of indentation and any other is that separator.
	 */
	for (p = s; *p != '\0'; p++)
		tabs += *p == '\t';
	out = xmalloc(strlen(s) + tabs + 2);
	for (p = s; *p != '\0'; p++) {
		/* An empty object or array: cJSON breaks the line in it. */
		if ((*p == '}' || *p == ']') && n >= 2) {
			k = n;
			while (k > 0 && out[k - 1] == ' ')
				k--;
			if (k >= 2 && out[k - 1] == '\n' &&
			    out[k - 2] == (*p == '}' ? '{' : '['))
				n = k - 1;
		}
		if (*p == '\t' && bol) {
			out[n++] = ' ';
			out[n++] = ' ';
		} else if (*p == '\t')
			out[n++] = ' ';
		else
			out[n++] = *p;
		bol = *p == '\n' || (bol && *p == '\t');
	}
	out[n++] = '\n';
	out[n] = '\0';
	free(s);
	*lenp = n;
	return out;
}

char *
pogo_json_errors(const char *msg)
{
	char *s, *out;

	s = json_string(msg, strlen(msg));
	xasprintf(&out, "{\"errors\":[%s]}", s);
	free(s);
	return out;
}
