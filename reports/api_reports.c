/* GET /api/v1/reports/availability and POST /api/v1/outages/INCIDENT/notes
 * (docs/API.md, docs/REPORTS.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/avail_report.h"
#include "dcmon/strbuf.h"
#include "dcmon/workq.h"
#include "reports_int.h"
#include "status_page.h"

#define NOTE_MAX 4000 /* bytes of an outage note */

static bool tenant_known(const struct cfg *cfg, const char *t)
{
	for (size_t i = 0; i < cfg->ntenants; i++)
		if (strcmp(cfg->tenants[i].id, t) == 0)
			return true;
	return false;
}

/* The tenant the report is about: a tenant's actor gets its own whatever it asks (another
 * one is hidden as if it did not exist); the NOC's may name one; a site's wall gets what
 * it may view.  False with resp filled when refused; *tenant NULL for no tenant. */
static bool report_tenant(const struct api_ctx *ctx, struct api_response *resp,
			  const char **tenant)
{
	const struct authz_actor *a = ctx->req->actor;
	const char *asked = api_query_get(ctx->query, "tenant");
	*tenant = asked;
	if (a && authz_actor_scoped(a)) {
		if (!a->tenant[0]) /* a site's wall: what it may view (ctx->scopes) */
			return asked ? (api_reply_error(resp, 404, "no tenant '%s'", asked), false)
				     : (*tenant = NULL, true);
		if (asked && strcmp(asked, a->tenant) != 0) {
			api_reply_error(resp, 404, "no tenant '%s'", asked);
			return false;
		}
		*tenant = a->tenant;
	}
	if (*tenant && !tenant_known(ctx->env->cfg, *tenant)) {
		api_reply_error(resp, 404, "no tenant '%s'", *tenant);
		return false;
	}
	return true;
}

/* The report as asked, rendered into resp; any thread (it reads the cfg and the
 * databases only), with the weekly silences' windows the loop thread read (weekly). */
static void report_make(const struct avail_report_req *req, const char *format,
			struct avail_history *weekly, struct api_response *resp)
{
	struct avail_history h;
	char err[512];
	if (avail_history_read(req->cfg->daemon.state_dir, req->from_ms, req->to_ms, req->now_ms,
			       &h, err, sizeof(err)) < 0)
		return api_reply_error(resp, 500, "%s", err);
	if (avail_history_take_planned(&h, weekly) < 0) {
		avail_history_free(&h);
		return api_reply_error(resp, 500, "out of memory");
	}
	json_t *rep = avail_report_build(req, &h);
	avail_history_free(&h);
	bool html = strcmp(format, "html") == 0;
	if (rep && html && avail_report_graphs(req->cfg, rep) < 0) {
		json_decref(rep);
		rep = NULL;
	}
	if (!rep)
		return api_reply_error(resp, 500, "out of memory");
	if (strcmp(format, "json") == 0)
		return api_reply_json(resp, 200, rep);
	struct strbuf b;
	strbuf_init(&b);
	int rc = html ? avail_report_html(rep, &b) : avail_report_text(rep, &b);
	char *text = strbuf_take(&b);
	json_decref(rep);
	if (rc < 0 || !text) {
		free(text);
		return api_reply_error(resp, 500, "out of memory");
	}
	resp->status = 200;
	resp->body = text;
	resp->content_type = html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
}

/* A report built on the worker pool: the NOC's month of 10,000 devices takes seconds,
 * which the loop spends serving others meanwhile.  The job owns copies of what the
 * request pointed into, and holds the cfg (a reload may replace it meanwhile). */
struct report_job {
	struct reports_later base; /* its reply: first */
	struct avail_report_req req;
	const char *format; /* one of the static names */
	struct avail_history weekly; /* the weekly silences' windows, read on the loop */
};

/* The jobs in flight: bounded, since each holds a worker the pollers share, and
 * dropped at the stop (avail_reports_drop). */
static struct reports_later_list report_jobs;

static void report_job_free(struct report_job *j)
{
	free((char *)j->req.tenant);
	free((char *)j->req.period);
	free((char *)j->req.site);
	free((enum authz_scope *)j->req.scopes);
	cfg_free((struct cfg *)j->req.cfg); /* gives the hold back */
	avail_history_free(&j->weekly);
	free(j);
}

static void report_job_free_base(struct reports_later *b)
{
	report_job_free((struct report_job *)b);
}

static char *dup_or_null(const char *s, bool *failed)
{
	char *d = s ? strdup(s) : NULL;
	*failed |= s && !d;
	return d;
}

static struct report_job *report_job_new(const struct avail_report_req *req,
					 const char *format)
{
	struct report_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	bool failed = false;
	size_t nscopes = req->cfg->ndevices ? req->cfg->ndevices : 1;
	j->req = *req;
	j->req.cfg = cfg_hold(req->cfg);
	j->req.tenant = dup_or_null(req->tenant, &failed);
	j->req.period = dup_or_null(req->period, &failed);
	j->req.site = dup_or_null(req->site, &failed);
	j->req.scopes = NULL;
	if (req->scopes) {
		enum authz_scope *sc = malloc(nscopes * sizeof(*sc));
		if (sc)
			memcpy(sc, req->scopes, req->cfg->ndevices * sizeof(*sc));
		j->req.scopes = sc;
		failed |= !sc;
	}
	j->format = strcmp(format, "json") == 0 ? "json" : strcmp(format, "html") == 0 ? "html"
										      : "text";
	if (failed) {
		report_job_free(j);
		return NULL;
	}
	return j;
}

static void report_work(void *arg)
{
	struct report_job *j = arg;
	report_make(&j->req, j->format, &j->weekly, &j->base.resp);
}

/* ---- replies built on the worker pool ------------------------------------------------ */

