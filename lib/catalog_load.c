/*
 * rights.yaml -> catalogue (doc/rights-yaml-format.md, DESIGN §4).
 *
 * Two passes: libyaml's event API builds a small tree that remembers where
 * every node starts (the document API keeps no anchors, so it could not
 * refuse them), then the tree is checked and copied into the catalogue.
 * The first error wins and is reported as "name:line:col: message".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "catalog_priv.h"

/* Deep enough for the format (9 levels), shallow enough that the recursive
 * checks below cannot exhaust the stack on hostile input. */
#define MAX_DEPTH 32
/* How much of a user-supplied key or value an error message quotes. */
#define SHOW_MAX 48

typedef enum ytype {
	Y_SCALAR,
	Y_SEQ,
	Y_MAP,
} ytype;

typedef struct ynode {
	ytype type;
	yaml_mark_t mark;
	int plain; /* untagged plain scalar: subject to YAML's implicit typing */
	char *text;
	size_t len;
	struct ynode **kids; /* sequence items; mapping: key, value, key, value... */
	size_t nkids;
	size_t cap;
} ynode;

typedef struct loader {
	const char *name;
	rights_error *err;
} loader;

typedef enum id_syntax {
	ID_NAME,  /* apps, dimensions, profiles: [a-z0-9-]+ */
	ID_VALUE, /* static values, contract kinds: [A-Za-z0-9._/-]+ */
	ID_ATTR,  /* LDAP attribute descriptions: [A-Za-z][A-Za-z0-9-]* */
} id_syntax;

static const char *const top_keys[] = {"version", "management", "applications", NULL};
static const char *const manage_keys[] = {"id", "label", NULL};
static const char *const app_keys[] = {"id",       "label",   "delegable", "dimensions",
                                       "profiles", "project", NULL};
static const char *const dim_keys[] = {"id", "label", "values", "source", "kinds", NULL};
static const char *const value_keys[] = {"id", "label", "router-only", NULL};
static const char *const profile_keys[] = {"id", "label", "require", "at-least-one", NULL};
static const char *const project_keys[] = {"group", "attribute", "for", "value", NULL};
/* Checked in this order, the order of the portal's language switch. */
static const rights_lang label_langs[RIGHTS_LANG_COUNT] = {RIGHTS_LANG_NL, RIGHTS_LANG_FR,
                                                           RIGHTS_LANG_DE, RIGHTS_LANG_EN};
static const char *const label_keys[] = {"nl", "fr", "de", "en", NULL};
/* §2.2.4: exactly these four management rights exist. */
static const char *const manage_ids[] = {"admins", "users", "password-recovery", "ftp", NULL};

/* ---- errors ------------------------------------------------------------------ */

static int clamp_int(size_t v)
{
	return v > 1000000000 ? 1000000000 : (int)v;
}

