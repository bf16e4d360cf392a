/* Private to the reports part. */
#ifndef DCMON_REPORTS_INT_H
#define DCMON_REPORTS_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/api_route.h"
#include "dcmon/authz.h"
#include "dcmon/avail.h"
#include "dcmon/avail_report.h"
#include "dcmon/avail_store.h"
#include "dcmon/config.h"

/* {"availability", "up_s", "unplanned_s", "planned_s", "unknown_s", "known_s",
 *  "budget_s", "used_s", "left_s"}; NULL when out of memory. */
json_t *reports_figures_json(const struct avail_figures *f);
/* "2026-11-01T00:00:00Z" */
void reports_iso_time(int64_t ms, char *buf, size_t len);

/* Adds "outages" to out: the incidents of h in [from, to) among the devices of scopes
 * (NULL: all), one per suppression root (or device) and overlapping time, with their
 * affected objects and notes.  0 or -ENOMEM. */
int reports_outages_json(const struct cfg *cfg, const enum authz_scope *scopes,
			 const struct avail_history *h, int64_t from, int64_t to, json_t *out);

/* The API endpoints. */
void api_get_availability(const struct api_ctx *ctx, struct api_response *resp);
void api_post_outage_note(const struct api_ctx *ctx, struct api_response *resp);

/* The rule engine whose audit log records the part's changes (in its state, ctx->part:
 * dcmon/part.h); NULL when not running. */
static inline struct alert_engine *reports_audit_of(const struct api_ctx *ctx)
{
	const struct reports_part_state *st = ctx->part;
	return st ? st->audit : NULL;
}

#endif
