/*
 * DESIGN rule 0, "shapes, not denylists": every entry under
 * ou=organizations is one of a closed set of kinds, recognised from its DN
 * alone; each kind has an exact set of object classes and, per identity,
 * the attributes that identity may write. Anything no list names is
 * refused. The tables below are the whole policy; shape_*() only read them.
 */
#include <string.h>
#include <strings.h>

#include "rights.h"

#define OP    (1u << RIGHTS_ROLE_OPERATOR)
#define PROV  (1u << RIGHTS_ROLE_PROVISIONER)
#define ADMIN (1u << RIGHTS_ROLE_ADMIN)
#define SELF  (1u << RIGHTS_ROLE_SELF)
#define ALL   (OP | PROV | ADMIN | SELF)
/* Only in ways check.c restricts further: pwdReset only to TRUE,
 * pwdAccountLockedTime only removed (DESIGN rule 0), uid only on add. */
#define PORTAL (OP | PROV | ADMIN)

typedef struct shape_attr {
	const char *name;
	unsigned writers;
} shape_attr;

typedef struct shape {
	const char *const *required; /* object classes every entry of the kind has */
	const char *const *optional; /* and the only others it may have */
	const shape_attr *attrs;
} shape;

static const char *const no_classes[] = {NULL};
static const char *const top_only[] = {"top", NULL};

/* manual §2.2.3 "Information client"; inetOrgPerson's superclasses may be
 * named or not. */
static const char *const user_required[] = {"inetOrgPerson", "umUser", NULL};
static const char *const user_optional[] = {"top", "person", "organizationalPerson", NULL};
static const shape_attr user_attrs[] = {
        {"objectClass", PORTAL},
        {"uid", PORTAL},
        /* the form's personal fields: rule 7 lets users keep their own */
        {"cn", ALL},
        {"sn", ALL},
        {"givenName", ALL},
        {"displayName", ALL},
        {"mail", ALL},
        {"preferredLanguage", ALL},
        {"umGender", ALL},
        {"telephoneNumber", ALL},
        {"umSecurityQuestion", ALL},
        {"umSecurityAnswer", ALL},
        {"userPassword", ALL},
        /* §2.2.4 management rights and §3.1 (de)activation: rules 2, 3 */
        {"umManage", PORTAL},
        {"umStatus", PORTAL},
        /* §3.2: an administrator makes a password temporary, or unlocks */
        {"pwdReset", PORTAL},
        {"pwdAccountLockedTime", PORTAL},
        /* projections: what e-applications authorise from */
        {"umAppAccess", OP | PROV},
        /* DESIGN §6 corporate sync: which source a user comes from, its
         * identity there, and whether the sync deactivated it */
        {"umSource", OP | PROV},
        {"umSourceKey", OP | PROV},
        {"umSourceGone", OP | PROV},
        {"umSourceDN", OP | PROV},
        /* policy and state: operators, and the portal's own internal
         * writes (memberof, ppolicy, the recovery operation) */
        {"pwdPolicySubentry", OP},
        {"memberOf", OP},
        {"umResetTokenHash", OP},
        {"umResetTokenExpiry", OP},
        {"umResetRequested", OP},
        {"umResetFailures", OP},
        {NULL, 0},
};

static const char *const grant_required[] = {"umGrant", NULL};
static const shape_attr grant_attrs[] = {
        {"objectClass", PORTAL},
        {"cn", PORTAL},
        {"umApplication", PORTAL},
        {"umScope", PORTAL},
        {"umRight", PORTAL},
        {"description", OP},
        {NULL, 0},
};

static const char *const delegation_required[] = {"umDelegation", NULL};
static const shape_attr delegation_attrs[] = {
        {"objectClass", PORTAL},
        {"cn", PORTAL},
        {"umApplication", PORTAL},
        {"umDelegate", PORTAL},
        {"umRight", PORTAL},
        {"description", OP},
        {NULL, 0},
};

/* Organisations and what hangs under them are the operator's (rule 6). */
static const char *const org_required[] = {"organization", "umOrganization", NULL};
static const shape_attr org_attrs[] = {
        {"objectClass", OP},
        {"o", OP},
        {"umOrgKind", OP},
        {"displayName", OP},
        {"postalAddress", OP},
        {"street", OP},
        {"postalCode", OP},
        {"l", OP},
        {"c", OP},
        {"description", OP},
        {"telephoneNumber", OP},
        {NULL, 0},
};

static const char *const ou_required[] = {"organizationalUnit", NULL};
static const shape_attr ou_attrs[] = {
        {"objectClass", OP},
        {"ou", OP},
        {"description", OP},
        {NULL, 0},
};

static const char *const billing_required[] = {"umBillingAddress", NULL};
static const shape_attr billing_attrs[] = {
        {"objectClass", OP}, {"umBillingId", OP}, {"cn", OP}, {"postalAddress", OP}, {"street", OP},
        {"postalCode", OP},  {"l", OP},           {"c", OP},  {"description", OP},   {NULL, 0},
};

