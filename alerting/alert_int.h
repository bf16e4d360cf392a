/* Private to alerting/: compiled rules, per-metric bindings, alerts, silences, store. */
#ifndef DCMON_ALERT_INT_H
#define DCMON_ALERT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/alert.h"
#include "dcmon/baseline.h"
#include "dcmon/log.h"
#include "dcmon/smap.h"
#include "dcmon/state_db.h"
#include "dcmon/state_health.h"
#include "dcmon/tz.h"

/* ---- levels: what a condition says about one value ---------------------------- */

enum alvl {
	LVL_NONE = 0, /* condition false */
	LVL_INFO,     /* = SEV_INFO + 1 */
	LVL_WARN,
	LVL_CRIT,
	LVL_UNKNOWN,  /* no usable value: hold the current state */
};
#define LVL_OF_SEV(s) ((enum alvl)((int)(s) + 1))
#define SEV_OF_LVL(l) ((enum cfg_severity)((int)(l) - 1))

/* ---- compiled rules --------------------------------------------------------------- */

/* Specificity: which selector key a rule is most specific by.  A rule of the same name
 * and a higher rank overrides a lower one for the metrics both match. */
enum arule_rank {
	RANK_PROFILE = 0, /* profile default */
	RANK_GLOBAL,
	RANK_KIND,
	RANK_SITE,
	RANK_ROOM,
	RANK_TENANT,
	RANK_DEVICE,
};

struct arule {
	const struct cfg_rule *src; /* strings and selector referenced from the config */
	const char *profile;        /* profile defaults: applies to devices of this profile */
	enum arule_rank rank;
	uint32_t order;             /* position in the rule set; later wins a tie */
	uint32_t name_id;           /* same name = same id */
	bool up;                    /* fires above the levels (ABOVE, rising RATE) */
	/* Levels in the metric's unit (RATE: per second); NAN = unset.  Clear levels are
	 * resolved: NAN clear = the level. */
	double warn, crit, clear_warn, clear_crit;
	int *nums;                  /* STATE: values given as numbers */
	size_t nnums;
	const char **names;         /* STATE: values given as names (referenced) */
	size_t nnames;
	uint64_t matched;           /* metrics bound to this rule */
};

struct ruleset {
	struct arule *rules;
	size_t n;
	struct smap by_metric;      /* literal metric name -> struct rvec * */
	struct smap by_device;      /* literal device id (no metric literal) -> struct rvec * */
	struct rvec *generic;       /* every other rule */
	struct smap devices;        /* device id -> const struct cfg_device * */
	uint32_t nnames;
};

/* A growable list of rule indices. */
struct rvec {
	uint32_t *v;
	size_t n, cap;
};

/* Compiles cfg->rules and the profiles' rules.  Returns NULL with err filled. */
struct ruleset *ruleset_new(const struct cfg *cfg, const struct alert_rule_src *profiles,
			    size_t nprofiles, char *err, size_t errlen);
void ruleset_free(struct ruleset *rs);

/* True if sel matches the metric of device dev (NULL: not in the config). */
bool selector_match(const struct cfg_selector *sel, const struct cfg_device *dev,
		    const char *device, const char *metric, const char *inst);
/* True if sel is a plain string (no glob characters). */
bool glob_is_literal(const char *s);

/* A growable list of rule pointers (scratch space of ruleset_match). */
struct rptrs {
	const struct arule **v;
	size_t n, cap;
};
/* Sets out to the rules applying to metric m of device dev after precedence (one rule
 * per name: the highest rank, then the latest).  Returns 0 or -ENOMEM. */
int ruleset_match(const struct ruleset *rs, const struct cfg_device *dev,
		  const struct metric *m, struct rptrs *out);

/* ---- conditions ----------------------------------------------------------------- */

/* Samples kept per (RATE rule, metric): one every window/RATE_SLOTS at most. */
#define RATE_SLOTS 32
struct rate_buf {
	int64_t ts[RATE_SLOTS]; /* wall ms */
	double v[RATE_SLOTS];
	uint8_t head, n;         /* ring: oldest at (head - n) */
};

