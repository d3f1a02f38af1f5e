/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * `pogo ca` (SPEC 10.2): a private CA that makes the keys and certificates
 * of the dispatcher, workers and clients.  One of the files that include
 * mbedTLS (include/pogo/tls.h): mbedTLS generates the keys (its DRBG
 * seeded from the system's entropy) and writes the certificates; its
 * error codes become POGO_ERR_CRYPTO here.  Private keys are wiped from
 * memory when dropped.
 */
#include "pogo/compat.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/asn1write.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>
#include <mbedtls/x509_crt.h>

#include "ca-int.h"
#include "mbed-int.h"
#include "pogo/ca.h"
#include "pogo/error.h"
#include "pogo/xmalloc.h"

#define CA_BUF 16384
#define CA_RSA_BITS 3072
#define CA_BACKDATE 300 /* seconds */

/* What one certificate is made of. */
struct ca_cert {
	const char *subject;
	const char *issuer;
	mbedtls_pk_context *key;
	mbedtls_pk_context *issuer_key;
	bool is_ca;
	const char *kind; /* NULL for the CA */
	const char *name;
	const char **sans;
	size_t nsans;
	unsigned days;
	/* Out. */
	char serial[2 * 16 + 1];
	char not_after[32];
};

static int ca_cause(char **causep, int r, const char *fmt, ...)
    POGO_PRINTFLIKE(3, 4);

/* Set *causep to the formatted message; returns r. */
static int
ca_cause(char **causep, int r, const char *fmt, ...)
{
	va_list ap;

	free(*causep);
	va_start(ap, fmt);
	xvasprintf(causep, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * A name that goes into a subject as it is: not empty, at most 64 bytes,
 * printable, and none of the characters that DN strings escape.
 */
static bool
ca_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
		    strchr(",=+\\\"<>;#/", s[i]) != NULL)
			return false;
	}
	return true;
}

/* Write data to a new file path (it must not exist) with mode. */
static int
ca_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const char *p = data;
	ssize_t n;
	int fd, r = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) ==
	    -1)
		return POGO_ERR_ERRNO(errno);
	/* The umask may have taken bits away from an 0644 certificate. */
	if (fchmod(fd, mode) == -1)
		r = POGO_ERR_ERRNO(errno);
	while (r == 0 && len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno != EINTR)
				r = POGO_ERR_ERRNO(errno);
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	if (close(fd) == -1 && r == 0)
		r = POGO_ERR_ERRNO(errno);
	if (r != 0)
		unlink(path);
	return r;
}

/* Generate a key of type t into pk (set up by this function). */
static int
ca_key_new(
    enum pogo_ca_key_type t, struct pogo_mbed_rng *rng, mbedtls_pk_context *pk)
{
	int e;

	if (t == POGO_CA_KEY_RSA) {
		if ((e = mbedtls_pk_setup(
		         pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA))) == 0)
			e = mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk),
			    pogo_mbed_rng_cb, rng, CA_RSA_BITS, 65537);
	} else {
		if ((e = mbedtls_pk_setup(
		         pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY))) == 0)
			e = mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
			    mbedtls_pk_ec(*pk), pogo_mbed_rng_cb, rng);
	}
	return pogo_mbed_err(e);
}

/* pk as PEM in a new string (*pemp, *lenp bytes), to be wiped. */
static int
ca_key_pem(mbedtls_pk_context *pk, char **pemp, size_t *lenp)
{
	unsigned char *buf = xmalloc(CA_BUF);
	int r;

	*pemp = NULL;
	*lenp = 0;
	if ((r = pogo_mbed_err(mbedtls_pk_write_key_pem(pk, buf, CA_BUF))) !=
	    0) {
		pogo_freezero(buf, CA_BUF);
		return r;
	}
	*lenp = strlen((char *)buf);
	*pemp = xstrndup((char *)buf, *lenp);
	pogo_freezero(buf, CA_BUF);
	return 0;
}

int
pogo_ca_key_generate(enum pogo_ca_key_type t, char **pemp, size_t *lenp)
{
	struct pogo_mbed_rng rng;
	mbedtls_pk_context pk;
	int r;

	*pemp = NULL;
	*lenp = 0;
	mbedtls_pk_init(&pk);
	if ((r = pogo_mbed_rng_init(&rng)) == 0 &&
	    (r = ca_key_new(t, &rng, &pk)) == 0)
		r = ca_key_pem(&pk, pemp, lenp);
	mbedtls_pk_free(&pk);
	pogo_mbed_rng_release(&rng);
	return r;
}

