/* The alerting part: the `smtp:` section of `daemon:`, the endpoints of alerts,
 * silences, the audit log and notifications, the firing alerts that make a device's
 * health, and the lifecycle of its state (struct alerting, dcmon/alerting.h): the rule
 * engine and the e-mail notifier. */
#include <stddef.h>
#include <stdlib.h>

#include "alert_api.h"
#include "dcmon/alert.h"
#include "dcmon/alerting.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/notify.h"
#include "dcmon/part.h"

static const struct cfg_key daemon_keys[] = {
    {.name = "smtp", .type = CFGK_SECTION, .offset = CFG_PART_SECTION,
     .sub = notify_smtp_cfg_keys, .elem_size = sizeof(struct cfg_smtp),
     .init = notify_smtp_cfg_init, .check = notify_smtp_cfg_check},
    {.name = NULL},
};

const struct cfg_smtp *smtp_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "smtp");
}

static const char *const no_params[] = {NULL};
static const char *const alerts_params[] = {"state", "severity", "device", "rule", "site",
					    "room", "tenant", "kind", "acked", "silenced", NULL};
static const char *const notifications_params[] = {"state", "limit", NULL};
static const char *const test_email_params[] = {"route", NULL};
static const char *const audit_params[] = {"limit", "after", "action", "target", NULL};
static const char *const verify_params[] = {"checkpoint", NULL};
static const char *const export_params[] = {"since", "until", NULL};
static const char *const tenant_params[] = {"tenant", NULL};
static const char *const confirm_params[] = {"token", NULL};

static const struct api_route routes[] = {
	{"GET", "/api/v1/alerts", false, api_get_alerts, alerts_params, false, false, AUTHZ_ACT_VIEW},
	{"GET", "/api/v1/alerts/", true, api_get_alert, no_params, false, false, AUTHZ_ACT_VIEW},
	{"POST", "/api/v1/alerts/", true, api_post_alert, no_params, true, false, AUTHZ_ACT_ACK},
	{"GET", "/api/v1/silences", false, api_get_silences, no_params, false, false,
	 AUTHZ_ACT_VIEW},
	{"POST", "/api/v1/silences", false, api_post_silences, no_params, false, false,
	 AUTHZ_ACT_SILENCE},
	{"DELETE", "/api/v1/silences/", true, api_delete_silence, no_params, false, false,
	 AUTHZ_ACT_SILENCE},
	/* maintenance entries: asked by one account, approved by another (maintenance.c) */
	{"GET", "/api/v1/maintenance", false, api_get_maintenance, no_params, false, false,
	 AUTHZ_ACT_VIEW},
	{"POST", "/api/v1/maintenance", false, api_post_maintenance, no_params, false, false,
	 AUTHZ_ACT_MAINTENANCE},
	{"POST", "/api/v1/maintenance/", true, api_post_maintenance_decide, no_params, true,
	 false, AUTHZ_ACT_MAINTENANCE_APPROVE},
	{"DELETE", "/api/v1/maintenance/", true, api_delete_maintenance, no_params, false, false,
	 AUTHZ_ACT_MAINTENANCE},
	{"GET", "/api/v1/audit", false, api_get_audit, audit_params, false, true,
	 AUTHZ_ACT_AUDIT_READ},
	{"GET", "/api/v1/audit/verify", false, api_get_audit_verify, verify_params, false, true,
	 AUTHZ_ACT_AUDIT_READ},
	{"GET", "/api/v1/audit/export", false, api_get_audit_export, export_params, false, true,
	 AUTHZ_ACT_AUDIT_READ},
	/* alert e-mail: recipients' addresses and sending are admin matters */
	{"GET", "/api/v1/notifications", false, api_get_notifications, notifications_params, false,
	 true, AUTHZ_ACT_NOTIFY_ADMIN},
	{"POST", "/api/v1/notifications/test", false, api_post_test_email, test_email_params, false,
	 true, AUTHZ_ACT_NOTIFY_ADMIN},
	/* a tenant's own recipients (notify_recipients.c); the confirmation link's token is
	 * its credential, so anyone may follow it */
	{"GET", "/api/v1/recipients", false, api_get_recipients, tenant_params, false, false,
	 AUTHZ_ACT_RECIPIENTS},
	{"POST", "/api/v1/recipients", false, api_post_recipients, no_params, false, false,
	 AUTHZ_ACT_RECIPIENTS},
	{"GET", "/api/v1/recipients/confirm", false, api_get_recipient_confirm, confirm_params,
	 false, false, AUTHZ_ACT_SELF},
	{"POST", "/api/v1/recipients/", true, api_post_recipient, no_params, true, false,
	 AUTHZ_ACT_RECIPIENTS},
	{"DELETE", "/api/v1/recipients/", true, api_delete_recipient, no_params, false, false,
	 AUTHZ_ACT_RECIPIENTS},
	{.method = NULL},
};

