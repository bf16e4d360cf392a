/* Derived metrics: redundancy and power state of nodes, sensor faults, generator fuel
 * runtime, UPS runtime against the takeover time, thermal time to limit, filesystem
 * time to full.  A prediction without enough data is a point error "unknown: ...",
 * never a made-up number. */
#include "facility_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"

#define TOO_LITTLE "unknown: too little data"
#define TREND_WINDOW_MS (10 * 60 * 1000) /* temperature trend window */
#define FS_WINDOW_MS (6 * 3600 * 1000)   /* filesystem trend window (bounded by samples) */
#define TREND_MIN_N 5
#define TREND_MIN_SPAN_MS (2 * 60 * 1000)
#define FUEL_REFILL_STEP_PCT 2.0 /* a rise above this (percent of the tank) is a refill */
/* A measured burn is trusted once the level fell this many times the sender's
 * resolution (the smallest change seen in the window) in the window: senders that read
 * whole percents make a slope over one or two steps mostly quantization (one step early
 * in a run read as a third of the true burn). */
#define FUEL_SLOPE_MIN_STEPS 4.0

static const struct metric_enum power_enums[] = {
	{0, "ok"}, {1, "redundancy_lost"}, {2, "power_lost"}};
static const struct metric_enum fault_enums[] = {
	{0, "ok"}, {1, "stale"}, {2, "frozen"}, {3, "out_of_range"}};
static const struct metric_enum takeover_enums[] = {
	{0, "ok"}, {1, "bridging"}, {2, "failed"}};

int64_t facility_node_interval(const struct facility *f, size_t i)
{
	const struct cfg_device *dev = f->g->v[i].dev;
	return dev ? dev->interval_ms : f->env.cfg->daemon.interval_ms;
}

/* Value of a device's metric if fresh (OK), else NAN. */
static double value_of(struct facility *f, const char *dev, const char *name)
{
	struct metric *m = metric_reg_find(f->env.reg, dev, name, NULL);
	return m && m->quality == QUALITY_OK ? m->value : NAN;
}

static bool state_is(struct facility *f, const char *dev, const char *name, const char *value)
{
	struct metric *m = metric_reg_find(f->env.reg, dev, name, NULL);
	const char *s = m && m->quality == QUALITY_OK ? metric_enum_name(m, (int)m->value) : NULL;
	return s && strcmp(s, value) == 0;
}

/* ---- series samples ---------------------------------------------------------------- */

/* Unknown counts as running: the fuel slope then tells, and a standby generator whose
 * state nobody knows is not assumed idle. */
bool fderive_engine_running(struct facility *f, const char *dev)
{
	struct metric *m = metric_reg_find(f->env.reg, dev, "engine_state", NULL);
	if (m && m->quality == QUALITY_OK)
		return state_is(f, dev, "engine_state", "running");
	double rpm = value_of(f, dev, "engine_speed_rpm");
	if (!isnan(rpm))
		return rpm > 0;
	double w = value_of(f, dev, "output_power_total_watts");
	return isnan(w) || w > 0;
}

static bool push(struct fmet *fm, int64_t x, double v)
{
	if (!fm->ser && !(fm->ser = calloc(1, sizeof(*fm->ser))))
		return false;
	fseries_push(fm->ser, x, v);
	return true;
}

void fderive_sample(struct facility *f, struct fmet *fm, const struct metric *m)
{
	if (fm->node == FG_NONE || !f->g->v[fm->node].dev)
		return;
	const struct cfg_facility *fac = f->g->v[fm->node].fac;
	if (fm->series == FSER_FUEL && !isnan(fac->tank_liters)) {
		if (!fderive_engine_running(f, m->device))
			return; /* at rest: the run clock stops, a refill shows as a step */
		int64_t run_ms = 0;
		if (fm->ser && fm->ser->n > 0)
			run_ms = fm->ser->run_ms + (fm->last_ts > 0 ? m->ts_ms - fm->last_ts : 0);
		if (push(fm, run_ms, m->value / 100.0 * fac->tank_liters))
			fm->ser->run_ms = run_ms;
	} else if ((fm->series == FSER_TEMP && !isnan(fac->temp_limit)) ||
		   fm->series == FSER_FS) {
		push(fm, m->ts_ms, m->value);
	}
}

