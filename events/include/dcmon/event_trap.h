/* SNMP notifications as event records: the composition root joins the trap receiver's
 * listener (dcmon/snmp.h) to the event store through this. */
#ifndef DCMON_EVENT_TRAP_H
#define DCMON_EVENT_TRAP_H

#include "dcmon/config.h"
#include "dcmon/event.h"
#include "dcmon/snmp.h"

/* Queues the event of a notification in st's store (kind trap: program = its MIB
 * name, else dcmon's name of a known one, else "snmptrap"; msgid = the notification
 * OID; fields = the varbinds as the MIBs name them; device, tenant and site from cfg;
 * an unknown source is kept, flagged) and counts it for the log rules of st's syslog
 * receiver that select it.  Loop thread.  Returns what event_store_add returns. */
int event_trap_take(const struct events_part_state *st, const struct cfg *cfg,
		    const struct snmp_trap_note *note);

#endif
