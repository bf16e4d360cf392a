/* The northbound SNMP part (dcmon/northbound.h): the `daemon.snmp_northbound:` section,
 * and its state, the notifier of the managers and the AgentX subagent, made, reloaded
 * and freed through its descriptor; its tick hands the subagent the tables. */
#include <stddef.h>

#include "dcmon/northbound.h"
#include "dcmon/part.h"
#include "nb_int.h"

static const struct cfg_key daemon_keys[] = {
	{.name = "snmp_northbound", .type = CFGK_SECTION, .offset = CFG_PART_SECTION,
	 .sub = nb_cfg_keys, .elem_size = sizeof(struct cfg_snmp_nb), .init = nb_cfg_init,
	 .check = nb_cfg_check},
	{.name = NULL},
};

const struct cfg_snmp_nb *snmp_nb_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "snmp_northbound");
}

static int nb_part_new(const struct part_env *env, void **state)
{
	*state = NULL;
	return snmp_nb_cfg_of(env->cfg) ? nb_new(env, (struct nb **)state) : 0;
}

/* The state stays once made, so that what waits in the outbox is sent when the section
 * comes back (a section reloaded away sends nothing meanwhile). */
static void nb_part_reload(const struct part_env *env, void **state, const struct cfg *old)
{
	(void)old;
	if (*state)
		nb_reload(*state);
	else if (snmp_nb_cfg_of(env->cfg))
		nb_new(env, (struct nb **)state);
}

static void nb_part_free(void *state)
{
	nb_free(state);
}

static void nb_part_tick(const struct part_env *env, void *state, int64_t now_ms)
{
	(void)env;
	nb_tick(state, now_ms);
}

const struct dcmon_part northbound_part = {
	.name = "northbound",
	.daemon_keys = daemon_keys,
	.validate = nb_validate,
	.new = nb_part_new,
	.reload = nb_part_reload,
	.free = nb_part_free,
	.tick = nb_part_tick,
};
