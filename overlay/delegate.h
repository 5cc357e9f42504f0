/*
 * slapo-delegate: delegated administration for portal-um (DESIGN §3).
 * Private header: structures, then prototypes grouped by the file that
 * defines them.
 */
#ifndef PORTAL_UM_DELEGATE_H
#define PORTAL_UM_DELEGATE_H

#include "portable.h"
#include "slap.h"
#include "slap-config.h"

#include "rights.h"

/* The UUID arc of um.schema: .3.N extended operations, .4.N/.5.N config */
#define DELEGATE_OID "2.25.217361807927623635844219787451286708447"

typedef struct delegate_info {
	/* Loaded from delegate-rights at configuration time, so a broken
	 * rights.yaml stops slapd (and slaptest) with file:line:col. Swapped
	 * only while cn=config pauses the server. */
	rights_catalog *catalog;
	char *rights_path;
	struct berval operators_dn, operators_ndn;
	struct berval provisioner_dn, provisioner_ndn;
	/* ou=organizations,<suffix>, normalised: the subtree the rules guard */
	struct berval orgs_ndn;
	struct berval groups_ndn;
	struct berval apps_ndn;
	struct berval system_ndn;
	/* §3.2 for passwords administrators set (delegate-password-min) */
	unsigned password_min;
	/* §3.3 password recovery: the database (extended operations run in
	 * the frontend), where mails wait for provisiond, the link template
	 * ({uid} {dn} {token}), token lifetime, requests an hour per user, and
	 * whether the personal question's answer is required */
	BackendDB *be;
	struct berval mail_ndn;
	char *reset_url;
	unsigned reset_ttl;
	unsigned reset_limit;
	int reset_answer;
	/* delegate-mail-key: provisiond's X25519 public key, to which every
	 * queued mail's body is sealed (recovery.c; EVP_PKEY) */
	char *mail_key_path;
	struct evp_pkey_st *mail_key;
	/* the ACL clause "by dynacl/delegate-bind" checks binds (ops.c) */
	int bind_by_acl;
	/* Serialises checks that read state a concurrent write can change
	 * (the writer's holdings) with the write itself, as unique.c does. */
	ldap_pvt_thread_mutex_t serial_mutex;
} delegate_info;

/* Attribute descriptions of um.schema, resolved at db_open. */
typedef struct delegate_ads {
	AttributeDescription *manage, *status, *gender, *app, *scope, *right;
	AttributeDescription *delegate, *org_kind, *billing_id, *contract_id;
	AttributeDescription *contract_kind, *security_answer, *uid, *mail;
	AttributeDescription *pref_lang, *given_name, *sn, *cn, *member;
	AttributeDescription *pwd_reset, *pwd_locked, *reset_token_hash, *reset_token_expiry;
	AttributeDescription *display_name, *o, *app_access;
	AttributeDescription *reset_requested, *reset_failures, *mail_subject, *mail_body;
	ObjectClass *oc_user, *oc_grant, *oc_delegation, *oc_org;
} delegate_ads;

extern delegate_ads delegate_ad;

/* What a DN is (DESIGN §2), decided by lib's portal_dn_parse(). Every
 * berval points into the normalised DN it was parsed from. */
typedef rights_kind delegate_kind;
#define DK_OUTSIDE    RIGHTS_KIND_OUTSIDE
#define DK_USER       RIGHTS_KIND_USER
#define DK_GRANT      RIGHTS_KIND_GRANT
#define DK_DELEGATION RIGHTS_KIND_DELEGATION
#define DK_PROTECTED  RIGHTS_KIND_PROTECTED
#define DK_SYSTEM     RIGHTS_KIND_SYSTEM

typedef struct delegate_target {
	delegate_kind kind;
	struct berval org;      /* X, the orgId */
	struct berval org_ndn;  /* o=X,ou=organizations,<suffix> */
	struct berval user_ndn; /* DK_USER, DK_GRANT: the user */
	struct berval uid;      /* DK_USER, DK_GRANT: U */
	struct berval app;      /* DK_GRANT, DK_DELEGATION: before the '@' */
	struct berval scope;    /* DK_GRANT: scope org; DK_DELEGATION: router */
	int in_mail;            /* DK_SYSTEM: under the recovery mail queue */
} delegate_target;

typedef enum delegate_who {
	DW_ANONYMOUS = 0,
	DW_OPERATOR,    /* rootdn or member of delegate-operators */
	DW_PROVISIONER, /* delegate-provisioner */
	DW_USER,        /* a portal user (uid=U,ou=users,o=X) */
	DW_OTHER,       /* any other identity, e.g. an e-application */
} delegate_who;

