/* The scheduler: polls each device at its interval, spread over the interval, never two
 * polls of one device at once, with backoff for unreachable devices.  Loop thread only.
 *
 * A device poll starts every poller instance of the device at once and ends when the
 * last one reports; its outcome sets the device's dev_status.
 */
#ifndef DCMON_SCHEDULER_H
#define DCMON_SCHEDULER_H

#include <stdbool.h>
#include <stdint.h>

#include "dcmon/api.h"
#include "dcmon/config.h"
#include "dcmon/poller.h"

struct sched;

/* env must outlive the scheduler; env->cfg may be changed between reloads. */
struct sched *sched_new(const struct poller_env *env, const struct poller_ops *const *pollers);
/* Cancels every poll in flight and frees every device.  NULL is a no-op. */
void sched_free(struct sched *s);

/* Creates the device's poller instances and schedules its first poll at a spread offset.
 * `keep` (may be NULL) is the status to carry over from before a reload.  The scheduler
 * keeps `dev` (it must live until sched_remove/sched_free or a later sched_add of the same
 * id).  Returns 0, -EEXIST, or -EINVAL with err filled when a poller cannot be created. */
int sched_add(struct sched *s, const struct cfg_device *dev, const struct dev_status *keep,
	      char *err, size_t errlen);
/* Cancels and frees a device; no-op when unknown. */
void sched_remove(struct sched *s, const char *id);
/* Starts a poll of the device now (e.g. after a trap); when one is running, another
 * starts as soon as it ends (the running one may have read the device before what the
 * trap announced).  Does not move its regular schedule.  Returns 0 or -ENOENT. */
int sched_poll_now(struct sched *s, const char *id);
/* Starts a poll of the device from the loop, as soon as it is back there (safe to call
 * from inside a metric or alert callback); no-op while one is running or already due. */
int sched_poll_soon(struct sched *s, const char *id);
/* True while a poll of the device is in flight (its values are still arriving). */
bool sched_polling(struct sched *s, const char *id);
/* fn(arg, id) is called when a poll of a device has ended (after its last value was
 * reported to the registry and its status set); NULL unsets. */
void sched_set_done_hook(struct sched *s, void (*fn)(void *arg, const char *id), void *arg);
/* fn(arg, id) is called when a poll of a device starts (it is polling and its
 * last_poll_ms is now), before any of its values is reported; NULL unsets. */
void sched_set_start_hook(struct sched *s, void (*fn)(void *arg, const char *id), void *arg);

/* Runtime status of a device, or NULL. */
const struct dev_status *sched_status(struct sched *s, const char *id);
size_t sched_count(const struct sched *s);

/* ---- pure scheduling arithmetic, exposed for tests ------------------------------- */

/* Offset in [0, interval) of a device's first poll, stable for a given id. */
int64_t sched_spread_offset(const char *id, int64_t interval_ms);
/* When a device added at now_ms polls first: now_ms + its spread offset, moved up to
 * a grid of step grid_ms when interval_ms is a multiple of it (the polls after it keep
 * to the grid: due + k x interval). */
int64_t sched_first_due(const char *id, int64_t now_ms, int64_t interval_ms, int64_t grid_ms);
/* Interval to use after `failures` consecutive unreachable polls: the base interval for
 * 0 or 1 failure, then doubling, capped at max_factor x interval. */
int64_t sched_backoff_interval(int64_t interval_ms, int failures, int max_factor);
/* The first slot prev_due + k*interval (k >= 1) that is after now; *skipped gets k - 1,
 * the slots missed (no catch-up bursts). */
int64_t sched_next_due(int64_t prev_due, int64_t now, int64_t interval_ms, uint64_t *skipped);

#endif
