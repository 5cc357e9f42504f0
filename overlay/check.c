/*
 * slapo-delegate: the rules of DESIGN §3 as pure decisions over entries.
 * before/after are the target entry before and after the write (NULL for
 * an add / a delete); the caller fetched them and releases them.
 */
#include "delegate.h"

#include <string.h>

typedef struct delegate_x {
	Operation *op;
	slap_overinst *on;
	delegate_info *di;
	const delegate_writer *w;
	const delegate_target *t;
	int privileged; /* operators and the provisioner: rule 4 only */
	rights_lang lang;
} delegate_x;

static int delegate_refuse(delegate_verdict *v, int code, rights_msg msg)
{
	v->code = code;
	v->msg = msg;
	return code;
}

static void delegate_set(char *buf, size_t size, const char **arg, const char *s, size_t len)
{
	snprintf(buf, size, "%.*s", (int)len, s);
	*arg = buf;
}

static BerVarray delegate_vals(Entry *e, AttributeDescription *ad)
{
	Attribute *a;

	if (!e || !(a = attr_find(e->e_attrs, ad)))
		return NULL;
	return a->a_nvals;
}

static int delegate_bv_in(BerVarray vals, struct berval *v)
{
	for (; vals && vals->bv_val; vals++) {
		if (vals->bv_len == v->bv_len && !memcmp(vals->bv_val, v->bv_val, v->bv_len))
			return 1;
	}
	return 0;
}

/* The first value added or removed between two value sets, or NULL. */
static struct berval *delegate_first_change(BerVarray before, BerVarray after, int *added)
{
	BerVarray v;

	for (v = after; v && v->bv_val; v++) {
		if (!delegate_bv_in(before, v)) {
			*added = 1;
			return v;
		}
	}
	for (v = before; v && v->bv_val; v++) {
		if (!delegate_bv_in(after, v)) {
			*added = 0;
			return v;
		}
	}
	return NULL;
}

static int delegate_changed(Entry *before, Entry *after, AttributeDescription *ad)
{
	int added;

	return delegate_first_change(delegate_vals(before, ad), delegate_vals(after, ad), &added) !=
	       NULL;
}

static int delegate_holds_manage(const delegate_writer *w, const char *id)
{
	struct berval bv;

	bv.bv_val = (char *)id;
	bv.bv_len = strlen(id);
	return delegate_value_has(w->manage, &bv);
}

static int delegate_is_admin_entry(Operation *op, Entry *e)
{
	return delegate_vals_ask(op, delegate_vals(e, delegate_ad.manage), user_is_admin);
}

/* The display name of a user (its uid as typed) or an organisation. */
static void delegate_user_name(delegate_verdict *v, Entry *e, const struct berval *fallback)
{
	Attribute *a = e ? attr_find(e->e_attrs, delegate_ad.uid) : NULL;
	const struct berval *name = a ? &a->a_vals[0] : fallback;

	delegate_set(v->user, sizeof(v->user), &v->args.user, name->bv_val, name->bv_len);
}

static void delegate_org_name(delegate_verdict *v, delegate_x *x, struct berval *org_id,
                              const char **arg)
{
	struct berval ndn = BER_BVNULL;
	Entry *e = NULL;
	Attribute *a;

	delegate_set(v->org, sizeof(v->org), arg, org_id->bv_val, org_id->bv_len);
	if (delegate_ndn_build(&ndn, x->op, "o=%.*s,%s", (int)org_id->bv_len, org_id->bv_val,
	                       x->di->orgs_ndn.bv_val) != LDAP_SUCCESS)
		return;
	if (delegate_entry_get(x->op, x->on, &ndn, &e) == LDAP_SUCCESS) {
		if ((a = attr_find(e->e_attrs, delegate_ad.display_name)) ||
		    (a = attr_find(e->e_attrs, delegate_ad.o)))
			delegate_set(v->org, sizeof(v->org), arg, a->a_vals[0].bv_val,
			             a->a_vals[0].bv_len);
		delegate_entry_release(x->op, x->on, e);
	}
	x->op->o_tmpfree(ndn.bv_val, x->op->o_tmpmemctx);
}

/* "Rôle: Validation + prix" rather than role:validation-price. */
static void delegate_right_label(delegate_verdict *v, delegate_x *x, const rights_app *app,
                                 struct berval *val)
{
	rights_str r = {val->bv_val, val->bv_len}, d, value;
	const rights_dim *dim;
	const rights_value *rv;
	size_t half = sizeof(v->right);

	snprintf(v->right, half, "%.*s", (int)val->bv_len, val->bv_val);
	v->args.right = v->right;
	if (!app || right_parse(&d, &value, r) != RIGHTS_OK || !(dim = app_dim(app, d)))
		return;
	rv = dim_value(dim, value);
	if (rv)
		snprintf(v->right, half, "%s: %s", dim_label(dim, x->lang),
		         value_label(rv, x->lang));
	else
		snprintf(v->right, half, "%s: %.*s", dim_label(dim, x->lang), (int)value.len,
		         value.ptr);
}

