/*
 * librights: the rights model of portal-um (DESIGN §1, §4).
 *
 * Pure: no LDAP, no logging, no global state. The only function that
 * touches the file system is catalog_load(). Everything here is shared by
 * the delegate overlay (loaded into slapd), provisiond and umctl.
 *
 * Ownership: a rights_catalog is created by catalog_load*() and owned by the
 * caller, who frees it with catalog_free(). Every pointer returned by a
 * lookup function (apps, dimensions, values, labels) is borrowed from the
 * catalogue and lives as long as it does. rights_str never owns its bytes.
 * A catalogue is immutable after loading, so it may be read concurrently by
 * any number of threads.
 */
#ifndef PORTAL_UM_RIGHTS_H
#define PORTAL_UM_RIGHTS_H

#include <stddef.h>

/* A borrowed, not necessarily NUL-terminated string (berval-compatible). */
typedef struct rights_str {
	const char *ptr;
	size_t len;
} rights_str;

/* Return codes of every int-returning function. */
enum {
	RIGHTS_OK = 0,
	RIGHTS_ENOMEM = -1,
	RIGHTS_EIO = -2,     /* the file could not be read */
	RIGHTS_ESYNTAX = -3, /* YAML or catalogue error, see rights_error */
	RIGHTS_EINVAL = -4,  /* a value or grant is invalid, see rights_violation */
};

/* A loader error: `message` is "file:line:col: what is wrong" (1-based). */
typedef struct rights_error {
	char message[512];
	int line;
	int column;
} rights_error;

typedef enum rights_lang {
	RIGHTS_LANG_EN = 0,
	RIGHTS_LANG_NL,
	RIGHTS_LANG_FR,
	RIGHTS_LANG_DE,
	RIGHTS_LANG_COUNT
} rights_lang;

/* "nl", "fr", "de", "en" (case-insensitive, "fr-BE" style tags accepted);
 * returns 0 and sets *out, or RIGHTS_EINVAL leaving *out untouched. */
int lang_parse(rights_lang *out, const char *tag, size_t len);
/* The language to talk to someone in: their preferredLanguage, else en. */
rights_lang lang_or_default(const char *tag, size_t len);
const char *lang_code(rights_lang lang);

/* ---- catalogue (catalog.c, catalog_load.c) ---------------------------- */

typedef struct rights_catalog rights_catalog;
typedef struct rights_app rights_app;
typedef struct rights_dim rights_dim;
typedef struct rights_value rights_value;
typedef struct rights_profile rights_profile;

/* Where a dimension's values come from (DESIGN §4). */
typedef enum rights_source {
	RIGHTS_SOURCE_STATIC = 0, /* the `values:` list of rights.yaml */
	RIGHTS_SOURCE_BILLING,    /* umBillingId of an entry under the org's ou=billing */
	RIGHTS_SOURCE_CONTRACT,   /* umContractId under the org's ou=contracts */
} rights_source;

/* Loads and checks rights.yaml. Unknown keys, duplicate ids, missing labels
 * in any of the four languages, a profile naming an unknown value: all are
 * errors reported as "path:line:col: message" in *err. On failure *out is
 * NULL. */
int catalog_load(rights_catalog **out, const char *path, rights_error *err);
/* The same from memory; `name` stands for the path in messages. */
int catalog_load_buffer(rights_catalog **out, const char *name, const char *buf, size_t len,
                        rights_error *err);
void catalog_free(rights_catalog *cat);

/* Projection rules (`project:`), read by provisiond. kind is "group" or
 * "attribute"; for a group, `template` holds {suffix}/{app}/{<dim>} markers
 * and `for_dim` the dimension iterated (NULL: one group per app); for an
 * attribute, `name` and `template` (the value). */
typedef struct rights_projection {
	const char *kind;
	const char *name;
	const char *template;
	const char *for_dim;
} rights_projection;
size_t app_projection_count(const rights_app *app);
const rights_projection *app_projection_at(const rights_app *app, size_t i);

