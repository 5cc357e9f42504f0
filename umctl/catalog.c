/*
 * The catalogue as provisiond publishes it under ou=applications (DESIGN
 * §3, last paragraph): applications, dimensions, values and management
 * rights with their description;lang-xx labels. umctl never reads
 * rights.yaml; what an LDAP browser shows is what umctl offers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "umctl.h"

static void labels_free(char *label[RIGHTS_LANG_COUNT])
{
	int l;

	for (l = 0; l < RIGHTS_LANG_COUNT; l++)
		free(label[l]);
}

void ucat_free(struct ucat *c)
{
	size_t i, j, k;

	for (i = 0; i < c->na; i++) {
		for (j = 0; j < c->a[i].nd; j++) {
			for (k = 0; k < c->a[i].d[j].nv; k++) {
				free(c->a[i].d[j].v[k].id);
				free(c->a[i].d[j].v[k].right);
				labels_free(c->a[i].d[j].v[k].label);
			}
			free(c->a[i].d[j].v);
			free(c->a[i].d[j].id);
			free(c->a[i].d[j].source);
			labels_free(c->a[i].d[j].label);
		}
		free(c->a[i].d);
		free(c->a[i].id);
		labels_free(c->a[i].label);
	}
	free(c->a);
	for (i = 0; i < c->nm; i++) {
		free(c->m[i].id);
		labels_free(c->m[i].label);
	}
	free(c->m);
	memset(c, 0, sizeof(*c));
}

/* description;lang-xx of e into label[] */
static void read_labels(char *label[RIGHTS_LANG_COUNT], LDAP *ld, LDAPMessage *e)
{
	BerElement *ber = NULL;
	rights_lang lang;
	char *attr;

	for (attr = ldap_first_attribute(ld, e, &ber); attr != NULL;
	     attr = ldap_next_attribute(ld, e, ber)) {
		if (strncasecmp(attr, "description;lang-", 17) == 0 &&
		    lang_parse(&lang, attr + 17, strlen(attr + 17)) == RIGHTS_OK &&
		    label[lang] == NULL)
			label[lang] = um_value(ld, e, attr);
		ldap_memfree(attr);
	}
	ber_free(ber, 0);
}

static void *grow(void *v, size_t n, size_t size)
{
	/* one more slot, zeroed */
	char *g = realloc(v, (n + 1) * size);

	if (g != NULL)
		memset(g + n * size, 0, size);
	return g;
}

static struct capp *find_app(struct ucat *c, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < c->na; i++)
		if (strcasecmp(c->a[i].id, id) == 0)
			return &c->a[i];
	return NULL;
}

static struct cdim *find_dim(struct capp *a, const char *id)
{
	size_t i;

	for (i = 0; a != NULL && id != NULL && i < a->nd; i++)
		if (strcmp(a->d[i].id, id) == 0)
			return &a->d[i];
	return NULL;
}

static int load_kind(struct ucat *c, LDAP *ld, LDAPMessage *res, const char *kind)
{
	LDAPMessage *e;
	char *k, *app, *dim, *tmp;
	struct capp *a;
	struct cdim *d;

	for (e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
		k = um_value(ld, e, "umCatalogKind");
		if (k == NULL || strcasecmp(k, kind) != 0) {
			free(k);
			continue;
		}
		free(k);
		app = um_value(ld, e, "umApplication");
		dim = um_value(ld, e, "umDimension");
		if (strcmp(kind, "application") == 0 && app != NULL) {
			if ((a = grow(c->a, c->na, sizeof(*a))) == NULL)
				goto nomem;
			c->a = a;
			a = &c->a[c->na++];
			a->id = app;
			app = NULL;
			tmp = um_value(ld, e, "umDelegable");
			a->delegable = tmp != NULL && strcasecmp(tmp, "TRUE") == 0;
			free(tmp);
			read_labels(a->label, ld, e);
		} else if (strcmp(kind, "dimension") == 0 && (a = find_app(c, app)) != NULL &&
		           dim != NULL) {
			if ((d = grow(a->d, a->nd, sizeof(*d))) == NULL)
				goto nomem;
			a->d = d;
			d = &a->d[a->nd++];
			d->id = dim;
			dim = NULL;
			d->source = um_value(ld, e, "umValueSource");
			read_labels(d->label, ld, e);
		} else if (strcmp(kind, "value") == 0 &&
		           (d = find_dim(find_app(c, app), dim)) != NULL) {
			struct cvalue *v = grow(d->v, d->nv, sizeof(*v));

			if (v == NULL)
				goto nomem;
			d->v = v;
			v = &d->v[d->nv++];
			v->id = um_value(ld, e, "cn");
			v->right = um_value(ld, e, "umRight");
			tmp = um_value(ld, e, "umRouterOnly");
			v->router_only = tmp != NULL && strcasecmp(tmp, "TRUE") == 0;
			free(tmp);
			read_labels(v->label, ld, e);
		} else if (strcmp(kind, "management-right") == 0) {
			struct cmanage *m = grow(c->m, c->nm, sizeof(*m));

			if (m == NULL)
				goto nomem;
			c->m = m;
			m = &c->m[c->nm++];
			m->id = um_value(ld, e, "umManage");
			read_labels(m->label, ld, e);
		}
		free(app);
		free(dim);
		continue;
	nomem:
		free(app);
		free(dim);
		return -1;
	}
	return 0;
}

