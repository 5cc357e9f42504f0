/*
 * The full reconcile: the whole projection computed from one paged read of
 * ou=organizations, compared with one paged read of ou=groups, and the
 * difference applied (or nothing, if a read failed).
 *
 * Scale (DESIGN §5, 100k users / 300k grants in 60 s and 150 MB): every
 * DN is interned once (strtab.c) and known by a 32-bit id; a membership is
 * one 64-bit (group, user) pair; desired and current pairs are sorted and
 * walked side by side. Grants keep only ids of their interned values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "provisiond.h"

struct r_user {
	const char *dn;    /* as the server wrote it, for member values; NULL: no entry */
	uint32_t org;      /* id in orgs */
	uint32_t first;    /* first grant + 1; 0: none */
	uint64_t cur;      /* hash of the projected attributes it has */
	uint64_t mhash;    /* user_entry_manage_hash() */
	uint32_t moff, mn; /* its umManage values in rpool */
	unsigned char active;
};

struct r_grant {
	uint32_t user, scope, app, next; /* next grant of the same user + 1 */
	uint32_t off, n;                 /* its values in rpool */
};

struct r_deleg {
	uint32_t off, n;
};

struct pairs {
	uint64_t *v;
	size_t n, cap;
};

struct reconcile {
	LDAP *ld;
	const struct config *conf;
	struct ustate *us;
	struct strtab users; /* dn_key() */
	struct r_user *u;
	size_t ucap;
	struct strtab orgs;   /* lower-case org ids */
	struct strtab rights; /* umRight values */
	uint32_t *rpool;
	size_t nrpool, caprpool;
	struct r_grant *g;
	size_t ng, capg;
	struct strtab dkeys; /* "org\napp\nrouter" */
	struct r_deleg *d;
	size_t capd;
	struct strtab gkeys;   /* groups by dn_key() */
	struct strtab gexact;  /* template output -> gid, saves normalizing */
	uint32_t *gexact_gid;  /* by gexact id */
	const char **gdn;      /* display DN by gid */
	unsigned char *gstate; /* by gid: G_EXISTS | G_OWNED */
	size_t gcap, gscap, gexcap;
	size_t ndesired_groups; /* gids below are projected */
	struct pairs want, have;
	struct pairs foreign; /* (gid, index in fvals) */
	const char **fvals;
	size_t nfvals, capfvals;
	struct strtab text; /* DNs and values kept for the change set */
	struct changeset cs;
	size_t nentries, nusers, ngrants_seen, ndelegs, ngroups_read;
};

#define G_EXISTS 1
#define G_OWNED  2

static int grow(void **v, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 1024;
	void *p;

	if (need <= *cap)
		return 0;
	/* past 64k a quarter more: the new part is zeroed, so resident, and
	 * at 1M users doubling left ~80 MB of it unused; realloc() of
	 * blocks that size moves pages (mremap), it does not copy */
	while (n < need)
		n += n < 65536 ? n : n / 4;
	p = realloc(*v, n * size);
	if (p == NULL)
		return -1;
	memset((char *)p + *cap * size, 0, (n - *cap) * size);
	*v = p;
	*cap = n;
	return 0;
}

