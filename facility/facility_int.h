/* Private to facility/: the power/cooling dependency graph, prediction math, data
 * quality tracking.  Everything runs on the loop thread. */
#ifndef DCMON_FACILITY_INT_H
#define DCMON_FACILITY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/api_route.h"
#include "dcmon/config.h"

/* The facility part's API endpoints (api_facility.c), for its descriptor. */
extern const struct api_route facility_routes[];

/* ---- the dependency graph (fgraph.c) -------------------------------------------- */

#define FG_NONE ((size_t)-1)

/* One node: a device or a redundancy group. */
struct fnode {
	const char *id;               /* referenced from the cfg */
	const struct cfg_device *dev; /* NULL for a group */
	const struct cfg_facility *fac; /* device: facility_cfg_of(dev), looked up once, not
					 * by name at each report */
	int need;                     /* group: members that must work; device: unused */
	size_t *up, nup;              /* device: its feeds; group: its members (node indices) */
	size_t *down, ndown;          /* nodes this one feeds */
	bool standby;                 /* a standby source (generator): supplies only running */
	bool idle;                    /* standby and not running now: a spare, not a supply
	                               * (set by the caller before fgraph_eval) */
};

struct fgraph {
	const struct cfg *cfg; /* what it was built from: its device index finds nodes */
	struct fnode *v;
	size_t n;      /* devices first (cfg order), then groups */
	size_t *topo;  /* node indices, every feed before what it feeds */
};

/* Builds the graph of cfg's fed_by and groups.  NULL with err filled on an unknown
 * reference or a cycle ("fed_by cycle through a, b"). */
struct fgraph *fgraph_new(const struct cfg *cfg, char *err, size_t errlen);
void fgraph_free(struct fgraph *g);
/* Node index of id, or FG_NONE. */
size_t fgraph_find(const struct fgraph *g, const char *id);

enum fpower {
	FP_OK,              /* all feeds (members) work */
	FP_REDUNDANCY_LOST, /* still fed, but without a spare: one of A/B, or group at N */
	FP_LOST,            /* no working feed (group: fewer than N members work) */
};
const char *fpower_name(enum fpower p);

/* Per-node result of fgraph_eval. */
struct fstate {
	enum fpower power;
	size_t cause;  /* FP_LOST: the topmost failed node that explains it; a transfer
			* switch failed while its normal source is lost (still transferring to
			* the standby one): that source's cause; else FG_NONE */
	int alive;     /* feeds (members) that work */
};

/* From failed[] (per node: down itself, e.g. unreachable or a critical alert) and the
 * nodes' idle flags, derives every node's power state and root cause.  A device loses
 * power when none of its feeds supplies (working and not idle); with standby feeds it
 * has lost redundancy when fewer than two feeds work (no spare source), else when any
 * feed is gone.  out has g->n entries. */
void fgraph_eval(const struct fgraph *g, const bool *failed, struct fstate *out);
/* True if node i is failed or without power in st. */
bool fgraph_dark(const bool *failed, const struct fstate *st, size_t i);

/* ---- prediction math (predict.c) ---------------------------------------------------- */

/* A bounded time series (ring). */
#define FSERIES_MAX 256
struct fseries {
	int64_t ts[FSERIES_MAX]; /* wall ms */
	double v[FSERIES_MAX];
	size_t head, n;          /* oldest at (head + FSERIES_MAX - n) % FSERIES_MAX */
	int64_t run_ms;          /* fuel: engine run time accumulated, ms (the x pushed) */
};
void fseries_push(struct fseries *s, int64_t ts_ms, double v);
void fseries_clear(struct fseries *s);
/* Copies the samples not older than window_ms before the newest into ts/v (oldest
 * first, at most FSERIES_MAX); returns their count. */
size_t fseries_window(const struct fseries *s, int64_t window_ms, int64_t *ts, double *v);

/* Robust least-squares slope (units per second) of samples (ts ms, v): a fit, then a
 * refit without the points whose residual exceeds 3 median absolute residuals.
 * Returns 0, or -ENODATA with fewer than min_n points or a span below min_span_ms. */
