/* The status page's API (reports/status_page.h): components, their state now, 90 daily
 * bars and the incidents, built from reports.db's history with the availability
 * report's own code (one report per component and day, its summary's availability). */
#include "status_page.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/avail_report.h"
#include "reports_int.h"

#define DAY_MS 86400000LL

#define SC(f) offsetof(struct cfg_status_component, f)
static const struct cfg_key component_keys[] = {
	{.name = "name", .type = CFGK_STRING, .offset = SC(name), .required = true},
	{.name = "devices", .type = CFGK_STRLIST, .offset = SC(devices),
	 .count_offset = SC(ndevices), .required = true, .expect = "a list of device ids"},
	{.name = NULL},
};

static void component_init(void *elem, const struct cfgnode *node, void *ctx)
{
	(void)ctx;
	*(struct cfg_status_component *)elem = (struct cfg_status_component){.pos = node->pos};
}

#define SP(f) offsetof(struct cfg_status_page, f)
const struct cfg_key status_page_cfg_keys[] = {
	{.name = "public", .type = CFGK_BOOL, .offset = SP(public_page)},
	{.name = "max_own_components", .type = CFGK_INT, .offset = SP(max_own_components),
	 .min = 1, .max = 1000000},
	{.name = "components", .type = CFGK_SEQ, .offset = SP(components),
	 .count_offset = SP(ncomponents), .sub = component_keys,
	 .elem_size = sizeof(struct cfg_status_component), .what = "status page component",
	 .init = component_init},
	{.name = NULL},
};

/* ---- components ---------------------------------------------------------------------- */

/* A component of the page: its name and which devices of the config it is. */
struct component {
	const char *name;
	enum authz_scope *mask; /* per cfg device: ALL in it, OTHER not */
};

struct page {
	struct component *v;
	size_t n;
	const char *tenant; /* whose SLA policy its bars are under; NULL: the section's */
};

static void page_free(struct page *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].mask);
	free(p->v);
}

/* Adds a component of the devices ids[0..n) (unknown ids are no member).  0 or -ENOMEM. */
static int component_add(struct page *p, const struct cfg *cfg, const char *name,
			 const char *const *ids, size_t n)
{
	struct component *c = &p->v[p->n];
	c->name = name;
	c->mask = malloc((cfg->ndevices ? cfg->ndevices : 1) * sizeof(*c->mask));
	if (!c->mask)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->ndevices; i++)
		c->mask[i] = AUTHZ_SCOPE_OTHER;
	for (size_t i = 0; i < n; i++) {
		const struct cfg_device *dev = cfg_device_find(cfg, ids[i]);
		if (dev)
			c->mask[dev - cfg->devices] = AUTHZ_SCOPE_ALL;
	}
	p->n++;
	return 0;
}

