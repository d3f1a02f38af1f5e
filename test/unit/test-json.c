/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/json.c: the event lines of SPEC 12.2. */
#include "pogo/compat.h"

#include <math.h>

#include "harness.h"
#include "pogo/job.h"
#include "pogo/json.h"
#include "pogo/xmalloc.h"

TEST(entry_events)
{
	struct pogo_job_entry e;
	char *s;

	memset(&e, 0, sizeof(e));
	e.time = 1732525200.101;
	e.state = POGO_JOB_RUNNING;
	e.message = "constraints computed";
	e.exitstatus = -1;
	s = pogo_json_event_entry("p0000000000", &e);
	ASSERT_STR_EQ(s,
	    "{\"event\":\"job\",\"job\":\"p0000000000\","
	    "\"state\":\"running\",\"message\":\"constraints "
	    "computed\",\"time\":1732525200.101}");
	free(s);
	e.host = "host2";
	e.state = POGO_HOST_FINISHED;
	e.message = "ok";
	e.exitstatus = 0;
	s = pogo_json_event_entry("p0000000000", &e);
	ASSERT_STR_EQ(s,
	    "{\"event\":\"host\",\"job\":\"p0000000000\","
	    "\"host\":\"host2\",\"state\":\"finished\","
	    "\"message\":\"ok\",\"exitstatus\":0,"
	    "\"time\":1732525200.101}");
	free(s);
}

TEST(output_and_summary_events)
{
	char *s;

	s = pogo_json_event_output("p0000000000", "host2", 0, POGO_OUT_STDOUT,
	    "say \"hi\"\t", 9, 1732525200.35);
	ASSERT_STR_EQ(s,
	    "{\"event\":\"output\",\"job\":\"p0000000000\","
	    "\"host\":\"host2\",\"run\":0,\"type\":\"STDOUT\","
	    "\"data\":\"say \\\"hi\\\"\\t\",\"time\":1732525200.35}");
	free(s);
	s = pogo_json_event_summary(2, 2, 0, 0, 0, 0, 0, 1.34, 1, 1, 0);
	ASSERT_STR_EQ(s,
	    "{\"event\":\"summary\",\"hosts\":2,\"ok\":2,"
	    "\"failed\":0,\"unreachable\":0,\"deadlocked\":0,"
	    "\"halted\":0,\"skipped\":0,\"elapsed\":1.3,"
	    "\"peak_in_flight\":1,\"peak_handshakes\":1,"
	    "\"exit\":0}");
	free(s);
}

TEST(output_keeps_every_byte)
{
	char *s;

	/* A NUL byte is \u0000, not the end of the data. */
	s = pogo_json_event_output(
	    "p0000000000", "h", 0, POGO_OUT_STDOUT, "a\0b", 3, 1.5);
	ASSERT_STR_EQ(s,
	    "{\"event\":\"output\",\"job\":\"p0000000000\",\"host\":\"h\","
	    "\"run\":0,\"type\":\"STDOUT\",\"data\":\"a\\u0000b\","
	    "\"time\":1.5}");
	free(s);
	/* Control bytes escaped, UTF-8 kept, invalid UTF-8 is U+FFFD. */
	s = pogo_json_event_output("p0000000000", "h", 0, POGO_OUT_STDERR,
	    "\x1b[2J\r\\ \xc3\xa9 \xff\xc3", 12, 2);
	ASSERT_STR_EQ(s,
	    "{\"event\":\"output\",\"job\":\"p0000000000\",\"host\":\"h\","
	    "\"run\":0,\"type\":\"STDERR\","
	    "\"data\":\"\\u001b[2J\\r\\\\ \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\","
	    "\"time\":2}");
	free(s);
}

/* A document's string member s, as bytes. */
static char *
doc_string(const char *line, const char *key, size_t *lenp)
{
	struct pogo_json *doc;
	char *s;

	ASSERT_OK(pogo_json_parse_object(line, strlen(line), &doc));
	s = pogo_json_string(pogo_json_get(doc, key), lenp);
	pogo_json_free(doc);
	return s;
}

