/* Persistence of alert state in SQLite (WAL): alerts with their ack and what was
 * notified, the transition history, silences, and an append-only audit log (triggers
 * refuse UPDATE and DELETE on it). */
#include "alert_int.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"

#define STORE_SCHEMA_VERSION "1"

static const char store_schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"INSERT OR IGNORE INTO meta VALUES('schema', " STORE_SCHEMA_VERSION ");"
	"CREATE TABLE IF NOT EXISTS alerts(id INTEGER PRIMARY KEY, rule TEXT NOT NULL,"
	" device TEXT NOT NULL, metric TEXT NOT NULL, state INTEGER NOT NULL,"
	" level INTEGER NOT NULL, notified INTEGER NOT NULL, value REAL, since_ms INTEGER,"
	" pending_ms INTEGER, fired_ms INTEGER, flapping INTEGER, ack_by TEXT,"
	" ack_comment TEXT, ack_ms INTEGER, ack_sev INTEGER, UNIQUE(rule, device, metric));"
	"CREATE TABLE IF NOT EXISTS history(alert_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
	" from_state INTEGER NOT NULL, to_state INTEGER NOT NULL, severity INTEGER NOT NULL,"
	" value REAL);"
	"CREATE INDEX IF NOT EXISTS history_alert ON history(alert_id, ts_ms);"
	"CREATE TABLE IF NOT EXISTS silences(id INTEGER PRIMARY KEY, device TEXT, kind TEXT,"
	" site TEXT, room TEXT, tenant TEXT, metric TEXT, inst TEXT, labels TEXT, rule TEXT,"
	" reason TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL,"
	" starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL, days INTEGER NOT NULL,"
	" start_min INTEGER NOT NULL, end_min INTEGER NOT NULL, tz TEXT, deleted_ms INTEGER);"
	"CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL,"
	" who TEXT NOT NULL, origin TEXT NOT NULL, action TEXT NOT NULL, target TEXT,"
	" detail TEXT, seq INTEGER, prev_hash TEXT, hash TEXT);"
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	AUDIT_NO_DELETE_SQL
	/* REPLACE deletes the old row without firing delete triggers (unless recursive
	 * triggers are on), so an insert may not reuse an id. */
	"CREATE TRIGGER IF NOT EXISTS audit_no_replace BEFORE INSERT ON audit"
	" WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	/* maintenance entries (maintenance.c): asked, approved by another account, ended */
	"CREATE TABLE IF NOT EXISTS maintenance(id INTEGER PRIMARY KEY, device TEXT NOT NULL,"
	" reason TEXT NOT NULL, starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL,"
	" requested_by TEXT NOT NULL, requested_ms INTEGER NOT NULL, state TEXT NOT NULL,"
	" decided_by TEXT, decided_ms INTEGER, note TEXT, silence_id INTEGER, ended_by TEXT,"
	" ended_ms INTEGER, tenant TEXT);"
	/* the newest record retention removed, where the chain starts (one row) */
	"CREATE TABLE IF NOT EXISTS audit_anchor(id INTEGER PRIMARY KEY CHECK (id = 1),"
	" seq INTEGER NOT NULL, hash TEXT NOT NULL, removed_ms INTEGER NOT NULL);";

enum store_stmt {
	ST_PUT_ALERT,
	ST_ADD_HIST,
	ST_AUDIT,
	ST_PUT_SIL,
	ST_END_SIL,
	ST_MOVE_SIL,
	ST_COUNT
};

