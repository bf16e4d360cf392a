/* Facility: the dependency graph (trees, A/B feeds, N+1 groups, cycles rejected with
 * file:line), prediction math on synthetic series (constant burn, changing load, refuel
 * step, engine stop), data quality states, and suppression through the real engine. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "tmpdir.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/alert.h"
#include "dcmon/config.h"
#include "dcmon/facility.h"
#include "facility_int.h"
#include "pipeline.h"

static char tmpdir[] = "/tmp/dcmon-test-facility-XXXXXX";

static int group_setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	return test_tmpdir_remove(tmpdir);
}

/* Loads text as a config; NULL on errors (diagnostics printed into errs). */
static struct cfg *load(const char *text, char *errs, size_t len)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/c.yaml", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfg *cfg = cfg_load(path, &d);
	size_t off = 0;
	for (size_t i = 0; i < d.n && off < len; i++)
		off += (size_t)snprintf(errs + off, len - off, "%d: %s\n", d.v[i].pos.line, d.v[i].msg);
	cfg_diags_free(&d);
	return cfg;
}

static const char *chain =
	"daemon: {data_dir: /tmp/x}\n"
	"devices:\n"
	"  - {id: utility, kind: utility}\n"
	"  - {id: gen1, kind: generator, facility: {tank_liters: 2000, rating_kw: 500}}\n"
	"  - {id: ats, kind: ats, fed_by: [utility, gen1]}\n"
	"  - {id: ups1, kind: ups, fed_by: ats, facility: {takeover: 30s}}\n"
	"  - {id: ups2, kind: ups, fed_by: ats}\n"
	"  - {id: pdu-a, kind: pdu, fed_by: ups-grp}\n"
	"  - {id: pdu-b, kind: pdu, fed_by: ups2}\n"
	"  - {id: rack1, kind: rack, fed_by: [pdu-a, pdu-b]}\n"
	"  - {id: srv1, kind: server, host: 127.0.0.1, checks: {ping: {}}, fed_by: rack1,\n"
	"     facility: {frozen_polls: 3, temp_limit: 35}}\n"
	"  - {id: srv2, kind: server, host: 127.0.0.1, checks: {ping: {}}, fed_by: pdu-b}\n"
	"groups:\n"
	"  - {id: ups-grp, members: [ups1, ups2], need: 1}\n";

static size_t node(const struct fgraph *g, const char *id)
{
	size_t i = fgraph_find(g, id);
	assert_true(i != FG_NONE);
	return i;
}

/* Evaluates with the named nodes failed. */
static void eval(const struct fgraph *g, const char *const *down, bool *failed, struct fstate *st)
{
	memset(failed, 0, g->n * sizeof(*failed));
	for (size_t i = 0; down[i]; i++)
		failed[node(g, down[i])] = true;
	fgraph_eval(g, failed, st);
}

static void test_graph_tree_ab_group(void **state)
{
	char errs[1024] = "";
	struct cfg *cfg = load(chain, errs, sizeof(errs));
	assert_non_null(cfg);
	char err[128];
	struct fgraph *g = fgraph_new(cfg, err, sizeof(err));
	assert_non_null(g);
	bool failed[32];
	struct fstate st[32];
	/* utility lost: the ATS still has the generator, so it only loses redundancy */
	eval(g, (const char *[]){"utility", NULL}, failed, st);
	assert_int_equal(st[node(g, "ats")].power, FP_REDUNDANCY_LOST);
	assert_int_equal(st[node(g, "srv1")].power, FP_OK);
	/* both sources lost: everything downstream is explained by the first, utility */
	eval(g, (const char *[]){"utility", "gen1", NULL}, failed, st);
	assert_int_equal(st[node(g, "srv1")].power, FP_LOST);
	assert_string_equal(g->v[st[node(g, "srv1")].cause].id, "utility");
	assert_string_equal(g->v[st[node(g, "ups-grp")].cause].id, "utility");
	/* A feed of a dual-corded rack: redundancy lost for the rack, the server is fine */
	eval(g, (const char *[]){"pdu-a", NULL}, failed, st);
	assert_int_equal(st[node(g, "rack1")].power, FP_REDUNDANCY_LOST);
	assert_int_equal(st[node(g, "srv1")].power, FP_OK);
	/* a single-corded server behind pdu-b loses power, explained by pdu-b */
	eval(g, (const char *[]){"pdu-b", NULL}, failed, st);
	assert_int_equal(st[node(g, "srv2")].power, FP_LOST);
	assert_string_equal(g->v[st[node(g, "srv2")].cause].id, "pdu-b");
	/* N+1 group (need 1 of 2): one down = no spare; both down = lost, its own story */
	eval(g, (const char *[]){"ups1", NULL}, failed, st);
	assert_int_equal(st[node(g, "ups-grp")].power, FP_REDUNDANCY_LOST);
	assert_int_equal(st[node(g, "pdu-a")].power, FP_OK);
	eval(g, (const char *[]){"ups1", "ups2", NULL}, failed, st);
	assert_int_equal(st[node(g, "ups-grp")].power, FP_LOST);
	assert_string_equal(g->v[st[node(g, "pdu-a")].cause].id, "ups-grp");
	assert_int_equal(st[node(g, "srv1")].power, FP_LOST);
	fgraph_free(g);

	struct facility_impact im;
	assert_int_equal(facility_impact(cfg, "ups2", &im, err, sizeof(err)), 0);
	assert_int_equal(im.nlose_power, 2); /* pdu-b, srv2 */
	assert_string_equal(im.lose_power[0], "pdu-b");
	assert_string_equal(im.lose_power[1], "srv2");
	assert_int_equal(im.nlose_redundancy, 2); /* ups-grp, rack1 */
	assert_string_equal(im.lose_redundancy[0], "ups-grp");
	assert_string_equal(im.lose_redundancy[1], "rack1");
	assert_int_equal(im.ndependents, 6); /* pdu-b srv2 ups-grp rack1 pdu-a srv1 */
	facility_impact_free(&im);
	assert_int_equal(facility_impact(cfg, "nope", &im, err, sizeof(err)), -ENOENT);
	cfg_free(cfg);
}

