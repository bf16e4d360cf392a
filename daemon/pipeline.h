/* The one-way pipeline every report runs through (docs/ARCHITECTURE.md, "The flow of a
 * sample"):
 *
 *   1. the registry takes the value (metric_put: rates, NaN, staleness);
 *   2. the facility attaches quality (facility_quality: frozen, out of range) and
 *      suppression: the map it keeps current of each device's cause
 *      (facility_suppression), handed once to the engine as its suppression input,
 *      which the engine reads and never asks (a report that starts or stops a standby
 *      source moves it here, before the engine judges the report; an alert turning
 *      critical moves it while the engine publishes it);
 *   3. the rule engine decides (alert_engine_report), publishing every alert change on
 *      the bus; then the facility takes the samples its predictions and trap fusion
 *      need (facility_derive: derived values are reports of their own, through 1-4);
 *   4. the report itself is published (CHANGE_METRIC) to the bus's subscribers.
 *
 * The pipeline is the one registry sink that sees reports for the facility and the
 * engine, so their order is this file's, not that of sink registration.  Either part
 * may be NULL (a test of one part, a daemon without rules).  Loop thread only.
 */
#ifndef DCMON_PIPELINE_H
#define DCMON_PIPELINE_H

#include "dcmon/alert.h"
#include "dcmon/change.h"
#include "dcmon/facility.h"
#include "dcmon/metric.h"

struct pipeline_env {
	struct metric_reg *reg;
	struct facility *facility;  /* may be NULL */
	struct alert_engine *alerts; /* may be NULL; attached to reg here (its slot) */
	struct change_bus *bus;     /* may be NULL */
};

struct pipeline;

/* Registers the pipeline on env->reg, the engine's slot, and the facility's
 * suppression map as the engine's input.  NULL when out of memory or sink slots. */
struct pipeline *pipeline_new(const struct pipeline_env *env);
/* Takes the facility's map from the engine and frees (the registry keeps the sink: free
 * the pipeline after the registry's last report, and before the facility).  NULL is a
 * no-op. */
void pipeline_free(struct pipeline *p);

#endif
