/* Reminders and escalation: firing, unacknowledged alerts are reminded at their routes'
 * `repeat` interval and escalated to `escalate_to` once `escalate_after` has passed.
 * What is said of an alert is the notifier's copy of it (notify_copy.c). */
#include "notify_int.h"

#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/vec.h"

void notify_track_add(struct notifier *n, int64_t alert_id, int64_t fired_ms, int64_t now_ms)
{
	for (size_t i = 0; i < n->ntracks; i++)
		if (n->tracks[i].alert_id == alert_id)
			return;
	struct notify_track *v = vec_grow(n->tracks, &n->captracks, n->ntracks, sizeof(*v), 16);
	if (!v)
		return;
	n->tracks = v;
	n->tracks[n->ntracks++] = (struct notify_track){
		.alert_id = alert_id, .fired_ms = fired_ms, .last_ms = now_ms};
}

void notify_track_del(struct notifier *n, int64_t alert_id)
{
	for (size_t i = 0; i < n->ntracks; i++) {
		if (n->tracks[i].alert_id == alert_id) {
			n->tracks[i] = n->tracks[--n->ntracks];
			return;
		}
	}
}

/* Recipients of the reminders (routes with repeat due) and escalations of one alert. */
static void remind_routes(struct notifier *n, struct notify_track *tr, const struct notify_target *t,
			  int64_t now_ms, struct notify_rcpts *rem, struct notify_rcpts *esc)
{
	for (size_t i = 0; i < n->cfg->nroutes; i++) {
		const struct cfg_route *r = &n->cfg->routes[i];
		if (!notify_route_match(r, t))
			continue;
		if (r->repeat_ms > 0 && now_ms - tr->last_ms >= r->repeat_ms)
			notify_route_add(n->cfg, r, t, rem);
		if (r->escalate_after_ms > 0 && !tr->escalated &&
		    now_ms - tr->fired_ms >= r->escalate_after_ms) {
			const struct cfg_route *to = notify_route_find(n->cfg, r->escalate_to);
			if (to)
				notify_route_add(n->cfg, to, t, esc);
		}
	}
}

/* Returns false when the track is to be dropped. */
static bool remind_one(struct notifier *n, struct notify_track *tr, int64_t now_ms)
{
	const struct notify_alert *a = notify_copy_find(n, tr->alert_id);
	struct alert_event ev;
	struct notify_target t;
	struct notify_rcpts rem = {0}, esc = {0};

	if (!a || a->state != ALERT_FIRING || a->acked)
		return false;
	if (a->silence_id)
		return true;
	notify_copy_event(a, ALERT_EV_FIRED, now_ms, &ev);
	notify_target_of(n, &ev, &t);
	remind_routes(n, tr, &t, now_ms, &rem, &esc);
	if (rem.n) {
		notify_queue_event(n, &ev, "reminder", &rem, now_ms);
		tr->last_ms = now_ms;
	}
	if (esc.n) {
		log_info("notify", a->device, "alert %lld unacknowledged: escalated to %zu recipient%s",
			 (long long)a->id, esc.n, esc.n == 1 ? "" : "s");
		notify_queue_event(n, &ev, "escalation", &esc, now_ms);
	}
	tr->escalated = tr->escalated || esc.n > 0;
	notify_rcpts_free(&rem);
	notify_rcpts_free(&esc);
	return true;
}

void notify_remind(struct notifier *n, int64_t now_ms)
{
	for (size_t i = 0; i < n->ntracks;) {
		if (remind_one(n, &n->tracks[i], now_ms))
			i++;
		else
			n->tracks[i] = n->tracks[--n->ntracks];
	}
}
