/*
 * provisiond(8): main(), the options, the poll(2) loop, signals and the
 * conversation with systemd (sd_notify(3): READY, STATUS, RELOADING,
 * STOPPING, WATCHDOG).
 *
 * main: options -> log to stderr -> load the configuration (every error
 * counted, then fail) -> -n exits here -> the journal -> READY=1 -> poll()
 * on a signalfd, a timerfd and the sync session's socket (STYLE.md, the
 * daemon). The loop connects (with backoff), writes the catalogue, runs a
 * full reconcile when one is due, and applies batches of sync
 * notifications.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "provisiond.h"

struct provisiond {
	const char *conf_path;
	struct config *conf;
	LDAP *ld;          /* reads and writes */
	struct sync *sync; /* the persistent search, on its own connection */
	struct ustate users;
	struct dirty dirty;
	char *cookie;               /* the last cookie whose notifications are all applied */
	struct backoff backoff;     /* connecting */
	struct backoff run_backoff; /* a run that failed for another reason */
	char server[64];            /* which of uri's servers answered (a cluster) */
	uint64_t failback_due;      /* next look for the first of uri's servers */
	unsigned failback_ms;       /* the look's interval while it does not answer */
	int sfd, tfd;
	uint64_t watchdog_ms; /* ping interval; 0: no watchdog */
	uint64_t watchdog_next;
	uint64_t batch_due; /* 0: nothing gathered */
	uint64_t retry_due; /* when to connect or retry what failed */
	int need_catalog;   /* rights.yaml (re)loaded: write ou=applications */
	int need_reconcile; /* start, reload, or the sync lost track */
	int stopping, reload;
	int remoteauth_pending;       /* slapd's cn=config to be told (remoteauth.c) */
	uint64_t mail_due;            /* next look at the mail queue (manual §3.3) */
	struct source_state *sources; /* by index of conf->sources */
	size_t nsources;
};

/* A source between runs (DESIGN §6): when it is due, and why it is held. */
struct source_state {
	uint64_t due;
	char why[320];     /* empty: applied (or nothing to do) */
	struct sync *sync; /* mode syncrepl: the refreshAndPersist session */
	uint64_t retry_due;
	char *cookie; /* the last cookie whose changes are applied */
	int cookie_loaded;
	/* mode syncrepl, persisting: added or modified entries notified,
	 * applied on their own at pending_due (0: none); a whole run is
	 * wanted for anything else (full_wanted) */
	struct source_pending *pending;
	uint64_t pending_due;
	int full_wanted;
};

/* When a provisiond failed over looks for its preferred provider: FAILBACK_MS
 * after connecting, then twice as long each time it does not answer, up to
 * FAILBACK_MAX_MS; a probe waits FAILBACK_PROBE_S for it. */
#define FAILBACK_MS      5000
#define FAILBACK_MAX_MS  60000
#define FAILBACK_PROBE_S 2

static struct provisiond *pd_global;

static int sources_reset(struct provisiond *pd);

static void usage(void)
{
	fprintf(stderr, "usage: provisiond [-dnv] [-f file] [--dry-run] [--force-source id] "
	                "[--remoteauth-conf]\n");
	exit(1);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sd_notifyf(0, "STATUS=%s", buf);
}

/* ---- signals and the watchdog --------------------------------------------------- */

static void signals_read(struct provisiond *pd)
{
	struct signalfd_siginfo si;

	while (read(pd->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			pd->reload = 1;
			break;
		case SIGTERM:
		case SIGINT:
			pd->stopping = 1;
			break;
		default:
			break;
		}
	}
}

static void watchdog_ping(struct provisiond *pd)
{
	uint64_t now;

	if (pd->watchdog_ms == 0)
		return;
	now = now_ms();
	if (now < pd->watchdog_next)
		return;
	sd_notify(0, "WATCHDOG=1");
	pd->watchdog_next = now + pd->watchdog_ms;
}

/* Notifications that arrive during a long run go on being gathered, so
 * that slapd never queues a backlog for provisiond. */
static void sync_drain(struct provisiond *pd)
{
	int rc;

	if (pd->sync == NULL)
		return;
	rc = sync_poll(pd->sync);
	if (rc != LDAP_SUCCESS) {
		/* the run in progress uses the other connection: it goes on;
		 * the session restarts from the last applied cookie */
		sync_free(pd->sync);
		pd->sync = NULL;
		if (rc == LDAP_SYNC_REFRESH_REQUIRED)
			pd->need_reconcile = 1;
	}
}

