/* `devices:`: identity, location, dependencies, checks and transport sections. */
#include "config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEV(f) offsetof(struct cfg_device, f)
#define LOC(f) offsetof(struct cfg_location, f)

static const struct cfg_key location_keys[] = {
    {.name = "site", .type = CFGK_STRING, .offset = LOC(site)},
    {.name = "room", .type = CFGK_STRING, .offset = LOC(room)},
    {.name = "row", .type = CFGK_STRING, .offset = LOC(row)},
    {.name = "rack", .type = CFGK_STRING, .offset = LOC(rack)},
    {.name = NULL},
};

/* Transport sections are one CFGK_SECTION key each, brought by their part (dcmon/part.h,
 * device_keys) and appended to this table at the first load (cfg_parts_attach), which
 * gives each (offset CFG_PART_SECTION) a slot of cfg_device.part_sections.  Freeing,
 * comparison on reload (cfg_device_same) and the "nothing to poll" warning follow from
 * the table, and from the `checks:` keys below. */
struct cfg_key cfg_device_keys[CFG_DEVICE_KEYS_MAX] = {
    {.name = "id", .type = CFGK_STRING, .offset = DEV(id), .required = true},
    {.name = "kind", .type = CFGK_ENUM, .offset = DEV(kind), .names = cfg_dev_kind_names},
    {.name = "host", .type = CFGK_STRING, .offset = DEV(host)},
    {.name = "profile", .type = CFGK_STRING, .offset = DEV(profile)},
    {.name = "tenant", .type = CFGK_STRING, .offset = DEV(tenant)},
    {.name = "description", .type = CFGK_STRING, .offset = DEV(description)},
    {.name = "location", .type = CFGK_STRUCT, .offset = DEV(loc), .sub = location_keys},
    {.name = "fed_by",
     .type = CFGK_STRLIST,
     .offset = DEV(fed_by),
     .count_offset = DEV(nfed_by),
     .expect = "a device id or a list of device ids"},
    {.name = "labels", .type = CFGK_STRMAP, .offset = DEV(labels), .count_offset = DEV(nlabels)},
    {.name = "interval",
     .type = CFGK_DURATION,
     .offset = DEV(interval_ms),
     .min = 100,
     .max = 86400000},
    {.name = "timeout", .type = CFGK_DURATION, .offset = DEV(timeout_ms), .min = 1, .max = 3600000},
    {.name = "checks", .type = CFGK_STRUCT, .offset = 0, .sub = cfg_check_keys},
    {.name = NULL},
};

/* A device's `checks:`: every check is a part's, appended by cfg_parts_attach (offsets
 * into struct cfg_device, each in a slot of the device). */
struct cfg_key cfg_check_keys[CFG_CHECK_KEYS_MAX] = {{.name = NULL}};

/* Kind "other" until set: a profile may still name the kind (see docs/CONFIG.md). */
void cfg_device_init(void *elem, const struct cfgnode *node, void *ctx)
{
	struct cfg_device *dev = elem;
	dev->kind = DEV_OTHER;
	dev->interval_ms = CFG_UNSET;
	dev->timeout_ms = CFG_UNSET;
	dev->pos = node->pos;
}

/* The `name` key of a check list's items when it tells them apart, or NULL. */
static const struct cfg_key *name_key(const struct cfg_key *k)
{
	for (const struct cfg_key *s = k->type == CFGK_SEQ && !k->names_repeat ? k->sub : NULL;
	     s && s->name; s++)
		if (strcmp(s->name, "name") == 0 && s->type == CFGK_STRING)
			return s;
	return NULL;
}

/* Two items of a part's check list with one name would report into the same
 * metrics: the second is refused at its position. */
static void part_check_names(const struct cfg_device *dev, const struct cfgnode *node,
                             const struct cfg_key *k, struct cfg_diags *d)
{
	const struct cfg_key *nk = name_key(k);
	if (nk == NULL)
		return;
	size_t n = *(const size_t *)((const char *)dev + k->count_offset);
	const char *items = *(char *const *)((const char *)dev + k->offset);
	for (size_t i = 0; i < n; i++) {
		const char *a = *(char *const *)(items + i * k->elem_size + nk->offset);
		for (size_t j = 0; a && j < i; j++) {
			const char *b = *(char *const *)(items + j * k->elem_size + nk->offset);
			if (b && strcmp(a, b) == 0) {
				cfg_error(d, &cfg_list_item(cfgnode_get(node, "checks"), k->name, i)->pos,
				          "%s: duplicate name '%s' (give each check a name)", k->name, a);
				break;
			}
		}
	}
}

