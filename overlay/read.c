/*
 * slapo-delegate: who reads what under ou=organizations (DESIGN §3 "Reads
 * (tenant isolation)", manual §1.3 "Mes comptes").
 *
 * slapd.conf decides the common reads from DNs alone (operators,
 * provisiond, a user its own entry, an organisation's administrators its
 * whole organisation, e-applications what projection gives them); what
 * needs the reader's grants or its organisation's delegations is decided
 * here, as the dynamic ACL clause "by dynacl/delegate-read read":
 *
 * - a user reads its own grants (cn=<app>@<org> under its entry);
 * - the name of its organisation (o=X: o, displayName, objectClass, entry);
 * - the billing addresses and contracts of X that its grants scoped to X
 *   name (umRight billing:ID, contract:ID);
 * - a router R's users also read the name of each organisation X holding a
 *   delegation cn=<app>@R, those delegations, and the billing addresses and
 *   contracts they name.
 *
 * It only grants (read, search, compare: never disclose, see below), never
 * denies: the next clause ("by * none") does. Every
 * lookup is an entry fetch by DN (grant and delegation RDNs are
 * deterministic), never a search; what it learns about the reader is kept
 * for the rest of the operation, so a search over many entries fetches
 * each grant or delegation once.
 */
#include "delegate.h"

#include <string.h>

/* What one organisation X gives the reader. */
typedef struct delegate_read_org {
	struct delegate_read_org *next;
	struct berval org; /* X, as in the normalised DN */
	int delegates;     /* X holds a delegation to the reader's router */
	BerVarray named;   /* umRight billing:/contract: values naming X's entries */
} delegate_read_org;

/* The reader's facts, for one operation (op->o_extra, op->o_tmpmemctx). */
typedef struct delegate_read_cache {
	OpExtra oe;
	struct berval reader; /* o_ndn they are about (copied ops may run as another) */
	int router;           /* the reader's organisation is a router: -1 unknown */
	delegate_read_org *orgs;
} delegate_read_cache;

static int delegate_read_dynacl(void *priv, Operation *op, Entry *e, AttributeDescription *desc,
                                struct berval *val, int nmatch, regmatch_t *matches,
                                slap_access_t *grant, slap_access_t *deny);

static int delegate_read_bv_eq(struct berval *a, struct berval *b)
{
	return a->bv_len == b->bv_len && !memcmp(a->bv_val, b->bv_val, a->bv_len);
}

/* An organisation's name: what a plain user and a router's user see of it. */
static int delegate_read_is_name(AttributeDescription *desc)
{
	return desc == slap_schema.si_ad_entry || desc == slap_schema.si_ad_objectClass ||
	       desc->ad_type == delegate_ad.o->ad_type ||
	       desc->ad_type == delegate_ad.display_name->ad_type;
}

/* The facts kept for this operation, or NULL where they cannot be kept: an
 * operation without its own memory context, or a sync search, which lives
 * on while grants change (RFC 4533 persist phase). */
static delegate_read_cache *delegate_read_cache_get(Operation *op)
{
	delegate_read_cache *c;
	OpExtra *oex;

	LDAP_SLIST_FOREACH(oex, &op->o_extra, oe_next)
	{
		if (oex->oe_key == (void *)delegate_read_dynacl) {
			c = (delegate_read_cache *)oex;
			if (delegate_read_bv_eq(&c->reader, &op->o_ndn))
				return c;
		}
	}
	if (!op->o_tmpmemctx || op->o_sync != SLAP_CONTROL_NONE)
		return NULL;
	c = op->o_tmpcalloc(1, sizeof(*c), op->o_tmpmemctx);
	c->oe.oe_key = (void *)delegate_read_dynacl;
	ber_dupbv_x(&c->reader, &op->o_ndn, op->o_tmpmemctx);
	c->router = -1;
	LDAP_SLIST_INSERT_HEAD(&op->o_extra, &c->oe, oe_next);
	return c;
}

static int delegate_read_router(Operation *op, slap_overinst *on, delegate_read_cache *c,
                                delegate_target *reader)
{
	int router;

	if (c && c->router >= 0)
		return c->router;
	router = delegate_org_is_router(op, on, &reader->org_ndn);
	if (c)
		c->router = router;
	return router;
}

