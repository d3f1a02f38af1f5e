/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Shared by the files that include mbedTLS (include/pogo/tls.h names
 * them): a random generator (mbedTLS's CTR-DRBG seeded from the system's
 * entropy) and the translation of mbedTLS's error codes, which overlap
 * errno and never leave these files raw.
 */
#ifndef POGO_MBED_INT_H
#define POGO_MBED_INT_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>

struct pogo_mbed_rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

/*
 * Seed rng from the system's entropy.  Returns 0 or POGO_ERR_CRYPTO; rng
 * is to be released with pogo_mbed_rng_release() either way.
 */
int pogo_mbed_rng_init(struct pogo_mbed_rng *rng);

/* Release and wipe rng. */
void pogo_mbed_rng_release(struct pogo_mbed_rng *rng);

/* The mbedTLS f_rng callback over a struct pogo_mbed_rng. */
int pogo_mbed_rng_cb(void *rng, unsigned char *out, size_t len);

/*
 * A pogo error code for mbedTLS's code e: 0 for 0, POGO_ERR_CRYPTO for
 * any failure (mbedTLS's own text is logged at debug level).
 */
int pogo_mbed_err(int e);

#endif
