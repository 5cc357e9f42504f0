/*
 * Names of the tree (DESIGN §2) and small helpers over libldap's values.
 * Every value put into a DN is escaped by lib's dn_value_escape (RFC 4514).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "umctl.h"

static char *escaped(const char *value)
{
	rights_str v = {value, strlen(value)};
	size_t need = dn_value_escape(NULL, 0, v) + 1;
	char *out = malloc(need);

	if (out != NULL)
		dn_value_escape(out, need, v);
	return out;
}

char *um_org_dn(const struct um *um, const char *org)
{
	char *e = escaped(org), *out = NULL;

	if (e != NULL && asprintf(&out, "o=%s,ou=organizations,%s", e, um->suffix) < 0)
		out = NULL;
	free(e);
	return out;
}

char *um_user_dn(const struct um *um, const char *org, const char *uid)
{
	char *e = escaped(uid), *o = um_org_dn(um, org), *out = NULL;

	if (e != NULL && o != NULL && asprintf(&out, "uid=%s,ou=users,%s", e, o) < 0)
		out = NULL;
	free(e);
	free(o);
	return out;
}

char *um_grant_dn(const char *user_dn, const char *app, const char *scope)
{
	char *name = NULL, *e = NULL, *out = NULL;

	if (asprintf(&name, "%s@%s", app, scope) < 0)
		return NULL;
	e = escaped(name);
	if (e != NULL && asprintf(&out, "cn=%s,%s", e, user_dn) < 0)
		out = NULL;
	free(e);
	free(name);
	return out;
}

char *um_resource_dn(const struct um *um, const char *org, const char *source, const char *id)
{
	char *e = NULL, *o = NULL, *out = NULL;
	const char *fmt;

	/* DESIGN §2: ou=billing/umBillingId, ou=contracts/umContractId */
	if (strcmp(source, "billing") == 0)
		fmt = "umBillingId=%s,ou=billing,%s";
	else if (strcmp(source, "contract") == 0)
		fmt = "umContractId=%s,ou=contracts,%s";
	else
		return NULL;
	e = escaped(id);
	o = um_org_dn(um, org);
	if (e != NULL && o != NULL && asprintf(&out, fmt, e, o) < 0)
		out = NULL;
	free(e);
	free(o);
	return out;
}

char *um_dn_first_value(const char *dn)
{
	LDAPDN parsed = NULL;
	char *out = NULL;

	if (dn == NULL || ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return NULL;
	if (parsed != NULL && parsed[0] != NULL)
		out = strndup(parsed[0][0]->la_value.bv_val, parsed[0][0]->la_value.bv_len);
	ldap_dnfree(parsed);
	return out;
}

char **um_values(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	size_t n = 0, i;
	char **out;

	while (vals != NULL && vals[n] != NULL)
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (i = 0; out != NULL && i < n; i++)
		out[i] = strndup(vals[i]->bv_val, vals[i]->bv_len);
	ldap_value_free_len(vals);
	return out;
}

char *um_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **vals = ldap_get_values_len(ld, e, attr);
	char *out = NULL;

	if (vals != NULL && vals[0] != NULL)
		out = strndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return out;
}

void um_strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

size_t um_strv_len(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

int um_strv_has(char *const *v, const char *s)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}