static int load_fail_at(loader *ld, size_t line0, size_t col0, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int load_fail_at(loader *ld, size_t line0, size_t col0, const char *fmt, ...)
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

#define load_fail(ld, node, ...)                                                                   \
	load_fail_at((ld), (node)->mark.line, (node)->mark.column, __VA_ARGS__)

static int load_nomem(loader *ld)
{
	ld->err->line = 0;
	ld->err->column = 0;
	snprintf(ld->err->message, sizeof(ld->err->message), "%s: out of memory", ld->name);
	return RIGHTS_ENOMEM;
}

/* A printable excerpt of user text for an error message: control bytes
 * become '?', long text is cut on a UTF-8 boundary. */
static const char *show(char buf[SHOW_MAX + 4], const char *s, size_t len)
{
	size_t i, n = len;

	if (n > SHOW_MAX) {
		n = SHOW_MAX;
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

static void node_free(ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static int node_add(ynode *parent, ynode *kid)
{
	ynode **kids = NULL;
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

static int syntax_fail(loader *ld, const yaml_parser_t *parser, const char *buf, size_t len)
{
	yaml_mark_t mark = parser->problem_mark;
	const char *problem = parser->problem ? parser->problem : "unknown error";

	if (parser->error == YAML_MEMORY_ERROR)
		return load_nomem(ld);
	if (parser->error == YAML_READER_ERROR)
		offset_to_mark(&mark, buf, len, parser->problem_offset);
	if (parser->context != NULL)
		return load_fail_at(ld, mark.line, mark.column, "YAML syntax error: %s (%s)",
		                    problem, parser->context);
	return load_fail_at(ld, mark.line, mark.column, "YAML syntax error: %s", problem);
}

/* Only the default tag of each node kind is tolerated: rights.yaml has no
 * use for typed or application-specific nodes. */
static int tag_check(loader *ld, const yaml_event_t *ev, const yaml_char_t *tag,
                     const char *expected)
{
	char b[SHOW_MAX + 4];

	if (tag == NULL || strcmp((const char *)tag, expected) == 0)
		return RIGHTS_OK;
	return load_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
	                    "tag \"%s\" is not allowed",
	                    show(b, (const char *)tag, strlen((const char *)tag)));
}

static int tree_attach(ynode **root, ynode **stack, size_t depth, ynode *node)
{
	if (depth == 0) {
		*root = node;
		return RIGHTS_OK;
	}
	return node_add(stack[depth - 1], node);
}

static int tree_event(loader *ld, ynode **root, ynode **stack, size_t *depth,
                      const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;
	const char *expected = YAML_STR_TAG;
	ynode *node = NULL;
	int rc = RIGHTS_OK;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return load_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
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
		return load_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
		                    "anchors are not allowed");
	rc = tag_check(ld, ev, tag, expected);
	if (rc != RIGHTS_OK)
		return rc;
	if (ev->type != YAML_SCALAR_EVENT && *depth == MAX_DEPTH)
		return load_fail_at(ld, ev->start_mark.line, ev->start_mark.column,
		                    "nested deeper than %d levels", MAX_DEPTH);

	node = calloc(1, sizeof(*node));
	if (node == NULL)
		return load_nomem(ld);
	node->mark = ev->start_mark;
	if (ev->type == YAML_SCALAR_EVENT) {
		node->type = Y_SCALAR;
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == NULL;
		node->len = ev->data.scalar.length;
		node->text = malloc(node->len + 1);
		if (node->text == NULL) {
			rc = load_nomem(ld);
			goto cleanup;
		}
		memcpy(node->text, ev->data.scalar.value, node->len);
		node->text[node->len] = '\0';
	} else {
		node->type = ev->type == YAML_SEQUENCE_START_EVENT ? Y_SEQ : Y_MAP;
	}
	if (tree_attach(root, stack, *depth, node) != RIGHTS_OK) {
		rc = load_nomem(ld);
		goto cleanup;
	}
	if (node->type != Y_SCALAR)
		stack[(*depth)++] = node;
	node = NULL;

cleanup:
	node_free(node);
	return rc;
}

static int tree_parse(ynode **out, loader *ld, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	ynode *stack[MAX_DEPTH];
	ynode *root = NULL;
	size_t depth = 0;
	int docs = 0, done = 0, have_event = 0, rc = RIGHTS_OK;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return load_nomem(ld);
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
			rc = load_fail_at(ld, ev.start_mark.line, ev.start_mark.column,
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
		rc = load_fail_at(ld, 0, 0,
		                  "empty document: expected a mapping with version, "
		                  "management and applications");
		goto cleanup;
	}
	*out = root;
	root = NULL;

cleanup:
	if (have_event)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	node_free(root);
	return rc;
}

/* ---- tree accessors ---------------------------------------------------------- */

static const char *type_name(ytype t)
{
	switch (t) {
	case Y_SCALAR:
		return "a scalar";
	case Y_SEQ:
		return "a list";
	default:
		return "a mapping";
	}
}

static int expect(loader *ld, const ynode *n, ytype t, const char *what)
{
	if (n->type == t)
		return RIGHTS_OK;
	return load_fail(ld, n, "%s must be %s, not %s", what, type_name(t), type_name(n->type));
}

static int key_is(const ynode *key, const char *name)
{
	return key->type == Y_SCALAR && strlen(name) == key->len &&
	       memcmp(key->text, name, key->len) == 0;
}

static int same_text(const ynode *a, const ynode *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Keys must be scalars and unique; with `allowed`, also one of those. */
static int check_keys(loader *ld, const ynode *map, const char *const *allowed, const char *what)
{
	char b[SHOW_MAX + 4];
	size_t i, j, k;
	const ynode *key;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		key = map->kids[i];
		if (key->type != Y_SCALAR)
			return load_fail(ld, key, "keys of %s must be scalars, not %s", what,
			                 type_name(key->type));
		if (allowed != NULL) {
			for (k = 0; allowed[k] != NULL && !key_is(key, allowed[k]); k++)
				;
			if (allowed[k] == NULL)
				return load_fail(ld, key, "unknown key \"%s\" in %s",
				                 show(b, key->text, key->len), what);
		}
		for (j = 0; j < i; j += 2)
			if (same_text(map->kids[j], key))
				return load_fail(ld, key, "duplicate key \"%s\" in %s",
				                 show(b, key->text, key->len), what);
	}
	return RIGHTS_OK;
}

/* The value under `name`, or NULL; *keyp (optional) gets the key node. */
static const ynode *map_get(const ynode *map, const char *name, const ynode **keyp)
{
	size_t i;

	for (i = 0; i + 1 < map->nkids; i += 2) {
		if (key_is(map->kids[i], name)) {
			if (keyp != NULL)
				*keyp = map->kids[i];
			return map->kids[i + 1];
		}
	}
	return NULL;
}

static int map_need(const ynode **out, loader *ld, const ynode *map, const char *name,
                    const char *what)
{
	*out = map_get(map, name, NULL);
	if (*out == NULL)
		return load_fail(ld, map, "missing key \"%s\" in %s", name, what);
	return RIGHTS_OK;
}

/* YAML 1.1 reads these plain scalars as null, not as text. */
static int is_null(const ynode *n)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	size_t i;

	if (!n->plain)
		return 0;
	for (i = 0; nulls[i] != NULL; i++)
		if (key_is(n, nulls[i]))
			return 1;
	return 0;
}

/* A non-empty string scalar, copied; *out stays NULL on error. */
static int get_string(char **out, loader *ld, const ynode *n, const char *what)
{
	int rc = expect(ld, n, Y_SCALAR, what);

	if (rc != RIGHTS_OK)
		return rc;
	if (n->len == 0)
		return load_fail(ld, n, "%s must not be empty", what);
	if (is_null(n))
		return load_fail(ld, n, "%s must be text, not null (quote it)", what);
	if (memchr(n->text, '\0', n->len) != NULL)
		return load_fail(ld, n, "%s must not contain a NUL character", what);
	*out = strdup(n->text);
	return *out ? RIGHTS_OK : load_nomem(ld);
}

static int id_char_ok(id_syntax syn, unsigned char c, size_t pos)
{
	int lower = (c >= 'a' && c <= 'z'), digit = (c >= '0' && c <= '9');
	int upper = (c >= 'A' && c <= 'Z');

	switch (syn) {
	case ID_NAME:
		return lower || digit || c == '-';
	case ID_VALUE:
		return lower || upper || digit || c == '.' || c == '_' || c == '/' || c == '-';
	default:
		return lower || upper || (pos > 0 && (digit || c == '-'));
	}
}

static int get_id(char **out, loader *ld, const ynode *n, const char *what, id_syntax syn)
{
	static const char *const syntax[] = {"[a-z0-9-]+", "[A-Za-z0-9._/-]+",
	                                     "[A-Za-z][A-Za-z0-9-]*"};
	char b[SHOW_MAX + 4];
	size_t i;
	int rc = get_string(out, ld, n, what);

	if (rc != RIGHTS_OK)
		return rc;
	for (i = 0; i < n->len; i++) {
		if (!id_char_ok(syn, (unsigned char)n->text[i], i)) {
			free(*out);
			*out = NULL;
			return load_fail(ld, n, "invalid %s \"%s\": use %s", what,
			                 show(b, n->text, n->len), syntax[syn]);
		}
	}
	return RIGHTS_OK;
}

static int get_bool(int *out, loader *ld, const ynode *n, const char *what)
{
	if (n->type == Y_SCALAR && n->plain && key_is(n, "true"))
		*out = 1;
	else if (n->type == Y_SCALAR && n->plain && key_is(n, "false"))
		*out = 0;
	else
		return load_fail(ld, n, "%s must be true or false", what);
	return RIGHTS_OK;
}

/* Every label carries the four languages of the portal (DESIGN rule 9). */
static int load_label(char *out[RIGHTS_LANG_COUNT], loader *ld, const ynode *map)
{
	const ynode *text = NULL;
	size_t i;
	int rc = expect(ld, map, Y_MAP, "\"label\"");

	if (rc == RIGHTS_OK)
		rc = check_keys(ld, map, label_keys, "label");
	for (i = 0; rc == RIGHTS_OK && i < RIGHTS_LANG_COUNT; i++) {
		text = map_get(map, label_keys[i], NULL);
		if (text == NULL)
			return load_fail(ld, map, "label has no \"%s\" text", label_keys[i]);
		rc = get_string(&out[label_langs[i]], ld, text, "label text");
	}
	return rc;
}

static int need_label(char *out[RIGHTS_LANG_COUNT], loader *ld, const ynode *map, const char *what)
{
	const ynode *label = NULL;
	int rc = map_need(&label, ld, map, "label", what);

	return rc == RIGHTS_OK ? load_label(out, ld, label) : rc;
}

static void *alloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* A list that must hold at least one item. */
static int need_items(loader *ld, const ynode *n, const char *what)
{
	int rc = expect(ld, n, Y_SEQ, what);

	if (rc == RIGHTS_OK && n->nkids == 0)
		return load_fail(ld, n, "%s must not be empty", what);
	return rc;
}

static long dim_index(const struct rights_app *app, const ynode *name)
{
	size_t i;

	for (i = 0; i < app->ndims; i++)
		if (app->dims[i].id != NULL && key_is(name, app->dims[i].id))
			return (long)i;
	return -1;
}

/* ---- management (§2.2.4) ------------------------------------------------------- */

static int load_manage(rights_catalog *cat, loader *ld, const ynode *seq)
{
	char b[SHOW_MAX + 4];
	const ynode *item = NULL, *id = NULL;
	size_t i, j, k;
	int rc = expect(ld, seq, Y_SEQ, "\"management\"");

	if (rc != RIGHTS_OK)
		return rc;
	cat->manage = alloc_array(seq->nkids, sizeof(*cat->manage));
	if (cat->manage == NULL)
		return load_nomem(ld);
	cat->nmanage = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		item = seq->kids[i];
		if ((rc = expect(ld, item, Y_MAP, "management entry")) != RIGHTS_OK ||
		    (rc = check_keys(ld, item, manage_keys, "management entry")) != RIGHTS_OK ||
		    (rc = map_need(&id, ld, item, "id", "management entry")) != RIGHTS_OK ||
		    (rc = get_string(&cat->manage[i].id, ld, id, "management id")) != RIGHTS_OK)
			return rc;
		for (k = 0; manage_ids[k] != NULL && strcmp(manage_ids[k], id->text) != 0; k++)
			;
		if (manage_ids[k] == NULL)
			return load_fail(ld, id,
			                 "unknown management id \"%s\": expected admins, users, "
			                 "password-recovery or ftp",
			                 show(b, id->text, id->len));
		for (j = 0; j < i; j++)
			if (strcmp(cat->manage[j].id, id->text) == 0)
				return load_fail(ld, id, "duplicate management id \"%s\"",
				                 id->text);
		rc = need_label(cat->manage[i].label, ld, item, "management entry");
		if (rc != RIGHTS_OK)
			return rc;
	}
	for (k = 0; manage_ids[k] != NULL; k++) {
		for (j = 0; j < cat->nmanage && strcmp(cat->manage[j].id, manage_ids[k]) != 0; j++)
			;
		if (j == cat->nmanage)
			return load_fail(ld, seq, "missing management id \"%s\"", manage_ids[k]);
	}
	return RIGHTS_OK;
}

/* ---- dimensions and values ----------------------------------------------------- */

static int load_value(struct rights_value *v, loader *ld, const struct rights_dim *dim,
                      const ynode *map)
{
	const ynode *id = NULL, *ro = NULL;
	size_t n;
	int rc;

	if ((rc = expect(ld, map, Y_MAP, "value")) != RIGHTS_OK ||
	    (rc = check_keys(ld, map, value_keys, "value")) != RIGHTS_OK ||
	    (rc = map_need(&id, ld, map, "id", "value")) != RIGHTS_OK ||
	    (rc = get_id(&v->id, ld, id, "value id", ID_VALUE)) != RIGHTS_OK ||
	    (rc = need_label(v->label, ld, map, "value")) != RIGHTS_OK)
		return rc;
	ro = map_get(map, "router-only", NULL);
	if (ro != NULL && (rc = get_bool(&v->router_only, ld, ro, "\"router-only\"")) != RIGHTS_OK)
		return rc;
	n = strlen(dim->id) + 1 + strlen(v->id) + 1;
	v->right = malloc(n);
	if (v->right == NULL)
		return load_nomem(ld);
	snprintf(v->right, n, "%s:%s", dim->id, v->id);
	return RIGHTS_OK;
}

static int load_values(struct rights_dim *dim, loader *ld, const ynode *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"values\"");

	if (rc != RIGHTS_OK)
		return rc;
	dim->values = alloc_array(seq->nkids, sizeof(*dim->values));
	if (dim->values == NULL)
		return load_nomem(ld);
	dim->nvalues = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		rc = load_value(&dim->values[i], ld, dim, seq->kids[i]);
		if (rc != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(dim->values[j].id, dim->values[i].id) == 0)
				return load_fail(ld, map_get(seq->kids[i], "id", NULL),
				                 "duplicate value id \"%s\" in dimension \"%s\"",
				                 dim->values[i].id, dim->id);
	}
	return RIGHTS_OK;
}