/* Appends the billing:/contract: values of the entry at ndn; 1 if it exists. */
static int delegate_read_collect(Operation *op, slap_overinst *on, struct berval *ndn,
                                 BerVarray *named)
{
	Entry *e = NULL;
	Attribute *a;
	BerVarray v;

	if (delegate_entry_get(op, on, ndn, &e) != LDAP_SUCCESS)
		return 0;
	if ((a = attr_find(e->e_attrs, delegate_ad.right))) {
		for (v = a->a_nvals; v->bv_val; v++) {
			if ((v->bv_len > 8 && !strncmp(v->bv_val, "billing:", 8)) ||
			    (v->bv_len > 9 && !strncmp(v->bv_val, "contract:", 9)))
				ber_bvarray_add_x(named, ber_dupbv_x(NULL, v, op->o_tmpmemctx),
				                  op->o_tmpmemctx);
		}
	}
	delegate_entry_release(op, on, e);
	return 1;
}

/* What organisation t->org gives the reader: its grants cn=<app>@X and, for
 * a router's user, X's delegations cn=<app>@R (one fetch per application of
 * the catalogue each). */
static void delegate_read_org_fill(delegate_read_org *o, Operation *op, slap_overinst *on,
                                   delegate_read_cache *c, delegate_target *reader,
                                   delegate_target *t)
{
	delegate_info *di = on->on_bi.bi_private;
	int own = delegate_read_bv_eq(&reader->org, &t->org);
	int router = !own && delegate_read_router(op, on, c, reader);
	size_t i, n = di->catalog ? catalog_app_count(di->catalog) : 0;
	struct berval ndn;

	for (i = 0; i < n; i++) {
		const char *app = app_id(catalog_app_at(di->catalog, i));

		if (delegate_ndn_build(&ndn, op, "cn=%s@%.*s,%s", app, (int)t->org.bv_len,
		                       t->org.bv_val, op->o_ndn.bv_val) == LDAP_SUCCESS) {
			delegate_read_collect(op, on, &ndn, &o->named);
			op->o_tmpfree(ndn.bv_val, op->o_tmpmemctx);
		}
		if (router && delegate_ndn_build(&ndn, op, "cn=%s@%.*s,ou=delegations,%s", app,
		                                 (int)reader->org.bv_len, reader->org.bv_val,
		                                 t->org_ndn.bv_val) == LDAP_SUCCESS) {
			if (delegate_read_collect(op, on, &ndn, &o->named))
				o->delegates = 1;
			op->o_tmpfree(ndn.bv_val, op->o_tmpmemctx);
		}
	}
}

/* The facts about t->org, from the cache or fetched (into *tmp when there
 * is no cache; the caller frees tmp->named). */
static delegate_read_org *delegate_read_org_get(Operation *op, slap_overinst *on,
                                                delegate_read_cache *c, delegate_target *reader,
                                                delegate_target *t, delegate_read_org *tmp)
{
	delegate_read_org *o;

	if (c) {
		for (o = c->orgs; o; o = o->next) {
			if (delegate_read_bv_eq(&o->org, &t->org))
				return o;
		}
		o = op->o_tmpcalloc(1, sizeof(*o), op->o_tmpmemctx);
		ber_dupbv_x(&o->org, &t->org, op->o_tmpmemctx);
		o->next = c->orgs;
		c->orgs = o;
	} else {
		o = tmp;
		memset(o, 0, sizeof(*o));
	}
	delegate_read_org_fill(o, op, on, c, reader, t);
	return o;
}

/* umBillingId=ID,ou=billing,o=X or umContractId=ID,ou=contracts,o=X: the
 * value "billing:ID" / "contract:ID" a grant names it by, built from the
 * entry's own (normalised) identifier. */
