/*
 * The message catalogue (DESIGN rule 9): every refusal in nl, fr, de, en,
 * with the same placeholders in each language, rendered like snprintf.
 */
#include <stdio.h>

#include "unit.h"

static const char *const known[] = {"writer", "user", "right", "app", "org", "reason"};

/* Bit i set: placeholder known[i] appears. -1: an unknown placeholder or
 * an unmatched brace. */
static int placeholders(const char *t)
{
	const char *open = NULL, *close = NULL;
	size_t i, len;
	int set = 0;

	while ((open = strchr(t, '{')) != NULL) {
		close = strchr(open, '}');
		if (close == NULL)
			return -1;
		len = (size_t)(close - open - 1);
		for (i = 0; i < UNIT_NELEM(known); i++)
			if (strlen(known[i]) == len && memcmp(known[i], open + 1, len) == 0)
				break;
		if (i == UNIT_NELEM(known))
			return -1;
		set |= 1 << i;
		t = close + 1;
	}
	return strchr(t, '}') ? -1 : set;
}

/* ---- templates ------------------------------------------------------------------ */

typedef struct template_row {
	const char *name;
	rights_msg id;
	const char *en;
	/* a mail or a fixed answer: several lines, maybe no placeholder */
	int text;
} template_row;

static const template_row template_rows[] = {
        {"rule 1: another organisation's user", MSG_OTHER_ORG,
         "you cannot change {user}: it belongs to organisation {org}, not to yours", 0},
        {"rule 2: a deactivated writer", MSG_WRITER_INACTIVE,
         "your account is deactivated, so you cannot change {user}", 0},
        {"rule 2, §2.2.4: users/admins needed", MSG_NEED_MANAGE,
         "you do not hold the management right \"{right}\", so you cannot manage {user}", 0},
        {"rule 7: own rights", MSG_SELF_RIGHTS, "you cannot change your own {right}", 0},
        {"rule 3, §2.3: a grant value not held", MSG_NOT_HELD,
         "you do not hold {app} right \"{right}\" on {org}, so you cannot give it to or take it "
         "from {user}",
         0},
        {"rule 3, §2.2.4: a management value not held", MSG_NOT_HELD_MANAGE,
         "you do not hold the management right \"{right}\", so you cannot give it to or take it "
         "from {user}",
         0},
        {"rule 4: an invalid grant value", MSG_INVALID_VALUE,
         "{app} right \"{right}\" for {user} is refused: {reason}", 0},
        {"rule 4, §2.2.3: preferredLanguage", MSG_BAD_LANGUAGE,
         "the language \"{right}\" of {user} is not one of nl, fr, de, en", 0},
        {"rule 4, §2.2.3: mail", MSG_BAD_MAIL,
         "the mail address \"{right}\" of {user} is not valid", 0},
        {"rule 4, §2.2.3: required fields", MSG_MISSING_FIELD,
         "the field {right} of {user} is required", 0},
        {"rule 4: umStatus/umGender/umManage values", MSG_BAD_FIELD,
         "the value \"{right}\" is not allowed for {user}", 0},
        {"rule 5, §3.1: no deletion", MSG_NO_DELETE,
         "users are never deleted: deactivate {user} instead (umStatus: deactivated)", 0},
        {"rule 5: a deactivated user binds", MSG_DEACTIVATED_BIND,
         "the account {user} is deactivated", 0},
        {"rule 5, §3.2: a temporary password", MSG_TEMPORARY_PASSWORD,
         "the password of {user} is temporary and must be changed first", 0},
        {"rule 6: protected subtrees", MSG_PROTECTED,
         "{user} is managed by the portal operator only", 0},
        {"rule 6: no move", MSG_NO_MOVE, "{user} cannot be moved to another place or organisation",
         0},
        {"rule 6: uid is immutable", MSG_UID_IMMUTABLE, "the username of {user} cannot be changed",
         0},
        {"rule 8, §2.3.1: delegable applications only", MSG_NOT_DELEGABLE,
         "{app} cannot be delegated to a router", 0},
        {"grant RDN cn=<app>@<org>", MSG_BAD_GRANT_NAME,
         "the grant {user} must be named cn=<application>@<organisation> and match its "
         "umApplication and umScope",
         0},
        {"anonymous writes", MSG_ANONYMOUS, "you must log in to change {user}", 0},
        {"a plain user writing someone else", MSG_NOT_ADMIN,
         "you are not an administrator, so you cannot change {user}", 0},
        {"rules 5, 7: projections and password state are the portal's", MSG_RESERVED_ATTR,
         "the attribute {right} of {user} is managed by the portal itself and cannot be "
         "changed",
         0},
        {"§3.2: at least 7 characters", MSG_PASSWORD_SHORT,
         "the password of {user} must have at least {right} characters", 0},
        {"§3.2: one upper-case letter", MSG_PASSWORD_NO_UPPER,
         "the password of {user} must contain at least one upper-case letter", 0},
        {"§3.2: one lower-case letter", MSG_PASSWORD_NO_LOWER,
         "the password of {user} must contain at least one lower-case letter", 0},
        {"§3.2: the policy needs the password in clear", MSG_PASSWORD_HASHED,
         "the password of {user} must be given in clear so that the password policy can be "
         "checked",
         0},
        {"§3.3: the same answer whoever asks", MSG_RECOVERY_ANSWER,
         "if this username or mail address belongs to a portal account, a mail "
         "is on its way to the account's address",
         1},
        {"§3.3: a token that is wrong, used or expired", MSG_TOKEN_INVALID,
         "this password reset link for {user} is not valid or has expired: ask "
         "for a new one",
         1},
        {"§3.3: reset mail, subject", MSG_MAIL_RESET_SUBJECT, "Your portal password ({user})", 1},
        {"§3.3: reset mail with a single-use link", MSG_MAIL_RESET_BODY,
         "Hello,\n\nsomeone, probably you, asked to reset the password of the "
         "portal account {user} ({org}).\nTo choose a new password, open this "
         "link before {reason} (UTC); it works once:\n\n{right}\n\nIf you did "
         "not ask for it, ignore this mail: your password does not change.\n",
         1},
        {"§3.3: contact-your-administrator mail, subject", MSG_MAIL_ADMINS_SUBJECT,
         "Your portal password ({user}): contact your administrator", 1},
        {"§3.3: without password-recovery, the administrators to contact", MSG_MAIL_ADMINS_BODY,
         "Hello,\n\nsomeone asked to reset the password of the portal account "
         "{user} ({org}).\nYour administrator has not allowed you to change it "
         "yourself: please contact one of your administrators:\n\n{right}\n\nIf "
         "you cannot reach them, contact the portal's customer service.\n",
         1},
        {"§3.3: forgotten username mail, subject", MSG_MAIL_USERNAMES_SUBJECT,
         "Your portal usernames", 1},
        {"§3.3: every username tied to one address", MSG_MAIL_USERNAMES_BODY,
         "Hello,\n\nthese portal accounts use the address "
         "{user}:\n\n{right}\n\nA separate mail tells, for each of them, how to "
         "reset its password.\n",
         1},
        {"rule 0: attribute options are refused", MSG_ATTR_OPTION,
         "{right} cannot be written on {user}: attribute options are not accepted in the "
         "portal",
         1},
        {"rule 0: classes outside the kind's shape", MSG_SHAPE_CLASS,
         "{user} cannot have the object class {right}: it is not one of the classes of this "
         "kind of portal entry",
         1},
        {"rule 0: attributes outside the kind's shape", MSG_SHAPE_ATTR,
         "{right} is not an attribute of {user}'s kind of portal entry, so it cannot be "
         "written",
         1},
        {"rule 0: Relax and Manage DSA IT only for operators", MSG_CONTROL,
         "the {right} control is reserved to the portal's operators, so you cannot use it to "
         "change {user}",
         1},
        {"rule 0: a DN of no portal shape", MSG_NO_SHAPE,
         "{user} is not a place for an entry in the portal", 1},
        {"rule 9: a duplicate username, in the writer's language", MSG_UID_TAKEN,
         "the username {right} is already taken in the portal: choose another one", 1},
        {"§3.2: pwdSafeModify without the current password", MSG_NEED_OLD_PASSWORD,
         "to change the password of {user}, give the current password as well as the new one", 1},
        {"§3.2: a wrong current password", MSG_WRONG_PASSWORD,
         "the current password you gave is not correct, so the password of {user} was not "
         "changed",
         1},
};

