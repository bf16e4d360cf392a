/* Builds an availability report from the stored history: per check, device, tenant,
 * site and facility subsystem, and the outage log grouped by suppression root
 * (dcmon/avail_report.h). */
#include "dcmon/avail_report.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/api_route.h"
#include "dcmon/authz.h"
#include "reports_int.h"

/* One device of the scope with its classified time. */
struct rep_dev {
	const char *id;
	const struct cfg_device *dev; /* NULL: a device no longer configured */
	struct avail_class cls;
	json_t *checks; /* array of the checks' figures */
	/* dcmond not running, or the device not in its configuration (not polled) */
	struct avail_spans unknown;
};

struct rep {
	const struct avail_report_req *req;
	const struct avail_history *h;
	struct avail_policy pol;
	int64_t from, to;          /* the period, cut at now */
	struct avail_spans unknown;
	enum authz_scope *scopes;  /* of req->tenant's actor, NULL for the NOC's report */
	struct rep_dev *devs;      /* every device in scope, cfg order, then unconfigured */
	size_t ndevs;
	size_t *slot;              /* cfg->devices index -> devs index, SIZE_MAX: out of scope */
	size_t nconfigured;        /* devs[0..nconfigured) are configured devices */
};

/* ---- policy ------------------------------------------------------------------------ */

int64_t avail_report_retention(const struct cfg *cfg)
{
	const struct cfg_reports *rc = reports_cfg_of(cfg);
	return rc ? rc->retention_ms : AVAIL_RETENTION_DEFAULT_MS;
}

void avail_report_policy(const struct cfg *cfg, const char *tenant, struct avail_policy *out)
{
	const struct cfg_reports *rc = reports_cfg_of(cfg);
	out->target = rc ? rc->target_pct / 100.0 : AVAIL_TARGET_DEFAULT;
	out->planned_counts = rc ? rc->planned_counts : false;
	for (size_t i = 0; rc && tenant && i < rc->ntenants; i++) {
		const struct cfg_report_tenant *t = &rc->tenants[i];
		if (strcmp(t->tenant, tenant) != 0)
			continue;
		if (t->target_pct > 0)
			out->target = t->target_pct / 100.0;
		if (t->planned_set)
			out->planned_counts = t->planned_counts;
	}
}

/* ---- scope ------------------------------------------------------------------------- */

/* The scope of every device for the tenant's viewer (the authorization point's own
 * computation: its devices and the shared infrastructure feeding them); NULL for none. */
