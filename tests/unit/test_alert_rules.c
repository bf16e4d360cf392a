/* Rules: selectors, precedence, and every condition (above/below with hysteresis and
 * `for`, state, rate, no-data), driven through the real registry and engine with a
 * controllable clock (sample timestamps and tick times are passed in). */
#include "alert_fixture.h"

#include <errno.h>

#include "alert_int.h"
#include "dcmon/cfgtree.h"

/* One report and what the alert must be after it. */
struct step {
	int64_t dt_s;       /* seconds after FX_T0 */
	double v;           /* NAN: report an error instead */
	enum alert_state st;
	enum cfg_severity sev; /* checked when st is PENDING or FIRING */
};

static void run_steps(struct fx *f, struct metric *m, const char *rule, const struct step *s,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int64_t ts = FX_T0 + s[i].dt_s * 1000;
		if (isnan(s[i].v))
			metric_put_error(f->reg, m, ts, "timeout");
		else
			metric_put(f->reg, m, ts, s[i].v);
		struct alert_view v;
		enum alert_state st = fx_state(f, rule, m->device, m->key, ts, &v);
		if (st != s[i].st)
			fail_msg("step %zu (t=%llds v=%g): state %s, want %s", i,
				 (long long)s[i].dt_s, s[i].v, alert_state_name(st),
				 alert_state_name(s[i].st));
		if ((st == ALERT_PENDING || st == ALERT_FIRING) && v.severity != s[i].sev)
			fail_msg("step %zu (v=%g): severity %s, want %s", i, s[i].v,
				 cfg_severity_name(v.severity), cfg_severity_name(s[i].sev));
	}
}

/* ---- above / below with hysteresis ---------------------------------------------- */

static void test_above_hysteresis(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: load\n"
				"    match: {metric: load_percent}\n"
				"    above: {warn: 80, crit: 90, clear_warn: 75, clear_crit: 85}\n",
			      false);
	struct metric *m = fx_metric(f, "ups-1", "load_percent", METRIC_GAUGE, NULL);
	const struct step steps[] = {
		{0, 70, ALERT_OK, 0},
		{10, 80, ALERT_OK, 0},                   /* at the level: not above */
		{20, 80.5, ALERT_FIRING, SEV_WARNING},
		{30, 78, ALERT_FIRING, SEV_WARNING},     /* below warn, above clear_warn */
		{40, 75, ALERT_RESOLVED, 0},             /* at clear_warn: clears */
		{50, 81, ALERT_FIRING, SEV_WARNING},
		{60, 91, ALERT_FIRING, SEV_CRITICAL},
		{70, 86, ALERT_FIRING, SEV_CRITICAL},    /* above clear_crit */
		{80, NAN, ALERT_FIRING, SEV_CRITICAL},   /* error: holds */
		{90, 85, ALERT_FIRING, SEV_WARNING},     /* at clear_crit: down to warning */
		{100, 95, ALERT_FIRING, SEV_CRITICAL},
		{110, 60, ALERT_RESOLVED, 0},            /* straight down */
	};
	run_steps(f, m, "load", steps, sizeof(steps) / sizeof(steps[0]));
	/* Events: fired, resolved, fired, 3 severity changes, resolved. */
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), 2);
	assert_int_equal(fx_count(f, ALERT_EV_SEVERITY), 3);
	assert_int_equal(fx_count(f, ALERT_EV_RESOLVED), 2);
	assert_int_equal(f->ev[0].severity, SEV_WARNING);
	assert_int_equal(f->ev[0].ts_ms, FX_T0 + 20000);
	assert_true(f->ev[0].value == 80.5);
	assert_string_equal(f->ev[0].metric, "load_percent");
	fx_free(f);
}

