/* The MQTT publisher: a subscriber of the change bus that sends dcmond's changes on
 * the ingest client's connection (docs/MQTT.md "Publish").  Loop thread only.
 *
 * The client owns the connection and tells the publisher about it: the last will goes
 * on the client before it connects, link(true) when the broker accepted it, link(false)
 * when it is lost, flush() whenever libmosquitto has written what it held, acked() for
 * every PUBACK.  The publisher never blocks: it queues, and hands libmosquitto only what
 * the socket takes now. */
#ifndef DCMON_MQTT_PUBLISH_H
#define DCMON_MQTT_PUBLISH_H

#include <mosquitto.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/mqtt.h"
#include "dcmon/poller.h"

struct mqtt_pub;

/* Subscribes to bus; sets mosq's last will (the availability topic says "offline");
 * opens the events' outbox (<state_dir>/mqtt_outbox.db) and queues what it holds.
 * node is the events' origin.  sync(arg) is called after the publisher handed
 * libmosquitto messages, so that the client watches its socket for writing.  NULL with
 * err filled when out of memory or the outbox cannot be opened. */
struct mqtt_pub *mqtt_pub_new(const struct poller_env *env, const struct cfg_mqtt_publish *pc,
			      struct change_bus *bus, struct mosquitto *mosq, const char *node,
			      void (*sync)(void *arg), void *arg, char *err, size_t errlen);
/* The config reloaded with an equal publish: section (pointers into the new config). */
void mqtt_pub_reconfig(struct mqtt_pub *p, const struct cfg_mqtt_publish *pc);
/* The connection is up (says "online" and sends what waited) or lost. */
void mqtt_pub_link(struct mqtt_pub *p, bool up);
/* Hands libmosquitto what waits, as far as the socket takes it now. */
void mqtt_pub_flush(struct mqtt_pub *p);
/* The broker acknowledged message mid. */
void mqtt_pub_acked(struct mqtt_pub *p, int mid);
/* Messages of QoS 1 wait for their acknowledgement (false for NULL). */
bool mqtt_pub_awaits_acks(const struct mqtt_pub *p);
/* More alert events wait than the window handed to libmosquitto holds (a replay after a
 * cut, a storm): each ack lets the next go (false for NULL). */
bool mqtt_pub_backlog(const struct mqtt_pub *p);
/* Before a clean disconnect: the availability topic says "offline" (the broker sends no
 * last will then). */
void mqtt_pub_goodbye(struct mqtt_pub *p);
/* What waits (events: in the outbox) and what was dropped since start. */
struct mqtt_pub_stats {
	size_t values_queued, events_queued;
	uint64_t values_dropped, events_dropped;
};
void mqtt_pub_stats(const struct mqtt_pub *p, struct mqtt_pub_stats *st);
/* Unsubscribes and frees what still waits (the events stay in the outbox); NULL is a
 * no-op. */
void mqtt_pub_free(struct mqtt_pub *p);

#endif
