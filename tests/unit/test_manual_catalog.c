/*
 * Tests tied to the manual: the shipped catalogue, config/rights.yaml,
 * against the tables of the User Management manual
 * (seed/user-management-manual-fr.txt) written out below, so that a change
 * to either shows up here. Every row cites the manual's section.
 *
 * French labels are compared with value_label(v, RIGHTS_LANG_FR) and must
 * be the manual's text byte for byte. Where the French screen shows an
 * English term and the manual gives the French name in its explanation
 * (§2.3.1 "Choix de l'accès"), the label is that French name; the deliberate
 * differences are listed in rights.yaml(5), "French labels".
 *
 * The §2.3.5 matrix is checked cell by cell through grant_validate(): a
 * grant is valid when at least one profile (column) fits it, so each cell
 * is exercised with a grant that only its column could accept, and the
 * verdict expected is the one the manual's whole matrix gives. Three cells
 * have no effect of their own under that rule (the grant that would show
 * them fits another column); their rows say so and check that verdict.
 */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>

#include "unit.h"

#define RIGHTS_YAML TOP_SRCDIR "/config/rights.yaml"

/* Loaded once by main(), read by every test. */
static rights_catalog *shipped;

static const rights_app *shipped_app(const char *id)
{
	const rights_app *app = catalog_app(shipped, unit_str(id));

	if (app == NULL)
		print_error("application %s is not in %s\n", id, RIGHTS_YAML);
	assert_non_null(app);
	return app;
}

static const rights_dim *shipped_dim(const char *app, const char *dim)
{
	const rights_dim *d = app_dim(shipped_app(app), unit_str(dim));

	if (d == NULL)
		print_error("dimension %s of %s is not in %s\n", dim, app, RIGHTS_YAML);
	assert_non_null(d);
	return d;
}

/* ---- §2.2.4 the management rights ---------------------------------------------- */

typedef struct manage_row {
	const char *name;
	const char *id;
	const char *fr; /* as the manual writes it */
} manage_row;

/* §2.2.4 "Autorisations pour Gestion des utilisateurs", in the screen's order. */
static const manage_row manage_rows[] = {
        {"§2.2.4 admins: « Autorisations pour créer et gérer des administrateurs »", "admins",
         "Autorisations pour créer et gérer des administrateurs"},
        {"§2.2.4 users: « Autorisations pour créer et gérer des utilisateurs »", "users",
         "Autorisations pour créer et gérer des utilisateurs"},
        /* the screen's ". (Nouveau!)" badge is not part of the label */
        {"§2.2.4 password-recovery: « Autoriser la Récupération de mot de passe »",
         "password-recovery", "Autoriser la Récupération de mot de passe"},
        {"§2.2.4 ftp: « FTP Access (La première fois logon via le portail est nécessaire) »", "ftp",
         "FTP Access (La première fois logon via le portail est nécessaire)"},
};

static void test_manage(void **state)
{
	const manage_row *row = *state;
	size_t i = (size_t)(row - manage_rows);

	assert_int_equal(catalog_manage_count(shipped), UNIT_NELEM(manage_rows));
	assert_string_equal(catalog_manage_at(shipped, i), row->id);
	assert_true(catalog_manage_exists(shipped, unit_str(row->id)));
	assert_string_equal(catalog_manage_label(shipped, unit_str(row->id), RIGHTS_LANG_FR),
	                    row->fr);
}

/* ---- §2.3.1-§2.3.6 the applications and their dimensions ----------------------- */

typedef struct app_row {
	const char *name;
	const char *id;
	const char *fr;
	int delegable;
	size_t ndims;
	size_t nprofiles;
} app_row;

