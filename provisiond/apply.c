/*
 * The change set: built whole by a run (reconcile.c, update.c, catalog.c),
 * then applied or trashed, like ypldap's main_start_update /
 * main_end_update / main_trash_update. Nothing is written while a read is
 * still outstanding, so a run that could not read everything writes
 * nothing.
 *
 * Applying is idempotent, so that a run cut short (kill -9, a lost
 * connection) is finished by the next one: member values go with the
 * Permissive Modify control (adding a value that is there, or deleting one
 * that is not, succeeds), and the answers that mean "someone got there
 * first" turn into the change that still makes sense.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "provisiond.h"

/* Values per modify. Without `sortvals member` in slapd.conf, slapd (and
 * the delegate overlay before it) checks each added value against every
 * value of the group: cost grows with group size times values, whatever the
 * slicing; slices keep each answer within write-timeout. */
#define VALUES_PER_OP 1000
/* A new group gets as many members as one add can carry: an add sorts its
 * values once instead (slap_mods_check()), and stays under slapd's
 * sockbuf_max_incoming_auth (4 MiB). */
#define ADD_MAX_VALUES 50000
#define ADD_MAX_BYTES  (2 * 1024 * 1024)
#define MAX_INFLIGHT   16
#define PHASES         4

/* Adds before removals, removals before group deletes: a group whose
 * last member leaves while another joins is never deleted under the
 * newcomer. */
static int change_phase(enum change_kind k)
{
	switch (k) {
	case CH_GROUP_ADD:
	case CH_MEMBER_ADD:
	case CH_OWNER_ADD:
		return 0;
	case CH_MEMBER_DEL:
		return 1;
	case CH_GROUP_DEL:
		return 2;
	default:
		return 3;
	}
}

static const char *change_name(enum change_kind k)
{
	static const char *const names[] = {"add group",    "add members",  "remove members",
	                                    "delete group", "adopt group",  "replace attribute",
	                                    "add entry",    "modify entry", "delete entry"};

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void changeset_init(struct changeset *cs)
{
	memset(cs, 0, sizeof(*cs));
	strtab_init(&cs->strings);
}

static void mods_free(LDAPMod **mods)
{
	size_t i, j;

	if (mods == NULL)
		return;
	for (i = 0; mods[i] != NULL; i++) {
		free(mods[i]->mod_type);
		for (j = 0; mods[i]->mod_values && mods[i]->mod_values[j]; j++)
			free(mods[i]->mod_values[j]);
		free(mods[i]->mod_values);
		free(mods[i]);
	}
	free(mods);
}

void changeset_trash(struct changeset *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->n; i++) {
		free(cs->v[i].values);
		mods_free(cs->v[i].mods);
	}
	free(cs->v);
	strtab_free(&cs->strings);
	memset(cs, 0, sizeof(*cs));
	strtab_init(&cs->strings);
}

static struct change *changeset_next(struct changeset *cs)
{
	struct change *v;

	if (cs->n == cs->cap) {
		v = realloc(cs->v, (cs->cap ? cs->cap * 2 : 64) * sizeof(*v));
		if (v == NULL)
			return NULL;
		cs->v = v;
		cs->cap = cs->cap ? cs->cap * 2 : 64;
	}
	memset(&cs->v[cs->n], 0, sizeof(cs->v[cs->n]));
	return &cs->v[cs->n];
}

static const char *keep(struct changeset *cs, const char *s, int copy)
{
	if (s == NULL || !copy)
		return s;
	return strtab_store(&cs->strings, s, strlen(s));
}

/* a string the set holds once however many changes name it */
static const char *keep_interned(struct changeset *cs, const char *s)
{
	uint32_t id;

	if (strtab_intern(&id, &cs->strings, s, strlen(s)) < 0)
		return NULL;
	return cs->strings.strs[id];
}