/* Level of rule r for metric m at time now_ms given the current level cur (for
 * hysteresis).  rb: RATE only (a sample is added).  bound_ms: when the metric was first
 * seen (NODATA of a metric that never had a value).  *val: the value judged (RATE: the
 * rate in the unit of the levels).  reg: where `warn_from`/`crit_from` levels are read
 * (NULL: the rule's own levels).  Returns LVL_UNKNOWN when the value is unusable. */
enum alvl rule_eval(const struct arule *r, struct metric_reg *reg, const struct metric *m,
		    enum alvl cur, struct rate_buf *rb, int64_t now_ms, int64_t bound_ms,
		    double *val);
/* anomaly_eval's rarer steps (rule_eval.c), out of its inline path: the hour's slot
 * taken into h (and whether the history suffices, once an hour); whether it suffices
 * after base's days moved; the metric's note set for a value outside or cleared. */
void anomaly_take(const struct arule *r, struct baseline *base, struct baseline_hot *h,
		  int64_t ts_ms);
void anomaly_days_moved(const struct arule *r, const struct baseline *base,
			struct baseline_hot *h);
void anomaly_note(const struct arule *r, struct baseline_hot *h, const struct metric *m,
		  bool outside);
/* Level of ANOMALY rule r for m against its baseline (NULL: unknown) through h, the
 * caller's copy of the hour judged (the engine's slot; zeroed at first); learn: the
 * value is new and, when inside the band (or still learning), joins the baseline.  A
 * metric with less history than the rule's `learn` is never judged (LVL_NONE).
 * Inline: at 100,000 metrics the engine waits on memory at every value, and each
 * instruction between two metrics' loads delays the next (a call, its saved registers). */
static inline enum alvl anomaly_eval(const struct arule *r, const struct metric *m,
				     struct baseline *base, struct baseline_hot *h, bool learn,
				     double *val)
{
	const struct cfg_rule *c = r->src;
	double v = m->value;
	*val = v;
	if (!base || m->quality != QUALITY_OK || !isfinite(v))
		return LVL_UNKNOWN;
	int64_t ts_ms = m->value_ts_ms;
	/* the hour's slot and whether the history suffices are held beside the rule (the
	 * engine's slot): base's own 2 KB are touched once an hour, not at each value */
	if (!baseline_hot_holds(h, ts_ms))
		anomaly_take(r, base, h, ts_ms);
	bool outside = h->learned && baseline_hot_outside(h, v, c->deviation, c->margin,
							   (enum baseline_dir)c->direction);
	/* an unusual value stays out of the model, or a lasting fault would become normal */
	if (learn && !outside && baseline_hot_add(base, h, ts_ms, v))
		anomaly_days_moved(r, base, h);
	if (outside || h->noted)
		anomaly_note(r, h, m, outside);
	return outside ? LVL_OF_SEV(c->severity) : LVL_NONE;
}
/* "learning (N days of M)" while base has less history than r needs, else "". */
void anomaly_learning(const struct arule *r, const struct baseline *base, char *buf,
		      size_t len);
/* Days of RRD history read to start a baseline: within the 5-minute archive (14 days,
 * core/archive_rrd.c), whose averages keep most of the noise an hourly one hides. */
#define ANOMALY_HISTORY_DAYS 13
/* Learns a new ANOMALY slot's baseline (from e's pool; the slot attaches its hot
 * copy) from the metric's RRD file (alert_bind.c): on the worker pool once the engine
 * has one (baseline_load.c), the baseline meanwhile empty, else at once.  NULL: no
 * memory. */
struct baseline *anomaly_baseline_new(const struct alert_engine *e, const struct metric *m,
				      int64_t now_ms);
/* The queue of history reads (baseline_load.c): one at a time on wq. */
struct baseline_loader *baseline_loader_new(struct workq *wq);
/* After the worker pool is freed. */
void baseline_loader_free(struct baseline_loader *ld);
/* Queues the read of path's last ANOMALY_HISTORY_DAYS before end_s into base (joined
 * on the loop thread when read); false when out of memory. */
bool baseline_loader_add(struct baseline_loader *ld, struct baseline *base, const char *path,
			 const char *rrdcached, const struct metric *m, int64_t end_s);
/* Frees a baseline (malloc'd, or back to its pool), detached from its read if one is
 * queued or running. */
