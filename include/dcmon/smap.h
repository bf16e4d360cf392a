/* A string map: open addressing, linear probing, deletion without tombstones.  The
 * keys are not owned: each must outlive its entry.  Zero-initialized is empty. */
#ifndef DCMON_SMAP_H
#define DCMON_SMAP_H

#include <stddef.h>
#include <stdint.h>

struct smap_ent {
	const char *key; /* NULL = empty */
	uint64_t hash;
	void *val;
};
struct smap {
	struct smap_ent *v;
	size_t cap, n; /* cap: power of two or 0 */
};
void *smap_get(const struct smap *m, const char *key);
/* Inserts or replaces; returns 0 or -ENOMEM. */
int smap_put(struct smap *m, const char *key, void *val);
/* Removes key if present. */
void smap_del(struct smap *m, const char *key);
void smap_free(struct smap *m);

#endif