int changeset_add(struct changeset *cs, enum change_kind kind, const char *dn, const char *attr,
                  const char *const *values, size_t n, int copy)
{
	struct change *c = changeset_next(cs);
	size_t i;

	if (c == NULL)
		return -1;
	c->kind = kind;
	c->dn = keep(cs, dn, copy);
	c->attr = keep(cs, attr, copy);
	c->values = calloc(n + 1, sizeof(*c->values));
	if (c->dn == NULL || c->values == NULL || (attr != NULL && c->attr == NULL)) {
		free(c->values);
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((c->values[i] = keep(cs, values[i], copy)) == NULL) {
			free(c->values);
			return -1;
		}
	c->nvalues = n;
	cs->n++;
	return 0;
}

int changeset_add_mods(struct changeset *cs, enum change_kind kind, const char *dn, LDAPMod **mods)
{
	struct change *c = changeset_next(cs);

	if (c == NULL || (c->dn = keep(cs, dn, 1)) == NULL) {
		mods_free(mods);
		return -1;
	}
	c->kind = kind;
	c->mods = mods;
	cs->n++;
	return 0;
}

/* ---- LDAPMod arrays -------------------------------------------------------------- */

int mods_append(LDAPMod ***mods, int op, const char *type, const char *const *values, size_t n)
{
	LDAPMod **v = *mods, *m = NULL;
	size_t count = 0, i;

	while (v != NULL && v[count] != NULL)
		count++;
	v = realloc(v, (count + 2) * sizeof(*v));
	if (v == NULL)
		return -1;
	*mods = v;
	v[count] = NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -1;
	m->mod_op = op;
	m->mod_type = strdup(type);
	m->mod_values = calloc(n + 1, sizeof(*m->mod_values));
	if (m->mod_type == NULL || m->mod_values == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if ((m->mod_values[i] = strdup(values[i])) == NULL)
			goto fail;
	v[count] = m;
	v[count + 1] = NULL;
	return 0;
fail:
	for (i = 0; m->mod_values && m->mod_values[i]; i++)
		free(m->mod_values[i]);
	free(m->mod_values);
	free(m->mod_type);
	free(m);
	return -1;
}

void mods_release(LDAPMod **mods)
{
	mods_free(mods);
}

/* ---- applying ---------------------------------------------------------------------- */

/* One LDAP operation: a slice of a change's values, in the kind it has
 * become. */
struct op {
	size_t change;
	size_t off, count;
	enum change_kind kind;
	int msgid;
};

struct applier {
	struct changeset *cs;
	LDAP *ld;
	const struct config *conf;
	struct op *queue;
	size_t head, tail, cap;
	struct op inflight[MAX_INFLIGHT];
	size_t ninflight;
	size_t done[CH_ENTRY_DEL + 1];
	LDAPControl *permissive;
};

static int queue_push(struct applier *a, size_t change, size_t off, size_t count,
                      enum change_kind kind)
{
	struct op *q;

	if (a->tail == a->cap) {
		if (a->head > 0) {
			memmove(a->queue, a->queue + a->head, (a->tail - a->head) * sizeof(*q));
			a->tail -= a->head;
			a->head = 0;
		} else {
			q = realloc(a->queue, (a->cap ? a->cap * 2 : 256) * sizeof(*q));
			if (q == NULL)
				return -1;
			a->queue = q;
			a->cap = a->cap ? a->cap * 2 : 256;
		}
	}
	a->queue[a->tail].change = change;
	a->queue[a->tail].off = off;
	a->queue[a->tail].count = count;
	a->queue[a->tail].kind = kind;
	a->queue[a->tail].msgid = -1;
	a->tail++;
	return 0;
}

/* The values of a slice as the NULL-terminated array LDAPMod wants. */
static char **slice_values(const struct change *c, const struct op *o)
{
	char **v = calloc(o->count + 1, sizeof(*v));
	size_t i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < o->count; i++)
		v[i] = (char *)c->values[o->off + i];
	return v;
}

static int op_send(struct applier *a, struct op *o)
{
	const struct change *c = &a->cs->v[o->change];
	char *oc[] = {"groupOfNames", NULL}, *owner[] = {a->conf->bind_dn, NULL};
	char *rdn_type = NULL, *rdn_value = NULL, *rv[2] = {NULL, NULL};
	char **vals = NULL;
	LDAPMod m[5], *mods[6];
	LDAPControl *ctrls[2] = {a->permissive, NULL};
	size_t nm = 0, i;
	int rc;

	memset(m, 0, sizeof(m));
	switch (o->kind) {
	case CH_GROUP_ADD:
		/* groupOfNames MUST cn and member (RFC 4519); the naming
		 * attribute's value must be in the entry */
		if (dn_first_rdn(&rdn_type, &rdn_value, c->dn) != 0) {
			rc = LDAP_INVALID_DN_SYNTAX;
			goto cleanup;
		}
		vals = slice_values(c, o);
		if (vals == NULL) {
			rc = LDAP_NO_MEMORY;
			goto cleanup;
		}
		rv[0] = rdn_value;
		m[nm++] = (LDAPMod){LDAP_MOD_ADD, "objectClass", {oc}};
		m[nm++] = (LDAPMod){LDAP_MOD_ADD, rdn_type, {rv}};
		if (strcasecmp(rdn_type, "cn") != 0)
			m[nm++] = (LDAPMod){LDAP_MOD_ADD, "cn", {rv}};
		m[nm++] = (LDAPMod){LDAP_MOD_ADD, "member", {vals}};
		m[nm++] = (LDAPMod){LDAP_MOD_ADD, "owner", {owner}};
		break;
	case CH_MEMBER_ADD:
	case CH_MEMBER_DEL:
		vals = slice_values(c, o);
		if (vals == NULL) {
			rc = LDAP_NO_MEMORY;
			goto cleanup;
		}
		m[nm++] = (LDAPMod){o->kind == CH_MEMBER_ADD ? LDAP_MOD_ADD : LDAP_MOD_DELETE,
		                    "member",
		                    {vals}};
		break;
	case CH_OWNER_ADD:
		m[nm++] = (LDAPMod){LDAP_MOD_ADD, "owner", {owner}};
		break;
	case CH_ATTR_REPLACE:
		vals = slice_values(c, o);
		if (vals == NULL) {
			rc = LDAP_NO_MEMORY;
			goto cleanup;
		}
		m[nm++] = (LDAPMod){LDAP_MOD_REPLACE, (char *)c->attr, {vals}};
		break;
	default:
		break;
	}
	for (i = 0; i < nm; i++)
		mods[i] = &m[i];
	mods[nm] = NULL;

	switch (o->kind) {
	case CH_GROUP_ADD:
		rc = ldap_add_ext(a->ld, c->dn, mods, NULL, NULL, &o->msgid);
		break;
	case CH_ENTRY_ADD:
		rc = ldap_add_ext(a->ld, c->dn, c->mods, NULL, NULL, &o->msgid);
		break;
	case CH_ENTRY_MODIFY:
		rc = ldap_modify_ext(a->ld, c->dn, c->mods, NULL, NULL, &o->msgid);
		break;
	case CH_GROUP_DEL:
	case CH_ENTRY_DEL:
		rc = ldap_delete_ext(a->ld, c->dn, NULL, NULL, &o->msgid);
		break;
	default:
		rc = ldap_modify_ext(a->ld, c->dn, mods, ctrls, NULL, &o->msgid);
		break;
	}
cleanup:
	free(vals);
	free(rdn_type);
	free(rdn_value);
	return rc;
}

/* How many values of a new group go in its add. */
static size_t add_slice(const struct change *c)
{
	size_t n, bytes = 0;

	for (n = 0; n < c->nvalues && n < ADD_MAX_VALUES; n++) {
		bytes += strlen(c->values[n]) + 8;
		if (bytes > ADD_MAX_BYTES)
			break;
	}
	return n ? n : 1;
}

/* The members of a new group beyond its first slice, once it exists. */
static int push_rest(struct applier *a, const struct op *o)
{
	const struct change *c = &a->cs->v[o->change];
	size_t off;

	if (c->kind != CH_GROUP_ADD || o->off != 0)
		return 0;
	for (off = o->count; off < c->nvalues; off += VALUES_PER_OP)
		if (queue_push(a, o->change, off,
		               c->nvalues - off < VALUES_PER_OP ? c->nvalues - off : VALUES_PER_OP,
		               CH_MEMBER_ADD) != 0)
			return LDAP_NO_MEMORY;
	return 0;
}

/* What an answer means for the run: 0 done (possibly by another change
 * queued here), -1 refused (logged, the run goes on), or a lost
 * connection. */
static int op_answer(struct applier *a, const struct op *o, int err, const char *diag)
{
	const struct change *c = &a->cs->v[o->change];

	if (err == LDAP_SUCCESS) {
		a->done[o->kind]++;
		log_debug("%s %s%s%s (%zu value%s)", change_name(o->kind), c->dn,
		          c->attr ? " " : "", c->attr ? c->attr : "", o->count,
		          o->count == 1 ? "" : "s");
		return o->kind == CH_GROUP_ADD ? push_rest(a, o) : 0;
	}
	if (ldapconn_lost(err))
		return err;
	switch (o->kind) {
	case CH_MEMBER_ADD:
		if (err == LDAP_NO_SUCH_OBJECT) /* its first members */
			return queue_push(a, o->change, o->off, o->count, CH_GROUP_ADD) != 0
			               ? LDAP_NO_MEMORY
			               : 0;
		break;
	case CH_GROUP_ADD:
		if (err == LDAP_ALREADY_EXISTS)
			return queue_push(a, o->change, o->off, o->count, CH_MEMBER_ADD) != 0
			               ? LDAP_NO_MEMORY
			               : push_rest(a, o);
		break;
	case CH_MEMBER_DEL:
		if (err == LDAP_OBJECT_CLASS_VIOLATION) /* its last members */
			return queue_push(a, o->change, 0, 0, CH_GROUP_DEL) != 0 ? LDAP_NO_MEMORY
			                                                         : 0;
		if (err == LDAP_NO_SUCH_OBJECT)
			return 0;
		/* slapd 2.5's modify_delete_vindex() keeps the "not found"
		 * of a missing value even with Permissive Modify, and drops
		 * the whole modify: halve the slice until the values that
		 * are gone (slapo-memberof's refint got there first) stand
		 * alone, and skip those */
		if (err == LDAP_NO_SUCH_ATTRIBUTE) {
			if (o->count <= 1)
				return 0;
			if (queue_push(a, o->change, o->off, o->count / 2, CH_MEMBER_DEL) != 0 ||
			    queue_push(a, o->change, o->off + o->count / 2, o->count - o->count / 2,
			               CH_MEMBER_DEL) != 0)
				return LDAP_NO_MEMORY;
			return 0;
		}
		break;
	case CH_GROUP_DEL:
	case CH_ENTRY_DEL:
	case CH_ATTR_REPLACE:
	case CH_OWNER_ADD:
		if (err == LDAP_NO_SUCH_OBJECT) /* gone meanwhile: nothing left to do */
			return 0;
		break;
	default:
		break;
	}
	a->cs->failed++;
	log_warnx("%s %s%s%s: %s%s%s", change_name(o->kind), c->dn, c->attr ? " " : "",
	          c->attr ? c->attr : "", ldap_err2string(err), diag && *diag ? ": " : "",
	          diag ? diag : "");
	return 0;
}

static int applier_wait(struct applier *a)
{
	struct timeval tv = {a->conf->write_timeout, 0};
	LDAPMessage *msg = NULL;
	char *diag = NULL;
	size_t i;
	int type, err = LDAP_OTHER, rc;

	type = ldap_result(a->ld, LDAP_RES_ANY, LDAP_MSG_ALL, &tv, &msg);
	if (type <= 0)
		return type == 0 ? LDAP_TIMEOUT : ldapconn_errno(a->ld);
	for (i = 0; i < a->ninflight && a->inflight[i].msgid != ldap_msgid(msg); i++)
		;
	if (i == a->ninflight) { /* not ours: an abandoned search's leftover */
		ldap_msgfree(msg);
		return LDAP_SUCCESS;
	}
	rc = ldap_parse_result(a->ld, msg, &err, NULL, &diag, NULL, NULL, 1);
	if (rc != LDAP_SUCCESS)
		err = rc;
	rc = op_answer(a, &a->inflight[i], err, diag);
	ldap_memfree(diag);
	a->inflight[i] = a->inflight[--a->ninflight];
	return rc;
}

static int applier_phase(struct applier *a, int phase)
{
	const struct change *c;
	size_t i, off, n, count = 0;
	int rc;

	a->head = a->tail = 0;
	for (i = 0; i < a->cs->n; i++) {
		c = &a->cs->v[i];
		if (change_phase(c->kind) != phase)
			continue;
		n = c->nvalues;
		if (c->kind == CH_GROUP_ADD) /* the rest follows its success */
			n = add_slice(c);
		if (c->kind != CH_MEMBER_ADD && c->kind != CH_MEMBER_DEL) {
			if (queue_push(a, i, 0, n, c->kind) != 0)
				return LDAP_NO_MEMORY;
			continue;
		}
		for (off = 0; off < n; off += VALUES_PER_OP)
			if (queue_push(a, i, off, n - off < VALUES_PER_OP ? n - off : VALUES_PER_OP,
			               c->kind) != 0)
				return LDAP_NO_MEMORY;
	}
	while (a->head < a->tail || a->ninflight > 0) {
		while (a->head < a->tail && a->ninflight < MAX_INFLIGHT) {
			a->inflight[a->ninflight] = a->queue[a->head++];
			rc = op_send(a, &a->inflight[a->ninflight]);
			if (rc != LDAP_SUCCESS)
				return rc;
			a->ninflight++;
		}
		rc = applier_wait(a);
		if (rc != LDAP_SUCCESS)
			return rc;
		if (++count % 256 == 0 && provisiond_tick() != 0)
			return LDAP_USER_CANCELLED;
	}
	return LDAP_SUCCESS;
}

int changeset_apply(struct changeset *cs, LDAP *ld, const struct config *conf)
{
	struct applier a;
	struct timespec t0, t1;
	size_t i;
	int phase, rc = LDAP_SUCCESS;

	memset(&a, 0, sizeof(a));
	a.cs = cs;
	a.ld = ld;
	a.conf = conf;
	if (cs->n == 0)
		return LDAP_SUCCESS;
	rc = ldap_control_create(LDAP_CONTROL_X_PERMISSIVE_MODIFY, 0, NULL, 0, &a.permissive);
	if (rc != LDAP_SUCCESS)
		return rc;
	for (phase = 0; phase < PHASES && rc == LDAP_SUCCESS; phase++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		rc = applier_phase(&a, phase);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (a.tail > 0) /* where a long apply spends its time */
			log_debug("apply: phase %d, %zu operations in %ld ms", phase, a.tail,
			          (long)(t1.tv_sec - t0.tv_sec) * 1000 +
			                  (t1.tv_nsec - t0.tv_nsec) / 1000000);
	}
	/* a cut-short run leaves answers on the wire: do not let them be
	 * taken for the next run's */
	for (i = 0; i < a.ninflight; i++)
		ldap_abandon_ext(ld, a.inflight[i].msgid, NULL, NULL);
	if (rc == LDAP_SUCCESS)
		log_info("applied: %zu group%s added, %zu member additions, %zu member "
		         "removals, %zu group%s deleted, %zu attribute%s, %zu catalogue "
		         "entr%s; %zu refused",
		         a.done[CH_GROUP_ADD], a.done[CH_GROUP_ADD] == 1 ? "" : "s",
		         a.done[CH_MEMBER_ADD], a.done[CH_MEMBER_DEL], a.done[CH_GROUP_DEL],
		         a.done[CH_GROUP_DEL] == 1 ? "" : "s", a.done[CH_ATTR_REPLACE],
		         a.done[CH_ATTR_REPLACE] == 1 ? "" : "s",
		         a.done[CH_ENTRY_ADD] + a.done[CH_ENTRY_MODIFY] + a.done[CH_ENTRY_DEL],
		         a.done[CH_ENTRY_ADD] + a.done[CH_ENTRY_MODIFY] + a.done[CH_ENTRY_DEL] == 1
		                 ? "y"
		                 : "ies",
		         cs->failed);
	ldap_control_free(a.permissive);
	free(a.queue);
	return rc;
}

int changeset_add_attrs(uint64_t *hash, struct changeset *cs, const char *dn, int copy_dn,
                        const struct projection *p, const struct config *conf, uint64_t cur)
{
	const char **names = NULL, **values = NULL, *attr;
	size_t i, k, nv;
	int rc = -1;

	names = calloc(p->nattrs + 1, sizeof(*names));
	values = calloc(p->nattrs + 1, sizeof(*values));
	if (names == NULL || values == NULL)
		goto cleanup;
	for (i = 0; i < p->nattrs; i++) {
		names[i] = p->attrs[i].name;
		values[i] = p->attrs[i].value;
	}
	*hash = project_attr_hash(names, values, p->nattrs);
	if (*hash != cur) {
		/* a first projection of 1M users is 950k of these: the values
		 * and names (application ids) are held once, the DN not at all
		 * when it outlives the set (the full reconcile's users) */
		if (copy_dn && (dn = keep(cs, dn, 1)) == NULL)
			goto cleanup;
		for (k = 0; k < conf->nattrs; k++) {
			for (nv = 0, i = 0; i < p->nattrs; i++)
				if (strcasecmp(p->attrs[i].name, conf->attrs[k]) == 0 &&
				    (values[nv++] = keep_interned(cs, p->attrs[i].value)) == NULL)
					goto cleanup;
			if ((attr = keep_interned(cs, conf->attrs[k])) == NULL ||
			    changeset_add(cs, CH_ATTR_REPLACE, dn, attr, values, nv, 0) != 0)
				goto cleanup;
		}
	}
	rc = 0;
cleanup:
	free(names);
	free(values);
	return rc;
}

/* ---- LDIF (--dry-run) ---------------------------------------------------------------- */

/* RFC 2849 SAFE-STRING: otherwise the value goes base64 ("attr:: ..."). */
static int ldif_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (*p == ' ' || *p == ':' || *p == '<')
		return 0;
	for (; *p; p++)
		if (*p == '\n' || *p == '\r' || *p >= 0x80 || *p == 0)
			return 0;
	return p == (const unsigned char *)s || p[-1] != ' ';
}

