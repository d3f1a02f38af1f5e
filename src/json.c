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
 * Eight bytes at a time (SWAR): JSON_LESS(x, n) is non-zero when some
 * byte of x is below n (n <= 128; exact for "some", the bits it sets
 * may also mark bytes above such a byte), JSON_HAS(x, c) when some byte
 * is c.
 */
#define JSON_ONES 0x0101010101010101ULL
#define JSON_HIGHS (JSON_ONES * 0x80)
#define JSON_LESS(x, n) (((x)-JSON_ONES * (n)) & ~(x)&JSON_HIGHS)
#define JSON_HAS(x, c) JSON_LESS((x) ^ (JSON_ONES * (c)), 1)

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
static void json_put(struct pogo_json_writer *w, const char *s, size_t n);
static void json_reserve(struct pogo_json_writer *w, size_t n);

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

/* Make room for n more bytes in w's buffer. */
static void
json_reserve(struct pogo_json_writer *w, size_t n)
{
	size_t cap;

	if (n <= w->cap - w->len)
		return;
	cap = w->cap > 0 ? w->cap : 256;
	while (cap - w->len < n)
		cap = cap * 2 > cap ? cap * 2 : w->len + n;
	w->buf = xreallocarray(w->buf, cap, 1);
	w->cap = cap;
}

static void
json_put(struct pogo_json_writer *w, const char *s, size_t n)
{
	json_reserve(w, n);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/*
 * data[0..len) as a JSON string literal appended to w, every byte kept:
 * cJSON takes NUL-terminated strings, and a record may hold NUL bytes
 * (SPEC 5.8), so this escapes as cJSON does and adds \u0000; invalid
 * UTF-8 becomes U+FFFD.
 */
static void
json_put_string(struct pogo_json_writer *w, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)data;
	uint64_t x;
	char *p;
	size_t i = 0, n;

	json_reserve(w, len * 6 + 2);
	p = w->buf + w->len;
	*p++ = '"';
	while (i < len) {
		/* Eight plain ASCII bytes: as they are. */
		if (len - i >= 8) {
			memcpy(&x, u + i, 8);
			if ((JSON_LESS(x, 0x20) | (x & JSON_HIGHS) |
			        JSON_HAS(x, '"') | JSON_HAS(x, '\\')) == 0) {
				memcpy(p, u + i, 8);
				p += 8;
				i += 8;
				continue;
			}
		}
		if (u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' &&
		    u[i] != '\\') {
			*p++ = (char)u[i++];
			continue;
		}
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
		*p++ = '\\';
		switch (u[i]) {
		case '"':
		case '\\':
			*p++ = (char)u[i];
			break;
		case '\b':
			*p++ = 'b';
			break;
		case '\f':
			*p++ = 'f';
			break;
		case '\n':
			*p++ = 'n';
			break;
		case '\r':
			*p++ = 'r';
			break;
		case '\t':
			*p++ = 't';
			break;
		default:
			memcpy(p, "u00", 3);
			p[3] = hex[u[i] >> 4];
			p[4] = hex[u[i] & 0xf];
			p += 5;
		}
		i++;
	}
	*p++ = '"';
	w->len = (size_t)(p - w->buf);
}