/* A transfer switch with a utility and two standby generators: while the generators
 * are stopped they are spares (no redundancy lost in normal operation) but no supply
 * (utility lost before they run = no power, explained by the utility); running, they
 * supply, and two working sources are enough redundancy. */
static void test_graph_standby_sources(void **state)
{
	char errs[1024] = "";
	struct cfg *cfg = load("daemon: {data_dir: /tmp/x}\n"
			       "devices:\n"
			       "  - {id: utility, kind: utility}\n"
			       "  - {id: gen1, kind: generator, facility: {standby: true}}\n"
			       "  - {id: gen2, kind: generator, facility: {standby: true}}\n"
			       "  - {id: ats, kind: ats, fed_by: [utility, gen1, gen2]}\n"
			       "  - {id: ups, kind: ups, fed_by: ats}\n",
			       errs, sizeof(errs));
	assert_non_null(cfg);
	char err[128];
	struct fgraph *g = fgraph_new(cfg, err, sizeof(err));
	assert_non_null(g);
	assert_true(g->v[node(g, "gen1")].standby);
	assert_false(g->v[node(g, "utility")].standby);
	bool failed[8];
	struct fstate st[8];
	g->v[node(g, "gen1")].idle = g->v[node(g, "gen2")].idle = true;
	eval(g, (const char *[]){NULL}, failed, st); /* normal: on utility, spares ready */
	assert_int_equal(st[node(g, "ats")].power, FP_OK);
	eval(g, (const char *[]){"utility", NULL}, failed, st); /* generators starting */
	assert_int_equal(st[node(g, "ats")].power, FP_LOST);
	assert_string_equal(g->v[st[node(g, "ups")].cause].id, "utility");
	g->v[node(g, "gen1")].idle = g->v[node(g, "gen2")].idle = false;
	eval(g, (const char *[]){"utility", NULL}, failed, st); /* on generators */
	assert_int_equal(st[node(g, "ats")].power, FP_OK);
	assert_int_equal(st[node(g, "ups")].power, FP_OK);
	eval(g, (const char *[]){"utility", "gen2", NULL}, failed, st); /* one source left */
	assert_int_equal(st[node(g, "ats")].power, FP_REDUNDANCY_LOST);
	assert_int_equal(st[node(g, "ats")].cause, FG_NONE);
	/* generators running, the switch not closed yet (its critical alert fires): the
	 * switch and the UPS it feeds stay explained by the utility, no second root */
	eval(g, (const char *[]){"utility", "ats", NULL}, failed, st);
	assert_int_not_equal(st[node(g, "ats")].cause, FG_NONE);
	assert_string_equal(g->v[st[node(g, "ats")].cause].id, "utility");
	assert_string_equal(g->v[st[node(g, "ups")].cause].id, "utility");
	/* the utility back, the switch still alarmed: the switch is its own story */
	eval(g, (const char *[]){"ats", NULL}, failed, st);
	assert_int_equal(st[node(g, "ats")].cause, FG_NONE);
	assert_string_equal(g->v[st[node(g, "ups")].cause].id, "ats");
	fgraph_free(g);
	cfg_free(cfg);
}

static void test_graph_config_errors(void **state)
{
	char errs[2048] = "";
	const char *bad_need = "daemon: {data_dir: /tmp/x}\n"
			       "devices:\n"
			       "  - {id: a, kind: ups}\n"
			       "  - {id: b, kind: ups}\n"
			       "groups:\n"
			       "  - {id: g, members: [a, b],\n"
			       "     need: 3}\n";
	assert_null(load(bad_need, errs, sizeof(errs)));
	assert_non_null(strstr(errs, "7: need: group 'g' needs 3 but has only 2 members"));
	errs[0] = '\0';
	const char *cycle = "daemon: {data_dir: /tmp/x}\n"
			    "devices:\n"
			    "  - {id: a, kind: ups, fed_by: g}\n"
			    "  - {id: b, kind: ups, fed_by: a}\n"
			    "groups:\n"
			    "  - {id: g, members: [b, zz]}\n";
	assert_null(load(cycle, errs, sizeof(errs)));
	assert_non_null(strstr(errs, "3: fed_by cycle: a -> group g -> ... -> a"));
	assert_non_null(strstr(errs, "6: members: unknown device 'zz'"));
	errs[0] = '\0';
	const char *plain = "daemon: {data_dir: /tmp/x}\n"
			    "devices:\n"
			    "  - {id: a, kind: ups, fed_by: b}\n"
			    "  - {id: b, kind: ups, fed_by: a}\n";
	assert_null(load(plain, errs, sizeof(errs)));
	assert_non_null(strstr(errs, "fed_by cycle: a -> b -> a"));
	/* the graph itself refuses a cycle too (a config built by hand) */
	char *fa[] = {"b"}, *fb[] = {"a"};
	struct cfg_device devs[2] = {{.id = "a", .fed_by = fa, .nfed_by = 1},
				     {.id = "b", .fed_by = fb, .nfed_by = 1}};
	struct cfg c = {.devices = devs, .ndevices = 2};
	char err[128];
	assert_null(fgraph_new(&c, err, sizeof(err)));
	assert_string_equal(err, "fed_by cycle through a b");
}

/* ---- prediction math ----------------------------------------------------------------- */

/* Level samples every 10 s from t0 (s) with burn lph, quantized to 1 L (a level sensor). */
static size_t drain(int64_t *ts, double *v, size_t k, int64_t t0, int secs, double start, double lph)
{
	for (int t = 0; t <= secs; t += 10, k++) {
		ts[k] = (t0 + t) * 1000;
		v[k] = floor(start - lph * t / 3600.0);
	}
	return k;
}

