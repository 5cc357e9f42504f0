/*
 * libFuzzer target: rights.yaml bytes -> catalog_load_buffer(). Besides
 * crashes and leaks, it checks the loader's contract: a catalogue on
 * success, NULL and a "name:line:col: " message on failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every borrowed string so ASan sees any dangling one. */
static size_t walk(const rights_catalog *cat)
{
	const rights_app *app = NULL;
	const rights_dim *dim = NULL;
	size_t sum = 0, a, d, v, p;
	int l;

	for (a = 0; a < catalog_manage_count(cat); a++)
		sum += strlen(catalog_manage_at(cat, a));
	for (a = 0; a < catalog_app_count(cat); a++) {
		app = catalog_app_at(cat, a);
		for (l = 0; l < RIGHTS_LANG_COUNT; l++)
			sum += strlen(app_label(app, (rights_lang)l));
		for (d = 0; d < app_dim_count(app); d++) {
			dim = app_dim_at(app, d);
			sum += strlen(dim_label(dim, RIGHTS_LANG_FR));
			for (v = 0; v < dim_value_count(dim); v++)
				sum += strlen(value_label(dim_value_at(dim, v), RIGHTS_LANG_DE));
		}
		for (p = 0; p < app_profile_count(app); p++)
			sum += strlen(profile_id(app_profile_at(app, p)));
		for (p = 0; p < app_projection_count(app); p++)
			sum += strlen(app_projection_at(app, p)->template);
	}
	return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rights_catalog *cat = NULL;
	rights_error err;
	int rc = catalog_load_buffer(&cat, "fuzz", (const char *)data, size, &err);

	if (rc == RIGHTS_OK) {
		if (cat == NULL)
			abort();
		(void)walk(cat);
	} else if (cat != NULL || memchr(err.message, '\0', sizeof(err.message)) == NULL ||
	           (rc == RIGHTS_ESYNTAX &&
	            (strncmp(err.message, "fuzz:", 5) != 0 || err.line < 1 || err.column < 1))) {
		abort();
	}
	catalog_free(cat);
	return 0;
}
