/* Private parts of the RRD archive (core/archive*.c).
 *
 * archive.c        public API, the metric sink (loop thread) and the writer thread
 * archive_queue.c  the loop -> writer hand-off: one mutex, a growable array swapped whole
 * archive_file.c   one RRD file: path, buffered points, open/verify/write state machine
 * archive_store.c  where the file records live (size-classed blocks, no list)
 * archive_rrd.c    the RRD layout and the librrd calls (create, verify, update)
 * archive_rrd_head.c an RRD file's fixed header read with one pread (the fast check)
 * archive_cachedc.c our client for rrdcached's text protocol (requests, BATCH)
 * archive_cached.c the archive's rrdcached connection (connect, probe, back off, flush)
 * archive_batch.c  the writer's rrdcached round: every dirty file in one BATCH
 * archive_writer.c the writer: buffers per file, opens files, writes directly or batches
 * archive_timeline.c sample times -> archive times across wall clock steps (loop thread)
 * archive_journal.c the journal: values appended before they are held, replayed at start
 * archive_journal_format.c the journal's bytes (frames, old records, the decoder)
 * archive_journal_nums.c the files' numbers in the segment being written
 */
#ifndef DCMON_ARCHIVE_INT_H
#define DCMON_ARCHIVE_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "dcmon/archive.h"
#include "dcmon/log.h"
#include "dcmon/metric.h"

#define ARCHIVE_SUB "archive"             /* log subsystem */
#define ARCHIVE_QUEUE_MAX_DEFAULT 2000000 /* values held in memory before the oldest go */
#define ARCHIVE_RETRY_MS 60000            /* a broken file is looked at again after this */
#define ARCHIVE_NOSPACE_RETRY_MS 5000     /* a file refused for lack of space: next try */

/* One value on its way to a file. */
struct archive_point {
	int64_t t_s; /* wall clock, seconds since the epoch */
	double v;    /* GAUGE value, or the raw counter reading for DERIVE; NaN = unknown */
};

enum archive_file_state {
	ARCHIVE_FILE_NEW, /* not yet checked: verify or create before the next write */
	ARCHIVE_FILE_OK,  /* verified; last_s is the file's last update */
	ARCHIVE_FILE_BAD, /* mismatch or error: values dropped until retry_ms */
	ARCHIVE_FILE_NOSPACE, /* the disk was full: values kept (up to max_held), tried
			       * again at retry_ms */
};

#define ARCHIVE_JOURNAL_NUM_BITS 21 /* of a file's journal number in its record */

/* An archive time (seconds since the epoch) as a file holds it: 32 bits, until 2106. */
#define ARCHIVE_TIME_MAX ((int64_t)UINT32_MAX)
#define ARCHIVE_FILE_INLINE_PTS 2 /* values a file holds in its own record */

/* One RRD file.  Created on the loop thread at a metric's first report; all fields
 * below `writer-only` are touched by the writer thread alone.  Lives in the archive's
 * store (archive_store.c); once its metric is gone it is handed to the writer, which
 * frees it when its values are written (archive_free frees what is left).  One per
 * series, a million on a large site (docs/ARCHITECTURE.md "Memory per series"): 68
 * bytes before the names. */
struct archive_file {
	/* the queue's forget list, then the writer's; once freed, the store's free list */
	struct archive_file *next_forgotten;

