/*
 * Rights on applications (§2.3, §2.3.1-§2.3.6): shown with the
 * catalogue's labels, given and taken by id or label, what the
 * administrator may offer (the rest greyed out, §2.2.4 note ***), and
 * "Copier tous les droits". The overlay decides every write (DESIGN rule
 * 3: autant ou moins de droits); umctl only says what it asked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "umctl.h"

/* The grants under a user DN: umApplication, umScope, umRight. */
static int grants_read(LDAPMessage **res, struct um *um, const char *user_dn)
{
	char *attrs[] = {"umApplication", "umScope", "umRight", NULL};
	int rc;

	*res = NULL;
	rc = ldap_search_ext_s(um->ld, user_dn, LDAP_SCOPE_ONELEVEL, "(objectClass=umGrant)", attrs,
	                       0, NULL, NULL, NULL, 0, res);
	return um_ldap_result(um, rc);
}

/* The values of grant cn=app@scope under user_dn (NULL-terminated; an
 * empty list if none), *exists whether the entry is there. */
static char **grant_values(struct um *um, const char *user_dn, const char *app, const char *scope,
                           int *exists, int *rc)
{
	char *attrs[] = {"umRight", NULL};
	char *dn = um_grant_dn(user_dn, app, scope), **v = NULL;
	LDAPMessage *res = NULL, *e;
	int r;

	*exists = 0;
	*rc = UM_EXIT_OK;
	if (dn == NULL)
		return NULL;
	r = ldap_search_ext_s(um->ld, dn, LDAP_SCOPE_BASE, "(objectClass=umGrant)", attrs, 0, NULL,
	                      NULL, NULL, 0, &res);
	if (r == LDAP_SUCCESS && (e = ldap_first_entry(um->ld, res)) != NULL) {
		*exists = 1;
		v = um_values(um->ld, e, "umRight");
	} else if (r != LDAP_SUCCESS && r != LDAP_NO_SUCH_OBJECT) {
		*rc = um_ldap_result(um, r);
	}
	if (v == NULL && *rc == UM_EXIT_OK)
		v = calloc(1, sizeof(*v));
	ldap_msgfree(res);
	free(dn);
	return v;
}

char *um_resource_name(struct um *um, const struct capp *app, const char *org, const char *right)
{
	char *attrs[] = {"cn", NULL}, *dn = NULL, *name = NULL;
	const char *colon = strchr(right, ':');
	LDAPMessage *res = NULL, *e;
	size_t i, dl = colon ? (size_t)(colon - right) : 0;

	for (i = 0; app != NULL && colon != NULL && dn == NULL && i < app->nd; i++)
		if (app->d[i].source != NULL && strlen(app->d[i].id) == dl &&
		    strncmp(app->d[i].id, right, dl) == 0)
			dn = um_resource_dn(um, org, app->d[i].source, colon + 1);
	/* readable by whoever may read the grant (DESIGN §3 Reads); a name
	 * the reader may not see is shown as its id, never as an error */
	if (dn != NULL &&
	    ldap_search_ext_s(um->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
	                      NULL, 0, &res) == LDAP_SUCCESS &&
	    (e = ldap_first_entry(um->ld, res)) != NULL)
		name = um_value(um->ld, e, "cn");
	ldap_msgfree(res);
	free(dn);
	return name;
}

