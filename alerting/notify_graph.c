/* The graph of an alert's metric in its e-mail: the last hour up to the event, with the
 * rule's warning and critical levels, drawn by librrd from the metric's archive on the
 * worker pool when the event is queued, stored with its queued items (notify.db's
 * queue.graph) and shown inline by the message's HTML part.
 *
 * Bounded: the first message of a recipient waits for the graph at most graph_wait
 * (smtp section), a graph still queued when that has passed is not drawn at all, and at
 * most NOTIFY_GRAPHS_INFLIGHT are queued or drawing (a storm of alerts gets its first
 * graphs, then mails without).  A metric without archive, or a graph that could not be
 * drawn, only means a mail without image: the text is the same and nothing waits. */
#include "notify_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dcmon/archive.h"
#include "dcmon/log.h"

#define NOTIFY_GRAPHS_INFLIGHT 8 /* graphs queued or drawing on the worker pool */
#define NOTIFY_GRAPH_ARGS 40

struct notify_graph {
	struct notify_graph *next;
	struct notifier *n;
	char key[96];               /* the gather key the first messages wait on */
	int64_t alert_id, created_ms;
	char kind[16];
	int64_t deadline_ms;        /* monotonic: not drawn any more after this */
	struct archive *arc;
	char *local, *path, *daemon, *title, *unit;
	double warn, crit;
	/* results (worker) */
	unsigned char *png;
	size_t len;
	int64_t draw_ms;            /* how long librrd took */
	char err[256];
};

static void graph_free(struct notify_graph *j)
{
	free(j->local);
	free(j->path);
	free(j->daemon);
	free(j->title);
	free(j->unit);
	free(j->png);
	free(j);
}

void notify_graphs_free(struct notifier *n)
{
	while (n->graphs) {
		struct notify_graph *j = n->graphs;
		n->graphs = j->next;
		graph_free(j);
	}
}

/* ---- on the worker -------------------------------------------------------------- */