static const char *const store_sql[ST_COUNT] = {
	[ST_PUT_ALERT] = "INSERT INTO alerts VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
			 " ON CONFLICT(id) DO UPDATE SET rule=excluded.rule, state=excluded.state,"
			 " level=excluded.level, notified=excluded.notified,"
			 " value=excluded.value, since_ms=excluded.since_ms,"
			 " pending_ms=excluded.pending_ms, fired_ms=excluded.fired_ms,"
			 " flapping=excluded.flapping, ack_by=excluded.ack_by,"
			 " ack_comment=excluded.ack_comment, ack_ms=excluded.ack_ms,"
			 " ack_sev=excluded.ack_sev",
	[ST_ADD_HIST] = "INSERT INTO history VALUES(?,?,?,?,?,?)",
	[ST_AUDIT] = "INSERT INTO audit(ts_ms, who, origin, action, target, detail, seq,"
		     " prev_hash, hash) VALUES(?,?,?,?,?,?,?,?,?)",
	[ST_PUT_SIL] = "INSERT INTO silences VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
	[ST_END_SIL] = "UPDATE silences SET deleted_ms=? WHERE id=? AND deleted_ms IS NULL",
	[ST_MOVE_SIL] = "UPDATE silences SET starts_ms=?, ends_ms=? WHERE id=?",
};

struct alert_store {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_COUNT];
	int depth; /* nesting of alert_store_begin */
	char *path;
	struct store_held held; /* every write, until its transaction commits */
	int64_t audit_seq;      /* the audit chain's last record (audit_chain.c) */
	char audit_hash[65];
	int since_checkpoint;   /* records since the last checkpoint line */
	char *integrity;        /* the detail of the integrity record written at open, until
				 * the engine publishes it (alert_store_integrity_take) */
	int64_t integrity_ms;
};

const struct alert_actor audit_start_actor = {.who = "dcmond", .origin = "start"};

/* The triggers that make the audit log append-only (created by store_schema). */
static const char *const audit_triggers[] = {"audit_no_update", "audit_no_delete",
					     "audit_no_replace"};

/* True if the schema has an object of this type and name. */
static bool store_has(sqlite3 *db, const char *type, const char *name)
{
	struct store_row args = {0};
	store_row_text(&args, type);
	store_row_text(&args, name);
	sqlite3_stmt *s =
		state_db_query(db, "SELECT 1 FROM sqlite_master WHERE type=?1 AND name=?2", &args);
	bool found = s && sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* Lists into buf (", "-separated) the audit triggers missing from an existing audit
 * table: they were dropped, and rows may have been rewritten since.  False if none. */
static bool audit_triggers_missing(sqlite3 *db, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!store_has(db, "table", "audit"))
		return false; /* a new store */
	for (size_t i = 0; i < sizeof(audit_triggers) / sizeof(audit_triggers[0]); i++) {
		if (store_has(db, "trigger", audit_triggers[i]) || used >= len)
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", audit_triggers[i]);
		used += n > 0 ? (size_t)n : 0;
	}
	return buf[0] != '\0';
}

/* Says loudly, in the log and in the audit log itself, that the triggers were found
 * dropped (the schema has just re-created them). */
static void audit_report_tampering(struct alert_store *st, const char *path, const char *names)
{
	char detail[256];

	log_msg(LOG_LVL_ERROR, "alert", NULL,
		"%s: the audit log's triggers %s were dropped: its rows may have been changed or "
		"deleted since; re-creating them", path, names);
	snprintf(detail, sizeof(detail), "triggers %s found dropped at start and re-created: "
		 "earlier rows may have been changed or deleted", names);
	st->integrity_ms = clock_wall_ms();
	alert_store_audit(st, st->integrity_ms, &audit_start_actor, AUDIT_INTEGRITY_ACTION,
			  AUDIT_INTEGRITY_TARGET, detail);
	st->integrity = strdup(detail); /* out of memory: written, not published */
}

struct sqlite3 *alert_store_db(struct alert_store *st)
{
	return st->db;
}

char *alert_store_integrity_take(struct alert_store *st, int64_t *ts_ms)
{
	char *detail = st->integrity;
	st->integrity = NULL;
	*ts_ms = st->integrity_ms;
	return detail;
}

