/* The routes of a config: which subscription (or last will) a topic goes to, and for
 * which device.  Exact topics are found through a hash table, filters with + or # by a
 * scan (mosquitto_topic_matches_sub). */
#include "mqtt_route.h"

#include <mosquitto.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strhash.h"

static void routes_push(struct mqtt_routes *r, const char *filter,
			const struct cfg_mqtt_sub *sub, const struct cfg_device *dev)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			abort();
	}
	r->v[r->n++] = (struct mqtt_route){.filter = filter, .sub = sub, .dev = dev, .next = -1};
}

static bool has_wildcard(const char *filter)
{
	return strpbrk(filter, "+#") != NULL;
}

/* Chains the exact routes by hash: heads[h] is the first, route.next the others. */
static void routes_index(struct mqtt_routes *r)
{
	r->nheads = 1;
	while (r->nheads < 2 * r->n)
		r->nheads *= 2;
	r->heads = malloc(r->nheads * sizeof(*r->heads));
	if (!r->heads)
		abort();
	for (size_t i = 0; i < r->nheads; i++)
		r->heads[i] = -1;
	for (size_t i = r->n; i-- > 0;) {
		if (has_wildcard(r->v[i].filter)) {
			r->has_wild = true;
			continue;
		}
		size_t h = strhash(r->v[i].filter) & (r->nheads - 1);
		r->v[i].next = r->heads[h];
		r->heads[h] = (long)i;
	}
}

void mqtt_routes_build(struct mqtt_routes *r, const struct cfg *cfg)
{
	*r = (struct mqtt_routes){0};
	const struct cfg_mqtt *mc = mqtt_cfg_of(cfg);
	for (size_t i = 0; mc && i < mc->nsubs; i++)
		routes_push(r, mc->subs[i].topic, &mc->subs[i], NULL);
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *dev = &cfg->devices[i];
		const struct cfg_mqtt_device *md = mqtt_device_cfg(dev);
		for (size_t j = 0; md && j < md->ntopics; j++)
			routes_push(r, md->topics[j].topic, &md->topics[j], dev);
		if (md && md->lwt)
			routes_push(r, md->lwt, NULL, dev);
	}
	routes_index(r);
}

void mqtt_routes_free(struct mqtt_routes *r)
{
	free(r->v);
	free(r->heads);
	*r = (struct mqtt_routes){0};
}

void mqtt_routes_match(const struct mqtt_routes *r, const char *topic,
		       void (*fn)(void *arg, const struct mqtt_route *route), void *arg)
{
	if (r->nheads) {
		size_t h = strhash(topic) & (r->nheads - 1);
		for (long i = r->heads[h]; i >= 0; i = r->v[i].next)
			if (!strcmp(r->v[i].filter, topic))
				fn(arg, &r->v[i]);
	}
	for (size_t i = 0; r->has_wild && i < r->n; i++) {
		bool match = false;
		if (has_wildcard(r->v[i].filter) &&
		    mosquitto_topic_matches_sub(r->v[i].filter, topic, &match) == MOSQ_ERR_SUCCESS &&
		    match)
			fn(arg, &r->v[i]);
	}
}
