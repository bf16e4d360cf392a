/* Private header of the SNMP part (pollers/snmp*.c): OIDs, profiles, the value store,
 * the loop-driven net-snmp connection and the request engine. */
#ifndef DCMON_SNMP_INT_H
#define DCMON_SNMP_INT_H

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/poller.h"
#include "dcmon/snmp.h"
#include "dcmon/snmp_profile.h"
#include "pollers.h"

#define SNMP_TEXT_MAX   256   /* bytes kept of a string value, incl. NUL */
#define SNMP_ROWS_DEFAULT 1024 /* rows of a table before its walk is cut (`max_rows`) */
#define SNMP_MAX_ROWS_LIMIT 100000 /* highest `max_rows` accepted */
#define SNMP_POLL_BYTES_DEFAULT (16 << 20) /* walk answers of one poll, bytes */
#define SNMP_RECHECK_DEFAULT_MS (3600 * 1000) /* unsupported points re-checked, ms */
#define SNMP_NOT_SUPPORTED "not supported by this agent"

/* ---- config helpers (snmp_cfg.c) ------------------------------------------------- */

extern const char *const snmp_cfg_version_names[];
extern const char *const snmp_cfg_auth_names[];
extern const char *const snmp_cfg_priv_names[];
void snmp_cfg_defaults(struct cfg_snmp *c);
void snmp_cfg_free_fields(struct cfg_snmp *s);

/* ---- values of one poll (snmp_vals.c) --------------------------------------------- */

enum snmp_vtype { SV_NUM, SV_COUNTER, SV_STR, SV_OID, SV_ERR };

struct snmp_val {
	enum snmp_vtype type;
	u_char asn_type;    /* ASN_INTEGER, ASN_COUNTER64, ... */
	double num;         /* SV_NUM, SV_COUNTER */
	uint64_t u64;       /* SV_COUNTER: exact raw reading */
	char *text;         /* SV_STR, SV_OID: bounded text; SV_ERR: reason */
};

struct snmp_vals;
struct snmp_vals *snmp_vals_new(void);
void snmp_vals_free(struct snmp_vals *v);
/* A poll's table: a spare one (what an ended poll gave back) or a new one; NULL on
 * allocation failure.  A device holds one only while it polls, so the tables' memory
 * follows the polls running at once, not the devices, and a steady poll still
 * allocates nothing (up to 32 spares are kept; more are freed). */
struct snmp_vals *snmp_vals_take(void);
/* Gives a poll's table back (cleared); NULL is a no-op. */
void snmp_vals_give(struct snmp_vals *v);
void snmp_vals_clear(struct snmp_vals *v);
/* Stores a varbind (value or exception) under its OID; 0 or -ENOMEM. */
int snmp_vals_put_var(struct snmp_vals *v, const netsnmp_variable_list *var);
int snmp_vals_put_err(struct snmp_vals *v, const oid *o, size_t len, const char *reason);
const struct snmp_val *snmp_vals_get(const struct snmp_vals *v, const oid *o, size_t len);
/* Numeric value of a stored value; -EINVAL with *why set for strings/OIDs/errors. */
int snmp_val_number(const struct snmp_val *val, double *out, const char **why);
/* True if the agent answered with a value (not an exception, not nothing). */
bool snmp_val_answers(const struct snmp_val *v);
/* Text of a value (number printed, OID dotted, string); "" for errors. */
void snmp_val_text(const struct snmp_val *val, char *buf, size_t len);

/* ---- loop-driven net-snmp session (snmp_conn.c) ----------------------------------- */


struct snmp_conn;

/* net-snmp's OID of an auth protocol (enum snmp_cfg_auth; NONE gives usmNoAuth). */
const oid *snmp_auth_oid(int proto);

/* resp is valid during the call only; NULL when err != 0.  err: 0, -ETIMEDOUT,
 * -EACCES (v3 security / report), -EBADMSG (only malformed replies came back), -EIO
 * (send failed), -EPROTO (v3 engine discovery failed), -ENOMEM, -ECANCELED (session
 * closed).  reason says it in words. */
