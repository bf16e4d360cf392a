/* The RRD archive: the metric sink (loop thread) queues values, one writer thread
 * writes them in batches.  See dcmon/archive.h. */
#include "dcmon/archive.h"

#include "archive_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct archive {
	char *data_dir;   /* absolute, resolved */
	char *rrdcached;  /* copy of opts->rrdcached, or NULL */
	int64_t flush_ms; /* longest wait of a queued value */
	int slot;         /* index into metric.sink_data; -1 until archive_set_slot */
	struct archive_store store; /* every file record */
	struct archive_queue q;
	struct archive_writer w; /* writer thread only */
	struct archive_journal j; /* writer thread only (after archive_new) */
	struct archive_timeline timeline; /* loop side: archive times across clock steps */
	pthread_t thread;
	struct log_complaint complaint; /* loop side: metrics that cannot have a file */
};

int64_t archive_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How long the writer may wait for the queue: until its next write round, but no
 * longer than the journal's swap period. */
static int64_t writer_wait_ms(int64_t due_ms, int64_t now_ms)
{
	int64_t left = due_ms > now_ms ? due_ms - now_ms : 0;
	return left < ARCHIVE_JOURNAL_SWAP_MS ? left : ARCHIVE_JOURNAL_SWAP_MS;
}

/* The writer takes the queue and journals it when a poll ends (archive_poll_done) and
 * at the latest every ARCHIVE_JOURNAL_SWAP_MS, and writes the files every flush_ms, or
 * earlier when a flush is asked, the metric of a file is gone, or many values wait. */
static void *archive_thread(void *arg)
{
	struct archive *a = arg;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE); /* a vanished rrdcached is an error return, not a kill */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	struct archive_batch b = {0};
	int64_t due_ms = archive_mono_ms() + a->flush_ms;
	size_t held_base = a->w.held; /* held after the last round (rrdcached down...) */
	for (;;) {
		archive_queue_take(&a->q, &b, writer_wait_ms(due_ms, archive_mono_ms()));
		if (!a->j.started && (b.len || b.flush || b.stop)) {
			/* values come from polls, after the daemon dropped its privileges */
			a->j.started = true;
			if (archive_journal_start(&a->j) == 0)
				archive_journal_replay(&a->j, &a->w, &a->q);
		}
		archive_journal_append(&a->j, b.items, b.len);
		archive_writer_absorb(&a->w, b.items, b.len);
		b.len = 0;
		int64_t now = archive_mono_ms();
		if (b.flush || b.stop || b.forgotten || now >= due_ms ||
		    a->w.held >= held_base + a->q.wake_len) {
			size_t lost = archive_writer_run(&a->w, b.forgotten, b.flush, b.stop);
			due_ms = now + a->flush_ms;
			held_base = a->w.held;
			if (a->w.held == 0 && lost == 0)
				archive_journal_settled(&a->j);
			else if (lost && a->j.dir)
				log_info(ARCHIVE_SUB, NULL, "the %zu values stay in the journal %s for the "
				         "next start", lost, a->j.dir);
		}
		archive_queue_round_done(&a->q, b.flush_gen, &a->w.counts);
		if (b.stop)
			break;
	}
	free(b.items);
	return NULL;
}

/* Proves that files can be created in dir by creating (and removing) one. */
static int data_dir_probe(const char *dir, char *err, size_t errlen)
{
	char probe[PATH_MAX];
	struct stat st;
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "data_dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "data_dir %s: not a directory", dir);
		return -ENOTDIR;
	}
	snprintf(probe, sizeof(probe), "%s/.dcmon-write-test-XXXXXX", dir);
	int fd = mkstemp(probe);
	if (fd < 0) {
		snprintf(err, errlen, "data_dir %s is not writable: %s", dir, strerror(errno));
		return -EACCES;
	}
	close(fd);
	unlink(probe);
	return 0;
}

/* Checks opts and fills the paths of a. */
static int archive_setup(struct archive *a, const struct archive_opts *opts, char *err,
                         size_t errlen)
{
	if (!opts->data_dir || !*opts->data_dir || opts->flush_ms <= 0) {
		snprintf(err, errlen, "archive needs a data_dir and a flush interval > 0");
		return -EINVAL;
	}
	a->data_dir = realpath(opts->data_dir, NULL);
	if (!a->data_dir) {
		snprintf(err, errlen, "data_dir %s: %s", opts->data_dir, strerror(errno));
		return -ENOENT;
	}
	int r = data_dir_probe(a->data_dir, err, errlen);
	if (r < 0)
		return r;
	if (opts->rrdcached && !(a->rrdcached = strdup(opts->rrdcached))) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	a->flush_ms = opts->flush_ms;
	return 0;
}

static void archive_release(struct archive *a)
{
	free(a->data_dir);
	free(a->rrdcached);
	free(a);
}

