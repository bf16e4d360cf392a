/* The pollers part: its pollers (registry.c), which bring the device keys they read
 * (snmp:, modbus:, checks: http:, in their ops tables), the accessors of those
 * sections, and the trap receiver's section of `daemon:` (snmp_trap:). */
#include <stddef.h>

#include "dcmon/http_check.h"
#include "dcmon/modbus.h"
#include "dcmon/part.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"

#define DM(f)  offsetof(struct cfg_daemon, f)

static const struct cfg_key daemon_keys[] = {
    {.name = "snmp_trap", .type = CFGK_SECTION, .offset = DM(snmp_trap),
     .sub = snmp_trap_cfg_keys, .elem_size = sizeof(struct cfg_snmp_trap),
     .init = snmp_trap_cfg_init, .check = snmp_trap_cfg_check},
    {.name = NULL},
};

const struct cfg_snmp *snmp_device_cfg(const struct cfg_device *dev)
{
	return cfg_device_section(dev, "snmp");
}

const struct cfg_modbus *modbus_device_cfg(const struct cfg_device *dev)
{
	return cfg_device_section(dev, "modbus");
}

const struct cfg_http_check *http_checks_of(const struct cfg_device *dev, size_t *n)
{
	return cfg_device_list(dev, "http", n);
}

const struct dcmon_part pollers_part = {
	.name = "pollers",
	.daemon_keys = daemon_keys,
	.pollers = poller_registry,
};
