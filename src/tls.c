/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The only protocol file that includes mbedTLS (tls.h).  Its negative
 * error codes overlap errno and must never leave this file raw.
 *
 * A session talks to mbedTLS through two memory buffers (the BIO
 * callbacks): tls_recv takes from what pogo_tls_session_feed() stored and
 * answers WANT_READ when it is empty; tls_send appends to the output that
 * pogo_tls_session_take_output() hands over.  So mbedTLS never touches a
 * socket and never blocks.
 */
#include "pogo/compat.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/base64.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>
#include <uv.h>

#include "mbed-int.h"
#include "pogo/cfg.h"
#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/str.h"
#include "pogo/tls.h"
#include "pogo/xmalloc.h"

#define TLS_CN_LEN 128
#define TLS_REASON_LEN 512

const char *
pogo_tls_version(void)
{
	static char v[32];

	if (v[0] == '\0')
		mbedtls_version_get_string(v);
	return v;
}

char *
pogo_tls_base64_encode(const void *data, size_t len)
{
	size_t cap = (len + 2) / 3 * 4 + 1, olen;
	char *s = xmalloc(cap);

	if (mbedtls_base64_encode((unsigned char *)s, cap, &olen, data, len) !=
	    0)
		fatalx("base64: %zu bytes do not fit", len);
	return s;
}

