/*
 * slapo-delegate: operation callbacks. Each one finds the target and the
 * writer by DN, lets check.c decide, and either continues down the stack
 * or answers with the code and the sentence of DESIGN rule 9.
 */
#include "delegate.h"

#include <string.h>

static int delegate_refused(Operation *op, SlapReply *rs, slap_overinst *on, delegate_verdict *v,
                            rights_lang lang)
{
	/* Left allocated: the Password Modify operation sends its own answer
	 * with rs->sr_text after we return; the op's memory context frees it. */
	char *text = op->o_tmpalloc(1024, op->o_tmpmemctx);

	messages_format(text, 1024, v->msg, lang, &v->args);
	Debug(LDAP_DEBUG_TRACE, "%s delegate: refused (%d): %s\n", op->o_log_prefix, v->code, text);
	op->o_bd->bd_info = (BackendInfo *)on->on_info;
	send_ldap_error(op, rs, v->code, text);
	return rs->sr_err;
}

/* Holds serial_mutex from the check until the write is done, so that no
 * concurrent write changes what the check read (unique.c's serialize). */
static int delegate_unlock(Operation *op, SlapReply *rs)
{
	slap_callback *sc = op->o_callback;
	delegate_info *di = sc->sc_private;

	(void)rs;
	ldap_pvt_thread_mutex_unlock(&di->serial_mutex);
	op->o_callback = sc->sc_next;
	op->o_tmpfree(sc, op->o_tmpmemctx);
	return 0;
}

/* The target as it would be after the modification, to compare values
 * given and taken whatever the mix of add/delete/replace (rule 3). The
 * same functions and the same permissive flag as back-mdb, so the backend
 * applies exactly what was checked. */
static int delegate_apply_mods(Entry *e, Modifications *ml, int permissive, const char **text,
                               char *textbuf, size_t textlen)
{
	Modification mod;
	int rc = LDAP_SUCCESS;

	for (; ml && rc == LDAP_SUCCESS; ml = ml->sml_next) {
		mod = ml->sml_mod;
		/* password values are hashed in the entry and ppolicy's to
		 * check (the current one for pwdSafeModify); no rule looks at
		 * them */
		if (mod.sm_desc == slap_schema.si_ad_userPassword)
			continue;
		switch (mod.sm_op) {
		case LDAP_MOD_ADD:
			rc = modify_add_values(e, &mod, permissive, text, textbuf, textlen);
			break;
		case SLAP_MOD_SOFTADD:
			mod.sm_op = LDAP_MOD_ADD;
			rc = modify_add_values(e, &mod, 1, text, textbuf, textlen);
			break;
		case SLAP_MOD_ADD_IF_NOT_PRESENT:
			if (attr_find(e->e_attrs, mod.sm_desc))
				break;
			mod.sm_op = LDAP_MOD_ADD;
			rc = modify_add_values(e, &mod, permissive, text, textbuf, textlen);
			break;
		case LDAP_MOD_DELETE:
			rc = modify_delete_values(e, &mod, permissive, text, textbuf, textlen);
			break;
		case SLAP_MOD_SOFTDEL:
			mod.sm_op = LDAP_MOD_DELETE;
			rc = modify_delete_values(e, &mod, 1, text, textbuf, textlen);
			break;
		case LDAP_MOD_REPLACE:
			rc = modify_replace_values(e, &mod, permissive, text, textbuf, textlen);
			break;
		case LDAP_MOD_INCREMENT:
			rc = modify_increment_values(e, &mod, permissive, text, textbuf, textlen);
			break;
		default:
			rc = LDAP_PROTOCOL_ERROR;
			*text = "unknown modification type";
		}
	}
	return rc;
}

/* §3.2: "L'administrateur attribue un mot de passe provisoire lors de la
 * création": ppolicy marks admin-set passwords on modify only. Only
 * operators may say otherwise (check.c refuses pwdReset: FALSE to users). */
