/* The pollers part: the transport sections of a device (snmp:, modbus:) and the trap
 * receiver's section of `daemon:` (snmp_trap:); the receiver is its state.  The pollers
 * themselves are listed in registry.c. */
#include <stddef.h>

#include "dcmon/http_check.h"
#include "dcmon/log.h"
#include "dcmon/modbus.h"
#include "dcmon/part.h"
#include "dcmon/snmp.h"

#define DEV(f) offsetof(struct cfg_device, f)

static const struct cfg_key device_keys[] = {
    {.name = "snmp", .type = CFGK_SECTION, .offset = DEV(snmp), .sub = snmp_cfg_keys,
     .elem_size = sizeof(struct cfg_snmp), .init = snmp_cfg_init, .check = snmp_cfg_check},
    {.name = "modbus", .type = CFGK_SECTION, .offset = DEV(modbus), .sub = modbus_cfg_keys,
     .elem_size = sizeof(struct cfg_modbus), .init = modbus_cfg_init, .check = modbus_cfg_check},
    {.name = NULL},
};

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

const struct dcmon_part pollers_part = {
	.name = "pollers",
	.device_keys = device_keys,
	.daemon_keys = daemon_keys,
	.check_keys = http_checks_keys,
	.new = pollers_new,
	.free = pollers_free,
};
