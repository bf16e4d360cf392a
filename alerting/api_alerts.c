/* The alert endpoints: list and show alerts, acknowledge, add/list/end silences.
 * They read and act through the threshold engine (dcmon/alert.h) on the loop thread. */
#include "alert_api.h"

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/enumtab.h"

static bool api_alerts_ready(const struct api_ctx *ctx, struct api_response *resp)
{
	if (api_engine(ctx))
		return true;
	api_reply_error(resp, 503, "the threshold engine is not running");
	return false;
}

static json_t *json_num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *alert_history_json(const struct alert_view *v)
{
	json_t *a = json_array();
	for (size_t i = 0; i < v->nhist; i++) {
		const struct alert_transition *t = &v->hist[i];
		json_array_append_new(a, json_pack("{s:I s:s s:s s:s s:o}", "ts_ms",
						   (json_int_t)t->ts_ms, "from",
						   alert_state_name(t->from), "to",
						   alert_state_name(t->to), "severity",
						   cfg_severity_name(t->severity), "value",
						   json_num_or_null(t->value)));
	}
	return a;
}

static void alert_device_json(const struct api_ctx *ctx, json_t *o, const struct alert_view *v)
{
	const struct cfg_device *d = v->dev;
	json_object_set_new(o, "kind", d ? json_string(dev_kind_name(d->kind)) : json_null());
	json_object_set_new(o, "site", json_str_or_null(d ? d->loc.site : NULL));
	json_object_set_new(o, "room", json_str_or_null(d ? d->loc.room : NULL));
	json_object_set_new(o, "tenant",
			    json_str_or_null(d ? api_device_tenant(ctx->env->cfg, d) : NULL));
}

static json_t *alert_json(const struct api_ctx *ctx, const struct alert_view *v, bool history)
{
	json_t *o = json_pack("{s:I s:s s:o s:s s:s s:s s:s s:o s:I s:I s:I s:b}", "id",
			      (json_int_t)v->id, "rule", v->rule, "summary",
			      json_str_or_null(v->summary), "device", v->device, "metric",
			      v->metric_key, "state", alert_state_name(v->state), "severity",
			      cfg_severity_name(v->severity), "value", json_num_or_null(v->value),
			      "since_ms", (json_int_t)v->since_ms, "pending_ms",
			      (json_int_t)v->pending_ms, "fired_ms", (json_int_t)v->fired_ms,
			      "flapping", v->flapping);
	json_object_set_new(o, "unit",
			    v->metric ? json_string(v->metric->shape->unit) : json_null());
	alert_device_json(ctx, o, v);
	json_object_set_new(o, "acked", json_boolean(v->ack->active));
	json_object_set_new(o, "ack", v->ack->active
					      ? json_pack("{s:s s:s s:I}", "by", v->ack->by, "comment",
							  v->ack->comment, "ts_ms",
							  (json_int_t)v->ack->ts_ms)
					      : json_null());
	json_object_set_new(o, "silenced", json_boolean(v->silence_id != 0));
	json_object_set_new(o, "silence", v->silence_id ? json_pack("{s:I s:s}", "id",
					  (json_int_t)v->silence_id, "reason", v->silence_reason)
					  : json_null());
	json_object_set_new(o, "suppressed_by", json_str_or_null(v->suppressed_by));
	json_object_set_new(o, "breaks_through", json_str_or_null(v->breaks_through));
	json_object_set_new(o, "time_to_impact_s", v->breaks_through
							   ? json_num_or_null(v->time_to_impact_s)
							   : json_null());
	if (history)
		json_object_set_new(o, "history", alert_history_json(v));
	return o;
}

/* ---- GET /api/v1/alerts ------------------------------------------------------------ */

struct alert_filter {
	const struct api_ctx *ctx;
	struct api_dev_filter dev; /* site, room, kind, tenant, device glob */
	json_t *out;
	json_t *learning; /* GET /api/v1/alerts: anomaly rules that cannot judge yet */
};

static bool bool_param_ok(const char *want, bool have)
{
	return !want || (strcmp(want, "true") == 0) == have;
}

/* The authorization of action on an alert: its device's (dcmon/authz.h); an alert of a
 * device no longer in the config is outside every tenant's scope. */
