/* RRD archive: files created and updated through the metric registry, values read back
 * with rrd_fetch_r, RRA layout, reuse after restart, mismatching files left alone,
 * same-second collapse, and a real rrdcached (up; down then up; dcmond restarted while
 * it holds values; many files in one BATCH; refused updates; killed and restarted), and
 * the journal replayed after a kill (record format, values left behind, a torn last
 * record). */
#include "testing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <rrd.h>
#include <rrd_client.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "archive_int.h"
#include "dcmon/archive.h"
#include "dcmon/metric.h"

#define T0 1700000000LL /* a step-aligned past time, seconds */
#define STEP 10         /* RRD step of the test metrics, seconds */

/* One test's world: a temp data dir, a registry, an archive on it. */
struct world {
	char dir[64];
	char sock[96]; /* rrdcached socket path (rrdcached tests) */
	pid_t cached;  /* rrdcached pid, 0 = none */
	struct metric_reg *reg;
	struct archive *a;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void world_open_ms(struct world *w, const char *rrdcached, size_t queue_max,
                          int64_t flush_ms)
{
	char err[256] = "";
	struct archive_opts o = {.data_dir = w->dir,
	                         .rrdcached = rrdcached,
	                         .flush_ms = flush_ms,
	                         .queue_max = queue_max};
	w->a = archive_new(&o, err, sizeof(err));
	assert_non_null(w->a);
	w->reg = metric_reg_new();
	int slot = metric_reg_add_sink(w->reg, archive_sink(), w->a);
	assert_true(slot >= 0);
	archive_set_slot(w->a, slot);
}

static void world_open(struct world *w, const char *rrdcached, size_t queue_max)
{
	world_open_ms(w, rrdcached, queue_max, 200);
}

static void world_close(struct world *w)
{
	archive_free(w->a);
	metric_reg_free(w->reg);
	w->a = NULL;
	w->reg = NULL;
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "/tmp/dcmon-archive-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(w->sock, sizeof(w->sock), "%s/cached.sock", w->dir);
	*state = w;
	return 0;
}

static void cached_stop(struct world *w);

static int teardown(void **state)
{
	struct world *w = *state;
	world_close(w);
	cached_stop(w);
	nftw(w->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(w);
	return 0;
}

static struct metric *gauge(struct world *w, const char *dev, const char *name, const char *inst)
{
	struct metric_desc d = {.name = name,
	                        .unit = "celsius",
	                        .kind = METRIC_GAUGE,
	                        .inst_label = inst ? "sensor" : NULL,
	                        .inst = inst,
	                        .interval_ms = STEP * 1000};
	struct metric *m = metric_reg_get(w->reg, dev, &d);
	assert_non_null(m);
	return m;
}

static struct metric *counter(struct world *w, const char *dev, const char *name)
{
	struct metric_desc d = {
	    .name = name, .unit = "bytes", .kind = METRIC_COUNTER, .interval_ms = STEP * 1000};
	struct metric *m = metric_reg_get(w->reg, dev, &d);
	assert_non_null(m);
	return m;
}

static void put(struct world *w, struct metric *m, long long t_s, double v)
{
	metric_put(w->reg, m, t_s * 1000, v);
}

static void path_of(struct world *w, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", w->dir, rel);
}

/* The AVERAGE value stored for the step ending at t, read with rrd_fetch_r. */
static double fetch_at(const char *path, long long t)
{
	time_t start = (time_t)(t - STEP), end = (time_t)t;
	unsigned long step = STEP, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	int r = rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names, &data);
	if (r != 0)
		fail_msg("rrd_fetch_r %s: %s", path, rrd_get_error());
	assert_int_equal(step, STEP);
	assert_int_equal(nds, 1);
	assert_string_equal(names[0], "value");
	/* row i covers (start + i*step, start + (i+1)*step] */
	long long row = (t - (long long)start) / STEP - 1;
	assert_true(row >= 0 && (time_t)(start + (row + 1) * STEP) <= end);
	double v = data[row];
	rrd_freemem(names[0]);
	rrd_freemem(names);
	rrd_freemem(data);
	return v;
}

/* Values must come back as written (up to rounding in RRD's averaging). */
#define assert_value(got, want, eps) assert_value_at(got, want, __FILE__, __LINE__)
static void assert_value_at(double got, double want, const char *file, int line)
{
	if (!(fabs(got - want) <= 1e-12 * fabs(want)))
		fail_msg("%s:%d: got %.17g, want %.17g", file, line, got, want);
}

static long long last_update(const char *path)
{
	time_t last = 0;
	unsigned long n = 0;
	char **names = NULL, **vals = NULL;
	assert_int_equal(rrd_lastupdate_r(path, &last, &n, &names, &vals), 0);
	for (unsigned long i = 0; i < n; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);
	return (long long)last;
}

static void stats(struct world *w, struct archive_stats *s)
{
	archive_get_stats(w->a, s);
	/* every accepted value is accounted for exactly once */
	assert_int_equal(s->queued,
	                 s->written + s->failed + s->skipped + s->overflow + s->retained);
}

/* Flushes, then checks what became of the values queued so far. */
static void flush_expect(struct world *w, uint64_t written, uint64_t skipped, uint64_t created)
{
	struct archive_stats s;
	archive_flush(w->a);
	stats(w, &s);
	assert_int_equal(s.written, written);
	assert_int_equal(s.skipped, skipped);
	assert_int_equal(s.files_created, created);
	assert_int_equal(s.failed, 0);
}

/* Flushes with rrdcached unreachable: what was written, what is held for it. */
static void flush_retained(struct world *w, uint64_t written, uint64_t retained)
{
	struct archive_stats s;
	archive_flush(w->a);
	stats(w, &s);
	assert_int_equal(s.written, written);
	assert_int_equal(s.retained, retained);
}

/* A file holds its first values in its own record and a heap block only while more
 * wait, its warning state only while it is in trouble, and the device id is the
 * first component of its path (docs/ARCHITECTURE.md "Memory per series"). */
static void test_file_buffer_and_complaint(void **state)
{
	(void)state;
	char err[128], dev[ARCHIVE_DEVICE_MAX], rel[PATH_MAX];
	struct metric_reg *reg = metric_reg_new();
	struct metric_desc d = {.name = "p001_volts", .unit = "volts", .interval_ms = 10000};
	struct metric *m = metric_reg_get(reg, "d00001", &d);
	struct archive_store store;
	assert_int_equal(archive_store_init(&store), 0);
	struct archive_file *f = archive_file_new(&store, "/data", m, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(archive_file_rel(f, rel), strlen("d00001/p001_volts.rrd"));
	assert_string_equal(rel, "d00001/p001_volts.rrd");
	assert_string_equal(f->names, "d00001/p001_volts"); /* ".rrd" is not kept */
	assert_string_equal(archive_file_path(f, "/data", rel), "/data/d00001/p001_volts.rrd");
	assert_string_equal(archive_file_device(f, dev), "d00001");
	assert_int_equal(f->step_s, 10);
	assert_int_equal(f->npts, 0);
	for (int i = 1; i <= 2; i++)
		assert_int_equal(archive_file_add(f, (struct archive_point){.t_s = i, .v = i}), 1);
	assert_int_equal(f->pts_log2, 0); /* two values: in the record */
	assert_true(archive_file_vals(f) == f->pts.in.v);
	assert_int_equal(archive_file_add(f, (struct archive_point){.t_s = 3, .v = 3}), 1);
	assert_int_equal(f->pts_log2, 2); /* a third: a heap block of 4 */
	assert_int_equal(f->npts, 3);
	for (int i = 0; i < 3; i++)
		assert_true(archive_file_pt(f, (size_t)i).t_s == i + 1 &&
		            archive_file_pt(f, (size_t)i).v == i + 1);
	archive_file_consume(f, 1);
	assert_int_equal(f->npts, 2);
	assert_int_equal(f->pts_log2, 0); /* back in the record, the block freed (ASan) */
	assert_true(archive_file_pt(f, 0).t_s == 2 && archive_file_pt(f, 1).t_s == 3);
	assert_true(archive_file_pt(f, 0).v == 2 && archive_file_pt(f, 1).v == 3);
	archive_file_consume(f, 2);
	assert_int_equal(f->npts, 0); /* written: nothing held */
	assert_int_equal(f->pts_log2, 0);
	assert_int_equal(archive_file_add(f, (struct archive_point){.t_s = 4, .v = 4}), 1);
	assert_true(f->npts == 1 && archive_file_pt(f, 0).v == 4);
	/* a time beyond 32 bits is refused, not wrapped */
	assert_int_equal(
	    archive_file_add(f, (struct archive_point){.t_s = ARCHIVE_TIME_MAX + 1, .v = 5}),
	    -ERANGE);
	assert_int_equal(f->npts, 1);
	for (int i = 5; i <= 20; i++) /* grows 4 -> 8 -> 16 -> 32, in order */
		assert_int_equal(archive_file_add(f, (struct archive_point){.t_s = i, .v = i}), 1);
	assert_int_equal(f->npts, 17);
	assert_int_equal(f->pts_log2, 5);
	assert_true(archive_file_pt(f, 16).t_s == 20 && archive_file_pt(f, 16).v == 20);
	archive_file_drop_at(f, 0);
	assert_true(f->npts == 16 && archive_file_pt(f, 0).t_s == 5);
	f->last_s = 18;
	assert_int_equal(archive_file_drop_old(f), 14);
	assert_true(f->npts == 2 && f->pts_log2 == 0 && archive_file_pt(f, 0).t_s == 19 &&
	            archive_file_pt(f, 1).v == 20);
	assert_int_equal(archive_file_add(f, (struct archive_point){.t_s = 21, .v = 21}), 1);
	assert_int_equal(f->pts_log2, 2);

	assert_null(f->complaint);
	archive_file_complain(f, "test warning %d", 1);
	assert_non_null(f->complaint);
	assert_true(f->complaint->active);
	archive_file_complain_release(f, "test usable again");
	assert_null(f->complaint);
	archive_file_complain(f, "test warning %d", 2);
	archive_store_free(&store, f); /* with its buffer and warning state (ASan: no leak) */
	assert_int_equal(store.live, 0);
	archive_store_destroy(&store);
	metric_reg_free(reg);
}

/* The store hands a freed record to the next file of its size, keeps records of other
 * sizes apart, and frees every live record with its buffer and warning state when it
 * is destroyed (ASan: no leak, and a freed record is poisoned). */
static void test_store_reuse_and_destroy(void **state)
{
	(void)state;
	struct archive_store s;
	assert_int_equal(archive_store_init(&s), 0);
	struct archive_file *files[3000];
	char rel[64], got[PATH_MAX];
	for (int i = 0; i < 3000; i++) { /* 3000 x ~100 bytes: more than one block */
		snprintf(rel, sizeof(rel), "dev%d/%s.rrd", i, i % 2 ? "p" : "a_longer_name");
		files[i] = archive_file_from_rel(&s, rel, strlen(rel), 10, METRIC_GAUGE);
		assert_non_null(files[i]);
		archive_file_rel(files[i], got);
		assert_string_equal(got, rel);
		assert_int_equal((uintptr_t)files[i] % 8, 0);
	}
	assert_int_equal(s.live, 3000);
	for (int i = 0; i < 3000; i++) { /* nothing overlaps */
		snprintf(rel, sizeof(rel), "dev%d/%s.rrd", i, i % 2 ? "p" : "a_longer_name");
		archive_file_rel(files[i], got);
		assert_string_equal(got, rel);
	}
	struct archive_file *gone = files[7];
	archive_store_free(&s, gone);
	assert_int_equal(s.live, 2999);
	/* another size: a new record */
	struct archive_file *f = archive_file_from_rel(&s, "x/y.rrd", 7, 10, METRIC_GAUGE);
	assert_ptr_not_equal(f, gone);
	/* the same size ("dev7/p.rrd"): the freed one, zeroed */
	files[7] = archive_file_from_rel(&s, "dev9/p.rrd", 10, 10, METRIC_COUNTER);
	assert_ptr_equal(files[7], gone);
	assert_int_equal(files[7]->npts, 0);
	assert_int_equal(files[7]->kind, METRIC_COUNTER);
	archive_file_rel(files[7], got);
	assert_string_equal(got, "dev9/p.rrd");
	for (int i = 1; i <= 5; i++) /* a heap buffer and a warning state to free */
		assert_int_equal(archive_file_add(f, (struct archive_point){.t_s = i, .v = i}), 1);
	archive_file_complain(f, "test warning %d", 3);
	assert_true(f->pts_log2 > 0 && f->complaint);
	archive_store_free(&s, files[100]); /* a hole the walk steps over */
	assert_int_equal(s.live, 3000);
	archive_store_destroy(&s);
}

static void test_create_update_fetch(void **state)
{
	struct world *w = *state;
	world_open(w, NULL, 0);
	struct metric *g = gauge(w, "crac-1", "supply_air_celsius", "top/left 1");
	struct metric *c = counter(w, "crac-1", "if_in_bytes_total");
	for (int k = 1; k <= 20; k++) {
		put(w, g, T0 + k * STEP, 18.0 + k * 0.25);
		put(w, c, T0 + k * STEP, 1000000.0 + 50.0 * STEP * k); /* 50 bytes/s */
	}
	flush_expect(w, 40, 0, 2);

	char gp[256], cp[256];
	path_of(w, "crac-1/supply_air_celsius@top%2Fleft%201.rrd", gp, sizeof(gp));
	path_of(w, "crac-1/if_in_bytes_total.rrd", cp, sizeof(cp));
	assert_int_equal(last_update(gp), T0 + 20 * STEP);
	for (int k = 1; k <= 20; k++)
		assert_value(fetch_at(gp, T0 + k * STEP), 18.0 + k * 0.25, 1e-9);
	assert_true(isnan(fetch_at(cp, T0 + STEP))); /* the first reading only primes */
	for (int k = 2; k <= 20; k++)
		assert_value(fetch_at(cp, T0 + k * STEP), 50.0, 1e-9);
}

/* Looks up one rrd_info entry. */
static const rrd_info_t *info_get(const rrd_info_t *i, const char *key)
{
	for (; i; i = i->next)
		if (strcmp(i->key, key) == 0)
			return i;
	fail_msg("no %s in rrd_info", key);
	return NULL;
}

static void check_layout(const char *path, const char *ds_type, bool min0)
{
	rrd_info_t *info = rrd_info_r(path);
	assert_non_null(info);
	assert_int_equal(info_get(info, "step")->value.u_cnt, STEP);
	assert_string_equal(info_get(info, "ds[value].type")->value.u_str, ds_type);
	assert_int_equal(info_get(info, "ds[value].minimal_heartbeat")->value.u_cnt, 2 * STEP);
	double min = info_get(info, "ds[value].min")->value.u_val;
	assert_true(min0 ? min == 0.0 : isnan(min));
	/* raw 2 days (AVERAGE only: MIN and MAX of one step are the same value), then
	 * AVERAGE, MIN, MAX each: 5 min 2 weeks, 1 h 13 months (396 d), 1 day 5 years */
	static const unsigned long pdp[] = {1, 30, 360, 8640};
	static const unsigned long rows[] = {17280, 4032, 9504, 1826};
	static const char *const cfs[] = {"AVERAGE", "MIN", "MAX"};
	for (int r = 0; r < 10; r++) {
		char key[64];
		int k = r == 0 ? 0 : 1 + (r - 1) / 3; /* which of the four resolutions */
		const char *cf = r == 0 ? "AVERAGE" : cfs[(r - 1) % 3];
		snprintf(key, sizeof(key), "rra[%d].cf", r);
		assert_string_equal(info_get(info, key)->value.u_str, cf);
		snprintf(key, sizeof(key), "rra[%d].pdp_per_row", r);
		assert_int_equal(info_get(info, key)->value.u_cnt, pdp[k]);
		snprintf(key, sizeof(key), "rra[%d].rows", r);
		assert_int_equal(info_get(info, key)->value.u_cnt, rows[k]);
	}
	for (const rrd_info_t *i = info; i; i = i->next)
		assert_null(strstr(i->key, "rra[10]"));
	rrd_info_free(info);
}

static void test_rra_layout(void **state)
{
	struct world *w = *state;
	assert_string_equal(archive_ds_type(METRIC_GAUGE), "GAUGE");
	assert_string_equal(archive_ds_type(METRIC_STATE), "GAUGE");
	assert_string_equal(archive_ds_type(METRIC_COUNTER), "DERIVE");
	world_open(w, NULL, 0);
	put(w, gauge(w, "ups-1", "battery_celsius", NULL), T0 + STEP, 21.5);
	put(w, counter(w, "ups-1", "out_bytes_total"), T0 + STEP, 7);
	archive_flush(w->a);
	char gp[256], cp[256];
	path_of(w, "ups-1/battery_celsius.rrd", gp, sizeof(gp));
	path_of(w, "ups-1/out_bytes_total.rrd", cp, sizeof(cp));
	check_layout(gp, "GAUGE", false);
	check_layout(cp, "DERIVE", true);
}

static void test_reuse_after_restart(void **state)
{
	struct world *w = *state;
	world_open(w, NULL, 0);
	for (int k = 1; k <= 5; k++)
		put(w, gauge(w, "pdu-1", "inlet_celsius", NULL), T0 + k * STEP, k);
	world_close(w); /* archive_free writes what is queued */

	world_open(w, NULL, 0);
	struct metric *g = gauge(w, "pdu-1", "inlet_celsius", NULL);
	for (int k = 3; k <= 10; k++) /* 3..5 are already in the file */
		put(w, g, T0 + k * STEP, k);
	flush_expect(w, 5, 3, 0);
	char p[256];
	path_of(w, "pdu-1/inlet_celsius.rrd", p, sizeof(p));
	for (int k = 1; k <= 10; k++)
		assert_value(fetch_at(p, T0 + k * STEP), k, 1e-9);
}

/* Reads a whole file (small RRD files only). */
static size_t slurp(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	*out = malloc((size_t)n);
	assert_int_equal(fread(*out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return (size_t)n;
}

/* Makes a file the archive must not touch: wrong step or wrong DS type. */
static void make_foreign(const char *path, unsigned long step, const char *ds)
{
	const char *argv[] = {ds, "RRA:AVERAGE:0.5:1:10"};
	mkdir(strndupa(path, (size_t)(strrchr(path, '/') - path)), 0755);
	assert_int_equal(rrd_create_r2(path, step, (time_t)T0, 1, NULL, NULL, 2, argv), 0);
}

/* Runs fn with stderr captured into buf. */
static void capture_stderr(void (*fn)(struct world *), struct world *w, char *buf, size_t len)
{
	char tmpl[] = "/tmp/dcmon-archive-log-XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn(w);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(tmpl);
}

static void mismatch_run(struct world *w)
{
	struct metric *a = gauge(w, "crac-2", "return_air_celsius", NULL);
	struct metric *b = gauge(w, "crac-2", "supply_air_celsius", NULL);
	for (int k = 1; k <= 3; k++) {
		put(w, a, T0 + 100 + k * STEP, k);
		put(w, b, T0 + 100 + k * STEP, k);
		archive_flush(w->a); /* several writer rounds: still reported once */
	}
}

static void test_mismatch_left_untouched(void **state)
{
	struct world *w = *state;
	char pa[256], pb[256];
	path_of(w, "crac-2/return_air_celsius.rrd", pa, sizeof(pa));
	path_of(w, "crac-2/supply_air_celsius.rrd", pb, sizeof(pb));
	make_foreign(pa, 60, "DS:value:GAUGE:120:U:U");    /* other step */
	make_foreign(pb, STEP, "DS:value:COUNTER:20:U:U"); /* other DS type */
	struct stat sa0, sb0, sa1, sb1;
	char *ca0, *cb0, *ca1, *cb1;
	size_t na0 = slurp(pa, &ca0), nb0 = slurp(pb, &cb0);
	assert_int_equal(stat(pa, &sa0), 0);
	assert_int_equal(stat(pb, &sb0), 0);

	world_open(w, NULL, 0);
	char log[8192];
	capture_stderr(mismatch_run, w, log, sizeof(log));
	struct archive_stats s;
	stats(w, &s);
	assert_int_equal(s.written, 0);
	assert_int_equal(s.failed, 6);
	assert_int_equal(s.files_created, 0);

	assert_int_equal(stat(pa, &sa1), 0);
	assert_int_equal(stat(pb, &sb1), 0);
	assert_int_equal(sa1.st_mtim.tv_sec, sa0.st_mtim.tv_sec);
	assert_int_equal(sa1.st_mtim.tv_nsec, sa0.st_mtim.tv_nsec);
	assert_int_equal(sb1.st_mtim.tv_nsec, sb0.st_mtim.tv_nsec);
	assert_int_equal(slurp(pa, &ca1), na0);
	assert_int_equal(slurp(pb, &cb1), nb0);
	assert_memory_equal(ca0, ca1, na0);
	assert_memory_equal(cb0, cb1, nb0);
	free(ca0), free(ca1), free(cb0), free(cb1);

	/* each file reported once, saying what differs */
	const char *p = strstr(log, "step is 60 s, expected 10 s");
	assert_non_null(p);
	assert_null(strstr(p + 1, "step is 60 s"));
	p = strstr(log, "data source type is COUNTER, expected GAUGE");
	assert_non_null(p);
	assert_null(strstr(p + 1, "data source type is COUNTER"));
	assert_non_null(strstr(log, "left untouched"));
}

static void test_bad_data_dir(void **state)
{
	struct world *w = *state;
	char err[256], path[128];
	struct archive_opts o = {.flush_ms = 100};

	snprintf(path, sizeof(path), "%s/missing", w->dir);
	o.data_dir = path;
	err[0] = '\0';
	assert_null(archive_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "missing"));
	assert_non_null(strstr(err, "No such file"));

	snprintf(path, sizeof(path), "%s/plain", w->dir);
	fclose(fopen(path, "w"));
	err[0] = '\0';
	assert_null(archive_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "not a directory"));

	/* root may write anywhere but in sysfs */
	snprintf(path, sizeof(path), "%s/readonly", w->dir);
	assert_int_equal(mkdir(path, 0555), 0);
	o.data_dir = geteuid() == 0 ? "/sys" : path;
	err[0] = '\0';
	assert_null(archive_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "is not writable"));

	o.data_dir = w->dir;
	o.flush_ms = 0;
	assert_null(archive_new(&o, err, sizeof(err)));
	assert_non_null(strstr(err, "flush interval"));
}

static void test_same_second_collapse(void **state)
{
	struct world *w = *state;
	world_open(w, NULL, 0);
	struct metric *g = gauge(w, "ups-2", "battery_celsius", NULL);
	metric_put(w->reg, g, (T0 + STEP) * 1000 + 100, 1.0);
	metric_put(w->reg, g, (T0 + STEP) * 1000 + 900, 2.0); /* same second: wins */
	put(w, g, T0 + 2 * STEP, 3.0);
	put(w, g, T0 + 2 * STEP - 5, 9.0); /* older than the last: dropped */
	archive_flush(w->a);
	put(w, g, T0 + 2 * STEP, 8.0); /* the file already has this second */
	put(w, g, T0 + 3 * STEP, 4.0);
	flush_expect(w, 3, 3, 1);
	char p[256];
	path_of(w, "ups-2/battery_celsius.rrd", p, sizeof(p));
	assert_value(fetch_at(p, T0 + STEP), 2.0, 1e-9);
	assert_value(fetch_at(p, T0 + 2 * STEP), 3.0, 1e-9);
	assert_value(fetch_at(p, T0 + 3 * STEP), 4.0, 1e-9);
}

static void test_errors_are_gaps_and_forget(void **state)
{
	struct world *w = *state;
	world_open(w, NULL, 0);
	struct metric *g = gauge(w, "ats-1", "body_celsius", NULL);
	put(w, g, T0 + STEP, 1.0);
	metric_put_error(w->reg, g, (T0 + 2 * STEP) * 1000, "timeout");
	put(w, g, T0 + 3 * STEP, 3.0);
	metric_reg_mark_stale(w->reg, (T0 + 20 * STEP) * 1000); /* adds nothing */
	metric_reg_drop_device(w->reg, "ats-1"); /* forget(): file freed once written */
	flush_expect(w, 3, 0, 1);
	char p[256];
	path_of(w, "ats-1/body_celsius.rrd", p, sizeof(p));
	assert_value(fetch_at(p, T0 + STEP), 1.0, 1e-9);
	assert_true(isnan(fetch_at(p, T0 + 2 * STEP))); /* the failed poll */
	assert_value(fetch_at(p, T0 + 3 * STEP), 3.0, 1e-9);
}

/* Whether rrdcached accepts connections on sock.  Its socket file appears at bind(),
 * before listen(): a connect in between is refused, and the archive then waits out its
 * back-off, so the file's presence is not readiness. */
static bool cached_accepts(const char *sock)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Starts rrdcached in the foreground on w->sock, writing below w->dir. */
static void cached_start(struct world *w)
{
	char journal[128];
	snprintf(journal, sizeof(journal), "%s/journal", w->dir);
	mkdir(journal, 0755);
	char listen[128], pidfile[128];
	snprintf(listen, sizeof(listen), "unix:%s", w->sock);
	snprintf(pidfile, sizeof(pidfile), "%s/rrdcached.pid", w->dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("rrdcached", "rrdcached", "-g", "-l", listen, "-b", w->dir, "-B", "-F", "-w",
		       "3600", "-f", "7200", "-j", journal, "-p", pidfile, (char *)NULL);
		_exit(127);
	}
	w->cached = pid;
	for (int i = 0; i < 1000 && !cached_accepts(w->sock); i++) /* up to 10 s */
		usleep(10000);
	assert_true(cached_accepts(w->sock));
}

/* Stops rrdcached; -F makes it write every cached value first. */
static void cached_stop(struct world *w)
{
	if (!w->cached)
		return;
	kill(w->cached, SIGTERM);
	int st = 0;
	assert_int_equal(waitpid(w->cached, &st, 0), w->cached);
	w->cached = 0;
	unlink(w->sock);
}

static void test_rrdcached(void **state)
{
	struct world *w = *state;
	cached_start(w);
	char addr[128];
	snprintf(addr, sizeof(addr), "unix:%s", w->sock);
	world_open(w, addr, 0);
	struct metric *g = gauge(w, "ups-3", "battery_celsius", NULL);
	struct metric *c = counter(w, "ups-3", "out_bytes_total");
	for (int k = 1; k <= 300; k++) { /* more than one rrdcached command per file */
		put(w, g, T0 + k * STEP, 100.0 + k / 8.0);
		put(w, c, T0 + k * STEP, 5000.0 + 7.0 * STEP * k);
	}
	flush_expect(w, 600, 0, 2);
	char gp[256], cp[256];
	path_of(w, "ups-3/battery_celsius.rrd", gp, sizeof(gp));
	path_of(w, "ups-3/out_bytes_total.rrd", cp, sizeof(cp));
	/* rrdcached holds them: the files are as created */
	assert_int_equal(last_update(gp), T0);
	world_close(w);
	cached_stop(w);
	assert_int_equal(last_update(gp), T0 + 300 * STEP);
	for (int k = 1; k <= 300; k++)
		assert_value(fetch_at(gp, T0 + k * STEP), 100.0 + k / 8.0, 1e-9);
	for (int k = 2; k <= 300; k++)
		assert_value(fetch_at(cp, T0 + k * STEP), 7.0, 1e-9);
}

/* dcmond restarts while rrdcached still holds values it sent (not yet in the file, whose
 * last update on disk is older): values of the new run that rrdcached already holds
 * (a replay) are skipped, not sent, so the line carrying the new ones is not refused. */
static void test_rrdcached_restart_holding(void **state)
{
	struct world *w = *state;
	cached_start(w);
	char addr[128], gp[256];
	snprintf(addr, sizeof(addr), "unix:%s", w->sock);
	world_open(w, addr, 0);
	struct metric *g = gauge(w, "ups-9", "battery_celsius", NULL);
	for (int k = 1; k <= 10; k++)
		put(w, g, T0 + k * STEP, k);
	flush_expect(w, 10, 0, 1);
	world_close(w);
	path_of(w, "ups-9/battery_celsius.rrd", gp, sizeof(gp));
	assert_int_equal(last_update(gp), T0); /* rrdcached holds the 10 values */

	world_open(w, addr, 0);
	g = gauge(w, "ups-9", "battery_celsius", NULL);
	for (int k = 5; k <= 20; k++) /* 5..10 again, then new ones */
		put(w, g, T0 + k * STEP, k);
	flush_expect(w, 10, 6, 0);
	world_close(w);
	cached_stop(w);
	assert_int_equal(last_update(gp), T0 + 20 * STEP);
	for (int k = 1; k <= 20; k++)
		assert_value(fetch_at(gp, T0 + k * STEP), k, 1e-9);
}

static void test_rrdcached_down_then_up(void **state)
{
	struct world *w = *state;
	char addr[128];
	snprintf(addr, sizeof(addr), "unix:%s", w->sock);
	world_open(w, addr, 0); /* nothing listens yet */
	struct metric *g = gauge(w, "ups-4", "battery_celsius", NULL);
	for (int k = 1; k <= 10; k++)
		put(w, g, T0 + k * STEP, k * 1.5);
	flush_retained(w, 0, 10);

	cached_start(w);
	for (int k = 11; k <= 12; k++)
		put(w, g, T0 + k * STEP, k * 1.5);
	flush_retained(w, 12, 0); /* a flush retries at once */
	world_close(w);
	cached_stop(w);
	char p[256];
	path_of(w, "ups-4/battery_celsius.rrd", p, sizeof(p));
	for (int k = 1; k <= 12; k++)
		assert_value(fetch_at(p, T0 + k * STEP), k * 1.5, 1e-9);
}


/* rrdcached's address in the test's world. */
static const char *cached_addr(struct world *w, char *buf, size_t len)
{
	snprintf(buf, len, "unix:%s", w->sock);
	return buf;
}

/* Starts rrdcached and an archive on it whose writer runs only when flushed. */
static void world_open_cached(struct world *w)
{
	char addr[128];
	cached_start(w);
	world_open_ms(w, cached_addr(w, addr, sizeof(addr)), 0, 3600 * 1000);
}

/* Many files, several values each, all sent in one writer round (one BATCH): a device
 * id with a space checks the escaping of file names. */
#define MANY_DEVS 20
#define MANY_METRICS 15
#define MANY_VALUES 4
static void test_rrdcached_many_files(void **state)
{
	struct world *w = *state;
	world_open_cached(w); /* the writer runs only when flushed */
	struct metric *m[MANY_DEVS][MANY_METRICS];
	for (int d = 0; d < MANY_DEVS; d++)
		for (int i = 0; i < MANY_METRICS; i++) {
			char dev[32], inst[16];
			snprintf(dev, sizeof(dev), d == 0 ? "rack %d" : "pdu-%d", d);
			snprintf(inst, sizeof(inst), "outlet %d", i);
			m[d][i] = gauge(w, dev, "power_watts", inst);
		}
	for (int k = 1; k <= MANY_VALUES; k++)
		for (int d = 0; d < MANY_DEVS; d++)
			for (int i = 0; i < MANY_METRICS; i++)
				put(w, m[d][i], T0 + k * STEP, d * 1000 + i * 10 + k);
	const int files = MANY_DEVS * MANY_METRICS;
	flush_expect(w, files * MANY_VALUES, 0, files);
	struct archive_stats s;
	stats(w, &s);
	assert_int_equal(s.batches, 1);
	world_close(w);
	cached_stop(w);
	for (int d = 0; d < MANY_DEVS; d++)
		for (int i = 0; i < MANY_METRICS; i++) {
			char rel[128], p[256];
			snprintf(rel, sizeof(rel), d == 0 ? "rack %d/power_watts@outlet%%20%d.rrd"
			                                  : "pdu-%d/power_watts@outlet%%20%d.rrd",
			         d, i);
			path_of(w, rel, p, sizeof(p));
			assert_int_equal(last_update(p), T0 + MANY_VALUES * STEP);
			for (int k = 1; k <= MANY_VALUES; k++)
				assert_value(fetch_at(p, T0 + k * STEP), d * 1000 + i * 10 + k, 0);
		}
}

/* Another client of the same rrdcached sends one value for a file. */
static void cached_foreign_update(struct world *w, const char *path, long long t, double v)
{
	char addr[128], val[64];
	snprintf(val, sizeof(val), "%lld:%g", t, v);
	const char *vals[] = {val};
	assert_int_equal(rrdc_connect(cached_addr(w, addr, sizeof(addr))), 0);
	assert_int_equal(rrdc_update(path, 1, vals), 0);
	rrdc_disconnect();
}

/* Asks rrdcached (through another connection) to write what it holds of path. */
static void cached_foreign_flush(struct world *w, const char *path)
{
	char addr[128];
	assert_int_equal(rrdc_connect(cached_addr(w, addr, sizeof(addr))), 0);
	assert_int_equal(rrdc_flush(path), 0);
	rrdc_disconnect();
}

/* Puts values k = from..to into each of n metrics (value: 10 * metric index + k). */
static void put_range(struct world *w, struct metric **m, int n, int from, int to)
{
	for (int k = from; k <= to; k++)
		for (int i = 0; i < n; i++)
			put(w, m[i], T0 + k * STEP, 10.0 * i + k);
}

static void refused_run(struct world *w)
{
	struct metric *m[3] = {gauge(w, "ups-6", "a_celsius", NULL),
	                       gauge(w, "ups-6", "b_celsius", NULL),
	                       gauge(w, "ups-6", "c_celsius", NULL)};
	char pb[256], pc[256];
	path_of(w, "ups-6/b_celsius.rrd", pb, sizeof(pb));
	path_of(w, "ups-6/c_celsius.rrd", pc, sizeof(pc));
	put_range(w, m, 3, 1, 5);
	flush_expect(w, 15, 0, 3);

	/* b: someone else wrote a later value: our 6..10 are refused as too old */
	cached_foreign_update(w, pb, T0 + 100 * STEP, 42.0);
	put_range(w, m, 3, 6, 10);
	archive_flush(w->a);
	struct archive_stats s;
	stats(w, &s);
	assert_int_equal(s.written, 25);
	assert_int_equal(s.failed, 5);
	assert_int_equal(s.retained, 0);

	/* c: gone while rrdcached restarted: refused ("No such file"), then recreated */
	cached_stop(w);
	assert_int_equal(unlink(pc), 0);
	cached_start(w);
	put_range(w, m, 3, 11, 12); /* b's are skipped: b was checked again */
	archive_flush(w->a);
	stats(w, &s);
	assert_int_equal(s.written, 27);
	assert_int_equal(s.failed, 7);
	assert_int_equal(s.skipped, 2);
	put_range(w, m, 3, 13, 13);
	archive_flush(w->a);
	stats(w, &s);
	assert_int_equal(s.written, 29); /* a, c (created again) */
	assert_int_equal(s.files_created, 4);
	assert_int_equal(s.skipped, 3);
}

/* rrdcached refuses one file's update: that file's values fail, the other files of the
 * same batch are written. */
static void test_rrdcached_refused(void **state)
{
	struct world *w = *state;
	world_open_cached(w);
	char log[8192];
	capture_stderr(refused_run, w, log, sizeof(log));
	assert_non_null(strstr(log, "b_celsius.rrd: update failed: illegal attempt to update"));
	assert_non_null(strstr(log, "c_celsius.rrd: update failed: No such file"));
	assert_null(strstr(log, "a_celsius.rrd: update failed"));
	world_close(w);
	cached_stop(w);
	char pa[256], pb[256], pc[256];
	path_of(w, "ups-6/a_celsius.rrd", pa, sizeof(pa));
	path_of(w, "ups-6/b_celsius.rrd", pb, sizeof(pb));
	path_of(w, "ups-6/c_celsius.rrd", pc, sizeof(pc));
	for (int k = 1; k <= 13; k++)
		assert_value(fetch_at(pa, T0 + k * STEP), k, 0);
	for (int k = 1; k <= 5; k++)
		assert_value(fetch_at(pb, T0 + k * STEP), 10 + k, 0);
	assert_int_equal(last_update(pb), T0 + 100 * STEP);
	assert_int_equal(last_update(pc), T0 + 13 * STEP);
	assert_value(fetch_at(pc, T0 + 13 * STEP), 20 + 13, 0);
}

/* rrdcached killed between rounds: values are kept, then delivered once it is back. */
static void test_rrdcached_killed(void **state)
{
	struct world *w = *state;
	world_open_cached(w);
	struct metric *m[2] = {gauge(w, "crac-4", "supply_celsius", NULL),
	                       gauge(w, "crac-4", "return_celsius", NULL)};
	char p0[256], p1[256];
	path_of(w, "crac-4/supply_celsius.rrd", p0, sizeof(p0));
	path_of(w, "crac-4/return_celsius.rrd", p1, sizeof(p1));
	put_range(w, m, 2, 1, 5);
	flush_expect(w, 10, 0, 2);
	cached_foreign_flush(w, p0); /* on disk: not at the mercy of the kill */
	cached_foreign_flush(w, p1);

	kill(w->cached, SIGKILL);
	assert_int_equal(waitpid(w->cached, NULL, 0), w->cached);
	w->cached = 0;
	unlink(w->sock);
	char pidfile[128];
	snprintf(pidfile, sizeof(pidfile), "%s/rrdcached.pid", w->dir);
	unlink(pidfile);
	put_range(w, m, 2, 6, 10);
	flush_retained(w, 10, 10);

	cached_start(w);
	put_range(w, m, 2, 11, 12);
	flush_expect(w, 24, 0, 2); /* a flush retries at once */
	flush_retained(w, 24, 0);
	world_close(w);
	cached_stop(w);
	for (int k = 1; k <= 12; k++) {
		assert_value(fetch_at(p0, T0 + k * STEP), k, 0);
		assert_value(fetch_at(p1, T0 + k * STEP), 10 + k, 0);
	}
}

static void test_queue_cap(void **state)
{
	struct world *w = *state;
	char addr[128];
	snprintf(addr, sizeof(addr), "unix:%s", w->sock);
	world_open(w, addr, 10); /* rrdcached down: values pile up */
	struct metric *g = gauge(w, "ups-5", "battery_celsius", NULL);
	for (int k = 1; k <= 40; k++)
		put(w, g, T0 + k * STEP, k);
	archive_flush(w->a);
	struct archive_stats s;
	stats(w, &s);
	assert_int_equal(s.queued, 40);
	assert_true(s.overflow >= 30);
	assert_true(s.retained <= 10);
	assert_int_equal(s.written, 0);
	world_close(w); /* rrdcached still down: the rest is lost, counted */
}

/* After a step back the archive's times keep increasing, at half speed, until the wall
 * clock has caught up (twice the step), then they are the sample times again; a step
 * forward during the catch-up takes from it. */
static void test_timeline_steps(void **state)
{
	(void)state;
	struct archive_timeline t = {0};
	const int64_t wall0 = 1700000000000, hour = 3600000;
	assert_int_equal(archive_timeline_map(&t, wall0, 0), wall0);
	archive_timeline_step(&t, -3 * hour, 1000); /* at 1 s: wall0 + 1 s -> wall0 - 3h + 1 s */
	int64_t prev = wall0 + 1000, wall = wall0 + 1000 - 3 * hour;
	for (int64_t mono = 1000; mono <= 1000 + 6 * hour; mono += 60000, wall += 60000) {
		int64_t at = archive_timeline_map(&t, wall, mono);
		assert_true(at >= prev); /* never before what was written */
		assert_int_equal(at - wall, 3 * hour - (mono - 1000) / 2);
		prev = at;
	}
	assert_int_equal(archive_timeline_map(&t, wall + 1000, 1000 + 6 * hour + 1000), wall + 1000);
	assert_int_equal(t.lag_ms, 0);
	archive_timeline_step(&t, -2 * hour, 0);
	archive_timeline_step(&t, 3 * hour, 0); /* forward more than the lag: no lag left */
	assert_int_equal(archive_timeline_map(&t, wall0, 0), wall0);
	archive_timeline_step(&t, -2 * hour, 0);
	archive_timeline_step(&t, hour, 2 * 60000); /* lag 2h - 1 min, then 1 h forward */
	assert_int_equal(archive_timeline_lag(&t, 2 * 60000), hour - 60000);
}

/* The formatter writes what snprintf("%lld:%.17g") (counters "%.0f", NaN "U") wrote:
 * integers by its fast path, everything else through snprintf. */
static void test_format_matches_printf(void **state)
{
	(void)state;
	const double vs[] = {0,    1,       -1,        1001,        -42,       0.5,  -0.25,
	                     1e15, 9007199254740991.0,  9007199254740992.0, 1e17, 1e300, -0.0,
	                     3.14159265358979, 1e-300, 123456789012.0,     INFINITY, -INFINITY};
	const int64_t ts[] = {0, 1, T0, 9999999999LL, -5};
	for (size_t t = 0; t < sizeof(ts) / sizeof(ts[0]); t++) {
		for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
			for (int counter = 0; counter < 2; counter++) {
				char want[512], got[ARCHIVE_FORMAT_MAX];
				int wn = snprintf(want, sizeof(want), counter ? "%lld:%.0f" : "%lld:%.17g",
				                  (long long)ts[t], vs[i]);
				int n = archive_rrd_format(got, sizeof(got), counter ? METRIC_COUNTER : METRIC_GAUGE,
				                           (struct archive_point){.t_s = ts[t], .v = vs[i]});
				if (wn >= (int)sizeof(got)) { /* 1e300 as a counter: too long, refused */
					assert_int_equal(n, -ENOBUFS);
					continue;
				}
				assert_int_equal(n, wn);
				assert_string_equal(got, want);
			}
		}
	}
	char got[ARCHIVE_FORMAT_MAX];
	assert_int_equal(archive_rrd_format(got, sizeof(got), METRIC_GAUGE,
	                                    (struct archive_point){.t_s = T0, .v = NAN}), 12);
	assert_string_equal(got, "1700000000:U");
	assert_int_equal(archive_rrd_format(got, 12, METRIC_GAUGE,
	                                    (struct archive_point){.t_s = T0, .v = NAN}), -ENOBUFS);
	assert_int_equal(archive_rrd_format(got, 8, METRIC_GAUGE,
	                                    (struct archive_point){.t_s = T0, .v = 1}), -ENOBUFS);
}

