/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/box.c: secret boxes (SPEC 10.3), X-KAT, X-036's
 * sizes, X-WRONG.  The RSA worker key is made at run time by src/ca.c
 * (no private key is committed); the EC key of the known-answer test is
 * the public test key of RFC 6979 A.2.5 that the SPEC gives.
 */
#include "pogo/compat.h"

#include <uv.h>

#include "../../src/box-int.h"
#include "harness.h"
#include "pogo/box.h"
#include "pogo/ca.h"
#include "pogo/error.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#define KAT_D "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721"
#define KAT_E "a6e3c57dd01abe90086538398355dd4c3b17aa873382b0f24d6129493d8aad60"
#define KAT_W                                                              \
	"60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6" \
	"7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
#define KAT_SPKI                                                          \
	"3059301306072a8648ce3d020106082a8648ce3d030107034200046"         \
	"0fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6" \
	"7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
#define KAT_KID \
	"5a7a78cca4a0f420d9bc62bb669c3c2759e39f723d3ae10dcbe0f0815a07ecd4"
#define KAT_IV "000102030405060708090a0b"
#define KAT_BOX                                                                \
	"Alp6eMykoPQg2bxiu2acPCdZ459yPTrhDcvg8IFaB+zUBO/Uiyqstqj9EUDdnNRegdad" \
	"LId7Vqr5kcNNDqhOrzcWNKfnLEIyE0QxUsgt+U/g9oUb+JT9kcZLGVVTRgk/9JIAAQID" \
	"BAUGBwgJCguM9fkCCtnVdb7RgeEIgIU4Z8bZ"

/* Decode hex into a new buffer of *lenp bytes. */
static uint8_t *
unhex(const char *s, size_t *lenp)
{
	size_t n = strlen(s) / 2, i;
	uint8_t *b = xmalloc(n + 1);
	unsigned v;

	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			abort();
		b[i] = (uint8_t)v;
	}
	*lenp = n;
	return b;
}

/* The SEC1 ECPrivateKey (DER) of d and W on P-256. */
static uint8_t *
sec1_key(size_t *lenp)
{
	static const uint8_t head[] = { 0x30, 0x77, 0x02, 0x01, 0x01, 0x04,
		0x20 };
	static const uint8_t mid[] = { 0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48,
		0xce, 0x3d, 0x03, 0x01, 0x07, 0xa1, 0x44, 0x03, 0x42, 0x00,
		0x04 };
	uint8_t *d, *w, *k = xmalloc(sizeof(head) + 32 + sizeof(mid) + 64);
	size_t dn, wn, n = 0;

	d = unhex(KAT_D, &dn);
	w = unhex(KAT_W, &wn);
	memcpy(k + n, head, sizeof(head));
	n += sizeof(head);
	memcpy(k + n, d, dn);
	n += dn;
	memcpy(k + n, mid, sizeof(mid));
	n += sizeof(mid);
	memcpy(k + n, w, wn);
	n += wn;
	free(d);
	free(w);
	*lenp = n;
	return k;
}

static struct pogo_box_key *
kat_private(void)
{
	struct pogo_box_key *k = NULL;
	uint8_t *der;
	size_t n;

	der = sec1_key(&n);
	ASSERT_OK(pogo_box_key_parse(der, n, &k));
	free(der);
	ASSERT(pogo_box_key_private(k));
	return k;
}

static struct pogo_box_key *
kat_public(void)
{
	struct pogo_box_key *k = NULL;
	uint8_t *der;
	size_t n;

	der = unhex(KAT_SPKI, &n);
	ASSERT_OK(pogo_box_key_parse(der, n, &k));
	free(der);
	ASSERT(!pogo_box_key_private(k));
	return k;
}

/* A new key of type t made by src/ca.c, as the worker would have. */
static struct pogo_box_key *
new_key(enum pogo_ca_key_type t)
{
	struct pogo_box_key *k = NULL;
	char *pem = NULL;
	size_t n = 0;

	ASSERT_OK(pogo_ca_key_generate(t, &pem, &n));
	ASSERT_OK(pogo_box_key_parse(pem, n, &k));
	pogo_freezero(pem, n);
	return k;
}

/* One RSA-3072 key for all tests: generating it takes a while. */
static struct pogo_box_key *rsa_key;

