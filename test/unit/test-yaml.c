/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/* Unit tests of src/yaml.c: the YAML tree of SPEC 2.1. */
#include "pogo/compat.h"

#include "harness.h"
#include "pogo/yaml.h"

static struct pogo_yaml_node *
yaml_ok(const char *text)
{
	struct pogo_yaml_node *root = NULL;
	char *cause = NULL;

	if (pogo_yaml_parse(text, strlen(text), &root, &cause) != 0)
		harness_fail(__FILE__, __LINE__, "parse: %s", cause);
	return root;
}

static char *
yaml_err(const char *text)
{
	struct pogo_yaml_node *root = NULL;
	char *cause = NULL;

	if (pogo_yaml_parse(text, strlen(text), &root, &cause) == 0)
		harness_fail(__FILE__, __LINE__, "'%s' parsed", text);
	ASSERT_NULL(root);
	return cause;
}

TEST(literal_scalars_and_nulls)
{
	struct pogo_yaml_node *r = yaml_ok("t: [yes, 010, ~, 1.50, '', null, "
	                                   "\"~\"]\n");
	struct pogo_yaml_node *t = pogo_yaml_get(r, "t");

	ASSERT(t != NULL && t->kind == POGO_YAML_SEQ);
	ASSERT_EQ(t->n, 7);
	ASSERT_STR_EQ(t->items[0]->str, "yes");
	ASSERT_STR_EQ(t->items[1]->str, "010");
	ASSERT(t->items[2]->null);
	ASSERT_STR_EQ(t->items[3]->str, "1.50");
	ASSERT(!t->items[4]->null);
	ASSERT(t->items[5]->null);
	ASSERT(!t->items[6]->null);
	pogo_yaml_free(r);
}

TEST(duplicate_key_has_position)
{
	char *c = yaml_err("tag:\n  t: {a: 1}\n  t: {b: 2}\n");

	ASSERT_STR_EQ(c, "line 3, column 3: duplicate key 't'");
	free(c);
}

TEST(syntax_error_names_line)
{
	char *c = yaml_err("tag:\n  a: [b\n  c: d\n");

	ASSERT(strncmp(c, "line ", 5) == 0);
	free(c);
}

TEST(aliases_copy_and_bombs_stop)
{
	struct pogo_yaml_node *r = yaml_ok("a: &x [h1, h2]\nb: *x\n");
	struct pogo_yaml_node *b = pogo_yaml_get(r, "b");
	char *c;

	ASSERT(b != NULL && b->kind == POGO_YAML_SEQ && b->n == 2);
	ASSERT_STR_EQ(b->items[1]->str, "h2");
	pogo_yaml_free(r);
	c = yaml_err("a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	             "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	             "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	             "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	             "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	             "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	             "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n");
	ASSERT(strstr(c, "document too large") != NULL);
	free(c);
	c = yaml_err("a: *nope\n");
	ASSERT(strstr(c, "unknown alias") != NULL);
	free(c);
}

TEST(empty_and_non_scalar_keys)
{
	struct pogo_yaml_node *r = NULL;
	char *cause = NULL, *c;

	ASSERT_OK(pogo_yaml_parse("", 0, &r, &cause));
	ASSERT_NULL(r);
	ASSERT_OK(pogo_yaml_parse("# only a comment\n", 17, &r, &cause));
	ASSERT_NULL(r);
	c = yaml_err("? [a, b]\n: c\n");
	ASSERT(strstr(c, "mapping keys must be scalars") != NULL);
	free(c);
	c = yaml_err("a: 1\n---\nb: 2\n");
	ASSERT(strstr(c, "more than one document") != NULL);
	free(c);
}

TEST(document_order_is_kept)
{
	struct pogo_yaml_node *r = yaml_ok("z: 1\na: 2\nm: 3\n");

	ASSERT_EQ(r->n, 6);
	ASSERT_STR_EQ(r->items[0]->str, "z");
	ASSERT_STR_EQ(r->items[2]->str, "a");
	ASSERT_STR_EQ(r->items[4]->str, "m");
	ASSERT_EQ(r->items[4]->line, 3);
	ASSERT_EQ(r->items[4]->col, 1);
	pogo_yaml_free(r);
}
