/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * libyaml's event parser turned into a pogo_yaml_node tree.  Errors carry
 * 1-based line and column.  Anchors are remembered by name and an alias is
 * a deep copy, counted against POGO_YAML_MAX_NODES so that an alias bomb
 * becomes a clear error instead of exhausted memory.
 */
#include "pogo/compat.h"

#include <yaml.h>

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"
#include "pogo/yaml.h"

struct yaml_anchor {
	char *name;
	struct pogo_yaml_node *node;
};

struct yaml_ctx {
	yaml_parser_t parser;
	struct yaml_anchor *anchors;
	size_t nanchors;
	size_t nodes;
	char *cause;
};

static struct pogo_yaml_node *
yaml_node_new(
    struct yaml_ctx *c, enum pogo_yaml_kind kind, const yaml_mark_t *mark)
{
	struct pogo_yaml_node *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	c->nodes++;
	return n;
}

void
pogo_yaml_free(struct pogo_yaml_node *node)
{
	size_t i;

	if (node == NULL)
		return;
	for (i = 0; i < node->n; i++)
		pogo_yaml_free(node->items[i]);
	free(node->items);
	free(node->str);
	free(node);
}

static void
yaml_push(struct pogo_yaml_node *parent, struct pogo_yaml_node *child)
{
	if ((parent->n & (parent->n - 1)) == 0)
		parent->items = xreallocarray(parent->items,
		    parent->n ? parent->n * 2 : 1, sizeof(*parent->items));
	parent->items[parent->n++] = child;
}

/* Deep copy for an alias; returns NULL when the node budget is spent. */
static struct pogo_yaml_node *
yaml_copy(struct yaml_ctx *c, const struct pogo_yaml_node *src)
{
	struct pogo_yaml_node *n, *k;
	size_t i;

	if (c->nodes >= POGO_YAML_MAX_NODES)
		return NULL;
	n = xcalloc(1, sizeof(*n));
	c->nodes++;
	n->kind = src->kind;
	n->line = src->line;
	n->col = src->col;
	n->null = src->null;
	if (src->str != NULL) {
		n->str = xmalloc(src->len + 1);
		memcpy(n->str, src->str, src->len + 1);
		n->len = src->len;
	}
	for (i = 0; i < src->n; i++) {
		if ((k = yaml_copy(c, src->items[i])) == NULL) {
			pogo_yaml_free(n);
			return NULL;
		}
		yaml_push(n, k);
	}
	return n;
}

static void yaml_error(struct yaml_ctx *c, const yaml_mark_t *mark,
    const char *fmt, ...) POGO_PRINTFLIKE(3, 4);

