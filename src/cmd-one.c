/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * pogo one: one job from this process (SPEC 1.4, 12.2).  Option parsing,
 * the configuration and the target list; then a dispatcher and a worker
 * of this process (pair.h: an in-memory store, linked by a socketpair,
 * no port), the job submitted to the dispatcher as any job is, and
 * followed from the store (tail.h) into the follower (follow.h), which
 * prints the default lines, --json events, --output-dir files, the
 * progress line and the summary, and turns SIGINT, SIGTERM and SIGHUP
 * into a halt of the job, a second one into a kill of the running tasks.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "pogo/askpass.h"
#include "pogo/cfg.h"
#include "pogo/cmd.h"
#include "pogo/dispatcher.h"
#include "pogo/error.h"
#include "pogo/follow.h"
#include "pogo/job.h"
#include "pogo/log.h"
#include "pogo/pair.h"
#include "pogo/proc.h"
#include "pogo/resolver.h"
#include "pogo/sched-config.h"
#include "pogo/sched-table.h"
#include "pogo/sched.h"
#include "pogo/ssh-config.h"
#include "pogo/ssh.h"
#include "pogo/store.h"
#include "pogo/str.h"
#include "pogo/tail.h"
#include "pogo/tls.h"
#include "pogo/target.h"
#include "pogo/worker.h"
#include "pogo/xmalloc.h"

#define ONE_DEFAULT_RESOLVERS "/etc/pogo/resolvers"
#define ONE_MAX_CONFIG (64 * 1024 * 1024)
#define ONE_FD_RESERVE 64
#define ONE_MAX_SCRIPT (1024 * 1024) /* SPEC 5.1 exe_data */
/*
 * Output queued for a slow reader of stdout or stderr beyond this pauses
 * the reading of the commands' output (back-pressure); half resumes it.
 */
#define ONE_SINK_HIGH (4 * 1024 * 1024)

static int cmd_one_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_one = {
	.name = "one",
	.usage = "--targets LIST --run-command CMD [--config FILE] "
	         "[-p|--password] [-l|--user USER] [--port N] "
	         "[-i|--identity FILE]... [-F|--ssh-config FILE] "
	         "[--known-hosts FILE] "
	         "[--host-key-check strict|accept-new|off] "
	         "[--connect-timeout S] [--timeout S] [--job-timeout S] "
	         "[--concurrency N] [--max-handshakes N] [--max-output N] "
	         "[--run-as USER] [--retry N] [--prehook] [--posthook] "
	         "[--lock] [--hook-dir DIR] [--file SCRIPT] [--local] "
	         "[--output-dir DIR] [--json] "
	         "[--show-output] [--dry-run] [--resolver-path PATH] "
	         "[--state-dir DIR] [-v|--verbose]",
	.summary = "run one job from this process (dispatcher and worker in "
	           "one)",
	.flags = POGO_CMD_LOOP,
	.main = cmd_one_main,
};

static void
one_resolved_cb(struct pogo_resolver *res, int status, void *arg)
{
	*(int *)arg = status;
}

/*
 * Parse, resolve and build the configuration of --config.  Without
 * resolve, a configuration with external references is only parsed: the
 * pair's dispatcher runs them while the job gathers (SPEC 2.11).
 */
static int
one_config(const char *file, const char *path, bool resolve,
    struct pogo_sched_config **cfgp)
{
	struct pogo_sched_config *cfg = NULL;
	char *text = NULL, *cause = NULL;
	uv_loop_t loop;
	size_t len;
	int r, status = -1;

	*cfgp = NULL;
	if ((r = pogo_str_read_file(file, ONE_MAX_CONFIG, &text, &len)) != 0) {
		fprintf(stderr, "pogo one: %s: %s\n", file, pogo_strerror(r));
		return r;
	}
	r = pogo_sched_config_parse(text, len, &cfg, &cause);
	free(text);
	if (r == 0 && !resolve && pogo_sched_config_nrefs(cfg) > 0) {
		*cfgp = cfg;
		return 0;
	}
	if (r == 0 && pogo_sched_config_nrefs(cfg) > 0) {
		if ((r = pogo_proc_loop_init(&loop)) == 0) {
			r = pogo_resolver_run(
			    &loop, cfg, path, 0, one_resolved_cb, &status);
			if (r == 0)
				uv_run(&loop, UV_RUN_DEFAULT);
			pogo_proc_loop_close(&loop);
		}
	}
	if (r == 0)
		r = pogo_sched_config_build(cfg, &cause);
	if (r != 0) {
		if (cause != NULL)
			fprintf(stderr, "%s\n", cause);
		free(cause);
		pogo_sched_config_free(cfg);
		return r;
	}
	*cfgp = cfg;
	return 0;
}

static int
one_number(
    const char *opt, const char *v, long long min, long long max, unsigned *out)
{
	long long n;

	if (pogo_strtonum(v, min, max, &n) != 0) {
		fprintf(
		    stderr, "pogo one: invalid value for --%s: '%s'\n", opt, v);
		return POGO_ERR_USAGE;
	}
	*out = (unsigned)n;
	return 0;
}