static enum authz_scope *tenant_scopes(const struct cfg *cfg, const char *tenant)
{
	struct authz_actor actor = {.role = AUTHZ_ROLE_TENANT_OPERATOR};
	enum authz_scope *s = calloc(cfg->ndevices ? cfg->ndevices : 1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(actor.tenant, sizeof(actor.tenant), "%s", tenant);
	authz_device_scopes(cfg, &actor, s);
	return s;
}

static bool dev_in_scope(const struct rep *r, const struct cfg_device *dev)
{
	if (!r->scopes)
		return true;
	return dev && r->scopes[dev - r->req->cfg->devices] != AUTHZ_SCOPE_OTHER;
}

/* ---- per object -------------------------------------------------------------------- */

static const char *object_metric(const char *object, char *buf, size_t len)
{
	const char *slash = strchr(object, '/');
	snprintf(buf, len, "%s", slash ? slash + 1 : object);
	buf[strcspn(buf, ":")] = '\0';
	return buf;
}

static bool opt_eq(const char *want, const char *have)
{
	return !want || (have && strcmp(want, have) == 0);
}

static bool window_covers(const struct rep *r, const struct avail_window *w,
			  const struct rep_dev *d, const char *metric)
{
	const struct cfg_device *dev = d->dev;
	if (!opt_eq(w->device, d->id) || !opt_eq(w->metric, metric))
		return false;
	if (!dev)
		return !w->site && !w->tenant && !w->kind;
	return opt_eq(w->site, dev->loc.site) &&
	       opt_eq(w->tenant, api_device_tenant(r->req->cfg, dev)) &&
	       opt_eq(w->kind, dev_kind_name(dev->kind));
}

/* Classifies one object's down spans spans[0..n) and adds it to its device. */
static int object_add(struct rep *r, struct rep_dev *d, const struct avail_down *spans,
		      size_t n)
{
	struct avail_spans down = {0}, planned = {0};
	struct avail_class cls = {0};
	struct avail_figures f;
	char metric[256];
	const char *object = spans[0].object;
	int rc = 0;

	object_metric(object, metric, sizeof(metric));
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = avail_spans_add(&down, spans[i].start_ms, spans[i].end_ms);
	for (size_t i = 0; i < r->h->nplanned && rc == 0; i++)
		if (window_covers(r, &r->h->planned[i], d, metric))
			rc = avail_spans_add(&planned, r->h->planned[i].start_ms,
					     r->h->planned[i].end_ms);
	if (rc == 0)
		rc = avail_classify(&down, &planned, &d->unknown, r->from, r->to, &cls);
	if (rc == 0)
		rc = avail_class_merge(&d->cls, &cls);
	if (rc == 0) {
		avail_figures_compute(&cls, &d->unknown, r->from, r->to, &r->pol, &f);
		json_t *o = reports_figures_json(&f);
		if (!o || json_object_set_new(o, "object", json_string(object)) < 0 ||
		    json_array_append_new(d->checks, o) < 0)
			rc = -ENOMEM;
	}
	avail_spans_free(&down);
	avail_spans_free(&planned);
	avail_class_free(&cls);
	return rc;
}

/* The device of the scope named id (the configured ones through the config's index). */
static struct rep_dev *dev_find(struct rep *r, const char *id)
{
	const struct cfg_device *dev = cfg_device_find(r->req->cfg, id);
	if (dev) {
		size_t k = r->slot[dev - r->req->cfg->devices];
		return k == SIZE_MAX ? NULL : &r->devs[k];
	}
	for (size_t i = r->nconfigured; i < r->ndevs; i++)
		if (strcmp(r->devs[i].id, id) == 0)
			return &r->devs[i];
	return NULL;
}

/* A device's unknown time from its configured spans (in d->unknown on entry): dcmond's
 * absence, and the time it was not in dcmond's configuration (added later, or removed
 * and added again), since that is recorded.  A group is known whenever dcmond ran: a
 * member not polled adds no downtime to it. */
static int dev_unknown(const struct rep *r, struct rep_dev *d)
{
	struct avail_spans all = {0}, present = d->unknown;
	int rc = avail_spans_add(&all, r->from, r->to);
	d->unknown = (struct avail_spans){0};
	if (rc == 0 && r->h->configured_since > r->from)
		rc = avail_spans_add(&present, r->from, r->h->configured_since);
	if (rc == 0) {
		avail_spans_normalize(&present, r->from, r->to);
		rc = avail_spans_subtract(&all, &present, &d->unknown);
	}
	if (rc == 0)
		rc = avail_spans_merge(&d->unknown, &r->unknown);
	if (rc == 0)
		avail_spans_normalize(&d->unknown, r->from, r->to);
	avail_spans_free(&all);
	avail_spans_free(&present);
	return rc;
}

/* Every device's unknown time, from the history's configured spans; then its degraded
 * time, known time only (its down time is taken out when it is settled). */
static int devs_unknown(struct rep *r)
{
	int rc = 0;
	for (size_t i = 0; i < r->h->nconfigured && rc == 0; i++) {
		const struct avail_down *c = &r->h->configured[i];
		struct rep_dev *d = dev_find(r, c->device);
		if (d)
			rc = avail_spans_add(&d->unknown, c->start_ms, c->end_ms);
	}
	for (size_t i = 0; i < r->h->ndegraded && rc == 0; i++) {
		const struct avail_down *g = &r->h->degraded[i];
		struct rep_dev *d = dev_find(r, g->device);
		if (d)
			rc = avail_spans_add(&d->cls.degraded, g->start_ms, g->end_ms);
	}
	for (size_t i = 0; i < r->ndevs && rc == 0; i++) {
		struct rep_dev *d = &r->devs[i];
		if ((rc = dev_unknown(r, d)) == 0) {
			avail_spans_normalize(&d->cls.degraded, r->from, r->to);
			rc = avail_spans_remove(&d->cls.degraded, &d->unknown);
		}
	}
	return rc;
}

/* A device the history names that is configured no more, once. */
static void unconfigured_add(struct rep *r, const char *id)
{
	if (!cfg_device_find(r->req->cfg, id) && !dev_find(r, id))
		r->devs[r->ndevs++] = (struct rep_dev){.id = id};
}

/* The devices of the scope: every configured one in it, then those the history names
 * that are configured no more (the NOC's report only). */
static int devs_collect(struct rep *r)
{
	const struct cfg *cfg = r->req->cfg;
	r->devs = calloc(cfg->ndevices + r->h->ndown + r->h->ndegraded + 1, sizeof(*r->devs));
	r->slot = calloc(cfg->ndevices + 1, sizeof(*r->slot));
	if (!r->devs || !r->slot)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		r->slot[i] = SIZE_MAX;
		if (!dev_in_scope(r, &cfg->devices[i]))
			continue;
		r->slot[i] = r->ndevs;
		r->devs[r->ndevs++] = (struct rep_dev){.id = cfg->devices[i].id,
						       .dev = &cfg->devices[i]};
	}
	r->nconfigured = r->ndevs;
	for (size_t i = 0; !r->scopes && i < r->h->ndown; i++)
		unconfigured_add(r, r->h->down[i].device);
	for (size_t i = 0; !r->scopes && i < r->h->ndegraded; i++)
		unconfigured_add(r, r->h->degraded[i].device);
	for (size_t i = 0; i < r->ndevs; i++)
		if (!(r->devs[i].checks = json_array()))
			return -ENOMEM;
	return devs_unknown(r);
}

