/*
 * Configuration, password and bind (DESIGN §6): UM_URI and UM_BINDDN from
 * the environment or ~/.umrc; the password from --password-file,
 * UM_PASSWORD_FILE or a prompt, never from the command line; a password
 * file others may read is refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <lber.h>

#include "umctl.h"

#define UM_TIMEOUT 30

void um_secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* KEY=value lines of ~/.umrc ("export " and quotes allowed, # comments). */
static char *umrc_get(const char *key)
{
	const char *home = getenv("HOME");
	char path[4096], *line = NULL, *k, *v, *out = NULL;
	size_t cap = 0, n;
	FILE *f = NULL;

	if (home == NULL || (size_t)snprintf(path, sizeof(path), "%s/.umrc", home) >= sizeof(path))
		return NULL;
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	while (out == NULL && getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\r\n")] = '\0';
		k = line + strspn(line, " \t");
		if (strncmp(k, "export ", 7) == 0)
			k += 7;
		if (*k == '#' || (v = strchr(k, '=')) == NULL)
			continue;
		*v++ = '\0';
		if (strcmp(k, key) != 0)
			continue;
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		out = strdup(v);
	}
	free(line);
	fclose(f);
	return out;
}

static char *setting(const char *key)
{
	const char *v = getenv(key);

	return v != NULL && *v != '\0' ? strdup(v) : umrc_get(key);
}

int um_config(struct um *um)
{
	const char *lang = getenv("LANG");

	um->uri = setting("UM_URI");
	um->binddn = setting("UM_BINDDN");
	um->suffix = setting("UM_SUFFIX");
	if (um->password_file == NULL)
		um->password_file = setting("UM_PASSWORD_FILE");
	/* until the bound user's preferredLanguage is known (§1.3 NL FR DE EN) */
	um->lang = lang != NULL ? lang_or_default(lang, strnlen(lang, 2)) : RIGHTS_LANG_EN;
	if (um->uri == NULL)
		return um_usage("UM_URI is not set (environment or ~/.umrc)");
	return UM_EXIT_OK;
}

