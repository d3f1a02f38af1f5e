/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Range expansion exactly as SPEC 2.8 defines it: a FIFO queue of patterns,
 * brackets before braces, "!" pieces that remove earlier results.  Removal
 * is O(1) per removed name: every item carries a sequence number, and a
 * removal records, per name, the sequence number below which occurrences
 * are dead.  Dead items are dropped when they are dequeued or emitted, so a
 * pattern with a million names and many exclusions stays linear.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/range.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"

struct range_item {
	char *s;
	uint64_t seq;
};

struct range_list {
	struct range_item *v;
	size_t n;
	size_t cap;
	size_t head;
};

struct range_ctx {
	struct range_list queue;
	struct range_list out;
	uint64_t seq;
	size_t max;
	size_t bytes; /* of every string made, dead ones included */
	struct pogo_strtab *killed; /* names removed by "!" pieces */
	uint64_t *killed_before;    /* per killed id */
	size_t killed_cap;
};

/* Parts of a pattern matched by the bracket or brace rule. */
struct range_match {
	size_t pre_len;
	const char *body;
	size_t body_len;
	const char *post;
	size_t post_len;
	const char *rest; /* NULL when there is no ',' after post */
};

static void
range_list_push(struct range_list *l, char *s, uint64_t seq)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n].s = s;
	l->v[l->n].seq = seq;
	l->n++;
}