typedef void (*snmp_conn_cb)(void *arg, netsnmp_pdu *resp, int err, const char *reason);

/* A session to host for the device `name` (log lines). */
struct snmp_conn *snmp_conn_new(struct loop *loop, const struct cfg_snmp *c, const char *host,
				const char *name, int64_t timeout_ms, char *err, size_t errlen);
/* Sends pdu (ownership taken, also on failure).  0: cb will be called exactly once,
 * never from within this call (also when the send fails at once); -ENOMEM: never. */
int snmp_conn_send(struct snmp_conn *c, netsnmp_pdu *pdu, snmp_conn_cb cb, void *arg);
/* Requests sent and not yet answered or timed out. */
int snmp_conn_inflight(const struct snmp_conn *c);
int snmp_conn_version(const struct snmp_conn *c); /* SNMP_VERSION_1 / 2c / 3 */
/* Closes the session; requests in flight get their callback with -ECANCELED (which
 * must not send).  NULL is a no-op. */
void snmp_conn_free(struct snmp_conn *c);

/* ---- request engine (snmp_fetch.c) ------------------------------------------------ */

struct snmp_fetch;

struct snmp_fetch_stats {
	int answered;      /* responses received */
	int timeouts;      /* requests that timed out */
	int failed;        /* other request failures */
	char reason[METRIC_REASON_MAX]; /* first failure */
	bool auth_error;   /* a v3 security report came back */
	bool malformed;    /* replies came back that could not be parsed */
};

typedef void (*snmp_fetch_row_fn)(void *tag, const oid *idx, size_t len);
typedef void (*snmp_fetch_walk_fn)(void *tag, const char *err); /* err NULL = complete */
typedef void (*snmp_fetch_done_fn)(void *arg);

struct snmp_fetch *snmp_fetch_new(struct snmp_conn *conn, struct snmp_vals *vals,
				  const struct cfg_snmp *c);
void snmp_fetch_free(struct snmp_fetch *f);
/* Queues a GET of one object (duplicates are fetched once). */
int snmp_fetch_get(struct snmp_fetch *f, const oid *o, size_t len);
/* Queues a walk of columns cols[0..n) (one GETBULK per step); row_fn gets every row
 * index of cols[0]; end_fn once at the end with NULL or the reason it stopped: the
 * agent's error, OIDs out of order (a loop), more than max_rows values in any column,
 * or the run's walks over the `max_poll_bytes` budget.  -ENOMEM (the walk is dropped
 * with the run). */
int snmp_fetch_walk(struct snmp_fetch *f, const struct snmp_oid *cols, size_t n,
		    size_t max_rows, snmp_fetch_row_fn row_fn, snmp_fetch_walk_fn end_fn,
		    void *tag);
/* Sends everything queued; done(arg) once every request has ended. */
void snmp_fetch_run(struct snmp_fetch *f, snmp_fetch_done_fn done, void *arg);
/* Forgets the GETs, walks and stats of the last run (call before queuing a new one). */
void snmp_fetch_clear(struct snmp_fetch *f);
/* The table answers land in from now on (a poll's, see snmp_vals_take). */
void snmp_fetch_set_vals(struct snmp_fetch *f, struct snmp_vals *vals);
/* Between polls: forgets the last run and frees its buffers, remembering their sizes so
 * the next run allocates once.  A running fetch is left alone. */
void snmp_fetch_release(struct snmp_fetch *f);
/* Ends the run now: what is queued or in flight is marked failed with reason, and
 * done is not called. */
void snmp_fetch_abort(struct snmp_fetch *f, const char *reason);
const struct snmp_fetch_stats *snmp_fetch_stats(const struct snmp_fetch *f);
/* Caps requests in flight over all devices (default 512). */
void snmp_fetch_set_global_cap(int cap);

