/* reports.db: the runs of dcmond and the state-interval table of down spans, written
 * from the change bus; and the readers of the history a report needs
 * (dcmon/avail_store.h). */
#include "dcmon/avail_store.h"

#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/api.h"
#include "dcmon/log.h"
#include "dcmon/state_db.h"
#include "dcmon/state_health.h"

static const char reports_schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS runs(start_ms INTEGER PRIMARY KEY,"
	" seen_ms INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS down(id INTEGER PRIMARY KEY, object TEXT NOT NULL,"
	" device TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER, root TEXT);"
	"CREATE INDEX IF NOT EXISTS down_end ON down(end_ms);"
	"CREATE INDEX IF NOT EXISTS down_open ON down(object) WHERE end_ms IS NULL;"
	"CREATE TABLE IF NOT EXISTS configured(device TEXT NOT NULL, start_ms INTEGER NOT NULL,"
	" end_ms INTEGER);"
	"CREATE INDEX IF NOT EXISTS configured_open ON configured(device) WHERE end_ms IS NULL;"
	"CREATE TABLE IF NOT EXISTS degraded(device TEXT NOT NULL, start_ms INTEGER NOT NULL,"
	" end_ms INTEGER);"
	"CREATE INDEX IF NOT EXISTS degraded_open ON degraded(device) WHERE end_ms IS NULL;"
	"CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, incident TEXT NOT NULL,"
	" ts_ms INTEGER NOT NULL, who TEXT NOT NULL, text TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS mailed(month TEXT PRIMARY KEY, ts_ms INTEGER NOT NULL);";

enum rec_stmt { RS_RUN, RS_SEEN, RS_OPEN_FIND, RS_OPEN, RS_CLOSE, RS_PRUNE_DOWN, RS_PRUNE_RUNS,
		RS_PRUNE_NOTES, RS_PRUNE_CONF, RS_PRUNE_DEG, RS_CONF_OPEN, RS_CONF_CLOSE,
		RS_DEG_OPEN, RS_DEG_CLOSE, RS_MAILED, RS_COUNT };

static const char *const rec_sql[RS_COUNT] = {
	[RS_RUN] = "INSERT OR REPLACE INTO runs VALUES(?, ?)",
	[RS_SEEN] = "UPDATE runs SET seen_ms = ? WHERE start_ms = ?",
	[RS_OPEN_FIND] = "SELECT 1 FROM down WHERE object = ? AND end_ms IS NULL",
	/* a no-op when the object is down already: a write held on a full disk is replayed
	 * without the look at the file that decided it (on_alert) */
	[RS_OPEN] = "INSERT INTO down(object, device, start_ms, end_ms, root)"
		    " SELECT ?1, ?2, ?3, NULL, ?4 WHERE NOT EXISTS"
		    " (SELECT 1 FROM down WHERE object = ?1 AND end_ms IS NULL)",
	[RS_CLOSE] = "UPDATE down SET end_ms = ? WHERE object = ? AND end_ms IS NULL",
	/* retention: what ended before ?1, at most ?2 rows a pass */
	[RS_PRUNE_DOWN] = "DELETE FROM down WHERE id IN (SELECT id FROM down WHERE end_ms < ?1"
			  " ORDER BY end_ms LIMIT ?2)",
	[RS_PRUNE_RUNS] = "DELETE FROM runs WHERE start_ms IN (SELECT start_ms FROM runs"
			  " WHERE seen_ms < ?1 ORDER BY seen_ms LIMIT ?2)",
	[RS_PRUNE_NOTES] = "DELETE FROM notes WHERE id IN (SELECT id FROM notes WHERE ts_ms < ?1"
			   " ORDER BY ts_ms LIMIT ?2)",
	[RS_PRUNE_CONF] = "DELETE FROM configured WHERE rowid IN (SELECT rowid FROM configured"
			  " WHERE end_ms < ?1 ORDER BY end_ms LIMIT ?2)",
	/* a device in the configuration: polled from then (a no-op while it is) */
	[RS_CONF_OPEN] = "INSERT INTO configured(device, start_ms, end_ms) SELECT ?1, ?2, NULL"
			 " WHERE NOT EXISTS (SELECT 1 FROM configured WHERE device = ?1 AND"
			 " end_ms IS NULL)",
	[RS_CONF_CLOSE] = "UPDATE configured SET end_ms = ?1 WHERE device = ?2 AND end_ms IS NULL",
	[RS_PRUNE_DEG] = "DELETE FROM degraded WHERE rowid IN (SELECT rowid FROM degraded"
			 " WHERE end_ms < ?1 ORDER BY end_ms LIMIT ?2)",
	/* a device answering some pollers only (a no-op while it is, as RS_OPEN) */
	[RS_DEG_OPEN] = "INSERT INTO degraded(device, start_ms, end_ms) SELECT ?1, ?2, NULL"
			" WHERE NOT EXISTS (SELECT 1 FROM degraded WHERE device = ?1 AND"
			" end_ms IS NULL)",
	[RS_DEG_CLOSE] = "UPDATE degraded SET end_ms = ?1 WHERE device = ?2 AND end_ms IS NULL",
	[RS_MAILED] = "INSERT OR IGNORE INTO mailed(month, ts_ms) VALUES(?1, ?2)",
};

struct avail_recorder {
	struct sqlite3 *db;
	struct sqlite3_stmt *st[RS_COUNT];
	char path[PATH_MAX];
	struct change_bus *bus;
	avail_root_fn root;
	void *root_arg;
	int64_t run_ms;  /* this run's start */
	int64_t seen_ms; /* its last heartbeat written */
	struct store_held held; /* every write, until its transaction commits (full disk) */
	struct state_health health; /* dcmond's state_store_state{reports.db} and its kin */
	struct metric_reg *reg;     /* where they are reported, NULL: nowhere */
	int64_t retention_ms;   /* 0: keep everything */
	int64_t prune_ms;       /* wall ms of the next retention pass */
	char mailed[AVAIL_MONTH_LEN]; /* the last month marked mailed by this run */
	/* The objects whose span is open, sorted: the recorder alone opens and closes them
	 * (its start closed every one), so it knows without a look at the file, which may be
	 * behind on a full disk; a poll that moves nothing writes nothing.  A device's
	 * objects are together ("device/..."; an id has no '/'). */
	char **open;
	size_t nopen, open_cap;
};

static void db_path(const char *state_dir, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", state_dir, name);
}

/* Every write is held until it is in the file: on a full disk it stays in memory, in
 * order, and is tried again every STORE_RETRY_MS (the tick), as alerts.db's are. */
static int rec_push(struct avail_recorder *r, enum rec_stmt which, const struct store_row *row)
{
	struct store_row w = *row;
	w.stmt = which;
	return store_held_push(&r->held, &w, r->path);
}

static void rec_run(struct avail_recorder *r, enum rec_stmt which, const struct store_row *row)
{
	if (rec_push(r, which, row) == 0)
		store_held_write(&r->held, r->db, r->st, r->path, false);
}

/* The key of an alert's object: "device/metric" or "device/metric:inst".  An alert
 * whose metric has not reported since the start (restored) names it by its key,
 * "metric@inst": the same object, so that the transition that ends it once the metric
 * is bound closes the span its restoring opened. */
static void object_key(const struct alert_event *ev, char *out, size_t len)
{
	const char *at = ev->inst && ev->inst[0] ? NULL : strchr(ev->metric, '@');
	if (ev->inst && ev->inst[0])
		snprintf(out, len, "%s/%s:%s", ev->device, ev->metric, ev->inst);
	else if (at)
		snprintf(out, len, "%s/%.*s:%s", ev->device, (int)(at - ev->metric), ev->metric,
			 at + 1);
	else
		snprintf(out, len, "%s/%s", ev->device, ev->metric);
}

/* The object of a device's unreachable spans: "device/unreachable". */
static void unreachable_key(const char *device, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", device, AVAIL_UNREACHABLE_CHECK);
}

static bool span_open(struct avail_recorder *r, const char *object)
{
	struct sqlite3_stmt *s = r->st[RS_OPEN_FIND];
	struct store_row row = {0};
	store_row_text(&row, object);
	state_db_bind(s, row.v, row.n);
	bool open = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return open;
}

/* Where key is or would go in r->open. */
static size_t open_pos(const struct avail_recorder *r, const char *key, bool *found)
{
	size_t lo = 0, hi = r->nopen;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->open[mid], key);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool open_has(const struct avail_recorder *r, const char *key)
{
	bool found;
	open_pos(r, key, &found);
	return found;
}

/* Marks key's span open or not; 0, or -ENOMEM (nothing changed). */
static int open_mark(struct avail_recorder *r, const char *key, bool on)
{
	bool found;
	size_t at = open_pos(r, key, &found);
	if (on == found)
		return 0;
	if (!on) {
		free(r->open[at]);
		memmove(r->open + at, r->open + at + 1, (--r->nopen - at) * sizeof(*r->open));
		return 0;
	}
	if (r->nopen == r->open_cap) {
		size_t cap = r->open_cap ? 2 * r->open_cap : 16;
		char **v = realloc(r->open, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->open = v;
		r->open_cap = cap;
	}
	char *copy = strdup(key);
	if (!copy)
		return -ENOMEM;
	memmove(r->open + at + 1, r->open + at, (r->nopen++ - at) * sizeof(*r->open));
	r->open[at] = copy;
	return 0;
}

/* Whether one of device's checks has a critical alert's span open. */
static bool down_by_alert(const struct avail_recorder *r, const char *device)
{
	char prefix[512];
	bool found;
	size_t len = (size_t)snprintf(prefix, sizeof(prefix), "%s/", device);
	for (size_t i = open_pos(r, prefix, &found); i < r->nopen; i++) {
		if (strncmp(r->open[i], prefix, len) != 0)
			return false;
		const char *what = r->open[i] + len;
		if (strcmp(what, AVAIL_UNREACHABLE_CHECK) != 0 &&
		    strcmp(what, AVAIL_DEGRADED_KEY) != 0)
			return true;
	}
	return false;
}

/* Opens (down) or closes object's span at ts_ms.  The open span records the device's
 * suppression root at that time. */
static void span_write(struct avail_recorder *r, const char *object, const char *device,
		       bool down, int64_t ts_ms)
{
	struct store_row row = {0};
	if (down) {
		const char *root = r->root ? r->root(r->root_arg, device, ts_ms) : NULL;
		store_row_text(&row, object);
		store_row_text(&row, device);
		store_row_int(&row, ts_ms);
		store_row_text(&row, root);
		rec_run(r, RS_OPEN, &row);
	} else {
		store_row_int(&row, ts_ms);
		store_row_text(&row, object);
		rec_run(r, RS_CLOSE, &row);
	}
}

/* span_write, only when that moves the span. */
static void span_set(struct avail_recorder *r, const char *object, const char *device,
		     bool down, int64_t ts_ms)
{
	if (r->held.n == 0 && down == span_open(r, object))
		return; /* the file is not behind, and says so already */
	span_write(r, object, device, down, ts_ms);
}

/* Opens or closes device's unreachable span at ts_ms (a move of its state). */
static void unreachable_set(struct avail_recorder *r, const char *device, bool down,
			    int64_t ts_ms)
{
	char object[512];
	unreachable_key(device, object, sizeof(object));
	if (open_mark(r, object, down) < 0)
		return; /* out of memory: tried again at its next poll */
	span_write(r, object, device, down, ts_ms);
}

/* A critical alert firing makes its object down; anything else ends that.  It takes over
 * from the device's unreachable span: each second of the device is down through one
 * object (its outage is one incident either way: the spans touch). */
static void on_alert(void *arg, const struct change *c)
{
	struct avail_recorder *r = arg;
	const struct alert_event *ev = c->alert;
	char object[512];

	if (ev->type != ALERT_EV_CHANGED && ev->type != ALERT_EV_CURRENT)
		return;
	object_key(ev, object, sizeof(object));
	bool down = ev->state == ALERT_FIRING && ev->severity == SEV_CRITICAL;
	span_set(r, object, ev->device, down, ev->ts_ms);
	if (open_mark(r, object, down) < 0)
		log_warnx("reports", ev->device, "out of memory: an unreachable span may overlap %s",
			  object);
	unreachable_key(ev->device, object, sizeof(object));
	if (down && open_has(r, object))
		unreachable_set(r, ev->device, false, ev->ts_ms);
}

/* Opens or closes device's degraded span at ts_ms (a move of its state). */
static void degraded_set(struct avail_recorder *r, const char *device, bool on, int64_t ts_ms)
{
	char key[512];
	struct store_row row = {0};
	snprintf(key, sizeof(key), "%s/%s", device, AVAIL_DEGRADED_KEY);
	if (open_mark(r, key, on) < 0)
		return; /* out of memory: tried again at its next poll */
	if (on) {
		store_row_text(&row, device);
		store_row_int(&row, ts_ms);
		rec_run(r, RS_DEG_OPEN, &row);
	} else {
		store_row_int(&row, ts_ms);
		store_row_text(&row, device);
		rec_run(r, RS_DEG_CLOSE, &row);
	}
}

/* Where a span a poll's end opens starts: at that poll's start, the first evidence of
 * the new state (the device answered the poll before, so it counts as up until then). */
static int64_t poll_started(const struct change *c)
{
	int64_t started = c->status->last_poll_ms;
	return started > 0 && started <= c->ts_ms ? started : c->ts_ms;
}

/* A poll ended: a device that did not answer at all is down from the start of that poll,
 * as its own check "device/unreachable", unless a critical alert has it down already
 * (the usual ping or TCP case); the end of the first poll it answers ends that.  One
 * that answered some pollers only (degraded) is up, its degraded span kept apart.
 * Memory only, a write on a move. */
static void on_device(void *arg, const struct change *c)
{
	struct avail_recorder *r = arg;
	char object[512];
	if (!c->status || !c->device)
		return;
	bool down = c->status->state == DEV_STATE_UNREACHABLE;
	bool degraded = c->status->state == DEV_STATE_DEGRADED;
	snprintf(object, sizeof(object), "%s/%s", c->device, AVAIL_DEGRADED_KEY);
	if (degraded != open_has(r, object))
		degraded_set(r, c->device, degraded, degraded ? poll_started(c) : c->ts_ms);
	unreachable_key(c->device, object, sizeof(object));
	if (down == open_has(r, object) || (down && down_by_alert(r, c->device)))
		return;
	unreachable_set(r, c->device, down, down ? poll_started(c) : c->ts_ms);
}

static void on_change(void *arg, const struct change *c)
{
	if (c->kind == CHANGE_ALERT)
		on_alert(arg, c);
	else
		on_device(arg, c);
}

/* Spans left open by a run that ended without closing them end at its last heartbeat:
 * what followed is unknown until this run's alerts say again. */
static int close_stale(struct avail_recorder *r, char *err, size_t errlen)
{
	return state_db_exec(r->db, r->path,
			     "UPDATE down SET end_ms = max(start_ms, coalesce((SELECT max(seen_ms)"
			     " FROM runs), start_ms)) WHERE end_ms IS NULL;"
			     "UPDATE configured SET end_ms = max(start_ms, coalesce((SELECT"
			     " max(seen_ms) FROM runs), start_ms)) WHERE end_ms IS NULL;"
			     "UPDATE degraded SET end_ms = max(start_ms, coalesce((SELECT"
			     " max(seen_ms) FROM runs), start_ms)) WHERE end_ms IS NULL",
			     err, errlen);
}

struct avail_recorder *avail_recorder_new(const char *state_dir, struct change_bus *bus,
					  avail_root_fn root, void *root_arg, int64_t now_ms,
					  char *err, size_t errlen)
{
	struct avail_recorder *r = calloc(1, sizeof(*r));
	struct store_row row = {0};
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->held.sub = "reports";
	r->held.what = "availability history";
	db_path(state_dir, AVAIL_DB_NAME, r->path, sizeof(r->path));
	if (state_db_open(&r->db, r->path, reports_schema, err, errlen) != SQLITE_OK ||
	    state_db_prepare_all(r->db, r->path, rec_sql, r->st, RS_COUNT, err, errlen) !=
		    SQLITE_OK ||
	    close_stale(r, err, errlen) != SQLITE_OK)
		goto fail;
	r->root = root;
	r->root_arg = root_arg;
	r->run_ms = r->seen_ms = now_ms;
	store_row_int(&row, now_ms);
	store_row_int(&row, now_ms);
	rec_run(r, RS_RUN, &row);
	if (change_subscribe(bus, CHANGE_MASK(CHANGE_ALERT) | CHANGE_MASK(CHANGE_DEVICE), on_change,
			     r) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->bus = bus;
	return r;
fail:
	store_held_free(&r->held);
	state_db_finalize_all(r->st, RS_COUNT);
	sqlite3_close(r->db);
	free(r);
	return NULL;
}

void avail_recorder_set_root(struct avail_recorder *r, avail_root_fn root, void *root_arg)
{
	if (!r)
		return;
	r->root = root;
	r->root_arg = root_arg;
}

static void write_seen(struct avail_recorder *r, int64_t now_ms)
{
	struct store_row row = {0};
	store_row_int(&row, now_ms);
	store_row_int(&row, r->run_ms);
	rec_run(r, RS_SEEN, &row);
	r->seen_ms = now_ms;
}

/* Ends r->open[i] at now_ms when its device is not in cfg: the span of an alert that
 * went with its device (no transition says so), its unreachable or degraded span. */
static void close_if_removed(struct avail_recorder *r, const struct cfg *cfg, size_t i,
			     int64_t now_ms)
{
	char device[256], object[512]; /* an id is shorter: cut ones are no device's */
	snprintf(object, sizeof(object), "%s", r->open[i]);
	snprintf(device, sizeof(device), "%s", r->open[i]);
	char *slash = strchr(device, '/');
	if (!slash)
		return;
	*slash = '\0';
	if (cfg_device_find(cfg, device))
		return;
	if (strcmp(slash + 1, AVAIL_DEGRADED_KEY) == 0)
		degraded_set(r, device, false, now_ms);
	else if (strcmp(slash + 1, AVAIL_UNREACHABLE_CHECK) == 0)
		unreachable_set(r, device, false, now_ms);
	else if (open_mark(r, object, false) == 0)
		span_write(r, object, device, false, now_ms);
}

/* The devices configured now are polled from now; those no more stop being.  Written in
 * one transaction (10,000 devices at the start). */
void avail_recorder_devices(struct avail_recorder *r, const struct cfg *cfg, int64_t now_ms)
{
	if (!r)
		return;
	struct sqlite3_stmt *s = state_db_query(r->db, "SELECT device FROM configured"
						       " WHERE end_ms IS NULL", NULL);
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(s, 0);
		if (id && !cfg_device_find(cfg, id)) {
			struct store_row row = {0};
			store_row_int(&row, now_ms);
			store_row_text(&row, id);
			rec_push(r, RS_CONF_CLOSE, &row); /* texts copied */
		}
	}
	sqlite3_finalize(s);
	for (size_t i = r->nopen; i-- > 0;) /* no poll nor alert of theirs will end these */
		close_if_removed(r, cfg, i, now_ms);
	for (size_t i = 0; i < cfg->ndevices; i++) {
		struct store_row row = {0};
		store_row_text(&row, cfg->devices[i].id);
		store_row_int(&row, now_ms);
		rec_push(r, RS_CONF_OPEN, &row);
	}
	store_held_write(&r->held, r->db, r->st, r->path, false);
}

void avail_recorder_set_retention(struct avail_recorder *r, int64_t retention_ms)
{
	if (r && r->retention_ms != retention_ms) {
		r->retention_ms = retention_ms;
		r->prune_ms = 0; /* a shorter one applies at the next tick */
	}
}

/* Removes one batch of what ended before now - retention; the number removed, or -1. */
static int prune_batch(struct avail_recorder *r, enum rec_stmt which, int64_t before_ms)
{
	struct store_row row = {0};
	store_row_int(&row, before_ms);
	store_row_int(&row, AVAIL_PRUNE_BATCH);
	int rc = state_db_run(r->st[which], row.v, row.n);
	if (rc != SQLITE_DONE) {
		log_warnx("reports", NULL, "%s: retention: %s", r->path, sqlite3_errmsg(r->db));
		return -1;
	}
	return sqlite3_changes(r->db);
}

/* One retention pass: a batch of each table, again at the next tick while there is
 * more, hourly once caught up.  Not while writes are held: the file is not writable. */
static void prune(struct avail_recorder *r, int64_t now_ms)
{
	if (r->retention_ms <= 0 || now_ms < r->prune_ms || r->held.n > 0)
		return;
	int64_t before = now_ms - r->retention_ms;
	int removed = 0, n;
	static const enum rec_stmt tables[] = {RS_PRUNE_DOWN, RS_PRUNE_RUNS, RS_PRUNE_NOTES,
					       RS_PRUNE_CONF, RS_PRUNE_DEG};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		if ((n = prune_batch(r, tables[i], before)) < 0)
			break;
		removed += n;
	}
	if (removed > 0)
		log_info("reports", NULL, "%s: retention removed %d records older than %lld days",
			 r->path, removed, (long long)(r->retention_ms / 86400000));
	r->prune_ms = now_ms + (n >= 0 && removed > 0 ? 0 : AVAIL_PRUNE_EVERY_MS);
}

void avail_recorder_tick(struct avail_recorder *r, int64_t now_ms)
{
	if (!r)
		return;
	if (now_ms - r->seen_ms >= AVAIL_HEARTBEAT_MS)
		write_seen(r, now_ms);
	store_held_write(&r->held, r->db, r->st, r->path, false); /* retries when held */
	state_health_put(&r->health, r->reg, now_ms, r->held.failing, r->held.n, r->held.lost);
	prune(r, now_ms);
}

void avail_recorder_set_registry(struct avail_recorder *r, struct metric_reg *reg)
{
	if (!r)
		return;
	r->reg = reg;
	state_health_init(&r->health, reg, AVAIL_DB_NAME);
}

void avail_recorder_last_mailed(struct avail_recorder *r, char month[AVAIL_MONTH_LEN])
{
	struct store_row none = {0};
	month[0] = '\0';
	if (!r)
		return;
	struct sqlite3_stmt *s = state_db_query(r->db, "SELECT max(month) FROM mailed", &none);
	const unsigned char *v = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_text(s, 0)
								     : NULL;
	snprintf(month, AVAIL_MONTH_LEN, "%s", v ? (const char *)v : "");
	sqlite3_finalize(s);
	if (strcmp(r->mailed, month) > 0) /* its write may still be held on a full disk */
		snprintf(month, AVAIL_MONTH_LEN, "%s", r->mailed);
}

void avail_recorder_month_mailed(struct avail_recorder *r, const char *month, int64_t now_ms)
{
	struct store_row row = {0};
	store_row_text(&row, month);
	store_row_int(&row, now_ms);
	rec_run(r, RS_MAILED, &row);
	snprintf(r->mailed, sizeof(r->mailed), "%s", month);
}

void avail_recorder_free(struct avail_recorder *r, int64_t now_ms)
{
	if (!r)
		return;
	change_unsubscribe(r->bus, on_change, r);
	write_seen(r, now_ms);
	if (r->held.n && store_held_write(&r->held, r->db, r->st, r->path, true) < 0)
		log_msg(LOG_LVL_ERROR, "reports", NULL, "%s: %zu writes lost at the stop: %s",
			r->path, r->held.n, r->held.why);
	store_held_free(&r->held);
	state_db_finalize_all(r->st, RS_COUNT);
	sqlite3_close(r->db);
	for (size_t i = 0; i < r->nopen; i++)
		free(r->open[i]);
	free(r->open);
	free(r);
}

/* ---- reading ----------------------------------------------------------------------- */

static char *col_dup(struct sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Opens an existing state file read-only; false (and *db NULL) when it is missing. */
static bool open_ro(const char *state_dir, const char *name, struct sqlite3 **db)
{
	char path[PATH_MAX];
	db_path(state_dir, name, path, sizeof(path));
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(*db, STATE_DB_BUSY_MS);
		return true;
	}
	sqlite3_close(*db);
	*db = NULL;
	return false;
}

static int grow(void **v, size_t n, size_t size)
{
	/* doubling at powers of two: n is the count before the new element */
	if (n & (n - 1))
		return 0;
	void *nv = realloc(*v, (n ? n * 2 : 1) * size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	return 0;
}

/* sql with its two parameters bound to the period: (?1 = to, ?2 = from). */
static struct sqlite3_stmt *period_query(struct sqlite3 *db, const char *sql, int64_t from,
					 int64_t to)
{
	struct store_row args = {0};
	store_row_int(&args, to);
	store_row_int(&args, from);
	return state_db_query(db, sql, &args);
}

static int read_runs(struct sqlite3 *db, int64_t from, int64_t to, int64_t now,
		     struct avail_history *h)
{
	struct sqlite3_stmt *s = period_query(
		db, "SELECT start_ms, seen_ms, start_ms = (SELECT max(start_ms) FROM runs)"
		    " FROM runs WHERE start_ms < ? AND seen_ms >= ?", from, to);
	int rc = s ? 0 : -EIO;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		int64_t seen = sqlite3_column_int64(s, 1);
		/* the newest run is the one still going when now is read by dcmond itself */
		if (sqlite3_column_int(s, 2) && now - seen < 2 * AVAIL_HEARTBEAT_MS)
			seen = now;
		rc = avail_spans_add(&h->runs, sqlite3_column_int64(s, 0), seen);
	}
	sqlite3_finalize(s);
	avail_spans_normalize(&h->runs, from, to);
	return rc;
}

static int read_down(struct sqlite3 *db, int64_t from, int64_t to, int64_t now,
		     struct avail_history *h)
{
	struct sqlite3_stmt *s = period_query(
		db, "SELECT object, device, root, start_ms, end_ms FROM down"
		    " WHERE start_ms < ? AND (end_ms IS NULL OR end_ms > ?) ORDER BY start_ms",
		from, to);
	int rc = s ? 0 : -EIO;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		if ((rc = grow((void **)&h->down, h->ndown, sizeof(*h->down))) < 0)
			break;
		struct avail_down *d = &h->down[h->ndown++];
		*d = (struct avail_down){.object = col_dup(s, 0), .device = col_dup(s, 1),
					 .root = col_dup(s, 2),
					 .start_ms = sqlite3_column_int64(s, 3),
					 .end_ms = sqlite3_column_type(s, 4) == SQLITE_NULL
							   ? now
							   : sqlite3_column_int64(s, 4)};
	}
	sqlite3_finalize(s);
	return rc;
}

