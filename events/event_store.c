/* The event store's writing side: a bounded queue filled on the loop thread and a
 * writer thread that commits it in one transaction per partition (batching is what
 * makes SQLite fast: one commit per event would cost a WAL frame write each), then
 * keeps retention and the disk bound (docs/EVENTS.md). */
#include "events_int.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/fsutil.h"
#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/strbuf.h"

#define MAINTAIN_MS      60000 /* retention and disk bound checked at least this often, */
#define MAINTAIN_SHARE   100   /* and after writing about max_mb / this */
#define EVENT_OVERHEAD   200   /* bytes an event costs beside its message (row, indexes) */
#define OPEN_PARTS       2     /* writable partitions kept open (today, yesterday) */
#define WARN_REPEAT_MS   3600000 /* the disk-bound warning again after this */
#define BUSY_TIMEOUT_MS  5000
#define TXN_EVENTS_MAX   16384 /* events per transaction: bounds the WAL between checkpoints */
#define BATCH_WAKE       512   /* events queued that wake the writer at once, */
#define BATCH_WAIT_MS    20    /* else it waits this long for more after the first: a
				* transaction (and an FTS5 segment) per few events would cost
				* most of the write, and wake-ups a context switch per event */
#define WAL_PAGES_MIN    64    /* WAL pages (4 KiB) between checkpoints: max_mb / 64, */
#define WAL_PAGES_MAX    4096  /* within these (a checkpoint costs an fsync or two) */

static const char pragmas[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";

/* A new partition (EVENT_LAYOUT_DEVICE_FTS): the message's words and the device's in
 * one FTS5 index, whose segments are written whole, where a B-tree index on device
 * would take each row at one place per device (a page per device dirtied, logged to
 * the WAL and checkpointed each transaction).  The FTS5 table reads its columns from
 * ev (content=), so nothing is stored twice. */
static const char schema_new[] =
    "BEGIN;"
    "CREATE TABLE ev(id INTEGER PRIMARY KEY, rx INTEGER NOT NULL, ts INTEGER,"
    " kind INTEGER, source TEXT, host TEXT, device TEXT, tenant TEXT, site TEXT,"
    " facility INTEGER, severity INTEGER, program TEXT, msgid TEXT, message TEXT,"
    " fields TEXT, flags INTEGER, raw BLOB);"
    "CREATE INDEX ev_rx ON ev(rx);"
    "CREATE INDEX ev_tenant ON ev(tenant, rx);"
    "CREATE VIRTUAL TABLE ev_fts USING fts5(message, device, content='ev',"
    " content_rowid='id', detail=column);"
    "CREATE TABLE ev_meta(key TEXT PRIMARY KEY, value INTEGER);"
    "INSERT INTO ev_meta VALUES('layout', 2);"
    /* FTS5 merges 8 segments of a level rather than 4: a tenth less of the writer's
     * CPU (bench_events load), searches as fast (docs/EVENTS.md) */
    "INSERT INTO ev_fts(ev_fts, rank) VALUES('automerge', 8);"
    "COMMIT;";

/* A partition written before (EVENT_LAYOUT_DEVICE_INDEX) goes on in its own layout;
 * ev_meta is newer than the first of them. */
static const char schema_old[] =
    "CREATE TABLE IF NOT EXISTS ev_meta(key TEXT PRIMARY KEY, value INTEGER);";

/* The writer's page cache (KiB): the (device, rx) index takes rows at one place per
 * device, and those pages, with FTS5's, stay in memory rather than being read back. */
static const char writer_pragmas[] = "PRAGMA cache_size=-8192;";

static const char insert_sql[] =
    "INSERT INTO ev(rx, ts, kind, source, host, device, tenant, site, facility, severity,"
    " program, msgid, message, fields, flags, raw)"
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16)";
static const char insert_fts_sql[] = "INSERT INTO ev_fts(rowid, message, device) VALUES(?1, ?2, ?3)";
static const char insert_fts_old_sql[] = "INSERT INTO ev_fts(rowid, message) VALUES(?1, ?2)";

/* A queued copy of an event: one allocation holding the record, its fields and its
 * strings. */
