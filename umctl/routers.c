/*
 * Routers (§2.3.1 Sous-traitants): the router list every user reads, the
 * delegations an organisation gives them (DESIGN rule 8), and the
 * operators' screens that set organisations up (§2.1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "umctl.h"

/* RFC 4517 postalAddress: lines separated by '$', shown as the manual's
 * list does ("OUDE KURINGERBAAN 59, 3500 HASSELT"). Takes addr. */
static char *postal_lines(char *addr)
{
	char *out, *o;
	const char *p;

	if (addr == NULL || (out = malloc(strlen(addr) * 2 + 1)) == NULL)
		return addr;
	for (p = addr, o = out; *p; p++) {
		if (*p != '$') {
			*o++ = *p;
			continue;
		}
		while (o > out && o[-1] == ' ')
			o--;
		*o++ = ',';
		*o++ = ' ';
		while (p[1] == ' ')
			p++;
	}
	*o = '\0';
	free(addr);
	return out;
}

int cmd_routers(struct um *um, int argc, char **argv)
{
	char *attrs[] = {"o", "displayName", "postalAddress", NULL}, *base = NULL;
	const char *keys[] = {"router", "name", "address"}, *heads[3], *row[3];
	LDAPMessage *res = NULL, *e;
	struct table t;
	char *o, *name, *addr;
	int rc;

	if (argc > 0)
		return um_usage("routers: unexpected %s", argv[0]);
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	if (asprintf(&base, "ou=organizations,%s", um->suffix) < 0)
		return UM_EXIT_USAGE;
	rc = ldap_search_ext_s(um->ld, base, LDAP_SCOPE_ONELEVEL, "(umOrgKind=router)", attrs, 0,
	                       NULL, NULL, NULL, 0, &res);
	free(base);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return um_ldap_result(um, rc);
	}
	heads[0] = um_t(um, T_ROUTER);
	heads[1] = um_t(um, T_NAME);
	heads[2] = um_t(um, T_ADDRESS);
	table_init(&t, 3, keys, heads);
	for (e = ldap_first_entry(um->ld, res); e != NULL; e = ldap_next_entry(um->ld, e)) {
		o = um_value(um->ld, e, "o");
		name = um_value(um->ld, e, "displayName");
		addr = postal_lines(um_value(um->ld, e, "postalAddress"));
		row[0] = o;
		row[1] = name;
		row[2] = addr;
		table_row(&t, row);
		free(o);
		free(name);
		free(addr);
	}
	ldap_msgfree(res);
	table_print(um, &t);
	table_free(&t);
	return UM_EXIT_OK;
}

int cmd_delegate(struct um *um, int argc, char **argv)
{
	char *cn = NULL, *router_dn = NULL;
	char *org = NULL, *dn = NULL, **values = NULL, *esc = NULL;
	const struct capp *app;
	const char *why;
	struct ucat cat;
	LDAPMod m[1], *mods[2];
	int i, rc;

	memset(&cat, 0, sizeof(cat));
	if (argc < 3)
		return um_usage("delegate ROUTER APP VALUE...");
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	if (um->org == NULL)
		return um_usage("no organisation: bind as a portal user or give --org ORG");
	if ((rc = ucat_load(&cat, um)) != UM_EXIT_OK)
		return rc;
	rc = UM_EXIT_USAGE;
	if ((app = ucat_app(&cat, argv[1])) == NULL) {
		rc = um_usage("no application %s in the catalogue", argv[1]);
		goto cleanup;
	}
	values = calloc((size_t)argc, sizeof(*values));
	for (i = 2; values != NULL && i < argc; i++)
		if ((values[i - 2] = ucat_resolve(app, argv[i], &why)) == NULL) {
			rc = um_usage("%s: %s: %s", app->id, argv[i], why);
			goto cleanup;
		}
	org = um_org_dn(um, um->org);
	router_dn = um_org_dn(um, argv[0]);
	if (values == NULL || org == NULL || router_dn == NULL ||
	    asprintf(&cn, "%s@%s", app->id, argv[0]) < 0)
		goto cleanup;
	{
		rights_str s = {cn, strlen(cn)};
		size_t need = dn_value_escape(NULL, 0, s) + 1;

		if ((esc = malloc(need)) == NULL)
			goto cleanup;
		dn_value_escape(esc, need, s);
	}
	if (asprintf(&dn, "cn=%s,ou=delegations,%s", esc, org) < 0) {
		dn = NULL;
		goto cleanup;
	}
	m[0] = (LDAPMod){LDAP_MOD_ADD, "umRight", {values}};
	mods[0] = &m[0];
	mods[1] = NULL;
	rc = ldap_modify_ext_s(um->ld, dn, mods, NULL, NULL);
	if (rc == LDAP_NO_SUCH_OBJECT) { /* the first rights given to that router */
		rc = um_holding_add(um, dn, "umDelegation", cn, app->id, "umDelegate", router_dn,
		                    values);
	}
	rc = um_ldap_result(um, rc);
	if (rc == UM_EXIT_OK)
		printf("%s\n", um_t(um, T_DONE));
cleanup:
	um_strv_free(values);
	free(cn);
	free(router_dn);
	free(org);
	free(esc);
	free(dn);
	ucat_free(&cat);
	return rc;
}