/* Whether db has table (a reports.db of an older dcmond, not opened by this one's
 * recorder yet, has not every table). */
static bool has_table(struct sqlite3 *db, const char *table)
{
	struct store_row a = {0};
	store_row_text(&a, table);
	struct sqlite3_stmt *s = state_db_query(db, "SELECT 1 FROM sqlite_master WHERE"
						    " type = 'table' AND name = ?", &a);
	bool found = s && sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

/* Spans of a table with device, start_ms, end_ms (configured, degraded) touching the
 * period, by device then start, into *v; an open one ends at now.  None when the table
 * is not there. */
static int read_device_spans(struct sqlite3 *db, const char *table, int64_t from, int64_t to,
			     int64_t now, struct avail_down **v, size_t *n)
{
	if (!has_table(db, table))
		return 0;
	char sql[256];
	snprintf(sql, sizeof(sql), "SELECT device, start_ms, end_ms FROM %s WHERE start_ms < ?"
				   " AND (end_ms IS NULL OR end_ms > ?) ORDER BY device, start_ms",
		 table);
	struct sqlite3_stmt *s = period_query(db, sql, from, to);
	int rc = s ? 0 : -EIO;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		if ((rc = grow((void **)v, *n, sizeof(**v))) < 0)
			break;
		(*v)[(*n)++] = (struct avail_down){
			.device = col_dup(s, 0), .start_ms = sqlite3_column_int64(s, 1),
			.end_ms = sqlite3_column_type(s, 2) == SQLITE_NULL
					  ? now
					  : sqlite3_column_int64(s, 2)};
	}
	sqlite3_finalize(s);
	return rc;
}

