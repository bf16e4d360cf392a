/* The store's held writes (core/state_db_held.c): a file that cannot be written
 * keeps every write in memory, in order, until a later attempt commits them; past
 * STORE_HELD_MAX a write is lost and counted; a row refused for its content does not
 * block the others. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert_int.h"

struct db {
	char path[64];
	sqlite3 *rw, *ro;          /* the same file, writable and read-only */
	sqlite3_stmt *rw_ins, *ro_ins;
	struct store_held h;
};

static void db_open(struct db *d)
{
	*d = (struct db){0};
	snprintf(d->path, sizeof(d->path), "/tmp/dcmon-held-XXXXXX");
	int fd = mkstemp(d->path);
	assert_true(fd >= 0);
	close(fd);
	const char *ins = "INSERT INTO t VALUES(?, ?)";
	assert_int_equal(sqlite3_open(d->path, &d->rw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(d->rw, "CREATE TABLE t(n INTEGER NOT NULL, s TEXT)", NULL,
				      NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_open_v2(d->path, &d->ro, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d->rw, ins, -1, &d->rw_ins, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(d->ro, ins, -1, &d->ro_ins, NULL), SQLITE_OK);
}

static int setup(void **state)
{
	struct db *d = malloc(sizeof(*d));
	assert_non_null(d);
	db_open(d);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct db *d = *state;
	store_held_free(&d->h);
	sqlite3_finalize(d->rw_ins);
	sqlite3_finalize(d->ro_ins);
	sqlite3_close(d->rw);
	sqlite3_close(d->ro);
	unlink(d->path);
	free(d);
	return 0;
}

static void push(struct store_held *h, int64_t n, const char *s, int want)
{
	struct store_row r = {.stmt = 0};
	store_row_int(&r, n);
	store_row_text(&r, s);
	assert_int_equal(store_held_push(h, &r, "t.db"), want);
}

/* "1:a 2:b ..." of the table, in insertion order. */
static void rows(struct db *d, char *buf, size_t len)
{
	sqlite3_stmt *s;
	buf[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(d->rw, "SELECT n, s FROM t ORDER BY rowid", -1, &s,
					    NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		size_t k = strlen(buf);
		snprintf(buf + k, len - k, "%s%lld:%s", k ? " " : "", sqlite3_column_int64(s, 0),
			 (const char *)sqlite3_column_text(s, 1));
	}
	sqlite3_finalize(s);
}

/* Writes refused by the file stay held, in order, and go in at the next attempt. */
static void test_held_until_writable(void **state)
{
	struct db *d = *state;
	struct store_held *h = &d->h;
	char got[256];
	push(h, 1, "a", 0);
	push(h, 2, "b", 0);
	assert_int_equal(store_held_write(h, d->ro, &d->ro_ins, "t.db", false), -EIO);
	assert_true(h->failing);
	assert_int_equal(h->n, 2);
	assert_non_null(strstr(h->why, "readonly"));
	push(h, 3, "c", 0);
	/* before the retry time nothing is tried */
	assert_int_equal(store_held_write(h, d->rw, &d->rw_ins, "t.db", false), -EAGAIN);
	assert_int_equal(store_held_write(h, d->rw, &d->rw_ins, "t.db", true), 0);
	assert_false(h->failing);
	assert_int_equal(h->n, 0);
	rows(d, got, sizeof(got));
	assert_string_equal(got, "1:a 2:b 3:c");
	assert_int_equal(h->lost, 0);
}

/* Past the bound a write is dropped and counted; what is held is kept. */
static void test_bound_counts_loss(void **state)
{
	struct store_held *h = &((struct db *)*state)->h;
	for (int64_t i = 0; i < STORE_HELD_MAX; i++)
		push(h, i, NULL, 0);
	push(h, -1, "over", -ENOSPC);
	push(h, -2, "over", -ENOSPC);
	assert_int_equal(h->n, STORE_HELD_MAX);
	assert_int_equal(h->lost, 2);
}

/* A row the database refuses for its content (NOT NULL) is dropped alone. */
static void test_bad_row_dropped(void **state)
{
	struct db *d = *state;
	char got[256];
	push(&d->h, 1, "a", 0);
	struct store_row r = {.stmt = 0};
	store_row_text(&r, NULL);
	store_row_text(&r, "null n");
	assert_int_equal(store_held_push(&d->h, &r, "t.db"), 0);
	push(&d->h, 2, "b", 0);
	assert_int_equal(store_held_write(&d->h, d->rw, &d->rw_ins, "t.db", false), 0);
	rows(d, got, sizeof(got));
	assert_string_equal(got, "1:a 2:b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_held_until_writable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_counts_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_row_dropped, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
