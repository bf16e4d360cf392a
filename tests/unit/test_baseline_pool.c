/* The engine's baselines come from a pool (alerting/baseline_pool.c): slabs of 64,
 * handed out in address order, given back and reused,
 * a slab freed with its last baseline (ASan: no leak, no use after free); through the
 * engine, a reload carries a metric's baseline to the new rule of the same name and
 * gives it back when the rule goes; the slabs lie apart from the heap of the engine's
 * bindings, also once malloc's mmap threshold has risen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "alert_int.h"
#include "alert_fixture.h"

#define NBASE 150 /* three slabs, the last partly used */

static void test_slabs(void **state)
{
	(void)state;
	struct baseline_pool *p = baseline_pool_new();
	assert_non_null(p);
	struct baseline *b[NBASE];
	for (int i = 0; i < NBASE; i++) {
		b[i] = baseline_pool_get(p);
		assert_non_null(b[i]);
		/* empty */
		assert_int_equal(baseline_days(b[i]), 0);
		assert_int_equal(b[i]->slot[7].n, 0);
		assert_null(b[i]->hot);
		assert_null(b[i]->load);
	}
	/* within a slab, in address order */
	for (int i = 1; i < 64; i++)
		assert_ptr_equal(b[i], b[i - 1] + 1);
	for (int i = 0; i < NBASE; i++)
		for (int j = i + 1; j < NBASE; j++)
			assert_true(b[i] != b[j]);
	/* learned values go to the baseline through a copy */
	struct baseline_hot h;
	baseline_hot_attach(b[3], &h);
	assert_ptr_equal(h.base, b[3]);
	baseline_hot_take(b[3], &h, 1767225600000LL);
	baseline_hot_add(b[3], &h, 1767225600000LL, 42.0);
	struct baseline snap;
	baseline_copy(&snap, b[3]);
	assert_true(snap.slot[baseline_slot(1767225600)].mean == 42.0f);
	assert_null(snap.slab);
	/* given back and taken again: the slot is reused, empty */
	baseline_pool_put(b[3]);
	struct baseline *again = baseline_pool_get(p);
	assert_ptr_equal(again, b[3]);
	assert_int_equal(again->slot[baseline_slot(1767225600)].n, 0);
	assert_null(again->hot);
	/* every baseline back: the slabs are freed (ASan would report a leak) */
	for (int i = 0; i < NBASE; i++)
		baseline_pool_put(b[i]);
	baseline_pool_free(p);
	baseline_pool_free(NULL);
}

#define ANOMALY_RULE(name)                                                                         \
	"  - name: " name "\n"                                                                     \
	"    match: {metric: room_celsius}\n"                                                      \
	"    anomaly: {deviation: 3, learn: 1d}\n"

static void reload(struct fx *f, const char *yaml, int64_t now_ms)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/dcmon2.yaml", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(yaml, fp);
	fclose(fp);
	struct cfg_diags d2;
	cfg_diags_init(&d2);
	struct cfg *cfg2 = cfg_load(path, &d2);
	assert_non_null(cfg2);
	assert_int_equal(alert_engine_reload(f->e, cfg2, NULL, 0, now_ms), 0);
	cfg_free(f->cfg);
	cfg_diags_free(&f->diags);
	f->cfg = cfg2;
	f->diags = d2;
}

/* The band of m's anomaly rule at ts_s; false if it has none. */
static bool band_of(struct fx *f, const struct metric *m, int64_t ts_s, double *lo, double *hi)
{
	struct baseline b;
	double k, margin;
	char st[64];
	return alert_engine_baseline(f->e, m, &b, &k, &margin, st, sizeof(st)) &&
	       baseline_band(&b, ts_s, k, margin, lo, hi);
}

/* Bindings (malloc'd one by one as metrics bind) and the baselines taken for them, in
 * turn: no slab may lie among the bindings, or the engine's walk over them, side by side
 * for a level rule, breaks every 64 values.  malloc serves a 130 KB slab from the heap
 * once a freed block of 4 MB has raised its mmap threshold (glibc's dynamic threshold). */
static void test_slabs_apart_from_bindings(void **state)
{
	(void)state;
	free(malloc(4 << 20)); /* malloc's threshold now 4 MB */
	struct baseline_pool *p = baseline_pool_new();
	assert_non_null(p);
	void *bind[NBASE];
	struct baseline *b[NBASE];
	char *lo = NULL, *hi = NULL;
	for (int i = 0; i < NBASE; i++) {
		bind[i] = malloc(96); /* a binding's size */
		b[i] = baseline_pool_get(p);
		assert_non_null(bind[i]);
		assert_non_null(b[i]);
		if (!lo || (char *)bind[i] < lo)
			lo = bind[i];
		if (!hi || (char *)bind[i] > hi)
			hi = bind[i];
	}
	for (int i = 0; i < NBASE; i++)
		assert_true((char *)(b[i] + 1) <= lo || (char *)b[i] > hi);
	for (int i = 0; i < NBASE; i++) {
		baseline_pool_put(b[i]);
		free(bind[i]);
	}
	assert_int_equal(baseline_pool_mapped(), 0);
	baseline_pool_free(p);
}

static void test_engine_reload(void **state)
{
	(void)state;
	struct fx *f = fx_new(FX_DEVICES "rules:\n" ANOMALY_RULE("room"), false);
	struct metric_desc d = {
	    .name = "room_celsius", .unit = "celsius", .kind = METRIC_GAUGE, .interval_ms = 300000};
	struct metric *m = metric_reg_get(f->reg, "ups-1", &d);
	int64_t t = FX_T0 / 1000;
	for (int i = 0; i < 12; i++) /* one hour: 20, 21, 20, 21, ... */
		metric_put(f->reg, m, (t + i * 300) * 1000, 20.0 + i % 2);
	double lo, hi, lo2, hi2;
	assert_true(band_of(f, m, t, &lo, &hi));
	assert_true(lo < 20 && hi > 21);
	/* the same rule name after a reload: the baseline (and its hour) carried over */
	reload(f, FX_DEVICES "rules:\n" ANOMALY_RULE("room"), (t + 3600) * 1000);
	assert_true(band_of(f, m, t, &lo2, &hi2));
	assert_true(lo2 == lo && hi2 == hi);
	metric_put(f->reg, m, (t + 3600) * 1000, 20.5);
	assert_int_equal(fx_state(f, "room", "ups-1", "room_celsius", (t + 3600) * 1000, NULL),
	                 ALERT_OK);
	/* the rule gone: the baseline goes back to the pool (ASan: nothing leaks) */
	reload(f,
	       FX_DEVICES "rules:\n"
	                  "  - {name: hot, match: {metric: room_celsius}, above: {warn: 40}}\n",
	       (t + 3700) * 1000);
	assert_false(band_of(f, m, t, &lo2, &hi2));
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slabs),
	    cmocka_unit_test(test_slabs_apart_from_bindings),
	    cmocka_unit_test(test_engine_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