static void delegate_mark_temporary(Operation *op)
{
	Entry *e = op->ora_e;

	if (attr_find(e->e_attrs, slap_schema.si_ad_userPassword) &&
	    !attr_find(e->e_attrs, delegate_ad.pwd_reset))
		attr_merge_one(e, delegate_ad.pwd_reset, (struct berval *)&slap_true_bv, NULL);
}

/* §2.2.3: the personal answer is stored hashed, whoever writes it. */
static int delegate_hash_answers(Operation *op)
{
	Modifications *ml;
	Attribute *a;
	int rc = LDAP_SUCCESS;

	if (op->o_tag == LDAP_REQ_ADD) {
		if (!(a = attr_find(op->ora_e->e_attrs, delegate_ad.security_answer)))
			return LDAP_SUCCESS;
		if (a->a_nvals != a->a_vals) {
			ber_bvarray_free(a->a_nvals);
			a->a_nvals = a->a_vals;
		}
		return delegate_answer_hash_values(a->a_vals);
	}
	for (ml = op->orm_modlist; ml && rc == LDAP_SUCCESS; ml = ml->sml_next) {
		if (ml->sml_desc != delegate_ad.security_answer || !ml->sml_values)
			continue;
		rc = delegate_answer_hash_values(ml->sml_values);
		if (ml->sml_nvalues) {
			ber_bvarray_free(ml->sml_nvalues);
			ml->sml_nvalues = NULL;
		}
	}
	return rc;
}

/*
 * Rule 9: the English answers of slapd and of the stock overlays that a
 * portal user meets on its own writes, in the user's language. Matched by
 * code and exact text, so anything else passes as it came.
 */
static const struct {
	int code;
	const char *text;
	rights_msg msg;
} delegate_foreign[] = {
        {LDAP_UNWILLING_TO_PERFORM, "unwilling to verify old password", MSG_WRONG_PASSWORD},
        {LDAP_UNWILLING_TO_PERFORM, "Must supply correct old password to change to new one",
         MSG_WRONG_PASSWORD},
        {LDAP_INSUFFICIENT_ACCESS, "Must supply old password to be changed as well as new one",
         MSG_NEED_OLD_PASSWORD},
        /* slapo-unique: "non-unique attributes found with <filter>" */
        {LDAP_CONSTRAINT_VIOLATION, "non-unique attributes found with ", MSG_UID_TAKEN},
        {LDAP_CONSTRAINT_VIOLATION, "some attributes not unique", MSG_UID_TAKEN},
};

typedef struct delegate_translation {
	rights_lang lang;
	char user[256]; /* the target's uid */
	char uid[256];  /* the username asked for (an add's uid) */
	char text[1024];
} delegate_translation;

void delegate_translate(SlapReply *rs, delegate_translation *tr)
{
	rights_msg_args args;
	size_t i;

	if (!rs->sr_text)
		return;
	for (i = 0; i < sizeof(delegate_foreign) / sizeof(delegate_foreign[0]); i++) {
		const char *known = delegate_foreign[i].text;
		size_t len = strlen(known);
		/* a text ending in a space is a prefix (what follows varies) */
		if (rs->sr_err != delegate_foreign[i].code || strncmp(rs->sr_text, known, len) ||
		    (known[len - 1] != ' ' && rs->sr_text[len]))
			continue;
		memset(&args, 0, sizeof(args));
		args.user = tr->user;
		args.right = tr->uid[0] ? tr->uid : tr->user;
		messages_format(tr->text, sizeof(tr->text), delegate_foreign[i].msg, tr->lang,
		                &args);
		rs->sr_text = tr->text;
		return;
	}
}

static int delegate_translate_response(Operation *op, SlapReply *rs)
{
	if (rs->sr_type == REP_RESULT)
		delegate_translate(rs, op->o_callback->sc_private);
	return SLAP_CB_CONTINUE;
}

