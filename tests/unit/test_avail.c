/* Availability on synthetic state histories with exact expected seconds (issue 20):
 * an outage across a month boundary, overlapping maintenance windows, dcmond down (the
 * span it left open ends at its last heartbeat; the gap is unknown), a flapping device,
 * and a tenant's server suppressed under a utility outage (it counts against the power
 * subsystem; the tenant's report shows the root cause and never the other tenant).  The
 * histories are written as dcmond writes them: runs by the recorder itself, down spans
 * and silences as rows of reports.db and alerts.db. */
#include "testing.h"
#include "tmpdir.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfgtest.h"
#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/avail.h"
#include "dcmon/avail_report.h"
#include "dcmon/avail_store.h"
#include "dcmon/change.h"
#include "dcmon/config.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)

/* 2026-mm-dd hh:mm UTC in ms */
static int64_t at(int mon, int day, int h, int m)
{
	char s[64];
	int64_t from, to;
	snprintf(s, sizeof(s), "2026-%02d-%02dT%02d:%02d:00Z..2027-01-01", mon, day, h, m);
	assert_int_equal(avail_period_parse(s, &from, &to), 0);
	return from;
}

struct fixture {
	char dir[256];
	struct cfg *cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[PATH_MAX];
	struct cfg_diags d;
	snprintf(f->dir, sizeof(f->dir), "/tmp/dcmon-avail-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/tests/unit/data/accounts/two_tenants.yaml",
		 DCMON_SOURCE_DIR);
	cfg_diags_init(&d);
	f->cfg = cfg_load(path, &d);
	cfg_diags_free(&d);
	assert_non_null(f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(test_tmpdir_remove(f->dir), 0);
	cfg_free(f->cfg);
	free(f);
	return 0;
}

/* A run of dcmond from start to stop, as the recorder writes it. */
static void run(struct fixture *f, int64_t start, int64_t stop)
{
	char err[256];
	struct avail_recorder *r = avail_recorder_new(f->dir, NULL, NULL, NULL, start, err,
						      sizeof(err));
	assert_non_null(r);
	avail_recorder_free(r, stop);
}

static void sql(struct fixture *f, const char *db_name, const char *text)
{
	char path[PATH_MAX];
	sqlite3 *db;
	char *msg = NULL;
	snprintf(path, sizeof(path), "%s/%s", f->dir, db_name);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", text, msg);
	sqlite3_close(db);
}

static void down(struct fixture *f, const char *object, int64_t start, int64_t end,
		 const char *root)
{
	char text[512], device[128];
	snprintf(device, sizeof(device), "%s", object);
	device[strcspn(device, "/")] = '\0';
	snprintf(text, sizeof(text),
		 "INSERT INTO down(object, device, start_ms, end_ms, root)"
		 " VALUES('%s', '%s', %lld, %lld, %s%s%s)",
		 object, device, (long long)start, (long long)end, root ? "'" : "",
		 root ? root : "NULL", root ? "'" : "");
	sql(f, "reports.db", text);
}

/* A one-off silence (a maintenance window) of one device, as alerts.db keeps it. */
static void silence(struct fixture *f, const char *device, int64_t start, int64_t end)
{
	char text[1024];
	sql(f, "alerts.db",
	    "CREATE TABLE IF NOT EXISTS silences(id INTEGER PRIMARY KEY, device TEXT, kind TEXT,"
	    " site TEXT, room TEXT, tenant TEXT, metric TEXT, inst TEXT, labels TEXT, rule TEXT,"
	    " reason TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	    " starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL, days INTEGER NOT NULL,"
	    " start_min INTEGER NOT NULL, end_min INTEGER NOT NULL, tz TEXT, deleted_ms INTEGER)");
	snprintf(text, sizeof(text),
		 "INSERT INTO silences(device, reason, created_by, created_ms, starts_ms, ends_ms,"
		 " days, start_min, end_min) VALUES('%s', 'maintenance', 'alice', 0, %lld, %lld,"
		 " 0, 0, 0)",
		 device, (long long)start, (long long)end);
	sql(f, "alerts.db", text);
}

static json_t *report(struct fixture *f, const char *period, const char *tenant)
{
	struct avail_report_req req = {.cfg = f->cfg, .tenant = tenant, .period = period,
				       .now_ms = at(12, 5, 0, 0)};
	struct avail_history h;
	char err[256];
	assert_int_equal(avail_period_parse(period, &req.from_ms, &req.to_ms), 0);
	assert_int_equal(avail_history_read(f->dir, req.from_ms, req.to_ms, req.now_ms, &h, err,
					    sizeof(err)),
			 0);
	json_t *rep = avail_report_build(&req, &h);
	avail_history_free(&h);
	assert_non_null(rep);
	return rep;
}

static const json_t *named(const json_t *rep, const char *section, const char *name)
{
	size_t i;
	json_t *o;
	json_array_foreach (json_object_get(rep, section), i, o)
		if (strcmp(json_string_value(json_object_get(o, "name")), name) == 0)
			return o;
	fail_msg("no %s '%s' in the report", section, name);
	return NULL;
}

static double fig(const json_t *o, const char *key)
{
	double v = json_number_value(json_object_get(o, key));
	if (getenv("AVAIL_DEBUG"))
		printf("%s = %.3f\n", key, v);
	return v;
}

/* ---- the arithmetic ----------------------------------------------------------------- */

static void test_span_operations(void **state)
{
	(void)state;
	struct avail_spans a = {0}, b = {0}, out = {0};
	avail_spans_add(&a, 50, 70);
	avail_spans_add(&a, 0, 10);
	avail_spans_add(&a, 5, 20); /* overlaps [0, 10) */
	avail_spans_add(&a, 20, 30); /* touches: merged */
	avail_spans_normalize(&a, 0, 100);
	assert_int_equal(a.n, 2);
	assert_int_equal(avail_spans_length(&a), 50);
	avail_spans_add(&b, 25, 55);
	avail_spans_normalize(&b, 0, 100);
	assert_int_equal(avail_spans_subtract(&a, &b, &out), 0);
	assert_int_equal(avail_spans_length(&out), 25 + 15);
	assert_int_equal(avail_spans_intersect(&a, &b, &out), 0);
	assert_int_equal(avail_spans_length(&out), 5 + 5);
	avail_spans_normalize(&a, 60, 65); /* clipped */
	assert_int_equal(avail_spans_length(&a), 5);
	avail_spans_free(&a);
	avail_spans_free(&b);
	avail_spans_free(&out);
}

static void test_periods(void **state)
{
	(void)state;
	int64_t from, to;
	assert_int_equal(avail_period_parse("2026-11", &from, &to), 0);
	assert_int_equal(to - from, 30 * 24 * HOUR_MS);
	assert_int_equal(avail_period_parse("2026-12", &from, &to), 0);
	assert_int_equal(to, at(1, 1, 0, 0) + 365 * 24 * HOUR_MS); /* 2027-01-01 */
	assert_int_equal(avail_period_parse("2026-W49", &from, &to), 0);
	assert_int_equal(from, at(11, 30, 0, 0)); /* Monday 30 November */
	assert_int_equal(to - from, 7 * 24 * HOUR_MS);
	assert_int_equal(avail_period_parse("2026", &from, &to), 0);
	assert_int_equal(to - from, 365 * 24 * HOUR_MS);
	assert_int_equal(avail_period_parse("2026-11-01..2026-11-02T06:00:00Z", &from, &to), 0);
	assert_int_equal(to - from, 30 * HOUR_MS);
	assert_int_equal(avail_period_parse("2026-13", &from, &to), -EINVAL);
	assert_int_equal(avail_period_parse("2026-11-02..2026-11-01", &from, &to), -EINVAL);
	assert_int_equal(avail_period_parse("last month", &from, &to), -EINVAL);
}

static void test_budget_of_the_target(void **state)
{
	(void)state;
	struct avail_class cls = {0};
	struct avail_spans unknown = {0};
	struct avail_policy pol = {.target = 0.9999};
	struct avail_figures f;
	int64_t month = 30 * 24 * HOUR_MS;
	avail_spans_add(&cls.unplanned, 0, 100000); /* 100 s */
	avail_figures_compute(&cls, &unknown, 0, month, &pol, &f);
	assert_int_equal(f.budget_ms, 259200); /* 4 min 19.2 s of 30 days */
	assert_int_equal(f.used_ms, 100000);
	assert_int_equal(f.left_ms, 159200);
	avail_class_free(&cls);
}

/* ---- the histories ------------------------------------------------------------------- */

static void test_outage_across_month_boundary(void **state)
{
	struct fixture *f = *state;
	run(f, at(10, 1, 0, 0), at(12, 5, 0, 0));
	down(f, "acme-web/ping_state", at(10, 31, 23, 50), at(11, 1, 0, 20), NULL);

	json_t *nov = report(f, "2026-11", NULL);
	const json_t *web = named(nov, "devices", "acme-web");
	assert_true(fig(web, "unplanned_s") == 1200);
	assert_true(fig(web, "unknown_s") == 0);
	assert_true(fig(web, "up_s") == 30 * 86400 - 1200);
	const json_t *inc = json_array_get(json_object_get(nov, "outages"), 0);
	assert_string_equal(json_string_value(json_object_get(inc, "start")),
			    "2026-10-31T23:50:00Z");
	assert_true(fig(inc, "duration_s") == 1800);
	assert_true(fig(inc, "in_period_s") == 1200);
	json_decref(nov);

	json_t *oct = report(f, "2026-10", NULL);
	assert_true(fig(named(oct, "devices", "acme-web"), "unplanned_s") == 600);
	json_decref(oct);
}

static void test_overlapping_maintenance(void **state)
{
	struct fixture *f = *state;
	run(f, at(10, 1, 0, 0), at(12, 5, 0, 0));
	silence(f, "acme-web", at(11, 10, 10, 0), at(11, 10, 11, 0));
	silence(f, "acme-web", at(11, 10, 10, 30), at(11, 10, 12, 0));
	silence(f, "globex-db", at(11, 10, 0, 0), at(11, 11, 0, 0)); /* not acme-web's */
	down(f, "acme-web/ping_state", at(11, 10, 10, 15), at(11, 10, 12, 30), NULL);

	json_t *rep = report(f, "2026-11", NULL);
	const json_t *web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "planned_s") == 6300);   /* 10:15 .. 12:00 */
	assert_true(fig(web, "unplanned_s") == 1800); /* 12:00 .. 12:30 */
	assert_true(fig(web, "used_s") == 1800);      /* planned does not count by default */
	assert_false(json_is_true(json_object_get(json_object_get(rep, "policy"),
						  "planned_counts")));
	json_decref(rep);

	/* a tenant whose policy counts planned downtime */
	struct cfg_report_tenant t = {.tenant = "acme", .planned_counts = true,
				      .planned_set = true};
	struct cfg_reports rc = {.target_pct = 99.9, .tenants = &t, .ntenants = 1};
	void **reports_slot = cfg_part_slot(&f->cfg->daemon, "reports");
	*reports_slot = &rc;
	rep = report(f, "2026-11", "acme");
	web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "used_s") == 8100);
	assert_true(json_is_true(json_object_get(json_object_get(rep, "policy"),
						 "planned_counts")));
	assert_true(fabs(fig(json_object_get(rep, "policy"), "target") - 0.999) < 1e-12);
	*reports_slot = NULL;
	json_decref(rep);
}