static void test_below_levels(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: runtime\n"
				"    match: {kind: ups, metric: battery_runtime_seconds}\n"
				"    below: {warn: 900, crit: 480, clear_warn: 1200}\n",
			      false);
	struct metric *m = fx_metric(f, "ups-2", "battery_runtime_seconds", METRIC_GAUGE, NULL);
	const struct step steps[] = {
		{0, 3000, ALERT_OK, 0},
		{10, 900, ALERT_OK, 0},
		{20, 899, ALERT_FIRING, SEV_WARNING},
		{30, 1100, ALERT_FIRING, SEV_WARNING}, /* under clear_warn */
		{40, 479, ALERT_FIRING, SEV_CRITICAL},
		{50, 480, ALERT_FIRING, SEV_WARNING},  /* clear_crit = crit */
		{60, 1200, ALERT_RESOLVED, 0},
	};
	run_steps(f, m, "runtime", steps, sizeof(steps) / sizeof(steps[0]));
	fx_free(f);
}

/* Levels from metrics of the same device and instance (a sensor's own thresholds), the
 * rule's numbers when the device gives none; another instance's levels are not taken. */
static void test_levels_from_metrics(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: temp\n"
				"    match: {metric: temp_celsius}\n"
				"    above: {warn: 85, crit: 95, clear_warn: 80,\n"
				"            warn_from: temp_warn_celsius, crit_from: temp_crit_celsius}\n",
			      false);
	struct metric *asic = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, "asic");
	struct metric *cpu = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, "cpu");
	struct metric *asic_warn = fx_metric(f, "ups-1", "temp_warn_celsius", METRIC_GAUGE, "asic");
	struct metric *asic_crit = fx_metric(f, "ups-1", "temp_crit_celsius", METRIC_GAUGE, "asic");
	metric_put(f->reg, asic_warn, FX_T0, 105);
	metric_put(f->reg, asic_crit, FX_T0, 110);
	const struct step asic_steps[] = {
		{0, 100, ALERT_OK, 0},                   /* past 95, below the device's 105 */
		{10, 106, ALERT_FIRING, SEV_WARNING},
		{20, 101, ALERT_FIRING, SEV_WARNING},    /* the clear level keeps its 5 */
		{30, 100, ALERT_RESOLVED, 0},
		{40, 111, ALERT_FIRING, SEV_CRITICAL},
	};
	run_steps(f, asic, "temp", asic_steps, sizeof(asic_steps) / sizeof(asic_steps[0]));
	const struct step cpu_steps[] = {
		{0, 84, ALERT_OK, 0},
		{10, 90, ALERT_FIRING, SEV_WARNING},     /* no levels of its own: 85 */
		{20, 96, ALERT_FIRING, SEV_CRITICAL},
	};
	run_steps(f, cpu, "temp", cpu_steps, sizeof(cpu_steps) / sizeof(cpu_steps[0]));
	/* the device's level gone (an error): the rule's own again */
	metric_put_error(f->reg, asic_crit, FX_T0 + 50000, "timeout");
	const struct step fallback[] = {{60, 100, ALERT_FIRING, SEV_CRITICAL}};
	run_steps(f, asic, "temp", fallback, 1);
	fx_free(f);
}

/* Inf, NaN and errors never fire nor clear. */
static void test_bad_values_hold(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - {name: t, match: {metric: temp_celsius}, below: {crit: 5}}\n",
			      false);
	struct metric *m = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, NULL);
	const struct step steps[] = {
		{0, NAN, ALERT_OK, 0},
		{10, -INFINITY, ALERT_OK, 0}, /* registry turns it into an error */
		{20, 4, ALERT_FIRING, SEV_CRITICAL},
		{30, INFINITY, ALERT_FIRING, SEV_CRITICAL},
		{40, NAN, ALERT_FIRING, SEV_CRITICAL},
		{50, 6, ALERT_RESOLVED, 0},
	};
	run_steps(f, m, "t", steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(f->nev, 2);
	fx_free(f);
}

/* ---- for ----------------------------------------------------------------------- */

