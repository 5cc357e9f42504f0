/*
 * The RFC 4533 session: refreshAndPersist on ou=organizations. Handlers
 * only note which users a change touches (struct dirty); update.c
 * recomputes them in batches.
 *
 * Why not ldap_sync_init()/ldap_sync_poll(): in libldap 2.5 (ldap_sync.c)
 * both fetch with ldap_result(LDAP_MSG_RECEIVED), which hands back every
 * message received so far as one chain, and then pass the head of the
 * chain to the callback once per message: under a burst one notification
 * is handled twice and the next ones are lost. With a zero timeout (a
 * poll(2) loop must not block) ldap_result() also leaves the message it
 * read queued where poll(2) cannot see it. The protocol is small, so this
 * file speaks it with ldap_result(LDAP_MSG_ONE): the Sync Request control
 * (RFC 4533 §2.2), the Sync State control on entries (§2.3), the Sync Info
 * intermediate messages (§2.5) and e-syncRefreshRequired (§3.7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "provisiond.h"

/* Messages taken per sync_poll(): a stream that never pauses must still
 * let the batch timer and the signals through. */
#define POLL_MAX 20000

struct sync {
	LDAP *ld;
	int msgid;
	const struct config *conf;
	struct dirty *dirty;
	struct berval cookie; /* covers every message handled so far */
	char *attrs[3 + 16];
	unsigned long nmsgs;
	int refresh_done;
	int need_reconcile;
	int ended; /* the server ended the search: its result code */
	/* the search: ou=organizations, or a source's (dirty NULL) */
	const char *base;
	int scope;
	const char *filter;
	int changed; /* a source's session: something was notified */
	/* a source's session once persisting: each added or modified entry,
	 * applied on its own (source.c); 0 from it, else a whole run */
	int (*on_entry)(void *ctx, LDAP *ld, LDAPMessage *e);
	void *on_entry_ctx;
};

/* Users, grants and delegations: nothing else under ou=organizations
 * changes a projection (DESIGN §2). */
static char sync_filter[] =
        "(|(objectClass=umUser)(objectClass=umGrant)(objectClass=umDelegation))";

static int cookie_set(struct sync *s, const struct berval *c)
{
	char *v;

	if (c->bv_val == NULL || c->bv_len == 0)
		return 0;
	v = malloc(c->bv_len + 1);
	if (v == NULL)
		return -1;
	memcpy(v, c->bv_val, c->bv_len);
	v[c->bv_len] = '\0';
	free(s->cookie.bv_val);
	s->cookie.bv_val = v;
	s->cookie.bv_len = c->bv_len;
	return 0;
}

/* A user, a grant under it or a delegation changed or went. */
static int sync_note(struct sync *s, LDAPMessage *msg, int deleted)
{
	struct dn_ref ref;
	char *dn = ldap_get_dn(s->ld, msg);
	int rc = 0;

	if (dn == NULL || dn_classify(&ref, dn, s->conf->orgs_key) != 0) {
		ldap_memfree(dn);
		return -1;
	}
	switch (ref.kind) {
	case DN_USER:
		if (deleted)
			rc = dirty_user(s->dirty, ref.user_key);
		else
			rc = dirty_user_entry(s->dirty, ref.user_key, user_entry_active(s->ld, msg),
			                      user_entry_hash(s->ld, msg, s->conf) +
			                              user_entry_manage_hash(s->ld, msg));
		break;
	case DN_GRANT:
		rc = dirty_user(s->dirty, ref.user_key);
		break;
	case DN_DELEGATION:
		rc = dirty_delegation(s->dirty, ref.org, ref.app, ref.peer);
		break;
	default:
		break;
	}
	log_debug("sync: %s %s", deleted ? "deleted" : "changed", dn);
	dn_ref_clear(&ref);
	ldap_memfree(dn);
	return rc;
}

/* §2.3: syncStateValue ::= SEQUENCE { state ENUMERATED, entryUUID,
 * cookie OPTIONAL }. */