/* ---- journal (kill -9) ---- */

/* Encodes r as a record of the journal's format 1 (archive_int.h), which dcmond wrote
 * before #18 and now only replays: the tests make old segments with it, apart from the
 * decoder.  Record length, or -ENOBUFS when it does not fit. */
#define V1_HEAD 8   /* u32 payload length, u32 Adler-32 of the payload */
#define V1_FIXED 24 /* payload before the path: t_s, v, step_s, kind, 0, rel_len */
static int v1_encode(void *buf, size_t len, const struct archive_journal_rec *r)
{
	size_t payload = V1_FIXED + r->rel_len;
	if (r->rel_len > UINT16_MAX || V1_HEAD + payload > len)
		return -ENOBUFS;
	unsigned char *b = buf, *p = b + V1_HEAD;
	uint32_t step = (uint32_t)r->step_s, plen = (uint32_t)payload;
	uint16_t rl = (uint16_t)r->rel_len;
	uint8_t kind = (uint8_t)r->kind, zero = 0;
	memcpy(p, &r->p.t_s, 8);
	memcpy(p + 8, &r->p.v, 8);
	memcpy(p + 16, &step, 4);
	memcpy(p + 20, &kind, 1);
	memcpy(p + 21, &zero, 1);
	memcpy(p + 22, &rl, 2);
	memcpy(p + V1_FIXED, r->rel, r->rel_len);
	uint32_t sum = (uint32_t)adler32(1, p, (uInt)payload);
	memcpy(b, &plen, 4);
	memcpy(b + 4, &sum, 4);
	return (int)(V1_HEAD + payload);
}

