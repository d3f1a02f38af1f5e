/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Unit tests of src/namespace.c (SPEC 2.10): names, reading, listing in
 * byte order, and the atomic replacement that leaves no file beside it.
 */
#include "pogo/compat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "pogo/error.h"
#include "pogo/namespace.h"
#include "pogo/str.h"

static char ns_dir[64];

static void
ns_mkdir(void)
{
	snprintf(ns_dir, sizeof(ns_dir), "/tmp/pogo-ns-XXXXXX");
	ASSERT(mkdtemp(ns_dir) != NULL);
}

static void
ns_put(const char *file, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", ns_dir, file);
	ASSERT((f = fopen(path, "w")) != NULL);
	fputs(text, f);
	ASSERT_EQ(fclose(f), 0);
}

/* Every entry of ns_dir but . and .., sorted, as "a b c". */
static void
ns_entries(char *buf, size_t size)
{
	struct dirent **v;
	size_t o = 0;
	int n, i;

	buf[0] = '\0';
	ASSERT((n = scandir(ns_dir, &v, NULL, alphasort)) >= 0);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->d_name, ".") != 0 &&
		    strcmp(v[i]->d_name, "..") != 0)
			o += (size_t)snprintf(buf + o, size - o, "%s%s",
			    o ? " " : "", v[i]->d_name);
		free(v[i]);
	}
	free(v);
}

static void
ns_rmdir(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	ASSERT((d = opendir(ns_dir)) != NULL);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", ns_dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	ASSERT_EQ(rmdir(ns_dir), 0);
}

TEST(names)
{
	ASSERT(pogo_namespace_name_valid("a"));
	ASSERT(pogo_namespace_name_valid("_a.b-c9"));
	ASSERT(pogo_namespace_name_valid("9"));
	ASSERT(!pogo_namespace_name_valid(""));
	ASSERT(!pogo_namespace_name_valid(".a"));
	ASSERT(!pogo_namespace_name_valid("-a"));
	ASSERT(!pogo_namespace_name_valid("a/b"));
	ASSERT(!pogo_namespace_name_valid("a b"));
	ASSERT(!pogo_namespace_name_valid("../x"));
}

TEST(read_and_list)
{
	struct pogo_strv names = { 0 };
	char *text = NULL, *cause = NULL;
	size_t len;

	ns_mkdir();
	ns_put("b.yaml", "tag: {b: [h]}\n");
	ns_put("a.yaml", "tag: {a: [h]}\n");
	ns_put("B.yaml", "tag: {B: [h]}\n");
	ns_put("c.yml", "x\n");
	ns_put(".d.yaml", "x\n");
	ns_put("-e.yaml", "x\n");
	ns_put(".yaml", "x\n");
	ASSERT_OK(pogo_namespace_list(ns_dir, &names, &cause));
	ASSERT_EQ(names.n, 3);
	ASSERT_STR_EQ(names.v[0], "B");
	ASSERT_STR_EQ(names.v[1], "a");
	ASSERT_STR_EQ(names.v[2], "b");
	pogo_strv_clear(&names);
	ASSERT_OK(pogo_namespace_read(ns_dir, "a", &text, &len, &cause));
	ASSERT_STR_EQ(text, "tag: {a: [h]}\n");
	ASSERT_EQ(len, 14);
	free(text);
	ASSERT_EQ(pogo_namespace_read(ns_dir, "zz", &text, &len, &cause),
	    POGO_ERR_NOTFOUND);
	ASSERT(text == NULL && cause == NULL);
	/* A name that is none is never made into a path. */
	ASSERT_EQ(pogo_namespace_read(ns_dir, ".d", &text, &len, &cause),
	    POGO_ERR_NOTFOUND);
	ASSERT_EQ(
	    pogo_namespace_read(ns_dir, "../etc/passwd", &text, &len, &cause),
	    POGO_ERR_NOTFOUND);
	ns_rmdir();
	/* A missing directory holds no namespace. */
	ASSERT_OK(pogo_namespace_list(ns_dir, &names, &cause));
	ASSERT_EQ(names.n, 0);
	ASSERT_EQ(pogo_namespace_read(ns_dir, "a", &text, &len, &cause),
	    POGO_ERR_NOTFOUND);
}

TEST(write_replaces_atomically)
{
	char *text = NULL, *cause = NULL, path[256], got[256];
	struct stat sb;
	size_t len;

	ns_mkdir();
	ns_put("a.yaml", "old\n");
	ASSERT_OK(pogo_namespace_write(ns_dir, "a", "new: 1\n", 7, &cause));
	ASSERT_OK(pogo_namespace_read(ns_dir, "a", &text, &len, &cause));
	ASSERT_STR_EQ(text, "new: 1\n");
	free(text);
	ASSERT_OK(pogo_namespace_write(ns_dir, "b_2", "b\n", 2, &cause));
	ns_entries(got, sizeof(got));
	ASSERT_STR_EQ(got, "a.yaml b_2.yaml");
	snprintf(path, sizeof(path), "%s/b_2.yaml", ns_dir);
	ASSERT_EQ(stat(path, &sb), 0);
	ASSERT_EQ(sb.st_mode & 0777, 0644);
	ASSERT_EQ(pogo_namespace_write(ns_dir, "../x", "x\n", 2, &cause),
	    POGO_ERR_NOTFOUND);
	ns_rmdir();
	/* The directory is made if it is missing. */
	ASSERT_OK(pogo_namespace_write(ns_dir, "c", "c\n", 2, &cause));
	ns_entries(got, sizeof(got));
	ASSERT_STR_EQ(got, "c.yaml");
	ns_rmdir();
}
