/*
 * The incremental run: only the users a burst of sync notifications
 * touched are recomputed, from base and one-level reads (the user entry
 * and its grants in one subtree search under the user, the groups it is
 * in through the member index, the delegations its grants on other
 * organisations depend on), and only their difference is applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "provisiond.h"

/* Users recomputed per round of searches in flight. */
#define CHUNK 256

void dirty_init(struct dirty *d)
{
	memset(d, 0, sizeof(*d));
	strtab_init(&d->users);
	strtab_init(&d->delegations);
}

void dirty_free(struct dirty *d)
{
	if (d == NULL)
		return;
	strtab_free(&d->users);
	strtab_free(&d->delegations);
	free(d->flags);
	free(d->hash);
	dirty_init(d);
}

size_t dirty_count(const struct dirty *d)
{
	return d->users.n + d->delegations.n;
}

static int dirty_slot(uint32_t *id, struct dirty *d, const char *key)
{
	unsigned char *f;
	uint64_t *h;
	size_t cap;
	int added = strtab_intern(id, &d->users, key, strlen(key));

	if (added < 0)
		return -1;
	if (*id >= d->cap) {
		cap = d->cap ? d->cap * 2 : 256;
		f = realloc(d->flags, cap);
		if (f == NULL)
			return -1;
		d->flags = f;
		h = realloc(d->hash, cap * sizeof(*h));
		if (h == NULL)
			return -1;
		d->hash = h;
		d->cap = cap;
	}
	if (added) {
		d->flags[*id] = 0;
		d->hash[*id] = 0;
	}
	return 0;
}

int dirty_user(struct dirty *d, const char *user_key)
{
	uint32_t id;

	if (dirty_slot(&id, d, user_key) != 0)
		return -1;
	d->flags[id] |= DIRTY_FORCE;
	return 0;
}

int dirty_user_entry(struct dirty *d, const char *user_key, int active, uint64_t hash)
{
	uint32_t id;

	if (dirty_slot(&id, d, user_key) != 0)
		return -1;
	/* the latest notification tells the entry as it is now */
	d->flags[id] = (unsigned char)((d->flags[id] & DIRTY_FORCE) | (active ? DIRTY_ACTIVE : 0));
	d->hash[id] = hash;
	return 0;
}

int dirty_delegation(struct dirty *d, const char *org, const char *app, const char *router)
{
	char key[1024];
	uint32_t id;
	int n = snprintf(key, sizeof(key), "%s\n%s\n%s", org, app, router);

	if (n < 0 || (size_t)n >= sizeof(key))
		return -1;
	return strtab_intern(&id, &d->delegations, key, (size_t)n) < 0 ? -1 : 0;
}

int dirty_merge(struct dirty *into, const struct dirty *from)
{
	uint32_t i, id;

	for (i = 0; i < from->delegations.n; i++)
		if (strtab_intern(&id, &into->delegations, from->delegations.strs[i],
		                  strlen(from->delegations.strs[i])) < 0)
			return -1;
	for (i = 0; i < from->users.n; i++) {
		if (dirty_slot(&id, into, from->users.strs[i]) != 0)
			return -1;
		/* what arrived meanwhile is newer: it keeps its values */
		if (into->flags[id] == 0 && into->hash[id] == 0)
			into->hash[id] = from->hash[i];
		into->flags[id] |= from->flags[i];
	}
	return 0;
}

int user_entry_active(LDAP *ld, LDAPMessage *e)
{
	struct berval **vals = ldap_get_values_len(ld, e, "umStatus");
	rights_str s = {"", 0};
	int active;

	if (vals != NULL && vals[0] != NULL) {
		s.ptr = vals[0]->bv_val;
		s.len = vals[0]->bv_len;
	}
	active = project_is_active(s);
	ldap_value_free_len(vals);
	return active;
}

uint64_t user_entry_hash(LDAP *ld, LDAPMessage *e, const struct config *conf)
{
	const char *names[64] = {NULL}, *values[64] = {NULL};
	char *copies[64];
	struct berval **vals;
	size_t a, i, n = 0;
	uint64_t h;

	for (a = 0; a < conf->nattrs; a++) {
		vals = ldap_get_values_len(ld, e, conf->attrs[a]);
		for (i = 0; vals != NULL && vals[i] != NULL && n < 64; i++) {
			copies[n] = strndup(vals[i]->bv_val, vals[i]->bv_len);
			names[n] = conf->attrs[a];
			values[n] = copies[n] ? copies[n] : "";
			n++;
		}
		ldap_value_free_len(vals);
	}
	h = project_attr_hash(names, values, n);
	for (i = 0; i < n; i++)
		free(copies[i]);
	return h;
}

