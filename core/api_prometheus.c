/* GET /metrics: every current metric in the Prometheus text exposition format 0.0.4, or
 * OpenMetrics 1.0 when the Accept header asks for it (Prometheus' scrapes do).  Only
 * fresh values are written: a stale or failed point is left out, never exported as 0,
 * so Prometheus sees the series end instead of a false reading. */
#include "api_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strbuf.h"

#define PROM_PREFIX "dcmon_"
#define PROM_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define PROM_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* The metrics to write: pointers into the registry, sorted by name so that each family
 * is written once, all its samples together, as both formats require. */
struct prom_sel {
	const struct api_ctx *ctx;
	const struct metric **v;
	size_t n, cap;
	bool failed;
};

static void prom_collect(void *arg, struct metric *m)
{
	struct prom_sel *sel = arg;
	if (m->quality != QUALITY_OK || !isfinite(m->value) || !api_metric_visible(sel->ctx, m))
		return;
	if (sel->n == sel->cap) {
		size_t cap = sel->cap ? sel->cap * 2 : 256;
		const struct metric **v = realloc(sel->v, cap * sizeof(*v));
		if (!v) {
			sel->failed = true;
			return;
		}
		sel->v = v;
		sel->cap = cap;
	}
	sel->v[sel->n++] = m;
}

static int prom_cmp(const void *a, const void *b)
{
	const struct metric *x = *(const struct metric *const *)a;
	const struct metric *y = *(const struct metric *const *)b;
	/* the registry keeps one copy of each name and device id: a family's series share
	 * their name's pointer, a device's its id's, and most comparisons are between those */
	int c = x->name == y->name ? 0 : strcmp(x->name, y->name);
	if (c == 0)
		c = x->device == y->device ? 0 : strcmp(x->device, y->device);
	if (c == 0)
		c = strcmp(metric_inst(x) ? metric_inst(x) : "",
			   metric_inst(y) ? metric_inst(y) : "");
	return c;
}

/* name="value", the value escaped as both formats require (\\, \" and \n); a NULL or
 * empty value is left out (Prometheus reads an empty label as no label). */
static void prom_label(struct strbuf *b, bool *first, const char *name, const char *value)
{
	if (!value || !*value)
		return;
	strbuf_appendf(b, "%s%s=\"", *first ? "" : ",", name);
	*first = false;
	for (const char *p = value; *p; p++) {
		size_t run = strcspn(p, "\\\"\n");
		strbuf_append(b, p, run);
		p += run;
		if (!*p)
			break;
		strbuf_appends(b, *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n");
	}
	strbuf_appends(b, "\"");
}

/* # HELP and # TYPE of the family of m: a gauge, counters being kept as per-second rates. */
static void prom_family(struct strbuf *b, const struct metric *m)
{
	const char *what = m->kind == METRIC_COUNTER ? "per-second rate of the counter"
			   : m->kind == METRIC_STATE ? "state (its name in the state label)"
						     : "value";
	strbuf_appendf(b, "# HELP " PROM_PREFIX "%s %s %s%s%s, as read by dcmond\n", m->name,
		       m->name, what, m->shape->unit && *m->shape->unit ? " in " : "",
		       m->shape->unit ? m->shape->unit : "");
	strbuf_appendf(b, "# TYPE " PROM_PREFIX "%s gauge\n", m->name);
}

/* The shortest of %.15g and %.17g that reads back as v (23.1, not 23.100000000000001). */
static void prom_number(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

static void prom_sample(struct strbuf *b, const struct api_ctx *ctx, const struct metric *m)
{
	const struct cfg *cfg = ctx->env->cfg;
	const struct cfg_device *dev = cfg ? cfg_device_find(cfg, m->device) : NULL;
	bool first = true;
	strbuf_appendf(b, PROM_PREFIX "%s{", m->name);
	prom_label(b, &first, "device", m->device);
	if (dev) {
		prom_label(b, &first, "kind", dev_kind_name(dev->kind));
		prom_label(b, &first, "site", dev->loc.site);
		prom_label(b, &first, "room", dev->loc.room);
		prom_label(b, &first, "rack", dev->loc.rack);
		prom_label(b, &first, "tenant", api_device_tenant(cfg, dev));
	}
	prom_label(b, &first, "instance", metric_inst(m));
	if (m->kind == METRIC_STATE)
		prom_label(b, &first, "state", metric_enum_name(m, (int)lround(m->value)));
	char num[32];
	prom_number(num, sizeof(num), m->value);
	strbuf_appendf(b, "} %s\n", num);
}

/* Does the Accept header ask for OpenMetrics?  Prometheus lists it first, with text
 * 0.0.4 as a fallback; anything else gets the text format. */
static bool prom_wants_openmetrics(const struct api_request *req)
{
	return req->accept && strstr(req->accept, "application/openmetrics-text");
}

void api_get_prometheus(const struct api_ctx *ctx, struct api_response *resp)
{
	struct prom_sel sel = {.ctx = ctx};
	if (ctx->env->reg)
		metric_reg_foreach(ctx->env->reg, prom_collect, &sel);
	if (sel.failed) {
		free(sel.v);
		api_reply_error(resp, 503, "out of memory");
		return;
	}
	qsort(sel.v, sel.n, sizeof(*sel.v), prom_cmp);
	bool om = prom_wants_openmetrics(ctx->req);
	struct strbuf b = STRBUF_INIT;
	strbuf_reserve(&b, sel.n * 160);
	for (size_t i = 0; i < sel.n; i++) {
		if (i == 0 || strcmp(sel.v[i]->name, sel.v[i - 1]->name) != 0)
			prom_family(&b, sel.v[i]);
		prom_sample(&b, ctx, sel.v[i]);
	}
	if (om)
		strbuf_appends(&b, "# EOF\n");
	free(sel.v);
	char *text = strbuf_take(&b);
	if (!text) {
		api_reply_error(resp, 503, "out of memory");
		return;
	}
	resp->status = 200;
	resp->body = text;
	resp->content_type = om ? PROM_TYPE_OPENMETRICS : PROM_TYPE_TEXT;
}
