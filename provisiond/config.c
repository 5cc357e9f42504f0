/*
 * provisiond.yaml -> struct config, checked as a whole: every problem is
 * logged as "file:line:col: message" and counted, so one `provisiond -n`
 * shows them all (STYLE.md, the daemon). The rights.yaml it names is
 * loaded through librights, whose first error is reported the same way.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "provisiond.h"
#include "yaml_tree.h"

struct config_key {
	const char *name;
	int required;
};

static const struct config_key config_keys[] = {
        {"uri", 1},
        {"bind-dn", 1},
        {"password-file", 1},
        {"suffix", 1},
        {"state-dir", 1},
        {"rights", 1},
        {"timeout", 0},
        {"write-timeout", 0},
        {"page-size", 0},
        {"batch-delay", 0},
        {"mail-relay", 0},
        {"mail-from", 0},
        {"mail-user", 0},
        {"mail-password-file", 0},
        {"mail-starttls", 0},
        {"maildir", 0},
        {"mail-interval", 0},
        {"mail-key", 0},
        {"sources", 0},
        {"config-socket", 0},
        {NULL, 0},
};

/* Counts and logs one error; the loader keeps only the last. */
struct checker {
	ytree_loader ld;
	rights_error err;
	int nerrors;
};

static void check_report(struct checker *c, int rc)
{
	if (rc == RIGHTS_OK)
		return;
	log_warnx("%s", c->err.message);
	c->nerrors++;
}

static const struct config_key *config_key_find(const ytree_node *key)
{
	size_t i;

	for (i = 0; config_keys[i].name != NULL; i++)
		if (ytree_key_is(key, config_keys[i].name))
			return &config_keys[i];
	return NULL;
}

/* Unknown and duplicate keys: each one reported, none fatal to the rest. */
static void check_keys_all(struct checker *c, const ytree_node *root)
{
	char b[YTREE_SHOW_MAX + 4];
	const ytree_node *key = NULL;
	size_t i, j;

	for (i = 0; i + 1 < root->nkids; i += 2) {
		key = root->kids[i];
		if (key->type != YTREE_SCALAR) {
			check_report(c, ytree_fail(&c->ld, key, "keys must be scalars, not %s",
			                           ytree_type_name(key->type)));
			continue;
		}
		if (config_key_find(key) == NULL) {
			check_report(c, ytree_fail(&c->ld, key,
			                           "unknown key \"%s\": expected uri, bind-dn, "
			                           "password-file, suffix, state-dir, rights, "
			                           "timeout, write-timeout, page-size, "
			                           "batch-delay, mail-relay, mail-from, mail-user, "
			                           "mail-password-file, mail-starttls, maildir, "
			                           "mail-interval, mail-key or sources",
			                           ytree_show(b, key->text, key->len)));
			continue;
		}
		for (j = 0; j < i; j += 2)
			if (ytree_same_text(root->kids[j], key)) {
				check_report(c, ytree_fail(&c->ld, key, "duplicate key \"%s\"",
				                           key->text));
				break;
			}
	}
	for (i = 0; config_keys[i].name != NULL; i++)
		if (config_keys[i].required &&
		    ytree_map_get(root, config_keys[i].name, NULL) == NULL)
			check_report(c, ytree_fail(&c->ld, root, "missing key \"%s\"",
			                           config_keys[i].name));
}

/* One URL, or several separated by spaces (DESIGN §5: the providers of a
 * cluster), as ldap_initialize(3) takes them: tried in order at every
 * connection. */
