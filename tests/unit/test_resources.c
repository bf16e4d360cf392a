/* resources poller: values compared with /proc and statvfs() read by the test. */
#include "testing.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "dcmon/host_checks.h"
#include "mounts.h"
#include "pollers.h"
#include "polltest.h"

static struct polltest T;

static void *create(void)
{
	struct cfg_device dev = {.id = "me", .interval_ms = 10000, .timeout_ms = 2000};
	cfg_device_value_slot(&dev, "resources")->i = RES_LOCAL;
	return polltest_create(&T, &resources_poller, &dev);
}

static double meminfo_bytes(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb;
	double v = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0 && line[strlen(key)] == ':' &&
		    sscanf(line + strlen(key) + 1, "%llu", &kb) == 1)
			v = (double)kb * 1024;
	fclose(f);
	return v;
}

static double value(const char *name, const char *inst)
{
	struct metric *m = polltest_metric(&T, "me", name, inst);

	if (m->quality != QUALITY_OK)
		fail_msg("%s{%s}: quality %s (%s)", name, inst ? inst : "",
			 metric_quality_name(m->quality), m->reason);
	return m->value;
}

/* Lets the kernel's CPU time move on (jiffies), so two polls see a delta. */
static void wait_jiffies(void)
{
	usleep(50000);
}

static void test_cpu_memory_load(void **state)
{
	double total, avail, stotal, sfree, l1, l5, l15;
	FILE *f;
	void *in;

	polltest_init(&T);
	in = create();
	assert_int_equal(polltest_once(&T, &resources_poller, in, 3000, NULL, 0), POLL_OK);
	/* the first poll only primes the CPU figures */
	assert_int_equal(polltest_metric(&T, "me", "cpu_used_percent", NULL)->quality,
			 QUALITY_UNKNOWN);
	wait_jiffies();
	assert_int_equal(polltest_once(&T, &resources_poller, in, 3000, NULL, 0), POLL_OK);
	assert_true(value("cpu_used_percent", NULL) >= 0 && value("cpu_used_percent", NULL) <= 100);
	assert_true(value("cpu_iowait_percent", NULL) >= 0 &&
		    value("cpu_iowait_percent", NULL) <= 100);

	total = meminfo_bytes("MemTotal");
	avail = meminfo_bytes("MemAvailable");
	stotal = meminfo_bytes("SwapTotal");
	sfree = meminfo_bytes("SwapFree");
	assert_true(value("memory_total_bytes", NULL) == total);
	assert_true(fabs(value("memory_used_bytes", NULL) - (total - avail)) < 0.05 * total);
	assert_true(fabs(value("memory_used_percent", NULL) - 100 * (total - avail) / total) < 5);
	assert_true(value("swap_total_bytes", NULL) == stotal);
	assert_true(fabs(value("swap_used_bytes", NULL) - (stotal - sfree)) <= 0.05 * stotal);
	if (stotal == 0)
		assert_true(value("swap_used_percent", NULL) == 0.0);

	f = fopen("/proc/loadavg", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lf %lf %lf", &l1, &l5, &l15), 3);
	fclose(f);
	assert_true(fabs(value("load_average_1m_count", NULL) - l1) < 1 + 0.2 * l1);
	assert_true(fabs(value("load_average_5m_count", NULL) - l5) < 1 + 0.2 * l5);
	assert_true(fabs(value("load_average_15m_count", NULL) - l15) < 1 + 0.2 * l15);
	resources_poller.free(in);
	polltest_fini(&T);
}

static void test_filesystems(void **state)
{
	struct statvfs sv;
	double fr, used, avail;
	void *in;

	polltest_init(&T);
	in = create();
	assert_int_equal(polltest_once(&T, &resources_poller, in, 3000, NULL, 0), POLL_OK);
	assert_int_equal(statvfs("/", &sv), 0);
	fr = (double)sv.f_frsize;
	used = (double)(sv.f_blocks - sv.f_bfree) * fr;
	avail = (double)sv.f_bavail * fr;
	assert_true(value("fs_size_bytes", "/") == (double)sv.f_blocks * fr);
	assert_true(fabs(value("fs_used_bytes", "/") - used) < 0.01 * (double)sv.f_blocks * fr);
	assert_true(fabs(value("fs_used_percent", "/") - 100 * used / (used + avail)) < 1);
	if (sv.f_files > 0)
		assert_true(fabs(value("fs_inodes_used_percent", "/") -
				 100.0 * (double)(sv.f_files - sv.f_ffree) / (double)sv.f_files) < 1);
	assert_string_equal(polltest_metric(&T, "me", "fs_size_bytes", "/")->shape->inst_label,
			    "mount");
	/* pseudo file systems are left out */
	assert_null(metric_reg_find(T.reg, "me", "fs_used_percent", "/proc"));
	assert_null(metric_reg_find(T.reg, "me", "fs_used_percent", "/sys"));
	assert_null(metric_reg_find(T.reg, "me", "fs_used_percent", "/dev/shm"));
	resources_poller.free(in);
	polltest_fini(&T);
}

/* The mount table parser: escapes, ignored types, one entry per mount point. */
static void test_mounts_read(void **state)
{
	char path[] = "/tmp/dcmon-mounts-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	struct mount_list l;

	assert_non_null(f);
	fputs("proc /proc proc rw 0 0\n"
	      "/dev/vda / ext4 rw 0 0\n"
	      "tmpfs /run tmpfs rw 0 0\n"
	      "/dev/vdb /srv/my\\040data xfs rw 0 0\n"
	      "/dev/vdc /srv/my\\040data ext4 rw 0 0\n"
	      "garbage\n"
	      "overlay /var/lib/c overlay rw 0 0\n", f);
	fclose(f);
	assert_int_equal(mounts_read(path, &l), 0);
	unlink(path);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].dir, "/");
	assert_string_equal(l.v[1].dir, "/srv/my data");
	assert_string_equal(l.v[1].type, "ext4"); /* the later mount hides the earlier */
	assert_string_equal(l.v[2].dir, "/var/lib/c");
	mounts_free(&l);
	assert_int_equal(mounts_read("/nonexistent/mounts", &l), -ENOENT);
	mounts_free(&l);
}

