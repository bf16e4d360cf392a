/* The MQTT payload mapper: each format's values, units and instances, payload times,
 * topic levels, and unreadable payloads as reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqtt_int.h"

#define NOW_MS 1800000000000LL

struct got {
	struct mqtt_point p[32];
	char metric[32][64], inst[32][64], error[32][128];
	size_t n;
};

static void collect(void *arg, const struct mqtt_point *p)
{
	struct got *g = arg;
	assert_true(g->n < 32);
	g->p[g->n] = *p;
	snprintf(g->metric[g->n], 64, "%s", p->metric);
	snprintf(g->inst[g->n], 64, "%s", p->inst ? p->inst : "");
	snprintf(g->error[g->n], 128, "%s", p->error ? p->error : "");
	g->n++;
}

/* The value of metric@inst, asserting it was reported once and without error. */
static double value_of(const struct got *g, const char *metric, const char *inst)
{
	int found = -1;
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->metric[i], metric) && !strcmp(g->inst[i], inst ? inst : ""))
			found = (int)i;
	if (found < 0)
		fail_msg("no %s@%s", metric, inst ? inst : "");
	assert_string_equal(g->error[found], "");
	return g->p[found].value;
}

static int map(const struct cfg_mqtt_sub *sub, const char *topic, const char *payload,
	       struct got *g, struct mqtt_sink *sink, char *why)
{
	*g = (struct got){0};
	*sink = (struct mqtt_sink){.point = collect, .arg = g, .now_ms = NOW_MS};
	return mqtt_map_payload(sub, topic, payload, strlen(payload), sink, why, MQTT_WHY_MAX);
}

static void test_scalars(void **state)
{
	struct cfg_label st[] = {{"auto", "1"}, {"manual", "2"}};
	struct cfg_mqtt_sub num = {.format = MQTT_FMT_NUMBER, .metric = "power_kilowatts",
				   .scale = 0.001};
	struct cfg_mqtt_sub bol = {.format = MQTT_FMT_BOOL, .metric = "door_state"};
	struct cfg_mqtt_sub en = {.format = MQTT_FMT_ENUM, .metric = "mode_state", .states = st,
				  .nstates = 2};
	struct got g;
	struct mqtt_sink s;
	char why[MQTT_WHY_MAX];
	(void)state;
	assert_int_equal(map(&num, "t", " 2500\n", &g, &s, why), 0);
	assert_true(fabs(value_of(&g, "power_kilowatts", NULL) - 2.5) < 1e-12);
	assert_int_equal(s.ts_ms, NOW_MS);
	assert_int_equal(map(&bol, "t", "On", &g, &s, why), 0);
	assert_true(value_of(&g, "door_state", NULL) == 1);
	assert_int_equal(map(&en, "t", "MANUAL", &g, &s, why), 0);
	assert_true(value_of(&g, "mode_state", NULL) == 2);
	assert_int_equal(map(&num, "t", "12abc", &g, &s, why), -EINVAL);
	assert_string_equal(why, "payload is not a number");
	assert_int_equal(g.n, 0);
	assert_int_equal(map(&num, "t", "nan", &g, &s, why), -EINVAL);
	assert_int_equal(map(&bol, "t", "maybe", &g, &s, why), -EINVAL);
	assert_int_equal(map(&en, "t", "off", &g, &s, why), -EINVAL);
	/* a NUL inside the payload is not read past */
	assert_int_equal(mqtt_map_payload(&num, "t", "1\0002", 3, &s, why, sizeof(why)), -EINVAL);
}

/* A number payload is strtod's value to the bit (the plain decimals take a shorter
 * path, mqtt_map.c parse_plain_decimal), and what strtod refuses stays refused. */
static void expect_strtod(const struct cfg_mqtt_sub *num, const char *text)
{
	struct got g;
	struct mqtt_sink s;
	char why[MQTT_WHY_MAX], *end;
	errno = 0;
	double want = strtod(text, &end);
	bool ok = end != text && !*end && errno != ERANGE && isfinite(want);
	int rc = map(num, "t", text, &g, &s, why);
	if (!ok) {
		if (rc != -EINVAL)
			fail_msg("'%s' taken as a number", text);
		return;
	}
	if (rc != 0)
		fail_msg("'%s' refused: %s", text, why);
	double got = value_of(&g, "x_celsius", NULL);
	if (memcmp(&got, &want, sizeof(got)) != 0)
		fail_msg("'%s': %.17g, strtod says %.17g", text, got, want);
}

