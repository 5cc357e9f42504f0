/*
 * provisiond: projects grants onto LDAP groups and attributes (DESIGN §1,
 * §2, rights.yaml `project:`), live, through an RFC 4533 sync session.
 *
 * Private header: structures shared by the files of the daemon and their
 * prototypes, grouped by the file that defines them. Every function
 * follows lib/rights.h's conventions: output parameter first, *out NULL on
 * failure, *_free() accepts NULL; LDAP-facing functions return an LDAP
 * result code (LDAP_SUCCESS or why the run must be discarded).
 */
#ifndef PROVISIOND_H
#define PROVISIOND_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <ldap.h>

#include "rights.h"

#define PROVISIOND_CONF "/etc/portal-um/provisiond.yaml"

/* ---- config.c ------------------------------------------------------------------ */

/* Where the recovery mails of manual §3.3 go: an SMTP relay (smtp://,
 * smtps://, optionally STARTTLS and AUTH) or, with none, a maildir. */
struct mail_relay {
	char *url;           /* mail-relay; NULL: the maildir */
	char *from;          /* mail-from */
	char *user;          /* mail-user: AUTH */
	char *password_file; /* mail-password-file: not accessible by others */
	int starttls;        /* mail-starttls: require it on smtp:// */
	char *maildir;       /* maildir; default <state-dir>/../maildir */
	char *key_file;      /* mail-key: X25519 private key opening the sealed bodies */
};

/* A corporate directory users are synced from (DESIGN §6, issue 9). */
enum source_mode {
	SOURCE_POLL = 0, /* paged reads every interval (no syncprov needed) */
	SOURCE_SYNCREPL, /* RFC 4533 refreshAndPersist */
};
/* The portal fields a source may own, in map: order. */
enum source_field {
	SF_UID = 0,
	SF_GIVEN_NAME,
	SF_SN,
	SF_CN,
	SF_MAIL,
	SF_LANG,
	SF_GENDER,
	SF_COUNT
};
extern const char *const source_fields[SF_COUNT];

/* TLS to a corporate source: an ldaps:// uri, or StartTLS on ldap://.
 * The source's certificate is always verified, against ca_file when set
 * (else the system's trust store). */
struct ldapconn_tls {
	int starttls;  /* tls: starttls */
	char *ca_file; /* tls-ca-file; NULL: the system's */
};

struct source;
/* How a source's passwords travel: 0 in clear, 1 StartTLS, 2 ldaps://. */
int source_tls_kind(const struct source *src);

struct source {
	char *id;
	char *uri;
	char *bind_dn; /* NULL: anonymous */
	char *password_file;
	char *base;
	int scope; /* LDAP_SCOPE_* */
	char *filter;
	char *org;              /* the target orgId */
	char *map[SF_COUNT];    /* source attribute of each portal field; NULL: not owned */
	char *default_language; /* when the source has none, or one the portal has not */
	enum source_mode mode;
	int interval;       /* seconds, poll mode */
	int max_deactivate; /* percent of the source's users one run may deactivate */
	int remote_auth;    /* authentication: remote */
	struct ldapconn_tls tls;
	char *users_dn; /* derived: ou=users,o=<org>,ou=organizations,<suffix> */
};

struct config {
	char *path;          /* provisiond.yaml, for messages */
	char *uri;           /* ldap:// or ldapi:// URLs of the providers, space-separated,
	                      * the first preferred (DESIGN §5) */
	char *bind_dn;       /* cn=provisiond,ou=system,<suffix> */
	char *password_file; /* not accessible by others */
	char *suffix;
	char *state_dir; /* the sync cookie */
	char *rights_path;
	int timeout;       /* seconds: connect and every read */
	int write_timeout; /* seconds a write may take (big groups are slow) */
	int page_size;     /* entries per page of the full reconcile */
	int batch_ms;      /* how long a burst of notifications is gathered */
	struct mail_relay mail;
	int mail_ms;         /* how often the mail queue is looked at */
	char *mail_dn;       /* ou=mail,ou=system,<suffix>: the overlay's queue */
	char *config_socket; /* slapd's ldapi socket, for cn=config (remoteauth.c); NULL: none */

