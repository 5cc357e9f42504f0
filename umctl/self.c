/*
 * The bound user's own screens: whoami and Mes comptes (§1.3), password
 * change (§3.2), forgotten password or username and the reset (§3.3).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "umctl.h"

/* slapo-delegate's forgotten password/username operation (§3.3) */
#define UM_OID_RECOVERY "2.25.217361807927623635844219787451286708447.3.1"

static int no_args(int argc, char **argv)
{
	if (argc > 0)
		return um_usage("unexpected argument %s", argv[0]);
	return UM_EXIT_OK;
}

static char *org_name(struct um *um, const char *org, char **kind)
{
	char *attrs[] = {"displayName", "o", "umOrgKind", NULL};
	char *dn = um_org_dn(um, org), *name = NULL;
	LDAPMessage *res = NULL, *e;

	if (kind != NULL)
		*kind = NULL;
	if (dn != NULL &&
	    ldap_search_ext_s(um->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
	                      NULL, 0, &res) == LDAP_SUCCESS &&
	    (e = ldap_first_entry(um->ld, res)) != NULL) {
		name = um_value(um->ld, e, "displayName");
		if (kind != NULL)
			*kind = um_value(um->ld, e, "umOrgKind");
	}
	ldap_msgfree(res);
	free(dn);
	return name ? name : strdup(org);
}