/* Management rights of manual §2.2.4 (admins, users, password-recovery,
 * ftp). */
size_t catalog_manage_count(const rights_catalog *cat);
const char *catalog_manage_at(const rights_catalog *cat, size_t i);
int catalog_manage_exists(const rights_catalog *cat, rights_str id);
const char *catalog_manage_label(const rights_catalog *cat, rights_str id, rights_lang lang);
/* The `project:` rules of the i-th management right (FTP access is a
 * group and an attribute an FTP server requires): templates use {suffix}
 * only, and for_dim is always NULL. */
size_t catalog_manage_projection_count(const rights_catalog *cat, size_t i);
const rights_projection *catalog_manage_projection_at(const rights_catalog *cat, size_t i,
                                                      size_t k);

size_t catalog_app_count(const rights_catalog *cat);
const rights_app *catalog_app_at(const rights_catalog *cat, size_t i);
const rights_app *catalog_app(const rights_catalog *cat, rights_str id);

const char *app_id(const rights_app *app);
const char *app_label(const rights_app *app, rights_lang lang);
int app_delegable(const rights_app *app); /* §2.3.1 sous-traitants */
size_t app_dim_count(const rights_app *app);
const rights_dim *app_dim_at(const rights_app *app, size_t i);
const rights_dim *app_dim(const rights_app *app, rights_str id);
size_t app_profile_count(const rights_app *app);
const rights_profile *app_profile_at(const rights_app *app, size_t i);
const char *profile_id(const rights_profile *p);
const char *profile_label(const rights_profile *p, rights_lang lang);

/* §2.3.5: X = mandatory, O = option, NA = not applicable/not allowed. */
typedef enum rights_mark {
	RIGHTS_MARK_NA = 0,
	RIGHTS_MARK_O,
	RIGHTS_MARK_X,
} rights_mark;

/* The matrix, cell by cell, for those who show it (provisiond publishes
 * it under ou=applications, DESIGN §4). `dim` must be one of app's. 1 if
 * profile p constrains dim (a `require:` row), else 0. */
int profile_constrains(const rights_app *app, const rights_profile *p, const rights_dim *dim);
/* The mark of value v of dim in p: NA for values of a constrained
 * dimension the profile does not list; -1 if p does not constrain dim. */
int profile_mark(const rights_app *app, const rights_profile *p, const rights_dim *dim,
                 const rights_value *v);
/* 1 if p needs at least one value of dim ("always tick the applicable
 * bordereau types", §2.3.5). */
int profile_at_least_one(const rights_app *app, const rights_profile *p, const rights_dim *dim);

const char *dim_id(const rights_dim *dim);
const char *dim_label(const rights_dim *dim, rights_lang lang);
rights_source dim_source(const rights_dim *dim);
/* For RIGHTS_SOURCE_CONTRACT: may a contract of this umContractKind be
 * granted (§2.3.3: Collect & Stamp takes only cs-master)? */
int dim_accepts_kind(const rights_dim *dim, rights_str kind);
/* Those kinds (none: any kind), in rights.yaml's order. */
size_t dim_kind_count(const rights_dim *dim);
const char *dim_kind_at(const rights_dim *dim, size_t i);
size_t dim_value_count(const rights_dim *dim); /* 0 for dynamic sources */
const rights_value *dim_value_at(const rights_dim *dim, size_t i);
const rights_value *dim_value(const rights_dim *dim, rights_str id);

const char *value_id(const rights_value *v);
const char *value_label(const rights_value *v, rights_lang lang);
/* §2.3.1 "Senders Management": only for users of router organisations. */
int value_router_only(const rights_value *v);

/* ---- right values and grants (grant.c) -------------------------------- */

/* "dimension:value" → its two halves (split at the first ':'). Both halves
 * non-empty, no control characters or spaces at either end. */