uint64_t user_entry_manage_hash(LDAP *ld, LDAPMessage *e)
{
	struct berval **vals = ldap_get_values_len(ld, e, "umManage");
	rights_str v[16];
	uint64_t h;
	size_t n;

	/* umManage has four possible values (§2.2.4) */
	for (n = 0; vals != NULL && vals[n] != NULL && n < 16; n++) {
		v[n].ptr = vals[n]->bv_val;
		v[n].len = vals[n]->bv_len;
	}
	h = project_manage_hash(v, n);
	ldap_value_free_len(vals);
	return h;
}

struct strvec {
	const char **v;
	size_t n, cap;
};

static int strvec_add(struct strvec *s, const char *str)
{
	const char **v;

	if (s->n == s->cap) {
		v = realloc(s->v, (s->cap ? s->cap * 2 : 16) * sizeof(*v));
		if (v == NULL)
			return -1;
		s->v = v;
		s->cap = s->cap ? s->cap * 2 : 16;
	}
	s->v[s->n++] = str;
	return 0;
}

/* The members one group gains and loses in this run. */
struct gchange {
	const char *dn;
	struct strvec adds, dels;
};

struct update {
	LDAP *ld;
	const struct config *conf;
	struct ustate *us;
	struct changeset cs;
	struct strtab gkeys; /* dn_key() -> index in g */
	struct gchange *g;
	size_t gcap;
	struct strtab text; /* DNs the change set borrows */
	size_t nusers, ngone, nechoes;
};

static struct gchange *gchange_get(struct update *u, const char *key, const char *dn)
{
	struct gchange *g;
	uint32_t id;
	int added = strtab_intern(&id, &u->gkeys, key, strlen(key));

	if (added < 0)
		return NULL;
	if (id >= u->gcap) {
		g = realloc(u->g, (u->gcap ? u->gcap * 2 : 64) * sizeof(*g));
		if (g == NULL)
			return NULL;
		memset(g + u->gcap, 0, (u->gcap ? u->gcap : 64) * sizeof(*g));
		u->g = g;
		u->gcap = u->gcap ? u->gcap * 2 : 64;
	}
	if (added && (u->g[id].dn = strtab_store(&u->text, dn, strlen(dn))) == NULL)
		return NULL;
	return &u->g[id];
}

static char *user_filter(void)
{
	return strdup("(|(objectClass=umUser)(objectClass=umGrant))");
}

/* ---- delegations -> the router users they concern --------------------------------- */

/* A delegation cn=<app>@<router> under o=<X> changed: the router's users
 * holding a grant cn=<app>@<X> are affected (§2.3.1). */