	/* derived */
	char *orgs_dn;   /* ou=organizations,<suffix> */
	char *groups_dn; /* ou=groups,<suffix> */
	char *apps_dn;   /* ou=applications,<suffix> */
	char *orgs_key;  /* dn_key() of the three above and of bind_dn */
	char *groups_key;
	char *owner_key;
	rights_catalog *cat;
	/* the attributes `project:` rules write on users (umAppAccess) */
	const char **attrs;
	size_t nattrs;
	struct source *sources; /* sources: */
	size_t nsources;
};

/* Loads provisiond.yaml and the rights.yaml it names. Every error is
 * logged as "file:line:col: message"; returns how many there were (0: *out
 * is set). */
int config_load(struct config **out, const char *path);
void config_free(struct config *conf);
/* 1 if b needs a new connection where a had one. */
int config_conn_changed(const struct config *a, const struct config *b);

/* ---- mail.c -------------------------------------------------------------------- */

/* Sends one UTF-8 mail; 0, or -1 with the reason logged. */
int mail_send(const struct mail_relay *relay, int timeout, const char *to, const char *subject,
              const char *body);
/* Sends and removes the mails the overlay queued under queue_dn (manual
 * §3.3); a mail that cannot be sent stays for the next run. */
int mail_queue_run(LDAP *ld, const struct config *conf, const struct mail_relay *relay,
                   const char *queue_dn);

/* ---- ldapconn.c ---------------------------------------------------------------- */

/* Reconnection delays: 0.2 s doubling to 30 s. */
struct backoff {
	unsigned ms;
};
void backoff_reset(struct backoff *b);
unsigned backoff_next(struct backoff *b);

/* Connects and binds with every timeout set; logs the stage that failed. */
int ldapconn_open(LDAP **out, const struct config *conf);
/* The same to any server (a source); bind_dn NULL: anonymous. */
/* tls: NULL for the portal (loopback or ldapi, DESIGN §5). */
int ldapconn_open_as(LDAP **out, const char *uri, const char *bind_dn, const char *password_file,
                     const struct ldapconn_tls *tls, int timeout);
void ldapconn_close(LDAP *ld);
int ldapconn_fd(LDAP *ld);
/* "host:port" of the server ld is connected to (one of several URIs). */
void ldapconn_server(char *buf, size_t len, LDAP *ld);
/* The result code of the last failed libldap call on ld. */
int ldapconn_errno(LDAP *ld);
/* 1 when rc means the connection is gone (reconnect), not a refusal. */
int ldapconn_lost(int rc);
/* Data already buffered by libldap that poll(2) will not report. */
int ldapconn_pending(LDAP *ld);

/* One search; the caller frees *res (also on error). */
int ldapconn_search(LDAPMessage **res, LDAP *ld, const struct config *conf, const char *base,
                    int scope, const char *filter, char **attrs);

/* Entry by entry, through Simple Paged Results (RFC 2696). A non-zero
 * return from fn stops the search and is returned. */
typedef int (*ldapconn_entry_fn)(void *ctx, LDAP *ld, LDAPMessage *entry);
int ldapconn_search_paged(LDAP *ld, const struct config *conf, const char *base, int scope,
                          const char *filter, char **attrs, int page_size, ldapconn_entry_fn fn,
                          void *ctx);

/* Many searches in flight at once. For each request, res receives the
 * whole answer and rc its result code (LDAP_NO_SUCH_OBJECT is an answer);
 * the return value is LDAP_SUCCESS unless the connection failed. */
struct ldapconn_req {
	char *base;
	int scope;
	char *filter;
	char **attrs;
	LDAPMessage *res;
	int rc;
	int msgid;
};
int ldapconn_search_many(LDAP *ld, const struct config *conf, struct ldapconn_req *reqs, size_t n);
void ldapconn_req_clear(struct ldapconn_req *reqs, size_t n);