	/* writer-only */
	struct archive_file *next_dirty; /* the first two words: archive_store.c */
	/* rate-limits warnings about this file: allocated at its first warning, freed when
	 * it is usable again (archive_file_complain), so a healthy file pays 8 bytes */
	struct log_complaint *complaint;
	/* buffered values, strictly ascending times: in the record while they fit
	 * (pts_log2 0; a file holds a value or two between writes), else one heap block
	 * of 1 << pts_log2 values and as many times (archive_file_vals/_times) */
	union {
		struct {
			double v[ARCHIVE_FILE_INLINE_PTS];
			uint32_t t[ARCHIVE_FILE_INLINE_PTS];
		} in;
		struct {
			double *v;
			uint32_t *t;
		} heap;
	} pts;
	uint32_t last_s;  /* last update time in the file (or accepted by rrdcached); 0 =
	                   * not known yet */
	uint32_t npts;    /* buffered values */
	uint32_t retry_s; /* BAD, NOSPACE: monotonic second of the next look at the file */
	uint32_t step_s;  /* RRD step, seconds */
	enum archive_file_state state : 2;
	enum metric_kind kind : 2; /* decides the DS type (set at creation) */
	bool dirty : 1;            /* on the writer's dirty list */
	bool forgotten : 1;        /* the metric is gone: free once pts are written */
	unsigned pts_log2 : 5;     /* 0: values in the record; else 1 << pts_log2 on the heap */
	/* the file's number in the journal segment being written, if it has one there
	 * (archive_journal_nums.c checks it) */
	unsigned jnl_num : ARCHIVE_JOURNAL_NUM_BITS;
	/* <device>/<key>: the path below data_dir, which every file shares, without the
	 * ".rrd" every file has, so the path is made when needed (archive_file_rel,
	 * archive_file_path); the device id is its first component (archive_file_device) */
	char names[];
};

#define ARCHIVE_FILE_SUFFIX ".rrd"

/* The file's path relative to data_dir, <device>/<key>.rrd, written into buf.  Its
 * length (archive_file_new and _from_rel checked that it fits). */
static inline size_t archive_file_rel(const struct archive_file *f, char buf[PATH_MAX])
{
	size_t n = strlen(f->names);
	memcpy(buf, f->names, n);
	memcpy(buf + n, ARCHIVE_FILE_SUFFIX, sizeof(ARCHIVE_FILE_SUFFIX));
	return n + sizeof(ARCHIVE_FILE_SUFFIX) - 1;
}

/* The monotonic second delay_ms from now (rounded up): when a file is looked at again. */
static inline uint32_t archive_retry_at(int64_t now_ms, int64_t delay_ms)
{
	return (uint32_t)((now_ms + delay_ms + 999) / 1000);
}

#define ARCHIVE_DEVICE_MAX (PATH_MAX / 2) /* bytes of a file's device id, NUL included */

/* The device id of f (for log lines), copied into buf. */
static inline const char *archive_file_device(const struct archive_file *f,
                                              char buf[ARCHIVE_DEVICE_MAX])
{
	size_t n = strcspn(f->names, "/");
	n = n < ARCHIVE_DEVICE_MAX ? n : ARCHIVE_DEVICE_MAX - 1;
	memcpy(buf, f->names, n);
	buf[n] = '\0';
	return buf;
}

/* The buffered values of f and their times (npts of each, oldest first). */
static inline double *archive_file_vals(struct archive_file *f)
{
	return f->pts_log2 ? f->pts.heap.v : f->pts.in.v;
}

static inline uint32_t *archive_file_times(struct archive_file *f)
{
	return f->pts_log2 ? f->pts.heap.t : f->pts.in.t;
}

/* Buffered value i of f. */
static inline struct archive_point archive_file_pt(struct archive_file *f, size_t i)
{
	return (struct archive_point){.t_s = archive_file_times(f)[i],
	                              .v = archive_file_vals(f)[i]};
}

/* A time as a file holds it (archive_file_add refuses values beyond 32 bits). */
static inline uint32_t archive_time32(int64_t t_s)
{
	return t_s <= 0 ? 0 : t_s >= ARCHIVE_TIME_MAX ? UINT32_MAX : (uint32_t)t_s;
}

/* One queued report. */
struct archive_entry {
	struct archive_file *f;
	struct archive_point p;
};

/* Counters of the writer; see struct archive_stats for their meaning. */
struct archive_counts {
	uint64_t written, failed, skipped, overflow, batches, files_created;
	uint64_t retained; /* values held for a write (rrdcached down) right now */
};

/* ---- archive_queue.c: loop -> writer hand-off ---- */