static const app_row app_rows[] = {
        /* "compte e-MassPost du routeur"; sous-traitants: §2.3.1 only */
        {"§2.3.1 e-MassPost, delegable to routers (sous-traitants)", "emasspost", "e-MassPost", 1,
         3, 0},
        {"§2.3.2 Distriplanner", "distriplanner", "Distriplanner", 0, 2, 0},
        {"§2.3.3 Collect & Stamp/UVRD+", "collect-stamp", "Collect & Stamp/UVRD+", 0, 2, 0},
        {"§2.3.4 Parcels National", "parcels-national",
         "Parcels National (e-Shipper bpost business, e-Tracker bpost business, Shipping Manager)",
         0, 2, 0},
        /* the four columns of the matrix */
        {"§2.3.5 Parcels International", "parcels-international",
         "Parcels International (eShipper bpost international)", 0, 3, 4},
        {"§2.3.6 Invoice Reporter", "invoice-reporter", "Invoice Reporter", 0, 1, 0},
};

static void test_app(void **state)
{
	const app_row *row = *state;
	size_t i = (size_t)(row - app_rows);
	const rights_app *app = shipped_app(row->id);

	assert_int_equal(catalog_app_count(shipped), UNIT_NELEM(app_rows));
	assert_ptr_equal(catalog_app_at(shipped, i), app);
	assert_string_equal(app_label(app, RIGHTS_LANG_FR), row->fr);
	assert_int_equal(app_delegable(app), row->delegable);
	assert_int_equal(app_dim_count(app), row->ndims);
	assert_int_equal(app_profile_count(app), row->nprofiles);
}

typedef struct dim_row {
	const char *name;
	const char *app;
	const char *dim;
	rights_source source;
	size_t count;     /* static values the manual lists */
	const char *kind; /* source contract: the one umContractKind accepted */
	size_t index;     /* position in the application's dimensions */
} dim_row;

static const dim_row dim_rows[] = {
        {"§2.3.1 e-MassPost: the 23 products", "emasspost", "product", RIGHTS_SOURCE_STATIC, 23,
         NULL, 0},
        {"§2.3.1 e-MassPost: the organisation's billing addresses", "emasspost", "billing",
         RIGHTS_SOURCE_BILLING, 0, NULL, 1},
        {"§2.3.1 e-MassPost: 13 access roles on the screen and Senders Management", "emasspost",
         "role", RIGHTS_SOURCE_STATIC, 14, NULL, 2},
        {"§2.3.2 Distriplanner: the organisation's billing addresses", "distriplanner", "billing",
         RIGHTS_SOURCE_BILLING, 0, NULL, 0},
        {"§2.3.2 Distriplanner: the 2 roles", "distriplanner", "role", RIGHTS_SOURCE_STATIC, 2,
         NULL, 1},
        {"§2.3.3 Collect & Stamp: only the CS Master contract", "collect-stamp", "contract",
         RIGHTS_SOURCE_CONTRACT, 0, "cs-master", 0},
        {"§2.3.3 Collect & Stamp: the 6 functions", "collect-stamp", "function",
         RIGHTS_SOURCE_STATIC, 6, NULL, 1},
        {"§2.3.4 Parcels National: the 1 role", "parcels-national", "role", RIGHTS_SOURCE_STATIC, 1,
         NULL, 0},
        {"§2.3.4 Parcels National: its contracts", "parcels-national", "contract",
         RIGHTS_SOURCE_CONTRACT, 0, "parcels-national", 1},
        {"§2.3.5 Parcels International: the 7 access rights", "parcels-international", "access",
         RIGHTS_SOURCE_STATIC, 7, NULL, 0},
        {"§2.3.5 Parcels International: the BPI contracts", "parcels-international", "contract",
         RIGHTS_SOURCE_CONTRACT, 0, "parcels-international", 1},
        /* 14 on the screen, and Easy Return+ (50) of the matrix */
        {"§2.3.5 Parcels International: 14 bordereau types on the screen and 50 of the matrix",
         "parcels-international", "bordereau", RIGHTS_SOURCE_STATIC, 15, NULL, 2},
        {"§2.3.6 Invoice Reporter: the organisation's billing addresses", "invoice-reporter",
         "billing", RIGHTS_SOURCE_BILLING, 0, NULL, 0},
};

/* ---- the values, in the manual's order ------------------------------------------ */