int ucat_load(struct ucat *out, struct um *um)
{
	char *attrs[] = {"cn",
	                 "umCatalogKind",
	                 "umApplication",
	                 "umDimension",
	                 "umRight",
	                 "umRouterOnly",
	                 "umDelegable",
	                 "umValueSource",
	                 "umManage",
	                 "description",
	                 NULL};
	static const char *const kinds[] = {"application", "dimension", "value",
	                                    "management-right"};
	LDAPMessage *res = NULL;
	char *base = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (asprintf(&base, "ou=applications,%s", um->suffix) < 0)
		return UM_EXIT_USAGE;
	rc = ldap_search_ext_s(um->ld, base, LDAP_SCOPE_SUBTREE, "(objectClass=umCatalogEntry)",
	                       attrs, 0, NULL, NULL, NULL, 0, &res);
	free(base);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return um_ldap_result(um, rc);
	}
	/* parents first, whatever order the server answers in */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (load_kind(out, um->ld, res, kinds[i]) != 0) {
			ldap_msgfree(res);
			ucat_free(out);
			return um_usage("out of memory");
		}
	ldap_msgfree(res);
	return UM_EXIT_OK;
}

const char *ucat_label(const struct um *um, char *const label[RIGHTS_LANG_COUNT], const char *id)
{
	if (label[um->lang] != NULL)
		return label[um->lang];
	if (label[RIGHTS_LANG_EN] != NULL)
		return label[RIGHTS_LANG_EN];
	return id;
}

const struct capp *ucat_app(const struct ucat *c, const char *id_or_label)
{
	size_t i;
	int l;

	for (i = 0; i < c->na; i++)
		if (strcasecmp(c->a[i].id, id_or_label) == 0)
			return &c->a[i];
	for (i = 0; i < c->na; i++)
		for (l = 0; l < RIGHTS_LANG_COUNT; l++)
			if (c->a[i].label[l] && strcasecmp(c->a[i].label[l], id_or_label) == 0)
				return &c->a[i];
	return NULL;
}

static int value_is(const struct cvalue *v, const char *s)
{
	int l;

	if (strcmp(v->id, s) == 0)
		return 1;
	for (l = 0; l < RIGHTS_LANG_COUNT; l++)
		if (v->label[l] != NULL && strcasecmp(v->label[l], s) == 0)
			return 1;
	return 0;
}

char *ucat_resolve(const struct capp *app, const char *arg, const char **why)
{
	const struct cvalue *hit = NULL;
	const struct cdim *d = NULL;
	const char *colon = strchr(arg, ':'), *want = arg;
	size_t i, j, dl = colon ? (size_t)(colon - arg) : 0;
	char *out = NULL;

	*why = "no such value";
	if (colon != NULL) {
		for (i = 0; i < app->nd && d == NULL; i++)
			if (strlen(app->d[i].id) == dl && strncmp(app->d[i].id, arg, dl) == 0)
				d = &app->d[i];
		if (d != NULL && d->source != NULL && strcmp(d->source, "static") != 0)
			return strdup(arg); /* billing:BA-1001: the organisation's own */
		if (d != NULL)
			want = colon + 1;
	}
	for (i = 0; i < app->nd; i++) {
		if (d != NULL && &app->d[i] != d)
			continue;
		for (j = 0; j < app->d[i].nv; j++) {
			if (!value_is(&app->d[i].v[j], want))
				continue;
			if (hit != NULL && hit != &app->d[i].v[j]) {
				*why = "ambiguous, name the dimension (dimension:value)";
				return NULL;
			}
			hit = &app->d[i].v[j];
		}
	}
	if (hit != NULL)
		out = strdup(hit->right);
	return out;
}

const char *ucat_right_label(const struct um *um, const struct capp *app, const char *right,
                             const char **dimlabel)
{
	const char *colon = strchr(right, ':');
	size_t i, j, dl = colon ? (size_t)(colon - right) : 0;

	*dimlabel = NULL;
	for (i = 0; app != NULL && colon != NULL && i < app->nd; i++) {
		if (strlen(app->d[i].id) != dl || strncmp(app->d[i].id, right, dl) != 0)
			continue;
		*dimlabel = ucat_label(um, app->d[i].label, app->d[i].id);
		for (j = 0; j < app->d[i].nv; j++)
			if (strcmp(app->d[i].v[j].right, right) == 0)
				return ucat_label(um, app->d[i].v[j].label, app->d[i].v[j].id);
		return colon + 1;
	}
	return right;
}

const char *ucat_manage_label(const struct um *um, const struct ucat *c, const char *id)
{
	size_t i;

	for (i = 0; i < c->nm; i++)
		if (c->m[i].id != NULL && strcasecmp(c->m[i].id, id) == 0)
			return ucat_label(um, c->m[i].label, c->m[i].id);
	return id;
}
