/* Small helpers shared by the host-check pollers (icmp, tcp, proc, resources) and
 * available to the other pollers: address resolution, locality test, errno names,
 * the up/down enum and a high-resolution clock for round-trip times.
 * Private to pollers/.
 */
#ifndef DCMON_POLLUTIL_H
#define DCMON_POLLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dcmon/metric.h"
#include "dcmon/poller.h"

/* Names of the 0/1 values of host_up, tcp_port_up, tcp_expect_ok. */
extern const struct metric_enum pollutil_updown[2];

/* Resolves host (numeric address or DNS name) with the given port (0 for ICMP) into
 * *ss.  A numeric address never blocks; a name goes through getaddrinfo(), which may
 * block (callers do this at create time only).  Returns 0, or -EINVAL / -ENOENT /
 * -EAGAIN with "why" written to err. */
int pollutil_resolve(const char *host, int port, struct sockaddr_storage *ss,
		     socklen_t *sslen, char *err, size_t errlen);

/* The same for up to max addresses of host, in the resolver's order, into ss[] and
 * sslen[] (*n of them).  Thread-safe: the pollers run it on the worker pool for a name
 * resolved at each poll (poll_target.c). */
int pollutil_resolve_all(const char *host, int port, struct sockaddr_storage *ss,
			 socklen_t *sslen, size_t max, size_t *n, char *err, size_t errlen);

/* True if host names this machine: NULL, "localhost", a loopback address, or the
 * name returned by gethostname(). */
bool pollutil_host_is_local(const char *host);

/* "ECONNREFUSED" for ECONNREFUSED (positive errno); "E<n>" if unknown.  Thread-safe. */
const char *pollutil_errname(int err);

/* Monotonic clock with nanosecond resolution, in seconds (for round-trip times). */
double pollutil_mono_s(void);

/* Registers (finds or creates) a metric of device dev from desc, logging why when the
 * registry refuses it.  Returns the metric or NULL. */
struct metric *pollutil_metric(const struct poller_env *env, const char *dev,
			       const struct metric_desc *desc);

/* Writes "name: reason" style text for a failed poll into buf (bounded). */
void pollutil_reason(char *buf, size_t len, const char *what, const char *why);

#endif