struct archive_queue {
	pthread_mutex_t lock;
	pthread_cond_t wake;            /* writer: work, flush request or stop */
	pthread_cond_t done;            /* flushers: a writer round finished */
	struct archive_entry *items;    /* queued values, oldest first */
	size_t len, cap;                /* entries used / allocated */
	size_t max;                     /* entries kept before the oldest are dropped */
	size_t wake_len;                /* wake the writer early once len reaches this */
	struct archive_file *forgotten; /* files whose metric is gone, newest first */
	uint64_t queued;                /* values accepted since start */
	uint64_t overflow;              /* values dropped because the queue was full */
	uint64_t flush_req;             /* flush generation asked for */
	uint64_t flush_done;            /* flush generation finished by the writer */
	bool stop;                      /* archive_free(): write everything and exit */
	bool journal_now;               /* a poll ended: journal what is queued at once */
	struct archive_counts counts;   /* writer's counters, published after each round */
	struct log_complaint complaint; /* overflow warnings */
};

/* What the writer takes from the queue in one go. */
struct archive_batch {
	struct archive_entry *items; /* owned by the batch, swapped with the queue's */
	size_t len, cap;
	struct archive_file *forgotten; /* files to free after their points are written */
	uint64_t flush_gen;             /* flush generation this round completes */
	bool flush;                     /* someone waits: write now, retry rrdcached now */
	bool stop;                      /* last round */
};

int archive_queue_init(struct archive_queue *q, size_t max);
void archive_queue_destroy(struct archive_queue *q);
/* Loop side: queues one value; drops the oldest 10% (counted, logged) when full. */
void archive_queue_push(struct archive_queue *q, struct archive_file *f, struct archive_point p);
/* Loop side: hands a file over to the writer, to be freed once written. */
void archive_queue_forget(struct archive_queue *q, struct archive_file *f);
/* Writer: waits up to wait_ms for work, a flush request or stop, then swaps the
 * queue into b (b's old array, emptied, becomes the queue's). */
void archive_queue_take(struct archive_queue *q, struct archive_batch *b, int64_t wait_ms);
/* Writer: publishes counters and wakes flushers waiting for generation gen. */
void archive_queue_round_done(struct archive_queue *q, uint64_t gen,
                              const struct archive_counts *c);
/* Any thread: asks for a flush and waits until the writer finished a round for it. */
void archive_queue_flush(struct archive_queue *q);
/* Loop side: wakes the writer to take and journal what is queued (a poll ended), without
 * a write round. */
void archive_queue_journal_now(struct archive_queue *q);
/* Any thread: asks the writer to stop after writing everything. */
void archive_queue_stop(struct archive_queue *q);

/* ---- archive_rrd.c: layout and librrd ---- */

/* RRD step in seconds for a report interval: interval rounded to seconds, >= 1. */
unsigned long archive_rrd_step(int64_t interval_ms);
/* Creates the file (never overwrites) with last update last_s.  0, -EEXIST, -ENOSPC
 * (the disk is full; err says so even when librrd gave no reason), or another
 * negative errno with the librrd message in err. */
int archive_rrd_create(const char *path, unsigned long step_s, enum metric_kind kind,
                       int64_t last_s, char *err, size_t errlen);
/* Checks an existing file: step and DS "value" of the kind's type.  0 with *last_s set,
 * -ENOENT if absent, -EMEDIUMTYPE on a layout mismatch (err says what), or another
 * negative errno (err has librrd's message). */
int archive_rrd_check(const char *path, unsigned long step_s, enum metric_kind kind,
                      int64_t *last_s, char *err, size_t errlen);
#define ARCHIVE_RRD_NAME_MAX 20 /* bytes of a DS name or type in the header, NUL included */

/* What the writer checks of an existing file, from its fixed header. */
struct archive_rrd_head {
	unsigned long step_s;
	char ds_name[ARCHIVE_RRD_NAME_MAX]; /* of the first and only data source */
	char ds_type[ARCHIVE_RRD_NAME_MAX];
	int64_t last_s; /* last update */
};

/* Reads h from the header of a one-DS RRD file of librrd's own layout with one pread
 * (archive_rrd_head.c).  0; -EAGAIN when the file is anything else (another version,
 * several data sources, a size that does not match its header, not an RRD file): only
 * librrd can judge it; or -errno of open or read (-ENOENT: absent). */
int archive_rrd_head_read(const char *path, struct archive_rrd_head *h);
/* Writes n "time:value" strings with rrd_update_r.  0, or -ENOSPC (disk full) or
 * another negative errno with err filled. */
