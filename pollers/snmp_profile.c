/* SNMP device profiles: YAML data files read through cfgtree key tables, so every
 * mistake is reported as file:line:col.  Format: docs/PROFILES.md, "SNMP points". */
#include "snmp_int.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small custom decoders ------------------------------------------------------- */

static int decode_oid(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	if (n->type != CFGNODE_SCALAR || snmp_oid_parse(n->scalar, field) < 0) {
		cfg_error(d, &n->pos, "expected a numeric OID like 1.3.6.1.2.1.33.1.2.1");
		return -EINVAL;
	}
	return 0;
}

static int decode_suffix(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	if (n->type != CFGNODE_SCALAR || snmp_oid_parse_n(n->scalar, field, 1) < 0) {
		cfg_error(d, &n->pos, "expected an instance suffix like 0 or 1.2");
		return -EINVAL;
	}
	return 0;
}

static bool parse_double(const char *s, double *out)
{
	char *end;

	*out = strtod(s, &end);
	return end != s && *end == '\0' && isfinite(*out);
}

/* `invalid: [-1, 1000000000]` or a single number. */
static int decode_invalid(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	struct snmp_point *p = (struct snmp_point *)((char *)field - offsetof(struct snmp_point,
									     invalid));
	size_t cnt = n->type == CFGNODE_SEQ ? n->n : 1;

	p->invalid = calloc(cnt, sizeof(double));
	if (!p->invalid)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const struct cfgnode *it = n->type == CFGNODE_SEQ ? n->items[i] : n;
		if (it->type != CFGNODE_SCALAR || !parse_double(it->scalar, &p->invalid[i])) {
			cfg_error(d, &it->pos, "expected a number");
			return -EINVAL;
		}
	}
	p->ninvalid = cnt;
	return 0;
}

/* `enums: {1: unknown, 2: normal}` */
static int decode_enums(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	struct snmp_point *p = (struct snmp_point *)((char *)field - offsetof(struct snmp_point,
									     enums));
	if (n->type != CFGNODE_MAP) {
		cfg_error(d, &n->pos, "expected a map of numbers to names, like {1: on, 2: off}");
		return -EINVAL;
	}
	p->enums = calloc(n->n ? n->n : 1, sizeof(*p->enums));
	if (!p->enums)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		const struct cfgnode_pair *pr = &n->pairs[i];
		char *end;
		long v = strtol(pr->key->scalar, &end, 10);
		if (*pr->key->scalar == '\0' || *end != '\0' || pr->value->type != CFGNODE_SCALAR) {
			cfg_error(d, &pr->key->pos, "enum entries are `<integer>: <name>`");
			return -EINVAL;
		}
		p->enums[p->nenums].value = (int)v;
		p->enums[p->nenums++].name = strdup(pr->value->scalar);
	}
	return 0;
}

/* `oid_enums: {1.3.6.1.2.1.33.1.6.3.2: on_battery}` */
static int decode_oid_enums(const struct cfgnode *n, void *field, struct cfg_diags *d,
			    void *ctx)
{
	struct snmp_point *p = (struct snmp_point *)((char *)field -
						     offsetof(struct snmp_point, oid_enums));
	if (n->type != CFGNODE_MAP) {
		cfg_error(d, &n->pos, "expected a map of OIDs to names");
		return -EINVAL;
	}
	p->oid_enums = calloc(n->n ? n->n : 1, sizeof(*p->oid_enums));
	if (!p->oid_enums)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		const struct cfgnode_pair *pr = &n->pairs[i];
		struct snmp_oid_enum *e = &p->oid_enums[p->noid_enums];
		if (snmp_oid_parse(pr->key->scalar, &e->oid) < 0 ||
		    pr->value->type != CFGNODE_SCALAR) {
			cfg_error(d, &pr->key->pos, "oid_enums entries are `<numeric OID>: <name>`");
			return -EINVAL;
		}
		e->name = strdup(pr->value->scalar);
		p->noid_enums++;
	}
	return 0;
}