static int sync_entry(struct sync *s, LDAPMessage *msg)
{
	LDAPControl **ctrls = NULL, *c;
	BerElement *ber = NULL;
	struct berval uuid, cookie = {0, NULL};
	ber_len_t len;
	ber_int_t state;
	int rc = LDAP_DECODING_ERROR;

	if (ldap_get_entry_controls(s->ld, msg, &ctrls) != LDAP_SUCCESS ||
	    (c = ldap_control_find(LDAP_CONTROL_SYNC_STATE, ctrls, NULL)) == NULL ||
	    (ber = ber_init(&c->ldctl_value)) == NULL ||
	    ber_scanf(ber, "{em", &state, &uuid) == LBER_ERROR)
		goto cleanup;
	if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE &&
	    ber_scanf(ber, "m", &cookie) == LBER_ERROR)
		goto cleanup;
	rc = LDAP_NO_MEMORY;
	if (s->dirty == NULL) {
		/* a source: a notified add or modify is applied on its own;
		 * anything else (the refresh phase, a delete, which may be a
		 * mass removal) means a whole run, with its thresholds */
		int alone = (state == LDAP_SYNC_ADD || state == LDAP_SYNC_MODIFY) &&
		            s->refresh_done && s->on_entry != NULL;
		if (alone && s->on_entry(s->on_entry_ctx, s->ld, msg) != 0)
			alone = 0;
		if (!alone && state != LDAP_SYNC_PRESENT)
			s->changed = 1;
		if (cookie_set(s, &cookie) != 0)
			goto cleanup;
		rc = LDAP_SUCCESS;
		goto cleanup;
	}
	switch (state) {
	case LDAP_SYNC_PRESENT:
		/* a present phase: what the server does not list is gone,
		 * and only a full reconcile can tell what that was */
		s->need_reconcile = 1;
		break;
	case LDAP_SYNC_ADD:
	case LDAP_SYNC_MODIFY:
	case LDAP_SYNC_DELETE:
		if (sync_note(s, msg, state == LDAP_SYNC_DELETE) != 0)
			goto cleanup;
		break;
	default:
		rc = LDAP_DECODING_ERROR;
		goto cleanup;
	}
	if (cookie_set(s, &cookie) != 0)
		goto cleanup;
	rc = LDAP_SUCCESS;
cleanup:
	if (ber != NULL)
		ber_free(ber, 1);
	ldap_controls_free(ctrls);
	return rc;
}

/* §2.5: syncInfoValue ::= CHOICE { newcookie [0], refreshDelete [1],
 * refreshPresent [2], syncIdSet [3] }. */
