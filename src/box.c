/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Secret boxes (SPEC 10.3), sealed by clients and opened by workers.  One
 * of the files that include mbedTLS (include/pogo/tls.h); its error codes
 * become POGO_ERR_CRYPTO or POGO_ERR_DECRYPT here.  Every intermediate
 * key, nonce-derived secret and plaintext copy is wiped before it is
 * dropped.
 */
#include "pogo/compat.h"

#include <mbedtls/base64.h>
#include <mbedtls/ecdh.h>
#include <mbedtls/gcm.h>
#include <mbedtls/hkdf.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>
#include <uv.h>

#include "box-int.h"
#include "mbed-int.h"
#include "pogo/box.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/proto.h"
#include "pogo/str.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#define BOX_IV_LEN 12
#define BOX_TAG_LEN 16
#define BOX_KEY_LEN 32
#define BOX_EPK_LEN 65
#define BOX_HEAD_LEN (1 + POGO_BOX_KID_LEN)
#define BOX_INFO "pogo-secret-v1"

struct pogo_box_key {
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	mbedtls_pk_context *pkp; /* &crt.pk or &pk */
	bool priv;
	int version;
	uint8_t kid[POGO_BOX_KID_LEN];
	char kid_hex[2 * POGO_BOX_KID_LEN + 1];
	/*
	 * Held around each use of the key's context: mbedTLS changes it
	 * during a private-key operation (RSA blinding, the EC group's
	 * cached comb table), and the worker opens boxes in several pool
	 * threads with one key.
	 */
	uv_mutex_t lock;
};

/* The box version that suits pk, or POGO_ERR_CRYPTO. */
static int
box_key_version(mbedtls_pk_context *pk)
{
	switch (mbedtls_pk_get_type(pk)) {
	case MBEDTLS_PK_RSA:
		if (mbedtls_pk_get_bitlen(pk) < 2048)
			return POGO_ERR_CRYPTO;
		return POGO_BOX_V1;
	case MBEDTLS_PK_ECKEY:
	case MBEDTLS_PK_ECKEY_DH:
		if (mbedtls_pk_ec(*pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1)
			return POGO_ERR_CRYPTO;
		return POGO_BOX_V2;
	default:
		return POGO_ERR_CRYPTO;
	}
}

/* kid in lowercase hex into hex[] (NUL-terminated). */
static void
box_kid_hex(const uint8_t *kid, char *hex)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < POGO_BOX_KID_LEN; i++) {
		hex[2 * i] = digits[kid[i] >> 4];
		hex[2 * i + 1] = digits[kid[i] & 0xf];
	}
	hex[2 * POGO_BOX_KID_LEN] = '\0';
}

/* Compute k's KID from the DER SubjectPublicKeyInfo of its key. */
static int
box_key_kid(struct pogo_box_key *k)
{
	unsigned char der[2048];
	int n;

	if ((n = mbedtls_pk_write_pubkey_der(k->pkp, der, sizeof(der))) <= 0)
		return POGO_ERR_CRYPTO;
	/* mbedTLS writes the DER at the end of the buffer. */
	if (mbedtls_sha256_ret(der + sizeof(der) - n, (size_t)n, k->kid, 0) !=
	    0)
		return POGO_ERR_CRYPTO;
	box_kid_hex(k->kid, k->kid_hex);
	return 0;
}

