/* The reports part: the `reports:` section of `daemon:` (the SLA policy), the
 * availability and outage-note endpoints (docs/REPORTS.md) and the recorder of
 * reports.db's history, its state. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "dcmon/avail_report.h"
#include "dcmon/config_keys.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/notify.h"
#include "dcmon/part.h"
#include "reports_int.h"
#include "status_page.h"

#define RT(f) offsetof(struct cfg_report_tenant, f)
static const struct cfg_key tenant_keys[] = {
	{.name = "tenant", .type = CFGK_STRING, .offset = RT(tenant), .required = true},
	{.name = "target", .type = CFGK_DOUBLE, .offset = RT(target_pct), .min = 50, .max = 100,
	 .expect = "a percentage, 50..100"},
	{.name = "planned_counts", .type = CFGK_BOOL, .offset = RT(planned_counts)},
	{.name = NULL},
};

static void tenant_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_report_tenant *)elem = (struct cfg_report_tenant){.pos = node->pos};
}

/* An entry without planned_counts takes the section's: remember whether it was given. */
static int tenant_check(void *elem, const struct cfgnode *node, struct cfg_diags *d, void *ctx)
{
	struct cfg_report_tenant *t = elem;
	(void)d, (void)ctx;
	t->planned_set = cfgnode_get(node, "planned_counts") != NULL;
	return 0;
}

#define MM(f) offsetof(struct cfg_monthly_mail, f)
static const struct cfg_key monthly_mail_keys[] = {
	{.name = "noc_route", .type = CFGK_STRING, .offset = MM(noc_route)},
	{.name = "tenants", .type = CFGK_BOOL, .offset = MM(tenants)},
	{.name = "max_message_kb", .type = CFGK_INT, .offset = MM(max_message_kb), .min = 16,
	 .max = 1048576, .expect = "KiB, 16..1048576"},
	{.name = NULL},
};

static void monthly_mail_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_monthly_mail *)elem = (struct cfg_monthly_mail){
		.tenants = true, .max_message_kb = AVAIL_MAIL_MAX_KB_DEFAULT, .pos = node->pos};
}

static int monthly_mail_check(void *elem, const struct cfgnode *node, struct cfg_diags *d,
			      void *ctx)
{
	const struct cfg_monthly_mail *mm = elem;
	(void)ctx;
	if (mm->noc_route || mm->tenants)
		return 0;
	cfg_error(d, &node->pos, "monthly_mail: nothing to mail (no noc_route and tenants:"
		  " false); remove the section instead");
	return -1;
}

#define RC(f) offsetof(struct cfg_reports, f)
const struct cfg_key reports_cfg_keys[] = {
	{.name = "target", .type = CFGK_DOUBLE, .offset = RC(target_pct), .min = 50, .max = 100,
	 .expect = "a percentage, 50..100"},
	{.name = "planned_counts", .type = CFGK_BOOL, .offset = RC(planned_counts)},
	{.name = "retention", .type = CFGK_DURATION, .offset = RC(retention_ms), .min = 86400000,
	 .max = 3650LL * 86400000},
	{.name = "tenants", .type = CFGK_SEQ, .offset = RC(tenants), .count_offset = RC(ntenants),
	 .sub = tenant_keys, .elem_size = sizeof(struct cfg_report_tenant), .what = "tenant policy",
	 .init = tenant_init, .check = tenant_check},
	{.name = "status_page", .type = CFGK_SECTION, .offset = RC(status_page),
	 .sub = status_page_cfg_keys, .elem_size = sizeof(struct cfg_status_page)},
	{.name = "monthly_mail", .type = CFGK_SECTION, .offset = RC(monthly_mail),
	 .sub = monthly_mail_keys, .elem_size = sizeof(struct cfg_monthly_mail),
	 .init = monthly_mail_init, .check = monthly_mail_check},
	{.name = NULL},
};

