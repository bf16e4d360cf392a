/* The hub's side of federation (`daemon.mqtt.role: hub`, docs/MQTT.md "Hub"): the
 * alert events the sites publish arrive through the bridges, and each is applied once,
 * in order per site, by its id (origin, incarnation, seq), into <state_dir>/hub.db.
 * Loop thread only. */
#ifndef DCMON_MQTT_HUB_H
#define DCMON_MQTT_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mqtt_hub;

/* Opens <dir>/hub.db (in memory when dir is NULL) and reads what the sites sent before.
 * gap_wait_ms: how long an event after a missing one waits for it.  NULL with err. */
struct mqtt_hub *mqtt_hub_open(const char *dir, int64_t gap_wait_ms, char *err,
			       size_t errlen);
void mqtt_hub_close(struct mqtt_hub *h);
/* One event message of a site (the JSON of docs/MQTT.md "Event message"); now_ms is
 * the monotonic clock. */
void mqtt_hub_event(struct mqtt_hub *h, const char *topic, const char *payload, size_t len,
		    int64_t now_ms);
/* A site's heartbeat ({"origin", "ts"}): a retained one (the broker's copy of the
 * last) dates the site's last sign of life by its ts, a live one by now_wall_ms. */
void mqtt_hub_heartbeat(struct mqtt_hub *h, const char *topic, const char *payload,
			size_t len, bool retained, int64_t now_wall_ms);
/* Calls fn with the age (ms) of each site's last heartbeat. */
void mqtt_hub_ages(struct mqtt_hub *h, int64_t now_wall_ms,
		   void (*fn)(void *arg, const char *origin, int64_t age_ms), void *arg);
/* Applies what waited longer than gap_wait for a missing event, reporting the gap, and
 * sends again the commands no site answered yet (every 10 s). */
void mqtt_hub_tick(struct mqtt_hub *h, int64_t now_ms);

struct api_env;
/* Lets the hub send commands (docs/MQTT.md "Commands"), as client_id, sealed with key,
 * through send (0 when handed to the broker), auditing them in api's audit log; the
 * strings and api outlive h. */
void mqtt_hub_commands(struct mqtt_hub *h, const char *client_id, const char *key,
		       const struct api_env *api,
		       int (*send)(void *arg, const char *topic, const char *payload), void *arg);
/* Sends every command no site answered yet (after a reconnect). */
void mqtt_hub_resend(struct mqtt_hub *h);
/* A site's reply (<prefix>/_replies, the topic it came on) to one of the hub's commands:
 * sealed with the shared key like the commands, else refused (logged and audited). */
void mqtt_hub_reply(struct mqtt_hub *h, const char *topic, const char *payload, size_t len,
		    int64_t now_wall_ms);

struct api_ctx;
struct api_response;
/* GET /api/v1/sites: each site's position and link age. */
void mqtt_api_get_sites(const struct api_ctx *ctx, struct api_response *resp);
/* GET /api/v1/sites/ID/alerts (its open alerts) and /api/v1/sites/ID/events (every
 * event applied, in order). */
void mqtt_api_get_site(const struct api_ctx *ctx, struct api_response *resp);
/* POST /api/v1/sites/ID/commands: {"kind", "target", "body"} sent to the site. */
void mqtt_api_post_site(const struct api_ctx *ctx, struct api_response *resp);

#endif
