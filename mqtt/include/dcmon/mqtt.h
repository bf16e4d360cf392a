/* MQTT ingest: the `daemon.mqtt:` broker section, a device's `mqtt:` section, the
 * client that subscribes on the loop thread and the poller that gives MQTT devices
 * their state.  docs/CONFIG.md "MQTT" has the keys; docs/MQTT.md the payload formats.
 *
 *   daemon:
 *     mqtt: {host: 127.0.0.1, port: 1883, qos: 1,
 *            subscriptions: [{topic: sensors/+/temperature, device_level: 2,
 *                             format: number, metric: temperature_celsius}]}
 *   devices:
 *     - {id: rack1-env, kind: env,
 *        mqtt: {lwt: tele/rack1/LWT, topics: [{topic: tele/rack1/SENSOR, format: tasmota}]}}
 *
 * Everything runs on the loop thread.
 */
#ifndef DCMON_MQTT_H
#define DCMON_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/poller.h"

/* How a payload becomes values. */
enum mqtt_format {
	MQTT_FMT_NUMBER,  /* "21.5": one metric */
	MQTT_FMT_BOOL,    /* true/false, on/off, yes/no, 1/0: one STATE metric */
	MQTT_FMT_ENUM,    /* a text mapped by `states:` to a number: one STATE metric */
	MQTT_FMT_COLLECTD, /* collectd's "TIME:VALUE" (TIME epoch seconds or N): one metric */
	MQTT_FMT_JSON,    /* JSON object, one path per metric (`metrics:`) */
	MQTT_FMT_TASMOTA, /* Tasmota tele/<topic>/SENSOR telemetry */
	MQTT_FMT_SHELLY,  /* Shelly Gen2 status / NotifyStatus */
	MQTT_FMT_Z2M,     /* zigbee2mqtt device state */
	MQTT_FMT_COUNT,
};
extern const char *const mqtt_format_names[]; /* NULL-terminated, by value */

/* One value taken from a JSON message (format json). */
struct cfg_mqtt_value {
	char *metric;             /* metric name (unit suffix, dcmon/metric.h) */
	char *path;               /* dot-separated path; array items by number ("a.0.t") */
	char *unit;               /* default: the name's unit suffix */
	double scale;             /* multiplies the value, default 1 */
	bool counter;             /* a COUNTER (rate) rather than a GAUGE */
	struct cfg_label *states; /* text -> number; the metric is a STATE when given */
	size_t nstates;
	struct cfg_pos pos;
};

/* One subscription: a topic filter and how its payloads map to metrics. */
struct cfg_mqtt_sub {
	char *topic;              /* MQTT filter, + and # allowed */
	int device_level;         /* daemon subscriptions: the 1-based topic level (a +)
				   * naming the device; 0 in a device's section */
	int instance_level;       /* the 1-based topic level (a +) that is the metrics'
				   * instance (label "topic"); 0 = none */
	enum mqtt_format format;
	char *metric;             /* number/bool/enum/collectd: the metric */
	char *unit;               /* number/collectd: default the name's last word */
	double scale;             /* number/collectd: default 1 */
	bool counter;             /* number/collectd: a COUNTER */
	struct cfg_label *states; /* enum: text -> number */
	size_t nstates;
	struct cfg_mqtt_value *values; /* json: the values */
	size_t nvalues;
	char *timestamp;          /* json: path of the sample time (epoch s/ms or ISO 8601) */
	struct cfg_pos pos;
};

/* What the publisher sends (`publish.kinds:`). */
enum mqtt_pub_kind {
	MQTT_PUB_VALUES,      /* each change of a metric's value or quality: state topics */
	MQTT_PUB_ALERTS,      /* alert notifications (fired, severity, resolved, acked,
			       * flapping): the events topic */
	MQTT_PUB_TRANSITIONS, /* every alert transition (pending included): the events topic */
	MQTT_PUB_KINDS,
};
extern const char *const mqtt_pub_kind_names[]; /* NULL-terminated, by value */

/* `daemon.mqtt.publish:`: dcmond's changes out to the broker (docs/MQTT.md "Publish"). */
struct cfg_mqtt_publish {
	char *prefix;             /* first topic level(s), default "dcmon" */
	int qos;                  /* of the state topics, 0 or 1, default 0 (events: 1) */
	bool retain;              /* state topics retained, default true */
	char **kinds;             /* names of mqtt_pub_kind, default values and alerts */
	size_t nkinds;
	unsigned kind_mask;       /* 1 << mqtt_pub_kind of each of kinds */
	int max_rate;             /* state messages per second, 0 = unbounded; default 2000 */
	int queue;                /* state messages waiting at most, default 10000 */
	int events_queue;         /* alert events waiting at most, default 100000 */
	int64_t heartbeat_ms;     /* <prefix>/_heartbeat sent this often, default 10 s */
	struct cfg_pos pos;
};