/* A portal user's write to a user: its answers in the user's language. */
static void delegate_translate_push(Operation *op, const delegate_writer *w,
                                    const delegate_target *t, Entry *target)
{
	slap_callback *cb;
	delegate_translation *tr;
	Attribute *a;

	cb = op->o_tmpcalloc(1, sizeof(*cb) + sizeof(*tr), op->o_tmpmemctx);
	tr = (delegate_translation *)(cb + 1);
	tr->lang = w->lang;
	/* the uid as its entry spells it (the DN's is normalised) */
	if ((a = attr_find(target->e_attrs, delegate_ad.uid)))
		snprintf(tr->user, sizeof(tr->user), "%.*s", (int)a->a_vals[0].bv_len,
		         a->a_vals[0].bv_val);
	else
		snprintf(tr->user, sizeof(tr->user), "%.*s", (int)t->uid.bv_len, t->uid.bv_val);
	if (op->o_tag == LDAP_REQ_ADD && a)
		snprintf(tr->uid, sizeof(tr->uid), "%s", tr->user);
	cb->sc_response = delegate_translate_response;
	cb->sc_private = tr;
	cb->sc_next = op->o_callback;
	op->o_callback = cb;
}

/* Password Modify (RFC 3062) by a portal user: slapd's frontend answers a
 * wrong current password itself, after the overlay has had its say. */
void delegate_translate_passwd(Operation *op, SlapReply *rs)
{
	slap_overinst *on = delegate_instance;
	delegate_info *di = on ? on->on_bi.bi_private : NULL;
	delegate_translation *tr;
	delegate_target t;
	Entry *e = NULL;
	Attribute *a;

	if (!di || rs->sr_err == LDAP_SUCCESS || !rs->sr_text || BER_BVISEMPTY(&op->o_ndn))
		return;
	delegate_dn_parse(&t, di, &op->o_ndn);
	if (t.kind != DK_USER)
		return;
	tr = op->o_tmpcalloc(1, sizeof(*tr), op->o_tmpmemctx);
	tr->lang = RIGHTS_LANG_EN;
	snprintf(tr->user, sizeof(tr->user), "%.*s", (int)t.uid.bv_len, t.uid.bv_val);
	if (be_entry_get_rw(op, &op->o_ndn, NULL, NULL, 0, &e) == LDAP_SUCCESS && e) {
		if ((a = attr_find(e->e_attrs, delegate_ad.pref_lang)))
			tr->lang = lang_or_default(a->a_vals[0].bv_val, a->a_vals[0].bv_len);
		if ((a = attr_find(e->e_attrs, delegate_ad.uid)))
			snprintf(tr->user, sizeof(tr->user), "%.*s", (int)a->a_vals[0].bv_len,
			         a->a_vals[0].bv_val);
		be_entry_release_r(op, e);
	}
	delegate_translate(rs, tr); /* tr lives as long as the operation */
}

/* The manual's form (§2.2.3) has no "cn": the full name is first name and
 * name, as "Mes utilisateurs" shows it. */
static void delegate_derive_cn(Operation *op)
{
	Entry *e = op->ora_e;
	Attribute *gn = attr_find(e->e_attrs, delegate_ad.given_name);
	Attribute *sn = attr_find(e->e_attrs, delegate_ad.sn);
	struct berval cn;

	if (attr_find(e->e_attrs, delegate_ad.cn) || !gn || !sn)
		return;
	cn.bv_len = gn->a_vals[0].bv_len + 1 + sn->a_vals[0].bv_len;
	cn.bv_val = op->o_tmpalloc(cn.bv_len + 1, op->o_tmpmemctx);
	snprintf(cn.bv_val, cn.bv_len + 1, "%s %s", gn->a_vals[0].bv_val, sn->a_vals[0].bv_val);
	attr_merge_normalize_one(e, delegate_ad.cn, &cn, NULL);
	op->o_tmpfree(cn.bv_val, op->o_tmpmemctx);
}

/* DESIGN rule 0: controls that widen what a write may do count only for
 * operators (never a way around the rules for anyone else). */
