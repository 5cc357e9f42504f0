/*
 * The LDAP connection: connect and bind with the password file, every
 * timeout set (STYLE.md: every libldap call has network and operation
 * timeouts), reconnection backoff, and the three ways provisiond searches
 * (one, paged, many in flight).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "provisiond.h"

#define BACKOFF_FIRST_MS 200
#define BACKOFF_MAX_MS   30000
/* Searches in flight on one connection: enough to keep slapd's threads
 * busy, few enough that no answer waits long behind the others. */
#define MAX_INFLIGHT 32

void backoff_reset(struct backoff *b)
{
	b->ms = 0;
}

unsigned backoff_next(struct backoff *b)
{
	b->ms = b->ms ? b->ms * 2 : BACKOFF_FIRST_MS;
	if (b->ms > BACKOFF_MAX_MS)
		b->ms = BACKOFF_MAX_MS;
	return b->ms;
}

/* Read at every connection, not once: the file may be rotated while the
 * daemon runs, and a copy in memory would outlive it. */
static int password_read(char **out, const char *path)
{
	char buf[1024];
	struct stat st;
	ssize_t n;
	int fd, rc = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("password file %s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		log_warn("password file %s", path);
		goto cleanup;
	}
	if (st.st_mode & S_IRWXO) {
		log_warnx("password file %s is accessible by others (mode %04o): refusing it", path,
		          (unsigned)(st.st_mode & 07777));
		goto cleanup;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		log_warn("password file %s", path);
		goto cleanup;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (n == 0) {
		log_warnx("password file %s is empty", path);
		goto cleanup;
	}
	*out = strdup(buf);
	rc = *out ? 0 : -1;
cleanup:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

static void password_free(char *pw)
{
	if (pw == NULL)
		return;
	explicit_bzero(pw, strlen(pw));
	free(pw);
}

int ldapconn_open(LDAP **out, const struct config *conf)
{
	return ldapconn_open_as(out, conf->uri, conf->bind_dn, conf->password_file, NULL,
	                        conf->timeout);
}

/* Options on this handle only: a source's CA is no business of the
 * portal's connection. NEWCTX last, so that it takes them. */
static int ldapconn_tls_set(LDAP *ld, const struct ldapconn_tls *tls)
{
	int demand = LDAP_OPT_X_TLS_DEMAND, client = 0, rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) != LDAP_OPT_SUCCESS)
		return rc;
	if (tls->ca_file != NULL &&
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, tls->ca_file)) != LDAP_OPT_SUCCESS)
		return rc;
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &client);
}

int ldapconn_open_as(LDAP **out, const char *uri, const char *bind_dn, const char *password_file,
                     const struct ldapconn_tls *tls, int timeout)
{
	struct timeval tv = {timeout, 0};
	struct berval cred;
	const char *where = "initializing";
	LDAP *ld = NULL;
	char *pw = NULL;
	int v3 = LDAP_VERSION3, idle = 30, probes = 3, interval = 10;
	int rc;

	*out = NULL;
	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS)
		goto fail;
	where = "setting options";
	/* no referrals to chase: provisiond writes to a provider (DESIGN §5),
	 * the first of uri's list that answers; keepalive notices a provider
	 * that vanished without closing */
	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_IDLE, &idle)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_PROBES, &probes)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_INTERVAL, &interval)) !=
	            LDAP_OPT_SUCCESS)
		goto fail;
	if (tls != NULL && (tls->starttls || strncasecmp(uri, "ldaps://", 8) == 0)) {
		where = "setting up TLS";
		if ((rc = ldapconn_tls_set(ld, tls)) != LDAP_OPT_SUCCESS)
			goto fail;
		/* never a bind in clear after a failed StartTLS */
		where = "starting TLS";
		if (tls->starttls && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS)
			goto fail;
	}
	if (bind_dn != NULL) {
		where = "reading the password file";
		if (password_read(&pw, password_file) != 0) {
			rc = LDAP_LOCAL_ERROR;
			goto fail;
		}
		where = "binding";
		cred.bv_val = pw;
		cred.bv_len = strlen(pw);
		rc = ldap_sasl_bind_s(ld, bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
		password_free(pw);
		pw = NULL;
		if (rc != LDAP_SUCCESS)
			goto fail;
	}
	log_debug("connected to %s as %s", uri, bind_dn ? bind_dn : "anonymous");
	*out = ld;
	return LDAP_SUCCESS;

fail:
	log_warnx("%s: %s as %s: %s", uri, where, bind_dn ? bind_dn : "anonymous",
	          ldap_err2string(rc));
	password_free(pw);
	if (ld != NULL)
		ldap_unbind_ext(ld, NULL, NULL);
	/* a refused bind is not worth retrying faster than a dead server */
	return rc == LDAP_SUCCESS ? LDAP_OTHER : rc;
}

