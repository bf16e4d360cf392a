/* The RRD layout of the archive and the librrd calls that create, verify and update a
 * file.  Only the thread-safe (_r) entry points of librrd are used. */
#include "archive_int.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <rrd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define DAY_S 86400
#define RRD_FILE_MODE 0640 /* like every state file: closed to others (core/daemon_files.c) */

/* The archives of every file: resolution and how far back it reaches.
 * resolution 0 means "one step".  The one-step archive keeps AVERAGE only: MIN and MAX
 * of a single primary data point are that same value (rrdcreate(1)), and two more
 * archives written at every update would cost a third more disk and page writes per
 * value for nothing; the consolidated ones keep AVERAGE, MIN and MAX. */
static const struct {
	int64_t res_s;  /* consolidated resolution, seconds */
	int64_t span_s; /* time covered, seconds */
} rra_table[] = {
    {0, 2 * DAY_S},        /* raw step for 2 days */
    {300, 14 * DAY_S},     /* 5 min for 2 weeks */
    {3600, 396 * DAY_S},   /* 1 h for 13 months */
    {DAY_S, 1826 * DAY_S}, /* 1 day for 5 years */
};
static const char *const rra_cfs[] = {"AVERAGE", "MIN", "MAX"};

#define RRA_CFS (sizeof(rra_cfs) / sizeof(rra_cfs[0]))
#define RRA_COUNT (sizeof(rra_table) / sizeof(rra_table[0]) * RRA_CFS) /* upper bound */
#define DEF_MAX 64 /* bytes of one DS:/RRA: definition */
#define RRA_RES_COUNT (sizeof(rra_table) / sizeof(rra_table[0]))

/* Steps per row (pdp) and rows of the archives of resolution i for a file of step_s. */
static void rra_shape(size_t i, unsigned long step_s, int64_t *pdp, int64_t *rows)
{
	int64_t res = rra_table[i].res_s;
	*pdp = res ? (res + (int64_t)step_s / 2) / (int64_t)step_s : 1;
	if (*pdp < 1)
		*pdp = 1;
	int64_t width = *pdp * (int64_t)step_s;
	*rows = (rra_table[i].span_s + width - 1) / width;
}

const char *archive_ds_type(enum metric_kind kind)
{
	return kind == METRIC_COUNTER ? "DERIVE" : "GAUGE";
}

unsigned long archive_rrd_step(int64_t interval_ms)
{
	int64_t s = (interval_ms + 500) / 1000;
	return s < 1 ? 1 : (unsigned long)s;
}

/* Fills defs with the DS and RRA definitions for a file; returns how many. */
static int rrd_layout(char defs[][DEF_MAX], unsigned long step_s, enum metric_kind kind)
{
	int n = 0;
	snprintf(defs[n++], DEF_MAX, "DS:%s:%s:%lu:%s:U", ARCHIVE_DS_NAME, archive_ds_type(kind),
	         2 * step_s, kind == METRIC_COUNTER ? "0" : "U");
	for (size_t i = 0; i < RRA_RES_COUNT; i++) {
		int64_t pdp, rows;
		rra_shape(i, step_s, &pdp, &rows);
		for (size_t c = 0; c < (pdp == 1 ? 1 : RRA_CFS); c++)
			snprintf(defs[n++], DEF_MAX, "RRA:%s:0.5:%" PRId64 ":%" PRId64, rra_cfs[c],
			         pdp, rows);
	}
	return n;
}

/* Bytes of a new file: 8 per row of every archive, plus headers (a few KB at most). */
static uint64_t rrd_file_bytes(unsigned long step_s)
{
	uint64_t bytes = 4096;
	for (size_t i = 0; i < RRA_RES_COUNT; i++) {
		int64_t pdp, rows;
		rra_shape(i, step_s, &pdp, &rows);
		bytes += (uint64_t)rows * 8 * (pdp == 1 ? 1 : RRA_CFS);
	}
	return bytes;
}

/* Why a librrd call that left no message failed, looked for in the file's directory:
 * -ENOSPC when it has less than need bytes or no inode left for us, else the errno
 * the call left (librrd 1.7 reports no error when writing its temporary file fails on
 * a full disk, and errno is then that of its clean-up). */
static int rrd_dir_cause(const char *path, uint64_t need, int call_errno)
{
	char dir[PATH_MAX];
	struct statvfs sv;
	if (need == 0) /* a read */
		return call_errno ? -call_errno : -EIO;
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (statvfs(slash ? dir : ".", &sv) == 0) {
		/* root may use the blocks reserved for it, others may not */
		uint64_t blocks = geteuid() == 0 ? sv.f_bfree : sv.f_bavail;
		uint64_t inodes = geteuid() == 0 ? sv.f_ffree : sv.f_favail;
		if (blocks * sv.f_frsize < need || (sv.f_files > 0 && inodes == 0))
			return -ENOSPC;
	}
	return call_errno ? -call_errno : -EIO;
}

/* Copies librrd's thread-local error into err and clears it; returns the cause as a
 * negative errno (-ENOSPC: the disk is full, the call may succeed later).  need: bytes
 * the call had to add to the file system (0: it only reads). */
