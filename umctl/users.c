/*
 * Mes utilisateurs (§2.2.2), creating a user (§2.2.3, §2.2.4) and managing
 * one (§3.1: edit, deactivate, reactivate; never delete).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "umctl.h"

static int need_org(struct um *um)
{
	if (um->org == NULL)
		return um_usage("no organisation: bind as a portal user or give --org ORG");
	return UM_EXIT_OK;
}

static rights_str *strs_of(char **v, size_t *n)
{
	rights_str *out;
	size_t i;

	*n = um_strv_len(v);
	out = calloc(*n + 1, sizeof(*out));
	for (i = 0; out != NULL && i < *n; i++)
		out[i] = (rights_str){v[i], strlen(v[i])};
	return out;
}

int cmd_users(struct um *um, int argc, char **argv)
{
	char *attrs[] = {"uid", "cn", "mail", "umManage", "umStatus", "creatorsName", NULL};
	const char *keys[] = {"username", "name", "mail", "created_by", "administrator", "status"};
	const char *heads[6], *row[6];
	LDAPMessage *res = NULL, *e;
	struct table t;
	char *base = NULL, *org = NULL, *uid, *cn, *mail, *creator, *by, **manage, **status;
	rights_str *m, *s;
	size_t nm, ns;
	int deactivated, all, rc, active;

	deactivated = um_switch(&argc, argv, "--deactivated");
	all = um_switch(&argc, argv, "--all");
	if (argc > 0)
		return um_usage("users [--deactivated|--all]");
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK || (rc = need_org(um)) != UM_EXIT_OK)
		return rc;
	org = um_org_dn(um, um->org);
	if (org == NULL || asprintf(&base, "ou=users,%s", org) < 0) {
		free(org);
		return UM_EXIT_USAGE;
	}
	rc = ldap_search_ext_s(um->ld, base, LDAP_SCOPE_ONELEVEL, "(objectClass=umUser)", attrs, 0,
	                       NULL, NULL, NULL, 0, &res);
	free(base);
	free(org);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return um_ldap_result(um, rc);
	}
	heads[0] = um_t(um, T_USERNAME);
	heads[1] = um_t(um, T_NAME);
	heads[2] = um_t(um, T_MAIL);
	heads[3] = um_t(um, T_CREATED_BY);
	heads[4] = um_t(um, T_ADMIN);
	heads[5] = um_t(um, T_STATUS);
	table_init(&t, 6, keys, heads);
	for (e = ldap_first_entry(um->ld, res); e != NULL; e = ldap_next_entry(um->ld, e)) {
		manage = um_values(um->ld, e, "umManage");
		status = um_values(um->ld, e, "umStatus");
		m = strs_of(manage, &nm);
		s = strs_of(status, &ns);
		active = user_is_active(s, ns); /* lib: fail closed */
		if (all || active != deactivated) {
			uid = um_value(um->ld, e, "uid");
			cn = um_value(um->ld, e, "cn");
			mail = um_value(um->ld, e, "mail");
			creator = um_value(um->ld, e, "creatorsName");
			/* §2.2.2 "Créé par": the creator's username, not a DN */
			by = um_dn_first_value(creator);
			row[0] = uid;
			row[1] = cn;
			row[2] = mail;
			row[3] = by;
			row[4] = um_t(um, user_is_admin(m, nm) ? T_YES : T_NO);
			row[5] = um_t(um, active ? T_ACTIVE : T_DEACTIVATED);
			if (um->json) { /* scripts get ids, not words */
				row[4] = user_is_admin(m, nm) ? "yes" : "no";
				row[5] = active ? "active" : "deactivated";
			}
			table_row(&t, row);
			free(uid);
			free(cn);
			free(mail);
			free(creator);
			free(by);
		}
		free(m);
		free(s);
		um_strv_free(manage);
		um_strv_free(status);
	}
	ldap_msgfree(res);
	table_print(um, &t);
	table_free(&t);
	return UM_EXIT_OK;
}

/* ---- user create ------------------------------------------------------------------ */

struct field {
	const char *flag;
	const char *attr;
	um_text prompt;
};