/* `entity_scale: true` (RFC 3433 entPhySensorEntry) or the entry OID of a vendor table of
 * the same layout, whose columns 2 and 3 are the scale and the precision
 * (CISCO-ENTITY-SENSOR-MIB entSensorValueEntry, 1.3.6.1.4.1.9.9.91.1.1.1.1). */
static int decode_entity_scale(const struct cfgnode *n, void *field, struct cfg_diags *d,
			       void *ctx)
{
	static const struct snmp_oid rfc3433 = {{1, 3, 6, 1, 2, 1, 99, 1, 1, 1}, 10};
	struct snmp_point *p = (struct snmp_point *)((char *)field -
						     offsetof(struct snmp_point, entity_scale));
	struct snmp_oid entry;

	if (n->type == CFGNODE_SCALAR && strcmp(n->scalar, "false") == 0)
		return 0;
	if (n->type == CFGNODE_SCALAR && strcmp(n->scalar, "true") == 0)
		entry = rfc3433;
	else if (n->type != CFGNODE_SCALAR || snmp_oid_parse(n->scalar, &entry) < 0 ||
		 entry.len + 1 > SNMP_OID_MAX) {
		cfg_error(d, &n->pos, "expected true, false or the numeric OID of a sensor table "
			  "entry whose columns 2 and 3 are scale and precision");
		return -EINVAL;
	}
	p->entity_scale = true;
	p->ent_scale = p->ent_prec = entry;
	p->ent_scale.v[p->ent_scale.len++] = 2;
	p->ent_prec.v[p->ent_prec.len++] = 3;
	return 0;
}

/* ---- filters and tables ---------------------------------------------------------- */

struct filter_raw {
	struct snmp_oid col;
	char **equals;
	size_t nequals;
	char **not_equals;
	size_t nnot_equals;
	char *match;
};

#define FR(f) offsetof(struct filter_raw, f)
static const struct cfg_key filter_keys[] = {
	{.name = "oid", .type = CFGK_CUSTOM, .offset = FR(col), .required = true,
	 .custom = decode_oid},
	{.name = "equals", .type = CFGK_STRLIST, .offset = FR(equals),
	 .count_offset = FR(nequals)},
	{.name = "not_equals", .type = CFGK_STRLIST, .offset = FR(not_equals),
	 .count_offset = FR(nnot_equals)},
	{.name = "match", .type = CFGK_STRING, .offset = FR(match)},
	{.name = NULL},
};

static void strlist_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int filter_decode(const struct cfgnode *n, struct snmp_filter *f, struct cfg_diags *d)
{
	struct filter_raw r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = cfg_decode(n, filter_keys, &r, d, NULL);
	f->col = r.col;
	f->match = r.match;
	if (r.nequals && r.nnot_equals) {
		cfg_error(d, &n->pos, "a filter has `equals` or `not_equals`, not both");
		rc = -EINVAL;
	}
	f->negate = r.nnot_equals > 0;
	f->values = f->negate ? r.not_equals : r.equals;
	f->nvalues = f->negate ? r.nnot_equals : r.nequals;
	strlist_free(f->negate ? r.equals : r.not_equals, f->negate ? r.nequals : r.nnot_equals);
	if (rc == 0 && !f->nvalues && !f->match) {
		cfg_error(d, &n->pos, "a filter needs `equals`, `not_equals` or `match`");
		rc = -EINVAL;
	}
	if (rc == 0 && f->match) {
		if (regcomp(&f->re, f->match, REG_EXTENDED | REG_NOSUB) != 0) {
			cfg_error(d, &n->pos, "`match` is not a valid extended regular expression");
			return -EINVAL;
		}
		f->has_re = true;
	}
	return rc;
}

static void filter_free(struct snmp_filter *f)
{
	strlist_free(f->values, f->nvalues);
	free(f->match);
	if (f->has_re)
		regfree(&f->re);
}

