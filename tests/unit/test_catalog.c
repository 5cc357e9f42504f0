/*
 * Catalogue lookups and languages, on the example of
 * doc/rights-yaml-format.md (inline, independent of config/rights.yaml).
 */
#include <stdio.h>
#include <string.h>

#include "unit.h"

#define L UNIT_LABEL

static const char example[] =
        "version: 1\n"
        "management:\n"
        "  - id: admins\n"
        "    label: {nl: Beheerders, fr: Administrateurs, de: Administratoren, en: "
        "Administrators}\n"
        "  - {id: users, label: " L "}\n"
        "  - {id: password-recovery, label: " L "}\n"
        "  - id: ftp\n"
        "    label: " L "\n"
        "    project:\n"
        "      - {group: \"cn=ftp,ou=groups,{suffix}\"}\n"
        "      - {attribute: umAppAccess, value: ftp}\n"
        "applications:\n"
        "  - id: emasspost\n"
        "    label: {nl: e-MassPost NL, fr: e-MassPost FR, de: e-MassPost DE, en: e-MassPost EN}\n"
        "    delegable: true\n"
        "    dimensions:\n"
        "      - id: product\n"
        "        label: {nl: Producten, fr: Produits, de: Produkte, en: Products}\n"
        "        values:\n"
        "          - {id: letter, label: {nl: Brief, fr: Lettre, de: Brief, en: Letter}}\n"
        "          - {id: senders-management, label: " L ", router-only: true}\n"
        "      - id: billing\n"
        "        label: " L "\n"
        "        source: billing\n"
        "      - id: role\n"
        "        label: " L "\n"
        "        values: [{id: creation, label: " L "}, {id: validation-price, label: " L "}]\n"
        "    project:\n"
        "      - {group: \"cn=emasspost-{role},ou=groups,{suffix}\", for: role}\n"
        "      - {group: \"cn={app},ou=groups,{suffix}\"}\n"
        "      - {attribute: umAppAccess, value: emasspost}\n"
        "  - id: collect-stamp\n"
        "    label: " L "\n"
        "    dimensions:\n"
        "      - id: contract\n"
        "        label: " L "\n"
        "        source: contract\n"
        "        kinds: [cs-master]\n"
        "    profiles:\n"
        "      - id: any\n"
        "        label: {nl: Alles, fr: Tout, de: Alles, en: Anything}\n"
        "        at-least-one: [contract]\n";

typedef struct fixture {
	rights_catalog *cat;
	const rights_app *emp;
	const rights_app *cs;
} fixture;

static int fixture_setup(fixture *fx)
{
	rights_error err;

	memset(fx, 0, sizeof(*fx));
	if (catalog_load_buffer(&fx->cat, "example", example, strlen(example), &err) != RIGHTS_OK) {
		print_error("%s\n", err.message);
		return -1;
	}
	fx->emp = catalog_app(fx->cat, unit_str("emasspost"));
	fx->cs = catalog_app(fx->cat, unit_str("collect-stamp"));
	return 0;
}

typedef struct lookup_row {
	const char *name;
	void (*check)(const fixture *fx);
} lookup_row;

static void check_manage(const fixture *fx)
{
	assert_int_equal(catalog_manage_count(fx->cat), 4);
	assert_string_equal(catalog_manage_at(fx->cat, 0), "admins");
	assert_string_equal(catalog_manage_at(fx->cat, 3), "ftp");
	assert_null(catalog_manage_at(fx->cat, 4));
	assert_true(catalog_manage_exists(fx->cat, unit_str("password-recovery")));
	assert_false(catalog_manage_exists(fx->cat, unit_str("Admins")));
	assert_false(catalog_manage_exists(fx->cat, unit_str("admin")));
	assert_string_equal(catalog_manage_label(fx->cat, unit_str("admins"), RIGHTS_LANG_FR),
	                    "Administrateurs");
	assert_string_equal(catalog_manage_label(fx->cat, unit_str("admins"), RIGHTS_LANG_DE),
	                    "Administratoren");
	assert_null(catalog_manage_label(fx->cat, unit_str("root"), RIGHTS_LANG_EN));
}

static void check_apps(const fixture *fx)
{
	rights_str prefix = {"emasspost-x", 9};

	assert_int_equal(catalog_app_count(fx->cat), 2);
	assert_ptr_equal(catalog_app_at(fx->cat, 0), fx->emp);
	assert_ptr_equal(catalog_app_at(fx->cat, 1), fx->cs);
	assert_null(catalog_app_at(fx->cat, 2));
	assert_ptr_equal(catalog_app(fx->cat, prefix), fx->emp);
	assert_null(catalog_app(fx->cat, unit_str("emass")));
	assert_string_equal(app_id(fx->emp), "emasspost");
	assert_string_equal(app_label(fx->emp, RIGHTS_LANG_NL), "e-MassPost NL");
	assert_string_equal(app_label(fx->emp, RIGHTS_LANG_EN), "e-MassPost EN");
}

