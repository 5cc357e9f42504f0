/*
 * Sealed recovery mails (issue 11, finding 6): what the overlay seals only
 * provisiond's key opens, for the address it was sealed for, unaltered.
 */
#include <stdio.h>

#include "seal.h"
#include "unit.h"

typedef struct seal_row {
	const char *name;
	const char *msg;
	const char *aad_sealed, *aad_opened;
	int other_key; /* opened with another key */
	int flip;      /* a byte of the sealed text changed (index from the end) */
	int ok;
} seal_row;

static const seal_row seal_rows[] = {
        {"§3.3: the reset mail opens with provisiond's key",
         "Hello,\n\nhttps://portal.example/password-reset?uid=A&token=abc\n", "a@example.com",
         "a@example.com", 0, 0, 1},
        {"an empty body", "", "a@example.com", "a@example.com", 0, 0, 1},
        {"UTF-8 text", "réinitialisation — Zurücksetzen", "é@example.com", "é@example.com", 0, 0,
         1},
        {"another key does not open it", "secret", "a@example.com", "a@example.com", 1, 0, 0},
        {"bound to its address: moved to another one it does not open", "secret", "a@example.com",
         "b@example.com", 0, 0, 0},
        {"a changed byte of the tag", "secret", "a@example.com", "a@example.com", 0, 3, 0},
        {"a changed byte of the ephemeral key", "secret", "a@example.com", "a@example.com", 0, -1,
         0},
};

static EVP_PKEY *keys[2];

static void test_seal(void **state)
{
	const seal_row *row = *state;
	char *sealed = NULL, *opened = NULL;
	size_t len = 0, slen;
	int rc;

	assert_int_equal(seal_box(&sealed, keys[0], row->aad_sealed, strlen(row->aad_sealed),
	                          row->msg, strlen(row->msg)),
	                 0);
	assert_true(seal_is_sealed(sealed));
	if (*row->msg)
		assert_null(strstr(sealed, row->msg));
	slen = strlen(sealed);
	if (row->flip > 0)
		sealed[slen - row->flip] = sealed[slen - row->flip] == 'A' ? 'B' : 'A';
	else if (row->flip < 0)
		sealed[sizeof(SEAL_PREFIX)] = sealed[sizeof(SEAL_PREFIX)] == 'A' ? 'B' : 'A';
	rc = seal_open(&opened, &len, keys[row->other_key], row->aad_opened,
	               strlen(row->aad_opened), sealed);
	if (row->ok) {
		assert_int_equal(rc, 0);
		assert_string_equal(opened, row->msg);
		assert_int_equal(len, strlen(row->msg));
	} else {
		assert_int_equal(rc, -1);
		assert_null(opened);
	}
	free(opened);
	free(sealed);
}

static void test_not_sealed(void **state)
{
	char *opened = NULL;

	(void)state;
	assert_false(seal_is_sealed("Hello, token=abc"));
	assert_int_equal(seal_open(&opened, NULL, keys[0], "", 0, "Hello, token=abc"), -1);
	assert_int_equal(seal_open(&opened, NULL, keys[0], "", 0, SEAL_PREFIX "AAAA"), -1);
	assert_int_equal(seal_open(&opened, NULL, keys[0], "", 0, SEAL_PREFIX "not base64!"), -1);
	assert_null(opened);
}

int main(void)
{
	const struct CMUnitTest more[] = {cmocka_unit_test(test_not_sealed)};
	int failed;

	keys[0] = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	keys[1] = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	failed = UNIT_RUN_TABLE("seal", seal_rows, test_seal);
	failed += cmocka_run_group_tests_name("seal_input", more, NULL, NULL);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
	return failed;
}
