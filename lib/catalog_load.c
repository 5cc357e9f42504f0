/*
 * rights.yaml -> catalogue (doc/rights-yaml-format.md, DESIGN §4).
 *
 * Two passes: yaml_tree.c builds a small tree that remembers where every
 * node starts, then the tree is checked and copied into the catalogue.
 * The first error wins and is reported as "name:line:col: message".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_priv.h"
#include "yaml_tree.h"

typedef enum id_syntax {
	ID_NAME,  /* apps, dimensions, profiles: [a-z0-9-]+ */
	ID_VALUE, /* static values, contract kinds: [A-Za-z0-9._/-]+ */
	ID_ATTR,  /* LDAP attribute descriptions: [A-Za-z][A-Za-z0-9-]* */
} id_syntax;

static const char *const top_keys[] = {"version", "management", "applications", NULL};
static const char *const manage_keys[] = {"id", "label", "project", NULL};
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

static int get_id(char **out, ytree_loader *ld, const ytree_node *n, const char *what,
                  id_syntax syn)
{
	static const char *const syntax[] = {"[a-z0-9-]+", "[A-Za-z0-9._/-]+",
	                                     "[A-Za-z][A-Za-z0-9-]*"};
	char b[YTREE_SHOW_MAX + 4];
	size_t i;
	int rc = ytree_get_string(out, ld, n, what);

	if (rc != RIGHTS_OK)
		return rc;
	for (i = 0; i < n->len; i++) {
		if (!id_char_ok(syn, (unsigned char)n->text[i], i)) {
			free(*out);
			*out = NULL;
			return ytree_fail(ld, n, "invalid %s \"%s\": use %s", what,
			                  ytree_show(b, n->text, n->len), syntax[syn]);
		}
	}
	return RIGHTS_OK;
}

/* Every label carries the four languages of the portal (DESIGN rule 9). */
static int load_label(char *out[RIGHTS_LANG_COUNT], ytree_loader *ld, const ytree_node *map)
{
	const ytree_node *text = NULL;
	size_t i;
	int rc = ytree_expect(ld, map, YTREE_MAP, "\"label\"");

	if (rc == RIGHTS_OK)
		rc = ytree_check_keys(ld, map, label_keys, "label");
	for (i = 0; rc == RIGHTS_OK && i < RIGHTS_LANG_COUNT; i++) {
		text = ytree_map_get(map, label_keys[i], NULL);
		if (text == NULL)
			return ytree_fail(ld, map, "label has no \"%s\" text", label_keys[i]);
		rc = ytree_get_string(&out[label_langs[i]], ld, text, "label text");
	}
	return rc;
}

static int need_label(char *out[RIGHTS_LANG_COUNT], ytree_loader *ld, const ytree_node *map,
                      const char *what)
{
	const ytree_node *label = NULL;
	int rc = ytree_map_need(&label, ld, map, "label", what);

	return rc == RIGHTS_OK ? load_label(out, ld, label) : rc;
}

static void *alloc_array(size_t n, size_t size)
{
	return calloc(n ? n : 1, size);
}

/* A list that must hold at least one item. */
static int need_items(ytree_loader *ld, const ytree_node *n, const char *what)
{
	int rc = ytree_expect(ld, n, YTREE_SEQ, what);

	if (rc == RIGHTS_OK && n->nkids == 0)
		return ytree_fail(ld, n, "%s must not be empty", what);
	return rc;
}

static long dim_index(const struct rights_app *app, const ytree_node *name)
{
	size_t i;

	for (i = 0; i < app->ndims; i++)
		if (app->dims[i].id != NULL && ytree_key_is(name, app->dims[i].id))
			return (long)i;
	return -1;
}

/* ---- management (§2.2.4) ------------------------------------------------------- */

static int load_project(rights_projection **out, size_t *n, ytree_loader *ld,
                        const struct rights_app *app, const ytree_node *seq);