static void test_for_duration(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: hot\n"
				"    match: {metric: temp_celsius}\n"
				"    above: {warn: 27, crit: 32}\n"
				"    for: 30s\n",
			      false);
	struct metric *m = fx_metric(f, "ups-1", "temp_celsius", METRIC_GAUGE, NULL);
	const struct step steps[] = {
		{0, 28, ALERT_PENDING, SEV_WARNING},
		{10, 28, ALERT_PENDING, SEV_WARNING},
		{20, 26, ALERT_OK, 0}, /* cancelled before 30 s */
		{30, 28, ALERT_PENDING, SEV_WARNING},
		{40, NAN, ALERT_PENDING, SEV_WARNING}, /* an error does not cancel */
		{50, 33, ALERT_PENDING, SEV_CRITICAL},
		{59, 33, ALERT_PENDING, SEV_CRITICAL}, /* 29 s */
		{60, 33, ALERT_FIRING, SEV_CRITICAL},  /* 30 s */
	};
	run_steps(f, m, "hot", steps, sizeof(steps) / sizeof(steps[0]));
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), 1);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].severity, SEV_CRITICAL);

	/* A value that stays put fires on the tick once `for` has elapsed. */
	struct metric *m2 = fx_metric(f, "ups-2", "temp_celsius", METRIC_GAUGE, NULL);
	metric_put(f->reg, m2, FX_T0 + 100000, 29);
	alert_engine_tick(f->e, FX_T0 + 129999);
	assert_int_equal(fx_state(f, "hot", "ups-2", "temp_celsius", FX_T0 + 129999, NULL),
			 ALERT_PENDING);
	alert_engine_tick(f->e, FX_T0 + 130000);
	assert_int_equal(fx_state(f, "hot", "ups-2", "temp_celsius", FX_T0 + 130000, NULL),
			 ALERT_FIRING);
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), 2);
	fx_free(f);
}

/* ---- state --------------------------------------------------------------------- */

static void test_state_values(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: on-battery\n"
				"    match: {kind: ups, metric: output_source_state}\n"
				"    state: {values: [battery, 2], severity: critical}\n",
			      false);
	struct metric *m = fx_metric(f, "ups-1", "output_source_state", METRIC_STATE, NULL);
	const struct step steps[] = {
		{0, 3, ALERT_OK, 0},                     /* normal */
		{10, 5, ALERT_FIRING, SEV_CRITICAL},     /* battery, by name */
		{20, 3, ALERT_RESOLVED, 0},
		{30, 2, ALERT_FIRING, SEV_CRITICAL},     /* none, by number */
		{40, 2.5, ALERT_RESOLVED, 0},            /* not a state value */
		{50, 7, ALERT_RESOLVED, 0},              /* unnamed */
	};
	run_steps(f, m, "on-battery", steps, sizeof(steps) / sizeof(steps[0]));
	fx_free(f);
}

/* ---- rate ---------------------------------------------------------------------- */

static void test_rate_of_change(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: fuel-drop\n"
				"    match: {metric: fuel_level_percent}\n"
				"    rate: {warn: -5, crit: -10, per: h, window: 10m}\n",
			      false);
	struct metric *m = fx_metric(f, "ups-1", "fuel_level_percent", METRIC_GAUGE, NULL);
	double v = 80;
	struct alert_view av;
	for (int i = 0; i <= 40; i++) { /* one sample a minute */
		int64_t ts = FX_T0 + (int64_t)i * 60000;
		metric_put(f->reg, m, ts, v);
		enum alert_state st = fx_state(f, "fuel-drop", "ups-1", "fuel_level_percent", ts, &av);
		if (i == 4) /* 4 min of data: under half the window, nothing judged */
			assert_int_equal(st, ALERT_OK);
		if (i == 5) { /* 6 %/h down */
			assert_int_equal(st, ALERT_FIRING);
			assert_int_equal(av.severity, SEV_WARNING);
			assert_true(fabs(av.value - -6.0) < 1e-6);
		}
		if (i == 22) { /* the whole window at 12 %/h */
			assert_int_equal(av.severity, SEV_CRITICAL);
			assert_true(fabs(av.value - -12.0) < 1e-6);
		}
		if (i == 40) /* flat for 10 min */
			assert_int_equal(st, ALERT_RESOLVED);
		v -= i < 10 ? 0.1 : (i < 30 ? 0.2 : 0);
	}
	fx_free(f);
}