/* `filter:` is one map or a list of maps (all must hold). */
static int decode_filters(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	struct snmp_table *t = (struct snmp_table *)((char *)field -
						     offsetof(struct snmp_table, filters));
	size_t cnt = n->type == CFGNODE_SEQ ? n->n : 1;
	int rc = 0;

	t->filters = calloc(cnt, sizeof(*t->filters));
	if (!t->filters)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		if (filter_decode(n->type == CFGNODE_SEQ ? n->items[i] : n, &t->filters[i], d) < 0)
			rc = -EINVAL;
		t->nfilters++;
	}
	return rc;
}

static const char *const walk_names[] = {"cached", "always", NULL};

struct table_raw {
	struct snmp_table t;
	int walk;
};

#define TR(f) offsetof(struct table_raw, f)
static const struct cfg_key table_keys[] = {
	{.name = "index_label", .type = CFGK_STRING, .offset = TR(t.index_label)},
	{.name = "label_oid", .type = CFGK_CUSTOM, .offset = TR(t.label_col),
	 .custom = decode_oid},
	{.name = "filter", .type = CFGK_CUSTOM, .offset = TR(t.filters), .custom = decode_filters},
	{.name = "walk", .type = CFGK_ENUM, .offset = TR(walk), .names = walk_names},
	{.name = "refresh", .type = CFGK_INT, .offset = TR(t.refresh_polls), .min = 1,
	 .max = 100000},
	{.name = "max_rows", .type = CFGK_INT, .offset = TR(t.max_rows), .min = 1,
	 .max = SNMP_MAX_ROWS_LIMIT},
	{.name = "requires_oid", .type = CFGK_CUSTOM, .offset = TR(t.requires),
	 .custom = decode_oid},
	{.name = "label_fallback_oid", .type = CFGK_CUSTOM, .offset = TR(t.label_fallback),
	 .custom = decode_oid},
	{.name = "attach_to", .type = CFGK_STRING, .offset = TR(t.attach_to)},
	{.name = NULL},
};

static void table_free(struct snmp_table *t)
{
	free(t->index_label);
	free(t->attach_to);
	for (size_t i = 0; i < t->nfilters; i++)
		filter_free(&t->filters[i]);
	free(t->filters);
}

static int decode_table(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	struct snmp_table **out = field;
	struct table_raw r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.t.refresh_polls = 30;
	r.t.max_rows = SNMP_ROWS_DEFAULT;
	r.t.parent = -1;
	if (n->type == CFGNODE_SCALAR && n->scalar[0] == '\0') {
		rc = 0; /* `table:` with nothing: rows named by their index */
	} else {
		rc = cfg_decode(n, table_keys, &r, d, ctx);
		const struct cfgnode *a = cfgnode_get(n, "attach_to");
		if (a)
			r.t.attach_pos = a->pos;
	}
	r.t.walk_always = r.walk == 1;
	*out = malloc(sizeof(**out));
	if (!*out) {
		table_free(&r.t);
		return -ENOMEM;
	}
	**out = r.t;
	return rc;
}

/* ---- points ---------------------------------------------------------------------- */

static const char *const kind_names[] = {"gauge", "counter", "state", NULL};
static const char *const agg_names[] = {"none", "sum", "avg", "min", "max", "count", "presence",
					NULL};

struct point_raw {
	struct snmp_point p;
	struct snmp_table *table;
};