struct alert_store *alert_store_open(const char *path, char *err, size_t errlen)
{
	struct alert_store *st = calloc(1, sizeof(*st));
	if (!st) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	char dropped[128] = "";
	st->held.sub = "alert";
	st->held.what = "alert state";
	st->path = strdup(path);
	int rc = st->path ? SQLITE_OK : SQLITE_NOMEM;
	if (rc != SQLITE_OK)
		snprintf(err, errlen, "%s: out of memory", path);
	/* the triggers are looked for before the schema re-creates them */
	if (rc == SQLITE_OK && (rc = state_db_open(&st->db, path, NULL, err, errlen)) == SQLITE_OK)
		audit_triggers_missing(st->db, dropped, sizeof(dropped));
	if (rc == SQLITE_OK)
		rc = state_db_exec(st->db, path, store_schema, err, errlen);
	if (rc == SQLITE_OK)
		rc = audit_chain_migrate(st->db, path, err, errlen);
	if (rc == SQLITE_OK)
		rc = maintenance_migrate(st->db, path, err, errlen);
	if (rc == SQLITE_OK)
		rc = state_db_prepare_all(st->db, path, store_sql, st->stmt, ST_COUNT, err, errlen);
	if (rc == SQLITE_OK && audit_chain_tail(st->db, &st->audit_seq, st->audit_hash) < 0) {
		snprintf(err, errlen, "%s: cannot read the audit log's last record", path);
		rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_OK) {
		alert_store_close(st);
		return NULL;
	}
	if (dropped[0])
		audit_report_tampering(st, path, dropped);
	return st;
}

void alert_store_close(struct alert_store *st)
{
	if (!st)
		return;
	if (st->stmt[ST_COUNT - 1]) /* opened: a cut tail shows against the last checkpoint */
		alert_store_audit_checkpoint(st);
	if (st->held.n && store_held_write(&st->held, st->db, st->stmt, st->path, true) < 0)
		log_msg(LOG_LVL_ERROR, "alert", NULL, "%s: %zu alert writes lost at shutdown: %s",
			st->path, st->held.n, st->held.why);
	store_held_free(&st->held);
	state_db_finalize_all(st->stmt, ST_COUNT);
	sqlite3_close(st->db);
	free(st->integrity);
	free(st->path);
	free(st);
}

/* Writes what is held unless a transaction is open. */
static int store_flush(struct alert_store *st)
{
	if (st->depth > 0)
		return 0;
	int rc = store_held_write(&st->held, st->db, st->stmt, st->path, false);
	return rc == -EAGAIN ? 0 : rc; /* held: written by a later retry */
}

int alert_store_begin(struct alert_store *st)
{
	st->depth++;
	return 0;
}

int alert_store_commit(struct alert_store *st)
{
	st->depth--;
	return store_flush(st);
}

void alert_store_retry(struct alert_store *st)
{
	if (st)
		store_flush(st);
}

bool alert_store_health(const struct alert_store *st, size_t *held, uint64_t *lost)
{
	*held = st ? st->held.n : 0;
	*lost = st ? st->held.lost : 0;
	return st && st->held.failing;
}

/* Holds one write and writes it at once outside a transaction.  0 when written or
 * held for a later attempt; < 0 only when it is lost (logged). */
static int store_write(struct alert_store *st, const struct store_row *r)
{
	int rc = store_held_push(&st->held, r, st->path);
	if (rc < 0)
		return rc;
	store_flush(st);
	return 0;
}

static void ack_values(struct store_row *r, const struct alert *a)
{
	if (!a->ack.active) {
		for (int i = 0; i < 4; i++)
			store_row_text(r, NULL);
		return;
	}
	store_row_text(r, a->ack.by);
	store_row_text(r, a->ack.comment);
	store_row_int(r, a->ack.ts_ms);
	store_row_int(r, a->ack.severity);
}