/* The writer B of DESIGN §3, copied out of its entry (released at once). */
typedef struct delegate_writer {
	delegate_who who;
	delegate_target dn; /* DW_USER: parsed o_ndn */
	int active;
	int is_admin;     /* umManage holds users or admins */
	BerVarray manage; /* normalised umManage values, op->o_tmpmemctx */
	rights_lang lang;
	struct berval name; /* uid, for messages (points into o_dn) */
} delegate_writer;

/* delegate.c */
int delegate_schema_resolve(const char **missing);

/* lookup.c */
int delegate_dn_parse(delegate_target *out, const delegate_info *di, struct berval *ndn);
void delegate_target_spell(delegate_target *t, struct berval *pretty, struct berval *ndn);
int delegate_entry_get(Operation *op, slap_overinst *on, struct berval *ndn, Entry **e);
void delegate_entry_release(Operation *op, slap_overinst *on, Entry *e);
int delegate_writer_resolve(delegate_writer *out, Operation *op, slap_overinst *on);
void delegate_writer_free(Operation *op, delegate_writer *w);
int delegate_ndn_build(struct berval *out, Operation *op, const char *fmt, ...);
void delegate_rdn_escape(char *out, size_t size, const char *val, size_t len);
int delegate_org_is_router(Operation *op, slap_overinst *on, struct berval *org_ndn);
int delegate_holdings(BerVarray *out, Operation *op, slap_overinst *on, const delegate_writer *w,
                      struct berval *app, struct berval *scope);
int delegate_resolve_resource(void *ctx, rights_source source, rights_str id, rights_str *kind);
int delegate_value_has(BerVarray vals, struct berval *v);
rights_str *delegate_strs(Operation *op, BerVarray vals, size_t *n);
int delegate_vals_ask(Operation *op, BerVarray vals, int (*ask)(const rights_str *, size_t));

/* Context of grant_validate()'s resolver: resources of one organisation. */
typedef struct delegate_resolve_ctx {
	Operation *op;
	slap_overinst *on;
	struct berval scope; /* orgId whose ou=billing/ou=contracts to look in */
	char kind[64];       /* the last contract's umContractKind */
} delegate_resolve_ctx;

/* check.c */
typedef struct delegate_verdict {
	int code; /* LDAP result code; LDAP_SUCCESS: allowed */
	rights_msg msg;
	rights_msg_args args;
	char user[256];   /* storage for args.user */
	char right[256];  /* storage for args.right */
	char reason[256]; /* storage for args.reason */
	char app[128];
	char org[128];
} delegate_verdict;

int delegate_check_write(delegate_verdict *v, Operation *op, slap_overinst *on,
                         const delegate_writer *w, const delegate_target *t, Entry *before,
                         Entry *after);
int delegate_check_place(delegate_verdict *v, Operation *op, const delegate_writer *w,
                         const delegate_target *t);
int delegate_check_shape(delegate_verdict *v, Operation *op, const delegate_writer *w,
                         const delegate_target *t, Entry *after);
int delegate_check_options(delegate_verdict *v, Operation *op, const delegate_target *t);
int delegate_check_bind(delegate_verdict *v, Operation *op, slap_overinst *on, Entry *e);

/* recovery.c */
int delegate_recovery_register(void);
int delegate_cf_mail_key(ConfigArgs *c);
void delegate_mail_key_free(delegate_info *di);

/* answer.c */
void delegate_answer_normalize(char *buf, size_t size, struct berval *in, struct berval *out);
int delegate_answer_hash_values(BerVarray vals);
void delegate_reset_link(char *out, size_t size, const char *tmpl, struct berval *uid,
                         struct berval *dn, const char *token);

/* ops.c */
typedef struct delegate_translation delegate_translation;
void delegate_translate(SlapReply *rs, delegate_translation *tr);
void delegate_translate_passwd(Operation *op, SlapReply *rs);
void delegate_ops_register(slap_overinst *on);
int delegate_bind_register(void);
int delegate_bind_acl_present(BackendDB *be);
int delegate_remoteauth_present(slap_overinst *on);

/* read.c */
int delegate_read_register(void);

/* delegate.c: the one instance (SLAPO_BFLAG_SINGLE), for what slapd calls
 * outside any database: extended operations and dynamic ACLs */
extern slap_overinst *delegate_instance;

#endif
