/* Private header of the events part: the syslog parsers and the TCP framer (pure
 * functions over bounded buffers, fuzzed by tests/fuzz), the source-to-device map and
 * the store's partition helpers. */
#ifndef DCMON_EVENTS_INT_H
#define DCMON_EVENTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "dcmon/config.h"
#include "dcmon/event.h"

/* ---- parsing (syslog_parse.c) ------------------------------------------------------- */

/* Bytes of scratch space syslog_parse needs for an input of len bytes: every string it
 * returns is a NUL-terminated, UTF-8-clean copy in it (an invalid byte becomes the
 * 3-byte U+FFFD). */
#define SYSLOG_SCRATCH(len) (3 * (size_t)(len) + 512)

struct syslog_msg {
	int facility, severity;  /* -1 when the PRI is missing or invalid */
	int version;             /* 1: RFC 5424; 0: RFC 3164 (or unparsed) */
	int64_t reported_ms;     /* the message's own time stamp, 0 if none */
	const char *host, *app, *procid, *msgid; /* NULL for absent / "-" */
	const char *msg;         /* never NULL */
	struct event_field fields[EVENT_FIELDS_MAX]; /* RFC 5424 SD: "SD-ID.PARAM" = value */
	size_t nfields;
	unsigned flags;          /* EVENT_F_PARSE_ERROR, _BAD_UTF8, _FIELDS_CUT */
};

/* Parses one message (no framing) of len bytes.  now_ms (wall clock) supplies the
 * year of an RFC 3164 time stamp.  Never fails: what does not parse is returned as
 * msg (the whole input, cleaned) with EVENT_F_PARSE_ERROR.  scratch must hold
 * SYSLOG_SCRATCH(len) bytes and outlives out. */
void syslog_parse(const char *in, size_t len, int64_t now_ms, struct syslog_msg *out,
		  char *scratch, size_t scratch_len);

/* Copies len bytes of in to out as valid UTF-8 without NUL (each invalid byte or NUL
 * becomes U+FFFD) and NUL-terminates it; out holds 3 * len + 1 bytes.  Returns the
 * length written; *bad is set when something was replaced. */
size_t utf8_clean(const char *in, size_t len, char *out, bool *bad);

/* ---- TCP framing (syslog_frame.c) --------------------------------------------------- */

/* RFC 6587 on a byte stream: a frame starting with a digit is octet-counted
 * ("LEN SP MSG"), anything else ends at LF (a trailing CR is cut).  A frame longer
 * than max is cut to max bytes (flag EVENT_F_TRUNCATED) and its rest skipped, so the
 * buffer never holds more than max + 16 bytes. */
struct syslog_framer {
	char *buf;           /* the bytes held: head bytes into the allocation */
	size_t len, cap;     /* bytes held, allocated (grows to max + 16) */
	size_t head;         /* bytes of frames taken, moved out once a read is drained */
	size_t max;          /* bytes of one message */
	size_t skip;         /* octets of a cut octet-counted frame still to skip */
	bool skip_to_lf;     /* a cut LF frame: skip up to the next LF */
};

/* One complete frame (not NUL-terminated), flags EVENT_F_TRUNCATED or 0. */
typedef void (*syslog_frame_fn)(void *arg, const char *msg, size_t len, unsigned flags);

void syslog_framer_init(struct syslog_framer *f, size_t max);
void syslog_framer_release(struct syslog_framer *f);
/* Feeds n bytes; calls fn for every frame they complete.  Returns 0 or -ENOMEM. */
int syslog_framer_feed(struct syslog_framer *f, const char *data, size_t n, syslog_frame_fn fn,
		       void *arg);
/* At end of stream: a partial frame still held is delivered, flagged truncated. */
void syslog_framer_finish(struct syslog_framer *f, syslog_frame_fn fn, void *arg);

/* ---- sources to devices (event_devmap.c) ------------------------------------------- */

/* Device ids, hosts and SNMP hosts of a config, hashed, for the receivers. */
struct event_devmap;
struct event_devmap *event_devmap_new(const struct cfg *cfg);
void event_devmap_free(struct event_devmap *m);
/* The device whose id, host or snmp host is key, or NULL. */
const struct cfg_device *event_devmap_find(const struct event_devmap *m, const char *key);
/* Fills ev's device, tenant and site from dev (NULL: flags EVENT_F_UNKNOWN_SOURCE). */
void event_set_device(struct event *ev, const struct cfg *cfg, const struct cfg_device *dev);

/* ---- the record (event.c) ------------------------------------------------------------ */

extern const char *const event_flag_names[]; /* by bit of EVENT_F_*, NULL-terminated */
/* The JSON object of an event (id: its id in its partition); NULL when out of memory. */
json_t *event_json(int64_t id, const struct event *ev);

/* ---- audit records (event_audit.c) -------------------------------------------------- */

struct change;
/* Stores the audit record of c (a CHANGE_AUDIT) as an event (dcmon/event_alert.h). */
void event_audit_store(struct event_store *store, const struct change *c);

/* ---- API (api_events.c) ------------------------------------------------------------- */

struct api_ctx;
struct api_response;
void api_get_event_search(const struct api_ctx *ctx, struct api_response *resp);

/* ---- config (events_cfg.c) ---------------------------------------------------------- */

/* Gives *cp (the `events:` section) defaults when absent and wanted (a syslog: section
 * is there), and its directory: dir of the config for a relative one, else
 * <state_dir>/events. */
void events_cfg_resolve(struct cfg_events **cp, bool wanted, const char *state_dir,
			const char *dir);

/* ---- partitions (event_part.c) ------------------------------------------------------ */

#define EVENT_DAY_MS 86400000LL

/* "events-20260105.db": the partition file name of the UTC day of t_ms. */
void event_part_name(int64_t t_ms, char *buf, size_t len);
/* The day (ms at 00:00 UTC) a partition file name stands for, or -1. */
int64_t event_part_day(const char *name);

/* Partitions of dir, sorted by day (oldest first). */
struct event_part {
	int64_t day_ms;
	int64_t bytes;   /* the file with its -wal and -shm */
	char name[40];
};
/* Lists dir's partitions into *out (malloc'd, caller frees).  Returns the count or a
 * negative errno. */
int event_parts_list(const char *dir, struct event_part **out);

/* A partition's metadata, table ev_meta: "rx_ordered" is 1 while its events were
 * written in received-time order (ids then bound a time range: event_search.c), 0 once
 * the clock stepped back or for a partition older than the table. */
#define EVENT_META_ORDERED "SELECT value FROM ev_meta WHERE key = 'rx_ordered'"
/* Its "layout": how a device's events are found.  EVENT_LAYOUT_DEVICE_INDEX (a
 * partition without the key, written before it existed): the index ev_device on
 * (device, rx) and an FTS5 table of the message alone; EVENT_LAYOUT_DEVICE_FTS: the
 * device's tokens in a second column of the FTS5 table, no ev_device (an index taking
 * rows at one place per device cost the writer about a third of its time). */
#define EVENT_META_LAYOUT "SELECT value FROM ev_meta WHERE key = 'layout'"
enum { EVENT_LAYOUT_DEVICE_INDEX = 1, EVENT_LAYOUT_DEVICE_FTS = 2 };
struct sqlite3;
/* The layout of the partition open on db (EVENT_LAYOUT_*). */
int event_part_layout(struct sqlite3 *db);
/* The first column of sql's first row on db (its one ?, if any, bound to arg) into
 * *out: 1, 0 when there is no row, -1 on error. */
int event_db_int(struct sqlite3 *db, const char *sql, int64_t arg, int64_t *out);

#endif
