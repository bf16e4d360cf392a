/* Replay of the journal segments a killed run left: their values go into the archive
 * before any new value, in the order they were taken.  A value already in its file
 * (written before the kill) is refused by the file's last update and only counted.
 * Writer thread, before its first round. */
#include "archive_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLAY_SEG_BYTES_MAX ((size_t)1 << 30) /* a bigger segment is read this far */

/* What the segments hold: their bytes and the records decoded from them, in order. */
struct replay {
	char **segs;                      /* segment contents (records point into them) */
	size_t nsegs;
	struct archive_journal_rec *recs; /* in journal order */
	size_t n, cap;                    /* records used / allocated */
	size_t max;                       /* records taken at most (the journal's bound) */
	size_t torn;                      /* segments that ended on a torn record */
};

/* Reads a whole segment (at most REPLAY_SEG_BYTES_MAX).  Its bytes, malloc'd, with *len;
 * NULL when it cannot be read (logged). */
static char *replay_read(const char *path, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0)
		goto fail;
	size_t want = (size_t)st.st_size < REPLAY_SEG_BYTES_MAX ? (size_t)st.st_size
	                                                        : REPLAY_SEG_BYTES_MAX;
	if (!(buf = malloc(want ? want : 1)))
		goto fail;
	*len = 0;
	while (*len < want) {
		ssize_t r = read(fd, buf + *len, want - *len);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	close(fd);
	return buf;
fail:
	log_warn(ARCHIVE_SUB, NULL, "journal %s: cannot read", path);
	free(buf);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Decodes the values of one segment into rp.  A frame (or a record of the old
 * format) that is cut short or does not check out ends the segment (a kill in the
 * middle of a write): one log line. */
static void replay_decode(struct replay *rp, const char *path, const char *buf, size_t len)
{
	struct archive_journal_dec d;
	archive_journal_dec_init(&d, buf, len);
	while (rp->n < rp->max) {
		if (rp->n == rp->cap) {
			size_t cap = rp->cap ? rp->cap * 2 : 4096;
			void *recs = realloc(rp->recs, cap * sizeof(*rp->recs));
			if (!recs)
				break;
			rp->recs = recs;
			rp->cap = cap;
		}
		int r = archive_journal_dec_next(&d, &rp->recs[rp->n]);
		if (r == 0)
			break;
		if (r < 0) {
			const char *why = r == -ENODATA ? "incomplete"
			                  : r == -ENOMEM ? "no memory for the"
			                                 : "damaged";
			log_warnx(ARCHIVE_SUB, NULL,
			          "journal %s: %s %s at byte %zu of %zu: the rest of the segment "
			          "skipped",
			          path, why, d.format == 1 ? "record" : "frame", d.off, len);
			rp->torn++;
			break;
		}
		rp->n++;
	}
	archive_journal_dec_free(&d);
}

/* Reads and decodes every old segment, oldest first. */
static void replay_load(struct replay *rp, const struct archive_journal *j)
{
	if (!(rp->segs = calloc(j->nold, sizeof(*rp->segs))))
		return;
	for (size_t i = 0; i < j->nold && rp->n < rp->max; i++) {
		char path[PATH_MAX];
		size_t len;
		archive_journal_seg_path(j, j->old[i], path);
		char *buf = replay_read(path, &len);
		if (!buf)
			continue;
		rp->segs[rp->nsegs++] = buf;
		replay_decode(rp, path, buf, len);
	}
}

/* Orders record indices by path (then journal order) to give each path one file. */
static const struct archive_journal_rec *cmp_recs;
static int rec_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const struct archive_journal_rec *rx = &cmp_recs[x], *ry = &cmp_recs[y];
	size_t n = rx->rel_len < ry->rel_len ? rx->rel_len : ry->rel_len;
	int c = memcmp(rx->rel, ry->rel, n);
	if (c == 0 && rx->rel_len != ry->rel_len)
		c = rx->rel_len < ry->rel_len ? -1 : 1;
	return c ? c : (x < y ? -1 : x > y);
}

static bool same_rel(const struct archive_journal_rec *a, const struct archive_journal_rec *b)
{
	return a->rel_len == b->rel_len && memcmp(a->rel, b->rel, a->rel_len) == 0;
}

/* Makes one file per distinct path (no metric's: handed to the writer as forgotten so
 * it goes once written) and the entries, in journal order.  Entries whose
 * path the archive would not make are left out (f NULL).  Returns the files' list. */
static struct archive_file *replay_files(struct replay *rp, struct archive_store *s,
                                         struct archive_entry *e, size_t *idx, size_t *nfiles)
{
	struct archive_file *list = NULL, *f = NULL;
	for (size_t i = 0; i < rp->n; i++)
		idx[i] = i;
	cmp_recs = rp->recs; /* the writer thread is the only caller */
	qsort(idx, rp->n, sizeof(*idx), rec_cmp);
	for (size_t k = 0; k < rp->n; k++) {
		const struct archive_journal_rec *r = &rp->recs[idx[k]];
		if (k == 0 || !same_rel(r, &rp->recs[idx[k - 1]])) {
			f = archive_file_from_rel(s, r->rel, r->rel_len, r->step_s, r->kind);
			if (f) {
				f->next_forgotten = list;
				list = f;
				(*nfiles)++;
			}
		}
		e[idx[k]] = (struct archive_entry){.f = f, .p = r->p};
	}
	return list;
}

/* Hands the entries that have a file to the writer and writes them. */
static void replay_write(struct archive_writer *w, struct archive_queue *q,
                         struct archive_entry *e, size_t n, struct archive_file *files)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (e[i].f)
			e[kept++] = e[i];
	pthread_mutex_lock(&q->lock); /* accepted like queued values (stats add up) */
	q->queued += kept;
	pthread_mutex_unlock(&q->lock);
	archive_writer_absorb(w, e, kept);
	archive_writer_run(w, files, true, false);
}

static void replay_free(struct replay *rp)
{
	for (size_t i = 0; i < rp->nsegs; i++)
		free(rp->segs[i]);
	free(rp->segs);
	free(rp->recs);
}

void archive_journal_replay(struct archive_journal *j, struct archive_writer *w,
                            struct archive_queue *q)
{
	if (!j->dir || j->nold == 0)
		return;
	struct replay rp = {.max = j->max_values};
	struct archive_counts before = w->counts;
	size_t nfiles = 0;
	replay_load(&rp, j);
	struct archive_entry *e = malloc((rp.n ? rp.n : 1) * sizeof(*e));
	size_t *idx = malloc((rp.n ? rp.n : 1) * sizeof(*idx));
	bool ok = e && idx && rp.segs;
	if (ok) {
		struct archive_file *files = replay_files(&rp, w->store, e, idx, &nfiles);
		replay_write(w, q, e, rp.n, files);
	} else {
		log_warnx(ARCHIVE_SUB, NULL, "journal: out of memory: replay at the next start");
	}
	log_info(ARCHIVE_SUB, NULL,
	         "journal: %zu values of %zu files from %zu segments left by the last run "
	         "(%zu cut short): %llu written, %llu already in the files or replaced, "
	         "%llu failed, %zu waiting",
	         rp.n, nfiles, j->nold, rp.torn,
	         (unsigned long long)(w->counts.written - before.written),
	         (unsigned long long)(w->counts.skipped - before.skipped),
	         (unsigned long long)(w->counts.failed - before.failed), w->held);
	free(e);
	free(idx);
	replay_free(&rp);
	if (ok && w->held == 0)
		archive_journal_settled(j);
}
