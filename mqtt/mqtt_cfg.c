/* The `daemon.mqtt:` and device `mqtt:` sections as key tables (dcmon/mqtt.h), and
 * their cross-field checks: topic filters, the device level, each format's keys, metric
 * names, and a password file others cannot read. */
#include "dcmon/mqtt.h"

#include <errno.h>
#include <math.h>
#include <mosquitto.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcmon/authz.h"
#include "dcmon/config_keys.h"
#include "dcmon/enumtab.h"
#include "dcmon/metric.h"
#include "mqtt_int.h"

const char *const mqtt_format_names[] = {
	[MQTT_FMT_NUMBER] = "number",   [MQTT_FMT_BOOL] = "bool",
	[MQTT_FMT_ENUM] = "enum",       [MQTT_FMT_COLLECTD] = "collectd",
	[MQTT_FMT_JSON] = "json",
	[MQTT_FMT_TASMOTA] = "tasmota", [MQTT_FMT_SHELLY] = "shelly",
	[MQTT_FMT_Z2M] = "zigbee2mqtt", [MQTT_FMT_COUNT] = NULL,
};

const char *const mqtt_role_names[] = {
	[MQTT_ROLE_SITE] = "site", [MQTT_ROLE_HUB] = "hub", [MQTT_ROLE_COUNT] = NULL,
};

#define VAL(f) offsetof(struct cfg_mqtt_value, f)
#define SUB(f) offsetof(struct cfg_mqtt_sub, f)
#define MQ(f)  offsetof(struct cfg_mqtt, f)
#define MD(f)  offsetof(struct cfg_mqtt_device, f)
#define MP(f)  offsetof(struct cfg_mqtt_publish, f)
#define MC(f)  offsetof(struct cfg_mqtt_commands, f)

const char *const mqtt_pub_kind_names[] = {
	[MQTT_PUB_VALUES] = "values", [MQTT_PUB_ALERTS] = "alerts",
	[MQTT_PUB_TRANSITIONS] = "transitions", [MQTT_PUB_KINDS] = NULL,
};

static void value_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_mqtt_value *)elem = (struct cfg_mqtt_value){.scale = 1, .pos = node->pos};
}

static const struct cfg_key value_keys[] = {
	{.name = "metric", .type = CFGK_STRING, .offset = VAL(metric), .required = true},
	{.name = "path", .type = CFGK_STRING, .offset = VAL(path), .required = true,
	 .expect = "a dot-separated JSON path like sensors.0.temp"},
	{.name = "unit", .type = CFGK_STRING, .offset = VAL(unit)},
	{.name = "scale", .type = CFGK_DOUBLE, .offset = VAL(scale)},
	{.name = "counter", .type = CFGK_BOOL, .offset = VAL(counter)},
	{.name = "states", .type = CFGK_STRMAP, .offset = VAL(states),
	 .count_offset = VAL(nstates)},
	{.name = NULL},
};

/* The keys of a subscription; the daemon's add device_level. */
#define SUB_KEYS                                                                            \
	{.name = "topic", .type = CFGK_STRING, .offset = SUB(topic), .required = true,      \
	 .expect = "an MQTT topic filter like sensors/+/temperature"},                     \
	{.name = "format", .type = CFGK_ENUM, .offset = SUB(format),                       \
	 .names = mqtt_format_names},                                                       \
	{.name = "metric", .type = CFGK_STRING, .offset = SUB(metric)},                     \
	{.name = "unit", .type = CFGK_STRING, .offset = SUB(unit)},                         \
	{.name = "scale", .type = CFGK_DOUBLE, .offset = SUB(scale)},                       \
	{.name = "counter", .type = CFGK_BOOL, .offset = SUB(counter)},                     \
	{.name = "states", .type = CFGK_STRMAP, .offset = SUB(states),                      \
	 .count_offset = SUB(nstates)},                                                     \
	{.name = "values", .type = CFGK_SEQ, .offset = SUB(values),                         \
	 .count_offset = SUB(nvalues), .sub = value_keys,                                   \
	 .elem_size = sizeof(struct cfg_mqtt_value), .what = "value", .init = value_init},  \
	{.name = "timestamp", .type = CFGK_STRING, .offset = SUB(timestamp),                \
	 .expect = "the JSON path of the sample time"},                                     \
	{.name = "instance_level", .type = CFGK_INT, .offset = SUB(instance_level),         \
	 .min = 1, .max = 64, .expect = "the 1-based topic level that is the instance"}

