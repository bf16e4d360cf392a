/* GET /api/v1/status (filtered devices with their health and metrics) and
 * GET /api/v1/devices/{id} (one device with all its metrics). */
#include "api_internal.h"

#include <stdio.h>
#include <string.h>

/* Reads the "metrics" switch (default on); -1 after answering 400. */
static int status_with_metrics(const struct api_ctx *ctx, struct api_response *resp)
{
	const char *v = api_query_get(ctx->query, "metrics");
	if (!v || strcmp(v, "1") == 0)
		return 1;
	if (strcmp(v, "0") == 0)
		return 0;
	api_reply_error(resp, 400, "bad value '%s' for query parameter 'metrics' "
			"(expected 0 or 1)", v);
	return -1;
}

/* Counts one device into the summary and the overall health. */
static void status_count(json_t *summary, enum api_health *worst, json_t *dev)
{
	enum api_health h;
	if (api_health_parse(json_string_value(json_object_get(dev, "health")), &h) < 0)
		h = API_HEALTH_UNKNOWN;
	*worst = api_health_worst(*worst, h);
	const char *name = api_health_name(h);
	json_object_set_new(summary, name,
			    json_integer(json_integer_value(json_object_get(summary, name)) + 1));
}

void api_get_status(const struct api_ctx *ctx, struct api_response *resp)
{
	struct api_dev_filter f;
	char err[256];
	if (api_dev_filter_parse(ctx, &f, err, sizeof(err)) < 0) {
		api_reply_error(resp, 400, "%s", err);
		return;
	}
	int with_metrics = status_with_metrics(ctx, resp);
	if (with_metrics < 0)
		return;
	const struct cfg *cfg = ctx->env->cfg;
	json_t *devs = json_array();
	json_t *summary = json_pack("{s:i, s:i, s:i, s:i}", "ok", 0, "warning", 0,
				    "critical", 0, "unknown", 0);
	enum api_health worst = API_HEALTH_OK;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		if (!api_dev_filter_match(cfg, &f, &cfg->devices[i]) ||
		    !api_device_visible(ctx, &cfg->devices[i]))
			continue;
		json_t *d = api_device_json(ctx, &cfg->devices[i], with_metrics);
		status_count(summary, &worst, d);
		json_array_append_new(devs, d);
	}
	if (json_array_size(devs) == 0)
		worst = API_HEALTH_UNKNOWN;
	json_object_set_new(summary, "devices", json_integer((json_int_t)json_array_size(devs)));
	api_reply_json(resp, 200, json_pack("{s:I, s:s, s:o, s:o}",
					    "time_ms", (json_int_t)ctx->now_ms,
					    "health", api_health_name(worst),
					    "summary", summary, "devices", devs));
}

void api_get_device(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct cfg_device *dev = cfg_device_find(ctx->env->cfg, ctx->tail);
	if (!dev || !api_device_visible(ctx, dev)) { /* another tenant's: as if missing */
		api_reply_error(resp, 404, "no such device: %s", ctx->tail);
		return;
	}
	api_reply_json(resp, 200, json_pack("{s:I, s:o}", "time_ms", (json_int_t)ctx->now_ms,
					    "device", api_device_json(ctx, dev, true)));
}
