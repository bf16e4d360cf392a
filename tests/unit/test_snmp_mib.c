/* Trap decoding with MIB modules read by net-snmp's parser (pollers/snmp_mib.c): the
 * shipped DCMON-MIB (mibs/) and the tests' stand-ins of IF-MIB and SNMPv2-MIB
 * (tests/data/mibs/), with NET-SNMP-MIB from net-snmp's own directory. */
#include "testing.h"

#include <stdio.h>
#include <string.h>

#include "snmp_int.h"

#define IF_ENTRY 1, 3, 6, 1, 2, 1, 2, 2, 1
#define DCMON_MIB 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3266

static int load(void **state)
{
	static char shipped[512], standins[512], netsnmp[] = "/usr/share/snmp/mibs";
	char *dirs[] = {shipped, standins, netsnmp};
	(void)state;
	snprintf(shipped, sizeof(shipped), "%s/mibs", DCMON_SOURCE_DIR);
	snprintf(standins, sizeof(standins), "%s/tests/data/mibs", DCMON_SOURCE_DIR);
	snmp_mibs_load(dirs, 3, true);
	return 0;
}

#define NAME(buf, ...)                                                                     \
	do {                                                                               \
		const oid v_[] = {__VA_ARGS__};                                            \
		snmp_mib_varbind_name(v_, sizeof(v_) / sizeof(v_[0]), buf, sizeof(buf));  \
	} while (0)

static void test_varbind_names(void **state)
{
	char buf[128];
	(void)state;
	NAME(buf, IF_ENTRY, 8, 2);
	assert_string_equal(buf, "ifOperStatus.2"); /* a column keeps its instance */
	NAME(buf, IF_ENTRY, 8, 0);
	assert_string_equal(buf, "ifOperStatus.0"); /* ... even an instance 0 */
	NAME(buf, 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0);
	assert_string_equal(buf, "snmpTrapOID"); /* a scalar's .0 left out */
	NAME(buf, 1, 3, 6, 1, 2, 1, 1, 3, 0);
	assert_string_equal(buf, "sysUpTime");
	NAME(buf, DCMON_MIB, 1, 2, 1, 5, 7);
	assert_string_equal(buf, "dcmonAlertSeverity.7");
	NAME(buf, 1, 3, 6, 1, 4, 1, 99999, 1, 0);
	assert_string_equal(buf, "1.3.6.1.4.1.99999.1.0"); /* no MIB: its number */
	NAME(buf, IF_ENTRY, 99, 2);
	assert_string_equal(buf, "1.3.6.1.2.1.2.2.1.99.2"); /* under a known entry, no object */
}

static void test_enums(void **state)
{
	char buf[64];
	const oid oper[] = {IF_ENTRY, 8, 2}, sev[] = {DCMON_MIB, 1, 2, 1, 5, 7},
		  index[] = {IF_ENTRY, 1, 2};
	(void)state;
	assert_true(snmp_mib_enum_text(oper, 11, 2, buf, sizeof(buf)));
	assert_string_equal(buf, "down(2)");
	assert_true(snmp_mib_enum_text(oper, 11, 7, buf, sizeof(buf)));
	assert_string_equal(buf, "lowerLayerDown(7)");
	assert_false(snmp_mib_enum_text(oper, 11, 42, buf, sizeof(buf))); /* not enumerated */
	assert_false(snmp_mib_enum_text(index, 11, 2, buf, sizeof(buf)));  /* no enumeration */
	assert_true(snmp_mib_enum_text(sev, 16, 3, buf, sizeof(buf)));     /* through a TC */
	assert_string_equal(buf, "critical(3)");
}

static void test_notifications(void **state)
{
	const oid down[] = {1, 3, 6, 1, 6, 3, 1, 1, 5, 3}, raised[] = {DCMON_MIB, 0, 1},
		  object[] = {IF_ENTRY, 8}, unknown[] = {1, 3, 6, 1, 4, 1, 99999, 0, 1};
	(void)state;
	assert_string_equal(snmp_mib_notification(down, 10), "linkDown");
	assert_string_equal(snmp_mib_notification(raised, 12), "dcmonAlertRaised");
	assert_null(snmp_mib_notification(object, 10)); /* an object, not a notification */
	assert_null(snmp_mib_notification(unknown, 9));
	assert_true(snmp_mib_notification_named("linkUp"));
	assert_true(snmp_mib_notification_named("dcmonAlertCleared"));
	assert_false(snmp_mib_notification_named("ifOperStatus"));
	assert_false(snmp_mib_notification_named("linkDwn"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_varbind_names),
	    cmocka_unit_test(test_enums),
	    cmocka_unit_test(test_notifications),
	};
	return cmocka_run_group_tests(tests, load, NULL);
}