static int pairs_add(struct pairs *p, uint32_t a, uint32_t b)
{
	if (grow((void **)&p->v, &p->cap, p->n + 1, sizeof(*p->v)) != 0)
		return -1;
	p->v[p->n++] = (uint64_t)a << 32 | b;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void pairs_sort(struct pairs *p)
{
	size_t i, n = 0;

	qsort(p->v, p->n, sizeof(*p->v), cmp_u64);
	for (i = 0; i < p->n; i++)
		if (n == 0 || p->v[n - 1] != p->v[i])
			p->v[n++] = p->v[i];
	p->n = n;
}

static int user_id(uint32_t *id, struct reconcile *r, const char *key)
{
	if (strtab_intern(id, &r->users, key, strlen(key)) < 0 ||
	    grow((void **)&r->u, &r->ucap, r->users.n, sizeof(*r->u)) != 0)
		return -1;
	return 0;
}

static int lower_intern(uint32_t *id, struct strtab *t, const char *s)
{
	char buf[512];
	size_t i, n = strlen(s);

	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	for (i = 0; i < n; i++)
		buf[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	return strtab_intern(id, t, buf, n) < 0 ? -1 : 0;
}

/* The values of attr, interned, appended to rpool. */
static int rights_take(uint32_t *off, uint32_t *n, struct reconcile *r, LDAPMessage *e,
                       const char *attr)
{
	struct berval **vals = ldap_get_values_len(r->ld, e, attr);
	uint32_t id;
	size_t i;
	int rc = 0;

	*off = (uint32_t)r->nrpool;
	*n = 0;
	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		if (strtab_intern(&id, &r->rights, vals[i]->bv_val, vals[i]->bv_len) < 0 ||
		    grow((void **)&r->rpool, &r->caprpool, r->nrpool + 1, sizeof(*r->rpool)) != 0) {
			rc = -1;
			break;
		}
		r->rpool[r->nrpool++] = id;
		(*n)++;
	}
	ldap_value_free_len(vals);
	return rc;
}

/* ---- reading ou=organizations ------------------------------------------------------ */

static int read_org_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct reconcile *r = ctx;
	struct dn_ref ref;
	struct r_user *u;
	struct r_grant *g;
	char key[1024], *dn = ldap_get_dn(ld, e);
	uint32_t uid, id, gi;
	const rights_app *app;
	rights_str appid;
	int rc = -1;

	r->nentries++;
	if (dn == NULL || dn_classify(&ref, dn, r->conf->orgs_key) != 0)
		goto cleanup;
	switch (ref.kind) {
	case DN_USER:
		if (user_id(&uid, r, ref.user_key) != 0 ||
		    lower_intern(&id, &r->orgs, ref.org) != 0)
			goto cleanup;
		u = &r->u[uid];
		/* the server's form is most often the key itself: kept once
		 * (1M users: 80 MB) */
		u->dn = strcmp(r->users.strs[uid], dn) == 0
		                ? r->users.strs[uid]
		                : strtab_store(&r->text, dn, strlen(dn));
		if (u->dn == NULL)
			goto cleanup;
		u->org = id;
		u->active = (unsigned char)user_entry_active(ld, e);
		u->cur = user_entry_hash(ld, e, r->conf);
		u->mhash = user_entry_manage_hash(ld, e);
		if (rights_take(&u->moff, &u->mn, r, e, "umManage") != 0)
			goto cleanup;
		r->nusers++;
		break;
	case DN_GRANT:
		appid.ptr = ref.app;
		appid.len = strlen(ref.app);
		app = catalog_app(r->conf->cat, appid);
		if (app == NULL) /* an application rights.yaml no longer has */
			break;
		for (id = 0; catalog_app_at(r->conf->cat, id) != app; id++)
			;
		if (user_id(&uid, r, ref.user_key) != 0 ||
		    grow((void **)&r->g, &r->capg, r->ng + 1, sizeof(*r->g)) != 0)
			goto cleanup;
		gi = (uint32_t)r->ng++;
		g = &r->g[gi];
		g->user = uid;
		g->app = id;
		if (lower_intern(&g->scope, &r->orgs, ref.peer) != 0 ||
		    rights_take(&g->off, &g->n, r, e, "umRight") != 0)
			goto cleanup;
		g->next = r->u[uid].first;
		r->u[uid].first = gi + 1;
		r->ngrants_seen++;
		break;
	case DN_DELEGATION:
		snprintf(key, sizeof(key), "%s\n%s\n%s", ref.org, ref.app, ref.peer);
		if (strtab_intern(&id, &r->dkeys, key, strlen(key)) < 0 ||
		    grow((void **)&r->d, &r->capd, r->dkeys.n, sizeof(*r->d)) != 0 ||
		    rights_take(&r->d[id].off, &r->d[id].n, r, e, "umRight") != 0)
			goto cleanup;
		r->ndelegs++;
		break;
	default:
		break;
	}
	rc = 0;
cleanup:
	if (rc != 0)
		log_warnx("reconcile: out of memory reading %s", dn ? dn : "an entry");
	dn_ref_clear(&ref);
	ldap_memfree(dn);
	return rc;
}

/* ---- projecting ------------------------------------------------------------------------ */