/* The old record format (segments a run before #18 left): a round trip, every cut
 * short prefix is incomplete, any flipped byte is caught, a buffer too small is
 * refused. */
static void test_journal_v1_record(void **state)
{
	(void)state;
	const char *rel = "pdu-1/inlet_celsius@a b.rrd";
	struct archive_journal_rec r = {.p = {.t_s = T0 + 7, .v = -273.15},
	                                .step_s = 10,
	                                .kind = METRIC_COUNTER,
	                                .rel = rel,
	                                .rel_len = strlen(rel)};
	unsigned char buf[256], bad[256];
	int n = v1_encode(buf, sizeof(buf), &r);
	assert_int_equal(n, 8 + 24 + (int)strlen(rel));
	struct archive_journal_rec d;
	assert_int_equal(archive_journal_v1_decode(buf, (size_t)n, &d), n);
	assert_int_equal(d.p.t_s, T0 + 7);
	assert_true(d.p.v == -273.15);
	assert_int_equal(d.step_s, 10);
	assert_int_equal(d.kind, METRIC_COUNTER);
	assert_int_equal(d.rel_len, strlen(rel));
	assert_memory_equal(d.rel, rel, strlen(rel));
	for (int len = 0; len < n; len++) /* torn: never a record, never an error */
		assert_int_equal(archive_journal_v1_decode(buf, (size_t)len, &d), 0);
	for (int i = 0; i < n; i++) {
		memcpy(bad, buf, (size_t)n);
		bad[i] ^= 0x20;
		int got = archive_journal_v1_decode(bad, (size_t)n, &d);
		if (i < 4) /* the length: too long is incomplete, anything else wrong */
			assert_true(got == 0 || got == -EBADMSG);
		else
			assert_int_equal(got, -EBADMSG);
	}
	assert_int_equal(v1_encode(buf, (size_t)n - 1, &r), -ENOBUFS);
	r.p.v = NAN; /* an unknown survives */
	n = v1_encode(buf, sizeof(buf), &r);
	assert_int_equal(archive_journal_v1_decode(buf, (size_t)n, &d), n);
	assert_true(isnan(d.p.v));
}

