/* Data quality, separate from thresholds: stale (no fresh value), frozen (a value that
 * should move is identical for the device's `facility: frozen_polls` reports) and out of
 * physical range (the profile's valid range: the pollers report such a point as an error
 * "... valid range ...").  Points of an unreachable device going stale are no sensor fault
 * (the scheduler backs off its polls; device state tells).  A frozen or out-of-range point
 * is judged here before the rule engine sees the report (the daemon's pipeline), is not
 * judged by thresholds, and raises sensor_fault_state (its own rule and route, see
 * docs/FACILITY.md). */
#include "facility_int.h"

#include <string.h>

/* Units of analog readings that always jitter a little when the sensor is alive. */
bool fquality_unit_moves(const char *unit)
{
	static const char *const moving[] = {"celsius", "volts", "amperes", "hertz", "watts",
					     NULL};
	for (size_t i = 0; unit && moving[i]; i++)
		if (strcmp(unit, moving[i]) == 0)
			return true;
	return false;
}

static int frozen_limit(const struct facility *f, const struct fmet *fm)
{
	if (fm->node == FG_NONE || !f->g->v[fm->node].dev || !fm->moves)
		return 0;
	return f->g->v[fm->node].fac->frozen_polls;
}

static bool out_of_range(const struct metric *m)
{
	return m->quality == QUALITY_ERROR && strstr(m->reason, "valid range") != NULL;
}

void fquality_report(struct facility *f, struct fmet *fm, const struct metric *m)
{
	bool fresh = m->quality == QUALITY_OK && m->value_ts_ms == m->ts_ms;
	if (fresh) {
		bool at_max = fm->same == (1u << FMET_SAME_BITS) - 1;
		fm->same = m->value == fm->last ? fm->same + !at_max : 0;
		fm->last = m->value;
	}
	int n = frozen_limit(f, fm);
	if (fm->from_traps)
		fm->fault = FAULT_OK; /* stale a few intervals after each trap: that is no sensor */
	else if (out_of_range(m))
		fm->fault = FAULT_RANGE;
	else if (m->quality == QUALITY_STALE)
		/* an unreachable device is polled with back-off, so its points go stale: that
		 * is the device's story (and after an outage one per point would flood) */
		fm->fault = facility_dev_unreachable(f, m->device) ? FAULT_OK : FAULT_STALE;
	else if (fresh && n > 0 && fm->same >= n)
		fm->fault = FAULT_FROZEN;
	else if (fresh || m->quality == QUALITY_ERROR)
		fm->fault = FAULT_OK; /* a plain read error is the device's story, not a fault */
}

bool fquality_unjudged(const struct fmet *fm, const struct metric *m)
{
	bool fresh = m->quality == QUALITY_OK && m->value_ts_ms == m->ts_ms;
	return fm->fault == FAULT_RANGE || (fm->fault == FAULT_FROZEN && fresh);
}
