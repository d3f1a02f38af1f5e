/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * Scheduler configurations: the tag, sequence and constraint trees of
 * SPEC 2 turned into host-id lists.  Every visible order comes from one
 * traversal T (mappings in document order, lists last to first; SPEC 2.9).
 * Hosts and tag paths are interned, tag member lists are computed lazily
 * and memoised, and intersections use a per-host stamp array so that a
 * fleet of a million hosts is handled in linear time.  Used by every role
 * that builds schedules; no I/O.
 */
#include "pogo/compat.h"

#include "pogo/error.h"
#include "pogo/log.h"
#include "pogo/range.h"
#include "pogo/sched-config.h"
#include "pogo/strtab.h"
#include "pogo/xmalloc.h"
#include "pogo/yaml.h"

#define SC_NONE UINT32_MAX

struct sc_tag {
	uint32_t parent;
	struct pogo_idv direct; /* host ids, duplicates allowed */
	struct pogo_idv desc;   /* D(P): tags below with direct members */
	struct pogo_idv values; /* tags one level below, creation order */
	uint32_t *members;
	uint32_t nmembers;
	bool memo;
	bool busy;
};

struct sc_slot {
	char *name;
	char *item;
	struct pogo_strv filters;
	uint32_t *hosts;
	uint32_t nhosts;
};

struct sc_thread {
	struct sc_slot *slots;
	size_t nslots;
};

struct sc_spec {
	struct pogo_strv keys;
	char *value;
	int line;
	int col;
};

struct sc_group {
	char *name;
	uint32_t limit;
	uint32_t *hosts;
	uint32_t nhosts;
};

struct sc_ref {
	char *text;
	int line;
	int col;
	bool answered;
	char *failure;
	uint32_t *hosts;
	uint32_t nhosts;
};

struct pogo_sched_config {
	struct pogo_strtab *hosts;
	struct pogo_strtab *tagnames;
	struct sc_tag *tags;
	size_t ntags;
	uint32_t nconfigured; /* host ids below it are configured hosts */
	struct sc_thread *threads;
	size_t nthreads;
	struct sc_spec *specs;
	size_t nspecs;
	struct sc_group *groups;
	size_t ngroups;
	struct pogo_strtab *groupnames; /* id == index in groups */
	struct pogo_strtab *refnames;
	struct sc_ref *refs;
	size_t nrefs;
	uint32_t *stamp; /* filter intersections */
	uint32_t epoch;
	uint32_t *mstamp; /* member de-duplication */
	uint32_t mepoch;
	uint32_t nstamp;
	size_t budget; /* host entries the tag walk may still add */
	/* Range patterns seen by the tag walk, and their host ids. */
	struct pogo_strtab *patterns;
	struct pogo_idv pat_ids;
	struct pogo_idv pat_off; /* id -> offset in pat_ids */
	size_t max_entries;
	bool built;
	char *cause;
};

static struct pogo_sched_config *
sc_new(void)
{
	struct pogo_sched_config *cfg = xcalloc(1, sizeof(*cfg));

	cfg->hosts = pogo_strtab_new();
	cfg->tagnames = pogo_strtab_new();
	cfg->refnames = pogo_strtab_new();
	cfg->groupnames = pogo_strtab_new();
	return cfg;
}

void
pogo_sched_config_free(struct pogo_sched_config *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->ntags; i++) {
		pogo_idv_clear(&cfg->tags[i].direct);
		pogo_idv_clear(&cfg->tags[i].desc);
		pogo_idv_clear(&cfg->tags[i].values);
		free(cfg->tags[i].members);
	}
	free(cfg->tags);
	for (i = 0; i < cfg->nthreads; i++) {
		for (j = 0; j < cfg->threads[i].nslots; j++) {
			free(cfg->threads[i].slots[j].name);
			free(cfg->threads[i].slots[j].item);
			pogo_strv_clear(&cfg->threads[i].slots[j].filters);
			free(cfg->threads[i].slots[j].hosts);
		}
		free(cfg->threads[i].slots);
	}
	free(cfg->threads);
	for (i = 0; i < cfg->nspecs; i++) {
		pogo_strv_clear(&cfg->specs[i].keys);
		free(cfg->specs[i].value);
	}
	free(cfg->specs);
	for (i = 0; i < cfg->ngroups; i++) {
		free(cfg->groups[i].name);
		free(cfg->groups[i].hosts);
	}
	free(cfg->groups);
	for (i = 0; i < cfg->nrefs; i++) {
		free(cfg->refs[i].text);
		free(cfg->refs[i].failure);
		free(cfg->refs[i].hosts);
	}
	free(cfg->refs);
	free(cfg->stamp);
	free(cfg->mstamp);
	free(cfg->cause);
	pogo_strtab_free(cfg->hosts);
	pogo_strtab_free(cfg->tagnames);
	pogo_strtab_free(cfg->refnames);
	pogo_strtab_free(cfg->groupnames);
	pogo_strtab_free(cfg->patterns);
	pogo_idv_clear(&cfg->pat_ids);
	pogo_idv_clear(&cfg->pat_off);
	free(cfg);
}

