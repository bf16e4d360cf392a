/* Who may do what: roles, each a fixed set of permissions, and the one function every
 * surface asks (the API router for each route on both transports, and per object in the
 * handlers; the dashboard's pages, graphs and event stream): authz_check(actor, action,
 * object) -> allow, deny (403) or hide (404: another tenant's object answers exactly like
 * a missing one, so its existence does not leak).  docs/ACCOUNTS.md has the matrix.
 *
 * Actors come from the transports: the Unix socket's peer credentials (root and the
 * daemon's own user are noc-admin; other local users are mapped in the config or
 * refused), the HTTP bearer token of http.token_file (a noc-operator, for
 * compatibility), per-account API tokens (accounts/).  Pure functions: any thread.
 */
#ifndef DCMON_AUTHZ_H
#define DCMON_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dcmon/config.h"

enum authz_role {
	AUTHZ_ROLE_NONE,            /* no credentials: may only log in (authz_check) */
	AUTHZ_ROLE_NOC_ADMIN,       /* everything (no one erases audit) */
	AUTHZ_ROLE_NOC_OPERATOR,    /* all sites: views, acks, silences, test mode */
	AUTHZ_ROLE_SECURITY_ADMIN,  /* accounts, sessions, lockouts; no operations */
	AUTHZ_ROLE_AUDITOR,         /* reads the audit log */
	AUTHZ_ROLE_TENANT_ADMIN,    /* one tenant: views, acks, its accounts */
	AUTHZ_ROLE_TENANT_APPROVER, /* one tenant: views, acks, approves layer changes */
	AUTHZ_ROLE_TENANT_OPERATOR, /* one tenant: views, acks its alerts */
	AUTHZ_ROLE_WALL,            /* read-only, optionally scoped to a site or a tenant */
	AUTHZ_ROLE_COUNT
};
/* "noc-admin", "noc-operator", ...; "none" for AUTHZ_ROLE_NONE.  NULL-terminated. */
extern const char *const authz_role_names[];
const char *authz_role_name(enum authz_role r);
/* 0 and *out, or -EINVAL ("none" is not accepted). */
int authz_role_parse(const char *s, enum authz_role *out);
/* Is the role confined to one tenant (tenant-*; wall when given a tenant)? */
bool authz_role_needs_tenant(enum authz_role r);

/* What is asked.  A route names its action (dcmon/api_route.h); AUTHZ_ACT_DEFAULT is
 * VIEW for GET and OPERATE (ack) for other methods. */
enum authz_action {
	AUTHZ_ACT_DEFAULT,
	AUTHZ_ACT_VIEW,            /* status, devices, metrics, alerts, graphs, events */
	AUTHZ_ACT_ACK,             /* acknowledge an alert (tenant roles: their own) */
	AUTHZ_ACT_SILENCE,         /* silences (selectors may span tenants: NOC only) */
	AUTHZ_ACT_TEST_MODE,       /* facility test windows */
	AUTHZ_ACT_AUDIT_READ,      /* the audit log */
	AUTHZ_ACT_NOTIFY_ADMIN,    /* e-mail spool, recipients, test e-mails */
	AUTHZ_ACT_ACCOUNTS_READ,   /* accounts: list, show */
	AUTHZ_ACT_ACCOUNTS_MANAGE, /* accounts: add, disable, password, role, unlock, delete */
	AUTHZ_ACT_SELF,            /* one's own web session: log in and out, list, revoke */
	AUTHZ_ACT_RECIPIENTS,      /* a tenant's own alert recipients: list, add, test, remove */
	AUTHZ_ACT_LAYER_REQUEST,   /* ask for a change of a tenant layer (docs/PORTAL.md) */
	AUTHZ_ACT_LAYER_APPLY,     /* a change of a tenant layer applies at once */
	AUTHZ_ACT_LAYER_APPROVE,   /* approve or reject a tenant layer's requests */
	AUTHZ_ACT_LAYER_LOCK,      /* lock a tenant layer, override its items (NOC) */
	AUTHZ_ACT_MAINTENANCE,     /* ask for a maintenance window, withdraw or end one */
	AUTHZ_ACT_MAINTENANCE_APPROVE, /* approve or reject another account's maintenance */
	AUTHZ_ACT_COUNT
};
const char *authz_action_name(enum authz_action a);

#define AUTHZ_NAME_MAX 64

/* Who asks.  name: the account ("alice"), "root", or "http-token"; source: where from
 * ("unix:pid=42", "http:127.0.0.1:5123"). */
struct authz_actor {
	char name[AUTHZ_NAME_MAX];
	enum authz_role role;
	char tenant[AUTHZ_NAME_MAX]; /* tenant roles, wall: the tenant; "" = none */
	char site[AUTHZ_NAME_MAX];   /* wall: the site; "" = none */
	char source[96];
};

