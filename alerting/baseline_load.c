/* Reading a newly bound metric's RRD history into its baseline on the worker pool.
 *
 * librrd's fetch of 13 days of 5-minute values takes about a millisecond, which the
 * loop thread would otherwise spend per metric bound (at the start, or when a rule or
 * a device arrives with a reload: thousands of metrics at once).  The baseline starts
 * empty, so its rule says "learning", never a false alarm, and judges as soon as the
 * history joins it.  The reads go one at a time in the order asked (each holds librrd's
 * getopt lock and one of the workers the pollers share).  A baseline freed while its
 * read is queued or running is detached from it (baseline.load), never written after.
 * Also the list of the metrics still learning, for GET /api/v1/alerts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_int.h"
#include "dcmon/log.h"
#include "dcmon/workq.h"

struct baseline_load {
	struct baseline_load *next;
	struct baseline_loader *owner;
	struct baseline *target; /* NULL once freed: the history is dropped */
	struct baseline learned; /* filled on the worker */
	char *path, *device, *key, *daemon; /* daemon: rrdcached, or NULL */
	int64_t end_s;
	long values;
	char err[256];
};

struct baseline_loader {
	struct workq *wq;
	struct baseline_load *head, **tail;
	struct baseline_load *running; /* on a worker, or NULL */
};

static void load_free(struct baseline_load *l)
{
	free(l->path);
	free(l->device);
	free(l->key);
	free(l->daemon);
	free(l);
}

struct baseline_loader *baseline_loader_new(struct workq *wq)
{
	struct baseline_loader *ld = calloc(1, sizeof(*ld));
	if (ld) {
		ld->wq = wq;
		ld->tail = &ld->head;
	}
	return ld;
}

/* After the worker pool is freed (its completions dropped): what is still queued or
 * was running is freed here, and the baselines forget it. */
void baseline_loader_free(struct baseline_loader *ld)
{
	if (!ld)
		return;
	if (ld->running) {
		ld->running->next = ld->head;
		ld->head = ld->running;
	}
	while (ld->head) {
		struct baseline_load *l = ld->head;
		ld->head = l->next;
		if (l->target)
			l->target->load = NULL;
		load_free(l);
	}
	free(ld);
}

static void load_work(void *arg)
{
	struct baseline_load *l = arg;
	baseline_init(&l->learned);
	l->values = baseline_learn_rrd(&l->learned, l->path, l->daemon, l->end_s,
				       ANOMALY_HISTORY_DAYS, l->err, sizeof(l->err));
}

static void load_next(struct baseline_loader *ld);

static void load_done(struct loop *loop, void *arg)
{
	struct baseline_load *l = arg;
	struct baseline_loader *ld = l->owner;
	(void)loop;
	ld->running = NULL;
	if (l->target) {
		l->target->load = NULL;
		if (l->values < 0)
			log_debug("alert", l->device, "baseline of %s starts empty: %s", l->key, l->err);
		else
			baseline_merge(l->target, &l->learned);
	}
	load_free(l);
	load_next(ld);
}

static void load_next(struct baseline_loader *ld)
{
	while (!ld->running && ld->head) {
		struct baseline_load *l = ld->head;
		ld->head = l->next;
		if (!ld->head)
			ld->tail = &ld->head;
		if (!l->target) { /* freed while queued */
			load_free(l);
			continue;
		}
		ld->running = l;
		if (workq_submit(ld->wq, load_work, load_done, l) < 0) { /* no memory: here */
			load_work(l);
			load_done(NULL, l);
		}
	}
}

bool baseline_loader_add(struct baseline_loader *ld, struct baseline *base, const char *path,
			 const char *rrdcached, const struct metric *m, int64_t end_s)
{
	struct baseline_load *l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path)) || !(l->device = strdup(m->device)) ||
	    !(l->key = strdup(m->key)) || (rrdcached && !(l->daemon = strdup(rrdcached)))) {
		if (l)
			load_free(l);
		return false;
	}
	l->owner = ld;
	l->target = base;
	l->end_s = end_s;
	base->load = l;
	*ld->tail = l;
	ld->tail = &l->next;
	load_next(ld);
	return true;
}

void baseline_forget(struct baseline *base)
{
	if (!base)
		return;
	if (base->load)
		base->load->target = NULL;
	if (base->slab)
		baseline_pool_put(base);
	else
		free(base);
}

void alert_engine_foreach_learning(const struct alert_engine *e,
				   bool (*fn)(void *arg, const struct alert_learning_view *v),
				   void *arg)
{
	char state[64];
	for (size_t i = 0; i < e->nbinds; i++) {
		const struct abind *b = e->binds[i];
		for (uint32_t k = 0; k < b->n; k++) {
			const struct aslot *s = &b->slot[k];
			if (s->rule->src->type != RULE_ANOMALY)
				continue;
			anomaly_learning(s->rule, aslot_base(s), state, sizeof(state));
			struct alert_learning_view v = {.rule = s->rule->src->name,
							.device = b->m->device,
							.metric_key = b->m->key, .dev = b->dev,
							.state = state};
			if (state[0] && !fn(arg, &v))
				return;
		}
	}
}