typedef struct value_row {
	const char *name; /* where the manual lists it; main() appends the value */
	const char *app;
	const char *dim;
	const char *id;
	const char *fr; /* as the manual writes it */
	int router_only;
} value_row;

#define EMP_PRODUCT(id, fr)                                                                        \
	{                                                                                          \
		"§2.3.1 Choix des produits", "emasspost", "product", id, fr, 0                     \
	}
#define EMP_ROLE(id, fr)                                                                           \
	{                                                                                          \
		"§2.3.1 Choix de l'accès", "emasspost", "role", id, fr, 0                          \
	}
#define DP_ROLE(id, fr)                                                                            \
	{                                                                                          \
		"§2.3.2 Choix de l'accès", "distriplanner", "role", id, fr, 0                      \
	}
#define CS_FUNCTION(id, fr)                                                                        \
	{                                                                                          \
		"§2.3.3 Droits", "collect-stamp", "function", id, fr, 0                            \
	}
#define PN_ROLE(id, fr)                                                                            \
	{                                                                                          \
		"§2.3.4 Role", "parcels-national", "role", id, fr, 0                               \
	}
#define PI_ACCESS(id, fr)                                                                          \
	{                                                                                          \
		"§2.3.5 Droit d'accès", "parcels-international", "access", id, fr, 0               \
	}
#define PI_BORDEREAU(id, fr)                                                                       \
	{                                                                                          \
		"§2.3.5 Droit sur les types de bordereaux", "parcels-international", "bordereau",  \
		        id, fr, 0                                                                  \
	}

