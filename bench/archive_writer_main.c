/* bench/archive_writer: CPU of the archive's writer thread per value while values
 * stream in (MQTT-like), the part that runs for every value whatever the archive mode:
 * taking the queue, the journal append (one write(2) per swap) and the values taken
 * into the files' buffers.
 *
 * FILES gauges (PER_DEVICE a device, as bench/mqtt.sh 100 50) report VALUES values
 * round-robin at RATE values a second of real time (reports every 10 ms), into an
 * archive whose rrdcached socket nobody listens on (as bench/mqtt.sh: nothing is
 * written, the files' buffers grow as they do for archive_flush), journal below
 * DATA_DIR.  CPU of the writer thread and of the reporting thread over the stream from
 * /proc/self/task/ID/schedstat (run time in ns); the journal's bytes a value from its
 * segments' sizes at the end (none is removed: no value is written).
 *
 *   bench_archive_writer DATA_DIR [FILES=5000] [VALUES=300000] [RATE=10000]
 *
 * Prints one final line of key=value.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dcmon/archive.h"
#include "dcmon/metric.h"

#include "bench_gauges.h"

#define T0 1700000000LL /* a step-aligned past time, seconds */
#define PER_DEVICE 50
#define TICK_MS 10 /* reports are made in bursts this often */

/* Run time of thread tid (ns), or of every thread but the caller's when tid is 0. */
static long long task_ns(pid_t tid)
{
	char path[300];
	long long sum = 0;
	DIR *d = opendir("/proc/self/task");
	for (struct dirent *e; d && (e = readdir(d));) {
		long long ns = 0;
		pid_t t = (pid_t)atoi(e->d_name);
		if (t <= 0 || (tid ? t != tid : t == getpid()))
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", e->d_name);
		FILE *f = fopen(path, "r");
		if (f && fscanf(f, "%lld", &ns) == 1)
			sum += ns;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return sum;
}

/* Bytes of the journal's segments below data_dir. */
static long long journal_bytes(const char *data_dir)
{
	char path[PATH_MAX];
	long long sum = 0;
	snprintf(path, sizeof(path), "%s/.journal", data_dir);
	DIR *d = opendir(path);
	for (struct dirent *e; d && (e = readdir(d));) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/.journal/%.200s", data_dir, e->d_name);
		if (e->d_name[0] != '.' && stat(path, &st) == 0)
			sum += st.st_size;
	}
	if (d)
		closedir(d);
	return sum;
}

static void sleep_until(const struct timespec *t)
{
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, t, NULL) == EINTR)
		;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_archive_writer DATA_DIR [FILES] [VALUES] [RATE]\n");
		return 2;
	}
	int files = argc > 2 ? atoi(argv[2]) : 5000;
	long values = argc > 3 ? atol(argv[3]) : 300000, rate = argc > 4 ? atol(argv[4]) : 10000;
	char err[256], sock[PATH_MAX];
	snprintf(sock, sizeof(sock), "unix:%s/absent.sock", argv[1]);
	struct archive_opts o = {.data_dir = argv[1], .rrdcached = sock, .flush_ms = 3600000};
	struct archive *a = archive_new(&o, err, sizeof(err));
	if (!a || files <= 0 || rate <= 0) {
		fprintf(stderr, "archive: %s\n", a ? "FILES and RATE must be > 0" : err);
		return 1;
	}
	struct metric_reg *reg = metric_reg_new();
	archive_set_slot(a, metric_reg_add_sink(reg, archive_sink(), a));
	struct metric **m = bench_gauges(reg, files, PER_DEVICE, "gauge_watts", 10000);
	if (!m)
		return 1;
	long per_tick = rate * TICK_MS / 1000 ? rate * TICK_MS / 1000 : 1;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	long long w0 = task_ns(0), r0 = task_ns(getpid());
	for (long done = 0; done < values;) {
		for (long k = 0; k < per_tick && done < values; k++, done++)
			metric_put(reg, m[done % files], (T0 * 1000 + done * 1000 / rate),
			           (double)(done % 1000) / 8);
		next.tv_nsec += TICK_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		sleep_until(&next);
	}
	usleep(500 * 1000); /* the writer's last swap of the stream */
	long long w1 = task_ns(0), r1 = task_ns(getpid());
	long long bytes = journal_bytes(argv[1]);
	struct archive_stats s;
	archive_get_stats(a, &s);
	printf("files=%d values=%ld rate=%ld writer_us_per_value=%.4f reporter_us_per_value=%.4f "
	       "journal_bytes_per_value=%.1f queued=%llu\n",
	       files, values, rate, (double)(w1 - w0) / 1e3 / (double)values,
	       (double)(r1 - r0) / 1e3 / (double)values, (double)bytes / (double)values,
	       (unsigned long long)s.queued);
	archive_free(a);
	metric_reg_free(reg);
	free(m);
	return 0;
}
