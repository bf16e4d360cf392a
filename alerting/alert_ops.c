/* What operators do: acknowledge alerts, add and end silences (each written to the
 * audit log), and read the alerts and silences. */
#include "alert_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"

static const char *actor_who(const struct alert_actor *by)
{
	return by && by->who ? by->who : "?";
}

/* The record on the change bus too (the event store keeps it as an event), written to
 * the audit log or not: its log line has said it either way. */
static void audit_publish(struct alert_engine *e, int64_t now_ms, const struct alert_actor *a,
			  const char *action, const char *target, const char *detail)
{
	if (!change_wanted(e->bus, CHANGE_AUDIT))
		return;
	struct change_audit rec = {.who = a->who, .origin = a->origin, .action = action,
				   .target = target, .detail = detail, .tenant = a->tenant};
	change_publish(e->bus, &(struct change){.kind = CHANGE_AUDIT, .ts_ms = now_ms,
						 .audit = &rec});
}

/* Says the record, writes it to the audit log (when the engine keeps state) and
 * publishes it: 0 or -EIO. */
static int audit_write(struct alert_engine *e, int64_t now_ms, const struct alert_actor *by,
		       const char *action, const char *target, const char *detail)
{
	struct alert_actor a = {actor_who(by), by && by->origin ? by->origin : "?",
				by ? by->tenant : NULL};
	log_info("audit", NULL, "%s %s by %s from %s: %s", action, target, a.who, a.origin,
		 detail ? detail : "");
	int rc = e->st && alert_store_audit(e->st, now_ms, &a, action, target, detail) < 0 ? -EIO
											   : 0;
	audit_publish(e, now_ms, &a, action, target, detail);
	return rc;
}

void alert_engine_publish_start_audit(struct alert_engine *e)
{
	int64_t ts_ms;
	char *detail = e->st ? alert_store_integrity_take(e->st, &ts_ms) : NULL;
	if (detail)
		audit_publish(e, ts_ms, &audit_start_actor, AUDIT_INTEGRITY_ACTION,
			      AUDIT_INTEGRITY_TARGET, detail);
	free(detail);
}

int alert_engine_audit_add(struct alert_engine *e, const struct alert_actor *by,
			   const char *action, const char *target, const char *detail,
			   int64_t now_ms)
{
	return e->st ? audit_write(e, now_ms, by, action, target, detail) : -ENOTSUP;
}

static void audit(struct alert_engine *e, int64_t now_ms, const struct alert_actor *by,
		  const char *action, const char *target, const char *detail)
{
	if (audit_write(e, now_ms, by, action, target, detail) < 0)
		log_warnx("audit", NULL, "could not write the audit log");
}

int alert_engine_ack(struct alert_engine *e, int64_t id, const struct alert_actor *by,
		     const char *comment, int64_t now_ms)
{
	struct alert *a = alert_engine_find(e, id);
	if (!a)
		return -ENOENT;
	if (a->state != ALERT_PENDING && a->state != ALERT_FIRING)
		return -EINVAL;
	char *who = strdup(actor_who(by));
	char *text = strdup(comment ? comment : "");
	if (!who || !text) {
		free(who);
		free(text);
		return -ENOMEM;
	}
	free(a->ack.by);
	free(a->ack.comment);
	a->ack = (struct alert_ack_info){.active = true, .by = who, .comment = text,
					 .ts_ms = now_ms, .severity = SEV_OF_LVL(a->level)};
	char target[64];
	snprintf(target, sizeof(target), "alert:%lld", (long long)id);
	audit(e, now_ms, by, "ack", target, text);
	alert_persist(e, a);
	alert_emit(e, a, ALERT_EV_ACKED, a->level, now_ms);
	return 0;
}

/* "device=ups-* metric=battery_*" for the audit log. */
static void selector_text(const struct cfg_selector *s, const char *rule, char *buf, size_t len)
{
	const char *keys[] = {"device", "kind", "site", "room", "tenant", "metric", "inst", "rule"};
	const char *vals[] = {s->device, s->kind, s->site, s->room, s->tenant, s->metric, s->inst,
			      rule};
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < 8 && off < len; i++)
		if (vals[i])
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "",
						keys[i], vals[i]);
	for (size_t i = 0; i < s->nlabels && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%slabel.%s=%s", off ? " " : "",
					s->labels[i].key, s->labels[i].value);
}

int alert_engine_silence_add(struct alert_engine *e, const struct alert_silence_spec *spec,
			     const struct alert_actor *by, int64_t now_ms, int64_t *id,
			     char *err, size_t errlen)
{
	struct silence *s = silence_new(spec, actor_who(by), now_ms, err, errlen);
	if (!s)
		return -EINVAL;
	s->id = e->next_sil_id;
	if (alert_engine_sil_push(e, s) < 0 || (e->st && alert_store_put_silence(e->st, s) < 0)) {
		if (e->nsil && e->sil[e->nsil - 1] == s)
			e->nsil--;
		alert_moved_forget(e);
		silence_free(s);
		snprintf(err, errlen, "could not store the silence");
		return -EIO;
	}
	char target[64], detail[1024];
	snprintf(target, sizeof(target), "silence:%lld", (long long)s->id);
	selector_text(&s->match, s->rule, detail, sizeof(detail) / 2);
	size_t off = strlen(detail);
	snprintf(detail + off, sizeof(detail) - off, "%sreason=%s", off ? " " : "", s->reason);
	audit(e, now_ms, by, "silence", target, detail);
	*id = s->id;
	alert_publish_moved(e, now_ms);
	return 0;
}

