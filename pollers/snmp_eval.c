/* Turns one poll's values into metric reports: sentinels, per-row factors, RFC 3433
 * scaling, scale/offset, valid range, counters made monotonic (Counter32 wrap and
 * agent restarts folded in), table rows, aggregates and alarm presence.  A point that
 * cannot be read is that point's error, never the device's. */
#include "snmp_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/host_checks.h"

/* Where a point is read: a scalar's instance or a table row's index; plen: the length of
 * the parent row's index at its start (an attached table's row), else 0. */
struct at {
	const oid *sfx;
	size_t len;
	size_t plen;
};

static const struct snmp_val *val_at(const struct snmp_dev *d, const struct snmp_oid *base,
				     struct at at)
{
	struct snmp_oid o;

	if (snmp_oid_join(&o, base, at.sfx, at.len) < 0)
		return NULL;
	return snmp_vals_get(d->vals, o.v, o.len);
}

/* Numeric value of a helper object (factor, digits): same row, or the scalar's .0. */
static int helper(const struct snmp_dev *d, const struct snmp_point *p,
		  const struct snmp_oid *o, struct at at, double *out, const char **why)
{
	static const oid zero[] = {0};
	const struct snmp_val *v = val_at(d, o, p->table >= 0 ? at : (struct at){zero, 1, 0});

	if (!v) {
		*why = "no answer";
		return -1;
	}
	return snmp_val_number(v, out, why);
}

/* RFC 3433: value x 10^(3 (scale - 9)) / 10^precision (precision > 0); the scale of the
 * sensor's row, which is the parent row for an attached table (a threshold is in its
 * sensor's units). */
static int entity_factor(const struct snmp_dev *d, const struct snmp_point *p, struct at at,
			 double *f, const char **why)
{
	struct at row = {at.sfx, at.plen ? at.plen : at.len, 0};
	double scale, prec;

	if (helper(d, p, &p->ent_scale, row, &scale, why) < 0 ||
	    helper(d, p, &p->ent_prec, row, &prec, why) < 0)
		return -1;
	if (scale < 1 || scale > 17 || prec < -8 || prec > 9) {
		*why = "entPhySensorScale/Precision out of range";
		return -1;
	}
	*f = pow(10.0, 3.0 * (scale - 9.0)) / (prec > 0 ? pow(10.0, prec) : 1.0);
	return 0;
}

/* Applies the point's row factors to raw. */
static int factors(const struct snmp_dev *d, const struct snmp_point *p, struct at at,
		   double *raw, const char **why)
{
	double x;

	if (p->sub.len) {
		if (helper(d, p, &p->sub, at, &x, why) < 0)
			return -1;
		*raw -= x;
	}
	if (p->mul.len) {
		if (helper(d, p, &p->mul, at, &x, why) < 0)
			return -1;
		*raw *= x;
	}
	if (p->div.len) {
		if (helper(d, p, &p->div, at, &x, why) < 0)
			return -1;
		if (x == 0) {
			*why = "divisor is 0";
			return -1;
		}
		*raw /= x;
	}
	if (p->exp10.len) {
		if (helper(d, p, &p->exp10, at, &x, why) < 0 || x < -9 || x > 9) {
			*why = *why ? *why : "decimal digits out of range";
			return -1;
		}
		*raw /= pow(10.0, x);
	}
	if (p->entity_scale) {
		if (entity_factor(d, p, at, &x, why) < 0)
			return -1;
		*raw *= x;
	}
	return 0;
}

/* raw x scale + offset; a scale of 1/n divides by n, so 499 x 0.1 reads 49.9 exactly
 * as printed, not 49.900000000000006. */
static double apply_scale(const struct snmp_point *p, double raw)
{
	if (p->scale != 0 && fabs(p->scale) < 1) {
		double inv = 1.0 / p->scale, n = round(inv);
		if (fabs(inv - n) < 1e-9)
			return raw / n + p->offset;
	}
	return raw * p->scale + p->offset;
}

/* Why a point has no value, by cause: whether the device is degraded by it depends
 * on the cause (docs/PROFILES.md, "Point quality"). */
enum snmp_miss {
	MISS_NONE,   /* a value */
	MISS_OBJECT, /* the agent does not implement the object (noSuch*, endOfMibView) */
	MISS_VALUE,  /* the agent says "not available": a sentinel, valid_if, no rows */
	MISS_FAULT,  /* a wrong value or a failed request */
};

