/* The shared-string pool (strpool.h): an open-addressing set of strdup'd texts. */
#include "strpool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strhash.h"

struct strpool {
	char **slots; /* NULL = empty; cap is a power of two, at most half full */
	size_t cap, n;
};

struct strpool *strpool_new(void)
{
	return calloc(1, sizeof(struct strpool));
}

void strpool_free(struct strpool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		free(p->slots[i]);
	free(p->slots);
	free(p);
}

/* The slot holding s, or the empty slot where it belongs. */
static size_t find_slot(char *const *slots, size_t cap, const char *s)
{
	size_t i = (size_t)strhash(s) & (cap - 1);
	while (slots[i] && strcmp(slots[i], s) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct strpool *p)
{
	size_t cap = p->cap ? p->cap * 2 : 64;
	char **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++)
		if (p->slots[i])
			slots[find_slot(slots, cap, p->slots[i])] = p->slots[i];
	free(p->slots);
	p->slots = slots;
	p->cap = cap;
	return 0;
}

const char *strpool_get(struct strpool *p, const char *s)
{
	if (p->cap) {
		size_t i = find_slot(p->slots, p->cap, s);
		if (p->slots[i])
			return p->slots[i];
	}
	if ((p->n + 1) * 2 > p->cap && grow(p) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	size_t i = find_slot(p->slots, p->cap, s);
	if (!(p->slots[i] = strdup(s))) {
		errno = ENOMEM;
		return NULL;
	}
	p->n++;
	return p->slots[i];
}

size_t strpool_count(const struct strpool *p)
{
	return p->n;
}
