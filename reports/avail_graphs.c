/* The graphs of an HTML report: for each incident of the outage log, the archived
 * values of its root's key metrics (the checks of the root that were down) from before
 * its start to after its end, drawn by librrd (archive_graph) as PNG and kept in the
 * report as base64, which the HTML shows as data: URIs (and the PDF, printed from it). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dcmon/archive.h"
#include "dcmon/avail_report.h"
#include "dcmon/metric.h"
#include "dcmon/strbuf.h"

#define GRAPH_MARGIN_MIN_S 1800 /* at least 30 min of values either side */

/* An affected object "device/metric[:inst]" split into its parts; false when it is not
 * one (a check's name is always this shape). */
struct graph_object {
	char device[160], name[160], inst[160];
};

static bool graph_object_parse(const char *obj, struct graph_object *o)
{
	const char *slash = strchr(obj, '/');
	if (!slash || slash == obj || (size_t)(slash - obj) >= sizeof(o->device))
		return false;
	const char *colon = strchr(slash + 1, ':');
	size_t nlen = colon ? (size_t)(colon - slash - 1) : strlen(slash + 1);
	if (!nlen || nlen >= sizeof(o->name) || (colon && strlen(colon + 1) >= sizeof(o->inst)))
		return false;
	snprintf(o->device, sizeof(o->device), "%.*s", (int)(slash - obj), obj);
	snprintf(o->name, sizeof(o->name), "%.*s", (int)nlen, slash + 1);
	snprintf(o->inst, sizeof(o->inst), "%s", colon ? colon + 1 : "");
	return true;
}

/* The RRD file of o under cfg's archive: the path librrd is given (relative to
 * rrdcached's base directory when it is remote) and the one on this disk. */
static int graph_paths(const struct cfg *cfg, const struct graph_object *o, char *path,
		       size_t plen, char *local, size_t llen)
{
	char key[512];
	const char *cached = cfg->daemon.rrdcached;
	bool remote = cached && strncmp(cached, "unix:", 5) != 0;
	if (metric_file_key_of(o->name, o->inst[0] ? o->inst : NULL, key, sizeof(key)) < 0)
		return -ENAMETOOLONG;
	int n = snprintf(local, llen, "%s/%s/%s.rrd", cfg->daemon.data_dir, o->device, key);
	int k = remote ? snprintf(path, plen, "%s/%s.rrd", o->device, key)
		       : snprintf(path, plen, "%s", local);
	return n < 0 || (size_t)n >= llen || k < 0 || (size_t)k >= plen ? -ENAMETOOLONG : 0;
}

/* PNG of o's values over [from_s, to_s) with the incident's start and end marked;
 * NULL when its file is not there or librrd fails (logged in err). */
static unsigned char *graph_draw(const struct cfg *cfg, const struct graph_object *o,
				 const char *object, int64_t start_s, int64_t end_s, size_t *len,
				 char *err, size_t errlen)
{
	char path[1024], local[1024], title[512], from[24], to[24], def[1100], vstart[64],
	    vend[64];
	struct stat st;
	int64_t margin = (end_s - start_s) / 2;
	margin = margin < GRAPH_MARGIN_MIN_S ? GRAPH_MARGIN_MIN_S : margin;
	if (graph_paths(cfg, o, path, sizeof(path), local, sizeof(local)) < 0 ||
	    strchr(path, ':') || stat(local, &st) < 0) {
		snprintf(err, errlen, "no archive for %s", object);
		return NULL;
	}
	snprintf(from, sizeof(from), "%" PRId64, start_s - margin);
	snprintf(to, sizeof(to), "%" PRId64, end_s + margin);
	snprintf(title, sizeof(title), "%s around the incident", object);
	snprintf(def, sizeof(def), "DEF:v=%s:" ARCHIVE_DS_NAME ":AVERAGE", path);
	snprintf(vstart, sizeof(vstart), "VRULE:%" PRId64 "#d02020:incident start", start_s);
	snprintf(vend, sizeof(vend), "VRULE:%" PRId64 "#d02020:end", end_s);
	const char *args[] = {"--imgformat", "PNG", "--start", from, "--end", to,
			      "--width", "600", "--height", "140", "--title", title,
			      "--slope-mode", def, "LINE2:v#1f6fd0:value", vstart, vend};
	unsigned char *img = NULL;
	if (archive_graph(args, sizeof(args) / sizeof(args[0]), cfg->daemon.rrdcached, &img, len,
			  err, errlen) < 0)
		return NULL;
	return img;
}

