/* Bindings: the rules of one metric, found the first time it reports and kept in its
 * sink slot, so that a report costs one pointer load plus the conditions.  A reload
 * rebinds every metric, carrying alerts over by rule name. */
#include "alert_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/log.h"

static int binds_push(struct alert_engine *e, struct abind *b)
{
	if (e->nbinds == e->capbinds) {
		size_t cap = e->capbinds ? e->capbinds * 2 : 256;
		struct abind **p = realloc(e->binds, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		e->binds = p;
		e->capbinds = cap;
	}
	b->idx = e->nbinds;
	e->binds[e->nbinds++] = b;
	return 0;
}

static void binds_remove(struct alert_engine *e, struct abind *b)
{
	struct abind *last = e->binds[--e->nbinds];
	e->binds[b->idx] = last;
	last->idx = b->idx;
}

/* A restored (or orphaned) alert of this rule and metric. */
static struct alert *adopt(struct alert_engine *e, const struct aslot *s, const struct abind *b)
{
	char ident[METRIC_NAME_MAX + METRIC_INST_MAX + 512];
	snprintf(ident, sizeof(ident), "%s\n%s\n%s", s->rule->src->name, b->m->device, b->m->key);
	return smap_get(&e->by_ident, ident);
}

/* Takes over the alert (and rate samples) of the old slot of the same rule name. */
static void slot_carry(struct aslot *s, struct abind *old)
{
	for (uint32_t i = 0; old && i < old->n; i++) {
		struct aslot *o = &old->slot[i];
		if (!o->rule || strcmp(o->rule->src->name, s->rule->src->name) != 0)
			continue;
		s->alert = o->alert;
		if (s->rule->src->type == RULE_RATE && o->rule->src->type == RULE_RATE)
			s->rate = o->rate;
		else
			free(o->rate);
		if (s->rule->src->type == RULE_ANOMALY && o->rule->src->type == RULE_ANOMALY) {
			if (o->hot.base) /* written back; retaken against this rule's `learn` */
				baseline_hot_attach(o->hot.base, &s->hot);
		} else
			baseline_forget(aslot_base(o));
		*o = (struct aslot){0};
		return;
	}
}

static void slot_init(struct alert_engine *e, struct abind *b, struct aslot *s, struct abind *old,
		      int64_t now_ms)
{
	s->rule->matched++;
	slot_carry(s, old);
	if (!s->alert)
		s->alert = adopt(e, s, b);
	if (s->alert) {
		s->alert->rule = s->rule;
		s->alert->m = b->m;
		s->alert->dev = b->dev;
		alert_moved_forget(e);
	}
	if (s->rule->src->type == RULE_RATE && !s->rate)
		s->rate = calloc(1, sizeof(*s->rate)); /* NULL: the rule stays unknown */
	struct baseline *base;
	if (s->rule->src->type == RULE_ANOMALY && !s->hot.base &&
	    (base = anomaly_baseline_new(e, b->m, now_ms))) /* NULL: stays unknown */
		baseline_hot_attach(base, &s->hot);
}

struct baseline *anomaly_baseline_new(const struct alert_engine *e, const struct metric *m,
				      int64_t now_ms)
{
	struct baseline *base = baseline_pool_get(e->bpool);
	if (!base)
		return NULL;
	const struct cfg_daemon *dc = e->cfg ? &e->cfg->daemon : NULL;
	char key[METRIC_NAME_MAX + METRIC_INST_MAX + 8], path[4096], err[256];
	if (!dc || !dc->data_dir || metric_file_key(m, key, sizeof(key)) < 0)
		return base;
	/* a "host:port" rrdcached knows files by their path under its base dir */
	bool remote = dc->rrdcached && strncmp(dc->rrdcached, "unix:", 5) != 0;
	snprintf(path, sizeof(path), "%s%s%s/%s.rrd", remote ? "" : dc->data_dir,
		 remote ? "" : "/", m->device, key);
	if (!remote && access(path, F_OK) != 0)
		return base; /* no history yet: it learns from the samples */
	if (e->loader && baseline_loader_add(e->loader, base, path, dc->rrdcached, m, now_ms / 1000))
		return base; /* learning until its history is read */
	if (baseline_learn_rrd(base, path, dc->rrdcached, now_ms / 1000, ANOMALY_HISTORY_DAYS, err,
			       sizeof(err)) < 0)
		log_debug("alert", m->device, "baseline of %s starts empty: %s", m->key, err);
	return base;
}

/* Ends the alerts left in old slots (their rule is gone) and frees the binding. */
static void bind_release(struct alert_engine *e, struct abind *old, int64_t now_ms)
{
	for (uint32_t i = 0; i < old->n; i++) {
		struct alert *a = old->slot[i].alert;
		if (a) {
			alert_fsm_end(e, a, now_ms);
			a->rule = NULL;
			alert_moved_forget(e);
		}
		free(old->slot[i].rate);
		baseline_forget(aslot_base(&old->slot[i]));
	}
	free(old);
}

/* The rules that apply to metric m now, into e->scratch; its device's config (NULL if
 * it is not in the config) into *dev. */
static int bind_match(struct alert_engine *e, const struct metric *m,
		      const struct cfg_device **dev)
{
	*dev = smap_get(&e->rs->devices, m->device);
	return ruleset_match(e->rs, *dev, m, &e->scratch);
}

/* Binds metric m to the rules bind_match found; old (may be NULL) is carried over. */
static struct abind *bind_build(struct alert_engine *e, const struct metric *m,
				const struct cfg_device *dev, struct abind *old, int64_t now_ms)
{
	struct abind *b = calloc(1, sizeof(*b) + e->scratch.n * sizeof(b->slot[0]));
	if (!b)
		return NULL;
	*b = (struct abind){.m = m, .dev = dev, .n = (uint32_t)e->scratch.n,
			    .bound_ms = old ? old->bound_ms : now_ms};
	for (uint32_t i = 0; i < b->n; i++) {
		b->slot[i].rule = (struct arule *)e->scratch.v[i];
		slot_init(e, b, &b->slot[i], old, now_ms);
	}
	return b;
}

/* What a metric no rule applies to keeps in its slot instead of a binding of its own:
 * most metrics of a large site match no rule, and a binding is 56 bytes a series
 * (docs/ARCHITECTURE.md "Memory per series").  A reload clears it (alert_bind_unmark),
 * so the metric is matched again at its next report. */
const struct abind alert_no_rules;

struct abind *alert_bind_new(struct alert_engine *e, const struct metric *m, int64_t now_ms)
{
	const struct cfg_device *dev;
	if (bind_match(e, m, &dev) < 0)
		return NULL;
	if (e->scratch.n == 0) {
		((struct metric *)m)->sink_data[e->slot] = (struct abind *)&alert_no_rules;
		return NULL;
	}
	struct abind *b = bind_build(e, m, dev, NULL, now_ms);
	if (!b || binds_push(e, b) < 0) {
		log_warnx("alert", m->device, "out of memory binding rules to %s", m->key);
		free(b);
		return NULL;
	}
	((struct metric *)m)->sink_data[e->slot] = b;
	return b;
}

int alert_bind_redo(struct alert_engine *e, size_t i, int64_t now_ms)
{
	struct abind *old = e->binds[i];
	const struct cfg_device *dev;
	struct abind *b = bind_match(e, old->m, &dev) < 0 ? NULL
							   : bind_build(e, old->m, dev, old, now_ms);
	if (!b)
		return -ENOMEM;
	b->idx = i;
	e->binds[i] = b;
	((struct metric *)b->m)->sink_data[e->slot] = b;
	bind_release(e, old, now_ms);
	return 0;
}

void alert_bind_drop(struct alert_engine *e, struct abind *b, int64_t now_ms)
{
	for (uint32_t i = 0; i < b->n; i++) {
		struct alert *a = b->slot[i].alert;
		if (a) {
			alert_fsm_end(e, a, now_ms);
			a->m = NULL;
			a->rule = NULL;
			b->slot[i].alert = NULL;
			alert_moved_forget(e);
		}
	}
	binds_remove(e, b);
	((struct metric *)b->m)->sink_data[e->slot] = NULL;
	bind_release(e, b, now_ms);
}

static void unmark(void *arg, struct metric *m)
{
	const struct alert_engine *e = arg;
	if (m->sink_data[e->slot] == &alert_no_rules)
		m->sink_data[e->slot] = NULL;
}

void alert_bind_unmark(struct alert_engine *e)
{
	if (e->reg && e->slot >= 0)
		metric_reg_foreach(e->reg, unmark, e);
}