/* The bytes of segment seq of w's journal, malloc'd, with *len. */
static char *journal_read(struct world *w, int seq, size_t *len)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s/%020d.jnl", w->dir, ARCHIVE_JOURNAL_DIR, seq);
	FILE *fp = fopen(p, "rb");
	assert_non_null(fp);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, fp);
	fclose(fp);
	return buf;
}

/* Decodes buf: the values (at most max) into r, the decoder's last answer in *end. */
static size_t journal_decode_all(const char *buf, size_t len, struct archive_journal_rec *r,
                                 size_t max, int *end)
{
	struct archive_journal_dec d;
	size_t n = 0;
	archive_journal_dec_init(&d, buf, len);
	while ((*end = archive_journal_dec_next(&d, &r[n])) == 1)
		assert_true(++n < max);
	archive_journal_dec_free(&d);
	return n;
}

static void assert_rec(const struct archive_journal_rec *r, const char *rel, long long t_s,
                       double v)
{
	assert_int_equal(r->rel_len, strlen(rel));
	assert_memory_equal(r->rel, rel, r->rel_len);
	assert_int_equal(r->p.t_s, t_s);
	assert_true(r->p.v == v);
	assert_int_equal(r->step_s, STEP);
	assert_int_equal(r->kind, METRIC_GAUGE);
}

