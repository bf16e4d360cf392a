/* The threshold engine: rules -> alert states -> events.
 *
 * The engine is a metric sink.  Every report is evaluated against the rules that match
 * the metric (found once per metric and cached in its sink slot); one alert exists per
 * (rule, metric) once the pair first leaves OK:
 *
 *     OK -> PENDING -> FIRING -> RESOLVED -> PENDING ...
 *
 * with severity changes while firing, flap detection, acknowledgements and silences.
 * Alert states, acks, silences, the transition history and an append-only audit log
 * are kept in SQLite (<state_dir>/alerts.db, WAL) and restored by alert_engine_new()
 * before anything is evaluated, so a restart neither forgets a firing alert nor
 * notifies it again.
 *
 * Time: the engine never reads a clock.  Reports are evaluated at the metric's own
 * timestamp (metric.ts_ms, wall-clock ms); every other call takes `now_ms`.
 * Threads: every function runs on the loop thread (the registry's thread).
 *
 * Every change of an alert is published once, as a `struct alert_event` (below), on
 * the change bus (dcmon/change.h, kind CHANGE_ALERT); the notifier, the wall and the
 * daemon's log line subscribe there and never call back into the engine.
 *
 * Daemon wiring (in this order):
 *     e = alert_engine_new(cfg, NULL, 0, cfg->daemon.state_dir, err, sizeof(err));
 *     alert_engine_set_bus(e, bus);                           // where events go
 *     alert_engine_attach_stage(e, reg);  // the daemon's pipeline hands it the reports
 *       (or alert_engine_attach(e, reg): a sink of its own, judging every report)
 *     once subscribers are in: alert_engine_publish_all(e, now);
 *     every second: alert_engine_tick(e, clock_wall_ms());
 *     SIGHUP:       alert_engine_reload(e, new_cfg, profiles, n, now);  // then free the old cfg
 *                   (or alert_engine_prepare, then alert_engine_commit or _cancel)
 *     exit:         alert_engine_free(e);                     // before metric_reg_free
 */
#ifndef DCMON_ALERT_H
#define DCMON_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/change.h"
#include "dcmon/config.h"
#include "dcmon/metric.h"

enum alert_state {
	ALERT_OK,       /* condition false (never shown) */
	ALERT_PENDING,  /* condition true for less than the rule's `for` */
	ALERT_FIRING,   /* condition true for at least `for` */
	ALERT_RESOLVED, /* was firing, condition false again */
};
const char *alert_state_name(enum alert_state s);
/* Returns 0 and sets *out, or -EINVAL. */
int alert_state_parse(const char *s, enum alert_state *out);

/* Flap detection: FLAP_CHANGES state changes within FLAP_WINDOW_MS mark an alert
 * flapping (notified once); it calms down below FLAP_CHANGES / 2 changes. */
#define ALERT_FLAP_CHANGES 6
#define ALERT_FLAP_WINDOW_MS (30 * 60 * 1000)
/* Transitions kept in memory per alert (the store keeps them all). */
#define ALERT_HIST_MAX 8

/* Default rules of one device profile: they apply to devices whose `profile` is
 * `profile`, below every config rule; a config rule of the same name overrides them.
 * The rules are referenced, not copied: keep them until the next reload or free. */
#define ALERT_PROFILE_ANY "*" /* profile name of default rules that apply to every device */
struct alert_rule_src {
	const char *profile;
	const struct cfg_rule *rules;
	size_t nrules;
};

struct cfgnode;
/* Decodes a `rules:` list (a profile's default rules) with the config's rule keys and
 * checks; errors go to d with file:line:col.  *rules (n of them) is always set and must
 * be freed with alert_rules_free(), also on error.  A NULL seq gives no rules.
 * Returns 0, -EINVAL (errors reported) or -ENOMEM. */
int alert_rules_decode(const struct cfgnode *seq, struct cfg_rule **rules, size_t *n,
		       struct cfg_diags *d);
void alert_rules_free(struct cfg_rule *rules, size_t n);

struct alert_engine;

