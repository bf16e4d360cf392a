/* The engine: construction and restore, the metric sink, reload and the 1 s tick. */
#include "alert_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/vec.h"

int alert_engine_insert(struct alert_engine *e, struct alert *a)
{
	struct alert **p = vec_grow(e->alerts, &e->capalerts, e->nalerts, sizeof(*p), 64);
	if (!p)
		return -ENOMEM;
	e->alerts = p;
	if (smap_put(&e->by_ident, a->ident, a) < 0)
		return -ENOMEM;
	if (a->id == 0)
		a->id = e->next_id++;
	else if (a->id >= e->next_id)
		e->next_id = a->id + 1;
	e->alerts[e->nalerts++] = a; /* ids only grow: the list stays sorted */
	return 0;
}

struct alert *alert_engine_find(struct alert_engine *e, int64_t id)
{
	size_t lo = 0, hi = e->nalerts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->alerts[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < e->nalerts && e->alerts[lo]->id == id ? e->alerts[lo] : NULL;
}

void alert_persist(struct alert_engine *e, const struct alert *a)
{
	if (e->st && alert_store_put_alert(e->st, a) < 0)
		log_warnx("alert", a->device, "could not store alert %lld", (long long)a->id);
}

/* ---- restore --------------------------------------------------------------------- */

/* What restoring collects: the alerts whose rule was renamed, written back once the
 * store is read (not while its rows are). */
struct restore {
	struct alert_engine *e;
	struct alert **renamed;
	size_t nrenamed, cap;
};

static bool rule_named(const struct ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->n; i++)
		if (strcmp(rs->rules[i].src->name, name) == 0)
			return true;
	return false;
}

/* Length of the profile in "<profile>:<line>", the name an unnamed profile rule had
 * before names were made from the rule itself; 0 for any other name. */
static size_t line_named_profile(const char *name)
{
	const char *c = strrchr(name, ':');
	if (!c || c == name || !c[1] || c[1 + strspn(c + 1, "0123456789")] != '\0')
		return 0;
	return (size_t)(c - name);
}

/* The one rule of that profile that selects the alert's metric; NULL if none does, or
 * rules of two names do (which was meant cannot be told). */
static const struct arule *rule_renamed(const struct ruleset *rs, const struct alert *a,
					size_t plen)
{
	char metric[METRIC_NAME_MAX + METRIC_INST_MAX + 2];
	snprintf(metric, sizeof(metric), "%s", a->key);
	char *at = strchr(metric, '@');
	if (at)
		*at++ = '\0';
	const struct arule *found = NULL;
	for (size_t i = 0; i < rs->n; i++) {
		const struct arule *r = &rs->rules[i];
		if (!r->profile || strlen(r->profile) != plen ||
		    strncmp(r->profile, a->rule_name, plen) != 0 ||
		    !selector_match(&r->src->match, a->dev, a->device, metric, at))
			continue;
		if (found && found->name_id != r->name_id)
			return NULL;
		found = r;
	}
	return found;
}

/* An alert of an unnamed profile rule stored under "<profile>:<line>" takes the name
 * its rule has now, once, at restore: otherwise it would wait for a rule that no longer
 * exists, firing for ever beside the new alert of the same rule (docs/PROFILES.md,
 * "Rule names").  True if renamed. */
static bool restore_rename(struct alert_engine *e, struct alert *a)
{
	size_t plen = line_named_profile(a->rule_name);
	if (!plen || !e->rs || rule_named(e->rs, a->rule_name))
		return false;
	const struct arule *r = rule_renamed(e->rs, a, plen);
	struct alert *fresh = r ? alert_obj_new(r->src->name, a->device, a->key) : NULL;
	if (!fresh || smap_get(&e->by_ident, fresh->ident)) {
		alert_obj_free(fresh);
		return false;
	}
	log_info("alert", a->device, "alert %lld of rule %s %s: the rule is now named %s",
		 (long long)a->id, a->rule_name, a->key, fresh->rule_name);
	free(a->rule_name);
	free(a->ident);
	a->rule_name = fresh->rule_name;
	a->ident = fresh->ident;
	fresh->rule_name = fresh->ident = NULL;
	alert_obj_free(fresh);
	return true;
}

static void restore_alert(void *arg, struct alert *a)
{
	struct restore *rs = arg;
	struct alert_engine *e = rs->e;
	a->dev = e->rs ? smap_get(&e->rs->devices, a->device) : NULL;
	bool renamed = restore_rename(e, a);
	if (alert_engine_insert(e, a) < 0) {
		log_warnx("alert", a->device, "out of memory restoring alert %lld",
			  (long long)a->id);
		alert_obj_free(a);
		return;
	}
	if (!renamed)
		return;
	struct alert **v = vec_grow(rs->renamed, &rs->cap, rs->nrenamed, sizeof(*v), 8);
	if (!v)
		return; /* renamed again at the next start */
	rs->renamed = v;
	rs->renamed[rs->nrenamed++] = a;
}

