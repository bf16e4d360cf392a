/* How long a fired alert's first notification waits for the devices on its power or
 * cooling chain (facility_chain: fed_by, through groups and unpolled devices such as
 * racks) to report (alert_engine_set_settle): upstream ones, so that a root cause polled a moment later
 * still suppresses it; downstream ones, so that a root's e-mail lists what it took down
 * instead of what happened to have reported yet. */
#ifndef DCMON_CHAIN_SETTLE_H
#define DCMON_CHAIN_SETTLE_H

#include <stdbool.h>
#include <stdint.h>

struct facility;
struct sched;

/* For `device`: returns the settle window in ms (the longest interval plus
 * timeout of the polled devices up- and downstream of it; 0 when there are none) and
 * sets *reported when each of them has completed a poll that started at or after
 * since_ms.  Such a device idle since before since_ms is asked to poll now
 * (sched_poll_soon), so the wait is usually one round trip, not one interval. */
int64_t chain_settle(struct facility *f, struct sched *s, const char *device,
		     int64_t since_ms, bool *reported);

#endif
