/* The archive's writer: buffers values per file and writes each file's values in as
 * few librrd calls as possible, or every file's values through rrdcached in one BATCH
 * (archive_pipeline.c).  Writer thread only. */
#include "archive_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRITE_CHUNK 256 /* values per rrd_update_r call */

void archive_writer_init(struct archive_writer *w, struct archive_store *store,
                         const char *data_dir, const char *rrdcached, size_t max_held)
{
	memset(w, 0, sizeof(*w));
	w->store = store;
	w->data_dir = data_dir;
	archive_cached_init(&w->cached, rrdcached, data_dir);
	w->max_held = max_held ? max_held : ARCHIVE_QUEUE_MAX_DEFAULT;
}

void archive_writer_destroy(struct archive_writer *w)
{
	archive_cached_close(&w->cached);
	archive_pipe_free(&w->pipe);
	free(w->argv);
	free(w->argbuf);
	w->argv = NULL;
	w->argbuf = NULL;
}

static void writer_mark_dirty(struct archive_writer *w, struct archive_file *f)
{
	if (f->dirty)
		return;
	f->dirty = true;
	f->next_dirty = w->dirty;
	w->dirty = f;
}

/* Drops the oldest half of every file's buffer once too much is held (rrdcached down
 * for long, or a disk too slow for the load). */
static void writer_trim(struct archive_writer *w)
{
	size_t lost = 0;
	for (struct archive_file *f = w->dirty; f; f = f->next_dirty) {
		size_t n = (f->npts + 1) / 2;
		archive_file_consume(f, n);
		lost += n;
	}
	w->held -= lost;
	w->counts.overflow += lost;
	log_complain(&w->complaint, archive_mono_ms(), ARCHIVE_SUB, NULL,
	             "more than %zu values waiting: dropped the oldest %zu", w->max_held, lost);
}

void archive_writer_absorb(struct archive_writer *w, const struct archive_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = archive_file_add(e[i].f, e[i].p);
		if (r == 1) {
			w->held++;
			writer_mark_dirty(w, e[i].f);
		} else if (r == 0) {
			w->counts.skipped++;
		} else {
			w->counts.failed++;
		}
	}
	if (w->held > w->max_held)
		writer_trim(w);
}

/* Gives up on a file's buffered values and on the file until ARCHIVE_RETRY_MS. */
static void file_bad(struct archive_writer *w, struct archive_file *f, const char *fmt,
                     const char *why)
{
	char path[PATH_MAX];
	f->state = ARCHIVE_FILE_BAD;
	f->retry_s = archive_retry_at(archive_mono_ms(), ARCHIVE_RETRY_MS);
	w->counts.failed += f->npts;
	archive_file_complain(f, fmt, archive_file_path(f, w->data_dir, path), why);
	archive_file_consume(f, f->npts);
}

/* The disk is full: f keeps its values (writer_trim bounds them all) and is tried again
 * at the next round after ARCHIVE_NOSPACE_RETRY_MS. */
static void file_nospace(struct archive_writer *w, struct archive_file *f, const char *why)
{
	char path[PATH_MAX];
	f->state = ARCHIVE_FILE_NOSPACE;
	f->retry_s = archive_retry_at(archive_mono_ms(), ARCHIVE_NOSPACE_RETRY_MS);
	archive_file_complain(
	    f, "%s: %s: %zu values kept in memory, retried every %d s (%zu held in all)",
	    archive_file_path(f, w->data_dir, path), why, (size_t)f->npts,
	    ARCHIVE_NOSPACE_RETRY_MS / 1000, w->held);
}

/* Creates a missing file so that its first buffered value is accepted. */
static int file_create(struct archive_writer *w, struct archive_file *f, const char *path,
                       char *err, size_t errlen)
{
	int r = archive_rrd_mkdir_parent(path);
	if (r < 0) {
		snprintf(err, errlen, "cannot create directory: %s", strerror(-r));
		return r;
	}
	/* One step before the first value, so that it fills a whole step (RRD counts a
	 * value for the time since the previous update). */
	int64_t last = (int64_t)archive_file_times(f)[0] - (int64_t)f->step_s;
	r = archive_rrd_create(path, f->step_s, f->kind, last, err, errlen);
	if (r == 0) {
		w->counts.files_created++;
		f->last_s = archive_time32(last);
	}
	return r;
}

