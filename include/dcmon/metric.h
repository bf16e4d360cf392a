/* Metrics: the one data type every part shares.
 *
 * A metric is identified by (device, name, instance).  `name` is snake_case and ends
 * in its unit as Prometheus names do (`battery_runtime_seconds`, `fs_used_percent`);
 * `instance` tells apart the rows of one table (a mount point, a TCP port, a phase)
 * and is labelled by `inst_label` ("mount", "port", "line").
 *
 * The registry owns metrics and lives on the loop thread: pollers get a stable pointer
 * once (metric_reg_get) and report into it (metric_put / metric_put_error); each report
 * is handed to every sink (archive, rule engine) in registration order.
 * Data flows one way: poller -> registry -> sinks.
 */
#ifndef DCMON_METRIC_H
#define DCMON_METRIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum metric_kind {
	METRIC_GAUGE,   /* a level: value as read */
	METRIC_COUNTER, /* monotonically increasing: registry turns it into a per-second rate */
	METRIC_STATE,   /* an enumerated state or boolean (0/1); see enum names */
};

enum metric_quality {
	QUALITY_UNKNOWN, /* never reported yet */
	QUALITY_OK,      /* fresh value */
	QUALITY_STALE,   /* no report for more than METRIC_STALE_FACTOR intervals */
	QUALITY_ERROR,   /* the last poll of this point failed; see reason */
};

#define METRIC_NAME_MAX    64  /* bytes incl. NUL */
#define METRIC_INST_MAX    128 /* bytes incl. NUL */
#define METRIC_REASON_MAX  128 /* bytes incl. NUL */
#define METRIC_ENUMS_MAX   UINT16_MAX /* names of one STATE metric */
#define METRIC_STALE_FACTOR 2.5 /* intervals without a report before a value is stale */

const char *metric_kind_name(enum metric_kind k);
extern const char *const metric_kind_names[]; /* NULL-terminated, by value (enumtab.h) */
const char *metric_quality_name(enum metric_quality q);

/* One named value of a STATE metric (e.g. 5 = "battery"). */
struct metric_enum {
	int value;
	const char *name;
};

/* How a poller declares a metric.  Strings are copied by the registry. */
struct metric_desc {
	const char *name;       /* snake_case + unit suffix; see metric_name_check() */
	const char *unit;       /* "seconds", "percent", "bytes", "celsius", ... or "" */
	enum metric_kind kind;
	const char *inst_label; /* NULL when the metric has no instance */
	const char *inst;       /* NULL when the metric has no instance */
	int64_t interval_ms;    /* expected report interval (staleness, RRD step) */
	const struct metric_enum *enums; /* STATE only, may be NULL; copied */
	size_t nenums;
	int headline;           /* place in its profile's `headline:` list (1 first); 0 = none */
};

/* What every device's instance of a profile point repeats: unit, instance label, STATE
 * names, headline place.  The registry keeps one of each distinct shape (a few hundred
 * on a site of a million series) and frees them with itself; metrics point at theirs.
 * Read-only. */
struct metric_shape {
	const char *unit;       /* "seconds", ... or "" (never NULL) */
	const char *inst_label; /* NULL if none */
	const struct metric_enum *enums; /* names of STATE values, may be NULL */
	uint16_t nenums;        /* at most METRIC_ENUMS_MAX */
	int16_t headline;       /* what `dcmon status` shows first: 1, 2, ...; 0 = not */
};

/* Read-only outside core/metric.c.  The strings are the registry's: device, name and
 * shape shared by every metric with the same text.  One exists per series (a million
 * on a large site), so the fields are ordered and sized to keep it at 112 bytes, and a
 * COUNTER's raw reading is not in it (metric_raw): most series are gauges and states:
 * docs/ARCHITECTURE.md "Memory per series". */
#define METRIC_SINK_SLOTS 3

struct metric {
	/* device id, in the registry's device entry (which the registry finds from it) */
	const char *device;
	const char *name;
	const struct metric_shape *shape; /* never NULL */
	const char *key;       /* "name" or "name@inst": unique within the device */

