/*
 * um_pwcheck.so: the ppolicy check module of portal-um (pwdCheckModule of
 * the default policy). ppolicy calls check_password() for a password a
 * user sets for itself; the rule (manual §3.2) and its sentences come from
 * librights, in the user's preferredLanguage. Administrators' passwords,
 * which ppolicy does not check, go through the same rule in the overlay.
 *
 * pwdCheckModuleArg: "min=N" (default 7, §3.2 "au minimum 7 caractères").
 */
#include "portable.h"
#include "slap.h"

#include <stdlib.h>
#include <string.h>

#include "rights.h"

#define PWCHECK_DEFAULT_MIN 7

int check_password(char *passwd, char **text, Entry *e, struct berval *arg);

static size_t pwcheck_min_length(struct berval *arg)
{
	char buf[32], *end = NULL;
	long n;

	if (!arg || arg->bv_len < 5 || arg->bv_len >= sizeof(buf) ||
	    strncmp(arg->bv_val, "min=", 4))
		return PWCHECK_DEFAULT_MIN;
	memcpy(buf, arg->bv_val + 4, arg->bv_len - 4);
	buf[arg->bv_len - 4] = '\0';
	n = strtol(buf, &end, 10);
	return (end && !*end && n > 0 && n < 1024) ? (size_t)n : PWCHECK_DEFAULT_MIN;
}

static const char *pwcheck_attr(Entry *e, const char *name, size_t *len)
{
	AttributeDescription *ad = NULL;
	const char *text = NULL;
	Attribute *a;

	if (!e || slap_str2ad(name, &ad, &text) != LDAP_SUCCESS || !(a = attr_find(e->e_attrs, ad)))
		return NULL;
	*len = a->a_vals[0].bv_len;
	return a->a_vals[0].bv_val;
}

int check_password(char *passwd, char **text, Entry *e, struct berval *arg)
{
	size_t min = pwcheck_min_length(arg), len = 0, need;
	rights_msg why = MSG_COUNT;
	rights_msg_args args;
	char user[256], right[16];
	const char *v;
	rights_lang lang = RIGHTS_LANG_EN;

	*text = NULL;
	if (password_quality(&why, passwd, strlen(passwd), min) == RIGHTS_OK)
		return LDAP_SUCCESS;
	memset(&args, 0, sizeof(args));
	if ((v = pwcheck_attr(e, "preferredLanguage", &len)))
		lang = lang_or_default(v, len);
	snprintf(user, sizeof(user), "?");
	if ((v = pwcheck_attr(e, "uid", &len)))
		snprintf(user, sizeof(user), "%.*s", (int)len, v);
	snprintf(right, sizeof(right), "%zu", min);
	args.user = user;
	args.right = right;
	/* ppolicy free()s the text */
	need = messages_format(NULL, 0, why, lang, &args) + 1;
	if ((*text = malloc(need)))
		messages_format(*text, need, why, lang, &args);
	return LDAP_CONSTRAINT_VIOLATION;
}
