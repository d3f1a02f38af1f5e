/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Formats a schedule as the ASCII table of SPEC 4.2 (the layout of the
 * original Pogo's Text::ASCIITable output): wrapped slot cells, numeric
 * cells right-aligned, a centred title.  Widths count bytes.
 */
#include "pogo/compat.h"

#include "pogo/sched-table.h"
#include "pogo/sched.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

/* One logical cell: its physical lines. */
struct table_cell {
	struct pogo_strv lines;
};

struct table_out {
	char *buf;
	size_t len;
	size_t cap;
};

static void
table_put(struct table_out *o, const char *s, size_t n)
{
	while (o->len + n + 1 > o->cap) {
		o->cap = o->cap ? o->cap * 2 : 1024;
		o->buf = xreallocarray(o->buf, o->cap, 1);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void
table_rep(struct table_out *o, char c, size_t n)
{
	while (n-- > 0)
		table_put(o, &c, 1);
}

/* Wrap text to POGO_SCHED_TABLE_WRAP bytes, words split on single spaces. */
static void
table_wrap(struct table_cell *c, const char *text, bool wrap)
{
	char line[POGO_SCHED_TABLE_WRAP + 1];
	const char *w = text, *sp;
	size_t wl, ll = 0;
	bool have = false;

	if (*text == '\0')
		return;
	if (!wrap) {
		pogo_strv_push(&c->lines, text);
		return;
	}
	for (;;) {
		sp = strchr(w, ' ');
		wl = sp != NULL ? (size_t)(sp - w) : strlen(w);
		if (wl > POGO_SCHED_TABLE_WRAP)
			wl = POGO_SCHED_TABLE_WRAP;
		if (have && ll + 1 + wl > POGO_SCHED_TABLE_WRAP) {
			line[ll] = '\0';
			pogo_strv_push(&c->lines, line);
			have = false;
			ll = 0;
		}
		if (have)
			line[ll++] = ' ';
		memcpy(line + ll, w, wl);
		ll += wl;
		have = true;
		if (sp == NULL)
			break;
		w = sp + 1;
	}
	line[ll] = '\0';
	pogo_strv_push(&c->lines, line);
}

/* ^-?[0-9]+([.,][0-9]+)*[%A-Za-z0-9_]?$ */
static bool
table_numeric(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	while ((*p == '.' || *p == ',') && p[1] >= '0' && p[1] <= '9') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == '%' || *p == '_' || (*p >= 'A' && *p <= 'Z') ||
	    (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
		p++;
	return *p == '\0';
}

static void
table_cell_text(struct table_out *o, const char *text, size_t w)
{
	size_t len = strlen(text);

	table_put(o, " ", 1);
	if (table_numeric(text)) {
		table_rep(o, ' ', w - 2 - len);
		table_put(o, text, len);
	} else {
		table_put(o, text, len);
		table_rep(o, ' ', w - 2 - len);
	}
	table_put(o, " ", 1);
}

static void
table_rule(struct table_out *o, const size_t *w, size_t ncol, char edge)
{
	size_t c;

	table_put(o, &edge, 1);
	for (c = 0; c < ncol; c++) {
		if (c > 0)
			table_put(o, "+", 1);
		table_rep(o, '-', w[c]);
	}
	table_put(o, &edge, 1);
	table_put(o, "\n", 1);
}

/*
 * Text of a slot's host cell: the slot's first max hosts joined with
 * ", ", then "... N more" if the slot has N more.
 */
static char *
table_hosts(const struct pogo_sched *s, uint32_t th, uint32_t sl, uint32_t max)
{
	struct table_out o = { 0 };
	uint32_t first, n, i;
	const char *h;
	char more[48];

	pogo_sched_slot_tasks(s, th, sl, &first, &n);
	table_put(&o, "", 0);
	for (i = 0; i < n && i < max; i++) {
		if (i > 0)
			table_put(&o, ", ", 2);
		h = pogo_sched_task_host(s, first + i);
		table_put(&o, h, strlen(h));
	}
	if (i < n) {
		snprintf(more, sizeof(more), "%s... %" PRIu32 " more",
		    i > 0 ? ", " : "", n - i);
		table_put(&o, more, strlen(more));
	}
	return o.buf;
}

char *
pogo_sched_table(const struct pogo_sched *s, uint32_t max)
{
	struct table_out o = { 0 };
	struct table_cell *cells;
	uint32_t nth = pogo_sched_nthreads(s), th, sl, m = 1;
	size_t ncol, nrow, r, c, i, *w, width, lines, l, pad;
	char *text, title[32];
	const char *t;

	for (th = 0; th < nth; th++) {
		if (pogo_sched_nslots(s, th) > m)
			m = pogo_sched_nslots(s, th);
	}
	ncol = (size_t)m + 1;
	nrow = (size_t)nth * 2;
	cells = xcalloc(nrow * ncol, sizeof(*cells));
	w = xcalloc(ncol, sizeof(*w));
	for (th = 0; th < nth; th++) {
		table_wrap(&cells[th * 2 * ncol], pogo_sched_thread_name(s, th),
		    false);
		for (sl = 0; sl < pogo_sched_nslots(s, th); sl++) {
			xasprintf(
			    &text, "[%s]", pogo_sched_slot_name(s, th, sl));
			table_wrap(&cells[th * 2 * ncol + 1 + sl], text, true);
			free(text);
			text = table_hosts(s, th, sl, max);
			table_wrap(
			    &cells[(th * 2 + 1) * ncol + 1 + sl], text, true);
			free(text);
		}
	}
	w[0] = strlen("Thread");
	for (c = 1; c < ncol; c++)
		w[c] = (size_t)snprintf(title, sizeof(title), "slot-%zu", c);
	for (r = 0; r < nrow; r++) {
		for (c = 0; c < ncol; c++) {
			for (i = 0; i < cells[r * ncol + c].lines.n; i++) {
				l = strlen(cells[r * ncol + c].lines.v[i]);
				if (l > w[c])
					w[c] = l;
			}
		}
	}
	width = 1;
	for (c = 0; c < ncol; c++) {
		w[c] += 2;
		width += w[c] + 1;
	}

	table_put(&o, ".", 1);
	table_rep(&o, '-', width - 2);
	table_put(&o, ".\n| ", 4);
	pad = width - 4 - 8;
	table_rep(&o, ' ', (pad + 1) / 2);
	table_put(&o, "Schedule", 8);
	table_rep(&o, ' ', pad / 2);
	table_put(&o, " |\n", 3);
	table_rule(&o, w, ncol, '+');
	table_put(&o, "|", 1);
	for (c = 0; c < ncol; c++) {
		if (c == 0)
			snprintf(title, sizeof(title), "Thread");
		else
			snprintf(title, sizeof(title), "slot-%zu", c);
		table_cell_text(&o, title, w[c]);
		table_put(&o, "|", 1);
	}
	table_put(&o, "\n", 1);
	table_rule(&o, w, ncol, '+');
	for (r = 0; r < nrow; r++) {
		lines = 0;
		for (c = 0; c < ncol; c++) {
			if (cells[r * ncol + c].lines.n > lines)
				lines = cells[r * ncol + c].lines.n;
		}
		for (l = 0; l < lines; l++) {
			table_put(&o, "|", 1);
			for (c = 0; c < ncol; c++) {
				t = l < cells[r * ncol + c].lines.n
				    ? cells[r * ncol + c].lines.v[l]
				    : "";
				table_cell_text(&o, t, w[c]);
				table_put(&o, "|", 1);
			}
			table_put(&o, "\n", 1);
		}
	}
	table_rule(&o, w, ncol, '\'');
	for (i = 0; i < nrow * ncol; i++)
		pogo_strv_clear(&cells[i].lines);
	free(cells);
	free(w);
	return o.buf;
}