/* When each device was configured, by device; and since when that is recorded (a
 * reports.db of an older dcmond has no row: every device counts as configured). */
static int read_configured(struct sqlite3 *db, int64_t from, int64_t to, int64_t now,
			   struct avail_history *h)
{
	struct sqlite3_stmt *s = state_db_query(db, "SELECT min(start_ms) FROM configured", NULL);
	h->configured_since = INT64_MAX;
	if (s && sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
		h->configured_since = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return read_device_spans(db, "configured", from, to, now, &h->configured,
				 &h->nconfigured);
}

static int read_notes(struct sqlite3 *db, struct avail_history *h)
{
	struct sqlite3_stmt *s =
		state_db_query(db, "SELECT incident, who, text, ts_ms FROM notes ORDER BY id", NULL);
	int rc = s ? 0 : -EIO;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		if ((rc = grow((void **)&h->notes, h->nnotes, sizeof(*h->notes))) < 0)
			break;
		h->notes[h->nnotes++] = (struct avail_note){
			.incident = col_dup(s, 0), .who = col_dup(s, 1), .text = col_dup(s, 2),
			.ts_ms = sqlite3_column_int64(s, 3)};
	}
	sqlite3_finalize(s);
	return rc;
}

static int planned_add(struct avail_history *h, struct sqlite3_stmt *s, int64_t start,
		       int64_t end)
{
	if (grow((void **)&h->planned, h->nplanned, sizeof(*h->planned)) < 0)
		return -ENOMEM;
	struct avail_window *w = &h->planned[h->nplanned];
	*w = (struct avail_window){.device = col_dup(s, 0), .site = col_dup(s, 1),
				   .tenant = col_dup(s, 2), .kind = col_dup(s, 3),
				   .metric = col_dup(s, 4), .start_ms = start, .end_ms = end};
	h->nplanned++;
	return 0;
}