int right_parse(rights_str *dim, rights_str *value, rights_str right);

/* Why a grant or value was refused. `value` points into the caller's data
 * (the offending umRight value, or the profile-less dimension). */
typedef enum rights_violation_kind {
	RIGHTS_V_NONE = 0,
	RIGHTS_V_UNKNOWN_APP,      /* application not in the catalogue */
	RIGHTS_V_MALFORMED,        /* not "dimension:value" */
	RIGHTS_V_UNKNOWN_DIM,      /* dimension not defined for the app */
	RIGHTS_V_UNKNOWN_VALUE,    /* static value not in the list */
	RIGHTS_V_NO_SUCH_BILLING,  /* no such billing address in the org */
	RIGHTS_V_NO_SUCH_CONTRACT, /* no such contract in the org */
	RIGHTS_V_WRONG_KIND,       /* contract of a kind the app refuses */
	RIGHTS_V_ROUTER_ONLY,      /* router-only value for a customer's user */
	RIGHTS_V_DUPLICATE,        /* the same value twice */
	RIGHTS_V_PROFILE,          /* no profile of the matrix fits (§2.3.5) */
	RIGHTS_V_EMPTY,            /* a grant with no value at all */
} rights_violation_kind;

typedef struct rights_violation {
	rights_violation_kind kind;
	rights_str value;
	/* RIGHTS_V_PROFILE: the profile that came closest and why it failed
	 * (value missing although X, or present although NA). */
	const rights_profile *profile;
	rights_str profile_value;
	int profile_value_missing; /* 1: an X value is absent; 0: an NA value is present */
} rights_violation;

/* Looks up an org resource: return 1 if `id` exists under the scoped org
 * for `source`, 0 if not, <0 on error. For contracts, set *kind (borrowed,
 * valid until the next call) to the entry's umContractKind. */
typedef int (*rights_resolve_fn)(void *ctx, rights_source source, rights_str id, rights_str *kind);

typedef struct rights_grant_ctx {
	int scope_is_router;       /* the org whose users get the grant is a router */
	rights_resolve_fn resolve; /* NULL: dynamic values are not checked */
	void *resolve_ctx;
} rights_grant_ctx;

/* Validates a whole grant (rule 4): every value, then the app's profile
 * matrix if it has one. Returns RIGHTS_OK, RIGHTS_EINVAL (filling *why) or
 * a negative error from resolve. */
int grant_validate(rights_violation *why, const rights_catalog *cat, const rights_app *app,
                   const rights_str *values, size_t n, const rights_grant_ctx *ctx);

/* ---- subset algebra (subset.c) ---------------------------------------- */

/* The values of `changed` that are missing from the union of the holder's
 * sets (a grant, plus a delegation for a router admin, DESIGN rule 3).
 * Returns the index in `changed` of the first value not held, or -1 if
 * the holder holds them all. Comparison is exact (umRight is caseExact). */
long subset_first_missing(const rights_str *const *held_sets, const size_t *held_counts,
                          size_t nsets, const rights_str *changed, size_t nchanged);

/* 1 if `v` is in `set`. */
int subset_contains(const rights_str *set, size_t n, rights_str v);

/* The values added (in `after`, not in `before`) then removed (the other
 * way round) by a write, into `out` (room for nb + na; borrowed from the
 * inputs). Returns how many. DESIGN rule 3 holds a writer to both. */
size_t subset_changed(rights_str *out, const rights_str *before, size_t nb, const rights_str *after,
                      size_t na);

/* ---- messages (messages.c) -------------------------------------------- */

