/* resources: CPU, memory, swap, load and file systems of this machine, from /proc and
 * statvfs().  The SNMP poller reports the same names for remote servers
 * (HOST-RESOURCES-MIB / UCD-SNMP-MIB); see docs/METRICS.md.
 *
 * | name                     | kind  | unit    | inst (label) | meaning                        |
 * |--------------------------|-------|---------|--------------|--------------------------------|
 * | cpu_used_percent         | gauge | percent |              | non-idle, non-iowait CPU time   |
 * | cpu_iowait_percent       | gauge | percent |              | CPU time idle waiting for I/O   |
 * | memory_total_bytes       | gauge | bytes   |              | MemTotal                        |
 * | memory_used_bytes        | gauge | bytes   |              | MemTotal - MemAvailable         |
 * | memory_used_percent      | gauge | percent |              | used / total x 100              |
 * | swap_total_bytes         | gauge | bytes   |              | SwapTotal                       |
 * | swap_used_bytes          | gauge | bytes   |              | SwapTotal - SwapFree            |
 * | swap_used_percent        | gauge | percent |              | used / total x 100; 0 if none   |
 * | load_average_1m_count    | gauge |         |              | 1-minute load average           |
 * | load_average_5m_count    | gauge |         |              | 5-minute load average           |
 * | load_average_15m_count   | gauge |         |              | 15-minute load average          |
 * | fs_size_bytes            | gauge | bytes   | mount        | f_blocks x f_frsize             |
 * | fs_used_bytes            | gauge | bytes   | mount        | (f_blocks - f_bfree) x f_frsize |
 * | fs_used_percent          | gauge | percent | mount        | used / (used + avail) x 100, as |
 * |                          |       |         |              | df shows it (reserved excluded) |
 * | fs_inodes_used_percent   | gauge | percent | mount        | (f_files - f_ffree) / f_files;  |
 * |                          |       |         |              | absent if the fs has no inodes  |
 *
 * CPU percentages are over the time between two polls: the first poll only primes
 * them and reports nothing for them.  File systems come from /proc/self/mounts,
 * leaving out pseudo and in-memory types (mounts_type_ignored(): proc, sysfs, tmpfs,
 * devtmpfs, devpts, cgroup*, squashfs, ...) and bind mounts of an already listed
 * file system (the shortest mount point is kept); overlay (a container's root) is
 * kept.  Their metrics are created on first sight.  statvfs() on a hung network file
 * system blocks, so it runs on the worker pool (env->wq); when it has not answered by
 * the job deadline the file-system metrics are errors "timeout", and until that call
 * returns later polls report "statvfs stalled" instead of queueing more.
 * An unreadable /proc file is logged (rate-limited) and its metrics are errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/host_checks.h"
#include "dcmon/log.h"
#include "dcmon/workq.h"
#include "mounts.h"
#include "pollers.h"
#include "pollutil.h"

#define RES_FILE_MAX 8192 /* bytes read of /proc/stat first line, meminfo, loadavg */

enum {
	M_CPU, M_IOWAIT, M_MEM_TOTAL, M_MEM_USED, M_MEM_PCT, M_SWAP_TOTAL, M_SWAP_USED,
	M_SWAP_PCT, M_LOAD1, M_LOAD5, M_LOAD15, M_COUNT
};
enum { F_SIZE, F_USED, F_PCT, F_INODES, F_COUNT };

static const struct {
	const char *name, *unit;
} res_defs[M_COUNT] = {
	[M_CPU] = {"cpu_used_percent", "percent"},
	[M_IOWAIT] = {"cpu_iowait_percent", "percent"},
	[M_MEM_TOTAL] = {"memory_total_bytes", "bytes"},
	[M_MEM_USED] = {"memory_used_bytes", "bytes"},
	[M_MEM_PCT] = {"memory_used_percent", "percent"},
	[M_SWAP_TOTAL] = {"swap_total_bytes", "bytes"},
	[M_SWAP_USED] = {"swap_used_bytes", "bytes"},
	[M_SWAP_PCT] = {"swap_used_percent", "percent"},
	[M_LOAD1] = {"load_average_1m_count", ""},
	[M_LOAD5] = {"load_average_5m_count", ""},
	[M_LOAD15] = {"load_average_15m_count", ""},
}, fs_defs[F_COUNT] = {
	[F_SIZE] = {"fs_size_bytes", "bytes"},
	[F_USED] = {"fs_used_bytes", "bytes"},
	[F_PCT] = {"fs_used_percent", "percent"},
	[F_INODES] = {"fs_inodes_used_percent", "percent"},
};

struct cpu_times {
	uint64_t total;  /* jiffies, all states except guest (already in user) */
	uint64_t idle;   /* jiffies idle */
	uint64_t iowait; /* jiffies waiting for I/O */
};

