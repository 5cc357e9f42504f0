/*
 * slapo-delegate: configuration (slapd.conf and cn=config), lifecycle and
 * module entry point. The rules themselves live in ops.c.
 */
#include "delegate.h"

#include <string.h>

delegate_ads delegate_ad;
slap_overinst *delegate_instance;

enum {
	DELEGATE_RIGHTS = 1,
	DELEGATE_OPERATORS,
	DELEGATE_PROVISIONER,
};

static ConfigDriver delegate_cf_gen;

/* Our own OIDs: .4.N config attributes, .5.N config object classes. */
static ConfigTable delegate_cfg[] = {
        {"delegate-rights", "path", 2, 2, 0, ARG_STRING | ARG_MAGIC | ARG_QUOTE | DELEGATE_RIGHTS,
         delegate_cf_gen,
         "( " DELEGATE_OID ".4.1 NAME 'olcDelegateRights' "
         "DESC 'path of rights.yaml, the rights catalogue' "
         "EQUALITY caseExactMatch SYNTAX OMsDirectoryString SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-operators", "dn", 2, 2, 0, ARG_DN | ARG_QUOTE | ARG_MAGIC | DELEGATE_OPERATORS,
         delegate_cf_gen,
         "( " DELEGATE_OID ".4.2 NAME 'olcDelegateOperators' "
         "DESC 'groupOfNames of the portal operator staff' "
         "EQUALITY distinguishedNameMatch SYNTAX OMsDN SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-provisioner", "dn", 2, 2, 0,
         ARG_DN | ARG_QUOTE | ARG_MAGIC | DELEGATE_PROVISIONER, delegate_cf_gen,
         "( " DELEGATE_OID ".4.3 NAME 'olcDelegateProvisioner' "
         "DESC 'identity of provisiond' "
         "EQUALITY distinguishedNameMatch SYNTAX OMsDN SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-password-min", "length", 2, 2, 0, ARG_UINT | ARG_OFFSET,
         (void *)offsetof(delegate_info, password_min),
         "( " DELEGATE_OID ".4.4 NAME 'olcDelegatePasswordMin' "
         "DESC 'minimum length of a password an administrator sets (manual 3.2)' "
         "EQUALITY integerMatch SYNTAX OMsInteger SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-reset-url", "template", 2, 2, 0, ARG_STRING | ARG_OFFSET | ARG_QUOTE,
         (void *)offsetof(delegate_info, reset_url),
         "( " DELEGATE_OID ".4.5 NAME 'olcDelegateResetURL' "
         "DESC 'link of the password reset mail; {uid} {dn} {token} are replaced (manual 3.3)' "
         "EQUALITY caseExactMatch SYNTAX OMsDirectoryString SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-reset-ttl", "seconds", 2, 2, 0, ARG_UINT | ARG_OFFSET,
         (void *)offsetof(delegate_info, reset_ttl),
         "( " DELEGATE_OID ".4.6 NAME 'olcDelegateResetTTL' "
         "DESC 'lifetime of a password reset token' "
         "EQUALITY integerMatch SYNTAX OMsInteger SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-reset-limit", "count", 2, 2, 0, ARG_UINT | ARG_OFFSET,
         (void *)offsetof(delegate_info, reset_limit),
         "( " DELEGATE_OID ".4.7 NAME 'olcDelegateResetLimit' "
         "DESC 'recovery requests an hour per user (and so per address)' "
         "EQUALITY integerMatch SYNTAX OMsInteger SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-reset-answer", "on|off", 2, 2, 0, ARG_ON_OFF | ARG_OFFSET,
         (void *)offsetof(delegate_info, reset_answer),
         "( " DELEGATE_OID ".4.8 NAME 'olcDelegateResetAnswer' "
         "DESC 'a reset needs the answer to the personal question, when the user has one' "
         "EQUALITY booleanMatch SYNTAX OMsBoolean SINGLE-VALUE )",
         NULL, NULL},
        {"delegate-mail-key", "path", 2, 2, 0, ARG_STRING | ARG_MAGIC | ARG_QUOTE,
         delegate_cf_mail_key,
         "( " DELEGATE_OID ".4.9 NAME 'olcDelegateMailKey' "
         "DESC 'PEM X25519 public key of provisiond: queued mails are sealed to it' "
         "EQUALITY caseExactMatch SYNTAX OMsDirectoryString SINGLE-VALUE )",
         NULL, NULL},
        {NULL, NULL, 0, 0, 0, ARG_IGNORED, NULL, NULL, NULL, NULL}};

