/* The event store's reading side: a query runs over the daily partitions its time
 * range touches, newest first (or oldest first for following), each through its own
 * read-only connection, and stops at the limit.  Text goes through FTS5 as quoted
 * words that must all occur, so no input is FTS syntax. */
#include "events_int.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/strbuf.h"

#define QUERY_LIMIT_DEFAULT 100
#define TEXT_WORDS_MAX      16

/* ---- the SQL of a query ------------------------------------------------------------- */

/* A byte the FTS5 tokenizer (unicode61) keeps inside a token. */
static bool token_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* The FTS5 expression of text in column col, appended to out: its tokens, as the index
 * splits them, each quoted (col : "a" col : "b": both; the index keeps no positions,
 * so no phrases).  -EINVAL when text has none, or too many. */
static int fts_expr(const char *col, const char *text, struct strbuf *out)
{
	size_t words = 0;
	const unsigned char *p = (const unsigned char *)text;

	while (*p) {
		while (*p && !token_byte(*p))
			p++;
		if (!*p)
			break;
		if (++words > TEXT_WORDS_MAX)
			return -EINVAL;
		const unsigned char *b = p;
		while (*p && token_byte(*p))
			p++;
		strbuf_appendf(out, "%s%s : \"", out->len ? " " : "", col);
		strbuf_append(out, (const char *)b, (size_t)(p - b));
		strbuf_appends(out, "\"");
	}
	return words ? 0 : -EINVAL;
}

/* A query's FTS5 expressions: its text's, and its device's tokens (the FTS5 index holds
 * them in partitions of EVENT_LAYOUT_DEVICE_FTS: there they find the device's events,
 * whose exact name ev.device = ? then checks). */
struct fts_exprs {
	struct strbuf text, device, both;
	bool has_text, has_device;
	/* a scoped query's devices, (device : "a" ...) OR (...): NULL when one of them has no
	 * tokens (then ev.device IN the list alone says it) */
	struct strbuf scope;
	bool has_scope;
};

/* fx->scope from the JSON array of device ids scope_devices. */
static void scope_expr(struct fts_exprs *fx, const char *scope_devices)
{
	json_t *ids = scope_devices ? json_loads(scope_devices, 0, NULL) : NULL;
	struct strbuf one;
	size_t i;
	json_t *id;

	strbuf_init(&one);
	fx->has_scope = json_is_array(ids) && json_array_size(ids) > 0;
	json_array_foreach(ids, i, id) {
		strbuf_reset(&one);
		if (!json_is_string(id) || fts_expr("device", json_string_value(id), &one) < 0) {
			fx->has_scope = false;
			break;
		}
		strbuf_appendf(&fx->scope, "%s(%s)", i ? " OR " : "", strbuf_str(&one));
	}
	fx->has_scope &= !fx->scope.failed;
	strbuf_free(&one);
	json_decref(ids);
}

/* The expression for a partition of layout: NULL when it needs none. */
static const char *fts_for(struct fts_exprs *f, int layout)
{
	bool device = f->has_device && layout == EVENT_LAYOUT_DEVICE_FTS;

	if (!device)
		return f->has_text ? strbuf_str(&f->text) : NULL;
	if (!f->has_text)
		return strbuf_str(&f->device);
	strbuf_reset(&f->both);
	strbuf_appendf(&f->both, "%s %s", strbuf_str(&f->text), strbuf_str(&f->device));
	return strbuf_str(&f->both);
}

struct sql_arg {
	bool is_text;
	const char *s;
	int64_t v;
};

struct sql {
	struct strbuf text;
	struct sql_arg args[20];
	int nargs;
};

static void cond_int(struct sql *q, const char *expr, int64_t v)
{
	strbuf_appends(&q->text, expr);
	q->args[q->nargs++] = (struct sql_arg){.v = v};
}

static void cond_str(struct sql *q, const char *expr, const char *s)
{
	if (!s)
		return;
	strbuf_appends(&q->text, expr);
	q->args[q->nargs++] = (struct sql_arg){.is_text = true, .s = s};
}

/* The ids that bound the query's time range in one partition, when it is known to
 * hold its events in rx order (ev_meta's rx_ordered, kept by the writer): there the
 * events of [from, to) are exactly those of the ids [lo, hi], so the FTS5 index (or
 * the table) seeks to them instead of reading every newer match until the range
 * begins, which over a day of millions of events took seconds. */
struct id_range {
	bool lo_set, hi_set;
	bool empty; /* nothing of the partition is in the range */
	int64_t lo, hi;
};

/* The id range of q's time range in the partition of day on db (left unset where the
 * range does not cut the day, or the partition is not known ordered). */
static void id_range_of(sqlite3 *db, const struct event_query *q, int64_t day,
			struct id_range *r)
{
	bool from_cuts = q->from_ms > day, to_cuts = q->to_ms && q->to_ms < day + EVENT_DAY_MS;
	int64_t ordered = 0;
	int rc;

