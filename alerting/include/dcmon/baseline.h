/* Baselines: a per-metric model of "normal" as an hour-of-week profile (168 slots of
 * mean and variance, UTC), learned from the metric's RRD history and then from each
 * sample.  Judging a sample is O(1): one slot lookup and a comparison with its band.
 * docs/REPORTS.md "Baselines" compares this with a flat band and an hour-of-day one. */
#ifndef DCMON_BASELINE_H
#define DCMON_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BASELINE_SLOTS 168      /* hours in a week */
#define BASELINE_SLOT_MAX_N 120 /* samples a slot weighs at most: it follows slow change */

/* One hour of the week: together, so judging a value touches one cache line. */
struct baseline_slot {
	float mean, var;
	uint32_t n;
};

struct baseline_load; /* alerting/baseline_load.c */

struct baseline {
	struct baseline_slot slot[BASELINE_SLOTS];
	int64_t first_day, last_day; /* UTC day numbers of the first and last sample, -1 none */
	bool noted;                  /* the metric's note is this baseline's "expected ..." */
	struct baseline_load *load;  /* its history being read on a worker, NULL if none */
};

enum baseline_dir { BASELINE_BOTH, BASELINE_UP, BASELINE_DOWN };

void baseline_init(struct baseline *b);
/* The hour-of-week slot of a time (UTC; 0 = Monday 00:00). */
unsigned baseline_slot(int64_t ts_s);
/* Days of history seen (first to last sample, inclusive). */
int baseline_days(const struct baseline *b);
/* Adds one sample to its slot (NaN is skipped). */
void baseline_add(struct baseline *b, int64_t ts_s, double v);
/* Adds a series of n values, the i-th at start_s + i * step_s. */
void baseline_add_series(struct baseline *b, const double *v, size_t n, int64_t start_s,
			 int64_t step_s);
/* Joins src's samples to b's, slot by slot (Welford's parallel form, the weight capped
 * as for a sample): history read while b learned from new values. */
void baseline_merge(struct baseline *b, const struct baseline *src);
/* Learns from the AVERAGE values of an RRD file over the `days` before end_s (through
 * rrdcached when daemon is not NULL).  Values read, or -1 with err filled. */
long baseline_learn_rrd(struct baseline *b, const char *path, const char *daemon,
			int64_t end_s, int days, char *err, size_t errlen);
/* The band mean +- k * sd at ts_s, widened to at least +- margin.  False if the slot
 * has fewer than 2 samples. */
bool baseline_band(const struct baseline *b, int64_t ts_s, double k, double margin, double *lo,
		   double *hi);
/* Whether v at ts_s lies outside the band in direction dir; false when the slot is
 * empty.  *lo, *hi: the band when outside, else NaN (not computed: judging compares
 * squares, so the values inside, nearly all, cost no square root). */
bool baseline_outside(const struct baseline *b, int64_t ts_s, double v, double k, double margin,
		      enum baseline_dir dir, double *lo, double *hi);

#endif
