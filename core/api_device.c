/* Devices in the API: their tenant, their overall health and their JSON. */
#include "api_internal.h"

#include "dcmon/loop.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const struct dev_status *api_dev_status(const struct api_env *env, const char *id)
{
	return env->dev_status ? env->dev_status(env->arg, id) : NULL;
}

const char *api_device_tenant(const struct cfg *cfg, const struct cfg_device *dev)
{
	/* a loaded config has the rack's already (cfg_devices_inherit_tenants); one built
	 * in memory may not */
	const struct cfg_rack *rack = dev->tenant ? NULL : cfg_device_rack(cfg, dev);
	return dev->tenant ? dev->tenant : rack ? rack->tenant : NULL;
}

/* A prediction the facility cannot make yet ("unknown: too little data", "unknown:
 * engine not running", docs/FACILITY.md): no value, but nothing wrong with the device. */
static bool prediction_unknown(const struct metric *m)
{
	return m->quality == QUALITY_ERROR && strncmp(m->reason, "unknown: ", 9) == 0;
}

/* Counts the device's metrics in ERROR (not an absence) or STALE and names the first. */
static size_t metrics_bad(const struct api_env *env, const char *id,
			  const struct metric **first)
{
	size_t n = 0;
	*first = NULL;
	if (!env->reg)
		return 0;
	for (const struct metric *m = metric_reg_device_first(env->reg, id); m;
	     m = m->next_in_device) {
		if ((m->quality != QUALITY_ERROR && m->quality != QUALITY_STALE) ||
		    prediction_unknown(m) || (m->quality == QUALITY_ERROR && m->absent))
			continue;
		if (n++ == 0)
			*first = m;
	}
	return n;
}

/* Firing alerts make a device warning/critical, whatever its polls say. */
static enum api_health alert_health(const struct api_ctx *ctx, const char *device,
				    char *reason, size_t reasonlen)
{
	const struct api_alert_worst *w = api_alert_index_find(ctx, device);
	if (!w || w->severity == SEV_INFO)
		return API_HEALTH_OK;
	snprintf(reason, reasonlen, "alert: %s", w->what);
	return w->severity == SEV_CRITICAL ? API_HEALTH_CRITICAL : API_HEALTH_WARNING;
}

enum api_health api_device_health(const struct api_ctx *ctx, const struct cfg_device *dev,
				  const struct dev_status *st, char *reason, size_t reasonlen)
{
	char alert_reason[128] = "";
	enum api_health by_alert = alert_health(ctx, dev->id, alert_reason, sizeof(alert_reason));
	enum api_health by_poll = api_device_poll_health(ctx->env, dev, st, reason, reasonlen);
	enum api_health h = api_health_worst(by_alert, by_poll);
	if (by_alert != API_HEALTH_OK && h == by_alert)
		snprintf(reason, reasonlen, "%s", alert_reason);
	return h;
}

enum api_health api_device_poll_health(const struct api_env *env, const struct cfg_device *dev,
				       const struct dev_status *st, char *reason, size_t reasonlen)
{
	enum dev_state state = st ? st->state : DEV_STATE_UNKNOWN;
	const char *why = st && st->reason[0] ? st->reason : NULL;
	reason[0] = '\0';
	if (state == DEV_STATE_UNREACHABLE) {
		snprintf(reason, reasonlen, "unreachable%s%s", why ? ": " : "", why ? why : "");
		return API_HEALTH_CRITICAL;
	}
	const struct metric *bad;
	size_t nbad = metrics_bad(env, dev->id, &bad);
	if (state == DEV_STATE_DEGRADED) {
		snprintf(reason, reasonlen, "degraded%s%s", why ? ": " : "", why ? why : "");
		return API_HEALTH_WARNING;
	}
	if (nbad > 0) {
		snprintf(reason, reasonlen, "%s %s%s%s%s", bad->key,
			 metric_quality_name(bad->quality), bad->reason[0] ? " (" : "",
			 bad->reason, bad->reason[0] ? ")" : "");
		if (nbad > 1)
			snprintf(reason + strlen(reason), reasonlen - strlen(reason),
				 " and %zu more", nbad - 1);
		return API_HEALTH_WARNING;
	}
	if (state == DEV_STATE_UNKNOWN && !cfg_device_polls(dev)) {
		/* nothing to poll (a rack): its state is the one the facility derives */
		if (env->reg && metric_reg_device_first(env->reg, dev->id))
			return API_HEALTH_OK;
		snprintf(reason, reasonlen, "nothing polled and no derived state");
		return API_HEALTH_UNKNOWN;
	}
	if (state == DEV_STATE_UNKNOWN) {
		snprintf(reason, reasonlen, "not polled yet");
		return API_HEALTH_UNKNOWN;
	}
	return API_HEALTH_OK;
}

/* A JSON string of s with bytes that are not valid UTF-8 replaced by '?' (pollers pass
 * on what devices send), or JSON null when s is NULL. */
static json_t *str_or_null(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char buf[512];
	size_t n = 0;
	for (const char *p = s; *p && n + 1 < sizeof(buf); p++)
		buf[n++] = (unsigned char)*p < 0x80 ? *p : '?';
	buf[n] = '\0';
	return json_string(buf);
}