static int group_id(uint32_t *gid, struct reconcile *r, const char *dn)
{
	uint32_t xid;
	char *key = NULL;
	int added;

	added = strtab_intern(&xid, &r->gexact, dn, strlen(dn));
	if (added < 0 ||
	    grow((void **)&r->gexact_gid, &r->gexcap, r->gexact.n, sizeof(*r->gexact_gid)) != 0)
		return -1;
	if (!added) {
		*gid = r->gexact_gid[xid];
		return 0;
	}
	key = dn_key(dn);
	if (key == NULL) {
		log_warnx("reconcile: rights.yaml projects onto \"%s\", which is not a DN", dn);
		return -1;
	}
	added = strtab_intern(gid, &r->gkeys, key, strlen(key));
	free(key);
	if (added < 0 || grow((void **)&r->gdn, &r->gcap, r->gkeys.n, sizeof(*r->gdn)) != 0 ||
	    grow((void **)&r->gstate, &r->gscap, r->gkeys.n, sizeof(*r->gstate)) != 0)
		return -1;
	if (added && (r->gdn[*gid] = r->gexact.strs[xid]) == NULL)
		return -1;
	r->gexact_gid[xid] = *gid;
	return 0;
}

static int lookup_str(const struct strtab *t, uint32_t id, rights_str *out)
{
	out->ptr = t->strs[id];
	out->len = strlen(t->strs[id]);
	return 0;
}

/* §2.3.1: the delegation cn=<app>@<user's org> under the grant's scope. */
static int deleg_find(uint32_t *did, const struct reconcile *r, const struct r_grant *g,
                      const struct r_user *u)
{
	char key[1024];

	snprintf(key, sizeof(key), "%s\n%s\n%s", r->orgs.strs[g->scope],
	         app_id(catalog_app_at(r->conf->cat, g->app)), r->orgs.strs[u->org]);
	return strtab_find(did, &r->dkeys, key, strlen(key));
}

struct scratch {
	proj_grant *grants;
	size_t capg;
	rights_str *vals;
	size_t capv;
};

