/* The MQTT part: the broker's section of `daemon:` (mqtt:) and its poller, which brings
 * a device's mqtt: section (mqtt_poller's device_keys); its client is its state
 * (new/reload/free); the poller joins the pollers part's in the composition root. */
#include <stddef.h>

#include "dcmon/log.h"
#include "dcmon/mqtt.h"
#include "dcmon/part.h"
#include "mqtt_hub.h"

static const struct poller_ops *const pollers[] = {&mqtt_poller, NULL};

static const struct cfg_key daemon_keys[] = {
	{.name = "mqtt", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = mqtt_cfg_keys,
	 .elem_size = sizeof(struct cfg_mqtt), .init = mqtt_cfg_init, .check = mqtt_cfg_check},
	{.name = NULL},
};

static const struct api_route routes[] = {
	{"GET", "/api/v1/sites", false, mqtt_api_get_sites, NULL, false, false, AUTHZ_ACT_VIEW},
	{"GET", "/api/v1/sites/", true, mqtt_api_get_site, NULL, true, false, AUTHZ_ACT_VIEW},
	/* the command's own action (ack, silence, test mode) is checked by the handler */
	{"POST", "/api/v1/sites/", true, mqtt_api_post_site, NULL, true, false, AUTHZ_ACT_ACK},
	{.method = NULL},
};

const struct cfg_mqtt *mqtt_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "mqtt");
}

const struct cfg_mqtt_device *mqtt_device_cfg(const struct cfg_device *dev)
{
	return cfg_device_section(dev, "mqtt");
}

/* The client of the daemon.mqtt: broker into *state, when there is one: 0, or -1
 * after logging why. */
static int mqtt_start(const struct part_env *env, void **state)
{
	char err[256] = "";
	if (mqtt_cfg_of(env->cfg) &&
	    !(*state = mqtt_client_new(env->pollers, env->bus, env->api, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "mqtt", NULL, "%s", err);
		return -1;
	}
	return 0;
}

static int mqtt_new(const struct part_env *env, void **state)
{
	*state = NULL;
	return mqtt_start(env, state);
}

/* The client follows the section: kept (new subscriptions), or made anew when the
 * broker changed or there was none; a failure is logged and leaves no client. */
static void mqtt_reload(const struct part_env *env, void **state, const struct cfg *old)
{
	(void)old;
	if (*state && mqtt_client_reload(*state) == 0)
		return;
	mqtt_client_free(*state);
	*state = NULL;
	mqtt_start(env, state);
}

static void mqtt_free(void *state)
{
	mqtt_client_free(state);
}

const struct dcmon_part mqtt_part = {
	.name = "mqtt",
	.daemon_keys = daemon_keys,
	.pollers = pollers,
	.routes = routes,
	.new = mqtt_new,
	.reload = mqtt_reload,
	.free = mqtt_free,
};
