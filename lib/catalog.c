/*
 * The catalogue: applications, dimensions, values and their labels, as
 * loaded from rights.yaml by catalog_load.c. Lookups only; immutable after
 * loading, so every function here is safe to call from any thread.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_priv.h"

/* Index = rights_lang; the portal speaks these four (manual §1.2: NL FR DE EN). */
static const char *const lang_codes[RIGHTS_LANG_COUNT] = {"en", "nl", "fr", "de"};

int catalog_str_eq(const char *id, rights_str s)
{
	size_t n;

	if (id == NULL || (s.ptr == NULL && s.len > 0))
		return 0;
	n = strlen(id);
	return n == s.len && (n == 0 || memcmp(id, s.ptr, n) == 0);
}

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int lang_parse(rights_lang *out, const char *tag, size_t len)
{
	size_t i;
	int l;

	if (out == NULL || tag == NULL || len < 2)
		return RIGHTS_EINVAL;
	/* "fr-BE", "nl_BE": only the primary subtag chooses the language, but
	 * the rest must still look like a tag, not arbitrary bytes. */
	if (len > 2) {
		if ((tag[2] != '-' && tag[2] != '_') || len == 3)
			return RIGHTS_EINVAL;
		for (i = 3; i < len; i++)
			if (!is_alnum((unsigned char)tag[i]) && tag[i] != '-' && tag[i] != '_')
				return RIGHTS_EINVAL;
	}
	for (l = 0; l < RIGHTS_LANG_COUNT; l++) {
		if (ascii_lower((unsigned char)tag[0]) == lang_codes[l][0] &&
		    ascii_lower((unsigned char)tag[1]) == lang_codes[l][1]) {
			*out = (rights_lang)l;
			return RIGHTS_OK;
		}
	}
	return RIGHTS_EINVAL;
}

rights_lang lang_or_default(const char *tag, size_t len)
{
	rights_lang lang = RIGHTS_LANG_EN;

	(void)lang_parse(&lang, tag, len);
	return lang;
}

const char *lang_code(rights_lang lang)
{
	if ((int)lang < 0 || lang >= RIGHTS_LANG_COUNT)
		return lang_codes[RIGHTS_LANG_EN];
	return lang_codes[lang];
}

static const char *label_in(char *const label[RIGHTS_LANG_COUNT], rights_lang lang)
{
	if ((int)lang < 0 || lang >= RIGHTS_LANG_COUNT)
		lang = RIGHTS_LANG_EN;
	return label[lang];
}

/* ---- free ---------------------------------------------------------------- */

static void label_free(char *label[RIGHTS_LANG_COUNT])
{
	int l;

	for (l = 0; l < RIGHTS_LANG_COUNT; l++)
		free(label[l]);
}

static void dim_free(struct rights_dim *dim)
{
	size_t i;

	free(dim->id);
	label_free(dim->label);
	for (i = 0; i < dim->nvalues; i++) {
		free(dim->values[i].id);
		free(dim->values[i].right);
		label_free(dim->values[i].label);
	}
	free(dim->values);
	for (i = 0; i < dim->nkinds; i++)
		free(dim->kinds[i]);
	free(dim->kinds);
}

static void profile_free(struct rights_profile *p)
{
	size_t i;

	free(p->id);
	label_free(p->label);
	for (i = 0; i < p->nrequire; i++)
		free(p->require[i].marks);
	free(p->require);
	free(p->at_least_one);
}

static void projections_free(rights_projection *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free((char *)v[i].name);
		free((char *)v[i].template);
	}
	free(v);
}

static void app_free(struct rights_app *app)
{
	size_t i;

	free(app->id);
	label_free(app->label);
	for (i = 0; i < app->ndims; i++)
		dim_free(&app->dims[i]);
	free(app->dims);
	for (i = 0; i < app->nprofiles; i++)
		profile_free(&app->profiles[i]);
	free(app->profiles);
	projections_free(app->projections, app->nprojections);
}

