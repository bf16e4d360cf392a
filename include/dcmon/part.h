/* A part of the daemon (pollers, alerting, facility, dashboard) declares itself to the
 * kernel with one descriptor, in the way nginx modules hand the core an ngx_module_t:
 * the config sections it decodes and the API endpoints it serves.  The kernel never
 * names a part; it walks dcmon_parts, the one list of parts, which the composition
 * root defines (daemon/parts.c).  Adding a part is one folder and one line there.
 *
 * Descriptors are constant data, read from any thread; the hooks run on the loop thread
 * (device_alarms) or wherever the config is loaded (daemon_resolve).
 *
 * What a part runs with (its store, its engine) is its state: the composition root puts
 * it in api_env.parts at the part's index in dcmon_parts, and the kernel hands it to the
 * part's route handlers as ctx->part and to its device_alarms, so that the kernel's
 * api_env names no part.
 */
#ifndef DCMON_PART_H
#define DCMON_PART_H

#include <stddef.h>
#include <stdint.h>

#include "dcmon/api_route.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

struct loop;
struct metric_reg;
struct workq;
struct change_bus;
struct poller_env;
struct poller_ops;
struct archive;
struct alert_rule_src;

/* What a part's lifecycle hooks get: the kernel's services and the configuration in
 * force (on reload, the new one); the composition root owns every pointer. */
struct part_env {
	struct loop *loop;
	struct metric_reg *reg;
	struct workq *wq;
	struct change_bus *bus;
	struct archive *arc;
	const struct cfg *cfg;
	const struct poller_env *pollers; /* the pollers' (dcmon/poller.h): re-poll hook */
	const struct api_env *api;        /* what the API serves */
	/* The default rules the profiles of cfg carry (dcmon/alert.h), loaded with it by
	 * the daemon, for the rule engine; n of them. */
	const struct alert_rule_src *profile_rules;
	size_t nprofile_rules;
};

/* Where a part stands in the daemon's lifecycle order (docs/ARCHITECTURE.md, "The
 * composition root"). */
enum part_stage {
	PART_STAGE_SERVICE,  /* made after every pipeline stage, freed before them */
	PART_STAGE_PIPELINE, /* a stage of the daemon's pipeline (the rule engine and its
			      * notifier, the facility): every service part subscribes to what
			      * it publishes or reads its state */
};

/* At which step of the daemon's reload a part's reload hook runs. */
enum part_reload_phase {
	PART_RELOAD_LAST,   /* once the new configuration is in force everywhere else */
	PART_RELOAD_EARLY,  /* before the scheduler takes the new devices and the settle
			     * inputs the new chains (the facility's graph, the notifier's
			     * routes: what the polls and the settle read) */
};