static int delegate_check_controls(delegate_verdict *v, Operation *op, const delegate_writer *w,
                                   const delegate_target *t)
{
	const char *name = NULL;

	memset(v, 0, sizeof(*v));
	if (w->who == DW_OPERATOR)
		return LDAP_SUCCESS;
	if (get_relax(op))
		name = "Relax Rules";
	else if (get_manageDSAit(op))
		name = "Manage DSA IT";
	else
		return LDAP_SUCCESS;
	snprintf(v->right, sizeof(v->right), "%s", name);
	v->args.right = v->right;
	if (t->uid.bv_val)
		snprintf(v->user, sizeof(v->user), "%.*s", (int)t->uid.bv_len, t->uid.bv_val);
	else
		snprintf(v->user, sizeof(v->user), "%s", op->o_req_dn.bv_val);
	v->args.user = v->user;
	v->code = LDAP_INSUFFICIENT_ACCESS;
	v->msg = MSG_CONTROL;
	return v->code;
}

/* add, modify and delete: who and where from the DNs, then the target's
 * before/after, then what (check.c). */
static int delegate_op_write(Operation *op, SlapReply *rs)
{
	slap_overinst *on = (slap_overinst *)op->o_bd->bd_info;
	delegate_info *di = on->on_bi.bi_private;
	delegate_target t;
	delegate_writer w;
	delegate_verdict v;
	Entry *before = NULL, *after = NULL;
	char textbuf[SLAP_TEXT_BUFLEN];
	const char *text = NULL;
	int locked, rc = SLAP_CB_CONTINUE;

	if (SLAPD_SYNC_IS_SYNCCONN(op->o_connid)) /* replicated: decided at origin */
		return SLAP_CB_CONTINUE;
	delegate_dn_parse(&t, di, &op->o_req_ndn);
	if (t.kind == DK_OUTSIDE)
		return SLAP_CB_CONTINUE;
	delegate_target_spell(&t, &op->o_req_dn, &op->o_req_ndn);
	/* Everything the check reads is read under the lock. Internal writes
	 * (memberof, ppolicy) run as the rootdn, possibly inside a write that
	 * holds it, and touch no holdings: they never wait for it. */
	locked = t.kind != DK_PROTECTED && t.kind != DK_SYSTEM && !be_isroot(op);
	if (locked)
		ldap_pvt_thread_mutex_lock(&di->serial_mutex);
	delegate_writer_resolve(&w, op, on);

	if (delegate_check_controls(&v, op, &w, &t) != LDAP_SUCCESS ||
	    delegate_check_place(&v, op, &w, &t) != LDAP_SUCCESS ||
	    delegate_check_options(&v, op, &t) != LDAP_SUCCESS) {
		rc = delegate_refused(op, rs, on, &v, w.lang);
		goto done;
	}
	if (t.kind == DK_PROTECTED || t.kind == DK_SYSTEM)
		goto done; /* the catalogue, projections, ou=system: place is all */

	if (op->o_tag == LDAP_REQ_ADD) {
		after = op->ora_e;
	} else if (delegate_entry_get(op, on, &op->o_req_ndn, &before) != LDAP_SUCCESS) {
		goto done; /* within the writer's reach: noSuchObject is no secret */
	} else if (op->o_tag == LDAP_REQ_MODIFY) {
		after = entry_dup(before);
		rc = delegate_apply_mods(after, op->orm_modlist, get_permissiveModify(op), &text,
		                         textbuf, sizeof(textbuf));
		if (rc != LDAP_SUCCESS) {
			/* what cannot be checked is not written */
			op->o_bd->bd_info = (BackendInfo *)on->on_info;
			send_ldap_error(op, rs, rc, text);
			rc = rs->sr_err;
			goto done;
		}
		rc = SLAP_CB_CONTINUE;
	}

	if (delegate_check_write(&v, op, on, &w, &t, before, after) != LDAP_SUCCESS ||
	    delegate_check_shape(&v, op, &w, &t, after) != LDAP_SUCCESS) {
		rc = delegate_refused(op, rs, on, &v, w.lang);
		goto done;
	}
	if (op->o_tag == LDAP_REQ_ADD && t.kind == DK_USER) {
		delegate_derive_cn(op);
		if (w.who != DW_PROVISIONER)
			delegate_mark_temporary(op);
	}
	if (w.who == DW_USER && t.kind == DK_USER && op->o_tag != LDAP_REQ_DELETE)
		delegate_translate_push(op, &w, &t, before ? before : op->ora_e);
	if (t.kind == DK_USER && op->o_tag != LDAP_REQ_DELETE &&
	    delegate_hash_answers(op) != LDAP_SUCCESS) {
		op->o_bd->bd_info = (BackendInfo *)on->on_info;
		send_ldap_error(op, rs, LDAP_OTHER, "the personal answer could not be hashed");
		rc = rs->sr_err;
	}

done:
	if (op->o_tag == LDAP_REQ_MODIFY && after)
		entry_free(after);
	delegate_entry_release(op, on, before);
	delegate_writer_free(op, &w);
	if (locked) {
		if (rc == SLAP_CB_CONTINUE) {
			slap_callback *cb = op->o_tmpcalloc(1, sizeof(*cb), op->o_tmpmemctx);
			cb->sc_cleanup = delegate_unlock;
			cb->sc_private = di;
			cb->sc_next = op->o_callback;
			op->o_callback = cb;
		} else {
			ldap_pvt_thread_mutex_unlock(&di->serial_mutex);
		}
	}
	return rc;
}

