/* The audit log's retention (alerting/audit_chain.c, docs/ACCOUNTS.md "Retention") on a
 * clock the test moves: the records older than the bound go, in batches, the newer ones
 * stay, the chain then starts at the anchor (the newest removed record) and verifies,
 * the append-only triggers are back, and tampering after a pass is still told. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert_int.h"

#define DAY_MS   86400000LL
#define YEAR_MS  (365 * DAY_MS)

struct fx {
	char dir[64], path[96];
	struct alert_store *st;
	sqlite3 *db; /* a second connection, the tamperer's */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/dcmon-retention-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/alerts.db", f->dir);
	char err[256];
	f->st = alert_store_open(f->path, err, sizeof(err));
	assert_non_null(f->st);
	assert_int_equal(sqlite3_open(f->path, &f->db), SQLITE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	alert_store_close(f->st);
	sqlite3_close(f->db);
	char p[128];
	const char *files[] = {"alerts.db", "alerts.db-wal", "alerts.db-shm", "alerts.db-journal"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", f->dir, files[i]);
		unlink(p);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One silence record per day in days[0..n). */
static void write_records(struct fx *f, const int64_t *days, size_t n)
{
	struct alert_actor by = {.who = "root", .origin = "unix:pid=1"};
	for (size_t i = 0; i < n; i++) {
		char target[32];
		snprintf(target, sizeof(target), "silence:%zu", i + 1);
		assert_int_equal(alert_store_audit(f->st, days[i] * DAY_MS, &by, "silence", target,
						   "reason=window"), 0);
	}
}

static int64_t sql_int(struct fx *f, const char *sql)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void sql_text(struct fx *f, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(f->db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, len, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static void verify(struct fx *f, struct alert_audit_verdict *v)
{
	assert_int_equal(alert_store_verify_audit(f->st, v), 0);
}

static void test_old_records_go_new_stay_and_the_chain_starts_at_the_anchor(void **state)
{
	struct fx *f = *state;
	const int64_t days[] = {1, 2, 3, 4, 5, 400, 401, 402};
	write_records(f, days, 8);
	char hash5[65];
	sql_text(f, "SELECT hash FROM audit WHERE seq = 5", hash5, sizeof(hash5));
	/* at day 500 the bound is day 135: records 1..5 are older */
	assert_int_equal(alert_store_audit_retain(f->st, 500 * DAY_MS - YEAR_MS, 100, 500 * DAY_MS), 5);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit WHERE seq <= 5"), 0);
	assert_int_equal(sql_int(f, "SELECT min(seq) FROM audit"), 6);
	assert_int_equal(sql_int(f, "SELECT seq FROM audit_anchor"), 5);
	assert_int_equal(sql_int(f, "SELECT removed_ms FROM audit_anchor"), 500 * DAY_MS);
	char got[65], detail[256];
	sql_text(f, "SELECT hash FROM audit_anchor", got, sizeof(got));
	assert_string_equal(got, hash5);
	/* the pass is itself audited, chained after the kept records */
	assert_int_equal(sql_int(f, "SELECT seq FROM audit WHERE action = 'retention'"), 9);
	sql_text(f, "SELECT detail FROM audit WHERE action = 'retention'", detail, sizeof(detail));
	assert_non_null(strstr(detail, "removed 5 records"));
	assert_non_null(strstr(detail, hash5));
	/* the triggers are back: the log is append-only again */
	char *err = NULL;
	assert_int_not_equal(sqlite3_exec(f->db, "DELETE FROM audit WHERE seq = 6", NULL, NULL, &err),
			     SQLITE_OK);
	assert_non_null(strstr(err, "append-only"));
	sqlite3_free(err);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
				    " AND name = 'audit_no_delete'"), 1);

	struct alert_audit_verdict v = {0};
	verify(f, &v);
	assert_false(v.bad);
	assert_int_equal(v.anchor_seq, 5);
	assert_string_equal(v.anchor_hash, hash5);
	assert_int_equal(v.anchor_removed_ms, 500 * DAY_MS);
	assert_int_equal(v.records, 4);
	assert_int_equal(v.last_seq, 9);
	/* nothing more is old: a second pass removes nothing and writes nothing */
	assert_int_equal(alert_store_audit_retain(f->st, 500 * DAY_MS - YEAR_MS, 100, 500 * DAY_MS), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit"), 4);

	/* reopened, the chain continues after its tail and still starts at the anchor */
	alert_store_close(f->st);
	char e[256];
	f->st = alert_store_open(f->path, e, sizeof(e));
	assert_non_null(f->st);
	const int64_t later[] = {501};
	write_records(f, later, 1);
	v = (struct alert_audit_verdict){0};
	verify(f, &v);
	assert_false(v.bad);
	assert_int_equal(v.last_seq, 10);
	assert_int_equal(v.anchor_seq, 5);
}

static void test_a_pass_removes_one_batch_of_the_oldest(void **state)
{
	struct fx *f = *state;
	const int64_t days[] = {1, 2, 3, 4, 5, 400};
	write_records(f, days, 6);
	int64_t now = 500 * DAY_MS;
	assert_int_equal(alert_store_audit_retain(f->st, now - YEAR_MS, 2, now), 2);
	assert_int_equal(sql_int(f, "SELECT seq FROM audit_anchor"), 2);
	assert_int_equal(alert_store_audit_retain(f->st, now - YEAR_MS, 2, now), 2);
	assert_int_equal(sql_int(f, "SELECT seq FROM audit_anchor"), 4);
	assert_int_equal(alert_store_audit_retain(f->st, now - YEAR_MS, 2, now), 1);
	assert_int_equal(sql_int(f, "SELECT seq FROM audit_anchor"), 5);
	/* kept: record 6 and the three retention records */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM audit"), 4);
	struct alert_audit_verdict v = {0};
	verify(f, &v);
	assert_false(v.bad);
	assert_int_equal(v.anchor_seq, 5);
	assert_int_equal(v.last_seq, 9);
	/* a record kept after an older-looking one (the clock stepped back) holds it: no gap */
	const int64_t stepped[] = {450, 100};
	write_records(f, stepped, 2);
	assert_int_equal(alert_store_audit_retain(f->st, now - YEAR_MS, 100, now), 0);
}

/* Tampers through the second connection and expects verify's first bad record. */
static void tamper(struct fx *f, const char *sql, int64_t seq, const char *problem)
{
	assert_int_equal(sqlite3_exec(f->db, sql, NULL, NULL, NULL), SQLITE_OK);
	struct alert_audit_verdict v = {0};
	verify(f, &v);
	assert_true(v.bad);
	assert_int_equal(v.bad_seq, seq);
	if (strncmp(v.problem, problem, strlen(problem)) != 0)
		fail_msg("after %s: %s, want %s", sql, v.problem, problem);
}

static void test_tampering_after_a_pass_is_told(void **state)
{
	struct fx *f = *state;
	const int64_t days[] = {1, 2, 3, 400, 401};
	write_records(f, days, 5);
	int64_t now = 500 * DAY_MS;
	assert_int_equal(alert_store_audit_retain(f->st, now - YEAR_MS, 100, now), 3);
	/* the anchor moved: the first kept record's prev_hash no longer matches it */
	tamper(f, "UPDATE audit_anchor SET hash = '" "0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdef'", 4, "inserted or reordered");
	assert_int_equal(sqlite3_exec(f->db, "UPDATE audit_anchor SET hash = (SELECT prev_hash"
				      " FROM audit WHERE seq = 4)", NULL, NULL, NULL), SQLITE_OK);
	tamper(f, "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'nothing' WHERE seq = 5",
	       5, "edited");
	tamper(f, "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 4", 4,
	       "deleted: records 4..4 are missing");
}

static void test_checkpoints_before_the_anchor(void **state)
{
	struct fx *f = *state;
	const int64_t days[] = {1, 2, 3, 400};
	write_records(f, days, 4);
	char hash3[65];
	sql_text(f, "SELECT hash FROM audit WHERE seq = 3", hash3, sizeof(hash3));
	int64_t now = 500 * DAY_MS;
	assert_int_equal(alert_store_audit_retain(f->st, now - YEAR_MS, 100, now), 3);
	/* the anchor's own checkpoint is checked against it; an older one names a removed
	 * record, which nothing can be checked against */
	struct alert_audit_verdict v = {.checkpoint_seq = 3};
	memcpy(v.checkpoint_hash, hash3, sizeof(hash3));
	assert_int_equal(audit_chain_verify(f->db, &v), 0); /* not the store's own tail */
	assert_false(v.bad);
	v = (struct alert_audit_verdict){.checkpoint_seq = 3};
	memset(v.checkpoint_hash, 'a', 64);
	assert_int_equal(audit_chain_verify(f->db, &v), 0);
	assert_true(v.bad);
	assert_string_equal(v.problem, "differs from the checkpoint's hash");
	v = (struct alert_audit_verdict){.checkpoint_seq = 2};
	memset(v.checkpoint_hash, 'a', 64);
	assert_int_equal(audit_chain_verify(f->db, &v), 0);
	assert_false(v.bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_old_records_go_new_stay_and_the_chain_starts_at_the_anchor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_pass_removes_one_batch_of_the_oldest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tampering_after_a_pass_is_told, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_before_the_anchor, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
