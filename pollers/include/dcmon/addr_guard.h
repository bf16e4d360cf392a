/* A device's `address_guard:` (docs/CONFIG.md): the addresses its ping, tcp and snmp
 * checks may reach when their host is resolved at a poll.  The contract between the
 * config (a section the pollers part adds to a device), the pollers that honour it
 * (icmp.c, tcp.c, snmp.c through poll_target.c) and the tenant layer, which fills it on a
 * tenant's device from the NOC's limits.
 *
 *   address_guard: {allow: [10.1.0.0/24], deny: [10.1.0.9]}
 *
 * With the section, a host name is resolved at each poll, on the worker pool (never on
 * the loop), and an address outside allow or inside deny is not probed: the check fails
 * with "<host> resolves to <addr>: " NET_REFUSED_BY_ALLOW_DENY (dcmon/netaddr.h), and
 * the check's PROBE_ADDRESS_METRIC says so. */
#ifndef DCMON_ADDR_GUARD_H
#define DCMON_ADDR_GUARD_H

#include <stddef.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

struct cfg_addr_guard {
	char **allow;  /* addresses and CIDRs the checks may reach; none = any */
	size_t nallow;
	char **deny;   /* addresses and CIDRs they never reach */
	size_t ndeny;
};

/* The metric of a guarded check's target (instance label "check": "ping", "tcp:443",
 * "snmp"): 1 "allowed" once its host resolved to an address the guard lets it probe,
 * else an error: the resolver's, or the refusal (NET_REFUSED_BY_ALLOW_DENY). */
#define PROBE_ADDRESS_METRIC "probe_address_allowed"

/* The device keys the pollers part adds (`address_guard:`, a section the kernel keeps
 * in a slot of the device, CFG_PART_SECTION). */
extern const struct cfg_key addr_guard_device_keys[];
/* The device's `address_guard:`, or NULL (the device's names resolve once, at create). */
const struct cfg_addr_guard *addr_guard_of(const struct cfg_device *dev);

#endif