static int expand_delegations(struct update *u, struct dirty *d)
{
	static char *no_attrs[] = {"1.1", NULL};
	struct ldapconn_req *reqs = NULL;
	struct dn_ref ref;
	LDAPMessage *e;
	char *org, *app, *router, *fa = NULL, *fs = NULL, *copy = NULL, *dn;
	size_t i, n = d->delegations.n, len;
	int rc = LDAP_NO_MEMORY;

	if (n == 0)
		return LDAP_SUCCESS;
	reqs = calloc(n, sizeof(*reqs));
	if (reqs == NULL)
		return LDAP_NO_MEMORY;
	for (i = 0; i < n; i++) {
		copy = strdup(d->delegations.strs[i]);
		if (copy == NULL)
			goto cleanup;
		org = copy;
		app = strchr(org, '\n');
		router = app ? strchr(app + 1, '\n') : NULL;
		if (router == NULL)
			goto cleanup;
		*app++ = '\0';
		*router++ = '\0';
		rights_str rv = {router, strlen(router)};
		fa = dn_filter("umApplication", app);
		fs = dn_filter("umScope", org);
		if (fa == NULL || fs == NULL ||
		    project_rdn(&reqs[i].base, "o", rv, u->conf->orgs_dn) != 0)
			goto cleanup;
		len = strlen(fa) + strlen(fs) + 32;
		if ((reqs[i].filter = malloc(len)) == NULL)
			goto cleanup;
		snprintf(reqs[i].filter, len, "(&(objectClass=umGrant)%s%s)", fa, fs);
		reqs[i].scope = LDAP_SCOPE_SUBTREE;
		reqs[i].attrs = no_attrs;
		free(fa);
		free(fs);
		free(copy);
		fa = fs = copy = NULL;
	}
	rc = ldapconn_search_many(u->ld, u->conf, reqs, n);
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	for (i = 0; i < n; i++) {
		if (reqs[i].rc == LDAP_NO_SUCH_OBJECT) /* the router is gone */
			continue;
		if (reqs[i].rc != LDAP_SUCCESS) {
			log_warnx("update: searching %s: %s", reqs[i].base,
			          ldap_err2string(reqs[i].rc));
			rc = reqs[i].rc;
			goto cleanup;
		}
		for (e = ldap_first_entry(u->ld, reqs[i].res); e; e = ldap_next_entry(u->ld, e)) {
			dn = ldap_get_dn(u->ld, e);
			if (dn != NULL && dn_classify(&ref, dn, u->conf->orgs_key) == 0) {
				if (ref.kind == DN_GRANT && dirty_user(d, ref.user_key) != 0)
					rc = LDAP_NO_MEMORY;
				dn_ref_clear(&ref);
			}
			ldap_memfree(dn);
			if (rc != LDAP_SUCCESS)
				goto cleanup;
		}
	}
	rc = LDAP_SUCCESS;
cleanup:
	free(fa);
	free(fs);
	free(copy);
	ldapconn_req_clear(reqs, n);
	free(reqs);
	return rc;
}

/* ---- one user -------------------------------------------------------------------- */

struct ugrant {
	struct berval **rv, **dv;
	rights_str *r, *d;
	char *app, *scope;
	char *deleg_key; /* dn_key() of the delegation it depends on, or NULL */
};

struct uread {
	char *dn; /* NULL: the user is gone */
	char *org;
	int active;
	uint64_t cur;
	uint64_t mhash; /* user_entry_manage_hash() */
	struct berval **mv;
	rights_str *m; /* umManage */
	size_t nm;
	struct ugrant *g;
	size_t ng;
};

static void uread_clear(struct uread *r)
{
	size_t i;

	for (i = 0; i < r->ng; i++) {
		ldap_value_free_len(r->g[i].rv);
		ldap_value_free_len(r->g[i].dv);
		free(r->g[i].r);
		free(r->g[i].d);
		free(r->g[i].app);
		free(r->g[i].scope);
		free(r->g[i].deleg_key);
	}
	free(r->g);
	free(r->dn);
	free(r->org);
	ldap_value_free_len(r->mv);
	free(r->m);
	memset(r, 0, sizeof(*r));
}

static rights_str *bv_strs(struct berval **bv, size_t *n)
{
	rights_str *out;
	size_t i;

	for (*n = 0; bv != NULL && bv[*n] != NULL; (*n)++)
		;
	out = calloc(*n + 1, sizeof(*out));
	for (i = 0; out != NULL && i < *n; i++) {
		out[i].ptr = bv[i]->bv_val;
		out[i].len = bv[i]->bv_len;
	}
	return out;
}

/* The DN key of cn=<app>@<router>,ou=delegations,o=<scope>,<orgs>. */
static char *deleg_key(const struct config *conf, const char *app, const char *scope,
                       const char *router)
{
	char *org = NULL, *dels = NULL, *dn = NULL, *key = NULL, cn[512];
	rights_str s = {scope, strlen(scope)}, c = {cn, 0};
	size_t n;

	snprintf(cn, sizeof(cn), "%s@%s", app, router);
	c.len = strlen(cn);
	if (project_rdn(&org, "o", s, conf->orgs_dn) != 0)
		goto cleanup;
	n = strlen(org) + 32;
	if ((dels = malloc(n)) == NULL)
		goto cleanup;
	snprintf(dels, n, "ou=delegations,%s", org);
	if (project_rdn(&dn, "cn", c, dels) != 0)
		goto cleanup;
	key = dn_key(dn);
cleanup:
	free(org);
	free(dels);
	free(dn);
	return key;
}

