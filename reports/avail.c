/* The arithmetic of availability: span lists, their set operations, the classification
 * of one object's downtime and the figures against a target (dcmon/avail.h). */
#include "dcmon/avail.h"
#include "dcmon/vec.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int avail_spans_add(struct avail_spans *s, int64_t start_ms, int64_t end_ms)
{
	if (end_ms <= start_ms)
		return 0;
	struct avail_span *v = vec_grow(s->v, &s->cap, s->n, sizeof(*v), 8);
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->v[s->n++] = (struct avail_span){start_ms, end_ms};
	return 0;
}

static int span_cmp(const void *a, const void *b)
{
	const struct avail_span *x = a, *y = b;
	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

void avail_spans_normalize(struct avail_spans *s, int64_t from_ms, int64_t to_ms)
{
	size_t out = 0;
	if (s->n == 0) /* and s->v may be NULL, which qsort may not take */
		return;
	qsort(s->v, s->n, sizeof(*s->v), span_cmp);
	for (size_t i = 0; i < s->n; i++) {
		struct avail_span sp = s->v[i];
		sp.start_ms = sp.start_ms < from_ms ? from_ms : sp.start_ms;
		sp.end_ms = sp.end_ms > to_ms ? to_ms : sp.end_ms;
		if (sp.end_ms <= sp.start_ms)
			continue;
		if (out > 0 && sp.start_ms <= s->v[out - 1].end_ms) {
			if (sp.end_ms > s->v[out - 1].end_ms)
				s->v[out - 1].end_ms = sp.end_ms;
			continue;
		}
		s->v[out++] = sp;
	}
	s->n = out;
}

int64_t avail_spans_length(const struct avail_spans *s)
{
	int64_t total = 0;
	for (size_t i = 0; i < s->n; i++)
		total += s->v[i].end_ms - s->v[i].start_ms;
	return total;
}

void avail_spans_reset(struct avail_spans *s)
{
	s->n = 0;
}

void avail_spans_free(struct avail_spans *s)
{
	free(s->v);
	*s = (struct avail_spans){0};
}

int avail_spans_merge(struct avail_spans *a, const struct avail_spans *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (avail_spans_add(a, b->v[i].start_ms, b->v[i].end_ms) < 0)
			return -ENOMEM;
	return 0;
}

int avail_spans_intersect(const struct avail_spans *a, const struct avail_spans *b,
			  struct avail_spans *out)
{
	size_t i = 0, j = 0;
	avail_spans_reset(out);
	while (i < a->n && j < b->n) {
		int64_t lo = a->v[i].start_ms > b->v[j].start_ms ? a->v[i].start_ms
								 : b->v[j].start_ms;
		int64_t hi = a->v[i].end_ms < b->v[j].end_ms ? a->v[i].end_ms : b->v[j].end_ms;
		if (avail_spans_add(out, lo, hi) < 0)
			return -ENOMEM;
		if (a->v[i].end_ms < b->v[j].end_ms)
			i++;
		else
			j++;
	}
	return 0;
}

int avail_spans_subtract(const struct avail_spans *a, const struct avail_spans *b,
			 struct avail_spans *out)
{
	size_t j = 0;
	avail_spans_reset(out);
	for (size_t i = 0; i < a->n; i++) {
		int64_t cur = a->v[i].start_ms, end = a->v[i].end_ms;
		while (j < b->n && b->v[j].end_ms <= cur)
			j++;
		/* b's spans that start before end cut [cur, end) into pieces */
		for (size_t k = j; k < b->n && b->v[k].start_ms < end; k++) {
			if (avail_spans_add(out, cur, b->v[k].start_ms) < 0)
				return -ENOMEM;
			if (b->v[k].end_ms > cur)
				cur = b->v[k].end_ms;
		}
		if (avail_spans_add(out, cur, end) < 0)
			return -ENOMEM;
	}
	return 0;
}

int avail_classify(struct avail_spans *down, struct avail_spans *planned,
		   const struct avail_spans *unknown, int64_t from_ms, int64_t to_ms,
		   struct avail_class *cls)
{
	struct avail_spans known_down = {0};
	int rc;

	avail_spans_normalize(down, from_ms, to_ms);
	avail_spans_normalize(planned, from_ms, to_ms);
	rc = avail_spans_subtract(down, unknown, &known_down);
	if (rc == 0)
		rc = avail_spans_intersect(&known_down, planned, &cls->planned);
	if (rc == 0)
		rc = avail_spans_subtract(&known_down, planned, &cls->unplanned);
	avail_spans_free(&known_down);
	return rc;
}

int avail_class_merge(struct avail_class *group, const struct avail_class *member)
{
	if (avail_spans_merge(&group->unplanned, &member->unplanned) < 0 ||
	    avail_spans_merge(&group->planned, &member->planned) < 0 ||
	    avail_spans_merge(&group->degraded, &member->degraded) < 0)
		return -ENOMEM;
	return 0;
}

int avail_spans_remove(struct avail_spans *s, const struct avail_spans *minus)
{
	struct avail_spans rest = {0};
	int rc = avail_spans_subtract(s, minus, &rest);
	if (rc < 0) {
		avail_spans_free(&rest);
		return rc;
	}
	avail_spans_free(s);
	*s = rest;
	return 0;
}

int avail_class_settle(struct avail_class *group, int64_t from_ms, int64_t to_ms)
{
	int rc;

	avail_spans_normalize(&group->unplanned, from_ms, to_ms);
	avail_spans_normalize(&group->planned, from_ms, to_ms);
	avail_spans_normalize(&group->degraded, from_ms, to_ms);
	rc = avail_spans_remove(&group->planned, &group->unplanned);
	/* degraded is up time: none of it while the object is down */
	if (rc == 0)
		rc = avail_spans_remove(&group->degraded, &group->unplanned);
	if (rc == 0)
		rc = avail_spans_remove(&group->degraded, &group->planned);
	return rc;
}

void avail_class_free(struct avail_class *cls)
{
	avail_spans_free(&cls->unplanned);
	avail_spans_free(&cls->planned);
	avail_spans_free(&cls->degraded);
}

void avail_figures_compute(const struct avail_class *cls, const struct avail_spans *unknown,
			   int64_t from_ms, int64_t to_ms, const struct avail_policy *pol,
			   struct avail_figures *out)
{
	struct avail_figures f = {.period_ms = to_ms - from_ms};

	f.unknown_ms = avail_spans_length(unknown);
	f.unplanned_ms = avail_spans_length(&cls->unplanned);
	f.planned_ms = avail_spans_length(&cls->planned);
	f.degraded_ms = avail_spans_length(&cls->degraded);
	f.known_ms = f.period_ms - f.unknown_ms;
	f.up_ms = f.known_ms - f.unplanned_ms - f.planned_ms;
	f.used_ms = f.unplanned_ms + (pol->planned_counts ? f.planned_ms : 0);
	f.availability = f.known_ms > 0 ? (double)(f.known_ms - f.used_ms) / (double)f.known_ms
					: 1.0;
	/* rounded down to the ms: the budget is never overstated */
	f.budget_ms = (int64_t)floor((1.0 - pol->target) * (double)f.known_ms + 1e-6);
	f.left_ms = f.budget_ms - f.used_ms;
	*out = f;
}

/* ---- periods ---------------------------------------------------------------------- */

static int64_t utc_ms(int y, int mon, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mon - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = s};
	return (int64_t)timegm(&tm) * 1000;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC). */
