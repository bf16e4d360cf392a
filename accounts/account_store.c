/* accounts.db: accounts and their API tokens (dcmon/accounts.h), through the state
 * files' SQLite helper (dcmon/state_db.h). */
#include "accounts_int.h"

#include <errno.h>
#include <liboath/oath.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/state_db.h"

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS accounts("
	" name TEXT PRIMARY KEY, role TEXT NOT NULL, tenant TEXT, site TEXT,"
	" hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
	" failures INTEGER NOT NULL DEFAULT 0, locks INTEGER NOT NULL DEFAULT 0,"
	" locked_until_ms INTEGER NOT NULL DEFAULT 0, fail_since_ms INTEGER NOT NULL DEFAULT 0,"
	" created_ms INTEGER NOT NULL,"
	" last_login_ms INTEGER NOT NULL DEFAULT 0, password_changed_ms INTEGER NOT NULL,"
	" mfa_secret TEXT, mfa_counter INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS recovery_codes("
	" account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
	" hash TEXT NOT NULL, used_ms INTEGER);"
	/* mfa.c: a TOTP secret given out and not yet confirmed with a code; whether a
	 * tenant's accounts must have a second factor */
	"CREATE TABLE IF NOT EXISTS mfa_pending("
	" account TEXT PRIMARY KEY REFERENCES accounts(name) ON DELETE CASCADE,"
	" secret TEXT NOT NULL, created_ms INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tenant_mfa(tenant TEXT PRIMARY KEY, required INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tokens("
	" id INTEGER PRIMARY KEY,"
	" account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
	" hash TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL,"
	" last_used_ms INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS sessions("
	" id_hash TEXT PRIMARY KEY,"
	" account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
	" csrf_hash TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	" last_seen_ms INTEGER NOT NULL, source TEXT);"
	/* login_watch.c: the addresses admins logged in from (ADMIN_SOURCES_MAX each), and
	 * failed logins (hashed names) by address, in memory only */
	"CREATE TABLE IF NOT EXISTS admin_sources("
	" account TEXT NOT NULL REFERENCES accounts(name) ON DELETE CASCADE,"
	" source TEXT NOT NULL, last_ms INTEGER NOT NULL, PRIMARY KEY(account, source));"
	"CREATE TEMP TABLE IF NOT EXISTS login_failures("
	" source TEXT NOT NULL, account TEXT NOT NULL, at_ms INTEGER NOT NULL,"
	" PRIMARY KEY(source, account));";

#define ACC_COLS "name, role, tenant, site, hash, disabled, failures, locks, locked_until_ms, " \
		 "created_ms, last_login_ms, password_changed_ms, fail_since_ms, mfa_secret, " \
		 "mfa_counter"

static const char *const sql[ACC_NSTMT] = {
	[ACC_INSERT] = "INSERT INTO accounts(" ACC_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,0,NULL,0)",
	[ACC_GET] = "SELECT " ACC_COLS " FROM accounts WHERE name = ?",
	[ACC_DELETE] = "DELETE FROM accounts WHERE name = ?",
	[ACC_SET_DISABLED] = "UPDATE accounts SET disabled = ? WHERE name = ?",
	[ACC_SET_HASH] = "UPDATE accounts SET hash = ?, password_changed_ms = ? WHERE name = ?",
	[ACC_SET_ROLE] = "UPDATE accounts SET role = ?, tenant = ?, site = ? WHERE name = ?",
	[ACC_UNLOCK] = "UPDATE accounts SET failures = 0, locks = 0, locked_until_ms = 0 "
		       "WHERE name = ?",
	[ACC_FAIL] = "UPDATE accounts SET failures = ?, locks = ?, locked_until_ms = ?, "
		     "fail_since_ms = ? WHERE name = ?",
	[ACC_LOGIN_OK] = "UPDATE accounts SET failures = 0, locks = 0, locked_until_ms = 0, "
			 "last_login_ms = ? WHERE name = ?",
	[ACC_TOKEN_INSERT] = "INSERT INTO tokens(account, hash, created_ms) VALUES(?,?,?)",
	[ACC_TOKEN_FIND] = "SELECT " ACC_COLS " FROM accounts WHERE name = "
			   "(SELECT account FROM tokens WHERE hash = ?)",
	[ACC_TOKEN_USED] = "UPDATE tokens SET last_used_ms = ? WHERE hash = ?",
	[ACC_SESSION_INSERT] = "INSERT INTO sessions(id_hash, account, csrf_hash, created_ms, "
			       "last_seen_ms, source) VALUES(?,?,?,?,?,?)",
	[ACC_SESSION_FIND] = "SELECT account, csrf_hash, created_ms, last_seen_ms FROM sessions "
			     "WHERE id_hash = ?",
	[ACC_SESSION_SEEN] = "UPDATE sessions SET last_seen_ms = ? WHERE id_hash = ?",
	[ACC_SESSION_DELETE] = "DELETE FROM sessions WHERE id_hash = ?",
	[ACC_SESSION_REVOKE] = "DELETE FROM sessions WHERE account = ? AND substr(id_hash, 1, 16) = ?",
	[ACC_ANY] = "SELECT 1 FROM accounts LIMIT 1",
	/* login_watch.c's report (every few seconds: a statement prepared each time cost
	 * more than the rest of an idle dcmond's tick) */
	[ACC_LIST] = "SELECT " ACC_COLS " FROM accounts ORDER BY name",
	[ACC_FAILURE_INSERT] = "INSERT OR REPLACE INTO login_failures(source, account, at_ms) "
			       "VALUES (?, ?, ?)",
	[ACC_FAILURES_BY_SOURCE] = "SELECT source, sum(at_ms >= ?1), "
				   "min(CASE WHEN at_ms >= ?1 THEN at_ms END) "
				   "FROM login_failures GROUP BY source",
	[ACC_FAILURES_PRUNE] = "DELETE FROM login_failures WHERE at_ms < ?",
};

