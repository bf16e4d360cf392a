/* Per-request index of the worst firing alert of each device, filled by the parts that
 * raise alerts (dcmon/part.h, device_alarms). */
#include "api_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/part.h"

bool api_alert_index_add(struct api_alert_index *idx, const char *device,
			 enum cfg_severity severity, const char *what)
{
	if (idx->n == idx->cap) {
		size_t cap = idx->cap ? idx->cap * 2 : 64;
		struct api_alert_worst *v = realloc(idx->v, cap * sizeof(*v));
		if (!v)
			return false;
		idx->v = v;
		idx->cap = cap;
	}
	struct api_alert_worst *w = &idx->v[idx->n];
	if (!(w->device = strdup(device)))
		return false;
	w->severity = severity;
	snprintf(w->what, sizeof(w->what), "%s", what);
	idx->n++;
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
	idx->built = true;
	for (size_t i = 0; dcmon_parts[i]; i++) {
		if (dcmon_parts[i]->device_alarms)
			dcmon_parts[i]->device_alarms(dcmon_part_state(ctx->env, i), ctx, idx);
	}
	if (idx->n > 1) /* v is NULL without alerts: qsort's argument must not be */
		qsort(idx->v, idx->n, sizeof(*idx->v), cmp_worst);
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
