/* bench/archive: CPU cost of the archive's rrdcached path per value.
 *
 * FILES gauges (100 per device) report through the metric registry into an archive that
 * writes through rrdcached.  One first report per metric creates the files (timed
 * apart); then UPDATES reports per metric (one step apart) are queued and written in
 * one writer round (archive_flush).  CPU time is the whole process's (loop side and
 * writer thread), and rrdcached's over the same window when its PID is given.
 *
 *   bench_archive ADDR DATA_DIR [FILES=20000] [UPDATES=10] [RRDCACHED_PID]
 *
 * Prints one final line of key=value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "dcmon/archive.h"
#include "dcmon/metric.h"

#include "bench_gauges.h"

#define T0 1700000000LL /* a step-aligned past time, seconds */
#define STEP 10         /* seconds between reports */
#define PER_DEVICE 100  /* metrics per device */

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds used so far by process pid (/proc), or 0. */
static double pid_cpu_s(int pid)
{
	char path[64];
	unsigned long ut = 0, st = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = pid > 0 ? fopen(path, "r") : NULL;
	if (!f)
		return 0;
	/* fields 14 and 15: utime, stime (the name in field 2 has no spaces here) */
	int n = fscanf(f, "%*d %*s %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
	fclose(f);
	return n == 2 ? (double)(ut + st) / (double)sysconf(_SC_CLK_TCK) : 0;
}

/* Reports value round k for every metric. */
static void report_round(struct metric_reg *reg, struct metric **m, int n, int k)
{
	for (int i = 0; i < n; i++)
		metric_put(reg, m[i], (T0 + (long long)k * STEP) * 1000, i + k * 0.5);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_archive ADDR DATA_DIR [FILES] [UPDATES]\n");
		return 2;
	}
	int files = argc > 3 ? atoi(argv[3]) : 20000, updates = argc > 4 ? atoi(argv[4]) : 10;
	int cached_pid = argc > 5 ? atoi(argv[5]) : 0;
	char err[256];
	struct archive_opts o = {.data_dir = argv[2], .rrdcached = argv[1], .flush_ms = 600000};
	struct archive *a = archive_new(&o, err, sizeof(err));
	if (!a) {
		fprintf(stderr, "archive: %s\n", err);
		return 1;
	}
	struct metric_reg *reg = metric_reg_new();
	archive_set_slot(a, metric_reg_add_sink(reg, archive_sink(), a));
	struct metric **m = bench_gauges(reg, files, PER_DEVICE, "power_watts", STEP * 1000);
	if (!m)
		return 1;
	double c0 = cpu_s(), w0 = wall_s();
	report_round(reg, m, files, 1);
	archive_flush(a);
	double c1 = cpu_s(), w1 = wall_s(), r1 = pid_cpu_s(cached_pid);
	for (int k = 2; k <= updates + 1; k++)
		report_round(reg, m, files, k);
	archive_flush(a);
	double c2 = cpu_s(), w2 = wall_s(), r2 = pid_cpu_s(cached_pid);
	struct archive_stats s;
	archive_get_stats(a, &s);
	double n = (double)files * updates;
	printf("files=%d updates=%d create_wall_s=%.2f create_cpu_s=%.2f written=%llu failed=%llu "
	       "cpu_s=%.3f wall_s=%.3f cpu_us_per_value=%.2f rrdcached_cpu_us_per_value=%.2f\n",
	       files, updates, w1 - w0, c1 - c0, (unsigned long long)s.written,
	       (unsigned long long)s.failed, c2 - c1, w2 - w1, (c2 - c1) * 1e6 / n,
	       (r2 - r1) * 1e6 / n);
	archive_free(a);
	metric_reg_free(reg);
	free(m);
	return s.written == (unsigned long long)files * (updates + 1) ? 0 : 1;
}
