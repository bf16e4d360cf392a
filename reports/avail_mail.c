/* The monthly mail (docs/REPORTS.md "The monthly mail"): on the first tick of a month,
 * the month just ended is reported to each tenant (its own objects only, to its own
 * addresses) and to the NOC (everything, to a route), as HTML with its text, through the
 * notifier's durable spool.  The reports are built on the worker pool, as the API's are:
 * the NOC's month of 10,000 devices takes seconds. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/avail_report.h"
#include "dcmon/log.h"
#include "dcmon/notify.h"
#include "dcmon/strbuf.h"
#include "dcmon/workq.h"

#define MAIL_RETRY_MS 600000 /* after a report or the spool failed: the next try */

/* One report of the month: the NOC's (tenant NULL) or a tenant's. */
struct mail_report {
	const char *tenant; /* points into the job's held cfg */
	char *subject, *text, *html;
	struct avail_images images; /* the HTML's graphs around each incident (cid:) */
};

struct mail_job {
	struct avail_mailer *m;
	const struct cfg *cfg; /* held (cfg_hold): a reload may replace it meanwhile */
	char month[AVAIL_MONTH_LEN];
	int64_t now_ms;
	struct mail_report *v;
	size_t n;
	char err[512]; /* "" when every report was made */
};

struct avail_mailer {
	struct avail_recorder *r;
	struct workq *wq;
	struct notifier *n;   /* of the tick that started the job */
	struct mail_job *job; /* in flight, or NULL */
	int64_t retry_ms;     /* no try before this wall time */
};

static const struct cfg_monthly_mail *monthly_mail_of(const struct cfg *cfg)
{
	const struct cfg_reports *rc = reports_cfg_of(cfg);
	return rc ? rc->monthly_mail : NULL;
}

static void job_free(struct mail_job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->n; i++) {
		free(j->v[i].subject);
		free(j->v[i].text);
		free(j->v[i].html);
		avail_images_free(&j->v[i].images);
	}
	free(j->v);
	cfg_free((struct cfg *)j->cfg); /* gives the hold back */
	free(j);
}

/* "[dcmon] Availability report 2026-11 for acme: 99.9190 % (target 99.9000 %)" */
static char *report_subject(const json_t *rep, const char *tenant, const char *month)
{
	const json_t *sum = json_object_get(rep, "summary");
	const json_t *pol = json_object_get(rep, "policy");
	char *s = NULL;
	if (asprintf(&s, "[dcmon] Availability report %s%s%s: %.4f %% (target %.4f %%)", month,
		     tenant ? " for " : "", tenant ? tenant : "",
		     100 * json_number_value(json_object_get(sum, "availability")),
		     100 * json_number_value(json_object_get(pol, "target"))) < 0)
		return NULL;
	return s;
}

/* Builds and renders one report of the month from h.  0 or -ENOMEM. */
static int report_make(const struct mail_job *j, const struct avail_history *h,
		       const char *tenant, struct mail_report *out)
{
	struct avail_report_req req = {.cfg = j->cfg, .tenant = tenant, .period = j->month,
				       .now_ms = j->now_ms};
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	avail_period_parse(j->month, &req.from_ms, &req.to_ms);
	json_t *rep = avail_report_build(&req, h);
	out->tenant = tenant;
	if (rep && avail_report_graphs_inline(j->cfg, rep, &out->images) == 0 &&
	    avail_report_text(rep, &text) == 0 && avail_report_html(rep, &html) == 0) {
		out->subject = report_subject(rep, tenant, j->month);
		out->text = strbuf_take(&text);
		out->html = strbuf_take(&html);
	}
	strbuf_free(&text);
	strbuf_free(&html);
	json_decref(rep);
	return out->subject && out->text && out->html ? 0 : -ENOMEM;
}

/* The reports the configuration asks for (worker thread: reads the held cfg and the
 * databases only). */