static void sc_error(struct pogo_sched_config *cfg,
    const struct pogo_yaml_node *at, const char *fmt, ...)
    POGO_PRINTFLIKE(3, 4);

/* Record the first error, with the position of node at (may be NULL). */
static void
sc_error(struct pogo_sched_config *cfg, const struct pogo_yaml_node *at,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (cfg->cause != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (at != NULL) {
		xasprintf(&cfg->cause, "line %d, column %d: %s", at->line,
		    at->col, msg);
		free(msg);
	} else
		cfg->cause = msg;
}

static bool
sc_has_blank(const char *s)
{
	return strchr(s, ' ') != NULL || strchr(s, '\t') != NULL;
}

/* Find or create the tag with path[0..len), and its parents. */
static uint32_t
sc_tag_get(struct pogo_sched_config *cfg, const char *path, size_t len)
{
	uint32_t id, parent = SC_NONE;
	const char *dot;
	bool added;

	id = pogo_strtab_find(cfg->tagnames, path, len);
	if (id != POGO_STRTAB_NONE)
		return id;
	for (dot = path + len; dot > path; dot--) {
		if (dot[-1] == '.')
			break;
	}
	if (dot > path + 1)
		parent = sc_tag_get(cfg, path, (size_t)(dot - path - 1));
	id = pogo_strtab_intern(cfg->tagnames, path, len, &added);
	POGO_ASSERT(added && id == cfg->ntags);
	if ((cfg->ntags & (cfg->ntags - 1)) == 0)
		cfg->tags = xreallocarray(cfg->tags,
		    cfg->ntags ? cfg->ntags * 2 : 1, sizeof(*cfg->tags));
	memset(&cfg->tags[id], 0, sizeof(cfg->tags[id]));
	cfg->tags[id].parent = parent;
	cfg->ntags++;
	if (parent != SC_NONE)
		pogo_idv_push(&cfg->tags[parent].values, id);
	return id;
}

/* Add host to the direct members of tag, keeping D(P) of its ancestors. */
static void
sc_tag_add(struct pogo_sched_config *cfg, uint32_t tag, uint32_t host)
{
	uint32_t a;

	if (cfg->tags[tag].direct.n == 0) {
		for (a = cfg->tags[tag].parent; a != SC_NONE;
		     a = cfg->tags[a].parent)
			pogo_idv_push(&cfg->tags[a].desc, tag);
	}
	pogo_idv_push(&cfg->tags[tag].direct, host);
}

/*
 * Configured hosts are interned by the walks of T over tag and then
 * sequence, and by nothing else before them: so their ids, in order, are
 * the config-host order of SPEC 2.9.
 */
static void
sc_config_host(struct pogo_sched_config *cfg, const char *s, size_t len)
{
	(void)pogo_strtab_intern(cfg->hosts, s, len, NULL);
}

/* Walk the tag tree (traversal T).  Returns 0 or POGO_ERR_CONFIG. */
static int
sc_walk_tag(struct pogo_sched_config *cfg, const struct pogo_yaml_node *n,
    const char *path, uint32_t tag)
{
	struct pogo_strv hosts = { 0 };
	const struct pogo_yaml_node *k;
	char *sub, *cause = NULL;
	uint32_t id, pid, start, cnt;
	uint64_t cnt64;
	size_t i;
	bool added;
	int r;

	switch (n->kind) {
	case POGO_YAML_MAP:
		for (i = 0; i < n->n; i += 2) {
			k = n->items[i];
			if (*path != '\0')
				xasprintf(&sub, "%s.%s", path, k->str);
			else
				sub = xstrdup(k->str);
			id = sc_tag_get(cfg, sub, strlen(sub));
			r = sc_walk_tag(cfg, n->items[i + 1], sub, id);
			free(sub);
			if (r != 0)
				return r;
		}
		return 0;
	case POGO_YAML_SEQ:
		for (i = n->n; i > 0; i--) {
			if ((r = sc_walk_tag(
			         cfg, n->items[i - 1], path, tag)) != 0)
				return r;
		}
		return 0;
	case POGO_YAML_SCALAR:
		if (n->null || n->str[0] == '$' || tag == SC_NONE)
			return 0;
		if (strlen(n->str) != n->len) {
			sc_error(cfg, n, "invalid range pattern '%s'", n->str);
			return POGO_ERR_CONFIG;
		}
		/*
		 * Operators repeat patterns (a rack in its colo, rack and role
		 * tags): expand and intern each distinct pattern once.
		 */
		if (cfg->patterns == NULL) {
			cfg->patterns = pogo_strtab_new();
			pogo_idv_push(&cfg->pat_off, 0);
		}
		pid = pogo_strtab_intern(cfg->patterns, n->str, n->len, &added);
		if (!added) {
			start = cfg->pat_off.v[pid];
			cnt = cfg->pat_off.v[pid + 1] - start;
			if (cnt > cfg->budget) {
				sc_error(cfg, n,
				    "invalid range pattern '%s': more than %zu "
				    "host entries in the configuration",
				    n->str, cfg->max_entries);
				return POGO_ERR_CONFIG;
			}
			cfg->budget -= cnt;
			for (i = 0; i < cnt; i++)
				sc_tag_add(cfg, tag, cfg->pat_ids.v[start + i]);
			return 0;
		}
		/*
		 * Count first: a pattern over a cap is refused before any of
		 * its names is made.
		 */
		if (pogo_range_count(n->str, POGO_RANGE_MAX_ITEMS, &cnt64) ==
		        0 &&
		    cnt64 <= cfg->budget &&
		    cnt64 > POGO_SCHED_CONFIG_MAX_HOSTS) {
			sc_error(cfg, n,
			    "invalid range pattern '%s': more than %u hosts "
			    "in the configuration",
			    n->str, POGO_SCHED_CONFIG_MAX_HOSTS);
			return POGO_ERR_CONFIG;
		}
		if (pogo_range_expand(n->str, cfg->budget, &hosts, &cause) !=
		    0) {
			if (cfg->budget < POGO_RANGE_MAX_ITEMS)
				sc_error(cfg, n,
				    "%s: more than %zu host entries in the "
				    "configuration",
				    cause, cfg->max_entries);
			else
				sc_error(cfg, n, "%s", cause);
			free(cause);
			return POGO_ERR_CONFIG;
		}
		cfg->budget -= hosts.n;
		for (i = hosts.n; i > 0; i--) {
			id = pogo_strtab_intern(cfg->hosts, hosts.v[i - 1],
			    strlen(hosts.v[i - 1]), NULL);
			sc_tag_add(cfg, tag, id);
			pogo_idv_push(&cfg->pat_ids, id);
		}
		pogo_idv_push(&cfg->pat_off, (uint32_t)cfg->pat_ids.n);
		pogo_strv_clear(&hosts);
		if (pogo_strtab_count(cfg->hosts) >
		    POGO_SCHED_CONFIG_MAX_HOSTS) {
			sc_error(cfg, n,
			    "invalid range pattern '%s': more than %u hosts "
			    "in the configuration",
			    n->str, POGO_SCHED_CONFIG_MAX_HOSTS);
			return POGO_ERR_CONFIG;
		}
		return 0;
	}
	return 0;
}

/*
 * Register an external reference for the caller to resolve; more than
 * POGO_SCHED_CONFIG_MAX_REFS distinct ones is an error (each is a process
 * to run, and a dispatcher runs every submitted job's).
 */
static int
sc_add_ref(struct pogo_sched_config *cfg, const char *text,
    const struct pogo_yaml_node *at)
{
	bool added;
	uint32_t id;

	if (pogo_strtab_find(cfg->refnames, text, strlen(text)) !=
	    POGO_STRTAB_NONE)
		return 0;
	if (cfg->nrefs >= POGO_SCHED_CONFIG_MAX_REFS) {
		sc_error(cfg, at, "more than %u external references",
		    POGO_SCHED_CONFIG_MAX_REFS);
		return POGO_ERR_CONFIG;
	}
	id = pogo_strtab_intern(cfg->refnames, text, strlen(text), &added);
	if (!added)
		return 0;
	POGO_ASSERT(id == cfg->nrefs);
	if ((cfg->nrefs & (cfg->nrefs - 1)) == 0)
		cfg->refs = xreallocarray(cfg->refs,
		    cfg->nrefs ? cfg->nrefs * 2 : 1, sizeof(*cfg->refs));
	memset(&cfg->refs[id], 0, sizeof(cfg->refs[id]));
	cfg->refs[id].text = xstrdup(text);
	cfg->refs[id].line = at->line;
	cfg->refs[id].col = at->col;
	cfg->nrefs++;
	return 0;
}

static bool
sc_is_external(const char *s)
{
	return s[0] != '$' && sc_has_blank(s);
}

static char *
sc_join(const struct pogo_strv *keys, const char *last)
{
	size_t i, len = 1;
	char *s, *p;

	for (i = 0; i < keys->n; i++)
		len += strlen(keys->v[i]) + 1;
	if (last != NULL)
		len += strlen(last) + 1;
	p = s = xmalloc(len);
	*p = '\0';
	for (i = 0; i < keys->n; i++)
		p += snprintf(p, len - (size_t)(p - s), "%s%s",
		    p == s ? "" : ".", keys->v[i]);
	if (last != NULL)
		snprintf(
		    p, len - (size_t)(p - s), "%s%s", p == s ? "" : ".", last);
	return s;
}

/* Walk the sequence tree: every list is a thread (SPEC 2.4). */
static int
sc_walk_seq(struct pogo_sched_config *cfg, const struct pogo_yaml_node *n,
    struct pogo_strv *keys)
{
	struct sc_thread *t;
	struct sc_slot *sl;
	const struct pogo_yaml_node *it;
	size_t i, j, th;
	int r;

	switch (n->kind) {
	case POGO_YAML_MAP:
		for (i = 0; i < n->n; i += 2) {
			if (sc_is_external(n->items[i]->str) &&
			    sc_add_ref(cfg, n->items[i]->str, n->items[i]) != 0)
				return POGO_ERR_CONFIG;
			pogo_strv_push(keys, n->items[i]->str);
			r = sc_walk_seq(cfg, n->items[i + 1], keys);
			free(keys->v[--keys->n]);
			if (r != 0)
				return r;
		}
		return 0;
	case POGO_YAML_SEQ:
		th = cfg->nthreads++;
		if ((th & (th - 1)) == 0)
			cfg->threads = xreallocarray(cfg->threads,
			    th ? th * 2 : 1, sizeof(*cfg->threads));
		t = &cfg->threads[th];
		memset(t, 0, sizeof(*t));
		for (i = 0; i < n->n; i++) {
			it = n->items[i];
			if (it->kind != POGO_YAML_SCALAR || it->null)
				continue;
			t = &cfg->threads[th];
			if ((t->nslots & (t->nslots - 1)) == 0)
				t->slots = xreallocarray(t->slots,
				    t->nslots ? t->nslots * 2 : 1,
				    sizeof(*t->slots));
			sl = &t->slots[t->nslots++];
			memset(sl, 0, sizeof(*sl));
			sl->name = sc_join(keys, it->str);
			sl->item = xstrdup(it->str);
			for (j = 0; j < keys->n; j++) {
				if (keys->v[j][0] == '$' ||
				    sc_is_external(keys->v[j]))
					pogo_strv_push(
					    &sl->filters, keys->v[j]);
			}
			if (sc_is_external(it->str) &&
			    sc_add_ref(cfg, it->str, it) != 0)
				return POGO_ERR_CONFIG;
		}
		for (i = n->n; i > 0; i--) {
			if ((r = sc_walk_seq(cfg, n->items[i - 1], keys)) != 0)
				return r;
		}
		return 0;
	case POGO_YAML_SCALAR:
		if (!n->null && n->str[0] != '$' && !sc_has_blank(n->str) &&
		    strlen(n->str) == n->len)
			sc_config_host(cfg, n->str, n->len);
		return 0;
	}
	return 0;
}

int
pogo_sched_config_limit(const char *value, size_t g, uint32_t *limitp)
{
	long long v;
	size_t len = strlen(value);
	char buf[32];
	uint64_t l;

	if (len == 0 || len >= sizeof(buf) || value[0] == '-')
		return POGO_ERR_CONFIG;
	if (value[len - 1] == '%') {
		memcpy(buf, value, len - 1);
		buf[len - 1] = '\0';
		if (pogo_strtonum(buf, 1, 100, &v) != 0)
			return POGO_ERR_CONFIG;
		l = (uint64_t)v * g / 100;
		*limitp = l < 1 ? 1 : (uint32_t)l;
		return 0;
	}
	if (pogo_strtonum(value, 1, INT32_MAX, &v) != 0)
		return POGO_ERR_CONFIG;
	*limitp = (uint32_t)v;
	return 0;
}

/* Walk the constraint tree (SPEC 2.5). */
static int
sc_walk_con(struct pogo_sched_config *cfg, const struct pogo_yaml_node *n,
    struct pogo_strv *keys)
{
	const struct pogo_yaml_node *k, *v;
	struct sc_spec *sp;
	bool has_mp = false, has_child = false;
	uint32_t dummy;
	size_t i, j;
	int r;

	if (n->kind == POGO_YAML_SCALAR && n->null) {
		sc_error(cfg, n, "mandatory parameter max_parallel not set");
		return POGO_ERR_CONFIG;
	}
	if (n->kind != POGO_YAML_MAP) {
		sc_error(cfg, n, "invalid constraint '%s': not a mapping",
		    keys->n > 0 ? keys->v[keys->n - 1] : "constraint");
		return POGO_ERR_CONFIG;
	}
	for (i = 0; i < n->n; i += 2) {
		k = n->items[i];
		v = n->items[i + 1];
		if (strcmp(k->str, "max_parallel") == 0) {
			if (keys->n == 0) {
				sc_error(cfg, k,
				    "max_parallel outside a constraint group");
				return POGO_ERR_CONFIG;
			}
			if (v->kind != POGO_YAML_SCALAR || v->null ||
			    pogo_sched_config_limit(v->str, 100, &dummy) != 0) {
				sc_error(cfg, v, "invalid max_parallel '%s'",
				    v->kind == POGO_YAML_SCALAR ? v->str : "");
				return POGO_ERR_CONFIG;
			}
			if ((cfg->nspecs & (cfg->nspecs - 1)) == 0)
				cfg->specs = xreallocarray(cfg->specs,
				    cfg->nspecs ? cfg->nspecs * 2 : 1,
				    sizeof(*cfg->specs));
			sp = &cfg->specs[cfg->nspecs++];
			memset(sp, 0, sizeof(*sp));
			for (j = 0; j < keys->n; j++)
				pogo_strv_push(&sp->keys, keys->v[j]);
			sp->value = xstrdup(v->str);
			sp->line = v->line;
			sp->col = v->col;
			has_mp = true;
		} else if (v->kind == POGO_YAML_MAP ||
		    (v->kind == POGO_YAML_SCALAR && v->null)) {
			if (sc_is_external(k->str) &&
			    sc_add_ref(cfg, k->str, k) != 0)
				return POGO_ERR_CONFIG;
			pogo_strv_push(keys, k->str);
			r = sc_walk_con(cfg, v, keys);
			free(keys->v[--keys->n]);
			if (r != 0)
				return r;
			has_child = true;
		} else {
			sc_error(
			    cfg, k, "unknown constraint field '%s'", k->str);
			return POGO_ERR_CONFIG;
		}
	}
	if (!has_mp && !has_child) {
		sc_error(cfg, n, "mandatory parameter max_parallel not set");
		return POGO_ERR_CONFIG;
	}
	return 0;
}

int
pogo_sched_config_parse(
    const char *text, size_t len, struct pogo_sched_config **cfgp, char **cause)
{
	return pogo_sched_config_parse_limit(text, len, 0, cfgp, cause);
}

int
pogo_sched_config_parse_limit(const char *text, size_t len, size_t max_entries,
    struct pogo_sched_config **cfgp, char **cause)
{
	struct pogo_sched_config *cfg = NULL;
	struct pogo_yaml_node *root = NULL, *n;
	struct pogo_strv keys = { 0 };
	int r;

	*cfgp = NULL;
	*cause = NULL;
	if ((r = pogo_yaml_parse(text, len, &root, cause)) != 0)
		return r;
	r = POGO_ERR_CONFIG;
	cfg = sc_new();
	if (max_entries == 0 || max_entries > POGO_SCHED_CONFIG_MAX_ENTRIES)
		max_entries = POGO_SCHED_CONFIG_MAX_ENTRIES;
	cfg->budget = cfg->max_entries = max_entries;
	if (root == NULL || root->kind != POGO_YAML_MAP ||
	    pogo_yaml_get(root, "tag") == NULL) {
		sc_error(cfg, NULL, "Improper config file: No tag");
		goto out;
	}
	if (sc_walk_tag(cfg, pogo_yaml_get(root, "tag"), "", SC_NONE) != 0)
		goto out;
	if ((n = pogo_yaml_get(root, "sequence")) != NULL &&
	    sc_walk_seq(cfg, n, &keys) != 0)
		goto out;
	cfg->nconfigured = pogo_strtab_count(cfg->hosts);
	/* The pattern memo served the tag walk; give its memory back. */
	pogo_strtab_free(cfg->patterns);
	cfg->patterns = NULL;
	pogo_idv_clear(&cfg->pat_ids);
	pogo_idv_clear(&cfg->pat_off);
	if ((n = pogo_yaml_get(root, "constraint")) != NULL &&
	    !(n->kind == POGO_YAML_SCALAR && n->null) &&
	    sc_walk_con(cfg, n, &keys) != 0)
		goto out;
	*cfgp = cfg;
	cfg = NULL;
	r = 0;
out:
	if (cfg != NULL) {
		*cause = cfg->cause;
		cfg->cause = NULL;
	}
	pogo_strv_clear(&keys);
	pogo_sched_config_free(cfg);
	pogo_yaml_free(root);
	return r;
}

struct pogo_sched_config *
pogo_sched_config_empty(void)
{
	struct pogo_sched_config *cfg = sc_new();
	char *cause = NULL;

	if (pogo_sched_config_build(cfg, &cause) != 0)
		POGO_BUG("empty configuration does not build: %s", cause);
	return cfg;
}

size_t
pogo_sched_config_nrefs(const struct pogo_sched_config *cfg)
{
	return cfg->nrefs;
}

const char *
pogo_sched_config_ref(const struct pogo_sched_config *cfg, size_t i)
{
	POGO_ASSERT(i < cfg->nrefs);
	return cfg->refs[i].text;
}

int
pogo_sched_config_ref_name(const char *ref, char *name, size_t size)
{
	size_t i;

	for (i = 0; ref[i] != '\0' && ref[i] != ' ' && ref[i] != '\t'; i++) {
		char c = ref[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '_' ||
		        (i > 0 && (c == '.' || c == '-'))))
			return POGO_ERR_CONFIG;
	}
	if (i == 0 || i >= size)
		return POGO_ERR_CONFIG;
	memcpy(name, ref, i);
	name[i] = '\0';
	return 0;
}

