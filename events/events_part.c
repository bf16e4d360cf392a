/* The events part: the `syslog:` (receiver) and `events:` (store) sections of
 * `daemon:`, and the search endpoint of the event store. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "events_int.h"
#include "dcmon/alarm_report.h"
#include "dcmon/alert.h"
#include "dcmon/alerting.h"
#include "dcmon/config_keys.h"
#include "dcmon/event_alert.h"
#include "dcmon/log.h"
#include "dcmon/notify.h"
#include "dcmon/part.h"
#include "dcmon/snmp.h"
#include "dcmon/syslog.h"

static const struct cfg_key daemon_keys[] = {
    {.name = "syslog", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = syslog_cfg_keys,
     .elem_size = sizeof(struct cfg_syslog), .init = syslog_cfg_init, .check = syslog_cfg_check},
    {.name = "events", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = events_cfg_keys,
     .elem_size = sizeof(struct cfg_events), .init = events_cfg_init},
    {.name = NULL},
};

const struct cfg_syslog *syslog_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "syslog");
}

struct cfg_syslog *syslog_cfg_mut(struct cfg *cfg)
{
	void **slot = cfg_part_slot(&cfg->daemon, "syslog");
	return slot ? *slot : NULL;
}

const struct cfg_events *events_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "events");
}

/* A syslog: section brings an events: one (events_cfg_resolve): the store's slot is
 * written back. */
static void daemon_resolve(struct cfg_daemon *dm, const char *dir)
{
	struct cfg_syslog *sl = *cfg_part_slot(dm, "syslog");
	void **events_slot = cfg_part_slot(dm, "events");
	struct cfg_events *ev = *events_slot;

	syslog_cfg_resolve(sl, dir);
	events_cfg_resolve(&ev, sl != NULL, dm->state_dir, dir);
	*events_slot = ev;
}

static const char *const search_params[] = {"from", "to", "device", "tenant", "site", "source",
					    "program", "kind", "severity", "flag", "text", "limit",
					    "before", "after", NULL};

/* The approved windows of the login reconciliation: the alert engine's silences,
 * looked up at each login (the alerting part's state may change with a reload). */
static const char *device_window(void *arg, const struct cfg_device *dev, int64_t now_ms)
{
	const struct alerting *al = dcmon_part_state(arg, dcmon_part_index(&alerting_part));
	return al ? alert_engine_device_window(al->engine, dev, now_ms) : NULL;
}

static const struct api_route routes[] = {
	{"GET", "/api/v1/events/search", false, api_get_event_search, search_params, false, false,
	 AUTHZ_ACT_VIEW},
	{.method = NULL},
};

/* The store and the syslog receiver, when the config has their sections (a syslog:
 * section brings an events: one); the alert events and audit records of the change bus
 * go to the store.  On failure *state is kept for events_free. */
