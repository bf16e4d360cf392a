/* The facility part: the /impact and /test-mode endpoints (api_facility.c) and the
 * lifecycle of its state, the struct facility: a stage of the daemon's pipeline,
 * following the engine's alert changes. */
#include "dcmon/alerting.h"
#include "dcmon/facility.h"
#include "dcmon/log.h"
#include "dcmon/part.h"
#include "facility_int.h"

/* The graph of env->cfg; a device's state is the scheduler's, which the API
 * environment answers (its dev_status). */
static int facility_part_new(const struct part_env *env, void **state)
{
	char err[512] = "";
	struct facility_env fe = {.loop = env->loop, .reg = env->reg, .bus = env->bus,
				  .cfg = env->cfg};
	if (env->api) {
		fe.dev_status = env->api->dev_status;
		fe.arg = env->api->arg;
	}
	if (!(*state = facility_new(&fe, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "facility", NULL, "%s", err);
		return -1;
	}
	return 0;
}

/* Early in the reload: the scheduler and the settle inputs read the new chains. */
static void facility_part_reload(const struct part_env *env, void **state,
				 const struct cfg *old)
{
	(void)old;
	if (*state)
		facility_reload(*state, env->cfg);
}

static void facility_part_free(void *state)
{
	facility_free(state);
}

static void facility_part_clock_stepped(void *state, int64_t step_ms)
{
	facility_clock_stepped(state, step_ms);
}

/* Its test mode silences the engine's alerts, and it follows what the engine publishes. */
static const struct dcmon_part *const facility_after[] = {&alerting_part, NULL};

const struct dcmon_part facility_part = {
	.name = "facility",
	.device_keys = facility_device_keys,
	.routes = facility_routes,
	.new = facility_part_new,
	.reload = facility_part_reload,
	.free = facility_part_free,
	.stage = PART_STAGE_PIPELINE,
	.after = facility_after,
	.reload_phase = PART_RELOAD_EARLY,
	.clock_stepped = facility_part_clock_stepped,
};
