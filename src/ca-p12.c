/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * PKCS#12 (RFC 7292) for `pogo ca issue --p12`, so that a browser can
 * import a client certificate with its key.  mbedTLS reads PKCS#12 but
 * does not write it: the structure is encoded here with mbedTLS's ASN.1
 * writer, and every cryptographic step is mbedTLS's (PBKDF2, AES-256-CBC,
 * the PKCS#12 key derivation, HMAC-SHA256).  One of the files that include
 * mbedTLS (include/pogo/tls.h).
 *
 * PFX { version 3, authSafe data { AuthenticatedSafe }, macData }
 * AuthenticatedSafe = { encryptedData { SafeContents { certBag } },
 *                       data { SafeContents { pkcs8ShroudedKeyBag } } }
 * Both encryptions are PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) with the
 * password's UTF-8 bytes, as OpenSSL 3 writes them; the MAC key comes
 * from the PKCS#12 derivation over the password as a BMPString.
 */
#include "pogo/compat.h"

#include <mbedtls/asn1write.h>
#include <mbedtls/cipher.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pkcs12.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "ca-int.h"
#include "mbed-int.h"
#include "pogo/error.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

#define P12_SALT 16
#define P12_IV 16
#define P12_KEY 32

/* OIDs that mbedtls/oid.h does not name. */
#define OID_PKCS7_DATA MBEDTLS_OID_PKCS "\x07\x01"
#define OID_PKCS7_ENCRYPTED MBEDTLS_OID_PKCS "\x07\x06"
#define OID_BAG_KEY MBEDTLS_OID_PKCS12 "\x0a\x01\x02"
#define OID_BAG_CERT MBEDTLS_OID_PKCS12 "\x0a\x01\x03"
#define OID_CERT_X509 MBEDTLS_OID_PKCS9 "\x16\x01"
#define OID_LOCAL_KEY_ID MBEDTLS_OID_PKCS9 "\x15"
#define OID_AES256_CBC MBEDTLS_OID_AES "\x2a"

/* A backwards writer over one buffer. */
struct p12w {
	unsigned char *buf;
	unsigned char *p;
	size_t size;
};

static void
p12w_init(struct p12w *w, size_t size)
{
	w->buf = xmalloc(size);
	w->size = size;
	w->p = w->buf + size;
}

static void
p12w_release(struct p12w *w)
{
	pogo_freezero(w->buf, w->size);
	w->buf = w->p = NULL;
}

static size_t
p12w_len(const struct p12w *w)
{
	return (size_t)(w->buf + w->size - w->p);
}

/* Prepend a header (tag, length of len bytes) to what precedes; ret len. */
static int
p12_wrap(struct p12w *w, size_t len, unsigned char tag)
{
	size_t n = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_len(&w->p, w->buf, len));
	MBEDTLS_ASN1_CHK_ADD(n, mbedtls_asn1_write_tag(&w->p, w->buf, tag));
	return (int)(len + n);
}

#define P12_SEQ (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)
#define P12_SET (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SET)
#define P12_EXPLICIT0 (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_CONTEXT_SPECIFIC)

/* Prepend raw bytes; returns their length or an error. */
static int
p12_raw(struct p12w *w, const void *data, size_t len)
{
	return mbedtls_asn1_write_raw_buffer(&w->p, w->buf, data, len);
}

/* Prepend an OID; returns the length written or an error. */
static int
p12_oid(struct p12w *w, const char *oid, size_t len)
{
	return mbedtls_asn1_write_oid(&w->p, w->buf, oid, len);
}

#define P12_OID(w, o) p12_oid(w, o, MBEDTLS_OID_SIZE(o))

/*
 * Prepend the PBES2 AlgorithmIdentifier for salt and iv (PBKDF2 with
 * HMAC-SHA256, AES-256-CBC); returns its length or an error.
 */
static int
p12_pbes2_alg(
    struct p12w *w, const unsigned char *salt, const unsigned char *iv)
{
	size_t len = 0, enc = 0, kdf = 0, prm = 0, prf = 0;
	int ret;

