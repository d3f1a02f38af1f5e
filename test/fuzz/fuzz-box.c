/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libFuzzer target: the secret box decoder (SPEC 10.3) on arbitrary input,
 * as raw bytes and as base64 text, with the worker key of the known-answer
 * test (the public P-256 test key of RFC 6979 A.2.5), so that inputs with
 * its KID reach the ECDH, HKDF and AES-GCM steps.  A box either opens to a
 * secret of its length minus the overhead, or fails with
 * POGO_ERR_DECRYPT; nothing else is allowed.
 */
#include "pogo/compat.h"

#include "pogo/box.h"
#include "pogo/error.h"
#include "pogo/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* SEC1 ECPrivateKey of d and W of the SPEC's known-answer test. */
static const uint8_t fuzz_key[] = { 0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20,
	0xc9, 0xaf, 0xa9, 0xd8, 0x45, 0xba, 0x75, 0x16, 0x6b, 0x5c, 0x21, 0x57,
	0x67, 0xb1, 0xd6, 0x93, 0x4e, 0x50, 0xc3, 0xdb, 0x36, 0xe8, 0x9b, 0x12,
	0x7b, 0x8a, 0x62, 0x2b, 0x12, 0x0f, 0x67, 0x21, 0xa0, 0x0a, 0x06, 0x08,
	0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42,
	0x00, 0x04, 0x60, 0xfe, 0xd4, 0xba, 0x25, 0x5a, 0x9d, 0x31, 0xc9, 0x61,
	0xeb, 0x74, 0xc6, 0x35, 0x6d, 0x68, 0xc0, 0x49, 0xb8, 0x92, 0x3b, 0x61,
	0xfa, 0x6c, 0xe6, 0x69, 0x62, 0x2e, 0x60, 0xf2, 0x9f, 0xb6, 0x79, 0x03,
	0xfe, 0x10, 0x08, 0xb8, 0xbc, 0x99, 0xa4, 0x1a, 0xe9, 0xe9, 0x56, 0x28,
	0xbc, 0x64, 0xf2, 0xf1, 0xb2, 0x0c, 0x2d, 0x7e, 0x9f, 0x51, 0x77, 0xa3,
	0xc2, 0x94, 0xd4, 0x46, 0x22, 0x99 };

static struct pogo_box_key *fuzz_k;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t kid[POGO_BOX_KID_LEN];
	char hex[2 * POGO_BOX_KID_LEN + 1], *p = NULL, *s;
	size_t n = 0;
	int r, v;

	if (fuzz_k == NULL &&
	    pogo_box_key_parse(fuzz_key, sizeof(fuzz_key), &fuzz_k) != 0)
		abort();
	if (size > POGO_BOX_MAX + 16)
		return 0;
	v = pogo_box_peek(data, size, kid);
	if (v != POGO_ERR_DECRYPT && v != POGO_BOX_V1 && v != POGO_BOX_V2)
		abort();
	r = pogo_box_open(fuzz_k, data, size, &p, &n);
	if (r == 0) {
		/* Version 2: 1 + 32 + 65 + 12 + 16 bytes around the secret. */
		if (v != POGO_BOX_V2 || n + 126 != size || p[n] != '\0')
			abort();
		pogo_freezero(p, n);
	} else if (r != POGO_ERR_DECRYPT || p != NULL)
		abort();
	s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	v = pogo_box_key_id_base64(s, hex);
	if (v != POGO_ERR_DECRYPT && v != POGO_BOX_V1 && v != POGO_BOX_V2)
		abort();
	if ((v > 0 && strlen(hex) != 2 * POGO_BOX_KID_LEN) ||
	    (v < 0 && hex[0] != '\0'))
		abort();
	r = pogo_box_open_base64(fuzz_k, s, &p, &n);
	if (r == 0)
		pogo_freezero(p, n);
	else if (r != POGO_ERR_DECRYPT || p != NULL)
		abort();
	free(s);
	return 0;
}
