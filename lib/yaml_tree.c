/*
 * The YAML tree of yaml_tree.h: libyaml events -> nodes with their marks,
 * and the accessors every loader checks its document with.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yaml_tree.h"

/* Deep enough for the formats (9 levels), shallow enough that the recursive
 * checks of the loaders cannot exhaust the stack on hostile input. */
#define MAX_DEPTH 32

/* ---- errors ------------------------------------------------------------------ */

static int clamp_int(size_t v)
{
	return v > 1000000000 ? 1000000000 : (int)v;
}

int ytree_fail_at(ytree_loader *ld, size_t line0, size_t col0, const char *fmt, ...)
{
	char msg[sizeof(ld->err->message)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ld->err->line = clamp_int(line0) + 1;
	ld->err->column = clamp_int(col0) + 1;
	n = snprintf(ld->err->message, sizeof(ld->err->message), "%s:%d:%d: ", ld->name,
	             ld->err->line, ld->err->column);
	if (n >= 0 && (size_t)n < sizeof(ld->err->message))
		snprintf(ld->err->message + n, sizeof(ld->err->message) - (size_t)n, "%s", msg);
	return RIGHTS_ESYNTAX;
}

int ytree_nomem(ytree_loader *ld)
{
	ld->err->line = 0;
	ld->err->column = 0;
	snprintf(ld->err->message, sizeof(ld->err->message), "%s: out of memory", ld->name);
	return RIGHTS_ENOMEM;
}

/* A printable excerpt of user text for an error message: control bytes
 * become '?', long text is cut on a UTF-8 boundary. */
const char *ytree_show(char buf[YTREE_SHOW_MAX + 4], const char *s, size_t len)
{
	size_t i, n = len;

	if (n > YTREE_SHOW_MAX) {
		n = YTREE_SHOW_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	for (i = 0; i < n; i++)
		buf[i] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* ---- the tree ---------------------------------------------------------------- */

void ytree_free(ytree_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		ytree_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static int node_add(ytree_node *parent, ytree_node *kid)
{
	ytree_node **kids = NULL;
	size_t cap;

	if (parent->nkids == parent->cap) {
		cap = parent->cap ? parent->cap * 2 : 8;
		kids = realloc(parent->kids, cap * sizeof(*kids));
		if (kids == NULL)
			return RIGHTS_ENOMEM;
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->nkids++] = kid;
	return RIGHTS_OK;
}

/* libyaml marks count characters; so does this, for the reader's errors,
 * which only record a byte offset. */
static void offset_to_mark(yaml_mark_t *mark, const char *buf, size_t len, size_t offset)
{
	size_t i;

	mark->line = 0;
	mark->column = 0;
	for (i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			mark->line++;
			mark->column = 0;
		} else if (((unsigned char)buf[i] & 0xC0) != 0x80) {
			mark->column++;
		}
	}
}

static int syntax_fail(ytree_loader *ld, const yaml_parser_t *parser, const char *buf, size_t len)
{
	yaml_mark_t mark = parser->problem_mark;
	const char *problem = parser->problem ? parser->problem : "unknown error";

	if (parser->error == YAML_MEMORY_ERROR)
		return ytree_nomem(ld);
	if (parser->error == YAML_READER_ERROR)
		offset_to_mark(&mark, buf, len, parser->problem_offset);
	if (parser->context != NULL)
		return ytree_fail_at(ld, mark.line, mark.column, "YAML syntax error: %s (%s)",
		                     problem, parser->context);
	return ytree_fail_at(ld, mark.line, mark.column, "YAML syntax error: %s", problem);
}

/* Only the default tag of each node kind is tolerated: rights.yaml has no
 * use for typed or application-specific nodes. */
static int tag_check(ytree_loader *ld, const yaml_event_t *ev, const yaml_char_t *tag,
                     const char *expected)
{
	char b[YTREE_SHOW_MAX + 4];

	if (tag == NULL || strcmp((const char *)tag, expected) == 0)
		return RIGHTS_OK;
	return ytree_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
	                     "tag \"%s\" is not allowed",
	                     ytree_show(b, (const char *)tag, strlen((const char *)tag)));
}

static int tree_attach(ytree_node **root, ytree_node **stack, size_t depth, ytree_node *node)
{
	if (depth == 0) {
		*root = node;
		return RIGHTS_OK;
	}
	return node_add(stack[depth - 1], node);
}

static int tree_event(ytree_loader *ld, ytree_node **root, ytree_node **stack, size_t *depth,
                      const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	const char *expected = YAML_STR_TAG;
	ytree_node *node = NULL;
	int rc = RIGHTS_OK;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return ytree_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
		                     "aliases are not allowed");
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		expected = YAML_SEQ_TAG;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		expected = YAML_MAP_TAG;
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		(*depth)--;
		return RIGHTS_OK;
	default:
		return RIGHTS_OK;
	}
	if (anchor != NULL)
		return ytree_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
		                     "anchors are not allowed");
	rc = tag_check(ld, ev, tag, expected);
	if (rc != RIGHTS_OK)
		return rc;
	if (ev->type != YAML_SCALAR_EVENT && *depth == MAX_DEPTH)
		return ytree_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
		                     "nested deeper than %d levels", MAX_DEPTH);

	node = calloc(1, sizeof(*node));
	if (node == NULL)
		return ytree_nomem(ld);
	node->mark = ev->start_mark;
	if (ev->type == YAML_SCALAR_EVENT) {
		node->type = YTREE_SCALAR;
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL;
		node->len = ev->data.scalar.length;
		node->text = malloc(node->len + 1);
		if (node->text == NULL) {
			rc = ytree_nomem(ld);
			goto cleanup;
		}
		memcpy(node->text, ev->data.scalar.value, node->len);
		node->text[node->len] = '\0';
	} else {
		node->type = ev->type == YAML_SEQUENCE_START_EVENT ? YTREE_SEQ : YTREE_MAP;
	}
	if (tree_attach(root, stack, *depth, node) != RIGHTS_OK) {
		rc = ytree_nomem(ld);
		goto cleanup;
	}
	if (node->type != YTREE_SCALAR)
		stack[(*depth)++] = node;
	node = NULL;

