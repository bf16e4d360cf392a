/* Sorted id index over an array of structs. */
#include "config_index.h"

#include <stdlib.h>
#include <string.h>

static int ent_cmp(const void *a, const void *b)
{
	const struct cfg_index_ent *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	if (c != 0)
		return c;
	return (x->i > y->i) - (x->i < y->i);
}

void cfg_index_build(struct cfg_index *x, const void *arr, size_t n, size_t size, size_t id_off)
{
	x->v = calloc(n + 1, sizeof(*x->v));
	if (x->v == NULL)
		abort();
	x->n = 0;
	for (size_t i = 0; i < n; i++) {
		const char *id = *(char *const *)((const char *)arr + i * size + id_off);
		if (id != NULL)
			x->v[x->n++] = (struct cfg_index_ent){.id = id, .i = i};
	}
	qsort(x->v, x->n, sizeof(*x->v), ent_cmp);
}

void cfg_index_free(struct cfg_index *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}

ssize_t cfg_index_find(const struct cfg_index *x, const char *id)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(x->v[mid].id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->n && strcmp(x->v[lo].id, id) == 0)
		return (ssize_t)x->v[lo].i;
	return -1;
}