static void check_delegable(const fixture *fx)
{
	/* §2.3.1 sous-traitants: only e-MassPost is delegated to routers here. */
	assert_true(app_delegable(fx->emp));
	assert_false(app_delegable(fx->cs));
}

static void check_dims(const fixture *fx)
{
	const rights_dim *product = app_dim(fx->emp, unit_str("product"));

	assert_int_equal(app_dim_count(fx->emp), 3);
	assert_ptr_equal(app_dim_at(fx->emp, 0), product);
	assert_null(app_dim_at(fx->emp, 3));
	assert_null(app_dim(fx->emp, unit_str("contract")));
	assert_string_equal(dim_id(product), "product");
	assert_string_equal(dim_label(product, RIGHTS_LANG_FR), "Produits");
	assert_int_equal(dim_source(product), RIGHTS_SOURCE_STATIC);
	assert_int_equal(dim_source(app_dim(fx->emp, unit_str("billing"))), RIGHTS_SOURCE_BILLING);
	assert_int_equal(dim_value_count(app_dim(fx->emp, unit_str("billing"))), 0);
	assert_int_equal(dim_value_count(product), 2);
}

static void check_values(const fixture *fx)
{
	const rights_dim *product = app_dim(fx->emp, unit_str("product"));
	const rights_value *letter = dim_value(product, unit_str("letter"));

	assert_ptr_equal(dim_value_at(product, 0), letter);
	assert_null(dim_value_at(product, 2));
	assert_null(dim_value(product, unit_str("Letter")));
	assert_string_equal(value_id(letter), "letter");
	assert_string_equal(value_label(letter, RIGHTS_LANG_FR), "Lettre");
	assert_string_equal(value_label(letter, RIGHTS_LANG_EN), "Letter");
	assert_false(value_router_only(letter));
	/* §2.3.1: Senders Management, "uniquement pour les routeurs". */
	assert_true(value_router_only(dim_value(product, unit_str("senders-management"))));
}

static void check_kinds(const fixture *fx)
{
	const rights_dim *contract = app_dim(fx->cs, unit_str("contract"));

	/* §2.3.3: "il est uniquement possible de sélectionner le contrat CS Master". */
	assert_int_equal(dim_source(contract), RIGHTS_SOURCE_CONTRACT);
	assert_true(dim_accepts_kind(contract, unit_str("cs-master")));
	assert_false(dim_accepts_kind(contract, unit_str("parcels-national")));
	assert_false(dim_accepts_kind(contract, unit_str("")));
	assert_false(
	        dim_accepts_kind(app_dim(fx->emp, unit_str("product")), unit_str("cs-master")));
}

static void check_profiles(const fixture *fx)
{
	const rights_profile *any = app_profile_at(fx->cs, 0);

	assert_int_equal(app_profile_count(fx->emp), 0);
	assert_int_equal(app_profile_count(fx->cs), 1);
	assert_null(app_profile_at(fx->cs, 1));
	assert_string_equal(profile_id(any), "any");
	assert_string_equal(profile_label(any, RIGHTS_LANG_FR), "Tout");
}

static void check_projections(const fixture *fx)
{
	const rights_projection *p = NULL;

	assert_int_equal(app_projection_count(fx->emp), 3);
	assert_int_equal(app_projection_count(fx->cs), 0);
	p = app_projection_at(fx->emp, 0);
	assert_string_equal(p->kind, "group");
	assert_null(p->name);
	assert_string_equal(p->template, "cn=emasspost-{role},ou=groups,{suffix}");
	assert_string_equal(p->for_dim, "role");
	p = app_projection_at(fx->emp, 1);
	assert_string_equal(p->kind, "group");
	assert_null(p->for_dim);
	p = app_projection_at(fx->emp, 2);
	assert_string_equal(p->kind, "attribute");
	assert_string_equal(p->name, "umAppAccess");
	assert_string_equal(p->template, "emasspost");
	assert_null(p->for_dim);
	assert_null(app_projection_at(fx->emp, 3));
}

/* §2.2.4 FTP access: projected like an application (group, attribute) */
static void check_manage_projections(const fixture *fx)
{
	const rights_projection *p = NULL;
	size_t ftp;

	for (ftp = 0; strcmp(catalog_manage_at(fx->cat, ftp), "ftp") != 0; ftp++)
		;
	assert_int_equal(catalog_manage_projection_count(fx->cat, 0), 0);
	assert_int_equal(catalog_manage_projection_count(fx->cat, ftp), 2);
	p = catalog_manage_projection_at(fx->cat, ftp, 0);
	assert_string_equal(p->kind, "group");
	assert_string_equal(p->template, "cn=ftp,ou=groups,{suffix}");
	assert_null(p->for_dim);
	p = catalog_manage_projection_at(fx->cat, ftp, 1);
	assert_string_equal(p->kind, "attribute");
	assert_string_equal(p->name, "umAppAccess");
	assert_string_equal(p->template, "ftp");
	assert_null(catalog_manage_projection_at(fx->cat, ftp, 2));
	assert_null(catalog_manage_projection_at(fx->cat, 99, 0));
	assert_int_equal(catalog_manage_projection_count(NULL, 0), 0);
}