int provisiond_tick(void)
{
	struct provisiond *pd = pd_global;

	if (pd == NULL)
		return 0;
	watchdog_ping(pd);
	signals_read(pd);
	sync_drain(pd);
	return pd->stopping ? -1 : 0;
}

/* ---- connection --------------------------------------------------------------------- */

static void retry_later(struct provisiond *pd, struct backoff *b, const char *what)
{
	unsigned ms = backoff_next(b);

	pd->retry_due = now_ms() + ms;
	log_info("%s: retrying in %u ms", what, ms);
	status("%s, retrying in %u ms", what, ms);
}

static void disconnect(struct provisiond *pd, int rc)
{
	if (pd->ld == NULL && pd->sync == NULL)
		return;
	/* DESIGN §5: with several providers in uri the next connection
	 * fails over to the first that answers */
	log_warnx("lost %s (%s): reconnecting", pd->server[0] ? pd->server : pd->conf->uri,
	          ldap_err2string(rc));
	sync_free(pd->sync);
	pd->sync = NULL;
	ldapconn_close(pd->ld);
	pd->ld = NULL;
}

/* The cookie covering what has been applied, on disk for the next start. */
static void cookie_commit(struct provisiond *pd, const char *cookie)
{
	char *copy = NULL;

	if (cookie == NULL || cookie[0] == '\0' || pd->need_reconcile ||
	    (pd->sync != NULL && sync_need_reconcile(pd->sync)))
		return;
	if (pd->cookie != NULL && strcmp(pd->cookie, cookie) == 0)
		return;
	if ((copy = strdup(cookie)) == NULL)
		return;
	if (cookie_save(pd->conf->state_dir, copy, strlen(copy)) == 0) {
		free(pd->cookie);
		pd->cookie = copy;
		log_debug("sync: cookie %s saved", copy);
	} else {
		free(copy);
	}
}

static char *cookie_snapshot(struct provisiond *pd)
{
	const struct berval *c = pd->sync ? sync_cookie(pd->sync) : NULL;

	if (c == NULL || c->bv_val == NULL)
		return NULL;
	return strndup(c->bv_val, c->bv_len);
}

/* Both connections and the refresh phase. The sync starts before the full
 * reconcile: its notifications then cover everything the reconcile may
 * read too early, and none comes from before the cookie. */
static int connect_all(struct provisiond *pd)
{
	LDAP *sld = NULL;
	char *cookie = NULL;
	int rc;

	status("connecting to %s", pd->conf->uri);
	if (pd->ld == NULL) {
		rc = ldapconn_open(&pd->ld, pd->conf);
		if (rc != LDAP_SUCCESS)
			return rc;
	}
	if (pd->sync != NULL)
		return LDAP_SUCCESS;
	if (pd->cookie != NULL) {
		cookie = strdup(pd->cookie);
	} else {
		/* nothing applied yet: the reconcile that follows covers all
		 * before this CSN (DESIGN §5: any provider, idempotently) */
		rc = sync_context_cookie(&cookie, pd->ld, pd->conf);
		if (rc != LDAP_SUCCESS)
			goto cleanup;
		pd->need_reconcile = 1;
	}
	rc = ldapconn_open(&sld, pd->conf);
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	rc = sync_start(&pd->sync, sld, pd->conf, cookie, &pd->dirty);
	if (rc == LDAP_SYNC_REFRESH_REQUIRED) {
		/* the cookie is too old or from another database */
		free(pd->cookie);
		pd->cookie = NULL;
		pd->need_reconcile = 1;
		rc = LDAP_SUCCESS;
		pd->retry_due = now_ms();
		goto cleanup;
	}
	if (rc != LDAP_SUCCESS)
		goto cleanup;
	if (pd->dirty.users.n || pd->dirty.delegations.n)
		pd->batch_due = now_ms() + (uint64_t)pd->conf->batch_ms;
	ldapconn_server(pd->server, sizeof(pd->server), pd->ld);
	/* slapd answers: tell it the remote sources (logged either way; a
	 * failure is tried again at the next connection) */
	if (pd->remoteauth_pending && remoteauth_apply(pd->conf) == 0)
		pd->remoteauth_pending = 0;
	/* several providers: is this the first? (failback_check) */
	pd->failback_ms = 0;
	pd->failback_due = strchr(pd->conf->uri, ' ') ? now_ms() + FAILBACK_MS : 0;
	{
		char sync_server[64];
		ldapconn_server(sync_server, sizeof(sync_server), sld);
		if (strcmp(sync_server, pd->server) == 0)
			log_info("connected to %s (of %s) as %s", pd->server, pd->conf->uri,
			         pd->conf->bind_dn);
		else
			log_info("connected to %s, sync session on %s (of %s) as %s", pd->server,
			         sync_server, pd->conf->uri, pd->conf->bind_dn);
	}
cleanup:
	free(cookie);
	return rc;
}

