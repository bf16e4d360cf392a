/* An SNMP notification as an event record. */
#include "events_int.h"

#include <stdio.h>
#include <string.h>

#include "dcmon/event_trap.h"
#include "dcmon/loop.h"
#include "dcmon/syslog.h"

#define TRAP_TEXT_MAX 2048 /* bytes of the message: name or OID, then the varbinds */

/* Severity (syslog scale) of the notifications dcmon knows by name; others: notice. */
static int trap_severity(const char *name)
{
	static const struct {
		const char *name;
		int severity;
	} sev[] = {{"on_battery", 2}, {"alarm_added", 3}, {"link_down", 3},
		   {"authentication_failure", 4}, {"alarm_removed", 5}, {"link_up", 5}};

	for (size_t i = 0; name && i < sizeof(sev) / sizeof(sev[0]); i++)
		if (strcmp(sev[i].name, name) == 0)
			return sev[i].severity;
	return 5;
}

/* The notification's name: the MIBs', dcmon's own, or none. */
static const char *trap_program(const struct snmp_trap_note *n)
{
	return n->notification ? n->notification : n->trap_name;
}

static void trap_text(const struct snmp_trap_note *n, char *buf, size_t len)
{
	size_t off = 0;
	int k = snprintf(buf, len, "%s", trap_program(n) ? trap_program(n) : n->trap_oid);

	off = k > 0 ? (size_t)k : 0;
	for (size_t i = 0; i < n->nvb && off < len; i++) {
		k = snprintf(buf + off, len - off, " %s=%s", n->vb_names[i], n->vb_values[i]);
		off += k > 0 ? (size_t)k : 0;
	}
}

int event_trap_take(const struct events_part_state *st, const struct cfg *cfg,
		    const struct snmp_trap_note *n)
{
	struct event_field fields[SNMP_TRAP_VARBINDS_MAX];
	char text[TRAP_TEXT_MAX];
	/* varbinds are bytes from the wire: cleaned like any message */
	char clean[SNMP_TRAP_VARBINDS_MAX][3 * 256 + 1], message[3 * TRAP_TEXT_MAX + 1];
	bool bad = false;

	for (size_t i = 0; i < n->nvb; i++) {
		utf8_clean(n->vb_values[i], strlen(n->vb_values[i]), clean[i], &bad);
		fields[i] = (struct event_field){n->vb_names[i], clean[i]};
	}
	trap_text(n, text, sizeof(text));
	utf8_clean(text, strlen(text), message, &bad);
	struct event ev = {.received_ms = clock_wall_ms(), .kind = EVENT_TRAP, .source = n->source,
			   .facility = -1, .severity = trap_severity(n->trap_name),
			   .program = trap_program(n) ? trap_program(n) : "snmptrap",
			   .msgid = n->trap_oid, .message = message, .fields = fields,
			   .nfields = n->nvb, .flags = bad ? EVENT_F_BAD_UTF8 : 0};
	event_set_device(&ev, cfg, n->device ? cfg_device_find(cfg, n->device) : NULL);
	syslogd_apply_rules(st->syslogd, &ev); /* the log rules that select traps */
	return event_store_add(st->store, &ev);
}