/*
 * Make sure the descriptors of N tasks fit (SPEC: a clear error): a
 * connection, or two pipes for a local command, plus an output file.
 */
static int
one_check_fds(unsigned concurrency, bool local, bool files)
{
	struct rlimit rl;
	rlim_t per = (local ? 2 : 1) + (files ? 1 : 0);
	rlim_t need = (rlim_t)concurrency * per + ONE_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return 0;
	}
	fprintf(stderr,
	    "pogo one: --concurrency %u needs %llu file descriptors; the "
	    "limit is %llu\n",
	    concurrency, (unsigned long long)need,
	    (unsigned long long)rl.rlim_max);
	return POGO_ERR_LIMIT;
}

/* Create the directory dir and its missing parents (mkdir -p). */
static int
one_mkdirs(const char *dir)
{
	struct stat sb;
	char *path = xstrdup(dir), *p;
	bool end = dir[0] == '\0';
	int r = 0;

	for (p = path + 1; !end; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		end = *p == '\0';
		*p = '\0';
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "pogo one: --output-dir %s: %s\n", path,
			    strerror(errno));
			r = POGO_ERR_ERRNO(errno);
			goto out;
		}
		if (!end)
			*p = '/';
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "pogo one: --output-dir %s: not a directory\n",
		    dir);
		r = POGO_ERR_CONFIG;
	}
out:
	free(path);
	return r;
}

static void
one_closed_cb(void *arg)
{
	(void)arg;
}

struct one_args {
	struct pogo_strv targets; /* every --targets value */
	const char *command;
	const char *config;
	const char *resolvers;
	const char *output_dir;
	const char *state_dir; /* --state-dir: the store's directory */
	const char *run_as;
	unsigned timeout;
	unsigned job_timeout;
	unsigned concurrency;
	unsigned max_output;
	struct pogo_exec_stub stub;
	const char *file; /* --file: the attached script's path */
	char *exe_data;   /* and its text */
	char *file_command;
	bool ask_password;
	bool local;
	bool dry_run;
	bool json;
	bool show_output;
	unsigned verbose; /* -v given so many times */
	struct pogo_ssh_opts ssh;
};

/* User names: no shell metacharacters reach a login or sudo. */
static bool
one_valid_user(const char *u)
{
	size_t i;

	if (u[0] == '\0' || u[0] == '-' || strlen(u) > 64)
		return false;
	for (i = 0; u[i] != '\0'; i++) {
		if (!((u[i] >= 'a' && u[i] <= 'z') ||
		        (u[i] >= 'A' && u[i] <= 'Z') ||
		        (u[i] >= '0' && u[i] <= '9') || u[i] == '.' ||
		        u[i] == '_' || u[i] == '-' || u[i] == '@'))
			return false;
	}
	return true;
}

/* -F's file: there, and a regular file of sane size (ssh-config.h). */
static int
one_check_file(const char *path)
{
	char *cause;

	if (pogo_ssh_config_check(path, false, &cause) < 0) {
		fprintf(stderr, "pogo one: %s\n", cause);
		free(cause);
		return POGO_ERR_CONFIG;
	}
	return 0;
}

/*
 * --file SCRIPT: the attached script (SPEC 5.1 exe_name, exe_data): a base
 * name of [A-Za-z0-9_.-], text of at most 1 MiB without NUL bytes.  The
 * command shown is "Attached file: <name>".
 */
static int
one_attach(struct one_args *a)
{
	const char *name = strrchr(a->file, '/');
	size_t len;
	int r;

	name = name != NULL ? name + 1 : a->file;
	if (name[0] == '\0' ||
	    strspn(name,
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	        "0123456789_.-") != strlen(name)) {
		fprintf(stderr,
		    "pogo one: --file %s: the name must be made of "
		    "A-Z a-z 0-9 _ . -\n",
		    a->file);
		return POGO_ERR_USAGE;
	}
	if ((r = pogo_str_read_file(
	         a->file, ONE_MAX_SCRIPT, &a->exe_data, &len)) != 0) {
		fprintf(stderr, "pogo one: --file %s: %s\n", a->file,
		    r == POGO_ERR_LIMIT ? "larger than 1 MiB"
		                        : pogo_strerror(r));
		return r;
	}
	if (memchr(a->exe_data, '\0', len) != NULL) {
		fprintf(
		    stderr, "pogo one: --file %s: not a text file\n", a->file);
		return POGO_ERR_USAGE;
	}
	a->stub.exe_name = name;
	a->stub.exe_data = a->exe_data;
	xasprintf(&a->file_command, "Attached file: %s", name);
	a->command = a->file_command;
	return 0;
}

