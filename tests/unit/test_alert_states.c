/* Alert states beyond single conditions: flapping, acknowledgements, silences (one-off,
 * recurring across midnight and DST), persistence across a restart, the audit log and
 * reloads. */
#include "alert_fixture.h"

#include <errno.h>
#include <sqlite3.h>
#include <time.h>

#include "alert_int.h"

#define RULES_LOAD                                                                         \
	"rules:\n"                                                                         \
	"  - name: load\n"                                                                 \
	"    match: {metric: load_percent}\n"                                              \
	"    above: {warn: 80, crit: 90}\n"                                                \
	"  - name: hot\n"                                                                  \
	"    match: {metric: temp_celsius}\n"                                              \
	"    above: {warn: 27}\n"                                                          \
	"    for: 30s\n"

static int64_t at(int64_t s)
{
	return FX_T0 + s * 1000;
}

static int64_t alert_id(struct fx *f, const char *rule, const char *dev, const char *key)
{
	struct alert_view v;
	assert_int_not_equal(fx_state(f, rule, dev, key, FX_T0, &v), ALERT_OK);
	return v.id;
}

/* ---- flapping ------------------------------------------------------------------- */

static void test_flapping(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	for (int i = 0; i < 10; i++) /* 10 changes in 100 s */
		metric_put(f->reg, m, at(i * 10), i % 2 ? 70 : 85);
	/* fired, resolved, fired, resolved, fired; the 6th change marks it flapping and
	 * everything after is held. */
	const enum alert_event_type want[] = {ALERT_EV_FIRED, ALERT_EV_RESOLVED, ALERT_EV_FIRED,
					      ALERT_EV_RESOLVED, ALERT_EV_FIRED,
					      ALERT_EV_FLAPPING};
	assert_int_equal(f->nev, 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(f->ev[i].type, want[i]);
	struct alert_view v;
	assert_int_equal(fx_state(f, "load", "ups-1", "load_percent", at(100), &v),
			 ALERT_RESOLVED);
	assert_true(v.flapping);
	/* Calm for 30 min: no longer flapping, and the resolution held back is told. */
	alert_engine_tick(f->e, at(100 + 29 * 60));
	assert_int_equal(f->nev, 6);
	alert_engine_tick(f->e, at(100 + 30 * 60));
	assert_int_equal(f->nev, 7);
	assert_int_equal(f->ev[6].type, ALERT_EV_RESOLVED);
	fx_state(f, "load", "ups-1", "load_percent", at(2000), &v);
	assert_false(v.flapping);
	fx_free(f);
}

/* ---- acks ------------------------------------------------------------------------ */

static void test_ack(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	struct alert_actor alice = {.who = "alice", .origin = "unix:pid=1"};
	assert_int_equal(alert_engine_ack(f->e, 999, &alice, "x", at(0)), -ENOENT);
	metric_put(f->reg, m, at(0), 85);
	int64_t id = alert_id(f, "load", "ups-1", "load_percent");
	assert_int_equal(alert_engine_ack(f->e, id, &alice, "on it", at(5)), 0);
	assert_int_equal(f->ev[f->nev - 1].type, ALERT_EV_ACKED);
	struct alert_view v;
	assert_int_equal(alert_engine_get(f->e, id, at(5), &v), 0);
	assert_true(v.ack->active);
	assert_string_equal(v.ack->by, "alice");
	assert_string_equal(v.ack->comment, "on it");
	assert_int_equal(v.ack->ts_ms, at(5));
	metric_put(f->reg, m, at(10), 86); /* same severity: holds */
	alert_engine_get(f->e, id, at(10), &v);
	assert_true(v.ack->active);
	metric_put(f->reg, m, at(20), 95); /* worse: the ack is dropped */
	alert_engine_get(f->e, id, at(20), &v);
	assert_false(v.ack->active);
	assert_int_equal(f->ev[f->nev - 1].type, ALERT_EV_SEVERITY);
	assert_false(f->ev[f->nev - 1].acked);
	assert_int_equal(alert_engine_ack(f->e, id, &alice, "still", at(25)), 0);
	metric_put(f->reg, m, at(30), 85); /* better: holds */
	alert_engine_get(f->e, id, at(30), &v);
	assert_true(v.ack->active);
	assert_int_equal(v.severity, SEV_WARNING);
	metric_put(f->reg, m, at(40), 50); /* resolved: gone */
	alert_engine_get(f->e, id, at(40), &v);
	assert_false(v.ack->active);
	assert_int_equal(alert_engine_ack(f->e, id, &alice, "late", at(45)), -EINVAL);
	fx_free(f);
}

/* ---- silences ------------------------------------------------------------------- */

static void test_silence_one_off(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *m1 = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	struct metric *m2 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	struct alert_actor bob = {.who = "bob", .origin = "cli"};
	char err[128];
	int64_t sid, sid2;
	struct alert_silence_spec sp = {.match = {.device = (char *)"ups-1"},
					.starts_ms = at(0), .ends_ms = at(3600),
					.reason = "battery swap"};
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(0), &sid, err, sizeof(err)),
			 0);
	sp.match.device = (char *)"ups-2";
	sp.rule = "load";
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(0), &sid2, err, sizeof(err)),
			 0);
	metric_put(f->reg, m1, at(10), 95);
	metric_put(f->reg, m2, at(10), 95);
	assert_int_equal(f->nev, 0); /* both firing, nothing told */
	struct alert_view v;
	assert_int_equal(fx_state(f, "load", "ups-1", "load_percent", at(10), &v), ALERT_FIRING);
	assert_int_equal(v.silence_id, sid);
	assert_string_equal(v.silence_reason, "battery swap");
	/* Ending a silence tells what it held back, at once. */
	assert_int_equal(alert_engine_silence_remove(f->e, sid2, &bob, at(20)), 0);
	assert_int_equal(alert_engine_silence_remove(f->e, sid2, &bob, at(20)), -ENOENT);
	assert_int_equal(f->nev, 1);
	assert_string_equal(f->ev[0].device, "ups-2");
	/* The one-off silence runs out: the tick tells. */
	alert_engine_tick(f->e, at(3599));
	assert_int_equal(f->nev, 1);
	alert_engine_tick(f->e, at(3600));
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, ALERT_EV_FIRED);
	assert_string_equal(f->ev[1].device, "ups-1");
	/* Fired and resolved within a silence: nothing at all. */
	sp.match.device = (char *)"ups-1";
	sp.rule = NULL;
	sp.starts_ms = at(4000);
	sp.ends_ms = at(5000);
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(4000), &sid, err,
						  sizeof(err)), 0);
	metric_put(f->reg, m1, at(4100), 50);
	metric_put(f->reg, m1, at(4200), 95);
	metric_put(f->reg, m1, at(4300), 50);
	alert_engine_tick(f->e, at(5000));
	assert_int_equal(f->nev, 3); /* only the resolution of the earlier, told firing */
	assert_int_equal(f->ev[2].type, ALERT_EV_RESOLVED);
	/* Bad specs. */
	sp.reason = "";
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(0), &sid, err, sizeof(err)),
			 -EINVAL);
	sp.reason = "r";
	sp.ends_ms = sp.starts_ms;
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(0), &sid, err, sizeof(err)),
			 -EINVAL);
	sp.days = 1;
	sp.tz = "Mars/Olympus";
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &bob, at(0), &sid, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "time zone"));
	fx_free(f);
}