static ConfigOCs delegate_ocs[] = {
        {"( " DELEGATE_OID ".5.1 NAME 'olcDelegateConfig' "
         "DESC 'slapo-delegate: delegated administration of portal-um' "
         "SUP olcOverlayConfig "
         "MAY ( olcDelegateRights $ olcDelegateOperators $ olcDelegateProvisioner $ "
         "olcDelegatePasswordMin $ olcDelegateResetURL $ olcDelegateResetTTL $ "
         "olcDelegateResetLimit $ olcDelegateResetAnswer $ olcDelegateMailKey ) )",
         Cft_Overlay, delegate_cfg, NULL, NULL},
        {NULL, 0, NULL, NULL, NULL}};

static void delegate_dn_set(struct berval *dn, struct berval *ndn, ConfigArgs *c)
{
	ch_free(dn->bv_val);
	ch_free(ndn->bv_val);
	*dn = c->value_dn;
	*ndn = c->value_ndn;
	BER_BVZERO(&c->value_dn);
	BER_BVZERO(&c->value_ndn);
}

static void delegate_dn_clear(struct berval *dn, struct berval *ndn)
{
	ch_free(dn->bv_val);
	ch_free(ndn->bv_val);
	BER_BVZERO(dn);
	BER_BVZERO(ndn);
}

static int delegate_cf_gen(ConfigArgs *c)
{
	slap_overinst *on = (slap_overinst *)c->bi;
	delegate_info *di = on->on_bi.bi_private;
	rights_catalog *cat = NULL;
	rights_error err;

	switch (c->op) {
	case SLAP_CONFIG_EMIT:
		switch (c->type) {
		case DELEGATE_RIGHTS:
			if (!di->rights_path)
				return 1;
			c->value_string = ch_strdup(di->rights_path);
			return 0;
		case DELEGATE_OPERATORS:
			if (BER_BVISNULL(&di->operators_dn))
				return 1;
			value_add_one(&c->rvalue_vals, &di->operators_dn);
			value_add_one(&c->rvalue_nvals, &di->operators_ndn);
			return 0;
		case DELEGATE_PROVISIONER:
			if (BER_BVISNULL(&di->provisioner_dn))
				return 1;
			value_add_one(&c->rvalue_vals, &di->provisioner_dn);
			value_add_one(&c->rvalue_nvals, &di->provisioner_ndn);
			return 0;
		}
		return 1;
	case LDAP_MOD_DELETE:
		switch (c->type) {
		case DELEGATE_RIGHTS:
			/* Without a catalogue every grant would be refused
			 * (rule 4), which is the safe failure. */
			catalog_free(di->catalog);
			di->catalog = NULL;
			ch_free(di->rights_path);
			di->rights_path = NULL;
			return 0;
		case DELEGATE_OPERATORS:
			delegate_dn_clear(&di->operators_dn, &di->operators_ndn);
			return 0;
		case DELEGATE_PROVISIONER:
			delegate_dn_clear(&di->provisioner_dn, &di->provisioner_ndn);
			return 0;
		}
		return 1;
	}

	switch (c->type) {
	case DELEGATE_RIGHTS:
		memset(&err, 0, sizeof(err));
		/* ARG_STRING hands us c->value_string; we keep or free it */
		if (catalog_load(&cat, c->value_string, &err) != RIGHTS_OK) {
			/* cr_msg is short; the log gets the whole text */
			snprintf(c->cr_msg, sizeof(c->cr_msg), "%.*s", (int)sizeof(c->cr_msg) - 1,
			         err.message);
			Debug(LDAP_DEBUG_ANY, "%s: %s: %s\n", c->log, c->argv[0], err.message);
			ch_free(c->value_string);
			c->value_string = NULL;
			return ARG_BAD_CONF;
		}
		catalog_free(di->catalog);
		di->catalog = cat;
		ch_free(di->rights_path);
		di->rights_path = c->value_string;
		c->value_string = NULL;
		return 0;
	case DELEGATE_OPERATORS:
		delegate_dn_set(&di->operators_dn, &di->operators_ndn, c);
		return 0;
	case DELEGATE_PROVISIONER:
		delegate_dn_set(&di->provisioner_dn, &di->provisioner_ndn, c);
		return 0;
	}
	return ARG_BAD_CONF;
}