static int sil_push(struct alert_engine *e, struct silence *s)
{
	struct silence **p = vec_grow(e->sil, &e->capsil, e->nsil, sizeof(*p), 8);
	if (!p)
		return -ENOMEM;
	e->sil = p;
	e->sil[e->nsil++] = s;
	alert_moved_forget(e);
	if (s->id >= e->next_sil_id)
		e->next_sil_id = s->id + 1;
	return 0;
}

int alert_engine_sil_push(struct alert_engine *e, struct silence *s)
{
	return sil_push(e, s);
}

static void restore_silence(void *arg, struct silence *s)
{
	if (sil_push(arg, s) < 0)
		silence_free(s);
}

/* Opens <state_dir>/alerts.db and loads everything, before any evaluation. */
static int engine_restore(struct alert_engine *e, const char *state_dir, char *err, size_t len)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/alerts.db", state_dir) >= (int)sizeof(path)) {
		snprintf(err, len, "state_dir too long");
		return -ENAMETOOLONG;
	}
	e->st = alert_store_open(path, err, len);
	if (!e->st)
		return -EIO;
	struct restore rs = {.e = e};
	int rc = alert_store_load_alerts(e->st, restore_alert, &rs);
	for (size_t i = 0; i < rs.nrenamed; i++)
		alert_persist(e, rs.renamed[i]);
	free(rs.renamed);
	if (rc < 0 || alert_store_load_silences(e->st, 0, restore_silence, e) < 0) {
		snprintf(err, len, "%s: could not read the alert state", path);
		return -EIO;
	}
	int64_t max = alert_store_max_id(e->st, "alerts");
	if (max >= e->next_id)
		e->next_id = max + 1;
	max = alert_store_max_id(e->st, "silences");
	if (max >= e->next_sil_id)
		e->next_sil_id = max + 1;
	log_info("alert", NULL, "restored %zu alerts and %zu silences from %s", e->nalerts,
		 e->nsil, path);
	return 0;
}

struct alert_engine *alert_engine_new(const struct cfg *cfg, const struct alert_rule_src *profiles,
				      size_t nprofiles, const char *state_dir, char *err,
				      size_t errlen)
{
	struct alert_engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->cfg = cfg;
	e->slot = -1;
	e->next_id = 1;
	e->next_sil_id = 1;
	e->rs = ruleset_new(cfg, profiles, nprofiles, err, errlen);
	if (e->rs && !(e->bpool = baseline_pool_new()))
		snprintf(err, errlen, "out of memory");
	if (!e->rs || !e->bpool || (state_dir && engine_restore(e, state_dir, err, errlen) < 0)) {
		alert_engine_free(e);
		return NULL;
	}
	return e;
}

void alert_engine_free(struct alert_engine *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nbinds; i++) {
		struct abind *b = e->binds[i];
		for (uint32_t k = 0; k < b->n; k++) {
			free(b->slot[k].rate);
			baseline_forget(aslot_base(&b->slot[k]));
		}
		((struct metric *)b->m)->sink_data[e->slot] = NULL;
		free(b);
	}
	free(e->binds);
	for (size_t i = 0; i < e->nalerts; i++)
		alert_obj_free(e->alerts[i]);
	free(e->alerts);
	smap_free(&e->by_ident);
	alert_settle_free(e);
	for (size_t i = 0; i < e->nsil; i++)
		silence_free(e->sil[i]);
	free(e->sil);
	free(e->scratch.v);
	ruleset_free(e->rs);
	ruleset_free(e->next_rs);
	alert_store_close(e->st);
	baseline_loader_free(e->loader);
	baseline_pool_free(e->bpool); /* after the bindings: their baselines are back */
	free(e);
}

int alert_engine_set_workq(struct alert_engine *e, struct workq *wq)
{
	if (!e->loader && wq && !(e->loader = baseline_loader_new(wq)))
		return -ENOMEM;
	return 0;
}

void alert_engine_set_bus(struct alert_engine *e, struct change_bus *bus)
{
	e->bus = bus;
}

void alert_engine_publish_all(struct alert_engine *e, int64_t now_ms)
{
	for (size_t i = 0; i < e->nalerts; i++)
		if (e->alerts[i]->state != ALERT_OK)
			alert_emit(e, e->alerts[i], ALERT_EV_CURRENT, e->alerts[i]->level, now_ms);
}