/* §2.3.3: the umContractKind values a contract dimension accepts. */
static int load_kinds(struct rights_dim *dim, loader *ld, const ynode *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"kinds\"");

	if (rc != RIGHTS_OK)
		return rc;
	dim->kinds = alloc_array(seq->nkids, sizeof(*dim->kinds));
	if (dim->kinds == NULL)
		return load_nomem(ld);
	dim->nkinds = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		rc = get_id(&dim->kinds[i], ld, seq->kids[i], "contract kind", ID_VALUE);
		if (rc != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(dim->kinds[j], dim->kinds[i]) == 0)
				return load_fail(ld, seq->kids[i], "duplicate contract kind \"%s\"",
				                 dim->kinds[i]);
	}
	return RIGHTS_OK;
}

static int load_dim(struct rights_dim *dim, loader *ld, const ynode *map)
{
	char b[SHOW_MAX + 4];
	const ynode *id = NULL, *values = NULL, *source = NULL, *kinds = NULL;
	const ynode *source_key = NULL, *kinds_key = NULL;
	int rc;

	if ((rc = expect(ld, map, Y_MAP, "dimension")) != RIGHTS_OK ||
	    (rc = check_keys(ld, map, dim_keys, "dimension")) != RIGHTS_OK ||
	    (rc = map_need(&id, ld, map, "id", "dimension")) != RIGHTS_OK ||
	    (rc = get_id(&dim->id, ld, id, "dimension id", ID_NAME)) != RIGHTS_OK ||
	    (rc = need_label(dim->label, ld, map, "dimension")) != RIGHTS_OK)
		return rc;
	values = map_get(map, "values", NULL);
	source = map_get(map, "source", &source_key);
	kinds = map_get(map, "kinds", &kinds_key);
	if (values != NULL && source != NULL)
		return load_fail(ld, source_key,
		                 "\"values\" and \"source\" are mutually exclusive in dimension "
		                 "\"%s\"",
		                 dim->id);
	if (values == NULL && source == NULL)
		return load_fail(ld, map, "dimension \"%s\" needs \"values\" or \"source\"",
		                 dim->id);
	if (source != NULL) {
		if ((rc = expect(ld, source, Y_SCALAR, "\"source\"")) != RIGHTS_OK)
			return rc;
		if (key_is(source, "billing"))
			dim->source = RIGHTS_SOURCE_BILLING;
		else if (key_is(source, "contract"))
			dim->source = RIGHTS_SOURCE_CONTRACT;
		else
			return load_fail(ld, source,
			                 "unknown source \"%s\": expected billing or contract",
			                 show(b, source->text, source->len));
	}
	if (kinds != NULL && dim->source != RIGHTS_SOURCE_CONTRACT)
		return load_fail(ld, kinds_key, "\"kinds\" is only allowed with source: contract");
	if (kinds == NULL && dim->source == RIGHTS_SOURCE_CONTRACT)
		return load_fail(ld, map, "dimension \"%s\" has source: contract but no \"kinds\"",
		                 dim->id);
	if (kinds != NULL)
		return load_kinds(dim, ld, kinds);
	if (values != NULL)
		return load_values(dim, ld, values);
	return RIGHTS_OK;
}

