/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Range expansion exactly as SPEC 2.8 defines it: a FIFO queue of patterns,
 * brackets before braces, "!" pieces that remove earlier results.  Removal
 * is O(1) per removed name: every item carries a sequence number, and a
 * removal records, per name, the sequence number below which occurrences
 * are dead.  Dead items are dropped when they are dequeued or emitted, so a
 * pattern with a million names and many exclusions stays linear.  A "!"
 * piece with more names than there are items, or whose names would take
 * that table past the item limit, compares every item held with its
 * names instead and frees the ones it makes in place (range_exclude):
 * what a removal costs is bounded by what is held, not by the piece.
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

/* Names in the table of removed names. */
static size_t
range_killed(const struct range_ctx *c)
{
	return c->killed != NULL ? pogo_strtab_count(c->killed) : 0;
}

/* Removed: by a "!" piece's name, or in place (NULL). */
static bool
range_dead(const struct range_ctx *c, const struct range_item *it)
{
	uint32_t id;

	if (it->s == NULL)
		return true;
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
		if (*q == '{' || *q == '[') {
			/*
			 * Every OPEN before this CLOSE shares it and its post:
			 * go on after it, so a match is linear in p.
			 */
			o = m->post - 1;
			continue;
		}
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

/* A bracket body piece: ^(!?)(\d+)(-(\d+))?$ */
struct range_piece {
	bool neg;
	uint64_t lo;
	uint64_t hi;
	size_t dl;    /* digits of lo */
	size_t width; /* zero-padding width, 0 for none */
};

static int
range_piece_parse(const char *piece, size_t len, struct range_piece *pc)
{
	size_t dl, dh;

	pc->neg = false;
	if (len > 0 && piece[0] == '!') {
		pc->neg = true;
		piece++;
		len--;
	}
	if ((dl = range_digits(piece, len, &pc->lo)) == 0)
		return POGO_ERR_RANGE;
	pc->hi = pc->lo;
	dh = dl;
	if (dl != len) {
		if (piece[dl] != '-')
			return POGO_ERR_RANGE;
		dh = range_digits(piece + dl + 1, len - dl - 1, &pc->hi);
		if (dh == 0 || dl + 1 + dh != len)
			return POGO_ERR_RANGE;
	}
	pc->dl = dl;
	pc->width = dl == dh && dl > 1 ? dl : 0;
	return 0;
}

/*
 * Whether s is a name the piece pc of m makes: pre, then n in [lo, hi]
 * written as range_format() writes it, then post.  It reads at most
 * pre_len + 19 + post_len + 1 bytes of s (RANGE_MAKES_READS), whatever
 * its length.
 */
#define RANGE_MAKES_READS(m) ((m)->pre_len + (m)->post_len + 20)
static bool
range_piece_makes(const char *s, const char *p, const struct range_match *m,
    const struct range_piece *pc)
{
	size_t dl;
	uint64_t n;

	if (strncmp(s, p, m->pre_len) != 0)
		return false;
	s += m->pre_len;
	/* At most 18 digits (range_digits), as the piece's own. */
	if ((dl = range_digits(s, 19, &n)) == 0)
		return false;
	if (strncmp(s + dl, m->post, m->post_len) != 0 ||
	    s[dl + m->post_len] != '\0')
		return false;
	/* Padded to the width, or without leading zeros. */
	if (pc->width > 0 ? dl != pc->width : dl > 1 && s[0] == '0')
		return false;
	return n >= pc->lo && n <= pc->hi;
}

/*
 * A "!" piece whose names would outnumber the items held, or take the
 * table of removed names past the item limit: remove the items it would
 * make (their strings freed, NULL left in place) instead of making its
 * names.  What each item can cost to compare counts as made in the byte
 * budget (as a name made would), which bounds the time; nothing is
 * allocated.
 */
static int
range_exclude(struct range_ctx *c, const char *p, const struct range_match *m,
    const struct range_piece *pc)
{
	struct range_list *lists[] = { &c->out, &c->queue };
	struct range_item *it;
	size_t i, j;

	for (j = 0; j < POGO_NELEM(lists); j++) {
		i = lists[j] == &c->queue ? c->queue.head : 0;
		for (; i < lists[j]->n; i++) {
			it = &lists[j]->v[i];
			c->bytes += it->s != NULL ? RANGE_MAKES_READS(m) : 1;
			if (c->bytes > POGO_RANGE_MAX_BYTES)
				return POGO_ERR_RANGE;
			if (it->s != NULL &&
			    range_piece_makes(it->s, p, m, pc)) {
				free(it->s);
				it->s = NULL;
			}
		}
	}
	c->seq++;
	return 0;
}

/* Expand one bracket body piece; returns 0 or POGO_ERR_RANGE. */
static int
range_piece(struct range_ctx *c, const char *p, const struct range_match *m,
    const char *piece, size_t len)
{
	struct range_piece pc;
	uint64_t lo, hi, n;
	size_t dl, width, slen;
	bool neg;
	char *s;

	if (range_piece_parse(piece, len, &pc) != 0)
		return POGO_ERR_RANGE;
	neg = pc.neg;
	lo = pc.lo;
	hi = pc.hi;
	dl = pc.dl;
	width = pc.width;
	if (hi < lo)
		return 0;
	if (neg &&
	    (hi - lo >= range_size(c) || hi - lo >= c->max - range_killed(c)))
		return range_exclude(c, p, m, &pc);
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

/*
 * Counting.  A stack of patterns, each with a weight: how many patterns
 * of the same structure it stands for.  The names a pattern makes depend
 * on where its '[', ']', '{', '}' and ',' are, and on the text that ends
 * up inside bracket bodies.  Text put in place of a bracket (digits) or
 * of a brace (an alternative without '[', ']' or '{') can only end up in
 * a body if a '[' comes before it and a ']' after it: otherwise every
 * such pattern makes as many names, and a bracket is counted as one
 * pattern weighted by its number of names, a brace of plain alternatives
 * as one weighted by their number.  Other brackets and braces keep a
 * frame that makes one number or alternative at a time.
 */
enum range_cframe_kind {
	RANGE_CF_NEW,  /* s not looked at yet */
	RANGE_CF_ALTS, /* a brace: alternatives one by one */
	RANGE_CF_NUMS, /* a bracket: numbers one by one */
};

/*
 * A pattern made while counting, shared by the frames that use it: the
 * text after a bracket or brace's ',' (its rest) is counted in place,
 * without a copy, so a long list costs no more than its length.
 */
struct range_cbuf {
	size_t refs;
	size_t len;
	char data[];
};

struct range_cframe {
	struct range_cbuf *buf;
	const char *s; /* a suffix of buf->data */
	uint64_t w;
	enum range_cframe_kind kind;
	struct range_match m;
	const char *next; /* next alternative or bracket piece */
	uint64_t n;       /* RANGE_CF_NUMS: next number, up to hi */
	uint64_t hi;
	size_t width;
	bool in_piece;
};

struct range_count {
	struct range_cframe *v;
	size_t n;
	size_t cap;
	uint64_t total;
	uint64_t lim; /* max + 1: counts saturate there */
	size_t held;
	size_t made;
};

static uint64_t
range_sat_mul(uint64_t a, uint64_t b, uint64_t lim)
{
	if (a == 0 || b == 0)
		return 0;
	if (a >= lim || b >= lim || a > lim / b)
		return lim;
	return a * b < lim ? a * b : lim;
}

static uint64_t
range_sat_add(uint64_t a, uint64_t b, uint64_t lim)
{
	return a >= lim || b >= lim || a + b >= lim ? lim : a + b;
}

static void
range_cbuf_unref(struct range_count *k, struct range_cbuf *b)
{
	if (--b->refs > 0)
		return;
	k->held -= sizeof(*b) + b->len + 1;
	free(b);
}

/* A new buffer of len bytes (filled by the caller), or NULL past bounds. */
static struct range_cbuf *
range_cbuf_new(struct range_count *k, size_t len)
{
	struct range_cbuf *b;
	size_t cost = sizeof(*b) + len + 1;

	if (k->held + cost > POGO_RANGE_COUNT_MAX_HELD ||
	    k->made + cost > POGO_RANGE_COUNT_MAX_MADE)
		return NULL;
	k->held += cost;
	k->made += cost;
	b = xmalloc(cost);
	b->refs = 0;
	b->len = len;
	b->data[len] = '\0';
	return b;
}

/* Push a frame on s, a suffix of b (which it references). */
static int
range_count_push(struct range_count *k, struct range_cbuf *b, const char *s,
    uint64_t w, enum range_cframe_kind kind, const struct range_match *m)
{
	struct range_cframe *f;

	if (k->held + sizeof(*f) > POGO_RANGE_COUNT_MAX_HELD) {
		if (b->refs == 0) { /* a new buffer nobody else holds */
			b->refs = 1;
			range_cbuf_unref(k, b);
		}
		return POGO_ERR_RANGE;
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->v = xreallocarray(k->v, k->cap, sizeof(*k->v));
	}
	k->held += sizeof(*f);
	f = &k->v[k->n++];
	memset(f, 0, sizeof(*f));
	b->refs++;
	f->buf = b;
	f->s = s;
	f->w = w;
	f->kind = kind;
	if (m != NULL) {
		f->m = *m;
		f->next = m->body;
	}
	return 0;
}

/* Pop the top frame. */
static void
range_count_pop(struct range_count *k)
{
	struct range_cframe *f = &k->v[--k->n];

	k->held -= sizeof(*f);
	range_cbuf_unref(k, f->buf);
}

/* Push pre + mid + post of p (a new pattern) with weight w. */
static int
range_count_child(struct range_count *k, const char *p,
    const struct range_match *m, const char *mid, size_t midlen, uint64_t w)
{
	struct range_cbuf *b;
	size_t len = m->pre_len + midlen + m->post_len;

	if ((b = range_cbuf_new(k, len)) == NULL)
		return POGO_ERR_RANGE;
	memcpy(b->data, p, m->pre_len);
	memcpy(b->data + m->pre_len, mid, midlen);
	memcpy(b->data + m->pre_len + midlen, m->post, m->post_len);
	return range_count_push(k, b, b->data, w, RANGE_CF_NEW, NULL);
}

/* Push the number n of a bracket, formatted as the expansion does. */
static int
range_count_number(struct range_count *k, const char *p,
    const struct range_match *m, size_t width, uint64_t n, uint64_t w)
{
	char digits[24];
	size_t nd = 0, pad, i;

	do {
		digits[nd++] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	pad = width > nd ? width - nd : 0;
	for (i = 0; i < nd / 2; i++) {
		char c = digits[i];

		digits[i] = digits[nd - 1 - i];
		digits[nd - 1 - i] = c;
	}
	if (pad > 0) {
		memmove(digits + pad, digits, nd);
		memset(digits, '0', pad);
	}
	return range_count_child(k, p, m, digits, pad + nd, w);
}

/*
 * Could text put between pre and post end up inside a bracket or brace
 * body?  There it is split, parsed or makes a body of an empty one
 * (`c{` + `e` + `}`), so names that differ may count differently.
 */
static bool
range_may_enter_body(const char *p, const struct range_match *m)
{
	return (memchr(p, '[', m->pre_len) != NULL &&
	           memchr(m->post, ']', m->post_len) != NULL) ||
	    (memchr(p, '{', m->pre_len) != NULL &&
	        memchr(m->post, '}', m->post_len) != NULL);
}

/* A bracket: one pattern for all of its names when that is exact. */
static int
range_count_brackets(struct range_count *k, struct range_cbuf *b, const char *s,
    const struct range_match *m, uint64_t w)
{
	const char *piece = m->body, *end = m->body + m->body_len, *comma;
	struct range_piece pc, first;
	uint64_t names = 0;

	while (piece <= end) {
		comma = memchr(piece, ',', (size_t)(end - piece));
		if (comma == NULL)
			comma = end;
		if (range_piece_parse(piece, (size_t)(comma - piece), &pc) != 0)
			return 0; /* the expansion reports it */
		if (!pc.neg && pc.hi >= pc.lo) {
			if (names == 0)
				first = pc;
			names = range_sat_add(names, pc.hi - pc.lo + 1, k->lim);
		}
		piece = comma + 1;
	}
	if (names == 0)
		return 0;
	if (range_may_enter_body(s, m))
		return range_count_push(k, b, s, w, RANGE_CF_NUMS, m);
	return range_count_number(
	    k, s, m, first.width, first.lo, range_sat_mul(w, names, k->lim));
}

/* A brace: plain alternatives as one pattern, others one by one. */
static int
range_count_braces(struct range_count *k, struct range_cbuf *b, const char *s,
    const struct range_match *m, uint64_t w)
{
	const char *end = m->body + m->body_len, *p;
	uint64_t nalts = 1;

	for (p = m->body; p < end; p++) {
		if (*p == '[' || *p == ']' || *p == '{')
			break;
		if (*p == ',')
			nalts++;
	}
	if (p < end || range_may_enter_body(s, m))
		return range_count_push(k, b, s, w, RANGE_CF_ALTS, m);
	p = memchr(m->body, ',', m->body_len);
	return range_count_child(k, s, m, m->body,
	    p != NULL ? (size_t)(p - m->body) : m->body_len,
	    range_sat_mul(w, nalts, k->lim));
}

/* Make the next pattern of the top frame, or pop it when it is done. */
static int
range_count_frame(struct range_count *k)
{
	struct range_cframe *f = &k->v[k->n - 1];
	const char *end = f->m.body + f->m.body_len, *comma, *alt;
	struct range_piece pc;
	uint64_t n;

	if (f->kind == RANGE_CF_NUMS && f->in_piece) {
		n = f->n;
		if (f->n++ == f->hi)
			f->in_piece = false;
		return range_count_number(k, f->s, &f->m, f->width, n, f->w);
	}
	if (f->next > end) {
		range_count_pop(k);
		return 0;
	}
	comma = memchr(f->next, ',', (size_t)(end - f->next));
	if (comma == NULL)
		comma = end;
	alt = f->next;
	f->next = comma + 1;
	if (f->kind == RANGE_CF_ALTS)
		return range_count_child(
		    k, f->s, &f->m, alt, (size_t)(comma - alt), f->w);
	/* Pieces were checked when the frame was made. */
	if (range_piece_parse(alt, (size_t)(comma - alt), &pc) == 0 &&
	    !pc.neg && pc.hi >= pc.lo) {
		f->n = pc.lo;
		f->hi = pc.hi;
		f->width = pc.width;
		f->in_piece = true;
	}
	return 0;
}

int
pogo_range_count(const char *pattern, size_t max, uint64_t *countp)
{
	struct range_count k;
	struct range_cframe *f;
	struct range_cbuf *b;
	struct range_match m;
	const char *s, *q;
	uint64_t w, names;
	size_t len;
	bool bracket;
	int r = 0;

	memset(&k, 0, sizeof(k));
	k.lim = (uint64_t)(max == 0 ? POGO_RANGE_MAX_ITEMS : max) + 1;
	*countp = 0;
	if ((len = strlen(pattern)) > POGO_RANGE_MAX_PATTERN)
		return POGO_ERR_RANGE;
	if ((b = range_cbuf_new(&k, len)) == NULL)
		return POGO_ERR_RANGE;
	memcpy(b->data, pattern, len);
	r = range_count_push(&k, b, b->data, 1, RANGE_CF_NEW, NULL);
	while (r == 0 && k.n > 0 && k.total < k.lim) {
		f = &k.v[k.n - 1];
		if (f->kind != RANGE_CF_NEW) {
			r = range_count_frame(&k);
			continue;
		}
		/* Keep the buffer while its text is looked at. */
		b = f->buf;
		b->refs++;
		s = f->s;
		w = f->w;
		range_count_pop(&k);
		bracket = range_match(s, '[', ']', &m);
		if (bracket || range_match(s, '{', '}', &m)) {
			/* The rest is counted in place. */
			if (m.rest != NULL)
				r = range_count_push(
				    &k, b, m.rest, w, RANGE_CF_NEW, NULL);
			if (r == 0 && bracket)
				r = range_count_brackets(&k, b, s, &m, w);
			else if (r == 0)
				r = range_count_braces(&k, b, s, &m, w);
		} else {
			for (names = 1, q = s; (q = strchr(q, ',')) != NULL;
			     q++)
				names++;
			k.total = range_sat_add(
			    k.total, range_sat_mul(w, names, k.lim), k.lim);
		}
		range_cbuf_unref(&k, b);
	}
	while (k.n > 0)
		range_count_pop(&k);
	free(k.v);
	if (r != 0)
		return r;
	if (k.total >= k.lim) {
		*countp = k.lim;
		return POGO_ERR_LIMIT;
	}
	*countp = k.total;
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
	uint64_t count;
	size_t i, start = out->n;
	char *t;
	int r = POGO_ERR_RANGE;

	if (cause != NULL)
		*cause = NULL;
	memset(&c, 0, sizeof(c));
	c.max = max == 0 ? POGO_RANGE_MAX_ITEMS : max;
	/* Refuse before making anything what would make too many names. */
	if (pogo_range_count(pattern, c.max, &count) != 0)
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