static int events_new(const struct part_env *env, void **state)
{
	const struct cfg_events *ec = events_cfg_of(env->cfg);
	const struct cfg_syslog *sl = syslog_cfg_of(env->cfg);
	char err[512] = "";
	struct events_part_state *st = NULL;
	*state = NULL;
	if (!ec)
		return 0;
	if (!(*state = st = calloc(1, sizeof(*st)))) {
		log_msg(LOG_LVL_ERROR, "events", NULL, "out of memory at start-up");
		return -1;
	}
	st->bus = env->bus;
	if (!(st->store = event_store_open(ec, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "events", NULL, "%s", err);
		return -1;
	}
	if (!(st->alarms = alarm_reporter_new(ec->dir, env->wq)) ||
	    event_alerts_subscribe(env->bus, st->store) < 0) {
		log_msg(LOG_LVL_ERROR, "events", NULL, "out of memory at start-up");
		return -1;
	}
	if (sl && !(st->syslogd = syslogd_new(env->loop, sl, env->cfg, st->store, env->reg, err,
					      sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "syslog", NULL, "%s", err);
		return -1;
	}
	if (env->api)
		syslogd_set_windows(st->syslogd, device_window, (void *)env->api);
	return 0;
}

static void events_reload(const struct part_env *env, void **state, const struct cfg *old)
{
	const struct events_part_state *st = *state;
	(void)old;
	if (st)
		syslogd_reload(st->syslogd, env->cfg);
}

/* The receiver first: it stores what its connections held; then every queued event is
 * written. */
static void events_free(void *state)
{
	struct events_part_state *st = state;
	if (!st)
		return;
	syslogd_free(st->syslogd);
	alarm_reporter_free(st->alarms);
	event_alerts_unsubscribe(st->bus, st->store);
	event_store_close(st->store);
	free(st);
}

/* Each second, before any part's tick: the store's self-metrics (space used,
 * partitions evicted, events refused), so the rules judge them in the same second. */
static void events_report(const struct part_env *env, void *state, int64_t now_ms)
{
	struct events_part_state *st = state;
	event_store_report(st->store, env->reg, now_ms);
}

/* Each second: the alarm reports, on their day's and week's schedule. */
static void events_tick(const struct part_env *env, void *state, int64_t now_ms)
{
	struct events_part_state *st = state;
	alarm_reporter_tick(st->alarms, env->cfg, st->notify, st->audit, now_ms);
}

/* A trap name that is an OID ("1.3.6.1.6.3.1.1.5.3"), which needs no MIB. */
static bool oid_text(const char *s)
{
	return s[strspn(s, "0123456789.")] == '\0' && s[0] != '.';
}

/* A log rule written in the configuration file (not an item of the tenant layer, whose
 * own check names no other tenant's device: tenants/layer_limits.c) names devices
 * that exist; a trap name no MIB read defines is a warning: the MIBs are the host's
 * (snmp-mibs-downloader), and such a rule only waits for them, or for the OID. */
static void log_rule_refs(const struct cfg *cfg, const struct cfg_log_rule *r,
			  const struct cfgnode *node, struct cfg_diags *d)
{
	if (!node)
		return;
	bool noc = r->pos.file && cfg->path && strcmp(r->pos.file, cfg->path) == 0;
	for (size_t i = 0; noc && i < r->ndevices; i++)
		cfg_ref_check(cfg, CFG_REF_DEVICE, r->devices[i],
			      &cfg_list_item(node, "devices", i)->pos, "devices", d);
	if (!r->trap || oid_text(r->trap))
		return;
	snmp_mibs_load_cfg(cfg); /* once per process: a reload finds them read */
	if (!snmp_mib_notification_named(r->trap))
		cfg_warning(d, cfg_key_pos(node, "trap"), "syslog rule %s: trap: no MIB module "
			    "read defines a notification '%s' (daemon.snmp_trap.mibs): the rule "
			    "matches traps of that name only once one does; or give its OID",
			    r->name ? r->name : "?", r->trap);
}

static void log_rules_validate(const struct cfg *cfg, const struct cfgnode *root,
			       struct cfg_diags *d)
{
	const struct cfg_syslog *sl = syslog_cfg_of(cfg);
	const struct cfgnode *node = cfgnode_get(cfgnode_get(root, "daemon"), "syslog");
	for (size_t i = 0; sl && node && i < sl->nrules; i++)
		log_rule_refs(cfg, &sl->rules[i], cfg_list_item(node, "rules", i), d);
}

/* The log rules' devices and traps; the alarm reports' routes exist, and so does the
 * e-mail they go by. */
static void events_validate(const struct cfg *cfg, const struct cfgnode *root,
			    struct cfg_diags *d)
{
	log_rules_validate(cfg, root, d);
	const struct cfg_events *ec = events_cfg_of(cfg);
	const struct cfg_alarm_reports *ar = ec ? ec->alarm_reports : NULL;
	const struct cfgnode *node = cfgnode_get(cfgnode_get(cfgnode_get(root, "daemon"),
							     "events"), "alarm_reports");
	if (!ar || !node)
		return;
	for (size_t i = 0; i < ar->ndaily; i++)
		cfg_ref_check(cfg, CFG_REF_ROUTE, ar->daily[i],
			      &cfg_list_item(node, "daily", i)->pos, "daily", d);
	for (size_t i = 0; i < ar->nweekly; i++)
		cfg_ref_check(cfg, CFG_REF_ROUTE, ar->weekly[i],
			      &cfg_list_item(node, "weekly", i)->pos, "weekly", d);
	if (!smtp_cfg_of(cfg))
		cfg_error(d, &ar->pos, "alarm_reports: no e-mail to send them by (add a "
			  "daemon.smtp: section)");
}

const struct dcmon_part events_part = {
	.name = "events",
	.daemon_keys = daemon_keys,
	.daemon_resolve = daemon_resolve,
	.validate = events_validate,
	.routes = routes,
	.new = events_new,
	.reload = events_reload,
	.free = events_free,
	.report = events_report,
	.tick = events_tick,
};