/* data[0..len) as a JSON string literal (json_put_string), a new string. */
static char *
json_string(const char *data, size_t len)
{
	struct pogo_json_writer w;

	memset(&w, 0, sizeof(w));
	json_put_string(&w, data, len);
	json_put(&w, "", 1);
	return w.buf;
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

static bool
json_is_control(unsigned char c)
{
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

/* Does s[0..len) hold a raw control character other than whitespace? */
static bool
json_has_control(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t x;
	size_t i = 0, j;

	for (; len - i >= 8; i += 8) {
		memcpy(&x, u + i, 8);
		if (JSON_LESS(x, 0x20) == 0)
			continue;
		for (j = i; j < i + 8; j++) {
			if (json_is_control(u[j]))
				return true;
		}
	}
	for (; i < len; i++) {
		if (json_is_control(u[i]))
			return true;
	}
	return false;
}

int
pogo_json_parse_object(const char *s, size_t len, struct pogo_json **docp)
{
	const char *end = NULL, *p = s;
	char *mapped;
	size_t mlen = 0;
	cJSON *j;

	*docp = NULL;
	json_init();
	if (json_has_control(s, len))
		return POGO_ERR_JSON;
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

/* Add item to object o under key, or to array o when key is NULL. */
static void
json_add(struct pogo_json *o, const char *key, cJSON *item)
{
	if (key != NULL)
		cJSON_AddItemToObject(JSON_OF(o), key, item);
	else
		cJSON_AddItemToArray(JSON_OF(o), item);
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

void
pogo_json_add_number(struct pogo_json *o, const char *key, double v)
{
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
	char *s = json_print(JSON_OF(doc));
	size_t len = strlen(s);

	/* cJSON's buffer is exactly len + 1 bytes: make room for '\n'. */
	s = xreallocarray(s, len + 2, 1);
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

/* The writer. */

void
pogo_json_writer_init(struct pogo_json_writer *w)
{
	memset(w, 0, sizeof(*w));
	json_put(w, "{", 1);
	w->close[w->depth++] = '}';
}

/* The separator and the key of the next value. */
static void
json_key(struct pogo_json_writer *w, const char *key)
{
	if (w->comma)
		json_put(w, ",", 1);
	w->comma = true;
	if (key != NULL) {
		json_put_string(w, key, strlen(key));
		json_put(w, ":", 1);
	}
}

void
pogo_json_write_bytes(
    struct pogo_json_writer *w, const char *key, const char *s, size_t len)
{
	json_key(w, key);
	json_put_string(w, s, len);
}

void
pogo_json_write_string(
    struct pogo_json_writer *w, const char *key, const char *s)
{
	if (s == NULL)
		pogo_json_write_null(w, key);
	else
		pogo_json_write_bytes(w, key, s, strlen(s));
}

/* The decimal digits of n, appended. */
static void
json_put_digits(struct pogo_json_writer *w, uint64_t n, unsigned mindigits)
{
	char tmp[24];
	unsigned i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0 || sizeof(tmp) - i < mindigits);
	json_put(w, tmp + i, sizeof(tmp) - i);
}

/* 2^53: integers up to it are exact in a double. */
#define JSON_INT_EXACT 9007199254740992.0
/* Times of up to 6 decimals below it: their micros are exact integers. */
#define JSON_MICRO_MAX 9e9

void
pogo_json_write_number(struct pogo_json_writer *w, const char *key, double v)
{
	char tmp[40];
	double a = fabs(v);
	uint64_t n;
	unsigned frac;
	int len;

	json_key(w, key);
	if (!isfinite(v)) {
		json_put(w, "null", 4);
		return;
	}
	if (v < 0)
		json_put(w, "-", 1);
	if (a == floor(a) && a < JSON_INT_EXACT) {
		json_put_digits(w, (uint64_t)a, 1);
		return;
	}
	/*
	 * n / 1e6 of two exact doubles rounds as strtod() rounds the decimal
	 * n / 10^6: when it gives a back, the fixed-point text reads back as a.
	 */
	if (a < JSON_MICRO_MAX) {
		n = (uint64_t)llround(a * 1e6);
		if ((double)n / 1e6 == a) {
			json_put_digits(w, n / 1000000, 1);
			frac = (unsigned)(n % 1000000);
			len = 6;
			while (frac % 10 == 0) {
				frac /= 10;
				len--;
			}
			json_put(w, ".", 1);
			json_put_digits(w, frac, (unsigned)len);
			return;
		}
	}
	len = snprintf(tmp, sizeof(tmp), "%.17g", a);
	json_put(w, tmp, (size_t)len);
}

void
pogo_json_write_bool(struct pogo_json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	if (v)
		json_put(w, "true", 4);
	else
		json_put(w, "false", 5);
}

void
pogo_json_write_null(struct pogo_json_writer *w, const char *key)
{
	json_key(w, key);
	json_put(w, "null", 4);
}

static void
json_open(struct pogo_json_writer *w, const char *key, char open, char close)
{
	if (w->depth >= sizeof(w->close))
		POGO_BUG("json: more than %zu levels", sizeof(w->close));
	json_key(w, key);
	json_put(w, &open, 1);
	w->close[w->depth++] = close;
	w->comma = false;
}

void
pogo_json_write_object(struct pogo_json_writer *w, const char *key)
{
	json_open(w, key, '{', '}');
}

void
pogo_json_write_array(struct pogo_json_writer *w, const char *key)
{
	json_open(w, key, '[', ']');
}

void
pogo_json_write_end(struct pogo_json_writer *w)
{
	if (w->depth <= 1)
		POGO_BUG("json: nothing to close");
	w->depth--;
	json_put(w, &w->close[w->depth], 1);
	w->comma = true;
}

char *
pogo_json_writer_line(struct pogo_json_writer *w, size_t *lenp)
{
	char *s;

	while (w->depth > 0) {
		w->depth--;
		json_put(w, &w->close[w->depth], 1);
	}
	json_put(w, "\n", 2);
	s = w->buf;
	*lenp = w->len - 1;
	memset(w, 0, sizeof(*w));
	return s;
}
