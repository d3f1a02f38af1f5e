/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The prompt filler and the redactor of SPEC 9.6.  Prompts are matched with
 * POSIX extended regular expressions anchored at the end of the output
 * received since the last answer; dealbreakers are searched in a sliding
 * window so that one split across two reads is still seen.  No I/O and no
 * clock: the SSH executor calls in with the time.
 */
#include "pogo/compat.h"

#include <regex.h>

#include "pogo/log.h"
#include "pogo/prompt.h"

static const char *prompt_dealbreakers[] = {
	"Sorry, try again.",
	"Mismatch; try again, EOF to quit.",
	"New password:",
	"Retype new password:",
	"Permission denied, please try again.",
	"Bad passphrase, try again:",
};

static const char prompt_password_re[] =
    "(\\[sudo\\] password for [A-Za-z0-9_]+|assword):[[:space:]]*$";
static const char prompt_passphrase_re[] =
    "Enter passphrase for .+:[[:space:]]*$";

void
pogo_prompt_init(
    struct pogo_prompt *p, const char *password, const char *passphrase)
{
	memset(p, 0, sizeof(*p));
	p->password = password;
	p->passphrase = passphrase;
}

/* Does text match the extended regular expression re? */
static bool
prompt_match(const char *re, const char *text)
{
	regex_t rx;
	bool m;

	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		POGO_BUG("prompt expression does not compile: %s", re);
	m = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

bool
pogo_prompt_feed(
    struct pogo_prompt *p, const char *data, size_t len, uint64_t now_ms)
{
	char buf[sizeof(p->window) + 4096 + 1];
	size_t i, n, keep, d;

	if (len == 0)
		return p->failed;
	p->last_ms = now_ms;
	/* The tail: the last POGO_PROMPT_TAIL bytes since the answer. */
	if (len >= POGO_PROMPT_TAIL) {
		memcpy(
		    p->tail, data + len - POGO_PROMPT_TAIL, POGO_PROMPT_TAIL);
		p->tlen = POGO_PROMPT_TAIL;
	} else {
		if (p->tlen + len > POGO_PROMPT_TAIL) {
			keep = POGO_PROMPT_TAIL - len;
			memmove(p->tail, p->tail + p->tlen - keep, keep);
			p->tlen = keep;
		}
		memcpy(p->tail + p->tlen, data, len);
		p->tlen += len;
	}
	p->tail[p->tlen] = '\0';
	/* Dealbreakers, in the window plus this chunk (in pieces). */
	for (i = 0; i < len; i += n) {
		n = len - i > 4096 ? 4096 : len - i;
		memcpy(buf, p->window, p->wlen);
		memcpy(buf + p->wlen, data + i, n);
		buf[p->wlen + n] = '\0';
		for (d = 0; d < POGO_NELEM(prompt_dealbreakers); d++) {
			if (memmem(buf, p->wlen + n, prompt_dealbreakers[d],
			        strlen(prompt_dealbreakers[d])) != NULL)
				p->failed = true;
		}
		keep = p->wlen + n < sizeof(p->window) - 1
		    ? p->wlen + n
		    : sizeof(p->window) - 1;
		memmove(p->window, buf + p->wlen + n - keep, keep);
		p->wlen = keep;
	}
	return p->failed;
}

const char *
pogo_prompt_check(struct pogo_prompt *p, uint64_t now_ms, bool *failp)
{
	const char *answer = NULL;
	size_t i;

	*failp = p->failed;
	if (p->failed || p->tlen == 0 ||
	    now_ms < p->last_ms + POGO_PROMPT_QUIET_MS)
		return NULL;
	/* NUL bytes would hide the end of the text from regexec. */
	for (i = 0; i < p->tlen; i++) {
		if (p->tail[i] == '\0')
			p->tail[i] = ' ';
	}
	if (prompt_match(prompt_password_re, p->tail)) {
		if ((answer = p->password) == NULL) {
			/* Nothing can answer it: it would wait for ever. */
			p->failed = p->nosecret = true;
			*failp = true;
			return NULL;
		}
	} else if (prompt_match(prompt_passphrase_re, p->tail))
		answer = p->passphrase;
	else
		return NULL;
	if (answer == NULL)
		return NULL;
	if (p->answers >= POGO_PROMPT_MAX_ANSWERS) {
		p->failed = true;
		*failp = true;
		return NULL;
	}
	p->answers++;
	p->tlen = 0;
	p->tail[0] = '\0';
	return answer;
}

const char *
pogo_prompt_failure(const struct pogo_prompt *p)
{
	if (p->nosecret)
		return "authentication failed: a password prompt and no "
		       "password";
	return "authentication failed";
}

void
pogo_redact_init(struct pogo_redact *r, const char *secret)
{
	memset(r, 0, sizeof(*r));
	if (secret != NULL && strlen(secret) >= 4 &&
	    strlen(secret) < sizeof(r->hold)) {
		r->secret = secret;
		r->slen = strlen(secret);
	}
}

/*
 * Longest suffix of buf[0..n) that is a proper prefix of the secret: it
 * must be held back until the next bytes tell.
 */
static size_t
redact_partial(const struct pogo_redact *r, const char *buf, size_t n)
{
	size_t k = n < r->slen - 1 ? n : r->slen - 1;

	for (; k > 0; k--) {
		if (memcmp(buf + n - k, r->secret, k) == 0)
			return k;
	}
	return 0;
}

void
pogo_redact_feed(struct pogo_redact *r, const char *data, size_t len,
    void (*out)(const char *d, size_t n, void *arg), void *arg)
{
	char buf[sizeof(r->hold) + 4096];
	const char *hit;
	size_t i, n, start, held;

	if (r->secret == NULL) {
		out(data, len, arg);
		return;
	}
	for (i = 0; i < len; i += n) {
		n = len - i > 4096 ? 4096 : len - i;
		memcpy(buf, r->hold, r->hlen);
		memcpy(buf + r->hlen, data + i, n);
		held = r->hlen + n;
		r->hlen = 0;
		start = 0;
		while ((hit = memmem(buf + start, held - start, r->secret,
		            r->slen)) != NULL) {
			out(buf + start, (size_t)(hit - (buf + start)), arg);
			out("********", 8, arg);
			start = (size_t)(hit - buf) + r->slen;
		}
		r->hlen = redact_partial(r, buf + start, held - start);
		out(buf + start, held - start - r->hlen, arg);
		memcpy(r->hold, buf + held - r->hlen, r->hlen);
	}
}

void
pogo_redact_flush(struct pogo_redact *r,
    void (*out)(const char *d, size_t n, void *arg), void *arg)
{
	if (r->hlen > 0)
		out(r->hold, r->hlen, arg);
	r->hlen = 0;
}
