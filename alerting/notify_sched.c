/* Reports mailed on a schedule (dcmon/notify_sched.h): the oldest period over and not
 * mailed, within the catch-up limit, built on the worker pool and spooled with its
 * "sent" mark in one transaction. */
#include "dcmon/notify_sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/log.h"
#include "dcmon/workq.h"

struct notify_sched {
	const struct sched_ops *ops;
	void *owner;
	struct workq *wq;
	struct notifier *n;    /* of the start that made the job */
	struct sched_job *job; /* in flight, or NULL */
	int64_t retry_ms;      /* no try before this wall time */
};

/* A job and its mailer. */
struct job_box {
	struct sched_job j; /* first */
	struct notify_sched *s;
};

/* One period of a calendar. */
struct period {
	char name[NOTIFY_PERIOD_LEN];
	int64_t from_ms, to_ms;
};

static void job_free(struct sched_job *j)
{
	if (!j)
		return;
	((struct job_box *)j)->s->ops->release(j);
	cfg_free((struct cfg *)j->cfg); /* gives the hold back */
	free(j);
}

static void job_work(void *arg)
{
	struct job_box *b = arg;
	b->s->ops->build(&b->j);
}

static void owner_marked(const struct notify_sched *s, const char *schedule, const char *period,
			 int64_t now_ms)
{
	if (s->ops->marked)
		s->ops->marked(s->owner, schedule, period, now_ms);
}

/* Loop thread: the messages are made; spooled and marked at once, the period is sent. */
static void job_done(struct loop *loop, void *arg)
{
	struct sched_job *j = arg;
	struct notify_sched *s = ((struct job_box *)j)->s;
	const struct sched_ops *ops = s->ops;
	struct notify_period mark = {.schedule = j->schedule, .period = j->period};
	(void)loop;
	s->job = NULL;
	int rc = j->err[0] ? -EIO : notifier_mail_marked(s->n, j->mail, j->nmail, &mark, j->now_ms);
	if (rc >= 0) {
		log_info(ops->sub, NULL, "%s %s: %d message%s spooled", j->what, j->period, rc,
			 rc == 1 ? "" : "s");
		owner_marked(s, j->schedule, j->period, j->now_ms);
	} else {
		s->retry_ms = j->now_ms + NOTIFY_SCHED_RETRY_MS;
		log_msg(LOG_LVL_ERROR, ops->sub, NULL, "%s %s not mailed: %s; tried again in %d min",
			j->what, j->period, j->err[0] ? j->err : strerror(-rc),
			NOTIFY_SCHED_RETRY_MS / 60000);
	}
	job_free(j);
}

struct notify_sched *notify_sched_new(const struct sched_ops *ops, void *owner,
				      struct workq *wq)
{
	struct notify_sched *s = calloc(1, sizeof(*s));
	if (s)
		*s = (struct notify_sched){.ops = ops, .owner = owner, .wq = wq};
	return s;
}

bool notify_sched_busy(const struct notify_sched *s, int64_t now_ms)
{
	return !s || s->job || now_ms < s->retry_ms;
}

bool notify_sched_sent(struct notifier *n, const char *schedule, const char *period)
{
	return notifier_period_sent(n, &(struct notify_period){schedule, period}) == 1;
}

/* Builds and mails period p of cal through n with cfg (held until done). */
static void job_start(struct notify_sched *s, const struct cfg *cfg, struct notifier *n,
		      const struct sched_calendar *cal, const struct period *p, int64_t now_ms)
{
	struct job_box *b = calloc(1, sizeof(*b));
	if (!b)
		return;
	struct sched_job *j = &b->j;
	*j = (struct sched_job){.cfg = cfg_hold(cfg), .owner = s->owner, .arg = cal->arg,
				.from_ms = p->from_ms, .to_ms = p->to_ms, .now_ms = now_ms};
	b->s = s;
	snprintf(j->schedule, sizeof(j->schedule), "%s", cal->schedule);
	snprintf(j->period, sizeof(j->period), "%s", p->name);
	snprintf(j->what, sizeof(j->what), "%s", cal->what);
	s->n = n;
	s->job = j;
	if (!s->wq || workq_submit(s->wq, job_work, job_done, j) < 0) {
		job_work(j);
		job_done(NULL, j);
	}
}

/* Records cal's period as sent with no message (a first run's, or the newest of those
 * skipped) and tells the owner.  0 or -errno. */