/* ---- dn.c ---------------------------------------------------------------------- */

/* What provisiond compares DNs by: ldap_dn_normalize(3) then lower case
 * (every naming attribute of DESIGN §2 is case-insensitive). NULL if dn is
 * not a DN. */
char *dn_key(const char *dn);

enum dn_kind {
	DN_OTHER = 0,
	DN_USER,       /* uid=U,ou=users,o=X,ou=organizations,... */
	DN_GRANT,      /* cn=app@scope,<user> */
	DN_DELEGATION, /* cn=app@router,ou=delegations,o=X,ou=organizations,... */
};

/* A DN under ou=organizations, taken apart. Strings are owned. */
struct dn_ref {
	enum dn_kind kind;
	char *user_key; /* DN_USER, DN_GRANT: the user's dn_key() */
	char *org;      /* o= of the user or of the delegating organisation, lower case */
	char *app;      /* DN_GRANT, DN_DELEGATION */
	char *peer;     /* DN_GRANT: scope; DN_DELEGATION: router; lower case */
};
int dn_classify(struct dn_ref *out, const char *dn, const char *orgs_key);
void dn_ref_clear(struct dn_ref *r);
/* The first RDN's attribute type and value (for a group's naming
 * attribute). */
int dn_first_rdn(char **type, char **value, const char *dn);
/* (attr=value) with the value escaped (RFC 4515). */
char *dn_filter(const char *attr, const char *value);

/* ---- strtab.c ------------------------------------------------------------------ */

/* Interned strings: each distinct string gets a dense id from 0, stored
 * once in an arena. What the reconcile keys users, groups and values by
 * (sorting arrays of ids then does the diff, DESIGN §5 scale). */
struct strtab {
	char **strs; /* id -> string, in the arena */
	size_t n, cap;
	uint32_t *slots; /* open addressing: id + 1, 0 = empty */
	size_t nslots;
	struct arena_chunk *chunks;
};
void strtab_init(struct strtab *t);
void strtab_free(struct strtab *t);
/* 1: added, 0: was there, -1: out of memory. */
int strtab_intern(uint32_t *id, struct strtab *t, const char *s, size_t len);
int strtab_find(uint32_t *id, const struct strtab *t, const char *s, size_t len);
/* A copy in the table's arena, not interned (lives as long as t). */
char *strtab_store(struct strtab *t, const char *s, size_t len);

/* ---- state.c ------------------------------------------------------------------- */

/* What provisiond last made of each user: active or not, and a hash of the
 * projected attributes it wrote. A notification for a user entry whose
 * status and projected attributes match is the echo of provisiond's own
 * write (or of memberof's memberOf) and changes nothing. */
struct ustate {
	uint64_t *keys; /* hash of the dn_key(); 0 = empty */
	uint64_t *vals; /* attribute hash with bit 0 = active */
	size_t cap, n;
};
void ustate_init(struct ustate *u);
void ustate_free(struct ustate *u);
void ustate_clear(struct ustate *u);
int ustate_set(struct ustate *u, const char *key, int active, uint64_t attrhash);
/* 1 and the values if known, 0 if not. */
int ustate_get(const struct ustate *u, const char *key, int *active, uint64_t *attrhash);
void ustate_del(struct ustate *u, const char *key);

/* The sync cookie in the state directory (written atomically). */
int cookie_load(char **out, const char *state_dir);
int cookie_save(const char *state_dir, const char *cookie, size_t len);
/* The same under another file name (a source's: "source-<id>.cookie"). */
int cookie_load_named(char **out, const char *state_dir, const char *name);
int cookie_save_named(const char *state_dir, const char *name, const char *cookie, size_t len);
int state_dir_prepare(const char *state_dir);

/* ---- project.c (pure) ---------------------------------------------------------- */

/* One grant as read from the directory. For a grant on another
 * organisation (a router's user, §2.3.1), deleg is what the delegation
 * cn=<app>@<user's org> under the scope still holds; has_deleg 0 when it
 * is gone. */