void baseline_forget(struct baseline *base);
/* Levels ABOVE/BELOW for value v (also used for rates). */
enum alvl rule_level(const struct arule *r, double v, enum alvl cur);
/* Adds a sample to a rate buffer and returns the per-second rate over the window, or
 * NAN if the samples span less than half of it. */
double rate_update(struct rate_buf *rb, int64_t window_ms, int64_t ts_ms, double v);

/* ---- alerts ---------------------------------------------------------------------- */

struct alert {
	int64_t id;                 /* stable per (rule, device, metric key) */
	char *rule_name;            /* identity, owned */
	char *device;
	char *key;                  /* metric key "name" or "name@inst" */
	char *ident;                /* "rule\ndevice\nkey": key of engine.by_ident */
	const struct arule *rule;   /* NULL when unbound (restored, or rule gone) */
	const struct metric *m;     /* NULL when unbound */
	const struct cfg_device *dev;

	enum alert_state state;
	enum alvl level;            /* PENDING/FIRING: current level; else LVL_NONE */
	enum alvl notified;         /* level last notified (published) as firing, or NONE */
	double value;               /* last evaluated value (rate for RATE) */
	int64_t since_ms;           /* wall ms of entering `state` */
	int64_t pending_ms;         /* wall ms the condition became true, 0 if not */
	int64_t fired_ms;           /* wall ms it started firing, 0 if never */
	bool held;                  /* suppression held its notification at the last look */
	bool settling;              /* settle held its first notification at the last look */
	int64_t unheld_ms;          /* wall ms that suppression was first seen ended, 0 if never */
	bool flapping;
	int64_t flap_ts[ALERT_FLAP_CHANGES]; /* ring of the last state changes, wall ms */
	uint8_t flap_head;
	struct alert_ack_info ack;
	struct alert_transition hist[ALERT_HIST_MAX]; /* the last transitions, oldest first */
	uint8_t nhist;
	/* what the last event told of it (alert_publish_moved() tells what moved since) */
	double pub_value;
	int64_t pub_silence;        /* silence id, 0 if none */
	char *pub_supp;             /* its device's suppression cause, NULL if none; owned */
	bool pub_through;           /* it broke through that cause */
};

/* ---- silences --------------------------------------------------------------------- */

struct silence {
	int64_t id;
	struct cfg_selector match;  /* owned copies */
	char *rule, *reason, *created_by, *tz;
	int64_t created_ms, starts_ms, ends_ms;
	unsigned days;
	int start_min, end_min;
	/* Cache of the window containing or following cache_from_ms. */
	int64_t cache_from_ms, win_start_ms, win_end_ms; /* win_* 0 = none */
};

struct silence *silence_new(const struct alert_silence_spec *spec, const char *created_by,
			    int64_t created_ms, char *err, size_t errlen);
void silence_free(struct silence *s);
/* The window [*start, *end) containing now_ms, else the next one; false if none. */
bool silence_window(struct silence *s, int64_t now_ms, int64_t *start, int64_t *end);
bool silence_active(struct silence *s, int64_t now_ms);
/* True if the silence applies to alert a (selector and rule name). */
bool silence_matches(const struct silence *s, const struct alert *a);
/* Copies a selector (deep). 0 or -ENOMEM. */
int selector_copy(struct cfg_selector *dst, const struct cfg_selector *src);
void selector_free(struct cfg_selector *s);

/* ---- the store (SQLite) ----------------------------------------------------------- */

struct alert_store;
/* Opens/creates the database at path (":memory:" allowed).  NULL with err filled. */
struct alert_store *alert_store_open(const char *path, char *err, size_t errlen);
void alert_store_close(struct alert_store *st);
int alert_store_begin(struct alert_store *st);
int alert_store_commit(struct alert_store *st);
int alert_store_put_alert(struct alert_store *st, const struct alert *a);
int alert_store_add_hist(struct alert_store *st, int64_t alert_id,
			 const struct alert_transition *t);
/* Calls fn for every stored alert (identity and state filled, unbound). */
int alert_store_load_alerts(struct alert_store *st, void (*fn)(void *arg, struct alert *a),
			    void *arg);
int alert_store_put_silence(struct alert_store *st, const struct silence *s);
int alert_store_end_silence(struct alert_store *st, int64_t id, int64_t now_ms);
/* Stores a silence's new start and end (moved by a wall clock step). */
int alert_store_move_silence(struct alert_store *st, const struct silence *s);
/* Calls fn for every silence not deleted and not over at now_ms. */
int alert_store_load_silences(struct alert_store *st, int64_t now_ms,
			      void (*fn)(void *arg, struct silence *s), void *arg);
