/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The job secrets of the client commands (client-secrets.h, SPEC 12.4,
 * 10.3).
 */
#include "pogo/compat.h"

#include "pogo/askpass.h"
#include "pogo/box.h"
#include "pogo/client-secrets.h"
#include "pogo/client.h"
#include "pogo/error.h"
#include "pogo/http.h"
#include "pogo/json.h"
#include "pogo/proto.h"
#include "pogo/ssh.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/*
 * The worker certificate: the file o->worker_cert, else the first of GET
 * /v1/workercert, checked as SPEC 12.4 says.
 */
static int
secrets_worker_key(struct pogo_client *c,
    const struct pogo_client_secrets_opts *o, struct pogo_box_key **kp,
    char **cause)
{
	struct pogo_client_url u = { 0 };
	struct pogo_json *doc = NULL;
	const struct pogo_json *resp, *cert;
	char *pem = NULL, *err = NULL, *why = NULL;
	size_t len = 0;
	int r;

	*kp = NULL;
	if (o->worker_cert != NULL) {
		if ((r = pogo_box_key_load(o->worker_cert, kp)) != 0) {
			xasprintf(cause, "%s: %s", o->worker_cert,
			    r == POGO_ERR_CRYPTO
			        ? "not a worker certificate or public key"
			        : pogo_strerror(r));
			return POGO_ERR_CONFIG;
		}
		return 0;
	}
	if ((r = pogo_client_url_parse(pogo_client_api(c), &u, cause)) != 0)
		return POGO_ERR_CONFIG;
	/* SPEC 12.4: without a CA, only from a loopback API. */
	if (o->ca == NULL && !pogo_http_name_is_loopback(u.host)) {
		xasprintf(cause,
		    "no worker certificate: give --worker-cert, or a CA "
		    "(--ca) to check the API's /v1/workercert");
		r = POGO_ERR_CONFIG;
		goto out;
	}
	if ((r = pogo_client_call(c, "GET", "/v1/workercert", NULL, 0, &doc,
	         &resp, NULL, &err)) != 0) {
		xasprintf(cause, "the worker certificate: %s", err);
		goto out;
	}
	cert = pogo_json_first(pogo_json_get(resp, "certs"));
	pem = pogo_json_string(pogo_json_get(cert, "pem"), &len);
	if (pem == NULL) {
		xasprintf(cause,
		    "the API knows no worker certificate; give "
		    "--worker-cert");
		r = POGO_ERR_NOTFOUND;
		goto out;
	}
	if ((r = pogo_box_key_parse(pem, len, kp)) != 0) {
		xasprintf(cause, "the API's worker certificate is not usable");
		goto out;
	}
	if (o->ca != NULL && (r = pogo_box_key_verify(*kp, o->ca, &why)) != 0) {
		xasprintf(cause, "the API's worker certificate: %s", why);
		pogo_box_key_free(*kp);
		*kp = NULL;
		r = POGO_ERR_CONFIG;
		goto out;
	}
	r = 0;
out:
	free(why);
	free(pem);
	free(err);
	pogo_json_free(doc);
	pogo_client_url_release(&u);
	return r;
}

/* Seal p[0..len) for k into the field name of *bodyp. */
static int
secrets_field(const struct pogo_box_key *k, const char *name, const char *p,
    size_t len, char **bodyp, char **cause)
{
	char *b64 = NULL, *s = *bodyp;
	int r;

	if ((r = pogo_box_seal_base64(k, p, len, &b64)) != 0) {
		xasprintf(
		    cause, "cannot encrypt the %s: %s", name, pogo_strerror(r));
		return r;
	}
	if (s == NULL)
		xasprintf(bodyp, "%s=", name);
	else {
		xasprintf(bodyp, "%s&%s=", s, name);
		free(s);
	}
	pogo_client_urlenc(bodyp, b64);
	free(b64);
	return 0;
}

int
pogo_client_secrets_add(struct pogo_client *c,
    const struct pogo_client_secrets_opts *o, char **bodyp, char **cause)
{
	struct pogo_box_key *k = NULL;
	char *pw = NULL, *key = NULL, *phrase = NULL, *prompt = NULL;
	size_t keylen = 0;
	int r;

	*cause = NULL;
	if (!o->password && o->identity == NULL)
		return 0;
	if (o->identity != NULL) {
		if ((r = pogo_str_read_file(o->identity, POGO_PROTO_SECRET_MAX,
		         &key, &keylen)) != 0) {
			xasprintf(cause, "%s: %s", o->identity,
			    r == POGO_ERR_LIMIT ? "too large"
			                        : pogo_strerror(r));
			r = POGO_ERR_CONFIG;
			goto out;
		}
		if ((r = pogo_ssh_init(cause)) != 0)
			goto out;
	}
	if ((r = secrets_worker_key(c, o, &k, cause)) != 0)
		goto out;
	if (o->password)
		pw = pogo_askpass("Password: ");
	if (key != NULL && pogo_ssh_key_check(key, NULL) != 0) {
		xasprintf(&prompt, "Enter passphrase for %s: ", o->identity);
		phrase = pogo_askpass(prompt);
		if (pogo_ssh_key_check(key, phrase) != 0) {
			xasprintf(cause,
			    "cannot load identity file %s (not a private key, "
			    "or a wrong passphrase)",
			    o->identity);
			r = POGO_ERR_CONFIG;
			goto out;
		}
	}
	if ((pw != NULL &&
	        (r = secrets_field(
	             k, "password", pw, strlen(pw), bodyp, cause)) != 0) ||
	    (key != NULL &&
	        (r = secrets_field(k, "client_private_key", key, keylen, bodyp,
	             cause)) != 0) ||
	    (phrase != NULL &&
	        (r = secrets_field(k, "pvt_key_passphrase", phrase,
	             strlen(phrase), bodyp, cause)) != 0))
		goto out;
	r = 0;
out:
	if (pw != NULL)
		pogo_freezero(pw, strlen(pw));
	if (phrase != NULL)
		pogo_freezero(phrase, strlen(phrase));
	if (key != NULL)
		pogo_freezero(key, keylen);
	free(prompt);
	pogo_box_key_free(k);
	return r;
}
