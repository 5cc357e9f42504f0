/*
 * libFuzzer target: umRight values -> right_parse() and grant_validate()
 * against a small catalogue with static, billing and contract dimensions
 * and a §2.3.5-style profile matrix. Input: one flag byte (bit 0: the
 * scope is a router, bit 1: no resolver, bits 2-3: the application), then
 * values separated by '\n'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define L    "{nl: n, fr: f, de: d, en: e}"
#define MAXV 256

static const char catalog_yaml[] =
        "version: 1\n"
        "management:\n"
        "  - {id: admins, label: " L "}\n"
        "  - {id: users, label: " L "}\n"
        "  - {id: password-recovery, label: " L "}\n"
        "  - {id: ftp, label: " L "}\n"
        "applications:\n"
        "  - id: emasspost\n"
        "    label: " L "\n"
        "    delegable: true\n"
        "    dimensions:\n"
        "      - {id: product, label: " L ", values: [{id: letter, label: " L
        "}, {id: prior, label: " L "}]}\n"
        "      - {id: billing, label: " L ", source: billing}\n"
        "      - id: role\n"
        "        label: " L "\n"
        "        values:\n"
        "          - {id: creation, label: " L "}\n"
        "          - {id: senders-management, label: " L ", router-only: true}\n"
        "  - id: parcels-international\n"
        "    label: " L "\n"
        "    dimensions:\n"
        "      - {id: access, label: " L ", values: [{id: light, label: " L
        "}, {id: general, label: " L "}, {id: prices, label: " L "}]}\n"
        "      - {id: contract, label: " L ", source: contract, kinds: [parcels-international]}\n"
        "      - {id: bordereau, label: " L ", values: [{id: \"10\", label: " L
        "}, {id: \"21\", label: " L "}]}\n"
        "    profiles:\n"
        "      - id: read-only\n"
        "        label: " L "\n"
        "        require: {access: {light: X, prices: O}, bordereau: {\"10\": O}}\n"
        "        at-least-one: [bordereau]\n"
        "      - id: general-access\n"
        "        label: " L "\n"
        "        require: {access: {general: X, prices: O}, bordereau: {\"10\": O, \"21\": O}}\n"
        "        at-least-one: [bordereau]\n";

/* Deterministic stand-in for the organisation's entries. */
static int resolve(void *ctx, rights_source source, rights_str id, rights_str *kind)
{
	(void)ctx;
	if (id.len == 0 || id.ptr[0] == 'E')
		return -7;
	if ((unsigned char)id.ptr[0] % 2 == 0)
		return 0;
	if (source == RIGHTS_SOURCE_CONTRACT) {
		kind->ptr = (id.len % 2) ? "parcels-international" : "cs-master";
		kind->len = strlen(kind->ptr);
	}
	return 1;
}

static int within(rights_str s, const uint8_t *data, size_t size)
{
	return s.ptr >= (const char *)data && s.ptr + s.len <= (const char *)data + size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static rights_catalog *cat; /* loaded once, reachable until exit */
	rights_str values[MAXV], d, v;
	rights_violation why;
	rights_grant_ctx ctx = {0, resolve, NULL};
	const rights_app *app = NULL;
	rights_msg_args args;
	char text[256];
	size_t n = 0, start, i;
	int rc;

	if (cat == NULL &&
	    catalog_load_buffer(&cat, "fuzz", catalog_yaml, sizeof(catalog_yaml) - 1, NULL) != 0)
		abort();
	if (size == 0)
		return 0;
	ctx.scope_is_router = data[0] & 1;
	if (data[0] & 2)
		ctx.resolve = NULL;
	app = catalog_app_at(cat, (size_t)((data[0] >> 2) & 3)); /* 2 and 3: NULL */
	for (start = i = 1; i <= size && n < MAXV; i++) {
		if (i == size || data[i] == '\n') {
			values[n].ptr = (const char *)data + start;
			values[n].len = i - start;
			if (right_parse(&d, &v, values[n]) == RIGHTS_OK &&
			    (d.ptr != values[n].ptr || d.len == 0 || v.len == 0 ||
			     d.len + 1 + v.len != values[n].len))
				abort();
			n++;
			start = i + 1;
		}
	}
	rc = grant_validate(&why, cat, app, values, n, &ctx);
	if (rc == RIGHTS_OK && why.kind != RIGHTS_V_NONE)
		abort();
	if (rc == RIGHTS_EINVAL) {
		if (why.kind == RIGHTS_V_NONE)
			abort();
		if (why.kind != RIGHTS_V_PROFILE && why.kind != RIGHTS_V_UNKNOWN_APP &&
		    why.kind != RIGHTS_V_EMPTY && !within(why.value, data, size))
			abort();
		if (why.kind == RIGHTS_V_PROFILE && why.profile == NULL)
			abort();
		memset(&args, 0, sizeof(args));
		args.reason = messages_violation(why.kind, RIGHTS_LANG_FR);
		if (messages_format(text, sizeof(text), MSG_INVALID_VALUE, RIGHTS_LANG_FR, &args) ==
		    0)
			abort();
	}
	return 0;
}
