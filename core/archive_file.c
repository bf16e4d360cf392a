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
	size_t dev_size = strlen(m->device) + 1, rel_size = dev_size + strlen(key) + 5;
	struct archive_file *f = calloc(1, sizeof(*f) + rel_size + dev_size);
	if (!f) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	snprintf(f->names, rel_size, "%s/%s.rrd", m->device, key);
	memcpy(f->names + rel_size, m->device, dev_size);
	f->step_s = (uint32_t)archive_rrd_step(m->interval_ms);
	f->kind = m->kind;
	f->state = ARCHIVE_FILE_NEW;
	return f;
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