TEST(nul_and_control_bytes_round_trip)
{
	static const char data[] = "a\0b\x01"
	                           "c\x02\\u0000\n\x7f\xc3\xa9";
	struct pogo_json *o = pogo_json_new_object();
	char *line, *s;
	size_t len, n;

	pogo_json_add_bytes(o, "d", data, sizeof(data) - 1);
	line = pogo_json_print_line(o, &len);
	ASSERT_STR_EQ(line,
	    "{\"d\":\"a\\u0000b\\u0001c\\u0002\\\\u0000\\n\x7f\xc3\xa9\"}\n");
	ASSERT_EQ(len, strlen(line));
	/* One line: the only newline is the last byte. */
	ASSERT(memchr(line, '\n', len - 1) == NULL);
	s = doc_string(line, "d", &n);
	ASSERT_EQ(n, sizeof(data) - 1);
	ASSERT_MEM_EQ(s, data, n);
	free(s);
	free(line);
}

TEST(decoded_strings_are_valid_utf8)
{
	char *s;
	size_t n;

	/* A lone continuation byte and a truncated sequence. */
	s = doc_string("{\"d\":\"x\x80y\xe2\x82\"}", "d", &n);
	ASSERT_STR_EQ(s, "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd");
	ASSERT_EQ(n, strlen(s));
	free(s);
	/* Escaped non-ASCII stays itself; \u0001 and \u0000 come back. */
	s = doc_string(
	    "{\"d\":\"\\u00e9\\u0001\\u0000\\ud83d\\ude00\"}", "d", &n);
	ASSERT_EQ(n, 2 + 1 + 1 + 4);
	ASSERT_MEM_EQ(s, "\xc3\xa9\x01\0\xf0\x9f\x98\x80", n);
	free(s);
}

TEST(parse_refuses_what_is_not_one_object)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[1,2]",
		"\"str\"",
		"42",
		"{\"a\":1} x",
		"{\"a\":1}{\"b\":2}",
		"{\"a\":\"raw\x01\"}",
		"{\"a\":\"nul\0\"}",
		"{\"a\":\"\\ud800\"}",
		"{\"a\":",
		"{\"a\":\"\\u00",
		"{\"a\":\"\\",
	};
	static const size_t bad_len[] = { 0, 0, 0, 0, 0, 0, 0, 0, 13, 0, 0, 0,
		0 };
	struct pogo_json *doc = (struct pogo_json *)&doc;
	size_t i, n;

	for (i = 0; i < POGO_NELEM(bad); i++) {
		n = bad_len[i] != 0 ? bad_len[i] : strlen(bad[i]);
		if (pogo_json_parse_object(bad[i], n, &doc) != POGO_ERR_JSON)
			harness_fail(
			    __FILE__, __LINE__, "accepted: %s", bad[i]);
		ASSERT_NULL(doc);
	}
	/* Whitespace around the object is fine. */
	ASSERT_OK(
	    pogo_json_parse_object(" {\"a\":[true,null,1.5]}\r\n", 24, &doc));
	ASSERT_EQ(pogo_json_kind(pogo_json_get(doc, "a")), POGO_JSON_ARRAY);
	ASSERT_EQ(pogo_json_kind(pogo_json_get(doc, "b")), POGO_JSON_NONE);
	ASSERT_EQ(pogo_json_kind(pogo_json_first(pogo_json_get(doc, "a"))),
	    POGO_JSON_BOOL);
	ASSERT_NULL(pogo_json_string(pogo_json_get(doc, "a"), NULL));
	pogo_json_free(doc);
}

/* A host message may carry the target's bytes (a stub's reason, an SSH
 * server's disconnect text): the line stays valid UTF-8, U+FFFD for
 * each invalid byte, as output records do (SPEC 5.8). */
TEST(entry_message_with_invalid_utf8_stays_valid)
{
	struct pogo_job_entry e;
	char *s;

	memset(&e, 0, sizeof(e));
	e.time = 1.5;
	e.host = "h";
	e.state = POGO_HOST_FAILED;
	e.message = "ssh error: bye \xff\xfe \"x\"";
	e.exitstatus = -1;
	s = pogo_json_event_entry("p0000000000", &e);
	ASSERT_STR_EQ(s,
	    "{\"event\":\"host\",\"job\":\"p0000000000\",\"host\":\"h\","
	    "\"state\":\"failed\",\"message\":\"ssh error: bye "
	    "\xef\xbf\xbd\xef\xbf\xbd \\\"x\\\"\",\"time\":1.5}");
	free(s);
}