/* ---- profiles (§2.3.5) --------------------------------------------------------- */

static int load_marks(struct rights_require *req, loader *ld, const struct rights_dim *dim,
                      const ynode *map)
{
	char b[SHOW_MAX + 4];
	const ynode *key = NULL, *mark = NULL;
	size_t i, v;
	int rc;

	if ((rc = expect(ld, map, Y_MAP, "a required dimension")) != RIGHTS_OK ||
	    (rc = check_keys(ld, map, NULL, "a required dimension")) != RIGHTS_OK)
		return rc;
	req->marks = alloc_array(dim->nvalues, sizeof(*req->marks));
	if (req->marks == NULL)
		return load_nomem(ld);
	for (i = 0; i + 1 < map->nkids; i += 2) {
		key = map->kids[i];
		mark = map->kids[i + 1];
		for (v = 0; v < dim->nvalues && !key_is(key, dim->values[v].id); v++)
			;
		if (v == dim->nvalues)
			return load_fail(ld, key, "\"%s\" is not a value of dimension \"%s\"",
			                 show(b, key->text, key->len), dim->id);
		if (mark->type == Y_SCALAR && key_is(mark, "X"))
			req->marks[v] = RIGHTS_MARK_X;
		else if (mark->type == Y_SCALAR && key_is(mark, "O"))
			req->marks[v] = RIGHTS_MARK_O;
		else
			return load_fail(ld, mark, "the mark of \"%s\" must be X or O",
			                 dim->values[v].id);
	}
	return RIGHTS_OK;
}

