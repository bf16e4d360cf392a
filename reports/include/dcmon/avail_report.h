/* An availability report (docs/REPORTS.md): the figures of every device, service check,
 * tenant, site and facility subsystem in scope over a period, and the outage log; built
 * as one JSON document and rendered from it as text or HTML.
 *
 * Threads: any (the cfg is read only).
 */
#ifndef DCMON_AVAIL_REPORT_H
#define DCMON_AVAIL_REPORT_H

#include <jansson.h>
#include <stdint.h>

#include "dcmon/authz.h"
#include "dcmon/avail_store.h"
#include "dcmon/cfgtree.h"
#include "dcmon/config.h"
#include "dcmon/strbuf.h"

#define AVAIL_TARGET_DEFAULT 0.9999

struct cfg_status_page; /* reports/status_page.h */

/* `daemon.reports:` (docs/CONFIG.md "reports"). */
struct cfg_report_tenant {
	char *tenant;
	double target_pct;   /* 0 = the section's */
	bool planned_counts; /* when planned_set; else the section's */
	bool planned_set;
	struct cfg_pos pos;
};
/* `daemon.reports.monthly_mail:` (docs/REPORTS.md "The monthly mail"). */
/* A message's size at most, KiB, by default: 10,240,000 bytes, Postfix's own
 * message_size_limit (daemon.reports.monthly_mail.max_message_kb). */
#define AVAIL_MAIL_MAX_KB_DEFAULT 10000
struct cfg_monthly_mail {
	char *noc_route; /* the NOC's report of everything to this route's addresses; NULL: none */
	bool tenants;    /* each tenant's report to its own addresses; default true */
	int max_message_kb; /* a message's size at most (graphs, then HTML, then text cut) */
	struct cfg_pos pos;
};
struct cfg_reports {
	double target_pct;   /* percent, default 99.99 */
	bool planned_counts; /* default false: planned downtime is not held against the SLA */
	struct cfg_report_tenant *tenants; /* per-tenant policy */
	size_t ntenants;
	struct cfg_status_page *status_page; /* NULL: no public status page */
	int64_t retention_ms; /* reports.db's history kept this long; default 400 days */
	struct cfg_monthly_mail *monthly_mail; /* NULL: no monthly mail */
};
extern const struct cfg_key reports_cfg_keys[];
void reports_cfg_init(void *elem, const struct cfgnode *node, void *ctx);
/* The `daemon.reports:` section of cfg (the reports part's own, dcmon/part.h), or NULL
 * for the defaults. */
const struct cfg_reports *reports_cfg_of(const struct cfg *cfg);

/* What to report on. */
struct avail_report_req {
	const struct cfg *cfg;
	const char *tenant;   /* NULL: the NOC's report of everything */
	/* Whose SLA policy a report without tenant is under (a tenant's status page, one
	 * report per component); NULL: the section's. */
	const char *policy_tenant;
	/* A site's wall: the devices it may view (authz_device_scopes, one per device of
	 * cfg) and its site's name; NULL for a tenant's report or the NOC's. */
	const enum authz_scope *scopes;
	const char *site;
	const char *period;   /* as asked ("2026-11"), shown in the report */
	int64_t from_ms, to_ms; /* the period; to_ms past now_ms is cut at now_ms */
	int64_t now_ms;
};

/* daemon.reports.retention, or its default without a `reports:` section. */
int64_t avail_report_retention(const struct cfg *cfg);

/* The policy of req's tenant (the NOC's report: the section's own). */
void avail_report_policy(const struct cfg *cfg, const char *tenant, struct avail_policy *out);

/* Builds the report from history h.  A tenant's report holds its devices and the shared
 * infrastructure feeding them (authz_device_scopes) and never another tenant's name.
 * NULL when out of memory. */
json_t *avail_report_build(const struct avail_report_req *req, const struct avail_history *h);

/* The summary figures of req's devices on each of ndays days of day_ms from req->from_ms
 * (req->to_ms their end), into out[ndays]: what avail_report_build's summary says over
 * each day (the last one cut at req->now_ms), from one classification of the whole
 * range.  The status page's daily bars.  0 or -ENOMEM. */
int avail_report_days(const struct avail_report_req *req, const struct avail_history *h,
		      int64_t day_ms, size_t ndays, struct avail_figures *out);

/* Renders a report as plain text or as a self-contained HTML page into out.
 * 0 or -ENOMEM. */
