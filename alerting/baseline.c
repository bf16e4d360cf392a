/* Hour-of-week baselines (dcmon/baseline.h). */
#include "dcmon/baseline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "dcmon/archive.h"

#define DAY_S 86400
#define HOUR_S 3600

/* 1/n for the weights a slot can have: what the division gives, read instead of
 * computed at every value (a division is the slowest instruction of the update). */
#define INV8(n)                                                                                    \
	1.0 / (n), 1.0 / ((n) + 1), 1.0 / ((n) + 2), 1.0 / ((n) + 3), 1.0 / ((n) + 4),             \
	    1.0 / ((n) + 5), 1.0 / ((n) + 6), 1.0 / ((n) + 7)
const double baseline_inv_n[BASELINE_SLOT_MAX_N + 1] = {
    0,        INV8(1),  INV8(9),  INV8(17), INV8(25), INV8(33), INV8(41),  INV8(49),
    INV8(57), INV8(65), INV8(73), INV8(81), INV8(89), INV8(97), INV8(105), INV8(113)};
_Static_assert(113 + 7 == BASELINE_SLOT_MAX_N, "baseline_inv_n covers every weight");

void baseline_init(struct baseline *b)
{
	*b = (struct baseline){.first_day = -1, .last_day = -1};
}

static void hot_put_back(struct baseline *b);

/* Floor division: times before 1970 still fall in the right slot. */
static int64_t floor_div(int64_t a, int64_t d)
{
	return a / d - (a % d < 0);
}

unsigned baseline_slot(int64_t ts_s)
{
	/* 1970-01-01 was a Thursday: day 0 is the 4th of the week (Monday = 0) */
	int64_t hours = floor_div(ts_s, HOUR_S) + 3 * 24;
	int64_t s = hours % BASELINE_SLOTS;
	return (unsigned)(s < 0 ? s + BASELINE_SLOTS : s);
}

int baseline_days(const struct baseline *b)
{
	return b->first_day < 0 ? 0 : (int)(b->last_day - b->first_day + 1);
}

/* Widens b's days to ts_s's; whether they moved. */
static bool days_widen(struct baseline *b, int64_t ts_s)
{
	int64_t day = floor_div(ts_s, DAY_S);
	if (day == b->last_day && b->first_day >= 0)
		return false; /* the usual case: nothing else moves */
	bool moved = false;
	if (b->first_day < 0 || day < b->first_day) {
		b->first_day = day;
		moved = true;
	}
	if (day > b->last_day) {
		b->last_day = day;
		moved = true;
	}
	return moved;
}

void baseline_add(struct baseline *b, int64_t ts_s, double v)
{
	if (!isfinite(v))
		return;
	baseline_slot_learn(&b->slot[baseline_slot(ts_s)], v);
	days_widen(b, ts_s);
}

void baseline_merge(struct baseline *b, const struct baseline *src)
{
	hot_put_back(b); /* the merge moves the slots and the days under it */
	for (unsigned i = 0; i < BASELINE_SLOTS; i++) {
		struct baseline_slot *d = &b->slot[i];
		const struct baseline_slot *s = &src->slot[i];
		double na = d->n, nb = s->n, n = na + nb;
		if (!s->n)
			continue;
		double delta = (double)s->mean - d->mean;
		double mean = d->mean + delta * nb / n;
		double var = (na * d->var + nb * s->var + delta * delta * na * nb / n) / n;
		d->mean = (float)mean;
		d->var = (float)var;
		d->n = n > BASELINE_SLOT_MAX_N ? BASELINE_SLOT_MAX_N : (uint32_t)n;
	}
	if (src->first_day >= 0 && (b->first_day < 0 || src->first_day < b->first_day))
		b->first_day = src->first_day;
	if (src->last_day > b->last_day)
		b->last_day = src->last_day;
}

void baseline_add_series(struct baseline *b, const double *v, size_t n, int64_t start_s,
			 int64_t step_s)
{
	for (size_t i = 0; i < n; i++)
		baseline_add(b, start_s + (int64_t)i * step_s, v[i]);
}

