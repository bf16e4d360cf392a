/* Private to the notifier (alerting/notify*.c): routing, grouping and rate limit,
 * the SQLite spool, message text and the SMTP session.
 */
#ifndef DCMON_NOTIFY_INT_H
#define DCMON_NOTIFY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/alert.h"
#include "dcmon/config.h"
#include "dcmon/log.h"
#include "dcmon/notify.h"
#include "dcmon/state_db.h"
#include "dcmon/state_health.h"

/* ---- routing (notify_route.c) ----------------------------------------------------- */

/* What routing looks at. */
struct notify_target {
	const char *device;
	const char *metric;          /* metric name */
	const char *inst;            /* may be NULL */
	const char *tenant;          /* the alert's tenant, may be NULL */
	const struct cfg_device *dev;/* NULL if not in the config */
	enum cfg_severity severity;
};

/* One recipient of one event, with the tightest settings of the routes that chose it. */
struct notify_rcpt {
	char *addr;                  /* owned */
	int64_t group_wait_ms;       /* smallest group_wait of the matching routes */
	const char *route;           /* first matching route's name (points into cfg) */
};

struct notify_rcpts {
	struct notify_rcpt *v;
	size_t n, cap;
};

void notify_rcpts_free(struct notify_rcpts *r);
/* Adds addr unless it is there already (case-insensitive; then the tighter window
 * wins).  0 or -ENOMEM. */
int notify_rcpts_add(struct notify_rcpts *out, const char *addr, int64_t group_wait_ms,
		     const char *route);

/* True if route r applies to t (selector and minimum severity). */
bool notify_route_match(const struct cfg_route *r, const struct notify_target *t);

/* Adds the addresses of route r for t to out, de-duplicated (case-insensitive).
 * Tenant addresses go only to that tenant's alerts: an address of a tenant other than
 * t->tenant is never added, whichever list named it.  0 or -ENOMEM. */
int notify_route_add(const struct cfg *cfg, const struct cfg_route *r,
		     const struct notify_target *t, struct notify_rcpts *out);

/* Every recipient of t over all matching routes; `want` (may be NULL) further selects
 * routes (e.g. only those with send_resolved).  0 or -ENOMEM. */
int notify_route_all(const struct cfg *cfg, const struct notify_target *t,
		     bool (*want)(const struct cfg_route *r), struct notify_rcpts *out);


/* Adds the static recipients of route r (its addresses and teams; no tenant's, since no
 * alert names one) to out: where a test message or the NOC's report goes.  0 or
 * -ENOMEM. */
int notify_route_static(const struct cfg *cfg, const struct cfg_route *r,
			struct notify_rcpts *out);

/* ---- grouping and rate limit (notify_group.c) --------------------------------------- */

#define NOTIFY_RATE_MAX 1000 /* ring size: the largest rate_limit */
#define NOTIFY_GATHER_DEVS 8 /* polls one first message waits for; more: it waits for gather_ms */

/* Per-recipient state: the open grouping window, queued items, recent sends. */
struct notify_group {
	char *rcpt;              /* owned */
	int64_t window_end_ms;   /* end of the open grouping window; 0 = none */
	int64_t due_ms;          /* when the queued items go out; 0 = nothing queued */
	size_t nqueued;          /* items waiting */
	/* devices whose poll raised items of the first message and is still being
	 * evaluated: the first message waits for them (at most gather_ms); owned ids */
	char *gather_dev[NOTIFY_GATHER_DEVS];
	size_t ngather;          /* entries used */
	bool gather_full;        /* a device did not fit: the first message waits gather_ms */
	bool gathering;          /* the first message of the window is not sent yet */
	bool held;               /* the rate limit held items: the next message is a digest */
	int64_t *sent_ms;        /* ring of the last sends (wall ms), rate_limit entries */
	size_t nsent, head;      /* entries used, next write position */
	size_t cap;              /* ring size */
};

struct notify_policy {
	int64_t gather_ms;       /* the longest the first item waits for the end of its poll */
	int rate_limit;          /* messages per period */
	int64_t rate_period_ms;
};

