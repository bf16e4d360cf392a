/* The pollers part: its own `checks:` keys (ping:, process:, resources:, host_checks.c,
 * which come first), its pollers (registry.c), which bring the device keys they read
 * (snmp:, modbus:, checks: tcp:, plugin:, http:, in their ops tables), a device's
 * address_guard: (which icmp, tcp and snmp honour), the accessors of those sections,
 * and the trap receiver's section of `daemon:` (snmp_trap:); the receiver is its
 * state. */
#include <stddef.h>

#include "dcmon/addr_guard.h"
#include "dcmon/host_checks.h"
#include "dcmon/http_check.h"
#include "dcmon/log.h"
#include "dcmon/modbus.h"
#include "dcmon/part.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"

static const struct cfg_key daemon_keys[] = {
    {.name = "snmp_trap", .type = CFGK_SECTION, .offset = CFG_PART_SECTION,
     .sub = snmp_trap_cfg_keys, .elem_size = sizeof(struct cfg_snmp_trap),
     .init = snmp_trap_cfg_init, .check = snmp_trap_cfg_check},
    {.name = NULL},
};

const struct cfg_snmp_trap *snmp_trap_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "snmp_trap");
}

/* The trap receiver, when the config has a snmp_trap: section (a change of it waits
 * for a restart). */
static int pollers_new(const struct part_env *env, void **state)
{
	const struct cfg_snmp_trap *tc = snmp_trap_cfg_of(env->cfg);
	char err[512] = "";
	*state = NULL;
	if (tc && !(*state = snmp_trapd_new(env->pollers, tc, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "snmp_trap", NULL, "%s", err);
		return -1;
	}
	return 0;
}

static void pollers_free(void *state)
{
	snmp_trapd_free(state);
}

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
	.daemon_resolve = snmp_trap_cfg_resolve,
	.device_keys = addr_guard_device_keys,
	.check_keys = host_checks_keys,
	.new = pollers_new,
	.free = pollers_free,
	.pollers = poller_registry,
};
