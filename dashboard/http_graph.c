/* GET /api/v1/graph?device=ID&metric=NAME[&inst=I][&range=1h|1d|1w|1y][&format=png|svg|json]
 * [&width=W&height=H][&t=ignored]: a graph of one metric drawn by librrd from its archive,
 * or (json) the archive's averages over the range, which the wall draws as sparklines.
 *
 * Parameters are checked on the loop thread (the registry lives there); the archive is
 * flushed and the image rendered on the worker pool while the connection is suspended.
 * One graph renders at a time (rrd_graph uses getopt and font caches, which are not
 * thread-safe, and a page of graphs must not take every worker from the pollers); the
 * others wait in a FIFO on the loop side.
 */
#include "http_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dcmon/api_route.h"
#include "dcmon/alert.h"
#include "dcmon/alerting.h"
#include "dcmon/archive.h"
#include "dcmon/baseline.h"
#include "dcmon/loop.h"
#include "dcmon/part.h"
#include "dcmon/strbuf.h"
#include "dcmon/workq.h"

#define GRAPH_W_DEFAULT 800
#define GRAPH_H_DEFAULT 200
#define GRAPH_W_MIN 200
#define GRAPH_W_MAX 3000
#define GRAPH_H_MIN 60
#define GRAPH_H_MAX 1500
#define GRAPH_ARGS_MAX 64

struct graph_range {
	const char *name;
	const char *start; /* rrdtool --start */
	const char *title; /* "last hour" */
};
static const struct graph_range graph_ranges[] = {
	{"1h", "end-1h", "last hour"},
	{"1d", "end-1d", "last day"},
	{"1w", "end-1w", "last week"},
	{"1y", "end-1y", "last year"},
};

enum graph_format { GRAPH_PNG, GRAPH_SVG, GRAPH_JSON };

struct http_graph_job {
	char *path;       /* the .rrd file (absolute, or relative to rrdcached's base dir) */
	char *local;      /* the file on our disk, to check it exists */
	char *title;
	char *unit;
	char *daemon;     /* rrdcached address or NULL */
	const struct graph_range *range;
	enum graph_format format;
	int width, height;
	struct archive *arc;
	struct baseline *band; /* the metric's anomaly baseline, NULL if none */
	double deviation, margin;
	char band_state[64];   /* "learning (N days of M)", or "" once it judges */
	/* results (worker) */
	int status;
	unsigned char *img;
	size_t img_len;
	char err[512];
	struct http_server *s;
	struct http_conn *hc;
};

void http_graph_job_free(struct http_graph_job *j)
{
	if (!j)
		return;
	free(j->path);
	free(j->local);
	free(j->band);
	free(j->title);
	free(j->unit);
	free(j->daemon);
	free(j->img);
	free(j);
}

/* ---- on the worker -------------------------------------------------------------- */

/* Seconds a range covers when the baseline's band is drawn on it (hourly steps are
 * noise on a year), else 0. */
static int64_t band_span(const struct graph_range *r)
{
	return strcmp(r->name, "1h") == 0   ? 3600
	       : strcmp(r->name, "1d") == 0 ? 86400
	       : strcmp(r->name, "1w") == 0 ? 604800
					    : 0;
}

/* "CDEF:<name>=..." giving each time of the range its hour's band edge (UNKN where the
 * hour has no values yet): rrdgraph's RPN has no table lookup, so it is a chain of IFs
 * on TIME, one per hour.  NULL when out of memory. */
static char *band_cdef(const struct http_graph_job *j, const char *name, bool upper, int64_t now_s,
		       int64_t span_s)
{
	struct strbuf b = STRBUF_INIT;
	strbuf_appendf(&b, "CDEF:%s=v,POP", name);
	int64_t first = (now_s - span_s) / 3600 * 3600, n = 0;
	for (int64_t h = first; h <= now_s; h += 3600, n++) {
		double lo, hi;
		strbuf_appendf(&b, ",TIME,%lld,LT,", (long long)(h + 3600));
		if (baseline_band(j->band, h, j->deviation, j->margin, &lo, &hi))
			strbuf_appendf(&b, "%.6g", upper ? hi : lo);
		else
			strbuf_appends(&b, "UNKN");
	}
	strbuf_appends(&b, ",UNKN");
	while (n-- > 0)
		strbuf_appends(&b, ",IF");
	return strbuf_take(&b);
}