static const struct field fields[] = {
        {"--uid", "uid", T_P_UID},
        {"--given-name", "givenName", T_P_GIVEN},
        {"--sn", "sn", T_P_SN},
        {"--mail", "mail", T_P_MAIL},
        {"--lang", "preferredLanguage", T_P_LANG},
        {"--gender", "umGender", T_P_GENDER},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static int mod_add(LDAPMod **mods, LDAPMod *store, size_t *n, int op, const char *attr,
                   char **values)
{
	store[*n].mod_op = op;
	store[*n].mod_type = (char *)attr;
	store[*n].mod_values = values;
	mods[*n] = &store[*n];
	(*n)++;
	mods[*n] = NULL;
	return 0;
}

int user_create(struct um *um, const char *org, int argc, char **argv, const char *const *manage)
{
	char *val[NFIELDS] = {NULL}, *cn = NULL, *pw = NULL, *again = NULL, *dn = NULL, *ans;
	char *oc[] = {"inetOrgPerson", "umUser", NULL}, *status[] = {"active", NULL};
	char *one[NFIELDS][2], *cnv[2], *pwv[2], **mv = NULL, prompt[1024];
	const char *flagged, *pwfile;
	LDAPMod *mods[NFIELDS + 8], store[NFIELDS + 8];
	struct ucat cat;
	size_t i, n = 0, nm = 0;
	int bad = 0, rc = UM_EXIT_USAGE, interactive;

	memset(&cat, 0, sizeof(cat));
	mv = calloc((size_t)argc + 8, sizeof(*mv));
	if (mv == NULL)
		return UM_EXIT_USAGE;
	for (i = 0; manage != NULL && manage[i] != NULL; i++)
		mv[nm++] = strdup(manage[i]);
	for (i = 0; i < NFIELDS; i++)
		if ((flagged = um_flag(&argc, argv, fields[i].flag, &bad)) != NULL)
			val[i] = strdup(flagged);
	pwfile = um_flag(&argc, argv, "--new-password-file", &bad);
	interactive = val[0] == NULL;
	while ((flagged = um_flag(&argc, argv, "--manage", &bad)) != NULL) {
		mv[nm++] = strdup(flagged);
		interactive = 0;
	}
	if (bad || argc > 0) {
		rc = um_usage("unexpected argument %s", argc > 0 ? argv[0] : "");
		goto cleanup;
	}
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK)
		goto cleanup;
	if (org == NULL && (rc = need_org(um)) != UM_EXIT_OK)
		goto cleanup;
	/* §2.2.3: every field, asked in the administrator's language */
	for (i = 0; i < NFIELDS; i++) {
		if (val[i] == NULL && (val[i] = um_prompt(um_t(um, fields[i].prompt), 0)) == NULL) {
			rc = UM_EXIT_USAGE;
			goto cleanup;
		}
	}
	/* §2.2.4: the management rights, labelled from the catalogue */
	if (interactive && manage == NULL) {
		if ((rc = ucat_load(&cat, um)) != UM_EXIT_OK)
			goto cleanup;
		for (i = 0; i < cat.nm; i++) {
			snprintf(prompt, sizeof(prompt), "%s %s",
			         ucat_label(um, cat.m[i].label, cat.m[i].id), um_t(um, T_P_MANAGE));
			if ((ans = um_prompt(prompt, 0)) == NULL) {
				rc = UM_EXIT_USAGE;
				goto cleanup;
			}
			if (strchr("yYjJoO", ans[0]) != NULL && ans[0] != '\0')
				mv[nm++] = strdup(cat.m[i].id);
			free(ans);
		}
	}
	/* the first password, temporary until the user changes it (§3.2) */
	if (pwfile != NULL) {
		if ((rc = um_read_password_file(&pw, pwfile)) != UM_EXIT_OK)
			goto cleanup;
	} else {
		if ((pw = um_prompt(um_t(um, T_P_NEW), 1)) == NULL ||
		    (again = um_prompt(um_t(um, T_P_CONFIRM), 1)) == NULL) {
			rc = UM_EXIT_USAGE;
			goto cleanup;
		}
		if (strcmp(pw, again) != 0) {
			rc = um_usage("%s", um_t(um, T_MISMATCH));
			goto cleanup;
		}
	}
	if (asprintf(&cn, "%s %s", val[1], val[2]) < 0 ||
	    (dn = um_user_dn(um, org ? org : um->org, val[0])) == NULL) {
		rc = UM_EXIT_USAGE;
		goto cleanup;
	}
	mod_add(mods, store, &n, LDAP_MOD_ADD, "objectClass", oc);
	for (i = 0; i < NFIELDS; i++) {
		one[i][0] = val[i];
		one[i][1] = NULL;
		if (*val[i] != '\0')
			mod_add(mods, store, &n, LDAP_MOD_ADD, fields[i].attr, one[i]);
	}
	cnv[0] = cn;
	cnv[1] = NULL;
	pwv[0] = pw;
	pwv[1] = NULL;
	mod_add(mods, store, &n, LDAP_MOD_ADD, "cn", cnv);
	mod_add(mods, store, &n, LDAP_MOD_ADD, "umStatus", status);
	mod_add(mods, store, &n, LDAP_MOD_ADD, "userPassword", pwv);
	if (nm > 0)
		mod_add(mods, store, &n, LDAP_MOD_ADD, "umManage", mv);
	rc = um_ldap_result(um, ldap_add_ext_s(um->ld, dn, mods, NULL, NULL));
	if (rc == UM_EXIT_OK)
		printf("%s: %s\n", um_t(um, T_DONE), val[0]);
cleanup:
	for (i = 0; i < NFIELDS; i++)
		free(val[i]);
	um_strv_free(mv);
	ucat_free(&cat);
	um_secret_free(pw);
	um_secret_free(again);
	free(cn);
	free(dn);
	return rc;
}

