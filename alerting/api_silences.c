/* The silence endpoints: GET/POST /api/v1/silences, DELETE /api/v1/silences/{id}.
 *
 * POST body: {"match": {"device": "ups-*", "kind", "site", "room", "tenant", "metric",
 * "inst", "labels": {..}}, "rule": "name", "reason": "...", "by": "who",
 * "starts_ms": N (default now), then either "ends_ms": N or "for": "2h"; recurring
 * windows add "days": ["sun", ...], "start": "02:00", "end": "04:00", "tz": "Zone"}. */
#include "alert_api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"

static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static json_t *selector_json(const struct cfg_selector *s)
{
	json_t *o = json_object();
	const char *keys[] = {"device", "kind", "site", "room", "tenant", "metric", "inst"};
	const char *vals[] = {s->device, s->kind, s->site, s->room, s->tenant, s->metric, s->inst};
	for (int i = 0; i < 7; i++)
		if (vals[i])
			json_object_set_new(o, keys[i], json_string(vals[i]));
	if (s->nlabels) {
		json_t *l = json_object();
		for (size_t i = 0; i < s->nlabels; i++)
			json_object_set_new(l, s->labels[i].key, json_string(s->labels[i].value));
		json_object_set_new(o, "labels", l);
	}
	return o;
}

static json_t *days_json(unsigned days)
{
	json_t *a = json_array();
	for (int d = 0; d < 7; d++)
		if (days & (1u << d))
			json_array_append_new(a, json_string(day_names[d]));
	return a;
}

static bool silence_collect(void *arg, const struct alert_silence_view *v)
{
	json_t *o = json_pack("{s:I s:o s:s s:s s:I s:I s:I s:b s:I s:I}", "id",
			      (json_int_t)v->id, "match", selector_json(v->match), "reason",
			      v->reason, "created_by", v->created_by, "created_ms",
			      (json_int_t)v->created_ms, "starts_ms", (json_int_t)v->starts_ms,
			      "ends_ms", (json_int_t)v->ends_ms, "active", v->active,
			      "window_start_ms", (json_int_t)v->next_start_ms, "window_end_ms",
			      (json_int_t)v->next_end_ms);
	json_object_set_new(o, "rule", v->rule ? json_string(v->rule) : json_null());
	if (v->days) {
		char start[24], end[24];
		snprintf(start, sizeof(start), "%02d:%02d", v->start_min / 60, v->start_min % 60);
		snprintf(end, sizeof(end), "%02d:%02d", v->end_min / 60, v->end_min % 60);
		json_object_set_new(o, "days", days_json(v->days));
		json_object_set_new(o, "start", json_string(start));
		json_object_set_new(o, "end", json_string(end));
		json_object_set_new(o, "tz", v->tz ? json_string(v->tz) : json_null());
	}
	json_array_append_new(arg, o);
	return true;
}

void api_get_silences(const struct api_ctx *ctx, struct api_response *resp)
{
	/* selectors name devices of every tenant: outside a tenant's scope */
	const struct authz_object every_tenant = {.scope = AUTHZ_SCOPE_OTHER};
	if (authz_check(ctx->req->actor, AUTHZ_ACT_VIEW, &every_tenant) != AUTHZ_ALLOW) {
		api_reply_error(resp, 404, "no such endpoint: %s", ctx->req->path);
		return;
	}
	if (!api_engine(ctx)) {
		api_reply_error(resp, 503, "the threshold engine is not running");
		return;
	}
	json_t *a = json_array();
	alert_engine_silences(api_engine(ctx), ctx->now_ms, silence_collect, a);
	api_reply_json(resp, 200, json_pack("{s:o}", "silences", a));
}

/* ---- POST ------------------------------------------------------------------------- */

struct silence_req {
	struct alert_silence_spec spec;
	struct cfg_label labels[16];
	char err[160];
};

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int parse_match(json_t *m, struct silence_req *r)
{
	struct cfg_selector *s = &r->spec.match;
	if (m && !json_is_object(m))
		return snprintf(r->err, sizeof(r->err), "match: expected an object"), -EINVAL;
	s->device = (char *)jstr(m, "device");
	s->kind = (char *)jstr(m, "kind");
	s->site = (char *)jstr(m, "site");
	s->room = (char *)jstr(m, "room");
	s->tenant = (char *)jstr(m, "tenant");
	s->metric = (char *)jstr(m, "metric");
	s->inst = (char *)jstr(m, "inst");
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(m, "labels"), k, v)
	{
		if (s->nlabels == 16 || !json_is_string(v))
			return snprintf(r->err, sizeof(r->err), "match.labels: up to 16 strings"),
			       -EINVAL;
		r->labels[s->nlabels++] = (struct cfg_label){(char *)k, (char *)json_string_value(v)};
	}
	s->labels = r->labels;
	return 0;
}