/* format=json-pretty (SPEC 11.2): 2 spaces, empty containers kept short,
 * a tab inside a string escaped and left alone. */
TEST(print_pretty)
{
	struct pogo_json *doc = pogo_json_new_object(), *o, *a;
	size_t len;
	char *s;

	pogo_json_add_object(doc, "a");
	a = pogo_json_add_array(doc, "b");
	pogo_json_add_number(a, NULL, 1);
	pogo_json_add_number(a, NULL, 2);
	o = pogo_json_add_object(doc, "c");
	pogo_json_add_string(o, "d", "x\ty");
	pogo_json_add_array(o, "e");
	s = pogo_json_print_pretty(doc, &len);
	ASSERT_STR_EQ(s,
	    "{\n"
	    "  \"a\": {},\n"
	    "  \"b\": [1, 2],\n"
	    "  \"c\": {\n"
	    "    \"d\": \"x\\ty\",\n"
	    "    \"e\": []\n"
	    "  }\n"
	    "}\n");
	ASSERT_EQ(len, strlen(s));
	free(s);
}

/*
 * Issue 8: integers (one snprintf each, not cJSON's printf and sscanf)
 * print as cJSON prints them ("%1.15g") and read back, with the numbers
 * that are not integers below 10^15 left to cJSON.
 */
TEST(numbers_print_as_cjson_prints_them)
{
	static const double v[] = { 0, 1, -1, 7, 255, -3, 2147483647.0,
		2147483648.0, -2147483649.0, 4294967296.0, 1732525201,
		999999999999999.0, -999999999999999.0, 1e15, 1e16, 0.5, -0.0,
		0.1, 1e-300, 1e300 };
	struct pogo_json *o, *doc;
	char want[64], *line;
	size_t i, len;

	for (i = 0; i < POGO_NELEM(v); i++) {
		o = pogo_json_new_object();
		pogo_json_add_number(o, "v", v[i]);
		line = pogo_json_print_line(o, &len); /* frees o */
		snprintf(want, sizeof(want), "{\"v\":%1.15g}\n", v[i]);
		if (strtod(want + 5, NULL) != v[i])
			snprintf(want, sizeof(want), "{\"v\":%1.17g}\n", v[i]);
		ASSERT_STR_EQ(line, want);
		ASSERT_OK(pogo_json_parse_object(line, len, &doc));
		ASSERT(pogo_json_number(pogo_json_get(doc, "v")) == v[i]);
		pogo_json_free(doc);
		free(line);
	}
}

/* v added with pogo_json_add_double as "v", printed, read back. */
static double
double_round_trip(double v, char *text, size_t textlen)
{
	struct pogo_json *o = pogo_json_new_object(), *doc;
	char *line;
	double back = NAN;
	size_t len;

	pogo_json_add_double(o, "v", v);
	line = pogo_json_print_line(o, &len);
	ASSERT_OK(pogo_json_parse_object(line, len, &doc));
	if (pogo_json_kind(pogo_json_get(doc, "v")) == POGO_JSON_NUMBER)
		back = pogo_json_number(pogo_json_get(doc, "v"));
	/* The number's text, between "v": and the closing brace. */
	snprintf(text, textlen, "%.*s", (int)(len - 7), line + 5);
	pogo_json_free(doc);
	free(line);
	return back;
}

/*
 * Times (issue 8: one snprintf checked by strtod instead of cJSON's
 * printf, sscanf, printf) read back as the same double: fixed cases,
 * times as pogo_exec_now() makes them, random bit patterns; ints and
 * what is not finite print as cJSON prints them.
 */
