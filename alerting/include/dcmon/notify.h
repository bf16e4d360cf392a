/* Alert e-mail: routing, grouping, rate limit, durable spool, SMTP delivery.
 *
 * The notifier subscribes to the alert changes on the change bus (dcmon/change.h),
 * CHANGE_ALERT and CHANGE_ALERT_UPDATE: it keeps its own copy of the pending and firing
 * alerts from them (what reminders, escalations and the alerts held under a root cause
 * read: it never reads the engine), and of them it mails the notifications
 * (alert_event_notifies).
 * Every event is routed to its recipients (routes by tenant, site, kind, severity,
 * labels; teams; the tenant's own addresses only for that tenant's alerts; one
 * recipient once per event however many routes match) and queued per recipient in
 * SQLite (<state_dir>/notify.db, WAL) before anything is sent.  Per recipient, the
 * first item of a group goes out at once, or when the poll that raised it has been
 * evaluated (so the alerts of one poll travel together; at most `gather`), and what
 * follows within the route's group_wait goes out as one
 * message when the window closes; a per-recipient rate limit holds the rest and sends
 * a digest when it allows again.  Messages are spooled (stable Message-ID) before the
 * first attempt and delivered with libesmtp on the worker pool, one SMTP session at a
 * time, never on the loop: temporary failures are retried with exponential backoff,
 * permanent ones (5xx) are recorded per recipient.  Reminders (route `repeat`) and
 * escalations (route `escalate_after`) are driven by a one-second tick.
 *
 * When delivery keeps failing, the notifier says so: the metric
 * `notify_delivery_failing` (STATE ok/failing) of the synthetic device "dcmond", the
 * API's /api/v1/notifications `delivery_failing`, and `dcmon notifications`.
 *
 * Threads: every function here runs on the loop thread.
 */
#ifndef DCMON_NOTIFY_H
#define DCMON_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/alert.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/workq.h"

struct archive;

/* ---- the daemon's `smtp:` section ------------------------------------------------ */

enum notify_starttls { SMTP_STARTTLS_REQUIRED, SMTP_STARTTLS_OPPORTUNISTIC, SMTP_STARTTLS_OFF };

struct cfg_smtp {
	char *host;              /* relay host, default "127.0.0.1" */
	int port;                /* default 25 */
	int starttls;            /* enum notify_starttls, default opportunistic */
	bool tls;                /* SMTPS: TLS on connect (port 465 unless given), no STARTTLS */
	char *ca_file;           /* PEM CA bundle to verify the server; NULL = system store */
	char *user;              /* AUTH user, NULL = no AUTH */
	char *password_file;     /* file holding the AUTH password (first line); not world-readable */
	bool auth_without_tls;   /* AUTH may be sent in clear when TLS is not up, default false */
	char *from;              /* envelope and header From, required */
	int64_t timeout_ms;      /* per SMTP step, default 30 s */
	char *dashboard_url;     /* base URL; links are <url>/devices/<id>; may be NULL */
	int rate_limit;          /* messages per recipient per rate_period, default 20 */
	int64_t rate_period_ms;  /* default 1 h */
	int64_t retry_min_ms;    /* first retry delay, default 10 s (doubles per attempt) */
	int64_t retry_max_ms;    /* backoff cap, default 10 min */
	int64_t gather_ms;       /* longest a first item waits for the end of its poll, 200 ms */
	int64_t graph_wait_ms;   /* longest a first alert mail waits for its metric's graph,
				  * default 2 s; 0 = mails without graphs */
	int64_t give_up_ms;      /* a message pending this long is failed, default 2 d */
	int64_t history_ms;      /* sent and failed messages are kept this long, default 400 d */
	int tenant_recipients_max; /* a tenant's own recipients, default 20 */
	int tenant_mail_limit;   /* confirmation and test mails per tenant per hour, default 10 */
	int64_t confirm_expiry_ms; /* a confirmation link's life, default 24 h */
	struct cfg_pos pos;
};

