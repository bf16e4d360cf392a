/* The JSON layouts of three open-source gateway firmwares, each documented in public:
 *
 * - Tasmota: the telemetry of tele/<topic>/SENSOR, one object per sensor
 *   ({"Time":"2024-05-01T12:00:00","AM2301":{"Temperature":21.6,"Humidity":55.9},
 *   "ENERGY":{"Total":1.2,"Power":40,...},"TempUnit":"C"}); tasmota.github.io/docs.
 * - Shelly Gen2 (Plus/Pro): a component's status on <prefix>/status/<component>
 *   ({"id":0,"apower":12.3,"voltage":230.1,"aenergy":{"total":12.5},...}) and
 *   NotifyStatus / NotifyFullStatus on <prefix>/events/rpc ({"method":"NotifyStatus",
 *   "params":{"ts":1714564800.1,"switch:0":{...}}}); shelly-api-docs.shelly.cloud/gen2.
 * - zigbee2mqtt: a device's state on zigbee2mqtt/<friendly name>
 *   ({"temperature":21.5,"humidity":45,"contact":true,"battery":97,...});
 *   zigbee2mqtt.io, "MQTT topics and messages".
 *
 * Fields we do not know are skipped; each known one is a metric with the firmware's
 * unit turned into ours (hPa into pascals). */
#include "mqtt_int.h"

#include <string.h>

/* One known field: where it is (a dot path within the sensor/component object), the
 * metric it is, and the factor from the firmware's unit to the metric's. */
struct fw_field {
	const char *path;
	const char *metric;
	const char *unit;
	double scale;
	enum metric_kind kind;
};

static const struct fw_field tasmota_fields[] = {
	{"Temperature", "temperature_celsius", "celsius", 1, METRIC_GAUGE},
	{"DewPoint", "dew_point_celsius", "celsius", 1, METRIC_GAUGE},
	{"Humidity", "humidity_percent", "percent", 1, METRIC_GAUGE},
	{"Pressure", "pressure_pascals", "pascals", 100, METRIC_GAUGE},
	{"Power", "power_watts", "watts", 1, METRIC_GAUGE},
	{"ApparentPower", "apparent_power_volt_amperes", "volt_amperes", 1, METRIC_GAUGE},
	{"Voltage", "voltage_volts", "volts", 1, METRIC_GAUGE},
	{"Current", "current_amperes", "amperes", 1, METRIC_GAUGE},
	{"Factor", "power_factor_ratio", "ratio", 1, METRIC_GAUGE},
	{"Total", "energy_kilowatt_hours", "kilowatt_hours", 1, METRIC_GAUGE},
	{NULL, NULL, NULL, 0, 0},
};

static const struct fw_field shelly_fields[] = {
	{"apower", "power_watts", "watts", 1, METRIC_GAUGE},
	{"voltage", "voltage_volts", "volts", 1, METRIC_GAUGE},
	{"current", "current_amperes", "amperes", 1, METRIC_GAUGE},
	{"freq", "frequency_hertz", "hertz", 1, METRIC_GAUGE},
	{"pf", "power_factor_ratio", "ratio", 1, METRIC_GAUGE},
	{"aenergy.total", "energy_watt_hours", "watt_hours", 1, METRIC_GAUGE},
	{"temperature.tC", "temperature_celsius", "celsius", 1, METRIC_GAUGE},
	{"tC", "temperature_celsius", "celsius", 1, METRIC_GAUGE},
	{"rh", "humidity_percent", "percent", 1, METRIC_GAUGE},
	{"battery.percent", "battery_percent", "percent", 1, METRIC_GAUGE},
	{"output", "output_state", "", 1, METRIC_STATE},
	{NULL, NULL, NULL, 0, 0},
};

