/* The config sections the parts bring (dcmon/part.h): appended once to the key tables
 * of a device, of its `checks:` and of the `daemon:` section, so that decoding, freeing,
 * comparison on reload and key suggestions treat them as the kernel's own keys; a part's
 * own key (offset CFG_PART_SECTION) gets a slot of the daemon's or the device's. */
#include "config_int.h"

#include <pthread.h>
#include <string.h>

#include "dcmon/part.h"
#include "dcmon/poller.h"

#define DEV(f) offsetof(struct cfg_device, f)

/* Appends the NULL-terminated keys after the last key of table (cap entries, named
 * cap_name for the message of a build that outgrew it). */
static void keys_append(struct cfg_key *table, size_t cap, const struct cfg_key *keys,
			const char *cap_name)
{
	size_t n = 0;
	while (table[n].name)
		n++;
	for (; keys && keys->name; keys++) {
		if (n + 1 >= cap)
			fatalx("config", "the parts bring more sections than %s holds", cap_name);
		table[n++] = *keys;
		table[n] = (struct cfg_key){.name = NULL};
	}
}

_Static_assert(CFG_DEVICE_SECTIONS_MAX <= CFG_PART_SECTIONS_MAX &&
		       CFG_DEVICE_LISTS_MAX <= CFG_PART_SECTIONS_MAX &&
		       CFG_DEVICE_VALUES_MAX <= CFG_PART_SECTIONS_MAX,
	       "struct slot_names holds every slot");

/* The names of a structure's slots, in attach order: which key each slot holds. */
struct slot_names {
	const char *name[CFG_PART_SECTIONS_MAX];
	size_t cap;         /* slots the structure has */
	const char *what;   /* its cap's name, for the message of a build that outgrew it */
};

static struct slot_names daemon_sections = {.cap = CFG_PART_SECTIONS_MAX,
					    .what = "CFG_PART_SECTIONS_MAX"};
static struct slot_names device_sections = {.cap = CFG_DEVICE_SECTIONS_MAX,
					    .what = "CFG_DEVICE_SECTIONS_MAX"};
static struct slot_names device_lists = {.cap = CFG_DEVICE_LISTS_MAX,
					 .what = "CFG_DEVICE_LISTS_MAX"};
static struct slot_names device_values = {.cap = CFG_DEVICE_VALUES_MAX,
					  .what = "CFG_DEVICE_VALUES_MAX"};

/* The next free slot of names for key k, or a fatal error when there is none. */
static size_t slot_take(struct slot_names *names, const struct cfg_key *k)
{
	size_t slot = 0;
	while (slot < names->cap && names->name[slot])
		slot++;
	if (slot == names->cap)
		fatalx("config", "the parts keep more sections than %s", names->what);
	names->name[slot] = k->name;
	return slot;
}

/* Gives a part's own device or `checks:` key k a slot of the device by its type: a
 * section's pointer, a list's items and count, a value of a scalar type. */
static void device_slot_place(struct cfg_key *k)
{
	switch (k->type) {
	case CFGK_SECTION:
		k->offset = DEV(part_sections) + slot_take(&device_sections, k) * sizeof(void *);
		break;
	case CFGK_SEQ:
		k->offset = DEV(part_lists) +
			    slot_take(&device_lists, k) * sizeof(struct cfg_part_list);
		k->count_offset = k->offset + offsetof(struct cfg_part_list, n);
		break;
	case CFGK_STRING: case CFGK_INT: case CFGK_INT64: case CFGK_DOUBLE: case CFGK_BOOL:
	case CFGK_DURATION: case CFGK_ENUM:
		k->offset = DEV(part_values) +
			    slot_take(&device_values, k) * sizeof(union cfg_part_value);
		break;
	default:
		fatalx("config", "%s: a part's device key is a section, a list or a value",
		       k->name);
	}
}

static void slots_place_all(void)
{
	for (struct cfg_key *k = cfg_daemon_keys; k->name; k++)
		if (k->offset == CFG_PART_SECTION)
			k->offset = offsetof(struct cfg_daemon, part_sections) +
				    slot_take(&daemon_sections, k) * sizeof(void *);
	for (struct cfg_key *k = cfg_device_keys; k->name; k++)
		if (k->offset == CFG_PART_SECTION)
			device_slot_place(k);
	for (struct cfg_key *k = cfg_check_keys; k->name; k++)
		if (k->offset == CFG_PART_SECTION)
			device_slot_place(k);
}