/* Weekly silences are planned windows, computed in their own time zone: Sundays
 * 01:00-05:00 in Paris over the night summer time ends (25 October 2026: 01:00 CEST is
 * 23:00Z the day before, 05:00 CET is 04:00Z, 5 hours), and every Sunday after until the
 * silence was deleted on 15 November at 02:00Z (cut there: 00:00Z..02:00Z). */
static void test_weekly_windows(void **state)
{
	struct fixture *f = *state;
	char text[1024];
	silence(f, "acme-web", 0, 1); /* makes the table */
	snprintf(text, sizeof(text),
		 "INSERT INTO silences(device, reason, created_by, created_ms, starts_ms, ends_ms,"
		 " days, start_min, end_min, tz, deleted_ms) VALUES('acme-web', 'backups', 'alice',"
		 " 0, %lld, 0, 1, 60, 300, 'Europe/Paris', %lld)",
		 (long long)at(10, 20, 0, 0), (long long)at(11, 15, 2, 0));
	sql(f, "alerts.db", text);
	struct avail_history h = {0};
	char err[256];
	assert_int_equal(avail_history_read_weekly(f->dir, at(10, 24, 0, 0), at(11, 30, 0, 0), &h,
						   err, sizeof(err)),
			 0);
	int64_t want[][2] = {{at(10, 24, 23, 0), at(10, 25, 4, 0)},
			     {at(11, 1, 0, 0), at(11, 1, 4, 0)},
			     {at(11, 8, 0, 0), at(11, 8, 4, 0)},
			     {at(11, 15, 0, 0), at(11, 15, 2, 0)}};
	assert_int_equal(h.nplanned, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(h.planned[i].device, "acme-web");
		assert_int_equal(h.planned[i].start_ms, want[i][0]);
		assert_int_equal(h.planned[i].end_ms, want[i][1]);
	}
	avail_history_free(&h);
}

