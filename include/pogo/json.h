/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The pogo authors */

/*
 * JSON documents, through cJSON: src/json.c is the only file that includes
 * it, and cJSON allocates through xmalloc.  The event lines of pogo one
 * --json (SPEC 12.2), and a small document interface (parse, read, build,
 * print) on which the wire protocol (proto.c) is written.
 *
 * Strings keep every byte (SPEC 5.8): an encoded string escapes NUL as
 * \u0000 and every other control character, and replaces invalid UTF-8
 * by U+FFFD; a decoded string keeps \u0000 as a NUL byte (with its
 * length) and replaces invalid UTF-8 by U+FFFD too.  cJSON's strings are
 * NUL-terminated, so json.c maps \u0000 and \u0001 to two-byte
 * sequences before cJSON parses and back when a string is read.
 */
#ifndef POGO_JSON_H
#define POGO_JSON_H

#include "pogo/exec.h"

struct pogo_job_entry;

/* cJSON's version string. */
const char *pogo_json_version(void);

/*
 * One line (without newline, freed by the caller) for a job log entry, an
 * output record and the final summary, keys in the order of SPEC 12.2.
 */
char *pogo_json_event_entry(const char *job, const struct pogo_job_entry *e);
char *pogo_json_event_output(const char *job, const char *host, uint32_t run,
    enum pogo_out_type type, const char *data, size_t len, double time);
char *pogo_json_event_summary(uint32_t hosts, uint32_t ok, uint32_t failed,
    uint32_t unreachable, uint32_t deadlocked, uint32_t halted,
    uint32_t skipped, double elapsed, unsigned peak_in_flight,
    unsigned peak_handshakes, int exitcode);

/* A value of a parsed or built document (a cJSON node). */
struct pogo_json;

enum pogo_json_kind {
	POGO_JSON_NONE, /* an absent member */
	POGO_JSON_NULL,
	POGO_JSON_BOOL,
	POGO_JSON_NUMBER,
	POGO_JSON_STRING,
	POGO_JSON_ARRAY,
	POGO_JSON_OBJECT,
};

/*
 * Parse s[0..len) (any bytes) as one JSON object, with nothing but
 * whitespace around it.  Returns 0 and *docp (freed with
 * pogo_json_free()), or POGO_ERR_JSON: not JSON (raw control characters
 * other than whitespace included), or not an object.
 */
int pogo_json_parse_object(const char *s, size_t len, struct pogo_json **docp);
/* Free a whole document (NULL-safe). */
void pogo_json_free(struct pogo_json *doc);

/* Member key of object obj (borrowed), or NULL (absent, obj no object). */
const struct pogo_json *pogo_json_get(
    const struct pogo_json *obj, const char *key);
/* The kind of v; POGO_JSON_NONE for NULL. */
enum pogo_json_kind pogo_json_kind(const struct pogo_json *v);
/* The value of a BOOL or NUMBER (0 for any other kind). */
bool pogo_json_bool(const struct pogo_json *v);
double pogo_json_number(const struct pogo_json *v);
/*
 * A STRING's bytes as a new NUL-terminated buffer (the caller frees it),
 * NUL bytes kept and invalid UTF-8 replaced by U+FFFD; *lenp (may be
 * NULL) its length.  NULL if v is no string.
 */
char *pogo_json_string(const struct pogo_json *v, size_t *lenp);
/*
 * Elements of an ARRAY or members of an OBJECT: the first, the one after
 * v; NULL at the end.  pogo_json_key: a member's key (borrowed), or NULL.
 */
const struct pogo_json *pogo_json_first(const struct pogo_json *array);
const struct pogo_json *pogo_json_next(const struct pogo_json *v);
const char *pogo_json_key(const struct pogo_json *v);
/*
 * A value of a document (borrowed, unchanged; NULL prints null) printed
 * without whitespace, with a final newline: a new string, *lenp its
 * length.
 */
char *pogo_json_print_value(const struct pogo_json *v, size_t *lenp);

/* A new, empty object to build (freed by pogo_json_print_line). */
struct pogo_json *pogo_json_new_object(void);
/*
 * The same for a document whose keys, its own and those of the objects
 * added to it, are constants that outlive it (string literals): they
 * are borrowed, not copied (the wire protocol's messages).
 */
struct pogo_json *pogo_json_new_message(void);
/*
 * Add a member to object o (or, with key NULL, an element to array o).
 * Strings are copied; pogo_json_add_string(o, k, NULL) adds null.
 */
void pogo_json_add_bytes(
    struct pogo_json *o, const char *key, const char *s, size_t len);
void pogo_json_add_string(struct pogo_json *o, const char *key, const char *s);
void pogo_json_add_number(struct pogo_json *o, const char *key, double v);
/*
 * A double that is no int (a time): printed with 17 significant digits
 * when strtod() reads that back as v (always, for a finite v), which
 * costs one snprintf where cJSON's printer takes up to two and an
 * sscanf; the same value as pogo_json_add_number(), digits may differ.
 */
void pogo_json_add_double(struct pogo_json *o, const char *key, double v);
void pogo_json_add_bool(struct pogo_json *o, const char *key, bool v);
void pogo_json_add_null(struct pogo_json *o, const char *key);
/* Add an empty object or array and return it (owned by o). */
struct pogo_json *pogo_json_add_object(struct pogo_json *o, const char *key);
struct pogo_json *pogo_json_add_array(struct pogo_json *o, const char *key);
/*
 * Print doc without whitespace and with a final newline, the only one: a
 * new string the caller frees, *lenp its length.  Frees doc.
 */
char *pogo_json_print_line(struct pogo_json *doc, size_t *lenp);
/*
 * The same indented by 2 spaces, one member or element per line, with
 * "key": value (SPEC 11.2 format=json-pretty).  Frees doc.
 */
char *pogo_json_print_pretty(struct pogo_json *doc, size_t *lenp);

/*
 * {"errors": ["<msg>"]} (SPEC 11.2) without a newline, freed by the
 * caller.  msg may hold any bytes: invalid UTF-8 becomes U+FFFD.
 */
char *pogo_json_errors(const char *msg);

#endif