void
pogo_sched_config_set_ref(
    struct pogo_sched_config *cfg, size_t i, const struct pogo_strv *hosts)
{
	struct sc_ref *ref;
	size_t j;

	POGO_ASSERT(i < cfg->nrefs);
	ref = &cfg->refs[i];
	free(ref->hosts);
	ref->hosts = xreallocarray(NULL, hosts->n, sizeof(*ref->hosts));
	ref->nhosts = 0;
	for (j = 0; j < hosts->n; j++)
		ref->hosts[ref->nhosts++] = pogo_strtab_intern(
		    cfg->hosts, hosts->v[j], strlen(hosts->v[j]), NULL);
	ref->answered = true;
}

void
pogo_sched_config_fail_ref(
    struct pogo_sched_config *cfg, size_t i, const char *reason)
{
	POGO_ASSERT(i < cfg->nrefs);
	free(cfg->refs[i].failure);
	cfg->refs[i].failure = xstrdup(reason);
	cfg->refs[i].answered = true;
}

bool
pogo_sched_config_ref_answer(const struct pogo_sched_config *cfg, size_t i,
    struct pogo_strv *hosts, const char **failurep)
{
	const struct sc_ref *ref;
	uint32_t j;

	POGO_ASSERT(i < cfg->nrefs);
	ref = &cfg->refs[i];
	*failurep = ref->failure;
	if (!ref->answered || ref->failure != NULL)
		return ref->answered;
	for (j = 0; j < ref->nhosts; j++)
		pogo_strv_push(
		    hosts, pogo_strtab_get(cfg->hosts, ref->hosts[j]));
	return true;
}

