/* The durable outbox of the MQTT publisher's alert events (docs/MQTT.md "Outbox"):
 * each event is committed to SQLite (<state_dir>/mqtt_outbox.db) before libmosquitto
 * is handed it, and removed only when the broker acknowledged it (PUBACK), so a lost
 * link, a broker restart or a dcmond restart loses nothing.  Each event gets the next
 * number of a sequence that never goes back (AUTOINCREMENT: a removed number is never
 * given again) and the outbox's incarnation, a number chosen when the file was made:
 * together they are the event's stable id, which a hub uses to apply it once. */
#ifndef DCMON_MQTT_OUTBOX_H
#define DCMON_MQTT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct mqtt_outbox;

/* Opens (or makes) the outbox at path; NULL path: in memory (nothing survives a
 * restart).  NULL with err filled when the file cannot be opened. */
struct mqtt_outbox *mqtt_outbox_open(const char *path, char *err, size_t errlen);
void mqtt_outbox_close(struct mqtt_outbox *ob);

/* The incarnation of the outbox (ms since the epoch when it was made). */
int64_t mqtt_outbox_incarnation(const struct mqtt_outbox *ob);
/* The number the next event will get. */
int64_t mqtt_outbox_next_seq(const struct mqtt_outbox *ob);
/* Commits event seq (mqtt_outbox_next_seq's) with its payload.  0, or -1 when the file
 * cannot be written (logged; the event then lives in memory only). */
int mqtt_outbox_add(struct mqtt_outbox *ob, int64_t seq, const char *payload);
/* The broker acknowledged event seq. */
void mqtt_outbox_remove(struct mqtt_outbox *ob, int64_t seq);
/* Calls fn for at most limit events numbered above after, oldest first (the payload is
 * valid during the call only).  The number of events given. */
size_t mqtt_outbox_load(struct mqtt_outbox *ob, int64_t after, size_t limit,
			void (*fn)(void *arg, int64_t seq, const char *payload), void *arg);
/* Events waiting in the outbox. */
size_t mqtt_outbox_count(struct mqtt_outbox *ob);

#endif