void reports_cfg_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)node, (void)ctx;
	*(struct cfg_reports *)elem = (struct cfg_reports){.target_pct = AVAIL_TARGET_DEFAULT * 100,
					       .retention_ms = AVAIL_RETENTION_DEFAULT_MS};
}

static const struct cfg_key daemon_keys[] = {
	{.name = "reports", .type = CFGK_SECTION, .offset = CFG_PART_SECTION, .sub = reports_cfg_keys,
	 .elem_size = sizeof(struct cfg_reports), .init = reports_cfg_init},
	{.name = NULL},
};

/* The node of `daemon.reports:` in the file, or NULL. */
static const struct cfgnode *reports_node(const struct cfgnode *root)
{
	return cfgnode_get(cfgnode_get(root, "daemon"), "reports");
}

/* The status page's components name devices of the configuration. */
static void status_page_validate(const struct cfg *cfg, const struct cfg_status_page *sp,
				 const struct cfgnode *node, struct cfg_diags *d)
{
	const struct cfgnode *list = cfgnode_get(node, "components");
	for (size_t i = 0; sp && list && list->type == CFGNODE_SEQ && i < sp->ncomponents; i++) {
		const struct cfg_status_component *c = &sp->components[i];
		if (i >= list->n)
			break;
		for (size_t j = 0; j < c->ndevices; j++)
			cfg_ref_check(cfg, CFG_REF_DEVICE, c->devices[j],
				      &cfg_list_item(list->items[i], "devices", j)->pos, "devices", d);
	}
}

/* The monthly mail's route exists, and so does the e-mail it goes by. */
static void monthly_mail_validate(const struct cfg *cfg, const struct cfg_monthly_mail *mm,
				  const struct cfgnode *node, struct cfg_diags *d)
{
	if (!mm)
		return;
	cfg_ref_check(cfg, CFG_REF_ROUTE, mm->noc_route, cfg_key_pos(node, "noc_route"),
		      "noc_route", d);
	if (!smtp_cfg_of(cfg))
		cfg_error(d, &mm->pos, "monthly_mail: no e-mail to send it by (add a daemon.smtp:"
			  " section)");
}

/* What `daemon.reports:` names exists: the tenants of its policies, the devices of the
 * status page's components, the monthly mail's route. */
static void reports_validate(const struct cfg *cfg, const struct cfgnode *root,
			     struct cfg_diags *d)
{
	const struct cfg_reports *rc = reports_cfg_of(cfg);
	const struct cfgnode *node = reports_node(root);
	if (!rc || !node)
		return;
	const struct cfgnode *tenants = cfgnode_get(node, "tenants");
	for (size_t i = 0; tenants && tenants->type == CFGNODE_SEQ && i < rc->ntenants; i++)
		if (i < tenants->n)
			cfg_ref_check(cfg, CFG_REF_TENANT, rc->tenants[i].tenant,
				      cfg_key_pos(tenants->items[i], "tenant"), "tenant", d);
	status_page_validate(cfg, rc->status_page, cfgnode_get(node, "status_page"), d);
	monthly_mail_validate(cfg, rc->monthly_mail, cfgnode_get(node, "monthly_mail"), d);
}

const struct cfg_reports *reports_cfg_of(const struct cfg *cfg)
{
	return cfg_part_section(&cfg->daemon, "reports");
}

static const char *const availability_params[] = {"period", "tenant", "format", NULL};
static const char *const no_params[] = {NULL};

