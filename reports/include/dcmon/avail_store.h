/* The history availability is computed from (docs/REPORTS.md, "What is stored").
 *
 * reports.db, in daemon.state_dir, holds what no other file keeps:
 *   runs(start_ms, seen_ms)   each run of dcmond: when it started and when it was last
 *                             known alive (a heartbeat every AVAIL_HEARTBEAT_MS, and the
 *                             clean stop), so the time dcmond was not running is exact
 *                             to the heartbeat;
 *   down(object, device, start_ms, end_ms, root)
 *                             a state-interval table: each span an object (a check,
 *                             device/metric[:instance]) had a critical alert firing,
 *                             with the facility's suppression root when it started
 *                             under one; written from the change bus; a device whose
 *                             polls end unreachable with no critical alert firing is
 *                             down as its check "device/unreachable";
 *   degraded(device, start_ms, end_ms)
 *                             each span a device's polls ended degraded (some of its
 *                             pollers answered): up, but reported apart;
 *   notes(incident, ts_ms, who, text)  operators' notes on incidents (audited);
 *   mailed(month, ts_ms)      the months whose report was mailed (monthly mail), so a
 *                             restart neither skips nor repeats one.
 * Maintenance and test-mode windows are alerts.db's silences (read, not copied).
 *
 * The recorder runs on the loop thread; the readers open their own read-only
 * connections and may run on any thread.
 */
#ifndef DCMON_AVAIL_STORE_H
#define DCMON_AVAIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/avail.h"
#include "dcmon/change.h"
#include "dcmon/config.h"

#define AVAIL_HEARTBEAT_MS 60000 /* how often a run's seen_ms moves: unknown's precision */
#define AVAIL_DB_NAME "reports.db"
#define AVAIL_RETENTION_DEFAULT_MS (400LL * 86400000) /* daemon.reports.retention */
#define AVAIL_PRUNE_BATCH 2000          /* rows of a table removed at most per tick */
#define AVAIL_PRUNE_EVERY_MS 3600000    /* retention's look once caught up */
/* The check of a device's down spans while it does not answer at all (its polls end
 * unreachable) and no critical alert has it down: object "device/unreachable". */
#define AVAIL_UNREACHABLE_CHECK "unreachable"
/* The key of a device's open degraded span in the recorder's memory: "device/degraded"
 * (its rows are in the table degraded, not down). */
#define AVAIL_DEGRADED_KEY "degraded"

/* ---- recording (dcmond) ------------------------------------------------------------ */

/* The device whose failure explains device's (the suppression root), or NULL. */
typedef const char *(*avail_root_fn)(void *arg, const char *device, int64_t now_ms);

struct avail_recorder;

/* Opens <state_dir>/reports.db, closes the spans a previous run left open at its last
 * heartbeat, starts a run at now_ms and subscribes to the alert and device (poll end)
 * changes of bus.  NULL
 * with err filled on failure. */
struct avail_recorder *avail_recorder_new(const char *state_dir, struct change_bus *bus,
					  avail_root_fn root, void *root_arg, int64_t now_ms,
					  char *err, size_t errlen);
/* The suppression root of the devices' spans from now on (the composition root's, from
 * the facility; none until set). */
void avail_recorder_set_root(struct avail_recorder *r, avail_root_fn root, void *root_arg);
/* Records the devices of cfg as configured (polled) from now_ms, and the end of those
 * that are no more: a device outside them is unknown in reports, and every span of it
 * still open (an alert's, unreachable, degraded) ends at now_ms, since no transition
 * of it will come.  At the start and at each reload. */
void avail_recorder_devices(struct avail_recorder *r, const struct cfg *cfg, int64_t now_ms);
/* Spans, runs and notes that ended more than retention_ms ago are removed (0: none);
 * the recorder starts with none. */
