/* Grouping window and rate limit of one recipient.  Pure logic on a caller's clock:
 *
 *   - an item with no window open opens one (group_wait long) and goes out at once, so
 *     the first alert of a group never waits for the window.  When it was raised by a
 *     poll still being evaluated, it waits for the end of that poll (the other values
 *     of the same poll, e.g. the 200 ports of a switch that died, then travel with it),
 *     and at most gather_ms; no fixed delay is added;
 *   - items arriving while the first message is still gathering go out with it (their
 *     polls in flight are waited for too); items arriving later in the window go out
 *     together when it closes;
 *   - at most rate_limit messages per rate_period: beyond that the items are held and
 *     go out as one digest when the oldest send leaves the period.
 */
#include "notify_int.h"

#include <stdlib.h>
#include <string.h>

struct notify_group *notify_group_new(const char *rcpt, size_t rate_cap)
{
	struct notify_group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->cap = rate_cap ? rate_cap : 1;
	g->rcpt = strdup(rcpt);
	g->sent_ms = calloc(g->cap, sizeof(*g->sent_ms));
	if (!g->rcpt || !g->sent_ms) {
		notify_group_free(g);
		return NULL;
	}
	return g;
}

static void gather_clear(struct notify_group *g)
{
	for (size_t i = 0; i < g->ngather; i++)
		free(g->gather_dev[i]);
	g->ngather = 0;
	g->gather_full = false;
	g->gathering = false;
}

/* The first message also waits for the poll of dev (NULL: nothing to wait for). */
static void gather_wait_for(struct notify_group *g, const char *dev)
{
	if (!dev)
		return;
	for (size_t i = 0; i < g->ngather; i++)
		if (strcmp(g->gather_dev[i], dev) == 0)
			return;
	char *copy = g->ngather < NOTIFY_GATHER_DEVS ? strdup(dev) : NULL;
	if (!copy) { /* cannot track it: the gather cap decides */
		g->gather_full = true;
		return;
	}
	g->gather_dev[g->ngather++] = copy;
}

void notify_group_free(struct notify_group *g)
{
	if (!g)
		return;
	gather_clear(g);
	free(g->rcpt);
	free(g->sent_ms);
	free(g);
}

/* The send `back` places before the newest (0 = newest). */
static int64_t sent_at(const struct notify_group *g, size_t back)
{
	return g->sent_ms[(g->head + g->cap - 1 - back) % g->cap];
}

int64_t notify_group_rate_free(const struct notify_group *g, const struct notify_policy *p,
			       int64_t now_ms)
{
	size_t limit = (size_t)p->rate_limit;

	if (limit > g->cap)
		limit = g->cap;
	if (g->nsent < limit)
		return now_ms;
	/* the limit-th newest send must have left the period */
	int64_t free_at = sent_at(g, limit - 1) + p->rate_period_ms;
	return free_at > now_ms ? free_at : now_ms;
}

int64_t notify_group_add(struct notify_group *g, const struct notify_policy *p, int64_t now_ms,
			 int64_t wait_ms, const char *batch)
{
	int64_t due;

	g->nqueued++;
	if (g->gathering && g->due_ms) {
		/* joins the window's first message; if that waits for polls, for this one too */
		due = g->due_ms;
		if (g->ngather > 0 || g->gather_full)
			gather_wait_for(g, batch);
	} else if (g->window_end_ms > now_ms) {
		due = g->window_end_ms;
	} else {
		gather_clear(g);
		g->window_end_ms = now_ms + wait_ms;
		g->gathering = true;
		due = now_ms;
		if (batch && p->gather_ms > 0) {
			due = now_ms + p->gather_ms;
			gather_wait_for(g, batch);
		}
	}
	int64_t rate = notify_group_rate_free(g, p, now_ms);
	if (rate > due) { /* held by the rate limit: the message will be a digest */
		due = rate;
		g->held = true;
	}
	g->due_ms = due;
	return due;
}

void notify_group_wait_for(struct notify_group *g, const char *key, int64_t until_ms)
{
	if (!g->gathering || g->nqueued == 0)
		return;
	gather_wait_for(g, key);
	if (g->due_ms < until_ms)
		g->due_ms = until_ms;
}

bool notify_group_batch_done(struct notify_group *g, const struct notify_policy *p,
			     const char *dev, int64_t now_ms)
{
	size_t i = 0;
	if (!g->gathering || g->nqueued == 0)
		return false;
	while (i < g->ngather && strcmp(g->gather_dev[i], dev) != 0)
		i++;
	if (i == g->ngather)
		return false;
	free(g->gather_dev[i]);
	g->gather_dev[i] = g->gather_dev[--g->ngather];
	if (g->ngather > 0 || g->gather_full || g->due_ms <= now_ms)
		return false;
	int64_t rate = notify_group_rate_free(g, p, now_ms);
	if (rate > now_ms)
		g->held = true;
	g->due_ms = rate > now_ms ? rate : now_ms;
	return true;
}

bool notify_group_due(struct notify_group *g, const struct notify_policy *p, int64_t now_ms)
{
	if (g->nqueued == 0 || now_ms < g->due_ms)
		return false;
	int64_t rate = notify_group_rate_free(g, p, now_ms);
	if (rate > now_ms) {
		g->due_ms = rate;
		g->held = true;
		return false;
	}
	return true;
}

void notify_group_empty(struct notify_group *g)
{
	g->nqueued = 0;
	g->due_ms = 0;
	g->held = false;
	gather_clear(g);
}

void notify_group_sent(struct notify_group *g, int64_t now_ms)
{
	g->sent_ms[g->head] = now_ms;
	g->head = (g->head + 1) % g->cap;
	if (g->nsent < g->cap)
		g->nsent++;
	g->nqueued = 0;
	g->due_ms = 0;
	g->held = false;
	gather_clear(g);
}
