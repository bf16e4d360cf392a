/* Grouping window and rate limit of one recipient.  Pure logic on a caller's clock:
 *
 *   - an item with no window open opens one (group_wait long) and goes out after the
 *     short gather delay, so the first alert of a group never waits for the window;
 *   - items arriving while the window is open go out together when it closes;
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

void notify_group_free(struct notify_group *g)
{
	if (!g)
		return;
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
			 int64_t wait_ms)
{
	int64_t due;

	g->nqueued++;
	if (g->window_end_ms > now_ms) {
		due = g->window_end_ms;
		/* an item gathered for the window's first message keeps its early time */
		if (g->due_ms && g->due_ms < due)
			due = g->due_ms;
	} else {
		g->window_end_ms = now_ms + wait_ms;
		due = now_ms + p->gather_ms;
	}
	int64_t rate = notify_group_rate_free(g, p, now_ms);
	if (rate > due) { /* held by the rate limit: the message will be a digest */
		due = rate;
		g->held = true;
	}
	g->due_ms = due;
	return due;
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

void notify_group_sent(struct notify_group *g, int64_t now_ms)
{
	g->sent_ms[g->head] = now_ms;
	g->head = (g->head + 1) % g->cap;
	if (g->nsent < g->cap)
		g->nsent++;
	g->nqueued = 0;
	g->due_ms = 0;
	g->held = false;
}
