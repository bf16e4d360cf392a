/* Walks that must not run away or be taken for whole: a 10,000-row table and a table
 * whose first column ends before the others (snmpsim recordings made here), a walk
 * that loops and one whose second column never ends (the scripted agent
 * tests/peers/snmp_walk_peer.py), the device's series limit.  Every cut or broken
 * walk must show as the table's metrics in error with the reason. */
#include "testing.h"
#include "tmpdir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmon/loop.h"
#include "dcmon/metric.h"
#include "dcmon/poller.h"
#include "snmp_int.h"
#include "snmp_peer.h"
#include "snmp_poll.h"

#define ENTRY "1.3.6.1.4.1.99999.1.1.1"
#define BIG_ROWS 10000

struct fx {
	struct snmp_fx x;
	struct snmp_peer sim;
	char dir[64];          /* profiles and recordings */
	char profiles[96];
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* walk-two: two columns of one table, cut after 100 rows; walk-one: one column, the
 * default row limit. */
static void write_profiles(struct fx *f)
{
	char path[160];

	snprintf(f->profiles, sizeof(f->profiles), "%s/profiles", f->dir);
	assert_int_equal(mkdir(f->profiles, 0755), 0);
	snprintf(path, sizeof(path), "%s/walk-two.yaml", f->profiles);
	write_file(path, "name: walk-two\ntransport: snmp\npoints:\n"
			 "  - metric: walk_a_count\n    oid: " ENTRY ".2\n"
			 "    table: &t {index_label: row, max_rows: 100}\n"
			 "  - metric: walk_b_count\n    oid: " ENTRY ".3\n    table: *t\n");
	snprintf(path, sizeof(path), "%s/walk-one.yaml", f->profiles);
	write_file(path, "name: walk-one\ntransport: snmp\npoints:\n"
			 "  - metric: walk_a_count\n    oid: " ENTRY ".2\n"
			 "    table: {index_label: row}\n");
}

/* A recording: sysUpTime, then column 2 with rows2 rows and column 3 with rows3. */
static void write_recording(const char *path, int rows2, int rows3)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "1.3.6.1.2.1.1.3.0|67|4242\n");
	for (int r = 1; r <= rows2; r++)
		fprintf(f, ENTRY ".2.%d|2|%d\n", r, r);
	for (int r = 1; r <= rows3; r++)
		fprintf(f, ENTRY ".3.%d|2|%d\n", r, 3000 + r);
	fclose(f);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char big[128], shortkey[128];

	snprintf(f->dir, sizeof(f->dir), "/tmp/dcmon-walks-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	chmod(f->dir, 0755);
	write_profiles(f);
	snprintf(big, sizeof(big), "%s/big.snmprec", f->dir);
	snprintf(shortkey, sizeof(shortkey), "%s/shortkey.snmprec", f->dir);
	write_recording(big, BIG_ROWS, 0);
	write_recording(shortkey, 3, 300); /* the key column ends, the next goes on */
	const char *const recs[] = {big, shortkey, NULL};
	assert_int_equal(peer_snmpsim_start(&f->sim, recs), 0);
	snmp_fx_init(&f->x);
	f->x.cfg.daemon.profiles_dir = f->profiles;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	peer_stop(&f->sim);
	snmp_fx_fini(&f->x);
	assert_int_equal(test_tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

static const struct metric *find(struct fx *f, const char *dev, const char *name,
				 const char *inst)
{
	const struct metric *m = metric_reg_find(f->x.reg, dev, name, inst);
	if (!m)
		fprintf(stderr, "missing %s %s@%s\n", dev, name, inst ? inst : "");
	assert_non_null(m);
	return m;
}

/* The metric is in error and its reason contains want. */
static void assert_error(struct fx *f, const char *dev, const char *name, const char *inst,
			 const char *want)
{
	const struct metric *m = find(f, dev, name, inst);
	if (m->quality != QUALITY_ERROR || !strstr(m->reason, want))
		fprintf(stderr, "%s@%s: %s \"%s\", want error \"%s\"\n", name, inst,
			metric_quality_name(m->quality), m->reason, want);
	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_non_null(strstr(m->reason, want));
}

static size_t device_series(struct fx *f, const char *dev)
{
	size_t n = 0;
	for (const struct metric *m = metric_reg_device_first(f->x.reg, dev); m;
	     m = m->next_in_device)
		n++;
	return n;
}

/* Creates the device's poller instance and polls it once. */
static void *first_poll(struct fx *f, struct cfg_device *dev, struct snmp_run *r,
			int64_t deadline_ms)
{
	void *inst = snmp_fx_create(&f->x, dev);
	snmp_fx_poll(&f->x, inst, r, deadline_ms);
	return inst;
}

/* Peak resident memory of this process (VmHWM), KiB. */
static long vm_hwm_kib(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	fclose(fp);
	return kib;
}

/* The case: rows 1, 2, 3, then 1 again.  The three rows read must not pass for
 * the table: each is in error with the reason, and the poll is partial, not ok. */
static void test_looping_walk_is_the_tables_error(void **state)
{
	struct fx *f = *state;
	struct snmp_peer peer;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	assert_int_equal(peer_script_start(&peer, "snmp_walk_peer.py", "loop"), 0);
	snmp_dev_init(&dev, &s, "loop", "any", peer.port, "walk-two");
	void *inst = first_poll(f, &dev, &r, 4000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	for (int row = 1; row <= 3; row++) {
		char i[8];
		snprintf(i, sizeof(i), "%d", row);
		assert_error(f, "loop", "walk_a_count", i, "out of order");
		assert_error(f, "loop", "walk_b_count", i, "out of order");
	}
	assert_int_equal(device_series(f, "loop"), 6);
	/* The next poll walks again (a failed walk is never cached) and fails again. */
	snmp_fx_poll(&f->x, inst, &r, 4000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_error(f, "loop", "walk_a_count", "2", "out of order");
	snmp_poller.free(inst);
	peer_stop(&peer);
}

/* Column 2 ends after two rows, column 3 never does: the walk is cut at the profile's
 * 100 rows, within a few requests, instead of reading until the deadline. */
static void test_endless_second_column_is_cut(void **state)
{
	struct fx *f = *state;
	struct snmp_peer peer;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	assert_int_equal(peer_script_start(&peer, "snmp_walk_peer.py", "endless"), 0);
	snmp_dev_init(&dev, &s, "endless", "any", peer.port, "walk-two");
	dev.timeout_ms = 4000;
	void *inst = snmp_fx_create(&f->x, &dev);
	long hwm0 = vm_hwm_kib();
	snmp_fx_poll(&f->x, inst, &r, 4000);
	long hwm1 = vm_hwm_kib(), served = peer_script_served(&peer);
	printf("# endless column: %ld values served, VmHWM %ld -> %ld KiB\n", served, hwm0, hwm1);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_error(f, "endless", "walk_a_count", "1", "table truncated: more than 100 rows");
	assert_error(f, "endless", "walk_b_count", "2", "table truncated: more than 100 rows");
	/* 100 rows of column 3 (and its values in column 2's slots): a few GETBULKs */
	assert_true(served > 100 && served <= 400);
	assert_true(hwm1 - hwm0 < 16 * 1024);
	snmp_poller.free(inst);
	peer_stop(&peer);
}

/* The same shape from a real agent: snmpsim's key column has 3 rows, the next 300. */
static void test_first_column_ends_others_go_on(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	snmp_dev_init(&dev, &s, "shortkey", "shortkey", f->sim.port, "walk-two");
	void *inst = first_poll(f, &dev, &r, 4000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_error(f, "shortkey", "walk_a_count", "3", "table truncated: more than 100 rows");
	assert_error(f, "shortkey", "walk_b_count", "1", "table truncated: more than 100 rows");
	snmp_poller.free(inst);
}

/* A device reading the 10,000-row recording in few requests (100 rows each), with
 * the device's max_rows (0 = the profile's). */
static void big_dev_init(struct fx *f, struct cfg_device *dev, struct cfg_snmp *s,
			 const char *id, int max_rows)
{
	snmp_dev_init(dev, s, id, "big", f->sim.port, "walk-one");
	s->max_bulk = 100;
	s->max_varbinds = 100;
	s->max_rows = max_rows;
	dev->timeout_ms = 12000;
}

/* 10,000 rows against the default limit of 1024: cut with the reason on every row
 * read, not cut silently at 512 instances. */
static void test_big_table_truncated_with_reason(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	big_dev_init(f, &dev, &s, "big", 0);
	void *inst = first_poll(f, &dev, &r, 8000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_error(f, "big", "walk_a_count", "1", "table truncated: more than 1024 rows");
	assert_error(f, "big", "walk_a_count", "1024", "table truncated: more than 1024 rows");
	assert_null(metric_reg_find(f->x.reg, "big", "walk_a_count", "1025"));
	assert_int_equal(device_series(f, "big"), SNMP_ROWS_DEFAULT);
	snmp_poller.free(inst);
}

/* The device's `snmp.max_rows` raises the profile's limit: all 10,000 rows read. */
static void test_device_max_rows_reads_the_whole_table(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	big_dev_init(f, &dev, &s, "big-ok", BIG_ROWS);
	/* 100 GETBULKs of 100 rows from a Python agent: on a loaded machine (the unit tests
	 * run beside each other) they took over 12 s, so the poll may take a minute */
	dev.timeout_ms = 60000;
	void *inst = first_poll(f, &dev, &r, 60000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(snmp_fx_val(&f->x, "big-ok", "walk_a_count", "10000"), 10000, 0);
	assert_int_equal(device_series(f, "big-ok"), BIG_ROWS);
	snmp_poller.free(inst);
}

/* The poll's byte budget stops a walk that its row limit would let through. */
static void test_poll_byte_budget(void **state)
{
	struct fx *f = *state;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	big_dev_init(f, &dev, &s, "budget", BIG_ROWS);
	s.max_poll_bytes = 65536;
	void *inst = first_poll(f, &dev, &r, 8000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_error(f, "budget", "walk_a_count", "1", "over 65536 bytes (max_poll_bytes)");
	assert_true(device_series(f, "budget") < 1000);
	snmp_poller.free(inst);
}

/* 2 x 50 series against a limit of 60: the registry refuses the 61st, and the table
 * reports the limit on every metric it has instead of values. */
static void test_series_limit_marks_the_table(void **state)
{
	struct fx *f = *state;
	struct snmp_peer peer;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	assert_int_equal(peer_script_start(&peer, "snmp_walk_peer.py", "good"), 0);
	metric_reg_set_series_max(f->x.reg, 60);
	snmp_dev_init(&dev, &s, "many", "any", peer.port, "walk-two");
	void *inst = first_poll(f, &dev, &r, 4000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_int_equal(device_series(f, "many"), 60);
	assert_null(metric_reg_find(f->x.reg, "many", "walk_b_count", "11"));
	snmp_fx_poll(&f->x, inst, &r, 4000);
	assert_int_equal(r.outcome, POLL_PARTIAL);
	assert_error(f, "many", "walk_a_count", "1", "series limit of the device reached");
	assert_error(f, "many", "walk_b_count", "10", "series limit of the device reached");
	assert_int_equal(device_series(f, "many"), 60);
	metric_reg_set_series_max(f->x.reg, 0);
	snmp_poller.free(inst);
	peer_stop(&peer);
}

/* The same walk from an agent that behaves: every row, values, poll ok. */
static void test_good_walk_is_ok(void **state)
{
	struct fx *f = *state;
	struct snmp_peer peer;
	struct cfg_device dev;
	struct cfg_snmp s;
	struct snmp_run r;

	assert_int_equal(peer_script_start(&peer, "snmp_walk_peer.py", "good"), 0);
	snmp_dev_init(&dev, &s, "good", "any", peer.port, "walk-two");
	void *inst = first_poll(f, &dev, &r, 4000);
	assert_int_equal(r.outcome, POLL_OK);
	assert_float_equal(snmp_fx_val(&f->x, "good", "walk_b_count", "50"), 3050, 0);
	assert_int_equal(device_series(f, "good"), 100);
	snmp_poller.free(inst);
	peer_stop(&peer);
}

/* `max_rows` out of range is a positioned profile error. */
static void test_profile_max_rows_checked(void **state)
{
	struct fx *f = *state;
	char path[160];
	struct cfg_diags d;

	snprintf(path, sizeof(path), "%s/bad-rows.yaml", f->dir);
	write_file(path, "name: bad-rows\ntransport: snmp\npoints:\n"
			 "  - metric: walk_a_count\n    oid: " ENTRY ".2\n"
			 "    table: {index_label: row, max_rows: 0}\n");
	cfg_diags_init(&d);
	assert_null(snmp_profile_load(path, &d));
	assert_true(d.nerrors >= 1);
	assert_int_equal(d.v[0].pos.line, 6);
	assert_non_null(strstr(d.v[0].msg, "max_rows"));
	cfg_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_looping_walk_is_the_tables_error),
		cmocka_unit_test(test_endless_second_column_is_cut),
		cmocka_unit_test(test_first_column_ends_others_go_on),
		cmocka_unit_test(test_big_table_truncated_with_reason),
		cmocka_unit_test(test_device_max_rows_reads_the_whole_table),
		cmocka_unit_test(test_poll_byte_budget),
		cmocka_unit_test(test_series_limit_marks_the_table),
		cmocka_unit_test(test_good_walk_is_ok),
		cmocka_unit_test(test_profile_max_rows_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