/* A file system seen at least once. */
struct res_fs {
	char *dir;
	struct metric *m[F_COUNT]; /* m[F_INODES] NULL until the fs reports inodes */
	struct res_fs *next;
};

struct res_inst;

/* statvfs work handed to the pool.  `in` is NULL once the instance is gone. */
struct res_batch {
	struct res_inst *in;
	struct mount_list mounts;
};

struct res_inst {
	struct loop *loop;
	struct metric_reg *reg;
	struct workq *wq;             /* may be NULL: statvfs then runs inline */
	char *dev;
	int64_t interval_ms;
	struct metric *m[M_COUNT];
	struct cpu_times prev;        /* last /proc/stat reading */
	bool primed;                  /* prev is valid */
	struct res_fs *fs;            /* file systems seen, newest first */
	struct log_complaint complaint;

	struct poll_job *job;         /* NULL when idle */
	const char *why;              /* first failure of this poll, NULL if none */
	struct res_batch *batch;      /* statvfs work not yet returned, or NULL */
	bool waiting;                 /* this poll waits for `batch` */
	struct loop_timer *timer;     /* job deadline while waiting */
};

static bool res_wants(const struct cfg_device *dev)
{
	return resources_of(dev) == RES_LOCAL;
}

/* ---- create / free ------------------------------------------------------------ */

static struct metric *res_metric(struct res_inst *in, const char *name, const char *unit,
				 const char *mount)
{
	struct metric_desc d = {.name = name, .unit = unit, .kind = METRIC_GAUGE,
				.inst_label = mount ? "mount" : NULL, .inst = mount,
				.interval_ms = in->interval_ms};
	struct metric *m = metric_reg_get(in->reg, in->dev, &d);

	if (m == NULL)
		log_warn("resources", in->dev, "cannot register metric %s", name);
	return m;
}

static void res_free(void *arg)
{
	struct res_inst *in = arg;

	if (in == NULL)
		return;
	loop_timer_cancel(in->loop, in->timer);
	if (in->batch != NULL)
		in->batch->in = NULL; /* the worker's completion frees it */
	while (in->fs != NULL) {
		struct res_fs *f = in->fs;
		in->fs = f->next;
		free(f->dir);
		free(f);
	}
	free(in->dev);
	free(in);
}

static void *res_create(const struct poller_env *env, const struct cfg_device *dev,
			char *err, size_t errlen)
{
	struct res_inst *in = calloc(1, sizeof(*in));

	if (in == NULL || (in->dev = strdup(dev->id)) == NULL) {
		snprintf(err, errlen, "no memory");
		free(in);
		return NULL;
	}
	in->loop = env->loop;
	in->reg = env->reg;
	in->wq = env->wq;
	in->interval_ms = dev->interval_ms;
	for (int i = 0; i < M_COUNT; i++) {
		if ((in->m[i] = res_metric(in, res_defs[i].name, res_defs[i].unit, NULL)) == NULL) {
			snprintf(err, errlen, "cannot register %s", res_defs[i].name);
			res_free(in);
			return NULL;
		}
	}
	return in;
}

/* ---- /proc readers -------------------------------------------------------------- */

