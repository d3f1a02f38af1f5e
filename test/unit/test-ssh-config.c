/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/ssh-config.c: which IdentityFile lines apply to a host
 * (OpenSSH's rules), their order, IdentitiesOnly, Include and the tokens.
 */
#include "pogo/compat.h"

#include <unistd.h>

#include "harness.h"
#include "pogo/ssh-config.h"
#include "pogo/xmalloc.h"

static const struct pogo_ssh_config_host host = {
	.name = "web1",
	.hostname = "10.0.0.1",
	.user = "deploy",
	.port = 2222,
	.local_user = "alice",
	.home = "/home/alice",
	.local_host = "box.example",
	.user_given = true, /* as with -l deploy -p 2222 */
	.port_given = true,
};

/* Write text to DIR/name; returns the path (owned by the caller). */
static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	xasprintf(&path, "%s/%s", dir, name);
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fputs(text, f);
	fclose(f);
	return path;
}

/* The identity files of h under text, joined by spaces. */
static char *
idents(const char *dir, const char *text, const struct pogo_ssh_config_host *h,
    bool *only)
{
	struct pogo_ssh_config *c;
	struct pogo_strv files = { 0 };
	char *path, *cause = NULL, *out = xstrdup(""), *tmp;
	size_t i;

	path = write_file(dir, "config", text);
	c = pogo_ssh_config_new(path, dir);
	ASSERT_OK(pogo_ssh_config_identities(c, h, &files, only, &cause));
	for (i = 0; i < files.n; i++) {
		xasprintf(&tmp, "%s%s%s", out, i > 0 ? " " : "", files.v[i]);
		free(out);
		out = tmp;
	}
	pogo_strv_clear(&files);
	pogo_ssh_config_free(c);
	unlink(path);
	free(path);
	return out;
}

static char *
tmpdir(void)
{
	char tmpl[] = "/tmp/pogo-test-ssh-config.XXXXXX";

	ASSERT(mkdtemp(tmpl) != NULL);
	return xstrdup(tmpl);
}

TEST(expand_tokens)
{
	char *s;

	s = pogo_ssh_config_expand("~/.ssh/%r@%h:%p-%n-%u-%l-%L-%%", &host);
	ASSERT_STR_EQ(s,
	    "/home/alice/.ssh/deploy@10.0.0.1:2222-web1-alice-box.example-"
	    "box-%");
	free(s);
	s = pogo_ssh_config_expand("%d/k", &host);
	ASSERT_STR_EQ(s, "/home/alice/k");
	free(s);
	ASSERT(pogo_ssh_config_expand("%Z", &host) == NULL);
}

TEST(host_blocks_in_order_without_duplicates)
{
	char *dir = tmpdir(), *s;
	bool only = true;

	s = idents(dir,
	    "IdentityFile /k/top\n"
	    "Host db* !web1\n  IdentityFile /k/db\n"
	    "Host web*,!web2\n  IdentityFile /k/web\n  IdentityFile /k/top\n"
	    "Host other\n  IdentityFile /k/other\n"
	    "Host *\n  IdentityFile=\"/k/all %r\"\n",
	    &host, &only);
	ASSERT_STR_EQ(s, "/k/top /k/web /k/all deploy");
	ASSERT(!only);
	free(s);
	/* A negated match refuses the whole Host line. */
	s = idents(dir, "Host * !WEB1\n  IdentityFile /k/no\n", &host, &only);
	ASSERT_STR_EQ(s, "");
	free(s);
	rmdir(dir);
	free(dir);
}

TEST(identities_only_first_value_wins)
{
	char *dir = tmpdir(), *s;
	bool only = false;

	s = idents(dir,
	    "Host web1\n  IdentitiesOnly yes\nHost *\n  IdentitiesOnly no\n",
	    &host, &only);
	ASSERT(only);
	free(s);
	s = idents(dir, "Host *\n  IdentitiesOnly no\n  IdentitiesOnly yes\n",
	    &host, &only);
	ASSERT(!only);
	free(s);
	rmdir(dir);
	free(dir);
}

