/* Topic -> subscription and device routes of a config (mqtt_route.c).  Loop thread. */
#ifndef DCMON_MQTT_ROUTE_H
#define DCMON_MQTT_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "dcmon/config.h"
#include "dcmon/mqtt.h"

struct mqtt_route {
	const char *filter;             /* the config's topic filter */
	const struct cfg_mqtt_sub *sub; /* NULL: the last will of dev */
	const struct cfg_device *dev;   /* NULL: the device is a level of the topic */
	long next;                      /* next exact route with the same hash, or -1 */
};

/* Every route of a config; pointers into the config, which must outlive them. */
struct mqtt_routes {
	struct mqtt_route *v;
	size_t n, cap;
	long *heads;     /* exact filters by hash, -1 = none */
	size_t nheads;   /* a power of two */
	bool has_wild;   /* some filter has + or # */
};

void mqtt_routes_build(struct mqtt_routes *r, const struct cfg *cfg);
void mqtt_routes_free(struct mqtt_routes *r);
/* Calls fn for every route whose filter matches topic. */
void mqtt_routes_match(const struct mqtt_routes *r, const char *topic,
		       void (*fn)(void *arg, const struct mqtt_route *route), void *arg);

#endif
