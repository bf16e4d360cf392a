/* The SQLite plumbing of dcmond's state files (dcmon/state_db.h). */
#include "dcmon/state_db.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

void store_row_int(struct store_row *r, int64_t v)
{
	r->v[r->n++] = (struct store_val){.type = SV_INT, .u.i = v};
}

void store_row_double(struct store_row *r, double v)
{
	r->v[r->n++] = isfinite(v) ? (struct store_val){.type = SV_DOUBLE, .u.d = v}
				   : (struct store_val){.type = SV_NULL};
}

void store_row_text(struct store_row *r, const char *v)
{
	r->v[r->n++] = v ? (struct store_val){.type = SV_TEXT, .u.s = (char *)v}
			 : (struct store_val){.type = SV_NULL};
}

/* Fills err with "<path>: <why>", why being msg (freed) or db's last error. */
static int db_error(sqlite3 *db, int rc, const char *path, char *msg, char *err, size_t errlen)
{
	const char *why = msg ? msg : db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	snprintf(err, errlen, "%s: %s", path, why);
	sqlite3_free(msg);
	return rc;
}

int state_db_open(sqlite3 **db, const char *path, const char *schema, char *err, size_t errlen)
{
	int rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(*db, STATE_DB_BUSY_MS);
	if (rc != SQLITE_OK)
		return db_error(*db, rc, path, NULL, err, errlen);
	return schema ? state_db_exec(*db, path, schema, err, errlen) : SQLITE_OK;
}

int state_db_exec(sqlite3 *db, const char *path, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	return rc == SQLITE_OK ? rc : db_error(db, rc, path, msg, err, errlen);
}

int state_db_prepare_all(sqlite3 *db, const char *path, const char *const *sql,
			 sqlite3_stmt **stmts, int n, char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		int rc = sqlite3_prepare_v2(db, sql[i], -1, &stmts[i], NULL);
		if (rc != SQLITE_OK)
			return db_error(db, rc, path, NULL, err, errlen);
	}
	return SQLITE_OK;
}

void state_db_finalize_all(sqlite3_stmt **stmts, int n)
{
	for (int i = 0; i < n; i++) {
		sqlite3_finalize(stmts[i]);
		stmts[i] = NULL;
	}
}

void state_db_bind(sqlite3_stmt *s, const struct store_val *v, int n)
{
	for (int i = 0; i < n; i++) {
		if (v[i].type == SV_INT)
			sqlite3_bind_int64(s, i + 1, v[i].u.i);
		else if (v[i].type == SV_DOUBLE)
			sqlite3_bind_double(s, i + 1, v[i].u.d);
		else if (v[i].type == SV_TEXT)
			sqlite3_bind_text(s, i + 1, v[i].u.s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, i + 1);
	}
}

void state_db_column_text(sqlite3_stmt *s, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(out, len, "%s", t ? (const char *)t : "");
}

sqlite3_stmt *state_db_query(sqlite3 *db, const char *sql, const struct store_row *args)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (args)
		state_db_bind(s, args->v, args->n);
	return s;
}

int state_db_run(sqlite3_stmt *s, const struct store_val *v, int n)
{
	state_db_bind(s, v, n);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

void state_db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

bool state_db_disk_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
		return true;
	default:
		return false;
	}
}

void state_db_failure(sqlite3 *db, int rc, char *buf, size_t len)
{
	/* SQLite keeps no errno for SQLITE_FULL: its unix VFS returns it for ENOSPC and
	 * short writes alone (a quota is an I/O error with EDQUOT) */
	int sys = (rc & 0xff) == SQLITE_FULL ? ENOSPC : sqlite3_system_errno(db);
	const char *msg = sqlite3_errmsg(db);
	if (!msg || !*msg || strcmp(msg, "not an error") == 0)
		msg = sqlite3_errstr(rc);
	if (sys)
		snprintf(buf, len, "%s (%s)", msg, strerror(sys));
	else
		snprintf(buf, len, "%s", msg);
}