int alert_engine_silence_remove(struct alert_engine *e, int64_t id, const struct alert_actor *by,
				int64_t now_ms)
{
	size_t i = 0;
	while (i < e->nsil && e->sil[i]->id != id)
		i++;
	if (i == e->nsil)
		return -ENOENT;
	struct silence *s = e->sil[i];
	memmove(&e->sil[i], &e->sil[i + 1], (e->nsil - i - 1) * sizeof(e->sil[0]));
	e->nsil--;
	alert_moved_forget(e);
	if (e->st && alert_store_end_silence(e->st, id, now_ms) < 0)
		log_warnx("alert", NULL, "could not store the end of silence %lld", (long long)id);
	char target[64];
	snprintf(target, sizeof(target), "silence:%lld", (long long)id);
	audit(e, now_ms, by, "unsilence", target, s->reason);
	silence_free(s);
	/* What the silence held back is told now. */
	for (size_t k = 0; k < e->nalerts; k++)
		if (alert_notify_sync(e, e->alerts[k], now_ms))
			alert_persist(e, e->alerts[k]);
	alert_publish_moved(e, now_ms);
	return 0;
}

int alert_engine_audit(struct alert_engine *e, const struct alert_audit_query *q,
		       bool (*fn)(void *arg, const struct alert_audit_entry *ent), void *arg)
{
	if (!e->st)
		return -ENOTSUP;
	return alert_store_read_audit(e->st, q, fn, arg);
}

int alert_engine_audit_verify(struct alert_engine *e, struct alert_audit_verdict *v)
{
	if (!e->st)
		return -ENOTSUP;
	return alert_store_verify_audit(e->st, v);
}

int alert_engine_audit_retain(struct alert_engine *e, int64_t retention_ms, int64_t now_ms)
{
	if (!e->st)
		return -ENOTSUP;
	return alert_store_audit_retain(e->st, now_ms - retention_ms, AUDIT_RETENTION_BATCH, now_ms);
}

/* ---- views --------------------------------------------------------------------- */

static void view_fill(struct alert_engine *e, struct alert *a, int64_t now_ms,
		      struct alert_view *v)
{
	struct silence *s = alert_silence_of(e, a, now_ms);
	size_t nh = a->nhist;
	*v = (struct alert_view){
		.id = a->id, .rule = a->rule_name, .device = a->device, .metric_key = a->key,
		.metric = a->m, .dev = a->dev, .state = a->state,
		.severity = SEV_OF_LVL(a->level != LVL_NONE ? a->level
				       : (nh ? LVL_OF_SEV(a->hist[nh - 1].severity) : LVL_WARN)),
		.value = a->value, .since_ms = a->since_ms, .pending_ms = a->pending_ms,
		.fired_ms = a->fired_ms, .flapping = a->flapping, .ack = &a->ack,
		.silence_id = s ? s->id : 0, .silence_reason = s ? s->reason : NULL,
		.suppressed_by = alert_suppressed_by(e, a),
		.breaks_through = alert_breaks_through(e, a, a->notified), .hist = a->hist,
		.nhist = nh,
	};
	v->time_to_impact_s = v->breaks_through ? alert_time_to_impact(e, a) : NAN;
	v->summary = a->rule ? a->rule->src->summary : NULL;
}

void alert_engine_foreach(struct alert_engine *e, int64_t now_ms,
			  bool (*fn)(void *arg, const struct alert_view *v), void *arg)
{
	for (size_t i = 0; i < e->nalerts; i++) {
		struct alert_view v;
		if (e->alerts[i]->state == ALERT_OK)
			continue;
		view_fill(e, e->alerts[i], now_ms, &v);
		if (!fn(arg, &v))
			return;
	}
}

int alert_engine_get(struct alert_engine *e, int64_t id, int64_t now_ms, struct alert_view *v)
{
	struct alert *a = alert_engine_find(e, id);
	if (!a)
		return -ENOENT;
	view_fill(e, a, now_ms, v);
	return 0;
}

void alert_engine_silences(struct alert_engine *e, int64_t now_ms,
			   bool (*fn)(void *arg, const struct alert_silence_view *v), void *arg)
{
	for (size_t i = 0; i < e->nsil; i++) {
		struct silence *s = e->sil[i];
		struct alert_silence_view v = {
			.id = s->id, .match = &s->match, .rule = s->rule, .reason = s->reason,
			.created_by = s->created_by, .tz = s->tz, .created_ms = s->created_ms,
			.starts_ms = s->starts_ms, .ends_ms = s->ends_ms, .days = s->days,
			.start_min = s->start_min, .end_min = s->end_min,
		};
		if (silence_window(s, now_ms, &v.next_start_ms, &v.next_end_ms))
			v.active = v.next_start_ms <= now_ms && now_ms < v.next_end_ms;
		if (!fn(arg, &v))
			return;
	}
}

const char *alert_engine_device_window(struct alert_engine *e, const struct cfg_device *dev,
				       int64_t now_ms)
{
	for (size_t i = 0; e && dev && i < e->nsil; i++) {
		struct silence *s = e->sil[i];
		if (!s->rule && !s->match.metric && !s->match.inst && silence_active(s, now_ms) &&
		    selector_match(&s->match, dev, dev->id, NULL, NULL))
			return s->reason;
	}
	return NULL;
}