static void check_null_safety(const fixture *fx)
{
	(void)fx;
	assert_int_equal(catalog_app_count(NULL), 0);
	assert_null(catalog_app(NULL, unit_str("emasspost")));
	assert_int_equal(catalog_manage_count(NULL), 0);
	assert_null(app_id(NULL));
	assert_int_equal(app_dim_count(NULL), 0);
	assert_null(dim_value(NULL, unit_str("x")));
	assert_false(value_router_only(NULL));
	assert_false(dim_accepts_kind(NULL, unit_str("cs-master")));
}

static const lookup_row lookup_rows[] = {
        {"§2.2.4 the four management rights and their labels", check_manage},
        {"§2.3 applications by index and by id", check_apps},
        {"§2.3.1 delegable applications", check_delegable},
        {"§2.3 dimensions: static, billing", check_dims},
        {"§2.3.1 values, labels and router-only", check_values},
        {"§2.3.3 contract kinds", check_kinds},
        {"§2.3.5 profiles", check_profiles},
        {"projection rules for provisiond", check_projections},
        {"§2.2.4 projection rules of a management right", check_manage_projections},
        {"lookups on NULL", check_null_safety},
};

static void test_lookup(void **state)
{
	const lookup_row *row = *state;
	fixture fx;

	assert_int_equal(fixture_setup(&fx), 0);
	row->check(&fx);
	catalog_free(fx.cat);
}

/* ---- languages ------------------------------------------------------------------- */

typedef struct lang_row {
	const char *name;
	const char *tag;
	int rc;
	rights_lang lang;
} lang_row;

static const lang_row lang_rows[] = {
        {"nl", "nl", RIGHTS_OK, RIGHTS_LANG_NL},
        {"fr", "fr", RIGHTS_OK, RIGHTS_LANG_FR},
        {"de", "de", RIGHTS_OK, RIGHTS_LANG_DE},
        {"en", "en", RIGHTS_OK, RIGHTS_LANG_EN},
        {"tags are case-insensitive", "FR", RIGHTS_OK, RIGHTS_LANG_FR},
        {"region tags: fr-BE", "fr-BE", RIGHTS_OK, RIGHTS_LANG_FR},
        {"region tags: nl_BE", "nl_BE", RIGHTS_OK, RIGHTS_LANG_NL},
        {"longer tags: de-DE-1996", "de-DE-1996", RIGHTS_OK, RIGHTS_LANG_DE},
        {"unsupported language", "es", RIGHTS_EINVAL, RIGHTS_LANG_COUNT},
        {"empty tag", "", RIGHTS_EINVAL, RIGHTS_LANG_COUNT},
        {"one letter", "f", RIGHTS_EINVAL, RIGHTS_LANG_COUNT},
        {"three letters", "fra", RIGHTS_EINVAL, RIGHTS_LANG_COUNT},
        {"dangling separator", "fr-", RIGHTS_EINVAL, RIGHTS_LANG_COUNT},
        {"spaces are not tags", "fr BE", RIGHTS_EINVAL, RIGHTS_LANG_COUNT},
        {"NULL tag", NULL, RIGHTS_EINVAL, RIGHTS_LANG_COUNT},
};

static void test_lang(void **state)
{
	const lang_row *row = *state;
	rights_lang got = RIGHTS_LANG_COUNT;
	size_t len = row->tag ? strlen(row->tag) : 0;

	assert_int_equal(lang_parse(&got, row->tag, len), row->rc);
	/* *out stays untouched on failure */
	assert_int_equal(got, row->lang);
	assert_int_equal(lang_or_default(row->tag, len),
	                 row->rc == RIGHTS_OK ? row->lang : RIGHTS_LANG_EN);
}

typedef struct code_row {
	const char *name;
	rights_lang lang;
	const char *code;
} code_row;

static const code_row code_rows[] = {
        {"lang_code en", RIGHTS_LANG_EN, "en"},
        {"lang_code nl", RIGHTS_LANG_NL, "nl"},
        {"lang_code fr", RIGHTS_LANG_FR, "fr"},
        {"lang_code de", RIGHTS_LANG_DE, "de"},
        {"lang_code out of range is en", RIGHTS_LANG_COUNT, "en"},
};

static void test_code(void **state)
{
	const code_row *row = *state;
	rights_lang back = RIGHTS_LANG_COUNT;

	assert_string_equal(lang_code(row->lang), row->code);
	assert_int_equal(lang_parse(&back, row->code, 2), RIGHTS_OK);
	if (row->lang < RIGHTS_LANG_COUNT)
		assert_int_equal(back, row->lang);
}

int main(void)
{
	int failed = 0;

	failed += UNIT_RUN_TABLE("catalog lookups", lookup_rows, test_lookup);
	failed += UNIT_RUN_TABLE("lang_parse", lang_rows, test_lang);
	failed += UNIT_RUN_TABLE("lang_code", code_rows, test_code);
	return failed;
}
