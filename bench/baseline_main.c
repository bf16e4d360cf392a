/* bench/baseline: CPU per sample of anomaly rules (hour-of-week baselines) at 100,000
 * metrics on one core.
 *
 * 1,000 devices x 100 gauges, one rule `anomaly: {deviation: 3, margin: 5, learn: 1d}` matching
 * them all.  Two weeks of hourly reports fill every baseline slot (not timed), then
 * ROUNDS rounds of reports 10 s apart go through the registry into the engine (360: the
 * next hour, taken from the baseline once a metric, as at a 10 s interval).  The
 * same with an `above` rule that never fires instead is the control: the difference
 * (baseline_extra_ns_per_sample) is what judging against a baseline adds per sample on
 * top of the engine's own cost (which bench/rules measures; bench/baseline.sh runs both
 * in turn, at 10,000 and 100,000 metrics).  The registry alone, the `above` engine and
 * the anomaly engine each have their own registry and metrics and take turns round by
 * round: on a shared machine a difference of two runs made minutes apart carried the
 * load's swings (the extra came out negative at a load of 14).
 *
 *   bench_baseline [ROUNDS=360] [DEVICES=1000]
 *
 * Prints one final line of key=value.  For counts that do not depend on the machine's
 * load, run it under callgrind with a few devices; each kind of timed round is a
 * function of its own:
 *
 *   valgrind --tool=callgrind --cache-sim=yes bench_baseline 20 40
 *   callgrind_annotate --inclusive=yes callgrind.out.PID | grep -E '_round '
 *
 * (instructions, reads, writes and cache misses of ROUNDS x DEVICES x 100 values:
 * above_round with the `above` rule, anomaly_round with the anomaly rule; the
 * difference is the anomaly rule's).
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "dcmon/alert.h"
#include "dcmon/baseline.h"
#include "dcmon/config.h"
#include "dcmon/log.h"
#include "dcmon/metric.h"

#define NMET 100
#define T0 1767225600000LL  /* 2026-01-01 */
#define HOUR_MS 3600000LL
#define WARM_HOURS (14 * 24) /* every slot of the week seen twice */
/* 10 s before the hour after the warm-up: timed round r at T1 + r x 10 s, so that 360
 * rounds are that hour, each metric taking its slot once */
#define T1 (T0 + WARM_HOURS * HOUR_MS - 10000)

static int nmetrics = 1000 * NMET; /* metrics: devices x NMET */

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct metric **make_metrics(struct metric_reg *reg)
{
	struct metric **ms = calloc(nmetrics, sizeof(*ms));
	for (int i = 0; i < nmetrics; i++) {
		char dev[32], name[32];
		snprintf(dev, sizeof(dev), "dev-%d", i / NMET);
		snprintf(name, sizeof(name), "p%d_percent", i % NMET);
		struct metric_desc desc = {.name = name, .unit = "percent", .kind = METRIC_GAUGE,
					   .interval_ms = 10000};
		ms[i] = metric_reg_get(reg, dev, &desc);
	}
	return ms;
}

/* A daily cycle with a little spread (0..4, mixed from metric and time): inside the
 * band, so every report is judged and joins its slot. */
static double sample(size_t i, int64_t ts_ms)
{
	double h = (double)(ts_ms % (24 * HOUR_MS)) / (double)HOUR_MS;
	uint64_t mix = ((uint64_t)i * 2654435761u) ^ ((uint64_t)(ts_ms / 10000) * 40503u);
	return 50 + 10 * sin(h * M_PI / 12) + (double)((mix >> 7) % 5);
}

static double run_round(struct metric_reg *reg, struct metric **ms, int64_t ts_ms)
{
	double t = cpu_s();
	for (size_t i = 0; i < (size_t)nmetrics; i++)
		metric_put(reg, ms[i], ts_ms, sample(i, ts_ms));
	return cpu_s() - t;
}

/* Bytes allocated, mmap'd chunks included, and the slabs of 130 KB the engine's
 * baselines come in (mapped by their pool, outside malloc). */
static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd + baseline_pool_mapped();
}

static bool count_firing(void *arg, const struct alert_view *v)
{
	*(size_t *)arg += v->state != ALERT_OK;
	return true;
}

/* One registry, with an engine of one rule or none, its metrics and its timed CPU. */
struct run {
	struct alert_engine *e; /* NULL: the registry alone */
	struct metric_reg *reg;
	struct metric **ms;
	double cpu;  /* seconds of its timed rounds */
	double heap; /* bytes per metric the warm-up left (the baselines) */
};