static const value_row value_rows[] = {
        /* §2.3.1 "Produits" (LETTRE = ADMIN MAIL, IMPRIMÉS = DIRECT MAIL) */
        EMP_PRODUCT("letter", "Lettre"),
        EMP_PRODUCT("registered-prior", "Recommandé prior"),
        EMP_PRODUCT("periodical", "Périodique"),
        EMP_PRODUCT("kilopost", "Kilopost"),
        EMP_PRODUCT("uvrd", "UV/RD"),
        EMP_PRODUCT("distripost-convention", "Distripost sous convention"),
        EMP_PRODUCT("kilopost-convention", "Kilopost sous convention"),
        EMP_PRODUCT("bpack", "bPack"),
        EMP_PRODUCT("bpack-international", "bPack International"),
        EMP_PRODUCT("distripost-2008", "Distripost 2008"),
        EMP_PRODUCT("distripost-periodical", "Distripost périodique"),
        EMP_PRODUCT("clean-mail", "Clean Mail"),
        EMP_PRODUCT("uvrd-rp-plus", "UV/RD RP+"),
        EMP_PRODUCT("intl-parcels-deferred", "International Parcels Deferred"),
        EMP_PRODUCT("intl-parcels-express", "International Parcels Express"),
        EMP_PRODUCT("reserve-product-1", "Reserve product 1"),
        EMP_PRODUCT("reserve-product-2", "Reserve product 2"),
        EMP_PRODUCT("distripost-printed", "Distripost imprimé"),
        EMP_PRODUCT("selectapost", "Selectapost"),
        EMP_PRODUCT("non-urgent-commercial", "Envois commerciaux non urgents"),
        EMP_PRODUCT("printed", "Imprimé"),
        EMP_PRODUCT("prior", "Prior"),
        EMP_PRODUCT("non-prior", "Non prior"),
        /* §2.3.1 "Accès"; where the screen is in English, the French name of
         * the manual's explanation (screen text in the comment) */
        EMP_ROLE("administrator", "Rôle de l'administrateur e-Masspost"), /* e-Mass Post
                                                                             administrator role */
        EMP_ROLE("price-visibility", "Visibilité des tarifs"),
        EMP_ROLE("creation", "Création"),
        EMP_ROLE("validation-price", "Validation + prix"),
        EMP_ROLE("global-consultation", "Consultation globale"),
        EMP_ROLE("deposit-declaration", "Déclaration de dépôt"),
        EMP_ROLE("create-mailing-list", "Création mailing list"),     /* Create mailing list */
        EMP_ROLE("delete-mailing-list", "Supprimer la mailing list"), /* Delete mailing list */
        EMP_ROLE("deposit-summary", "Résumé de dépôt"),
        EMP_ROLE("check-mailing-list", "Vérification de la mailing list"), /* Check mailing list */
        EMP_ROLE("address-file-tool", "Address File Tool"),
        EMP_ROLE("contracts-prices", "Contrats + prix"),
        EMP_ROLE("yearly-plan", "Yearly Plan"),
        /* "identification des expéditeurs uniquement pour les routeurs conventionnels" */
        {"§2.3.1 Senders Management", "emasspost", "role", "senders-management",
         "Senders Management", 1},
        /* §2.3.2 "Role" */
        DP_ROLE("order-entry", "Order Entry"),
        DP_ROLE("quick-view", "Quick view"),
        /* §2.3.3, as on the screen ("Droits") */
        CS_FUNCTION("advanced-search-registered", "Recherche avancée pour envois recommandés"),
        CS_FUNCTION("advanced-search-parcels", "Recherche avancée pour paquets"),
        CS_FUNCTION("barcode-search-registered",
                    "Recherche via codes-barres pour envois recommandés"),
        CS_FUNCTION("barcode-search-parcels", "Recherche via codes-barres pour paquets"),
        CS_FUNCTION("deposit-receipts",
                    "Commande d'impressions (payantes) de récépissés électroniques de dépôt"),
        CS_FUNCTION("invoice-search", "Recherche factures"),
        /* §2.3.4 "Role" */
        PN_ROLE("user", "Utilisateur"),
        /* §2.3.5 "Droit d'accès" */
        PI_ACCESS("customs", "Droit sur accès douane"),
        PI_ACCESS("eshipper-light", "Droit d'accès à eShipper light"),
        PI_ACCESS("eshipper-pro2", "Droit d'accès à eShipper Pro 2"),
        PI_ACCESS("eshipper-pro", "Droit d'accès à eShipper Pro"),
        PI_ACCESS("etoe", "Traitement ETOE"),
        PI_ACCESS("general", "Accès général"),
        PI_ACCESS("prices", "Droit de voir les prix"),
        /* §2.3.5 "Droit sur les types de bordereaux" */
        PI_BORDEREAU("10", "Direct Mail (borderel 10)"),
        PI_BORDEREAU("12", "Volumail Sorted (borderel 12)"),
        PI_BORDEREAU("13", "Volumail Registered (borderel 13)"),
        PI_BORDEREAU("14", "Volumail Unsorted (borderel 14)"),
        PI_BORDEREAU("16", "Volumail Sorted Track and Trace on receptacle (borderel 16)"),
        PI_BORDEREAU("17", "Volumail Unsorted Track and Trace (borderel 17)"),
        PI_BORDEREAU("20", "Practimail (borderel 20)"),
        PI_BORDEREAU("21", "EasyReturn (borderel 21)"),
        PI_BORDEREAU("23", "MaxReply (borderel 23)"),
        PI_BORDEREAU("31", "Maxi Pack (borderel 31)"),
        PI_BORDEREAU("33", "Mini Pack Scan (borderel 33)"),
        PI_BORDEREAU("35", "Mini Pack Sorted (borderel 35)"),
        PI_BORDEREAU("36", "Mini Pack Sorted Track and Trace on receptacle (borderel 36)"),
        PI_BORDEREAU("37", "Mini Pack Unsorted (borderel 37)"),
        /* not on the screen: the last line of the matrix */
        {"§2.3.5 matrix", "parcels-international", "bordereau", "50", "Easy Return+ (Bordereau 50)",
         0},
};

