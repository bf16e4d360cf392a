/* The CLI's formatting helpers and status views. */
#include "testing.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void test_numbers(void **state)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0, "0"}, {0.05, "0.05"}, {0.0523, "0.05"}, {0.5, "0.5"}, {1, "1"},
		{2.345, "2.35"}, {23.5, "23.5"}, {23.04, "23"}, {99.96, "100"}, {100, "100"},
		{1234.4, "1234"}, {-3.5, "-3.5"}, {0.0012, "0.0012"}, {NAN, "-"}, {INFINITY, "inf"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];
		cli_format_number(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

/* Integer arguments within a range, nothing around them; JSON integers as numbers and
 * as table cells, 0 when absent or not an integer. */
static void test_integers(void **state)
{
	(void)state;
	long long v = 0;
	assert_int_equal(cli_parse_int("443", 1, 65535, &v), 0);
	assert_int_equal(v, 443);
	assert_int_equal(cli_parse_int("-3", -5, 5, &v), 0);
	assert_int_equal(v, -3);
	const char *bad[] = {"", "0", "65536", "12x", " 7", "7 ", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cli_parse_int(bad[i], 1, 65535, &v), -EINVAL);
	assert_int_equal(cli_parse_id("0", &v), -EINVAL);
	assert_int_equal(cli_parse_id("9223372036854775807", &v), 0);
	json_t *o = json_pack("{s:I, s:s, s:f}", "seq", (json_int_t)9007199254740993LL, "id", "7",
			      "ratio", 0.5);
	char buf[24];
	assert_int_equal(cli_jint(o, "seq"), 9007199254740993LL);
	assert_string_equal(cli_jint_text(o, "seq", buf, sizeof(buf)), "9007199254740993");
	assert_int_equal(cli_jint(o, "id"), 0);
	assert_int_equal(cli_jint(o, "ratio"), 0);
	assert_string_equal(cli_jint_text(o, "missing", buf, sizeof(buf)), "0");
	json_decref(o);
}

static void test_values(void **state)
{
	static const struct {
		double v;
		const char *unit;
		bool per_second;
		const char *want;
	} cases[] = {
		{0.00005, "seconds", false, "0.05 ms"},
		{0.0123, "seconds", false, "12.3 ms"},
		{1.5, "seconds", false, "1.5 s"},
		{119, "seconds", false, "119 s"},
		{1500, "seconds", false, "25 min"},
		{9000, "seconds", false, "2.5 h"},
		{259200, "seconds", false, "3 d"},
		{512, "bytes", false, "512 B"},
		{1536, "bytes", false, "1.5 KiB"},
		{5 * 1048576.0, "bytes", false, "5 MiB"},
		{16 * 1073741824.0, "bytes", false, "16 GiB"},
		{1048576, "bytes", true, "1 MiB/s"},
		{45, "percent", false, "45%"},
		{97.5, "percent", false, "97.5%"},
		{23.5, "celsius", false, "23.5 °C"},
		{230.1, "volts", false, "230 V"},
		{4.2, "kilowatts", false, "4.2 kW"},
		{12, "packets", true, "12 packets/s"},
		{7, "", false, "7"},
		{7, "", true, "7/s"},
		{7, NULL, false, "7"},
		{NAN, "percent", false, "-"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[32];
		cli_format_value(cases[i].v, cases[i].unit, cases[i].per_second, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
	}
}

static void test_ages_and_names(void **state)
{
	static const struct {
		double age;
		const char *want;
	} ages[] = {
		{0.4, "0s"}, {3.9, "3s"}, {59, "59s"}, {60, "1m"}, {3599, "59m"}, {7300, "2h"},
		{86400 * 3 + 5, "3d"}, {-1, "-"}, {NAN, "-"},
	};
	char buf[64];
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		cli_format_age(ages[i].age, buf, sizeof(buf));
		assert_string_equal(buf, ages[i].want);
	}
	cli_short_name("ping_rtt_avg_seconds", "seconds", buf, sizeof(buf));
	assert_string_equal(buf, "ping_rtt_avg");
	cli_short_name("ups_output_source_state", "", buf, sizeof(buf));
	assert_string_equal(buf, "ups_output_source_state");
	cli_short_name("seconds", "seconds", buf, sizeof(buf));
	assert_string_equal(buf, "seconds");
	cli_short_name("fs_used_percent", "bytes", buf, sizeof(buf));
	assert_string_equal(buf, "fs_used_percent");
	assert_int_equal(cli_text_width("23.5 °C"), 7);
	assert_int_equal(cli_text_width(""), 0);
}

static void test_metric_values(void **state)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{"{\"value\": 5, \"value_name\": \"battery\", \"kind\": \"state\"}", "battery"},
		{"{\"value\": 2, \"value_name\": null, \"kind\": \"state\", \"unit\": \"\"}", "2"},
		{"{\"value\": null, \"kind\": \"gauge\", \"unit\": \"percent\"}", "-"},
		{"{\"value\": 0.00005, \"kind\": \"gauge\", \"unit\": \"seconds\"}", "0.05 ms"},
		{"{\"value\": 2048, \"kind\": \"counter\", \"unit\": \"bytes\"}", "2 KiB/s"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *m = json_loads(cases[i].json, 0, NULL);
		assert_non_null(m);
		char buf[64];
		cli_format_metric_value(m, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want);
		json_decref(m);
	}
}

static void test_query_add(void **state)
{
	char buf[64] = "/api/v1/status";
	assert_int_equal(cli_query_add(buf, sizeof(buf), "site", "tokyo-1"), 0);
	assert_int_equal(cli_query_add(buf, sizeof(buf), "device", "web 0*&x"), 0);
	assert_string_equal(buf, "/api/v1/status?site=tokyo-1&device=web%200*%26x");
	char small[24] = "/api/v1/status";
	assert_int_equal(cli_query_add(small, sizeof(small), "site", "much-too-long"),
			 -ENAMETOOLONG);
}

/* Devices as the API returns them, for the views. */
static const char devices_json[] =
	"[{\"id\": \"ups-a\", \"kind\": \"ups\", \"state\": \"up\", \"health\": \"ok\","
	"  \"health_reason\": \"\", \"data_age_s\": 3.2, \"location\": {\"site\": \"tokyo-1\"},"
	"  \"last_poll_ms\": 1, \"last_poll_age_s\": 3.5, \"interval_ms\": 10000,"
	"  \"last_duration_ms\": 120, \"failures\": 0, \"metrics\": ["
	"   {\"name\": \"battery_charge_percent\", \"unit\": \"percent\", \"kind\": \"gauge\","
	"    \"value\": 97.5, \"quality\": \"ok\", \"inst\": null, \"age_s\": 3.2, \"reason\": \"\"},"
	"   {\"name\": \"ups_output_source_state\", \"unit\": \"\", \"kind\": \"state\","
	"    \"value\": 5, \"value_name\": \"battery\", \"quality\": \"ok\", \"inst\": null},"
	"   {\"name\": \"battery_runtime_seconds\", \"unit\": \"seconds\", \"kind\": \"gauge\","
	"    \"value\": 1500, \"quality\": \"stale\", \"inst\": null}]},"
	" {\"id\": \"web-01\", \"kind\": \"server\", \"state\": \"unreachable\","
	"  \"health\": \"critical\", \"health_reason\": \"unreachable: timeout\","
	"  \"data_age_s\": null, \"metrics\": ["
	"   {\"name\": \"ping_rtt_avg_seconds\", \"unit\": \"seconds\", \"kind\": \"gauge\","
	"    \"value\": null, \"quality\": \"error\", \"reason\": \"timeout\", \"inst\": null},"
	"   {\"name\": \"fs_used_percent\", \"unit\": \"percent\", \"kind\": \"gauge\","
	"    \"value\": 45, \"quality\": \"ok\", \"inst\": \"/var\"}]}]";

/* Renders a view into a string. */
static char *render(void (*view)(const struct cli_ctx *, json_t *), int width)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct cli_ctx ctx = {.width = width, .out = out, .err = stderr};
	json_t *devs = json_loads(devices_json, 0, NULL);
	assert_non_null(devs);
	view(&ctx, devs);
	json_decref(devs);
	fclose(out);
	return text;
}