/* ---- user show|edit|deactivate|reactivate ------------------------------------------ */

static int user_show(struct um *um, const char *uid)
{
	char *attrs[] = {
	        "uid",      "cn",       "givenName", "sn",           "mail", "preferredLanguage",
	        "umGender", "umStatus", "umManage",  "creatorsName", NULL};
	static const struct {
		const char *attr;
		const char *key;
		um_text head;
	} shown[] = {
	        {"uid", "username", T_USERNAME},
	        {"cn", "name", T_NAME},
	        {"givenName", "given_name", T_FIRST_NAME},
	        {"sn", "surname", T_SURNAME},
	        {"mail", "mail", T_MAIL},
	        {"preferredLanguage", "language", T_LANGUAGE},
	        {"umGender", "gender", T_GENDER},
	        {"umStatus", "status", T_STATUS},
	};
	const char *keys[] = {"field", "value"}, *heads[] = {"", ""}, *row[2];
	LDAPMessage *res = NULL, *e;
	struct ucat cat;
	struct table t;
	char *dn = um_user_dn(um, um->org, uid), *v, *by, **manage;
	size_t i;
	int rc;

	memset(&cat, 0, sizeof(cat));
	if (dn == NULL)
		return UM_EXIT_USAGE;
	rc = ldap_search_ext_s(um->ld, dn, LDAP_SCOPE_BASE, "(objectClass=umUser)", attrs, 0, NULL,
	                       NULL, NULL, 0, &res);
	free(dn);
	if (rc != LDAP_SUCCESS || (e = ldap_first_entry(um->ld, res)) == NULL) {
		ldap_msgfree(res);
		return um_ldap_result(um, rc ? rc : LDAP_NO_SUCH_OBJECT);
	}
	if ((rc = ucat_load(&cat, um)) != UM_EXIT_OK) {
		ldap_msgfree(res);
		return rc;
	}
	manage = um_values(um->ld, e, "umManage");
	if (um->json) {
		putchar('{');
		for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
			v = um_value(um->ld, e, shown[i].attr);
			json_str(shown[i].key);
			fputs(": ", stdout);
			json_str(v);
			fputs(", ", stdout);
			free(v);
		}
		v = um_value(um->ld, e, "creatorsName");
		by = um_dn_first_value(v);
		fputs("\"created_by\": ", stdout);
		json_str(by);
		free(v);
		free(by);
		fputs(", \"management\": [", stdout);
		for (i = 0; manage != NULL && manage[i] != NULL; i++) {
			fputs(i ? ", " : "", stdout);
			json_str(manage[i]);
		}
		fputs("]}\n", stdout);
	} else {
		table_init(&t, 2, keys, heads);
		for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
			v = um_value(um->ld, e, shown[i].attr);
			row[0] = um_t(um, shown[i].head);
			row[1] = v;
			table_row(&t, row);
			free(v);
		}
		v = um_value(um->ld, e, "creatorsName");
		by = um_dn_first_value(v);
		row[0] = um_t(um, T_CREATED_BY);
		row[1] = by;
		table_row(&t, row);
		free(v);
		free(by);
		for (i = 0; manage != NULL && manage[i] != NULL; i++) {
			row[0] = i == 0 ? um_t(um, T_MANAGEMENT) : "";
			row[1] = ucat_manage_label(um, &cat, manage[i]);
			table_row(&t, row);
		}
		table_print(um, &t);
		table_free(&t);
	}
	um_strv_free(manage);
	ucat_free(&cat);
	ldap_msgfree(res);
	return UM_EXIT_OK;
}

