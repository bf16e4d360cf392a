/* Commands from a hub to a site (mqtt_command.h): the seal both ends share, and the
 * site's side, which authenticates a command by its seal and sender, authorizes and
 * applies it as an API request of the hub's account, and audits the outcome. */
#include "mqtt_command.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/alerting.h"
#include "dcmon/api.h"
#include "dcmon/log.h"
#include "dcmon/part.h"

#define MAC_HEX 64 /* hex digits of an HMAC-SHA256 */

static const struct mqtt_cmd_kind kinds[] = {
	{"ack", AUTHZ_ACT_ACK, "POST", "/api/v1/alerts/%lld/ack", true},
	{"silence", AUTHZ_ACT_SILENCE, "POST", "/api/v1/silences", false},
	{"unsilence", AUTHZ_ACT_SILENCE, "DELETE", "/api/v1/silences/%lld", true},
	{"test_mode", AUTHZ_ACT_TEST_MODE, "POST", "/api/v1/test-mode", false},
};

const char mqtt_cmd_kind_list[] = "ack, silence, unsilence, test_mode";

const struct mqtt_cmd_kind *mqtt_cmd_kind(const char *name)
{
	for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

static void mac_hex(const char *key, const char *text, char out[MAC_HEX + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	out[0] = '\0';
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)text, strlen(text),
		  mac, &n))
		return;
	for (unsigned i = 0; i < n && 2 * i < MAC_HEX; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

char *mqtt_cmd_seal(const char *key, const char *text)
{
	char mac[MAC_HEX + 1];
	mac_hex(key, text, mac);
	json_t *o = json_pack("{s:s, s:s}", "cmd", text, "mac", mac);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

char *mqtt_cmd_open(const char *key, const void *payload, size_t len, char *why,
		    size_t whylen)
{
	char want[MAC_HEX + 1];
	json_t *o = json_loadb(payload, len, 0, NULL);
	const char *text = json_string_value(json_object_get(o, "cmd"));
	const char *mac = json_string_value(json_object_get(o, "mac"));
	char *out = NULL;
	if (!text || !mac) {
		snprintf(why, whylen, "not a sealed command ({\"cmd\", \"mac\"})");
	} else {
		mac_hex(key, text, want);
		if (strlen(mac) != MAC_HEX || !want[0] || CRYPTO_memcmp(mac, want, MAC_HEX))
			snprintf(why, whylen, "bad seal (not made with the shared key_file)");
		else if (!(out = strdup(text)))
			snprintf(why, whylen, "out of memory");
	}
	json_decref(o);
	return out;
}

struct alert_engine *mqtt_audit_engine(const struct api_env *api)
{
	const struct alerting *al =
		api ? dcmon_part_state(api, dcmon_part_index(&alerting_part)) : NULL;
	return al ? al->engine : NULL;
}

/* ---- the site's side -------------------------------------------------------------- */

/* One command, as the site reads it. */
struct site_cmd {
	const char *from, *site, *by;
	int64_t id, target;
	const struct mqtt_cmd_kind *kind;
	json_t *body; /* the request's body (an object), may be NULL */
};

static bool cmd_read(json_t *root, struct site_cmd *c)
{
	json_t *id = json_object_get(root, "id"), *t = json_object_get(root, "target");
	*c = (struct site_cmd){.from = json_string_value(json_object_get(root, "from")),
			       .site = json_string_value(json_object_get(root, "site")),
			       .by = json_string_value(json_object_get(root, "by")),
			       .id = json_integer_value(id), .target = json_integer_value(t),
			       .kind = mqtt_cmd_kind(json_string_value(json_object_get(root, "kind"))),
			       .body = json_object_get(root, "body")};
	return c->from && c->site && json_is_integer(id) && c->id > 0;
}

/* Why the site does not apply c (NULL: it does). */
static const char *refusal(const struct cfg_mqtt_commands *cc, const char *origin,
			   const struct site_cmd *c, int64_t last_id)
{
	if (strcmp(c->from, cc->hub))
		return "not from the hub this site takes commands from (commands.hub)";
	if (strcmp(c->site, origin))
		return "for another site";
	if (!c->kind)
		return "unknown kind";
	if (c->kind->target && !c->target)
		return "no target";
	if (c->body && !json_is_object(c->body))
		return "body is not an object";
	if (c->id <= last_id)
		return "already applied"; /* QoS 1 and the hub's resends deliver again */
	return NULL;
}

static void audit(const struct api_env *api, const char *who, const char *from,
		  const char *action, const char *target, const char *detail, int64_t now_ms)
{
	char origin[160];
	snprintf(origin, sizeof(origin), "mqtt:%s", from ? from : "?");
	struct alert_actor by = {.who = who, .origin = origin};
	struct alert_engine *e = mqtt_audit_engine(api);
	if (!e || alert_engine_audit_add(e, &by, action, target, detail, now_ms) < 0)
		log_warnx("mqtt", NULL, "commands: %s %s (%s) not audited: no audit log",
			  action, target, detail);
}

/* Runs c through the API as the hub's account: the router asks authz_check. */
static json_t *run(const struct cfg_mqtt_commands *cc, const struct api_env *api,
		   const struct site_cmd *c, int *status)
{
	char path[128], by[AUTHZ_NAME_MAX + 64];
	struct authz_actor actor = {.role = cc->role};
	snprintf(actor.name, sizeof(actor.name), "%s", cc->account);
	snprintf(actor.source, sizeof(actor.source), "mqtt:%s", c->from);
	snprintf(path, sizeof(path), c->kind->path, (long long)c->target);
	json_t *body = c->body ? json_deep_copy(c->body) : json_object();
	snprintf(by, sizeof(by), "%s@%s", c->by ? c->by : "?", c->from);
	json_object_set_new(body, "by", json_string(by));
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct api_request req = {.method = c->kind->method, .path = path, .body = text,
				  .body_len = text ? strlen(text) : 0, .peer = cc->account,
				  .peer_origin = actor.source, .actor = &actor};
	struct api_response resp = {0};
	api_handle(api, &req, &resp);
	free(text);
	*status = resp.status;
	json_t *out = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
	api_response_free(&resp);
	return out ? out : json_null();
}

static char *reply_text(const char *origin, const struct site_cmd *c, int status,
			json_t *body)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:i, s:o}", "origin", origin, "from", c->from,
			      "id", (json_int_t)c->id, "status", status, "body", body);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

