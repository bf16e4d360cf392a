/* GET /api/v1/reports/availability and POST /api/v1/outages/INCIDENT/notes
 * (docs/API.md, docs/REPORTS.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/avail_report.h"
#include "dcmon/strbuf.h"
#include "reports_int.h"

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

static void reply_rendered(struct api_response *resp, json_t *rep, const char *format)
{
	struct strbuf b;
	strbuf_init(&b);
	bool html = strcmp(format, "html") == 0;
	int rc = html ? avail_report_html(rep, &b) : avail_report_text(rep, &b);
	char *text = strbuf_take(&b);
	json_decref(rep);
	if (rc < 0 || !text) {
		free(text);
		api_reply_error(resp, 500, "out of memory");
		return;
	}
	resp->status = 200;
	resp->body = text;
	resp->content_type = html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
}

void api_get_availability(const struct api_ctx *ctx, struct api_response *resp)
{
	const char *period = api_query_get(ctx->query, "period");
	const char *format = api_query_get(ctx->query, "format");
	const struct cfg *cfg = ctx->env->cfg;
	struct avail_report_req req = {.cfg = cfg, .period = period, .now_ms = ctx->now_ms};
	struct avail_history h;
	char err[512];

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
	if (avail_history_read(cfg->daemon.state_dir, req.from_ms, req.to_ms, ctx->now_ms, &h,
			       err, sizeof(err)) < 0)
		return api_reply_error(resp, 500, "%s", err);
	json_t *rep = avail_report_build(&req, &h);
	avail_history_free(&h);
	if (!rep)
		return api_reply_error(resp, 500, "out of memory");
	if (strcmp(format, "json") == 0)
		return api_reply_json(resp, 200, rep);
	reply_rendered(resp, rep, format);
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