typedef struct proj_grant {
	rights_str app;
	rights_str scope;
	const rights_str *rights;
	size_t nrights;
	const rights_str *deleg;
	size_t ndeleg;
	int has_deleg;
} proj_grant;

typedef struct proj_user {
	rights_str org; /* o= of the user's DN */
	int active;     /* umStatus is not "deactivated" */
	const proj_grant *grants;
	size_t ngrants;
	const rights_str *manage; /* umManage: management rights may project (§2.2.4 ftp) */
	size_t nmanage;
} proj_user;

struct proj_attr {
	const char *name; /* borrowed from the catalogue */
	char *value;
};

/* What one user should be: group DNs and attribute values, each once. */
struct projection {
	char **groups;
	size_t ngroups, capg;
	struct proj_attr *attrs;
	size_t nattrs, capa;
};

int project_user(struct projection *out, const rights_catalog *cat, const char *suffix,
                 const proj_user *u);
void projection_reset(struct projection *p);
void projection_free(struct projection *p);
/* The values of a grant that count: for another organisation, only those
 * the delegation holds. Returns how many were written to out (room for n). */
size_t project_effective(rights_str *out, const proj_grant *g, rights_str user_org);
/* Fills a `project:` template: {suffix}, {app} and {<dim>} = value; with
 * dn_escape, the value is escaped as an RDN value (RFC 4514). */
int project_expand(char **out, const char *tmpl, const char *suffix, const char *app,
                   const char *dim, rights_str value, int dn_escape);
/* "type=<value escaped>,parent" (RFC 4514). */
int project_rdn(char **out, const char *type, rights_str value, const char *parent);
int project_is_active(rights_str status);
/* Order-independent hash of (attribute, value) pairs, case-insensitive
 * like umAppAccess: compares what is projected with what is there. */
uint64_t project_attr_hash(const char *const *names, const char *const *values, size_t n);
/* The same over ("umManage", value) pairs: a user entry's management
 * rights, so that a notification changing them is no echo (update.c). */
uint64_t project_manage_hash(const rights_str *manage, size_t n);
/* The distinct attribute names of the catalogue's `project:` rules
 * (applications' and management rights'). */
int project_attr_names(const char ***out, size_t *n, const rights_catalog *cat);

/* ---- apply.c ------------------------------------------------------------------- */

enum change_kind {
	CH_GROUP_ADD,  /* a groupOfNames with its first members and owner */
	CH_MEMBER_ADD, /* noSuchObject: becomes CH_GROUP_ADD */
	CH_MEMBER_DEL, /* objectClassViolation (last member): becomes CH_GROUP_DEL */
	CH_GROUP_DEL,
	CH_OWNER_ADD, /* adopt a group someone else created with a projected name */
	CH_ATTR_REPLACE,
	CH_ENTRY_ADD, /* the catalogue (ou=applications) */
	CH_ENTRY_MODIFY,
	CH_ENTRY_DEL,
};

struct change {
	enum change_kind kind;
	const char *dn;
	const char *attr;
	const char **values; /* borrowed (the caller's or the set's arena) */
	size_t nvalues;
	LDAPMod **mods; /* CH_ENTRY_ADD/MODIFY: owned */
};

/* ypldap's update_start/update_end/update_trash: a run builds the whole
 * set, then applies it or trashes it. */
struct changeset {
	struct change *v;
	size_t n, cap;
	struct strtab strings; /* copies of what the caller does not keep */
	size_t failed;         /* changes the server refused */
};
void changeset_init(struct changeset *cs);
/* copy: the strings are copied into the set, else they must outlive it. */
int changeset_add(struct changeset *cs, enum change_kind kind, const char *dn, const char *attr,
                  const char *const *values, size_t n, int copy);
int changeset_add_mods(struct changeset *cs, enum change_kind kind, const char *dn, LDAPMod **mods);
/* One user's projected attributes (rights.yaml `attribute:` rules): each
 * attribute of conf->attrs replaced in the set, only when the projection's
 * hash differs from cur; *hash receives it. The full reconcile and the
 * incremental updates share this. copy_dn: 0 when dn outlives the set. */