static int get_uri(char **out, struct checker *c, const ytree_node *n)
{
	LDAPURLDesc *lud = NULL;
	char *copy = NULL, *one, *save = NULL;
	int rc = ytree_get_string(out, &c->ld, n, "\"uri\""), count = 0;

	if (rc != RIGHTS_OK)
		return rc;
	if ((copy = strdup(*out)) == NULL)
		return ytree_fail(&c->ld, n, "out of memory");
	for (one = strtok_r(copy, " ", &save); rc == RIGHTS_OK && one != NULL;
	     one = strtok_r(NULL, " ", &save), count++) {
		if (ldap_url_parse(one, &lud) != LDAP_URL_SUCCESS ||
		    (strcmp(lud->lud_scheme, "ldap") != 0 &&
		     strcmp(lud->lud_scheme, "ldaps") != 0 &&
		     strcmp(lud->lud_scheme, "ldapi") != 0))
			rc = ytree_fail(&c->ld, n,
			                "\"uri\" must be ldap://, ldaps:// or ldapi:// URLs, "
			                "separated by spaces");
		if (lud != NULL)
			ldap_free_urldesc(lud);
		lud = NULL;
	}
	if (rc == RIGHTS_OK && count == 0)
		rc = ytree_fail(&c->ld, n, "\"uri\" must be an ldap://, ldaps:// or ldapi:// URL");
	free(copy);
	if (rc != RIGHTS_OK) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static int get_dn(char **out, struct checker *c, const ytree_node *n, const char *what)
{
	char *key = NULL;
	int rc = ytree_get_string(out, &c->ld, n, what);

	if (rc != RIGHTS_OK)
		return rc;
	key = dn_key(*out);
	if (key == NULL || key[0] == '\0') {
		free(*out);
		*out = NULL;
		rc = ytree_fail(&c->ld, n, "%s must be a distinguished name (RFC 4514)", what);
	}
	free(key);
	return rc;
}

static int get_path(char **out, struct checker *c, const ytree_node *n, const char *what)
{
	int rc = ytree_get_string(out, &c->ld, n, what);

	if (rc != RIGHTS_OK)
		return rc;
	/* a daemon's working directory is no place to resolve paths from */
	if ((*out)[0] != '/') {
		free(*out);
		*out = NULL;
		return ytree_fail(&c->ld, n, "%s must be an absolute path", what);
	}
	return RIGHTS_OK;
}

static int get_int(int *out, struct checker *c, const ytree_node *n, const char *what, long min,
                   long max)
{
	char *end = NULL;
	long v;

	if (n->type != YTREE_SCALAR || !n->plain || n->len == 0)
		return ytree_fail(&c->ld, n, "%s must be a number", what);
	errno = 0;
	v = strtol(n->text, &end, 10);
	if (errno != 0 || *end != '\0' || end != n->text + n->len)
		return ytree_fail(&c->ld, n, "%s must be a number", what);
	if (v < min || v > max)
		return ytree_fail(&c->ld, n, "%s must be between %ld and %ld", what, min, max);
	*out = (int)v;
	return RIGHTS_OK;
}

/* The password file holds the daemon's credential: refuse to run when
 * others may read it (it would not be a secret any more). */
static int check_password_file(struct checker *c, const ytree_node *n, const char *path)
{
	struct stat st;
	char why[128];

	if (stat(path, &st) != 0) {
		if (strerror_r(errno, why, sizeof(why)) != 0)
			snprintf(why, sizeof(why), "error %d", errno);
		return ytree_fail(&c->ld, n, "password file %s: %s", path, why);
	}
	if (!S_ISREG(st.st_mode))
		return ytree_fail(&c->ld, n, "password file %s is not a regular file", path);
	if (st.st_mode & S_IRWXO)
		return ytree_fail(&c->ld, n,
		                  "password file %s is accessible by others (mode %04o): "
		                  "chmod o-rwx it",
		                  path, (unsigned)(st.st_mode & 07777));
	return RIGHTS_OK;
}

static char *join_dn(const char *rdn, const char *suffix)
{
	size_t n = strlen(rdn) + 1 + strlen(suffix) + 1;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s,%s", rdn, suffix);
	return s;
}

static int sources_derive(struct config *conf);

static int config_derive(struct config *conf)
{
	conf->orgs_dn = join_dn("ou=organizations", conf->suffix);
	conf->groups_dn = join_dn("ou=groups", conf->suffix);
	conf->apps_dn = join_dn("ou=applications", conf->suffix);
	conf->mail_dn = join_dn("ou=mail,ou=system", conf->suffix);
	if (conf->mail.maildir == NULL && conf->mail.url == NULL) {
		/* no relay (the `make run` default): the flow works out of the box */
		size_t n = strlen(conf->state_dir) + sizeof("/maildir");
		if ((conf->mail.maildir = malloc(n)) != NULL)
			snprintf(conf->mail.maildir, n, "%s/maildir", conf->state_dir);
	}
	if (conf->orgs_dn == NULL || conf->groups_dn == NULL || conf->apps_dn == NULL ||
	    conf->mail_dn == NULL || conf->mail.from == NULL)
		return -1;
	conf->orgs_key = dn_key(conf->orgs_dn);
	conf->groups_key = dn_key(conf->groups_dn);
	conf->owner_key = dn_key(conf->bind_dn);
	if (conf->orgs_key == NULL || conf->groups_key == NULL || conf->owner_key == NULL)
		return -1;
	if (sources_derive(conf) != 0)
		return -1;
	return project_attr_names(&conf->attrs, &conf->nattrs, conf->cat);
}

/* ---- sources: (DESIGN §6 corporate sync) ------------------------------------------ */

const char *const source_fields[SF_COUNT] = {
        "uid", "givenName", "sn", "cn", "mail", "preferredLanguage", "umGender",
};

static const char *const source_keys[] = {
        "id",
        "uri",
        "bind-dn",
        "password-file",
        "base",
        "scope",
        "filter",
        "organisation",
        "map",
        "default-language",
        "mode",
        "interval",
        "max-deactivate",
        "authentication",
        "tls",
        "tls-ca-file",
        NULL,
};

static int get_choice(int *out, struct checker *c, const ytree_node *n, const char *what,
                      const char *const *names, const int *values)
{
	size_t i;

	if (n->type == YTREE_SCALAR)
		for (i = 0; names[i] != NULL; i++)
			if (n->len == strlen(names[i]) && memcmp(n->text, names[i], n->len) == 0) {
				*out = values[i];
				return RIGHTS_OK;
			}
	return ytree_fail(&c->ld, n, "%s must be one of %s%s%s%s%s", what, names[0],
	                  names[1] ? ", " : "", names[1] ? names[1] : "",
	                  names[1] && names[2] ? ", " : "", names[1] && names[2] ? names[2] : "");
}

/* "10%": the share of a source's users one run may deactivate. */
static int get_share(int *out, struct checker *c, const ytree_node *n, const char *what)
{
	char *end = NULL;
	long v;

	if (n->type != YTREE_SCALAR || n->len < 2 || n->text[n->len - 1] != '%')
		return ytree_fail(&c->ld, n, "%s must be a share such as 10%%", what);
	errno = 0;
	v = strtol(n->text, &end, 10);
	if (errno != 0 || end != n->text + n->len - 1 || v < 0 || v > 100)
		return ytree_fail(&c->ld, n, "%s must be a share between 0%% and 100%%", what);
	*out = (int)v;
	return RIGHTS_OK;
}

/* An id names the source in umSource, in --force-source and in the cookie's
 * file name. */
static int id_valid(const char *s)
{
	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static void source_map(struct source *src, struct checker *c, const ytree_node *map)
{
	char b[YTREE_SHOW_MAX + 4];
	size_t i, f;

	if (map->type != YTREE_MAP) {
		check_report(c, ytree_expect(&c->ld, map, YTREE_MAP, "\"map\""));
		return;
	}
	check_report(c, ytree_check_keys(&c->ld, map, NULL, "\"map\""));
	for (i = 0; i + 1 < map->nkids; i += 2) {
		for (f = 0; f < SF_COUNT; f++)
			if (ytree_key_is(map->kids[i], source_fields[f]))
				break;
		if (f == SF_COUNT) {
			check_report(
			        c,
			        ytree_fail(&c->ld, map->kids[i],
			                   "\"map\": unknown portal attribute \"%s\": expected "
			                   "uid, givenName, sn, cn, mail, preferredLanguage or "
			                   "umGender",
			                   ytree_show(b, map->kids[i]->text, map->kids[i]->len)));
			continue;
		}
		free(src->map[f]);
		src->map[f] = NULL;
		check_report(c, ytree_get_string(&src->map[f], &c->ld, map->kids[i + 1],
		                                 "a source attribute"));
	}
}

int source_tls_kind(const struct source *src)
{
	if (src->uri != NULL && strncasecmp(src->uri, "ldaps://", 8) == 0)
		return 2;
	return src->tls.starttls;
}

/* TLS to the source: ldaps:// in the uri, or tls: starttls on ldap://;
 * tls-ca-file only where there is TLS to verify. */
static void source_tls(struct source *src, struct checker *c, const ytree_node *m)
{
	static const char *const tlses[] = {"none", "starttls", NULL};
	static const int tls_v[] = {0, 1};
	const ytree_node *n = NULL, *ca = ytree_map_get(m, "tls-ca-file", NULL);
	int rc;

	if ((n = ytree_map_get(m, "tls", NULL)) != NULL) {
		rc = get_choice(&src->tls.starttls, c, n, "\"tls\"", tlses, tls_v);
		if (rc == RIGHTS_OK && src->tls.starttls && src->uri != NULL &&
		    strncasecmp(src->uri, "ldap://", 7) != 0)
			rc = ytree_fail(&c->ld, n,
			                "\"tls: starttls\" is for an ldap:// uri (ldaps:// is TLS "
			                "already)");
		check_report(c, rc);
	}
	if (ca != NULL) {
		rc = get_path(&src->tls.ca_file, c, ca, "\"tls-ca-file\"");
		if (rc == RIGHTS_OK && strpbrk(src->tls.ca_file, " \t\"\\") != NULL)
			rc = ytree_fail(&c->ld, ca,
			                "\"tls-ca-file\": no spaces, quotes or backslashes (a "
			                "slapd.conf and cn=config value)");
		else if (rc == RIGHTS_OK && access(src->tls.ca_file, R_OK) != 0)
			rc = ytree_fail(&c->ld, ca, "\"tls-ca-file\": %s: %s", src->tls.ca_file,
			                strerror(errno));
		else if (rc == RIGHTS_OK && source_tls_kind(src) == 0)
			rc = ytree_fail(&c->ld, ca,
			                "\"tls-ca-file\" without TLS: use an ldaps:// uri or "
			                "\"tls: starttls\"");
		check_report(c, rc);
	}
}

static void source_load(struct source *src, struct checker *c, const ytree_node *m)
{
	static const char *const scopes[] = {"base", "one", "sub", NULL};
	static const int scope_v[] = {LDAP_SCOPE_BASE, LDAP_SCOPE_ONELEVEL, LDAP_SCOPE_SUBTREE};
	static const char *const modes[] = {"poll", "syncrepl", NULL};
	static const int mode_v[] = {SOURCE_POLL, SOURCE_SYNCREPL};
	static const char *const auths[] = {"local", "remote", NULL};
	static const int auth_v[] = {0, 1};
	static const char *const required[] = {"id", "uri", "base", "organisation", NULL};
	const ytree_node *n = NULL;
	rights_lang lang;
	int rc, mode = SOURCE_POLL, i;
	LDAPURLDesc *lud = NULL;

	src->scope = LDAP_SCOPE_SUBTREE;
	src->interval = 300;
	src->max_deactivate = 10;
	for (i = 0; i < SF_COUNT - 1; i++) /* umGender only when mapped */
		src->map[i] = strdup(source_fields[i]);
	if (m->type != YTREE_MAP || ytree_is_null(m)) {
		check_report(c, ytree_expect(&c->ld, m, YTREE_MAP, "a source"));
		return;
	}
	check_report(c, ytree_check_keys(&c->ld, m, source_keys, "a source"));
	for (i = 0; required[i] != NULL; i++)
		if (ytree_map_get(m, required[i], NULL) == NULL)
			check_report(c,
			             ytree_fail(&c->ld, m, "a source needs \"%s\"", required[i]));
	if ((n = ytree_map_get(m, "id", NULL)) != NULL) {
		rc = ytree_get_string(&src->id, &c->ld, n, "\"id\"");
		if (rc == RIGHTS_OK && !id_valid(src->id))
			rc = ytree_fail(&c->ld, n,
			                "\"id\" must be letters, digits, '-', '_' or '.'");
		check_report(c, rc);
	}
	if ((n = ytree_map_get(m, "uri", NULL)) != NULL) {
		rc = ytree_get_string(&src->uri, &c->ld, n, "\"uri\"");
		if (rc == RIGHTS_OK && (ldap_url_parse(src->uri, &lud) != LDAP_URL_SUCCESS ||
		                        (strcmp(lud->lud_scheme, "ldap") != 0 &&
		                         strcmp(lud->lud_scheme, "ldaps") != 0 &&
		                         strcmp(lud->lud_scheme, "ldapi") != 0)))
			rc = ytree_fail(&c->ld, n,
			                "\"uri\" must be an ldap://, ldaps:// or ldapi:// URL");
		if (lud != NULL)
			ldap_free_urldesc(lud);
		check_report(c, rc);
	}
	if ((n = ytree_map_get(m, "bind-dn", NULL)) != NULL)
		check_report(c, get_dn(&src->bind_dn, c, n, "\"bind-dn\""));
	if ((n = ytree_map_get(m, "password-file", NULL)) != NULL) {
		rc = get_path(&src->password_file, c, n, "\"password-file\"");
		if (rc == RIGHTS_OK)
			rc = check_password_file(c, n, src->password_file);
		check_report(c, rc);
	}
	if ((src->bind_dn == NULL) != (src->password_file == NULL) &&
	    (ytree_map_get(m, "bind-dn", NULL) == NULL) !=
	            (ytree_map_get(m, "password-file", NULL) == NULL))
		check_report(c, ytree_fail(&c->ld, m,
		                           "\"bind-dn\" and \"password-file\" go together "
		                           "(neither: an anonymous bind)"));
	if ((n = ytree_map_get(m, "base", NULL)) != NULL)
		check_report(c, get_dn(&src->base, c, n, "\"base\""));
	if ((n = ytree_map_get(m, "scope", NULL)) != NULL)
		check_report(c, get_choice(&src->scope, c, n, "\"scope\"", scopes, scope_v));
	if ((n = ytree_map_get(m, "filter", NULL)) != NULL) {
		rc = ytree_get_string(&src->filter, &c->ld, n, "\"filter\"");
		if (rc == RIGHTS_OK && src->filter[0] != '(')
			rc = ytree_fail(&c->ld, n,
			                "\"filter\" must be an LDAP filter in parentheses "
			                "(RFC 4515)");
		check_report(c, rc);
	}
	if ((n = ytree_map_get(m, "organisation", NULL)) != NULL) {
		rc = ytree_get_string(&src->org, &c->ld, n, "\"organisation\"");
		if (rc == RIGHTS_OK && !id_valid(src->org))
			rc = ytree_fail(&c->ld, n,
			                "\"organisation\" must be an orgId (the o= of "
			                "the organisation)");
		check_report(c, rc);
	}
	if ((n = ytree_map_get(m, "map", NULL)) != NULL)
		source_map(src, c, n);
	if ((n = ytree_map_get(m, "default-language", NULL)) != NULL) {
		rc = ytree_get_string(&src->default_language, &c->ld, n, "\"default-language\"");
		if (rc == RIGHTS_OK && (strlen(src->default_language) != 2 ||
		                        lang_parse(&lang, src->default_language, 2) != RIGHTS_OK))
			rc = ytree_fail(&c->ld, n, "\"default-language\" must be nl, fr, de or en");
		check_report(c, rc);
	}
	if ((n = ytree_map_get(m, "mode", NULL)) != NULL) {
		check_report(c, get_choice(&mode, c, n, "\"mode\"", modes, mode_v));
		src->mode = (enum source_mode)mode;
	}
	if ((n = ytree_map_get(m, "interval", NULL)) != NULL)
		check_report(c, get_int(&src->interval, c, n, "\"interval\"", 1, 86400));
	if ((n = ytree_map_get(m, "max-deactivate", NULL)) != NULL)
		check_report(c, get_share(&src->max_deactivate, c, n, "\"max-deactivate\""));
	if ((n = ytree_map_get(m, "authentication", NULL)) != NULL) {
		/* remote: slapo-remoteauth, configured from provisiond
		 * --remoteauth-conf (source.c) */
		rc = get_choice(&src->remote_auth, c, n, "\"authentication\"", auths, auth_v);
		check_report(c, rc);
	}
	source_tls(src, c, m);
	if (src->filter == NULL)
		src->filter = strdup("(objectClass=inetOrgPerson)");
	if (src->default_language == NULL)
		src->default_language = strdup("en");
}

/* slapo-remoteauth has one TLS setting (remoteauth_tls) for all its
 * mappings: the sources with authentication: remote must agree on it, or
 * one of them would get the other's (passwords in clear to one that asked
 * for StartTLS, say). */
static void sources_remote_tls(struct config *conf, struct checker *c, const ytree_node *seq)
{
	const struct source *first = NULL, *src = NULL;
	size_t i;

	for (i = 0; i < conf->nsources; i++) {
		src = &conf->sources[i];
		if (!src->remote_auth || src->uri == NULL)
			continue;
		if (first == NULL) {
			first = src;
			continue;
		}
		if (source_tls_kind(first) != source_tls_kind(src) ||
		    (first->tls.ca_file == NULL) != (src->tls.ca_file == NULL) ||
		    (first->tls.ca_file != NULL &&
		     strcmp(first->tls.ca_file, src->tls.ca_file) != 0)) {
			check_report(
			        c,
			        ytree_fail(&c->ld, seq->kids[i],
			                   "sources \"%s\" and \"%s\" both use "
			                   "authentication: remote with different TLS (ldaps://, "
			                   "\"tls\" or \"tls-ca-file\"): slapo-remoteauth has one "
			                   "TLS setting for every source",
			                   first->id, src->id));
			return;
		}
	}
}

static void config_sources(struct config *conf, struct checker *c, const ytree_node *seq)
{
	size_t i, j;

	if (ytree_is_null(seq))
		return;
	if (seq->type != YTREE_SEQ) {
		check_report(c, ytree_expect(&c->ld, seq, YTREE_SEQ, "\"sources\""));
		return;
	}
	conf->sources = calloc(seq->nkids ? seq->nkids : 1, sizeof(*conf->sources));
	if (conf->sources == NULL) {
		check_report(c, ytree_nomem(&c->ld));
		return;
	}
	conf->nsources = seq->nkids;
	for (i = 0; i < seq->nkids; i++) {
		source_load(&conf->sources[i], c, seq->kids[i]);
		for (j = 0; j < i && conf->sources[i].id != NULL; j++)
			if (conf->sources[j].id != NULL &&
			    strcmp(conf->sources[j].id, conf->sources[i].id) == 0) {
				check_report(c, ytree_fail(&c->ld, seq->kids[i],
				                           "duplicate source id \"%s\"",
				                           conf->sources[i].id));
				break;
			}
	}
	sources_remote_tls(conf, c, seq);
}

static void source_clear(struct source *src)
{
	size_t i;

	free(src->id);
	free(src->uri);
	free(src->bind_dn);
	free(src->password_file);
	free(src->base);
	free(src->filter);
	free(src->org);
	for (i = 0; i < SF_COUNT; i++)
		free(src->map[i]);
	free(src->default_language);
	free(src->tls.ca_file);
	free(src->users_dn);
}

static int sources_derive(struct config *conf)
{
	rights_str org;
	char *odn = NULL;
	size_t i;

	for (i = 0; i < conf->nsources; i++) {
		org.ptr = conf->sources[i].org;
		org.len = strlen(org.ptr);
		if (project_rdn(&odn, "o", org, conf->orgs_dn) != 0)
			return -1;
		conf->sources[i].users_dn = join_dn("ou=users", odn);
		free(odn);
		if (conf->sources[i].users_dn == NULL)
			return -1;
		if (conf->sources[i].filter == NULL || conf->sources[i].default_language == NULL)
			return -1;
	}
	return 0;
}

/* The values, each checked on its own so that every error is reported. */
static void config_values(struct config *conf, struct checker *c, const ytree_node *root)
{
	const ytree_node *n = NULL;
	rights_error rerr;
	int rc;

	if ((n = ytree_map_get(root, "uri", NULL)) != NULL)
		check_report(c, get_uri(&conf->uri, c, n));
	if ((n = ytree_map_get(root, "bind-dn", NULL)) != NULL)
		check_report(c, get_dn(&conf->bind_dn, c, n, "\"bind-dn\""));
	if ((n = ytree_map_get(root, "suffix", NULL)) != NULL)
		check_report(c, get_dn(&conf->suffix, c, n, "\"suffix\""));
	if ((n = ytree_map_get(root, "password-file", NULL)) != NULL) {
		rc = get_path(&conf->password_file, c, n, "\"password-file\"");
		if (rc == RIGHTS_OK)
			rc = check_password_file(c, n, conf->password_file);
		check_report(c, rc);
	}
	if ((n = ytree_map_get(root, "state-dir", NULL)) != NULL)
		check_report(c, get_path(&conf->state_dir, c, n, "\"state-dir\""));
	if ((n = ytree_map_get(root, "timeout", NULL)) != NULL)
		check_report(c, get_int(&conf->timeout, c, n, "\"timeout\"", 1, 3600));
	if ((n = ytree_map_get(root, "write-timeout", NULL)) != NULL)
		check_report(c, get_int(&conf->write_timeout, c, n, "\"write-timeout\"", 1, 86400));
	if ((n = ytree_map_get(root, "page-size", NULL)) != NULL)
		check_report(c, get_int(&conf->page_size, c, n, "\"page-size\"", 10, 100000));
	if ((n = ytree_map_get(root, "batch-delay", NULL)) != NULL)
		check_report(c, get_int(&conf->batch_ms, c, n, "\"batch-delay\"", 0, 60000));
	if ((n = ytree_map_get(root, "mail-relay", NULL)) != NULL) {
		rc = ytree_get_string(&conf->mail.url, &c->ld, n, "\"mail-relay\"");
		if (rc == RIGHTS_OK && strncmp(conf->mail.url, "smtp://", 7) != 0 &&
		    strncmp(conf->mail.url, "smtps://", 8) != 0)
			rc = ytree_fail(&c->ld, n,
			                "\"mail-relay\" must be an smtp:// or smtps:// URL");
		check_report(c, rc);
	}
	if ((n = ytree_map_get(root, "mail-from", NULL)) != NULL) {
		free(conf->mail.from);
		conf->mail.from = NULL;
		check_report(c, ytree_get_string(&conf->mail.from, &c->ld, n, "\"mail-from\""));
	}
	if ((n = ytree_map_get(root, "mail-user", NULL)) != NULL)
		check_report(c, ytree_get_string(&conf->mail.user, &c->ld, n, "\"mail-user\""));
	if ((n = ytree_map_get(root, "mail-password-file", NULL)) != NULL) {
		rc = get_path(&conf->mail.password_file, c, n, "\"mail-password-file\"");
		if (rc == RIGHTS_OK)
			rc = check_password_file(c, n, conf->mail.password_file);
		check_report(c, rc);
	}
	if ((n = ytree_map_get(root, "mail-starttls", NULL)) != NULL)
		check_report(c, get_int(&conf->mail.starttls, c, n, "\"mail-starttls\"", 0, 1));
	if ((n = ytree_map_get(root, "maildir", NULL)) != NULL)
		check_report(c, get_path(&conf->mail.maildir, c, n, "\"maildir\""));
	if ((n = ytree_map_get(root, "mail-key", NULL)) != NULL) {
		/* the private half: not accessible by others, like a password */
		rc = get_path(&conf->mail.key_file, c, n, "\"mail-key\"");
		if (rc == RIGHTS_OK)
			rc = check_password_file(c, n, conf->mail.key_file);
		check_report(c, rc);
	}
	if ((n = ytree_map_get(root, "mail-interval", NULL)) != NULL)
		check_report(c, get_int(&conf->mail_ms, c, n, "\"mail-interval\"", 50, 3600000));
	if ((n = ytree_map_get(root, "sources", NULL)) != NULL)
		config_sources(conf, c, n);
	if ((n = ytree_map_get(root, "config-socket", NULL)) != NULL)
		check_report(c, get_path(&conf->config_socket, c, n, "\"config-socket\""));
	if ((n = ytree_map_get(root, "rights", NULL)) != NULL) {
		rc = get_path(&conf->rights_path, c, n, "\"rights\"");
		check_report(c, rc);
		if (rc == RIGHTS_OK &&
		    catalog_load(&conf->cat, conf->rights_path, &rerr) != RIGHTS_OK) {
			log_warnx("%s", rerr.message);
			c->nerrors++;
		}
	}
}

int config_load(struct config **out, const char *path)
{
	struct checker c;
	struct config *conf = NULL;
	ytree_node *root = NULL;
	char *buf = NULL;
	size_t len = 0;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	c.ld.name = path;
	c.ld.err = &c.err;
	conf = calloc(1, sizeof(*conf));
	if (conf == NULL || (conf->path = strdup(path)) == NULL) {
		log_warnx("%s: out of memory", path);
		c.nerrors++;
		goto cleanup;
	}
	conf->timeout = 10;
	conf->write_timeout = 300;
	conf->page_size = 1000;
	conf->batch_ms = 50;
	conf->mail_ms = 1000;
	conf->mail.from = strdup("Portal <no-reply@portal.example>");

	check_report(&c, ytree_read_file(&buf, &len, path, &c.err));
	if (c.nerrors)
		goto cleanup;
	check_report(&c, ytree_parse(&root, &c.ld, buf, len,
	                             "empty document: expected a mapping with uri, bind-dn, "
	                             "password-file, suffix, state-dir and rights"));
	if (c.nerrors)
		goto cleanup;
	if (root->type != YTREE_MAP || ytree_is_null(root)) {
		check_report(&c, ytree_expect(&c.ld, root, YTREE_MAP, "the document"));
		goto cleanup;
	}
	check_keys_all(&c, root);
	config_values(conf, &c, root);
	if (c.nerrors == 0 && config_derive(conf) != 0) {
		log_warnx("%s: out of memory", path);
		c.nerrors++;
	}
	if (c.nerrors == 0) {
		*out = conf;
		conf = NULL;
	}

cleanup:
	ytree_free(root);
	free(buf);
	config_free(conf);
	return c.nerrors;
}

void config_free(struct config *conf)
{
	if (conf == NULL)
		return;
	free(conf->path);
	free(conf->uri);
	free(conf->bind_dn);
	free(conf->password_file);
	free(conf->suffix);
	free(conf->state_dir);
	free(conf->rights_path);
	free(conf->orgs_dn);
	free(conf->groups_dn);
	free(conf->apps_dn);
	free(conf->mail_dn);
	free(conf->config_socket);
	free(conf->mail.url);
	free(conf->mail.from);
	free(conf->mail.user);
	free(conf->mail.password_file);
	free(conf->mail.maildir);
	free(conf->mail.key_file);
	free(conf->orgs_key);
	free(conf->groups_key);
	free(conf->owner_key);
	free(conf->attrs);
	for (size_t i = 0; i < conf->nsources; i++)
		source_clear(&conf->sources[i]);
	free(conf->sources);
	catalog_free(conf->cat);
	free(conf);
}

static int str_differ(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

int config_conn_changed(const struct config *a, const struct config *b)
{
	return str_differ(a->uri, b->uri) || str_differ(a->bind_dn, b->bind_dn) ||
	       str_differ(a->password_file, b->password_file) || a->timeout != b->timeout ||
	       a->write_timeout != b->write_timeout || str_differ(a->suffix, b->suffix);
}
