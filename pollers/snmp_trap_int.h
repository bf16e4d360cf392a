/* Private header of the trap receiver (pollers/snmp_trap*.c): the guard that keeps a
 * flood or a spoofing sender cheap -- admission per source address before a datagram
 * is parsed, the per-device re-poll hold-off, and the accounting of what was dropped
 * (dcmond self-metrics and one summary log line per interval). */
#ifndef DCMON_SNMP_TRAP_INT_H
#define DCMON_SNMP_TRAP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dcmon/poller.h"
#include "dcmon/snmp.h"

struct trap_guard;

/* A guard for env (loop, registry, repoll), with the limits of tc (copied).  Starts its
 * 1 s tick on env->loop (when set).  NULL when out of memory. */
struct trap_guard *trap_guard_new(const struct poller_env *env, const struct cfg_snmp_trap *tc);
void trap_guard_free(struct trap_guard *g);

/* Counts a datagram from `src` arriving at now_ms (monotonic) and says whether it may
 * be parsed: false when its source is over the rate limit in that second (it is then
 * counted as dropped). */
bool trap_guard_admit(struct trap_guard *g, const struct sockaddr *src, socklen_t len,
		      int64_t now_ms);

/* Counts a datagram dropped for `why`; `src` (text, may be "") is named in the summary. */
void trap_guard_drop(struct trap_guard *g, enum snmp_trap_drop why, const char *src);

/* Asks for a poll of `device` after a trap at now_ms (monotonic): at once if none was
 * asked for in the last repoll_min_interval, else one poll at the end of that interval
 * (a timer on env->loop; without a loop, none).  True if polled now. */
bool trap_guard_repoll(struct trap_guard *g, const char *device, int64_t now_ms);

uint64_t trap_guard_received(const struct trap_guard *g);
uint64_t trap_guard_dropped(const struct trap_guard *g, enum snmp_trap_drop why);

#endif