int changeset_add_attrs(uint64_t *hash, struct changeset *cs, const char *dn, int copy_dn,
                        const struct projection *p, const struct config *conf, uint64_t cur);
int changeset_apply(struct changeset *cs, LDAP *ld, const struct config *conf);
/* LDAPMod arrays for CH_ENTRY_ADD/MODIFY, freed by the set (or by
 * mods_release() if never added). */
int mods_append(LDAPMod ***mods, int op, const char *type, const char *const *values, size_t n);
void mods_release(LDAPMod **mods);
void changeset_trash(struct changeset *cs);

/* CH_ENTRY_ADD/MODIFY of the set as LDIF (RFC 2849), for --dry-run. */
void changeset_print_ldif(const struct changeset *cs, FILE *f);

/* ---- source.c ------------------------------------------------------------------ */

/* What one run of a source found (DESIGN §6). */
struct source_counts {
	size_t upstream; /* users the source returned */
	size_t known;    /* this source's users in the portal, not gone */
	size_t added, updated, deactivated, reactivated;
	size_t skipped; /* reported: uid collision, missing or invalid field */
	size_t refused; /* writes the overlay refused */
	int held;       /* over a threshold: nothing applied */
};
/* Reads the source and the organisation and builds the whole change set
 * in cs. With held set (why says why), the caller must not apply it
 * unless forced. An error: a read was incomplete, cs must be trashed. */
int source_build(struct changeset *cs, struct source_counts *n, char *why, size_t whylen, LDAP *ld,
                 const struct config *conf, const struct source *src, int force);
/* source_build(), then apply or trash: one poll of a source. A held run
 * is LDAP_SUCCESS with n->held and why set. */
int source_run(struct source_counts *n, char *why, size_t whylen, LDAP *ld,
               const struct config *conf, const struct source *src, int force);
/* Notified entries of a syncrepl source, applied on their own (each user
 * looked up by umSourceKey) rather than by a whole run. */
struct source_pending;
struct source_pending *source_pending_new(const struct source *src);
void source_pending_free(struct source_pending *q);
/* Forgets the notified entries: a whole run covers them. */
void source_pending_discard(struct source_pending *q);
/* sync_on_entry()'s fn, ctx a struct source_pending. */
int source_pending_note(void *ctx, LDAP *ld, LDAPMessage *e);
size_t source_pending_count(const struct source_pending *q);
/* Applies the notified entries and empties q. *full set: what they need
 * only a whole run decides (a uid that follows a new entryUUID): nothing
 * applied, the caller runs the source. */
int source_pending_apply(struct source_pending *q, struct source_counts *n, int *full, LDAP *ld,
                         const struct config *conf);

/* ---- remoteauth.c -------------------------------------------------------------- */

/* The slapd.conf lines of slapo-remoteauth for the sources with
 * authentication: remote (only a comment when there is none). */
void remoteauth_conf_write(FILE *out, const struct config *conf);
/* The same settings in the running slapd (cn=config, in memory), through
 * conf->config_socket as the user provisiond runs as (SASL EXTERNAL): a
 * source added, moved or removed takes effect without restarting slapd.
 * 0 done, -1 logged (slapd keeps what it had). */
int remoteauth_apply(const struct config *conf);
/* Whether a and b give slapo-remoteauth different settings. */
int remoteauth_changed(const struct config *a, const struct config *b);

/* ---- catalog.c ----------------------------------------------------------------- */

/* ou=applications := one umCatalogEntry per application of rights.yaml. */
int catalog_sync(LDAP *ld, const struct config *conf);

/* ---- reconcile.c --------------------------------------------------------------- */

/* The whole projection: every user, grant and delegation against every
 * group; fills us. */
int reconcile_run(LDAP *ld, const struct config *conf, struct ustate *us);

/* ---- update.c ------------------------------------------------------------------ */

