/* Logging: one event per line, key=value, to stderr (journald picks it up) or syslog.
 *
 * Every line reads `level=<lvl> sub=<subsystem> [dev=<device>] msg="..."`.  Callers pass
 * the subsystem (e.g. "tcp") and the device id (or NULL).  All functions are thread-safe.
 */
#ifndef DCMON_LOG_H
#define DCMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Parses "error", "warn", "info" or "debug"; returns -EINVAL for anything else. */
int log_level_parse(const char *s, enum log_level *out);
const char *log_level_name(enum log_level lvl);
extern const char *const log_level_names[]; /* NULL-terminated, by value (enumtab.h) */

/* Sets the threshold below which lines are dropped; default LOG_LVL_INFO. */
void log_set_level(enum log_level lvl);
/* Sends lines to syslog (daemon facility) instead of stderr. */
void log_use_syslog(bool on, const char *ident);

#define DCMON_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_msg(enum log_level lvl, const char *sub, const char *dev, const char *fmt, ...)
    DCMON_PRINTF(4, 5);
/* Like log_msg at WARN, appending strerror(errno); errno is preserved. */
void log_warn(const char *sub, const char *dev, const char *fmt, ...) DCMON_PRINTF(3, 4);
void log_warnx(const char *sub, const char *dev, const char *fmt, ...) DCMON_PRINTF(3, 4);
void log_info(const char *sub, const char *dev, const char *fmt, ...) DCMON_PRINTF(3, 4);
void log_debug(const char *sub, const char *dev, const char *fmt, ...) DCMON_PRINTF(3, 4);
/* For startup failures and broken invariants only: logs at ERROR and exits(1). */
_Noreturn void fatalx(const char *sub, const char *fmt, ...) DCMON_PRINTF(2, 3);

/* Rate limiter for repeated complaints about one target (collectd's c_complain).
 * Embed one per target; zero-initialised is ready to use. */
struct log_complaint {
	int64_t last_ms;     /* monotonic ms of the last line written, 0 = never */
	int64_t interval_ms; /* current quiet interval, doubles up to one day */
	bool active;         /* a complaint is outstanding (a "recovered" line is owed) */
};

/* Logs a warning unless one was logged for this target less than `interval` ago. */
void log_complain(struct log_complaint *c, int64_t now_ms, const char *sub, const char *dev,
		  const char *fmt, ...) DCMON_PRINTF(5, 6);
/* Logs one INFO "recovered" line if a complaint was outstanding, and resets it. */
void log_complain_release(struct log_complaint *c, const char *sub, const char *dev,
			  const char *fmt, ...) DCMON_PRINTF(4, 5);
/* The same two with a va_list, for callers that wrap them. */
void log_vcomplain(struct log_complaint *c, int64_t now_ms, const char *sub, const char *dev,
		   const char *fmt, va_list ap) DCMON_PRINTF(5, 0);
void log_vcomplain_release(struct log_complaint *c, const char *sub, const char *dev,
			   const char *fmt, va_list ap) DCMON_PRINTF(4, 0);

#endif
