/* Sorted id index over an array of structs: duplicate detection and O(log n) lookup
 * (private to the config loader). */
#ifndef DCMON_CONFIG_INDEX_H
#define DCMON_CONFIG_INDEX_H

#include <stddef.h>
#include <sys/types.h>

struct cfg_index_ent {
	const char *id; /* borrowed from the indexed element */
	size_t i;       /* element index */
};

struct cfg_index {
	struct cfg_index_ent *v; /* sorted by (id, i); NULL ids left out */
	size_t n;
};

/* Indexes the char * at byte id_off of each of the n elements of `size` bytes. */
void cfg_index_build(struct cfg_index *x, const void *arr, size_t n, size_t size, size_t id_off);
void cfg_index_free(struct cfg_index *x);
/* Element index of the first element with `id`, or -1. */
ssize_t cfg_index_find(const struct cfg_index *x, const char *id);

#endif