/* One sentence per refusal, in four languages (DESIGN rule 9). */
typedef enum rights_msg {
	MSG_OTHER_ORG = 0,      /* rule 1 */
	MSG_WRITER_INACTIVE,    /* rule 2: writer deactivated */
	MSG_NEED_MANAGE,        /* rule 2: lacks users/admins */
	MSG_SELF_RIGHTS,        /* rule 2/7: own rights, umManage, umStatus */
	MSG_NOT_HELD,           /* rule 3: grant value */
	MSG_NOT_HELD_MANAGE,    /* rule 3: umManage value */
	MSG_INVALID_VALUE,      /* rule 4: any rights_violation, {reason} says which */
	MSG_BAD_LANGUAGE,       /* rule 4: preferredLanguage */
	MSG_BAD_MAIL,           /* rule 4 */
	MSG_MISSING_FIELD,      /* rule 4: {right} names the field */
	MSG_BAD_FIELD,          /* rule 4: umStatus/umGender/umManage unknown value */
	MSG_NO_DELETE,          /* rule 5 */
	MSG_DEACTIVATED_BIND,   /* rule 5 */
	MSG_TEMPORARY_PASSWORD, /* rule 5 */
	MSG_PROTECTED,          /* rule 6 */
	MSG_NO_MOVE,            /* rule 6 */
	MSG_UID_IMMUTABLE,      /* rule 6 */
	MSG_NOT_DELEGABLE,      /* rule 8 */
	MSG_BAD_GRANT_NAME, /* grant RDN must be cn=<app>@<org>, matching umApplication/umScope */
	MSG_ANONYMOUS,      /* anonymous writes */
	MSG_NOT_ADMIN,      /* a plain user writing someone else */
	MSG_RESERVED_ATTR,  /* projections and password state: the portal's own */
	MSG_PASSWORD_SHORT, /* §3.2: {right} is the minimum length */
	MSG_PASSWORD_NO_UPPER, /* §3.2 */
	MSG_PASSWORD_NO_LOWER, /* §3.2 */
	MSG_PASSWORD_HASHED,   /* the policy needs the password in clear */
	MSG_RECOVERY_ANSWER,
	MSG_TOKEN_INVALID,
	MSG_MAIL_RESET_SUBJECT,
	MSG_MAIL_RESET_BODY,
	MSG_MAIL_ADMINS_SUBJECT,
	MSG_MAIL_ADMINS_BODY,
	MSG_MAIL_USERNAMES_SUBJECT,
	MSG_MAIL_USERNAMES_BODY,
	MSG_ATTR_OPTION,       /* rule 0: {right} is an attribute with options */
	MSG_SHAPE_CLASS,       /* rule 0: {right} is an object class the kind does not have */
	MSG_SHAPE_ATTR,        /* rule 0: {right} is no attribute of the kind */
	MSG_CONTROL,           /* rule 0: {right} names a control only operators may use */
	MSG_NO_SHAPE,          /* rule 0: {user} is no place for an entry */
	MSG_UID_TAKEN,         /* slapo-unique: {right} is somebody's username already */
	MSG_WRONG_PASSWORD,    /* §3.2: the current password given is not the right one */
	MSG_NEED_OLD_PASSWORD, /* §3.2: pwdSafeModify, the current password is missing */
	MSG_COUNT
} rights_msg;

/* Reasons for MSG_INVALID_VALUE, one per rights_violation_kind. */
const char *messages_violation(rights_violation_kind kind, rights_lang lang);

/* Placeholders a message may use: {writer} {user} {right} {app} {org}
 * {reason}. Missing ones render as "?". */
typedef struct rights_msg_args {
	const char *writer;
	const char *user;
	const char *right;
	const char *app;
	const char *org;
	const char *reason;
} rights_msg_args;

/* The raw template (for tests and translators). */
const char *messages_template(rights_msg id, rights_lang lang);
/* Renders into buf (always NUL-terminated, truncated if needed); returns
 * the length that the full text needs, like snprintf. */
size_t messages_format(char *buf, size_t size, rights_msg id, rights_lang lang,
                       const rights_msg_args *args);

/* ---- password policy (password.c) -------------------------------------- */