static void delegate_manage_label(delegate_verdict *v, delegate_x *x, const char *id, size_t len)
{
	rights_str s = {id, len};
	const char *label = catalog_manage_label(x->di->catalog, s, x->lang);

	if (label)
		delegate_set(v->right, sizeof(v->right), &v->args.right, label, strlen(label));
	else
		delegate_set(v->right, sizeof(v->right), &v->args.right, id, len);
}

/* ---- users (rules 2, 3, 4, 5, 6, 7) ------------------------------------ */

/* §2.2.3: the fields of the "Information client" form. */
static int delegate_validate_user(delegate_verdict *v, delegate_x *x, Entry *before, Entry *after)
{
	AttributeDescription *fields[] = {delegate_ad.pref_lang, delegate_ad.mail,
	                                  delegate_ad.status, delegate_ad.gender, NULL};
	AttributeDescription *required[] = {delegate_ad.uid,
	                                    delegate_ad.given_name,
	                                    delegate_ad.sn,
	                                    delegate_ad.mail,
	                                    delegate_ad.pref_lang,
	                                    NULL,
	                                    NULL,
	                                    NULL};
	BerVarray old, val;
	int i;

	if (!before && !x->privileged) {
		/* the form requires these of an administrator, not of a
		 * corporate directory feeding provisiond */
		required[5] = slap_schema.si_ad_userPassword;
		required[6] = delegate_ad.gender;
	}
	if (!is_entry_objectclass(after, delegate_ad.oc_user, 0)) {
		delegate_set(v->reason, sizeof(v->reason), &v->args.right, "objectClass: umUser",
		             19);
		return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_MISSING_FIELD);
	}
	for (i = 0; required[i]; i++) {
		if (attr_find(after->e_attrs, required[i]))
			continue;
		if (before && !attr_find(before->e_attrs, required[i]))
			continue; /* an old entry's gap is not this write's fault */
		delegate_set(v->reason, sizeof(v->reason), &v->args.right,
		             required[i]->ad_cname.bv_val, required[i]->ad_cname.bv_len);
		return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_MISSING_FIELD);
	}
	/* lib's user_field_check() for every value this write brings in (an old
	 * entry's odd value is not this write's fault) */
	for (i = 0; fields[i]; i++) {
		rights_str name = {fields[i]->ad_cname.bv_val, fields[i]->ad_cname.bv_len};
		rights_msg why;
		old = delegate_vals(before, fields[i]);
		for (val = delegate_vals(after, fields[i]); val && val->bv_val; val++) {
			rights_str value = {val->bv_val, val->bv_len};
			if (delegate_bv_in(old, val) ||
			    user_field_check(&why, name, value) == RIGHTS_OK)
				continue;
			delegate_set(v->reason, sizeof(v->reason), &v->args.right, val->bv_val,
			             val->bv_len);
			return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, why);
		}
	}
	for (val = delegate_vals(after, delegate_ad.manage); val && val->bv_val; val++) {
		rights_str id = {val->bv_val, val->bv_len};
		if (!catalog_manage_exists(x->di->catalog, id))
			goto bad_field;
	}
	return LDAP_SUCCESS;
bad_field:
	delegate_set(v->reason, sizeof(v->reason), &v->args.right, val->bv_val, val->bv_len);
	return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_BAD_FIELD);
}

/* Rules 5 and 7: what e-applications authorize from (umAppAccess, written
 * by provisiond from the grants) and whether a password is temporary
 * (pwdReset, §3.2) are not for users or administrators to set: an
 * administrator may only make a password temporary, never permanent. */
static int delegate_check_reserved(delegate_verdict *v, Entry *before, Entry *after)
{
	BerVarray reset = delegate_vals(after, delegate_ad.pwd_reset);

	if (delegate_changed(before, after, delegate_ad.pwd_reset) &&
	    !(reset && reset[0].bv_len == 4 && !strncasecmp(reset[0].bv_val, "TRUE", 4))) {
		delegate_set(v->right, sizeof(v->right), &v->args.right, "pwdReset", 8);
		return delegate_refuse(v, LDAP_INSUFFICIENT_ACCESS, MSG_RESERVED_ATTR);
	}
	return LDAP_SUCCESS;
}

/* A password set for someone else, or by an operator, escapes ppolicy's
 * quality check (is_pwdadmin): §3.2 applies to it here, in the writer's
 * language. The clear text is in the entry or the modifications (ppolicy
 * hashes it after us) or, for Password Modify, in the request. */