/* ---- runs ---------------------------------------------------------------------------- */

/* A failed run: a lost connection is re-established; anything else is
 * tried again later, slower each time. */
static void run_failed(struct provisiond *pd, int rc, const char *what)
{
	if (rc == LDAP_USER_CANCELLED) /* stopping */
		return;
	if (ldapconn_lost(rc)) {
		disconnect(pd, rc);
		retry_later(pd, &pd->backoff, what);
	} else {
		retry_later(pd, &pd->run_backoff, what);
	}
}

static int run_reconcile(struct provisiond *pd)
{
	char *snapshot = cookie_snapshot(pd);
	int rc;

	status("full reconcile");
	/* what was gathered so far is read again by the reconcile */
	dirty_free(&pd->dirty);
	pd->batch_due = 0;
	if (pd->sync != NULL)
		sync_reconcile_started(pd->sync);
	pd->need_reconcile = 0;
	rc = reconcile_run(pd->ld, pd->conf, &pd->users);
	if (rc != LDAP_SUCCESS) {
		pd->need_reconcile = 1;
		free(snapshot);
		run_failed(pd, rc, "full reconcile failed");
		return rc;
	}
	cookie_commit(pd, snapshot);
	free(snapshot);
	backoff_reset(&pd->run_backoff);
	if (dirty_count(&pd->dirty))
		pd->batch_due = now_ms() + (uint64_t)pd->conf->batch_ms;
	return LDAP_SUCCESS;
}

static int run_batch(struct provisiond *pd)
{
	struct dirty work = pd->dirty;
	char *snapshot = cookie_snapshot(pd);
	int rc;

	/* notifications arriving meanwhile (provisiond_tick) go to a fresh
	 * set: they may be about users this run has already read */
	dirty_init(&pd->dirty);
	pd->batch_due = 0;
	rc = update_run(pd->ld, pd->conf, &pd->users, &work);
	if (rc == LDAP_SUCCESS) {
		cookie_commit(pd, snapshot);
		backoff_reset(&pd->run_backoff);
	} else if (dirty_merge(&pd->dirty, &work) != 0) {
		/* cannot remember what to redo: the reconcile redoes it all */
		pd->need_reconcile = 1;
	}
	dirty_free(&work);
	free(snapshot);
	if (rc != LDAP_SUCCESS)
		run_failed(pd, rc, "update failed");
	else if (dirty_count(&pd->dirty))
		pd->batch_due = now_ms() + (uint64_t)pd->conf->batch_ms;
	return rc;
}

static void do_reload(struct provisiond *pd)
{
	struct config *conf = NULL;
	int nerr;

	pd->reload = 0;
	sd_notify(0, "RELOADING=1");
	log_info("reloading %s", pd->conf_path);
	nerr = config_load(&conf, pd->conf_path);
	if (nerr > 0) {
		log_warnx("reload: %d error%s, still running with the previous configuration", nerr,
		          nerr == 1 ? "" : "s");
		sd_notify(0, "READY=1");
		return;
	}
	/* the sync session and the user state hold on to the old catalogue
	 * (attribute names, rules): start them again from the cookie */
	sync_free(pd->sync);
	pd->sync = NULL;
	ldapconn_close(pd->ld);
	pd->ld = NULL;
	if (strcmp(pd->conf->state_dir, conf->state_dir) != 0 ||
	    strcmp(pd->conf->suffix, conf->suffix) != 0 || config_conn_changed(pd->conf, conf)) {
		free(pd->cookie);
		pd->cookie = NULL;
		if (cookie_load(&pd->cookie, conf->state_dir) != 0)
			pd->cookie = NULL;
	}
	if (remoteauth_changed(pd->conf, conf))
		pd->remoteauth_pending = 1;
	config_free(pd->conf);
	pd->conf = conf;
	if (sources_reset(pd) != 0)
		fatalx("out of memory");
	pd->need_catalog = 1;
	pd->need_reconcile = 1;
	pd->retry_due = 0;
	backoff_reset(&pd->backoff);
	backoff_reset(&pd->run_backoff);
	log_info("reload: %s and %s loaded", conf->path, conf->rights_path);
	sd_notify(0, "READY=1");
}

