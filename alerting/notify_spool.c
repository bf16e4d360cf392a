/* The durable spool of alert e-mail in SQLite (WAL): items queued per recipient before
 * grouping, and composed messages with their delivery state.  Everything is committed
 * before anything is sent, so neither a mail server outage nor kill -9 loses a
 * notification; a message keeps its Message-ID across retries and restarts.
 *
 * When the file cannot be written (disk full, I/O error), the spool moves to memory:
 * an in-memory database with the same tables takes the queued items and the pending
 * messages of the file, and every read and write goes there, so alerts are still
 * queued, grouped and delivered (exactly once: their delivery state is kept there
 * too).  Every NOTIFY_HOLD_RETRY_MS the memory's rows are written back into the file
 * in one transaction; once that commits, the file is the spool again.  The memory
 * spool is bounded (NOTIFY_HOLD_MAX_MB); past it an item is lost, counted and logged. */
#include "notify_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"

#define NOTIFY_HOLD_MAX_MB 128       /* memory spool, MiB: ~80,000 notifications of ~1.5 KB */
#define NOTIFY_HOLD_RETRY_MS 2000    /* pause between two write-backs to the file */

static const char spool_schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS queue(id INTEGER PRIMARY KEY, rcpt TEXT NOT NULL,"
	" alert_id INTEGER, kind TEXT NOT NULL, severity INTEGER, subject TEXT NOT NULL,"
	" line TEXT NOT NULL, block TEXT NOT NULL, group_wait_ms INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL, graph BLOB);"
	"CREATE INDEX IF NOT EXISTS queue_rcpt ON queue(rcpt, id);"
	"CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY, message_id TEXT UNIQUE,"
	" rcpt TEXT NOT NULL, subject TEXT NOT NULL, kind TEXT NOT NULL, alert_ids TEXT,"
	" text TEXT, state INTEGER NOT NULL, attempts INTEGER NOT NULL, created_ms INTEGER"
	" NOT NULL, next_ms INTEGER NOT NULL, sent_ms INTEGER, last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS messages_due ON messages(state, next_ms);"
	/* the periods of scheduled reports whose messages were spooled (notify_sched.c):
	 * written in the same transaction as those messages */
	"CREATE TABLE IF NOT EXISTS sent(schedule TEXT NOT NULL, period TEXT NOT NULL,"
	" ts_ms INTEGER NOT NULL, PRIMARY KEY(schedule, period));";

struct notify_spool {
	sqlite3 *db;              /* the file (":memory:" without a state directory) */
	sqlite3 *mem;             /* while the file cannot be written: the spool in memory,
				   * with the file attached as "disk"; NULL otherwise */
	char *path;               /* NULL: no file */
	int64_t id_floor;         /* memory: new message ids stay above the file's */
	int64_t retry_ms;         /* memory: monotonic ms of the next write-back */
	uint64_t lost;            /* items that could not be held, since start */
	char why[192];            /* why the file cannot be written, "" when it can */
	struct log_complaint loss; /* rate-limits the lines about lost items */
};

/* The database every statement goes to. */
static sqlite3 *spool_db(const struct notify_spool *sp)
{
	return sp->mem ? sp->mem : sp->db;
}

/* A notify.db from before alert graphs: its queue gets the graph column (last, as in
 * spool_schema, so that the memory spool's copy of it lines up). */
static int spool_migrate(sqlite3 *db, const char *file, char *why, size_t whylen)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT graph FROM queue LIMIT 0", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return SQLITE_OK;
	}
	return state_db_exec(db, file, "ALTER TABLE queue ADD COLUMN graph BLOB;", why, whylen);
}

struct notify_spool *notify_spool_open(const char *path, char *err, size_t errlen)
{
	struct notify_spool *sp = calloc(1, sizeof(*sp));
	char why[256];

	if (!sp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	const char *file = path ? path : ":memory:";
	int rc = path && !(sp->path = strdup(path)) ? SQLITE_NOMEM : SQLITE_OK;
	if (rc != SQLITE_OK)
		snprintf(why, sizeof(why), "%s: out of memory", file);
	else
		rc = state_db_open(&sp->db, file, spool_schema, why, sizeof(why));
	if (rc == SQLITE_OK)
		rc = spool_migrate(sp->db, file, why, sizeof(why));
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "notify spool %s", why);
		notify_spool_close(sp);
		return NULL;
	}
	return sp;
}

/* ---- holding the spool in memory ------------------------------------------------- */