/* Creates the engine: compiles cfg->rules and the profiles' rules, opens (creates)
 * <state_dir>/alerts.db and restores alerts, acks, silences.  state_dir NULL keeps
 * state in memory only (tests, --check-config).  cfg and profiles are referenced until
 * the next reload.  NULL with err filled on failure.  alert_engine_free(NULL) is a no-op;
 * call it before metric_reg_free. */
struct alert_engine *alert_engine_new(const struct cfg *cfg, const struct alert_rule_src *profiles,
				      size_t nprofiles, const char *state_dir, char *err,
				      size_t errlen);
void alert_engine_free(struct alert_engine *e);

/* Registers the engine as a sink of reg that judges every report (no quality stage
 * before it: tests, benchmarks).  Returns 0 or -ENOSPC. */
int alert_engine_attach(struct alert_engine *e, struct metric_reg *reg);
/* Registers the engine on reg for its per-metric slot only: the reports come from the
 * daemon's pipeline through alert_engine_report().  Returns 0 or -ENOSPC. */
int alert_engine_attach_stage(struct alert_engine *e, struct metric_reg *reg);
/* The pipeline's rule stage: judges the report of m against its rules, unless its
 * quality is bad (`bad_quality`: frozen, out of physical range, as the facility found
 * it), which neither fires nor clears an alert, now nor at the tick's `for` delays. */
void alert_engine_report(struct alert_engine *e, const struct metric *m, bool bad_quality);

/* Switches to a new config at wall time now_ms: rules recompiled, every known metric
 * re-matched.  Alerts of rules (by name) that still match keep their state, ack and
 * notification; alerts of rules gone are resolved.  Returns 0 or -ENOMEM (the old
 * rules stay then, and the old cfg must be kept, if they could not be compiled; the new
 * ones are in force, some metrics unmatched, if rebinding ran out).  The same as
 * alert_engine_prepare, then alert_engine_commit. */
int alert_engine_reload(struct alert_engine *e, const struct cfg *cfg,
			const struct alert_rule_src *profiles, size_t nprofiles, int64_t now_ms);
/* The two halves of a reload, for a daemon that may refuse it after the engine agreed:
 * prepare compiles cfg's rules and changes nothing that runs (0, or -ENOMEM, logged,
 * and nothing prepared); commit puts them in force at now_ms (0, or -ENOMEM, logged:
 * some metrics could not be rebound); cancel drops what prepare compiled.  cfg and
 * profiles must outlive the commit (the engine keeps pointers into them). */
int alert_engine_prepare(struct alert_engine *e, const struct cfg *cfg,
			 const struct alert_rule_src *profiles, size_t nprofiles);
int alert_engine_commit(struct alert_engine *e, int64_t now_ms);
void alert_engine_cancel(struct alert_engine *e);

/* Time-driven work at wall time now_ms: no-data rules, `for` delays of values that
 * stopped changing, silences starting/ending, flapping calming down.  Call about
 * every second. */
void alert_engine_tick(struct alert_engine *e, int64_t now_ms);

/* The wall clock stepped by step_ms (< 0 back; see loop_set_clock_step_fn).  Durations
 * keep counting elapsed time: `for` delays, no-data and rate windows, flapping, settle
 * holds, and one-off silences, whose start and end move by the step (stored), so a
 * silence of 2 h lasts 2 h.  Weekly windows follow the wall clock.  NULL is a no-op. */
void alert_engine_clock_stepped(struct alert_engine *e, int64_t step_ms);

/* Number of compiled rules, and of those how many matched no metric so far (for the
 * "rule matches nothing" warning once the first polls are in). */
size_t alert_engine_rule_count(const struct alert_engine *e, size_t *unmatched);
/* The baseline of metric m's first anomaly rule (dcmon/baseline.h), copied into out
 * with the rule's deviation and margin, for drawing its band, and its state: "learning
 * (N days of M)" while its history is too short, else "".  False when m has none.
 * Loop thread. */