	double value;          /* last value (rate for counters); NaN when none */
	int64_t ts_ms;         /* wall-clock ms of the last report (value or error) */
	int64_t value_ts_ms;   /* wall-clock ms of the last good value; 0 = never */
	/* why quality is ERROR/STALE, at most METRIC_REASON_MAX - 1 bytes; "" when OK
	 * (never NULL); valid until the metric's next report */
	const char *reason;
	/* what the value stands for, in words, for those who read an alert of it (the log
	 * lines a log rule counted); NULL when none; set by metric_set_note, kept across
	 * reports until the next one.  Read it with metric_note_append: with note_is_source
	 * it is made when read, by note_source (metric_set_note_source) */
	union {
		const char *note;
		struct metric_note_source *note_source;
	};

	struct metric *next_in_device; /* registry's list, in creation order */
	/* per-sink slots (e.g. archive file handle); see sinks: one per sink that keeps
	 * data per metric (archive, facility, alert engine), none for the others */
	void *sink_data[METRIC_SINK_SLOTS];

	/* expected report interval, ms; metric_reg_get bounds the desc's to
	 * [0, METRIC_INTERVAL_MAX_MS] (a negative one means none, as 0 does) */
	int32_t interval_ms;
	/* where the instance starts in key (after "name@"); 0 = none: read metric_inst() */
	uint8_t inst_at;
	enum metric_kind kind : 8;
	enum metric_quality quality : 8;
	/* ERROR that is an absence, not a fault: an object the agent does not implement, a
	 * sensor not present ("not supported by this agent", "not available"); the device's
	 * health ignores it (rules never see an ERROR as a value either) */
	bool absent : 1;
	bool note_is_source : 1; /* note_source, not note, is set */
};

#define METRIC_INTERVAL_MAX_MS INT32_MAX /* 24.8 days */

/* The metric's instance (in its key), or NULL when it has none. */
static inline const char *metric_inst(const struct metric *m)
{
	return m->inst_at ? m->key + m->inst_at : NULL;
}

struct metric_reg;

/* Called after every report.  Loop thread.  Must not keep `m` past metric_reg_drop.
 * A report carried a new value when quality is OK and value_ts_ms == ts_ms; for a
 * COUNTER, metric_raw_ts_ms(m) == ts_ms says a new raw reading arrived (even when it
 * only primed or restarted the rate, which leaves value_ts_ms behind). */
struct metric_sink {
	const char *name;
	/* May be NULL: a sink that only keeps per-metric data in its slot, and is handed
	 * the reports by someone else (the daemon's pipeline hands them to the facility,
	 * then to the alert engine, in that order). */
	void (*report)(void *arg, const struct metric *m);
	/* Called before a metric is freed (device removed); may be NULL. */
	void (*forget)(void *arg, const struct metric *m);
	/* keeps nothing per metric: takes no slot of metric.sink_data */
	bool no_slot;
};

struct metric_reg *metric_reg_new(void);
/* Frees every metric; sinks' forget() is not called.  NULL is a no-op. */
void metric_reg_free(struct metric_reg *reg);

/* Adds a sink (at most 4); returns its slot index (0..METRIC_SINK_SLOTS - 1) in
 * metric.sink_data, 0 for a sink with no_slot (which must not use it), or -ENOSPC. */
int metric_reg_add_sink(struct metric_reg *reg, const struct metric_sink *sink, void *arg);

/* Limits the metrics (series, one RRD file each) a device may have; 0 = no limit
 * (the default).  Lowering it keeps the metrics that exist. */
void metric_reg_set_series_max(struct metric_reg *reg, size_t max);

/* Finds or creates the metric.  Returns NULL with errno EINVAL for a bad name,
 * EEXIST if the key exists with another kind or unit, or ENOSPC if the device has
 * the series limit's count of metrics already (a warning is logged the first time).
 * The pointer stays valid until metric_reg_drop_device() for that device. */
struct metric *metric_reg_get(struct metric_reg *reg, const char *device,
			      const struct metric_desc *desc);

/* Looks a metric up; NULL if absent.  inst may be NULL. */
struct metric *metric_reg_find(struct metric_reg *reg, const char *device, const char *name,
			       const char *inst);

/* Reports a value read at ts_ms (wall clock).  Counters: the first reading only primes
 * the rate; a reading below the previous one (wrap or agent restart) restarts it.
 * NaN/Inf is reported as an error instead of a value. */
void metric_put(struct metric_reg *reg, struct metric *m, int64_t ts_ms, double value);
/* Reports a failed read of this point with a short reason ("timeout", "ECONNREFUSED"). */
void metric_put_error(struct metric_reg *reg, struct metric *m, int64_t ts_ms,
		      const char *reason);