/* ---- the audit log's hash chain (audit_chain.c) ---- */
#define AUDIT_CHECKPOINT_EVERY 100 /* records between two checkpoint log lines */
struct sqlite3;
extern const char audit_chain_genesis[65]; /* prev_hash of the first record */
/* Adds the chain's columns to an audit table from before them.  SQLITE_OK or an error
 * with err filled. */
int audit_chain_migrate(struct sqlite3 *db, const char *path, char *err, size_t errlen);
/* The trigger that refuses DELETE on the audit log (retention drops and re-creates it). */
#define AUDIT_NO_DELETE_SQL                                                                  \
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"                \
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
/* The last chained record's sequence number and hash (the anchor's when retention left
 * none; 0 and the genesis when there is none either). */
int audit_chain_tail(struct sqlite3 *db, int64_t *seq, char hash[65]);
/* The anchor: the newest record retention removed (0, the genesis, 0 when none). */
int audit_chain_anchor(struct sqlite3 *db, int64_t *seq, char hash[65], int64_t *removed_ms);
/* What a retention pass removed. */
struct audit_removal {
	int64_t removed;     /* records */
	int64_t last_id;     /* the newest removed row */
	int64_t anchor_seq;  /* the anchor now (unchanged when only unchained rows went) */
	char anchor_hash[65];
};
/* Removes the oldest records written before cutoff_ms (at most max, and none after a
 * record it keeps) and stores the anchor at now_ms, inside the caller's transaction.
 * 0 or -EIO. */
int audit_chain_remove_before(struct sqlite3 *db, int64_t cutoff_ms, int max, int64_t now_ms,
			      struct audit_removal *out);
/* Runs a retention pass (docs/ACCOUNTS.md, "Retention") in one transaction with its
 * `retention` record.  Records removed, -EAGAIN (writes held or a transaction open: the
 * next pass), -ENOMEM or -EIO. */
int alert_store_audit_retain(struct alert_store *st, int64_t cutoff_ms, int max, int64_t now_ms);
/* Walks the log into v (whose checkpoint fields the caller sets).  0 or -EIO. */
int audit_chain_verify(struct sqlite3 *db, struct alert_audit_verdict *v);
/* Checks the chain against the store's own idea of its tail (in memory since start). */
int alert_store_verify_audit(struct alert_store *st, struct alert_audit_verdict *v);
/* Logs a checkpoint line (sequence number and hash of the last record). */
void alert_store_audit_checkpoint(struct alert_store *st);

/* The database, for the maintenance entries' own statements (maintenance.c). */
struct sqlite3 *alert_store_db(struct alert_store *st);
/* Adds the tenant column to a maintenance table from before tenants' own entries
 * (maintenance.c).  SQLITE_OK or an error with err filled. */
int maintenance_migrate(struct sqlite3 *db, const char *path, char *err, size_t errlen);
/* The integrity record a start writes when it finds the audit log's triggers dropped
 * (alert_store_open), by audit_start_actor. */
#define AUDIT_INTEGRITY_ACTION "integrity"
#define AUDIT_INTEGRITY_TARGET "audit"
extern const struct alert_actor audit_start_actor;
/* The detail of the integrity record written at open, once (the caller frees it), and
 * its time in ts_ms; NULL if none was written or it was taken.  It was written before
 * any part subscribed to the change bus: the engine publishes it at its first tick. */
char *alert_store_integrity_take(struct alert_store *st, int64_t *ts_ms);
/* Publishes on the change bus what the store wrote to the audit log at open (the
 * integrity record), as alert_engine_audit_add publishes every later record. */
void alert_engine_publish_start_audit(struct alert_engine *e);
/* Appends to the audit log. */
int alert_store_audit(struct alert_store *st, int64_t ts_ms, const struct alert_actor *by,
		      const char *action, const char *target, const char *detail);
/* Calls fn for the audit entries matching q, oldest first.  Returns 0 or -EIO. */
int alert_store_read_audit(struct alert_store *st, const struct alert_audit_query *q,
			   bool (*fn)(void *arg, const struct alert_audit_entry *ent), void *arg);