struct qev {
	struct qev *next;
	struct event ev;
	struct event_field fields[];
};

struct part_conn {
	int64_t day_ms; /* -1 = unused */
	sqlite3 *db;
	sqlite3_stmt *ins, *ins_fts;
	int layout; /* EVENT_LAYOUT_* */
	/* ev_meta's rx_ordered (event_search.c): 1 while every event was written with an
	 * rx no lower than the one before (ids then bound a time range), 0 once not,
	 * -1 to be read again (after a failed transaction) */
	int ordered;
	int64_t last_rx; /* rx of the newest event written */
};

struct event_store {
	struct cfg_events cfg;  /* dir owned (copied) */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake, done;
	struct qev *head, **tail;
	size_t queued;
	uint64_t seq_in, seq_out; /* events queued / finished (written or lost) */
	int flushing;             /* event_store_sync callers waiting: no lingering */
	bool stop;
	struct event_store_stats st;
	int64_t last_drop_log_ms;
	/* writer thread only */
	struct part_conn parts[OPEN_PARTS];
	int64_t last_maintain_ms;
	int64_t written_bytes;  /* about, since the last maintenance */
	int64_t last_warn_ms;
	struct strbuf json;      /* an event's fields as JSON, reused */
};

/* ---- the copy --------------------------------------------------------------------- */

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static const char *str_copy(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = memcpy(*at, s, n);
	*at += n;
	return d;
}

static struct qev *qev_new(const struct event *ev)
{
	size_t nf = ev->nfields, size = sizeof(struct qev) + nf * sizeof(struct event_field);
	const char *strs[] = {ev->source, ev->host, ev->device, ev->tenant, ev->site,
			      ev->program, ev->msgid, ev->message};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		size += str_size(strs[i]);
	for (size_t i = 0; i < nf; i++)
		size += str_size(ev->fields[i].name) + str_size(ev->fields[i].value);
	size += ev->raw ? ev->raw_len : 0;
	struct qev *q = malloc(size);
	if (!q)
		return NULL;
	char *at = (char *)(q->fields + nf);
	q->next = NULL;
	q->ev = *ev;
	q->ev.fields = q->fields;
	q->ev.source = str_copy(&at, ev->source);
	q->ev.host = str_copy(&at, ev->host);
	q->ev.device = str_copy(&at, ev->device);
	q->ev.tenant = str_copy(&at, ev->tenant);
	q->ev.site = str_copy(&at, ev->site);
	q->ev.program = str_copy(&at, ev->program);
	q->ev.msgid = str_copy(&at, ev->msgid);
	q->ev.message = str_copy(&at, ev->message);
	for (size_t i = 0; i < nf; i++) {
		q->fields[i].name = str_copy(&at, ev->fields[i].name);
		q->fields[i].value = str_copy(&at, ev->fields[i].value);
	}
	if (ev->raw && ev->raw_len) {
		q->ev.raw = memcpy(at, ev->raw, ev->raw_len);
	} else {
		q->ev.raw = NULL;
		q->ev.raw_len = 0;
	}
	return q;
}

