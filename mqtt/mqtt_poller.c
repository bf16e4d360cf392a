/* The poller of MQTT devices.  Their values arrive when they are published (the
 * client reports them); a poll gives the device its state like any other: unreachable
 * while the broker link is down or the device's last will says offline, partial when
 * payloads were bad since the last poll; and reports mqtt_payload_errors_count. */
#include "dcmon/mqtt.h"

#include <stdio.h>
#include <stdlib.h>

#include "mqtt_int.h"

struct mqtt_inst {
	const struct poller_env *env;
	const char *device;       /* the config's id (instances never outlive their config) */
	struct metric *bad_count; /* mqtt_payload_errors_count */
};

static bool mqtt_wants(const struct cfg_device *dev)
{
	return dev->mqtt != NULL;
}

static void *mqtt_create(const struct poller_env *env, const struct cfg_device *dev,
			 char *err, size_t errlen)
{
	if (!env->cfg->daemon.mqtt) {
		snprintf(err, errlen, "mqtt: section but no broker: add daemon.mqtt (host:, ...)");
		return NULL;
	}
	struct mqtt_inst *in = calloc(1, sizeof(*in));
	struct metric_desc desc = {.name = "mqtt_payload_errors_count", .unit = "count",
				   .kind = METRIC_GAUGE, .interval_ms = dev->interval_ms};
	if (!in || !(in->bad_count = metric_reg_get(env->reg, dev->id, &desc))) {
		snprintf(err, errlen, "mqtt: cannot register mqtt_payload_errors_count");
		free(in);
		return NULL;
	}
	in->env = env;
	in->device = dev->id;
	return in;
}

static void mqtt_start(void *inst, struct poll_job *job)
{
	struct mqtt_inst *in = inst;
	char why[MQTT_WHY_MAX], part[64];
	unsigned bad;
	uint64_t total;
	bool up = mqtt_device_link(in->device, why, sizeof(why), &bad, &total);
	metric_put(in->env->reg, in->bad_count, job->ts_ms, (double)total);
	if (!up) {
		poll_job_done(job, POLL_UNREACHABLE, why);
	} else if (bad) {
		snprintf(part, sizeof(part), "%u bad payload%s", bad, bad == 1 ? "" : "s");
		poll_job_done(job, POLL_PARTIAL, part);
	} else {
		poll_job_done(job, POLL_OK, NULL);
	}
}

static void mqtt_cancel(void *inst)
{
	(void)inst; /* a poll ends before start() returns */
}

static void mqtt_free(void *inst)
{
	free(inst);
}

const struct poller_ops mqtt_poller = {
	.name = "mqtt",
	.wants = mqtt_wants,
	.create = mqtt_create,
	.start = mqtt_start,
	.cancel = mqtt_cancel,
	.free = mqtt_free,
};