#define PR(f) offsetof(struct point_raw, f)
static const struct cfg_key point_keys[] = {
	{.name = "metric", .type = CFGK_STRING, .offset = PR(p.metric), .required = true},
	{.name = "oid", .type = CFGK_CUSTOM, .offset = PR(p.oid), .required = true,
	 .custom = decode_oid},
	{.name = "instance", .type = CFGK_CUSTOM, .offset = PR(p.instance),
	 .custom = decode_suffix},
	{.name = "kind", .type = CFGK_ENUM, .offset = PR(p.kind), .names = kind_names},
	{.name = "unit", .type = CFGK_STRING, .offset = PR(p.unit)},
	{.name = "description", .type = CFGK_STRING, .offset = PR(p.description)},
	{.name = "scale", .type = CFGK_DOUBLE, .offset = PR(p.scale)},
	{.name = "offset", .type = CFGK_DOUBLE, .offset = PR(p.offset)},
	{.name = "min", .type = CFGK_DOUBLE, .offset = PR(p.min)},
	{.name = "max", .type = CFGK_DOUBLE, .offset = PR(p.max)},
	{.name = "invalid", .type = CFGK_CUSTOM, .offset = PR(p.invalid), .custom = decode_invalid},
	{.name = "enums", .type = CFGK_CUSTOM, .offset = PR(p.enums), .custom = decode_enums},
	{.name = "oid_enums", .type = CFGK_CUSTOM, .offset = PR(p.oid_enums),
	 .custom = decode_oid_enums},
	{.name = "table", .type = CFGK_CUSTOM, .offset = PR(table), .custom = decode_table},
	{.name = "aggregate", .type = CFGK_ENUM, .offset = PR(p.aggregate), .names = agg_names},
	{.name = "match_processes", .type = CFGK_BOOL, .offset = PR(p.match_processes)},
	{.name = "subtract", .type = CFGK_CUSTOM, .offset = PR(p.sub), .custom = decode_oid},
	{.name = "multiply_by", .type = CFGK_CUSTOM, .offset = PR(p.mul), .custom = decode_oid},
	{.name = "divide_by", .type = CFGK_CUSTOM, .offset = PR(p.div), .custom = decode_oid},
	{.name = "decimals_oid", .type = CFGK_CUSTOM, .offset = PR(p.exp10),
	 .custom = decode_oid},
	{.name = "entity_scale", .type = CFGK_CUSTOM, .offset = PR(p.entity_scale),
	 .custom = decode_entity_scale},
	{.name = "required", .type = CFGK_BOOL, .offset = PR(p.required)},
	{.name = "valid_if", .type = CFGK_CUSTOM, .offset = PR(p.valid_if),
	 .custom = NULL /* set below */},
	{.name = "otherwise", .type = CFGK_DOUBLE, .offset = PR(p.otherwise)},
	{.name = NULL},
};

static void point_free(struct snmp_point *p)
{
	free(p->metric);
	free(p->unit);
	free(p->description);
	free(p->invalid);
	for (size_t i = 0; i < p->nenums; i++)
		free((char *)p->enums[i].name);
	free(p->enums);
	for (size_t i = 0; i < p->noid_enums; i++)
		free(p->oid_enums[i].name);
	free(p->oid_enums);
	if (p->has_valid_if)
		filter_free(&p->valid_if);
}

/* Cross-key checks of one decoded point. */
static int point_check(struct snmp_point *p, const struct snmp_table *t, struct cfg_diags *d)
{
	char why[160];
	int rc = 0;

	if (p->metric && !metric_name_check(p->metric, p->kind, why, sizeof(why))) {
		cfg_error(d, &p->pos, "%s", why);
		rc = -EINVAL;
	}
	if (p->aggregate != SNMP_AGG_NONE && !t) {
		cfg_error(d, &p->pos, "`aggregate` needs `table`");
		rc = -EINVAL;
	}
	if (p->aggregate == SNMP_AGG_PRESENCE && !p->noid_enums) {
		cfg_error(d, &p->pos, "`aggregate: presence` needs `oid_enums`");
		rc = -EINVAL;
	}
	if (p->match_processes && p->aggregate != SNMP_AGG_COUNT) {
		cfg_error(d, &p->pos, "`match_processes` needs `aggregate: count`");
		rc = -EINVAL;
	}
	if (p->entity_scale && !t) {
		cfg_error(d, &p->pos, "`entity_scale` needs `table`");
		rc = -EINVAL;
	}
	if (t && t->attach_to && p->aggregate != SNMP_AGG_NONE) {
		cfg_error(d, &p->pos, "a table with `attach_to` makes one metric per row: no "
			  "`aggregate`");
		rc = -EINVAL;
	}
	if (t && p->aggregate == SNMP_AGG_NONE && !t->index_label && !t->attach_to) {
		cfg_error(d, &p->pos, "a table point needs `table: {index_label: ...}` "
			  "or an `aggregate`");
		rc = -EINVAL;
	}
	if (p->scale == 0.0) {
		cfg_error(d, &p->pos, "`scale` must not be 0");
		rc = -EINVAL;
	}
	if (!isnan(p->otherwise) && (!p->has_valid_if || p->kind == METRIC_COUNTER)) {
		cfg_error(d, &p->pos, "`otherwise` needs `valid_if` and a gauge or state");
		rc = -EINVAL;
	}
	if (p->kind == METRIC_COUNTER && (p->sub.len || p->exp10.len || p->entity_scale)) {
		cfg_error(d, &p->pos, "a counter takes `multiply_by` and `divide_by` only "
			  "(not `subtract`, `decimals_oid`, `entity_scale`)");
		rc = -EINVAL;
	}
	return rc;
}