void ldapconn_close(LDAP *ld)
{
	if (ld != NULL)
		ldap_unbind_ext(ld, NULL, NULL);
}

int ldapconn_fd(LDAP *ld)
{
	int fd = -1;

	if (ld == NULL || ldap_get_option(ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS)
		return -1;
	return fd;
}

/* Which of the URIs answered (libldap tries them in order): the peer's
 * address, "local" for ldapi://, "?" when not connected. */
void ldapconn_server(char *buf, size_t len, LDAP *ld)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int fd = ldapconn_fd(ld);

	snprintf(buf, len, "?");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
	} else {
		snprintf(buf, len, "local");
	}
}

int ldapconn_errno(LDAP *ld)
{
	int err = LDAP_OTHER;

	if (ld != NULL)
		ldap_get_option(ld, LDAP_OPT_RESULT_CODE, &err);
	return err;
}

int ldapconn_lost(int rc)
{
	switch (rc) {
	case LDAP_SERVER_DOWN:
	case LDAP_CONNECT_ERROR:
	case LDAP_TIMEOUT:
	case LDAP_ENCODING_ERROR:
	case LDAP_DECODING_ERROR:
	case LDAP_UNAVAILABLE:
	case LDAP_BUSY:
		return 1;
	default:
		return 0;
	}
}

int ldapconn_pending(LDAP *ld)
{
	Sockbuf *sb = NULL;

	if (ld == NULL || ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS ||
	    sb == NULL)
		return 0;
	return ber_sockbuf_ctrl(sb, LBER_SB_OPT_DATA_READY, NULL) > 0;
}

int ldapconn_search(LDAPMessage **res, LDAP *ld, const struct config *conf, const char *base,
                    int scope, const char *filter, char **attrs)
{
	struct timeval tv = {conf->timeout, 0};

	*res = NULL;
	return ldap_search_ext_s(ld, base, scope, filter, attrs, 0, NULL, NULL, &tv, 0, res);
}

static int page_cookie(LDAP *ld, LDAPControl **ctrls, struct berval *cookie)
{
	LDAPControl *c = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL);
	ber_int_t count = 0;

	ber_memfree(cookie->bv_val);
	cookie->bv_val = NULL;
	cookie->bv_len = 0;
	if (c == NULL)
		return LDAP_SUCCESS; /* no control: the server sent everything */
	return ldap_parse_pageresponse_control(ld, c, &count, cookie);
}