struct baseline;
bool alert_engine_baseline(const struct alert_engine *e, const struct metric *m,
			   struct baseline *out, double *deviation, double *margin, char *state,
			   size_t statelen);
/* Logs a warning naming file:line for every rule that matched no metric yet. */
void alert_engine_warn_unmatched(const struct alert_engine *e);

/* ---- events (for notifications) ----------------------------------------------- */

/* One transition of an alert's history. */
struct alert_transition {
	int64_t ts_ms;
	enum alert_state from, to;
	enum cfg_severity severity;
	double value;
};


enum alert_event_type {
	ALERT_EV_FIRED,            /* started firing (or notified late: silence/flap over) */
	ALERT_EV_SEVERITY,         /* firing severity changed */
	ALERT_EV_RESOLVED,         /* stopped firing (only after a FIRED was sent) */
	ALERT_EV_ACKED,            /* an operator acknowledged it */
	ALERT_EV_FLAPPING,         /* started flapping; sent once, further changes held */
	ALERT_EV_CHANGED,          /* state or severity moved (every transition, silenced
				    * or not): for those that follow the alerts, not a
				    * notification */
	ALERT_EV_CURRENT,          /* the alert as it is, for subscribers that join later
				    * (alert_engine_publish_all: those restored at start) */
	ALERT_EV_UPDATED,          /* a pending or firing alert's value, silence or
				    * suppression moved without a transition: published as
				    * CHANGE_ALERT_UPDATE, for subscribers that keep a copy */
};
/* True for the types that are notifications (all but CHANGED, CURRENT and UPDATED). */
bool alert_event_notifies(enum alert_event_type t);
const char *alert_event_type_name(enum alert_event_type t);

/* Everything a message needs.  Strings are valid during the callback only. */
struct alert_event {
	enum alert_event_type type;
	int64_t ts_ms;             /* wall clock of the event */
	int64_t alert_id;
	const char *rule;          /* rule name */
	const char *summary;       /* rule summary, may be NULL */
	const char *device;
	const char *metric;        /* metric name */
	const char *inst;          /* may be NULL */
	const char *unit;          /* may be "" */
	const char *tenant;        /* device's tenant, may be NULL */
	const char *site, *room;   /* device location, may be NULL */
	const char *kind;          /* device kind name, may be NULL */
	enum alert_state state;
	enum cfg_severity severity;      /* current (for RESOLVED: the last firing one) */
	enum cfg_severity prev_severity; /* SEVERITY: the one before */
	double value;              /* value that caused the event; NAN if none */
	double warn, crit;         /* rule levels, NAN if unset or not a level rule */
	int64_t since_ms;          /* when the alert entered its state */
	int64_t fired_ms;          /* when it started firing, 0 if never */
	bool acked;                /* an ack is held */
	const char *ack_by;        /* ACKED: who; otherwise the holder or NULL */
	const char *ack_comment;
	int64_t silence_id;        /* the silence active at ts_ms, 0 if none */
	const char *silence_reason;/* NULL if none */
	const char *suppressed_by; /* device (or group) whose failure explains the alert at
				    * ts_ms (power/cooling chain), NULL if none */
	const char *breaks_through; /* the cause whose suppression this alert breaks through
				     * (its rule's breaks_through), NULL if none: then
				     * suppressed_by is NULL and it is notified on its own */
	double time_to_impact_s;   /* with breaks_through: its rule's time_to_impact metric
				    * of the device at ts_ms, NAN when unknown */
	const struct alert_transition *hist; /* the last transitions, oldest first */
	size_t nhist;
};

/* Events are published on bus (NULL: nowhere), synchronously on the loop thread, as
 * changes of kind CHANGE_ALERT (CHANGE_ALERT_UPDATE for ALERT_EV_UPDATED) whose `alert`
 * is the event; subscribers copy what they keep.  A subscriber that keeps a copy of the
 * pending and firing alerts (the notifier) takes both kinds: the copy is then the
 * engine's alert as of the last event, and before each notification the engine
 * publishes what moved in the others (a suppression the notified alert explains). */
