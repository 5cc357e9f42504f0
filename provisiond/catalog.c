/*
 * ou=applications: the catalogue as LDAP entries (DESIGN §3, last
 * paragraph; §4), so that any LDAP client, umctl included, shows the
 * choices without rights.yaml:
 *
 *   cn=<app>,ou=applications                     the application (§2.3.1-§2.3.6)
 *   cn=<dim>,cn=<app>,ou=applications            one of its dimensions
 *   cn=<value>,cn=<dim>,cn=<app>,ou=applications one value (umRight dim:value)
 *   umProfile=<id>,cn=<app>,ou=applications      a profile of the §2.3.5 matrix
 *   cn=management,ou=applications                the management rights (§2.2.4)
 *   cn=<right>,cn=management,ou=applications     one of them (umManage value)
 *
 * Labels are description;lang-nl/fr/de/en (and, on applications, the
 * older umLabel "fr:..." form). Only what differs is written, in order
 * (parents first, deletions deepest first), one operation at a time: the
 * catalogue is a few hundred entries, written when rights.yaml changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "provisiond.h"

static const rights_lang cat_langs[] = {RIGHTS_LANG_NL, RIGHTS_LANG_FR, RIGHTS_LANG_DE,
                                        RIGHTS_LANG_EN};
#define NLANGS (sizeof(cat_langs) / sizeof(cat_langs[0]))

/* The management container has no label in rights.yaml: the manual's
 * title of §2.2.4 and its translations, in cat_langs' order. */
static const char *const manage_labels[NLANGS] = {"Gebruikersbeheer", "Gestion des utilisateurs",
                                                  "Benutzerverwaltung", "User management"};

struct cattr {
	char *name; /* with its options, e.g. description;lang-fr */
	char **v;
	size_t n, cap;
};

struct centry {
	char *dn;
	char *key;    /* dn_key(dn), when first compared */
	size_t depth; /* RDNs below ou=applications */
	struct cattr *a;
	size_t na, cap;
	int seen; /* found in the directory */
};

struct cset {
	struct centry *e;
	size_t n, cap;
};

static void cset_free(struct cset *s)
{
	size_t i, j, k;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->e[i].na; j++) {
			for (k = 0; k < s->e[i].a[j].n; k++)
				free(s->e[i].a[j].v[k]);
			free(s->e[i].a[j].v);
			free(s->e[i].a[j].name);
		}
		free(s->e[i].a);
		free(s->e[i].dn);
		free(s->e[i].key);
	}
	free(s->e);
	memset(s, 0, sizeof(*s));
}

/* A new entry "<type>=<value escaped>,<parent>" with objectClass and its
 * naming attribute; NULL on ENOMEM. */