struct notify_group *notify_group_new(const char *rcpt, size_t rate_cap);
void notify_group_free(struct notify_group *g);
/* An item arrives at now_ms for a route with window wait_ms, raised by the poll of
 * device `batch` still being evaluated (NULL: not by a poll in flight).  It opens a
 * window (the item goes out at once, or, from a poll in flight, when that poll has been
 * evaluated and at most gather_ms later) or joins the open one (with the first message
 * while that is still gathering, else when the window closes).  Returns the due time;
 * -ENOMEM is not possible: a device id that cannot be kept only means the cap applies. */
int64_t notify_group_add(struct notify_group *g, const struct notify_policy *p, int64_t now_ms,
			 int64_t wait_ms, const char *batch);
/* The group's first message, while it is still gathering, also waits for `key` (an
 * alert's graph being drawn), until until_ms at most: notify_group_batch_done(key)
 * ends the wait.  Nothing when its first message is gone (the window's later items go
 * when it closes, the graph stored by then). */
void notify_group_wait_for(struct notify_group *g, const char *key, int64_t until_ms);
/* The poll of device dev (or the gather key of notify_group_wait_for) is done at now_ms: true if the group's first
 * message waited for it and waits for nothing more (its due time is now, or when the
 * rate limit allows). */
bool notify_group_batch_done(struct notify_group *g, const struct notify_policy *p,
			     const char *dev, int64_t now_ms);
/* True if queued items should be sent at now_ms.  When the rate limit forbids it, the
 * due time moves to when it allows and the group is marked held (digest). */
bool notify_group_due(struct notify_group *g, const struct notify_policy *p, int64_t now_ms);
/* Nothing was queued after all: no message, the rate untouched. */
void notify_group_empty(struct notify_group *g);
/* A message went out at now_ms carrying every queued item. */
void notify_group_sent(struct notify_group *g, int64_t now_ms);
/* Earliest time the rate limit lets a message go out (now_ms if it does already). */
int64_t notify_group_rate_free(const struct notify_group *g, const struct notify_policy *p,
			       int64_t now_ms);

/* ---- spool (notify_spool.c) -------------------------------------------------------- */

struct notify_spool;

/* An item queued for a recipient (one alert event), before grouping. */
struct notify_item {
	int64_t id;
	const char *rcpt;
	int64_t alert_id;
	const char *kind;        /* "alert", "reminder", "escalation", "recovery", "test" */
	int severity;            /* enum cfg_severity; -1 for a recovery */
	const char *subject;     /* subject if sent alone */
	const char *line;        /* one line for a list */
	const char *block;       /* full text */
	int64_t group_wait_ms;
	int64_t created_ms;
	const unsigned char *graph; /* the PNG of its metric (notify_graph.c), NULL if none */
	size_t graph_len;
};

/* A spooled message as delivery needs it. */
struct notify_out {
	int64_t id;
	char *message_id, *rcpt, *text; /* text: headers + body, CRLF */
	int attempts;
	int64_t created_ms;
};

struct notify_spool *notify_spool_open(const char *path, char *err, size_t errlen);
void notify_spool_close(struct notify_spool *sp);
int notify_spool_queue(struct notify_spool *sp, const struct notify_item *it);
/* Items queued for rcpt, oldest first (fn sees each; strings valid during the call). */
int notify_spool_items(struct notify_spool *sp, const char *rcpt,
		       void (*fn)(void *arg, const struct notify_item *it), void *arg);
/* Stores the graph of the items queued for the event (alert_id, kind, created_ms); the
 * items already sent go without it.  0 or a negative errno. */
int notify_spool_set_graph(struct notify_spool *sp, int64_t alert_id, const char *kind,
			   int64_t created_ms, const unsigned char *png, size_t len);
/* Recipients with queued items, with their count and smallest group_wait. */
int notify_spool_queued_rcpts(struct notify_spool *sp,
			      void (*fn)(void *arg, const char *rcpt, size_t n, int64_t wait_ms),
			      void *arg);
