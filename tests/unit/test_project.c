/*
 * provisiond's projection (provisiond/project.c, DESIGN §4): what a user's
 * grants make of the groups and attributes e-applications authorize from,
 * against the real config/rights.yaml.
 */
#include <stdio.h>

#include "unit.h"

#include "provisiond.h"

#define RIGHTS_YAML TOP_SRCDIR "/config/rights.yaml"
#define SUFFIX      "dc=portal,dc=example"
#define MAXV        8
#define MAXG        4

static rights_catalog *cat;

typedef struct grant_spec {
	const char *app;
	const char *scope;
	const char *rights[MAXV];
	int has_deleg;
	const char *deleg[MAXV];
} grant_spec;

typedef struct project_row {
	const char *name;
	const char *org;
	int active;
	grant_spec grants[MAXG];
	const char *groups[MAXV]; /* the "cn=..." part, ",ou=groups,<suffix>" added */
	const char *access[MAXV]; /* umAppAccess values */
	const char *manage[MAXV]; /* umManage values */
} project_row;

/* R(...): a list of values; OWN: a grant on the user's organisation; VIA:
 * a grant on another one, through a delegation (or none: has 0). */
#define R(...)                                                                                     \
	{                                                                                          \
		__VA_ARGS__                                                                        \
	}
#define OWN(app, org, rights)                                                                      \
	{                                                                                          \
		app, org, rights, 0,                                                               \
		{                                                                                  \
			NULL                                                                       \
		}                                                                                  \
	}
#define VIA(app, org, rights, has, deleg)                                                          \
	{                                                                                          \
		app, org, rights, has, deleg                                                       \
	}
#define NONE                                                                                       \
	{                                                                                          \
		{                                                                                  \
			NULL, NULL, {NULL}, 0,                                                     \
			{                                                                          \
				NULL                                                               \
			}                                                                          \
		}                                                                                  \
	}