cleanup:
	ytree_free(node);
	return rc;
}

int ytree_parse(ytree_node **out, ytree_loader *ld, const char *buf, size_t len, const char *empty)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	ytree_node *stack[MAX_DEPTH];
	ytree_node *root = NULL;
	size_t depth = 0;
	int docs = 0, done = 0, have_event = 0, rc = RIGHTS_OK;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return ytree_nomem(ld);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = syntax_fail(ld, &parser, buf, len);
			goto cleanup;
		}
		have_event = 1;
		if (ev.type == YAML_STREAM_END_EVENT) {
			done = 1;
		} else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			rc = ytree_fail_at(ld, ev.start_mark.line, ev.start_mark.column,
			                   "only one YAML document is allowed");
			goto cleanup;
		} else {
			rc = tree_event(ld, &root, stack, &depth, &ev);
			if (rc != RIGHTS_OK)
				goto cleanup;
		}
		yaml_event_delete(&ev);
		have_event = 0;
	}
	if (root == NULL) {
		rc = ytree_fail_at(ld, 0, 0, "%s", empty);
		goto cleanup;
	}
	*out = root;
	root = NULL;

cleanup:
	if (have_event)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	ytree_free(root);
	return rc;
}

/* ---- tree accessors ---------------------------------------------------------- */