/* Rule 6: no user, grant or delegation moves or changes its name; grant
 * names are deterministic and uid is the login. Operators may rename, but
 * an entry keeps its kind (rule 0). */
static int delegate_op_modrdn(Operation *op, SlapReply *rs)
{
	slap_overinst *on = (slap_overinst *)op->o_bd->bd_info;
	delegate_info *di = on->on_bi.bi_private;
	delegate_target t, renamed;
	delegate_writer w;
	delegate_verdict v;
	struct berval parent, newdn = BER_BVNULL;
	int rc = SLAP_CB_CONTINUE;

	if (SLAPD_SYNC_IS_SYNCCONN(op->o_connid))
		return SLAP_CB_CONTINUE;
	if (op->orr_nnewSup)
		parent = *op->orr_nnewSup;
	else
		dnParent(&op->o_req_ndn, &parent);
	build_new_dn(&newdn, &parent, &op->orr_nnewrdn, op->o_tmpmemctx);
	delegate_dn_parse(&t, di, &op->o_req_ndn);
	delegate_target_spell(&t, &op->o_req_dn, &op->o_req_ndn);
	delegate_dn_parse(&renamed, di, &newdn);
	if (t.kind == DK_OUTSIDE && renamed.kind == DK_OUTSIDE)
		goto out;
	delegate_writer_resolve(&w, op, on);
	/* who and where, at the old place and at the new one */
	if (delegate_check_controls(&v, op, &w, &t) != LDAP_SUCCESS ||
	    delegate_check_place(&v, op, &w, &t) != LDAP_SUCCESS ||
	    delegate_check_place(&v, op, &w, &renamed) != LDAP_SUCCESS) {
		rc = delegate_refused(op, rs, on, &v, w.lang);
		goto done;
	}
	/* users, grants and delegations are never renamed, by operators
	 * neither: a grant's name is its application and scope (rule 4 would
	 * not see a rename), a uid is a login (rule 6) */
	if ((w.who == DW_OPERATOR || (w.who == DW_PROVISIONER && t.kind == DK_PROTECTED)) &&
	    t.kind != DK_USER && t.kind != DK_GRANT && t.kind != DK_DELEGATION) {
		if (renamed.kind == t.kind)
			goto done;
		memset(&v, 0, sizeof(v));
		snprintf(v.user, sizeof(v.user), "%s", newdn.bv_val);
		v.args.user = v.user;
		v.code = LDAP_UNWILLING_TO_PERFORM;
		v.msg = MSG_NO_SHAPE;
		rc = delegate_refused(op, rs, on, &v, w.lang);
		goto done;
	}
	memset(&v, 0, sizeof(v));
	snprintf(v.user, sizeof(v.user), "%s", op->o_req_dn.bv_val);
	v.args.user = v.user;
	v.code = LDAP_UNWILLING_TO_PERFORM;
	if (t.kind == DK_USER) {
		snprintf(v.user, sizeof(v.user), "%.*s", (int)t.uid.bv_len, t.uid.bv_val);
		v.msg = op->orr_nnewSup ? MSG_NO_MOVE : MSG_UID_IMMUTABLE;
	} else {
		v.msg = MSG_NO_MOVE;
	}
	rc = delegate_refused(op, rs, on, &v, w.lang);
done:
	delegate_writer_free(op, &w);
out:
	op->o_tmpfree(newdn.bv_val, op->o_tmpmemctx);
	return rc;
}

