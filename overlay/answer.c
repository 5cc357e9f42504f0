/*
 * slapo-delegate: the personal question's answer (manual §2.2.3 "Question
 * personnelle / Réponse personnelle") is stored hashed and never readable,
 * and the reset link of the recovery mail (§3.3).
 */
#include "delegate.h"

#include <ctype.h>
#include <string.h>

/* Answers are typed by people: case and surrounding blanks don't count. */
void delegate_answer_normalize(char *buf, size_t size, struct berval *in, struct berval *out)
{
	ber_len_t start = 0, end = in->bv_len, i;
	size_t o = 0;

	while (start < end && isspace((unsigned char)in->bv_val[start]))
		start++;
	while (end > start && isspace((unsigned char)in->bv_val[end - 1]))
		end--;
	for (i = start; i < end && o + 1 < size; i++)
		buf[o++] = tolower((unsigned char)in->bv_val[i]);
	buf[o] = '\0';
	out->bv_val = buf;
	out->bv_len = o;
}

/* Replaces clear-text values by their {SSHA} hash, in place; values that
 * already carry a {scheme} are kept (an operator's migration). */
int delegate_answer_hash_values(BerVarray vals)
{
	char buf[512];
	struct berval norm, hash;
	const char *text = NULL;

	for (; vals && vals->bv_val; vals++) {
		if (vals->bv_val[0] == '{' && memchr(vals->bv_val, '}', vals->bv_len))
			continue;
		delegate_answer_normalize(buf, sizeof(buf), vals, &norm);
		BER_BVZERO(&hash);
		slap_passwd_hash(&norm, &hash, &text);
		if (BER_BVISNULL(&hash))
			return LDAP_OTHER;
		ch_free(vals->bv_val);
		*vals = hash;
	}
	return LDAP_SUCCESS;
}

void delegate_reset_link(char *out, size_t size, const char *tmpl, struct berval *uid,
                         struct berval *dn, const char *token)
{
	rights_var vars[3] = {{"uid", {uid->bv_val, uid->bv_len}},
	                      {"dn", {dn->bv_val, dn->bv_len}},
	                      {"token", {token, strlen(token)}}};

	text_expand(NULL, out, size,
	            tmpl ? tmpl : "https://portal.example/password-reset?uid={uid}&token={token}",
	            vars, 3, url_escape);
}