/* ---- per metric -------------------------------------------------------------------- */

static void sensor_fault(struct facility *f, struct fmet *fm, int64_t now_ms)
{
	if (fm->fault == FAULT_OK && !fm->faulted)
		return; /* created at the first fault only */
	/* found (or made) by name, not held: a pointer per metric for the few that fault */
	struct metric *fault_m = facility_metric(f, fm->m->device, "sensor_fault_state", "",
						 METRIC_STATE, "point", fm->m->key,
						 facility_node_interval(f, fm->node), fault_enums, 4);
	fm->faulted = fault_m != NULL;
	facility_put(f, fault_m, now_ms, fm->fault, NULL);
}

/* Seconds until series of fm reaches limit at its current trend, into metric `name`. */
static void time_to(struct facility *f, struct fmet *fm, const char *name, int64_t window_ms,
		    double limit, int64_t now_ms)
{
	struct metric *out = facility_metric(f, fm->m->device, name, "seconds", METRIC_GAUGE,
					     "point", fm->m->key, facility_node_interval(f, fm->node), NULL, 0);
	int64_t ts[FSERIES_MAX];
	double v[FSERIES_MAX], slope, secs;
	size_t n = fm->ser ? fseries_window(fm->ser, window_ms, ts, v) : 0;
	if (predict_slope(ts, v, n, TREND_MIN_N, TREND_MIN_SPAN_MS, &slope) < 0)
		facility_put(f, out, now_ms, 0, TOO_LITTLE);
	else if (predict_time_to(v[n - 1], slope, limit, &secs) < 0)
		facility_put(f, out, now_ms, 0, "unknown: not moving towards the limit");
	else
		facility_put(f, out, now_ms, secs, NULL);
}

void fderive_metric(struct facility *f, struct fmet *fm, int64_t now_ms)
{
	sensor_fault(f, fm, now_ms);
	if (!f->g->v[fm->node].dev)
		return;
	const struct cfg_facility *fac = f->g->v[fm->node].fac;
	if (fm->series == FSER_TEMP && !isnan(fac->temp_limit))
		time_to(f, fm, "time_to_limit_seconds", TREND_WINDOW_MS, fac->temp_limit, now_ms);
	else if (fm->series == FSER_FS)
		time_to(f, fm, "fs_time_to_full_seconds", FS_WINDOW_MS, 100.0, now_ms);
}

/* ---- per node ---------------------------------------------------------------------- */

static void redundancy(struct facility *f, size_t i, int64_t now_ms)
{
	const struct fnode *v = &f->g->v[i];
	if (v->dev && v->nup < 2 && (v->nup == 0 || cfg_device_polls(v->dev)))
		return; /* a single feed has no redundancy to lose; but a device with nothing
			 * to poll (a rack) has this as its state: power from its feed or not */
	struct metric *m = facility_metric(f, v->id, "redundancy_state", "", METRIC_STATE, NULL,
					   NULL, facility_node_interval(f, i), power_enums, 3);
	facility_put(f, m, now_ms, f->st[i].power, NULL);
}

/* Load of a generator in kW, or NAN. */
static double gen_load_kw(struct facility *f, const struct fnode *v)
{
	double w = value_of(f, v->id, "output_power_total_watts");
	if (!isnan(w))
		return w / 1000.0;
	double pct = value_of(f, v->id, "engine_load_percent");
	return isnan(pct) ? NAN : pct / 100.0 * v->fac->rating_kw;
}

/* Did the level fall at least FUEL_SLOPE_MIN_STEPS times its resolution over lv[]
 * (net of jitter, refills -- rises above refill -- left out)? */
static bool fell_enough(const double *lv, size_t n, double refill)
{
	double res = INFINITY, fall = 0;
	for (size_t i = 1; i < n; i++) {
		double d = lv[i - 1] - lv[i];
		if (fabs(d) > 0 && fabs(d) < res)
			res = fabs(d);
		if (-d <= refill)
			fall += d;
	}
	return isfinite(res) && fall >= FUEL_SLOPE_MIN_STEPS * res;
}

/* Burn in liters per hour: measured (fuel slope over the run-time window), else the
 * load table for the set's rating; *why when neither is known. */