static const char *const contract_required[] = {"umContract", NULL};
static const shape_attr contract_attrs[] = {
        {"objectClass", OP}, {"umContractId", OP},  {"umContractKind", OP},
        {"cn", OP},          {"postalAddress", OP}, {"description", OP},
        {NULL, 0},
};

static const shape_attr no_attrs[] = {{NULL, 0}};

static const shape shapes[RIGHTS_KIND_COUNT] = {
        [RIGHTS_KIND_ORGS] = {ou_required, top_only, ou_attrs},
        [RIGHTS_KIND_ORG] = {org_required, top_only, org_attrs},
        [RIGHTS_KIND_CONTAINER] = {ou_required, top_only, ou_attrs},
        [RIGHTS_KIND_USER] = {user_required, user_optional, user_attrs},
        [RIGHTS_KIND_GRANT] = {grant_required, top_only, grant_attrs},
        [RIGHTS_KIND_BILLING] = {billing_required, top_only, billing_attrs},
        [RIGHTS_KIND_CONTRACT] = {contract_required, top_only, contract_attrs},
        [RIGHTS_KIND_DELEGATION] = {delegation_required, top_only, delegation_attrs},
        [RIGHTS_KIND_UNKNOWN] = {no_classes, no_classes, no_attrs},
};

static int str_eq_ci(rights_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}

static int in_list(const char *const *list, rights_str s)
{
	for (; list && *list; list++)
		if (str_eq_ci(s, *list))
			return 1;
	return 0;
}

static const shape *shape_of(rights_kind kind)
{
	if ((unsigned)kind >= RIGHTS_KIND_COUNT || !shapes[kind].attrs)
		return &shapes[RIGHTS_KIND_UNKNOWN];
	return &shapes[kind];
}

rights_shape_verdict shape_attr_check(rights_kind kind, rights_role role, rights_str attr)
{
	const shape_attr *a;

	for (a = shape_of(kind)->attrs; a->name; a++) {
		if (!str_eq_ci(attr, a->name))
			continue;
		if ((unsigned)role < RIGHTS_ROLE_COUNT && (a->writers & (1u << role)))
			return RIGHTS_SHAPE_OK;
		return RIGHTS_SHAPE_NOT_YOURS;
	}
	return RIGHTS_SHAPE_FOREIGN;
}

int shape_classes_check(rights_str *bad, rights_kind kind, const rights_str *classes, size_t n)
{
	const shape *s = shape_of(kind);
	const char *const *r;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!in_list(s->required, classes[i]) && !in_list(s->optional, classes[i])) {
			*bad = classes[i];
			return RIGHTS_EINVAL;
		}
	}
	for (r = s->required; *r; r++) {
		for (i = 0; i < n && !str_eq_ci(classes[i], *r); i++)
			;
		if (i == n) {
			bad->ptr = *r;
			bad->len = strlen(*r);
			return RIGHTS_EINVAL;
		}
	}
	return n ? RIGHTS_OK : RIGHTS_EINVAL;
}

/* ---- DN shapes (DESIGN §2) ---------------------------------------------- */

int grant_name_parse(rights_str *app, rights_str *scope, rights_str name)
{
	const char *at = name.len ? memchr(name.ptr, '@', name.len) : NULL;

	/* exactly one '@': application and organisation ids have none */
	if (!at || at == name.ptr || at == name.ptr + name.len - 1 ||
	    memchr(at + 1, '@', name.len - (size_t)(at + 1 - name.ptr)))
		return RIGHTS_EINVAL;
	app->ptr = name.ptr;
	app->len = (size_t)(at - name.ptr);
	scope->ptr = at + 1;
	scope->len = name.len - app->len - 1;
	return RIGHTS_OK;
}

/* "type=value" with one of the given types: portal RDNs are single-valued
 * and carry no escapes (ids are plain: a '\' could hide a ',' or a '+'). */
static int rdn_is(rights_str rdn, const char *type, rights_str *value)
{
	size_t tl = strlen(type);

	if (rdn.len <= tl + 1 || strncasecmp(rdn.ptr, type, tl) || rdn.ptr[tl] != '=')
		return 0;
	if (memchr(rdn.ptr, '+', rdn.len) || memchr(rdn.ptr, '\\', rdn.len))
		return 0;
	if (value) {
		value->ptr = rdn.ptr + tl + 1;
		value->len = rdn.len - tl - 1;
	}
	return 1;
}