/* Parse the command line into a; returns 0 or an exit status. */
static int
one_parse(int argc, char **argv, struct one_args *a)
{
	enum {
		OPT_TARGETS = 256,
		OPT_RUN,
		OPT_CONFIG,
		OPT_PORT,
		OPT_KNOWN,
		OPT_HKC,
		OPT_CTIMEOUT,
		OPT_TIMEOUT,
		OPT_JTIMEOUT,
		OPT_CONC,
		OPT_HS,
		OPT_MAXOUT,
		OPT_LOCAL,
		OPT_OUTDIR,
		OPT_JSON,
		OPT_SHOW,
		OPT_DRY,
		OPT_RESOLVERS,
		OPT_RUNAS,
		OPT_RETRY,
		OPT_PREHOOK,
		OPT_POSTHOOK,
		OPT_LOCK,
		OPT_HOOKDIR,
		OPT_FILE,
		OPT_STATEDIR,
	};
	static const struct option longopts[] = {
		{ "targets", required_argument, NULL, OPT_TARGETS },
		{ "run-command", required_argument, NULL, OPT_RUN },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "password", no_argument, NULL, 'p' },
		{ "user", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "identity", required_argument, NULL, 'i' },
		{ "ssh-config", required_argument, NULL, 'F' },
		{ "known-hosts", required_argument, NULL, OPT_KNOWN },
		{ "host-key-check", required_argument, NULL, OPT_HKC },
		{ "connect-timeout", required_argument, NULL, OPT_CTIMEOUT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "job-timeout", required_argument, NULL, OPT_JTIMEOUT },
		{ "concurrency", required_argument, NULL, OPT_CONC },
		{ "max-handshakes", required_argument, NULL, OPT_HS },
		{ "max-output", required_argument, NULL, OPT_MAXOUT },
		{ "local", no_argument, NULL, OPT_LOCAL },
		{ "output-dir", required_argument, NULL, OPT_OUTDIR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "show-output", no_argument, NULL, OPT_SHOW },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "resolver-path", required_argument, NULL, OPT_RESOLVERS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "run-as", required_argument, NULL, OPT_RUNAS },
		{ "retry", required_argument, NULL, OPT_RETRY },
		{ "prehook", no_argument, NULL, OPT_PREHOOK },
		{ "posthook", no_argument, NULL, OPT_POSTHOOK },
		{ "lock", no_argument, NULL, OPT_LOCK },
		{ "hook-dir", required_argument, NULL, OPT_HOOKDIR },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "state-dir", required_argument, NULL, OPT_STATEDIR },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx;
	size_t i;

	memset(a, 0, sizeof(*a));
	a->resolvers = ONE_DEFAULT_RESOLVERS;
	a->timeout = 600;
	a->job_timeout = 1800;
	a->concurrency = 256;
	a->max_output = 1024 * 1024;
	a->ssh.max_handshakes = 32;
	a->ssh.connect_timeout = 10;
	a->ssh.host_key_check = POGO_SSH_HOSTKEY_ACCEPT_NEW;
	a->ssh.use_agent = true;
	opterr = 0;
	optind = 1;
	while (
	    (c = getopt_long(argc, argv, "pl:i:F:v", longopts, &idx)) != -1) {
		switch (c) {
		case OPT_TARGETS:
			pogo_strv_push(&a->targets, optarg);
			break;
		case OPT_RUN:
			a->command = optarg;
			break;
		case OPT_CONFIG:
			a->config = optarg;
			break;
		case 'p':
			a->ask_password = true;
			break;
		case 'l':
			a->ssh.user = optarg;
			break;
		case OPT_PORT:
			if (one_number("port", optarg, 1, 65535, &a->ssh.port))
				return POGO_EXIT_USAGE;
			break;
		case 'i':
			pogo_strv_push(&a->ssh.identities, optarg);
			break;
		case 'F':
			a->ssh.ssh_config = optarg;
			break;
		case OPT_KNOWN:
			a->ssh.known_hosts = optarg;
			break;
		case OPT_HKC:
			if (strcmp(optarg, "strict") == 0)
				a->ssh.host_key_check = POGO_SSH_HOSTKEY_STRICT;
			else if (strcmp(optarg, "accept-new") == 0)
				a->ssh.host_key_check =
				    POGO_SSH_HOSTKEY_ACCEPT_NEW;
			else if (strcmp(optarg, "off") == 0)
				a->ssh.host_key_check = POGO_SSH_HOSTKEY_OFF;
			else {
				fprintf(stderr,
				    "pogo one: invalid --host-key-check "
				    "'%s'\n",
				    optarg);
				return POGO_EXIT_USAGE;
			}
			break;
		case OPT_CTIMEOUT:
			if (one_number("connect-timeout", optarg, 1, 86400,
			        &a->ssh.connect_timeout))
				return POGO_EXIT_USAGE;
			break;
		case OPT_TIMEOUT:
			if (one_number(
			        "timeout", optarg, 0, 31536000, &a->timeout))
				return POGO_EXIT_USAGE;
			break;
		case OPT_JTIMEOUT:
			if (one_number("job-timeout", optarg, 0, 31536000,
			        &a->job_timeout))
				return POGO_EXIT_USAGE;
			break;
		case OPT_CONC:
			if (one_number("concurrency", optarg, 1, 100000,
			        &a->concurrency))
				return POGO_EXIT_USAGE;
			break;
		case OPT_HS:
			if (one_number("max-handshakes", optarg, 1, 100000,
			        &a->ssh.max_handshakes))
				return POGO_EXIT_USAGE;
			break;
		case OPT_MAXOUT:
			if (one_number("max-output", optarg, 0, INT32_MAX,
			        &a->max_output))
				return POGO_EXIT_USAGE;
			break;
		case OPT_LOCAL:
			a->local = true;
			break;
		case OPT_OUTDIR:
			a->output_dir = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_SHOW:
			a->show_output = true;
			break;
		case OPT_DRY:
			a->dry_run = true;
			break;
		case OPT_RESOLVERS:
			a->resolvers = optarg;
			break;
		case OPT_RUNAS:
			a->run_as = optarg;
			break;
		case OPT_RETRY:
			if (one_number(
			        "retry", optarg, 0, 1000, &a->stub.retry))
				return POGO_EXIT_USAGE;
			break;
		case OPT_PREHOOK:
			a->stub.prehook = true;
			break;
		case OPT_POSTHOOK:
			a->stub.posthook = true;
			break;
		case OPT_LOCK:
			a->stub.lock = true;
			break;
		case OPT_HOOKDIR:
			a->stub.hook_dir = optarg;
			break;
		case OPT_FILE:
			a->file = optarg;
			break;
		case 'v':
			a->verbose++;
			break;
		case OPT_STATEDIR:
			if (optarg[0] == '\0') {
				fprintf(
				    stderr, "pogo one: --state-dir is empty\n");
				return POGO_EXIT_USAGE;
			}
			a->state_dir = optarg;
			break;
		default:
			pogo_cmd_usage(&pogo_cmd_one, stderr);
			return POGO_EXIT_USAGE;
		}
	}
	/*
	 * Warnings only by default: the info lines are the dispatcher's and
	 * the worker's (listening, hello, every task), not for pogo one's
	 * stderr; -v adds pogo's debug lines (and those), -vv libssh's.
	 */
	pogo_log_level = a->verbose == 0 ? POGO_LOG_WARN
	    : a->verbose < POGO_LOG_DEBUG3 - POGO_LOG_INFO
	    ? POGO_LOG_INFO + (int)a->verbose
	    : POGO_LOG_DEBUG3;
	if (optind != argc) {
		pogo_cmd_usage(&pogo_cmd_one, stderr);
		return POGO_EXIT_USAGE;
	}
	if (a->targets.n == 0) {
		fprintf(stderr, "Mandatory parameter targets missing\n");
		return POGO_EXIT_USAGE;
	}
	if (a->file != NULL && a->command != NULL) {
		fprintf(stderr,
		    "pogo one: --file and --run-command are exclusive\n");
		return POGO_EXIT_USAGE;
	}
	if (a->file != NULL && one_attach(a) != 0)
		return POGO_EXIT_USAGE;
	if (a->command == NULL ||
	    a->command[strspn(a->command, " \t\n")] == '\0') {
		fprintf(stderr, "Mandatory parameter run-command missing\n");
		return POGO_EXIT_USAGE;
	}
	if (a->stub.hook_dir != NULL && a->stub.hook_dir[0] == '\0') {
		fprintf(stderr, "pogo one: --hook-dir must not be empty\n");
		return POGO_EXIT_USAGE;
	}
	if (a->ssh.user != NULL && !one_valid_user(a->ssh.user)) {
		fprintf(
		    stderr, "pogo one: invalid user name '%s'\n", a->ssh.user);
		return POGO_EXIT_USAGE;
	}
	if (a->run_as != NULL && !one_valid_user(a->run_as)) {
		fprintf(
		    stderr, "pogo one: invalid user name '%s'\n", a->run_as);
		return POGO_EXIT_USAGE;
	}
	if (a->ssh.ssh_config != NULL && one_check_file(a->ssh.ssh_config) != 0)
		return POGO_EXIT_USAGE;
	for (i = 0; i < a->ssh.identities.n; i++) {
		if (access(a->ssh.identities.v[i], R_OK) != 0) {
			fprintf(stderr,
			    "pogo one: cannot read identity file %s: %s\n",
			    a->ssh.identities.v[i], strerror(errno));
			return POGO_EXIT_USAGE;
		}
	}
	if (a->local && a->run_as != NULL) {
		fprintf(stderr, "task type local does not support run_as\n");
		return POGO_EXIT_USAGE;
	}
	a->ssh.max_tasks = a->concurrency;
	a->ssh.max_output = a->max_output;
	return 0;
}