/* dcmond stops at 00:00 with acme-web down; it starts again at 02:00, its alert still
 * firing: the span ends at the last heartbeat, two hours are unknown, and a new span
 * starts when the restored alert is published. */
static void test_dcmond_down_is_unknown(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct change_bus *bus = change_bus_new();
	run(f, at(10, 1, 0, 0), at(11, 20, 0, 0));
	char text[256];
	snprintf(text, sizeof(text), "INSERT INTO down(object, device, start_ms, end_ms) VALUES("
				     "'acme-web/ping_state', 'acme-web', %lld, NULL)",
		 (long long)at(11, 19, 23, 0));
	sql(f, "reports.db", text); /* open when dcmond stopped */

	struct avail_recorder *r = avail_recorder_new(f->dir, bus, NULL, NULL, at(11, 20, 2, 0),
						      err, sizeof(err));
	assert_non_null(r);
	struct alert_event ev = {.type = ALERT_EV_CURRENT, .ts_ms = at(11, 20, 2, 0),
				 .device = "acme-web", .metric = "ping_state",
				 .state = ALERT_FIRING, .severity = SEV_CRITICAL};
	change_publish(bus, &(struct change){.kind = CHANGE_ALERT, .device = ev.device,
					     .alert = &ev, .ts_ms = ev.ts_ms});
	ev = (struct alert_event){.type = ALERT_EV_CHANGED, .ts_ms = at(11, 20, 2, 30),
				  .device = "acme-web", .metric = "ping_state",
				  .state = ALERT_RESOLVED, .severity = SEV_CRITICAL};
	change_publish(bus, &(struct change){.kind = CHANGE_ALERT, .device = ev.device,
					     .alert = &ev, .ts_ms = ev.ts_ms});
	avail_recorder_free(r, at(12, 5, 0, 0));
	change_bus_free(bus);

	json_t *rep = report(f, "2026-11", NULL);
	const json_t *web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "unknown_s") == 7200);
	assert_true(fig(web, "unplanned_s") == 3600 + 1800);
	assert_true(fig(web, "known_s") == 30 * 86400 - 7200);
	assert_true(fig(named(rep, "devices", "crac-b"), "unknown_s") == 7200);
	json_decref(rep);
}

/* A poll of dev ended in state at ts. */
static void poll_end(struct change_bus *bus, const char *dev, enum dev_state state, int64_t ts)
{
	struct dev_status st = {.state = state};
	change_publish(bus, &(struct change){.kind = CHANGE_DEVICE, .device = dev, .ts_ms = ts,
					     .status = &st});
}

static void ping_alert(struct change_bus *bus, enum alert_state state, int64_t ts)
{
	struct alert_event ev = {.type = ALERT_EV_CHANGED, .ts_ms = ts, .device = "acme-web",
				 .metric = "ping_state", .state = state,
				 .severity = SEV_CRITICAL};
	change_publish(bus, &(struct change){.kind = CHANGE_ALERT, .device = ev.device,
					     .alert = &ev, .ts_ms = ts});
}

/* A device whose polls end unreachable is down from the first such poll end to the first
 * it answers, as its check "unreachable", except while a critical alert has it down (the
 * alert's span takes over: counted once); one row a transition, none per poll. */
