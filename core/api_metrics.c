/* GET /api/v1/metrics?device=GLOB&name=GLOB&inst=GLOB: a flat list of metrics. */
#include "api_internal.h"

#include <fnmatch.h>

struct metrics_sel {
	const struct api_ctx *ctx;
	const char *device, *name, *inst; /* globs, NULL = any */
	json_t *out;                      /* array being filled */
};

static bool glob_ok(const char *glob, const char *s)
{
	return !glob || fnmatch(glob, s ? s : "", 0) == 0;
}

/* A scoped actor sees the metrics of its devices only (not dcmond's own, which is no
 * configured device). */
bool api_metric_visible(const struct api_ctx *ctx, const struct metric *m)
{
	if (!authz_actor_scoped(ctx->req->actor))
		return true;
	const struct cfg_device *dev = cfg_device_find(ctx->env->cfg, m->device);
	return dev && api_device_visible(ctx, dev);
}

static void metrics_one(void *arg, struct metric *m)
{
	struct metrics_sel *sel = arg;
	if (!glob_ok(sel->device, m->device) || !glob_ok(sel->name, m->name) ||
	    !glob_ok(sel->inst, metric_inst(m)) || !api_metric_visible(sel->ctx, m))
		return;
	json_t *j = api_metric_json(sel->ctx, m);
	if (!j)
		return;
	json_object_set_new(j, "device", json_string(m->device));
	json_array_append_new(sel->out, j);
}

void api_get_metrics(const struct api_ctx *ctx, struct api_response *resp)
{
	struct metrics_sel sel = {
		.ctx = ctx,
		.device = api_query_get(ctx->query, "device"),
		.name = api_query_get(ctx->query, "name"),
		.inst = api_query_get(ctx->query, "inst"),
		.out = json_array(),
	};
	if (ctx->env->reg)
		metric_reg_foreach(ctx->env->reg, metrics_one, &sel);
	api_reply_json(resp, 200, json_pack("{s:I, s:o}", "time_ms", (json_int_t)ctx->now_ms,
					    "metrics", sel.out));
}
