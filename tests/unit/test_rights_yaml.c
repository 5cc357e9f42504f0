/*
 * The shipped catalogue, config/rights.yaml, loads and holds what manual
 * §2.2.4 and §2.3.1-§2.3.6 list. Skipped only while the file is absent.
 */
#include <stdio.h>
#include <unistd.h>

#include "unit.h"

#define RIGHTS_YAML TOP_SRCDIR "/config/rights.yaml"

typedef struct yaml_row {
	const char *name;
	void (*check)(const rights_catalog *cat);
} yaml_row;

static void check_apps(const rights_catalog *cat)
{
	static const char *const ids[] = {
	        "emasspost",        "distriplanner",         "collect-stamp",
	        "parcels-national", "parcels-international", "invoice-reporter"};
	const rights_app *app = NULL;
	size_t i;

	assert_int_equal(catalog_app_count(cat), UNIT_NELEM(ids));
	for (i = 0; i < UNIT_NELEM(ids); i++) {
		app = catalog_app(cat, unit_str(ids[i]));
		assert_string_equal(app ? app_id(app) : "(missing)", ids[i]);
	}
}

static void check_products(const rights_catalog *cat)
{
	const rights_app *emp = catalog_app(cat, unit_str("emasspost"));

	assert_non_null(emp);
	/* §2.3.1 "Choix des produits": Lettre ... Non prior */
	assert_int_equal(dim_value_count(app_dim(emp, unit_str("product"))), 23);
}

static void check_manage(const rights_catalog *cat)
{
	static const char *const ids[] = {"admins", "users", "password-recovery", "ftp"};
	size_t i;

	assert_int_equal(catalog_manage_count(cat), UNIT_NELEM(ids));
	for (i = 0; i < UNIT_NELEM(ids); i++)
		assert_true(catalog_manage_exists(cat, unit_str(ids[i])));
}

static void check_delegable(const rights_catalog *cat)
{
	assert_true(app_delegable(catalog_app(cat, unit_str("emasspost"))));
}

static void check_senders_management(const rights_catalog *cat)
{
	const rights_app *emp = catalog_app(cat, unit_str("emasspost"));
	const rights_value *v = NULL;
	size_t d;

	/* §2.3.1: "identification des expéditeurs uniquement pour les routeurs" */
	for (d = 0; d < app_dim_count(emp) && v == NULL; d++)
		v = dim_value(app_dim_at(emp, d), unit_str("senders-management"));
	assert_non_null(v);
	assert_true(value_router_only(v));
}

static const yaml_row yaml_rows[] = {
        {"§2.3.1-§2.3.6 the six applications", check_apps},
        {"§2.3.1 the 23 e-MassPost products", check_products},
        {"§2.2.4 the four management rights", check_manage},
        {"§2.3.1 e-MassPost is delegable to routers", check_delegable},
        {"§2.3.1 Senders Management is router-only", check_senders_management},
};

static void test_rights_yaml(void **state)
{
	const yaml_row *row = *state;
	rights_catalog *cat = NULL;
	rights_error err;

	if (access(RIGHTS_YAML, F_OK) != 0)
		skip();
	if (catalog_load(&cat, RIGHTS_YAML, &err) != RIGHTS_OK)
		print_error("%s\n", err.message);
	assert_non_null(cat);
	row->check(cat);
	catalog_free(cat);
}

int main(void)
{
	return UNIT_RUN_TABLE("config/rights.yaml", yaml_rows, test_rights_yaml);
}