struct archive *archive_new(const struct archive_opts *opts, char *err, size_t errlen)
{
	struct archive *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	a->slot = -1;
	if (archive_setup(a, opts, err, errlen) < 0)
		goto fail;
	if (archive_store_init(&a->store) < 0) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		goto fail;
	}
	if (archive_queue_init(&a->q, opts->queue_max) < 0) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		archive_store_destroy(&a->store);
		goto fail;
	}
	archive_writer_init(&a->w, &a->store, a->data_dir, a->rrdcached, opts->queue_max);
	a->w.journal = &a->j;
	if (archive_journal_init(&a->j, a->data_dir, opts->queue_max) < 0)
		log_warnx(ARCHIVE_SUB, NULL, "no journal (out of memory): values not kept for a "
		          "restart after kill -9");
	int r = pthread_create(&a->thread, NULL, archive_thread, a);
	if (r != 0) {
		snprintf(err, errlen, "cannot start the archive writer: %s", strerror(r));
		archive_journal_close(&a->j);
		archive_queue_destroy(&a->q);
		archive_store_destroy(&a->store);
		goto fail;
	}
	log_info(ARCHIVE_SUB, NULL, "RRD archive in %s%s%s", a->data_dir,
	         a->rrdcached ? " via rrdcached " : "", a->rrdcached ? a->rrdcached : "");
	return a;
fail:
	archive_release(a);
	return NULL;
}

void archive_free(struct archive *a)
{
	if (!a)
		return;
	archive_queue_stop(&a->q);
	pthread_join(a->thread, NULL);
	archive_writer_destroy(&a->w);
	archive_journal_close(&a->j);
	archive_store_destroy(&a->store); /* the files the metrics and the writer still hold */
	archive_queue_destroy(&a->q);
	archive_release(a);
}

void archive_flush(struct archive *a)
{
	if (a)
		archive_queue_flush(&a->q);
}

void archive_poll_done(struct archive *a)
{
	if (a)
		archive_queue_journal_now(&a->q);
}

void archive_set_slot(struct archive *a, int slot)
{
	a->slot = slot;
}

/* The value a report contributes, if any: for counters the raw reading (RRD derives
 * the rate; the registry reports the priming reading too, before any rate), for the
 * others a good value; a failed read is an unknown ("U", NaN here) so that the RRD
 * shows a gap.  Staleness adds nothing: it is the absence of reports. */
static bool report_point(const struct metric *m, struct archive_point *p)
{
	bool counter = m->kind == METRIC_COUNTER;
	double v = counter ? metric_raw(m) : m->value;
	int64_t ts_ms = counter ? metric_raw_ts_ms(m) : m->value_ts_ms;
	bool fresh = ts_ms == m->ts_ms && isfinite(v) &&
	             (counter ? m->quality != QUALITY_STALE : m->quality == QUALITY_OK);
	if (!fresh && m->quality != QUALITY_ERROR)
		return false;
	if (m->ts_ms <= 0)
		return false;
	*p = (struct archive_point){.t_s = m->ts_ms / 1000, .v = fresh ? v : NAN};
	return true;
}

/* The point's time on the archive's time line (differs only after a wall clock step
 * back, until the clock catches up). */
static void report_time(struct archive *a, const struct metric *m, struct archive_point *p)
{
	if (a->timeline.lag_ms == 0)
		return;
	p->t_s = archive_timeline_map(&a->timeline, m->ts_ms, archive_mono_ms()) / 1000;
}

/* The metric's file, made at its first report.  NULL when it cannot have one. */
static struct archive_file *report_file(struct archive *a, const struct metric *m)
{
	struct archive_file *f = m->sink_data[a->slot];
	if (f)
		return f;
	char err[256];
	f = archive_file_new(&a->store, a->data_dir, m, err, sizeof(err));
	if (!f) {
		log_complain(&a->complaint, archive_mono_ms(), ARCHIVE_SUB, m->device,
		             "%s not archived: %s", m->key, err);
		return NULL;
	}
	((struct metric *)m)->sink_data[a->slot] = f; /* the slot is the archive's */
	return f;
}

static void archive_report(void *arg, const struct metric *m)
{
	struct archive *a = arg;
	struct archive_point p;
	if (a->slot < 0 || a->slot >= (int)(sizeof(m->sink_data) / sizeof(m->sink_data[0]))) {
		log_complain(&a->complaint, archive_mono_ms(), ARCHIVE_SUB, NULL,
		             "archive_set_slot() was not called: nothing archived");
		return;
	}
	if (!report_point(m, &p))
		return;
	report_time(a, m, &p);
	struct archive_file *f = report_file(a, m);
	if (f)
		archive_queue_push(&a->q, f, p);
}

static void archive_forget(void *arg, const struct metric *m)
{
	struct archive *a = arg;
	if (a->slot < 0)
		return;
	struct archive_file *f = m->sink_data[a->slot];
	if (!f)
		return;
	((struct metric *)m)->sink_data[a->slot] = NULL;
	archive_queue_forget(&a->q, f);
}

static const struct metric_sink archive_metric_sink = {
    .name = "archive",
    .report = archive_report,
    .forget = archive_forget,
};

const struct metric_sink *archive_sink(void)
{
	return &archive_metric_sink;
}

void archive_clock_stepped(struct archive *a, int64_t step_ms)
{
	if (a)
		archive_timeline_step(&a->timeline, step_ms, archive_mono_ms());
}

void archive_get_stats(struct archive *a, struct archive_stats *out)
{
	pthread_mutex_lock(&a->q.lock);
	const struct archive_counts *c = &a->q.counts;
	*out = (struct archive_stats){
	    .queued = a->q.queued,
	    .written = c->written,
	    .failed = c->failed,
	    .batches = c->batches,
	    .files_created = c->files_created,
	    .skipped = c->skipped,
	    .overflow = a->q.overflow + c->overflow,
	    .retained = c->retained,
	};
	pthread_mutex_unlock(&a->q.lock);
}
