/* One RRD file of the archive: its path and the values buffered for it. */
#include "archive_int.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_KEY_MAX (METRIC_NAME_MAX + 1 + 3 * METRIC_INST_MAX) /* bytes incl. NUL */
/* a file buffers a value or two between writes (the 1 M series bench: 2 on average) */
#define PTS_MIN_CAP 2

/* One per series (docs/ARCHITECTURE.md "Memory per series"). */
_Static_assert(sizeof(struct archive_file) <= 88, "struct archive_file outgrew its budget");

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

/* A file named rel (<device>/<key>.rrd, rel_len bytes, the device its first dev_len),
 * not yet checked.  NULL when memory ran out. */
static struct archive_file *file_alloc(const char *rel, size_t rel_len, size_t dev_len,
                                       unsigned long step_s, enum metric_kind kind)
{
	struct archive_file *f = calloc(1, sizeof(*f) + rel_len + 1 + dev_len + 1);
	if (!f)
		return NULL;
	memcpy(f->names, rel, rel_len);
	memcpy(f->names + rel_len + 1, rel, dev_len); /* calloc'd: both NUL-terminated */
	f->step_s = (uint32_t)step_s;
	f->kind = kind;
	f->state = ARCHIVE_FILE_NEW;
	return f;
}

struct archive_file *archive_file_new(const char *data_dir, const struct metric *m, char *err,
                                      size_t errlen)
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
	snprintf(rel, sizeof(rel), "%s/%s.rrd", m->device, key);
	struct archive_file *f = file_alloc(rel, strlen(rel), strlen(m->device),
	                                    archive_rrd_step(m->interval_ms), m->kind);
	if (!f)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	return f;
}

/* True when rel is a path archive_file_new makes: <device>/<key>.rrd, one slash, a
 * device that is a directory name, no NUL. */
static bool rel_ok(const char *rel, size_t len, size_t *dev_len)
{
	const char *slash = memchr(rel, '/', len);
	if (!slash || memchr(rel, '\0', len) || len >= PATH_MAX / 2)
		return false;
	char dev[PATH_MAX / 2];
	*dev_len = (size_t)(slash - rel);
	memcpy(dev, rel, *dev_len);
	dev[*dev_len] = '\0';
	size_t tail = len - *dev_len - 1;
	return device_dir_ok(dev) && !memchr(slash + 1, '/', tail) && tail > 4 &&
	       memcmp(rel + len - 4, ".rrd", 4) == 0;
}

struct archive_file *archive_file_from_rel(const char *rel, size_t rel_len, unsigned long step_s,
                                           enum metric_kind kind)
{
	size_t dev_len;
	if (step_s == 0 || (unsigned)kind > METRIC_STATE || !rel_ok(rel, rel_len, &dev_len))
		return NULL;
	return file_alloc(rel, rel_len, dev_len, step_s, kind);
}

const char *archive_file_path(const struct archive_file *f, const char *data_dir,
                              char path[PATH_MAX])
{
	snprintf(path, PATH_MAX, "%s/%s", data_dir, archive_file_rel(f));
	return path;
}

void archive_file_free(struct archive_file *f)
{
	if (!f)
		return;
	free(f->pts);
	free(f->complaint);
	free(f);
}

void archive_file_complain(struct archive_file *f, const char *fmt, ...)
{
	struct log_complaint unrated = {0}; /* no memory for the state: the line still goes */
	if (!f->complaint)
		f->complaint = calloc(1, sizeof(*f->complaint));
	va_list ap;
	va_start(ap, fmt);
	log_vcomplain(f->complaint ? f->complaint : &unrated, archive_mono_ms(), ARCHIVE_SUB,
	              archive_file_device(f), fmt, ap);
	va_end(ap);
}

void archive_file_complain_release(struct archive_file *f, const char *fmt, ...)
{
	if (!f->complaint)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vcomplain_release(f->complaint, ARCHIVE_SUB, archive_file_device(f), fmt, ap);
	va_end(ap);
	free(f->complaint);
	f->complaint = NULL;
}

int archive_file_add(struct archive_file *f, struct archive_point p)
{
	if (f->npts > 0) {
		struct archive_point *last = &f->pts[f->npts - 1];
		if (p.t_s == last->t_s) {
			*last = p; /* same second: the later report wins */
			return 0;
		}
		if (p.t_s < last->t_s)
			return 0;
	}
	if (p.t_s <= f->last_s)
		return 0;
	if (f->npts == f->cap_pts) {
		size_t cap = f->cap_pts ? f->cap_pts * 2 : PTS_MIN_CAP;
		struct archive_point *pts = realloc(f->pts, cap * sizeof(*pts));
		if (!pts)
			return -ENOMEM;
		f->pts = pts;
		f->cap_pts = cap;
	}
	f->pts[f->npts++] = p;
	return 1;
}

void archive_file_consume(struct archive_file *f, size_t n)
{
	if (n >= f->npts) {
		/* most files sit empty between writes: hold no buffer then */
		free(f->pts);
		f->pts = NULL;
		f->npts = f->cap_pts = 0;
		return;
	}
	memmove(f->pts, f->pts + n, (f->npts - n) * sizeof(f->pts[0]));
	f->npts -= n;
}

size_t archive_file_drop_old(struct archive_file *f)
{
	size_t n = 0;
	while (n < f->npts && f->pts[n].t_s <= f->last_s)
		n++;
	archive_file_consume(f, n);
	return n;
}

void archive_file_drop_at(struct archive_file *f, size_t i)
{
	if (i >= f->npts)
		return;
	memmove(f->pts + i, f->pts + i + 1, (f->npts - i - 1) * sizeof(f->pts[0]));
	f->npts--;
}
