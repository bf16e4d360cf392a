/* The facility part: lifecycle, its two stages of the daemon's pipeline (quality before
 * the rule engine, derivation after it), the firing critical alerts it follows on the
 * change bus, suppression (the engine's input, kept current), and the 1 s tick;
 * trap/poll fusion is in ftrap.c. */
#include "facility_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/loop.h"

#define FACILITY_TICK_MS 1000

static void mark_derived(struct facility *f, struct metric *m);

/* One per series (docs/ARCHITECTURE.md "Memory per series"). */
_Static_assert(sizeof(struct fmet) <= 48, "struct fmet outgrew its budget");

#define FMET_SLAB 1024                /* records of one slab: 48 KiB */
#define MET_NODE_NONE UINT32_MAX      /* met_node's FG_NONE */

static struct fmet *fmet_at(const struct facility *f, size_t k)
{
	return &f->mets[k / FMET_SLAB][k % FMET_SLAB];
}

/* A node index as met_node holds it (a graph has far fewer than 2^32 - 1 nodes). */
static uint32_t met_node_of(size_t node)
{
	return node == FG_NONE ? MET_NODE_NONE : (uint32_t)node;
}

/* ---- derived metrics ------------------------------------------------------------- */

struct metric *facility_metric(struct facility *f, const char *device, const char *name,
			       const char *unit, int kind, const char *inst_label, const char *inst,
			       int64_t interval_ms, const struct metric_enum *enums, size_t nenums)
{
	struct metric_desc d = {.name = name, .unit = unit, .kind = (enum metric_kind)kind,
				.inst_label = inst ? inst_label : NULL, .inst = inst,
				.interval_ms = interval_ms, .enums = enums, .nenums = nenums};
	struct metric *m = metric_reg_get(f->env.reg, device, &d);
	if (!m)
		log_warnx("facility", device, "cannot create metric %s: %s", name, strerror(errno));
	else
		mark_derived(f, m);
	return m;
}

static struct fmet *fmet_of(const struct facility *f, const struct metric *m)
{
	return f->slot >= 0 ? m->sink_data[f->slot] : NULL;
}

static struct fmet *fmet_new(struct facility *f, struct metric *m);

/* A derived metric is the facility's own from its creation: its reports are never
 * judged for quality nor derived from again. */
static void mark_derived(struct facility *f, struct metric *m)
{
	struct fmet *fm = fmet_of(f, m);
	if (!fm && !(fm = fmet_new(f, m)))
		return;
	fm->derived = true;
	f->met_node[fm->idx] = MET_NODE_NONE;
}

void facility_put(struct facility *f, struct metric *m, int64_t now_ms, double v, const char *why)
{
	if (!m)
		return;
	if (why)
		metric_put_error(f->env.reg, m, now_ms, why);
	else
		metric_put(f->env.reg, m, now_ms, v);
}

/* ---- the pipeline's stages ------------------------------------------------------------ */

/* Room for one more record: a slab more when the last is full, and met_node's
 * entries with it.  false when out of memory. */
static bool fmet_room(struct facility *f)
{
	if (f->nmets < f->nslabs * FMET_SLAB)
		return true;
	struct fmet **slabs = realloc(f->mets, (f->nslabs + 1) * sizeof(*slabs));
	if (!slabs)
		return false;
	f->mets = slabs;
	uint32_t *node = realloc(f->met_node, (f->nslabs + 1) * FMET_SLAB * sizeof(*node));
	if (!node)
		return false;
	f->met_node = node;
	if (!(slabs[f->nslabs] = calloc(FMET_SLAB, sizeof(struct fmet))))
		return false;
	f->nslabs++;
	return true;
}

static struct fmet *fmet_new(struct facility *f, struct metric *m)
{
	if (f->nmets >= UINT32_MAX || !fmet_room(f))
		return NULL; /* fmet.idx's range, or out of memory */
	struct fmet *fm = fmet_at(f, f->nmets);
	*fm = (struct fmet){.m = m, .node = fgraph_find(f->g, m->device), .last = m->value};
	fm->trap_state = strcmp(m->name, "trap_last_state") == 0;
	fm->from_traps = fm->trap_state || strcmp(m->name, "trap_received_total") == 0;
	fm->moves = m->kind == METRIC_GAUGE && fquality_unit_moves(m->shape->unit);
	fm->series = strcmp(m->name, "fuel_level_percent") == 0 ? FSER_FUEL
		     : strcmp(m->name, "fs_used_percent") == 0  ? FSER_FS
		     : strcmp(m->shape->unit, "celsius") == 0   ? FSER_TEMP
								: FSER_NONE;
	fm->idx = (uint32_t)f->nmets;
	f->met_node[f->nmets++] = met_node_of(fm->node);
	m->sink_data[f->slot] = fm;
	return fm;
}

