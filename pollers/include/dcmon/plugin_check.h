/* Nagios-compatible plugins run as checks: a device's `checks: plugin:` list
 * (docs/CONFIG.md).  The contract between the config (one CFGK_SEQ row in the plugin
 * poller's check_keys) and pollers/plugin.c.
 *
 *   checks:
 *     plugin:
 *       - [/usr/lib/nagios/plugins/check_disk, -w, "20%", -p, /]
 *       - {name: load, command: [/usr/lib/nagios/plugins/check_load, -w, "5,4,3"]}
 */
#ifndef DCMON_PLUGIN_CHECK_H
#define DCMON_PLUGIN_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"

/* One `checks: plugin:` item.  Decoded and validated: command[0] is an absolute path. */
struct cfg_plugin {
	char *name;         /* instance label, unique within the device; default basename */
	char **command;     /* argv: command[0] an absolute path, run without a shell */
	size_t ncommand;    /* >= 1 */
	int64_t timeout_ms; /* CFG_UNSET = the device timeout */
	struct cfg_pos pos;
};

/* The `checks:` keys the plugin poller brings (`plugin:`, a list the kernel keeps in a
 * slot of the device, CFG_PART_SECTION). */
extern const struct cfg_key plugin_checks_keys[];
/* The device's `checks: plugin:` items, *n of them (NULL and 0 when it has none). */
const struct cfg_plugin *plugin_checks_of(const struct cfg_device *dev, size_t *n);

#endif
