/* Baselines (alerting/baseline.c, anomaly rules): a simulated daily temperature cycle
 * (20 +- 2 degC, uniform noise +- 0.5) written to an RRD file with librrd, learned back
 * with rrd_fetch, then judged sample by sample as the alert engine does with a rule
 * `anomaly: {deviation: 3}` and `for: 10m` (3 samples of 5 minutes).  Also prints the
 * detection figures of docs/REPORTS.md "Baselines" (key=value lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert_int.h"
#include "alert_fixture.h"
#include "notify_int.h"
#include "dcmon/loop.h"
#include "dcmon/workq.h"

#include <sys/stat.h>

#define STEP 300
#define DAY 86400
#define WEEKS 3
#define T0 1794787200LL /* 2026-11-16 00:00 UTC, a Monday */

static uint64_t rng = 42;

/* Uniform noise in [-0.5, 0.5) from a fixed seed: the same data on every run. */
static double noise(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(rng >> 11) / 9007199254740992.0 - 0.5;
}

/* The normal room: coolest at 04:00, warmest at 16:00. */
static double normal_temp(int64_t t)
{
	double h = (double)((t % DAY + DAY) % DAY) / 3600.0;
	return 20.0 - 2.0 * cos((h - 4.0) * M_PI / 12.0) + noise();
}

/* Writes WEEKS weeks of the cycle ending at T0 to an RRD file of 5-minute steps. */
static void write_history(const char *path, int days)
{
	const char *defs[] = {"DS:value:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:5000"};
	int64_t start = T0 - (int64_t)days * DAY;
	unlink(path);
	assert_int_equal(rrd_create_r2(path, STEP, (time_t)start, 1, NULL, NULL, 2, defs), 0);
	char buf[64];
	const char *arg[1] = {buf};
	for (int64_t t = start + STEP; t <= T0; t += STEP) {
		snprintf(buf, sizeof(buf), "%lld:%.4f", (long long)t, normal_temp(t));
		assert_int_equal(rrd_update_r(path, NULL, 1, arg), 0);
	}
}

struct judge {
	struct cfg_rule c;
	struct arule r;
	struct metric m;
	struct baseline *base;
	struct baseline_hot hot; /* the hour judged, as the engine's slot holds it */
	int run;         /* consecutive samples outside the band */
	int single;      /* samples outside the band */
	int alerts;      /* times `for: 10m` was reached */
	int64_t fired_t; /* time of the first alert, 0 if none */
	int64_t first_t; /* time of the first sample outside, 0 if none */
	int fold;        /* the model compared: FOLD_WEEK (the baseline), DAY or FLAT */
};

/* The alternatives of docs/REPORTS.md are the same code with times folded: every day
 * onto one (hour-of-day profile) or every time onto one slot (a flat band). */
enum { FOLD_WEEK, FOLD_DAY, FOLD_FLAT };

static int64_t fold_time(int fold, int64_t t)
{
	if (fold == FOLD_DAY)
		return T0 + (t % DAY + DAY) % DAY;
	return fold == FOLD_FLAT ? T0 : t;
}

static const struct metric_shape celsius = {.unit = "celsius"};

static void judge_init(struct judge *j, struct baseline *base, enum cfg_anomaly_dir dir)
{
	memset(j, 0, sizeof(*j));
	j->c = (struct cfg_rule){.type = RULE_ANOMALY, .deviation = 3, .direction = dir,
				 .learn_ms = 14LL * DAY * 1000, .severity = SEV_WARNING};
	j->r = (struct arule){.src = &j->c};
	j->m.quality = QUALITY_OK;
	j->m.shape = &celsius;
	j->base = base;
}

/* Frees what judging left: the baseline and the metric's note. */
static void judge_done(struct judge *j)
{
	metric_set_note(&j->m, NULL);
	free(j->base);
}

/* One sample as the engine judges it; an alert after 3 outside in a row (for: 10m). */
static enum alvl judge(struct judge *j, int64_t t, double v)
{
	j->m.value = v;
	j->m.value_ts_ms = fold_time(j->fold, t) * 1000;
	double val;
	enum alvl l = anomaly_eval(&j->r, &j->m, j->base, &j->hot, true, &val);
	if (l == LVL_NONE) {
		j->run = 0;
		return l;
	}
	j->single++;
	if (!j->first_t)
		j->first_t = t;
	if (++j->run == 3) {
		j->alerts++;
		if (!j->fired_t)
			j->fired_t = t;
	}
	return l;
}