/* A fresh stamp value; the stamp array is cleared on wrap-around. */
static uint32_t
sc_next_epoch(uint32_t *stamp, uint32_t n, uint32_t *epoch)
{
	if (++*epoch == 0) {
		memset(stamp, 0, (n + 1) * sizeof(*stamp));
		*epoch = 1;
	}
	return *epoch;
}

/* Compute and memoise the members of tag id (SPEC 2.9). */
static void
sc_members(struct pogo_sched_config *cfg, uint32_t id)
{
	struct sc_tag *t = &cfg->tags[id];
	struct pogo_idv out = { 0 };
	uint32_t e, d;
	size_t i, j;

	if (t->memo || t->busy)
		return;
	t->busy = true;
	for (i = 0; i < t->desc.n; i++)
		sc_members(cfg, t->desc.v[i]);
	t = &cfg->tags[id];
	e = sc_next_epoch(cfg->mstamp, cfg->nstamp, &cfg->mepoch);
	for (i = 0; i < t->direct.n; i++) {
		if (cfg->mstamp[t->direct.v[i]] != e) {
			cfg->mstamp[t->direct.v[i]] = e;
			pogo_idv_push(&out, t->direct.v[i]);
		}
	}
	for (i = 0; i < t->desc.n; i++) {
		d = t->desc.v[i];
		for (j = 0; j < cfg->tags[d].nmembers; j++) {
			uint32_t h = cfg->tags[d].members[j];

			if (cfg->mstamp[h] != e) {
				cfg->mstamp[h] = e;
				pogo_idv_push(&out, h);
			}
		}
	}
	t->members = out.v;
	t->nmembers = (uint32_t)out.n;
	t->memo = true;
	t->busy = false;
}

