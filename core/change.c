/* The change bus (dcmon/change.h): a list of subscribers, each with the kinds it wants. */
#include "dcmon/change.h"

#include <errno.h>
#include <stdlib.h>

struct change_sub {
	unsigned kinds;
	change_fn fn;
	void *arg;
};

struct change_bus {
	struct change_sub *v;
	size_t n, cap;
};

struct change_bus *change_bus_new(void)
{
	return calloc(1, sizeof(struct change_bus));
}

void change_bus_free(struct change_bus *bus)
{
	if (!bus)
		return;
	free(bus->v);
	free(bus);
}

int change_subscribe(struct change_bus *bus, unsigned kinds, change_fn fn, void *arg)
{
	if (!bus)
		return 0;
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 8;
		struct change_sub *v = realloc(bus->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		bus->v = v;
		bus->cap = cap;
	}
	bus->v[bus->n++] = (struct change_sub){.kinds = kinds, .fn = fn, .arg = arg};
	return 0;
}

void change_unsubscribe(struct change_bus *bus, change_fn fn, void *arg)
{
	if (!bus)
		return;
	for (size_t i = 0; i < bus->n; i++) {
		if (bus->v[i].fn == fn && bus->v[i].arg == arg) {
			/* keep the order: it is the order of the calls */
			for (size_t k = i + 1; k < bus->n; k++)
				bus->v[k - 1] = bus->v[k];
			bus->n--;
			return;
		}
	}
}

void change_publish(struct change_bus *bus, const struct change *c)
{
	if (!bus)
		return;
	unsigned bit = CHANGE_MASK(c->kind);
	for (size_t i = 0; i < bus->n; i++)
		if (bus->v[i].kinds & bit)
			bus->v[i].fn(bus->v[i].arg, c);
}

bool change_wanted(const struct change_bus *bus, enum change_kind kind)
{
	for (size_t i = 0; bus && i < bus->n; i++)
		if (bus->v[i].kinds & CHANGE_MASK(kind))
			return true;
	return false;
}
