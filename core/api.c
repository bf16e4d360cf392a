/* The JSON API's entry point: routes a request through the tables of
 * {method, path, handler, allowed query parameters}, the kernel's and each part's
 * (dcmon/part.h), and answers errors as JSON. */
#include "dcmon/api.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "dcmon/loop.h"
#include "dcmon/enumtab.h"
#include "dcmon/part.h"

static const char *const no_params[] = {NULL};
static const char *const status_params[] = {"site", "room", "kind", "device", "tenant",
					    "metrics", NULL};
static const char *const metrics_params[] = {"device", "name", "inst", NULL};

/* The kernel's endpoints; the parts bring theirs (dcmon/part.h). */
static const struct api_route api_routes[] = {
	{"GET", "/api/v1/health", false, api_get_health, no_params, false, false, AUTHZ_ACT_VIEW},
	{"GET", "/api/v1/status", false, api_get_status, status_params, false, false, AUTHZ_ACT_VIEW},
	{"GET", "/api/v1/devices/", true, api_get_device, no_params, false, false, AUTHZ_ACT_VIEW},
	{"GET", "/api/v1/metrics", false, api_get_metrics, metrics_params, false, false, AUTHZ_ACT_VIEW},
	/* Prometheus' scrape: its path is the one Prometheus asks by default */
	{"GET", "/metrics", false, api_get_prometheus, no_params, false, false, AUTHZ_ACT_VIEW},
	{.method = NULL},
};

static const char *const dev_state_names[] = {
	[DEV_STATE_UNKNOWN] = "unknown",
	[DEV_STATE_UP] = "up",
	[DEV_STATE_DEGRADED] = "degraded",
	[DEV_STATE_UNREACHABLE] = "unreachable",
	NULL,
};

const char *dev_state_name(enum dev_state s)
{
	return enum_name(dev_state_names, (int)s);
}

static const char *const api_health_names[] = {
	[API_HEALTH_OK] = "ok",
	[API_HEALTH_WARNING] = "warning",
	[API_HEALTH_CRITICAL] = "critical",
	[API_HEALTH_UNKNOWN] = "unknown",
	NULL,
};

const char *api_health_name(enum api_health h)
{
	return enum_name(api_health_names, (int)h);
}

int api_health_parse(const char *s, enum api_health *out)
{
	int v;
	if (enum_parse(api_health_names, s, &v) < 0)
		return -EINVAL;
	*out = (enum api_health)v;
	return 0;
}

/* Rank for "worse": ok < unknown < warning < critical. */
static int api_health_rank(enum api_health h)
{
	static const int rank[] = {
		[API_HEALTH_OK] = 0, [API_HEALTH_UNKNOWN] = 1,
		[API_HEALTH_WARNING] = 2, [API_HEALTH_CRITICAL] = 3,
	};
	return (unsigned)h <= API_HEALTH_UNKNOWN ? rank[h] : 1;
}

enum api_health api_health_worst(enum api_health a, enum api_health b)
{
	return api_health_rank(a) >= api_health_rank(b) ? a : b;
}

void api_reply_json(struct api_response *resp, int status, json_t *body)
{
	resp->content_type = "application/json";
	resp->body = body ? json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(body);
	if (!resp->body) {
		resp->status = 500;
		resp->body = strdup("{\"error\":\"out of memory\"}");
		return;
	}
	resp->status = status;
}

void api_reply_error(struct api_response *resp, int status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_reply_json(resp, status, json_pack("{s:s}", "error", msg));
}