/* A finite number or JSON null. */
static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* Seconds between a wall-clock timestamp and now, or null when never. */
static json_t *age_or_null(const struct api_ctx *ctx, int64_t ts_ms)
{
	if (ts_ms <= 0)
		return json_null();
	int64_t d = ctx->now_ms - ts_ms;
	return json_real((double)(d > 0 ? d : 0) / 1000.0);
}

/* Name of a STATE metric's current value, or null. */
static json_t *value_name(const struct metric *m)
{
	if (m->kind != METRIC_STATE || !isfinite(m->value))
		return json_null();
	return str_or_null(metric_enum_name(m, (int)lround(m->value)));
}

json_t *api_metric_json(const struct api_ctx *ctx, const struct metric *m)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:I, s:I, s:o, s:i, s:b}",
			 "name", str_or_null(m->name), "key", str_or_null(m->key),
			 "inst_label", str_or_null(m->shape->inst_label), "inst",
			 str_or_null(metric_inst(m)), "value", num_or_null(m->value), "value_name",
			 value_name(m), "unit", str_or_null(m->shape->unit ? m->shape->unit : ""),
			 "kind", metric_kind_name(m->kind),
			 "quality", metric_quality_name(m->quality), "reason", str_or_null(m->reason),
			 "ts_ms", (json_int_t)m->ts_ms, "value_ts_ms", (json_int_t)m->value_ts_ms,
			 "age_s", age_or_null(ctx, m->value_ts_ms), "headline", m->shape->headline,
			 "absent", m->quality == QUALITY_ERROR && m->absent);
}

/* The device's metrics as an array; *freshest_ms gets the newest good value's time. */
static json_t *device_metrics(const struct api_ctx *ctx, const char *id, bool with_metrics,
			      int64_t *freshest_ms)
{
	json_t *arr = json_array();
	*freshest_ms = 0;
	if (!ctx->env->reg)
		return arr;
	for (const struct metric *m = metric_reg_device_first(ctx->env->reg, id); m;
	     m = m->next_in_device) {
		if (m->value_ts_ms > *freshest_ms)
			*freshest_ms = m->value_ts_ms;
		if (with_metrics)
			json_array_append_new(arr, api_metric_json(ctx, m));
	}
	return arr;
}

static json_t *location_json(const struct cfg_location *l)
{
	return json_pack("{s:o, s:o, s:o, s:o}", "site", str_or_null(l->site),
			 "room", str_or_null(l->room), "row", str_or_null(l->row),
			 "rack", str_or_null(l->rack));
}

/* Adds the scheduler's view (state, poll times) to obj. */
static void device_status_json(const struct api_ctx *ctx, const struct cfg_device *dev,
			       json_t *obj)
{
	const struct dev_status *st = api_dev_status(ctx->env, dev->id);
	char reason[256];
	enum api_health h = api_device_health(ctx, dev, st, reason, sizeof(reason));
	enum dev_state state = st ? st->state : DEV_STATE_UNKNOWN;
	/* a rack or other container has nothing to poll: its health comes from what it holds */
	bool passive = state == DEV_STATE_UNKNOWN && !cfg_device_polls(dev);
	json_object_set_new(obj, "state", json_string(passive ? "passive" : dev_state_name(state)));
	json_object_set_new(obj, "reason", str_or_null(st ? st->reason : ""));
	json_object_set_new(obj, "health", json_string(api_health_name(h)));
	json_object_set_new(obj, "health_reason", str_or_null(reason));
	json_object_set_new(obj, "last_poll_ms", json_integer(st ? st->last_poll_ms : 0));
	json_object_set_new(obj, "last_poll_age_s", age_or_null(ctx, st ? st->last_poll_ms : 0));
	json_object_set_new(obj, "last_duration_ms", json_integer(st ? st->last_duration_ms : 0));
	json_object_set_new(obj, "next_poll_ms", json_integer(st ? st->next_poll_ms : 0));
	json_object_set_new(obj, "interval_ms", json_integer(st ? st->interval_ms
								  : dev->interval_ms));
	json_object_set_new(obj, "failures", json_integer(st ? st->failures : 0));
	json_object_set_new(obj, "polls", json_integer(st ? (json_int_t)st->polls : 0));
	json_object_set_new(obj, "overruns", json_integer(st ? (json_int_t)st->overruns : 0));
}

json_t *api_device_json(const struct api_ctx *ctx, const struct cfg_device *dev,
			bool with_metrics)
{
	const struct cfg *cfg = ctx->env->cfg;
	json_t *obj = json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "id", str_or_null(dev->id),
				"kind", dev_kind_name(dev->kind), "host", str_or_null(dev->host),
				"description", str_or_null(dev->description),
				"location", location_json(&dev->loc),
				"tenant", str_or_null(api_device_tenant(cfg, dev)));
	if (!obj)
		return NULL;
	device_status_json(ctx, dev, obj);
	if (ctx->scopes) /* a scoped actor: own, or shared infrastructure (read only) */
		json_object_set_new(obj, "scope",
				    json_string(authz_scope_name(ctx->scopes[dev - cfg->devices])));
	int64_t freshest;
	json_t *metrics = device_metrics(ctx, dev->id, with_metrics, &freshest);
	json_object_set_new(obj, "data_age_s", age_or_null(ctx, freshest));
	if (with_metrics)
		json_object_set_new(obj, "metrics", metrics);
	else
		json_decref(metrics);
	return obj;
}