static struct baseline *learned(const char *path, int days)
{
	write_history(path, days);
	struct baseline *b = malloc(sizeof(*b));
	assert_non_null(b);
	baseline_init(b);
	char err[256];
	long n = baseline_learn_rrd(b, path, NULL, T0, 13, err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
	assert_true(n >= 12 * 24 * (days < 13 ? days : 13) - 2);
	return b;
}

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/test_baseline_%d.rrd", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_slots(void **state)
{
	(void)state;
	assert_int_equal(baseline_slot(T0), 0);                 /* Monday 00:00 */
	assert_int_equal(baseline_slot(T0 + 3599), 0);
	assert_int_equal(baseline_slot(T0 + 3600 * 27), 27);    /* Tuesday 03:00 */
	assert_int_equal(baseline_slot(T0 - 1), 167);           /* Sunday 23:59 */
	assert_int_equal(baseline_slot(T0 + 7 * DAY), 0);
}

/* A normal week after the learned ones raises no alert; the band quoted at 16:00 is
 * around 22 degC. */
static void test_normal_cycle_quiet(void **state)
{
	(void)state;
	struct judge j;
	judge_init(&j, learned(path, WEEKS * 7), ANOMALY_BOTH);
	for (int64_t t = T0 + STEP; t <= T0 + 7 * DAY; t += STEP)
		judge(&j, t, normal_temp(t));
	print_message("baseline_normal samples=%d outside=%d alerts=%d\n", 7 * 288, j.single,
		      j.alerts);
	assert_int_equal(j.alerts, 0);
	assert_null(j.m.note); /* the one value outside was followed by values inside */
	double lo, hi;
	assert_true(baseline_band(j.base, T0 + 16 * 3600 + 1800, 3, 0, &lo, &hi));
	assert_true(lo > 20.5 && lo < 22.0);
	assert_true(hi > 22.0 && hi < 23.5);
	judge_done(&j);
}

/* +4 degC at 03:00 on a Wednesday (the coolest hours): each of its first 3 samples is
 * outside, so `for: 10m` fires at the third. */
static void test_step_detected(void **state)
{
	(void)state;
	struct judge j;
	judge_init(&j, learned(path, WEEKS * 7), ANOMALY_UP);
	int64_t step_at = T0 + 2 * DAY + 3 * 3600;
	char note[128] = "";
	for (int64_t t = T0 + STEP; t <= T0 + 3 * DAY; t += STEP) {
		judge(&j, t, normal_temp(t) + (t >= step_at ? 4.0 : 0.0));
		if (t == step_at && j.m.note)
			snprintf(note, sizeof(note), "%s", j.m.note);
	}
	assert_true(j.fired_t != 0);
	/* what the alert's e-mail quotes: the band at 03:00 is about 18 +- 1 */
	double lo, hi, now;
	print_message("baseline_note %s\n", note);
	assert_int_equal(sscanf(note, "expected %lf-%lf °C at this hour, now %lf °C", &lo, &hi, &now),
			 3);
	assert_true(lo >= 16 && lo <= 18 && hi >= 18 && hi <= 20 && now > hi);
	assert_true(j.fired_t >= step_at);
	long delay = (long)((j.fired_t - step_at) / STEP) + 1;
	print_message("baseline_step delay_intervals=%ld\n", delay);
	assert_true(delay <= 3);
	judge_done(&j);
}

/* A slow drift (+1 degC a day) is flagged once it leaves the band, not in its first
 * hours; direction down ignores it. */
static void test_drift_flagged(void **state)
{
	(void)state;
	struct judge up, down;
	judge_init(&up, learned(path, WEEKS * 7), ANOMALY_UP);
	judge_init(&down, malloc(sizeof(struct baseline)), ANOMALY_DOWN);
	memcpy(down.base, up.base, sizeof(*up.base));
	for (int64_t t = T0 + STEP; t <= T0 + 4 * DAY; t += STEP) {
		uint64_t keep = rng;
		double drift = (double)(t - T0) / DAY;
		judge(&up, t, normal_temp(t) + drift);
		rng = keep;
		judge(&down, t, normal_temp(t) + drift);
	}
	assert_true(up.fired_t != 0);
	double hours = (double)(up.fired_t - T0) / 3600;
	print_message("baseline_drift flagged_after_h=%.1f\n", hours);
	assert_true(hours > 6 && hours < 48);
	assert_int_equal(down.alerts, 0);
	judge_done(&up);
	judge_done(&down);
}

/* 3 days of history for a rule that learns 14: no alert even for a wild value, and
 * the state reads "learning (3 days of 14)". */
static void test_learning(void **state)
{
	(void)state;
	struct judge j;
	judge_init(&j, learned(path, 3), ANOMALY_BOTH);
	char buf[64];
	anomaly_learning(&j.r, j.base, buf, sizeof(buf));
	assert_string_equal(buf, "learning (3 days of 14)");
	for (int64_t t = T0 + STEP; t <= T0 + 6 * 3600; t += STEP)
		assert_int_equal(judge(&j, t, normal_temp(t) + 15.0), LVL_NONE);
	assert_int_equal(j.alerts, 0);
	judge_done(&j);
}

/* A room next to an office: +3 degC on weekdays from 09:00 to 18:00 (T0 is a Monday). */
static double office_shift(int64_t t)
{
	int64_t week = 7 * DAY;
	int64_t day = ((t - T0) % week + week) % week / DAY, h = (t % DAY + DAY) % DAY / 3600;
	return day < 5 && h >= 9 && h < 18 ? 3.0 : 0.0;
}

/* The same, plus the office's load on a Saturday at noon (normal on a weekday). */
static double weekend_shift(int64_t t)
{
	return office_shift(t) + (t >= T0 + 5 * DAY + 12 * 3600 ? 3.0 : 0.0);
}

/* The learned weeks fed to a model without the RRD file (same values, same order);
 * history: what the weeks had on top of the daily cycle. */
static struct baseline *learned_folded(int fold, double (*history)(int64_t t))
{
	struct baseline *b = malloc(sizeof(*b));
	assert_non_null(b);
	baseline_init(b);
	rng = 42;
	for (int64_t t = T0 - WEEKS * 7 * DAY + STEP; t <= T0; t += STEP)
		baseline_add(b, fold_time(fold, t - 1), normal_temp(t) + history(t));
	/* the folded models have the days of the weeks behind them too */
	b->first_day = b->last_day - WEEKS * 7 + 1;
	return b;
}

struct scenario {
	const char *name;
	enum cfg_anomaly_dir dir;
	int days;
	double (*history)(int64_t t); /* on top of the daily cycle in the learned weeks */
	double (*shift)(int64_t t);   /* and in the days judged */
};

static double no_shift(int64_t t)
{
	(void)t;
	return 0;
}

static double step_shift(int64_t t)
{
	return t >= T0 + 2 * DAY + 3 * 3600 ? 4.0 : 0.0;
}

static double drift_shift(int64_t t)
{
	return (double)(t - T0) / DAY;
}

/* Detection figures of the three models on the same data (docs/REPORTS.md). */
static void test_model_comparison(void **state)
{
	(void)state;
	static const char *const models[] = {"hour-of-week", "hour-of-day", "flat"};
	const struct scenario sc[] = {
	    {"normal", ANOMALY_BOTH, 7, no_shift, no_shift},
	    {"step", ANOMALY_UP, 3, no_shift, step_shift},
	    {"drift", ANOMALY_UP, 4, no_shift, drift_shift},
	    {"office_normal", ANOMALY_BOTH, 7, office_shift, office_shift},
	    {"office_weekend", ANOMALY_UP, 6, office_shift, weekend_shift}};

	int week_fp[2] = {-1, -1}; /* normal, office_normal */
	for (int f = FOLD_WEEK; f <= FOLD_FLAT; f++) {
		char row[512];
		int len = snprintf(row, sizeof(row), "baseline_model model=%s", models[f]);
		for (size_t i = 0; i < 5; i++) {
			struct judge j;
			judge_init(&j, learned_folded(f, sc[i].history), sc[i].dir);
			j.fold = f;
			uint64_t seed = rng;
			for (int64_t t = T0 + STEP; t <= T0 + sc[i].days * DAY; t += STEP)
				judge(&j, t, normal_temp(t) + sc[i].shift(t));
			rng = seed;
			if (i == 0 || i == 3) { /* false positives: the week model has the fewest */
				len += snprintf(row + len, sizeof(row) - (size_t)len,
						" %s_outside_pct=%.2f %s_alerts=%d", sc[i].name,
						100.0 * j.single / (7 * 288), sc[i].name, j.alerts);
				if (f == FOLD_WEEK)
					week_fp[i == 3] = j.alerts;
				assert_true(j.alerts >= week_fp[i == 3]);
			} else if (i == 1) {
				int64_t at = T0 + 2 * DAY + 3 * 3600;
				len += snprintf(row + len, sizeof(row) - (size_t)len,
						" step_first_intervals=%ld step_alert_intervals=%ld",
						j.first_t >= at ? (long)((j.first_t - at) / STEP) + 1 : -1L,
						j.fired_t >= at ? (long)((j.fired_t - at) / STEP) + 1 : -1L);
			} else if (i == 2) {
				len += snprintf(row + len, sizeof(row) - (size_t)len,
						" drift_alert_h=%.1f",
						j.fired_t ? (double)(j.fired_t - T0) / 3600 : -1.0);
			} else {
				int64_t at = T0 + 5 * DAY + 12 * 3600;
				len += snprintf(row + len, sizeof(row) - (size_t)len,
						" weekend_alert_intervals=%ld",
						j.fired_t >= at ? (long)((j.fired_t - at) / STEP) + 1 : -1L);
				if (f == FOLD_WEEK) /* only the hour of the week knows Saturdays */
					assert_true(j.fired_t >= at && j.fired_t <= at + 2 * STEP);
			}
			judge_done(&j);
		}
		print_message("%s\n", row);
	}
	assert_int_equal(week_fp[0], 0);
	assert_int_equal(week_fp[1], 0);
}

/* Through the engine: a rule bound to a metric whose RRD file holds 3 weeks reads them
 * at its first report and fires for the step at 03:00, the e-mail's note naming the
 * band; a metric without history is learning and quiet; the graph's band is there. */
static void test_engine_from_rrd(void **state)
{
	(void)state;
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: room-unusual\n"
				"    match: {metric: room_celsius}\n"
				"    anomaly: {deviation: 3, direction: up}\n"
				"    for: 10m\n",
			      false);
	char dir[PATH_MAX], file[PATH_MAX + 32];
	snprintf(dir, sizeof(dir), "%s/ups-1", f->cfg->daemon.data_dir);
	assert_int_equal(mkdir(f->cfg->daemon.data_dir, 0755) == 0 || errno == EEXIST, 1);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/room_celsius.rrd", dir);
	write_history(file, WEEKS * 7);
	struct metric_desc d = {.name = "room_celsius", .unit = "celsius", .kind = METRIC_GAUGE,
				.interval_ms = STEP * 1000};
	struct metric *m = metric_reg_get(f->reg, "ups-1", &d);
	struct metric *fresh = metric_reg_get(f->reg, "ups-2", &d); /* no file: learning */
	int64_t step_at = T0 + 2 * DAY + 3 * 3600, fired = 0;
	for (int64_t t = T0 + STEP; t <= step_at + 6 * STEP; t += STEP) {
		double v = normal_temp(t);
		metric_put(f->reg, m, t * 1000, v + (t >= step_at ? 4.0 : 0.0));
		metric_put(f->reg, fresh, t * 1000, v + 15.0);
		if (!fired && fx_state(f, "room-unusual", "ups-1", "room_celsius", t * 1000, NULL) ==
				  ALERT_FIRING)
			fired = t;
	}
	assert_true(fired >= step_at && fired <= step_at + 2 * STEP);
	/* the alert's e-mail quotes the band */
	struct alert_view v;
	fx_state(f, "room-unusual", "ups-1", "room_celsius", fired * 1000, &v);
	struct alert_event ev = {.type = ALERT_EV_FIRED, .ts_ms = fired * 1000, .alert_id = v.id,
				 .rule = "room-unusual", .device = "ups-1",
				 .metric = "room_celsius", .unit = "celsius",
				 .state = ALERT_FIRING, .severity = SEV_WARNING, .value = v.value,
				 .warn = NAN, .crit = NAN, .since_ms = fired * 1000,
				 .fired_ms = fired * 1000};
	struct notify_text_ctx c = {.ev = &ev, .kind = "alert", .metric = m};
	char *subject, *line, *block;
	assert_int_equal(notify_text_item(&c, &subject, &line, &block), 0);
	double lo_now, hi_now, now;
	const char *quote = strstr(block, "\nexpected ");
	assert_non_null(quote);
	assert_int_equal(sscanf(quote, "\nexpected %lf-%lf °C at this hour, now %lf °C", &lo_now,
				&hi_now, &now),
			 3);
	assert_true(lo_now > 16 && hi_now < 20 && now > hi_now);
	free(subject);
	free(line);
	free(block);
	assert_int_equal(fx_state(f, "room-unusual", "ups-2", "room_celsius", fired * 1000, NULL),
			 ALERT_OK);
	struct baseline band;
	double k, margin, lo, hi;
	char st[64];
	assert_true(alert_engine_baseline(f->e, fresh, &band, &k, &margin, st, sizeof(st)));
	assert_string_equal(st, "learning (3 days of 14)"); /* Mon..Wed of its own values */
	assert_true(alert_engine_baseline(f->e, m, &band, &k, &margin, st, sizeof(st)));
	assert_string_equal(st, "");
	assert_true(k == 3 && baseline_band(&band, T0 + 16 * 3600, k, margin, &lo, &hi));
	assert_true(lo > 20 && hi < 24);
	fx_free(f);
}