static int project_one(struct reconcile *r, uint32_t uid, struct scratch *s, struct projection *p)
{
	const struct config *conf = r->conf;
	struct r_user *u = &r->u[uid];
	const struct r_grant *g;
	proj_user pu;
	size_t ng = 0, nv = 0, i, total = 0;
	uint32_t gi, did, gid;
	uint64_t want;
	int rc = -1;

	total = u->mn;
	for (gi = u->first; gi != 0; gi = r->g[gi - 1].next) {
		g = &r->g[gi - 1];
		total += g->n;
		ng++;
		if (g->scope != u->org && deleg_find(&did, r, g, u) != 0)
			total += r->d[did].n;
	}
	if (grow((void **)&s->grants, &s->capg, ng + 1, sizeof(*s->grants)) != 0 ||
	    grow((void **)&s->vals, &s->capv, total + 1, sizeof(*s->vals)) != 0)
		return -1;
	memset(&pu, 0, sizeof(pu));
	lookup_str(&r->orgs, u->org, &pu.org);
	pu.active = u->active;
	pu.grants = s->grants;
	ng = 0;
	for (gi = u->first; gi != 0; gi = r->g[gi - 1].next) {
		g = &r->g[gi - 1];
		proj_grant *pg = &s->grants[ng++];

		memset(pg, 0, sizeof(*pg));
		pg->app.ptr = app_id(catalog_app_at(conf->cat, g->app));
		pg->app.len = strlen(pg->app.ptr);
		lookup_str(&r->orgs, g->scope, &pg->scope);
		pg->rights = &s->vals[nv];
		for (i = 0; i < g->n; i++)
			lookup_str(&r->rights, r->rpool[g->off + i], &s->vals[nv++]);
		pg->nrights = g->n;
		if (g->scope != u->org && deleg_find(&did, r, g, u) != 0) {
			pg->has_deleg = 1;
			pg->deleg = &s->vals[nv];
			for (i = 0; i < r->d[did].n; i++)
				lookup_str(&r->rights, r->rpool[r->d[did].off + i], &s->vals[nv++]);
			pg->ndeleg = r->d[did].n;
		}
	}
	pu.ngrants = ng;
	pu.manage = &s->vals[nv];
	for (i = 0; i < u->mn; i++)
		lookup_str(&r->rights, r->rpool[u->moff + i], &s->vals[nv++]);
	pu.nmanage = u->mn;
	if (project_user(p, conf->cat, conf->suffix, &pu) != 0)
		return -1;
	for (i = 0; i < p->ngroups; i++)
		if (group_id(&gid, r, p->groups[i]) != 0 || pairs_add(&r->want, gid, uid) != 0)
			return -1;

	if (changeset_add_attrs(&want, &r->cs, u->dn, 0, p, conf, u->cur) != 0)
		goto cleanup;
	if (ustate_set(r->us, r->users.strs[uid], u->active, want + u->mhash) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	return rc;
}

static int project_all(struct reconcile *r)
{
	struct scratch s;
	struct projection p;
	uint32_t uid;
	int rc = 0;

	memset(&s, 0, sizeof(s));
	memset(&p, 0, sizeof(p));
	ustate_clear(r->us);
	for (uid = 0; uid < r->users.n && rc == 0; uid++) {
		if (r->u[uid].dn == NULL) /* grants under something that is no user */
			continue;
		rc = project_one(r, uid, &s, &p);
		if (rc == 0 && uid % 4096 == 0 && provisiond_tick() != 0)
			rc = -2;
	}
	r->ndesired_groups = r->gkeys.n;
	projection_free(&p);
	free(s.grants);
	free(s.vals);
	return rc;
}

/* ---- reading ou=groups ------------------------------------------------------------- */

static int member_user(uint32_t *uid, struct reconcile *r, const struct berval *v)
{
	char buf[1024], *key = NULL;
	size_t i;
	int found;

	/* values come back in the server's pretty form, which lower-cased is
	 * the key; only the odd one needs ldap_dn_normalize() */
	if (v->bv_len < sizeof(buf)) {
		for (i = 0; i < v->bv_len; i++)
			buf[i] = (v->bv_val[i] >= 'A' && v->bv_val[i] <= 'Z')
			                 ? (char)(v->bv_val[i] - 'A' + 'a')
			                 : v->bv_val[i];
		if (strtab_find(uid, &r->users, buf, v->bv_len) && r->u[*uid].dn != NULL)
			return 1;
		buf[v->bv_len] = '\0';
		key = dn_key(buf);
	}
	found = key != NULL && strtab_find(uid, &r->users, key, strlen(key)) &&
	        r->u[*uid].dn != NULL;
	free(key);
	return found;
}

/* The members of group gid, read where they are in the entry's BER: a
 * group of 1M members is 80 MB there, and as many again copied out by
 * ldap_get_values_len(). */
static int read_members(struct reconcile *r, LDAP *ld, LDAPMessage *e, uint32_t gid)
{
	BerElement *ber = NULL;
	struct berval attr, *vals = NULL;
	uint32_t uid;
	size_t i;
	int rc = -1, lrc;

	if (ldap_get_dn_ber(ld, e, &ber, &attr) != LDAP_SUCCESS)
		return -1;
	for (lrc = ldap_get_attribute_ber(ld, e, ber, &attr, &vals);
	     lrc == LDAP_SUCCESS && attr.bv_val != NULL;
	     lrc = ldap_get_attribute_ber(ld, e, ber, &attr, &vals)) {
		if (attr.bv_len == 6 && strncasecmp(attr.bv_val, "member", 6) == 0)
			break;
		ber_memfree(vals);
		vals = NULL;
	}
	if (lrc != LDAP_SUCCESS)
		goto cleanup;
	for (i = 0; vals != NULL && vals[i].bv_val != NULL; i++) {
		if (member_user(&uid, r, &vals[i])) {
			if (pairs_add(&r->have, gid, uid) != 0)
				goto cleanup;
			continue;
		}
		/* a member that is no user any more: nothing stale stays */
		if (grow((void **)&r->fvals, &r->capfvals, r->nfvals + 1, sizeof(*r->fvals)) != 0 ||
		    (r->fvals[r->nfvals] =
		             strtab_store(&r->text, vals[i].bv_val, vals[i].bv_len)) == NULL ||
		    pairs_add(&r->foreign, gid, (uint32_t)r->nfvals) != 0)
			goto cleanup;
		r->nfvals++;
	}
	rc = 0;
cleanup:
	ber_memfree(vals);
	ber_free(ber, 0);
	return rc;
}

static int read_group_entry(void *ctx, LDAP *ld, LDAPMessage *e)
{
	struct reconcile *r = ctx;
	struct berval **owner = NULL;
	char *dn = ldap_get_dn(ld, e), *key = NULL, *okey = NULL;
	uint32_t gid;
	size_t i;
	int owned = 0, desired, rc = -1;

	r->ngroups_read++;
	if (dn == NULL || (key = dn_key(dn)) == NULL)
		goto cleanup;
	owner = ldap_get_values_len(ld, e, "owner");
	for (i = 0; owner != NULL && owner[i] != NULL && !owned; i++) {
		okey = dn_key(owner[i]->bv_val);
		owned = okey != NULL && strcmp(okey, r->conf->owner_key) == 0;
		free(okey);
	}
	desired = strtab_find(&gid, &r->gkeys, key, strlen(key)) && gid < r->ndesired_groups;
	if (!desired && !owned) { /* someone else's group: not provisiond's business */
		rc = 0;
		goto cleanup;
	}
	if (!desired) {
		if (strtab_intern(&gid, &r->gkeys, key, strlen(key)) < 0 ||
		    grow((void **)&r->gdn, &r->gcap, r->gkeys.n, sizeof(*r->gdn)) != 0 ||
		    grow((void **)&r->gstate, &r->gscap, r->gkeys.n, sizeof(*r->gstate)) != 0 ||
		    (r->gdn[gid] = strtab_store(&r->text, dn, strlen(dn))) == NULL)
			goto cleanup;
	} else if (!owned &&
	           changeset_add(&r->cs, CH_OWNER_ADD, r->gdn[gid], NULL, NULL, 0, 0) != 0) {
		goto cleanup;
	}
	r->gstate[gid] = G_EXISTS | G_OWNED;
	rc = read_members(r, ld, e, gid);
cleanup:
	if (rc != 0)
		log_warnx("reconcile: out of memory reading %s", dn ? dn : "a group");
	ldap_value_free_len(owner);
	free(key);
	ldap_memfree(dn);
	return rc;
}

/* ---- the difference ----------------------------------------------------------------- */

static int diff_group(struct reconcile *r, uint32_t gid, const uint64_t *w, size_t nw,
                      const uint64_t *h, size_t nh, const uint64_t *f, size_t nf, const char **buf)
{
	size_t i = 0, j = 0, na = 0, nd = 0;
	uint32_t a, b;

	if (!(r->gstate[gid] & G_EXISTS)) {
		for (i = 0; i < nw; i++)
			buf[i] = r->u[(uint32_t)w[i]].dn;
		return nw ? changeset_add(&r->cs, CH_GROUP_ADD, r->gdn[gid], NULL, buf, nw, 0) : 0;
	}
	if (nw == 0)
		return changeset_add(&r->cs, CH_GROUP_DEL, r->gdn[gid], NULL, NULL, 0, 0);
	while (i < nw || j < nh) {
		a = i < nw ? (uint32_t)w[i] : UINT32_MAX;
		b = j < nh ? (uint32_t)h[j] : UINT32_MAX;
		if (i < nw && (j >= nh || a < b)) {
			buf[na++] = r->u[a].dn;
			i++;
		} else if (j < nh && (i >= nw || b < a)) {
			j++;
		} else {
			i++;
			j++;
		}
	}
	if (na && changeset_add(&r->cs, CH_MEMBER_ADD, r->gdn[gid], NULL, buf, na, 0) != 0)
		return -1;
	for (i = 0, j = 0; j < nh; j++) {
		b = (uint32_t)h[j];
		while (i < nw && (uint32_t)w[i] < b)
			i++;
		if (i < nw && (uint32_t)w[i] == b)
			continue;
		buf[nd++] = r->u[b].dn;
	}
	for (i = 0; i < nf; i++)
		buf[nd++] = r->fvals[(uint32_t)f[i]];
	if (nd && changeset_add(&r->cs, CH_MEMBER_DEL, r->gdn[gid], NULL, buf, nd, 0) != 0)
		return -1;
	return 0;
}

static int diff_all(struct reconcile *r)
{
	const char **buf = NULL;
	size_t iw, ih, jf, ew, eh, ef, max = 0;
	uint32_t gid;
	int pass;
	int rc = -1;

	pairs_sort(&r->want);
	pairs_sort(&r->have);
	pairs_sort(&r->foreign);
	/* the values of one change: as many as the largest group's */
	for (pass = 0; pass < 2; pass++) {
		for (gid = 0, iw = ih = jf = 0; gid < r->gkeys.n; gid++) {
			for (ew = iw; ew < r->want.n && r->want.v[ew] >> 32 == gid; ew++)
				;
			for (eh = ih; eh < r->have.n && r->have.v[eh] >> 32 == gid; eh++)
				;
			for (ef = jf; ef < r->foreign.n && r->foreign.v[ef] >> 32 == gid; ef++)
				;
			if (pass == 0 && ew - iw + eh - ih + ef - jf > max)
				max = ew - iw + eh - ih + ef - jf;
			if (pass == 1 && diff_group(r, gid, r->want.v + iw, ew - iw, r->have.v + ih,
			                            eh - ih, r->foreign.v + jf, ef - jf, buf) != 0)
				goto cleanup;
			iw = ew;
			ih = eh;
			jf = ef;
		}
		if (pass == 0 && (buf = calloc(max + 1, sizeof(*buf))) == NULL)
			return -1;
	}
	rc = 0;
cleanup:
	free(buf);
	return rc;
}

/* ---- the run ------------------------------------------------------------------------- */

/* What decided the projection: no longer needed once it is computed,
 * freed before the groups are read (1M users: 150 MB of grants). */
static void reconcile_free_inputs(struct reconcile *r)
{
	strtab_free(&r->orgs);
	strtab_free(&r->rights);
	strtab_free(&r->dkeys);
	free(r->rpool);
	free(r->g);
	free(r->d);
	r->rpool = NULL;
	r->g = NULL;
	r->d = NULL;
	r->nrpool = r->caprpool = r->ng = r->capg = r->capd = 0;
}

static void reconcile_free(struct reconcile *r)
{
	reconcile_free_inputs(r);
	strtab_free(&r->users);
	strtab_free(&r->gkeys);
	strtab_free(&r->gexact);
	strtab_free(&r->text);
	free(r->u);
	free(r->gexact_gid);
	free(r->gdn);
	free(r->gstate);
	free(r->want.v);
	free(r->have.v);
	free(r->foreign.v);
	free(r->fvals);
	changeset_trash(&r->cs);
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int reconcile_run(LDAP *ld, const struct config *conf, struct ustate *us)
{
	char *org_attrs[4 + 16] = {"umStatus", "umRight", "umManage", NULL};
	char *group_attrs[] = {"member", "owner", NULL};
	struct reconcile r;
	struct timespec t0;
	size_t i;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&r, 0, sizeof(r));
	r.ld = ld;
	r.conf = conf;
	r.us = us;
	strtab_init(&r.users);
	strtab_init(&r.orgs);
	strtab_init(&r.rights);
	strtab_init(&r.dkeys);
	strtab_init(&r.gkeys);
	strtab_init(&r.gexact);
	strtab_init(&r.text);
	changeset_init(&r.cs);
	for (i = 0; i < conf->nattrs && i < 16; i++)
		org_attrs[3 + i] = (char *)conf->attrs[i];
	org_attrs[3 + i] = NULL;

	/* 1. everything that decides the projection */
	rc = ldapconn_search_paged(ld, conf, conf->orgs_dn, LDAP_SCOPE_SUBTREE,
	                           "(|(objectClass=umUser)(objectClass=umGrant)"
	                           "(objectClass=umDelegation))",
	                           org_attrs, conf->page_size, read_org_entry, &r);
	if (rc != LDAP_SUCCESS)
		goto fail_read;
	rc = project_all(&r);
	if (rc != 0) {
		rc = rc == -2 ? LDAP_USER_CANCELLED : LDAP_NO_MEMORY;
		goto fail;
	}
	reconcile_free_inputs(&r);
	log_info("reconcile: read %zu users, %zu grants, %zu delegations in %ld ms; %zu "
	         "memberships in %zu groups",
	         r.nusers, r.ngrants_seen, r.ndelegs, elapsed_ms(&t0), r.want.n, r.ndesired_groups);

	/* 2. what is there */
	rc = ldapconn_search_paged(ld, conf, conf->groups_dn, LDAP_SCOPE_ONELEVEL,
	                           "(objectClass=groupOfNames)", group_attrs, conf->page_size,
	                           read_group_entry, &r);
	if (rc != LDAP_SUCCESS)
		goto fail_read;

	/* 3. the difference, applied only now that every read answered */
	if (diff_all(&r) != 0) {
		rc = LDAP_NO_MEMORY;
		goto fail;
	}
	log_info("reconcile: %zu changes to apply (%zu groups read) after %ld ms", r.cs.n,
	         r.ngroups_read, elapsed_ms(&t0));
	/* the sets this run read are no longer needed while it writes */
	rc = changeset_apply(&r.cs, ld, conf);
	if (rc != LDAP_SUCCESS)
		goto fail;
	log_info("reconcile: done in %ld ms", elapsed_ms(&t0));
	reconcile_free(&r);
	return LDAP_SUCCESS;

fail_read:
	log_warnx("reconcile: reading the directory failed (%s): nothing written",
	          ldap_err2string(rc));
	reconcile_free(&r);
	return rc;
fail:
	log_warnx("reconcile: %s after %ld ms", ldap_err2string(rc), elapsed_ms(&t0));
	reconcile_free(&r);
	return rc;
}
