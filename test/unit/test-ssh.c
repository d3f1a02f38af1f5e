/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/ssh.c that need no server: the quoting and the exec
 * request of SPEC 9.5.  The executor itself is tested end to end against
 * OpenSSH (test/e2e).
 */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/ssh.h"

TEST(quote)
{
	char *q;

	q = pogo_ssh_quote("a b");
	ASSERT_STR_EQ(q, "'a b'");
	free(q);
	q = pogo_ssh_quote("it's");
	ASSERT_STR_EQ(q, "'it'\\''s'");
	free(q);
	q = pogo_ssh_quote("");
	ASSERT_STR_EQ(q, "''");
	free(q);
}

TEST(direct_mode_command)
{
	char *c;

	/* sh exports ENV itself: no env(1) exec (issue 8 item 2). */
	c = pogo_ssh_command("p0000000000", "host1", "echo $HOME", NULL);
	ASSERT_STR_EQ(c,
	    "exec sh -c 'export PATH=/usr/local/bin:/usr/local/sbin:/usr/"
	    "bin:/usr/sbin:/bin:/sbin POGO_JOB_ID='\\''p0000000000'\\'' P"
	    "OGO_HOST='\\''host1'\\''; echo $HOME'");
	free(c);
	c = pogo_ssh_command("p1", "h'x", "id -u", "root");
	ASSERT_STR_EQ(c,
	    "exec sudo -u 'root' -- sh -c 'export PATH=/usr/local/bin:/us"
	    "r/local/sbin:/usr/bin:/usr/sbin:/bin:/sbin POGO_JOB_ID='\\''"
	    "p1'\\'' POGO_HOST='\\''h'\\''\\'\\'''\\''x'\\''; id -u'");
	free(c);
}

/* SPEC 9.5 stub mode: the marker first, stty under a PTY, sh not
 * interactive under a PTY. */
TEST(stub_mode_command)
{
	char *c;

	c = pogo_ssh_stub_command(NULL, "POGO-READY-00ff", false);
	ASSERT_STR_EQ(c, "exec sh -c 'echo POGO-READY-00ff; exec sh -s'");
	free(c);
	c = pogo_ssh_stub_command("o'k", "POGO-READY-00ff", true);
	ASSERT_STR_EQ(c,
	    "exec sudo -u 'o'\\''k' -- sh -c 'stty -echo -icanon -isig "
	    "-iexten -ixon -icrnl -opost min 1 time 0 2>/dev/null; echo "
	    "POGO-READY-00ff; exec sh /dev/stdin'");
	free(c);
}

TEST(version_names_the_backend)
{
	ASSERT(strstr(pogo_ssh_version(), "/openssl") != NULL);
	ASSERT(strncmp(pogo_ssh_crypto_version(), "OpenSSL 3.", 10) == 0);
}
