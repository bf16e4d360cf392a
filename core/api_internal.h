/* Private header of the JSON API (core/api*.c): query parsing, the handler context,
 * reply helpers, device filters and the JSON of devices and metrics.
 * Everything here runs on the loop thread.
 */
#ifndef DCMON_API_INTERNAL_H
#define DCMON_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dcmon/alert.h"
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

/* What a handler gets besides the response to fill. */
/* Worst firing alert per device, built once per request on first use (O(alerts)),
 * so a status of thousands of devices does not walk every alert per device. */
struct api_alert_worst {
	char *device;
	enum cfg_severity severity;
	char what[96]; /* summary, or rule name */
};
struct api_alert_index {
	bool built;
	struct api_alert_worst *v; /* sorted by device */
	size_t n;
};

struct api_ctx {
	const struct api_env *env;
	struct api_alert_index *alerts; /* lazily built; see api_alert_index_find() */
	const struct api_request *req;
	const struct api_query *query; /* names already checked against the route */
	const char *tail;              /* path after a prefix route ("ups-a"), else "" */
	int64_t now_ms;                /* wall clock of the request */
};

typedef void (*api_handler)(const struct api_ctx *ctx, struct api_response *resp);

void api_get_health(const struct api_ctx *ctx, struct api_response *resp);
void api_get_status(const struct api_ctx *ctx, struct api_response *resp);
void api_get_device(const struct api_ctx *ctx, struct api_response *resp);
void api_get_metrics(const struct api_ctx *ctx, struct api_response *resp);
/* core/api_alerts.c */
void api_get_alerts(const struct api_ctx *ctx, struct api_response *resp);
void api_get_alert(const struct api_ctx *ctx, struct api_response *resp);
void api_post_alert(const struct api_ctx *ctx, struct api_response *resp);
void api_get_silences(const struct api_ctx *ctx, struct api_response *resp);
void api_post_silences(const struct api_ctx *ctx, struct api_response *resp);
void api_delete_silence(const struct api_ctx *ctx, struct api_response *resp);
/* core/api_facility.c */
void api_get_impact(const struct api_ctx *ctx, struct api_response *resp);
void api_post_test_mode(const struct api_ctx *ctx, struct api_response *resp);
/* core/api_notify.c */
void api_get_notifications(const struct api_ctx *ctx, struct api_response *resp);
void api_post_test_email(const struct api_ctx *ctx, struct api_response *resp);
/* core/api_audit.c */
void api_get_audit(const struct api_ctx *ctx, struct api_response *resp);

#define API_ACTOR_MAX 160 /* bytes of an actor's "who" text */
/* Who acts on an ack or silence, for the audit log: the request's peer and origin
 * ("api" when unknown).  A non-empty `by` (from the body) that differs from a known peer
 * is kept beside it as "peer (as by)", never instead of it; without a peer, `by` is the
 * actor.  buf (len bytes) holds the text the actor points to. */
struct alert_actor api_actor(const struct api_ctx *ctx, const char *by, char *buf, size_t len);

/* Serialises body (reference stolen) as the response. */
void api_reply_json(struct api_response *resp, int status, json_t *body);
/* {"error": "..."} with the given status. */
void api_reply_error(struct api_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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

/* Overall health of a device from its runtime state and metrics: unreachable ->
 * critical; degraded or any metric in ERROR/STALE -> warning; not polled yet -> unknown;
 * else ok.  The one place this is decided (the alert engine will feed in here too).
 * Writes a short reason ("" when ok) into reason. */
/* Health from the polls alone (reachability, point errors, staleness). */
enum api_health api_device_poll_health(const struct api_env *env, const struct cfg_device *dev,
				       const struct dev_status *st, char *reason, size_t reasonlen);
/* Worst firing alert of a device (building ctx's index on first use), or NULL. */
const struct api_alert_worst *api_alert_index_find(const struct api_ctx *ctx, const char *device);
void api_alert_index_free(struct api_alert_index *idx);
/* The device's health: the worse of its polls and its firing alerts. */
enum api_health api_device_health(const struct api_ctx *ctx, const struct cfg_device *dev,
				  const struct dev_status *st, char *reason, size_t reasonlen);

/* The runtime state of a device, or NULL when unknown. */
const struct dev_status *api_dev_status(const struct api_env *env, const char *id);

/* JSON object of a device; with its metrics when with_metrics. */
json_t *api_device_json(const struct api_ctx *ctx, const struct cfg_device *dev,
			bool with_metrics);
/* JSON object of a metric (without the device id). */
json_t *api_metric_json(const struct api_ctx *ctx, const struct metric *m);

/* ---- HTTP framing (shared by the Unix socket server and tests) --------------------- */

#define API_HTTP_HEAD_MAX (16 * 1024)   /* request line + headers, bytes */
#define API_HTTP_BODY_MAX (1024 * 1024) /* request body, bytes */

/* A request head parsed in place from a buffer holding it; pointers into that buffer. */
struct api_http_head {
	char *method;
	char *path;        /* percent-decoded, without the query */
	char *query;       /* raw, without '?', or NULL */
	size_t head_len;   /* bytes up to and including the blank line */
	size_t body_len;   /* Content-Length, 0 if absent */
};

/* Looks for a complete head in buf[0..len).  Returns 1 when parsed into h (buf is
 * modified: NULs are written), 0 when more bytes are needed, or an HTTP error status
 * (400, 413, 501, 505) with the reason in err. */
int api_http_parse_head(char *buf, size_t len, struct api_http_head *h, char *err,
			size_t errlen);
/* Formats status line and headers (Connection: close) followed by the body into a new
 * buffer; returns it (malloc'd) with its length in *outlen, or NULL. */
char *api_http_format_response(const struct api_response *resp, size_t *outlen);
/* Reason phrase of an HTTP status ("Not Found"). */
const char *api_http_reason(int status);

/* ---- the socket file ------------------------------------------------------------- */

/* Identity of a bound socket file, so that only our own file is ever unlinked. */
struct api_unix_id {
	dev_t dev;
	ino_t ino;
};

/* Creates the listening socket at path: parent directories made (0755) if missing, a
 * stale socket file replaced, a live one refused ("another dcmond is running on PATH"),
 * mode 0660 and group `group` (may be NULL) set before listen().  Returns the
 * non-blocking fd and fills *id, or -1 with the reason in err. */
int api_unix_bind(const char *path, const char *group, struct api_unix_id *id, char *err,
		  size_t errlen);
/* Unlinks path if it is still the file described by id. */
void api_unix_unlink(const char *path, const struct api_unix_id *id);

/* ---- who asked (core/api_peer.c) -------------------------------------------------- */

/* The identity of a connection's peer, as the audit log records it. */
struct api_peer {
	char who[64];    /* user name, or "uid:N" when the uid has no passwd entry */
	char origin[48]; /* "unix:pid=N" */
};

/* Fills p from uid and pid (user name via getpwuid_r). */
void api_peer_format(uid_t uid, pid_t pid, struct api_peer *p);
/* Fills p from the Unix socket fd's peer credentials (SO_PEERCRED).  Returns 0 or a
 * negative errno (p untouched then). */
int api_peer_of(int fd, struct api_peer *p);

/* ---- Unix socket server knobs (tests) --------------------------------------------- */

#define API_UNIX_TIMEOUT_MS  10000 /* default: a client must send its request within */
#define API_UNIX_MAX_CLIENTS 128   /* connections served at once; more are refused */

/* Changes the per-connection timeout (ms) applied to connections accepted afterwards. */
void api_unix_set_timeout(struct api_unix *s, int64_t timeout_ms);

#endif