static enum authz_result alert_check(const struct api_ctx *ctx, enum authz_action action,
				     const struct alert_view *v)
{
	if (v->dev)
		return api_device_check(ctx, action, v->dev);
	struct authz_object gone = {.scope = AUTHZ_SCOPE_OTHER};
	return authz_check(ctx->req->actor, action, &gone);
}

/* The device filters; an alert of a device no longer in the config matches only by id. */
static bool alert_dev_match(const struct alert_filter *f, const struct alert_view *v)
{
	if (alert_check(f->ctx, AUTHZ_ACT_VIEW, v) != AUTHZ_ALLOW)
		return false;
	const struct api_dev_filter *d = &f->dev;
	if (v->dev)
		return api_dev_filter_match(f->ctx->env->cfg, d, v->dev);
	return !d->site && !d->room && !d->tenant && !d->has_kind &&
	       (!d->device || fnmatch(d->device, v->device, 0) == 0);
}

static enum cfg_severity severity_min(const char *sev)
{
	return strcmp(sev, "critical") == 0 ? SEV_CRITICAL
	       : strcmp(sev, "warning") == 0 ? SEV_WARNING
					     : SEV_INFO;
}

static bool alert_filter_match(const struct alert_filter *f, const struct alert_view *v)
{
	const struct api_query *q = f->ctx->query;
	const char *state = api_query_get(q, "state");
	const char *sev = api_query_get(q, "severity");
	const char *rule = api_query_get(q, "rule");
	if (state && strcmp(state, alert_state_name(v->state)) != 0)
		return false;
	if (sev && v->severity < severity_min(sev))
		return false;
	if (rule && strcmp(rule, v->rule) != 0)
		return false;
	return alert_dev_match(f, v) &&
	       bool_param_ok(api_query_get(q, "acked"), v->ack->active) &&
	       bool_param_ok(api_query_get(q, "silenced"), v->silence_id != 0);
}

static bool alert_collect(void *arg, const struct alert_view *v)
{
	struct alert_filter *f = arg;
	if (alert_filter_match(f, v))
		json_array_append_new(f->out, alert_json(f->ctx, v, false));
	return true;
}

/* A metric still learning, under the same device and rule filters as the alerts. */
static bool learning_collect(void *arg, const struct alert_learning_view *l)
{
	struct alert_filter *f = arg;
	const char *rule = api_query_get(f->ctx->query, "rule");
	struct alert_view v = {.rule = l->rule, .device = l->device, .dev = l->dev};
	if ((!rule || strcmp(rule, l->rule) == 0) && alert_dev_match(f, &v))
		json_array_append_new(f->learning,
				      json_pack("{s:s s:s s:s s:s}", "rule", l->rule, "device",
						l->device, "metric", l->metric_key, "state",
						l->state));
	return true;
}

/* Checks the values of enumerated parameters; answers 400 itself. */
static bool alert_params_ok(const struct api_query *q, struct api_response *resp)
{
	enum alert_state st;
	int severity;
	char severities[64];
	const char *state = api_query_get(q, "state");
	const char *sev = api_query_get(q, "severity");
	if (state && alert_state_parse(state, &st) < 0) {
		api_reply_error(resp, 400, "state: expected pending, firing, resolved");
		return false;
	}
	if (sev && enum_parse(cfg_severity_names, sev, &severity) < 0) {
		api_reply_error(resp, 400, "severity: expected %s",
				enum_list(cfg_severity_names, severities, sizeof severities));
		return false;
	}
	return true;
}

void api_get_alerts(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!api_alerts_ready(ctx, resp) || !alert_params_ok(ctx->query, resp))
		return;
	struct alert_filter f = {.ctx = ctx};
	char err[256];
	if (api_dev_filter_parse(ctx, &f.dev, err, sizeof(err)) < 0) {
		api_reply_error(resp, 400, "%s", err);
		return;
	}
	f.out = json_array();
	f.learning = json_array();
	alert_engine_foreach(api_engine(ctx), ctx->now_ms, alert_collect, &f);
	alert_engine_foreach_learning(api_engine(ctx), learning_collect, &f);
	api_reply_json(resp, 200, json_pack("{s:o s:o}", "alerts", f.out, "learning", f.learning));
}

