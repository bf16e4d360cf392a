/* Delivery: due spooled messages go to one SMTP session at a time on the worker pool;
 * the outcome per recipient comes back to the loop and is written to the spool
 * (sent, failed for good, or retried with exponential backoff).  Sessions failing in a
 * row raise the "notification delivery failing" state. */
#include "notify_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"

struct notify_job {
	struct notifier *n;
	struct notify_smtp_job smtp;
	struct notify_out out[NOTIFY_BATCH];
	struct notify_smtp_msg msgs[NOTIFY_BATCH];
};

void notify_job_free(struct notify_job *job)
{
	if (!job)
		return;
	for (size_t i = 0; i < job->smtp.nmsgs; i++)
		notify_out_free(&job->out[i]);
	free(job->smtp.host);
	free(job->smtp.from);
	free(job->smtp.ca_file);
	free(job->smtp.user);
	if (job->smtp.password) {
		explicit_bzero(job->smtp.password, strlen(job->smtp.password));
		free(job->smtp.password);
	}
	free(job);
}

/* The first line of the password file, read at each session (rotation needs no
 * reload).  NULL on error (logged). */
static char *read_password(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "re");
	if (!f) {
		log_warn("notify", NULL, "smtp password_file %s", path);
		return NULL;
	}
	char *line = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!line)
		return strdup("");
	buf[strcspn(buf, "\r\n")] = '\0';
	char *p = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return p;
}

static int job_settings(struct notify_job *job, const struct cfg_smtp *s)
{
	if (asprintf(&job->smtp.host, "%s:%d", s->host, s->port) < 0) {
		job->smtp.host = NULL;
		return -ENOMEM;
	}
	job->smtp.from = strdup(s->from);
	job->smtp.ca_file = s->ca_file ? strdup(s->ca_file) : NULL;
	job->smtp.user = s->user ? strdup(s->user) : NULL;
	job->smtp.password = s->password_file ? read_password(s->password_file) : NULL;
	job->smtp.starttls = s->starttls;
	job->smtp.smtps = s->tls;
	job->smtp.auth_without_tls = s->auth_without_tls;
	job->smtp.timeout_ms = (long)s->timeout_ms;
	if (!job->smtp.from || (s->ca_file && !job->smtp.ca_file) || (s->user && !job->smtp.user) ||
	    (s->password_file && !job->smtp.password))
		return -ENOMEM;
	return 0;
}

static void job_work(void *arg)
{
	struct notify_job *job = arg;
	notify_smtp_run(&job->smtp);
}

static int64_t backoff_ms(const struct cfg_smtp *s, int attempts)
{
	int64_t d = s->retry_min_ms;
	for (int i = 1; i < attempts && d < s->retry_max_ms; i++)
		d *= 2;
	return d < s->retry_max_ms ? d : s->retry_max_ms;
}

/* Writes the outcome of message i to the spool; true if it was sent. */
static bool record_one(struct notifier *n, const struct notify_out *o,
		       const struct notify_smtp_msg *m, int64_t now_ms)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	char why[320];

	switch (m->result) {
	case NOTIFY_RES_SENT:
		log_debug("notify", NULL, "message %lld %s sent to %s", (long long)o->id,
			  o->message_id, o->rcpt);
		notify_spool_mark_sent(n->spool, o->id, now_ms);
		return true;
	case NOTIFY_RES_PERM:
		log_warnx("notify", NULL, "message %lld to %s refused: %s", (long long)o->id, o->rcpt,
			  m->why);
		notify_spool_mark_failed(n->spool, o->id, m->why, now_ms);
		return false;
	case NOTIFY_RES_TEMP:
		break;
	}
	if (s && now_ms - o->created_ms < s->give_up_ms) {
		notify_spool_mark_retry(n->spool, o->id, m->why,
					now_ms + backoff_ms(s, o->attempts + 1));
		return false;
	}
	snprintf(why, sizeof(why), "gave up after %d attempts: %s", o->attempts + 1, m->why);
	log_warnx("notify", NULL, "message %lld to %s: %s", (long long)o->id, o->rcpt, why);
	notify_spool_mark_failed(n->spool, o->id, why, now_ms);
	return false;
}

static void set_failing(struct notifier *n, bool failing, const char *why, int64_t now_ms)
{
	if (failing && !n->failing)
		log_msg(LOG_LVL_ERROR, "notify", NULL,
			"notification delivery failing: %d sessions in a row: %s", n->fail_sessions,
			why);
	else if (!failing && n->failing)
		log_info("notify", NULL, "notification delivery recovered");
	if (failing)
		snprintf(n->fail_reason, sizeof(n->fail_reason), "%s", why);
	n->failing = failing;
}

static void job_done(struct loop *loop, void *arg)
{
	struct notify_job *job = arg;
	struct notifier *n = job->n;
	int64_t now = clock_wall_ms();
	size_t sent = 0, temp = 0;
	const char *why = job->smtp.why;

	n->inflight = NULL;
	for (size_t i = 0; i < job->smtp.nmsgs; i++) {
		sent += record_one(n, &job->out[i], &job->msgs[i], now);
		temp += job->msgs[i].result == NOTIFY_RES_TEMP;
		if (!why[0] && job->msgs[i].why[0])
			why = job->msgs[i].why;
	}
	if (sent > 0 || temp == 0) {
		n->fail_sessions = 0;
		set_failing(n, false, "", now);
	} else {
		n->fail_sessions++;
		log_warnx("notify", NULL, "SMTP %s: %s (%zu message%s kept for retry)",
			  job->smtp.host, why, temp, temp == 1 ? "" : "s");
		set_failing(n, n->fail_sessions >= NOTIFY_FAILING_SESSIONS, why, now);
	}
	notify_job_free(job);
	notify_deliver_kick(n, now);
}

void notify_deliver_kick(struct notifier *n, int64_t now_ms)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	if (n->inflight || !n->env.wq || !s)
		return;
	struct notify_job *job = calloc(1, sizeof(*job));
	if (!job)
		return;
	int k = notify_spool_due(n->spool, now_ms, job->out, NOTIFY_BATCH);
	if (k <= 0) {
		free(job);
		return;
	}
	job->n = n;
	job->smtp.nmsgs = (size_t)k;
	job->smtp.msgs = job->msgs;
	for (int i = 0; i < k; i++)
		job->msgs[i] = (struct notify_smtp_msg){.rcpt = job->out[i].rcpt, .text = job->out[i].text};
	if (job_settings(job, s) < 0 || workq_submit(n->env.wq, job_work, job_done, job) < 0) {
		log_warnx("notify", NULL, "cannot start an SMTP session (out of memory)");
		notify_job_free(job);
		return;
	}
	n->inflight = job;
	log_debug("notify", NULL, "SMTP session to %s started: %d message%s", job->smtp.host, k,
		  k == 1 ? "" : "s");
}

void notify_self_metrics(struct notifier *n, int64_t now_ms)
{
	struct notify_counts c;
	/* at most one value per second: the archive takes one update per timestamp */
	if (!n->env.reg || now_ms / 1000 == n->metrics_sec)
		return;
	n->metrics_sec = now_ms / 1000;
	notify_spool_counts(n->spool, &c);
	if (n->m_failing)
		metric_put(n->env.reg, n->m_failing, now_ms, n->failing ? 1 : 0);
	if (n->m_pending)
		metric_put(n->env.reg, n->m_pending, now_ms, (double)(c.pending + c.queued));
	size_t held;
	uint64_t lost;
	bool full = notify_spool_health(n->spool, &held, &lost);
	state_health_put(&n->health, n->env.reg, now_ms, full, held, lost);
}
