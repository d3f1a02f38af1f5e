/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * String helpers (the only generic file, STYLE.md 9.2): bounded number
 * parsing, a growable vector of owned strings and a growable array of
 * 32-bit ids.
 */
#ifndef POGO_STR_H
#define POGO_STR_H

/*
 * Parse s as a decimal integer in [min, max].  Returns 0 and sets *vp, or
 * POGO_ERR_RANGE for anything else (empty, sign where min >= 0, junk,
 * overflow).
 */
int pogo_strtonum(const char *s, long long min, long long max, long long *vp);

/* A vector of owned, NUL-terminated strings. */
struct pogo_strv {
	char **v;
	size_t n;
	size_t cap;
};

/* Append a copy of s. */
void pogo_strv_push(struct pogo_strv *sv, const char *s);
/* Append s, taking ownership. */
void pogo_strv_take(struct pogo_strv *sv, char *s);
/* Free every string and the array; sv is left empty and reusable. */
void pogo_strv_clear(struct pogo_strv *sv);

/* A growable array of uint32_t. */
struct pogo_idv {
	uint32_t *v;
	size_t n;
	size_t cap;
};

void pogo_idv_push(struct pogo_idv *iv, uint32_t id);
void pogo_idv_clear(struct pogo_idv *iv);

/*
 * The next line of a text buffer, cut in place: leading and trailing
 * blanks and a final '\r' are removed, blank lines and lines starting with
 * '#' are skipped.  *cursor starts at the buffer; NULL at the end.
 */
char *pogo_str_next_line(char **cursor);

/*
 * Is s[0..len) valid UTF-8 (no overlong forms, no UTF-16 surrogates, at
 * most U+10FFFF)?  If not and badp is not NULL, *badp is the offset of
 * the first invalid sequence.
 */
bool pogo_str_utf8_valid(const char *s, size_t len, size_t *badp);

/* The value of one hexadecimal digit (either case), or -1. */
int pogo_str_hexval(char ch);

/* Read a whole file of at most max bytes; *bufp is NUL-terminated. */
int pogo_str_read_file(const char *path, size_t max, char **bufp, size_t *lenp);
/*
 * The same for a regular file only, opened without waiting (a FIFO is
 * refused, not waited on): the error of EINVAL for another kind of file,
 * POGO_ERR_LIMIT for one larger than max.
 */
int pogo_str_read_regular_file(
    const char *path, size_t max, char **bufp, size_t *lenp);
/*
 * Write all of p to fd; a non-blocking descriptor without room is waited
 * for, up to about wait_ms in all.  0, or the error (-EAGAIN when the wait
 * ran out).  It blocks: not for the loop, but where a line must go out
 * whole (the log; a sink after its last queued write).
 */
int pogo_str_write_all(int fd, const char *p, size_t len, int wait_ms);

#endif