static struct centry *cset_entry(struct cset *s, const char *type, const char *value,
                                 const struct centry *parent, const char *base)
{
	struct centry *e = NULL, *grown = NULL;
	/* parent is in s->e, which the realloc below may move: read it first */
	const char *under = parent ? parent->dn : base;
	size_t depth = parent ? parent->depth + 1 : 1;
	rights_str rv = {value, strlen(value)};
	size_t need;
	char *esc = NULL;

	if (s->n == s->cap) {
		grown = realloc(s->e, (s->cap ? s->cap * 2 : 64) * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		s->e = grown;
		s->cap = s->cap ? s->cap * 2 : 64;
	}
	need = dn_value_escape(NULL, 0, rv) + 1;
	esc = malloc(need);
	if (esc == NULL)
		return NULL;
	dn_value_escape(esc, need, rv);
	e = &s->e[s->n];
	memset(e, 0, sizeof(*e));
	need = strlen(type) + 1 + strlen(esc) + 1 + strlen(under) + 1;
	e->dn = malloc(need);
	if (e->dn != NULL)
		snprintf(e->dn, need, "%s=%s,%s", type, esc, under);
	free(esc);
	if (e->dn == NULL)
		return NULL;
	e->depth = depth;
	s->n++;
	return e;
}

static int centry_add(struct centry *e, const char *name, const char *value)
{
	struct cattr *a = NULL;
	char **v;
	size_t i;

	for (i = 0; i < e->na; i++)
		if (strcasecmp(e->a[i].name, name) == 0)
			a = &e->a[i];
	if (a == NULL) {
		if (e->na == e->cap) {
			a = realloc(e->a, (e->cap ? e->cap * 2 : 8) * sizeof(*a));
			if (a == NULL)
				return -1;
			e->a = a;
			e->cap = e->cap ? e->cap * 2 : 8;
		}
		a = &e->a[e->na];
		memset(a, 0, sizeof(*a));
		if ((a->name = strdup(name)) == NULL)
			return -1;
		e->na++;
	}
	if (a->n == a->cap) {
		v = realloc(a->v, (a->cap ? a->cap * 2 : 4) * sizeof(*v));
		if (v == NULL)
			return -1;
		a->v = v;
		a->cap = a->cap ? a->cap * 2 : 4;
	}
	if ((a->v[a->n] = strdup(value)) == NULL)
		return -1;
	a->n++;
	return 0;
}

/* objectClass, cn, the kind, the application and description;lang-xx. */
static struct centry *cset_node(struct cset *s, const char *rdn_type, const char *id,
                                const struct centry *parent, const char *base, const char *kind,
                                const char *app, const char *const labels[NLANGS])
{
	struct centry *e = cset_entry(s, rdn_type, id, parent, base);
	char name[64];
	size_t i;

	if (e == NULL || centry_add(e, "objectClass", "umCatalogEntry") != 0 ||
	    centry_add(e, "cn", id) != 0 || centry_add(e, "umCatalogKind", kind) != 0 ||
	    (app != NULL && centry_add(e, "umApplication", app) != 0))
		return NULL;
	for (i = 0; i < NLANGS; i++) {
		snprintf(name, sizeof(name), "description;lang-%s", lang_code(cat_langs[i]));
		if (labels[i] != NULL && labels[i][0] != '\0' &&
		    centry_add(e, name, labels[i]) != 0)
			return NULL;
	}
	return e;
}

static int right_text(char *buf, size_t size, const rights_dim *dim, const rights_value *v)
{
	return (size_t)snprintf(buf, size, "%s:%s", dim_id(dim), value_id(v)) < size ? 0 : -1;
}

/* The §2.3.5 matrix as a profile entry: umConstrains names the dimensions
 * whose unlisted values are NA, umMandatory (X) and umOptional (O) the
 * values, umAtLeastOne the dimensions needing one value. */
static int cset_profile(struct cset *s, const rights_app *app, const rights_profile *p,
                        const struct centry *parent)
{
	const char *labels[NLANGS];
	const rights_dim *dim;
	struct centry *e;
	char buf[512];
	size_t i, d, v;
	int mark;

	for (i = 0; i < NLANGS; i++)
		labels[i] = profile_label(p, cat_langs[i]);
	e = cset_node(s, "umProfile", profile_id(p), parent, NULL, "profile", app_id(app), labels);
	if (e == NULL || centry_add(e, "umProfile", profile_id(p)) != 0)
		return -1;
	for (d = 0; d < app_dim_count(app); d++) {
		dim = app_dim_at(app, d);
		if (profile_at_least_one(app, p, dim) && centry_add(e, "umAtLeastOne", dim_id(dim)))
			return -1;
		if (!profile_constrains(app, p, dim))
			continue;
		if (centry_add(e, "umConstrains", dim_id(dim)) != 0)
			return -1;
		for (v = 0; v < dim_value_count(dim); v++) {
			mark = profile_mark(app, p, dim, dim_value_at(dim, v));
			if (mark != RIGHTS_MARK_X && mark != RIGHTS_MARK_O)
				continue;
			if (right_text(buf, sizeof(buf), dim, dim_value_at(dim, v)) != 0 ||
			    centry_add(e, mark == RIGHTS_MARK_X ? "umMandatory" : "umOptional",
			               buf) != 0)
				return -1;
		}
	}
	return 0;
}

static int cset_app(struct cset *s, const rights_app *app, const char *base)
{
	static const char *const sources[] = {"static", "billing", "contract"};
	const char *labels[NLANGS];
	const rights_dim *dim;
	const rights_value *val;
	struct centry *e, *de, *ve;
	size_t ie, ide;
	char buf[1024];
	size_t i, d, v;

	for (i = 0; i < NLANGS; i++)
		labels[i] = app_label(app, cat_langs[i]);
	e = cset_node(s, "cn", app_id(app), NULL, base, "application", app_id(app), labels);
	if (e == NULL || centry_add(e, "umDelegable", app_delegable(app) ? "TRUE" : "FALSE") != 0)
		return -1;
	for (i = 0; i < NLANGS; i++) {
		snprintf(buf, sizeof(buf), "%s:%s", lang_code(cat_langs[i]), labels[i]);
		if (centry_add(e, "umLabel", buf) != 0)
			return -1;
	}
	ie = (size_t)(e - s->e); /* s->e moves as it grows */
	for (d = 0; d < app_dim_count(app); d++) {
		dim = app_dim_at(app, d);
		/* dynamic dimensions (billing, contract): the values are each
		 * organisation's own entries */
		for (v = 0; v < dim_value_count(dim); v++)
			if (right_text(buf, sizeof(buf), dim, dim_value_at(dim, v)) != 0 ||
			    centry_add(&s->e[ie], "umRight", buf) != 0)
				return -1;
		for (i = 0; i < NLANGS; i++)
			labels[i] = dim_label(dim, cat_langs[i]);
		de = cset_node(s, "cn", dim_id(dim), &s->e[ie], NULL, "dimension", app_id(app),
		               labels);
		if (de == NULL || centry_add(de, "umDimension", dim_id(dim)) != 0 ||
		    centry_add(de, "umValueSource", sources[dim_source(dim)]) != 0)
			return -1;
		for (i = 0; i < dim_kind_count(dim); i++)
			if (centry_add(de, "umAcceptsKind", dim_kind_at(dim, i)) != 0)
				return -1;
		ide = (size_t)(de - s->e);
		for (v = 0; v < dim_value_count(dim); v++) {
			val = dim_value_at(dim, v);
			for (i = 0; i < NLANGS; i++)
				labels[i] = value_label(val, cat_langs[i]);
			ve = cset_node(s, "cn", value_id(val), &s->e[ide], NULL, "value",
			               app_id(app), labels);
			if (ve == NULL || right_text(buf, sizeof(buf), dim, val) != 0 ||
			    centry_add(ve, "umDimension", dim_id(dim)) != 0 ||
			    centry_add(ve, "umRight", buf) != 0 ||
			    centry_add(ve, "umRouterOnly",
			               value_router_only(val) ? "TRUE" : "FALSE"))
				return -1;
		}
	}
	for (i = 0; i < app_profile_count(app); i++)
		if (cset_profile(s, app, app_profile_at(app, i), &s->e[ie]) != 0)
			return -1;
	return 0;
}

/* What rights.yaml says ou=applications holds. */
static int cset_build(struct cset *s, const rights_catalog *cat, const char *base)
{
	const char *labels[NLANGS];
	struct centry *e;
	rights_str id;
	size_t i, l, ie;

	for (i = 0; i < catalog_app_count(cat); i++)
		if (cset_app(s, catalog_app_at(cat, i), base) != 0)
			return -1;
	e = cset_node(s, "cn", "management", NULL, base, "management", NULL, manage_labels);
	if (e == NULL)
		return -1;
	ie = (size_t)(e - s->e);
	for (i = 0; i < catalog_manage_count(cat); i++) {
		id.ptr = catalog_manage_at(cat, i);
		id.len = strlen(id.ptr);
		for (l = 0; l < NLANGS; l++)
			labels[l] = catalog_manage_label(cat, id, cat_langs[l]);
		e = cset_node(s, "cn", id.ptr, &s->e[ie], NULL, "management-right", NULL, labels);
		if (e == NULL || centry_add(e, "umManage", id.ptr) != 0)
			return -1;
	}
	return 0;
}

static struct centry *cset_find(struct cset *s, const char *dn)
{
	char *key = dn_key(dn);
	struct centry *found = NULL;
	size_t i;

	if (key == NULL)
		return NULL;
	for (i = 0; i < s->n && found == NULL; i++) {
		if (s->e[i].key == NULL)
			s->e[i].key = dn_key(s->e[i].dn);
		if (s->e[i].key != NULL && strcmp(s->e[i].key, key) == 0)
			found = &s->e[i];
	}
	free(key);
	return found;
}

/* Same values, in any order (exact: what provisiond wrote comes back). */
static int values_same(struct berval **have, const struct cattr *want)
{
	size_t n = 0, i, j;
	int hit;

	while (have != NULL && have[n] != NULL)
		n++;
	if (n != want->n)
		return 0;
	for (i = 0; i < n; i++) {
		for (hit = 0, j = 0; j < want->n && !hit; j++)
			hit = strlen(want->v[j]) == have[i]->bv_len &&
			      memcmp(want->v[j], have[i]->bv_val, have[i]->bv_len) == 0;
		if (!hit)
			return 0;
	}
	return 1;
}

/* The modifications that make entry cur what want says (NULL mods: none). */
static int centry_diff(LDAPMod ***mods, LDAP *ld, LDAPMessage *cur, struct centry *want)
{
	BerElement *ber = NULL;
	struct berval **have = NULL;
	char *attr = NULL;
	size_t i;
	int rc = -1;

	for (i = 0; i < want->na; i++) {
		if (strcasecmp(want->a[i].name, "objectClass") == 0)
			continue;
		have = ldap_get_values_len(ld, cur, want->a[i].name);
		if (!values_same(have, &want->a[i]) &&
		    mods_append(mods, LDAP_MOD_REPLACE, want->a[i].name,
		                (const char *const *)want->a[i].v, want->a[i].n) != 0)
			goto cleanup;
		ldap_value_free_len(have);
		have = NULL;
	}
	/* what rights.yaml no longer says (a label removed, a profile row) */
	for (attr = ldap_first_attribute(ld, cur, &ber); attr != NULL;
	     attr = ldap_next_attribute(ld, cur, ber)) {
		int wanted = strcasecmp(attr, "objectClass") == 0;

		for (i = 0; i < want->na && !wanted; i++)
			wanted = strcasecmp(attr, want->a[i].name) == 0;
		if (!wanted && mods_append(mods, LDAP_MOD_DELETE, attr, NULL, 0) != 0)
			goto cleanup;
		ldap_memfree(attr);
	}
	attr = NULL;
	rc = 0;
cleanup:
	ldap_memfree(attr);
	ber_free(ber, 0);
	ldap_value_free_len(have);
	return rc;
}

static size_t dn_depth(const char *dn, const char *base)
{
	LDAPDN parsed = NULL, pbase = NULL;
	size_t n = 0, nb = 0;

	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS)
		while (parsed[n] != NULL)
			n++;
	if (ldap_str2dn(base, &pbase, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS)
		while (pbase[nb] != NULL)
			nb++;
	ldap_dnfree(parsed);
	ldap_dnfree(pbase);
	return n > nb ? n - nb : 0;
}

struct cdel {
	char *dn;
	size_t depth;
};

static int cmp_deeper(const void *a, const void *b)
{
	const struct cdel *x = a, *y = b;

	return x->depth < y->depth ? 1 : x->depth > y->depth ? -1 : 0;
}

static int cmp_shallower(const void *a, const void *b)
{
	const struct centry *x = a, *y = b;

	return x->depth < y->depth ? -1 : x->depth > y->depth ? 1 : 0;
}

/* One write, answered; a refusal is logged and counted, a lost
 * connection ends the run. */
static int catalog_write(size_t *failed, int rc, const char *what, const char *dn)
{
	if (rc == LDAP_SUCCESS)
		return 0;
	log_warnx("catalogue: %s %s: %s", what, dn, ldap_err2string(rc));
	(*failed)++;
	return ldapconn_lost(rc) ? rc : 0;
}

int catalog_sync(LDAP *ld, const struct config *conf)
{
	char *attrs[] = {"*", NULL};
	struct cset want;
	struct cdel *dels = NULL;
	LDAPMessage *res = NULL, *e;
	LDAPMod **mods = NULL;
	struct centry *w;
	char *dn = NULL;
	size_t ndels = 0, cap = 0, nadd = 0, nmod = 0, failed = 0, i;
	int rc;

	memset(&want, 0, sizeof(want));
	rc = LDAP_NO_MEMORY;
	if (cset_build(&want, conf->cat, conf->apps_dn) != 0)
		goto cleanup;
	rc = ldapconn_search(&res, ld, conf, conf->apps_dn, LDAP_SCOPE_SUBTREE,
	                     "(objectClass=umCatalogEntry)", attrs);
	if (rc != LDAP_SUCCESS) {
		log_warnx("reading %s: %s", conf->apps_dn, ldap_err2string(rc));
		goto cleanup;
	}
	/* what differs, and what rights.yaml does not have: deepest first */
	for (e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
		rc = LDAP_NO_MEMORY;
		if ((dn = ldap_get_dn(ld, e)) == NULL)
			goto cleanup;
		w = cset_find(&want, dn);
		if (w != NULL) {
			w->seen = 1;
			if (centry_diff(&mods, ld, e, w) != 0)
				goto cleanup;
			if (mods != NULL) {
				rc = ldap_modify_ext_s(ld, dn, mods, NULL, NULL);
				mods_release(mods);
				mods = NULL;
				if ((rc = catalog_write(&failed, rc, "modify", dn)) != 0)
					goto cleanup;
				nmod++;
			}
			ldap_memfree(dn);
		} else {
			if (ndels == cap) {
				struct cdel *grown =
				        realloc(dels, (cap ? cap * 2 : 16) * sizeof(*dels));

				if (grown == NULL)
					goto cleanup;
				dels = grown;
				cap = cap ? cap * 2 : 16;
			}
			dels[ndels].depth = dn_depth(dn, conf->apps_dn);
			dels[ndels++].dn = dn;
		}
		dn = NULL;
	}
	qsort(dels, ndels, sizeof(*dels), cmp_deeper);
	for (i = 0; i < ndels; i++)
		if ((rc = catalog_write(&failed, ldap_delete_ext_s(ld, dels[i].dn, NULL, NULL),
		                        "delete", dels[i].dn)) != 0)
			goto cleanup;
	/* parents before their children */
	qsort(want.e, want.n, sizeof(*want.e), cmp_shallower);
	for (i = 0; i < want.n; i++) {
		size_t a;

		if (want.e[i].seen)
			continue;
		rc = LDAP_NO_MEMORY;
		for (a = 0; a < want.e[i].na; a++)
			if (mods_append(&mods, LDAP_MOD_ADD, want.e[i].a[a].name,
			                (const char *const *)want.e[i].a[a].v,
			                want.e[i].a[a].n) != 0)
				goto cleanup;
		rc = ldap_add_ext_s(ld, want.e[i].dn, mods, NULL, NULL);
		mods_release(mods);
		mods = NULL;
		if ((rc = catalog_write(&failed, rc, "add", want.e[i].dn)) != 0)
			goto cleanup;
		nadd++;
	}
	rc = LDAP_SUCCESS;
	if (nadd + nmod + ndels == 0)
		log_debug("catalogue: %s is up to date", conf->apps_dn);
	else
		log_info("catalogue: %zu entr%s of %s added, %zu modified, %zu deleted; %zu "
		         "refused",
		         nadd, nadd == 1 ? "y" : "ies", conf->apps_dn, nmod, ndels, failed);
cleanup:
	mods_release(mods);
	ldap_memfree(dn);
	for (i = 0; i < ndels; i++)
		ldap_memfree(dels[i].dn);
	free(dels);
	ldap_msgfree(res);
	cset_free(&want);
	return rc;
}