static int delegate_check_set_passwords(delegate_verdict *v, delegate_x *x)
{
	Operation *op = x->op;
	slap_callback *sc;
	Modifications *ml;
	Attribute *a;
	BerVarray vals = NULL;
	struct berval one[2] = {BER_BVNULL, BER_BVNULL};
	rights_msg why;

	for (sc = op->o_callback; sc; sc = sc->sc_next) {
		if (sc->sc_response == slap_null_cb && sc->sc_private) {
			one[0] = ((req_pwdexop_s *)sc->sc_private)->rs_new;
			vals = one;
			break;
		}
	}
	if (!vals && op->o_tag == LDAP_REQ_ADD &&
	    (a = attr_find(op->ora_e->e_attrs, slap_schema.si_ad_userPassword)))
		vals = a->a_vals;
	if (!vals && op->o_tag == LDAP_REQ_MODIFY) {
		for (ml = op->orm_modlist; ml; ml = ml->sml_next) {
			if (ml->sml_desc == slap_schema.si_ad_userPassword &&
			    (ml->sml_op == LDAP_MOD_ADD || ml->sml_op == LDAP_MOD_REPLACE))
				vals = ml->sml_values;
		}
	}
	for (; vals && vals->bv_val; vals++) {
		if (vals->bv_val[0] == '{' && memchr(vals->bv_val, '}', vals->bv_len)) {
			/* operators may carry hashes over, e.g. from a migration */
			if (x->w->who == DW_OPERATOR)
				continue;
			return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_PASSWORD_HASHED);
		}
		if (password_quality(&why, vals->bv_val, vals->bv_len, x->di->password_min) !=
		    RIGHTS_OK) {
			snprintf(v->reason, sizeof(v->reason), "%u", x->di->password_min);
			v->args.right = v->reason;
			return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, why);
		}
	}
	return LDAP_SUCCESS;
}

static int delegate_check_user(delegate_verdict *v, delegate_x *x, Entry *before, Entry *after)
{
	const delegate_writer *w = x->w;
	int self, rc;

	delegate_user_name(v, before ? before : after, &x->t->uid);
	if (!after) {
		/* §3.1: "Il n'est pas possible de supprimer les droits d'accès.
		 * L'administrateur peut uniquement désactiver l'utilisateur." */
		if (x->privileged)
			return LDAP_SUCCESS;
		return delegate_refuse(v, LDAP_UNWILLING_TO_PERFORM, MSG_NO_DELETE);
	}
	self = !x->privileged && dn_match(&x->op->o_ndn, &x->t->user_ndn);
	if (!x->privileged) {
		if (before && delegate_changed(before, after, delegate_ad.uid))
			return delegate_refuse(v, LDAP_UNWILLING_TO_PERFORM, MSG_UID_IMMUTABLE);
		if ((rc = delegate_check_reserved(v, before, after)) != LDAP_SUCCESS)
			return rc;
		if (!self) {
			/* rule 2, §2.2.4: users for users, admins for admins */
			const char *need = delegate_is_admin_entry(x->op, before) ||
			                                   delegate_is_admin_entry(x->op, after)
			                           ? "admins"
			                           : "users";
			if (!delegate_holds_manage(w, need)) {
				delegate_manage_label(v, x, need, strlen(need));
				return delegate_refuse(v, LDAP_INSUFFICIENT_ACCESS,
				                       MSG_NEED_MANAGE);
			}
		}
	}
	if ((rc = delegate_validate_user(v, x, before, after)) != LDAP_SUCCESS)
		return rc;
	if (!self && x->w->who != DW_PROVISIONER &&
	    (rc = delegate_check_set_passwords(v, x)) != LDAP_SUCCESS)
		return rc;
	if (x->privileged || self)
		return LDAP_SUCCESS;
	/* rule 3 on umManage: given or taken, it must be held (§2.3, §2.2.4 ***) */
	{
		rights_str *bs, *as, *hs, *changed;
		const rights_str *sets[1];
		size_t nb, na, nh, nc;
		long miss;

		bs = delegate_strs(x->op, delegate_vals(before, delegate_ad.manage), &nb);
		as = delegate_strs(x->op, delegate_vals(after, delegate_ad.manage), &na);
		hs = delegate_strs(x->op, w->manage, &nh);
		changed = x->op->o_tmpalloc((nb + na + 1) * sizeof(*changed), x->op->o_tmpmemctx);
		nc = subset_changed(changed, bs, nb, as, na);
		sets[0] = hs;
		miss = subset_first_missing(sets, &nh, 1, changed, nc);
		if (miss >= 0)
			delegate_manage_label(v, x, changed[miss].ptr, changed[miss].len);
		x->op->o_tmpfree(changed, x->op->o_tmpmemctx);
		if (bs)
			x->op->o_tmpfree(bs, x->op->o_tmpmemctx);
		if (as)
			x->op->o_tmpfree(as, x->op->o_tmpmemctx);
		if (hs)
			x->op->o_tmpfree(hs, x->op->o_tmpmemctx);
		if (miss >= 0)
			return delegate_refuse(v, LDAP_INSUFFICIENT_ACCESS, MSG_NOT_HELD_MANAGE);
	}
	return LDAP_SUCCESS;
}

/* ---- grants and delegations (rules 3, 4, 8) ----------------------------- */