int cmd_whoami(struct um *um, int argc, char **argv)
{
	char *attrs[] = {"uid", "cn", "mail", "umManage", "umStatus", "preferredLanguage", NULL};
	const char *keys[] = {"field", "value"}, *heads[2], *row[2];
	LDAPMessage *res = NULL, *e;
	struct table t;
	struct ucat cat;
	char **manage = NULL, *orgname = NULL, *cn = NULL, *mail = NULL;
	rights_str *m = NULL;
	size_t i, n;
	int rc;

	memset(&cat, 0, sizeof(cat));
	if ((rc = no_args(argc, argv)) != UM_EXIT_OK || (rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	if (um->uid == NULL) {
		if (um->json) {
			fputs("{\"dn\": ", stdout);
			json_str(um->binddn);
			fputs(", \"operator\": true}\n", stdout);
		} else {
			printf("%s (operator)\n", um->binddn);
		}
		return UM_EXIT_OK;
	}
	rc = ldap_search_ext_s(um->ld, um->binddn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
	                       NULL, NULL, NULL, 0, &res);
	if (rc != LDAP_SUCCESS || (e = ldap_first_entry(um->ld, res)) == NULL) {
		ldap_msgfree(res);
		return um_ldap_result(um, rc ? rc : LDAP_NO_SUCH_OBJECT);
	}
	manage = um_values(um->ld, e, "umManage");
	cn = um_value(um->ld, e, "cn");
	mail = um_value(um->ld, e, "mail");
	ldap_msgfree(res);
	orgname = org_name(um, um->org, NULL);
	n = um_strv_len(manage);
	m = calloc(n + 1, sizeof(*m));
	for (i = 0; m != NULL && i < n; i++)
		m[i] = (rights_str){manage[i], strlen(manage[i])};
	if ((rc = ucat_load(&cat, um)) != UM_EXIT_OK)
		goto cleanup;
	if (um->json) {
		fputs("{\"dn\": ", stdout);
		json_str(um->binddn);
		fputs(", \"username\": ", stdout);
		json_str(um->uid);
		fputs(", \"name\": ", stdout);
		json_str(cn);
		fputs(", \"mail\": ", stdout);
		json_str(mail);
		fputs(", \"organisation\": ", stdout);
		json_str(um->org);
		fputs(", \"organisation_name\": ", stdout);
		json_str(orgname);
		printf(", \"administrator\": %s, \"language\": ",
		       user_is_admin(m, n) ? "true" : "false");
		json_str(lang_code(um->lang));
		fputs(", \"management\": [", stdout);
		for (i = 0; i < n; i++) {
			fputs(i ? ", " : "", stdout);
			json_str(manage[i]);
		}
		fputs("]}\n", stdout);
		goto cleanup;
	}
	heads[0] = "";
	heads[1] = "";
	table_init(&t, 2, keys, heads);
	row[0] = um_t(um, T_USERNAME);
	row[1] = um->uid;
	table_row(&t, row);
	row[0] = um_t(um, T_NAME);
	row[1] = cn;
	table_row(&t, row);
	row[0] = um_t(um, T_MAIL);
	row[1] = mail;
	table_row(&t, row);
	row[0] = um_t(um, T_ORGANISATION);
	row[1] = orgname;
	table_row(&t, row);
	row[0] = um_t(um, T_ADMIN);
	row[1] = um_t(um, user_is_admin(m, n) ? T_YES : T_NO);
	table_row(&t, row);
	row[0] = um_t(um, T_LANGUAGE);
	row[1] = lang_code(um->lang);
	table_row(&t, row);
	for (i = 0; i < n; i++) {
		row[0] = i == 0 ? um_t(um, T_MANAGEMENT) : "";
		row[1] = ucat_manage_label(um, &cat, manage[i]);
		table_row(&t, row);
	}
	table_print(um, &t);
	table_free(&t);
cleanup:
	ucat_free(&cat);
	free(m);
	um_strv_free(manage);
	free(cn);
	free(mail);
	free(orgname);
	return rc;
}

/* RFC 3062 Password Modify; a generated password is not asked for, but
 * libldap wants somewhere to put one. */
static int passwd_op(struct um *um, struct berval *user, struct berval *oldpw, struct berval *newpw)
{
	struct berval generated = {0, NULL};
	int rc = ldap_passwd_s(um->ld, user, oldpw, newpw, &generated, NULL, NULL);

	ber_memfree(generated.bv_val);
	return rc;
}

/* New password and its confirmation, from the terminal (never argv). */
static int ask_new_password(struct um *um, char **out)
{
	char *pw = NULL, *again = NULL;

	*out = NULL;
	if ((pw = um_prompt(um_t(um, T_P_NEW), 1)) == NULL ||
	    (again = um_prompt(um_t(um, T_P_CONFIRM), 1)) == NULL) {
		um_secret_free(pw);
		return UM_EXIT_USAGE;
	}
	if (strcmp(pw, again) != 0) {
		um_secret_free(pw);
		um_secret_free(again);
		return um_usage("%s", um_t(um, T_MISMATCH));
	}
	um_secret_free(again);
	*out = pw;
	return UM_EXIT_OK;
}

int cmd_passwd(struct um *um, int argc, char **argv)
{
	struct berval user, oldpw, newpw;
	char *current = NULL, *fresh = NULL;
	int rc;

	if ((rc = no_args(argc, argv)) != UM_EXIT_OK)
		return rc;
	if (um->password_file == NULL && (current = um_prompt(um_t(um, T_P_CURRENT), 1)) == NULL)
		return UM_EXIT_USAGE;
	if ((rc = um_connect(um, &current)) != UM_EXIT_OK)
		goto cleanup;
	if ((rc = ask_new_password(um, &fresh)) != UM_EXIT_OK)
		goto cleanup;
	user = (struct berval){strlen(um->binddn), um->binddn};
	oldpw = (struct berval){strlen(current), current};
	newpw = (struct berval){strlen(fresh), fresh};
	/* RFC 3062 with the current password (pwdSafeModify, §3.2); the
	 * quality check is the server's, in the user's language */
	rc = um_ldap_result(um, passwd_op(um, &user, &oldpw, &newpw));
	if (rc == UM_EXIT_OK)
		printf("%s\n", um_t(um, T_PASSWORD_CHANGED));
cleanup:
	um_secret_free(current);
	um_secret_free(fresh);
	return rc;
}

int cmd_forgot(struct um *um, int argc, char **argv)
{
	const char *user, *mail;
	struct berval value, *data = NULL;
	char *text = NULL, *retoid = NULL;
	int bad = 0, rc;

	user = um_flag(&argc, argv, "--user", &bad);
	mail = um_flag(&argc, argv, "--mail", &bad);
	if (bad || (user == NULL) == (mail == NULL) || argc > 0)
		return um_usage("forgot --user USERNAME | --mail ADDRESS");
	if ((rc = um_connect_anonymous(um)) != UM_EXIT_OK)
		return rc;
	/* "<name>\n<answer>\n<language>": the mail comes in LANG's language */
	if (asprintf(&text, "%s\n\n%s", user ? user : mail, lang_code(um->lang)) < 0)
		return UM_EXIT_USAGE;
	value = (struct berval){strlen(text), text};
	rc = um_ldap_result(um, ldap_extended_operation_s(um->ld, UM_OID_RECOVERY, &value, NULL,
	                                                  NULL, &retoid, &data));
	if (rc == UM_EXIT_OK)
		printf("%s\n", um_t(um, T_FORGOT_SENT));
	ber_bvfree(data);
	ldap_memfree(retoid);
	free(text);
	return rc;
}

int cmd_reset(struct um *um, int argc, char **argv)
{
	const char *token, *dn;
	struct berval user, oldpw, newpw;
	char *fresh = NULL;
	int bad = 0, rc;

	token = um_flag(&argc, argv, "--token", &bad);
	dn = um_flag(&argc, argv, "--dn", &bad);
	if (dn == NULL)
		dn = um->binddn;
	if (bad || token == NULL || dn == NULL || argc > 0)
		return um_usage("reset --token TOKEN [--dn USER-DN] (or UM_BINDDN)");
	if ((rc = um_connect_anonymous(um)) != UM_EXIT_OK)
		return rc;
	if ((rc = ask_new_password(um, &fresh)) != UM_EXIT_OK)
		return rc;
	/* the token stands for the old password, anonymously (§3.3) */
	user = (struct berval){strlen(dn), (char *)dn};
	oldpw = (struct berval){strlen(token), (char *)token};
	newpw = (struct berval){strlen(fresh), fresh};
	rc = um_ldap_result(um, passwd_op(um, &user, &oldpw, &newpw));
	if (rc == UM_EXIT_OK)
		printf("%s\n", um_t(um, T_PASSWORD_CHANGED));
	um_secret_free(fresh);
	return rc;
}

/* One row of Mes comptes per organisation: its applications, joined. */
struct accounts {
	char **scopes;
	char **apps;
	size_t n, cap;
};

static int accounts_add(struct accounts *a, const char *scope, const char *label)
{
	char *joined = NULL, *p;
	size_t i, l;

	for (i = 0; i < a->n && strcasecmp(a->scopes[i], scope) != 0; i++)
		;
	if (i == a->n) {
		if (a->n + 1 >= a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 8;
			char **s = realloc(a->scopes, cap * sizeof(*s)), **ap;

			if (s == NULL)
				return -1;
			a->scopes = s;
			if ((ap = realloc(a->apps, cap * sizeof(*ap))) == NULL)
				return -1;
			a->apps = ap;
			a->cap = cap;
		}
		a->scopes[a->n] = strdup(scope);
		a->apps[a->n] = strdup("");
		a->n++;
		a->scopes[a->n] = NULL;
		a->apps[a->n] = NULL;
		if (a->scopes[i] == NULL || a->apps[i] == NULL)
			return -1;
	}
	if (label == NULL)
		return 0;
	/* once per organisation, whether granted or delegated */
	l = strlen(label);
	for (p = a->apps[i]; (p = strstr(p, label)) != NULL; p += l)
		if ((p == a->apps[i] || p[-1] == ' ') && (p[l] == '\0' || p[l] == ','))
			return 0;
	if (asprintf(&joined, "%s%s%s", a->apps[i], *a->apps[i] ? ", " : "", label) < 0)
		return -1;
	free(a->apps[i]);
	a->apps[i] = joined;
	return 0;
}

/* The application entries res holds (grants or delegations) into a:
 * scope from umScope, else from the DN (cn=app@R,ou=delegations,o=X). */
static void accounts_collect(struct um *um, const struct ucat *cat, struct accounts *a,
                             LDAPMessage *res)
{
	LDAPMessage *e;
	const struct capp *ca;
	char *app, *scope, *dn;
	LDAPDN parsed = NULL;

	for (e = ldap_first_entry(um->ld, res); e != NULL; e = ldap_next_entry(um->ld, e)) {
		app = um_value(um->ld, e, "umApplication");
		scope = um_value(um->ld, e, "umScope");
		if (scope == NULL && (dn = ldap_get_dn(um->ld, e)) != NULL) {
			if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
			    parsed[0] && parsed[1] && parsed[2])
				scope = strndup(parsed[2][0]->la_value.bv_val,
				                parsed[2][0]->la_value.bv_len);
			ldap_dnfree(parsed);
			parsed = NULL;
			ldap_memfree(dn);
		}
		if (scope != NULL && app != NULL) {
			ca = ucat_app(cat, app);
			accounts_add(a, scope, ca ? ucat_label(um, ca->label, ca->id) : app);
		}
		free(app);
		free(scope);
	}
}

/* §1.3 Mes comptes: the organisation of the user and those its grants
 * are on (a router's users work for the customers that delegate); an
 * administrator of a router also holds what customers delegate to it
 * (DESIGN rule 3), so those customers are its accounts too. */
int cmd_accounts(struct um *um, int argc, char **argv)
{
	char *attrs[] = {"umApplication", "umScope", NULL}, *self[] = {"umManage", NULL};
	const char *keys[] = {"organisation", "name", "kind", "applications"}, *heads[4], *row[4];
	LDAPMessage *res = NULL, *mine = NULL, *e;
	struct accounts a;
	struct table t;
	struct ucat cat;
	char **manage = NULL, *name, *kind = NULL, *filter = NULL, *base = NULL, *orgdn = NULL;
	char *esc = NULL;
	rights_str *m = NULL;
	size_t i, nm;
	int rc;

	memset(&cat, 0, sizeof(cat));
	memset(&a, 0, sizeof(a));
	if ((rc = no_args(argc, argv)) != UM_EXIT_OK || (rc = um_connect(um, NULL)) != UM_EXIT_OK)
		return rc;
	if (um->uid == NULL)
		return um_usage("accounts: for portal users");
	if ((rc = ucat_load(&cat, um)) != UM_EXIT_OK)
		return rc;
	rc = ldap_search_ext_s(um->ld, um->binddn, LDAP_SCOPE_ONELEVEL, "(objectClass=umGrant)",
	                       attrs, 0, NULL, NULL, NULL, 0, &res);
	if (rc != LDAP_SUCCESS) {
		rc = um_ldap_result(um, rc);
		goto cleanup;
	}
	rc = UM_EXIT_USAGE;
	if (accounts_add(&a, um->org, NULL) != 0)
		goto cleanup;
	accounts_collect(um, &cat, &a, res);
	ldap_msgfree(res);
	res = NULL;
	/* a router's administrator: the delegations made to its router */
	name = org_name(um, um->org, &kind);
	free(name);
	if (kind != NULL && strcmp(kind, "router") == 0 &&
	    ldap_search_ext_s(um->ld, um->binddn, LDAP_SCOPE_BASE, "(objectClass=*)", self, 0, NULL,
	                      NULL, NULL, 0, &mine) == LDAP_SUCCESS &&
	    (e = ldap_first_entry(um->ld, mine)) != NULL) {
		manage = um_values(um->ld, e, "umManage");
		nm = um_strv_len(manage);
		m = calloc(nm + 1, sizeof(*m));
		for (i = 0; m != NULL && i < nm; i++)
			m[i] = (rights_str){manage[i], strlen(manage[i])};
		orgdn = um_org_dn(um, um->org);
		if (m != NULL && user_is_admin(m, nm) && orgdn != NULL) {
			struct berval in = {strlen(orgdn), orgdn}, out = {0, NULL};

			/* RFC 4515 escaping of the DN as a filter value */
			if (ldap_bv2escaped_filter_value(&in, &out) != 0)
				goto cleanup;
			esc = out.bv_val;
			if (asprintf(&filter, "(&(objectClass=umDelegation)(umDelegate=%s))", esc) <
			            0 ||
			    asprintf(&base, "ou=organizations,%s", um->suffix) < 0)
				goto cleanup;
			/* readable to the router's users only (DESIGN §3 Reads) */
			if (ldap_search_ext_s(um->ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
			                      NULL, NULL, NULL, 0, &res) == LDAP_SUCCESS)
				accounts_collect(um, &cat, &a, res);
		}
	}
	heads[0] = um_t(um, T_ORGANISATION);
	heads[1] = um_t(um, T_NAME);
	heads[2] = um_t(um, T_KIND);
	heads[3] = um_t(um, T_APPLICATION);
	table_init(&t, 4, keys, heads);
	for (i = 0; i < a.n; i++) {
		char *k = NULL;

		/* a customer's name: readable through the grant or delegation */
		name = org_name(um, a.scopes[i], &k);
		row[0] = a.scopes[i];
		row[1] = name;
		row[2] = k ? k : "";
		row[3] = a.apps[i];
		table_row(&t, row);
		free(name);
		free(k);
	}
	table_print(um, &t);
	table_free(&t);
	rc = UM_EXIT_OK;
cleanup:
	ldap_msgfree(res);
	ldap_msgfree(mine);
	um_strv_free(a.scopes);
	um_strv_free(a.apps);
	um_strv_free(manage);
	ucat_free(&cat);
	free(m);
	free(kind);
	free(filter);
	free(base);
	free(orgdn);
	ber_memfree(esc);
	return rc;
}