static void test_predict(void **state)
{
	int64_t ts[FSERIES_MAX];
	double v[FSERIES_MAX], per_s;
	/* constant burn: 100 L/h over 10 minutes */
	size_t n = drain(ts, v, 0, 0, 600, 2000, 100);
	assert_int_equal(predict_drain(ts, v, n, 40, &per_s), 0);
	assert_true(fabs(per_s * 3600 - 100) < 5);
	/* refuel step in the middle: only the part after it counts */
	n = drain(ts, v, 0, 0, 300, 1000, 300);
	n = drain(ts, v, n, 310, 600, 1800, 100);
	assert_int_equal(predict_drain(ts, v, n, 40, &per_s), 0);
	assert_true(fabs(per_s * 3600 - 100) < 5);
	/* changing load: a window over the newer part follows the new burn */
	n = drain(ts, v, 0, 0, 600, 2000, 100);
	n = drain(ts, v, n, 610, 600, 2000 - 100.0 * 610 / 3600, 200);
	struct fseries s = {0};
	for (size_t i = 0; i < n; i++)
		fseries_push(&s, ts[i], v[i]);
	int64_t wts[FSERIES_MAX];
	double wv[FSERIES_MAX];
	size_t wn = fseries_window(&s, 5 * 60000, wts, wv);
	assert_int_equal(predict_drain(wts, wv, wn, 40, &per_s), 0);
	assert_true(fabs(per_s * 3600 - 200) < 20);
	/* too little data, and a level that does not fall */
	assert_int_equal(predict_drain(ts, v, 3, 40, &per_s), -ENODATA);
	double flat[20];
	for (int i = 0; i < 20; i++)
		flat[i] = 500;
	assert_int_equal(predict_drain(ts, flat, 20, 40, &per_s), -ERANGE);
	/* the load table: exact rows and columns, interpolated between */
	assert_true(fabs(predict_burn_lph(500, 500) - 135.1) < 0.01);
	assert_true(fabs(predict_burn_lph(500, 250) - 70.0) < 0.01);
	assert_true(fabs(predict_burn_lph(750, 375) - 103.7) < 0.01);
	double mid = predict_burn_lph(500, 312.5);
	assert_true(mid > 70.0 && mid < 99.9);
	assert_true(isnan(predict_burn_lph(NAN, 100)));
	double secs;
	assert_int_equal(predict_time_to(30, 0.01, 35, &secs), 0);
	assert_true(fabs(secs - 500) < 1e-6);
	assert_int_equal(predict_time_to(30, -0.01, 35, &secs), -ERANGE);
}

/* ---- the running part: generator runtime, engine stop, quality, suppression ----------- */

struct events {
	int fired[8];
	char dev[8][32];
	size_t n;
};

static void on_event(void *arg, const struct change *c)
{
	const struct alert_event *ev = alert_event_of(c);
	struct events *e = arg;
	if (ev->type == ALERT_EV_FIRED && e->n < 8)
		snprintf(e->dev[e->n++], 32, "%s", ev->device);
}

static struct metric *gauge(struct metric_reg *reg, const char *dev, const char *name,
			    const char *unit)
{
	struct metric_desc d = {.name = name, .unit = unit, .kind = METRIC_GAUGE,
				.interval_ms = 10000};
	struct metric *m = metric_reg_get(reg, dev, &d);
	assert_non_null(m);
	return m;
}

static const struct metric_enum run_enums[] = {{0, "stopped"}, {3, "running"}};
static const struct metric_enum src_enums[] = {{3, "normal"}, {5, "battery"}};

/* The chain config with its generator's fuel level, engine state and power. */
struct gen_fx {
	struct cfg *cfg;
	struct metric_reg *reg;
	struct facility *f;
	struct pipeline *p;
	struct metric *fuel, *eng, *kw;
};

static void gen_fx_new(struct gen_fx *g)
{
	char errs[1024] = "";
	g->cfg = load(chain, errs, sizeof(errs));
	assert_non_null(g->cfg);
	g->reg = metric_reg_new();
	char err[128];
	g->f = facility_new(&(struct facility_env){.reg = g->reg, .cfg = g->cfg}, err, sizeof(err));
	assert_non_null(g->f);
	g->p = pipeline_new(&(struct pipeline_env){.reg = g->reg, .facility = g->f});
	assert_non_null(g->p);
	g->fuel = gauge(g->reg, "gen1", "fuel_level_percent", "percent");
	struct metric_desc ed = {.name = "engine_state", .kind = METRIC_STATE, .interval_ms = 10000,
				 .enums = run_enums, .nenums = 2};
	g->eng = metric_reg_get(g->reg, "gen1", &ed);
	g->kw = gauge(g->reg, "gen1", "output_power_total_watts", "watts");
}

static void gen_fx_free(struct gen_fx *g)
{
	pipeline_free(g->p);
	facility_free(g->f);
	metric_reg_free(g->reg);
	cfg_free(g->cfg);
}

