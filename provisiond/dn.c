/*
 * DNs: the comparison key, and the shapes of DESIGN §2 that a sync
 * notification may name (a user, a grant under it, a delegation).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "provisiond.h"

static void ascii_lower(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

static char *bv_lower(const struct berval *bv)
{
	char *s = malloc(bv->bv_len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, bv->bv_val, bv->bv_len);
	s[bv->bv_len] = '\0';
	ascii_lower(s, bv->bv_len);
	return s;
}

char *dn_key(const char *dn)
{
	char *norm = NULL, *out = NULL;

	if (dn == NULL)
		return NULL;
	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &norm, LDAP_DN_FORMAT_LDAPV3) !=
	    LDAP_SUCCESS)
		return NULL;
	/* norm belongs to libldap's allocator; the caller frees with free() */
	out = strdup(norm ? norm : "");
	ldap_memfree(norm);
	if (out != NULL)
		ascii_lower(out, strlen(out));
	return out;
}

static int bv_is(const struct berval *bv, const char *s)
{
	size_t n = strlen(s);

	return bv->bv_len == n && strncasecmp(bv->bv_val, s, n) == 0;
}

/* The key without its first RDN: in a normalized DN every ',' that is not
 * a separator is escaped. */
static const char *key_parent(const char *key)
{
	const char *p;

	for (p = key; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == ',')
			return p + 1;
	}
	return NULL;
}

/* "app@peer" (RDN of a grant or a delegation, DESIGN §2): lib's
 * grant_name_parse(), as the overlay parses it. */
static int split_at(struct dn_ref *out, const struct berval *v)
{
	rights_str name = {v->bv_val, v->bv_len}, app_s, peer_s;
	struct berval app, peer;

	if (grant_name_parse(&app_s, &peer_s, name) != RIGHTS_OK)
		return -1;
	app.bv_val = (char *)app_s.ptr;
	app.bv_len = (ber_len_t)app_s.len;
	peer.bv_val = (char *)peer_s.ptr;
	peer.bv_len = (ber_len_t)peer_s.len;
	out->app = bv_lower(&app);
	out->peer = bv_lower(&peer);
	return out->app && out->peer ? 0 : -1;
}

static size_t dn_count(LDAPDN dn)
{
	size_t n = 0;

	while (dn != NULL && dn[n] != NULL)
		n++;
	return n;
}

int dn_classify(struct dn_ref *out, const char *dn, const char *orgs_key)
{
	LDAPDN ldn = NULL, base = NULL;
	LDAPAVA *a[4];
	char *key = NULL;
	size_t n, m, klen, blen, i;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	key = dn_key(dn);
	if (key == NULL)
		goto cleanup;
	klen = strlen(key);
	blen = strlen(orgs_key);
	if (klen <= blen + 1 || key[klen - blen - 1] != ',' || strcmp(key + klen - blen, orgs_key))
		goto other;
	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS ||
	    ldap_str2dn(orgs_key, &base, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS)
		goto cleanup;
	n = dn_count(ldn);
	m = dn_count(base);
	if (n <= m || n - m > 4)
		goto other;
	for (i = 0; i < n - m; i++) {
		if (ldn[i][1] != NULL) /* multi-valued RDN: none in DESIGN §2 */
			goto other;
		a[i] = ldn[i][0];
	}

	if (n - m == 3 && bv_is(&a[0]->la_attr, "uid") && bv_is(&a[1]->la_attr, "ou") &&
	    bv_is(&a[1]->la_value, "users") && bv_is(&a[2]->la_attr, "o")) {
		out->kind = DN_USER;
		out->user_key = key;
		key = NULL;
		out->org = bv_lower(&a[2]->la_value);
	} else if (n - m == 4 && bv_is(&a[0]->la_attr, "cn") && bv_is(&a[1]->la_attr, "uid") &&
	           bv_is(&a[2]->la_attr, "ou") && bv_is(&a[2]->la_value, "users") &&
	           bv_is(&a[3]->la_attr, "o")) {
		if (split_at(out, &a[0]->la_value) != 0)
			goto other;
		out->kind = DN_GRANT;
		out->user_key = strdup(key_parent(key));
		out->org = bv_lower(&a[3]->la_value);
	} else if (n - m == 3 && bv_is(&a[0]->la_attr, "cn") && bv_is(&a[1]->la_attr, "ou") &&
	           bv_is(&a[1]->la_value, "delegations") && bv_is(&a[2]->la_attr, "o")) {
		if (split_at(out, &a[0]->la_value) != 0)
			goto other;
		out->kind = DN_DELEGATION;
		out->org = bv_lower(&a[2]->la_value);
	} else {
		goto other;
	}
	if (out->org == NULL || (out->kind != DN_DELEGATION && out->user_key == NULL))
		goto cleanup;
	rc = 0;
	goto done;

other:
	dn_ref_clear(out);
	rc = 0;
	goto done;
cleanup:
	dn_ref_clear(out);
done:
	free(key);
	ldap_dnfree(ldn);
	ldap_dnfree(base);
	return rc;
}

void dn_ref_clear(struct dn_ref *r)
{
	free(r->user_key);
	free(r->org);
	free(r->app);
	free(r->peer);
	memset(r, 0, sizeof(*r));
}

int dn_first_rdn(char **type, char **value, const char *dn)
{
	LDAPDN ldn = NULL;
	LDAPAVA *a;
	int rc = -1;

	*type = NULL;
	*value = NULL;
	if (ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS || ldn == NULL ||
	    ldn[0] == NULL)
		goto cleanup;
	a = ldn[0][0];
	*type = strndup(a->la_attr.bv_val, a->la_attr.bv_len);
	*value = strndup(a->la_value.bv_val, a->la_value.bv_len);
	if (*type == NULL || *value == NULL) {
		free(*type);
		free(*value);
		*type = *value = NULL;
		goto cleanup;
	}
	rc = 0;
cleanup:
	ldap_dnfree(ldn);
	return rc;
}

char *dn_filter(const char *attr, const char *value)
{
	struct berval in, esc = {0, NULL};
	char *out = NULL;
	size_t n;

	in.bv_val = (char *)value;
	in.bv_len = strlen(value);
	if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
		return NULL;
	n = strlen(attr) + esc.bv_len + 4;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "(%s=%s)", attr, esc.bv_val);
	ber_memfree(esc.bv_val);
	return out;
}