/* Verifies (or creates) a file before its first write.  0 when usable, -EAGAIN when
 * rrdcached is unreachable, another negative errno when the file is now BAD. */
static int file_open(struct archive_writer *w, struct archive_file *f)
{
	char err[512], path[PATH_MAX];
	/* rrdcached's FLUSH puts the values it holds of f into the file, so that the last
	 * update read is the true one and no value is sent twice (a line with a time not
	 * after rrdcached's last is refused whole).  Step and DS type never change: when
	 * rrdcached held no file at all at connect and f was not checked before in this
	 * run (last_s unset), it holds nothing of f and the round trip is skipped (at 1 M
	 * files it was most of the start's time). */
	bool may_hold = f->last_s != 0 || w->cached.held_files;
	if (w->cached.addr && may_hold && archive_cached_flush(&w->cached, f) == -ENOTCONN)
		return -EAGAIN;
	archive_file_path(f, w->data_dir, path);
	int64_t last_s = f->last_s;
	int r = archive_rrd_check(path, f->step_s, f->kind, &last_s, err, sizeof(err));
	if (r == -ENOENT) {
		r = file_create(w, f, path, err, sizeof(err));
		last_s = f->last_s;
		if (r == -EEXIST) /* someone else created it meanwhile */
			r = archive_rrd_check(path, f->step_s, f->kind, &last_s, err, sizeof(err));
	}
	f->last_s = archive_time32(last_s);
	if (r == -EMEDIUMTYPE) {
		file_bad(w, f, "%s does not match this metric (%s): left untouched", err);
		return r;
	}
	if (r == -ENOSPC) {
		file_nospace(w, f, err);
		return r;
	}
	if (r < 0) {
		file_bad(w, f, "%s: %s", err);
		return r;
	}
	f->state = ARCHIVE_FILE_OK;
	archive_file_complain_release(f, "%s usable again", path);
	w->counts.skipped += archive_file_drop_old(f);
	return 0;
}

/* Formats up to WRITE_CHUNK points of f into w->argv.  Returns how many arguments were
 * formatted (points that cannot be formatted are dropped as failed). */
static int file_format(struct archive_writer *w, struct archive_file *f)
{
	int n = 0;
	size_t i = 0;
	while (i < f->npts && n < WRITE_CHUNK) {
		char *arg = w->argbuf + (size_t)n * ARCHIVE_FORMAT_MAX;
		struct archive_point p = archive_file_pt(f, i);
		if (archive_rrd_format(arg, ARCHIVE_FORMAT_MAX, f->kind, p) < 0) {
			archive_file_drop_at(f, i); /* absurd counter value */
			w->held--;
			w->counts.failed++;
			continue;
		}
		w->argv[n++] = arg;
		i++;
	}
	return n;
}

/* Writes all buffered points of f with librrd (no rrdcached).  0, or -ENOSPC when the
 * full disk refused them: they stay buffered. */
static int file_write(struct archive_writer *w, struct archive_file *f)
{
	char path[PATH_MAX];
	archive_file_path(f, w->data_dir, path);
	while (f->npts > 0) {
		char err[512];
		int n = file_format(w, f);
		if (n == 0)
			break;
		int r = archive_rrd_update(path, n, (const char **)w->argv, err, sizeof(err));
		if (r == -ENOSPC) {
			file_nospace(w, f, err);
			return r;
		}
		if (r < 0) {
			f->state = ARCHIVE_FILE_NEW; /* look at the file again next time */
			w->counts.failed += f->npts;
			w->held -= f->npts;
			archive_file_complain(f, "%s: update failed: %s", path, err);
			archive_file_consume(f, f->npts);
			return 0;
		}
		f->last_s = archive_file_times(f)[n - 1];
		archive_file_consume(f, (size_t)n);
		w->held -= (size_t)n;
		w->counts.written += (uint64_t)n;
	}
	return 0;
}

/* Makes a dirty file ready for its write: checks or creates it first if needed; drops
 * its points while it is BAD.  0, -EAGAIN to keep it dirty (rrdcached down), or
 * -ENOSPC to keep it dirty until the disk has room again. */