static void account_read(sqlite3_stmt *s, struct account *acc)
{
	char role[32];
	*acc = (struct account){0};
	state_db_column_text(s, 0, acc->name, sizeof(acc->name));
	state_db_column_text(s, 1, role, sizeof(role));
	if (authz_role_parse(role, &acc->role) < 0)
		acc->role = AUTHZ_ROLE_NONE; /* edited by hand: no rights */
	state_db_column_text(s, 2, acc->tenant, sizeof(acc->tenant));
	state_db_column_text(s, 3, acc->site, sizeof(acc->site));
	state_db_column_text(s, 4, acc->hash, sizeof(acc->hash));
	acc->disabled = sqlite3_column_int(s, 5) != 0;
	acc->failures = sqlite3_column_int(s, 6);
	acc->locks = sqlite3_column_int(s, 7);
	acc->locked_until_ms = sqlite3_column_int64(s, 8);
	acc->created_ms = sqlite3_column_int64(s, 9);
	acc->last_login_ms = sqlite3_column_int64(s, 10);
	acc->password_changed_ms = sqlite3_column_int64(s, 11);
	acc->fail_since_ms = sqlite3_column_int64(s, 12);
	state_db_column_text(s, 13, acc->mfa_secret, sizeof(acc->mfa_secret));
	acc->mfa_counter = sqlite3_column_int64(s, 14);
}

int acc_run(struct accounts *a, enum acc_stmt st, const struct store_row *r,
		   bool must_change)
{
	int rc = state_db_run(a->stmt[st], r->v, r->n);
	/* what the login report reads may have changed: it reads the store again (the
	 * statements of every request and the report's own prune change none of it) */
	if (st != ACC_TOKEN_USED && st != ACC_SESSION_SEEN && st != ACC_FAILURES_PRUNE)
		a->watch.read = false;
	if (rc == SQLITE_CONSTRAINT)
		return -EEXIST;
	if (rc != SQLITE_DONE) {
		char why[256];
		state_db_failure(a->db, rc, why, sizeof(why));
		log_msg(LOG_LVL_ERROR, "accounts", NULL, "%s: %s", a->path, why);
		return -EIO;
	}
	return must_change && sqlite3_changes(a->db) == 0 ? -ENOENT : 0;
}

/* Steps a statement expected to return one account. */
static int acc_one(struct accounts *a, enum acc_stmt st, const struct store_row *r,
		   struct account *out)
{
	sqlite3_stmt *s = a->stmt[st];
	state_db_bind(s, r->v, r->n);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		account_read(s, out);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int account_get(struct accounts *a, const char *name, struct account *out)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	return acc_one(a, ACC_GET, &r, out);
}

static void opt_text(struct store_row *r, const char *s)
{
	store_row_text(r, s && s[0] ? s : NULL);
}

int account_insert(struct accounts *a, const struct account *acc)
{
	struct store_row r = {0};
	store_row_text(&r, acc->name);
	store_row_text(&r, authz_role_name(acc->role));
	opt_text(&r, acc->tenant);
	opt_text(&r, acc->site);
	store_row_text(&r, acc->hash);
	store_row_int(&r, acc->disabled);
	store_row_int(&r, 0);
	store_row_int(&r, 0);
	store_row_int(&r, 0);
	store_row_int(&r, acc->created_ms);
	store_row_int(&r, 0);
	store_row_int(&r, acc->password_changed_ms);
	return acc_run(a, ACC_INSERT, &r, false);
}

int account_delete(struct accounts *a, const char *name)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	return acc_run(a, ACC_DELETE, &r, true);
}

