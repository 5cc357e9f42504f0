/*
 * Shared by the unit tests: run a table of cases, one cmocka test per row,
 * each named after the manual rule it checks (STYLE.md "Tests").
 *
 * Every row struct starts with `const char *name`.
 */
#ifndef PORTAL_UM_UNIT_H
#define PORTAL_UM_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rights.h"

#define UNIT_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Each row becomes a test whose *state is the row. Returns the number of
 * failed tests. */
static inline int unit_run_rows(const char *group, const void *rows, size_t nrows, size_t rowsize,
                                CMUnitTestFunction fn)
{
	struct CMUnitTest *tests = NULL;
	const char *row = rows;
	size_t i;
	int failed;

	tests = calloc(nrows ? nrows : 1, sizeof(*tests));
	if (tests == NULL)
		return 1;
	for (i = 0; i < nrows; i++) {
		tests[i].name = *(const char *const *)(const void *)(row + i * rowsize);
		tests[i].test_func = fn;
		tests[i].initial_state = (void *)(uintptr_t)(row + i * rowsize);
	}
	failed = _cmocka_run_group_tests(group, tests, nrows, NULL, NULL);
	free(tests);
	return failed;
}

#define UNIT_RUN_TABLE(group, table, fn)                                                           \
	unit_run_rows((group), (table), UNIT_NELEM(table), sizeof((table)[0]), (fn))

/* The four management rights of §2.2.4 and an application skeleton shared
 * by the inline rights.yaml fixtures. HEAD is lines 1-7. */
#define UNIT_LABEL      "{nl: n, fr: f, de: d, en: e}"
#define UNIT_M_ADMINS   "  - {id: admins, label: " UNIT_LABEL "}\n"
#define UNIT_M_USERS    "  - {id: users, label: " UNIT_LABEL "}\n"
#define UNIT_M_RECOVERY "  - {id: password-recovery, label: " UNIT_LABEL "}\n"
#define UNIT_M_FTP      "  - {id: ftp, label: " UNIT_LABEL "}\n"
#define UNIT_HEAD                                                                                  \
	"version: 1\n"                                                                             \
	"management:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY UNIT_M_FTP "applications:\n"

static inline rights_str unit_str(const char *s)
{
	rights_str r = {s, s ? strlen(s) : 0};

	return r;
}

#endif