/* ---- no data ------------------------------------------------------------------- */

static void test_nodata(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - name: silent\n"
				"    match: {device: web-1}\n"
				"    nodata: {intervals: 3, severity: critical}\n",
			      false);
	struct metric *m = fx_metric(f, "web-1", "cpu_percent", METRIC_GAUGE, NULL);
	metric_put(f->reg, m, FX_T0, 10);
	metric_put_error(f->reg, m, FX_T0 + 20000, "timeout");
	alert_engine_tick(f->e, FX_T0 + 30000); /* 3 intervals: not longer than */
	assert_int_equal(fx_state(f, "silent", "web-1", "cpu_percent", FX_T0, NULL), ALERT_OK);
	metric_put_error(f->reg, m, FX_T0 + 30001, "timeout"); /* reports re-judge too */
	struct alert_view v;
	assert_int_equal(fx_state(f, "silent", "web-1", "cpu_percent", FX_T0, &v), ALERT_FIRING);
	assert_int_equal(v.severity, SEV_CRITICAL);
	metric_put(f->reg, m, FX_T0 + 40000, 11);
	assert_int_equal(fx_state(f, "silent", "web-1", "cpu_percent", FX_T0, NULL),
			 ALERT_RESOLVED);
	/* A metric that never had a value counts from when it was first seen. */
	struct metric *m2 = fx_metric(f, "web-1", "mem_used_percent", METRIC_GAUGE, NULL);
	metric_put_error(f->reg, m2, FX_T0 + 50000, "refused");
	alert_engine_tick(f->e, FX_T0 + 80000);
	assert_int_equal(fx_state(f, "silent", "web-1", "mem_used_percent", FX_T0, NULL), ALERT_OK);
	alert_engine_tick(f->e, FX_T0 + 80001);
	assert_int_equal(fx_state(f, "silent", "web-1", "mem_used_percent", FX_T0, NULL),
			 ALERT_FIRING);
	fx_free(f);
}

/* ---- selectors ----------------------------------------------------------------- */

