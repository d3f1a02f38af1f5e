/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only file that includes cJSON.  cJSON allocates through pogo's x*
 * allocators, so its NULL returns cannot mean exhausted memory here.
 */
#include "pogo/compat.h"

#include <cjson/cJSON.h>

#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

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

char *
pogo_json_event_entry(const char *job, const struct pogo_job_entry *e)
{
	cJSON *o;

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
	cJSON_AddStringToObject(o, "message", e->message);
	if (e->host != NULL && e->exitstatus >= 0)
		cJSON_AddNumberToObject(o, "exitstatus", e->exitstatus);
	cJSON_AddNumberToObject(o, "time", e->time);
	return json_print(o);
}

/*
 * data[0..len) as a JSON string literal, every byte kept: cJSON takes
 * NUL-terminated strings, and a record may hold NUL bytes (SPEC 5.8), so
 * this escapes as cJSON does and adds \u0000; invalid UTF-8 (which
 * output.c never passes) becomes U+FFFD.
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
