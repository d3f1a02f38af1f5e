/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/wire.c, the framing of SPEC 8.1: lines cut from
 * chunks of any size, N-MALFORMED (a line that is not JSON is reported
 * and decoding goes on; a line longer than 4 MiB is an error that closes
 * the connection), unknown channels dropped, and stopping from a
 * callback.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/wire.h"
#include "pogo/xmalloc.h"

struct got {
	char log[4096]; /* one letter per event: type name or E<r> */
	size_t n;
	int msgs, errors;
	bool stop_on_error;
};

static void
got_add(struct got *g, const char *s)
{
	size_t k = strlen(s);

	ASSERT_LT(g->n + k + 1, sizeof(g->log));
	memcpy(g->log + g->n, s, k);
	g->n += k;
	g->log[g->n++] = ' ';
	g->log[g->n] = '\0';
}

static void
w_msg(struct pogo_wire *w, struct pogo_msg *m, void *arg)
{
	struct got *g = arg;

	g->msgs++;
	got_add(g, pogo_proto_type_name(m->type));
	if (m->task_id != NULL)
		got_add(g, m->task_id);
}

static void
w_error(struct pogo_wire *w, const struct pogo_msg *m, int r, const char *cause,
    const char *line, size_t len, void *arg)
{
	struct got *g = arg;

	g->errors++;
	got_add(g, r == POGO_ERR_JSON ? "!json" : "!proto");
	if (g->stop_on_error)
		pogo_wire_stop(w);
}

static const struct pogo_wire_cbs w_cbs = { w_msg, w_error };

static const char stream[] =
    "{\"channel\":0,\"msg\":\"ping\"}\n"
    "this is not json\n"
    "\n"
    "{\"channel\":9,\"msg\":\"ping\"}\n"
    "{\"msg\":\"pong\"}\r\n"
    "{\"channel\":2,\"command\":\"taskkill\",\"task_id\":7.5}\n"
    "{\"channel\":2,\"command\":\"taskstatus\",\"task_id\":\"a\\nb\"}\n";
static const char stream_log[] =
    "ping !json !json pong !proto taskstatus a\nb ";

TEST(n_malformed_lines_reported_and_decoding_goes_on)
{
	struct got g = { 0 };
	struct pogo_wire *w = pogo_wire_new(0, &w_cbs, &g);

	ASSERT_OK(pogo_wire_feed(w, stream, sizeof(stream) - 1));
	ASSERT_STR_EQ(g.log, stream_log);
	ASSERT_EQ(pogo_wire_pending(w), 0);
	pogo_wire_free(w);
}

TEST(any_chunking_gives_the_same_messages)
{
	size_t step, i, k;

	for (step = 1; step < 40; step++) {
		struct got g = { 0 };
		struct pogo_wire *w = pogo_wire_new(0, &w_cbs, &g);

		for (i = 0; i < sizeof(stream) - 1; i += k) {
			k = step + i % 3;
			if (k > sizeof(stream) - 1 - i)
				k = sizeof(stream) - 1 - i;
			ASSERT_OK(pogo_wire_feed(w, stream + i, k));
		}
		ASSERT_STR_EQ(g.log, stream_log);
		pogo_wire_free(w);
	}
}

TEST(partial_line_waits_for_its_newline)
{
	struct got g = { 0 };
	struct pogo_wire *w = pogo_wire_new(0, &w_cbs, &g);

	ASSERT_OK(pogo_wire_feed(w, "{\"msg\":", 7));
	ASSERT_EQ(pogo_wire_pending(w), 7);
	ASSERT_EQ(g.msgs + g.errors, 0);
	ASSERT_OK(pogo_wire_feed(w, "\"ping\"}", 7));
	ASSERT_EQ(g.msgs, 0);
	ASSERT_OK(pogo_wire_feed(w, "\n{", 2));
	ASSERT_EQ(g.msgs, 1);
	ASSERT_EQ(pogo_wire_pending(w), 1);
	pogo_wire_free(w);
}

