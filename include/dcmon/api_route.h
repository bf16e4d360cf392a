/* What a part needs to serve API endpoints (dcmon/part.h hands its routes over): the
 * handler context, query parameters, JSON replies, device filters and the JSON and
 * health of devices and metrics.  The router and the transports (Unix socket, HTTP
 * framing) stay private to the kernel (core/api_internal.h).
 * Everything here runs on the loop thread.
 */
#ifndef DCMON_API_ROUTE_H
#define DCMON_API_ROUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/api.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"

/* ---- query strings ---------------------------------------------------------------- */

#define API_QUERY_MAX_LEN    4096 /* bytes of a raw query string */
#define API_QUERY_MAX_PARAMS 32   /* name=value pairs */
#define API_QUERY_NAME_MAX   64   /* bytes of a decoded name, incl. NUL */

struct api_param {
	char *name;  /* decoded, owned */
	char *value; /* decoded, owned; "" for "name" or "name=" */
};

struct api_query {
	struct api_param v[API_QUERY_MAX_PARAMS];
	size_t n;
};

/* Decodes len bytes of in (%XX, and '+' as space when plus_space) into out (NUL
 * terminated).  Returns the decoded length, or -EINVAL for a bad or NUL escape,
 * -ENAMETOOLONG if out is too small. */
int api_percent_decode(const char *in, size_t len, bool plus_space, char *out, size_t outlen);

/* Parses raw ("a=1&b=x%20y", may be NULL) into q.  Returns 0, or -EINVAL with the reason
 * in err.  q must be released with api_query_free() in both cases. */
int api_query_parse(struct api_query *q, const char *raw, char *err, size_t errlen);
void api_query_free(struct api_query *q);
/* Value of the parameter, or NULL if absent. */
const char *api_query_get(const struct api_query *q, const char *name);

/* ---- handlers ---------------------------------------------------------------------- */

/* Worst firing alert per device, built once per request on first use (O(alerts)) from
 * the parts that raise alerts (dcmon/part.h, device_alarms), so a status of thousands
 * of devices does not walk every alert per device. */
struct api_alert_worst {
	char *device;
	enum cfg_severity severity;
	char what[96]; /* summary, or rule name */
};
struct api_alert_index {
	bool built;
	struct api_alert_worst *v; /* sorted by device once built */
	size_t n, cap;
};

/* What a handler gets besides the response to fill. */
struct api_ctx {
	const struct api_env *env;
	struct api_alert_index *alerts; /* lazily built; see api_alert_index_find() */
	const struct api_request *req;
	const struct api_query *query; /* names already checked against the route */
	const char *tail;              /* path after a prefix route ("ups-a"), else "" */
	int64_t now_ms;                /* wall clock of the request */
	/* The scope of each device (index in env->cfg->devices) for a scoped actor (a
	 * tenant's), NULL when the actor sees every device; see api_device_check(). */
	const enum authz_scope *scopes;
	/* The state of the part serving the route (api_env.parts, dcmon/part.h), NULL for
	 * the kernel's routes or a part that does not run. */
	void *part;
};

typedef void (*api_handler)(const struct api_ctx *ctx, struct api_response *resp);

/* One endpoint: the API's router (core/api.c) serves the kernel's table and the table
 * of every part (dcmon/part.h), each route matched on method and path. */
struct api_route {
	const char *method;
	const char *path;           /* exact path, or a prefix ending in '/' when prefix */
	bool prefix;                /* the rest of the path (one segment) is ctx->tail */
	api_handler handler;
	const char *const *params;  /* allowed query parameters, NULL terminated */
	bool deep;                  /* prefix: the tail may hold more segments ("7/ack") */
	bool local;                 /* admin data: Unix socket peers only */
	/* What the route does, asked of authz_check() for the request's actor before the
	 * handler runs; AUTHZ_ACT_DEFAULT: view for GET, ack for other methods. */
	enum authz_action action;
};

