/*
 * Parse and validate a grant (DESIGN rule 4): every umRight value must name
 * a dimension of the application and a value that exists, statically in
 * rights.yaml or dynamically in the scoped organisation; then the whole
 * grant must fit one profile of the application's matrix (§2.3.5).
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_priv.h"

/* One umRight value, resolved against the catalogue. */
typedef struct parsed_right {
	size_t dim;   /* index in app->dims */
	size_t value; /* index in the dimension's values; static dimensions only */
} parsed_right;

/* For the duplicate check: values sorted by bytes, then by position. */
typedef struct sorted_right {
	rights_str s;
	size_t i;
} sorted_right;

static int is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

int right_parse(rights_str *dim, rights_str *value, rights_str right)
{
	const char *colon = NULL;
	rights_str d, v;
	size_t i;

	if (right.ptr == NULL || right.len == 0)
		return RIGHTS_EINVAL;
	for (i = 0; i < right.len; i++)
		if (is_control((unsigned char)right.ptr[i]))
			return RIGHTS_EINVAL;
	colon = memchr(right.ptr, ':', right.len);
	if (colon == NULL)
		return RIGHTS_EINVAL;
	d.ptr = right.ptr;
	d.len = (size_t)(colon - right.ptr);
	v.ptr = colon + 1;
	v.len = right.len - d.len - 1;
	if (d.len == 0 || v.len == 0)
		return RIGHTS_EINVAL;
	/* "product: letter" would never match the caseExact umRight lookups. */
	if (d.ptr[0] == ' ' || d.ptr[d.len - 1] == ' ' || v.ptr[0] == ' ' ||
	    v.ptr[v.len - 1] == ' ')
		return RIGHTS_EINVAL;
	if (dim != NULL)
		*dim = d;
	if (value != NULL)
		*value = v;
	return RIGHTS_OK;
}

static int refuse(rights_violation *why, rights_violation_kind kind, rights_str value)
{
	why->kind = kind;
	why->value = value;
	return RIGHTS_EINVAL;
}

static int check_value(rights_violation *why, parsed_right *out, const struct rights_app *app,
                       rights_str right, const rights_grant_ctx *ctx)
{
	const struct rights_dim *dim = NULL;
	const struct rights_value *val = NULL;
	rights_str d, v, kind = {NULL, 0};
	int found;

	if (right_parse(&d, &v, right) != RIGHTS_OK)
		return refuse(why, RIGHTS_V_MALFORMED, right);
	dim = app_dim(app, d);
	if (dim == NULL)
		return refuse(why, RIGHTS_V_UNKNOWN_DIM, right);
	out->dim = (size_t)(dim - app->dims);
	if (dim->source == RIGHTS_SOURCE_STATIC) {
		val = dim_value(dim, v);
		if (val == NULL)
			return refuse(why, RIGHTS_V_UNKNOWN_VALUE, right);
		/* §2.3.1: Senders Management is for conventional routers only. */
		if (val->router_only && !ctx->scope_is_router)
			return refuse(why, RIGHTS_V_ROUTER_ONLY, right);
		out->value = (size_t)(val - dim->values);
		return RIGHTS_OK;
	}
	if (ctx->resolve == NULL)
		return RIGHTS_OK;
	found = ctx->resolve(ctx->resolve_ctx, dim->source, v, &kind);
	if (found < 0) {
		why->value = right;
		return found;
	}
	if (found == 0)
		return refuse(why,
		              dim->source == RIGHTS_SOURCE_BILLING ? RIGHTS_V_NO_SUCH_BILLING
		                                                   : RIGHTS_V_NO_SUCH_CONTRACT,
		              right);
	/* §2.3.3: "il est uniquement possible de sélectionner le contrat CS Master". */
	if (dim->source == RIGHTS_SOURCE_CONTRACT && !dim_accepts_kind(dim, kind))
		return refuse(why, RIGHTS_V_WRONG_KIND, right);
	return RIGHTS_OK;
}

static int sorted_cmp(const void *a, const void *b)
{
	const sorted_right *x = a, *y = b;
	size_t n = x->s.len < y->s.len ? x->s.len : y->s.len;
	int c = n ? memcmp(x->s.ptr, y->s.ptr, n) : 0;

	if (c != 0)
		return c;
	if (x->s.len != y->s.len)
		return x->s.len < y->s.len ? -1 : 1;
	return x->i < y->i ? -1 : (x->i > y->i);
}

static int same_str(rights_str a, rights_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* The earliest value that repeats an earlier one, in O(n log n) since a
 * client may send thousands of values in one modify. */
static int check_duplicates(rights_violation *why, const rights_str *values, size_t n)
{
	sorted_right *sorted = NULL;
	size_t i, dup = n;

	if (n < 2)
		return RIGHTS_OK;
	sorted = calloc(n, sizeof(*sorted));
	if (sorted == NULL)
		return RIGHTS_ENOMEM;
	for (i = 0; i < n; i++) {
		sorted[i].s = values[i];
		sorted[i].i = i;
	}
	qsort(sorted, n, sizeof(*sorted), sorted_cmp);
	/* The second entry of each run of equal values is its first repeat. */
	for (i = 1; i < n; i++)
		if (same_str(sorted[i].s, sorted[i - 1].s) &&
		    (i == 1 || !same_str(sorted[i - 1].s, sorted[i - 2].s)) && sorted[i].i < dup)
			dup = sorted[i].i;
	free(sorted);
	if (dup == n)
		return RIGHTS_OK;
	return refuse(why, RIGHTS_V_DUPLICATE, values[dup]);
}

static const struct rights_require *profile_require(const struct rights_profile *p, size_t dim)
{
	size_t r;

	for (r = 0; r < p->nrequire; r++)
		if (p->require[r].dim == dim)
			return &p->require[r];
	return NULL;
}

static int grant_has(const parsed_right *parsed, size_t n, size_t dim, size_t value)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (parsed[i].dim == dim && parsed[i].value == value)
			return 1;
	return 0;
}

