/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * The web UI's files (SPEC 11.6): HTML, CSS and JavaScript under ui/ in
 * the source tree, compiled into the binary at build time by
 * cmake/ui-embed.cmake (no build step at run time, nothing loaded from
 * another origin).  The API component serves them under /ui/.
 */
#ifndef POGO_UI_H
#define POGO_UI_H

#include <stddef.h>

/* One embedded file.  Every pointer is static: never freed. */
struct pogo_ui_file {
	const char *path; /* below /ui/: "index.html", "assets/app.js" */
	const unsigned char *data; /* len bytes, followed by a NUL byte */
	size_t len;
	const char *content_type;  /* "text/html; charset=utf-8", ... */
	const char *cache_control; /* the Cache-Control header's value */
};

/*
 * The file to answer GET /ui/<path> with.  path is what follows "/ui/"
 * ("" for GET /ui/); leading slashes and anything from a '?' or '#' on
 * are ignored.  An embedded file's path gives that file; a path under
 * "assets/" that names no embedded file gives NULL (the caller answers
 * 404: a script must not be answered with HTML); any other path gives
 * index.html, the one page that routes /ui/job/<jobid> and the rest in
 * the browser.  Also NULL if nothing is embedded at all.
 *
 * index.html is sent with "Cache-Control: no-cache" (always revalidated);
 * assets with a long max-age, because index.html names them with a
 * version query that the build derives from their bytes.
 */
const struct pogo_ui_file *pogo_ui_find(const char *path);

/*
 * The digest of the assets' bytes that index.html names them with
 * ("?v=<digest>"): 16 lowercase hex digits.
 */
const char *pogo_ui_digest(void);

/* The number of embedded files, and the i-th of them (NULL past the end). */
size_t pogo_ui_count(void);
const struct pogo_ui_file *pogo_ui_get(size_t i);

#endif /* POGO_UI_H */