/* Frees fm's record: the last record moves into its place (its metric's slot follows),
 * and the last slab goes once empty. */
static void fmet_free(struct facility *f, struct fmet *fm)
{
	size_t i = fm->idx;
	struct fmet *last = fmet_at(f, --f->nmets);
	fm->m->sink_data[f->slot] = NULL;
	free(fm->ser);
	if (fm != last) {
		*fm = *last;
		fm->idx = (uint32_t)i;
		fm->m->sink_data[f->slot] = fm;
		f->met_node[i] = f->met_node[f->nmets];
	}
	if (f->nmets == (f->nslabs - 1) * FMET_SLAB) {
		free(f->mets[--f->nslabs]);
		f->mets[f->nslabs] = NULL;
	}
}

/* Is m one of the readings that say whether a generator runs (fderive_engine_running)? */
static bool runs_engine(const struct metric *m)
{
	return strcmp(m->name, "engine_state") == 0 || strcmp(m->name, "engine_speed_rpm") == 0 ||
	       strcmp(m->name, "output_power_total_watts") == 0;
}

/* A standby source that starts or stops supplies or idles from this report on: the
 * power states (and suppression) move before the rules judge it. */
static void standby_moved(struct facility *f, const struct fmet *fm, const struct metric *m)
{
	const struct fnode *v = fm->node != FG_NONE ? &f->g->v[fm->node] : NULL;
	if (v && v->standby && runs_engine(m) && v->idle == fderive_engine_running(f, v->id))
		facility_compute(f, m->ts_ms);
}

bool facility_quality(struct facility *f, const struct metric *cm)
{
	struct metric *m = (struct metric *)cm; /* the registry's own object */
	struct fmet *fm = fmet_of(f, m);
	if (!fm && !(fm = fmet_new(f, m)))
		return false;
	if (fm->derived)
		return false;
	standby_moved(f, fm, m);
	fquality_report(f, fm, m);
	return fquality_unjudged(fm, m);
}

void facility_derive(struct facility *f, const struct metric *m)
{
	struct fmet *fm = fmet_of(f, m);
	if (!fm || fm->derived)
		return;
	bool new_value = m->quality == QUALITY_OK && m->value_ts_ms == m->ts_ms;
	if (new_value && fm->trap_state)
		ftrap_report(f, m);
	if (new_value && fm->fault == FAULT_OK)
		fderive_sample(f, fm, m);
	fm->last_ts = m->ts_ms;
}

static void sink_forget(void *arg, const struct metric *m)
{
	struct facility *f = arg;
	struct fmet *fm = fmet_of(f, m);
	if (fm && fm->trap_state)
		ftrap_forget(f, m);
	if (fm)
		fmet_free(f, fm);
}

/* A slot for what the facility keeps per metric; the reports come from the pipeline. */
static const struct metric_sink facility_sink = {
	.name = "facility",
	.forget = sink_forget,
};

/* ---- suppression ------------------------------------------------------------------ */

const char *facility_suppressed_by(struct facility *f, const char *device, int64_t now_ms)
{
	if (now_ms != f->computed_ms)
		facility_compute(f, now_ms);
	size_t i = fgraph_find(f->g, device);
	if (i == FG_NONE || f->st[i].cause == FG_NONE) /* lost power, or a switch transferring */
		return NULL;
	return f->g->v[f->st[i].cause].id;
}

const struct alert_suppression *facility_suppression(const struct facility *f)
{
	return f->supp;
}

/* Writes each device's cause that moved since it was last written (a failed write is
 * tried again at the next computation). */
static void tell_suppression(struct facility *f)
{
	const struct fgraph *g = f->g;
	for (size_t i = 0; i < g->cfg->ndevices; i++) { /* the devices: alerts are theirs */
		size_t cause = f->st[i].cause;
		if (cause != f->told[i] &&
		    alert_suppression_set(f->supp, g->v[i].id,
					  cause != FG_NONE ? g->v[cause].id : NULL) == 0)
			f->told[i] = cause;
	}
}

/* ---- failure state --------------------------------------------------------------- */

static size_t crit_find(const struct facility *f, int64_t alert_id)
{
	for (size_t i = 0; i < f->ncrit; i++)
		if (f->crit[i].alert_id == alert_id)
			return i;
	return f->ncrit;
}

static void crit_add(struct facility *f, int64_t alert_id, const char *device)
{
	if (f->ncrit == f->capcrit) {
		size_t cap = f->capcrit ? f->capcrit * 2 : 16;
		struct fcrit *v = realloc(f->crit, cap * sizeof(*v));
		if (!v)
			return;
		f->crit = v;
		f->capcrit = cap;
	}
	char *dev = strdup(device);
	if (dev)
		f->crit[f->ncrit++] = (struct fcrit){.alert_id = alert_id, .device = dev};
}