/* The user entry and its grants, from the subtree search under it. */
static int uread_parse(struct uread *r, struct update *u, LDAPMessage *res, const char *key)
{
	struct dn_ref ref;
	struct ugrant *g;
	LDAPMessage *e;
	char *dn;
	size_t n, cap = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	for (e = ldap_first_entry(u->ld, res); e != NULL; e = ldap_next_entry(u->ld, e)) {
		dn = ldap_get_dn(u->ld, e);
		if (dn == NULL || dn_classify(&ref, dn, u->conf->orgs_key) != 0) {
			ldap_memfree(dn);
			goto cleanup;
		}
		if (ref.kind == DN_USER && strcmp(ref.user_key, key) == 0) {
			r->dn = strdup(dn);
			r->org = strdup(ref.org);
			r->active = user_entry_active(u->ld, e);
			r->cur = user_entry_hash(u->ld, e, u->conf);
			r->mhash = user_entry_manage_hash(u->ld, e);
			r->mv = ldap_get_values_len(u->ld, e, "umManage");
			r->m = bv_strs(r->mv, &r->nm);
			if (r->dn == NULL || r->org == NULL || r->m == NULL) {
				dn_ref_clear(&ref);
				ldap_memfree(dn);
				goto cleanup;
			}
		} else if (ref.kind == DN_GRANT && strcmp(ref.user_key, key) == 0) {
			if (r->ng == cap) {
				cap = cap ? cap * 2 : 8;
				g = realloc(r->g, cap * sizeof(*g));
				if (g == NULL) {
					dn_ref_clear(&ref);
					ldap_memfree(dn);
					goto cleanup;
				}
				r->g = g;
			}
			g = &r->g[r->ng++];
			memset(g, 0, sizeof(*g));
			g->app = ref.app;
			g->scope = ref.peer;
			ref.app = ref.peer = NULL;
			g->rv = ldap_get_values_len(u->ld, e, "umRight");
			g->r = bv_strs(g->rv, &n);
			if (g->r == NULL) {
				dn_ref_clear(&ref);
				ldap_memfree(dn);
				goto cleanup;
			}
		}
		dn_ref_clear(&ref);
		ldap_memfree(dn);
	}
	rc = 0;
	if (r->dn == NULL) { /* no user entry: whatever is left goes */
		uread_clear(r);
		return 0;
	}
	if (r->org == NULL)
		rc = -1;
cleanup:
	if (rc != 0)
		uread_clear(r);
	return rc;
}

/* Delegation searches for the grants on other organisations. */
static int uread_delegations(struct uread *r, struct update *u, struct strtab *dels,
                             struct ldapconn_req **reqs, size_t *nreqs, size_t *capreqs)
{
	static char *deleg_attrs[] = {"umRight", NULL};
	struct ldapconn_req *v;
	size_t i;
	uint32_t id;
	int added;

	for (i = 0; i < r->ng; i++) {
		if (strcmp(r->g[i].scope, r->org) == 0)
			continue;
		r->g[i].deleg_key = deleg_key(u->conf, r->g[i].app, r->g[i].scope, r->org);
		if (r->g[i].deleg_key == NULL)
			return -1;
		added = strtab_intern(&id, dels, r->g[i].deleg_key, strlen(r->g[i].deleg_key));
		if (added < 0)
			return -1;
		if (!added)
			continue;
		if (*nreqs == *capreqs) {
			v = realloc(*reqs, (*capreqs ? *capreqs * 2 : 16) * sizeof(*v));
			if (v == NULL)
				return -1;
			*reqs = v;
			*capreqs = *capreqs ? *capreqs * 2 : 16;
		}
		v = &(*reqs)[(*nreqs)++];
		memset(v, 0, sizeof(*v));
		v->base = strdup(r->g[i].deleg_key);
		v->filter = strdup("(objectClass=umDelegation)");
		v->scope = LDAP_SCOPE_BASE;
		v->attrs = deleg_attrs;
		if (v->base == NULL || v->filter == NULL)
			return -1;
	}
	return 0;
}