int archive_rrd_update(const char *path, int n, const char **argv, char *err, size_t errlen);
/* Creates the parent directory of path if missing (one level).  0 or -errno. */
int archive_rrd_mkdir_parent(const char *path);
#define ARCHIVE_FORMAT_MAX 64 /* bytes of one formatted "time:value", NUL included */
/* Formats one point as librrd wants it ("%lld:%.17g", counters as integers, NaN as U).
 * Returns the length, or -ENOBUFS. */
int archive_rrd_format(char *buf, size_t len, enum metric_kind kind, struct archive_point p);

/* ---- archive_cachedc.c: rrdcached protocol client ---- */

#define CACHEDC_LINE_MAX 8192 /* bytes of one request or reply line, line end included
			       * (rrdcached reads lines into an 8 KiB buffer) */

/* One connection to rrdcached.  Not thread-safe: the writer thread owns it.
 * Failures of the transport close the connection (fd becomes -1). */
struct cachedc {
	int fd;                      /* -1 = not connected */
	int timeout_ms;              /* longest wait for connect, each read, each write */
	char rbuf[CACHEDC_LINE_MAX]; /* received bytes, [rstart, rend) not yet consumed */
	size_t rstart, rend;         /* bytes */
	char *wbuf;                  /* batch lines gathered before a write */
	size_t wlen, wcap;           /* bytes used / allocated */
	unsigned batch_cmds;         /* commands sent in the open batch */
	bool in_batch;               /* between BATCH and "." */
};

/* Called per error line of a batch: cmd is the 1-based number of the command in the
 * batch, msg rrdcached's message (valid during the call only). */
typedef void cachedc_error_fn(void *arg, unsigned cmd, const char *msg);

void cachedc_init(struct cachedc *c, int timeout_ms);
/* Closes and frees the buffers.  The struct can be connected again after init. */
void cachedc_destroy(struct cachedc *c);
void cachedc_close(struct cachedc *c);
bool cachedc_is_open(const struct cachedc *c);
/* True for "unix:/path" and "/path"; everything else is host:port, [v6]:port or host. */
bool cachedc_addr_is_unix(const char *addr);
/* Connects (closing any old connection).  TCP defaults to port 42217.  0, or a negative
 * errno with err filled.  Name resolution (getaddrinfo) is not bounded by the timeout. */
int cachedc_connect(struct cachedc *c, const char *addr, char *err, size_t errlen);
/* True when the idle connection is still fine (the daemon sent nothing, no EOF). */
bool cachedc_idle_ok(const struct cachedc *c);
/* Sends one command line (no line end) and reads its status line: *status is the
 * daemon's code (< 0 = refused), msg its text; the lines that follow are skipped.
 * 0, or a negative errno when the connection failed (then closed). */
int cachedc_request(struct cachedc *c, const char *cmd, long *status, char *msg,
                    size_t msglen);
/* Called per line that follows a status line (valid during the call only). */
typedef void cachedc_line_fn(void *arg, const char *line);
/* cachedc_request, passing each line that follows to fn. */
int cachedc_request_lines(struct cachedc *c, const char *cmd, long *status, char *msg,
                          size_t msglen, cachedc_line_fn *fn, void *arg);
/* Starts a batch.  0; -EREMOTEIO (msg says why) when refused; other negative errno when
 * the connection failed.  The connection is closed on any failure. */
int cachedc_batch_begin(struct cachedc *c, char *msg, size_t msglen);
/* Adds one command line (no line end, < CACHEDC_LINE_MAX bytes).  Returns its number
 * in the batch (1, 2, ...); -EINVAL/-ENOMEM (nothing added, batch still open); or
 * another negative errno when the connection failed (closed). */
int cachedc_batch_add(struct cachedc *c, const char *line, size_t len);
/* Ends the batch and reads rrdcached's error list, calling fn once per failed command.
 * 0, or a negative errno when the connection failed (closed; which commands were
 * applied is then unknown). */
int cachedc_batch_end(struct cachedc *c, cachedc_error_fn *fn, void *arg);
/* Escapes a file name for a command line (backslash before space, tab, backslash).
 * Length written, -ENAMETOOLONG, or -EINVAL for a name holding a line end. */
