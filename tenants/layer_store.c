/* tenants.db: the tenant layers' items, change requests and locks (dcmon/tenants.h),
 * through the state files' SQLite helper (dcmon/state_db.h).  The items are also kept
 * in memory: every load of the configuration layers them. */
#include "tenants_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/enumtab.h"
#include "dcmon/log.h"
#include "dcmon/state_db.h"

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS items("
	" tenant TEXT NOT NULL, kind TEXT NOT NULL, id TEXT NOT NULL, yaml TEXT NOT NULL,"
	" origin TEXT NOT NULL, by TEXT, ts_ms INTEGER NOT NULL, PRIMARY KEY(tenant, kind, id));"
	"CREATE TABLE IF NOT EXISTS requests("
	" id INTEGER PRIMARY KEY, tenant TEXT NOT NULL, kind TEXT NOT NULL, item TEXT NOT NULL,"
	" op TEXT NOT NULL, yaml TEXT, before TEXT, state TEXT NOT NULL, by TEXT NOT NULL,"
	" ts_ms INTEGER NOT NULL, decided_by TEXT, decided_ms INTEGER, reason TEXT);"
	"CREATE INDEX IF NOT EXISTS requests_tenant ON requests(tenant, state);"
	"CREATE TABLE IF NOT EXISTS locks("
	" tenant TEXT PRIMARY KEY, by TEXT, ts_ms INTEGER NOT NULL, reason TEXT);";

const char *const item_kind_names[] = {[ITEM_DEVICE] = "device", [ITEM_RULE] = "rule",
				       [ITEM_LOG_RULE] = "log_rule", NULL};
const char *const item_cfg_section[] = {[ITEM_DEVICE] = "devices", [ITEM_RULE] = "rules",
					[ITEM_LOG_RULE] = "daemon.syslog.rules"};
const char *const item_yaml_key[] = {[ITEM_DEVICE] = "devices", [ITEM_RULE] = "rules",
				     [ITEM_LOG_RULE] = "log_rules"};

static char *dup_or_null(const unsigned char *s)
{
	char *d = s ? strdup((const char *)s) : NULL;
	if (s && !d)
		abort();
	return d;
}

void layer_item_name(char *out, const char *tenant, enum item_kind kind, const char *id)
{
	snprintf(out, LAYER_NAME_MAX, "tenant:%s/%s/%s", tenant, item_kind_names[kind], id);
}

struct layer_item *layer_item_find(struct tenant_layer *l, const char *tenant,
				   enum item_kind kind, const char *id)
{
	for (size_t i = 0; l && i < l->n; i++)
		if (l->items[i].kind == kind && strcmp(l->items[i].tenant, tenant) == 0 &&
		    strcmp(l->items[i].id, id) == 0)
			return &l->items[i];
	return NULL;
}

static void item_release(struct layer_item *it)
{
	free(it->tenant);
	free(it->id);
	free(it->yaml);
	free(it->origin);
	free(it->by);
}

/* Sets the item of c in memory (added when new). */
static void item_set(struct tenant_layer *l, const struct layer_change *c, int64_t now_ms)
{
	struct layer_item *it = layer_item_find(l, c->tenant, c->kind, c->id);
	if (!it) {
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			if (!(l->items = realloc(l->items, l->cap * sizeof(*l->items))))
				abort();
		}
		it = &l->items[l->n++];
	} else {
		item_release(it);
	}
	*it = (struct layer_item){.tenant = strdup(c->tenant), .kind = c->kind,
				  .id = strdup(c->id), .yaml = strdup(c->yaml),
				  .origin = strdup(c->origin ? c->origin : "tenant"),
				  .by = strdup(c->by ? c->by : ""), .ts_ms = now_ms};
	if (!it->tenant || !it->id || !it->yaml || !it->origin || !it->by)
		abort();
	layer_item_name(it->name, c->tenant, c->kind, c->id);
}

static void item_remove(struct tenant_layer *l, const struct layer_change *c)
{
	struct layer_item *it = layer_item_find(l, c->tenant, c->kind, c->id);
	if (!it)
		return;
	item_release(it);
	*it = l->items[--l->n];
}