static int rights_show(struct um *um, struct ucat *cat, const char *uid, const char *appname)
{
	const char *keys[] = {"application", "scope", "dimension", "right", "label"};
	const char *heads[5], *row[5], *dl, *vl;
	char *named;
	const struct capp *want = NULL, *ca;
	LDAPMessage *res = NULL, *e;
	struct table t;
	char *dn = um_user_dn(um, um->org, uid), *app, *scope, **vals;
	size_t i;
	int rc;

	if (dn == NULL)
		return UM_EXIT_USAGE;
	if (appname != NULL && (want = ucat_app(cat, appname)) == NULL) {
		free(dn);
		return um_usage("no application %s in the catalogue", appname);
	}
	if ((rc = grants_read(&res, um, dn)) != UM_EXIT_OK) {
		free(dn);
		return rc;
	}
	free(dn);
	heads[0] = um_t(um, T_APPLICATION);
	heads[1] = um_t(um, T_SCOPE);
	heads[2] = um_t(um, T_DIMENSION);
	heads[3] = um_t(um, T_VALUE);
	heads[4] = um_t(um, T_LABEL);
	table_init(&t, 5, keys, heads);
	for (e = ldap_first_entry(um->ld, res); e != NULL; e = ldap_next_entry(um->ld, e)) {
		app = um_value(um->ld, e, "umApplication");
		scope = um_value(um->ld, e, "umScope");
		ca = app ? ucat_app(cat, app) : NULL;
		if (app != NULL && (want == NULL || ca == want)) {
			vals = um_values(um->ld, e, "umRight");
			for (i = 0; vals != NULL && vals[i] != NULL; i++) {
				vl = ucat_right_label(um, ca, vals[i], &dl);
				/* billing addresses and contracts: their entry's cn */
				named = scope ? um_resource_name(um, ca, scope, vals[i]) : NULL;
				row[0] = um->json ? app
				         : ca     ? ucat_label(um, ca->label, ca->id)
				                  : app;
				row[1] = scope;
				row[2] = dl ? dl : "";
				row[3] = vals[i];
				row[4] = named ? named : vl;
				table_row(&t, row);
				free(named);
			}
			um_strv_free(vals);
		}
		free(app);
		free(scope);
	}
	ldap_msgfree(res);
	table_print(um, &t);
	table_free(&t);
	return UM_EXIT_OK;
}

int um_holding_add(struct um *um, const char *dn, const char *oc, const char *cn, const char *app,
                   const char *owner_attr, const char *owner, char **values)
{
	char *ocv[] = {(char *)oc, NULL}, *cnv[] = {(char *)cn, NULL};
	char *appv[] = {(char *)app, NULL}, *ownerv[] = {(char *)owner, NULL};
	LDAPMod m[] = {{LDAP_MOD_ADD, "objectClass", {ocv}},
	               {LDAP_MOD_ADD, "cn", {cnv}},
	               {LDAP_MOD_ADD, "umApplication", {appv}},
	               {LDAP_MOD_ADD, (char *)owner_attr, {ownerv}},
	               {LDAP_MOD_ADD, "umRight", {values}}};
	LDAPMod *mods[] = {&m[0], &m[1], &m[2], &m[3], &m[4], NULL};

	return ldap_add_ext_s(um->ld, dn, mods, NULL, NULL);
}

/* Adds values to grant cn=app@scope under user_dn, creating it when
 * absent; removes them when `remove` (the grant goes with its last
 * value: a grant holds at least one, rule 4). */
static int grant_write(struct um *um, const char *user_dn, const char *app, const char *scope,
                       char **values, int remove)
{
	char *cn = NULL, *dn = um_grant_dn(user_dn, app, scope), **have = NULL;
	LDAPMod m[1], *mods[2];
	size_t i, left;
	int exists = 0, rc;

	if (dn == NULL)
		return UM_EXIT_USAGE;
	have = grant_values(um, user_dn, app, scope, &exists, &rc);
	if (rc != UM_EXIT_OK)
		goto cleanup;
	if (remove) {
		for (left = 0, i = 0; have != NULL && have[i] != NULL; i++)
			left += !um_strv_has(values, have[i]);
		if (exists && left == 0)
			rc = um_ldap_result(um, ldap_delete_ext_s(um->ld, dn, NULL, NULL));
		else {
			m[0] = (LDAPMod){LDAP_MOD_DELETE, "umRight", {values}};
			mods[0] = &m[0];
			mods[1] = NULL;
			rc = um_ldap_result(um, ldap_modify_ext_s(um->ld, dn, mods, NULL, NULL));
		}
	} else if (exists) {
		m[0] = (LDAPMod){LDAP_MOD_ADD, "umRight", {values}};
		mods[0] = &m[0];
		mods[1] = NULL;
		rc = um_ldap_result(um, ldap_modify_ext_s(um->ld, dn, mods, NULL, NULL));
	} else {
		if (asprintf(&cn, "%s@%s", app, scope) < 0) {
			rc = UM_EXIT_USAGE;
			goto cleanup;
		}
		rc = um_ldap_result(
		        um, um_holding_add(um, dn, "umGrant", cn, app, "umScope", scope, values));
	}
cleanup:
	free(cn);
	um_strv_free(have);
	free(dn);
	return rc;
}

