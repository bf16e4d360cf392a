/* The tenants part: the `tenant_layer:` section of `daemon:` (the NOC's limits per
 * tenant) and the /api/v1/layer endpoints (dcmon/tenants.h, docs/PORTAL.md). */
#include <stddef.h>

#include "tenants_int.h"
#include "dcmon/config_keys.h"
#include "dcmon/part.h"

#define TL(f) offsetof(struct cfg_tenant_layer, f)
const struct cfg_key tenant_layer_cfg_keys[] = {
	{.name = "limits", .type = CFGK_SEQ, .offset = TL(limits), .count_offset = TL(nlimits),
	 .sub = tenant_limits_keys, .elem_size = sizeof(struct cfg_tenant_limits),
	 .what = "tenant limits", .init = tenant_limits_init, .check = tenant_limits_check},
	{.name = NULL},
};

static const struct cfg_key daemon_keys[] = {
	{.name = "tenant_layer", .type = CFGK_SECTION, .offset = CFG_PART_SECTION,
	 .sub = tenant_layer_cfg_keys, .elem_size = sizeof(struct cfg_tenant_layer)},
	{.name = NULL},
};

const struct cfg_tenant_layer *tenant_layer_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "tenant_layer");
}

static const char *const no_params[] = {NULL};
static const char *const tenant_param[] = {"tenant", NULL};
static const char *const request_params[] = {"tenant", "state", NULL};

static const struct api_route routes[] = {
	/* the items may hold SNMP credentials: read by who may ask for changes, not walls */
	{"GET", "/api/v1/layer/items", false, api_layer_items, tenant_param, false, false,
	 AUTHZ_ACT_LAYER_REQUEST},
	{"POST", "/api/v1/layer/items", false, api_layer_put, no_params, false, false,
	 AUTHZ_ACT_LAYER_REQUEST},
	/* KIND/ID */
	{"DELETE", "/api/v1/layer/items/", true, api_layer_delete, tenant_param, true, false,
	 AUTHZ_ACT_LAYER_REQUEST},
	{"GET", "/api/v1/layer/requests", false, api_layer_requests, request_params, false,
	 false, AUTHZ_ACT_LAYER_REQUEST},
	/* ID/approve, ID/reject */
	{"POST", "/api/v1/layer/requests/", true, api_layer_decide, no_params, true, false,
	 AUTHZ_ACT_LAYER_APPROVE},
	{"POST", "/api/v1/layer/lock", false, api_layer_lock, no_params, false, false,
	 AUTHZ_ACT_LAYER_LOCK},
	{"POST", "/api/v1/layer/unlock", false, api_layer_lock, no_params, false, false,
	 AUTHZ_ACT_LAYER_LOCK},
	{"GET", "/api/v1/layer/effective", false, api_layer_effective, tenant_param, false,
	 false, AUTHZ_ACT_VIEW},
	{"GET", "/api/v1/layer/export", false, api_layer_export, tenant_param, false, false,
	 AUTHZ_ACT_LAYER_REQUEST},
	{"POST", "/api/v1/layer/import", false, api_layer_import, no_params, false, false,
	 AUTHZ_ACT_LAYER_REQUEST},
	{.method = NULL},
};

const struct dcmon_part tenants_part = {
	.name = "tenants",
	.daemon_keys = daemon_keys,
	.routes = routes,
};