long baseline_learn_rrd(struct baseline *b, const char *path, const char *daemon,
			int64_t end_s, int days, char *err, size_t errlen)
{
	char start[32], end[32];
	snprintf(start, sizeof(start), "%lld", (long long)(end_s - (int64_t)days * DAY_S));
	snprintf(end, sizeof(end), "%lld", (long long)end_s);
	struct archive_series s;
	if (archive_fetch(path, daemon, start, end, &s, err, errlen) < 0)
		return -1;
	long n = 0;
	for (size_t i = 0; i < s.n; i++) {
		/* a value stamped at the end of its step belongs to the hour it averages */
		n += isfinite(s.v[i]);
		baseline_add(b, s.first_s + (int64_t)i * s.step_s - 1, s.v[i]);
	}
	free(s.v);
	return n;
}

/* The band of slot sl (see baseline_band). */
static bool slot_band(const struct baseline_slot *sl, double k, double margin, double *lo,
		      double *hi)
{
	if (sl->n < 2) {
		*lo = *hi = NAN;
		return false;
	}
	double half = k * sqrt(sl->var > 0 ? sl->var : 0.0);
	if (half < margin)
		half = margin;
	*lo = sl->mean - half;
	*hi = sl->mean + half;
	return true;
}

bool baseline_band(const struct baseline *b, int64_t ts_s, double k, double margin, double *lo,
		   double *hi)
{
	return slot_band(&b->slot[baseline_slot(ts_s)], k, margin, lo, hi);
}

bool baseline_outside(const struct baseline *b, int64_t ts_s, double v, double k, double margin,
		      enum baseline_dir dir, double *lo, double *hi)
{
	const struct baseline_slot *sl = &b->slot[baseline_slot(ts_s)];
	*lo = *hi = NAN;
	bool outside = baseline_slot_outside(sl, v, k, margin, dir);
	if (outside) /* the band only for a value outside, for its note */
		slot_band(sl, k, margin, lo, hi);
	return outside;
}

/* ---- the hot copy ------------------------------------------------------------------ */

/* Writes b's held copy back; it then holds nothing (`noted` stays). */
static void hot_put_back(struct baseline *b)
{
	struct baseline_hot *h = b->hot;
	if (!h || !h->held)
		return;
	b->slot[h->slot] = baseline_hot_slot(h);
	h->held = false;
}

void baseline_hot_attach(struct baseline *b, struct baseline_hot *h)
{
	bool noted = b->hot && b->hot->noted;
	hot_put_back(b);
	*h = (struct baseline_hot){.noted = noted, .base = b};
	b->hot = h;
}

void baseline_hot_take(struct baseline *b, struct baseline_hot *h, int64_t ts_ms)
{
	int64_t ts_s = ts_ms / 1000;
	int64_t hour = floor_div(ts_ms, HOUR_S * 1000), day = floor_div(ts_s, DAY_S);
	/* the next hour of a day already within the days (nearly every hour) needs not
	 * read them: the line of the day range stays untouched */
	bool same_day = h->held && h->in_days && floor_div(h->hour, 24) == day;
	if (h->held)
		b->slot[h->slot] = baseline_hot_slot(h);
	unsigned k = baseline_slot(ts_s);
	const struct baseline_slot *sl = &b->slot[k];
	/* an hour beyond int32 (year 245,000) never matches: taken again at each value */
	h->hour = (int32_t)hour;
	h->mean = sl->mean;
	h->var = sl->var;
	h->n = (uint8_t)sl->n; /* at most BASELINE_SLOT_MAX_N */
	h->slot = (uint8_t)k;
	h->in_days = (same_day && hour == h->hour) ||
		     (b->first_day >= 0 && day >= b->first_day && day <= b->last_day);
	h->held = true;
}

bool baseline_hot_band(const struct baseline_hot *h, double k, double margin, double *lo,
		       double *hi)
{
	struct baseline_slot sl = baseline_hot_slot(h);
	return slot_band(&sl, k, margin, lo, hi);
}

bool baseline_hot_widen(struct baseline *b, struct baseline_hot *h, int64_t ts_ms)
{
	h->in_days = true; /* the hour's later values move no day */
	return days_widen(b, ts_ms / 1000);
}

void baseline_copy(struct baseline *dst, const struct baseline *src)
{
	*dst = *src;
	if (src->hot && src->hot->held)
		dst->slot[src->hot->slot] = baseline_hot_slot(src->hot);
	dst->hot = NULL;
	dst->load = NULL;
	dst->slab = NULL;
}