void alert_engine_set_bus(struct alert_engine *e, struct change_bus *bus);
/* Anomaly rules read a newly bound metric's RRD history on wq (the loop's worker pool),
 * one metric at a time, instead of on the loop thread (about 1 ms each); the baseline
 * learns meanwhile.  Without it (tools, tests) the history is read at the bind.  The
 * engine must be freed after wq.  0 or -ENOMEM. */
struct workq;
int alert_engine_set_workq(struct alert_engine *e, struct workq *wq);
/* Publishes an ALERT_EV_CURRENT of every alert that is not OK (those restored at
 * start), for subscribers that joined after the engine was made. */
void alert_engine_publish_all(struct alert_engine *e, int64_t now_ms);
/* The alert event of a change of kind CHANGE_ALERT or CHANGE_ALERT_UPDATE. */
static inline const struct alert_event *alert_event_of(const struct change *c)
{
	return c->kind == CHANGE_ALERT || c->kind == CHANGE_ALERT_UPDATE ? c->alert : NULL;
}

/* ---- operators: acks and silences ------------------------------------------------ */

/* Who did it and from where, for the audit log. */
struct alert_actor {
	const char *who;    /* user name ("uid:1000" when unknown) */
	const char *origin; /* "unix:pid=123", "127.0.0.1:5678", "cli" */
	const char *tenant; /* a tenant's account: its tenant, whose audit events show the
			     * record (a login); NULL: none */
};

struct api_ctx;
/* Every alert that is not OK and ctx's actor may view, at ctx->now_ms, as GET
 * /api/v1/alerts lists them without a filter: a JSON array (new reference; NULL when out of memory), for the walls' event
 * hub, which sends it as it is (alerting/api_alerts.c). */
struct json_t *alert_list_json(const struct api_ctx *ctx);
#define API_ACTOR_MAX 160 /* bytes of an actor's "who" text */
/* Who acts on an ack or silence, for the audit log: the request's peer and origin
 * ("api" when unknown).  A non-empty `by` (from the body) that differs from a known peer
 * is kept beside it as "peer (as by)", never instead of it; without a peer, `by` is the
 * actor.  buf (len bytes) holds the text the actor points to.  (alerting/api_alerts.c,
 * for every endpoint that acts on alerts.) */
struct alert_actor api_actor(const struct api_ctx *ctx, const char *by, char *buf, size_t len);

/* Acknowledges a PENDING or FIRING alert.  The ack holds until the alert resolves or
 * its severity rises.  Returns 0, -ENOENT (no such alert) or -EINVAL (not active). */
int alert_engine_ack(struct alert_engine *e, int64_t id, const struct alert_actor *by,
		     const char *comment, int64_t now_ms);

/* A silence (maintenance window): alerts matching `match` (and `rule`, if set) send no
 * notification while it is active.  One-off: [starts_ms, ends_ms).  Recurring
 * (days != 0): on the given weekdays (bit 0 = Sunday .. bit 6 = Saturday), from
 * start_min to end_min (minutes after local midnight) in time zone `tz`; an end at or
 * before the start ends on the next day.  A recurring silence is bounded by
 * [starts_ms, ends_ms) too (ends_ms 0 = forever). */
struct alert_silence_spec {
	struct cfg_selector match; /* referenced; copied by silence_add */
	const char *rule;          /* rule name, NULL = any */
	int64_t starts_ms, ends_ms;
	unsigned days;             /* recurrence weekday mask, 0 = one-off */
	int start_min, end_min;    /* 0..1439 */
	const char *tz;            /* "Asia/Tokyo"; NULL = the process's zone */
	const char *reason;        /* required */
};

/* Adds a silence; sets *id.  Returns 0 or -EINVAL with err filled. */
int alert_engine_silence_add(struct alert_engine *e, const struct alert_silence_spec *spec,
			     const struct alert_actor *by, int64_t now_ms, int64_t *id,
			     char *err, size_t errlen);
/* Ends a silence (kept in the store as deleted).  Returns 0 or -ENOENT. */
int alert_engine_silence_remove(struct alert_engine *e, int64_t id, const struct alert_actor *by,
				int64_t now_ms);