static int load_manage(rights_catalog *cat, ytree_loader *ld, const ytree_node *seq)
{
	char b[YTREE_SHOW_MAX + 4];
	const ytree_node *item = NULL, *id = NULL, *proj = NULL;
	size_t i, j, k;
	int rc = ytree_expect(ld, seq, YTREE_SEQ, "\"management\"");

	if (rc != RIGHTS_OK)
		return rc;
	cat->manage = alloc_array(seq->nkids, sizeof(*cat->manage));
	if (cat->manage == NULL)
		return ytree_nomem(ld);
	cat->nmanage = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		item = seq->kids[i];
		if ((rc = ytree_expect(ld, item, YTREE_MAP, "management entry")) != RIGHTS_OK ||
		    (rc = ytree_check_keys(ld, item, manage_keys, "management entry")) !=
		            RIGHTS_OK ||
		    (rc = ytree_map_need(&id, ld, item, "id", "management entry")) != RIGHTS_OK ||
		    (rc = ytree_get_string(&cat->manage[i].id, ld, id, "management id")) !=
		            RIGHTS_OK)
			return rc;
		for (k = 0; manage_ids[k] != NULL && strcmp(manage_ids[k], id->text) != 0; k++)
			;
		if (manage_ids[k] == NULL)
			return ytree_fail(ld, id,
			                  "unknown management id \"%s\": expected admins, users, "
			                  "password-recovery or ftp",
			                  ytree_show(b, id->text, id->len));
		for (j = 0; j < i; j++)
			if (strcmp(cat->manage[j].id, id->text) == 0)
				return ytree_fail(ld, id, "duplicate management id \"%s\"",
				                  id->text);
		rc = need_label(cat->manage[i].label, ld, item, "management entry");
		if (rc != RIGHTS_OK)
			return rc;
		/* manual §2.2.4: FTP access is a server's door, projected like
		 * an application's (provisiond) */
		proj = ytree_map_get(item, "project", NULL);
		if (proj != NULL &&
		    (rc = load_project(&cat->manage[i].projections, &cat->manage[i].nprojections,
		                       ld, NULL, proj)) != RIGHTS_OK)
			return rc;
	}
	for (k = 0; manage_ids[k] != NULL; k++) {
		for (j = 0; j < cat->nmanage && strcmp(cat->manage[j].id, manage_ids[k]) != 0; j++)
			;
		if (j == cat->nmanage)
			return ytree_fail(ld, seq, "missing management id \"%s\"", manage_ids[k]);
	}
	return RIGHTS_OK;
}

/* ---- dimensions and values ----------------------------------------------------- */

static int load_value(struct rights_value *v, ytree_loader *ld, const struct rights_dim *dim,
                      const ytree_node *map)
{
	const ytree_node *id = NULL, *ro = NULL;
	size_t n;
	int rc;

	if ((rc = ytree_expect(ld, map, YTREE_MAP, "value")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, map, value_keys, "value")) != RIGHTS_OK ||
	    (rc = ytree_map_need(&id, ld, map, "id", "value")) != RIGHTS_OK ||
	    (rc = get_id(&v->id, ld, id, "value id", ID_VALUE)) != RIGHTS_OK ||
	    (rc = need_label(v->label, ld, map, "value")) != RIGHTS_OK)
		return rc;
	ro = ytree_map_get(map, "router-only", NULL);
	if (ro != NULL &&
	    (rc = ytree_get_bool(&v->router_only, ld, ro, "\"router-only\"")) != RIGHTS_OK)
		return rc;
	n = strlen(dim->id) + 1 + strlen(v->id) + 1;
	v->right = malloc(n);
	if (v->right == NULL)
		return ytree_nomem(ld);
	snprintf(v->right, n, "%s:%s", dim->id, v->id);
	return RIGHTS_OK;
}

static int load_values(struct rights_dim *dim, ytree_loader *ld, const ytree_node *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"values\"");

	if (rc != RIGHTS_OK)
		return rc;
	dim->values = alloc_array(seq->nkids, sizeof(*dim->values));
	if (dim->values == NULL)
		return ytree_nomem(ld);
	dim->nvalues = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		rc = load_value(&dim->values[i], ld, dim, seq->kids[i]);
		if (rc != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(dim->values[j].id, dim->values[i].id) == 0)
				return ytree_fail(ld, ytree_map_get(seq->kids[i], "id", NULL),
				                  "duplicate value id \"%s\" in dimension \"%s\"",
				                  dim->values[i].id, dim->id);
	}
	return RIGHTS_OK;
}