/* A waiter in line for a slot under the global cap: a run with requests queued, or a
 * poll not begun (snmp_fetch_gate_enter).  A poll waits before it begins, so until a
 * slot is free it takes no values table and builds no plan (~100 KB for 200 points):
 * a backlog of polls (slow agents, a stalled loop) costs a few bytes a device, not
 * its working memory.  Runs that hold a plan are served first. */
struct snmp_fetch_gate {
	void (*go)(void *arg);
	void *arg;
	struct snmp_fetch_gate *next;
	bool waiting;
};
/* True if a poll may begin now (a slot is free and nobody waits); else g waits in line
 * and go(arg) is called from the loop when a slot frees. */
bool snmp_fetch_gate_enter(struct snmp_fetch_gate *g, void (*go)(void *arg), void *arg);
/* Takes g out of the line; true if it was waiting. */
bool snmp_fetch_gate_leave(struct snmp_fetch_gate *g);


/* ---- one device (snmp.c, snmp_eval.c, snmp_rows.c) -------------------------------- */

/* One metric of a point: a scalar, a table row or an aggregate group. */
struct snmp_inst {
	struct metric *m;     /* its instance text is m->inst (NULL for none): one copy per
			       * series, not two */
	double virt;          /* COUNTER: monotonic value reported (wraps and resets folded in) */
	uint64_t prev_raw;    /* COUNTER: last raw reading */
	bool have_prev;       /* COUNTER: prev_raw is valid (false after an agent restart) */
	bool primed;          /* COUNTER: virt holds a reading */
	bool answered;        /* reported a value at least once: its failure now degrades */
};

/* What the agent was learned to do with a point's object. */
enum snmp_support {
	SNMP_SUPPORT_UNKNOWN, /* not learned yet (or being re-checked) */
	SNMP_SUPPORT_YES,     /* the agent answered it with a value */
	SNMP_SUPPORT_NO,      /* noSuchObject/noSuchInstance/endOfMibView before any value:
			       * not polled until the next re-check */
};

struct snmp_pstate {
	/* the instances, at snmp_pstate_insts: the only one of a scalar point, most points,
	 * in place (in the device's array of point states, not an allocation of its own:
	 * docs/ARCHITECTURE.md "Memory per series"); from the second on, all on the heap */
	union {
		struct snmp_inst one; /* n <= 1 */
		struct snmp_inst *many; /* n >= 2 */
	};
	uint32_t n;           /* 32-bit, as the series of a device are (one per instance) */
	uint32_t hint;        /* where the next instance is looked for first: rows come in
			       * the order their instances were made, so a table is read in
			       * one pass, not one scan per row */
	enum snmp_support support : 8;
	bool unanswered;      /* the agent answered nothing for it this poll */
};

/* ps's n instances. */
static inline struct snmp_inst *snmp_pstate_insts(struct snmp_pstate *ps)
{
	return ps->n >= 2 ? ps->many : &ps->one;
}

struct snmp_row {
	oid *idx;             /* index suffix */
	size_t len;
	char *label;          /* instance text */
	bool keep;            /* passed the filters */
	size_t plen;          /* attached table: length of its parent row's index (the
			       * start of idx); 0 otherwise */
};

struct snmp_tstate {
	struct snmp_row *rows;
	size_t nrows;
	struct snmp_row *fresh; /* rows of the walk in progress */
	size_t nfresh, capfresh;
	bool valid;           /* rows are known (walked at least once) */
	bool walking;         /* this poll walks the table */
	bool stale;           /* a cached row vanished: walk next poll */
	int polls;            /* polls since the last walk */
	/* why this poll's walk failed, "" if it did not: every metric of the table reports
	 * it (a cut or looping walk is never taken for the whole table) */
	char err[METRIC_REASON_MAX];
	/* the device's series limit kept a metric of this table from being created: its
	 * metrics report that from now on (until the instance is recreated by a reload) */
	bool series_full;
};

