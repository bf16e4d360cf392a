/* The SQLite plumbing shared by dcmond's state files, alerts.db and notify.db
 * (alerting/) and accounts.db (accounts/): opening one, statements
 * prepared from a table of SQL, values bound from a typed row, and what a failure
 * says.  Each store keeps its own schema and its own way of riding out a full disk
 * (docs/ARCHITECTURE.md, "Files on disk"). */
#ifndef DCMON_STATE_DB_H
#define DCMON_STATE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dcmon/log.h"

#define STATE_DB_BUSY_MS 2000 /* wait for another connection's lock before SQLITE_BUSY */
#define STORE_VALS_MAX 19     /* values of the widest statement (an alerts.db silence) */

struct sqlite3;
struct sqlite3_stmt;

/* One value of a statement.  Texts point to the caller's strings in a store_row and
 * are owned copies once held (core/state_db_held.c). */
struct store_val {
	enum { SV_NULL, SV_INT, SV_DOUBLE, SV_TEXT } type;
	union {
		int64_t i;
		double d;
		char *s;
	} u;
};

/* The values of one statement in parameter order; stmt indexes the store's table of
 * prepared statements (unused for a one-off query). */
struct store_row {
	int stmt;
	int n;
	struct store_val v[STORE_VALS_MAX];
};

void store_row_int(struct store_row *r, int64_t v);
void store_row_double(struct store_row *r, double v); /* NaN/Inf stored as NULL */
void store_row_text(struct store_row *r, const char *v); /* NULL stored as NULL */

/* Opens path (created if missing; ":memory:" allowed) with the busy timeout, then
 * runs schema (pragmas and CREATE ... IF NOT EXISTS; NULL: none).  SQLITE_OK, or an
 * SQLite error code with err filled ("<path>: <why>"); *db is set either way (close
 * it with sqlite3_close). */
int state_db_open(struct sqlite3 **db, const char *path, const char *schema, char *err,
		  size_t errlen);
/* Runs sql (statements without rows) on db.  SQLITE_OK, or an error code with err
 * filled ("<path>: <why>"). */
int state_db_exec(struct sqlite3 *db, const char *path, const char *sql, char *err,
		  size_t errlen);
/* Prepares sql[i] into stmts[i] for i < n.  SQLITE_OK, or the first error code with
 * err filled ("<path>: <why>"); prepared ones stay in stmts for finalize_all. */
int state_db_prepare_all(struct sqlite3 *db, const char *path, const char *const *sql,
			 struct sqlite3_stmt **stmts, int n, char *err, size_t errlen);
void state_db_finalize_all(struct sqlite3_stmt **stmts, int n);

/* Binds v[0..n) to parameters 1..n (texts not copied: they must outlive the step). */
void state_db_bind(struct sqlite3_stmt *s, const struct store_val *v, int n);
/* Prepares sql on db and binds args (NULL: none).  NULL when SQLite refuses the SQL;
 * the reason is in sqlite3_errmsg(db). */
struct sqlite3_stmt *state_db_query(struct sqlite3 *db, const char *sql,
				    const struct store_row *args);
/* Column i of the row s stands on as text into out ("" for NULL), cut to len. */
void state_db_column_text(struct sqlite3_stmt *s, int i, char *out, size_t len);
/* Binds v[0..n) to a prepared statement that returns no rows, steps it and makes it
 * ready for the next use.  SQLITE_DONE, or the error code (the message stays in
 * sqlite3_errmsg). */
int state_db_run(struct sqlite3_stmt *s, const struct store_val *v, int n);
/* Rolls back the transaction open on db, if any (after a failed statement). */
void state_db_rollback(struct sqlite3 *db);

/* ---- state files that cannot be written ---- */

/* True when SQLite result code rc is the file's trouble (disk full, I/O error, read-only,
 * locked by another process) rather than the statement's: worth holding in memory and
 * trying again. */
bool state_db_disk_error(int rc);
/* Why the last statement on db failed with rc, naming the system's reason:
 * "database or disk is full (No space left on device)". */
void state_db_failure(struct sqlite3 *db, int rc, char *buf, size_t len);

/* ---- writes held in memory while a store cannot write (core/state_db_held.c) ---- */

#define STORE_HELD_MAX 100000 /* writes kept while a file cannot be written (~250 B each) */
#define STORE_RETRY_MS 2000   /* pause between two attempts to write them, monotonic ms */

struct store_held_op;

/* Every write goes through here: it is held, in order, until a transaction holding it
 * commits.  When the file cannot be written (disk full, I/O error) the writes stay
 * held and are tried again every STORE_RETRY_MS; past STORE_HELD_MAX a new write is
 * dropped and counted in `lost`.  alerts.db and reports.db. */
struct store_held {
	/* Set by the owner: the log subsystem ("alert") and what the writes are, for the
	 * lines ("alert state"). */
	const char *sub, *what;
	struct store_held_op **ops; /* oldest first */
	size_t n, cap;
	bool failing;               /* the last attempt failed: retry at retry_ms */
	int64_t retry_ms;           /* monotonic ms */
	uint64_t lost;              /* writes dropped (bound reached or out of memory) */
	char why[192];              /* the last failure, "" when none */
	struct log_complaint loss;  /* rate-limits the lines about lost writes */
};

/* Holds a copy of r.  0, or -ENOSPC / -ENOMEM when it was dropped (counted, logged). */
int store_held_push(struct store_held *h, const struct store_row *r, const char *file);
/* Writes every held row in one transaction with stmts (prepared on db).  0 when done
 * (a row refused for its content is logged and dropped), -EAGAIN while failing and
 * before retry_ms (unless force), else -EIO with the rows kept, logged once. */
int store_held_write(struct store_held *h, struct sqlite3 *db, struct sqlite3_stmt *const *stmts,
		     const char *file, bool force);
void store_held_free(struct store_held *h);

#endif
