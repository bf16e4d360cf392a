/* The checks of a host that the pollers part brings as its own `checks:` keys
 * (docs/CONFIG.md): `ping:` (one section, the icmp poller), `process:` (a list, the
 * proc poller on dcmond's host, the snmp poller's host-resources profile elsewhere)
 * and `resources:` (a value: local, or snmp).  The contract between the config and
 * pollers/icmp.c, proc_linux.c, resources_linux.c and snmp*.c; the tenant layer
 * counts and limits them.
 *
 *   checks:
 *     ping: {count: 5, timeout: 1s}
 *     process: [nginx, {pattern: "^/usr/sbin/sshd( |$)", label: sshd, min: 2}]
 *     resources: local
 */
#ifndef DCMON_HOST_CHECKS_H
#define DCMON_HOST_CHECKS_H

#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

/* `checks: ping:`; `ping: true` is one with the defaults. */
struct cfg_ping {
	int count;          /* probes per poll, 1..100, default 3 */
	int64_t timeout_ms; /* per probe wait after the last one is sent; default device timeout */
	int64_t spacing_ms; /* between probes; default 200 ms */
	int size;           /* payload bytes, 0..1472, default 56 */
};

/* One `checks: process:` item. */
struct cfg_process {
	char *name;         /* exact match on the process name (comm / argv[0] basename), or NULL */
	char *pattern;      /* POSIX extended regex on the full command line, or NULL */
	char *label;        /* instance label; default: name or pattern */
	int min;            /* expected minimum count (used by default rules), default 1 */
	struct cfg_pos pos;
};

/* `checks: resources:`: none (default), local (dcmond's own host), snmp. */
enum cfg_resources { RES_NONE, RES_LOCAL, RES_SNMP };

/* The `checks:` keys of the pollers part, in this order: ping (a section), process (a
 * list whose `name` is a match, so two items may share it) and resources (a value),
 * each kept by the kernel in a slot of the device (CFG_PART_SECTION). */
extern const struct cfg_key host_checks_keys[];
/* A ping check needs the device's host: refused at its `checks:` (the icmp poller's
 * device_check). */
void ping_device_check(const struct cfg_device *dev, const struct cfgnode *node,
		       struct cfg_diags *d);
/* An unset probe timeout takes the device's resolved one (its device_resolve). */
void ping_device_resolve(struct cfg_device *dev);

/* The device's ping check, or NULL when it has none. */
const struct cfg_ping *ping_check_of(const struct cfg_device *dev);
/* The device's `checks: process:` items, *n of them (NULL and 0 when it has none). */
const struct cfg_process *process_checks_of(const struct cfg_device *dev, size_t *n);
/* What the device's `checks: resources:` asks for (RES_NONE when absent). */
enum cfg_resources resources_of(const struct cfg_device *dev);

#endif