/* Serialises body (reference stolen) as the response. */
void api_reply_json(struct api_response *resp, int status, json_t *body);
/* {"error": "..."} with the given status. */
void api_reply_error(struct api_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Marks resp as answered later, by api_later_reply() on the loop thread: a handler
 * whose work runs on the worker pool (a password hash) returns at once and the loop
 * serves others meanwhile.  NULL after answering 503 when out of memory. */
struct api_later *api_later_new(struct api_response *resp);
/* Hands resp (taken over) to the transport waiting for it, or drops it when the client
 * went away; frees l. */
void api_later_reply(struct api_later *l, struct api_response *resp);

/* The request body as a JSON object ({} when there is none), or NULL after answering
 * 400. */
json_t *api_body_object(const struct api_ctx *ctx, struct api_response *resp);

/* ---- devices ----------------------------------------------------------------------- */

/* Device selection shared by /status and later endpoints; strings point into the query. */
struct api_dev_filter {
	const char *site;   /* exact site id, or NULL */
	const char *room;   /* exact room id, or NULL */
	const char *device; /* glob on the device id, or NULL */
	const char *tenant; /* exact tenant id (device's own, else its rack's), or NULL */
	bool has_kind;
	enum dev_kind kind;
};

/* Reads site/room/kind/device/tenant from the query and checks them against the config.
 * Returns 0, or -EINVAL with a message for a 400 in err. */
int api_dev_filter_parse(const struct api_ctx *ctx, struct api_dev_filter *f, char *err,
			 size_t errlen);
bool api_dev_filter_match(const struct cfg *cfg, const struct api_dev_filter *f,
			  const struct cfg_device *dev);

/* The tenant a device belongs to: its own, else the tenant of its rack; may be NULL. */
const char *api_device_tenant(const struct cfg *cfg, const struct cfg_device *dev);

/* Health of a device from its polls alone (its runtime state and metrics):
 * unreachable -> critical; degraded or any metric in ERROR/STALE -> warning; not polled
 * yet -> unknown; else ok.  Writes a short reason ("" when ok) into reason. */
enum api_health api_device_poll_health(const struct api_env *env, const struct cfg_device *dev,
				       const struct dev_status *st, char *reason, size_t reasonlen);
/* Worst firing alert of a device (building ctx's index on first use), or NULL. */
const struct api_alert_worst *api_alert_index_find(const struct api_ctx *ctx, const char *device);
void api_alert_index_free(struct api_alert_index *idx);
/* Adds a firing alert of device to idx while a part fills it (device_alarms).  Returns
 * false when out of memory (the part stops: health may be understated then). */
bool api_alert_index_add(struct api_alert_index *idx, const char *device,
			 enum cfg_severity severity, const char *what);
/* The device's health: the worse of its polls and its firing alerts. */
enum api_health api_device_health(const struct api_ctx *ctx, const struct cfg_device *dev,
				  const struct dev_status *st, char *reason, size_t reasonlen);

/* The one authorization point for a device: authz_check() of the request's actor,
 * action and the device's scope.  Handlers answer AUTHZ_HIDE exactly like a missing
 * device (404), and leave hidden devices out of lists. */
enum authz_result api_device_check(const struct api_ctx *ctx, enum authz_action action,
				   const struct cfg_device *dev);
/* Is the device visible to the request's actor (api_device_check for a view)? */
bool api_device_visible(const struct api_ctx *ctx, const struct cfg_device *dev);

/* The runtime state of a device, or NULL when unknown. */
const struct dev_status *api_dev_status(const struct api_env *env, const char *id);

/* JSON object of a device; with its metrics when with_metrics. */
json_t *api_device_json(const struct api_ctx *ctx, const struct cfg_device *dev,
			bool with_metrics);
/* JSON object of a metric (without the device id). */
json_t *api_metric_json(const struct api_ctx *ctx, const struct metric *m);

#endif