TEST(match_criteria_and_include)
{
	char *dir = tmpdir(), *s, *inc;

	inc = write_file(dir, "inc.conf", "IdentityFile /k/included\n");
	s = idents(dir,
	    "Match originalhost web1 user deploy\n  IdentityFile /k/m1\n"
	    "Match host 10.0.0.* !localuser alice\n  IdentityFile /k/m2\n"
	    "Match exec \"test %p = 2222\"\n  IdentityFile /k/exec\n"
	    "Match exec false\n  IdentityFile /k/false\n"
	    "Match all\n  Include inc.conf\n",
	    &host, &(bool){ false });
	ASSERT_STR_EQ(s, "/k/m1 /k/exec /k/included");
	free(s);
	unlink(inc);
	free(inc);
	rmdir(dir);
	free(dir);
}

/*
 * The order of the file matters, as in OpenSSH's readconf.c: "Match host"
 * sees the HostName set so far (the name as given before any), Host and
 * "Match originalhost" the name as given, the first HostName wins.  (User
 * bug: a "Match host 10.0.0.1" block above "Host web1 / HostName
 * 10.0.0.1" was applied, extra keys counted against sshd's MaxAuthTries.)
 * The expected lists are those of ssh -G (OpenSSH 9.2) for the same file.
 */
TEST(match_host_sees_the_hostname_so_far)
{
	char *dir = tmpdir(), *s;

	s = idents(dir,
	    "Match host web1\n  IdentityFile /k/typed-above\n"
	    "Match host 10.0.0.1\n  IdentityFile /k/above\n"
	    "Host web1\n  HostName 10.0.0.1\n"
	    "Host web*\n  HostName 10.9.9.9\n"
	    "Match host 10.9.9.9\n  IdentityFile /k/second-hostname\n"
	    "Match host 10.0.0.1\n  IdentityFile /k/below\n"
	    "Match host web1\n  IdentityFile /k/typed-below\n"
	    "Match originalhost web1 !host web1\n  IdentityFile /k/orig\n"
	    "Host 10.0.0.1\n  IdentityFile /k/host-ip\n"
	    "Match canonical\n  IdentityFile /k/canonical\n",
	    &host, &(bool){ false });
	ASSERT_STR_EQ(s, "/k/typed-above /k/below /k/orig");
	free(s);
	/* No HostName applies: "Match host" sees the name as given. */
	s = idents(dir,
	    "Host other\n  HostName 10.0.0.1\n"
	    "Match host 10.0.0.1\n  IdentityFile /k/ip\n"
	    "Match host web1\n  IdentityFile /k/typed\n",
	    &host, &(bool){ false });
	ASSERT_STR_EQ(s, "/k/typed");
	free(s);
	rmdir(dir);
	free(dir);
}

/*
 * "Match final" asks for a second reading, where Host and "Match host"
 * see the final HostName and "final" and "canonical" hold (OpenSSH; there
 * is no canonicalisation); IdentityFile adds, IdentitiesOnly keeps its
 * first value.  Without it, "Match canonical" never holds.
 */
TEST(match_final_reads_the_file_again)
{
	char *dir = tmpdir(), *s;
	bool only = false;

	s = idents(dir,
	    "Host web1\n  HostName 10.0.0.1\n"
	    "Host 10.0.0.1\n  IdentityFile /k/host-ip\n"
	    "Match !final\n  IdentityFile /k/notfinal\n"
	    "Match canonical\n  IdentityFile /k/canonical\n"
	    "Match final host 10.0.0.1\n  IdentityFile /k/final-host\n"
	    "Match originalhost web1\n  IdentityFile /k/orig\n"
	    "Match final originalhost 10.0.0.1\n  IdentityFile /k/no\n"
	    "Match all\n  IdentityFile /k/notfinal\n  IdentitiesOnly yes\n"
	    "Match final\n  IdentitiesOnly no\n",
	    &host, &only);
	ASSERT_STR_EQ(
	    s, "/k/notfinal /k/orig /k/host-ip /k/canonical /k/final-host");
	ASSERT(only);
	free(s);
	rmdir(dir);
	free(dir);
}

