/* Events on the change bus.  What was notified (alert.notified) is reconciled
 * with the alert's state whenever either may differ: after a transition, when a silence
 * ends, when flapping calms down.  Silenced or flapping alerts tell nothing; a restart
 * restores `notified`, so nothing is told twice. */
#include "alert_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/enumtab.h"

static const char *const event_names[] = {
	[ALERT_EV_FIRED] = "fired",       [ALERT_EV_SEVERITY] = "severity",
	[ALERT_EV_RESOLVED] = "resolved", [ALERT_EV_ACKED] = "acked",
	[ALERT_EV_FLAPPING] = "flapping", [ALERT_EV_CHANGED] = "changed",
	[ALERT_EV_CURRENT] = "current",   [ALERT_EV_UPDATED] = "updated", NULL,
};

bool alert_event_notifies(enum alert_event_type t)
{
	return t != ALERT_EV_CHANGED && t != ALERT_EV_CURRENT && t != ALERT_EV_UPDATED;
}

const char *alert_event_type_name(enum alert_event_type t)
{
	return enum_name(event_names, (int)t);
}

struct silence *alert_silence_of(struct alert_engine *e, const struct alert *a, int64_t now_ms)
{
	for (size_t i = 0; i < e->nsil; i++)
		if (silence_active(e->sil[i], now_ms) && silence_matches(e->sil[i], a))
			return e->sil[i];
	return NULL;
}

/* Device fields of an event. */
static void event_device(struct alert_event *ev, const struct cfg_device *dev)
{
	if (!dev)
		return;
	ev->tenant = dev->tenant;
	ev->site = dev->loc.site;
	ev->room = dev->loc.room;
	ev->kind = dev_kind_name(dev->kind);
}