/* A message about to be spooled. */
struct notify_compose {
	const char *rcpt;
	int64_t max_item_id;     /* the queued items of rcpt up to this id are dropped */
	const char *kind;        /* "alert", "group", "digest", ... */
	const char *alert_ids;   /* "12,13" */
	const char *subject, *body, *from;
	const char *host;        /* right side of the Message-ID */
	/* An HTML alternative of body (multipart/alternative, the text part first), or
	 * NULL for a text/plain message; images: what it shows inline (cid:), 0 for none */
	const char *html;
	const struct notify_image *images;
	size_t nimages;
};
/* In one transaction: stores the message (Message-ID "<dcmon.ID.CREATED@host>", full
 * text built here) and drops the items it carries.  Sets *id.  0 or -EIO. */
int notify_spool_compose(struct notify_spool *sp, const struct notify_compose *c,
			 int64_t now_ms, int64_t *id);
/* The same for the n messages of c, all in one transaction (all spooled or none), their
 * ids into ids[0..n).  0 or -EIO. */
int notify_spool_compose_all(struct notify_spool *sp, const struct notify_compose *c, size_t n,
			     int64_t now_ms, int64_t *ids);
/* The same with mark's period recorded as sent in that transaction (mark NULL: none; n
 * may be 0 then: the mark alone).  0 or a negative errno (nothing written). */
int notify_spool_compose_marked(struct notify_spool *sp, const struct notify_compose *c,
				size_t n, const struct notify_period *mark, int64_t now_ms,
				int64_t *ids);
/* Whether p's period was recorded as sent: 1, 0, or -EIO. */
int notify_spool_period_sent(struct notify_spool *sp, const struct notify_period *p);
/* The newest period of schedule recorded as sent (the greatest name) into buf: 1, 0 when
 * none is (buf ""), or -EIO. */
int notify_spool_period_last(struct notify_spool *sp, const char *schedule, char *buf,
			     size_t len);
/* Up to max pending messages due at now_ms, oldest first (caller frees with
 * notify_out_free). Returns the number or -EIO. */
int notify_spool_due(struct notify_spool *sp, int64_t now_ms, struct notify_out *out, int max);
void notify_out_free(struct notify_out *o);
/* Earliest next_ms of the pending messages, or 0 if there is none. */
int64_t notify_spool_next_due(struct notify_spool *sp);
int notify_spool_mark_sent(struct notify_spool *sp, int64_t id, int64_t now_ms);
int notify_spool_mark_failed(struct notify_spool *sp, int64_t id, const char *why, int64_t now_ms);
int notify_spool_mark_retry(struct notify_spool *sp, int64_t id, const char *why, int64_t next_ms);
/* Deletes up to max sent or failed messages created before before_ms, oldest first.
 * Returns the number deleted or a negative errno. */
int notify_spool_prune(struct notify_spool *sp, int64_t before_ms, int max);
int notify_spool_list(struct notify_spool *sp, const enum notify_state *state, size_t limit,
		      bool (*fn)(void *arg, const struct notify_msg_view *v), void *arg);
void notify_spool_counts(struct notify_spool *sp, struct notify_counts *c);
/* While the spool is held in memory: tries to write it back into the file (at most
 * every NOTIFY_HOLD_RETRY_MS); the file is the spool again once that succeeds. */
void notify_spool_retry(struct notify_spool *sp);
/* True while the spool is held in memory; *held: its items and messages there;
 * *lost: items that could not be queued at all since start. */
bool notify_spool_health(struct notify_spool *sp, size_t *held, uint64_t *lost);

/* ---- text (notify_text.c) ------------------------------------------------------------ */

/* What a message about one alert says, beyond the event. */
struct notify_text_ctx {
	const struct alert_event *ev;  /* its history, ack and silence are written too */
	const char *kind;              /* "alert", "reminder", "escalation", "recovery", "test" */
	const struct metric *metric;   /* the alert's metric as it is now; may be NULL */
	const struct cfg_device *dev;  /* may be NULL */
	const char *dashboard_url;     /* may be NULL */
	const char *suppressed;        /* lines of suppressed alerts, NULL or "" = none */
};

/* Subject, one list line and the full block for one item (malloc'd, caller frees).
 * 0 or -ENOMEM. */
int notify_text_item(const struct notify_text_ctx *c, char **subject, char **line,
		     char **block);