int portal_dn_parse(rights_dn *out, rights_str rel)
{
	rights_str rdns[6], ou, name;
	size_t start = 0, i;
	int n = 0;

	memset(out, 0, sizeof(*out));
	out->kind = RIGHTS_KIND_UNKNOWN;
	if (rel.len == 0) {
		out->kind = RIGHTS_KIND_ORGS;
		return RIGHTS_OK;
	}
	/* split at unescaped commas, left to right */
	for (i = 0; i <= rel.len; i++) {
		if (i < rel.len && rel.ptr[i] == '\\') {
			i++;
			continue;
		}
		if (i == rel.len || rel.ptr[i] == ',') {
			if (n == 6)
				return RIGHTS_OK;
			rdns[n].ptr = rel.ptr + start;
			rdns[n].len = i - start;
			n++;
			start = i + 1;
		}
	}
	if (!rdn_is(rdns[n - 1], "o", &out->org))
		return RIGHTS_OK;
	out->org_off = (size_t)(rdns[n - 1].ptr - rel.ptr);
	if (n == 1) {
		out->kind = RIGHTS_KIND_ORG;
		return RIGHTS_OK;
	}
	if (!rdn_is(rdns[n - 2], "ou", &ou))
		return RIGHTS_OK;
	if (n == 2) {
		if (str_eq_ci(ou, "users") || str_eq_ci(ou, "billing") ||
		    str_eq_ci(ou, "contracts") || str_eq_ci(ou, "delegations")) {
			out->kind = RIGHTS_KIND_CONTAINER;
			out->id = ou;
		}
		return RIGHTS_OK;
	}
	if (str_eq_ci(ou, "users") && rdn_is(rdns[n - 3], "uid", &out->uid)) {
		out->user_off = (size_t)(rdns[n - 3].ptr - rel.ptr);
		if (n == 3)
			out->kind = RIGHTS_KIND_USER;
		else if (n == 4 && rdn_is(rdns[0], "cn", &name) &&
		         grant_name_parse(&out->app, &out->scope, name) == RIGHTS_OK)
			out->kind = RIGHTS_KIND_GRANT;
		return RIGHTS_OK;
	}
	if (n != 3)
		return RIGHTS_OK;
	if (str_eq_ci(ou, "billing") && rdn_is(rdns[0], "umBillingId", &out->id))
		out->kind = RIGHTS_KIND_BILLING;
	else if (str_eq_ci(ou, "contracts") && rdn_is(rdns[0], "umContractId", &out->id))
		out->kind = RIGHTS_KIND_CONTRACT;
	else if (str_eq_ci(ou, "delegations") && rdn_is(rdns[0], "cn", &name) &&
	         grant_name_parse(&out->app, &out->scope, name) == RIGHTS_OK)
		out->kind = RIGHTS_KIND_DELEGATION;
	return RIGHTS_OK;
}

/* ---- who and where (DESIGN rule 0: decided before what) ----------------- */

int place_check(rights_msg *why, const rights_place *p)
{
	int own_org = p->writer_org.len == p->target_org.len &&
	              (p->writer_org.len == 0 ||
	               strncasecmp(p->writer_org.ptr, p->target_org.ptr, p->writer_org.len) == 0);

	switch (p->writer) {
	case RIGHTS_WRITER_OPERATOR:
		return RIGHTS_R_OK;
	case RIGHTS_WRITER_PROVISIONER:
		/* rule 6: the catalogue and the projections are its own; users,
		 * grants and delegations with rule 4 applied inside; in
		 * ou=system only the mail queue it empties */
		if (p->kind == RIGHTS_KIND_PROTECTED || p->kind == RIGHTS_KIND_USER ||
		    p->kind == RIGHTS_KIND_GRANT || p->kind == RIGHTS_KIND_DELEGATION ||
		    (p->kind == RIGHTS_KIND_SYSTEM && p->target_is_mail))
			return RIGHTS_R_OK;
		*why = MSG_PROTECTED;
		return RIGHTS_R_PERMISSION;
	case RIGHTS_WRITER_ANONYMOUS:
		*why = MSG_ANONYMOUS;
		return RIGHTS_R_PERMISSION;
	case RIGHTS_WRITER_USER:
		break;
	default:
		*why = MSG_NOT_ADMIN;
		return RIGHTS_R_PERMISSION;
	}
	if (p->kind != RIGHTS_KIND_USER && p->kind != RIGHTS_KIND_GRANT &&
	    p->kind != RIGHTS_KIND_DELEGATION) {
		/* rule 6: organisations, their containers, billing addresses,
		 * contracts and anything without a portal shape */
		*why = MSG_PROTECTED;
		return RIGHTS_R_PERMISSION;
	}
	if (!p->writer_active) {
		*why = MSG_WRITER_INACTIVE;
		return RIGHTS_R_PERMISSION;
	}
	if (!own_org) { /* rule 1; rule 8 writes stay inside the writer's org */
		*why = MSG_OTHER_ORG;
		return RIGHTS_R_PERMISSION;
	}
	if (p->target_is_self) {
		/* rule 7: a user's own entry (its personal fields); its own
		 * grants are never its own to write (rule 2) */
		if (p->kind == RIGHTS_KIND_USER)
			return RIGHTS_R_OK;
		*why = p->writer_admin ? MSG_SELF_RIGHTS : MSG_NOT_ADMIN;
		return RIGHTS_R_PERMISSION;
	}
	if (!p->writer_admin) {
		*why = MSG_NOT_ADMIN;
		return RIGHTS_R_PERMISSION;
	}
	return RIGHTS_R_OK;
}
