/*
 * {name} markers in texts: refusal messages (messages.c), the reset link
 * of §3.3 (overlay), projection templates of rights.yaml (provisiond). One
 * expansion for all three; each says how its values are escaped.
 */
#include <string.h>

#include "rights.h"

static void put(char *out, size_t size, size_t *o, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, (*o)++)
		if (*o + 1 < size)
			out[*o] = s[i];
}

size_t text_expand(int *unknown, char *out, size_t size, const char *tmpl, const rights_var *vars,
                   size_t nvars, rights_escape_fn escape)
{
	const char *t = tmpl, *close;
	size_t o = 0, i, n;

	if (unknown)
		*unknown = 0;
	while (t && *t) {
		if (*t == '{' && (close = strchr(t + 1, '}')) != NULL) {
			n = (size_t)(close - t - 1);
			for (i = 0; i < nvars; i++)
				if (strlen(vars[i].name) == n && !memcmp(vars[i].name, t + 1, n))
					break;
			if (i < nvars) {
				if (escape)
					o += escape(o < size ? out + o : NULL,
					            o < size ? size - o : 0, vars[i].value);
				else
					put(out, size, &o, vars[i].value.ptr, vars[i].value.len);
				t = close + 1;
				continue;
			}
			if (unknown)
				*unknown = 1;
		} else if (*t == '{' && unknown) {
			*unknown = 1; /* unterminated */
		}
		put(out, size, &o, t, 1);
		t++;
	}
	if (size)
		out[o < size ? o : size - 1] = '\0';
	return o;
}

size_t url_escape(char *out, size_t size, rights_str value)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	/* RFC 3986 §2.3 unreserved characters pass, every other byte is %XX */
	for (i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.ptr[i];
		char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    (c && strchr("-._~", c)))
			put(out, size, &o, (const char *)&c, 1);
		else
			put(out, size, &o, enc, 3);
	}
	if (size)
		out[o < size ? o : size - 1] = '\0';
	return o;
}