static int uread_attach(struct uread *r, struct update *u, const struct strtab *dels,
                        const struct ldapconn_req *reqs)
{
	LDAPMessage *e;
	size_t i, n;
	uint32_t id;

	for (i = 0; i < r->ng; i++) {
		if (r->g[i].deleg_key == NULL ||
		    !strtab_find(&id, dels, r->g[i].deleg_key, strlen(r->g[i].deleg_key)))
			continue;
		if (reqs[id].rc == LDAP_NO_SUCH_OBJECT)
			continue; /* revoked: nothing of the grant counts */
		if (reqs[id].rc != LDAP_SUCCESS) {
			log_warnx("update: reading %s: %s", reqs[id].base,
			          ldap_err2string(reqs[id].rc));
			return reqs[id].rc;
		}
		e = ldap_first_entry(u->ld, reqs[id].res);
		if (e == NULL)
			continue;
		r->g[i].dv = ldap_get_values_len(u->ld, e, "umRight");
		r->g[i].d = bv_strs(r->g[i].dv, &n);
		if (r->g[i].d == NULL)
			return LDAP_NO_MEMORY;
	}
	return LDAP_SUCCESS;
}

/* Desired against current for one user, into the run's group changes. */
static int user_diff(struct update *u, const char *key, const struct uread *r, LDAPMessage *groups,
                     struct projection *p)
{
	const struct config *conf = u->conf;
	proj_grant *pg = NULL;
	proj_user pu;
	struct gchange *gc;
	struct berval **owner;
	LDAPMessage *e;
	char **want = NULL, *gdn = NULL, *gkey = NULL, *okey, *member;
	size_t i, k;
	int owned, found, rc = -1;
	uint64_t hash = 0;

	projection_reset(p);
	if (r->dn != NULL) {
		pg = calloc(r->ng + 1, sizeof(*pg));
		if (pg == NULL)
			return -1;
		for (i = 0; i < r->ng; i++) {
			pg[i].app.ptr = r->g[i].app;
			pg[i].app.len = strlen(r->g[i].app);
			pg[i].scope.ptr = r->g[i].scope;
			pg[i].scope.len = strlen(r->g[i].scope);
			pg[i].rights = r->g[i].r;
			for (pg[i].nrights = 0; r->g[i].rv && r->g[i].rv[pg[i].nrights];)
				pg[i].nrights++;
			pg[i].deleg = r->g[i].d;
			pg[i].has_deleg = r->g[i].d != NULL;
			for (pg[i].ndeleg = 0; r->g[i].dv && r->g[i].dv[pg[i].ndeleg];)
				pg[i].ndeleg++;
		}
		pu.org.ptr = r->org;
		pu.org.len = strlen(r->org);
		pu.active = r->active;
		pu.grants = pg;
		pu.ngrants = r->ng;
		pu.manage = r->m;
		pu.nmanage = r->nm;
		if (project_user(p, conf->cat, conf->suffix, &pu) != 0)
			goto cleanup;
	}
	member = (char *)(r->dn ? r->dn : key);
	if ((member = strtab_store(&u->text, member, strlen(member))) == NULL)
		goto cleanup;

	want = calloc(p->ngroups + 1, sizeof(*want));
	if (want == NULL)
		goto cleanup;
	for (i = 0; i < p->ngroups; i++)
		if ((want[i] = dn_key(p->groups[i])) == NULL)
			goto cleanup;

	/* groups it is in: leave the projected ones it should not be in */
	for (e = ldap_first_entry(u->ld, groups); e != NULL; e = ldap_next_entry(u->ld, e)) {
		gdn = ldap_get_dn(u->ld, e);
		gkey = gdn ? dn_key(gdn) : NULL;
		if (gkey == NULL)
			goto cleanup;
		for (found = 0, i = 0; i < p->ngroups && !found; i++)
			if (want[i] != NULL && strcmp(want[i], gkey) == 0) {
				free(want[i]); /* already a member */
				want[i] = NULL;
				found = 1;
			}
		owner = ldap_get_values_len(u->ld, e, "owner");
		for (owned = 0, k = 0; owner && owner[k] && !owned; k++) {
			okey = dn_key(owner[k]->bv_val);
			owned = okey && strcmp(okey, conf->owner_key) == 0;
			free(okey);
		}
		ldap_value_free_len(owner);
		if (!found && owned) {
			if ((gc = gchange_get(u, gkey, gdn)) == NULL ||
			    strvec_add(&gc->dels, member))
				goto cleanup;
		}
		free(gkey);
		ldap_memfree(gdn);
		gkey = NULL;
		gdn = NULL;
	}
	for (i = 0; i < p->ngroups; i++)
		if (want[i] != NULL && ((gc = gchange_get(u, want[i], p->groups[i])) == NULL ||
		                        strvec_add(&gc->adds, member) != 0))
			goto cleanup;
	log_debug("update: %s: %s, %zu group%s, %zu attribute value%s", member,
	          r->dn == NULL ? "gone"
	          : r->active   ? "active"
	                        : "deactivated",
	          p->ngroups, p->ngroups == 1 ? "" : "s", p->nattrs, p->nattrs == 1 ? "" : "s");