	/* encryptionScheme { aes256-CBC, iv } */
	MBEDTLS_ASN1_CHK_ADD(enc, p12_raw(w, iv, P12_IV));
	MBEDTLS_ASN1_CHK_ADD(
	    enc, p12_wrap(w, enc, MBEDTLS_ASN1_OCTET_STRING) - (int)enc);
	MBEDTLS_ASN1_CHK_ADD(enc, P12_OID(w, OID_AES256_CBC));
	MBEDTLS_ASN1_CHK_ADD(enc, p12_wrap(w, enc, P12_SEQ) - (int)enc);
	/* keyDerivationFunc { PBKDF2, { salt, iterations, prf } } */
	MBEDTLS_ASN1_CHK_ADD(prf, mbedtls_asn1_write_null(&w->p, w->buf));
	MBEDTLS_ASN1_CHK_ADD(prf, P12_OID(w, MBEDTLS_OID_HMAC_SHA256));
	MBEDTLS_ASN1_CHK_ADD(prf, p12_wrap(w, prf, P12_SEQ) - (int)prf);
	prm = prf;
	MBEDTLS_ASN1_CHK_ADD(
	    prm, mbedtls_asn1_write_int(&w->p, w->buf, POGO_CA_P12_ITER));
	MBEDTLS_ASN1_CHK_ADD(prm, p12_raw(w, salt, P12_SALT));
	MBEDTLS_ASN1_CHK_ADD(
	    prm, p12_wrap(w, P12_SALT, MBEDTLS_ASN1_OCTET_STRING) - P12_SALT);
	MBEDTLS_ASN1_CHK_ADD(prm, p12_wrap(w, prm, P12_SEQ) - (int)prm);
	kdf = prm;
	MBEDTLS_ASN1_CHK_ADD(kdf, P12_OID(w, MBEDTLS_OID_PKCS5_PBKDF2));
	MBEDTLS_ASN1_CHK_ADD(kdf, p12_wrap(w, kdf, P12_SEQ) - (int)kdf);
	/* PBES2-params { kdf, enc } and the algorithm around it. */
	len = kdf + enc;
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, P12_OID(w, MBEDTLS_OID_PKCS5_PBES2));
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	return (int)len;
}

/*
 * Encrypt in[0..inlen) with PBES2 under password: a fresh salt and iv
 * into salt[] and iv[], the ciphertext into *outp (*outlenp bytes).
 */
static int
p12_encrypt(const char *password, struct pogo_mbed_rng *rng,
    const unsigned char *in, size_t inlen, unsigned char salt[P12_SALT],
    unsigned char iv[P12_IV], unsigned char **outp, size_t *outlenp)
{
	mbedtls_md_context_t md;
	mbedtls_cipher_context_t ci;
	unsigned char key[P12_KEY], *out = NULL;
	size_t n = 0, fin = 0;
	int e;

	*outp = NULL;
	*outlenp = 0;
	mbedtls_md_init(&md);
	mbedtls_cipher_init(&ci);
	if ((e = pogo_mbed_rng_cb(rng, salt, P12_SALT)) != 0 ||
	    (e = pogo_mbed_rng_cb(rng, iv, P12_IV)) != 0 ||
	    (e = mbedtls_md_setup(
	         &md, mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), 1)) != 0 ||
	    (e = mbedtls_pkcs5_pbkdf2_hmac(&md, (const unsigned char *)password,
	         strlen(password), salt, P12_SALT, POGO_CA_P12_ITER, P12_KEY,
	         key)) != 0)
		goto out;
	out = xmalloc(inlen + 2 * P12_IV);
	if ((e = mbedtls_cipher_setup(&ci,
	         mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_256_CBC))) !=
	        0 ||
	    (e = mbedtls_cipher_setkey(
	         &ci, key, 8 * P12_KEY, MBEDTLS_ENCRYPT)) != 0 ||
	    (e = mbedtls_cipher_set_padding_mode(&ci, MBEDTLS_PADDING_PKCS7)) !=
	        0 ||
	    (e = mbedtls_cipher_set_iv(&ci, iv, P12_IV)) != 0 ||
	    (e = mbedtls_cipher_reset(&ci)) != 0 ||
	    (e = mbedtls_cipher_update(&ci, in, inlen, out, &n)) != 0 ||
	    (e = mbedtls_cipher_finish(&ci, out + n, &fin)) != 0)
		goto out;
	*outp = out;
	*outlenp = n + fin;
	out = NULL;
out:
	free(out);
	mbedtls_platform_zeroize(key, sizeof(key));
	mbedtls_cipher_free(&ci);
	mbedtls_md_free(&md);
	return pogo_mbed_err(e);
}

/*
 * Prepend the head of a SafeBag whose value (vlen bytes) is written:
 * bagId and [0]; the bag's attributes were written before the value.
 */
