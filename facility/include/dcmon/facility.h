/* Facility intelligence: power/cooling-chain suppression and redundancy, predictions as
 * metrics, data quality, trap/poll fusion and facility test mode (docs/FACILITY.md).
 *
 * The facility is two stages of the daemon's pipeline (daemon/pipeline.h): before the
 * rule engine it judges a report's quality (frozen or out-of-range points are not
 * judged by thresholds: facility_quality), after it it takes the report's samples for
 * its predictions and trap fusion (facility_derive).  It follows the firing critical
 * alerts on the change bus (their devices count as failed) and keeps current, per
 * device, which failed upstream device explains its alerts (facility_suppression: the
 * pipeline hands that map to the engine as its suppression input, and the alerts so
 * explained are held and show `suppressed_by`).  It never calls the engine.  Derived
 * metrics (redundancy_state, sensor_fault_state, runtime and time-to-limit
 * predictions) are put into the registry on its own 1 s timer, so they are archived,
 * shown and usable in rules like any other metric.
 *
 * Threads: everything on the loop thread.
 *
 * Daemon wiring (the part's descriptor, facility_part.c, makes, reloads and frees it):
 *     f = facility_new(&(struct facility_env){...}, err, sizeof(err));
 *     pipeline_new(...)   // hands it the reports, in order with the engine, and its
 *                         // suppression map to the engine
 *     SIGHUP: facility_reload(f, new_cfg);  // before the scheduler takes the devices
 *     exit: pipeline_free(), then facility_free(f), before the engine
 */
#ifndef DCMON_FACILITY_H
#define DCMON_FACILITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"

struct loop;
struct facility;
struct dcmon_part;
/* facility/facility_part.c; its state is the struct facility */
extern const struct dcmon_part facility_part;

/* A device's `facility:` section (docs/FACILITY.md): what the predictions and the data
 * quality need, the part's own (a slot of the device, facility_cfg.c).  NAN / CFG_UNSET
 * when not given. */
struct cfg_facility {
	double tank_liters;   /* generator: usable fuel at 100 % level, liters */
	double rating_kw;     /* generator: rated output, kW (load-dependent burn rate) */
	int64_t takeover_ms;  /* UPS: time generators + transfer switch need to take the load */
	double temp_limit;    /* inlet / temperature limit for time-to-limit, celsius */
	int frozen_polls;     /* polls a moving value may stay identical before it is frozen;
	                       * 0 = no frozen check (default) */
	int64_t burn_window_ms; /* generator: window of the burn-rate slope, default 30 min */
	bool standby;         /* generator: a standby source, supplying only while its engine
	                       * runs (healthy but stopped = a spare, not a supply) */
};
/* The part's device keys (the `facility:` section), for its descriptor. */
extern const struct cfg_key facility_device_keys[];
/* dev's `facility:` section, or every key unset when it has none; never NULL. */
const struct cfg_facility *facility_cfg_of(const struct cfg_device *dev);

struct facility_env {
	struct loop *loop;
	struct metric_reg *reg;
	struct change_bus *bus; /* alert changes (the firing critical ones); may be NULL */
	const struct cfg *cfg;
	/* runtime state of a device (the scheduler's), NULL if unknown */
	const struct dev_status *(*dev_status)(void *arg, const char *device_id);
	void *arg;
};

/* Builds the dependency graph, takes a per-metric slot on env->reg, subscribes to
 * env->bus, starts the 1 s timer.  NULL with err filled on failure. */
struct facility *facility_new(const struct facility_env *env, char *err, size_t errlen);
/* Unsubscribes and frees; NULL is a no-op. */
void facility_free(struct facility *f);
/* Switches to a new (valid) config.  Returns 0 or -ENOMEM (the old one stays then). */
int facility_reload(struct facility *f, const struct cfg *cfg);
/* The pipeline's quality stage, before the rule engine: the report of m as the
 * facility judges it (stale, frozen, out of range: sensor_fault_state).  True when it
 * is not to be judged by thresholds. */
bool facility_quality(struct facility *f, const struct metric *m);
/* The pipeline's derivation stage, after the rule engine: trap fusion and the samples
 * of the predictions.  Derived values it puts are reports of their own. */
void facility_derive(struct facility *f, const struct metric *m);
/* The periodic work (the timer calls it; tests call it with their own clock). */
void facility_tick(struct facility *f, int64_t now_ms);
/* A device's poll has ended: its derived values (fuel runtime, takeover margin, power
 * redundancy) are computed from these readings now, and the tick's report of them put
 * off, so a prediction never lags the reading it rests on.  A trap waiting for this
 * poll (trap/poll fusion) is settled: the device's answer stands, or the trap's state
 * when the poll got none. */
void facility_device_polled(struct facility *f, const char *device, int64_t now_ms);
/* The wall clock stepped by step_ms (< 0 back): due times and the times of the trend
 * series move with it, so trends and run times count elapsed time.  NULL is a no-op. */
void facility_clock_stepped(struct facility *f, int64_t step_ms);
/* The device or group whose failure explains alerts of `device` now, or NULL. */
const char *facility_suppressed_by(struct facility *f, const char *device, int64_t now_ms);
/* The same answer for every device, as a map kept current (dcmon/alert.h, the engine's
 * suppression input): an entry moves as soon as what it rests on does, that is when an
 * alert starts or stops firing critical (heard on the bus, so within the engine's own
 * publication), when a poll's end finds a device unreachable or answering again
 * (facility_device_polled), when a report starts or stops a standby source
 * (facility_quality), at a reload (and its CHANGE_CONFIG) and at the tick.  Valid until
 * facility_free(); the strings in it until the next reload. */
const struct alert_suppression *facility_suppression(const struct facility *f);

/* ---- impact: what depends on a device (from the config alone) ---------------------- */

/* Calls fn(arg, dev) once for every device upstream of `device` (its feeds, through
 * groups, to the sources) and downstream of it (what it feeds, to the leaves); fn must
 * not call facility_chain itself.  Returns 0 or -ENOENT (not in the graph). */
int facility_chain(struct facility *f, const char *device,
		   void (*fn)(void *arg, const struct cfg_device *dev), void *arg);

struct facility_impact {
	const char **dependents;      /* every device/group downstream, nearest first */
	size_t ndependents;
	const char **lose_power;      /* would be without power if the device failed */
	size_t nlose_power;
	const char **lose_redundancy; /* would still be fed, but without a spare */
	size_t nlose_redundancy;
	const char **feeds;           /* what the device itself is fed by */
	size_t nfeeds;
};
/* Fills *out (strings point into cfg).  Returns 0, -ENOENT (no such device or group),
 * -EINVAL (the graph cannot be built, err filled) or -ENOMEM. */
int facility_impact(const struct cfg *cfg, const char *id, struct facility_impact *out,
		    char *err, size_t errlen);
void facility_impact_free(struct facility_impact *im);

/* ---- test mode ---------------------------------------------------------------------- */

/* Starts a test window (generator test run, UPS battery test, load-bank test) on one
 * asset: a silence of every alert of `device` for for_ms, recorded in the audit log as
 * "test-mode".  It ends by itself; whatever is still wrong then is notified.
 * `what` names the test ("generator-test"), reason is required.  Sets *id (the silence).
 * Returns 0, -ENOENT (unknown device) or -EINVAL with err filled. */
int facility_test_mode(struct alert_engine *e, const struct cfg *cfg, const char *device,
		       const char *what, int64_t for_ms, const char *reason,
		       const struct alert_actor *by, int64_t now_ms, int64_t *id, char *err,
		       size_t errlen);

#endif