static void job_work(void *arg)
{
	struct mail_job *j = arg;
	const struct cfg_monthly_mail *mm = monthly_mail_of(j->cfg);
	struct avail_history h;
	int64_t from, to;
	avail_period_parse(j->month, &from, &to);
	if (avail_history_read(j->cfg->daemon.state_dir, from, to, j->now_ms, &h, j->err,
			       sizeof(j->err)) < 0)
		return;
	j->v = calloc(j->cfg->ntenants + 1, sizeof(*j->v));
	if (j->v && mm->noc_route && report_make(j, &h, NULL, &j->v[j->n++]) < 0)
		snprintf(j->err, sizeof(j->err), "out of memory");
	for (size_t i = 0; j->v && mm->tenants && i < j->cfg->ntenants && !j->err[0]; i++)
		if (report_make(j, &h, j->cfg->tenants[i].id, &j->v[j->n++]) < 0)
			snprintf(j->err, sizeof(j->err), "out of memory");
	if (!j->v)
		snprintf(j->err, sizeof(j->err), "out of memory");
	avail_history_free(&h);
}

/* Spools the reports, one message per recipient, all at once.  The messages or -errno. */
static int job_spool(struct mail_job *j)
{
	const struct cfg_monthly_mail *mm = monthly_mail_of(j->cfg);
	struct notify_mail *mail = calloc(j->n + 1, sizeof(*mail));
	struct notify_image **images = calloc(j->n + 1, sizeof(*images));
	int rc = mail && images ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < j->n; i++) {
		const struct avail_images *im = &j->v[i].images;
		if (im->n && !(images[i] = calloc(im->n, sizeof(**images)))) {
			rc = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < im->n; k++)
			images[i][k] = (struct notify_image){.cid = im->v[k].cid, .png = im->v[k].png,
							     .len = im->v[k].len};
		mail[i] = (struct notify_mail){.route = j->v[i].tenant ? NULL : mm->noc_route,
					       .tenant = j->v[i].tenant, .kind = "report",
					       .subject = j->v[i].subject, .text = j->v[i].text,
					       .html = j->v[i].html, .images = images[i],
					       .nimages = im->n};
	}
	if (rc == 0)
		rc = notifier_mail(j->m->n, mail, j->n, j->now_ms);
	for (size_t i = 0; images && i < j->n; i++)
		free(images[i]);
	free(images);
	free(mail);
	return rc;
}

/* Loop thread: the reports are made; spooled, the month is mailed. */
static void job_done(struct loop *loop, void *arg)
{
	struct mail_job *j = arg;
	struct avail_mailer *m = j->m;
	(void)loop;
	m->job = NULL;
	int rc = j->err[0] ? -EIO : job_spool(j);
	if (rc >= 0) {
		avail_recorder_month_mailed(m->r, j->month, j->now_ms);
		log_info("reports", NULL, "monthly report %s: %zu report%s, %d message%s spooled",
			 j->month, j->n, j->n == 1 ? "" : "s", rc, rc == 1 ? "" : "s");
	} else {
		m->retry_ms = j->now_ms + MAIL_RETRY_MS;
		log_msg(LOG_LVL_ERROR, "reports", NULL, "monthly report %s not mailed: %s; tried"
			" again in %d min", j->month, j->err[0] ? j->err : strerror(-rc),
			MAIL_RETRY_MS / 60000);
	}
	job_free(j);
}

struct avail_mailer *avail_mailer_new(struct avail_recorder *r, struct workq *wq)
{
	struct avail_mailer *m = calloc(1, sizeof(*m));
	if (m)
		*m = (struct avail_mailer){.r = r, .wq = wq};
	return m;
}

void avail_mailer_tick(struct avail_mailer *m, const struct cfg *cfg, struct notifier *n,
		       int64_t now_ms)
{
	char month[AVAIL_MONTH_LEN];
	if (!m || !m->r || !n || !monthly_mail_of(cfg) || m->job || now_ms < m->retry_ms ||
	    !avail_recorder_month_due(m->r, now_ms, month))
		return;
	struct mail_job *j = calloc(1, sizeof(*j));
	if (!j)
		return;
	*j = (struct mail_job){.m = m, .cfg = cfg_hold(cfg), .now_ms = now_ms};
	snprintf(j->month, sizeof(j->month), "%s", month);
	m->n = n;
	m->job = j;
	if (!m->wq || workq_submit(m->wq, job_work, job_done, j) < 0) {
		job_work(j);
		job_done(NULL, j);
	}
}

void avail_mailer_free(struct avail_mailer *m)
{
	if (!m)
		return;
	job_free(m->job);
	free(m);
}
