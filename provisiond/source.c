/*
 * Corporate sync (DESIGN §6, issue 9): the users of a customer's own
 * directory become users of its organisation, and stay current.
 *
 * A run reads the whole source (Simple Paged Results, RFC 2696) and the
 * organisation's users, then builds the whole change set; it is applied
 * only if both reads were complete and the set stays within the safety
 * thresholds (ypldap's main_start_update / main_end_update /
 * main_trash_update). Nothing is ever deleted: a user gone from the
 * source is deactivated, its rights kept, and marked umSourceGone so that
 * its return reactivates it; a user an administrator deactivated stays
 * so. A synced user is tracked by the source's entryUUID (umSourceKey),
 * not by its DN: renames and moves upstream are followed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "provisiond.h"

/* uids per collision search: (|(uid=a)(uid=b)...) */
#define UIDS_PER_SEARCH 100

struct src_user {
	const char *key; /* entryUUID */
	size_t seq;      /* arrival: of two notifications of one entry, the last counts */
	const char *dn;
	const char *v[SF_COUNT];
};

struct portal_user {
	const char *dn;
	const char *uid;
	const char *source; /* umSource; NULL: the portal's own */
	const char *key;    /* umSourceKey */
	const char *sdn;    /* umSourceDN: where slapo-remoteauth binds */
	const char *v[SF_COUNT];
	int active;
	int gone; /* umSourceGone: the sync deactivated it */
	int seen;
};

struct source_run {
	const struct source *src;
	const struct config *conf;
	struct strtab arena;
	struct src_user *su;
	size_t nsu, capsu;
	struct portal_user *pu;
	size_t npu, cappu;
	size_t nbad; /* source entries without entryUUID or uid */
	/* notified entries only (source_pending_apply): nobody is gone */
	int partial;
	int want_full; /* partial, and only a whole run can decide */
};

static const char *store(struct source_run *r, const char *s, size_t len)
{
	return strtab_store(&r->arena, s, len);
}

static const char *first_value(struct source_run *r, LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = NULL;
	const char *s = NULL;

	if (attr == NULL)
		return NULL;
	v = ldap_get_values_len(ld, e, attr);
	if (v != NULL && v[0] != NULL && v[0]->bv_len > 0)
		s = store(r, v[0]->bv_val, v[0]->bv_len);
	ldap_value_free_len(v);
	return s;
}

/* ---- reading the source ---------------------------------------------------------- */

static int source_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct source_run *r = ctx;
	struct src_user *u;
	char *dn = NULL;
	size_t f;

	if (r->nsu == r->capsu) {
		u = realloc(r->su, (r->capsu ? r->capsu * 2 : 1024) * sizeof(*u));
		if (u == NULL)
			return LDAP_NO_MEMORY;
		r->su = u;
		r->capsu = r->capsu ? r->capsu * 2 : 1024;
	}
	u = &r->su[r->nsu];
	memset(u, 0, sizeof(*u));
	u->seq = r->nsu;
	dn = ldap_get_dn(ld, e);
	u->dn = dn ? store(r, dn, strlen(dn)) : NULL;
	ldap_memfree(dn);
	u->key = first_value(r, ld, e, "entryUUID");
	for (f = 0; f < SF_COUNT; f++)
		u->v[f] = first_value(r, ld, e, r->src->map[f]);
	if (u->key == NULL || u->v[SF_UID] == NULL) {
		log_warnx("source %s: %s has no %s: skipped", r->src->id, u->dn ? u->dn : "?",
		          u->key == NULL ? "entryUUID" : r->src->map[SF_UID]);
		r->nbad++;
		return 0;
	}
	r->nsu++;
	return 0;
}