/* §2.3.3: the umContractKind values a contract dimension accepts. */
static int load_kinds(struct rights_dim *dim, ytree_loader *ld, const ytree_node *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"kinds\"");

	if (rc != RIGHTS_OK)
		return rc;
	dim->kinds = alloc_array(seq->nkids, sizeof(*dim->kinds));
	if (dim->kinds == NULL)
		return ytree_nomem(ld);
	dim->nkinds = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		rc = get_id(&dim->kinds[i], ld, seq->kids[i], "contract kind", ID_VALUE);
		if (rc != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(dim->kinds[j], dim->kinds[i]) == 0)
				return ytree_fail(ld, seq->kids[i],
				                  "duplicate contract kind \"%s\"", dim->kinds[i]);
	}
	return RIGHTS_OK;
}

static int load_dim(struct rights_dim *dim, ytree_loader *ld, const ytree_node *map)
{
	char b[YTREE_SHOW_MAX + 4];
	const ytree_node *id = NULL, *values = NULL, *source = NULL, *kinds = NULL;
	const ytree_node *source_key = NULL, *kinds_key = NULL;
	int rc;

	if ((rc = ytree_expect(ld, map, YTREE_MAP, "dimension")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, map, dim_keys, "dimension")) != RIGHTS_OK ||
	    (rc = ytree_map_need(&id, ld, map, "id", "dimension")) != RIGHTS_OK ||
	    (rc = get_id(&dim->id, ld, id, "dimension id", ID_NAME)) != RIGHTS_OK ||
	    (rc = need_label(dim->label, ld, map, "dimension")) != RIGHTS_OK)
		return rc;
	values = ytree_map_get(map, "values", NULL);
	source = ytree_map_get(map, "source", &source_key);
	kinds = ytree_map_get(map, "kinds", &kinds_key);
	if (values != NULL && source != NULL)
		return ytree_fail(ld, source_key,
		                  "\"values\" and \"source\" are mutually exclusive in dimension "
		                  "\"%s\"",
		                  dim->id);
	if (values == NULL && source == NULL)
		return ytree_fail(ld, map, "dimension \"%s\" needs \"values\" or \"source\"",
		                  dim->id);
	if (source != NULL) {
		if ((rc = ytree_expect(ld, source, YTREE_SCALAR, "\"source\"")) != RIGHTS_OK)
			return rc;
		if (ytree_key_is(source, "billing"))
			dim->source = RIGHTS_SOURCE_BILLING;
		else if (ytree_key_is(source, "contract"))
			dim->source = RIGHTS_SOURCE_CONTRACT;
		else
			return ytree_fail(ld, source,
			                  "unknown source \"%s\": expected billing or contract",
			                  ytree_show(b, source->text, source->len));
	}
	if (kinds != NULL && dim->source != RIGHTS_SOURCE_CONTRACT)
		return ytree_fail(ld, kinds_key, "\"kinds\" is only allowed with source: contract");
	if (kinds == NULL && dim->source == RIGHTS_SOURCE_CONTRACT)
		return ytree_fail(ld, map, "dimension \"%s\" has source: contract but no \"kinds\"",
		                  dim->id);
	if (kinds != NULL)
		return load_kinds(dim, ld, kinds);
	if (values != NULL)
		return load_values(dim, ld, values);
	return RIGHTS_OK;
}

/* ---- profiles (§2.3.5) --------------------------------------------------------- */

