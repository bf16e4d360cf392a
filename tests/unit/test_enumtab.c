/* Enum names from one table each: name, parse and the "expected one of" list. */
#include "testing.h"

#include <errno.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/enumtab.h"
#include "dcmon/log.h"
#include "dcmon/metric.h"
#include "dcmon/modbus_profile.h"
#include "dcmon/notify.h"
#include "dcmon/poller.h"

static const char *const colours[] = {"red", "green", "blue", NULL};

static void test_name_by_value_and_out_of_range(void **state)
{
	assert_string_equal(enum_name(colours, 0), "red");
	assert_string_equal(enum_name(colours, 2), "blue");
	assert_string_equal(enum_name(colours, 3), "?"); /* the terminator */
	assert_string_equal(enum_name(colours, 40), "?");
	assert_string_equal(enum_name(colours, -1), "?");
}

static void test_parse_exact_and_nocase(void **state)
{
	int v = -7;
	assert_int_equal(enum_parse(colours, "green", &v), 0);
	assert_int_equal(v, 1);
	v = -7;
	assert_int_equal(enum_parse(colours, "Green", &v), -EINVAL);
	assert_int_equal(enum_parse(colours, "gree", &v), -EINVAL);
	assert_int_equal(enum_parse(colours, "", &v), -EINVAL);
	assert_int_equal(enum_parse(colours, NULL, &v), -EINVAL);
	assert_int_equal(v, -7); /* untouched on failure */
	assert_int_equal(enum_parse_nocase(colours, "BLUE", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(enum_parse_nocase(colours, NULL, &v), -EINVAL);
}

static void test_list_joins_and_truncates(void **state)
{
	char buf[64];
	assert_string_equal(enum_list(colours, buf, sizeof buf), "red, green, blue");
	char small[8];
	assert_string_equal(enum_list(colours, small, sizeof small), "red, gr");
	static const char *const none[] = {NULL};
	assert_string_equal(enum_list(none, buf, sizeof buf), "");
}

/* Every converted enum: each name parses back to its value, names are as before. */
static void test_kernel_tables_round_trip(void **state)
{
	for (int k = 0; k < DEV_KIND_COUNT; k++) {
		enum dev_kind back;
		assert_int_equal(dev_kind_parse(dev_kind_name((enum dev_kind)k), &back), 0);
		assert_int_equal(back, k);
	}
	assert_string_equal(dev_kind_name(DEV_KIND_COUNT), "?");
	enum log_level lvl;
	assert_int_equal(log_level_parse("DEBUG", &lvl), 0); /* levels ignore case */
	assert_int_equal(lvl, LOG_LVL_DEBUG);
	assert_string_equal(log_level_name(LOG_LVL_WARN), "warn");
	char buf[64];
	assert_string_equal(enum_list(log_level_names, buf, sizeof buf), "error, warn, info, debug");
	assert_string_equal(enum_list(cfg_severity_names, buf, sizeof buf), "info, warning, critical");
	assert_string_equal(cfg_severity_name(SEV_CRITICAL), "critical");
	enum api_health h;
	assert_int_equal(api_health_parse("critical", &h), 0);
	assert_int_equal(h, API_HEALTH_CRITICAL);
	assert_int_equal(api_health_parse(NULL, &h), -EINVAL);
	assert_string_equal(api_health_name(API_HEALTH_UNKNOWN), "unknown");
	assert_string_equal(dev_state_name(DEV_STATE_UNREACHABLE), "unreachable");
	assert_string_equal(poll_outcome_name(POLL_CANCELLED), "cancelled");
	assert_string_equal(poll_outcome_name((enum poll_outcome)5), "?");
	assert_string_equal(metric_kind_name(METRIC_STATE), "state");
	assert_string_equal(metric_quality_name(QUALITY_ERROR), "error");
	assert_string_equal(metric_quality_name((enum metric_quality)4), "?");
	assert_string_equal(cfgnode_type_name(CFGNODE_SEQ), "list");
}

static void test_part_tables_round_trip(void **state)
{
	enum alert_state st;
	assert_int_equal(alert_state_parse("resolved", &st), 0);
	assert_int_equal(st, ALERT_RESOLVED);
	assert_int_equal(alert_state_parse("Firing", &st), -EINVAL);
	assert_string_equal(alert_state_name(ALERT_OK), "ok");
	assert_string_equal(alert_event_type_name(ALERT_EV_FLAPPING), "flapping");
	assert_string_equal(alert_event_type_name(ALERT_EV_CURRENT), "current");
	assert_string_equal(alert_event_type_name(ALERT_EV_UPDATED), "updated");
	assert_string_equal(alert_event_type_name((enum alert_event_type)(ALERT_EV_UPDATED + 1)), "?");
	enum notify_state ns;
	assert_int_equal(notify_state_parse("failed", &ns), 0);
	assert_int_equal(ns, NOTIFY_FAILED);
	assert_string_equal(notify_state_name(NOTIFY_SENT), "sent");
	assert_string_equal(modbus_table_name(MB_COIL), "coil");
	assert_string_equal(modbus_table_name(MB_INPUT), "input");
	assert_string_equal(modbus_table_name((enum modbus_table)0), "?");
	assert_string_equal(modbus_table_name((enum modbus_table)5), "?");
	assert_string_equal(modbus_type_name(MB_T_FLOAT64), "float64");
	assert_string_equal(modbus_type_name(MB_T_COUNT), "?");
	assert_string_equal(modbus_order_name(MB_DCBA), "DCBA");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_by_value_and_out_of_range),
		cmocka_unit_test(test_parse_exact_and_nocase),
		cmocka_unit_test(test_list_joins_and_truncates),
		cmocka_unit_test(test_kernel_tables_round_trip),
		cmocka_unit_test(test_part_tables_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
