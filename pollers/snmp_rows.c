/* What one poll asks for: scalars by GET; tables by a GETBULK walk of all their columns
 * when their rows are unknown, stale or always changing, otherwise by GET of the cached
 * rows (so a steady poll is usually one or two PDUs).  Rows found by a walk are named
 * and filtered here. */
#include "snmp_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/vec.h"

static const struct snmp_oid sys_uptime = {{1, 3, 6, 1, 2, 1, 1, 3, 0}, 9};

/* ---- columns of a table ------------------------------------------------------------ */

struct colset {
	struct snmp_oid v[64];
	size_t n;
};

static void col_add(struct colset *c, const struct snmp_oid *o)
{
	if (o->len == 0 || c->n >= 64)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (snmp_oid_eq(&c->v[i], o))
			return;
	c->v[c->n++] = *o;
}

/* Value columns of table t: every column its points read per row (points the agent
 * does not implement are not asked for).  An attached table's scale columns are its
 * parent rows', read with them. */
static void value_cols(const struct snmp_dev *d, int t, struct colset *c)
{
	const struct snmp_profile *p = d->prof;
	bool attached = p->tables[t].parent >= 0;

	for (size_t i = 0; i < p->npoints; i++) {
		const struct snmp_point *pt = &p->points[i];
		if (pt->table != t || d->ps[i].support == SNMP_SUPPORT_NO)
			continue;
		col_add(c, &pt->oid);
		col_add(c, &pt->sub);
		col_add(c, &pt->mul);
		col_add(c, &pt->div);
		col_add(c, &pt->exp10);
		if (pt->has_valid_if)
			col_add(c, &pt->valid_if.col);
		if (pt->entity_scale && !attached) {
			col_add(c, &pt->ent_scale);
			col_add(c, &pt->ent_prec);
		}
	}
}

/* The column whose rows define the table: the label column, or the first point's. */
static const struct snmp_oid *key_col(const struct snmp_profile *p, int t)
{
	if (p->tables[t].label_col.len)
		return &p->tables[t].label_col;
	for (size_t i = 0; i < p->npoints; i++)
		if (p->points[i].table == t)
			return &p->points[i].oid;
	return NULL;
}

/* ---- walking -------------------------------------------------------------------- */

/* A row lost for want of memory fails the walk: the table is never taken as whole. */
static void row_lost(struct snmp_tstate *ts)
{
	if (!ts->err[0])
		snprintf(ts->err, sizeof(ts->err), "out of memory");
}

static void on_row(void *tag, const oid *idx, size_t len)
{
	struct snmp_tstate *ts = tag;
	struct snmp_row *r;

	if (!(r = vec_grow(ts->fresh, &ts->capfresh, ts->nfresh, sizeof(*r), 16))) {
		row_lost(ts);
		return;
	}
	ts->fresh = r;
	r = &ts->fresh[ts->nfresh];
	memset(r, 0, sizeof(*r));
	r->idx = malloc(len * sizeof(oid) + 1);
	if (!r->idx) {
		row_lost(ts);
		return;
	}
	memcpy(r->idx, idx, len * sizeof(oid));
	r->len = len;
	ts->nfresh++;
}

static void on_walk_end(void *tag, const char *err)
{
	struct snmp_tstate *ts = tag;

	if (err && !ts->err[0])
		snprintf(ts->err, sizeof(ts->err), "%s", err);
}

static int plan_walk(struct snmp_dev *d, int t)
{
	struct snmp_tstate *ts = &d->ts[t];
	const struct snmp_table *tb = &d->prof->tables[t];
	struct colset c = {.n = 0};

	col_add(&c, key_col(d->prof, t));
	col_add(&c, &d->prof->tables[t].label_fallback);
	for (size_t i = 0; i < tb->nfilters; i++)
		col_add(&c, &tb->filters[i].col);
	value_cols(d, t, &c);
	ts->walking = true;
	ts->nfresh = 0;
	return snmp_fetch_walk(d->fetch, c.v, c.n, snmp_table_max_rows(d, t), on_row,
			       on_walk_end, ts);
}

size_t snmp_table_max_rows(const struct snmp_dev *d, int t)
{
	return (size_t)(d->cfg.max_rows > 0 ? d->cfg.max_rows : d->prof->tables[t].max_rows);
}