static void test_unreachable_device_is_down(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct change_bus *bus = change_bus_new();
	struct avail_recorder *r = avail_recorder_new(f->dir, bus, NULL, NULL, at(11, 1, 0, 0),
						      err, sizeof(err));
	assert_non_null(r);
	poll_end(bus, "acme-web", DEV_STATE_UP, at(11, 10, 9, 59));
	poll_end(bus, "acme-web", DEV_STATE_UNREACHABLE, at(11, 10, 10, 0));
	poll_end(bus, "acme-web", DEV_STATE_UNREACHABLE, at(11, 10, 10, 1));
	ping_alert(bus, ALERT_FIRING, at(11, 10, 10, 2)); /* takes over */
	poll_end(bus, "acme-web", DEV_STATE_UNREACHABLE, at(11, 10, 10, 2));
	poll_end(bus, "acme-web", DEV_STATE_UNREACHABLE, at(11, 10, 10, 3));
	ping_alert(bus, ALERT_RESOLVED, at(11, 10, 10, 30));
	poll_end(bus, "acme-web", DEV_STATE_UNREACHABLE, at(11, 10, 10, 31));
	poll_end(bus, "acme-web", DEV_STATE_DEGRADED, at(11, 10, 10, 40)); /* answers */
	poll_end(bus, "globex-db", DEV_STATE_UNREACHABLE, at(11, 12, 8, 0));
	poll_end(bus, "globex-db", DEV_STATE_UNREACHABLE, at(11, 12, 8, 30));
	poll_end(bus, "globex-db", DEV_STATE_UP, at(11, 12, 9, 0));
	avail_recorder_free(r, at(12, 1, 0, 0));
	change_bus_free(bus);

	json_t *rep = report(f, "2026-11", NULL);
	const json_t *web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "unplanned_s") == 120 + 1680 + 540);
	assert_true(fig(named(rep, "devices", "globex-db"), "unplanned_s") == 3600);
	const json_t *checks = json_object_get(web, "checks");
	assert_int_equal(json_array_size(checks), 2);
	for (size_t i = 0; i < 2; i++) {
		const json_t *c = json_array_get(checks, i);
		const char *object = json_string_value(json_object_get(c, "object"));
		assert_true(fig(c, "unplanned_s") ==
			    (strcmp(object, "acme-web/unreachable") == 0 ? 120 + 540 : 1680));
	}
	json_decref(rep);
}

/* A poll of dev from start to end, ending in state. */
static void poll(struct change_bus *bus, const char *dev, enum dev_state state, int64_t start,
		 int64_t end)
{
	struct dev_status st = {.state = state, .last_poll_ms = start};
	change_publish(bus, &(struct change){.kind = CHANGE_DEVICE, .device = dev, .ts_ms = end,
					     .status = &st});
}

/* An outage starts where the evidence does: at the start of the first poll that got no
 * answer (the poll before answered), not at its end a timeout later; it ends at the end
 * of the first poll answered. */
static void test_unreachable_from_failed_poll_start(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct change_bus *bus = change_bus_new();
	struct avail_recorder *r = avail_recorder_new(f->dir, bus, NULL, NULL, at(11, 1, 0, 0),
						      err, sizeof(err));
	assert_non_null(r);
	int64_t t = at(11, 10, 10, 0);
	poll(bus, "acme-web", DEV_STATE_UP, t, t + 1000);
	poll(bus, "acme-web", DEV_STATE_UNREACHABLE, t + 60000, t + 65000); /* a 5 s timeout */
	poll(bus, "acme-web", DEV_STATE_UNREACHABLE, t + 120000, t + 125000);
	poll(bus, "acme-web", DEV_STATE_UP, t + 180000, t + 181000);
	avail_recorder_free(r, at(12, 1, 0, 0));
	change_bus_free(bus);

	json_t *rep = report(f, "2026-11", NULL);
	assert_true(fig(named(rep, "devices", "acme-web"), "unplanned_s") == 121); /* 10:01:00..10:03:01 */
	const json_t *inc = json_array_get(json_object_get(rep, "outages"), 0);
	assert_string_equal(json_string_value(json_object_get(inc, "start")),
			    "2026-11-10T10:01:00Z");
	json_decref(rep);
}

/* A degraded device (some of its pollers answer) is up, and its degraded time is shown
 * apart, per device and in every group, from the start of its first degraded poll to the
 * end of the first poll answered whole, less the time a critical alert had it down. */
static void test_degraded_is_up_and_shown(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct change_bus *bus = change_bus_new();
	struct avail_recorder *r = avail_recorder_new(f->dir, bus, NULL, NULL, at(11, 1, 0, 0),
						      err, sizeof(err));
	assert_non_null(r);
	int64_t t = at(11, 10, 11, 0);
	poll(bus, "acme-web", DEV_STATE_UP, t - 60000, t - 59000);
	poll(bus, "acme-web", DEV_STATE_DEGRADED, t, t + 2000);
	poll(bus, "acme-web", DEV_STATE_DEGRADED, t + 60000, t + 62000);
	ping_alert(bus, ALERT_FIRING, at(11, 10, 11, 10));
	ping_alert(bus, ALERT_RESOLVED, at(11, 10, 11, 15));
	poll(bus, "acme-web", DEV_STATE_UP, at(11, 10, 11, 30), at(11, 10, 11, 30) + 1000);
	avail_recorder_free(r, at(12, 1, 0, 0));
	change_bus_free(bus);

	json_t *rep = report(f, "2026-11", NULL);
	const json_t *web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "unplanned_s") == 300);
	assert_true(fig(web, "degraded_s") == 1801 - 300);
	assert_true(fig(web, "up_s") == 30 * 86400 - 300); /* degraded is up */
	assert_true(fig(json_object_get(rep, "summary"), "degraded_s") == 1501);
	assert_true(fig(named(rep, "tenants", "acme"), "degraded_s") == 1501);
	assert_true(fig(named(rep, "tenants", "globex"), "degraded_s") == 0);
	assert_true(fig(named(rep, "devices", "globex-db"), "degraded_s") == 0);
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(rep, "policy"),
								  "statement")),
			       "degraded device (some of its pollers answer) is up"));
	struct strbuf b;
	strbuf_init(&b);
	assert_int_equal(avail_report_text(rep, &b), 0);
	assert_non_null(strstr(strbuf_str(&b), "degraded     1501 s"));
	strbuf_reset(&b);
	assert_int_equal(avail_report_html(rep, &b), 0);
	assert_non_null(strstr(strbuf_str(&b), "<td class=\"degraded\">1501</td>"));
	strbuf_free(&b);
	json_decref(rep);
}