static bool same_value(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* What the event about to be published tells of a, for alert_publish_moved(): its
 * cause, and whether it broke through it. */
static void remember_published(struct alert *a, const struct silence *s, const char *cause,
			       bool through)
{
	a->pub_value = a->value;
	a->pub_silence = s ? s->id : 0;
	a->pub_through = through;
	if (same_text(cause, a->pub_supp))
		return;
	free(a->pub_supp);
	a->pub_supp = cause ? strdup(cause) : NULL; /* lost to ENOMEM: told again at the tick */
}

static bool kept_by_copies(const struct alert *a)
{
	return a->state == ALERT_PENDING || a->state == ALERT_FIRING;
}

/* An `updated` event of a if its silence or suppression at now_ms differs from what
 * its last event told. */
static void publish_if_moved(struct alert_engine *e, struct alert *a, int64_t now_ms)
{
	if (!kept_by_copies(a))
		return;
	struct silence *s = alert_silence_of(e, a, now_ms);
	if ((s ? s->id : 0) != a->pub_silence ||
	    !same_text(alert_suppression_of(e->supp, a->device), a->pub_supp) ||
	    (alert_breaks_through(e, a, a->notified) != NULL) != a->pub_through)
		alert_emit(e, a, ALERT_EV_UPDATED, a->level, now_ms);
}

void alert_emit(struct alert_engine *e, struct alert *a, enum alert_event_type type,
		enum alvl prev, int64_t now_ms)
{
	enum change_kind kind = type == ALERT_EV_UPDATED ? CHANGE_ALERT_UPDATE : CHANGE_ALERT;
	if (!change_wanted(e->bus, kind)) {
		alert_moved_forget(e); /* what a told is not remembered: the scan looks */
		return;
	}
	if (alert_event_notifies(type)) { /* the copies are current when it is read */
		alert_publish_moved(e, now_ms);
		publish_if_moved(e, a, now_ms); /* a's own notified moved just now */
	}
	struct silence *s = alert_silence_of(e, a, now_ms);
	const char *cause = alert_suppression_of(e->supp, a->device);
	/* a notification tells the move from prev: one from critical still broke through */
	const char *through = alert_breaks_through(e, a, alert_event_notifies(type) ? prev
										   : a->notified);
	remember_published(a, s, cause, through != NULL);
	/* a notification from critical told a breakthrough that a scan sees no more */
	if ((alert_breaks_through(e, a, a->notified) != NULL) != a->pub_through)
		alert_moved_forget(e);
	enum alvl lvl = a->level != LVL_NONE ? a->level : (prev != LVL_NONE ? prev : LVL_WARN);
	struct alert_event ev = {
		.type = type, .ts_ms = now_ms, .alert_id = a->id, .rule = a->rule_name,
		.device = a->device, .metric = a->key, .unit = "", .state = a->state,
		.severity = SEV_OF_LVL(lvl), .prev_severity = SEV_OF_LVL(prev != LVL_NONE ? prev : lvl),
		.value = a->value, .warn = NAN, .crit = NAN, .since_ms = a->since_ms,
		.fired_ms = a->fired_ms, .acked = a->ack.active, .ack_by = a->ack.by,
		.ack_comment = a->ack.comment, .silence_id = s ? s->id : 0,
		.silence_reason = s ? s->reason : NULL, .suppressed_by = through ? NULL : cause,
		.breaks_through = through,
		.time_to_impact_s = through ? alert_time_to_impact(e, a) : NAN,
		.hist = a->hist, .nhist = a->nhist,
	};
	if (a->rule) {
		ev.summary = a->rule->src->summary;
		ev.warn = a->rule->src->warn;
		ev.crit = a->rule->src->crit;
	}
	if (a->m) {
		ev.metric = a->m->name;
		ev.inst = metric_inst(a->m);
		ev.unit = a->m->shape->unit;
	}
	event_device(&ev, a->dev);
	change_publish(e->bus, &(struct change){.kind = kind, .ts_ms = now_ms,
						.device = a->device, .alert = &ev});
}

void alert_moved_forget(struct alert_engine *e)
{
	e->moved.epoch++;
}

/* The first time after now_ms that a silence window opens or closes (INT64_MAX: none). */
static int64_t silences_still_until(struct alert_engine *e, int64_t now_ms)
{
	int64_t until = INT64_MAX, ws, we;
	for (size_t i = 0; i < e->nsil; i++) {
		if (!silence_window(e->sil[i], now_ms, &ws, &we))
			continue; /* over for good */
		int64_t edge = now_ms < ws ? ws : we;
		if (edge > now_ms && edge < until)
			until = edge;
	}
	return until;
}

/* Whether the last scan's finding still holds at now_ms (struct alert_moved). */
static bool moved_memo_holds(const struct alert_engine *e, int64_t now_ms)
{
	const struct alert_moved *m = &e->moved;
	return m->seen && m->seen_epoch == m->epoch && m->supp == e->supp &&
	       m->supp_gen == alert_suppression_gen(e->supp) && now_ms >= m->from_ms &&
	       now_ms < m->until_ms;
}

void alert_publish_moved(struct alert_engine *e, int64_t now_ms)
{
	if (!change_wanted(e->bus, CHANGE_ALERT_UPDATE) || moved_memo_holds(e, now_ms))
		return;
	/* the inputs as the scan starts: one that moves during it (a subscriber of the
	 * events below) is seen by the next call */
	struct alert_moved *m = &e->moved;
	m->seen = true;
	m->seen_epoch = m->epoch;
	m->supp = e->supp;
	m->supp_gen = alert_suppression_gen(e->supp);
	m->from_ms = now_ms;
	m->until_ms = silences_still_until(e, now_ms);
	m->scans++;
	for (size_t i = 0; i < e->nalerts; i++)
		publish_if_moved(e, e->alerts[i], now_ms);
}

void alert_publish_value(struct alert_engine *e, struct alert *a, int64_t now_ms)
{
	if (kept_by_copies(a) && !same_value(a->value, a->pub_value))
		alert_emit(e, a, ALERT_EV_UPDATED, a->level, now_ms);
}

/* What the daemon last told of one device's chain (alert_engine_settle_input). */
struct asettle {
	int64_t window_ms;
	int64_t reported_ms;
	char device[]; /* the map's key */
};

int alert_engine_settle_input(struct alert_engine *e, const char *device, int64_t window_ms,
			      int64_t reported_ms)
{
	struct asettle *s = smap_get(&e->settle, device);
	if (!s && window_ms <= 0)
		return 0; /* never held: nothing to keep */
	if (!s) {
		size_t len = strlen(device) + 1;
		if (!(s = malloc(sizeof(*s) + len)))
			return -ENOMEM;
		memcpy(s->device, device, len);
		if (smap_put(&e->settle, s->device, s) < 0) {
			free(s);
			return -ENOMEM;
		}
	}
	s->window_ms = window_ms;
	s->reported_ms = reported_ms;
	return 0;
}

void alert_settle_free(struct alert_engine *e)
{
	for (size_t i = 0; i < e->settle.cap; i++)
		if (e->settle.v[i].key)
			free(e->settle.v[i].val);
	smap_free(&e->settle);
}

/* Asks for the polls that a's chain still owes (CHANGE_SETTLE). */
static void settle_request(struct alert_engine *e, const struct alert *a, int64_t now_ms)
{
	if (change_wanted(e->bus, CHANGE_SETTLE))
		change_publish(e->bus, &(struct change){.kind = CHANGE_SETTLE, .ts_ms = now_ms,
							.device = a->device,
							.since_ms = a->fired_ms});
}

/* A first notification still waiting for the devices around it to report: upstream
 * ones, until they have reported since it fired (at most one window: a root that will
 * suppress it); after the suppression that held it ended, two windows (one for the
 * consequences of the cause's recovery to happen -- a transfer switch closing on the
 * generators, a server booting -- and one for the device to report them). */
static bool settle_wait(struct alert_engine *e, const struct alert *a, enum alvl want,
			int64_t now_ms)
{
	if (a->notified != LVL_NONE || want == LVL_NONE)
		return false;
	const struct asettle *s = smap_get(&e->settle, a->device);
	if (!s || s->window_ms <= 0)
		return false;
	bool reported = s->reported_ms >= a->fired_ms;
	if (!reported)
		settle_request(e, a, now_ms);
	return (!reported && now_ms < a->fired_ms + s->window_ms) ||
	       (a->unheld_ms && now_ms < a->unheld_ms + 2 * s->window_ms);
}

/* settle_wait(), remembered so that alert_engine_settle_check() looks only at these. */
static bool settling(struct alert_engine *e, struct alert *a, enum alvl want,
		     int64_t now_ms)
{
	a->settling = settle_wait(e, a, want, now_ms);
	return a->settling;
}

void alert_engine_settle_check(struct alert_engine *e, int64_t now_ms)
{
	if (!e->settle.n)
		return;
	for (size_t i = 0; i < e->nalerts; i++) {
		struct alert *a = e->alerts[i];
		if (a->settling && alert_notify_sync(e, a, now_ms))
			alert_persist(e, a);
	}
}

/* Held by suppression now?  Remembers when that ended, for settling(); an alert that
 * breaks through is not held, but its cause has not recovered. */
static bool held(struct alert_engine *e, struct alert *a, int64_t now_ms)
{
	bool now_held = alert_suppressed_by(e, a) != NULL;
	if (a->held && !alert_suppression_of(e->supp, a->device))
		a->unheld_ms = now_ms;
	a->held = now_held;
	return now_held;
}

bool alert_notify_sync(struct alert_engine *e, struct alert *a, int64_t now_ms)
{
	enum alvl want = a->state == ALERT_FIRING ? a->level : LVL_NONE;
	a->settling = false;
	if (want == a->notified || a->flapping || held(e, a, now_ms) ||
	    settling(e, a, want, now_ms) || alert_silence_of(e, a, now_ms))
		return false;
	enum alvl prev = a->notified;
	enum alert_event_type type = prev == LVL_NONE	? ALERT_EV_FIRED
				     : want == LVL_NONE ? ALERT_EV_RESOLVED
							: ALERT_EV_SEVERITY;
	a->notified = want;
	alert_emit(e, a, type, prev, now_ms);
	return true;
}