int ldapconn_search_paged(LDAP *ld, const struct config *conf, const char *base, int scope,
                          const char *filter, char **attrs, int page_size, ldapconn_entry_fn fn,
                          void *ctx)
{
	struct timeval tv = {conf->timeout, 0};
	struct berval cookie = {0, NULL};
	LDAPControl *pctrl = NULL, *sctrls[2] = {NULL, NULL}, **rctrls = NULL;
	LDAPMessage *msg = NULL;
	int msgid = -1, rc, err, type;

	do {
		rc = ldap_create_page_control(ld, page_size, &cookie, 1, &pctrl);
		if (rc != LDAP_SUCCESS)
			goto cleanup;
		sctrls[0] = pctrl;
		rc = ldap_search_ext(ld, base, scope, filter, attrs, 0, sctrls, NULL, &tv, 0,
		                     &msgid);
		ldap_control_free(pctrl);
		pctrl = NULL;
		if (rc != LDAP_SUCCESS)
			goto cleanup;
		for (;;) {
			type = ldap_result(ld, msgid, LDAP_MSG_ONE, &tv, &msg);
			if (type <= 0) {
				rc = type == 0 ? LDAP_TIMEOUT : ldapconn_errno(ld);
				goto cleanup;
			}
			if (type == LDAP_RES_SEARCH_ENTRY) {
				rc = fn(ctx, ld, msg);
				ldap_msgfree(msg);
				msg = NULL;
				if (rc != 0)
					goto cleanup;
				continue;
			}
			if (type != LDAP_RES_SEARCH_RESULT) {
				ldap_msgfree(msg);
				msg = NULL;
				continue;
			}
			msgid = -1;
			rc = ldap_parse_result(ld, msg, &err, NULL, NULL, NULL, &rctrls, 1);
			msg = NULL;
			if (rc == LDAP_SUCCESS)
				rc = err;
			if (rc == LDAP_SUCCESS)
				rc = page_cookie(ld, rctrls, &cookie);
			ldap_controls_free(rctrls);
			rctrls = NULL;
			if (rc != LDAP_SUCCESS)
				goto cleanup;
			break;
		}
		if (provisiond_tick() != 0) {
			rc = LDAP_USER_CANCELLED;
			goto cleanup;
		}
	} while (cookie.bv_len > 0);
	rc = LDAP_SUCCESS;

cleanup:
	if (msgid >= 0)
		ldap_abandon_ext(ld, msgid, NULL, NULL);
	ldap_msgfree(msg);
	ber_memfree(cookie.bv_val);
	return rc;
}

int ldapconn_search_many(LDAP *ld, const struct config *conf, struct ldapconn_req *reqs, size_t n)
{
	struct timeval tv = {conf->timeout, 0};
	size_t sent = 0, done = 0;
	LDAPMessage *msg = NULL;
	int rc = LDAP_SUCCESS, type;

	for (done = 0; done < n; done++)
		reqs[done].msgid = -1;
	done = 0;
	while (done < n) {
		/* answers are taken in the order asked: slapd works on the
		 * others meanwhile */
		while (sent < n && sent - done < MAX_INFLIGHT) {
			rc = ldap_search_ext(ld, reqs[sent].base, reqs[sent].scope,
			                     reqs[sent].filter, reqs[sent].attrs, 0, NULL, NULL,
			                     &tv, 0, &reqs[sent].msgid);
			if (rc != LDAP_SUCCESS)
				goto cleanup;
			sent++;
		}
		type = ldap_result(ld, reqs[done].msgid, LDAP_MSG_ALL, &tv, &msg);
		if (type <= 0) {
			rc = type == 0 ? LDAP_TIMEOUT : ldapconn_errno(ld);
			goto cleanup;
		}
		reqs[done].res = msg;
		reqs[done].msgid = -1;
		msg = NULL;
		rc = ldap_parse_result(ld, reqs[done].res, &reqs[done].rc, NULL, NULL, NULL, NULL,
		                       0);
		if (rc != LDAP_SUCCESS)
			goto cleanup;
		done++;
	}
	rc = LDAP_SUCCESS;

cleanup:
	for (; done < sent; done++)
		if (reqs[done].msgid >= 0)
			ldap_abandon_ext(ld, reqs[done].msgid, NULL, NULL);
	return rc;
}

void ldapconn_req_clear(struct ldapconn_req *reqs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ldap_msgfree(reqs[i].res);
		free(reqs[i].base);
		free(reqs[i].filter);
		memset(&reqs[i], 0, sizeof(reqs[i]));
	}
}