/* An alert restored at a start, before its metric reports, names its metric by its key
 * ("tcp_port_up@443"); the transition that ends it once the metric is bound names it
 * by name and instance: one object, whose span that transition closes. */
static void test_restored_alert_span_closes(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct change_bus *bus = change_bus_new();
	struct avail_recorder *r = avail_recorder_new(f->dir, bus, NULL, NULL, at(11, 1, 0, 0),
						      err, sizeof(err));
	assert_non_null(r);
	struct alert_event ev = {.type = ALERT_EV_CURRENT, .ts_ms = at(11, 3, 10, 0),
				 .device = "acme-web", .metric = "tcp_connect_state@443",
				 .state = ALERT_FIRING, .severity = SEV_CRITICAL};
	change_publish(bus, &(struct change){.kind = CHANGE_ALERT, .device = ev.device,
					     .alert = &ev, .ts_ms = ev.ts_ms});
	ev = (struct alert_event){.type = ALERT_EV_CHANGED, .ts_ms = at(11, 3, 10, 20),
				  .device = "acme-web", .metric = "tcp_connect_state", .inst = "443",
				  .state = ALERT_RESOLVED, .severity = SEV_CRITICAL};
	change_publish(bus, &(struct change){.kind = CHANGE_ALERT, .device = ev.device,
					     .alert = &ev, .ts_ms = ev.ts_ms});
	avail_recorder_free(r, at(12, 1, 0, 0));
	change_bus_free(bus);

	json_t *rep = report(f, "2026-11", NULL);
	const json_t *web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "unplanned_s") == 1200);
	const json_t *check = json_array_get(json_object_get(web, "checks"), 0);
	assert_string_equal(json_string_value(json_object_get(check, "object")),
			    "acme-web/tcp_connect_state:443");
	json_decref(rep);
}

static long long scalar(struct fixture *f, const char *query);

/* A reload that removes a device ends every span of it still open at the reload: its
 * alert's (no transition of it will come), its unreachable and degraded ones; added
 * again later, it is not down for the time it was away. */
static void test_removed_device_spans_end_at_reload(void **state)
{
	struct fixture *f = *state;
	char err[256], q[256];
	struct cfg fewer = *f->cfg;
	fewer.device_index = NULL;
	fewer.ndevices--;
	const char *last = f->cfg->devices[fewer.ndevices].id; /* ups-b */
	struct change_bus *bus = change_bus_new();
	struct avail_recorder *r = avail_recorder_new(f->dir, bus, NULL, NULL, at(11, 1, 0, 0),
						      err, sizeof(err));
	assert_non_null(r);
	avail_recorder_devices(r, f->cfg, at(11, 1, 0, 0));
	struct alert_event ev = {.type = ALERT_EV_CHANGED, .ts_ms = at(11, 10, 0, 0),
				 .device = last, .metric = "output_state",
				 .state = ALERT_FIRING, .severity = SEV_CRITICAL};
	change_publish(bus, &(struct change){.kind = CHANGE_ALERT, .device = ev.device,
					     .alert = &ev, .ts_ms = ev.ts_ms});
	poll(bus, last, DEV_STATE_DEGRADED, at(11, 10, 0, 0), at(11, 10, 0, 1));
	avail_recorder_devices(r, &fewer, at(11, 10, 1, 0));
	avail_recorder_devices(r, f->cfg, at(11, 20, 0, 0)); /* back */
	avail_recorder_free(r, at(12, 1, 0, 0));
	change_bus_free(bus);

	snprintf(q, sizeof(q), "SELECT end_ms FROM down WHERE object = '%s/output_state'", last);
	assert_int_equal(scalar(f, q), at(11, 10, 1, 0));
	snprintf(q, sizeof(q), "SELECT end_ms FROM degraded WHERE device = '%s'", last);
	assert_int_equal(scalar(f, q), at(11, 10, 1, 0));
	json_t *rep = report(f, "2026-11", NULL);
	const json_t *ups = named(rep, "devices", last);
	assert_true(fig(ups, "unplanned_s") == 3600);
	assert_true(fig(ups, "unknown_s") == (10 * 24 - 1) * 3600);
	assert_true(fig(ups, "degraded_s") == 0); /* down all the while it was degraded */
	assert_true(fig(json_object_get(rep, "summary"), "unplanned_s") == 3600);
	json_decref(rep);
}

