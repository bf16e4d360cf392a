/* The address a ping, tcp or snmp check probes, at each poll (poll_target.c).  Private to
 * pollers/.
 *
 * Without the device's `address_guard:` (dcmon/addr_guard.h) the host is resolved once,
 * when the target is made (a name may block the caller then), and every poll probes that
 * address.  With it, the host is resolved at each poll (a name on the worker pool, never
 * on the loop), and only an address the guard admits is handed to the poller: the first
 * one admitted of those the name resolves to.  None admitted, the poll gets the refusal
 * ("<host> resolves to <addr>: " NET_REFUSED_BY_ALLOW_DENY) and sends nothing; the
 * check's PROBE_ADDRESS_METRIC reports what was judged.  Loop thread only. */
#ifndef DCMON_POLL_TARGET_H
#define DCMON_POLL_TARGET_H

#include <sys/socket.h>

#include "dcmon/poller.h"

struct poll_target;

/* The poll's address (port set), or NULL and why: the resolver's error, a refusal
 * (NET_REFUSED_BY_ALLOW_DENY), "timeout" at the poll's deadline. */
typedef void (*poll_target_fn)(void *arg, const struct sockaddr *sa, socklen_t len,
			       const char *why);

/* The target host:port (port 0 for ICMP) of the check named `check` (the metric's
 * instance: "ping", "tcp:443", "snmp") of dev.  NULL when out of memory or when the
 * registry refuses the check's metric. */
struct poll_target *poll_target_new(const struct poller_env *env, const struct cfg_device *dev,
				    const char *host, int port, const char *check);
/* Calls fn(arg, ...) once with the address job's poll probes, at the latest at the job's
 * deadline; possibly before it returns (a numeric host, no guard, a failure). */
void poll_target_get(struct poll_target *t, const struct poll_job *job, poll_target_fn fn,
		     void *arg);
/* Drops a call still due (the poll was cancelled); no-op when none is. */
void poll_target_cancel(struct poll_target *t);
/* Frees t (a resolution still running is let go); NULL is a no-op. */
void poll_target_free(struct poll_target *t);

#endif