static void graph_render(struct http_graph_job *j)
{
	char w[16], h[16], def_avg[1024 * 9], def_min[sizeof(def_avg)], def_max[sizeof(def_avg)];
	char *esc = archive_def_escape(j->path);
	if (!esc) {
		j->status = 500;
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	snprintf(w, sizeof(w), "%d", j->width);
	snprintf(h, sizeof(h), "%d", j->height);
	snprintf(def_avg, sizeof(def_avg), "DEF:v=%s:value:AVERAGE", esc);
	snprintf(def_min, sizeof(def_min), "DEF:lo=%s:value:MIN", esc);
	snprintf(def_max, sizeof(def_max), "DEF:hi=%s:value:MAX", esc);
	free(esc);
	const char *argv[GRAPH_ARGS_MAX] = {
	    "--imgformat", j->format == GRAPH_SVG ? "SVG" : "PNG", "--start", j->range->start,
	    "--end", "now", "--width", w, "--height", h, "--title", j->title,
	    "--vertical-label", j->unit && *j->unit ? j->unit : " ", "--slope-mode",
	    "--color", "BACK#0b1016", "--color", "CANVAS#121a23", "--color", "FONT#e6edf3",
	    "--color", "GRID#2a3644", "--color", "MGRID#3d4c5c", "--color", "AXIS#8aa0b4",
	    "--color", "FRAME#2a3644", "--color", "ARROW#8aa0b4", "--color", "SHADEA#0b1016",
	    "--color", "SHADEB#0b1016", "--border", "0",
	    def_avg, def_min, def_max, "CDEF:band=hi,lo,-", "LINE0:lo", "AREA:band#4da3ff40::STACK",
	    "LINE2:v#4da3ff:average", "GPRINT:v:LAST:last %.2lf %s", "GPRINT:lo:MIN:min %.2lf %s",
	    "GPRINT:hi:MAX:max %.2lf %s\\n"};
	int argc = 0;
	while (argc < GRAPH_ARGS_MAX && argv[argc])
		argc++;
	/* the anomaly rule's expected range, as an amber band under the values */
	int64_t span = j->band ? band_span(j->range) : 0, now = (int64_t)time(NULL);
	char *blo = span ? band_cdef(j, "blo", false, now, span) : NULL;
	char *bhi = span ? band_cdef(j, "bhi", true, now, span) : NULL;
	if (blo && bhi && argc + 5 < GRAPH_ARGS_MAX) {
		argv[argc++] = blo;
		argv[argc++] = bhi;
		argv[argc++] = "CDEF:bw=bhi,blo,-";
		argv[argc++] = "LINE1:blo#f0a030:expected";
		argv[argc++] = "AREA:bw#f0a03040::STACK";
	}
	j->status = archive_graph(argv, (size_t)argc, j->daemon, &j->img, &j->img_len, j->err,
				  sizeof(j->err)) == 0 ? 200 : 500;
	free(blo);
	free(bhi);
}

/* The range's averages as JSON: {"start_ms" (the first value's time), "step_s",
 * "values": [v or null, ...]}, oldest first. */
/* "band": the anomaly rule's expected range at each value's time (null where its
 * baseline has no slot yet), drawn around the values. */
static void band_json(struct strbuf *b, const struct http_graph_job *j,
		      const struct archive_series *s)
{
	for (int side = 0; side < 2; side++) {
		strbuf_appends(b, side ? "],\"hi\":[" : ",\"band\":{\"lo\":[");
		for (size_t i = 0; i < s->n; i++) {
			double lo, hi;
			/* a value is stamped at the end of the step it averages */
			int64_t t = s->first_s + (int64_t)i * s->step_s - 1;
			if (i)
				strbuf_appends(b, ",");
			if (baseline_band(j->band, t, j->deviation, j->margin, &lo, &hi))
				strbuf_appendf(b, "%.6g", side ? hi : lo);
			else
				strbuf_appends(b, "null");
		}
	}
	strbuf_appendf(b, "],\"state\":\"%s\"}", j->band_state[0] ? j->band_state : "judging");
}

static void graph_series(struct http_graph_job *j)
{
	struct archive_series s;
	if (archive_fetch(j->path, j->daemon, j->range->start, "now", &s, j->err,
			  sizeof(j->err)) < 0) {
		j->status = 500;
		return;
	}
	struct strbuf b = STRBUF_INIT;
	strbuf_appendf(&b, "{\"start_ms\":%lld,\"step_s\":%lld,\"values\":[",
		       (long long)s.first_s * 1000, (long long)s.step_s);
	for (size_t i = 0; i < s.n; i++) {
		if (i)
			strbuf_appends(&b, ",");
		if (isfinite(s.v[i]))
			strbuf_appendf(&b, "%.6g", s.v[i]);
		else
			strbuf_appends(&b, "null");
	}
	strbuf_appends(&b, "]");
	if (j->band)
		band_json(&b, j, &s);
	strbuf_appends(&b, "}");
	free(s.v);
	j->img_len = b.len;
	j->img = (unsigned char *)strbuf_take(&b);
	j->status = j->img ? 200 : 500;
	if (!j->img)
		snprintf(j->err, sizeof(j->err), "out of memory");
}

static void graph_work(void *arg)
{
	struct http_graph_job *j = arg;
	struct stat st;
	archive_flush(j->arc); /* what was polled up to now is in the file */
	if (stat(j->local, &st) < 0) {
		j->status = 404;
		snprintf(j->err, sizeof(j->err), "no archive for this metric yet (%s)", strerror(errno));
		return;
	}
	if (j->format == GRAPH_JSON)
		graph_series(j);
	else
		graph_render(j);
}

/* ---- on the loop ------------------------------------------------------------------ */

static void graph_next(struct http_server *s);

static void graph_done(struct loop *loop, void *arg)
{
	struct http_graph_job *j = arg;
	struct http_server *s = j->s;
	struct http_conn *hc = j->hc;
	/* unlink from the FIFO */
	for (struct http_conn **p = &s->pending; *p; p = &(*p)->next_pending) {
		if (*p == hc) {
			*p = hc->next_pending;
			break;
		}
	}
	if (hc->c) {
		hc->job = HTTP_JOB_DONE;
		MHD_resume_connection(hc->c);
		http_server_kick(s);
	} else { /* the connection went away meanwhile */
		http_graph_job_free(hc->gj);
		free(hc->uri);
		strbuf_free(&hc->body);
		free(hc);
	}
	s->graph_busy = false;
	graph_next(s);
}

/* Starts the oldest waiting graph if none is rendering. */
static void graph_next(struct http_server *s)
{
	if (s->graph_busy)
		return;
	for (struct http_conn *hc = s->pending; hc; hc = hc->next_pending) {
		if (hc->job != HTTP_JOB_QUEUED)
			continue;
		hc->job = HTTP_JOB_RUNNING;
		if (workq_submit(s->wq, graph_work, graph_done, hc->gj) == 0) {
			s->graph_busy = true;
			return;
		}
		hc->gj->status = 503;
		snprintf(hc->gj->err, sizeof(hc->gj->err), "out of memory queueing the graph");
		graph_done(s->loop, hc->gj);
		return;
	}
}

static const struct graph_range *graph_range_find(const char *name)
{
	for (size_t i = 0; i < sizeof(graph_ranges) / sizeof(graph_ranges[0]); i++)
		if (strcmp(graph_ranges[i].name, name) == 0)
			return &graph_ranges[i];
	return NULL;
}

/* An integer in [min, max] or the default when absent; false if malformed. */
static bool graph_int(const char *v, int def, int min, int max, int *out)
{
	char *end;
	if (!v) {
		*out = def;
		return true;
	}
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < min || n > max)
		return false;
	*out = (int)n;
	return true;
}