int
pogo_box_key_parse(const void *buf, size_t len, struct pogo_box_key **kp)
{
	struct pogo_box_key *k;
	unsigned char *b;
	size_t n = len;
	int r;

	*kp = NULL;
	if (len > POGO_BOX_KEY_MAX)
		return POGO_ERR_CRYPTO;
	/* mbedTLS takes PEM with a terminating NUL counted in the length. */
	b = xmalloc(len + 1);
	memcpy(b, buf, len);
	b[len] = '\0';
	if (strstr((char *)b, "-----BEGIN ") != NULL)
		n = len + 1;
	k = xcalloc(1, sizeof(*k));
	if (uv_mutex_init(&k->lock) != 0)
		fatalx("box: cannot make a mutex");
	mbedtls_x509_crt_init(&k->crt);
	mbedtls_pk_init(&k->pk);
	if (mbedtls_x509_crt_parse(&k->crt, b, n) == 0)
		k->pkp = &k->crt.pk;
	else if (mbedtls_pk_parse_key(&k->pk, b, n, NULL, 0) == 0) {
		k->pkp = &k->pk;
		k->priv = true;
	} else if (mbedtls_pk_parse_public_key(&k->pk, b, n) == 0)
		k->pkp = &k->pk;
	else {
		r = POGO_ERR_CRYPTO;
		goto out;
	}
	if ((r = box_key_version(k->pkp)) < 0)
		goto out;
	k->version = r;
	/*
	 * OAEP with SHA-256, set once here: the worker opens boxes with one
	 * key in several pool threads, which must only read the context's
	 * settings (mbedTLS locks the private operation itself).
	 */
	if (k->version == POGO_BOX_V1)
		mbedtls_rsa_set_padding(mbedtls_pk_rsa(*k->pkp),
		    MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256);
	if ((r = box_key_kid(k)) != 0)
		goto out;
	*kp = k;
	k = NULL;
	r = 0;
out:
	pogo_freezero(b, len + 1);
	pogo_box_key_free(k);
	return r;
}

int
pogo_box_key_load(const char *path, struct pogo_box_key **kp)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	*kp = NULL;
	if ((r = pogo_str_read_file(path, POGO_BOX_KEY_MAX, &buf, &len)) != 0)
		return r;
	r = pogo_box_key_parse(buf, len, kp);
	pogo_freezero(buf, len);
	return r;
}

void
pogo_box_key_free(struct pogo_box_key *k)
{
	if (k == NULL)
		return;
	mbedtls_x509_crt_free(&k->crt);
	mbedtls_pk_free(&k->pk); /* wipes the private key */
	uv_mutex_destroy(&k->lock);
	pogo_freezero(k, sizeof(*k));
}

bool
pogo_box_key_private(const struct pogo_box_key *k)
{
	return k->priv;
}

const uint8_t *
pogo_box_key_id(const struct pogo_box_key *k)
{
	return k->kid;
}

const char *
pogo_box_key_id_hex(const struct pogo_box_key *k)
{
	return k->kid_hex;
}

int
pogo_box_key_cert(const struct pogo_box_key *k, struct pogo_box_cert *c)
{
	unsigned char der[2048], *pem = NULL;
	const mbedtls_x509_time *u;
	char subject[512];
	size_t plen, n;
	int e, r = POGO_ERR_CRYPTO;

	memset(c, 0, sizeof(*c));
	if (k->pkp != &k->crt.pk)
		return POGO_ERR_NOTFOUND;
	if ((e = mbedtls_pk_write_pubkey_der(
	         (mbedtls_pk_context *)k->pkp, der, sizeof(der))) <= 0)
		goto out;
	c->spki = pogo_tls_base64_encode(der + sizeof(der) - e, (size_t)e);
	plen = 4 * (k->crt.raw.len / 3 + 1) + k->crt.raw.len / 32 + 128;
	pem = xmalloc(plen);
	if (mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
	        "-----END CERTIFICATE-----\n", k->crt.raw.p, k->crt.raw.len,
	        pem, plen, &n) != 0)
		goto out;
	c->pem = xstrdup((char *)pem);
	if (mbedtls_x509_dn_gets(subject, sizeof(subject), &k->crt.subject) < 0)
		goto out;
	c->subject = xstrdup(subject);
	u = &k->crt.valid_to;
	xasprintf(&c->not_after, "%04d-%02d-%02dT%02d:%02d:%02dZ", u->year,
	    u->mon, u->day, u->hour, u->min, u->sec);
	c->key_id = xstrdup(k->kid_hex);
	r = 0;
out:
	free(pem);
	if (r != 0)
		pogo_box_cert_release(c);
	return r;
}

