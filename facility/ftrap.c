/* Trap/poll fusion.  A trap says what a device's poll would read (upsTrapOnBattery:
 * output_source_state = battery), but a v1/v2c trap proves nothing about its sender:
 * anyone can forge the UPS's source address and a known community.  So the trap's
 * state waits for the re-poll the trap receiver asks for: a device that answers that
 * poll speaks for itself (the trap changes nothing, confirmed or not), and only a
 * device that does not answer (unreachable, the point in error) takes the trap's state,
 * which is then all there is to know.  A trap alone never raises an alert while the
 * device can be asked. */
#include "facility_int.h"

#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"

/* Known notifications and the polled state each stands for. */
static const struct {
	const char *trap;   /* trap_last_state name */
	const char *metric; /* the polled state metric it stands for */
	const char *value;  /* its value name */
} trap_fusion[] = {
	{"on_battery", "output_source_state", "battery"},
};
#define NFUSION (sizeof(trap_fusion) / sizeof(trap_fusion[0]))

/* The numeric value of the state name `value` of m, or -1. */
static int enum_value(const struct metric *m, const char *value)
{
	for (size_t k = 0; k < m->shape->nenums; k++)
		if (strcmp(m->shape->enums[k].name, value) == 0)
			return m->shape->enums[k].value;
	return -1;
}

static struct ftrap **pending_ref(struct facility *f, const struct metric *trap_m)
{
	struct ftrap **ref = &f->traps;
	while (*ref && (*ref)->trap_m != trap_m)
		ref = &(*ref)->next;
	return ref;
}

/* Remembers (or moves on) the trap of trap_m waiting for a poll; false when out of
 * memory (the trap is then only recorded in trap_last_state). */
static bool pending_set(struct facility *f, const struct metric *trap_m, size_t fusion)
{
	struct ftrap **ref = pending_ref(f, trap_m);
	if (!*ref && !(*ref = calloc(1, sizeof(**ref))))
		return false;
	(*ref)->trap_m = trap_m;
	(*ref)->fusion = fusion;
	(*ref)->ts_ms = trap_m->ts_ms;
	return true;
}

static void pending_drop(struct ftrap **ref)
{
	struct ftrap *p = *ref;
	*ref = p->next;
	free(p);
}

void ftrap_report(struct facility *f, const struct metric *m)
{
	const char *name = metric_enum_name(m, (int)m->value);
	for (size_t i = 0; name && i < NFUSION; i++) {
		if (strcmp(name, trap_fusion[i].trap) != 0)
			continue;
		const struct metric *pm =
			metric_reg_find(f->env.reg, m->device, trap_fusion[i].metric, NULL);
		int v = pm ? enum_value(pm, trap_fusion[i].value) : -1;
		if (v < 0 || (pm->quality == QUALITY_OK && (int)pm->value == v))
			continue; /* nothing to stand for, or the poll says so already */
		if (pending_set(f, m, i))
			log_debug("facility", m->device, "trap %s: %s = %s if the poll cannot tell",
				  name, pm->name, trap_fusion[i].value);
	}
}

void ftrap_forget(struct facility *f, const struct metric *m)
{
	struct ftrap **ref = pending_ref(f, m);
	if (*ref)
		pending_drop(ref);
}

void ftrap_free(struct facility *f)
{
	while (f->traps)
		pending_drop(&f->traps);
}

/* The poll that ended after trap p: the device's own answer, or the trap's state when
 * it gave none. */
static void settle(struct facility *f, const struct ftrap *p, struct metric *pm, int64_t now_ms)
{
	const char *trap = trap_fusion[p->fusion].trap, *value = trap_fusion[p->fusion].value;
	int v = enum_value(pm, value);
	if (pm->ts_ms >= p->ts_ms && pm->quality == QUALITY_OK) {
		if ((int)pm->value == v)
			log_debug("facility", pm->device, "trap %s confirmed by the poll", trap);
		else
			log_info("facility", pm->device,
				 "trap %s not confirmed: the poll reads %s = %s (trap ignored)",
				 trap, pm->name, metric_enum_name(pm, (int)pm->value));
		return;
	}
	log_info("facility", pm->device, "trap %s: %s = %s, the poll could not tell (%s)", trap,
		 pm->name, value, pm->reason && pm->reason[0] ? pm->reason : "no reading");
	metric_put(f->env.reg, pm, now_ms, v);
}

/* True when the device's poll that just ended started after trap p. */
static bool polled_since(const struct facility *f, const struct ftrap *p, const struct metric *pm)
{
	if (pm && pm->ts_ms >= p->ts_ms)
		return true; /* the point was reported (stamped with the poll's start) since */
	const struct dev_status *st =
		f->env.dev_status ? f->env.dev_status(f->env.arg, p->trap_m->device) : NULL;
	return st && st->last_poll_ms >= p->ts_ms;
}

void ftrap_polled(struct facility *f, const char *device, int64_t now_ms)
{
	struct ftrap **ref = &f->traps;
	while (*ref) {
		struct ftrap p = **ref;
		struct metric *pm = strcmp(p.trap_m->device, device) == 0
			? metric_reg_find(f->env.reg, device, trap_fusion[p.fusion].metric, NULL)
			: NULL;
		if (!pm || !polled_since(f, &p, pm)) {
			/* another device's, or a poll begun before the trap ended: the re-poll
			 * follows */
			ref = &(*ref)->next;
			continue;
		}
		pending_drop(ref);
		settle(f, &p, pm, now_ms);
	}
}
