/* The poller of MQTT devices.  Their values arrive when they are published (the
 * client reports them); a poll gives the device its state like any other: unreachable
 * while the broker link is down or the device's last will says offline, partial when
 * payloads were bad since the last poll; and reports mqtt_payload_errors_count. */
#include "dcmon/mqtt.h"

#include <stdio.h>
#include <stdlib.h>

#include "dcmon/loop.h"
#include "mqtt_int.h"

#define LINK_WAIT_MS 100 /* re-check of a link whose connection attempt is under way */

struct mqtt_inst {
	const struct poller_env *env;
	const char *device;       /* the config's id (instances never outlive their config) */
	struct metric *bad_count; /* mqtt_payload_errors_count */
	struct poll_job *job;     /* waiting for a connection attempt, or NULL */
	struct loop_timer *wait;
};

static bool mqtt_wants(const struct cfg_device *dev)
{
	return mqtt_device_cfg(dev) != NULL;
}

static void *mqtt_create(const struct poller_env *env, const struct cfg_device *dev,
			 char *err, size_t errlen)
{
	if (!mqtt_cfg_of(env->cfg)) {
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

static void link_check(struct loop *loop, void *arg);

/* A poll while the client connects waits for the attempt (to its deadline), so that a
 * start or a reconnect does not say "unreachable" before the broker had a chance. */
static void mqtt_start(void *inst, struct poll_job *job)
{
	struct mqtt_inst *in = inst;
	in->job = job;
	link_check(in->env->loop, in);
}

static void link_check(struct loop *loop, void *arg)
{
	struct mqtt_inst *in = arg;
	struct poll_job *job = in->job;
	char why[MQTT_WHY_MAX], part[64];
	uint64_t total;
	in->wait = NULL;
	enum mqtt_link link = mqtt_device_link(in->device, why, sizeof(why));
	if (link == MQTT_LINK_PENDING && loop_now_ms(loop) + LINK_WAIT_MS < job->deadline_ms &&
	    (in->wait = loop_timer_add(loop, LINK_WAIT_MS, link_check, in)))
		return;
	in->job = NULL;
	unsigned bad = mqtt_device_bad(in->device, &total);
	metric_put(in->env->reg, in->bad_count, job->ts_ms, (double)total);
	if (link != MQTT_LINK_UP) {
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
	struct mqtt_inst *in = inst;
	loop_timer_cancel(in->env->loop, in->wait);
	in->wait = NULL;
	in->job = NULL;
}

static void mqtt_free(void *inst)
{
	if (inst)
		mqtt_cancel(inst);
	free(inst);
}

static const struct cfg_key mqtt_device_keys[] = {
	{.name = "mqtt", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = mqtt_device_cfg_keys,
	 .elem_size = sizeof(struct cfg_mqtt_device), .init = mqtt_device_cfg_init,
	 .check = mqtt_device_cfg_check},
	{.name = NULL},
};

const struct poller_ops mqtt_poller = {
	.name = "mqtt",
	.wants = mqtt_wants,
	.create = mqtt_create,
	.start = mqtt_start,
	.cancel = mqtt_cancel,
	.free = mqtt_free,
	.start_grid_ms = 1000, /* a poll only looks at the link and the last will */
	.device_keys = mqtt_device_keys,
};