/* VALUE... as ids or labels into umRight values (NULL-terminated). */
static char **resolve_all(const struct capp *app, int argc, char **argv)
{
	char **out = calloc((size_t)argc + 1, sizeof(*out));
	const char *why;
	int i;

	for (i = 0; out != NULL && i < argc; i++) {
		if ((out[i] = ucat_resolve(app, argv[i], &why)) == NULL) {
			um_usage("%s: %s: %s", app->id, argv[i], why);
			um_strv_free(out);
			return NULL;
		}
	}
	return out;
}

static int rights_change(struct um *um, struct ucat *cat, int argc, char **argv, int remove,
                         const char *scope)
{
	const struct capp *app;
	char *dn = NULL, **values = NULL;
	int rc;

	if (argc < 3)
		return um_usage("rights %s USER APP VALUE...", remove ? "revoke" : "grant");
	if ((app = ucat_app(cat, argv[1])) == NULL)
		return um_usage("no application %s in the catalogue", argv[1]);
	if ((values = resolve_all(app, argc - 2, argv + 2)) == NULL)
		return UM_EXIT_USAGE;
	dn = um_user_dn(um, um->org, argv[0]);
	rc = dn ? grant_write(um, dn, app->id, scope ? scope : um->org, values, remove)
	        : UM_EXIT_USAGE;
	if (rc == UM_EXIT_OK)
		printf("%s\n", um_t(um, T_DONE));
	free(dn);
	um_strv_free(values);
	return rc;
}

/* What the bound administrator may give on app: its own grant's values;
 * every other static value greyed out (§2.2.4 note ***, §2.3). */
static int rights_offer(struct um *um, struct ucat *cat, const char *appname)
{
	const char *keys[] = {"dimension", "right", "label", "offer"};
	const char *heads[4], *row[4];
	const struct capp *app;
	struct table t;
	char **held = NULL, *named;
	size_t d, v, i;
	int exists, rc;

	if ((app = ucat_app(cat, appname)) == NULL)
		return um_usage("no application %s in the catalogue", appname);
	if (um->uid == NULL)
		return um_usage("rights offer: for portal users");
	held = grant_values(um, um->binddn, app->id, um->org, &exists, &rc);
	if (rc != UM_EXIT_OK)
		return rc;
	heads[0] = um_t(um, T_DIMENSION);
	heads[1] = um_t(um, T_VALUE);
	heads[2] = um_t(um, T_LABEL);
	heads[3] = "";
	table_init(&t, 4, keys, heads);
	for (d = 0; d < app->nd; d++) {
		row[0] = ucat_label(um, app->d[d].label, app->d[d].id);
		for (v = 0; v < app->d[d].nv; v++) {
			row[1] = app->d[d].v[v].right;
			row[2] = ucat_label(um, app->d[d].v[v].label, app->d[d].v[v].id);
			if (um->json)
				row[3] = um_strv_has(held, row[1]) ? "held" : "greyed";
			else
				row[3] = um_t(um, um_strv_has(held, row[1]) ? T_HELD : T_GREYED);
			table_row(&t, row);
		}
		/* billing, contract: the organisation's own, as far as held */
		for (i = 0; held != NULL && held[i] != NULL && app->d[d].nv == 0; i++) {
			if (strncmp(held[i], app->d[d].id, strlen(app->d[d].id)) != 0 ||
			    held[i][strlen(app->d[d].id)] != ':')
				continue;
			named = um_resource_name(um, app, um->org, held[i]);
			row[1] = held[i];
			row[2] = named ? named : held[i] + strlen(app->d[d].id) + 1;
			row[3] = um->json ? "held" : um_t(um, T_HELD);
			table_row(&t, row);
			free(named);
		}
	}
	table_print(um, &t);
	table_free(&t);
	um_strv_free(held);
	return UM_EXIT_OK;
}

/* §2.3 "Copier tous les droits": adds what the administrator holds and
 * the user lacks, application by application; never removes anything. */