/* One component per device the actor may view (scopes NULL: every device). */
static int page_of_actor(struct page *p, const struct cfg *cfg, const enum authz_scope *scopes)
{
	if (!(p->v = calloc(cfg->ndevices + 1, sizeof(*p->v))))
		return -ENOMEM;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const char *id = cfg->devices[i].id;
		if (scopes && scopes[i] == AUTHZ_SCOPE_OTHER)
			continue;
		if (component_add(p, cfg, id, &id, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int page_public(struct page *p, const struct cfg *cfg, const struct cfg_status_page *sp)
{
	if (!(p->v = calloc(sp->ncomponents + 1, sizeof(*p->v))))
		return -ENOMEM;
	for (size_t i = 0; i < sp->ncomponents; i++) {
		const struct cfg_status_component *c = &sp->components[i];
		if (component_add(p, cfg, c->name, (const char *const *)c->devices, c->ndevices) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- daily availability -------------------------------------------------------------- */

/* What a page is built from (on a worker): the history of its 90 days. */
struct page_input {
	const struct cfg *cfg;
	const struct avail_history *h;
	int64_t first_day, now_ms;
};

/* A bar: a day's figures of the component (the summary of the availability report of its
 * devices over that day). */
static json_t *day_json(int64_t day_ms, const struct avail_figures *f)
{
	char date[32];
	reports_iso_time(day_ms, date, sizeof(date));
	date[10] = '\0';
	/* a day dcmond never ran has no availability: "no data", not 100 % */
	return json_pack("{s:s, s:o, s:f, s:f}", "date", date, "availability",
			 f->known_ms > 0 ? json_real(f->availability) : json_null(), "known_s",
			 f->known_ms / 1000.0, "down_s", f->used_ms / 1000.0);
}

/* The component's 90 bars under the SLA policy of tenant (NULL: the section's), from one
 * classification of its devices' history over the 90 days. */
static json_t *days_json(const struct page_input *in, const struct component *c,
			 const char *tenant)
{
	struct avail_figures f[STATUS_PAGE_DAYS];
	struct avail_report_req req = {.cfg = in->cfg, .scopes = c->mask, .period = "days",
				       .policy_tenant = tenant, .from_ms = in->first_day,
				       .to_ms = in->first_day + STATUS_PAGE_DAYS * DAY_MS,
				       .now_ms = in->now_ms};
	if (avail_report_days(&req, in->h, DAY_MS, STATUS_PAGE_DAYS, f) < 0)
		return NULL;
	json_t *days = json_array();
	for (int d = 0; days && d < STATUS_PAGE_DAYS; d++) {
		json_t *day = day_json(in->first_day + d * DAY_MS, &f[d]);
		if (!day || json_array_append_new(days, day) < 0) {
			json_decref(days);
			return NULL;
		}
	}
	return days;
}

/* ---- state now ------------------------------------------------------------------------ */

/* down while a member has a critical alert firing, degraded on a warning, else up. */
static const char *component_state(const struct api_ctx *ctx, const struct component *c)
{
	const struct cfg *cfg = ctx->env->cfg;
	enum cfg_severity worst = SEV_INFO;
	bool any = false;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		if (c->mask[i] == AUTHZ_SCOPE_OTHER)
			continue;
		const struct api_alert_worst *w = api_alert_index_find(ctx, cfg->devices[i].id);
		if (w && (!any || w->severity > worst))
			worst = w->severity, any = true;
	}
	return !any || worst == SEV_INFO ? "up" : worst == SEV_CRITICAL ? "down" : "degraded";
}

static json_t *component_json(const struct page_input *in, const struct component *c,
			      const char *state, const char *tenant)
{
	json_t *days = days_json(in, c, tenant);
	return days ? json_pack("{s:s, s:s, s:o}", "name", c->name, "state", state, "days", days)
		    : NULL;
}

/* ---- the page ------------------------------------------------------------------------- */

/* The devices of any component (the incidents' scope). */
static enum authz_scope *page_mask(const struct page *p, size_t ndevices)
{
	enum authz_scope *m = malloc((ndevices ? ndevices : 1) * sizeof(*m));
	for (size_t i = 0; m && i < ndevices; i++) {
		m[i] = AUTHZ_SCOPE_OTHER;
		for (size_t k = 0; k < p->n; k++)
			if (p->v[k].mask[i] != AUTHZ_SCOPE_OTHER)
				m[i] = AUTHZ_SCOPE_ALL;
	}
	return m;
}

/* Marks the incidents still going on (their end is the history's now), and keeps to
 * the page: a root cause outside it is not named, not even in the incident's id, and
 * notes do not say which operator wrote them. */
static void incidents_finish(json_t *incidents, int64_t now_ms)
{
	size_t i, k;
	json_t *inc, *note;
	json_array_foreach (incidents, i, inc) {
		json_int_t end = json_integer_value(json_object_get(inc, "end_ms"));
		const char *root = json_string_value(json_object_get(inc, "root"));
		json_object_set_new(inc, "ongoing", json_boolean(end >= now_ms));
		if (root && strcmp(root, "upstream equipment") == 0)
			json_object_del(inc, "id");
		json_array_foreach (json_object_get(inc, "notes"), k, note)
			json_object_del(note, "by");
	}
}

static json_t *page_json(const struct page_input *in, const struct page *p,
			 const char *const *states, const char *title)
{
	const struct cfg *cfg = in->cfg;
	json_t *comps = json_array();
	json_t *out = json_pack("{s:s, s:i, s:o}", "title", title, "days", STATUS_PAGE_DAYS,
				"components", comps);
	enum authz_scope *mask = page_mask(p, cfg->ndevices);
	int rc = out && mask ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		json_t *c = component_json(in, &p->v[i], states[i], p->tenant);
		rc = c && json_array_append_new(comps, c) == 0 ? 0 : -ENOMEM;
	}
	if (rc == 0)
		rc = reports_outages_json(cfg, mask, in->h, in->first_day, in->now_ms, out);
	if (rc == 0) /* updates are matched by id, before a hidden root's id goes */
		status_updates_add(cfg->daemon.state_dir, json_object_get(out, "outages"));
	if (rc == 0)
		incidents_finish(json_object_get(out, "outages"), in->now_ms);
	free(mask);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* Reads the history of the page's 90 days (weekly: its weekly windows, read on the loop
 * thread, taken over) and answers the page into resp.  Any thread. */
static void page_build(const struct cfg *cfg, const struct page *p, const char *const *states,
		       const char *title, struct avail_history *weekly, int64_t now_ms,
		       struct api_response *resp)
{
	int64_t today = now_ms - now_ms % DAY_MS;
	struct page_input in = {.cfg = cfg, .first_day = today - (STATUS_PAGE_DAYS - 1) * DAY_MS,
				.now_ms = now_ms};
	struct avail_history h;
	char err[512];
	if (avail_history_read(cfg->daemon.state_dir, in.first_day, now_ms, now_ms, &h, err,
			       sizeof(err)) < 0)
		return api_reply_error(resp, 500, "%s", err);
	if (avail_history_take_planned(&h, weekly) < 0) {
		avail_history_free(&h);
		return api_reply_error(resp, 500, "out of memory");
	}
	in.h = &h;
	json_t *out = page_json(&in, p, states, title);
	avail_history_free(&h);
	if (!out)
		return api_reply_error(resp, 500, "out of memory");
	api_reply_json(resp, 200, out);
}

/* ---- off the loop ---------------------------------------------------------------------- */

/* A page being built on the worker pool (docs/STATUS_PAGE.md): what it needs is copied
 * or held, the state now of its components read on the loop (the alert index). */
struct page_job {
	struct reports_later base; /* its reply: first */
	const struct cfg *cfg; /* held: a reload may replace it meanwhile */
	struct page page;      /* names point into cfg */
	const char **states;
	char *title, *tenant;
	struct avail_history weekly;
	int64_t now_ms;
};

static struct reports_later_list page_jobs; /* in flight */

static void page_job_free(struct page_job *j)
{
	page_free(&j->page);
	free(j->states);
	free(j->title);
	free(j->tenant);
	avail_history_free(&j->weekly);
	cfg_free((struct cfg *)j->cfg); /* gives the hold back */
	free(j);
}

static void page_job_free_base(struct reports_later *b)
{
	page_job_free((struct page_job *)b);
}

static void page_work(void *arg)
{
	struct page_job *j = arg;
	page_build(j->cfg, &j->page, j->states, j->title, &j->weekly, j->now_ms, &j->base.resp);
}

void status_pages_drop(void)
{
	reports_later_drop(&page_jobs);
}

/* A job of page p and states (taken over: p is left empty), or NULL when out of memory
 * (states still the caller's). */
static struct page_job *page_job_new(const struct api_ctx *ctx, struct page *p,
				     const char **states, const char *title)
{
	struct page_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->cfg = cfg_hold(ctx->env->cfg);
	j->page = *p;
	*p = (struct page){0};
	j->title = strdup(title);
	j->tenant = j->page.tenant ? strdup(j->page.tenant) : NULL;
	j->now_ms = ctx->now_ms;
	if (!j->title || (j->page.tenant && !j->tenant)) {
		page_job_free(j);
		return NULL;
	}
	j->page.tenant = j->tenant;
	j->states = states;
	j->base.free_job = page_job_free_base;
	return j;
}

/* Builds the page on a worker and answers later (at once without workers: tools, unit
 * tests); at most STATUS_PAGE_JOBS_MAX at once, another is answered 503 "busy".  The
 * weekly windows and the components' state now are read here, on the loop thread. */
static void reply_page(const struct api_ctx *ctx, struct api_response *resp, struct page *p,
		       const char *title)
{
	int64_t first_day = ctx->now_ms - ctx->now_ms % DAY_MS - (STATUS_PAGE_DAYS - 1) * DAY_MS;
	struct avail_history weekly = {0};
	const char **states = calloc(p->n + 1, sizeof(*states));
	char err[512];
	if (!states)
		return api_reply_error(resp, 500, "out of memory");
	for (size_t i = 0; i < p->n; i++)
		states[i] = component_state(ctx, &p->v[i]);
	if (avail_history_read_weekly(ctx->env->cfg->daemon.state_dir, first_day, ctx->now_ms,
				      &weekly, err, sizeof(err)) < 0) {
		api_reply_error(resp, 500, "%s", err);
		goto out;
	}
	if (!ctx->env->wq) {
		page_build(ctx->env->cfg, p, states, title, &weekly, ctx->now_ms, resp);
		goto out;
	}
	if (page_jobs.n >= STATUS_PAGE_JOBS_MAX) {
		api_reply_error(resp, 503, "busy: %d status pages are being built, try again",
				STATUS_PAGE_JOBS_MAX);
		goto out;
	}
	struct page_job *j = page_job_new(ctx, p, states, title);
	if (!j) {
		api_reply_error(resp, 503, "out of memory");
		goto out;
	}
	j->weekly = weekly;
	return reports_later_run(&page_jobs, ctx->env->wq, page_work, &j->base, resp);
out:
	free(states);
	avail_history_free(&weekly);
}

/* Components of a page of one's devices at most (daemon.reports.status_page.
 * max_own_components): each is a classification of its device's 90 days on a worker. */
static size_t own_components_max(const struct cfg *cfg)
{
	const struct cfg_reports *rc = reports_cfg_of(cfg);
	const struct cfg_status_page *sp = rc ? rc->status_page : NULL;
	return sp && sp->max_own_components > 0 ? (size_t)sp->max_own_components
						: STATUS_PAGE_OWN_MAX_DEFAULT;
}

void api_get_status_page(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct authz_actor *a = ctx->req->actor;
	size_t max = own_components_max(ctx->env->cfg);
	struct page p = {0};
	if (page_of_actor(&p, ctx->env->cfg, ctx->scopes) < 0)
		api_reply_error(resp, 500, "out of memory");
	else if (p.n > max)
		api_reply_error(resp, 422, "%zu devices: a status page of one's devices shows at most"
				" %zu (daemon.reports.status_page.max_own_components); publish"
				" components in daemon.reports.status_page", p.n, max);
	else {
		p.tenant = a && a->tenant[0] ? a->tenant : NULL;
		reply_page(ctx, resp, &p, p.tenant ? p.tenant : "status");
	}
	page_free(&p);
}

void status_page_reply_tenant(const struct api_ctx *ctx, struct api_response *resp,
			      const char *tenant)
{
	const struct cfg *cfg = ctx->env->cfg;
	struct authz_actor viewer = {.role = AUTHZ_ROLE_TENANT_OPERATOR};
	enum authz_scope *scopes = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof(*scopes));
	struct page p = {0};
	snprintf(viewer.tenant, sizeof(viewer.tenant), "%s", tenant);
	if (scopes)
		authz_device_scopes(cfg, &viewer, scopes);
	p.tenant = tenant;
	if (!scopes || page_of_actor(&p, cfg, scopes) < 0)
		api_reply_error(resp, 500, "out of memory");
	else
		reply_page(ctx, resp, &p, tenant);
	page_free(&p);
	free(scopes);
}

void api_get_public_status(const struct api_ctx *ctx, struct api_response *resp)
{
	const struct cfg_reports *rc = reports_cfg_of(ctx->env->cfg);
	const struct cfg_status_page *sp = rc ? rc->status_page : NULL;
	struct page p = {0};
	if (!sp || !sp->public_page)
		return api_reply_error(resp, 404, "no public status page (daemon.reports.status_page)");
	if (page_public(&p, ctx->env->cfg, sp) < 0)
		api_reply_error(resp, 500, "out of memory");
	else
		reply_page(ctx, resp, &p, "status");
	page_free(&p);
}