static void test_dim(void **state)
{
	const dim_row *row = *state;
	const rights_app *app = shipped_app(row->app);
	const rights_dim *dim = shipped_dim(row->app, row->dim);
	static const char *const kinds[] = {"cs-master", "parcels-national",
	                                    "parcels-international"};
	size_t i, n = 0;

	assert_ptr_equal(app_dim_at(app, row->index), dim);
	assert_int_equal(dim_source(dim), row->source);
	assert_int_equal(dim_value_count(dim), row->count);
	/* the values are the table's, in the manual's order */
	for (i = 0; i < UNIT_NELEM(value_rows); i++) {
		if (strcmp(value_rows[i].app, row->app) != 0 || strcmp(value_rows[i].dim, row->dim))
			continue;
		assert_true(n < dim_value_count(dim));
		assert_string_equal(value_id(dim_value_at(dim, n)), value_rows[i].id);
		n++;
	}
	assert_int_equal(n, row->count);
	for (i = 0; i < UNIT_NELEM(kinds); i++)
		assert_int_equal(dim_accepts_kind(dim, unit_str(kinds[i])),
		                 row->kind != NULL && strcmp(row->kind, kinds[i]) == 0);
}

static void test_value(void **state)
{
	const value_row *row = *state;
	const rights_value *v = dim_value(shipped_dim(row->app, row->dim), unit_str(row->id));

	if (v == NULL)
		print_error("%s:%s is not in %s\n", row->dim, row->id, RIGHTS_YAML);
	assert_non_null(v);
	assert_string_equal(value_label(v, RIGHTS_LANG_FR), row->fr);
	assert_int_equal(value_router_only(v), row->router_only);
}

/* ---- §2.3.5 the matrix ------------------------------------------------------------ */

enum { RO, GA, P2, ETOE, NPROFILES };

/* The columns, left to right, and the ids rights.yaml gives them. */
static const char *const profile_ids[NPROFILES] = {"read-only", "general-access", "eshipper-pro2",
                                                   "etoe"};

typedef struct matrix_line {
	const char *dim;
	const char *value;
	const char marks[NPROFILES + 1]; /* X, O, or - for NA */
} matrix_line;

/* §2.3.5, "X=mandatory, O=Option, NA = not applicable/not allowed"; columns:
 * Read only profile, General Access, Access to eShipper Pro 2, Post
 * international ETOE. "Not allowed" is NA. */
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
        {"bordereau", "10", "OO-O"}, /* Direct Mail (bordereau 10) */
        {"bordereau", "12", "OO-O"}, /* Volumail Sorted (Bordereau 12) */
        {"bordereau", "13", "OO-O"}, /* Volumail Registered (Bordereau 13) */
        {"bordereau", "14", "OO-O"}, /* ...other Mail services: Volumail Unsorted */
        {"bordereau", "16", "OO-O"}, /* ...other Mail services: Volumail Sorted T&T */
        {"bordereau", "17", "OO-O"}, /* ...other Mail services: Volumail Unsorted T&T */
        {"bordereau", "20", "OO-O"}, /* ...other Mail services: Practimail */
        {"bordereau", "21", "-OOO"}, /* Easy Return (Bordereau 21) */
        {"bordereau", "23", "-O-O"}, /* Max Reply (Bordereau 23) */
        {"bordereau", "31", "OOOO"}, /* Maxi Pack (Bordereau 31) */
        {"bordereau", "33", "OOOO"}, /* Mini Pack Scan (bordereau 33) */
        {"bordereau", "35", "OOOO"}, /* ...other Parcel services: Mini Pack Sorted */
        {"bordereau", "36", "OOOO"}, /* ...other Parcel services: Mini Pack Sorted T&T */
        {"bordereau", "37", "OOOO"}, /* ...other Parcel services: Mini Pack Unsorted */
        {"bordereau", "50", "-OOO"}, /* Easy Return+ (Bordereau 50) */
};

#define NACCESS 7 /* the first lines of the matrix */

/* A grant: a set of matrix lines. */
typedef struct grant_set {
	int has[UNIT_NELEM(matrix)];
} grant_set;

/* The manual's rule: the column fits when every value of the grant is X or
 * O in it, every X value is in the grant, and a bordereau type is ticked
 * ("toujours cocher les types de bordereau applicables"). */
