/* Wall clock steps: grouping windows, rate limits, reminders and escalations count
 * elapsed time, so their times move by the step.  Messages already in the spool keep
 * their retry times (a step back delays a pending retry by at most the step). */
#include "notify_int.h"

#include "dcmon/loop.h"

static void group_shift(struct notify_group *g, int64_t step_ms)
{
	clock_shift_ms(&g->window_end_ms, step_ms);
	clock_shift_ms(&g->due_ms, step_ms);
	for (size_t i = 0; i < g->cap; i++)
		clock_shift_ms(&g->sent_ms[i], step_ms);
}

void notifier_clock_stepped(struct notifier *n, int64_t step_ms)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->ngroups; i++)
		group_shift(n->groups[i], step_ms);
	for (size_t i = 0; i < n->ntracks; i++) {
		clock_shift_ms(&n->tracks[i].fired_ms, step_ms);
		clock_shift_ms(&n->tracks[i].last_ms, step_ms);
	}
	clock_shift_ms(&n->wake_ms, step_ms);
	n->metrics_sec = 0; /* self-metrics again at once, whichever way the clock went */
}