static int
p12_bag(struct p12w *w, const char *oid, size_t oidlen, size_t vlen)
{
	size_t len = vlen;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_EXPLICIT0) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, p12_oid(w, oid, oidlen));
	return (int)len;
}

/* Prepend the bag attributes SET { localKeyId SET { OCTET STRING id } }. */
static int
p12_bag_attrs(struct p12w *w, const unsigned char id[32])
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, p12_raw(w, id, 32));
	MBEDTLS_ASN1_CHK_ADD(
	    len, p12_wrap(w, len, MBEDTLS_ASN1_OCTET_STRING) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SET) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, P12_OID(w, OID_LOCAL_KEY_ID));
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SET) - (int)len);
	return (int)len;
}

/* SafeContents { certBag } for crt, in w. */
static int
p12_cert_contents(struct p12w *w, const uint8_t *crt, size_t crtlen,
    const unsigned char id[32])
{
	size_t len = 0, v = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, p12_bag_attrs(w, id));
	/* CertBag { x509Certificate, [0] { OCTET STRING crt } } */
	MBEDTLS_ASN1_CHK_ADD(v, p12_raw(w, crt, crtlen));
	MBEDTLS_ASN1_CHK_ADD(
	    v, p12_wrap(w, v, MBEDTLS_ASN1_OCTET_STRING) - (int)v);
	MBEDTLS_ASN1_CHK_ADD(v, p12_wrap(w, v, P12_EXPLICIT0) - (int)v);
	MBEDTLS_ASN1_CHK_ADD(v, P12_OID(w, OID_CERT_X509));
	MBEDTLS_ASN1_CHK_ADD(v, p12_wrap(w, v, P12_SEQ) - (int)v);
	MBEDTLS_ASN1_CHK_ADD(v,
	    p12_bag(w, OID_BAG_CERT, MBEDTLS_OID_SIZE(OID_BAG_CERT), v) -
	        (int)v);
	len += v;
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	return (int)len;
}

/* SafeContents { pkcs8ShroudedKeyBag } for the encrypted key, in w. */
static int
p12_key_contents(struct p12w *w, const unsigned char *enc, size_t enclen,
    const unsigned char *salt, const unsigned char *iv,
    const unsigned char id[32])
{
	size_t len = 0, v = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, p12_bag_attrs(w, id));
	/* EncryptedPrivateKeyInfo { PBES2, OCTET STRING enc } */
	MBEDTLS_ASN1_CHK_ADD(v, p12_raw(w, enc, enclen));
	MBEDTLS_ASN1_CHK_ADD(
	    v, p12_wrap(w, v, MBEDTLS_ASN1_OCTET_STRING) - (int)v);
	MBEDTLS_ASN1_CHK_ADD(v, p12_pbes2_alg(w, salt, iv));
	MBEDTLS_ASN1_CHK_ADD(v, p12_wrap(w, v, P12_SEQ) - (int)v);
	MBEDTLS_ASN1_CHK_ADD(v,
	    p12_bag(w, OID_BAG_KEY, MBEDTLS_OID_SIZE(OID_BAG_KEY), v) - (int)v);
	len += v;
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	return (int)len;
}

/*
 * The password as a BMPString (UTF-16BE with a final 0x0000), as the
 * PKCS#12 key derivation takes it.  Returns the length or -1 for text
 * that is not UTF-8.
 */
static int
p12_bmp(const char *pw, unsigned char **outp)
{
	const unsigned char *s = (const unsigned char *)pw;
	size_t n = strlen(pw), i = 0, o = 0;
	unsigned char *out;
	uint32_t c;
	int k;

	*outp = NULL;
	if (!pogo_str_utf8_valid(pw, n, NULL))
		return -1;
	out = xmalloc(4 * n + 2);
	while (i < n) {
		if (s[i] < 0x80) {
			c = s[i];
			k = 0;
		} else if (s[i] < 0xe0) {
			c = s[i] & 0x1f;
			k = 1;
		} else if (s[i] < 0xf0) {
			c = s[i] & 0x0f;
			k = 2;
		} else {
			c = s[i] & 0x07;
			k = 3;
		}
		for (i++; k > 0; k--)
			c = (c << 6) | (s[i++] & 0x3f);
		if (c >= 0x10000) {
			c -= 0x10000;
			out[o++] = (unsigned char)(0xd8 | (c >> 18));
			out[o++] = (unsigned char)(c >> 10);
			c = 0xdc00 | (c & 0x3ff);
		}
		out[o++] = (unsigned char)(c >> 8);
		out[o++] = (unsigned char)c;
	}
	out[o++] = 0;
	out[o++] = 0;
	*outp = out;
	return (int)o;
}

