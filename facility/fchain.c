/* The devices on one device's power/cooling chain, from the facility graph (for the
 * alert engine's settle hook: core/chain_settle.c). */
#include "facility_int.h"

#include <errno.h>
#include <stdlib.h>

/* Breadth first from x along up[] (dir 0) or down[] (dir 1); fn for each device met. */
static void chain_walk(const struct fgraph *g, size_t x, int dir, bool *seen, size_t *queue,
		       void (*fn)(void *arg, const struct cfg_device *dev), void *arg)
{
	size_t head = 0, tail = 0;
	queue[tail++] = x;
	while (head < tail) {
		const struct fnode *v = &g->v[queue[head++]];
		const size_t *next = dir ? v->down : v->up;
		size_t nnext = dir ? v->ndown : v->nup;
		for (size_t k = 0; k < nnext; k++) {
			size_t i = next[k];
			if (seen[i])
				continue;
			seen[i] = true;
			queue[tail++] = i;
			if (g->v[i].dev)
				fn(arg, g->v[i].dev);
		}
	}
}

int facility_chain(struct facility *f, const char *device,
		   void (*fn)(void *arg, const struct cfg_device *dev), void *arg)
{
	size_t x = fgraph_find(f->g, device);
	if (x == FG_NONE)
		return -ENOENT;
	bool *seen = calloc(f->g->n, sizeof(*seen));
	size_t *queue = calloc(f->g->n, sizeof(*queue));
	int rc = seen && queue ? 0 : -ENOMEM;
	if (rc == 0) {
		seen[x] = true;
		chain_walk(f->g, x, 0, seen, queue, fn, arg);
		chain_walk(f->g, x, 1, seen, queue, fn, arg);
	}
	free(seen);
	free(queue);
	return rc;
}