/* Hosts of a reference: "$tag", "tag", an external reference or a host. */
static const uint32_t *
sc_ref_hosts(struct pogo_sched_config *cfg, const char *ref, bool literal,
    uint32_t *one, size_t *np)
{
	const char *name = ref;
	uint32_t id;

	*np = 0;
	if (sc_is_external(ref)) {
		id = pogo_strtab_find(cfg->refnames, ref, strlen(ref));
		POGO_ASSERT(id != POGO_STRTAB_NONE);
		*np = cfg->refs[id].nhosts;
		return cfg->refs[id].hosts;
	}
	if (ref[0] == '$')
		name = ref + 1;
	else if (literal) {
		/* Literal sequence items were interned by the walk. */
		*one = pogo_strtab_find(cfg->hosts, ref, strlen(ref));
		*np = *one == POGO_STRTAB_NONE ? 0 : 1;
		return one;
	}
	id = pogo_strtab_find(cfg->tagnames, name, strlen(name));
	if (id == POGO_STRTAB_NONE)
		return NULL;
	sc_members(cfg, id);
	*np = cfg->tags[id].nmembers;
	return cfg->tags[id].members;
}

/*
 * Stamp the intersection of the filter references with a fresh epoch and
 * return it (0 when there are no filters: everything passes).  Member
 * lists use their own stamp array, so computing one here is safe.
 */
