/* The event store's own state as metrics of the device `dcmond`, so that the default
 * rules (etc/profiles/defaults.yaml) raise an alert before the disk bound removes
 * anything within retention, and when it did. */
#include "events_int.h"

#include "dcmon/metric.h"

#define EVENT_HEALTH_DEVICE      "dcmond"
#define EVENT_HEALTH_INTERVAL_MS 10000 /* stale after 2.5 intervals without a report */

static struct metric *health_metric(struct metric_reg *reg, const char *name,
				    enum metric_kind kind, const char *unit)
{
	static const struct metric_enum states[] = {{0, "ok"}, {1, "near_bound"}};
	struct metric_desc d = {.name = name, .unit = unit, .kind = kind,
				.interval_ms = EVENT_HEALTH_INTERVAL_MS};
	if (kind == METRIC_STATE) {
		d.enums = states;
		d.nenums = 2;
	}
	return metric_reg_get(reg, EVENT_HEALTH_DEVICE, &d);
}

void event_store_report(struct event_store *s, struct metric_reg *reg, int64_t now_ms)
{
	struct event_store_stats st;
	struct metric *m;

	if (!s || !reg)
		return;
	event_store_get_stats(s, &st);
	if ((m = health_metric(reg, "events_store_used_percent", METRIC_GAUGE, "percent")))
		metric_put(reg, m, now_ms, st.used_percent);
	if ((m = health_metric(reg, "events_store_state", METRIC_STATE, "")))
		metric_put(reg, m, now_ms, st.near_bound ? 1 : 0);
	if ((m = health_metric(reg, "events_evicted_count", METRIC_GAUGE, "")))
		metric_put(reg, m, now_ms, (double)st.partitions_evicted);
	if ((m = health_metric(reg, "events_refused_count", METRIC_GAUGE, "")))
		metric_put(reg, m, now_ms, (double)(st.dropped_queue + st.write_errors));
}
