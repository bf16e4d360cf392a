/* Alarm reports (docs/EVENTS.md "Alarm reports"): a daily and a weekly summary of the
 * event store, events and alerts counted by severity, kind, source (device) and rule,
 * as HTML with its text, mailed to the routes of `daemon.events.alarm_reports:` (the
 * site's days) and to each tenant (its own events, its days in its time zone) through
 * the one scheduled-mail mechanism (dcmon/notify_sched.h): each period once, and those
 * that ended while dcmond was down when it comes back, oldest first. */
#ifndef DCMON_ALARM_REPORT_H
#define DCMON_ALARM_REPORT_H

#include <stdint.h>

#include <jansson.h>

#include "dcmon/strbuf.h"

struct alert_engine;
struct cfg;
struct notifier;
struct workq;

enum alarm_period_kind { ALARM_DAILY, ALARM_WEEKLY };

#define ALARM_PERIOD_LEN 16 /* "2026-12-05", "2026-W49" */

/* The period before the one now_ms falls in, days running midnight to midnight in zone
 * tz (NULL: dcmond's, the site's): its name and [from, to).  Loop thread (dcmon/tz.h). */
void alarm_period_before(enum alarm_period_kind kind, const char *tz, int64_t now_ms,
			 char name[ALARM_PERIOD_LEN], int64_t *from_ms, int64_t *to_ms);

/* The summary of the events of dir received in [from, to) (of tenant's only, when not
 * NULL) as JSON:
 * {"events": N, "severity": {"err": n, ...}, "kind": {"syslog": n, ...},
 *  "sources": [{"name", "events", "worst"}...], "rules": [{"name", "fired", "worst"}...]}
 * sources and rules by count, most first.  NULL with the reason in err. */
json_t *alarm_summary(const char *dir, const char *tenant, int64_t from_ms, int64_t to_ms,
		      char *err, size_t errlen);
/* The summary as mail: text and HTML appended to text and html.  0 or -ENOMEM. */
int alarm_summary_render(const json_t *sum, const char *title, struct strbuf *text,
			 struct strbuf *html);

struct alarm_reporter;
/* A reporter keeping its sent periods in dir (the store's); wq may be NULL (inline). */
struct alarm_reporter *alarm_reporter_new(const char *dir, struct workq *wq);
/* Loop thread, every tick: a period over and not mailed yet is summed up on the worker
 * pool and spooled to its routes or tenant (n); periods skipped past the catch-up limit
 * are audited in audit's log (may be NULL).  NULL reporter or no alarm_reports:
 * nothing. */
void alarm_reporter_tick(struct alarm_reporter *r, const struct cfg *cfg, struct notifier *n,
			 struct alert_engine *audit, int64_t now_ms);
void alarm_reporter_free(struct alarm_reporter *r);

#endif
