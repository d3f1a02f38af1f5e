/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A test tool of the e2e tests: pogo's secret boxes (src/box.c) on the
 * command line, to check them against independent implementations.
 *   box-tool seal CERT     secret on stdin -> base64 box on stdout
 *   box-tool open KEY      base64 box on stdin -> secret on stdout, or
 *                          the error's text on stderr and exit 1
 *   box-tool kid FILE      the key_id (KID in hex) of a cert or key
 */
#include "pogo/compat.h"

#include <unistd.h>

#include "pogo/box.h"
#include "pogo/error.h"
#include "pogo/xmalloc.h"

/* All of stdin, NUL-terminated, in a new buffer. */
static char *
read_stdin(size_t *lenp)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t n;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? 2 * cap : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

int
main(int argc, char **argv)
{
	struct pogo_box_key *k = NULL;
	char *in, *out = NULL;
	size_t len, n = 0;
	int r;

	if (argc != 3) {
		fprintf(stderr, "usage: box-tool seal|open|kid FILE\n");
		return 2;
	}
	if ((r = pogo_box_key_load(argv[2], &k)) != 0) {
		fprintf(stderr, "%s: %s\n", argv[2], pogo_strerror(r));
		return 1;
	}
	if (strcmp(argv[1], "kid") == 0) {
		printf("%s\n", pogo_box_key_id_hex(k));
		pogo_box_key_free(k);
		return 0;
	}
	in = read_stdin(&len);
	if (strcmp(argv[1], "seal") == 0) {
		if ((r = pogo_box_seal_base64(k, in, len, &out)) == 0)
			printf("%s\n", out);
		free(out);
	} else {
		in[strcspn(in, "\n")] = '\0';
		if ((r = pogo_box_open_base64(k, in, &out, &n)) == 0) {
			fwrite(out, 1, n, stdout);
			pogo_freezero(out, n);
		}
	}
	if (r != 0)
		fprintf(stderr, "%s\n", pogo_strerror(r));
	free(in);
	pogo_box_key_free(k);
	return r == 0 ? 0 : 1;
}