/*
 * pogo one on a dispatcher and a worker of this process (pair.h, issue
 * 9): the job is submitted as any job is and followed from the store
 * (tail.h).
 */
struct one_pair {
	uv_loop_t loop;
	struct pogo_cfg *cfg;
	struct pogo_pair *p;
	struct pogo_dispatcher *d;
	struct pogo_follow *follow;
	struct pogo_tail *tail;
	struct one_args *a;
	const struct pogo_strv *hosts;
	const char *config_text; /* --config's text, ending in a newline */
	uint64_t job;
	char jobid[32]; /* "p0000000000", for the follower's events */
	int exitcode;
};

static void
one_pair_halt_cb(void *arg)
{
	struct one_pair *op = arg;

	(void)pogo_dispatcher_job_halt(op->d, op->job, "halted by user");
}

static void
one_pair_stop_cb(void *arg)
{
	struct one_pair *op = arg;

	(void)pogo_dispatcher_job_kill(op->d, op->job);
}

static void
one_pair_pause_cb(bool pause, void *arg)
{
	struct one_pair *op = arg;

	if (op->tail != NULL)
		pogo_tail_pause(op->tail, pause);
	/* The commands wait on their pipes (t1006). */
	if (op->p != NULL)
		pogo_worker_hold(pogo_pair_worker(op->p), pause);
}