static int manual_fits(const grant_set *g, int p)
{
	size_t i;
	int bordereau = 0;

	for (i = 0; i < UNIT_NELEM(matrix); i++) {
		if (g->has[i] && matrix[i].marks[p] == '-')
			return 0;
		if (!g->has[i] && matrix[i].marks[p] == 'X')
			return 0;
		if (g->has[i] && i >= NACCESS)
			bordereau = 1;
	}
	return bordereau;
}

/* The column that accepts the grant, or -1: a grant is valid when one
 * column fits it. */
static int manual_accepts(const grant_set *g)
{
	int p;

	for (p = 0; p < NPROFILES; p++)
		if (manual_fits(g, p))
			return p;
	return -1;
}

/* grant_validate() on the shipped catalogue. The values stay valid until
 * the next call, since *why points into them. */
static int shipped_validate(rights_violation *why, const grant_set *g)
{
	static char text[UNIT_NELEM(matrix)][32];
	rights_str values[UNIT_NELEM(matrix)];
	size_t i, n = 0;

	for (i = 0; i < UNIT_NELEM(matrix); i++) {
		if (!g->has[i])
			continue;
		snprintf(text[n], sizeof(text[n]), "%s:%s", matrix[i].dim, matrix[i].value);
		values[n] = unit_str(text[n]);
		n++;
	}
	return grant_validate(why, shipped, shipped_app("parcels-international"), values, n, NULL);
}

static size_t first_bordereau(int p)
{
	size_t i;

	for (i = NACCESS; i < UNIT_NELEM(matrix); i++)
		if (matrix[i].marks[p] == 'O')
			return i;
	fail_msg("column %d has no bordereau type", p);
	return 0;
}

/* The grant that shows cell (p, line): the X access values of column p and
 * the cell's value; for an X access value, everything column p allows but
 * that value; for an access value, a bordereau type column p allows. Sets
 * *local to what column p alone says of it. */
static void cell_grant(grant_set *g, int *local, int p, size_t line)
{
	const char mark = matrix[line].marks[p];
	size_t i;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < NACCESS; i++)
		g->has[i] = matrix[i].marks[p] == 'X' || (mark == 'X' && matrix[i].marks[p] == 'O');
	if (line < NACCESS)
		g->has[first_bordereau(p)] = 1;
	g->has[line] = mark != 'X';
	*local = mark != '-' && mark != 'X';
	if (line >= NACCESS)
		*local = mark != '-';
}

typedef struct cell_row {
	const char *name; /* allocated */
	int profile;
	size_t line;
} cell_row;

static void test_cell(void **state)
{
	const cell_row *row = *state;
	const matrix_line *ml = &matrix[row->line];
	rights_violation why;
	grant_set g;
	int local, rc;
	char right[32];

	cell_grant(&g, &local, row->profile, row->line);
	rc = shipped_validate(&why, &g);
	if (manual_accepts(&g) >= 0) {
		assert_int_equal(rc, RIGHTS_OK);
		assert_int_equal(why.kind, RIGHTS_V_NONE);
		return;
	}
	assert_int_equal(rc, RIGHTS_EINVAL);
	assert_int_equal(why.kind, RIGHTS_V_PROFILE);
	assert_non_null(why.profile);
	/* The grant differs from column p by the cell alone: when the refusal
	 * names that column, it names the cell (an X value missing, an NA
	 * value present). Another column may come as close and be named. */
	snprintf(right, sizeof(right), "%s:%s", ml->dim, ml->value);
	if (strcmp(profile_id(why.profile), profile_ids[row->profile]) == 0) {
		assert_int_equal(why.profile_value.len, strlen(right));
		assert_memory_equal(why.profile_value.ptr, right, strlen(right));
		assert_int_equal(why.profile_value_missing, ml->marks[row->profile] == 'X');
	}
}

static const char *cell_name(int p, size_t line)
{
	const char mark = matrix[line].marks[p];
	grant_set g;
	char *name = NULL;
	int local, other;

	cell_grant(&g, &local, p, line);
	other = manual_accepts(&g);
	if (asprintf(&name, "§2.3.5 %s %s:%s is %s%s%s%s", profile_ids[p], matrix[line].dim,
	             matrix[line].value,
	             mark == 'X'   ? "X: refused without it"
	             : mark == 'O' ? "O: accepted with it"
	                           : "NA: refused with it",
	             local == (other >= 0) ? "" : " (no effect of its own: the grant fits ",
	             local == (other >= 0) ? "" : (other >= 0 ? profile_ids[other] : "no column"),
	             local == (other >= 0) ? "" : ")") < 0)
		return NULL;
	return name;
}

