/*
 * slapo-delegate: entry fetches by DN. Grant and delegation RDNs are
 * deterministic (DESIGN §2), so nothing here ever searches.
 */
#include "delegate.h"

#include <stdarg.h>
#include <string.h>

/* Splits a normalised DN into RDNs at unescaped commas, right to left. */
static int delegate_rdn_split(struct berval *rdns, int max, struct berval *dn)
{
	int n = 0;
	ber_len_t start = 0, i;

	for (i = 0; i <= dn->bv_len; i++) {
		if (i < dn->bv_len && dn->bv_val[i] == '\\') {
			i++;
			continue;
		}
		if (i == dn->bv_len || dn->bv_val[i] == ',') {
			if (n == max)
				return -1;
			rdns[n].bv_val = dn->bv_val + start;
			rdns[n].bv_len = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

/* "type=value" with the given (lower-case, normalised) type? */
static int delegate_rdn_is(struct berval *rdn, const char *type, struct berval *value)
{
	size_t tl = strlen(type);

	if (rdn->bv_len <= tl + 1 || strncmp(rdn->bv_val, type, tl) || rdn->bv_val[tl] != '=')
		return 0;
	if (memchr(rdn->bv_val, '+', rdn->bv_len))
		return 0; /* multi-valued RDNs are not portal shapes */
	if (value) {
		value->bv_val = rdn->bv_val + tl + 1;
		value->bv_len = rdn->bv_len - tl - 1;
	}
	return 1;
}

/* app@scope: the scope is after the last '@' (orgIds have none). */
static int delegate_split_at(struct berval *name, struct berval *app, struct berval *scope)
{
	ber_len_t i;

	for (i = name->bv_len; i > 0; i--) {
		if (name->bv_val[i - 1] == '@')
			break;
	}
	if (i <= 1 || i == name->bv_len)
		return 0;
	app->bv_val = name->bv_val;
	app->bv_len = i - 1;
	scope->bv_val = name->bv_val + i;
	scope->bv_len = name->bv_len - i;
	return 1;
}

int delegate_dn_parse(delegate_target *out, const delegate_info *di, struct berval *ndn)
{
	struct berval rdns[8], rel, name;
	int n;

	memset(out, 0, sizeof(*out));
	if (dnIsSuffix(ndn, &di->groups_ndn) || dnIsSuffix(ndn, &di->apps_ndn)) {
		out->kind = DK_PROTECTED;
		return 0;
	}
	if (!dnIsSuffix(ndn, &di->orgs_ndn)) {
		out->kind = DK_OUTSIDE;
		return 0;
	}
	out->kind = DK_ORG_OTHER;
	if (ndn->bv_len == di->orgs_ndn.bv_len)
		return 0;
	rel.bv_val = ndn->bv_val;
	rel.bv_len = ndn->bv_len - di->orgs_ndn.bv_len - 1;
	n = delegate_rdn_split(rdns, 8, &rel);
	if (n < 1 || !delegate_rdn_is(&rdns[n - 1], "o", &out->org))
		return 0;
	out->org_ndn.bv_val = rdns[n - 1].bv_val;
	out->org_ndn.bv_len = ndn->bv_len - (rdns[n - 1].bv_val - ndn->bv_val);

	if ((n == 3 || n == 4) && delegate_rdn_is(&rdns[n - 2], "ou", &name) && name.bv_len == 5 &&
	    !strncmp(name.bv_val, "users", 5) && delegate_rdn_is(&rdns[n - 3], "uid", &out->uid)) {
		out->user_ndn.bv_val = rdns[n - 3].bv_val;
		out->user_ndn.bv_len = ndn->bv_len - (rdns[n - 3].bv_val - ndn->bv_val);
		if (n == 3) {
			out->kind = DK_USER;
			return 0;
		}
		if (delegate_rdn_is(&rdns[0], "cn", &name) &&
		    delegate_split_at(&name, &out->app, &out->scope))
			out->kind = DK_GRANT;
		return 0;
	}
	if (n == 3 && delegate_rdn_is(&rdns[1], "ou", &name) && name.bv_len == 11 &&
	    !strncmp(name.bv_val, "delegations", 11) && delegate_rdn_is(&rdns[0], "cn", &name) &&
	    delegate_split_at(&name, &out->app, &out->scope))
		out->kind = DK_DELEGATION;
	return 0;
}

int delegate_entry_get(Operation *op, slap_overinst *on, struct berval *ndn, Entry **e)
{
	*e = NULL;
	if (overlay_entry_get_ov(op, ndn, NULL, NULL, 0, e, on) != LDAP_SUCCESS || !*e) {
		*e = NULL;
		return LDAP_NO_SUCH_OBJECT;
	}
	return LDAP_SUCCESS;
}

void delegate_entry_release(Operation *op, slap_overinst *on, Entry *e)
{
	if (e)
		overlay_entry_release_ov(op, e, 0, on);
}

void delegate_rdn_escape(char *out, size_t size, const char *val, size_t len)
{
	size_t i, o = 0;

	if (!size)
		return;
	for (i = 0; i < len && o + 4 < size; i++) {
		unsigned char c = (unsigned char)val[i];
		int special = strchr(",+\"\\<>;=", c) != NULL ||
		              (i == 0 && (c == '#' || c == ' ')) || (i == len - 1 && c == ' ');
		if (c < 0x20 || c == 0x7f) {
			o += snprintf(out + o, size - o, "\\%02x", c);
			continue;
		}
		if (special)
			out[o++] = '\\';
		out[o++] = c;
	}
	out[o] = '\0';
}

int delegate_ndn_build(struct berval *out, Operation *op, const char *fmt, ...)
{
	char buf[1024];
	struct berval dn;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return LDAP_INVALID_DN_SYNTAX;
	dn.bv_val = buf;
	dn.bv_len = len;
	return dnNormalize(0, NULL, NULL, &dn, out, op->o_tmpmemctx);
}

int delegate_value_has(BerVarray vals, struct berval *v)
{
	for (; vals && vals->bv_val; vals++) {
		if (vals->bv_len == v->bv_len && !strncasecmp(vals->bv_val, v->bv_val, v->bv_len))
			return 1;
	}
	return 0;
}

static int delegate_is_operator(Operation *op, slap_overinst *on, delegate_info *di)
{
	Entry *group = NULL;
	Attribute *a;
	int found = 0;

	if (be_isroot(op))
		return 1;
	if (BER_BVISEMPTY(&di->operators_ndn) ||
	    delegate_entry_get(op, on, &di->operators_ndn, &group) != LDAP_SUCCESS)
		return 0;
	a = attr_find(group->e_attrs, delegate_ad.member);
	if (a)
		found = attr_valfind(a,
		                     SLAP_MR_ATTRIBUTE_VALUE_NORMALIZED_MATCH |
		                             SLAP_MR_ASSERTED_VALUE_NORMALIZED_MATCH,
		                     &op->o_ndn, NULL, op->o_tmpmemctx) == LDAP_SUCCESS;
	delegate_entry_release(op, on, group);
	return found;
}

int delegate_writer_resolve(delegate_writer *out, Operation *op, slap_overinst *on)
{
	delegate_info *di = on->on_bi.bi_private;
	Entry *e = NULL;
	Attribute *a;

	memset(out, 0, sizeof(*out));
	out->lang = RIGHTS_LANG_EN;
	if (BER_BVISEMPTY(&op->o_ndn)) {
		out->who = DW_ANONYMOUS;
		return 0;
	}
	if (!BER_BVISEMPTY(&di->provisioner_ndn) && dn_match(&op->o_ndn, &di->provisioner_ndn)) {
		out->who = DW_PROVISIONER;
		return 0;
	}
	out->who = delegate_is_operator(op, on, di) ? DW_OPERATOR : DW_OTHER;
	delegate_dn_parse(&out->dn, di, &op->o_ndn);
	if (be_isroot(op) || delegate_entry_get(op, on, &op->o_ndn, &e) != LDAP_SUCCESS)
		return 0;
	if ((a = attr_find(e->e_attrs, delegate_ad.pref_lang)))
		out->lang = lang_or_default(a->a_vals[0].bv_val, a->a_vals[0].bv_len);
	if (out->who == DW_OTHER && out->dn.kind == DK_USER &&
	    is_entry_objectclass(e, delegate_ad.oc_user, 0)) {
		out->who = DW_USER;
		a = attr_find(e->e_attrs, delegate_ad.status);
		out->active = a && a->a_nvals[0].bv_len == 6 &&
		              !strncmp(a->a_nvals[0].bv_val, "active", 6);
		if ((a = attr_find(e->e_attrs, delegate_ad.manage))) {
			ber_bvarray_dup_x(&out->manage, a->a_nvals, op->o_tmpmemctx);
			out->is_admin =
			        delegate_value_has(out->manage, &(struct berval)BER_BVC("users")) ||
			        delegate_value_has(out->manage, &(struct berval)BER_BVC("admins"));
		}
		if ((a = attr_find(e->e_attrs, delegate_ad.uid)))
			ber_dupbv_x(&out->name, &a->a_vals[0], op->o_tmpmemctx);
	}
	delegate_entry_release(op, on, e);
	return 0;
}

void delegate_writer_free(Operation *op, delegate_writer *w)
{
	if (w->manage)
		ber_bvarray_free_x(w->manage, op->o_tmpmemctx);
	if (w->name.bv_val)
		op->o_tmpfree(w->name.bv_val, op->o_tmpmemctx);
	w->manage = NULL;
	BER_BVZERO(&w->name);
}

int delegate_org_is_router(Operation *op, slap_overinst *on, struct berval *org_ndn)
{
	Entry *e = NULL;
	Attribute *a;
	int router = 0;

	if (delegate_entry_get(op, on, org_ndn, &e) != LDAP_SUCCESS)
		return 0;
	a = attr_find(e->e_attrs, delegate_ad.org_kind);
	router = a && a->a_nvals[0].bv_len == 6 && !strncmp(a->a_nvals[0].bv_val, "router", 6);
	delegate_entry_release(op, on, e);
	return router;
}

static void delegate_values_append(BerVarray *out, Entry *e, Operation *op)
{
	Attribute *a = attr_find(e->e_attrs, delegate_ad.right);
	BerVarray v;

	if (!a)
		return;
	for (v = a->a_nvals; v->bv_val; v++)
		ber_bvarray_add_x(out, ber_dupbv_x(NULL, v, op->o_tmpmemctx), op->o_tmpmemctx);
}

/*
 * What B holds on (app, scope), rule 3: its own grant cn=app@scope and, for
 * an administrator of router R, the delegation cn=app@R under the scope
 * organisation (§2.3.1 sous-traitants: given to the router's administrator,
 * who passes them on).
 */
int delegate_holdings(BerVarray *out, Operation *op, slap_overinst *on, const delegate_writer *w,
                      struct berval *app, struct berval *scope)
{
	delegate_info *di = on->on_bi.bi_private;
	struct berval ndn = BER_BVNULL, writer_org;
	Entry *e = NULL;

	*out = NULL;
	if (delegate_ndn_build(&ndn, op, "cn=%.*s@%.*s,%s", (int)app->bv_len, app->bv_val,
	                       (int)scope->bv_len, scope->bv_val,
	                       op->o_ndn.bv_val) == LDAP_SUCCESS) {
		if (delegate_entry_get(op, on, &ndn, &e) == LDAP_SUCCESS) {
			delegate_values_append(out, e, op);
			delegate_entry_release(op, on, e);
		}
		op->o_tmpfree(ndn.bv_val, op->o_tmpmemctx);
	}
	if (!w->is_admin || (scope->bv_len == w->dn.org.bv_len &&
	                     !strncmp(scope->bv_val, w->dn.org.bv_val, scope->bv_len)))
		return 0;
	writer_org = w->dn.org_ndn;
	if (!delegate_org_is_router(op, on, &writer_org))
		return 0;
	if (delegate_ndn_build(&ndn, op, "cn=%.*s@%.*s,ou=delegations,o=%.*s,%s", (int)app->bv_len,
	                       app->bv_val, (int)w->dn.org.bv_len, w->dn.org.bv_val,
	                       (int)scope->bv_len, scope->bv_val,
	                       di->orgs_ndn.bv_val) == LDAP_SUCCESS) {
		if (delegate_entry_get(op, on, &ndn, &e) == LDAP_SUCCESS) {
			delegate_values_append(out, e, op);
			delegate_entry_release(op, on, e);
		}
		op->o_tmpfree(ndn.bv_val, op->o_tmpmemctx);
	}
	return 0;
}

/* grant_validate()'s resolver: billing and contract values must name an
 * entry of the scoped organisation (rule 4, §2.3.1 to §2.3.6). */
int delegate_resolve_resource(void *ctx, rights_source source, rights_str id, rights_str *kind)
{
	delegate_resolve_ctx *rc = ctx;
	delegate_info *di = rc->on->on_bi.bi_private;
	char esc[512];
	struct berval ndn = BER_BVNULL;
	Entry *e = NULL;
	Attribute *a;
	int found = 0;

	delegate_rdn_escape(esc, sizeof(esc), id.ptr, id.len);
	if (delegate_ndn_build(&ndn, rc->op, "%s=%s,ou=%s,o=%.*s,%s",
	                       source == RIGHTS_SOURCE_BILLING ? "umBillingId" : "umContractId",
	                       esc, source == RIGHTS_SOURCE_BILLING ? "billing" : "contracts",
	                       (int)rc->scope.bv_len, rc->scope.bv_val,
	                       di->orgs_ndn.bv_val) != LDAP_SUCCESS)
		return 0;
	if (delegate_entry_get(rc->op, rc->on, &ndn, &e) == LDAP_SUCCESS) {
		found = 1;
		rc->kind[0] = '\0';
		if ((a = attr_find(e->e_attrs, delegate_ad.contract_kind)))
			snprintf(rc->kind, sizeof(rc->kind), "%.*s", (int)a->a_nvals[0].bv_len,
			         a->a_nvals[0].bv_val);
		if (kind) {
			kind->ptr = rc->kind;
			kind->len = strlen(rc->kind);
		}
		delegate_entry_release(rc->op, rc->on, e);
	}
	rc->op->o_tmpfree(ndn.bv_val, rc->op->o_tmpmemctx);
	return found;
}
