/* The notifier's own copy of the pending and firing alerts, kept from the alert events
 * of the change bus (transitions, notifications, and the engine's `updated` events for
 * a value, silence or suppression that moved without one).  Reminders, escalations and
 * the list of alerts held under a root cause read it, so the notifier never reads the
 * engine.  Kept in id order (the order the engine lists its alerts in). */
#include "notify_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/vec.h"

/* Copies src into *dst unless it holds the same text already.  False on ENOMEM. */
static bool keep_text(char **dst, const char *src)
{
	if (*dst == src || (*dst && src && strcmp(*dst, src) == 0))
		return true;
	free(*dst);
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

static void copy_free(struct notify_alert *a)
{
	char **texts[] = {&a->rule,    &a->summary,	   &a->device,	      &a->metric,
			  &a->inst,    &a->unit,	   &a->tenant,	      &a->site,
			  &a->room,    &a->kind,	   &a->ack_by,	      &a->ack_comment,
			  &a->silence_reason, &a->suppressed_by, &a->breaks_through};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free(*texts[i]);
	free(a);
}

/* The metric name and instance of ev; an alert not bound to its metric yet (restored,
 * before the metric reports) names it by its key "name@inst". */
static bool copy_metric(struct notify_alert *a, const struct alert_event *ev)
{
	const char *at = ev->inst ? NULL : strchr(ev->metric, '@');
	if (!at)
		return keep_text(&a->metric, ev->metric) && keep_text(&a->inst, ev->inst);
	char *name = strndup(ev->metric, (size_t)(at - ev->metric));
	bool ok = name && keep_text(&a->metric, name) && keep_text(&a->inst, at + 1);
	free(name);
	return ok;
}

/* Everything of ev into a.  False on ENOMEM (a is then incomplete). */
static bool copy_fill(struct notify_alert *a, const struct alert_event *ev)
{
	a->state = ev->state;
	a->severity = ev->severity;
	a->value = ev->value;
	a->warn = ev->warn;
	a->crit = ev->crit;
	a->time_to_impact_s = ev->time_to_impact_s;
	a->since_ms = ev->since_ms;
	a->fired_ms = ev->fired_ms;
	a->acked = ev->acked;
	a->silence_id = ev->silence_id;
	a->nhist = ev->nhist < ALERT_HIST_MAX ? ev->nhist : ALERT_HIST_MAX;
	if (a->nhist)
		memcpy(a->hist, ev->hist, a->nhist * sizeof(a->hist[0]));
	return keep_text(&a->rule, ev->rule) && keep_text(&a->summary, ev->summary) &&
	       keep_text(&a->device, ev->device) && copy_metric(a, ev) &&
	       keep_text(&a->unit, ev->unit) && keep_text(&a->tenant, ev->tenant) &&
	       keep_text(&a->site, ev->site) && keep_text(&a->room, ev->room) &&
	       keep_text(&a->kind, ev->kind) && keep_text(&a->ack_by, ev->ack_by) &&
	       keep_text(&a->ack_comment, ev->ack_comment) &&
	       keep_text(&a->silence_reason, ev->silence_reason) &&
	       keep_text(&a->suppressed_by, ev->suppressed_by) &&
	       keep_text(&a->breaks_through, ev->breaks_through);
}

/* Index of alert id, or of where it would go. */
static size_t copy_index(const struct notifier *n, int64_t id)
{
	size_t lo = 0, hi = n->nalerts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (n->alerts[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct notify_alert *notify_copy_find(const struct notifier *n, int64_t id)
{
	size_t i = copy_index(n, id);
	return i < n->nalerts && n->alerts[i]->id == id ? n->alerts[i] : NULL;
}

static void copy_drop(struct notifier *n, size_t i)
{
	copy_free(n->alerts[i]);
	memmove(&n->alerts[i], &n->alerts[i + 1], (n->nalerts - i - 1) * sizeof(n->alerts[0]));
	n->nalerts--;
}

static struct notify_alert *copy_insert(struct notifier *n, size_t i, int64_t id)
{
	struct notify_alert **v = vec_grow(n->alerts, &n->capalerts, n->nalerts, sizeof(*v), 16);
	if (!v)
		return NULL;
	n->alerts = v;
	struct notify_alert *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->id = id;
	memmove(&n->alerts[i + 1], &n->alerts[i], (n->nalerts - i) * sizeof(n->alerts[0]));
	n->alerts[i] = a;
	n->nalerts++;
	return a;
}

void notify_copy_update(struct notifier *n, const struct alert_event *ev)
{
	size_t i = copy_index(n, ev->alert_id);
	bool have = i < n->nalerts && n->alerts[i]->id == ev->alert_id;
	struct notify_alert *a = have ? n->alerts[i] : NULL;

	if (ev->state != ALERT_PENDING && ev->state != ALERT_FIRING) {
		if (have)
			copy_drop(n, i); /* ended: nothing reminds of it or lists it any more */
		return;
	}
	if (!a && !(a = copy_insert(n, i, ev->alert_id))) {
		log_warnx("notify", ev->device, "out of memory keeping alert %lld",
			  (long long)ev->alert_id);
		return;
	}
	if (!copy_fill(a, ev)) {
		log_warnx("notify", ev->device, "out of memory keeping alert %lld",
			  (long long)ev->alert_id);
		copy_drop(n, copy_index(n, ev->alert_id));
	}
}

void notify_copy_event(const struct notify_alert *a, enum alert_event_type type, int64_t ts_ms,
		       struct alert_event *ev)
{
	*ev = (struct alert_event){
		.type = type, .ts_ms = ts_ms, .alert_id = a->id, .rule = a->rule,
		.summary = a->summary, .device = a->device, .metric = a->metric, .inst = a->inst,
		.unit = a->unit, .tenant = a->tenant, .site = a->site, .room = a->room,
		.kind = a->kind, .state = a->state, .severity = a->severity,
		.prev_severity = a->severity, .value = a->value, .warn = a->warn, .crit = a->crit,
		.since_ms = a->since_ms, .fired_ms = a->fired_ms, .acked = a->acked,
		.ack_by = a->ack_by, .ack_comment = a->ack_comment, .silence_id = a->silence_id,
		.silence_reason = a->silence_reason, .suppressed_by = a->suppressed_by,
		.breaks_through = a->breaks_through, .time_to_impact_s = a->time_to_impact_s,
		.hist = a->hist, .nhist = a->nhist};
}

void notify_copy_suppressed(const struct notifier *n, const char *cause, char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < n->nalerts && used < len; i++) {
		const struct notify_alert *a = n->alerts[i];
		bool held = a->suppressed_by && strcmp(a->suppressed_by, cause) == 0;
		bool through = a->breaks_through && strcmp(a->breaks_through, cause) == 0;
		if (!held && !through)
			continue;
		char impact[160] = "";
		if (through)
			alert_impact_text(cause, a->time_to_impact_s, impact, sizeof(impact));
		int k = snprintf(buf + used, len - used, "%s %s%s%s (%s, %s%s%s)\n", a->device,
				 a->metric, a->inst ? "@" : "", a->inst ? a->inst : "",
				 cfg_severity_name(a->severity), alert_state_name(a->state),
				 through ? ", notified on its own: " : "", impact);
		used += k > 0 ? (size_t)k : 0;
	}
}

void notify_copy_free(struct notifier *n)
{
	for (size_t i = 0; i < n->nalerts; i++)
		copy_free(n->alerts[i]);
	free(n->alerts);
	n->alerts = NULL;
	n->nalerts = n->capalerts = 0;
}
