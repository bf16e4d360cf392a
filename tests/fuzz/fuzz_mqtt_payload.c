/* Fuzz target: an MQTT message as the ingest maps it.  The first byte picks the
 * subscription's format (number, bool, enum, JSON paths with states and a timestamp,
 * Tasmota, Shelly Gen2, zigbee2mqtt); the bytes up to the first newline are the topic
 * (the device-from-topic level and Shelly's component come from it), the rest is the
 * payload, handed over with its length and no terminating NUL, as libmosquitto gives
 * it.  Every value reported must be finite or an error with a reason. */
#include "fuzz.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_int.h"

#define TOPIC_MAX 256

static struct cfg_label states[] = {{"ok", "0"}, {"alarm", "1"}, {"OPEN", "2"}};
static struct cfg_mqtt_value values[] = {
	{.metric = "supply_celsius", .path = "air.supply", .scale = 0.1},
	{.metric = "fan_rpm", .path = "fans.1.rpm", .scale = 1},
	{.metric = "alarm_state", .path = "alarm", .states = states, .nstates = 3, .scale = 1},
	{.metric = "deep_count", .path = "a.b.c.d.e.0.1.2", .scale = 1, .counter = true},
};
static const struct cfg_mqtt_sub subs[] = {
	{.format = MQTT_FMT_NUMBER, .metric = "temperature_celsius", .scale = 0.5},
	{.format = MQTT_FMT_BOOL, .metric = "door_state"},
	{.format = MQTT_FMT_ENUM, .metric = "mode_state", .states = states, .nstates = 3},
	{.format = MQTT_FMT_COLLECTD, .metric = "reading_volts", .scale = 1, .instance_level = 3},
	{.format = MQTT_FMT_JSON, .values = values, .nvalues = 4, .timestamp = "ts"},
	{.format = MQTT_FMT_TASMOTA},
	{.format = MQTT_FMT_SHELLY},
	{.format = MQTT_FMT_Z2M},
};

static void check_point(void *arg, const struct mqtt_point *p)
{
	(void)arg;
	if (!p->metric || (!p->error && !isfinite(p->value)) || (p->inst && !p->inst_label))
		abort();
	if (p->error && strlen(p->error) >= MQTT_WHY_MAX)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char topic[TOPIC_MAX], level[64], why[MQTT_WHY_MAX];
	if (size < 1)
		return 0;
	const struct cfg_mqtt_sub *sub = &subs[data[0] % (sizeof(subs) / sizeof(subs[0]))];
	data++, size--;
	const uint8_t *nl = memchr(data, '\n', size < TOPIC_MAX ? size : TOPIC_MAX - 1);
	size_t tlen = nl ? (size_t)(nl - data) : 0;
	memcpy(topic, data, tlen);
	topic[tlen] = '\0';
	if (nl)
		data += tlen + 1, size -= tlen + 1;
	(void)mqtt_topic_level(topic, 2, level, sizeof(level));
	/* the payload in a buffer of its exact size: an over-read is ASan's to see */
	uint8_t *payload = malloc(size ? size : 1);
	if (!payload)
		abort();
	memcpy(payload, data, size);
	struct mqtt_sink sink = {.point = check_point, .now_ms = 1800000000000LL};
	int rc = mqtt_map_payload(sub, topic, payload, size, &sink, why, sizeof(why));
	if (rc != 0 && (rc != -22 || !why[0]))
		abort();
	free(payload);
	return 0;
}