static const struct fw_field z2m_fields[] = {
	{"temperature", "temperature_celsius", "celsius", 1, METRIC_GAUGE},
	{"humidity", "humidity_percent", "percent", 1, METRIC_GAUGE},
	{"pressure", "pressure_pascals", "pascals", 100, METRIC_GAUGE},
	{"battery", "battery_percent", "percent", 1, METRIC_GAUGE},
	{"power", "power_watts", "watts", 1, METRIC_GAUGE},
	{"current", "current_amperes", "amperes", 1, METRIC_GAUGE},
	{"energy", "energy_kilowatt_hours", "kilowatt_hours", 1, METRIC_GAUGE},
	{"contact", "contact_state", "", 1, METRIC_STATE},
	{"water_leak", "water_leak_state", "", 1, METRIC_STATE},
	{"occupancy", "occupancy_state", "", 1, METRIC_STATE},
	{"smoke", "smoke_state", "", 1, METRIC_STATE},
	{"tamper", "tamper_state", "", 1, METRIC_STATE},
	{"battery_low", "battery_low_state", "", 1, METRIC_STATE},
	{"state", "switch_state", "", 1, METRIC_STATE},
	{NULL, NULL, NULL, 0, 0},
};

/* z2m's and Shelly's switch states as text. */
static const struct cfg_label on_off[] = {{"ON", "1"}, {"OFF", "0"}};

/* Every known field of obj, as metrics of one instance (NULL: none).  A field with the
 * wrong type is that metric's error. */
static void emit_fields(json_t *obj, const struct fw_field *tab, const char *inst_label,
			const char *inst, bool fahrenheit, struct mqtt_sink *sink)
{
	for (const struct fw_field *f = tab; f->path; f++) {
		json_t *v = mqtt_json_path(obj, f->path);
		if (!v)
			continue;
		char why[MQTT_WHY_MAX] = "";
		struct mqtt_point p = {.metric = f->metric, .unit = f->unit, .kind = f->kind,
				       .inst_label = inst ? inst_label : NULL, .inst = inst};
		if (f->kind == METRIC_STATE) {
			p.states = on_off;
			p.nstates = 2;
		}
		if (mqtt_json_number(v, p.states, p.nstates, &p.value, why, sizeof(why))) {
			p.value *= f->scale;
			if (fahrenheit && !strcmp(f->unit, "celsius"))
				p.value = (p.value - 32) * 5 / 9;
		}
		p.error = why[0] ? why : NULL;
		sink->errors += p.error != NULL;
		sink->point(sink->arg, &p);
	}
}

void mqtt_map_tasmota(json_t *root, struct mqtt_sink *sink)
{
	const char *key;
	json_t *v;
	const char *unit = json_string_value(json_object_get(root, "TempUnit"));
	bool fahrenheit = unit && !strcmp(unit, "F");
	mqtt_sink_time(sink, json_object_get(root, "Time"));
	json_object_foreach(root, key, v) {
		if (json_is_object(v))
			emit_fields(v, tasmota_fields, "sensor", key, fahrenheit, sink);
	}
}

/* A NotifyStatus's params hold components ("switch:0"); a status topic's payload is one
 * component, named by the topic's last level. */
void mqtt_map_shelly(json_t *root, const char *topic, struct mqtt_sink *sink)
{
	json_t *params = json_object_get(root, "params");
	if (json_is_object(params)) {
		const char *key;
		json_t *v;
		mqtt_sink_time(sink, json_object_get(params, "ts"));
		json_object_foreach(params, key, v) {
			if (json_is_object(v) && strchr(key, ':'))
				emit_fields(v, shelly_fields, "component", key, false, sink);
		}
		return;
	}
	const char *last = strrchr(topic, '/');
	last = last ? last + 1 : topic;
	mqtt_sink_time(sink, NULL);
	emit_fields(root, shelly_fields, "component", strchr(last, ':') ? last : NULL, false,
		    sink);
}

void mqtt_map_z2m(json_t *root, struct mqtt_sink *sink)
{
	mqtt_sink_time(sink, json_object_get(root, "last_seen"));
	emit_fields(root, z2m_fields, NULL, NULL, false, sink);
}