	if (r->dn == NULL) {
		ustate_del(u->us, key);
		u->ngone++;
		rc = 0;
		goto cleanup;
	}
	if (changeset_add_attrs(&hash, &u->cs, r->dn, 1, p, conf, r->cur) != 0)
		goto cleanup;
	if (ustate_set(u->us, key, r->active, hash + r->mhash) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	for (i = 0; want != NULL && i < p->ngroups; i++)
		free(want[i]);
	free(want);
	free(gkey);
	ldap_memfree(gdn);
	free(pg);
	return rc;
}

/* ---- a chunk of users ----------------------------------------------------------------- */

static int update_chunk(struct update *u, char *const *keys, size_t n)
{
	char *uattrs[4 + 16] = {"umStatus", "umRight", "umManage", NULL};
	char *gattrs[] = {"owner", NULL};
	struct ldapconn_req *reqs = NULL, *dreqs = NULL;
	struct uread *reads = NULL;
	struct strtab dels;
	struct projection p;
	size_t i, nd = 0, capd = 0;
	int rc = LDAP_NO_MEMORY;

	strtab_init(&dels);
	memset(&p, 0, sizeof(p));
	for (i = 0; i < u->conf->nattrs && i < 16; i++)
		uattrs[3 + i] = (char *)u->conf->attrs[i];
	uattrs[3 + i] = NULL;
	reqs = calloc(2 * n, sizeof(*reqs));
	reads = calloc(n, sizeof(*reads));
	if (reqs == NULL || reads == NULL)
		goto cleanup;
	for (i = 0; i < n; i++) {
		reqs[2 * i].base = strdup(keys[i]);
		reqs[2 * i].scope = LDAP_SCOPE_SUBTREE;
		reqs[2 * i].filter = user_filter();
		reqs[2 * i].attrs = uattrs;
		reqs[2 * i + 1].base = strdup(u->conf->groups_dn);
		reqs[2 * i + 1].scope = LDAP_SCOPE_ONELEVEL;
		reqs[2 * i + 1].filter = dn_filter("member", keys[i]);
		reqs[2 * i + 1].attrs = gattrs;
		if (!reqs[2 * i].base || !reqs[2 * i].filter || !reqs[2 * i + 1].base ||
		    !reqs[2 * i + 1].filter)
			goto cleanup;
	}
	rc = ldapconn_search_many(u->ld, u->conf, reqs, 2 * n);
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	for (i = 0; i < n; i++) {
		rc = reqs[2 * i].rc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : reqs[2 * i].rc;
		if (rc == LDAP_SUCCESS)
			rc = reqs[2 * i + 1].rc;
		if (rc != LDAP_SUCCESS) {
			log_warnx("update: reading %s: %s", keys[i], ldap_err2string(rc));
			goto cleanup;
		}
		rc = LDAP_NO_MEMORY;
		if (reqs[2 * i].rc == LDAP_SUCCESS &&
		    uread_parse(&reads[i], u, reqs[2 * i].res, keys[i]) != 0)
			goto cleanup;
		if (reads[i].dn != NULL &&
		    uread_delegations(&reads[i], u, &dels, &dreqs, &nd, &capd) != 0)
			goto cleanup;
	}
	if (nd > 0 && (rc = ldapconn_search_many(u->ld, u->conf, dreqs, nd)) != LDAP_SUCCESS)
		goto cleanup;
	for (i = 0; i < n; i++) {
		rc = uread_attach(&reads[i], u, &dels, dreqs);
		if (rc != LDAP_SUCCESS)
			goto cleanup;
		rc = LDAP_NO_MEMORY;
		if (user_diff(u, keys[i], &reads[i], reqs[2 * i + 1].res, &p) != 0)
			goto cleanup;
	}
	u->nusers += n;
	rc = LDAP_SUCCESS;
cleanup:
	for (i = 0; reads != NULL && i < n; i++)
		uread_clear(&reads[i]);
	free(reads);
	if (reqs != NULL)
		ldapconn_req_clear(reqs, 2 * n);
	free(reqs);
	if (dreqs != NULL)
		ldapconn_req_clear(dreqs, nd);
	free(dreqs);
	strtab_free(&dels);
	projection_free(&p);
	return rc;
}

static void update_free(struct update *u)
{
	size_t i;

	for (i = 0; i < u->gkeys.n; i++) {
		free(u->g[i].adds.v);
		free(u->g[i].dels.v);
	}
	free(u->g);
	strtab_free(&u->gkeys);
	strtab_free(&u->text);
	changeset_trash(&u->cs);
}

int update_run(LDAP *ld, const struct config *conf, struct ustate *us, struct dirty *d)
{
	struct update u;
	char **keys = NULL;
	size_t i, n, nkeys = 0;
	uint64_t hash;
	int active, rc;

	memset(&u, 0, sizeof(u));
	u.ld = ld;
	u.conf = conf;
	u.us = us;
	changeset_init(&u.cs);
	strtab_init(&u.gkeys);
	strtab_init(&u.text);

	rc = expand_delegations(&u, d);
	if (rc == LDAP_SUCCESS && (keys = calloc(d->users.n + 1, sizeof(*keys))) == NULL)
		rc = LDAP_NO_MEMORY;
	for (i = 0; rc == LDAP_SUCCESS && i < d->users.n; i++) {
		if (log_getverbose() > 1) {
			int known = ustate_get(us, d->users.strs[i], &active, &hash);
			log_debug("update: %s: flags %d hash %llx; known %d active %d hash %llx",
			          d->users.strs[i], d->flags[i], (unsigned long long)d->hash[i],
			          known, known ? active : -1,
			          known ? (unsigned long long)hash : 0ULL);
		}
		if (!(d->flags[i] & DIRTY_FORCE) &&
		    ustate_get(us, d->users.strs[i], &active, &hash) &&
		    active == !!(d->flags[i] & DIRTY_ACTIVE) &&
		    hash == (d->hash[i] & ~(uint64_t)1)) { /* ustate keeps 63 bits */
			u.nechoes++;
			continue;
		}
		keys[nkeys++] = d->users.strs[i];
	}
	for (i = 0; rc == LDAP_SUCCESS && i < nkeys; i += n) {
		n = nkeys - i < CHUNK ? nkeys - i : CHUNK;
		rc = update_chunk(&u, keys + i, n);
	}
	if (rc != LDAP_SUCCESS) {
		log_warnx("update: %s: nothing written, %zu users kept for the next try",
		          ldap_err2string(rc), nkeys);
		goto cleanup;
	}
	/* adds before removals (apply.c orders them): one change per group */
	for (i = 0; i < u.gkeys.n && rc == LDAP_SUCCESS; i++) {
		if (u.g[i].adds.n && changeset_add(&u.cs, CH_MEMBER_ADD, u.g[i].dn, NULL,
		                                   u.g[i].adds.v, u.g[i].adds.n, 0) != 0)
			rc = LDAP_NO_MEMORY;
		if (u.g[i].dels.n && changeset_add(&u.cs, CH_MEMBER_DEL, u.g[i].dn, NULL,
		                                   u.g[i].dels.v, u.g[i].dels.n, 0) != 0)
			rc = LDAP_NO_MEMORY;
	}
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	log_debug("update: %zu users (%zu gone, %zu echoes skipped), %zu changes", u.nusers,
	          u.ngone, u.nechoes, u.cs.n);
	if (u.cs.n > 0) {
		log_info("update: %zu user%s recomputed, %zu change%s", u.nusers,
		         u.nusers == 1 ? "" : "s", u.cs.n, u.cs.n == 1 ? "" : "s");
		rc = changeset_apply(&u.cs, ld, conf);
		if (rc != LDAP_SUCCESS)
			goto cleanup;
	}
cleanup:
	free(keys);
	update_free(&u);
	return rc;
}