void catalog_free(rights_catalog *cat)
{
	size_t i;

	if (cat == NULL)
		return;
	for (i = 0; i < cat->nmanage; i++) {
		free(cat->manage[i].id);
		label_free(cat->manage[i].label);
		projections_free(cat->manage[i].projections, cat->manage[i].nprojections);
	}
	free(cat->manage);
	for (i = 0; i < cat->napps; i++)
		app_free(&cat->apps[i]);
	free(cat->apps);
	free(cat);
}

/* ---- management rights (§2.2.4) ------------------------------------------ */

size_t catalog_manage_count(const rights_catalog *cat)
{
	return cat ? cat->nmanage : 0;
}

const char *catalog_manage_at(const rights_catalog *cat, size_t i)
{
	if (cat == NULL || i >= cat->nmanage)
		return NULL;
	return cat->manage[i].id;
}

static const struct rights_manage *manage_find(const rights_catalog *cat, rights_str id)
{
	size_t i;

	if (cat == NULL)
		return NULL;
	for (i = 0; i < cat->nmanage; i++)
		if (catalog_str_eq(cat->manage[i].id, id))
			return &cat->manage[i];
	return NULL;
}

int catalog_manage_exists(const rights_catalog *cat, rights_str id)
{
	return manage_find(cat, id) != NULL;
}

const char *catalog_manage_label(const rights_catalog *cat, rights_str id, rights_lang lang)
{
	const struct rights_manage *m = manage_find(cat, id);

	return m ? label_in(m->label, lang) : NULL;
}

size_t catalog_manage_projection_count(const rights_catalog *cat, size_t i)
{
	if (cat == NULL || i >= cat->nmanage)
		return 0;
	return cat->manage[i].nprojections;
}

const rights_projection *catalog_manage_projection_at(const rights_catalog *cat, size_t i, size_t k)
{
	if (cat == NULL || i >= cat->nmanage || k >= cat->manage[i].nprojections)
		return NULL;
	return &cat->manage[i].projections[k];
}

/* ---- applications ---------------------------------------------------------- */

size_t catalog_app_count(const rights_catalog *cat)
{
	return cat ? cat->napps : 0;
}

const rights_app *catalog_app_at(const rights_catalog *cat, size_t i)
{
	if (cat == NULL || i >= cat->napps)
		return NULL;
	return &cat->apps[i];
}

const rights_app *catalog_app(const rights_catalog *cat, rights_str id)
{
	size_t i;

	if (cat == NULL)
		return NULL;
	for (i = 0; i < cat->napps; i++)
		if (catalog_str_eq(cat->apps[i].id, id))
			return &cat->apps[i];
	return NULL;
}

const char *app_id(const rights_app *app)
{
	return app ? app->id : NULL;
}

const char *app_label(const rights_app *app, rights_lang lang)
{
	return app ? label_in(app->label, lang) : NULL;
}

int app_delegable(const rights_app *app)
{
	return app ? app->delegable : 0;
}

size_t app_dim_count(const rights_app *app)
{
	return app ? app->ndims : 0;
}

const rights_dim *app_dim_at(const rights_app *app, size_t i)
{
	if (app == NULL || i >= app->ndims)
		return NULL;
	return &app->dims[i];
}

const rights_dim *app_dim(const rights_app *app, rights_str id)
{
	size_t i;

	if (app == NULL)
		return NULL;
	for (i = 0; i < app->ndims; i++)
		if (catalog_str_eq(app->dims[i].id, id))
			return &app->dims[i];
	return NULL;
}

size_t app_profile_count(const rights_app *app)
{
	return app ? app->nprofiles : 0;
}

const rights_profile *app_profile_at(const rights_app *app, size_t i)
{
	if (app == NULL || i >= app->nprofiles)
		return NULL;
	return &app->profiles[i];
}

const char *profile_id(const rights_profile *p)
{
	return p ? p->id : NULL;
}

