/* The suppression input (dcmon/alert.h): per device, the device or group whose failure
 * explains its alerts, as its keeper (the facility) last wrote it.  The engine only
 * reads it, and decides here which alerts it holds and which break through it. */
#include "alert_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct alert_suppression {
	struct smap causes; /* device -> cause; neither string owned */
	uint64_t gen;       /* bumped by every change (alert_suppression_gen) */
};

struct alert_suppression *alert_suppression_new(void)
{
	return calloc(1, sizeof(struct alert_suppression));
}

void alert_suppression_free(struct alert_suppression *s)
{
	if (!s)
		return;
	smap_free(&s->causes);
	free(s);
}

int alert_suppression_set(struct alert_suppression *s, const char *device, const char *cause)
{
	const char *was = s->causes.n ? smap_get(&s->causes, device) : NULL;
	/* rewritten as it was (the facility's tick) nothing moved; the entry is still put,
	 * as its strings may be a new config's */
	s->gen += !(was == cause || (was && cause && strcmp(was, cause) == 0));
	if (!cause) {
		smap_del(&s->causes, device);
		return 0;
	}
	return smap_put(&s->causes, device, (void *)cause);
}

void alert_suppression_clear(struct alert_suppression *s)
{
	s->gen += s->causes.n > 0;
	smap_free(&s->causes);
}

uint64_t alert_suppression_gen(const struct alert_suppression *s)
{
	return s ? s->gen : 0;
}

const char *alert_suppression_of(const struct alert_suppression *s, const char *device)
{
	return s && s->causes.n ? smap_get(&s->causes, device) : NULL;
}

void alert_engine_suppression_input(struct alert_engine *e, const struct alert_suppression *s)
{
	e->supp = s;
}

const char *alert_breaks_through(const struct alert_engine *e, const struct alert *a,
				 enum alvl told)
{
	const char *cause = alert_suppression_of(e->supp, a->device);
	if (!cause || !a->rule || !a->rule->src->breaks_through)
		return NULL;
	bool critical = a->state == ALERT_FIRING && a->level == LVL_CRIT;
	return critical || told == LVL_CRIT ? cause : NULL;
}

const char *alert_suppressed_by(const struct alert_engine *e, const struct alert *a)
{
	return alert_breaks_through(e, a, a->notified) ? NULL
						       : alert_suppression_of(e->supp, a->device);
}

double alert_time_to_impact(const struct alert_engine *e, const struct alert *a)
{
	const char *name = a->rule ? a->rule->src->time_to_impact : NULL;
	const struct metric *m = name && e->reg ? metric_reg_find(e->reg, a->device, name, NULL)
						: NULL;
	return m && m->quality == QUALITY_OK ? m->value : NAN;
}

void alert_impact_text(const char *cause, double secs, char *buf, size_t len)
{
	if (isnan(secs))
		snprintf(buf, len, "%s outage: the time to impact shortens", cause);
	else if (secs >= 120)
		snprintf(buf, len, "%s outage: the load goes dark in %.0f min", cause,
			 floor(secs / 60));
	else
		snprintf(buf, len, "%s outage: the load goes dark in %.0f s", cause,
			 secs > 0 ? secs : 0);
}