/* Stops the loop once the metric's baseline judges (its history joined), or at the
 * bound. */
struct history_wait {
	struct fx *f;
	const struct metric *m;
	int64_t deadline_ms;
	char state[64];
};

static void history_poll(struct loop *loop, void *arg)
{
	struct history_wait *w = arg;
	struct baseline band;
	double k, margin;
	assert_true(alert_engine_baseline(w->f->e, w->m, &band, &k, &margin, w->state,
					  sizeof(w->state)));
	if (!w->state[0] || clock_mono_ms() > w->deadline_ms)
		loop_stop(loop);
	else
		assert_non_null(loop_timer_add(loop, 5, history_poll, w));
}

/* With the daemon's worker pool, a newly bound metric's RRD history is read on a worker
 * and joined on the loop thread: right after the bind the rule is still learning from
 * the one value it saw (the loop thread read nothing), then it judges with the
 * history's band; an engine freed with a read still queued frees it (ASan: no leak). */
static void test_history_read_off_the_loop(void **state)
{
	(void)state;
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: room-unusual\n"
				"    match: {metric: room_celsius}\n"
				"    anomaly: {deviation: 3}\n",
			      false);
	char dir[PATH_MAX], file[PATH_MAX + 32];
	assert_int_equal(mkdir(f->cfg->daemon.data_dir, 0755) == 0 || errno == EEXIST, 1);
	for (int d = 1; d <= 2; d++) {
		snprintf(dir, sizeof(dir), "%s/ups-%d", f->cfg->daemon.data_dir, d);
		assert_int_equal(mkdir(dir, 0755), 0);
		snprintf(file, sizeof(file), "%s/room_celsius.rrd", dir);
		write_history(file, WEEKS * 7);
	}
	struct loop *loop = loop_new();
	struct workq *wq = loop ? workq_new(loop, 2) : NULL;
	assert_non_null(wq);
	assert_int_equal(alert_engine_set_workq(f->e, wq), 0);
	struct metric_desc d = {.name = "room_celsius", .unit = "celsius", .kind = METRIC_GAUGE,
				.interval_ms = STEP * 1000};
	struct metric *m = metric_reg_get(f->reg, "ups-1", &d);
	int64_t t = T0 + 16 * 3600;
	metric_put(f->reg, m, t * 1000, normal_temp(t));
	struct history_wait w = {.f = f, .m = m, .deadline_ms = clock_mono_ms() + 20000};
	struct baseline band;
	double k, margin, lo, hi;
	assert_true(alert_engine_baseline(f->e, m, &band, &k, &margin, w.state, sizeof(w.state)));
	assert_string_equal(w.state, "learning (1 days of 14)");
	assert_non_null(loop_timer_add(loop, 5, history_poll, &w));
	assert_int_equal(loop_run(loop), 0);
	assert_string_equal(w.state, "");
	assert_true(alert_engine_baseline(f->e, m, &band, &k, &margin, w.state, sizeof(w.state)));
	assert_true(baseline_band(&band, T0 + 16 * 3600, k, margin, &lo, &hi));
	assert_true(lo > 20 && hi < 24);
	/* a second metric's read queued when the daemon stops: the pool first, then the
	 * engine, which frees what never completed */
	struct metric *m2 = metric_reg_get(f->reg, "ups-2", &d);
	metric_put(f->reg, m2, t * 1000, normal_temp(t));
	workq_free(wq);
	fx_free(f);
	loop_free(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slots),
	    cmocka_unit_test(test_history_read_off_the_loop),
	    cmocka_unit_test_setup_teardown(test_normal_cycle_quiet, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_step_detected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drift_flagged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_learning, setup, teardown),
	    cmocka_unit_test(test_model_comparison),
	    cmocka_unit_test(test_engine_from_rrd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
