/*
 * provisiond: the mails of password recovery (manual §3.3). The overlay
 * writes each mail, already in the user's language, under
 * ou=mail,ou=system; provisiond sends it through libcurl's SMTP (smtp://,
 * smtps://, STARTTLS, AUTH) to the configured relay, or, with no relay
 * (the `make run` default), drops it into a maildir so the flow works out
 * of the box. Each mail is claimed before it is sent: the delete of its
 * queue entry succeeds for one provisiond only, so two of them (a cluster,
 * DESIGN §5) never send it twice; a mail that then cannot be sent is put
 * back in the queue for the next run. The overlay seals every body to provisiond's
 * key (lib/seal.h, mail-key): it is opened here, just before sending, and
 * the clear text exists nowhere else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "log.h"
#include "provisiond.h"
#include "seal.h"

/* A subject outside ASCII is sent as an RFC 2047 encoded word. */
static char *mail_header_encode(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i, o = 0;
	char *out = NULL;

	for (i = 0; i < len; i++) {
		if (s[i] >= 0x80 || s[i] < 0x20)
			break;
	}
	if (i == len)
		return strdup(text);
	out = malloc(len * 4 / 3 + 32);
	if (!out)
		return NULL;
	o = (size_t)sprintf(out, "=?UTF-8?B?");
	o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, s, (int)len);
	strcpy(out + o, "?=");
	return out;
}

/* The whole message, CRLF line ends, body in UTF-8 8bit. */
static char *mail_compose(const struct mail_relay *relay, const char *to, const char *subject,
                          const char *body, size_t *lenp)
{
	char date[64], host[128], *subj = NULL, *msg = NULL;
	size_t cap, o = 0;
	const char *p;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if (!(subj = mail_header_encode(subject)))
		return NULL;
	cap = strlen(body) * 2 + strlen(subj) + strlen(to) + strlen(relay->from) + 512;
	if (!(msg = malloc(cap)))
		goto cleanup;
	o = (size_t)snprintf(msg, cap,
	                     "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
	                     "Message-ID: <%ld.%d@%s>\r\nMIME-Version: 1.0\r\n"
	                     "Content-Type: text/plain; charset=UTF-8\r\n"
	                     "Content-Transfer-Encoding: 8bit\r\n\r\n",
	                     relay->from, to, subj, date, (long)now, (int)getpid(), host);
	for (p = body; *p && o + 3 < cap; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			msg[o++] = '\r';
		msg[o++] = *p;
	}
	msg[o] = '\0';
	*lenp = o;
cleanup:
	free(subj);
	return msg;
}

struct mail_reader {
	const char *data;
	size_t len, off;
};

static size_t mail_read(char *buf, size_t size, size_t nmemb, void *userp)
{
	struct mail_reader *r = userp;
	size_t n = size * nmemb;

	if (n > r->len - r->off)
		n = r->len - r->off;
	memcpy(buf, r->data + r->off, n);
	r->off += n;
	return n;
}

static int mail_read_password(char *buf, size_t size, const char *path)
{
	FILE *f = NULL;
	struct stat st;
	size_t n;

	if (stat(path, &st) != 0 || (st.st_mode & 077)) {
		log_warnx("mail: %s must exist and not be accessible by others", path);
		return -1;
	}
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

static int mail_send_smtp(const struct mail_relay *relay, int timeout, const char *to,
                          const char *msg, size_t len)
{
	CURL *curl = NULL;
	struct curl_slist *rcpt = NULL;
	struct mail_reader reader = {msg, len, 0};
	char from[512], password[256];
	CURLcode rc;
	int ret = -1;

	if (!(curl = curl_easy_init()))
		return -1;
	/* the envelope sender: the address inside "Name <address>" */
	{
		const char *lt = strchr(relay->from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
		if (lt && gt)
			snprintf(from, sizeof(from), "<%.*s>", (int)(gt - lt - 1), lt + 1);
		else
			snprintf(from, sizeof(from), "<%s>", relay->from);
	}
	rcpt = curl_slist_append(NULL, to);
	curl_easy_setopt(curl, CURLOPT_URL, relay->url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, mail_read);
	curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)timeout);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)timeout * 3);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	if (relay->starttls)
		curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (relay->user) {
		if (!relay->password_file ||
		    mail_read_password(password, sizeof(password), relay->password_file))
			goto cleanup;
		curl_easy_setopt(curl, CURLOPT_USERNAME, relay->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, password);
	}
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		log_warnx("mail: sending to %s through %s: %s", to, relay->url,
		          curl_easy_strerror(rc));
		goto cleanup;
	}
	ret = 0;