static void test_status_table(void **state)
{
	char *t = render(cli_status_table, 160);
	const char *want =
		"DEVICE  KIND    STATE        HEALTH   AGE  VALUES\n"
		"ups-a   ups     up           OK        3s  battery_charge 97.5%, "
		"ups_output_source battery, battery_runtime 25 min (stale)\n"
		"web-01  server  unreachable  CRIT       -  [unreachable: timeout], "
		"ping_rtt_avg ERR, fs_used[/var] 45%\n";
	assert_string_equal(t, want);
	free(t);
	/* Narrower: what does not fit is counted, and no line is wider than asked. */
	t = render(cli_status_table, 100);
	assert_non_null(strstr(t, "ups-a   ups     up           OK        3s  battery_charge 97.5%, "
				  "ups_output_source battery, +1\n"));
	assert_non_null(strstr(t, "  [unreachable: timeout], ping_rtt_avg ERR, +1\n"));
	for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(cli_text_width(line) <= 100);
	free(t);
}

/* A generator and a PDU whose profiles name headline metrics: those come first, in
 * the profile's order, before metrics listed earlier (oil pressure, control mode). */
static const char *headline_json =
	"[{\"id\": \"gen-1\", \"kind\": \"generator\", \"state\": \"up\", \"health\": \"ok\","
	"  \"data_age_s\": 2, \"metrics\": ["
	"   {\"name\": \"control_mode_state\", \"unit\": \"\", \"kind\": \"state\", \"value\": 1,"
	"    \"value_name\": \"auto\", \"quality\": \"ok\", \"inst\": null, \"headline\": 0},"
	"   {\"name\": \"oil_pressure_pascals\", \"unit\": \"pascals\", \"kind\": \"gauge\","
	"    \"value\": 0, \"quality\": \"ok\", \"inst\": null, \"headline\": 0},"
	"   {\"name\": \"fuel_level_percent\", \"unit\": \"percent\", \"kind\": \"gauge\","
	"    \"value\": 81, \"quality\": \"ok\", \"inst\": null, \"headline\": 2},"
	"   {\"name\": \"engine_state\", \"unit\": \"\", \"kind\": \"state\", \"value\": 0,"
	"    \"value_name\": \"stopped\", \"quality\": \"ok\", \"inst\": null, \"headline\": 1}]},"
	" {\"id\": \"pdu-1\", \"kind\": \"pdu\", \"state\": \"up\", \"health\": \"ok\","
	"  \"data_age_s\": 2, \"metrics\": ["
	"   {\"name\": \"pdu_power_watts\", \"unit\": \"watts\", \"kind\": \"gauge\","
	"    \"value\": 3420, \"quality\": \"ok\", \"inst\": \"1\", \"headline\": 0},"
	"   {\"name\": \"phase_current_amperes\", \"unit\": \"amperes\", \"kind\": \"gauge\","
	"    \"value\": 14.8, \"quality\": \"ok\", \"inst\": \"1\", \"headline\": 1},"
	"   {\"name\": \"phase_current_amperes\", \"unit\": \"amperes\", \"kind\": \"gauge\","
	"    \"value\": 12.1, \"quality\": \"ok\", \"inst\": \"2\", \"headline\": 1}]}]";

