/* The tenant layer (docs/PORTAL.md): what tenants set for themselves -- devices with
 * checks on their own servers, and threshold rules -- kept in <state_dir>/tenants.db as
 * YAML items, merged over the NOC's file at every load through cfg_load_layered(), so
 * the same decoders validate both; the NOC's limits per tenant (`daemon.tenant_layer:`),
 * change requests with approval, and the /api/v1/layer endpoints.
 *
 * Everything runs on the loop thread.
 */
#ifndef DCMON_TENANTS_H
#define DCMON_TENANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"

#define TENANT_MIN_INTERVAL_MS 60000 /* default limits.min_interval */
#define TENANT_MAX_CHECKS      20    /* default limits.max_checks */
#define TENANT_MAX_LOG_RULES   5     /* default limits.max_log_rules */
#define TENANT_MAX_PATTERN     256   /* default limits.max_pattern (bytes) */

/* One entry of daemon.tenant_layer.limits: what the NOC lets a tenant set. */
struct cfg_tenant_limits {
	char *tenant;
	int64_t min_interval_ms;
	int max_checks;
	char **targets;    /* CIDRs, addresses and exact host names its checks may probe */
	size_t ntargets;
	char **ports;      /* "22" or "8000-8099"; none = any */
	size_t nports;
	bool snmp_credentials; /* may it have an snmp: section (community, v3 users)? */
	bool may_override_defaults; /* may its rules take a profile default rule's name? */
	int max_log_rules; /* its own log patterns (daemon.syslog.rules items) */
	int max_pattern;   /* bytes of one log rule's match, regex or clear */
	struct cfg_pos pos;
};

/* `daemon.tenant_layer:` */
struct cfg_tenant_layer {
	struct cfg_tenant_limits *limits;
	size_t nlimits;
};
/* The `daemon.tenant_layer:` section of cfg (the tenants part's own, dcmon/part.h), or
 * NULL when no tenant has a self-service layer. */
const struct cfg_tenant_layer *tenant_layer_cfg_of(const struct cfg *cfg);

struct tenant_layer;
struct alert_engine;
struct dcmon_part;
/* tenants/tenants_part.c; the state its routes read (ctx->part) is the tenant_layer */
extern const struct dcmon_part tenants_part;

/* Opens <state_dir>/tenants.db (created with its schema) and reads the items.  NULL
 * with err filled on failure. */
struct tenant_layer *tenant_layer_open(const char *state_dir, char *err, size_t errlen);
void tenant_layer_free(struct tenant_layer *l);

/* The checks run after cfg_load_layered (the profiles): 0, or -EINVAL with diags. */
typedef int (*tenant_post_check)(const struct cfg *cfg, struct cfg_diags *d);
/* Swaps a loaded configuration in (the daemon's reload): 0, or -1 and next is freed. */
typedef int (*tenant_swap)(void *arg, struct cfg *next);

/* How the layer loads and applies: the NOC's file, the post-load checks, the swap, and
 * the audit log.  l may be NULL (no state_dir): then nothing is layered. */
void tenant_layer_bind(struct tenant_layer *l, const char *path, tenant_post_check check,
		       tenant_swap swap, void *arg, struct alert_engine *audit);

struct change_bus;
struct loop;
/* Audits, as the tenant's object (action tenant-refused), each address a check of a
 * tenant's device (a URL check's allow/deny, a ping, tcp or snmp host's address_guard)
 * was refused at a poll (the name resolved to another tenant's or the facility's
 * address): once per check and address, heard on the bus (metric reports); loop thread.
 * 0, or -1 out of memory.  Ends with tenant_layer_free. */
int tenant_layer_watch_probes(struct tenant_layer *l, struct change_bus *bus,
			      struct loop *loop);

/* Loads the NOC's file with the layer's items over it, checked against the NOC's
 * limits.  An item that no longer passes (the NOC's file changed) is left out and
 * logged; errors of the NOC's file alone make it NULL.  Every diagnostic goes to d. */
struct cfg *tenant_layer_load(struct tenant_layer *l, struct cfg_diags *d);

struct alert_rule_src;
/* Refuses a rule of a tenant's layer named like one of the profiles' default rules
 * (srcs, n of them: it would replace the NOC's default on the tenant's devices) unless
 * the NOC's limits let the tenant (may_override_defaults): an error at the rule. */
void tenant_layer_defaults_check(const struct cfg *cfg, const struct alert_rule_src *srcs,
				 size_t n, struct cfg_diags *d);

extern const struct cfg_key tenant_layer_cfg_keys[];

#endif