static int load_require(struct rights_profile *p, loader *ld, const struct rights_app *app,
                        const ynode *map)
{
	char b[SHOW_MAX + 4];
	const ynode *key = NULL;
	long d;
	size_t i;
	int rc;

	if ((rc = expect(ld, map, Y_MAP, "\"require\"")) != RIGHTS_OK ||
	    (rc = check_keys(ld, map, NULL, "\"require\"")) != RIGHTS_OK)
		return rc;
	p->require = alloc_array(map->nkids / 2, sizeof(*p->require));
	if (p->require == NULL)
		return load_nomem(ld);
	for (i = 0; i + 1 < map->nkids; i += 2) {
		key = map->kids[i];
		d = dim_index(app, key);
		if (d < 0)
			return load_fail(ld, key,
			                 "profile \"%s\" requires dimension \"%s\", which "
			                 "application \"%s\" does not have",
			                 p->id, show(b, key->text, key->len), app->id);
		if (app->dims[d].source != RIGHTS_SOURCE_STATIC)
			return load_fail(ld, key,
			                 "profile \"%s\" cannot constrain dimension \"%s\": its "
			                 "values are not a static list",
			                 p->id, app->dims[d].id);
		p->require[p->nrequire].dim = (size_t)d;
		p->nrequire++;
		rc = load_marks(&p->require[p->nrequire - 1], ld, &app->dims[d], map->kids[i + 1]);
		if (rc != RIGHTS_OK)
			return rc;
	}
	return RIGHTS_OK;
}