static void sub_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_mqtt_sub *)elem = (struct cfg_mqtt_sub){.format = MQTT_FMT_NUMBER,
							     .scale = 1, .pos = node->pos};
}

static bool metric_ok(const char *name, enum metric_kind kind, const struct cfgnode *map,
		      const char *key, struct cfg_diags *d)
{
	char why[160];
	if (metric_name_check(name, kind, why, sizeof(why)))
		return true;
	cfg_error(d, cfg_key_pos(map, key), "mqtt: %s", why);
	return false;
}

static int value_check(const struct cfg_mqtt_value *v, const struct cfgnode *node,
		       struct cfg_diags *d)
{
	enum metric_kind kind = v->nstates ? METRIC_STATE :
				v->counter ? METRIC_COUNTER : METRIC_GAUGE;
	bool ok = metric_ok(v->metric, kind, node, "metric", d);
	if (!v->path[0] || strstr(v->path, "..") || v->path[0] == '.') {
		cfg_error(d, cfg_key_pos(node, "path"), "mqtt: path '%s': expected names or "
			  "numbers separated by dots, like sensors.0.temp", v->path);
		ok = false;
	}
	return ok ? 0 : -EINVAL;
}

/* Keys that the format ignores (a NULL-terminated list) are errors: they would
 * silently do nothing. */
static bool refuse_keys(const struct cfgnode *node, const char *const *keys, enum mqtt_format f,
			struct cfg_diags *d)
{
	bool ok = true;
	for (; *keys; keys++) {
		if (!cfgnode_get(node, *keys))
			continue;
		cfg_error(d, cfg_key_pos(node, *keys), "mqtt: %s: not used by format %s", *keys,
			  mqtt_format_names[f]);
		ok = false;
	}
	return ok;
}

/* number, bool and enum name one metric; json lists values; the firmware formats
 * name their own metrics. */
static bool sub_format_check(const struct cfg_mqtt_sub *s, const struct cfgnode *node,
			     struct cfg_diags *d)
{
	bool single = s->format <= MQTT_FMT_COLLECTD, ok = true;
	if (single && !s->metric) {
		cfg_error(d, &node->pos, "mqtt: format %s needs metric:", mqtt_format_names[s->format]);
		ok = false;
	} else if (single) {
		enum metric_kind kind = mqtt_sub_kind(s);
		ok &= metric_ok(s->metric, kind, node, "metric", d);
	} else {
		ok &= refuse_keys(node, (const char *const[]){"metric", NULL}, s->format, d);
	}
	if (s->format == MQTT_FMT_ENUM && !s->nstates) {
		cfg_error(d, &node->pos, "mqtt: format enum needs states: {text: number, ...}");
		ok = false;
	}
	if (s->format == MQTT_FMT_JSON && !s->nvalues) {
		cfg_error(d, &node->pos, "mqtt: format json needs values: [{metric:, path:}, ...]");
		ok = false;
	}
	if (s->format != MQTT_FMT_JSON)
		ok &= refuse_keys(node, (const char *const[]){"values", "timestamp", NULL}, s->format, d);
	if (s->format != MQTT_FMT_ENUM)
		ok &= refuse_keys(node, (const char *const[]){"states", NULL}, s->format, d);
	if (s->format != MQTT_FMT_NUMBER && s->format != MQTT_FMT_COLLECTD)
		ok &= refuse_keys(node, (const char *const[]){"scale", "unit", "counter", NULL},
				  s->format, d);
	for (size_t i = 0; i < s->nvalues; i++)
		ok &= value_check(&s->values[i], cfg_list_item(node, "values", i), d) == 0;
	return ok;
}