/* GETs of the value columns of every kept cached row. */
static int plan_rows(struct snmp_dev *d, int t)
{
	struct snmp_tstate *ts = &d->ts[t];
	struct colset c = {.n = 0};
	struct snmp_oid o;

	value_cols(d, t, &c);
	ts->walking = false;
	for (size_t r = 0; r < ts->nrows; r++) {
		if (!ts->rows[r].keep)
			continue;
		for (size_t j = 0; j < c.n; j++) {
			if (snmp_oid_join(&o, &c.v[j], ts->rows[r].idx, ts->rows[r].len) < 0)
				continue;
			if (snmp_fetch_get(d->fetch, o.v, o.len) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int plan_scalar(struct snmp_dev *d, const struct snmp_point *pt)
{
	static const oid zero[] = {0};
	const struct snmp_oid *extra[] = {&pt->sub, &pt->mul, &pt->div, &pt->exp10,
					  pt->has_valid_if ? &pt->valid_if.col : NULL};
	struct snmp_oid o;

	if (snmp_oid_join(&o, &pt->oid, pt->instance.v, pt->instance.len) < 0 ||
	    snmp_fetch_get(d->fetch, o.v, o.len) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < 5; i++) {
		if (!extra[i] || !extra[i]->len)
			continue;
		if (snmp_oid_join(&o, extra[i], zero, 1) == 0 &&
		    snmp_fetch_get(d->fetch, o.v, o.len) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Points the agent does not implement are asked again every `recheck_unsupported`. */
static void recheck_count(struct snmp_dev *d)
{
	int64_t every = d->cfg.recheck_unsupported_ms > 0 ? d->cfg.recheck_unsupported_ms
							 : SNMP_RECHECK_DEFAULT_MS;
	int64_t interval = d->dev->interval_ms > 0 ? d->dev->interval_ms : 1;

	if (d->recheck_due || (int64_t)++d->polls_since_recheck * interval >= every)
		snmp_support_reset(d);
}

/* Walks table t, or reads its cached rows.  An attached table is walked with its parent:
 * its rows take the parent rows' instances, which a walk may rename. */
static int plan_table(struct snmp_dev *d, size_t t)
{
	const struct snmp_table *tb = &d->prof->tables[t];
	struct snmp_tstate *ts = &d->ts[t];
	int rc = 0;

	ts->err[0] = '\0';
	if (tb->requires.len)
		rc = snmp_fetch_get(d->fetch, tb->requires.v, tb->requires.len);
	if (rc < 0)
		return rc;
	if (tb->walk_always || !ts->valid || ts->stale ||
	    (tb->parent >= 0 && d->ts[tb->parent].walking) || ++ts->polls >= tb->refresh_polls)
		return plan_walk(d, (int)t);
	return plan_rows(d, (int)t);
}

int snmp_plan(struct snmp_dev *d)
{
	const struct snmp_profile *p = d->prof;
	int rc = snmp_fetch_get(d->fetch, sys_uptime.v, sys_uptime.len);

	recheck_count(d);
	for (size_t i = 0; rc == 0 && i < p->npoints; i++)
		if (p->points[i].table < 0 && d->ps[i].support != SNMP_SUPPORT_NO)
			rc = plan_scalar(d, &p->points[i]);
	/* parents first: their plan decides whether their attached tables walk */
	for (size_t t = 0; rc == 0 && t < p->ntables; t++)
		if (p->tables[t].parent < 0)
			rc = plan_table(d, t);
	for (size_t t = 0; rc == 0 && t < p->ntables; t++)
		if (p->tables[t].parent >= 0)
			rc = plan_table(d, t);
	return rc;
}

/* ---- naming and filtering rows ---------------------------------------------------- */

static const struct snmp_val *row_val(const struct snmp_dev *d, const struct snmp_oid *col,
				      const struct snmp_row *r)
{
	struct snmp_oid o;

	if (snmp_oid_join(&o, col, r->idx, r->len) < 0)
		return NULL;
	return snmp_vals_get(d->vals, o.v, o.len);
}

/* True if the value (NULL = missing) passes the filter. */
bool snmp_filter_pass(const struct snmp_filter *f, const struct snmp_val *v)
{
	char text[SNMP_TEXT_MAX];
	bool hit = false;

	if (!v || v->type == SV_ERR)
		return false;
	snmp_val_text(v, text, sizeof(text));
	for (size_t i = 0; i < f->nvalues && !hit; i++)
		hit = strcmp(text, f->values[i]) == 0;
	if (f->nvalues && hit == f->negate)
		return false;
	return !f->has_re || regexec(&f->re, text, 0, NULL, 0) == 0;
}

/* Text of a row's column into buf; false if the column is absent, an error or "". */
static bool col_text(const struct snmp_dev *d, const struct snmp_oid *col,
		     const struct snmp_row *r, char *buf, size_t len)
{
	const struct snmp_val *v;

	if (!col->len || !(v = row_val(d, col, r)) || v->type == SV_ERR)
		return false;
	snmp_val_text(v, buf, len);
	return buf[0] != '\0';
}

/* A row's instance: label_oid, else label_fallback_oid, else the index (an empty
 * entPhysicalName must not make every sensor one instance). */
static char *row_label(const struct snmp_dev *d, int t, const struct snmp_row *r)
{
	const struct snmp_table *tb = &d->prof->tables[t];
	char text[METRIC_INST_MAX];

	if (!col_text(d, &tb->label_col, r, text, sizeof(text)) &&
	    !col_text(d, &tb->label_fallback, r, text, sizeof(text)))
		snmp_oid_format(r->idx, r->len, text, sizeof(text));
	return strdup(text);
}

static int row_cmp_label(const void *a, const void *b)
{
	const struct snmp_row *const *x = a, *const *y = b;

	return strcmp((*x)->label, (*y)->label);
}

/* Appends " #<index>" to a row's label. */
static void label_add_index(struct snmp_row *row)
{
	char idx[METRIC_INST_MAX / 2], text[METRIC_INST_MAX];
	char *l;

	snmp_oid_format(row->idx, row->len, idx, sizeof(idx));
	snprintf(text, sizeof(text), "%.*s #%s", (int)(sizeof(text) - sizeof(idx) - 3), row->label,
		 idx);
	if ((l = strdup(text))) {
		free(row->label);
		row->label = l;
	}
}

/* Kept rows that share a label become "<label> #<index>", all of them, so that an
 * instance never holds two rows' values and its name does not depend on row order.
 * Sorted, not compared pairwise: a table may have thousands of rows. */
static void rows_unique(struct snmp_tstate *ts)
{
	struct snmp_row **v = malloc((ts->nrows ? ts->nrows : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return;
	for (size_t r = 0; r < ts->nrows; r++)
		if (ts->rows[r].keep && ts->rows[r].label)
			v[n++] = &ts->rows[r];
	qsort(v, n, sizeof(*v), row_cmp_label);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(v[i]->label, v[j]->label) == 0)
			j++;
		for (size_t k = i; j - i > 1 && k < j; k++)
			label_add_index(v[k]);
		i = j;
	}
	free(v);
}

/* True if some point makes one instance per row of table t (not an aggregate, whose
 * groups are the labels on purpose: process_count{process}). */
static bool rows_are_instances(const struct snmp_profile *p, int t)
{
	for (size_t i = 0; i < p->npoints; i++)
		if (p->points[i].table == t && p->points[i].aggregate == SNMP_AGG_NONE)
			return true;
	return false;
}

static void rows_free(struct snmp_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].idx);
		free(rows[i].label);
	}
	free(rows);
}

/* True if the row passes every filter of its table. */
static bool row_passes(const struct snmp_dev *d, const struct snmp_table *tb,
		       const struct snmp_row *row)
{
	for (size_t i = 0; i < tb->nfilters; i++)
		if (!snmp_filter_pass(&tb->filters[i], row_val(d, &tb->filters[i].col, row)))
			return false;
	return true;
}

static int idx_cmp(const oid *a, size_t alen, const oid *b, size_t blen)
{
	for (size_t i = 0; i < alen && i < blen; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

/* The kept row of parent whose index begins row's index (rows are in index order). */
static const struct snmp_row *parent_row(const struct snmp_tstate *parent,
					 const struct snmp_row *row)
{
	size_t lo = 0, hi = parent->nrows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct snmp_row *p = &parent->rows[mid];
		int c = idx_cmp(p->idx, p->len, row->idx, p->len < row->len ? p->len : row->len);
		if (c == 0)
			return p->len < row->len && p->keep && p->label ? p : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* An attached table's rows take their parent row's instance; a row without a kept
 * parent row is dropped, and of the rows of one parent that pass the filters only the
 * first (lowest index) is kept, so that an instance holds one row's value. */
static void rows_attach(struct snmp_dev *d, int t)
{
	const struct snmp_table *tb = &d->prof->tables[t];
	struct snmp_tstate *ts = &d->ts[t];
	const struct snmp_row *last = NULL;

	for (size_t r = 0; r < ts->nrows; r++) {
		struct snmp_row *row = &ts->rows[r];
		const struct snmp_row *p = parent_row(&d->ts[tb->parent], row);
		row->keep = p != NULL && p != last && row_passes(d, tb, row);
		row->label = p ? strdup(p->label) : row_label(d, t, row);
		row->plen = p ? p->len : 0;
		if (row->keep)
			last = p;
	}
}

/* Labels and filters the rows of table t. */
static void rows_name(struct snmp_dev *d, int t)
{
	const struct snmp_table *tb = &d->prof->tables[t];
	struct snmp_tstate *ts = &d->ts[t];

	if (tb->parent >= 0) {
		rows_attach(d, t);
		return;
	}
	for (size_t r = 0; r < ts->nrows; r++) {
		struct snmp_row *row = &ts->rows[r];
		row->label = row_label(d, t, row);
		row->keep = row_passes(d, tb, row);
	}
	if (rows_are_instances(d->prof, t))
		rows_unique(ts);
}

/* A walk that failed: the table's rows stay what they were, and are walked again next
 * poll.  The rows it found are kept only while none were known, so that the metrics
 * of a table failing from its first poll exist to carry the reason. */
static void rows_walk_failed(struct snmp_dev *d, int t)
{
	struct snmp_tstate *ts = &d->ts[t];

	if (ts->nrows == 0 && ts->nfresh > 0) {
		ts->rows = ts->fresh;
		ts->nrows = ts->nfresh;
		ts->fresh = NULL;
		ts->nfresh = ts->capfresh = 0;
		rows_name(d, t);
	}
	rows_free(ts->fresh, ts->nfresh);
	ts->fresh = NULL;
	ts->nfresh = ts->capfresh = 0;
	ts->stale = true;
}

/* Replaces a walked table's rows with those just found. */
static void rows_adopt(struct snmp_dev *d, int t)
{
	struct snmp_tstate *ts = &d->ts[t];

	if (ts->err[0]) {
		rows_walk_failed(d, t);
		return;
	}
	rows_free(ts->rows, ts->nrows);
	ts->rows = ts->fresh;
	ts->nrows = ts->nfresh;
	ts->fresh = NULL;
	ts->nfresh = ts->capfresh = 0;
	rows_name(d, t);
	ts->valid = true;
	ts->stale = false;
	ts->polls = 0;
}

void snmp_rows_update(struct snmp_dev *d)
{
	/* parents first: attached rows take their instances */
	for (size_t t = 0; t < d->prof->ntables; t++)
		if (d->ts[t].walking && d->prof->tables[t].parent < 0)
			rows_adopt(d, (int)t);
	for (size_t t = 0; t < d->prof->ntables; t++)
		if (d->ts[t].walking && d->prof->tables[t].parent >= 0)
			rows_adopt(d, (int)t);
}

void snmp_dev_state_free(struct snmp_dev *d)
{
	if (d->ts && d->prof)
		for (size_t t = 0; t < d->prof->ntables; t++) {
			rows_free(d->ts[t].rows, d->ts[t].nrows);
			rows_free(d->ts[t].fresh, d->ts[t].nfresh);
		}
	if (d->ps && d->prof)
		for (size_t i = 0; i < d->prof->npoints; i++)
			if (d->ps[i].n >= 2)
				free(d->ps[i].many);
	free(d->ts);
	free(d->ps);
	d->ts = NULL;
	d->ps = NULL;
}

int snmp_dev_bind_profile(struct snmp_dev *d)
{
	d->ps = calloc(d->prof->npoints ? d->prof->npoints : 1, sizeof(*d->ps));
	d->ts = calloc(d->prof->ntables ? d->prof->ntables : 1, sizeof(*d->ts));
	return d->ps && d->ts ? 0 : -ENOMEM;
}
