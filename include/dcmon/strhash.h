/* FNV-1a string hashing, shared by the tables of core/. */
#ifndef DCMON_STRHASH_H
#define DCMON_STRHASH_H

#include <stdint.h>

#define STRHASH_SEED 14695981039346656037ULL

static inline uint64_t strhash_more(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static inline uint64_t strhash(const char *s)
{
	return strhash_more(STRHASH_SEED, s);
}

#endif
