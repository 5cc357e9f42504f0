/*
 * What a user is, and what its own fields may hold (manual §2.2.3,
 * §2.2.4, §3.1). The overlay, provisiond and umctl ask these; none of
 * them decides "active" or "administrator" on its own.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rights.h"

static int str_is(rights_str s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && strncasecmp(s.ptr, lit, n) == 0;
}

int user_is_active(const rights_str *status, size_t n)
{
	return n == 1 && str_is(status[0], "active");
}

int user_is_admin(const rights_str *manage, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (str_is(manage[i], "users") || str_is(manage[i], "admins"))
			return 1;
	return 0;
}

/* Good enough to deliver to (§2.2.3 "Adresse e-mail"): local@domain.tld,
 * no spaces, controls or characters that need quoting. */
static int mail_valid(rights_str m)
{
	const char *at = m.len ? memchr(m.ptr, '@', m.len) : NULL;
	size_t i, dom;

	if (!at || at == m.ptr || memchr(at + 1, '@', m.len - (size_t)(at + 1 - m.ptr)))
		return 0;
	dom = (size_t)(at + 1 - m.ptr);
	if (dom >= m.len || !memchr(at + 1, '.', m.len - dom) || m.ptr[dom] == '.' ||
	    m.ptr[m.len - 1] == '.')
		return 0;
	for (i = 0; i < m.len; i++) {
		unsigned char c = (unsigned char)m.ptr[i];
		if (c <= ' ' || c == 0x7f || strchr("()<>,;:\\\"[]", c))
			return 0;
	}
	return 1;
}

static int one_of(rights_str v, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (str_is(v, *allowed))
			return 1;
	return 0;
}

int user_field_check(rights_msg *why, rights_str attr, rights_str value)
{
	static const char *const statuses[] = {"active", "deactivated", NULL};
	static const char *const genders[] = {"male", "female", NULL};

	if (str_is(attr, "preferredLanguage")) {
		rights_lang lang;
		/* §1.2: the portal's four languages (lang_parse(), the one list),
		 * stored as the bare code: "fr-BE" is read as fr, never stored */
		if (value.len == 2 && lang_parse(&lang, value.ptr, value.len) == RIGHTS_OK)
			return RIGHTS_OK;
		*why = MSG_BAD_LANGUAGE;
		return RIGHTS_EINVAL;
	}
	if (str_is(attr, "mail")) {
		if (mail_valid(value))
			return RIGHTS_OK;
		*why = MSG_BAD_MAIL;
		return RIGHTS_EINVAL;
	}
	if ((str_is(attr, "umStatus") && !one_of(value, statuses)) ||
	    (str_is(attr, "umGender") && !one_of(value, genders))) {
		*why = MSG_BAD_FIELD;
		return RIGHTS_EINVAL;
	}
	return RIGHTS_OK;
}

size_t dn_value_escape(char *out, size_t size, rights_str value)
{
	size_t i, o = 0;

	for (i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.ptr[i];
		char tmp[4];
		size_t tl = 0, k;

		if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\%02x", c);
			tl = 3;
		} else {
			if (strchr(",+\"\\<>;=", c) || (i == 0 && (c == '#' || c == ' ')) ||
			    (i == value.len - 1 && c == ' '))
				tmp[tl++] = '\\';
			tmp[tl++] = (char)c;
		}
		for (k = 0; k < tl; k++, o++)
			if (o + 1 < size)
				out[o] = tmp[k];
	}
	if (size)
		out[o < size ? o : size - 1] = '\0';
	return o;
}
