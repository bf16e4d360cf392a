/* The accounts part: the `accounts:` section of `daemon:`, the /api/v1/users
 * endpoints and the account store, its state (dcmon/accounts.h). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "accounts_int.h"
#include "dcmon/config_keys.h"
#include "dcmon/log.h"
#include "dcmon/part.h"

#define LU(f) offsetof(struct authz_local_user, f)
static const struct cfg_key local_user_keys[] = {
	{.name = "user", .type = CFGK_STRING, .offset = LU(user), .required = true},
	{.name = "role", .type = CFGK_ENUM, .offset = LU(role), .required = true,
	 .names = authz_role_names},
	{.name = "tenant", .type = CFGK_STRING, .offset = LU(tenant)},
	{.name = "site", .type = CFGK_STRING, .offset = LU(site)},
	{.name = NULL},
};

static void local_user_init(void *elem, const struct cfgnode *node, void *ctx)
{
	((struct authz_local_user *)elem)->pos = node->pos;
}

/* A role other than none; a tenant exactly for tenant roles (a wall may name a tenant
 * or a site). */
static int local_user_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			    void *ctx)
{
	struct authz_local_user *u = elem;
	size_t before = d->nerrors;
	enum authz_role r = (enum authz_role)u->role;
	if (r == AUTHZ_ROLE_NONE)
		cfg_error(d, cfg_key_pos(node, "role"), "local_users: role none gives no rights: "
			  "leave the user out instead");
	if (authz_role_needs_tenant(r) && !u->tenant)
		cfg_error(d, &u->pos, "local_users: %s: role %s needs a tenant", u->user,
			  authz_role_name(r));
	if (!authz_role_needs_tenant(r) && r != AUTHZ_ROLE_WALL && (u->tenant || u->site))
		cfg_error(d, &u->pos, "local_users: %s: role %s is not scoped (no tenant or site)",
			  u->user, authz_role_name(r));
	if (u->tenant && u->site)
		cfg_error(d, &u->pos, "local_users: %s: a tenant or a site, not both", u->user);
	return d->nerrors > before ? -EINVAL : 0;
}

#define AC(f) offsetof(struct cfg_accounts, f)
const struct cfg_key accounts_cfg_keys[] = {
	{.name = "local_users", .type = CFGK_SEQ, .offset = AC(local_users),
	 .count_offset = AC(nlocal_users), .sub = local_user_keys,
	 .elem_size = sizeof(struct authz_local_user), .what = "local user",
	 .init = local_user_init, .check = local_user_check},
	{.name = "password_min_length", .type = CFGK_INT, .offset = AC(password_min_length),
	 .min = 8, .max = 256},
	{.name = "yescrypt_cost", .type = CFGK_INT, .offset = AC(yescrypt_cost), .min = 3,
	 .max = 11},
	{.name = "lock_failures", .type = CFGK_INT, .offset = AC(lock_failures), .min = 1,
	 .max = 1000},
	{.name = "lock_window", .type = CFGK_DURATION, .offset = AC(lock_window_ms), .min = 1000,
	 .max = 86400000},
	{.name = "lock_time", .type = CFGK_DURATION, .offset = AC(lock_base_ms), .min = 1000,
	 .max = 86400000},
	{.name = "lock_time_max", .type = CFGK_DURATION, .offset = AC(lock_max_ms), .min = 1000,
	 .max = 7 * 86400000LL},
	{.name = "session_idle", .type = CFGK_DURATION, .offset = AC(session_idle_ms), .min = 1000,
	 .max = 86400000},
	{.name = "session_max", .type = CFGK_DURATION, .offset = AC(session_max_ms), .min = 1000,
	 .max = 30 * 86400000LL},
	{.name = "inactive_disable", .type = CFGK_DURATION, .offset = AC(inactive_ms), .min = 0,
	 .max = 3650 * 86400000LL, .expect = "a duration like 90d, or 0 for never"},
	{.name = "audit_retention", .type = CFGK_DURATION, .offset = AC(audit_retention_ms),
	 .min = ACCOUNTS_AUDIT_RETENTION_MIN, .max = 100 * 365 * 86400000LL,
	 .expect = "a duration of a year or more, like 365d or 730d"},
	{.name = NULL},
};

void accounts_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	*(struct cfg_accounts *)elem = (struct cfg_accounts){
	    .password_min_length = ACCOUNTS_PASSWORD_MIN,
	    .yescrypt_cost = ACCOUNTS_YESCRYPT_COST,
	    .lock_failures = ACCOUNTS_LOCK_FAILURES,
	    .lock_window_ms = 15 * 60000,
	    .lock_base_ms = 60000,
	    .lock_max_ms = 3600000,
	    .session_idle_ms = 30 * 60000,
	    .session_max_ms = 12 * 3600000,
	    .inactive_ms = 90 * 86400000LL,
	    .audit_retention_ms = ACCOUNTS_AUDIT_RETENTION_MIN,
	    .pos = node->pos,
	};
}

