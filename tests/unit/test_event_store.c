/* The event store: events of three days in three partitions, searched with filters,
 * text (tokens as FTS5 splits them), and paged with cursors across partitions both
 * ways; a device's events found through the FTS5 index, and a partition of the first
 * layout (its (device, rx) index) still written and searched. */
#include "testing.h"
#include "tmpdir.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/event.h"
#include "events_int.h"

#define DAY0 1796515200000LL /* 2026-12-06 00:00 UTC */

struct fx {
	char dir[64];
	struct event_store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cfg_events c = {.retention_ms = 3650LL * EVENT_DAY_MS, .max_mb = 1024,
			       .warn_percent = 90, .queue_max = 10000};
	char err[256];

	snprintf(f->dir, sizeof(f->dir), "/tmp/dcmon-evstore.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	c.dir = f->dir;
	f->s = event_store_open(&c, err, sizeof(err));
	assert_non_null(f->s);
	/* 3 days x 10 events: odd ones from web1 at err, even ones from db1 at info */
	for (int d = 0; d < 3; d++) {
		for (int i = 0; i < 10; i++) {
			char msg[96];
			struct event_field fld = {"origin.ip", "10.0.0.1"};
			snprintf(msg, sizeof(msg), "day%d n%d %s", d, i,
				 i == 4 ? "EXT4-fs error ext4_find_entry:1455" : "sshd accepted");
			struct event ev = {.received_ms = DAY0 + d * EVENT_DAY_MS + i * 1000,
					   .kind = EVENT_SYSLOG, .source = "127.0.0.1",
					   .device = i % 2 ? "web1" : "db1", .facility = 4,
					   .severity = i % 2 ? 3 : 6, .program = "sshd", .message = msg,
					   .fields = &fld, .nfields = 1, .flags = i == 9 ? EVENT_F_TRUNCATED : 0};
			assert_int_equal(event_store_add(f->s, &ev), 0);
		}
	}
	event_store_sync(f->s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	event_store_close(f->s);
	assert_int_equal(test_tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

struct rows {
	char msg[64][64];
	int64_t last_ms, last_id;
	int n;
	char field[32];
};

static bool collect(void *arg, int64_t id, const struct event *ev)
{
	struct rows *r = arg;
	if (r->n < 64)
		snprintf(r->msg[r->n++], sizeof(r->msg[0]), "%.12s", ev->message);
	r->last_ms = ev->received_ms;
	r->last_id = id;
	if (ev->nfields)
		snprintf(r->field, sizeof(r->field), "%s=%s", ev->fields[0].name, ev->fields[0].value);
	return true;
}

static int run(struct fx *f, struct event_query *q, struct rows *r)
{
	char err[256] = "";
	memset(r, 0, sizeof(*r));
	return event_store_search(f->s, q, collect, r, err, sizeof(err));
}

static void test_partitions(void **state)
{
	struct fx *f = *state;
	struct event_part *v;
	assert_int_equal(event_parts_list(f->dir, &v), 3);
	assert_string_equal(v[0].name, "events-20261206.db");
	assert_string_equal(v[2].name, "events-20261208.db");
	free(v);
}

/* Newest first, a page of 4 at a time through all 30, across the partitions. */
static void test_paging_back(void **state)
{
	struct fx *f = *state;
	struct event_query q = {.kind = -1, .severity_max = -1, .limit = 4};
	struct rows r;
	int total = 0;
	char first[64] = "", last[64] = "";

	for (int page = 0; page < 20; page++) {
		int n = run(f, &q, &r);
		assert_true(n >= 0);
		if (n == 0)
			break;
		if (page == 0)
			snprintf(first, sizeof(first), "%s", r.msg[0]);
		snprintf(last, sizeof(last), "%s", r.msg[n - 1]);
		total += n;
		q.cursor_ms = r.last_ms;
		q.cursor_id = r.last_id;
	}
	assert_int_equal(total, 30);
	assert_string_equal(first, "day2 n9 sshd");
	assert_string_equal(last, "day0 n0 sshd");
}

/* Oldest first after a cursor (what -f asks), across a partition boundary. */
static void test_after_cursor(void **state)
{
	struct fx *f = *state;
	struct event_query q = {.kind = -1, .severity_max = -1, .limit = 3, .ascending = true,
				.cursor_ms = DAY0 + 8000, .cursor_id = 9};
	struct rows r;
	assert_int_equal(run(f, &q, &r), 3);
	assert_string_equal(r.msg[0], "day0 n9 sshd");
	assert_string_equal(r.msg[1], "day1 n0 sshd");
	assert_string_equal(r.msg[2], "day1 n1 sshd");
}

static void test_filters(void **state)
{
	struct fx *f = *state;
	struct rows r;
	struct event_query q = {.kind = -1, .severity_max = 3, .device = "web1", .limit = 100,
				.from_ms = DAY0 + EVENT_DAY_MS, .to_ms = DAY0 + 2 * EVENT_DAY_MS};
	assert_int_equal(run(f, &q, &r), 5); /* day 1's odd ones */
	assert_string_equal(r.msg[0], "day1 n9 sshd");
	assert_string_equal(r.field, "origin.ip=10.0.0.1");
	q = (struct event_query){.kind = -1, .severity_max = -1, .flags_any = EVENT_F_TRUNCATED};
	assert_int_equal(run(f, &q, &r), 3);
	q = (struct event_query){.kind = EVENT_TRAP, .severity_max = -1};
	assert_int_equal(run(f, &q, &r), 0);
}

/* Text: the words as FTS5 tokens, all of them, no FTS syntax from the input. */
static void test_text(void **state)
{
	struct fx *f = *state;
	struct rows r;
	char err[256] = "";
	struct event_query q = {.kind = -1, .severity_max = -1, .text = "ext4_find_entry"};
	assert_int_equal(run(f, &q, &r), 3);
	assert_string_equal(r.msg[0], "day2 n4 EXT4");
	q.text = "day1 EXT4-fs";
	assert_int_equal(run(f, &q, &r), 1);
	q.text = "\"unbalanced OR ( NEAR";
	assert_int_equal(run(f, &q, &r), 0);
	q.text = "  ";
	assert_int_equal(event_store_search(f->s, &q, collect, &r, err, sizeof(err)), -EINVAL);
}

/* A time range inside one day: found through the ids it spans (the partition is in rx
 * order), with and without text. */
static void test_range_within_day(void **state)
{
	struct fx *f = *state;
	struct rows r;
	struct event_query q = {.kind = -1, .severity_max = -1, .from_ms = DAY0 + EVENT_DAY_MS + 3000,
				.to_ms = DAY0 + EVENT_DAY_MS + 7000};
	assert_int_equal(run(f, &q, &r), 4);
	assert_string_equal(r.msg[0], "day1 n6 sshd");
	assert_string_equal(r.msg[3], "day1 n3 sshd");
	q.text = "sshd";
	assert_int_equal(run(f, &q, &r), 3); /* n4 is the EXT4 line */
	assert_string_equal(r.msg[0], "day1 n6 sshd");
	assert_string_equal(r.msg[2], "day1 n3 sshd");
	q.ascending = true;
	assert_int_equal(run(f, &q, &r), 3);
	assert_string_equal(r.msg[0], "day1 n3 sshd");
	q.from_ms = DAY0 + EVENT_DAY_MS + 9500; /* after the day's last event */
	assert_int_equal(run(f, &q, &r), 0);
}

/* The wall clock stepped back while writing: ids no longer follow the time, and a
 * time range must still find every event in it. */
static void test_clock_stepped_back(void **state)
{
	struct fx *f = *state;
	static const int64_t secs[] = {10, 20, 5, 30, 12};
	struct rows r;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		char msg[32];
		snprintf(msg, sizeof(msg), "%02llds stepped", (long long)secs[i]);
		struct event ev = {.received_ms = DAY0 + 5 * EVENT_DAY_MS + secs[i] * 1000,
				   .kind = EVENT_SYSLOG, .source = "127.0.0.1", .facility = -1,
				   .severity = 6, .message = msg};
		assert_int_equal(event_store_add(f->s, &ev), 0);
	}
	event_store_sync(f->s);
	struct event_query q = {.kind = -1, .severity_max = -1, .from_ms = DAY0 + 5 * EVENT_DAY_MS + 1000,
				.to_ms = DAY0 + 5 * EVENT_DAY_MS + 15000};
	assert_int_equal(run(f, &q, &r), 3); /* last stored first */
	assert_string_equal(r.msg[0], "12s stepped");
	assert_string_equal(r.msg[1], "05s stepped");
	assert_string_equal(r.msg[2], "10s stepped");
	q.text = "stepped";
	assert_int_equal(run(f, &q, &r), 3);
	q.from_ms = DAY0 + 5 * EVENT_DAY_MS + 11000;
	assert_int_equal(run(f, &q, &r), 1); /* 12 s, stored after 30 s */
	assert_string_equal(r.msg[0], "12s stepped");
}

/* The fields as the store writes them (JSON made without jansson): escapes, and a
 * name given twice keeps its last value. */
static bool collect_fields(void *arg, int64_t id, const struct event *ev)
{
	char *out = arg;
	(void)id;
	out[0] = '\0';
	for (size_t i = 0; i < ev->nfields; i++)
		snprintf(out + strlen(out), 256 - strlen(out), "[%s=%s]", ev->fields[i].name,
			 ev->fields[i].value);
	return true;
}

static void test_fields_escaped(void **state)
{
	struct fx *f = *state;
	struct event_field fld[] = {{"a\"b", "x\\y\n\t\x01\x1f/\xc3\xa9"}, {"dup", "1"},
				    {"k", "v"}, {"dup", "2"}};
	struct event ev = {.received_ms = DAY0 + 6 * EVENT_DAY_MS, .kind = EVENT_SYSLOG,
			   .source = "127.0.0.1", .facility = -1, .severity = 6,
			   .message = "fields escaped", .fields = fld, .nfields = 4};
	char out[256] = "", err[256];
	assert_int_equal(event_store_add(f->s, &ev), 0);
	event_store_sync(f->s);
	struct event_query q = {.kind = -1, .severity_max = -1, .text = "escaped"};
	assert_int_equal(event_store_search(f->s, &q, collect_fields, out, err, sizeof(err)), 1);
	assert_string_equal(out, "[a\"b=x\\y\n\t\x01\x1f/\xc3\xa9][dup=2][k=v]");
}

static void add_event(struct fx *f, int64_t rx, const char *device, const char *msg)
{
	struct event ev = {.received_ms = rx, .kind = EVENT_SYSLOG, .source = "127.0.0.1",
			   .device = device, .facility = -1, .severity = 6, .message = msg};
	assert_int_equal(event_store_add(f->s, &ev), 0);
	event_store_sync(f->s);
}

/* A device's events through its tokens in the FTS5 index, its exact id checked: not
 * those of a device whose id holds the same tokens, nor a message naming the device. */
static void test_device_tokens(void **state)
{
	struct fx *f = *state;
	struct rows r;
	int64_t day = DAY0 + 7 * EVENT_DAY_MS;
	add_event(f, day, "pdu-a.r1", "outlet 3 off");
	add_event(f, day + 1000, "pdu-a", "outlet 4 off for pdu-a.r1");
	add_event(f, day + 2000, "r1.pdu-a", "outlet 5 off");
	struct event_query q = {.kind = -1, .severity_max = -1, .device = "pdu-a.r1",
				.from_ms = day};
	assert_int_equal(run(f, &q, &r), 1);
	assert_string_equal(r.msg[0], "outlet 3 off");
	q.text = "outlet";
	assert_int_equal(run(f, &q, &r), 1);
	q = (struct event_query){.kind = -1, .severity_max = -1, .text = "r1", .from_ms = day};
	assert_int_equal(run(f, &q, &r), 1); /* the message naming it, not the device's */
	assert_string_equal(r.msg[0], "outlet 4 off");
	q = (struct event_query){.kind = -1, .severity_max = -1, .device = "web1", .text = "n3",
				 .to_ms = DAY0 + EVENT_DAY_MS};
	assert_int_equal(run(f, &q, &r), 1);
	assert_string_equal(r.msg[0], "day0 n3 sshd");
}

/* A day file of the first layout (before ev_meta's "layout": the (device, rx) index and
 * an FTS5 table of the message alone), as an older dcmond left it: the store goes on
 * writing it so, and a search by device and text finds its old and new events. */
static void test_first_layout_kept(void **state)
{
	struct fx *f = *state;
	struct rows r;
	char path[128];
	sqlite3 *db;
	int64_t day = DAY0 + 8 * EVENT_DAY_MS;

	snprintf(path, sizeof(path), "%s/events-20261214.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"CREATE TABLE ev(id INTEGER PRIMARY KEY, rx INTEGER NOT NULL, ts INTEGER,"
		" kind INTEGER, source TEXT, host TEXT, device TEXT, tenant TEXT, site TEXT,"
		" facility INTEGER, severity INTEGER, program TEXT, msgid TEXT, message TEXT,"
		" fields TEXT, flags INTEGER, raw BLOB);"
		"CREATE INDEX ev_rx ON ev(rx); CREATE INDEX ev_device ON ev(device, rx);"
		"CREATE INDEX ev_tenant ON ev(tenant, rx);"
		"CREATE VIRTUAL TABLE ev_fts USING fts5(message, content='ev', content_rowid='id',"
		" detail=column);"
		"CREATE TABLE ev_meta(key TEXT PRIMARY KEY, value INTEGER);"
		"INSERT INTO ev_meta VALUES('rx_ordered', 1);"
		"INSERT INTO ev(rx, kind, device, severity, message, flags)"
		" VALUES(1797206400000, 0, 'web1', 6, 'old layout row', 0);"
		"INSERT INTO ev_fts(rowid, message) VALUES(1, 'old layout row');",
		NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	add_event(f, day + 1000, "web1", "new row in the old layout");
	add_event(f, day + 2000, "db1", "another layout row");
	struct event_query q = {.kind = -1, .severity_max = -1, .device = "web1", .from_ms = day};
	assert_int_equal(run(f, &q, &r), 2);
	assert_string_equal(r.msg[0], "new row in t");
	assert_string_equal(r.msg[1], "old layout r");
	q.text = "layout";
	assert_int_equal(run(f, &q, &r), 2);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(event_part_layout(db), EVENT_LAYOUT_DEVICE_INDEX);
	sqlite3_close(db);
	snprintf(path, sizeof(path), "%s/events-20261206.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(event_part_layout(db), EVENT_LAYOUT_DEVICE_FTS);
	sqlite3_close(db);
}

/* A scoped query (a tenant's account): the rows of its devices, through the FTS5 index
 * or the first layout's device index, and those of no device of its tenant. */
static void test_scoped(void **state)
{
	struct fx *f = *state;
	struct rows r;
	struct event audit = {.received_ms = DAY0 + 9 * EVENT_DAY_MS, .kind = EVENT_AUDIT,
			      .tenant = "acme", .facility = -1, .severity = 5, .message = "acme audit"};
	assert_int_equal(event_store_add(f->s, &audit), 0);
	audit.tenant = "globex";
	audit.message = "globex audit";
	assert_int_equal(event_store_add(f->s, &audit), 0);
	event_store_sync(f->s);
	struct event_query q = {.kind = -1, .severity_max = -1, .scoped = true,
				.scope_devices = "[\"web1\",\"pdu-a.r1\"]", .scope_tenant = "acme",
				.limit = 100};
	assert_int_equal(run(f, &q, &r), 1 + 2 + 1 + 15);
	assert_string_equal(r.msg[0], "acme audit");
	assert_string_equal(r.msg[1], "new row in t"); /* the first layout's day file */
	assert_string_equal(r.msg[2], "old layout r");
	assert_string_equal(r.msg[3], "outlet 3 off"); /* pdu-a.r1, not r1.pdu-a */
	assert_string_equal(r.msg[4], "day2 n9 sshd");
	q.text = "n7";
	assert_int_equal(run(f, &q, &r), 3);
	q = (struct event_query){.kind = -1, .severity_max = -1, .scoped = true,
				 .scope_devices = "[]", .limit = 100};
	assert_int_equal(run(f, &q, &r), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_partitions), cmocka_unit_test(test_paging_back),
	    cmocka_unit_test(test_after_cursor), cmocka_unit_test(test_filters),
	    cmocka_unit_test(test_text), cmocka_unit_test(test_range_within_day),
	    cmocka_unit_test(test_clock_stepped_back), cmocka_unit_test(test_fields_escaped),
	    cmocka_unit_test(test_device_tokens), cmocka_unit_test(test_first_layout_kept),
	    cmocka_unit_test(test_scoped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
