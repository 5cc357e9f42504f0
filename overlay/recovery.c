/*
 * slapo-delegate: forgotten password or username (manual §3.3).
 *
 * - An extended operation (DELEGATE_OID.3.1) that anyone may call
 *   anonymously with a username or a mail address (optionally followed by
 *   "\n" and the answer to the personal question, §2.2.3). It always
 *   answers the same, so it reveals nothing about who exists. Then, in the
 *   user's language: a user holding password-recovery gets a single-use
 *   token that expires, stored only as a hash; a user without it gets the
 *   names of the administrators who manage it; an address gets every
 *   username tied to it. Mails are queued under ou=mail,ou=system for
 *   provisiond to send.
 * - The token is redeemed with the standard Password Modify operation,
 *   anonymously (ldappasswd -a TOKEN -s NEW DN): slapd refuses anonymous
 *   Password Modify before any backend sees it, so the overlay wraps its
 *   handler and takes only that case.
 * - A mail's body (the reset link and its token, the usernames of an
 *   address, the administrators) is never stored in clear: it is sealed to
 *   provisiond's public key (delegate-mail-key, lib/seal.h) before it is
 *   queued, so the queue, the accesslog (which keeps every add for 30
 *   days) and the replicas hold only what provisiond alone can open.
 *   accesslog cannot leave ou=mail out: in 2.5 it has no per-subtree
 *   exclusion (logbase only adds subtrees to log), and marking the add
 *   o_dont_replicate, which accesslog skips, would keep syncprov from
 *   replicating the queue to the other providers, whose provisiond must
 *   see it. Sealing is the answer.
 */
#include "delegate.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "seal.h"

#define RECOVERY_MAX_ID       256
#define RECOVERY_MAX_FAILURES 5
#define RECOVERY_WINDOW       3600 /* requests per user are counted over an hour */
/* Every request takes at least this long, and at least twice the usual
 * time of one that writes (token, counter, mail), whether the name exists
 * or not: the time of the answer tells nothing (issue 11, finding 6). */
#define RECOVERY_FLOOR_US   20000
#define RECOVERY_CEILING_US 1000000

static struct berval delegate_recovery_oid = BER_BVC(DELEGATE_OID ".3.1");

/* The hourly count of a user is read, checked and written under this lock,
 * so that parallel requests cannot each see room under the limit (the
 * lock of one slapd: providers of a multi-provider cluster count
 * separately). Also guards recovery_usual_us. */
static ldap_pvt_thread_mutex_t recovery_mutex;
static long recovery_usual_us; /* moving average of a request that wrote */

/* ---- small helpers ------------------------------------------------------ */