static const struct pogo_follow_source one_pair_source = {
	.halt = one_pair_halt_cb,
	.stop = one_pair_stop_cb,
	.pause = one_pair_pause_cb,
};

static void
one_pair_stopped_cb(int status, void *arg)
{
	(void)status;
	(void)arg;
}

/* Stop what runs: the tail and the follower (stdout first), the pair. */
static void
one_pair_close(struct one_pair *op)
{
	if (op->tail != NULL)
		pogo_tail_close(op->tail, one_closed_cb, NULL);
	op->tail = NULL;
	if (op->follow != NULL)
		pogo_follow_close(op->follow, one_closed_cb, NULL);
	op->follow = NULL;
	if (op->p != NULL)
		pogo_pair_stop(op->p, one_pair_stopped_cb, op);
	op->p = NULL;
}

/*
 * The store failed to commit (review3 finding 9): the job can no longer
 * end, so pogo one stops with an error instead of waiting for ever.
 */
static void
one_pair_fatal_cb(struct pogo_pair *p, void *arg)
{
	struct one_pair *op = arg;

	fprintf(stderr,
	    "pogo one: the job's store failed; stopping (the running "
	    "tasks are killed)\n");
	op->exitcode = POGO_EXIT_FAIL;
	one_pair_close(op);
}

/*
 * A job halted while it gathered, for another reason than a halt: its
 * configuration failed (SPEC 2.11: a resolver), an error before anything
 * ran (SPEC 12.2: the message alone on stderr, exit 2).  Returns true
 * after printing it.
 */
static bool
one_pair_config_failed(struct one_pair *op, struct pogo_tail *t)
{
	struct pogo_store_job *j = NULL;
	bool failed = false;

	if (pogo_tail_ran(t) ||
	    pogo_store_job_get(pogo_dispatcher_store(op->d), op->job, &j) != 0)
		return false;
	if (j->state == POGO_JOB_HALTED && j->state_message != NULL &&
	    strcmp(j->state_message, "halted by user") != 0 &&
	    strcmp(j->state_message, "timeout reached") != 0) {
		fprintf(stderr, "%s\n", j->state_message);
		failed = true;
	}
	pogo_store_job_free(j);
	return failed;
}

static void
one_pair_end_cb(struct pogo_tail *t, void *arg)
{
	struct one_pair *op = arg;
	struct pogo_follow_stats stats;

	if (one_pair_config_failed(op, t)) {
		op->exitcode = POGO_EXIT_USAGE;
		one_pair_close(op);
		return;
	}
	memset(&stats, 0, sizeof(stats));
	pogo_pair_peaks(op->p, &stats.peak_in_flight, &stats.peak_handshakes);
	op->exitcode = pogo_follow_finish(op->follow, &stats);
	one_pair_close(op);
}

static void
one_pair_submitted_cb(
    struct pogo_dispatcher *d, int status, const char *jobid, void *arg)
{
	struct one_pair *op = arg;
	struct one_args *a = op->a;
	struct pogo_follow_opts fopts;
	int r;

	if (status != 0) {
		fprintf(stderr, "pogo one: cannot store the job: %s\n",
		    pogo_strerror(status));
		one_pair_close(op);
		return;
	}
	op->job = strtoull(jobid + 1, NULL, 10);
	snprintf(op->jobid, sizeof(op->jobid), "%s", jobid);
	memset(&fopts, 0, sizeof(fopts));
	fopts.prog = "pogo one";
	fopts.job = op->jobid;
	fopts.nhosts = (uint32_t)op->hosts->n;
	fopts.out_fd = STDOUT_FILENO;
	fopts.err_fd = STDERR_FILENO;
	fopts.json = a->json;
	fopts.show_output = a->show_output;
	fopts.progress = !a->json && isatty(STDERR_FILENO);
	fopts.signals = true;
	fopts.output_dir = a->output_dir;
	/*
	 * A slow reader holds the commands back (and their timeouts stand
	 * still) once this much waits for it.  The
	 * output reaches the follower through the dispatcher, slower than
	 * a command prints, with up to 2 MiB more in flight (worker.h), so
	 * a hold at 4 MiB came after the timeout of a command printing 8 MB
	 * in 3 s (t1006 paused-timeout-silent, a loaded machine), and the
	 * memory stays bounded (t1006 big-local: 16 MB over the base).
	 */
	fopts.high = ONE_SINK_HIGH / 8;
	op->follow = pogo_follow_new(&op->loop, &fopts, &one_pair_source, op);
	if ((r = pogo_tail_start(&op->loop, d, op->job, op->follow, 0,
	         one_pair_end_cb, op, &op->tail)) != 0) {
		fprintf(stderr, "pogo one: cannot follow job %s: %s\n", jobid,
		    pogo_strerror(r));
		one_pair_close(op);
		return;
	}
	/*
	 * Its one reader: what it read leaves the in-memory store.  A store
	 * in --state-dir keeps it: it is the job's record (SPEC 6.1).
	 */
	if (op->a->state_dir == NULL)
		pogo_tail_forget(op->tail, true);
	pogo_follow_start(op->follow);
}