/* ---- the audit log (read-only) --------------------------------------------------- */

/* One row of the append-only audit log (strings valid during the callback only). */
struct alert_audit_entry {
	int64_t id;         /* increasing with every entry */
	int64_t ts_ms;      /* wall clock of the action */
	const char *who;    /* user name ("uid:1000" when unknown) */
	const char *origin; /* "unix:pid=123", ... */
	const char *action; /* "ack", "silence", "unsilence", "integrity" (by dcmond) */
	const char *target; /* "alert:7", "silence:3" */
	const char *detail; /* ack comment; silence selector and reason; may be NULL */
	int64_t seq;           /* its place in the hash chain; 0 when unchained */
	const char *prev_hash; /* the chain's hashes (NULL when unchained) */
	const char *hash;
};

/* Which entries to read. */
struct alert_audit_query {
	int64_t after_id;   /* only entries with a larger id; 0 = from the start */
	const char *action; /* exact action, NULL = any */
	const char *target; /* exact target, NULL = any */
	size_t limit;       /* the newest `limit` matching entries; 0 = all */
	int64_t since_ms;   /* only entries at or after it; 0 = any */
	int64_t until_ms;   /* only entries before it; 0 = any */
};

/* Calls fn for the audit entries matching q, oldest first; stops when fn returns false.
 * Returns 0, -ENOTSUP when the engine keeps no state (state_dir NULL: no audit log),
 * or -EIO. */
int alert_engine_audit(struct alert_engine *e, const struct alert_audit_query *q,
		       bool (*fn)(void *arg, const struct alert_audit_entry *ent), void *arg);

/* What `dcmon audit verify` finds (docs/ACCOUNTS.md, "Tamper-evident audit"). */
struct alert_audit_verdict {
	int64_t checkpoint_seq;  /* in: a checkpoint from the log (0 = none) */
	char checkpoint_hash[65];
	int64_t records;         /* chained records read */
	int64_t unchained;       /* records from before the chain (not checked) */
	int64_t last_seq;
	char last_hash[65];
	bool checkpoint_hash_found;
	int64_t anchor_seq;      /* where the chain starts: the newest record retention */
	char anchor_hash[65];    /* removed (0 and the genesis when none) */
	int64_t anchor_removed_ms;
	bool bad;                /* the first bad record: */
	int64_t bad_id, bad_seq; /* its row id (0 when missing) and sequence number */
	char problem[192];       /* "edited: ...", "deleted: ...", "inserted: ...", "truncated: ..." */
};
/* The SHA-256 (hex) of one audit record's canonical content, prev_hash included
 * (docs/ACCOUNTS.md); public so that `dcmon audit verify --file` checks an export
 * offline.  0 or -ENOMEM. */
int audit_chain_hash(int64_t seq, int64_t ts_ms, const char *who, const char *origin,
		     const char *action, const char *target, const char *detail,
		     const char *prev_hash, char out[65]);

/* Checks the audit log's hash chain, against v's checkpoint and the tail written since
 * start.  0, -ENOTSUP (no state), -EIO. */
int alert_engine_audit_verify(struct alert_engine *e, struct alert_audit_verdict *v);

#define AUDIT_RETENTION_BATCH 10000 /* records one retention pass removes at most */
/* Removes the audit records older than retention_ms at now_ms, the oldest
 * AUDIT_RETENTION_BATCH at most, and keeps the newest removed one as the chain's anchor
 * (docs/ACCOUNTS.md, "Retention").  Records removed, -ENOTSUP (no state), -EAGAIN
 * (writes held: try at the next pass) or -EIO. */
int alert_engine_audit_retain(struct alert_engine *e, int64_t retention_ms, int64_t now_ms);

/* ---- suppression and settling: the engine's inputs (the daemon's pipeline), audit -- */