/* Format 2: a segment starts with the magic; each append is one frame; a file is named
 * once per segment, its values then take 10 bytes (number < 64, time delta, double); a
 * file record freed and made again at the same address is named afresh.  Every cut
 * inside the last frame and every flipped byte of it lose that frame only. */
static void test_journal_frames(void **state)
{
	struct world *w = *state;
	struct archive_journal j;
	struct archive_store store;
	const char *rel[] = {"pdu-1/a.rrd", "pdu-1/b.rrd", "pdu-2/a.rrd"};
	struct archive_file *f[3];
	assert_int_equal(archive_store_init(&store), 0);
	assert_int_equal(archive_journal_init(&j, w->dir, 0), 0);
	assert_int_equal(archive_journal_start(&j), 0);
	for (int i = 0; i < 2; i++)
		f[i] = archive_file_from_rel(&store, rel[i], strlen(rel[i]), STEP, METRIC_GAUGE);
	struct archive_entry e[4] = {{f[0], {T0, 1}}, {f[1], {T0 + 1, 2}},
	                             {f[0], {T0 + STEP, -3.5}}, {f[1], {T0 + 1 - STEP, 4}}};
	size_t sizes[3];
	archive_journal_append(&j, e, 4);
	sizes[0] = (size_t)j.seg_bytes;
	e[0].p = (struct archive_point){T0 + 2 * STEP, NAN};
	e[1].p = (struct archive_point){T0 + 2 * STEP + 1, 6};
	archive_journal_append(&j, e, 2);
	sizes[1] = (size_t)j.seg_bytes;
	/* f[0] (number 0, as a new record's) freed; f[2] takes its record */
	archive_journal_forget(&j, f[0]);
	archive_store_free(&store, f[0]);
	f[2] = archive_file_from_rel(&store, rel[2], strlen(rel[2]), STEP, METRIC_GAUGE);
	assert_ptr_equal(f[2], f[0]);
	e[1] = (struct archive_entry){f[2], {T0 + 3 * STEP, 7}};
	archive_journal_append(&j, &e[1], 1);
	sizes[2] = (size_t)j.seg_bytes;
	archive_journal_close(&j);
	archive_store_destroy(&store);

	/* magic, head, 2 names (h, step, kind, length, path), 4 values (h, dt, double):
	 * the first value of a frame has its whole time, a varint of 5 bytes */
	assert_int_equal(sizes[0], 8 + 8 + 2 * (4 + 11) + (1 + 5 + 8) + 3 * 10);
	assert_int_equal(sizes[1] - sizes[0], 8 + (1 + 5 + 8) + 10);
	assert_int_equal(sizes[2] - sizes[1], 8 + (4 + 11) + (1 + 5 + 8));
	size_t len;
	char *buf = journal_read(w, 1, &len), *bad = malloc(len);
	assert_int_equal(len, sizes[2]);
	assert_memory_equal(buf, ARCHIVE_JOURNAL_MAGIC, 8);
	struct archive_journal_rec r[16];
	int end;
	assert_int_equal(journal_decode_all(buf, len, r, 16, &end), 7);
	assert_int_equal(end, 0);
	assert_rec(&r[0], rel[0], T0, 1);
	assert_rec(&r[1], rel[1], T0 + 1, 2);
	assert_rec(&r[2], rel[0], T0 + STEP, -3.5);
	assert_rec(&r[3], rel[1], T0 + 1 - STEP, 4);
	assert_true(isnan(r[4].p.v));
	assert_int_equal(r[4].p.t_s, T0 + 2 * STEP);
	assert_rec(&r[5], rel[1], T0 + 2 * STEP + 1, 6);
	assert_rec(&r[6], rel[2], T0 + 3 * STEP, 7);
	for (size_t cut = sizes[1]; cut < len; cut++) { /* torn: the first 6, no error */
		assert_int_equal(journal_decode_all(buf, cut, r, 16, &end), 6);
		assert_int_equal(end, cut == sizes[1] ? 0 : -ENODATA);
	}
	for (size_t i = sizes[1]; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x20;
		assert_int_equal(journal_decode_all(bad, len, r, 16, &end), 6);
		if (i < sizes[1] + 4) /* the length: too long is incomplete */
			assert_true(end == -ENODATA || end == -EBADMSG);
		else
			assert_int_equal(end, -EBADMSG);
	}
	free(buf);
	free(bad);
}

