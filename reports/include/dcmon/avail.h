/* Availability: how long each object was up, down (unplanned or planned) or unknown in
 * a period, against a target, and the incidents of the outage log (docs/REPORTS.md).
 *
 * The arithmetic is pure (spans in, seconds out, no clock, no I/O) so that tests feed it
 * synthetic histories with exact expected figures; the history comes from reports.db
 * (avail_store.h) and the report is assembled and rendered in avail_report.c.
 *
 * Threads: any; nothing is shared.
 */
#ifndef DCMON_AVAIL_H
#define DCMON_AVAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A half-open time span [start_ms, end_ms), wall clock in ms. */
struct avail_span {
	int64_t start_ms, end_ms;
};

/* A growable list of spans; after avail_spans_normalize() sorted and disjoint. */
struct avail_spans {
	struct avail_span *v;
	size_t n, cap;
};

/* Appends [start, end) (nothing when empty).  Returns 0 or -ENOMEM. */
int avail_spans_add(struct avail_spans *s, int64_t start_ms, int64_t end_ms);
/* Sorts and merges overlapping or touching spans, clipped to [from, to). */
void avail_spans_normalize(struct avail_spans *s, int64_t from_ms, int64_t to_ms);
/* Total length of normalized spans, ms. */
int64_t avail_spans_length(const struct avail_spans *s);
/* out = a \ b and out = a n b, both normalized; out is reset first.  0 or -ENOMEM. */
int avail_spans_subtract(const struct avail_spans *a, const struct avail_spans *b,
			 struct avail_spans *out);
int avail_spans_intersect(const struct avail_spans *a, const struct avail_spans *b,
			  struct avail_spans *out);
/* s = s \ minus, both normalized.  0 or -ENOMEM (s unchanged). */
int avail_spans_remove(struct avail_spans *s, const struct avail_spans *minus);
/* Appends every span of b to a (then normalize a).  0 or -ENOMEM. */
int avail_spans_merge(struct avail_spans *a, const struct avail_spans *b);
void avail_spans_reset(struct avail_spans *s);
void avail_spans_free(struct avail_spans *s);

/* One object's time in a period, classified.  unknown wins over everything (dcmond was
 * not running: nothing is known), then planned (down inside a maintenance or test-mode
 * window), then unplanned (down elsewhere); the rest is up.  degraded is the part of up
 * when the device answered some of its pollers only: up, shown apart (a device's,
 * settled against its down time by avail_class_settle; empty for a check). */
struct avail_class {
	struct avail_spans unplanned, planned, degraded;
};

/* Classifies the down spans of one object against the planned windows and the unknown
 * spans (all normalized to the period first; the inputs are normalized in place).
 * cls is reset first.  Returns 0 or -ENOMEM. */
int avail_classify(struct avail_spans *down, struct avail_spans *planned,
		   const struct avail_spans *unknown, int64_t from_ms, int64_t to_ms,
		   struct avail_class *cls);
/* Adds a member's classified time to a group's: the group is down while any member is
 * (a span both planned in one member and unplanned in another is unplanned), and
 * degraded while any member is and none is down.  Call
 * avail_class_settle() once every member is in.  0 or -ENOMEM. */
int avail_class_merge(struct avail_class *group, const struct avail_class *member);
int avail_class_settle(struct avail_class *group, int64_t from_ms, int64_t to_ms);
void avail_class_free(struct avail_class *cls);

/* How planned downtime counts. */
struct avail_policy {
	bool planned_counts; /* planned downtime counts against the SLA */
	double target;       /* fraction, e.g. 0.9999 */
};

/* The figures of one object or group, in ms. */
struct avail_figures {
	int64_t period_ms;    /* the whole period */
	int64_t known_ms;     /* period minus unknown: what availability is computed over */
	int64_t up_ms, unplanned_ms, planned_ms, unknown_ms;
	int64_t degraded_ms;  /* of up_ms: answering some pollers only */
	double availability;  /* (known - counted downtime) / known; 1 when nothing is known */
	int64_t budget_ms;    /* (1 - target) x known */
	int64_t used_ms;      /* counted downtime: unplanned (+ planned per policy) */
	int64_t left_ms;      /* budget - used; negative when the target is missed */
};

void avail_figures_compute(const struct avail_class *cls, const struct avail_spans *unknown,
			   int64_t from_ms, int64_t to_ms, const struct avail_policy *pol,
			   struct avail_figures *out);

/* ---- periods ---------------------------------------------------------------------- */

/* Parses a period, in UTC: "2026-11" (the calendar month), "2026-W47" (the ISO week),
 * "2026" (the year) or "FROM..TO" with FROM and TO as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ
 * (TO excluded).  Returns 0 and sets [*from, *to), or -EINVAL. */
int avail_period_parse(const char *s, int64_t *from_ms, int64_t *to_ms);

#define AVAIL_MONTH_LEN 8 /* "YYYY-MM" and its NUL */
/* The calendar month (UTC) before the one holding now_ms, as "YYYY-MM": the month just
 * ended, which the monthly mail reports on. */
void avail_month_before(int64_t now_ms, char out[AVAIL_MONTH_LEN]);

#endif