	*r = (struct id_range){0};
	if ((!from_cuts && !to_cuts) ||
	    event_db_int(db, EVENT_META_ORDERED, 0, &ordered) < 1 ||
	    !ordered)
		return;
	if (from_cuts) {
		rc = event_db_int(db, "SELECT id FROM ev WHERE rx >= ? ORDER BY rx, id LIMIT 1",
				  q->from_ms, &r->lo);
		r->lo_set = rc == 1;
		r->empty |= rc == 0;
	}
	if (to_cuts) {
		rc = event_db_int(db, "SELECT id FROM ev WHERE rx < ? ORDER BY rx DESC, id DESC LIMIT 1",
				  q->to_ms, &r->hi);
		r->hi_set = rc == 1;
		r->empty |= rc == 0;
	}
}

/* The SELECT of q for one partition, in insertion (id) order: fts is the FTS5
 * expression or NULL; cursor_here when the cursor's event is in this partition (the
 * partitions before or after it are wholly in or out: part_wanted).  With text the
 * FTS5 index drives the query in rowid order and stops at the limit, instead of
 * materialising every match first. */
static void build_sql(const struct event_query *q, const char *fts, const char *scope_fts,
		      bool cursor_here, const struct id_range *ids, struct sql *out)
{
	strbuf_appends(&out->text,
		       "SELECT ev.id, ev.rx, ev.ts, ev.kind, ev.source, ev.host, ev.device, ev.tenant,"
		       " ev.site, ev.facility, ev.severity, ev.program, ev.msgid, ev.message, ev.fields,"
		       " ev.flags FROM ");
	if (fts) {
		strbuf_appends(&out->text, "ev_fts JOIN ev ON ev.id = ev_fts.rowid WHERE 1");
		cond_str(out, " AND ev_fts MATCH ?", fts);
	} else {
		strbuf_appends(&out->text, "ev WHERE 1");
	}
	if (q->from_ms)
		cond_int(out, " AND ev.rx >= ?", q->from_ms);
	if (q->to_ms)
		cond_int(out, " AND ev.rx < ?", q->to_ms);
	/* on the FTS5 table's rowid when it drives: the bound that lets it seek */
	if (ids->lo_set)
		cond_int(out, fts ? " AND ev_fts.rowid >= ?" : " AND ev.id >= ?", ids->lo);
	if (ids->hi_set)
		cond_int(out, fts ? " AND ev_fts.rowid <= ?" : " AND ev.id <= ?", ids->hi);
	cond_str(out, " AND ev.device = ?", q->device);
	cond_str(out, " AND ev.tenant = ?", q->tenant);
	cond_str(out, " AND ev.site = ?", q->site);
	cond_str(out, " AND ev.source = ?", q->source);
	cond_str(out, " AND ev.program = ?", q->program);
	if (q->kind >= 0)
		cond_int(out, " AND ev.kind = ?", q->kind);
	if (q->severity_max >= 0)
		cond_int(out, " AND ev.severity <= ?", q->severity_max);
	if (q->flags_any)
		cond_int(out, " AND (ev.flags & ?) != 0", q->flags_any);
	if (q->scoped) {
		/* the devices' rows through the FTS5 index where it holds them (no index on
		 * device there), so that both sides of the OR are indexed */
		cond_str(out, " AND ((ev.id IN (SELECT rowid FROM ev_fts WHERE ev_fts MATCH ?) AND",
			 scope_fts);
		if (!scope_fts)
			strbuf_appends(&out->text, " AND ((");
		cond_str(out, " ev.device IN (SELECT value FROM json_each(?)))",
			 q->scope_devices ? q->scope_devices : "[]");
		cond_str(out, " OR (ev.device IS NULL AND ev.tenant = ?))",
			 q->scope_tenant ? q->scope_tenant : "");
	}
	if (cursor_here)
		cond_int(out, q->ascending ? " AND ev.id > ?" : " AND ev.id < ?", q->cursor_id);
	strbuf_appends(&out->text, fts ? " ORDER BY ev_fts.rowid" : " ORDER BY ev.id");
	strbuf_appends(&out->text, q->ascending ? " LIMIT ?" : " DESC LIMIT ?");
}

/* ---- rows ---------------------------------------------------------------------------- */

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int col_int_or(sqlite3_stmt *st, int i, int dflt)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? dflt : sqlite3_column_int(st, i);
}

/* The row's fields JSON into fields[] (strings borrowed from obj). */
static size_t row_fields(json_t *obj, struct event_field *fields)
{
	const char *name;
	json_t *v;
	size_t n = 0;

	json_object_foreach(obj, name, v) {
		if (n == EVENT_FIELDS_MAX || !json_is_string(v))
			continue;
		fields[n++] = (struct event_field){name, json_string_value(v)};
	}
	return n;
}