/* True if an error value says the agent has no such object (v1: noSuchName). */
static bool val_absent(const struct snmp_val *v)
{
	static const char *const absent[] = {"noSuchObject", "noSuchInstance", "endOfMibView",
					     "noSuchName"};

	if (!v || v->type != SV_ERR || !v->text)
		return false;
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (strcmp(v->text, absent[i]) == 0)
			return true;
	return false;
}

/* Reads, checks and scales one value; counters yield their raw reading in *u64 and
 * their row factor (multiply_by / divide_by; 1 without) in *out, applied to the folded
 * counter (counter_fold) so that its rate is scaled.  A value missing from a walked
 * table (its column ended before the row) is absent. */
static enum snmp_miss read_point(const struct snmp_dev *d, const struct snmp_point *p,
				 struct at at, double *out, uint64_t *u64, const char **why,
				 char *buf, size_t blen)
{
	const struct snmp_val *v = val_at(d, &p->oid, at);
	double raw;

	*why = NULL;
	if (!v) {
		*why = "no answer";
		return p->table >= 0 && d->ts[p->table].walking ? MISS_OBJECT : MISS_FAULT;
	}
	if (snmp_val_number(v, &raw, why) < 0)
		return val_absent(v) ? MISS_OBJECT : MISS_FAULT;
	for (size_t i = 0; i < p->ninvalid; i++)
		if (raw == p->invalid[i]) {
			snprintf(buf, blen, "not available (agent reports %.15g)", raw);
			*why = buf;
			return MISS_VALUE;
		}
	if (p->has_valid_if && !snmp_filter_pass(&p->valid_if, val_at(d, &p->valid_if.col, at))) {
		if (!isnan(p->otherwise)) {
			*out = p->otherwise;
			return MISS_NONE;
		}
		*why = "not valid (valid_if does not hold)";
		return MISS_VALUE;
	}
	if (p->kind == METRIC_COUNTER && v->type != SV_COUNTER) {
		*why = "a counter point got a non-counter value";
		return MISS_FAULT;
	}
	*u64 = v->u64;
	if (p->kind == METRIC_COUNTER) {
		*out = 1.0;
		return factors(d, p, at, out, why) < 0 ? MISS_FAULT : MISS_NONE;
	}
	if (factors(d, p, at, &raw, why) < 0)
		return MISS_FAULT;
	*out = apply_scale(p, raw);
	if ((!isnan(p->min) && *out < p->min) || (!isnan(p->max) && *out > p->max)) {
		snprintf(buf, blen, "value %.6g out of the valid range", *out);
		*why = buf;
		return MISS_FAULT;
	}
	return MISS_NONE;
}

/* ---- instances ------------------------------------------------------------------- */

/* One of each per series (docs/ARCHITECTURE.md "Memory per series"). */
_Static_assert(sizeof(struct snmp_inst) <= 32, "struct snmp_inst outgrew its budget");
_Static_assert(sizeof(struct snmp_pstate) <= 48, "struct snmp_pstate outgrew its budget");

static bool inst_is(const struct snmp_inst *v, const char *inst)
{
	const char *own = metric_inst(v->m);
	return (!inst && !own) || (inst && own && !strcmp(inst, own));
}

/* Room for one more instance of ps: the first is ps->one; from the second on, all move
 * to the heap (ps->many, once n counts the new one). */
