/* The durable outbox of alert events (dcmon/outbox.h).  WAL with synchronous=NORMAL,
 * like the mail spool: a commit survives dcmond's crash (kill -9); a power cut may
 * lose the last few, as it may lose the mail spool's. */
#include "dcmon/outbox.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"
#include "dcmon/state_db.h"

static const char outbox_schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	" payload TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS incarnation(id INTEGER NOT NULL);";

enum { OB_ADD, OB_REMOVE, OB_LOAD, OB_COUNT, OB_NSTMT };

static const char *const outbox_sql[OB_NSTMT] = {
	[OB_ADD] = "INSERT INTO outbox(seq, payload) VALUES(?, ?)",
	[OB_REMOVE] = "DELETE FROM outbox WHERE seq = ?",
	[OB_LOAD] = "SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
	[OB_COUNT] = "SELECT count(*) FROM outbox",
};

struct outbox {
	sqlite3 *db;
	sqlite3_stmt *stmt[OB_NSTMT];
	char *path;
	const char *tag; /* the log's subsystem: "mqtt" */
	int64_t incarnation;
	int64_t next_seq;
	struct log_complaint fail; /* rate-limits the lines about failed writes */
};

/* The first column of the first row of sql, or dflt. */
static int64_t query_int(sqlite3 *db, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st = state_db_query(db, sql, NULL);
	int64_t v = st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL ?
			    sqlite3_column_int64(st, 0) : dflt;
	sqlite3_finalize(st);
	return v;
}

/* Reads the incarnation, or makes it on a new file. */
static int incarnation_load(struct outbox *ob, char *err, size_t errlen)
{
	ob->incarnation = query_int(ob->db, "SELECT id FROM incarnation", 0);
	if (ob->incarnation)
		return 0;
	ob->incarnation = clock_wall_ms();
	struct store_row r = {0};
	store_row_int(&r, ob->incarnation);
	sqlite3_stmt *st = state_db_query(ob->db, "INSERT INTO incarnation(id) VALUES(?)", &r);
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s outbox %s: %s", ob->tag, ob->path, sqlite3_errmsg(ob->db));
		return -1;
	}
	return 0;
}

struct outbox *outbox_open(const char *path, const char *tag, char *err, size_t errlen)
{
	char why[256];
	struct outbox *ob = calloc(1, sizeof(*ob));
	if (ob)
		ob->tag = tag;
	if (!ob || !(ob->path = strdup(path ? path : ":memory:"))) {
		snprintf(err, errlen, "%s outbox: out of memory", tag);
		outbox_close(ob);
		return NULL;
	}
	if (state_db_open(&ob->db, ob->path, outbox_schema, why, sizeof(why)) != SQLITE_OK ||
	    state_db_prepare_all(ob->db, ob->path, outbox_sql, ob->stmt, OB_NSTMT, why,
				 sizeof(why)) != SQLITE_OK) {
		snprintf(err, errlen, "%s outbox %s", tag, why);
		outbox_close(ob);
		return NULL;
	}
	if (incarnation_load(ob, err, errlen) < 0) {
		outbox_close(ob);
		return NULL;
	}
	/* sqlite_sequence keeps the largest number ever given, removed ones too */
	ob->next_seq = 1 + query_int(ob->db, "SELECT seq FROM sqlite_sequence WHERE name = "
				     "'outbox'", 0);
	return ob;
}

void outbox_close(struct outbox *ob)
{
	if (!ob)
		return;
	state_db_finalize_all(ob->stmt, OB_NSTMT);
	sqlite3_close(ob->db);
	free(ob->path);
	free(ob);
}

int64_t outbox_incarnation(const struct outbox *ob)
{
	return ob->incarnation;
}

int64_t outbox_next_seq(const struct outbox *ob)
{
	return ob->next_seq;
}

int outbox_add(struct outbox *ob, int64_t seq, const char *payload)
{
	struct store_row r = {0};
	store_row_int(&r, seq);
	store_row_text(&r, payload);
	ob->next_seq = seq + 1; /* given even when the write failed: never given twice */
	int rc = state_db_run(ob->stmt[OB_ADD], r.v, r.n);
	if (rc == SQLITE_DONE) {
		log_complain_release(&ob->fail, ob->tag, NULL, "outbox %s: writable again",
				     ob->path);
		return 0;
	}
	char why[192];
	state_db_failure(ob->db, rc, why, sizeof(why));
	log_complain(&ob->fail, clock_mono_ms(), ob->tag, NULL, "outbox %s: cannot write: %s: "
		     "alert events wait in memory only (a restart loses them)", ob->path, why);
	return -1;
}

void outbox_remove(struct outbox *ob, int64_t seq)
{
	struct store_row r = {0};
	store_row_int(&r, seq);
	int rc = state_db_run(ob->stmt[OB_REMOVE], r.v, r.n);
	if (rc != SQLITE_DONE) /* sent again after a restart: the hub applies it once */
		log_complain(&ob->fail, clock_mono_ms(), ob->tag, NULL, "outbox %s: cannot "
			     "remove an acknowledged event: %s", ob->path, sqlite3_errmsg(ob->db));
}

size_t outbox_load(struct outbox *ob, int64_t after, size_t limit,
			void (*fn)(void *arg, int64_t seq, const char *payload), void *arg)
{
	sqlite3_stmt *st = ob->stmt[OB_LOAD];
	struct store_row r = {0};
	store_row_int(&r, after);
	store_row_int(&r, (int64_t)limit);
	state_db_bind(st, r.v, r.n);
	size_t n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		fn(arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return n;
}

size_t outbox_count(struct outbox *ob)
{
	sqlite3_stmt *st = ob->stmt[OB_COUNT];
	size_t n = sqlite3_step(st) == SQLITE_ROW ? (size_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return n;
}