static struct pogo_box_key *
rsa(void)
{
	if (rsa_key == NULL)
		rsa_key = new_key(POGO_CA_KEY_RSA);
	return rsa_key;
}

/* X-KAT: the KID of W is the one given. */
TEST(kat_kid)
{
	struct pogo_box_key *pub = kat_public(), *priv = kat_private();

	ASSERT_STR_EQ(pogo_box_key_id_hex(pub), KAT_KID);
	ASSERT_STR_EQ(pogo_box_key_id_hex(priv), KAT_KID);
	pogo_box_key_free(pub);
	pogo_box_key_free(priv);
}

/* X-KAT: the known-answer box decrypts to "abc" with d. */
TEST(kat_open)
{
	struct pogo_box_key *k = kat_private();
	char *p = NULL;
	size_t n = 0;

	ASSERT_OK(pogo_box_open_base64(k, KAT_BOX, &p, &n));
	ASSERT_EQ(n, 3);
	ASSERT_STR_EQ(p, "abc");
	pogo_freezero(p, n);
	pogo_box_key_free(k);
}

/* X-KAT: sealing "abc" with the fixed e and IV reproduces the box. */
TEST(kat_seal)
{
	struct pogo_box_key *k = kat_public();
	uint8_t *e, *iv, *box = NULL;
	char *want = NULL;
	size_t en, ivn, n = 0, wn = 0;

	e = unhex(KAT_E, &en);
	iv = unhex(KAT_IV, &ivn);
	ASSERT_OK(pogo_box_seal_fixed(k, "abc", 3, e, iv, &box, &n));
	ASSERT_OK(
	    pogo_tls_base64_decode(KAT_BOX, strlen(KAT_BOX), 4096, &want, &wn));
	ASSERT_EQ(wn, 129);
	ASSERT_EQ(n, wn);
	ASSERT_MEM_EQ(box, want, n);
	free(box);
	free(want);
	free(e);
	free(iv);
	pogo_box_key_free(k);
}

/* X-036's unit part: an RSA-3072 box of "abc" is 448 bytes, 600 base64. */
TEST(rsa_sizes)
{
	struct pogo_box_key *k = rsa();
	uint8_t *box = NULL, kid[POGO_BOX_KID_LEN];
	char *b64 = NULL, *p = NULL;
	size_t n = 0;

	ASSERT_OK(pogo_box_seal(k, "abc", 3, &box, &n));
	ASSERT_EQ(n, 1 + 32 + 384 + 12 + 3 + 16);
	ASSERT_EQ(box[0], POGO_BOX_V1);
	ASSERT_EQ(pogo_box_peek(box, n, kid), POGO_BOX_V1);
	ASSERT_MEM_EQ(kid, pogo_box_key_id(k), sizeof(kid));
	free(box);
	ASSERT_OK(pogo_box_seal_base64(k, "abc", 3, &b64));
	ASSERT_EQ(strlen(b64), 600);
	ASSERT_OK(pogo_box_open_base64(k, b64, &p, &n));
	ASSERT_STR_EQ(p, "abc");
	pogo_freezero(p, n);
	free(b64);
}

/* Fresh boxes of both versions open, including an empty secret. */
TEST(roundtrip)
{
	struct pogo_box_key *keys[2] = { rsa(), new_key(POGO_CA_KEY_EC) };
	static const char *const secrets[] = { "", "p", "Pw-Canary-4711",
		"-----BEGIN OPENSSH PRIVATE KEY-----\nxyz\n" };
	uint8_t *a = NULL, *b = NULL;
	char *p = NULL;
	size_t i, j, an = 0, bn = 0, n = 0;

	for (i = 0; i < POGO_NELEM(keys); i++) {
		for (j = 0; j < POGO_NELEM(secrets); j++) {
			ASSERT_OK(pogo_box_seal(
			    keys[i], secrets[j], strlen(secrets[j]), &a, &an));
			ASSERT_OK(pogo_box_seal(
			    keys[i], secrets[j], strlen(secrets[j]), &b, &bn));
			/* Fresh randomness: two boxes of one secret differ. */
			ASSERT_EQ(an, bn);
			ASSERT(memcmp(a, b, an) != 0);
			ASSERT_OK(pogo_box_open(keys[i], a, an, &p, &n));
			ASSERT_EQ(n, strlen(secrets[j]));
			ASSERT_STR_EQ(p, secrets[j]);
			pogo_freezero(p, n);
			free(a);
			free(b);
		}
	}
	pogo_box_key_free(keys[1]);
}