static bool filters_same(const struct snmp_filter *a, const struct snmp_filter *b)
{
	if (!snmp_oid_eq(&a->col, &b->col) || a->negate != b->negate ||
	    a->nvalues != b->nvalues || (!a->match) != (!b->match) ||
	    (a->match && strcmp(a->match, b->match) != 0))
		return false;
	for (size_t i = 0; i < a->nvalues; i++)
		if (strcmp(a->values[i], b->values[i]) != 0)
			return false;
	return true;
}

static bool tables_same(const struct snmp_table *a, const struct snmp_table *b)
{
	if ((!a->index_label) != (!b->index_label) ||
	    (a->index_label && strcmp(a->index_label, b->index_label) != 0) ||
	    !snmp_oid_eq(&a->entry, &b->entry) ||
	    !snmp_oid_eq(&a->label_col, &b->label_col) || a->walk_always != b->walk_always ||
	    !snmp_oid_eq(&a->requires, &b->requires) ||
	    !snmp_oid_eq(&a->label_fallback, &b->label_fallback) ||
	    a->refresh_polls != b->refresh_polls || a->max_rows != b->max_rows ||
	    a->nfilters != b->nfilters || (!a->attach_to) != (!b->attach_to) ||
	    (a->attach_to && strcmp(a->attach_to, b->attach_to) != 0))
		return false;
	for (size_t i = 0; i < a->nfilters; i++)
		if (!filters_same(&a->filters[i], &b->filters[i]))
			return false;
	return true;
}

/* Index of a table equal to *t in the profile (taking t over), or a new one. */
static int table_intern(struct snmp_profile *prof, struct snmp_table *t)
{
	for (size_t i = 0; i < prof->ntables; i++)
		if (tables_same(&prof->tables[i], t)) {
			table_free(t);
			return (int)i;
		}
	struct snmp_table *v = realloc(prof->tables, (prof->ntables + 1) * sizeof(*v));
	if (!v) {
		table_free(t);
		return -1;
	}
	prof->tables = v;
	prof->tables[prof->ntables] = *t;
	return (int)prof->ntables++;
}

static int decode_valid_if(const struct cfgnode *n, void *field, struct cfg_diags *d,
			   void *ctx)
{
	struct snmp_point *p = (struct snmp_point *)((char *)field -
						     offsetof(struct snmp_point, valid_if));
	p->has_valid_if = true;
	return filter_decode(n, &p->valid_if, d);
}

static void point_defaults(struct snmp_point *p, const struct cfgnode *n)
{
	memset(p, 0, sizeof(*p));
	p->kind = METRIC_GAUGE;
	p->scale = 1.0;
	p->min = p->max = p->otherwise = NAN;
	p->table = -1;
	p->instance.v[0] = 0;
	p->instance.len = 1;
	p->pos = n->pos;
}