static bool states_ok(const struct cfg_label *st, size_t n, const struct cfgnode *node,
		      struct cfg_diags *d)
{
	for (size_t i = 0; i < n; i++) {
		char *end;
		double v = strtod(st[i].value, &end);
		if (*st[i].value && !*end && isfinite(v))
			continue;
		cfg_error(d, cfg_key_pos(node, "states"), "mqtt: states: %s: '%s' is not a number",
			  st[i].key, st[i].value);
		return false;
	}
	return true;
}

static int sub_check_common(struct cfg_mqtt_sub *s, const struct cfgnode *node,
			    struct cfg_diags *d)
{
	bool ok = true;
	if (mosquitto_sub_topic_check(s->topic) != MOSQ_ERR_SUCCESS) {
		cfg_error(d, cfg_key_pos(node, "topic"), "mqtt: topic '%s' is not a valid filter "
			  "(+ and # stand for whole levels, # only last)", s->topic);
		ok = false;
	}
	ok &= sub_format_check(s, node, d);
	if (s->instance_level && !mqtt_topic_level_is_plus(s->topic, s->instance_level)) {
		cfg_error(d, cfg_key_pos(node, "instance_level"), "mqtt: instance_level: %d: level "
			  "%d of '%s' must be a +", s->instance_level, s->instance_level, s->topic);
		ok = false;
	}
	if (s->instance_level && s->format > MQTT_FMT_COLLECTD) {
		cfg_error(d, cfg_key_pos(node, "instance_level"), "mqtt: instance_level: only for "
			  "number, bool, enum and collectd (the others name their instances)");
		ok = false;
	}
	ok &= states_ok(s->states, s->nstates, node, d);
	for (size_t i = 0; i < s->nvalues; i++)
		ok &= states_ok(s->values[i].states, s->values[i].nstates,
				cfg_list_item(node, "values", i), d);
	return ok ? 0 : -EINVAL;
}

static int device_sub_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			    void *ctx)
{
	(void)ctx;
	return sub_check_common(elem, node, d);
}

/* The level naming the device must be a + of the filter. */
static int daemon_sub_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			    void *ctx)
{
	struct cfg_mqtt_sub *s = elem;
	int rc = sub_check_common(s, node, d);
	if (rc == 0 && !mqtt_topic_level_is_plus(s->topic, s->device_level)) {
		cfg_error(d, cfg_key_pos(node, "device_level"), "mqtt: device_level: %d: level %d "
			  "of '%s' must be a + (the level that names the device)", s->device_level,
			  s->device_level, s->topic);
		rc = -EINVAL;
	}
	return rc;
}

static const struct cfg_key device_sub_keys[] = {SUB_KEYS, {.name = NULL}};

static const struct cfg_key daemon_sub_keys[] = {
	SUB_KEYS,
	{.name = "device_level", .type = CFGK_INT, .offset = SUB(device_level), .required = true,
	 .min = 1, .max = 64, .expect = "the 1-based topic level that names the device"},
	{.name = NULL},
};

static void publish_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_mqtt_publish *)elem = (struct cfg_mqtt_publish){
		.retain = true, .max_rate = 2000, .queue = 10000, .events_queue = 100000,
		.heartbeat_ms = 10000, .kind_mask = 1u << MQTT_PUB_VALUES | 1u << MQTT_PUB_ALERTS, .pos = node->pos};
}