static void recovery_hex_sha256(char out[65], const char *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	int i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* 32 random bytes, base64url without padding: 43 characters. */
static int recovery_token(char out[44])
{
	unsigned char raw[32], b64[48];
	int i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	/* base64url (RFC 4648 §5) without padding: 43 characters */
	EVP_EncodeBlock(b64, raw, sizeof(raw));
	for (i = 0; i < 43; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	out[43] = '\0';
	return 0;
}

static void recovery_time(char out[LDAP_LUTIL_GENTIME_BUFSIZE], time_t t)
{
	struct berval bv;

	bv.bv_val = out;
	bv.bv_len = LDAP_LUTIL_GENTIME_BUFSIZE;
	slap_timestamp(&t, &bv);
}

static const char *recovery_value(Entry *e, AttributeDescription *ad, struct berval *out)
{
	Attribute *a = e ? attr_find(e->e_attrs, ad) : NULL;

	if (!a) {
		BER_BVZERO(out);
		return NULL;
	}
	*out = a->a_vals[0];
	return out->bv_val;
}

/* ---- internal operations, as the rootdn, through the whole stack --------- */

typedef struct recovery_ctx {
	Operation *op;
	BackendDB *be;
	delegate_info *di;
} recovery_ctx;

static void recovery_op_init(Operation *nop, recovery_ctx *rc, slap_callback *cb)
{
	*nop = *rc->op;
	nop->o_bd = rc->be;
	nop->o_dn = rc->be->be_rootdn;
	nop->o_ndn = rc->be->be_rootndn;
	nop->o_callback = cb;
	nop->o_ctrls = NULL;
	nop->o_ctrlflag[slap_cids.sc_relax] = 0;
	/* a time of its own: accesslog names each record by it (reqStart), and
	 * a second write under the extended operation's time collided with the
	 * first and went unlogged */
	slap_op_time(&nop->o_time, &nop->o_tincr);
}

static int recovery_collect(Operation *op, SlapReply *rs)
{
	BerVarray *dns = op->o_callback->sc_private;

	if (rs->sr_type == REP_SEARCH)
		ber_bvarray_add(dns, ber_dupbv(NULL, &rs->sr_entry->e_nname));
	return 0;
}

/* The DNs of the entries under base matching filter; NULL if none. */
static BerVarray recovery_search(recovery_ctx *rc, struct berval *base, const char *filter)
{
	Operation nop;
	SlapReply nrs = {REP_RESULT};
	slap_callback cb = {NULL, recovery_collect, NULL, NULL};
	BerVarray dns = NULL;

	recovery_op_init(&nop, rc, &cb);
	cb.sc_private = &dns;
	nop.o_tag = LDAP_REQ_SEARCH;
	nop.o_req_dn = *base;
	nop.o_req_ndn = *base;
	nop.ors_scope = LDAP_SCOPE_SUBTREE;
	nop.ors_deref = LDAP_DEREF_NEVER;
	nop.ors_limit = NULL;
	nop.ors_slimit = 64; /* one address, a few companies (§3.3) */
	nop.ors_tlimit = SLAP_NO_LIMIT;
	nop.ors_attrs = slap_anlist_no_attrs;
	nop.ors_attrsonly = 1;
	ber_str2bv_x(filter, 0, 1, &nop.ors_filterstr, nop.o_tmpmemctx);
	nop.ors_filter = str2filter_x(&nop, filter);
	if (nop.ors_filter) {
		nop.o_bd->be_search(&nop, &nrs);
		filter_free_x(&nop, nop.ors_filter, 1);
	}
	nop.o_tmpfree(nop.ors_filterstr.bv_val, nop.o_tmpmemctx);
	return dns;
}

static Modifications *recovery_mod(Modifications **list, AttributeDescription *ad, short op,
                                   const char *value)
{
	Modifications *m = ch_calloc(1, sizeof(*m));

	m->sml_desc = ad;
	m->sml_type = ad->ad_cname;
	m->sml_op = op;
	m->sml_flags = SLAP_MOD_INTERNAL;
	if (value) {
		m->sml_numvals = 1;
		m->sml_values = ch_calloc(2, sizeof(struct berval));
		ber_str2bv(value, 0, 1, &m->sml_values[0]);
		if (ad->ad_type->sat_equality && ad->ad_type->sat_equality->smr_normalize) {
			m->sml_nvalues = ch_calloc(2, sizeof(struct berval));
			ad->ad_type->sat_equality->smr_normalize(
			        SLAP_MR_VALUE_OF_ATTRIBUTE_SYNTAX, ad->ad_type->sat_syntax,
			        ad->ad_type->sat_equality, &m->sml_values[0], &m->sml_nvalues[0],
			        NULL);
		}
	}
	m->sml_next = *list;
	*list = m;
	return m;
}

/*
 * The write on *ep, which is released first and read again after (NULL if
 * it is gone): an entry held pins this thread's LMDB read snapshot, and the
 * internal write's own readers, syncprov first, shared it. syncprov then
 * sent the providers and replicas of a cluster the entry as it was before
 * the write under the write's CSN, one change late: the last write of a
 * series (a third recovery request, a redeemed token) never reached them.
 */
static int recovery_modify(recovery_ctx *rc, Entry **ep, Modifications *mods)
{
	Operation nop;
	SlapReply nrs = {REP_RESULT};
	slap_callback cb = {NULL, slap_null_cb, NULL, NULL};
	struct berval dn, ndn;

	ber_dupbv(&dn, &(*ep)->e_name);
	ber_dupbv(&ndn, &(*ep)->e_nname);
	be_entry_release_r(rc->op, *ep);
	*ep = NULL;
	recovery_op_init(&nop, rc, &cb);
	nop.o_tag = LDAP_REQ_MODIFY;
	nop.o_req_dn = dn;
	nop.o_req_ndn = ndn;
	nop.orm_modlist = mods;
	nop.orm_no_opattrs = 0;
	nop.orm_increment = 0;
	nop.o_bd->be_modify(&nop, &nrs);
	if (nrs.sr_err != LDAP_SUCCESS)
		Debug(LDAP_DEBUG_ANY, "%s delegate: recovery: modify %s failed: %d %s\n",
		      rc->op->o_log_prefix, dn.bv_val, nrs.sr_err, nrs.sr_text ? nrs.sr_text : "");
	if (be_entry_get_rw(rc->op, &ndn, NULL, NULL, 0, ep) != LDAP_SUCCESS)
		*ep = NULL;
	ber_memfree(dn.bv_val);
	ber_memfree(ndn.bv_val);
	return nrs.sr_err;
}

/* A mail for provisiond: ou=mail,ou=system holds it until it is sent. */
static int recovery_queue_mail(recovery_ctx *rc, struct berval *to, rights_lang lang,
                               rights_msg subject_id, rights_msg body_id,
                               const rights_msg_args *args)
{
	Operation nop;
	SlapReply nrs = {REP_RESULT};
	slap_callback cb = {NULL, slap_null_cb, NULL, NULL};
	char subject[512], body[8192], cn[80], rnd[2 * 8 + 1], *sealed = NULL;
	struct berval bv;
	Entry *e = NULL;
	unsigned char r[8];
	int i;

	if (BER_BVISEMPTY(to))
		return LDAP_SUCCESS;
	if (!rc->di->mail_key) {
		Debug(LDAP_DEBUG_ANY,
		      "%s delegate: recovery: no delegate-mail-key, so no mail is queued "
		      "(its body would be stored in clear)\n",
		      rc->op->o_log_prefix);
		return LDAP_UNAVAILABLE;
	}
	messages_format(subject, sizeof(subject), subject_id, lang, args);
	messages_format(body, sizeof(body), body_id, lang, args);
	/* the recipient's address is the sealed body's additional data: moved
	 * to another entry or address, it does not open */
	i = seal_box(&sealed, rc->di->mail_key, to->bv_val, to->bv_len, body, strlen(body));
	OPENSSL_cleanse(body, sizeof(body));
	if (i != 0) {
		Debug(LDAP_DEBUG_ANY, "%s delegate: recovery: sealing a mail failed\n",
		      rc->op->o_log_prefix);
		return LDAP_OTHER;
	}
	RAND_bytes(r, sizeof(r));
	for (i = 0; i < 8; i++)
		snprintf(rnd + 2 * i, 3, "%02x", r[i]);
	snprintf(cn, sizeof(cn), "%ld-%s", (long)slap_get_time(), rnd);

	e = entry_alloc();
	e->e_name.bv_len = strlen(cn) + 4 + rc->di->mail_ndn.bv_len;
	e->e_name.bv_val = ch_malloc(e->e_name.bv_len + 1);
	snprintf(e->e_name.bv_val, e->e_name.bv_len + 1, "cn=%s,%s", cn, rc->di->mail_ndn.bv_val);
	ber_dupbv(&e->e_nname, &e->e_name);
	ber_str2bv("umMail", 0, 0, &bv);
	attr_merge_normalize_one(e, slap_schema.si_ad_objectClass, &bv, NULL);
	ber_str2bv(cn, 0, 0, &bv);
	attr_merge_normalize_one(e, delegate_ad.cn, &bv, NULL);
	attr_merge_normalize_one(e, delegate_ad.mail, to, NULL);
	ber_str2bv(subject, 0, 0, &bv);
	attr_merge_normalize_one(e, delegate_ad.mail_subject, &bv, NULL);
	ber_str2bv(sealed, 0, 0, &bv);
	attr_merge_normalize_one(e, delegate_ad.mail_body, &bv, NULL);
	free(sealed);
	ber_str2bv((char *)lang_code(lang), 0, 0, &bv);
	attr_merge_normalize_one(e, delegate_ad.pref_lang, &bv, NULL);

	recovery_op_init(&nop, rc, &cb);
	nop.o_tag = LDAP_REQ_ADD;
	nop.o_req_dn = e->e_name;
	nop.o_req_ndn = e->e_nname;
	nop.ora_e = e;
	nop.ora_modlist = NULL;
	slap_add_opattrs(&nop, NULL, NULL, 0, 0);
	nop.o_bd->be_add(&nop, &nrs);
	if (nrs.sr_err != LDAP_SUCCESS)
		Debug(LDAP_DEBUG_ANY, "%s delegate: recovery: queueing a mail failed: %d %s\n",
		      rc->op->o_log_prefix, nrs.sr_err, nrs.sr_text ? nrs.sr_text : "");
	entry_free(e);
	return nrs.sr_err;
}

/* ---- requests (§3.3) ---------------------------------------------------- */

static long recovery_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Pads a request to the same length whatever it found (see
 * RECOVERY_FLOOR_US); wrote: this one wrote, its time feeds the average. */
static void recovery_pad(long start, int wrote)
{
	long took = recovery_now_us() - start, target;
	struct timespec ts;

	ldap_pvt_thread_mutex_lock(&recovery_mutex);
	if (wrote)
		recovery_usual_us = recovery_usual_us ? (7 * recovery_usual_us + took) / 8 : took;
	target = 2 * recovery_usual_us;
	ldap_pvt_thread_mutex_unlock(&recovery_mutex);
	if (target < RECOVERY_FLOOR_US)
		target = RECOVERY_FLOOR_US;
	if (target > RECOVERY_CEILING_US)
		target = RECOVERY_CEILING_US;
	if (took >= target)
		return;
	ts.tv_sec = (target - took) / 1000000;
	ts.tv_nsec = (target - took) % 1000000 * 1000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Rule of §3.3 per user: at most reset_limit requests an hour; returns 0
 * when this one is over the limit, else records it in *mods. Each request
 * is its own value, to the microsecond: a multi-valued attribute holds no
 * value twice, and a value stored twice (two requests in one second, as
 * the overlay once wrote them) stops syncrepl on every other node of a
 * cluster ("value provided more than once", the entry refused and the
 * session retried for ever). */
static int recovery_rate_ok(delegate_info *di, Entry *e, Modifications **mods, time_t now)
{
	Attribute *a = attr_find(e->e_attrs, delegate_ad.reset_requested);
	char cut[LDAP_LUTIL_GENTIME_BUFSIZE], whole[LDAP_LUTIL_GENTIME_BUFSIZE], stamp[48];
	MatchingRule *mr = delegate_ad.reset_requested->ad_type->sat_equality;
	struct timespec ts;
	Modifications *m;
	unsigned recent = 0, i;
	BerVarray v;
	int seen;

	recovery_time(cut, now - RECOVERY_WINDOW);
	recovery_time(whole, now);
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(stamp, sizeof(stamp), "%.14s.%06dZ", whole, (int)(ts.tv_nsec / 1000));
	m = recovery_mod(mods, delegate_ad.reset_requested, LDAP_MOD_REPLACE, stamp);
	/* generalizedTime compares as text to the second ("." sorts before
	 * "Z", so a value of the same second with a fraction sorts first) */
	for (v = a ? a->a_vals : NULL; v && v->bv_val; v++) {
		if (strcmp(v->bv_val, cut) <= 0)
			continue;
		recent++;
		for (seen = 0, i = 0; i < m->sml_numvals && !seen; i++)
			seen = bvmatch(&m->sml_values[i], v);
		if (seen)
			continue; /* counted, not stored twice */
		m->sml_values = ch_realloc(m->sml_values, (m->sml_numvals + 2) * sizeof(*v));
		ber_dupbv(&m->sml_values[m->sml_numvals++], v);
		BER_BVZERO(&m->sml_values[m->sml_numvals]);
	}
	if (m->sml_nvalues) {
		/* normalised one by one: generalizedTimeNormalize trims a
		 * fraction's trailing zeros */
		ber_bvarray_free(m->sml_nvalues);
		m->sml_nvalues = ch_calloc(m->sml_numvals + 1, sizeof(struct berval));
		for (i = 0; i < m->sml_numvals; i++)
			if (mr->smr_normalize(SLAP_MR_VALUE_OF_ATTRIBUTE_SYNTAX,
			                      delegate_ad.reset_requested->ad_type->sat_syntax, mr,
			                      &m->sml_values[i], &m->sml_nvalues[i],
			                      NULL) != LDAP_SUCCESS)
				ber_dupbv(&m->sml_nvalues[i], &m->sml_values[i]);
	}
	return recent < di->reset_limit;
}

/* The administrators who manage e (rule 2: admins for an administrator,
 * users for a user), "cn <mail>" one a line, for the §3.3 mail. */
static void recovery_admins(recovery_ctx *rc, Entry *user, delegate_target *t, char *out,
                            size_t size)
{
	BerVarray manage = NULL, dns = NULL, dn;
	struct berval users_base, v1, v2;
	char filter[128];
	size_t o = 0;
	Attribute *a;
	int admin = 0;

	out[0] = '\0';
	if ((a = attr_find(user->e_attrs, delegate_ad.manage)))
		manage = a->a_nvals;
	admin = delegate_vals_ask(rc->op, manage, user_is_admin);
	snprintf(filter, sizeof(filter), "(&(objectClass=umUser)(umStatus=active)(umManage=%s))",
	         admin ? "admins" : "users");
	/* ou=users,o=X,...: the user's parent */
	dnParent(&t->user_ndn, &users_base);
	dns = recovery_search(rc, &users_base, filter);
	for (dn = dns; dn && dn->bv_val && o + 1 < size; dn++) {
		Entry *e = NULL;

		if (dn_match(dn, &user->e_nname) ||
		    be_entry_get_rw(rc->op, dn, NULL, NULL, 0, &e) != LDAP_SUCCESS || !e)
			continue;
		recovery_value(e, delegate_ad.cn, &v1);
		recovery_value(e, delegate_ad.mail, &v2);
		o += snprintf(out + o, size - o, "  - %.*s%s%.*s%s\n", (int)v1.bv_len,
		              v1.bv_val ? v1.bv_val : "", v2.bv_val ? " <" : "", (int)v2.bv_len,
		              v2.bv_val ? v2.bv_val : "", v2.bv_val ? ">" : "");
		be_entry_release_r(rc->op, e);
	}
	if (!out[0])
		snprintf(out, size, "  -\n");
	ber_bvarray_free(dns);
}

static int recovery_answer_ok(delegate_info *di, Entry *e, struct berval *answer)
{
	struct berval stored, norm;
	const char *text = NULL;
	char buf[RECOVERY_MAX_ID + 1];
	int ok;

	if (!di->reset_answer || !recovery_value(e, delegate_ad.security_answer, &stored))
		return 1;
	if (!answer || BER_BVISEMPTY(answer))
		return 0;
	delegate_answer_normalize(buf, sizeof(buf), answer, &norm);
	ok = lutil_passwd(&stored, &norm, NULL, &text) == 0;
	return ok;
}

/* One account: a reset link if it may reset its password itself, else the
 * administrators to ask (§3.3). Deactivated accounts get nothing. The
 * hourly count comes first, before anything is queued (mail bombing), and
 * is read and written under recovery_mutex. Returns 1 when this request
 * was within the account's limit (and so counted), else 0; *wrote tells
 * that something was written. */
static int recovery_account(recovery_ctx *rc, struct berval *ndn, struct berval *answer,
                            char *names, size_t names_size, size_t *names_len, int *wrote)
{
	delegate_info *di = rc->di;
	delegate_target t;
	Entry *e = NULL;
	Modifications *mods = NULL;
	rights_msg_args args;
	struct berval uid, mail, lang_bv, status, org_name;
	char token[44], hash[65], expiry[LDAP_LUTIL_GENTIME_BUFSIZE], link[1024], admins[2048];
	char orgbuf[256], userbuf[256], when[32];
	rights_lang lang = RIGHTS_LANG_EN;
	time_t now = slap_get_time();
	Entry *org = NULL;
	int ok = 0, reset = 0;

	delegate_dn_parse(&t, di, ndn);
	if (t.kind != DK_USER)
		return 0;
	/* the token is drawn and hashed whatever happens next: the same work
	 * for every account */
	if (recovery_token(token))
		return 0;
	recovery_hex_sha256(hash, token, strlen(token));
	ldap_pvt_thread_mutex_lock(&recovery_mutex);
	if (be_entry_get_rw(rc->op, ndn, NULL, NULL, 0, &e) != LDAP_SUCCESS || !e) {
		ldap_pvt_thread_mutex_unlock(&recovery_mutex);
		return 0;
	}
	recovery_value(e, delegate_ad.uid, &uid);
	recovery_value(e, delegate_ad.mail, &mail);
	if (recovery_value(e, delegate_ad.pref_lang, &lang_bv))
		lang = lang_or_default(lang_bv.bv_val, lang_bv.bv_len);
	if (!recovery_value(e, delegate_ad.status, &status) ||
	    !user_is_active(&(rights_str){status.bv_val, status.bv_len}, 1) ||
	    BER_BVISEMPTY(&mail)) {
		ldap_pvt_thread_mutex_unlock(&recovery_mutex);
		goto done;
	}
	snprintf(userbuf, sizeof(userbuf), "%.*s", (int)uid.bv_len, uid.bv_val);
	snprintf(orgbuf, sizeof(orgbuf), "%.*s", (int)t.org.bv_len, t.org.bv_val);
	ok = recovery_rate_ok(di, e, &mods, now);
	if (ok) {
		reset = delegate_value_has(
		                attr_find(e->e_attrs, delegate_ad.manage)
		                        ? attr_find(e->e_attrs, delegate_ad.manage)->a_nvals
		                        : NULL,
		                &(struct berval)BER_BVC("password-recovery")) &&
		        recovery_answer_ok(di, e, answer);
		if (reset) {
			recovery_time(expiry, now + di->reset_ttl);
			recovery_mod(&mods, delegate_ad.reset_token_hash, LDAP_MOD_REPLACE, hash);
			recovery_mod(&mods, delegate_ad.reset_token_expiry, LDAP_MOD_REPLACE,
			             expiry);
			recovery_mod(&mods, delegate_ad.reset_failures, SLAP_MOD_SOFTDEL, NULL);
		}
		*wrote = 1;
		if (recovery_modify(rc, &e, mods) != LDAP_SUCCESS)
			ok = 0;
		/* read again: what pointed into the entry released */
		if (!e) {
			ldap_pvt_thread_mutex_unlock(&recovery_mutex);
			ok = 0;
			goto done;
		}
		recovery_value(e, delegate_ad.uid, &uid);
		recovery_value(e, delegate_ad.mail, &mail);
	}
	ldap_pvt_thread_mutex_unlock(&recovery_mutex);
	if (be_entry_get_rw(rc->op, &t.org_ndn, NULL, NULL, 0, &org) == LDAP_SUCCESS && org) {
		if (recovery_value(org, delegate_ad.display_name, &org_name))
			snprintf(orgbuf, sizeof(orgbuf), "%.*s", (int)org_name.bv_len,
			         org_name.bv_val);
		be_entry_release_r(rc->op, org);
	}
	if (names && *names_len + 1 < names_size)
		*names_len += snprintf(names + *names_len, names_size - *names_len, "  - %s (%s)\n",
		                       userbuf, orgbuf);
	if (!ok) {
		Debug(LDAP_DEBUG_STATS, "%s delegate: recovery for %s: over the rate limit\n",
		      rc->op->o_log_prefix, e->e_name.bv_val);
		goto done;
	}
	memset(&args, 0, sizeof(args));
	args.user = userbuf;
	args.org = orgbuf;
	if (reset) {
		/* 20261127072848Z -> 2026-11-27 07:28 for the mail */
		snprintf(when, sizeof(when), "%.4s-%.2s-%.2s %.2s:%.2s", expiry, expiry + 4,
		         expiry + 6, expiry + 8, expiry + 10);
		delegate_reset_link(link, sizeof(link), di->reset_url, &uid, &e->e_name, token);
		args.right = link;
		args.reason = when;
		recovery_queue_mail(rc, &mail, lang, MSG_MAIL_RESET_SUBJECT, MSG_MAIL_RESET_BODY,
		                    &args);
		OPENSSL_cleanse(link, sizeof(link));
	} else {
		recovery_admins(rc, e, &t, admins, sizeof(admins));
		args.right = admins;
		recovery_queue_mail(rc, &mail, lang, MSG_MAIL_ADMINS_SUBJECT, MSG_MAIL_ADMINS_BODY,
		                    &args);
	}
done:
	OPENSSL_cleanse(token, sizeof(token));
	if (mods)
		slap_mods_free(mods, 1);
	if (e)
		be_entry_release_r(rc->op, e);
	return ok;
}

/* A read-only replica (DESIGN §5: a single-provider shadow, updateref)
 * writes nothing of its own: its internal writes would land in its copy
 * alone, the token and the mail never reaching a provider nor provisiond,
 * under the same "a mail is on its way". A recovery request and a redeemed
 * token are referred to the providers (slapo-chain may follow it). */
static int recovery_refer(SlapReply *rs, delegate_info *di)
{
	if (di->be->be_update_refs) {
		/* a copy: the frontend frees what an extended operation refers to */
		ber_bvarray_dup_x(&rs->sr_ref, di->be->be_update_refs, NULL);
		return LDAP_REFERRAL;
	}
	rs->sr_text = "a read-only replica: ask a provider";
	return LDAP_UNWILLING_TO_PERFORM;
}

static int delegate_recovery_extop(Operation *op, SlapReply *rs)
{
	slap_overinst *on = delegate_instance;
	delegate_info *di = on ? on->on_bi.bi_private : NULL;
	recovery_ctx rc;
	struct berval id = BER_BVNULL, answer = BER_BVNULL, esc = BER_BVNULL;
	BerVarray dns = NULL, dn;
	BackendDB *saved = op->o_bd;
	char *nl, filter[RECOVERY_MAX_ID * 3 + 64], names[4096], idbuf[RECOVERY_MAX_ID + 1];
	size_t names_len = 0;
	int by_mail, counted = 0, wrote = 0;
	rights_lang answer_lang = RIGHTS_LANG_EN;
	long start = recovery_now_us();

	if (!di || !op->ore_reqdata || op->ore_reqdata->bv_len == 0 ||
	    op->ore_reqdata->bv_len > 2 * RECOVERY_MAX_ID) {
		rs->sr_text = "a username or a mail address is required";
		return LDAP_PROTOCOL_ERROR;
	}
	/* identifier [ "\n" answer [ "\n" language ] ] (slapo-delegate(5)) */
	id = *op->ore_reqdata;
	if ((nl = memchr(id.bv_val, '\n', id.bv_len))) {
		answer.bv_val = nl + 1;
		answer.bv_len = id.bv_len - (nl + 1 - id.bv_val);
		id.bv_len = nl - id.bv_val;
		if ((nl = memchr(answer.bv_val, '\n', answer.bv_len))) {
			answer_lang =
			        lang_or_default(nl + 1, answer.bv_len - (nl + 1 - answer.bv_val));
			answer.bv_len = nl - answer.bv_val;
		}
	}
	if (id.bv_len == 0 || id.bv_len > RECOVERY_MAX_ID) {
		rs->sr_text = "a username or a mail address is required";
		return LDAP_PROTOCOL_ERROR;
	}
	if (SLAP_SINGLE_SHADOW(di->be))
		return recovery_refer(rs, di);
	memcpy(idbuf, id.bv_val, id.bv_len);
	idbuf[id.bv_len] = '\0';
	id.bv_val = idbuf;
	by_mail = memchr(id.bv_val, '@', id.bv_len) != NULL;

	rc.op = op;
	rc.be = di->be;
	rc.di = di;
	op->o_bd = di->be;
	if (ldap_bv2escaped_filter_value(&id, &esc) == 0) {
		snprintf(filter, sizeof(filter), "(&(objectClass=umUser)(%s=%s))",
		         by_mail ? "mail" : "uid", esc.bv_val);
		dns = recovery_search(&rc, &di->orgs_ndn, filter);
		ber_memfree(esc.bv_val);
	}
	names[0] = '\0';
	if (!dns) {
		/* nobody: the token and hash an account would have cost */
		char token[44], hash[65];

		if (recovery_token(token) == 0)
			recovery_hex_sha256(hash, token, strlen(token));
	}
	for (dn = dns; dn && dn->bv_val; dn++)
		counted |=
		        recovery_account(&rc, dn, answer.bv_val ? &answer : NULL,
		                         by_mail ? names : NULL, sizeof(names), &names_len, &wrote);
	/* the usernames only when some account of the address was within its
	 * limit: requests over it queue nothing (mail bombing) */
	if (by_mail && names_len && counted) {
		/* §3.3 forgotten username: one person, several companies */
		rights_msg_args args;
		rights_lang lang = RIGHTS_LANG_EN;
		Entry *e = NULL;
		struct berval lang_bv;

		if (be_entry_get_rw(op, &dns[0], NULL, NULL, 0, &e) == LDAP_SUCCESS && e) {
			if (recovery_value(e, delegate_ad.pref_lang, &lang_bv))
				lang = lang_or_default(lang_bv.bv_val, lang_bv.bv_len);
			be_entry_release_r(op, e);
		}
		memset(&args, 0, sizeof(args));
		args.user = idbuf;
		args.right = names;
		recovery_queue_mail(&rc, &id, lang, MSG_MAIL_USERNAMES_SUBJECT,
		                    MSG_MAIL_USERNAMES_BODY, &args);
	}
	ber_bvarray_free(dns);
	op->o_bd = saved;
	recovery_pad(start, wrote);
	/* the same answer for everyone, known or not, in the language asked for */
	rs->sr_text = messages_template(MSG_RECOVERY_ANSWER, answer_lang);
	return LDAP_SUCCESS;
}

/* ---- redeeming a token: anonymous Password Modify ------------------------- */

static int recovery_refuse(SlapReply *rs, Operation *op, int code, rights_msg msg, rights_lang lang,
                           const char *user, const char *right)
{
	rights_msg_args args;
	char *text = op->o_tmpalloc(512, op->o_tmpmemctx);

	memset(&args, 0, sizeof(args));
	args.user = user;
	args.right = right;
	messages_format(text, 512, msg, lang, &args);
	rs->sr_text = text; /* freed with the operation's memory */
	return code;
}

static int recovery_redeem(Operation *op, SlapReply *rs, delegate_info *di, struct berval *id,
                           struct berval *token, struct berval *newpw)
{
	recovery_ctx rc;
	struct berval ndn = BER_BVNULL, dn, v, lang_bv;
	delegate_target t;
	Entry *e = NULL;
	Modifications *mods = NULL;
	char hash[65], now[LDAP_LUTIL_GENTIME_BUFSIZE], user[256], min[16], failures[16];
	rights_lang lang = RIGHTS_LANG_EN;
	rights_msg why;
	BackendDB *saved = op->o_bd;
	int code = LDAP_INVALID_CREDENTIALS, n;

	snprintf(user, sizeof(user), "%.*s", (int)id->bv_len, id->bv_val);
	op->o_bd = di->be;
	rc.op = op;
	rc.be = di->be;
	rc.di = di;
	/* the id points into the request's BER: dnNormalize wants a string */
	dn.bv_len = id->bv_len;
	dn.bv_val = user;
	if (id->bv_len >= sizeof(user) ||
	    dnNormalize(0, NULL, NULL, &dn, &ndn, op->o_tmpmemctx) != LDAP_SUCCESS)
		goto invalid;
	delegate_dn_parse(&t, di, &ndn);
	if (t.kind != DK_USER || be_entry_get_rw(op, &ndn, NULL, NULL, 0, &e) != LDAP_SUCCESS || !e)
		goto invalid;
	if (recovery_value(e, delegate_ad.uid, &v))
		snprintf(user, sizeof(user), "%.*s", (int)v.bv_len, v.bv_val);
	if (recovery_value(e, delegate_ad.pref_lang, &lang_bv))
		lang = lang_or_default(lang_bv.bv_val, lang_bv.bv_len);
	if (!recovery_value(e, delegate_ad.reset_token_hash, &v))
		goto invalid;
	recovery_hex_sha256(hash, token->bv_val, token->bv_len);
	recovery_time(now, slap_get_time());
	if (v.bv_len != 64 || CRYPTO_memcmp(hash, v.bv_val, 64) != 0) {
		/* a few wrong tries and the token is gone (brute force) */
		n = recovery_value(e, delegate_ad.reset_failures, &v) ? atoi(v.bv_val) + 1 : 1;
		if (n >= RECOVERY_MAX_FAILURES) {
			recovery_mod(&mods, delegate_ad.reset_token_hash, SLAP_MOD_SOFTDEL, NULL);
			recovery_mod(&mods, delegate_ad.reset_token_expiry, SLAP_MOD_SOFTDEL, NULL);
			recovery_mod(&mods, delegate_ad.reset_failures, SLAP_MOD_SOFTDEL, NULL);
		} else {
			snprintf(failures, sizeof(failures), "%d", n);
			recovery_mod(&mods, delegate_ad.reset_failures, LDAP_MOD_REPLACE, failures);
		}
		recovery_modify(&rc, &e, mods);
		goto invalid;
	}
	if (!recovery_value(e, delegate_ad.reset_token_expiry, &v) || strcmp(v.bv_val, now) <= 0 ||
	    !recovery_value(e, delegate_ad.status, &v) ||
	    !user_is_active(&(rights_str){v.bv_val, v.bv_len}, 1))
		goto invalid;
	if (password_quality(&why, newpw->bv_val, newpw->bv_len, di->password_min) != RIGHTS_OK) {
		snprintf(min, sizeof(min), "%u", di->password_min);
		code = recovery_refuse(rs, op, LDAP_CONSTRAINT_VIOLATION, why, lang, user, min);
		goto cleanup;
	}
	/* single use; afterwards the password is the user's own, not
	 * temporary, and failures are forgotten */
	recovery_mod(&mods, slap_schema.si_ad_userPassword, LDAP_MOD_REPLACE, NULL);
	mods->sml_numvals = 1;
	mods->sml_values = ch_calloc(2, sizeof(struct berval));
	ber_dupbv(&mods->sml_values[0], newpw);
	recovery_mod(&mods, delegate_ad.pwd_reset, LDAP_MOD_REPLACE, "FALSE");
	recovery_mod(&mods, delegate_ad.reset_token_hash, SLAP_MOD_SOFTDEL, NULL);
	recovery_mod(&mods, delegate_ad.reset_token_expiry, SLAP_MOD_SOFTDEL, NULL);
	recovery_mod(&mods, delegate_ad.reset_failures, SLAP_MOD_SOFTDEL, NULL);
	code = recovery_modify(&rc, &e, mods);
	if (code != LDAP_SUCCESS)
		rs->sr_text = "the password could not be changed";
	goto cleanup;
invalid:
	/* the same sentence whether the DN names a user or not: the name as
	 * the caller wrote it, in the portal's default language (an anonymous
	 * caller has none of its own, and the user's would tell it exists) */
	snprintf(user, sizeof(user), "%.*s", (int)id->bv_len, id->bv_val);
	code = recovery_refuse(rs, op, LDAP_INVALID_CREDENTIALS, MSG_TOKEN_INVALID, RIGHTS_LANG_EN,
	                       user, NULL);
cleanup:
	if (mods)
		slap_mods_free(mods, 1);
	if (e)
		be_entry_release_r(op, e);
	if (ndn.bv_val)
		op->o_tmpfree(ndn.bv_val, op->o_tmpmemctx);
	op->o_bd = saved;
	return code;
}

static int delegate_passwd_extop(Operation *op, SlapReply *rs)
{
	slap_overinst *on = delegate_instance;
	delegate_info *di = on ? on->on_bi.bi_private : NULL;
	struct berval id = BER_BVNULL, oldpw = BER_BVNULL, newpw = BER_BVNULL, dn, ndn = BER_BVNULL;
	const char *text = NULL;
	char buf[256];
	delegate_target t;
	int mine;

	if (!di || !op->ore_reqdata)
		return passwd_extop(op, rs);
	if (!BER_BVISEMPTY(&op->o_dn)) {
		int rc = passwd_extop(op, rs);
		rs->sr_err = rc;
		delegate_translate_passwd(op, rs); /* rule 9, in the user's language */
		return rc;
	}
	if (slap_passwd_parse(op->ore_reqdata, &id, &oldpw, &newpw, &text) != LDAP_SUCCESS ||
	    BER_BVISEMPTY(&id) || BER_BVISEMPTY(&oldpw) || BER_BVISEMPTY(&newpw))
		return passwd_extop(op, rs); /* slapd's "only authenticated users..." */
	/* Only a portal user's DN is ours (uid=U,ou=users,o=X,...), by its
	 * shape, whether it exists or not (an answer that depended on that
	 * would tell who exists); anywhere else slapd answers as it would
	 * without the overlay. */
	if (id.bv_len >= sizeof(buf))
		return passwd_extop(op, rs);
	memcpy(buf, id.bv_val, id.bv_len);
	buf[id.bv_len] = '\0';
	dn.bv_val = buf;
	dn.bv_len = id.bv_len;
	if (dnNormalize(0, NULL, NULL, &dn, &ndn, op->o_tmpmemctx) != LDAP_SUCCESS)
		return passwd_extop(op, rs);
	delegate_dn_parse(&t, di, &ndn);
	mine = t.kind == DK_USER;
	op->o_tmpfree(ndn.bv_val, op->o_tmpmemctx);
	if (!mine)
		return passwd_extop(op, rs);
	if (SLAP_SINGLE_SHADOW(di->be))
		return recovery_refer(rs, di);
	return recovery_redeem(op, rs, di, &id, &oldpw, &newpw);
}

/* ---- delegate-mail-key ----------------------------------------------------- */

void delegate_mail_key_free(delegate_info *di)
{
	EVP_PKEY_free(di->mail_key);
	di->mail_key = NULL;
	ch_free(di->mail_key_path);
	di->mail_key_path = NULL;
}

/* The key is read at configuration time, so a missing or wrong key stops
 * slapd (and slaptest) with the reason. */
int delegate_cf_mail_key(ConfigArgs *c)
{
	slap_overinst *on = (slap_overinst *)c->bi;
	delegate_info *di = on->on_bi.bi_private;
	EVP_PKEY *key = NULL;
	FILE *f = NULL;

	switch (c->op) {
	case SLAP_CONFIG_EMIT:
		if (!di->mail_key_path)
			return 1;
		c->value_string = ch_strdup(di->mail_key_path);
		return 0;
	case LDAP_MOD_DELETE:
		delegate_mail_key_free(di);
		return 0;
	}
	if ((f = fopen(c->value_string, "r"))) {
		key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!key || !EVP_PKEY_is_a(key, "X25519")) {
		snprintf(c->cr_msg, sizeof(c->cr_msg), "%s: %s is not a PEM X25519 public key",
		         c->argv[0], c->value_string);
		Debug(LDAP_DEBUG_ANY, "%s: %s\n", c->log, c->cr_msg);
		EVP_PKEY_free(key);
		ch_free(c->value_string);
		c->value_string = NULL;
		return ARG_BAD_CONF;
	}
	delegate_mail_key_free(di);
	di->mail_key = key;
	di->mail_key_path = c->value_string;
	c->value_string = NULL;
	return 0;
}

int delegate_recovery_register(void)
{
	int rc;

	ldap_pvt_thread_mutex_init(&recovery_mutex);
	rc = load_extop2(&delegate_recovery_oid, SLAP_EXOP_WRITES, delegate_recovery_extop, 0);
	if (rc)
		return rc;
	/* 1: replace slapd's own handler, which it keeps for everyone else */
	return load_extop2((struct berval *)&slap_EXOP_MODIFY_PASSWD, SLAP_EXOP_WRITES,
	                   delegate_passwd_extop, 1);
}
