/* Per-request index of the worst firing alert of each device. */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"

struct index_build {
	struct api_alert_worst *v;
	size_t n, cap;
	bool failed;
};

static bool collect(void *arg, const struct alert_view *av)
{
	struct index_build *b = arg;
	if (av->state != ALERT_FIRING)
		return true;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct api_alert_worst *v = realloc(b->v, cap * sizeof(*v));
		if (!v) {
			b->failed = true;
			return false;
		}
		b->v = v;
		b->cap = cap;
	}
	struct api_alert_worst *w = &b->v[b->n];
	if (!(w->device = strdup(av->device))) {
		b->failed = true;
		return false;
	}
	w->severity = av->severity;
	snprintf(w->what, sizeof(w->what), "%s", av->summary ? av->summary : av->rule);
	b->n++;
	return true;
}

/* Device ascending, then worst severity first: the first entry of a device is its worst. */
static int cmp_worst(const void *a, const void *b)
{
	const struct api_alert_worst *x = a, *y = b;
	int c = strcmp(x->device, y->device);
	return c ? c : (int)y->severity - (int)x->severity;
}

static void build(const struct api_ctx *ctx)
{
	struct api_alert_index *idx = ctx->alerts;
	struct index_build b = {0};
	idx->built = true;
	if (!ctx->env->alerts)
		return;
	alert_engine_foreach(ctx->env->alerts, ctx->now_ms, collect, &b);
	if (b.n > 1) /* b.v is NULL without alerts: qsort's argument must not be */
		qsort(b.v, b.n, sizeof(*b.v), cmp_worst);
	idx->v = b.v;
	idx->n = b.n; /* on allocation failure: what was collected (health may be understated) */
}

const struct api_alert_worst *api_alert_index_find(const struct api_ctx *ctx, const char *device)
{
	if (!ctx->alerts)
		return NULL;
	if (!ctx->alerts->built)
		build(ctx);
	size_t lo = 0, hi = ctx->alerts->n;
	while (lo < hi) { /* first entry of device */
		size_t mid = (lo + hi) / 2;
		if (strcmp(ctx->alerts->v[mid].device, device) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ctx->alerts->n && strcmp(ctx->alerts->v[lo].device, device) == 0)
		return &ctx->alerts->v[lo];
	return NULL;
}

void api_alert_index_free(struct api_alert_index *idx)
{
	for (size_t i = 0; i < idx->n; i++)
		free(idx->v[i].device);
	free(idx->v);
	*idx = (struct api_alert_index){0};
}