/* Largest alert / silence id stored (0 if none). */
int64_t alert_store_max_id(struct alert_store *st, const char *table);
/* Tries the held writes again if their retry time has come (the 1 s tick). */
void alert_store_retry(struct alert_store *st);
/* Whether writes are held because the file cannot be written, how many, how many lost. */
bool alert_store_health(const struct alert_store *st, size_t *held, uint64_t *lost);

/* ---- alert objects (alert_obj.c) -------------------------------------------------- */

struct alert *alert_obj_new(const char *rule, const char *device, const char *key);
void alert_obj_free(struct alert *a);
/* Appends a transition to the in-memory history (the oldest falls out when full). */
void alert_hist_push(struct alert *a, const struct alert_transition *t);
/* Records a state change for flap detection; returns the changes within the window. */
int alert_flap_count(struct alert *a, int64_t now_ms, bool record);

/* ---- the engine ------------------------------------------------------------------ */

/* One rule bound to one metric. */
struct aslot {
	struct arule *rule;
	struct alert *alert;   /* NULL while the pair has always been OK */
	struct rate_buf *rate; /* RATE rules only */
	/* ANOMALY rules only: the hour being judged of the baseline hot.base (from the
	 * engine's pool), here where a value reads the slot anyway (held elsewhere and
	 * pointed to, it was a second, dependent miss a value at 100,000 metrics) */
	struct baseline_hot hot;
};
/* The baseline of an ANOMALY slot, NULL if none. */
static inline struct baseline *aslot_base(const struct aslot *s)
{
	return s->hot.base;
}

/* The rules of one metric: what its sink slot points to. */
struct abind {
	const struct metric *m;
	const struct cfg_device *dev; /* NULL if the device is not in the config */
	int64_t bound_ms;             /* wall ms of the first report seen */
	size_t idx;                   /* position in engine.binds */
	bool bad_quality;             /* the last report's, as the pipeline said (no `for` then) */
	uint32_t n;
	struct aslot slot[];
};

/* What alert_publish_moved() last found: every pending or firing alert's last event
 * told its silence and suppression as they were then.  Until an input of that finding
 * moves -- a silence window opens or closes (until_ms), a silence comes or goes, the
 * suppression input changes (its generation), an alert is bound anew -- a scan finds
 * nothing, so it is skipped: a storm of N notifications makes one scan, not N scans of
 * N alerts. */
struct alert_moved {
	uint64_t epoch;          /* bumped by alert_moved_forget() */
	uint64_t seen_epoch;     /* the epoch the last scan started in */
	bool seen;               /* a scan was made */
	int64_t from_ms, until_ms; /* the silences hold still in [from_ms, until_ms) */
	const struct alert_suppression *supp;
	uint64_t supp_gen;
	uint64_t scans;          /* scans made (tests count them) */
};

struct alert_engine {
	const struct cfg *cfg;
	struct ruleset *rs;
	const struct cfg *next_cfg;   /* a reload prepared, not yet committed */
	struct ruleset *next_rs;      /* its rules, compiled; NULL when none is */
	int slot;                     /* sink slot in metric.sink_data, -1 = not attached */
	struct abind **binds;         /* every bound metric */
	size_t nbinds, capbinds;
	struct alert **alerts;        /* by id, ascending */
	size_t nalerts, capalerts;
	struct smap by_ident;         /* alert.ident -> alert */
	int64_t next_id;
	struct silence **sil;         /* active and future silences */
	size_t nsil, capsil;
	int64_t next_sil_id;
	struct alert_store *st;       /* NULL: memory only */
	struct metric_reg *reg;       /* the registry attached to, NULL before */
	struct state_health health;   /* alerts.db as metrics of dcmond */
	struct change_bus *bus;       /* where events are published, may be NULL */
	const struct alert_suppression *supp; /* the suppression input, NULL = none */
	struct alert_moved moved;     /* what alert_publish_moved() last found */
	struct smap settle;           /* device -> struct asettle: its chain, as last told */
	struct rptrs scratch;
	struct baseline_loader *loader; /* history reads off the loop; NULL: at once */
	struct baseline_pool *bpool;  /* the ANOMALY slots' baselines */
};

