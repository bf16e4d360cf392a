/* Prediction math: bounded series, a robust least-squares slope, the drain of a level
 * that is refilled in steps, the load-dependent diesel burn table, time to a limit. */
#include "facility_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void fseries_push(struct fseries *s, int64_t ts_ms, double v)
{
	s->ts[s->head] = ts_ms;
	s->v[s->head] = v;
	s->head = (s->head + 1) % FSERIES_MAX;
	if (s->n < FSERIES_MAX)
		s->n++;
}

void fseries_clear(struct fseries *s)
{
	s->head = s->n = 0;
}

size_t fseries_window(const struct fseries *s, int64_t window_ms, int64_t *ts, double *v)
{
	if (s->n == 0)
		return 0;
	size_t first = (s->head + FSERIES_MAX - s->n) % FSERIES_MAX;
	int64_t newest = s->ts[(s->head + FSERIES_MAX - 1) % FSERIES_MAX];
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = (first + i) % FSERIES_MAX;
		if (newest - s->ts[j] > window_ms)
			continue;
		ts[k] = s->ts[j];
		v[k++] = s->v[j];
	}
	return k;
}

/* Ordinary least squares over the points with use[i]; x in seconds from ts[0]. */
static int ls_fit(const int64_t *ts, const double *v, const bool *use, size_t n, double *slope,
		  double *icept)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (!use[i])
			continue;
		double x = (double)(ts[i] - ts[0]) / 1000.0;
		sx += x;
		sy += v[i];
		sxx += x * x;
		sxy += x * v[i];
		m++;
	}
	double den = (double)m * sxx - sx * sx;
	if (m < 2 || fabs(den) < 1e-12)
		return -ENODATA;
	*slope = ((double)m * sxy - sx * sy) / den;
	*icept = (sy - *slope * sx) / (double)m;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int predict_slope(const int64_t *ts, const double *v, size_t n, size_t min_n,
		  int64_t min_span_ms, double *slope)
{
	if (n < min_n || n < 2 || n > FSERIES_MAX || ts[n - 1] - ts[0] < min_span_ms)
		return -ENODATA;
	bool use[FSERIES_MAX];
	double res[FSERIES_MAX], icept;
	for (size_t i = 0; i < n; i++)
		use[i] = true;
	if (ls_fit(ts, v, use, n, slope, &icept) < 0)
		return -ENODATA;
	for (size_t i = 0; i < n; i++)
		res[i] = fabs(v[i] - (icept + *slope * (double)(ts[i] - ts[0]) / 1000.0));
	double sorted[FSERIES_MAX];
	memcpy(sorted, res, n * sizeof(double));
	qsort(sorted, n, sizeof(double), cmp_double);
	double mad = sorted[n / 2];
	if (mad <= 0)
		return 0;
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		kept += (use[i] = res[i] <= 3 * mad);
	return kept >= min_n ? ls_fit(ts, v, use, n, slope, &icept) : 0;
}

/* Samples and span a drain needs before its slope is trusted. */
#define DRAIN_MIN_N 5
#define DRAIN_MIN_SPAN_MS (2 * 60 * 1000)

int predict_drain(const int64_t *ts, const double *v, size_t n, double step, double *per_s)
{
	size_t start = 0;
	for (size_t i = 1; i < n; i++)
		if (v[i] - v[i - 1] > step)
			start = i; /* refilled: only what follows tells the burn */
	double slope;
	int rc = predict_slope(ts + start, v + start, n - start, DRAIN_MIN_N, DRAIN_MIN_SPAN_MS,
			       &slope);
	if (rc < 0)
		return rc;
	if (!(slope < 0))
		return -ERANGE;
	*per_s = -slope;
	return 0;
}

/* shared/domain/facility-facts.md 6.3 (enviraj chart): liters per hour at 1/4, 1/2,
 * 3/4 and full load of diesel sets of the given rating. */
static const struct {
	double kw;
	double lph[4];
} burn_table[] = {
	{100, {9.8, 15.5, 22.0, 28.0}},       {250, {21.6, 36.0, 51.5, 68.1}},
	{500, {41.6, 70.0, 99.9, 135.1}},     {750, {61.7, 103.7, 148.8, 202.1}},
	{1000, {81.8, 137.8, 197.2, 269.1}},  {1500, {121.9, 205.5, 294.5, 403.1}},
	{2000, {162.0, 273.3, 391.7, 537.1}},
};
#define BURN_ROWS (sizeof(burn_table) / sizeof(burn_table[0]))

/* Burn of a set of rating kw at load column c, interpolated (scaled beyond the table). */
static double burn_at(double kw, size_t c)
{
	if (kw <= burn_table[0].kw)
		return burn_table[0].lph[c] * kw / burn_table[0].kw;
	for (size_t r = 1; r < BURN_ROWS; r++) {
		if (kw > burn_table[r].kw)
			continue;
		double t = (kw - burn_table[r - 1].kw) / (burn_table[r].kw - burn_table[r - 1].kw);
		return burn_table[r - 1].lph[c] + t * (burn_table[r].lph[c] - burn_table[r - 1].lph[c]);
	}
	return burn_table[BURN_ROWS - 1].lph[c] * kw / burn_table[BURN_ROWS - 1].kw;
}

double predict_burn_lph(double rating_kw, double load_kw)
{
	if (!(rating_kw > 0) || !(load_kw >= 0))
		return NAN;
	double f = load_kw / rating_kw;
	if (f > 1.1)
		f = 1.1; /* beyond overload the table says nothing */
	/* segment of the load columns (0.25 apart) containing f, extended at the ends */
	double pos = f / 0.25 - 1.0; /* 0 at 1/4 load, 3 at full */
	size_t c = pos < 1 ? 0 : pos >= 2 ? 2 : 1;
	double lo = burn_at(rating_kw, c), hi = burn_at(rating_kw, c + 1);
	double lph = lo + (pos - (double)c) * (hi - lo);
	double floor_lph = 0.1 * burn_at(rating_kw, 3); /* an idling engine still burns */
	return lph > floor_lph ? lph : floor_lph;
}

int predict_time_to(double value, double slope, double limit, double *seconds)
{
	double gap = limit - value;
	if ((gap >= 0 && slope > 0) || (gap <= 0 && slope < 0)) {
		*seconds = gap / slope;
		return 0;
	}
	if (gap == 0) {
		*seconds = 0;
		return 0;
	}
	return -ERANGE;
}