static void test_generator_runtime(void **state)
{
	struct gen_fx g;
	gen_fx_new(&g);
	struct metric_reg *reg = g.reg;
	struct facility *f = g.f;
	struct metric *fuel = g.fuel, *eng = g.eng, *kw = g.kw;
	int64_t t = 1700000000000;
	metric_put(reg, eng, t, 3);
	metric_put(reg, kw, t, 375000); /* 3/4 of 500 kW: 99.9 L/h from the table */
	metric_put(reg, fuel, t, 50);
	facility_tick(f, t);
	struct metric *rt = metric_reg_find(reg, "gen1", "fuel_runtime_remaining_seconds", NULL);
	assert_non_null(rt);
	/* no slope yet: the load table's burn (1000 L / 99.9 L/h) */
	assert_int_equal(rt->quality, QUALITY_OK);
	assert_true(fabs(rt->value - 1000 / 99.9 * 3600) < 60);
	/* 10 minutes of a true 120 L/h burn (2000 L tank: 6 %/h), then an engine stop of an
	 * hour with a refill to 90 %, then 10 more minutes: the slope ignores both */
	double lvl = 50;
	for (int i = 1; i <= 60; i++) {
		lvl -= 120.0 / 360 / 2000 * 100;
		metric_put(reg, fuel, t + i * 10000, lvl);
	}
	metric_put(reg, eng, t + 610000, 0);
	for (int i = 0; i < 360; i++)
		metric_put(reg, fuel, t + 620000 + i * 10000, 90);
	int64_t t2 = t + 620000 + 3600000;
	metric_put(reg, eng, t2, 3);
	lvl = 90;
	for (int i = 1; i <= 60; i++) {
		lvl -= 120.0 / 360 / 2000 * 100;
		metric_put(reg, fuel, t2 + i * 10000, lvl);
	}
	facility_tick(f, t2 + 600000);
	struct metric *burn = metric_reg_find(reg, "gen1", "fuel_burn_liters_per_hour", NULL);
	assert_int_equal(burn->quality, QUALITY_OK);
	assert_true(fabs(burn->value - 120) < 12); /* within 10 % */
	double truth = lvl / 100 * 2000 / 120 * 3600;
	assert_true(fabs(rt->value - truth) < 0.1 * truth);
	/* engine stopped for hours: the run clock stops, the burn measured while running
	 * still tells how long the fuel lasts (no flat stretch dilutes it) */
	metric_put(reg, eng, t2 + 700000, 0);
	metric_put(reg, kw, t2 + 700000, 0);
	for (int i = 0; i < 100; i++)
		metric_put(reg, fuel, t2 + 710000 + i * 60000, lvl);
	facility_tick(f, t2 + 700000 + 3 * 3600000);
	assert_int_equal(rt->quality, QUALITY_OK);
	assert_true(fabs(rt->value - truth) < 0.1 * truth);
	/* a generator never seen running and without a load: unknown, never a number */
	struct metric *fuel2 = gauge(reg, "gen1", "fuel_level_percent", "percent");
	assert_ptr_equal(fuel2, fuel);
	gen_fx_free(&g);
}

/* A generator's poll ending: the runtime follows its load reading at once (not up to a
 * tick later), and the tick does not report it again until polls stop coming. */
static void test_generator_runtime_on_poll(void **state)
{
	struct gen_fx g;
	gen_fx_new(&g);
	int64_t t = 1700000000000;
	metric_put(g.reg, g.eng, t, 3);
	metric_put(g.reg, g.kw, t, 375000); /* 3/4 load: 99.9 L/h */
	metric_put(g.reg, g.fuel, t, 50);
	facility_tick(g.f, t);
	struct metric *rt = metric_reg_find(g.reg, "gen1", "fuel_runtime_remaining_seconds", NULL);
	assert_non_null(rt);
	assert_true(fabs(rt->value - 1000 / 99.9 * 3600) < 1);
	metric_put(g.reg, g.kw, t + 400, 500000); /* full load: 135.1 L/h */
	facility_device_polled(g.f, "gen1", t + 401);
	assert_int_equal(rt->ts_ms, t + 401);
	assert_true(fabs(rt->value - 1000 / 135.1 * 3600) < 1);
	facility_device_polled(g.f, "nosuch", t + 402); /* not in the graph: nothing */
	facility_device_polled(NULL, "gen1", t + 402);
	facility_tick(g.f, t + 10000); /* polled 9.6 s ago (interval 10 s): not due */
	assert_int_equal(rt->ts_ms, t + 401);
	facility_tick(g.f, t + 401 + 15000); /* no poll for 1.5 intervals: the tick reports */
	assert_int_equal(rt->ts_ms, t + 401 + 15000);
	gen_fx_free(&g);
}

/* A sender reading whole percents: one step down early in a run is not a burn of a
 * third of the truth; the load table tells until the level fell four steps. */
static void test_generator_quantized_level(void **state)
{
	struct gen_fx g;
	gen_fx_new(&g);
	struct metric_reg *reg = g.reg;
	struct facility *f = g.f;
	struct metric *fuel = g.fuel, *eng = g.eng, *kw = g.kw;
	int64_t t = 1700000000000;
	metric_put(reg, eng, t, 3);
	metric_put(reg, kw, t, 375000); /* 99.9 L/h from the table; truth 120 L/h = 6 %/h */
	for (int i = 0; i <= 60; i++)    /* 10 minutes: 1 % burned, read as 50 then 49 */
		metric_put(reg, fuel, t + i * 10000, i < 30 ? 50 : 49);
	facility_tick(f, t + 600000);
	struct metric *burn = metric_reg_find(reg, "gen1", "fuel_burn_liters_per_hour", NULL);
	assert_non_null(burn);
	assert_true(fabs(burn->value - 99.9) < 0.1);
	for (int i = 61; i <= 300; i++)  /* 50 minutes: 5 % burned, four more steps */
		metric_put(reg, fuel, t + i * 10000, 50 - (i * 10000 + 300000) / 600000);
	facility_tick(f, t + 3000000);
	assert_true(fabs(burn->value - 120) < 24); /* measured now: within two steps */
	gen_fx_free(&g);
}

static void collect_chain(void *arg, const struct cfg_device *dev)
{
	char *buf = arg;
	snprintf(buf + strlen(buf), 256 - strlen(buf), "%s,", dev->id);
}

/* The chain of pdu-b: its feeds to the sources, then what it feeds (the group and the
 * rack are passed through); the same answer on a second call (the scratch is clean). */
static void test_chain(void **state)
{
	struct gen_fx g;
	gen_fx_new(&g);
	for (int k = 0; k < 2; k++) {
		char buf[256] = "";
		assert_int_equal(facility_chain(g.f, "pdu-b", collect_chain, buf), 0);
		assert_string_equal(buf, "ups2,ats,utility,gen1,rack1,srv2,srv1,");
	}
	char buf[256] = "";
	assert_int_equal(facility_chain(g.f, "ups1", collect_chain, buf), 0);
	assert_string_equal(buf, "ats,utility,gen1,pdu-a,rack1,srv1,");
	assert_int_equal(facility_chain(g.f, "nope", collect_chain, buf), -ENOENT);
	gen_fx_free(&g);
}