/* The kinds by name; the prefix a topic (no wildcard, no empty level at either end). */
static int publish_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_mqtt_publish *p = elem;
	bool ok = true;
	(void)ctx;
	if (!p->prefix)
		p->prefix = strdup("dcmon");
	size_t n = strlen(p->prefix);
	if (!n || mosquitto_pub_topic_check(p->prefix) != MOSQ_ERR_SUCCESS ||
	    p->prefix[0] == '/' || p->prefix[n - 1] == '/') {
		cfg_error(d, cfg_key_pos(node, "prefix"), "mqtt: publish prefix '%s': expected "
			  "topic levels like dcmon or site/dcmon, without + or # or a / at either "
			  "end", p->prefix);
		ok = false;
	}
	if (p->nkinds)
		p->kind_mask = 0;
	for (size_t i = 0; i < p->nkinds; i++) {
		int k;
		if (enum_parse(mqtt_pub_kind_names, p->kinds[i], &k) < 0) {
			cfg_error(d, cfg_key_pos(node, "kinds"), "mqtt: publish kind '%s': expected "
				  "values, alerts or transitions", p->kinds[i]);
			ok = false;
		} else {
			p->kind_mask |= 1u << k;
		}
	}
	return ok ? 0 : -EINVAL;
}

static const struct cfg_key publish_keys[] = {
	{.name = "prefix", .type = CFGK_STRING, .offset = MP(prefix),
	 .expect = "the first topic level(s), like dcmon"},
	{.name = "qos", .type = CFGK_INT, .offset = MP(qos), .min = 0, .max = 1},
	{.name = "retain", .type = CFGK_BOOL, .offset = MP(retain)},
	{.name = "kinds", .type = CFGK_STRLIST, .offset = MP(kinds), .count_offset = MP(nkinds)},
	{.name = "max_rate", .type = CFGK_INT, .offset = MP(max_rate), .min = 0,
	 .max = 10000000, .expect = "state messages per second, 0 for no bound"},
	{.name = "queue", .type = CFGK_INT, .offset = MP(queue), .min = 16, .max = 10000000,
	 .expect = "state messages"},
	{.name = "events_queue", .type = CFGK_INT, .offset = MP(events_queue), .min = 16,
	 .max = 10000000, .expect = "alert events"},
	{.name = "heartbeat", .type = CFGK_DURATION, .offset = MP(heartbeat_ms), .min = 1000,
	 .max = 3600000},
	{.name = NULL},
};

static const struct cfg_key commands_keys[] = {
	{.name = "key_file", .type = CFGK_STRING, .offset = MC(key_file), .required = true,
	 .expect = "the file of the key the hub and its sites share"},
	{.name = "hub", .type = CFGK_STRING, .offset = MC(hub),
	 .expect = "the client_id of the hub whose commands this site applies"},
	{.name = "account", .type = CFGK_STRING, .offset = MC(account)},
	{.name = "role", .type = CFGK_ENUM, .offset = MC(role), .names = authz_role_names},
	{.name = NULL},
};

static void commands_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_mqtt_commands *)elem = (struct cfg_mqtt_commands){.pos = node->pos};
}

const struct cfg_key mqtt_cfg_keys[] = {
	{.name = "host", .type = CFGK_STRING, .offset = MQ(host), .required = true},
	{.name = "port", .type = CFGK_INT, .offset = MQ(port), .min = 1, .max = 65535},
	{.name = "client_id", .type = CFGK_STRING, .offset = MQ(client_id)},
	{.name = "keepalive", .type = CFGK_DURATION, .offset = MQ(keepalive_ms), .min = 5000,
	 .max = 3600000},
	{.name = "qos", .type = CFGK_INT, .offset = MQ(qos), .min = 0, .max = 1},
	{.name = "username", .type = CFGK_STRING, .offset = MQ(username)},
	{.name = "password_file", .type = CFGK_STRING, .offset = MQ(password_file)},
	{.name = "ca_file", .type = CFGK_STRING, .offset = MQ(ca_file)},
	{.name = "cert_file", .type = CFGK_STRING, .offset = MQ(cert_file)},
	{.name = "key_file", .type = CFGK_STRING, .offset = MQ(key_file)},
	{.name = "reconnect_max", .type = CFGK_DURATION, .offset = MQ(reconnect_max_ms),
	 .min = 1000, .max = 3600000},
	{.name = "max_payload", .type = CFGK_INT, .offset = MQ(max_payload), .min = 16,
	 .max = 16777216, .expect = "bytes"},
	{.name = "subscriptions", .type = CFGK_SEQ, .offset = MQ(subs), .count_offset = MQ(nsubs),
	 .sub = daemon_sub_keys, .elem_size = sizeof(struct cfg_mqtt_sub), .what = "subscription",
	 .init = sub_init, .check = daemon_sub_check},
	{.name = "publish", .type = CFGK_SECTION, .offset = MQ(publish), .sub = publish_keys,
	 .elem_size = sizeof(struct cfg_mqtt_publish), .init = publish_init,
	 .check = publish_check},
	{.name = "role", .type = CFGK_ENUM, .offset = MQ(role), .names = mqtt_role_names},
	{.name = "hub_topic", .type = CFGK_STRING, .offset = MQ(hub_topic),
	 .expect = "the MQTT filter of the sites' events, like +/_events"},
	{.name = "gap_wait", .type = CFGK_DURATION, .offset = MQ(gap_wait_ms), .min = 100,
	 .max = 3600000},
	{.name = "commands", .type = CFGK_SECTION, .offset = MQ(commands), .sub = commands_keys,
	 .elem_size = sizeof(struct cfg_mqtt_commands), .init = commands_init},
	{.name = NULL},
};

