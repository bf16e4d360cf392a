/* bench/rules: evaluation throughput of the threshold engine on one core.
 *
 * 1,000 devices x 100 gauges = 100,000 metrics; 10,000 rules (8,000 per device and
 * metric, 1,300 per kind and metric, 500 metric/site globs, 200 rate and no-data rules).
 * Every metric reports once to bind its rules (timed separately), then ROUNDS rounds of
 * reports go through the registry into the engine (values wander inside the normal
 * band; 1 % of the metrics sit above their levels and fire).  CPU time is the
 * process's (one thread).  The same reports through a registry without the engine give
 * the registry's own share.  Memory per alert: heap growth while 10,000 new alerts fire,
 * divided by their count.
 *
 *   bench_rules [ROUNDS=20]
 *
 * Prints one final line of key=value.
 */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcmon/alert.h"
#include "dcmon/config.h"
#include "dcmon/log.h"
#include "dcmon/metric.h"

#define NDEV 1000
#define NMET 100
#define T0 1767225600000LL

static char *xasprintf(const char *fmt, int a, int b)
{
	char *s;
	if (asprintf(&s, fmt, a, b) < 0)
		abort();
	return s;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct cfg_rule level_rule(char *name, double warn, double crit)
{
	return (struct cfg_rule){.name = name, .type = RULE_ABOVE, .warn = warn, .crit = crit,
				 .clear_warn = NAN, .clear_crit = NAN, .rate_per_s = 1,
				 .window_ms = 300000, .nodata_intervals = 3};
}

static void make_devices(struct cfg *cfg)
{
	static char *sites[10];
	cfg->devices = calloc(NDEV, sizeof(*cfg->devices));
	cfg->ndevices = NDEV;
	for (int i = 0; i < 10; i++)
		sites[i] = xasprintf("s%d", i, 0);
	for (int d = 0; d < NDEV; d++) {
		struct cfg_device *dev = &cfg->devices[d];
		dev->id = xasprintf("dev-%d", d, 0);
		dev->kind = (enum dev_kind)(d % DEV_KIND_COUNT);
		dev->loc.site = sites[d % 10];
	}
}

static void make_rules(struct cfg *cfg)
{
	struct cfg_rule *r = calloc(10000, sizeof(*r));
	size_t n = 0;
	for (int d = 0; d < NDEV; d++) /* 8,000: one device, one metric */
		for (int j = 0; j < 8; j++) {
			r[n] = level_rule(xasprintf("dev%d-p%d", d, j), 80, 90);
			r[n].match.device = cfg->devices[d].id;
			r[n++].match.metric = xasprintf("p%d_percent", j, 0);
		}
	for (int k = 0; k < DEV_KIND_COUNT; k++) /* 1,300: kind and metric */
		for (int j = 0; j < NMET; j++) {
			r[n] = level_rule(xasprintf("kind%d-p%d", k, j), 95, 98);
			r[n].match.kind = (char *)dev_kind_name((enum dev_kind)k);
			r[n++].match.metric = xasprintf("p%d_percent", j, 0);
		}
	for (int i = 0; i < 500; i++) { /* 500: metric glob and site */
		r[n] = level_rule(xasprintf("glob%d-%d", i, 0), 97, 99);
		r[n].match.metric = xasprintf("p%d*_percent", i % 50, 0);
		r[n++].match.site = xasprintf("s%d", i % 10, 0);
	}
	for (int i = 0; i < 200; i++) { /* 200: rate (100) and no-data (100) */
		r[n] = level_rule(xasprintf("cond%d-%d", i, 0), 30, 60);
		r[n].type = i < 100 ? RULE_RATE : RULE_NODATA;
		r[n].rate_per_s = 1.0 / 60;
		r[n].match.kind = (char *)dev_kind_name((enum dev_kind)(i % DEV_KIND_COUNT));
		r[n++].match.metric = xasprintf("p%d_percent", 90 + i % 10, 0);
	}
	cfg->rules = r;
	cfg->nrules = n;
}

static struct metric **make_metrics(struct metric_reg *reg)
{
	struct metric **ms = calloc(NDEV * NMET, sizeof(*ms));
	for (int d = 0; d < NDEV; d++)
		for (int j = 0; j < NMET; j++) {
			char dev[32], name[32];
			snprintf(dev, sizeof(dev), "dev-%d", d);
			snprintf(name, sizeof(name), "p%d_percent", j);
			struct metric_desc desc = {.name = name, .unit = "percent",
						   .kind = METRIC_GAUGE, .interval_ms = 10000};
			ms[d * NMET + j] = metric_reg_get(reg, dev, &desc);
		}
	return ms;
}

/* A value inside the normal band; metric i % 100 == 7 sits above its levels. */
static double sample(size_t i, int round)
{
	if (i % 100 == 7)
		return 85 + (double)(round % 3);
	return 40 + (double)((i * 7 + (size_t)round * 13) % 20);
}

/* One round of reports; returns CPU seconds. */
static double run_round(struct metric_reg *reg, struct metric **ms, int round)
{
	int64_t ts = T0 + (int64_t)round * 10000;
	double t = cpu_s();
	for (size_t i = 0; i < NDEV * NMET; i++)
		metric_put(reg, ms[i], ts, sample(i, round));
	return cpu_s() - t;
}

static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}

