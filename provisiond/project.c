/*
 * Grants -> what e-applications authorize from (rights.yaml `project:`,
 * DESIGN §4). Pure: no LDAP, no logging, no I/O; unit-tested in
 * tests/unit/test_project.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provisiond.h"

static int str_eq_ci(rights_str a, rights_str b)
{
	return a.len == b.len && (a.len == 0 || strncasecmp(a.ptr, b.ptr, a.len) == 0);
}

static rights_str cstr(const char *s)
{
	rights_str r = {s, s ? strlen(s) : 0};

	return r;
}

int project_is_active(rights_str status)
{
	/* §3.1: a deactivated user keeps its grants, but nothing may let
	 * it in: its projection is empty until it is reactivated. lib decides
	 * "active" (fail closed: an unreadable status is not active). */
	return user_is_active(&status, 1);
}

size_t project_effective(rights_str *out, const proj_grant *g, rights_str user_org)
{
	size_t i, n = 0;

	if (str_eq_ci(g->scope, user_org)) {
		for (i = 0; i < g->nrights; i++)
			out[n++] = g->rights[i];
		return n;
	}
	/* §2.3.1 sous-traitants: a router's user holds on customer X only
	 * what X's delegation to the router still gives (umRight is
	 * caseExact); a revoked delegation takes it all back */
	if (!g->has_deleg)
		return 0;
	for (i = 0; i < g->nrights; i++)
		if (subset_contains(g->deleg, g->ndeleg, g->rights[i]))
			out[n++] = g->rights[i];
	return n;
}

/* ---- templates ----------------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* RFC 4514 §2.4, lib's dn_value_escape() (control bytes too) */
static int buf_add_rdn_value(struct buf *b, rights_str v)
{
	size_t n = dn_value_escape(NULL, 0, v);
	char *tmp = malloc(n + 1);
	int rc;

	if (tmp == NULL)
		return -1;
	dn_value_escape(tmp, n + 1, v);
	rc = buf_add(b, tmp, n);
	free(tmp);
	return rc;
}

int project_rdn(char **out, const char *type, rights_str value, const char *parent)
{
	struct buf b = {NULL, 0, 0};

	*out = NULL;
	if (buf_add(&b, type, strlen(type)) != 0 || buf_add(&b, "=", 1) != 0 ||
	    buf_add_rdn_value(&b, value) != 0 || buf_add(&b, ",", 1) != 0 ||
	    buf_add(&b, parent, strlen(parent)) != 0) {
		free(b.p);
		return -1;
	}
	*out = b.p;
	return 0;
}

int project_expand(char **out, const char *tmpl, const char *suffix, const char *app,
                   const char *dim, rights_str value, int dn_escape)
{
	rights_var vars[3] = {{"suffix", cstr(suffix)}, {"app", cstr(app)}, {dim, value}};
	size_t nvars = dim ? 3 : 2, n;
	char *escaped = NULL;
	int unknown = 0, rc = -1;

	*out = NULL;
	if (dim && dn_escape) {
		/* only the value goes inside an RDN; suffix and app are DNs/ids */
		n = dn_value_escape(NULL, 0, value);
		if ((escaped = malloc(n + 1)) == NULL)
			goto cleanup;
		dn_value_escape(escaped, n + 1, value);
		vars[2].value.ptr = escaped;
		vars[2].value.len = n;
	}
	n = text_expand(&unknown, NULL, 0, tmpl, vars, nvars, NULL);
	if (unknown) /* catalog_load() lets no other marker through */
		goto cleanup;
	if ((*out = malloc(n + 1)) == NULL)
		goto cleanup;
	text_expand(NULL, *out, n + 1, tmpl, vars, nvars, NULL);
	rc = 0;
cleanup:
	free(escaped);
	return rc;
}

/* ---- projections ----------------------------------------------------------------- */

void projection_reset(struct projection *p)
{
	size_t i;

	for (i = 0; i < p->ngroups; i++)
		free(p->groups[i]);
	for (i = 0; i < p->nattrs; i++)
		free(p->attrs[i].value);
	p->ngroups = 0;
	p->nattrs = 0;
}

void projection_free(struct projection *p)
{
	if (p == NULL)
		return;
	projection_reset(p);
	free(p->groups);
	free(p->attrs);
	memset(p, 0, sizeof(*p));
}