static int delegate_bv_eq_ci(struct berval *a, struct berval *b)
{
	return a->bv_len == b->bv_len && !strncasecmp(a->bv_val, b->bv_val, a->bv_len);
}

static int delegate_validate_values(delegate_verdict *v, delegate_x *x, const rights_app *app,
                                    Entry *after, struct berval *scope, int scope_is_router)
{
	delegate_resolve_ctx rc;
	rights_grant_ctx gc;
	rights_violation why;
	rights_str *vals = NULL;
	Attribute *a = attr_find(after->e_attrs, delegate_ad.right);
	size_t n = 0, i;
	int r;

	if (a)
		for (; a->a_vals[n].bv_val; n++)
			;
	if (n) {
		vals = x->op->o_tmpalloc(n * sizeof(*vals), x->op->o_tmpmemctx);
		for (i = 0; i < n; i++) {
			vals[i].ptr = a->a_vals[i].bv_val;
			vals[i].len = a->a_vals[i].bv_len;
		}
	}
	memset(&rc, 0, sizeof(rc));
	rc.op = x->op;
	rc.on = x->on;
	rc.scope = *scope;
	memset(&gc, 0, sizeof(gc));
	gc.scope_is_router = scope_is_router;
	gc.resolve = delegate_resolve_resource;
	gc.resolve_ctx = &rc;
	memset(&why, 0, sizeof(why));
	r = grant_validate(&why, x->di->catalog, app, vals, n, &gc);
	if (r == RIGHTS_EINVAL) {
		struct berval bad = {why.value.len, (char *)why.value.ptr};
		if (why.kind == RIGHTS_V_PROFILE && why.profile_value.ptr) {
			bad.bv_val = (char *)why.profile_value.ptr;
			bad.bv_len = why.profile_value.len;
		}
		if (bad.bv_val)
			delegate_right_label(v, x, app, &bad);
		else
			delegate_set(v->right, sizeof(v->right), &v->args.right, app_id(app),
			             strlen(app_id(app)));
		v->args.reason = messages_violation(why.kind, x->lang);
	}
	if (vals)
		x->op->o_tmpfree(vals, x->op->o_tmpmemctx);
	if (r == RIGHTS_OK)
		return LDAP_SUCCESS;
	if (r == RIGHTS_EINVAL)
		return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_INVALID_VALUE);
	return delegate_refuse(v, LDAP_OTHER, MSG_INVALID_VALUE);
}

/* Rule 3: every umRight value given or taken is in `held`. Router-only
 * values of a delegation are the customer's to give although no customer
 * user can hold them (§2.3.1 "Senders Management ... uniquement pour les
 * routeurs"): they need only some right on the application. */

static int delegate_check_subset(delegate_verdict *v, delegate_x *x, const rights_app *app,
                                 Entry *before, Entry *after, BerVarray held,
                                 int router_values_free, struct berval *scope)
{
	Operation *op = x->op;
	rights_str *b, *a, *h, *changed;
	const rights_str *sets[1];
	size_t nb, na, nh, nc, i, k = 0;
	long miss = -1;

	b = delegate_strs(op, delegate_vals(before, delegate_ad.right), &nb);
	a = delegate_strs(op, delegate_vals(after, delegate_ad.right), &na);
	h = delegate_strs(op, held, &nh);
	changed = op->o_tmpalloc((nb + na + 1) * sizeof(*changed), op->o_tmpmemctx);
	nc = subset_changed(changed, b, nb, a, na);
	for (i = 0; i < nc; i++) {
		rights_str d, val;
		const rights_dim *dim;
		const rights_value *rv;
		/* router-only values are free for a delegation (see above) */
		if (router_values_free && held && right_parse(&d, &val, changed[i]) == RIGHTS_OK &&
		    (dim = app_dim(app, d)) && (rv = dim_value(dim, val)) && value_router_only(rv))
			continue;
		changed[k++] = changed[i];
	}
	sets[0] = h;
	miss = subset_first_missing(sets, &nh, 1, changed, k);
	if (miss >= 0) {
		struct berval bad = {changed[miss].len, (char *)changed[miss].ptr};
		delegate_right_label(v, x, app, &bad);
		delegate_set(v->app, sizeof(v->app), &v->args.app, app_label(app, x->lang),
		             strlen(app_label(app, x->lang)));
		delegate_org_name(v, x, scope, &v->args.org);
		delegate_refuse(v, LDAP_INSUFFICIENT_ACCESS, MSG_NOT_HELD);
	}
	op->o_tmpfree(changed, op->o_tmpmemctx);
	if (b)
		op->o_tmpfree(b, op->o_tmpmemctx);
	if (a)
		op->o_tmpfree(a, op->o_tmpmemctx);
	if (h)
		op->o_tmpfree(h, op->o_tmpmemctx);
	return miss >= 0 ? v->code : LDAP_SUCCESS;
}

