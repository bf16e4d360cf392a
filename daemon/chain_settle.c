/* The settle hook's question for one alert, over the facility graph's chain
 * (chain_settle.h). */
#include "chain_settle.h"

#include "dcmon/api.h"
#include "dcmon/config.h"
#include "dcmon/facility.h"
#include "dcmon/scheduler.h"

struct settle {
	struct sched *s;
	int64_t since_ms;
	int64_t window_ms;
	bool reported;
};

/* One device on the chain: if polled, widens the window and checks (or asks for) a
 * poll started since the alert fired. */
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
	bool busy = sched_polling(w->s, dev->id);
	if (st->last_poll_ms >= w->since_ms && !busy)
		return;
	w->reported = false;
	if (!busy)
		sched_poll_soon(w->s, dev->id);
}

int64_t chain_settle(struct facility *f, struct sched *s, const char *device,
		     int64_t since_ms, bool *reported)
{
	struct settle w = {.s = s, .since_ms = since_ms, .reported = true};
	if (f && s)
		facility_chain(f, device, settle_device, &w);
	*reported = w.reported;
	return w.window_ms;
}