void
pogo_box_cert_release(struct pogo_box_cert *c)
{
	free(c->key_id);
	free(c->pem);
	free(c->spki);
	free(c->subject);
	free(c->not_after);
	memset(c, 0, sizeof(*c));
}

int
pogo_box_key_verify(
    const struct pogo_box_key *k, const char *ca_path, char **cause)
{
	const mbedtls_x509_name *n;
	mbedtls_x509_crt ca;
	uint32_t flags = 0;
	char info[256];
	bool worker = false;
	int r = POGO_ERR_CRYPTO;

	*cause = NULL;
	mbedtls_x509_crt_init(&ca);
	if (k->pkp != &k->crt.pk) {
		xasprintf(cause, "the worker key is not a certificate");
		goto out;
	}
	if (mbedtls_x509_crt_parse_file(&ca, ca_path) != 0) {
		xasprintf(cause, "%s: not a CA certificate", ca_path);
		goto out;
	}
	if (mbedtls_x509_crt_verify((mbedtls_x509_crt *)&k->crt, &ca, NULL,
	        NULL, &flags, NULL, NULL) != 0) {
		mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags);
		info[strcspn(info, "\n")] = '\0';
		xasprintf(cause, "%s", info);
		goto out;
	}
	for (n = &k->crt.subject; n != NULL; n = n->next)
		if (n->oid.p != NULL &&
		    MBEDTLS_OID_CMP(MBEDTLS_OID_AT_ORG_UNIT, &n->oid) == 0 &&
		    n->val.len == 6 && memcmp(n->val.p, "worker", 6) == 0)
			worker = true;
	if (!worker) {
		xasprintf(cause, "the certificate is not of kind worker");
		goto out;
	}
	r = 0;
out:
	mbedtls_x509_crt_free(&ca);
	return r;
}

/*
 * The version 2 key K = HKDF-SHA256(EPK || W, Z, "pogo-secret-v1") for the
 * key pair (d, peer): Z is the X coordinate of d x peer.
 */
static int
box_ecdh_key(mbedtls_ecp_group *grp, const mbedtls_mpi *d,
    const mbedtls_ecp_point *peer, const uint8_t epk[BOX_EPK_LEN],
    const mbedtls_ecp_point *w, struct pogo_mbed_rng *rng,
    uint8_t key[BOX_KEY_LEN])
{
	uint8_t salt[2 * BOX_EPK_LEN], z[32];
	mbedtls_mpi zm;
	size_t n;
	int r;

	mbedtls_mpi_init(&zm);
	memcpy(salt, epk, BOX_EPK_LEN);
	if ((r = pogo_mbed_err(mbedtls_ecp_point_write_binary(grp, w,
	         MBEDTLS_ECP_PF_UNCOMPRESSED, &n, salt + BOX_EPK_LEN,
	         BOX_EPK_LEN))) != 0)
		goto out;
	if ((r = pogo_mbed_err(mbedtls_ecdh_compute_shared(
	         grp, &zm, peer, d, pogo_mbed_rng_cb, rng))) != 0 ||
	    (r = pogo_mbed_err(mbedtls_mpi_write_binary(&zm, z, sizeof(z)))) !=
	        0)
		goto out;
	r = pogo_mbed_err(
	    mbedtls_hkdf(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), salt,
	        sizeof(salt), z, sizeof(z), (const unsigned char *)BOX_INFO,
	        strlen(BOX_INFO), key, BOX_KEY_LEN));
out:
	mbedtls_mpi_free(&zm);
	mbedtls_platform_zeroize(z, sizeof(z));
	return r;
}

/*
 * Write the version 2 key material of a box for k at out (EPK, 65 bytes)
 * and derive its AES key; e is the ephemeral private key, or NULL for a
 * fresh one.
 */
static int
box_seal_v2(const struct pogo_box_key *k, const uint8_t *e,
    struct pogo_mbed_rng *rng, uint8_t *out, uint8_t key[BOX_KEY_LEN])
{
	mbedtls_ecp_keypair *w = mbedtls_pk_ec(*k->pkp);
	mbedtls_ecp_point q;
	mbedtls_mpi d;
	size_t n;
	int r;