/* A worker pool whose only thread is stuck stands for a hung network mount: the
 * file-system metrics time out at the deadline, later polls say "stalled" without
 * queueing more, and all recovers once the worker returns. */
static int block_fds[2];

static void block_work(void *arg)
{
	char c;

	(void)!read(block_fds[0], &c, 1);
}

static void stop_loop(struct loop *loop, void *arg)
{
	loop_stop(loop);
}

static void assert_fs_error(const char *why)
{
	struct metric *m = polltest_metric(&T, "me", "fs_used_percent", "/");

	assert_int_equal(m->quality, QUALITY_ERROR);
	assert_string_equal(m->reason, why);
}

static void test_stalled_statvfs(void **state)
{
	char why[128];
	void *in;

	polltest_init(&T);
	workq_free(T.wq);
	T.wq = workq_new(T.loop, 1);
	T.env.wq = T.wq;
	in = create();
	assert_int_equal(polltest_once(&T, &resources_poller, in, 3000, NULL, 0), POLL_OK);
	assert_true(value("fs_used_percent", "/") >= 0); /* "/" is known now */

	assert_int_equal(pipe(block_fds), 0);
	assert_int_equal(workq_submit(T.wq, block_work, NULL, NULL), 0);
	assert_int_equal(polltest_once(&T, &resources_poller, in, 200, why, sizeof(why)),
			 POLL_PARTIAL);
	assert_string_equal(why, "timeout");
	assert_fs_error("timeout");
	assert_true(value("memory_total_bytes", NULL) > 0); /* the rest still reported */
	assert_int_equal(polltest_once(&T, &resources_poller, in, 200, why, sizeof(why)),
			 POLL_PARTIAL);
	assert_string_equal(why, "statvfs stalled");
	assert_fs_error("statvfs stalled");
	assert_int_equal(workq_pending(T.wq), 2); /* nothing more was queued */

	/* the worker returns; a sentinel queued behind the batch marks its completion */
	assert_int_equal(write(block_fds[1], "x", 1), 1);
	assert_int_equal(workq_submit(T.wq, block_work, stop_loop, NULL), 0);
	assert_int_equal(write(block_fds[1], "y", 1), 1);
	assert_int_equal(loop_run(T.loop), 0);
	assert_int_equal(polltest_once(&T, &resources_poller, in, 3000, why, sizeof(why)), POLL_OK);
	assert_true(value("fs_used_percent", "/") >= 0);
	resources_poller.free(in);
	polltest_fini(&T);
	close(block_fds[0]);
	close(block_fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_memory_load),
		cmocka_unit_test(test_filesystems),
		cmocka_unit_test(test_mounts_read),
		cmocka_unit_test(test_stalled_statvfs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