static void graph_draw(struct notify_graph *j)
{
	char *esc = archive_def_escape(j->path), *def = NULL, warn[64], crit[64], end[32], mark[64];
	const char *args[NOTIFY_GRAPH_ARGS];
	size_t n = 0;
	if (!esc || asprintf(&def, "DEF:v=%s:" ARCHIVE_DS_NAME ":AVERAGE", esc) < 0) {
		free(esc);
		snprintf(j->err, sizeof(j->err), "out of memory");
		return;
	}
	free(esc);
	snprintf(end, sizeof(end), "%lld", (long long)(j->created_ms / 1000));
	const char *fixed[] = {"--imgformat", "PNG", "--start", "end-1h", "--end", end,
			       "--width", NOTIFY_GRAPH_W, "--height", NOTIFY_GRAPH_H,
			       "--title", j->title, "--vertical-label", *j->unit ? j->unit : " ",
			       "--slope-mode", def, "LINE2:v#1f6fd0:value",
			       "GPRINT:v:LAST:last %.2lf %s"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		args[n++] = fixed[i];
	snprintf(mark, sizeof(mark), "VRULE:%s#d02020:%s", end, j->kind); /* the event */
	args[n++] = mark;
	if (j->warn == j->warn) { /* not NaN: the rule has a warning level */
		snprintf(warn, sizeof(warn), "HRULE:%.6g#e0a000:warning", j->warn);
		args[n++] = warn;
	}
	if (j->crit == j->crit) {
		snprintf(crit, sizeof(crit), "HRULE:%.6g#d02020:critical", j->crit);
		args[n++] = crit;
	}
	archive_graph(args, n, j->daemon, &j->png, &j->len, j->err, sizeof(j->err));
	free(def);
}

static void graph_work(void *arg)
{
	struct notify_graph *j = arg;
	struct stat st;
	if (clock_mono_ms() > j->deadline_ms) {
		snprintf(j->err, sizeof(j->err), "its message could not wait any longer");
		return;
	}
	archive_flush(j->arc); /* the values polled up to the alert are in the file */
	if (stat(j->local, &st) < 0) {
		snprintf(j->err, sizeof(j->err), "no archive for this metric yet");
		return;
	}
	int64_t t0 = clock_mono_ms();
	graph_draw(j);
	j->draw_ms = clock_mono_ms() - t0;
}

/* ---- on the loop ------------------------------------------------------------------ */

static void graph_done(struct loop *loop, void *arg)
{
	struct notify_graph *j = arg;
	struct notifier *n = j->n;
	(void)loop;
	for (struct notify_graph **p = &n->graphs; *p; p = &(*p)->next) {
		if (*p == j) {
			*p = j->next;
			break;
		}
	}
	n->ngraphs--;
	if (j->png)
		log_debug("notify", NULL, "alert %lld: graph drawn in %lld ms (%zu bytes)",
			  (long long)j->alert_id, (long long)j->draw_ms, j->len);
	if (!j->png)
		log_info("notify", NULL, "alert %lld: its mail goes without a graph: %s",
			 (long long)j->alert_id, j->err);
	else if (notify_spool_set_graph(n->spool, j->alert_id, j->kind, j->created_ms, j->png,
					j->len) < 0)
		log_warnx("notify", NULL, "alert %lld: its graph cannot be stored; its mail goes "
			  "without", (long long)j->alert_id);
	notifier_poll_done(n, j->key, clock_wall_ms()); /* its first messages wait no more */
	graph_free(j);
}

/* A job for the graph of m, or NULL (out of memory). */
static struct notify_graph *graph_new(struct notifier *n, const struct alert_event *ev,
				      const char *kind, const struct metric *m, int64_t now_ms)
{
	const struct cfg_daemon *dd = &n->cfg->daemon;
	struct notify_graph *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->n = n;
	j->arc = n->env.arc;
	j->alert_id = ev->alert_id;
	j->created_ms = now_ms;
	j->warn = ev->warn;
	j->crit = ev->crit;
	snprintf(j->kind, sizeof(j->kind), "%s", kind);
	snprintf(j->key, sizeof(j->key), "graph of alert %lld at %lld", (long long)ev->alert_id,
		 (long long)now_ms);
	j->local = archive_metric_path(dd->data_dir, dd->rrdcached, m, true);
	j->path = archive_metric_path(dd->data_dir, dd->rrdcached, m, false);
	if (asprintf(&j->title, "%s  %s  (last hour)", m->device, m->key) < 0)
		j->title = NULL;
	j->unit = strdup(m->shape->unit ? m->shape->unit : "");
	j->daemon = dd->rrdcached ? strdup(dd->rrdcached) : NULL;
	if (!j->local || !j->path || !j->title || !j->unit || (dd->rrdcached && !j->daemon)) {
		graph_free(j);
		return NULL;
	}
	return j;
}

void notify_graph_start(struct notifier *n, const struct alert_event *ev, const char *kind,
			const struct metric *m, const struct notify_rcpts *rc, int64_t now_ms)
{
	const struct cfg_smtp *s = smtp_cfg_of(n->cfg);
	if (!s || s->graph_wait_ms <= 0 || !n->env.arc || !n->env.wq || !m || rc->n == 0 ||
	    !n->cfg->daemon.data_dir)
		return;
	if (n->ngraphs >= NOTIFY_GRAPHS_INFLIGHT) { /* a storm: its first alerts have theirs */
		n->graphs_left_out++;
		log_complain(&n->graphs_full, clock_mono_ms(), "notify", ev->device,
			     "alert %lld: its mail goes without a graph: %d graphs are being drawn "
			     "(%llu alerts without since start)", (long long)ev->alert_id,
			     NOTIFY_GRAPHS_INFLIGHT, (unsigned long long)n->graphs_left_out);
		return;
	}
	struct notify_graph *j = graph_new(n, ev, kind, m, now_ms);
	if (!j)
		return;
	j->deadline_ms = clock_mono_ms() + s->graph_wait_ms;
	if (workq_submit(n->env.wq, graph_work, graph_done, j) < 0) {
		graph_free(j);
		return;
	}
	j->next = n->graphs;
	n->graphs = j;
	n->ngraphs++;
	for (size_t i = 0; i < rc->n; i++) {
		struct notify_group *g = notify_group_get(n, rc->v[i].addr);
		if (g)
			notify_group_wait_for(g, j->key, now_ms + s->graph_wait_ms);
	}
}