/* Dependency suppression is an input the engine reads and asks no one for: a map of
 * each device to the device (or redundancy group) whose failure explains its alerts
 * now.  Its keeper (the facility, which knows the power chains) writes an entry as soon
 * as that cause moves, also while the engine is publishing (a root's alert turning
 * critical is heard on the change bus: the entries of what it explains are written
 * before the engine's next look, so before it publishes or notifies anything else), and
 * the daemon's pipeline hands the map to the engine (alert_engine_suppression_input).
 * An alert so explained is "suppressed by" it: shown (alert_view.suppressed_by) but
 * held like a silenced one, so the listener hears nothing of it; once its entry is
 * gone, the next tick notifies whatever is still firing.  Every event carries it
 * (alert_event.suppressed_by), and a change of it is published (ALERT_EV_UPDATED) at
 * the tick and before any notification, so a subscriber that groups keeps the alerts
 * held under a device itself.  Loop thread only, like the engine. */
struct alert_suppression;
/* An empty map; NULL when out of memory.  alert_suppression_free(NULL) is a no-op. */
struct alert_suppression *alert_suppression_new(void);
void alert_suppression_free(struct alert_suppression *s);
/* Sets device's cause (removes its entry when cause is NULL).  Neither string is
 * copied: both must stay valid while the entry stands (the keeper's configuration).
 * 0, or -ENOMEM with the entry unchanged. */
int alert_suppression_set(struct alert_suppression *s, const char *device, const char *cause);
/* Removes every entry (before the strings they point to go). */
void alert_suppression_clear(struct alert_suppression *s);
/* device's cause, or NULL (also for a NULL map). */
const char *alert_suppression_of(const struct alert_suppression *s, const char *device);
/* Breaking through: an alert whose rule says `breaks_through: true` (it shortens the
 * time to impact of its device's cause: a UPS's runtime low while the utility is out)
 * is not held by its device's entry while it fires critical, nor once it was notified
 * as critical (its drop and recovery are told too): it is notified like any alert, and
 * its events and view name the cause in breaks_through instead of suppressed_by, with
 * the seconds its rule's `time_to_impact` metric tells.  Its other alerts stay held.
 * "utility outage: the load goes dark in 7 min" (buf of len bytes; secs NAN: without
 * the time), the words of the e-mail and the CLI. */
void alert_impact_text(const char *cause, double secs, char *buf, size_t len);
/* The engine reads suppression from s from now on (NULL: nothing is suppressed).  s must
 * outlive that: hand the engine NULL before freeing it. */
void alert_engine_suppression_input(struct alert_engine *e, const struct alert_suppression *s);
/* Devices are polled in no particular order, so a downstream device (a UPS on battery)
 * may report before the upstream one that explains it (the utility feed).  Settling
 * holds an alert's first ("fired") notification until the devices on its device's
 * chain have reported since it fired; the daemon tells the engine, as an input, what
 * it needs per device: the settle window in ms (window_ms: 0 = nothing on its chain,
 * never held) and the start of the oldest poll that still stands for its chain
 * (reported_ms: every device on it has completed a poll started at or after it;
 * INT64_MIN while one of them is polling, INT64_MAX when none is polled).  It keeps the
 * last one told per device, so tell it again whenever a poll on the chain starts or
 * ends, and after a reload.  An alert held so publishes CHANGE_SETTLE (the daemon asks
 * the devices idle since before it fired to poll now).  Held at most the window after
 * firing; once the upstream alert fires the downstream one is suppressed and never
 * notified on its own, and the root's notification lists it.  After a suppression that
 * held an alert ends, a still-firing alert waits two windows (for the cause's recovery
 * to take effect and the device to report it).  0 or -ENOMEM (the device is then never
 * held). */
int alert_engine_settle_input(struct alert_engine *e, const char *device, int64_t window_ms,
			      int64_t reported_ms);
/* Looks again at the first notifications held by settling (call when a poll ends, after
 * alert_engine_settle_input). */
void alert_engine_settle_check(struct alert_engine *e, int64_t now_ms);

/* Appends an entry to the audit log (and the log).  Returns 0, -ENOTSUP when the
 * engine keeps no state, or -EIO. */