static int point_decode(const struct cfgnode *n, struct snmp_profile *prof, struct cfg_diags *d)
{
	struct cfg_key keys[sizeof(point_keys) / sizeof(point_keys[0])];
	struct point_raw r;
	int rc;

	memcpy(keys, point_keys, sizeof(keys));
	for (size_t i = 0; keys[i].name; i++)
		if (strcmp(keys[i].name, "valid_if") == 0)
			keys[i].custom = decode_valid_if;
	memset(&r, 0, sizeof(r));
	point_defaults(&r.p, n);
	rc = cfg_decode(n, keys, &r, d, prof);
	if (point_check(&r.p, r.table, d) < 0)
		rc = -EINVAL;
	if (r.table) {
		r.table->entry = r.p.oid;
		if (r.table->entry.len > 1)
			r.table->entry.len--;
		r.p.table = table_intern(prof, r.table);
		free(r.table);
		if (r.p.table < 0)
			rc = -ENOMEM;
	}
	if (!r.p.unit)
		r.p.unit = strdup("");
	prof->points[prof->npoints++] = r.p;
	return rc;
}

static int decode_points(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	struct snmp_profile *prof = ctx;
	int rc = 0;

	if (n->type != CFGNODE_SEQ) {
		cfg_error(d, &n->pos, "`points` is a list of points");
		return -EINVAL;
	}
	prof->points = calloc(n->n ? n->n : 1, sizeof(*prof->points));
	if (!prof->points)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++)
		if (point_decode(n->items[i], prof, d) < 0)
			rc = -EINVAL;
	return rc;
}

/* ---- the profile ------------------------------------------------------------------ */

/* A list of OIDs or a single one into *v / *n. */
static int decode_oid_list(const struct cfgnode *n, struct snmp_oid **v, size_t *cnt_out,
			   struct cfg_diags *d)
{
	size_t cnt = n->type == CFGNODE_SEQ ? n->n : 1;

	*v = calloc(cnt ? cnt : 1, sizeof(**v));
	if (!*v)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const struct cfgnode *it = n->type == CFGNODE_SEQ ? n->items[i] : n;
		if (decode_oid(it, &(*v)[i], d, NULL) < 0)
			return -EINVAL;
		(*cnt_out)++;
	}
	return 0;
}

static int decode_sysoids(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	struct snmp_profile *prof = ctx;

	return decode_oid_list(n, &prof->sysoids, &prof->nsysoids, d);
}

static int decode_probes(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	struct snmp_profile *prof = ctx;

	return decode_oid_list(n, &prof->probes, &prof->nprobes, d);
}

static int decode_rules(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	if (n->type != CFGNODE_SEQ) {
		cfg_error(d, &n->pos, "`rules` is a list of rules (same syntax as the config's)");
		return -EINVAL;
	}
	*(const struct cfgnode **)field = n;
	return 0;
}

static int decode_kind(const struct cfgnode *n, void *field, struct cfg_diags *d, void *ctx)
{
	enum dev_kind k;

	if (n->type != CFGNODE_SCALAR || dev_kind_parse(n->scalar, &k) < 0) {
		cfg_error(d, &n->pos, "unknown device kind (ups, pdu, env, server, ...)");
		return -EINVAL;
	}
	*(int *)field = (int)k;
	return 0;
}

static const char *const transport_names[] = {"snmp", NULL};

