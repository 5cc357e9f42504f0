/*
 * DESIGN rule 0, "shapes, not denylists": what a DN is, which classes and
 * attributes each kind of entry takes from each identity, who may write
 * where (decided from the DNs alone), and the user fields of §2.2.3.
 */
#include "unit.h"

/* rows name only what they check; the rest is zero */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static rights_str S(const char *s)
{
	rights_str r = {s, s ? strlen(s) : 0};

	return r;
}

static int str_is(rights_str s, const char *lit)
{
	return lit ? s.len == strlen(lit) && !memcmp(s.ptr, lit, s.len) : s.ptr == NULL;
}

/* ---- DN shapes (DESIGN §2) ---------------------------------------------- */

typedef struct dn_row {
	const char *name;
	const char *rel; /* the DN without ",ou=organizations,<suffix>" */
	rights_kind kind;
	const char *org, *uid, *app, *scope, *id;
} dn_row;

static const dn_row dn_rows[] = {
        {"§2 ou=organizations itself", "", RIGHTS_KIND_ORGS},
        {"§2 an organisation", "o=acme", RIGHTS_KIND_ORG, "acme"},
        {"§2 its users' container", "ou=users,o=acme", RIGHTS_KIND_CONTAINER, "acme", NULL, NULL,
         NULL, "users"},
        {"§2 its delegations' container", "ou=delegations,o=acme", RIGHTS_KIND_CONTAINER, "acme",
         NULL, NULL, NULL, "delegations"},
        {"§2 another ou is no container", "ou=groups,o=acme", RIGHTS_KIND_UNKNOWN, "acme"},
        {"§2 a user", "uid=MARIE,ou=users,o=acme", RIGHTS_KIND_USER, "acme", "MARIE"},
        {"§2 a grant cn=<app>@<org>", "cn=emasspost@acme,uid=MARIE,ou=users,o=acme",
         RIGHTS_KIND_GRANT, "acme", "MARIE", "emasspost", "acme"},
        {"§2.3.1 a router user's grant on a customer", "cn=emasspost@acme,uid=R1,ou=users,o=router",
         RIGHTS_KIND_GRANT, "router", "R1", "emasspost", "acme"},
        {"§2.3.1 a delegation", "cn=emasspost@router,ou=delegations,o=acme", RIGHTS_KIND_DELEGATION,
         "acme", NULL, "emasspost", "router"},
        {"§2.3.1 a billing address", "umbillingid=BA-1,ou=billing,o=acme", RIGHTS_KIND_BILLING,
         "acme", NULL, NULL, NULL, "BA-1"},
        {"§2.3.3 a contract", "umcontractid=999009,ou=contracts,o=acme", RIGHTS_KIND_CONTRACT,
         "acme", NULL, NULL, NULL, "999009"},
        {"rule 0 a grant name with two '@' is no grant",
         "cn=emasspost@acme@x,uid=MARIE,ou=users,o=acme", RIGHTS_KIND_UNKNOWN, "acme", "MARIE"},
        {"rule 0 a grant name without '@' is no grant", "cn=emasspost,uid=MARIE,ou=users,o=acme",
         RIGHTS_KIND_UNKNOWN, "acme", "MARIE"},
        {"rule 0 an empty application", "cn=@acme,uid=MARIE,ou=users,o=acme", RIGHTS_KIND_UNKNOWN,
         "acme", "MARIE"},
        {"rule 0 below a grant", "cn=x,cn=emasspost@acme,uid=MARIE,ou=users,o=acme",
         RIGHTS_KIND_UNKNOWN, "acme", "MARIE"},
        {"rule 0 a cn= entry among users", "cn=MARIE,ou=users,o=acme", RIGHTS_KIND_UNKNOWN, "acme"},
        {"rule 0 a uid= entry among billing addresses", "uid=x,ou=billing,o=acme",
         RIGHTS_KIND_UNKNOWN, "acme"},
        {"rule 0 a multi-valued RDN", "uid=MARIE+cn=x,ou=users,o=acme", RIGHTS_KIND_UNKNOWN,
         "acme"},
        {"rule 0 an escaped RDN", "uid=MA\\2CRIE,ou=users,o=acme", RIGHTS_KIND_UNKNOWN, "acme"},
        {"rule 0 an escaped organisation", "o=ac\\2Cme", RIGHTS_KIND_UNKNOWN},
        {"rule 0 not under an organisation", "cn=x", RIGHTS_KIND_UNKNOWN},
        {"rule 0 too deep", "a=1,b=2,c=3,d=4,e=5,f=6,g=7,o=acme", RIGHTS_KIND_UNKNOWN},
};

