/* A pool of shared strings: each distinct text stored once and kept until the pool is
 * freed.  For the low-cardinality texts every metric repeats (names, units, labels,
 * enum names): a million series share a few hundred copies instead of holding their
 * own.  Not for texts of unbounded variety (instances, reasons): nothing leaves it. */
#ifndef DCMON_STRPOOL_H
#define DCMON_STRPOOL_H

#include <stddef.h>

struct strpool;

struct strpool *strpool_new(void);
/* Frees the pool and every string it handed out; NULL is a no-op. */
void strpool_free(struct strpool *p);
/* The pool's copy of s (stored on first sight), valid until strpool_free; NULL with
 * errno ENOMEM. */
const char *strpool_get(struct strpool *p, const char *s);
/* Distinct strings held. */
size_t strpool_count(const struct strpool *p);

#endif