/*
 * The MAC of data: HMAC-SHA256 with the key of the PKCS#12 derivation
 * over the password, with a fresh salt into salt[].
 */
static int
p12_mac_compute(const char *password, struct pogo_mbed_rng *rng,
    const unsigned char *data, size_t len, unsigned char salt[P12_SALT],
    unsigned char mac[32])
{
	unsigned char key[32], *bmp = NULL;
	int bmplen, e;

	if ((bmplen = p12_bmp(password, &bmp)) < 0)
		return POGO_ERR_RANGE;
	if ((e = pogo_mbed_rng_cb(rng, salt, P12_SALT)) == 0 &&
	    (e = mbedtls_pkcs12_derivation(key, sizeof(key), bmp,
	         (size_t)bmplen, salt, P12_SALT, MBEDTLS_MD_SHA256,
	         MBEDTLS_PKCS12_DERIVE_MAC_KEY, POGO_CA_P12_ITER)) == 0)
		e = mbedtls_md_hmac(
		    mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key,
		    sizeof(key), data, len, mac);
	pogo_freezero(bmp, (size_t)bmplen);
	mbedtls_platform_zeroize(key, sizeof(key));
	return pogo_mbed_err(e);
}

/* Prepend MacData { DigestInfo { sha256, mac }, salt, iterations }. */
static int
p12_mac(struct p12w *w, const unsigned char salt[P12_SALT],
    const unsigned char mac[32])
{
	size_t n = 0, d = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(
	    n, mbedtls_asn1_write_int(&w->p, w->buf, POGO_CA_P12_ITER));
	MBEDTLS_ASN1_CHK_ADD(n, p12_raw(w, salt, P12_SALT));
	MBEDTLS_ASN1_CHK_ADD(
	    n, p12_wrap(w, P12_SALT, MBEDTLS_ASN1_OCTET_STRING) - P12_SALT);
	MBEDTLS_ASN1_CHK_ADD(d, p12_raw(w, mac, 32));
	MBEDTLS_ASN1_CHK_ADD(
	    d, p12_wrap(w, 32, MBEDTLS_ASN1_OCTET_STRING) - 32);
	MBEDTLS_ASN1_CHK_ADD(d,
	    mbedtls_asn1_write_algorithm_identifier(&w->p, w->buf,
	        MBEDTLS_OID_DIGEST_ALG_SHA256,
	        MBEDTLS_OID_SIZE(MBEDTLS_OID_DIGEST_ALG_SHA256), 0));
	MBEDTLS_ASN1_CHK_ADD(d, p12_wrap(w, d, P12_SEQ) - (int)d);
	n += d;
	MBEDTLS_ASN1_CHK_ADD(n, p12_wrap(w, n, P12_SEQ) - (int)n);
	return (int)n;
}

/* Prepend ContentInfo { oid, [0] { content (clen bytes, written) } }. */
static int
p12_content_info(struct p12w *w, const char *oid, size_t oidlen, size_t clen)
{
	size_t len = clen;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_EXPLICIT0) - (int)len);
	MBEDTLS_ASN1_CHK_ADD(len, p12_oid(w, oid, oidlen));
	MBEDTLS_ASN1_CHK_ADD(len, p12_wrap(w, len, P12_SEQ) - (int)len);
	return (int)len;
}