static int items_read(struct tenant_layer *l)
{
	sqlite3_stmt *s = state_db_query(l->db, "SELECT tenant, kind, id, yaml, origin, by, ts_ms "
					 "FROM items ORDER BY tenant, kind, id", NULL);
	if (!s)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int kind;
		if (enum_parse(item_kind_names, (const char *)sqlite3_column_text(s, 1), &kind) < 0)
			continue; /* edited by hand */
		struct layer_change c = {
			.tenant = (const char *)sqlite3_column_text(s, 0), .kind = kind,
			.id = (const char *)sqlite3_column_text(s, 2),
			.yaml = (const char *)sqlite3_column_text(s, 3),
			.origin = (const char *)sqlite3_column_text(s, 4),
			.by = (const char *)sqlite3_column_text(s, 5)};
		if (c.tenant && c.id && c.yaml)
			item_set(l, &c, sqlite3_column_int64(s, 6));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int layer_store_open(struct tenant_layer *l, const char *state_dir, char *err, size_t errlen)
{
	size_t len = strlen(state_dir) + sizeof("/tenants.db");
	if (!(l->db_path = malloc(len)))
		abort();
	snprintf(l->db_path, len, "%s/tenants.db", state_dir);
	if (state_db_open(&l->db, l->db_path, schema, err, errlen) != SQLITE_OK)
		return -EIO;
	if (items_read(l) < 0) {
		snprintf(err, errlen, "%s: %s", l->db_path, sqlite3_errmsg(l->db));
		return -EIO;
	}
	return 0;
}

/* Runs one statement without rows; 0 or -EIO (logged). */
static int store_exec(struct tenant_layer *l, const char *sql, const struct store_row *r)
{
	sqlite3_stmt *s = state_db_query(l->db, sql, r);
	int rc = s ? sqlite3_step(s) : SQLITE_ERROR;
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		log_msg(LOG_LVL_ERROR, "tenants", NULL, "%s: %s", l->db_path, sqlite3_errmsg(l->db));
		return -EIO;
	}
	return 0;
}

int layer_store_write(struct tenant_layer *l, const struct layer_change *c, int64_t ts_ms)
{
	struct store_row r = {0};
	store_row_text(&r, c->tenant);
	store_row_text(&r, item_kind_names[c->kind]);
	store_row_text(&r, c->id);
	if (!c->yaml)
		return store_exec(l, "DELETE FROM items WHERE tenant = ? AND kind = ? AND id = ?", &r);
	store_row_text(&r, c->yaml);
	store_row_text(&r, c->origin ? c->origin : "tenant");
	store_row_text(&r, c->by);
	store_row_int(&r, ts_ms);
	return store_exec(l, "INSERT OR REPLACE INTO items(tenant, kind, id, yaml, origin, by, "
			  "ts_ms) VALUES(?,?,?,?,?,?,?)", &r);
}

void layer_items_set(struct tenant_layer *l, const struct layer_change *c, int64_t ts_ms)
{
	if (c->yaml)
		item_set(l, c, ts_ms);
	else
		item_remove(l, c);
}

int layer_store_undo(struct tenant_layer *l, const struct layer_change *c)
{
	const struct layer_item *cur = layer_item_find(l, c->tenant, c->kind, c->id);
	struct layer_change was = {.tenant = c->tenant, .kind = c->kind, .id = c->id};
	if (cur) {
		was.yaml = cur->yaml;
		was.origin = cur->origin;
		was.by = cur->by;
	}
	return layer_store_write(l, &was, cur ? cur->ts_ms : 0);
}

/* ---- requests ---- */

void layer_request_release(struct layer_request *r)
{
	free(r->yaml);
	free(r->before);
	free(r->reason);
	r->yaml = r->before = r->reason = NULL;
}

#define REQ_COLS "id, tenant, kind, item, op, yaml, before, state, by, ts_ms, " \
		 "decided_by, decided_ms, reason"

