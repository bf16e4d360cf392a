/* dcmond's own alert transitions as event records: a subscriber of the change bus
 * (kind CHANGE_ALERT) that stores each alert event in the event store, so that the
 * history of a device reads its log lines, its traps and its alerts in one search. */
#ifndef DCMON_EVENT_ALERT_H
#define DCMON_EVENT_ALERT_H

#include "dcmon/change.h"
#include "dcmon/event.h"

/* Stores every alert event published on bus from now on (all but `current`, the
 * replay of alerts already stored for late subscribers): kind alert, program = the
 * rule, msgid = the event type ("changed", "fired", "acked", ...), device, tenant and
 * site of the alert, severity critical -> crit, warning -> warning, info -> info (a
 * resolution: notice).  Returns 0 or -ENOMEM.  A NULL store subscribes nothing. */
int event_alerts_subscribe(struct change_bus *bus, struct event_store *s);
/* Before the store closes. */
void event_alerts_unsubscribe(struct change_bus *bus, struct event_store *s);

#endif