static int delegate_check_grant(delegate_verdict *v, delegate_x *x, Entry *before, Entry *after)
{
	const delegate_target *t = x->t;
	struct berval user_ndn = t->user_ndn, scope = t->scope, app_bv = t->app;
	struct berval scope_ndn = BER_BVNULL;
	const rights_app *app;
	rights_str app_s = {t->app.bv_val, t->app.bv_len};
	Entry *user = NULL;
	BerVarray held = NULL, vals;
	int user_admin = 0, users_router, cross, rc = LDAP_SUCCESS;

	if (delegate_entry_get(x->op, x->on, &user_ndn, &user) == LDAP_SUCCESS) {
		user_admin = delegate_is_admin_entry(x->op, user);
		delegate_user_name(v, user, &user_ndn);
		delegate_entry_release(x->op, x->on, user);
	} else {
		delegate_user_name(v, NULL, &t->uid);
	}
	if (!x->privileged) {
		if (dn_match(&x->op->o_ndn, &user_ndn)) {
			delegate_set(v->reason, sizeof(v->reason), &v->args.right, t->app.bv_val,
			             t->app.bv_len);
			return delegate_refuse(v, LDAP_INSUFFICIENT_ACCESS, MSG_SELF_RIGHTS);
		}
		if (!delegate_holds_manage(x->w, user_admin ? "admins" : "users")) {
			delegate_manage_label(v, x, user_admin ? "admins" : "users",
			                      user_admin ? 6 : 5);
			return delegate_refuse(v, LDAP_INSUFFICIENT_ACCESS, MSG_NEED_MANAGE);
		}
	}
	if (!(app = catalog_app(x->di->catalog, app_s))) {
		delegate_set(v->right, sizeof(v->right), &v->args.right, t->app.bv_val,
		             t->app.bv_len);
		delegate_set(v->app, sizeof(v->app), &v->args.app, t->app.bv_val, t->app.bv_len);
		v->args.reason = messages_violation(RIGHTS_V_UNKNOWN_APP, x->lang);
		return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_INVALID_VALUE);
	}
	delegate_set(v->app, sizeof(v->app), &v->args.app, app_label(app, x->lang),
	             strlen(app_label(app, x->lang)));
	if (after) {
		vals = delegate_vals(after, delegate_ad.app);
		if (!is_entry_objectclass(after, delegate_ad.oc_grant, 0) || !vals ||
		    !delegate_bv_eq_ci(&vals[0], &app_bv) ||
		    !(vals = delegate_vals(after, delegate_ad.scope)) ||
		    !delegate_bv_eq_ci(&vals[0], &scope))
			return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_BAD_GRANT_NAME);
	}
	users_router = delegate_org_is_router(x->op, x->on, &((delegate_target *)t)->org_ndn);
	cross = !delegate_bv_eq_ci(&scope, &((delegate_target *)t)->org);
	if (cross && after) {
		/* rule 8: only a router's users hold rights on another
		 * organisation, and only for delegable applications */
		if (!app_delegable(app))
			return delegate_refuse(v, LDAP_UNWILLING_TO_PERFORM, MSG_NOT_DELEGABLE);
		if (!users_router ||
		    delegate_ndn_build(&scope_ndn, x->op, "o=%.*s,%s", (int)scope.bv_len,
		                       scope.bv_val, x->di->orgs_ndn.bv_val) != LDAP_SUCCESS)
			return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_BAD_GRANT_NAME);
		user = NULL;
		rc = delegate_entry_get(x->op, x->on, &scope_ndn, &user);
		delegate_entry_release(x->op, x->on, user);
		x->op->o_tmpfree(scope_ndn.bv_val, x->op->o_tmpmemctx);
		if (rc != LDAP_SUCCESS)
			return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_BAD_GRANT_NAME);
	}
	if (after && (rc = delegate_validate_values(v, x, app, after, &scope, users_router)))
		return rc;
	if (x->privileged)
		return LDAP_SUCCESS;
	delegate_holdings(&held, x->op, x->on, x->w, &app_bv, &scope);
	rc = delegate_check_subset(v, x, app, before, after, held, 0, &scope);
	if (held)
		ber_bvarray_free_x(held, x->op->o_tmpmemctx);
	return rc;
}