/* ---- corporate sync (DESIGN §6) ------------------------------------------------------ */

static void sources_free(struct source_state *st, size_t n)
{
	size_t i;

	for (i = 0; st != NULL && i < n; i++) {
		sync_free(st[i].sync);
		source_pending_free(st[i].pending);
		free(st[i].cookie);
	}
	free(st);
}

/* A new configuration: sources start again (their cookies stay on disk). */
static int sources_reset(struct provisiond *pd)
{
	sources_free(pd->sources, pd->nsources);
	pd->nsources = pd->conf->nsources;
	pd->sources = calloc(pd->conf->nsources + 1, sizeof(*pd->sources));
	return pd->sources ? 0 : -1;
}

static void source_cookie_name(char *buf, size_t len, const struct source *src)
{
	snprintf(buf, len, "source-%s.cookie", src->id);
}

/* mode syncrepl: the session, resumed from the cookie of the last applied
 * run; a run is due if the source changed meanwhile (or none was ever
 * applied). */
static void source_connect(struct provisiond *pd, size_t i, uint64_t now)
{
	const struct source *src = &pd->conf->sources[i];
	struct source_state *st = &pd->sources[i];
	char name[128];
	LDAP *ld = NULL;
	int rc;

	source_cookie_name(name, sizeof(name), src);
	if (!st->cookie_loaded) {
		if (cookie_load_named(&st->cookie, pd->conf->state_dir, name) != 0)
			st->cookie = NULL;
		st->cookie_loaded = 1;
	}
	rc = ldapconn_open_as(&ld, src->uri, src->bind_dn, src->password_file, &src->tls,
	                      pd->conf->timeout);
	if (rc == LDAP_SUCCESS)
		rc = sync_start_source(&st->sync, ld, pd->conf, src, st->cookie);
	if (rc == LDAP_SYNC_REFRESH_REQUIRED) {
		/* the cookie is of no use: a whole run covers it */
		free(st->cookie);
		st->cookie = NULL;
		st->retry_due = now;
		return;
	}
	if (rc != LDAP_SUCCESS) {
		log_warnx("source %s: sync session: %s", src->id, ldap_err2string(rc));
		st->retry_due = now + 2000;
		return;
	}
	if (st->pending == NULL)
		st->pending = source_pending_new(src);
	source_pending_discard(st->pending);
	st->pending_due = 0;
	if (st->pending != NULL)
		sync_on_entry(st->sync, source_pending_note, st->pending);
	if (sync_take_changed(st->sync) || st->cookie == NULL)
		st->due = now;
	else if (st->due == 0)
		st->due = now + (uint64_t)src->interval * 1000;
	log_info("source %s: %s from %s", src->id, st->cookie ? "sync resumed" : "sync started",
	         src->uri);
}

