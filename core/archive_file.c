/* One RRD file of the archive: its path and the values buffered for it. */
#include "archive_int.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_KEY_MAX (METRIC_NAME_MAX + 1 + 3 * METRIC_INST_MAX) /* bytes incl. NUL */
#define PTS_HEAP_MIN_LOG2 2 /* a file's first heap block: 4 values */
#define PTS_HEAP_MAX_LOG2 31

/* One per series (docs/ARCHITECTURE.md "Memory per series"). */
_Static_assert(offsetof(struct archive_file, names) <= 68,
               "struct archive_file outgrew its budget");

/* A device id becomes a directory name: refuse what would leave data_dir. */
static bool device_dir_ok(const char *dev)
{
	return dev && *dev && strcmp(dev, ".") != 0 && strcmp(dev, "..") != 0 && !strchr(dev, '/');
}

char *archive_metric_path(const char *data_dir, const char *rrdcached, const struct metric *m,
			  bool local)
{
	char key[FILE_KEY_MAX], *path;
	/* a "host:port" rrdcached knows files by their path under its base dir */
	bool remote = !local && rrdcached && strncmp(rrdcached, "unix:", 5) != 0;
	if (metric_file_key(m, key, sizeof(key)) != 0 ||
	    asprintf(&path, "%s%s%s/%s.rrd", remote ? "" : data_dir, remote ? "" : "/", m->device,
		     key) < 0)
		return NULL;
	return path;
}

