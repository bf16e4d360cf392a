/* The MQTT part: the broker's section of `daemon:` (mqtt:) and a device's mqtt:
 * section.  Its poller (mqtt_poller) and client are wired by the composition root. */
#include <stddef.h>

#include "dcmon/mqtt.h"
#include "dcmon/part.h"
#include "mqtt_hub.h"

#define DEV(f) offsetof(struct cfg_device, f)
#define DM(f)  offsetof(struct cfg_daemon, f)

static const struct cfg_key device_keys[] = {
	{.name = "mqtt", .type = CFGK_SECTION, .offset = DEV(mqtt), .sub = mqtt_device_cfg_keys,
	 .elem_size = sizeof(struct cfg_mqtt_device), .init = mqtt_device_cfg_init,
	 .check = mqtt_device_cfg_check},
	{.name = NULL},
};

static const struct cfg_key daemon_keys[] = {
	{.name = "mqtt", .type = CFGK_SECTION, .offset = DM(mqtt), .sub = mqtt_cfg_keys,
	 .elem_size = sizeof(struct cfg_mqtt), .init = mqtt_cfg_init, .check = mqtt_cfg_check},
	{.name = NULL},
};

static const struct api_route routes[] = {
	{"GET", "/api/v1/sites", false, mqtt_api_get_sites, NULL, false, false, AUTHZ_ACT_VIEW},
	{"GET", "/api/v1/sites/", true, mqtt_api_get_site, NULL, true, false, AUTHZ_ACT_VIEW},
	{.method = NULL},
};

const struct dcmon_part mqtt_part = {
	.name = "mqtt",
	.device_keys = device_keys,
	.daemon_keys = daemon_keys,
	.routes = routes,
};