static int load_at_least_one(struct rights_profile *p, loader *ld, const struct rights_app *app,
                             const ynode *seq)
{
	char b[SHOW_MAX + 4];
	const ynode *name = NULL;
	size_t i, j;
	long d;
	int rc = expect(ld, seq, Y_SEQ, "\"at-least-one\"");

	if (rc != RIGHTS_OK)
		return rc;
	p->at_least_one = alloc_array(seq->nkids, sizeof(*p->at_least_one));
	if (p->at_least_one == NULL)
		return load_nomem(ld);
	for (i = 0; i < seq->nkids; i++) {
		name = seq->kids[i];
		if ((rc = expect(ld, name, Y_SCALAR, "an at-least-one entry")) != RIGHTS_OK)
			return rc;
		d = dim_index(app, name);
		if (d < 0)
			return load_fail(ld, name,
			                 "at-least-one names dimension \"%s\", which application "
			                 "\"%s\" does not have",
			                 show(b, name->text, name->len), app->id);
		for (j = 0; j < p->nat_least_one; j++)
			if (p->at_least_one[j] == (size_t)d)
				return load_fail(ld, name,
				                 "dimension \"%s\" is listed twice in at-least-one",
				                 app->dims[d].id);
		p->at_least_one[p->nat_least_one++] = (size_t)d;
	}
	return RIGHTS_OK;
}

static int load_profile(struct rights_profile *p, loader *ld, const struct rights_app *app,
                        const ynode *map)
{
	const ynode *id = NULL, *require = NULL, *alo = NULL;
	int rc;

	if ((rc = expect(ld, map, Y_MAP, "profile")) != RIGHTS_OK ||
	    (rc = check_keys(ld, map, profile_keys, "profile")) != RIGHTS_OK ||
	    (rc = map_need(&id, ld, map, "id", "profile")) != RIGHTS_OK ||
	    (rc = get_id(&p->id, ld, id, "profile id", ID_NAME)) != RIGHTS_OK ||
	    (rc = need_label(p->label, ld, map, "profile")) != RIGHTS_OK)
		return rc;
	require = map_get(map, "require", NULL);
	if (require != NULL && (rc = load_require(p, ld, app, require)) != RIGHTS_OK)
		return rc;
	alo = map_get(map, "at-least-one", NULL);
	if (alo != NULL && (rc = load_at_least_one(p, ld, app, alo)) != RIGHTS_OK)
		return rc;
	return RIGHTS_OK;
}

/* ---- projections (read by provisiond) ------------------------------------------ */

/* {suffix} and {app} are always known; {<dim>} only while iterating `for`. */
static int check_template(loader *ld, const ynode *n, const char *t, const char *for_dim)
{
	char b[SHOW_MAX + 4];
	const char *open = NULL, *close = NULL;
	size_t len;
	int used_for = 0;

	for (open = t; *open != '\0'; open = close + 1) {
		close = strchr(open, '}');
		open = strchr(open, '{');
		if (open == NULL && close == NULL)
			break;
		if (open == NULL || (close != NULL && close < open))
			return load_fail(ld, n, "unmatched \"}\" in template");
		if (close == NULL)
			return load_fail(ld, n, "unterminated \"{\" in template");
		len = (size_t)(close - open - 1);
		if (len == 6 && memcmp(open + 1, "suffix", 6) == 0)
			continue;
		if (len == 3 && memcmp(open + 1, "app", 3) == 0)
			continue;
		if (for_dim != NULL && len == strlen(for_dim) &&
		    memcmp(open + 1, for_dim, len) == 0) {
			used_for = 1;
			continue;
		}
		return load_fail(ld, n,
		                 "template uses \"{%s}\": only {suffix}, {app} and the dimension "
		                 "named by \"for\" may be used",
		                 show(b, open + 1, len));
	}
	/* Without the marker every value would project onto the same group. */
	if (for_dim != NULL && !used_for)
		return load_fail(ld, n,
		                 "group template must use \"{%s}\", the dimension of \"for\"",
		                 for_dim);
	return RIGHTS_OK;
}

