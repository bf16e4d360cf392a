/* An alert event of the change bus as an event record. */
#include "events_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/event_alert.h"

#define ALERT_TEXT_MAX 1024

/* The alert's severity on syslog's scale; a resolution or an OK state is a notice. */
static int alert_syslog_severity(const struct alert_event *a)
{
	static const int of_sev[] = {[SEV_INFO] = 6, [SEV_WARNING] = 4, [SEV_CRITICAL] = 2};
	if (a->state == ALERT_RESOLVED || a->state == ALERT_OK)
		return 5;
	return (unsigned)a->severity <= SEV_CRITICAL ? of_sev[a->severity] : 5;
}

/* "high-temp: temp_c{inlet} firing critical (value 41.5 C)"; an ack adds its author
 * and comment. */
static void alert_text(const struct alert_event *a, char *buf, size_t len)
{
	char value[64] = "";
	if (!isnan(a->value))
		snprintf(value, sizeof(value), " (value %g%s%s)", a->value,
			 a->unit && *a->unit ? " " : "", a->unit ? a->unit : "");
	int n = snprintf(buf, len, "%s: %s%s%s%s %s %s%s", a->summary ? a->summary : a->rule,
			 a->metric, a->inst ? "{" : "", a->inst ? a->inst : "", a->inst ? "}" : "",
			 a->type == ALERT_EV_CHANGED ? alert_state_name(a->state)
						     : alert_event_type_name(a->type),
			 cfg_severity_name(a->severity), value);
	if (a->type == ALERT_EV_ACKED && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " by %s%s%s", a->ack_by ? a->ack_by : "?",
			 a->ack_comment ? ": " : "", a->ack_comment ? a->ack_comment : "");
}

static void on_change(void *arg, const struct change *c)
{
	if (c->kind == CHANGE_AUDIT) {
		event_audit_store(arg, c);
		return;
	}
	const struct alert_event *a = alert_event_of(c);
	if (!a || a->type == ALERT_EV_CURRENT)
		return;
	char id[32], text[ALERT_TEXT_MAX], message[3 * ALERT_TEXT_MAX + 1];
	bool bad = false;
	snprintf(id, sizeof(id), "%lld", (long long)a->alert_id);
	alert_text(a, text, sizeof(text));
	utf8_clean(text, strlen(text), message, &bad); /* ack comments come from operators */
	const struct event_field fields[] = {{"alert.id", id},
					     {"alert.state", alert_state_name(a->state)},
					     {"alert.metric", a->metric}};
	struct event ev = {.received_ms = a->ts_ms, .kind = EVENT_ALERT, .source = "dcmond",
			   .device = a->device, .tenant = a->tenant, .site = a->site,
			   .facility = -1, .severity = alert_syslog_severity(a),
			   .program = a->rule, .msgid = alert_event_type_name(a->type),
			   .message = message, .fields = fields,
			   .nfields = sizeof(fields) / sizeof(fields[0]),
			   .flags = bad ? EVENT_F_BAD_UTF8 : 0};
	event_store_add(arg, &ev); /* a full queue is counted and logged by the store */
}

int event_alerts_subscribe(struct change_bus *bus, struct event_store *s)
{
	return s ? change_subscribe(bus, CHANGE_MASK(CHANGE_ALERT) | CHANGE_MASK(CHANGE_AUDIT),
				    on_change, s) : 0;
}

void event_alerts_unsubscribe(struct change_bus *bus, struct event_store *s)
{
	if (s)
		change_unsubscribe(bus, on_change, s);
}
