/* The chain walks behind the alert engine's settle hook (chain_settle.h). */
#include "chain_settle.h"

#include <string.h>

#include "dcmon/api.h"
#include "dcmon/config.h"
#include "scheduler.h"

#define UPSTREAM_MAX 64 /* devices looked at per upward walk: chains are a handful deep */

struct walk {
	const struct cfg *cfg;
	struct sched *s;
	int64_t since_ms;
	int64_t window_ms;
	bool reported;
	const struct cfg_device *seen[UPSTREAM_MAX];
	size_t nseen;
};

static bool walk_mark(struct walk *w, const struct cfg_device *dev)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (w->seen[i] == dev)
			return false;
	if (w->nseen == UPSTREAM_MAX)
		return false;
	w->seen[w->nseen++] = dev;
	return true;
}

/* One upstream polled device: widens the window, checks (or asks for) a fresh poll. */
static void walk_polled(struct walk *w, const struct cfg_device *dev)
{
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
	if (!busy && st->last_poll_ms < w->since_ms)
		sched_poll_soon(w->s, dev->id);
}

static void walk_feeds(struct walk *w, const struct cfg_device *dev);

static void walk_id(struct walk *w, const char *id)
{
	const struct cfg_device *up = sched_device(w->s, id);
	if (up) {
		if (!walk_mark(w, up))
			return;
		if (cfg_device_polls(up))
			walk_polled(w, up);
		walk_feeds(w, up);
		return;
	}
	const struct cfg_group *g = cfg_group_find(w->cfg, id);
	for (size_t i = 0; g && i < g->nmembers; i++)
		walk_id(w, g->members[i]);
}

static void walk_feeds(struct walk *w, const struct cfg_device *dev)
{
	for (size_t i = 0; i < dev->nfed_by; i++)
		walk_id(w, dev->fed_by[i]);
}

/* Is `target` upstream of dev (bounded like every walk)? */
static bool feeds(struct sched *s, const struct cfg *cfg, const char *target,
		  const struct cfg_device *dev)
{
	struct walk up = {.cfg = cfg, .s = s};
	walk_mark(&up, dev);
	for (size_t i = 0; i < up.nseen; i++) { /* breadth first over seen[] */
		const struct cfg_device *d = up.seen[i];
		for (size_t k = 0; k < d->nfed_by; k++) {
			const char *id = d->fed_by[k];
			if (strcmp(id, target) == 0)
				return true;
			const struct cfg_device *u = sched_device(s, id);
			if (u) {
				walk_mark(&up, u);
				continue;
			}
			const struct cfg_group *g = cfg_group_find(cfg, id);
			for (size_t m = 0; g && m < g->nmembers; m++) {
				if (strcmp(g->members[m], target) == 0)
					return true;
				if ((u = sched_device(s, g->members[m])))
					walk_mark(&up, u);
			}
		}
	}
	return false;
}

/* Every polled device downstream of `device`. */
static void walk_down(struct walk *w, const char *device)
{
	for (size_t i = 0; i < w->cfg->ndevices; i++) {
		const struct cfg_device *dev = &w->cfg->devices[i];
		if (dev->nfed_by && cfg_device_polls(dev) && strcmp(dev->id, device) != 0 &&
		    feeds(w->s, w->cfg, device, dev))
			walk_polled(w, dev);
	}
}

int64_t chain_settle(const struct cfg *cfg, struct sched *s, const char *device,
		     int64_t since_ms, bool *reported)
{
	struct walk w = {.cfg = cfg, .s = s, .since_ms = since_ms, .reported = true};
	const struct cfg_device *dev = s ? sched_device(s, device) : NULL;
	if (dev && walk_mark(&w, dev)) {
		walk_feeds(&w, dev);
		walk_down(&w, device);
	}
	*reported = w.reported;
	return w.window_ms;
}