static uint32_t
sc_filter(struct pogo_sched_config *cfg, char *const *refs, size_t nrefs)
{
	const uint32_t *h;
	uint32_t prev = 0, e = 0, one;
	size_t i, j, n;

	for (i = 0; i < nrefs; i++) {
		h = sc_ref_hosts(cfg, refs[i], false, &one, &n);
		e = sc_next_epoch(cfg->stamp, cfg->nstamp, &cfg->epoch);
		for (j = 0; j < n; j++) {
			if (i == 0 || cfg->stamp[h[j]] == prev)
				cfg->stamp[h[j]] = e;
		}
		prev = e;
	}
	return e;
}

/* Copy the hosts of list that pass the filter stamped e (0: all). */
static uint32_t *
sc_select(struct pogo_sched_config *cfg, const uint32_t *list, size_t n,
    uint32_t e, uint32_t *np)
{
	uint32_t *out = xreallocarray(NULL, n, sizeof(*out));
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (e == 0 || cfg->stamp[list[i]] == e)
			out[k++] = list[i];
	}
	*np = (uint32_t)k;
	return out;
}

static void
sc_add_group(struct pogo_sched_config *cfg, char *name, const char *value,
    uint32_t *hosts, uint32_t nhosts)
{
	struct sc_group *g;
	uint32_t limit, id;
	bool added;

	if (nhosts == 0) {
		free(name);
		free(hosts);
		return;
	}
	if (pogo_sched_config_limit(value, nhosts, &limit) != 0)
		POGO_BUG("max_parallel '%s' passed the parser", value);
	id = pogo_strtab_intern(cfg->groupnames, name, strlen(name), &added);
	if (!added) {
		if (limit < cfg->groups[id].limit)
			cfg->groups[id].limit = limit;
		free(name);
		free(hosts);
		return;
	}
	if ((cfg->ngroups & (cfg->ngroups - 1)) == 0)
		cfg->groups = xreallocarray(cfg->groups,
		    cfg->ngroups ? cfg->ngroups * 2 : 1, sizeof(*cfg->groups));
	g = &cfg->groups[cfg->ngroups++];
	g->name = name;
	g->limit = limit;
	g->hosts = hosts;
	g->nhosts = nhosts;
}