/* X-WRONG: another worker's key, any flipped byte, no key at all. */
TEST(wrong)
{
	struct pogo_box_key *keys[2] = { rsa(), kat_private() };
	struct pogo_box_key *other[2] = { new_key(POGO_CA_KEY_RSA),
		new_key(POGO_CA_KEY_EC) };
	struct pogo_box_key *pub = kat_public();
	uint8_t *box = NULL;
	char *p = NULL;
	size_t i, at, n = 0, pn = 0;

	for (i = 0; i < 2; i++) {
		ASSERT_OK(pogo_box_seal(keys[i], "secret", 6, &box, &n));
		ASSERT_EQ(
		    pogo_box_open(other[i], box, n, &p, &pn), POGO_ERR_DECRYPT);
		ASSERT_EQ(pogo_box_open(other[1 - i], box, n, &p, &pn),
		    POGO_ERR_DECRYPT);
		/* One flipped byte anywhere: version, KID, key, IV, CT, tag. */
		for (at = 0; at < n; at++) {
			box[at] ^= 0x01;
			ASSERT_EQ(pogo_box_open(keys[i], box, n, &p, &pn),
			    POGO_ERR_DECRYPT);
			ASSERT_NULL(p);
			box[at] ^= 0x01;
		}
		/* Cut or lengthened. */
		for (at = 0; at < n; at += 7)
			ASSERT_EQ(pogo_box_open(keys[i], box, at, &p, &pn),
			    POGO_ERR_DECRYPT);
		box = xreallocarray(box, n + 1, 1);
		box[n] = 0;
		ASSERT_EQ(pogo_box_open(keys[i], box, n + 1, &p, &pn),
		    POGO_ERR_DECRYPT);
		ASSERT_OK(pogo_box_open(keys[i], box, n, &p, &pn));
		ASSERT_STR_EQ(p, "secret");
		pogo_freezero(p, pn);
		/* A worker without a key, or with only the public part. */
		ASSERT_EQ(pogo_box_open(NULL, box, n, &p, &pn), POGO_ERR_NOKEY);
		ASSERT_EQ(pogo_box_open(pub, box, n, &p, &pn), POGO_ERR_NOKEY);
		free(box);
	}
	ASSERT_EQ(pogo_box_open_base64(keys[1], "not base64!", &p, &pn),
	    POGO_ERR_DECRYPT);
	ASSERT_EQ(pogo_box_open_base64(NULL, KAT_BOX, &p, &pn), POGO_ERR_NOKEY);
	ASSERT_STR_EQ(
	    pogo_strerror(POGO_ERR_DECRYPT), "cannot decrypt job secrets");
	ASSERT_STR_EQ(pogo_strerror(POGO_ERR_NOKEY), "Worker key not defined");
	pogo_box_key_free(keys[1]);
	pogo_box_key_free(other[0]);
	pogo_box_key_free(other[1]);
	pogo_box_key_free(pub);
}

/* Keys that suit no box version, and text that is no key. */
TEST(bad_keys)
{
	struct pogo_box_key *k = NULL;
	uint8_t *der;
	size_t n;

	ASSERT_EQ(pogo_box_key_parse("junk", 4, &k), POGO_ERR_CRYPTO);
	ASSERT_NULL(k);
	der = unhex(KAT_SPKI, &n);
	der[n - 1] ^= 1; /* the point is no longer on the curve */
	ASSERT_EQ(pogo_box_key_parse(der, n, &k), POGO_ERR_CRYPTO);
	ASSERT_NULL(k);
	free(der);
	ASSERT_EQ(
	    pogo_box_key_load("/nonexistent/key", &k), POGO_ERR_ERRNO(ENOENT));
}

/* The secret size bound. */
TEST(limit)
{
	struct pogo_box_key *k = kat_public();
	uint8_t *box = NULL;
	char *big = xcalloc(1, 64 * 1024 + 1);
	size_t n = 0;

	ASSERT_EQ(
	    pogo_box_seal(k, big, 64 * 1024 + 1, &box, &n), POGO_ERR_LIMIT);
	ASSERT_OK(pogo_box_seal(k, big, 64 * 1024, &box, &n));
	ASSERT_LE(n, POGO_BOX_MAX);
	free(box);
	free(big);
	pogo_box_key_free(k);
}

