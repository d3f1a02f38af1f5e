/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* src/box.c's internals for the tests (test/unit/test-box.c). */
#ifndef POGO_BOX_INT_H
#define POGO_BOX_INT_H

#include "pogo/box.h"

/*
 * pogo_box_seal() with fixed inputs instead of random ones, for the
 * known-answer test: seed is the AES key K (version 1, 32 bytes) or the
 * ephemeral private key e (version 2, 32 bytes), iv the 12-byte nonce.
 */
int pogo_box_seal_fixed(const struct pogo_box_key *k, const void *p, size_t len,
    const uint8_t seed[32], const uint8_t iv[12], uint8_t **boxp,
    size_t *boxlenp);

#endif
