/* Baselines: a per-metric model of "normal" as an hour-of-week profile (168 slots of
 * mean and variance, UTC), learned from the metric's RRD history and then from each
 * sample.  Judging a sample is O(1): one slot lookup and a comparison with its band.
 * docs/REPORTS.md "Baselines" compares this with a flat band and an hour-of-day one. */
#ifndef DCMON_BASELINE_H
#define DCMON_BASELINE_H

#include <math.h>
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
struct baseline_slab; /* alerting/baseline_pool.c */
struct baseline;

/* The hour being judged, held where the rule's other per-metric state is (the engine's
 * slot, read at every value anyway): judging and learning a value then touch none of
 * the baseline's 2 KB (at 100,000 metrics, two cache misses a value).  A copy of one
 * slot, written back when the hour changes, before a merge and in baseline_copy. */
struct baseline_hot {
	float mean, var;       /* those of slot[slot] and its updates since */
	int32_t hour;          /* hours since the epoch (UTC) of the copy */
	uint8_t n;             /* the slot's weight (at most BASELINE_SLOT_MAX_N) */
	uint8_t slot;          /* its hour of the week */
	bool held : 1;         /* holds a copy */
	bool in_days : 1;      /* its day lies within first_day..last_day: adding moves no day */
	bool learned : 1;      /* the caller's: enough days of history (for good: days only grow) */
	bool noted : 1;        /* the metric's note is this baseline's "expected ..." */
	struct baseline *base; /* the baseline it copies (baseline_hot_attach), NULL none */
};

struct baseline {
	struct baseline_slot slot[BASELINE_SLOTS];
	int64_t first_day, last_day; /* UTC day numbers of the first and last sample, -1 none */
	struct baseline_hot *hot;    /* the copy of the hour being judged, NULL none */
	struct baseline_load *load;  /* its history being read on a worker, NULL if none */
	struct baseline_slab *slab;  /* its pool's slab (baseline_pool_get), NULL: malloc'd */
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

/* ---- judging through the hot copy (the engine's path, one value at a time) ---------- */

/* Makes h (zeroed or moved from elsewhere) b's hot copy; the previous one is written back
 * and its `noted` carries over. */
void baseline_hot_attach(struct baseline *b, struct baseline_hot *h);
/* Whether h holds the slot of ts_ms (milliseconds); if not, baseline_hot_take first. */
static inline bool baseline_hot_holds(const struct baseline_hot *h, int64_t ts_ms)
{
	/* the hour straight from the milliseconds, unsigned: one multiplication.  A time
	 * before 1970 never holds (taken again at each value: right, only slower) */
	return h->held && h->hour == (int64_t)((uint64_t)ts_ms / 3600000);
}
/* Writes h's copy back to b and takes the slot of ts_ms (milliseconds; the caller sets
 * h->learned).  h must be b's hot copy (baseline_hot_attach) for merges and snapshots
 * to see it. */
void baseline_hot_take(struct baseline *b, struct baseline_hot *h, int64_t ts_ms);
/* Welford's update of sl with v, the weight capped so that an old slot follows slow
 * change; no division (1/n from a table of the same doubles) where Welford's has two.
 * (Inline, as the two below: the engine's path for every value.) */
extern const double baseline_inv_n[BASELINE_SLOT_MAX_N + 1]; /* [n] = 1.0 / n */
static inline void baseline_slot_learn(struct baseline_slot *sl, double v)
{
	if (sl->n < BASELINE_SLOT_MAX_N)
		sl->n++;
	double inv = baseline_inv_n[sl->n], mean = sl->mean;
	double next = mean + (v - mean) * inv;
	sl->var = (float)(sl->var + ((v - mean) * (v - next) - sl->var) * inv);
	sl->mean = (float)next;
}
/* Whether v lies farther than max(k sd, margin) from sl's mean in direction dir; false
 * when sl has fewer than 2 samples.  Squared: the values inside, nearly all, cost no
 * square root. */
static inline bool baseline_slot_outside(const struct baseline_slot *sl, double v, double k,
					 double margin, enum baseline_dir dir)
{
	if (sl->n < 2)
		return false;
	double d = v - sl->mean, var = sl->var > 0 ? sl->var : 0.0;
	double k2var = k * k * var, m2 = margin * margin;
	bool far = d * d > (k2var > m2 ? k2var : m2);
	return far && (dir == BASELINE_UP ? d > 0 : dir == BASELINE_DOWN ? d < 0 : true);
}
static inline struct baseline_slot baseline_hot_slot(const struct baseline_hot *h)
{
	return (struct baseline_slot){.mean = h->mean, .var = h->var, .n = h->n};
}
/* baseline_outside against the held copy (same comparison); the band, for a value
 * outside, from baseline_hot_band. */
static inline bool baseline_hot_outside(const struct baseline_hot *h, double v, double k,
					double margin, enum baseline_dir dir)
{
	struct baseline_slot sl = baseline_hot_slot(h);
	return baseline_slot_outside(&sl, v, k, margin, dir);
}
/* baseline_band of the held copy. */
bool baseline_hot_band(const struct baseline_hot *h, double k, double margin, double *lo,
		       double *hi);
/* Widens b's days to ts_ms's, the first value of h's hour learned; whether they moved. */
bool baseline_hot_widen(struct baseline *b, struct baseline_hot *h, int64_t ts_ms);
/* baseline_add into h, which holds ts_ms's slot; true if b's days moved (the caller's
 * `learned` may change).  b itself is touched only at the first value of the hour. */
static inline bool baseline_hot_add(struct baseline *b, struct baseline_hot *h, int64_t ts_ms,
				    double v)
{
	if (!isfinite(v))
		return false;
	struct baseline_slot sl = baseline_hot_slot(h);
	baseline_slot_learn(&sl, v);
	h->mean = sl.mean;
	h->var = sl.var;
	h->n = (uint8_t)sl.n;
	return !h->in_days && baseline_hot_widen(b, h, ts_ms);
}
/* *dst = *src with the hot copy's pending updates: a snapshot for readers (the graph's
 * band), detached from the hot copy and the history read. */
void baseline_copy(struct baseline *dst, const struct baseline *src);

/* ---- the engine's baselines: a pool ----------------------------------------------------
 * A baseline is 2 KB: malloc'd one by one as metrics bind, each lies between two of the
 * engine's bindings (malloc'd just before it), which then sit one every 2 KB instead of
 * side by side, each on a page of its own at 100,000 metrics.  The pool hands them out
 * from slabs of 64 (130 KB, mapped apart from the heap of the bindings).  Loop thread
 * only. */
struct baseline_pool;
struct baseline_pool *baseline_pool_new(void);
/* Frees the pool; its baselines must have been put back (their slabs are freed then). */
void baseline_pool_free(struct baseline_pool *p);
/* An empty baseline (baseline_init), or NULL when out of memory.  Back with
 * baseline_pool_put. */
struct baseline *baseline_pool_get(struct baseline_pool *p);
/* Gives b (from baseline_pool_get) back; its slab is freed with its last baseline. */
void baseline_pool_put(struct baseline *b);
/* Bytes the slabs of every pool map now (outside malloc's figures). */
size_t baseline_pool_mapped(void);

#endif