static int load_projection(rights_projection *pr, loader *ld, const struct rights_app *app,
                           const ynode *map)
{
	char b[SHOW_MAX + 4];
	const ynode *group = NULL, *attr = NULL, *forn = NULL, *value = NULL;
	const ynode *attr_key = NULL, *for_key = NULL, *value_key = NULL;
	char *text = NULL;
	long d;
	int rc;

	if ((rc = expect(ld, map, Y_MAP, "project item")) != RIGHTS_OK ||
	    (rc = check_keys(ld, map, project_keys, "project item")) != RIGHTS_OK)
		return rc;
	group = map_get(map, "group", NULL);
	attr = map_get(map, "attribute", &attr_key);
	forn = map_get(map, "for", &for_key);
	value = map_get(map, "value", &value_key);
	if ((group == NULL) == (attr == NULL))
		return load_fail(ld, group ? attr_key : map,
		                 "project item needs exactly one of \"group\" and \"attribute\"");
	if (group != NULL) {
		pr->kind = "group";
		if (value != NULL)
			return load_fail(ld, value_key,
			                 "\"value\" is only allowed with \"attribute\"");
		if (forn != NULL) {
			if ((rc = expect(ld, forn, Y_SCALAR, "\"for\"")) != RIGHTS_OK)
				return rc;
			d = dim_index(app, forn);
			if (d < 0)
				return load_fail(
				        ld, forn,
				        "\"for\" names dimension \"%s\", which application "
				        "\"%s\" does not have",
				        show(b, forn->text, forn->len), app->id);
			pr->for_dim = app->dims[d].id;
		}
		if ((rc = get_string(&text, ld, group, "\"group\"")) != RIGHTS_OK)
			return rc;
		pr->template = text;
		return check_template(ld, group, text, pr->for_dim);
	}
	pr->kind = "attribute";
	if (forn != NULL)
		return load_fail(ld, for_key, "\"for\" is only allowed with \"group\"");
	if (value == NULL)
		return load_fail(ld, map, "attribute item needs \"value\"");
	if ((rc = get_id(&text, ld, attr, "attribute name", ID_ATTR)) != RIGHTS_OK)
		return rc;
	pr->name = text;
	text = NULL;
	if ((rc = get_string(&text, ld, value, "\"value\"")) != RIGHTS_OK)
		return rc;
	pr->template = text;
	return check_template(ld, value, text, NULL);
}

/* ---- applications (§2.3.1-§2.3.6) ---------------------------------------------- */

static int load_app_dims(struct rights_app *app, loader *ld, const ynode *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"dimensions\"");

	if (rc != RIGHTS_OK)
		return rc;
	app->dims = alloc_array(seq->nkids, sizeof(*app->dims));
	if (app->dims == NULL)
		return load_nomem(ld);
	app->ndims = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		if ((rc = load_dim(&app->dims[i], ld, seq->kids[i])) != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(app->dims[j].id, app->dims[i].id) == 0)
				return load_fail(
				        ld, map_get(seq->kids[i], "id", NULL),
				        "duplicate dimension id \"%s\" in application \"%s\"",
				        app->dims[i].id, app->id);
	}
	return RIGHTS_OK;
}

static int load_app_profiles(struct rights_app *app, loader *ld, const ynode *seq)
{
	size_t i, j;
	int rc = expect(ld, seq, Y_SEQ, "\"profiles\"");

	if (rc != RIGHTS_OK)
		return rc;
	app->profiles = alloc_array(seq->nkids, sizeof(*app->profiles));
	if (app->profiles == NULL)
		return load_nomem(ld);
	app->nprofiles = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		if ((rc = load_profile(&app->profiles[i], ld, app, seq->kids[i])) != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(app->profiles[j].id, app->profiles[i].id) == 0)
				return load_fail(
				        ld, map_get(seq->kids[i], "id", NULL),
				        "duplicate profile id \"%s\" in application \"%s\"",
				        app->profiles[i].id, app->id);
	}
	return RIGHTS_OK;
}

static int load_app_project(struct rights_app *app, loader *ld, const ynode *seq)
{
	size_t i;
	int rc = expect(ld, seq, Y_SEQ, "\"project\"");

	if (rc != RIGHTS_OK)
		return rc;
	app->projections = alloc_array(seq->nkids, sizeof(*app->projections));
	if (app->projections == NULL)
		return load_nomem(ld);
	app->nprojections = seq->nkids;
	for (i = 0; i < seq->nkids; i++)
		if ((rc = load_projection(&app->projections[i], ld, app, seq->kids[i])) !=
		    RIGHTS_OK)
			return rc;
	return RIGHTS_OK;
}