int alert_store_put_alert(struct alert_store *st, const struct alert *a)
{
	struct store_row r = {.stmt = ST_PUT_ALERT};
	store_row_int(&r, a->id);
	store_row_text(&r, a->rule_name);
	store_row_text(&r, a->device);
	store_row_text(&r, a->key);
	store_row_int(&r, a->state);
	store_row_int(&r, a->level);
	store_row_int(&r, a->notified);
	store_row_double(&r, a->value);
	store_row_int(&r, a->since_ms);
	store_row_int(&r, a->pending_ms);
	store_row_int(&r, a->fired_ms);
	store_row_int(&r, a->flapping);
	ack_values(&r, a);
	return store_write(st, &r);
}

int alert_store_add_hist(struct alert_store *st, int64_t alert_id,
			 const struct alert_transition *t)
{
	struct store_row r = {.stmt = ST_ADD_HIST};
	store_row_int(&r, alert_id);
	store_row_int(&r, t->ts_ms);
	store_row_int(&r, t->from);
	store_row_int(&r, t->to);
	store_row_int(&r, t->severity);
	store_row_double(&r, t->value);
	return store_write(st, &r);
}

void alert_store_audit_checkpoint(struct alert_store *st)
{
	st->since_checkpoint = 0;
	log_info("audit", NULL, "checkpoint seq=%lld hash=%s", (long long)st->audit_seq,
		 st->audit_hash);
}

/* The row of the record after the chain's last one in memory, and its hash. */
static int audit_row(const struct alert_store *st, int64_t ts_ms, const struct alert_actor *by,
		     const char *action, const char *target, const char *detail,
		     struct store_row *r, char hash[65])
{
	int64_t seq = st->audit_seq + 1;
	if (audit_chain_hash(seq, ts_ms, by->who, by->origin, action, target, detail,
			     st->audit_hash, hash) < 0)
		return -ENOMEM;
	*r = (struct store_row){.stmt = ST_AUDIT};
	store_row_int(r, ts_ms);
	store_row_text(r, by->who);
	store_row_text(r, by->origin);
	store_row_text(r, action);
	store_row_text(r, target);
	store_row_text(r, detail);
	store_row_int(r, seq);
	store_row_text(r, st->audit_hash);
	store_row_text(r, hash);
	return 0;
}

/* The chain's tail in memory moves to the record just written (or held). */
static void audit_advance(struct alert_store *st, const char hash[65])
{
	st->audit_seq++;
	memcpy(st->audit_hash, hash, sizeof(st->audit_hash));
	if (++st->since_checkpoint >= AUDIT_CHECKPOINT_EVERY)
		alert_store_audit_checkpoint(st);
}

/* The record is chained to the last one in memory, in the order of the calls, so a
 * write held on a full disk keeps its place. */
int alert_store_audit(struct alert_store *st, int64_t ts_ms, const struct alert_actor *by,
		      const char *action, const char *target, const char *detail)
{
	char hash[65];
	struct store_row r;
	if (audit_row(st, ts_ms, by, action, target, detail, &r, hash) < 0)
		return -ENOMEM;
	int rc = store_write(st, &r); /* the row's texts are copied when held */
	audit_advance(st, hash);
	return rc;
}

/* The removal and its `retention` record, in the transaction open on st. */
static int audit_retain_tx(struct alert_store *st, int64_t cutoff_ms, int max, int64_t now_ms,
			   struct audit_removal *rm, char hash[65])
{
	if (audit_chain_remove_before(st->db, cutoff_ms, max, now_ms, rm) < 0)
		return -EIO;
	if (rm->removed == 0)
		return 0;
	char detail[224];
	snprintf(detail, sizeof(detail), "removed %lld records written before %lld; anchor seq "
		 "%lld hash %s", (long long)rm->removed, (long long)cutoff_ms,
		 (long long)rm->anchor_seq, rm->anchor_hash);
	struct alert_actor self = {.who = "dcmond", .origin = "retention"};
	struct store_row r;
	if (audit_row(st, now_ms, &self, "retention", "audit", detail, &r, hash) < 0)
		return -ENOMEM;
	return state_db_run(st->stmt[ST_AUDIT], r.v, r.n) == SQLITE_DONE ? 0 : -EIO;
}

