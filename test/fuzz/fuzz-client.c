/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the client's HTTP response parser and the v1 envelope
 * (src/client.c) on what a server might answer.  The input is split in
 * pieces at the bytes its first byte says, fed in order, then the
 * connection ends.  Checks: a complete answer stays complete, its body is
 * never over the bound nor over a shared budget (client.h), which counts
 * exactly the body held and gets it back when the parser is freed, and
 * the envelope gives either a response or an error text, never both.
 */
#include "pogo/compat.h"

#include "pogo/client.h"
#include "pogo/error.h"
#include "pogo/json.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_BODY 4096

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pogo_client_budget budget = { FZ_MAX_BODY / 2, 0 };
	struct pogo_client_parser *p;
	const struct pogo_json *resp;
	struct pogo_json *doc;
	const char *body, *ra;
	char *cause = NULL, *err;
	size_t step, i, n, len;
	int r = 0;

	if (size < 1 || size > 65536)
		return 0;
	step = (size_t)data[0] + 1;
	data++;
	size--;
	p = pogo_client_parser_new(FZ_MAX_BODY);
	pogo_client_parser_set_budget(p, &budget);
	for (i = 0; i < size && r == 0; i += n) {
		n = size - i < step ? size - i : step;
		r = pogo_client_parser_feed(
		    p, (const char *)data + i, n, &cause);
		free(cause);
		cause = NULL;
	}
	if (r == 0) {
		r = pogo_client_parser_eof(p, &cause);
		free(cause);
		cause = NULL;
	}
	if (r != 1 && r != POGO_ERR_PROTOCOL)
		abort();
	body = pogo_client_parser_body(p, &len);
	if (len > FZ_MAX_BODY || len > budget.max || budget.used != len)
		abort();
	/* What pogo api passes on: 1 to 9 digits, or nothing. */
	ra = pogo_client_parser_retry_after(p);
	if (ra != NULL &&
	    (strlen(ra) < 1 || strlen(ra) > 9 ||
	        strspn(ra, "0123456789") != strlen(ra)))
		abort();
	if (r == 1) {
		if (pogo_client_parser_feed(p, "x", 1, &cause) != 1)
			abort();
		r = pogo_client_envelope(
		    pogo_client_parser_status(p), body, len, &doc, &resp, &err);
		if ((r == 0) != (doc != NULL && err == NULL))
			abort();
		if (r != 0 && (err == NULL || err[0] == '\0'))
			abort();
		pogo_json_free(doc);
		free(err);
	}
	pogo_client_parser_free(p);
	if (budget.used != 0)
		abort();
	return 0;
}