/* The objects to draw for incident inc: the affected checks of its root device (the
 * values that were down), else, the root being upstream of the tenant's scope or not
 * a device, its first affected object. */
static bool graph_wanted(const json_t *inc, const char *object, size_t index)
{
	const char *root = json_string_value(json_object_get(inc, "root"));
	size_t rlen = root ? strlen(root) : 0;
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(inc, "affected"), i, v) {
		const char *s = json_string_value(v);
		if (s && rlen && strncmp(s, root, rlen) == 0 && s[rlen] == '/')
			return strncmp(object, root, rlen) == 0 && object[rlen] == '/';
	}
	return index == 0;
}

/* The graph png of object as a JSON member: "png" (base64), or, with im, "cid" naming
 * the PNG moved into im (NULL past its bound: png is freed, no member).  Takes png. */
static json_t *graph_json(const char *object, unsigned char *png, size_t len,
			  struct avail_images *im)
{
	if (!im) {
		struct strbuf b = STRBUF_INIT;
		strbuf_append_base64(&b, png, len);
		free(png);
		json_t *g = json_pack("{s:s, s:s}", "object", object, "png", strbuf_str(&b));
		strbuf_free(&b);
		return g;
	}
	if (im->n == im->cap && im->bytes + len <= AVAIL_MAIL_GRAPH_BYTES) {
		size_t cap = im->cap ? 2 * im->cap : 8;
		struct avail_image *v = realloc(im->v, cap * sizeof(*v));
		if (v) {
			im->v = v;
			im->cap = cap;
		}
	}
	if (im->bytes + len > AVAIL_MAIL_GRAPH_BYTES || im->n == im->cap) {
		free(png);
		return NULL;
	}
	struct avail_image *m = &im->v[im->n++];
	snprintf(m->cid, sizeof(m->cid), "graph-%zu", im->n);
	m->png = png;
	m->len = len;
	im->bytes += len;
	return json_pack("{s:s, s:s}", "object", object, "cid", m->cid);
}

/* Adds "graphs": [{"object", "png" (base64) or "cid"}] to incident inc. */
static int incident_graphs(const struct cfg *cfg, json_t *inc, struct avail_images *im)
{
	int64_t start_s = json_integer_value(json_object_get(inc, "start_ms")) / 1000;
	int64_t end_s = json_integer_value(json_object_get(inc, "end_ms")) / 1000;
	json_t *graphs = json_array();
	size_t i, n = 0;
	json_t *v;
	int rc = graphs ? 0 : -ENOMEM;
	json_array_foreach (json_object_get(inc, "affected"), i, v) {
		const char *object = json_string_value(v);
		struct graph_object o;
		char err[512];
		size_t len = 0;
		if (rc < 0 || n >= AVAIL_GRAPHS_PER_INCIDENT)
			break;
		if (!object || !graph_wanted(inc, object, i) || !graph_object_parse(object, &o))
			continue;
		unsigned char *png = graph_draw(cfg, &o, object, start_s, end_s, &len, err,
						sizeof(err));
		if (!png)
			continue; /* nothing archived for it (a check without values) */
		bool full = im && im->bytes + len > AVAIL_MAIL_GRAPH_BYTES;
		json_t *g = graph_json(object, png, len, im);
		if (full)
			break; /* the mail's bound: its later graphs are left out */
		rc = g && json_array_append_new(graphs, g) == 0 ? 0 : -ENOMEM;
		n++;
	}
	return rc == 0 ? json_object_set_new(inc, "graphs", graphs) : (json_decref(graphs), rc);
}

static int report_graphs(const struct cfg *cfg, json_t *rep, struct avail_images *im)
{
	size_t i;
	json_t *inc;
	json_array_foreach (json_object_get(rep, "outages"), i, inc) {
		if (i >= AVAIL_GRAPHS_INCIDENTS_MAX)
			break;
		int rc = incident_graphs(cfg, inc, im);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int avail_report_graphs(const struct cfg *cfg, json_t *rep)
{
	return report_graphs(cfg, rep, NULL);
}

int avail_report_graphs_inline(const struct cfg *cfg, json_t *rep, struct avail_images *im)
{
	return report_graphs(cfg, rep, im);
}

void avail_images_free(struct avail_images *im)
{
	for (size_t i = 0; i < im->n; i++)
		free(im->v[i].png);
	free(im->v);
	*im = (struct avail_images){0};
}