int accounts_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_accounts *c = elem;
	if (c->lock_max_ms < c->lock_base_ms) {
		cfg_error(d, cfg_key_pos(node, "lock_time_max"),
			  "accounts: lock_time_max is below lock_time");
		return -EINVAL;
	}
	return 0;
}

static const struct cfg_key daemon_keys[] = {
    {.name = "accounts", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = accounts_cfg_keys,
     .elem_size = sizeof(struct cfg_accounts), .init = accounts_cfg_init,
     .check = accounts_cfg_check},
    {.name = NULL},
};

const struct cfg_accounts *accounts_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "accounts");
}

static const char *const no_params[] = {NULL};

static const struct api_route routes[] = {
	{"GET", "/api/v1/users", false, api_get_users, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_READ},
	{"GET", "/api/v1/users/", true, api_get_user, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_READ},
	{"POST", "/api/v1/users", false, api_post_users, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_MANAGE},
	/* NAME/disable, enable, unlock, password, role, tokens */
	{"POST", "/api/v1/users/", true, api_post_user, no_params, true, false,
	 AUTHZ_ACT_ACCOUNTS_MANAGE},
	{"DELETE", "/api/v1/users/", true, api_delete_user, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_MANAGE},
	/* web sessions: the HTTP server lets a login through without a token */
	{"POST", "/api/v1/login", false, api_post_login, no_params, false, false, AUTHZ_ACT_SELF},
	{"POST", "/api/v1/logout", false, api_post_logout, no_params, false, false, AUTHZ_ACT_SELF},
	{"GET", "/api/v1/sessions", false, api_get_sessions, no_params, false, false,
	 AUTHZ_ACT_SELF},
	{"DELETE", "/api/v1/sessions/", true, api_delete_session, no_params, false, false,
	 AUTHZ_ACT_SELF},
	{"POST", "/api/v1/password", false, api_post_password, no_params, false, false,
	 AUTHZ_ACT_SELF},
	{"POST", "/api/v1/mfa", false, api_post_mfa, no_params, false, false, AUTHZ_ACT_SELF},
	{"POST", "/api/v1/mfa/confirm", false, api_post_mfa_confirm, no_params, false, false,
	 AUTHZ_ACT_SELF},
	{"GET", "/api/v1/mfa-policy", false, api_get_mfa_policy, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_READ},
	{"POST", "/api/v1/mfa-policy/", true, api_post_mfa_policy, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_MANAGE},
	{.method = NULL},
};

/* The account store (accounts.db in the state directory); the composition root gives
 * the state the engine whose audit log records the accounts' changes.  On failure
 * *state is kept for accounts_part_free. */
static int accounts_part_new(const struct part_env *env, void **state)
{
	const char *dir = env->cfg->daemon.state_dir;
	struct accounts_part_state *st = calloc(1, sizeof(*st));
	char err[512] = "";
	if (!(*state = st)) {
		log_msg(LOG_LVL_ERROR, "accounts", NULL, "out of memory at start-up");
		return -1;
	}
	if (dir && !(st->store = accounts_open(dir, accounts_cfg_of(env->cfg), err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "accounts", NULL, "%s", err);
		return -1;
	}
	accounts_set_workers(st->store, env->wq); /* yescrypt off the loop thread */
	return 0;
}

static void accounts_part_reload(const struct part_env *env, void **state, const struct cfg *old)
{
	struct accounts_part_state *st = *state;
	(void)old;
	if (st)
		accounts_reload(st->store, accounts_cfg_of(env->cfg));
}

/* Once the work queue has drained: no password job runs any more. */
static void accounts_part_free(void *state)
{
	struct accounts_part_state *st = state;
	if (!st)
		return;
	accounts_free(st->store);
	free(st);
}

/* Inactive accounts and the audit log's retention, and the security metrics. */
static void accounts_part_tick(const struct part_env *env, void *state, int64_t now_ms)
{
	struct accounts_part_state *st = state;
	accounts_tick(st->store, st->audit, env->reg, now_ms);
}

const struct dcmon_part accounts_part = {
	.name = "accounts",
	.daemon_keys = daemon_keys,
	.routes = routes,
	.new = accounts_part_new,
	.reload = accounts_part_reload,
	.free = accounts_part_free,
	.tick = accounts_part_tick,
};