int account_set_disabled(struct accounts *a, const char *name, bool disabled)
{
	struct store_row r = {0};
	store_row_int(&r, disabled);
	store_row_text(&r, name);
	return acc_run(a, ACC_SET_DISABLED, &r, true);
}

int account_set_hash(struct accounts *a, const char *name, const char *hash, int64_t now_ms)
{
	struct store_row r = {0};
	store_row_text(&r, hash);
	store_row_int(&r, now_ms);
	store_row_text(&r, name);
	return acc_run(a, ACC_SET_HASH, &r, true);
}

int account_set_role(struct accounts *a, const char *name, enum authz_role role,
		     const char *tenant, const char *site)
{
	struct store_row r = {0};
	store_row_text(&r, authz_role_name(role));
	opt_text(&r, tenant);
	opt_text(&r, site);
	store_row_text(&r, name);
	return acc_run(a, ACC_SET_ROLE, &r, true);
}

int account_unlock(struct accounts *a, const char *name)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	a->report_due = true; /* its lock alert resolves at the next tick */
	return acc_run(a, ACC_UNLOCK, &r, true);
}

/* The lock a failure leads to: none below lock_failures within lock_window (counted
 * from the first failure of the window), then lock_base doubled for each lock since the
 * last success, up to lock_max. */
int account_record_failure(struct accounts *a, const struct account *acc, int64_t now_ms)
{
	const struct cfg_accounts *c = accounts_cfg(a);
	bool fresh = acc->failures == 0 || now_ms - acc->fail_since_ms > c->lock_window_ms;
	int failures = fresh ? 1 : acc->failures + 1, locks = acc->locks;
	int64_t since = fresh ? now_ms : acc->fail_since_ms;
	int64_t until = acc->locked_until_ms;
	if (failures >= c->lock_failures) {
		int64_t lock = c->lock_base_ms;
		for (int i = 0; i < locks && lock < c->lock_max_ms; i++)
			lock *= 2;
		until = now_ms + (lock < c->lock_max_ms ? lock : c->lock_max_ms);
		locks++;
		failures = 0;
		log_warnx("accounts", NULL, "account %s locked for %llds after %d failed logins",
			  acc->name, (long long)((until - now_ms) / 1000), c->lock_failures);
	}
	struct store_row r = {0};
	store_row_int(&r, failures);
	store_row_int(&r, locks);
	store_row_int(&r, until);
	store_row_int(&r, since);
	store_row_text(&r, acc->name);
	a->report_due = true;
	return acc_run(a, ACC_FAIL, &r, true);
}

int account_record_login(struct accounts *a, const char *name, int64_t now_ms)
{
	struct store_row r = {0};
	store_row_int(&r, now_ms);
	store_row_text(&r, name);
	return acc_run(a, ACC_LOGIN_OK, &r, true);
}

bool accounts_any(struct accounts *a)
{
	if (!a)
		return false;
	sqlite3_stmt *s = a->stmt[ACC_ANY];
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	/* a read that fails counts as an account: anonymous reads stay refused (fail closed) */
	return rc != SQLITE_DONE;
}

int account_foreach(struct accounts *a, bool (*fn)(void *arg, const struct account *acc),
		    void *arg)
{
	/* the prepared statement, unless a callback of an outer walk is using it */
	sqlite3_stmt *s = a->stmt[ACC_LIST];
	bool own = sqlite3_stmt_busy(s);
	if (own && !(s = state_db_query(a->db, sql[ACC_LIST], NULL)))
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct account acc;
		account_read(s, &acc);
		if (!fn(arg, &acc))
			break;
	}
	if (own)
		sqlite3_finalize(s);
	else
		sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int account_token_insert(struct accounts *a, const char *name, const char *token_hash,
			 int64_t now_ms)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	store_row_text(&r, token_hash);
	store_row_int(&r, now_ms);
	return acc_run(a, ACC_TOKEN_INSERT, &r, false);
}

int account_token_find(struct accounts *a, const char *token_hash, int64_t now_ms,
		       struct account *out)
{
	struct store_row r = {0};
	store_row_text(&r, token_hash);
	int rc = acc_one(a, ACC_TOKEN_FIND, &r, out);
	if (rc == 0) {
		struct store_row u = {0};
		store_row_int(&u, now_ms);
		store_row_text(&u, token_hash);
		acc_run(a, ACC_TOKEN_USED, &u, false);
	}
	return rc;
}

int session_insert(struct accounts *a, const char *id_hash, const char *name,
		   const char *csrf_hash, const char *source, int64_t now_ms)
{
	struct store_row r = {0};
	store_row_text(&r, id_hash);
	store_row_text(&r, name);
	store_row_text(&r, csrf_hash);
	store_row_int(&r, now_ms);
	store_row_int(&r, now_ms);
	store_row_text(&r, source);
	return acc_run(a, ACC_SESSION_INSERT, &r, false);
}