static int source_read(struct source_run *r, const struct config *conf)
{
	char *attrs[SF_COUNT + 2];
	LDAP *ld = NULL;
	size_t n = 0, f;
	int rc;

	attrs[n++] = "entryUUID";
	for (f = 0; f < SF_COUNT; f++)
		if (r->src->map[f] != NULL)
			attrs[n++] = r->src->map[f];
	attrs[n] = NULL;
	rc = ldapconn_open_as(&ld, r->src->uri, r->src->bind_dn, r->src->password_file,
	                      &r->src->tls, conf->timeout);
	if (rc != LDAP_SUCCESS)
		return rc;
	rc = ldapconn_search_paged(ld, conf, r->src->base, r->src->scope, r->src->filter, attrs,
	                           conf->page_size, source_entry, r);
	ldapconn_close(ld);
	if (rc != LDAP_SUCCESS)
		log_warnx("source %s: reading %s: %s", r->src->id, r->src->uri,
		          ldap_err2string(rc));
	return rc;
}

/* ---- reading the organisation ------------------------------------------------------ */

static const char *const portal_fixed[] = {"uid",          "umSource", "umSourceKey",
                                           "umSourceGone", "umStatus", "umSourceDN"};

static int portal_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct source_run *r = ctx;
	struct portal_user *u;
	struct berval **st = NULL;
	char *dn = NULL;
	size_t f;

	if (r->npu == r->cappu) {
		u = realloc(r->pu, (r->cappu ? r->cappu * 2 : 1024) * sizeof(*u));
		if (u == NULL)
			return LDAP_NO_MEMORY;
		r->pu = u;
		r->cappu = r->cappu ? r->cappu * 2 : 1024;
	}
	u = &r->pu[r->npu];
	memset(u, 0, sizeof(*u));
	dn = ldap_get_dn(ld, e);
	if (dn == NULL)
		return LDAP_DECODING_ERROR;
	u->dn = store(r, dn, strlen(dn));
	ldap_memfree(dn);
	u->uid = first_value(r, ld, e, "uid");
	u->source = first_value(r, ld, e, "umSource");
	u->key = first_value(r, ld, e, "umSourceKey");
	u->sdn = first_value(r, ld, e, "umSourceDN");
	u->gone = first_value(r, ld, e, "umSourceGone") != NULL;
	for (f = 0; f < SF_COUNT; f++)
		u->v[f] = first_value(r, ld, e, source_fields[f]);
	st = ldap_get_values_len(ld, e, "umStatus");
	if (st != NULL && st[0] != NULL) {
		rights_str s = {st[0]->bv_val, st[0]->bv_len};
		u->active = st[1] == NULL && project_is_active(s);
	}
	ldap_value_free_len(st);
	if (u->dn == NULL)
		return LDAP_NO_MEMORY;
	r->npu++;
	return 0;
}

static int portal_read(struct source_run *r, LDAP *ld, const struct config *conf,
                       const char *filter)
{
	char *attrs[SF_COUNT + 6];
	size_t n = 0, f;
	int rc;

	for (n = 0; n < sizeof(portal_fixed) / sizeof(portal_fixed[0]); n++)
		attrs[n] = (char *)portal_fixed[n];
	for (f = 1; f < SF_COUNT; f++) /* uid is among the fixed ones */
		attrs[n++] = (char *)source_fields[f];
	attrs[n] = NULL;
	rc = ldapconn_search_paged(ld, conf, r->src->users_dn, LDAP_SCOPE_ONELEVEL, filter, attrs,
	                           conf->page_size, portal_entry, r);
	if (rc == LDAP_NO_SUCH_OBJECT)
		log_warnx("source %s: organisation %s has no %s", r->src->id, r->src->org,
		          r->src->users_dn);
	else if (rc != LDAP_SUCCESS)
		log_warnx("source %s: reading %s: %s", r->src->id, r->src->users_dn,
		          ldap_err2string(rc));
	return rc;
}

/* ---- the change set ---------------------------------------------------------------- */

/* by key, the latest first */
static int cmp_src_key(const void *a, const void *b)
{
	const struct src_user *x = a, *y = b;
	int c = strcasecmp(x->key, y->key);

	return c ? c : (x->seq < y->seq) - (x->seq > y->seq);
}

static int cmp_portal_key(const void *a, const void *b)
{
	const struct portal_user *const *x = a, *const *y = b;

	return strcasecmp((*x)->key, (*y)->key);
}