/* One-off silences of alerts.db (the weekly ones: avail_history_read_weekly). */
static int read_planned(struct sqlite3 *db, int64_t from, int64_t to, struct avail_history *h)
{
	struct sqlite3_stmt *s = period_query(
		db, "SELECT device, site, tenant, kind, metric, starts_ms,"
		    " min(ends_ms, coalesce(deleted_ms, ends_ms)) AS e FROM silences"
		    " WHERE days = 0 AND starts_ms < ? AND e > ?",
		from, to);
	int rc = s ? 0 : -EIO;
	while (rc == 0 && sqlite3_step(s) == SQLITE_ROW)
		rc = planned_add(h, s, sqlite3_column_int64(s, 5), sqlite3_column_int64(s, 6));
	sqlite3_finalize(s);
	return rc;
}

int avail_history_read(const char *state_dir, int64_t from_ms, int64_t to_ms,
		       int64_t now_ms, struct avail_history *h, char *err, size_t errlen)
{
	struct sqlite3 *db = NULL;
	int rc = 0;

	*h = (struct avail_history){0};
	if (open_ro(state_dir, AVAIL_DB_NAME, &db)) {
		rc = read_runs(db, from_ms, to_ms, now_ms, h);
		if (rc == 0)
			rc = read_down(db, from_ms, to_ms, now_ms, h);
		if (rc == 0)
			rc = read_notes(db, h);
		if (rc == 0)
			rc = read_configured(db, from_ms, to_ms, now_ms, h);
		if (rc == 0)
			rc = read_device_spans(db, "degraded", from_ms, to_ms, now_ms,
					       &h->degraded, &h->ndegraded);
		if (rc < 0)
			snprintf(err, errlen, "%s/%s: %s", state_dir, AVAIL_DB_NAME,
				 sqlite3_errmsg(db));
		sqlite3_close(db);
	}
	if (rc == 0 && open_ro(state_dir, "alerts.db", &db)) {
		if ((rc = read_planned(db, from_ms, to_ms, h)) < 0)
			snprintf(err, errlen, "%s/alerts.db: %s", state_dir, sqlite3_errmsg(db));
		sqlite3_close(db);
	}
	if (rc < 0)
		avail_history_free(h);
	return rc;
}

