/* The alert state machine: OK -> PENDING -> FIRING -> RESOLVED, severity changes while
 * firing, acks broken by resolution or worsening, flap detection.  Every change is
 * recorded (history ring, store), logged as `old -> new`, and reconciled with what the
 * notifier was told (alert_notify.c). */
#include "alert_int.h"

#include <math.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/enumtab.h"
#include "dcmon/log.h"

static const char *const state_names[] = {
	[ALERT_OK] = "ok", [ALERT_PENDING] = "pending", [ALERT_FIRING] = "firing",
	[ALERT_RESOLVED] = "resolved", NULL,
};

const char *alert_state_name(enum alert_state s)
{
	return enum_name(state_names, (int)s);
}

int alert_state_parse(const char *s, enum alert_state *out)
{
	int v;
	if (enum_parse(state_names, s, &v) < 0)
		return -EINVAL;
	*out = (enum alert_state)v;
	return 0;
}

static void ack_clear(struct alert *a)
{
	free(a->ack.by);
	free(a->ack.comment);
	a->ack = (struct alert_ack_info){0};
}

/* Appends a transition to the history (memory and store). */
static void fsm_record(struct alert_engine *e, struct alert *a, enum alert_state from,
		       enum alvl lvl, int64_t now_ms)
{
	struct alert_transition t = {.ts_ms = now_ms, .from = from, .to = a->state,
				     .severity = SEV_OF_LVL(lvl), .value = a->value};
	alert_hist_push(a, &t);
	if (e->st && alert_store_add_hist(e->st, a->id, &t) < 0)
		log_warnx("alert", a->device, "could not store history of alert %lld",
			  (long long)a->id);
	log_info("alert", a->device, "%s %s: %s -> %s severity=%s value=%g", a->rule_name, a->key,
		 alert_state_name(from), alert_state_name(a->state),
		 cfg_severity_name(SEV_OF_LVL(lvl)), a->value);
	alert_emit(e, a, ALERT_EV_CHANGED, lvl, now_ms);
}

/* A state change: history, flap count, notification, store. */
static void fsm_move(struct alert_engine *e, struct alert *a, enum alert_state to, enum alvl lvl,
		     int64_t now_ms)
{
	enum alert_state from = a->state;
	enum alvl shown = lvl != LVL_NONE ? lvl : (a->level != LVL_NONE ? a->level : LVL_WARN);
	a->state = to;
	a->level = lvl;
	a->since_ms = now_ms;
	if (to == ALERT_FIRING)
		a->fired_ms = now_ms;
	if (to == ALERT_OK || to == ALERT_RESOLVED) {
		a->pending_ms = 0;
		ack_clear(a);
	}
	if (e->st)
		alert_store_begin(e->st);
	fsm_record(e, a, from, shown, now_ms);
	alert_flap_update(e, a, alert_flap_count(a, now_ms, true), now_ms);
	alert_notify_sync(e, a, now_ms);
	alert_persist(e, a);
	if (e->st)
		alert_store_commit(e->st);
}

/* Severity change while firing; a rise above the acked severity breaks the ack. */
static void fsm_severity(struct alert_engine *e, struct alert *a, enum alvl lvl, int64_t now_ms)
{
	a->level = lvl;
	if (a->ack.active && lvl > LVL_OF_SEV(a->ack.severity)) {
		log_info("alert", a->device, "%s %s: ack by %s dropped: severity rose to %s",
			 a->rule_name, a->key, a->ack.by, cfg_severity_name(SEV_OF_LVL(lvl)));
		ack_clear(a);
	}
	if (e->st)
		alert_store_begin(e->st);
	fsm_record(e, a, ALERT_FIRING, lvl, now_ms);
	alert_notify_sync(e, a, now_ms);
	alert_persist(e, a);
	if (e->st)
		alert_store_commit(e->st);
}

/* The alert of a slot, created the first time the pair leaves OK. */
static struct alert *slot_alert(struct alert_engine *e, struct abind *b, struct aslot *s)
{
	if (s->alert)
		return s->alert;
	struct alert *a = alert_obj_new(s->rule->src->name, b->m->device, b->m->key);
	if (!a || alert_engine_insert(e, a) < 0) {
		log_warnx("alert", b->m->device, "out of memory creating an alert");
		alert_obj_free(a);
		return NULL;
	}
	a->rule = s->rule;
	a->m = b->m;
	a->dev = b->dev;
	s->alert = a;
	return a;
}

void alert_fsm_step(struct alert_engine *e, struct abind *b, struct aslot *s, enum alvl lvl,
		    double val, int64_t now_ms)
{
	struct alert *a = s->alert;
	if (lvl == LVL_NONE) {
		if (!a)
			return;
		a->value = val;
		if (a->state == ALERT_PENDING)
			fsm_move(e, a, ALERT_OK, LVL_NONE, now_ms);
		else if (a->state == ALERT_FIRING)
			fsm_move(e, a, ALERT_RESOLVED, LVL_NONE, now_ms);
		return;
	}
	a = slot_alert(e, b, s);
	if (!a)
		return;
	a->value = val;
	int64_t for_ms = s->rule->src->for_ms;
	switch (a->state) {
	case ALERT_OK:
	case ALERT_RESOLVED:
		a->pending_ms = now_ms;
		fsm_move(e, a, for_ms > 0 ? ALERT_PENDING : ALERT_FIRING, lvl, now_ms);
		break;
	case ALERT_PENDING:
		a->level = lvl;
		if (now_ms - a->pending_ms >= for_ms)
			fsm_move(e, a, ALERT_FIRING, lvl, now_ms);
		break;
	case ALERT_FIRING:
		if (lvl != a->level)
			fsm_severity(e, a, lvl, now_ms);
		break;
	}
	alert_publish_value(e, a, now_ms);
}

void alert_fsm_end(struct alert_engine *e, struct alert *a, int64_t now_ms)
{
	if (a->state == ALERT_PENDING)
		fsm_move(e, a, ALERT_OK, LVL_NONE, now_ms);
	else if (a->state == ALERT_FIRING)
		fsm_move(e, a, ALERT_RESOLVED, LVL_NONE, now_ms);
}

bool alert_flap_update(struct alert_engine *e, struct alert *a, int n, int64_t now_ms)
{
	if (!a->flapping && n >= ALERT_FLAP_CHANGES) {
		a->flapping = true;
		log_info("alert", a->device, "%s %s: flapping (%d changes in %d min)", a->rule_name,
			 a->key, n, ALERT_FLAP_WINDOW_MS / 60000);
		alert_emit(e, a, ALERT_EV_FLAPPING, a->notified, now_ms);
		return true;
	}
	if (a->flapping && n < ALERT_FLAP_CHANGES / 2) {
		a->flapping = false;
		log_info("alert", a->device, "%s %s: no longer flapping", a->rule_name, a->key);
		return true;
	}
	return false;
}