int cachedc_escape(char *out, size_t outlen, const char *name);

/* ---- archive_cached.c: the archive's rrdcached connection ---- */

#define ARCHIVE_CACHED_TIMEOUT_MS 10000 /* longest wait for rrdcached per read/write */

struct archive_cached {
	const char *addr;   /* "unix:/path", "/path" or "host:port"; NULL = not used */
	const char *data_dir;
	bool is_unix;       /* paths sent absolute (unix) or relative to its base dir */
	bool up;            /* connected and answering */
	bool held_files;    /* at the last connect rrdcached held files (its STATS'
	                     * TreeNodesNumber): values of an earlier run may be among them */
	int64_t retry_ms;   /* monotonic ms of the next connect attempt when down */
	int64_t backoff_ms; /* current pause between connect attempts */
	struct cachedc conn;
	struct log_complaint complaint;
};

/* data_dir: where local files are (a unix-socket rrdcached is sent absolute paths). */
void archive_cached_init(struct archive_cached *c, const char *addr, const char *data_dir);
/* Connects (and probes with STATS) if needed; honours the back-off unless force.
 * true when usable. */
bool archive_cached_ready(struct archive_cached *c, bool force);
/* The connection failed or is unusable: closes it, logs, backs off. */
void archive_cached_down(struct archive_cached *c, const char *why);
/* The name rrdcached knows f by: absolute over a Unix socket, else below its base dir. */
const char *archive_cached_name(const struct archive_cached *c, const struct archive_file *f,
                                char path[PATH_MAX]);
/* Asks rrdcached to write its pending values of f (before reading the file).
 * 0, or -ENOTCONN (marked down). */
int archive_cached_flush(struct archive_cached *c, const struct archive_file *f);
/* Closes the connection and frees its buffers. */
void archive_cached_close(struct archive_cached *c);

/* ---- archive_store.c: where the file records live ---- */

#define ARCHIVE_STORE_CLASSES (PATH_MAX / 8 + 16) /* 8-byte size classes of records */

/* Every file record of an archive.  Any thread (one mutex). */
struct archive_store {
	pthread_mutex_t lock;
	struct archive_block *blocks; /* newest first, records carved from the first */
	struct archive_file *free[ARCHIVE_STORE_CLASSES]; /* freed records by size / 8 */
	size_t live;                  /* records in use */
};

int archive_store_init(struct archive_store *s);
/* A zeroed record with room for names_len bytes of names and a NUL, or NULL. */
struct archive_file *archive_store_alloc(struct archive_store *s, size_t names_len);
/* Frees f's buffer and warning state and takes its record back.  NULL is a no-op. */
void archive_store_free(struct archive_store *s, struct archive_file *f);
/* Frees every record still in use (with its buffer and warning state) and the store. */
void archive_store_destroy(struct archive_store *s);

/* ---- archive_file.c: one file ---- */

/* Loop side: a file for metric m under data_dir, or NULL (logged by the caller). */
struct archive_file *archive_file_new(struct archive_store *s, const char *data_dir,
                                      const struct metric *m, char *err, size_t errlen);
/* A file known only by its path below data_dir, <device>/<key>.rrd (journal replay),
 * or NULL when the path is not one the archive makes (or memory ran out). */
struct archive_file *archive_file_from_rel(struct archive_store *s, const char *rel,
                                           size_t rel_len, unsigned long step_s,
                                           enum metric_kind kind);
/* Frees what f holds besides its record: its heap buffer and warning state. */
void archive_file_drop_parts(struct archive_file *f);
/* f's absolute path, written into path (archive_file_new checked that it fits). */
const char *archive_file_path(const struct archive_file *f, const char *data_dir,
                              char path[PATH_MAX]);
/* Writer: buffers a point.  A point in the same second as the last buffered one
 * replaces it; a point not after the file's last update or the last buffered one is
 * dropped.  Returns 1 if the buffer grew, 0 if one value was skipped, -ERANGE for a
 * time beyond ARCHIVE_TIME_MAX, -ENOMEM. */