const char *profile_label(const rights_profile *p, rights_lang lang)
{
	return p ? label_in(p->label, lang) : NULL;
}

/* The index of dim in app's dimensions, or -1. */
static long dim_index(const rights_app *app, const rights_dim *dim)
{
	if (app == NULL || dim == NULL || dim < app->dims || dim >= app->dims + app->ndims)
		return -1;
	return (long)(dim - app->dims);
}

static const struct rights_require *profile_require(const rights_app *app, const rights_profile *p,
                                                    const rights_dim *dim)
{
	long d = dim_index(app, dim);
	size_t i;

	if (p == NULL || d < 0)
		return NULL;
	for (i = 0; i < p->nrequire; i++)
		if (p->require[i].dim == (size_t)d)
			return &p->require[i];
	return NULL;
}

int profile_constrains(const rights_app *app, const rights_profile *p, const rights_dim *dim)
{
	return profile_require(app, p, dim) != NULL;
}

int profile_mark(const rights_app *app, const rights_profile *p, const rights_dim *dim,
                 const rights_value *v)
{
	const struct rights_require *r = profile_require(app, p, dim);

	if (r == NULL || v == NULL || v < dim->values || v >= dim->values + dim->nvalues)
		return -1;
	return r->marks[v - dim->values];
}

int profile_at_least_one(const rights_app *app, const rights_profile *p, const rights_dim *dim)
{
	long d = dim_index(app, dim);
	size_t i;

	if (p == NULL || d < 0)
		return 0;
	for (i = 0; i < p->nat_least_one; i++)
		if (p->at_least_one[i] == (size_t)d)
			return 1;
	return 0;
}

size_t app_projection_count(const rights_app *app)
{
	return app ? app->nprojections : 0;
}

const rights_projection *app_projection_at(const rights_app *app, size_t i)
{
	if (app == NULL || i >= app->nprojections)
		return NULL;
	return &app->projections[i];
}

/* ---- dimensions and values ------------------------------------------------- */

const char *dim_id(const rights_dim *dim)
{
	return dim ? dim->id : NULL;
}

const char *dim_label(const rights_dim *dim, rights_lang lang)
{
	return dim ? label_in(dim->label, lang) : NULL;
}

size_t dim_kind_count(const rights_dim *dim)
{
	return dim ? dim->nkinds : 0;
}

const char *dim_kind_at(const rights_dim *dim, size_t i)
{
	if (dim == NULL || i >= dim->nkinds)
		return NULL;
	return dim->kinds[i];
}

rights_source dim_source(const rights_dim *dim)
{
	return dim ? dim->source : RIGHTS_SOURCE_STATIC;
}

int dim_accepts_kind(const rights_dim *dim, rights_str kind)
{
	size_t i;

	if (dim == NULL || dim->source != RIGHTS_SOURCE_CONTRACT)
		return 0;
	for (i = 0; i < dim->nkinds; i++)
		if (catalog_str_eq(dim->kinds[i], kind))
			return 1;
	return 0;
}

size_t dim_value_count(const rights_dim *dim)
{
	return dim ? dim->nvalues : 0;
}

const rights_value *dim_value_at(const rights_dim *dim, size_t i)
{
	if (dim == NULL || i >= dim->nvalues)
		return NULL;
	return &dim->values[i];
}

const rights_value *dim_value(const rights_dim *dim, rights_str id)
{
	size_t i;

	if (dim == NULL)
		return NULL;
	for (i = 0; i < dim->nvalues; i++)
		if (catalog_str_eq(dim->values[i].id, id))
			return &dim->values[i];
	return NULL;
}

const char *value_id(const rights_value *v)
{
	return v ? v->id : NULL;
}

const char *value_label(const rights_value *v, rights_lang lang)
{
	return v ? label_in(v->label, lang) : NULL;
}

int value_router_only(const rights_value *v)
{
	return v ? v->router_only : 0;
}