static int load_marks(struct rights_require *req, ytree_loader *ld, const struct rights_dim *dim,
                      const ytree_node *map)
{
	char b[YTREE_SHOW_MAX + 4];
	const ytree_node *key = NULL, *mark = NULL;
	size_t i, v;
	int rc;

	if ((rc = ytree_expect(ld, map, YTREE_MAP, "a required dimension")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, map, NULL, "a required dimension")) != RIGHTS_OK)
		return rc;
	req->marks = alloc_array(dim->nvalues, sizeof(*req->marks));
	if (req->marks == NULL)
		return ytree_nomem(ld);
	for (i = 0; i + 1 < map->nkids; i += 2) {
		key = map->kids[i];
		mark = map->kids[i + 1];
		for (v = 0; v < dim->nvalues && !ytree_key_is(key, dim->values[v].id); v++)
			;
		if (v == dim->nvalues)
			return ytree_fail(ld, key, "\"%s\" is not a value of dimension \"%s\"",
			                  ytree_show(b, key->text, key->len), dim->id);
		if (mark->type == YTREE_SCALAR && ytree_key_is(mark, "X"))
			req->marks[v] = RIGHTS_MARK_X;
		else if (mark->type == YTREE_SCALAR && ytree_key_is(mark, "O"))
			req->marks[v] = RIGHTS_MARK_O;
		else
			return ytree_fail(ld, mark, "the mark of \"%s\" must be X or O",
			                  dim->values[v].id);
	}
	return RIGHTS_OK;
}

