/* The settle inputs of the alert engine, over the facility graph's chains
 * (chain_settle.h). */
#include "chain_settle.h"

#include <stdlib.h>

#include "dcmon/alert.h"
#include "dcmon/change.h"
#include "dcmon/config.h"
#include "dcmon/facility.h"
#include "dcmon/scheduler.h"
#include "dcmon/vec.h"

struct chain_settle {
	struct facility *f;
	struct sched *s;
	struct alert_engine *e;
	struct change_bus *bus;
	const char **ids; /* scratch: the devices on one chain (facility_chain cannot nest) */
	size_t nids, capids;
};

/* What the engine needs of one device's chain. */
struct settle {
	struct sched *s;
	int64_t window_ms;   /* the longest interval plus timeout of its polled devices */
	int64_t reported_ms; /* the oldest poll start standing for it (INT64_MIN: polling) */
};

static void settle_device(void *arg, const struct cfg_device *dev)
{
	struct settle *w = arg;
	if (!cfg_device_polls(dev))
		return;
	int64_t win = dev->interval_ms + dev->timeout_ms;
	if (win > w->window_ms)
		w->window_ms = win;
	const struct dev_status *st = sched_status(w->s, dev->id);
	if (!st)
		return; /* not scheduled (yet): nothing to wait for */
	int64_t at = sched_polling(w->s, dev->id) ? INT64_MIN : st->last_poll_ms;
	if (at < w->reported_ms)
		w->reported_ms = at;
}

/* Tells the engine device's chain as it stands now. */
static void tell(struct chain_settle *cs, const char *device)
{
	struct settle w = {.s = cs->s, .reported_ms = INT64_MAX};
	facility_chain(cs->f, device, settle_device, &w);
	alert_engine_settle_input(cs->e, device, w.window_ms, w.reported_ms); /* ENOMEM: not held */
}

void chain_settle_all(struct chain_settle *cs, const struct cfg *cfg)
{
	for (size_t i = 0; cs && i < cfg->ndevices; i++)
		tell(cs, cfg->devices[i].id);
}

static void collect(void *arg, const struct cfg_device *dev)
{
	struct chain_settle *cs = arg;
	const char **v = vec_grow(cs->ids, &cs->capids, cs->nids, sizeof(*v), 16);
	if (!v)
		return; /* out of memory: that device's chain is told at its own polls */
	cs->ids = v;
	cs->ids[cs->nids++] = dev->id;
}

void chain_settle_polled(struct chain_settle *cs, const char *device)
{
	if (!cs)
		return;
	cs->nids = 0;
	facility_chain(cs->f, device, collect, cs);
	for (size_t i = 0; i < cs->nids; i++)
		tell(cs, cs->ids[i]);
}

/* One device on a held alert's chain: asks for a poll started since the alert fired,
 * unless it has reported one or is polling. */
struct owed {
	struct sched *s;
	int64_t since_ms;
};

static void poll_owed(void *arg, const struct cfg_device *dev)
{
	const struct owed *o = arg;
	if (!cfg_device_polls(dev))
		return;
	const struct dev_status *st = sched_status(o->s, dev->id);
	if (st && st->last_poll_ms < o->since_ms && !sched_polling(o->s, dev->id))
		sched_poll_soon(o->s, dev->id);
}

static void on_settle(void *arg, const struct change *c)
{
	struct chain_settle *cs = arg;
	facility_chain(cs->f, c->device, poll_owed, &(struct owed){cs->s, c->since_ms});
}

struct chain_settle *chain_settle_new(struct facility *f, struct sched *s,
				      struct alert_engine *e, struct change_bus *bus)
{
	struct chain_settle *cs = calloc(1, sizeof(*cs));
	if (!cs)
		return NULL;
	*cs = (struct chain_settle){.f = f, .s = s, .e = e, .bus = bus};
	if (change_subscribe(bus, CHANGE_MASK(CHANGE_SETTLE), on_settle, cs) < 0) {
		free(cs);
		return NULL;
	}
	return cs;
}

void chain_settle_free(struct chain_settle *cs)
{
	if (!cs)
		return;
	change_unsubscribe(cs->bus, on_settle, cs);
	free(cs->ids);
	free(cs);
}