/* Manual §3.2: at least min_length characters (code points), one upper-
 * and one lower-case letter. Returns RIGHTS_OK, or RIGHTS_EINVAL with *why
 * one of MSG_PASSWORD_SHORT, MSG_PASSWORD_NO_UPPER, MSG_PASSWORD_NO_LOWER. */
int password_quality(rights_msg *why, const char *password, size_t len, size_t min_length);

/* ---- shapes (shape.c): DESIGN rule 0 ------------------------------------ */

/* What an entry is, from its DN alone (DESIGN §2). */
typedef enum rights_kind {
	RIGHTS_KIND_OUTSIDE = 0, /* not the portal's: ACLs decide */
	RIGHTS_KIND_ORGS,        /* ou=organizations itself */
	RIGHTS_KIND_ORG,         /* o=X */
	RIGHTS_KIND_CONTAINER,   /* ou=users|billing|contracts|delegations,o=X */
	RIGHTS_KIND_USER,        /* uid=U,ou=users,o=X */
	RIGHTS_KIND_GRANT,       /* cn=app@scope,uid=U,ou=users,o=X */
	RIGHTS_KIND_BILLING,     /* umBillingId=B,ou=billing,o=X */
	RIGHTS_KIND_CONTRACT,    /* umContractId=C,ou=contracts,o=X */
	RIGHTS_KIND_DELEGATION,  /* cn=app@router,ou=delegations,o=X */
	RIGHTS_KIND_UNKNOWN,     /* under ou=organizations, no portal shape */
	RIGHTS_KIND_PROTECTED,   /* under ou=groups or ou=applications */
	RIGHTS_KIND_SYSTEM,      /* under ou=system */
	RIGHTS_KIND_COUNT
} rights_kind;

/* A parsed portal DN. Strings point into the parsed text; offsets are
 * where the user's ("uid=") and the organisation's ("o=") RDNs start. */
typedef struct rights_dn {
	rights_kind kind;
	rights_str org;   /* X */
	rights_str uid;   /* USER, GRANT */
	rights_str app;   /* GRANT, DELEGATION */
	rights_str scope; /* GRANT: the org the rights are on; DELEGATION: the router */
	rights_str id;    /* BILLING, CONTRACT: the id; CONTAINER: the ou */
	size_t user_off;
	size_t org_off;
} rights_dn;

/* `rel` is a normalised DN without ",ou=organizations,<suffix>" (empty for
 * that entry itself). Never fails: what is not a portal shape (multi-valued
 * or escaped RDNs, other depths or types) is RIGHTS_KIND_UNKNOWN. */
int portal_dn_parse(rights_dn *out, rights_str rel);

/* "app@org" (grant and delegation RDN values): exactly one '@', both
 * halves non-empty. RIGHTS_OK or RIGHTS_EINVAL. */
int grant_name_parse(rights_str *app, rights_str *scope, rights_str name);

/* Who writes, as the shapes see it: an administrator writing someone else
 * of its organisation, or a user writing its own entry. */
typedef enum rights_role {
	RIGHTS_ROLE_OPERATOR = 0,
	RIGHTS_ROLE_PROVISIONER,
	RIGHTS_ROLE_ADMIN,
	RIGHTS_ROLE_SELF,
	RIGHTS_ROLE_COUNT
} rights_role;

typedef enum rights_shape_verdict {
	RIGHTS_SHAPE_OK = 0,
	RIGHTS_SHAPE_FOREIGN,   /* not an attribute of this kind of entry at all */
	RIGHTS_SHAPE_NOT_YOURS, /* an attribute of the kind, not for this role */
} rights_shape_verdict;

/* May `role` write attribute `attr` (its name, without options, compared
 * case-insensitively) on an entry of `kind`? */
rights_shape_verdict shape_attr_check(rights_kind kind, rights_role role, rights_str attr);

