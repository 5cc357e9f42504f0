/*
 * rights.yaml loader: every rule of doc/rights-yaml-format.md, each row
 * asserting the exact "name:line:col:" of the error and what it says.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "unit.h"

#define L    UNIT_LABEL
#define HEAD UNIT_HEAD
/* lines 8-10 */
#define APP_TOP                                                                                    \
	"  - id: app\n"                                                                            \
	"    label: " L "\n"                                                                       \
	"    dimensions:\n"
/* lines 11-14 */
#define DIM_D                                                                                      \
	"      - id: d\n"                                                                          \
	"        label: " L "\n"                                                                   \
	"        values:\n"                                                                        \
	"          - {id: v, label: " L "}\n"
/* lines 15-17 when after DIM_D */
#define DIM_B                                                                                      \
	"      - id: b\n"                                                                          \
	"        label: " L "\n"                                                                   \
	"        source: billing\n"
#define APP  APP_TOP DIM_D
#define APP2 APP DIM_B
/* A profile header at lines 18-20 after APP2. */
#define PROFILE_P                                                                                  \
	"    profiles:\n"                                                                          \
	"      - id: p\n"                                                                          \
	"        label: " L "\n"
#define DEEP40                                                                                     \
	"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["                                                 \
	"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"

/* management with the ftp entry's project: at line 8, its items from line 9 */
#define MHEAD_TOP                                                                                  \
	"version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY "  - id: ftp\n"     \
	"    label: " L "\n"
#define MHEAD MHEAD_TOP "    project:\n"
#define MTAIL "applications:\n" APP

typedef struct load_row {
	const char *name;
	const char *yaml;
	int line; /* 0: the document is valid */
	int column;
	const char *says;
} load_row;