int api_parse_hhmm(const char *s, int *min)
{
	int h, m;
	char c;
	if (!s || sscanf(s, "%d:%d%c", &h, &m, &c) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return -EINVAL;
	*min = h * 60 + m;
	return 0;
}

static int parse_days(json_t *days, struct silence_req *r)
{
	size_t i;
	json_t *d;
	json_array_foreach(days, i, d)
	{
		int k = 0;
		while (k < 7 && (!json_is_string(d) || strcmp(json_string_value(d), day_names[k])))
			k++;
		if (k == 7)
			return snprintf(r->err, sizeof(r->err), "days: expected sun, mon, ... sat"),
			       -EINVAL;
		r->spec.days |= 1u << k;
	}
	if (!json_is_array(days) || !r->spec.days)
		return snprintf(r->err, sizeof(r->err), "days: expected a list like [\"sun\"]"),
		       -EINVAL;
	return 0;
}

/* Time range: starts_ms (default now), ends_ms or for; recurring fields. */
static int parse_times(json_t *b, int64_t now_ms, struct silence_req *r)
{
	json_t *st = json_object_get(b, "starts_ms"), *en = json_object_get(b, "ends_ms");
	const char *dur = jstr(b, "for");
	int64_t ms;
	r->spec.starts_ms = json_is_integer(st) ? json_integer_value(st) : now_ms;
	if (dur && cfg_parse_duration(dur, &ms) < 0)
		return snprintf(r->err, sizeof(r->err), "for: expected a duration like 2h"), -EINVAL;
	r->spec.ends_ms = dur ? r->spec.starts_ms + ms : json_is_integer(en) ? json_integer_value(en) : 0;
	json_t *days = json_object_get(b, "days");
	if (!days) {
		if (!r->spec.ends_ms)
			return snprintf(r->err, sizeof(r->err), "expected 'for' or 'ends_ms'"), -EINVAL;
		return 0;
	}
	if (parse_days(days, r) < 0)
		return -EINVAL;
	if (api_parse_hhmm(jstr(b, "start"), &r->spec.start_min) < 0 ||
	    api_parse_hhmm(jstr(b, "end"), &r->spec.end_min) < 0)
		return snprintf(r->err, sizeof(r->err), "start/end: expected HH:MM"), -EINVAL;
	r->spec.tz = jstr(b, "tz");
	return 0;
}

void api_post_silences(const struct api_ctx *ctx, struct api_response *resp)
{
	if (!api_engine(ctx)) {
		api_reply_error(resp, 503, "the threshold engine is not running");
		return;
	}
	json_error_t jerr;
	const struct api_request *rq = ctx->req;
	json_t *b = rq->body && rq->body_len ? json_loadb(rq->body, rq->body_len, 0, &jerr) : NULL;
	struct silence_req r = {0};
	int64_t id;
	char who[API_ACTOR_MAX];
	struct alert_actor actor = api_actor(ctx, jstr(b, "by"), who, sizeof(who));
	if (!json_is_object(b))
		api_reply_error(resp, 400, "body: expected a JSON object");
	else if (parse_match(json_object_get(b, "match"), &r) < 0 ||
		 parse_times(b, ctx->now_ms, &r) < 0)
		api_reply_error(resp, 400, "%s", r.err);
	else if ((r.spec.rule = jstr(b, "rule"), r.spec.reason = jstr(b, "reason"),
		  alert_engine_silence_add(api_engine(ctx), &r.spec, &actor, ctx->now_ms, &id,
					   r.err, sizeof(r.err))) < 0)
		api_reply_error(resp, 400, "%s", r.err);
	else
		api_reply_json(resp, 201, json_pack("{s:I}", "id", (json_int_t)id));
	json_decref(b);
}

void api_delete_silence(const struct api_ctx *ctx, struct api_response *resp)
{
	char *end;
	long long id = strtoll(ctx->tail, &end, 10);
	char who[API_ACTOR_MAX];
	struct alert_actor actor = api_actor(ctx, NULL, who, sizeof(who));
	if (!api_engine(ctx))
		api_reply_error(resp, 503, "the threshold engine is not running");
	else if (end == ctx->tail || *end || id <= 0)
		api_reply_error(resp, 400, "expected a silence id, got '%s'", ctx->tail);
	else if (alert_engine_silence_remove(api_engine(ctx), id, &actor, ctx->now_ms) < 0)
		api_reply_error(resp, 404, "no silence %lld", id);
	else
		api_reply_json(resp, 200, json_pack("{s:I s:b}", "id", (json_int_t)id, "ended", 1));
}