static int cmp_portal_uid(const void *a, const void *b)
{
	const struct portal_user *const *x = a, *const *y = b;

	return strcasecmp((*x)->uid, (*y)->uid);
}

struct uid_ix {
	const char *uid;
	size_t i;
};

static int cmp_uid_ix(const void *a, const void *b)
{
	return strcasecmp(((const struct uid_ix *)a)->uid, ((const struct uid_ix *)b)->uid);
}

/* What the portal will hold for a source entry: the language among the
 * portal's four (DESIGN §2), cn when the source has none. NULL in *why:
 * acceptable; else why the overlay would refuse it (rule 4). */
static void normalise(struct source_run *r, struct src_user *u, const char **why)
{
	char cn[512];
	rights_lang lang;
	rights_msg msg;
	rights_str v;
	size_t f;

	*why = NULL;
	if (u->v[SF_LANG] == NULL ||
	    lang_parse(&lang, u->v[SF_LANG], strlen(u->v[SF_LANG])) != RIGHTS_OK)
		u->v[SF_LANG] = r->src->default_language;
	else
		u->v[SF_LANG] = lang_code(lang);
	if (u->v[SF_GENDER] != NULL && strcasecmp(u->v[SF_GENDER], "male") != 0 &&
	    strcasecmp(u->v[SF_GENDER], "female") != 0)
		u->v[SF_GENDER] = NULL; /* not a portal value; not required of synced users */
	else if (u->v[SF_GENDER] != NULL)
		u->v[SF_GENDER] = strcasecmp(u->v[SF_GENDER], "male") == 0 ? "male" : "female";
	if (u->v[SF_CN] == NULL && u->v[SF_GIVEN_NAME] != NULL && u->v[SF_SN] != NULL) {
		snprintf(cn, sizeof(cn), "%s %s", u->v[SF_GIVEN_NAME], u->v[SF_SN]);
		u->v[SF_CN] = store(r, cn, strlen(cn));
	}
	/* the overlay's required fields for a privileged writer (rule 4) */
	for (f = 0; f < SF_COUNT; f++) {
		if (f == SF_GENDER || u->v[f] != NULL)
			continue;
		*why = source_fields[f];
		return;
	}
	v.ptr = u->v[SF_MAIL];
	v.len = strlen(v.ptr);
	if (user_field_check(&msg, (rights_str){"mail", 4}, v) != RIGHTS_OK)
		*why = "mail (not well formed)";
}

static int add_user(struct changeset *cs, struct source_run *r, const struct src_user *u)
{
	const char *oc[] = {"inetOrgPerson", "umUser"}, *one[1];
	rights_str uid = {u->v[SF_UID], strlen(u->v[SF_UID])};
	LDAPMod **mods = NULL;
	char *dn = NULL;
	size_t f;
	int rc = -1;

	if (project_rdn(&dn, "uid", uid, r->src->users_dn) != 0)
		return -1;
	if (mods_append(&mods, LDAP_MOD_ADD, "objectClass", oc, 2) != 0)
		goto cleanup;
	for (f = 0; f < SF_COUNT; f++) {
		if (u->v[f] == NULL)
			continue;
		one[0] = u->v[f];
		if (mods_append(&mods, LDAP_MOD_ADD, source_fields[f], one, 1) != 0)
			goto cleanup;
	}
	one[0] = "active";
	if (mods_append(&mods, LDAP_MOD_ADD, "umStatus", one, 1) != 0)
		goto cleanup;
	one[0] = r->src->id;
	if (mods_append(&mods, LDAP_MOD_ADD, "umSource", one, 1) != 0)
		goto cleanup;
	one[0] = u->key;
	if (mods_append(&mods, LDAP_MOD_ADD, "umSourceKey", one, 1) != 0)
		goto cleanup;
	one[0] = u->dn;
	if (u->dn != NULL && mods_append(&mods, LDAP_MOD_ADD, "umSourceDN", one, 1) != 0)
		goto cleanup;
	rc = changeset_add_mods(cs, CH_ENTRY_ADD, dn, mods);
	mods = NULL;
cleanup:
	mods_release(mods);
	free(dn);
	return rc;
}