static const project_row project_rows[] = {
        {"§2.3.1 e-MassPost: a group per role, the application's group, umAppAccess",
         "c1",
         1,
         {OWN("emasspost", "c1",
              R("product:letter", "billing:BA-1", "role:creation", "role:validation-price"))},
         {"emasspost-creation", "emasspost-validation-price", "emasspost"},
         {"emasspost"},
         {NULL}},
        {"§3.1 a deactivated user keeps its grants but projects nothing",
         "c1",
         0,
         {OWN("emasspost", "c1", R("product:letter", "role:creation"))},
         {NULL},
         {NULL},
         {NULL}},
        {"DESIGN §4 an application with an empty grant gives no access",
         "c1",
         1,
         {OWN("emasspost", "c1", R(NULL)), OWN("distriplanner", "c1", R("role:quick-view"))},
         {"distriplanner-quick-view", "distriplanner"},
         {"distriplanner"},
         {NULL}},
        {"§2.3.3 values without a group still give the application",
         "c1",
         1,
         {OWN("collect-stamp", "c1", R("contract:CS1"))},
         {"collect-stamp"},
         {"collect-stamp"},
         {NULL}},
        {"§2.3.6 Invoice Reporter: one group, no role",
         "c1",
         1,
         {OWN("invoice-reporter", "c1", R("billing:BA-1", "billing:BA-2"))},
         {"invoice-reporter"},
         {"invoice-reporter"},
         {NULL}},
        {"§2.3.1 sous-traitants: a router's user holds only what the delegation gives",
         "r1",
         1,
         {VIA("emasspost", "c1", R("product:letter", "role:creation", "role:validation-price"), 1,
              R("product:letter", "role:creation"))},
         {"emasspost-creation", "emasspost"},
         {"emasspost"},
         {NULL}},
        {"§2.3.1 sous-traitants: a revoked delegation takes everything back",
         "r1",
         1,
         {VIA("emasspost", "c1", R("product:letter", "role:creation"), 0, R(NULL))},
         {NULL},
         {NULL},
         {NULL}},
        {"§2.3.1 sous-traitants: a delegation holding none of the values",
         "r1",
         1,
         {VIA("emasspost", "c1", R("role:creation"), 1, R("role:administrator"))},
         {NULL},
         {NULL},
         {NULL}},
        {"§2.3.1 own grant and grant on a customer: each group once",
         "r1",
         1,
         {OWN("emasspost", "r1", R("role:creation")),
          VIA("emasspost", "c1", R("role:creation", "role:administrator"), 1, R("role:creation"))},
         {"emasspost-creation", "emasspost"},
         {"emasspost"},
         {NULL}},
        {"org ids compare case-insensitively (o is caseIgnore)",
         "C1",
         1,
         {OWN("emasspost", "c1", R("role:creation"))},
         {"emasspost-creation", "emasspost"},
         {"emasspost"},
         {NULL}},
        {"umRight is caseExact: Role:Creation is no value of rights.yaml",
         "c1",
         1,
         {OWN("emasspost", "c1", R("Role:Creation", "role:Creation"))},
         {NULL},
         {NULL},
         {NULL}},
        {"a value rights.yaml dropped names no group, and alone gives no access",
         "c1",
         1,
         {OWN("emasspost", "c1", R("role:retired-role"))},
         {NULL},
         {NULL},
         {NULL}},
        {"an application rights.yaml dropped projects nothing",
         "c1",
         1,
         {OWN("retired-app", "c1", R("role:creation"))},
         {NULL},
         {NULL},
         {NULL}},
        {"malformed values are ignored, the others count",
         "c1",
         1,
         {OWN("emasspost", "c1", R("nocolon", ":x", "role:", "role:creation"))},
         {"emasspost-creation", "emasspost"},
         {"emasspost"},
         {NULL}},
        {"a user without grants has nothing", "c1", 1, NONE, {NULL}, {NULL}, {NULL}},
        {"§2.2.4 ftp: the FTP server's group and umAppAccess ftp, without any grant",
         "c1",
         1,
         NONE,
         {"ftp"},
         {"ftp"},
         {"ftp"}},
        {"§2.2.4 ftp beside an application",
         "c1",
         1,
         {OWN("invoice-reporter", "c1", R("billing:BA-1"))},
         {"invoice-reporter", "ftp"},
         {"invoice-reporter", "ftp"},
         {"users", "ftp"}},
        {"§3.1 a deactivated ftp holder projects nothing", "c1", 0, NONE, {NULL}, {NULL}, {"ftp"}},
        {"§2.2.4 the other management rights project nothing",
         "c1",
         1,
         NONE,
         {NULL},
         {NULL},
         {"admins", "users", "password-recovery"}},
        {"umManage is caseIgnore: FTP is ftp", "c1", 1, NONE, {"ftp"}, {"ftp"}, {"FTP"}},
};

static size_t count(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n] != NULL)
		n++;
	return n;
}

