/* How long a fired alert's first notification waits for the devices on its power or
 * cooling chain (facility_chain: fed_by, through groups and unpolled devices such as
 * racks) to report: upstream ones, so that a root cause polled a moment later still
 * suppresses it; downstream ones, so that a root's e-mail lists what it took down
 * instead of what happened to have reported yet.
 *
 * The engine decides from its own state (alert_engine_settle_input); this module tells
 * it, per device, the chain's window and the oldest poll start that stands for it,
 * whenever a poll on the chain starts or ends and after a reload, and answers the
 * engine's CHANGE_SETTLE (a held alert) by asking the devices idle since before the
 * alert fired to poll now (sched_poll_soon), so the wait is usually one round trip,
 * not one interval. */
#ifndef DCMON_CHAIN_SETTLE_H
#define DCMON_CHAIN_SETTLE_H

struct alert_engine;
struct cfg;
struct change_bus;
struct facility;
struct sched;

struct chain_settle;

/* Subscribes to CHANGE_SETTLE on bus.  NULL when out of memory. */
struct chain_settle *chain_settle_new(struct facility *f, struct sched *s,
				      struct alert_engine *e, struct change_bus *bus);
/* Unsubscribes and frees; NULL is a no-op. */
void chain_settle_free(struct chain_settle *cs);
/* Tells the engine the chain of every device of cfg (at start and after a reload, once
 * the devices are scheduled). */
void chain_settle_all(struct chain_settle *cs, const struct cfg *cfg);
/* A poll of `device` started or ended: tells the engine the chain of each device whose
 * chain holds it (chains are symmetric: X is upstream of D when D is downstream of X). */
void chain_settle_polled(struct chain_settle *cs, const char *device);

#endif
