/* Reports mailed on a schedule: the monthly availability report (reports/avail_mail.c),
 * the daily and weekly alarm reports (events/alarm_report.c).  The owner says which
 * period is due; the mailer builds its messages on the worker pool (the owner's build),
 * then, on the loop thread, spools them through the notifier with the period's "sent"
 * mark in the same transaction of notify.db (table `sent`): a crash never mails a period
 * twice, nor loses one.  When the build or the spool fails, the period stays due and is
 * tried again NOTIFY_SCHED_RETRY_MS later (logged at ERROR).  One period at a time.
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

/* One period being mailed. */
struct sched_job {
	const struct cfg *cfg;   /* held (cfg_hold): a reload may replace it meanwhile */
	void *owner;             /* notify_sched_new's */
	char schedule[32];       /* "availability-monthly", "alarm-daily" */
	char what[48];           /* "monthly report", "daily alarm report": the log's */
	char period[16];         /* "2026-11", "2026-12-05", "2026-W49" */
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
	/* Loop thread, once the period is spooled and marked (may be NULL): the owner's
	 * own record of it (a file older versions read) */
	void (*sent)(struct sched_job *j, int messages);
};

struct notify_sched;

/* NULL when out of memory. */
struct notify_sched *notify_sched_new(const struct sched_ops *ops, void *owner,
				      struct workq *wq);
/* Whether a period is being mailed, or the pause after a failure runs at now_ms: then
 * nothing is to start. */
bool notify_sched_busy(const struct notify_sched *s, int64_t now_ms);
/* Whether schedule's period is marked sent in n's notify.db (false when it cannot be
 * read: the owner's own record decides then). */
bool notify_sched_sent(struct notifier *n, const char *schedule, const char *period);
/* What a start mails. */
struct sched_period {
	const char *schedule, *period; /* its mark in notify.db */
	const char *what;              /* what the log calls it: "monthly report" */
	int64_t from_ms, to_ms;
};
/* Builds and mails period p through n with cfg (held until done).  Nothing when busy. */
void notify_sched_start(struct notify_sched *s, const struct cfg *cfg, struct notifier *n,
			const struct sched_period *p, int64_t now_ms);
/* Frees the mailer, and a job whose completion never came (after the worker pool is
 * freed: the period stays due, built again at the next start).  NULL is a no-op. */
void notify_sched_free(struct notify_sched *s);

#endif
