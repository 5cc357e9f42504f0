/*
 * umctl(1): the administrators' CLI, every screen of the manual as a
 * command (DESIGN §1, §6). It talks LDAP as the bound user and the
 * delegate overlay decides: umctl never re-derives a rule, it shows what
 * the server says. The catalogue comes from ou=applications, never from
 * rights.yaml (DESIGN §3, last paragraph).
 *
 * Exit codes (DESIGN §6): UM_EXIT_OK, UM_EXIT_REFUSED (the server's
 * diagnostic printed as it came), UM_EXIT_USAGE (usage or connection).
 */
#ifndef PORTAL_UM_UMCTL_H
#define PORTAL_UM_UMCTL_H

#include <stddef.h>

#include <ldap.h>

#include "rights.h"

enum { UM_EXIT_OK = 0, UM_EXIT_REFUSED = 1, UM_EXIT_USAGE = 2 };

/* The session: who is bound, where, in which language. Strings owned. */
struct um {
	LDAP *ld;
	char *uri;
	char *binddn;
	char *suffix;
	char *org; /* the bound user's organisation id, or --org; NULL: none */
	char *uid; /* the bound user's uid; NULL for operators */
	char *password_file;
	rights_lang lang;
	int json;
	int operator; /* not a portal user (rootdn, cn=operators member) */
};

/* ---- conn.c: configuration, password, bind -------------------------------------- */

/* UM_URI, UM_BINDDN (environment, else ~/.umrc), the language from LANG. */
int um_config(struct um *um);
/* Binds (the password *password if set, taken; else from --password-file,
 * UM_PASSWORD_FILE or a prompt), learns the suffix and, for a portal user,
 * its uid, org and language. `password` receives the password used when
 * not NULL (caller frees with um_secret_free). UM_EXIT_*. */
int um_connect(struct um *um, char **password);
/* Anonymous connection (forgot, reset). */
int um_connect_anonymous(struct um *um);
void um_close(struct um *um);
/* A line from the terminal (echo off when secret), NULL at EOF. Not
 * secret: from stdin when there is no terminal. */
char *um_prompt(const char *prompt, int secret);
int um_read_password_file(char **out, const char *path);
void um_secret_free(char *s);

/* ---- out.c: messages, tables, JSON, errors ---------------------------------------- */

typedef enum um_text {
	T_USERNAME = 0,
	T_NAME,
	T_MAIL,
	T_CREATED_BY,
	T_ADMIN,
	T_STATUS,
	T_YES,
	T_NO,
	T_ACTIVE,
	T_DEACTIVATED,
	T_APPLICATION,
	T_DIMENSION,
	T_VALUE,
	T_LABEL,
	T_HELD,
	T_GREYED,
	T_ORGANISATION,
	T_KIND,
	T_ADDRESS,
	T_RIGHTS,
	T_ROUTER,
	T_LANGUAGE,
	T_MANAGEMENT,
	T_ADDED,
	T_NOTHING_TO_ADD,
	T_DONE,
	T_P_PASSWORD,
	T_P_CURRENT,
	T_P_NEW,
	T_P_CONFIRM,
	T_MISMATCH,
	T_P_UID,
	T_P_GIVEN,
	T_P_SN,
	T_P_MAIL,
	T_P_LANG,
	T_P_GENDER,
	T_P_MANAGE,
	T_FORGOT_SENT,
	T_PASSWORD_CHANGED,
	T_SCOPE,
	T_FIRST_NAME,
	T_SURNAME,
	T_GENDER,
	T_COUNT
} um_text;

const char *um_t(const struct um *um, um_text id);

/* An LDAP result: 0 for success, else the server's diagnostic (or the
 * code's text) on stderr and UM_EXIT_REFUSED, UM_EXIT_USAGE when the
 * connection failed. */
int um_ldap_result(struct um *um, int rc);
int um_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A table printed aligned, or as a JSON array of objects (--json) keyed
 * by the columns' keys. Cells are copied. */
struct table {
	size_t ncols;
	const char **keys;
	const char **heads;
	char **cells; /* row-major */
	size_t nrows, cap;
};
int table_init(struct table *t, size_t ncols, const char **keys, const char **heads);
int table_row(struct table *t, const char *const *cells);
void table_print(const struct um *um, const struct table *t);
void table_free(struct table *t);
/* A JSON string literal on stdout. */
void json_str(const char *s);

/* ---- catalog.c: ou=applications ------------------------------------------------- */