int cmd_delegations(struct um *um, int argc, char **argv)
{
	char *attrs[] = {"umApplication", "umDelegate", "umRight", NULL};
	const char *keys[] = {"application", "router", "right", "label"}, *heads[4], *row[4], *dl;
	LDAPMessage *res = NULL, *e;
	const struct capp *ca;
	struct ucat cat;
	struct table t;
	char *org = NULL, *base = NULL, *app, *router, *rid, **vals, *named;
	size_t i;
	int rc;

	if (argc > 0)
		return um_usage("delegations: unexpected %s", argv[0]);
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	if (um->org == NULL)
		return um_usage("no organisation: bind as a portal user or give --org ORG");
	if ((rc = ucat_load(&cat, um)) != UM_EXIT_OK)
		return rc;
	org = um_org_dn(um, um->org);
	if (org == NULL || asprintf(&base, "ou=delegations,%s", org) < 0) {
		free(org);
		ucat_free(&cat);
		return UM_EXIT_USAGE;
	}
	rc = ldap_search_ext_s(um->ld, base, LDAP_SCOPE_ONELEVEL, "(objectClass=umDelegation)",
	                       attrs, 0, NULL, NULL, NULL, 0, &res);
	free(base);
	free(org);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		ucat_free(&cat);
		return um_ldap_result(um, rc);
	}
	heads[0] = um_t(um, T_APPLICATION);
	heads[1] = um_t(um, T_ROUTER);
	heads[2] = um_t(um, T_VALUE);
	heads[3] = um_t(um, T_LABEL);
	table_init(&t, 4, keys, heads);
	for (e = ldap_first_entry(um->ld, res); e != NULL; e = ldap_next_entry(um->ld, e)) {
		app = um_value(um->ld, e, "umApplication");
		router = um_value(um->ld, e, "umDelegate");
		rid = um_dn_first_value(router);
		ca = app ? ucat_app(&cat, app) : NULL;
		vals = um_values(um->ld, e, "umRight");
		for (i = 0; vals != NULL && vals[i] != NULL; i++) {
			row[0] = um->json ? app : ca ? ucat_label(um, ca->label, ca->id) : app;
			row[1] = rid;
			row[2] = vals[i];
			named = um_resource_name(um, ca, um->org, vals[i]);
			row[3] = named ? named : ucat_right_label(um, ca, vals[i], &dl);
			table_row(&t, row);
			free(named);
		}
		um_strv_free(vals);
		free(app);
		free(router);
		free(rid);
	}
	ldap_msgfree(res);
	table_print(um, &t);
	table_free(&t);
	ucat_free(&cat);
	return UM_EXIT_OK;
}