static struct snmp_inst *inst_room(struct snmp_pstate *ps)
{
	if (ps->n == 0)
		return &ps->one;
	struct snmp_inst *v = ps->n == 1 ? malloc(2 * sizeof(*v))
					 : realloc(ps->many, (ps->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	if (ps->n == 1)
		v[0] = ps->one;
	ps->many = v;
	return &v[ps->n];
}

static struct snmp_inst *inst_find(struct snmp_pstate *ps, const char *inst)
{
	struct snmp_inst *v = snmp_pstate_insts(ps);
	if (ps->hint < ps->n && inst_is(&v[ps->hint], inst))
		return &v[ps->hint++];
	for (uint32_t i = 0; i < ps->n; i++)
		if (inst_is(&v[i], inst)) {
			ps->hint = i + 1;
			return &v[i];
		}
	return NULL;
}

/* The device's series limit refused a metric of point pi: its table reports that. */
static void series_refused(struct snmp_dev *d, const struct snmp_point *p)
{
	if (errno == ENOSPC && p->table >= 0)
		d->ts[p->table].series_full = true;
}

/* The instance of point pi named inst, made at its first use; NULL when the registry
 * refuses it (the device's series limit, errno ENOSPC). */
static struct snmp_inst *inst_get(struct snmp_dev *d, size_t pi, const char *inst,
				  const char *label)
{
	const struct snmp_point *p = &d->prof->points[pi];
	struct snmp_pstate *ps = &d->ps[pi];
	struct snmp_inst *v = inst_find(ps, inst);

	if (v)
		return v;
	if (ps->n == UINT32_MAX)
		return NULL; /* not reached: a device's series limit is far below */
	struct metric_desc desc = {
		.name = p->metric, .unit = p->unit, .kind = p->kind,
		.inst_label = inst ? label : NULL, .inst = inst,
		.interval_ms = d->dev->interval_ms, .enums = p->enums, .nenums = p->nenums,
		.headline = p->headline,
	};
	struct metric *m = metric_reg_get(d->env->reg, d->dev->id, &desc);
	if (!m) {
		series_refused(d, p);
		return NULL;
	}
	if (!(v = inst_room(ps)))
		return NULL;
	ps->n++;
	*v = (struct snmp_inst){.m = m};
	ps->hint = ps->n;
	return v;
}

/* Folds a raw counter reading into the monotonic value reported. */
static double counter_fold(struct snmp_inst *in, uint64_t raw, bool c32)
{
	if (!in->primed)
		in->virt = (double)raw;
	else if (!in->have_prev)
		in->virt += (double)raw; /* agent restarted: counts since then */
	else if (raw >= in->prev_raw)
		in->virt += (double)(raw - in->prev_raw);
	else if (c32)
		in->virt += (double)(raw + 4294967296ULL - in->prev_raw); /* 32-bit wrap */
	else
		in->virt += (double)raw; /* a 64-bit counter went back: reset */
	in->primed = in->have_prev = true;
	in->prev_raw = raw;
	return in->virt;
}

/* One reading of an instance, with why it has no value (why NULL = a value). */
struct reading {
	double value;
	uint64_t raw;
	bool c32;
	const char *why;
	enum snmp_miss miss;
};

/* True if a failed reading degrades the device: a wrong value always does; an absent
 * one only for a point that is required or answered before (docs/PROFILES.md). */
static bool degrades(const struct snmp_point *p, const struct snmp_inst *in,
		     enum snmp_miss miss)
{
	return miss == MISS_FAULT || p->required || (in && in->answered);
}

static void report(struct snmp_dev *d, struct snmp_inst *in, const struct snmp_point *p,
		   const struct reading *r)
{
	double value = r->value;

	if (!in) {
		d->point_errors++; /* no metric to carry it: the poll's outcome does */
		return;
	}
	if (r->why && degrades(p, in, r->miss)) {
		metric_put_error(d->env->reg, in->m, d->now_ms, r->why);
		d->point_errors++;
		return;
	}
	if (r->why) {
		metric_put_absent(d->env->reg, in->m, d->now_ms, r->why);
		return;
	}
	if (p->kind == METRIC_COUNTER)
		value = apply_scale(p, counter_fold(in, r->raw, r->c32) * r->value);
	metric_put(d->env->reg, in->m, d->now_ms, value);
	in->answered = true;
	d->point_values++;
}

/* A point none of whose readings had a value learns what the agent does with it: an
 * object it never implemented (and not required) is not supported, and not polled. */
static void learn_support(struct snmp_dev *d, size_t pi, bool any_value, bool only_absent)
{
	struct snmp_pstate *ps = &d->ps[pi];

	if (any_value)
		ps->support = SNMP_SUPPORT_YES;
	else if (only_absent && ps->support == SNMP_SUPPORT_UNKNOWN &&
		 !d->prof->points[pi].required)
		ps->support = SNMP_SUPPORT_NO;
}

/* The instances a point has whatever the agent answers: a scalar's, an alarm table's
 * names (so that an absent table shows as absent, not as all clear). */
static void insts_fixed(struct snmp_dev *d, size_t pi)
{
	const struct snmp_point *p = &d->prof->points[pi];

	if (p->table < 0) {
		inst_get(d, pi, NULL, NULL);
		return;
	}
	if (p->aggregate != SNMP_AGG_PRESENCE)
		return;
	const char *label = d->prof->tables[p->table].index_label;
	for (size_t e = 0; e < p->noid_enums; e++)
		inst_get(d, pi, p->oid_enums[e].name, label ? label : "alarm");
	inst_get(d, pi, "other", label ? label : "alarm");
}

/* Every instance of an unsupported point says so (no request was sent for it). */
static void report_unsupported(struct snmp_dev *d, size_t pi)
{
	struct snmp_pstate *ps = &d->ps[pi];

	if (ps->n == 0)
		insts_fixed(d, pi);
	for (size_t i = 0; i < ps->n; i++)
		metric_put_absent(d->env->reg, snmp_pstate_insts(ps)[i].m, d->now_ms,
				  SNMP_NOT_SUPPORTED);
	d->ps[pi].unanswered = true;
	d->points_unsupported++;
}

static bool is_c32(const struct snmp_dev *d, const struct snmp_point *p, struct at at)
{
	const struct snmp_val *v = val_at(d, &p->oid, at);
	return v && v->asn_type == ASN_COUNTER;
}

/* ---- per point kinds ------------------------------------------------------------- */

static void eval_scalar(struct snmp_dev *d, size_t pi)
{
	const struct snmp_point *p = &d->prof->points[pi];
	struct at at = {p->instance.v, p->instance.len, 0};
	char buf[METRIC_REASON_MAX];
	struct reading r = {0};
	struct snmp_inst *in = inst_get(d, pi, NULL, NULL);

	r.miss = read_point(d, p, at, &r.value, &r.raw, &r.why, buf, sizeof(buf));
	r.c32 = p->kind == METRIC_COUNTER && is_c32(d, p, at);
	learn_support(d, pi, r.miss == MISS_NONE, r.miss == MISS_OBJECT && !degrades(p, in, r.miss));
	if (d->ps[pi].support == SNMP_SUPPORT_NO) {
		report_unsupported(d, pi);
		return;
	}
	d->ps[pi].unanswered = r.miss == MISS_OBJECT;
	report(d, in, p, &r);
}

/* A table that could not be read: every instance known so far gets the reason. */
static void eval_table_failed(struct snmp_dev *d, size_t pi, const char *why)
{
	for (size_t i = 0; i < d->ps[pi].n; i++) {
		metric_put_error(d->env->reg, snmp_pstate_insts(&d->ps[pi])[i].m, d->now_ms, why);
		d->point_errors++;
	}
	if (d->ps[pi].n == 0)
		d->point_errors++;
}

/* fail: the table's error this poll (every row reports it instead of its value). */
static void eval_rows(struct snmp_dev *d, size_t pi, struct snmp_tstate *ts,
		      const char *label, const char *fail)
{
	const struct snmp_point *p = &d->prof->points[pi];
	char buf[METRIC_REASON_MAX];
	bool any_value = false, only_absent = true;
	size_t kept = 0;

	for (size_t r = 0; r < ts->nrows; r++) {
		const struct snmp_row *row = &ts->rows[r];
		struct at at = {row->idx, row->len, row->plen};
		const struct snmp_val *v = val_at(d, &p->oid, at);
		struct reading rd = {0};
		if (!row->keep)
			continue;
		kept++;
		if (!ts->walking && v && v->type == SV_ERR && !strcmp(v->text, "noSuchInstance"))
			ts->stale = true; /* the row went away: re-walk next poll */
		struct snmp_inst *in = inst_get(d, pi, row->label, label);
		rd.miss = read_point(d, p, at, &rd.value, &rd.raw, &rd.why, buf, sizeof(buf));
		rd.c32 = p->kind == METRIC_COUNTER && is_c32(d, p, at);
		if (fail) {
			rd.why = fail;
			rd.miss = MISS_FAULT;
		}
		any_value |= rd.miss == MISS_NONE;
		only_absent &= rd.miss == MISS_OBJECT && !degrades(p, in, rd.miss);
		if (rd.miss == MISS_OBJECT && !degrades(p, in, rd.miss))
			rd.why = SNMP_NOT_SUPPORTED;
		report(d, in, p, &rd);
	}
	d->ps[pi].unanswered = !any_value && only_absent;
	if (ts->walking && kept)
		learn_support(d, pi, any_value, only_absent);
}

struct group {
	const char *name;
	double sum, min, max;
	size_t n;
};

static struct group *group_of(struct group *g, size_t *ng, size_t cap, const char *name)
{
	for (size_t i = 0; i < *ng; i++)
		if (strcmp(g[i].name, name) == 0)
			return &g[i];
	if (*ng >= cap)
		return NULL;
	g[*ng] = (struct group){.name = name, .min = INFINITY, .max = -INFINITY};
	return &g[(*ng)++];
}

static double group_value(const struct group *g, enum snmp_agg a)
{
	switch (a) {
	case SNMP_AGG_SUM: return g->n ? g->sum : NAN; /* nothing summed is no reading */
	case SNMP_AGG_AVG: return g->n ? g->sum / (double)g->n : NAN;
	case SNMP_AGG_MIN: return g->n ? g->min : NAN;
	case SNMP_AGG_MAX: return g->n ? g->max : NAN;
	default: return (double)g->n;
	}
}

/* Adds one kept row's value to its group (found by name; none = the row is left out). */
static void group_add(struct group *g, size_t *ng, size_t cap, const struct snmp_point *p,
		      const char *name, double x)
{
	struct group *gr = NULL;

	if (p->match_processes) {
		for (size_t i = 0; i < *ng && !gr; i++)
			gr = strcmp(g[i].name, name) == 0 ? &g[i] : NULL;
	} else {
		gr = group_of(g, ng, cap, name);
	}
	if (!gr)
		return;
	gr->sum += x;
	gr->min = x < gr->min ? x : gr->min;
	gr->max = x > gr->max ? x : gr->max;
	gr->n++;
}

/* Groups: the device's process names (match_processes), else one per row label, else
 * one group for the whole table.  fail: the table's error this poll, reported by every
 * group instead of its value. */
static void eval_aggregate(struct snmp_dev *d, size_t pi, const struct snmp_tstate *ts,
			   const char *label, const char *fail)
{
	const struct snmp_point *p = &d->prof->points[pi];
	size_t nproc;
	const struct cfg_process *proc = process_checks_of(d->dev, &nproc);
	size_t cap = ts->nrows + nproc + 1, ng = 0; /* one group per row at most */
	struct group *g = malloc(cap * sizeof(*g));
	char buf[METRIC_REASON_MAX];

	if (!g) {
		eval_table_failed(d, pi, "out of memory");
		return;
	}
	if (p->match_processes)
		for (size_t i = 0; i < nproc; i++)
			if (proc[i].name)
				group_of(g, &ng, cap, proc[i].name);
	for (size_t r = 0; r < ts->nrows; r++) {
		const struct snmp_row *row = &ts->rows[r];
		struct at at = {row->idx, row->len, row->plen};
		const char *why;
		double x = 1;
		uint64_t raw;
		if (!row->keep)
			continue;
		if (p->aggregate != SNMP_AGG_COUNT &&
		    read_point(d, p, at, &x, &raw, &why, buf, sizeof(buf)) != MISS_NONE)
			continue;
		group_add(g, &ng, cap, p, label ? row->label : "", x);
	}
	if (ng == 0 && !label)
		group_of(g, &ng, cap, "");
	for (size_t i = 0; i < ng; i++) {
		struct reading rd = {.value = group_value(&g[i], p->aggregate)};
		if (fail || isnan(rd.value)) {
			rd.why = fail ? fail : "no rows to aggregate";
			rd.miss = fail ? MISS_FAULT : MISS_VALUE;
		}
		report(d, inst_get(d, pi, label ? g[i].name : NULL, label), p, &rd);
	}
	free(g);
}

/* Alarm tables: one 0/1 instance per known OID value, plus "other". */
static void eval_presence(struct snmp_dev *d, size_t pi, const struct snmp_tstate *ts,
			  const char *label, const char *fail)
{
	const struct snmp_point *p = &d->prof->points[pi];
	char want[SNMP_TEXT_MAX];
	bool other = false;

	for (size_t r = 0; r < ts->nrows; r++) {
		const struct snmp_val *v;
		bool known = false;
		if (!ts->rows[r].keep)
			continue;
		v = val_at(d, &p->oid, (struct at){ts->rows[r].idx, ts->rows[r].len, 0});
		if (!v || v->type != SV_OID)
			continue;
		for (size_t e = 0; e < p->noid_enums && !known; e++) {
			snmp_oid_format(p->oid_enums[e].oid.v, p->oid_enums[e].oid.len, want,
					sizeof(want));
			known = strcmp(want, v->text) == 0;
		}
		other |= !known;
	}
	for (size_t e = 0; e < p->noid_enums; e++) {
		bool on = false;
		snmp_oid_format(p->oid_enums[e].oid.v, p->oid_enums[e].oid.len, want, sizeof(want));
		for (size_t r = 0; r < ts->nrows && !on; r++) {
			const struct snmp_val *v = val_at(d, &p->oid, (struct at){ts->rows[r].idx,
										 ts->rows[r].len, 0});
			on = ts->rows[r].keep && v && v->type == SV_OID && !strcmp(v->text, want);
		}
		report(d, inst_get(d, pi, p->oid_enums[e].name, label), p,
		       &(struct reading){.value = on, .why = fail, .miss = MISS_FAULT});
	}
	report(d, inst_get(d, pi, "other", label), p,
	       &(struct reading){.value = other, .why = fail, .miss = MISS_FAULT});
}

#define SERIES_FULL "series limit of the device reached (daemon.max_series_per_device)"

/* Why the table cannot be trusted this poll, or NULL: its walk failed (cut, looping,
 * unanswered) or the device's series limit refused some of its metrics. */
static const char *table_fail(const struct snmp_tstate *ts)
{
	if (ts->err[0])
		return ts->err;
	return ts->series_full ? SERIES_FULL : NULL;
}

/* False if the agent says it does not implement table t (its `requires_oid`). */
static bool table_implemented(const struct snmp_dev *d, int t)
{
	const struct snmp_oid *req = &d->prof->tables[t].requires;

	return !req->len || !val_absent(snmp_vals_get(d->vals, req->v, req->len));
}

static void eval_table_point(struct snmp_dev *d, size_t pi)
{
	const struct snmp_point *p = &d->prof->points[pi];
	struct snmp_tstate *ts = &d->ts[p->table];
	const char *label = d->prof->tables[p->table].index_label;
	const char *fail = table_fail(ts);

	if (!table_implemented(d, p->table) && !p->required)
		d->ps[pi].support = SNMP_SUPPORT_NO;
	if (d->ps[pi].support == SNMP_SUPPORT_NO) {
		report_unsupported(d, pi);
		return;
	}
	if (!table_implemented(d, p->table)) {
		insts_fixed(d, pi);
		eval_table_failed(d, pi, SNMP_NOT_SUPPORTED " (no requires_oid)");
		return;
	}
	/* A table known before keeps its metrics, each with the reason; one failing
	 * from the start gets the metrics of the rows its walk found, so that the
	 * reason is visible and not only counted. */
	if (!ts->valid && !ts->nrows) {
		eval_table_failed(d, pi, fail ? fail : "table not read");
		return;
	}
	if (ts->err[0] && d->ps[pi].n) {
		eval_table_failed(d, pi, ts->err);
		return;
	}
	d->ps[pi].unanswered = ts->nrows == 0; /* the agent has no such table */
	if (p->aggregate == SNMP_AGG_PRESENCE)
		eval_presence(d, pi, ts, label ? label : "alarm", fail);
	else if (p->aggregate != SNMP_AGG_NONE)
		eval_aggregate(d, pi, ts, label, fail);
	else
		eval_rows(d, pi, ts, label, fail);
}

void snmp_eval(struct snmp_dev *d)
{
	d->point_errors = d->point_values = 0;
	d->points_unsupported = 0;
	for (size_t i = 0; i < d->prof->npoints; i++) {
		if (d->prof->points[i].table < 0)
			eval_scalar(d, i);
		else
			eval_table_point(d, i);
	}
}

void snmp_counters_reset(struct snmp_dev *d)
{
	for (size_t i = 0; d->ps && i < d->prof->npoints; i++)
		for (size_t k = 0; k < d->ps[i].n; k++)
			snmp_pstate_insts(&d->ps[i])[k].have_prev = false;
}

void snmp_support_reset(struct snmp_dev *d)
{
	for (size_t i = 0; d->ps && i < d->prof->npoints; i++)
		if (d->ps[i].support == SNMP_SUPPORT_NO)
			d->ps[i].support = SNMP_SUPPORT_UNKNOWN;
	d->polls_since_recheck = 0;
	d->recheck_due = false;
}