static void test_number_forms(void **state)
{
	static const char *const forms[] = {
		"0", "-0", "-0.0", "+3.25", "1.", ".5", "-.5", "0.1", "0.3", "1000.3", "-17.125",
		"123456789012345", "1234567890123456", "9007199254740993", "0.000000000000001",
		"99999999999999.9", "0.123456789012345", "0000000000000012.5", "1e3", "1E-2",
		"0x10", "1.2.3", "--1", "+-1", "-", "+", ".", "1..2", "inf", "nan", "1e999",
		"12a", "1 2",
	};
	struct cfg_mqtt_sub num = {.format = MQTT_FMT_NUMBER, .metric = "x_celsius", .scale = 1};
	char text[40];
	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
		expect_strtod(&num, forms[i]);
	unsigned seed = 18;
	for (int i = 0; i < 20000; i++) {
		int ndig = 1 + (int)(rand_r(&seed) % 17), point = (int)(rand_r(&seed) % (ndig + 1));
		char *p = text;
		if (rand_r(&seed) % 3 == 0)
			*p++ = '-';
		for (int d = 0; d < ndig; d++) {
			if (d == point && d > 0)
				*p++ = '.';
			*p++ = (char)('0' + rand_r(&seed) % 10);
		}
		*p = '\0';
		expect_strtod(&num, text);
	}
}

