/* The one authorization point (dcmon/authz.h): roles as fixed permission sets, objects
 * in or out of an actor's scope, and the actor of a Unix socket peer. */
#include "dcmon/authz.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/api_route.h"
#include "dcmon/enumtab.h"

const char *const authz_role_names[] = {
	[AUTHZ_ROLE_NONE] = "none",
	[AUTHZ_ROLE_NOC_ADMIN] = "noc-admin",
	[AUTHZ_ROLE_NOC_OPERATOR] = "noc-operator",
	[AUTHZ_ROLE_SECURITY_ADMIN] = "security-admin",
	[AUTHZ_ROLE_AUDITOR] = "auditor",
	[AUTHZ_ROLE_TENANT_ADMIN] = "tenant-admin",
	[AUTHZ_ROLE_TENANT_APPROVER] = "tenant-approver",
	[AUTHZ_ROLE_TENANT_OPERATOR] = "tenant-operator",
	[AUTHZ_ROLE_WALL] = "wall",
	NULL,
};

static const char *const action_names[] = {
	[AUTHZ_ACT_DEFAULT] = "default",
	[AUTHZ_ACT_VIEW] = "view",
	[AUTHZ_ACT_ACK] = "ack",
	[AUTHZ_ACT_SILENCE] = "silence",
	[AUTHZ_ACT_TEST_MODE] = "test-mode",
	[AUTHZ_ACT_AUDIT_READ] = "audit-read",
	[AUTHZ_ACT_NOTIFY_ADMIN] = "notify-admin",
	[AUTHZ_ACT_ACCOUNTS_READ] = "accounts-read",
	[AUTHZ_ACT_ACCOUNTS_MANAGE] = "accounts-manage",
	[AUTHZ_ACT_SELF] = "self",
	[AUTHZ_ACT_RECIPIENTS] = "recipients",
	[AUTHZ_ACT_LAYER_REQUEST] = "layer-request",
	[AUTHZ_ACT_LAYER_APPLY] = "layer-apply",
	[AUTHZ_ACT_LAYER_APPROVE] = "layer-approve",
	[AUTHZ_ACT_LAYER_LOCK] = "layer-lock",
	[AUTHZ_ACT_MAINTENANCE] = "maintenance",
	[AUTHZ_ACT_MAINTENANCE_APPROVE] = "maintenance-approve",
	NULL,
};

#define P(a) (1u << (a))
#define SELF P(AUTHZ_ACT_SELF) /* every role logs itself in and out */
/* a tenant layer's changes (docs/PORTAL.md): asked, applied at once, approved */
#define LAYER_ALL (P(AUTHZ_ACT_LAYER_REQUEST) | P(AUTHZ_ACT_LAYER_APPLY) | \
		   P(AUTHZ_ACT_LAYER_APPROVE))
/* Each role's permissions: the whole of what it may do. */
static const unsigned role_perms[AUTHZ_ROLE_COUNT] = {
	[AUTHZ_ROLE_NONE] = SELF, /* the login page, and a login: nothing else */
	[AUTHZ_ROLE_NOC_ADMIN] = SELF | P(AUTHZ_ACT_VIEW) | P(AUTHZ_ACT_ACK) |
				 P(AUTHZ_ACT_SILENCE) | P(AUTHZ_ACT_TEST_MODE) |
				 P(AUTHZ_ACT_AUDIT_READ) | P(AUTHZ_ACT_NOTIFY_ADMIN) |
				 P(AUTHZ_ACT_ACCOUNTS_READ) | P(AUTHZ_ACT_ACCOUNTS_MANAGE) |
				 P(AUTHZ_ACT_RECIPIENTS) | LAYER_ALL | P(AUTHZ_ACT_LAYER_LOCK) |
				 P(AUTHZ_ACT_MAINTENANCE) | P(AUTHZ_ACT_MAINTENANCE_APPROVE),
	[AUTHZ_ROLE_NOC_OPERATOR] = SELF | P(AUTHZ_ACT_VIEW) | P(AUTHZ_ACT_ACK) |
				    P(AUTHZ_ACT_SILENCE) | P(AUTHZ_ACT_TEST_MODE) |
				    P(AUTHZ_ACT_MAINTENANCE),
	[AUTHZ_ROLE_SECURITY_ADMIN] = SELF | P(AUTHZ_ACT_ACCOUNTS_READ) |
				      P(AUTHZ_ACT_ACCOUNTS_MANAGE),
	[AUTHZ_ROLE_AUDITOR] = SELF | P(AUTHZ_ACT_AUDIT_READ),
	[AUTHZ_ROLE_TENANT_ADMIN] = SELF | P(AUTHZ_ACT_VIEW) | P(AUTHZ_ACT_ACK) |
				    P(AUTHZ_ACT_ACCOUNTS_READ) | P(AUTHZ_ACT_ACCOUNTS_MANAGE) |
				    P(AUTHZ_ACT_RECIPIENTS) | LAYER_ALL | P(AUTHZ_ACT_MAINTENANCE) |
				    P(AUTHZ_ACT_MAINTENANCE_APPROVE),
	/* a tenant's own maintenance entries (docs/ACCOUNTS.md "Maintenance"): its operator
	 * asks, its approver approves */
	[AUTHZ_ROLE_TENANT_APPROVER] = SELF | P(AUTHZ_ACT_VIEW) | P(AUTHZ_ACT_ACK) |
				       P(AUTHZ_ACT_LAYER_REQUEST) | P(AUTHZ_ACT_LAYER_APPROVE) |
				       P(AUTHZ_ACT_MAINTENANCE_APPROVE),
	[AUTHZ_ROLE_TENANT_OPERATOR] = SELF | P(AUTHZ_ACT_VIEW) | P(AUTHZ_ACT_ACK) |
				       P(AUTHZ_ACT_LAYER_REQUEST) | P(AUTHZ_ACT_MAINTENANCE),
	[AUTHZ_ROLE_WALL] = SELF | P(AUTHZ_ACT_VIEW),
};
#undef SELF
#undef LAYER_ALL
#undef P

