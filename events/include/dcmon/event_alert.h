/* dcmond's own alert transitions and audit records as event records: subscribers of
 * the change bus (kinds CHANGE_ALERT, CHANGE_AUDIT) that store each in the event store,
 * so that the history of a device reads its log lines, its traps and its alerts in one
 * search, and who did what is searched beside what happened. */
#ifndef DCMON_EVENT_ALERT_H
#define DCMON_EVENT_ALERT_H

#include "dcmon/change.h"
#include "dcmon/event.h"

/* Stores every alert event and audit record published on bus from now on.
 *
 * An alert event (all but `current`, the replay of alerts already stored for late
 * subscribers): kind alert, program = the rule, msgid = the event type ("changed",
 * "fired", "acked", ...), device, tenant and site of the alert, severity critical ->
 * crit, warning -> warning, info -> info (a resolution: notice).
 *
 * An audit record (CHANGE_AUDIT): kind audit, source "dcmond", program = the action,
 * msgid "audit", the actor, action, object (target), origin and detail as fields
 * `audit.actor`, `audit.action`, `audit.object`, `audit.origin`, `audit.detail`, the
 * message "ACTION OBJECT by ACTOR from ORIGIN: DETAIL"; tenant = the tenant an object
 * "tenant:T/..." or "tenant:T" names.  Severity notice, warning for a refusal or a
 * failure (an action naming "fail" or "refus").
 *
 * Returns 0 or -ENOMEM.  A NULL store subscribes nothing. */
int event_alerts_subscribe(struct change_bus *bus, struct event_store *s);
/* Before the store closes. */
void event_alerts_unsubscribe(struct change_bus *bus, struct event_store *s);

#endif