/* The chain with an on-battery rule (and `more` rules), a registry and the engine,
 * whose fired events go to ev. */
struct engine_fx {
	struct cfg *cfg;
	struct metric_reg *reg;
	struct alert_engine *e;
	struct change_bus *bus;
	struct facility *f;  /* engine_fx_facility */
	struct pipeline *p;
};

static void engine_fx_new(struct engine_fx *x, const char *more, struct events *ev)
{
	char errs[1024] = "", text[4096], err[256];
	snprintf(text, sizeof(text), "%s%s%s", chain,
		 "rules:\n"
		 "  - {name: on-battery, match: {metric: output_source_state},\n"
		 "     state: {values: [battery], severity: critical}}\n",
		 more);
	x->cfg = load(text, errs, sizeof(errs));
	assert_non_null(x->cfg);
	x->reg = metric_reg_new();
	x->e = alert_engine_new(x->cfg, NULL, 0, NULL, err, sizeof(err));
	assert_non_null(x->e);
	x->bus = change_bus_new();
	assert_non_null(x->bus);
	assert_int_equal(change_subscribe(x->bus, CHANGE_MASK(CHANGE_ALERT), on_event, ev), 0);
	alert_engine_set_bus(x->e, x->bus);
	x->f = NULL;
	x->p = NULL;
}

/* The facility over env (with the fixture's registry, config and bus), joined to the
 * engine by the daemon's pipeline. */
static struct facility *engine_fx_facility(struct engine_fx *x, struct facility_env env)
{
	char err[256];
	env.reg = x->reg;
	env.cfg = x->cfg;
	env.bus = x->bus;
	x->f = facility_new(&env, err, sizeof(err));
	assert_non_null(x->f);
	x->p = pipeline_new(&(struct pipeline_env){.reg = x->reg, .facility = x->f,
						   .alerts = x->e, .bus = x->bus});
	assert_non_null(x->p);
	return x->f;
}

static void engine_fx_free(struct engine_fx *x)
{
	pipeline_free(x->p);
	facility_free(x->f);
	alert_engine_free(x->e);
	metric_reg_free(x->reg);
	change_bus_free(x->bus);
	cfg_free(x->cfg);
}

static void test_quality_and_suppression(void **state)
{
	struct engine_fx x;
	struct events ev = {0};
	engine_fx_new(&x, "  - {name: hot, match: {metric: inlet_celsius}, above: {crit: 40}}\n",
		      &ev);
	struct metric_reg *reg = x.reg;
	struct alert_engine *e = x.e;
	struct facility *f = engine_fx_facility(&x, (struct facility_env){0});
	int64_t t = 1700000000000;
	/* frozen: the fourth identical reading (frozen_polls 3) is a fault and never fires */
	struct metric *inlet = gauge(reg, "srv2", "inlet_celsius", "celsius");
	struct metric *srv1 = gauge(reg, "srv1", "inlet_celsius", "celsius");
	for (int i = 0; i < 4; i++)
		metric_put(reg, srv1, t + i * 10000, 45);
	facility_tick(f, t + 40000);
	struct metric *fault = metric_reg_find(reg, "srv1", "sensor_fault_state", "inlet_celsius");
	assert_non_null(fault);
	assert_string_equal(metric_enum_name(fault, (int)fault->value), "frozen");
	/* ups1 has a takeover time but no runtime reading yet: unknown, not a number */
	struct metric *margin = metric_reg_find(reg, "ups1", "takeover_margin_seconds", NULL);
	assert_non_null(margin);
	assert_int_equal(margin->quality, QUALITY_ERROR);
	assert_string_equal(margin->reason, "unknown: too little data");
	/* out of physical range: a point error from the profile's range is a fault too */
	metric_put_error(reg, inlet, t + 40000, "value 300 out of the valid range");
	facility_tick(f, t + 80000);
	fault = metric_reg_find(reg, "srv2", "sensor_fault_state", "inlet_celsius");
	assert_string_equal(metric_enum_name(fault, (int)fault->value), "out_of_range");
	/* the frozen srv1 reading (45 > 40) fired once before it counted as frozen: only
	 * the first three readings were judged; no event for srv2 at all */
	/* suppression: ups2 on battery (critical) explains pdu-b and srv2 */
	struct metric_desc sd = {.name = "output_source_state", .kind = METRIC_STATE,
				 .interval_ms = 10000, .enums = src_enums, .nenums = 2};
	struct metric *src = metric_reg_get(reg, "ups2", &sd);
	ev.n = 0;
	metric_put(reg, src, t + 90000, 5);
	metric_put(reg, inlet, t + 91000, 50); /* a real reading again, above crit */
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.dev[0], "ups2");
	assert_string_equal(facility_suppressed_by(f, "srv2", t + 92000), "ups2");
	/* the utility recovers: what is still wrong downstream is notified */
	metric_put(reg, src, t + 100000, 3);
	alert_engine_tick(e, t + 100001);
	assert_null(facility_suppressed_by(f, "srv2", t + 100002));
	alert_engine_tick(e, t + 100003);
	assert_int_equal(ev.n, 2);
	assert_string_equal(ev.dev[1], "srv2");
	engine_fx_free(&x);
}

/* ---- suppression as the engine's input (facility_suppression) ---------------------- */

/* The scheduler's view for test_suppression_input: `supp_down` unreachable, all else up. */
static const char *supp_down;
static const struct dev_status *supp_status(void *arg, const char *device_id)
{
	static const struct dev_status up = {.state = DEV_STATE_UP};
	static const struct dev_status down = {.state = DEV_STATE_UNREACHABLE};
	(void)arg;
	return supp_down && strcmp(device_id, supp_down) == 0 ? &down : &up;
}

/* Every alert event in order, as "type device suppressed_by". */
struct supp_seq {
	char ev[16][64];
	size_t n;
};

static void on_supp_event(void *arg, const struct change *c)
{
	const struct alert_event *ev = alert_event_of(c);
	struct supp_seq *q = arg;
	if (q->n < 16)
		snprintf(q->ev[q->n++], 64, "%s %s %s", alert_event_type_name(ev->type), ev->device,
			 ev->suppressed_by ? ev->suppressed_by : "-");
}

