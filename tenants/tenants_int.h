/* The tenant layer's internals (dcmon/tenants.h): the items in memory, tenants.db,
 * the NOC's limits, and the change that a request carries. */
#ifndef TENANTS_INT_H
#define TENANTS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "dcmon/api_route.h"
#include "dcmon/tenants.h"

struct sqlite3;

enum item_kind { ITEM_DEVICE, ITEM_RULE, ITEM_LOG_RULE, ITEM_KIND_COUNT };
extern const char *const item_kind_names[]; /* "device", "rule", "log_rule"; NULL-terminated */
/* Where an item of each kind goes: the configuration's sequence (cfg_layer_item's
 * section: "devices", "rules", "daemon.syslog.rules"), and its key in a layer's YAML
 * (export, import: "devices", "rules", "log_rules"). */
extern const char *const item_cfg_section[];
extern const char *const item_yaml_key[];

#define LAYER_NAME_MAX 200 /* "tenant:<tenant>/<kind>/<id>" */

/* One item of a tenant's layer: a YAML map of `devices:`, `rules:` or
 * `daemon.syslog.rules:` (a log pattern). */
struct layer_item {
	char *tenant;
	enum item_kind kind;
	char *id;     /* the device's id, the rule's or log rule's name */
	char *yaml;
	char *origin; /* "tenant", or "noc": set by the NOC, the tenant cannot change it */
	char *by;
	int64_t ts_ms;
	char name[LAYER_NAME_MAX]; /* its file in positions */
};

/* A change of one item: put (yaml) or delete (yaml NULL). */
struct layer_change {
	const char *tenant;
	enum item_kind kind;
	const char *id;
	const char *yaml;
	const char *origin;
	const char *by;
};

struct tenant_layer {
	struct sqlite3 *db;
	char *db_path;
	struct layer_item *items;
	size_t n, cap;
	/* tenant_layer_bind */
	char *cfg_path;
	tenant_post_check check;
	tenant_swap swap;
	void *arg;
	struct alert_engine *audit;
	struct probe_audit *probes; /* tenant_layer_watch_probes */
};

void layer_item_name(char *out, const char *tenant, enum item_kind kind, const char *id);
/* The item of (tenant, kind, id), or NULL. */
struct layer_item *layer_item_find(struct tenant_layer *l, const char *tenant,
				   enum item_kind kind, const char *id);

/* ---- tenants.db (layer_store.c) ---- */
int layer_store_open(struct tenant_layer *l, const char *state_dir, char *err, size_t errlen);
/* A change is stored before it goes live and kept in memory once it is, so that what is
 * live is always what is stored (a restart brings back the same layer):
 * layer_store_write() writes it to tenants.db only (0, or -EIO logged);
 * layer_store_undo() writes back the item as memory still has it (the swap failed);
 * layer_items_set() makes it the in-memory item, which the next load layers. */
int layer_store_write(struct tenant_layer *l, const struct layer_change *c, int64_t ts_ms);
int layer_store_undo(struct tenant_layer *l, const struct layer_change *c);
void layer_items_set(struct tenant_layer *l, const struct layer_change *c, int64_t ts_ms);

/* A change request (docs/PORTAL.md, "Approval"). */
struct layer_request {
	int64_t id;
	char tenant[64];
	char kind[16];
	char item[128];
	char op[16];        /* "put", "delete" */
	char *yaml;         /* put: the item; NULL for delete */
	char *before;       /* the item when asked, NULL when new */
	char state[16];     /* "pending", "applied", "rejected", "failed" */
	char by[64];
	int64_t ts_ms;
	char decided_by[64];
	int64_t decided_ms;
	char *reason;       /* rejected: why; failed: the messages */
};
void layer_request_release(struct layer_request *r);
int layer_request_insert(struct tenant_layer *l, struct layer_request *r);
int layer_request_get(struct tenant_layer *l, int64_t id, struct layer_request *out);
int layer_request_decide(struct tenant_layer *l, const struct layer_request *r);
/* Calls fn for requests of tenant (NULL: all) in state (NULL: any), newest first. */
int layer_request_each(struct tenant_layer *l, const char *tenant, const char *state,
		       bool (*fn)(void *arg, const struct layer_request *r), void *arg);
/* The lock of a tenant's layer: true and the reason (reason_len bytes) when locked. */
bool layer_locked(struct tenant_layer *l, const char *tenant, char *reason, size_t reason_len);
int layer_lock_set(struct tenant_layer *l, const char *tenant, bool lock, const char *by,
		   const char *reason, int64_t now_ms);

/* ---- limits (layer_limits.c) ---- */
/* Checks every device and rule of cfg that comes from a tenant layer against the NOC's
 * limits of its tenant, and makes them the tenant's (their tenant set when left out);
 * each refusal is an error at the item's position. */
void layer_limits_check(struct cfg *cfg, struct cfg_diags *d);
/* The tenant of a layer file name ("tenant:acme/device/web1" -> acme, in out), or
 * false for the NOC's file. */
bool layer_file_tenant(const char *file, char *out, size_t len);
extern const struct cfg_key tenant_limits_keys[];
void tenant_limits_init(void *elem, const struct cfgnode *node, void *ctx);
int tenant_limits_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);

/* ---- loading (layer_load.c) ---- */
/* tenant_layer_load() with change c applied over the stored items (c NULL: none).
 * NULL when c's item has errors (*blamed true, its messages in d) or when the NOC's
 * file has (*blamed false). */
struct cfg *layer_load_with(struct tenant_layer *l, const struct layer_change *c,
			    struct cfg_diags *d, bool *blamed);
void layer_audit(struct tenant_layer *l, const struct authz_actor *by, const char *action,
		 const char *target, const char *detail, int64_t now_ms);

/* ---- refusals at a poll (probe_audit.c) ---- */
struct probe_audit;
void probe_audit_free(struct probe_audit *pa);

/* ---- import (layer_import.c) ---- */
/* Calls fn with each item of a layer's YAML (devices: and rules: sequences of maps).
 * 0, or -1 with err filled ("line:col: why"). */
int layer_import_items(const char *yaml, void (*fn)(void *arg, enum item_kind kind,
							 const char *yaml), void *arg, char *err,
		       size_t errlen);

/* ---- API (api_layer.c) ---- */
void api_layer_items(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_put(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_delete(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_requests(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_decide(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_lock(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_effective(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_export(const struct api_ctx *ctx, struct api_response *resp);
void api_layer_import(const struct api_ctx *ctx, struct api_response *resp);

#endif
