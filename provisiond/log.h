/*
 * Logging in the manner of OpenBSD's daemons (log.c of ldapd and ypldap):
 * to stderr until log_init() says otherwise, then to the systemd journal.
 * log_warn() appends strerror(errno); the x variants do not.
 */
#ifndef PROVISIOND_LOG_H
#define PROVISIOND_LOG_H

#include <stdarg.h>

/* to_stderr: keep logging to stderr (-d); otherwise the journal. */
void log_init(int to_stderr);
/* Debug messages are dropped unless verbose (-v). */
void log_setverbose(int verbose);
int log_getverbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