/* Follows which alerts fire critical: their devices count as failed.  One that starts
 * or stops is heard while the engine publishes it, and suppression moves at once: the
 * engine reads the new causes before it publishes or notifies anything else. */
static void on_alert_change(struct facility *f, const struct change *c)
{
	const struct alert_event *ev = alert_event_of(c);
	bool critical = ev->state == ALERT_FIRING && ev->severity == SEV_CRITICAL;
	size_t i = crit_find(f, ev->alert_id);
	size_t ncrit = f->ncrit;
	if (critical && i == f->ncrit) {
		crit_add(f, ev->alert_id, ev->device);
	} else if (!critical && i < f->ncrit) {
		free(f->crit[i].device);
		f->crit[i] = f->crit[--f->ncrit];
	}
	if (f->ncrit != ncrit)
		facility_compute(f, c->ts_ms);
}

/* An alert change, or a reload that is in force everywhere (the scheduler holds the
 * kept devices' states again: what failed before the reload counts again). */
static void on_change(void *arg, const struct change *c)
{
	struct facility *f = arg;
	if (c->kind == CHANGE_ALERT)
		on_alert_change(f, c);
	else
		facility_compute(f, c->ts_ms);
}

bool facility_dev_unreachable(const struct facility *f, const char *device)
{
	const struct dev_status *s = f->env.dev_status ? f->env.dev_status(f->env.arg, device) : NULL;
	return s && s->state == DEV_STATE_UNREACHABLE;
}

void facility_compute(struct facility *f, int64_t now_ms)
{
	for (size_t i = 0; i < f->g->n; i++) {
		struct fnode *v = &f->g->v[i];
		f->failed[i] = v->dev && facility_dev_unreachable(f, v->id);
		f->unreachable[i] = f->failed[i];
		v->idle = v->standby && !fderive_engine_running(f, v->id);
	}
	for (size_t k = 0; k < f->ncrit; k++) {
		size_t i = fgraph_find(f->g, f->crit[k].device);
		if (i != FG_NONE)
			f->failed[i] = true;
	}
	fgraph_eval(f->g, f->failed, f->st);
	f->computed_ms = now_ms;
	tell_suppression(f);
}

/* ---- tick ------------------------------------------------------------------------- */

void facility_tick(struct facility *f, int64_t now_ms)
{
	facility_compute(f, now_ms);
	size_t n = f->g->n;
	int64_t *metrics_due = f->due_ms + n;
	bool *due = f->failed + n; /* scratch after the per-node flags */
	for (size_t i = 0; i < n; i++) {
		if (now_ms >= f->due_ms[i]) {
			f->due_ms[i] = now_ms + facility_node_interval(f, i);
			fderive_node(f, i, now_ms);
		}
		due[i] = now_ms >= metrics_due[i];
		if (due[i])
			metrics_due[i] = now_ms + facility_node_interval(f, i);
	}
	/* per-metric work (sensor faults, trends over minutes: the tick's pace is theirs);
	 * the list may grow (new derived metrics) while we walk it */
	for (size_t k = 0; k < f->nmets; k++) {
		uint32_t node = f->met_node[k];
		if (node != MET_NODE_NONE && due[node])
			fderive_metric(f, fmet_at(f, k), now_ms);
	}
}

void facility_device_polled(struct facility *f, const char *device, int64_t now_ms)
{
	if (f && f->traps)
		ftrap_polled(f, device, now_ms);
	size_t i = f ? fgraph_find(f->g, device) : FG_NONE;
	if (i == FG_NONE)
		return;
	/* the tick reports the node again only if polls stop coming (1.5 intervals) */
	f->due_ms[i] = now_ms + facility_node_interval(f, i) * 3 / 2;
	fderive_node(f, i, now_ms);
	/* The scheduler says a device is unreachable (or answers again) at a poll's end
	 * only: the power states and suppression move now, before the engine looks again.
	 * Any other poll's end leaves them be: a walk over every node and alert is too
	 * much for each. */
	if (facility_dev_unreachable(f, device) != f->unreachable[i])
		facility_compute(f, now_ms);
}

void facility_clock_stepped(struct facility *f, int64_t step_ms)
{
	if (!f)
		return;
	for (size_t i = 0; i < 2 * f->g->n; i++) /* nodes, then their metrics */
		clock_shift_ms(&f->due_ms[i], step_ms);
	for (size_t k = 0; k < f->nmets; k++) {
		struct fmet *fm = fmet_at(f, k);
		clock_shift_ms(&fm->last_ts, step_ms);
		bool wall_series = fm->series == FSER_TEMP || fm->series == FSER_FS;
		for (size_t j = 0; wall_series && fm->ser && j < FSERIES_MAX; j++)
			clock_shift_ms(&fm->ser->ts[j], step_ms);
	}
}

