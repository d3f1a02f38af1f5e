/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * main(): global options, the subcommand table and dispatch.  Every role
 * of pogo is a subcommand of this one static binary; help, usage errors
 * and -h output are generated from the table.
 */
#include "pogo/compat.h"

#include <getopt.h>
#include <unistd.h>
#include <uv.h>

#include "pogo/cfg.h"
#include "pogo/cmd.h"
#include "pogo/json.h"
#include "pogo/log.h"
#include "pogo/ssh.h"
#include "pogo/store.h"
#include "pogo/tls.h"
#include "pogo/version.h"
#include "pogo/xmalloc.h"
#include "pogo/yaml.h"

/* Sorted by name. */
static const struct pogo_cmd *cmds[] = {
	&pogo_cmd_api,
	&pogo_cmd_ca,
	&pogo_cmd_dispatcher,
	&pogo_cmd_halt,
	&pogo_cmd_jobs,
	&pogo_cmd_log,
	&pogo_cmd_one,
	&pogo_cmd_output,
	&pogo_cmd_ping,
	&pogo_cmd_resume,
	&pogo_cmd_retry,
	&pogo_cmd_schedule,
	&pogo_cmd_skip,
	&pogo_cmd_status,
	&pogo_cmd_submit,
	&pogo_cmd_worker,
};

void
pogo_cmd_usage(const struct pogo_cmd *cmd, FILE *f)
{
	fprintf(f, "usage: pogo %s%s%s\n", cmd->name,
	    cmd->usage[0] != '\0' ? " " : "", cmd->usage);
}

int
pogo_cmd_not_implemented(const struct pogo_cmd *cmd)
{
	fprintf(stderr, "pogo %s: not implemented yet\n", cmd->name);
	return POGO_EXIT_USAGE;
}

bool
pogo_cmd_daemon_option(struct pogo_cmd_daemon *d, int c, char *arg)
{
	switch (c) {
	case 'f':
		d->file = arg;
		return true;
	case 'o':
		d->overrides = xreallocarray(
		    d->overrides, d->noverrides + 1, sizeof(*d->overrides));
		d->overrides[d->noverrides++] = arg;
		return true;
	case 'v':
		d->verbose++;
		return true;
	case POGO_CMD_OPT_INSECURE:
		d->insecure = true;
		return true;
	}
	return false;
}

int
pogo_cmd_daemon_getopt(struct pogo_cmd_daemon *d, int argc, char **argv,
    const char *optstring, const struct option *longopts)
{
	int c;

	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1)
		if (!pogo_cmd_daemon_option(d, c, optarg))
			return c;
	return -1;
}

int
pogo_cmd_daemon_load(const struct pogo_cmd *cmd,
    const struct pogo_cmd_daemon *d, struct pogo_cfg **cfgp)
{
	struct pogo_cfg_src src = { .file = d->file,
		.overrides = d->overrides,
		.noverrides = d->noverrides };
	char *cause = NULL;
	int level;

	if (pogo_cfg_load(&src, cfgp, &cause) != 0) {
		fprintf(stderr, "pogo %s: %s\n", cmd->name, cause);
		free(cause);
		return POGO_EXIT_USAGE;
	}
	level = (*cfgp)->log_level + d->verbose;
	(*cfgp)->log_level = level > POGO_LOG_DEBUG3 ? POGO_LOG_DEBUG3 : level;
	if (d->insecure)
		(*cfgp)->insecure = true;
	return POGO_EXIT_OK;
}

void
pogo_cmd_daemon_release(struct pogo_cmd_daemon *d)
{
	free(d->overrides);
	memset(d, 0, sizeof(*d));
}

static void
pogo_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: pogo [-V|--version] [-h|--help] SUBCOMMAND "
	    "[OPTIONS] [ARGS]\n\nsubcommands:\n");
	for (i = 0; i < POGO_NELEM(cmds); i++)
		fprintf(f, "  %-12s %s%s\n", cmds[i]->name, cmds[i]->summary,
		    (cmds[i]->flags & POGO_CMD_STUB) ? " (not implemented yet)"
		                                     : "");
	fprintf(f, "  %-12s %s\n", "help",
	    "list subcommands, or show one's "
	    "manual page");
	fprintf(f, "  %-12s %s\n", "version", "print the versions");
	fprintf(f, "\nSee pogo(1) and pogo help SUBCOMMAND.\n");
}

static void
pogo_version(void)
{
	printf("pogo %s\n", POGO_VERSION);
	printf("libuv %s\n", uv_version_string());
	printf("mbedTLS %s\n", pogo_tls_version());
	printf("libssh %s\n", pogo_ssh_version());
	printf("libcrypto %s\n", pogo_ssh_crypto_version());
	printf("libsodium %s (Ed25519, X25519)\n", pogo_ssh_sodium_version());
	printf("libcyaml %s\n", pogo_cfg_version());
	printf("libyaml %s\n", pogo_yaml_version());
	printf("cJSON %s\n", pogo_json_version());
	printf("SQLite %s\n", pogo_store_version());
}

static const struct pogo_cmd *
pogo_find(const char *name)
{
	size_t i;

	for (i = 0; i < POGO_NELEM(cmds); i++) {
		if (strcmp(cmds[i]->name, name) == 0)
			return cmds[i];
	}
	return NULL;
}

/* pogo help [CMD]: the list, or CMD's manual page (usage as a fallback). */
static int
pogo_help(int argc, char **argv)
{
	const struct pogo_cmd *cmd;
	char page[64];

	if (argc < 3) {
		pogo_usage(stdout);
		return POGO_EXIT_OK;
	}
	if ((cmd = pogo_find(argv[2])) == NULL) {
		fprintf(stderr, "pogo: unknown command '%s'\n", argv[2]);
		return POGO_EXIT_USAGE;
	}
	snprintf(page, sizeof(page), "pogo-%s", cmd->name);
	fflush(stdout);
	if (isatty(STDOUT_FILENO))
		execlp("man", "man", page, (char *)NULL);
	pogo_cmd_usage(cmd, stdout);
	printf("%s\n", cmd->summary);
	return POGO_EXIT_OK;
}

int
main(int argc, char **argv)
{
	const struct pogo_cmd *cmd;
	struct pogo_ctx ctx = { .argv0 = argv[0] };
	int i;

	if (argc < 2) {
		pogo_usage(stdout);
		return POGO_EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		pogo_version();
		return POGO_EXIT_OK;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		pogo_usage(stdout);
		return POGO_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return pogo_help(argc, argv);
	if (argv[1][0] == '-') {
		fprintf(stderr, "pogo: unknown option '%s'\n", argv[1]);
		pogo_usage(stderr);
		return POGO_EXIT_USAGE;
	}
	if ((cmd = pogo_find(argv[1])) == NULL) {
		fprintf(stderr, "pogo: unknown command '%s'\n", argv[1]);
		pogo_usage(stderr);
		return POGO_EXIT_USAGE;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if ((strcmp(argv[i], "-h") == 0 &&
		        (!(cmd->flags & POGO_CMD_OWN_H) || argc == 3)) ||
		    strcmp(argv[i], "--help") == 0) {
			pogo_cmd_usage(cmd, stdout);
			return POGO_EXIT_OK;
		}
	}
	pogo_log_set_role(cmd->name);
	return cmd->main(argc - 1, argv + 1, &ctx);
}
