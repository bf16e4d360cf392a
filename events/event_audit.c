/* An audit record of the change bus as an event record (dcmon/event_alert.h). */
#include "events_int.h"

#include <stdio.h>
#include <string.h>

#include "dcmon/change.h"

#define AUDIT_TEXT_MAX 1024
#define AUDIT_SEVERITY      5 /* notice */
#define AUDIT_SEVERITY_WARN 4 /* a refusal or a failure */

/* The tenant of a record: the one its object names ("tenant:acme/rule/x",
 * "tenant:acme"), else its actor's (a tenant's user logging in), in out; "" if none. */
static void record_tenant(const struct change_audit *a, char *out, size_t len)
{
	const char *target = a->target;
	out[0] = '\0';
	if (target && strncmp(target, "tenant:", 7) == 0)
		snprintf(out, len, "%.*s", (int)strcspn(target + 7, "/"), target + 7);
	else if (a->tenant && a->tenant[0])
		snprintf(out, len, "%s", a->tenant);
}

void event_audit_store(struct event_store *store, const struct change *c)
{
	const struct change_audit *a = c->audit;
	if (!a)
		return;
	char text[AUDIT_TEXT_MAX], message[3 * AUDIT_TEXT_MAX + 1], tenant[128];
	char detail[3 * AUDIT_TEXT_MAX + 1] = "";
	bool bad = false;
	snprintf(text, sizeof(text), "%s %s by %s from %s%s%s", a->action, a->target, a->who,
		 a->origin, a->detail ? ": " : "", a->detail ? a->detail : "");
	/* names, origins and details come from requests: cleaned like a syslog line */
	utf8_clean(text, strlen(text), message, &bad);
	if (a->detail) {
		size_t n = strnlen(a->detail, AUDIT_TEXT_MAX);
		utf8_clean(a->detail, n, detail, &bad);
	}
	record_tenant(a, tenant, sizeof(tenant));
	bool warn = strstr(a->action, "fail") || strstr(a->action, "refus");
	const struct event_field fields[] = {{"audit.actor", a->who}, {"audit.action", a->action},
					     {"audit.object", a->target},
					     {"audit.origin", a->origin},
					     {"audit.detail", detail}};
	struct event ev = {.received_ms = c->ts_ms, .kind = EVENT_AUDIT, .source = "dcmond",
			   .tenant = tenant[0] ? tenant : NULL, .facility = -1,
			   .severity = warn ? AUDIT_SEVERITY_WARN : AUDIT_SEVERITY,
			   .program = a->action, .msgid = "audit", .message = message,
			   .fields = fields,
			   .nfields = sizeof(fields) / sizeof(fields[0]) - (a->detail ? 0 : 1),
			   .flags = bad ? EVENT_F_BAD_UTF8 : 0};
	event_store_add(store, &ev); /* a full queue is counted and logged by the store */
}