int
pogo_ca_p12(const uint8_t *key8, size_t key8len, const uint8_t *crt,
    size_t crtlen, const char *password, uint8_t **outp, size_t *outlenp)
{
	struct pogo_mbed_rng rng;
	struct p12w kc = { 0 }, cc = { 0 }, as = { 0 }, pfx = { 0 };
	unsigned char id[32], ksalt[P12_SALT], kiv[P12_IV], csalt[P12_SALT];
	unsigned char civ[P12_IV], msalt[P12_SALT], mac[32];
	unsigned char *kenc = NULL, *cenc = NULL;
	size_t kenclen = 0, cenclen = 0, len, ed, asl;
	size_t room = 4 * (key8len + crtlen) + 4096;
	int r, n;

	*outp = NULL;
	*outlenp = 0;
	if (*password == '\0' ||
	    !pogo_str_utf8_valid(password, strlen(password), NULL))
		return POGO_ERR_RANGE;
	if ((r = pogo_mbed_rng_init(&rng)) != 0)
		goto out;
	r = POGO_ERR_CRYPTO;
	/* The bags' localKeyId ties the key to its certificate. */
	mbedtls_sha256_ret(crt, crtlen, id, 0);
	p12w_init(&kc, room);
	p12w_init(&cc, room);
	p12w_init(&as, room);
	p12w_init(&pfx, room);
	/* The key bag, in the clear inside a data ContentInfo. */
	if ((r = p12_encrypt(password, &rng, key8, key8len, ksalt, kiv, &kenc,
	         &kenclen)) != 0)
		goto out;
	if ((n = p12_key_contents(&kc, kenc, kenclen, ksalt, kiv, id)) < 0)
		goto fail;
	/* The certificate bag, encrypted as a whole. */
	if ((n = p12_cert_contents(&cc, crt, crtlen, id)) < 0)
		goto fail;
	if ((r = p12_encrypt(password, &rng, cc.p, p12w_len(&cc), csalt, civ,
	         &cenc, &cenclen)) != 0)
		goto out;
	/* AuthenticatedSafe: the key's data first, written backwards. */
	len = 0;
	if ((n = p12_raw(&as, kc.p, p12w_len(&kc))) < 0 ||
	    (n = p12_wrap(&as, p12w_len(&kc), MBEDTLS_ASN1_OCTET_STRING)) < 0 ||
	    (n = p12_content_info(&as, OID_PKCS7_DATA,
	         MBEDTLS_OID_SIZE(OID_PKCS7_DATA), (size_t)n)) < 0)
		goto fail;
	len = (size_t)n;
	/*
	 * EncryptedData { 0, EncryptedContentInfo { data, PBES2,
	 * [0] IMPLICIT enc } }.
	 */
	if ((n = p12_raw(&as, cenc, cenclen)) < 0 ||
	    (n = p12_wrap(&as, cenclen, MBEDTLS_ASN1_CONTEXT_SPECIFIC)) < 0)
		goto fail;
	ed = (size_t)n;
	if ((n = p12_pbes2_alg(&as, csalt, civ)) < 0)
		goto fail;
	ed += (size_t)n;
	if ((n = P12_OID(&as, OID_PKCS7_DATA)) < 0)
		goto fail;
	ed += (size_t)n;
	if ((n = p12_wrap(&as, ed, P12_SEQ)) < 0)
		goto fail;
	ed = (size_t)n;
	if ((n = mbedtls_asn1_write_int(&as.p, as.buf, 0)) < 0)
		goto fail;
	ed += (size_t)n;
	if ((n = p12_wrap(&as, ed, P12_SEQ)) < 0 ||
	    (n = p12_content_info(&as, OID_PKCS7_ENCRYPTED,
	         MBEDTLS_OID_SIZE(OID_PKCS7_ENCRYPTED), (size_t)n)) < 0)
		goto fail;
	len += (size_t)n;
	if ((n = p12_wrap(&as, len, P12_SEQ)) < 0)
		goto fail;
	asl = p12w_len(&as);
	/* PFX { 3, data { OCTET STRING as }, macData } */
	if ((r = p12_mac_compute(password, &rng, as.p, asl, msalt, mac)) != 0)
		goto out;
	if ((n = p12_mac(&pfx, msalt, mac)) < 0)
		goto fail;
	len = (size_t)n;
	if ((n = p12_raw(&pfx, as.p, asl)) < 0 ||
	    (n = p12_wrap(&pfx, asl, MBEDTLS_ASN1_OCTET_STRING)) < 0 ||
	    (n = p12_content_info(&pfx, OID_PKCS7_DATA,
	         MBEDTLS_OID_SIZE(OID_PKCS7_DATA), (size_t)n)) < 0)
		goto fail;
	len += (size_t)n;
	if ((n = mbedtls_asn1_write_int(&pfx.p, pfx.buf, 3)) < 0)
		goto fail;
	len += (size_t)n;
	if ((n = p12_wrap(&pfx, len, P12_SEQ)) < 0)
		goto fail;
	*outlenp = p12w_len(&pfx);
	*outp = xmalloc(*outlenp);
	memcpy(*outp, pfx.p, *outlenp);
	r = 0;
	goto out;
fail:
	r = pogo_mbed_err(n);
out:
	if (kenc != NULL)
		pogo_freezero(kenc, kenclen);
	free(cenc);
	if (kc.buf != NULL) {
		p12w_release(&kc);
		p12w_release(&cc);
		p12w_release(&as);
		p12w_release(&pfx);
	}
	pogo_mbed_rng_release(&rng);
	return r;
}