/* "$a.$b": every key written with a leading '$', joined with '.'. */
static char *
sc_group_name(const struct pogo_strv *keys)
{
	struct pogo_strv k = { 0 };
	char *s;
	size_t i;

	for (i = 0; i < keys->n; i++) {
		if (keys->v[i][0] == '$' || sc_is_external(keys->v[i]))
			pogo_strv_push(&k, keys->v[i]);
		else {
			xasprintf(&s, "$%s", keys->v[i]);
			pogo_strv_take(&k, s);
		}
	}
	s = sc_join(&k, NULL);
	pogo_strv_clear(&k);
	return s;
}

/* Turn one max_parallel entry into one group, or one per value. */
static void
sc_build_spec(struct pogo_sched_config *cfg, const struct sc_spec *sp)
{
	const char *last = sp->keys.v[sp->keys.n - 1];
	const char *tagname = last[0] == '$' ? last + 1 : last;
	const uint32_t *h;
	uint32_t e, id, one, *sel, nsel;
	struct sc_tag *t;
	char *base, *name;
	const char *vname;
	size_t i, n;

	base = sc_group_name(&sp->keys);
	e = sc_filter(cfg, sp->keys.v, sp->keys.n - 1);
	id = sc_is_external(last)
	    ? POGO_STRTAB_NONE
	    : pogo_strtab_find(cfg->tagnames, tagname, strlen(tagname));
	if (id != POGO_STRTAB_NONE && cfg->tags[id].direct.n == 0 &&
	    cfg->tags[id].values.n > 0) {
		t = &cfg->tags[id];
		for (i = 0; i < t->values.n; i++) {
			uint32_t vid = cfg->tags[id].values.v[i];

			sc_members(cfg, vid);
			vname = pogo_strtab_get(cfg->tagnames, vid) +
			    strlen(tagname) + 1;
			sel = sc_select(cfg, cfg->tags[vid].members,
			    cfg->tags[vid].nmembers, e, &nsel);
			xasprintf(&name, "%s.%s", base, vname);
			sc_add_group(cfg, name, sp->value, sel, nsel);
		}
		free(base);
		return;
	}
	h = sc_ref_hosts(cfg, last, false, &one, &n);
	sel = sc_select(cfg, h, n, e, &nsel);
	sc_add_group(cfg, base, sp->value, sel, nsel);
}

