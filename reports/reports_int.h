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

/* {"availability", "up_s", "unplanned_s", "planned_s", "degraded_s" (of up_s),
 *  "unknown_s", "known_s", "budget_s", "used_s", "left_s"}; NULL when out of memory. */
json_t *reports_figures_json(const struct avail_figures *f);
/* "2026-11-01T00:00:00Z" */
void reports_iso_time(int64_t ms, char *buf, size_t len);

/* Adds "outages" to out: the incidents of h in [from, to) among the devices of scopes
 * (NULL: all), one per suppression root (or device) and overlapping time, with their
 * affected objects and notes.  0 or -ENOMEM. */
int reports_outages_json(const struct cfg *cfg, const enum authz_scope *scopes,
			 const struct avail_history *h, int64_t from, int64_t to, json_t *out);

/* A reply built on the worker pool and answered when done (a report, a status page):
 * the first member of its job, which is kept in its list (loop thread only) while the
 * work runs, so that the stop can answer what never came back. */
struct workq;
struct reports_later {
	struct reports_later *next;
	struct reports_later_list *list;
	struct api_later *later;
	struct api_response resp;               /* made by the work, on a worker */
	void (*free_job)(struct reports_later *); /* frees the job (resp is freed here) */
};
struct reports_later_list {
	struct reports_later *head;
	int n;
};
/* Answers resp later: job->free_job set, the job is added to l and work(job) runs on
 * wq; then, on the loop thread, resp is sent and the job freed.  Without memory for the
 * later reply the job is freed and resp answered 503 now. */
void reports_later_run(struct reports_later_list *l, struct workq *wq, void (*work)(void *),
		       struct reports_later *job, struct api_response *resp);
/* Answers every job of l 503 "dcmond is stopping" (the worker pool is gone). */
void reports_later_drop(struct reports_later_list *l);

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