int
pogo_tls_base64_decode(
    const char *s, size_t len, size_t max, char **outp, size_t *outlenp)
{
	unsigned char *buf;
	size_t n = 0, cap;

	*outp = NULL;
	*outlenp = 0;
	/* Standard base64 only: no line breaks or blanks, which mbedTLS
	 * would skip. */
	if (len % 4 != 0 || memchr(s, '\n', len) != NULL ||
	    memchr(s, ' ', len) != NULL || memchr(s, '\r', len) != NULL)
		return POGO_ERR_RANGE;
	cap = len / 4 * 3;
	if (cap > max + 2)
		return POGO_ERR_LIMIT;
	buf = xmalloc(cap + 1);
	if (mbedtls_base64_decode(
	        buf, cap + 1, &n, (const unsigned char *)s, len) != 0) {
		free(buf);
		return POGO_ERR_RANGE;
	}
	if (n > max) {
		free(buf);
		return POGO_ERR_LIMIT;
	}
	buf[n] = '\0';
	*outp = (char *)buf;
	*outlenp = n;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Configuration. */

/* ECDHE key exchange, AEAD ciphers, TLS 1.2 (SPEC 10.1). */
static const int tls_suites[] = {
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	MBEDTLS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	MBEDTLS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	0,
};

struct pogo_tls {
	unsigned refs; /* the maker's and each pogo_tls_ref()'s */
	bool server;
	bool has_ca;
	bool peer_optional;
	char *peer_kind;
	char *hostname; /* client: the subjectAltName to find, or NULL */
	unsigned char (*pins)[32];
	size_t npins;
	struct pogo_mbed_rng rng;
	mbedtls_x509_crt ca;
	mbedtls_x509_crt crt;
	mbedtls_pk_context pk;
	mbedtls_ssl_config conf;
};

struct pogo_tls_session {
	struct pogo_tls *tls;
	mbedtls_ssl_context ssl;
	char *in;
	size_t inoff, inlen, incap;
	char *out;
	size_t outlen, outcap;
	bool ready;
	char reason[TLS_REASON_LEN]; /* set by the verify callback */
	char cn[TLS_CN_LEN];
};

static char *
tls_strerror(int ret)
{
	char buf[160];

	mbedtls_strerror(ret, buf, sizeof(buf));
	return xstrdup(buf);
}

int
pogo_tls_parse_pin(const char *pin, unsigned char out[32])
{
	size_t n = 0;
	int hi, lo;

	while (*pin != '\0') {
		if (*pin == ':') {
			pin++;
			continue;
		}
		if (n == 32 || (hi = pogo_str_hexval(pin[0])) < 0 ||
		    (lo = pogo_str_hexval(pin[1])) < 0)
			return POGO_ERR_CONFIG;
		out[n++] = (unsigned char)(hi << 4 | lo);
		pin += 2;
	}
	return n == 32 ? 0 : POGO_ERR_CONFIG;
}

/* The first value of the attribute oid in name, into buf. */
static bool
tls_name_find(const mbedtls_x509_name *name, const char *oid, size_t oidlen,
    char *buf, size_t len, const char *want)
{
	const mbedtls_x509_name *n;
	bool found = false;
	size_t l;

	if (len > 0)
		buf[0] = '\0';
	for (n = name; n != NULL; n = n->next) {
		if (n->oid.p == NULL || n->oid.len != oidlen ||
		    memcmp(n->oid.p, oid, oidlen) != 0)
			continue;
		l = n->val.len < len - 1 ? n->val.len : len - 1;
		memcpy(buf, n->val.p, l);
		buf[l] = '\0';
		found = true;
		if (want == NULL ||
		    (n->val.len == strlen(want) &&
		        memcmp(n->val.p, want, n->val.len) == 0))
			return true;
	}
	return want == NULL ? found : false;
}

static bool
tls_pinned(const struct pogo_tls *tls, const mbedtls_x509_crt *crt)
{
	unsigned char h[32];
	size_t i;

	if (mbedtls_sha256_ret(crt->raw.p, crt->raw.len, h, 0) != 0)
		return false;
	for (i = 0; i < tls->npins; i++) {
		if (memcmp(h, tls->pins[i], 32) == 0)
			return true;
	}
	return false;
}

/*
 * Does crt's subjectAltName name host: a DNS entry equal to it without
 * regard to case, or an IP entry of the same address when host is an
 * address?  No wildcards, and no fall-back to the CN.
 */
static bool
tls_is_address(const char *host)
{
	unsigned char ip[16];

	return uv_inet_pton(AF_INET, host, ip) == 0 ||
	    uv_inet_pton(AF_INET6, host, ip) == 0;
}

static bool
tls_san_match(const mbedtls_x509_crt *crt, const char *host)
{
	const mbedtls_x509_sequence *cur;
	unsigned char ip[16];
	size_t iplen = 0, hlen = strlen(host);
	int tag;

	if (uv_inet_pton(AF_INET, host, ip) == 0)
		iplen = 4;
	else if (uv_inet_pton(AF_INET6, host, ip) == 0)
		iplen = 16;
	if ((crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) == 0)
		return false;
	for (cur = &crt->subject_alt_names; cur != NULL; cur = cur->next) {
		tag = cur->buf.tag & ~MBEDTLS_ASN1_CONTEXT_SPECIFIC;
		if (iplen > 0 && tag == MBEDTLS_X509_SAN_IP_ADDRESS &&
		    cur->buf.len == iplen && memcmp(cur->buf.p, ip, iplen) == 0)
			return true;
		if (iplen == 0 && tag == MBEDTLS_X509_SAN_DNS_NAME &&
		    cur->buf.len == hlen &&
		    strncasecmp((const char *)cur->buf.p, host, hlen) == 0)
			return true;
	}
	return false;
}

/*
 * mbedTLS's verify callback, once per certificate of the chain: the
 * peer's own certificate (depth 0) must be of the expected kind and match
 * a pin when there are pins.  With pins and no CA, a pinned certificate
 * is trusted as it is.
 */
static int
tls_verify_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct pogo_tls_session *s = arg;
	struct pogo_tls *tls = s->tls;
	char ou[64];

	if (depth != 0)
		return 0;
	tls_name_find(&crt->subject, MBEDTLS_OID_AT_CN,
	    MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_CN), s->cn, sizeof(s->cn), NULL);
	if (tls->npins > 0) {
		if (!tls_pinned(tls, crt)) {
			snprintf(s->reason, sizeof(s->reason),
			    "the peer certificate (CN '%s') matches no pin",
			    s->cn);
			*flags |= MBEDTLS_X509_BADCERT_OTHER;
			return 0;
		}
		if (!tls->has_ca) {
			/* The pins alone decide. */
			*flags = 0;
			return 0;
		}
	}
	if (!tls_name_find(&crt->subject, MBEDTLS_OID_AT_ORG_UNIT,
	        MBEDTLS_OID_SIZE(MBEDTLS_OID_AT_ORG_UNIT), ou, sizeof(ou),
	        tls->peer_kind)) {
		snprintf(s->reason, sizeof(s->reason),
		    "the peer certificate (CN '%s') is of kind '%s', not '%s'",
		    s->cn, ou, tls->peer_kind);
		*flags |= MBEDTLS_X509_BADCERT_OTHER;
	}
	if (tls->hostname != NULL && !tls_san_match(crt, tls->hostname)) {
		snprintf(s->reason, sizeof(s->reason),
		    "the peer certificate (CN '%s') does not name '%s' in "
		    "its subjectAltName",
		    s->cn, tls->hostname);
		*flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
	}
	return 0;
}