int session_find(struct accounts *a, const char *id_hash, struct session *out)
{
	sqlite3_stmt *s = a->stmt[ACC_SESSION_FIND];
	struct store_row r = {0};
	store_row_text(&r, id_hash);
	state_db_bind(s, r.v, r.n);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = (struct session){0};
		state_db_column_text(s, 0, out->account, sizeof(out->account));
		state_db_column_text(s, 1, out->csrf_hash, sizeof(out->csrf_hash));
		out->created_ms = sqlite3_column_int64(s, 2);
		out->last_seen_ms = sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int session_seen(struct accounts *a, const char *id_hash, int64_t now_ms)
{
	struct store_row r = {0};
	store_row_int(&r, now_ms);
	store_row_text(&r, id_hash);
	return acc_run(a, ACC_SESSION_SEEN, &r, true);
}

int session_delete(struct accounts *a, const char *id_hash)
{
	struct store_row r = {0};
	store_row_text(&r, id_hash);
	return acc_run(a, ACC_SESSION_DELETE, &r, true);
}

int session_revoke(struct accounts *a, const char *name, const char *id)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	store_row_text(&r, id);
	return acc_run(a, ACC_SESSION_REVOKE, &r, true);
}

int session_end_others(struct accounts *a, const char *name, const char *keep_hash)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	store_row_text(&r, keep_hash ? keep_hash : "");
	sqlite3_stmt *s = state_db_query(a->db, "DELETE FROM sessions WHERE account = ?1 AND "
					 "id_hash != ?2", &r);
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? sqlite3_changes(a->db) : -EIO;
}

int session_foreach(struct accounts *a, const char *name,
		    bool (*fn)(void *arg, const char *id_hash, const struct session *ses),
		    void *arg)
{
	struct store_row r = {0};
	store_row_text(&r, name);
	sqlite3_stmt *s = state_db_query(a->db, "SELECT id_hash, created_ms, last_seen_ms, source "
					 "FROM sessions WHERE account = ? ORDER BY created_ms", &r);
	if (!s)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct session ses = {.created_ms = sqlite3_column_int64(s, 1),
				      .last_seen_ms = sqlite3_column_int64(s, 2)};
		char id[72];
		state_db_column_text(s, 0, id, sizeof(id));
		state_db_column_text(s, 3, ses.source, sizeof(ses.source));
		if (!fn(arg, id, &ses))
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

void account_actor(const struct account *acc, const char *source, struct authz_actor *out)
{
	*out = (struct authz_actor){.role = acc->role};
	snprintf(out->name, sizeof(out->name), "%s", acc->name);
	snprintf(out->tenant, sizeof(out->tenant), "%s", acc->tenant);
	snprintf(out->site, sizeof(out->site), "%s", acc->site);
	snprintf(out->source, sizeof(out->source), "%s", source ? source : "");
}

/* ---- the store's life ------------------------------------------------------------- */

const struct cfg_accounts *accounts_cfg(const struct accounts *a)
{
	return a->cfg ? a->cfg : &a->defaults;
}

struct accounts *accounts_open(const char *state_dir, const struct cfg_accounts *cfg,
			       char *err, size_t errlen)
{
	struct accounts *a = calloc(1, sizeof(*a));
	if (!a || asprintf(&a->path, "%s/accounts.db", state_dir) < 0) {
		free(a);
		snprintf(err, errlen, "accounts: out of memory");
		return NULL;
	}
	accounts_cfg_init(&a->defaults, &(struct cfgnode){0}, NULL);
	oath_init(); /* idempotent; liboath's base32 and TOTP */
	a->cfg = cfg;
	if (state_db_open(&a->db, a->path, schema, err, errlen) != SQLITE_OK ||
	    state_db_prepare_all(a->db, a->path, sql, a->stmt, ACC_NSTMT, err, errlen) != SQLITE_OK ||
	    secret_hash_password("no account has this password", accounts_cfg(a)->yescrypt_cost,
				 a->dummy_hash, sizeof(a->dummy_hash)) < 0) {
		if (!err[0])
			snprintf(err, errlen, "accounts: cannot hash a password (libxcrypt)");
		accounts_free(a);
		return NULL;
	}
	return a;
}

void accounts_reload(struct accounts *a, const struct cfg_accounts *cfg)
{
	if (a) {
		a->cfg = cfg;
		a->watch.read = false; /* the login report's window may have changed */
	}
}

void accounts_free(struct accounts *a)
{
	if (!a)
		return;
	pw_jobs_drop(a);
	login_watch_free(a);
	state_db_finalize_all(a->stmt, ACC_NSTMT);
	sqlite3_close(a->db);
	free(a->path);
	free(a);
}