/* The job's user: the local login name. */
static const char *
one_pair_user(void)
{
	const char *u = getenv("USER");

	return u != NULL && u[0] != '\0' ? u : "unknown";
}

/* v in decimal, kept in own. */
static const char *
one_pair_num(struct pogo_strv *own, unsigned v)
{
	char *s = NULL;

	xasprintf(&s, "%u", v);
	pogo_strv_take(own, s);
	return s;
}

/* The job's fields (SPEC 5.1) from pogo one's options. */
static int
one_pair_submit(struct one_pair *op)
{
	struct one_args *a = op->a;
	struct pogo_dispatcher_field f[24];
	struct pogo_strv own = { 0 };
	char *range = NULL, *msg = NULL, *b64 = NULL;
	size_t n = 0, i, len = 0, olen = 0;
	int r;

	/*
	 * The targets as parsed (@FILE read here, in their order, without
	 * repeats): one pattern of the names, which expands to itself.
	 */
	for (i = 0; i < op->hosts->n; i++)
		len += strlen(op->hosts->v[i]) + 1;
	range = xmalloc(len + 1);
	range[0] = '\0';
	for (i = 0, len = 0; i < op->hosts->n; i++) {
		olen = strlen(op->hosts->v[i]);
		if (i > 0)
			range[len++] = ',';
		memcpy(range + len, op->hosts->v[i], olen);
		len += olen;
	}
	range[len] = '\0';
	pogo_strv_take(&own, range);
	f[n++] = (struct pogo_dispatcher_field){ "range", range };
	f[n++] = (struct pogo_dispatcher_field){ "command", a->command };
	f[n++] = (struct pogo_dispatcher_field){ "user", one_pair_user() };
	f[n++] = (struct pogo_dispatcher_field){ "task_name",
		a->local ? "local" : "ssh" };
	f[n++] = (struct pogo_dispatcher_field){ "timeout",
		one_pair_num(&own, a->timeout) };
	f[n++] = (struct pogo_dispatcher_field){ "job_timeout",
		one_pair_num(&own, a->job_timeout) };
	f[n++] = (struct pogo_dispatcher_field){ "retry",
		one_pair_num(&own, a->stub.retry) };
	if (a->run_as != NULL)
		f[n++] = (struct pogo_dispatcher_field){ "run_as", a->run_as };
	/* -l wins over the ssh_config's User (SPEC 9.3). */
	if (a->ssh.user != NULL)
		f[n++] =
		    (struct pogo_dispatcher_field){ "ssh_user", a->ssh.user };
	if (a->stub.prehook)
		f[n++] = (struct pogo_dispatcher_field){ "prehook", "1" };
	if (a->stub.posthook)
		f[n++] = (struct pogo_dispatcher_field){ "posthook", "1" };
	if (a->stub.lock)
		f[n++] = (struct pogo_dispatcher_field){ "lock", "1" };
	if (op->config_text != NULL)
		f[n++] =
		    (struct pogo_dispatcher_field){ "config", op->config_text };
	if (a->stub.exe_name != NULL) {
		b64 = pogo_tls_base64_encode(
		    a->stub.exe_data, strlen(a->stub.exe_data));
		pogo_strv_take(&own, b64);
		f[n++] = (struct pogo_dispatcher_field){ "exe_name",
			a->stub.exe_name };
		f[n++] = (struct pogo_dispatcher_field){ "exe_data", b64 };
	}
	r = pogo_dispatcher_submit(
	    op->d, f, n, "pogo one", one_pair_submitted_cb, op, &msg);
	if (r != 0) {
		fprintf(stderr, "%s\n", msg);
		free(msg);
	}
	pogo_strv_clear(&own);
	return r;
}

static void
one_pair_ready_cb(struct pogo_pair *p, int status, void *arg)
{
	struct one_pair *op = arg;

	if (status != 0) {
		fprintf(stderr, "pogo one: the worker did not connect: %s\n",
		    pogo_strerror(status));
		op->exitcode = POGO_EXIT_NOJOB;
		one_pair_close(op);
		return;
	}
	if (one_pair_submit(op) != 0) {
		op->exitcode = POGO_EXIT_USAGE;
		one_pair_close(op);
	}
}

