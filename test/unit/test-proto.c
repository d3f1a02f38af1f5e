/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/proto.c: every message of SPEC 8.3 encodes to the
 * documented line and decodes back to the same fields; hostile lines
 * (wrong types, huge numbers, missing members, wrong enumerations) are
 * refused with a message naming the member, never a crash.
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/proto.h"

static int
decode_s(const char *line, struct pogo_msg *m, char **causep)
{
	return pogo_proto_decode(line, strlen(line), m, causep);
}

/* Encode m, check the line, decode it into back. */
static void
round_trip(const struct pogo_msg *m, const char *want, struct pogo_msg *back)
{
	char *line, *cause = NULL;
	size_t len;

	line = pogo_proto_encode(m, &len);
	ASSERT_EQ(len, strlen(line));
	ASSERT(line[len - 1] == '\n');
	if (want != NULL)
		ASSERT_STR_EQ(line, want);
	if (pogo_proto_decode(line, len, back, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "%s: %s", line, cause);
	ASSERT_NULL(cause);
	ASSERT_EQ(back->type, m->type);
	free(line);
}

TEST(channel0_greeting_hello_ping_pong)
{
	struct pogo_msg m, b;

	pogo_proto_msg_init(&m, POGO_MSG_GREETING);
	round_trip(&m,
	    "{\"channel\":0,\"msg\":\"Hello, worker.\",\"protocol\":\"2.0\"}\n",
	    &b);
	ASSERT_STR_EQ(b.protocol, "2.0");
	ASSERT_EQ(b.channel, 0);
	pogo_proto_msg_clear(&b);

	pogo_proto_msg_init(&m, POGO_MSG_HELLO);
	m.worker = (char *)"w1";
	m.instance = (char *)"0123456789abcdef0123456789abcdef";
	m.max_tasks = 32;
	round_trip(&m,
	    "{\"channel\":0,\"msg\":\"hello\",\"protocol\":\"2.0\","
	    "\"worker\":\"w1\",\"instance\":"
	    "\"0123456789abcdef0123456789abcdef\",\"max_tasks\":32,"
	    "\"key_id\":null}\n",
	    &b);
	ASSERT_STR_EQ(b.worker, "w1");
	ASSERT_STR_EQ(b.instance, m.instance);
	ASSERT_EQ(b.max_tasks, 32);
	ASSERT_NULL(b.key_id);
	pogo_proto_msg_clear(&b);

	pogo_proto_msg_init(&m, POGO_MSG_PING);
	round_trip(&m, "{\"channel\":0,\"msg\":\"ping\"}\n", &b);
	pogo_proto_msg_clear(&b);
	pogo_proto_msg_init(&m, POGO_MSG_PONG);
	round_trip(&m, "{\"channel\":0,\"msg\":\"pong\"}\n", &b);
	pogo_proto_msg_clear(&b);
}

TEST(run_with_every_task_field)
{
	struct pogo_msg m, b;
	struct pogo_proto_task *t = &m.task;

	pogo_proto_msg_init(&m, POGO_MSG_RUN);
	m.task_id = (char *)"127.0.0.1:7655-1";
	m.host = (char *)"host1";
	t->task_name = (char *)"ssh";
	t->command = (char *)"echo \"hi\"\nuptime";
	t->job_id = (char *)"p0000000001";
	t->user = (char *)"alice";
	t->ssh_user = (char *)"deploy";
	t->ssh_port = 2222;
	t->connect_timeout = 10;
	t->run_as = (char *)"root";
	t->timeout = 600;
	t->retry = 2;
	t->prehook = true;
	t->posthook = false;
	t->lock = true;
	t->exe_name = (char *)"fix.sh";
	t->exe_data = (char *)"ZWNobyBoaQo=";
	t->password = (char *)"enc-pw";
	t->client_private_key = (char *)"enc-key";
	t->pvt_key_passphrase = (char *)"enc-pass";
	round_trip(&m,
	    "{\"channel\":2,\"command\":\"run\",\"task_id\":"
	    "\"127.0.0.1:7655-1\",\"host\":\"host1\",\"task_data\":{"
	    "\"task_name\":\"ssh\",\"task_data\":{\"command\":\"echo "
	    "\\\"hi\\\"\\nuptime\",\"job_id\":\"p0000000001\",\"user\":"
	    "\"alice\",\"ssh_user\":\"deploy\",\"ssh_port\":2222,"
	    "\"connect_timeout\":10,\"run_as\":\"root\",\"timeout\":600,"
	    "\"retry\":2,\"prehook\":true,\"posthook\":false,\"lock\":true,"
	    "\"exe_name\":\"fix.sh\",\"exe_data\":\"ZWNobyBoaQo=\","
	    "\"password\":\"enc-pw\",\"client_private_key\":\"enc-key\","
	    "\"pvt_key_passphrase\":\"enc-pass\"}}}\n",
	    &b);
	ASSERT_STR_EQ(b.task_id, m.task_id);
	ASSERT_STR_EQ(b.host, "host1");
	ASSERT_STR_EQ(b.task.task_name, "ssh");
	ASSERT_STR_EQ(b.task.command, t->command);
	ASSERT_STR_EQ(b.task.job_id, t->job_id);
	ASSERT_STR_EQ(b.task.user, "alice");
	ASSERT_STR_EQ(b.task.ssh_user, "deploy");
	ASSERT_EQ(b.task.ssh_port, 2222);
	ASSERT_EQ(b.task.connect_timeout, 10);
	ASSERT_STR_EQ(b.task.run_as, "root");
	ASSERT_EQ(b.task.timeout, 600);
	ASSERT_EQ(b.task.retry, 2);
	ASSERT(b.task.prehook && !b.task.posthook && b.task.lock);
	ASSERT_STR_EQ(b.task.exe_name, "fix.sh");
	ASSERT_STR_EQ(b.task.exe_data, t->exe_data);
	ASSERT_STR_EQ(b.task.password, "enc-pw");
	ASSERT_STR_EQ(b.task.client_private_key, "enc-key");
	ASSERT_STR_EQ(b.task.pvt_key_passphrase, "enc-pass");
	pogo_proto_msg_clear(&b);

	/* The minimal run: absent fields stay absent. */
	pogo_proto_msg_init(&m, POGO_MSG_RUN);
	m.task_id = (char *)"123";
	m.host = (char *)"wonkhost";
	m.task.task_name = (char *)"blech";
	m.task.command = (char *)"command-by-dispatcher";
	round_trip(&m, NULL, &b);
	ASSERT_STR_EQ(b.task.task_name, "blech");
	ASSERT_NULL(b.task.ssh_user);
	ASSERT_EQ(b.task.ssh_port, -1);
	ASSERT_EQ(b.task.connect_timeout, -1);
	ASSERT_EQ(b.task.timeout, -1);
	ASSERT_NULL(b.task.password);
	pogo_proto_msg_clear(&b);
}

TEST(commands_and_replies)
{
	struct pogo_msg m, b;
	char *cause;

	pogo_proto_msg_init(&m, POGO_MSG_TASKSTATUS);
	m.task_id = (char *)"t-9";
	round_trip(&m,
	    "{\"channel\":2,\"command\":\"taskstatus\",\"task_id\":\"t-9\"}\n",
	    &b);
	ASSERT_STR_EQ(b.task_id, "t-9");
	pogo_proto_msg_clear(&b);
	m.type = POGO_MSG_TASKKILL;
	round_trip(&m, NULL, &b);
	pogo_proto_msg_clear(&b);
	pogo_proto_msg_init(&m, POGO_MSG_STATUS);
	round_trip(&m, "{\"channel\":2,\"command\":\"status\"}\n", &b);
	pogo_proto_msg_clear(&b);

	pogo_proto_msg_init(&m, POGO_MSG_REPLY);
	m.channel = 2;
	m.ok = 1;
	m.task_id = (char *)"t-9";
	m.text = (char *)"busy";
	round_trip(&m,
	    "{\"channel\":2,\"type\":\"reply\",\"ok\":1,\"task_id\":\"t-9\","
	    "\"msg\":\"busy\"}\n",
	    &b);
	ASSERT_EQ(b.ok, 1);
	ASSERT_EQ(b.channel, 2);
	ASSERT_STR_EQ(b.text, "busy");
	ASSERT_EQ(b.tasks, -1);
	pogo_proto_msg_clear(&b);
	pogo_proto_msg_init(&m, POGO_MSG_REPLY);
	m.channel = 2;
	m.text = (char *)"ok";
	m.tasks = 3;
	round_trip(&m,
	    "{\"channel\":2,\"type\":\"reply\",\"ok\":0,\"msg\":\"ok\","
	    "\"tasks\":3}\n",
	    &b);
	ASSERT_EQ(b.tasks, 3);
	ASSERT_NULL(b.task_id);
	pogo_proto_msg_clear(&b);
	pogo_proto_msg_init(&m, POGO_MSG_REPLY);
	m.channel = 1;
	round_trip(&m,
	    "{\"channel\":1,\"type\":\"reply\",\"ok\":0,\"msg\":"
	    "\"OK\"}\n",
	    &b);
	ASSERT_EQ(b.channel, 1);
	pogo_proto_msg_clear(&b);

	/* A channel-2 message without command is a run (SPEC 8.3). */
	ASSERT_OK(decode_s("{\"channel\":2,\"task_id\":\"1\","
	                   "\"host\":\"h\",\"task_data\":{"
	                   "\"task_name\":\"local\",\"task_data\":{"
	                   "\"command\":\"true\"}}}",
	    &b, &cause));
	ASSERT_EQ(b.type, POGO_MSG_RUN);
	pogo_proto_msg_clear(&b);
	/* Unknown commands, with what is needed to answer them (N-002). */
	ASSERT_OK(decode_s("{\"channel\":1,\"command\":"
	                   "\"command-by-worker\",\"task_id\":123}",
	    &b, &cause));
	ASSERT_EQ(b.type, POGO_MSG_UNKNOWN);
	ASSERT_STR_EQ(b.command, "command-by-worker");
	ASSERT_STR_EQ(b.task_id, "123");
	pogo_proto_msg_clear(&b);
	/* Reports on the command channel are unknown commands there. */
	ASSERT_OK(decode_s("{\"channel\":2,\"command\":"
	                   "\"task_done\",\"task_id\":\"1\"}",
	    &b, &cause));
	ASSERT_EQ(b.type, POGO_MSG_UNKNOWN);
	pogo_proto_msg_clear(&b);
	/* No channel is channel 0; an unknown channel is ignored. */
	ASSERT_OK(decode_s("{\"msg\":\"ping\"}", &b, &cause));
	ASSERT_EQ(b.type, POGO_MSG_PING);
	ASSERT_OK(pogo_proto_decode(
	    "{\"channel\":7,\"msg\":\"ping\"}", 26, &b, &cause));
	ASSERT_EQ(b.type, POGO_MSG_IGNORED);
	ASSERT_OK(decode_s("{\"channel\":-1}", &b, &cause));
	ASSERT_EQ(b.type, POGO_MSG_IGNORED);
}

TEST(reports_with_nul_bytes_and_nulls)
{
	struct pogo_msg m, b;
	struct pogo_proto_record rec[3] = {
		{ 1732525200.25, POGO_OUT_STDOUT, (char *)"a\0b", 3, true },
		{ 1732525200.5, POGO_OUT_STDERR, (char *)"bad \xff utf8", 10,
		    true },
		{ 1732525201, POGO_OUT_STDOUT, (char *)"", 0, true },
	};

	pogo_proto_msg_init(&m, POGO_MSG_TASK_STARTED);
	m.task_id = (char *)"x-1";
	m.started_at = 1732525200.125;
	round_trip(&m,
	    "{\"channel\":1,\"command\":\"task_started\",\"task_id\":\"x-1\","
	    "\"started_at\":1732525200.125}\n",
	    &b);
	ASSERT(b.started_at == 1732525200.125);
	pogo_proto_msg_clear(&b);

	pogo_proto_msg_init(&m, POGO_MSG_TASK_OUTPUT);
	m.task_id = (char *)"x-1";
	m.first = 5;
	m.records = rec;
	m.nrecords = 3;
	round_trip(&m,
	    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":\"x-1\","
	    "\"first\":5,\"records\":[{\"ts\":1732525200.25,\"type\":"
	    "\"STDOUT\",\"data\":\"a\\u0000b\"},{\"ts\":1732525200.5,"
	    "\"type\":\"STDERR\",\"data\":\"bad \xef\xbf\xbd utf8\"},"
	    "{\"ts\":1732525201,\"type\":\"STDOUT\",\"data\":\"\"}]}\n",
	    &b);
	ASSERT_EQ(b.first, 5);
	ASSERT_EQ(b.nrecords, 3);
	ASSERT_EQ(b.records[0].len, 3);
	ASSERT_MEM_EQ(b.records[0].data, "a\0b", 3);
	ASSERT_EQ(b.records[1].type, POGO_OUT_STDERR);
	ASSERT_STR_EQ(b.records[1].data, "bad \xef\xbf\xbd utf8");
	ASSERT_EQ(b.records[2].len, 0);
	ASSERT(b.records[2].ts == 1732525201);
	pogo_proto_msg_clear(&b);

	pogo_proto_msg_init(&m, POGO_MSG_TASK_DONE);
	m.task_id = (char *)"x-1";
	m.signal = (char *)"TERM";
	m.timed_out = true;
	m.state = POGO_EXEC_FAILED;
	m.message = (char *)"timed out";
	m.finished_at = 1732525260.5;
	m.nrecords_total = 7;
	round_trip(&m,
	    "{\"channel\":1,\"command\":\"task_done\",\"task_id\":\"x-1\","
	    "\"rc\":null,\"signal\":\"TERM\",\"timed_out\":true,\"state\":"
	    "\"failed\",\"message\":\"timed out\",\"started_at\":null,"
	    "\"finished_at\":1732525260.5,\"records\":7}\n",
	    &b);
	ASSERT_EQ(b.rc, -1);
	ASSERT_STR_EQ(b.signal, "TERM");
	ASSERT(b.timed_out);
	ASSERT_EQ(b.state, POGO_EXEC_FAILED);
	ASSERT_STR_EQ(b.message, "timed out");
	ASSERT(b.started_at < 0);
	ASSERT(b.finished_at == 1732525260.5);
	ASSERT_EQ(b.nrecords_total, 7);
	pogo_proto_msg_clear(&b);
	m.rc = 255;
	m.signal = NULL;
	m.state = POGO_EXEC_UNREACHABLE;
	m.started_at = 1732525200;
	round_trip(&m, NULL, &b);
	ASSERT_EQ(b.rc, 255);
	ASSERT_NULL(b.signal);
	ASSERT_EQ(b.state, POGO_EXEC_UNREACHABLE);
	ASSERT(b.started_at == 1732525200);
	pogo_proto_msg_clear(&b);
}

/* Hostile lines: each is refused and the cause names the member. */
/*
 * Issue 9: a record without its newline (a partial last line, or one
 * that waited 0.5 s, SPEC 5.8) says "eol": false; a line says nothing,
 * and a record without "eol" (an older worker) is a line.
 */
TEST(partial_records_say_eol_false)
{
	struct pogo_msg m, b;
	struct pogo_proto_record rec[2] = {
		{ 1, POGO_OUT_STDOUT, (char *)"line", 4, true },
		{ 2, POGO_OUT_STDERR, (char *)"part", 4, false },
	};
	char *cause = NULL;

	pogo_proto_msg_init(&m, POGO_MSG_TASK_OUTPUT);
	m.task_id = (char *)"x-1";
	m.records = rec;
	m.nrecords = 2;
	round_trip(&m,
	    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":\"x-1\","
	    "\"first\":0,\"records\":[{\"ts\":1,\"type\":\"STDOUT\","
	    "\"data\":\"line\"},{\"ts\":2,\"type\":\"STDERR\",\"data\":"
	    "\"part\",\"eol\":false}]}\n",
	    &b);
	ASSERT_EQ(b.nrecords, 2);
	ASSERT(b.records[0].eol);
	ASSERT(!b.records[1].eol);
	ASSERT_STR_EQ(b.records[1].data, "part");
	pogo_proto_msg_clear(&b);

	/* "eol": true is a line too. */
	ASSERT_OK(
	    decode_s("{\"channel\":1,\"command\":\"task_output\","
	             "\"task_id\":\"1\",\"first\":0,\"records\":[{\"ts\":"
	             "1,\"type\":\"STDOUT\",\"data\":\"a\",\"eol\":true}]}",
	        &b, &cause));
	ASSERT_EQ(b.nrecords, 1);
	ASSERT(b.records[0].eol);
	pogo_proto_msg_clear(&b);
}

TEST(hostile_members_refused_with_cause)
{
	static const struct {
		int r;
		const char *cause;
		const char *line;
	} bad[] = {
		{ POGO_ERR_JSON, "not a JSON object", "ping" },
		{ POGO_ERR_JSON, "not a JSON object", "[]" },
		{ POGO_ERR_PROTOCOL, "'channel' is not a number",
		    "{\"channel\":\"2\"}" },
		{ POGO_ERR_PROTOCOL, "'channel' is not an integer",
		    "{\"channel\":1.5}" },
		{ POGO_ERR_PROTOCOL, "'channel' is out of range",
		    "{\"channel\":1e300}" },
		{ POGO_ERR_PROTOCOL, "'msg' missing", "{\"channel\":0}" },
		{ POGO_ERR_PROTOCOL, "'msg' is not a string", "{\"msg\":{}}" },
		{ POGO_ERR_PROTOCOL, "'max_tasks' is out of range",
		    "{\"msg\":\"hello\",\"protocol\":\"2.0\",\"worker\":\"w\","
		    "\"instance\":\"i\",\"max_tasks\":1e18}" },
		{ POGO_ERR_PROTOCOL, "'max_tasks' missing",
		    "{\"msg\":\"hello\",\"protocol\":\"2.0\",\"worker\":\"w\","
		    "\"instance\":\"i\"}" },
		{ POGO_ERR_PROTOCOL, "'task_id' missing",
		    "{\"channel\":2,\"command\":\"taskkill\"}" },
		{ POGO_ERR_PROTOCOL, "'task_id' is empty",
		    "{\"channel\":2,\"command\":\"taskkill\",\"task_id\":"
		    "\"\"}" },
		{ POGO_ERR_PROTOCOL, "'task_id' holds a NUL byte",
		    "{\"channel\":2,\"command\":\"taskkill\",\"task_id\":"
		    "\"a\\u0000\"}" },
		{ POGO_ERR_PROTOCOL, "'task_id' is out of range",
		    "{\"channel\":2,\"command\":\"taskkill\",\"task_id\":-3}" },
		{ POGO_ERR_PROTOCOL, "'host' missing",
		    "{\"channel\":2,\"task_id\":\"1\"}" },
		{ POGO_ERR_PROTOCOL, "'task_data' is not an object",
		    "{\"channel\":2,\"task_id\":\"1\",\"host\":\"h\","
		    "\"task_data\":[]}" },
		{ POGO_ERR_PROTOCOL, "'task_data.task_name' missing",
		    "{\"channel\":2,\"task_id\":\"1\",\"host\":\"h\","
		    "\"task_data\":{}}" },
		{ POGO_ERR_PROTOCOL, "'task_data.task_data' is not an object",
		    "{\"channel\":2,\"task_id\":\"1\",\"host\":\"h\","
		    "\"task_data\":{\"task_name\":\"ssh\"}}" },
		{ POGO_ERR_PROTOCOL, "'task_data.task_data.command' missing",
		    "{\"channel\":2,\"task_id\":\"1\",\"host\":\"h\","
		    "\"task_data\":{\"task_name\":\"ssh\",\"task_data\":{}}}" },
		{ POGO_ERR_PROTOCOL,
		    "'task_data.task_data.ssh_port' is out of range",
		    "{\"channel\":2,\"task_id\":\"1\",\"host\":\"h\","
		    "\"task_data\":{\"task_name\":\"ssh\",\"task_data\":{"
		    "\"command\":\"c\",\"ssh_port\":70000}}}" },
		{ POGO_ERR_PROTOCOL,
		    "'task_data.task_data.prehook' is not a boolean",
		    "{\"channel\":2,\"task_id\":\"1\",\"host\":\"h\","
		    "\"task_data\":{\"task_name\":\"ssh\",\"task_data\":{"
		    "\"command\":\"c\",\"prehook\":\"yes\"}}}" },
		{ POGO_ERR_PROTOCOL,
		    "'task_data.task_data.timeout' is not an integer",
		    "{\"channel\":2,\"task_id\":\"1\",\"host\":\"h\","
		    "\"task_data\":{\"task_name\":\"ssh\",\"task_data\":{"
		    "\"command\":\"c\",\"timeout\":-1e999}}}" },
		{ POGO_ERR_PROTOCOL, "'ok' is out of range",
		    "{\"channel\":1,\"type\":\"reply\",\"ok\":2}" },
		{ POGO_ERR_PROTOCOL, "'started_at' is out of range",
		    "{\"channel\":1,\"command\":\"task_started\",\"task_id\":"
		    "\"1\",\"started_at\":-5}" },
		{ POGO_ERR_PROTOCOL, "'first' missing",
		    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":"
		    "\"1\",\"records\":[]}" },
		{ POGO_ERR_PROTOCOL, "'records' is not an array",
		    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":"
		    "\"1\",\"first\":0,\"records\":{}}" },
		{ POGO_ERR_PROTOCOL, "'records[].' is not an object",
		    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":"
		    "\"1\",\"first\":0,\"records\":[{\"ts\":1,\"type\":"
		    "\"STDOUT\",\"data\":\"\"},7]}" },
		{ POGO_ERR_PROTOCOL, "'records[].type' is not STDOUT or STDERR",
		    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":"
		    "\"1\",\"first\":0,\"records\":[{\"ts\":1,\"type\":"
		    "\"EXIT\",\"data\":\"\"}]}" },
		{ POGO_ERR_PROTOCOL, "'records[].data' missing",
		    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":"
		    "\"1\",\"first\":0,\"records\":[{\"ts\":1,\"type\":"
		    "\"STDOUT\"}]}" },
		{ POGO_ERR_PROTOCOL, "'records[].eol' is not a boolean",
		    "{\"channel\":1,\"command\":\"task_output\",\"task_id\":"
		    "\"1\",\"first\":0,\"records\":[{\"ts\":1,\"type\":"
		    "\"STDOUT\",\"data\":\"\",\"eol\":\"no\"}]}" },
		{ POGO_ERR_PROTOCOL, "'rc' is out of range",
		    "{\"channel\":1,\"command\":\"task_done\",\"task_id\":"
		    "\"1\","
		    "\"rc\":256,\"state\":\"finished\",\"finished_at\":1,"
		    "\"records\":0}" },
		{ POGO_ERR_PROTOCOL,
		    "'state' is not finished, failed or unreachable",
		    "{\"channel\":1,\"command\":\"task_done\",\"task_id\":"
		    "\"1\","
		    "\"rc\":0,\"state\":\"done\",\"finished_at\":1,"
		    "\"records\":0}" },
		{ POGO_ERR_PROTOCOL, "'finished_at' missing",
		    "{\"channel\":1,\"command\":\"task_done\",\"task_id\":"
		    "\"1\","
		    "\"rc\":0,\"state\":\"finished\",\"records\":0}" },
		{ POGO_ERR_PROTOCOL, "'records' missing",
		    "{\"channel\":1,\"command\":\"task_done\",\"task_id\":"
		    "\"1\","
		    "\"rc\":0,\"state\":\"finished\",\"finished_at\":1}" },
	};
	struct pogo_msg m;
	char *cause;
	size_t i;
	int r;

	for (i = 0; i < POGO_NELEM(bad); i++) {
		r = pogo_proto_decode(
		    bad[i].line, strlen(bad[i].line), &m, &cause);
		if (r != bad[i].r || cause == NULL ||
		    strcmp(cause, bad[i].cause) != 0)
			harness_fail(__FILE__, __LINE__,
			    "%s: %d (%s), expected %d (%s)", bad[i].line, r,
			    cause != NULL ? cause : "(null)", bad[i].r,
			    bad[i].cause);
		free(cause);
		pogo_proto_msg_clear(&m);
	}
	/* What could be read before the error is there to answer. */
	r = decode_s(
	    "{\"channel\":2,\"task_id\":\"t7\",\"host\":[]}", &m, &cause);
	ASSERT_EQ(r, POGO_ERR_PROTOCOL);
	ASSERT_EQ(m.type, POGO_MSG_RUN);
	ASSERT_EQ(m.channel, 2);
	ASSERT_STR_EQ(m.task_id, "t7");
	ASSERT_STR_EQ(cause, "'host' is not a string");
	free(cause);
	pogo_proto_msg_clear(&m);
	pogo_proto_msg_clear(NULL);
}