static int grant_has_dim(const parsed_right *parsed, size_t n, size_t dim)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (parsed[i].dim == dim)
			return 1;
	return 0;
}

static void note_problem(rights_violation *first, size_t *count, rights_str value, int missing)
{
	if ((*count)++ > 0)
		return;
	first->profile_value = value;
	first->profile_value_missing = missing;
}

static rights_str cstr(const char *s)
{
	rights_str r = {s, strlen(s)};

	return r;
}

/* How far grant G is from fitting profile P (doc/rights-yaml-format.md,
 * "Profile semantics"); 0 means P fits. The first problem found (NA values
 * present, in grant order; then absent X values; then empty at-least-one
 * dimensions) goes into *first. */
static size_t profile_distance(rights_violation *first, const struct rights_app *app,
                               const struct rights_profile *p, const rights_str *values,
                               const parsed_right *parsed, size_t n)
{
	const struct rights_require *req = NULL;
	const struct rights_dim *dim = NULL;
	size_t count = 0, i, r, v;

	for (i = 0; i < n; i++) {
		req = profile_require(p, parsed[i].dim);
		/* §2.3.5: NA = not applicable/not allowed. */
		if (req != NULL && req->marks[parsed[i].value] == RIGHTS_MARK_NA)
			note_problem(first, &count, values[i], 0);
	}
	for (r = 0; r < p->nrequire; r++) {
		dim = &app->dims[p->require[r].dim];
		for (v = 0; v < dim->nvalues; v++)
			/* §2.3.5: X = mandatory. */
			if (p->require[r].marks[v] == RIGHTS_MARK_X &&
			    !grant_has(parsed, n, p->require[r].dim, v))
				note_problem(first, &count, cstr(dim->values[v].right), 1);
	}
	/* §2.3.5: "toujours cocher les types de bordereau applicables". */
	for (i = 0; i < p->nat_least_one; i++)
		if (!grant_has_dim(parsed, n, p->at_least_one[i]))
			note_problem(first, &count, cstr(app->dims[p->at_least_one[i]].id), 1);
	return count;
}

static int check_profiles(rights_violation *why, const struct rights_app *app,
                          const rights_str *values, const parsed_right *parsed, size_t n)
{
	rights_violation best, cur;
	size_t i, d, best_d = (size_t)-1;

	memset(&best, 0, sizeof(best));
	for (i = 0; i < app->nprofiles; i++) {
		memset(&cur, 0, sizeof(cur));
		d = profile_distance(&cur, app, &app->profiles[i], values, parsed, n);
		if (d == 0)
			return RIGHTS_OK;
		if (d < best_d) {
			best_d = d;
			best = cur;
			best.profile = &app->profiles[i];
		}
	}
	why->profile = best.profile;
	why->profile_value = best.profile_value;
	why->profile_value_missing = best.profile_value_missing;
	return refuse(why, RIGHTS_V_PROFILE, best.profile_value);
}

static int app_in_catalog(const rights_catalog *cat, const rights_app *app)
{
	size_t i;

	for (i = 0; i < cat->napps; i++)
		if (&cat->apps[i] == app)
			return 1;
	return 0;
}

int grant_validate(rights_violation *why, const rights_catalog *cat, const rights_app *app,
                   const rights_str *values, size_t n, const rights_grant_ctx *ctx)
{
	static const rights_grant_ctx no_ctx = {0, NULL, NULL};
	static const rights_str none = {NULL, 0};
	rights_violation scratch;
	parsed_right *parsed = NULL;
	size_t i;
	int rc = RIGHTS_OK;

	if (why == NULL)
		why = &scratch;
	memset(why, 0, sizeof(*why));
	if (ctx == NULL)
		ctx = &no_ctx;
	if (app == NULL || (cat != NULL && !app_in_catalog(cat, app)))
		return refuse(why, RIGHTS_V_UNKNOWN_APP, none);
	if (n == 0 || values == NULL)
		return refuse(why, RIGHTS_V_EMPTY, none);

	parsed = calloc(n, sizeof(*parsed));
	if (parsed == NULL)
		return RIGHTS_ENOMEM;
	for (i = 0; i < n; i++) {
		rc = check_value(why, &parsed[i], app, values[i], ctx);
		if (rc != RIGHTS_OK)
			goto cleanup;
	}
	rc = check_duplicates(why, values, n);
	if (rc != RIGHTS_OK)
		goto cleanup;
	if (app->nprofiles > 0)
		rc = check_profiles(why, app, values, parsed, n);

cleanup:
	free(parsed);
	return rc;
}