static int load_require(struct rights_profile *p, ytree_loader *ld, const struct rights_app *app,
                        const ytree_node *map)
{
	char b[YTREE_SHOW_MAX + 4];
	const ytree_node *key = NULL;
	long d;
	size_t i;
	int rc;

	if ((rc = ytree_expect(ld, map, YTREE_MAP, "\"require\"")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, map, NULL, "\"require\"")) != RIGHTS_OK)
		return rc;
	p->require = alloc_array(map->nkids / 2, sizeof(*p->require));
	if (p->require == NULL)
		return ytree_nomem(ld);
	for (i = 0; i + 1 < map->nkids; i += 2) {
		key = map->kids[i];
		d = dim_index(app, key);
		if (d < 0)
			return ytree_fail(ld, key,
			                  "profile \"%s\" requires dimension \"%s\", which "
			                  "application \"%s\" does not have",
			                  p->id, ytree_show(b, key->text, key->len), app->id);
		if (app->dims[d].source != RIGHTS_SOURCE_STATIC)
			return ytree_fail(ld, key,
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

static int load_at_least_one(struct rights_profile *p, ytree_loader *ld,
                             const struct rights_app *app, const ytree_node *seq)
{
	char b[YTREE_SHOW_MAX + 4];
	const ytree_node *name = NULL;
	size_t i, j;
	long d;
	int rc = ytree_expect(ld, seq, YTREE_SEQ, "\"at-least-one\"");

	if (rc != RIGHTS_OK)
		return rc;
	p->at_least_one = alloc_array(seq->nkids, sizeof(*p->at_least_one));
	if (p->at_least_one == NULL)
		return ytree_nomem(ld);
	for (i = 0; i < seq->nkids; i++) {
		name = seq->kids[i];
		if ((rc = ytree_expect(ld, name, YTREE_SCALAR, "an at-least-one entry")) !=
		    RIGHTS_OK)
			return rc;
		d = dim_index(app, name);
		if (d < 0)
			return ytree_fail(ld, name,
			                  "at-least-one names dimension \"%s\", which application "
			                  "\"%s\" does not have",
			                  ytree_show(b, name->text, name->len), app->id);
		for (j = 0; j < p->nat_least_one; j++)
			if (p->at_least_one[j] == (size_t)d)
				return ytree_fail(
				        ld, name,
				        "dimension \"%s\" is listed twice in at-least-one",
				        app->dims[d].id);
		p->at_least_one[p->nat_least_one++] = (size_t)d;
	}
	return RIGHTS_OK;
}

static int load_profile(struct rights_profile *p, ytree_loader *ld, const struct rights_app *app,
                        const ytree_node *map)
{
	const ytree_node *id = NULL, *require = NULL, *alo = NULL;
	int rc;

	if ((rc = ytree_expect(ld, map, YTREE_MAP, "profile")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, map, profile_keys, "profile")) != RIGHTS_OK ||
	    (rc = ytree_map_need(&id, ld, map, "id", "profile")) != RIGHTS_OK ||
	    (rc = get_id(&p->id, ld, id, "profile id", ID_NAME)) != RIGHTS_OK ||
	    (rc = need_label(p->label, ld, map, "profile")) != RIGHTS_OK)
		return rc;
	require = ytree_map_get(map, "require", NULL);
	if (require != NULL && (rc = load_require(p, ld, app, require)) != RIGHTS_OK)
		return rc;
	alo = ytree_map_get(map, "at-least-one", NULL);
	if (alo != NULL && (rc = load_at_least_one(p, ld, app, alo)) != RIGHTS_OK)
		return rc;
	return RIGHTS_OK;
}

/* ---- projections (read by provisiond) ------------------------------------------ */

/* {suffix} is always known, {app} in an application's rules; {<dim>} only
 * while iterating `for`. */
static int check_template(ytree_loader *ld, const ytree_node *n, const char *t, int in_app,
                          const char *for_dim)
{
	char b[YTREE_SHOW_MAX + 4];
	const char *open = NULL, *close = NULL;
	size_t len;
	int used_for = 0;

	for (open = t; *open != '\0'; open = close + 1) {
		close = strchr(open, '}');
		open = strchr(open, '{');
		if (open == NULL && close == NULL)
			break;
		if (open == NULL || (close != NULL && close < open))
			return ytree_fail(ld, n, "unmatched \"}\" in template");
		if (close == NULL)
			return ytree_fail(ld, n, "unterminated \"{\" in template");
		len = (size_t)(close - open - 1);
		if (len == 6 && memcmp(open + 1, "suffix", 6) == 0)
			continue;
		if (in_app && len == 3 && memcmp(open + 1, "app", 3) == 0)
			continue;
		if (for_dim != NULL && len == strlen(for_dim) &&
		    memcmp(open + 1, for_dim, len) == 0) {
			used_for = 1;
			continue;
		}
		if (!in_app)
			return ytree_fail(ld, n,
			                  "template uses \"{%s}\": only {suffix} may be used in a "
			                  "management right's project",
			                  ytree_show(b, open + 1, len));
		return ytree_fail(ld, n,
		                  "template uses \"{%s}\": only {suffix}, {app} and the dimension "
		                  "named by \"for\" may be used",
		                  ytree_show(b, open + 1, len));
	}
	/* Without the marker every value would project onto the same group. */
	if (for_dim != NULL && !used_for)
		return ytree_fail(ld, n,
		                  "group template must use \"{%s}\", the dimension of \"for\"",
		                  for_dim);
	return RIGHTS_OK;
}

/* app NULL: a management right's rule (no dimensions, no {app}). */
static int load_projection(rights_projection *pr, ytree_loader *ld, const struct rights_app *app,
                           const ytree_node *map)
{
	char b[YTREE_SHOW_MAX + 4];
	const ytree_node *group = NULL, *attr = NULL, *forn = NULL, *value = NULL;
	const ytree_node *attr_key = NULL, *for_key = NULL, *value_key = NULL;
	char *text = NULL;
	long d;
	int rc;

	if ((rc = ytree_expect(ld, map, YTREE_MAP, "project item")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, map, project_keys, "project item")) != RIGHTS_OK)
		return rc;
	group = ytree_map_get(map, "group", NULL);
	attr = ytree_map_get(map, "attribute", &attr_key);
	forn = ytree_map_get(map, "for", &for_key);
	value = ytree_map_get(map, "value", &value_key);
	if ((group == NULL) == (attr == NULL))
		return ytree_fail(ld, group ? attr_key : map,
		                  "project item needs exactly one of \"group\" and \"attribute\"");
	if (group != NULL) {
		pr->kind = "group";
		if (value != NULL)
			return ytree_fail(ld, value_key,
			                  "\"value\" is only allowed with \"attribute\"");
		if (forn != NULL && app == NULL)
			return ytree_fail(ld, for_key,
			                  "\"for\" is only allowed in an application's project");
		if (forn != NULL) {
			if ((rc = ytree_expect(ld, forn, YTREE_SCALAR, "\"for\"")) != RIGHTS_OK)
				return rc;
			d = dim_index(app, forn);
			if (d < 0)
				return ytree_fail(
				        ld, forn,
				        "\"for\" names dimension \"%s\", which application "
				        "\"%s\" does not have",
				        ytree_show(b, forn->text, forn->len), app->id);
			pr->for_dim = app->dims[d].id;
		}
		if ((rc = ytree_get_string(&text, ld, group, "\"group\"")) != RIGHTS_OK)
			return rc;
		pr->template = text;
		return check_template(ld, group, text, app != NULL, pr->for_dim);
	}
	pr->kind = "attribute";
	if (forn != NULL)
		return ytree_fail(ld, for_key, "\"for\" is only allowed with \"group\"");
	if (value == NULL)
		return ytree_fail(ld, map, "attribute item needs \"value\"");
	if ((rc = get_id(&text, ld, attr, "attribute name", ID_ATTR)) != RIGHTS_OK)
		return rc;
	pr->name = text;
	text = NULL;
	if ((rc = ytree_get_string(&text, ld, value, "\"value\"")) != RIGHTS_OK)
		return rc;
	pr->template = text;
	return check_template(ld, value, text, app != NULL, NULL);
}