#define PF(f) offsetof(struct snmp_profile, f)
static const struct cfg_key profile_keys[] = {
	{.name = "name", .type = CFGK_STRING, .offset = PF(name), .required = true},
	{.name = "kind", .type = CFGK_CUSTOM, .offset = PF(kind), .custom = decode_kind},
	{.name = "description", .type = CFGK_STRING, .offset = PF(description)},
	{.name = "transport", .type = CFGK_ENUM, .offset = PF(refs), .names = transport_names,
	 .required = true},
	{.name = "sys_object_id", .type = CFGK_CUSTOM, .offset = PF(sysoids),
	 .custom = decode_sysoids},
	{.name = "probe_oid", .type = CFGK_CUSTOM, .offset = PF(probes), .custom = decode_probes},
	{.name = "points", .type = CFGK_CUSTOM, .offset = PF(points), .required = true,
	 .custom = decode_points},
	{.name = "rules", .type = CFGK_CUSTOM, .offset = PF(rules), .custom = decode_rules},
	{.name = "headline", .type = CFGK_STRLIST, .offset = PF(headline),
	 .count_offset = PF(nheadline)},
	{.name = NULL},
};

void snmp_profile_free(struct snmp_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->path);
	free(p->description);
	free(p->sysoids);
	free(p->probes);
	strlist_free(p->headline, p->nheadline);
	for (size_t i = 0; i < p->npoints && !p->parts; i++)
		point_free(&p->points[i]);
	free(p->points);
	for (size_t i = 0; i < p->ntables && !p->parts; i++)
		table_free(&p->tables[i]);
	free(p->tables);
	for (size_t i = 0; i < p->nparts; i++)
		snmp_profile_put(p->parts[i]);
	free(p->parts);
	cfgnode_free(p->root);
	free(p);
}

/* Gives each point its metric's place in `headline:`; a name no point has is an error. */
static int headline_rank(struct snmp_profile *p, struct cfg_diags *d)
{
	const struct cfgnode *n = cfgnode_get(p->root, "headline");
	int rc = 0;

	for (size_t h = 0; h < p->nheadline; h++) {
		bool found = false;
		for (size_t i = 0; i < p->npoints; i++)
			if (strcmp(p->points[i].metric, p->headline[h]) == 0 && !p->points[i].headline) {
				p->points[i].headline = (int)h + 1;
				found = true;
			}
		if (!found) {
			cfg_error(d, n && n->type == CFGNODE_SEQ && h < n->n ? &n->items[h]->pos
									   : &p->root->pos,
				  "headline metric '%s' is not a point of this profile", p->headline[h]);
			rc = -EINVAL;
		}
	}
	return rc;
}

/* The table point whose metric a table's `attach_to` names, or NULL. */
static const struct snmp_point *attach_target(const struct snmp_profile *p, const char *metric)
{
	for (size_t i = 0; i < p->npoints; i++)
		if (p->points[i].table >= 0 && p->points[i].aggregate == SNMP_AGG_NONE &&
		    strcmp(p->points[i].metric, metric) == 0)
			return &p->points[i];
	return NULL;
}

/* True if a point of table t reads the same scale columns as pt (the parent row's
 * columns an attached point scales by are read by that point). */
static bool scale_read_by(const struct snmp_profile *p, int t, const struct snmp_point *pt)
{
	for (size_t i = 0; i < p->npoints; i++)
		if (p->points[i].table == t && p->points[i].entity_scale &&
		    snmp_oid_eq(&p->points[i].ent_scale, &pt->ent_scale))
			return true;
	return false;
}

/* Links each attached table to the table of the point it names (one level only), and
 * gives it that table's instance label. */