/* ---- the sink ------------------------------------------------------------------- */

/* Evaluates one slot at now_ms; rate samples only on reports with a new value. */
static void slot_eval(struct alert_engine *e, struct abind *b, struct aslot *s, int64_t now_ms,
		      bool new_value)
{
	const struct arule *r = s->rule;
	if (r->src->type == RULE_RATE && !new_value)
		return;
	struct alert *a = s->alert;
	enum alvl cur = a ? a->level : LVL_NONE;
	double val;
	enum alvl lvl = r->src->type == RULE_ANOMALY
				? anomaly_eval(r, b->m, s->hot.base, &s->hot, new_value, &val)
				: rule_eval(r, e->reg, b->m, cur, s->rate, now_ms, b->bound_ms,
					    &val);
	if (lvl == LVL_UNKNOWN)
		return;
	if (lvl == cur && (!a || a->state != ALERT_PENDING)) {
		if (a && lvl != LVL_NONE) {
			a->value = val;
			alert_publish_value(e, a, now_ms);
		}
		return; /* the common case: nothing changes */
	}
	alert_fsm_step(e, b, s, lvl, val, now_ms);
}

void alert_engine_report(struct alert_engine *e, const struct metric *m, bool bad_quality)
{
	struct abind *b = m->sink_data[e->slot];
	if (b == &alert_no_rules || (!b && !(b = alert_bind_new(e, m, m->ts_ms))))
		return;
	b->bad_quality = bad_quality;
	if (bad_quality)
		return; /* neither fires nor clears */
	bool new_value = m->quality == QUALITY_OK && m->value_ts_ms == m->ts_ms;
	for (uint32_t i = 0; i < b->n; i++)
		slot_eval(e, b, &b->slot[i], m->ts_ms, new_value);
}

static void sink_report(void *arg, const struct metric *m)
{
	alert_engine_report(arg, m, false);
}

static void sink_forget(void *arg, const struct metric *m)
{
	struct alert_engine *e = arg;
	struct abind *b = m->sink_data[e->slot];
	if (b == &alert_no_rules)
		((struct metric *)m)->sink_data[e->slot] = NULL;
	else if (b)
		alert_bind_drop(e, b, m->ts_ms);
}

static const struct metric_sink alert_sink = {
	.name = "alerts",
	.report = sink_report,
	.forget = sink_forget,
};

/* The same, for the pipeline: a slot, reports through alert_engine_report(). */
static const struct metric_sink alert_stage = {
	.name = "alerts",
	.forget = sink_forget,
};

static int attach(struct alert_engine *e, struct metric_reg *reg, const struct metric_sink *sink)
{
	int slot = metric_reg_add_sink(reg, sink, e);
	if (slot < 0)
		return slot;
	e->slot = slot;
	e->reg = reg;
	if (e->st)
		state_health_init(&e->health, reg, "alerts.db");
	return 0;
}

int alert_engine_attach(struct alert_engine *e, struct metric_reg *reg)
{
	return attach(e, reg, &alert_sink);
}

int alert_engine_attach_stage(struct alert_engine *e, struct metric_reg *reg)
{
	return attach(e, reg, &alert_stage);
}

/* Writes held while alerts.db could not be written, and says how it is doing. */
static void tick_store(struct alert_engine *e, int64_t now_ms)
{
	size_t held;
	uint64_t lost;
	if (!e->st)
		return;
	alert_store_retry(e->st);
	bool full = alert_store_health(e->st, &held, &lost);
	state_health_put(&e->health, e->reg, now_ms, full, held, lost);
}

/* ---- reload ---------------------------------------------------------------------- */

int alert_engine_prepare(struct alert_engine *e, const struct cfg *cfg,
			 const struct alert_rule_src *profiles, size_t nprofiles)
{
	char err[128];
	alert_engine_cancel(e);
	if (!(e->next_rs = ruleset_new(cfg, profiles, nprofiles, err, sizeof(err)))) {
		log_warnx("alert", NULL, "reload: %s; keeping the old rules", err);
		return -ENOMEM;
	}
	e->next_cfg = cfg;
	return 0;
}

void alert_engine_cancel(struct alert_engine *e)
{
	ruleset_free(e->next_rs);
	e->next_rs = NULL;
	e->next_cfg = NULL;
}

