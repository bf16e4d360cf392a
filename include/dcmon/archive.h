/* The RRD archive: every metric report becomes an update of
 * <data_dir>/<device>/<metric file key>.rrd, written off the event loop.
 *
 * archive_sink() is a metric_sink: on the loop thread it only queues (file, time,
 * value); one writer thread drains the queue in batches (rrd_update_r with many
 * values per file, or, with rrdcached, one BATCH carrying every file's values over a
 * connection of its own) at most every flush interval.
 * Files are created on first use with the layout of archive.c; an existing file
 * whose step or data source differs is reported once and left untouched.
 */
#ifndef DCMON_ARCHIVE_H
#define DCMON_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/metric.h"

struct archive;

struct archive_opts {
	const char *data_dir;   /* must exist and be writable (checked by archive_new) */
	const char *rrdcached;  /* NULL = direct writes; "unix:/path" or "host:port" */
	int64_t flush_ms;       /* longest a queued update waits; > 0 */
	size_t queue_max;       /* values held in memory (queue + waiting for rrdcached)
				 * before the oldest are dropped; 0 = default (2,000,000) */
};

/* Checks the data dir and starts the writer thread.  NULL with err filled on failure.
 * An unreachable rrdcached is not an error: values are kept and sent once it answers.
 * Each archive has its own rrdcached connection (librrd's rrdc_* are not used).
 * With a "host:port" rrdcached, its base dir must be data_dir (paths are sent relative);
 * files are always created and verified locally in data_dir. */
struct archive *archive_new(const struct archive_opts *opts, char *err, size_t errlen);
/* Writes every queued update, then stops the thread.  NULL is a no-op.  Call after the
 * last report; files of live metrics are freed too (metric_reg_free calls no forget). */
void archive_free(struct archive *a);
/* Blocks until every update queued so far has been handled: written (to the file or
 * handed to rrdcached), dropped (counted), or kept because rrdcached is unreachable
 * (retried now, whatever the back-off; see archive_stats.retained). */
void archive_flush(struct archive *a);
/* A poll ended: its values are journaled now rather than at the writer's next 200 ms
 * turn, so a kill -9 loses only the values of polls still running.  Loop thread; NULL
 * is a no-op. */
void archive_poll_done(struct archive *a);

/* The sink to register with metric_reg_add_sink(reg, archive_sink(), a); pass the
 * returned slot to archive_set_slot() before the first report.  Loop thread. */
const struct metric_sink *archive_sink(void);
/* Tells the archive its index in metric.sink_data (what metric_reg_add_sink returned). */
void archive_set_slot(struct archive *a, int slot);

/* The wall clock stepped by step_ms (< 0 back; see loop_set_clock_step_fn).  After a
 * step back, archive times go on from the last ones at half speed until the wall clock
 * catches up with them (after twice the step), so no value is refused for being older
 * than its file's last update.  Loop thread; NULL is a no-op. */
void archive_clock_stepped(struct archive *a, int64_t step_ms);

/* The RRD file of metric m, malloc'd (NULL when out of memory or m has no file name):
 * local, its path on our disk, data_dir/DEVICE/KEY.rrd; else the path librrd is given,
 * relative to the base directory of an rrdcached reached by "host:port" (rrdcached),
 * the local one otherwise. */
char *archive_metric_path(const char *data_dir, const char *rrdcached, const struct metric *m,
			  bool local);

/* path as rrdgraph's DEF: needs it (':' and '\\' escaped by '\\'), malloc'd; NULL when
 * out of memory. */
char *archive_def_escape(const char *path);

/* RRD layout, exposed for tests: data source type for a kind ("GAUGE"/"DERIVE"). */
const char *archive_ds_type(enum metric_kind kind);

struct archive_stats {
	uint64_t queued;   /* updates accepted */
	uint64_t written;  /* updates written */
	uint64_t failed;   /* updates dropped after an RRD error */
	uint64_t batches;  /* writer wake-ups that wrote something */
	uint64_t files_created;
	uint64_t skipped;  /* not written: replaced by a later report in the same second,
			    * or not after the file's last update */
	uint64_t overflow; /* dropped, oldest first, because queue_max values were held */
	uint64_t retained; /* held right now, waiting for rrdcached */
};
void archive_get_stats(struct archive *a, struct archive_stats *out);

/* The AVERAGE values of an RRD file's first data source from start to end (rrd_fetch's
 * time specifications, e.g. "-1d", "now" or seconds since the epoch), through rrdcached
 * when daemon is not NULL ("unix:/path" or "host:port").  v[i] is the average of the
 * step ending at first_s + i * step_s (NaN where unknown).  librrd's fetch parses its
 * arguments with getopt: it holds archive_rrd_getopt_lock.  0, or -1 with err filled. */
struct archive_series {
	int64_t first_s;
	int64_t step_s;
	size_t n;
	double *v; /* malloc'd; free() it */
};
/* librrd's fetch and graph parse their arguments with getopt, whose state is global:
 * every thread calling them (the graph worker, the alert engine learning baselines)
 * holds this lock around the call. */
void archive_rrd_getopt_lock(void);
void archive_rrd_getopt_unlock(void);
int archive_fetch(const char *path, const char *daemon, const char *start, const char *end,
		  struct archive_series *out, char *err, size_t errlen);

/* The one data source of every RRD file (what a DEF: names). */
#define ARCHIVE_DS_NAME "value"

/* The image librrd draws for `rrdtool graph - ARGS...` (args[0..nargs): options, DEF:,
 * CDEF:, LINE...), through rrdcached when daemon is not NULL; any thread (it holds
 * archive_rrd_getopt_lock).  0 with *img malloc'd (free() it), or -1 with err filled. */
int archive_graph(const char *const *args, size_t nargs, const char *daemon,
		  unsigned char **img, size_t *len, char *err, size_t errlen);

#endif