/* Settling: ups-2 is downstream of ups-1 (a 3 s window).  A fired ups-2 alert is told
 * once ups-1 has reported since it fired (settle_check, not a timer), at most the window
 * after firing, and not at all if ups-1's alert explains it; after that suppression
 * ends, two windows run before a still-firing alert is told.  ups-1 has nothing
 * upstream and is told at once. */
/* ups-2's chain: a 3 s window, reported by polls started at or after `since` (the
 * daemon's input, daemon/chain_settle.c); ups-1 has none. */
static void settle_ups2(struct fx *f, int64_t since)
{
	assert_int_equal(alert_engine_settle_input(f->e, "ups-2", 3000, since), 0);
	assert_int_equal(alert_engine_settle_input(f->e, "ups-1", 0, INT64_MAX), 0);
}

static void test_settle_suppressed(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *m1 = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	struct metric *m2 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	settle_ups2(f, INT64_MIN); /* upstream polling */
	struct alert_suppression *supp = alert_suppression_new(); /* the facility's input */
	assert_non_null(supp);
	alert_engine_suppression_input(f->e, supp);
	metric_put(f->reg, m2, at(10), 95);  /* downstream fires first */
	alert_engine_tick(f->e, at(11));
	assert_int_equal(f->nev, 0);
	assert_int_equal(alert_suppression_set(supp, "ups-2", "ups-1"), 0); /* its root */
	                                     /* reports within the window */
	metric_put(f->reg, m1, at(11), 95);
	assert_int_equal(f->nev, 1);         /* nothing upstream of ups-1: told at once */
	assert_string_equal(f->ev[0].device, "ups-1");
	settle_ups2(f, at(11));
	alert_engine_settle_check(f->e, at(11));
	alert_engine_tick(f->e, at(20));
	assert_int_equal(f->nev, 1);         /* ups-2: held by its root */
	assert_int_equal(alert_suppression_set(supp, "ups-2", NULL), 0);
	                                     /* the root recovers; ups-2 still firing */
	alert_engine_tick(f->e, at(21));
	alert_engine_tick(f->e, at(26));
	assert_int_equal(f->nev, 1);         /* two windows: to recover and to report it */
	alert_engine_tick(f->e, at(27));
	assert_int_equal(f->nev, 2);
	assert_string_equal(f->ev[1].device, "ups-2");
	assert_int_equal(f->ev[1].type, ALERT_EV_FIRED);
	alert_engine_suppression_input(f->e, NULL);
	alert_suppression_free(supp);
	fx_free(f);
}

