/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The subcommand table.
 *
 * Checklist for a new subcommand `foo`:
 *
 * 1. src/cmd-foo.c defines `const struct pogo_cmd pogo_cmd_foo` and a
 *    static `cmd_foo_main()`.  That file holds option parsing, checks and
 *    wiring only; logic goes into a component or module.
 * 2. Declare `extern const struct pogo_cmd pogo_cmd_foo;` below and add it
 *    to cmds[] in src/pogo.c, which is sorted by name.
 * 3. Add src/cmd-foo.c to the explicit source list in CMakeLists.txt.
 * 4. Write man/pogo-foo.1 (.8 for a daemon) and list it in SEE ALSO of
 *    man/pogo.1.
 * 5. Add test/e2e/tNNNN-foo-*.sh, and unit tests for any new module.
 * 6. test/e2e/t0010-help-vs-man.sh compares `pogo foo -h` with the
 *    SYNOPSIS of the man page; it fails until steps 4 and 5 are done.
 */
#ifndef POGO_CMD_H
#define POGO_CMD_H

/* Exit statuses shared by every subcommand (SPEC 1.7, pogo(1)). */
#define POGO_EXIT_OK 0
#define POGO_EXIT_FAIL 1  /* error; for one/submit: some host failed */
#define POGO_EXIT_USAGE 2 /* usage or configuration error */
#define POGO_EXIT_NOJOB 3 /* one/submit: the job could not run at all */

enum pogo_cmd_flags {
	POGO_CMD_CONFIG = (1 << 0), /* reads the daemon configuration */
	POGO_CMD_LOOP = (1 << 1),   /* runs an event loop */
	POGO_CMD_DAEMON = (1 << 2), /* a long-running role */
	POGO_CMD_STUB = (1 << 3),   /* not implemented yet */
	POGO_CMD_OWN_H =
	    (1 << 4), /* -h is an option; only "-h" alone is help */
};

struct pogo_ctx {
	const char *argv0;
};

struct pogo_cmd {
	const char *name;
	const char *usage;   /* arguments after "pogo <name> " */
	const char *summary; /* one line for pogo help */
	int flags;
	int (*main)(int argc, char **argv, struct pogo_ctx *ctx);
};

extern const struct pogo_cmd pogo_cmd_api;
extern const struct pogo_cmd pogo_cmd_ca;
extern const struct pogo_cmd pogo_cmd_dispatcher;
extern const struct pogo_cmd pogo_cmd_halt;
extern const struct pogo_cmd pogo_cmd_jobs;
extern const struct pogo_cmd pogo_cmd_log;
extern const struct pogo_cmd pogo_cmd_one;
extern const struct pogo_cmd pogo_cmd_output;
extern const struct pogo_cmd pogo_cmd_ping;
extern const struct pogo_cmd pogo_cmd_resume;
extern const struct pogo_cmd pogo_cmd_retry;
extern const struct pogo_cmd pogo_cmd_schedule;
extern const struct pogo_cmd pogo_cmd_skip;
extern const struct pogo_cmd pogo_cmd_status;
extern const struct pogo_cmd pogo_cmd_submit;
extern const struct pogo_cmd pogo_cmd_worker;

/* Print "usage: pogo <name> <usage>" to f. */
void pogo_cmd_usage(const struct pogo_cmd *cmd, FILE *f);

/* The shared body of a subcommand that is not implemented yet. */
int pogo_cmd_not_implemented(const struct pogo_cmd *cmd);

struct pogo_cfg;
struct option;

/* The options every daemon takes: -f, -o (repeatable), -v, --insecure. */
struct pogo_cmd_daemon {
	const char *file;       /* -f; NULL: the default file */
	const char **overrides; /* -o KEY=VALUE, in order */
	size_t noverrides;
	int verbose; /* each -v raises log_level one step */
	bool insecure;
};

/*
 * getopt_long's value for --insecure in a daemon's long options; its own
 * long options take values above it.
 */
#define POGO_CMD_OPT_INSECURE 256

/*
 * Handle one of the common daemon options (c as getopt_long returned it,
 * with optarg); returns true if it was one.
 */
bool pogo_cmd_daemon_option(struct pogo_cmd_daemon *d, int c, char *arg);

/*
 * getopt_long(argc, argv, optstring, longopts) handling the common
 * daemon options into d: the next other option's value, '?' or ':' for
 * an unknown option or a missing argument, -1 at the end.
 */
int pogo_cmd_daemon_getopt(struct pogo_cmd_daemon *d, int argc, char **argv,
    const char *optstring, const struct option *longopts);

/*
 * Load and check the daemon configuration of d (SPEC 1.6) and apply -v
 * and --insecure.  Returns POGO_EXIT_OK with *cfgp, or prints
 * "pogo <cmd>: <problem>" to stderr and returns POGO_EXIT_USAGE.
 */
int pogo_cmd_daemon_load(const struct pogo_cmd *cmd,
    const struct pogo_cmd_daemon *d, struct pogo_cfg **cfgp);

/* Free what pogo_cmd_daemon_option() collected. */
void pogo_cmd_daemon_release(struct pogo_cmd_daemon *d);

#endif
