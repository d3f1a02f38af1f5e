/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * String helpers shared by every module: strtonum, strlcpy, string and id
 * vectors, and a bounded whole-file read for command-line tools.
 */
#include "pogo/compat.h"

#include <sys/stat.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

size_t
pogo_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len >= size ? size - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int
pogo_strtonum(const char *s, long long min, long long max, long long *vp)
{
	long long v = 0;
	bool neg = false;
	const char *p = s;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*p < '0' || *p > '9')
		return POGO_ERR_RANGE;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - (*p - '0')) / 10)
			return POGO_ERR_RANGE;
		v = v * 10 + (*p - '0');
	}
	if (*p != '\0')
		return POGO_ERR_RANGE;
	if (neg)
		v = -v;
	if (v < min || v > max)
		return POGO_ERR_RANGE;
	*vp = v;
	return 0;
}

void
pogo_strv_take(struct pogo_strv *sv, char *s)
{
	if (sv->n == sv->cap) {
		sv->cap = sv->cap ? sv->cap * 2 : 8;
		sv->v = xreallocarray(sv->v, sv->cap, sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
}

void
pogo_strv_push(struct pogo_strv *sv, const char *s)
{
	pogo_strv_take(sv, xstrdup(s));
}

void
pogo_strv_clear(struct pogo_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

void
pogo_idv_push(struct pogo_idv *iv, uint32_t id)
{
	if (iv->n == iv->cap) {
		iv->cap = iv->cap ? iv->cap * 2 : 4;
		iv->v = xreallocarray(iv->v, iv->cap, sizeof(*iv->v));
	}
	iv->v[iv->n++] = id;
}

void
pogo_idv_clear(struct pogo_idv *iv)
{
	free(iv->v);
	iv->v = NULL;
	iv->n = iv->cap = 0;
}

char *
pogo_str_next_line(char **cursor)
{
	char *line, *end, *p;

	for (line = *cursor; line != NULL && *line != '\0'; line = end) {
		end = strchr(line, '\n');
		if (end != NULL)
			*end++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		p = line + strlen(line);
		while (p > line &&
		    (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
			*--p = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		*cursor = end;
		return line;
	}
	*cursor = NULL;
	return NULL;
}

/* Read fd to its end (at most max bytes) and close it. */
static int
str_read_fd(int fd, size_t max, char **bufp, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int r;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = xreallocarray(buf, cap, 1);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = POGO_ERR_ERRNO(errno);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = POGO_ERR_LIMIT;
			goto out;
		}
	}
	if (buf == NULL)
		buf = xmalloc(1);
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

int
pogo_str_read_file(const char *path, size_t max, char **bufp, size_t *lenp)
{
	int fd;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return POGO_ERR_ERRNO(errno);
	return str_read_fd(fd, max, bufp, lenp);
}

int
pogo_str_read_regular_file(
    const char *path, size_t max, char **bufp, size_t *lenp)
{
	struct stat sb;
	int fd;

	*bufp = NULL;
	*lenp = 0;
	/* Non-blocking: opening a FIFO does not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return POGO_ERR_ERRNO(errno);
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return POGO_ERR_ERRNO(EINVAL);
	}
	if ((size_t)sb.st_size > max) {
		close(fd);
		return POGO_ERR_LIMIT;
	}
	return str_read_fd(fd, max, bufp, lenp);
}

int
pogo_str_write_all(int fd, const char *p, size_t len, int wait_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int waited = 0;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n == -1 && errno == EINTR)
			continue;
		else if (n == -1 && errno == EAGAIN && waited < wait_ms) {
			(void)poll(&pfd, 1, 100);
			waited += 100;
		} else
			return POGO_ERR_ERRNO(n == -1 ? errno : EIO);
	}
	return 0;
}

int
pogo_str_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

bool
pogo_str_utf8_valid(const char *s, size_t len, size_t *badp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, k;
	unsigned char lo, hi;

	while (i < len) {
		lo = 0x80;
		hi = 0xbf;
		if (u[i] < 0x80) {
			i++;
			continue;
		} else if (u[i] >= 0xc2 && u[i] <= 0xdf)
			n = 2;
		else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			n = 3;
			if (u[i] == 0xe0)
				lo = 0xa0; /* overlong */
			else if (u[i] == 0xed)
				hi = 0x9f; /* surrogates */
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			n = 4;
			if (u[i] == 0xf0)
				lo = 0x90; /* overlong */
			else if (u[i] == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else
			goto bad;
		if (len - i < n || u[i + 1] < lo || u[i + 1] > hi)
			goto bad;
		for (k = 2; k < n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				goto bad;
		}
		i += n;
	}
	return true;
bad:
	if (badp != NULL)
		*badp = i;
	return false;
}