static int delegate_check_delegation(delegate_verdict *v, delegate_x *x, Entry *before,
                                     Entry *after)
{
	const delegate_target *t = x->t;
	struct berval router = t->scope, app_bv = t->app, org = t->org;
	struct berval router_ndn = BER_BVNULL;
	rights_str app_s = {t->app.bv_val, t->app.bv_len};
	const rights_app *app;
	BerVarray held = NULL, vals;
	int rc;

	delegate_org_name(v, x, &router, &v->args.user);
	delegate_set(v->user, sizeof(v->user), &v->args.user, v->org, strlen(v->org));
	if (!x->privileged && !delegate_holds_manage(x->w, "admins")) {
		delegate_manage_label(v, x, "admins", 6);
		return delegate_refuse(v, LDAP_INSUFFICIENT_ACCESS, MSG_NEED_MANAGE);
	}
	if (!(app = catalog_app(x->di->catalog, app_s))) {
		delegate_set(v->right, sizeof(v->right), &v->args.right, t->app.bv_val,
		             t->app.bv_len);
		delegate_set(v->app, sizeof(v->app), &v->args.app, t->app.bv_val, t->app.bv_len);
		v->args.reason = messages_violation(RIGHTS_V_UNKNOWN_APP, x->lang);
		return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_INVALID_VALUE);
	}
	delegate_set(v->app, sizeof(v->app), &v->args.app, app_label(app, x->lang),
	             strlen(app_label(app, x->lang)));
	if (!app_delegable(app))
		return delegate_refuse(v, LDAP_UNWILLING_TO_PERFORM, MSG_NOT_DELEGABLE);
	if (after) {
		if (delegate_ndn_build(&router_ndn, x->op, "o=%.*s,%s", (int)router.bv_len,
		                       router.bv_val, x->di->orgs_ndn.bv_val) != LDAP_SUCCESS)
			return delegate_refuse(v, LDAP_CONSTRAINT_VIOLATION, MSG_BAD_GRANT_NAME);
		vals = delegate_vals(after, delegate_ad.delegate);
		rc = LDAP_SUCCESS;
		if (!is_entry_objectclass(after, delegate_ad.oc_delegation, 0) || !vals ||
		    !dn_match(&vals[0], &router_ndn) ||
		    !(vals = delegate_vals(after, delegate_ad.app)) ||
		    !delegate_bv_eq_ci(&vals[0], &app_bv) ||
		    !delegate_org_is_router(x->op, x->on, &router_ndn))
			rc = LDAP_CONSTRAINT_VIOLATION;
		x->op->o_tmpfree(router_ndn.bv_val, x->op->o_tmpmemctx);
		if (rc)
			return delegate_refuse(v, rc, MSG_BAD_GRANT_NAME);
		/* a delegation's values are checked against the delegating
		 * organisation's resources; router-only values are allowed */
		if ((rc = delegate_validate_values(v, x, app, after, &org, 1)))
			return rc;
	}
	if (x->privileged)
		return LDAP_SUCCESS;
	delegate_holdings(&held, x->op, x->on, x->w, &app_bv, &org);
	rc = delegate_check_subset(v, x, app, before, after, held, 1, &org);
	if (held)
		ber_bvarray_free_x(held, x->op->o_tmpmemctx);
	return rc;
}

int delegate_check_write(delegate_verdict *v, Operation *op, slap_overinst *on,
                         const delegate_writer *w, const delegate_target *t, Entry *before,
                         Entry *after)
{
	delegate_x x;

	memset(v, 0, sizeof(*v));
	x.op = op;
	x.on = on;
	x.di = on->on_bi.bi_private;
	x.w = w;
	x.t = t;
	x.privileged = w->who == DW_OPERATOR || w->who == DW_PROVISIONER;
	x.lang = w->lang;

	/* delegate_check_place() decided who and where; rules 2 to 8 here */
	if (w->who == DW_USER)
		delegate_set(v->user, sizeof(v->user), &v->args.user,
		             t->kind == DK_DELEGATION ? t->scope.bv_val : t->uid.bv_val,
		             t->kind == DK_DELEGATION ? t->scope.bv_len : t->uid.bv_len);
	switch (t->kind) {
	case DK_USER:
		return delegate_check_user(v, &x, before, after);
	case DK_GRANT:
		return delegate_check_grant(v, &x, before, after);
	case DK_DELEGATION:
		return delegate_check_delegation(v, &x, before, after);
	default:
		return LDAP_SUCCESS;
	}
}

/* ---- who and where, then shapes (DESIGN rule 0) ------------------------- */

static rights_str delegate_str(const struct berval *bv)
{
	rights_str s = {bv->bv_val, bv->bv_len};

	return s;
}

/* From the DNs alone, before anything is fetched: the same code and text
 * whether the target exists or not. Names in the text are the ones the
 * writer typed, never read from another organisation. */