static int instant_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -EINVAL;
	if (s[n] == 'T') {
		int m = 0;
		if (sscanf(s + n, "T%2d:%2d:%2dZ%n", &h, &mi, &sec, &m) != 3 || m == 0)
			return -EINVAL;
		n += m;
	}
	if (s[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 59)
		return -EINVAL;
	*out = utc_ms(y, mo, d, h, mi, sec);
	return 0;
}

/* Monday 00:00 UTC of ISO week w of year y: week 1 holds January 4th. */
static int64_t iso_week_ms(int y, int w)
{
	int64_t jan4 = utc_ms(y, 1, 4, 0, 0, 0);
	time_t t = (time_t)(jan4 / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	int back = (tm.tm_wday + 6) % 7; /* days since Monday */
	return jan4 - (int64_t)back * 86400000 + (int64_t)(w - 1) * 7 * 86400000;
}

int avail_period_parse(const char *s, int64_t *from_ms, int64_t *to_ms)
{
	int y, m, n = 0;
	const char *dots = strstr(s, "..");

	if (dots) {
		char from[32];
		size_t len = (size_t)(dots - s);
		if (len >= sizeof(from))
			return -EINVAL;
		memcpy(from, s, len);
		from[len] = '\0';
		if (instant_parse(from, from_ms) < 0 || instant_parse(dots + 2, to_ms) < 0 ||
		    *to_ms <= *from_ms)
			return -EINVAL;
		return 0;
	}
	if (sscanf(s, "%4d-W%2d%n", &y, &m, &n) == 2 && s[n] == '\0' && m >= 1 && m <= 53) {
		*from_ms = iso_week_ms(y, m);
		*to_ms = *from_ms + 7LL * 86400000;
		return 0;
	}
	if (sscanf(s, "%4d-%2d%n", &y, &m, &n) == 2 && s[n] == '\0' && m >= 1 && m <= 12) {
		*from_ms = utc_ms(y, m, 1, 0, 0, 0);
		*to_ms = m == 12 ? utc_ms(y + 1, 1, 1, 0, 0, 0) : utc_ms(y, m + 1, 1, 0, 0, 0);
		return 0;
	}
	if (sscanf(s, "%4d%n", &y, &n) == 1 && s[n] == '\0' && n == 4) {
		*from_ms = utc_ms(y, 1, 1, 0, 0, 0);
		*to_ms = utc_ms(y + 1, 1, 1, 0, 0, 0);
		return 0;
	}
	return -EINVAL;
}

void avail_month_before(int64_t now_ms, char out[AVAIL_MONTH_LEN])
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	tm = (struct tm){.tm_year = tm.tm_year, .tm_mon = tm.tm_mon - 1, .tm_mday = 1};
	t = timegm(&tm); /* normalizes January's month before to December of the year before */
	gmtime_r(&t, &tm);
	if (strftime(out, AVAIL_MONTH_LEN, "%Y-%m", &tm) == 0)
		out[0] = '\0'; /* a year past 9999 */
}