struct graph_params {
	const char *device, *metric, *inst;
	const struct graph_range *range;
	enum graph_format format;
	int width, height;
};

/* Checks the query; answers 400/404 itself. */
static bool graph_params_parse(struct http_server *s, struct http_conn *hc,
			       const struct api_query *q, struct graph_params *p,
			       const struct metric **m)
{
	struct MHD_Connection *c = hc->c;
	/* t: ignored; pages add it so that a redrawn graph is fetched anew */
	static const char *const known[] = {"device", "metric", "inst", "range", "format",
					     "width", "height", "t", NULL};
	for (size_t i = 0; i < q->n; i++) {
		size_t k = 0;
		while (known[k] && strcmp(known[k], q->v[i].name) != 0)
			k++;
		if (!known[k]) {
			http_reply_error(c, 400, "unknown query parameter '%s' (allowed: device, metric, "
						 "inst, range, format, width, height, t)", q->v[i].name);
			return false;
		}
	}
	const char *range = api_query_get(q, "range"), *fmt = api_query_get(q, "format");
	p->device = api_query_get(q, "device");
	p->metric = api_query_get(q, "metric");
	p->inst = api_query_get(q, "inst");
	if (p->inst && !*p->inst)
		p->inst = NULL;
	p->range = graph_range_find(range ? range : "1h");
	p->format = !fmt || strcmp(fmt, "png") == 0 ? GRAPH_PNG
		    : strcmp(fmt, "svg") == 0	     ? GRAPH_SVG
		    : strcmp(fmt, "json") == 0	     ? GRAPH_JSON
						     : (enum graph_format)-1;
	const char *why = !p->device || !*p->device ? "device: required"
			  : !p->metric || !*p->metric ? "metric: required"
			  : !p->range ? "range: expected 1h, 1d, 1w or 1y"
			  : p->format == (enum graph_format)-1 ? "format: expected png, svg or json"
			  : !graph_int(api_query_get(q, "width"), GRAPH_W_DEFAULT, GRAPH_W_MIN,
				       GRAPH_W_MAX, &p->width) ? "width: expected 200..3000 pixels"
			  : !graph_int(api_query_get(q, "height"), GRAPH_H_DEFAULT, GRAPH_H_MIN,
				       GRAPH_H_MAX, &p->height) ? "height: expected 60..1500 pixels"
			  : NULL;
	if (why) {
		http_reply_error(c, 400, "%s", why);
		return false;
	}
	const struct cfg_device *dev = cfg_device_find(s->env.cfg, p->device);
	/* another tenant's device answers like a missing one */
	if (!dev || authz_device_check(s->env.cfg, &hc->actor, AUTHZ_ACT_VIEW, dev) != AUTHZ_ALLOW) {
		http_reply_error(c, 404, "no such device: %s", p->device);
		return false;
	}
	*m = metric_reg_find(s->env.reg, p->device, p->metric, p->inst);
	if (!*m) {
		http_reply_error(c, 404, "device %s has no metric %s%s%s", p->device, p->metric,
				 p->inst ? "@" : "", p->inst ? p->inst : "");
		return false;
	}
	return true;
}