/* The polls a held alert asks for (CHANGE_SETTLE): how many, and the last one's. */
struct settle_asks {
	int n;
	char device[16];
	int64_t since_ms;
};

static void on_settle_ask(void *arg, const struct change *c)
{
	struct settle_asks *k = arg;
	k->n++;
	snprintf(k->device, sizeof(k->device), "%s", c->device);
	k->since_ms = c->since_ms;
}

static void test_settle_released(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *m2 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	struct metric *m3 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, "b");
	struct settle_asks asks = {0};
	assert_int_equal(change_subscribe(f->bus, CHANGE_MASK(CHANGE_SETTLE), on_settle_ask, &asks), 0);
	settle_ups2(f, INT64_MIN);
	metric_put(f->reg, m2, at(10), 95);
	assert_int_equal(asks.n, 1);         /* held: its chain is asked to poll */
	assert_string_equal(asks.device, "ups-2");
	assert_int_equal(asks.since_ms, at(10));
	alert_engine_settle_check(f->e, at(10));
	assert_int_equal(f->nev, 0);
	settle_ups2(f, at(10));              /* upstream polled, nothing wrong there */
	alert_engine_settle_check(f->e, at(10));
	assert_int_equal(f->nev, 1);         /* told when it reported, not after 3 s */
	assert_int_equal(asks.n, 2);         /* no poll asked for once reported */
	/* upstream reports no poll started since at(10) any more: told after the window */
	metric_put(f->reg, m3, at(20), 95);
	alert_engine_tick(f->e, at(22));
	assert_int_equal(f->nev, 1);
	alert_engine_tick(f->e, at(23));
	assert_int_equal(f->nev, 2);
	change_unsubscribe(f->bus, on_settle_ask, &asks);
	fx_free(f);
}

/* Weekly windows: "Saturday 23:00-01:00" crosses midnight; "Sunday 02:00-04:00" in
 * New York loses an hour when DST starts (2026-03-08) and keeps two when it ends. */
