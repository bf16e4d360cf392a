/* A small open-addressing string map (linear probing, tombstone-free deletion). */
#include "dcmon/smap.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strhash.h"

static size_t smap_slot(const struct smap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)h & mask;
	while (m->v[i].key && (m->v[i].hash != h || strcmp(m->v[i].key, key) != 0))
		i = (i + 1) & mask;
	return i;
}

void *smap_get(const struct smap *m, const char *key)
{
	if (m->cap == 0)
		return NULL;
	size_t i = smap_slot(m, key, strhash(key));
	return m->v[i].key ? m->v[i].val : NULL;
}

/* Doubles the table (or creates it). */
static int smap_grow(struct smap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct smap_ent *old = m->v;
	size_t oldcap = m->cap;
	m->v = calloc(cap, sizeof(*m->v));
	if (!m->v) {
		m->v = old;
		return -ENOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key)
			m->v[smap_slot(m, old[i].key, old[i].hash)] = old[i];
	}
	free(old);
	return 0;
}

int smap_put(struct smap *m, const char *key, void *val)
{
	if ((m->n + 1) * 4 > m->cap * 3 && smap_grow(m) < 0)
		return -ENOMEM;
	uint64_t h = strhash(key);
	size_t i = smap_slot(m, key, h);
	if (!m->v[i].key)
		m->n++;
	m->v[i] = (struct smap_ent){.key = key, .hash = h, .val = val};
	return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
void smap_del(struct smap *m, const char *key)
{
	if (m->cap == 0)
		return;
	size_t mask = m->cap - 1;
	size_t i = smap_slot(m, key, strhash(key));
	if (!m->v[i].key)
		return;
	m->v[i].key = NULL;
	m->n--;
	for (size_t j = (i + 1) & mask; m->v[j].key; j = (j + 1) & mask) {
		size_t home = (size_t)m->v[j].hash & mask;
		bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			m->v[i] = m->v[j];
			m->v[j].key = NULL;
			i = j;
		}
	}
}

void smap_free(struct smap *m)
{
	free(m->v);
	*m = (struct smap){0};
}
