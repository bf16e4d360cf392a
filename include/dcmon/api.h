/* The JSON API (/api/v1/...).  One set of handlers, served on a Unix socket for the
 * CLI (core/api_unix.c) and later over TCP for the dashboard.
 *
 * Handlers run on the loop thread and only read the state they are given.
 */
#ifndef DCMON_API_H
#define DCMON_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dcmon/authz.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"

struct workq;

enum dev_state {
	DEV_STATE_UNKNOWN,     /* not polled yet */
	DEV_STATE_UP,          /* last poll fully succeeded */
	DEV_STATE_DEGRADED,    /* answered, but some points failed */
	DEV_STATE_UNREACHABLE, /* did not answer */
};
const char *dev_state_name(enum dev_state s);

/* Runtime state of one device, kept by the scheduler. */
struct dev_status {
	enum dev_state state;
	char reason[128];        /* why not UP; "" when UP */
	int64_t since_ms;        /* wall clock of the last state change, 0 = never */
	int64_t last_poll_ms;    /* wall clock of the last poll start, 0 = never */
	int64_t last_duration_ms;/* how long the last poll took */
	int64_t next_poll_ms;    /* wall clock of the next due poll */
	int64_t interval_ms;     /* current interval, including backoff */
	int failures;            /* consecutive unreachable polls */
	uint64_t polls;          /* polls completed */
	uint64_t overruns;       /* due times skipped because the previous poll still ran */
};

/* Overall health of a device as monitoring tools count it; the numeric values are the
 * Nagios exit codes.  "Worse" order is ok < unknown < warning < critical. */
enum api_health {
	API_HEALTH_OK = 0,
	API_HEALTH_WARNING = 1,
	API_HEALTH_CRITICAL = 2,
	API_HEALTH_UNKNOWN = 3,
};
/* "ok", "warning", "critical", "unknown". */
const char *api_health_name(enum api_health h);
/* Parses a name of api_health_name(); 0 or -EINVAL. */
int api_health_parse(const char *s, enum api_health *out);
/* The worse of two healths (critical > warning > unknown > ok). */
enum api_health api_health_worst(enum api_health a, enum api_health b);

/* What the handlers read. */
struct api_env {
	const struct cfg *cfg;
	struct metric_reg *reg;
	/* Runtime state of a device, or NULL if unknown. */
	const struct dev_status *(*dev_status)(void *arg, const char *device_id);
	void *arg;
	int64_t started_ms; /* wall clock of daemon start */
	const char *version;
	/* The state of each part, indexed like dcmon_parts (dcmon/part.h: a route's
	 * ctx->part); NULL, or a NULL entry, for a part that does not run. */
	void *const *parts;
	/* Who the HTTP transport's credentials name, as an account store answers it (the
	 * accounts part); auth is its state, NULL when there is no store. */
	void *auth;
	/* The worker pool, for a handler's long work (an availability report) answered
	 * later (api_later_new); NULL: the work runs at once. */
	struct workq *wq;
	/* The actor of a per-account API token (HTTP bearer): 0 and *out filled, or a
	 * negative errno. */
	int (*token_actor)(void *auth, const char *token, const char *source,
			   struct authz_actor *out);
	/* The actor of a web session id (the HTTP cookie) at wall time now_ms; for a write,
	 * csrf is the request's CSRF token (NULL for a read: not checked).  0 and *out, or
	 * -ENOENT (no such session, or expired), -EACCES (account disabled), -EPERM (CSRF
	 * token missing or wrong). */
	int (*session_actor)(void *auth, const char *sid, const char *csrf,
			     const char *source, int64_t now_ms, struct authz_actor *out);
	/* Does the account store hold an account (http.anonymous: auto)?  NULL when there
	 * is no account store. */
	bool (*any_account)(void *auth);
	/* daemon.accounts.local_users: the roles of local users other than root and the
	 * daemon's own (dcmon/authz.h, authz_local_actor) */
	const struct authz_local_user *local_users;
	size_t nlocal_users;
};

struct api_request {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* "/api/v1/status" (no query) */
	const char *query;  /* "site=tokyo-1&kind=ups" without '?', may be NULL */
	const char *body;   /* may be NULL */
	size_t body_len;
	/* Who asked and from where, for the audit log; NULL when unknown.  The Unix socket
	 * server fills them from the kernel's peer credentials (SO_PEERCRED): peer is the
	 * user name ("alice", or "uid:1000" without a passwd entry), peer_origin
	 * "unix:pid=4242".  A body's "by" never replaces peer (see docs/API.md). */
	const char *peer;
	const char *peer_origin;
	/* Who is asking, as authenticated by the transport; NULL = nobody: every route
	 * is refused (dcmon/authz.h). */
	const struct authz_actor *actor;
	/* The web session id of the request (HTTP cookie), or NULL. */
	const char *session;
	/* The Accept header, or NULL (GET /metrics chooses its format by it). */
	const char *accept;
};

struct api_response {
	int status;         /* HTTP status */
	char *body;         /* malloc'd text (JSON but for GET /metrics); freed by api_response_free */
	const char *content_type;
	/* A web session to set as the HTTP cookie (malloc'd; "" clears it), or NULL:
	 * login and logout.  The Unix socket has no cookies and ignores it. */
	char *session_set;
	/* Set when the handler answers later (its work runs on the worker pool): status and
	 * body are empty, the transport waits with api_later_wait().  NULL otherwise. */
	struct api_later *later;
};

/* Fills resp for req; always produces a JSON body (errors as {"error": "..."}). */
void api_handle(const struct api_env *env, const struct api_request *req,
		struct api_response *resp);
void api_response_free(struct api_response *resp);

/* A reply that comes later (dcmon/api_route.h, api_later_new): the transport keeps the
 * connection and gets the response through fn (on the loop thread), which then owns it
 * (api_response_free).  fn may be called from within api_later_wait, when the reply
 * came before the wait. */
typedef void (*api_later_fn)(void *arg, struct api_response *resp);
void api_later_wait(struct api_later *l, api_later_fn fn, void *arg);
/* The connection went away: the reply, when it comes, is dropped. */
void api_later_cancel(struct api_later *l);

/* The Unix socket server. */
struct loop;
struct api_unix;
/* Binds `path` (mode 0660, group `group` if not NULL; a stale socket is replaced, a live
 * one is an error), serving env.  NULL with err filled on failure. */
struct api_unix *api_unix_new(struct loop *loop, const char *path, const char *group,
			      const struct api_env *env, char *err, size_t errlen);
/* Swaps the state served (after a reload). */
void api_unix_set_env(struct api_unix *s, const struct api_env *env);
void api_unix_free(struct api_unix *s);

#endif