static const char *const scope_names[] = {
	[AUTHZ_SCOPE_ALL] = "all",
	[AUTHZ_SCOPE_OWN] = "own",
	[AUTHZ_SCOPE_SHARED] = "shared",
	[AUTHZ_SCOPE_OTHER] = "other",
	NULL,
};

const char *authz_scope_name(enum authz_scope s)
{
	return enum_name(scope_names, (int)s);
}

const char *authz_role_name(enum authz_role r)
{
	return enum_name(authz_role_names, (int)r);
}

int authz_role_parse(const char *s, enum authz_role *out)
{
	int v;
	if (enum_parse(authz_role_names, s, &v) < 0 || v == AUTHZ_ROLE_NONE)
		return -EINVAL;
	*out = (enum authz_role)v;
	return 0;
}

const char *authz_action_name(enum authz_action a)
{
	return enum_name(action_names, (int)a);
}

bool authz_role_needs_tenant(enum authz_role r)
{
	return r == AUTHZ_ROLE_TENANT_ADMIN || r == AUTHZ_ROLE_TENANT_APPROVER ||
	       r == AUTHZ_ROLE_TENANT_OPERATOR;
}

bool authz_actor_scoped(const struct authz_actor *a)
{
	return a && (a->tenant[0] || a->site[0]);
}

enum authz_result authz_check(const struct authz_actor *actor, enum authz_action action,
			      const struct authz_object *object)
{
	if (!actor || (unsigned)actor->role >= AUTHZ_ROLE_COUNT ||
	    (unsigned)action >= AUTHZ_ACT_COUNT)
		return AUTHZ_DENY;
	enum authz_scope scope = object ? object->scope : AUTHZ_SCOPE_ALL;
	if (scope == AUTHZ_SCOPE_OTHER && authz_actor_scoped(actor))
		return AUTHZ_HIDE; /* before the permission: a 403 would say it exists */
	if (!(role_perms[actor->role] & (1u << action)))
		return actor->role == AUTHZ_ROLE_NONE ? AUTHZ_LOGIN : AUTHZ_DENY;
	if (scope == AUTHZ_SCOPE_SHARED && authz_actor_scoped(actor) && action != AUTHZ_ACT_VIEW)
		return AUTHZ_DENY;
	return AUTHZ_ALLOW;
}

int authz_http_status(enum authz_result r)
{
	return r == AUTHZ_HIDE ? 404 : r == AUTHZ_DENY ? 403 : r == AUTHZ_LOGIN ? 401 : 0;
}

/* ---- anonymous HTTP readers ------------------------------------------------------- */

const char *const authz_anonymous_names[] = {
	[AUTHZ_ANON_AUTO] = "auto",
	[AUTHZ_ANON_NONE] = "none",
	[AUTHZ_ANON_WALL] = "wall",
	NULL,
};

/* auto: a first install (and the demo) shows its wall before anyone has an account; once
 * accounts exist, a reader names itself, since the open wall is every tenant's. */
bool authz_anonymous_reads(enum authz_anonymous policy, bool any_account)
{
	return policy == AUTHZ_ANON_WALL || (policy == AUTHZ_ANON_AUTO && !any_account);
}

/* ---- device scopes ---------------------------------------------------------------- */