/* device's entry in the facility's map is want (NULL: none). */
static void assert_cause(const struct alert_suppression *supp, const char *device,
			 const char *want)
{
	const char *got = alert_suppression_of(supp, device);
	if (!want || !got)
		assert_ptr_equal(got, want);
	else
		assert_string_equal(got, want);
}

static bool first_view(void *arg, const struct alert_view *v)
{
	*(struct alert_view *)arg = *v;
	return false;
}

/* The facility keeps each device's cause current in the map the pipeline hands to the
 * engine, which reads it and asks nobody: srv2 reports nothing while its chain moves
 * (the utility unreachable at its poll's end, the standby generator starting: moved by
 * the report, before the rules judge it), and the engine's view follows at once.  When
 * ups2's own alert turns critical, the facility hears it within the engine's
 * publication: srv2's `updated` event (held under ups2) goes out before ups2's `fired`,
 * so the copy the root's e-mail is written from lists it. */
static void test_suppression_input(void **state)
{
	(void)state;
	char errs[1024] = "", err[256];
	struct cfg *cfg = load("daemon: {data_dir: /tmp/x}\n"
			       "devices:\n"
			       "  - {id: utility, kind: utility}\n"
			       "  - {id: gen1, kind: generator, facility: {standby: true}}\n"
			       "  - {id: ats, kind: ats, fed_by: [utility, gen1]}\n"
			       "  - {id: ups2, kind: ups, fed_by: ats}\n"
			       "  - {id: srv2, kind: server, host: 127.0.0.1, checks: {ping: {}},\n"
			       "     fed_by: ups2}\n"
			       "rules:\n"
			       "  - {name: on-battery, match: {metric: output_source_state},\n"
			       "     state: {values: [battery], severity: critical}}\n"
			       "  - {name: hot, match: {metric: inlet_celsius}, above: {warn: 40}}\n",
			       errs, sizeof(errs));
	assert_non_null(cfg);
	struct metric_reg *reg = metric_reg_new();
	struct change_bus *bus = change_bus_new();
	struct alert_engine *e = alert_engine_new(cfg, NULL, 0, NULL, err, sizeof(err));
	assert_non_null(e);
	alert_engine_set_bus(e, bus);
	struct supp_seq seq = {0};
	assert_int_equal(change_subscribe(bus, CHANGE_MASK(CHANGE_ALERT) |
					       CHANGE_MASK(CHANGE_ALERT_UPDATE),
					  on_supp_event, &seq), 0);
	supp_down = NULL;
	struct facility *f = facility_new(&(struct facility_env){.reg = reg, .cfg = cfg, .bus = bus,
								 .dev_status = supp_status},
					  err, sizeof(err));
	assert_non_null(f);
	struct pipeline *p = pipeline_new(&(struct pipeline_env){.reg = reg, .facility = f,
								 .alerts = e, .bus = bus});
	assert_non_null(p);
	const struct alert_suppression *supp = facility_suppression(f);
	int64_t t = 1700000000000;
	struct alert_view v;

	metric_put(reg, gauge(reg, "srv2", "inlet_celsius", "celsius"), t, 45);
	assert_int_equal(seq.n, 2);
	assert_string_equal(seq.ev[1], "fired srv2 -");
	struct metric_desc ed = {.name = "engine_state", .kind = METRIC_STATE,
				 .interval_ms = 10000, .enums = run_enums, .nenums = 2};
	struct metric *eng = metric_reg_get(reg, "gen1", &ed);
	metric_put(reg, eng, t + 1000, 0); /* stopped: a spare, no supply */
	assert_cause(supp, "srv2", NULL);

	supp_down = "utility"; /* its poll ends unanswered; srv2 reports nothing */
	facility_device_polled(f, "utility", t + 2000);
	assert_cause(supp, "srv2", "utility");
	assert_cause(supp, "ats", "utility");
	assert_cause(supp, "utility", NULL);
	alert_engine_foreach(e, t + 2000, first_view, &v);
	assert_string_equal(v.device, "srv2");
	assert_non_null(v.suppressed_by);
	assert_string_equal(v.suppressed_by, "utility");

	metric_put(reg, eng, t + 3000, 3); /* running: it supplies the transfer switch */
	assert_cause(supp, "srv2", NULL);
	alert_engine_foreach(e, t + 3000, first_view, &v);
	assert_null(v.suppressed_by);

	struct metric_desc sd = {.name = "output_source_state", .kind = METRIC_STATE,
				 .interval_ms = 10000, .enums = src_enums, .nenums = 2};
	seq.n = 0;
	metric_put(reg, metric_reg_get(reg, "ups2", &sd), t + 4000, 5); /* on battery */
	assert_cause(supp, "srv2", "ups2");
	assert_int_equal(seq.n, 3);
	assert_string_equal(seq.ev[0], "changed ups2 -");
	assert_string_equal(seq.ev[1], "updated srv2 ups2"); /* before the root's notice */
	assert_string_equal(seq.ev[2], "fired ups2 -");

	pipeline_free(p);
	facility_free(f);
	alert_engine_free(e);
	metric_reg_free(reg);
	change_bus_free(bus);
	cfg_free(cfg);
}

/* The quality verdict is the report's, given before the rules see it: two identical
 * readings of srv1 (frozen_polls 3: the third is the fault) are not frozen, so the
 * `for` delay that ends at the tick fires the alert.  (When the facility's sink ran
 * after the engine's, the gate guessed at the report's effect and, asked again at the
 * tick, counted the last reading twice: frozen one reading early, the alert held.) */
