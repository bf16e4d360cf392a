/* Northbound SNMP (docs/SNMP_NORTHBOUND.md): dcmond as seen by an upper NMS, through
 * DCMON-MIB (mibs/DCMON-MIB.txt).
 *
 *   daemon:
 *     snmp_northbound:
 *       agentx: /var/agentx/master        # the master agent's socket; absent = no subagent
 *       managers:
 *         - {name: noc, snmp: {host: 192.0.2.7, port: 162, version: 3, user: dcmon,
 *                              auth_pass_file: /etc/dcmon/nb.auth}, routes: [noc]}
 *
 * The part subscribes to the alert changes of the change bus (never to the engine):
 * each notification of an alert (raised, changed, cleared) that a manager's routes take
 * (as mail's routes take it) is committed to the durable outbox <state_dir>/
 * snmp_outbox.db (dcmon/outbox.h), sent on the worker pool, and removed once sent (a
 * trap) or acknowledged (an inform; retried with backoff until then, across restarts).
 * An AgentX subagent thread serves the devices and their active alerts to the master
 * agent from a snapshot the loop hands it each second.
 */
#ifndef DCMON_NORTHBOUND_H
#define DCMON_NORTHBOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/snmp.h"

/* How a manager is notified. */
enum nb_notify { NB_NOTIFY_TRAP, NB_NOTIFY_INFORM, NB_NOTIFY_COUNT };
extern const char *const nb_notify_names[]; /* NULL-terminated, by value */

/* One manager of `daemon.snmp_northbound.managers:`. */
struct cfg_nb_manager {
	char *name;             /* unique; names its notifications in the outbox and the log */
	struct cfg_snmp *snmp;  /* where and how: the keys of a device's snmp: (host required,
				 * port default 162, timeout default 2 s) */
	int notify;             /* enum nb_notify: default inform with version 3, else trap */
	char **routes;          /* names of `routes:` whose matches it takes; none = all */
	size_t nroutes;
	struct cfg_pos pos;
};

/* `daemon.snmp_northbound:`. */
struct cfg_snmp_nb {
	char *agentx;           /* the master agent's AgentX socket ("/path", "tcp:host:port");
				 * NULL = no subagent */
	struct cfg_nb_manager *managers;
	size_t nmanagers;
	int64_t retry_min_ms;   /* first retry of an unacknowledged inform, default 5 s */
	int64_t retry_max_ms;   /* longest wait between retries, default 5 min */
	int queue;              /* notifications held in memory, default 10000 (more wait in
				 * the outbox) */
	struct cfg_pos pos;
};

/* The section as a key table (a CFGK_SECTION row of the daemon keys). */
extern const struct cfg_key nb_cfg_keys[];
void nb_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int nb_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* The `daemon.snmp_northbound:` section of cfg (the part's own), or NULL. */
const struct cfg_snmp_nb *snmp_nb_cfg_of(const struct cfg *cfg);

#endif