static int sync_info(struct sync *s, LDAPMessage *msg)
{
	struct berval *data = NULL, cookie = {0, NULL};
	BerVarray uuids = NULL;
	BerElement *ber = NULL;
	char *oid = NULL;
	ber_len_t len;
	ber_tag_t tag;
	ber_int_t done = 1, deletes = 0;
	int rc = LDAP_DECODING_ERROR;

	if (ldap_parse_intermediate(s->ld, msg, &oid, &data, NULL, 0) != LDAP_SUCCESS ||
	    oid == NULL || strcmp(oid, LDAP_SYNC_INFO) != 0 || data == NULL ||
	    (ber = ber_init(data)) == NULL)
		goto cleanup;
	tag = ber_peek_tag(ber, &len);
	switch (tag) {
	case LDAP_TAG_SYNC_NEW_COOKIE:
		if (ber_scanf(ber, "m", &cookie) == LBER_ERROR)
			goto cleanup;
		break;
	case LDAP_TAG_SYNC_REFRESH_DELETE:
	case LDAP_TAG_SYNC_REFRESH_PRESENT:
		if (ber_scanf(ber, "{") == LBER_ERROR)
			goto cleanup;
		if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE &&
		    ber_scanf(ber, "m", &cookie) == LBER_ERROR)
			goto cleanup;
		if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDONE &&
		    ber_scanf(ber, "b", &done) == LBER_ERROR)
			goto cleanup;
		if (done) /* refreshDone DEFAULT TRUE */
			s->refresh_done = 1;
		if (tag == LDAP_TAG_SYNC_REFRESH_PRESENT)
			s->need_reconcile = 1;
		break;
	case LDAP_TAG_SYNC_ID_SET:
		if (ber_scanf(ber, "{") == LBER_ERROR)
			goto cleanup;
		if (ber_peek_tag(ber, &len) == LDAP_TAG_SYNC_COOKIE &&
		    ber_scanf(ber, "m", &cookie) == LBER_ERROR)
			goto cleanup;
		if (ber_peek_tag(ber, &len) == LDAP_TAG_REFRESHDELETES &&
		    ber_scanf(ber, "b", &deletes) == LBER_ERROR)
			goto cleanup;
		if (ber_scanf(ber, "[W]}", &uuids) == LBER_ERROR)
			goto cleanup;
		/* entries known only by entryUUID: deleted ones (§3.4) or the
		 * present ones of a present phase; either way no DN to
		 * recompute, so the whole projection is */
		if (uuids != NULL && uuids[0].bv_val != NULL)
			s->need_reconcile = 1;
		break;
	default:
		goto cleanup;
	}
	rc = cookie_set(s, &cookie) != 0 ? LDAP_NO_MEMORY : LDAP_SUCCESS;
cleanup:
	if (ber != NULL)
		ber_free(ber, 1);
	ber_bvarray_free(uuids);
	ber_bvfree(data);
	ldap_memfree(oid);
	return rc;
}

static int sync_result(struct sync *s, LDAPMessage *msg)
{
	int err = LDAP_OTHER, rc;

	rc = ldap_parse_result(s->ld, msg, &err, NULL, NULL, NULL, NULL, 0);
	s->ended = rc == LDAP_SUCCESS ? err : rc;
	if (s->ended == LDAP_SYNC_REFRESH_REQUIRED) {
		/* §3.7 e-syncRefreshRequired: the cookie is of no use */
		log_info("sync: the server requires a full refresh");
		s->need_reconcile = 1;
		return s->ended;
	}
	log_warnx("sync: the server ended the search: %s", ldap_err2string(s->ended));
	/* a refreshAndPersist search that ends is a server going away */
	return s->ended == LDAP_SUCCESS ? LDAP_SERVER_DOWN : s->ended;
}

/* Takes one message: 1 if there was one, 0 if none within tv, or an LDAP
 * error (negative results of ldap_result() become the connection's). */
static int sync_read(struct sync *s, struct timeval *tv, int *rcp)
{
	LDAPMessage *msg = NULL;
	int type;

	*rcp = LDAP_SUCCESS;
	type = ldap_result(s->ld, s->msgid, LDAP_MSG_ONE, tv, &msg);
	if (type == 0)
		return 0;
	if (type < 0) {
		*rcp = ldapconn_errno(s->ld);
		if (*rcp == LDAP_SUCCESS)
			*rcp = LDAP_SERVER_DOWN;
		return -1;
	}
	s->nmsgs++;
	switch (type) {
	case LDAP_RES_SEARCH_ENTRY:
		*rcp = sync_entry(s, msg);
		break;
	case LDAP_RES_INTERMEDIATE:
		*rcp = sync_info(s, msg);
		break;
	case LDAP_RES_SEARCH_RESULT:
		*rcp = sync_result(s, msg);
		s->msgid = -1;
		break;
	default: /* references: provisiond follows none (DESIGN §5) */
		break;
	}
	ldap_msgfree(msg);
	return *rcp == LDAP_SUCCESS ? 1 : -1;
}

/* §2.2: syncRequestValue ::= SEQUENCE { mode ENUMERATED, cookie OPTIONAL,
 * reloadHint BOOLEAN DEFAULT FALSE }. */