/* What the sync notifications touched, deduplicated. A user entry that
 * changed is recomputed only if its status or projected attributes differ
 * from what provisiond last made of it (ustate): otherwise the change is
 * the echo of provisiond's own writes (umAppAccess, and memberOf written
 * by slapo-memberof for every member value). */
struct dirty {
	struct strtab users;  /* dn_key() of users */
	unsigned char *flags; /* by user id: DIRTY_* */
	uint64_t *hash;       /* by user id: projected attributes last seen */
	size_t cap;
	struct strtab delegations; /* "org\napp\nrouter" */
};
#define DIRTY_FORCE  1 /* a grant, a delete: recompute whatever it looks like */
#define DIRTY_ACTIVE 2 /* the entry was last seen active */
void dirty_init(struct dirty *d);
void dirty_free(struct dirty *d);
size_t dirty_count(const struct dirty *d);
int dirty_user(struct dirty *d, const char *user_key);
int dirty_user_entry(struct dirty *d, const char *user_key, int active, uint64_t hash);
int dirty_delegation(struct dirty *d, const char *org, const char *app, const char *router);
int dirty_merge(struct dirty *into, const struct dirty *from);

/* What a user entry says: not deactivated; hash of its projected
 * attributes (project_attr_hash()). */
int user_entry_active(LDAP *ld, LDAPMessage *e);
uint64_t user_entry_hash(LDAP *ld, LDAPMessage *e, const struct config *conf);
/* project_manage_hash() of the entry's umManage. What ustate and struct
 * dirty compare is user_entry_hash() + this: a change of umManage is
 * recomputed, provisiond's own umAppAccess write is an echo. */
uint64_t user_entry_manage_hash(LDAP *ld, LDAPMessage *e);

/* Recomputes the touched users and applies the difference. */
int update_run(LDAP *ld, const struct config *conf, struct ustate *us, struct dirty *d);

/* ---- sync.c -------------------------------------------------------------------- */

struct sync;
/* Starts refreshAndPersist on ou=organizations from cookie (NULL: from
 * the beginning) and runs the refresh phase; notifications go to d. The
 * session owns ld from now on, also on failure. */
int sync_start(struct sync **out, LDAP *ld, const struct config *conf, const char *cookie,
               struct dirty *d);
/* refreshAndPersist on a source's base and filter (DESIGN §6 mode:
 * syncrepl): only whether something changed is kept, for
 * sync_take_changed(); the run that follows reads the whole source. */
int sync_start_source(struct sync **out, LDAP *ld, const struct config *conf,
                      const struct source *src, const char *cookie);
/* 1 if a change was notified since the last call (and clears it). */
int sync_take_changed(struct sync *s);
/* Once persisting, each added or modified entry of a source's session
 * goes to fn (with the mapped attributes and entryUUID); fn returning
 * non-zero makes it a change for sync_take_changed() instead. */
void sync_on_entry(struct sync *s, int (*fn)(void *ctx, LDAP *ld, LDAPMessage *e), void *ctx);
/* Reads what is there without blocking. */
int sync_poll(struct sync *s);
int sync_fd(const struct sync *s);
/* The cookie that covers every notification received so far. */
const struct berval *sync_cookie(const struct sync *s);
/* A change could not be traced to users (deletes known only by entryUUID,
 * a present phase, e-syncRefreshRequired): a full reconcile is due. */
int sync_need_reconcile(const struct sync *s);
/* A full reconcile starts: it covers what the flag was raised for. */
void sync_reconcile_started(struct sync *s);
/* Ends the session and closes its connection. */
void sync_free(struct sync *s);
/* "rid=000,csn=<contextCSN of the suffix>": where a sync that starts
 * after a full reconcile may begin without missing anything. */
int sync_context_cookie(char **out, LDAP *ld, const struct config *conf);

/* ---- provisiond.c -------------------------------------------------------------- */

/* Long runs (the full reconcile) call this between pages: it pings the
 * watchdog and notices signals. -1: stop now. */
int provisiond_tick(void);

#endif