/* ---- applications (§2.3.1-§2.3.6) ---------------------------------------------- */

static int load_app_dims(struct rights_app *app, ytree_loader *ld, const ytree_node *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"dimensions\"");

	if (rc != RIGHTS_OK)
		return rc;
	app->dims = alloc_array(seq->nkids, sizeof(*app->dims));
	if (app->dims == NULL)
		return ytree_nomem(ld);
	app->ndims = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		if ((rc = load_dim(&app->dims[i], ld, seq->kids[i])) != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(app->dims[j].id, app->dims[i].id) == 0)
				return ytree_fail(
				        ld, ytree_map_get(seq->kids[i], "id", NULL),
				        "duplicate dimension id \"%s\" in application \"%s\"",
				        app->dims[i].id, app->id);
	}
	return RIGHTS_OK;
}

static int load_app_profiles(struct rights_app *app, ytree_loader *ld, const ytree_node *seq)
{
	size_t i, j;
	int rc = ytree_expect(ld, seq, YTREE_SEQ, "\"profiles\"");

	if (rc != RIGHTS_OK)
		return rc;
	app->profiles = alloc_array(seq->nkids, sizeof(*app->profiles));
	if (app->profiles == NULL)
		return ytree_nomem(ld);
	app->nprofiles = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		if ((rc = load_profile(&app->profiles[i], ld, app, seq->kids[i])) != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(app->profiles[j].id, app->profiles[i].id) == 0)
				return ytree_fail(
				        ld, ytree_map_get(seq->kids[i], "id", NULL),
				        "duplicate profile id \"%s\" in application \"%s\"",
				        app->profiles[i].id, app->id);
	}
	return RIGHTS_OK;
}

static int load_project(rights_projection **out, size_t *n, ytree_loader *ld,
                        const struct rights_app *app, const ytree_node *seq)
{
	size_t i;
	int rc = ytree_expect(ld, seq, YTREE_SEQ, "\"project\"");

	if (rc != RIGHTS_OK)
		return rc;
	*out = alloc_array(seq->nkids, sizeof(**out));
	if (*out == NULL)
		return ytree_nomem(ld);
	*n = seq->nkids;
	for (i = 0; i < seq->nkids; i++)
		if ((rc = load_projection(&(*out)[i], ld, app, seq->kids[i])) != RIGHTS_OK)
			return rc;
	return RIGHTS_OK;
}

static int load_app(struct rights_app *app, ytree_loader *ld, const ytree_node *map)
{
	const ytree_node *id = NULL, *dims = NULL, *opt = NULL;
	int rc;

	if ((rc = ytree_expect(ld, map, YTREE_MAP, "application")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, map, app_keys, "application")) != RIGHTS_OK ||
	    (rc = ytree_map_need(&id, ld, map, "id", "application")) != RIGHTS_OK ||
	    (rc = get_id(&app->id, ld, id, "application id", ID_NAME)) != RIGHTS_OK ||
	    (rc = need_label(app->label, ld, map, "application")) != RIGHTS_OK)
		return rc;
	opt = ytree_map_get(map, "delegable", NULL);
	if (opt != NULL &&
	    (rc = ytree_get_bool(&app->delegable, ld, opt, "\"delegable\"")) != RIGHTS_OK)
		return rc;
	if ((rc = ytree_map_need(&dims, ld, map, "dimensions", "application")) != RIGHTS_OK ||
	    (rc = load_app_dims(app, ld, dims)) != RIGHTS_OK)
		return rc;
	opt = ytree_map_get(map, "profiles", NULL);
	if (opt != NULL && (rc = load_app_profiles(app, ld, opt)) != RIGHTS_OK)
		return rc;
	opt = ytree_map_get(map, "project", NULL);
	if (opt != NULL &&
	    (rc = load_project(&app->projections, &app->nprojections, ld, app, opt)) != RIGHTS_OK)
		return rc;
	return RIGHTS_OK;
}