typedef struct matrix_row {
	const char *name;
	void (*check)(void);
} matrix_row;

static void check_columns(void)
{
	const rights_app *app = shipped_app("parcels-international");
	int p;

	assert_int_equal(app_profile_count(app), NPROFILES);
	for (p = 0; p < NPROFILES; p++)
		assert_string_equal(profile_id(app_profile_at(app, (size_t)p)), profile_ids[p]);
	assert_int_equal(dim_value_count(shipped_dim("parcels-international", "access")), NACCESS);
	assert_int_equal(dim_value_count(shipped_dim("parcels-international", "bordereau")),
	                 UNIT_NELEM(matrix) - NACCESS);
}

/* "Toujours cocher les types de bordereau applicables": each column's
 * mandatory access rights alone are refused. */
static void check_at_least_one(void)
{
	rights_violation why;
	grant_set g;
	size_t i;
	int p;

	for (p = 0; p < NPROFILES; p++) {
		memset(&g, 0, sizeof(g));
		for (i = 0; i < NACCESS; i++)
			g.has[i] = matrix[i].marks[p] == 'X';
		assert_int_equal(manual_accepts(&g), -1);
		assert_int_equal(shipped_validate(&why, &g), RIGHTS_EINVAL);
		assert_int_equal(why.kind, RIGHTS_V_PROFILE);
	}
}

/* Every set of access rights, with no bordereau type or with each one:
 * grant_validate() says what the manual's matrix says. */
static void check_every_combination(void)
{
	rights_violation why;
	grant_set g;
	unsigned mask;
	size_t b, i;
	int rc, want;

	for (mask = 0; mask < (1u << NACCESS); mask++) {
		for (b = NACCESS - 1; b < UNIT_NELEM(matrix); b++) {
			memset(&g, 0, sizeof(g));
			for (i = 0; i < NACCESS; i++)
				g.has[i] = (mask >> i) & 1;
			if (b >= NACCESS)
				g.has[b] = 1;
			want = manual_accepts(&g) >= 0 ? RIGHTS_OK : RIGHTS_EINVAL;
			rc = shipped_validate(&why, &g);
			if (rc != want) {
				for (i = 0; i < UNIT_NELEM(matrix); i++)
					if (g.has[i])
						print_message("  %s:%s\n", matrix[i].dim,
						              matrix[i].value);
				fail_msg("the grant above: rights.yaml says %d, the manual %d", rc,
				         want);
			}
			if (rc != RIGHTS_OK)
				assert_int_equal(why.kind, mask == 0 && b < NACCESS
				                                   ? RIGHTS_V_EMPTY
				                                   : RIGHTS_V_PROFILE);
		}
	}
}

static const matrix_row matrix_rows[] = {
        {"§2.3.5 four columns, 7 access rights, 15 bordereau types", check_columns},
        {"§2.3.5 every column needs a bordereau type", check_at_least_one},
        {"§2.3.5 every combination of access rights with each bordereau type",
         check_every_combination},
};

static void test_matrix(void **state)
{
	const matrix_row *row = *state;

	row->check();
}

/* ---- §2.3.5 the matrix as published (profile_mark, DESIGN §4) -------------------- */

typedef struct mark_row {
	const char *name;
	const char *profile;
	const char *dim;
	const char *value; /* NULL: the dimension itself */
	int mark;          /* RIGHTS_MARK_*, -1: not constrained */
	int at_least_one;
} mark_row;

