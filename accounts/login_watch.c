/* dcmond's own alerts on logins (docs/ACCOUNTS.md, "Security alerts"): metrics of the
 * device `dcmond` that the default rules (etc/profiles/defaults.yaml) fire on, so a
 * route sends them to a security team like any alert.  Instances are account names and
 * source addresses only: a name that does not exist may be a password typed in the
 * wrong field, so failed names are kept (in memory) only as their SHA-256. */
#include "accounts_int.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/metric.h"
#include "dcmon/state_db.h"
#include "dcmon/vec.h"

#define WATCH_DEVICE      "dcmond"
#define WATCH_INTERVAL_MS 10000 /* stale after 2.5 intervals without a report */
#define WATCH_REPORT_MS   (WATCH_INTERVAL_MS / 2) /* a report with nothing new: fresh */
#define ADMIN_SOURCES_MAX 32    /* addresses remembered per admin account */
#define WATCH_REREAD_MS   60000 /* the report reads the store at least this often */

/* "http:ADDR:PORT" (http_peer_name) to ADDR: the port changes with every connection. */
static void source_address(const char *source, char *out, size_t len)
{
	const char *from = strncmp(source, "http:", 5) == 0 ? source + 5 : source;
	const char *colon = strrchr(from, ':');
	size_t n = colon && colon != from ? (size_t)(colon - from) : strlen(from);
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), from);
}

/* Runs sql with the row; the first column of its first row, or -1 on an error. */
static int64_t query_int(struct accounts *a, const char *sql, const struct store_row *r)
{
	sqlite3_stmt *s = state_db_query(a->db, sql, r);
	int64_t v = -1;
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		v = 0;
	else
		log_msg(LOG_LVL_ERROR, "accounts", NULL, "%s: %s", a->path, sqlite3_errmsg(a->db));
	sqlite3_finalize(s);
	return v;
}

void login_watch_failure(struct accounts *a, const char *name, const char *source,
			 int64_t now_ms)
{
	char addr[96], key[65];
	source_address(source ? source : "?", addr, sizeof(addr));
	secret_sha256_hex(name ? name : "", key);
	struct store_row r = {0};
	store_row_text(&r, addr);
	store_row_text(&r, key);
	store_row_int(&r, now_ms);
	acc_run(a, ACC_FAILURE_INSERT, &r, false); /* the report reads the store again */
	a->report_due = true;
}

static bool watched_role(enum authz_role r)
{
	return r == AUTHZ_ROLE_NOC_ADMIN || r == AUTHZ_ROLE_SECURITY_ADMIN;
}

/* Remembers an admin account's address; a new one (for an account that has logged in
 * before) is reported at the next tick, once. */
void login_watch_success(struct accounts *a, const struct account *acc, const char *source,
			 int64_t now_ms)
{
	if (!watched_role(acc->role))
		return;
	char addr[96];
	source_address(source ? source : "?", addr, sizeof(addr));
	struct store_row who = {0}, r = {0};
	store_row_text(&who, acc->name);
	store_row_text(&r, acc->name);
	store_row_text(&r, addr);
	int64_t known = query_int(a, "SELECT count(*) FROM admin_sources WHERE account = ?", &who);
	int64_t seen = query_int(a, "SELECT count(*) FROM admin_sources WHERE account = ? AND "
				    "source = ?", &r);
	store_row_int(&r, now_ms);
	query_int(a, "INSERT OR REPLACE INTO admin_sources(account, source, last_ms) "
		     "VALUES (?, ?, ?)", &r);
	store_row_int(&who, ADMIN_SOURCES_MAX);
	query_int(a, "DELETE FROM admin_sources WHERE account = ?1 AND source NOT IN (SELECT "
		     "source FROM admin_sources WHERE account = ?1 ORDER BY last_ms DESC LIMIT ?2)",
		  &who);
	if (known > 0 && seen == 0) {
		log_warnx("accounts", NULL, "%s %s logged in from %s, an address not seen for it",
			  authz_role_name(acc->role), acc->name, addr);
		int slot = a->nnew_source < ACCOUNTS_NEW_SOURCE_MAX ? a->nnew_source++
								     : ACCOUNTS_NEW_SOURCE_MAX - 1;
		snprintf(a->new_source[slot].name, sizeof(a->new_source[slot].name), "%s",
			 acc->name);
		a->new_source[slot].shown = false;
		a->report_due = true;
	}
}

static void watch_put(struct metric_reg *reg, const char *name, const char *inst_label,
		      const char *inst, const struct metric_enum *enums, size_t nenums,
		      int64_t now_ms, double v)
{
	struct metric_desc d = {.name = name, .unit = "", .inst_label = inst_label,
				.inst = inst, .interval_ms = WATCH_INTERVAL_MS,
				.kind = enums ? METRIC_STATE : METRIC_GAUGE,
				.enums = enums, .nenums = nenums};
	struct metric *m = metric_reg_get(reg, WATCH_DEVICE, &d);
	if (m)
		metric_put(reg, m, now_ms, v);
}

/* ---- the store as the report last read it (struct login_watch_cache) ---- */

