/* The contract between the scheduler and the pollers.
 *
 * One poller = one file in pollers/ = one const ops table, listed in
 * pollers/registry.c (or one of another part's, mqtt's); the config keys it reads are
 * in its ops table too.  For each device, every poller whose wants() is true gets an
 * instance; a device poll starts all of them at once and ends when each has called
 * poll_job_done().  The scheduler never starts a device's next poll before that.
 *
 * Everything here runs on the loop thread.  A poller that needs a blocking library
 * hands the work to env->wq and reports back through loop_post().
 */
#ifndef DCMON_POLLER_H
#define DCMON_POLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/config.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"

struct workq;
struct cfg_key;
struct cfgnode;
struct cfg_diags;

enum poll_outcome {
	POLL_OK,          /* everything read */
	POLL_PARTIAL,     /* the device answered, some points failed */
	POLL_UNREACHABLE, /* the device did not answer at all (timeout, refused, no route) */
	POLL_ERROR,       /* local failure (socket, memory); not the device's fault */
	POLL_CANCELLED,
};
const char *poll_outcome_name(enum poll_outcome o);

/* What a poller instance may use.  Outlives every instance. */
struct poller_env {
	struct loop *loop;
	struct metric_reg *reg;
	struct workq *wq;       /* shared pool for blocking work */
	const struct cfg *cfg;  /* the config the instance was created from */
	/* Asks for an immediate poll of a device (e.g. on an SNMP trap); NULL if the
	 * scheduler offers none.  Loop thread. */
	void (*repoll)(void *arg, const char *device_id);
	void *repoll_arg;
};

/* One poll of one poller for one device, handed to start(). */
struct poll_job {
	int64_t ts_ms;       /* wall clock at poll start: the samples' timestamp */
	int64_t deadline_ms; /* monotonic time by which the poll must have ended */
	/* Set by the scheduler: called once by poll_job_done(). */
	void (*done)(struct poll_job *job, enum poll_outcome outcome, const char *reason);
	void *owner;
};

/* Ends a poll.  reason may be NULL (OK) or a short text ("timeout", "EHOSTUNREACH"). */
static inline void poll_job_done(struct poll_job *job, enum poll_outcome outcome,
				 const char *reason)
{
	job->done(job, outcome, reason);
}

struct poller_ops {
	const char *name; /* "tcp", "snmp", "modbus" */
	/* True if the device's config asks for this poller. */
	bool (*wants)(const struct cfg_device *dev);
	/* Creates the per-device instance, registering its metrics.  NULL on failure, with
	 * the reason written to err. */
	void *(*create)(const struct poller_env *env, const struct cfg_device *dev, char *err,
			size_t errlen);
	/* Starts one poll.  Must not block; must call poll_job_done() exactly once (it may
	 * do so before returning) unless cancel() is called first. */
	void (*start)(void *inst, struct poll_job *job);
	/* Aborts an in-flight poll; poll_job_done() is not called afterwards.  No-op when
	 * idle. */
	void (*cancel)(void *inst);
	/* Frees an idle (or cancelled) instance; NULL is a no-op. */
	void (*free)(void *inst);
	/* The device's config the poller reads, brought to the config by its part
	 * (dcmon/part.h, pollers): sections appended to a device's keys and sections, lists
	 * and values appended to its `checks:` keys, each with the offset CFG_PART_SECTION
	 * (kept in a slot of the device, read with cfg_device_section, cfg_device_list,
	 * cfg_device_value); NULL-terminated, or NULL for none. */
	const struct cfg_key *device_keys;
	const struct cfg_key *check_keys;
	/* The cross-checks of those keys that need the whole device (a check's host that
	 * defaults to the device's), errors at the positions of node, the device's map;
	 * run when the device is decoded.  NULL for none. */
	void (*device_check)(const struct cfg_device *dev, const struct cfgnode *node,
			     struct cfg_diags *d);
	/* Gives what those keys leave unset the device's values, once its interval and
	 * timeout are resolved (a check's timeout that defaults to the device's); run when
	 * the config is loaded, after decoding.  NULL for none. */
	void (*device_resolve)(struct cfg_device *dev);
	/* What the poller needs of dcmond's privileges (dcmon/daemon_priv.h), asked as
	 * daemon.user just before root goes: NULL, or why CAP_NET_RAW must stay on the loop
	 * thread, said at the end of the log line of the drop.  NULL for nothing. */
	const char *(*net_raw_needed)(void);
	/* Says in the log at start, once root is gone, whether the checks of cfg it polls
	 * can work with the privileges left, and how to grant them if not.  NULL for
	 * nothing to say. */
	void (*start_note)(const struct cfg *cfg);
	/* For a poller that does no I/O to start (its values come by themselves: MQTT),
	 * the step of the grid its devices' polls start on: with 1000, on the whole seconds
	 * of the loop's ticks, in their wake-up.  0: the scheduler's own grid, fine enough
	 * to spread a poll's requests. */
	int64_t start_grid_ms;
};

/* NULL-terminated list of every poller built in. */
extern const struct poller_ops *const poller_registry[];

#endif