bool
pogo_tls_opts_from_cfg(struct pogo_tls_opts *o, const struct pogo_cfg *cfg)
{
	if (cfg->tls.cert == NULL || cfg->tls.cert[0] == '\0')
		return false;
	memset(o, 0, sizeof(*o));
	o->ca_cert = cfg->tls.ca_cert;
	o->cert = cfg->tls.cert;
	o->key = cfg->tls.key;
	o->pins = (const char *const *)cfg->tls.pins;
	o->npins = cfg->tls.npins;
	return true;
}

/* The CA (or pins only) of o. */
static int
tls_load_ca(struct pogo_tls *tls, const struct pogo_tls_opts *o, char **cause)
{
	int ret;
	char *e;

	if ((o->ca_cert == NULL || o->ca_cert[0] == '\0') && o->npins == 0) {
		xasprintf(cause, "tls.ca_cert is not set");
		return POGO_ERR_CONFIG;
	}
	if (o->ca_cert != NULL && o->ca_cert[0] != '\0') {
		if ((ret = mbedtls_x509_crt_parse_file(&tls->ca, o->ca_cert)) !=
		    0) {
			e = tls_strerror(ret);
			xasprintf(cause, "tls.ca_cert: %s: %s", o->ca_cert, e);
			free(e);
			return POGO_ERR_CONFIG;
		}
		tls->has_ca = true;
	}
	return 0;
}

static int
tls_load(struct pogo_tls *tls, const struct pogo_tls_opts *o, char **cause)
{
	int ret;
	char *e;

	if (!o->server && o->no_cert && (o->cert == NULL || o->cert[0] == '\0'))
		return tls_load_ca(tls, o, cause);
	if (o->cert == NULL || o->cert[0] == '\0') {
		xasprintf(cause, "tls.cert is not set");
		return POGO_ERR_CONFIG;
	}
	if (o->key == NULL || o->key[0] == '\0') {
		xasprintf(cause, "tls.key is not set");
		return POGO_ERR_CONFIG;
	}
	if ((ret = mbedtls_x509_crt_parse_file(&tls->crt, o->cert)) != 0) {
		e = tls_strerror(ret);
		xasprintf(cause, "tls.cert: %s: %s", o->cert, e);
		free(e);
		return POGO_ERR_CONFIG;
	}
	if ((ret = mbedtls_pk_parse_keyfile(&tls->pk, o->key, NULL)) != 0) {
		e = tls_strerror(ret);
		xasprintf(cause, "tls.key: %s: %s", o->key, e);
		free(e);
		return POGO_ERR_CONFIG;
	}
	if ((ret = mbedtls_pk_check_pair(&tls->crt.pk, &tls->pk)) != 0) {
		xasprintf(cause, "tls.key: %s does not match tls.cert %s",
		    o->key, o->cert);
		return POGO_ERR_CONFIG;
	}
	return tls_load_ca(tls, o, cause);
}