/*
 * "Match exec" expands %h %p %r with the values set so far (22 and the
 * local user before any Port and User line), as OpenSSH does; -l and
 * --port are known from the start.
 */
TEST(match_exec_sees_the_values_so_far)
{
	struct pogo_ssh_config_host fromcfg = host, given = host;
	char *dir = tmpdir(), *s;
	const char *text =
	    "Match exec \"test %h:%p:%r:%n = web1:22:alice:web1\"\n"
	    "  IdentityFile /k/early\n"
	    "Host web1\n  HostName 10.0.0.1\n  Port 2222\n  User deploy\n"
	    "Match exec \"test %h:%p:%r:%n = 10.0.0.1:2222:deploy:web1\"\n"
	    "  IdentityFile /k/late\n";

	fromcfg.user_given = false;
	fromcfg.port_given = false;
	s = idents(dir, text, &fromcfg, &(bool){ false });
	ASSERT_STR_EQ(s, "/k/early /k/late");
	free(s);
	/* A User first set in the second reading: %r before it is local. */
	s = idents(dir,
	    "Match final\n  IdentityFile /k/f\n"
	    "Match final exec \"test %r = alice\"\n"
	    "  IdentityFile /k/before-user\n"
	    "Match final\n  User deploy\n"
	    "Match final exec \"test %r = deploy\"\n"
	    "  IdentityFile /k/after-user\n",
	    &fromcfg, &(bool){ false });
	ASSERT_STR_EQ(s, "/k/f /k/before-user /k/after-user");
	free(s);
	/* pogo's login without a User line (a worker's) stands for ssh's
	 * local user. */
	fromcfg.default_user = "svc";
	s = idents(dir,
	    "Match exec \"test %r = svc\"\n  IdentityFile /k/svc\n"
	    "Host web1\n  User deploy\n",
	    &fromcfg, &(bool){ false });
	ASSERT_STR_EQ(s, "/k/svc");
	free(s);
	given.user = "bob";
	given.port = 33;
	s = idents(dir, text, &given, &(bool){ false });
	ASSERT_STR_EQ(s, "");
	free(s);
	rmdir(dir);
	free(dir);
}

TEST(unknown_token_is_an_error)
{
	char *dir = tmpdir(), *path, *cause = NULL;
	struct pogo_ssh_config *c;
	struct pogo_strv files = { 0 };
	bool only;

	path = write_file(dir, "config", "IdentityFile /k/%Q\n");
	c = pogo_ssh_config_new(path, dir);
	ASSERT(
	    pogo_ssh_config_identities(c, &host, &files, &only, &cause) != 0);
	ASSERT(strstr(cause, "unknown %-token") != NULL);
	free(cause);
	pogo_strv_clear(&files);
	pogo_ssh_config_free(c);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}

TEST(static_files_are_the_host_independent_names)
{
	char *dir = tmpdir(), *path;
	struct pogo_ssh_config *c;
	struct pogo_strv files = { 0 };

	path = write_file(dir, "config",
	    "Host a\n  IdentityFile ~/k1\nHost b\n  IdentityFile ~/%h\n"
	    "Host *\n  IdentityFile %d/k2\n  IdentityFile ~/k1\n");
	c = pogo_ssh_config_new(path, dir);
	pogo_ssh_config_static_files(c, &host, &files);
	ASSERT_EQ(files.n, 2);
	ASSERT_STR_EQ(files.v[0], "/home/alice/k1");
	ASSERT_STR_EQ(files.v[1], "/home/alice/k2");
	pogo_strv_clear(&files);
	pogo_ssh_config_free(c);
	unlink(path);
	free(path);
	rmdir(dir);
	free(dir);
}

/* pogo_ssh_config_plain of text: its result, or "(null)". */
static char *
plain(const char *dir, const char *text)
{
	struct pogo_ssh_config *c;
	char *path, *out;

	path = write_file(dir, "config", text);
	c = pogo_ssh_config_new(path, dir);
	out = pogo_ssh_config_plain(c);
	if (out == NULL)
		out = xstrdup("(null)");
	pogo_ssh_config_free(c);
	unlink(path);
	free(path);
	return out;
}

