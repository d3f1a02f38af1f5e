/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* The daemon configuration file (SPEC 1.5, 1.6). */
#include "pogo/compat.h"

#include <unistd.h>

#include "harness.h"
#include "pogo/cfg.h"
#include "pogo/log.h"
#include "pogo/xmalloc.h"

static struct pogo_cfg_src
src_of(const char **ov, size_t n)
{
	struct pogo_cfg_src src = { .overrides = ov,
		.noverrides = n,
		.home = "/home/u",
		.hostname = "box1" };

	return src;
}

/* Load text with overrides; returns the configuration or NULL and cause. */
static struct pogo_cfg *
load(const char *text, const char **ov, size_t n, char **cause)
{
	struct pogo_cfg_src src = src_of(ov, n);
	struct pogo_cfg *cfg = NULL;
	int r;

	*cause = NULL;
	r = pogo_cfg_load_text(text, strlen(text), "t.yaml", &src, &cfg, cause);
	if (r == 0) {
		ASSERT(cfg != NULL);
		ASSERT_NULL(*cause);
	} else {
		ASSERT_EQ(r, POGO_ERR_CONFIG);
		ASSERT_NULL(cfg);
		ASSERT(*cause != NULL);
	}
	return cfg;
}

static struct pogo_cfg *
load_ok(const char *text)
{
	struct pogo_cfg *cfg;
	char *cause;

	if ((cfg = load(text, NULL, 0, &cause)) == NULL)
		harness_fail(__FILE__, __LINE__, "load failed: %s", cause);
	return cfg;
}

/* Expect a failure whose message contains want. */
static void
expect_fail(const char *text, const char **ov, size_t n, const char *want)
{
	struct pogo_cfg *cfg;
	char *cause;

	cfg = load(text, ov, n, &cause);
	if (cfg != NULL)
		harness_fail(__FILE__, __LINE__, "loaded: %s", text);
	if (strstr(cause, want) == NULL)
		harness_fail(__FILE__, __LINE__, "cause \"%s\" lacks \"%s\"",
		    cause, want);
	free(cause);
}

TEST(defaults)
{
	struct pogo_cfg *cfg = load_ok("");

	ASSERT_STR_EQ(cfg->state_dir, "/var/lib/pogo");
	ASSERT_EQ(cfg->log_level, POGO_LOG_INFO);
	ASSERT_STR_EQ(cfg->log_file, "");
	ASSERT_STR_EQ(cfg->pid_file, "");
	ASSERT(!cfg->insecure);
	ASSERT_STR_EQ(cfg->tls.ca_cert, "");
	ASSERT_STR_EQ(cfg->tls.cert, "");
	ASSERT_STR_EQ(cfg->tls.key, "");
	ASSERT_EQ(cfg->tls.npins, 0);
	ASSERT_STR_EQ(cfg->api.listen.str, "127.0.0.1:7657");
	ASSERT_STR_EQ(cfg->api.listen.host, "127.0.0.1");
	ASSERT_EQ(cfg->api.listen.port, 7657);
	ASSERT_STR_EQ(cfg->api.dispatcher.str, "127.0.0.1:7656");
	ASSERT_EQ(cfg->api.auth, POGO_CFG_AUTH_NONE);
	ASSERT_STR_EQ(cfg->api.token_file, "");
	ASSERT_EQ(cfg->api.nadmins, 0);
	ASSERT_STR_EQ(cfg->api.worker_cert, "");
	ASSERT_EQ(cfg->dispatcher.worker_listen.port, 7655);
	ASSERT_EQ(cfg->dispatcher.control_listen.port, 7656);
	ASSERT_STR_EQ(cfg->dispatcher.namespace_dir, "/etc/pogo/namespaces");
	ASSERT_STR_EQ(cfg->dispatcher.resolver_path, "/etc/pogo/resolvers");
	ASSERT_EQ(cfg->dispatcher.lost_worker_grace, 60);
	ASSERT_EQ(cfg->dispatcher.retention_days, 0);
	ASSERT(!cfg->dispatcher.local_tasks_for_all);
	ASSERT_STR_EQ(cfg->worker.name, "box1");
	ASSERT_EQ(cfg->worker.ndispatchers, 1);
	ASSERT_STR_EQ(cfg->worker.dispatchers[0].host, "127.0.0.1");
	ASSERT_EQ(cfg->worker.dispatchers[0].port, 7655);
	ASSERT_EQ(cfg->worker.reconnect_delay, 10);
	ASSERT_EQ(cfg->worker.max_tasks, 256);
	ASSERT_EQ(cfg->worker.max_handshakes, 32);
	ASSERT_EQ(cfg->worker.max_output, 10485760);
	ASSERT(!cfg->worker.use_local_identity);
	ASSERT_STR_EQ(cfg->worker.hook_dir, "/etc/pogo");
	ASSERT_STR_EQ(cfg->worker.ssh.user, "");
	ASSERT_EQ(cfg->worker.ssh.port, 22);
	ASSERT_EQ(cfg->worker.ssh.nidentity_files, 0);
	ASSERT_STR_EQ(cfg->worker.ssh.config, "/home/u/.ssh/config");
	ASSERT(cfg->worker.ssh.config_optional);
	ASSERT_STR_EQ(cfg->worker.ssh.known_hosts, "/home/u/.ssh/known_hosts");
	ASSERT_EQ(cfg->worker.ssh.host_key_check, POGO_CFG_HOSTKEY_ACCEPT_NEW);
	ASSERT_EQ(cfg->worker.ssh.connect_timeout, 10);
	pogo_cfg_free(cfg);
}

