/* Wall clock steps: the engine's running durations are measured in elapsed time.  A
 * step moves every time they count from by the step: `for` delays and no-data
 * bindings, rate samples, the flap window, settle holds, and one-off silences (start
 * and end, stored), so a silence of 2 h lasts 2 h whichever way the clock jumps.
 * Weekly windows keep following the wall clock ("Sundays 02:00-04:00"); past events
 * (history, fired and ack times) keep the times they happened at. */
#include "alert_int.h"

#include "dcmon/log.h"
#include "dcmon/loop.h"

static void alert_shift(struct alert_engine *e, struct alert *a, int64_t step_ms)
{
	clock_shift_ms(&a->unheld_ms, step_ms);
	for (int i = 0; i < ALERT_FLAP_CHANGES; i++)
		clock_shift_ms(&a->flap_ts[i], step_ms);
	if (a->state != ALERT_PENDING || a->pending_ms == 0)
		return;
	a->pending_ms += step_ms;
	alert_persist(e, a);
}

static void bind_shift(struct abind *b, int64_t step_ms)
{
	clock_shift_ms(&b->bound_ms, step_ms);
	for (uint32_t i = 0; i < b->n; i++) {
		struct rate_buf *rb = b->slot[i].rate;
		for (int k = 0; rb && k < RATE_SLOTS; k++)
			clock_shift_ms(&rb->ts[k], step_ms);
	}
}

/* A one-off silence moves (and is stored moved); a weekly one is computed again. */
static void silence_shift(struct alert_engine *e, struct silence *s, int64_t step_ms)
{
	s->win_end_ms = 0; /* drop the cached window */
	if (s->days)
		return;
	s->starts_ms += step_ms;
	s->ends_ms += step_ms;
	if (e->st && alert_store_move_silence(e->st, s) < 0)
		log_warnx("alert", NULL, "could not store the new end of silence %lld",
			  (long long)s->id);
}

void alert_engine_clock_stepped(struct alert_engine *e, int64_t step_ms)
{
	if (!e)
		return;
	if (e->st)
		alert_store_begin(e->st);
	for (size_t i = 0; i < e->nalerts; i++)
		alert_shift(e, e->alerts[i], step_ms);
	for (size_t i = 0; i < e->nbinds; i++)
		bind_shift(e->binds[i], step_ms);
	for (size_t i = 0; i < e->nsil; i++)
		silence_shift(e, e->sil[i], step_ms);
	alert_moved_forget(e);
	if (e->st)
		alert_store_commit(e->st);
}