static const mark_row mark_rows[] = {
        {"§2.3.5 read only: eshipper-light X", "read-only", "access", "eshipper-light",
         RIGHTS_MARK_X, 0},
        {"§2.3.5 read only: prices O", "read-only", "access", "prices", RIGHTS_MARK_O, 0},
        {"§2.3.5 read only: customs NA", "read-only", "access", "customs", RIGHTS_MARK_NA, 0},
        {"§2.3.5 read only: bordereau 21 not allowed", "read-only", "bordereau", "21",
         RIGHTS_MARK_NA, 1},
        {"§2.3.5 eShipper Pro 2: general X", "eshipper-pro2", "access", "general", RIGHTS_MARK_X,
         0},
        {"§2.3.5 eShipper Pro 2: bordereau 31 O, at least one", "eshipper-pro2", "bordereau", "31",
         RIGHTS_MARK_O, 1},
        {"§2.3.5 contracts are not constrained", "etoe", "contract", NULL, -1, 0},
};

static void test_mark(void **state)
{
	const mark_row *row = *state;
	const rights_app *app = shipped_app("parcels-international");
	const rights_dim *dim = shipped_dim("parcels-international", row->dim);
	const rights_profile *p = NULL;
	size_t i;

	for (i = 0; i < app_profile_count(app); i++)
		if (strcmp(profile_id(app_profile_at(app, i)), row->profile) == 0)
			p = app_profile_at(app, i);
	assert_non_null(p);
	assert_int_equal(profile_constrains(app, p, dim), row->mark >= 0);
	assert_int_equal(profile_at_least_one(app, p, dim), row->at_least_one);
	if (row->value != NULL)
		assert_int_equal(profile_mark(app, p, dim, dim_value(dim, unit_str(row->value))),
		                 row->mark);
	/* a dimension of another application is no cell of this matrix */
	assert_int_equal(profile_constrains(app, p, shipped_dim("emasspost", "role")), 0);
}

/* ---- the rows whose names are built here ------------------------------------------ */

static value_row *named_values(void)
{
	value_row *rows = calloc(UNIT_NELEM(value_rows), sizeof(*rows));
	char *name = NULL;
	size_t i;

	if (rows == NULL)
		return NULL;
	for (i = 0; i < UNIT_NELEM(value_rows); i++) {
		rows[i] = value_rows[i];
		if (asprintf(&name, "%s: %s:%s « %s »%s", value_rows[i].name, value_rows[i].dim,
		             value_rows[i].id, value_rows[i].fr,
		             value_rows[i].router_only ? ", router-only" : "") < 0)
			name = NULL;
		rows[i].name = name;
	}
	return rows;
}

int main(void)
{
	cell_row cells[NPROFILES * UNIT_NELEM(matrix)];
	value_row *values = NULL;
	rights_error err;
	size_t i, n = 0;
	int p, failed = 0;

	if (catalog_load(&shipped, RIGHTS_YAML, &err) != RIGHTS_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	values = named_values();
	if (values == NULL)
		return 1;
	for (p = 0; p < NPROFILES; p++) {
		for (i = 0; i < UNIT_NELEM(matrix); i++) {
			cells[n].name = cell_name(p, i);
			cells[n].profile = p;
			cells[n].line = i;
			n++;
		}
	}
	failed += UNIT_RUN_TABLE("§2.2.4 management rights", manage_rows, test_manage);
	failed += UNIT_RUN_TABLE("§2.3 applications", app_rows, test_app);
	failed += UNIT_RUN_TABLE("§2.3 dimensions", dim_rows, test_dim);
	failed += unit_run_rows("§2.3 values and French labels", values, UNIT_NELEM(value_rows),
	                        sizeof(values[0]), test_value);
	failed += UNIT_RUN_TABLE("§2.3.5 matrix", matrix_rows, test_matrix);
	failed += unit_run_rows("§2.3.5 matrix cells", cells, n, sizeof(cells[0]), test_cell);
	failed += UNIT_RUN_TABLE("§2.3.5 matrix as published", mark_rows, test_mark);
	for (i = 0; i < n; i++)
		free((char *)cells[i].name);
	for (i = 0; i < UNIT_NELEM(value_rows); i++)
		free((char *)values[i].name);
	free(values);
	catalog_free(shipped);
	return failed;
}