static int attach_tables(struct snmp_profile *p, struct cfg_diags *d)
{
	int rc = 0;

	for (size_t t = 0; t < p->ntables; t++) {
		struct snmp_table *tb = &p->tables[t];
		const struct snmp_point *to = tb->attach_to ? attach_target(p, tb->attach_to)
							     : NULL;
		const struct snmp_table *pt = to ? &p->tables[to->table] : NULL;
		const char *why = NULL;
		if (!tb->attach_to)
			continue;
		if (!to)
			why = "is not the metric of a table point of this profile "
			      "(one metric per row)";
		else if (pt->attach_to || to->table == (int)t)
			why = "names a point that is itself attached (one level only)";
		else if (!pt->index_label)
			why = "names a point without an `index_label`";
		else if (tb->index_label && strcmp(tb->index_label, pt->index_label) != 0)
			why = "names a point whose rows have another `index_label`";
		if (why) {
			cfg_error(d, &tb->attach_pos, "attach_to: '%s' %s", tb->attach_to, why);
			rc = -EINVAL;
			continue;
		}
		tb->parent = to->table;
		if (!tb->index_label && !(tb->index_label = strdup(pt->index_label)))
			return -ENOMEM;
		for (size_t i = 0; i < p->npoints; i++)
			if (p->points[i].table == (int)t && p->points[i].entity_scale &&
			    !scale_read_by(p, to->table, &p->points[i])) {
				cfg_error(d, &p->points[i].pos,
					  "entity_scale: a point attached to '%s' is scaled by its "
					  "row: a point of that table must read the same "
					  "entity_scale", tb->attach_to);
				rc = -EINVAL;
			}
	}
	return rc;
}

struct snmp_profile *snmp_profile_load(const char *path, struct cfg_diags *d)
{
	struct snmp_profile *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return NULL;
	p->kind = -1;
	p->path = strdup(path);
	p->root = cfgnode_load_file(path, d);
	if (!p->root || !p->path) {
		snmp_profile_free(p);
		return NULL;
	}
	rc = cfg_decode(p->root, profile_keys, p, d, p);
	p->refs = 0; /* `transport` was decoded into it */
	if (rc == 0)
		rc = headline_rank(p, d);
	if (rc == 0)
		rc = attach_tables(p, d);
	if (rc < 0 || p->npoints == 0) {
		if (rc == 0)
			cfg_error(d, &p->root->pos, "a profile needs at least one point");
		snmp_profile_free(p);
		return NULL;
	}
	return p;
}

/* ---- several profiles as one ------------------------------------------------------ */

/* Appends part's points and tables to c (copies that borrow the part's strings). */
static int combine_add(struct snmp_profile *c, const struct snmp_profile *part)
{
	size_t t0 = c->ntables;

	memcpy(c->tables + c->ntables, part->tables, part->ntables * sizeof(*part->tables));
	c->ntables += part->ntables;
	for (size_t t = t0; t < c->ntables; t++)
		if (c->tables[t].parent >= 0)
			c->tables[t].parent += (int)t0;
	for (size_t i = 0; i < part->npoints; i++) {
		struct snmp_point *pt = &c->points[c->npoints++];
		*pt = part->points[i];
		if (pt->table >= 0)
			pt->table += (int)t0;
	}
	return 0;
}

static char *combined_name(struct snmp_profile **v, size_t n)
{
	size_t len = 1;
	char *name;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]->name) + 1;
	if (!(name = malloc(len)))
		return NULL;
	name[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(name, "+");
		strcat(name, v[i]->name);
	}
	return name;
}

struct snmp_profile *snmp_profile_combine_new(struct snmp_profile **v, size_t n)
{
	struct snmp_profile *c;
	size_t np = 0, nt = 0;

	if (n == 1)
		return v[0];
	for (size_t i = 0; i < n; i++) {
		np += v[i]->npoints;
		nt += v[i]->ntables;
	}
	c = calloc(1, sizeof(*c));
	if (c) {
		c->parts = calloc(n, sizeof(*c->parts));
		c->points = calloc(np ? np : 1, sizeof(*c->points));
		c->tables = calloc(nt ? nt : 1, sizeof(*c->tables));
		c->name = combined_name(v, n);
		c->path = c->name ? strdup(c->name) : NULL;
	}
	if (!c || !c->parts || !c->points || !c->tables || !c->path) {
		for (size_t i = 0; i < n; i++)
			snmp_profile_put(v[i]);
		if (c)
			c->nparts = 0;
		snmp_profile_free(c);
		return NULL;
	}
	c->kind = v[0]->kind;
	c->refs = 1;
	for (size_t i = 0; i < n; i++) {
		c->parts[c->nparts++] = v[i];
		combine_add(c, v[i]);
	}
	return c;
}