/* A line of exactly len bytes before its newline: {"msg":"ping","x":"aaa"} */
static char *
long_line(size_t len)
{
	static const char head[] = "{\"msg\":\"ping\",\"x\":\"";
	char *s = xmalloc(len + 2);

	memcpy(s, head, sizeof(head) - 1);
	memset(s + sizeof(head) - 1, 'a', len - (sizeof(head) - 1) - 2);
	memcpy(s + len - 2, "\"}\n", 4);
	return s;
}

TEST(n_malformed_4mib_line_accepted_longer_closes)
{
	size_t max = POGO_PROTO_MAX_LINE, i;
	char *ok = long_line(max), *big = long_line(max + 1);
	struct got g = { 0 };
	struct pogo_wire *w;

	/* Exactly 4 MiB, in one chunk and in 64 KiB chunks: fine. */
	w = pogo_wire_new(0, &w_cbs, &g);
	ASSERT_OK(pogo_wire_feed(w, ok, max + 1));
	for (i = 0; i < max + 1; i += 65536)
		ASSERT_OK(pogo_wire_feed(
		    w, ok + i, max + 1 - i < 65536 ? max + 1 - i : 65536));
	ASSERT_EQ(g.msgs, 2);
	pogo_wire_free(w);
	/* One byte more: in one chunk. */
	w = pogo_wire_new(0, &w_cbs, &g);
	ASSERT_EQ(pogo_wire_feed(w, big, max + 2), POGO_ERR_LIMIT);
	ASSERT_EQ(
	    pogo_wire_feed(w, "{\"msg\":\"ping\"}\n", 15), POGO_ERR_LIMIT);
	ASSERT_EQ(g.msgs, 2);
	pogo_wire_free(w);
	/* In chunks, without its newline yet: the limit is seen early. */
	w = pogo_wire_new(0, &w_cbs, &g);
	for (i = 0; i < max; i += 65536)
		ASSERT_OK(pogo_wire_feed(w, big + i, 65536));
	ASSERT_EQ(pogo_wire_feed(w, big + max, 1), POGO_ERR_LIMIT);
	ASSERT_EQ(pogo_wire_pending(w), 0);
	pogo_wire_free(w);
	ASSERT_EQ(g.msgs, 2);
	ASSERT_EQ(g.errors, 0);
	free(ok);
	free(big);
}

TEST(stop_from_a_callback_reads_no_further)
{
	struct got g = { 0 };
	struct pogo_wire *w = pogo_wire_new(0, &w_cbs, &g);

	g.stop_on_error = true;
	ASSERT_EQ(
	    pogo_wire_feed(w, stream, sizeof(stream) - 1), POGO_ERR_STATE);
	ASSERT_STR_EQ(g.log, "ping !json ");
	ASSERT_EQ(pogo_wire_feed(w, stream, 10), POGO_ERR_STATE);
	pogo_wire_free(w);
}

TEST(encoded_lines_never_hold_a_raw_newline)
{
	struct pogo_msg m, b;
	struct pogo_proto_record rec = { 1, POGO_OUT_STDOUT,
		(char *)"x\ny\r\n\0z", 7, true };
	struct got g = { 0 };
	struct pogo_wire *w = pogo_wire_new(0, &w_cbs, &g);
	char *line;
	size_t len;

	pogo_proto_msg_init(&m, POGO_MSG_TASK_OUTPUT);
	m.task_id = (char *)"a\nb";
	m.records = &rec;
	m.nrecords = 1;
	line = pogo_proto_encode(&m, &len);
	ASSERT(memchr(line, '\n', len - 1) == NULL);
	ASSERT_OK(pogo_wire_feed(w, line, len));
	ASSERT_STR_EQ(g.log, "task_output a\nb ");
	ASSERT_OK(pogo_proto_decode(line, len, &b, NULL));
	ASSERT_EQ(b.records[0].len, 7);
	ASSERT_MEM_EQ(b.records[0].data, rec.data, 7);
	pogo_proto_msg_clear(&b);
	free(line);
	pogo_wire_free(w);
}