struct dcmon_part {
	const char *name; /* "alerting" */
	/* Config sections the part decodes, appended in list order to the keys of a device
	 * and of the `daemon:` section; NULL-terminated tables, or NULL for none.  Their
	 * offset is CFG_PART_SECTION: the kernel keeps the section in a slot of the device
	 * (cfg_device_section) or of the daemon (cfg_part_section), opaque to it (a daemon
	 * key may still be an offset into struct cfg_daemon). */
	const struct cfg_key *device_keys;
	const struct cfg_key *daemon_keys;
	/* Checks the part polls, appended to a device's `checks:` keys: lists (CFGK_SEQ)
	 * whose offset is CFG_PART_SECTION, kept in a slot of the device
	 * (cfg_device_list); NULL-terminated, or NULL for none. */
	const struct cfg_key *check_keys;
	/* The pollers the part brings, NULL-terminated, or NULL for none: their device_keys
	 * and check_keys (dcmon/poller.h) join the config's after the part's own. */
	const struct poller_ops *const *pollers;
	/* Makes the part's daemon sections' relative paths absolute against the config
	 * file's directory dir; may be NULL. */
	void (*daemon_resolve)(struct cfg_daemon *dm, const char *dir);
	/* Cross-checks of the part's sections against the whole configuration (a route or
	 * device named there must exist), run by the loader once every section is decoded
	 * and the kernel's own references are checked: errors at their file:line:col into d
	 * (root is the file's tree, for positions: cfgnode_get, cfg_list_item;
	 * cfg_ref_check in dcmon/config_keys.h); may be NULL.  A section may be missing or
	 * partly decoded after an error elsewhere. */
	void (*validate)(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d);
	/* API endpoints; terminated by an entry whose method is NULL; may be NULL.  Their
	 * handlers find the part's state (NULL when it does not run) in ctx->part. */
	const struct api_route *routes;
	/* Adds the firing alerts of every device to idx (api_alert_index_add), for device
	 * health; part is the part's state (may be NULL); may be NULL. */
	void (*device_alarms)(void *part, const struct api_ctx *ctx, struct api_alert_index *idx);
	/* The part's lifecycle, each hook may be NULL (docs/ARCHITECTURE.md, "The
	 * composition root", for when the daemon runs them):
	 * new makes the part's state for env->cfg: 0 and *state (NULL when the config gives
	 * the part nothing to run), or -1 after logging why (dcmond does not start);
	 * reload puts env->cfg in force after old, at the step of the reload its
	 * reload_phase says and before old is freed (*state may be NULL, and the hook may
	 * make, replace or free it);
	 * free stops the part and frees its state (NULL is a no-op). */
	int (*new)(const struct part_env *env, void **state);
	void (*reload)(const struct part_env *env, void **state, const struct cfg *old);
	void (*free)(void *state);
	/* The order of the lifecycle: the daemon runs new, prepare, commit, reload and tick
	 * of a part after those of the parts it names in after (NULL-terminated, or NULL)
	 * and, for a service part, after every pipeline stage; free in the reverse order.
	 * Nothing else orders parts: between two parts neither names, the order is the
	 * list's, and nothing may rely on it. */
	enum part_stage stage;
	const struct dcmon_part *const *after;
	/* A reload that the part may refuse, before anything changes (env->cfg and its
	 * profile rules are the new ones): prepare readies what putting them in force needs,
	 * changing nothing that runs, and gives 0, or -1 after logging why: the reload is
	 * refused, the parts already prepared get cancel and the running configuration
	 * stays.  Once every part has prepared, commit puts what prepare readied in force,
	 * first of the reload's steps (the metrics of changed devices are dropped under it);
	 * cancel drops it.  Each may be NULL; prepare, commit and cancel run for a part
	 * whose state is not NULL. */
	int (*prepare)(const struct part_env *env, void *state);
	void (*commit)(const struct part_env *env, void *state);
	void (*cancel)(void *state);
	enum part_reload_phase reload_phase; /* when reload runs */
	/* The part's self-metrics of each second, put into the registry before any part's
	 * tick, so the rules judge them (and the engine's tick finds them) in the same
	 * second; for a part whose state is not NULL; may be NULL. */
	void (*report)(const struct part_env *env, void *state, int64_t now_ms);
	/* The part's work of each second (sweeps, schedules, its self-metrics): run by the
	 * daemon's one-second tick, in lifecycle order, after every part's report, with the
	 * configuration in force in env and the wall time now_ms, for a part whose state is
	 * not NULL; may be NULL. */
	void (*tick)(const struct part_env *env, void *state, int64_t now_ms);
	/* The wall clock stepped by step_ms (< 0 back): the part moves the due times it
	 * counts on it (dcmon/loop.h), for a part whose state is not NULL; may be NULL. */
	void (*clock_stepped)(void *state, int64_t step_ms);
};

#define DCMON_PARTS_MAX 32 /* entries of an api_env.parts array, at least the parts */
#define DCMON_POLLERS_MAX 32 /* pollers all parts bring together */

/* Every part, in order, NULL-terminated (daemon/parts.c). */
extern const struct dcmon_part *const dcmon_parts[];

/* The index of part in dcmon_parts (its slot in api_env.parts); aborts for a part that
 * is not in the list (a wiring mistake). */
size_t dcmon_part_index(const struct dcmon_part *part);
/* The state of dcmon_parts[i] in env, or NULL when the part does not run. */
void *dcmon_part_state(const struct api_env *env, size_t i);
/* Every part's pollers (dcmon_part.pollers), in list order, NULL-terminated: what the
 * kernel walks for their config hooks and privileges.  Built once; any thread. */
const struct poller_ops *const *dcmon_pollers(void);

#endif
