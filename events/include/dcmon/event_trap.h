/* SNMP notifications as event records: the composition root joins the trap receiver's
 * listener (dcmon/snmp.h) to the event store through this. */
#ifndef DCMON_EVENT_TRAP_H
#define DCMON_EVENT_TRAP_H

#include "dcmon/config.h"
#include "dcmon/event.h"
#include "dcmon/snmp.h"

/* Queues the event of a notification (kind trap: program = the known name or
 * "snmptrap", msgid = the notification OID, fields = the varbinds, device, tenant and
 * site from cfg; an unknown source is kept, flagged).  Loop thread.  Returns what
 * event_store_add returns. */
int event_store_add_trap(struct event_store *s, const struct cfg *cfg,
			 const struct snmp_trap_note *note);

#endif