struct weekly_ctx {
	struct avail_history *h;
	struct sqlite3_stmt *s; /* the silence's row */
	int rc;
};

static void weekly_window(void *arg, int64_t start_ms, int64_t end_ms)
{
	struct weekly_ctx *c = arg;
	if (c->rc == 0)
		c->rc = planned_add(c->h, c->s, start_ms, end_ms);
}

int avail_history_read_weekly(const char *state_dir, int64_t from_ms, int64_t to_ms,
			      struct avail_history *h, char *err, size_t errlen)
{
	struct sqlite3 *db = NULL;
	if (!open_ro(state_dir, "alerts.db", &db))
		return 0;
	/* a deleted silence's windows end at its deletion */
	struct sqlite3_stmt *s = period_query(
		db, "SELECT device, site, tenant, kind, metric, days, start_min, end_min, tz,"
		    " starts_ms, CASE WHEN deleted_ms IS NULL THEN ends_ms WHEN ends_ms = 0"
		    " THEN deleted_ms ELSE min(ends_ms, deleted_ms) END AS e FROM silences"
		    " WHERE days != 0 AND starts_ms < ? AND (e = 0 OR e > ?)",
		from_ms, to_ms);
	struct weekly_ctx c = {.h = h, .s = s, .rc = s ? 0 : -EIO};
	while (c.rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *tz = sqlite3_column_text(s, 8);
		struct alert_weekly w = {.days = (unsigned)sqlite3_column_int(s, 5),
					 .start_min = sqlite3_column_int(s, 6),
					 .end_min = sqlite3_column_int(s, 7),
					 .tz = (const char *)tz,
					 .starts_ms = sqlite3_column_int64(s, 9),
					 .ends_ms = sqlite3_column_int64(s, 10)};
		alert_weekly_windows(&w, from_ms, to_ms, weekly_window, &c);
	}
	if (c.rc < 0)
		snprintf(err, errlen, "%s/alerts.db: %s", state_dir,
			 c.rc == -ENOMEM ? "out of memory" : sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return c.rc;
}

int avail_history_take_planned(struct avail_history *h, struct avail_history *from)
{
	for (size_t i = 0; i < from->nplanned; i++) {
		if (grow((void **)&h->planned, h->nplanned, sizeof(*h->planned)) < 0)
			return -ENOMEM;
		h->planned[h->nplanned++] = from->planned[i];
		from->planned[i] = (struct avail_window){0};
	}
	return 0;
}

void avail_history_free(struct avail_history *h)
{
	for (size_t i = 0; i < h->ndown; i++) {
		free(h->down[i].object);
		free(h->down[i].device);
		free(h->down[i].root);
	}
	for (size_t i = 0; i < h->nplanned; i++) {
		struct avail_window *w = &h->planned[i];
		free(w->device), free(w->site), free(w->tenant), free(w->kind), free(w->metric);
	}
	for (size_t i = 0; i < h->nnotes; i++) {
		free(h->notes[i].incident), free(h->notes[i].who), free(h->notes[i].text);
	}
	for (size_t i = 0; i < h->nconfigured; i++)
		free(h->configured[i].device);
	free(h->configured);
	for (size_t i = 0; i < h->ndegraded; i++)
		free(h->degraded[i].device);
	free(h->degraded);
	free(h->down);
	free(h->planned);
	free(h->notes);
	avail_spans_free(&h->runs);
	*h = (struct avail_history){0};
}

int avail_note_add(const char *state_dir, const char *incident, const char *who,
		   const char *text, int64_t now_ms, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct sqlite3 *db = NULL;
	struct store_row row = {0};

	db_path(state_dir, AVAIL_DB_NAME, path, sizeof(path));
	int rc = state_db_open(&db, path, reports_schema, err, errlen);
	struct sqlite3_stmt *s = NULL;
	if (rc == SQLITE_OK) {
		store_row_text(&row, incident);
		store_row_int(&row, now_ms);
		store_row_text(&row, who);
		store_row_text(&row, text);
		s = state_db_query(db, "INSERT INTO notes(incident, ts_ms, who, text)"
				       " VALUES(?, ?, ?, ?)", &row);
		rc = s ? sqlite3_step(s) : SQLITE_ERROR;
		if (rc != SQLITE_DONE)
			snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : -EIO;
}