int alert_engine_audit_add(struct alert_engine *e, const struct alert_actor *by,
			   const char *action, const char *target, const char *detail,
			   int64_t now_ms);

/* ---- reading state (API, CLI, tests) ------------------------------------------- */

struct alert_ack_info {
	bool active;
	char *by;
	char *comment;
	int64_t ts_ms;
	enum cfg_severity severity; /* severity when acked: a higher one breaks the ack */
};

/* Read-only view of one alert. */
struct alert_view {
	int64_t id;
	const char *rule, *summary, *device, *metric_key;
	const struct metric *metric;      /* NULL until the metric reports after a restart */
	const struct cfg_device *dev;     /* NULL if not in the config */
	enum alert_state state;
	enum cfg_severity severity;
	double value;
	int64_t since_ms, pending_ms, fired_ms;
	bool flapping;
	const struct alert_ack_info *ack;
	int64_t silence_id;               /* active silence, 0 if none */
	const char *silence_reason;       /* NULL if none */
	const char *suppressed_by;        /* device (or group) whose failure explains this
					   * alert (power/cooling chain), NULL if none */
	const char *breaks_through;       /* the cause whose suppression it breaks through,
					   * NULL if none (alert_event.breaks_through) */
	double time_to_impact_s;          /* with breaks_through: seconds, NAN if unknown */
	const struct alert_transition *hist; /* oldest first */
	size_t nhist;
};

/* Calls fn for every alert that is not OK, in id order, with silences evaluated at
 * now_ms.  Stops when fn returns false. */
void alert_engine_foreach(struct alert_engine *e, int64_t now_ms,
			  bool (*fn)(void *arg, const struct alert_view *v), void *arg);
/* A metric whose anomaly rule is still learning (too little history to judge: never an
 * alert then): state "learning (N days of M)".  Pointers valid during the call. */
struct alert_learning_view {
	const char *rule, *device, *metric_key;
	const struct cfg_device *dev; /* NULL if not in the config */
	const char *state;
};
/* Calls fn for every metric and anomaly rule still learning; stops when fn returns
 * false. */
void alert_engine_foreach_learning(const struct alert_engine *e,
				   bool (*fn)(void *arg, const struct alert_learning_view *v),
				   void *arg);
/* A weekly silence as alerts.db keeps it: `days` a bit per weekday (bit 0 Sunday), the
 * window from start_min to end_min (minutes of the local day in tz, NULL: dcmond's;
 * an end before the start is the next day's) within [starts_ms, ends_ms) (0: no end). */
struct alert_weekly {
	unsigned days;
	int start_min, end_min;
	const char *tz;
	int64_t starts_ms, ends_ms;
};
/* Calls fn with each window of w that ends after from and starts before to (whole, in
 * order).  Loop thread only: it switches the process's TZ, as the engine does. */
void alert_weekly_windows(const struct alert_weekly *w, int64_t from, int64_t to,
			 void (*fn)(void *arg, int64_t start_ms, int64_t end_ms), void *arg);
/* Fills *v for alert id; returns 0 or -ENOENT. */
int alert_engine_get(struct alert_engine *e, int64_t id, int64_t now_ms, struct alert_view *v);

struct alert_silence_view {
	int64_t id;
	const struct cfg_selector *match;
	const char *rule, *reason, *created_by, *tz;
	int64_t created_ms, starts_ms, ends_ms;
	unsigned days;
	int start_min, end_min;
	bool active;                 /* at now_ms */
	int64_t next_start_ms, next_end_ms; /* current or next window; 0 if none */
};
void alert_engine_silences(struct alert_engine *e, int64_t now_ms,
			   bool (*fn)(void *arg, const struct alert_silence_view *v), void *arg);
/* A window of approved work on dev at now_ms: the reason of an active silence of every
 * alert of the device (no rule, metric or instance in it: test mode, a maintenance
 * window), or NULL.  The login reconciliation of the events part asks it. */
const char *alert_engine_device_window(struct alert_engine *e, const struct cfg_device *dev,
				       int64_t now_ms);

#endif
