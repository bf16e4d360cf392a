/* The config sections the parts bring (dcmon/part.h): appended once to the key tables
 * of a device, of its `checks:` and of the `daemon:` section, so that decoding, freeing, comparison on
 * reload and key suggestions treat them as the kernel's own keys. */
#include "config_int.h"

#include <pthread.h>

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
}

void cfg_parts_attach(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, attach);
}
