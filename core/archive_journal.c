/* The archive's journal (like rrdcached's -j): every value the writer takes from the
 * queue is appended to a segment file below data_dir before it is held in a file's
 * buffer, with one write(2) per swap of the queue (at the end of each poll, and at the
 * latest every ARCHIVE_JOURNAL_SWAP_MS).  A kill -9 then loses only what the queue held
 * since then; the page cache keeps the rest.  The segments go once every value
 * appended is written or given up on; the ones a killed run left behind are replayed
 * at start.  Writer thread only. */
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
#define JOURNAL_HEAD 8          /* u32 payload length, u32 Adler-32 of the payload */
#define JOURNAL_FIXED 24        /* payload before the path: t_s, v, step_s, kind, rel_len */
#define JOURNAL_SEG_MIN 1024    /* values per segment, at least */

/* ---- record format ---- */

int archive_journal_encode(void *buf, size_t len, const struct archive_journal_rec *r)
{
	size_t payload = JOURNAL_FIXED + r->rel_len;
	if (r->rel_len > UINT16_MAX || JOURNAL_HEAD + payload > len)
		return -ENOBUFS;
	unsigned char *b = buf, *p = b + JOURNAL_HEAD;
	uint32_t step = (uint32_t)r->step_s, plen = (uint32_t)payload;
	uint16_t rl = (uint16_t)r->rel_len;
	uint8_t kind = (uint8_t)r->kind, zero = 0;
	memcpy(p, &r->p.t_s, 8);
	memcpy(p + 8, &r->p.v, 8);
	memcpy(p + 16, &step, 4);
	memcpy(p + 20, &kind, 1);
	memcpy(p + 21, &zero, 1);
	memcpy(p + 22, &rl, 2);
	memcpy(p + JOURNAL_FIXED, r->rel, r->rel_len);
	uint32_t sum = (uint32_t)adler32(1, p, (uInt)payload);
	memcpy(b, &plen, 4);
	memcpy(b + 4, &sum, 4);
	return (int)(JOURNAL_HEAD + payload);
}

int archive_journal_decode(const void *buf, size_t len, struct archive_journal_rec *r)
{
	const unsigned char *b = buf, *p = b + JOURNAL_HEAD;
	uint32_t plen, sum, step;
	uint16_t rl;
	uint8_t kind, zero;
	if (len < JOURNAL_HEAD)
		return 0;
	memcpy(&plen, b, 4);
	memcpy(&sum, b + 4, 4);
	if (plen < JOURNAL_FIXED || plen > ARCHIVE_JOURNAL_REC_MAX)
		return -EBADMSG;
	if (len - JOURNAL_HEAD < plen)
		return 0;
	if ((uint32_t)adler32(1, p, plen) != sum)
		return -EBADMSG;
	memcpy(&r->p.t_s, p, 8);
	memcpy(&r->p.v, p + 8, 8);
	memcpy(&step, p + 16, 4);
	memcpy(&kind, p + 20, 1);
	memcpy(&zero, p + 21, 1);
	memcpy(&rl, p + 22, 2);
	if (zero != 0 || kind > METRIC_STATE || step == 0 || JOURNAL_FIXED + (size_t)rl != plen)
		return -EBADMSG;
	r->step_s = step;
	r->kind = (enum metric_kind)kind;
	r->rel = (const char *)p + JOURNAL_FIXED;
	r->rel_len = rl;
	return (int)(JOURNAL_HEAD + plen);
}

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

/* Encodes the n entries into j->buf.  Bytes encoded (0 when memory ran out). */
static size_t journal_encode_batch(struct archive_journal *j, const struct archive_entry *e,
                                   size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (j->cap - len < ARCHIVE_JOURNAL_REC_MAX) {
			size_t cap = j->cap ? j->cap * 2 : 64 * 1024;
			char *b = realloc(j->buf, cap);
			if (!b)
				return 0;
			j->buf = b;
			j->cap = cap;
		}
		const struct archive_file *f = e[i].f;
		char rel[PATH_MAX];
		size_t rel_len = archive_file_rel(f, rel);
		struct archive_journal_rec r = {.p = e[i].p, .step_s = f->step_s, .kind = f->kind,
		                                .rel = rel, .rel_len = rel_len};
		int l = archive_journal_encode(j->buf + len, j->cap - len, &r);
		len += l > 0 ? (size_t)l : 0;
	}
	return len;
}

/* Writes len bytes of j->buf at the end of the segment.  A short write is cut off
 * again, so that the segment ends on a whole record.  0 or -errno. */
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
		seg_rotate(j); /* a torn record stays: replay stops at it; start afresh */
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