/* Takes s; duplicates (DNs compare case-insensitively here, exactly as
 * the templates write them) are dropped. */
static int projection_group(struct projection *p, char *s)
{
	char **v;
	size_t i;

	for (i = 0; i < p->ngroups; i++)
		if (strcasecmp(p->groups[i], s) == 0) {
			free(s);
			return 0;
		}
	if (p->ngroups == p->capg) {
		v = realloc(p->groups, (p->capg ? p->capg * 2 : 8) * sizeof(*v));
		if (v == NULL) {
			free(s);
			return -1;
		}
		p->groups = v;
		p->capg = p->capg ? p->capg * 2 : 8;
	}
	p->groups[p->ngroups++] = s;
	return 0;
}

static int projection_attr(struct projection *p, const char *name, char *value)
{
	struct proj_attr *v;
	size_t i;

	for (i = 0; i < p->nattrs; i++)
		if (strcasecmp(p->attrs[i].name, name) == 0 &&
		    strcasecmp(p->attrs[i].value, value) == 0) {
			free(value);
			return 0;
		}
	if (p->nattrs == p->capa) {
		v = realloc(p->attrs, (p->capa ? p->capa * 2 : 8) * sizeof(*v));
		if (v == NULL) {
			free(value);
			return -1;
		}
		p->attrs = v;
		p->capa = p->capa ? p->capa * 2 : 8;
	}
	p->attrs[p->nattrs].name = name;
	p->attrs[p->nattrs].value = value;
	p->nattrs++;
	return 0;
}

/* A value counts if the catalogue knows it: a value rights.yaml dropped
 * since it was granted must not name a group of its own. Dynamic
 * dimensions (billing, contract) are the organisation's, checked by the
 * overlay when granted (DESIGN rule 4). */
static int value_known(const rights_app *app, rights_str right, rights_str *dim_out,
                       rights_str *val_out)
{
	const rights_dim *dim;

	if (right_parse(dim_out, val_out, right) != RIGHTS_OK)
		return 0;
	dim = app_dim(app, *dim_out);
	if (dim == NULL)
		return 0;
	return dim_source(dim) != RIGHTS_SOURCE_STATIC || dim_value(dim, *val_out) != NULL;
}

static int project_grant(struct projection *out, const rights_app *app, const char *suffix,
                         const rights_str *vals, size_t n)
{
	const rights_projection *pr;
	rights_str dim, val, none = {"", 0};
	char *s = NULL;
	size_t i, k;

	for (k = 0; k < app_projection_count(app); k++) {
		pr = app_projection_at(app, k);
		if (strcmp(pr->kind, "attribute") == 0) {
			if (project_expand(&s, pr->template, suffix, app_id(app), NULL, none, 0) !=
			            0 ||
			    projection_attr(out, pr->name, s) != 0)
				return -1;
		} else if (pr->for_dim == NULL) {
			if (project_expand(&s, pr->template, suffix, app_id(app), NULL, none, 1) !=
			            0 ||
			    projection_group(out, s) != 0)
				return -1;
		} else {
			for (i = 0; i < n; i++) {
				if (right_parse(&dim, &val, vals[i]) != RIGHTS_OK ||
				    strlen(pr->for_dim) != dim.len ||
				    memcmp(pr->for_dim, dim.ptr, dim.len) != 0)
					continue;
				if (project_expand(&s, pr->template, suffix, app_id(app),
				                   pr->for_dim, val, 1) != 0 ||
				    projection_group(out, s) != 0)
					return -1;
			}
		}
	}
	return 0;
}

/* manual §2.2.4: a management right with `project:` rules (FTP access)
 * is a door like an application's; templates know {suffix} only. */
static int project_manage(struct projection *out, const rights_catalog *cat, const char *suffix,
                          const proj_user *u)
{
	const rights_projection *pr;
	rights_str none = {"", 0};
	char *s = NULL;
	size_t i, j, k, n;
	int held;

	for (i = 0; i < catalog_manage_count(cat); i++) {
		n = catalog_manage_projection_count(cat, i);
		if (n == 0)
			continue;
		/* umManage is caseIgnoreMatch */
		for (held = 0, j = 0; j < u->nmanage && !held; j++)
			held = str_eq_ci(u->manage[j], cstr(catalog_manage_at(cat, i)));
		if (!held)
			continue;
		for (k = 0; k < n; k++) {
			pr = catalog_manage_projection_at(cat, i, k);
			if (project_expand(&s, pr->template, suffix, "", NULL, none,
			                   strcmp(pr->kind, "group") == 0) != 0)
				return -1;
			if (strcmp(pr->kind, "attribute") == 0 ? projection_attr(out, pr->name, s)
			                                       : projection_group(out, s))
				return -1;
		}
	}
	return 0;
}