static void now_generalized(char out[16])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d%H%M%SZ", &tm);
}

/* Source-owned fields that differ, and the return of a user gone upstream. */
static int update_user(struct changeset *cs, struct source_run *r, struct portal_user *p,
                       const struct src_user *u, struct source_counts *n)
{
	LDAPMod **mods = NULL;
	const char *one[1];
	size_t f;
	int rc = -1, differ;

	if (strcasecmp(p->uid, u->v[SF_UID]) != 0) {
		/* DESIGN rule 6: a portal uid never changes (applications key
		 * on it); the rest of the entry is still followed */
		log_warnx("source %s: %s changed its uid upstream to \"%s\": not followed, the "
		          "portal keeps \"%s\" (uid is immutable)",
		          r->src->id, p->dn, u->v[SF_UID], p->uid);
		n->skipped++;
	}
	for (f = SF_UID + 1; f < SF_COUNT; f++) {
		if (r->src->map[f] == NULL && f != SF_LANG && f != SF_CN)
			continue; /* not owned by the source: the portal's */
		if (u->v[f] == NULL && p->v[f] == NULL)
			continue;
		differ = u->v[f] == NULL || p->v[f] == NULL ||
		         (f == SF_LANG ? strcasecmp(u->v[f], p->v[f]) : strcmp(u->v[f], p->v[f])) !=
		                 0;
		if (!differ)
			continue;
		one[0] = u->v[f];
		if (mods_append(&mods, u->v[f] ? LDAP_MOD_REPLACE : LDAP_MOD_DELETE,
		                source_fields[f], one, u->v[f] ? 1 : 0) != 0)
			goto cleanup;
	}
	/* where the user binds with its corporate password (authentication:
	 * remote): followed through renames and moves upstream */
	if (u->dn != NULL && (p->sdn == NULL || strcmp(p->sdn, u->dn) != 0)) {
		one[0] = u->dn;
		if (mods_append(&mods, LDAP_MOD_REPLACE, "umSourceDN", one, 1) != 0)
			goto cleanup;
	}
	if (mods != NULL)
		n->updated++;
	if (p->gone) {
		if (mods_append(&mods, LDAP_MOD_DELETE, "umSourceGone", NULL, 0) != 0)
			goto cleanup;
		if (!p->active) {
			one[0] = "active";
			if (mods_append(&mods, LDAP_MOD_REPLACE, "umStatus", one, 1) != 0)
				goto cleanup;
		}
		n->reactivated++;
	}
	rc = mods ? changeset_add_mods(cs, CH_ENTRY_MODIFY, p->dn, mods) : 0;
	mods = NULL;
cleanup:
	mods_release(mods);
	return rc;
}

static int deactivate_user(struct changeset *cs, const struct portal_user *p)
{
	LDAPMod **mods = NULL;
	const char *one[1];
	char when[16];

	now_generalized(when);
	one[0] = "deactivated";
	if (mods_append(&mods, LDAP_MOD_REPLACE, "umStatus", one, 1) != 0)
		goto fail;
	one[0] = when;
	if (mods_append(&mods, LDAP_MOD_REPLACE, "umSourceGone", one, 1) != 0)
		goto fail;
	return changeset_add_mods(cs, CH_ENTRY_MODIFY, p->dn, mods);
fail:
	mods_release(mods);
	return -1;
}

/* uids of new users that already belong to someone in another
 * organisation (slapo-unique would refuse the add: DESIGN §2, one uid
 * across the portal). Marked in taken[] by index into uids. */
