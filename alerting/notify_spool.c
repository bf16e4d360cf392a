/* The durable spool of alert e-mail in SQLite (WAL): items queued per recipient before
 * grouping, and composed messages with their delivery state.  Everything is committed
 * before anything is sent, so neither a mail server outage nor kill -9 loses a
 * notification; a message keeps its Message-ID across retries and restarts. */
#include "notify_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"

static const char spool_schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS queue(id INTEGER PRIMARY KEY, rcpt TEXT NOT NULL,"
	" alert_id INTEGER, kind TEXT NOT NULL, severity INTEGER, subject TEXT NOT NULL,"
	" line TEXT NOT NULL, block TEXT NOT NULL, group_wait_ms INTEGER NOT NULL,"
	" created_ms INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS queue_rcpt ON queue(rcpt, id);"
	"CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY, message_id TEXT UNIQUE,"
	" rcpt TEXT NOT NULL, subject TEXT NOT NULL, kind TEXT NOT NULL, alert_ids TEXT,"
	" text TEXT, state INTEGER NOT NULL, attempts INTEGER NOT NULL, created_ms INTEGER"
	" NOT NULL, next_ms INTEGER NOT NULL, sent_ms INTEGER, last_error TEXT);"
	"CREATE INDEX IF NOT EXISTS messages_due ON messages(state, next_ms);";

struct notify_spool {
	sqlite3 *db;
};

struct notify_spool *notify_spool_open(const char *path, char *err, size_t errlen)
{
	struct notify_spool *sp = calloc(1, sizeof(*sp));
	char *msg = NULL;

	if (!sp) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	int rc = sqlite3_open_v2(path ? path : ":memory:", &sp->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(sp->db, 2000);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(sp->db, spool_schema, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "notify spool %s: %s", path ? path : ":memory:",
			 msg ? msg : sqlite3_errmsg(sp->db));
		sqlite3_free(msg);
		notify_spool_close(sp);
		return NULL;
	}
	return sp;
}

void notify_spool_close(struct notify_spool *sp)
{
	if (!sp)
		return;
	sqlite3_close(sp->db);
	free(sp);
}

/* Prepares sql and binds the arguments described by types: 'i' int64, 's' text
 * (NULL allowed).  NULL on error (logged). */
static sqlite3_stmt *spool_stmt(struct notify_spool *sp, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st = NULL;
	va_list ap;

	if (sqlite3_prepare_v2(sp->db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_warnx("notify", NULL, "spool: %s", sqlite3_errmsg(sp->db));
		return NULL;
	}
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
	}
	va_end(ap);
	return st;
}

/* Steps a statement that returns no rows and finalizes it.  0 or -EIO. */
static int spool_done(struct notify_spool *sp, sqlite3_stmt *st)
{
	if (!st)
		return -EIO;
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_warnx("notify", NULL, "spool: %s", sqlite3_errmsg(sp->db));
		return -EIO;
	}
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

int notify_spool_queue(struct notify_spool *sp, const struct notify_item *it)
{
	return spool_done(sp, spool_stmt(sp,
		"INSERT INTO queue(rcpt, alert_id, kind, severity, subject, line, block,"
		" group_wait_ms, created_ms) VALUES(?,?,?,?,?,?,?,?,?)", "sisisssii",
		it->rcpt, it->alert_id, it->kind, (int64_t)it->severity, it->subject, it->line,
		it->block, it->group_wait_ms, it->created_ms));
}

int notify_spool_items(struct notify_spool *sp, const char *rcpt,
		       void (*fn)(void *arg, const struct notify_item *it), void *arg)
{
	sqlite3_stmt *st = spool_stmt(sp, "SELECT id, alert_id, kind, severity, subject, line,"
				      " block, group_wait_ms, created_ms FROM queue WHERE rcpt=?"
				      " ORDER BY id", "s", rcpt);
	if (!st)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct notify_item it = {
			.id = sqlite3_column_int64(st, 0), .rcpt = rcpt,
			.alert_id = sqlite3_column_int64(st, 1), .kind = col_text(st, 2),
			.severity = sqlite3_column_int(st, 3), .subject = col_text(st, 4),
			.line = col_text(st, 5), .block = col_text(st, 6),
			.group_wait_ms = sqlite3_column_int64(st, 7),
			.created_ms = sqlite3_column_int64(st, 8)};
		fn(arg, &it);
	}
	sqlite3_finalize(st);
	return 0;
}