void avail_recorder_set_retention(struct avail_recorder *r, int64_t retention_ms);
/* Moves the run's heartbeat when AVAIL_HEARTBEAT_MS have passed, tries the writes held
 * on a full disk again and runs retention; call every second. */
void avail_recorder_tick(struct avail_recorder *r, int64_t now_ms);
/* Reports how reports.db is doing at each tick as dcmond's state_store_state,
 * state_held_count and state_lost_count{file=reports.db} in reg (dcmon/state_health.h),
 * so that the default rule state-disk-full alerts when its writes are held. */
struct metric_reg;
void avail_recorder_set_registry(struct avail_recorder *r, struct metric_reg *reg);
/* The last month reports.db records as mailed ("2026-11"), "" when none (a first run:
 * the monthly mail's schedule, dcmon/notify_sched.h, then starts counting). */
void avail_recorder_last_mailed(struct avail_recorder *r, char month[AVAIL_MONTH_LEN]);
/* Records month as mailed (once its messages are in the notifier's spool). */
void avail_recorder_month_mailed(struct avail_recorder *r, const char *month, int64_t now_ms);
/* Ends the run at now_ms (a clean stop), unsubscribes and frees.  NULL is a no-op. */
void avail_recorder_free(struct avail_recorder *r, int64_t now_ms);

/* ---- reading ----------------------------------------------------------------------- */

/* One down span of one object. */
struct avail_down {
	char *object;     /* "device/metric" or "device/metric:instance" */
	char *device;
	char *root;       /* suppression root device, or NULL */
	int64_t start_ms, end_ms; /* end_ms: the read's now when still open */
};

/* A maintenance or test-mode window: a silence; a NULL field matches anything. */
struct avail_window {
	char *device, *site, *tenant, *kind, *metric;
	int64_t start_ms, end_ms;
};

/* An operator's note on an incident (its id: "ROOT@START_MS"). */
struct avail_note {
	char *incident, *who, *text;
	int64_t ts_ms;
};

struct avail_history {
	struct avail_down *down;
	size_t ndown;
	struct avail_window *planned;
	size_t nplanned;
	struct avail_spans runs; /* when dcmond ran, normalized to the period */
	struct avail_note *notes;
	size_t nnotes;
	/* When each device was in dcmond's configuration (polled), by device then start;
	 * only device, start_ms and end_ms are set.  Before configured_since (the first
	 * such record; INT64_MAX when none) every device counts as configured. */
	struct avail_down *configured;
	size_t nconfigured;
	int64_t configured_since;
	/* When each device's polls ended degraded (some pollers answered), by device then
	 * start; only device, start_ms and end_ms are set. */
	struct avail_down *degraded;
	size_t ndegraded;
};

/* Reads what touches [from, to) from state_dir's reports.db and alerts.db (either may be
 * missing: no history).  Returns 0, or a negative errno with err filled. */
int avail_history_read(const char *state_dir, int64_t from_ms, int64_t to_ms,
		       int64_t now_ms, struct avail_history *h, char *err, size_t errlen);
void avail_history_free(struct avail_history *h);
/* Adds to h->planned the windows of alerts.db's weekly silences in [from, to) (a deleted
 * one's up to its deletion).  Loop thread only: they are computed in the silence's time
 * zone, which switches the process's (alert_weekly_windows); so the API reads them
 * before it hands a report to a worker.  0, or a negative errno with err filled. */
int avail_history_read_weekly(const char *state_dir, int64_t from_ms, int64_t to_ms,
			      struct avail_history *h, char *err, size_t errlen);
/* Moves from's planned windows to the end of h's (from keeps empty slots to free).
 * 0 or -ENOMEM. */
int avail_history_take_planned(struct avail_history *h, struct avail_history *from);

/* Appends an operator's note to an incident.  Returns 0 or a negative errno with err. */
int avail_note_add(const char *state_dir, const char *incident, const char *who,
		   const char *text, int64_t now_ms, char *err, size_t errlen);

#endif