static int rights_copy_mine(struct um *um, struct ucat *cat, int argc, char **argv)
{
	const char *keys[] = {"application", "right", "label"}, *heads[3], *row[3], *dl;
	LDAPMessage *res = NULL, *e;
	struct table t;
	char *user = NULL, *app, *scope, **mine, **theirs, **add, *named;
	const struct capp *ca;
	size_t i, n;
	int a, exists, rc, wanted;

	if (argc < 1)
		return um_usage("rights copy-mine USER [APP...]");
	if (um->uid == NULL)
		return um_usage("rights copy-mine: for portal users");
	for (a = 1; a < argc; a++)
		if (ucat_app(cat, argv[a]) == NULL)
			return um_usage("no application %s in the catalogue", argv[a]);
	if ((user = um_user_dn(um, um->org, argv[0])) == NULL)
		return UM_EXIT_USAGE;
	if ((rc = grants_read(&res, um, um->binddn)) != UM_EXIT_OK)
		goto cleanup;
	heads[0] = um_t(um, T_APPLICATION);
	heads[1] = um_t(um, T_ADDED);
	heads[2] = um_t(um, T_LABEL);
	table_init(&t, 3, keys, heads);
	for (e = ldap_first_entry(um->ld, res); e != NULL && rc == UM_EXIT_OK;
	     e = ldap_next_entry(um->ld, e)) {
		app = um_value(um->ld, e, "umApplication");
		scope = um_value(um->ld, e, "umScope");
		ca = app ? ucat_app(cat, app) : NULL;
		wanted = argc == 1;
		for (a = 1; a < argc && ca != NULL; a++)
			wanted |= ucat_app(cat, argv[a]) == ca;
		/* the administrator's own organisation: what it may give there */
		if (app == NULL || scope == NULL || strcasecmp(scope, um->org) != 0 || !wanted) {
			free(app);
			free(scope);
			continue;
		}
		mine = um_values(um->ld, e, "umRight");
		theirs = grant_values(um, user, app, scope, &exists, &rc);
		add = calloc(um_strv_len(mine) + 1, sizeof(*add));
		for (n = 0, i = 0; rc == UM_EXIT_OK && add && mine && mine[i]; i++)
			if (!um_strv_has(theirs, mine[i]))
				add[n++] = mine[i];
		if (rc == UM_EXIT_OK && n > 0)
			rc = grant_write(um, user, app, scope, add, 0);
		for (i = 0; rc == UM_EXIT_OK && i < n; i++) {
			row[0] = um->json ? app : ca ? ucat_label(um, ca->label, ca->id) : app;
			row[1] = add[i];
			named = um_resource_name(um, ca, scope, add[i]);
			row[2] = named ? named : ucat_right_label(um, ca, add[i], &dl);
			table_row(&t, row);
			free(named);
		}
		free(add);
		um_strv_free(mine);
		um_strv_free(theirs);
		free(app);
		free(scope);
	}
	if (rc == UM_EXIT_OK) {
		if (t.nrows == 0 && !um->json)
			printf("%s\n", um_t(um, T_NOTHING_TO_ADD));
		else
			table_print(um, &t);
	}
	table_free(&t);
cleanup:
	ldap_msgfree(res);
	free(user);
	return rc;
}

int cmd_rights(struct um *um, int argc, char **argv)
{
	const char *scope;
	struct ucat cat;
	int bad = 0, rc;

	scope = um_flag(&argc, argv, "--scope", &bad);
	if (bad || argc < 2)
		return um_usage("rights show|grant|revoke|offer|copy-mine ... (umctl help)");
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	if (um->org == NULL)
		return um_usage("no organisation: bind as a portal user or give --org ORG");
	if ((rc = ucat_load(&cat, um)) != UM_EXIT_OK)
		return rc;
	if (um_is(argc, argv, "show") && argc <= 3)
		rc = rights_show(um, &cat, argv[1], argc == 3 ? argv[2] : NULL);
	else if (um_is(argc, argv, "grant"))
		rc = rights_change(um, &cat, argc - 1, argv + 1, 0, scope);
	else if (um_is(argc, argv, "revoke"))
		rc = rights_change(um, &cat, argc - 1, argv + 1, 1, scope);
	else if (um_is(argc, argv, "offer") && argc == 2)
		rc = rights_offer(um, &cat, argv[1]);
	else if (um_is(argc, argv, "copy-mine"))
		rc = rights_copy_mine(um, &cat, argc - 1, argv + 1);
	else
		rc = um_usage("rights show|grant|revoke|offer|copy-mine ... (umctl help)");
	ucat_free(&cat);
	return rc;
}
