/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * `pogo ca init|issue|show` (SPEC 10.2): options, the password prompt of
 * --p12 and the output; the CA itself is src/ca.c.
 */
#include "pogo/compat.h"

#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include "pogo/askpass.h"
#include "pogo/ca.h"
#include "pogo/cmd.h"
#include "pogo/error.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

static int cmd_ca_main(int argc, char **argv, struct pogo_ctx *ctx);

const struct pogo_cmd pogo_cmd_ca = {
	.name = "ca",
	.usage = "init [--dir DIR] [--key-type ec|rsa] [--days N] [--cn NAME]\n"
	         "       pogo ca issue KIND NAME [--dir DIR] "
	         "[--key-type ec|rsa] [--days N] [--san NAME]... "
	         "[--out PREFIX] [--p12]\n"
	         "       pogo ca show FILE",
	.summary = "make the private CA and the certificates of dispatchers, "
	           "workers and clients",
	.flags = 0,
	.main = cmd_ca_main,
};

/* Ask for the PKCS#12 password twice; NULL (with a message) on failure. */
static char *
ca_ask_password(void)
{
	char *a, *b;

	a = pogo_askpass("Password: ");
	b = pogo_askpass("Password (again): ");
	if (strcmp(a, b) != 0 || *a == '\0') {
		fprintf(stderr, "pogo ca: %s\n",
		    *a == '\0' ? "the password is empty"
		               : "the passwords do not match");
		pogo_freezero(a, strlen(a));
		a = NULL;
	}
	pogo_freezero(b, strlen(b));
	return a;
}

static int
ca_usage(void)
{
	pogo_cmd_usage(&pogo_cmd_ca, stderr);
	return POGO_EXIT_USAGE;
}

static int
cmd_ca_main(int argc, char **argv, struct pogo_ctx *ctx)
{
	enum { O_DIR = 1, O_KEY, O_DAYS, O_CN, O_SAN, O_OUT, O_P12 };
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, O_DIR },
		{ "key-type", required_argument, NULL, O_KEY },
		{ "days", required_argument, NULL, O_DAYS },
		{ "cn", required_argument, NULL, O_CN },
		{ "san", required_argument, NULL, O_SAN },
		{ "out", required_argument, NULL, O_OUT },
		{ "p12", no_argument, NULL, O_P12 },
		{ NULL, 0, NULL, 0 },
	};
	struct pogo_ca_init in = { 0 };
	struct pogo_ca_issue is = { 0 };
	const char **sans = NULL, *cmd;
	char *dir = NULL, *cause = NULL, *fpr = NULL, *text = NULL;
	char *password = NULL;
	enum pogo_ca_key_type kt = POGO_CA_KEY_DEFAULT;
	bool seen[O_P12 + 1] = { false }, p12 = false;
	const char *cn = NULL, *out = NULL;
	size_t nsans = 0;
	long long days = 0;
	int c, r, ret = POGO_EXIT_USAGE;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c > 0 && c <= O_P12)
			seen[c] = true;
		switch (c) {
		case O_DIR:
			free(dir);
			dir = xstrdup(optarg);
			break;
		case O_KEY:
			if (strcmp(optarg, "ec") == 0)
				kt = POGO_CA_KEY_EC;
			else if (strcmp(optarg, "rsa") == 0)
				kt = POGO_CA_KEY_RSA;
			else
				goto usage;
			break;
		case O_DAYS:
			if (pogo_strtonum(optarg, 1, POGO_CA_DAYS_MAX, &days) !=
			    0) {
				fprintf(stderr,
				    "pogo ca: --days must be 1 to %d\n",
				    POGO_CA_DAYS_MAX);
				goto out;
			}
			break;
		case O_CN:
			cn = optarg;
			break;
		case O_SAN:
			if (nsans == POGO_CA_SANS_MAX)
				goto usage;
			sans = xreallocarray(sans, nsans + 1, sizeof(*sans));
			sans[nsans++] = optarg;
			break;
		case O_OUT:
			out = optarg;
			break;
		case O_P12:
			p12 = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind >= argc)
		goto usage;
	cmd = argv[optind++];
	if (dir == NULL)
		dir = pogo_ca_default_dir();
	if (strcmp(cmd, "init") == 0) {
		if (argc != optind || seen[O_SAN] || seen[O_OUT] || seen[O_P12])
			goto usage;
		in.dir = dir;
		in.key_type = kt;
		in.days = (unsigned)days;
		in.cn = cn;
		if ((r = pogo_ca_init(&in, &cause)) != 0) {
			fprintf(stderr, "pogo ca: %s\n", cause);
			ret = POGO_EXIT_FAIL;
			goto out;
		}
		printf("CA created in %s\n", dir);
	} else if (strcmp(cmd, "issue") == 0) {
		if (argc - optind != 2 || seen[O_CN])
			goto usage;
		if (p12 && (password = ca_ask_password()) == NULL) {
			ret = POGO_EXIT_FAIL;
			goto out;
		}
		is.dir = dir;
		is.kind = argv[optind];
		is.name = argv[optind + 1];
		is.key_type = kt;
		is.days = (unsigned)days;
		is.sans = sans;
		is.nsans = nsans;
		is.prefix = out;
		is.password = password;
		if ((r = pogo_ca_issue(&is, &fpr, &cause)) != 0) {
			fprintf(stderr, "pogo ca: %s\n", cause);
			ret = r == POGO_ERR_USAGE ? POGO_EXIT_USAGE
			                          : POGO_EXIT_FAIL;
			goto out;
		}
		printf("sha256 fingerprint: %s\n", fpr);
	} else if (strcmp(cmd, "show") == 0) {
		if (argc - optind != 1 || seen[O_DIR] || seen[O_KEY] ||
		    seen[O_DAYS] || seen[O_CN] || seen[O_SAN] || seen[O_OUT] ||
		    seen[O_P12])
			goto usage;
		if ((r = pogo_ca_show(argv[optind], &text, &cause)) != 0) {
			fprintf(stderr, "pogo ca: %s\n", cause);
			ret = POGO_EXIT_FAIL;
			goto out;
		}
		fputs(text, stdout);
	} else
		goto usage;
	ret = fflush(stdout) == 0 ? POGO_EXIT_OK : POGO_EXIT_FAIL;
	goto out;
usage:
	ret = ca_usage();
out:
	if (password != NULL)
		pogo_freezero(password, strlen(password));
	free(text);
	free(fpr);
	free(cause);
	free(dir);
	free(sans);
	return ret;
}
