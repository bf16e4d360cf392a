/* DCMON-MIB's view as the subagent serves it: the alert table's instances come column
 * by column in OID order, GET finds an instance and nothing else, GETNEXT walks from
 * before the objects to past the last one; an alert event becomes the MIB's row
 * (severity and state numbers, metric with instance, value with unit, truncation to a
 * DisplayString); a notification's payload names its manager. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nb_int.h"

static const uint32_t mib[] = {NB_MIB_OID};

static size_t oid_of(uint32_t *out, const uint32_t *tail, size_t n)
{
	memcpy(out, mib, sizeof(mib));
	memcpy(out + NB_MIB_LEN, tail, n * sizeof(*tail));
	return NB_MIB_LEN + n;
}

static struct alert_event event(int64_t id, const char *summary)
{
	return (struct alert_event){.type = ALERT_EV_FIRED, .alert_id = id, .rule = "hot",
				    .summary = summary, .device = "ups1", .metric = "temp_celsius",
				    .inst = "inlet", .unit = "celsius", .state = ALERT_FIRING,
				    .severity = SEV_CRITICAL, .value = 35.5, .since_ms = 1700000000123};
}

static void test_alert_row(void **state)
{
	(void)state;
	char longtext[400];
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	struct alert_event ev = event(7, longtext);
	struct nb_alert a;
	assert_int_equal(nb_alert_from_event(&a, &ev), 0);
	assert_int_equal(a.severity, 3);
	assert_int_equal(a.state, 2);
	assert_string_equal(a.metric, "temp_celsius{inlet}");
	assert_string_equal(a.value, "35.5 celsius");
	assert_string_equal(a.suppressed_by, "");
	assert_int_equal(strlen(a.summary), NB_STR_MAX);
	ev.value = NAN;
	struct nb_alert b;
	assert_int_equal(nb_alert_from_event(&b, &ev), 0);
	assert_string_equal(b.value, "");
	nb_alert_clear(&a);
	nb_alert_clear(&b);
}

static void test_walk(void **state)
{
	(void)state;
	struct alert_event e3 = event(3, "a"), e10 = event(10, NULL);
	struct nb_alert alerts[2];
	assert_int_equal(nb_alert_from_event(&alerts[0], &e3), 0);
	assert_int_equal(nb_alert_from_event(&alerts[1], &e10), 0);
	struct nb_view *v = nb_view_build(NULL, NULL, alerts, 2);
	assert_non_null(v);
	assert_int_equal(v->n, 2 * 9); /* nine columns */

	uint32_t name[NB_OID_MAX];
	size_t len = oid_of(name, (const uint32_t[]){1}, 1); /* dcmonObjects */
	const struct nb_vb *vb = nb_view_find(v, name, len, true);
	assert_non_null(vb); /* dcmonAlertDevice.3 */
	uint32_t want[NB_OID_MAX];
	size_t wlen = oid_of(want, (const uint32_t[]){1, 2, 1, 2, 3}, 5);
	assert_int_equal(vb->len, wlen);
	assert_memory_equal(vb->name, want, wlen * sizeof(*want));
	assert_string_equal(vb->str, "ups1");
	vb = nb_view_find(v, vb->name, vb->len, true); /* dcmonAlertDevice.10 */
	assert_int_equal(vb->name[wlen - 1], 10);
	vb = nb_view_find(v, vb->name, vb->len, true); /* dcmonAlertRule.3 */
	assert_int_equal(vb->name[wlen - 2], 3);
	assert_int_equal(vb->name[wlen - 1], 3);

	len = oid_of(name, (const uint32_t[]){1, 2, 1, 5, 10}, 5); /* dcmonAlertSeverity.10 */
	vb = nb_view_find(v, name, len, false);
	assert_non_null(vb);
	assert_int_equal(vb->num, 3);
	name[len - 1] = 4; /* no alert 4 */
	assert_null(nb_view_find(v, name, len, false));
	len = oid_of(name, (const uint32_t[]){1, 2, 1, 10, 10}, 5); /* the last instance */
	assert_null(nb_view_find(v, name, len, true));
	nb_view_free(v);
	nb_alert_clear(&alerts[0]);
	nb_alert_clear(&alerts[1]);
}

static void test_payload(void **state)
{
	(void)state;
	struct alert_event ev = event(5, "s");
	struct nb_alert a;
	assert_int_equal(nb_alert_from_event(&a, &ev), 0);
	char *p = nb_payload("noc", NB_EV_RAISED, &a, 1234);
	assert_non_null(p);
	char *m = nb_payload_manager(p);
	assert_string_equal(m, "noc");
	assert_null(nb_payload_manager("{\"event\": 1}"));
	free(m);
	free(p);
	nb_alert_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_row),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