static int delegate_read_resource(struct berval *out, char *buf, size_t size, Entry *e,
                                  delegate_target *t)
{
	static const struct {
		const char *rdn, *parent, *dim;
	} kinds[] = {
	        {"umbillingid=", ",ou=billing,", "billing:"},
	        {"umcontractid=", ",ou=contracts,", "contract:"},
	};
	struct berval *dn = &e->e_nname;
	Attribute *a;
	size_t i, k, rl, pl;
	/* "<rdn>,ou=...," before o=X */
	size_t rel = (size_t)(t->org_ndn.bv_val - dn->bv_val);
	int len;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		rl = strlen(kinds[i].rdn);
		pl = strlen(kinds[i].parent);
		if (rel <= rl + pl || strncasecmp(dn->bv_val, kinds[i].rdn, rl) ||
		    strncasecmp(t->org_ndn.bv_val - pl, kinds[i].parent, pl))
			continue;
		/* one RDN, single-valued, directly under the container */
		for (k = 0; k < rel - pl; k++) {
			if (dn->bv_val[k] == '\\')
				k++;
			else if (dn->bv_val[k] == ',' || dn->bv_val[k] == '+')
				return 0;
		}
		a = attr_find(e->e_attrs,
		              i == 0 ? delegate_ad.billing_id : delegate_ad.contract_id);
		if (!a || a->a_numvals != 1)
			return 0;
		len = snprintf(buf, size, "%s%.*s", kinds[i].dim, (int)a->a_nvals[0].bv_len,
		               a->a_nvals[0].bv_val);
		if (len < 0 || (size_t)len >= size)
			return 0;
		out->bv_val = buf;
		out->bv_len = len;
		return 1;
	}
	return 0;
}

/* umRight and the identifiers are caseExactMatch: BA-1 is not ba-1. */
static int delegate_read_named(BerVarray named, struct berval *id)
{
	for (; named && named->bv_val; named++) {
		if (delegate_read_bv_eq(named, id))
			return 1;
	}
	return 0;
}

static int delegate_read_dynacl(void *priv, Operation *op, Entry *e, AttributeDescription *desc,
                                struct berval *val, int nmatch, regmatch_t *matches,
                                slap_access_t *grant, slap_access_t *deny)
{
	slap_overinst *on = delegate_instance;
	delegate_info *di;
	delegate_target reader, t;
	delegate_read_cache *c;
	delegate_read_org *o = NULL, tmp;
	struct berval id;
	char buf[256];
	int ok = 0;

	(void)priv;
	(void)val;
	(void)nmatch;
	(void)matches;
	(void)deny;
	if (!on || !e || !desc || BER_BVISEMPTY(&op->o_ndn))
		return 0;
	di = on->on_bi.bi_private;
	delegate_dn_parse(&reader, di, &op->o_ndn);
	if (reader.kind != DK_USER)
		return 0; /* operators, provisiond, e-applications: slapd.conf */
	delegate_dn_parse(&t, di, &e->e_nname);

	switch (t.kind) {
	case DK_GRANT:
		/* its own grants (a colleague's: its administrators, slapd.conf) */
		ok = delegate_read_bv_eq(&t.user_ndn, &op->o_ndn);
		break;
	case DK_DELEGATION:
		/* made to the reader's router organisation */
		if (!delegate_read_bv_eq(&t.scope, &reader.org))
			break;
		c = delegate_read_cache_get(op);
		ok = delegate_read_router(op, on, c, &reader);
		break;
	case RIGHTS_KIND_ORG:
	case RIGHTS_KIND_BILLING:
	case RIGHTS_KIND_CONTRACT:
		if (BER_BVISEMPTY(&t.org))
			break;
		if (delegate_read_bv_eq(&e->e_nname, &t.org_ndn)) {
			/* the organisation entry: its name only */
			if (!delegate_read_is_name(desc))
				break;
			if (delegate_read_bv_eq(&t.org, &reader.org)) {
				ok = 1;
				break;
			}
			c = delegate_read_cache_get(op);
			if (!delegate_read_router(op, on, c, &reader))
				break;
			o = delegate_read_org_get(op, on, c, &reader, &t, &tmp);
			ok = o->delegates;
		} else if (delegate_read_resource(&id, buf, sizeof(buf), e, &t)) {
			/* a billing address or contract its grants (or, for a
			 * router's user, X's delegations to it) name */
			c = delegate_read_cache_get(op);
			o = delegate_read_org_get(op, on, c, &reader, &t, &tmp);
			ok = delegate_read_named(o->named, &id);
		} else {
			break;
		}
		if (o == &tmp && tmp.named)
			ber_bvarray_free_x(tmp.named, op->o_tmpmemctx);
		break;
	default:
		break;
	}
	/* read, search and compare, not disclose: a missing entry below one of
	 * these answers without a matchedDN, as one below a hidden entry does */
	if (ok)
		*grant = ACL_PRIV_READ | ACL_PRIV_SEARCH | ACL_PRIV_COMPARE;
	return 0;
}

static slap_dynacl_t delegate_read_acl = {
        .da_name = "delegate-read",
        .da_mask = delegate_read_dynacl,
};

int delegate_read_register(void)
{
	return slap_dynacl_register(&delegate_read_acl);
}
