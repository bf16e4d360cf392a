/* The archive's journal (like rrdcached's -j): every value the writer takes from the
 * queue is appended to a segment file below data_dir before it is held in a file's
 * buffer, with one write(2) (one checksummed frame) per swap of the queue (at the end
 * of each poll, and at the latest every ARCHIVE_JOURNAL_SWAP_MS).  A kill -9 then loses
 * only what the queue held since then; the page cache keeps the rest.  A file's path
 * is written once per segment, its values then take ~11 bytes (archive_int.h has the
 * format).  The segments go once every value appended is written or given up on; the
 * ones a killed run left behind are replayed at start.  Writer thread only. */
#include "archive_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define JOURNAL_SUFFIX ".jnl"
#define JOURNAL_SEG_MIN 1024    /* values per segment, at least */

/* ---- segments ---- */

void archive_journal_seg_path(const struct archive_journal *j, uint64_t seq,
                              char path[PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/%020" PRIu64 JOURNAL_SUFFIX, j->dir, seq);
}

/* The sequence number of a segment's file name, or false for another file. */
static bool seg_seq(const char *name, uint64_t *seq)
{
	char *end;
	if (name[0] < '0' || name[0] > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(name, &end, 10);
	if (errno || strcmp(end, JOURNAL_SUFFIX) != 0)
		return false;
	*seq = v;
	return true;
}

static int seq_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Lists the segments a previous run left (at most ARCHIVE_JOURNAL_OLD_MAX, oldest
 * first) into j->old; new segments are numbered after them.  0 or -errno. */
static int seg_scan(struct archive_journal *j)
{
	DIR *d = opendir(j->dir);
	if (!d)
		return -errno;
	uint64_t hi = 0, s;
	for (struct dirent *e; (e = readdir(d));) {
		if (!seg_seq(e->d_name, &s) || s == UINT64_MAX)
			continue;
		if (j->nold < ARCHIVE_JOURNAL_OLD_MAX) {
			if (!j->old && !(j->old = calloc(ARCHIVE_JOURNAL_OLD_MAX, sizeof(*j->old))))
				break;
			j->old[j->nold++] = s;
		}
		hi = s > hi ? s : hi;
	}
	closedir(d);
	if (j->nold)
		qsort(j->old, j->nold, sizeof(*j->old), seq_cmp);
	j->first_seq = j->seq = hi + 1;
	return 0;
}

int archive_journal_init(struct archive_journal *j, const char *data_dir, size_t max_values)
{
	memset(j, 0, sizeof(*j));
	j->fd = -1;
	j->max_values = 2 * (max_values ? max_values : ARCHIVE_QUEUE_MAX_DEFAULT); /* queue + files */
	j->seg_max = j->max_values / ARCHIVE_JOURNAL_SEGMENTS;
	j->seg_max = j->seg_max < JOURNAL_SEG_MIN ? JOURNAL_SEG_MIN : j->seg_max;
	if (asprintf(&j->dir, "%s/%s", data_dir, ARCHIVE_JOURNAL_DIR) < 0) {
		j->dir = NULL;
		return -ENOMEM;
	}
	return 0;
}

int archive_journal_start(struct archive_journal *j)
{
	if (!j->dir)
		return -ENOMEM;
	int r = mkdir(j->dir, 0700) == 0 || errno == EEXIST ? seg_scan(j) : -errno;
	if (r < 0) {
		log_warnx(ARCHIVE_SUB, NULL, "journal %s: %s: values not kept for a restart after "
		          "kill -9", j->dir, strerror(-r));
		free(j->dir);
		j->dir = NULL;
	}
	return r;
}

void archive_journal_close(struct archive_journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->dir);
	free(j->buf);
	free(j->old);
	archive_journal_nums_free(&j->nums);
	j->dir = j->buf = NULL;
	j->old = NULL;
}

/* Removes segments first_seq..upto-1. */
static void seg_unlink_upto(struct archive_journal *j, uint64_t upto)
{
	char path[PATH_MAX];
	for (; j->first_seq < upto; j->first_seq++) {
		archive_journal_seg_path(j, j->first_seq, path);
		unlink(path);
	}
}

/* Closes the segment being written; the next append starts segment seq + 1. */
static void seg_rotate(struct archive_journal *j)
{
	if (j->fd < 0)
		return;
	close(j->fd);
	j->fd = -1;
	j->seq++;
	j->seg_values = 0;
	j->seg_bytes = 0;
	archive_journal_nums_reset(&j->nums); /* numbers are the segment's */
}

/* Past the bound (values neither written nor given up on for long: rrdcached down or
 * the disk full, which the archive's own bounds cut too) the oldest segment goes. */
static void seg_bound(struct archive_journal *j, size_t adding)
{
	if (j->live_values + adding <= j->max_values || j->first_seq >= j->seq)
		return;
	seg_unlink_upto(j, j->first_seq + 1);
	j->live_values = j->live_values > j->seg_max ? j->live_values - j->seg_max : 0;
	log_complain(&j->complaint, archive_mono_ms(), ARCHIVE_SUB, NULL,
	             "journal over %zu values: its oldest segment removed", j->max_values);
}

/* Opens segment seq for appending.  0 or -errno. */
static int seg_open(struct archive_journal *j)
{
	char path[PATH_MAX];
	if (j->fd >= 0)
		return 0;
	archive_journal_seg_path(j, j->seq, path);
	j->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	return j->fd < 0 ? -errno : 0;
}

/* Makes room for at least want more bytes after len at j->buf.  false when memory ran
 * out. */
static bool journal_room(struct archive_journal *j, size_t len, size_t want)
{
	if (j->cap - len >= want)
		return true;
	size_t cap = j->cap ? j->cap * 2 : 64 * 1024;
	cap = cap - len >= want ? cap : len + want;
	char *b = realloc(j->buf, cap);
	if (!b)
		return false;
	j->buf = b;
	j->cap = cap;
	return true;
}

#define JOURNAL_REC_ROOM (ARCHIVE_JOURNAL_FRAME_HEAD + ARCHIVE_JOURNAL_NAME_MAX + \
                          ARCHIVE_JOURNAL_VALUE_MAX) /* a new frame, a name, a value */