static int rrd_take_error(const char *path, uint64_t need, int call_errno, char *err, size_t errlen)
{
	const char *msg = rrd_get_error();
	int cause;
	if (msg && *msg) {
		cause = strstr(msg, strerror(ENOSPC)) ? -ENOSPC : -EIO;
		snprintf(err, errlen, "%s", msg);
	} else {
		cause = rrd_dir_cause(path, need, call_errno);
		snprintf(err, errlen, "%s%s", strerror(-cause),
		         cause == -ENOSPC ? "" : " (librrd gave no reason)");
	}
	rrd_clear_error();
	return cause;
}

int archive_rrd_create(const char *path, unsigned long step_s, enum metric_kind kind,
                       int64_t last_s, char *err, size_t errlen)
{
	char defs[1 + RRA_COUNT][DEF_MAX];
	const char *argv[1 + RRA_COUNT];
	int n = rrd_layout(defs, step_s, kind);
	for (int i = 0; i < n; i++)
		argv[i] = defs[i];
	rrd_clear_error();
	errno = 0;
	if (rrd_create_r2(path, step_s, (time_t)last_s, 1, NULL, NULL, n, argv) == 0) {
		(void)chmod(path, RRD_FILE_MODE); /* librrd makes it 0644 whatever the umask */
		return 0;
	}
	int call_errno = errno;
	int ret = access(path, F_OK) == 0 ? -EEXIST : 0;
	int cause = rrd_take_error(path, rrd_file_bytes(step_s), call_errno, err, errlen);
	return ret ? ret : cause;
}

/* Checks one info entry against the expected layout.  Returns false on a mismatch. */
static bool rrd_check_entry(const rrd_info_t *i, unsigned long step_s, const char *ds_type,
                            int64_t *last_s, bool *has_ds, char *err, size_t errlen)
{
	static const char ds_key[] = "ds[" ARCHIVE_DS_NAME "].type";
	if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT) {
		if (i->value.u_cnt == step_s)
			return true;
		snprintf(err, errlen, "step is %lu s, expected %lu s", i->value.u_cnt, step_s);
		return false;
	}
	if (strcmp(i->key, "last_update") == 0 && i->type == RD_I_CNT) {
		*last_s = (int64_t)i->value.u_cnt;
		return true;
	}
	if (strncmp(i->key, "ds[", 3) != 0 || i->type != RD_I_STR || !strstr(i->key, "].type"))
		return true;
	if (strcmp(i->key, ds_key) != 0) {
		snprintf(err, errlen, "unexpected data source %s", i->key);
		return false;
	}
	*has_ds = true;
	if (strcmp(i->value.u_str, ds_type) == 0)
		return true;
	snprintf(err, errlen, "data source type is %s, expected %s", i->value.u_str, ds_type);
	return false;
}

/* The check through librrd: for every file the header reader cannot vouch for, so
 * that a mismatch or an odd file gets librrd's judgement and message. */
static int rrd_check_info(const char *path, unsigned long step_s, enum metric_kind kind,
                          int64_t *last_s, char *err, size_t errlen)
{
	rrd_clear_error();
	errno = 0;
	rrd_info_t *info = rrd_info_r(path);
	if (!info) {
		int call_errno = errno;
		rrd_take_error(path, 0, call_errno, err, errlen);
		return -EIO;
	}
	bool ok = true, has_ds = false;
	for (rrd_info_t *i = info; i && ok; i = i->next)
		ok =
		    rrd_check_entry(i, step_s, archive_ds_type(kind), last_s, &has_ds, err, errlen);
	rrd_info_free(info);
	if (ok && !has_ds) {
		snprintf(err, errlen, "no data source \"%s\"", ARCHIVE_DS_NAME);
		ok = false;
	}
	return ok ? 0 : -EMEDIUMTYPE;
}