static void test_collectd_instance(void **state)
{
	struct cfg_mqtt_sub sub = {.format = MQTT_FMT_COLLECTD, .metric = "reading_volts",
				   .scale = 2, .instance_level = 3};
	struct got g;
	struct mqtt_sink s;
	char why[MQTT_WHY_MAX];
	(void)state;
	assert_int_equal(map(&sub, "collectd/h1/gauge-p001", "N:21.5", &g, &s, why), 0);
	assert_true(value_of(&g, "reading_volts", "gauge-p001") == 43);
	assert_string_equal(g.p[0].inst_label, "topic");
	assert_int_equal(s.ts_ms, NOW_MS);
	assert_int_equal(map(&sub, "collectd/h1/x", "1799999999.5:1", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, 1799999999500LL);
	assert_int_equal(map(&sub, "collectd/h1/x", "21.5", &g, &s, why), -EINVAL);
	assert_string_equal(why, "payload is not TIME:VALUE");
	assert_int_equal(map(&sub, "collectd/h1", "N:1", &g, &s, why), -EINVAL);
	assert_string_equal(why, "no instance at topic level 3");
}

static void test_json_values(void **state)
{
	struct cfg_label st[] = {{"ok", "0"}, {"alarm", "1"}};
	struct cfg_mqtt_value v[] = {
		{.metric = "supply_celsius", .path = "air.supply", .scale = 0.1},
		{.metric = "fan_rpm", .path = "fans.1.rpm", .scale = 1},
		{.metric = "alarm_state", .path = "alarm", .states = st, .nstates = 2, .scale = 1},
		{.metric = "missing_celsius", .path = "no.where", .scale = 1},
	};
	struct cfg_mqtt_sub sub = {.format = MQTT_FMT_JSON, .values = v, .nvalues = 4,
				   .timestamp = "ts"};
	struct got g;
	struct mqtt_sink s;
	char why[MQTT_WHY_MAX];
	(void)state;
	assert_int_equal(map(&sub, "t", "{\"ts\":1799999990.5,\"air\":{\"supply\":182},"
			     "\"fans\":[{\"rpm\":1},{\"rpm\":\"1210\"}],\"alarm\":\"Alarm\"}",
			     &g, &s, why), 0);
	assert_int_equal(g.n, 4);
	assert_true(fabs(value_of(&g, "supply_celsius", NULL) - 18.2) < 1e-9);
	assert_true(value_of(&g, "fan_rpm", NULL) == 1210);
	assert_true(value_of(&g, "alarm_state", NULL) == 1);
	assert_string_equal(g.error[3], "no value at no.where");
	assert_int_equal(s.errors, 1);
	assert_int_equal(s.ts_ms, 1799999990500LL);
	/* ISO 8601 with a zone; and a time two hours old is not sane */
	assert_int_equal(map(&sub, "t", "{\"ts\":\"2027-01-15T08:59:59.5+01:00\"}", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, NOW_MS - 500);
	assert_int_equal(map(&sub, "t", "{\"ts\":\"2027-01-15T08:00:00+02:00\"}", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, NOW_MS);
	assert_int_equal(map(&sub, "t", "{\"ts\":1799992800}", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, NOW_MS);
	assert_int_equal(map(&sub, "t", "{\"ts\":1799999999999}", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, 1799999999999LL);
	/* a fraction of digits only: "0.2E444" (strtod: infinite) is not a time, the
	 * arrival's is used (the fuzzer's crash: an infinite fraction cast to int64) */
	assert_int_equal(map(&sub, "t", "{\"ts\":\"2027-01-15T08:59:59.25+01:00\"}", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, NOW_MS - 750);
	assert_int_equal(map(&sub, "t", "{\"ts\":\"2027-01-15T07:59:59.2E444Z\"}", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, NOW_MS);
	assert_int_equal(map(&sub, "t", "{\"ts\":\"2027-01-15T07:59:59.Z\"}", &g, &s, why), 0);
	assert_int_equal(s.ts_ms, NOW_MS);
	/* wrong types are the point's error */
	assert_int_equal(map(&sub, "t", "{\"air\":{\"supply\":[1]},\"alarm\":null}", &g, &s, why), 0);
	assert_string_equal(g.error[0], "an array is not a number");
	assert_string_equal(g.error[2], "null is not a number");
	assert_int_equal(map(&sub, "t", "[1,2]", &g, &s, why), -EINVAL);
	assert_int_equal(map(&sub, "t", "{\"a\":1,\"a\":2}", &g, &s, why), -EINVAL);
	assert_int_equal(g.n, 0);
}

static void test_tasmota(void **state)
{
	struct cfg_mqtt_sub sub = {.format = MQTT_FMT_TASMOTA};
	struct got g;
	struct mqtt_sink s;
	char why[MQTT_WHY_MAX];
	(void)state;
	assert_int_equal(map(&sub, "tele/x/SENSOR",
			     "{\"Time\":\"2024-01-01T00:00:00\",\"AM2301\":{\"Temperature\":71.6,"
			     "\"Humidity\":45.5},\"ENERGY\":{\"TotalStartTime\":\"2023-01-01T00:00:00\","
			     "\"Total\":12.5,\"Power\":40,\"Current\":0.174},\"TempUnit\":\"F\"}",
			     &g, &s, why), 0);
	assert_true(fabs(value_of(&g, "temperature_celsius", "AM2301") - 22) < 1e-9);
	assert_true(value_of(&g, "humidity_percent", "AM2301") == 45.5);
	assert_true(value_of(&g, "energy_kilowatt_hours", "ENERGY") == 12.5);
	assert_true(value_of(&g, "current_amperes", "ENERGY") == 0.174);
	assert_string_equal(g.p[0].inst_label, "sensor");
}

static void test_shelly_z2m(void **state)
{
	struct cfg_mqtt_sub sh = {.format = MQTT_FMT_SHELLY};
	struct cfg_mqtt_sub z = {.format = MQTT_FMT_Z2M};
	struct got g;
	struct mqtt_sink s;
	char why[MQTT_WHY_MAX];
	(void)state;
	assert_int_equal(map(&sh, "sp/events/rpc", "{\"method\":\"NotifyStatus\",\"params\":"
			     "{\"ts\":1799999999.25,\"switch:0\":{\"apower\":12.5,\"aenergy\":"
			     "{\"total\":99},\"output\":true},\"sys\":{\"uptime\":5}}}", &g, &s, why), 0);
	assert_true(value_of(&g, "power_watts", "switch:0") == 12.5);
	assert_true(value_of(&g, "energy_watt_hours", "switch:0") == 99);
	assert_true(value_of(&g, "output_state", "switch:0") == 1);
	assert_int_equal(s.ts_ms, 1799999999250LL);
	assert_int_equal(map(&sh, "sp/status/temperature:0", "{\"id\":0,\"tC\":21.5}", &g, &s,
			     why), 0);
	assert_true(value_of(&g, "temperature_celsius", "temperature:0") == 21.5);
	assert_int_equal(map(&z, "zigbee2mqtt/x", "{\"contact\":false,\"pressure\":1000,"
			     "\"state\":\"ON\",\"battery\":\"x\"}", &g, &s, why), 0);
	assert_true(value_of(&g, "contact_state", NULL) == 0);
	assert_true(value_of(&g, "pressure_pascals", NULL) == 100000);
	assert_true(value_of(&g, "switch_state", NULL) == 1);
	assert_int_equal(s.errors, 1); /* battery "x" */
}

static void test_topic_levels(void **state)
{
	char buf[16];
	(void)state;
	assert_true(mqtt_topic_level("sensors/rack1/temperature", 2, buf, sizeof(buf)));
	assert_string_equal(buf, "rack1");
	assert_false(mqtt_topic_level("sensors//t", 2, buf, sizeof(buf)));
	assert_false(mqtt_topic_level("a/b", 3, buf, sizeof(buf)));
	assert_false(mqtt_topic_level("a/0123456789abcdefg", 2, buf, sizeof(buf)));
	assert_true(mqtt_topic_level_is_plus("sensors/+/t", 2));
	assert_false(mqtt_topic_level_is_plus("sensors/+/t", 1));
	assert_false(mqtt_topic_level_is_plus("sensors/#", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_number_forms),    cmocka_unit_test(test_collectd_instance),
		cmocka_unit_test(test_json_values),
		cmocka_unit_test(test_tasmota),    cmocka_unit_test(test_shelly_z2m),
		cmocka_unit_test(test_topic_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
