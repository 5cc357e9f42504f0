/*
 * Private layout of the catalogue, shared by catalog.c (lookups and free),
 * catalog_load.c (which builds it) and grant.c (which walks the profile
 * matrix). Nothing outside lib/ includes this file.
 *
 * Every string is owned by the catalogue unless marked "borrowed"; arrays
 * are allocated with their final size, so pointers into them stay valid for
 * the catalogue's lifetime.
 */
#ifndef PORTAL_UM_CATALOG_PRIV_H
#define PORTAL_UM_CATALOG_PRIV_H

#include "rights.h"

struct rights_value {
	char *id;
	/* "dim:value", the umRight form: what a profile violation names when
	 * a mandatory value is absent from the caller's grant. */
	char *right;
	char *label[RIGHTS_LANG_COUNT];
	int router_only;
};

struct rights_dim {
	char *id;
	char *label[RIGHTS_LANG_COUNT];
	rights_source source;
	struct rights_value *values;
	size_t nvalues;
	char **kinds;
	size_t nkinds;
};

/* One `require:` entry of a profile: a mark per value of a static dimension
 * (values the profile does not list stay RIGHTS_MARK_NA). */
struct rights_require {
	size_t dim;
	unsigned char *marks;
};

struct rights_profile {
	char *id;
	char *label[RIGHTS_LANG_COUNT];
	struct rights_require *require;
	size_t nrequire;
	size_t *at_least_one; /* dimension indexes */
	size_t nat_least_one;
};

struct rights_app {
	char *id;
	char *label[RIGHTS_LANG_COUNT];
	int delegable;
	struct rights_dim *dims;
	size_t ndims;
	struct rights_profile *profiles;
	size_t nprofiles;
	/* kind: static literal; name, template: owned; for_dim: borrowed from
	 * the dimension's id. */
	rights_projection *projections;
	size_t nprojections;
};

struct rights_manage {
	char *id;
	char *label[RIGHTS_LANG_COUNT];
	/* `project:` of the entry (FTP access, §2.2.4): as an application's,
	 * never with for_dim */
	rights_projection *projections;
	size_t nprojections;
};

struct rights_catalog {
	struct rights_manage *manage;
	size_t nmanage;
	struct rights_app *apps;
	size_t napps;
};

/* 1 if the NUL-terminated `id` equals `s` byte for byte. */
int catalog_str_eq(const char *id, rights_str s);

#endif