char *mqtt_cmd_apply(const struct cfg_mqtt_commands *cc, const char *key, const char *origin,
		     const struct api_env *api, struct mqtt_cmd_applied *applied,
		     const void *payload, size_t len, int64_t now_ms)
{
	char why[128], target[160], detail[256];
	char *text = mqtt_cmd_open(key, payload, len, why, sizeof(why));
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;
	struct site_cmd c;
	char *reply = NULL;
	free(text);
	if (!root || !cmd_read(root, &c)) {
		if (root)
			snprintf(why, sizeof(why), "a command without from, site and id");
		audit(api, "unknown", NULL, "hub-command-refused", "command:?", why, now_ms);
		log_warnx("mqtt", NULL, "commands: a message refused: %s", why);
		json_decref(root);
		return NULL;
	}
	snprintf(target, sizeof(target), "command:%s/%lld", c.from, (long long)c.id);
	const char *no = refusal(cc, origin, &c, mqtt_cmd_applied_last(applied));
	if (no) {
		snprintf(detail, sizeof(detail), "%s by %s: %s",
			 c.kind ? c.kind->name : "?", c.by ? c.by : "?", no);
		audit(api, c.from, c.from, "hub-command-refused", target, detail, now_ms);
		log_warnx("mqtt", NULL, "commands: %s refused: %s", target, detail);
		reply = reply_text(origin, &c, strcmp(no, "already applied") ? 403 : 208,
				   json_pack("{s:s}", "error", no));
	} else {
		int status = 0;
		json_t *body = run(cc, api, &c, &status);
		mqtt_cmd_applied_set(applied, c.id);
		snprintf(detail, sizeof(detail), "%s %lld by %s as %s (%s): %d", c.kind->name,
			 (long long)c.target, c.by ? c.by : "?", cc->account,
			 authz_role_name(cc->role), status);
		audit(api, cc->account, c.from, status < 300 ? "hub-command" : "hub-command-refused",
		      target, detail, now_ms);
		log_info("mqtt", NULL, "commands: %s: %s", target, detail);
		reply = reply_text(origin, &c, status, body);
	}
	json_decref(root);
	char *sealed = reply ? mqtt_cmd_seal(key, reply) : NULL;
	free(reply);
	return sealed;
}
