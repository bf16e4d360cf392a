/* One normalized event record for everything that happens somewhere and is worth
 * keeping as a line of history: syslog messages, SNMP traps, and (fed in through the
 * change events of the alert pipeline) alert transitions and audit records; and the
 * event store that keeps them in daily SQLite partitions (FTS5) for a year or more.
 *
 * Writing: event_store_add() on the loop thread copies the record into a bounded queue
 * and returns at once; a writer thread of the store commits the queue in one
 * transaction per partition every EVENT_FLUSH_MS, drops partitions past retention and
 * keeps the directory under its size bound (docs/EVENTS.md).  A subscriber of the
 * change pipeline calls event_store_add() with its own record; nothing else is needed.
 * Searching: event_store_search() on any thread, one read-only connection per
 * partition it visits.
 */
#ifndef DCMON_EVENT_H
#define DCMON_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"

struct cfg; /* dcmon/config.h */

/* Where an event comes from (stored as its name: "syslog", "trap", ...). */
enum event_kind { EVENT_SYSLOG, EVENT_TRAP, EVENT_ALERT, EVENT_AUDIT, EVENT_KIND_COUNT };
extern const char *const event_kind_names[]; /* NULL-terminated, by value */

/* Flags of a record (a bit set, stored as an integer and named in JSON). */
#define EVENT_F_PARSE_ERROR    0x01u /* did not parse: message is the raw text */
#define EVENT_F_UNKNOWN_SOURCE 0x02u /* sender maps to no configured device */
#define EVENT_F_TRUNCATED      0x04u /* longer than the receiver's max_message */
#define EVENT_F_BAD_UTF8       0x08u /* invalid UTF-8 (or NUL) replaced by U+FFFD */
#define EVENT_F_SUPPRESSED     0x10u /* a note of messages the rate limit held back */
#define EVENT_F_FIELDS_CUT     0x20u /* more structured fields than EVENT_FIELDS_MAX */

#define EVENT_FIELDS_MAX 64 /* structured fields kept per event */

/* Syslog's severity scale (RFC 5424), used for every kind: 0 emergency .. 7 debug. */
extern const char *const event_severity_names[]; /* "emerg" .. "debug", NULL-terminated */

struct event_field {
	const char *name;  /* "origin.ip" (RFC 5424 SD-ID.PARAM-NAME), "1.3.6.1.2.1.1.3.0" */
	const char *value; /* valid UTF-8 */
};

/* The record.  Strings are borrowed (the store copies what it keeps); NULL = absent.
 * Every string is valid UTF-8 without NUL (the receivers sanitize, flagging it). */
struct event {
	int64_t received_ms;   /* wall clock when dcmond took it (partition key) */
	int64_t reported_ms;   /* the sender's own time stamp, 0 when it gave none */
	enum event_kind kind;
	const char *source;    /* sender's address ("127.0.0.1"), or "dcmond" */
	const char *host;      /* host name the sender gave (syslog HOSTNAME) */
	const char *device;    /* configured device id, NULL when unknown */
	const char *tenant;    /* the device's tenant (its own or its rack's) */
	const char *site;      /* the device's site */
	int facility;          /* syslog facility 0..23, -1 none */
	int severity;          /* 0..7 (event_severity_names), -1 unknown */
	const char *program;   /* APP-NAME / TAG, trap OID name, rule name */
	const char *msgid;     /* RFC 5424 MSGID, trap OID */
	const char *message;
	const struct event_field *fields; /* RFC 5424 SD params, trap varbinds */
	size_t nfields;
	unsigned flags;        /* EVENT_F_* */
	const char *raw;       /* the bytes as received, kept when they did not parse */
	size_t raw_len;
};

/* ---- the store's section of `daemon:` (events:) -------------------------------------- */

/* `daemon.events.alarm_reports:` the routes each summary of the event store goes to
 * (events/alarm_report.c). */
struct cfg_alarm_reports {
	char **daily;            /* routes of the day's report (the site's day before) */
	size_t ndaily;
	char **weekly;           /* routes of the week's (the ISO week before, the site's) */
	size_t nweekly;
	char **tenants;          /* "daily", "weekly": each tenant's own, in its time zone */
	size_t ntenants;
	bool tenant_daily, tenant_weekly; /* what tenants says */
	struct cfg_pos pos;
};

struct cfg_events {
	char *dir;               /* partitions; default <state_dir>/events */
	int64_t retention_ms;    /* partitions older than this go; default 400 days */
	int64_t max_mb;          /* disk bound of dir (MiB); default 10240 */
	int warn_percent;        /* warn (and metric) from this share of max_mb; default 90 */
	int queue_max;           /* events waiting for the writer; default 200000 */
	struct cfg_alarm_reports *alarm_reports; /* NULL: none mailed */
	struct cfg_pos pos;
};

extern const struct cfg_key events_cfg_keys[];
void events_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
/* The `daemon.events:` section of cfg (the events part's own section, dcmon/part.h;
 * a syslog: section brings one with defaults), or NULL when there is no event store. */