static const load_row rows[] = {
        /* valid documents */
        {"minimal catalogue: one app, one static dimension", HEAD APP, 0, 0, NULL},
        {"billing and contract sources need no values",
         HEAD APP2 "      - {id: c, label: " L ", source: contract, kinds: [cs-master]}\n", 0, 0,
         NULL},
        {"!!str and quoted ids are text",
         HEAD "  - id: !!str app\n    label: " L "\n    dimensions:\n      - {id: \"d\", label: " L
              ", values: [{id: '10', label: " L "}]}\n",
         0, 0, NULL},
        {"delegable and router-only take true/false",
         HEAD APP "          - {id: w, label: " L ", router-only: false}\n    delegable: false\n",
         0, 0, NULL},
        {"block-style labels",
         HEAD APP_TOP "      - id: d\n        label:\n          nl: n\n"
                      "          fr: f\n          de: d\n          en: \"é\"\n"
                      "        values: [{id: v, label: " L "}]\n",
         0, 0, NULL},

        /* YAML itself */
        {"empty file", "", 1, 1, "empty document"},
        {"a file of comments only is empty", "# nothing here\n", 1, 1, "empty document"},
        {"a lone document marker is empty", "---\n", 2, 1, "empty document"},
        {"syntax: unclosed flow sequence", "version: 1\nmanagement: [\n", 3, 1,
         "YAML syntax error: did not find expected node content"},
        {"syntax: mapping value in a scalar", "version: 1\n bad: 2\n", 2, 5,
         "YAML syntax error: mapping values are not allowed"},
        {"syntax: tab indentation", "version: 1\n\tmanagement: x\n", 2, 1, "YAML syntax error"},
        {"syntax: unterminated quoted scalar", "version: 1\nx: \"abc\n", 3, 1,
         "YAML syntax error: found unexpected end of stream"},
        {"syntax: invalid UTF-8", "version: 1\nab: c\xff\n", 2, 6,
         "YAML syntax error: invalid leading UTF-8 octet"},
        {"the document must be a mapping, not a list", "- a\n- b\n", 1, 1,
         "the document must be a mapping, not a list"},
        {"the document must be a mapping, not a scalar", "just text\n", 1, 1,
         "the document must be a mapping, not a scalar"},
        {"a single YAML document", "version: 1\n---\nversion: 1\n", 2, 1,
         "only one YAML document is allowed"},
        {"anchors are refused", HEAD "  - id: app\n    label: &lbl " L "\n", 9, 12,
         "anchors are not allowed"},
        {"aliases are refused", HEAD "  - id: app\n    label: *lbl\n", 9, 12,
         "aliases are not allowed"},
        {"typed scalars are refused", HEAD "  - id: !!int 5\n", 8, 9,
         "tag \"tag:yaml.org,2002:int\" is not allowed"},
        {"application tags are refused", HEAD "  - id: !app x\n", 8, 9,
         "tag \"!app\" is not allowed"},
        {"keys must be scalars", HEAD APP "    ? [k]\n    : v\n", 15, 7,
         "keys of application must be scalars, not a list"},
        {"duplicate keys", HEAD APP "    label: " L "\n", 15, 5,
         "duplicate key \"label\" in application"},
        {"nesting is bounded", HEAD APP "    project: " DEEP40 "\n", 15, 43,
         "nested deeper than 32 levels"},

        /* top level */
        {"version is required", "management: []\napplications: []\n", 1, 1,
         "missing key \"version\" in the document"},
        {"version must be 1, not 2", "version: 2\nmanagement: []\n", 1, 10,
         "\"version\" must be 1"},
        {"version must be the number 1, not a string", "version: \"1\"\n", 1, 10,
         "\"version\" must be 1"},
        {"version must be a scalar", "version: [1]\n", 1, 10, "\"version\" must be 1"},
        {"unknown top-level key", HEAD APP "extra: 1\n", 15, 1,
         "unknown key \"extra\" in the document"},
        {"management is required", "version: 1\napplications: []\n", 1, 1,
         "missing key \"management\" in the document"},
        {"management must be a list", "version: 1\nmanagement: {}\n", 2, 13,
         "\"management\" must be a list, not a mapping"},
        {"applications are required",
         "version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY UNIT_M_FTP, 1, 1,
         "missing key \"applications\" in the document"},
        {"applications must not be empty",
         "version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY UNIT_M_FTP
         "applications: []\n",
         7, 15, "\"applications\" must not be empty"},

        /* §2.2.4 management rights */
        {"§2.2.4 unknown management right",
         "version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY
         "  - {id: ftps, label: " L "}\napplications:\n" APP,
         6, 10, "unknown management id \"ftps\""},
        {"§2.2.4 all four management rights are required",
         "version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY
         "applications:\n" APP,
         3, 3, "missing management id \"ftp\""},
        {"§2.2.4 duplicate management right",
         "version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY UNIT_M_FTP
                 UNIT_M_USERS "applications:\n" APP,
         7, 10, "duplicate management id \"users\""},
        {"unknown key in a management entry",
         "version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY
         "  - {id: ftp, note: x, label: " L "}\napplications:\n" APP,
         6, 15, "unknown key \"note\" in management entry"},
        {"a management right needs a label",
         "version: 1\nmanagement:\n" UNIT_M_ADMINS UNIT_M_USERS UNIT_M_RECOVERY
         "  - {id: ftp}\napplications:\n" APP,
         6, 5, "missing key \"label\" in management entry"},

        /* applications */
        {"unknown key in an application", HEAD APP "    owner: x\n", 15, 5,
         "unknown key \"owner\" in application"},
        {"application ids are [a-z0-9-]+", HEAD "  - id: App\n", 8, 9,
         "invalid application id \"App\""},
        {"an application id must be a scalar", HEAD "  - id: [a]\n", 8, 9,
         "application id must be a scalar, not a list"},
        {"an application needs an id", HEAD "  - label: " L "\n", 8, 5,
         "missing key \"id\" in application"},
        {"an application needs a label", HEAD "  - id: app\n    dimensions:\n" DIM_D, 8, 5,
         "missing key \"label\" in application"},
        {"an application must be a mapping", HEAD "  - app\n", 8, 5,
         "application must be a mapping, not a scalar"},
        {"duplicate application ids", HEAD APP APP, 15, 9, "duplicate application id \"app\""},
        {"§2.3.1 delegable is a boolean, not yes", HEAD APP "    delegable: yes\n", 15, 16,
         "\"delegable\" must be true or false"},
        {"§2.3.1 delegable is a boolean, not a string", HEAD APP "    delegable: \"true\"\n", 15,
         16, "\"delegable\" must be true or false"},
        {"an application needs dimensions", HEAD "  - id: app\n    label: " L "\n", 8, 5,
         "missing key \"dimensions\" in application"},
        {"at least one dimension", HEAD "  - id: app\n    label: " L "\n    dimensions: []\n", 10,
         17, "\"dimensions\" must not be empty"},
        {"dimensions must be a list", HEAD "  - id: app\n    label: " L "\n    dimensions: {}\n",
         10, 17, "\"dimensions\" must be a list, not a mapping"},

        /* labels: exactly nl, fr, de, en */
        {"a label lacking a language", HEAD "  - id: app\n    label: {nl: n, fr: f, de: d}\n", 9,
         12, "label has no \"en\" text"},
        {"a label with a fifth language",
         HEAD "  - id: app\n    label: {nl: n, fr: f, de: d, en: e, es: s}\n", 9, 41,
         "unknown key \"es\" in label"},
        {"an empty label text", HEAD "  - id: app\n    label: {nl: n, fr: f, de: d, en: \"\"}\n", 9,
         38, "label text must not be empty"},
        {"a null label text", HEAD "  - id: app\n    label: {nl: n, fr: f, de: d, en: ~}\n", 9, 38,
         "label text must be text, not null"},
        {"a plain null id", HEAD "  - id: null\n", 8, 9,
         "application id must be text, not null (quote it)"},
        {"a label text with a NUL",
         HEAD "  - id: app\n    label: {nl: n, fr: f, de: d, en: \"a\\0b\"}\n", 9, 38,
         "label text must not contain a NUL character"},
        {"a label must be a mapping", HEAD "  - id: app\n    label: hello\n", 9, 12,
         "\"label\" must be a mapping, not a scalar"},
        {"a language twice in a label",
         HEAD "  - id: app\n    label: {nl: n, nl: m, fr: f, de: d, en: e}\n", 9, 20,
         "duplicate key \"nl\" in label"},
        {"a label text must be a scalar",
         HEAD "  - id: app\n    label: {nl: n, fr: [f], de: d, en: e}\n", 9, 24,
         "label text must be a scalar, not a list"},

        /* dimensions */
        {"unknown key in a dimension", HEAD APP "        unit: x\n", 15, 9,
         "unknown key \"unit\" in dimension"},
        {"dimension ids are [a-z0-9-]+", HEAD APP_TOP "      - id: D\n", 11, 13,
         "invalid dimension id \"D\""},
        {"duplicate dimension ids", HEAD APP DIM_D, 15, 13,
         "duplicate dimension id \"d\" in application \"app\""},
        {"a dimension needs a label",
         HEAD APP_TOP "      - {id: d, values: [{id: v, label: " L "}]}\n", 11, 9,
         "missing key \"label\" in dimension"},
        {"values and source are mutually exclusive", HEAD APP "        source: billing\n", 15, 9,
         "\"values\" and \"source\" are mutually exclusive"},
        {"a dimension needs values or a source",
         HEAD APP_TOP "      - id: d\n        label: " L "\n", 11, 9,
         "dimension \"d\" needs \"values\" or \"source\""},
        {"source is billing or contract",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        source: ldap\n", 13, 17,
         "unknown source \"ldap\": expected billing or contract"},
        {"kinds only with source: contract (billing)",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        source: billing\n"
                      "        kinds: [cs-master]\n",
         14, 9, "\"kinds\" is only allowed with source: contract"},
        {"kinds only with source: contract (static)", HEAD APP "        kinds: [x]\n", 15, 9,
         "\"kinds\" is only allowed with source: contract"},
        {"§2.3.3 source: contract requires kinds",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        source: contract\n", 11, 9,
         "has source: contract but no \"kinds\""},
        {"kinds must not be empty",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        source: contract\n"
                      "        kinds: []\n",
         14, 16, "\"kinds\" must not be empty"},
        {"duplicate contract kinds",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        source: contract\n"
                      "        kinds: [cs-master, cs-master]\n",
         14, 28, "duplicate contract kind \"cs-master\""},
        {"router-only only on static values",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        source: billing\n"
                      "        router-only: true\n",
         14, 9, "unknown key \"router-only\" in dimension"},

        /* static values */
        {"values must not be empty",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        values: []\n", 13, 17,
         "\"values\" must not be empty"},
        {"values must be a list",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        values: v\n", 13, 17,
         "\"values\" must be a list, not a scalar"},
        {"a value must be a mapping",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        values:\n          - v\n", 14,
         13, "value must be a mapping, not a scalar"},
        {"unknown key in a value",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        values:\n"
                      "          - {id: v, colour: red, label: " L "}\n",
         14, 21, "unknown key \"colour\" in value"},
        {"value ids are [A-Za-z0-9._/-]+",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        values:\n"
                      "          - {id: \"a b\", label: " L "}\n",
         14, 18, "invalid value id \"a b\""},
        {"duplicate value ids", HEAD APP "          - {id: v, label: " L "}\n", 15, 18,
         "duplicate value id \"v\" in dimension \"d\""},
        {"a value needs a label",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        values:\n          - {id: v}\n",
         14, 13, "missing key \"label\" in value"},
        {"§2.3.1 router-only is a boolean",
         HEAD APP_TOP "      - id: d\n        label: " L "\n        values:\n"
                      "          - {id: v, router-only: 1, label: " L "}\n",
         14, 34, "\"router-only\" must be true or false"},

        /* §2.3.5 profiles */
        {"§2.3.5 require names a dimension of the app",
         HEAD APP2 PROFILE_P "        require:\n          zz: {v: X}\n", 22, 11,
         "profile \"p\" requires dimension \"zz\", which application \"app\" does not have"},
        {"§2.3.5 require only static dimensions",
         HEAD APP2 PROFILE_P "        require:\n          b: {v: X}\n", 22, 11,
         "profile \"p\" cannot constrain dimension \"b\""},
        {"§2.3.5 require names values of the dimension",
         HEAD APP2 PROFILE_P "        require:\n          d: {w: X}\n", 22, 15,
         "\"w\" is not a value of dimension \"d\""},
        {"§2.3.5 marks are X or O (NA is implicit)",
         HEAD APP2 PROFILE_P "        require:\n          d: {v: NA}\n", 22, 18,
         "the mark of \"v\" must be X or O"},
        {"§2.3.5 marks are case-sensitive",
         HEAD APP2 PROFILE_P "        require:\n          d: {v: x}\n", 22, 18,
         "the mark of \"v\" must be X or O"},
        {"§2.3.5 require is a mapping", HEAD APP2 PROFILE_P "        require: [d]\n", 21, 18,
         "\"require\" must be a mapping, not a list"},
        {"§2.3.5 a value marked twice",
         HEAD APP2 PROFILE_P "        require:\n          d: {v: X, v: O}\n", 22, 21,
         "duplicate key \"v\" in a required dimension"},
        {"§2.3.5 at-least-one names a dimension of the app",
         HEAD APP2 PROFILE_P "        at-least-one: [zz]\n", 21, 24,
         "at-least-one names dimension \"zz\", which application \"app\" does not have"},
        {"§2.3.5 at-least-one without repeats",
         HEAD APP2 PROFILE_P "        at-least-one: [d, d]\n", 21, 27,
         "dimension \"d\" is listed twice in at-least-one"},
        {"unknown key in a profile", HEAD APP2 PROFILE_P "        optional: [d]\n", 21, 9,
         "unknown key \"optional\" in profile"},
        {"duplicate profile ids", HEAD APP2 PROFILE_P "      - id: p\n        label: " L "\n", 21,
         13, "duplicate profile id \"p\" in application \"app\""},
        {"a profile needs a label", HEAD APP2 "    profiles:\n      - id: p\n", 19, 9,
         "missing key \"label\" in profile"},
        {"profile ids are [a-z0-9-]+", HEAD APP2 "    profiles:\n      - id: P_1\n", 19, 13,
         "invalid profile id \"P_1\""},

        /* projections */
        {"a projection is a group or an attribute, not both",
         HEAD APP "    project:\n      - {group: \"cn=x\", attribute: a, value: v}\n", 16, 25,
         "project item needs exactly one of \"group\" and \"attribute\""},
        {"a projection is a group or an attribute", HEAD APP "    project:\n      - {for: d}\n", 16,
         9, "project item needs exactly one of \"group\" and \"attribute\""},
        {"for only with group", HEAD APP "    project:\n      - {attribute: a, value: v, for: d}\n",
         16, 34, "\"for\" is only allowed with \"group\""},
        {"for names a dimension of the app",
         HEAD APP "    project:\n      - {group: \"cn={zz}\", for: zz}\n", 16, 33,
         "\"for\" names dimension \"zz\", which application \"app\" does not have"},
        {"an attribute needs a value", HEAD APP "    project:\n      - {attribute: a}\n", 16, 9,
         "attribute item needs \"value\""},
        {"value only with attribute",
         HEAD APP "    project:\n      - {group: \"cn=x\", value: v}\n", 16, 25,
         "\"value\" is only allowed with \"attribute\""},
        {"templates know {suffix}, {app} and the for dimension",
         HEAD APP "    project:\n      - {group: \"cn={user}\"}\n", 16, 17,
         "template uses \"{user}\""},
        {"a dimension marker needs for", HEAD APP "    project:\n      - {group: \"cn={d}\"}\n", 16,
         17, "template uses \"{d}\""},
        {"an attribute value has no dimension marker",
         HEAD APP "    project:\n      - {attribute: a, value: \"{d}\"}\n", 16, 31,
         "template uses \"{d}\""},
        {"an unterminated marker", HEAD APP "    project:\n      - {group: \"cn={d\", for: d}\n",
         16, 17, "unterminated \"{\" in template"},
        {"an unmatched closing brace", HEAD APP "    project:\n      - {group: \"cn=x}\"}\n", 16,
         17, "unmatched \"}\" in template"},
        {"a group iterating a dimension uses its marker",
         HEAD APP "    project:\n      - {group: \"cn=x\", for: d}\n", 16, 17,
         "group template must use \"{d}\""},
        {"unknown key in a projection",
         HEAD APP "    project:\n      - {group: \"cn=x\", name: y}\n", 16, 25,
         "unknown key \"name\" in project item"},
        {"attribute names are LDAP descriptors",
         HEAD APP "    project:\n      - {attribute: \"1bad\", value: v}\n", 16, 21,
         "invalid attribute name \"1bad\""},
        {"project must be a list", HEAD APP "    project: {group: x}\n", 15, 14,
         "\"project\" must be a list, not a mapping"},

        /* a management right's projections (§2.2.4 FTP access); lines 6-9 */
        {"a management right may be projected",
         MHEAD "      - {group: \"cn=ftp,{suffix}\"}\n"
               "      - {attribute: umAppAccess, value: ftp}\n" MTAIL,
         0, 0, NULL},
        {"a management right iterates no dimension",
         MHEAD "      - {group: \"cn=x\", for: d}\n" MTAIL, 9, 25,
         "\"for\" is only allowed in an application's project"},
        {"a management right's template knows {suffix} only",
         MHEAD "      - {group: \"cn={app},{suffix}\"}\n" MTAIL, 9, 17,
         "template uses \"{app}\": only {suffix} may be used in a management right's project"},
        {"a management right's attribute value has no marker",
         MHEAD "      - {attribute: umAppAccess, value: \"{d}\"}\n" MTAIL, 9, 41,
         "template uses \"{d}\""},
        {"a management right's project is a list", MHEAD_TOP "    project: x\n" MTAIL, 8, 14,
         "\"project\" must be a list, not a scalar"},
};