static int collisions(unsigned char *taken, LDAP *ld, const struct config *conf, const char **uids,
                      size_t n)
{
	struct ldapconn_req *reqs = NULL;
	size_t nreq = (n + UIDS_PER_SEARCH - 1) / UIDS_PER_SEARCH, i, j, len;
	char *attrs[] = {"uid", NULL}, *p;
	LDAPMessage *e;
	struct berval **v;
	int rc = LDAP_NO_MEMORY;

	if (n == 0)
		return LDAP_SUCCESS;
	reqs = calloc(nreq, sizeof(*reqs));
	if (reqs == NULL)
		return LDAP_NO_MEMORY;
	for (i = 0; i < nreq; i++) {
		char *one;
		len = 8;
		for (j = i * UIDS_PER_SEARCH; j < n && j < (i + 1) * UIDS_PER_SEARCH; j++)
			len += 3 * strlen(uids[j]) + 8;
		reqs[i].filter = malloc(len);
		reqs[i].base = strdup(conf->orgs_dn);
		if (reqs[i].filter == NULL || reqs[i].base == NULL)
			goto cleanup;
		p = reqs[i].filter + sprintf(reqs[i].filter, "(|");
		for (j = i * UIDS_PER_SEARCH; j < n && j < (i + 1) * UIDS_PER_SEARCH; j++) {
			if ((one = dn_filter("uid", uids[j])) == NULL)
				goto cleanup;
			p += sprintf(p, "%s", one);
			free(one);
		}
		sprintf(p, ")");
		reqs[i].scope = LDAP_SCOPE_SUBTREE;
		reqs[i].attrs = attrs;
	}
	rc = ldapconn_search_many(ld, conf, reqs, nreq);
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	for (i = 0; i < nreq; i++) {
		if (reqs[i].rc != LDAP_SUCCESS) {
			rc = reqs[i].rc;
			goto cleanup;
		}
		for (e = ldap_first_entry(ld, reqs[i].res); e; e = ldap_next_entry(ld, e)) {
			v = ldap_get_values_len(ld, e, "uid");
			for (j = i * UIDS_PER_SEARCH;
			     v && v[0] && j < n && j < (i + 1) * UIDS_PER_SEARCH; j++)
				if (strlen(uids[j]) == v[0]->bv_len &&
				    strncasecmp(uids[j], v[0]->bv_val, v[0]->bv_len) == 0)
					taken[j] = 1;
			ldap_value_free_len(v);
		}
	}
	rc = LDAP_SUCCESS;
cleanup:
	ldapconn_req_clear(reqs, nreq);
	free(reqs);
	return rc;
}

static struct portal_user *find_key(struct portal_user **byk, size_t n, const char *key)
{
	struct portal_user k, *kp = &k, **hit;

	memset(&k, 0, sizeof(k));
	k.key = key;
	hit = bsearch(&kp, byk, n, sizeof(*byk), cmp_portal_key);
	return hit ? *hit : NULL;
}

static struct portal_user *find_uid(struct portal_user **byu, size_t n, const char *uid)
{
	struct portal_user k, *kp = &k, **hit;

	memset(&k, 0, sizeof(k));
	k.uid = uid;
	hit = bsearch(&kp, byu, n, sizeof(*byu), cmp_portal_uid);
	return hit ? *hit : NULL;
}

static int diff(struct changeset *cs, struct source_run *r, LDAP *ld, const struct config *conf,
                struct source_counts *n)
{
	struct portal_user **byk = NULL, **byu = NULL, *p;
	const char **newuids = NULL, *why;
	size_t *newidx = NULL, *relink = NULL, nk = 0, nu = 0, nnew = 0, nrelink = 0, i;
	unsigned char *taken = NULL;
	int rc = LDAP_NO_MEMORY;

	byk = calloc(r->npu + 1, sizeof(*byk));
	byu = calloc(r->npu + 1, sizeof(*byu));
	newuids = calloc(r->nsu + 1, sizeof(*newuids));
	newidx = calloc(r->nsu + 1, sizeof(*newidx));
	taken = calloc(r->nsu + 1, 1);
	relink = calloc(r->nsu + 1, sizeof(*relink));
	if (relink == NULL || byk == NULL || byu == NULL || newuids == NULL || newidx == NULL ||
	    taken == NULL)
		goto cleanup;
	for (i = 0; i < r->npu; i++) {
		p = &r->pu[i];
		if (p->uid != NULL)
			byu[nu++] = p;
		if (p->source != NULL && strcmp(p->source, r->src->id) == 0 && p->key != NULL) {
			byk[nk++] = p;
			if (!p->gone)
				n->known++;
		}
	}
	qsort(byk, nk, sizeof(*byk), cmp_portal_key);
	qsort(byu, nu, sizeof(*byu), cmp_portal_uid);
	qsort(r->su, r->nsu, sizeof(*r->su), cmp_src_key);
	n->upstream = r->nsu;

