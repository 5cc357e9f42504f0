/*
 * A small YAML tree that remembers where every node starts, for loaders
 * that report errors as "name:line:col: message" (rights.yaml in
 * catalog_load.c, provisiond.yaml in provisiond/config.c).
 *
 * libyaml's document API keeps no anchors, so it could not refuse them;
 * the event API builds this tree instead. Aliases, anchors, non-default
 * tags and more than one document are refused while parsing.
 *
 * Ownership: ytree_parse() gives the caller the root, freed with
 * ytree_free() (which accepts NULL). Strings returned by ytree_get_string()
 * are the caller's. The first error wins: it is written to the loader's
 * rights_error and every function returns it (RIGHTS_ESYNTAX, RIGHTS_ENOMEM
 * or RIGHTS_EIO).
 */
#ifndef PORTAL_UM_YAML_TREE_H
#define PORTAL_UM_YAML_TREE_H

#include <stddef.h>

#include <yaml.h>

#include "rights.h"

/* How much of a user-supplied key or value an error message quotes. */
#define YTREE_SHOW_MAX 48

typedef enum ytree_type {
	YTREE_SCALAR,
	YTREE_SEQ,
	YTREE_MAP,
} ytree_type;

typedef struct ytree_node {
	ytree_type type;
	yaml_mark_t mark;
	int plain; /* untagged plain scalar: subject to YAML's implicit typing */
	char *text;
	size_t len;
	struct ytree_node **kids; /* sequence items; mapping: key, value, key, value... */
	size_t nkids;
	size_t cap;
} ytree_node;

/* `name` stands for the file in messages; `err` receives the first error. */
typedef struct ytree_loader {
	const char *name;
	rights_error *err;
} ytree_loader;

/* Parses one document. `empty` is the message for a document without any
 * node (it says what the caller expected). */
int ytree_parse(ytree_node **out, ytree_loader *ld, const char *buf, size_t len, const char *empty);
void ytree_free(ytree_node *n);

/* Reads a whole file; on failure err says "path: why" (RIGHTS_EIO). */
int ytree_read_file(char **buf, size_t *len, const char *path, rights_error *err);

/* Records "name:line:col: message" (line0/col0 are 0-based) and returns
 * RIGHTS_ESYNTAX. */
int ytree_fail_at(ytree_loader *ld, size_t line0, size_t col0, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
#define ytree_fail(ld, node, ...)                                                                  \
	ytree_fail_at((ld), (node)->mark.line, (node)->mark.column, __VA_ARGS__)
int ytree_nomem(ytree_loader *ld);

/* A printable excerpt of user text for an error message: control bytes
 * become '?', long text is cut on a UTF-8 boundary. */
const char *ytree_show(char buf[YTREE_SHOW_MAX + 4], const char *s, size_t len);

const char *ytree_type_name(ytree_type t);
int ytree_expect(ytree_loader *ld, const ytree_node *n, ytree_type t, const char *what);
int ytree_key_is(const ytree_node *key, const char *name);
int ytree_same_text(const ytree_node *a, const ytree_node *b);
/* Keys must be scalars and unique; with `allowed`, also one of those. */
int ytree_check_keys(ytree_loader *ld, const ytree_node *map, const char *const *allowed,
                     const char *what);
/* The value under `name`, or NULL; *keyp (optional) gets the key node. */
const ytree_node *ytree_map_get(const ytree_node *map, const char *name, const ytree_node **keyp);
int ytree_map_need(const ytree_node **out, ytree_loader *ld, const ytree_node *map,
                   const char *name, const char *what);
/* YAML 1.1 reads these plain scalars as null, not as text. */
int ytree_is_null(const ytree_node *n);
/* A non-empty string scalar, copied; *out stays NULL on error. */
int ytree_get_string(char **out, ytree_loader *ld, const ytree_node *n, const char *what);
int ytree_get_bool(int *out, ytree_loader *ld, const ytree_node *n, const char *what);

#endif