static void ldif_line(FILE *f, const char *attr, const char *value)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)value;
	size_t n = strlen(value), i;
	unsigned v;

	if (ldif_safe(value)) {
		fprintf(f, "%s: %s\n", attr, value);
		return;
	}
	fprintf(f, "%s:: ", attr);
	for (i = 0; i < n; i += 3) {
		v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
		    (i + 2 < n ? p[i + 2] : 0);
		fputc(b64[v >> 18 & 63], f);
		fputc(b64[v >> 12 & 63], f);
		fputc(i + 1 < n ? b64[v >> 6 & 63] : '=', f);
		fputc(i + 2 < n ? b64[v & 63] : '=', f);
	}
	fputc('\n', f);
}

void changeset_print_ldif(const struct changeset *cs, FILE *f)
{
	static const char *const ops[] = {"add", "delete", "replace"};
	const struct change *c;
	LDAPMod *m;
	size_t i, j, k;

	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		if (c->kind != CH_ENTRY_ADD && c->kind != CH_ENTRY_MODIFY)
			continue;
		ldif_line(f, "dn", c->dn);
		fprintf(f, "changetype: %s\n", c->kind == CH_ENTRY_ADD ? "add" : "modify");
		for (j = 0; c->mods && (m = c->mods[j]) != NULL; j++) {
			if (c->kind == CH_ENTRY_MODIFY)
				fprintf(f, "%s: %s\n", ops[m->mod_op & 3], m->mod_type);
			for (k = 0; m->mod_values && m->mod_values[k]; k++)
				ldif_line(f, m->mod_type, m->mod_values[k]);
			if (c->kind == CH_ENTRY_MODIFY)
				fprintf(f, "-\n");
		}
		fprintf(f, "\n");
	}
}
