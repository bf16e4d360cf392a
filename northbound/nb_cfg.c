/* `daemon.snmp_northbound:` as key tables (dcmon/northbound.h) and its checks: a
 * manager's snmp: section is a device's (the pollers' keys and checks: v3 users,
 * secrets), with a manager's defaults; SNMPv1 has no informs nor SNMPv2 traps, and a
 * v3 notification is an inform (a v3 trap would need dcmond's own engine id known to
 * every manager). */
#include "dcmon/northbound.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "dcmon/config_keys.h"
#include "dcmon/enumtab.h"
#include "nb_int.h"

#define MAN(f) offsetof(struct cfg_nb_manager, f)
#define NB(f)  offsetof(struct cfg_snmp_nb, f)

#define MANAGER_PORT 162          /* snmptrap's port */
#define MANAGER_TIMEOUT_MS 2000   /* wait for an inform's response, per try */

const char *const nb_notify_names[] = {
	[NB_NOTIFY_TRAP] = "trap", [NB_NOTIFY_INFORM] = "inform", [NB_NOTIFY_COUNT] = NULL,
};

static void manager_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_nb_manager *)elem = (struct cfg_nb_manager){.notify = -1, .pos = node->pos};
}

/* A manager's snmp: section: a device's, whose port and timeout default otherwise. */
static void manager_snmp_init(void *elem, const struct cfgnode *node, void *ctx)
{
	snmp_cfg_init(elem, node, ctx);
	struct cfg_snmp *c = elem;
	c->port = MANAGER_PORT;
	c->timeout_ms = MANAGER_TIMEOUT_MS;
}

static int manager_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	(void)ctx;
	struct cfg_nb_manager *m = elem;
	const struct cfgnode *snode = cfgnode_get(node, "snmp");
	if (!m->snmp)
		return -EINVAL; /* required: reported by the decoder */
	int rc = 0;
	if (!m->snmp->host) {
		cfg_error(d, snode ? &snode->pos : &m->pos, "snmp_northbound: manager '%s': snmp: needs the "
			  "manager's host", m->name);
		rc = -EINVAL;
	}
	if (m->snmp->version == SNMPCFG_V1) {
		cfg_error(d, cfg_key_pos(snode, "version"), "snmp_northbound: manager '%s': "
			  "version 1 has no SNMPv2 notifications: expected 2c or 3", m->name);
		rc = -EINVAL;
	}
	if (m->notify < 0)
		m->notify = m->snmp->version == SNMPCFG_V3 ? NB_NOTIFY_INFORM : NB_NOTIFY_TRAP;
	if (m->snmp->version == SNMPCFG_V3 && m->notify == NB_NOTIFY_TRAP) {
		cfg_error(d, cfg_key_pos(node, "notify"), "snmp_northbound: manager '%s': "
			  "SNMPv3 notifications are sent as informs: expected notify: inform",
			  m->name);
		rc = -EINVAL;
	}
	return rc;
}

static const struct cfg_key manager_keys[] = {
	{.name = "name", .type = CFGK_STRING, .offset = MAN(name), .required = true},
	{.name = "snmp", .type = CFGK_SECTION, .offset = MAN(snmp), .required = true,
	 .sub = snmp_cfg_keys, .elem_size = sizeof(struct cfg_snmp), .init = manager_snmp_init,
	 .check = snmp_cfg_check},
	{.name = "notify", .type = CFGK_ENUM, .offset = MAN(notify), .names = nb_notify_names},
	{.name = "routes", .type = CFGK_STRLIST, .offset = MAN(routes),
	 .count_offset = MAN(nroutes), .expect = "names of routes: whose alerts it takes"},
	{.name = NULL},
};

const struct cfg_key nb_cfg_keys[] = {
	{.name = "agentx", .type = CFGK_STRING, .offset = NB(agentx),
	 .expect = "the master agent's AgentX socket: /var/agentx/master or tcp:127.0.0.1:705"},
	{.name = "managers", .type = CFGK_SEQ, .offset = NB(managers), .count_offset = NB(nmanagers),
	 .sub = manager_keys, .elem_size = sizeof(struct cfg_nb_manager), .what = "manager",
	 .init = manager_init, .check = manager_check},
	{.name = "retry_min", .type = CFGK_DURATION, .offset = NB(retry_min_ms), .min = 100,
	 .max = 3600000},
	{.name = "retry_max", .type = CFGK_DURATION, .offset = NB(retry_max_ms), .min = 100,
	 .max = 86400000},
	{.name = "queue", .type = CFGK_INT, .offset = NB(queue), .min = 1, .max = 1000000},
	{.name = NULL},
};

void nb_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_snmp_nb *)elem = (struct cfg_snmp_nb){
		.retry_min_ms = 5000, .retry_max_ms = 300000, .queue = 10000, .pos = node->pos};
}

int nb_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	(void)ctx;
	struct cfg_snmp_nb *c = elem;
	int rc = 0;
	if (c->retry_max_ms < c->retry_min_ms) {
		cfg_error(d, cfg_key_pos(node, "retry_max"), "snmp_northbound: retry_max is shorter "
			  "than retry_min");
		rc = -EINVAL;
	}
	if (!c->agentx && c->nmanagers == 0) {
		cfg_error(d, &node->pos, "snmp_northbound: nothing to do: expected agentx: or "
			  "managers:");
		rc = -EINVAL;
	}
	for (size_t i = 0; i < c->nmanagers; i++)
		for (size_t j = 0; j < i; j++)
			if (c->managers[i].name && c->managers[j].name &&
			    strcmp(c->managers[i].name, c->managers[j].name) == 0) {
				cfg_error(d, &c->managers[i].pos, "snmp_northbound: manager "
					  "'%s' is defined twice", c->managers[i].name);
				rc = -EINVAL;
			}
	return rc;
}

/* The routes a manager names must exist. */
void nb_validate(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	const struct cfg_snmp_nb *c = snmp_nb_cfg_of(cfg);
	const struct cfgnode *node = cfgnode_get(cfgnode_get(cfgnode_get(root, "daemon"),
							     "snmp_northbound"), "managers");
	for (size_t i = 0; c && node && i < c->nmanagers; i++) {
		const struct cfgnode *m = node->type == CFGNODE_SEQ && i < node->n ? node->items[i] :
										     NULL;
		for (size_t j = 0; m && j < c->managers[i].nroutes; j++)
			cfg_ref_check(cfg, CFG_REF_ROUTE, c->managers[i].routes[j],
				      &cfg_list_item(m, "routes", j)->pos, "routes", d);
	}
}