/* Reports that this point has no value because it is absent, not failed (quality ERROR
 * with `absent` set): "not supported by this agent", a sensor not present. */
void metric_put_absent(struct metric_reg *reg, struct metric *m, int64_t ts_ms,
		       const char *reason);

/* Sets (a copy of) text as m's note, or clears it (NULL or "").  Not a report: no sink
 * hears of it.  Returns 0 or -ENOMEM (the note is cleared then). */
int metric_set_note(struct metric *m, const char *text);

struct strbuf;

/* A note made when it is read rather than at each report: a log rule's quoted lines
 * change with nearly every match and are read only by an alert's e-mail, so making
 * them at each report was the loop thread's largest cost at 50,000 messages/s.
 * Loop thread. */
struct metric_note_source {
	/* appends the note as it is now to b; nothing when there is none */
	void (*write)(const struct metric_note_source *s, struct strbuf *b);
	/* the metric lets go of s (another note replaces it, or the metric goes) */
	void (*release)(struct metric_note_source *s);
};

/* Makes s m's note (releasing the one before); setting the same source again is a
 * no-op.  metric_set_note replaces it (and releases it) like any note. */
void metric_set_note_source(struct metric *m, struct metric_note_source *s);

/* Appends m's note to b; returns whether it had one (b unchanged when not). */
bool metric_note_append(const struct metric *m, struct strbuf *b);

/* Tells the registry the device's current poll interval (the scheduler's, backoff
 * included): its metrics are stale only after METRIC_STALE_FACTOR of the longer of this
 * and their own interval.  No-op for a device without metrics. */
void metric_reg_set_poll_interval(struct metric_reg *reg, const char *device, int64_t interval_ms);

/* Marks as STALE every OK metric whose last report is older than
 * METRIC_STALE_FACTOR x interval at wall time now_ms.  Returns how many changed. */
size_t metric_reg_mark_stale(struct metric_reg *reg, int64_t now_ms);

/* The wall clock stepped by step_ms (< 0 back): the times of the last reports move with
 * it, so that ages (staleness, no-data rules, counter rates) stay the time elapsed.
 * Reports already handed to sinks keep their times.  Loop thread. */
void metric_reg_clock_stepped(struct metric_reg *reg, int64_t step_ms);

/* First metric of a device (creation order), or NULL; continue with next_in_device. */
struct metric *metric_reg_device_first(struct metric_reg *reg, const char *device);
/* Calls fn for every metric, devices in creation order. */
void metric_reg_foreach(struct metric_reg *reg, void (*fn)(void *arg, struct metric *m),
			void *arg);
/* Frees all metrics of a device, calling sinks' forget() first. */
void metric_reg_drop_device(struct metric_reg *reg, const char *device);
size_t metric_reg_count(const struct metric_reg *reg);
/* Reports (values and errors) received since start. */
uint64_t metric_reg_reports(const struct metric_reg *reg);
/* Of those, the good values (metric_put of a finite number): reports minus point errors. */
uint64_t metric_reg_values(const struct metric_reg *reg);

/* A COUNTER's last raw reading (NaN when none) and its wall-clock ms (0 when none);
 * NaN and 0 for a GAUGE or STATE, which keep none. */
double metric_raw(const struct metric *m);
int64_t metric_raw_ts_ms(const struct metric *m);

/* Name of a STATE value ("battery"), or NULL if the metric has no name for it. */
const char *metric_enum_name(const struct metric *m, int value);

/* Validates a metric name: [a-z][a-z0-9_]*, at most METRIC_NAME_MAX-1 bytes, and for
 * GAUGE/COUNTER a known unit suffix (see metric.c's table).  Returns true if valid;
 * otherwise writes why into err. */
bool metric_name_check(const char *name, enum metric_kind kind, char *err, size_t errlen);

/* Writes the metric's file-system-safe key into buf: name, then "@" and the instance
 * with every byte outside [A-Za-z0-9._-] written as %XX.  Returns 0 or -ENAMETOOLONG. */
int metric_file_key(const struct metric *m, char *buf, size_t len);
/* The same for a metric's name and instance (NULL for none). */
int metric_file_key_of(const char *name, const char *inst, char *buf, size_t len);

#endif