static void request_read(sqlite3_stmt *s, struct layer_request *r)
{
	*r = (struct layer_request){.id = sqlite3_column_int64(s, 0)};
	state_db_column_text(s, 1, r->tenant, sizeof(r->tenant));
	state_db_column_text(s, 2, r->kind, sizeof(r->kind));
	state_db_column_text(s, 3, r->item, sizeof(r->item));
	state_db_column_text(s, 4, r->op, sizeof(r->op));
	r->yaml = dup_or_null(sqlite3_column_text(s, 5));
	r->before = dup_or_null(sqlite3_column_text(s, 6));
	state_db_column_text(s, 7, r->state, sizeof(r->state));
	state_db_column_text(s, 8, r->by, sizeof(r->by));
	r->ts_ms = sqlite3_column_int64(s, 9);
	state_db_column_text(s, 10, r->decided_by, sizeof(r->decided_by));
	r->decided_ms = sqlite3_column_int64(s, 11);
	r->reason = dup_or_null(sqlite3_column_text(s, 12));
}

int layer_request_insert(struct tenant_layer *l, struct layer_request *r)
{
	struct store_row row = {0};
	store_row_text(&row, r->tenant);
	store_row_text(&row, r->kind);
	store_row_text(&row, r->item);
	store_row_text(&row, r->op);
	store_row_text(&row, r->yaml);
	store_row_text(&row, r->before);
	store_row_text(&row, r->state);
	store_row_text(&row, r->by);
	store_row_int(&row, r->ts_ms);
	if (store_exec(l, "INSERT INTO requests(tenant, kind, item, op, yaml, before, state, by, "
		       "ts_ms) VALUES(?,?,?,?,?,?,?,?,?)", &row) < 0)
		return -EIO;
	r->id = sqlite3_last_insert_rowid(l->db);
	return 0;
}

int layer_request_decide(struct tenant_layer *l, const struct layer_request *r)
{
	struct store_row row = {0};
	store_row_text(&row, r->state);
	store_row_text(&row, r->decided_by);
	store_row_int(&row, r->decided_ms);
	store_row_text(&row, r->reason);
	store_row_text(&row, r->before);
	store_row_int(&row, r->id);
	return store_exec(l, "UPDATE requests SET state = ?, decided_by = ?, decided_ms = ?, "
			  "reason = ?, before = ? WHERE id = ?", &row);
}

int layer_request_get(struct tenant_layer *l, int64_t id, struct layer_request *out)
{
	struct store_row row = {0};
	store_row_int(&row, id);
	sqlite3_stmt *s = state_db_query(l->db, "SELECT " REQ_COLS " FROM requests WHERE id = ?",
					 &row);
	if (!s)
		return -EIO;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		request_read(s, out);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int layer_request_each(struct tenant_layer *l, const char *tenant, const char *state,
		       bool (*fn)(void *arg, const struct layer_request *r), void *arg)
{
	struct store_row row = {0};
	store_row_text(&row, tenant);
	store_row_text(&row, state);
	sqlite3_stmt *s = state_db_query(l->db, "SELECT " REQ_COLS " FROM requests "
					 "WHERE (?1 IS NULL OR tenant = ?1) AND "
					 "(?2 IS NULL OR state = ?2) ORDER BY id DESC", &row);
	if (!s)
		return -EIO;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct layer_request r;
		request_read(s, &r);
		bool more = fn(arg, &r);
		layer_request_release(&r);
		if (!more)
			break;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- locks ---- */

bool layer_locked(struct tenant_layer *l, const char *tenant, char *reason, size_t reason_len)
{
	struct store_row row = {0};
	store_row_text(&row, tenant);
	sqlite3_stmt *s = state_db_query(l->db, "SELECT reason FROM locks WHERE tenant = ?", &row);
	bool locked = s && sqlite3_step(s) == SQLITE_ROW;
	if (locked)
		state_db_column_text(s, 0, reason, reason_len);
	sqlite3_finalize(s);
	return locked;
}

int layer_lock_set(struct tenant_layer *l, const char *tenant, bool lock, const char *by,
		   const char *reason, int64_t now_ms)
{
	struct store_row row = {0};
	store_row_text(&row, tenant);
	if (!lock)
		return store_exec(l, "DELETE FROM locks WHERE tenant = ?", &row);
	store_row_text(&row, by);
	store_row_int(&row, now_ms);
	store_row_text(&row, reason);
	return store_exec(l, "INSERT OR REPLACE INTO locks(tenant, by, ts_ms, reason) "
			  "VALUES(?,?,?,?)", &row);
}