/* A registry with an engine of the one rule (NULL: none), warmed up: two weeks of
 * hourly reports fill every baseline slot. */
static void run_setup(struct run *x, struct cfg *cfg)
{
	char err[128];
	*x = (struct run){.reg = metric_reg_new()};
	if (cfg && !(x->e = alert_engine_new(cfg, NULL, 0, NULL, err, sizeof(err)))) {
		fprintf(stderr, "bench_baseline: %s\n", err);
		exit(1);
	}
	if (x->e)
		alert_engine_attach(x->e, x->reg);
	x->ms = make_metrics(x->reg);
	size_t heap0 = heap_used();
	for (int h = 0; h < WARM_HOURS && x->e; h++)
		run_round(x->reg, x->ms, T0 + h * HOUR_MS);
	if (!x->e)
		run_round(x->reg, x->ms, T1);
	x->heap = (double)(heap_used() - heap0) / nmetrics;
}

/* A timed round of each kind, functions of their own for callgrind (see the top). */
__attribute__((noinline)) static double registry_round(struct run *x, int64_t ts_ms)
{
	return run_round(x->reg, x->ms, ts_ms);
}
__attribute__((noinline)) static double above_round(struct run *x, int64_t ts_ms)
{
	return run_round(x->reg, x->ms, ts_ms);
}
__attribute__((noinline)) static double anomaly_round(struct run *x, int64_t ts_ms)
{
	return run_round(x->reg, x->ms, ts_ms);
}

/* ROUNDS rounds 10 s apart, the three runs taking turns round by round (the order
 * turning too), so that the machine's load of the moment weighs on each alike. */
static void timed_rounds(struct run x[3], int rounds)
{
	double (*const fn[3])(struct run *, int64_t) = {registry_round, above_round,
							 anomaly_round};
	for (int r = 1; r <= rounds; r++)
		for (int k = 0; k < 3; k++) {
			int i = (k + r) % 3;
			x[i].cpu += fn[i](&x[i], T1 + r * 10000LL);
		}
}

/* Alerts not OK left in x's engine; frees x. */
static size_t run_free(struct run *x)
{
	size_t not_ok = 0;
	if (x->e)
		alert_engine_foreach(x->e, T1, count_firing, &not_ok);
	alert_engine_free(x->e);
	metric_reg_free(x->reg);
	free(x->ms);
	return not_ok;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 360;
	if (rounds < 1 || rounds > 100000)
		rounds = 360;
	int devices = argc > 2 ? atoi(argv[2]) : 1000;
	if (devices >= 1 && devices <= 100000)
		nmetrics = devices * NMET;
	log_set_level(LOG_LVL_WARN);

	/* the control: the same engine and binding with a level rule that never fires */
	struct cfg_rule above = {.name = "above", .type = RULE_ABOVE, .warn = 1000, .crit = NAN,
				 .clear_warn = NAN, .clear_crit = NAN,
				 .match = {.metric = "*_percent"}};
	struct cfg_rule anomaly = {.name = "anomaly", .type = RULE_ANOMALY, .deviation = 3,
				   .margin = 5, .learn_ms = 24 * HOUR_MS, .warn = NAN, .crit = NAN,
				   .clear_warn = NAN, .clear_crit = NAN,
				   .match = {.metric = "*_percent"}};
	struct cfg above_cfg = {.rules = &above, .nrules = 1};
	struct cfg anomaly_cfg = {.rules = &anomaly, .nrules = 1};
	struct run x[3];
	run_setup(&x[0], NULL);
	run_setup(&x[1], &above_cfg);
	run_setup(&x[2], &anomaly_cfg);
	timed_rounds(x, rounds);
	double base_cpu = x[0].cpu, cpu_above = x[1].cpu, cpu = x[2].cpu;
	double heap_above = x[1].heap, heap = x[2].heap;
	run_free(&x[0]);
	size_t not_ok = run_free(&x[1]) + run_free(&x[2]);
	double samples = (double)rounds * nmetrics;
	printf("metrics=%d rounds=%d samples=%.0f registry_ns_per_sample=%.1f "
	       "above_rule_ns_per_sample=%.1f anomaly_rule_ns_per_sample=%.1f "
	       "baseline_extra_ns_per_sample=%.1f baseline_bytes_per_metric=%.0f not_ok=%zu\n",
	       nmetrics, rounds, samples, base_cpu / samples * 1e9,
	       (cpu_above - base_cpu) / samples * 1e9, (cpu - base_cpu) / samples * 1e9,
	       (cpu - cpu_above) / samples * 1e9, heap - heap_above, not_ok);
	return 0;
}