/* Journals values k = from..to (time T0 + k * STEP, value k) of pdu-1/<name>.rrd
 * without writing them, as a run killed before its write would leave them: per
 * append `per` values (one frame). */
static void journal_leave_by(struct world *w, const char *name, int from, int to, int per)
{
	struct archive_journal j;
	char rel[128];
	assert_int_equal(archive_journal_init(&j, w->dir, 0), 0);
	assert_int_equal(archive_journal_start(&j), 0);
	snprintf(rel, sizeof(rel), "pdu-1/%s.rrd", name);
	struct archive_store store;
	assert_int_equal(archive_store_init(&store), 0);
	struct archive_file *f =
	    archive_file_from_rel(&store, rel, strlen(rel), STEP, METRIC_GAUGE);
	assert_non_null(f);
	for (int k = from; k <= to; k += per) {
		struct archive_entry e[8];
		int n = 0;
		for (; n < per && k + n <= to; n++)
			e[n] = (struct archive_entry){.f = f, .p = {.t_s = T0 + (k + n) * STEP, .v = k + n}};
		archive_journal_append(&j, e, (size_t)n);
	}
	archive_store_destroy(&store);
	archive_journal_close(&j); /* no settle: the segments stay */
}

static void journal_leave(struct world *w, const char *name, int from, int to)
{
	journal_leave_by(w, name, from, to, 1);
}