static int sync_search(struct sync *s, const char *cookie)
{
	LDAPControl ctrl, *ctrls[2] = {&ctrl, NULL};
	BerElement *ber = NULL;
	struct berval c;
	int rc;

	memset(&ctrl, 0, sizeof(ctrl));
	ber = ber_alloc_t(LBER_USE_DER);
	if (ber == NULL)
		return LDAP_NO_MEMORY;
	if (cookie != NULL) {
		c.bv_val = (char *)cookie;
		c.bv_len = strlen(cookie);
		rc = ber_printf(ber, "{eO}", (ber_int_t)LDAP_SYNC_REFRESH_AND_PERSIST, &c);
	} else {
		rc = ber_printf(ber, "{e}", (ber_int_t)LDAP_SYNC_REFRESH_AND_PERSIST);
	}
	if (rc < 0 || ber_flatten2(ber, &ctrl.ldctl_value, 0) < 0) {
		ber_free(ber, 1);
		return LDAP_ENCODING_ERROR;
	}
	ctrl.ldctl_oid = LDAP_CONTROL_SYNC;
	ctrl.ldctl_iscritical = 1; /* no sync, no provisiond */
	/* a persistent search lasts: no time limit; liveness is TCP
	 * keepalive's (ldapconn.c) and the refresh's own timeout below */
	rc = ldap_search_ext(s->ld, s->base, s->scope, s->filter, s->attrs, 0, ctrls, NULL, NULL, 0,
	                     &s->msgid);
	ber_free(ber, 1);
	return rc;
}

static int sync_refresh(struct sync *s, const struct config *conf, const char *cookie);

/* A session on ld (owned from here on: closed when there is no memory). */
static struct sync *sync_new(LDAP *ld, const struct config *conf, const char *base, int scope,
                             const char *filter)
{
	struct sync *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		ldapconn_close(ld);
		return NULL;
	}
	s->ld = ld;
	s->msgid = -1;
	s->conf = conf;
	s->base = base;
	s->scope = scope;
	s->filter = filter;
	return s;
}

int sync_start(struct sync **out, LDAP *ld, const struct config *conf, const char *cookie,
               struct dirty *d)
{
	struct sync *s = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if ((s = sync_new(ld, conf, conf->orgs_dn, LDAP_SCOPE_SUBTREE, sync_filter)) == NULL)
		return LDAP_NO_MEMORY;
	s->dirty = d;
	s->attrs[0] = "umStatus";
	s->attrs[1] = "umManage"; /* §2.2.4 ftp is projected */
	for (i = 0; i < conf->nattrs && i < 16; i++)
		s->attrs[2 + i] = (char *)conf->attrs[i];
	s->attrs[2 + i] = NULL;
	rc = sync_refresh(s, conf, cookie);
	if (rc == LDAP_SUCCESS)
		*out = s;
	return rc;
}

int sync_start_source(struct sync **out, LDAP *ld, const struct config *conf,
                      const struct source *src, const char *cookie)
{
	struct sync *s = NULL;
	int rc;

	*out = NULL;
	if ((s = sync_new(ld, conf, src->base, src->scope, src->filter)) == NULL)
		return LDAP_NO_MEMORY;
	{
		/* what a notification is applied with (source.c) */
		size_t n = 0, f;
		s->attrs[n++] = "entryUUID";
		for (f = 0; f < SF_COUNT; f++)
			if (src->map[f] != NULL)
				s->attrs[n++] = src->map[f];
		s->attrs[n] = NULL;
	}
	rc = sync_refresh(s, conf, cookie);
	if (rc == LDAP_SUCCESS)
		*out = s;
	return rc;
}

void sync_on_entry(struct sync *s, int (*fn)(void *ctx, LDAP *ld, LDAPMessage *e), void *ctx)
{
	s->on_entry = fn;
	s->on_entry_ctx = ctx;
}

int sync_take_changed(struct sync *s)
{
	int c = s->changed || s->need_reconcile;

	s->changed = 0;
	s->need_reconcile = 0;
	return c;
}