int archive_rrd_check(const char *path, unsigned long step_s, enum metric_kind kind,
                      int64_t *last_s, char *err, size_t errlen)
{
	struct archive_rrd_head h;
	int r = archive_rrd_head_read(path, &h);
	if (r == 0 && h.step_s == step_s && strcmp(h.ds_name, ARCHIVE_DS_NAME) == 0 &&
	    strcmp(h.ds_type, archive_ds_type(kind)) == 0) {
		*last_s = h.last_s;
		return 0;
	}
	if (r < 0 && r != -EAGAIN) {
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	int64_t last = 0;
	r = rrd_check_info(path, step_s, kind, &last, err, errlen);
	if (r == 0)
		*last_s = last;
	return r;
}

int archive_rrd_update(const char *path, int n, const char **argv, char *err, size_t errlen)
{
	rrd_clear_error();
	errno = 0;
	if (rrd_update_r(path, NULL, n, argv) == 0)
		return 0;
	int call_errno = errno;
	return rrd_take_error(path, 4096, call_errno, err, errlen);
}

int archive_rrd_mkdir_parent(const char *path)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

/* Writes v in decimal at out (room for 20 characters); returns the length. */
static size_t format_int(char *out, int64_t v)
{
	char rev[20];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		rev[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		out[len++] = '-';
	while (n > 0)
		out[len++] = rev[--n];
	return len;
}

/* True when v is an integer that %.17g and %.0f both print as its plain digits (SNMP
 * and Modbus readings mostly are): below 2^53 every integral double is exact. */
static bool format_is_plain_int(double v)
{
	return fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v && !(v == 0 && signbit(v));
}

int archive_rrd_format(char *buf, size_t len, enum metric_kind kind, struct archive_point p)
{
	/* snprintf's %.17g was most of the archive's formatting cost (perf, bench/snmp.sh):
	 * integers, the common case, are written digit by digit, with the same text. */
	char tmp[ARCHIVE_FORMAT_MAX];
	size_t n = format_int(tmp, p.t_s);
	tmp[n++] = ':';
	int r;
	if (isnan(p.v)) {
		tmp[n++] = 'U';
		r = (int)n;
	} else if (format_is_plain_int(p.v)) {
		r = (int)(n + format_int(tmp + n, (int64_t)p.v));
	} else {
		/* DERIVE is parsed as an integer by librrd: write counters without a fraction. */
		r = snprintf(tmp + n, sizeof(tmp) - n, kind == METRIC_COUNTER ? "%.0f" : "%.17g", p.v);
		r = r < 0 || (size_t)r >= sizeof(tmp) - n ? -1 : (int)n + r;
	}
	if (r < 0 || (size_t)r >= len)
		return -ENOBUFS;
	memcpy(buf, tmp, (size_t)r);
	buf[r] = '\0';
	return r;
}

static pthread_mutex_t rrd_getopt_mutex = PTHREAD_MUTEX_INITIALIZER;

void archive_rrd_getopt_lock(void)
{
	pthread_mutex_lock(&rrd_getopt_mutex);
}

void archive_rrd_getopt_unlock(void)
{
	pthread_mutex_unlock(&rrd_getopt_mutex);
}

int archive_fetch(const char *path, const char *daemon, const char *start, const char *end,
		  struct archive_series *out, char *err, size_t errlen)
{
	const char *argv[] = {"fetch", path,	  "AVERAGE", "--start", start, "--end",
			      end,     daemon ? "--daemon" : NULL, daemon, NULL};
	int argc = daemon ? 9 : 7;
	time_t from = 0, to = 0;
	unsigned long step = 0, nds = 0;
	char **names = NULL;
	rrd_value_t *data = NULL;
	*out = (struct archive_series){0};
	archive_rrd_getopt_lock();
	rrd_clear_error();
	optind = 0; /* rrd_fetch parses with getopt */
	opterr = 0;
	int rc = -1;
	int fetched = rrd_fetch(argc, (char **)argv, &from, &to, &step, &nds, &names, &data);
	archive_rrd_getopt_unlock();
	if (fetched != 0 || nds < 1 || step == 0) {
		const char *e = rrd_get_error();
		snprintf(err, errlen, "fetch: %s", e && *e ? e : "no data source");
	} else {
		/* rows are the steps after `from` up to `to`, nds values each */
		size_t n = to > from ? (size_t)((to - from) / (time_t)step) : 0;
		out->v = malloc((n ? n : 1) * sizeof(*out->v));
		if (!out->v) {
			snprintf(err, errlen, "out of memory");
		} else {
			for (size_t i = 0; i < n; i++)
				out->v[i] = data[i * nds];
			out->first_s = (int64_t)from + (int64_t)step;
			out->step_s = (int64_t)step;
			out->n = n;
			rc = 0;
		}
	}
	for (unsigned long i = 0; names && i < nds; i++)
		free(names[i]);
	free(names);
	free(data);
	rrd_clear_error();
	return rc;
}

int archive_graph(const char *const *args, size_t nargs, const char *daemon,
		  unsigned char **img, size_t *len, char *err, size_t errlen)
{
	const char **argv = calloc(nargs + 5, sizeof(*argv));
	size_t argc = 0;
	*img = NULL;
	*len = 0;
	if (!argv) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	argv[argc++] = "graph";
	argv[argc++] = "-";
	for (size_t i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	if (daemon) {
		argv[argc++] = "--daemon";
		argv[argc++] = daemon;
	}
	archive_rrd_getopt_lock();
	rrd_clear_error();
	optind = 0; /* rrd_graph_v parses with getopt */
	opterr = 0;
	rrd_info_t *info = rrd_graph_v((int)argc, (char **)argv);
	archive_rrd_getopt_unlock();
	for (rrd_info_t *i = info; i && !*img; i = i->next) {
		if (i->type == RD_I_BLO && strcmp(i->key, "image") == 0 && i->value.u_blo.size > 0 &&
		    (*img = malloc(i->value.u_blo.size))) {
			memcpy(*img, i->value.u_blo.ptr, i->value.u_blo.size);
			*len = i->value.u_blo.size;
		}
	}
	if (!*img) {
		const char *e = rrd_get_error();
		snprintf(err, errlen, "graph: %s", e && *e ? e : "librrd drew no image");
	}
	rrd_clear_error();
	rrd_info_free(info);
	free(argv);
	return *img ? 0 : -1;
}
