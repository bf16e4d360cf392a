/* Grow-by-doubling arrays: the one helper behind every "v, n, cap" array of the tree. */
#ifndef DCMON_VEC_H
#define DCMON_VEC_H

#include <stddef.h>

/* Room for element n of the array v, which holds *cap elements of elem bytes: v itself
 * while n < *cap, else v reallocated to twice *cap (first when *cap is 0), *cap updated.
 * NULL when out of memory or when the size would overflow; then v and *cap are left as
 * they were, still valid, and still the caller's to free. */
void *vec_grow(void *v, size_t *cap, size_t n, size_t elem, size_t first);

#endif