static void test_flapping_device(void **state)
{
	struct fixture *f = *state;
	run(f, at(10, 1, 0, 0), at(12, 5, 0, 0));
	for (int i = 0; i < 10; i++) { /* down 30 s of every 90 s */
		int64_t t = at(11, 15, 3, 0) + i * 90000;
		down(f, "acme-web/tcp_connect_state:443", t, t + 30000, NULL);
	}
	down(f, "acme-web/ping_state", at(11, 15, 3, 1), at(11, 15, 3, 2), NULL); /* inside */

	json_t *rep = report(f, "2026-11", NULL);
	const json_t *web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "unplanned_s") == 300 + 30); /* 03:01:00..03:02:00 spans two */
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(web, "checks"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "object")),
			   "acme-web/tcp_connect_state:443") == 0)
			assert_true(fig(c, "unplanned_s") == 300);
	assert_int_equal(json_array_size(json_object_get(rep, "outages")), 10);
	json_decref(rep);
}

/* The utility fails for 45 minutes; both tenants' servers go down under it. */
static void test_tenant_server_under_utility_outage(void **state)
{
	struct fixture *f = *state;
	run(f, at(10, 1, 0, 0), at(12, 5, 0, 0));
	down(f, "utility/input_state", at(11, 25, 8, 0), at(11, 25, 8, 45), NULL);
	down(f, "acme-web/ping_state", at(11, 25, 8, 5), at(11, 25, 8, 40), "utility");
	down(f, "globex-db/ping_state", at(11, 25, 8, 5), at(11, 25, 8, 40), "utility");

	json_t *noc = report(f, "2026-11", NULL);
	assert_true(fig(named(noc, "subsystems", "power"), "unplanned_s") == 2700);
	assert_true(fig(named(noc, "subsystems", "cooling"), "unplanned_s") == 0);
	assert_true(fig(named(noc, "tenants", "acme"), "unplanned_s") == 2700);
	json_t *outs = json_object_get(noc, "outages");
	assert_int_equal(json_array_size(outs), 1); /* once, with everything it took down */
	assert_string_equal(json_string_value(json_object_get(json_array_get(outs, 0), "root")),
			    "utility");
	assert_int_equal(json_array_size(json_object_get(json_array_get(outs, 0), "affected")), 3);
	json_decref(noc);

	json_t *acme = report(f, "2026-11", "acme");
	assert_true(fig(named(acme, "devices", "acme-web"), "unplanned_s") == 2100);
	assert_true(fig(json_object_get(acme, "summary"), "unplanned_s") == 2700);
	outs = json_object_get(acme, "outages");
	assert_int_equal(json_array_size(outs), 1);
	const json_t *inc = json_array_get(outs, 0);
	assert_string_equal(json_string_value(json_object_get(inc, "root")), "utility");
	assert_int_equal(json_array_size(json_object_get(inc, "affected")), 2);
	assert_null(json_object_get(acme, "tenants") ? json_array_get(json_object_get(acme,
						"tenants"), 0) : NULL);
	char *text = json_dumps(acme, 0);
	assert_null(strstr(text, "globex"));
	free(text);
	struct strbuf b;
	strbuf_init(&b);
	assert_int_equal(avail_report_html(acme, &b), 0);
	assert_null(strstr(strbuf_str(&b), "globex"));
	assert_non_null(strstr(strbuf_str(&b), "utility"));
	strbuf_reset(&b);
	assert_int_equal(avail_report_text(acme, &b), 0);
	assert_null(strstr(strbuf_str(&b), "globex"));
	assert_non_null(strstr(strbuf_str(&b), "root cause: utility"));
	strbuf_free(&b);
	json_decref(acme);
}

static void test_notes_on_an_incident(void **state)
{
	struct fixture *f = *state;
	char err[256], id[64];
	run(f, at(10, 1, 0, 0), at(12, 5, 0, 0));
	down(f, "ups-a/output_state", at(11, 3, 4, 0), at(11, 3, 4, 10), NULL);
	snprintf(id, sizeof(id), "ups-a@%lld", (long long)at(11, 3, 4, 0));
	assert_int_equal(avail_note_add(f->dir, id, "alice", "battery <replaced>", at(11, 3, 5, 0),
					err, sizeof(err)),
			 0);
	json_t *rep = report(f, "2026-11", NULL);
	const json_t *inc = json_array_get(json_object_get(rep, "outages"), 0);
	assert_string_equal(json_string_value(json_object_get(inc, "id")), id);
	const json_t *note = json_array_get(json_object_get(inc, "notes"), 0);
	assert_string_equal(json_string_value(json_object_get(note, "by")), "alice");
	struct strbuf b;
	strbuf_init(&b);
	assert_int_equal(avail_report_html(rep, &b), 0);
	assert_non_null(strstr(strbuf_str(&b), "battery &lt;replaced&gt;"));
	strbuf_free(&b);
	json_decref(rep);
}

