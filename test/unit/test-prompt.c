/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/prompt.c: X-PW 1-5 and W-REDACT (SPEC 13.10). */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/prompt.h"

static void
feed(struct pogo_prompt *p, const char *s, uint64_t t)
{
	pogo_prompt_feed(p, s, strlen(s), t);
}

TEST(X_PW_1_sudo_prompt_after_quiet)
{
	struct pogo_prompt p;
	bool fail;

	pogo_prompt_init(&p, "secret", NULL);
	feed(&p, "[sudo] password for joe: ", 1000);
	ASSERT_NULL(pogo_prompt_check(&p, 1000, &fail));
	ASSERT_NULL(pogo_prompt_check(&p, 1450, &fail));
	ASSERT_STR_EQ(pogo_prompt_check(&p, 1500, &fail), "secret");
	ASSERT(!fail);
	/* Answered once: the same prompt is not answered again. */
	ASSERT_NULL(pogo_prompt_check(&p, 2500, &fail));
}

TEST(X_PW_2_sorry_is_a_dealbreaker)
{
	struct pogo_prompt p;
	bool fail;

	pogo_prompt_init(&p, "secret", NULL);
	feed(&p, "[sudo] password for joe: ", 0);
	ASSERT_STR_EQ(pogo_prompt_check(&p, 500, &fail), "secret");
	ASSERT(pogo_prompt_feed(&p, "\r\nSorry, try again.\r\n", 20, 600));
	ASSERT_NULL(pogo_prompt_check(&p, 2000, &fail));
	ASSERT(fail);
}

TEST(X_PW_3_prompt_in_the_middle_is_not_answered)
{
	struct pogo_prompt p;
	uint64_t t;
	bool fail;

	pogo_prompt_init(&p, "secret", NULL);
	feed(&p, "Password: done", 0);
	for (t = 200; t <= 3000; t += 200) {
		ASSERT_NULL(pogo_prompt_check(&p, t, &fail));
		feed(&p, "\nmore output", t);
	}
	ASSERT_NULL(pogo_prompt_check(&p, t + 1000, &fail));
	ASSERT(!fail);
}

TEST(X_PW_4_passphrase)
{
	struct pogo_prompt p;
	bool fail;

	pogo_prompt_init(&p, "secret", "phrase");
	feed(&p, "Enter passphrase for /k: ", 0);
	ASSERT_STR_EQ(pogo_prompt_check(&p, 500, &fail), "phrase");
	pogo_prompt_init(&p, "secret", NULL);
	feed(&p, "Enter passphrase for /k: ", 0);
	ASSERT_NULL(pogo_prompt_check(&p, 500, &fail));
	ASSERT(!fail);
}

/* Under --run-as without a password, sudo's prompt cannot be answered:
 * fail at once instead of waiting for the timeout. */
TEST(password_prompt_without_a_password_fails)
{
	struct pogo_prompt p;
	bool fail;

	pogo_prompt_init(&p, NULL, NULL);
	feed(&p, "[sudo] password for joe: ", 0);
	ASSERT_NULL(pogo_prompt_check(&p, 400, &fail));
	ASSERT(!fail);
	ASSERT_NULL(pogo_prompt_check(&p, 500, &fail));
	ASSERT(fail);
	ASSERT_STR_EQ(pogo_prompt_failure(&p),
	    "authentication failed: a password prompt and no password");
	/* Other failures keep the plain message. */
	pogo_prompt_init(&p, "secret", NULL);
	ASSERT(pogo_prompt_feed(&p, "Sorry, try again.", 17, 0));
	ASSERT_STR_EQ(pogo_prompt_failure(&p), "authentication failed");
}

TEST(X_PW_5_fourth_prompt_fails)
{
	struct pogo_prompt p;
	uint64_t t = 0;
	bool fail;
	int i;

	pogo_prompt_init(&p, "secret", NULL);
	for (i = 0; i < 3; i++) {
		feed(&p, "Password: ", t);
		t += 500;
		ASSERT_STR_EQ(pogo_prompt_check(&p, t, &fail), "secret");
	}
	feed(&p, "Password: ", t);
	ASSERT_NULL(pogo_prompt_check(&p, t + 500, &fail));
	ASSERT(fail);
}

TEST(dealbreaker_split_across_chunks)
{
	struct pogo_prompt p;

	pogo_prompt_init(&p, "x", NULL);
	ASSERT(!pogo_prompt_feed(&p, "Sorry, tr", 9, 0));
	ASSERT(pogo_prompt_feed(&p, "y again.", 8, 1));
}

struct sink {
	char buf[512];
	size_t len;
};

static void
sink_out(const char *d, size_t n, void *arg)
{
	struct sink *s = arg;

	memcpy(s->buf + s->len, d, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

TEST(W_REDACT_across_chunks)
{
	static const char *text = "a Pw-Canary-4711 b Pw-Canary-4711Pw-Ca";
	struct pogo_redact r;
	struct sink s;
	size_t cut, len = strlen(text);

	/* Every split point of the text gives the same result. */
	for (cut = 0; cut <= len; cut++) {
		memset(&s, 0, sizeof(s));
		pogo_redact_init(&r, "Pw-Canary-4711");
		pogo_redact_feed(&r, text, cut, sink_out, &s);
		pogo_redact_feed(&r, text + cut, len - cut, sink_out, &s);
		pogo_redact_flush(&r, sink_out, &s);
		ASSERT_STR_EQ(s.buf, "a ******** b ********Pw-Ca");
	}
	/* Short secrets are not redacted. */
	memset(&s, 0, sizeof(s));
	pogo_redact_init(&r, "abc");
	pogo_redact_feed(&r, "abcabc", 6, sink_out, &s);
	pogo_redact_flush(&r, sink_out, &s);
	ASSERT_STR_EQ(s.buf, "abcabc");
}
