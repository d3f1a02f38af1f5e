/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Namespaces (include/pogo/namespace.h): the files of namespace_dir,
 * read, listed and replaced with blocking calls made in the thread pool.
 */
#include "pogo/compat.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pogo/error.h"
#include "pogo/namespace.h"
#include "pogo/str.h"
#include "pogo/xmalloc.h"

#define NS_SUFFIX ".yaml"

bool
pogo_namespace_name_valid(const char *name)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "abcdefghijklmnopqrstuvwxyz0123456789_.-";

	return name[0] != '\0' && name[0] != '.' && name[0] != '-' &&
	    name[strspn(name, chars)] == '\0';
}

int
pogo_namespace_read(
    const char *dir, const char *name, char **textp, size_t *lenp, char **cause)
{
	char *path = NULL;
	int r;

	*textp = NULL;
	*lenp = 0;
	if (!pogo_namespace_name_valid(name))
		return POGO_ERR_NOTFOUND;
	xasprintf(&path, "%s/%s" NS_SUFFIX, dir, name);
	r = pogo_str_read_file(path, POGO_NAMESPACE_MAX_SIZE, textp, lenp);
	if (r == POGO_ERR_ERRNO(ENOENT) || r == POGO_ERR_ERRNO(ENOTDIR))
		r = POGO_ERR_NOTFOUND;
	else if (r != 0)
		xasprintf(cause, "%s: %s", path, pogo_strerror(r));
	free(path);
	return r;
}

static int
ns_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
pogo_namespace_list(const char *dir, struct pogo_strv *names, char **cause)
{
	struct dirent *de;
	DIR *dp;
	size_t first = names->n, len, slen = strlen(NS_SUFFIX);
	char *name;
	int r;

	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		xasprintf(cause, "%s: %s", dir, strerror(errno));
		return POGO_ERR_ERRNO(errno);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL)
			break;
		len = strlen(de->d_name);
		if (len <= slen ||
		    strcmp(de->d_name + len - slen, NS_SUFFIX) != 0)
			continue;
		name = xstrndup(de->d_name, len - slen);
		if (pogo_namespace_name_valid(name))
			pogo_strv_take(names, name);
		else
			free(name);
	}
	if (errno != 0) {
		/* A failed read lists nothing rather than part of the list. */
		r = errno;
		closedir(dp);
		while (names->n > first)
			free(names->v[--names->n]);
		xasprintf(cause, "%s: %s", dir, strerror(r));
		return POGO_ERR_ERRNO(r);
	}
	closedir(dp);
	qsort(names->v + first, names->n - first, sizeof(*names->v), ns_strcmp);
	return 0;
}

/* fsync a directory, so that a rename in it is durable. */
static int
ns_sync_dir(const char *dir)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return POGO_ERR_ERRNO(errno);
	if (fsync(fd) != 0)
		r = POGO_ERR_ERRNO(errno);
	close(fd);
	return r;
}

int
pogo_namespace_write(const char *dir, const char *name, const char *text,
    size_t len, char **cause)
{
	char *tmp = NULL, *path = NULL;
	const char *what = "write";
	size_t off = 0;
	ssize_t n;
	int fd = -1, r;

	if (!pogo_namespace_name_valid(name))
		return POGO_ERR_NOTFOUND;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		r = POGO_ERR_ERRNO(errno);
		xasprintf(cause, "%s: %s", dir, pogo_strerror(r));
		return r;
	}
	xasprintf(&path, "%s/%s" NS_SUFFIX, dir, name);
	xasprintf(&tmp, "%s/.%s" NS_SUFFIX ".XXXXXX", dir, name);
	if ((fd = mkstemp(tmp)) == -1) {
		r = POGO_ERR_ERRNO(errno);
		what = "create";
		free(tmp);
		tmp = NULL;
		goto fail;
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			r = POGO_ERR_ERRNO(errno);
			goto fail;
		}
		off += (size_t)n;
	}
	/* Readable like the namespace files an operator writes. */
	if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		r = POGO_ERR_ERRNO(errno);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = POGO_ERR_ERRNO(errno);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = POGO_ERR_ERRNO(errno);
		what = "rename";
		goto fail;
	}
	free(tmp);
	tmp = NULL;
	if ((r = ns_sync_dir(dir)) != 0) {
		what = "sync";
		goto fail;
	}
	free(path);
	return 0;
fail:
	xasprintf(cause, "%s: cannot %s: %s", path, what, pogo_strerror(r));
	if (fd != -1)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(path);
	return r;
}