int project_user(struct projection *out, const rights_catalog *cat, const char *suffix,
                 const proj_user *u)
{
	const proj_grant *g;
	const rights_app *app;
	rights_str *eff = NULL, dim, val;
	size_t i, j, n, kept, max = 0;
	int rc = -1;

	projection_reset(out);
	if (!u->active)
		return 0;
	for (i = 0; i < u->ngrants; i++)
		if (u->grants[i].nrights > max)
			max = u->grants[i].nrights;
	eff = calloc(max ? max : 1, sizeof(*eff));
	if (eff == NULL)
		return -1;
	for (i = 0; i < u->ngrants; i++) {
		g = &u->grants[i];
		app = catalog_app(cat, g->app);
		if (app == NULL)
			continue;
		n = project_effective(eff, g, u->org);
		for (j = 0, kept = 0; j < n; j++)
			if (value_known(app, eff[j], &dim, &val))
				eff[kept++] = eff[j];
		/* an empty grant gives no access (DESIGN §4: umAppAccess is
		 * the apps with a non-empty effective grant) */
		if (kept == 0)
			continue;
		if (project_grant(out, app, suffix, eff, kept) != 0)
			goto cleanup;
	}
	if (project_manage(out, cat, suffix, u) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	free(eff);
	if (rc != 0)
		projection_reset(out);
	return rc;
}

/* ---- attributes -------------------------------------------------------------------- */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t fnv_lower(uint64_t h, const char *s)
{
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h ^= c;
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t project_attr_hash(const char *const *names, const char *const *values, size_t n)
{
	uint64_t sum = 0, h;
	size_t i;

	/* a sum of mixed hashes: the order values come back in is the
	 * server's business */
	for (i = 0; i < n; i++) {
		h = fnv_lower(1469598103934665603ULL, names[i]);
		h ^= 0xff;
		h *= 1099511628211ULL;
		h = fnv_lower(h, values[i]);
		sum += mix64(h);
	}
	return sum;
}

uint64_t project_manage_hash(const rights_str *manage, size_t n)
{
	const char *names[1] = {"umManage"}, *values[1];
	char buf[256];
	uint64_t sum = 0;
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = manage[i].len < sizeof(buf) ? manage[i].len : sizeof(buf) - 1;
		memcpy(buf, manage[i].ptr, len);
		buf[len] = '\0';
		values[0] = buf;
		sum += project_attr_hash(names, values, 1);
	}
	return sum;
}

static int attr_name_add(const char ***v, size_t *n, size_t *cap, const char *name)
{
	const char **grown;
	size_t j;

	for (j = 0; j < *n && strcasecmp((*v)[j], name) != 0; j++)
		;
	if (j < *n)
		return 0;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		grown = realloc(*v, *cap * sizeof(**v));
		if (grown == NULL)
			return -1;
		*v = grown;
	}
	(*v)[(*n)++] = name;
	return 0;
}

int project_attr_names(const char ***out, size_t *n, const rights_catalog *cat)
{
	const rights_projection *pr;
	const rights_app *app;
	const char **v = NULL;
	size_t i, k, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < catalog_app_count(cat); i++) {
		app = catalog_app_at(cat, i);
		for (k = 0; k < app_projection_count(app); k++) {
			pr = app_projection_at(app, k);
			if (strcmp(pr->kind, "attribute") == 0 &&
			    attr_name_add(&v, n, &cap, pr->name))
				goto fail;
		}
	}
	for (i = 0; i < catalog_manage_count(cat); i++)
		for (k = 0; k < catalog_manage_projection_count(cat, i); k++) {
			pr = catalog_manage_projection_at(cat, i, k);
			if (strcmp(pr->kind, "attribute") == 0 &&
			    attr_name_add(&v, n, &cap, pr->name))
				goto fail;
		}
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL)
		return -1;
	*out = v;
	return 0;
fail:
	free(v);
	*n = 0;
	return -1;
}