TEST(plain_text_only_without_files_or_commands)
{
	static const char *not_plain[] = {
		"Match !localuser bob\n  User x\n",
		"Host *\n  HostName %u.example\n",
		"Host *\n  include other\n",
		"Match host a exec \"test -f /x\"\n  User b\n",
		"Match !EXEC true\n",
		"Host *\n  IdentityFile ~/.ssh/%h\n",
		"Host *\n  IdentityFile=%d/k\n",
	};
	char *dir = tmpdir(), *s, *big, *path, long_line[1100];
	struct pogo_ssh_config *c;
	size_t i;
	FILE *f;

	/* Its lines, without comments, blanks and indentation. */
	s = plain(dir,
	    "# users\nHost web*\n\tUser deploy\r\n\n  Port 2222\n"
	    "Match host db1 user root\n  IdentityFile ~/.ssh/db\n"
	    "Match originalhost x !user bob\n  Hostname %h.y\n");
	ASSERT_STR_EQ(s,
	    "Host web*\nUser deploy\nPort 2222\n"
	    "Match host db1 user root\nIdentityFile ~/.ssh/db\n"
	    "Match originalhost x !user bob\nHostname %h.y\n");
	free(s);
	/*
	 * What asks the user database (libssh's getpwuid) for each host,
	 * reads another file, runs a command or names a file per host.
	 */
	for (i = 0; i < POGO_NELEM(not_plain); i++) {
		s = plain(dir, not_plain[i]);
		ASSERT_STR_EQ(s, "(null)");
		free(s);
	}
	/* A text that is too large to parse again for every host. */
	big = xmalloc(70 * 1000 + 1);
	for (i = 0; i < 7000; i++)
		memcpy(big + i * 10, "Port 2222\n", 10);
	big[70 * 1000] = '\0';
	s = plain(dir, big);
	ASSERT_STR_EQ(s, "(null)");
	free(s);
	big[60 * 1000] = '\0';
	s = plain(dir, big);
	ASSERT_EQ(strlen(s), 60 * 1000);
	free(s);
	free(big);
	/* A line libssh's reader of text would refuse (1,024 bytes). */
	memcpy(long_line, "User ", 5);
	for (i = 5; i < 1024; i++)
		long_line[i] = 'u';
	long_line[1024] = '\0';
	s = plain(dir, long_line);
	ASSERT_STR_EQ(s, "(null)");
	free(s);
	long_line[1023] = '\0';
	s = plain(dir, long_line);
	ASSERT_EQ(strlen(s), 1024);
	free(s);
	/*
	 * A file that does not exist is no ssh_config, as for libssh (the
	 * worker names ~/.ssh/config whether or not there is one): "".
	 */
	c = pogo_ssh_config_new("/nonexistent/pogo-config", dir);
	s = pogo_ssh_config_plain(c);
	ASSERT_STR_EQ(s, "");
	free(s);
	pogo_ssh_config_free(c);
	/* A file not read whole, or named for libssh to expand. */
	c = pogo_ssh_config_new(dir, dir);
	s = pogo_ssh_config_plain(c);
	ASSERT(s == NULL);
	pogo_ssh_config_free(c);
	c = pogo_ssh_config_new("~/.ssh/config", dir);
	s = pogo_ssh_config_plain(c);
	ASSERT(s == NULL);
	pogo_ssh_config_free(c);
	path = write_file(dir, "nul", "");
	f = fopen(path, "w");
	ASSERT(f != NULL);
	fwrite("Port 1\n\0Port 2\n", 1, 16, f);
	fclose(f);
	c = pogo_ssh_config_new(path, dir);
	s = pogo_ssh_config_plain(c);
	ASSERT(s == NULL);
	pogo_ssh_config_free(c);
	unlink(path);
	free(path);
	/* No ssh_config: nothing to read, "". */
	c = pogo_ssh_config_new(NULL, dir);
	s = pogo_ssh_config_plain(c);
	ASSERT_STR_EQ(s, "");
	free(s);
	pogo_ssh_config_free(c);
	rmdir(dir);
	free(dir);
}
