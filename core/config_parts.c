/* The config sections the parts bring (dcmon/part.h): appended once to the key tables
 * of a device, of its `checks:` and of the `daemon:` section, so that decoding, freeing, comparison on
 * reload and key suggestions treat them as the kernel's own keys. */
#include "config_int.h"

#include <pthread.h>
#include <string.h>

#include "dcmon/part.h"

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

/* The key of each slot of cfg_daemon.part_sections, in attach order. */
static const char *part_section_names[CFG_PART_SECTIONS_MAX];

/* Gives each part's own daemon section (offset CFG_PART_SECTION) a slot of
 * cfg_daemon.part_sections, so that decoding, freeing and comparison find it there. */
static void part_sections_place(void)
{
	size_t slot = 0;
	for (struct cfg_key *k = cfg_daemon_keys; k->name; k++) {
		if (k->offset != CFG_PART_SECTION)
			continue;
		if (slot == CFG_PART_SECTIONS_MAX)
			fatalx("config", "the parts keep more sections than CFG_PART_SECTIONS_MAX");
		part_section_names[slot] = k->name;
		k->offset = offsetof(struct cfg_daemon, part_sections) + slot++ * sizeof(void *);
	}
}

static void attach(void)
{
	for (const struct dcmon_part *const *p = dcmon_parts; *p; p++) {
		keys_append(cfg_device_keys, CFG_DEVICE_KEYS_MAX, (*p)->device_keys,
			    "CFG_DEVICE_KEYS_MAX");
		keys_append(cfg_daemon_keys, CFG_DAEMON_KEYS_MAX, (*p)->daemon_keys,
			    "CFG_DAEMON_KEYS_MAX");
		keys_append(cfg_check_keys, CFG_CHECK_KEYS_MAX, (*p)->check_keys,
			    "CFG_CHECK_KEYS_MAX");
	}
	part_sections_place();
}

void cfg_parts_attach(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, attach);
}

void cfg_parts_validate(const struct cfg *cfg, const struct cfgnode *root, struct cfg_diags *d)
{
	for (const struct dcmon_part *const *p = dcmon_parts; *p; p++)
		if ((*p)->validate)
			(*p)->validate(cfg, root, d);
}

/* The slot of the part's section `name`, or -1 when no part keeps one by that name. */
static int part_section_index(const char *name)
{
	cfg_parts_attach();
	for (int i = 0; i < CFG_PART_SECTIONS_MAX && part_section_names[i]; i++)
		if (strcmp(part_section_names[i], name) == 0)
			return i;
	return -1;
}

void **cfg_part_slot(struct cfg_daemon *dm, const char *name)
{
	int i = part_section_index(name);
	return i < 0 ? NULL : &dm->part_sections[i];
}

const void *cfg_part_section(const struct cfg_daemon *dm, const char *name)
{
	int i = part_section_index(name);
	return i < 0 ? NULL : dm->part_sections[i];
}