static bool row_emit(sqlite3_stmt *st, event_row_fn fn, void *arg)
{
	struct event_field fields[EVENT_FIELDS_MAX];
	const char *fj = col_text(st, 14);
	json_t *obj = fj ? json_loads(fj, 0, NULL) : NULL;
	struct event ev = {
	    .received_ms = sqlite3_column_int64(st, 1),
	    .reported_ms = sqlite3_column_int64(st, 2),
	    .kind = (enum event_kind)sqlite3_column_int(st, 3),
	    .source = col_text(st, 4),
	    .host = col_text(st, 5),
	    .device = col_text(st, 6),
	    .tenant = col_text(st, 7),
	    .site = col_text(st, 8),
	    .facility = col_int_or(st, 9, -1),
	    .severity = col_int_or(st, 10, -1),
	    .program = col_text(st, 11),
	    .msgid = col_text(st, 12),
	    .message = col_text(st, 13),
	    .fields = fields,
	    .nfields = obj ? row_fields(obj, fields) : 0,
	    .flags = (unsigned)sqlite3_column_int(st, 15),
	};
	bool more = fn(arg, sqlite3_column_int64(st, 0), &ev);
	json_decref(obj);
	return more;
}

/* ---- partitions ---------------------------------------------------------------------- */

/* Runs the query on one partition; returns rows given, or a negative errno. */
static int search_part(const char *path, const struct event_query *eq, struct fts_exprs *fx,
		       bool cursor_here, int64_t day, struct sql *q, size_t limit,
		       event_row_fn fn, void *arg, bool *stop, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct id_range ids;
	int rows = 0, rc;

	/* one read transaction: the id range and the rows from the same snapshot */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 2000) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		/* a partition removed under us (retention) has nothing to give */
		sqlite3_close(db);
		return 0;
	}
	id_range_of(db, eq, day, &ids);
	int layout = event_part_layout(db);
	build_sql(eq, fts_for(fx, layout),
		  fx->has_scope && layout == EVENT_LAYOUT_DEVICE_FTS ? strbuf_str(&fx->scope) : NULL,
		  cursor_here, &ids, q);
	if (ids.empty || sqlite3_prepare_v2(db, strbuf_str(&q->text), -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db); /* ends the read transaction */
		return 0;
	}
	for (int i = 0; i < q->nargs; i++) {
		if (q->args[i].is_text)
			sqlite3_bind_text(st, i + 1, q->args[i].s, -1, SQLITE_STATIC);
		else
			sqlite3_bind_int64(st, i + 1, q->args[i].v);
	}
	sqlite3_bind_int64(st, q->nargs + 1, (int64_t)limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		if (!row_emit(st, fn, arg)) {
			*stop = true;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "search failed: %s", sqlite3_errmsg(db));
		rows = -EIO;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rows;
}

static int64_t day_of(int64_t ms)
{
	return ms / EVENT_DAY_MS * EVENT_DAY_MS;
}

/* True if the partition of day overlaps the query's range and lies on the cursor's
 * side (or is the cursor's own). */
static bool part_wanted(const struct event_query *q, int64_t day)
{
	if (q->from_ms && day + EVENT_DAY_MS <= q->from_ms)
		return false;
	if (q->to_ms && day >= q->to_ms)
		return false;
	if (q->cursor_id && q->ascending && day < day_of(q->cursor_ms))
		return false;
	if (q->cursor_id && !q->ascending && day > day_of(q->cursor_ms))
		return false;
	return true;
}

int event_dir_search(const char *dir, const struct event_query *q, event_row_fn fn, void *arg,
		     char *err, size_t errlen)
{
	struct fts_exprs fx = {0};
	struct sql sql = {0};
	struct event_part *v;
	size_t limit = q->limit ? q->limit : QUERY_LIMIT_DEFAULT, total = 0;
	bool stop = false;
	int rc = 0;

	strbuf_init(&fx.text);
	strbuf_init(&fx.device);
	strbuf_init(&fx.both);
	strbuf_init(&fx.scope);
	strbuf_init(&sql.text);
	fx.has_text = q->text != NULL;
	if (q->text && fts_expr("message", q->text, &fx.text) < 0) {
		snprintf(err, errlen, "text: expected 1 to %d words", TEXT_WORDS_MAX);
		rc = -EINVAL;
		goto out;
	}
	/* a device without tokens (or with too many) is looked for in ev alone */
	fx.has_device = q->device && fts_expr("device", q->device, &fx.device) == 0;
	if (q->scoped)
		scope_expr(&fx, q->scope_devices);
	int n = event_parts_list(dir, &v);
	if (n < 0)
		n = 0; /* no directory yet: no events (v is NULL) */
	for (int k = 0; k < n && !stop && total < limit && rc >= 0; k++) {
		const struct event_part *p = &v[q->ascending ? k : n - 1 - k];
		char path[4096];
		if (!part_wanted(q, p->day_ms))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, p->name);
		strbuf_reset(&sql.text);
		sql.nargs = 0;
		rc = search_part(path, q, &fx, q->cursor_id && p->day_ms == day_of(q->cursor_ms),
				 p->day_ms, &sql, limit - total, fn, arg, &stop, err, errlen);
		total += rc > 0 ? (size_t)rc : 0;
	}
	free(v);
out:
	strbuf_free(&fx.text);
	strbuf_free(&fx.device);
	strbuf_free(&fx.both);
	strbuf_free(&fx.scope);
	strbuf_free(&sql.text);
	return rc < 0 ? rc : (int)total;
}
