/* Conditions: what level a rule gives one metric's current value. */
#include "alert_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Past `level` in the rule's direction (strictly); an unset level is never passed. */
static bool beyond(const struct arule *r, double v, double level)
{
	if (isnan(level))
		return false;
	return r->up ? v > level : v < level;
}

/* Hysteresis: once at a level, the value must come back to the clear level to leave. */
enum alvl rule_level(const struct arule *r, double v, enum alvl cur)
{
	if (beyond(r, v, cur >= LVL_CRIT ? r->clear_crit : r->crit))
		return LVL_CRIT;
	if (beyond(r, v, cur >= LVL_WARN ? r->clear_warn : r->warn))
		return LVL_WARN;
	return LVL_NONE;
}

static bool value_ok(const struct metric *m)
{
	return m->quality == QUALITY_OK && isfinite(m->value);
}

/* A STATE value fires when its number or its name is listed. */
static bool state_listed(const struct arule *r, const struct metric *m)
{
	double v = m->value;
	if (v != floor(v) || fabs(v) > 2147483647.0)
		return false;
	int iv = (int)v;
	for (size_t i = 0; i < r->nnums; i++)
		if (r->nums[i] == iv)
			return true;
	const char *name = r->nnames ? metric_enum_name(m, iv) : NULL;
	for (size_t i = 0; name && i < r->nnames; i++)
		if (strcmp(r->names[i], name) == 0)
			return true;
	return false;
}

double rate_update(struct rate_buf *rb, int64_t window_ms, int64_t ts_ms, double v)
{
	if (rb->n && rb->ts[(rb->head + RATE_SLOTS - 1) % RATE_SLOTS] >= ts_ms)
		rb->n = 0; /* the clock went back: start over */
	while (rb->n && rb->ts[(rb->head + RATE_SLOTS - rb->n) % RATE_SLOTS] < ts_ms - window_ms)
		rb->n--;
	double rate = NAN;
	if (rb->n) {
		unsigned old = (rb->head + RATE_SLOTS - rb->n) % RATE_SLOTS;
		int64_t dt = ts_ms - rb->ts[old];
		if (dt * 2 >= window_ms)
			rate = (v - rb->v[old]) * 1000.0 / (double)dt;
	}
	int64_t last = rb->n ? rb->ts[(rb->head + RATE_SLOTS - 1) % RATE_SLOTS] : INT64_MIN / 2;
	if (ts_ms - last >= window_ms / RATE_SLOTS) {
		rb->ts[rb->head] = ts_ms;
		rb->v[rb->head] = v;
		rb->head = (uint8_t)((rb->head + 1) % RATE_SLOTS);
		if (rb->n < RATE_SLOTS)
			rb->n++;
	}
	return rate;
}

static enum alvl eval_nodata(const struct arule *r, const struct metric *m, int64_t now_ms,
			     int64_t bound_ms)
{
	int64_t last = m->value_ts_ms ? m->value_ts_ms : bound_ms;
	int64_t limit = (int64_t)r->src->nodata_intervals * m->interval_ms;
	return now_ms - last > limit ? LVL_OF_SEV(r->src->severity) : LVL_NONE;
}

/* A level taken from a metric of the same device and instance (`warn_from`): its value
 * while it has one, else the rule's own; the clear level keeps the rule's distance. */
static void level_from(struct metric_reg *reg, const struct metric *m, const char *name,
		       double *level, double *clear)
{
	const struct metric *src =
		name && reg ? metric_reg_find(reg, m->device, name, metric_inst(m)) : NULL;
	if (!src || !value_ok(src))
		return;
	double band = isnan(*level) ? 0 : *clear - *level;
	*level = src->value;
	*clear = src->value + band;
}

/* ABOVE/BELOW: the rule's levels, or those its `*_from` metrics give this instance. */
static enum alvl level_of(const struct arule *r, struct metric_reg *reg, const struct metric *m,
			  enum alvl cur)
{
	if (!r->src->warn_from && !r->src->crit_from)
		return rule_level(r, m->value, cur);
	struct arule own = *r;
	level_from(reg, m, r->src->warn_from, &own.warn, &own.clear_warn);
	level_from(reg, m, r->src->crit_from, &own.crit, &own.clear_crit);
	return rule_level(&own, m->value, cur);
}

