/* Alarm reports (events/alarm_report.c): the periods before a time (UTC days, ISO weeks
 * across a year's end; a tenant's days in its zone, far from UTC and across a DST
 * change), and a summary counting every event of its day exactly, more
 * than one search page of them, none of the next day. */
#include "testing.h"
#include "tmpdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/alarm_report.h"
#include "dcmon/event.h"
#include "events_int.h"

#define DAY0 1796515200000LL /* 2026-12-06 00:00 UTC, a Sunday */
#define DAY_EVENTS 10050     /* more than one page of the summary's search */

static void period_in(const char *tz, enum alarm_period_kind k, int64_t now, const char *name,
		      int64_t from, int64_t to)
{
	char got[ALARM_PERIOD_LEN];
	int64_t f, t;
	alarm_period_before(k, tz, now, got, &f, &t);
	assert_string_equal(got, name);
	assert_int_equal(f, from);
	assert_int_equal(t, to);
}

static void period(enum alarm_period_kind k, int64_t now, const char *name, int64_t from,
		   int64_t to)
{
	period_in("UTC", k, now, name, from, to);
}

static void test_periods(void **state)
{
	const int64_t D = EVENT_DAY_MS;
	(void)state;
	period(ALARM_DAILY, DAY0, "2026-12-05", DAY0 - D, DAY0);
	period(ALARM_DAILY, DAY0 + D - 1, "2026-12-05", DAY0 - D, DAY0); /* the day's last ms */
	period(ALARM_DAILY, DAY0 + D, "2026-12-06", DAY0, DAY0 + D);
	/* Sunday 6th belongs to the week of Monday 2026-11-30 (W49): the week before is W48 */
	period(ALARM_WEEKLY, DAY0 + 3600000, "2026-W48", DAY0 - 13 * D, DAY0 - 6 * D);
	period(ALARM_WEEKLY, DAY0 + D, "2026-W49", DAY0 - 6 * D, DAY0 + D);
	/* Monday 2027-01-04: the week before is 2026's 53rd (2026 began on a Thursday) */
	period(ALARM_WEEKLY, DAY0 + 29 * D, "2026-W53", DAY0 + 22 * D, DAY0 + 29 * D);
}

/* A tenant's day runs midnight to midnight in its zone: at 14:00 of December 6 in
 * Kiritimati (UTC+14, DAY0), its day before is December 5, from 10:00 UTC of the 4th;
 * its week before (Monday 23 November) starts on the 22nd at 10:00 UTC.  Berlin's
 * 29 March 2026 is 23 hours long (summer time from 02:00). */
static void test_periods_in_a_zone(void **state)
{
	const int64_t D = EVENT_DAY_MS, H = 3600000;
	(void)state;
	period_in("Pacific/Kiritimati", ALARM_DAILY, DAY0, "2026-12-05", DAY0 - D - 14 * H,
		  DAY0 - 14 * H);
	period_in("Pacific/Kiritimati", ALARM_DAILY, DAY0 + 10 * H - 1, "2026-12-05",
		  DAY0 - D - 14 * H, DAY0 - 14 * H); /* its day's last ms */
	period_in("Pacific/Kiritimati", ALARM_DAILY, DAY0 + 10 * H, "2026-12-06", DAY0 - 14 * H,
		  DAY0 + 10 * H);
	period_in("Pacific/Kiritimati", ALARM_WEEKLY, DAY0, "2026-W48", DAY0 - 13 * D - 14 * H,
		  DAY0 - 6 * D - 14 * H);
	period_in("Europe/Berlin", ALARM_DAILY, 1774864800000LL, "2026-03-29", 1774738800000LL,
		  1774821600000LL);
}

static void test_summary_counts_every_event(void **state)
{
	char dir[64] = "/tmp/dcmon-alarmrep.XXXXXX", err[256] = "";
	struct cfg_events c = {.retention_ms = 3650LL * EVENT_DAY_MS, .max_mb = 1024,
			       .warn_percent = 90, .queue_max = 20000};
	(void)state;
	assert_non_null(mkdtemp(dir));
	c.dir = dir;
	struct event_store *s = event_store_open(&c, err, sizeof(err));
	assert_non_null(s);
	for (int i = 0; i < DAY_EVENTS + 3; i++) { /* the last 3 on the next day */
		bool next = i >= DAY_EVENTS;
		struct event ev = {.received_ms = DAY0 + (next ? EVENT_DAY_MS : 0) + i, .kind = EVENT_SYSLOG,
				   .source = "127.0.0.1", .device = i % 3 ? "web1" : NULL,
				   .host = "stray", .facility = 1, .severity = i % 2 ? 3 : 6,
				   .message = "line"};
		assert_int_equal(event_store_add(s, &ev), 0);
	}
	const struct event_field fired[] = {{"alert.state", "firing"}};
	struct event alert = {.received_ms = DAY0 + 5, .kind = EVENT_ALERT, .source = "dcmond",
			      .device = "web1", .facility = -1, .severity = 2, .program = "hot",
			      .msgid = "changed", .message = "hot", .fields = fired, .nfields = 1};
	assert_int_equal(event_store_add(s, &alert), 0);
	alert.msgid = "fired"; /* its notification: not a second firing */
	assert_int_equal(event_store_add(s, &alert), 0);
	event_store_sync(s);

	json_t *sum = alarm_summary(dir, NULL, DAY0, DAY0 + EVENT_DAY_MS, err, sizeof(err));
	assert_non_null(sum);
	assert_int_equal(json_integer_value(json_object_get(sum, "events")), DAY_EVENTS + 2);
	json_t *sev = json_object_get(sum, "severity");
	assert_int_equal(json_integer_value(json_object_get(sev, "err")), DAY_EVENTS / 2);
	assert_int_equal(json_integer_value(json_object_get(sev, "info")), DAY_EVENTS / 2);
	assert_int_equal(json_integer_value(json_object_get(sev, "crit")), 2);
	json_t *src = json_object_get(sum, "sources");
	assert_int_equal(json_array_size(src), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "name")), "web1");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "events")),
			 DAY_EVENTS - DAY_EVENTS / 3 + 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(src, 1), "name")),
			    "stray (no device)");
	json_t *rules = json_object_get(sum, "rules");
	assert_int_equal(json_array_size(rules), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rules, 0), "fired")), 1);

	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	assert_int_equal(alarm_summary_render(sum, "Daily <report>", &text, &html), 0);
	assert_non_null(strstr(strbuf_str(&text), "By kind: syslog 10050 trap 0 alert 2 audit 0\n"));
	assert_non_null(strstr(strbuf_str(&html), "<h2>Daily &lt;report&gt;</h2>"));
	strbuf_free(&text);
	strbuf_free(&html);
	json_decref(sum);
	event_store_close(s);
	assert_int_equal(test_tmpdir_remove(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_periods),
	    cmocka_unit_test(test_periods_in_a_zone),
	    cmocka_unit_test(test_summary_counts_every_event),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