static struct http_graph_job *graph_job_new(struct http_server *s, const struct graph_params *p,
					    const struct metric *m)
{
	struct http_graph_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->range = p->range;
	j->format = p->format;
	j->width = p->width;
	j->height = p->height;
	j->arc = s->arc;
	j->s = s;
	j->local = archive_metric_path(s->data_dir, s->rrdcached, m, true);
	j->path = archive_metric_path(s->data_dir, s->rrdcached, m, false);
	if (asprintf(&j->title, "%s  %s  (%s)", m->device, m->key, p->range->title) < 0)
		j->title = NULL;
	j->unit = strdup(m->shape->unit ? m->shape->unit : "");
	j->daemon = s->rrdcached ? strdup(s->rrdcached) : NULL;
	const struct alerting *al = alerting_of(&s->env);
	if (al && al->engine && (j->band = malloc(sizeof(*j->band))) &&
	    !alert_engine_baseline(al->engine, m, j->band, &j->deviation, &j->margin,
				   j->band_state, sizeof(j->band_state))) {
		free(j->band);
		j->band = NULL;
	}
	if (!j->local || !j->path || !j->title || !j->unit || (s->rrdcached && !j->daemon)) {
		http_graph_job_free(j);
		return NULL;
	}
	return j;
}

enum MHD_Result http_graph_start(struct http_server *s, struct http_conn *hc, const char *query)
{
	struct api_query q;
	char err[256];
	struct graph_params p;
	const struct metric *m = NULL;
	enum MHD_Result rc = MHD_YES;
	if (api_query_parse(&q, query, err, sizeof(err)) < 0) {
		rc = http_reply_error(hc->c, 400, "%s", err);
	} else if (graph_params_parse(s, hc, &q, &p, &m)) {
		hc->gj = graph_job_new(s, &p, m);
		if (!hc->gj) {
			rc = http_reply_error(hc->c, 500, "out of memory");
		} else {
			hc->gj->hc = hc;
			hc->job = HTTP_JOB_QUEUED;
			struct http_conn **tail = &s->pending;
			while (*tail)
				tail = &(*tail)->next_pending;
			*tail = hc;
			MHD_suspend_connection(hc->c);
			graph_next(s);
		}
	}
	api_query_free(&q);
	return rc;
}

enum MHD_Result http_graph_reply(struct http_conn *hc)
{
	struct http_graph_job *j = hc->gj;
	enum MHD_Result rc;
	hc->job = HTTP_JOB_NONE;
	if (j->status != 200)
		rc = http_reply_error(hc->c, j->status, "%s", j->err);
	else
		rc = http_reply(hc->c, 200,
				j->format == GRAPH_JSON ? "application/json"
				: j->format == GRAPH_SVG ? "image/svg+xml"
							 : "image/png",
				j->img, j->img_len, "no-cache", NULL);
	http_graph_job_free(j);
	hc->gj = NULL;
	return rc;
}
