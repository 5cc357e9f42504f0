/*
 * Subset algebra (DESIGN rule 3): an admin gives or takes only what it
 * holds, "autant ou moins de droits que vous" (§2.3); a router admin holds
 * its grant plus the customer's delegation (§2.3.1 sous-traitants).
 */
#include "unit.h"

#define MAXV 6

typedef struct subset_row {
	const char *name;
	const char *held[3][MAXV]; /* up to three sets, NULL-terminated */
	size_t nsets;
	const char *changed[MAXV];
	long missing;
} subset_row;

static const subset_row subset_rows[] = {
        {"§2.3 an admin gives a subset of its rights",
         {{"product:letter", "product:prior", "role:creation"}},
         1,
         {"product:prior", "role:creation"},
         -1},
        {"§2.3 an admin gives all its rights (Copier tous les droits)",
         {{"product:letter", "role:creation"}},
         1,
         {"role:creation", "product:letter"},
         -1},
        {"§2.2.4 a right the admin lacks is greyed out",
         {{"product:letter"}},
         1,
         {"product:letter", "product:prior"},
         1},
        {"the first value not held is named",
         {{"product:letter"}},
         1,
         {"role:creation", "product:prior"},
         0},
        {"§2.3.1 a router admin holds grant plus delegation",
         {{"product:letter"}, {"role:creation", "billing:BA-1001"}},
         2,
         {"billing:BA-1001", "product:letter"},
         -1},
        {"§2.3.1 beyond the delegation",
         {{"product:letter"}, {"role:creation"}},
         2,
         {"role:validation-price"},
         0},
        {"umRight is caseExact", {{"product:letter"}}, 1, {"product:Letter"}, 0},
        {"a prefix is not the value", {{"product:letter"}}, 1, {"product:lett"}, 0},
        {"a longer value is not the value", {{"product:lett"}}, 1, {"product:letter"}, 0},
        {"changing nothing needs nothing", {{"product:letter"}}, 1, {NULL}, -1},
        {"holding nothing gives nothing", {{NULL}}, 0, {"product:letter"}, 0},
        {"an empty set among others", {{NULL}, {"ftp"}}, 2, {"ftp"}, -1},
        {"§2.2.4 umManage values", {{"users", "ftp"}}, 1, {"ftp", "admins"}, 1},
};

static size_t count(const char *const *v)
{
	size_t n = 0;

	while (n < MAXV && v[n] != NULL)
		n++;
	return n;
}

static void test_subset(void **state)
{
	const subset_row *row = *state;
	rights_str held[3][MAXV] = {{{NULL, 0}}}, changed[MAXV] = {{NULL, 0}};
	const rights_str *sets[3];
	size_t counts[3], s, i, nchanged = count(row->changed);

	for (s = 0; s < 3; s++) {
		counts[s] = count(row->held[s]);
		for (i = 0; i < counts[s]; i++)
			held[s][i] = unit_str(row->held[s][i]);
		sets[s] = held[s];
	}
	for (i = 0; i < nchanged; i++)
		changed[i] = unit_str(row->changed[i]);
	assert_int_equal(subset_first_missing(sets, counts, row->nsets, changed, nchanged),
	                 row->missing);
	/* subset_contains agrees with it value by value */
	for (i = 0; i < nchanged; i++) {
		int held_any = 0;

		for (s = 0; s < row->nsets; s++)
			held_any |= subset_contains(sets[s], counts[s], changed[i]);
		assert_int_equal(held_any, row->missing < 0 || (long)i < row->missing);
		if ((long)i == row->missing)
			break;
	}
}

typedef struct contains_row {
	const char *name;
	const char *set[MAXV];
	const char *v;
	size_t vlen; /* 0: strlen */
	int in;
} contains_row;

static const contains_row contains_rows[] = {
        {"a member", {"a", "b"}, "b", 0, 1},
        {"not a member", {"a", "b"}, "c", 0, 0},
        {"the empty set", {NULL}, "a", 0, 0},
        {"compared by length, not NUL", {"ab"}, "abc", 2, 1},
        {"case matters", {"Admins"}, "admins", 0, 0},
};

static void test_contains(void **state)
{
	const contains_row *row = *state;
	rights_str set[MAXV] = {{NULL, 0}}, v = {row->v, row->vlen ? row->vlen : strlen(row->v)};
	size_t i, n = count(row->set);

	for (i = 0; i < n; i++)
		set[i] = unit_str(row->set[i]);
	assert_int_equal(subset_contains(set, n, v), row->in);
}

static void test_null_sets(void **state)
{
	rights_str v = unit_str("a");

	(void)state;
	assert_int_equal(subset_contains(NULL, 0, v), 0);
	assert_int_equal(subset_first_missing(NULL, NULL, 0, &v, 1), 0);
	assert_int_equal(subset_first_missing(NULL, NULL, 0, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest single[] = {cmocka_unit_test(test_null_sets)};
	int failed = 0;

	failed += UNIT_RUN_TABLE("subset_first_missing", subset_rows, test_subset);
	failed += UNIT_RUN_TABLE("subset_contains", contains_rows, test_contains);
	failed += cmocka_run_group_tests_name("subset edges", single, NULL, NULL);
	return failed;
}
