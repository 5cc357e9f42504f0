/*
 * May holder H give or take values V (DESIGN rule 3)? An admin creates
 * users "qui ont autant ou moins de droits que vous" (§2.3); rights it does
 * not hold are greyed out (§2.2.4 note ***), so it can neither add nor
 * remove them.
 */
#include <string.h>

#include "rights.h"

int subset_contains(const rights_str *set, size_t n, rights_str v)
{
	size_t i;

	if (set == NULL)
		return 0;
	/* umRight and umManage are caseExact: compare bytes, not folded text. */
	for (i = 0; i < n; i++)
		if (set[i].len == v.len && (v.len == 0 || memcmp(set[i].ptr, v.ptr, v.len) == 0))
			return 1;
	return 0;
}

long subset_first_missing(const rights_str *const *held_sets, const size_t *held_counts,
                          size_t nsets, const rights_str *changed, size_t nchanged)
{
	size_t i, s;
	int held;

	if (changed == NULL)
		return -1;
	for (i = 0; i < nchanged; i++) {
		held = 0;
		/* A router admin's holdings are its grant plus the customer's
		 * delegation (§2.3.1 sous-traitants): the union of the sets. */
		for (s = 0; s < nsets && !held; s++)
			held = held_sets != NULL && held_counts != NULL &&
			       subset_contains(held_sets[s], held_counts[s], changed[i]);
		if (!held)
			return (long)i;
	}
	return -1;
}

size_t subset_changed(rights_str *out, const rights_str *before, size_t nb, const rights_str *after,
                      size_t na)
{
	size_t i, n = 0;

	/* given and taken alike (§2.2.4 note ***: greyed out either way) */
	for (i = 0; i < na; i++)
		if (!subset_contains(before, nb, after[i]))
			out[n++] = after[i];
	for (i = 0; i < nb; i++)
		if (!subset_contains(after, na, before[i]))
			out[n++] = before[i];
	return n;
}