static void test_dn(void **state)
{
	const dn_row *r = *state;
	rights_dn d;

	assert_int_equal(portal_dn_parse(&d, S(r->rel)), RIGHTS_OK);
	assert_int_equal(d.kind, r->kind);
	if (r->org)
		assert_true(str_is(d.org, r->org));
	if (r->kind == RIGHTS_KIND_UNKNOWN)
		return;
	assert_true(str_is(d.uid, r->uid));
	assert_true(str_is(d.app, r->app));
	assert_true(str_is(d.scope, r->scope));
	assert_true(str_is(d.id, r->id));
	if (r->uid)
		assert_memory_equal(r->rel + d.user_off, "uid=", 4);
	if (r->org)
		assert_memory_equal(r->rel + d.org_off, "o=", 2);
}

/* ---- attributes per kind and identity ----------------------------------- */

typedef struct attr_row {
	const char *name;
	rights_kind kind;
	const char *attr;
	/* verdict for operator, provisioner, admin, self */
	rights_shape_verdict v[RIGHTS_ROLE_COUNT];
} attr_row;

#define OK      RIGHTS_SHAPE_OK
#define NO      RIGHTS_SHAPE_NOT_YOURS
#define FOREIGN RIGHTS_SHAPE_FOREIGN

static const attr_row attr_rows[] = {
        /* users: §2.2.3 personal fields are everyone's (rule 7) */
        {"§2.2.3 givenName", RIGHTS_KIND_USER, "givenName", {OK, OK, OK, OK}},
        {"§2.2.3 sn", RIGHTS_KIND_USER, "sn", {OK, OK, OK, OK}},
        {"§2.2.3 mail", RIGHTS_KIND_USER, "mail", {OK, OK, OK, OK}},
        {"§2.2.3 preferredLanguage", RIGHTS_KIND_USER, "preferredLanguage", {OK, OK, OK, OK}},
        {"§2.2.3 umGender", RIGHTS_KIND_USER, "umGender", {OK, OK, OK, OK}},
        {"§2.2.3 question", RIGHTS_KIND_USER, "umSecurityQuestion", {OK, OK, OK, OK}},
        {"§2.2.3 answer", RIGHTS_KIND_USER, "umSecurityAnswer", {OK, OK, OK, OK}},
        {"§3.2 own password", RIGHTS_KIND_USER, "userPassword", {OK, OK, OK, OK}},
        {"names are case-insensitive", RIGHTS_KIND_USER, "GIVENNAME", {OK, OK, OK, OK}},
        /* rules 2, 3, 7: management rights and status are the admins' */
        {"§2.2.4 umManage", RIGHTS_KIND_USER, "umManage", {OK, OK, OK, NO}},
        {"§3.1 umStatus", RIGHTS_KIND_USER, "umStatus", {OK, OK, OK, NO}},
        {"rule 6 uid on add", RIGHTS_KIND_USER, "uid", {OK, OK, OK, NO}},
        {"§3.2 pwdReset (TRUE only, check.c)", RIGHTS_KIND_USER, "pwdReset", {OK, OK, OK, NO}},
        {"rule 0 pwdAccountLockedTime (removal only, check.c)",
         RIGHTS_KIND_USER,
         "pwdAccountLockedTime",
         {OK, OK, OK, NO}},
        /* rule 0: policy and state attributes */
        {"rule 0 umAppAccess is the projection's",
         RIGHTS_KIND_USER,
         "umAppAccess",
         {OK, OK, NO, NO}},
        {"§6 umSource is the sync's", RIGHTS_KIND_USER, "umSource", {OK, OK, NO, NO}},
        {"§6 umSourceKey is the sync's", RIGHTS_KIND_USER, "umSourceKey", {OK, OK, NO, NO}},
        {"§6 umSourceGone is the sync's", RIGHTS_KIND_USER, "umSourceGone", {OK, OK, NO, NO}},
        {"§6 umSourceDN is the sync's", RIGHTS_KIND_USER, "umSourceDN", {OK, OK, NO, NO}},
        {"rule 0 pwdPolicySubentry", RIGHTS_KIND_USER, "pwdPolicySubentry", {OK, NO, NO, NO}},
        {"rule 0 memberOf", RIGHTS_KIND_USER, "memberOf", {OK, NO, NO, NO}},
        {"§3.3 reset token hash", RIGHTS_KIND_USER, "umResetTokenHash", {OK, NO, NO, NO}},
        {"§3.3 reset counters", RIGHTS_KIND_USER, "umResetRequested", {OK, NO, NO, NO}},
        /* rule 0: nothing else on a user */
        {"rule 0 umRight on a user",
         RIGHTS_KIND_USER,
         "umRight",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 umApplication on a user",
         RIGHTS_KIND_USER,
         "umApplication",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 member on a user",
         RIGHTS_KIND_USER,
         "member",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 ref on a user", RIGHTS_KIND_USER, "ref", {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 aliasedObjectName on a user",
         RIGHTS_KIND_USER,
         "aliasedObjectName",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 seeAlso on a user",
         RIGHTS_KIND_USER,
         "seeAlso",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        /* grants: rules 3, 4 */
        {"§2.3 umRight on a grant", RIGHTS_KIND_GRANT, "umRight", {OK, OK, OK, NO}},
        {"§2.3 umApplication on a grant", RIGHTS_KIND_GRANT, "umApplication", {OK, OK, OK, NO}},
        {"§2.3 umScope on a grant", RIGHTS_KIND_GRANT, "umScope", {OK, OK, OK, NO}},
        {"rule 0 userPassword on a grant",
         RIGHTS_KIND_GRANT,
         "userPassword",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 uid on a grant", RIGHTS_KIND_GRANT, "uid", {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 umAppAccess on a grant",
         RIGHTS_KIND_GRANT,
         "umAppAccess",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 umDelegate on a grant",
         RIGHTS_KIND_GRANT,
         "umDelegate",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        /* delegations: rule 8 */
        {"§2.3.1 umDelegate on a delegation",
         RIGHTS_KIND_DELEGATION,
         "umDelegate",
         {OK, OK, OK, NO}},
        {"§2.3.1 umRight on a delegation", RIGHTS_KIND_DELEGATION, "umRight", {OK, OK, OK, NO}},
        {"rule 0 umScope on a delegation",
         RIGHTS_KIND_DELEGATION,
         "umScope",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        /* rule 6: organisations and their resources are the operator's */
        {"rule 6 umOrgKind", RIGHTS_KIND_ORG, "umOrgKind", {OK, NO, NO, NO}},
        {"rule 6 displayName of an org", RIGHTS_KIND_ORG, "displayName", {OK, NO, NO, NO}},
        {"rule 6 billing id", RIGHTS_KIND_BILLING, "umBillingId", {OK, NO, NO, NO}},
        {"rule 6 contract kind", RIGHTS_KIND_CONTRACT, "umContractKind", {OK, NO, NO, NO}},
        {"rule 6 ou of a container", RIGHTS_KIND_CONTAINER, "ou", {OK, NO, NO, NO}},
        {"rule 0 uid on an organisation",
         RIGHTS_KIND_ORG,
         "uid",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 userPassword on a contract",
         RIGHTS_KIND_CONTRACT,
         "userPassword",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
        {"rule 0 nothing on an unknown shape",
         RIGHTS_KIND_UNKNOWN,
         "cn",
         {FOREIGN, FOREIGN, FOREIGN, FOREIGN}},
};

static void test_attr(void **state)
{
	const attr_row *r = *state;
	int role;

	for (role = 0; role < RIGHTS_ROLE_COUNT; role++)
		assert_int_equal(shape_attr_check(r->kind, (rights_role)role, S(r->attr)),
		                 r->v[role]);
}

/* ---- object classes ----------------------------------------------------- */

typedef struct class_row {
	const char *name;
	rights_kind kind;
	const char *classes[7];
	int ok;
	const char *bad;
} class_row;

static const class_row class_rows[] = {
        {"§2.2.3 a user", RIGHTS_KIND_USER, {"inetOrgPerson", "umUser"}, 1},
        {"§2.2.3 a user with its superclasses",
         RIGHTS_KIND_USER,
         {"top", "person", "organizationalPerson", "inetOrgPerson", "umUser"},
         1},
        {"class names are case-insensitive", RIGHTS_KIND_USER, {"INETORGPERSON", "umuser"}, 1},
        {"rule 0 a user without umUser", RIGHTS_KIND_USER, {"inetOrgPerson"}, 0, "umUser"},
        {"rule 0 extensibleObject on a user",
         RIGHTS_KIND_USER,
         {"inetOrgPerson", "umUser", "extensibleObject"},
         0,
         "extensibleObject"},
        {"rule 0 a referral user",
         RIGHTS_KIND_USER,
         {"referral", "umUser", "extensibleObject"},
         0,
         "referral"},
        {"rule 0 an alias user", RIGHTS_KIND_USER, {"alias", "umUser"}, 0, "alias"},
        {"rule 0 a groupOfNames user",
         RIGHTS_KIND_USER,
         {"groupOfNames", "umUser"},
         0,
         "groupOfNames"},
        {"rule 0 simpleSecurityObject on a user",
         RIGHTS_KIND_USER,
         {"inetOrgPerson", "umUser", "simpleSecurityObject"},
         0,
         "simpleSecurityObject"},
        {"§2.3 a grant", RIGHTS_KIND_GRANT, {"umGrant"}, 1},
        {"§2.3 a grant with top", RIGHTS_KIND_GRANT, {"top", "umGrant"}, 1},
        {"rule 0 a grant that is a user",
         RIGHTS_KIND_GRANT,
         {"umGrant", "umUser", "extensibleObject"},
         0,
         "umUser"},
        {"rule 0 a grant as a delegation", RIGHTS_KIND_GRANT, {"umDelegation"}, 0, "umDelegation"},
        {"§2.3.1 a delegation", RIGHTS_KIND_DELEGATION, {"umDelegation"}, 1},
        {"rule 6 an organisation", RIGHTS_KIND_ORG, {"organization", "umOrganization"}, 1},
        {"rule 6 an organisation without umOrganization",
         RIGHTS_KIND_ORG,
         {"organization"},
         0,
         "umOrganization"},
        {"rule 6 a billing address", RIGHTS_KIND_BILLING, {"umBillingAddress"}, 1},
        {"rule 6 a contract", RIGHTS_KIND_CONTRACT, {"umContract"}, 1},
        {"rule 6 a container", RIGHTS_KIND_CONTAINER, {"organizationalUnit"}, 1},
        {"rule 0 no class at all", RIGHTS_KIND_GRANT, {NULL}, 0},
        {"rule 0 no shape takes no class", RIGHTS_KIND_UNKNOWN, {"top"}, 0, "top"},
};

static void test_classes(void **state)
{
	const class_row *r = *state;
	rights_str cls[7], bad = {NULL, 0};
	size_t n;

	for (n = 0; r->classes[n]; n++)
		cls[n] = S(r->classes[n]);
	assert_int_equal(shape_classes_check(&bad, r->kind, cls, n),
	                 r->ok ? RIGHTS_OK : RIGHTS_EINVAL);
	if (r->bad)
		assert_true(bad.len == strlen(r->bad) && !strncasecmp(bad.ptr, r->bad, bad.len));
}

/* ---- who and where ------------------------------------------------------ */

typedef struct place_row {
	const char *name;
	rights_writer writer;
	int active, admin;
	const char *writer_org;
	rights_kind kind;
	const char *target_org;
	int self, mail;
	int code;
	rights_msg why;
} place_row;

#define W_OP   RIGHTS_WRITER_OPERATOR
#define W_PROV RIGHTS_WRITER_PROVISIONER
#define W_USER RIGHTS_WRITER_USER
#define W_ANON RIGHTS_WRITER_ANONYMOUS
#define W_APP  RIGHTS_WRITER_OTHER
#define K(x)   RIGHTS_KIND_##x
#define OKC    RIGHTS_R_OK
#define DENY   RIGHTS_R_PERMISSION

static const place_row place_rows[] = {
        {"operators write anywhere", W_OP, 0, 0, "", K(ORG), "acme", 0, 0, OKC},
        {"operators write ou=system", W_OP, 0, 0, "", K(SYSTEM), "", 0, 0, OKC},
        {"rule 6 the provisioner writes projections", W_PROV, 0, 0, "", K(PROTECTED), "", 0, 0,
         OKC},
        {"rule 6 the provisioner empties the mail queue", W_PROV, 0, 0, "", K(SYSTEM), "", 0, 1,
         OKC},
        {"rule 6 the provisioner does not write ou=system", W_PROV, 0, 0, "", K(SYSTEM), "", 0, 0,
         DENY, MSG_PROTECTED},
        {"rule 6 the provisioner does not write organisations", W_PROV, 0, 0, "", K(ORG), "acme", 0,
         0, DENY, MSG_PROTECTED},
        {"the provisioner writes users (rule 4 inside)", W_PROV, 0, 0, "", K(USER), "acme", 0, 0,
         OKC},
        {"anonymous writes nothing", W_ANON, 0, 0, "", K(USER), "acme", 0, 0, DENY, MSG_ANONYMOUS},
        {"an e-application writes nothing", W_APP, 0, 0, "", K(USER), "acme", 0, 0, DENY,
         MSG_NOT_ADMIN},
        {"rule 6 users do not write ou=system (cn=operators)", W_USER, 1, 1, "acme", K(SYSTEM), "",
         0, 0, DENY, MSG_PROTECTED},
        {"rule 6 admins do not write projections", W_USER, 1, 1, "acme", K(PROTECTED), "", 0, 0,
         DENY, MSG_PROTECTED},
        {"rule 6 admins do not write their organisation", W_USER, 1, 1, "acme", K(ORG), "acme", 0,
         0, DENY, MSG_PROTECTED},
        {"rule 6 admins do not write billing addresses", W_USER, 1, 1, "acme", K(BILLING), "acme",
         0, 0, DENY, MSG_PROTECTED},
        {"rule 0 admins write no unknown shape", W_USER, 1, 1, "acme", K(UNKNOWN), "acme", 0, 0,
         DENY, MSG_PROTECTED},
        {"§2.1 an admin writes a user of its org", W_USER, 1, 1, "acme", K(USER), "acme", 0, 0,
         OKC},
        {"§2.3 an admin writes a grant of its org", W_USER, 1, 1, "acme", K(GRANT), "acme", 0, 0,
         OKC},
        {"§2.3.1 an admin writes a delegation of its org", W_USER, 1, 1, "acme", K(DELEGATION),
         "acme", 0, 0, OKC},
        {"rule 1 orgIds compare case-insensitively", W_USER, 1, 1, "ACME", K(USER), "acme", 0, 0,
         OKC},
        {"rule 1 another organisation", W_USER, 1, 1, "acme", K(USER), "other", 0, 0, DENY,
         MSG_OTHER_ORG},
        {"rule 1 a prefix is another organisation", W_USER, 1, 1, "acme", K(USER), "acm", 0, 0,
         DENY, MSG_OTHER_ORG},
        {"rule 1 another organisation's grant", W_USER, 1, 1, "acme", K(GRANT), "other", 0, 0, DENY,
         MSG_OTHER_ORG},
        {"rule 5 a deactivated admin", W_USER, 0, 1, "acme", K(USER), "acme", 0, 0, DENY,
         MSG_WRITER_INACTIVE},
        {"rule 5 a deactivated user on itself", W_USER, 0, 0, "acme", K(USER), "acme", 1, 0, DENY,
         MSG_WRITER_INACTIVE},
        {"rule 7 a user on its own entry", W_USER, 1, 0, "acme", K(USER), "acme", 1, 0, OKC},
        {"rule 7 a user on its own grant", W_USER, 1, 0, "acme", K(GRANT), "acme", 1, 0, DENY,
         MSG_NOT_ADMIN},
        {"rule 2 an admin on its own grant", W_USER, 1, 1, "acme", K(GRANT), "acme", 1, 0, DENY,
         MSG_SELF_RIGHTS},
        {"rule 2 a plain user on a colleague", W_USER, 1, 0, "acme", K(USER), "acme", 0, 0, DENY,
         MSG_NOT_ADMIN},
};

static void test_place(void **state)
{
	const place_row *r = *state;
	rights_place p;
	rights_msg why = MSG_COUNT;

	memset(&p, 0, sizeof(p));
	p.writer = r->writer;
	p.writer_active = r->active;
	p.writer_admin = r->admin;
	p.writer_org = S(r->writer_org);
	p.kind = r->kind;
	p.target_org = S(r->target_org);
	p.target_is_self = r->self;
	p.target_is_mail = r->mail;
	assert_int_equal(place_check(&why, &p), r->code);
	if (r->code != RIGHTS_R_OK)
		assert_int_equal(why, r->why);
}

/* ---- users (§2.2.3, §2.2.4, §3.1) --------------------------------------- */

typedef struct field_row {
	const char *name;
	const char *attr, *value;
	int ok;
	rights_msg why;
} field_row;

static const field_row field_rows[] = {
        {"§1.2 nl", "preferredLanguage", "nl", 1},
        {"§1.2 FR (case)", "preferredLanguage", "FR", 1},
        {"§1.2 de", "preferredLanguage", "de", 1},
        {"§1.2 en", "preferredLanguage", "en", 1},
        {"§1.2 a regional tag is not stored", "preferredLanguage", "fr-BE", 0, MSG_BAD_LANGUAGE},
        {"§1.2 it", "preferredLanguage", "it", 0, MSG_BAD_LANGUAGE},
        {"§1.2 empty", "preferredLanguage", "", 0, MSG_BAD_LANGUAGE},
        {"§2.2.3 mail", "mail", "marie.dupont@example.com", 1},
        {"§2.2.3 mail without @", "mail", "marie.example.com", 0, MSG_BAD_MAIL},
        {"§2.2.3 mail with two @", "mail", "a@b@example.com", 0, MSG_BAD_MAIL},
        {"§2.2.3 mail without a dot in the domain", "mail", "a@example", 0, MSG_BAD_MAIL},
        {"§2.2.3 mail with a space", "mail", "a b@example.com", 0, MSG_BAD_MAIL},
        {"§2.2.3 mail with a newline", "mail", "a@example.com\nBcc: x", 0, MSG_BAD_MAIL},
        {"§3.1 active", "umStatus", "active", 1},
        {"§3.1 deactivated", "umStatus", "deactivated", 1},
        {"§3.1 superuser", "umStatus", "superuser", 0, MSG_BAD_FIELD},
        {"§2.2.3 female", "umGender", "female", 1},
        {"§2.2.3 other", "umGender", "x", 0, MSG_BAD_FIELD},
        {"other fields are free", "sn", "anything", 1},
};

static void test_field(void **state)
{
	const field_row *r = *state;
	rights_msg why = MSG_COUNT;

	assert_int_equal(user_field_check(&why, S(r->attr), S(r->value)),
	                 r->ok ? RIGHTS_OK : RIGHTS_EINVAL);
	if (!r->ok)
		assert_int_equal(why, r->why);
}

static void test_user_state(void **state)
{
	rights_str active[] = {S("active")}, deact[] = {S("deactivated")},
	           two[] = {S("active"), S("deactivated")};
	rights_str admins[] = {S("ftp"), S("admins")}, users[] = {S("users")},
	           plain[] = {S("password-recovery"), S("ftp")};

	(void)state;
	assert_true(user_is_active(active, 1));
	assert_false(user_is_active(deact, 1));
	assert_false(user_is_active(NULL, 0)); /* fail closed: no status */
	assert_false(user_is_active(two, 2));
	assert_true(user_is_admin(admins, 2));
	assert_true(user_is_admin(users, 1));
	assert_false(user_is_admin(plain, 2));
	assert_false(user_is_admin(NULL, 0));
}

static void test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(dn_value_escape(out, sizeof(out), S("a,b+c")), 7);
	assert_string_equal(out, "a\\,b\\+c");
	dn_value_escape(out, sizeof(out), S(" #x "));
	assert_string_equal(out, "\\ #x\\ ");
	dn_value_escape(out, sizeof(out), S("a\nb"));
	assert_string_equal(out, "a\\0ab");
	/* truncated, still terminated; the length needed is returned */
	assert_int_equal(dn_value_escape(out, 4, S("abcdef")), 6);
	assert_string_equal(out, "abc");
}

int main(void)
{
	const struct CMUnitTest misc[] = {
	        cmocka_unit_test(test_user_state),
	        cmocka_unit_test(test_escape),
	};
	int failed = 0;

	failed += unit_run_rows("DESIGN §2 DN shapes", dn_rows, UNIT_NELEM(dn_rows),
	                        sizeof(dn_rows[0]), test_dn);
	failed += unit_run_rows("DESIGN rule 0 attributes", attr_rows, UNIT_NELEM(attr_rows),
	                        sizeof(attr_rows[0]), test_attr);
	failed += unit_run_rows("DESIGN rule 0 object classes", class_rows, UNIT_NELEM(class_rows),
	                        sizeof(class_rows[0]), test_classes);
	failed += unit_run_rows("DESIGN rule 0 who and where", place_rows, UNIT_NELEM(place_rows),
	                        sizeof(place_rows[0]), test_place);
	failed += unit_run_rows("manual §2.2.3 user fields", field_rows, UNIT_NELEM(field_rows),
	                        sizeof(field_rows[0]), test_field);
	failed += cmocka_run_group_tests_name("users", misc, NULL, NULL);
	return failed;
}