/* The `smtp:` section as a key table (a CFGK_SECTION row of the daemon keys): init
 * presets the defaults, check validates addresses and the password file. */
extern const struct cfg_key notify_smtp_cfg_keys[];
void notify_smtp_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
int notify_smtp_cfg_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx);
/* The `daemon.smtp:` section of cfg (kept by the kernel as the alerting part's own
 * section, dcmon/part.h), or NULL when there is no e-mail. */
const struct cfg_smtp *smtp_cfg_of(const struct cfg *cfg);

/* ---- routes, for every channel routed like mail ----------------------------------- */

/* The route named name in cfg, or NULL. */
const struct cfg_route *notify_route_find(const struct cfg *cfg, const char *name);
/* True when route r takes ev, as it does for mail: its match: (device, kind, site,
 * room, tenant, metric, instance, labels, the least severity); for the channels routed
 * like mail (northbound SNMP notifications). */
bool notify_route_takes(const struct cfg *cfg, const struct cfg_route *r,
			const struct alert_event *ev);

/* ---- the notifier ---------------------------------------------------------------- */

/* An image an HTML mail shows inline, by <img src="cid:CID"> (multipart/related). */
struct notify_image {
	const char *cid;          /* "graph-1": [A-Za-z0-9._-], no <> */
	const unsigned char *png; /* the PNG's bytes */
	size_t len;
};

struct notifier;

struct notify_env {
	struct loop *loop;
	struct workq *wq;            /* SMTP sessions run here, one at a time */
	struct metric_reg *reg;      /* the "dcmond" self-metrics, and an alert's metric as it
				      * is now for its e-mail; may be NULL (tests) */
	struct change_bus *bus;      /* alert events come from here; may be NULL (tests) */
	const struct cfg *cfg;       /* routes, contacts, smtp_cfg_of(cfg); referenced */
	const char *state_dir;       /* notify.db lives here; NULL = in memory (tests) */
	struct archive *arc;         /* the metrics' RRD archive, drawn in alert mails; NULL =
				      * mails without graphs */
};

/* Creates the notifier, opens the spool and resumes what it holds (queued items,
 * pending messages; the reminders of firing alerts resume from the engine's `current`
 * events, alert_engine_publish_all).  NULL with err filled on failure.
 * notifier_free(NULL) is a no-op; free it before the work queue and the engine. */
struct notifier *notifier_new(const struct notify_env *env, char *err, size_t errlen);
void notifier_free(struct notifier *n);

/* Keeps the copy of the alert and routes and queues the event (arg = the notifier; the
 * bus subscription calls it; an event that is no notification is only kept). */
void notifier_on_event(void *arg, const struct alert_event *ev);

/* Switches to a new config (routes, contacts, smtp).  The old one may be freed after. */
void notifier_reload(struct notifier *n, const struct cfg *cfg);

/* Time-driven work at wall time now_ms (flushes, reminders, escalation, retries).  The
 * notifier runs it itself every second; exposed for tests with their own clock. */
void notifier_tick(struct notifier *n, int64_t now_ms);

/* The wall clock stepped by step_ms (< 0 back; see loop_set_clock_step_fn): grouping
 * windows, rate limits, reminders and escalations keep counting elapsed time.  NULL is
 * a no-op. */
void notifier_clock_stepped(struct notifier *n, int64_t step_ms);

/* Queues a test message to every recipient of route `route` through the real path
 * (spool, SMTP).  Returns the number of recipients (> 0), or -ENOENT (no such route)
 * / -ENODATA (route has no static recipient) / -EIO with err filled. */
int notifier_test(struct notifier *n, const char *route, const char *by, int64_t now_ms,
		  char *err, size_t errlen);

/* A message of its own, not about an alert (the monthly report), to the static
 * recipients of a route (its addresses and teams, never a tenant's) or to a tenant's
 * own addresses (its contact's in the configuration and its confirmed recipients). */
