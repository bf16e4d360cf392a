/* The pipeline of a report (pipeline.h). */
#include "pipeline.h"

#include <stdlib.h>

struct pipeline {
	struct pipeline_env env;
};

static void run(void *arg, const struct metric *m)
{
	struct pipeline *p = arg;
	bool unjudged = p->env.facility && facility_quality(p->env.facility, m);
	if (p->env.alerts)
		alert_engine_report(p->env.alerts, m, unjudged);
	if (p->env.facility)
		facility_derive(p->env.facility, m);
	change_publish(p->env.bus, &(struct change){.kind = CHANGE_METRIC, .ts_ms = m->ts_ms,
						    .device = m->device, .metric = m});
}

static const struct metric_sink pipeline_sink = {
	.name = "pipeline",
	.report = run,
	.no_slot = true,
};

struct pipeline *pipeline_new(const struct pipeline_env *env)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->env = *env;
	if ((env->alerts && alert_engine_attach_stage(env->alerts, env->reg) < 0) ||
	    metric_reg_add_sink(env->reg, &pipeline_sink, p) < 0) {
		free(p);
		return NULL;
	}
	if (env->alerts && env->facility) /* step 2's suppression: read, never asked */
		alert_engine_suppression_input(env->alerts, facility_suppression(env->facility));
	return p;
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	if (p->env.alerts && p->env.facility)
		alert_engine_suppression_input(p->env.alerts, NULL);
	free(p);
}