void login_watch_free(struct accounts *a)
{
	free(a->watch.locks);
	free(a->watch.failures);
	a->watch = (struct login_watch_cache){0};
}

static bool read_lock(void *arg, const struct account *acc)
{
	struct login_watch_cache *w = arg;
	struct watch_lock *l = vec_grow(w->locks, &w->caplocks, w->nlocks, sizeof(*l), 16);
	if (!l)
		return false;
	w->locks = l;
	l += w->nlocks++;
	memcpy(l->name, acc->name, sizeof(l->name));
	l->locked_until_ms = acc->locked_until_ms;
	return true;
}

/* Failed accounts by address, within the window from now; an address whose failures
 * all left it counts 0 (then the prune forgets it).  The store is read again when the
 * oldest failure still in the window leaves it. */
static bool read_failures(struct accounts *a, int64_t now_ms)
{
	struct login_watch_cache *w = &a->watch;
	int64_t window_ms = accounts_cfg(a)->lock_window_ms;
	struct store_row r = {0};
	store_row_int(&r, now_ms - window_ms);
	sqlite3_stmt *s = a->stmt[ACC_FAILURES_BY_SOURCE];
	state_db_bind(s, r.v, r.n);
	bool whole = true;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct watch_failures *f = vec_grow(w->failures, &w->capfailures, w->nfailures,
						    sizeof(*f), 8);
		if (!f) {
			whole = false;
			break;
		}
		w->failures = f;
		f += w->nfailures++;
		const unsigned char *source = sqlite3_column_text(s, 0);
		snprintf(f->source, sizeof(f->source), "%s", source ? (const char *)source : "?");
		f->accounts = sqlite3_column_int64(s, 1);
		int64_t leaves_ms = sqlite3_column_int64(s, 2) + window_ms + 1;
		if (f->accounts > 0 && leaves_ms < w->reread_ms)
			w->reread_ms = leaves_ms;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	acc_run(a, ACC_FAILURES_PRUNE, &r, false);
	return whole && (rc == SQLITE_ROW || rc == SQLITE_DONE);
}

static void watch_read(struct accounts *a, int64_t now_ms)
{
	struct login_watch_cache *w = &a->watch;
	w->nlocks = w->nfailures = 0;
	w->reread_ms = now_ms + WATCH_REREAD_MS;
	bool locks = account_foreach(a, read_lock, w) == 0;
	bool failures = read_failures(a, now_ms);
	w->read = locks && failures; /* else what was read is reported, and read again */
}

static void report_locks(const struct login_watch_cache *w, struct metric_reg *reg,
			 int64_t now_ms)
{
	static const struct metric_enum states[] = {{0, "ok"}, {1, "locked"}};
	for (size_t i = 0; i < w->nlocks; i++)
		watch_put(reg, "account_locked_state", "account", w->locks[i].name, states, 2,
			  now_ms, w->locks[i].locked_until_ms > now_ms);
}

/* Distinct account names failed from each address within lock_window; an address
 * whose failures all left the window is reported 0 once (its alert resolves), then
 * forgotten. */
static void report_failures(struct login_watch_cache *w, struct metric_reg *reg,
			    int64_t now_ms)
{
	size_t kept = 0;
	for (size_t i = 0; i < w->nfailures; i++) {
		watch_put(reg, "login_failed_accounts_count", "source", w->failures[i].source,
			  NULL, 0, now_ms, (double)w->failures[i].accounts);
		if (w->failures[i].accounts > 0)
			w->failures[kept++] = w->failures[i];
	}
	w->nfailures = kept;
}

/* A new address is `new` for one report, then `seen`: the alert fires once per new
 * address and resolves by itself. */
static void report_new_sources(struct accounts *a, struct metric_reg *reg, int64_t now_ms)
{
	static const struct metric_enum states[] = {{0, "seen"}, {1, "new"}};
	int kept = 0;
	for (int i = 0; i < a->nnew_source; i++) {
		watch_put(reg, "admin_login_new_source_state", "account", a->new_source[i].name,
			  states, 2, now_ms, !a->new_source[i].shown);
		if (!a->new_source[i].shown) {
			a->new_source[i].shown = true;
			a->new_source[kept++] = a->new_source[i];
		}
	}
	a->nnew_source = kept;
}

/* Reports at the tick after a login, failure or unlock, so that a lock or a burst of
 * failures fires at once, and otherwise every WATCH_REPORT_MS: each report of every
 * account is an archive update and a rule evaluation, and a lock ending by itself can
 * wait that long to resolve.  The store is read only when what it holds for the report
 * may have changed (struct login_watch_cache): an idle dcmond ran three statements and
 * a write transaction every 5 s for nothing. */
void login_watch_report(struct accounts *a, struct metric_reg *reg, int64_t now_ms)
{
	if (!a || !reg || (!a->report_due && now_ms < a->next_report_ms))
		return;
	a->report_due = false;
	a->next_report_ms = now_ms + WATCH_REPORT_MS;
	struct login_watch_cache *w = &a->watch;
	if (!w->read || now_ms >= w->reread_ms)
		watch_read(a, now_ms);
	report_locks(w, reg, now_ms);
	report_failures(w, reg, now_ms);
	report_new_sources(a, reg, now_ms);
}