const struct cfg_events *events_cfg_of(const struct cfg *cfg);

/* ---- the store ----------------------------------------------------------------------- */

struct event_store;
struct syslogd;    /* dcmon/syslog.h */
struct change_bus; /* dcmon/change.h */

struct alarm_reporter; /* dcmon/alarm_report.h */

struct notifier; /* dcmon/notify.h */
struct alert_engine; /* dcmon/alert.h */

/* The events part's state (dcmon/part.h): the store, the alert events of the bus it
 * keeps, the syslog receiver feeding it (NULL without syslog:) and the alarm reports
 * mailed from it. */
struct events_part_state {
	struct event_store *store;
	struct change_bus *bus;
	struct syslogd *syslogd;
	struct alarm_reporter *alarms;
	struct notifier *notify; /* the alarm reports' mail (the composition root's) */
	/* the rule engine whose audit log records alarm report periods skipped (the
	 * composition root's; NULL: logged only) */
	struct alert_engine *audit;
};
struct dcmon_part;
extern const struct dcmon_part events_part; /* events/events_part.c */

#define EVENT_FLUSH_MS 200 /* the writer commits at least this often while events wait */

/* Opens (creating) the store in c->dir and starts its writer thread.  NULL with the
 * reason in err. */
struct event_store *event_store_open(const struct cfg_events *c, char *err, size_t errlen);
/* Writes everything queued and stops the writer.  NULL is a no-op. */
void event_store_close(struct event_store *s);

/* Queues a copy of ev (loop thread, or any thread: the queue has a lock).  Returns 0,
 * -ENOBUFS when queue_max events are waiting (counted, and said in one log line per
 * minute), -ENOMEM. */
int event_store_add(struct event_store *s, const struct event *ev);
/* Blocks until everything queued before the call is committed (tests, shutdown). */
void event_store_sync(struct event_store *s);

/* Counters of the store (any thread). */
struct event_store_stats {
	uint64_t written;        /* events committed */
	uint64_t dropped_queue;  /* refused by event_store_add (queue full) */
	uint64_t write_errors;   /* events lost to a failed commit */
	uint64_t partitions_expired; /* partitions removed past retention */
	uint64_t partitions_evicted; /* partitions within retention removed by max_mb */
	int64_t bytes;           /* size of the partitions at the last check */
	int used_percent;        /* of max_mb */
	bool near_bound;         /* used_percent >= warn_percent */
};
void event_store_get_stats(struct event_store *s, struct event_store_stats *st);

struct metric_reg;
/* Reports the store's state as metrics of the device `dcmond` (loop thread, every
 * tick): events_store_used_percent, events_store_state (ok / near_bound, from
 * warn_percent), events_evicted_count (partitions within retention removed by max_mb
 * since start), events_refused_count (queue full, failed commits).  s NULL: nothing. */
void event_store_report(struct event_store *s, struct metric_reg *reg, int64_t now_ms);

/* A search: every condition is optional (0 / NULL = any). */
struct event_query {
	int64_t from_ms, to_ms;     /* received time, [from, to) */
	const char *device;         /* exact device id */
	const char *tenant;
	const char *site;
	const char *source;         /* sender address */
	const char *program;
	int kind;                   /* enum event_kind, -1 any */
	int severity_max;           /* this severity or worse (numerically lower), -1 any */
	const char *text;           /* words that must all occur in the message (FTS5) */
	unsigned flags_any;         /* at least one of these flags */
	bool ascending;             /* oldest first (follow); default newest first */
	int64_t cursor_ms;          /* page: after (asc) / before (desc) the event cursor_id */
	int64_t cursor_id;          /* of the partition of cursor_ms's day; 0 = no cursor */
	size_t limit;               /* rows; 0 = 100 */
	/* a scoped reader's (a tenant's or a site's account): only events of the devices
	 * of scope_devices (a JSON array of ids) and those of no device whose tenant is
	 * scope_tenant (NULL: none), in the query so that a page is filled with them */
	bool scoped;
	const char *scope_devices;
	const char *scope_tenant;
};

/* A found row: ev's strings are valid only during the callback.  id is the event's
 * id in its partition (with received_ms it is the paging cursor).  Return false to
 * stop. */
typedef bool (*event_row_fn)(void *arg, int64_t id, const struct event *ev);

/* Runs q over the partitions its time range touches, newest (or oldest) first, each
 * in the order its events were stored, until limit rows.  Returns the number of rows, or a negative errno with the reason in err
 * (-EINVAL: a bad text query). */
int event_store_search(struct event_store *s, const struct event_query *q, event_row_fn fn,
		       void *arg, char *err, size_t errlen);

/* The directory-level search without an open store (the store's own search uses it;
 * a reader process may too). */
int event_dir_search(const char *dir, const struct event_query *q, event_row_fn fn, void *arg,
		     char *err, size_t errlen);

#endif
