/* The outage log: down spans grouped into incidents by their suppression root, so that a
 * utility outage is one incident naming everything it took down. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports_int.h"

/* What a down span is charged to: its suppression root, else its own device. */
static const char *span_key(const struct avail_down *d)
{
	return d->root ? d->root : d->device;
}

static int key_cmp(const void *a, const void *b)
{
	const struct avail_down *x = *(const struct avail_down *const *)a;
	const struct avail_down *y = *(const struct avail_down *const *)b;
	int c = strcmp(span_key(x), span_key(y));
	return c ? c : (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

static int inc_cmp(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "start_ms"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "start_ms"));
	return (x > y) - (x < y);
}

void reports_iso_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *reports_figures_json(const struct avail_figures *f)
{
	return json_pack("{s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:f}", "availability",
			 f->availability, "up_s", f->up_ms / 1000.0, "unplanned_s",
			 f->unplanned_ms / 1000.0, "planned_s", f->planned_ms / 1000.0,
			 "degraded_s", f->degraded_ms / 1000.0,
			 "unknown_s", f->unknown_ms / 1000.0, "known_s", f->known_ms / 1000.0,
			 "budget_s", f->budget_ms / 1000.0, "used_s", f->used_ms / 1000.0,
			 "left_s", f->left_ms / 1000.0);
}

static bool in_scope(const struct cfg *cfg, const enum authz_scope *scopes, const char *id)
{
	if (!scopes)
		return true;
	const struct cfg_device *dev = cfg_device_find(cfg, id);
	return dev && scopes[dev - cfg->devices] != AUTHZ_SCOPE_OTHER;
}

static int add_unique(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 0;
	return json_array_append_new(arr, json_string(s));
}

static int notes_json(const struct avail_history *h, const char *id, json_t *inc)
{
	json_t *arr = json_array();
	int rc = arr ? 0 : -ENOMEM;
	for (size_t i = 0; i < h->nnotes && rc == 0; i++) {
		const struct avail_note *n = &h->notes[i];
		char ts[32];
		if (strcmp(n->incident, id) != 0)
			continue;
		reports_iso_time(n->ts_ms, ts, sizeof(ts));
		rc = json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "time", ts, "by",
							  n->who, "text", n->text));
	}
	return rc == 0 ? json_object_set_new(inc, "notes", arr) : (json_decref(arr), rc);
}

/* One incident: spans[lo..hi) share a key and overlap in time; its root cause is the key
 * (the suppression root, else the device itself).  A root outside the tenant's scope is
 * not named (roots are upstream, so shared, but a group or a rack need not be). */
static json_t *incident_json(const struct cfg *cfg, const enum authz_scope *scopes,
			     const struct avail_history *h, struct avail_down **spans,
			     size_t lo, size_t hi, int64_t end, int64_t from, int64_t to)
{
	const struct avail_down *first = spans[lo];
	char id[320], shown[320], start_s[32], end_s[32];
	const char *key = span_key(first);
	const char *root = in_scope(cfg, scopes, key) ? key : "upstream equipment";
	int64_t in_lo = first->start_ms > from ? first->start_ms : from;
	int64_t in_hi = end < to ? end : to;

	snprintf(id, sizeof(id), "%s@%" PRId64, key, first->start_ms);
	snprintf(shown, sizeof(shown), "%s@%" PRId64, root == key ? key : "upstream",
		 first->start_ms);
	reports_iso_time(first->start_ms, start_s, sizeof(start_s));
	reports_iso_time(end, end_s, sizeof(end_s));
	json_t *affected = json_array();
	json_t *inc = json_pack("{s:s, s:s, s:s, s:I, s:I, s:f, s:f, s:s?, s:o}", "id", id,
				"start", start_s, "end", end_s, "start_ms", (json_int_t)first->start_ms,
				"end_ms", (json_int_t)end, "duration_s",
				(end - first->start_ms) / 1000.0, "in_period_s",
				(in_hi > in_lo ? in_hi - in_lo : 0) / 1000.0, "root", root,
				"affected", affected);
	for (size_t i = lo; inc && i < hi; i++)
		if (add_unique(affected, spans[i]->object) < 0)
			goto fail;
	if (inc && notes_json(h, id, inc) == 0)
		return inc;
fail:
	json_decref(inc);
	return NULL;
}

int reports_outages_json(const struct cfg *cfg, const enum authz_scope *scopes,
			 const struct avail_history *h, int64_t from, int64_t to, json_t *out)
{
	struct avail_down **spans = calloc(h->ndown + 1, sizeof(*spans));
	json_t **incs = calloc(h->ndown + 1, sizeof(*incs));
	json_t *arr = json_array();
	size_t n = 0, ninc = 0;
	int rc = spans && incs && arr ? 0 : -ENOMEM;

	for (size_t i = 0; rc == 0 && i < h->ndown; i++)
		if (h->down[i].start_ms < to && h->down[i].end_ms > from &&
		    in_scope(cfg, scopes, h->down[i].device))
			spans[n++] = &h->down[i];
	qsort(spans, n, sizeof(*spans), key_cmp);
	for (size_t lo = 0; rc == 0 && lo < n;) {
		size_t hi = lo + 1;
		int64_t end = spans[lo]->end_ms;
		while (hi < n && strcmp(span_key(spans[hi]), span_key(spans[lo])) == 0 &&
		       spans[hi]->start_ms <= end) {
			end = spans[hi]->end_ms > end ? spans[hi]->end_ms : end;
			hi++;
		}
		incs[ninc] = incident_json(cfg, scopes, h, spans, lo, hi, end, from, to);
		rc = incs[ninc++] ? 0 : -ENOMEM;
		lo = hi;
	}
	if (rc == 0)
		qsort(incs, ninc, sizeof(*incs), inc_cmp);
	for (size_t i = 0; i < ninc; i++)
		if (incs[i] && json_array_append_new(arr, incs[i]) < 0)
			rc = -ENOMEM;
	free(spans);
	free(incs);
	return rc == 0 ? json_object_set_new(out, "outages", arr) : (json_decref(arr), rc);
}