static long long scalar(struct fixture *f, const char *query)
{
	char path[PATH_MAX];
	sqlite3 *db;
	sqlite3_stmt *st;
	snprintf(path, sizeof(path), "%s/reports.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, query, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	long long n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static long long count(struct fixture *f, const char *table)
{
	char q[128];
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", table);
	return scalar(f, q);
}

/* Retention: what ended more than `retention` ago goes (spans, runs, notes), in batches
 * at each tick; what is newer stays, and so does a span still open however old. */
static void test_retention(void **state)
{
	struct fixture *f = *state;
	char err[256], text[512];
	int64_t year = 365 * 24 * HOUR_MS, now = at(12, 5, 0, 0);
	run(f, at(1, 1, 0, 0) - year, at(2, 1, 0, 0) - year);
	run(f, at(10, 1, 0, 0), at(12, 1, 0, 0));
	snprintf(text, sizeof(text), /* more than a batch of 30 s outages, a minute apart */
		 "WITH RECURSIVE k(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM k WHERE i < %d)"
		 " INSERT INTO down(object, device, start_ms, end_ms) SELECT"
		 " 'acme-web/ping_state', 'acme-web', %lld + i * 60000, %lld + i * 60000 + 30000"
		 " FROM k", AVAIL_PRUNE_BATCH + 4, (long long)(at(1, 3, 0, 0) - year),
		 (long long)(at(1, 3, 0, 0) - year));
	sql(f, "reports.db", text);
	down(f, "acme-web/ping_state", at(11, 3, 0, 0), at(11, 3, 1, 0), NULL);
	snprintf(text, sizeof(text), "INSERT INTO down(object, device, start_ms, end_ms) VALUES("
				     "'globex-db/ping_state', 'globex-db', %lld, NULL)",
		 (long long)(at(1, 3, 0, 0) - year));
	sql(f, "reports.db", text); /* open: closed at the start, at the last heartbeat */
	assert_int_equal(avail_note_add(f->dir, "acme-web@1", "alice", "old", at(1, 3, 0, 0) - year,
					err, sizeof(err)),
			 0);
	assert_int_equal(avail_note_add(f->dir, "acme-web@2", "alice", "new", at(11, 3, 1, 0), err,
					sizeof(err)),
			 0);

	struct avail_recorder *r = avail_recorder_new(f->dir, NULL, NULL, NULL, now, err,
						      sizeof(err));
	assert_non_null(r);
	avail_recorder_tick(r, now + 1000); /* no retention set: nothing removed */
	assert_int_equal(count(f, "down"), AVAIL_PRUNE_BATCH + 7);
	avail_recorder_set_retention(r, avail_report_retention(f->cfg)); /* default: 400 days */
	avail_recorder_tick(r, now + 2000);
	assert_int_equal(count(f, "down"), 7);      /* a batch of the old ones went */
	avail_recorder_tick(r, now + 3000);
	assert_int_equal(count(f, "down"), 2);      /* the new one, and the old open one closed */
	assert_int_equal(count(f, "runs"), 2);      /* October's and this one */
	assert_int_equal(count(f, "notes"), 1);
	avail_recorder_free(r, now + 4000);
	json_t *rep = report(f, "2026-11", NULL);
	assert_true(fig(named(rep, "devices", "acme-web"), "unplanned_s") == 3600);
	json_decref(rep);
}

/* A device not in dcmond's configuration is not polled: unknown, not up.  The last
 * device is removed by a reload on the 20th and added again on the 25th; acme-web was
 * added on the 10th.  The groups stay known (dcmond ran): nothing of theirs is unknown. */
static void test_device_not_configured_is_unknown(void **state)
{
	struct fixture *f = *state;
	char err[256], text[256];
	struct cfg fewer = *f->cfg;
	fewer.device_index = NULL;
	fewer.ndevices--;
	const char *last = f->cfg->devices[fewer.ndevices].id;

	struct avail_recorder *r = avail_recorder_new(f->dir, NULL, NULL, NULL, at(10, 1, 0, 0),
						      err, sizeof(err));
	assert_non_null(r);
	avail_recorder_devices(r, f->cfg, at(10, 1, 0, 0));
	avail_recorder_devices(r, &fewer, at(11, 20, 0, 0));
	avail_recorder_devices(r, f->cfg, at(11, 25, 0, 0));
	avail_recorder_free(r, at(12, 5, 0, 0));
	assert_int_equal(count(f, "configured"), (long long)f->cfg->ndevices + 1);
	snprintf(text, sizeof(text), "UPDATE configured SET start_ms = %lld WHERE device ="
				     " 'acme-web'", (long long)at(11, 10, 0, 0));
	sql(f, "reports.db", text);
	down(f, "acme-web/ping_state", at(11, 15, 0, 0), at(11, 15, 1, 0), NULL);

	json_t *rep = report(f, "2026-11", NULL);
	const json_t *web = named(rep, "devices", "acme-web");
	assert_true(fig(web, "unknown_s") == 9 * 86400);
	assert_true(fig(web, "unplanned_s") == 3600);
	assert_true(fig(web, "known_s") == 21 * 86400);
	assert_true(fig(named(rep, "devices", last), "unknown_s") == 5 * 86400);
	assert_true(fig(named(rep, "devices", "crac-a"), "unknown_s") == 0);
	assert_true(fig(json_object_get(rep, "summary"), "unknown_s") == 0);
	assert_true(fig(json_object_get(rep, "summary"), "unplanned_s") == 3600);
	json_decref(rep);
}

/* yaml is refused with exactly the n errors of want, in order. */
static void expect_refused(const char *yaml, const struct cfg_want *want, size_t n)
{
	assert_true(cfgtest_refused(yaml, want, n, true));
}

/* yaml is accepted: the config, for the caller to check and free. */
static struct cfg *expect_loaded(const char *yaml)
{
	struct cfg_diags d;
	struct cfg *cfg = cfgtest_load(yaml, &d);
	assert_non_null(cfg);
	cfg_diags_free(&d);
	return cfg;
}

/* daemon.reports.retention: a duration of 1 to 3650 days, else an error at its place. */
static void test_retention_key(void **state)
{
	(void)state;
	const struct cfg_want want[] = {{4, 16, "retention"}};
	expect_refused("daemon:\n  data_dir: /tmp/x\n  reports:\n    retention: 2h\n", want, 1);
}

/* The reports part's validate hook: a status page component's device and a tenant
 * policy's tenant must exist, each reported at its own place with the nearest name. */
static void test_reports_references(void **state)
{
	(void)state;
	const struct cfg_want want[] = {
		{5, 18, "unknown tenant 'acmee'; did you mean 'acme'?"},
		{9, 28, "devices: unknown device 'web-2'"}};
	expect_refused("daemon:\n"
		       "  data_dir: /tmp/x\n"
		       "  reports:\n"
		       "    tenants:\n"
		       "      - {tenant: acmee, target: 99.9}\n"
		       "    status_page:\n"
		       "      components:\n"
		       "        - name: Web\n"
		       "          devices: [web-1, web-2]\n"
		       "tenants:\n"
		       "  - {id: acme}\n"
		       "devices:\n"
		       "  - {id: web-1, kind: server, host: 127.0.0.1, checks: {ping: true}}\n",
		       want, 2);
}

/* daemon.reports.status_page.max_own_components: 1..1000000, an error at its place. */
static void test_status_page_max_key(void **state)
{
	(void)state;
	const struct cfg_want want[] = {{4, 39, "max_own_components"}};
	expect_refused("daemon:\n"
		       "  data_dir: /tmp/x\n"
		       "  reports:\n"
		       "    status_page: {max_own_components: 0}\n",
		       want, 1);
	cfg_free(expect_loaded("daemon:\n" /* its value: test_status_page.sh's 422 */
			       "  data_dir: /tmp/x\n"
			       "  reports:\n"
			       "    status_page: {max_own_components: 5000}\n"));
}

/* daemon.reports.monthly_mail: its route must exist and mail must be configured, each
 * said at its place; a section that mails nothing is refused. */
static void test_monthly_mail_keys(void **state)
{
	(void)state;
	const struct cfg_want unrouted[] = {
		{4, 19, "no e-mail to send it by"},
		{4, 31, "noc_route: unknown route 'nocc'; did you mean 'noc'?"}};
	expect_refused("daemon:\n"
		       "  data_dir: /tmp/x\n"
		       "  reports:\n"
		       "    monthly_mail: {noc_route: nocc}\n"
		       "routes:\n"
		       "  - {name: noc, email: [noc@dc.example]}\n",
		       unrouted, 2);
	const struct cfg_want idle[] = {{5, 0, "monthly_mail: nothing to mail"}};
	expect_refused("daemon:\n"
		       "  data_dir: /tmp/x\n"
		       "  smtp: {from: dcmon@dc.example}\n"
		       "  reports:\n"
		       "    monthly_mail: {tenants: false}\n",
		       idle, 1);
	struct cfg *cfg = expect_loaded("daemon:\n"
					"  data_dir: /tmp/x\n"
					"  smtp: {from: dcmon@dc.example}\n"
					"  reports:\n"
					"    monthly_mail: {noc_route: noc}\n"
					"routes:\n"
					"  - {name: noc, email: [noc@dc.example]}\n");
	assert_true(reports_cfg_of(cfg)->monthly_mail->tenants);
	assert_string_equal(reports_cfg_of(cfg)->monthly_mail->noc_route, "noc");
	cfg_free(cfg);
}

/* The monthly mail's calendar: the month just ended, across a year's end; reports.db's
 * record of the last month mailed (the schedule, dcmon/notify_sched.h, counts from it):
 * none on a first run, the newest across restarts. */
static void test_monthly_mail_schedule(void **state)
{
	struct fixture *f = *state;
	char err[256], month[AVAIL_MONTH_LEN];

	avail_month_before(at(1, 1, 0, 0), month);
	assert_string_equal(month, "2025-12");
	avail_month_before(at(12, 31, 23, 59), month);
	assert_string_equal(month, "2026-11");

	struct avail_recorder *r = avail_recorder_new(f->dir, NULL, NULL, NULL, at(10, 15, 0, 0),
						      err, sizeof(err));
	assert_non_null(r);
	avail_recorder_last_mailed(r, month);
	assert_string_equal(month, ""); /* first run */
	avail_recorder_month_mailed(r, "2026-10", at(11, 1, 0, 1));
	avail_recorder_last_mailed(r, month);
	assert_string_equal(month, "2026-10");
	avail_recorder_free(r, at(11, 1, 0, 3));

	/* a restart reads it back; a later month is the last */
	r = avail_recorder_new(f->dir, NULL, NULL, NULL, at(12, 2, 0, 0), err, sizeof(err));
	assert_non_null(r);
	avail_recorder_last_mailed(r, month);
	assert_string_equal(month, "2026-10");
	avail_recorder_month_mailed(r, "2026-11", at(12, 2, 0, 0));
	avail_recorder_month_mailed(r, "2026-09", at(12, 2, 0, 0)); /* an older one: not last */
	avail_recorder_free(r, at(12, 2, 0, 1));
	r = avail_recorder_new(f->dir, NULL, NULL, NULL, at(12, 3, 0, 0), err, sizeof(err));
	assert_non_null(r);
	avail_recorder_last_mailed(r, month);
	assert_string_equal(month, "2026-11");
	avail_recorder_free(r, at(12, 3, 0, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_span_operations),
		cmocka_unit_test(test_periods),
		cmocka_unit_test(test_budget_of_the_target),
		cmocka_unit_test_setup_teardown(test_outage_across_month_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_maintenance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_weekly_windows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcmond_down_is_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flapping_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_device_is_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_from_failed_poll_start, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_degraded_is_up_and_shown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_device_spans_end_at_reload, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_restored_alert_span_closes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tenant_server_under_utility_outage, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_notes_on_an_incident, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test(test_retention_key),
		cmocka_unit_test(test_reports_references),
		cmocka_unit_test(test_monthly_mail_keys),
		cmocka_unit_test(test_status_page_max_key),
		cmocka_unit_test_setup_teardown(test_device_not_configured_is_unknown, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_monthly_mail_schedule, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