static size_t journal_segments(struct world *w)
{
	char dir[128];
	size_t n = 0;
	snprintf(dir, sizeof(dir), "%s/%s", w->dir, ARCHIVE_JOURNAL_DIR);
	DIR *d = opendir(dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));)
		n += strstr(e->d_name, ".jnl") != NULL;
	closedir(d);
	return n;
}

/* Values journaled but not written are replayed at the next start, before new
 * values; those already in the file are only counted; the segments then go. */
static void test_journal_replay(void **state)
{
	struct world *w = *state;
	world_open(w, NULL, 0);
	struct metric *g = gauge(w, "pdu-1", "inlet_celsius", NULL);
	put(w, g, T0 + STEP, 1);
	put(w, g, T0 + 2 * STEP, 2);
	world_close(w); /* 1, 2 written, the journal emptied */
	assert_int_equal(journal_segments(w), 0);
	journal_leave(w, "inlet_celsius", 1, 6);  /* 1, 2 in the file already */
	journal_leave(w, "outlet_celsius", 1, 3); /* a file that does not exist yet */
	assert_int_equal(journal_segments(w), 2);

	world_open_ms(w, NULL, 0, 3600 * 1000);
	put(w, gauge(w, "pdu-1", "inlet_celsius", NULL), T0 + 7 * STEP, 7); /* a new value */
	flush_expect(w, 4 + 3 + 1, 2, 1);
	assert_int_equal(journal_segments(w), 0);
	char p[256];
	path_of(w, "pdu-1/inlet_celsius.rrd", p, sizeof(p));
	for (int k = 1; k <= 7; k++)
		assert_value(fetch_at(p, T0 + k * STEP), k, 1e-9);
	path_of(w, "pdu-1/outlet_celsius.rrd", p, sizeof(p));
	for (int k = 1; k <= 3; k++)
		assert_value(fetch_at(p, T0 + k * STEP), k, 1e-9);
}

