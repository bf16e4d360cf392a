/* dcmond's own state files as metrics of the device `dcmond` (state_health.h). */
#include "dcmon/state_health.h"

#include <stddef.h>

#define STATE_HEALTH_INTERVAL_MS 10000 /* stale after 2.5 intervals without a tick */

void state_health_init(struct state_health *h, struct metric_reg *reg, const char *file)
{
	static const struct metric_enum states[] = {{0, "ok"}, {1, "full"}};
	struct metric_desc d = {.unit = "", .inst_label = "file", .inst = file,
				.interval_ms = STATE_HEALTH_INTERVAL_MS};
	*h = (struct state_health){0};
	if (!reg)
		return;
	d.name = "state_store_state";
	d.kind = METRIC_STATE;
	d.enums = states;
	d.nenums = 2;
	h->m_state = metric_reg_get(reg, STATE_HEALTH_DEVICE, &d);
	d.kind = METRIC_GAUGE;
	d.enums = NULL;
	d.nenums = 0;
	d.name = "state_held_count";
	h->m_held = metric_reg_get(reg, STATE_HEALTH_DEVICE, &d);
	d.name = "state_lost_count";
	h->m_lost = metric_reg_get(reg, STATE_HEALTH_DEVICE, &d);
}

void state_health_put(struct state_health *h, struct metric_reg *reg, int64_t now_ms,
		      bool full, size_t held, uint64_t lost)
{
	/* the archive takes one update per second and metric */
	if (!reg || now_ms / 1000 == h->last_sec)
		return;
	h->last_sec = now_ms / 1000;
	if (h->m_state)
		metric_put(reg, h->m_state, now_ms, full ? 1 : 0);
	if (h->m_held)
		metric_put(reg, h->m_held, now_ms, (double)held);
	if (h->m_lost)
		metric_put(reg, h->m_lost, now_ms, (double)lost);
}
