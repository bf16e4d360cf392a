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

/* The FTS5 expression of text: each word quoted ("a" "b" = both words). */
static int fts_expr(const char *text, struct strbuf *out)
{
	size_t words = 0;

	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (++words > TEXT_WORDS_MAX)
			return -EINVAL;
		strbuf_appends(out, words > 1 ? " \"" : "\"");
		for (; *p && *p != ' ' && *p != '\t'; p++)
			strbuf_append(out, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
		strbuf_appends(out, "\"");
	}
	return words ? 0 : -EINVAL;
}

struct sql_arg {
	bool is_text;
	const char *s;
	int64_t v;
};

struct sql {
	struct strbuf text;
	struct sql_arg args[16];
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

/* The SELECT of q for one partition; fts is its FTS5 expression or NULL. */
static void build_sql(const struct event_query *q, const char *fts, struct sql *out)
{
	strbuf_appends(&out->text,
		       "SELECT id, rx, ts, kind, source, host, device, tenant, site, facility,"
		       " severity, program, msgid, message, fields, flags FROM ev WHERE 1");
	if (q->from_ms)
		cond_int(out, " AND rx >= ?", q->from_ms);
	if (q->to_ms)
		cond_int(out, " AND rx < ?", q->to_ms);
	cond_str(out, " AND device = ?", q->device);
	cond_str(out, " AND tenant = ?", q->tenant);
	cond_str(out, " AND site = ?", q->site);
	cond_str(out, " AND source = ?", q->source);
	cond_str(out, " AND program = ?", q->program);
	if (q->kind >= 0)
		cond_int(out, " AND kind = ?", q->kind);
	if (q->severity_max >= 0)
		cond_int(out, " AND severity <= ?", q->severity_max);
	if (q->flags_any)
		cond_int(out, " AND (flags & ?) != 0", q->flags_any);
	if (q->cursor_id) {
		const char *c = q->ascending ? " AND (rx > ? OR (rx = ? AND id > ?))"
					     : " AND (rx < ? OR (rx = ? AND id < ?))";
		strbuf_appends(&out->text, c);
		out->args[out->nargs++] = (struct sql_arg){.v = q->cursor_ms};
		out->args[out->nargs++] = (struct sql_arg){.v = q->cursor_ms};
		out->args[out->nargs++] = (struct sql_arg){.v = q->cursor_id};
	}
	cond_str(out, " AND id IN (SELECT rowid FROM ev_fts WHERE ev_fts MATCH ?)", fts);
	strbuf_appends(&out->text, q->ascending ? " ORDER BY rx, id LIMIT ?" : " ORDER BY rx DESC, id DESC LIMIT ?");
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
static int search_part(const char *path, const struct sql *q, size_t limit, event_row_fn fn,
		       void *arg, bool *stop, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rows = 0, rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 2000) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, strbuf_str(&q->text), -1, &st, NULL) != SQLITE_OK) {
		/* a partition removed under us (retention) has nothing to give */
		sqlite3_close(db);
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

/* True if the partition of day overlaps the query's range and cursor. */
static bool part_wanted(const struct event_query *q, int64_t day)
{
	if (q->from_ms && day + EVENT_DAY_MS <= q->from_ms)
		return false;
	if (q->to_ms && day >= q->to_ms)
		return false;
	if (q->cursor_id && q->ascending && day + EVENT_DAY_MS <= q->cursor_ms)
		return false;
	if (q->cursor_id && !q->ascending && day > q->cursor_ms)
		return false;
	return true;
}

int event_dir_search(const char *dir, const struct event_query *q, event_row_fn fn, void *arg,
		     char *err, size_t errlen)
{
	struct strbuf fts;
	struct sql sql = {0};
	struct event_part *v;
	size_t limit = q->limit ? q->limit : QUERY_LIMIT_DEFAULT, total = 0;
	bool stop = false;
	int rc = 0;

	strbuf_init(&fts);
	strbuf_init(&sql.text);
	if (q->text && fts_expr(q->text, &fts) < 0) {
		snprintf(err, errlen, "text: expected 1 to %d words", TEXT_WORDS_MAX);
		strbuf_free(&fts);
		return -EINVAL;
	}
	build_sql(q, q->text ? strbuf_str(&fts) : NULL, &sql);
	int n = event_parts_list(dir, &v);
	if (n < 0)
		n = 0; /* no directory yet: no events */
	for (int k = 0; k < n && !stop && total < limit && rc >= 0; k++) {
		const struct event_part *p = &v[q->ascending ? k : n - 1 - k];
		char path[4096];
		if (!part_wanted(q, p->day_ms))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, p->name);
		rc = search_part(path, &sql, limit - total, fn, arg, &stop, err, errlen);
		total += rc > 0 ? (size_t)rc : 0;
	}
	free(v);
	strbuf_free(&fts);
	strbuf_free(&sql.text);
	return rc < 0 ? rc : (int)total;
}