int
pogo_tls_new(
    const struct pogo_tls_opts *o, struct pogo_tls **tlsp, char **cause)
{
	struct pogo_tls *tls;
	size_t i;
	int ret, r;
	char *e;

	*tlsp = NULL;
	*cause = NULL;
	tls = xcalloc(1, sizeof(*tls));
	tls->refs = 1;
	tls->server = o->server;
	tls->peer_optional = o->server && o->peer_optional;
	tls->peer_kind = xstrdup(o->peer_kind != NULL ? o->peer_kind : "");
	if (!o->server && o->hostname != NULL)
		tls->hostname = xstrdup(o->hostname);
	mbedtls_x509_crt_init(&tls->ca);
	mbedtls_x509_crt_init(&tls->crt);
	mbedtls_pk_init(&tls->pk);
	mbedtls_ssl_config_init(&tls->conf);
	if ((r = pogo_mbed_rng_init(&tls->rng)) != 0) {
		*cause =
		    xstrdup("TLS set-up: cannot seed the random generator");
		goto fail;
	}
	if (o->npins > 0) {
		tls->pins = xcalloc(o->npins, sizeof(*tls->pins));
		for (i = 0; i < o->npins; i++) {
			if (pogo_tls_parse_pin(o->pins[i], tls->pins[i]) != 0) {
				xasprintf(cause,
				    "tls.pins: '%s' is not a SHA-256 "
				    "fingerprint",
				    o->pins[i]);
				r = POGO_ERR_CONFIG;
				goto fail;
			}
		}
		tls->npins = o->npins;
	}
	if ((r = tls_load(tls, o, cause)) != 0)
		goto fail;
	r = POGO_ERR_TLS;
	if ((ret = mbedtls_ssl_config_defaults(&tls->conf,
	         o->server ? MBEDTLS_SSL_IS_SERVER : MBEDTLS_SSL_IS_CLIENT,
	         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) !=
	        0 ||
	    (tls->crt.raw.len > 0 &&
	        (ret = mbedtls_ssl_conf_own_cert(
	             &tls->conf, &tls->crt, &tls->pk)) != 0)) {
		e = tls_strerror(ret);
		xasprintf(cause, "TLS set-up: %s", e);
		free(e);
		goto fail;
	}
	mbedtls_ssl_conf_min_version(&tls->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	    MBEDTLS_SSL_MINOR_VERSION_3);
	mbedtls_ssl_conf_ciphersuites(&tls->conf, tls_suites);
	mbedtls_ssl_conf_rng(&tls->conf, pogo_mbed_rng_cb, &tls->rng);
	mbedtls_ssl_conf_renegotiation(
	    &tls->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
	if (tls->has_ca) {
		/*
		 * An optional peer certificate is checked as OPTIONAL too;
		 * tls_check_peer() refuses one that fails.
		 */
		mbedtls_ssl_conf_ca_chain(&tls->conf, &tls->ca, NULL);
		mbedtls_ssl_conf_authmode(&tls->conf,
		    tls->peer_optional ? MBEDTLS_SSL_VERIFY_OPTIONAL
		                       : MBEDTLS_SSL_VERIFY_REQUIRED);
	} else {
		/*
		 * Pins only: mbedTLS wants a CA for REQUIRED, so the chain
		 * is checked as OPTIONAL and the verdict (the verify
		 * callback's) is enforced after the handshake.
		 */
		mbedtls_ssl_conf_authmode(
		    &tls->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
	}
	*tlsp = tls;
	return 0;
fail:
	pogo_tls_free(tls);
	return r;
}

struct pogo_tls *
pogo_tls_ref(struct pogo_tls *tls)
{
	tls->refs++;
	return tls;
}

void
pogo_tls_free(struct pogo_tls *tls)
{
	if (tls == NULL || --tls->refs > 0)
		return;
	mbedtls_ssl_config_free(&tls->conf);
	mbedtls_pk_free(&tls->pk);
	mbedtls_x509_crt_free(&tls->crt);
	mbedtls_x509_crt_free(&tls->ca);
	pogo_mbed_rng_release(&tls->rng);
	free(tls->pins);
	free(tls->peer_kind);
	free(tls->hostname);
	free(tls);
}

/* ------------------------------------------------------------------ */
/* Sessions. */

static int
tls_send(void *arg, const unsigned char *p, size_t len)
{
	struct pogo_tls_session *s = arg;

	if (s->outlen + len > s->outcap) {
		s->outcap = s->outlen + len > 2 * s->outcap ? s->outlen + len
		                                            : 2 * s->outcap;
		s->out = xreallocarray(s->out, 1, s->outcap);
	}
	memcpy(s->out + s->outlen, p, len);
	s->outlen += len;
	return (int)len;
}

static int
tls_recv(void *arg, unsigned char *p, size_t len)
{
	struct pogo_tls_session *s = arg;
	size_t n = s->inlen - s->inoff;

	if (n == 0)
		return MBEDTLS_ERR_SSL_WANT_READ;
	if (n > len)
		n = len;
	memcpy(p, s->in + s->inoff, n);
	s->inoff += n;
	if (s->inoff == s->inlen)
		s->inoff = s->inlen = 0;
	return (int)n;
}

struct pogo_tls_session *
pogo_tls_session_new(struct pogo_tls *tls)
{
	struct pogo_tls_session *s = xcalloc(1, sizeof(*s));

	s->tls = tls;
	mbedtls_ssl_init(&s->ssl);
	if (mbedtls_ssl_setup(&s->ssl, &tls->conf) != 0)
		fatalx("mbedtls_ssl_setup: out of memory");
	mbedtls_ssl_set_bio(&s->ssl, s, tls_send, tls_recv, NULL);
	mbedtls_ssl_set_verify(&s->ssl, tls_verify_cb, s);
	/* SNI; the subjectAltName itself is checked by tls_san_match. */
	if (tls->hostname != NULL && !tls_is_address(tls->hostname) &&
	    mbedtls_ssl_set_hostname(&s->ssl, tls->hostname) != 0)
		fatalx("mbedtls_ssl_set_hostname: out of memory");
	return s;
}

void
pogo_tls_session_free(struct pogo_tls_session *s)
{
	if (s == NULL)
		return;
	mbedtls_ssl_free(&s->ssl);
	if (s->in != NULL)
		mbedtls_platform_zeroize(s->in, s->incap);
	free(s->in);
	free(s->out);
	free(s);
}

void
pogo_tls_session_feed(struct pogo_tls_session *s, const char *data, size_t len)
{
	if (s->inoff > 0 && s->inlen + len > s->incap) {
		memmove(s->in, s->in + s->inoff, s->inlen - s->inoff);
		s->inlen -= s->inoff;
		s->inoff = 0;
	}
	if (s->inlen + len > s->incap) {
		s->incap = s->inlen + len > 2 * s->incap ? s->inlen + len
		                                         : 2 * s->incap;
		s->in = xreallocarray(s->in, 1, s->incap);
	}
	memcpy(s->in + s->inlen, data, len);
	s->inlen += len;
}

/* After the handshake: the checks mbedTLS leaves to us (pins only). */
static int
tls_check_peer(struct pogo_tls_session *s, char **cause)
{
	const mbedtls_x509_crt *peer = mbedtls_ssl_get_peer_cert(&s->ssl);
	uint32_t flags = mbedtls_ssl_get_verify_result(&s->ssl);
	char info[256];

	if (peer == NULL && s->tls->peer_optional) {
		s->cn[0] = '\0';
		return 0;
	}
	if (peer == NULL) {
		xasprintf(cause, "the peer sent no certificate");
		return POGO_ERR_TLS;
	}
	if (flags != 0) {
		if (s->reason[0] != '\0')
			xasprintf(cause, "%s", s->reason);
		else {
			mbedtls_x509_crt_verify_info(
			    info, sizeof(info), "", flags);
			info[strcspn(info, "\n")] = '\0';
			xasprintf(cause, "the peer certificate: %s", info);
		}
		return POGO_ERR_TLS;
	}
	return 0;
}

int
pogo_tls_session_handshake(struct pogo_tls_session *s, char **cause)
{
	uint32_t flags;
	char info[256], *e;
	int ret;

	*cause = NULL;
	if (s->ready)
		return 0;
	ret = mbedtls_ssl_handshake(&s->ssl);
	if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
	    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 1;
	if (ret != 0) {
		flags = mbedtls_ssl_get_verify_result(&s->ssl);
		if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED &&
		    s->reason[0] != '\0')
			xasprintf(cause, "%s", s->reason);
		else if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED &&
		    flags != 0 && flags != (uint32_t)-1) {
			mbedtls_x509_crt_verify_info(
			    info, sizeof(info), "", flags);
			info[strcspn(info, "\n")] = '\0';
			xasprintf(cause, "the peer certificate: %s", info);
		} else {
			e = tls_strerror(ret);
			xasprintf(cause, "TLS handshake: %s", e);
			free(e);
		}
		return POGO_ERR_TLS;
	}
	if (tls_check_peer(s, cause) != 0)
		return POGO_ERR_TLS;
	s->ready = true;
	return 0;
}

bool
pogo_tls_session_ready(const struct pogo_tls_session *s)
{
	return s->ready;
}

ssize_t
pogo_tls_session_read(struct pogo_tls_session *s, char *buf, size_t len)
{
	int ret;

	ret = mbedtls_ssl_read(&s->ssl, (unsigned char *)buf, len);
	if (ret > 0)
		return ret;
	if (ret == MBEDTLS_ERR_SSL_WANT_READ ||
	    ret == MBEDTLS_ERR_SSL_WANT_WRITE)
		return 0;
	if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		return UV_EOF;
	return POGO_ERR_TLS;
}

bool
pogo_tls_session_pending(const struct pogo_tls_session *s)
{
	return s->inlen > s->inoff || mbedtls_ssl_check_pending(&s->ssl) != 0;
}

int
pogo_tls_session_write(struct pogo_tls_session *s, const char *data, size_t len)
{
	int ret;

	while (len > 0) {
		ret = mbedtls_ssl_write(
		    &s->ssl, (const unsigned char *)data, len);
		if (ret <= 0)
			return POGO_ERR_TLS;
		data += ret;
		len -= (size_t)ret;
	}
	return 0;
}

void
pogo_tls_session_close_notify(struct pogo_tls_session *s)
{
	(void)mbedtls_ssl_close_notify(&s->ssl);
}

char *
pogo_tls_session_take_output(struct pogo_tls_session *s, size_t *lenp)
{
	char *out = s->out;

	*lenp = s->outlen;
	if (s->outlen == 0)
		return NULL;
	s->out = NULL;
	s->outlen = s->outcap = 0;
	return out;
}

const char *
pogo_tls_session_peer_name(const struct pogo_tls_session *s)
{
	return s->cn;
}
