/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * A YAML document as a plain tree, for pogo's free-form scheduler
 * configurations (SPEC 2.1).  Scalars keep their literal text (no type
 * resolution), mappings keep document order, aliases become copies of the
 * anchored node, and a repeated mapping key is an error.  This is the only
 * file that includes libyaml's header.
 */
#ifndef POGO_YAML_H
#define POGO_YAML_H

enum pogo_yaml_kind {
	POGO_YAML_SCALAR,
	POGO_YAML_SEQ,
	POGO_YAML_MAP,
};

struct pogo_yaml_node {
	enum pogo_yaml_kind kind;
	int line; /* 1-based position of the node's start */
	int col;
	bool null; /* a plain scalar "", "~", "null", "Null" or "NULL" */
	char *str; /* scalar text */
	size_t len;
	/* SEQ: n items; MAP: n keys and values, items[2i] key, items[2i+1] */
	struct pogo_yaml_node **items;
	size_t n;
};

/* Largest document accepted, and most nodes after alias copies. */
#define POGO_YAML_MAX_BYTES (64 * 1024 * 1024)
#define POGO_YAML_MAX_NODES 4000000

/*
 * Parse text (len bytes) as one YAML document.  Returns 0 with *rootp owning
 * the tree (NULL for an empty document), or POGO_ERR_CONFIG with *cause
 * "line L, column C: <problem>" for the caller to print and free.
 */
int pogo_yaml_parse(
    const char *text, size_t len, struct pogo_yaml_node **rootp, char **cause);

/* Free a tree; NULL-safe. */
void pogo_yaml_free(struct pogo_yaml_node *node);

/* In a mapping, the value of key, or NULL. */
struct pogo_yaml_node *pogo_yaml_get(
    const struct pogo_yaml_node *map, const char *key);

/* libyaml's version, for pogo --version. */
const char *pogo_yaml_version(void);

#endif
