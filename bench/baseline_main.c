/* bench/baseline: CPU per sample of anomaly rules (hour-of-week baselines) at 100,000
 * metrics on one core.
 *
 * 1,000 devices x 100 gauges, one rule `anomaly: {deviation: 3, margin: 5, learn: 1d}` matching
 * them all.  Two weeks of hourly reports fill every baseline slot (not timed), then
 * ROUNDS rounds of reports 10 s apart go through the registry into the engine (360: the
 * next hour, taken from the baseline once a metric, as at a 10 s interval).  The
 * same run with an `above` rule that never fires instead is the control: the
 * difference (baseline_extra_ns_per_sample) is what judging against a baseline adds
 * per sample on top of the engine's own cost (which bench/rules measures;
 * bench/baseline.sh runs both in turn, at 10,000 and 100,000 metrics).
 *
 *   bench_baseline [ROUNDS=360] [DEVICES=1000]
 *
 * Prints one final line of key=value.  For counts that do not depend on the machine's
 * load, run it under callgrind with a few devices and collect the timed rounds only:
 *
 *   valgrind --tool=callgrind --cache-sim=yes --collect-atstart=no \
 *     --toggle-collect='timed_rounds*' --dump-after='timed_rounds*' bench_baseline 20 40
 *   grep summary callgrind.out.PID.1 callgrind.out.PID.2
 *
 * (instructions, reads, writes and cache misses of ROUNDS x DEVICES x 100 values: .1 with
 * the `above` rule, .2 with the anomaly rule; the difference is the anomaly rule's).
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

/* Bytes allocated, mmap'd chunks included (the engine's baselines come in slabs of
 * 130 KB, above malloc's mmap threshold). */
static size_t heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static bool count_firing(void *arg, const struct alert_view *v)
{
	*(size_t *)arg += v->state != ALERT_OK;
	return true;
}

static double rounds_from(struct metric_reg *reg, struct metric **ms, int rounds, int64_t t1)
{
	double cpu = 0;
	for (int r = 1; r <= rounds; r++)
		cpu += run_round(reg, ms, t1 + r * 10000LL);
	return cpu;
}

/* The engine's timed rounds, a function of their own for callgrind's toggle. */
__attribute__((noinline)) static double timed_rounds(struct metric_reg *reg, struct metric **ms,
						    int rounds, int64_t t1)
{
	return rounds_from(reg, ms, rounds, t1);
}

/* CPU seconds of ROUNDS rounds through an engine with the one rule, after the warm-up;
 * *heap: bytes the warm-up left per metric (the baselines). */
static double run_engine(struct cfg_rule *rule, int rounds, double *heap, size_t *not_ok)
{
	struct cfg cfg = {.rules = rule, .nrules = 1};
	int64_t t1 = T1;
	char err[128];
	struct alert_engine *e = alert_engine_new(&cfg, NULL, 0, NULL, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "bench_baseline: %s\n", err);
		exit(1);
	}
	struct metric_reg *reg = metric_reg_new();
	alert_engine_attach(e, reg);
	struct metric **ms = make_metrics(reg);
	size_t heap0 = heap_used();
	for (int h = 0; h < WARM_HOURS; h++)
		run_round(reg, ms, T0 + h * HOUR_MS);
	*heap = (double)(heap_used() - heap0) / nmetrics;
	double cpu = timed_rounds(reg, ms, rounds, t1);
	*not_ok = 0;
	alert_engine_foreach(e, t1, count_firing, not_ok);
	alert_engine_free(e);
	metric_reg_free(reg);
	free(ms);
	return cpu;
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
	int64_t t1 = T1;

	struct metric_reg *base = metric_reg_new();
	struct metric **bm = make_metrics(base);
	run_round(base, bm, t1);
	double base_cpu = rounds_from(base, bm, rounds, t1);
	metric_reg_free(base);
	free(bm);

	/* the control: the same engine and binding with a level rule that never fires */
	struct cfg_rule above = {.name = "above", .type = RULE_ABOVE, .warn = 1000, .crit = NAN,
				 .clear_warn = NAN, .clear_crit = NAN,
				 .match = {.metric = "*_percent"}};
	struct cfg_rule anomaly = {.name = "anomaly", .type = RULE_ANOMALY, .deviation = 3,
				   .margin = 5, .learn_ms = 24 * HOUR_MS, .warn = NAN, .crit = NAN,
				   .clear_warn = NAN, .clear_crit = NAN,
				   .match = {.metric = "*_percent"}};
	double heap_above, heap;
	size_t not_ok_above, not_ok;
	double cpu_above = run_engine(&above, rounds, &heap_above, &not_ok_above);
	double cpu = run_engine(&anomaly, rounds, &heap, &not_ok);
	double samples = (double)rounds * nmetrics;
	printf("metrics=%d rounds=%d samples=%.0f registry_ns_per_sample=%.1f "
	       "above_rule_ns_per_sample=%.1f anomaly_rule_ns_per_sample=%.1f "
	       "baseline_extra_ns_per_sample=%.1f baseline_bytes_per_metric=%.0f not_ok=%zu\n",
	       nmetrics, rounds, samples, base_cpu / samples * 1e9,
	       (cpu_above - base_cpu) / samples * 1e9, (cpu - base_cpu) / samples * 1e9,
	       (cpu - cpu_above) / samples * 1e9, heap - heap_above, not_ok);
	return 0;
}
