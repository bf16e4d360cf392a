/* The MQTT part's private header: topic matching, the payload mapper and the link
 * state the poller reads. */
#ifndef DCMON_MQTT_INT_H
#define DCMON_MQTT_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/metric.h"
#include "dcmon/mqtt.h"

#define MQTT_WHY_MAX 128                  /* bytes of a reason, incl. NUL */
#define MQTT_TS_PAST_MAX_MS (3600 * 1000) /* a payload time older than this is not used */
#define MQTT_TS_FUTURE_MAX_MS (60 * 1000) /* nor one further ahead than this */
#define MQTT_STATES_MAX 32                /* names of one STATE metric given to the registry */

/* The kind of a single-metric subscription's metric (number, bool, enum, collectd). */
enum metric_kind mqtt_sub_kind(const struct cfg_mqtt_sub *sub);

/* True if the 1-based level `level` of filter is exactly "+". */
bool mqtt_topic_level_is_plus(const char *filter, int level);
/* Copies the 1-based level `level` of topic into buf; false if there is none, it is
 * empty or longer than len - 1. */
bool mqtt_topic_level(const char *topic, int level, char *buf, size_t len);

/* One value taken from a message. */
struct mqtt_point {
	const char *metric;
	const char *unit;
	enum metric_kind kind;
	const char *inst_label; /* NULL when the metric has no instance */
	const char *inst;
	const struct cfg_label *states; /* STATE names (text -> number), may be NULL */
	size_t nstates;
	double value;
	const char *error;      /* non-NULL: this point could not be read, and why */
};

/* Where the mapper sends what it finds. */
struct mqtt_sink {
	void (*point)(void *arg, const struct mqtt_point *p);
	void *arg;
	int64_t now_ms;  /* arrival time (wall clock) */
	int64_t ts_ms;   /* set by the mapper: the sample time (the payload's when sane) */
	unsigned errors; /* set by the mapper: points with an error */
};

/* Maps one payload of a topic matching sub.  Every value found goes to sink->point
 * (sink->ts_ms set before the first); returns 0, or -EINVAL with why when the payload
 * as a whole is unreadable (nothing was reported).  Never reads past len. */
int mqtt_map_payload(const struct cfg_mqtt_sub *sub, const char *topic, const void *payload,
		     size_t len, struct mqtt_sink *sink, char *why, size_t whylen);

/* The value of a scalar payload (number, bool, enum, collectd: sub->format <=
 * MQTT_FMT_COLLECTD), scaled, with sink->ts_ms set; false when it is not one (then
 * mqtt_map_payload says why).  Never reads past len. */
bool mqtt_map_scalar(const struct cfg_mqtt_sub *sub, const void *payload, size_t len,
		     struct mqtt_sink *sink, double *v);

/* Helpers of the formats (mqtt_map.c). */
/* The number a JSON value stands for: numbers, booleans (1/0), a string through states
 * (any case) or as a number.  false with why otherwise. */
bool mqtt_json_number(const json_t *v, const struct cfg_label *states, size_t nstates,
		      double *out, char *why, size_t whylen);
/* The value at a dot path ("a.0.b"), or NULL. */
json_t *mqtt_json_path(json_t *root, const char *path);
/* Sets sink->ts_ms from a JSON time (epoch s or ms, ISO 8601, without zone = local
 * time) when sane, else the arrival time. */
void mqtt_sink_time(struct mqtt_sink *sink, const json_t *t);

/* The firmware layouts (mqtt_formats.c): a parsed object of a topic. */
void mqtt_map_tasmota(json_t *root, struct mqtt_sink *sink);
void mqtt_map_shelly(json_t *root, const char *topic, struct mqtt_sink *sink);
void mqtt_map_z2m(json_t *root, struct mqtt_sink *sink);

enum mqtt_link {
	MQTT_LINK_UP,      /* connected, and the device's last will (if any) says online */
	MQTT_LINK_DOWN,    /* the device cannot be heard: why says so */
	MQTT_LINK_PENDING, /* a connection attempt is under way and has not failed yet */
};

/* What the poller asks the client (mqtt_client.c): the device's link, with why ("broker
 * not connected: ...", "offline (last will)") when it is down. */
enum mqtt_link mqtt_device_link(const char *device, char *why, size_t whylen);
/* Gets and clears the payload errors of the device counted since the last call; *total
 * gets their count since start. */
unsigned mqtt_device_bad(const char *device, uint64_t *total);

#endif