/* Reads a small /proc file into buf; 0 or a negative errno (logged, rate-limited). */
static int res_read(struct res_inst *in, const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (f == NULL) {
		int err = errno;
		log_complain(&in->complaint, loop_now_ms(in->loop), "resources", in->dev,
			     "cannot read %s: %s", path, pollutil_errname(err));
		return -err;
	}
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* Reports an error for metrics [from, to] and remembers the first failure. */
static void res_fail(struct res_inst *in, int from, int to, const char *why)
{
	for (int i = from; i <= to; i++)
		metric_put_error(in->reg, in->m[i], in->job->ts_ms, why);
	if (in->why == NULL)
		in->why = why;
}

static void res_put(struct res_inst *in, int i, double v)
{
	metric_put(in->reg, in->m[i], in->job->ts_ms, v);
}

static int res_parse_cpu(const char *stat, struct cpu_times *t)
{
	uint64_t v[8] = {0};

	if (sscanf(stat, "cpu %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			 " %" SCNu64 " %" SCNu64 " %" SCNu64,
		   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 5)
		return -EINVAL;
	t->total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	t->idle = v[3];
	t->iowait = v[4];
	return 0;
}

static void res_poll_cpu(struct res_inst *in, char *buf, size_t len)
{
	struct cpu_times now, p = in->prev;

	if (res_read(in, "/proc/stat", buf, len) < 0 || res_parse_cpu(buf, &now) < 0) {
		res_fail(in, M_CPU, M_IOWAIT, "/proc/stat unreadable");
		in->primed = false;
		return;
	}
	in->prev = now;
	if (!in->primed || now.total <= p.total || now.idle < p.idle || now.iowait < p.iowait) {
		in->primed = true; /* first reading, or no time passed: nothing to report */
		return;
	}
	double dt = (double)(now.total - p.total);
	double didle = (double)(now.idle - p.idle), dio = (double)(now.iowait - p.iowait);
	double used = 100.0 * (dt - didle - dio) / dt;
	res_put(in, M_CPU, used < 0 ? 0 : used);
	res_put(in, M_IOWAIT, 100.0 * dio / dt);
}

/* Value of a meminfo field in bytes, or -1 if absent. */
static double meminfo_get(const char *buf, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = buf; p != NULL && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned long long kb;
		if (strncmp(p, key, kl) == 0 && p[kl] == ':' &&
		    sscanf(p + kl + 1, "%llu", &kb) == 1)
			return (double)kb * 1024.0;
	}
	return -1;
}

static void res_poll_memory(struct res_inst *in, char *buf, size_t len)
{
	double total, avail, stotal, sfree;

	if (res_read(in, "/proc/meminfo", buf, len) < 0) {
		res_fail(in, M_MEM_TOTAL, M_SWAP_PCT, "/proc/meminfo unreadable");
		return;
	}
	total = meminfo_get(buf, "MemTotal");
	avail = meminfo_get(buf, "MemAvailable");
	stotal = meminfo_get(buf, "SwapTotal");
	sfree = meminfo_get(buf, "SwapFree");
	if (total <= 0 || avail < 0 || stotal < 0 || sfree < 0) {
		res_fail(in, M_MEM_TOTAL, M_SWAP_PCT, "/proc/meminfo: fields missing");
		return;
	}
	res_put(in, M_MEM_TOTAL, total);
	res_put(in, M_MEM_USED, total - avail);
	res_put(in, M_MEM_PCT, 100.0 * (total - avail) / total);
	res_put(in, M_SWAP_TOTAL, stotal);
	res_put(in, M_SWAP_USED, stotal - sfree);
	res_put(in, M_SWAP_PCT, stotal > 0 ? 100.0 * (stotal - sfree) / stotal : 0.0);
}

static void res_poll_load(struct res_inst *in, char *buf, size_t len)
{
	double l1, l5, l15;

	if (res_read(in, "/proc/loadavg", buf, len) < 0 ||
	    sscanf(buf, "%lf %lf %lf", &l1, &l5, &l15) != 3) {
		res_fail(in, M_LOAD1, M_LOAD15, "/proc/loadavg unreadable");
		return;
	}
	res_put(in, M_LOAD1, l1);
	res_put(in, M_LOAD5, l5);
	res_put(in, M_LOAD15, l15);
}

/* ---- file systems --------------------------------------------------------------- */

static struct res_fs *res_fs_find(struct res_inst *in, const char *dir)
{
	struct res_fs *f = in->fs;

	while (f != NULL && strcmp(f->dir, dir) != 0)
		f = f->next;
	return f;
}

/* The file system's entry, created (with its metrics) on first sight; NULL on error. */
static struct res_fs *res_fs_get(struct res_inst *in, const char *dir)
{
	struct res_fs *f = res_fs_find(in, dir);

	if (f != NULL)
		return f;
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->dir = strdup(dir)) == NULL) {
		free(f);
		return NULL;
	}
	for (int i = F_SIZE; i < F_INODES; i++) {
		if ((f->m[i] = res_metric(in, fs_defs[i].name, fs_defs[i].unit, dir)) == NULL) {
			free(f->dir);
			free(f);
			return NULL;
		}
	}
	f->next = in->fs;
	in->fs = f;
	return f;
}

/* Reports an error on every metric of a known file system. */
static void res_fs_error(struct res_inst *in, struct res_fs *f, const char *why)
{
	for (int i = 0; i < F_COUNT; i++)
		if (f->m[i] != NULL)
			metric_put_error(in->reg, f->m[i], in->job->ts_ms, why);
}

static void res_fs_report(struct res_inst *in, const struct mount_ent *e)
{
	const struct statvfs *s = &e->sv;
	struct res_fs *f = res_fs_get(in, e->dir);
	double fr = (double)s->f_frsize, used = (double)(s->f_blocks - s->f_bfree) * fr;
	double avail = (double)s->f_bavail * fr;
	int64_t ts = in->job->ts_ms;

	if (f == NULL)
		return;
	metric_put(in->reg, f->m[F_SIZE], ts, (double)s->f_blocks * fr);
	metric_put(in->reg, f->m[F_USED], ts, used);
	metric_put(in->reg, f->m[F_PCT], ts, used + avail > 0 ? 100.0 * used / (used + avail) : 0);
	if (s->f_files == 0)
		return;
	if (f->m[F_INODES] == NULL)
		f->m[F_INODES] = res_metric(in, fs_defs[F_INODES].name, "percent", e->dir);
	if (f->m[F_INODES] != NULL)
		metric_put(in->reg, f->m[F_INODES], ts,
			   100.0 * (double)(s->f_files - s->f_ffree) / (double)s->f_files);
}

