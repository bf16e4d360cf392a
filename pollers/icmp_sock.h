/* The one ICMP socket per address family that every icmp poller instance shares.
 *
 * An unprivileged ICMP datagram socket (SOCK_DGRAM/IPPROTO_ICMP, allowed when the
 * process's group is in net.ipv4.ping_group_range) is tried first, a raw socket
 * otherwise.  Echo requests carry a sequence number from one global counter; replies
 * are matched to outstanding probes by sequence number and source address (the
 * kernel rewrites the identifier of datagram sockets; raw sockets also check it).
 * ICMP errors (destination unreachable, time exceeded) end the matching probe with
 * an errno.  Loop thread only.  Private to pollers/.
 */
#ifndef DCMON_ICMP_SOCK_H
#define DCMON_ICMP_SOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dcmon/config.h"
#include "dcmon/loop.h"

struct icmp_probe;

/* Called once per probe when its reply (err 0) or an ICMP error (positive errno:
 * EHOSTUNREACH, ENETUNREACH, EACCES, ETIMEDOUT for TTL exceeded) arrives. */
typedef void (*icmp_probe_cb)(struct icmp_probe *p, int err);

/* One echo request in flight.  The caller owns the memory and sets cb/arg. */
struct icmp_probe {
	icmp_probe_cb cb;
	void *arg;
	/* below: managed by icmp_sock */
	struct sockaddr_storage dst; /* where the request went */
	uint16_t seq;                /* ICMP sequence number */
	bool pending;                /* in the outstanding table */
	double sent_s;               /* monotonic send time, seconds */
	double rtt_s;                /* round-trip time once answered, seconds */
	struct icmp_probe *hnext;    /* outstanding-table chain */
};

/* Takes a reference on the shared sockets, which run on `loop` (the same loop for
 * every holder).  Returns 0 or -EBUSY if held on another loop. */
int icmp_sock_acquire(struct loop *loop);
/* Drops a reference; the last one closes the sockets.  Outstanding probes must have
 * been forgotten first. */
void icmp_sock_release(void);

/* Sends one echo request with `payload` bytes to dst and records p as outstanding.
 * Opens the family's socket on first use.  Returns 0, or a negative errno: the
 * socket could not be opened (-EPERM, -EACCES, ...) or sendto() failed
 * (-ENETUNREACH, -EHOSTUNREACH, ...); p is then not outstanding. */
int icmp_sock_send(struct icmp_probe *p, const struct sockaddr *dst, socklen_t dstlen,
		   int payload);
/* Removes p from the outstanding table (no-op if not there); cb is not called. */
void icmp_sock_forget(struct icmp_probe *p);

/* For diagnostics and tests: 1 if the family's socket is raw, 0 if datagram, -1 if
 * not open. */
int icmp_sock_is_raw(int family);

/* How ping checks get their ICMP sockets, for start-up messages: 0 = unprivileged
 * datagram sockets (net.ipv4.ping_group_range holds our group), 1 = raw sockets only
 * (CAP_NET_RAW), or a negative errno when neither is allowed. */
int icmp_sock_access(void);
/* What to do about it when neither is allowed (the reason of a ping check then, too). */
#define ICMP_GRANT_HINT                                                                     \
	"allow the group in sysctl net.ipv4.ping_group_range or grant CAP_NET_RAW"

/* The icmp poller's privileges (poller_ops.net_raw_needed and start_note,
 * icmp_access.c): CAP_NET_RAW kept when datagram sockets are not allowed, and a start-up
 * line saying which sockets ping uses, or how to grant them. */
const char *icmp_net_raw_needed(void);
void icmp_start_note(const struct cfg *cfg);

#endif