struct notify_mail {
	const char *route;   /* one of route and tenant */
	const char *tenant;
	const char *kind;    /* X-Dcmon-Kind: "report" */
	const char *subject;
	const char *text;    /* the plain text, always sent */
	const char *html;    /* its HTML alternative, or NULL */
	const struct notify_image *images; /* shown inline by html (cid:), nimages of them */
	size_t nimages;
};
/* Spools each of the n mails to each of its recipients, all in one transaction (all or
 * none: a crash or a full disk never sends half of them), and starts delivery, which
 * retries them as any message.  Returns the number of messages spooled (0: nobody to
 * send to), -ENODATA (no smtp: section), -ENOENT (no such route), -EIO (the spool
 * cannot be written: nothing was spooled), -ENOMEM. */
int notifier_mail(struct notifier *n, const struct notify_mail *m, size_t nm, int64_t now_ms);
/* A period of a scheduled report ("availability-monthly" "2026-11"), marked sent in
 * notify.db (dcmon/notify_sched.h). */
struct notify_period {
	const char *schedule, *period;
};
/* notifier_mail with mark's period recorded as sent in the same transaction as the
 * messages (both or neither), even when there is nobody to send to (mark NULL: as
 * notifier_mail). */
int notifier_mail_marked(struct notifier *n, const struct notify_mail *m, size_t nm,
			 const struct notify_period *mark, int64_t now_ms);
/* Whether p's period was recorded as sent: 1, 0, or -EIO (the spool cannot be read). */
int notifier_period_sent(struct notifier *n, const struct notify_period *p);
/* The newest period of schedule recorded as sent (periods' names sort as their times)
 * into buf: 1, 0 when none is (buf ""), or -EIO. */
int notifier_period_last(struct notifier *n, const char *schedule, char *buf, size_t len);

/* One spooled delivery (one message to one recipient). */
enum notify_state { NOTIFY_PENDING, NOTIFY_SENT, NOTIFY_FAILED };
const char *notify_state_name(enum notify_state s);
int notify_state_parse(const char *s, enum notify_state *out);

struct notify_msg_view {
	int64_t id;
	const char *message_id;  /* "<...@host>" */
	const char *rcpt;
	const char *subject;
	const char *kind;        /* "alert", "group", "digest", "reminder", "escalation", "recovery", "test" */
	const char *alert_ids;   /* "12,13" */
	enum notify_state state;
	int attempts;
	int64_t created_ms, next_ms, sent_ms; /* wall clock; 0 = not yet */
	const char *last_error;  /* "" if none */
};

/* Calls fn for messages newest first (state filter NULL = all), at most `limit`.
 * Returns 0 or -EIO. */
int notifier_list(struct notifier *n, const enum notify_state *state, size_t limit,
		  bool (*fn)(void *arg, const struct notify_msg_view *v), void *arg);

/* Counts of pending, sent, failed messages and queued (not yet composed) items. */
struct notify_counts {
	size_t pending, sent, failed, queued;
};
void notifier_counts(struct notifier *n, struct notify_counts *c);

/* True while delivery keeps failing; the reason ("connection refused ...") in buf. */
bool notifier_failing(const struct notifier *n, char *buf, size_t len);

/* Poll batches.  The first alert of a group goes out at once, except when the poll that
 * raised it is still being evaluated (its other values are still arriving): then it
 * waits for the end of that poll, so the alerts of one poll travel in one message, and
 * at most the smtp `gather` time.  fn tells whether the poll of a device is in flight
 * (unset: never, every first alert goes at once); notifier_poll_done() is called when
 * a device's poll has ended and all its values have been evaluated. */
typedef bool (*notify_polling_fn)(void *arg, const char *device);
void notifier_set_polling_fn(struct notifier *n, notify_polling_fn fn, void *arg);
void notifier_poll_done(struct notifier *n, const char *device, int64_t now_ms);

#endif