int delegate_schema_resolve(const char **missing)
{
	static const struct {
		const char *name;
		AttributeDescription **ad;
	} ats[] = {
	        {"umManage", &delegate_ad.manage},
	        {"umStatus", &delegate_ad.status},
	        {"umGender", &delegate_ad.gender},
	        {"umApplication", &delegate_ad.app},
	        {"umScope", &delegate_ad.scope},
	        {"umRight", &delegate_ad.right},
	        {"umDelegate", &delegate_ad.delegate},
	        {"umOrgKind", &delegate_ad.org_kind},
	        {"umBillingId", &delegate_ad.billing_id},
	        {"umContractId", &delegate_ad.contract_id},
	        {"umContractKind", &delegate_ad.contract_kind},
	        {"umSecurityAnswer", &delegate_ad.security_answer},
	        {"umResetTokenHash", &delegate_ad.reset_token_hash},
	        {"umResetTokenExpiry", &delegate_ad.reset_token_expiry},
	        {"uid", &delegate_ad.uid},
	        {"mail", &delegate_ad.mail},
	        {"preferredLanguage", &delegate_ad.pref_lang},
	        {"givenName", &delegate_ad.given_name},
	        {"sn", &delegate_ad.sn},
	        {"cn", &delegate_ad.cn},
	        {"member", &delegate_ad.member},
	        {"pwdReset", &delegate_ad.pwd_reset},
	        {"pwdAccountLockedTime", &delegate_ad.pwd_locked},
	        {"displayName", &delegate_ad.display_name},
	        {"o", &delegate_ad.o},
	        {"umAppAccess", &delegate_ad.app_access},
	        {"umResetRequested", &delegate_ad.reset_requested},
	        {"umResetFailures", &delegate_ad.reset_failures},
	        {"umMailSubject", &delegate_ad.mail_subject},
	        {"umMailBody", &delegate_ad.mail_body},
	};
	static const struct {
		const char *name;
		ObjectClass **oc;
	} ocs[] = {
	        {"umUser", &delegate_ad.oc_user},
	        {"umGrant", &delegate_ad.oc_grant},
	        {"umDelegation", &delegate_ad.oc_delegation},
	        {"umOrganization", &delegate_ad.oc_org},
	};
	const char *text = NULL;
	size_t i;

	for (i = 0; i < sizeof(ats) / sizeof(ats[0]); i++) {
		if (*ats[i].ad)
			continue;
		if (slap_str2ad(ats[i].name, ats[i].ad, &text) != LDAP_SUCCESS) {
			*missing = ats[i].name;
			return -1;
		}
	}
	for (i = 0; i < sizeof(ocs) / sizeof(ocs[0]); i++) {
		*ocs[i].oc = oc_find(ocs[i].name);
		if (!*ocs[i].oc) {
			*missing = ocs[i].name;
			return -1;
		}
	}
	return 0;
}

static int delegate_db_init(BackendDB *be, ConfigReply *cr)
{
	slap_overinst *on = (slap_overinst *)be->bd_info;
	delegate_info *di = ch_calloc(1, sizeof(*di));

	(void)cr;
	ldap_pvt_thread_mutex_init(&di->serial_mutex);
	di->password_min = 7; /* §3.2 "au minimum 7 caractères" */
	di->reset_ttl = 3600;
	di->reset_limit = 3;
	on->on_bi.bi_private = di;
	return 0;
}

static int delegate_build_ndn(struct berval *out, const char *rdn, struct berval *suffix)
{
	struct berval dn;
	int rc;

	dn.bv_len = strlen(rdn) + 1 + suffix->bv_len;
	dn.bv_val = ch_malloc(dn.bv_len + 1);
	snprintf(dn.bv_val, dn.bv_len + 1, "%s,%s", rdn, suffix->bv_val);
	rc = dnNormalize(0, NULL, NULL, &dn, out, NULL);
	ch_free(dn.bv_val);
	return rc;
}