	mbedtls_mpi_init(&d);
	mbedtls_ecp_point_init(&q);
	if (e == NULL)
		r = mbedtls_ecp_gen_keypair(
		    &w->grp, &d, &q, pogo_mbed_rng_cb, rng);
	else if ((r = mbedtls_mpi_read_binary(&d, e, 32)) == 0 &&
	    (r = mbedtls_ecp_check_privkey(&w->grp, &d)) == 0)
		r = mbedtls_ecp_mul(
		    &w->grp, &q, &d, &w->grp.G, pogo_mbed_rng_cb, rng);
	if ((r = pogo_mbed_err(r)) != 0)
		goto out;
	if ((r = pogo_mbed_err(mbedtls_ecp_point_write_binary(&w->grp, &q,
	         MBEDTLS_ECP_PF_UNCOMPRESSED, &n, out, BOX_EPK_LEN))) != 0)
		goto out;
	r = box_ecdh_key(&w->grp, &d, &w->Q, out, &w->Q, rng, key);
out:
	mbedtls_mpi_free(&d); /* wipes e */
	mbedtls_ecp_point_free(&q);
	return r;
}

/* The length of the key material after the KID for k: EK or EPK. */
static size_t
box_wrap_len(const struct pogo_box_key *k)
{
	if (k->version == POGO_BOX_V1)
		return mbedtls_pk_get_len(k->pkp);
	return BOX_EPK_LEN;
}

/* Seal with the given seed and iv, or random ones when they are NULL. */
static int
box_seal(const struct pogo_box_key *k, const void *p, size_t len,
    const uint8_t *seed, const uint8_t *iv, uint8_t **boxp, size_t *boxlenp)
{
	struct pogo_mbed_rng rng;
	mbedtls_gcm_context gcm;
	mbedtls_rsa_context *rsa;
	uint8_t key[BOX_KEY_LEN], *box = NULL, *at;
	size_t wrap, head, n;
	int r;

	*boxp = NULL;
	*boxlenp = 0;
	mbedtls_gcm_init(&gcm);
	if ((r = pogo_mbed_rng_init(&rng)) != 0)
		goto out;
	if (len > POGO_PROTO_SECRET_MAX) {
		r = POGO_ERR_LIMIT;
		goto out;
	}
	wrap = box_wrap_len(k);
	head = BOX_HEAD_LEN + wrap;
	n = head + BOX_IV_LEN + len + BOX_TAG_LEN;
	box = xmalloc(n);
	box[0] = (uint8_t)k->version;
	memcpy(box + 1, k->kid, POGO_BOX_KID_LEN);
	at = box + BOX_HEAD_LEN;
	if (k->version == POGO_BOX_V1) {
		if (seed != NULL)
			memcpy(key, seed, sizeof(key));
		else if ((r = pogo_mbed_err(
		              pogo_mbed_rng_cb(&rng, key, sizeof(key)))) != 0)
			goto out;
		rsa = mbedtls_pk_rsa(*k->pkp);
		uv_mutex_lock((uv_mutex_t *)&k->lock);
		r = pogo_mbed_err(
		    mbedtls_rsa_rsaes_oaep_encrypt(rsa, pogo_mbed_rng_cb, &rng,
		        MBEDTLS_RSA_PUBLIC, NULL, 0, sizeof(key), key, at));
		uv_mutex_unlock((uv_mutex_t *)&k->lock);
		if (r != 0)
			goto out;
	} else {
		uv_mutex_lock((uv_mutex_t *)&k->lock);
		r = box_seal_v2(k, seed, &rng, at, key);
		uv_mutex_unlock((uv_mutex_t *)&k->lock);
		if (r != 0)
			goto out;
	}
	at += wrap;
	if (iv != NULL)
		memcpy(at, iv, BOX_IV_LEN);
	else if ((r = pogo_mbed_err(pogo_mbed_rng_cb(&rng, at, BOX_IV_LEN))) !=
	    0)
		goto out;
	if ((r = pogo_mbed_err(mbedtls_gcm_setkey(
	         &gcm, MBEDTLS_CIPHER_ID_AES, key, 8 * BOX_KEY_LEN))) != 0 ||
	    (r = pogo_mbed_err(mbedtls_gcm_crypt_and_tag(&gcm,
	         MBEDTLS_GCM_ENCRYPT, len, at, BOX_IV_LEN, box, head, p,
	         at + BOX_IV_LEN, BOX_TAG_LEN, at + BOX_IV_LEN + len))) != 0)
		goto out;
	*boxp = box;
	*boxlenp = n;
	box = NULL;
out:
	free(box);
	mbedtls_gcm_free(&gcm);
	mbedtls_platform_zeroize(key, sizeof(key));
	pogo_mbed_rng_release(&rng);
	return r;
}