static int file_prepare(struct archive_writer *w, struct archive_file *f, bool cached_ok)
{
	if (w->cached.addr && !cached_ok)
		return -EAGAIN;
	bool retry_due = archive_mono_ms() >= (int64_t)f->retry_s * 1000;
	if (f->state == ARCHIVE_FILE_NOSPACE)
		f->state = retry_due ? ARCHIVE_FILE_NEW : f->state;
	if (f->state == ARCHIVE_FILE_NOSPACE)
		return -ENOSPC;
	if (f->state == ARCHIVE_FILE_BAD && retry_due)
		f->state = ARCHIVE_FILE_NEW;
	size_t before = f->npts;
	if (f->state == ARCHIVE_FILE_NEW) {
		int r = file_open(w, f);
		if (r == -EAGAIN || r == -ENOSPC)
			return r;
	}
	if (f->state == ARCHIVE_FILE_BAD) {
		w->counts.failed += f->npts;
		archive_file_consume(f, f->npts);
	}
	w->held -= before - f->npts;
	return 0;
}

/* Gives up on everything still buffered (last round: rrdcached unreachable or the disk
 * full). */
static size_t writer_abandon(struct archive_writer *w)
{
	size_t lost = w->held;
	if (lost == 0)
		return 0;
	if (w->cached.addr && !w->cached.up)
		log_warnx(ARCHIVE_SUB, NULL,
		          "rrdcached %s unreachable at shutdown: %zu values lost", w->cached.addr,
		          w->held);
	else
		log_warnx(ARCHIVE_SUB, NULL, "disk full at shutdown: %zu values lost", w->held);
	for (struct archive_file *f = w->dirty; f; f = f->next_dirty) {
		w->counts.failed += f->npts;
		archive_file_consume(f, f->npts);
	}
	w->held = 0;
	return lost;
}

/* Frees a file whose metric is gone; the journal no longer knows it by its address. */
static void file_free(struct archive_writer *w, struct archive_file *f)
{
	archive_journal_forget(w->journal, f);
	archive_store_free(w->store, f);
}

/* A file is done for this round: off the dirty list, freed if its metric is gone. */
static void file_done(struct archive_writer *w, struct archive_file *f)
{
	f->dirty = false;
	if (f->forgotten)
		file_free(w, f);
}

/* Sends the files of list through rrdcached (if usable); files that keep points are
 * moved onto *keep, the others are done. */
static void writer_send(struct archive_writer *w, struct archive_file *list, bool cached_ok,
                        struct archive_file **keep)
{
	if (list && cached_ok)
		archive_pipe_send(w, list);
	for (struct archive_file *f = list, *next; f; f = next) {
		next = f->next_dirty;
		if (f->npts > 0) {
			f->next_dirty = *keep;
			*keep = f;
		} else {
			file_done(w, f);
		}
	}
}

size_t archive_writer_run(struct archive_writer *w, struct archive_file *forgotten, bool force,
                          bool last)
{
	for (struct archive_file *f = forgotten, *next; f; f = next) {
		next = f->next_forgotten;
		f->forgotten = true;
		if (!f->dirty)
			file_free(w, f);
	}
	if (!w->argv) {
		w->argv = calloc(WRITE_CHUNK, sizeof(*w->argv));
		w->argbuf = malloc((size_t)WRITE_CHUNK * ARCHIVE_FORMAT_MAX);
		if (!w->argv || !w->argbuf)
			return 0; /* retried next round */
	}
	bool cached_ok =
	    w->dirty && w->cached.addr ? archive_cached_ready(&w->cached, force) : true;
	uint64_t written = w->counts.written;
	struct archive_file *keep = NULL, *send = NULL;
	for (struct archive_file *f = w->dirty, *next; f; f = next) {
		next = f->next_dirty;
		int r = file_prepare(w, f, cached_ok);
		if (r == -EAGAIN)
			cached_ok = false;
		if (r == 0 && f->npts > 0 && w->cached.addr) {
			f->next_dirty = send; /* all of them in one batch below */
			send = f;
		} else if (r < 0 || file_write(w, f) == -ENOSPC) {
			f->next_dirty = keep;
			keep = f;
		} else {
			file_done(w, f);
		}
	}
	writer_send(w, send, cached_ok, &keep);
	w->dirty = keep;
	size_t lost = last ? writer_abandon(w) : 0;
	if (w->counts.written != written)
		w->counts.batches++;
	w->counts.retained = w->held;
	return lost;
}