int delegate_check_place(delegate_verdict *v, Operation *op, const delegate_writer *w,
                         const delegate_target *t)
{
	static const rights_writer writers[] = {
	        [DW_ANONYMOUS] = RIGHTS_WRITER_ANONYMOUS,
	        [DW_OPERATOR] = RIGHTS_WRITER_OPERATOR,
	        [DW_PROVISIONER] = RIGHTS_WRITER_PROVISIONER,
	        [DW_USER] = RIGHTS_WRITER_USER,
	        [DW_OTHER] = RIGHTS_WRITER_OTHER,
	};
	rights_place p;
	rights_msg why = MSG_PROTECTED;
	int code;

	memset(v, 0, sizeof(*v));
	memset(&p, 0, sizeof(p));
	p.writer = writers[w->who];
	p.writer_active = w->active;
	p.writer_admin = w->is_admin;
	p.writer_org = delegate_str(&w->dn.org);
	p.kind = t->kind;
	p.target_org = delegate_str(&t->org);
	p.target_is_self = w->who == DW_USER && t->user_ndn.bv_val &&
	                   dn_match(&op->o_ndn, (struct berval *)&t->user_ndn);
	p.target_is_mail = t->in_mail;
	code = place_check(&why, &p);
	if (code == RIGHTS_R_OK)
		return LDAP_SUCCESS;
	if (t->kind == DK_USER || t->kind == DK_GRANT)
		delegate_set(v->user, sizeof(v->user), &v->args.user, t->uid.bv_val, t->uid.bv_len);
	else if (t->kind == DK_DELEGATION)
		delegate_set(v->user, sizeof(v->user), &v->args.user, t->scope.bv_val,
		             t->scope.bv_len);
	else
		delegate_set(v->user, sizeof(v->user), &v->args.user, op->o_req_dn.bv_val,
		             op->o_req_dn.bv_len);
	if (t->org.bv_val)
		delegate_set(v->org, sizeof(v->org), &v->args.org, t->org.bv_val, t->org.bv_len);
	if (why == MSG_SELF_RIGHTS)
		delegate_set(v->right, sizeof(v->right), &v->args.right, t->app.bv_val,
		             t->app.bv_len);
	return delegate_refuse(v, code, why);
}

static int delegate_shape_refuse(delegate_verdict *v, Operation *op, const delegate_target *t,
                                 int code, rights_msg msg, const char *what, size_t len)
{
	if (t->kind == DK_USER || t->kind == DK_GRANT)
		delegate_set(v->user, sizeof(v->user), &v->args.user, t->uid.bv_val, t->uid.bv_len);
	else
		delegate_set(v->user, sizeof(v->user), &v->args.user, op->o_req_dn.bv_val,
		             op->o_req_dn.bv_len);
	delegate_set(v->right, sizeof(v->right), &v->args.right, what, len);
	return delegate_refuse(v, code, msg);
}

static int delegate_option_refused(delegate_verdict *v, Operation *op, const delegate_target *t,
                                   AttributeDescription *ad)
{
	/* "umManage;lang-en: admins" is found by (umManage=admins): a tagged
	 * value is the same right written past every check */
	if (BER_BVISEMPTY(&ad->ad_tags))
		return LDAP_SUCCESS;
	return delegate_shape_refuse(v, op, t, LDAP_CONSTRAINT_VIOLATION, MSG_ATTR_OPTION,
	                             ad->ad_cname.bv_val, ad->ad_cname.bv_len);
}

/* Attribute options, refused everywhere in the portal's entries, first. */
int delegate_check_options(delegate_verdict *v, Operation *op, const delegate_target *t)
{
	Modifications *ml;
	Attribute *a;

	memset(v, 0, sizeof(*v));
	if (t->kind == DK_OUTSIDE || t->kind == DK_PROTECTED)
		return LDAP_SUCCESS; /* the catalogue's labels are description;lang-xx */
	if (op->o_tag == LDAP_REQ_ADD) {
		for (a = op->ora_e->e_attrs; a; a = a->a_next)
			if (delegate_option_refused(v, op, t, a->a_desc))
				return v->code;
	} else if (op->o_tag == LDAP_REQ_MODIFY) {
		for (ml = op->orm_modlist; ml; ml = ml->sml_next)
			if (delegate_option_refused(v, op, t, ml->sml_desc))
				return v->code;
	}
	return LDAP_SUCCESS;
}

static int delegate_attr_refused(delegate_verdict *v, Operation *op, const delegate_target *t,
                                 rights_role role, AttributeDescription *ad, int mod_op,
                                 BerVarray values)
{
	AttributeType *at = ad->ad_type;
	rights_shape_verdict sv;

	/* the server's own (entryCSN, creatorsName...): the frontend refuses
	 * them to clients unless Relax, which only operators may send */
	if (is_at_no_user_mod(at))
		return LDAP_SUCCESS;
	sv = shape_attr_check(t->kind, role, delegate_str(&at->sat_cname));
	if (sv == RIGHTS_SHAPE_FOREIGN)
		return delegate_shape_refuse(v, op, t, LDAP_CONSTRAINT_VIOLATION, MSG_SHAPE_ATTR,
		                             at->sat_cname.bv_val, at->sat_cname.bv_len);
	/* rule 7 for a user's own entry, else the portal's own attribute */
	if (sv == RIGHTS_SHAPE_NOT_YOURS)
		return delegate_shape_refuse(v, op, t, LDAP_INSUFFICIENT_ACCESS,
		                             role == RIGHTS_ROLE_SELF ? MSG_SELF_RIGHTS
		                                                      : MSG_RESERVED_ATTR,
		                             at->sat_cname.bv_val, at->sat_cname.bv_len);
	/* DESIGN rule 0: administrators may lift a lockout, never set one */
	if (role == RIGHTS_ROLE_ADMIN && delegate_ad.pwd_locked && ad == delegate_ad.pwd_locked &&
	    !(mod_op == LDAP_MOD_DELETE || mod_op == SLAP_MOD_SOFTDEL ||
	      (mod_op == LDAP_MOD_REPLACE && (!values || !values[0].bv_val))))
		return delegate_shape_refuse(v, op, t, LDAP_INSUFFICIENT_ACCESS, MSG_RESERVED_ATTR,
		                             at->sat_cname.bv_val, at->sat_cname.bv_len);
	return LDAP_SUCCESS;
}