int notify_spool_queued_rcpts(struct notify_spool *sp,
			      void (*fn)(void *arg, const char *rcpt, size_t n, int64_t wait_ms),
			      void *arg)
{
	sqlite3_stmt *st = spool_stmt(sp, "SELECT rcpt, count(*), min(group_wait_ms) FROM queue"
				      " GROUP BY rcpt", "");
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
	int rc = spool_done(sp, spool_stmt(sp,
		"INSERT INTO messages(rcpt, subject, kind, alert_ids, state, attempts,"
		" created_ms, next_ms, last_error) VALUES(?,?,?,?,0,0,?,?,'')", "ssssii",
		c->rcpt, c->subject, c->kind, c->alert_ids, now_ms, now_ms));
	if (rc < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(sp->db);
	char mid[512];
	snprintf(mid, sizeof(mid), "<dcmon.%lld.%lld@%s>", (long long)*id, (long long)now_ms,
		 c->host);
	char *text = notify_text_message(c->from, c->rcpt, c->subject, mid, now_ms, c->kind,
					 c->alert_ids, c->body);
	if (!text)
		return -ENOMEM;
	rc = spool_done(sp, spool_stmt(sp, "UPDATE messages SET message_id=?, text=? WHERE id=?",
				       "ssi", mid, text, *id));
	free(text);
	return rc;
}

int notify_spool_compose(struct notify_spool *sp, const struct notify_compose *c,
			 int64_t now_ms, int64_t *id)
{
	if (sqlite3_exec(sp->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -EIO;
	int rc = spool_insert_message(sp, c, now_ms, id);
	if (rc == 0)
		rc = spool_done(sp, spool_stmt(sp, "DELETE FROM queue WHERE rcpt=? AND id<=?", "si",
					       c->rcpt, c->max_item_id));
	if (sqlite3_exec(sp->db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		rc = -EIO;
	return rc;
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
	sqlite3_stmt *st = spool_stmt(sp, "SELECT id, message_id, rcpt, text, attempts, created_ms"
				      " FROM messages WHERE state=0 AND next_ms<=? ORDER BY id"
				      " LIMIT ?", "ii", now_ms, (int64_t)max);
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
	sqlite3_stmt *st = spool_stmt(sp, "SELECT min(next_ms) FROM messages WHERE state=0", "");
	int64_t next = 0;

	if (st && sqlite3_step(st) == SQLITE_ROW)
		next = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return next;
}

int notify_spool_mark_sent(struct notify_spool *sp, int64_t id, int64_t now_ms)
{
	return spool_done(sp, spool_stmt(sp, "UPDATE messages SET state=1, sent_ms=?,"
					 " attempts=attempts+1, last_error='' WHERE id=?", "ii",
					 now_ms, id));
}

int notify_spool_mark_failed(struct notify_spool *sp, int64_t id, const char *why, int64_t now_ms)
{
	return spool_done(sp, spool_stmt(sp, "UPDATE messages SET state=2, attempts=attempts+1,"
					 " last_error=?, next_ms=? WHERE id=?", "sii", why, now_ms,
					 id));
}

int notify_spool_mark_retry(struct notify_spool *sp, int64_t id, const char *why, int64_t next_ms)
{
	return spool_done(sp, spool_stmt(sp, "UPDATE messages SET attempts=attempts+1,"
					 " last_error=?, next_ms=? WHERE id=?", "sii", why, next_ms,
					 id));
}

int notify_spool_list(struct notify_spool *sp, const enum notify_state *state, size_t limit,
		      bool (*fn)(void *arg, const struct notify_msg_view *v), void *arg)
{
	sqlite3_stmt *st = spool_stmt(sp, "SELECT id, message_id, rcpt, subject, kind, alert_ids,"
				      " state, attempts, created_ms, next_ms, sent_ms, last_error"
				      " FROM messages WHERE ?<0 OR state=? ORDER BY id DESC LIMIT ?",
				      "iii", (int64_t)(state ? (int)*state : -1),
				      (int64_t)(state ? (int)*state : -1), (int64_t)limit);
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
	sqlite3_stmt *st = spool_stmt(sp, "SELECT state, count(*) FROM messages GROUP BY state", "");
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
	st = spool_stmt(sp, "SELECT count(*) FROM queue", "");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		c->queued = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
}
