/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Prompt answering on a PTY (SPEC 9.6), as a pure module with time as an
 * input: the executor feeds the command's output and asks, once the output
 * has been quiet for POGO_PROMPT_QUIET_MS, whether it ends with a prompt to
 * answer.  Dealbreakers ("Sorry, try again.", ...) anywhere in the output
 * end the task as an authentication failure, as does a fourth prompt.
 * Also the redaction of the job's secrets from captured output, across
 * chunk boundaries.
 */
#ifndef POGO_PROMPT_H
#define POGO_PROMPT_H

#define POGO_PROMPT_QUIET_MS 500
#define POGO_PROMPT_MAX_ANSWERS 3
#define POGO_PROMPT_TAIL 1024

struct pogo_prompt {
	const char *password;            /* borrowed; NULL: none */
	const char *passphrase;          /* borrowed; NULL: none */
	char tail[POGO_PROMPT_TAIL + 1]; /* output since the last answer */
	size_t tlen;
	char window[64]; /* the end of all output, for dealbreakers */
	size_t wlen;
	uint64_t last_ms;
	int answers;
	bool failed;
	bool nosecret; /* failed on a password prompt, with no password */
};

void pogo_prompt_init(
    struct pogo_prompt *p, const char *password, const char *passphrase);

/* Feed output at now_ms; true when a dealbreaker appeared (fail). */
bool pogo_prompt_feed(
    struct pogo_prompt *p, const char *data, size_t len, uint64_t now_ms);

/*
 * At now_ms: if the output has been quiet for POGO_PROMPT_QUIET_MS and
 * ends with a prompt the job has the secret for, return the secret to
 * send (followed by a newline, by the caller); NULL otherwise.  *failp is
 * set when a prompt comes after POGO_PROMPT_MAX_ANSWERS answers, and when
 * a password prompt comes and there is no password (it would wait for
 * ever).  A passphrase prompt without a passphrase is left alone.
 */
const char *pogo_prompt_check(
    struct pogo_prompt *p, uint64_t now_ms, bool *failp);

/* The message of a failure: "authentication failed", with the reason
 * when a password prompt had no password to answer it. */
const char *pogo_prompt_failure(const struct pogo_prompt *p);

/* Streaming redaction of one secret (at least 4 bytes) as "********". */
struct pogo_redact {
	const char *secret; /* borrowed; NULL or short: no redaction */
	size_t slen;
	char hold[256]; /* a possible start of the secret, held back */
	size_t hlen;
};

void pogo_redact_init(struct pogo_redact *r, const char *secret);
/* Pass data through; the redacted bytes go to out(). */
void pogo_redact_feed(struct pogo_redact *r, const char *data, size_t len,
    void (*out)(const char *d, size_t n, void *arg), void *arg);
/* Release what is held (end of stream, or quiet). */
void pogo_redact_flush(struct pogo_redact *r,
    void (*out)(const char *d, size_t n, void *arg), void *arg);

#endif