/* The pair's configuration from pogo one's options (pair.h, step 1). */
static int
one_pair_cfg(struct one_args *a, struct pogo_cfg **cfgp)
{
	/* The pair listens on nothing (pair.h): no port to configure. */
	static const char text[] = "worker:\n"
	                           "  name: one\n"
	                           "  reconnect_delay: 0\n"
	                           "  use_local_identity: true\n";
	struct pogo_cfg_src src = { .hostname = "one" };
	struct pogo_cfg *cfg = NULL;
	struct passwd *pw;
	char *cause = NULL;
	size_t i;

	if (pogo_cfg_load_text(
	        text, sizeof(text) - 1, "pogo one", &src, &cfg, &cause) != 0) {
		fprintf(stderr, "pogo one: %s\n", cause);
		free(cause);
		return POGO_ERR_CONFIG;
	}
	/* SPEC 6.1: in memory unless --state-dir. */
	free(cfg->state_dir);
	cfg->state_dir = xstrdup(a->state_dir != NULL ? a->state_dir : "");
	/* A job left running in DIR by a killed pogo one is not ours. */
	cfg->halt_earlier_jobs = true;
	free(cfg->dispatcher.resolver_path);
	cfg->dispatcher.resolver_path = xstrdup(a->resolvers);
	cfg->worker.max_tasks = a->concurrency;
	cfg->worker.max_handshakes = a->ssh.max_handshakes;
	cfg->worker.max_output = (unsigned)a->max_output;
	cfg->worker.ssh.connect_timeout = a->ssh.connect_timeout;
	if (a->stub.hook_dir != NULL) {
		free(cfg->worker.hook_dir);
		cfg->worker.hook_dir = xstrdup(a->stub.hook_dir);
	}
	/*
	 * -l is the job's ssh_user; without it, the ssh_config's User, else
	 * the local user name (SPEC 9.3), passed as worker.ssh.user,
	 * which comes before the job's user.
	 */
	pw = getpwuid(getuid());
	free(cfg->worker.ssh.user);
	cfg->worker.ssh.user = xstrdup(a->ssh.user != NULL ? a->ssh.user
	        : pw != NULL                               ? pw->pw_name
	                                                   : "root");
	if (a->ssh.port != 0)
		cfg->worker.ssh.port = (int)a->ssh.port;
	if (a->ssh.ssh_config != NULL) {
		free(cfg->worker.ssh.config);
		cfg->worker.ssh.config = xstrdup(a->ssh.ssh_config);
		cfg->worker.ssh.config_optional = false;
	}
	if (a->ssh.known_hosts != NULL) {
		free(cfg->worker.ssh.known_hosts);
		cfg->worker.ssh.known_hosts = xstrdup(a->ssh.known_hosts);
	}
	switch (a->ssh.host_key_check) {
	case POGO_SSH_HOSTKEY_STRICT:
		cfg->worker.ssh.host_key_check = POGO_CFG_HOSTKEY_STRICT;
		break;
	case POGO_SSH_HOSTKEY_OFF:
		cfg->worker.ssh.host_key_check = POGO_CFG_HOSTKEY_OFF;
		break;
	default:
		cfg->worker.ssh.host_key_check = POGO_CFG_HOSTKEY_ACCEPT_NEW;
		break;
	}
	for (i = 0; i < cfg->worker.ssh.nidentity_files; i++)
		free(cfg->worker.ssh.identity_files[i]);
	free(cfg->worker.ssh.identity_files);
	cfg->worker.ssh.nidentity_files = a->ssh.identities.n;
	cfg->worker.ssh.identity_files =
	    xcalloc(a->ssh.identities.n + 1, sizeof(char *));
	for (i = 0; i < a->ssh.identities.n; i++)
		cfg->worker.ssh.identity_files[i] =
		    xstrdup(a->ssh.identities.v[i]);
	*cfgp = cfg;
	return 0;
}

/* --config's text for the submission, ending in a newline (a text
 * without one names a namespace, SPEC 2.10). */
static int
one_config_text(const char *file, char **textp)
{
	char *text = NULL;
	size_t len;
	int r;

	if ((r = pogo_str_read_file(file, ONE_MAX_CONFIG, &text, &len)) != 0) {
		fprintf(stderr, "pogo one: %s: %s\n", file, pogo_strerror(r));
		return r;
	}
	if (len == 0 || text[len - 1] != '\n') {
		text = xreallocarray(text, len + 2, 1);
		text[len] = '\n';
		text[len + 1] = '\0';
	}
	*textp = text;
	return 0;
}

/* Run the job on the pair; returns the exit status. */
static int
one_run_pair(
    struct one_args *a, const char *config_text, struct pogo_strv *hosts)
{
	struct one_pair *op;
	struct pogo_worker_opts wo;
	char *cause = NULL;
	int r, exitcode;