struct cvalue {
	char *id;
	char *right; /* dim:value */
	char *label[RIGHTS_LANG_COUNT];
	int router_only;
};
struct cdim {
	char *id;
	char *source; /* static, billing, contract */
	char *label[RIGHTS_LANG_COUNT];
	struct cvalue *v;
	size_t nv;
};
struct capp {
	char *id;
	char *label[RIGHTS_LANG_COUNT];
	int delegable;
	struct cdim *d;
	size_t nd;
};
struct cmanage {
	char *id;
	char *label[RIGHTS_LANG_COUNT];
};
struct ucat {
	struct capp *a;
	size_t na;
	struct cmanage *m;
	size_t nm;
};

int ucat_load(struct ucat *out, struct um *um);
void ucat_free(struct ucat *c);
const struct capp *ucat_app(const struct ucat *c, const char *id_or_label);
/* The label in the session's language, else en, else the id. */
const char *ucat_label(const struct um *um, char *const label[RIGHTS_LANG_COUNT], const char *id);
/* "dim:value" for a value given as dim:value, id, label (any language) or
 * dim:label; NULL when unknown or ambiguous (then *why says which). The
 * result is owned by the caller. */
char *ucat_resolve(const struct capp *app, const char *arg, const char **why);
/* The label of a umRight value of app; the value itself when dynamic. */
const char *ucat_right_label(const struct um *um, const struct capp *app, const char *right,
                             const char **dimlabel);
const char *ucat_manage_label(const struct um *um, const struct ucat *c, const char *id);

/* ---- dn.c: names of the tree (DESIGN §2) ----------------------------------------- */

char *um_org_dn(const struct um *um, const char *org);
char *um_user_dn(const struct um *um, const char *org, const char *uid);
char *um_grant_dn(const char *user_dn, const char *app, const char *scope);
/* The entry a dynamic value names (source "billing": umBillingId=ID,
 * ou=billing; "contract": umContractId=ID,ou=contracts) in org; NULL for
 * any other source. Owned. */
char *um_resource_dn(const struct um *um, const char *org, const char *source, const char *id);
/* The value of the first RDN of dn (the uid of a user DN); owned. */
char *um_dn_first_value(const char *dn);
/* Values of attr in e, NULL-terminated, owned (free with um_strv_free). */
char **um_values(LDAP *ld, LDAPMessage *e, const char *attr);
char *um_value(LDAP *ld, LDAPMessage *e, const char *attr);
void um_strv_free(char **v);
size_t um_strv_len(char *const *v);
int um_strv_has(char *const *v, const char *s);

/* ---- rights.c: grants and delegations ------------------------------------------- */

/* Adds a holding (DESIGN §2): a grant (umGrant, owner_attr umScope) or a
 * delegation (umDelegation, umDelegate) named cn, of app, with its first
 * umRight values. The LDAP result code. */
int um_holding_add(struct um *um, const char *dn, const char *oc, const char *cn, const char *app,
                   const char *owner_attr, const char *owner, char **values);

/* ---- main.c: arguments ------------------------------------------------------------ */

/* Takes "--name VALUE" (or --name=VALUE) out of argv; NULL if absent. A
 * flag given without its value is a usage error (*bad set). */
const char *um_flag(int *argc, char **argv, const char *name, int *bad);
/* Takes "--name" out of argv: 1 if it was there. */
int um_switch(int *argc, char **argv, const char *name);
/* Takes the first two/three words of a subcommand: 1 if argv[0] is word. */
int um_is(int argc, char **argv, const char *word);

/* ---- commands ------------------------------------------------------------------ */

int cmd_whoami(struct um *um, int argc, char **argv);
int cmd_passwd(struct um *um, int argc, char **argv);
int cmd_forgot(struct um *um, int argc, char **argv);
int cmd_reset(struct um *um, int argc, char **argv);
int cmd_accounts(struct um *um, int argc, char **argv);
int cmd_users(struct um *um, int argc, char **argv);
int cmd_user(struct um *um, int argc, char **argv);
int cmd_rights(struct um *um, int argc, char **argv);
int cmd_routers(struct um *um, int argc, char **argv);
int cmd_delegate(struct um *um, int argc, char **argv);
int cmd_delegations(struct um *um, int argc, char **argv);
int cmd_org(struct um *um, int argc, char **argv);
/* rights.c: the cn of the billing address or contract a dynamic value
 * (billing:ID, contract:ID) of app names in org; NULL for a static value
 * or an entry the bound user may not read. Owned. */
char *um_resource_name(struct um *um, const struct capp *app, const char *org, const char *right);
/* Creates a user (§2.2.3): flags or prompts; `manage` preset (first-admin). */
int user_create(struct um *um, const char *org, int argc, char **argv, const char *const *manage);

#endif