static void test_template(void **state)
{
	const template_row *row = *state;
	const char *t = NULL;
	int l, en_set;

	assert_string_equal(messages_template(row->id, RIGHTS_LANG_EN), row->en);
	en_set = placeholders(row->en);
	if (!row->text)
		assert_true(en_set > 0);
	for (l = 0; l < RIGHTS_LANG_COUNT; l++) {
		t = messages_template(row->id, (rights_lang)l);
		assert_non_null(t);
		assert_true(strlen(t) > 10);
		/* every language names the same who/what/why */
		if (placeholders(t) != en_set)
			print_error("%s: placeholders differ from en: %s\n",
			            lang_code((rights_lang)l), t);
		assert_int_equal(placeholders(t), en_set);
		if (!row->text)
			assert_null(strchr(t, '\n'));
		if (l != RIGHTS_LANG_EN)
			assert_string_not_equal(t, row->en);
	}
}

static void test_template_count(void **state)
{
	(void)state;
	/* one row above per message id */
	assert_int_equal(UNIT_NELEM(template_rows), MSG_COUNT);
	assert_null(messages_template(MSG_COUNT, RIGHTS_LANG_EN));
	assert_null(messages_template((rights_msg)-1, RIGHTS_LANG_EN));
	assert_string_equal(messages_template(MSG_NO_MOVE, RIGHTS_LANG_COUNT),
	                    messages_template(MSG_NO_MOVE, RIGHTS_LANG_EN));
}