int cfg_device_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	const struct cfg_device *dev = elem;
	size_t before = d->nerrors;
	if (!cfg_id_valid(dev->id))
		cfg_error(d, cfg_key_pos(node, "id"),
		          "id: '%s' is not a valid device id (letters, digits, '_', '.', '-')",
		          dev->id);
	cfg_parts_device_check(dev, node, d);
	for (const struct cfg_key *k = cfg_check_keys; k->name; k++)
		part_check_names(dev, node, k, d);
	return d->nerrors > before ? -EINVAL : 0;
}

/* Unset durations take the daemon's, and then the checks' defaults the device's. */
static void device_resolve(struct cfg_device *dev, const struct cfg_daemon *dm)
{
	dev->interval_set = dev->interval_ms != CFG_UNSET;
	if (!dev->interval_set)
		dev->interval_ms = dm->interval_ms;
	if (dev->timeout_ms == CFG_UNSET)
		dev->timeout_ms = dm->timeout_ms;
	cfg_parts_device_resolve(dev);
}

void cfg_devices_resolve(struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		device_resolve(&cfg->devices[i], &cfg->daemon);
}

const struct cfg_rack *cfg_device_rack(const struct cfg *cfg, const struct cfg_device *dev)
{
	const struct cfg_location *l = &dev->loc;
	if (!l->site || !l->room || !l->rack)
		return NULL;
	for (size_t s = 0; s < cfg->nsites; s++) {
		if (!cfg->sites[s].id || strcmp(cfg->sites[s].id, l->site) != 0)
			continue;
		for (size_t r = 0; r < cfg->sites[s].nrooms; r++) {
			const struct cfg_room *room = &cfg->sites[s].rooms[r];
			if (!room->id || strcmp(room->id, l->room) != 0)
				continue;
			for (size_t k = 0; k < room->nracks; k++)
				if (room->racks[k].id && strcmp(room->racks[k].id, l->rack) == 0)
					return &room->racks[k];
		}
	}
	return NULL;
}

void cfg_devices_inherit_tenants(struct cfg *cfg, struct cfg_diags *d)
{
	for (size_t i = 0; i < cfg->ndevices; i++) {
		struct cfg_device *dev = &cfg->devices[i];
		const struct cfg_rack *rack = dev->tenant ? NULL : cfg_device_rack(cfg, dev);
		if (!rack || !rack->tenant || !cfg_tenant_find(cfg, rack->tenant))
			continue; /* an undeclared one is the rack's error (cfg_validate) */
		if (!(dev->tenant = strdup(rack->tenant)))
			cfg_error(d, &dev->pos, "out of memory");
	}
}

/* True if offset off is in the array f of struct cfg_device. */
#define DEV_IN(off, f) ((off) >= DEV(f) && (off) < DEV(f) + sizeof(((struct cfg_device *)0)->f))

/* True if k is a part's own key, kept in a slot of the device. */
static bool key_in_slot(const struct cfg_key *k)
{
	return DEV_IN(k->offset, part_sections) || DEV_IN(k->offset, part_lists) ||
	       DEV_IN(k->offset, part_values);
}

/* True if the part's own key k (in a slot of the device) is set in dev: a section
 * present, a list not empty, a value not zero. */
static bool part_key_set(const struct cfg_device *dev, const struct cfg_key *k)
{
	static const union cfg_part_value zero;
	const char *field = (const char *)dev + k->offset;
	if (DEV_IN(k->offset, part_values))
		return memcmp(field, &zero, sizeof(zero)) != 0;
	if (k->type == CFGK_SEQ)
		return *(const size_t *)((const char *)dev + k->count_offset) != 0;
	return *(void *const *)field != NULL;
}

/* True if the device has something to poll: a check or a transport section. */
bool cfg_device_polls(const struct cfg_device *dev)
{
	cfg_parts_attach();
	for (const struct cfg_key *k = cfg_device_keys; k->name != NULL; k++)
		if (key_in_slot(k) && !k->poll_neutral && part_key_set(dev, k))
			return true;
	for (const struct cfg_key *k = cfg_check_keys; k->name != NULL; k++)
		if (part_key_set(dev, k))
			return true;
	return false;
}

/* Keys that do not change how a device is polled (cfg_device_same skips them). */
static bool key_poll_neutral(const struct cfg_key *k)
{
	static const size_t neutral[] = {DEV(tenant), DEV(description), DEV(loc), DEV(fed_by),
	                                 DEV(labels)};
	if (k->poll_neutral)
		return true;
	for (size_t i = 0; i < sizeof(neutral) / sizeof(neutral[0]); i++) {
		if (k->offset == neutral[i])
			return true;
	}
	return false;
}

bool cfg_device_same(const struct cfg_device *a, const struct cfg_device *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	cfg_parts_attach();
	for (const struct cfg_key *k = cfg_device_keys; k->name != NULL; k++) {
		const struct cfg_key one[] = {*k, {.name = NULL}};
		if (!key_poll_neutral(k) && !cfg_fields_same(one, a, b))
			return false;
	}
	return true;
}
