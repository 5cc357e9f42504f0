/*
 * right_parse and grant_validate (DESIGN rule 4): per-value checks with a
 * resolver stub standing for the organisation's ou=billing/ou=contracts,
 * and every cell of the Parcels International matrix of manual §2.3.5.
 */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>

#include "unit.h"

#define L UNIT_LABEL

/* ---- right_parse --------------------------------------------------------------- */

typedef struct parse_row {
	const char *name;
	const char *right;
	size_t len; /* 0: strlen(right) */
	int rc;
	const char *dim;
	const char *value;
} parse_row;

static const parse_row parse_rows[] = {
        {"a static right: product:letter", "product:letter", 0, RIGHTS_OK, "product", "letter"},
        {"a billing right: billing:BA-1001", "billing:BA-1001", 0, RIGHTS_OK, "billing", "BA-1001"},
        {"§2.3.5 a contract id with slashes", "contract:BPI/2008/4023", 0, RIGHTS_OK, "contract",
         "BPI/2008/4023"},
        {"split at the first colon", "contract:a:b", 0, RIGHTS_OK, "contract", "a:b"},
        {"the length bounds the value (berval)", "role:creationXYZ", 13, RIGHTS_OK, "role",
         "creation"},
        {"UTF-8 in a value is not a control character", "product:imprimé", 0, RIGHTS_OK, "product",
         "imprimé"},
        {"inner spaces are kept", "product:a b", 0, RIGHTS_OK, "product", "a b"},
        {"an empty right", "", 0, RIGHTS_EINVAL, NULL, NULL},
        {"no colon", "letter", 0, RIGHTS_EINVAL, NULL, NULL},
        {"an empty dimension", ":letter", 0, RIGHTS_EINVAL, NULL, NULL},
        {"an empty value", "product:", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a lone colon", ":", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a space before the dimension", " product:letter", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a space after the dimension", "product :letter", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a space before the value", "product: letter", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a space after the value", "product:letter ", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a tab", "product:let\tter", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a newline", "product:letter\n", 0, RIGHTS_EINVAL, NULL, NULL},
        {"DEL", "product:\x7f", 0, RIGHTS_EINVAL, NULL, NULL},
        {"a NUL inside the length", "product:let\0ter", 15, RIGHTS_EINVAL, NULL, NULL},
};

static void test_parse(void **state)
{
	const parse_row *row = *state;
	rights_str right = {row->right, row->len ? row->len : strlen(row->right)};
	rights_str dim = {"untouched", 9}, value = {"untouched", 9};

	assert_int_equal(right_parse(&dim, &value, right), row->rc);
	if (row->rc != RIGHTS_OK) {
		assert_int_equal(dim.len, 9);
		assert_int_equal(value.len, 9);
		return;
	}
	/* the halves point into the caller's bytes */
	assert_ptr_equal(dim.ptr, row->right);
	assert_int_equal(dim.len, strlen(row->dim));
	assert_memory_equal(dim.ptr, row->dim, dim.len);
	assert_int_equal(value.len, strlen(row->value));
	assert_memory_equal(value.ptr, row->value, value.len);
	assert_int_equal(right_parse(NULL, NULL, right), RIGHTS_OK);
}

static void test_parse_null(void **state)
{
	rights_str null = {NULL, 5}, d, v;

	(void)state;
	assert_int_equal(right_parse(&d, &v, null), RIGHTS_EINVAL);
}

/* ---- the organisation: a resolver stub ------------------------------------------ */

typedef struct org_entry {
	rights_source source;
	const char *id;
	const char *kind;
} org_entry;

/* An organisation's ou=billing and ou=contracts (§2.3.1, §2.3.3, §2.3.4, §2.3.5). */
static const org_entry org_entries[] = {
        {RIGHTS_SOURCE_BILLING, "BA-1001", NULL},
        {RIGHTS_SOURCE_BILLING, "BA-1002", NULL},
        {RIGHTS_SOURCE_CONTRACT, "CS000023928000", "cs-master"},
        {RIGHTS_SOURCE_CONTRACT, "999009", "parcels-national"},
        {RIGHTS_SOURCE_CONTRACT, "BPI/2008/4023", "parcels-international"},
        {RIGHTS_SOURCE_CONTRACT, "NOKIND", NULL},
};

typedef struct org_ctx {
	int calls;
} org_ctx;

static int org_resolve(void *ctx, rights_source source, rights_str id, rights_str *kind)
{
	org_ctx *org = ctx;
	size_t i;

	org->calls++;
	if (id.len == 4 && memcmp(id.ptr, "FAIL", 4) == 0)
		return -42;
	for (i = 0; i < UNIT_NELEM(org_entries); i++) {
		if (org_entries[i].source != source || strlen(org_entries[i].id) != id.len ||
		    memcmp(org_entries[i].id, id.ptr, id.len) != 0)
			continue;
		if (org_entries[i].kind != NULL)
			*kind = unit_str(org_entries[i].kind);
		return 1;
	}
	return 0;
}

/* ---- grant_validate: per value ---------------------------------------------------- */

static const char shop_yaml[] =
        UNIT_HEAD "  - id: emasspost\n"
                  "    label: " L "\n"
                  "    delegable: true\n"
                  "    dimensions:\n"
                  "      - id: product\n"
                  "        label: " L "\n"
                  "        values:\n"
                  "          - {id: letter, label: " L "}\n"
                  "          - {id: prior, label: " L "}\n"
                  "      - id: billing\n"
                  "        label: " L "\n"
                  "        source: billing\n"
                  "      - id: role\n"
                  "        label: " L "\n"
                  "        values:\n"
                  "          - {id: creation, label: " L "}\n"
                  "          - {id: validation-price, label: " L "}\n"
                  "          - {id: senders-management, label: " L ", router-only: true}\n"
                  "  - id: collect-stamp\n"
                  "    label: " L "\n"
                  "    dimensions:\n"
                  "      - id: contract\n"
                  "        label: " L "\n"
                  "        source: contract\n"
                  "        kinds: [cs-master]\n"
                  "      - id: function\n"
                  "        label: " L "\n"
                  "        values: [{id: invoice-search, label: " L "}]\n";

#define NO_APP      "(none)"
#define FOREIGN_APP "(foreign)"

typedef struct grant_row {
	const char *name;
	const char *app;
	const char *values[6];
	int router;      /* the scoped organisation is a router */
	int no_resolver; /* ctx->resolve == NULL */
	int rc;
	rights_violation_kind kind;
	int bad; /* index of values[] named by the violation, -1: none */
} grant_row;

static const grant_row grant_rows[] = {
        {"§2.3.1 products, billing addresses and roles",
         "emasspost",
         {"product:letter", "billing:BA-1001", "role:creation"},
         0,
         0,
         RIGHTS_OK,
         RIGHTS_V_NONE,
         -1},
        {"an application outside the catalogue",
         NO_APP,
         {"product:letter"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_APP,
         -1},
        {"an application of another catalogue",
         FOREIGN_APP,
         {"product:letter"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_APP,
         -1},
        {"a grant with no value", "emasspost", {NULL}, 0, 0, RIGHTS_EINVAL, RIGHTS_V_EMPTY, -1},
        {"a value without dimension",
         "emasspost",
         {"letter"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_MALFORMED,
         0},
        {"a dimension the app does not have",
         "emasspost",
         {"product:letter", "colour:red"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_DIM,
         1},
        {"§2.3.1 a product not in the list",
         "emasspost",
         {"product:stamp"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_VALUE,
         0},
        {"static values are case-exact",
         "emasspost",
         {"product:Letter"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_VALUE,
         0},
        {"a dimension of another app",
         "collect-stamp",
         {"product:letter"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_DIM,
         0},
        {"§2.3.1 Senders Management refused to a customer's user",
         "emasspost",
         {"role:creation", "role:senders-management"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_ROUTER_ONLY,
         1},
        {"§2.3.1 Senders Management given within a router",
         "emasspost",
         {"role:senders-management"},
         1,
         0,
         RIGHTS_OK,
         RIGHTS_V_NONE,
         -1},
        {"§2.3.1 a billing address of another organisation",
         "emasspost",
         {"product:letter", "billing:BA-9999"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_NO_SUCH_BILLING,
         1},
        {"a contract id is not a billing id",
         "emasspost",
         {"billing:CS000023928000"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_NO_SUCH_BILLING,
         0},
        {"§2.3.3 a contract of another organisation",
         "collect-stamp",
         {"contract:123"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_NO_SUCH_CONTRACT,
         0},
        {"§2.3.3 Collect & Stamp takes only CS Master contracts",
         "collect-stamp",
         {"contract:999009"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_WRONG_KIND,
         0},
        {"§2.3.3 a contract without umContractKind",
         "collect-stamp",
         {"contract:NOKIND"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_WRONG_KIND,
         0},
        {"§2.3.3 a CS Master contract",
         "collect-stamp",
         {"contract:CS000023928000", "function:invoice-search"},
         0,
         0,
         RIGHTS_OK,
         RIGHTS_V_NONE,
         -1},
        {"a resolver error is passed through",
         "collect-stamp",
         {"contract:FAIL"},
         0,
         0,
         -42,
         RIGHTS_V_NONE,
         0},
        {"without a resolver dynamic values are not checked",
         "emasspost",
         {"billing:BA-9999", "product:letter"},
         0,
         1,
         RIGHTS_OK,
         RIGHTS_V_NONE,
         -1},
        {"the same value twice",
         "emasspost",
         {"product:letter", "role:creation", "product:letter"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_DUPLICATE,
         2},
        {"the earliest repeat is named",
         "emasspost",
         {"role:creation", "product:prior", "product:prior", "role:creation"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_DUPLICATE,
         2},
        {"a dynamic value twice",
         "emasspost",
         {"billing:BA-1001", "billing:BA-1001"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_DUPLICATE,
         1},
        {"duplicates compare case-exact",
         "emasspost",
         {"billing:BA-1001", "billing:ba-1001"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_NO_SUCH_BILLING,
         1},
        {"value checks come before duplicates",
         "emasspost",
         {"product:letter", "product:letter", "product:nope"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_VALUE,
         2},
        {"the first bad value is named",
         "emasspost",
         {"product:nope", "colour:red"},
         0,
         0,
         RIGHTS_EINVAL,
         RIGHTS_V_UNKNOWN_VALUE,
         0},
};

static void test_grant(void **state)
{
	const grant_row *row = *state;
	rights_catalog *cat = NULL, *foreign = NULL;
	const rights_app *app = NULL;
	rights_str values[6];
	rights_violation why;
	org_ctx org = {0};
	rights_grant_ctx ctx = {row->router, org_resolve, &org};
	size_t n = 0;
	int rc;

	assert_int_equal(catalog_load_buffer(&cat, "shop", shop_yaml, strlen(shop_yaml), NULL),
	                 RIGHTS_OK);
	assert_int_equal(catalog_load_buffer(&foreign, "shop", shop_yaml, strlen(shop_yaml), NULL),
	                 RIGHTS_OK);
	if (strcmp(row->app, FOREIGN_APP) == 0)
		app = catalog_app(foreign, unit_str("emasspost"));
	else if (strcmp(row->app, NO_APP) != 0)
		app = catalog_app(cat, unit_str(row->app));
	while (n < UNIT_NELEM(row->values) && row->values[n] != NULL) {
		values[n] = unit_str(row->values[n]);
		n++;
	}
	if (row->no_resolver)
		ctx.resolve = NULL;

	rc = grant_validate(&why, cat, app, values, n, &ctx);
	catalog_free(foreign);
	catalog_free(cat);
	assert_int_equal(rc, row->rc);
	assert_int_equal(why.kind, row->kind);
	if (row->bad >= 0) {
		/* the violation points into the caller's array, not a copy */
		assert_ptr_equal(why.value.ptr, values[row->bad].ptr);
		assert_int_equal(why.value.len, values[row->bad].len);
	}
	if (row->no_resolver)
		assert_int_equal(org.calls, 0);
	assert_null(why.profile);
}

static void test_grant_null_ctx(void **state)
{
	rights_catalog *cat = NULL;
	const rights_app *app = NULL;
	rights_str ok[] = {unit_str("billing:anything")};
	rights_str router[] = {unit_str("role:senders-management")};
	rights_violation why;

	(void)state;
	assert_int_equal(catalog_load_buffer(&cat, "shop", shop_yaml, strlen(shop_yaml), NULL),
	                 RIGHTS_OK);
	app = catalog_app(cat, unit_str("emasspost"));
	/* no context: not a router, no resolver */
	assert_int_equal(grant_validate(&why, cat, app, ok, 1, NULL), RIGHTS_OK);
	assert_int_equal(grant_validate(&why, cat, app, router, 1, NULL), RIGHTS_EINVAL);
	assert_int_equal(why.kind, RIGHTS_V_ROUTER_ONLY);
	/* a NULL catalogue skips the membership check; a NULL why is allowed */
	assert_int_equal(grant_validate(NULL, NULL, app, ok, 1, NULL), RIGHTS_OK);
	assert_int_equal(grant_validate(NULL, cat, app, router, 1, NULL), RIGHTS_EINVAL);
	catalog_free(cat);
}

/* ---- §2.3.5: the Parcels International matrix --------------------------------------- */

enum { RO, GA, P2, ETOE, NPROFILES };

static const char *const profile_ids[NPROFILES] = {"read-only", "general-access", "eshipper-pro2",
                                                   "etoe"};

typedef struct matrix_line {
	const char *dim;
	const char *value;
	const char marks[NPROFILES + 1]; /* X mandatory, O option, - NA */
} matrix_line;

/* Manual §2.3.5, transcribed cell for cell. Columns: Read only profile,
 * General Access, Access to eShipper Pro 2, Post international ETOE. */
static const matrix_line matrix[] = {
        /* CHOOSE ACCESS RIGHTS FOR YOUR USER */
        {"access", "customs", "----"},        /* Droit à l'accès à la douane */
        {"access", "eshipper-light", "X---"}, /* Droit à eShipper light */
        {"access", "eshipper-pro2", "--XO"},  /* Accès eShipper Pro 2 */
        {"access", "eshipper-pro", "----"},   /* Accès eShipper Pro */
        {"access", "etoe", "---X"},           /* ETOE handling */
        {"access", "general", "-XXX"},        /* Accès général */
        {"access", "prices", "OOOO"},         /* Droit de voir les prix */
        /* CHOOSE SERVICE DEPENDING ON YOUR ACTIVE CONTRACTS */
        {"bordereau", "10", "OO-O"}, /* Direct Mail */
        {"bordereau", "12", "OO-O"}, /* Volumail Sorted */
        {"bordereau", "13", "OO-O"}, /* Volumail Registered */
        {"bordereau", "14", "OO-O"}, /* ...other Mail services: Volumail Unsorted */
        {"bordereau", "16", "OO-O"}, /* Volumail Sorted T&T on receptacle */
        {"bordereau", "17", "OO-O"}, /* Volumail Unsorted Track and Trace */
        {"bordereau", "20", "OO-O"}, /* Practimail */
        {"bordereau", "21", "-OOO"}, /* Easy Return */
        {"bordereau", "23", "-O-O"}, /* Max Reply */
        {"bordereau", "31", "OOOO"}, /* Maxi Pack */
        {"bordereau", "33", "OOOO"}, /* Mini Pack Scan */
        {"bordereau", "35", "OOOO"}, /* ...other Parcel services: Mini Pack Sorted */
        {"bordereau", "36", "OOOO"}, /* Mini Pack Sorted T&T on receptacle */
        {"bordereau", "37", "OOOO"}, /* Mini Pack Unsorted */
        {"bordereau", "50", "-OOO"}, /* Easy Return+ */
};

/* rights.yaml for the matrix: all four profiles, or only profile `only`. */
static char *matrix_yaml(int only)
{
	char *text = NULL;
	size_t size = 0, i;
	const char *dims[] = {"access", "bordereau"};
	FILE *f = open_memstream(&text, &size);
	int p, d, sep;

	assert_non_null(f);
	fputs(UNIT_HEAD "  - id: parcels-international\n    label: " L "\n    dimensions:\n", f);
	for (d = 0; d < 2; d++) {
		fprintf(f, "      - id: %s\n        label: " L "\n        values:\n", dims[d]);
		for (i = 0; i < UNIT_NELEM(matrix); i++)
			if (strcmp(matrix[i].dim, dims[d]) == 0)
				fprintf(f, "          - {id: \"%s\", label: " L "}\n",
				        matrix[i].value);
		if (d == 0)
			fputs("      - id: contract\n        label: " L
			      "\n        source: contract\n"
			      "        kinds: [parcels-international]\n",
			      f);
	}
	fputs("    profiles:\n", f);
	for (p = 0; p < NPROFILES; p++) {
		if (only >= 0 && p != only)
			continue;
		fprintf(f, "      - id: %s\n        label: " L "\n        require:\n",
		        profile_ids[p]);
		for (d = 0; d < 2; d++) {
			fprintf(f, "          %s: {", dims[d]);
			sep = 0;
			for (i = 0; i < UNIT_NELEM(matrix); i++) {
				if (strcmp(matrix[i].dim, dims[d]) != 0 ||
				    matrix[i].marks[p] == '-')
					continue;
				fprintf(f, "%s\"%s\": %c", sep++ ? ", " : "", matrix[i].value,
				        matrix[i].marks[p]);
			}
			fputs("}\n", f);
		}
		/* §2.3.5: "toujours cocher les types de bordereau applicables" */
		fputs("        at-least-one: [bordereau]\n", f);
	}
	fclose(f);
	return text;
}

static rights_catalog *matrix_load(int only, const rights_app **app)
{
	rights_catalog *cat = NULL;
	rights_error err;
	char *text = matrix_yaml(only);
	int rc = catalog_load_buffer(&cat, "matrix", text, strlen(text), &err);

	if (rc != RIGHTS_OK)
		print_error("%s\n", err.message);
	free(text);
	assert_int_equal(rc, RIGHTS_OK);
	*app = catalog_app(cat, unit_str("parcels-international"));
	assert_non_null(*app);
	return cat;
}

/* A grant under construction: "dim:value" strings and their rights_str. */
typedef struct grant_buf {
	char text[16][40];
	rights_str values[16];
	size_t n;
} grant_buf;

static size_t grant_add(grant_buf *g, const char *dim, const char *value)
{
	snprintf(g->text[g->n], sizeof(g->text[0]), "%s:%s", dim, value);
	g->values[g->n] = unit_str(g->text[g->n]);
	return g->n++;
}

/* The X access values of profile p, except `skip` (a matrix index or -1). */
static void grant_mandatory(grant_buf *g, int p, long skip)
{
	size_t i;

	for (i = 0; i < UNIT_NELEM(matrix); i++)
		if (matrix[i].marks[p] == 'X' && (long)i != skip)
			grant_add(g, matrix[i].dim, matrix[i].value);
}

static void grant_first_bordereau(grant_buf *g, int p)
{
	size_t i;

	for (i = 0; i < UNIT_NELEM(matrix); i++) {
		if (strcmp(matrix[i].dim, "bordereau") == 0 && matrix[i].marks[p] == 'O') {
			grant_add(g, matrix[i].dim, matrix[i].value);
			return;
		}
	}
	fail();
}

static void assert_profile_refusal(const rights_violation *why, int rc, int p, const char *value,
                                   int missing)
{
	assert_int_equal(rc, RIGHTS_EINVAL);
	assert_int_equal(why->kind, RIGHTS_V_PROFILE);
	assert_non_null(why->profile);
	assert_string_equal(profile_id(why->profile), profile_ids[p]);
	assert_int_equal(why->profile_value.len, strlen(value));
	assert_memory_equal(why->profile_value.ptr, value, strlen(value));
	assert_int_equal(why->profile_value_missing, missing);
}

typedef struct cell_row {
	const char *name; /* allocated */
	int profile;
	size_t line;
} cell_row;

/* One cell: with the profile alone in the catalogue, a grant holding the
 * profile's mandatory values plus the cell's value fits iff the mark is X
 * or O; without an X value it does not fit, and the refusal names it. */
static void test_cell(void **state)
{
	const cell_row *row = *state;
	const matrix_line *ml = &matrix[row->line];
	const char mark = ml->marks[row->profile];
	const int is_access = strcmp(ml->dim, "access") == 0;
	const rights_app *app = NULL, *full_app = NULL;
	rights_catalog *cat = matrix_load(row->profile, &app);
	rights_catalog *full = matrix_load(-1, &full_app);
	grant_buf with, without;
	rights_violation why;
	size_t at;
	int rc;
	char right[40];

	memset(&with, 0, sizeof(with));
	memset(&without, 0, sizeof(without));
	snprintf(right, sizeof(right), "%s:%s", ml->dim, ml->value);
	grant_mandatory(&with, row->profile, (long)row->line);
	grant_mandatory(&without, row->profile, (long)row->line);
	if (is_access) {
		grant_first_bordereau(&with, row->profile);
		grant_first_bordereau(&without, row->profile);
	}
	at = grant_add(&with, ml->dim, ml->value);

	rc = grant_validate(&why, cat, app, with.values, with.n, NULL);
	if (mark == '-') {
		/* NA: the refusal names the caller's own value */
		assert_profile_refusal(&why, rc, row->profile, right, 0);
		assert_ptr_equal(why.profile_value.ptr, with.values[at].ptr);
		assert_ptr_equal(why.value.ptr, with.values[at].ptr);
	} else {
		assert_int_equal(rc, RIGHTS_OK);
		assert_int_equal(why.kind, RIGHTS_V_NONE);
		/* ...and the full matrix accepts what one of its profiles does */
		assert_int_equal(grant_validate(&why, full, full_app, with.values, with.n, NULL),
		                 RIGHTS_OK);
	}
	if (is_access) {
		rc = grant_validate(&why, cat, app, without.values, without.n, NULL);
		if (mark == 'X')
			assert_profile_refusal(&why, rc, row->profile, right, 1);
		else
			assert_int_equal(rc, RIGHTS_OK);
	}
	catalog_free(full);
	catalog_free(cat);
}

typedef struct alo_row {
	const char *name;
	int profile;
} alo_row;

static const alo_row alo_rows[] = {
        {"§2.3.5 read-only needs a bordereau type", RO},
        {"§2.3.5 general-access needs a bordereau type", GA},
        {"§2.3.5 eshipper-pro2 needs a bordereau type", P2},
        {"§2.3.5 etoe needs a bordereau type", ETOE},
};

static void test_at_least_one(void **state)
{
	const alo_row *row = *state;
	const rights_app *app = NULL;
	rights_catalog *cat = matrix_load(row->profile, &app);
	grant_buf g;
	rights_violation why;
	int rc;

	memset(&g, 0, sizeof(g));
	grant_mandatory(&g, row->profile, -1);
	rc = grant_validate(&why, cat, app, g.values, g.n, NULL);
	assert_profile_refusal(&why, rc, row->profile, "bordereau", 1);
	catalog_free(cat);
}

/* Whole grants against the whole matrix. */
typedef struct scenario_row {
	const char *name;
	const char *values[8];
	int rc;
	rights_violation_kind kind;
	int profile; /* closest profile for RIGHTS_V_PROFILE */
	const char *profile_value;
	int missing;
} scenario_row;

static const scenario_row scenario_rows[] = {
        {"§2.3.5 read only: eShipper light, prices, Mail and Parcels",
         {"access:eshipper-light", "access:prices", "bordereau:10", "bordereau:31"},
         RIGHTS_OK,
         RIGHTS_V_NONE,
         0,
         NULL,
         0},
        {"§2.3.5 general access with every bordereau type",
         {"access:general", "bordereau:10", "bordereau:21", "bordereau:23", "bordereau:50"},
         RIGHTS_OK,
         RIGHTS_V_NONE,
         0,
         NULL,
         0},
        {"§2.3.5 ETOE with the eShipper Pro 2 option",
         {"access:etoe", "access:general", "access:eshipper-pro2", "bordereau:23"},
         RIGHTS_OK,
         RIGHTS_V_NONE,
         0,
         NULL,
         0},
        {"§2.3.5 the contract dimension is outside the matrix",
         {"access:general", "contract:BPI/2008/4023", "bordereau:31"},
         RIGHTS_OK,
         RIGHTS_V_NONE,
         0,
         NULL,
         0},
        {"§2.3.4 a Parcels National contract is refused before the matrix",
         {"access:general", "contract:999009", "bordereau:31"},
         RIGHTS_EINVAL,
         RIGHTS_V_WRONG_KIND,
         0,
         NULL,
         0},
        {"§2.3.5 eShipper Pro 2 with Mail bordereau 10: the first closest profile is named",
         {"access:eshipper-pro2", "access:general", "bordereau:10"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         GA,
         "access:eshipper-pro2",
         0},
        {"§2.3.5 eShipper Pro 2 with Max Reply 23",
         {"access:eshipper-pro2", "access:general", "bordereau:23", "access:prices"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         GA,
         "access:eshipper-pro2",
         0},
        {"§2.3.5 customs access is never allowed",
         {"access:general", "access:customs", "bordereau:10"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         GA,
         "access:customs",
         0},
        {"§2.3.5 eShipper Pro is never allowed",
         {"access:eshipper-pro", "access:eshipper-light", "bordereau:31"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         RO,
         "access:eshipper-pro",
         0},
        {"§2.3.5 read only refuses Easy Return 21",
         {"access:eshipper-light", "bordereau:21"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         RO,
         "bordereau:21",
         0},
        {"§2.3.5 always tick a bordereau type",
         {"access:general", "access:prices"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         GA,
         "bordereau",
         1},
        {"§2.3.5 prices alone: eShipper light is mandatory for read only",
         {"access:prices", "bordereau:31"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         RO,
         "access:eshipper-light",
         1},
        {"§2.3.5 ETOE without general access",
         {"access:etoe", "bordereau:31"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         ETOE,
         "access:general",
         1},
        {"§2.3.5 eShipper light and general access exclude each other",
         {"access:eshipper-light", "access:general", "bordereau:31"},
         RIGHTS_EINVAL,
         RIGHTS_V_PROFILE,
         RO,
         "access:general",
         0},
};

static void test_scenario(void **state)
{
	const scenario_row *row = *state;
	const rights_app *app = NULL;
	rights_catalog *cat = matrix_load(-1, &app);
	rights_str values[8];
	rights_violation why;
	org_ctx org = {0};
	rights_grant_ctx ctx = {0, org_resolve, &org};
	size_t n = 0;
	int rc;

	while (n < UNIT_NELEM(row->values) && row->values[n] != NULL) {
		values[n] = unit_str(row->values[n]);
		n++;
	}
	rc = grant_validate(&why, cat, app, values, n, &ctx);
	assert_int_equal(rc, row->rc);
	assert_int_equal(why.kind, row->kind);
	if (row->kind == RIGHTS_V_PROFILE) {
		assert_profile_refusal(&why, rc, row->profile, row->profile_value, row->missing);
		assert_memory_equal(why.value.ptr, row->profile_value, why.value.len);
	}
	catalog_free(cat);
}

static void test_matrix_shape(void **state)
{
	const rights_app *app = NULL;
	rights_catalog *cat = matrix_load(-1, &app);
	int p;

	(void)state;
	assert_int_equal(app_profile_count(app), NPROFILES);
	for (p = 0; p < NPROFILES; p++)
		assert_string_equal(profile_id(app_profile_at(app, (size_t)p)), profile_ids[p]);
	assert_int_equal(dim_value_count(app_dim(app, unit_str("access"))), 7);
	assert_int_equal(dim_value_count(app_dim(app, unit_str("bordereau"))), 15);
	catalog_free(cat);
}

int main(void)
{
	const struct CMUnitTest single[] = {
	        cmocka_unit_test(test_parse_null),
	        cmocka_unit_test(test_grant_null_ctx),
	        cmocka_unit_test(test_matrix_shape),
	};
	cell_row cells[NPROFILES * UNIT_NELEM(matrix)];
	char *name = NULL;
	size_t i, n = 0;
	int p, failed = 0;

	for (p = 0; p < NPROFILES; p++) {
		for (i = 0; i < UNIT_NELEM(matrix); i++) {
			if (asprintf(&name, "§2.3.5 %s %s:%s is %s", profile_ids[p], matrix[i].dim,
			             matrix[i].value,
			             matrix[i].marks[p] == 'X'   ? "X (mandatory)"
			             : matrix[i].marks[p] == 'O' ? "O (option)"
			                                         : "NA (not allowed)") < 0)
				return 1;
			cells[n].name = name;
			cells[n].profile = p;
			cells[n].line = i;
			n++;
		}
	}
	failed += UNIT_RUN_TABLE("right_parse", parse_rows, test_parse);
	failed += UNIT_RUN_TABLE("grant_validate", grant_rows, test_grant);
	failed += cmocka_run_group_tests_name("grant edges", single, NULL, NULL);
	failed += unit_run_rows("§2.3.5 matrix cells", cells, n, sizeof(cells[0]), test_cell);
	failed += UNIT_RUN_TABLE("§2.3.5 at least one bordereau", alo_rows, test_at_least_one);
	failed += UNIT_RUN_TABLE("§2.3.5 whole grants", scenario_rows, test_scenario);
	for (i = 0; i < n; i++)
		free((char *)cells[i].name);
	return failed;
}