int archive_file_add(struct archive_file *f, struct archive_point p);
/* Writer: a warning about f, rate-limited per file (its complaint state is allocated
 * here and kept while the file is in trouble). */
void archive_file_complain(struct archive_file *f, const char *fmt, ...) DCMON_PRINTF(2, 3);
/* Writer: f is usable again: one INFO line if it was complained about, state freed. */
void archive_file_complain_release(struct archive_file *f, const char *fmt, ...) DCMON_PRINTF(2, 3);
/* Writer: drops the first n buffered points (back into the record, the heap block
 * freed, once they fit). */
void archive_file_consume(struct archive_file *f, size_t n);
/* Writer: drops buffered points not after last_s; returns how many. */
size_t archive_file_drop_old(struct archive_file *f);
/* Writer: drops buffered point i (one that cannot be formatted). */
void archive_file_drop_at(struct archive_file *f, size_t i);

/* ---- archive_pipeline.c: the writer's rrdcached round ---- */

/* One UPDATE line of the open batch: the next npts buffered points of f. */
struct archive_cmd {
	struct archive_file *f;
	uint32_t npts; /* points on the line */
	bool failed;   /* rrdcached refused the line */
};

struct archive_pipe {
	struct archive_cmd *cmds; /* the batch's UPDATE lines in order: command i + 1 */
	size_t ncmds, cap;        /* used / allocated entries */
	char line[CACHEDC_LINE_MAX]; /* the line being built */
};

/* The writer's state: the files with buffered points, and how they are written. */
struct archive_writer {
	const char *data_dir;         /* the archive's, absolute */
	struct archive_store *store;  /* the archive's: forgotten files go back to it */
	struct archive_journal *journal; /* told of each file freed; NULL = none */
	struct archive_cached cached; /* rrdcached, when addr != NULL */
	struct archive_file *dirty;   /* files with points, in no particular order */
	size_t held;                  /* points buffered in files */
	size_t max_held;              /* beyond this the oldest half of each file goes */
	struct archive_counts counts;
	struct archive_pipe pipe;       /* rrdcached: the round's BATCH */
	char **argv;                    /* scratch for one update call */
	char *argbuf;                   /* scratch text behind argv */
	struct log_complaint complaint; /* overflow of held points */
};

void archive_writer_init(struct archive_writer *w, struct archive_store *store,
                         const char *data_dir, const char *rrdcached, size_t max_held);
void archive_writer_destroy(struct archive_writer *w);
/* Takes a batch's values into the files' buffers. */
void archive_writer_absorb(struct archive_writer *w, const struct archive_entry *e, size_t n);
/* Writes every dirty file (force: ignore the rrdcached back-off), frees forgotten files
 * once written; the list's files are handed over.  last: nothing may stay behind.
 * Returns the values given up on in the last round (0 otherwise). */
size_t archive_writer_run(struct archive_writer *w, struct archive_file *forgotten, bool force,
                          bool last);

/* Writer: sends the points of every file of list (linked by next_dirty, verified) in
 * one rrdcached BATCH and accounts each sent value as written or failed; a refused
 * file is logged and checked again before its next write.  0 when rrdcached answered
 * (files may still hold points only if memory ran out); -ENOTCONN when it was lost:
 * points stay buffered, the files are checked again, the connection backs off. */
int archive_pipe_send(struct archive_writer *w, struct archive_file *list);
void archive_pipe_free(struct archive_pipe *p);

int64_t archive_mono_ms(void);

/* ---- archive_journal.c: values kept on disk until written (kill -9) ---- */

#define ARCHIVE_JOURNAL_DIR ".journal"   /* below data_dir */
#define ARCHIVE_JOURNAL_SWAP_MS 200      /* the writer journals the queue this often */
#define ARCHIVE_JOURNAL_SEGMENTS 32      /* a segment holds at most max / this values (its
                                          * files by number: 1 MiB at most by default) */
#define ARCHIVE_JOURNAL_OLD_MAX 4096     /* segments of the last run replayed, at most */

/* One journal value as replay sees it: the value and what its file is made of (the
 * file may not exist yet at replay). */