	for (i = 0; i < r->nsu; i++) {
		struct src_user *u = &r->su[i];
		if (i > 0 && strcasecmp(u->key, r->su[i - 1].key) == 0)
			continue;
		normalise(r, u, &why);
		if ((p = find_key(byk, nk, u->key)) != NULL) {
			p->seen = 1;
			if (why != NULL) {
				log_warnx("source %s: %s has no valid %s: not updated", r->src->id,
				          u->dn, why);
				n->skipped++;
				continue;
			}
			if (update_user(cs, r, p, u, n) != 0)
				goto cleanup;
			continue;
		}
		if (why != NULL) {
			log_warnx("source %s: %s has no valid %s: skipped", r->src->id, u->dn, why);
			n->skipped++;
			continue;
		}
		if ((p = find_uid(byu, nu, u->v[SF_UID])) != NULL && p->source != NULL &&
		    strcmp(p->source, r->src->id) == 0) {
			if (r->partial) {
				/* is its old entry still upstream? a whole run knows */
				r->want_full = 1;
				rc = LDAP_SUCCESS;
				goto cleanup;
			}
			/* this source's, under another entryUUID: decided once
			 * every entry of the source is seen */
			relink[nrelink++] = i;
			continue;
		}
		if (p != NULL) {
			log_warnx("source %s: uid \"%s\" (%s) already belongs to %s, which is not "
			          "this "
			          "source's: skipped, never taken over",
			          r->src->id, u->v[SF_UID], u->dn, p->dn);
			n->skipped++;
			continue;
		}
		newuids[nnew] = u->v[SF_UID];
		newidx[nnew++] = i;
	}
	/* deleted and added again upstream (a new entryUUID, the same uid):
	 * the same person, if the old entry is gone from the source */
	for (i = 0; i < nrelink; i++) {
		const struct src_user *u = &r->su[relink[i]];
		const char *one[1] = {u->key};
		p = find_uid(byu, nu, u->v[SF_UID]);
		if (p->seen) {
			log_warnx("source %s: uid \"%s\" (%s) already belongs to %s, another user "
			          "of the source: skipped",
			          r->src->id, u->v[SF_UID], u->dn, p->dn);
			n->skipped++;
			continue;
		}
		p->seen = 1;
		if (update_user(cs, r, p, u, n) != 0)
			goto cleanup;
		{
			LDAPMod **mods = NULL;
			if (mods_append(&mods, LDAP_MOD_REPLACE, "umSourceKey", one, 1) != 0 ||
			    changeset_add_mods(cs, CH_ENTRY_MODIFY, p->dn, mods) != 0)
				goto cleanup;
		}
		log_info("source %s: %s follows %s (a new entryUUID upstream)", r->src->id, p->dn,
		         u->dn);
	}
	/* two source entries with one uid: neither may take the other's */
	if (nnew > 1) {
		struct uid_ix *ix = malloc(nnew * sizeof(*ix));
		if (ix == NULL)
			goto cleanup;
		for (i = 0; i < nnew; i++) {
			ix[i].uid = newuids[i];
			ix[i].i = i;
		}
		qsort(ix, nnew, sizeof(*ix), cmp_uid_ix);
		for (i = 0; i + 1 < nnew; i++)
			if (strcasecmp(ix[i].uid, ix[i + 1].uid) == 0)
				taken[ix[i].i] = taken[ix[i + 1].i] = 2;
		free(ix);
	}
	rc = collisions(taken, ld, conf, newuids, nnew);
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	rc = LDAP_NO_MEMORY;
	for (i = 0; i < nnew; i++) {
		const struct src_user *u = &r->su[newidx[i]];
		if (taken[i]) {
			log_warnx("source %s: uid \"%s\" (%s) %s: skipped, never taken over",
			          r->src->id, u->v[SF_UID], u->dn,
			          taken[i] == 2
			                  ? "is held by more than one user of the source"
			                  : "already belongs to a user of another organisation");
			n->skipped++;
			continue;
		}
		if (add_user(cs, r, u) != 0)
			goto cleanup;
		n->added++;
	}
	/* gone upstream, or out of its base or filter: deactivated, never
	 * deleted (manual §3.1); one an administrator deactivated stays so */
	for (i = 0; i < nk && !r->partial; i++) {
		p = byk[i];
		if (p->seen || p->gone || !p->active)
			continue;
		if (deactivate_user(cs, p) != 0)
			goto cleanup;
		n->deactivated++;
	}
	rc = LDAP_SUCCESS;
cleanup:
	free(byk);
	free(byu);
	free(newuids);
	free(newidx);
	free(relink);
	free(taken);
	return rc;
}

