/* A durable outbox of alert events, for a part that sends them to a peer that
 * acknowledges them: the MQTT publisher (docs/MQTT.md "Outbox", <state_dir>/
 * mqtt_outbox.db) and the northbound SNMP informs (docs/SNMP_NORTHBOUND.md,
 * <state_dir>/snmp_outbox.db).  Each event is committed to SQLite before it is handed
 * to the peer, and removed only when the peer acknowledged it (a PUBACK, an inform's
 * response), so a lost link, a peer's restart or a dcmond restart loses nothing.
 * Each event gets the next number of a sequence that never goes back (AUTOINCREMENT: a
 * removed number is never given again) and the outbox's incarnation, a number chosen
 * when the file was made: together they are the event's stable id, which a hub uses to
 * apply it once. */
#ifndef DCMON_OUTBOX_H
#define DCMON_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

struct outbox;

/* Opens (or makes) the outbox at path; NULL path: in memory (nothing survives a
 * restart).  tag (static) names the owner in log lines and errors: "mqtt".  NULL with
 * err filled when the file cannot be opened.  Loop thread (one thread at a time). */
struct outbox *outbox_open(const char *path, const char *tag, char *err, size_t errlen);
void outbox_close(struct outbox *ob);

/* The incarnation of the outbox (ms since the epoch when it was made). */
int64_t outbox_incarnation(const struct outbox *ob);
/* The number the next event will get. */
int64_t outbox_next_seq(const struct outbox *ob);
/* Commits event seq (outbox_next_seq's) with its payload.  0, or -1 when the file
 * cannot be written (logged; the event then lives in memory only). */
int outbox_add(struct outbox *ob, int64_t seq, const char *payload);
/* The broker acknowledged event seq. */
void outbox_remove(struct outbox *ob, int64_t seq);
/* Calls fn for at most limit events numbered above after, oldest first (the payload is
 * valid during the call only).  The number of events given. */
size_t outbox_load(struct outbox *ob, int64_t after, size_t limit,
			void (*fn)(void *arg, int64_t seq, const char *payload), void *arg);
/* Events waiting in the outbox. */
size_t outbox_count(struct outbox *ob);

#endif