const char *ytree_type_name(ytree_type t)
{
	switch (t) {
	case YTREE_SCALAR:
		return "a scalar";
	case YTREE_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}

int ytree_expect(ytree_loader *ld, const ytree_node *n, ytree_type t, const char *what)
{
	if (n->type == t)
		return RIGHTS_OK;
	return ytree_fail(ld, n, "%s must be %s, not %s", what, ytree_type_name(t),
	                  ytree_type_name(n->type));
}

int ytree_key_is(const ytree_node *key, const char *name)
{
	return key->type == YTREE_SCALAR && strlen(name) == key->len &&
	       memcmp(key->text, name, key->len) == 0;
}

int ytree_same_text(const ytree_node *a, const ytree_node *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Keys must be scalars and unique; with `allowed`, also one of those. */
int ytree_check_keys(ytree_loader *ld, const ytree_node *map, const char *const *allowed,
                     const char *what)
{
	char b[YTREE_SHOW_MAX + 4];
	size_t i, j, k;
	const ytree_node *key;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		key = map->kids[i];
		if (key->type != YTREE_SCALAR)
			return ytree_fail(ld, key, "keys of %s must be scalars, not %s", what,
			                  ytree_type_name(key->type));
		if (allowed != NULL) {
			for (k = 0; allowed[k] != NULL && !ytree_key_is(key, allowed[k]); k++)
				;
			if (allowed[k] == NULL)
				return ytree_fail(ld, key, "unknown key \"%s\" in %s",
				                  ytree_show(b, key->text, key->len), what);
		}
		for (j = 0; j < i; j += 2)
			if (ytree_same_text(map->kids[j], key))
				return ytree_fail(ld, key, "duplicate key \"%s\" in %s",
				                  ytree_show(b, key->text, key->len), what);
	}
	return RIGHTS_OK;
}

/* The value under `name`, or NULL; *keyp (optional) gets the key node. */
const ytree_node *ytree_map_get(const ytree_node *map, const char *name, const ytree_node **keyp)
{
	size_t i;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		if (ytree_key_is(map->kids[i], name)) {
			if (keyp != NULL)
				*keyp = map->kids[i];
			return map->kids[i + 1];
		}
	}
	return NULL;
}

int ytree_map_need(const ytree_node **out, ytree_loader *ld, const ytree_node *map,
                   const char *name, const char *what)
{
	*out = ytree_map_get(map, name, NULL);
	if (*out == NULL)
		return ytree_fail(ld, map, "missing key \"%s\" in %s", name, what);
	return RIGHTS_OK;
}

/* YAML 1.1 reads these plain scalars as null, not as text. */
int ytree_is_null(const ytree_node *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	size_t i;

	if (!n->plain)
		return 0;
	for (i = 0; nulls[i] != NULL; i++)
		if (ytree_key_is(n, nulls[i]))
			return 1;
	return 0;
}

/* A non-empty string scalar, copied; *out stays NULL on error. */
int ytree_get_string(char **out, ytree_loader *ld, const ytree_node *n, const char *what)
{
	int rc = ytree_expect(ld, n, YTREE_SCALAR, what);

	if (rc != RIGHTS_OK)
		return rc;
	if (n->len == 0)
		return ytree_fail(ld, n, "%s must not be empty", what);
	if (ytree_is_null(n))
		return ytree_fail(ld, n, "%s must be text, not null (quote it)", what);
	if (memchr(n->text, '\0', n->len) != NULL)
		return ytree_fail(ld, n, "%s must not contain a NUL character", what);
	*out = strdup(n->text);
	return *out ? RIGHTS_OK : ytree_nomem(ld);
}

int ytree_get_bool(int *out, ytree_loader *ld, const ytree_node *n, const char *what)
{
	if (n->type == YTREE_SCALAR && n->plain && ytree_key_is(n, "true"))
		*out = 1;
	else if (n->type == YTREE_SCALAR && n->plain && ytree_key_is(n, "false"))
		*out = 0;
	else
		return ytree_fail(ld, n, "%s must be true or false", what);
	return RIGHTS_OK;
}

int ytree_read_file(char **buf, size_t *len, const char *path, rights_error *err)
{
	char why[128];
	FILE *f = NULL;
	char *data = NULL, *grown = NULL;
	size_t used = 0, cap = 0, n;
	int rc = RIGHTS_OK;

	*buf = NULL;
	*len = 0;
	f = fopen(path, "rb");
	if (f == NULL)
		goto io_error;
	for (;;) {
		if (used == cap) {
			cap = cap ? cap * 2 : 16384;
			grown = realloc(data, cap);
			if (grown == NULL) {
				ytree_loader ld = {path, err};
				rc = ytree_nomem(&ld);
				goto cleanup;
			}
			data = grown;
		}
		n = fread(data + used, 1, cap - used, f);
		used += n;
		if (n == 0) {
			if (ferror(f))
				goto io_error;
			break;
		}
	}
	*buf = data;
	*len = used;
	data = NULL;
	goto cleanup;

io_error:
	if (strerror_r(errno, why, sizeof(why)) != 0)
		snprintf(why, sizeof(why), "error %d", errno);
	snprintf(err->message, sizeof(err->message), "%s: %s", path, why);
	rc = RIGHTS_EIO;

cleanup:
	if (f != NULL)
		fclose(f);
	free(data);
	return rc;
}