char *archive_def_escape(const char *path)
{
	char *out = malloc(2 * strlen(path) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = path; *p; p++) {
		if (*p == ':' || *p == '\\')
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* A file named rel (<device>/<key>.rrd, rel_len bytes), not yet checked.  NULL when
 * memory ran out. */
static struct archive_file *file_alloc(struct archive_store *s, const char *rel, size_t rel_len,
                                       unsigned long step_s, enum metric_kind kind)
{
	size_t stem = rel_len - (sizeof(ARCHIVE_FILE_SUFFIX) - 1); /* the suffix is not kept */
	struct archive_file *f = archive_store_alloc(s, stem);
	if (!f)
		return NULL;
	memcpy(f->names, rel, stem); /* zeroed: NUL-terminated */
	f->step_s = (uint32_t)step_s;
	f->kind = kind;
	f->state = ARCHIVE_FILE_NEW;
	return f;
}

struct archive_file *archive_file_new(struct archive_store *s, const char *data_dir,
                                      const struct metric *m, char *err, size_t errlen)
{
	char key[FILE_KEY_MAX];
	if (!device_dir_ok(m->device)) {
		snprintf(err, errlen, "device id \"%s\" cannot be a directory name",
		         m->device ? m->device : "");
		return NULL;
	}
	if (metric_file_key(m, key, sizeof(key)) != 0) {
		snprintf(err, errlen, "file name for %s too long", m->key);
		return NULL;
	}
	/* the absolute path must fit a PATH_MAX buffer (archive_file_path) */
	int n = snprintf(NULL, 0, "%s/%s/%s.rrd", data_dir, m->device, key);
	if (n < 0 || n >= PATH_MAX) {
		snprintf(err, errlen, "path of %s too long", m->key);
		return NULL;
	}
	char rel[PATH_MAX];
	snprintf(rel, sizeof(rel), "%s/%s" ARCHIVE_FILE_SUFFIX, m->device, key);
	struct archive_file *f =
	    file_alloc(s, rel, strlen(rel), archive_rrd_step(m->interval_ms), m->kind);
	if (!f)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	return f;
}

/* True when rel is a path archive_file_new makes: <device>/<key>.rrd, one slash, a
 * device that is a directory name, no NUL. */
static bool rel_ok(const char *rel, size_t len, size_t *dev_len)
{
	const char *slash = memchr(rel, '/', len);
	if (!slash || memchr(rel, '\0', len) || len >= ARCHIVE_DEVICE_MAX)
		return false;
	char dev[ARCHIVE_DEVICE_MAX];
	*dev_len = (size_t)(slash - rel);
	memcpy(dev, rel, *dev_len);
	dev[*dev_len] = '\0';
	size_t tail = len - *dev_len - 1;
	return device_dir_ok(dev) && !memchr(slash + 1, '/', tail) && tail > 4 &&
	       memcmp(rel + len - 4, ".rrd", 4) == 0;
}

struct archive_file *archive_file_from_rel(struct archive_store *s, const char *rel, size_t rel_len,
                                           unsigned long step_s, enum metric_kind kind)
{
	size_t dev_len;
	if (step_s == 0 || (unsigned)kind > METRIC_STATE || !rel_ok(rel, rel_len, &dev_len))
		return NULL;
	return file_alloc(s, rel, rel_len, step_s, kind);
}

const char *archive_file_path(const struct archive_file *f, const char *data_dir,
                              char path[PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/%s" ARCHIVE_FILE_SUFFIX, data_dir, f->names);
	return path;
}

void archive_file_drop_parts(struct archive_file *f)
{
	if (f->pts_log2)
		free(f->pts.heap.v);
	f->pts_log2 = 0;
	f->npts = 0;
	free(f->complaint);
	f->complaint = NULL;
}

void archive_file_complain(struct archive_file *f, const char *fmt, ...)
{
	struct log_complaint unrated = {0}; /* no memory for the state: the line still goes */
	char dev[ARCHIVE_DEVICE_MAX];
	if (!f->complaint)
		f->complaint = calloc(1, sizeof(*f->complaint));
	va_list ap;
	va_start(ap, fmt);
	log_vcomplain(f->complaint ? f->complaint : &unrated, archive_mono_ms(), ARCHIVE_SUB,
	              archive_file_device(f, dev), fmt, ap);
	va_end(ap);
}

void archive_file_complain_release(struct archive_file *f, const char *fmt, ...)
{
	if (!f->complaint)
		return;
	char dev[ARCHIVE_DEVICE_MAX];
	va_list ap;
	va_start(ap, fmt);
	log_vcomplain_release(f->complaint, ARCHIVE_SUB, archive_file_device(f, dev), fmt, ap);
	va_end(ap);
	free(f->complaint);
	f->complaint = NULL;
}

/* Values f has room for. */
static size_t pts_cap(const struct archive_file *f)
{
	return f->pts_log2 ? (size_t)1 << f->pts_log2 : ARCHIVE_FILE_INLINE_PTS;
}

/* Moves f's n values (from vals/times) into a heap block of 1 << log2, or into the
 * record when log2 is 0; the old heap block is freed.  false when memory ran out. */
static bool pts_move(struct archive_file *f, unsigned log2)
{
	double *v = archive_file_vals(f), *old = f->pts_log2 ? v : NULL;
	uint32_t *t = archive_file_times(f);
	if (log2 == 0) {
		memmove(f->pts.in.t, t, f->npts * sizeof(*t)); /* t and v: inside old */
		memmove(f->pts.in.v, v, f->npts * sizeof(*v));
		f->pts_log2 = 0;
		free(old);
		return true;
	}
	size_t cap = (size_t)1 << log2;
	double *nv = malloc(cap * (sizeof(*nv) + sizeof(*t))); /* values, then times */
	if (!nv)
		return false;
	uint32_t *nt = (uint32_t *)(nv + cap);
	memcpy(nv, v, f->npts * sizeof(*v));
	memcpy(nt, t, f->npts * sizeof(*t));
	free(old);
	f->pts.heap.v = nv;
	f->pts.heap.t = nt;
	f->pts_log2 = (uint8_t)log2;
	return true;
}

int archive_file_add(struct archive_file *f, struct archive_point p)
{
	if (f->npts > 0) {
		uint32_t *last_t = &archive_file_times(f)[f->npts - 1];
		if (p.t_s == *last_t) {
			archive_file_vals(f)[f->npts - 1] = p.v; /* same second: the later wins */
			return 0;
		}
		if (p.t_s < *last_t)
			return 0;
	}
	if (p.t_s <= f->last_s)
		return 0;
	if (p.t_s > ARCHIVE_TIME_MAX)
		return -ERANGE;
	if (f->npts == pts_cap(f)) {
		unsigned log2 = f->pts_log2 ? f->pts_log2 + 1u : PTS_HEAP_MIN_LOG2;
		if (log2 > PTS_HEAP_MAX_LOG2 || !pts_move(f, log2))
			return -ENOMEM;
	}
	archive_file_times(f)[f->npts] = (uint32_t)p.t_s;
	archive_file_vals(f)[f->npts] = p.v;
	f->npts++;
	return 1;
}

void archive_file_consume(struct archive_file *f, size_t n)
{
	n = n < f->npts ? n : f->npts;
	double *v = archive_file_vals(f);
	uint32_t *t = archive_file_times(f);
	memmove(v, v + n, (f->npts - n) * sizeof(*v));
	memmove(t, t + n, (f->npts - n) * sizeof(*t));
	f->npts -= (uint32_t)n;
	/* most files hold nothing or a value or two between writes: no heap block then */
	if (f->pts_log2 && f->npts <= ARCHIVE_FILE_INLINE_PTS)
		pts_move(f, 0);
}

size_t archive_file_drop_old(struct archive_file *f)
{
	size_t n = 0;
	const uint32_t *t = archive_file_times(f);
	while (n < f->npts && t[n] <= f->last_s)
		n++;
	archive_file_consume(f, n);
	return n;
}

void archive_file_drop_at(struct archive_file *f, size_t i)
{
	if (i >= f->npts)
		return;
	double *v = archive_file_vals(f);
	uint32_t *t = archive_file_times(f);
	memmove(v + i, v + i + 1, (f->npts - i - 1) * sizeof(*v));
	memmove(t + i, t + i + 1, (f->npts - i - 1) * sizeof(*t));
	f->npts--;
}