static void test_quality_at_tick(void **state)
{
	(void)state;
	struct engine_fx x;
	struct events ev = {0};
	engine_fx_new(&x, "  - {name: hot, match: {metric: inlet_celsius}, above: {crit: 40},\n"
			  "     for: 15s}\n", &ev);
	engine_fx_facility(&x, (struct facility_env){0});
	struct metric *inlet = gauge(x.reg, "srv1", "inlet_celsius", "celsius");
	int64_t t = 1700000000000;
	for (int i = 0; i < 2; i++)
		metric_put(x.reg, inlet, t + i * 5000, 45);
	assert_int_equal(ev.n, 0); /* pending: `for` not over */
	alert_engine_tick(x.e, t + 16000);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.dev[0], "srv1");
	engine_fx_free(&x);
}

/* The scheduler's view for test_stale_unreachable: srv2 unreachable, all else up. */
static const struct dev_status *fake_status(void *arg, const char *device_id)
{
	static const struct dev_status up = {.state = DEV_STATE_UP};
	static const struct dev_status down = {.state = DEV_STATE_UNREACHABLE};
	(void)arg;
	return strcmp(device_id, "srv2") == 0 ? &down : &up;
}

/* The chain's facility as the scheduler sees it in fake_status. */
struct status_fx {
	struct cfg *cfg;
	struct metric_reg *reg;
	struct facility *f;
	struct pipeline *p;
};

static void status_fx_new(struct status_fx *x)
{
	char errs[1024] = "", err[128];
	x->cfg = load(chain, errs, sizeof(errs));
	assert_non_null(x->cfg);
	x->reg = metric_reg_new();
	x->f = facility_new(&(struct facility_env){.reg = x->reg, .cfg = x->cfg,
						   .dev_status = fake_status},
			    err, sizeof(err));
	assert_non_null(x->f);
	x->p = pipeline_new(&(struct pipeline_env){.reg = x->reg, .facility = x->f});
	assert_non_null(x->p);
}

static void status_fx_free(struct status_fx *x)
{
	pipeline_free(x->p);
	facility_free(x->f);
	metric_reg_free(x->reg);
	cfg_free(x->cfg);
}

/* Stale points of a reachable device are sensor faults; those of an unreachable one
 * (polled with back-off) are the device's story, not one fault per point. */
static void test_stale_unreachable(void **state)
{
	struct status_fx x;
	status_fx_new(&x);
	struct metric_reg *reg = x.reg;
	struct facility *f = x.f;
	int64_t t = 1700000000000;
	struct metric *a = gauge(reg, "srv1", "inlet_celsius", "celsius");
	struct metric *b = gauge(reg, "srv2", "inlet_celsius", "celsius");
	metric_put(reg, a, t, 21);
	metric_put(reg, b, t, 22);
	metric_reg_mark_stale(reg, t + 30000); /* 3 intervals without a report */
	assert_int_equal(a->quality, QUALITY_STALE);
	assert_int_equal(b->quality, QUALITY_STALE);
	facility_tick(f, t + 30000);
	struct metric *fa = metric_reg_find(reg, "srv1", "sensor_fault_state", "inlet_celsius");
	assert_non_null(fa);
	assert_string_equal(metric_enum_name(fa, (int)fa->value), "stale");
	assert_null(metric_reg_find(reg, "srv2", "sensor_fault_state", "inlet_celsius"));
	status_fx_free(&x);
}

/* The facility's records sit in slabs: when a device's metrics go, the last records
 * move into the holes (each metric's slot following), the emptied slab is freed, and a
 * moved record keeps what it counted (srv1's frozen_polls 3: four identical readings
 * are frozen). */
static void test_records_move_on_drop(void **state)
{
	(void)state;
	struct status_fx x;
	status_fx_new(&x);
	enum { GONE = 1100, KEPT = 300 };
	int64_t t = 1700000000000;
	struct metric *kept[KEPT];
	char inst[16];
	struct metric_desc d = {.name = "inlet_celsius", .unit = "celsius", .kind = METRIC_GAUGE,
				.inst_label = "sensor", .inst = inst, .interval_ms = 10000};
	for (int i = 0; i < GONE + KEPT; i++) {
		snprintf(inst, sizeof(inst), "s%d", i);
		struct metric *m = metric_reg_get(x.reg, i < GONE ? "gone" : "srv1", &d);
		assert_non_null(m);
		metric_put(x.reg, m, t, 45);
		if (i >= GONE)
			kept[i - GONE] = m;
	}
	assert_int_equal(x.f->nmets, GONE + KEPT);
	assert_int_equal(x.f->nslabs, 2);
	metric_reg_drop_device(x.reg, "gone");
	assert_int_equal(x.f->nmets, KEPT);
	assert_int_equal(x.f->nslabs, 1);
	size_t srv1 = fgraph_find(x.f->g, "srv1");
	for (int i = 0; i < KEPT; i++) {
		const struct fmet *fm = kept[i]->sink_data[x.f->slot];
		assert_non_null(fm);
		assert_ptr_equal(fm->m, kept[i]);
		assert_int_equal(fm->idx, fm - x.f->mets[0]);
		assert_int_equal(fm->node, srv1);
		assert_int_equal(x.f->met_node[fm->idx], srv1);
		assert_int_equal(fm->same, 1); /* its first reading equals the value it started from */
	}
	struct metric *moved = kept[KEPT - 1]; /* the first to move: into gone's first hole */
	for (int i = 1; i < 4; i++)
		metric_put(x.reg, moved, t + i * 10000, 45);
	assert_int_equal(((const struct fmet *)moved->sink_data[x.f->slot])->same, 4);
	facility_tick(x.f, t + 40000);
	struct metric *fault = metric_reg_find(x.reg, "srv1", "sensor_fault_state", moved->key);
	assert_non_null(fault);
	assert_string_equal(metric_enum_name(fault, (int)fault->value), "frozen");
	assert_null(metric_reg_find(x.reg, "srv1", "sensor_fault_state", kept[0]->key));
	status_fx_free(&x);
}

/* A device's trap metrics are reported when a trap comes, never polled: they go stale
 * a few intervals after each trap, and that is no sensor fault (the soak, bench/soak.sh,
 * found "sensor-fault" warnings mailed for trap_received_total and trap_last_state). */