/* Where an object stands for a scoped actor. */
enum authz_scope {
	AUTHZ_SCOPE_ALL,    /* no tenant question (a route, or an unscoped actor) */
	AUTHZ_SCOPE_OWN,    /* the actor's tenant's (or site's) object */
	AUTHZ_SCOPE_SHARED, /* shared infrastructure feeding it: read-only */
	AUTHZ_SCOPE_OTHER,  /* someone else's: as if it did not exist */
};

/* "all", "own", "shared", "other" (the device JSON's "scope" for a scoped actor). */
const char *authz_scope_name(enum authz_scope s);

struct authz_object {
	enum authz_scope scope;
};

enum authz_result {
	AUTHZ_ALLOW,
	AUTHZ_DENY, /* 403: the action is not the role's */
	AUTHZ_HIDE, /* 404: the object is outside the actor's scope */
	AUTHZ_LOGIN, /* 401: nobody authenticated (AUTHZ_ROLE_NONE): log in first */
};

/* The one decision.  actor NULL (a Unix socket peer without a role) is denied; an actor
 * of AUTHZ_ROLE_NONE (an HTTP reader without credentials, anonymous reads refused) may
 * only log in (AUTHZ_ACT_SELF), anything else answers AUTHZ_LOGIN; object NULL is the
 * route itself (AUTHZ_SCOPE_ALL).  An object outside the scope is hidden whatever the
 * action, shared infrastructure is view-only. */
enum authz_result authz_check(const struct authz_actor *actor, enum authz_action action,
			      const struct authz_object *object);
/* The HTTP status of a refusal: 401, 403 or 404 (0 for ALLOW). */
int authz_http_status(enum authz_result r);

/* Is the actor confined to a tenant or a site (so objects need a scope)? */
bool authz_actor_scoped(const struct authz_actor *actor);

/* The scope of every device of cfg for actor, into out[cfg->ndevices] (the device's
 * index in cfg->devices): the device predicate of lists, pages, graphs and the event
 * stream.  Own: the tenant's devices (its own tenant, else its rack's) or the site's;
 * shared: devices without a tenant upstream of an own one through fed_by (the UPS/PDU
 * chain), and cooling and environment devices in a room that holds an own one; other:
 * the rest.  Unscoped actors get AUTHZ_SCOPE_ALL everywhere.  O(devices + fed_by). */
void authz_device_scopes(const struct cfg *cfg, const struct authz_actor *actor,
			 enum authz_scope *out);

/* authz_check() of one device, its scope computed for the occasion (a graph, a page):
 * lists use authz_device_scopes() once.  Out of memory hides the device. */
enum authz_result authz_device_check(const struct cfg *cfg, const struct authz_actor *actor,
				     enum authz_action action, const struct cfg_device *dev);

/* ---- anonymous HTTP readers ------------------------------------------------------- */

/* http.anonymous: what a reader without a token or a session is (docs/ACCOUNTS.md). */
enum authz_anonymous {
	AUTHZ_ANON_AUTO, /* a wall while no account exists, refused as soon as one does */
	AUTHZ_ANON_NONE, /* refused: 401 (the pages send it to /login) */
	AUTHZ_ANON_WALL, /* an unscoped wall: reads everything, writes nothing */
};
/* "auto", "none", "wall".  NULL-terminated (a CFGK_ENUM's names). */
extern const char *const authz_anonymous_names[];
/* Does the policy let anonymous readers in, any_account telling whether the account
 * store holds an account? */
bool authz_anonymous_reads(enum authz_anonymous policy, bool any_account);
/* The actor of an HTTP request without credentials: "anonymous", an unscoped wall when
 * reads is true, else AUTHZ_ROLE_NONE (authz_check answers AUTHZ_LOGIN).  source: the
 * client's address. */
void authz_anonymous_actor(struct authz_actor *out, bool reads, const char *source);

/* ---- local users (the Unix socket) --------------------------------------------------- */

/* One entry of daemon.accounts.local_users: a local (passwd) user and its role. */
struct authz_local_user {
	char *user;
	int role;     /* enum authz_role (a config enum field) */
	char *tenant; /* for tenant roles */
	char *site;   /* for a wall */
	struct cfg_pos pos;
};

/* The actor of a Unix socket peer: root (uid 0) and the daemon's own user are
 * noc-admin; another user is the entry of map naming it (n entries), else refused.
 * Returns 0 with *out filled, or -EPERM. */
int authz_local_actor(uid_t uid, const char *user, const struct authz_local_user *map,
		      size_t n, const char *source, struct authz_actor *out);

#endif