/* ---- violation reasons ------------------------------------------------------------ */

typedef struct reason_row {
	const char *name;
	rights_violation_kind kind;
	const char *en;
	const char *fr;
} reason_row;

static const reason_row reason_rows[] = {
        {"no violation", RIGHTS_V_NONE, "nothing", "rien"},
        {"unknown application", RIGHTS_V_UNKNOWN_APP, "application", "application"},
        {"malformed right", RIGHTS_V_MALFORMED, "dimension:value", "dimension:valeur"},
        {"unknown dimension", RIGHTS_V_UNKNOWN_DIM, "kind of right", "type de droit"},
        {"unknown value", RIGHTS_V_UNKNOWN_VALUE, "list", "liste"},
        {"§2.3.1 no such billing address", RIGHTS_V_NO_SUCH_BILLING,
         "no such billing address in this organisation", "adresse de facturation"},
        {"§2.3.3 no such contract", RIGHTS_V_NO_SUCH_CONTRACT, "no such contract", "contrat"},
        {"§2.3.3 contract kind refused", RIGHTS_V_WRONG_KIND,
         "this contract is of a kind the application does not accept", "type"},
        {"§2.3.1 router only", RIGHTS_V_ROUTER_ONLY, "reserved to router organisations", "réservé"},
        {"a value twice", RIGHTS_V_DUPLICATE, "twice", "deux fois"},
        {"§2.3.5 profile matrix", RIGHTS_V_PROFILE, "(manual §2.3.5)", "(manuel §2.3.5)"},
        {"an empty grant", RIGHTS_V_EMPTY, "at least one", "au moins un"},
};

static void test_reason(void **state)
{
	const reason_row *row = *state;
	const char *t = NULL;
	int l;

	assert_non_null(strstr(messages_violation(row->kind, RIGHTS_LANG_EN), row->en));
	assert_non_null(strstr(messages_violation(row->kind, RIGHTS_LANG_FR), row->fr));
	for (l = 0; l < RIGHTS_LANG_COUNT; l++) {
		t = messages_violation(row->kind, (rights_lang)l);
		assert_non_null(t);
		assert_true(strlen(t) > 5);
		/* a reason is pasted into {reason}: no placeholders of its own */
		assert_int_equal(placeholders(t), 0);
	}
}

static void test_reason_count(void **state)
{
	(void)state;
	assert_int_equal(UNIT_NELEM(reason_rows), RIGHTS_V_EMPTY + 1);
	assert_null(
	        messages_violation((rights_violation_kind)(RIGHTS_V_EMPTY + 1), RIGHTS_LANG_EN));
}

/* ---- formatting -------------------------------------------------------------------- */

static const rights_msg_args arnaud = {
        "PRINTSCREENS", "ARNAUD", "validation-price", "e-MassPost", "BPOST CONTRACT TEAM", NULL};
static const rights_msg_args wrong_kind = {
        "PRINTSCREENS",    "ANTOINE",  "contract:999009",
        "Collect & Stamp", "TAXIPOST", "ce contrat est d'un type que l'application n'accepte pas"};
static const rights_msg_args no_user = {"PRINTSCREENS", NULL, NULL, NULL, NULL, NULL};
static const rights_msg_args braces = {NULL, "{org}", NULL, NULL, "ORG", NULL};
static const rights_msg_args fabrice = {NULL, "Fabrice", NULL, NULL, NULL, NULL};

typedef struct format_row {
	const char *name;
	rights_msg id;
	rights_lang lang;
	const rights_msg_args *args;
	size_t size; /* 0: a large buffer */
	const char *text;
	const char *full; /* the untruncated text when it differs from `text` */
} format_row;