enum alvl rule_eval(const struct arule *r, struct metric_reg *reg, const struct metric *m,
		    enum alvl cur, struct rate_buf *rb, int64_t now_ms, int64_t bound_ms,
		    double *val)
{
	const struct cfg_rule *c = r->src;
	*val = m->value;
	if (c->type == RULE_NODATA)
		return eval_nodata(r, m, now_ms, bound_ms);
	if (!value_ok(m))
		return LVL_UNKNOWN;
	switch (c->type) {
	case RULE_ABOVE:
	case RULE_BELOW:
		return level_of(r, reg, m, cur);
	case RULE_STATE:
		return state_listed(r, m) ? LVL_OF_SEV(c->severity) : LVL_NONE;
	case RULE_RATE: {
		double rate = rb ? rate_update(rb, c->window_ms, m->value_ts_ms, m->value) : NAN;
		*val = rate / c->rate_per_s; /* in the unit of the levels */
		return isnan(rate) ? LVL_UNKNOWN : rule_level(r, rate, cur);
	}
	default:
		return LVL_UNKNOWN;
	}
}

/* Whole days of history base has versus the `learn` duration r needs. */
static bool anomaly_learned(const struct arule *r, const struct baseline *base, int *have,
			    int *need)
{
	*have = baseline_days(base);
	*need = (int)((r->src->learn_ms + 86399999) / 86400000);
	return *have >= *need;
}

void anomaly_learning(const struct arule *r, const struct baseline *base, char *buf, size_t len)
{
	int have, need;
	if (!base || anomaly_learned(r, base, &have, &need))
		snprintf(buf, len, "%s", base ? "" : "learning (0 days of ?)");
	else
		snprintf(buf, len, "learning (%d days of %d)", have, need);
}

/* A value with the unit's symbol where the e-mail's reader expects one. */
static void unit_value(double v, const char *unit, char *buf, size_t len)
{
	if (unit && strcmp(unit, "celsius") == 0)
		snprintf(buf, len, "%.3g °C", v);
	else if (unit && strcmp(unit, "percent") == 0)
		snprintf(buf, len, "%.3g%%", v);
	else
		snprintf(buf, len, "%.3g%s%s", v, unit && *unit ? " " : "", unit ? unit : "");
}

/* The metric's note (quoted by alert e-mails) says what was expected while the value is
 * outside its band; cleared when it comes back. */
void anomaly_note(const struct arule *r, struct baseline_hot *h, const struct metric *m,
		  bool outside)
{
	if (!outside) {
		if (h->noted)
			metric_set_note((struct metric *)m, NULL);
		h->noted = false;
		return;
	}
	/* the band only for a value outside (judging compares squares) */
	double lo, hi;
	baseline_hot_band(h, r->src->deviation, r->src->margin, &lo, &hi);
	char a[48], z[48], now[48], note[192];
	unit_value(lo, NULL, a, sizeof(a));
	unit_value(hi, m->shape->unit, z, sizeof(z));
	unit_value(m->value, m->shape->unit, now, sizeof(now));
	snprintf(note, sizeof(note), "expected %s-%s at this hour, now %s", a, z, now);
	h->noted = metric_set_note((struct metric *)m, note) == 0;
}

void anomaly_take(const struct arule *r, struct baseline *base, struct baseline_hot *h,
		  int64_t ts_ms)
{
	int have, need;
	baseline_hot_take(base, h, ts_ms);
	if (!h->learned) /* once learned, for good: the days only grow */
		h->learned = anomaly_learned(r, base, &have, &need);
}

void anomaly_days_moved(const struct arule *r, const struct baseline *base,
			struct baseline_hot *h)
{
	int have, need;
	h->learned = anomaly_learned(r, base, &have, &need);
}