/*
 * Rule 5: a deactivated user, or one whose password is temporary, does not
 * get in with a plain bind. Only a caller who gave the right password
 * learns why; the others get the backend's plain invalidCredentials (and
 * ppolicy counts the failure).
 *
 * The fast way is the dynamic ACL "delegate-bind" on userPassword
 * (slapd.conf: by dynacl/delegate-bind =x): it decides inside the backend's
 * own password check, on the entry the backend already holds, so a bind
 * costs no extra fetch. Without that ACL clause the overlay fetches the
 * entry before the backend does (delegate_op_bind).
 */
static int delegate_bind_refused(Operation *op, SlapReply *rs)
{
	if (rs->sr_type == REP_RESULT && rs->sr_err == LDAP_INVALID_CREDENTIALS)
		rs->sr_text = op->o_callback->sc_private;
	return SLAP_CB_CONTINUE;
}

/* The refusal's text, for a caller holding the password (cred), sent when
 * the backend answers invalidCredentials. */
static void delegate_bind_explain(Operation *op, Entry *e, delegate_verdict *v)
{
	slap_callback *cb;
	Attribute *a = attr_find(e->e_attrs, delegate_ad.pref_lang);
	rights_lang lang =
	        a ? lang_or_default(a->a_vals[0].bv_val, a->a_vals[0].bv_len) : RIGHTS_LANG_EN;

	for (cb = op->o_callback; cb; cb = cb->sc_next) {
		if (cb->sc_response == delegate_bind_refused)
			return; /* another value of a multi-valued password */
	}
	cb = op->o_tmpcalloc(1, sizeof(*cb) + 1024, op->o_tmpmemctx);
	cb->sc_private = cb + 1;
	messages_format(cb->sc_private, 1024, v->msg, lang, &v->args);
	cb->sc_response = delegate_bind_refused;
	cb->sc_next = op->o_callback;
	op->o_callback = cb;
}

static int delegate_bind_dynacl(void *priv, Operation *op, Entry *e, AttributeDescription *desc,
                                struct berval *val, int nmatch, regmatch_t *matches,
                                slap_access_t *grant, slap_access_t *deny)
{
	slap_overinst *on = delegate_instance;
	delegate_verdict v;
	const char *text = NULL;

	(void)priv;
	(void)nmatch;
	(void)matches;
	(void)grant;
	if (!on || op->o_tag != LDAP_REQ_BIND || desc != slap_schema.si_ad_userPassword || !e ||
	    !dnIsSuffix(&e->e_nname, &((delegate_info *)on->on_bi.bi_private)->orgs_ndn) ||
	    delegate_check_bind(&v, op, on, e) == LDAP_SUCCESS)
		return 0; /* nothing granted, nothing denied: the next clauses decide */
	*deny = ACL_PRIV_AUTH;
	if (val && lutil_passwd(val, &op->orb_cred, NULL, &text) == 0)
		delegate_bind_explain(op, e, &v);
	return 0;
}

static slap_dynacl_t delegate_dynacl = {
        .da_name = "delegate-bind",
        .da_mask = delegate_bind_dynacl,
};

