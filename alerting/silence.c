/* Silences (maintenance windows): one-off time ranges and weekly recurring windows in a
 * time zone.  Recurring windows are computed in the silence's zone (dcmon/tz.h), so a
 * window crossing midnight or a DST change lasts what the wall clock says. */
#include "alert_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcmon/tz.h"

/* First weekly window ending after `from`. */
static bool recurring_next(const struct silence *s, int64_t from, int64_t *ws, int64_t *we)
{
	struct tm base;
	bool found = false;
	if (!tz_localtime(s->tz, from, &base))
		return false;
	int next_day = s->end_min <= s->start_min;
	for (int d = -2; d <= 8 && !found; d++) {
		if (!(s->days & (1u << tz_weekday(&base, d))))
			continue;
		*we = tz_local_at(s->tz, &base, d + next_day, s->end_min);
		if (*we <= from)
			continue;
		*ws = tz_local_at(s->tz, &base, d, s->start_min);
		found = true;
	}
	return found;
}

static bool window_compute(const struct silence *s, int64_t now, int64_t *ws, int64_t *we)
{
	if (s->ends_ms && now >= s->ends_ms)
		return false;
	if (!s->days) {
		*ws = s->starts_ms;
		*we = s->ends_ms;
		return true;
	}
	int64_t from = now > s->starts_ms ? now : s->starts_ms;
	if (!recurring_next(s, from, ws, we))
		return false;
	if (*ws < s->starts_ms)
		*ws = s->starts_ms;
	if (s->ends_ms && *we > s->ends_ms)
		*we = s->ends_ms;
	return *ws < *we;
}

bool silence_window(struct silence *s, int64_t now_ms, int64_t *start, int64_t *end)
{
	bool cached = s->win_end_ms && now_ms >= s->cache_from_ms && now_ms < s->win_end_ms;
	if (!cached) {
		s->cache_from_ms = now_ms;
		if (!window_compute(s, now_ms, &s->win_start_ms, &s->win_end_ms))
			s->win_start_ms = s->win_end_ms = 0;
	}
	*start = s->win_start_ms;
	*end = s->win_end_ms;
	return s->win_end_ms != 0;
}

void alert_weekly_windows(const struct alert_weekly *w, int64_t from, int64_t to,
			 void (*fn)(void *arg, int64_t start_ms, int64_t end_ms), void *arg)
{
	struct silence s = {.tz = (char *)w->tz, .starts_ms = w->starts_ms, .ends_ms = w->ends_ms,
			    .days = w->days, .start_min = w->start_min, .end_min = w->end_min};
	int64_t ws, we;
	/* a window a week at least: the bound only guards against a zone gone wrong */
	for (int n = 0; n < 8 * 400 && from < to && window_compute(&s, from, &ws, &we) && ws < to;
	     n++) {
		fn(arg, ws, we);
		from = we;
	}
}

bool silence_active(struct silence *s, int64_t now_ms)
{
	int64_t ws, we;
	return silence_window(s, now_ms, &ws, &we) && ws <= now_ms && now_ms < we;
}

/* The metric name and instance of an alert, from its metric or its key. */
static void alert_metric_parts(const struct alert *a, char *name, size_t len, const char **inst)
{
	if (a->m) {
		snprintf(name, len, "%s", a->m->name);
		*inst = metric_inst(a->m);
		return;
	}
	snprintf(name, len, "%s", a->key);
	char *at = strchr(name, '@');
	*inst = at ? a->key + (at - name) + 1 : NULL;
	if (at)
		*at = '\0';
}

bool silence_matches(const struct silence *s, const struct alert *a)
{
	if (s->rule && strcmp(s->rule, a->rule_name) != 0)
		return false;
	char name[METRIC_NAME_MAX + METRIC_INST_MAX];
	const char *inst;
	alert_metric_parts(a, name, sizeof(name), &inst);
	return selector_match(&s->match, a->dev, a->device, name, inst);
}

static int spec_check(const struct alert_silence_spec *sp, char *err, size_t errlen)
{
	if (!sp->reason || !sp->reason[0])
		snprintf(err, errlen, "a silence needs a reason");
	else if (!sp->days && !(sp->ends_ms > sp->starts_ms))
		snprintf(err, errlen, "a silence must end after it starts");
	else if (sp->days > 0x7f)
		snprintf(err, errlen, "bad weekday mask %#x", sp->days);
	else if (sp->days && (sp->start_min < 0 || sp->start_min >= 1440 || sp->end_min < 0 ||
			      sp->end_min >= 1440))
		snprintf(err, errlen, "window times must be 00:00..23:59");
	else if (sp->tz && !tz_valid(sp->tz))
		snprintf(err, errlen, "unknown time zone '%s'", sp->tz);
	else
		return 0;
	return -EINVAL;
}

static char *dup_or_null(const char *s, bool *fail)
{
	char *d = s ? strdup(s) : NULL;
	*fail |= s && !d;
	return d;
}

int selector_copy(struct cfg_selector *dst, const struct cfg_selector *src)
{
	bool fail = false;
	*dst = (struct cfg_selector){0};
	dst->device = dup_or_null(src->device, &fail);
	dst->kind = dup_or_null(src->kind, &fail);
	dst->site = dup_or_null(src->site, &fail);
	dst->room = dup_or_null(src->room, &fail);
	dst->tenant = dup_or_null(src->tenant, &fail);
	dst->metric = dup_or_null(src->metric, &fail);
	dst->inst = dup_or_null(src->inst, &fail);
	dst->labels = src->nlabels ? calloc(src->nlabels, sizeof(*dst->labels)) : NULL;
	fail |= src->nlabels && !dst->labels;
	for (size_t i = 0; dst->labels && i < src->nlabels; i++, dst->nlabels++) {
		dst->labels[i].key = dup_or_null(src->labels[i].key, &fail);
		dst->labels[i].value = dup_or_null(src->labels[i].value, &fail);
	}
	return fail ? -ENOMEM : 0;
}

void selector_free(struct cfg_selector *s)
{
	free(s->device);
	free(s->kind);
	free(s->site);
	free(s->room);
	free(s->tenant);
	free(s->metric);
	free(s->inst);
	for (size_t i = 0; i < s->nlabels; i++) {
		free(s->labels[i].key);
		free(s->labels[i].value);
	}
	free(s->labels);
	*s = (struct cfg_selector){0};
}

struct silence *silence_new(const struct alert_silence_spec *sp, const char *created_by,
			    int64_t created_ms, char *err, size_t errlen)
{
	if (spec_check(sp, err, errlen) < 0)
		return NULL;
	struct silence *s = calloc(1, sizeof(*s));
	bool fail = !s;
	if (s) {
		*s = (struct silence){.created_ms = created_ms, .starts_ms = sp->starts_ms,
				      .ends_ms = sp->ends_ms, .days = sp->days,
				      .start_min = sp->start_min, .end_min = sp->end_min};
		fail |= selector_copy(&s->match, &sp->match) < 0;
		s->rule = dup_or_null(sp->rule, &fail);
		s->reason = dup_or_null(sp->reason, &fail);
		s->created_by = dup_or_null(created_by ? created_by : "?", &fail);
		s->tz = dup_or_null(sp->tz, &fail);
	}
	if (fail) {
		snprintf(err, errlen, "out of memory");
		silence_free(s);
		return NULL;
	}
	return s;
}

void silence_free(struct silence *s)
{
	if (!s)
		return;
	selector_free(&s->match);
	free(s->rule);
	free(s->reason);
	free(s->created_by);
	free(s->tz);
	free(s);
}