/* The dispatcher's view: the key_id of a box, and of text that is none. */
TEST(key_id_of_box)
{
	struct pogo_box_key *k = rsa();
	char hex[2 * POGO_BOX_KID_LEN + 1], *b64 = NULL;

	ASSERT_EQ(pogo_box_key_id_base64(KAT_BOX, hex), POGO_BOX_V2);
	ASSERT_STR_EQ(hex, KAT_KID);
	ASSERT_OK(pogo_box_seal_base64(k, "x", 1, &b64));
	ASSERT_EQ(pogo_box_key_id_base64(b64, hex), POGO_BOX_V1);
	ASSERT_STR_EQ(hex, pogo_box_key_id_hex(k));
	free(b64);
	ASSERT_EQ(pogo_box_key_id_base64("", hex), POGO_ERR_DECRYPT);
	ASSERT_EQ(pogo_box_key_id_base64("AAAA", hex), POGO_ERR_DECRYPT);
	ASSERT_EQ(pogo_box_key_id_base64("not base64", hex), POGO_ERR_DECRYPT);
	ASSERT_STR_EQ(hex, "");
	/* A whole box but for its version byte (3). */
	b64 = xstrdup(KAT_BOX);
	b64[1] = '1';
	ASSERT_EQ(pogo_box_key_id_base64(b64, hex), POGO_ERR_DECRYPT);
	b64[1] = 'l';
	ASSERT_EQ(pogo_box_key_id_base64(b64, hex), POGO_BOX_V2);
	free(b64);
}

/*
 * One key opened from several threads at once, as the worker's pool does:
 * every box opens to its secret.  The EC boxes have the group's generator
 * as their EPK (ephemeral key 1), the point whose comb table mbedTLS
 * caches in the key's own group on its first use; each round opens with a
 * freshly parsed key, so the threads race for that first use: without the
 * key's lock two of them could free the table a third still reads.
 */
#define BOX_THREADS 8
#define BOX_ROUNDS 40

struct box_open_arg {
	struct pogo_box_key *k;
	const uint8_t *box;
	size_t n;
	uv_barrier_t *start;
	int bad;
};

static void
box_open_thread(void *arg)
{
	struct box_open_arg *a = arg;
	char *p;
	size_t n;

	uv_barrier_wait(a->start);
	if (pogo_box_open(a->k, a->box, a->n, &p, &n) != 0 || n != 6 ||
	    memcmp(p, "secret", 6) != 0)
		a->bad++;
	else
		pogo_freezero(p, n);
}

static void
box_open_race(struct pogo_box_key *(*load)(void), struct pogo_box_key *seal)
{
	static const uint8_t iv[12] = { 1 };
	struct box_open_arg args[BOX_THREADS];
	struct pogo_box_key *k;
	uv_thread_t t[BOX_THREADS];
	uv_barrier_t start;
	uint8_t seed[32] = { 0 }, *box;
	size_t i, r, n;

	seed[31] = 1;
	ASSERT_OK(pogo_box_seal_fixed(seal, "secret", 6, seed, iv, &box, &n));
	for (r = 0; r < BOX_ROUNDS; r++) {
		k = load();
		ASSERT_OK(uv_barrier_init(&start, BOX_THREADS));
		for (i = 0; i < BOX_THREADS; i++) {
			args[i] = (struct box_open_arg){ k, box, n, &start, 0 };
			ASSERT_OK(
			    uv_thread_create(&t[i], box_open_thread, &args[i]));
		}
		for (i = 0; i < BOX_THREADS; i++) {
			ASSERT_OK(uv_thread_join(&t[i]));
			ASSERT_EQ(args[i].bad, 0);
		}
		uv_barrier_destroy(&start);
		if (k != rsa_key)
			pogo_box_key_free(k);
	}
	free(box);
}

TEST(open_from_threads)
{
	struct pogo_box_key *pub = kat_public();

	box_open_race(kat_private, pub);
	pogo_box_key_free(pub);
	box_open_race(rsa, rsa());
}
