/* How dcmond's own state files are doing, as metrics of the synthetic device `dcmond`,
 * so that the default rules state-disk-full and state-lost (etc/profiles/defaults.yaml)
 * alert on them like on any device: alerting's (alerts.db, notify.db) and the reports
 * part's (reports.db).  Loop thread. */
#ifndef DCMON_STATE_HEALTH_H
#define DCMON_STATE_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/metric.h"

#define STATE_HEALTH_DEVICE "dcmond"

/* The metrics of one state file (instance `file`: "alerts.db", "notify.db",
 * "reports.db"). */
struct state_health {
	struct metric *m_state; /* state_store_state: ok, or full (held in memory) */
	struct metric *m_held;  /* state_held_count: writes or items held in memory */
	struct metric *m_lost;  /* state_lost_count: lost since start, past the bound */
	int64_t last_sec;       /* wall-clock second of the last values */
};

/* Registers the metrics of file (no-op without a registry). */
void state_health_init(struct state_health *h, struct metric_reg *reg, const char *file);
/* Reports the file's condition, at most once per wall-clock second. */
void state_health_put(struct state_health *h, struct metric_reg *reg, int64_t now_ms,
		      bool full, size_t held, uint64_t lost);

#endif