static int down_cmp(const void *a, const void *b)
{
	const struct avail_down *x = a, *y = b;
	int c = strcmp(x->object, y->object);
	return c ? c : (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

/* Classifies every object of the history, in runs of one object. */
static int objects_classify(struct rep *r, struct avail_down *sorted, size_t n)
{
	size_t lo = 0;
	int rc = 0;
	while (lo < n && rc == 0) {
		size_t hi = lo + 1;
		while (hi < n && strcmp(sorted[hi].object, sorted[lo].object) == 0)
			hi++;
		struct rep_dev *d = dev_find(r, sorted[lo].device);
		if (d)
			rc = object_add(r, d, sorted + lo, hi - lo);
		lo = hi;
	}
	return rc;
}

/* ---- groups ------------------------------------------------------------------------ */

static const char *subsystem_of(enum dev_kind k)
{
	switch (k) {
	case DEV_UPS: case DEV_GENERATOR: case DEV_PDU: case DEV_ATS: case DEV_UTILITY:
		return "power";
	case DEV_COOLING:
		return "cooling";
	default:
		return NULL;
	}
}

typedef bool (*member_fn)(const struct rep *r, const struct rep_dev *d, const void *arg);

/* The figures of the devices member() picks, down while any of them is. */
static json_t *group_json(const struct rep *r, const char *name, member_fn member,
			  const void *arg)
{
	struct avail_class cls = {0};
	struct avail_figures f;
	json_t *o = NULL;
	int rc = 0;
	for (size_t i = 0; i < r->ndevs && rc == 0; i++)
		if (member(r, &r->devs[i], arg))
			rc = avail_class_merge(&cls, &r->devs[i].cls);
	if (rc == 0 && avail_class_settle(&cls, r->from, r->to) == 0) {
		avail_figures_compute(&cls, &r->unknown, r->from, r->to, &r->pol, &f);
		o = reports_figures_json(&f);
		if (o && name)
			json_object_set_new(o, "name", json_string(name));
	}
	avail_class_free(&cls);
	return o;
}

static bool member_all(const struct rep *r, const struct rep_dev *d, const void *arg)
{
	(void)r, (void)d, (void)arg;
	return true;
}

static bool member_site(const struct rep *r, const struct rep_dev *d, const void *arg)
{
	(void)r;
	return d->dev && opt_eq(arg, d->dev->loc.site) && d->dev->loc.site;
}

static bool member_subsystem(const struct rep *r, const struct rep_dev *d, const void *arg)
{
	(void)r;
	const char *s = d->dev ? subsystem_of(d->dev->kind) : NULL;
	return s && strcmp(s, arg) == 0;
}

static bool member_scope(const struct rep *r, const struct rep_dev *d, const void *arg)
{
	const enum authz_scope *scopes = arg;
	return d->dev && scopes[d->dev - r->req->cfg->devices] != AUTHZ_SCOPE_OTHER;
}

static int append_group(json_t *arr, json_t *g)
{
	return g ? json_array_append_new(arr, g) : -ENOMEM;
}

static int sites_json(const struct rep *r, json_t *out)
{
	const struct cfg *cfg = r->req->cfg;
	json_t *arr = json_array();
	int rc = arr ? 0 : -ENOMEM;
	for (size_t i = 0; i < cfg->nsites && rc == 0; i++) {
		bool any = false;
		for (size_t k = 0; k < r->ndevs && !any; k++)
			any = member_site(r, &r->devs[k], cfg->sites[i].id);
		if (any)
			rc = append_group(arr, group_json(r, cfg->sites[i].id, member_site,
							  cfg->sites[i].id));
	}
	return rc == 0 ? json_object_set_new(out, "sites", arr) : (json_decref(arr), rc);
}

static int subsystems_json(const struct rep *r, json_t *out)
{
	static const char *const names[] = {"power", "cooling"};
	json_t *arr = json_array();
	int rc = arr ? 0 : -ENOMEM;
	for (size_t i = 0; i < 2 && rc == 0; i++)
		rc = append_group(arr, group_json(r, names[i], member_subsystem, names[i]));
	return rc == 0 ? json_object_set_new(out, "subsystems", arr) : (json_decref(arr), rc);
}

/* The NOC's report has one entry per tenant, each over the tenant's own scope. */
static int tenants_json(const struct rep *r, json_t *out)
{
	const struct cfg *cfg = r->req->cfg;
	json_t *arr = json_array();
	int rc = arr ? 0 : -ENOMEM;
	for (size_t i = 0; i < cfg->ntenants && rc == 0 && !r->scopes; i++) {
		enum authz_scope *s = tenant_scopes(cfg, cfg->tenants[i].id);
		rc = s ? append_group(arr, group_json(r, cfg->tenants[i].id, member_scope, s))
		       : -ENOMEM;
		free(s);
	}
	return rc == 0 ? json_object_set_new(out, "tenants", arr) : (json_decref(arr), rc);
}

static int devices_json(const struct rep *r, json_t *out)
{
	json_t *arr = json_array();
	int rc = arr ? 0 : -ENOMEM;
	for (size_t i = 0; i < r->ndevs && rc == 0; i++) {
		struct rep_dev *d = &r->devs[i];
		struct avail_figures f;
		if ((rc = avail_class_settle(&d->cls, r->from, r->to)) < 0)
			break;
		avail_figures_compute(&d->cls, &d->unknown, r->from, r->to, &r->pol, &f);
		json_t *o = reports_figures_json(&f);
		if (!o || json_object_set_new(o, "name", json_string(d->id)) < 0 ||
		    json_object_set(o, "checks", d->checks) < 0)
			rc = -ENOMEM;
		if (rc == 0)
			rc = json_array_append_new(arr, o);
		else
			json_decref(o);
	}
	return rc == 0 ? json_object_set_new(out, "devices", arr) : (json_decref(arr), rc);
}

/* ---- the report -------------------------------------------------------------------- */

static int rep_init(struct rep *r, const struct avail_report_req *req,
		    const struct avail_history *h)
{
	struct avail_spans all = {0};
	r->req = req;
	r->h = h;
	r->from = req->from_ms;
	r->to = req->to_ms < req->now_ms ? req->to_ms : req->now_ms;
	if (r->to < r->from)
		r->to = r->from;
	avail_report_policy(req->cfg, req->tenant ? req->tenant : req->policy_tenant, &r->pol);
	if (req->tenant && !(r->scopes = tenant_scopes(req->cfg, req->tenant)))
		return -ENOMEM;
	if (!req->tenant && req->scopes) {
		size_t n = req->cfg->ndevices;
		if (!(r->scopes = malloc((n ? n : 1) * sizeof(*r->scopes))))
			return -ENOMEM;
		memcpy(r->scopes, req->scopes, n * sizeof(*r->scopes));
	}
	/* unknown: the period's time when no run of dcmond covers it */
	int rc = avail_spans_add(&all, r->from, r->to);
	if (rc == 0)
		rc = avail_spans_subtract(&all, &h->runs, &r->unknown);
	avail_spans_free(&all);
	return rc < 0 ? rc : devs_collect(r);
}

static void rep_free(struct rep *r)
{
	for (size_t i = 0; i < r->ndevs; i++) {
		avail_class_free(&r->devs[i].cls);
		avail_spans_free(&r->devs[i].unknown);
		json_decref(r->devs[i].checks);
	}
	free(r->devs);
	free(r->slot);
	free(r->scopes);
	avail_spans_free(&r->unknown);
}

static json_t *header_json(const struct rep *r)
{
	const struct avail_report_req *req = r->req;
	char from[32], to[32];
	reports_iso_time(r->from, from, sizeof(from));
	reports_iso_time(r->to, to, sizeof(to));
	return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:{s:b, s:f, s:s}}", "period",
			 req->period, "from", from, "to", to, "tenant", req->tenant, "site",
			 req->tenant ? NULL : req->site, "policy",
			 "planned_counts", r->pol.planned_counts, "target", r->pol.target,
			 "statement",
			 r->pol.planned_counts
				 ? "planned downtime (maintenance, test mode) counts against the SLA;"
				   " a degraded device (some of its pollers answer) is up, its"
				   " degraded time shown apart"
				 : "planned downtime (maintenance, test mode) does not count against"
				   " the SLA; a degraded device (some of its pollers answer) is up,"
				   " its degraded time shown apart");
}