static void test_load_row(void **state)
{
	const load_row *row = *state;
	rights_catalog *cat = (rights_catalog *)(uintptr_t)1;
	rights_error err;
	char prefix[64];
	int rc;

	rc = catalog_load_buffer(&cat, "t.yaml", row->yaml, strlen(row->yaml), &err);
	if (row->line == 0) {
		if (rc != RIGHTS_OK)
			print_error("unexpected error: %s\n", err.message);
		assert_int_equal(rc, RIGHTS_OK);
		assert_non_null(cat);
		catalog_free(cat);
		return;
	}
	if (rc == RIGHTS_OK)
		catalog_free(cat);
	assert_int_equal(rc, RIGHTS_ESYNTAX);
	assert_null(cat);
	snprintf(prefix, sizeof(prefix), "t.yaml:%d:%d: ", row->line, row->column);
	if (strncmp(err.message, prefix, strlen(prefix)) != 0 ||
	    strstr(err.message, row->says) == NULL)
		print_error("expected \"%s...%s\", got \"%s\"\n", prefix, row->says, err.message);
	assert_int_equal(strncmp(err.message, prefix, strlen(prefix)), 0);
	assert_non_null(strstr(err.message, row->says));
	assert_int_equal(err.line, row->line);
	assert_int_equal(err.column, row->column);
}

