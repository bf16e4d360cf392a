/* `dcmon impact DEVICE`: what depends on a device and what would lose power or
 * redundancy if it failed, from the config's graph alone. */
#include "facility_int.h"

#include <errno.h>
#include <stdlib.h>

void facility_impact_free(struct facility_impact *im)
{
	if (!im)
		return;
	free(im->dependents);
	free(im->lose_power);
	free(im->lose_redundancy);
	free(im->feeds);
	*im = (struct facility_impact){0};
}

/* Breadth-first downstream of x into im->dependents (nearest first). */
static void downstream(const struct fgraph *g, size_t x, bool *seen, size_t *queue,
		       struct facility_impact *im)
{
	size_t head = 0, tail = 0;
	queue[tail++] = x;
	seen[x] = true;
	while (head < tail) {
		const struct fnode *v = &g->v[queue[head++]];
		for (size_t k = 0; k < v->ndown; k++) {
			size_t d = v->down[k];
			if (seen[d])
				continue;
			seen[d] = true;
			queue[tail++] = d;
			im->dependents[im->ndependents++] = g->v[d].id;
		}
	}
}

int facility_impact(const struct cfg *cfg, const char *id, struct facility_impact *out,
		    char *err, size_t errlen)
{
	*out = (struct facility_impact){0};
	struct fgraph *g = fgraph_new(cfg, err, errlen);
	if (!g)
		return -EINVAL;
	size_t x = fgraph_find(g, id);
	if (x == FG_NONE) {
		fgraph_free(g);
		return -ENOENT;
	}
	size_t n = g->n + 1;
	bool *failed = calloc(n, sizeof(*failed)), *seen = calloc(n, sizeof(*seen));
	struct fstate *st = calloc(n, sizeof(*st));
	size_t *queue = calloc(n, sizeof(*queue));
	out->dependents = calloc(n, sizeof(char *));
	out->lose_power = calloc(n, sizeof(char *));
	out->lose_redundancy = calloc(n, sizeof(char *));
	out->feeds = calloc(n, sizeof(char *));
	int rc = 0;
	if (!failed || !seen || !st || !queue || !out->dependents || !out->lose_power ||
	    !out->lose_redundancy || !out->feeds) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < g->v[x].nup; k++)
		out->feeds[out->nfeeds++] = g->v[g->v[x].up[k]].id;
	downstream(g, x, seen, queue, out);
	failed[x] = true;
	fgraph_eval(g, failed, st);
	for (size_t k = 0; k < g->n; k++) { /* feeds first: a stable, readable order */
		size_t i = g->topo[k];
		if (i == x || !seen[i])
			continue;
		if (st[i].power == FP_LOST)
			out->lose_power[out->nlose_power++] = g->v[i].id;
		else if (st[i].power == FP_REDUNDANCY_LOST)
			out->lose_redundancy[out->nlose_redundancy++] = g->v[i].id;
	}
out:
	if (rc < 0)
		facility_impact_free(out);
	free(failed);
	free(seen);
	free(st);
	free(queue);
	fgraph_free(g);
	return rc;
}