/* A device's keys and its `checks:` keys from one part or poller. */
static void device_keys_append(const struct cfg_key *device_keys,
			       const struct cfg_key *check_keys)
{
	keys_append(cfg_device_keys, CFG_DEVICE_KEYS_MAX, device_keys, "CFG_DEVICE_KEYS_MAX");
	keys_append(cfg_check_keys, CFG_CHECK_KEYS_MAX, check_keys, "CFG_CHECK_KEYS_MAX");
}

static void attach(void)
{
	for (const struct dcmon_part *const *p = dcmon_parts; *p; p++) {
		device_keys_append((*p)->device_keys, (*p)->check_keys);
		for (const struct poller_ops *const *o = (*p)->pollers; o && *o; o++)
			device_keys_append((*o)->device_keys, (*o)->check_keys);
		keys_append(cfg_daemon_keys, CFG_DAEMON_KEYS_MAX, (*p)->daemon_keys,
			    "CFG_DAEMON_KEYS_MAX");
	}
	slots_place_all();
}

void cfg_parts_attach(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, attach);
}

void cfg_parts_device_check(const struct cfg_device *dev, const struct cfgnode *node,
			    struct cfg_diags *d)
{
	for (const struct poller_ops *const *o = dcmon_pollers(); *o; o++)
		if ((*o)->device_check)
			(*o)->device_check(dev, node, d);
}

void cfg_parts_device_resolve(struct cfg_device *dev)
{
	for (const struct poller_ops *const *o = dcmon_pollers(); *o; o++)
		if ((*o)->device_resolve)
			(*o)->device_resolve(dev);
}

void cfg_parts_validate(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	for (const struct dcmon_part *const *p = dcmon_parts; *p; p++)
		if ((*p)->validate)
			(*p)->validate(cfg, root, d);
}

/* The slot of the part's section `name` in the array of slots at base (size bytes
 * each) named by names, or NULL when no part keeps one by that name. */
static void *slot_of(const struct slot_names *names, void *base, size_t size, const char *name)
{
	cfg_parts_attach();
	for (size_t i = 0; i < names->cap && names->name[i]; i++)
		if (strcmp(names->name[i], name) == 0)
			return (char *)base + i * size;
	return NULL;
}

/* The read-only accessors go through the slots: a read does not write the cast-away
 * const. */
void **cfg_part_slot(struct cfg_daemon *dm, const char *name)
{
	return slot_of(&daemon_sections, dm->part_sections, sizeof(void *), name);
}

const void *cfg_part_section(const struct cfg_daemon *dm, const char *name)
{
	void **slot = cfg_part_slot((struct cfg_daemon *)dm, name);
	return slot ? *slot : NULL;
}

void **cfg_device_slot(struct cfg_device *dev, const char *name)
{
	return slot_of(&device_sections, dev->part_sections, sizeof(void *), name);
}

const void *cfg_device_section(const struct cfg_device *dev, const char *name)
{
	void **slot = cfg_device_slot((struct cfg_device *)dev, name);
	return slot ? *slot : NULL;
}

struct cfg_part_list *cfg_device_list_slot(struct cfg_device *dev, const char *name)
{
	return slot_of(&device_lists, dev->part_lists, sizeof(struct cfg_part_list), name);
}

const void *cfg_device_list(const struct cfg_device *dev, const char *name, size_t *n)
{
	const struct cfg_part_list *l = cfg_device_list_slot((struct cfg_device *)dev, name);
	*n = l ? l->n : 0;
	return l ? l->v : NULL;
}

union cfg_part_value *cfg_device_value_slot(struct cfg_device *dev, const char *name)
{
	return slot_of(&device_values, dev->part_values, sizeof(union cfg_part_value), name);
}

const union cfg_part_value *cfg_device_value(const struct cfg_device *dev, const char *name)
{
	return cfg_device_value_slot((struct cfg_device *)dev, name);
}