static int contains_ci(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void test_project_user(void **state)
{
	const project_row *row = *state;
	rights_str rights[MAXG][MAXV], deleg[MAXG][MAXV], manage[MAXV];
	proj_grant grants[MAXG];
	proj_user u;
	struct projection p;
	char dn[256];
	size_t i, j, n, ng = 0;

	memset(&p, 0, sizeof(p));
	memset(grants, 0, sizeof(grants));
	for (i = 0; i < MAXG && row->grants[i].app != NULL; i++, ng++) {
		const grant_spec *g = &row->grants[i];

		grants[i].app = unit_str(g->app);
		grants[i].scope = unit_str(g->scope);
		grants[i].nrights = count(g->rights, MAXV);
		for (j = 0; j < grants[i].nrights; j++)
			rights[i][j] = unit_str(g->rights[j]);
		grants[i].rights = rights[i];
		grants[i].has_deleg = g->has_deleg;
		grants[i].ndeleg = count(g->deleg, MAXV);
		for (j = 0; j < grants[i].ndeleg; j++)
			deleg[i][j] = unit_str(g->deleg[j]);
		grants[i].deleg = deleg[i];
	}
	u.org = unit_str(row->org);
	u.active = row->active;
	u.grants = grants;
	u.ngrants = ng;
	u.nmanage = count(row->manage, MAXV);
	for (i = 0; i < u.nmanage; i++)
		manage[i] = unit_str(row->manage[i]);
	u.manage = manage;
	assert_int_equal(project_user(&p, cat, SUFFIX, &u), 0);

	n = count(row->groups, MAXV);
	assert_int_equal(p.ngroups, n);
	for (i = 0; i < n; i++) {
		snprintf(dn, sizeof(dn), "cn=%s,ou=groups," SUFFIX, row->groups[i]);
		if (!contains_ci(p.groups, p.ngroups, dn))
			fail_msg("%s: no group %s", row->name, dn);
	}
	n = count(row->access, MAXV);
	assert_int_equal(p.nattrs, n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < p.nattrs; j++)
			if (strcmp(p.attrs[j].name, "umAppAccess") == 0 &&
			    strcmp(p.attrs[j].value, row->access[i]) == 0)
				break;
		if (j == p.nattrs)
			fail_msg("%s: no umAppAccess %s", row->name, row->access[i]);
	}
	projection_free(&p);
}

/* ---- templates -------------------------------------------------------------------- */

typedef struct expand_row {
	const char *name;
	const char *tmpl;
	const char *dim;
	const char *value;
	int dn_escape;
	const char *want; /* NULL: refused */
} expand_row;

static const expand_row expand_rows[] = {
        {"{suffix} and {app}", "cn={app},ou=groups,{suffix}", NULL, "", 1,
         "cn=emasspost,ou=groups," SUFFIX},
        {"the dimension of `for`", "cn={app}-{role},ou=groups,{suffix}", "role", "creation", 1,
         "cn=emasspost-creation,ou=groups," SUFFIX},
        {"RFC 4514: specials of an RDN value are escaped", "cn=b-{billing},x", "billing",
         "a,b+c\"d\\e<f>g;h=i", 1, "cn=b-a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\=i,x"},
        {"RFC 4514: a leading '#' or space, a trailing space", "cn={billing},x", "billing", "# a ",
         1, "cn=\\# a\\ ,x"},
        {"an attribute value is not a DN: nothing escaped", "{app}+{role}", "role", "a,b", 0,
         "emasspost+a,b"},
        {"a marker rights.yaml cannot have is refused", "cn={other},x", "role", "v", 1, NULL},
        {"an unterminated marker is refused", "cn={role,x", "role", "v", 1, NULL},
};

