/* The RRD header reader (core/archive_rrd_head.c) against files made by librrd: what it
 * reads equals rrd_info_r's step, DS type and last update for several layouts; files it
 * cannot vouch for (several data sources, truncated, grown, foreign) are left to
 * librrd, and archive_rrd_check then judges them as before. */
#include "testing.h"

#include <errno.h>
#include <fcntl.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_int.h"

#define T0 1700000000LL /* creation time of the files, seconds */

struct dir {
	char path[64];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "/tmp/dcmon-rrdhead-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static const char *file_in(const struct dir *d, const char *name, char buf[PATH_MAX])
{
	snprintf(buf, PATH_MAX, "%s/%s", d->path, name);
	return buf;
}

static void create(const char *path, unsigned long step, int argc, const char **argv)
{
	rrd_clear_error();
	assert_int_equal(rrd_create_r2(path, step, (time_t)T0, 1, NULL, NULL, argc, argv), 0);
}

/* What rrd_info_r says of the file's step, first DS type and last update. */
static void info_of(const char *path, unsigned long *step, char type[32], int64_t *last)
{
	rrd_info_t *info = rrd_info_r(path);
	assert_non_null(info);
	*type = '\0';
	for (rrd_info_t *i = info; i; i = i->next) {
		if (strcmp(i->key, "step") == 0)
			*step = i->value.u_cnt;
		else if (strcmp(i->key, "last_update") == 0)
			*last = (int64_t)i->value.u_cnt;
		else if (strcmp(i->key, "ds[value].type") == 0)
			snprintf(type, 32, "%s", i->value.u_str);
	}
	rrd_info_free(info);
}

/* The header reader reads what librrd reads. */
static void assert_head_is_info(const char *path)
{
	struct archive_rrd_head h;
	assert_int_equal(archive_rrd_head_read(path, &h), 0);
	unsigned long step = 0;
	char type[32];
	int64_t last = 0;
	info_of(path, &step, type, &last);
	assert_int_equal(h.step_s, step);
	assert_string_equal(h.ds_name, "value");
	assert_string_equal(h.ds_type, type);
	assert_int_equal(h.last_s, last);
}

static void update(const char *path, const char *value)
{
	const char *argv[] = {value};
	rrd_clear_error();
	assert_int_equal(rrd_update_r(path, NULL, 1, argv), 0);
}

static void test_layouts_read_like_librrd(void **state)
{
	struct dir *d = *state;
	char p[PATH_MAX], err[256];
	/* dcmond's own layout, gauge at 10 s and counter at 60 s */
	assert_int_equal(archive_rrd_create(file_in(d, "g10.rrd", p), 10, METRIC_GAUGE, T0, err,
	                                    sizeof(err)),
	                 0);
	assert_head_is_info(p);
	update(p, "1700000010:42");
	assert_head_is_info(p);
	struct archive_rrd_head h;
	assert_int_equal(archive_rrd_head_read(p, &h), 0);
	assert_int_equal(h.last_s, 1700000010);
	assert_string_equal(h.ds_type, "GAUGE");
	assert_int_equal(h.step_s, 10);

	assert_int_equal(archive_rrd_create(file_in(d, "c60.rrd", p), 60, METRIC_COUNTER, T0, err,
	                                    sizeof(err)),
	                 0);
	assert_head_is_info(p);
	assert_int_equal(archive_rrd_head_read(p, &h), 0);
	assert_string_equal(h.ds_type, "DERIVE");
	assert_int_equal(h.step_s, 60);

	/* the older 12-archive layout */
	const char *old[] = {"DS:value:GAUGE:600:U:U", "RRA:AVERAGE:0.5:1:17280",
	                     "RRA:MIN:0.5:1:17280",    "RRA:MAX:0.5:1:17280",
	                     "RRA:AVERAGE:0.5:30:4032", "RRA:MIN:0.5:30:4032",
	                     "RRA:MAX:0.5:30:4032",    "RRA:AVERAGE:0.5:360:2640",
	                     "RRA:MIN:0.5:360:2640",   "RRA:MAX:0.5:360:2640",
	                     "RRA:AVERAGE:0.5:8640:1826", "RRA:MIN:0.5:8640:1826",
	                     "RRA:MAX:0.5:8640:1826"};
	create(file_in(d, "old12.rrd", p), 10, 13, old);
	assert_head_is_info(p);
	update(p, "1700000020:1.5");
	assert_head_is_info(p);

	/* the bench's smallest file: one row of one archive */
	const char *tiny[] = {"DS:value:GAUGE:120:U:U", "RRA:AVERAGE:0.5:1:1"};
	create(file_in(d, "tiny.rrd", p), 60, 2, tiny);
	assert_head_is_info(p);

	/* version 0004 (a Holt-Winters archive adds dependent ones) */
	const char *hw[] = {"DS:value:GAUGE:20:U:U", "RRA:AVERAGE:0.5:1:100",
	                    "RRA:MHWPREDICT:100:0.1:0.0035:10"};
	create(file_in(d, "hw.rrd", p), 10, 3, hw);
	assert_head_is_info(p);
}

/* Files the reader cannot vouch for go to librrd: -EAGAIN. */
static void test_others_left_to_librrd(void **state)
{
	struct dir *d = *state;
	char p[PATH_MAX];
	struct archive_rrd_head h;
	const char *two[] = {"DS:value:GAUGE:20:U:U", "DS:other:GAUGE:20:U:U",
	                     "RRA:AVERAGE:0.5:1:10"};
	create(file_in(d, "two.rrd", p), 10, 3, two);
	assert_int_equal(archive_rrd_head_read(p, &h), -EAGAIN);

	/* a foreign file and an empty one */
	FILE *f = fopen(file_in(d, "text.rrd", p), "w");
	fputs("not an RRD file, but long enough to hold a header's first bytes and more\n", f);
	fclose(f);
	assert_int_equal(archive_rrd_head_read(p, &h), -EAGAIN);
	fclose(fopen(file_in(d, "empty.rrd", p), "w"));
	assert_int_equal(archive_rrd_head_read(p, &h), -EAGAIN);

	/* a directory, and an absent file: read's and open's errors */
	assert_int_equal(archive_rrd_head_read(d->path, &h), -EISDIR);
	assert_int_equal(archive_rrd_head_read(file_in(d, "absent.rrd", p), &h), -ENOENT);
}

/* A cut file (in the header or in the data) or a grown one is not read as whole. */
static void test_truncated_and_grown(void **state)
{
	struct dir *d = *state;
	char p[PATH_MAX], err[256];
	struct archive_rrd_head h;
	int64_t last = 0;
	assert_int_equal(archive_rrd_create(file_in(d, "cut.rrd", p), 10, METRIC_GAUGE, T0, err,
	                                    sizeof(err)),
	                 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	/* cut in the data: the header is intact, the size is not the header's */
	assert_int_equal(truncate(p, st.st_size - 8), 0);
	assert_int_equal(archive_rrd_head_read(p, &h), -EAGAIN);
	/* grown by a byte */
	assert_int_equal(truncate(p, st.st_size + 1), 0);
	assert_int_equal(archive_rrd_head_read(p, &h), -EAGAIN);
	/* cut in the header: librrd refuses it, and so does the check */
	assert_int_equal(truncate(p, 100), 0);
	assert_int_equal(archive_rrd_head_read(p, &h), -EAGAIN);
	int r = archive_rrd_check(p, 10, METRIC_GAUGE, &last, err, sizeof(err));
	assert_true(r < 0 && r != -ENOENT);
	assert_int_equal(last, 0); /* left as it was */
}

/* archive_rrd_check: the fast path's answers, and librrd's on a mismatch. */
static void test_check_through_head(void **state)
{
	struct dir *d = *state;
	char p[PATH_MAX], err[256];
	int64_t last = 0;
	assert_int_equal(archive_rrd_create(file_in(d, "g.rrd", p), 10, METRIC_GAUGE, T0, err,
	                                    sizeof(err)),
	                 0);
	update(p, "1700000030:7");
	assert_int_equal(archive_rrd_check(p, 10, METRIC_GAUGE, &last, err, sizeof(err)), 0);
	assert_int_equal(last, 1700000030);
	last = 0;
	assert_int_equal(archive_rrd_check(p, 60, METRIC_GAUGE, &last, err, sizeof(err)),
	                 -EMEDIUMTYPE);
	assert_string_equal(err, "step is 10 s, expected 60 s");
	assert_int_equal(archive_rrd_check(p, 10, METRIC_COUNTER, &last, err, sizeof(err)),
	                 -EMEDIUMTYPE);
	assert_string_equal(err, "data source type is GAUGE, expected DERIVE");
	assert_int_equal(last, 0);
	const char *other[] = {"DS:temp:GAUGE:20:U:U", "RRA:AVERAGE:0.5:1:10"};
	create(file_in(d, "other.rrd", p), 10, 2, other);
	assert_int_equal(archive_rrd_check(p, 10, METRIC_GAUGE, &last, err, sizeof(err)),
	                 -EMEDIUMTYPE);
	assert_string_equal(err, "unexpected data source ds[temp].type");
	assert_int_equal(archive_rrd_check(file_in(d, "none.rrd", p), 10, METRIC_GAUGE, &last, err,
	                                   sizeof(err)),
	                 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_layouts_read_like_librrd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_others_left_to_librrd, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncated_and_grown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_through_head, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
