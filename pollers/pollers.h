/* The poller ops tables built into dcmon, listed by pollers/registry.c.  Each is
 * defined in the poller's own file.  Private to pollers/. */
#ifndef DCMON_POLLERS_H
#define DCMON_POLLERS_H

#include "dcmon/poller.h"

extern const struct poller_ops icmp_poller;      /* icmp.c */
extern const struct poller_ops tcp_poller;       /* tcp.c */
extern const struct poller_ops proc_poller;      /* proc_linux.c */
extern const struct poller_ops resources_poller; /* resources_linux.c */
extern const struct poller_ops snmp_poller;      /* snmp.c */
extern const struct poller_ops modbus_poller;    /* modbus.c */
extern const struct poller_ops plugin_poller;    /* plugin.c */
extern const struct poller_ops http_poller;      /* http.c */

struct cfgnode;
struct cfg_diags;
/* Every entry of list (map[key]: allow, deny) is an address or a CIDR range, else an
 * error at the entry (addr_guard_cfg.c; http's allow and deny too). */
void addr_ranges_check(char **list, size_t n, const struct cfgnode *map, const char *key,
		       struct cfg_diags *d);

#endif
