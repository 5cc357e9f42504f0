/*
 * ou=applications: the catalogue as LDAP entries (DESIGN §2), one
 * umCatalogEntry per application of rights.yaml, so that portals and
 * e-applications read labels and values without parsing YAML. Only what
 * differs is written; entries of applications no longer in rights.yaml go.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "provisiond.h"

enum { A_APP, A_DELEGABLE, A_LABEL, A_RIGHT, A_COUNT };

static const char *const cat_attrs[A_COUNT] = {"umApplication", "umDelegable", "umLabel",
                                               "umRight"};
/* umApplication is caseIgnore, umDelegable boolean; labels and rights
 * are caseExact (schema/um.schema). */
static const int cat_exact[A_COUNT] = {0, 0, 1, 1};

struct strs {
	char **v;
	size_t n, cap;
};

static int strs_add(struct strs *s, const char *text)
{
	char **v;

	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap ? s->cap * 2 : 8) * sizeof(*v));
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = s->cap ? s->cap * 2 : 8;
	}
	if ((s->v[s->n] = strdup(text)) == NULL)
		return -1;
	s->n++;
	return 0;
}

static void strs_clear(struct strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_exact(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_ci(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int strs_same(struct strs *a, struct strs *b, int exact)
{
	int (*cmp)(const void *, const void *) = exact ? cmp_exact : cmp_ci;
	size_t i;

	if (a->n != b->n)
		return 0;
	qsort(a->v, a->n, sizeof(*a->v), cmp);
	qsort(b->v, b->n, sizeof(*b->v), cmp);
	for (i = 0; i < a->n; i++)
		if (cmp(&a->v[i], &b->v[i]) != 0)
			return 0;
	return 1;
}

/* What rights.yaml says the entry of app holds. */
static int catalog_desired(struct strs want[A_COUNT], const rights_app *app)
{
	static const rights_lang langs[] = {RIGHTS_LANG_NL, RIGHTS_LANG_FR, RIGHTS_LANG_DE,
	                                    RIGHTS_LANG_EN};
	const rights_dim *dim;
	char buf[1024];
	size_t i, j;

	if (strs_add(&want[A_APP], app_id(app)) != 0 ||
	    strs_add(&want[A_DELEGABLE], app_delegable(app) ? "TRUE" : "FALSE") != 0)
		return -1;
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		snprintf(buf, sizeof(buf), "%s:%s", lang_code(langs[i]), app_label(app, langs[i]));
		if (strs_add(&want[A_LABEL], buf) != 0)
			return -1;
	}
	/* dynamic dimensions (billing, contract) are each organisation's own */
	for (i = 0; i < app_dim_count(app); i++) {
		dim = app_dim_at(app, i);
		for (j = 0; j < dim_value_count(dim); j++) {
			snprintf(buf, sizeof(buf), "%s:%s", dim_id(dim),
			         value_id(dim_value_at(dim, j)));
			if (strs_add(&want[A_RIGHT], buf) != 0)
				return -1;
		}
	}
	return 0;
}

static int entry_values(struct strs *out, LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	char *s;
	size_t i;
	int rc = 0;

	for (i = 0; vals != NULL && vals[i] != NULL && rc == 0; i++) {
		s = strndup(vals[i]->bv_val, vals[i]->bv_len);
		rc = s ? strs_add(out, s) : -1;
		free(s);
	}
	ldap_value_free_len(vals);
	return rc;
}

static int catalog_app_changes(struct changeset *cs, const struct config *conf,
                               const rights_app *app, LDAP *ld, LDAPMessage *cur)
{
	struct strs want[A_COUNT], have;
	char dn[1024];
	const char *oc[] = {"umCatalogEntry"}, *cn[1];
	LDAPMod **mods = NULL;
	size_t a;
	int rc = -1;

	memset(want, 0, sizeof(want));
	memset(&have, 0, sizeof(have));
	snprintf(dn, sizeof(dn), "cn=%s,%s", app_id(app), conf->apps_dn);
	cn[0] = app_id(app);
	if (catalog_desired(want, app) != 0)
		goto cleanup;
	if (cur == NULL && (mods_append(&mods, LDAP_MOD_ADD, "objectClass", oc, 1) != 0 ||
	                    mods_append(&mods, LDAP_MOD_ADD, "cn", cn, 1) != 0))
		goto cleanup;
	for (a = 0; a < A_COUNT; a++) {
		strs_clear(&have);
		if (cur != NULL && entry_values(&have, ld, cur, cat_attrs[a]) != 0)
			goto cleanup;
		if (cur != NULL && strs_same(&have, &want[a], cat_exact[a]))
			continue;
		if (want[a].n == 0 && cur == NULL)
			continue;
		if (mods_append(&mods, cur ? LDAP_MOD_REPLACE : LDAP_MOD_ADD, cat_attrs[a],
		                (const char *const *)want[a].v, want[a].n) != 0)
			goto cleanup;
	}
	rc = 0;
	if (mods != NULL) {
		rc = changeset_add_mods(cs, cur ? CH_ENTRY_MODIFY : CH_ENTRY_ADD, dn, mods);
		mods = NULL;
	}
cleanup:
	mods_release(mods);
	for (a = 0; a < A_COUNT; a++)
		strs_clear(&want[a]);
	strs_clear(&have);
	return rc;
}

/* The current entry named cn=<app>, or NULL. */
static LDAPMessage *catalog_find(LDAP *ld, LDAPMessage *res, const char *app)
{
	LDAPMessage *e;
	struct berval **cn;
	int found;

	for (e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
		cn = ldap_get_values_len(ld, e, "cn");
		found = cn && cn[0] && strlen(app) == cn[0]->bv_len &&
		        strncasecmp(cn[0]->bv_val, app, cn[0]->bv_len) == 0;
		ldap_value_free_len(cn);
		if (found)
			return e;
	}
	return NULL;
}

int catalog_sync(LDAP *ld, const struct config *conf)
{
	char *attrs[] = {"cn", "umApplication", "umDelegable", "umLabel", "umRight", NULL};
	struct changeset cs;
	LDAPMessage *res = NULL, *e;
	struct berval **cn;
	rights_str id;
	char *dn = NULL;
	size_t i;
	int rc;

	changeset_init(&cs);
	rc = ldapconn_search(&res, ld, conf, conf->apps_dn, LDAP_SCOPE_ONELEVEL,
	                     "(objectClass=umCatalogEntry)", attrs);
	if (rc != LDAP_SUCCESS) {
		log_warnx("reading %s: %s", conf->apps_dn, ldap_err2string(rc));
		goto cleanup;
	}
	rc = LDAP_NO_MEMORY;
	for (i = 0; i < catalog_app_count(conf->cat); i++)
		if (catalog_app_changes(
		            &cs, conf, catalog_app_at(conf->cat, i), ld,
		            catalog_find(ld, res, app_id(catalog_app_at(conf->cat, i)))) != 0)
			goto cleanup;
	for (e = ldap_first_entry(ld, res); e != NULL; e = ldap_next_entry(ld, e)) {
		cn = ldap_get_values_len(ld, e, "cn");
		id.ptr = cn && cn[0] ? cn[0]->bv_val : "";
		id.len = cn && cn[0] ? cn[0]->bv_len : 0;
		if (catalog_app(conf->cat, id) == NULL) {
			dn = ldap_get_dn(ld, e);
			if (dn == NULL ||
			    changeset_add(&cs, CH_ENTRY_DEL, dn, NULL, NULL, 0, 1) != 0) {
				ldap_memfree(dn);
				ldap_value_free_len(cn);
				goto cleanup;
			}
			ldap_memfree(dn);
		}
		ldap_value_free_len(cn);
	}
	if (cs.n == 0) {
		log_debug("catalogue: %s is up to date", conf->apps_dn);
		rc = LDAP_SUCCESS;
		goto cleanup;
	}
	log_info("catalogue: %zu entr%s of %s to write", cs.n, cs.n == 1 ? "y" : "ies",
	         conf->apps_dn);
	rc = changeset_apply(&cs, ld, conf);
cleanup:
	changeset_trash(&cs);
	ldap_msgfree(res);
	return rc;
}