static void later_unlink(struct reports_later *job)
{
	for (struct reports_later **p = &job->list->head; *p; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			job->list->n--;
			return;
		}
	}
}

static void later_done(struct loop *loop, void *arg)
{
	struct reports_later *job = arg;
	(void)loop;
	later_unlink(job);
	api_later_reply(job->later, &job->resp); /* takes the response over */
	job->resp = (struct api_response){0};
	job->free_job(job);
}

void reports_later_run(struct reports_later_list *l, struct workq *wq, void (*work)(void *),
		       struct reports_later *job, struct api_response *resp)
{
	if (!(job->later = api_later_new(resp))) {
		job->free_job(job);
		if (!resp->body)
			api_reply_error(resp, 503, "out of memory");
		return;
	}
	job->list = l;
	job->next = l->head;
	l->head = job;
	l->n++;
	if (workq_submit(wq, work, later_done, job) < 0) { /* no memory: here */
		work(job);
		later_done(NULL, job);
	}
}

void reports_later_drop(struct reports_later_list *l)
{
	while (l->head) { /* their completion never came: the worker pool is gone */
		struct reports_later *job = l->head;
		api_response_free(&job->resp);
		api_reply_error(&job->resp, 503, "dcmond is stopping");
		later_done(NULL, job);
	}
}

void avail_reports_drop(void)
{
	reports_later_drop(&report_jobs);
	status_pages_drop();
}

/* Builds the report on a worker and answers later; at once without workers (tools,
 * unit tests).  The weekly silences' windows are read here, on the loop thread. */
static void report_run(const struct api_ctx *ctx, const struct avail_report_req *req,
		       const char *format, struct api_response *resp)
{
	struct avail_history weekly = {0};
	char err[512];
	if (avail_history_read_weekly(req->cfg->daemon.state_dir, req->from_ms, req->to_ms,
				      &weekly, err, sizeof(err)) < 0) {
		avail_history_free(&weekly);
		return api_reply_error(resp, 500, "%s", err);
	}
	if (!ctx->env->wq) {
		report_make(req, format, &weekly, resp);
		return avail_history_free(&weekly);
	}
	if (report_jobs.n >= AVAIL_REPORT_JOBS_MAX) {
		avail_history_free(&weekly);
		return api_reply_error(resp, 503, "busy: %d reports are being built, try again",
				       AVAIL_REPORT_JOBS_MAX);
	}
	struct report_job *j = report_job_new(req, format);
	if (!j) {
		avail_history_free(&weekly);
		return api_reply_error(resp, 503, "out of memory");
	}
	j->weekly = weekly;
	j->base.free_job = report_job_free_base;
	reports_later_run(&report_jobs, ctx->env->wq, report_work, &j->base, resp);
}

void api_get_availability(const struct api_ctx *ctx, struct api_response *resp)
{
	const char *period = api_query_get(ctx->query, "period");
	const char *format = api_query_get(ctx->query, "format");
	const struct cfg *cfg = ctx->env->cfg;
	struct avail_report_req req = {.cfg = cfg, .period = period, .now_ms = ctx->now_ms};

	format = format ? format : "json";
	if (!period || avail_period_parse(period, &req.from_ms, &req.to_ms) < 0)
		return api_reply_error(resp, 400, "period: expected 2026-11, 2026-W47, 2026 or"
						  " 2026-11-01..2026-11-15, got '%s'",
				       period ? period : "");
	if (strcmp(format, "json") && strcmp(format, "text") && strcmp(format, "html"))
		return api_reply_error(resp, 400, "format: expected json, text or html, got '%s'",
				       format);
	if (!report_tenant(ctx, resp, &req.tenant))
		return;
	if (!req.tenant && ctx->scopes) {
		req.scopes = ctx->scopes;
		req.site = ctx->req->actor->site;
	}
	report_run(ctx, &req, format, resp);
}

/* INCIDENT/notes -> INCIDENT into buf; false when the tail is not that. */
static bool note_incident(const char *tail, char *buf, size_t len)
{
	const char *slash = strchr(tail, '/');
	if (!slash || strcmp(slash, "/notes") != 0 || slash == tail ||
	    (size_t)(slash - tail) >= len)
		return false;
	memcpy(buf, tail, (size_t)(slash - tail));
	buf[slash - tail] = '\0';
	return strchr(buf, '@') != NULL;
}

void api_post_outage_note(const struct api_ctx *ctx, struct api_response *resp)
{
	char incident[320], who[API_ACTOR_MAX], err[512];
	if (!note_incident(ctx->tail, incident, sizeof(incident)))
		return api_reply_error(resp, 404, "expected /api/v1/outages/ROOT@START_MS/notes");
	json_t *b = api_body_object(ctx, resp);
	if (!b)
		return;
	const char *text = json_string_value(json_object_get(b, "text"));
	struct alert_actor actor = api_actor(ctx, json_string_value(json_object_get(b, "by")),
					     who, sizeof(who));
	/* audited first: a note is never kept unaudited */
	if (!text || !text[0] || strlen(text) > NOTE_MAX)
		api_reply_error(resp, 400, "text: expected a note of 1..%d bytes", NOTE_MAX);
	else if (!reports_audit_of(ctx) ||
		 alert_engine_audit_add(reports_audit_of(ctx), &actor, "outage-note", incident, text,
					ctx->now_ms) < 0)
		api_reply_error(resp, 503, "the audit log cannot be written: no note kept");
	else if (avail_note_add(ctx->env->cfg->daemon.state_dir, incident, actor.who, text,
				ctx->now_ms, err, sizeof(err)) < 0)
		api_reply_error(resp, 500, "%s", err);
	else
		api_reply_json(resp, 201, json_pack("{s:s, s:s}", "incident", incident, "by",
						    actor.who));
	json_decref(b);
}