/* "YYYYMMDDhhmmss" for mbedTLS and the ISO 8601 form for people. */
static void
ca_time(time_t t, char *x509, size_t x509len, char *iso, size_t isolen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(x509, x509len, "%Y%m%d%H%M%S", &tm);
	if (iso != NULL)
		strftime(iso, isolen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The DER of an extendedKeyUsage for kind, written backwards from *p. */
static int
ca_eku(const char *kind, unsigned char **p, unsigned char *start)
{
	size_t len = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(len,
	    mbedtls_asn1_write_oid(p, start, MBEDTLS_OID_CLIENT_AUTH,
	        MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)));
	if (strcmp(kind, "dispatcher") == 0)
		MBEDTLS_ASN1_CHK_ADD(len,
		    mbedtls_asn1_write_oid(p, start, MBEDTLS_OID_SERVER_AUTH,
		        MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len,
	    mbedtls_asn1_write_tag(
	        p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/*
 * The DER of a subjectAltName with name and sans, written backwards from
 * *p: an IP address becomes an iPAddress, anything else a dNSName.
 */
static int
ca_san(const char *name, const char **sans, size_t nsans, unsigned char **p,
    unsigned char *start)
{
	unsigned char ip[16];
	const char *s;
	size_t len = 0, sub, i;
	int ret;

	for (i = nsans + 1; i-- > 0;) {
		s = i == 0 ? name : sans[i - 1];
		sub = 0;
		if (inet_pton(AF_INET, s, ip) == 1) {
			MBEDTLS_ASN1_CHK_ADD(sub,
			    mbedtls_asn1_write_raw_buffer(p, start, ip, 4));
			MBEDTLS_ASN1_CHK_ADD(
			    sub, mbedtls_asn1_write_len(p, start, sub));
			MBEDTLS_ASN1_CHK_ADD(sub,
			    mbedtls_asn1_write_tag(
			        p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7));
		} else if (inet_pton(AF_INET6, s, ip) == 1) {
			MBEDTLS_ASN1_CHK_ADD(sub,
			    mbedtls_asn1_write_raw_buffer(p, start, ip, 16));
			MBEDTLS_ASN1_CHK_ADD(
			    sub, mbedtls_asn1_write_len(p, start, sub));
			MBEDTLS_ASN1_CHK_ADD(sub,
			    mbedtls_asn1_write_tag(
			        p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7));
		} else {
			MBEDTLS_ASN1_CHK_ADD(sub,
			    mbedtls_asn1_write_raw_buffer(
			        p, start, (const unsigned char *)s, strlen(s)));
			MBEDTLS_ASN1_CHK_ADD(
			    sub, mbedtls_asn1_write_len(p, start, sub));
			MBEDTLS_ASN1_CHK_ADD(sub,
			    mbedtls_asn1_write_tag(
			        p, start, MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2));
		}
		len += sub;
	}
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(p, start, len));
	MBEDTLS_ASN1_CHK_ADD(len,
	    mbedtls_asn1_write_tag(
	        p, start, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/* Add an extension whose DER value ext_writer writes. */
static int
ca_add_ext(mbedtls_x509write_cert *crt, const char *oid, size_t oidlen, int len,
    unsigned char *buf, size_t size)
{
	if (len < 0)
		return len;
	return mbedtls_x509write_crt_set_extension(
	    crt, oid, oidlen, 0, buf + size - len, (size_t)len);
}

/*
 * The ecdsa-with-SHA256 AlgorithmIdentifier as mbedTLS 2 writes it, with
 * NULL parameters, and as RFC 5758 section 3.2 wants it, without.
 */
static const unsigned char ca_ecdsa_null[] = { 0x30, 0x0c, 0x06, 0x08, 0x2a,
	0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02, 0x05, 0x00 };
static const unsigned char ca_ecdsa[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
	0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };

/*
 * Write Certificate { tbs, ecdsa-with-SHA256, BIT STRING sig } backwards
 * into out[0..size); returns its length or an mbedTLS error.
 */
static int
ca_cert_wrap(const unsigned char *tbs, size_t tlen, const unsigned char *sig,
    size_t siglen, unsigned char *out, size_t size)
{
	unsigned char *q = out + size;
	size_t total = 0;
	int ret;

	MBEDTLS_ASN1_CHK_ADD(
	    total, mbedtls_asn1_write_bitstring(&q, out, sig, 8 * siglen));
	MBEDTLS_ASN1_CHK_ADD(total,
	    mbedtls_asn1_write_raw_buffer(&q, out, ca_ecdsa, sizeof(ca_ecdsa)));
	MBEDTLS_ASN1_CHK_ADD(
	    total, mbedtls_asn1_write_raw_buffer(&q, out, tbs, tlen));
	MBEDTLS_ASN1_CHK_ADD(total, mbedtls_asn1_write_len(&q, out, total));
	MBEDTLS_ASN1_CHK_ADD(total,
	    mbedtls_asn1_write_tag(
	        &q, out, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)total;
}

/*
 * Re-sign the certificate der[0..len) (made by mbedTLS with the EC key
 * key) with its signature algorithm encoded without parameters, into
 * out[0..size), written backwards; returns the new length or an mbedTLS
 * error.  Strict verifiers (Chromium, webpki) refuse the NULL that
 * mbedTLS 2 writes; mbedTLS 3 no longer writes it.
 */
static int
ca_ecdsa_resign(const unsigned char *der, size_t len, mbedtls_pk_context *key,
    struct pogo_mbed_rng *rng, unsigned char *out, size_t size)
{
	unsigned char *p = (unsigned char *)der, *end = p + len, *tbs, *q;
	unsigned char *at, md[32], sig[MBEDTLS_ECDSA_MAX_LEN];
	size_t n, tlen, siglen = 0, total = 0, body;
	int ret;

	if ((ret = mbedtls_asn1_get_tag(&p, end, &n,
	         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
		return ret;
	tbs = p;
	if ((ret = mbedtls_asn1_get_tag(&p, end, &tlen,
	         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
		return ret;
	body = (size_t)(p - tbs) + tlen;
	/* The TBS's signature field follows [0] version and the serial. */
	if ((ret = mbedtls_asn1_get_tag(&p, end, &n,
	         MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED)) !=
	    0)
		return ret;
	p += n;
	if ((ret = mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_INTEGER)) !=
	    0)
		return ret;
	p += n;
	at = p;
	if ((size_t)(end - at) < sizeof(ca_ecdsa_null) ||
	    memcmp(at, ca_ecdsa_null, sizeof(ca_ecdsa_null)) != 0)
		return MBEDTLS_ERR_ASN1_UNEXPECTED_TAG;
	/* The new TBS: its fields with the short identifier, and its head. */
	q = out + size;
	MBEDTLS_ASN1_CHK_ADD(total,
	    mbedtls_asn1_write_raw_buffer(&q, out, at + sizeof(ca_ecdsa_null),
	        (size_t)(tbs + body - at) - sizeof(ca_ecdsa_null)));
	MBEDTLS_ASN1_CHK_ADD(total,
	    mbedtls_asn1_write_raw_buffer(&q, out, ca_ecdsa, sizeof(ca_ecdsa)));
	/* Skip the TBS's own head (SEQUENCE tag and length). */
	p = tbs;
	if ((ret = mbedtls_asn1_get_tag(&p, end, &n,
	         MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) != 0)
		return ret;
	MBEDTLS_ASN1_CHK_ADD(
	    total, mbedtls_asn1_write_raw_buffer(&q, out, p, (size_t)(at - p)));
	MBEDTLS_ASN1_CHK_ADD(total, mbedtls_asn1_write_len(&q, out, total));
	MBEDTLS_ASN1_CHK_ADD(total,
	    mbedtls_asn1_write_tag(
	        &q, out, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	/* Sign the new TBS, then write the certificate around a copy of it. */
	if ((ret = mbedtls_sha256_ret(q, total, md, 0)) != 0 ||
	    (ret = mbedtls_pk_sign(key, MBEDTLS_MD_SHA256, md, sizeof(md), sig,
	         &siglen, pogo_mbed_rng_cb, rng)) != 0)
		return ret;
	tbs = xmalloc(total);
	memcpy(tbs, q, total);
	ret = ca_cert_wrap(tbs, total, sig, siglen, out, size);
	free(tbs);
	return ret;
}

/* Make the certificate c as PEM in *pemp (new string). */
static int
ca_cert_make(struct ca_cert *c, struct pogo_mbed_rng *rng, char **pemp)
{
	static const char hex[] = "0123456789abcdef";
	mbedtls_x509write_cert crt;
	unsigned char serial[16], ext[1024], *p, *buf = NULL, *fixed = NULL;
	unsigned char *pem = NULL, *der;
	char from[16], until[16];
	size_t derlen, n;
	mbedtls_mpi sn;
	time_t now = time(NULL);
	unsigned ku;
	size_t i;
	int e;

	*pemp = NULL;
	mbedtls_x509write_crt_init(&crt);
	mbedtls_mpi_init(&sn);
	if ((e = pogo_mbed_rng_cb(rng, serial, sizeof(serial))) != 0)
		goto out;
	/* Positive and exactly 16 bytes long in DER. */
	serial[0] &= 0x7f;
	if (serial[0] == 0)
		serial[0] = 1;
	for (i = 0; i < sizeof(serial); i++) {
		c->serial[2 * i] = hex[serial[i] >> 4];
		c->serial[2 * i + 1] = hex[serial[i] & 0xf];
	}
	c->serial[2 * sizeof(serial)] = '\0';
	ca_time(now - CA_BACKDATE, from, sizeof(from), NULL, 0);
	ca_time(now + (time_t)c->days * 86400, until, sizeof(until),
	    c->not_after, sizeof(c->not_after));
	mbedtls_x509write_crt_set_version(&crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(&crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(&crt, c->key);
	mbedtls_x509write_crt_set_issuer_key(&crt, c->issuer_key);
	if ((e = mbedtls_mpi_read_binary(&sn, serial, sizeof(serial))) != 0 ||
	    (e = mbedtls_x509write_crt_set_serial(&crt, &sn)) != 0 ||
	    (e = mbedtls_x509write_crt_set_validity(&crt, from, until)) != 0 ||
	    (e = mbedtls_x509write_crt_set_subject_name(&crt, c->subject)) !=
	        0 ||
	    (e = mbedtls_x509write_crt_set_issuer_name(&crt, c->issuer)) != 0 ||
	    (e = mbedtls_x509write_crt_set_basic_constraints(
	         &crt, c->is_ca, c->is_ca ? 0 : -1)) != 0 ||
	    (e = mbedtls_x509write_crt_set_subject_key_identifier(&crt)) != 0)
		goto out;
	if (c->is_ca)
		ku = MBEDTLS_X509_KU_KEY_CERT_SIGN | MBEDTLS_X509_KU_CRL_SIGN;
	else {
		if ((e = mbedtls_x509write_crt_set_authority_key_identifier(
		         &crt)) != 0)
			goto out;
		ku = MBEDTLS_X509_KU_DIGITAL_SIGNATURE;
		if (mbedtls_pk_get_type(c->key) == MBEDTLS_PK_RSA)
			ku |= MBEDTLS_X509_KU_KEY_ENCIPHERMENT;
		p = ext + sizeof(ext);
		if ((e = ca_add_ext(&crt, MBEDTLS_OID_EXTENDED_KEY_USAGE,
		         MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE),
		         ca_eku(c->kind, &p, ext), ext, sizeof(ext))) != 0)
			goto out;
		p = ext + sizeof(ext);
		if (strcmp(c->kind, "dispatcher") == 0 &&
		    (e = ca_add_ext(&crt, MBEDTLS_OID_SUBJECT_ALT_NAME,
		         MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME),
		         ca_san(c->name, c->sans, c->nsans, &p, ext), ext,
		         sizeof(ext))) != 0)
			goto out;
	}
	if ((e = mbedtls_x509write_crt_set_key_usage(&crt, ku)) != 0)
		goto out;
	buf = xmalloc(CA_BUF);
	fixed = xmalloc(CA_BUF);
	pem = xmalloc(CA_BUF);
	if ((e = mbedtls_x509write_crt_der(
	         &crt, buf, CA_BUF, pogo_mbed_rng_cb, rng)) < 0)
		goto out;
	der = buf + CA_BUF - e;
	derlen = (size_t)e;
	if (mbedtls_pk_get_type(c->issuer_key) != MBEDTLS_PK_RSA) {
		if ((e = ca_ecdsa_resign(
		         der, derlen, c->issuer_key, rng, fixed, CA_BUF)) < 0)
			goto out;
		der = fixed + CA_BUF - e;
		derlen = (size_t)e;
	}
	if ((e = mbedtls_pem_write_buffer("-----BEGIN CERTIFICATE-----\n",
	         "-----END CERTIFICATE-----\n", der, derlen, pem, CA_BUF,
	         &n)) != 0)
		goto out;
	*pemp = xstrdup((char *)pem);
out:
	free(pem);
	free(fixed);
	free(buf);
	mbedtls_mpi_free(&sn);
	mbedtls_x509write_crt_free(&crt);
	return pogo_mbed_err(e);
}

/* "AB:CD:..." of the SHA-256 of der. */
static char *
ca_fingerprint(const unsigned char *der, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char md[32];
	char *s = xmalloc(3 * sizeof(md));
	size_t i;

	mbedtls_sha256_ret(der, len, md, 0);
	for (i = 0; i < sizeof(md); i++) {
		s[3 * i] = hex[md[i] >> 4];
		s[3 * i + 1] = hex[md[i] & 0xf];
		s[3 * i + 2] = i + 1 < sizeof(md) ? ':' : '\0';
	}
	return s;
}

/* Append "<serial> <kind> <name> <not-after>" to dir/serials. */
static int
ca_serials_add(const char *dir, const char *serial, const char *kind,
    const char *name, const char *not_after)
{
	char *path, *line;
	ssize_t n;
	int fd, r = 0;

	xasprintf(&path, "%s/serials", dir);
	xasprintf(&line, "%s %s %s %s\n", serial, kind, name, not_after);
	if ((fd = open(
	         path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) == -1)
		r = POGO_ERR_ERRNO(errno);
	else {
		/* One write, so concurrent issues never interleave lines. */
		n = write(fd, line, strlen(line));
		if (n != (ssize_t)strlen(line))
			r = n == -1 ? POGO_ERR_ERRNO(errno) : POGO_ERR_LIMIT;
		if (close(fd) == -1 && r == 0)
			r = POGO_ERR_ERRNO(errno);
	}
	free(line);
	free(path);
	return r;
}

/* mkdir -p of path; the last component gets mode, parents 0700. */
static int
ca_mkdirs(const char *path, mode_t mode)
{
	char *tmp = xstrdup(path), *s;
	int r = 0;

	for (s = tmp + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0700) == -1 && errno != EEXIST) {
			r = POGO_ERR_ERRNO(errno);
			goto out;
		}
		*s = '/';
	}
	if (mkdir(tmp, mode) == -1) {
		r = POGO_ERR_ERRNO(errno);
		goto out;
	}
	/* The umask does not decide the CA directory's mode. */
	if (chmod(tmp, mode) == -1)
		r = POGO_ERR_ERRNO(errno);
out:
	free(tmp);
	return r;
}

char *
pogo_ca_default_dir(void)
{
	const char *s;
	char *dir;

	if ((s = getenv("POGO_CA_DIR")) != NULL && *s != '\0')
		return xstrdup(s);
	if ((s = getenv("HOME")) == NULL || *s == '\0')
		s = ".";
	xasprintf(&dir, "%s/.pogo/ca", s);
	return dir;
}

int
pogo_ca_init(const struct pogo_ca_init *o, char **causep)
{
	struct pogo_mbed_rng rng;
	mbedtls_pk_context key;
	struct ca_cert c = { 0 };
	char *keypath = NULL, *crtpath = NULL, *serpath = NULL, *subject = NULL;
	char *pem = NULL, *crt = NULL;
	const char *cn = o->cn != NULL ? o->cn : "pogo CA";
	size_t pemlen = 0;
	struct stat st;
	int r;

	*causep = NULL;
	mbedtls_pk_init(&key);
	if ((r = pogo_mbed_rng_init(&rng)) != 0) {
		ca_cause(causep, r, "cannot seed the random generator");
		goto out;
	}
	if (!ca_name_ok(cn)) {
		r = ca_cause(
		    causep, POGO_ERR_USAGE, "invalid CA name '%s'", cn);
		goto out;
	}
	xasprintf(&keypath, "%s/ca.key", o->dir);
	xasprintf(&crtpath, "%s/ca.crt", o->dir);
	xasprintf(&serpath, "%s/serials", o->dir);
	if (lstat(keypath, &st) == 0) {
		r = ca_cause(causep, POGO_ERR_STATE,
		    "%s exists; refusing to overwrite it", keypath);
		goto out;
	}
	if ((r = ca_mkdirs(o->dir, 0700)) != 0 && r != POGO_ERR_ERRNO(EEXIST)) {
		ca_cause(causep, r, "%s: %s", o->dir, pogo_strerror(r));
		goto out;
	}
	if ((r = ca_key_new(o->key_type == POGO_CA_KEY_RSA ? POGO_CA_KEY_RSA
	                                                   : POGO_CA_KEY_EC,
	         &rng, &key)) != 0 ||
	    (r = ca_key_pem(&key, &pem, &pemlen)) != 0) {
		ca_cause(causep, r, "cannot generate the CA key");
		goto out;
	}
	xasprintf(&subject, "CN=%s,O=pogo", cn);
	c.subject = subject;
	c.issuer = subject;
	c.key = &key;
	c.issuer_key = &key;
	c.is_ca = true;
	c.days = o->days != 0 ? o->days : 3650;
	if ((r = ca_cert_make(&c, &rng, &crt)) != 0) {
		ca_cause(causep, r, "cannot make the CA certificate");
		goto out;
	}
	if ((r = ca_write_file(keypath, pem, pemlen, 0600)) != 0) {
		ca_cause(causep, r, "%s: %s", keypath, pogo_strerror(r));
		goto out;
	}
	if ((r = ca_write_file(crtpath, crt, strlen(crt), 0644)) != 0 ||
	    (r = ca_write_file(serpath, "", 0, 0644)) != 0) {
		ca_cause(causep, r, "%s: %s",
		    access(crtpath, F_OK) == 0 ? serpath : crtpath,
		    pogo_strerror(r));
		goto out;
	}
out:
	pogo_freezero(pem, pemlen);
	free(crt);
	free(subject);
	free(keypath);
	free(crtpath);
	free(serpath);
	mbedtls_pk_free(&key);
	pogo_mbed_rng_release(&rng);
	return r;
}

/*
 * The DER PKCS#8 PrivateKeyInfo of pk, written backwards into buf[0..size);
 * returns its length or an mbedTLS error.
 */
static int
ca_key_pkcs8(mbedtls_pk_context *pk, unsigned char *buf, size_t size)
{
	unsigned char *p;
	size_t len = 0, par = 0;
	int ret;

	if ((ret = mbedtls_pk_write_key_der(pk, buf, size)) < 0)
		return ret;
	len = (size_t)ret;
	p = buf + size - len;
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
	MBEDTLS_ASN1_CHK_ADD(
	    len, mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_OCTET_STRING));
	if (mbedtls_pk_get_type(pk) == MBEDTLS_PK_RSA)
		MBEDTLS_ASN1_CHK_ADD(len,
		    mbedtls_asn1_write_algorithm_identifier(&p, buf,
		        MBEDTLS_OID_PKCS1_RSA,
		        MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS1_RSA), 0));
	else {
		MBEDTLS_ASN1_CHK_ADD(par,
		    mbedtls_asn1_write_oid(&p, buf,
		        MBEDTLS_OID_EC_GRP_SECP256R1,
		        MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_GRP_SECP256R1)));
		len += par;
		MBEDTLS_ASN1_CHK_ADD(len,
		    mbedtls_asn1_write_algorithm_identifier(&p, buf,
		        MBEDTLS_OID_EC_ALG_UNRESTRICTED,
		        MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_ALG_UNRESTRICTED),
		        par) -
		        (int)par);
	}
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_int(&p, buf, 0));
	MBEDTLS_ASN1_CHK_ADD(len, mbedtls_asn1_write_len(&p, buf, len));
	MBEDTLS_ASN1_CHK_ADD(len,
	    mbedtls_asn1_write_tag(
	        &p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
	return (int)len;
}

/* Write prefix.p12 for key and the certificate crt (PEM). */
static int
ca_write_p12(const char *path, mbedtls_pk_context *key,
    const mbedtls_x509_crt *crt, const char *password, char **causep)
{
	unsigned char *buf = xmalloc(CA_BUF);
	uint8_t *p12 = NULL;
	size_t p12len = 0;
	int n, r;

	if ((n = ca_key_pkcs8(key, buf, CA_BUF)) < 0) {
		r = ca_cause(causep, pogo_mbed_err(n),
		    "%s: cannot encode the key", path);
		goto out;
	}
	if ((r = pogo_ca_p12(buf + CA_BUF - n, (size_t)n, crt->raw.p,
	         crt->raw.len, password, &p12, &p12len)) != 0) {
		ca_cause(causep, r, "%s: %s", path,
		    r == POGO_ERR_RANGE ? "the password must be UTF-8 text"
		                        : "cannot make the PKCS#12 file");
		goto out;
	}
	if ((r = ca_write_file(path, p12, p12len, 0600)) != 0)
		ca_cause(causep, r, "%s: %s", path, pogo_strerror(r));
out:
	pogo_freezero(buf, CA_BUF);
	free(p12);
	return r;
}

/* Load the CA of dir: its key into key and its certificate into crt. */
static int
ca_load(const char *dir, mbedtls_pk_context *key, mbedtls_x509_crt *crt,
    char **causep)
{
	char *path;
	int r = 0;

	xasprintf(&path, "%s/ca.key", dir);
	if (access(path, R_OK) != 0)
		r = ca_cause(causep, POGO_ERR_ERRNO(errno), "%s: %s", path,
		    strerror(errno));
	else if (mbedtls_pk_parse_keyfile(key, path, NULL) != 0)
		r = ca_cause(
		    causep, POGO_ERR_CRYPTO, "%s: not a private key", path);
	free(path);
	if (r != 0)
		return r;
	xasprintf(&path, "%s/ca.crt", dir);
	if (mbedtls_x509_crt_parse_file(crt, path) != 0)
		r = ca_cause(
		    causep, POGO_ERR_CRYPTO, "%s: not a certificate", path);
	else if (!crt->ca_istrue)
		r = ca_cause(
		    causep, POGO_ERR_CRYPTO, "%s: not a CA certificate", path);
	free(path);
	return r;
}

int
pogo_ca_issue(const struct pogo_ca_issue *o, char **fprp, char **causep)
{
	struct pogo_mbed_rng rng;
	mbedtls_pk_context cakey, key;
	mbedtls_x509_crt cacrt, crt;
	struct ca_cert c = { 0 };
	enum pogo_ca_key_type t = o->key_type;
	char *prefix = NULL, *keypath = NULL, *crtpath = NULL, *p12path = NULL;
	char *subject = NULL, *pem = NULL, *crtpem = NULL, issuer[512];
	size_t pemlen = 0, i;
	int r;

	*fprp = NULL;
	*causep = NULL;
	mbedtls_pk_init(&cakey);
	mbedtls_pk_init(&key);
	mbedtls_x509_crt_init(&cacrt);
	mbedtls_x509_crt_init(&crt);
	if ((r = pogo_mbed_rng_init(&rng)) != 0) {
		ca_cause(causep, r, "cannot seed the random generator");
		goto out;
	}
	if (strcmp(o->kind, "dispatcher") != 0 &&
	    strcmp(o->kind, "worker") != 0 && strcmp(o->kind, "client") != 0) {
		r = ca_cause(causep, POGO_ERR_USAGE,
		    "invalid kind '%s' (dispatcher, worker or client)",
		    o->kind);
		goto out;
	}
	if (!ca_name_ok(o->name)) {
		r = ca_cause(
		    causep, POGO_ERR_USAGE, "invalid name '%s'", o->name);
		goto out;
	}
	for (i = 0; i < o->nsans; i++) {
		if (!ca_name_ok(o->sans[i]) || strchr(o->sans[i], ' ')) {
			r = ca_cause(causep, POGO_ERR_USAGE,
			    "invalid --san '%s'", o->sans[i]);
			goto out;
		}
	}
	if ((r = ca_load(o->dir, &cakey, &cacrt, causep)) != 0)
		goto out;
	if (t == POGO_CA_KEY_DEFAULT)
		t = strcmp(o->kind, "worker") == 0 ? POGO_CA_KEY_RSA
		                                   : POGO_CA_KEY_EC;
	if (o->prefix != NULL)
		prefix = xstrdup(o->prefix);
	else
		xasprintf(&prefix, "%s-%s", o->kind, o->name);
	xasprintf(&keypath, "%s.key", prefix);
	xasprintf(&crtpath, "%s.crt", prefix);
	xasprintf(&p12path, "%s.p12", prefix);
	if (access(keypath, F_OK) == 0 || access(crtpath, F_OK) == 0 ||
	    (o->password != NULL && access(p12path, F_OK) == 0)) {
		r = ca_cause(causep, POGO_ERR_STATE,
		    "%s.* exists; refusing to overwrite it", prefix);
		goto out;
	}
	if ((r = ca_key_new(t, &rng, &key)) != 0 ||
	    (r = ca_key_pem(&key, &pem, &pemlen)) != 0) {
		ca_cause(causep, r, "cannot generate the key");
		goto out;
	}
	if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &cacrt.subject) < 0) {
		r = ca_cause(causep, POGO_ERR_CRYPTO,
		    "%s/ca.crt: unusable subject", o->dir);
		goto out;
	}
	xasprintf(&subject, "CN=%s,OU=%s,O=pogo", o->name, o->kind);
	c.subject = subject;
	c.issuer = issuer;
	c.key = &key;
	c.issuer_key = &cakey;
	c.kind = o->kind;
	c.name = o->name;
	c.sans = o->sans;
	c.nsans = o->nsans;
	c.days = o->days != 0 ? o->days : 825;
	if ((r = ca_cert_make(&c, &rng, &crtpem)) != 0 ||
	    (r = pogo_mbed_err(mbedtls_x509_crt_parse(&crt,
	         (const unsigned char *)crtpem, strlen(crtpem) + 1))) != 0) {
		ca_cause(causep, r, "cannot make the certificate");
		goto out;
	}
	if ((r = ca_write_file(keypath, pem, pemlen, 0600)) != 0) {
		ca_cause(causep, r, "%s: %s", keypath, pogo_strerror(r));
		goto out;
	}
	if ((r = ca_write_file(crtpath, crtpem, strlen(crtpem), 0644)) != 0) {
		ca_cause(causep, r, "%s: %s", crtpath, pogo_strerror(r));
		goto out;
	}
	if (o->password != NULL &&
	    (r = ca_write_p12(p12path, &key, &crt, o->password, causep)) != 0)
		goto out;
	if ((r = ca_serials_add(
	         o->dir, c.serial, o->kind, o->name, c.not_after)) != 0) {
		ca_cause(causep, r, "%s/serials: %s", o->dir, pogo_strerror(r));
		goto out;
	}
	*fprp = ca_fingerprint(crt.raw.p, crt.raw.len);
out:
	pogo_freezero(pem, pemlen);
	free(crtpem);
	free(subject);
	free(prefix);
	free(keypath);
	free(crtpath);
	free(p12path);
	mbedtls_x509_crt_free(&crt);
	mbedtls_x509_crt_free(&cacrt);
	mbedtls_pk_free(&key);
	mbedtls_pk_free(&cakey);
	pogo_mbed_rng_release(&rng);
	return r;
}

/* The kind of crt: its OU, or "CA" for a CA certificate. */
static void
ca_kind(const mbedtls_x509_crt *crt, char *buf, size_t size)
{
	const mbedtls_x509_name *n;

	if (crt->ca_istrue) {
		strlcpy(buf, "CA", size);
		return;
	}
	strlcpy(buf, "none", size);
	for (n = &crt->subject; n != NULL; n = n->next) {
		if (n->oid.p != NULL &&
		    MBEDTLS_OID_CMP(MBEDTLS_OID_AT_ORG_UNIT, &n->oid) == 0) {
			snprintf(buf, size, "%.*s", (int)n->val.len,
			    (const char *)n->val.p);
			return;
		}
	}
}

int
pogo_ca_show(const char *path, char **textp, char **causep)
{
	static const char hex[] = "0123456789abcdef";
	mbedtls_x509_crt crt;
	const mbedtls_x509_time *f, *u;
	char subject[512], kind[72], serial[2 * 32 + 1], key[32], *fpr;
	size_t i, j = 0;
	int r = 0;

	*textp = NULL;
	*causep = NULL;
	mbedtls_x509_crt_init(&crt);
	if (access(path, R_OK) != 0) {
		r = ca_cause(causep, POGO_ERR_ERRNO(errno), "%s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (mbedtls_x509_crt_parse_file(&crt, path) != 0) {
		r = ca_cause(
		    causep, POGO_ERR_CRYPTO, "%s: not a certificate", path);
		goto out;
	}
	if (mbedtls_x509_dn_gets(subject, sizeof(subject), &crt.subject) < 0)
		strlcpy(subject, "?", sizeof(subject));
	ca_kind(&crt, kind, sizeof(kind));
	for (i = 0; i < crt.serial.len && j + 2 < sizeof(serial); i++) {
		if (j == 0 && crt.serial.p[i] == 0 && i + 1 < crt.serial.len)
			continue;
		serial[j++] = hex[crt.serial.p[i] >> 4];
		serial[j++] = hex[crt.serial.p[i] & 0xf];
	}
	serial[j] = '\0';
	if (mbedtls_pk_get_type(&crt.pk) == MBEDTLS_PK_RSA)
		snprintf(key, sizeof(key), "RSA-%zu",
		    mbedtls_pk_get_bitlen(&crt.pk));
	else if (mbedtls_pk_can_do(&crt.pk, MBEDTLS_PK_ECKEY) &&
	    mbedtls_pk_ec(crt.pk)->grp.id == MBEDTLS_ECP_DP_SECP256R1)
		strlcpy(key, "EC P-256", sizeof(key));
	else
		snprintf(key, sizeof(key), "%s-%zu",
		    mbedtls_pk_get_name(&crt.pk),
		    mbedtls_pk_get_bitlen(&crt.pk));
	f = &crt.valid_from;
	u = &crt.valid_to;
	fpr = ca_fingerprint(crt.raw.p, crt.raw.len);
	xasprintf(textp,
	    "subject: %s\n"
	    "kind: %s\n"
	    "serial: %s\n"
	    "not before: %04d-%02d-%02dT%02d:%02d:%02dZ\n"
	    "not after: %04d-%02d-%02dT%02d:%02d:%02dZ\n"
	    "key: %s\n"
	    "sha256 fingerprint: %s\n",
	    subject, kind, serial, f->year, f->mon, f->day, f->hour, f->min,
	    f->sec, u->year, u->mon, u->day, u->hour, u->min, u->sec, key, fpr);
	free(fpr);
out:
	mbedtls_x509_crt_free(&crt);
	return r;
}
