/* The engine's baselines, handed out from slabs of 64 (dcmon/baseline.h, "a pool").
 *
 * Malloc'd one by one, each 2 KB baseline came right after the binding of its metric,
 * so the bindings the engine reads at every value sat one every 2,160 bytes: at 100,000
 * metrics, a page of their own for each value, out of the prefetcher's reach, where the
 * bindings of a level rule lie side by side (96 bytes apart).  Here the baselines come
 * 64 at a time, and the bindings stay side by side.  The slabs are mapped, not
 * malloc'd: once the process has freed a large block, malloc serves 130 KB from the
 * heap, where a slab then lay after every 64 bindings (1,500 gaps in 100,000, each a
 * fresh run of pages for the engine's walk). */
#include "dcmon/baseline.h"

#include <stdlib.h>
#include <sys/mman.h>

#define SLAB_BASELINES 64

struct baseline_slab {
	struct baseline_pool *pool;
	struct baseline_slab *prev, *next; /* in pool->open: slabs with a baseline free */
	unsigned nfree;                    /* entries of free[] */
	uint8_t free[SLAB_BASELINES];      /* indices not handed out, the next on top */
	struct baseline base[SLAB_BASELINES];
};

struct baseline_pool {
	struct baseline_slab *open; /* slabs with a baseline free, most recent first */
};

static size_t mapped; /* bytes of every pool's slabs (loop thread only) */

size_t baseline_pool_mapped(void)
{
	return mapped;
}

static struct baseline_slab *slab_map(void)
{
	void *p = mmap(NULL, sizeof(struct baseline_slab), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	mapped += sizeof(struct baseline_slab);
	return p;
}

static void slab_unmap(struct baseline_slab *s)
{
	munmap(s, sizeof(*s));
	mapped -= sizeof(*s);
}

struct baseline_pool *baseline_pool_new(void)
{
	return calloc(1, sizeof(struct baseline_pool));
}

static void open_link(struct baseline_pool *p, struct baseline_slab *s)
{
	s->prev = NULL;
	s->next = p->open;
	if (p->open)
		p->open->prev = s;
	p->open = s;
}

static void open_unlink(struct baseline_pool *p, struct baseline_slab *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		p->open = s->next;
	if (s->next)
		s->next->prev = s->prev;
}

void baseline_pool_free(struct baseline_pool *p)
{
	if (!p)
		return;
	while (p->open) { /* none unless baselines were left out: freed with the pool */
		struct baseline_slab *s = p->open;
		open_unlink(p, s);
		slab_unmap(s);
	}
	free(p);
}

/* A slab all free, handed out in address order (metrics bound one after another then
 * read their copies one after another). */
static struct baseline_slab *slab_new(struct baseline_pool *p)
{
	struct baseline_slab *s = slab_map();
	if (!s)
		return NULL;
	s->pool = p;
	s->nfree = SLAB_BASELINES;
	for (unsigned i = 0; i < SLAB_BASELINES; i++)
		s->free[i] = (uint8_t)(SLAB_BASELINES - 1 - i);
	open_link(p, s);
	return s;
}

struct baseline *baseline_pool_get(struct baseline_pool *p)
{
	struct baseline_slab *s = p->open ? p->open : slab_new(p);
	if (!s)
		return NULL;
	unsigned i = s->free[--s->nfree];
	if (!s->nfree) /* full */
		open_unlink(p, s);
	struct baseline *b = &s->base[i];
	baseline_init(b);
	b->slab = s;
	return b;
}

void baseline_pool_put(struct baseline *b)
{
	struct baseline_slab *s = b->slab;
	struct baseline_pool *p = s->pool;
	if (!s->nfree) /* was full: open again */
		open_link(p, s);
	s->free[s->nfree++] = (uint8_t)(b - s->base);
	if (s->nfree == SLAB_BASELINES) {
		open_unlink(p, s);
		slab_unmap(s);
	}
}
