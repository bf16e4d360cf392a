/* Which configured device an event's sender is: its address (the device's host or snmp
 * host) or the host name it gives (a device id or host).  One hash table per config,
 * built once, so a message costs one lookup, not a scan of the devices. */
#include "events_int.h"

#include <stdlib.h>
#include <string.h>

#include "dcmon/api_route.h"
#include "dcmon/snmp.h"
#include "dcmon/strhash.h"

struct devmap_slot {
	const char *key; /* borrowed from the config */
	const struct cfg_device *dev;
};

struct event_devmap {
	struct devmap_slot *slots;
	size_t mask; /* slots - 1 (a power of two, at least twice the keys) */
};

/* Adds key unless a device already claimed it (the first in the file wins). */
static void devmap_put(struct event_devmap *m, const char *key, const struct cfg_device *dev)
{
	if (!key || !*key)
		return;
	for (size_t i = strhash(key) & m->mask;; i = (i + 1) & m->mask) {
		if (!m->slots[i].key) {
			m->slots[i] = (struct devmap_slot){key, dev};
			return;
		}
		if (strcmp(m->slots[i].key, key) == 0)
			return;
	}
}

struct event_devmap *event_devmap_new(const struct cfg *cfg)
{
	struct event_devmap *m = calloc(1, sizeof(*m));
	size_t n = 8;

	if (!m)
		return NULL;
	while (n < 6 * (cfg ? cfg->ndevices : 0) + 8)
		n *= 2;
	if (!(m->slots = calloc(n, sizeof(*m->slots)))) {
		free(m);
		return NULL;
	}
	m->mask = n - 1;
	for (size_t i = 0; cfg && i < cfg->ndevices; i++) {
		const struct cfg_device *d = &cfg->devices[i];
		devmap_put(m, d->host, d);
		const struct cfg_snmp *s = snmp_device_cfg(d);
		devmap_put(m, s ? s->host : NULL, d);
		devmap_put(m, d->id, d);
	}
	return m;
}

void event_devmap_free(struct event_devmap *m)
{
	if (!m)
		return;
	free(m->slots);
	free(m);
}

const struct cfg_device *event_devmap_find(const struct event_devmap *m, const char *key)
{
	if (!m || !key || !*key)
		return NULL;
	for (size_t i = strhash(key) & m->mask; m->slots[i].key; i = (i + 1) & m->mask)
		if (strcmp(m->slots[i].key, key) == 0)
			return m->slots[i].dev;
	return NULL;
}

void event_set_device(struct event *ev, const struct cfg *cfg, const struct cfg_device *dev)
{
	if (!dev) {
		ev->device = ev->tenant = ev->site = NULL;
		ev->flags |= EVENT_F_UNKNOWN_SOURCE;
		return;
	}
	ev->device = dev->id;
	ev->tenant = api_device_tenant(cfg, dev);
	ev->site = dev->loc.site;
}