struct archive_journal_rec {
	struct archive_point p;
	unsigned long step_s;
	enum metric_kind kind;
	const char *rel;  /* <device>/<key>.rrd, not NUL-terminated (points into the buffer) */
	size_t rel_len;   /* bytes */
};

/* ---- archive_journal_format.c: the bytes of a segment ---- */

/* Format 2 (written since #18; host byte order: the journal never leaves the machine):
 * an 8-byte magic, then frames, one per write(2): u32 payload length, u32 Adler-32
 * (zlib) of the payload, payload.  The payload is records, each starting with a varint
 * h = number << 1 | is_name.  A name record gives a file its number in the segment
 * (until the number is given again): varint step_s, u8 kind, varint path length, the
 * path <device>/<key>.rrd.  A value record: zigzag varint of its time less the time of
 * the frame's previous value (0 before the first), the value (8-byte double). */
#define ARCHIVE_JOURNAL_MAGIC "dcmjnl2\n"
#define ARCHIVE_JOURNAL_MAGIC_LEN 8
#define ARCHIVE_JOURNAL_FRAME_HEAD 8              /* u32 length, u32 Adler-32 */
#define ARCHIVE_JOURNAL_FRAME_MAX ((size_t)1 << 20) /* payload bytes: more start a frame */
#define ARCHIVE_JOURNAL_VALUE_MAX (5 + 10 + 8)    /* bytes of the longest value record */
#define ARCHIVE_JOURNAL_NAME_MAX (5 + 5 + 1 + 2 + PATH_MAX) /* of the longest name record */

/* Appends the name record of f as number num at p.  The end of the record. */
unsigned char *archive_journal_put_name(unsigned char *p, uint32_t num,
                                        const struct archive_file *f);
/* Appends a value record of file num at p; *t_prev: the frame's previous value time
 * (0 at the frame's start), updated.  The end of the record. */
unsigned char *archive_journal_put_value(unsigned char *p, uint32_t num, struct archive_point pt,
                                         int64_t *t_prev);
/* Fills the frame head at frame for the payload bytes that follow it. */
void archive_journal_seal(unsigned char *frame, size_t payload);

/* Format 1 (before #18, still replayed): records of u32 payload length, u32 Adler-32
 * of the payload, then time, value, step, kind, path length, path. */
#define ARCHIVE_JOURNAL_V1_MAX (8 + 24 + PATH_MAX) /* bytes of the longest record */
/* Decodes the record at the start of buf.  Its length; 0 when buf holds less than the
 * whole record (torn tail); -EBADMSG when the checksum or a field is wrong. */
int archive_journal_v1_decode(const void *buf, size_t len, struct archive_journal_rec *r);

/* A file of a format 2 segment, by number. */
struct archive_journal_name {
	const char *rel; /* points into the segment */
	size_t rel_len;
	unsigned long step_s;
	enum metric_kind kind;
};

/* Reads the values of one segment's bytes (either format), in order. */
struct archive_journal_dec {
	const unsigned char *buf;  /* the segment */
	size_t len;
	size_t off;                /* start of the next record (1) or frame (2) */
	size_t rec_off, frame_end; /* format 2: next record and end of the frame read */
	int format;                /* 1 or 2; 0 until the start was looked at */
	int64_t t_prev;            /* format 2: time of the frame's previous value */
	struct archive_journal_name *names; /* format 2: by number */
	size_t nnames, cap;
};

void archive_journal_dec_init(struct archive_journal_dec *d, const void *buf, size_t len);
/* The next value into r (pointing into the segment).  1; 0 at the segment's end;
 * -ENODATA when it ends on a cut-short record or frame (a kill in a write); -EBADMSG on
 * a damaged one (checksum, fields); -ENOMEM.  Then d->off is where that one starts. */
int archive_journal_dec_next(struct archive_journal_dec *d, struct archive_journal_rec *r);
void archive_journal_dec_free(struct archive_journal_dec *d);

/* ---- archive_journal_nums.c: the files' numbers in the segment being written ---- */

/* The files named in the segment being written, by number; a file's record holds its
 * number (jnl_num), valid while by_num has the file at that number. */
struct archive_journal_nums {
	const struct archive_file **by_num; /* next used, cap allocated */
	size_t cap;
	uint32_t next; /* the next number given */
};