static void test_silence_recurring(void **state)
{
	static const struct {
		const char *tz;
		unsigned days;
		int start, end;
		const char *utc; /* a UTC instant */
		bool active;
	} t[] = {
		{"Asia/Tokyo", 1u << 6, 23 * 60, 60, "2026-01-03T13:59:59", false},
		{"Asia/Tokyo", 1u << 6, 23 * 60, 60, "2026-01-03T14:00:00", true},  /* Sat 23:00 */
		{"Asia/Tokyo", 1u << 6, 23 * 60, 60, "2026-01-03T15:30:00", true},  /* Sun 00:30 */
		{"Asia/Tokyo", 1u << 6, 23 * 60, 60, "2026-01-03T16:00:00", false}, /* Sun 01:00 */
		{"Asia/Tokyo", 1u << 6, 23 * 60, 60, "2026-01-02T14:30:00", false}, /* Fri 23:30 */
		{"Asia/Tokyo", 1u << 6, 23 * 60, 60, "2026-01-10T15:59:00", true},  /* next week */
		{"America/New_York", 1u, 120, 240, "2026-03-01T06:59:00", false},
		{"America/New_York", 1u, 120, 240, "2026-03-01T07:00:00", true},   /* 02:00 EST */
		{"America/New_York", 1u, 120, 240, "2026-03-01T08:59:00", true},
		{"America/New_York", 1u, 120, 240, "2026-03-01T09:00:00", false},  /* 04:00 EST */
		{"America/New_York", 1u, 120, 240, "2026-03-08T07:30:00", true},   /* 03:30 EDT */
		{"America/New_York", 1u, 120, 240, "2026-03-08T08:00:00", false},  /* 04:00 EDT */
		{"America/New_York", 1u, 120, 240, "2026-11-01T07:00:00", true},   /* 02:00 EST */
		{"America/New_York", 1u, 120, 240, "2026-11-01T08:59:00", true},
		{"America/New_York", 1u, 120, 240, "2026-11-01T09:00:00", false},
		{"UTC", 0x7f, 0, 0, "2026-05-05T12:00:00", true},                  /* every day, 24 h */
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct tm tm = {0};
		assert_non_null(strptime(t[i].utc, "%Y-%m-%dT%H:%M:%S", &tm));
		int64_t now = (int64_t)timegm(&tm) * 1000;
		struct alert_silence_spec sp = {.days = t[i].days, .start_min = t[i].start,
						.end_min = t[i].end, .tz = t[i].tz, .reason = "w"};
		char err[64];
		struct silence *s = silence_new(&sp, "test", 0, err, sizeof(err));
		assert_non_null(s);
		/* Asked an hour earlier first, so the answer comes through the cache. */
		silence_active(s, now - 3600 * 1000);
		bool active = silence_active(s, now);
		if (active != t[i].active)
			fail_msg("case %zu (%s %s): active %d", i, t[i].tz, t[i].utc, active);
		silence_free(s);
	}
	assert_null(getenv("TZ")); /* restored */
}

/* A recurring window through the engine: alerts fire quietly inside it and are told
 * when it closes. */
static void test_silence_recurring_engine(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	/* FX_T0 is Thursday 2026-01-01 00:00 UTC: window Thursday 00:00-00:10 UTC. */
	struct alert_silence_spec sp = {.match = {.kind = (char *)"ups"}, .days = 1u << 4,
					.start_min = 0, .end_min = 10, .tz = "UTC",
					.reason = "weekly test"};
	struct alert_actor a = {.who = "ops", .origin = "cli"};
	char err[64];
	int64_t sid;
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &a, at(0), &sid, err, sizeof(err)), 0);
	metric_put(f->reg, m, at(60), 95);
	assert_int_equal(f->nev, 0);
	alert_engine_tick(f->e, at(599));
	assert_int_equal(f->nev, 0);
	alert_engine_tick(f->e, at(600));
	assert_int_equal(f->nev, 1);
	/* Next Thursday it holds again: the resolution is told after the window. */
	metric_put(f->reg, m, at(7 * 86400 + 60), 10);
	assert_int_equal(f->nev, 1);
	alert_engine_tick(f->e, at(7 * 86400 + 600));
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, ALERT_EV_RESOLVED);
	fx_free(f);
}