static void test_selectors(void **state)
{
	struct fx *f = fx_new(FX_DEVICES "rules:\n"
				"  - {name: devglob, match: {device: 'ups-*', metric: load_percent}, above: {warn: 0}}\n"
				"  - {name: kind, match: {kind: server, metric: cpu_percent}, above: {warn: 0}}\n"
				"  - {name: room, match: {site: s1, room: hall-2, metric: load_percent}, above: {warn: 0}}\n"
				"  - {name: tenant, match: {tenant: acme, metric: cpu_percent}, above: {warn: 0}}\n"
				"  - {name: labels, match: {labels: {role: db}, metric: cpu_percent}, above: {warn: 0}}\n"
				"  - {name: mglob, match: {metric: 'fs_*_percent'}, above: {warn: 0}}\n"
				"  - {name: inst, match: {metric: fs_used_percent, inst: '/var*'}, above: {warn: 0}}\n",
			      false);
	struct {
		const char *dev, *name, *inst;
	} metrics[] = {
		{"ups-1", "load_percent", NULL},  {"ups-2", "load_percent", NULL},
		{"web-1", "cpu_percent", NULL},   {"db-1", "cpu_percent", NULL},
		{"db-1", "fs_used_percent", "/var/log"}, {"db-1", "fs_used_percent", "/"},
		{"x-1", "load_percent", NULL}, /* not in the config */
	};
	for (size_t i = 0; i < sizeof(metrics) / sizeof(metrics[0]); i++) {
		struct metric *m = fx_metric(f, metrics[i].dev, metrics[i].name, METRIC_GAUGE,
					     metrics[i].inst);
		metric_put(f->reg, m, FX_T0, 1);
	}
	const char *want[] = {
		"devglob ups-1 load_percent", "devglob ups-2 load_percent",
		"kind web-1 cpu_percent",      "kind db-1 cpu_percent",
		"room ups-2 load_percent",     "tenant web-1 cpu_percent",
		"labels db-1 cpu_percent",     "mglob db-1 fs_used_percent@/var/log",
		"mglob db-1 fs_used_percent@/", "inst db-1 fs_used_percent@/var/log",
	};
	size_t nwant = sizeof(want) / sizeof(want[0]);
	assert_int_equal(fx_count(f, ALERT_EV_FIRED), (int)nwant);
	for (size_t i = 0; i < nwant; i++) {
		char rule[32], dev[32], key[64];
		assert_int_equal(sscanf(want[i], "%31s %31s %63s", rule, dev, key), 3);
		if (fx_state(f, rule, dev, key, FX_T0, NULL) != ALERT_FIRING)
			fail_msg("expected %s to fire", want[i]);
	}
	size_t unmatched;
	assert_int_equal(alert_engine_rule_count(f->e, &unmatched), 7);
	assert_int_equal(unmatched, 0);
	fx_free(f);
}

/* ---- precedence ------------------------------------------------------------------ */

static struct cfg_rule mk_rule(const char *name, double warn)
{
	return (struct cfg_rule){.name = (char *)name, .type = RULE_ABOVE, .warn = warn,
				 .crit = NAN, .clear_warn = NAN, .clear_crit = NAN,
				 .match = {.metric = (char *)"temp_celsius"}};
}

/* Same name: device > tenant > room > site > kind > global > profile default; a tie
 * goes to the later rule. */
static void test_precedence(void **state)
{
	struct cfg_label lab = {(char *)"role", (char *)"web"};
	struct cfg_device devs[] = {
		{.id = (char *)"web-1", .kind = DEV_SERVER, .tenant = (char *)"acme",
		 .profile = (char *)"srv", .loc = {.site = (char *)"s1", .room = (char *)"h1"},
		 .labels = &lab, .nlabels = 1},
		{.id = (char *)"web-2", .kind = DEV_SERVER, .profile = (char *)"srv",
		 .loc = {.site = (char *)"s1", .room = (char *)"h2"}},
		{.id = (char *)"web-3", .kind = DEV_SERVER, .profile = (char *)"srv",
		 .loc = {.site = (char *)"s2"}},
		{.id = (char *)"web-4", .kind = DEV_SERVER, .profile = (char *)"srv"},
		{.id = (char *)"ups-9", .kind = DEV_UPS, .profile = (char *)"srv"},
		{.id = (char *)"pdu-1", .kind = DEV_PDU},
	};
	struct cfg_rule rules[] = {
		mk_rule("temp", 60), mk_rule("temp", 61), mk_rule("temp", 62), mk_rule("temp", 63),
		mk_rule("temp", 64), mk_rule("temp", 65), mk_rule("other", 70),
	};
	rules[0].match.device = (char *)"web-1"; /* listed first: rank wins, not order */
	rules[1].match.tenant = (char *)"acme";
	rules[2].match.room = (char *)"h2";
	rules[3].match.site = (char *)"s2";
	rules[4].match.kind = (char *)"server";
	/* rules[5]: global; rules[6]: another name */
	struct cfg cfg = {.devices = devs, .ndevices = 6, .rules = rules, .nrules = 7};
	struct cfg_rule prof[] = {mk_rule("temp", 50), mk_rule("pdu-only", 40)};
	struct alert_rule_src src = {.profile = "srv", .rules = prof, .nrules = 2};
	char err[64];
	struct ruleset *rs = ruleset_new(&cfg, &src, 1, err, sizeof(err));
	assert_non_null(rs);
	struct {
		const char *dev;
		double temp_warn;
	} want[] = {{"web-1", 60}, {"web-2", 62}, {"web-3", 63}, {"web-4", 64}, {"ups-9", 65},
		    {"pdu-1", 65}};
	struct rptrs out = {0};
	for (size_t i = 0; i < 6; i++) {
		struct metric m = {.device = (char *)want[i].dev, .name = (char *)"temp_celsius"};
		assert_int_equal(ruleset_match(rs, &devs[i], &m, &out), 0);
		/* temp + other, + the profile's pdu-only on the devices of profile srv */
		assert_int_equal(out.n, i < 5 ? 3 : 2);
		const struct arule *t = NULL;
		for (size_t k = 0; k < out.n; k++)
			if (strcmp(out.v[k]->src->name, "temp") == 0)
				t = out.v[k];
		assert_non_null(t);
		if (t->warn != want[i].temp_warn)
			fail_msg("%s: temp warn %g, want %g", want[i].dev, t->warn, want[i].temp_warn);
	}
	/* Without config rules, the profile default applies, only to its devices. */
	struct cfg bare = {.devices = devs, .ndevices = 6};
	struct ruleset *rs2 = ruleset_new(&bare, &src, 1, err, sizeof(err));
	struct metric m4 = {.device = (char *)"web-4", .name = (char *)"temp_celsius"};
	assert_int_equal(ruleset_match(rs2, &devs[3], &m4, &out), 0);
	assert_int_equal(out.n, 2);
	struct metric m6 = {.device = (char *)"pdu-1", .name = (char *)"temp_celsius"};
	assert_int_equal(ruleset_match(rs2, &devs[5], &m6, &out), 0);
	assert_int_equal(out.n, 0);
	free(out.v);
	ruleset_free(rs);
	ruleset_free(rs2);
}