/* Empty sections, null values and comments only: all defaults. */
TEST(empty_values_are_defaults)
{
	struct pogo_cfg *cfg = load_ok("# nothing\n"
	                               "state_dir:\n"
	                               "log_level: ~\n"
	                               "tls:\n"
	                               "api: null\n"
	                               "worker:\n"
	                               "  ssh:\n"
	                               "  max_tasks:\n");

	ASSERT_STR_EQ(cfg->state_dir, "/var/lib/pogo");
	ASSERT_EQ(cfg->log_level, POGO_LOG_INFO);
	ASSERT_EQ(cfg->worker.max_tasks, 256);
	ASSERT_EQ(cfg->worker.ssh.port, 22);
	pogo_cfg_free(cfg);
}

TEST(every_key)
{
	static const char pin[] = "AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:"
	                          "67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:"
	                          "23:45:67:89";
	char *text;
	struct pogo_cfg *cfg;

	xasprintf(&text,
	    "state_dir: ~/state\n"
	    "log_level: debug2\n"
	    "log_file: /var/log/pogo.log\n"
	    "pid_file: /run/pogo.pid\n"
	    "insecure: true\n"
	    "tls:\n"
	    "  ca_cert: /etc/pogo/ca.pem\n"
	    "  cert: /etc/pogo/d.pem\n"
	    "  key: /etc/pogo/d.key\n"
	    "  pins: ['%s', %s]\n"
	    "api:\n"
	    "  listen: '[::1]:8657'\n"
	    "  dispatcher: d.example:8656\n"
	    "  auth: token\n"
	    "  token_file: /etc/pogo/tokens\n"
	    "  admins: [carol, dave]\n"
	    "  worker_cert: /etc/pogo/w.pem\n"
	    "dispatcher:\n"
	    "  worker_listen: 0.0.0.0:8655\n"
	    "  control_listen: 127.0.0.1:0\n"
	    "  namespace_dir: /srv/ns\n"
	    "  resolver_path: /a:~/b\n"
	    "  lost_worker_grace: 30\n"
	    "  retention_days: 90\n"
	    "  local_tasks_for_all: true\n"
	    "worker:\n"
	    "  name: w-1\n"
	    "  dispatchers:\n"
	    "    - 10.0.0.1:7655\n"
	    "    - '[fe80::1]:7655'\n"
	    "  reconnect_delay: 0\n"
	    "  max_tasks: 100\n"
	    "  max_handshakes: 8\n"
	    "  max_output: 1048576\n"
	    "  use_local_identity: yes\n"
	    "  hook_dir: /opt/pogo\n"
	    "  ssh:\n"
	    "    user: deploy\n"
	    "    port: 2222\n"
	    "    identity_files: [~/.ssh/id_ed25519, /k/id]\n"
	    "    config: /etc/ssh/pogo_config\n"
	    "    known_hosts: /etc/ssh/pogo_known\n"
	    "    host_key_check: strict\n"
	    "    connect_timeout: 1\n",
	    pin,
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF");
	cfg = load_ok(text);
	free(text);
	ASSERT_STR_EQ(cfg->state_dir, "/home/u/state");
	ASSERT_EQ(cfg->log_level, POGO_LOG_DEBUG2);
	ASSERT_STR_EQ(cfg->log_file, "/var/log/pogo.log");
	ASSERT_STR_EQ(cfg->pid_file, "/run/pogo.pid");
	ASSERT(cfg->insecure);
	ASSERT_STR_EQ(cfg->tls.ca_cert, "/etc/pogo/ca.pem");
	ASSERT_STR_EQ(cfg->tls.cert, "/etc/pogo/d.pem");
	ASSERT_STR_EQ(cfg->tls.key, "/etc/pogo/d.key");
	ASSERT_EQ(cfg->tls.npins, 2);
	ASSERT_STR_EQ(cfg->tls.pins[0], pin);
	ASSERT_STR_EQ(cfg->api.listen.host, "::1");
	ASSERT_EQ(cfg->api.listen.port, 8657);
	ASSERT_STR_EQ(cfg->api.dispatcher.host, "d.example");
	ASSERT_EQ(cfg->api.dispatcher.port, 8656);
	ASSERT_EQ(cfg->api.auth, POGO_CFG_AUTH_TOKEN);
	ASSERT_STR_EQ(cfg->api.token_file, "/etc/pogo/tokens");
	ASSERT_EQ(cfg->api.nadmins, 2);
	ASSERT_STR_EQ(cfg->api.admins[1], "dave");
	ASSERT_STR_EQ(cfg->api.worker_cert, "/etc/pogo/w.pem");
	ASSERT_STR_EQ(cfg->dispatcher.worker_listen.host, "0.0.0.0");
	ASSERT_EQ(cfg->dispatcher.worker_listen.port, 8655);
	ASSERT_EQ(cfg->dispatcher.control_listen.port, 0);
	ASSERT_STR_EQ(cfg->dispatcher.namespace_dir, "/srv/ns");
	ASSERT_STR_EQ(cfg->dispatcher.resolver_path, "/a:/home/u/b");
	ASSERT_EQ(cfg->dispatcher.lost_worker_grace, 30);
	ASSERT_EQ(cfg->dispatcher.retention_days, 90);
	ASSERT(cfg->dispatcher.local_tasks_for_all);
	ASSERT_STR_EQ(cfg->worker.name, "w-1");
	ASSERT_EQ(cfg->worker.ndispatchers, 2);
	ASSERT_STR_EQ(cfg->worker.dispatchers[0].host, "10.0.0.1");
	ASSERT_STR_EQ(cfg->worker.dispatchers[1].host, "fe80::1");
	ASSERT_EQ(cfg->worker.dispatchers[1].port, 7655);
	ASSERT_EQ(cfg->worker.reconnect_delay, 0);
	ASSERT_EQ(cfg->worker.max_tasks, 100);
	ASSERT_EQ(cfg->worker.max_handshakes, 8);
	ASSERT_EQ(cfg->worker.max_output, 1048576);
	ASSERT(cfg->worker.use_local_identity);
	ASSERT_STR_EQ(cfg->worker.hook_dir, "/opt/pogo");
	ASSERT_STR_EQ(cfg->worker.ssh.user, "deploy");
	ASSERT_EQ(cfg->worker.ssh.port, 2222);
	ASSERT_EQ(cfg->worker.ssh.nidentity_files, 2);
	ASSERT_STR_EQ(
	    cfg->worker.ssh.identity_files[0], "/home/u/.ssh/id_ed25519");
	ASSERT_STR_EQ(cfg->worker.ssh.identity_files[1], "/k/id");
	ASSERT_STR_EQ(cfg->worker.ssh.config, "/etc/ssh/pogo_config");
	ASSERT(!cfg->worker.ssh.config_optional);
	ASSERT_STR_EQ(cfg->worker.ssh.known_hosts, "/etc/ssh/pogo_known");
	ASSERT_EQ(cfg->worker.ssh.host_key_check, POGO_CFG_HOSTKEY_STRICT);
	ASSERT_EQ(cfg->worker.ssh.connect_timeout, 1);
	pogo_cfg_free(cfg);
}

TEST(unknown_key_named)
{
	expect_fail("bogus: 1\n", NULL, 0, "t.yaml: unknown key 'bogus'");
	expect_fail("dispatcher:\n  lost_worker_grace: 3\n  bogus: 1\n", NULL,
	    0, "t.yaml: unknown key 'dispatcher.bogus'");
	expect_fail("worker:\n  ssh:\n    prot: 22\n", NULL, 0,
	    "unknown key 'worker.ssh.prot'");
	/* Keys are case-sensitive, as the man page spells them. */
	expect_fail("Log_Level: info\n", NULL, 0, "unknown key 'Log_Level'");
}

TEST(wrong_types)
{
	expect_fail("worker: 3\n", NULL, 0, "line 1, column 9: worker:");
	expect_fail("log_level: [info]\n", NULL, 0, "log_level");
	expect_fail("- a\n", NULL, 0, "t.yaml:");
	expect_fail("worker:\n  dispatchers: 10.0.0.1:7655\n", NULL, 0,
	    "line 2, column 16: worker.dispatchers");
	expect_fail("tls:\n  pins: [[a]]\n", NULL, 0,
	    "line 2, column 10: tls.pins: Expecting STRING");
	expect_fail("insecure: maybe\n", NULL, 0,
	    "t.yaml: insecure: 'maybe' is not true or false");
	expect_fail("log_level: loud\n", NULL, 0,
	    "log_level: 'loud' is not one of error, warn, info, debug, "
	    "debug2 or debug3");
	expect_fail("api:\n  auth: basic\n", NULL, 0,
	    "api.auth: 'basic' is not one of none, cert or token");
	expect_fail("worker:\n  ssh:\n    host_key_check: yes\n", NULL, 0,
	    "worker.ssh.host_key_check: 'yes' is not one of strict, "
	    "accept-new or off");
	expect_fail("dispatcher:\n  a: 1\n  a: 2\n", NULL, 0,
	    "unknown key 'dispatcher.a'");
	expect_fail("state_dir: /a\nstate_dir: /b\n", NULL, 0,
	    "duplicate key 'state_dir'");
	expect_fail("state_dir: [\n", NULL, 0, "t.yaml:");
	expect_fail("state_dir: /a\n---\nstate_dir: /b\n", NULL, 0,
	    "t.yaml: more than one YAML document");
}

TEST(bad_numbers_and_durations)
{
	/* libcyaml alone would take each of these for a number. */
	static const char *bad[] = { "10 s", "1.5", "1e3", "0x10", "+5", "-1",
		"1_000", "99999999999999999999", "ten" };
	char *text;
	size_t i;

	for (i = 0; i < POGO_NELEM(bad); i++) {
		xasprintf(
		    &text, "dispatcher:\n  lost_worker_grace: %s\n", bad[i]);
		expect_fail(
		    text, NULL, 0, "t.yaml: dispatcher.lost_worker_grace: '");
		free(text);
	}
	expect_fail("dispatcher:\n  lost_worker_grace: 10 s\n", NULL, 0,
	    "'10 s' is not a duration in whole seconds from 0 to ");
	expect_fail("worker:\n  ssh:\n    connect_timeout: 400000000\n", NULL,
	    0, "worker.ssh.connect_timeout");
	/* Every network operation has a timeout (STYLE 5): no 0 = none. */
	expect_fail("worker:\n  ssh:\n    connect_timeout: 0\n", NULL, 0,
	    "t.yaml: worker.ssh.connect_timeout: '0' is not a duration in "
	    "whole seconds from 1 to ");
	expect_fail("worker:\n  max_tasks: 0\n", NULL, 0,
	    "worker.max_tasks: '0' is not a number from 1 to 1000000");
	expect_fail(
	    "worker:\n  max_handshakes: 0\n", NULL, 0, "worker.max_handshakes");
	expect_fail("worker:\n  max_output: 4294967296\n", NULL, 0,
	    "worker.max_output");
	expect_fail("worker:\n  reconnect_delay: -3\n", NULL, 0,
	    "worker.reconnect_delay");
	expect_fail("dispatcher:\n  retention_days: 1y\n", NULL, 0,
	    "dispatcher.retention_days");
}

TEST(bad_ports_and_addresses)
{
	expect_fail("worker:\n  ssh:\n    port: 0\n", NULL, 0,
	    "worker.ssh.port: '0' is not a port from 1 to 65535");
	expect_fail(
	    "worker:\n  ssh:\n    port: 65536\n", NULL, 0, "worker.ssh.port");
	expect_fail("api:\n  listen: 127.0.0.1:70000\n", NULL, 0,
	    "api.listen: '127.0.0.1:70000': the port is not a number from 0 "
	    "to 65535");
	expect_fail("api:\n  listen: localhost\n", NULL, 0,
	    "api.listen: 'localhost' is not HOST:PORT");
	expect_fail("api:\n  listen: ::1:7657\n", NULL, 0,
	    "is not HOST:PORT (write [ADDRESS]:PORT for IPv6)");
	expect_fail("api:\n  listen: ':7657'\n", NULL, 0, "api.listen");
	expect_fail("api:\n  dispatcher: 127.0.0.1:0\n", NULL, 0,
	    "api.dispatcher: '127.0.0.1:0': the port is not a number from 1");
	expect_fail("worker:\n  dispatchers: [a:1, 'b c:2']\n", NULL, 0,
	    "worker.dispatchers[1]: 'b c:2' is not HOST:PORT");
}

TEST(bad_paths_and_names)
{
	expect_fail("state_dir: var/lib/pogo\n", NULL, 0,
	    "t.yaml: state_dir: 'var/lib/pogo' is not an absolute path");
	expect_fail("log_file: ~bob/log\n", NULL, 0,
	    "log_file: '~bob/log': only ~ or ~/ may start a path");
	expect_fail("dispatcher:\n  resolver_path: /a:rel\n", NULL, 0,
	    "dispatcher.resolver_path: 'rel' is not an absolute path");
	expect_fail("worker:\n  ssh:\n    identity_files: [id_rsa]\n", NULL, 0,
	    "worker.ssh.identity_files[0]: 'id_rsa' is not an absolute");
	expect_fail("worker:\n  name: 'two words'\n", NULL, 0,
	    "worker.name: 'two words': a name has no blanks");
	expect_fail("api:\n  admins: [\"a\\tb\"]\n", NULL, 0, "api.admins[0]");
	expect_fail("state_dir: \"/a\\nb\"\n", NULL, 0,
	    "state_dir: control character in value");
	expect_fail("tls:\n  pins: [abcd]\n", NULL, 0,
	    "tls.pins[0]: 'abcd' is not a SHA-256 fingerprint");
}

TEST(tls_and_auth_consistency)
{
	expect_fail("tls:\n  cert: /c\n  ca_cert: /ca\n", NULL, 0,
	    "tls.key: tls.key is not set");
	expect_fail("tls:\n  key: /k\n", NULL, 0, "tls.cert is not set");
	expect_fail(
	    "tls:\n  cert: /c\n  key: /k\n", NULL, 0, "tls.ca_cert is not set");
	expect_fail(
	    "api:\n  auth: token\n", NULL, 0, "api.token_file is not set");
	expect_fail("api:\n  auth: cert\n", NULL, 0, "tls.cert is not set");
}

TEST(overrides)
{
	const char *ov[] = { "dispatcher.lost_worker_grace=30",
		"worker.dispatchers=[10.0.0.1:7655, 10.0.0.2:7655]",
		"api.admins=[carol]", "log_level=debug", "worker.ssh.port=2200",
		"log_file=~/pogo.log", "tls.pins=[]" };
	struct pogo_cfg *cfg;
	char *cause;

	cfg = load("dispatcher:\n  lost_worker_grace: 5\n"
	           "  retention_days: 7\n"
	           "log_file: /var/log/p\n",
	    ov, POGO_NELEM(ov), &cause);
	ASSERT(cfg != NULL);
	ASSERT_EQ(cfg->dispatcher.lost_worker_grace, 30);
	ASSERT_EQ(cfg->dispatcher.retention_days, 7); /* from the file */
	ASSERT_EQ(cfg->worker.ndispatchers, 2);
	ASSERT_STR_EQ(cfg->worker.dispatchers[1].str, "10.0.0.2:7655");
	ASSERT_EQ(cfg->api.nadmins, 1);
	ASSERT_STR_EQ(cfg->api.admins[0], "carol");
	ASSERT_EQ(cfg->log_level, POGO_LOG_DEBUG);
	ASSERT_EQ(cfg->worker.ssh.port, 2200);
	ASSERT_STR_EQ(cfg->log_file, "/home/u/pogo.log");
	pogo_cfg_free(cfg);
}

/* A later -o wins; an empty VALUE restores the default. */
TEST(overrides_order_and_empty)
{
	const char *ov[] = { "worker.max_tasks=5", "worker.max_tasks=7",
		"log_file=" };
	struct pogo_cfg *cfg;
	char *cause;

	cfg = load("log_file: /var/log/p\n", ov, POGO_NELEM(ov), &cause);
	ASSERT(cfg != NULL);
	ASSERT_EQ(cfg->worker.max_tasks, 7);
	ASSERT_STR_EQ(cfg->log_file, "");
	pogo_cfg_free(cfg);
}

static const struct pogo_cfg_addr *
listen_of(const struct pogo_cfg *cfg, size_t i)
{
	if (i == 0)
		return &cfg->api.listen;
	return i == 1 ? &cfg->dispatcher.worker_listen
	              : &cfg->dispatcher.control_listen;
}

/*
 * A listen address that is empty or null, in the file or from -o, is an
 * error that names the key (#9): it used to be the default port, where the
 * code's empty address means no port at all (pogo one's pair).  Absent,
 * the key is the default.
 */
TEST(listen_empty)
{
	static const char *const keys[] = { "api.listen",
		"dispatcher.worker_listen", "dispatcher.control_listen" };
	static const char *const values[] = { "", "\"\"", "''", "~", "null" };
	const char *ov[2];
	char text[128], want[256], o1[64], o2[64], *cause;
	struct pogo_cfg *cfg;
	size_t i, j, dot;

	for (i = 0; i < POGO_NELEM(keys); i++) {
		dot = strcspn(keys[i], ".");
		for (j = 0; j < POGO_NELEM(values); j++) {
			snprintf(text, sizeof(text), "%.*s:\n  %s: %s\n",
			    (int)dot, keys[i], keys[i] + dot + 1, values[j]);
			snprintf(want, sizeof(want),
			    "t.yaml: %s: an empty listen address; give "
			    "HOST:PORT, or leave the key out for its default",
			    keys[i]);
			expect_fail(text, NULL, 0, want);
			snprintf(o1, sizeof(o1), "%s=%s", keys[i], values[j]);
			ov[0] = o1;
			snprintf(want, sizeof(want),
			    "-o %s: %s: an empty listen address; give "
			    "HOST:PORT, or leave the key out for its default",
			    o1, keys[i]);
			expect_fail("", ov, 1, want);
		}
		/* The last -o wins, empty or not. */
		snprintf(o1, sizeof(o1), "%s=", keys[i]);
		snprintf(o2, sizeof(o2), "%s=127.0.0.1:9", keys[i]);
		ov[0] = o2;
		ov[1] = o1;
		expect_fail("", ov, 2, "an empty listen address");
		ov[0] = o1;
		ov[1] = o2;
		cfg = load("", ov, 2, &cause);
		ASSERT(cfg != NULL);
		ASSERT_STR_EQ(listen_of(cfg, i)->str, "127.0.0.1:9");
		pogo_cfg_free(cfg);
	}
}

TEST(overrides_bad)
{
	const char *o1[] = { "dispatcher.bogus=1" };
	const char *o2[] = { "lost_worker_grace" };
	const char *o3[] = { "dispatcher=1" };
	const char *o4[] = { "dispatcher.lost_worker_grace=10 s" };
	const char *o5[] = { "log_level.x=1" };
	const char *o6[] = { "worker.dispatchers=[a:1, [b]]" };
	const char *o7[] = { "=1" };
	const char *o8[] = { "worker.max_tasks=0", "worker.max_tasks=9",
		"worker.max_tasks=0" };
	const char *o9[] = { "worker.dispatchers=[bad]" };
	const char *o10[] = { "worker.max_tasks=9",
		"worker.dispatchers=[a:1, 'b c:2']" };

	expect_fail(
	    "", o1, 1, "-o dispatcher.bogus=1: unknown key 'dispatcher.bogus'");
	expect_fail("", o2, 1, "-o lost_worker_grace: expected KEY=VALUE");
	expect_fail("", o5, 1, "-o log_level.x=1: unknown key 'log_level.x'");
	expect_fail("", o3, 1,
	    "-o dispatcher=1: 'dispatcher' is a section; name one of its "
	    "keys (dispatcher.worker_listen)");
	expect_fail("", o4, 1,
	    "-o dispatcher.lost_worker_grace=10 s: "
	    "dispatcher.lost_worker_grace: '10 s' is not a duration");
	expect_fail("", o5, 1, "unknown key 'log_level.x'");
	expect_fail("", o6, 1, "-o worker.dispatchers=[a:1, [b]]:");
	expect_fail("", o7, 1, "expected KEY=VALUE");
	expect_fail("", o8, 3, "-o worker.max_tasks=0: worker.max_tasks:");
	/* A list item's error names the -o that gave the list. */
	expect_fail("", o9, 1,
	    "-o worker.dispatchers=[bad]: worker.dispatchers[0]: 'bad' is "
	    "not HOST:PORT");
	expect_fail("", o10, 2,
	    "-o worker.dispatchers=[a:1, 'b c:2']: worker.dispatchers[1]: ");
}

/* The file's problems name the file, even with unrelated overrides. */
TEST(error_names_source)
{
	const char *ov[] = { "worker.max_tasks=9" };

	expect_fail("worker:\n  max_handshakes: x\n", ov, 1,
	    "t.yaml: worker.max_handshakes: 'x'");
}

/* Hostile sizes: long strings, long lists, big files are refused. */
TEST(hostile_sizes)
{
	struct pogo_cfg_src src = src_of(NULL, 0);
	struct pogo_cfg *cfg = NULL;
	char *text, *big, *cause = NULL;
	size_t i, n;

	big = xmalloc(POGO_CFG_MAX_STRING + 2);
	memset(big, 'a', POGO_CFG_MAX_STRING + 1);
	big[0] = '/';
	big[POGO_CFG_MAX_STRING + 1] = '\0';
	xasprintf(&text, "state_dir: %s\n", big);
	expect_fail(text, NULL, 0, "state_dir: String length too long");
	free(text);
	big[POGO_CFG_MAX_STRING] = '\0';
	xasprintf(&text, "state_dir: %s\n", big);
	cfg = load_ok(text);
	pogo_cfg_free(cfg);
	free(text);
	free(big);

	n = (POGO_CFG_MAX_DISPATCHERS + 1) * 8 + 64;
	text = xmalloc(n);
	memcpy(text, "worker:\n  dispatchers: [", 24);
	for (i = 0, n = 24; i <= POGO_CFG_MAX_DISPATCHERS; i++)
		n += (size_t)snprintf(text + n, 16, "a:%zu,", i + 1);
	memcpy(text + n - 1, "]\n", 3);
	expect_fail(text, NULL, 0, "worker.dispatchers");
	free(text);

	/* An alias cannot multiply a list past its bound either. */
	expect_fail("api:\n  admins: &a [a, b, c]\n"
	            "worker:\n  dispatchers: *a\n  name: *a\n",
	    NULL, 0, "t.yaml:");

	big = xmalloc(POGO_CFG_MAX_BYTES + 2);
	memset(big, '#', POGO_CFG_MAX_BYTES + 1);
	ASSERT_EQ(pogo_cfg_load_text(big, POGO_CFG_MAX_BYTES + 1, "t.yaml",
	              &src, &cfg, &cause),
	    POGO_ERR_CONFIG);
	ASSERT(strstr(cause, "larger than") != NULL);
	free(cause);
	free(big);
}

TEST(files)
{
	struct pogo_cfg_src src = src_of(NULL, 0);
	struct pogo_cfg *cfg = NULL;
	char path[] = "/tmp/pogo-test-cfg-XXXXXX", *cause = NULL;
	int fd;

	src.file = "/nonexistent/pogo.yaml";
	ASSERT_EQ(pogo_cfg_load(&src, &cfg, &cause), POGO_ERR_CONFIG);
	ASSERT_STR_EQ(cause,
	    "/nonexistent/pogo.yaml: No such file or "
	    "directory");
	free(cause);

	ASSERT((fd = mkstemp(path)) >= 0);
	ASSERT_EQ(write(fd, "worker:\n  max_tasks: 3\n", 23), 23);
	close(fd);
	src.file = path;
	ASSERT_OK(pogo_cfg_load(&src, &cfg, &cause));
	ASSERT_EQ(cfg->worker.max_tasks, 3);
	ASSERT_STR_EQ(cfg->file, path);
	pogo_cfg_free(cfg);
	unlink(path);
}

/* examples/pogo.yaml documents every key and must load as it is. */
TEST(example_loads)
{
	const char *dir = getenv("POGO_TEST_DATA");
	struct pogo_cfg_src src = src_of(NULL, 0);
	struct pogo_cfg *cfg = NULL;
	char *path, *cause = NULL;

	xasprintf(&path, "%s/../../examples/pogo.yaml",
	    dir != NULL ? dir : "test/data");
	src.file = path;
	if (pogo_cfg_load(&src, &cfg, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "%s", cause);
	/* Its values are the defaults, written out. */
	ASSERT_STR_EQ(cfg->state_dir, "/var/lib/pogo");
	ASSERT_EQ(cfg->dispatcher.lost_worker_grace, 60);
	ASSERT_EQ(cfg->worker.max_tasks, 256);
	ASSERT_EQ(cfg->worker.ssh.host_key_check, POGO_CFG_HOSTKEY_ACCEPT_NEW);
	pogo_cfg_free(cfg);
	free(path);
}

TEST(parse_addr)
{
	struct pogo_cfg_addr a;
	char *cause;

	ASSERT_OK(pogo_cfg_parse_addr("[::1]:0", true, &a, &cause));
	ASSERT_STR_EQ(a.host, "::1");
	ASSERT_EQ(a.port, 0);
	pogo_cfg_addr_release(&a);
	ASSERT_EQ(
	    pogo_cfg_parse_addr("[::1]:0", false, &a, &cause), POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(pogo_cfg_parse_addr("[::1]7655", false, &a, &cause),
	    POGO_ERR_CONFIG);
	free(cause);
	ASSERT_EQ(
	    pogo_cfg_parse_addr("h:", false, &a, &cause), POGO_ERR_CONFIG);
	free(cause);
}