	op = xcalloc(1, sizeof(*op));
	op->a = a;
	op->hosts = hosts;
	op->config_text = config_text;
	op->exitcode = POGO_EXIT_NOJOB;
	if (one_pair_cfg(a, &op->cfg) != 0) {
		free(op);
		return POGO_EXIT_USAGE;
	}
	if ((r = pogo_proc_loop_init(&op->loop)) != 0) {
		fprintf(stderr, "pogo one: cannot create the loop: %s\n",
		    uv_strerror(r));
		pogo_cfg_free(op->cfg);
		free(op);
		return POGO_EXIT_NOJOB;
	}
	/*
	 * -p's password and the passphrase prompt stay in this process:
	 * the worker's SSH executor gets them in memory (worker.h), the
	 * dispatcher never sees them.
	 */
	memset(&wo, 0, sizeof(wo));
	wo.password = a->ssh.password;
	wo.ask_secret = a->ssh.ask_secret;
	wo.output_unpaced = true;
	if ((r = pogo_pair_start(
	         &op->loop, op->cfg, &wo, "one", &op->p, &cause)) != 0) {
		/* An identity file that is not a key: before anything ran. */
		fprintf(stderr, "pogo one: %s\n", cause);
		free(cause);
		if (r == POGO_ERR_CONFIG)
			op->exitcode = POGO_EXIT_USAGE;
	} else {
		op->d = pogo_pair_dispatcher(op->p);
		pogo_pair_set_fatal(op->p, one_pair_fatal_cb, op);
		pogo_pair_ready(op->p, 30000, one_pair_ready_cb, op);
	}
	uv_run(&op->loop, UV_RUN_DEFAULT);
	if (pogo_proc_loop_close(&op->loop) != 0)
		log_warn("the loop did not close cleanly");
	exitcode = op->exitcode;
	pogo_cfg_free(op->cfg);
	free(op);
	return exitcode;
}

/*
 * Every handshake may hold a thread of libuv's pool while its ssh_config
 * is read (a "Match exec" runs a command), and DNS lookups share the pool:
 * size it for max_handshakes, unless the user did.  libuv reads this once,
 * at the first work request, which comes later.
 */
static void
one_pool_size(unsigned handshakes)
{
	char n[16];

	if (getenv("UV_THREADPOOL_SIZE") != NULL)
		return;
	snprintf(
	    n, sizeof(n), "%u", handshakes + 4 < 256 ? handshakes + 4 : 256);
	setenv("UV_THREADPOOL_SIZE", n, 1);
}

static int
cmd_one_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	static const struct pogo_sched_cbs nocbs = { 0 };
	struct one_args a;
	struct pogo_sched_config *cfg = NULL;
	struct pogo_sched *dry = NULL;
	struct pogo_strv hosts = { 0 };
	char *cause = NULL, *table, *password = NULL, *config_text = NULL;
	size_t i;
	int ret;

	if ((ret = one_parse(argc, argv, &a)) != 0)
		goto out;
	ret = POGO_EXIT_USAGE;
	/* Checked now; the dispatcher runs its resolvers (not --dry-run). */
	if (a.config != NULL &&
	    one_config(a.config, a.resolvers, a.dry_run, &cfg) != 0)
		goto out;
	/* Repeated --targets: the union, first occurrence kept (SPEC 5.2). */
	for (i = 0; i < a.targets.n; i++) {
		if (pogo_target_parse(a.targets.v[i], &hosts, &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			goto out;
		}
	}
	if (a.dry_run) {
		if (pogo_sched_new(cfg, &hosts, NULL, NULL, &nocbs, NULL, &dry,
		        &cause) != 0) {
			fprintf(stderr, "%s\n", cause);
			goto out;
		}
		table = pogo_sched_table(dry, UINT32_MAX);
		fputs(table, stdout);
		free(table);
		pogo_sched_free(dry);
		ret = POGO_EXIT_OK;
		goto out;
	}
	if (a.output_dir != NULL && one_mkdirs(a.output_dir) != 0)
		goto out;
	if (one_check_fds(a.concurrency, a.local, a.output_dir != NULL) != 0)
		goto out;
	if (!a.local) {
		if (pogo_ssh_init(&cause) != 0) {
			fprintf(stderr, "pogo one: %s\n", cause);
			ret = POGO_EXIT_NOJOB;
			goto out;
		}
		a.ssh.ask_secret = pogo_askpass;
		one_pool_size(a.ssh.max_handshakes);
		if (a.ask_password) {
			password = pogo_askpass("Password: ");
			a.ssh.password = password;
		}
	}
	if (a.config != NULL && one_config_text(a.config, &config_text) != 0)
		goto out;
	ret = one_run_pair(&a, config_text, &hosts);
out:
	(void)ctx;
	free(cause);
	if (password != NULL)
		pogo_freezero(password, strlen(password));
	pogo_strv_clear(&hosts);
	pogo_strv_clear(&a.targets);
	pogo_strv_clear(&a.ssh.identities);
	free(a.exe_data);
	free(a.file_command);
	free(config_text);
	pogo_sched_config_free(cfg);
	return ret;
}