/* ---- helpers ------------------------------------------------------------------- */

static void test_rule_level_table(void **state)
{
	struct arule up = {.up = true, .warn = 10, .crit = 20, .clear_warn = 5, .clear_crit = 15};
	struct arule down = {.up = false, .warn = 10, .crit = 5, .clear_warn = 12, .clear_crit = 7};
	struct arule critonly = {.up = true, .warn = NAN, .crit = 20, .clear_warn = NAN,
				 .clear_crit = 20};
	const struct {
		const struct arule *r;
		double v;
		enum alvl cur, want;
	} t[] = {
		{&up, 10, LVL_NONE, LVL_NONE},   {&up, 10.1, LVL_NONE, LVL_WARN},
		{&up, 6, LVL_WARN, LVL_WARN},    {&up, 5, LVL_WARN, LVL_NONE},
		{&up, 20, LVL_WARN, LVL_WARN},   {&up, 21, LVL_WARN, LVL_CRIT},
		{&up, 16, LVL_CRIT, LVL_CRIT},   {&up, 15, LVL_CRIT, LVL_WARN},
		{&up, 5, LVL_CRIT, LVL_NONE},    {&down, 10, LVL_NONE, LVL_NONE},
		{&down, 9, LVL_NONE, LVL_WARN},  {&down, 11, LVL_WARN, LVL_WARN},
		{&down, 12, LVL_WARN, LVL_NONE}, {&down, 4, LVL_NONE, LVL_CRIT},
		{&down, 6, LVL_CRIT, LVL_CRIT},  {&down, 7, LVL_CRIT, LVL_WARN},
		{&critonly, 25, LVL_NONE, LVL_CRIT}, {&critonly, 19, LVL_CRIT, LVL_NONE},
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (rule_level(t[i].r, t[i].v, t[i].cur) != t[i].want)
			fail_msg("case %zu: v=%g cur=%d: got %d want %d", i, t[i].v, t[i].cur,
				 rule_level(t[i].r, t[i].v, t[i].cur), t[i].want);
}

static void test_smap(void **state)
{
	struct smap m = {0};
	char keys[300][16];
	for (int i = 0; i < 300; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		assert_int_equal(smap_put(&m, keys[i], (void *)(intptr_t)(i + 1)), 0);
	}
	for (int i = 0; i < 300; i += 2)
		smap_del(&m, keys[i]);
	for (int i = 0; i < 300; i++)
		assert_int_equal((intptr_t)smap_get(&m, keys[i]), i % 2 ? i + 1 : 0);
	assert_int_equal(m.n, 150);
	smap_free(&m);
}

/* A profile's `rules:` list: decoded like the config's, errors with positions. */
static void test_rules_decode(void **state)
{
	struct cfg_diags d;
	cfg_diags_init(&d);
	struct cfgnode *root = cfgnode_load_string("ups.yaml",
		"rules:\n"
		"  - name: on-battery\n"
		"    match: {metric: output_source_state}\n"
		"    state: {values: [battery], severity: critical}\n"
		"  - name: load\n"
		"    match: {metric: load_percent}\n"
		"    above: {warn: 90, crit: 80}\n", &d);
	assert_non_null(root);
	struct cfg_rule *rules;
	size_t n;
	assert_int_equal(alert_rules_decode(cfgnode_get(root, "rules"), &rules, &n, &d), -EINVAL);
	assert_int_equal(n, 2);
	assert_int_equal(rules[0].type, RULE_STATE);
	assert_int_equal(rules[0].severity, SEV_CRITICAL);
	assert_string_equal(rules[0].states[0], "battery");
	assert_int_equal(d.nerrors, 1); /* warn above crit */
	assert_int_equal(d.v[0].pos.line, 7);
	assert_non_null(strstr(d.v[0].msg, "contradictory"));
	alert_rules_free(rules, n);
	cfgnode_free(root);
	cfg_diags_free(&d);

	/* levels from metrics: a metric name, and no other level needed */
	cfg_diags_init(&d);
	root = cfgnode_load_string("sw.yaml",
		"rules:\n"
		"  - {name: a, match: {metric: t_celsius}, above: {warn_from: t_warn_celsius}}\n"
		"  - {name: b, match: {metric: t_celsius}, above: {crit: 9, crit_from: Bad}}\n"
		"  - {name: c, match: {metric: t_celsius}, below: {warn_from: t_low}}\n", &d);
	assert_non_null(root);
	assert_int_equal(alert_rules_decode(cfgnode_get(root, "rules"), &rules, &n, &d), -EINVAL);
	assert_int_equal(n, 3);
	assert_string_equal(rules[0].warn_from, "t_warn_celsius");
	assert_true(isnan(rules[0].warn) && isnan(rules[0].crit));
	assert_int_equal(d.nerrors, 2);
	assert_int_equal(d.v[0].pos.line, 3);
	assert_int_equal(d.v[0].pos.col, 71);
	assert_string_equal(d.v[0].msg, "above: crit_from: expected the name of a metric of the same "
					"device and instance (NAME_unit), got 'Bad'");
	assert_int_equal(d.v[1].pos.line, 4);
	assert_non_null(strstr(d.v[1].msg, "below: warn_from: expected the name of a metric"));
	alert_rules_free(rules, n);
	cfgnode_free(root);
	cfg_diags_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_above_hysteresis), cmocka_unit_test(test_below_levels),
		cmocka_unit_test(test_bad_values_hold),  cmocka_unit_test(test_for_duration),
		cmocka_unit_test(test_state_values),     cmocka_unit_test(test_rate_of_change),
		cmocka_unit_test(test_nodata),           cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_precedence),       cmocka_unit_test(test_rule_level_table),
		cmocka_unit_test(test_smap),              cmocka_unit_test(test_rules_decode),
		cmocka_unit_test(test_levels_from_metrics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