static void test_expand(void **state)
{
	const expand_row *row = *state;
	char *out = NULL;
	int rc = project_expand(&out, row->tmpl, SUFFIX, "emasspost", row->dim,
	                        unit_str(row->value), row->dn_escape);

	if (row->want == NULL) {
		assert_int_not_equal(rc, 0);
		assert_null(out);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(out, row->want);
	free(out);
}

/* ---- the rest --------------------------------------------------------------------- */

typedef struct effective_row {
	const char *name;
	const char *user_org;
	const char *scope;
	const char *rights[MAXV];
	int has_deleg;
	const char *deleg[MAXV];
	const char *want[MAXV];
} effective_row;

static const effective_row effective_rows[] = {
        {"own organisation: the whole grant",
         "c1",
         "c1",
         {"a:1", "b:2"},
         0,
         {NULL},
         {"a:1", "b:2"}},
        {"§2.3.1 another organisation: what the delegation holds too",
         "r1",
         "c1",
         {"a:1", "b:2", "c:3"},
         1,
         {"c:3", "a:1", "z:9"},
         {"a:1", "c:3"}},
        {"§2.3.1 no delegation: nothing", "r1", "c1", {"a:1"}, 0, {NULL}, {NULL}},
        {"umRight is caseExact", "r1", "c1", {"a:X"}, 1, {"a:x"}, {NULL}},
};

static void test_effective(void **state)
{
	const effective_row *row = *state;
	rights_str r[MAXV], d[MAXV], out[MAXV];
	proj_grant g;
	size_t i, n;

	memset(&g, 0, sizeof(g));
	g.scope = unit_str(row->scope);
	g.nrights = count(row->rights, MAXV);
	for (i = 0; i < g.nrights; i++)
		r[i] = unit_str(row->rights[i]);
	g.rights = r;
	g.has_deleg = row->has_deleg;
	g.ndeleg = count(row->deleg, MAXV);
	for (i = 0; i < g.ndeleg; i++)
		d[i] = unit_str(row->deleg[i]);
	g.deleg = d;
	n = project_effective(out, &g, unit_str(row->user_org));
	assert_int_equal(n, count(row->want, MAXV));
	for (i = 0; i < n; i++)
		assert_true(out[i].len == strlen(row->want[i]) &&
		            memcmp(out[i].ptr, row->want[i], out[i].len) == 0);
}

static void test_attr_hash(void **state)
{
	const char *n1[] = {"umAppAccess", "umAppAccess"}, *v1[] = {"emasspost", "distriplanner"};
	const char *n2[] = {"UMAPPACCESS", "umappaccess"}, *v2[] = {"Distriplanner", "EMASSPOST"};
	const char *n3[] = {"umAppAccess"}, *v3[] = {"emasspost"};

	(void)state;
	/* what the server gives back, in its order and case, hashes alike */
	assert_true(project_attr_hash(n1, v1, 2) == project_attr_hash(n2, v2, 2));
	assert_true(project_attr_hash(n1, v1, 2) != project_attr_hash(n3, v3, 1));
	assert_true(project_attr_hash(NULL, NULL, 0) == 0);
	assert_true(project_attr_hash(n3, v3, 1) != 0);
}

static void test_attr_names(void **state)
{
	const char **names = NULL;
	size_t n = 0;

	(void)state;
	/* every application of rights.yaml projects umAppAccess: one name */
	assert_int_equal(project_attr_names(&names, &n, cat), 0);
	assert_int_equal(n, 1);
	assert_string_equal(names[0], "umAppAccess");
	free(names);
}

static void test_is_active(void **state)
{
	(void)state;
	assert_int_equal(project_is_active(unit_str("active")), 1);
	assert_int_equal(project_is_active(unit_str("deactivated")), 0);
	assert_int_equal(project_is_active(unit_str("Deactivated")), 0); /* caseIgnore */
	/* an unreadable or missing status is not active: fail closed (issue 11) */
	assert_int_equal(project_is_active(unit_str("")), 0);
	assert_int_equal(project_is_active(unit_str("superuser")), 0);
}

static void test_rdn(void **state)
{
	char *dn = NULL;

	(void)state;
	assert_int_equal(project_rdn(&dn, "o", unit_str("a,b"), "ou=organizations," SUFFIX), 0);
	assert_string_equal(dn, "o=a\\,b,ou=organizations," SUFFIX);
	free(dn);
}

int main(void)
{
	const struct CMUnitTest single[] = {
	        cmocka_unit_test(test_attr_hash), cmocka_unit_test(test_attr_names),
	        cmocka_unit_test(test_is_active), cmocka_unit_test(test_rdn)};
	rights_error err;
	int failed = 0;

	if (catalog_load(&cat, RIGHTS_YAML, &err) != RIGHTS_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	failed += UNIT_RUN_TABLE("project_user", project_rows, test_project_user);
	failed += UNIT_RUN_TABLE("project_expand", expand_rows, test_expand);
	failed += UNIT_RUN_TABLE("project_effective", effective_rows, test_effective);
	failed += cmocka_run_group_tests_name("projection helpers", single, NULL, NULL);
	catalog_free(cat);
	return failed;
}