static int delegate_op_bind(Operation *op, SlapReply *rs)
{
	slap_overinst *on = (slap_overinst *)op->o_bd->bd_info;
	delegate_info *di = on->on_bi.bi_private;
	delegate_verdict v;
	Entry *e = NULL;
	Attribute *pw;
	const char *text = NULL;
	int remote_auth;

	if (op->orb_method != LDAP_AUTH_SIMPLE || !dnIsSuffix(&op->o_req_ndn, &di->orgs_ndn) ||
	    be_isroot_dn(op->o_bd, &op->o_req_ndn))
		return SLAP_CB_CONTINUE;
	/* not cached at db_open: provisiond(8) inserts slapo-remoteauth through
	 * cn=config when a source with authentication: remote appears */
	remote_auth = delegate_remoteauth_present(on) > 0;
	if (di->bind_by_acl && !remote_auth)
		return SLAP_CB_CONTINUE;
	if (delegate_entry_get(op, on, &op->o_req_ndn, &e) != LDAP_SUCCESS)
		return SLAP_CB_CONTINUE;
	pw = attr_find(e->e_attrs, slap_schema.si_ad_userPassword);
	if (pw == NULL && remote_auth && delegate_check_bind(&v, op, on, e) != LDAP_SUCCESS) {
		/* Rule 5 before slapo-remoteauth (configured before this
		 * overlay, so it runs after it): a user without a local password
		 * would be checked only by its source, never by the ACL clause.
		 * Refused before any remote bind, so the answer cannot say
		 * whether the corporate password was right: the plain one. */
		delegate_entry_release(op, on, e);
		Debug(LDAP_DEBUG_TRACE, "%s delegate: remote bind refused (rule 5)\n",
		      op->o_log_prefix);
		op->o_bd->bd_info = (BackendInfo *)on->on_info;
		send_ldap_error(op, rs, LDAP_INVALID_CREDENTIALS, NULL);
		return rs->sr_err;
	}
	if (!di->bind_by_acl && pw != NULL && delegate_check_bind(&v, op, on, e) != LDAP_SUCCESS &&
	    slap_passwd_check(op, e, pw, &op->orb_cred, &text) == 0) {
		rights_lang lang = RIGHTS_LANG_EN;
		Attribute *a = attr_find(e->e_attrs, delegate_ad.pref_lang);
		if (a)
			lang = lang_or_default(a->a_vals[0].bv_val, a->a_vals[0].bv_len);
		delegate_entry_release(op, on, e);
		return delegate_refused(op, rs, on, &v, lang);
	}
	delegate_entry_release(op, on, e);
	return SLAP_CB_CONTINUE;
}

/* Is slapo-remoteauth on this database: 1 after this overlay (it runs
 * after it, as it must), -1 before it (it would bind users at their source
 * before rule 5 is checked), 0 not there. oi_list is in the order the
 * overlays run: the last one configured first. */
int delegate_remoteauth_present(slap_overinst *on)
{
	slap_overinst *o;
	int seen_self = 0;

	for (o = on->on_info->oi_list; o; o = o->on_next) {
		if (o == on)
			seen_self = 1;
		else if (o->on_bi.bi_type && !strcmp(o->on_bi.bi_type, "remoteauth"))
			return seen_self ? 1 : -1;
	}
	return 0;
}

/* Is "by dynacl/delegate-bind" on this database's ACLs? */
int delegate_bind_acl_present(BackendDB *be)
{
	AccessControl *a;
	Access *b;
	slap_dynacl_t *da;

	for (a = be->be_acl; a; a = a->acl_next) {
		for (b = a->acl_access; b; b = b->a_next) {
			for (da = b->a_dynacl; da; da = da->da_next) {
				if (!strcmp(da->da_name, delegate_dynacl.da_name))
					return 1;
			}
		}
	}
	return 0;
}

int delegate_bind_register(void)
{
	return slap_dynacl_register(&delegate_dynacl);
}

void delegate_ops_register(slap_overinst *on)
{
	on->on_bi.bi_op_add = delegate_op_write;
	on->on_bi.bi_op_modify = delegate_op_write;
	on->on_bi.bi_op_delete = delegate_op_write;
	on->on_bi.bi_op_modrdn = delegate_op_modrdn;
	on->on_bi.bi_op_bind = delegate_op_bind;
}