struct snmp_dev {
	const struct poller_env *env;
	const struct cfg_device *dev;
	struct cfg_snmp cfg;  /* the device's section, or defaults for `resources: snmp` */
	const char *host;
	struct poll_target *target; /* with an address_guard: the host at each poll, and the
				     * session (conn, fetch) opened to the address it gave */
	char conn_addr[64];      /* that address */
	int64_t timeout_ms;      /* of a request */
	struct snmp_conn *conn;
	struct snmp_vals *vals;   /* while a poll runs (snmp_vals_take), else NULL */
	struct snmp_fetch *fetch;
	struct snmp_fetch_gate gate; /* the poll waits here for a slot before it begins */
	char *profile_dir;
	struct snmp_profile *prof; /* NULL until chosen by sysObjectID */
	struct snmp_pstate *ps;  /* per point */
	struct snmp_tstate *ts;  /* per profile table */
	struct poll_job *job;
	struct loop_timer *deadline;
	bool probing;            /* this poll first asks sysObjectID */
	double uptime;           /* last sysUpTime, 0.01 s; < 0 = none yet */
	int64_t now_ms;          /* wall clock of the poll (sample timestamp) */
	int point_errors;        /* errors this poll that degrade the device */
	int point_values;        /* values reported this poll */
	int points_unsupported;  /* points not polled (SNMP_SUPPORT_NO) */
	int polls_since_recheck; /* polls since the unsupported points were last re-checked */
	bool recheck_due;        /* the agent restarted: re-check them at the next poll */
	bool misfit_logged;      /* "does not fit" was logged (once per fit change) */
};

/* Forgets what was learned about unsupported points: they are polled again (the long
 * re-check interval, an agent restart). */
void snmp_support_reset(struct snmp_dev *d);

/* Rows of table t walked before it is truncated: the device's `snmp.max_rows`, else
 * the profile table's `max_rows`. */
size_t snmp_table_max_rows(const struct snmp_dev *d, int t);
/* Sets up ps/ts for d->prof; 0 or -ENOMEM. */
int snmp_dev_bind_profile(struct snmp_dev *d);
/* snmp_profile.c: makes a new combined profile (snmp_profile_combine's contract); the
 * cache (snmp_profiles.c) shares it among devices whose parts are the same. */
struct snmp_profile *snmp_profile_combine_new(struct snmp_profile **v, size_t n);
/* Queues this poll's requests of every point and table. */
int snmp_plan(struct snmp_dev *d);
/* After the fetch: rows of the tables walked this poll, named and filtered. */
void snmp_rows_update(struct snmp_dev *d);
/* True if a value (NULL = missing) passes a filter. */
bool snmp_filter_pass(const struct snmp_filter *f, const struct snmp_val *v);
/* After snmp_rows_update: reports every point. */
void snmp_eval(struct snmp_dev *d);
/* Forgets counter history (agent restarted). */
void snmp_counters_reset(struct snmp_dev *d);
void snmp_dev_state_free(struct snmp_dev *d);

/* ---- MIBs for traps (snmp_mib.c) ------------------------------------------------ */

/* Reads the MIB modules of dirs (or, !given, snmp_mib_default_dirs) once per process. */
void snmp_mibs_load(char *const *dirs, size_t ndirs, bool given);
/* The NOTIFICATION-TYPE (or TRAP-TYPE) named by the OID v, or NULL. */
const char *snmp_mib_notification(const oid *v, size_t len);
/* The varbind OID v as the MIBs name it: "ifOperStatus.2" (a column's instance kept),
 * "sysUpTime" (a scalar's .0 left out), else its number. */
void snmp_mib_varbind_name(const oid *v, size_t len, char *buf, size_t blen);
/* An integer of object v that its MIB enumerates as "down(2)": true with the text. */
bool snmp_mib_enum_text(const oid *v, size_t len, long value, char *buf, size_t blen);

#endif