/* ---- catalog_load: the file system ------------------------------------------ */

typedef struct file_row {
	const char *name;
	const char *path; /* NULL: a temporary file holding `content` */
	const char *content;
	int rc;
	const char *says;
} file_row;

static const file_row file_rows[] = {
        {"a missing file is an I/O error", "/nonexistent/rights.yaml", NULL, RIGHTS_EIO,
         "/nonexistent/rights.yaml: No such file or directory"},
        {"a directory is an I/O error", "/", NULL, RIGHTS_EIO, "/: Is a directory"},
        {"a valid file loads", NULL, HEAD APP, RIGHTS_OK, NULL},
        {"errors in a file name the file", NULL, HEAD "  - id: App\n", RIGHTS_ESYNTAX,
         ":8:9: invalid"},
};

static void test_file_row(void **state)
{
	const file_row *row = *state;
	char tmp[] = "/tmp/test_catalog_load.XXXXXX";
	const char *path = row->path;
	rights_catalog *cat = NULL;
	rights_error err;
	FILE *f = NULL;
	int fd = -1, rc;

	if (path == NULL) {
		fd = mkstemp(tmp);
		assert_true(fd >= 0);
		f = fdopen(fd, "w");
		assert_non_null(f);
		fputs(row->content, f);
		fclose(f);
		path = tmp;
	}
	rc = catalog_load(&cat, path, &err);
	if (row->path == NULL)
		unlink(tmp);
	assert_int_equal(rc, row->rc);
	if (rc == RIGHTS_OK) {
		assert_non_null(cat);
		assert_int_equal(catalog_app_count(cat), 1);
		catalog_free(cat);
		return;
	}
	assert_null(cat);
	if (strstr(err.message, row->says) == NULL)
		print_error("expected \"%s\" in \"%s\"\n", row->says, err.message);
	assert_non_null(strstr(err.message, row->says));
	if (row->path == NULL)
		assert_int_equal(strncmp(err.message, tmp, strlen(tmp)), 0);
}

