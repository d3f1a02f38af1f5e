/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The random generator and the error translation that the files including
 * mbedTLS share (src/mbed-int.h), and mbedTLS's constant-time comparison
 * for the files that do not include it (pogo/tls.h).
 */
#include "pogo/compat.h"

#include <mbedtls/constant_time.h>
#include <mbedtls/error.h>
#include <mbedtls/platform_util.h>

#include "mbed-int.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/tls.h"

int
pogo_mbed_rng_init(struct pogo_mbed_rng *rng)
{
	static const unsigned char pers[] = "pogo";

	mbedtls_entropy_init(&rng->entropy);
	mbedtls_ctr_drbg_init(&rng->drbg);
	return pogo_mbed_err(mbedtls_ctr_drbg_seed(&rng->drbg,
	    mbedtls_entropy_func, &rng->entropy, pers, sizeof(pers) - 1));
}

void
pogo_mbed_rng_release(struct pogo_mbed_rng *rng)
{
	mbedtls_ctr_drbg_free(&rng->drbg);
	mbedtls_entropy_free(&rng->entropy);
	mbedtls_platform_zeroize(rng, sizeof(*rng));
}

int
pogo_mbed_rng_cb(void *arg, unsigned char *out, size_t len)
{
	struct pogo_mbed_rng *rng = arg;

	return mbedtls_ctr_drbg_random(&rng->drbg, out, len);
}

int
pogo_mbed_err(int e)
{
	char buf[128];

	if (e == 0)
		return 0;
	mbedtls_strerror(e, buf, sizeof(buf));
	log_debug("mbedTLS: -0x%04x %s", (unsigned)-e, buf);
	return POGO_ERR_CRYPTO;
}

bool
pogo_mbed_ct_equal(const void *a, const void *b, size_t len)
{
	return mbedtls_ct_memcmp(a, b, len) == 0;
}