/* Full RFC 5322 text (CRLF line ends) of the message c composes, with its Message-ID
 * and Date: text/plain, or with c->html multipart/alternative of the text part and the
 * HTML (base64), the HTML in a multipart/related with c's images (base64, Content-ID)
 * when there are any.  NULL when out of memory. */
char *notify_text_message(const struct notify_compose *c, const char *message_id,
			  int64_t date_ms);
/* Formats a wall-clock time as "2024-05-01 12:00:01 UTC". */
void notify_text_time(int64_t ms, char *buf, size_t len);

/* ---- SMTP (notify_smtp.c) ------------------------------------------------------------ */

enum notify_result { NOTIFY_RES_SENT, NOTIFY_RES_TEMP, NOTIFY_RES_PERM };

/* One message of a session, and what became of it. */
struct notify_smtp_msg {
	const char *rcpt, *text;       /* text: full message, CRLF */
	enum notify_result result;
	char why[256];                 /* server reply or error, "" when sent */
};

/* Everything a session needs, copied so that the worker touches nothing shared. */
struct notify_smtp_job {
	char *host;                    /* "host:port" */
	char *from;
	int starttls;                  /* enum notify_starttls */
	bool smtps;                    /* TLS on connect, through notify_tls_bridge */
	char *ca_file;                 /* may be NULL */
	char *user, *password;         /* may be NULL */
	bool auth_without_tls;         /* AUTH may go in clear (else it needs STARTTLS/SMTPS) */
	long timeout_ms;
	struct notify_smtp_msg *msgs;
	size_t nmsgs;
	bool connected;                /* the server answered at all */
	char why[256];                 /* session-level error, "" if none */
};

/* Runs one SMTP session delivering every message of job (worker thread). */
void notify_smtp_run(struct notify_smtp_job *job);
/* Classifies an SMTP reply code: 2xx sent, 5xx permanent, else temporary. */
enum notify_result notify_smtp_classify(int code);
/* Once per process, before any session (loop thread). */
void notify_smtp_init(void);

/* ---- the notifier's state (notify.c, notify_flush.c, notify_remind.c, notify_deliver.c) */

/* A firing, unacknowledged alert that may need reminders or an escalation. */
struct notify_track {
	int64_t alert_id;
	int64_t fired_ms;        /* wall clock it started firing */
	int64_t last_ms;         /* last notice (first alert or reminder) */
	bool escalated;
};

/* The notifier's copy of a pending or firing alert (notify_copy.c): the engine's alert
 * as of its last event on the change bus, all texts owned. */
struct notify_alert {
	int64_t id;
	char *rule, *summary, *device, *metric, *inst, *unit, *tenant, *site, *room, *kind;
	char *ack_by, *ack_comment, *silence_reason, *suppressed_by, *breaks_through;
	enum alert_state state;
	enum cfg_severity severity;
	double value, warn, crit;
	double time_to_impact_s;   /* with breaks_through, as of the last event */
	int64_t since_ms, fired_ms, silence_id;
	bool acked;
	struct alert_transition hist[ALERT_HIST_MAX];
	size_t nhist;
};

struct notify_job;

#define NOTIFY_BATCH 16           /* messages per SMTP session */
#define NOTIFY_FAILING_SESSIONS 3 /* failed sessions in a row before "delivery failing" */

struct notifier {
	struct notify_env env;
	const struct cfg *cfg;
	struct notify_spool *spool;
	struct notify_group **groups;
	size_t ngroups, capgroups;
	struct notify_track *tracks;
	size_t ntracks, captracks;
	struct notify_alert **alerts;   /* the copy of the pending and firing alerts, by id */
	size_t nalerts, capalerts;
	struct loop_timer *tick_timer;
	struct loop_timer *wake_timer;  /* earliest group due time before the next tick */
	int64_t wake_ms;                /* when wake_timer fires, 0 = not set */
	struct notify_job *inflight;    /* the session on the worker, NULL if none */
	int fail_sessions;              /* failed sessions in a row */
	bool failing;
	char fail_reason[256];
	struct metric *m_failing, *m_pending;
	struct state_health health;     /* notify.db as metrics of dcmond */
	int64_t metrics_sec;            /* wall-clock second of the last self-metric values */
	int64_t prune_ms;               /* wall clock: next pruning of the message history */
	char host[256];                 /* Message-ID right side */
	notify_polling_fn polling;      /* is a device's poll being evaluated? NULL = never */
	void *polling_arg;
	struct notify_recipients *recipients; /* the tenants' own (notify_recipients.h) */
	struct notify_graph *graphs;    /* alert graphs queued or drawing (notify_graph.c) */
	size_t ngraphs;
	uint64_t graphs_left_out;       /* alerts mailed without graph for lack of room */
	struct log_complaint graphs_full; /* rate-limits the lines about them */
};