/* f's number; *fresh when it has just been given (its name record is due).  -ENOMEM. */
int64_t archive_journal_num(struct archive_journal_nums *m, struct archive_file *f,
                            bool *fresh);
/* f's record is being freed: a record made at its address is another file. */
void archive_journal_num_forget(struct archive_journal_nums *m, const struct archive_file *f);
/* No file has a number any more (a new segment; a frame that was not written). */
void archive_journal_nums_reset(struct archive_journal_nums *m);
void archive_journal_nums_free(struct archive_journal_nums *m);

/* The journal: segments <dir>/<seq>.jnl, numbered from first_seq to seq.  Writer
 * thread only (after archive_journal_open). */
struct archive_journal {
	char *dir;                 /* data_dir/.journal; NULL = no journal */
	bool started;              /* archive_journal_start done (or failed) */
	int fd;                    /* segment seq, -1 = not open */
	uint64_t first_seq, seq;   /* oldest segment on disk, the one written now */
	size_t seg_values;         /* values appended to segment seq */
	size_t seg_max;            /* values per segment before the next one starts */
	size_t live_values;        /* values in all segments on disk */
	size_t max_values;         /* bound of live_values: what the queue and files hold */
	off_t seg_bytes;           /* bytes of segment seq written whole */
	char *buf;                 /* frames of one batch */
	size_t cap;                /* bytes allocated at buf */
	struct archive_journal_nums nums; /* files named in segment seq */
	uint64_t *old;             /* segments the last run left, oldest first (replay) */
	size_t nold;               /* entries of old */
	struct log_complaint complaint; /* write failures (disk full) */
};

/* Names the journal data_dir/.journal; nothing is touched on disk yet.  0 or -ENOMEM
 * (then the archive runs without a journal). */
int archive_journal_init(struct archive_journal *j, const char *data_dir, size_t max_values);
/* Writer thread, at its first values (after the daemon dropped its privileges, so the
 * directory and files are the daemon user's): creates the directory if needed and
 * lists the segments the last run left.  0, or -errno logged (then no journal). */
int archive_journal_start(struct archive_journal *j);
void archive_journal_close(struct archive_journal *j);
/* The file name of segment seq. */
void archive_journal_seg_path(const struct archive_journal *j, uint64_t seq,
                              char path[PATH_MAX]);
/* Appends the values of n queued entries in one write(2).  A failure is logged (once)
 * and the values go on to the files unprotected. */
void archive_journal_append(struct archive_journal *j, const struct archive_entry *e,
                            size_t n);
/* f's record is about to be freed (writer thread; j may be NULL). */
void archive_journal_forget(struct archive_journal *j, const struct archive_file *f);
/* Every value appended so far (and replayed) is written or given up on: the segments
 * go, the last run's too. */
void archive_journal_settled(struct archive_journal *j);
/* Replays the segments left by the last run into the writer, in order, before any
 * new value: files are made for them, checked or created, and written.  Logs one line
 * with the counts. */
void archive_journal_replay(struct archive_journal *j, struct archive_writer *w,
                            struct archive_queue *q);

/* ---- archive_timeline.c: archive times across wall clock steps (loop thread) ---- */

struct archive_timeline {
	int64_t lag_ms;        /* how far the wall clock was behind the archive's times at
	                        * since_mono_ms; 0 = archive times are the sample times */
	int64_t since_mono_ms; /* monotonic ms when lag_ms was set */
};

/* How far the wall clock is behind the archive's times at mono_ms: lag_ms shrinking by
 * half the monotonic time elapsed since, 0 once caught up. */
int64_t archive_timeline_lag(const struct archive_timeline *t, int64_t mono_ms);
/* The archive time of a sample taken at wall ms ts_ms, mapped at monotonic mono_ms.
 * Logs once when the wall clock has caught up. */
int64_t archive_timeline_map(struct archive_timeline *t, int64_t ts_ms, int64_t mono_ms);
/* The wall clock stepped by step_ms (< 0 back) at mono_ms: a step back adds to the lag,
 * a step forward takes from it. */
void archive_timeline_step(struct archive_timeline *t, int64_t step_ms, int64_t mono_ms);

#endif
