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
#include <sys/stat.h>

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
			                           "mail-interval or mail-key",
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

static int get_uri(char **out, struct checker *c, const ytree_node *n)
{
	LDAPURLDesc *lud = NULL;
	int rc = ytree_get_string(out, &c->ld, n, "\"uri\"");

	if (rc != RIGHTS_OK)
		return rc;
	if (ldap_url_parse(*out, &lud) != LDAP_URL_SUCCESS ||
	    (strcmp(lud->lud_scheme, "ldap") != 0 && strcmp(lud->lud_scheme, "ldaps") != 0 &&
	     strcmp(lud->lud_scheme, "ldapi") != 0))
		rc = ytree_fail(&c->ld, n, "\"uri\" must be an ldap://, ldaps:// or ldapi:// URL");
	if (lud != NULL)
		ldap_free_urldesc(lud);
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
	return project_attr_names(&conf->attrs, &conf->nattrs, conf->cat);
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
