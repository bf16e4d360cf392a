/* GET /api/v1/health: is the daemon alive, which version, how much it watches. */
#include "api_internal.h"

void api_get_health(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct api_env *env = ctx->env;
	int64_t up_ms = env->started_ms > 0 ? ctx->now_ms - env->started_ms : 0;
	uint64_t reports = env->reg ? metric_reg_reports(env->reg) : 0;
	uint64_t values = env->reg ? metric_reg_values(env->reg) : 0;
	json_t *body = json_pack("{s:s, s:s, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "status", "ok",
				 "version", env->version ? env->version : "",
				 "time_ms", (json_int_t)ctx->now_ms,
				 "uptime_s", (double)(up_ms > 0 ? up_ms : 0) / 1000.0,
				 "started_ms", (json_int_t)env->started_ms,
				 "devices", (json_int_t)(env->cfg ? env->cfg->ndevices : 0),
				 "metrics", (json_int_t)(env->reg ? metric_reg_count(env->reg) : 0),
				 "reports", (json_int_t)reports, "values", (json_int_t)values,
				 "point_errors", (json_int_t)(reports - values));
	api_reply_json(resp, 200, body);
}