/* Classifies every object of the history among r's devices (h->down sorted by object
 * then start, on a copy).  0 or -ENOMEM. */
static int rep_classify(struct rep *r)
{
	const struct avail_history *h = r->h;
	if (!h->ndown)
		return 0;
	struct avail_down *sorted = malloc(h->ndown * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, h->down, h->ndown * sizeof(*sorted));
	qsort(sorted, h->ndown, sizeof(*sorted), down_cmp);
	int rc = objects_classify(r, sorted, h->ndown);
	free(sorted);
	return rc;
}

json_t *avail_report_build(const struct avail_report_req *req, const struct avail_history *h)
{
	struct rep r = {0};
	json_t *out = NULL;
	int rc = rep_init(&r, req, h);

	if (rc == 0)
		rc = rep_classify(&r);
	if (rc == 0)
		rc = (out = header_json(&r)) ? 0 : -ENOMEM;
	if (rc == 0)
		rc = devices_json(&r, out);
	if (rc == 0)
		rc = json_object_set_new(out, "summary", group_json(&r, NULL, member_all, NULL));
	if (rc == 0)
		rc = tenants_json(&r, out);
	if (rc == 0)
		rc = sites_json(&r, out);
	if (rc == 0)
		rc = subsystems_json(&r, out);
	if (rc == 0)
		rc = reports_outages_json(req->cfg, r.scopes, h, r.from, r.to, out);
	rep_free(&r);
	if (rc < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* out = the spans of s (normalized) inside [from, to), normalized.  0 or -ENOMEM. */
static int spans_clip(const struct avail_spans *s, int64_t from, int64_t to,
		      struct avail_spans *out)
{
	avail_spans_reset(out);
	for (size_t i = 0; i < s->n; i++) {
		int64_t a = s->v[i].start_ms > from ? s->v[i].start_ms : from;
		int64_t b = s->v[i].end_ms < to ? s->v[i].end_ms : to;
		if (avail_spans_add(out, a, b) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The figures of the group cls (settled) over [from, to) only. */
static int group_figures_in(const struct rep *r, const struct avail_class *cls, int64_t from,
			    int64_t to, struct avail_class *day, struct avail_spans *unknown,
			    struct avail_figures *out)
{
	if (spans_clip(&cls->unplanned, from, to, &day->unplanned) < 0 ||
	    spans_clip(&cls->planned, from, to, &day->planned) < 0 ||
	    spans_clip(&cls->degraded, from, to, &day->degraded) < 0 ||
	    spans_clip(&r->unknown, from, to, unknown) < 0)
		return -ENOMEM;
	avail_figures_compute(day, unknown, from, to, &r->pol, out);
	return 0;
}

int avail_report_days(const struct avail_report_req *req, const struct avail_history *h,
		      int64_t day_ms, size_t ndays, struct avail_figures *out)
{
	struct rep r = {0};
	struct avail_class group = {0}, day = {0};
	struct avail_spans unknown = {0};
	int rc = rep_init(&r, req, h);

	if (rc == 0)
		rc = rep_classify(&r);
	for (size_t i = 0; i < r.ndevs && rc == 0; i++)
		if ((rc = avail_class_settle(&r.devs[i].cls, r.from, r.to)) == 0)
			rc = avail_class_merge(&group, &r.devs[i].cls);
	if (rc == 0)
		rc = avail_class_settle(&group, r.from, r.to);
	for (size_t d = 0; d < ndays && rc == 0; d++) {
		int64_t from = req->from_ms + (int64_t)d * day_ms, to = from + day_ms;
		from = from < r.to ? from : r.to; /* a day not begun yet: nothing known */
		rc = group_figures_in(&r, &group, from, to < r.to ? to : r.to, &day, &unknown,
				      &out[d]);
	}
	avail_class_free(&group);
	avail_class_free(&day);
	avail_spans_free(&unknown);
	rep_free(&r);
	return rc;
}