static const format_row format_rows[] = {
        {"§2.3 rule 3 in English", MSG_NOT_HELD, RIGHTS_LANG_EN, &arnaud, 0,
         "you do not hold e-MassPost right \"validation-price\" on BPOST CONTRACT TEAM, so you "
         "cannot give it to or take it from ARNAUD",
         NULL},
        {"§2.3 rule 3 in French", MSG_NOT_HELD, RIGHTS_LANG_FR, &arnaud, 0,
         "vous ne disposez pas du droit e-MassPost « validation-price » sur BPOST CONTRACT TEAM, "
         "vous ne pouvez donc ni l'accorder à ARNAUD ni le lui retirer",
         NULL},
        {"§2.3 rule 3 in Dutch", MSG_NOT_HELD, RIGHTS_LANG_NL, &arnaud, 0,
         "u hebt het e-MassPost-recht \"validation-price\" op BPOST CONTRACT TEAM niet, dus u kunt "
         "het niet toekennen aan of afnemen van ARNAUD",
         NULL},
        {"§2.3 rule 3 in German", MSG_NOT_HELD, RIGHTS_LANG_DE, &arnaud, 0,
         "Sie haben das e-MassPost-Recht „validation-price“ für BPOST CONTRACT TEAM nicht, daher "
         "können Sie es ARNAUD weder geben noch entziehen",
         NULL},
        {"§2.3.3 rule 4 with a reason, in French", MSG_INVALID_VALUE, RIGHTS_LANG_FR, &wrong_kind,
         0,
         "le droit Collect & Stamp « contract:999009 » pour ANTOINE est refusé : ce contrat est "
         "d'un type que l'application n'accepte pas",
         NULL},
        {"rule 1 in English", MSG_OTHER_ORG, RIGHTS_LANG_EN, &arnaud, 0,
         "you cannot change ARNAUD: it belongs to organisation BPOST CONTRACT TEAM, not to yours",
         NULL},
        {"rule 1 in Dutch", MSG_OTHER_ORG, RIGHTS_LANG_NL, &arnaud, 0,
         "u kunt ARNAUD niet wijzigen: het hoort bij organisatie BPOST CONTRACT TEAM, niet bij de "
         "uwe",
         NULL},
        {"§3.1 rule 5: a missing argument renders ?", MSG_NO_DELETE, RIGHTS_LANG_EN, &no_user, 0,
         "users are never deleted: deactivate ? instead (umStatus: deactivated)", NULL},
        {"no arguments at all", MSG_NOT_HELD_MANAGE, RIGHTS_LANG_EN, NULL, 0,
         "you do not hold the management right \"?\", so you cannot give it to or take it from ?",
         NULL},
        {"argument text is not expanded again", MSG_OTHER_ORG, RIGHTS_LANG_EN, &braces, 0,
         "you cannot change {org}: it belongs to organisation ORG, not to yours", NULL},
        {"truncation keeps a NUL and reports the full length", MSG_ANONYMOUS, RIGHTS_LANG_EN,
         &fabrice, 10, "you must ", "you must log in to change Fabrice"},
        {"a one-byte buffer holds the NUL only", MSG_ANONYMOUS, RIGHTS_LANG_EN, &fabrice, 1, "",
         "you must log in to change Fabrice"},
        {"truncation never splits a UTF-8 character", MSG_DEACTIVATED_BIND, RIGHTS_LANG_FR,
         &fabrice, 25, "le compte Fabrice est d", "le compte Fabrice est désactivé"},
        {"truncation right after a UTF-8 character", MSG_DEACTIVATED_BIND, RIGHTS_LANG_FR, &fabrice,
         26, "le compte Fabrice est dé", "le compte Fabrice est désactivé"},
        {"an unknown language falls back to English", MSG_ANONYMOUS, RIGHTS_LANG_COUNT, &fabrice, 0,
         "you must log in to change Fabrice", NULL},
        {"an unknown message renders nothing", MSG_COUNT, RIGHTS_LANG_EN, &fabrice, 0, "", NULL},
};

static void test_format(void **state)
{
	const format_row *row = *state;
	const char *full = row->full ? row->full : row->text;
	char buf[512];
	size_t size = row->size ? row->size : sizeof(buf);

	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(messages_format(buf, size, row->id, row->lang, row->args), strlen(full));
	assert_string_equal(buf, row->text);
	if (row->size != 0)
		assert_int_equal(buf[size], 'Z'); /* nothing written past size */
}

static void test_format_no_room(void **state)
{
	char buf[4] = "abc";

	(void)state;
	/* like snprintf(NULL, 0, ...): only measures */
	assert_int_equal(messages_format(NULL, 0, MSG_ANONYMOUS, RIGHTS_LANG_EN, &fabrice),
	                 strlen("you must log in to change Fabrice"));
	assert_int_equal(messages_format(buf, 0, MSG_ANONYMOUS, RIGHTS_LANG_EN, &fabrice),
	                 strlen("you must log in to change Fabrice"));
	assert_string_equal(buf, "abc");
}

int main(void)
{
	const struct CMUnitTest single[] = {
	        cmocka_unit_test(test_template_count),
	        cmocka_unit_test(test_reason_count),
	        cmocka_unit_test(test_format_no_room),
	};
	int failed = 0;

	failed += UNIT_RUN_TABLE("messages_template", template_rows, test_template);
	failed += UNIT_RUN_TABLE("messages_violation", reason_rows, test_reason);
	failed += UNIT_RUN_TABLE("messages_format", format_rows, test_format);
	failed += cmocka_run_group_tests_name("messages edges", single, NULL, NULL);
	return failed;
}
