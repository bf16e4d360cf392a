/* Reports mailed on a schedule (dcmon/notify_sched.h): the due period's messages built
 * on the worker pool, spooled with the period's "sent" mark in one transaction. */
#include "dcmon/notify_sched.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		if (ops->sent)
			ops->sent(j, rc);
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

void notify_sched_start(struct notify_sched *s, const struct cfg *cfg, struct notifier *n,
			const struct sched_period *p, int64_t now_ms)
{
	struct job_box *b;
	if (notify_sched_busy(s, now_ms) || !(b = calloc(1, sizeof(*b))))
		return;
	struct sched_job *j = &b->j;
	*j = (struct sched_job){.cfg = cfg_hold(cfg), .owner = s->owner, .from_ms = p->from_ms,
				.to_ms = p->to_ms, .now_ms = now_ms};
	b->s = s;
	snprintf(j->schedule, sizeof(j->schedule), "%s", p->schedule);
	snprintf(j->period, sizeof(j->period), "%s", p->period);
	snprintf(j->what, sizeof(j->what), "%s", p->what);
	s->n = n;
	s->job = j;
	if (!s->wq || workq_submit(s->wq, job_work, job_done, j) < 0) {
		job_work(j);
		job_done(NULL, j);
	}
}

void notify_sched_free(struct notify_sched *s)
{
	if (!s)
		return;
	job_free(s->job);
	free(s);
}