static void test_trap_metrics_are_no_sensor(void **state)
{
	struct status_fx x;
	status_fx_new(&x);
	struct metric_reg *reg = x.reg;
	struct facility *f = x.f;
	int64_t t = 1700000000000;
	struct metric_desc cd = {.name = "trap_received_total", .kind = METRIC_COUNTER,
				 .interval_ms = 10000};
	struct metric_desc sd = {.name = "trap_last_state", .kind = METRIC_STATE,
				 .interval_ms = 10000};
	struct metric *count = metric_reg_get(reg, "ups1", &cd);
	struct metric *last = metric_reg_get(reg, "ups1", &sd);
	struct metric *inlet = gauge(reg, "ups1", "inlet_celsius", "celsius");
	metric_put(reg, count, t - 5000, 1); /* a counter's first reading only primes its rate */
	metric_put(reg, count, t, 2);
	metric_put(reg, last, t, 1);
	metric_put(reg, inlet, t, 21);
	metric_reg_mark_stale(reg, t + 30000); /* 3 intervals without a trap, nor a poll */
	assert_int_equal(count->quality, QUALITY_STALE);
	assert_int_equal(last->quality, QUALITY_STALE);
	facility_tick(f, t + 30000);
	assert_null(metric_reg_find(reg, "ups1", "sensor_fault_state", "trap_received_total"));
	assert_null(metric_reg_find(reg, "ups1", "sensor_fault_state", "trap_last_state"));
	/* a polled point of the same device is still judged */
	struct metric *fault = metric_reg_find(reg, "ups1", "sensor_fault_state", "inlet_celsius");
	assert_non_null(fault);
	assert_string_equal(metric_enum_name(fault, (int)fault->value), "stale");
	status_fx_free(&x);
}

/* The scheduler's view of ups1 for test_trap_waits_for_poll. */
static struct dev_status ups1_status = {.state = DEV_STATE_UP};

static const struct dev_status *ups1_status_of(void *arg, const char *device_id)
{
	(void)arg;
	return strcmp(device_id, "ups1") == 0 ? &ups1_status : NULL;
}

/* A poll of ups1 that started at start_ms ends at end_ms: its reading of src (or a
 * failed read) first. */
static void ups1_polled(struct facility *f, struct metric_reg *reg, struct metric *src,
			int64_t start_ms, int64_t end_ms, double value)
{
	ups1_status.last_poll_ms = start_ms;
	if (isnan(value))
		metric_put_error(reg, src, start_ms, "timeout");
	else
		metric_put(reg, src, start_ms, value);
	facility_device_polled(f, "ups1", end_ms);
}

/* An on-battery trap (forgeable) sets nothing while ups1 answers its polls: the poll
 * says on mains, no alert.  Only when the poll after the trap gets no answer does the
 * trap's state stand (and the alert fire); a poll that began before the trap does not
 * settle it. */
static void test_trap_waits_for_poll(void **state)
{
	struct engine_fx x;
	struct events ev = {0};
	engine_fx_new(&x, "", &ev);
	struct metric_reg *reg = x.reg;
	struct facility *f = engine_fx_facility(&x, (struct facility_env){.dev_status = ups1_status_of});
	static const struct metric_enum trap_enums[] = {{0, "other"}, {1, "on_battery"}};
	struct metric_desc sd = {.name = "output_source_state", .kind = METRIC_STATE,
				 .interval_ms = 10000, .enums = src_enums, .nenums = 2};
	struct metric_desc td = {.name = "trap_last_state",
				 .kind = METRIC_STATE,
				 .interval_ms = 10000,
				 .enums = trap_enums,
				 .nenums = 2};
	struct metric *src = metric_reg_get(reg, "ups1", &sd),
		      *trap = metric_reg_get(reg, "ups1", &td);
	int64_t t = 1700000000000;
	ups1_polled(f, reg, src, t, t + 20, 3); /* on mains */
	/* a forged trap: nothing until the re-poll, which reads mains */
	metric_put(reg, trap, t + 1000, 1);
	assert_int_equal((int)src->value, 3);
	ups1_polled(f, reg, src, t + 1001, t + 1030, 3);
	assert_int_equal((int)src->value, 3);
	assert_int_equal(ev.n, 0);
	/* another; a poll that began before it ends (no reading since): still waiting */
	metric_put(reg, trap, t + 2000, 1);
	ups1_status.last_poll_ms = t + 1500;
	facility_device_polled(f, "ups1", t + 2010);
	assert_int_equal((int)src->value, 3);
	assert_int_equal(src->ts_ms, t + 1001);
	/* its re-poll gets no answer: the trap's state stands and the alert fires */
	ups1_status.state = DEV_STATE_UNREACHABLE;
	ups1_polled(f, reg, src, t + 2020, t + 2300, NAN);
	assert_int_equal(src->quality, QUALITY_OK);
	assert_int_equal((int)src->value, 5);
	assert_int_equal(src->ts_ms, t + 2300);
	assert_int_equal(ev.n, 1);
	assert_string_equal(ev.dev[0], "ups1");
	/* settled: the next poll's answer is the device's own again */
	ups1_status.state = DEV_STATE_UP;
	ups1_polled(f, reg, src, t + 12000, t + 12020, 3);
	assert_int_equal((int)src->value, 3);
	engine_fx_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_graph_tree_ab_group),
		cmocka_unit_test(test_graph_standby_sources),
		cmocka_unit_test(test_graph_config_errors),
		cmocka_unit_test(test_predict),
		cmocka_unit_test(test_generator_runtime),
		cmocka_unit_test(test_generator_runtime_on_poll),
		cmocka_unit_test(test_generator_quantized_level),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_quality_and_suppression),
		cmocka_unit_test(test_suppression_input),
		cmocka_unit_test(test_quality_at_tick),
		cmocka_unit_test(test_stale_unreachable),
		cmocka_unit_test(test_records_move_on_drop),
		cmocka_unit_test(test_trap_metrics_are_no_sensor),
		cmocka_unit_test(test_trap_waits_for_poll),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
