/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/json.c: the event lines of SPEC 12.2. */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/job.h"
#include "pogo/json.h"

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