int
pogo_box_seal(const struct pogo_box_key *k, const void *p, size_t len,
    uint8_t **boxp, size_t *boxlenp)
{
	return box_seal(k, p, len, NULL, NULL, boxp, boxlenp);
}

int
pogo_box_seal_fixed(const struct pogo_box_key *k, const void *p, size_t len,
    const uint8_t seed[32], const uint8_t iv[12], uint8_t **boxp,
    size_t *boxlenp)
{
	return box_seal(k, p, len, seed, iv, boxp, boxlenp);
}

int
pogo_box_seal_base64(
    const struct pogo_box_key *k, const void *p, size_t len, char **b64p)
{
	uint8_t *box = NULL;
	size_t n = 0, cap, olen;
	char *s;
	int r;

	*b64p = NULL;
	if ((r = pogo_box_seal(k, p, len, &box, &n)) != 0)
		return r;
	cap = (n + 2) / 3 * 4 + 1;
	s = xmalloc(cap);
	if ((r = pogo_mbed_err(mbedtls_base64_encode(
	         (unsigned char *)s, cap, &olen, box, n))) != 0) {
		free(s);
		goto out;
	}
	*b64p = s;
out:
	free(box);
	return r;
}

int
pogo_box_peek(const uint8_t *box, size_t boxlen, uint8_t kid[POGO_BOX_KID_LEN])
{
	if (boxlen < BOX_HEAD_LEN + BOX_IV_LEN + BOX_TAG_LEN ||
	    boxlen > POGO_BOX_MAX ||
	    (box[0] != POGO_BOX_V1 && box[0] != POGO_BOX_V2))
		return POGO_ERR_DECRYPT;
	memcpy(kid, box + 1, POGO_BOX_KID_LEN);
	return box[0];
}

/* Recover the AES key of box (version 1) into key. */
static int
box_open_v1(const struct pogo_box_key *k, const uint8_t *ek,
    struct pogo_mbed_rng *rng, uint8_t key[BOX_KEY_LEN])
{
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*k->pkp);
	size_t n = 0;

	if (mbedtls_rsa_rsaes_oaep_decrypt(rsa, pogo_mbed_rng_cb, rng,
	        MBEDTLS_RSA_PRIVATE, NULL, 0, &n, ek, key, BOX_KEY_LEN) != 0 ||
	    n != BOX_KEY_LEN)
		return POGO_ERR_DECRYPT;
	return 0;
}

/* Derive the AES key of box (version 2) from its EPK into key. */
static int
box_open_v2(const struct pogo_box_key *k, const uint8_t *epk,
    struct pogo_mbed_rng *rng, uint8_t key[BOX_KEY_LEN])
{
	mbedtls_ecp_keypair *w = mbedtls_pk_ec(*k->pkp);
	mbedtls_ecp_point e;
	int r = POGO_ERR_DECRYPT;