/* ---- persistence --------------------------------------------------------------- */

static int64_t sql_int(const char *dir, const char *sql)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/alerts.db", dir);
	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static int sql_exec(const char *dir, const char *sql, char *msg, size_t len)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/alerts.db", dir);
	sqlite3 *db;
	char *e = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	int rc = sqlite3_exec(db, sql, NULL, NULL, &e);
	snprintf(msg, len, "%s", e ? e : "");
	sqlite3_free(e);
	sqlite3_close(db);
	return rc;
}

static void test_restart_mid_alert(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, true);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	struct metric *t = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, NULL);
	struct metric *m2 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	struct alert_actor op = {.who = "carol", .origin = "unix:pid=42"};
	char err[64];
	int64_t sid;
	metric_put(f->reg, m, at(0), 95);
	metric_put(f->reg, t, at(0), 30); /* pending, for 30 s */
	int64_t id = alert_id(f, "load", "ups-1", "load_percent");
	assert_int_equal(alert_engine_ack(f->e, id, &op, "generator test", at(1)), 0);
	struct alert_silence_spec sp = {.match = {.device = (char *)"ups-2"}, .starts_ms = at(0),
					.ends_ms = at(7200), .reason = "rewiring"};
	assert_int_equal(alert_engine_silence_add(f->e, &sp, &op, at(2), &sid, err, sizeof(err)),
			 0);
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), 1);

	fx_restart(f, true); /* the daemon restarts */
	struct alert_view v;
	assert_int_equal(alert_engine_get(f->e, id, at(3), &v), 0);
	assert_int_equal(v.state, ALERT_FIRING);
	assert_int_equal(v.severity, SEV_CRITICAL);
	assert_null(v.metric); /* not reported since the restart */
	assert_true(v.ack->active);
	assert_string_equal(v.ack->by, "carol");
	assert_string_equal(v.ack->comment, "generator test");
	assert_int_equal(v.nhist, 1);
	assert_int_equal(v.hist[0].to, ALERT_FIRING);
	assert_int_equal(v.fired_ms, at(0));
	m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	t = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, NULL);
	m2 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, m, at(10), 96);  /* still firing: not told again */
	metric_put(f->reg, t, at(20), 30);  /* still pending: 20 s of 30 */
	metric_put(f->reg, m2, at(20), 99); /* silenced since before the restart */
	assert_int_equal(f->nev, 0);
	assert_int_equal(fx_state(f, "hot", "ups-1", "temp_celsius", at(20), NULL), ALERT_PENDING);
	metric_put(f->reg, t, at(30), 30); /* 30 s since it began, before the restart */
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, ALERT_EV_FIRED);
	assert_string_equal(f->ev[0].rule, "hot");
	metric_put(f->reg, m, at(40), 10);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, ALERT_EV_RESOLVED);
	assert_int_equal(f->ev[1].id, id); /* the same alert */

	/* Audit: two rows, and they cannot be changed. */
	assert_int_equal(sql_int(f->dir, "SELECT count(*) FROM audit"), 2);
	assert_int_equal(sql_int(f->dir, "SELECT count(*) FROM audit WHERE who='carol' AND"
					 " origin='unix:pid=42' AND action='ack'"), 1);
	char msg[128];
	assert_int_not_equal(sql_exec(f->dir, "UPDATE audit SET who='mallory'", msg, sizeof(msg)),
			     SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_not_equal(sql_exec(f->dir, "DELETE FROM audit", msg, sizeof(msg)), SQLITE_OK);
	assert_int_equal(sql_int(f->dir, "SELECT count(*) FROM audit"), 2);
	/* REPLACE deletes without firing delete triggers: an id may not be reused. */
	assert_int_not_equal(sql_exec(f->dir, "REPLACE INTO audit VALUES(1, 0, 'mallory', 'x',"
					      " 'ack', 'alert:1', '', 1, NULL, NULL)", msg, sizeof(msg)),
			     SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_not_equal(sql_exec(f->dir, "INSERT INTO audit VALUES(1, 0, 'mallory', 'x',"
					      " 'ack', 'alert:1', '', 1, NULL, NULL) ON CONFLICT(id) DO UPDATE"
					      " SET who='mallory'", msg, sizeof(msg)), SQLITE_OK);
	assert_int_equal(sql_int(f->dir, "SELECT count(*) FROM audit WHERE who='mallory'"), 0);
	assert_int_equal(sql_int(f->dir, "SELECT count(*) FROM audit"), 2);
	assert_int_equal(sql_int(f->dir, "PRAGMA journal_mode") == -1, 0);
	/* History: fired, resolved for the load alert. */
	char q[128];
	snprintf(q, sizeof(q), "SELECT count(*) FROM history WHERE alert_id=%lld", (long long)id);
	assert_int_equal(sql_int(f->dir, q), 2);

	/* Another restart: the resolved alert is not told again, the silence is back. */
	fx_restart(f, true);
	m2 = fx_metric(f, "ups-2", "load_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, m2, at(50), 99);
	alert_engine_tick(f->e, at(60));
	assert_int_equal(f->nev, 0);
	alert_engine_tick(f->e, at(7200));
	assert_int_equal(f->nev, 1);
	assert_string_equal(f->ev[0].device, "ups-2");
	fx_free(f);
}

/* ---- reload ---------------------------------------------------------------------- */

/* Counts the alerts whose device is not the one of the configuration in force (arg). */
struct dev_check {
	const struct cfg *cfg;
	int seen, stale;
	bool hot;
};
static bool dev_current(void *arg, const struct alert_view *v)
{
	struct dev_check *c = arg;
	c->seen++;
	c->stale += v->dev != cfg_device_find(c->cfg, v->device);
	c->hot |= strcmp(v->rule, "hot") == 0;
	return true;
}

static void test_reload(void **state)
{
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	struct metric *t = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, NULL);
	metric_put(f->reg, m, at(0), 95);
	metric_put(f->reg, t, at(0), 30);
	metric_put(f->reg, t, at(30), 30);
	assert_int_equal(f->nev, 2);
	/* New config: "load" kept (levels changed), "hot" gone. */
	char path[128];
	snprintf(path, sizeof(path), "%s/dcmon2.yaml", f->dir);
	FILE *fp = fopen(path, "w");
	fputs(FX_DEVICES "rules:\n"
		"  - {name: load, match: {metric: load_percent}, above: {warn: 80, crit: 99}}\n",
	      fp);
	fclose(fp);
	struct cfg_diags d2;
	cfg_diags_init(&d2);
	struct cfg *cfg2 = cfg_load(path, &d2);
	assert_non_null(cfg2);
	assert_int_equal(alert_engine_reload(f->e, cfg2, NULL, 0, at(40)), 0);
	cfg_free(f->cfg);
	cfg_diags_free(&f->diags);
	f->cfg = cfg2;
	f->diags = d2;
	assert_int_equal(f->nev, 3); /* hot resolved */
	assert_int_equal(f->ev[2].type, ALERT_EV_RESOLVED);
	assert_string_equal(f->ev[2].rule, "hot");
	/* the alert of the removed rule too points at the new configuration's device, not
	 * into the freed one (GET /api/v1/alerts reads it) */
	struct dev_check dc = {.cfg = cfg2};
	alert_engine_foreach(f->e, at(40), dev_current, &dc);
	assert_true(dc.hot);
	assert_int_equal(dc.stale, 0);
	assert_int_equal(fx_state(f, "load", "ups-1", "load_percent", at(40), NULL), ALERT_FIRING);
	metric_put(f->reg, m, at(50), 95); /* under the new crit: warning */
	assert_int_equal(f->nev, 4);
	assert_int_equal(f->ev[3].type, ALERT_EV_SEVERITY);
	assert_int_equal(f->ev[3].severity, SEV_WARNING);
	metric_put(f->reg, t, at(60), 30); /* no rule any more */
	assert_int_equal(f->nev, 4);
	/* A device dropped from the registry ends its alerts. */
	metric_reg_drop_device(f->reg, "ups-1");
	assert_int_equal(f->nev, 5);
	assert_int_equal(f->ev[4].type, ALERT_EV_RESOLVED);
	fx_free(f);
}

/* A metric no rule applies to keeps no binding of its own (a marker in its slot); a
 * reload that brings a rule for it binds it at its next report, and a device dropped
 * from the registry leaves its slot empty. */
static void test_reload_rule_for_unbound(void **state)
{
	(void)state;
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *h = fx_metric(f, "ups-1", "humidity_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, h, at(0), 95);
	metric_put(f->reg, h, at(10), 95);
	assert_int_equal(f->nev, 0);
	struct fx *next = fx_new(FX_DEVICES "rules:\n"
				 "  - {name: humid, match: {metric: humidity_percent}, above: {warn: 80}}\n",
				 false);
	assert_int_equal(alert_engine_prepare(f->e, next->cfg, NULL, 0), 0);
	assert_int_equal(alert_engine_commit(f->e, at(20)), 0);
	assert_int_equal(f->nev, 0);
	metric_put(f->reg, h, at(30), 95);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, ALERT_EV_FIRED);
	assert_string_equal(f->ev[0].rule, "humid");
	assert_int_equal(fx_state(f, "humid", "ups-1", "humidity_percent", at(30), NULL),
			 ALERT_FIRING);
	metric_reg_drop_device(f->reg, "ups-1");
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, ALERT_EV_RESOLVED);
	fx_free(f);
	fx_free(next);
}