/* A source that answers nothing, or a run deactivating more than
 * max-deactivate of its users, is held (DESIGN §6). */
static int held(char *why, size_t len, const struct source *src, const struct source_counts *n)
{
	if (n->upstream == 0 && n->known > 0) {
		snprintf(why, len, "source %s returned no users (%zu known): held, nothing applied",
		         src->id, n->known);
		return 1;
	}
	if (n->deactivated > 0 && n->deactivated * 100 > n->known * (size_t)src->max_deactivate) {
		snprintf(why, len,
		         "source %s would deactivate %zu of its %zu users (max-deactivate %d%%): "
		         "held, nothing applied",
		         src->id, n->deactivated, n->known, src->max_deactivate);
		return 1;
	}
	return 0;
}

int source_build(struct changeset *cs, struct source_counts *n, char *why, size_t whylen, LDAP *ld,
                 const struct config *conf, const struct source *src, int force)
{
	struct source_run r;
	int rc;

	memset(n, 0, sizeof(*n));
	memset(&r, 0, sizeof(r));
	why[0] = '\0';
	r.src = src;
	r.conf = conf;
	strtab_init(&r.arena);
	rc = source_read(&r, conf);
	if (rc == LDAP_SUCCESS)
		rc = portal_read(&r, ld, conf, "(objectClass=umUser)");
	if (rc == LDAP_SUCCESS)
		rc = diff(cs, &r, ld, conf, n);
	n->skipped += r.nbad;
	if (rc == LDAP_SUCCESS && held(why, whylen, src, n)) {
		if (force) {
			log_warnx("%s; --force-source: applied anyway", why);
			why[0] = '\0';
		} else {
			n->held = 1;
		}
	}
	free(r.su);
	free(r.pu);
	strtab_free(&r.arena);
	return rc;
}

int source_run(struct source_counts *n, char *why, size_t whylen, LDAP *ld,
               const struct config *conf, const struct source *src, int force)
{
	struct changeset cs;
	int rc;

	changeset_init(&cs);
	rc = source_build(&cs, n, why, whylen, ld, conf, src, force);
	if (rc != LDAP_SUCCESS) {
		snprintf(why, whylen, "source %s: run discarded, nothing applied: %s", src->id,
		         ldap_err2string(rc));
		log_warnx("%s", why);
		changeset_trash(&cs);
		return rc;
	}
	if (n->held) {
		log_warnx("%s: provisiond --force-source %s applies it", why, src->id);
		changeset_trash(&cs);
		return LDAP_SUCCESS;
	}
	rc = changeset_apply(&cs, ld, conf);
	n->refused = cs.failed;
	changeset_trash(&cs);
	if (rc != LDAP_SUCCESS) {
		snprintf(why, whylen, "source %s: applying: %s", src->id, ldap_err2string(rc));
		log_warnx("%s", why);
		return rc;
	}
	log_info("source %s: %zu upstream, %zu added, %zu updated, %zu deactivated, %zu "
	         "reactivated, %zu skipped, %zu refused",
	         src->id, n->upstream, n->added, n->updated, n->deactivated, n->reactivated,
	         n->skipped, n->refused);
	return LDAP_SUCCESS;
}

/* ---- notifications of a syncrepl source, one by one ------------------------------- */