int um_read_password_file(char **out, const char *path)
{
	struct stat st;
	char buf[1024];
	ssize_t n;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return um_usage("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		close(fd);
		return um_usage("%s: readable by group or others (chmod 600)", path);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return um_usage("%s: %s", path, strerror(errno));
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return *out ? UM_EXIT_OK : UM_EXIT_USAGE;
}

static char *read_line_fd(int fd)
{
	char *s = NULL, c;
	size_t n = 0, cap = 0;
	ssize_t r;

	while ((r = read(fd, &c, 1)) == 1 && c != '\n') {
		if (n + 2 > cap) {
			char *g = realloc(s, cap ? cap * 2 : 64);

			if (g == NULL) {
				um_secret_free(s);
				return NULL;
			}
			s = g;
			cap = cap ? cap * 2 : 64;
		}
		s[n++] = c;
	}
	if (r <= 0 && n == 0) {
		free(s);
		return NULL;
	}
	if (s == NULL)
		s = calloc(1, 1);
	else
		s[n] = '\0';
	if (s != NULL && n > 0 && s[n - 1] == '\r')
		s[n - 1] = '\0';
	return s;
}

char *um_prompt(const char *prompt, int secret)
{
	struct termios old, quiet;
	int fd, echo_off = 0;
	char *line = NULL;

	fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (secret) {
			fprintf(stderr, "umctl: no terminal to ask for a password\n");
			return NULL;
		}
		fputs(prompt, stderr);
		return read_line_fd(STDIN_FILENO);
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		close(fd);
		return NULL;
	}
	if (secret && tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		echo_off = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	line = read_line_fd(fd);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	close(fd);
	return line;
}

static int connection_open(struct um *um)
{
	struct timeval tv = {UM_TIMEOUT, 0};
	int version = LDAP_VERSION3, rc;

	rc = ldap_initialize(&um->ld, um->uri);
	if (rc != LDAP_SUCCESS)
		return um_usage("%s: %s", um->uri, ldap_err2string(rc));
	if (ldap_set_option(um->ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(um->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(um->ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(um->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS)
		return um_usage("%s: cannot set connection options", um->uri);
	return UM_EXIT_OK;
}

int um_connect_anonymous(struct um *um)
{
	return connection_open(um);
}

/* The suffix: UM_SUFFIX, else the naming context holding the bind DN,
 * else the first one that is not the accesslog. */
static int learn_suffix(struct um *um)
{
	char *attrs[] = {"namingContexts", NULL};
	LDAPMessage *res = NULL, *e;
	char **ctx = NULL;
	size_t i, n, dl = strlen(um->binddn);
	int rc;

	if (um->suffix != NULL)
		return UM_EXIT_OK;
	rc = ldap_search_ext_s(um->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0, NULL, NULL,
	                       NULL, 0, &res);
	if (rc != LDAP_SUCCESS) {
		ldap_msgfree(res);
		return um_ldap_result(um, rc);
	}
	e = ldap_first_entry(um->ld, res);
	ctx = e ? um_values(um->ld, e, "namingContexts") : NULL;
	for (i = 0; ctx != NULL && ctx[i] != NULL && um->suffix == NULL; i++) {
		n = strlen(ctx[i]);
		if (n <= dl && strcasecmp(um->binddn + dl - n, ctx[i]) == 0)
			um->suffix = strdup(ctx[i]);
	}
	for (i = 0; ctx != NULL && ctx[i] != NULL && um->suffix == NULL; i++)
		if (strcasecmp(ctx[i], "cn=accesslog") != 0)
			um->suffix = strdup(ctx[i]);
	um_strv_free(ctx);
	ldap_msgfree(res);
	return um->suffix ? UM_EXIT_OK : um_usage("%s: no naming context", um->uri);
}

/* uid=U,ou=users,o=X,ou=organizations,<suffix>: a portal user of X. */
static int learn_self(struct um *um)
{
	char *attrs[] = {"preferredLanguage", NULL};
	LDAPDN dn = NULL;
	LDAPMessage *res = NULL, *e;
	char *lang = NULL, *orgs = NULL;
	size_t n = 0;
	int rc;

	if (ldap_str2dn(um->binddn, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return um_usage("UM_BINDDN: not a DN: %s", um->binddn);
	while (dn[n] != NULL)
		n++;
	if (n > 4 && strcasecmp(dn[0][0]->la_attr.bv_val, "uid") == 0 &&
	    strcasecmp(dn[1][0]->la_attr.bv_val, "ou") == 0 &&
	    strcasecmp(dn[1][0]->la_value.bv_val, "users") == 0 &&
	    strcasecmp(dn[2][0]->la_attr.bv_val, "o") == 0 &&
	    strcasecmp(dn[3][0]->la_value.bv_val, "organizations") == 0) {
		um->uid = strndup(dn[0][0]->la_value.bv_val, dn[0][0]->la_value.bv_len);
		if (um->org == NULL)
			um->org = strndup(dn[2][0]->la_value.bv_val, dn[2][0]->la_value.bv_len);
	} else {
		um->operator= 1;
	}
	ldap_dnfree(dn);
	free(orgs);
	if (um->uid == NULL)
		return UM_EXIT_OK;
	rc = ldap_search_ext_s(um->ld, um->binddn, LDAP_SCOPE_BASE, "(objectClass=*)", attrs, 0,
	                       NULL, NULL, NULL, 0, &res);
	if (rc == LDAP_SUCCESS && (e = ldap_first_entry(um->ld, res)) != NULL &&
	    (lang = um_value(um->ld, e, "preferredLanguage")) != NULL)
		um->lang = lang_or_default(lang, strlen(lang));
	free(lang);
	ldap_msgfree(res);
	return UM_EXIT_OK;
}

int um_connect(struct um *um, char **password)
{
	LDAPControl *ppolicy = NULL, *ctrls[2] = {NULL, NULL};
	struct berval cred;
	char *pw = NULL, prompt[1024];
	int rc, ret;

	if (um->binddn == NULL)
		return um_usage("UM_BINDDN is not set (environment or ~/.umrc)");
	if (password != NULL && *password != NULL) {
		pw = *password; /* asked by the command (passwd: the current one) */
		*password = NULL;
	} else if (um->password_file != NULL) {
		if ((ret = um_read_password_file(&pw, um->password_file)) != UM_EXIT_OK)
			return ret;
	} else {
		snprintf(prompt, sizeof(prompt), "%s (%s): ", um_t(um, T_P_PASSWORD), um->binddn);
		if ((pw = um_prompt(prompt, 1)) == NULL)
			return UM_EXIT_USAGE;
	}
	if ((ret = connection_open(um)) != UM_EXIT_OK)
		goto cleanup;
	/* the ppolicy control lets a user with a temporary password in, to
	 * change it (DESIGN rule 5, §3.2); it changes nothing for others */
	if (ldap_control_create(LDAP_CONTROL_PASSWORDPOLICYREQUEST, 0, NULL, 0, &ppolicy) ==
	    LDAP_SUCCESS)
		ctrls[0] = ppolicy;
	cred.bv_val = pw;
	cred.bv_len = strlen(pw);
	rc = ldap_sasl_bind_s(um->ld, um->binddn, LDAP_SASL_SIMPLE, &cred, ctrls, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		ret = um_ldap_result(um, rc);
		goto cleanup;
	}
	if ((ret = learn_suffix(um)) != UM_EXIT_OK || (ret = learn_self(um)) != UM_EXIT_OK)
		goto cleanup;
	if (password != NULL) {
		*password = pw;
		pw = NULL;
	}
cleanup:
	ldap_control_free(ppolicy);
	um_secret_free(pw);
	return ret;
}

void um_close(struct um *um)
{
	if (um->ld != NULL)
		ldap_unbind_ext_s(um->ld, NULL, NULL);
	um->ld = NULL;
	free(um->uri);
	free(um->binddn);
	free(um->suffix);
	free(um->org);
	free(um->uid);
	free(um->password_file);
}