static int sync_refresh(struct sync *s, const struct config *conf, const char *cookie)
{
	struct timeval tv = {conf->timeout, 0};
	int rc = LDAP_NO_MEMORY, got;

	if (cookie != NULL && (s->cookie.bv_val = strdup(cookie)) == NULL)
		goto fail;
	s->cookie.bv_len = cookie ? strlen(cookie) : 0;
	log_debug("sync: starting from %s", cookie ? cookie : "the beginning");
	rc = sync_search(s, cookie);
	if (rc != LDAP_SUCCESS)
		goto fail;
	/* the refresh phase, message after message; each must come within
	 * the timeout */
	while (!s->refresh_done) {
		/* a refresh of a whole directory takes a while: keep the
		 * watchdog fed and SIGTERM heard */
		if (s->nmsgs % 4096 == 4095 && provisiond_tick() != 0) {
			rc = LDAP_USER_CANCELLED;
			goto fail;
		}
		got = sync_read(s, &tv, &rc);
		if (got < 0)
			goto fail;
		if (got == 0) {
			rc = LDAP_TIMEOUT;
			goto fail;
		}
		tv.tv_sec = conf->timeout;
		tv.tv_usec = 0;
	}
	log_info("sync: refresh of %s done (%lu messages), persisting", s->base, s->nmsgs);
	return LDAP_SUCCESS;
fail:
	if (rc != LDAP_SYNC_REFRESH_REQUIRED)
		log_warnx("sync: refresh: %s", ldap_err2string(rc));
	sync_free(s);
	return rc;
}

int sync_poll(struct sync *s)
{
	struct timeval zero = {0, 0};
	int i, rc, got;

	for (i = 0; i < POLL_MAX; i++) {
		got = sync_read(s, &zero, &rc);
		if (got < 0)
			return rc;
		if (got == 0 && !ldapconn_pending(s->ld))
			break;
	}
	return LDAP_SUCCESS;
}

int sync_fd(const struct sync *s)
{
	return ldapconn_fd(s->ld);
}

const struct berval *sync_cookie(const struct sync *s)
{
	return &s->cookie;
}

int sync_need_reconcile(const struct sync *s)
{
	return s->need_reconcile;
}

void sync_reconcile_started(struct sync *s)
{
	s->need_reconcile = 0;
}

void sync_free(struct sync *s)
{
	if (s == NULL)
		return;
	if (s->ld != NULL && s->msgid >= 0)
		ldap_abandon_ext(s->ld, s->msgid, NULL, NULL);
	ldapconn_close(s->ld);
	free(s->cookie.bv_val);
	free(s);
}

int sync_context_cookie(char **out, LDAP *ld, const struct config *conf)
{
	char *attrs[] = {"contextCSN", NULL}, *p;
	struct berval **csn = NULL;
	LDAPMessage *res = NULL, *e;
	size_t i, len = 32;
	int rc;

	*out = NULL;
	rc = ldapconn_search(&res, ld, conf, conf->suffix, LDAP_SCOPE_BASE, "(objectClass=*)",
	                     attrs);
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	e = ldap_first_entry(ld, res);
	csn = e ? ldap_get_values_len(ld, e, "contextCSN") : NULL;
	if (csn == NULL || csn[0] == NULL) /* a fresh database: sync from the start */
		goto cleanup;
	for (i = 0; csn[i] != NULL; i++)
		len += csn[i]->bv_len + 1;
	if ((*out = malloc(len)) == NULL) {
		rc = LDAP_NO_MEMORY;
		goto cleanup;
	}
	/* one CSN per provider (serverID) in multi-provider setups, ';'
	 * separated as syncprov's cookies have them */
	p = *out + sprintf(*out, "rid=000,csn=");
	for (i = 0; csn[i] != NULL; i++)
		p += sprintf(p, "%s%.*s", i ? ";" : "", (int)csn[i]->bv_len, csn[i]->bv_val);
cleanup:
	ldap_value_free_len(csn);
	ldap_msgfree(res);
	return rc;
}
