/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The boundary to mbedTLS.  Only these files include its headers: src/tls.c
 * (TLS, base64), src/box.c (secret boxes), src/ca.c and src/ca-p12.c
 * (pogo ca, PKCS#12) and src/mbed.c with src/mbed-int.h (their random
 * generator and error translation, and a constant-time comparison for the
 * files that do not include mbedTLS).  mbedTLS's negative error codes
 * overlap errno and never leave those files raw: they become POGO_ERR_*
 * codes there.
 *
 * TLS: src/tls.c holds the TLS configuration of
 * a role (SPEC 10.1) and TLS sessions that are pure engines with no I/O:
 * the caller feeds the bytes it received (pogo_tls_session_feed), drives
 * the handshake, reads plaintext, writes plaintext, and sends what the
 * session wants sent (pogo_tls_session_take_output).  stream.h drives a
 * session over a libuv stream; nothing here ever blocks.
 *
 * TLS 1.2 or later, ECDHE key exchange and AEAD suites only.  Both sides
 * require and verify the peer's certificate: the chain to the CA, the
 * validity dates, the key usage and extended key usage, and the peer's
 * kind (the subject's OU: "dispatcher", "worker" or "client").  With pins
 * (SHA-256 of the DER certificate, hex, ':' optional), the peer must also
 * match one; with pins and no CA, the pins alone decide.  A client given
 * the host name (or address) it connected to also checks that the peer's
 * subjectAltName names it (a DNS entry, compared without case, or an IP
 * entry); a certificate without subjectAltName fails that check.  A client
 * may go without a certificate of its own (an API client with a token).
 */
#ifndef POGO_TLS_H
#define POGO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* mbedTLS's version string. */
const char *pogo_tls_version(void);

/*
 * Whether a[0..len) and b[0..len) hold the same bytes, in a time that
 * depends on len only (mbedTLS's mbedtls_ct_memcmp; src/mbed.c).
 */
bool pogo_mbed_ct_equal(const void *a, const void *b, size_t len);

/* Standard base64 of data[0..len), NUL-terminated (the caller frees). */
char *pogo_tls_base64_encode(const void *data, size_t len);

/*
 * Decode standard base64 (RFC 4648 section 4, with padding): s[0..len)
 * into a new buffer *outp (NUL-terminated, freed by the caller) of
 * *outlenp bytes.  At most max decoded bytes.  Returns 0, POGO_ERR_RANGE
 * for text that is not base64, or POGO_ERR_LIMIT.
 */
int pogo_tls_base64_decode(
    const char *s, size_t len, size_t max, char **outp, size_t *outlenp);

/* ------------------------------------------------------------------ */
/* Configuration of one endpoint (a listener or a connector). */

struct pogo_tls;
struct pogo_tls_session;

struct pogo_tls_opts {
	bool server;             /* accepting side */
	const char *ca_cert;     /* PEM file; NULL or "": pins only */
	const char *cert;        /* this role's certificate (PEM file) */
	const char *key;         /* its private key (PEM file) */
	const char *const *pins; /* SHA-256 fingerprints of peers, or NULL */
	size_t npins;
	const char *peer_kind; /* the OU the peer must have */
	/* Client only: the name the peer's subjectAltName must hold. */
	const char *hostname;
	bool no_cert; /* client only: cert and key may be unset */
	/*
	 * Server only: a client may send no certificate (pogo api, where
	 * the user may authenticate otherwise); one it sends is verified
	 * all the same, and the session's peer name stays "" without one.
	 */
	bool peer_optional;
};

struct pogo_cfg;

/*
 * Fill o from the configuration's tls.* keys (server and peer_kind are
 * left to the endpoint).  Returns false, o untouched, when tls.cert is
 * not set (the role does not use TLS).  The strings stay cfg's.
 */
bool pogo_tls_opts_from_cfg(
    struct pogo_tls_opts *o, const struct pogo_cfg *cfg);

/*
 * Load the files of opts and make a configuration (opts is copied).
 * Returns 0 with *tlsp, or POGO_ERR_CONFIG with *cause (for the caller
 * to print and free) naming what is missing or wrong: "tls.key is not
 * set", "tls.ca_cert is not set", "tls.cert: <file>: <why>", ...
 */
int pogo_tls_new(
    const struct pogo_tls_opts *opts, struct pogo_tls **tlsp, char **cause);
/*
 * Another holder of tls (a client that borrows its maker's): tls stays
 * until each holder and its maker have called pogo_tls_free().
 */
struct pogo_tls *pogo_tls_ref(struct pogo_tls *tls);
/*
 * Give up a hold on a configuration (NULL-safe): freed with the last;
 * the holder's own sessions must be freed first.
 */
void pogo_tls_free(struct pogo_tls *tls);

/*
 * Normalise a pin: 64 hex digits with or without ':' between pairs.
 * Writes 32 bytes to out.  Returns 0 or POGO_ERR_CONFIG.
 */
int pogo_tls_parse_pin(const char *pin, unsigned char out[32]);

/* ------------------------------------------------------------------ */
/* Sessions. */

/* A new session of tls (borrowed: must outlive the session). */
struct pogo_tls_session *pogo_tls_session_new(struct pogo_tls *tls);
/* Free a session (NULL-safe); its key material is wiped. */
void pogo_tls_session_free(struct pogo_tls_session *s);

/* Bytes received from the peer (copied). */
void pogo_tls_session_feed(
    struct pogo_tls_session *s, const char *data, size_t len);
/*
 * Go on with the handshake.  Returns 0 when it is complete and the peer
 * passed every check, 1 when it needs more input, or POGO_ERR_TLS with
 * *cause (the caller frees it) saying why the peer or the handshake was
 * refused.
 */
int pogo_tls_session_handshake(struct pogo_tls_session *s, char **cause);
/* Is the handshake complete? */
bool pogo_tls_session_ready(const struct pogo_tls_session *s);
/*
 * Read plaintext into buf (after the handshake).  Returns the number of
 * bytes (> 0), 0 when more input is needed, UV_EOF for the peer's
 * close_notify, or POGO_ERR_TLS (a bad record: the connection is over).
 */
ssize_t pogo_tls_session_read(
    struct pogo_tls_session *s, char *buf, size_t len);
/* Is input buffered that read or handshake has not consumed yet? */
bool pogo_tls_session_pending(const struct pogo_tls_session *s);
/* Encrypt len bytes (after the handshake).  Returns 0 or POGO_ERR_TLS. */
int pogo_tls_session_write(
    struct pogo_tls_session *s, const char *data, size_t len);
/* Queue a close_notify alert. */
void pogo_tls_session_close_notify(struct pogo_tls_session *s);
/*
 * The bytes the session wants sent, in a new buffer that the caller
 * frees, or NULL (*lenp 0) when there are none.
 */
char *pogo_tls_session_take_output(struct pogo_tls_session *s, size_t *lenp);
/* The peer certificate's CN after the handshake ("" if none). */
const char *pogo_tls_session_peer_name(const struct pogo_tls_session *s);

#endif