json_t *api_body_object(const struct api_ctx *ctx, struct api_response *resp)
{
	json_error_t jerr;
	const struct api_request *r = ctx->req;
	json_t *o = r->body && r->body_len ? json_loadb(r->body, r->body_len, 0, &jerr)
					   : json_object();
	if (!json_is_object(o)) {
		api_reply_error(resp, 400, "body: expected a JSON object%s%s", o ? "" : ": ",
				o ? "" : jerr.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

void api_response_free(struct api_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	resp->body = NULL;
	free(resp->session_set);
	resp->session_set = NULL;
}

/* Does the route's path match?  Sets *tail for prefix routes. */
static bool api_route_match(const struct api_route *r, const char *path, const char **tail)
{
	if (!r->prefix) {
		*tail = "";
		return strcmp(r->path, path) == 0;
	}
	size_t n = strlen(r->path);
	if (strncmp(r->path, path, n) != 0 || path[n] == '\0' ||
	    (!r->deep && strchr(path + n, '/')))
		return false;
	*tail = path + n;
	return true;
}

/* Rejects query parameters the route does not know, naming the allowed ones (a route
 * without a params list takes none). */
static bool api_params_ok(const struct api_route *r, const struct api_query *q,
			  struct api_response *resp)
{
	static const char *const none[] = {NULL};
	const char *const *params = r->params ? r->params : none;

	for (size_t i = 0; i < q->n; i++) {
		bool known = false;
		for (size_t j = 0; params[j] && !known; j++)
			known = strcmp(params[j], q->v[i].name) == 0;
		if (known)
			continue;
		char allowed[256] = "";
		for (size_t j = 0; params[j]; j++)
			snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
				 "%s%s", j ? ", " : "", params[j]);
		api_reply_error(resp, 400, "unknown query parameter '%s' (allowed: %s)",
				q->v[i].name, allowed[0] ? allowed : "none");
		return false;
	}
	return true;
}

/* Did the request come over the Unix socket (its origin is "unix:...")? */
static bool api_peer_is_local(const struct api_request *req)
{
	return req->peer_origin && strncmp(req->peer_origin, "unix:", 5) == 0;
}

/* The route of req in one table (terminated by a NULL method), or NULL; sets
 * *path_known when a route has the path but another method. */
static const struct api_route *api_table_find(const struct api_route *table,
					      const struct api_request *req, const char **tail,
					      bool *path_known)
{
	for (const struct api_route *r = table; r && r->method; r++) {
		if (!api_route_match(r, req->path, tail))
			continue;
		if (strcmp(r->method, req->method) == 0)
			return r;
		*path_known = true;
	}
	return NULL;
}

/* Finds the route in the kernel's table, then the parts' (setting *part to the state
 * of the part whose route it is); answers 404 or 405 itself when there is none. */
static const struct api_route *api_route_find(const struct api_env *env,
					      const struct api_request *req, const char **tail,
					      void **part, struct api_response *resp)
{
	bool path_known = false;
	const struct api_route *r = api_table_find(api_routes, req, tail, &path_known);
	*part = NULL;
	for (size_t i = 0; !r && dcmon_parts[i]; i++)
		if ((r = api_table_find(dcmon_parts[i]->routes, req, tail, &path_known)))
			*part = dcmon_part_state(env, i);
	if (r)
		return r;
	if (path_known)
		api_reply_error(resp, 405, "method %s not allowed on %s", req->method, req->path);
	else
		api_reply_error(resp, 404, "no such endpoint: %s", req->path);
	return NULL;
}

/* The route's action (AUTHZ_ACT_DEFAULT: view for GET, ack for other methods). */
static enum authz_action api_route_action(const struct api_route *r)
{
	if (r->action != AUTHZ_ACT_DEFAULT)
		return r->action;
	return strcmp(r->method, "GET") == 0 ? AUTHZ_ACT_VIEW : AUTHZ_ACT_ACK;
}

/* Asks authz_check() for the route; answers the refusal itself. */
static bool api_route_allowed(const struct api_route *r, const struct api_request *req,
			      struct api_response *resp)
{
	enum authz_action act = api_route_action(r);
	enum authz_result ar = authz_check(req->actor, act, NULL);
	if (ar == AUTHZ_ALLOW)
		return true;
	if (!req->actor)
		api_reply_error(resp, 403, "%s is not mapped to a role (daemon.accounts.local_users)",
				req->peer ? req->peer : "this client");
	else if (ar == AUTHZ_LOGIN)
		api_reply_error(resp, 401, "not logged in, or the session has ended: log in (POST "
				"/api/v1/login) or send Authorization: Bearer <token> (anonymous "
				"reads are refused: http.anonymous)");
	else
		api_reply_error(resp, authz_http_status(ar), "%s (%s) may not %s",
				req->actor->name, authz_role_name(req->actor->role),
				authz_action_name(act));
	return false;
}

/* The scopes of the devices for a scoped actor, or NULL (every device is in scope, or
 * out of memory: then lists are empty and devices 404, failing closed). */
static enum authz_scope *api_scopes_new(const struct api_env *env,
					const struct authz_actor *actor, bool *failed)
{
	*failed = false;
	if (!authz_actor_scoped(actor) || !env->cfg)
		return NULL;
	enum authz_scope *s = calloc(env->cfg->ndevices + 1, sizeof(*s));
	if (!s) {
		*failed = true;
		return NULL;
	}
	authz_device_scopes(env->cfg, actor, s);
	return s;
}

enum authz_result api_device_check(const struct api_ctx *ctx, enum authz_action action,
				   const struct cfg_device *dev)
{
	struct authz_object obj = {.scope = AUTHZ_SCOPE_ALL};
	if (authz_actor_scoped(ctx->req->actor))
		obj.scope = ctx->scopes ? ctx->scopes[dev - ctx->env->cfg->devices]
					: AUTHZ_SCOPE_OTHER;
	return authz_check(ctx->req->actor, action, &obj);
}

bool api_device_visible(const struct api_ctx *ctx, const struct cfg_device *dev)
{
	return api_device_check(ctx, AUTHZ_ACT_VIEW, dev) == AUTHZ_ALLOW;
}

static void api_serve(const struct api_env *env, const struct api_request *req,
		      const struct api_route *r, void *part, const char *tail,
		      const struct api_query *q, struct api_response *resp)
{
	bool failed;
	enum authz_scope *scopes = api_scopes_new(env, req->actor, &failed);
	if (failed) {
		api_reply_error(resp, 503, "out of memory");
		return;
	}
	struct api_alert_index alerts = {0};
	struct api_ctx ctx = {
		.env = env, .req = req, .query = q, .tail = tail,
		.now_ms = clock_wall_ms(), .alerts = &alerts, .scopes = scopes, .part = part,
	};
	r->handler(&ctx, resp);
	api_alert_index_free(&alerts);
	free(scopes);
}

void api_handle(const struct api_env *env, const struct api_request *req,
		struct api_response *resp)
{
	*resp = (struct api_response){0};
	const char *tail = "";
	void *part;
	const struct api_route *r = api_route_find(env, req, &tail, &part, resp);
	if (!r)
		return;
	if (r->local && !api_peer_is_local(req)) {
		api_reply_error(resp, 403, "%s is served on the Unix socket only", req->path);
		return;
	}
	if (!api_route_allowed(r, req, resp))
		return;
	struct api_query q;
	char err[256];
	if (api_query_parse(&q, req->query, err, sizeof(err)) < 0)
		api_reply_error(resp, 400, "%s", err);
	else if (api_params_ok(r, &q, resp))
		api_serve(env, req, r, part, tail, &q, resp);
	api_query_free(&q);
}
