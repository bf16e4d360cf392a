/* The alerting part: the `smtp:` section of `daemon:`, the endpoints of alerts,
 * silences, the audit log and notifications, and the firing alerts that make a
 * device's health. */
#include <stddef.h>

#include "alert_api.h"
#include "dcmon/alert.h"
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

const struct dcmon_part alerting_part = {
	.name = "alerting",
	.daemon_keys = daemon_keys,
	.routes = routes,
	.device_alarms = device_alarms,
};