static void test_status_headline_first(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct cli_ctx ctx = {.width = 90, .out = out, .err = stderr};
	json_t *devs = json_loads(headline_json, 0, NULL);

	assert_non_null(devs);
	cli_status_table(&ctx, devs);
	json_decref(devs);
	fclose(out);
	assert_non_null(strstr(text, "gen-1   generator  up     OK        2s  engine stopped, "
				     "fuel_level 81%, +2\n"));
	assert_non_null(strstr(text, "pdu-1   pdu        up     OK        2s  phase_current[1] "
				     "14.8 A, +2\n"));
	free(text);
	/* wider: both phases before the PDU's other values */
	text = NULL;
	out = open_memstream(&text, &len);
	ctx = (struct cli_ctx){.width = 120, .out = out, .err = stderr};
	devs = json_loads(headline_json, 0, NULL);
	cli_status_table(&ctx, devs);
	json_decref(devs);
	fclose(out);
	assert_non_null(strstr(text, "phase_current[1] 14.8 A, phase_current[2] 12.1 A, "
				     "pdu_power[1] 3420 W\n"));
	free(text);
}

static void test_status_details(void **state)
{
	char *t = render(cli_status_details, 100);
	assert_non_null(strstr(t, "ups-a (ups)  state up  health OK\n"));
	assert_non_null(strstr(t, "  location  tokyo-1\n"));
	assert_non_null(strstr(t, "  polled    3s ago, every 10 s, took 120 ms, 0 failures in a row\n"));
	assert_non_null(strstr(t, "  battery_runtime_seconds  25 min          stale       -\n"));
	assert_non_null(strstr(t, "  ping_rtt_avg_seconds   -               error       -  timeout\n"));
	assert_non_null(strstr(t, "  fs_used_percent[/var]  45%             ok          -\n"));
	assert_non_null(strstr(t, "  reason    unreachable: timeout\n"));
	free(t);
}

static void test_devices_health(void **state)
{
	json_t *devs = json_loads(devices_json, 0, NULL);
	assert_int_equal(cli_devices_health(devs), API_HEALTH_CRITICAL);
	json_array_remove(devs, 1);
	assert_int_equal(cli_devices_health(devs), API_HEALTH_OK);
	json_array_clear(devs);
	assert_int_equal(cli_devices_health(devs), API_HEALTH_UNKNOWN);
	json_decref(devs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),        cmocka_unit_test(test_values),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_ages_and_names), cmocka_unit_test(test_metric_values),
		cmocka_unit_test(test_query_add),      cmocka_unit_test(test_status_table),
		cmocka_unit_test(test_status_headline_first),
		cmocka_unit_test(test_status_details), cmocka_unit_test(test_devices_health),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