int event_store_add(struct event_store *s, const struct event *ev)
{
	int rc = 0;
	pthread_mutex_lock(&s->mu);
	if (s->queued >= (size_t)s->cfg.queue_max) {
		s->st.dropped_queue++;
		int64_t now = clock_mono_ms();
		if (now - s->last_drop_log_ms >= 60000) {
			s->last_drop_log_ms = now;
			log_warnx("events", NULL, "store queue full (%d events): %llu events refused "
				  "so far; the disk is slower than the stream", s->cfg.queue_max,
				  (unsigned long long)s->st.dropped_queue);
		}
		rc = -ENOBUFS;
	} else {
		struct qev *q = qev_new(ev);
		if (!q) {
			rc = -ENOMEM;
		} else {
			*s->tail = q;
			s->tail = &q->next;
			s->queued++;
			s->seq_in++;
			/* only when the writer may wait for it: a signal per event would wake it
			 * per event */
			if (s->queued == 1 || s->queued == BATCH_WAKE)
				pthread_cond_signal(&s->wake);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- partitions ------------------------------------------------------------------- */

static void part_close(struct part_conn *p)
{
	sqlite3_finalize(p->ins);
	sqlite3_finalize(p->ins_fts);
	sqlite3_close(p->db);
	*p = (struct part_conn){.day_ms = -1};
}

/* The WAL is checkpointed (and shrinks back) at 1/64 of max_mb: it counts against the
 * bound, and each checkpoint costs fsyncs, so neither tiny nor unbounded. */
static int wal_limits(struct event_store *s, sqlite3 *db)
{
	int64_t pages = s->cfg.max_mb * 4;
	char sql[128];

	pages = pages < WAL_PAGES_MIN ? WAL_PAGES_MIN : pages > WAL_PAGES_MAX ? WAL_PAGES_MAX : pages;
	snprintf(sql, sizeof(sql), "PRAGMA wal_autocheckpoint=%lld; PRAGMA journal_size_limit=%lld;",
		 (long long)pages, (long long)pages * 4096);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Reads whether the partition's events are in rx order, and its newest rx; a new
 * partition is, one written before ev_meta existed is not known to be. */
static int order_load(struct part_conn *p)
{
	int64_t v = 0;
	int last = event_db_int(p->db, "SELECT rx FROM ev ORDER BY id DESC LIMIT 1", 0, &p->last_rx);
	int meta = event_db_int(p->db, EVENT_META_ORDERED, 0, &v);
	bool empty = last == 0;

	if (last < 0 || meta < 0)
		return -EIO;
	if (empty)
		p->last_rx = INT64_MIN;
	if (meta == 1) {
		p->ordered = v != 0;
		return 0;
	}
	p->ordered = empty;
	return sqlite3_exec(p->db, empty ? "INSERT INTO ev_meta VALUES('rx_ordered', 1)"
					 : "INSERT INTO ev_meta VALUES('rx_ordered', 0)",
			    NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* Keeps rx_ordered true to what is written: cleared, in ev's own transaction, by the
 * first event whose rx is lower than the one before (the wall clock stepped back). */
static int order_note(struct part_conn *p, const struct event *ev)
{
	if (p->ordered && ev->received_ms < p->last_rx) {
		if (sqlite3_exec(p->db, "UPDATE ev_meta SET value = 0 WHERE key = 'rx_ordered'",
				 NULL, NULL, NULL) != SQLITE_OK)
			return -EIO;
		p->ordered = 0;
	}
	p->last_rx = ev->received_ms;
	return 0;
}

/* Creates a new partition's tables, or keeps an existing one's; p->layout says which. */
static int schema_ensure(struct part_conn *p)
{
	int64_t one;
	int exists = event_db_int(p->db, "SELECT 1 FROM sqlite_master WHERE name = 'ev'", 0, &one);

	if (exists < 0 || sqlite3_exec(p->db, exists ? schema_old : schema_new, NULL, NULL,
				       NULL) != SQLITE_OK)
		return -EIO;
	p->layout = event_part_layout(p->db);
	return 0;
}

static int part_open(struct event_store *s, struct part_conn *p, int64_t day_ms)
{
	char name[40], path[4096];

	event_part_name(day_ms, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", s->cfg.dir, name);
	*p = (struct part_conn){.day_ms = day_ms};
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
		SQLITE_OK ||
	    sqlite3_busy_timeout(p->db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
	    sqlite3_exec(p->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    schema_ensure(p) < 0 ||
	    sqlite3_exec(p->db, writer_pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    wal_limits(s, p->db) != SQLITE_OK || order_load(p) < 0 ||
	    sqlite3_prepare_v2(p->db, insert_sql, -1, &p->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(p->db, p->layout == EVENT_LAYOUT_DEVICE_FTS ? insert_fts_sql
									 : insert_fts_old_sql,
			       -1, &p->ins_fts, NULL) != SQLITE_OK) {
		log_warnx("events", NULL, "cannot open partition %s: %s", path,
			  p->db ? sqlite3_errmsg(p->db) : "out of memory");
		part_close(p);
		return -EIO;
	}
	return 0;
}

/* The open partition of day_ms, opening it in place of the oldest one held. */
static struct part_conn *part_get(struct event_store *s, int64_t day_ms)
{
	struct part_conn *oldest = &s->parts[0];

	for (size_t i = 0; i < OPEN_PARTS; i++) {
		if (s->parts[i].day_ms == day_ms)
			return &s->parts[i];
		if (s->parts[i].day_ms < oldest->day_ms)
			oldest = &s->parts[i];
	}
	if (oldest->day_ms >= 0)
		part_close(oldest);
	if (part_open(s, oldest, day_ms) < 0)
		return NULL;
	s->last_maintain_ms = 0; /* a new day: look at the bound at once */
	return oldest;
}

/* ---- writing ---------------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int64_t v, bool present)
{
	if (present)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

/* s as a JSON string, escaped as jansson's json_dumps does (s is valid UTF-8: the
 * event's contract). */
static void json_quoted(struct strbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	strbuf_append(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_append(b, run, (size_t)(s - run));
		run = s + 1;
		char esc[6] = {'\\', (char)c, 0};
		size_t n = 2;
		switch (c) {
		case '"': case '\\': break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		strbuf_append(b, esc, n);
	}
	strbuf_append(b, run, (size_t)(s - run));
	strbuf_append(b, "\"", 1);
}

/* The structured fields as one JSON object into b (NULL when none), written here
 * rather than through jansson: a handful of allocations per event otherwise.  A name
 * given twice keeps its last value at its first place, as jansson's object did. */
static const char *fields_json(const struct event *ev, struct strbuf *b)
{
	if (ev->nfields == 0)
		return NULL;
	strbuf_reset(b);
	strbuf_append(b, "{", 1);
	for (size_t i = 0; i < ev->nfields; i++) {
		size_t last = i, first = i;
		for (size_t k = 0; k < ev->nfields; k++) {
			if (strcmp(ev->fields[k].name, ev->fields[i].name) != 0)
				continue;
			first = k < first ? k : first;
			last = k;
		}
		if (first != i)
			continue; /* written at its first place */
		if (b->len > 1)
			strbuf_append(b, ",", 1);
		json_quoted(b, ev->fields[i].name);
		strbuf_append(b, ":", 1);
		json_quoted(b, ev->fields[last].value);
	}
	strbuf_append(b, "}", 1);
	return b->failed ? NULL : strbuf_str(b);
}

static int insert_one(struct part_conn *p, const struct event *ev, struct strbuf *json)
{
	sqlite3_stmt *st = p->ins;
	const char *fields = fields_json(ev, json);
	int rc;

	sqlite3_bind_int64(st, 1, ev->received_ms);
	bind_int_or_null(st, 2, ev->reported_ms, ev->reported_ms != 0);
	sqlite3_bind_int(st, 3, (int)ev->kind);
	bind_text(st, 4, ev->source);
	bind_text(st, 5, ev->host);
	bind_text(st, 6, ev->device);
	bind_text(st, 7, ev->tenant);
	bind_text(st, 8, ev->site);
	bind_int_or_null(st, 9, ev->facility, ev->facility >= 0);
	bind_int_or_null(st, 10, ev->severity, ev->severity >= 0);
	bind_text(st, 11, ev->program);
	bind_text(st, 12, ev->msgid);
	bind_text(st, 13, ev->message);
	bind_text(st, 14, fields);
	sqlite3_bind_int(st, 15, (int)ev->flags);
	if (ev->raw)
		sqlite3_bind_blob(st, 16, ev->raw, (int)ev->raw_len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 16);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	sqlite3_bind_int64(p->ins_fts, 1, sqlite3_last_insert_rowid(p->db));
	bind_text(p->ins_fts, 2, ev->message ? ev->message : "");
	if (p->layout == EVENT_LAYOUT_DEVICE_FTS)
		bind_text(p->ins_fts, 3, ev->device);
	rc = sqlite3_step(p->ins_fts);
	sqlite3_reset(p->ins_fts);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Writes the run of events of one day starting at *q (at most TXN_EVENTS_MAX) in one
 * transaction; moves *q past them.  Returns how many were written (0 when the
 * transaction failed: all lost). */
static size_t write_day_run(struct event_store *s, struct qev **q, size_t *lost)
{
	int64_t day = (*q)->ev.received_ms / EVENT_DAY_MS * EVENT_DAY_MS;
	struct part_conn *p = part_get(s, day);
	size_t n = 0;
	bool ok = p && (p->ordered >= 0 || order_load(p) == 0) &&
		  sqlite3_exec(p->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;

	for (; *q && n < TXN_EVENTS_MAX && (*q)->ev.received_ms / EVENT_DAY_MS * EVENT_DAY_MS == day;
	     *q = (*q)->next) {
		if (ok && (order_note(p, &(*q)->ev) < 0 || insert_one(p, &(*q)->ev, &s->json) < 0))
			ok = false;
		s->written_bytes += EVENT_OVERHEAD + (int64_t)(*q)->ev.raw_len +
				    (int64_t)((*q)->ev.message ? strlen((*q)->ev.message) : 0);
		n++;
	}
	if (ok && sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return n;
	if (p) {
		log_warnx("events", NULL, "writing %zu events failed: %s", n, sqlite3_errmsg(p->db));
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
		p->ordered = -1; /* what the rollback left, read again */
	}
	*lost += n;
	return 0;
}

static void write_batch(struct event_store *s, struct qev *batch)
{
	size_t written = 0, lost = 0;
	struct qev *q = batch;

	while (q)
		written += write_day_run(s, &q, &lost);
	while (batch) {
		struct qev *next = batch->next;
		free(batch);
		batch = next;
	}
	pthread_mutex_lock(&s->mu);
	s->st.written += written;
	s->st.write_errors += lost;
	s->seq_out += written + lost;
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->mu);
}

/* ---- retention and the disk bound ------------------------------------------------- */

static void part_remove(struct event_store *s, const struct event_part *p)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	char path[4096];

	for (size_t i = 0; i < OPEN_PARTS; i++)
		if (s->parts[i].day_ms == p->day_ms)
			part_close(&s->parts[i]);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", s->cfg.dir, p->name, suffixes[i]);
		unlink(path);
	}
}

/* Removes partitions past retention; returns the bytes of those that stay. */
static int64_t expire(struct event_store *s, struct event_part *v, size_t *n, int64_t now)
{
	size_t keep = 0;
	int64_t bytes = 0;

	for (size_t i = 0; i < *n; i++) {
		if (v[i].day_ms + EVENT_DAY_MS <= now - s->cfg.retention_ms) {
			part_remove(s, &v[i]);
			log_info("events", NULL, "partition %s removed: past retention (%lld days)",
				 v[i].name, (long long)(s->cfg.retention_ms / EVENT_DAY_MS));
			s->st.partitions_expired++;
			continue;
		}
		bytes += v[i].bytes;
		v[keep++] = v[i];
	}
	*n = keep;
	return bytes;
}

/* Over max_mb: the oldest partitions go (never the newest), each said as a warning,
 * since they are within retention. */
static int64_t evict(struct event_store *s, struct event_part *v, size_t n, int64_t bytes)
{
	int64_t max = s->cfg.max_mb * 1024 * 1024;

	for (size_t i = 0; bytes > max && i + 1 < n; i++) {
		part_remove(s, &v[i]);
		bytes -= v[i].bytes;
		s->st.partitions_evicted++;
		log_warnx("events", NULL, "disk bound reached (max_mb %lld): partition %s removed "
			  "within retention, %lld MiB freed", (long long)s->cfg.max_mb, v[i].name,
			  (long long)(v[i].bytes >> 20));
	}
	return bytes;
}

/* Warns, before anything within retention goes, once the share warn_percent is used. */
static void warn_near_bound(struct event_store *s, const struct event_part *oldest, int pct,
			    int64_t now)
{
	if (pct < s->cfg.warn_percent || now - s->last_warn_ms < WARN_REPEAT_MS)
		return;
	s->last_warn_ms = now;
	log_warnx("events", NULL, "event store at %d%% of max_mb %lld: at 100%% the oldest "
		  "partition (%s), within retention, is removed; raise max_mb or lower retention",
		  pct, (long long)s->cfg.max_mb, oldest ? oldest->name : "none");
}

static void maintain(struct event_store *s, int64_t now)
{
	struct event_part *v;
	int n = event_parts_list(s->cfg.dir, &v);

	s->last_maintain_ms = now;
	s->written_bytes = 0;
	if (n < 0) {
		log_warnx("events", NULL, "cannot list %s: %s", s->cfg.dir, strerror(-n));
		return;
	}
	size_t count = (size_t)n;
	int64_t bytes = expire(s, v, &count, now);
	bytes = evict(s, v, count, bytes);
	int pct = (int)(bytes * 100 / (s->cfg.max_mb * 1024 * 1024));
	warn_near_bound(s, count ? &v[0] : NULL, pct, now);
	pthread_mutex_lock(&s->mu);
	s->st.bytes = bytes;
	s->st.used_percent = pct;
	s->st.near_bound = pct >= s->cfg.warn_percent;
	pthread_mutex_unlock(&s->mu);
	free(v);
}

/* ---- the writer thread ------------------------------------------------------------ */

/* With a few events queued, waits (at most BATCH_WAIT_MS) for BATCH_WAKE of them, so
 * that a steady stream is written in large transactions; not when stopping or asked
 * to flush.  Called and returns with s->mu held. */
static void linger(struct event_store *s)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += BATCH_WAIT_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (s->head && s->queued < BATCH_WAKE && !s->stop && !s->flushing)
		if (pthread_cond_timedwait(&s->wake, &s->mu, &until) == ETIMEDOUT)
			break;
}

static void *writer_main(void *arg)
{
	struct event_store *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->head && !s->stop &&
		       clock_wall_ms() - s->last_maintain_ms < MAINTAIN_MS) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&s->wake, &s->mu, &ts);
		}
		linger(s);
		struct qev *batch = s->head;
		s->head = NULL;
		s->tail = &s->head;
		s->queued = 0;
		bool stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		if (batch)
			write_batch(s, batch);
		int64_t now = clock_wall_ms();
		if (now - s->last_maintain_ms >= MAINTAIN_MS || now < s->last_maintain_ms ||
		    s->written_bytes >= s->cfg.max_mb * 1024 * 1024 / MAINTAIN_SHARE)
			maintain(s, now);
		pthread_mutex_lock(&s->mu);
		if (stop && !s->head)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct event_store *event_store_open(const struct cfg_events *c, char *err, size_t errlen)
{
	struct event_store *s = calloc(1, sizeof(*s));

	if (!s || !(s->cfg.dir = strdup(c->dir))) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->cfg.retention_ms = c->retention_ms;
	s->cfg.max_mb = c->max_mb;
	s->cfg.warn_percent = c->warn_percent;
	s->cfg.queue_max = c->queue_max;
	s->tail = &s->head;
	strbuf_init(&s->json);
	for (size_t i = 0; i < OPEN_PARTS; i++)
		s->parts[i].day_ms = -1;
	int rc = fs_make_parents(s->cfg.dir, 0750, NULL, 0);
	if (rc == 0 && mkdir(s->cfg.dir, 0750) < 0 && errno != EEXIST)
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "events: cannot create %s: %s", s->cfg.dir, strerror(-rc));
		free(s->cfg.dir);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->done, NULL);
	maintain(s, clock_wall_ms());
	if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
		snprintf(err, errlen, "events: cannot start the writer thread");
		free(s->cfg.dir);
		free(s);
		return NULL;
	}
	return s;
}

void event_store_sync(struct event_store *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t want = s->seq_in;
	s->flushing++;
	pthread_cond_signal(&s->wake);
	while (s->seq_out < want)
		pthread_cond_wait(&s->done, &s->mu);
	s->flushing--;
	pthread_mutex_unlock(&s->mu);
}

void event_store_close(struct event_store *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < OPEN_PARTS; i++)
		if (s->parts[i].day_ms >= 0)
			part_close(&s->parts[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->done);
	strbuf_free(&s->json);
	free(s->cfg.dir);
	free(s);
}

void event_store_get_stats(struct event_store *s, struct event_store_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
}

int event_store_search(struct event_store *s, const struct event_query *q, event_row_fn fn,
		       void *arg, char *err, size_t errlen)
{
	return event_dir_search(s->cfg.dir, q, fn, arg, err, errlen);
}
