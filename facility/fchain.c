/* The devices on one device's power/cooling chain, from the facility graph (for the
 * alert engine's settle input: daemon/chain_settle.c).  Called at every poll's start
 * and end, so it allocates nothing: the facility's per-node scratch is used
 * and only the entries it visited are cleared again. */
#include "facility_int.h"

#include <errno.h>

/* Breadth first from x along up[] (dir 0) or down[] (dir 1), appending to queue from
 * `tail` on; fn for each device met.  Returns the new tail. */
static size_t chain_walk(const struct fgraph *g, size_t x, int dir, bool *seen, size_t *queue,
			 size_t tail, void (*fn)(void *arg, const struct cfg_device *dev),
			 void *arg)
{
	size_t head = tail;
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
	return tail;
}

int facility_chain(struct facility *f, const char *device,
		   void (*fn)(void *arg, const struct cfg_device *dev), void *arg)
{
	size_t x = fgraph_find(f->g, device);
	if (x == FG_NONE)
		return -ENOENT;
	bool *seen = f->chain_seen;
	size_t *queue = f->chain_queue;
	seen[x] = true;
	size_t tail = chain_walk(f->g, x, 0, seen, queue, 0, fn, arg);
	tail = chain_walk(f->g, x, 1, seen, queue, tail, fn, arg);
	for (size_t i = 0; i < tail; i++) /* x and every node either walk queued */
		seen[queue[i]] = false;
	return 0;
}
