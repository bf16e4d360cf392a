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
#include "dcmon/notify_sched.h"
#include "dcmon/strbuf.h"

#define MONTHLY_SCHEDULE "availability-monthly" /* its periods in notify.db's `sent` */
#define CATCHUP_MONTHS 12 /* months a start after a stop mails (docs/REPORTS.md) */
#define MAIL_HEADERS_BYTES 4096 /* a message's headers and MIME parts, at most */
#define MAIL_CUT_NOTE_BYTES 256 /* the line a cut text ends with */

/* One report of the month: the NOC's (tenant NULL) or a tenant's. */
struct mail_report {
	const char *tenant; /* points into the job's held cfg */
	char *subject, *text, *html;
	struct avail_images images; /* the HTML's graphs around each incident (cid:) */
	struct notify_image *inline_images; /* images as the message has them */
};

/* What a month's messages point into (sched_job.built). */
struct mail_reports {
	struct mail_report *v;
	size_t n;
};

struct avail_mailer {
	struct avail_recorder *r;
	struct notify_sched *sched;
};

static const struct cfg_monthly_mail *monthly_mail_of(const struct cfg *cfg)
{
	const struct cfg_reports *rc = reports_cfg_of(cfg);
	return rc ? rc->monthly_mail : NULL;
}

static void reports_free(struct mail_reports *mr)
{
	if (!mr)
		return;
	for (size_t i = 0; i < mr->n; i++) {
		free(mr->v[i].subject);
		free(mr->v[i].text);
		free(mr->v[i].html);
		free(mr->v[i].inline_images);
		avail_images_free(&mr->v[i].images);
	}
	free(mr->v);
	free(mr);
}