static void
yaml_error(struct yaml_ctx *c, const yaml_mark_t *mark, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (c->cause != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	xasprintf(&c->cause, "line %zu, column %zu: %s", mark->line + 1,
	    mark->column + 1, msg);
	free(msg);
}

static void
yaml_anchor_add(
    struct yaml_ctx *c, const yaml_char_t *name, struct pogo_yaml_node *node)
{
	if (name == NULL)
		return;
	c->anchors =
	    xreallocarray(c->anchors, c->nanchors + 1, sizeof(*c->anchors));
	c->anchors[c->nanchors].name = xstrdup((const char *)name);
	c->anchors[c->nanchors].node = node;
	c->nanchors++;
}

/* Check a finished mapping for repeated keys. */
static int
yaml_check_keys(struct yaml_ctx *c, struct pogo_yaml_node *map)
{
	struct pogo_strtab *seen;
	struct pogo_yaml_node *k;
	yaml_mark_t mark;
	size_t i;
	bool added;
	int r = 0;

	if (map->n <= 2)
		return 0;
	seen = pogo_strtab_new();
	for (i = 0; i < map->n; i += 2) {
		k = map->items[i];
		pogo_strtab_intern(seen, k->str, k->len, &added);
		if (!added) {
			mark.line = (size_t)k->line - 1;
			mark.column = (size_t)k->col - 1;
			yaml_error(c, &mark, "duplicate key '%s'", k->str);
			r = POGO_ERR_CONFIG;
			break;
		}
	}
	pogo_strtab_free(seen);
	return r;
}

static bool
yaml_is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/*
 * Parse one node whose first event is ev (consumed by the caller).
 * Returns the node, or NULL with c->cause set.
 */
static struct pogo_yaml_node *
yaml_parse_node(struct yaml_ctx *c, yaml_event_t *ev, int depth)
{
	struct pogo_yaml_node *n = NULL, *child, *key;
	yaml_event_t sub;
	size_t i;
	bool done;

	if (depth > 256) {
		yaml_error(c, &ev->start_mark, "document nested too deeply");
		return NULL;
	}
	if (c->nodes >= POGO_YAML_MAX_NODES) {
		yaml_error(c, &ev->start_mark, "document too large");
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = yaml_node_new(c, POGO_YAML_SCALAR, &ev->start_mark);
		n->len = ev->data.scalar.length;
		n->str = xmalloc(n->len + 1);
		memcpy(n->str, ev->data.scalar.value, n->len);
		n->str[n->len] = '\0';
		n->null = yaml_is_null(ev);
		yaml_anchor_add(c, ev->data.scalar.anchor, n);
		return n;
	case YAML_ALIAS_EVENT:
		for (i = c->nanchors; i > 0; i--) {
			if (strcmp(c->anchors[i - 1].name,
			        (const char *)ev->data.alias.anchor) == 0)
				break;
		}
		if (i == 0) {
			yaml_error(c, &ev->start_mark, "unknown alias '%s'",
			    (const char *)ev->data.alias.anchor);
			return NULL;
		}
		if ((n = yaml_copy(c, c->anchors[i - 1].node)) == NULL) {
			yaml_error(c, &ev->start_mark, "document too large");
			return NULL;
		}
		n->line = (int)ev->start_mark.line + 1;
		n->col = (int)ev->start_mark.column + 1;
		return n;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = yaml_node_new(c,
		    ev->type == YAML_SEQUENCE_START_EVENT ? POGO_YAML_SEQ
		                                          : POGO_YAML_MAP,
		    &ev->start_mark);
		yaml_anchor_add(c,
		    ev->type == YAML_SEQUENCE_START_EVENT
		        ? ev->data.sequence_start.anchor
		        : ev->data.mapping_start.anchor,
		    n);
		break;
	default:
		yaml_error(c, &ev->start_mark, "unexpected YAML event");
		return NULL;
	}
	for (done = false; !done;) {
		if (!yaml_parser_parse(&c->parser, &sub)) {
			yaml_error(c, &c->parser.problem_mark, "%s",
			    c->parser.problem != NULL ? c->parser.problem
			                              : "syntax error");
			goto fail;
		}
		if (sub.type == YAML_SEQUENCE_END_EVENT ||
		    sub.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&sub);
			done = true;
			continue;
		}
		if (n->kind == POGO_YAML_MAP && (n->n % 2) == 0 &&
		    sub.type != YAML_SCALAR_EVENT) {
			yaml_error(
			    c, &sub.start_mark, "mapping keys must be scalars");
			yaml_event_delete(&sub);
			goto fail;
		}
		child = yaml_parse_node(c, &sub, depth + 1);
		yaml_event_delete(&sub);
		if (child == NULL)
			goto fail;
		yaml_push(n, child);
	}
	if (n->kind == POGO_YAML_MAP) {
		for (i = 0; i < n->n; i += 2) {
			key = n->items[i];
			if (key->kind != POGO_YAML_SCALAR)
				goto fail;
		}
		if (yaml_check_keys(c, n) != 0)
			goto fail;
	}
	return n;
fail:
	/* An anchor may point into n: forget anchors before freeing. */
	for (i = 0; i < c->nanchors; i++)
		c->anchors[i].node = NULL;
	pogo_yaml_free(n);
	return NULL;
}

int
pogo_yaml_parse(
    const char *text, size_t len, struct pogo_yaml_node **rootp, char **cause)
{
	struct yaml_ctx c;
	struct pogo_yaml_node *root = NULL;
	yaml_event_t ev;
	size_t i;
	int r = POGO_ERR_CONFIG;
	bool started = false;

	*rootp = NULL;
	*cause = NULL;
	memset(&c, 0, sizeof(c));
	if (len > POGO_YAML_MAX_BYTES) {
		xasprintf(cause, "document larger than %d bytes",
		    POGO_YAML_MAX_BYTES);
		return POGO_ERR_CONFIG;
	}
	if (!yaml_parser_initialize(&c.parser))
		fatalx("yaml: cannot initialise the parser");
	yaml_parser_set_input_string(
	    &c.parser, (const unsigned char *)text, len);
	for (;;) {
		if (!yaml_parser_parse(&c.parser, &ev)) {
			yaml_error(&c, &c.parser.problem_mark, "%s",
			    c.parser.problem != NULL ? c.parser.problem
			                             : "syntax error");
			goto out;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			if (started) {
				yaml_error(&c, &ev.start_mark,
				    "more than one document");
				yaml_event_delete(&ev);
				goto out;
			}
			started = true;
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_STREAM_START_EVENT ||
		    ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		root = yaml_parse_node(&c, &ev, 0);
		yaml_event_delete(&ev);
		if (root == NULL)
			goto out;
	}
	*rootp = root;
	root = NULL;
	r = 0;
out:
	if (r != 0) {
		*cause = c.cause;
		c.cause = NULL;
		if (*cause == NULL)
			*cause = xstrdup("invalid YAML");
	}
	pogo_yaml_free(root);
	for (i = 0; i < c.nanchors; i++)
		free(c.anchors[i].name);
	free(c.anchors);
	free(c.cause);
	yaml_parser_delete(&c.parser);
	return r;
}

struct pogo_yaml_node *
pogo_yaml_get(const struct pogo_yaml_node *map, const char *key)
{
	size_t i;

	if (map == NULL || map->kind != POGO_YAML_MAP)
		return NULL;
	for (i = 0; i < map->n; i += 2) {
		if (strcmp(map->items[i]->str, key) == 0)
			return map->items[i + 1];
	}
	return NULL;
}

const char *
pogo_yaml_version(void)
{
	return yaml_get_version_string();
}