/* Are `classes` (an entry's objectClass values) exactly a shape of `kind`:
 * every required class, nothing outside the allowed ones? RIGHTS_OK, or
 * RIGHTS_EINVAL with *bad the offending or missing class (borrowed). */
int shape_classes_check(rights_str *bad, rights_kind kind, const rights_str *classes, size_t n);

/* Result codes of place_check(): the LDAP codes they stand for (rule 9). */
enum {
	RIGHTS_R_OK = 0,
	RIGHTS_R_CONSTRAINT = 19, /* constraintViolation */
	RIGHTS_R_PERMISSION = 50, /* insufficientAccessRights */
	RIGHTS_R_UNWILLING = 53,  /* unwillingToPerform */
};

typedef enum rights_writer {
	RIGHTS_WRITER_ANONYMOUS = 0,
	RIGHTS_WRITER_OPERATOR,
	RIGHTS_WRITER_PROVISIONER,
	RIGHTS_WRITER_USER,
	RIGHTS_WRITER_OTHER, /* any other identity, e.g. an e-application */
} rights_writer;

/* Who writes where, from the two DNs alone. */
typedef struct rights_place {
	rights_writer writer;
	int writer_active; /* USER: umStatus active (user_is_active) */
	int writer_admin;  /* USER: user_is_admin */
	rights_str writer_org;
	rights_kind kind; /* the target's */
	rights_str target_org;
	int target_is_self; /* USER: the writer's entry; GRANT: one of its grants */
	int target_is_mail; /* SYSTEM: under the recovery mail queue */
} rights_place;

/* Rules 1, 2, 6 and 7 as far as the DNs decide them, before anything is
 * fetched, so that the answer is the same whether the target exists or not
 * (DESIGN rule 0). RIGHTS_R_OK, or a code with *why. */
int place_check(rights_msg *why, const rights_place *p);

/* ---- users (user.c) ----------------------------------------------------- */

/* umStatus values: active only if exactly one value, "active" (§3.1);
 * anything else, including nothing, is not active (fail closed). */
int user_is_active(const rights_str *status, size_t n);
/* umManage holds users or admins (§2.2.4): an administrator. */
int user_is_admin(const rights_str *manage, size_t n);
/* §2.2.3 field values: preferredLanguage exactly nl|fr|de|en, mail well
 * formed, umStatus active|deactivated, umGender male|female. RIGHTS_OK or
 * RIGHTS_EINVAL with *why (MSG_BAD_LANGUAGE, MSG_BAD_MAIL, MSG_BAD_FIELD).
 * Attributes not named here are RIGHTS_OK. */
int user_field_check(rights_msg *why, rights_str attr, rights_str value);
/* RFC 4514 escaping of an attribute value for a DN string: specials and
 * leading/trailing spaces and '#', control bytes as \\XX. Always
 * NUL-terminates; returns the length needed (like snprintf). */
size_t dn_value_escape(char *out, size_t size, rights_str value);
/* dn_value_escape() writes nothing when size is 0 (out may then be NULL). */

/* ---- {name} markers (text.c) -------------------------------------------- */

typedef struct rights_var {
	const char *name; /* without the braces */
	rights_str value;
} rights_var;

/* Writes value into out (at most size bytes, NUL-terminated when size > 0;
 * out may be NULL when size is 0); returns the length it needs. */
typedef size_t (*rights_escape_fn)(char *out, size_t size, rights_str value);

/* Replaces every {name} of tmpl that vars names with its value, escaped by
 * escape (NULL: as is); other markers stay as written and set *unknown
 * (may be NULL). Always NUL-terminates when size > 0; returns the length
 * the whole text needs, like snprintf. */
size_t text_expand(int *unknown, char *out, size_t size, const char *tmpl, const rights_var *vars,
                   size_t nvars, rights_escape_fn escape);
/* RFC 3986 percent-encoding of everything but the unreserved characters. */
size_t url_escape(char *out, size_t size, rights_str value);

#endif