/* Reports the statvfs results of a batch. */
static void res_fs_results(struct res_inst *in, const struct mount_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct mount_ent *e = &l->v[i];
		struct res_fs *f;
		if (e->dup)
			continue;
		if (e->err == 0 && e->sv.f_blocks > 0) {
			res_fs_report(in, e);
		} else if (e->err != 0 && (f = res_fs_find(in, e->dir)) != NULL) {
			res_fs_error(in, f, pollutil_errname(e->err));
			in->why = in->why ? in->why : "statvfs failed";
		}
	}
}

/* Known file systems still mounted get an error: their statvfs did not return. */
static void res_fs_all_error(struct res_inst *in, const struct mount_list *l,
			     const char *why)
{
	for (size_t i = 0; i < l->n; i++) {
		struct res_fs *f = res_fs_find(in, l->v[i].dir);
		if (f != NULL)
			res_fs_error(in, f, why);
	}
	in->why = in->why ? in->why : why;
}

/* ---- the poll ----------------------------------------------------------------- */

static void res_end(struct res_inst *in)
{
	struct poll_job *job = in->job;
	const char *why = in->why;

	loop_timer_cancel(in->loop, in->timer);
	in->timer = NULL;
	in->job = NULL;
	in->waiting = false;
	poll_job_done(job, why ? POLL_PARTIAL : POLL_OK, why);
}

static void res_batch_work(void *arg)
{
	struct res_batch *b = arg;

	mounts_stat(&b->mounts);
}

static void res_batch_done(struct loop *loop, void *arg)
{
	struct res_batch *b = arg;
	struct res_inst *in = b->in;

	if (in != NULL) {
		in->batch = NULL;
		if (in->waiting) {
			res_fs_results(in, &b->mounts);
			res_end(in);
		}
	}
	mounts_free(&b->mounts);
	free(b);
}

static void res_on_deadline(struct loop *loop, void *arg)
{
	struct res_inst *in = arg;

	in->timer = NULL;
	res_fs_all_error(in, &in->batch->mounts, "timeout");
	res_end(in); /* the batch stays outstanding: later polls see it stalled */
}

/* Reads the mount table and hands the statvfs calls to the pool (or runs them). */
static void res_poll_fs(struct res_inst *in)
{
	struct res_batch *b;
	int rc;

	if (in->batch != NULL) {
		res_fs_all_error(in, &in->batch->mounts, "statvfs stalled");
		res_end(in);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL || (rc = mounts_read("/proc/self/mounts", &b->mounts)) < 0) {
		if (b != NULL)
			mounts_free(&b->mounts);
		free(b);
		log_complain(&in->complaint, loop_now_ms(in->loop), "resources", in->dev,
			     "cannot read /proc/self/mounts");
		in->why = in->why ? in->why : "/proc/self/mounts unreadable";
		res_end(in);
		return;
	}
	b->in = in;
	if (in->wq == NULL || workq_submit(in->wq, res_batch_work, res_batch_done, b) < 0) {
		mounts_stat(&b->mounts); /* no pool: inline (may block on a hung mount) */
		in->batch = b;
		in->waiting = true;
		res_batch_done(in->loop, b);
		return;
	}
	in->batch = b;
	in->waiting = true;
	in->timer = loop_timer_at(in->loop, in->job->deadline_ms, res_on_deadline, in);
}

static void res_start(void *arg, struct poll_job *job)
{
	struct res_inst *in = arg;
	char *buf = malloc(RES_FILE_MAX);

	in->job = job;
	in->why = NULL;
	if (buf == NULL) {
		res_fail(in, 0, M_COUNT - 1, "ENOMEM");
		res_end(in);
		return;
	}
	res_poll_cpu(in, buf, RES_FILE_MAX);
	res_poll_memory(in, buf, RES_FILE_MAX);
	res_poll_load(in, buf, RES_FILE_MAX);
	free(buf);
	res_poll_fs(in);
}

static void res_cancel(void *arg)
{
	struct res_inst *in = arg;

	if (in->job == NULL)
		return;
	loop_timer_cancel(in->loop, in->timer);
	in->timer = NULL;
	in->waiting = false; /* the batch's completion is dropped when it returns */
	in->job = NULL;
}

const struct poller_ops resources_poller = {
	.name = "resources",
	.wants = res_wants,
	.create = res_create,
	.start = res_start,
	.cancel = res_cancel,
	.free = res_free,
};
