/* --check-config and reload: every Modbus profile a device names must load cleanly. */
#include "dcmon/modbus.h"

#include <errno.h>
#include <string.h>

#include "modbus.h"

/* True if a Modbus device before index i names the same profile. */
static bool checked_before(const struct cfg *cfg, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		const struct cfg_device *o = &cfg->devices[j];
		if (modbus_device_cfg(o) && o->profile && strcmp(o->profile, cfg->devices[i].profile) == 0)
			return true;
	}
	return false;
}

int modbus_profiles_check(const struct cfg *cfg, struct cfg_diags *d)
{
	int rc = 0;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct cfg_device *dev = &cfg->devices[i];
		if (!modbus_device_cfg(dev) || !dev->profile || checked_before(cfg, i))
			continue;
		char path[4096];
		if (modbus_profile_path(cfg, dev->profile, path, sizeof(path)) < 0) {
			cfg_error(d, &dev->pos, "device %s: profile path too long", dev->id);
			rc = -EINVAL;
			continue;
		}
		struct modbus_profile *p = modbus_profile_load(path, d);
		if (!p)
			rc = -EINVAL;
		modbus_profile_free(p);
	}
	return rc;
}