/* What a dcmond is to federation (`role:`, docs/MQTT.md "Hub"). */
enum mqtt_role {
	MQTT_ROLE_SITE, /* publishes its own (with publish:) */
	MQTT_ROLE_HUB,  /* also applies the alert events of every site (hub_topic) */
	MQTT_ROLE_COUNT,
};
extern const char *const mqtt_role_names[]; /* NULL-terminated, by value */

/* `daemon.mqtt.commands:` (docs/MQTT.md "Commands"): acks, silences and test mode sent
 * by a hub to a site on the site's <prefix>/_commands topic, each sealed with the shared
 * key (HMAC-SHA256).  A hub sends them; a site with `hub:` applies them as `account`
 * with `role`. */
struct cfg_mqtt_commands {
	char *key_file;           /* the shared key (first line); readable by its owner only */
	char *hub;                /* site: the hub's client id whose commands it applies */
	char *account;            /* site: the account name the hub acts as */
	int role;                 /* site: enum authz_role of that account, default none */
	struct cfg_pos pos;
};

/* `daemon.mqtt:`: the broker and the subscriptions whose device is a topic level. */
struct cfg_mqtt {
	char *host;               /* broker address, required */
	int port;                 /* default 1883, 8883 with TLS */
	char *client_id;          /* default "dcmond-<hostname>" */
	int64_t keepalive_ms;     /* default 30 s, 5 s..1 h */
	int qos;                  /* 0 or 1, default 1 */
	char *username;           /* NULL = no authentication */
	char *password_file;      /* first line is the password; not readable by others */
	char *ca_file;            /* TLS: CA of the broker; TLS is on when given */
	char *cert_file;          /* TLS client certificate, with key_file */
	char *key_file;
	int64_t reconnect_max_ms; /* longest wait between reconnects, default 30 s */
	int max_payload;          /* bytes; a longer message is a payload error, default 64 KiB */
	struct cfg_mqtt_sub *subs;
	size_t nsubs;
	struct cfg_mqtt_publish *publish; /* NULL = nothing published */
	int role;                 /* enum mqtt_role, default site */
	char *hub_topic;          /* hub: filter of the sites' events, default "+/_events";
				   * their heartbeats are the same levels' _heartbeat */
	int64_t gap_wait_ms;      /* hub: how long an event waits for a missing one, 5 s */
	struct cfg_mqtt_commands *commands; /* NULL = no commands sent nor applied */
	struct cfg_pos pos;
};

/* A device's `mqtt:` section (`mqtt: true` for a device fed only by daemon
 * subscriptions). */
struct cfg_mqtt_device {
	struct cfg_mqtt_sub *topics; /* subscriptions whose values are this device's */
	size_t ntopics;
	char *lwt;                /* topic of the device's last will, may be NULL */
	char *offline;            /* its payload meaning offline, default "offline" (any
				   * case; also zigbee2mqtt's {"state":"offline"}) */
	struct cfg_pos pos;
};

extern const struct cfg_key mqtt_cfg_keys[];
void mqtt_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int mqtt_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
extern const struct cfg_key mqtt_device_cfg_keys[];
void mqtt_device_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int mqtt_device_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			  void *ctx);
/* The device's `mqtt:` section (kept by the kernel as the part's own, dcmon/part.h), or
 * NULL when it has none. */
const struct cfg_mqtt_device *mqtt_device_cfg(const struct cfg_device *dev);

/* The poller of devices with an `mqtt:` section: their state (broker link, last will)
 * and their payload errors since the last poll. */
/* The `daemon.mqtt:` section of cfg (kept by the kernel as the part's own section,
 * dcmon/part.h), or NULL when there is no broker. */
const struct cfg_mqtt *mqtt_cfg_of(const struct cfg *cfg);

extern const struct poller_ops mqtt_poller;

struct mqtt_client;
struct change_bus;
struct api_env;

/* Connects to the broker of cfg->daemon.mqtt (asynchronously; reconnects by itself)
 * and subscribes to every topic of the config.  Values go to env->reg as they arrive.
 * With a publish: section, it subscribes to bus and publishes the changes there on the
 * same connection.  Commands from a hub (daemon.mqtt.commands) run through api.  NULL
 * with the reason in err.  env, bus and api must outlive the client. */
struct mqtt_client *mqtt_client_new(const struct poller_env *env, struct change_bus *bus,
				    const struct api_env *api, char *err, size_t errlen);
/* After a reload: env->cfg is the new config.  Reconnects only when the broker section
 * changed, else subscribes to the new topic set.  0, or -1 with the reason logged. */
int mqtt_client_reload(struct mqtt_client *c);
/* Disconnects and frees; NULL is a no-op. */
void mqtt_client_free(struct mqtt_client *c);

#endif
