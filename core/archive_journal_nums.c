/* The numbers of the files named in the journal segment being written: a value record
 * refers to its file by number, and the file's path goes into the segment once.  Numbers
 * are given in the order files are first seen in the segment; the file's record keeps
 * its number (jnl_num, in bits the record had spare), and by_num the file of each
 * number, which says whether the record's number is one of this segment: a new segment
 * only sets next back to 0.  A swap's values come in the same order as their files'
 * numbers, so by_num is read in order: no lookup that misses the cache per value, as a
 * hash of the record's address did.  Writer thread only. */
#include "archive_int.h"

#include <errno.h>
#include <stdlib.h>

#define NUMS_MIN 1024 /* entries at first */

int64_t archive_journal_num(struct archive_journal_nums *m, struct archive_file *f,
                            bool *fresh)
{
	uint32_t k = f->jnl_num;
	*fresh = false;
	if (k < m->next && m->by_num[k] == f)
		return k;
	if (m->next == UINT32_MAX)
		return -ENOMEM;
	if (m->next == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : NUMS_MIN;
		const struct archive_file **v = realloc(m->by_num, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->by_num = v;
		m->cap = cap;
	}
	k = m->next++;
	m->by_num[k] = f;
	/* past the field's width the number kept is another's: the file is named again at
	 * its next value (a segment of more than 2 M files only) */
	f->jnl_num = k & ((1u << ARCHIVE_JOURNAL_NUM_BITS) - 1);
	*fresh = true;
	return k;
}

void archive_journal_num_forget(struct archive_journal_nums *m, const struct archive_file *f)
{
	uint32_t k = f->jnl_num;
	if (k < m->next && m->by_num[k] == f)
		m->by_num[k] = NULL;
}

void archive_journal_nums_reset(struct archive_journal_nums *m)
{
	m->next = 0;
}

void archive_journal_nums_free(struct archive_journal_nums *m)
{
	free(m->by_num);
	*m = (struct archive_journal_nums){0};
}