TEST(doubles_read_back_exactly)
{
	static const struct {
		double v;
		const char *text;
	} fixed[] = {
		{ 1732525200.125, "1732525200.125" },
		{ 12.5, "12.5" },
		{ 1764262800.123456, "1764262800.123456" },
		{ 0.1, "0.10000000000000001" },
		{ 0, "0" },
		{ -3, "-3" },
		{ 1732525201, "1732525201" },
	};
	char text[64];
	uint64_t x = 88172645463325252ULL;
	double v, back;
	size_t i;
	int k;

	for (i = 0; i < POGO_NELEM(fixed); i++) {
		back = double_round_trip(fixed[i].v, text, sizeof(text));
		ASSERT_STR_EQ(text, fixed[i].text);
		ASSERT(back == fixed[i].v);
	}
	ASSERT(isnan(double_round_trip(NAN, text, sizeof(text))));
	ASSERT_STR_EQ(text, "null");
	ASSERT(isnan(double_round_trip(INFINITY, text, sizeof(text))));
	ASSERT_STR_EQ(text, "null");
	for (k = 0; k < 40000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (k % 2 == 0)
			v = (double)(x % 4000000000ULL) +
			    (double)(x % 1000000) / 1e6;
		else
			memcpy(&v, &x, sizeof(v));
		if (!isfinite(v))
			continue;
		back = double_round_trip(v, text, sizeof(text));
		if (back != v)
			harness_fail(__FILE__, __LINE__,
			    "%.17g printed as %s read back as %.17g", v, text,
			    back);
	}
}

/* A line longer than the first try's buffer prints whole all the same. */
TEST(long_line_prints_whole)
{
	struct pogo_json *o = pogo_json_new_object();
	char *big = xmalloc(20000), *line, *s;
	size_t len, n;

	memset(big, 'x', 20000);
	pogo_json_add_bytes(o, "d", big, 20000);
	pogo_json_add_double(o, "t", 1.5);
	line = pogo_json_print_line(o, &len);
	ASSERT_EQ(len, 20000 + 17);
	ASSERT_EQ(line[len - 1], '\n');
	s = doc_string(line, "d", &n);
	ASSERT_EQ(n, 20000);
	ASSERT_MEM_EQ(s, big, n);
	ASSERT(strstr(line, ",\"t\":1.5}\n") != NULL);
	free(s);
	free(line);
	free(big);
}

/*
 * A message (constant keys, borrowed rather than copied, nested objects
 * and arrays included) prints as the same document built with copies.
 */
static char *
message_line(struct pogo_json *o, size_t *lenp)
{
	struct pogo_json *a, *in;

	pogo_json_add_number(o, "channel", 1);
	pogo_json_add_string(o, "command", "task_output");
	a = pogo_json_add_array(o, "records");
	in = pogo_json_add_object(a, NULL);
	pogo_json_add_double(in, "ts", 1732525200.25);
	pogo_json_add_bytes(in, "data", "a\0b", 3);
	in = pogo_json_add_object(o, "task_data");
	pogo_json_add_bool(in, "lock", true);
	pogo_json_add_null(in, "rc");
	return pogo_json_print_line(o, lenp);
}

TEST(message_keys_borrowed_print_the_same)
{
	char *a, *b;
	size_t alen, blen;

	a = message_line(pogo_json_new_object(), &alen);
	b = message_line(pogo_json_new_message(), &blen);
	ASSERT_STR_EQ(b, a);
	ASSERT_EQ(blen, alen);
	ASSERT_STR_EQ(b,
	    "{\"channel\":1,\"command\":\"task_output\",\"records\":[{\"ts\":"
	    "1732525200.25,\"data\":\"a\\u0000b\"}],\"task_data\":{\"lock\":"
	    "true,\"rc\":null}}\n");
	free(a);
	free(b);
}

/*
 * The escapes \u0000 and \u0001 are found with memchr: several in a
 * line, first and last in a string, after an escaped backslash (left
 * alone), and a line that ends in a backslash is no JSON.
 */
TEST(nul_escapes_found_anywhere)
{
	struct pogo_json *doc;
	char *s;
	size_t n;

	s = doc_string(
	    "{\"d\":\"\\u0000x\\\\\\\\u0001\\u0001\\\\u0000\\u0000\"}", "d",
	    &n);
	ASSERT_EQ(n, 1 + 1 + 1 + 6 + 1 + 1 + 5 + 1);
	ASSERT_MEM_EQ(s, "\0x\\\\u0001\x01\\u0000\0", n);
	free(s);
	ASSERT_EQ(
	    pogo_json_parse_object("{\"d\":\"x\\", 8, &doc), POGO_ERR_JSON);
	ASSERT_NULL(doc);
}
