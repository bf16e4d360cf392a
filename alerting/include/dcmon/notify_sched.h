/* Reports mailed on a schedule: the monthly availability report (reports/avail_mail.c),
 * the daily and weekly alarm reports (events/alarm_report.c), the NOC's and each
 * tenant's.  The owner gives each schedule's calendar; the mailer finds the oldest period
 * over and not mailed, builds its messages on the worker pool (the owner's build), then,
 * on the loop thread, spools them through the notifier with the period's "sent" mark in
 * the same transaction of notify.db (table `sent`): a crash never mails a period twice,
 * nor loses one.  Every period that ended while dcmond was down is mailed when it comes
 * back, oldest first, one at a time, up to the calendar's catch-up limit; older ones are
 * named in one log line and one audit record and marked, never silently skipped.  A
 * schedule never mailed before (a first run, a new tenant) starts counting at once: the
 * period before is marked, not mailed.  When the build or the spool fails, the period
 * stays due and is tried again NOTIFY_SCHED_RETRY_MS later (logged at ERROR).
 *
 * Threads: loop thread, but build, which runs on a worker (at once without a pool).
 */
#ifndef DCMON_NOTIFY_SCHED_H
#define DCMON_NOTIFY_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/config.h"
#include "dcmon/notify.h"

#define NOTIFY_SCHED_RETRY_MS 600000 /* after a build or the spool failed: the next try */
#define NOTIFY_PERIOD_LEN 32         /* a period's name: "2026-11", "2026-12-05", "2026-W49" */
#define NOTIFY_SCHEDULE_LEN 96       /* a schedule's name: "alarm-daily:acme" */
/* Periods a start walks back past the catch-up limit to name the oldest one skipped */
#define NOTIFY_SCHED_SKIP_SCAN 1000

struct alert_engine;

/* One period being mailed. */
struct sched_job {
	const struct cfg *cfg;   /* held (cfg_hold): a reload may replace it meanwhile */
	void *owner;             /* notify_sched_new's */
	const void *arg;         /* the calendar's arg (points into cfg: a tenant) */
	char schedule[NOTIFY_SCHEDULE_LEN]; /* "availability-monthly", "alarm-daily:acme" */
	char what[48];           /* "monthly report", "daily alarm report": the log's */
	char period[NOTIFY_PERIOD_LEN];
	int64_t from_ms, to_ms;  /* the period */
	int64_t now_ms;          /* when it was found due */
	/* set by build: the messages, or err; what they point into is the owner's, freed
	 * by release */
	struct notify_mail *mail;
	size_t nmail;
	char err[512];
	void *built;
};

struct sched_ops {
	const char *sub;  /* log subsystem: "reports" */
	void (*build)(struct sched_job *j);   /* worker thread: mail and nmail, or err */
	void (*release)(struct sched_job *j); /* frees mail and built */
	/* Loop thread, once a period is marked sent in notify.db (mailed, a first run's or
	 * skipped; may be NULL): the owner's own record of it (a file older versions
	 * read) */
	void (*marked)(void *owner, const char *schedule, const char *period, int64_t now_ms);
};

/* A schedule's calendar. */
struct sched_calendar {
	const char *schedule; /* its marks in notify.db: "alarm-daily", "alarm-daily:acme" */
	const char *what;     /* what the log calls its report: "daily alarm report" */
	/* The period before the one at_ms falls in: its name (a later period's name sorts
	 * after an earlier one's, as strcmp) and [from, to).  Loop thread. */
	void (*before)(const struct sched_calendar *c, int64_t at_ms,
		       char name[NOTIFY_PERIOD_LEN], int64_t *from_ms, int64_t *to_ms);
	const void *arg;      /* before's and the job's: a tenant */
	int catchup_max;      /* periods over and not mailed that a start mails (>= 1) */
	/* the owner's own record of the last period mailed (NULL: none), which counts when
	 * notify.db has none newer (older versions kept only that) */
	const char *own_last;
};

struct notify_sched;

/* NULL when out of memory. */
struct notify_sched *notify_sched_new(const struct sched_ops *ops, void *owner,
				      struct workq *wq);
/* Whether a period is being mailed, or the pause after a failure runs at now_ms: then
 * nothing is to start. */
bool notify_sched_busy(const struct notify_sched *s, int64_t now_ms);
/* Whether schedule's period is marked sent in n's notify.db (false when it cannot be
 * read). */
bool notify_sched_sent(struct notifier *n, const char *schedule, const char *period);
/* Starts mailing the oldest period of cal over at now_ms and not mailed yet (see the
 * top), built with cfg (held until done); a first run or periods beyond the catch-up
 * limit are marked at once (skipped ones also audited in audit's log, which may be
 * NULL).  True when a period was started; nothing when busy or notify.db cannot be
 * read. */
bool notify_sched_run(struct notify_sched *s, const struct cfg *cfg, struct notifier *n,
		      struct alert_engine *audit, const struct sched_calendar *cal,
		      int64_t now_ms);
/* Frees the mailer, and a job whose completion never came (after the worker pool is
 * freed: the period stays due, built again at the next start).  NULL is a no-op. */
void notify_sched_free(struct notify_sched *s);

#endif