/* alert_bind.c.  Binds a metric seen for the first time (sets its sink slot); NULL on
 * allocation failure (logged) or when no rule applies: the slot then holds
 * &alert_no_rules, which readers of the slot treat as an empty binding. */
struct abind *alert_bind_new(struct alert_engine *e, const struct metric *m, int64_t now_ms);
extern const struct abind alert_no_rules;
/* Clears alert_no_rules from every metric's slot (a reload: its rules may apply now). */
void alert_bind_unmark(struct alert_engine *e);
/* Rebinds binding i against the current rules; alerts of rules gone are ended. */
int alert_bind_redo(struct alert_engine *e, size_t i, int64_t now_ms);
/* Unbinds a metric that goes away: its alerts end and become unbound. */
void alert_bind_drop(struct alert_engine *e, struct abind *b, int64_t now_ms);

/* alert_fsm.c: the state machine.  Moves slot s of binding b to level lvl (not
 * LVL_UNKNOWN) judged from value val at now_ms. */
void alert_fsm_step(struct alert_engine *e, struct abind *b, struct aslot *s, enum alvl lvl,
		    double val, int64_t now_ms);
/* Ends an alert whose rule or metric went away: PENDING -> OK, FIRING -> RESOLVED. */
void alert_fsm_end(struct alert_engine *e, struct alert *a, int64_t now_ms);
/* Notifies what changed since it was last notified, unless the alert is silenced
 * or flapping; returns true if a->notified changed (the caller stores the alert). */
bool alert_notify_sync(struct alert_engine *e, struct alert *a, int64_t now_ms);
/* Re-checks flapping at now_ms; returns true if it changed. */
bool alert_flap_update(struct alert_engine *e, struct alert *a, int n, int64_t now_ms);
/* Publishes one event of a (a notification publishes what moved in the others first:
 * alert_publish_moved). */
void alert_emit(struct alert_engine *e, struct alert *a, enum alert_event_type type,
		enum alvl prev, int64_t now_ms);
/* Publishes ALERT_EV_UPDATED for every pending or firing alert whose silence or
 * suppression at now_ms differs from what its last event told (a silence window opened
 * or closed, the facility found or lost the cause). */
void alert_publish_moved(struct alert_engine *e, int64_t now_ms);
/* Something alert_publish_moved() reads changed outside the inputs it watches (the
 * silences, an alert's rule, metric or device): its next call scans. */
void alert_moved_forget(struct alert_engine *e);
/* Bumped by every change of s's causes (0 for NULL): alert_publish_moved() watches it. */
uint64_t alert_suppression_gen(const struct alert_suppression *s);
/* Publishes ALERT_EV_UPDATED if a is pending or firing and its value moved since its
 * last event. */
void alert_publish_value(struct alert_engine *e, struct alert *a, int64_t now_ms);
/* The device whose failure explains a and holds it (the suppression input), or NULL;
 * NULL too when a breaks through it. */
const char *alert_suppressed_by(const struct alert_engine *e, const struct alert *a);
/* The cause whose suppression a breaks through (dcmon/alert.h, "Breaking through"), or
 * NULL: its rule declares it, and it fires critical or `told` (the level last notified:
 * a->notified, or the one before a notification being published) is critical. */
const char *alert_breaks_through(const struct alert_engine *e, const struct alert *a,
				 enum alvl told);
/* The seconds to impact that a's rule names (time_to_impact: a metric of a's device,
 * read from the registry now), NAN when it names none or the metric has no good value. */
double alert_time_to_impact(const struct alert_engine *e, const struct alert *a);
/* Frees what alert_engine_settle_input() kept. */
void alert_settle_free(struct alert_engine *e);
/* The active silence covering a, or NULL. */
struct silence *alert_silence_of(struct alert_engine *e, const struct alert *a, int64_t now_ms);
/* Writes a to the store (if any); logs failures. */
void alert_persist(struct alert_engine *e, const struct alert *a);
/* Adds an alert to the id list and the identity map (takes ownership); 0 or -ENOMEM. */
int alert_engine_insert(struct alert_engine *e, struct alert *a);
struct alert *alert_engine_find(struct alert_engine *e, int64_t id);
/* Adds a silence to the engine's list (takes ownership); 0 or -ENOMEM. */
int alert_engine_sil_push(struct alert_engine *e, struct silence *s);

#endif