int alert_engine_commit(struct alert_engine *e, int64_t now_ms)
{
	struct ruleset *old = e->rs;
	if (!e->next_rs)
		return 0; /* nothing prepared */
	e->rs = e->next_rs;
	e->cfg = e->next_cfg;
	e->next_rs = NULL;
	e->next_cfg = NULL;
	int rc = 0;
	for (size_t i = 0; i < e->nbinds; i++)
		if (alert_bind_redo(e, i, now_ms) < 0)
			rc = -ENOMEM;
	alert_bind_unmark(e); /* matched against the new rules at their next report */
	/* every alert, bound or not: one of a rule the reload removed is in no binding,
	 * and its device would point into the configuration about to be freed */
	for (size_t i = 0; i < e->nalerts; i++)
		e->alerts[i]->dev = smap_get(&e->rs->devices, e->alerts[i]->device);
	alert_moved_forget(e); /* silences match alerts by their devices and rules */
	ruleset_free(old);
	if (rc < 0)
		log_warnx("alert", NULL, "reload: out of memory rebinding rules");
	return rc;
}

int alert_engine_reload(struct alert_engine *e, const struct cfg *cfg,
			const struct alert_rule_src *profiles, size_t nprofiles, int64_t now_ms)
{
	int rc = alert_engine_prepare(e, cfg, profiles, nprofiles);
	return rc < 0 ? rc : alert_engine_commit(e, now_ms);
}

/* ---- tick ---------------------------------------------------------------------- */

/* NODATA rules, and `for` delays that elapsed without a new report. */
static void tick_bind(struct alert_engine *e, struct abind *b, int64_t now_ms)
{
	for (uint32_t i = 0; i < b->n; i++) {
		struct aslot *s = &b->slot[i];
		struct alert *a = s->alert;
		if (s->rule->src->type == RULE_NODATA)
			slot_eval(e, b, s, now_ms, false);
		else if (a && a->state == ALERT_PENDING && b->m->quality == QUALITY_OK &&
			 !b->bad_quality &&
			 now_ms - a->pending_ms >= s->rule->src->for_ms)
			alert_fsm_step(e, b, s, a->level, a->value, now_ms);
	}
}

/* Drops one-off silences that are over (the store keeps them). */
static void tick_silences(struct alert_engine *e, int64_t now_ms)
{
	size_t k = 0;
	for (size_t i = 0; i < e->nsil; i++) {
		struct silence *s = e->sil[i];
		if (s->ends_ms && now_ms >= s->ends_ms)
			silence_free(s);
		else
			e->sil[k++] = s;
	}
	if (k != e->nsil)
		alert_moved_forget(e);
	e->nsil = k;
}

void alert_engine_tick(struct alert_engine *e, int64_t now_ms)
{
	alert_engine_publish_start_audit(e); /* once: every part has subscribed by now */
	for (size_t i = 0; i < e->nbinds; i++)
		tick_bind(e, e->binds[i], now_ms);
	tick_silences(e, now_ms);
	for (size_t i = 0; i < e->nalerts; i++) {
		struct alert *a = e->alerts[i];
		bool changed = a->flapping &&
			       alert_flap_update(e, a, alert_flap_count(a, now_ms, false), now_ms);
		changed |= alert_notify_sync(e, a, now_ms);
		if (changed)
			alert_persist(e, a);
	}
	alert_publish_moved(e, now_ms);
	tick_store(e, now_ms);
}

bool alert_engine_baseline(const struct alert_engine *e, const struct metric *m,
			   struct baseline *out, double *deviation, double *margin, char *state,
			   size_t statelen)
{
	const struct abind *b = e->slot >= 0 ? m->sink_data[e->slot] : NULL;
	for (uint32_t i = 0; b && i < b->n; i++) {
		const struct aslot *s = &b->slot[i];
		if (s->hot.base && s->rule->src->type == RULE_ANOMALY) {
			baseline_copy(out, s->hot.base);
			*deviation = s->rule->src->deviation;
			*margin = s->rule->src->margin;
			anomaly_learning(s->rule, s->hot.base, state, statelen);
			return true;
		}
	}
	return false;
}

size_t alert_engine_rule_count(const struct alert_engine *e, size_t *unmatched)
{
	size_t n = 0;
	for (size_t i = 0; i < e->rs->n; i++)
		n += e->rs->rules[i].matched == 0;
	if (unmatched)
		*unmatched = n;
	return e->rs->n;
}

void alert_engine_warn_unmatched(const struct alert_engine *e)
{
	for (size_t i = 0; i < e->rs->n; i++) {
		const struct arule *r = &e->rs->rules[i];
		if (r->matched == 0 && !r->profile)
			log_warnx("alert", NULL, "%s:%d: rule '%s' matches no metric",
				  r->src->pos.file ? r->src->pos.file : "?", r->src->pos.line,
				  r->src->name);
	}
}
