/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/secret-cache.c (SPEC 7.4), X-033 among them. */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/clock.h"
#include "pogo/proc.h"
#include "pogo/secret-cache.h"

static const struct pogo_dispatcher_secrets secrets = {
	.password = "box-of-the-password",
	.pvt_key_passphrase = "box-of-the-passphrase",
	.key_id = "5a7a78cc",
};

struct x033 {
	struct pogo_secret_cache *sc;
	bool present_at_200;
	int fired;
};

static void
x033_check_cb(uv_timer_t *t)
{
	struct x033 *x = t->data;

	x->present_at_200 = pogo_secret_cache_get(x->sc, 7) != NULL;
	x->fired++;
	uv_close((uv_handle_t *)t, NULL);
}

/* an entry with an expiry of 0.1 s is there at once, gone at 0.2 s. */
TEST(x033_expiry_on_the_loop)
{
	struct x033 x = { 0 };
	struct pogo_clock *c;
	uv_loop_t loop;
	uv_timer_t check;

	ASSERT_OK(pogo_proc_loop_init(&loop));
	c = pogo_clock_uv_new(&loop);
	x.sc = pogo_secret_cache_new(c);
	pogo_secret_cache_put(x.sc, 7, &secrets, 100);
	ASSERT(pogo_secret_cache_get(x.sc, 7) != NULL);
	ASSERT_STR_EQ(
	    pogo_secret_cache_get(x.sc, 7)->password, secrets.password);
	uv_timer_init(&loop, &check);
	check.data = &x;
	uv_timer_start(&check, x033_check_cb, 200, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	ASSERT_EQ(x.fired, 1);
	ASSERT(!x.present_at_200);
	ASSERT_EQ(pogo_secret_cache_count(x.sc), 0);
	pogo_secret_cache_free(x.sc);
	pogo_clock_free(c);
	ASSERT_EQ(uv_loop_close(&loop), 0);
}

/* Copies, replacement (which restarts the timer), no timer, drop. */
TEST(entries)
{
	struct pogo_clock *c = pogo_clock_manual_new(1000);
	struct pogo_secret_cache *sc = pogo_secret_cache_new(c);
	struct pogo_dispatcher_secrets other = { .password = "new-box" };
	const struct pogo_dispatcher_secrets *s;
	char pw[] = "temporary-box";

	other.key_id = "ab";
	ASSERT_NULL(pogo_secret_cache_get(sc, 1));
	/* The cache keeps its own copies. */
	{
		struct pogo_dispatcher_secrets t = { .password = pw };

		pogo_secret_cache_put(sc, 1, &t, 5000);
	}
	memset(pw, 'x', sizeof(pw) - 1);
	ASSERT_STR_EQ(pogo_secret_cache_get(sc, 1)->password, "temporary-box");
	ASSERT_NULL(pogo_secret_cache_get(sc, 1)->client_private_key);
	pogo_clock_manual_advance(c, 4000);
	/* A resume with new secrets replaces them and restarts the timer. */
	pogo_secret_cache_put(sc, 1, &other, 5000);
	pogo_clock_manual_advance(c, 4000);
	s = pogo_secret_cache_get(sc, 1);
	ASSERT(s != NULL);
	ASSERT_STR_EQ(s->password, "new-box");
	ASSERT_STR_EQ(s->key_id, "ab");
	pogo_clock_manual_advance(c, 1000);
	ASSERT_NULL(pogo_secret_cache_get(sc, 1));
	/* Without job_timeout: no timer until the job ends, then 60 s. */
	pogo_secret_cache_put(sc, 2, &secrets, 0);
	pogo_secret_cache_put(sc, 3, &secrets, 100);
	ASSERT_EQ(pogo_secret_cache_count(sc), 2);
	pogo_clock_manual_advance(c, 86400 * 1000ULL);
	ASSERT(pogo_secret_cache_get(sc, 2) != NULL);
	ASSERT_NULL(pogo_secret_cache_get(sc, 3));
	pogo_secret_cache_expire_in(sc, 2, 60000);
	pogo_secret_cache_expire_in(sc, 9, 1); /* no entry: nothing */
	pogo_clock_manual_advance(c, 59999);
	ASSERT(pogo_secret_cache_get(sc, 2) != NULL);
	pogo_clock_manual_advance(c, 1);
	ASSERT_NULL(pogo_secret_cache_get(sc, 2));
	/* Drop, and free with entries left. */
	pogo_secret_cache_put(sc, 4, &secrets, 0);
	pogo_secret_cache_put(sc, 5, &secrets, 10);
	pogo_secret_cache_put(sc, 6, &secrets, 10);
	pogo_secret_cache_drop(sc, 4);
	pogo_secret_cache_drop(sc, 4);
	ASSERT_NULL(pogo_secret_cache_get(sc, 4));
	ASSERT_EQ(pogo_secret_cache_count(sc), 2);
	pogo_secret_cache_free(sc);
	pogo_secret_cache_free(NULL);
	pogo_clock_free(c);
}

/*
 * A job without job_timeout made active again (resume, retry) before its
 * 60 s after the end ran out: the timer stops, the entry stays until the
 * job ends again.
 */
TEST(expiry_stopped)
{
	struct pogo_clock *c = pogo_clock_manual_new(1000);
	struct pogo_secret_cache *sc = pogo_secret_cache_new(c);

	pogo_secret_cache_put(sc, 1, &secrets, 0);
	pogo_secret_cache_expire_in(sc, 1, 60000);
	pogo_clock_manual_advance(c, 30000);
	pogo_secret_cache_expire_in(sc, 1, 0);
	pogo_clock_manual_advance(c, 86400 * 1000ULL);
	ASSERT(pogo_secret_cache_get(sc, 1) != NULL);
	pogo_secret_cache_expire_in(sc, 1, 60000);
	pogo_clock_manual_advance(c, 60000);
	ASSERT_NULL(pogo_secret_cache_get(sc, 1));
	pogo_secret_cache_free(sc);
	pogo_clock_free(c);
}

/* Many entries expiring in one turn, in any order. */
TEST(many)
{
	struct pogo_clock *c = pogo_clock_manual_new(0);
	struct pogo_secret_cache *sc = pogo_secret_cache_new(c);
	uint64_t j;

	for (j = 1; j <= 100; j++)
		pogo_secret_cache_put(sc, j, &secrets, 1 + (j * 37) % 50);
	ASSERT_EQ(pogo_secret_cache_count(sc), 100);
	pogo_clock_manual_advance(c, 25);
	for (j = 1; j <= 100; j++)
		ASSERT_EQ(pogo_secret_cache_get(sc, j) != NULL,
		    1 + (j * 37) % 50 > 25);
	pogo_clock_manual_advance(c, 25);
	ASSERT_EQ(pogo_secret_cache_count(sc), 0);
	pogo_secret_cache_free(sc);
	pogo_clock_free(c);
}