static int user_modify(struct um *um, const char *uid, LDAPMod **mods)
{
	char *dn = um_user_dn(um, um->org, uid);
	int rc;

	if (dn == NULL)
		return UM_EXIT_USAGE;
	rc = um_ldap_result(um, ldap_modify_ext_s(um->ld, dn, mods, NULL, NULL));
	free(dn);
	if (rc == UM_EXIT_OK)
		printf("%s: %s\n", um_t(um, T_DONE), uid);
	return rc;
}

static int user_edit(struct um *um, const char *uid, int argc, char **argv)
{
	static const struct field edits[] = {
	        {"--given-name", "givenName", T_P_GIVEN},
	        {"--sn", "sn", T_P_SN},
	        {"--mail", "mail", T_P_MAIL},
	        {"--lang", "preferredLanguage", T_P_LANG},
	        {"--gender", "umGender", T_P_GENDER},
	        {"--cn", "cn", T_NAME},
	};
	LDAPMod *mods[16], store[16];
	char *one[8][2], *add[8] = {NULL}, *del[8] = {NULL};
	const char *v;
	size_t i, n = 0, na = 0, nd = 0;
	int bad = 0;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		if ((v = um_flag(&argc, argv, edits[i].flag, &bad)) == NULL)
			continue;
		one[i][0] = (char *)v;
		one[i][1] = NULL;
		mod_add(mods, store, &n, LDAP_MOD_REPLACE, edits[i].attr, one[i]);
	}
	while (na < 7 && (v = um_flag(&argc, argv, "--add-manage", &bad)) != NULL)
		add[na++] = (char *)v;
	while (nd < 7 && (v = um_flag(&argc, argv, "--remove-manage", &bad)) != NULL)
		del[nd++] = (char *)v;
	if (na > 0)
		mod_add(mods, store, &n, LDAP_MOD_ADD, "umManage", add);
	if (nd > 0)
		mod_add(mods, store, &n, LDAP_MOD_DELETE, "umManage", del);
	if (bad || argc > 0 || n == 0)
		return um_usage("user edit USER [--given-name G] [--sn S] [--mail M] [--lang L] "
		                "[--gender G] [--cn NAME] [--add-manage R] [--remove-manage R]");
	return user_modify(um, uid, mods);
}

int cmd_user(struct um *um, int argc, char **argv)
{
	LDAPMod *mods[2], store[2];
	char *status[2] = {NULL, NULL};
	size_t n = 0;
	int rc;

	if (um_is(argc, argv, "create"))
		return user_create(um, NULL, argc - 1, argv + 1, NULL);
	if (argc < 2)
		return um_usage("user create|show|edit|deactivate|reactivate USER");
	if (um_is(argc, argv, "edit")) {
		/* the flags are checked before anyone is asked for a password */
		int i, ok = 0;

		for (i = 2; i < argc; i++)
			ok |= strncmp(argv[i], "--", 2) == 0;
		if (!ok)
			return user_edit(um, argv[1], 0, argv + 2);
	}
	if ((rc = um_connect(um, NULL)) != UM_EXIT_OK || (rc = need_org(um)) != UM_EXIT_OK)
		return rc;
	if (um_is(argc, argv, "show") && argc == 2)
		return user_show(um, argv[1]);
	if (um_is(argc, argv, "edit"))
		return user_edit(um, argv[1], argc - 2, argv + 2);
	/* §3.1: deactivation keeps every right; reactivation gives them back */
	if ((um_is(argc, argv, "deactivate") || um_is(argc, argv, "reactivate")) && argc == 2) {
		status[0] = um_is(argc, argv, "deactivate") ? "deactivated" : "active";
		mod_add(mods, store, &n, LDAP_MOD_REPLACE, "umStatus", status);
		return user_modify(um, argv[1], mods);
	}
	return um_usage("user create|show|edit|deactivate|reactivate USER");
}
