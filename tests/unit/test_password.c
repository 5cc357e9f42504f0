/*
 * The password policy of manual §3.2: "Votre mot de passe doit comporter au
 * minimum 7 caractères. Il faut au moins une majuscule et une minuscule.
 * [...] on établit une distinction entre majuscules et minuscules."
 */
#include "unit.h"

typedef struct password_row {
	const char *name;
	const char *password;
	size_t min_length;
	int ok;
	rights_msg why;
} password_row;

static const password_row password_rows[] = {
        {"§3.2 seven characters, upper and lower case", "Abcdefg", 7, 1, MSG_COUNT},
        {"§3.2 digits and symbols count as characters", "Ab1!2@3", 7, 1, MSG_COUNT},
        {"§3.2 six characters are too few", "Abcdef", 7, 0, MSG_PASSWORD_SHORT},
        {"§3.2 the empty password is too short", "", 7, 0, MSG_PASSWORD_SHORT},
        {"§3.2 no upper-case letter", "abcdefg1", 7, 0, MSG_PASSWORD_NO_UPPER},
        {"§3.2 no lower-case letter", "ABCDEFG1", 7, 0, MSG_PASSWORD_NO_LOWER},
        {"§3.2 digits only", "12345678", 7, 0, MSG_PASSWORD_NO_UPPER},
        {"length counts characters, not bytes: 6 accented letters", "Éléphé", 7, 0,
         MSG_PASSWORD_SHORT},
        {"an accented capital is upper case (fr)", "Été-2026", 7, 1, MSG_COUNT},
        {"ß is lower case (de)", "STRASSEß", 7, 1, MSG_COUNT},
        {"an accented small letter is lower case (nl)", "CAFÉé123", 7, 1, MSG_COUNT},
        {"malformed UTF-8 counts, but is no letter", "\xff\xfe\xfd\xfc\xfb\xfa\xf9", 7, 0,
         MSG_PASSWORD_NO_UPPER},
        {"a truncated sequence at the end", "Abcdef\xc3", 7, 1, MSG_COUNT},
        {"the minimum is configurable", "Abc", 3, 1, MSG_COUNT},
};

static void test_password(void **state)
{
	const password_row *row = *state;
	rights_msg why = MSG_COUNT;
	int rc = password_quality(&why, row->password, strlen(row->password), row->min_length);

	if (row->ok) {
		assert_int_equal(rc, RIGHTS_OK);
		assert_int_equal(why, MSG_COUNT);
	} else {
		assert_int_equal(rc, RIGHTS_EINVAL);
		assert_int_equal(why, row->why);
	}
}

int main(void)
{
	return UNIT_RUN_TABLE("password_quality", password_rows, test_password);
}
