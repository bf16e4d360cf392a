/* Private to the config loader (core/config*.c): key tables and passes. */
#ifndef DCMON_CONFIG_INT_H
#define DCMON_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/config_keys.h"

/* Selector keys of rules and routes, for a struct cfg_selector at byte `base`. */
#define CFG_SEL(f) offsetof(struct cfg_selector, f)
#define CFG_SELECTOR_KEYS(base)                                                                    \
	{.name = "device", .type = CFGK_STRING, .offset = (base) + CFG_SEL(device)},               \
	    {.name = "kind", .type = CFGK_STRING, .offset = (base) + CFG_SEL(kind)},               \
	    {.name = "site", .type = CFGK_STRING, .offset = (base) + CFG_SEL(site)},               \
	    {.name = "room", .type = CFGK_STRING, .offset = (base) + CFG_SEL(room)},               \
	    {.name = "tenant", .type = CFGK_STRING, .offset = (base) + CFG_SEL(tenant)},           \
	    {.name = "metric", .type = CFGK_STRING, .offset = (base) + CFG_SEL(metric)},           \
	    {.name = "inst", .type = CFGK_STRING, .offset = (base) + CFG_SEL(inst)},               \
	{                                                                                          \
		.name = "labels", .type = CFGK_STRMAP, .offset = (base) + CFG_SEL(labels),         \
		.count_offset = (base) + CFG_SEL(nlabels)                                          \
	}

/* Key tables of the sections (each in its own file).  The daemon's and a device's have
 * room for the sections the parts bring (cfg_parts_attach). */
#define CFG_DAEMON_KEYS_MAX 32
#define CFG_DEVICE_KEYS_MAX 32
extern struct cfg_key cfg_daemon_keys[CFG_DAEMON_KEYS_MAX];
extern const struct cfg_key cfg_site_keys[];
extern const struct cfg_key cfg_contact_keys[];
extern struct cfg_key cfg_device_keys[CFG_DEVICE_KEYS_MAX];
#define CFG_CHECK_KEYS_MAX 16
/* offsets into struct cfg_device; every key is a part's (cfg_parts_attach) */
extern struct cfg_key cfg_check_keys[CFG_CHECK_KEYS_MAX];
extern const struct cfg_key cfg_route_keys[];
extern const struct cfg_key cfg_group_keys[];    /* core/config_groups.c */

/* Element hooks for CFGK_SEQ keys (init presets defaults and the position). */
void cfg_site_init(void *elem, const struct cfgnode *node, void *ctx);
void cfg_contact_init(void *elem, const struct cfgnode *node, void *ctx);
int cfg_contact_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
int cfg_team_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
void cfg_device_init(void *elem, const struct cfgnode *node, void *ctx);
int cfg_device_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
void cfg_route_init(void *elem, const struct cfgnode *node, void *ctx);
int cfg_route_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
void cfg_group_init(void *elem, const struct cfgnode *node, void *ctx);
int cfg_group_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* Group members exist, group ids are not device ids, no fed_by cycle through a group. */
void cfg_validate_groups(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d);

/* Appends every part's device, check and daemon section keys (dcmon/part.h) to
 * cfg_device_keys, cfg_check_keys and cfg_daemon_keys, once per process; any thread, idempotent. */
void cfg_parts_attach(void);
/* The cross-checks of a device's config that its pollers make (poller_ops.device_check),
 * errors at the positions of node, the device's map. */
void cfg_parts_device_check(const struct cfg_device *dev, const struct cfgnode *node,
			    struct cfg_diags *d);
/* The defaults of a device's config that its pollers give from the device's resolved
 * values (poller_ops.device_resolve). */
void cfg_parts_device_resolve(struct cfg_device *dev);
/* Runs every part's validate hook (dcmon/part.h), in list order. */
void cfg_parts_validate(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d);

/* Daemon defaults (strings strdup'ed) and, after decoding, paths made absolute. */
void cfg_daemon_defaults(struct cfg_daemon *dm);
/* Cross-field checks of the daemon section (the `daemon` row's check). */
int cfg_daemon_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
void cfg_daemon_resolve(struct cfg_daemon *dm, const char *dir);
/* Fills device intervals/timeouts left unset from the daemon defaults. */
void cfg_devices_resolve(struct cfg *cfg);
/* A device that names no tenant belongs to its rack's tenant (docs/CONFIG.md): set once
 * here, so rules, routes, events, scopes and the tenant layer all see one tenant. */
void cfg_devices_inherit_tenants(struct cfg *cfg, struct cfg_diags *d);
/* Cross-reference checks over the whole model; root gives positions. */
void cfg_validate(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d);
/* fed_by cycles, reported once each with their path. */
void cfg_validate_cycles(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d);
void cfg_validate_selector(const struct cfg_selector *s, const struct cfgnode *match,
                           struct cfg_diags *d);


#endif