static const struct api_route routes[] = {
	{"GET", "/api/v1/reports/availability", false, api_get_availability, availability_params,
	 false, false, AUTHZ_ACT_VIEW},
	/* INCIDENT/notes */
	{"POST", "/api/v1/outages/", true, api_post_outage_note, no_params, true, false,
	 AUTHZ_ACT_SILENCE},
	{"GET", "/api/v1/status-page", false, api_get_status_page, no_params, false, false,
	 AUTHZ_ACT_VIEW},
	/* anyone, logged in or not: what the NOC chose to publish */
	{"GET", "/api/v1/status-page/public", false, api_get_public_status, no_params, false,
	 false, AUTHZ_ACT_SELF},
	/* TOKEN: a secret URL's page, to anyone who has it */
	{"GET", "/api/v1/status-page/s/", true, api_get_shared_status, no_params, false, false,
	 AUTHZ_ACT_SELF},
	{"GET", "/api/v1/status-tokens", false, api_get_status_tokens, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_READ},
	{"POST", "/api/v1/status-tokens", false, api_post_status_token, no_params, false, false,
	 AUTHZ_ACT_ACCOUNTS_MANAGE},
	/* ID */
	{"DELETE", "/api/v1/status-tokens/", true, api_delete_status_token, no_params, false,
	 false, AUTHZ_ACT_ACCOUNTS_MANAGE},
	/* INCIDENT: NOC roles, as the outage notes */
	{"POST", "/api/v1/status-updates/", true, api_post_status_update, no_params, false,
	 false, AUTHZ_ACT_SILENCE},
	{.method = NULL},
};

/* The recorder follows cfg: its retention and the devices it calls configured. */
static void recorder_follow(struct avail_recorder *r, const struct cfg *cfg, int64_t now_ms)
{
	avail_recorder_set_retention(r, avail_report_retention(cfg));
	avail_recorder_devices(r, cfg, now_ms);
}

/* The availability history (reports.db) in the state directory, subscribed to the alert
 * changes: the composition root makes it before the restored alerts are published, so
 * that those still firing open their spans again.  On failure *state is kept for
 * reports_free. */
static int reports_new(const struct part_env *env, void **state)
{
	const char *dir = env->cfg->daemon.state_dir;
	struct reports_part_state *st = calloc(1, sizeof(*st));
	char err[512] = "";
	int64_t now = clock_wall_ms();
	if (!(*state = st)) {
		log_msg(LOG_LVL_ERROR, "reports", NULL, "out of memory at start-up");
		return -1;
	}
	if (!dir)
		return 0;
	if (!(st->recorder = avail_recorder_new(dir, env->bus, NULL, NULL, now, err, sizeof(err)))) {
		log_msg(LOG_LVL_ERROR, "reports", NULL, "%s", err);
		return -1;
	}
	avail_recorder_set_registry(st->recorder, env->reg); /* reports.db's health, self-alerted */
	recorder_follow(st->recorder, env->cfg, now);
	if (!(st->mailer = avail_mailer_new(st->recorder, env->wq))) {
		log_msg(LOG_LVL_ERROR, "reports", NULL, "out of memory at start-up");
		return -1;
	}
	return 0;
}

static void reports_reload(const struct part_env *env, void **state, const struct cfg *old)
{
	struct reports_part_state *st = *state;
	(void)old;
	if (st)
		recorder_follow(st->recorder, env->cfg, clock_wall_ms());
}

/* The run's clean end. */
static void reports_free(void *state)
{
	struct reports_part_state *st = state;
	if (!st)
		return;
	avail_mailer_free(st->mailer); /* after the workers: a job in flight never completes */
	avail_recorder_free(st->recorder, clock_wall_ms());
	free(st);
}

/* reports.db's retention and the monthly mail's schedule. */
static void reports_tick(const struct part_env *env, void *state, int64_t now_ms)
{
	struct reports_part_state *st = state;
	avail_recorder_tick(st->recorder, now_ms);
	avail_mailer_tick(st->mailer, env->cfg, st->notify, st->audit, now_ms);
}

const struct dcmon_part reports_part = {
	.name = "reports",
	.daemon_keys = daemon_keys,
	.validate = reports_validate,
	.routes = routes,
	.new = reports_new,
	.reload = reports_reload,
	.free = reports_free,
	.tick = reports_tick,
};