	mbedtls_ecp_point_init(&e);
	if (epk[0] != 0x04 ||
	    mbedtls_ecp_point_read_binary(&w->grp, &e, epk, BOX_EPK_LEN) != 0 ||
	    mbedtls_ecp_check_pubkey(&w->grp, &e) != 0)
		goto out;
	if (box_ecdh_key(&w->grp, &w->d, &e, epk, &w->Q, rng, key) != 0)
		goto out;
	r = 0;
out:
	mbedtls_ecp_point_free(&e);
	return r;
}

int
pogo_box_open(const struct pogo_box_key *k, const uint8_t *box, size_t boxlen,
    char **pp, size_t *lenp)
{
	struct pogo_mbed_rng rng;
	mbedtls_gcm_context gcm;
	uint8_t key[BOX_KEY_LEN], kid[POGO_BOX_KID_LEN];
	const uint8_t *iv;
	size_t head, len;
	char *p = NULL;
	int r;

	*pp = NULL;
	*lenp = 0;
	if (k == NULL || !k->priv)
		return POGO_ERR_NOKEY;
	mbedtls_gcm_init(&gcm);
	if ((r = pogo_mbed_rng_init(&rng)) != 0)
		goto out;
	r = POGO_ERR_DECRYPT;
	if (pogo_box_peek(box, boxlen, kid) != k->version ||
	    memcmp(kid, k->kid, sizeof(kid)) != 0)
		goto out;
	head = BOX_HEAD_LEN + box_wrap_len(k);
	if (boxlen < head + BOX_IV_LEN + BOX_TAG_LEN)
		goto out;
	len = boxlen - head - BOX_IV_LEN - BOX_TAG_LEN;
	uv_mutex_lock((uv_mutex_t *)&k->lock);
	if (k->version == POGO_BOX_V1)
		r = box_open_v1(k, box + BOX_HEAD_LEN, &rng, key);
	else
		r = box_open_v2(k, box + BOX_HEAD_LEN, &rng, key);
	uv_mutex_unlock((uv_mutex_t *)&k->lock);
	if (r != 0)
		goto out;
	iv = box + head;
	p = xmalloc(len + 1);
	if (mbedtls_gcm_setkey(
	        &gcm, MBEDTLS_CIPHER_ID_AES, key, 8 * BOX_KEY_LEN) != 0 ||
	    mbedtls_gcm_auth_decrypt(&gcm, len, iv, BOX_IV_LEN, box, head,
	        iv + BOX_IV_LEN + len, BOX_TAG_LEN, iv + BOX_IV_LEN,
	        (unsigned char *)p) != 0) {
		r = POGO_ERR_DECRYPT;
		goto out;
	}
	p[len] = '\0';
	*pp = p;
	*lenp = len;
	p = NULL;
	r = 0;
out:
	if (p != NULL)
		pogo_freezero(p, len + 1);
	mbedtls_gcm_free(&gcm);
	mbedtls_platform_zeroize(key, sizeof(key));
	pogo_mbed_rng_release(&rng);
	return r;
}

int
pogo_box_open_base64(
    const struct pogo_box_key *k, const char *b64, char **pp, size_t *lenp)
{
	char *box = NULL;
	size_t n = 0;
	int r;

	*pp = NULL;
	*lenp = 0;
	if (k == NULL || !k->priv)
		return POGO_ERR_NOKEY;
	if (pogo_tls_base64_decode(b64, strlen(b64), POGO_BOX_MAX, &box, &n) !=
	    0)
		return POGO_ERR_DECRYPT;
	r = pogo_box_open(k, (const uint8_t *)box, n, pp, lenp);
	free(box);
	return r;
}

int
pogo_box_key_id_base64(const char *b64, char hex[2 * POGO_BOX_KID_LEN + 1])
{
	uint8_t kid[POGO_BOX_KID_LEN];
	char *box = NULL;
	size_t n = 0;
	int v;

	hex[0] = '\0';
	if (pogo_tls_base64_decode(b64, strlen(b64), POGO_BOX_MAX, &box, &n) !=
	    0)
		return POGO_ERR_DECRYPT;
	if ((v = pogo_box_peek((const uint8_t *)box, n, kid)) > 0)
		box_kid_hex(kid, hex);
	free(box);
	return v;
}