static bool alert_collect_all(void *arg, const struct alert_view *v)
{
	struct alert_filter *f = arg;
	if (alert_check(f->ctx, AUTHZ_ACT_VIEW, v) == AUTHZ_ALLOW) /* a scoped actor's only */
		json_array_append_new(f->out, alert_json(f->ctx, v, false));
	return true;
}

json_t *alert_list_json(const struct api_ctx *ctx)
{
	struct alert_filter f = {.ctx = ctx, .out = json_array()};
	if (f.out && api_engine(ctx))
		alert_engine_foreach(api_engine(ctx), ctx->now_ms, alert_collect_all, &f);
	return f.out;
}

/* Parses a positive id at the start of s; returns 0 or -EINVAL; *rest after it. */
static int parse_id(const char *s, int64_t *id, const char **rest)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || v <= 0)
		return -EINVAL;
	*id = v;
	*rest = end;
	return 0;
}

void api_get_alert(const struct api_ctx *ctx, struct api_response *resp)
{
	int64_t id;
	const char *rest;
	struct alert_view v;
	if (!api_alerts_ready(ctx, resp))
		return;
	if (parse_id(ctx->tail, &id, &rest) < 0 || *rest)
		api_reply_error(resp, 400, "expected an alert id, got '%s'", ctx->tail);
	else if (alert_engine_get(api_engine(ctx), id, ctx->now_ms, &v) < 0 ||
		 alert_check(ctx, AUTHZ_ACT_VIEW, &v) != AUTHZ_ALLOW)
		api_reply_error(resp, 404, "no alert %" PRId64, id);
	else
		api_reply_json(resp, 200, alert_json(ctx, &v, true));
}

static const char *body_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

struct alert_actor api_actor(const struct api_ctx *ctx, const char *by, char *buf, size_t len)
{
	const char *peer = ctx->req->peer;
	const char *origin = ctx->req->peer_origin ? ctx->req->peer_origin : "api";
	bool has_by = by && *by;
	if (!peer)
		snprintf(buf, len, "%s", has_by ? by : "api");
	else if (has_by && strcmp(by, peer) != 0)
		snprintf(buf, len, "%s (as %s)", peer, by);
	else
		snprintf(buf, len, "%s", peer);
	return (struct alert_actor){.who = buf, .origin = origin};
}

/* POST /api/v1/alerts/{id}/ack  {"comment": "...", "by": "..."} */
void api_post_alert(const struct api_ctx *ctx, struct api_response *resp)
{
	int64_t id;
	const char *rest;
	if (!api_alerts_ready(ctx, resp))
		return;
	if (parse_id(ctx->tail, &id, &rest) < 0 || strcmp(rest, "/ack") != 0) {
		api_reply_error(resp, 404, "no such endpoint: %s (expected /api/v1/alerts/ID/ack)",
				ctx->req->path);
		return;
	}
	struct alert_view v;
	enum authz_result ar = alert_engine_get(api_engine(ctx), id, ctx->now_ms, &v) < 0
				       ? AUTHZ_ALLOW /* missing: the engine answers 404 below */
				       : alert_check(ctx, AUTHZ_ACT_ACK, &v);
	if (ar != AUTHZ_ALLOW) {
		if (ar == AUTHZ_HIDE)
			api_reply_error(resp, 404, "no alert %" PRId64, id);
		else
			api_reply_error(resp, 403, "%s may not acknowledge alert %" PRId64,
					ctx->req->actor->name, id);
		return;
	}
	json_t *body = api_body_object(ctx, resp);
	if (!body)
		return;
	char who[API_ACTOR_MAX];
	struct alert_actor by = api_actor(ctx, body_str(body, "by"), who, sizeof(who));
	int rc = alert_engine_ack(api_engine(ctx), id, &by, body_str(body, "comment"),
				  ctx->now_ms);
	if (rc == -ENOENT)
		api_reply_error(resp, 404, "no alert %" PRId64, id);
	else if (rc == -EINVAL)
		api_reply_error(resp, 409, "alert %" PRId64 " is not pending or firing", id);
	else if (rc < 0 || alert_engine_get(api_engine(ctx), id, ctx->now_ms, &v) < 0)
		api_reply_error(resp, 500, "could not acknowledge alert %" PRId64, id);
	else
		api_reply_json(resp, 200, alert_json(ctx, &v, false));
	json_decref(body);
}
