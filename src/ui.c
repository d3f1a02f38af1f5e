/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Looking up the web UI's embedded files (include/pogo/ui.h).  The table
 * itself, pogo_ui_files[], is generated into the build directory by
 * cmake/ui-embed.cmake from the files under ui/.
 */
#include "pogo/compat.h"

#include "pogo/ui.h"

/* Generated: the files in path order, their number, the assets' digest. */
extern const struct pogo_ui_file pogo_ui_files[];
extern const size_t pogo_ui_nfiles;
extern const char pogo_ui_digest_str[];

#define UI_ASSETS "assets/"

const char *
pogo_ui_digest(void)
{
	return pogo_ui_digest_str;
}

size_t
pogo_ui_count(void)
{
	return pogo_ui_nfiles;
}

const struct pogo_ui_file *
pogo_ui_get(size_t i)
{
	if (i >= pogo_ui_nfiles)
		return NULL;
	return &pogo_ui_files[i];
}

static const struct pogo_ui_file *
ui_lookup(const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < pogo_ui_nfiles; i++) {
		if (strlen(pogo_ui_files[i].path) == len &&
		    memcmp(pogo_ui_files[i].path, path, len) == 0)
			return &pogo_ui_files[i];
	}
	return NULL;
}

const struct pogo_ui_file *
pogo_ui_find(const char *path)
{
	const struct pogo_ui_file *f;
	size_t len;

	if (path == NULL)
		path = "";
	while (*path == '/')
		path++;
	len = strcspn(path, "?#");
	if (len > 0 && (f = ui_lookup(path, len)) != NULL)
		return f;
	if (len >= strlen(UI_ASSETS) &&
	    memcmp(path, UI_ASSETS, strlen(UI_ASSETS)) == 0)
		return NULL;
	return ui_lookup("index.html", strlen("index.html"));
}