static double gen_burn(struct facility *f, const struct fnode *v, const char **why)
{
	const struct cfg_facility *fac = v->fac;
	struct metric *fuel = metric_reg_find(f->env.reg, v->id, "fuel_level_percent", NULL);
	struct fmet *fm = fuel && f->slot >= 0 ? fuel->sink_data[f->slot] : NULL;
	int64_t ts[FSERIES_MAX];
	double lv[FSERIES_MAX], per_s;
	size_t n = fm && fm->ser ? fseries_window(fm->ser, fac->burn_window_ms, ts, lv) : 0;
	double step = FUEL_REFILL_STEP_PCT / 100.0 * fac->tank_liters;
	double table = predict_burn_lph(fac->rating_kw, gen_load_kw(f, v));
	if (fell_enough(lv, n, step) && predict_drain(ts, lv, n, step, &per_s) == 0) {
		double lph = per_s * 3600.0;
		if (!isnan(table) && fabs(lph - table) > 0.5 * table)
			log_debug("facility", v->id, "measured burn %.1f L/h vs %.1f L/h from the load",
				  lph, table);
		return lph;
	}
	*why = !fderive_engine_running(f, v->id) ? "unknown: engine not running" : TOO_LITTLE;
	return fderive_engine_running(f, v->id) && table > 0 ? table : NAN;
}

static void generator(struct facility *f, size_t i, int64_t now_ms)
{
	const struct fnode *v = &f->g->v[i];
	const struct cfg_facility *fac = v->fac;
	if (isnan(fac->tank_liters))
		return;
	int64_t iv = facility_node_interval(f, i);
	struct metric *rt = facility_metric(f, v->id, "fuel_runtime_remaining_seconds", "seconds",
					    METRIC_GAUGE, NULL, NULL, iv, NULL, 0);
	struct metric *burn = facility_metric(f, v->id, "fuel_burn_liters_per_hour",
					      "liters_per_hour", METRIC_GAUGE, NULL, NULL, iv, NULL, 0);
	const char *why = TOO_LITTLE;
	double pct = value_of(f, v->id, "fuel_level_percent");
	double lph = isnan(pct) ? NAN : gen_burn(f, v, &why);
	facility_put(f, burn, now_ms, lph, isnan(lph) ? why : NULL);
	double secs = pct / 100.0 * fac->tank_liters / lph * 3600.0;
	facility_put(f, rt, now_ms, secs, isnan(lph) ? why : NULL);
}

/* UPS runtime against the takeover time, and a takeover that did not happen in time. */
static void ups(struct facility *f, size_t i, int64_t now_ms)
{
	const struct fnode *v = &f->g->v[i];
	int64_t tk = v->fac->takeover_ms;
	if (tk == CFG_UNSET)
		return;
	int64_t iv = facility_node_interval(f, i);
	struct metric *margin = facility_metric(f, v->id, "takeover_margin_seconds", "seconds",
						METRIC_GAUGE, NULL, NULL, iv, NULL, 0);
	struct metric *state = facility_metric(f, v->id, "takeover_state", "", METRIC_STATE, NULL,
					       NULL, iv, takeover_enums, 3);
	double rt = value_of(f, v->id, "battery_runtime_seconds");
	facility_put(f, margin, now_ms, rt - (double)tk / 1000.0, isnan(rt) ? TOO_LITTLE : NULL);
	struct metric *src = metric_reg_find(f->env.reg, v->id, "output_source_state", NULL);
	if (!src || src->quality != QUALITY_OK) {
		facility_put(f, state, now_ms, 0, TOO_LITTLE);
		return;
	}
	bool onbat = state_is(f, v->id, "output_source_state", "battery");
	double secs = value_of(f, v->id, "battery_on_battery_seconds");
	int s = !onbat ? 0 : (!isnan(secs) && secs * 1000.0 >= (double)tk) ? 2 : 1;
	facility_put(f, state, now_ms, s, NULL);
}

void fderive_node(struct facility *f, size_t i, int64_t now_ms)
{
	redundancy(f, i, now_ms);
	const struct cfg_device *dev = f->g->v[i].dev;
	if (!dev)
		return;
	generator(f, i, now_ms);
	ups(f, i, now_ms);
}
