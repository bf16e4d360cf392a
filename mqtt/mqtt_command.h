/* Commands from a hub to a site (docs/MQTT.md "Commands"): an ack, a silence, its end or
 * a test-mode window, sent by the hub on the site's <prefix>/_commands topic at QoS 1
 * and answered on <prefix>/_replies.  A message is {"cmd": TEXT, "mac": HEX}: TEXT the
 * command's JSON, HEX its HMAC-SHA256 under the key the hub and its sites share, so
 * that only a holder of the key commands a site, whoever can publish on the topic.
 * The site then runs the command as an API request of the hub's account (its role
 * from the site's config), through the router and authz_check like any other request,
 * and audits it, applied or refused.  Loop thread only. */
#ifndef DCMON_MQTT_COMMAND_H
#define DCMON_MQTT_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/authz.h"
#include "dcmon/mqtt.h"

struct api_env;
struct alert_engine;

/* A kind of command: what it asks the site's API, and the action it is. */
struct mqtt_cmd_kind {
	const char *name;          /* "ack" */
	enum authz_action action;  /* what the hub's actor must be allowed */
	const char *method;
	const char *path;          /* with %lld for the target when `target` */
	bool target;               /* needs a target (the alert's or silence's id) */
};
/* The kind named name, or NULL. */
const struct mqtt_cmd_kind *mqtt_cmd_kind(const char *name);
/* "ack, silence, unsilence, test_mode" */
extern const char mqtt_cmd_kind_list[];

#define MQTT_CMD_KEY_MAX 256 /* bytes of the shared key */

/* {"cmd": text, "mac": HMAC-SHA256(key, text) in hex}, malloc'd; NULL out of memory. */
char *mqtt_cmd_seal(const char *key, const char *text);
/* The command text of a sealed message whose mac is key's (malloc'd), or NULL with why. */
char *mqtt_cmd_open(const char *key, const void *payload, size_t len, char *why,
		    size_t whylen);

/* The alerting part's engine behind api (its audit log), or NULL. */
struct alert_engine *mqtt_audit_engine(const struct api_env *api);

/* The site's record of the highest command id it applied from its hub, kept in
 * <state_dir>/mqtt_commands.db (in memory without a state_dir) so that a command resent
 * after a lost reply, or replayed by whoever recorded it, is not applied again after a
 * restart either. */
struct mqtt_cmd_applied;
/* NULL with err filled when the file cannot be opened or read. */
struct mqtt_cmd_applied *mqtt_cmd_applied_open(const char *state_dir, const char *hub,
					       char *err, size_t errlen);
void mqtt_cmd_applied_close(struct mqtt_cmd_applied *a);
int64_t mqtt_cmd_applied_last(const struct mqtt_cmd_applied *a);
/* Records id as applied (in memory always; a failed write is logged). */
void mqtt_cmd_applied_set(struct mqtt_cmd_applied *a, int64_t id);

/* What a site answers one command message: the reply (sealed with key, malloc'd; NULL
 * when there is none to send: a message too broken to name the command) for
 * <prefix>/_replies.  Applies it through api when it is sealed with key, comes from
 * cc->hub, is for this site (origin) and is numbered above the last one applied, and
 * audits it either way. */
char *mqtt_cmd_apply(const struct cfg_mqtt_commands *cc, const char *key, const char *origin,
		     const struct api_env *api, struct mqtt_cmd_applied *applied,
		     const void *payload, size_t len, int64_t now_ms);

#endif