static bool str_same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool device_own(const struct cfg *cfg, const struct authz_actor *a,
		       const struct cfg_device *dev)
{
	if (a->tenant[0])
		return str_same(api_device_tenant(cfg, dev), a->tenant);
	return str_same(dev->loc.site, a->site);
}

/* Marks the tenant-less devices upstream of out[i] (through fed_by) shared. */
static void mark_upstream(const struct cfg *cfg, const struct cfg_device *dev,
			  enum authz_scope *out, size_t depth)
{
	if (depth > cfg->ndevices) /* a cycle is refused by the config; bound it anyway */
		return;
	for (size_t k = 0; k < dev->nfed_by; k++) {
		const struct cfg_device *up = cfg_device_find(cfg, dev->fed_by[k]);
		if (!up)
			continue;
		size_t j = (size_t)(up - cfg->devices);
		if (out[j] != AUTHZ_SCOPE_OTHER || api_device_tenant(cfg, up))
			continue;
		out[j] = AUTHZ_SCOPE_SHARED;
		mark_upstream(cfg, up, out, depth + 1);
	}
}

static bool room_of_own(const struct cfg *cfg, const enum authz_scope *out,
			const struct cfg_device *dev)
{
	if (!dev->loc.site || !dev->loc.room)
		return false;
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (out[i] == AUTHZ_SCOPE_OWN && str_same(cfg->devices[i].loc.site, dev->loc.site) &&
		    str_same(cfg->devices[i].loc.room, dev->loc.room))
			return true;
	return false;
}

void authz_device_scopes(const struct cfg *cfg, const struct authz_actor *actor,
			 enum authz_scope *out)
{
	bool scoped = authz_actor_scoped(actor);
	for (size_t i = 0; i < cfg->ndevices; i++)
		out[i] = !scoped ? AUTHZ_SCOPE_ALL
		       : device_own(cfg, actor, &cfg->devices[i]) ? AUTHZ_SCOPE_OWN
								   : AUTHZ_SCOPE_OTHER;
	if (!scoped || !actor->tenant[0])
		return; /* a site wall sees its site; shared infrastructure is a tenant's view */
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (out[i] == AUTHZ_SCOPE_OWN)
			mark_upstream(cfg, &cfg->devices[i], out, 0);
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *d = &cfg->devices[i];
		if (out[i] == AUTHZ_SCOPE_OTHER && !api_device_tenant(cfg, d) &&
		    (d->kind == DEV_COOLING || d->kind == DEV_ENV) && room_of_own(cfg, out, d))
			out[i] = AUTHZ_SCOPE_SHARED;
	}
}

enum authz_result authz_device_check(const struct cfg *cfg, const struct authz_actor *actor,
				     enum authz_action action, const struct cfg_device *dev)
{
	struct authz_object obj = {.scope = AUTHZ_SCOPE_ALL};
	if (authz_actor_scoped(actor)) {
		enum authz_scope *s = calloc(cfg->ndevices + 1, sizeof(*s));
		obj.scope = AUTHZ_SCOPE_OTHER;
		if (s) {
			authz_device_scopes(cfg, actor, s);
			obj.scope = s[dev - cfg->devices];
		}
		free(s);
	}
	return authz_check(actor, action, &obj);
}

/* ---- local users ------------------------------------------------------------------ */

static void actor_set(struct authz_actor *out, const char *name, enum authz_role role,
		      const char *tenant, const char *site, const char *source)
{
	*out = (struct authz_actor){.role = role};
	snprintf(out->name, sizeof(out->name), "%s", name);
	snprintf(out->tenant, sizeof(out->tenant), "%s", tenant ? tenant : "");
	snprintf(out->site, sizeof(out->site), "%s", site ? site : "");
	snprintf(out->source, sizeof(out->source), "%s", source ? source : "");
}

void authz_anonymous_actor(struct authz_actor *out, bool reads, const char *source)
{
	actor_set(out, "anonymous", reads ? AUTHZ_ROLE_WALL : AUTHZ_ROLE_NONE, NULL, NULL, source);
}

int authz_local_actor(uid_t uid, const char *user, const struct authz_local_user *map,
		      size_t n, const char *source, struct authz_actor *out)
{
	/* the daemon's own user reads its state files anyway: trusting it adds nothing */
	if (uid == 0 || uid == geteuid()) {
		actor_set(out, user, AUTHZ_ROLE_NOC_ADMIN, NULL, NULL, source);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (str_same(map[i].user, user)) {
			actor_set(out, user, (enum authz_role)map[i].role, map[i].tenant, map[i].site,
				  source);
			return 0;
		}
	return -EPERM;
}