int alert_store_audit_retain(struct alert_store *st, int64_t cutoff_ms, int max, int64_t now_ms)
{
	if (st->depth > 0 || st->held.n > 0) /* the chain's tail is not on disk yet */
		return -EAGAIN;
	struct audit_removal rm;
	char hash[65];
	int rc = sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
	if (rc == 0)
		rc = audit_retain_tx(st, cutoff_ms, max, now_ms, &rm, hash);
	if (rc == 0 && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = -EIO;
	if (rc < 0) {
		log_msg(LOG_LVL_ERROR, "audit", NULL, "%s: retention pass failed: %s", st->path,
			sqlite3_errmsg(st->db));
		state_db_rollback(st->db);
		return rc;
	}
	if (rm.removed == 0)
		return 0;
	audit_advance(st, hash);
	/* like a checkpoint: the anchor in a log the state directory's owner cannot rewrite */
	log_info("audit", NULL, "retention removed %lld records, anchor seq=%lld hash=%s",
		 (long long)rm.removed, (long long)rm.anchor_seq, rm.anchor_hash);
	return rm.removed > INT_MAX ? INT_MAX : (int)rm.removed;
}

int alert_store_verify_audit(struct alert_store *st, struct alert_audit_verdict *v)
{
	/* what this process wrote is a checkpoint too: a cut made under it shows */
	if (st->audit_seq > v->checkpoint_seq) {
		v->checkpoint_seq = st->audit_seq;
		memcpy(v->checkpoint_hash, st->audit_hash, sizeof(v->checkpoint_hash));
	}
	return audit_chain_verify(st->db, v);
}

int alert_store_read_audit(struct alert_store *st, const struct alert_audit_query *q,
			   bool (*fn)(void *arg, const struct alert_audit_entry *ent), void *arg)
{
	/* The newest `limit` matches, then put back in id order. */
	const char *sql = "SELECT * FROM (SELECT id, ts_ms, who, origin, action, target, detail,"
			  " seq, prev_hash, hash FROM audit WHERE id > ?1 AND (?2 IS NULL OR"
			  " action = ?2) AND (?3 IS NULL OR target = ?3) AND (?5 = 0 OR"
			  " ts_ms >= ?5) AND (?6 = 0 OR ts_ms < ?6) ORDER BY id DESC LIMIT ?4)"
			  " ORDER BY id";
	struct store_row args = {0};
	store_row_int(&args, q->after_id);
	store_row_text(&args, q->action);
	store_row_text(&args, q->target);
	store_row_int(&args, q->limit ? (int64_t)q->limit : -1);
	store_row_int(&args, q->since_ms);
	store_row_int(&args, q->until_ms);
	sqlite3_stmt *s = state_db_query(st->db, sql, &args);
	if (!s)
		return -EIO;
	int step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct alert_audit_entry ent = {
			.id = sqlite3_column_int64(s, 0),
			.ts_ms = sqlite3_column_int64(s, 1),
			.who = (const char *)sqlite3_column_text(s, 2),
			.origin = (const char *)sqlite3_column_text(s, 3),
			.action = (const char *)sqlite3_column_text(s, 4),
			.target = (const char *)sqlite3_column_text(s, 5),
			.detail = (const char *)sqlite3_column_text(s, 6),
			.seq = sqlite3_column_int64(s, 7),
			.prev_hash = (const char *)sqlite3_column_text(s, 8),
			.hash = (const char *)sqlite3_column_text(s, 9),
		};
		if (!fn(arg, &ent)) {
			step = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	return step == SQLITE_DONE ? 0 : -EIO;
}

int64_t alert_store_max_id(struct alert_store *st, const char *table)
{
	char sql[64];
	int64_t max = 0;
	snprintf(sql, sizeof(sql), "SELECT max(id) FROM %s", table);
	sqlite3_stmt *s = state_db_query(st->db, sql, NULL);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		max = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return max;
}

/* ---- loading alerts ---------------------------------------------------------------- */

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

static double col_double(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static void row_ack(sqlite3_stmt *s, struct alert *a)
{
	if (sqlite3_column_type(s, 12) == SQLITE_NULL)
		return;
	a->ack.active = true;
	a->ack.by = col_dup(s, 12);
	a->ack.comment = col_dup(s, 13);
	a->ack.ts_ms = sqlite3_column_int64(s, 14);
	a->ack.severity = (enum cfg_severity)sqlite3_column_int(s, 15);
}

static struct alert *row_alert(sqlite3_stmt *s)
{
	const char *rule = (const char *)sqlite3_column_text(s, 1);
	const char *dev = (const char *)sqlite3_column_text(s, 2);
	const char *key = (const char *)sqlite3_column_text(s, 3);
	struct alert *a = alert_obj_new(rule ? rule : "", dev ? dev : "", key ? key : "");
	if (!a)
		return NULL;
	a->id = sqlite3_column_int64(s, 0);
	a->state = (enum alert_state)sqlite3_column_int(s, 4);
	a->level = (enum alvl)sqlite3_column_int(s, 5);
	a->notified = (enum alvl)sqlite3_column_int(s, 6);
	a->value = col_double(s, 7);
	a->since_ms = sqlite3_column_int64(s, 8);
	a->pending_ms = sqlite3_column_int64(s, 9);
	a->fired_ms = sqlite3_column_int64(s, 10);
	a->flapping = sqlite3_column_int(s, 11) != 0;
	row_ack(s, a);
	return a;
}

/* The last transitions back into the ring; state changes within the flap window back
 * into the flap count. */
static int load_hist(struct alert_store *st, struct alert *a)
{
	const char *sql = "SELECT ts_ms, from_state, to_state, severity, value FROM history"
			  " WHERE alert_id=? ORDER BY rowid DESC LIMIT ?";
	struct store_row args = {0};
	store_row_int(&args, a->id);
	store_row_int(&args, ALERT_HIST_MAX);
	sqlite3_stmt *s = state_db_query(st->db, sql, &args);
	if (!s)
		return -EIO;
	struct alert_transition t[ALERT_HIST_MAX];
	int n = 0;
	while (n < ALERT_HIST_MAX && sqlite3_step(s) == SQLITE_ROW) {
		t[n] = (struct alert_transition){
			.ts_ms = sqlite3_column_int64(s, 0),
			.from = (enum alert_state)sqlite3_column_int(s, 1),
			.to = (enum alert_state)sqlite3_column_int(s, 2),
			.severity = (enum cfg_severity)sqlite3_column_int(s, 3),
			.value = col_double(s, 4)};
		n++;
	}
	sqlite3_finalize(s);
	for (int i = n - 1; i >= 0; i--) {
		alert_hist_push(a, &t[i]);
		if (t[i].from != t[i].to)
			alert_flap_count(a, t[i].ts_ms, true);
	}
	return 0;
}

int alert_store_load_alerts(struct alert_store *st, void (*fn)(void *arg, struct alert *a),
			    void *arg)
{
	sqlite3_stmt *s = state_db_query(st->db, "SELECT * FROM alerts ORDER BY id", NULL);
	if (!s)
		return -EIO;
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct alert *a = row_alert(s);
		if (!a || load_hist(st, a) < 0) {
			alert_obj_free(a);
			rc = -ENOMEM;
			break;
		}
		fn(arg, a);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	return rc;
}

/* ---- silences ---------------------------------------------------------------------- */

static char *labels_json(const struct cfg_selector *m)
{
	if (!m->nlabels)
		return NULL;
	json_t *o = json_object();
	for (size_t i = 0; i < m->nlabels; i++)
		json_object_set_new(o, m->labels[i].key, json_string(m->labels[i].value));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

int alert_store_put_silence(struct alert_store *st, const struct silence *sil)
{
	struct store_row r = {.stmt = ST_PUT_SIL};
	const struct cfg_selector *m = &sil->match;
	const char *texts[] = {m->device, m->kind, m->site, m->room, m->tenant, m->metric, m->inst};
	store_row_int(&r, sil->id);
	for (int i = 0; i < 7; i++)
		store_row_text(&r, texts[i]);
	char *labels = labels_json(m);
	store_row_text(&r, labels);
	store_row_text(&r, sil->rule);
	store_row_text(&r, sil->reason);
	store_row_text(&r, sil->created_by);
	store_row_int(&r, sil->created_ms);
	store_row_int(&r, sil->starts_ms);
	store_row_int(&r, sil->ends_ms);
	store_row_int(&r, (int)sil->days);
	store_row_int(&r, sil->start_min);
	store_row_int(&r, sil->end_min);
	store_row_text(&r, sil->tz);
	int rc = store_write(st, &r);
	free(labels);
	return rc;
}

int alert_store_end_silence(struct alert_store *st, int64_t id, int64_t now_ms)
{
	struct store_row r = {.stmt = ST_END_SIL};
	store_row_int(&r, now_ms);
	store_row_int(&r, id);
	return store_write(st, &r);
}

int alert_store_move_silence(struct alert_store *st, const struct silence *sil)
{
	struct store_row r = {.stmt = ST_MOVE_SIL};
	store_row_int(&r, sil->starts_ms);
	store_row_int(&r, sil->ends_ms);
	store_row_int(&r, sil->id);
	return store_write(st, &r);
}

static int row_labels(const char *text, struct cfg_selector *m)
{
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;
	size_t n = json_is_object(o) ? json_object_size(o) : 0;
	const char *k;
	json_t *v;
	m->labels = n ? calloc(n, sizeof(*m->labels)) : NULL;
	json_object_foreach(o, k, v)
	{
		if (!m->labels || m->nlabels == n || !json_is_string(v))
			continue;
		m->labels[m->nlabels].key = strdup(k);
		m->labels[m->nlabels++].value = strdup(json_string_value(v));
	}
	json_decref(o);
	return n && !m->labels ? -ENOMEM : 0;
}

static struct silence *row_silence(sqlite3_stmt *s)
{
	struct silence *sil = calloc(1, sizeof(*sil));
	if (!sil)
		return NULL;
	char **texts[] = {&sil->match.device, &sil->match.kind,   &sil->match.site,
			  &sil->match.room,   &sil->match.tenant, &sil->match.metric,
			  &sil->match.inst};
	sil->id = sqlite3_column_int64(s, 0);
	for (int i = 0; i < 7; i++)
		*texts[i] = col_dup(s, 1 + i);
	row_labels((const char *)sqlite3_column_text(s, 8), &sil->match);
	sil->rule = col_dup(s, 9);
	sil->reason = col_dup(s, 10);
	sil->created_by = col_dup(s, 11);
	sil->created_ms = sqlite3_column_int64(s, 12);
	sil->starts_ms = sqlite3_column_int64(s, 13);
	sil->ends_ms = sqlite3_column_int64(s, 14);
	sil->days = (unsigned)sqlite3_column_int(s, 15);
	sil->start_min = sqlite3_column_int(s, 16);
	sil->end_min = sqlite3_column_int(s, 17);
	sil->tz = col_dup(s, 18);
	return sil;
}

int alert_store_load_silences(struct alert_store *st, int64_t now_ms,
			      void (*fn)(void *arg, struct silence *s), void *arg)
{
	const char *sql = "SELECT * FROM silences WHERE deleted_ms IS NULL AND"
			  " (ends_ms = 0 OR ends_ms > ?) ORDER BY id";
	struct store_row args = {0};
	store_row_int(&args, now_ms);
	sqlite3_stmt *s = state_db_query(st->db, sql, &args);
	if (!s)
		return -EIO;
	int rc = 0, step;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct silence *sil = row_silence(s);
		if (!sil) {
			rc = -ENOMEM;
			break;
		}
		fn(arg, sil);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = -EIO;
	sqlite3_finalize(s);
	return rc;
}
