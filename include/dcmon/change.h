/* The change bus: how a change leaves the pipeline.
 *
 * For each report the daemon runs one fixed pipeline (docs/ARCHITECTURE.md, "The flow
 * of a sample"): the registry takes the value, the facility attaches quality and
 * suppression, the rule engine decides, and each resulting change is published here
 * once, as an immutable event, to every subscriber of its kind: the notifier, the
 * wall's event hub, the daemon's alert log line, and whatever subscribes next (an MQTT
 * publisher, an event store).
 *
 * A subscriber gets the event and nothing else: no handle of the engine, the facility
 * or the registry comes with it, so it cannot call back into the pipeline; it copies
 * what it keeps (strings and pointers are valid during the call only) and must not
 * publish from its callback.  Subscribers are called in the order they subscribed,
 * and nothing may depend on that order: each sees the same event.
 *
 * Threads: loop thread only, like the registry.
 *
 *     bus = change_bus_new();
 *     change_subscribe(bus, CHANGE_MASK(CHANGE_ALERT), on_change, arg);
 *     change_publish(bus, &(struct change){.kind = CHANGE_ALERT, ...});   // publisher
 *     change_unsubscribe(bus, on_change, arg);  // before arg goes away
 *     change_bus_free(bus);
 */
#ifndef DCMON_CHANGE_H
#define DCMON_CHANGE_H

#include <stdbool.h>
#include <stdint.h>

struct metric;
struct dev_status;

enum change_kind {
	CHANGE_METRIC, /* a metric reported (value, error or stale): `metric` */
	CHANGE_DEVICE, /* a device's poll ended: its state and poll times may have moved */
	CHANGE_ALERT,  /* an alert changed or was notified: `alert` */
	CHANGE_CONFIG, /* the configuration was reloaded: devices and sites may differ */
	CHANGE_ALERT_UPDATE, /* a pending or firing alert's value, silence or suppression
			      * moved without a transition: `alert`, for subscribers that
			      * keep a copy of the alerts */
	CHANGE_SETTLE, /* an alert of `device` holds its first notification until the devices
			* on its chain have reported a poll started at or after `since_ms`:
			* those idle since before are asked to poll now (the daemon) */
	CHANGE_AUDIT,  /* a record was written to the audit log: `audit` */
	CHANGE_KINDS
};
#define CHANGE_MASK(kind) (1u << (kind))
#define CHANGE_ALL ((1u << CHANGE_KINDS) - 1)

/* CHANGE_AUDIT: one record of the audit log as it was written (who did what to which
 * object), for subscribers that keep it elsewhere too (the event store). */
struct change_audit {
	const char *who;    /* the actor's name, "dcmond" for the daemon itself */
	const char *origin; /* "unix:pid=123", "http:127.0.0.1:5678" */
	const char *action; /* "login", "ack", "tenant-apply", ... */
	const char *target; /* the object: "user:bob", "alert:12", "tenant:acme/rule/x" */
	const char *detail; /* may be NULL */
	const char *tenant; /* the actor's tenant (a tenant's account), when the object names
			     * none; may be NULL */
};

/* One change; immutable, valid during the callback only. */
struct change {
	enum change_kind kind;
	int64_t ts_ms;               /* wall clock of the change */
	const char *device;          /* the device it is about; NULL for CHANGE_CONFIG */
	const struct metric *metric; /* CHANGE_METRIC: the metric after the report */
	const void *alert;           /* CHANGE_ALERT(_UPDATE): a `struct alert_event` (dcmon/alert.h),
				      * the one shape of an alert across parts */
	int64_t since_ms;            /* CHANGE_SETTLE: when the alert fired */
	const struct change_audit *audit; /* CHANGE_AUDIT */
	const struct dev_status *status;  /* CHANGE_DEVICE: the device's state after the poll
					   * (dcmon/api.h; unreachable, degraded...), or NULL */
};

typedef void (*change_fn)(void *arg, const struct change *c);

struct change_bus;

/* NULL when out of memory.  change_bus_free(NULL) is a no-op. */
struct change_bus *change_bus_new(void);
void change_bus_free(struct change_bus *bus);

/* Calls fn(arg, change) for every published change whose kind is in `kinds` (a mask of
 * CHANGE_MASK()s).  Returns 0 or -ENOMEM.  A NULL bus is a no-op (a part used alone). */
int change_subscribe(struct change_bus *bus, unsigned kinds, change_fn fn, void *arg);
/* Ends the subscription of (fn, arg); no-op if there is none. */
void change_unsubscribe(struct change_bus *bus, change_fn fn, void *arg);

/* Hands c to each subscriber of its kind.  A NULL bus is a no-op. */
void change_publish(struct change_bus *bus, const struct change *c);
/* True if some subscriber takes changes of `kind` (a publisher skips building one
 * nobody takes).  False for a NULL bus. */
bool change_wanted(const struct change_bus *bus, enum change_kind kind);

#endif