struct counter {
	size_t firing, events;
};

static bool count_firing(void *arg, const struct alert_view *v)
{
	((struct counter *)arg)->firing += v->state == ALERT_FIRING;
	return true;
}

/* Counts the notifications among the engine's changes. */
static void on_event(void *arg, const struct change *c)
{
	if (alert_event_notifies(alert_event_of(c)->type))
		((struct counter *)arg)->events++;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	if (rounds < 1 || rounds > 100000)
		rounds = 20;
	log_set_level(LOG_LVL_WARN);
	struct cfg cfg = {0};
	make_devices(&cfg);
	make_rules(&cfg);

	/* Registry alone. */
	struct metric_reg *base = metric_reg_new();
	struct metric **bm = make_metrics(base);
	run_round(base, bm, 0);
	double base_cpu = 0;
	for (int r = 1; r <= rounds; r++)
		base_cpu += run_round(base, bm, r);
	metric_reg_free(base);
	free(bm);

	/* Registry and engine. */
	char err[128];
	size_t heap0 = heap_used();
	struct alert_engine *e = alert_engine_new(&cfg, NULL, 0, NULL, err, sizeof(err));
	if (!e) {
		fprintf(stderr, "bench_rules: %s\n", err);
		return 1;
	}
	size_t heap_rules = heap_used();
	struct counter cnt = {0};
	struct change_bus *bus = change_bus_new();
	change_subscribe(bus, CHANGE_MASK(CHANGE_ALERT), on_event, &cnt);
	alert_engine_set_bus(e, bus);
	struct metric_reg *reg = metric_reg_new();
	alert_engine_attach(e, reg);
	struct metric **ms = make_metrics(reg);
	size_t heap_metrics = heap_used();
	double bind_cpu = run_round(reg, ms, 0);
	size_t heap_bound = heap_used();
	double cpu = 0;
	for (int r = 1; r <= rounds; r++)
		cpu += run_round(reg, ms, r);
	alert_engine_foreach(e, T0, count_firing, &cnt);
	size_t firing_before = cnt.firing;

	/* Memory per alert: 10,000 more metrics (i % 100 == 8) go above every level. */
	size_t h0 = heap_used();
	int64_t ts = T0 + (int64_t)(rounds + 1) * 10000;
	for (size_t i = 8; i < NDEV * NMET; i += 10)
		metric_put(reg, ms[i], ts, 99.5);
	size_t h1 = heap_used();
	cnt.firing = 0;
	alert_engine_foreach(e, ts, count_firing, &cnt);
	size_t new_alerts = cnt.firing - firing_before;

	double samples = (double)rounds * NDEV * NMET;
	size_t nrules = alert_engine_rule_count(e, NULL);
	printf("rules=%zu metrics=%d rounds=%d samples=%.0f samples_per_s=%.0f "
	       "registry_only_samples_per_s=%.0f engine_ns_per_sample=%.1f bind_s=%.3f "
	       "rules_bytes=%zu bind_bytes_per_metric=%.0f firing=%zu new_alerts=%zu "
	       "bytes_per_alert=%.0f events=%zu\n",
	       nrules, NDEV * NMET, rounds, samples, samples / cpu, samples / base_cpu,
	       (cpu - base_cpu) / samples * 1e9, bind_cpu, heap_rules - heap0,
	       (double)(heap_bound - heap_metrics) / (NDEV * NMET), cnt.firing, new_alerts,
	       new_alerts ? (double)(h1 - h0) / (double)new_alerts : 0.0, cnt.events);
	alert_engine_free(e);
	metric_reg_free(reg);
	change_bus_free(bus);
	free(ms);
	return 0;
}