/* A statement failed with rc: -ENOSPC for the file's trouble (or a full memory
 * spool; the file's reason is kept for spool_hold), else -EIO (logged). */
static int spool_fail(struct notify_spool *sp, int rc)
{
	if (!state_db_disk_error(rc)) {
		log_warnx("notify", NULL, "spool: %s", sqlite3_errmsg(spool_db(sp)));
		return -EIO;
	}
	if (!sp->mem)
		state_db_failure(sp->db, rc, sp->why, sizeof(sp->why));
	return -ENOSPC;
}

/* Attaches the file to the memory spool as "disk", copies its queued items and
 * pending messages, and keeps its largest message id.  SQLITE_OK or an error code. */
static int hold_fill(struct notify_spool *sp)
{
	static const char copy[] =
		"INSERT INTO main.queue SELECT * FROM disk.queue;"
		"INSERT INTO main.messages SELECT * FROM disk.messages WHERE state=0;"
		"INSERT INTO main.sent SELECT * FROM disk.sent;";
	struct store_row disk = {0};
	store_row_text(&disk, sp->path);
	sqlite3_stmt *st = state_db_query(sp->mem, "ATTACH DATABASE ? AS disk", &disk);
	int rc = st && sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sp->mem, copy, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	st = state_db_query(sp->mem, "SELECT coalesce(max(id), 0) FROM disk.messages", NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		sp->id_floor = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return st ? SQLITE_OK : SQLITE_ERROR;
}

/* Opens the memory spool with the file's queued items and pending messages. */
static int hold_open(struct notify_spool *sp)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count=%d;",
		 NOTIFY_HOLD_MAX_MB * 1024 * 1024 / 4096);
	int rc = sqlite3_open_v2(":memory:", &sp->mem, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sp->mem, "PRAGMA page_size=4096;", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sp->mem, spool_schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sp->mem, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = hold_fill(sp);
	if (rc != SQLITE_OK) {
		log_warnx("notify", NULL, "spool %s: cannot hold it in memory: %s", sp->path,
			  sp->mem ? sqlite3_errmsg(sp->mem) : "out of memory");
		sqlite3_close(sp->mem);
		sp->mem = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* A write to the file failed for the file's trouble (sp->why): moves the spool to
 * memory.  0 when the write can be done again there. */
static int spool_hold(struct notify_spool *sp)
{
	if (sp->mem || !sp->path)
		return -EIO;
	state_db_rollback(sp->db);
	if (hold_open(sp) < 0)
		return -EIO;
	sp->retry_ms = clock_mono_ms() + NOTIFY_HOLD_RETRY_MS;
	log_msg(LOG_LVL_ERROR, "notify", NULL,
		"spool %s: cannot write: %s: notifications held in memory (at most %d MiB) and "
		"delivered from there, written back every %d s", sp->path, sp->why,
		NOTIFY_HOLD_MAX_MB, NOTIFY_HOLD_RETRY_MS / 1000);
	return 0;
}

/* Writes the memory spool's rows into the file in one transaction.  0 when done. */
static int hold_write_back(struct notify_spool *sp)
{
	static const char back[] =
		"BEGIN IMMEDIATE;"
		"DELETE FROM disk.queue;"
		"INSERT INTO disk.queue SELECT * FROM main.queue;"
		"INSERT OR REPLACE INTO disk.messages SELECT * FROM main.messages;"
		"INSERT OR IGNORE INTO disk.sent SELECT * FROM main.sent;"
		"COMMIT;";
	int rc = sqlite3_exec(sp->mem, back, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return 0;
	state_db_failure(sp->mem, rc, sp->why, sizeof(sp->why));
	state_db_rollback(sp->mem);
	return -EIO;
}

/* Items and messages in the memory spool (0 when there is none). */
static size_t hold_rows(struct notify_spool *sp)
{
	sqlite3_stmt *st = sp->mem ? state_db_query(sp->mem, "SELECT (SELECT count(*) FROM"
						    " main.queue) + (SELECT count(*) FROM main.messages)",
						    NULL) : NULL;
	size_t n = 0;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Back to the file if the memory spool could be written into it. */
static void hold_end(struct notify_spool *sp, bool force)
{
	if (!sp->mem || (!force && clock_mono_ms() < sp->retry_ms))
		return;
	sp->retry_ms = clock_mono_ms() + NOTIFY_HOLD_RETRY_MS;
	size_t rows = hold_rows(sp);
	if (hold_write_back(sp) < 0)
		return;
	log_info("notify", NULL, "spool %s: written again: %zu items and messages held in memory"
		 " stored", sp->path, rows);
	sqlite3_close(sp->mem);
	sp->mem = NULL;
	sp->id_floor = 0;
	sp->why[0] = '\0';
}

void notify_spool_retry(struct notify_spool *sp)
{
	hold_end(sp, false);
}

bool notify_spool_health(struct notify_spool *sp, size_t *held, uint64_t *lost)
{
	*held = hold_rows(sp);
	*lost = sp->lost;
	return sp->mem != NULL;
}

void notify_spool_close(struct notify_spool *sp)
{
	if (!sp)
		return;
	hold_end(sp, true);
	if (sp->mem)
		log_msg(LOG_LVL_ERROR, "notify", NULL, "spool %s: %zu items and messages held in "
			"memory lost at shutdown: %s", sp->path, hold_rows(sp), sp->why);
	sqlite3_close(sp->mem);
	sqlite3_close(sp->db);
	free(sp->path);
	free(sp);
}

/* ---- statements ------------------------------------------------------------------- */

/* Prepares sql on the spool's database with args bound (NULL: none).  NULL on error
 * (logged). */
static sqlite3_stmt *spool_stmt(struct notify_spool *sp, const char *sql,
				const struct store_row *args)
{
	sqlite3_stmt *st = state_db_query(spool_db(sp), sql, args);
	if (!st)
		log_warnx("notify", NULL, "spool: %s", sqlite3_errmsg(spool_db(sp)));
	return st;
}

/* Steps a statement that returns no rows and finalizes it.  0, -ENOSPC when the file
 * (or the memory spool) is full or failing, -EIO otherwise (logged). */
static int spool_done(struct notify_spool *sp, sqlite3_stmt *st)
{
	if (!st)
		return -EIO;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : spool_fail(sp, sqlite3_extended_errcode(spool_db(sp)));
}

/* One write (a statement returning no rows); done again in memory if the file refuses
 * it.  0 or a negative errno. */
static int spool_write(struct notify_spool *sp, const char *sql, const struct store_row *args)
{
	int rc = spool_done(sp, spool_stmt(sp, sql, args));
	if (rc == -ENOSPC && spool_hold(sp) == 0)
		rc = spool_done(sp, spool_stmt(sp, sql, args));
	return rc;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* An item could not be queued, not even in memory: counted and said. */
static void spool_lose(struct notify_spool *sp, const char *rcpt)
{
	char why[96];
	sp->lost++;
	if (sp->mem)
		snprintf(why, sizeof(why), "the memory spool is full (%d MiB)", NOTIFY_HOLD_MAX_MB);
	else
		snprintf(why, sizeof(why), "the spool cannot be written");
	log_complain(&sp->loss, clock_mono_ms(), "notify", NULL,
		     "spool %s: a notification for %s is lost: %s (%llu lost since start)",
		     sp->path ? sp->path : ":memory:", rcpt, why, (unsigned long long)sp->lost);
}

int notify_spool_queue(struct notify_spool *sp, const struct notify_item *it)
{
	struct store_row r = {0};
	store_row_text(&r, it->rcpt);
	store_row_int(&r, it->alert_id);
	store_row_text(&r, it->kind);
	store_row_int(&r, it->severity);
	store_row_text(&r, it->subject);
	store_row_text(&r, it->line);
	store_row_text(&r, it->block);
	store_row_int(&r, it->group_wait_ms);
	store_row_int(&r, it->created_ms);
	int rc = spool_write(sp, "INSERT INTO queue(rcpt, alert_id, kind, severity, subject, line,"
			     " block, group_wait_ms, created_ms) VALUES(?,?,?,?,?,?,?,?,?)", &r);
	if (rc < 0)
		spool_lose(sp, it->rcpt);
	return rc;
}

int notify_spool_items(struct notify_spool *sp, const char *rcpt,
		       void (*fn)(void *arg, const struct notify_item *it), void *arg)
{
	struct store_row args = {0};
	store_row_text(&args, rcpt);
	sqlite3_stmt *st = spool_stmt(sp, "SELECT id, alert_id, kind, severity, subject, line,"
				      " block, group_wait_ms, created_ms, graph FROM queue WHERE"
				      " rcpt=? ORDER BY id", &args);
	if (!st)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct notify_item it = {
			.id = sqlite3_column_int64(st, 0), .rcpt = rcpt,
			.alert_id = sqlite3_column_int64(st, 1), .kind = col_text(st, 2),
			.severity = sqlite3_column_int(st, 3), .subject = col_text(st, 4),
			.line = col_text(st, 5), .block = col_text(st, 6),
			.group_wait_ms = sqlite3_column_int64(st, 7),
			.created_ms = sqlite3_column_int64(st, 8),
			.graph = sqlite3_column_blob(st, 9),
			.graph_len = (size_t)sqlite3_column_bytes(st, 9)};
		fn(arg, &it);
	}
	sqlite3_finalize(st);
	return 0;
}

int notify_spool_set_graph(struct notify_spool *sp, int64_t alert_id, const char *kind,
			   int64_t created_ms, const unsigned char *png, size_t len)
{
	struct store_row r = {0};
	store_row_int(&r, alert_id);
	store_row_text(&r, kind);
	store_row_int(&r, created_ms);
	sqlite3_stmt *st = spool_stmt(sp, "UPDATE queue SET graph=?4 WHERE alert_id=?1 AND"
				      " kind=?2 AND created_ms=?3", &r);
	if (st && sqlite3_bind_blob(st, 4, png, (int)len, SQLITE_TRANSIENT) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -ENOMEM;
	}
	return spool_done(sp, st);
}

int notify_spool_queued_rcpts(struct notify_spool *sp,
			      void (*fn)(void *arg, const char *rcpt, size_t n, int64_t wait_ms),
			      void *arg)
{
	sqlite3_stmt *st = spool_stmt(sp, "SELECT rcpt, count(*), min(group_wait_ms) FROM queue"
				      " GROUP BY rcpt", NULL);
	if (!st)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(arg, col_text(st, 0), (size_t)sqlite3_column_int64(st, 1),
		   sqlite3_column_int64(st, 2));
	sqlite3_finalize(st);
	return 0;
}

/* Inserts the message row, then gives it its Message-ID and text. */
static int spool_insert_message(struct notify_spool *sp, const struct notify_compose *c,
				int64_t now_ms, int64_t *id)
{
	struct store_row r = {0};
	store_row_int(&r, sp->id_floor); /* in memory, ids continue above the file's */
	store_row_text(&r, c->rcpt);
	store_row_text(&r, c->subject);
	store_row_text(&r, c->kind);
	store_row_text(&r, c->alert_ids);
	store_row_int(&r, now_ms);
	store_row_int(&r, now_ms);
	int rc = spool_done(sp, spool_stmt(sp,
		"INSERT INTO messages(id, rcpt, subject, kind, alert_ids, state, attempts,"
		" created_ms, next_ms, last_error) VALUES(max(?, (SELECT coalesce(max(id), 0)"
		" FROM messages)) + 1,?,?,?,?,0,0,?,?,'')", &r));
	if (rc < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(spool_db(sp));
	char mid[512];
	snprintf(mid, sizeof(mid), "<dcmon.%lld.%lld@%s>", (long long)*id, (long long)now_ms,
		 c->host);
	char *text = notify_text_message(c, mid, now_ms);
	if (!text)
		return -ENOMEM;
	r = (struct store_row){0};
	store_row_text(&r, mid);
	store_row_text(&r, text);
	store_row_int(&r, *id);
	rc = spool_done(sp, spool_stmt(sp, "UPDATE messages SET message_id=?, text=? WHERE id=?",
				       &r));
	free(text);
	return rc;
}

/* Runs sql (no rows) on the spool's database.  0 or spool_done's errors. */
static int spool_exec(struct notify_spool *sp, const char *sql)
{
	int rc = sqlite3_exec(spool_db(sp), sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : spool_fail(sp, rc);
}

/* Records mark's period as sent at now_ms (a no-op when it is already). */
static int spool_insert_sent(struct notify_spool *sp, const struct notify_period *mark,
			     int64_t now_ms)
{
	struct store_row r = {0};
	store_row_text(&r, mark->schedule);
	store_row_text(&r, mark->period);
	store_row_int(&r, now_ms);
	return spool_done(sp, spool_stmt(sp, "INSERT OR IGNORE INTO sent(schedule, period, ts_ms)"
				       " VALUES(?, ?, ?)", &r));
}

/* Spools the n messages of c in one transaction (each dropping its queued items), with
 * mark's period recorded as sent in it when mark is not NULL. */
static int compose_once(struct notify_spool *sp, const struct notify_compose *c, size_t n,
			const struct notify_period *mark, int64_t now_ms, int64_t *ids)
{
	int rc = spool_exec(sp, "BEGIN IMMEDIATE");
	if (rc == 0 && mark)
		rc = spool_insert_sent(sp, mark, now_ms);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_row composed = {0};
		store_row_text(&composed, c[i].rcpt);
		store_row_int(&composed, c[i].max_item_id);
		rc = spool_insert_message(sp, &c[i], now_ms, &ids[i]);
		if (rc == 0)
			rc = spool_done(sp, spool_stmt(sp, "DELETE FROM queue WHERE rcpt=? AND id<=?",
						       &composed));
	}
	if (rc == 0)
		rc = spool_exec(sp, "COMMIT");
	if (rc < 0)
		state_db_rollback(spool_db(sp));
	return rc;
}

int notify_spool_compose_marked(struct notify_spool *sp, const struct notify_compose *c,
				size_t n, const struct notify_period *mark, int64_t now_ms,
				int64_t *ids)
{
	int rc = compose_once(sp, c, n, mark, now_ms, ids);
	if (rc == -ENOSPC && spool_hold(sp) == 0)
		rc = compose_once(sp, c, n, mark, now_ms, ids);
	return rc;
}

int notify_spool_compose_all(struct notify_spool *sp, const struct notify_compose *c, size_t n,
			     int64_t now_ms, int64_t *ids)
{
	return notify_spool_compose_marked(sp, c, n, NULL, now_ms, ids);
}

int notify_spool_period_sent(struct notify_spool *sp, const struct notify_period *p)
{
	struct store_row args = {0};
	store_row_text(&args, p->schedule);
	store_row_text(&args, p->period);
	sqlite3_stmt *st = spool_stmt(sp, "SELECT 1 FROM sent WHERE schedule=? AND period=?",
				      &args);
	if (!st)
		return -EIO;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int notify_spool_period_last(struct notify_spool *sp, const char *schedule, char *buf,
			     size_t len)
{
	struct store_row args = {0};
	store_row_text(&args, schedule);
	sqlite3_stmt *st = spool_stmt(sp, "SELECT max(period) FROM sent WHERE schedule=?", &args);
	if (!st)
		return -EIO;
	int rc = sqlite3_step(st);
	const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	snprintf(buf, len, "%s", v ? (const char *)v : "");
	sqlite3_finalize(st);
	return rc != SQLITE_ROW ? -EIO : v ? 1 : 0;
}

int notify_spool_compose(struct notify_spool *sp, const struct notify_compose *c,
			 int64_t now_ms, int64_t *id)
{
	return notify_spool_compose_all(sp, c, 1, now_ms, id);
}

void notify_out_free(struct notify_out *o)
{
	if (!o)
		return;
	free(o->message_id);
	free(o->rcpt);
	free(o->text);
	*o = (struct notify_out){0};
}

int notify_spool_due(struct notify_spool *sp, int64_t now_ms, struct notify_out *out, int max)
{
	/* a recipient's messages go out in the order they were made: one waiting for its
	 * retry holds back the newer ones (a RESOLVED never overtakes its CRITICAL) */
	struct store_row args = {0};
	store_row_int(&args, now_ms);
	store_row_int(&args, max);
	sqlite3_stmt *st = spool_stmt(sp, "SELECT id, message_id, rcpt, text, attempts, created_ms"
				      " FROM messages m WHERE state=0 AND next_ms<=?1 AND NOT EXISTS"
				      " (SELECT 1 FROM messages o WHERE o.state=0 AND o.rcpt=m.rcpt"
				      " AND o.id<m.id AND o.next_ms>?1) ORDER BY id LIMIT ?2", &args);
	int n = 0;

	if (!st)
		return -EIO;
	while (n < max && sqlite3_step(st) == SQLITE_ROW) {
		struct notify_out *o = &out[n];
		*o = (struct notify_out){.id = sqlite3_column_int64(st, 0),
					 .message_id = strdup(col_text(st, 1)),
					 .rcpt = strdup(col_text(st, 2)),
					 .text = strdup(col_text(st, 3)),
					 .attempts = sqlite3_column_int(st, 4),
					 .created_ms = sqlite3_column_int64(st, 5)};
		if (!o->message_id || !o->rcpt || !o->text) {
			notify_out_free(o);
			break;
		}
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

int64_t notify_spool_next_due(struct notify_spool *sp)
{
	sqlite3_stmt *st = spool_stmt(sp, "SELECT min(next_ms) FROM messages WHERE state=0", NULL);
	int64_t next = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		next = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return next;
}

int notify_spool_mark_sent(struct notify_spool *sp, int64_t id, int64_t now_ms)
{
	struct store_row r = {0};
	store_row_int(&r, now_ms);
	store_row_int(&r, id);
	return spool_write(sp, "UPDATE messages SET state=1, sent_ms=?, attempts=attempts+1,"
			   " last_error='' WHERE id=?", &r);
}

/* The values of a failed attempt: its error, the next time, the message. */
static struct store_row attempt_row(const char *why, int64_t next_ms, int64_t id)
{
	struct store_row r = {0};
	store_row_text(&r, why);
	store_row_int(&r, next_ms);
	store_row_int(&r, id);
	return r;
}

int notify_spool_mark_failed(struct notify_spool *sp, int64_t id, const char *why, int64_t now_ms)
{
	struct store_row r = attempt_row(why, now_ms, id);
	return spool_write(sp, "UPDATE messages SET state=2, attempts=attempts+1,"
			   " last_error=?, next_ms=? WHERE id=?", &r);
}

int notify_spool_mark_retry(struct notify_spool *sp, int64_t id, const char *why, int64_t next_ms)
{
	struct store_row r = attempt_row(why, next_ms, id);
	return spool_write(sp, "UPDATE messages SET attempts=attempts+1,"
			   " last_error=?, next_ms=? WHERE id=?", &r);
}

int notify_spool_prune(struct notify_spool *sp, int64_t before_ms, int max)
{
	/* ids grow with creation time, so the oldest rows are found from the first id on;
	 * pending messages stay until sent or given up (give_up marks them failed).  While held
	 * in memory, nothing is pruned until the file is the spool again. */
	struct store_row r = {0};
	if (sp->mem)
		return 0;
	store_row_int(&r, before_ms);
	store_row_int(&r, max);
	int rc = spool_done(sp, spool_stmt(sp, "DELETE FROM messages WHERE id IN (SELECT id"
				       " FROM messages WHERE state<>0 AND created_ms<? ORDER BY id"
				       " LIMIT ?)", &r));
	return rc < 0 ? rc : sqlite3_changes(spool_db(sp));
}

int notify_spool_list(struct notify_spool *sp, const enum notify_state *state, size_t limit,
		      bool (*fn)(void *arg, const struct notify_msg_view *v), void *arg)
{
	struct store_row args = {0};
	store_row_int(&args, state ? (int)*state : -1);
	store_row_int(&args, (int64_t)limit);
	sqlite3_stmt *st = spool_stmt(sp, "SELECT id, message_id, rcpt, subject, kind, alert_ids,"
				      " state, attempts, created_ms, next_ms, sent_ms, last_error"
				      " FROM messages WHERE ?1<0 OR state=?1 ORDER BY id DESC"
				      " LIMIT ?2", &args);
	if (!st)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct notify_msg_view v = {
			.id = sqlite3_column_int64(st, 0), .message_id = col_text(st, 1),
			.rcpt = col_text(st, 2), .subject = col_text(st, 3), .kind = col_text(st, 4),
			.alert_ids = col_text(st, 5), .state = sqlite3_column_int(st, 6),
			.attempts = sqlite3_column_int(st, 7),
			.created_ms = sqlite3_column_int64(st, 8),
			.next_ms = sqlite3_column_int(st, 6) == NOTIFY_PENDING
					   ? sqlite3_column_int64(st, 9) : 0,
			.sent_ms = sqlite3_column_int64(st, 10), .last_error = col_text(st, 11)};
		if (!fn(arg, &v))
			break;
	}
	sqlite3_finalize(st);
	return 0;
}

void notify_spool_counts(struct notify_spool *sp, struct notify_counts *c)
{
	sqlite3_stmt *st = spool_stmt(sp, "SELECT state, count(*) FROM messages GROUP BY state", NULL);
	*c = (struct notify_counts){0};
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_int64(st, 1);
		int s = sqlite3_column_int(st, 0);
		if (s == NOTIFY_PENDING)
			c->pending = n;
		else if (s == NOTIFY_SENT)
			c->sent = n;
		else
			c->failed = n;
	}
	sqlite3_finalize(st);
	st = spool_stmt(sp, "SELECT count(*) FROM queue", NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		c->queued = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
}