/* Encodes the n entries into j->buf: the segment's magic when it is new, then a frame
 * (several past ARCHIVE_JOURNAL_FRAME_MAX bytes), each file named at its first value in
 * the segment.  Bytes encoded; 0 when memory ran out (the numbers given are then void:
 * the caller resets them). */
static size_t journal_encode_batch(struct archive_journal *j, const struct archive_entry *e,
                                   size_t n)
{
	size_t len = 0, frame = 0; /* frame: offset of the open frame's head */
	int64_t t_prev = 0;
	if (!journal_room(j, 0, ARCHIVE_JOURNAL_MAGIC_LEN + JOURNAL_REC_ROOM))
		return 0;
	if (j->seg_bytes == 0) {
		memcpy(j->buf, ARCHIVE_JOURNAL_MAGIC, ARCHIVE_JOURNAL_MAGIC_LEN);
		len = frame = ARCHIVE_JOURNAL_MAGIC_LEN;
	}
	len += ARCHIVE_JOURNAL_FRAME_HEAD;
	for (size_t i = 0; i < n; i++) {
		if (!journal_room(j, len, JOURNAL_REC_ROOM))
			return 0;
		unsigned char *b = (unsigned char *)j->buf;
		if (len - frame - ARCHIVE_JOURNAL_FRAME_HEAD >= ARCHIVE_JOURNAL_FRAME_MAX) {
			archive_journal_seal(b + frame, len - frame - ARCHIVE_JOURNAL_FRAME_HEAD);
			frame = len;
			len += ARCHIVE_JOURNAL_FRAME_HEAD;
			t_prev = 0;
		}
		bool fresh;
		int64_t num = archive_journal_num(&j->nums, e[i].f, &fresh);
		if (num < 0)
			return 0;
		unsigned char *p = b + len;
		if (fresh)
			p = archive_journal_put_name(p, (uint32_t)num, e[i].f);
		p = archive_journal_put_value(p, (uint32_t)num, e[i].p, &t_prev);
		len = (size_t)(p - b);
	}
	archive_journal_seal((unsigned char *)j->buf + frame,
	                     len - frame - ARCHIVE_JOURNAL_FRAME_HEAD);
	return len;
}

/* Writes len bytes of j->buf at the end of the segment.  A short write is cut off
 * again, so that the segment ends on a whole frame.  0 or -errno. */
static int journal_write(struct archive_journal *j, size_t len)
{
	int r = seg_open(j);
	if (r < 0)
		return r;
	ssize_t w = write(j->fd, j->buf, len);
	if (w == (ssize_t)len) {
		j->seg_bytes += (off_t)len;
		return 0;
	}
	r = w < 0 ? -errno : -ENOSPC;
	if (w > 0 && ftruncate(j->fd, j->seg_bytes) != 0)
		seg_rotate(j); /* a torn frame stays: replay stops at it; start afresh */
	return r;
}

void archive_journal_append(struct archive_journal *j, const struct archive_entry *e, size_t n)
{
	if (!j->dir || n == 0)
		return;
	seg_bound(j, n);
	size_t len = journal_encode_batch(j, e, n);
	int r = len ? journal_write(j, len) : -ENOMEM;
	if (r < 0) {
		/* the names this batch gave are not in the segment: every file is named again */
		archive_journal_nums_reset(&j->nums);
		log_complain(&j->complaint, archive_mono_ms(), ARCHIVE_SUB, NULL,
		             "journal %s: %s: values not kept for a restart after kill -9 until "
		             "it can be written",
		             j->dir, strerror(-r));
		return;
	}
	log_complain_release(&j->complaint, ARCHIVE_SUB, NULL, "journal %s written again", j->dir);
	j->live_values += n;
	j->seg_values += n;
	if (j->seg_values >= j->seg_max)
		seg_rotate(j);
}

void archive_journal_forget(struct archive_journal *j, const struct archive_file *f)
{
	if (j)
		archive_journal_num_forget(&j->nums, f);
}

void archive_journal_settled(struct archive_journal *j)
{
	if (!j->dir || (j->first_seq == j->seq && j->fd < 0 && j->nold == 0))
		return;
	seg_rotate(j);
	seg_unlink_upto(j, j->seq);
	j->live_values = 0;
	char path[PATH_MAX];
	for (size_t i = 0; i < j->nold; i++) {
		archive_journal_seg_path(j, j->old[i], path);
		unlink(path);
	}
	free(j->old);
	j->old = NULL;
	j->nold = 0;
}