static int load_apps(rights_catalog *cat, ytree_loader *ld, const ytree_node *seq)
{
	size_t i, j;
	int rc = need_items(ld, seq, "\"applications\"");

	if (rc != RIGHTS_OK)
		return rc;
	cat->apps = alloc_array(seq->nkids, sizeof(*cat->apps));
	if (cat->apps == NULL)
		return ytree_nomem(ld);
	cat->napps = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		if ((rc = load_app(&cat->apps[i], ld, seq->kids[i])) != RIGHTS_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(cat->apps[j].id, cat->apps[i].id) == 0)
				return ytree_fail(ld, ytree_map_get(seq->kids[i], "id", NULL),
				                  "duplicate application id \"%s\"",
				                  cat->apps[i].id);
	}
	return RIGHTS_OK;
}

static int load_top(rights_catalog *cat, ytree_loader *ld, const ytree_node *root)
{
	const ytree_node *version = NULL, *manage = NULL, *apps = NULL;
	int rc;

	if (root->type == YTREE_SCALAR && ytree_is_null(root))
		return ytree_fail(ld, root,
		                  "empty document: expected a mapping with version, "
		                  "management and applications");
	if ((rc = ytree_expect(ld, root, YTREE_MAP, "the document")) != RIGHTS_OK ||
	    (rc = ytree_check_keys(ld, root, top_keys, "the document")) != RIGHTS_OK ||
	    (rc = ytree_map_need(&version, ld, root, "version", "the document")) != RIGHTS_OK)
		return rc;
	if (version->type != YTREE_SCALAR || !version->plain || !ytree_key_is(version, "1"))
		return ytree_fail(ld, version, "\"version\" must be 1");
	if ((rc = ytree_map_need(&manage, ld, root, "management", "the document")) != RIGHTS_OK ||
	    (rc = load_manage(cat, ld, manage)) != RIGHTS_OK ||
	    (rc = ytree_map_need(&apps, ld, root, "applications", "the document")) != RIGHTS_OK)
		return rc;
	return load_apps(cat, ld, apps);
}

/* ---- entry points ---------------------------------------------------------------- */

int catalog_load_buffer(rights_catalog **out, const char *name, const char *buf, size_t len,
                        rights_error *err)
{
	rights_error scratch;
	ytree_loader ld;
	ytree_node *root = NULL;
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

	rc = ytree_parse(&root, &ld, buf, len,
	                 "empty document: expected a mapping with version, management and "
	                 "applications");
	if (rc != RIGHTS_OK)
		goto cleanup;
	cat = calloc(1, sizeof(*cat));
	if (cat == NULL) {
		rc = ytree_nomem(&ld);
		goto cleanup;
	}
	rc = load_top(cat, &ld, root);
	if (rc != RIGHTS_OK)
		goto cleanup;
	*out = cat;
	cat = NULL;

cleanup:
	catalog_free(cat);
	ytree_free(root);
	return rc;
}

int catalog_load(rights_catalog **out, const char *path, rights_error *err)
{
	rights_error scratch;
	char *buf = NULL;
	size_t len = 0;
	int rc;

	if (out == NULL)
		return RIGHTS_EINVAL;
	*out = NULL;
	if (err == NULL)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (path == NULL)
		path = "(null)";

	rc = ytree_read_file(&buf, &len, path, err);
	if (rc == RIGHTS_OK)
		rc = catalog_load_buffer(out, path, buf, len, err);
	free(buf);
	return rc;
}