cleanup:
	memset(password, 0, sizeof(password));
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(curl);
	return ret;
}

/* maildir(5): write under tmp/, then rename into new/. */
static int mail_send_maildir(const char *maildir, const char *msg, size_t len)
{
	static unsigned long seq;
	char name[256], tmp[4096], dst[4096];
	const char *sub[] = {"", "/tmp", "/new", "/cur"};
	int fd = -1, i;
	struct timespec ts;

	for (i = 0; i < 4; i++) {
		snprintf(tmp, sizeof(tmp), "%s%s", maildir, sub[i]);
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
			log_warn("mail: mkdir %s", tmp);
			return -1;
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "%ld.M%ldP%dQ%lu.provisiond", (long)ts.tv_sec,
	         ts.tv_nsec / 1000, (int)getpid(), ++seq);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", maildir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", maildir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		log_warn("mail: %s", tmp);
		return -1;
	}
	if (write(fd, msg, len) != (ssize_t)len || fsync(fd) != 0) {
		log_warn("mail: %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, dst) != 0) {
		log_warn("mail: %s", dst);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int mail_send(const struct mail_relay *relay, int timeout, const char *to, const char *subject,
              const char *body)
{
	char *msg = NULL;
	size_t len = 0;
	int rc;

	if (!(msg = mail_compose(relay, to, subject, body, &len)))
		return -1;
	rc = relay->url ? mail_send_smtp(relay, timeout, to, msg, len)
	                : mail_send_maildir(relay->maildir, msg, len);
	free(msg);
	return rc;
}

static char *mail_value(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval **v = ldap_get_values_len(ld, e, attr);
	char *s = NULL;

	if (v && v[0] && (s = malloc(v[0]->bv_len + 1))) {
		memcpy(s, v[0]->bv_val, v[0]->bv_len);
		s[v[0]->bv_len] = '\0';
	}
	ldap_value_free_len(v);
	return s;
}

static EVP_PKEY *mail_key_load(const char *path)
{
	EVP_PKEY *key = NULL;
	FILE *f = NULL;

	if (!path) {
		log_warnx("mail: the queue holds sealed mails and no mail-key is configured");
		return NULL;
	}
	if ((f = fopen(path, "r")) != NULL) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (!key || !EVP_PKEY_is_a(key, "X25519")) {
		log_warnx("mail: mail-key %s is not a PEM X25519 private key", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* The clear body of a queued mail, malloc()ed; NULL when it cannot be
 * opened (another key, another address, altered). Bodies queued in clear
 * by an overlay older than the sealing are sent as they are. */
static char *mail_body_open(EVP_PKEY **key, int *key_tried, const struct mail_relay *relay,
                            const char *to, const char *body)
{
	char *clear = NULL;

	if (!seal_is_sealed(body))
		return strdup(body);
	if (!*key && !*key_tried) {
		*key = mail_key_load(relay->key_file);
		*key_tried = 1;
	}
	if (!*key || seal_open(&clear, NULL, *key, to, strlen(to), body) != 0)
		return NULL;
	return clear;
}

/* Back in the queue after a failed send: the same entry, for the next run
 * (of this provisiond or another one). */
static void mail_requeue(LDAP *ld, const char *dn, char *cn, char *to, char *subject, char *body)
{
	char *oc_v[] = {"umMail", NULL}, *cn_v[] = {cn, NULL}, *mail_v[] = {to, NULL};
	char *subj_v[] = {subject, NULL}, *body_v[] = {body, NULL};
	LDAPMod oc = {LDAP_MOD_ADD, "objectClass", {oc_v}}, m_cn = {LDAP_MOD_ADD, "cn", {cn_v}};
	LDAPMod m_mail = {LDAP_MOD_ADD, "mail", {mail_v}};
	LDAPMod m_subj = {LDAP_MOD_ADD, "umMailSubject", {subj_v}};
	LDAPMod m_body = {LDAP_MOD_ADD, "umMailBody", {body_v}};
	LDAPMod *mods[] = {&oc, &m_cn, &m_mail, &m_subj, &m_body, NULL};
	int rc = ldap_add_ext_s(ld, dn, mods, NULL, NULL);

	if (rc != LDAP_SUCCESS)
		log_warnx("mail: %s not sent and not queued again: %s", dn, ldap_err2string(rc));
}

/*
 * Claim, then send: at most once. The delete is the claim: with two
 * provisiond on one provider only one delete succeeds (the other gets
 * noSuchObject and skips the mail). What the claim does not cover: two
 * provisiond writing to two different providers (one failed over while
 * the other did not) may both delete within the replication lag, and both
 * send; and a provisiond that dies between its delete and the send loses
 * that mail (the user asks again: the request answers the same every time,
 * manual §3.3). Sending first and deleting after would be at least once
 * instead: a duplicate on every crash or failover; a token mail sent twice
 * is worse than one lost.
 */
int mail_queue_run(LDAP *ld, const struct config *conf, const struct mail_relay *relay,
                   const char *queue_dn)
{
	static char *attrs[] = {"cn", "mail", "umMailSubject", "umMailBody", NULL};
	LDAPMessage *res = NULL, *e;
	struct timeval tv = {conf->timeout, 0};
	EVP_PKEY *key = NULL;
	int rc, sent = 0, kept = 0, key_tried = 0, claimed = 0;

	rc = ldap_search_ext_s(ld, queue_dn, LDAP_SCOPE_ONELEVEL, "(objectClass=umMail)", attrs, 0,
	                       NULL, NULL, &tv, 1000, &res);
	if (rc == LDAP_NO_SUCH_OBJECT) {
		ldap_msgfree(res);
		return LDAP_SUCCESS;
	}
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		ldap_msgfree(res);
		return rc;
	}
	for (e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
		char *dn = ldap_get_dn(ld, e);
		char *cn = mail_value(ld, e, "cn");
		char *to = mail_value(ld, e, "mail");
		char *subject = mail_value(ld, e, "umMailSubject");
		char *body = mail_value(ld, e, "umMailBody");
		char *clear = NULL;

		if (dn && to && body &&
		    !(clear = mail_body_open(&key, &key_tried, relay, to, body)))
			log_warnx("mail: %s cannot be opened with mail-key: kept", dn);
		if (!(dn && cn && to && subject && clear)) {
			kept++;
			goto next;
		}
		rc = ldap_delete_ext_s(ld, dn, NULL, NULL);
		if (rc == LDAP_NO_SUCH_OBJECT) {
			claimed++; /* another provisiond's */
			goto next;
		}
		if (rc != LDAP_SUCCESS) {
			log_warnx("mail: %s not claimed: %s: kept", dn, ldap_err2string(rc));
			kept++;
			goto next;
		}
		if (mail_send(relay, conf->timeout, to, subject, clear) == 0) {
			sent++;
		} else {
			mail_requeue(ld, dn, cn, to, subject, body);
			kept++;
		}
	next:
		ldap_memfree(dn);
		free(cn);
		free(to);
		free(subject);
		free(body);
		if (clear) {
			OPENSSL_cleanse(clear, strlen(clear));
			free(clear);
		}
	}
	EVP_PKEY_free(key);
	ldap_msgfree(res);
	if (sent || kept || claimed)
		log_info("mail: %d sent, %d kept for the next run, %d sent by another provisiond",
		         sent, kept, claimed);
	return LDAP_SUCCESS;
}