static int mark_only(struct notify_sched *s, struct notifier *n, const char *schedule,
		     const char *period, int64_t now_ms)
{
	struct notify_period mark = {.schedule = schedule, .period = period};
	int rc = notifier_mail_marked(n, NULL, 0, &mark, now_ms);
	if (rc < 0)
		log_msg(LOG_LVL_ERROR, s->ops->sub, NULL, "%s: cannot mark %s in notify.db: %s",
			schedule, period, strerror(-rc));
	else
		owner_marked(s, schedule, period, now_ms);
	return rc < 0 ? rc : 0;
}

/* The last period of cal mailed into last: notify.db's, or the owner's own record when
 * that is newer; an own record behind notify.db's (a crash between the spool and it) is
 * brought up to it.  1, 0 (none: a first run) or -EIO. */
static int last_sent(const struct notify_sched *s, struct notifier *n,
		     const struct sched_calendar *cal, char last[NOTIFY_PERIOD_LEN], int64_t now_ms)
{
	const char *own = cal->own_last ? cal->own_last : "";
	int rc = notifier_period_last(n, cal->schedule, last, NOTIFY_PERIOD_LEN);
	if (rc < 0)
		return rc;
	if (strcmp(own, last) > 0) {
		snprintf(last, NOTIFY_PERIOD_LEN, "%s", own);
		return 1;
	}
	if (rc == 1 && strcmp(own, last) < 0)
		owner_marked(s, cal->schedule, last, now_ms);
	return rc;
}

/* p and the periods before it that are after last are beyond the catch-up limit: named
 * (oldest to newest) in one log line and one audit record, and the newest of them is
 * marked, so that they are said once and the limit's periods are mailed. */
static void skip_beyond(struct notify_sched *s, struct notifier *n, struct alert_engine *audit,
			const struct sched_calendar *cal, const struct period *p,
			const char *last, int64_t now_ms)
{
	struct period oldest = *p;
	int count = 1;
	for (struct period q = *p; count < NOTIFY_SCHED_SKIP_SCAN; count++) {
		cal->before(cal, q.from_ms, q.name, &q.from_ms, &q.to_ms);
		if (strcmp(q.name, last) <= 0)
			break;
		oldest = q;
	}
	char detail[256];
	snprintf(detail, sizeof(detail), "%s%d period%s missed while dcmond was down, %s to %s, "
		 "beyond the catch-up limit of %d: not mailed",
		 count == NOTIFY_SCHED_SKIP_SCAN ? "at least " : "", count, count == 1 ? "" : "s",
		 oldest.name, p->name, cal->catchup_max);
	log_msg(LOG_LVL_WARN, s->ops->sub, NULL, "%s: %s", cal->what, detail);
	if (audit)
		alert_engine_audit_add(audit, &(struct alert_actor){.who = "dcmond", .origin = "scheduler"},
				       "report-skipped", cal->schedule, detail, now_ms);
	mark_only(s, n, cal->schedule, p->name, now_ms);
}

bool notify_sched_run(struct notify_sched *s, const struct cfg *cfg, struct notifier *n,
		      struct alert_engine *audit, const struct sched_calendar *cal,
		      int64_t now_ms)
{
	char last[NOTIFY_PERIOD_LEN];
	struct period p, oldest = {.from_ms = 0};
	int k = 0, rc;
	if (notify_sched_busy(s, now_ms) || !n || (rc = last_sent(s, n, cal, last, now_ms)) < 0)
		return false;
	cal->before(cal, now_ms, p.name, &p.from_ms, &p.to_ms);
	if (rc == 0) { /* never mailed: counting starts now, with the period before */
		mark_only(s, n, cal->schedule, p.name, now_ms);
		return false;
	}
	for (; k < cal->catchup_max && strcmp(p.name, last) > 0; k++) {
		oldest = p;
		cal->before(cal, p.from_ms, p.name, &p.from_ms, &p.to_ms);
	}
	if (k == 0)
		return false;
	if (strcmp(p.name, last) > 0)
		skip_beyond(s, n, audit, cal, &p, last, now_ms);
	job_start(s, cfg, n, cal, &oldest, now_ms);
	return true;
}

void notify_sched_free(struct notify_sched *s)
{
	if (!s)
		return;
	job_free(s->job);
	free(s);
}
