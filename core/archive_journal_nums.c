/* The numbers of the files named in the journal segment being written: a value record
 * refers to its file by number, and the file's path goes into the segment once.  Keyed
 * by the file record's address, since the 68-byte record (a million of them on a large
 * site) has no room for a number; the map holds only the files seen since the segment
 * started, at most its values (1/32 of the journal's bound: 125,000 at the default
 * archive_queue_max, 16 bytes a slot, at most half full: 4 MiB).  Writer thread only. */
#include "archive_int.h"

#include <errno.h>
#include <stdlib.h>

#define NUMS_MIN 1024 /* slots at first */

struct archive_journal_num {
	const struct archive_file *f; /* NULL = free slot */
	uint32_t num;
};

/* The home slot of f: its page's place (Fibonacci hashing of the page number) plus its
 * place in the page (records are 8-aligned).  A swap's values come in the order their
 * files were made, which is the order of their records in the store's blocks: so the
 * slots are read in order too, one cache line after the other, which the CPU fetches
 * ahead, where a hash of the whole address missed the cache at every value (the map is
 * out of it after the writer's 200 ms away). */
#define NUMS_PAGE_SHIFT 12
static size_t nums_home(const struct archive_journal_nums *m, const struct archive_file *f)
{
	uint64_t a = (uint64_t)(uintptr_t)f;
	uint64_t page = (a >> NUMS_PAGE_SHIFT) * UINT64_C(0x9E3779B97F4A7C15) >> 32;
	return (size_t)(page + ((a & ((1u << NUMS_PAGE_SHIFT) - 1)) >> 3)) & (m->cap - 1);
}

/* f's slot, or the free slot where it would go. */
static size_t nums_slot(const struct archive_journal_nums *m, const struct archive_file *f)
{
	size_t i = nums_home(m, f);
	while (m->v[i].f && m->v[i].f != f)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Doubles the table (or makes it).  false when memory ran out. */
static bool nums_grow(struct archive_journal_nums *m)
{
	size_t oldcap = m->cap, cap = oldcap ? oldcap * 2 : NUMS_MIN;
	struct archive_journal_num *old = m->v, *v = calloc(cap, sizeof(*v));
	if (!v)
		return false;
	m->v = v;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].f)
			m->v[nums_slot(m, old[i].f)] = old[i];
	free(old);
	return true;
}

int64_t archive_journal_num(struct archive_journal_nums *m, const struct archive_file *f,
                            bool *fresh)
{
	*fresh = false;
	if (m->cap) {
		size_t i = nums_slot(m, f);
		if (m->v[i].f)
			return m->v[i].num;
	}
	if ((m->n + 1) * 2 > m->cap && !nums_grow(m)) /* at most half full: short probes */
		return -ENOMEM;
	size_t i = nums_slot(m, f);
	m->v[i] = (struct archive_journal_num){.f = f, .num = m->next++};
	m->n++;
	*fresh = true;
	return m->v[i].num;
}

/* Backward-shift deletion: the probe chains stay whole without tombstones. */
void archive_journal_num_forget(struct archive_journal_nums *m, const struct archive_file *f)
{
	if (m->n == 0)
		return;
	size_t mask = m->cap - 1, i = nums_slot(m, f);
	if (!m->v[i].f)
		return;
	m->v[i].f = NULL;
	m->n--;
	for (size_t j = (i + 1) & mask; m->v[j].f; j = (j + 1) & mask) {
		size_t home = nums_home(m, m->v[j].f);
		bool movable = j > i ? home <= i || home > j : home <= i && home > j;
		if (movable) {
			m->v[i] = m->v[j];
			m->v[j].f = NULL;
			i = j;
		}
	}
}

void archive_journal_nums_reset(struct archive_journal_nums *m)
{
	if (m->n)
		memset(m->v, 0, m->cap * sizeof(*m->v));
	m->n = 0;
	m->next = 0;
}

void archive_journal_nums_free(struct archive_journal_nums *m)
{
	free(m->v);
	*m = (struct archive_journal_nums){0};
}
