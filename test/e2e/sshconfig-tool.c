/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A test tool of the e2e tests: the identity files pogo's ssh_config
 * reader (src/ssh-config.c) gives a host, to compare with ssh -G.
 *   sshconfig-tool CONFIG NAME HOSTNAME PORT USER LOCALUSER GIVEN
 * NAME is the name as given, HOSTNAME PORT USER the final values, GIVEN
 * "u", "p", "up" or "-": which of user and port came from -l and -p.
 * Prints "identitiesonly yes|no" and one "identityfile F" a file, as
 * ssh -G does; exit 1 with the error on stderr.
 */
#include "pogo/compat.h"

#include <unistd.h>

#include "pogo/ssh-config.h"
#include "pogo/xmalloc.h"

int
main(int argc, char **argv)
{
	struct pogo_ssh_config_host h;
	struct pogo_ssh_config *c;
	struct pogo_strv files = { 0 };
	const char *home = getenv("HOME");
	char *cause = NULL, *end, *dir;
	unsigned long port;
	bool only;
	size_t i;

	if (argc != 8) {
		fprintf(stderr,
		    "usage: sshconfig-tool CONFIG NAME HOSTNAME "
		    "PORT USER LOCALUSER GIVEN\n");
		return 2;
	}
	port = strtoul(argv[4], &end, 10);
	if (*end != '\0' || port == 0 || port > 65535) {
		fprintf(stderr, "bad port %s\n", argv[4]);
		return 2;
	}
	memset(&h, 0, sizeof(h));
	h.name = argv[2];
	h.hostname = argv[3];
	h.port = (unsigned)port;
	h.user = argv[5];
	h.local_user = argv[6];
	h.user_given = strchr(argv[7], 'u') != NULL;
	h.port_given = strchr(argv[7], 'p') != NULL;
	h.home = home != NULL ? home : "/";
	h.local_host = "localhost";
	xasprintf(&dir, "%s/.ssh", h.home);
	c = pogo_ssh_config_new(argv[1], dir);
	if (pogo_ssh_config_identities(c, &h, &files, &only, &cause) != 0) {
		fprintf(stderr, "%s\n", cause);
		return 1;
	}
	printf("identitiesonly %s\n", only ? "yes" : "no");
	for (i = 0; i < files.n; i++)
		printf("identityfile %s\n", files.v[i]);
	pogo_strv_clear(&files);
	pogo_ssh_config_free(c);
	free(dir);
	return 0;
}
