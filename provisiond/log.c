/*
 * log.h: stderr or the journal (sd_journal_print(3)), one line a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "log.h"

static int log_stderr = 1;
static int log_verbose;

void log_init(int to_stderr)
{
	log_stderr = to_stderr;
}

void log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int log_getverbose(void)
{
	return log_verbose;
}

static void log_line(int pri, const char *line)
{
	struct timespec ts;
	struct tm tm;

	if (!log_stderr) {
		sd_journal_print(pri, "%s", line);
		return;
	}
	/* -d runs under make run and the tests: timestamps order the log
	 * against slapd's and the tests' own actions */
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	fprintf(stderr, "%02d:%02d:%02d.%03ld provisiond: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
	        ts.tv_nsec / 1000000, line);
	fflush(stderr);
}

/* with_errno: append ": strerror(errno)", as OpenBSD's log_warn() does. */
static void log_vformat(int pri, int with_errno, const char *fmt, va_list ap)
{
	char line[2048], why[128];
	int saved = errno;
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(line)) {
		if (strerror_r(saved, why, sizeof(why)) != 0)
			snprintf(why, sizeof(why), "error %d", saved);
		snprintf(line + n, sizeof(line) - (size_t)n, ": %s", why);
	}
	log_line(pri, line);
	errno = saved;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_ERR, 1, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_ERR, 0, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	log_vformat(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_CRIT, 1, fmt, ap);
	va_end(ap);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vformat(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