/* The entry's kind allows exactly these classes and, for this writer,
 * these attributes (lib/shape.c); nothing else is written. */
int delegate_check_shape(delegate_verdict *v, Operation *op, const delegate_writer *w,
                         const delegate_target *t, Entry *after)
{
	rights_role role;
	rights_str one[8], *classes = one, bad;
	Modifications *ml;
	Attribute *a;
	size_t n = 0, i;
	int rc;

	memset(v, 0, sizeof(*v));
	if (t->kind == DK_OUTSIDE || t->kind == DK_PROTECTED || t->kind == DK_SYSTEM || !after)
		return LDAP_SUCCESS;
	if (t->kind == RIGHTS_KIND_UNKNOWN)
		return delegate_shape_refuse(v, op, t, LDAP_UNWILLING_TO_PERFORM, MSG_NO_SHAPE, "",
		                             0);
	switch (w->who) {
	case DW_OPERATOR:
		role = RIGHTS_ROLE_OPERATOR;
		break;
	case DW_PROVISIONER:
		role = RIGHTS_ROLE_PROVISIONER;
		break;
	default:
		role = t->user_ndn.bv_val && dn_match(&op->o_ndn, (struct berval *)&t->user_ndn)
		               ? RIGHTS_ROLE_SELF
		               : RIGHTS_ROLE_ADMIN;
	}
	if (op->o_tag == LDAP_REQ_ADD) {
		for (a = after->e_attrs; a; a = a->a_next)
			if (delegate_attr_refused(v, op, t, role, a->a_desc, LDAP_MOD_ADD,
			                          a->a_vals))
				return v->code;
	} else {
		for (ml = op->orm_modlist; ml; ml = ml->sml_next)
			if (delegate_attr_refused(v, op, t, role, ml->sml_desc, ml->sml_op,
			                          ml->sml_values))
				return v->code;
	}
	if (!(a = attr_find(after->e_attrs, slap_schema.si_ad_objectClass)))
		return delegate_shape_refuse(v, op, t, LDAP_CONSTRAINT_VIOLATION, MSG_SHAPE_CLASS,
		                             "objectClass", 11);
	for (; a->a_vals[n].bv_val; n++)
		;
	if (n > sizeof(one) / sizeof(one[0]))
		classes = op->o_tmpalloc(n * sizeof(*classes), op->o_tmpmemctx);
	for (i = 0; i < n; i++)
		classes[i] = delegate_str(&a->a_vals[i]);
	rc = shape_classes_check(&bad, t->kind, classes, n);
	if (rc != RIGHTS_OK)
		delegate_shape_refuse(v, op, t, LDAP_CONSTRAINT_VIOLATION, MSG_SHAPE_CLASS, bad.ptr,
		                      bad.len);
	if (classes != one)
		op->o_tmpfree(classes, op->o_tmpmemctx);
	return rc == RIGHTS_OK ? LDAP_SUCCESS : v->code;
}

int delegate_check_bind(delegate_verdict *v, Operation *op, slap_overinst *on, Entry *e)
{
	static const char ppolicy_oid[] = "1.3.6.1.4.1.42.2.27.8.5.1";
	BerVarray status = delegate_vals(e, delegate_ad.status);
	BerVarray reset = delegate_vals(e, delegate_ad.pwd_reset);
	LDAPControl **c;

	(void)on;
	memset(v, 0, sizeof(*v));
	delegate_user_name(v, e, &op->o_req_dn);
	if (status && status[0].bv_len == 11 && !strncmp(status[0].bv_val, "deactivated", 11))
		return delegate_refuse(v, LDAP_INVALID_CREDENTIALS, MSG_DEACTIVATED_BIND);
	if (reset && reset[0].bv_len == 4 && !strncasecmp(reset[0].bv_val, "TRUE", 4)) {
		/* rule 5: a plain bind must not let a temporary password in;
		 * a client speaking ppolicy is told to change it */
		for (c = op->o_ctrls; c && *c; c++) {
			if (!strcmp((*c)->ldctl_oid, ppolicy_oid))
				return LDAP_SUCCESS;
		}
		return delegate_refuse(v, LDAP_INVALID_CREDENTIALS, MSG_TEMPORARY_PASSWORD);
	}
	return LDAP_SUCCESS;
}
