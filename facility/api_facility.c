/* Facility endpoints: GET /api/v1/impact/ID (what depends on a device, what would lose
 * power or redundancy if it failed) and POST /api/v1/test-mode (a facility test window
 * on one asset); the facility part's descriptor (facility_part.c) hands them to the
 * kernel's router. */
#include <errno.h>
#include <string.h>

#include "dcmon/alerting.h"
#include "dcmon/api_route.h"
#include "dcmon/facility.h"
#include "facility_int.h"

static json_t *id_array(const char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void api_get_impact(const struct api_ctx *ctx, struct api_response *resp)
{
	struct facility_impact im;
	char err[256] = "";
	/* what depends on a device spans tenants: the NOC's view; a tenant's actor gets the
	 * same 404 as for a missing device */
	const struct cfg_device *dev = cfg_device_find(ctx->env->cfg, ctx->tail);
	if (authz_actor_scoped(ctx->req->actor) && (!dev || !api_device_visible(ctx, dev))) {
		api_reply_error(resp, 404, "no device or group '%s'", ctx->tail);
		return;
	}
	int rc = facility_impact(ctx->env->cfg, ctx->tail, &im, err, sizeof(err));
	if (rc == -ENOENT) {
		api_reply_error(resp, 404, "no device or group '%s'", ctx->tail);
		return;
	}
	if (rc < 0) {
		api_reply_error(resp, 500, "%s", err[0] ? err : "out of memory");
		return;
	}
	const struct cfg_group *g = cfg_group_find(ctx->env->cfg, ctx->tail);
	api_reply_json(resp, 200,
		       json_pack("{s:s s:s s:o s:o s:o s:o}", "id", ctx->tail, "type",
				 g ? "group" : "device", "fed_by", id_array(im.feeds, im.nfeeds),
				 "dependents", id_array(im.dependents, im.ndependents),
				 "would_lose_power", id_array(im.lose_power, im.nlose_power),
				 "would_lose_redundancy",
				 id_array(im.lose_redundancy, im.nlose_redundancy)));
	facility_impact_free(&im);
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A test window is a silence of the rule engine: the alerting part's (dcmon/alerting.h). */
static void api_post_test_mode(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct alerting *al = alerting_of(ctx->env);
	struct alert_engine *engine = al ? al->engine : NULL;
	if (!engine) {
		api_reply_error(resp, 503, "the threshold engine is not running");
		return;
	}
	json_error_t jerr;
	const struct api_request *rq = ctx->req;
	json_t *b = rq->body && rq->body_len ? json_loadb(rq->body, rq->body_len, 0, &jerr) : NULL;
	char who[API_ACTOR_MAX], err[256] = "";
	struct alert_actor actor = api_actor(ctx, jstr(b, "by"), who, sizeof(who));
	int64_t ms = 0, id = 0;
	const char *dur = jstr(b, "for");
	int rc;
	if (!json_is_object(b))
		api_reply_error(resp, 400, "body: expected a JSON object");
	else if (!dur || cfg_parse_duration(dur, &ms) < 0 || ms <= 0)
		api_reply_error(resp, 400, "for: expected a duration like 30m");
	else if ((rc = facility_test_mode(engine, ctx->env->cfg, jstr(b, "device"),
					  jstr(b, "test"), ms, jstr(b, "reason"), &actor,
					  ctx->now_ms, &id, err, sizeof(err))) < 0)
		api_reply_error(resp, rc == -ENOENT ? 404 : 400, "%s", err);
	else
		api_reply_json(resp, 201, json_pack("{s:I s:s s:I}", "silence", (json_int_t)id,
						    "device", jstr(b, "device"), "ends_ms",
						    (json_int_t)(ctx->now_ms + ms)));
	json_decref(b);
}

static const char *const no_params[] = {NULL};

const struct api_route facility_routes[] = {
	{"GET", "/api/v1/impact/", true, api_get_impact, no_params, false, false, AUTHZ_ACT_VIEW},
	{"POST", "/api/v1/test-mode", false, api_post_test_mode, no_params, false, false,
	 AUTHZ_ACT_TEST_MODE},
	{.method = NULL},
};