static int load_app(struct rights_app *app, loader *ld, const ynode *map)
{
	const ynode *id = NULL, *dims = NULL, *opt = NULL;
	int rc;

	if ((rc = expect(ld, map, Y_MAP, "application")) != RIGHTS_OK ||
	    (rc = check_keys(ld, map, app_keys, "application")) != RIGHTS_OK ||
	    (rc = map_need(&id, ld, map, "id", "application")) != RIGHTS_OK ||
	    (rc = get_id(&app->id, ld, id, "application id", ID_NAME)) != RIGHTS_OK ||
	    (rc = need_label(app->label, ld, map, "application")) != RIGHTS_OK)
		return rc;
	opt = map_get(map, "delegable", NULL);
	if (opt != NULL && (rc = get_bool(&app->delegable, ld, opt, "\"delegable\"")) != RIGHTS_OK)
		return rc;
	if ((rc = map_need(&dims, ld, map, "dimensions", "application")) != RIGHTS_OK ||
	    (rc = load_app_dims(app, ld, dims)) != RIGHTS_OK)
		return rc;
	opt = map_get(map, "profiles", NULL);
	if (opt != NULL && (rc = load_app_profiles(app, ld, opt)) != RIGHTS_OK)
		return rc;
	opt = map_get(map, "project", NULL);
	if (opt != NULL && (rc = load_app_project(app, ld, opt)) != RIGHTS_OK)
		return rc;
	return RIGHTS_OK;
}

static int load_apps(rights_catalog *cat, loader *ld, const ynode *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"applications\"");

	if (rc != RIGHTS_OK)
		return rc;
	cat->apps = alloc_array(seq->nkids, sizeof(*cat->apps));
	if (cat->apps == NULL)
		return load_nomem(ld);
	cat->napps = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		if ((rc = load_app(&cat->apps[i], ld, seq->kids[i])) != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(cat->apps[j].id, cat->apps[i].id) == 0)
				return load_fail(ld, map_get(seq->kids[i], "id", NULL),
				                 "duplicate application id \"%s\"",
				                 cat->apps[i].id);
	}
	return RIGHTS_OK;
}

static int load_top(rights_catalog *cat, loader *ld, const ynode *root)
{
	const ynode *version = NULL, *manage = NULL, *apps = NULL;
	int rc;

	if (root->type == Y_SCALAR && is_null(root))
		return load_fail(ld, root,
		                 "empty document: expected a mapping with version, "
		                 "management and applications");
	if ((rc = expect(ld, root, Y_MAP, "the document")) != RIGHTS_OK ||
	    (rc = check_keys(ld, root, top_keys, "the document")) != RIGHTS_OK ||
	    (rc = map_need(&version, ld, root, "version", "the document")) != RIGHTS_OK)
		return rc;
	if (version->type != Y_SCALAR || !version->plain || !key_is(version, "1"))
		return load_fail(ld, version, "\"version\" must be 1");
	if ((rc = map_need(&manage, ld, root, "management", "the document")) != RIGHTS_OK ||
	    (rc = load_manage(cat, ld, manage)) != RIGHTS_OK ||
	    (rc = map_need(&apps, ld, root, "applications", "the document")) != RIGHTS_OK)
		return rc;
	return load_apps(cat, ld, apps);
}

/* ---- entry points ---------------------------------------------------------------- */

int catalog_load_buffer(rights_catalog **out, const char *name, const char *buf, size_t len,
                        rights_error *err)
{
	rights_error scratch;
	loader ld;
	ynode *root = NULL;
	rights_catalog *cat = NULL;
	int rc;

	if (out == NULL)
		return RIGHTS_EINVAL;
	*out = NULL;
	ld.name = name ? name : "<buffer>";
	ld.err = err ? err : &scratch;
	memset(ld.err, 0, sizeof(*ld.err));
	if (buf == NULL) {
		buf = "";
		len = 0;
	}

	rc = tree_parse(&root, &ld, buf, len);
	if (rc != RIGHTS_OK)
		goto cleanup;
	cat = calloc(1, sizeof(*cat));
	if (cat == NULL) {
		rc = load_nomem(&ld);
		goto cleanup;
	}
	rc = load_top(cat, &ld, root);
	if (rc != RIGHTS_OK)
		goto cleanup;
	*out = cat;
	cat = NULL;

cleanup:
	catalog_free(cat);
	node_free(root);
	return rc;
}

int catalog_load(rights_catalog **out, const char *path, rights_error *err)
{
	rights_error scratch;
	char why[128];
	FILE *f = NULL;
	char *buf = NULL, *grown = NULL;
	size_t len = 0, cap = 0, n;
	int rc = RIGHTS_OK;

	if (out == NULL)
		return RIGHTS_EINVAL;
	*out = NULL;
	if (err == NULL)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (path == NULL)
		path = "(null)";

	f = fopen(path, "rb");
	if (f == NULL)
		goto io_error;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 16384;
			grown = realloc(buf, cap);
			if (grown == NULL) {
				loader ld = {path, err};
				rc = load_nomem(&ld);
				goto cleanup;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				goto io_error;
			break;
		}
	}
	rc = catalog_load_buffer(out, path, buf, len, err);
	goto cleanup;

io_error:
	if (strerror_r(errno, why, sizeof(why)) != 0)
		snprintf(why, sizeof(why), "error %d", errno);
	snprintf(err->message, sizeof(err->message), "%s: %s", path, why);
	rc = RIGHTS_EIO;

cleanup:
	if (f != NULL)
		fclose(f);
	free(buf);
	return rc;
}