/* ---- alert graphs (notify_graph.c) ---------------------------------------------------- */

#define NOTIFY_GRAPH_W "600"  /* the graph's canvas, pixels (librrd adds axes and legend) */
#define NOTIFY_GRAPH_H "160"
#define NOTIFY_MAIL_GRAPHS 5  /* graphs in one message (the others' alerts go without) */
#define NOTIFY_MAIL_GRAPH_BYTES (512 * 1024) /* their PNGs in one message, at most */

/* Queues the graph of the metric m of the event just queued (at now_ms, as `kind`) for
 * the recipients rc, whose first messages wait for it (at most the smtp section's
 * graph_wait).  Nothing when graphs are off, there is no archive or m is NULL. */
void notify_graph_start(struct notifier *n, const struct alert_event *ev, const char *kind,
			const struct metric *m, const struct notify_rcpts *rc, int64_t now_ms);
/* Frees the graphs never completed (after the work queue). */
void notify_graphs_free(struct notifier *n);

/* The smtp section's grouping and rate policy. */
void notify_policy_of(const struct notifier *n, struct notify_policy *p);
/* The group of rcpt, created if missing (NULL on ENOMEM). */
struct notify_group *notify_group_get(struct notifier *n, const char *rcpt);
/* Queues one item for each recipient and schedules the flushes; batch: the device
 * whose poll raised it and is still being evaluated, or NULL. */
void notify_queue_item(struct notifier *n, const struct notify_rcpts *rc, const struct notify_item *proto,
		       const char *batch, int64_t now_ms);
/* Sends what is due in every group at now_ms (composes and spools the messages). */
void notify_flush_due(struct notifier *n, int64_t now_ms);
/* Makes sure the loop wakes at due_ms (before the next tick). */
void notify_wake_at(struct notifier *n, int64_t due_ms, int64_t now_ms);
/* Builds the text of an item about ev (kind "alert", ...) and queues it for rc. */
void notify_queue_event(struct notifier *n, const struct alert_event *ev, const char *kind,
			const struct notify_rcpts *rc, int64_t now_ms);
/* Reminders and escalations due at now_ms. */
void notify_remind(struct notifier *n, int64_t now_ms);
void notify_track_add(struct notifier *n, int64_t alert_id, int64_t fired_ms, int64_t now_ms);
void notify_track_del(struct notifier *n, int64_t alert_id);
/* Routing target of an event. */
void notify_target_of(const struct notifier *n, const struct alert_event *ev,
		      struct notify_target *t);
/* The copy of the alerts (notify_copy.c): an event updates it (an alert that ended
 * leaves it); find returns NULL for an alert not pending nor firing. */
void notify_copy_update(struct notifier *n, const struct alert_event *ev);
const struct notify_alert *notify_copy_find(const struct notifier *n, int64_t id);
/* The event of type `type` at ts_ms describing a as it is (valid while a is). */
void notify_copy_event(const struct notify_alert *a, enum alert_event_type type, int64_t ts_ms,
		       struct alert_event *ev);
/* Lines "device metric (severity, state)" of the alerts held because `cause` failed,
 * and of those that break through it ("..., notified on its own: <impact>"). */
void notify_copy_suppressed(const struct notifier *n, const char *cause, char *buf, size_t len);
void notify_copy_free(struct notifier *n);
/* Starts an SMTP session for due messages unless one runs. */
void notify_deliver_kick(struct notifier *n, int64_t now_ms);
/* Frees a session's job (after the worker is gone). */
void notify_job_free(struct notify_job *job);
/* Publishes the self-metrics (failing state, pending count). */
void notify_self_metrics(struct notifier *n, int64_t now_ms);

#endif