int predict_slope(const int64_t *ts, const double *v, size_t n, size_t min_n,
		  int64_t min_span_ms, double *slope);

/* Burn-rate estimation of a draining level (fuel): only the samples after the last
 * rise by more than `step` (a refill) are used, and flat stretches of an engine at
 * rest are excluded by the caller passing only samples taken while running.
 * Returns the drain in units per second (> 0), or -ENODATA (too little data) or
 * -ERANGE (not draining). */
int predict_drain(const int64_t *ts, const double *v, size_t n, double step, double *per_s);

/* Diesel burn in liters per hour of a set rated `rating_kw` at `load_kw`, from the
 * load table in shared/domain/facility-facts.md 6.3 (interpolated in rating and load
 * fraction; specific consumption scaled from the nearest ratings).  NAN if unknown. */
double predict_burn_lph(double rating_kw, double load_kw);

/* Seconds until a level moving at slope (units/s) reaches limit from value; -ERANGE
 * when it does not move towards it. */
int predict_time_to(double value, double slope, double limit, double *seconds);

#endif

/* ---- the running part (facility.c, fderive.c, fquality.c) --------------------------- */

#include "dcmon/facility.h"

enum fault { FAULT_OK, FAULT_STALE, FAULT_FROZEN, FAULT_RANGE };

/* Which prediction series a metric feeds, decided once from its name and unit. */
enum fmet_series {
	FSER_NONE,
	FSER_FUEL, /* fuel_level_percent: litres against engine run time */
	FSER_TEMP, /* a celsius reading: time to the temperature limit */
	FSER_FS,   /* fs_used_percent: time until the filesystem is full */
};

/* What the facility keeps per metric (its sink slot points here): one per series, so
 * packed to 48 bytes in slabs of FMET_SLAB records, without a malloc chunk of its own
 * (docs/ARCHITECTURE.md "Memory per series"); what only a few metrics need is
 * elsewhere: a prediction series' samples and run clock in `ser` (allocated at its
 * first sample), the sensor_fault_state metric looked up by name while `faulted`. */
#define FMET_SAME_BITS 18 /* `same` saturates at 262,143: above frozen_polls' maximum */
struct fmet {
	struct metric *m;
	size_t node;          /* graph node of the device, FG_NONE if not in the config */
	double last;          /* last value seen (frozen check) */
	struct fseries *ser;  /* fuel (x = engine run time), temperatures, filesystems */
	int64_t last_ts;      /* ts of the previous report, wall ms */
	uint32_t idx;         /* position in facility.mets */
	unsigned same : FMET_SAME_BITS; /* consecutive reports equal to `last` (saturates) */
	enum fault fault : 2;
	enum fmet_series series : 2; /* prediction series it feeds */
	bool derived : 1;     /* put by the facility itself: never judged again */
	bool faulted : 1;     /* had a fault: its sensor_fault_state@key exists, is put */
	bool trap_state : 1;  /* the metric is trap_last_state (trap fusion) */
	bool from_traps : 1;  /* trap_received_total or trap_last_state: reported when a
	                       * trap comes, never polled, so its age is no sensor fault */
	bool moves : 1;       /* a gauge whose unit always jitters: may be frozen
	                       * (kind and unit are fixed for a metric's life) */
};

/* A trap's state waiting for the device's poll (ftrap.c). */
struct ftrap {
	struct ftrap *next;
	const struct metric *trap_m; /* the device's trap_last_state */
	size_t fusion;               /* which state it stands for (ftrap.c's table) */
	int64_t ts_ms;               /* when the trap came, wall ms */
};

/* A firing critical alert: its device counts as failed (facility_compute). */
struct fcrit {
	int64_t alert_id;
	char *device;
};

