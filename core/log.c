/* One event per line, key=value, to stderr or syslog. */
#include "dcmon/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "dcmon/enumtab.h"

static enum log_level log_threshold = LOG_LVL_INFO;
static bool log_syslog;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

const char *const log_level_names[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARN] = "warn",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
	NULL,
};

int log_level_parse(const char *s, enum log_level *out)
{
	int v;
	if (enum_parse_nocase(log_level_names, s, &v) < 0)
		return -EINVAL;
	*out = (enum log_level)v;
	return 0;
}

const char *log_level_name(enum log_level lvl)
{
	return enum_name(log_level_names, (int)lvl);
}

void log_set_level(enum log_level lvl)
{
	log_threshold = lvl;
}

void log_use_syslog(bool on, const char *ident)
{
	log_syslog = on;
	if (on)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* Writes `text` quoted, escaping what would break one-line key=value parsing. */
static void put_quoted(FILE *f, const char *text)
{
	fputc('"', f);
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if ((unsigned char)*p < 0x20)
			fprintf(f, "\\x%02x", (unsigned char)*p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void log_vemit(enum log_level lvl, const char *sub, const char *dev, const char *suffix,
		      const char *fmt, va_list ap)
{
	if (lvl > log_threshold)
		return;
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (suffix) {
		size_t l = strlen(msg);
		snprintf(msg + l, sizeof(msg) - l, ": %s", suffix);
	}
	if (log_syslog) {
		static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
		syslog(prio[lvl], "sub=%s%s%s msg=\"%s\"", sub, dev ? " dev=" : "", dev ? dev : "",
		       msg);
		return;
	}
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s sub=%s",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, log_level_names[lvl], sub);
	if (dev)
		fprintf(stderr, " dev=%s", dev);
	fputs(" msg=", stderr);
	put_quoted(stderr, msg);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level lvl, const char *sub, const char *dev, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vemit(lvl, sub, dev, NULL, fmt, ap);
	va_end(ap);
}

void log_warn(const char *sub, const char *dev, const char *fmt, ...)
{
	int saved = errno;
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	log_vemit(LOG_LVL_WARN, sub, dev, strerror_r(saved, buf, sizeof(buf)), fmt, ap);
	va_end(ap);
	errno = saved;
}

#define LOG_AT(fn, lvl)                                                                   \
	void fn(const char *sub, const char *dev, const char *fmt, ...)                    \
	{                                                                                  \
		va_list ap;                                                                \
		va_start(ap, fmt);                                                         \
		log_vemit(lvl, sub, dev, NULL, fmt, ap);                                   \
		va_end(ap);                                                                \
	}
LOG_AT(log_warnx, LOG_LVL_WARN)
LOG_AT(log_info, LOG_LVL_INFO)
LOG_AT(log_debug, LOG_LVL_DEBUG)

void fatalx(const char *sub, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vemit(LOG_LVL_ERROR, sub, NULL, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

#define COMPLAIN_FIRST_MS 60000       /* first repeat allowed after a minute */
#define COMPLAIN_MAX_MS (86400 * 1000) /* then doubling up to a day */

void log_vcomplain(struct log_complaint *c, int64_t now_ms, const char *sub, const char *dev,
		   const char *fmt, va_list ap)
{
	if (c->active && now_ms - c->last_ms < c->interval_ms)
		return;
	c->interval_ms = c->active ? c->interval_ms * 2 : COMPLAIN_FIRST_MS;
	if (c->interval_ms > COMPLAIN_MAX_MS)
		c->interval_ms = COMPLAIN_MAX_MS;
	c->active = true;
	c->last_ms = now_ms;
	log_vemit(LOG_LVL_WARN, sub, dev, NULL, fmt, ap);
}

void log_complain(struct log_complaint *c, int64_t now_ms, const char *sub, const char *dev,
		  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vcomplain(c, now_ms, sub, dev, fmt, ap);
	va_end(ap);
}

void log_vcomplain_release(struct log_complaint *c, const char *sub, const char *dev,
			   const char *fmt, va_list ap)
{
	if (!c->active)
		return;
	*c = (struct log_complaint){0};
	log_vemit(LOG_LVL_INFO, sub, dev, NULL, fmt, ap);
}

void log_complain_release(struct log_complaint *c, const char *sub, const char *dev,
			  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vcomplain_release(c, sub, dev, fmt, ap);
	va_end(ap);
}