/* ---- the API's own edges ------------------------------------------------------ */

typedef struct api_row {
	const char *name;
	int which;
} api_row;

static const api_row api_rows[] = {
        {"a NULL error pointer is allowed", 0},    {"catalog_free accepts NULL", 1},
        {"a NULL buffer is an empty document", 2}, {"a buffer need not be NUL-terminated", 3},
        {"a NULL name reads <buffer>", 4},
};

static void test_api_row(void **state)
{
	static const char doc[] = HEAD APP "garbage after the length";
	const api_row *row = *state;
	rights_catalog *cat = NULL;
	rights_error err;

	switch (row->which) {
	case 0:
		assert_int_equal(catalog_load_buffer(&cat, "t", "x: [", 4, NULL), RIGHTS_ESYNTAX);
		assert_null(cat);
		assert_int_equal(catalog_load(&cat, "/nonexistent", NULL), RIGHTS_EIO);
		break;
	case 1:
		catalog_free(NULL);
		break;
	case 2:
		assert_int_equal(catalog_load_buffer(&cat, "t", NULL, 0, &err), RIGHTS_ESYNTAX);
		assert_non_null(strstr(err.message, "t:1:1: empty document"));
		break;
	case 3:
		assert_int_equal(catalog_load_buffer(&cat, "t", doc, strlen(HEAD APP), &err),
		                 RIGHTS_OK);
		catalog_free(cat);
		break;
	default:
		assert_int_equal(catalog_load_buffer(&cat, NULL, "", 0, &err), RIGHTS_ESYNTAX);
		assert_int_equal(strncmp(err.message, "<buffer>:1:1: ", 14), 0);
		break;
	}
}

int main(void)
{
	int failed = 0;

	failed += UNIT_RUN_TABLE("catalog_load_buffer", rows, test_load_row);
	failed += UNIT_RUN_TABLE("catalog_load", file_rows, test_file_row);
	failed += UNIT_RUN_TABLE("catalog_load api", api_rows, test_api_row);
	return failed;
}
