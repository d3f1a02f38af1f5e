/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/ui.c and the embedded web UI (SPEC 11.6, U-1, U-2). */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/ui.h"

static bool
ui_has(const struct pogo_ui_file *f, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; n <= f->len && i <= f->len - n; i++) {
		if (memcmp(f->data + i, needle, n) == 0)
			return true;
	}
	return false;
}

TEST(index_for_root_and_pages)
{
	const struct pogo_ui_file *index = pogo_ui_find("index.html");

	ASSERT(index != NULL);
	ASSERT_STR_EQ(index->path, "index.html");
	ASSERT_STR_EQ(index->content_type, "text/html; charset=utf-8");
	ASSERT_STR_EQ(index->cache_control, "no-cache");
	ASSERT(ui_has(index, "<!DOCTYPE html>"));
	/* GET /ui/ and the pages the browser routes: the same document. */
	ASSERT(pogo_ui_find("") == index);
	ASSERT(pogo_ui_find(NULL) == index);
	ASSERT(pogo_ui_find("/") == index);
	ASSERT(pogo_ui_find("job/p0000000000") == index);
	ASSERT(pogo_ui_find("job/p0000000000/host1.example.com") == index);
	ASSERT(pogo_ui_find("?token=x") == index);
	ASSERT(pogo_ui_find("nope.js") == index);
	ASSERT(pogo_ui_find("assets") == index);
	ASSERT(pogo_ui_find("../index.html") == index);
}

TEST(assets_types_and_cache)
{
	const struct pogo_ui_file *js, *css;

	js = pogo_ui_find("assets/pogo.js");
	ASSERT(js != NULL);
	ASSERT_STR_EQ(js->content_type, "text/javascript; charset=utf-8");
	ASSERT(strstr(js->cache_control, "max-age=") != NULL);
	css = pogo_ui_find("assets/pogo.css");
	ASSERT(css != NULL);
	ASSERT_STR_EQ(css->content_type, "text/css; charset=utf-8");
	/* The version query and a leading slash do not matter. */
	ASSERT(pogo_ui_find("assets/pogo.js?v=0123") == js);
	ASSERT(pogo_ui_find("/assets/pogo.js") == js);
	/* A missing asset is a 404, never the HTML page. */
	ASSERT_NULL(pogo_ui_find("assets/nope.js"));
	ASSERT_NULL(pogo_ui_find("assets/"));
	ASSERT_NULL(pogo_ui_find("assets/pogo.js/x"));
	ASSERT_NULL(pogo_ui_find("assets/../index.html"));
}

/* index.html names each asset with the digest of the assets' bytes. */
TEST(index_names_assets_with_digest)
{
	const struct pogo_ui_file *index = pogo_ui_find(""), *f;
	const char *d = pogo_ui_digest();
	char want[256];
	size_t i, n = 0;

	ASSERT_EQ(strlen(d), 16);
	ASSERT_EQ(strspn(d, "0123456789abcdef"), 16);
	ASSERT(!ui_has(index, "@POGO_UI_VERSION@"));
	for (i = 0; (f = pogo_ui_get(i)) != NULL; i++) {
		if (strncmp(f->path, "assets/", 7) != 0)
			continue;
		snprintf(want, sizeof(want), "/ui/%s?v=%s", f->path, d);
		ASSERT(ui_has(index, want));
		n++;
	}
	ASSERT_GE(n, 2);
}

/* U-2: no embedded file refers to another origin. */
TEST(u2_no_other_origin)
{
	const struct pogo_ui_file *f;
	size_t i;

	ASSERT_GE(pogo_ui_count(), 3);
	for (i = 0; i < pogo_ui_count(); i++) {
		f = pogo_ui_get(i);
		ASSERT(f != NULL);
		ASSERT_EQ(f->data[f->len], '\0');
		ASSERT_EQ(strlen((const char *)f->data), f->len);
		if (ui_has(f, "http://") || ui_has(f, "https://"))
			harness_fail(__FILE__, __LINE__,
			    "%s refers to another origin", f->path);
		ASSERT(pogo_ui_find(f->path) == f);
	}
	ASSERT_NULL(pogo_ui_get(pogo_ui_count()));
}