int avail_report_text(const json_t *rep, struct strbuf *out);
int avail_report_html(const json_t *rep, struct strbuf *out);

/* The graphs an HTML report shows around each incident: its root's key values (the
 * root's checks that were down, else the first affected object) from before its start
 * to after its end, read from cfg's RRD archive and drawn by librrd as PNG, added to
 * each incident of rep as "graphs": [{"object", "png": base64}] (an object without an
 * archive gets none).  Bounded: the first AVAIL_GRAPHS_INCIDENTS_MAX incidents, at most
 * AVAIL_GRAPHS_PER_INCIDENT graphs each (about 15 KB and 20 ms a graph).  Any thread.
 * 0 or -ENOMEM. */
#define AVAIL_GRAPHS_INCIDENTS_MAX 100
#define AVAIL_GRAPHS_PER_INCIDENT 3
int avail_report_graphs(const struct cfg *cfg, json_t *rep);
/* The graphs for a mail, which many clients do not show as data: URIs: the same graphs,
 * each added to its incident as {"object", "cid"} with its PNG moved into *im (the
 * message's inline images, <img src="cid:...">), up to AVAIL_MAIL_GRAPH_BYTES of PNG in
 * all; past that an incident's graphs are left out (the API's report has them).
 * avail_images_free frees them.  0 or -ENOMEM. */
#define AVAIL_MAIL_GRAPH_BYTES (512 * 1024)
struct avail_image {
	char cid[24];       /* "graph-3" */
	unsigned char *png; /* malloc'd */
	size_t len;
};
struct avail_images {
	struct avail_image *v;
	size_t n, cap, bytes;
};
int avail_report_graphs_inline(const struct cfg *cfg, json_t *rep, struct avail_images *im);
void avail_images_free(struct avail_images *im);

/* ---- the monthly mail (reports/avail_mail.c) ---------------------------------------- */

struct notifier;      /* dcmon/notify.h */
struct avail_recorder; /* dcmon/avail_store.h */
struct workq;
struct alert_engine; /* dcmon/alert.h */
struct avail_mailer;

/* The monthly mail: on the first tick of a month (the one scheduled-mail mechanism,
 * dcmon/notify_sched.h: after a stop, each month missed, oldest first, up to 12), the
 * month just ended is reported, each tenant's report to
 * its own addresses and the NOC's to daemon.reports.monthly_mail.noc_route, as HTML with
 * its text, through the notifier's spool; the month is marked mailed once every message
 * is spooled.  The reports are built on the worker pool wq (NULL: at once, for tests).
 * Loop thread.  NULL when out of memory. */
struct avail_mailer *avail_mailer_new(struct avail_recorder *r, struct workq *wq);
/* Looks at the schedule at now_ms with the configuration in force (no monthly_mail: no
 * look) and mails through n; months skipped past the catch-up limit are audited in
 * audit's log (may be NULL).  Call every second. */
void avail_mailer_tick(struct avail_mailer *m, const struct cfg *cfg, struct notifier *n,
		       struct alert_engine *audit, int64_t now_ms);
/* Frees the mailer, and a job whose completion never came (after the worker pool is
 * freed: the month stays due, built again at the next start).  NULL is a no-op. */
void avail_mailer_free(struct avail_mailer *m);

struct dcmon_part; /* dcmon/part.h */
/* reports/reports_part.c; its state (dcmon/part.h), which its routes read as ctx->part: */
extern const struct dcmon_part reports_part;
struct alert_engine;
struct reports_part_state {
	struct avail_recorder *recorder; /* reports.db's history; NULL without a state_dir */
	struct avail_mailer *mailer;     /* the monthly mail, on recorder's schedule */
	/* the rule engine whose audit log records outage notes, status updates and status
	 * tokens (the composition root's; NULL: they are refused) */
	struct alert_engine *audit;
	/* the notifier whose spool the monthly mail goes through (the composition root's;
	 * NULL: no mail) */
	struct notifier *notify;
};
/* The API builds reports on the worker pool (api_env.wq), at most this many at once
 * (each holds one of the pool's workers): another one answers 503. */
#define AVAIL_REPORT_JOBS_MAX 2
/* Answers the reports still being built 503 and frees them: their completions never
 * come once the worker pool is freed (the daemon's stop, after workq_free and the
 * transports). */
void avail_reports_drop(void);

#endif
