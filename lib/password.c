/*
 * The password policy of manual §3.2: "au minimum 7 caractères", "au moins
 * une majuscule et une minuscule", case-sensitive. Shared by the ppolicy
 * check module (a user changing its own password) and the delegate overlay
 * (a password an administrator sets, which ppolicy does not check).
 */
#include "rights.h"

/* Decodes one UTF-8 code point; malformed bytes count as one non-letter. */
static size_t password_next(const unsigned char *s, size_t len, unsigned long *cp)
{
	size_t n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || n > len) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/* Latin letters as nl/fr/de users type them: ASCII and Latin-1 (É, ß...). */
static int password_is_upper(unsigned long cp)
{
	return (cp >= 'A' && cp <= 'Z') || (cp >= 0xc0 && cp <= 0xde && cp != 0xd7);
}

static int password_is_lower(unsigned long cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 0xdf && cp <= 0xff && cp != 0xf7);
}

int password_quality(rights_msg *why, const char *password, size_t len, size_t min_length)
{
	const unsigned char *s = (const unsigned char *)password;
	size_t chars = 0, step;
	int upper = 0, lower = 0;
	unsigned long cp;

	while (len) {
		step = password_next(s, len, &cp);
		upper |= password_is_upper(cp);
		lower |= password_is_lower(cp);
		chars++;
		s += step;
		len -= step;
	}
	if (chars < min_length)
		*why = MSG_PASSWORD_SHORT;
	else if (!upper)
		*why = MSG_PASSWORD_NO_UPPER;
	else if (!lower)
		*why = MSG_PASSWORD_NO_LOWER;
	else
		return RIGHTS_OK;
	return RIGHTS_EINVAL;
}