static void on_timer(struct loop *loop, void *arg)
{
	struct facility *f = arg;
	facility_tick(f, clock_wall_ms());
	f->timer = loop_timer_at(loop, loop_next_step_ms(loop, FACILITY_TICK_MS), on_timer, f);
}

/* ---- lifecycle -------------------------------------------------------------------- */

/* Graph and per-node arrays for cfg; 0 or -EINVAL/-ENOMEM (f unchanged then). */
static int graph_swap(struct facility *f, const struct cfg *cfg, char *err, size_t errlen)
{
	struct fgraph *g = fgraph_new(cfg, err, errlen);
	if (!g)
		return -EINVAL;
	bool *failed = calloc(2 * g->n + 1, sizeof(*failed)); /* + tick scratch */
	bool *unreachable = calloc(g->n + 1, sizeof(*unreachable));
	struct fstate *st = calloc(g->n + 1, sizeof(*st));
	size_t *told = malloc((g->n + 1) * sizeof(*told));
	int64_t *due = calloc(2 * g->n + 1, sizeof(*due)); /* nodes, then their metrics */
	bool *seen = calloc(g->n + 1, sizeof(*seen));
	size_t *queue = calloc(g->n + 2, sizeof(*queue));
	if (!failed || !unreachable || !st || !told || !due || !seen || !queue) {
		free(failed);
		free(unreachable);
		free(st);
		free(told);
		free(due);
		free(seen);
		free(queue);
		fgraph_free(g);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fgraph_eval(g, failed, st);
	for (size_t i = 0; i <= g->n; i++)
		told[i] = FG_NONE; /* as the map, emptied below: nothing explained */
	alert_suppression_clear(f->supp); /* its strings are the old graph's */
	fgraph_free(f->g);
	free(f->failed);
	free(f->unreachable);
	free(f->st);
	free(f->told);
	free(f->due_ms);
	free(f->chain_seen);
	free(f->chain_queue);
	f->g = g;
	f->chain_seen = seen;
	f->chain_queue = queue;
	f->failed = failed;
	f->unreachable = unreachable;
	f->st = st;
	f->told = told;
	f->due_ms = due;
	f->env.cfg = cfg;
	f->computed_ms = 0;
	for (size_t i = 0; i < f->nmets; i++) {
		struct fmet *fm = fmet_at(f, i);
		fm->node = fgraph_find(g, fm->m->device);
		f->met_node[i] = fm->derived ? MET_NODE_NONE : met_node_of(fm->node);
	}
	return 0;
}

struct facility *facility_new(const struct facility_env *env, char *err, size_t errlen)
{
	struct facility *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->env = *env;
	f->slot = -1;
	if (!(f->supp = alert_suppression_new())) {
		snprintf(err, errlen, "out of memory");
		facility_free(f);
		return NULL;
	}
	if (graph_swap(f, env->cfg, err, errlen) < 0) {
		facility_free(f);
		return NULL;
	}
	if ((f->slot = metric_reg_add_sink(env->reg, &facility_sink, f)) < 0) {
		snprintf(err, errlen, "no free metric sink slot");
		facility_free(f);
		return NULL;
	}
	if (change_subscribe(env->bus, CHANGE_MASK(CHANGE_ALERT) | CHANGE_MASK(CHANGE_CONFIG),
			     on_change, f) < 0) {
		snprintf(err, errlen, "out of memory");
		facility_free(f);
		return NULL;
	}
	if (env->loop)
		f->timer = loop_timer_at(env->loop, loop_next_step_ms(env->loop, FACILITY_TICK_MS),
					 on_timer, f);
	return f;
}

int facility_reload(struct facility *f, const struct cfg *cfg)
{
	char err[256];
	int rc = graph_swap(f, cfg, err, sizeof(err));
	if (rc < 0)
		log_warnx("facility", NULL, "reload: %s; keeping the old graph", err);
	else
		facility_compute(f, 0); /* the new graph's causes; 0: the next question asks again */
	return rc;
}

void facility_free(struct facility *f)
{
	if (!f)
		return;
	change_unsubscribe(f->env.bus, on_change, f);
	if (f->timer)
		loop_timer_cancel(f->env.loop, f->timer);
	while (f->nmets > 0)
		fmet_free(f, fmet_at(f, f->nmets - 1));
	free(f->mets);
	free(f->met_node);
	free(f->chain_seen);
	free(f->chain_queue);
	fgraph_free(f->g);
	free(f->failed);
	free(f->unreachable);
	free(f->st);
	free(f->told);
	free(f->due_ms);
	alert_suppression_free(f->supp);
	ftrap_free(f);
	for (size_t k = 0; k < f->ncrit; k++)
		free(f->crit[k].device);
	free(f->crit);
	free(f);
}