int
pogo_sched_config_build(struct pogo_sched_config *cfg, char **cause)
{
	struct sc_slot *sl;
	const uint32_t *h;
	uint32_t e, one;
	char name[256];
	size_t i, j, n;

	*cause = NULL;
	POGO_ASSERT(!cfg->built);
	for (i = 0; i < cfg->nrefs; i++) {
		const struct sc_ref *ref = &cfg->refs[i];

		if (pogo_sched_config_ref_name(ref->text, name, sizeof(name)) !=
		    0) {
			xasprintf(cause,
			    "line %d, column %d: resolver '%s' failed: "
			    "invalid resolver name",
			    ref->line, ref->col, ref->text);
			return POGO_ERR_CONFIG;
		}
		if (!ref->answered || ref->failure != NULL) {
			xasprintf(cause,
			    "line %d, column %d: resolver '%s' failed: %s",
			    ref->line, ref->col, name,
			    ref->failure != NULL ? ref->failure
			                         : "not resolved");
			return POGO_ERR_CONFIG;
		}
	}
	cfg->nstamp = pogo_strtab_count(cfg->hosts);
	cfg->stamp = xcalloc(cfg->nstamp + 1, sizeof(*cfg->stamp));
	cfg->mstamp = xcalloc(cfg->nstamp + 1, sizeof(*cfg->mstamp));

	for (i = 0; i < cfg->nthreads; i++) {
		for (j = 0; j < cfg->threads[i].nslots; j++) {
			sl = &cfg->threads[i].slots[j];
			e = sc_filter(cfg, sl->filters.v, sl->filters.n);
			h = sc_ref_hosts(cfg, sl->item, true, &one, &n);
			sl->hosts = sc_select(cfg, h, n, e, &sl->nhosts);
		}
	}
	for (i = 0; i < cfg->nspecs; i++)
		sc_build_spec(cfg, &cfg->specs[i]);
	cfg->built = true;
	return 0;
}

const struct pogo_strtab *
pogo_sched_config_hosts(const struct pogo_sched_config *cfg)
{
	return cfg->hosts;
}

uint32_t
pogo_sched_config_nconfigured(const struct pogo_sched_config *cfg)
{
	return cfg->nconfigured;
}

size_t
pogo_sched_config_nthreads(const struct pogo_sched_config *cfg)
{
	return cfg->nthreads;
}

size_t
pogo_sched_config_nslots(const struct pogo_sched_config *cfg, size_t thread)
{
	POGO_ASSERT(thread < cfg->nthreads);
	return cfg->threads[thread].nslots;
}

const char *
pogo_sched_config_slot_name(
    const struct pogo_sched_config *cfg, size_t thread, size_t slot)
{
	POGO_ASSERT(thread < cfg->nthreads);
	POGO_ASSERT(slot < cfg->threads[thread].nslots);
	return cfg->threads[thread].slots[slot].name;
}

const uint32_t *
pogo_sched_config_slot_hosts(
    const struct pogo_sched_config *cfg, size_t thread, size_t slot, size_t *np)
{
	POGO_ASSERT(cfg->built && thread < cfg->nthreads);
	POGO_ASSERT(slot < cfg->threads[thread].nslots);
	*np = cfg->threads[thread].slots[slot].nhosts;
	return cfg->threads[thread].slots[slot].hosts;
}

size_t
pogo_sched_config_ngroups(const struct pogo_sched_config *cfg)
{
	return cfg->ngroups;
}

const char *
pogo_sched_config_group_name(const struct pogo_sched_config *cfg, size_t group)
{
	POGO_ASSERT(group < cfg->ngroups);
	return cfg->groups[group].name;
}

uint32_t
pogo_sched_config_group_limit(const struct pogo_sched_config *cfg, size_t group)
{
	POGO_ASSERT(group < cfg->ngroups);
	return cfg->groups[group].limit;
}

const uint32_t *
pogo_sched_config_group_hosts(
    const struct pogo_sched_config *cfg, size_t group, size_t *np)
{
	POGO_ASSERT(group < cfg->ngroups);
	*np = cfg->groups[group].nhosts;
	return cfg->groups[group].hosts;
}

const uint32_t *
pogo_sched_config_tag_members(
    struct pogo_sched_config *cfg, const char *tag, size_t *np)
{
	uint32_t id;

	POGO_ASSERT(cfg->built);
	*np = 0;
	id = pogo_strtab_find(cfg->tagnames, tag, strlen(tag));
	if (id == POGO_STRTAB_NONE)
		return NULL;
	sc_members(cfg, id);
	*np = cfg->tags[id].nmembers;
	return cfg->tags[id].members;
}

static int
sc_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
pogo_sched_config_host_tags(
    struct pogo_sched_config *cfg, const char *host, struct pogo_strv *tags)
{
	size_t first = tags->n;
	uint32_t hid, id, i;

	POGO_ASSERT(cfg->built);
	hid = pogo_strtab_find(cfg->hosts, host, strlen(host));
	if (hid == POGO_STRTAB_NONE)
		return;
	for (id = 0; id < cfg->ntags; id++) {
		sc_members(cfg, id);
		for (i = 0; i < cfg->tags[id].nmembers; i++) {
			if (cfg->tags[id].members[i] == hid) {
				pogo_strv_push(
				    tags, pogo_strtab_get(cfg->tagnames, id));
				break;
			}
		}
	}
	qsort(tags->v + first, tags->n - first, sizeof(*tags->v), sc_strcmp);
}