static void job_release(struct sched_job *j)
{
	reports_free(j->built);
	free(j->mail);
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

/* The bytes of r's message as the spool writes it: base64 (4/3) and the headers. */
static size_t mail_bytes(const struct mail_report *r)
{
	size_t n = strlen(r->text) + (r->html ? strlen(r->html) : 0) + r->images.bytes;
	return n / 3 * 4 + MAIL_HEADERS_BYTES;
}

/* The report rep made again as HTML without its graphs.  0 or -ENOMEM. */
static int html_without_graphs(json_t *rep, struct mail_report *r)
{
	struct strbuf html = STRBUF_INIT;
	size_t i;
	json_t *inc;
	json_array_foreach (json_object_get(rep, "outages"), i, inc)
		json_object_del(inc, "graphs");
	avail_images_free(&r->images);
	free(r->html);
	r->html = avail_report_html(rep, &html) == 0 ? strbuf_take(&html) : NULL;
	strbuf_free(&html);
	return r->html ? 0 : -ENOMEM;
}

/* Keeps r's message within max bytes (monthly_mail.max_message_kb, a relay's limit): the
 * graphs go first, then the HTML, then the text is cut where a line ends and says where
 * the whole report is.  0 or -ENOMEM. */
static int report_fit(const struct sched_job *j, json_t *rep, struct mail_report *r, size_t max)
{
	if (mail_bytes(r) <= max)
		return 0;
	if (html_without_graphs(rep, r) < 0)
		return -ENOMEM;
	if (mail_bytes(r) <= max)
		return 0;
	free(r->html);
	r->html = NULL;
	if (mail_bytes(r) <= max)
		return 0;
	size_t keep = (max - MAIL_HEADERS_BYTES) / 4 * 3;
	keep = keep > MAIL_CUT_NOTE_BYTES ? keep - MAIL_CUT_NOTE_BYTES : 0;
	while (keep > 0 && r->text[keep - 1] != '\n')
		keep--;
	char *cut = NULL;
	if (asprintf(&cut, "%.*s[... cut at the mail size limit, daemon.reports.monthly_mail."
			   "max_message_kb: the whole report is `dcmon report availability"
			   " --period %s%s%s`]\n", (int)keep, r->text, j->period,
		     r->tenant ? " --tenant " : "", r->tenant ? r->tenant : "") < 0)
		return -ENOMEM;
	free(r->text);
	r->text = cut;
	return 0;
}

/* Builds and renders one report of the month from h, within the mail size limit.
 * 0 or -ENOMEM. */
static int report_make(const struct sched_job *j, const struct avail_history *h,
		       const char *tenant, struct mail_report *out)
{
	int max_kb = monthly_mail_of(j->cfg)->max_message_kb;
	struct avail_report_req req = {.cfg = j->cfg, .tenant = tenant, .period = j->period,
				       .from_ms = j->from_ms, .to_ms = j->to_ms,
				       .now_ms = j->now_ms};
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	json_t *rep = avail_report_build(&req, h);
	out->tenant = tenant;
	if (rep && avail_report_graphs_inline(j->cfg, rep, &out->images) == 0 &&
	    avail_report_text(rep, &text) == 0 && avail_report_html(rep, &html) == 0) {
		out->subject = report_subject(rep, tenant, j->period);
		out->text = strbuf_take(&text);
		out->html = strbuf_take(&html);
	}
	strbuf_free(&text);
	strbuf_free(&html);
	int rc = out->subject && out->text && out->html ? 0 : -ENOMEM;
	if (rc == 0)
		rc = report_fit(j, rep, out, (size_t)max_kb * 1024);
	json_decref(rep);
	return rc;
}

/* The message of report r: to the NOC's route, or to its tenant's own addresses.
 * 0 or -ENOMEM. */
static int report_mail(const struct cfg_monthly_mail *mm, struct mail_report *r,
		       struct notify_mail *out)
{
	const struct avail_images *im = &r->images;
	if (im->n && !(r->inline_images = calloc(im->n, sizeof(*r->inline_images))))
		return -ENOMEM;
	for (size_t k = 0; k < im->n; k++)
		r->inline_images[k] = (struct notify_image){.cid = im->v[k].cid,
							    .png = im->v[k].png,
							    .len = im->v[k].len};
	*out = (struct notify_mail){.route = r->tenant ? NULL : mm->noc_route,
				    .tenant = r->tenant, .kind = "report", .subject = r->subject,
				    .text = r->text, .html = r->html, .images = r->inline_images,
				    .nimages = im->n};
	return 0;
}

/* Worker thread: the reports the configuration asks for and their messages (reads the
 * held cfg and the databases only). */
static void job_build(struct sched_job *j)
{
	const struct cfg_monthly_mail *mm = monthly_mail_of(j->cfg);
	struct mail_reports *mr = calloc(1, sizeof(*mr));
	struct avail_history h;
	j->built = mr;
	if (!mr || !(mr->v = calloc(j->cfg->ntenants + 1, sizeof(*mr->v))) ||
	    !(j->mail = calloc(j->cfg->ntenants + 1, sizeof(*j->mail)))) {
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	if (avail_history_read(j->cfg->daemon.state_dir, j->from_ms, j->to_ms, j->now_ms, &h,
			       j->err, sizeof(j->err)) < 0)
		return;
	int rc = 0;
	if (mm->noc_route)
		rc = report_make(j, &h, NULL, &mr->v[mr->n++]);
	for (size_t i = 0; mm->tenants && i < j->cfg->ntenants && rc == 0; i++)
		rc = report_make(j, &h, j->cfg->tenants[i].id, &mr->v[mr->n++]);
	for (size_t i = 0; i < mr->n && rc == 0; i++)
		rc = report_mail(mm, &mr->v[i], &j->mail[j->nmail++]);
	if (rc < 0)
		snprintf(j->err, sizeof(j->err), "out of memory");
	avail_history_free(&h);
}

/* Loop thread: the month is in notify.db's `sent` (mailed, or a first run's); reports.db's
 * `mailed` says so too (the record older versions kept, and tools read). */
static void month_marked(void *owner, const char *schedule, const char *period, int64_t now_ms)
{
	const struct avail_mailer *m = owner;
	(void)schedule;
	avail_recorder_month_mailed(m->r, period, now_ms);
}

static const struct sched_ops monthly_ops = {
	.sub = "reports", .build = job_build, .release = job_release,
	.marked = month_marked,
};

struct avail_mailer *avail_mailer_new(struct avail_recorder *r, struct workq *wq)
{
	struct avail_mailer *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->r = r;
	if (!(m->sched = notify_sched_new(&monthly_ops, m, wq))) {
		free(m);
		return NULL;
	}
	return m;
}

/* The months of the calendar (UTC): the month before the one at_ms falls in. */
static void month_before(const struct sched_calendar *c, int64_t at_ms,
			 char name[NOTIFY_PERIOD_LEN], int64_t *from_ms, int64_t *to_ms)
{
	char month[AVAIL_MONTH_LEN];
	(void)c;
	avail_month_before(at_ms, month);
	snprintf(name, NOTIFY_PERIOD_LEN, "%s", month);
	avail_period_parse(month, from_ms, to_ms);
}

void avail_mailer_tick(struct avail_mailer *m, const struct cfg *cfg, struct notifier *n,
		       struct alert_engine *audit, int64_t now_ms)
{
	char last[AVAIL_MONTH_LEN];
	if (!m || !m->r || !n || !monthly_mail_of(cfg) || notify_sched_busy(m->sched, now_ms))
		return;
	avail_recorder_last_mailed(m->r, last);
	struct sched_calendar cal = {.schedule = MONTHLY_SCHEDULE, .what = "monthly report",
				     .before = month_before, .catchup_max = CATCHUP_MONTHS,
				     .own_last = last};
	notify_sched_run(m->sched, cfg, n, audit, &cal, now_ms);
}

void avail_mailer_free(struct avail_mailer *m)
{
	if (!m)
		return;
	notify_sched_free(m->sched);
	free(m);
}