/* A segment whose last frame was cut short (kill in the middle of a write): the
 * frames before it are replayed, the values of that frame only are lost. */
static void test_journal_torn(void **state)
{
	struct world *w = *state;
	journal_leave_by(w, "inlet_celsius", 1, 9, 3); /* frames 1-3, 4-6, 7-9 */
	char p[256];
	snprintf(p, sizeof(p), "%s/%s/%020d.jnl", w->dir, ARCHIVE_JOURNAL_DIR, 1);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(truncate(p, st.st_size - 5), 0);
	world_open_ms(w, NULL, 0, 3600 * 1000);
	flush_expect(w, 6, 0, 1);
	path_of(w, "pdu-1/inlet_celsius.rrd", p, sizeof(p));
	for (int k = 1; k <= 6; k++)
		assert_value(fetch_at(p, T0 + k * STEP), k, 1e-9);
	assert_int_equal(last_update(p), T0 + 6 * STEP);
}

/* Writes values k = from..to of pdu-1/<name>.rrd as segment seq in the old format
 * (one record per value), as a run before #18 killed before its write left it. */
static void journal_leave_v1(struct world *w, int seq, const char *name, int from, int to)
{
	char p[256], rel[128], buf[512];
	snprintf(p, sizeof(p), "%s/%s", w->dir, ARCHIVE_JOURNAL_DIR);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/%s/%020d.jnl", w->dir, ARCHIVE_JOURNAL_DIR, seq);
	snprintf(rel, sizeof(rel), "pdu-1/%s.rrd", name);
	FILE *fp = fopen(p, "wb");
	assert_non_null(fp);
	for (int k = from; k <= to; k++) {
		struct archive_journal_rec r = {.p = {.t_s = T0 + k * STEP, .v = k},
		                                .step_s = STEP,
		                                .kind = METRIC_GAUGE,
		                                .rel = rel,
		                                .rel_len = strlen(rel)};
		int n = v1_encode(buf, sizeof(buf), &r);
		assert_true(n > 0);
		assert_int_equal(fwrite(buf, 1, (size_t)n, fp), (size_t)n);
	}
	fclose(fp);
}

/* An upgrade right after a kill -9: the old run's segment (old format) and a newer one
 * (format 2) both replay, in order; then both go. */
static void test_journal_old_format(void **state)
{
	struct world *w = *state;
	journal_leave_v1(w, 1, "inlet_celsius", 1, 4);
	journal_leave_v1(w, 2, "outlet_celsius", 1, 2);
	journal_leave(w, "outlet_celsius", 3, 5); /* segment 3 */
	assert_int_equal(journal_segments(w), 3);
	world_open_ms(w, NULL, 0, 3600 * 1000);
	flush_expect(w, 4 + 5, 0, 2);
	assert_int_equal(journal_segments(w), 0);
	char p[256];
	path_of(w, "pdu-1/inlet_celsius.rrd", p, sizeof(p));
	for (int k = 1; k <= 4; k++)
		assert_value(fetch_at(p, T0 + k * STEP), k, 1e-9);
	path_of(w, "pdu-1/outlet_celsius.rrd", p, sizeof(p));
	for (int k = 1; k <= 5; k++)
		assert_value(fetch_at(p, T0 + k * STEP), k, 1e-9);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_timeline_steps),
	    cmocka_unit_test(test_format_matches_printf),
	    cmocka_unit_test(test_file_buffer_and_complaint),
	    cmocka_unit_test(test_store_reuse_and_destroy),
    cmocka_unit_test_setup_teardown(test_create_update_fetch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rra_layout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reuse_after_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mismatch_left_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_data_dir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_second_collapse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_errors_are_gaps_and_forget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rrdcached, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rrdcached_restart_holding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rrdcached_down_then_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rrdcached_many_files, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rrdcached_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rrdcached_killed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_cap, setup, teardown),
	    cmocka_unit_test(test_journal_v1_record),
	    cmocka_unit_test_setup_teardown(test_journal_frames, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_torn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal_old_format, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
