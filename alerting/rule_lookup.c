/* Which rules apply to a metric: candidates from the index, full selector check,
 * then precedence (one rule per name: the most specific, then the latest). */
#include "alert_int.h"
#include "dcmon/vec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int rptrs_push(struct rptrs *out, const struct arule *r)
{
	const struct arule **p = vec_grow(out->v, &out->cap, out->n, sizeof(*p), 16);
	if (!p)
		return -ENOMEM;
	out->v = p;
	out->v[out->n++] = r;
	return 0;
}

/* True if name is one of the device's profiles (`profile: ups-rfc1628+host-resources`). */
static bool profile_listed(const char *profiles, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = profiles; p; p = strchr(p, '+') ? strchr(p, '+') + 1 : NULL)
		if (strncmp(p, name, len) == 0 && (p[len] == '\0' || p[len] == '+'))
			return true;
	return false;
}

static bool rule_applies(const struct arule *r, const struct cfg_device *dev,
			 const struct metric *m)
{
	if (r->profile && strcmp(r->profile, ALERT_PROFILE_ANY) != 0 &&
	    (!dev || !dev->profile || !profile_listed(dev->profile, r->profile)))
		return false;
	return selector_match(&r->src->match, dev, m->device, m->name, metric_inst(m));
}

static int match_list(const struct ruleset *rs, const struct rvec *v,
		      const struct cfg_device *dev, const struct metric *m, struct rptrs *out)
{
	for (size_t i = 0; v && i < v->n; i++) {
		const struct arule *r = &rs->rules[v->v[i]];
		if (rule_applies(r, dev, m) && rptrs_push(out, r) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Orders by name, then best first (higher rank, then later order). */
static int rule_cmp(const void *pa, const void *pb)
{
	const struct arule *a = *(const struct arule *const *)pa;
	const struct arule *b = *(const struct arule *const *)pb;
	if (a->name_id != b->name_id)
		return a->name_id < b->name_id ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank > b->rank ? -1 : 1;
	return a->order > b->order ? -1 : (a->order < b->order);
}

/* Keeps the first (best) rule of each name. */
static void precedence(struct rptrs *out)
{
	if (out->n < 2)
		return;
	qsort(out->v, out->n, sizeof(*out->v), rule_cmp);
	size_t k = 1;
	for (size_t i = 1; i < out->n; i++)
		if (out->v[i]->name_id != out->v[k - 1]->name_id)
			out->v[k++] = out->v[i];
	out->n = k;
}

int ruleset_match(const struct ruleset *rs, const struct cfg_device *dev,
		  const struct metric *m, struct rptrs *out)
{
	out->n = 0;
	const struct rvec *by_dev = smap_get(&rs->by_device, m->device);
	if (match_list(rs, smap_get(&rs->by_metric, m->name), dev, m, out) < 0 ||
	    match_list(rs, by_dev, dev, m, out) < 0 || match_list(rs, rs->generic, dev, m, out) < 0)
		return -ENOMEM;
	precedence(out);
	return 0;
}