static int delegate_db_open(BackendDB *be, ConfigReply *cr)
{
	slap_overinst *on = (slap_overinst *)be->bd_info;
	delegate_info *di = on->on_bi.bi_private;
	const char *missing = NULL;

	if (delegate_schema_resolve(&missing)) {
		/* name the real dependency: pwd* come from slapo-ppolicy */
		snprintf(cr->msg, sizeof(cr->msg), "delegate: schema element %s missing: %s",
		         missing,
		         !strncmp(missing, "pwd", 3)
		                 ? "load the ppolicy overlay (moduleload ppolicy) before delegate"
		                 : "include um.schema");
		Debug(LDAP_DEBUG_ANY, "%s\n", cr->msg);
		return 1;
	}
	/* DESIGN rule 0: LDAP transactions (RFC 5805) are not offered. In
	 * 2.5.13 a transaction's commit holds back-mdb's write lock while it
	 * runs each write through the overlays (deadlock against the serial
	 * mutex), and parallel ones crash slapd. Without the flag, slapd
	 * refuses every write carrying the txnSpec control (unwillingToPerform,
	 * "backend doesn't support transactions"). */
	on->on_info->oi_bi.bi_flags &= ~SLAP_BFLAG_TXNS;
	if (!di->catalog) {
		snprintf(cr->msg, sizeof(cr->msg), "delegate: delegate-rights is required");
		Debug(LDAP_DEBUG_ANY, "%s\n", cr->msg);
		return 1;
	}
	if (BER_BVISEMPTY(&be->be_nsuffix[0]))
		return 1;
	if (delegate_build_ndn(&di->orgs_ndn, "ou=organizations", &be->be_nsuffix[0]) ||
	    delegate_build_ndn(&di->groups_ndn, "ou=groups", &be->be_nsuffix[0]) ||
	    delegate_build_ndn(&di->apps_ndn, "ou=applications", &be->be_nsuffix[0]) ||
	    delegate_build_ndn(&di->system_ndn, "ou=system", &be->be_nsuffix[0]) ||
	    delegate_build_ndn(&di->mail_ndn, "ou=mail,ou=system", &be->be_nsuffix[0]))
		return 1;
	di->be = be->bd_self;
	di->bind_by_acl = delegate_bind_acl_present(be->bd_self);
	if (delegate_remoteauth_present(on) < 0) {
		/* DESIGN rule 5: a deactivated user must not bind at its source */
		snprintf(cr->msg, sizeof(cr->msg),
		         "delegate: overlay remoteauth must be configured before delegate, so "
		         "that delegate checks binds first");
		Debug(LDAP_DEBUG_ANY, "%s\n", cr->msg);
		return 1;
	}
	delegate_instance = on;
	return 0;
}

static int delegate_db_close(BackendDB *be, ConfigReply *cr)
{
	slap_overinst *on = (slap_overinst *)be->bd_info;
	delegate_info *di = on->on_bi.bi_private;

	(void)cr;
	if (delegate_instance == on)
		delegate_instance = NULL;
	ch_free(di->mail_ndn.bv_val);
	BER_BVZERO(&di->mail_ndn);
	ch_free(di->orgs_ndn.bv_val);
	ch_free(di->groups_ndn.bv_val);
	ch_free(di->apps_ndn.bv_val);
	ch_free(di->system_ndn.bv_val);
	BER_BVZERO(&di->system_ndn);
	BER_BVZERO(&di->orgs_ndn);
	BER_BVZERO(&di->groups_ndn);
	BER_BVZERO(&di->apps_ndn);
	return 0;
}

static int delegate_db_destroy(BackendDB *be, ConfigReply *cr)
{
	slap_overinst *on = (slap_overinst *)be->bd_info;
	delegate_info *di = on->on_bi.bi_private;

	(void)cr;
	if (!di)
		return 0;
	catalog_free(di->catalog);
	ch_free(di->rights_path);
	ch_free(di->reset_url);
	delegate_mail_key_free(di);
	delegate_dn_clear(&di->operators_dn, &di->operators_ndn);
	delegate_dn_clear(&di->provisioner_dn, &di->provisioner_ndn);
	ldap_pvt_thread_mutex_destroy(&di->serial_mutex);
	ch_free(di);
	on->on_bi.bi_private = NULL;
	return 0;
}

static slap_overinst delegate_on;

static int delegate_initialize(void)
{
	int rc;

	delegate_on.on_bi.bi_type = "delegate";
	delegate_on.on_bi.bi_flags = SLAPO_BFLAG_SINGLE;
	delegate_on.on_bi.bi_db_init = delegate_db_init;
	delegate_on.on_bi.bi_db_open = delegate_db_open;
	delegate_on.on_bi.bi_db_close = delegate_db_close;
	delegate_on.on_bi.bi_db_destroy = delegate_db_destroy;
	delegate_ops_register(&delegate_on);

	delegate_on.on_bi.bi_cf_ocs = delegate_ocs;
	rc = config_register_schema(delegate_cfg, delegate_ocs);
	if (rc)
		return rc;
	rc = delegate_recovery_register();
	if (rc)
		return rc;
	rc = delegate_bind_register();
	if (rc)
		return rc;
	rc = delegate_read_register();
	if (rc)
		return rc;
	return overlay_register(&delegate_on);
}

int init_module(int argc, char *argv[]);

int init_module(int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	return delegate_initialize();
}