static void
range_list_clear(struct range_list *l)
{
	size_t i;

	for (i = l->head; i < l->n; i++)
		free(l->v[i].s);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Number of items held, dead ones included. */
static size_t
range_size(const struct range_ctx *c)
{
	return c->out.n + (c->queue.n - c->queue.head);
}

static bool
range_dead(const struct range_ctx *c, const struct range_item *it)
{
	uint32_t id;

	if (c->killed == NULL)
		return false;
	id = pogo_strtab_find(c->killed, it->s, strlen(it->s));
	return id != POGO_STRTAB_NONE && it->seq < c->killed_before[id];
}

/* Remove every present occurrence of s from the output and the queue. */
static void
range_kill(struct range_ctx *c, const char *s, size_t len)
{
	uint32_t id;

	if (c->killed == NULL)
		c->killed = pogo_strtab_new();
	id = pogo_strtab_intern(c->killed, s, len, NULL);
	if (id >= c->killed_cap) {
		c->killed_cap = c->killed_cap ? c->killed_cap * 2 : 16;
		c->killed_before = xreallocarray(
		    c->killed_before, c->killed_cap, sizeof(*c->killed_before));
	}
	c->killed_before[id] = c->seq;
}

/*
 * Match ^(.*?)OPEN([^CLOSE]+)CLOSE([^,{[]*)(,(.*))?$ with the shortest
 * prefix: the first OPEN that is directly followed by at least one
 * non-CLOSE byte, then CLOSE, then a run free of ',', '{' and '[' up to a
 * ',' or the end.
 */
static bool
range_match(const char *p, char open, char close, struct range_match *m)
{
	const char *o, *b, *q;

	for (o = strchr(p, open); o != NULL; o = strchr(o + 1, open)) {
		b = o + 1;
		if (*b == close || *b == '\0')
			continue;
		if ((q = strchr(b, close)) == NULL)
			return false;
		m->pre_len = (size_t)(o - p);
		m->body = b;
		m->body_len = (size_t)(q - b);
		m->post = q + 1;
		for (q = q + 1; *q != '\0' && *q != ','; q++) {
			if (*q == '{' || *q == '[')
				break;
		}
		if (*q == '{' || *q == '[')
			continue;
		m->post_len = (size_t)(q - m->post);
		m->rest = *q == ',' ? q + 1 : NULL;
		return true;
	}
	return false;
}

static size_t
range_digits(const char *s, size_t len, uint64_t *vp)
{
	size_t i;
	uint64_t v = 0;

	for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (i >= 18)
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*vp = v;
	return i;
}

/* pre + n (zero-padded to width) + post, without printf's cost. */
static char *
range_format(const char *p, const struct range_match *m, size_t width,
    uint64_t n, size_t *lenp)
{
	char digits[24], *s;
	size_t nd = 0, pad, len;

	do {
		digits[nd++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	pad = width > nd ? width - nd : 0;
	len = m->pre_len + pad + nd + m->post_len;
	s = xmalloc(len + 1);
	memcpy(s, p, m->pre_len);
	memset(s + m->pre_len, '0', pad);
	for (len = m->pre_len + pad; nd > 0; len++)
		s[len] = digits[--nd];
	memcpy(s + len, m->post, m->post_len);
	len += m->post_len;
	s[len] = '\0';
	*lenp = len;
	return s;
}

/* Expand one bracket body piece; returns 0 or POGO_ERR_RANGE. */
static int
range_piece(struct range_ctx *c, const char *p, const struct range_match *m,
    const char *piece, size_t len)
{
	uint64_t lo, hi, n;
	size_t dl, dh = 0, width = 0, slen;
	bool neg = false;
	char *s;

	if (len > 0 && piece[0] == '!') {
		neg = true;
		piece++;
		len--;
	}
	if ((dl = range_digits(piece, len, &lo)) == 0)
		return POGO_ERR_RANGE;
	hi = lo;
	dh = dl;
	if (dl != len) {
		if (piece[dl] != '-')
			return POGO_ERR_RANGE;
		dh = range_digits(piece + dl + 1, len - dl - 1, &hi);
		if (dh == 0 || dl + 1 + dh != len)
			return POGO_ERR_RANGE;
	}
	if (dl == dh && dl > 1)
		width = dl;
	if (hi < lo)
		return 0;
	if (!neg && hi - lo >= c->max - range_size(c))
		return POGO_ERR_RANGE;
	if (!neg &&
	    (hi - lo + 1) * (m->pre_len + m->post_len + dl) >
	        POGO_RANGE_MAX_BYTES - c->bytes)
		return POGO_ERR_RANGE;
	for (n = lo;; n++) {
		s = range_format(p, m, width, n, &slen);
		c->bytes += slen + 1;
		if (c->bytes > POGO_RANGE_MAX_BYTES) {
			free(s);
			return POGO_ERR_RANGE;
		}
		if (neg) {
			range_kill(c, s, slen);
			free(s);
		} else
			range_list_push(&c->queue, s, c->seq);
		if (n == hi)
			break;
	}
	c->seq++;
	return 0;
}

/* Apply the bracket rule to p; returns 0 or POGO_ERR_RANGE. */
static int
range_brackets(struct range_ctx *c, const char *p, const struct range_match *m)
{
	const char *piece = m->body, *end = m->body + m->body_len, *comma;
	int r;

	while (piece <= end) {
		comma = memchr(piece, ',', (size_t)(end - piece));
		if (comma == NULL)
			comma = end;
		if ((r = range_piece(
		         c, p, m, piece, (size_t)(comma - piece))) != 0)
			return r;
		piece = comma + 1;
	}
	return 0;
}

/* Apply the brace rule to p; returns 0 or POGO_ERR_RANGE. */
static int
range_braces(struct range_ctx *c, const char *p, const struct range_match *m)
{
	const char *alt = m->body, *end = m->body + m->body_len, *comma;
	char *s;

	while (alt <= end) {
		comma = memchr(alt, ',', (size_t)(end - alt));
		if (comma == NULL)
			comma = end;
		if (range_size(c) >= c->max)
			return POGO_ERR_RANGE;
		c->bytes +=
		    (size_t)xasprintf(&s, "%.*s%.*s%.*s", (int)m->pre_len, p,
		        (int)(comma - alt), alt, (int)m->post_len, m->post) +
		    1;
		if (c->bytes > POGO_RANGE_MAX_BYTES) {
			free(s);
			return POGO_ERR_RANGE;
		}
		range_list_push(&c->queue, s, c->seq);
		alt = comma + 1;
	}
	c->seq++;
	return 0;
}

/* The plain rule: split p on ',' into the output. */
static int
range_plain(struct range_ctx *c, const char *p)
{
	const char *q;

	for (;;) {
		if (range_size(c) >= c->max)
			return POGO_ERR_RANGE;
		q = strchr(p, ',');
		range_list_push(&c->out,
		    xstrndup(p, q != NULL ? (size_t)(q - p) : strlen(p)),
		    c->seq);
		if (q == NULL)
			break;
		p = q + 1;
	}
	c->seq++;
	return 0;
}

/* Trim blanks in place and return the trimmed start. */
static char *
range_trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		s[--len] = '\0';
	return s;
}

int
pogo_range_expand(
    const char *pattern, size_t max, struct pogo_strv *out, char **cause)
{
	struct range_ctx c;
	struct range_match m;
	struct range_item it;
	size_t i, start = out->n;
	char *t;
	int r = POGO_ERR_RANGE;

	if (cause != NULL)
		*cause = NULL;
	memset(&c, 0, sizeof(c));
	c.max = max == 0 ? POGO_RANGE_MAX_ITEMS : max;
	if (strlen(pattern) > POGO_RANGE_MAX_PATTERN)
		goto out;
	range_list_push(&c.queue, xstrdup(pattern), c.seq++);
	while (c.queue.head < c.queue.n) {
		it = c.queue.v[c.queue.head++];
		if (range_dead(&c, &it)) {
			free(it.s);
			continue;
		}
		if (range_match(it.s, '[', ']', &m)) {
			r = range_brackets(&c, it.s, &m);
			if (r == 0 && m.rest != NULL)
				range_list_push(
				    &c.queue, xstrdup(m.rest), c.seq++);
		} else if (range_match(it.s, '{', '}', &m)) {
			r = range_braces(&c, it.s, &m);
			if (r == 0 && m.rest != NULL)
				range_list_push(
				    &c.queue, xstrdup(m.rest), c.seq++);
		} else
			r = range_plain(&c, it.s);
		free(it.s);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < c.out.n; i++) {
		if (range_dead(&c, &c.out.v[i]))
			continue;
		t = range_trim(c.out.v[i].s);
		if (*t == '\0')
			continue;
		if (t == c.out.v[i].s) {
			/* Hand the string over instead of copying it. */
			pogo_strv_take(out, t);
			c.out.v[i].s = NULL;
		} else
			pogo_strv_push(out, t);
	}
	r = out->n > start ? 0 : POGO_ERR_RANGE;
out:
	range_list_clear(&c.queue);
	range_list_clear(&c.out);
	pogo_strtab_free(c.killed);
	free(c.killed_before);
	if (r != 0) {
		while (out->n > start)
			free(out->v[--out->n]);
		if (cause != NULL)
			xasprintf(cause, "invalid range pattern '%s'", pattern);
	}
	return r;
}