/* A reload the daemon refuses after the engine prepared it (another part refused):
 * cancelled, the old rules stay in force and nothing was published; prepared again
 * and committed, it is in force like alert_engine_reload's. */
static void test_reload_prepared_then_cancelled(void **state)
{
	(void)state;
	struct fx *f = fx_new(FX_DEVICES RULES_LOAD, false);
	struct metric *t = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, NULL);
	metric_put(f->reg, t, at(0), 30);
	metric_put(f->reg, t, at(30), 30);
	int nev = f->nev;
	assert_int_equal(fx_state(f, "hot", "ups-1", "temp_celsius", at(30), NULL), ALERT_FIRING);
	/* the new configuration: "hot" gone (loaded by a fixture of its own) */
	struct fx *next = fx_new(FX_DEVICES "rules:\n"
				 "  - {name: load, match: {metric: load_percent}, above: {warn: 80}}\n",
				 false);
	assert_int_equal(alert_engine_prepare(f->e, next->cfg, NULL, 0), 0);
	alert_engine_cancel(f->e);
	assert_int_equal(f->nev, nev); /* nothing published */
	metric_put(f->reg, t, at(40), 30); /* still judged by "hot" */
	assert_int_equal(fx_state(f, "hot", "ups-1", "temp_celsius", at(40), NULL), ALERT_FIRING);
	nev = f->nev;
	assert_int_equal(alert_engine_prepare(f->e, next->cfg, NULL, 0), 0);
	assert_int_equal(alert_engine_commit(f->e, at(50)), 0);
	assert_int_equal(f->nev, nev + 1); /* hot resolved: its rule is gone */
	assert_int_equal(f->ev[nev].type, ALERT_EV_RESOLVED);
	assert_string_equal(f->ev[nev].rule, "hot");
	fx_free(f); /* its engine points into next's configuration: freed first */
	fx_free(next);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_silence_one_off),
		cmocka_unit_test(test_settle_suppressed),
		cmocka_unit_test(test_settle_released),
		cmocka_unit_test(test_silence_recurring),
		cmocka_unit_test(test_silence_recurring_engine),
		cmocka_unit_test(test_restart_mid_alert),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_reload_prepared_then_cancelled),
		cmocka_unit_test(test_reload_rule_for_unbound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