void mqtt_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_mqtt *)elem = (struct cfg_mqtt){.port = 0, .keepalive_ms = 30000, .qos = 1,
						     .reconnect_max_ms = 30000,
						     .max_payload = 65536, .gap_wait_ms = 5000,
						     .pos = node->pos};
}

/* A secret's file (key of node; in the section named by `in`, "" for daemon.mqtt's
 * own) must exist and be readable by nobody but its owner. */
static bool secret_file_ok(const char *in, const char *key, const char *path,
			   const struct cfgnode *node, struct cfg_diags *d)
{
	struct stat st;
	const struct cfg_pos *pos = cfg_key_pos(node, key);
	if (stat(path, &st) < 0) {
		cfg_error(d, pos, "mqtt: %s%s %s: %s", in, key, path, strerror(errno));
		return false;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH)) {
		cfg_error(d, pos, "mqtt: %s%s %s can be read by its group or others "
			  "(mode %04o): chmod 600 it", in, key, path, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

static bool password_file_ok(const struct cfg_mqtt *m, const struct cfgnode *node,
			     struct cfg_diags *d)
{
	if (!m->password_file != !m->username) {
		cfg_error(d, m->username ? cfg_key_pos(node, "username") :
					   cfg_key_pos(node, "password_file"),
			  "mqtt: username and password_file go together");
		return false;
	}
	return !m->password_file || secret_file_ok("", "password_file", m->password_file, node, d);
}

/* A site that applies commands names the hub, the account it acts as and that
 * account's role, and publishes (its commands topic is <publish.prefix>/_commands). */
static bool commands_ok(struct cfg_mqtt *m, const struct cfgnode *node, const char *dir,
			struct cfg_diags *d)
{
	struct cfg_mqtt_commands *c = m->commands;
	const struct cfgnode *cn = cfgnode_get(node, "commands");
	if (!c)
		return true;
	cfg_path_resolve(&c->key_file, dir);
	if (!secret_file_ok("commands: ", "key_file", c->key_file, cn, d))
		return false;
	const char *site_key = c->hub ? "hub" : c->account ? "account" :
			       cfgnode_get(cn, "role") ? "role" : NULL;
	if (!site_key) {
		if (m->role == MQTT_ROLE_HUB)
			return true;
		cfg_error(d, &c->pos, "mqtt: commands: a site names the hub it takes commands "
			  "from (hub, account, role); a hub has role: hub");
		return false;
	}
	const char *missing = !c->hub ? "hub" : !c->account ? "account" :
			      c->role == AUTHZ_ROLE_NONE ? "role" : NULL;
	if (missing) {
		cfg_error(d, cfg_key_pos(cn, site_key), "mqtt: commands: %s needs %s too "
			  "(the hub's client_id, the account it acts as, that account's role)",
			  site_key, missing);
		return false;
	}
	if (!m->publish) {
		cfg_error(d, &c->pos, "mqtt: commands: a site takes commands on "
			  "<publish.prefix>/_commands: add publish:");
		return false;
	}
	return true;
}

static bool tls_files_ok(const struct cfg_mqtt *m, const struct cfgnode *node,
			 struct cfg_diags *d)
{
	if (!m->cert_file != !m->key_file) {
		cfg_error(d, cfg_key_pos(node, m->cert_file ? "cert_file" : "key_file"),
			  "mqtt: cert_file and key_file go together");
		return false;
	}
	if (m->cert_file && !m->ca_file) {
		cfg_error(d, cfg_key_pos(node, "cert_file"), "mqtt: a client certificate needs "
			  "TLS: give ca_file too");
		return false;
	}
	return true;
}

/* hub_topic and gap_wait belong to a hub; its topic is a filter of whole levels. */
static bool hub_keys_ok(struct cfg_mqtt *m, const struct cfgnode *node, struct cfg_diags *d)
{
	const char *key = cfgnode_get(node, "hub_topic") ? "hub_topic" :
			  cfgnode_get(node, "gap_wait") ? "gap_wait" : NULL;
	if (m->role != MQTT_ROLE_HUB) {
		if (key)
			cfg_error(d, cfg_key_pos(node, key), "mqtt: %s is a hub's key: add role: hub",
				  key);
		return !key;
	}
	if (!m->hub_topic)
		m->hub_topic = strdup("+/_events");
	size_t n = m->hub_topic ? strlen(m->hub_topic) : 0;
	if (!m->hub_topic || mosquitto_sub_topic_check(m->hub_topic) != MOSQ_ERR_SUCCESS ||
	    n < 8 || strcmp(m->hub_topic + n - 8, "/_events")) {
		cfg_error(d, cfg_key_pos(node, "hub_topic"), "mqtt: hub_topic '%s': expected an "
			  "MQTT filter of the sites' events topics, like +/_events",
			  m->hub_topic ? m->hub_topic : "");
		return false;
	}
	return true;
}

int mqtt_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_mqtt *m = elem;
	cfg_path_resolve(&m->password_file, cfg_ctx_dir(ctx));
	cfg_path_resolve(&m->ca_file, cfg_ctx_dir(ctx));
	cfg_path_resolve(&m->cert_file, cfg_ctx_dir(ctx));
	cfg_path_resolve(&m->key_file, cfg_ctx_dir(ctx));
	if (!m->port)
		m->port = m->ca_file ? 8883 : 1883;
	bool ok = password_file_ok(m, node, d);
	ok &= tls_files_ok(m, node, d);
	ok &= hub_keys_ok(m, node, d);
	ok &= commands_ok(m, node, cfg_ctx_dir(ctx), d);
	return ok ? 0 : -EINVAL;
}

const struct cfg_key mqtt_device_cfg_keys[] = {
	{.name = "topics", .type = CFGK_SEQ, .offset = MD(topics), .count_offset = MD(ntopics),
	 .sub = device_sub_keys, .elem_size = sizeof(struct cfg_mqtt_sub), .what = "topic",
	 .init = sub_init, .check = device_sub_check},
	{.name = "lwt", .type = CFGK_STRING, .offset = MD(lwt),
	 .expect = "the topic of the device's last will"},
	{.name = "offline", .type = CFGK_STRING, .offset = MD(offline)},
	{.name = NULL},
};

void mqtt_device_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_mqtt_device *)elem = (struct cfg_mqtt_device){.pos = node->pos};
}

int mqtt_device_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			  void *ctx)
{
	struct cfg_mqtt_device *md = elem;
	(void)ctx;
	if (md->lwt && (mosquitto_sub_topic_check(md->lwt) != MOSQ_ERR_SUCCESS ||
			strpbrk(md->lwt, "+#"))) {
		cfg_error(d, cfg_key_pos(node, "lwt"), "mqtt: lwt '%s': expected one topic, "
			  "without + or #", md->lwt);
		return -EINVAL;
	}
	if (!md->offline)
		md->offline = strdup("offline");
	return 0;
}