static bool add_firing(void *arg, const struct alert_view *av)
{
	if (av->state != ALERT_FIRING)
		return true;
	return api_alert_index_add(arg, av->device, av->severity,
				   av->summary ? av->summary : av->rule);
}

static void device_alarms(void *part, const struct api_ctx *ctx, struct api_alert_index *idx)
{
	const struct alerting *a = part;
	if (a && a->engine)
		alert_engine_foreach(a->engine, ctx->now_ms, add_firing, idx);
}

/* The engine with the profiles' rules and its restored state (alerts.db), publishing
 * on the bus, then the notifier, which subscribes there (notify.db).  On failure
 * *state is kept for alerting_free. */
static int alerting_new(const struct part_env *env, void **state)
{
	const struct cfg *cfg = env->cfg;
	char err[512] = "";
	struct alerting *a = calloc(1, sizeof(*a));
	if (!(*state = a)) {
		log_msg(LOG_LVL_ERROR, "alert", NULL, "out of memory at start-up");
		return -1;
	}
	a->engine = alert_engine_new(cfg, env->profile_rules, env->nprofile_rules,
				     cfg->daemon.state_dir, err, sizeof(err));
	if (!a->engine) {
		log_msg(LOG_LVL_ERROR, "alert", NULL, "%s", err);
		return -1;
	}
	alert_engine_set_bus(a->engine, env->bus);
	if (alert_engine_set_workq(a->engine, env->wq) < 0) /* baselines' history off the loop */
		return -1;
	struct notify_env ne = {.loop = env->loop, .wq = env->wq, .reg = env->reg,
				.bus = env->bus, .cfg = cfg, .state_dir = cfg->daemon.state_dir,
				.arc = env->arc};
	if (!(a->notify = notifier_new(&ne, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "notify", NULL, "%s", err);
		return -1;
	}
	return 0;
}

/* The new rules, compiled: the one step of a reload that may fail for want of memory
 * (the engine says so), so it refuses the reload before anything changes. */
static int alerting_prepare(const struct part_env *env, void *state)
{
	struct alerting *a = state;
	return alert_engine_prepare(a->engine, env->cfg, env->profile_rules,
				    env->nprofile_rules) < 0 ? -1 : 0;
}

static void alerting_commit(const struct part_env *env, void *state)
{
	struct alerting *a = state;
	(void)env;
	alert_engine_commit(a->engine, clock_wall_ms()); /* out of memory: logged, some
							  * metrics unmatched until the next */
}

static void alerting_cancel(void *state)
{
	struct alerting *a = state;
	alert_engine_cancel(a->engine);
}

/* The notifier's routes, before the settle inputs take the new chains: a notification
 * they release goes by the new routes. */
static void alerting_reload(const struct part_env *env, void **state, const struct cfg *old)
{
	struct alerting *a = *state;
	(void)old;
	if (a)
		notifier_reload(a->notify, env->cfg);
}

/* The notifier first: no SMTP session runs any more (the work queue has drained); the
 * engine before the registry whose metrics it indexes (the daemon frees that after
 * every part). */
static void alerting_free(void *state)
{
	struct alerting *a = state;
	if (!a)
		return;
	notifier_free(a->notify);
	alert_engine_free(a->engine);
	free(a);
}

static void alerting_tick(const struct part_env *env, void *state, int64_t now_ms)
{
	struct alerting *a = state;
	(void)env;
	alert_engine_tick(a->engine, now_ms);
}

static void alerting_clock_stepped(void *state, int64_t step_ms)
{
	struct alerting *a = state;
	alert_engine_clock_stepped(a->engine, step_ms);
	notifier_clock_stepped(a->notify, step_ms);
}

const struct dcmon_part alerting_part = {
	.name = "alerting",
	.daemon_keys = daemon_keys,
	.routes = routes,
	.device_alarms = device_alarms,
	.new = alerting_new,
	.reload = alerting_reload,
	.free = alerting_free,
	.stage = PART_STAGE_PIPELINE,
	.prepare = alerting_prepare,
	.commit = alerting_commit,
	.cancel = alerting_cancel,
	.reload_phase = PART_RELOAD_EARLY,
	.tick = alerting_tick,
	.clock_stepped = alerting_clock_stepped,
};