struct source_pending {
	struct source_run r;
};

struct source_pending *source_pending_new(const struct source *src)
{
	struct source_pending *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->r.src = src;
	q->r.partial = 1;
	strtab_init(&q->r.arena);
	return q;
}

static void pending_clear(struct source_pending *q)
{
	free(q->r.su);
	free(q->r.pu);
	strtab_free(&q->r.arena);
	q->r.su = NULL;
	q->r.pu = NULL;
	q->r.nsu = q->r.capsu = q->r.npu = q->r.cappu = q->r.nbad = 0;
	q->r.want_full = 0;
	strtab_init(&q->r.arena);
}

void source_pending_discard(struct source_pending *q)
{
	if (q != NULL)
		pending_clear(q);
}

void source_pending_free(struct source_pending *q)
{
	if (q == NULL)
		return;
	pending_clear(q);
	strtab_free(&q->r.arena);
	free(q);
}

int source_pending_note(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct source_pending *q = ctx;

	return source_entry(&q->r, ld, e) == 0 ? 0 : -1;
}

size_t source_pending_count(const struct source_pending *q)
{
	return q ? q->r.nsu + q->r.nbad : 0;
}

/* The portal users the notified entries may be: by umSourceKey (indexed),
 * and by uid for new ones (a collision, or one that follows). */
static int pending_read_portal(struct source_run *r, LDAP *ld, const struct config *conf)
{
	size_t i, j, len;
	char *filter = NULL, *p, *k = NULL, *u = NULL;
	int rc = LDAP_SUCCESS;

	for (i = 0; i < r->nsu && rc == LDAP_SUCCESS; i += UIDS_PER_SEARCH) {
		len = 40;
		for (j = i; j < r->nsu && j < i + UIDS_PER_SEARCH; j++)
			len += 3 * (strlen(r->su[j].key) + strlen(r->su[j].v[SF_UID])) + 32;
		if ((filter = malloc(len)) == NULL)
			return LDAP_NO_MEMORY;
		p = filter + sprintf(filter, "(&(objectClass=umUser)(|");
		for (j = i; j < r->nsu && j < i + UIDS_PER_SEARCH; j++) {
			k = dn_filter("umSourceKey", r->su[j].key);
			u = dn_filter("uid", r->su[j].v[SF_UID]);
			if (k == NULL || u == NULL) {
				free(k);
				free(u);
				free(filter);
				return LDAP_NO_MEMORY;
			}
			p += sprintf(p, "%s%s", k, u);
			free(k);
			free(u);
		}
		sprintf(p, "))");
		rc = portal_read(r, ld, conf, filter);
		free(filter);
	}
	return rc;
}

int source_pending_apply(struct source_pending *q, struct source_counts *n, int *full, LDAP *ld,
                         const struct config *conf)
{
	struct source_run *r = &q->r;
	struct changeset cs;
	int rc = LDAP_SUCCESS;

	memset(n, 0, sizeof(*n));
	*full = 0;
	changeset_init(&cs);
	r->conf = conf;
	if (r->nsu > 0)
		rc = pending_read_portal(r, ld, conf);
	if (rc == LDAP_SUCCESS && r->nsu > 0)
		rc = diff(&cs, r, ld, conf, n);
	n->skipped += r->nbad;
	if (rc == LDAP_SUCCESS && r->want_full) {
		*full = 1;
		goto cleanup;
	}
	if (rc == LDAP_SUCCESS) {
		rc = changeset_apply(&cs, ld, conf);
		n->refused = cs.failed;
	}
	if (rc != LDAP_SUCCESS) {
		log_warnx("source %s: notified changes not applied: %s", r->src->id,
		          ldap_err2string(rc));
		goto cleanup;
	}
	log_info("source %s: %zu notified, %zu added, %zu updated, %zu reactivated, %zu skipped, "
	         "%zu refused",
	         r->src->id, n->upstream, n->added, n->updated, n->reactivated, n->skipped,
	         n->refused);
cleanup:
	changeset_trash(&cs);
	pending_clear(q);
	return rc;
}