/* Notifications of the sources' sessions: a run after batch-delay. */
static void sources_read(struct provisiond *pd, const struct pollfd *fds, size_t nfds)
{
	struct source_state *st;
	size_t i;
	int rc;

	for (i = 0; i < pd->nsources && i < nfds; i++) {
		st = &pd->sources[i];
		if (st->sync == NULL || fds[i].fd < 0 ||
		    !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		rc = sync_poll(st->sync);
		if (rc != LDAP_SUCCESS) {
			log_warnx("source %s: sync session ended: %s", pd->conf->sources[i].id,
			          ldap_err2string(rc));
			sync_free(st->sync);
			st->sync = NULL;
			st->retry_due = now_ms() + 1000;
			continue;
		}
		if (sync_take_changed(st->sync)) {
			uint64_t due = now_ms() + (uint64_t)pd->conf->batch_ms;
			if (st->due > due)
				st->due = due;
			st->full_wanted = 1;
		}
		if (source_pending_count(st->pending) > 0 && st->pending_due == 0)
			st->pending_due = now_ms() + (uint64_t)pd->conf->batch_ms;
	}
}

/* Notified adds and modifies of a syncrepl source, each user looked up by
 * umSourceKey: no whole read of the source per change. The cookie is
 * saved only when no whole run is owed (a delete, the refresh phase), so
 * that a restart never skips one. */
static void source_step_pending(struct provisiond *pd, size_t i)
{
	const struct source *src = &pd->conf->sources[i];
	struct source_state *st = &pd->sources[i];
	struct source_counts n;
	const struct berval *c = st->sync ? sync_cookie(st->sync) : NULL;
	char *snapshot = NULL, name[128];
	int rc, full = 0;

	st->pending_due = 0;
	if (c != NULL && c->bv_val != NULL)
		snapshot = strndup(c->bv_val, c->bv_len);
	rc = source_pending_apply(st->pending, &n, &full, pd->ld, pd->conf);
	if (rc != LDAP_SUCCESS || full) {
		st->due = now_ms(); /* a whole run decides */
		st->full_wanted = 1;
	} else if (!st->full_wanted && snapshot != NULL) {
		source_cookie_name(name, sizeof(name), src);
		if (cookie_save_named(pd->conf->state_dir, name, snapshot, strlen(snapshot)) == 0) {
			free(st->cookie);
			st->cookie = snapshot;
			snapshot = NULL;
		}
	}
	free(snapshot);
}

/* The poll sources that are due, one after the other. */
static uint64_t sources_step(struct provisiond *pd, uint64_t next)
{
	struct source_counts n;
	struct source_state *st;
	const struct source *src;
	uint64_t now;
	size_t i;
	int rc;

	for (i = 0; i < pd->conf->nsources && pd->ld != NULL; i++) {
		src = &pd->conf->sources[i];
		st = &pd->sources[i];
		now = now_ms();
		if (src->mode == SOURCE_SYNCREPL && st->sync == NULL) {
			if (st->retry_due <= now)
				source_connect(pd, i, now);
			if (st->sync == NULL) {
				if (st->retry_due < next)
					next = st->retry_due;
				continue;
			}
		}
		if (st->due <= now) {
			char *snapshot = NULL;
			const struct berval *c = st->sync ? sync_cookie(st->sync) : NULL;
			if (c != NULL && c->bv_val != NULL)
				snapshot = strndup(c->bv_val, c->bv_len);
			status("syncing source %s", src->id);
			/* the whole run covers what was notified so far */
			source_pending_discard(st->pending);
			st->pending_due = 0;
			st->full_wanted = 0;
			rc = source_run(&n, st->why, sizeof(st->why), pd->ld, pd->conf, src, 0);
			st->due = now_ms() + (uint64_t)src->interval * 1000;
			if (rc == LDAP_SUCCESS && !n.held && snapshot != NULL) {
				/* RFC 4533: a restart resumes after what is applied */
				char name[128];
				source_cookie_name(name, sizeof(name), src);
				if (cookie_save_named(pd->conf->state_dir, name, snapshot,
				                      strlen(snapshot)) == 0) {
					free(st->cookie);
					st->cookie = snapshot;
					snapshot = NULL;
				}
			}
			free(snapshot);
			if (rc != LDAP_SUCCESS && ldapconn_lost(rc) &&
			    ldapconn_errno(pd->ld) != LDAP_SUCCESS) {
				/* the portal's connection, or only the source's: the
				 * source's own is gone with the run; the portal's is
				 * checked by the next step */
				log_debug("source %s: %s", src->id, ldap_err2string(rc));
			}
		}
		if (st->pending_due != 0 && st->pending_due <= now_ms())
			source_step_pending(pd, i);
		if (st->due < next)
			next = st->due;
		if (st->pending_due != 0 && st->pending_due < next)
			next = st->pending_due;
	}
	return next;
}

/* sd_notify STATUS shows a held source until it is forced or comes right. */
static void status_ready(struct provisiond *pd)
{
	size_t i;

	for (i = 0; i < pd->conf->nsources; i++)
		if (pd->sources[i].why[0] != '\0') {
			status("in sync with %s; %s", pd->conf->uri, pd->sources[i].why);
			return;
		}
	status("in sync with %s", pd->conf->uri);
}

/* --dry-run and --force-source: one run of the sources, then exit. */
static int sources_once(struct config *conf, const char *force_id)
{
	struct source_counts n;
	struct changeset cs;
	char why[320];
	LDAP *ld = NULL;
	size_t i;
	int rc, found = 0, failed = 0;

	rc = ldapconn_open(&ld, conf);
	if (rc != LDAP_SUCCESS)
		return 2;
	for (i = 0; i < conf->nsources; i++) {
		const struct source *src = &conf->sources[i];
		if (force_id != NULL) {
			if (strcmp(src->id, force_id) != 0)
				continue;
			found = 1;
			rc = source_run(&n, why, sizeof(why), ld, conf, src, 1);
			if (rc != LDAP_SUCCESS)
				failed = 1;
			continue;
		}
		changeset_init(&cs);
		rc = source_build(&cs, &n, why, sizeof(why), ld, conf, src, 0);
		if (rc != LDAP_SUCCESS) {
			log_warnx("source %s: nothing to show: %s", src->id, ldap_err2string(rc));
			failed = 1;
		} else {
			printf("# source %s: %zu upstream, %zu added, %zu updated, %zu "
			       "deactivated, "
			       "%zu reactivated, %zu skipped\n",
			       src->id, n.upstream, n.added, n.updated, n.deactivated,
			       n.reactivated, n.skipped);
			if (n.held)
				printf("# %s: provisiond --force-source %s applies it\n", why,
				       src->id);
			changeset_print_ldif(&cs, stdout);
		}
		changeset_trash(&cs);
	}
	ldapconn_close(ld);
	if (force_id != NULL && !found) {
		log_warnx("%s: no source \"%s\"", conf->path, force_id);
		return 1;
	}
	fflush(stdout);
	return failed ? 1 : 0;
}

/*
 * Failed over to another of uri's servers (DESIGN §5): is the first one
 * back? A probe connects to it alone, with a short timeout (the loop waits
 * meanwhile), first FAILBACK_MS after the connection, then slower while it
 * does not answer. Back, provisiond reconnects, resuming from the cookie.
 * Every provisiond thus writes through the same provider whenever it can:
 * their writes do not race across providers, and a recovery mail's claim
 * (mail.c) is decided by one server.
 */
static void failback_check(struct provisiond *pd)
{
	char first_uri[512], first[64];
	LDAP *probe = NULL;
	size_t len = strcspn(pd->conf->uri, " ");

	if (pd->ld == NULL || pd->failback_due == 0 || pd->failback_due > now_ms())
		return;
	if (len >= sizeof(first_uri)) {
		pd->failback_due = 0;
		return;
	}
	memcpy(first_uri, pd->conf->uri, len);
	first_uri[len] = '\0';
	if (ldapconn_open_as(&probe, first_uri, pd->conf->bind_dn, pd->conf->password_file, NULL,
	                     FAILBACK_PROBE_S) != LDAP_SUCCESS) {
		pd->failback_ms = pd->failback_ms ? pd->failback_ms * 2 : FAILBACK_MS;
		if (pd->failback_ms > FAILBACK_MAX_MS)
			pd->failback_ms = FAILBACK_MAX_MS;
		pd->failback_due = now_ms() + pd->failback_ms;
		return;
	}
	ldapconn_server(first, sizeof(first), probe);
	ldapconn_close(probe);
	pd->failback_ms = 0;
	pd->failback_due = 0; /* on the first: until the next connection */
	if (strcmp(first, pd->server) == 0)
		return;
	log_info("%s answers again, before %s: reconnecting", first, pd->server);
	sync_free(pd->sync);
	pd->sync = NULL;
	ldapconn_close(pd->ld);
	pd->ld = NULL;
	pd->retry_due = 0;
}

/* One step of whatever is due; returns the next deadline. */
static uint64_t loop_step(struct provisiond *pd)
{
	uint64_t now = now_ms(), next = UINT64_MAX, src_next = UINT64_MAX;
	int rc;

	/* a burst is gathered for batch-delay ms from its first change */
	if (dirty_count(&pd->dirty) && pd->batch_due == 0)
		pd->batch_due = now + (uint64_t)pd->conf->batch_ms;
	if (pd->retry_due > now)
		goto deadlines;
	if (pd->ld == NULL || pd->sync == NULL) {
		rc = connect_all(pd);
		if (rc != LDAP_SUCCESS) {
			sync_free(pd->sync);
			pd->sync = NULL;
			ldapconn_close(pd->ld);
			pd->ld = NULL;
			retry_later(pd, &pd->backoff, "connecting failed");
			goto deadlines;
		}
		if (pd->sync == NULL) /* refresh required: once more, at once */
			goto deadlines;
		backoff_reset(&pd->backoff);
	}
	if (pd->need_catalog) {
		status("writing the catalogue");
		rc = catalog_sync(pd->ld, pd->conf);
		if (rc != LDAP_SUCCESS) {
			run_failed(pd, rc, "writing the catalogue failed");
			goto deadlines;
		}
		pd->need_catalog = 0;
	}
	if (pd->need_reconcile || (pd->sync != NULL && sync_need_reconcile(pd->sync))) {
		if (run_reconcile(pd) != LDAP_SUCCESS)
			goto deadlines;
		log_info("in sync with %s", pd->conf->uri);
	}
	if (dirty_count(&pd->dirty) && pd->batch_due <= now_ms() && pd->ld != NULL) {
		status("applying changes");
		run_batch(pd);
	}
	if (pd->ld != NULL && pd->mail_due <= now_ms()) {
		rc = mail_queue_run(pd->ld, pd->conf, &pd->conf->mail, pd->conf->mail_dn);
		if (rc != LDAP_SUCCESS)
			log_warnx("mail: reading the queue: %s", ldap_err2string(rc));
		pd->mail_due = now_ms() + (uint64_t)pd->conf->mail_ms;
	}
	if (pd->ld != NULL && pd->sync != NULL && pd->conf->nsources > 0)
		src_next = sources_step(pd, src_next);
	failback_check(pd);
	if (pd->ld == NULL)
		goto deadlines;
	if (pd->ld != NULL && pd->sync != NULL)
		status_ready(pd);

deadlines:
	now = now_ms();
	if (dirty_count(&pd->dirty) && pd->batch_due == 0)
		pd->batch_due = now + (uint64_t)pd->conf->batch_ms;
	if (pd->retry_due > now)
		next = pd->retry_due;
	else if (pd->ld == NULL || pd->sync == NULL)
		next = now;
	else if (dirty_count(&pd->dirty))
		next = pd->batch_due;
	if (pd->ld != NULL && pd->sync != NULL && src_next < next)
		next = src_next;
	if (pd->watchdog_ms && pd->watchdog_next < next)
		next = pd->watchdog_next;
	if (pd->ld != NULL && pd->mail_due < next)
		next = pd->mail_due;
	if (pd->ld != NULL && pd->failback_due != 0 && pd->failback_due < next)
		next = pd->failback_due;
	return next;
}

static int timer_arm(int tfd, uint64_t deadline_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (deadline_ms != UINT64_MAX) {
		if (deadline_ms == 0)
			deadline_ms = 1; /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(deadline_ms / 1000);
		its.it_value.tv_nsec = (long)(deadline_ms % 1000) * 1000000;
	}
	return timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int provisiond_loop(struct provisiond *pd)
{
	struct pollfd *fds = NULL;
	uint64_t next, expirations;
	nfds_t n;
	size_t i;
	int rc;

	while (!pd->stopping) {
		if (pd->reload)
			do_reload(pd);
		watchdog_ping(pd);
		next = loop_step(pd);
		if (pd->stopping)
			break;
		if (pd->reload)
			continue;
		if (timer_arm(pd->tfd, next) != 0)
			fatal("timerfd_settime");
		free(fds);
		if ((fds = calloc(3 + pd->nsources, sizeof(*fds))) == NULL)
			fatal("calloc");
		/* the sources' sessions after the first three */
		for (i = 0; i < pd->nsources; i++) {
			fds[3 + i].fd = pd->sources[i].sync ? sync_fd(pd->sources[i].sync) : -1;
			fds[3 + i].events = POLLIN;
		}
		fds[2].fd = -1;
		fds[0].fd = pd->sfd;
		fds[0].events = POLLIN;
		fds[1].fd = pd->tfd;
		fds[1].events = POLLIN;
		n = 2;
		if (pd->sync != NULL) {
			fds[2].fd = sync_fd(pd->sync);
			fds[2].events = POLLIN;
			n = 3;
		}
		if (poll(fds, 3 + pd->nsources, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (fds[0].revents & POLLIN)
			signals_read(pd);
		sources_read(pd, fds + 3, pd->nsources);
		if (fds[1].revents & POLLIN)
			while (read(pd->tfd, &expirations, sizeof(expirations)) > 0)
				;
		if (n == 3 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			rc = sync_poll(pd->sync);
			if (rc == LDAP_SYNC_REFRESH_REQUIRED) {
				free(pd->cookie);
				pd->cookie = NULL;
				sync_free(pd->sync);
				pd->sync = NULL;
			} else if (rc != LDAP_SUCCESS) {
				/* slapd restarting: both connections are gone */
				disconnect(pd, rc);
				retry_later(pd, &pd->backoff, "the sync session ended");
			}
		}
	}
	free(fds);
	return 0;
}

static int signals_setup(void)
{
	sigset_t mask;

	/* libldap writes to sockets the server may have closed */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0)
		return -1;
	return signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int main(int argc, char *argv[])
{
	struct provisiond pd;
	uint64_t usec = 0;
	static const struct option longopts[] = {
	        {"dry-run", no_argument, NULL, 'D'},
	        {"force-source", required_argument, NULL, 'F'},
	        {"remoteauth-conf", no_argument, NULL, 'R'},
	        {NULL, 0, NULL, 0},
	};
	const char *force_id = NULL;
	int ch, debug = 0, noaction = 0, verbose = 0, nerr, dry_run = 0, remoteauth = 0, rc;

	memset(&pd, 0, sizeof(pd));
	pd.conf_path = PROVISIOND_CONF;
	while ((ch = getopt_long(argc, argv, "df:nv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'D':
			dry_run = 1;
			break;
		case 'F':
			force_id = optarg;
			break;
		case 'R':
			remoteauth = 1;
			break;
		case 'd':
			debug = 1;
			break;
		case 'f':
			pd.conf_path = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init(1);
	log_setverbose(verbose);
	nerr = config_load(&pd.conf, pd.conf_path);
	if (nerr > 0) {
		log_warnx("%s: %d error%s", pd.conf_path, nerr, nerr == 1 ? "" : "s");
		return 1;
	}
	if (remoteauth) {
		/* slapd.conf lines for authentication: remote (source.c) */
		remoteauth_conf_write(stdout, pd.conf);
		config_free(pd.conf);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (noaction) {
		fprintf(stderr, "configuration OK\n");
		config_free(pd.conf);
		return 0;
	}
	if (dry_run || force_id != NULL) {
		/* DESIGN §6: print the pending change set, or apply one held run */
		rc = sources_once(pd.conf, dry_run ? NULL : force_id);
		config_free(pd.conf);
		return rc;
	}
	if (state_dir_prepare(pd.conf->state_dir) != 0)
		return 1;
	if (cookie_load(&pd.cookie, pd.conf->state_dir) != 0)
		return 1;
	log_init(debug);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init");
	if ((pd.sfd = signals_setup()) < 0)
		fatal("signals");
	pd.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (pd.tfd < 0)
		fatal("timerfd_create");
	if (sd_watchdog_enabled(0, &usec) > 0)
		pd.watchdog_ms = usec / 2000; /* ping twice per period */
	ustate_init(&pd.users);
	dirty_init(&pd.dirty);
	if (sources_reset(&pd) != 0)
		fatalx("out of memory");
	pd.need_catalog = 1;
	pd.need_reconcile = 1;
	pd_global = &pd;
	for (size_t i = 0; i < pd.conf->nsources; i++)
		/* slapd may have started with other sources than these */
		pd.remoteauth_pending |= pd.conf->sources[i].remote_auth;

	log_info("starting: %s, rights from %s%s", pd.conf->uri, pd.conf->rights_path,
	         pd.cookie ? ", resuming the sync" : "");
	sd_notify(0, "READY=1");
	provisiond_loop(&pd);

	sd_notify(0, "STOPPING=1");
	log_info("stopping");
	pd_global = NULL;
	sync_free(pd.sync);
	ldapconn_close(pd.ld);
	dirty_free(&pd.dirty);
	ustate_free(&pd.users);
	free(pd.cookie);
	sources_free(pd.sources, pd.nsources);
	config_free(pd.conf);
	close(pd.sfd);
	close(pd.tfd);
	return 0;
}
