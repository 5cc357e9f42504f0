/*
 * slapo-delegate: entry fetches by DN. Grant and delegation RDNs are
 * deterministic (DESIGN §2), so nothing here ever searches.
 */
#include "delegate.h"

#include <stdarg.h>
#include <string.h>

static struct berval delegate_bv(rights_str s)
{
	struct berval bv;

	bv.bv_val = (char *)s.ptr;
	bv.bv_len = s.len;
	return bv;
}

int delegate_dn_parse(delegate_target *out, const delegate_info *di, struct berval *ndn)
{
	rights_dn d;
	rights_str rel;

	memset(out, 0, sizeof(*out));
	if (dnIsSuffix(ndn, &di->groups_ndn) || dnIsSuffix(ndn, &di->apps_ndn)) {
		out->kind = RIGHTS_KIND_PROTECTED;
		return 0;
	}
	if (!BER_BVISEMPTY(&di->system_ndn) && dnIsSuffix(ndn, &di->system_ndn)) {
		out->kind = RIGHTS_KIND_SYSTEM;
		out->in_mail = !BER_BVISEMPTY(&di->mail_ndn) && dnIsSuffix(ndn, &di->mail_ndn) &&
		               ndn->bv_len > di->mail_ndn.bv_len;
		return 0;
	}
	if (!dnIsSuffix(ndn, &di->orgs_ndn)) {
		out->kind = RIGHTS_KIND_OUTSIDE;
		return 0;
	}
	rel.ptr = ndn->bv_val;
	rel.len = ndn->bv_len == di->orgs_ndn.bv_len ? 0 : ndn->bv_len - di->orgs_ndn.bv_len - 1;
	portal_dn_parse(&d, rel);
	out->kind = d.kind;
	out->org = delegate_bv(d.org);
	out->uid = delegate_bv(d.uid);
	out->app = delegate_bv(d.app);
	out->scope = delegate_bv(d.scope);
	if (d.org.ptr) {
		out->org_ndn.bv_val = ndn->bv_val + d.org_off;
		out->org_ndn.bv_len = ndn->bv_len - d.org_off;
	}
	if (d.uid.ptr) {
		out->user_ndn.bv_val = ndn->bv_val + d.user_off;
		out->user_ndn.bv_len = ndn->bv_len - d.user_off;
	}
	return 0;
}

/* The RDN value of `pretty` at the position `ndn` has one at `at`: the
 * name as the writer spelled it (normalised DNs fold uid's case). Left as
 * it is unless both name the same thing. */
static void delegate_spell_one(struct berval *value, struct berval *pretty, struct berval *ndn)
{
	ber_len_t i, start = 0;
	int index = 0, n = 0;
	char *eq;

	if (!value->bv_val || value->bv_val < ndn->bv_val ||
	    value->bv_val >= ndn->bv_val + ndn->bv_len)
		return;
	for (i = 0; ndn->bv_val + i < value->bv_val; i++) {
		if (ndn->bv_val[i] == '\\')
			i++;
		else if (ndn->bv_val[i] == ',')
			index++;
	}
	for (i = 0; i <= pretty->bv_len; i++) {
		if (i < pretty->bv_len && pretty->bv_val[i] == '\\') {
			i++;
			continue;
		}
		if (i < pretty->bv_len && pretty->bv_val[i] != ',')
			continue;
		if (n++ == index) {
			eq = memchr(pretty->bv_val + start, '=', i - start);
			if (eq && (ber_len_t)(pretty->bv_val + i - eq - 1) == value->bv_len &&
			    !strncasecmp(eq + 1, value->bv_val, value->bv_len))
				value->bv_val = eq + 1;
			return;
		}
		start = i + 1;
	}
}

void delegate_target_spell(delegate_target *t, struct berval *pretty, struct berval *ndn)
{
	/* uid only: org, app and scope stay normalised, they build DNs */
	delegate_spell_one(&t->uid, pretty, ndn);
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
	rights_str v = {val, len};

	dn_value_escape(out, size, v);
}

/* The same from parts that are all normalised already (RDN values taken
 * from normalised DNs): the concatenation is the normalised DN, and
 * dnNormalize() would cost more than the fetch it prepares. */
static int delegate_ndn_join(struct berval *out, Operation *op, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0)
		return LDAP_INVALID_DN_SYNTAX;
	out->bv_val = op->o_tmpalloc(len + 1, op->o_tmpmemctx);
	va_start(ap, fmt);
	vsnprintf(out->bv_val, len + 1, fmt, ap);
	va_end(ap);
	out->bv_len = len;
	return LDAP_SUCCESS;
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

/* rights_str views of a value array, for lib (op->o_tmpmemctx; NULL and
 * *n = 0 when there is none; free with op->o_tmpfree). */
rights_str *delegate_strs(Operation *op, BerVarray vals, size_t *n)
{
	rights_str *out = NULL;
	size_t i;

	for (*n = 0; vals && vals[*n].bv_val; (*n)++)
		;
	if (!*n)
		return NULL;
	out = op->o_tmpalloc(*n * sizeof(*out), op->o_tmpmemctx);
	for (i = 0; i < *n; i++) {
		out[i].ptr = vals[i].bv_val;
		out[i].len = vals[i].bv_len;
	}
	return out;
}

/* Asks lib about a value array. */
int delegate_vals_ask(Operation *op, BerVarray vals, int (*ask)(const rights_str *, size_t))
{
	size_t n;
	rights_str *strs = delegate_strs(op, vals, &n);
	int r = ask(strs, n);

	if (strs)
		op->o_tmpfree(strs, op->o_tmpmemctx);
	return r;
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
		out->active = delegate_vals_ask(op, a ? a->a_nvals : NULL, user_is_active);
		if ((a = attr_find(e->e_attrs, delegate_ad.manage))) {
			ber_bvarray_dup_x(&out->manage, a->a_nvals, op->o_tmpmemctx);
			out->is_admin = delegate_vals_ask(op, out->manage, user_is_admin);
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
 * What B holds on (app, scope), rule 3 (app and scope normalised, as
 * delegate_dn_parse() gives them): its own grant cn=app@scope and, for
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
	if (delegate_ndn_join(&ndn, op, "cn=%.*s@%.*s,%s", (int)app->bv_len, app->bv_val,
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
	if (delegate_ndn_join(&ndn, op, "cn=%.*s@%.*s,ou=delegations,o=%.*s,%s", (int)app->bv_len,
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