struct facility {
	struct facility_env env;
	int slot;                 /* sink slot */
	struct fgraph *g;
	bool *failed;             /* per node (then n bytes of tick scratch) */
	bool *unreachable;        /* per node: as the scheduler said when failed was set */
	struct fstate *st;        /* per node */
	int64_t computed_ms;      /* when failed/st were computed */
	/* the suppression answer, per device, as the engine reads it (the pipeline hands
	 * it over): rewritten wherever st moves, so it never waits for a question */
	struct alert_suppression *supp;
	size_t *told;             /* per node: the cause written to supp, FG_NONE if none */
	struct fcrit *crit;       /* firing critical alerts, as the change bus told */
	size_t ncrit, capcrit;
	int64_t *due_ms;          /* per node: next derived report of the node (a poll's end
				   * puts it off), then per node: next per-metric work */
	/* the metrics' records, k-th at fmet_at(f, k): slabs of FMET_SLAB, never moved
	 * (a record is moved only to fill the hole a freed one leaves, its metric's slot
	 * rewritten) */
	struct fmet **mets;
	size_t nmets, nslabs;
	/* per record k: the node the tick derives it for, MET_NODE_NONE when derived or
	 * outside the graph; a flat array, so the once-a-second walk over every metric
	 * reads 4 bytes per metric instead of following each pointer */
	uint32_t *met_node;
	/* facility_chain's scratch, per node: seen (all false between calls) and the
	 * breadth-first queue of both walks (n + 1: the start is queued by each) */
	bool *chain_seen;
	size_t *chain_queue;
	struct loop_timer *timer;
	struct ftrap *traps;      /* traps waiting for their device's poll: a few at most */
};

/* Trap/poll fusion (ftrap.c).  A new trap_last_state value m: a known trap's state
 * waits for the device's next poll. */
void ftrap_report(struct facility *f, const struct metric *m);
/* A poll of device ended: a trap it answers is settled; a trap the device gave no
 * answer to (unreachable, point in error) sets the polled state. */
void ftrap_polled(struct facility *f, const char *device, int64_t now_ms);
/* m (a trap_last_state) is going away. */
void ftrap_forget(struct facility *f, const struct metric *m);
void ftrap_free(struct facility *f);

/* fquality.c: data quality of one report (updates fm->fault). */
void fquality_report(struct facility *f, struct fmet *fm, const struct metric *m);
/* After fquality_report(): is this report not to be judged by thresholds (out of
 * physical range, or a new value of a frozen point)? */
bool fquality_unjudged(const struct fmet *fm, const struct metric *m);
/* fderive.c: is the generator's engine running (engine_state, else speed, else power;
 * unknown counts as running)? */
bool fderive_engine_running(struct facility *f, const char *dev);
/* fquality.c: readings in this unit always jitter a little when the sensor is alive. */
bool fquality_unit_moves(const char *unit);
/* fderive.c: node i's report interval (its device's, else the daemon's). */
int64_t facility_node_interval(const struct facility *f, size_t i);
/* fderive.c: derived metrics of node i at now_ms. */
void fderive_node(struct facility *f, size_t i, int64_t now_ms);
/* fderive.c: derived metrics of one metric (sensor fault, time to limit / full). */
void fderive_metric(struct facility *f, struct fmet *fm, int64_t now_ms);
/* fderive.c: a series sample of a report the predictions use (fuel, temp, fs). */
void fderive_sample(struct facility *f, struct fmet *fm, const struct metric *m);
/* Finds or creates a derived metric of device at interval; NULL on failure (logged). */
struct metric *facility_metric(struct facility *f, const char *device, const char *name,
			       const char *unit, int kind, const char *inst_label, const char *inst,
			       int64_t interval_ms, const struct metric_enum *enums, size_t nenums);
/* Puts v (or the error `why` when why != NULL) into derived metric m. */
void facility_put(struct facility *f, struct metric *m, int64_t now_ms, double v,
		  const char *why);
/* Is the device unreachable as the scheduler sees it (false when unknown)? */
bool facility_dev_unreachable(const struct facility *f, const char *device);
/* Recomputes failed/st from device status and the firing critical alerts (f->crit),
 * and writes the causes that moved to f->supp. */
void facility_compute(struct facility *f, int64_t now_ms);
