/* Modbus profiles: YAML files describing one device model's register map.
 *
 * Read through cfgtree (cfgnode_load_file + cfg_decode key tables), so every error
 * names file:line:col.  Each `points:` entry becomes one or more struct modbus_point
 * (`repeat:` expands a block of zones or phases); the whole set is then checked for
 * overlapping registers and sorted by (table, address) for the request planner.  The
 * `rules:` subtree is kept as parsed for the rule engine.  Format: docs/PROFILES.md.
 */
#include "modbus.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PROFILE_POINTS_MAX 65536 /* expanded points per profile */
#define REPEAT_MAX 4096          /* instances one `repeat:` may create */

/* One `points:` entry as written; nodes are decoded after the scalar keys. */
struct point_src {
	char *metric, *unit, *label, *inst, *description;
	int kind, type, order;           /* -1 = unset */
	double scale, offset, min, max;  /* NAN = unset */
	const struct cfgnode *table, *function, *address, *reg;
	const struct cfgnode *sentinel, *enums, *states, *bits, *repeat, *valid, *derive;
};

/* Defaults applying to every point of a profile (`defaults:`). */
struct profile_defaults {
	int type, order;                 /* -1 = unset */
	const struct cfgnode *table;
};

struct profile_src {
	char *name, *kind, *description, *transport;
	const struct cfgnode *points, *rules, *defaults, *headline;
};

struct repeat_src {
	int count;
	int step;                        /* addresses between instances; default: point size */
	int first;                       /* instance number of the first; default 1 */
};

struct bit_src {
	char *metric;
	int bit, width;
	const struct cfgnode *enums;
};

struct state_src {
	char *name;
	const struct cfgnode *mask, *value;
};

/* Builder state while reading one file. */
struct pbuild {
	struct cfg_diags *d;
	struct profile_defaults defs;
	struct modbus_point *pts;
	size_t n, cap;
};

/* CFGK_CUSTOM that keeps the node for a second pass. */
static int keep_node(const struct cfgnode *node, void *field, struct cfg_diags *d, void *ctx)
{
	(void)d;
	(void)ctx;
	*(const struct cfgnode **)field = node;
	return 0;
}

#define KEEP(k, f, s) { .name = k, .type = CFGK_CUSTOM, .offset = offsetof(s, f), \
			.custom = keep_node }

static const struct cfg_key point_keys[] = {
	{ .name = "metric", .type = CFGK_STRING, .offset = offsetof(struct point_src, metric) },
	{ .name = "unit", .type = CFGK_STRING, .offset = offsetof(struct point_src, unit) },
	{ .name = "label", .type = CFGK_STRING, .offset = offsetof(struct point_src, label) },
	{ .name = "inst", .type = CFGK_STRING, .offset = offsetof(struct point_src, inst) },
	{ .name = "description", .type = CFGK_STRING,
	  .offset = offsetof(struct point_src, description) },
	{ .name = "kind", .type = CFGK_ENUM, .offset = offsetof(struct point_src, kind),
	  .names = metric_kind_names },
	{ .name = "type", .type = CFGK_ENUM, .offset = offsetof(struct point_src, type),
	  .names = modbus_type_names },
	{ .name = "order", .type = CFGK_ENUM, .offset = offsetof(struct point_src, order),
	  .names = modbus_order_names },
	{ .name = "scale", .type = CFGK_DOUBLE, .offset = offsetof(struct point_src, scale) },
	{ .name = "offset", .type = CFGK_DOUBLE, .offset = offsetof(struct point_src, offset) },
	{ .name = "min", .type = CFGK_DOUBLE, .offset = offsetof(struct point_src, min) },
	{ .name = "max", .type = CFGK_DOUBLE, .offset = offsetof(struct point_src, max) },
	KEEP("table", table, struct point_src),
	KEEP("function", function, struct point_src),
	KEEP("address", address, struct point_src),
	KEEP("register", reg, struct point_src),
	KEEP("sentinel", sentinel, struct point_src),
	KEEP("enums", enums, struct point_src),
	KEEP("states", states, struct point_src),
	KEEP("bits", bits, struct point_src),
	KEEP("repeat", repeat, struct point_src),
	KEEP("valid", valid, struct point_src),
	KEEP("derive", derive, struct point_src),
	{ .name = NULL },
};

static const struct cfg_key profile_keys[] = {
	{ .name = "name", .type = CFGK_STRING, .offset = offsetof(struct profile_src, name),
	  .required = true },
	{ .name = "kind", .type = CFGK_STRING, .offset = offsetof(struct profile_src, kind) },
	{ .name = "description", .type = CFGK_STRING,
	  .offset = offsetof(struct profile_src, description) },
	{ .name = "transport", .type = CFGK_STRING,
	  .offset = offsetof(struct profile_src, transport), .required = true },
	{ .name = "points", .type = CFGK_CUSTOM, .offset = offsetof(struct profile_src, points),
	  .custom = keep_node, .required = true },
	KEEP("rules", rules, struct profile_src),
	KEEP("defaults", defaults, struct profile_src),
	KEEP("headline", headline, struct profile_src),
	{ .name = NULL },
};

static const struct cfg_key defaults_keys[] = {
	{ .name = "type", .type = CFGK_ENUM, .offset = offsetof(struct profile_defaults, type),
	  .names = modbus_type_names },
	{ .name = "order", .type = CFGK_ENUM, .offset = offsetof(struct profile_defaults, order),
	  .names = modbus_order_names },
	KEEP("table", table, struct profile_defaults),
	{ .name = NULL },
};

static const struct cfg_key repeat_keys[] = {
	{ .name = "count", .type = CFGK_INT, .offset = offsetof(struct repeat_src, count),
	  .required = true, .min = 1, .max = REPEAT_MAX },
	{ .name = "step", .type = CFGK_INT, .offset = offsetof(struct repeat_src, step),
	  .min = 1, .max = MODBUS_ADDR_MAX },
	{ .name = "first", .type = CFGK_INT, .offset = offsetof(struct repeat_src, first),
	  .min = -1000000, .max = 1000000 },
	{ .name = NULL },
};

static const struct cfg_key valid_keys[] = {
	{ .name = "min", .type = CFGK_DOUBLE, .offset = offsetof(struct point_src, min) },
	{ .name = "max", .type = CFGK_DOUBLE, .offset = offsetof(struct point_src, max) },
	{ .name = NULL },
};

static const struct cfg_key bit_keys[] = {
	{ .name = "metric", .type = CFGK_STRING, .offset = offsetof(struct bit_src, metric),
	  .required = true },
	{ .name = "bit", .type = CFGK_INT, .offset = offsetof(struct bit_src, bit),
	  .required = true, .min = 0, .max = 63 },
	{ .name = "width", .type = CFGK_INT, .offset = offsetof(struct bit_src, width),
	  .min = 1, .max = 16 },
	KEEP("enums", enums, struct bit_src),
	{ .name = NULL },
};

struct derive_src {
	char *metric, *unit;
	double scale, offset;
};

static const struct cfg_key derive_keys[] = {
	{ .name = "metric", .type = CFGK_STRING, .offset = offsetof(struct derive_src, metric),
	  .required = true },
	{ .name = "unit", .type = CFGK_STRING, .offset = offsetof(struct derive_src, unit) },
	{ .name = "scale", .type = CFGK_DOUBLE, .offset = offsetof(struct derive_src, scale) },
	{ .name = "offset", .type = CFGK_DOUBLE, .offset = offsetof(struct derive_src, offset) },
	{ .name = NULL },
};

static const struct cfg_key state_keys[] = {
	{ .name = "name", .type = CFGK_STRING, .offset = offsetof(struct state_src, name),
	  .required = true },
	KEEP("mask", mask, struct state_src),
	KEEP("value", value, struct state_src),
	{ .name = NULL },
};

/* ---- small parsers ------------------------------------------------------------- */

static bool is_scalar(const struct cfgnode *n)
{
	return n && n->type == CFGNODE_SCALAR && n->scalar[0];
}

/* Integer in decimal, 0x hex or 0b binary, optionally negative. */
static int parse_int(const struct cfgnode *n, int64_t *out)
{
	const char *s;
	char *end;
	bool neg;
	uint64_t u;

	if (!is_scalar(n))
		return -EINVAL;
	s = n->scalar;
	neg = *s == '-';
	s += neg;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		u = strtoull(s + 2, &end, 2);
	else
		u = strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
	if (errno || *end || (neg && u > (uint64_t)INT64_MAX + 1) || (!neg && u > INT64_MAX))
		return -EINVAL;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* An integer node as a bit pattern of `bits` width (negatives in two's complement). */
static int parse_pattern(struct pbuild *b, const struct cfgnode *n, unsigned bits,
			 const char *what, uint64_t *out)
{
	int64_t v;
	uint64_t mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	int64_t lo = bits >= 64 ? INT64_MIN : -(INT64_C(1) << (bits - 1));

	if (parse_int(n, &v) < 0) {
		cfg_error(b->d, &n->pos, "%s: expected an integer like 65535, 0xFFFF or -1", what);
		return -EINVAL;
	}
	if (v < lo || (bits < 64 && v > (int64_t)mask)) {
		cfg_error(b->d, &n->pos, "%s: %s does not fit in %u bits", what, n->scalar, bits);
		return -EINVAL;
	}
	*out = (uint64_t)v & mask;
	return 0;
}

/* coil|discrete|holding|input, or the function code 1..4. */
static int parse_table(struct pbuild *b, const struct cfgnode *n, enum modbus_table *out)
{
	static const char *const names[] = { "coil", "discrete", "holding", "input", NULL };
	static const char *const alts[] = { "coils", "discrete_input", "holding_register",
					    "input_register", NULL };
	const char *near;

	if (is_scalar(n)) {
		for (int i = 0; names[i]; i++) {
			if (!strcasecmp(n->scalar, names[i]) || !strcasecmp(n->scalar, alts[i]) ||
			    (n->scalar[0] == '1' + i && !n->scalar[1])) {
				*out = (enum modbus_table)(i + 1);
				return 0;
			}
		}
	}
	near = is_scalar(n) ? cfg_suggest(n->scalar, names) : NULL;
	cfg_error(b->d, &n->pos, "table: expected coil, discrete, holding or input (or function "
		  "code 1..4)%s%s%s", near ? "; did you mean '" : "", near ? near : "",
		  near ? "'?" : "");
	return -EINVAL;
}

/* `register:` reference notation: 0xxxx coil, 1xxxx discrete, 3xxxx input, 4xxxx holding,
 * 5 digits (x = 1..9999) or 6 digits (x = 1..65536); address = x - 1. */
static int parse_reference(struct pbuild *b, const struct cfgnode *n, enum modbus_table *t,
			   uint16_t *addr)
{
	size_t len = is_scalar(n) ? strlen(n->scalar) : 0;
	long x;

	if ((len == 5 || len == 6) && strspn(n->scalar, "0123456789") == len) {
		x = strtol(n->scalar + 1, NULL, 10);
		switch (n->scalar[0]) {
		case '0': *t = MB_COIL; break;
		case '1': *t = MB_DISCRETE; break;
		case '3': *t = MB_INPUT; break;
		case '4': *t = MB_HOLDING; break;
		default: x = 0; break;
		}
		if (x >= 1 && x <= MODBUS_ADDR_MAX + 1) {
			*addr = (uint16_t)(x - 1);
			return 0;
		}
	}
	cfg_error(b->d, &n->pos, "register: expected a 5- or 6-digit reference number like 40001 "
		  "(holding, address 0) or 300100 (input, address 99); for a 0-based protocol "
		  "address use address:");
	return -EINVAL;
}

/* True if n is a non-empty list; otherwise reports msg at n. */
static bool need_list(struct pbuild *b, const struct cfgnode *n, const char *msg)
{
	if (n->type == CFGNODE_SEQ && n->n > 0)
		return true;
	cfg_error(b->d, &n->pos, "%s", msg);
	return false;
}

/* ---- point pieces ----------------------------------------------------------------- */

static int sentinels_read(struct pbuild *b, const struct cfgnode *n, unsigned bits,
			  struct modbus_point *p)
{
	size_t cnt = n->type == CFGNODE_SEQ ? n->n : 1;
	const struct cfgnode *const *items = n->type == CFGNODE_SEQ
		? (const struct cfgnode *const *)n->items : (const struct cfgnode *const *)&n;
	int rc = 0;

	p->sentinels = calloc(cnt, sizeof *p->sentinels);
	if (!p->sentinels)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		const struct cfgnode *it = items[i];
		struct modbus_sentinel *s = &p->sentinels[p->nsentinels];
		const char *dots = is_scalar(it) ? strstr(it->scalar, "..") : NULL;

		if (dots) { /* "lo..hi" */
			struct cfgnode lo = *it, hi = *it;
			char buf[64];

			snprintf(buf, sizeof buf, "%.*s", (int)(dots - it->scalar), it->scalar);
			lo.scalar = buf;
			hi.scalar = (char *)dots + 2;
			if (parse_pattern(b, &lo, bits, "sentinel", &s->lo) < 0 ||
			    parse_pattern(b, &hi, bits, "sentinel", &s->hi) < 0) {
				rc = -EINVAL;
				continue;
			}
		} else if (parse_pattern(b, it, bits, "sentinel", &s->lo) < 0) {
			rc = -EINVAL;
			continue;
		} else {
			s->hi = s->lo;
		}
		if (s->lo > s->hi) {
			cfg_error(b->d, &it->pos, "sentinel: range %s is empty", it->scalar);
			rc = -EINVAL;
			continue;
		}
		p->nsentinels++;
	}
	return rc;
}

/* `enums: {0: stopped, 1: running}` into a metric_enum array. */
static int enums_read(struct pbuild *b, const struct cfgnode *n, struct metric_enum **out,
		      size_t *nout)
{
	int64_t v;

	if (n->type != CFGNODE_MAP || n->n == 0) {
		cfg_error(b->d, &n->pos, "enums: expected a map of values to names, like "
			  "{0: stopped, 1: running}");
		return -EINVAL;
	}
	*out = calloc(n->n, sizeof **out);
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		const struct cfgnode *k = n->pairs[i].key, *val = n->pairs[i].value;

		if (parse_int(k, &v) < 0 || v < INT32_MIN || v > INT32_MAX) {
			cfg_error(b->d, &k->pos, "enums: '%s' is not an integer value", k->scalar);
			return -EINVAL;
		}
		if (!is_scalar(val)) {
			cfg_error(b->d, &val->pos, "enums: expected a name for value %s", k->scalar);
			return -EINVAL;
		}
		(*out)[i].value = (int)v;
		(*out)[i].name = strdup(val->scalar);
		*nout = i + 1;
	}
	return 0;
}

static int states_read(struct pbuild *b, const struct cfgnode *n, unsigned bits,
		       struct modbus_point *p)
{
	int rc = 0;

	if (!need_list(b, n, "states: expected a list of {name, mask, value}"))
		return -EINVAL;
	p->states = calloc(n->n, sizeof *p->states);
	if (!p->states)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct state_src s = { 0 };
		struct modbus_state *st = &p->states[p->nstates];

		if (cfg_decode(n->items[i], state_keys, &s, b->d, NULL) < 0 ||
		    (s.mask && parse_pattern(b, s.mask, bits, "mask", &st->mask) < 0) ||
		    (s.value && parse_pattern(b, s.value, bits, "value", &st->value) < 0)) {
			free(s.name);
			rc = -EINVAL;
			continue;
		}
		if (!s.mask && s.value)
			st->mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
		if ((st->value & ~st->mask) != 0) {
			cfg_error(b->d, &n->items[i]->pos, "states: value has bits outside mask");
			rc = -EINVAL;
		}
		st->name = s.name;
		p->nstates++;
	}
	return rc;
}

/* One bit field entry, full form {metric, bit, width, enums}. */
static int bit_read_full(struct pbuild *b, const struct cfgnode *n, unsigned bits,
			 struct modbus_bitfield *f)
{
	struct bit_src s = { .width = 1 };

	f->pos = n->pos;
	if (cfg_decode(n, bit_keys, &s, b->d, NULL) < 0) {
		free(s.metric);
		return -EINVAL;
	}
	f->metric = s.metric;
	f->bit = (unsigned)s.bit;
	f->width = (unsigned)s.width;
	if (f->bit + f->width > bits) {
		cfg_error(b->d, &n->pos, "bits: bit %u width %u does not fit a %u-bit value",
			  f->bit, f->width, bits);
		return -EINVAL;
	}
	return s.enums ? enums_read(b, s.enums, &f->enums, &f->nenums) : 0;
}

/* `bits:` as a list of full entries, or the shorthand map {0: leak, 1: cable_break}. */
static int bits_read(struct pbuild *b, const struct cfgnode *n, unsigned bits,
		     struct modbus_point *p)
{
	int rc = 0;

	if ((n->type != CFGNODE_SEQ && n->type != CFGNODE_MAP) || n->n == 0) {
		cfg_error(b->d, &n->pos, "bits: expected {0: name, ...} or a list of "
			  "{metric, bit, width, enums}");
		return -EINVAL;
	}
	p->bits = calloc(n->n, sizeof *p->bits);
	if (!p->bits)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct modbus_bitfield *f = &p->bits[i];
		int64_t bit;

		p->nbits = i + 1;
		if (n->type == CFGNODE_SEQ) {
			rc |= bit_read_full(b, n->items[i], bits, f);
			continue;
		}
		f->pos = n->pairs[i].key->pos;
		f->width = 1;
		if (parse_int(n->pairs[i].key, &bit) < 0 || bit < 0 || bit >= bits ||
		    !is_scalar(n->pairs[i].value)) {
			cfg_error(b->d, &f->pos, "bits: expected 'N: metric_name' with N in 0..%u",
				  bits - 1);
			rc = -EINVAL;
			continue;
		}
		f->bit = (unsigned)bit;
		f->metric = strdup(n->pairs[i].value->scalar);
	}
	return rc ? -EINVAL : 0;
}

/* `derive: [{metric, scale, offset, unit}]`: more gauges from the same raw number. */
static int derive_read(struct pbuild *b, const struct cfgnode *n, struct modbus_point *p)
{
	char err[128];
	int rc = 0;

	if (!need_list(b, n, "derive: expected a list of {metric, scale, offset, unit}"))
		return -EINVAL;
	p->derived = calloc(n->n, sizeof *p->derived);
	if (!p->derived)
		return -ENOMEM;
	for (size_t i = 0; i < n->n; i++) {
		struct derive_src s = { .scale = 1, .offset = 0 };
		struct modbus_derived *dv = &p->derived[p->nderived];

		if (cfg_decode(n->items[i], derive_keys, &s, b->d, NULL) < 0) {
			free(s.metric);
			free(s.unit);
			rc = -EINVAL;
			continue;
		}
		*dv = (struct modbus_derived){ .metric = s.metric, .unit = s.unit ? s.unit : strdup(""),
					       .scale = s.scale, .offset = s.offset,
					       .pos = n->items[i]->pos };
		p->nderived++;
		if (!metric_name_check(dv->metric, METRIC_GAUGE, err, sizeof err)) {
			cfg_error(b->d, &dv->pos, "derive: %s", err);
			rc = -EINVAL;
		}
	}
	return rc;
}

/* ---- one point ------------------------------------------------------------------- */

static void point_clear(struct modbus_point *p)
{
	free(p->metric);
	free(p->unit);
	free(p->inst_label);
	free(p->inst);
	free(p->sentinels);
	for (size_t i = 0; i < p->nenums; i++)
		free((char *)p->enums[i].name);
	free(p->enums);
	for (size_t i = 0; i < p->nstates; i++)
		free(p->states[i].name);
	free(p->states);
	for (size_t i = 0; i < p->nbits; i++) {
		free(p->bits[i].metric);
		for (size_t j = 0; j < p->bits[i].nenums; j++)
			free((char *)p->bits[i].enums[j].name);
		free(p->bits[i].enums);
	}
	free(p->bits);
	for (size_t i = 0; i < p->nderived; i++) {
		free(p->derived[i].metric);
		free(p->derived[i].unit);
	}
	free(p->derived);
	memset(p, 0, sizeof *p);
}

static void src_clear(struct point_src *s)
{
	free(s->metric);
	free(s->unit);
	free(s->label);
	free(s->inst);
	free(s->description);
}

/* Table and address from address:/register:/table:/function: and the defaults. */
static int point_where(struct pbuild *b, const struct point_src *s, const struct cfgnode *n,
		       struct modbus_point *p)
{
	const struct cfgnode *tnode = s->table ? s->table : s->function;
	enum modbus_table t = MB_HOLDING, rt;
	int64_t a;

	if (s->table && s->function) {
		cfg_error(b->d, &s->function->pos, "function: give table: or function:, not both");
		return -EINVAL;
	}
	if (!tnode)
		tnode = b->defs.table;
	if (tnode && parse_table(b, tnode, &t) < 0)
		return -EINVAL;
	if (!!s->address == !!s->reg) {
		cfg_error(b->d, &n->pos, "point needs exactly one of address: (0-based protocol "
			  "address) or register: (40001-style reference)");
		return -EINVAL;
	}
	if (s->reg) {
		if (parse_reference(b, s->reg, &rt, &p->addr) < 0)
			return -EINVAL;
		if ((s->table || s->function) && rt != t) {
			cfg_error(b->d, &s->reg->pos, "register: %s is in the %s table, but table: says %s",
				  s->reg->scalar, modbus_table_name(rt), modbus_table_name(t));
			return -EINVAL;
		}
		t = rt;
	} else if (parse_int(s->address, &a) < 0 || a < 0 || a > MODBUS_ADDR_MAX) {
		cfg_error(b->d, &s->address->pos, "address: expected a 0-based protocol address "
			  "0..65535 (decimal or 0x hex)");
		return -EINVAL;
	} else {
		p->addr = (uint16_t)a;
	}
	p->table = t;
	return 0;
}

/* Type, order, kind and the value mapping of a point. */
static int point_shape(struct pbuild *b, const struct point_src *s, const struct cfgnode *n,
		       struct modbus_point *p)
{
	unsigned bits;
	int rc = 0;

	p->type = s->type >= 0 ? (enum modbus_type)s->type
		: b->defs.type >= 0 && !modbus_table_is_bits(p->table)
		? (enum modbus_type)b->defs.type
		: modbus_table_is_bits(p->table) ? MB_T_BOOL : MB_T_UINT16;
	p->order = s->order >= 0 ? (enum modbus_order)s->order
		: b->defs.order >= 0 ? (enum modbus_order)b->defs.order : MB_ABCD;
	if (modbus_table_is_bits(p->table) && p->type != MB_T_BOOL) {
		cfg_error(b->d, &n->pos, "type: %s points are single bits; type must be bool",
			  modbus_table_name(p->table));
		return -EINVAL;
	}
	if ((uint32_t)p->addr + modbus_point_words(p) - 1 > MODBUS_ADDR_MAX) {
		cfg_error(b->d, &n->pos, "address %u + %u registers runs past 65535", p->addr,
			  modbus_point_words(p));
		return -EINVAL;
	}
	bits = modbus_type_bits(p->type);
	if ((s->enums || s->states || s->bits) &&
	    (p->type == MB_T_FLOAT32 || p->type == MB_T_FLOAT64)) {
		cfg_error(b->d, &n->pos, "enums, states and bits need an integer type, not %s",
			  modbus_type_name(p->type));
		return -EINVAL;
	}
	if (s->enums && s->states) {
		cfg_error(b->d, &s->states->pos, "states: give enums: or states:, not both");
		return -EINVAL;
	}
	if (s->sentinel)
		rc |= sentinels_read(b, s->sentinel, bits, p);
	if (s->enums)
		rc |= enums_read(b, s->enums, &p->enums, &p->nenums);
	if (s->states)
		rc |= states_read(b, s->states, bits, p);
	if (s->bits)
		rc |= bits_read(b, s->bits, bits, p);
	if (s->derive && (s->enums || s->states)) {
		cfg_error(b->d, &s->derive->pos, "derive: needs a plain number, not enums/states");
		return -EINVAL;
	}
	if (s->derive)
		rc |= derive_read(b, s->derive, p);
	return rc ? -EINVAL : 0;
}

/* Metric name, unit, kind and instance; checks names with metric_name_check(). */
static int point_metric(struct pbuild *b, const struct point_src *s, const struct cfgnode *n,
			struct modbus_point *p)
{
	char err[128];
	int rc = 0;

	if (!s->metric && !s->bits) {
		cfg_error(b->d, &n->pos, "point needs metric: (or bits: naming its fields)");
		return -EINVAL;
	}
	if (!!s->label != !!s->inst && !s->repeat) {
		cfg_error(b->d, &n->pos, "label: and inst: go together");
		return -EINVAL;
	}
	p->kind = s->kind >= 0 ? (enum metric_kind)s->kind
		: (p->nenums || p->nstates || p->type == MB_T_BOOL) ? METRIC_STATE : METRIC_GAUGE;
	p->metric = s->metric ? strdup(s->metric) : NULL;
	p->unit = strdup(s->unit ? s->unit : "");
	p->inst_label = s->label ? strdup(s->label) : NULL;
	p->inst = s->inst ? strdup(s->inst) : NULL;
	if (p->metric && !metric_name_check(p->metric, p->kind, err, sizeof err)) {
		cfg_error(b->d, &n->pos, "metric: %s", err);
		rc = -EINVAL;
	}
	for (size_t i = 0; i < p->nbits; i++) {
		if (p->bits[i].metric &&
		    !metric_name_check(p->bits[i].metric, METRIC_STATE, err, sizeof err)) {
			cfg_error(b->d, &p->bits[i].pos, "bits: %s", err);
			rc = -EINVAL;
		}
	}
	return rc;
}

/* Scale, offset and valid range. */
static int point_numbers(struct pbuild *b, struct point_src *s, const struct cfgnode *n,
			 struct modbus_point *p)
{
	if (s->valid && cfg_decode(s->valid, valid_keys, s, b->d, NULL) < 0)
		return -EINVAL;
	p->scale = isnan(s->scale) ? 1 : s->scale;
	p->offset = isnan(s->offset) ? 0 : s->offset;
	p->min = s->min;
	p->max = s->max;
	if (p->scale == 0) {
		cfg_error(b->d, &n->pos, "scale: must not be 0");
		return -EINVAL;
	}
	if (!isnan(p->min) && !isnan(p->max) && p->min > p->max) {
		cfg_error(b->d, &n->pos, "valid range min %g is above max %g", p->min, p->max);
		return -EINVAL;
	}
	return 0;
}

static int pts_push(struct pbuild *b, struct modbus_point *p)
{
	struct modbus_point *np;

	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 32;

		np = realloc(b->pts, cap * sizeof *np);
		if (!np)
			return -ENOMEM;
		b->pts = np;
		b->cap = cap;
	}
	b->pts[b->n++] = *p;
	return 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static struct metric_enum *enums_dup(const struct metric_enum *e, size_t n)
{
	struct metric_enum *c = n ? calloc(n, sizeof *c) : NULL;

	for (size_t i = 0; c && i < n; i++) {
		c[i].value = e[i].value;
		c[i].name = strdup(e[i].name);
	}
	return c;
}

/* Deep copy of a built point, for `repeat:`. */
static void point_copy(struct modbus_point *dst, const struct modbus_point *src)
{
	*dst = *src;
	dst->metric = dup_or_null(src->metric);
	dst->unit = dup_or_null(src->unit);
	dst->inst_label = dup_or_null(src->inst_label);
	dst->inst = NULL;
	dst->sentinels = src->nsentinels ? calloc(src->nsentinels, sizeof *dst->sentinels) : NULL;
	if (dst->sentinels)
		memcpy(dst->sentinels, src->sentinels, src->nsentinels * sizeof *dst->sentinels);
	dst->enums = enums_dup(src->enums, src->nenums);
	dst->states = src->nstates ? calloc(src->nstates, sizeof *dst->states) : NULL;
	for (size_t i = 0; dst->states && i < src->nstates; i++) {
		dst->states[i] = src->states[i];
		dst->states[i].name = strdup(src->states[i].name);
	}
	dst->bits = src->nbits ? calloc(src->nbits, sizeof *dst->bits) : NULL;
	for (size_t i = 0; dst->bits && i < src->nbits; i++) {
		dst->bits[i] = src->bits[i];
		dst->bits[i].metric = dup_or_null(src->bits[i].metric);
		dst->bits[i].enums = enums_dup(src->bits[i].enums, src->bits[i].nenums);
	}
	dst->derived = src->nderived ? calloc(src->nderived, sizeof *dst->derived) : NULL;
	for (size_t i = 0; dst->derived && i < src->nderived; i++) {
		dst->derived[i] = src->derived[i];
		dst->derived[i].metric = strdup(src->derived[i].metric);
		dst->derived[i].unit = strdup(src->derived[i].unit);
	}
}

/* Adds the point, or `count` copies of it for `repeat:` (instances first, first+1...). */
static int point_expand(struct pbuild *b, const struct point_src *s, struct modbus_point *p)
{
	struct repeat_src r = { .count = 1, .step = (int)modbus_point_words(p), .first = 1 };
	char num[24];

	if (!s->repeat)
		return pts_push(b, p);
	if (cfg_decode(s->repeat, repeat_keys, &r, b->d, NULL) < 0)
		return -EINVAL;
	if (!p->inst_label || s->inst) {
		cfg_error(b->d, &s->repeat->pos, "repeat: needs label: (the instance name, e.g. "
			  "zone) and no inst: (instances are numbered from first:)");
		return -EINVAL;
	}
	if (p->addr + (int64_t)(r.count - 1) * r.step + modbus_point_words(p) - 1 >
	    MODBUS_ADDR_MAX) {
		cfg_error(b->d, &s->repeat->pos, "repeat: the last instance runs past address "
			  "65535");
		return -EINVAL;
	}
	for (int i = 0; i < r.count; i++) {
		struct modbus_point c;

		point_copy(&c, p);
		c.addr = (uint16_t)(p->addr + i * r.step);
		snprintf(num, sizeof num, "%d", r.first + i);
		c.inst = strdup(num);
		if (pts_push(b, &c) < 0) {
			point_clear(&c);
			return -ENOMEM;
		}
	}
	point_clear(p);
	return 0;
}

static int point_read(struct pbuild *b, const struct cfgnode *n)
{
	struct point_src s = { .kind = -1, .type = -1, .order = -1, .scale = NAN,
			       .offset = NAN, .min = NAN, .max = NAN };
	struct modbus_point p = { .pos = n->pos };
	int rc;

	rc = cfg_decode(n, point_keys, &s, b->d, NULL);
	if (rc == 0)
		rc = point_where(b, &s, n, &p);
	if (rc == 0)
		rc = point_shape(b, &s, n, &p);
	if (rc == 0)
		rc = point_metric(b, &s, n, &p);
	if (rc == 0)
		rc = point_numbers(b, &s, n, &p);
	if (rc == 0)
		rc = point_expand(b, &s, &p);
	if (rc < 0)
		point_clear(&p);
	src_clear(&s);
	return rc;
}

/* ---- whole-profile checks ------------------------------------------------------------ */

/* Overlapping registers (points sorted) are errors at the later point. */
static int check_overlaps(struct pbuild *b)
{
	int rc = 0;

	for (size_t i = 1; i < b->n; i++) {
		const struct modbus_point *a = &b->pts[i - 1], *c = &b->pts[i];
		uint32_t a_end = (uint32_t)a->addr + modbus_point_words(a);

		if (a->table == c->table && c->addr < a_end) {
			cfg_error(b->d, &c->pos, "%s address %u overlaps the point at line %d "
				  "(addresses %u..%u)", modbus_table_name(c->table), c->addr,
				  a->pos.line, a->addr, a_end - 1);
			rc = -EINVAL;
		}
	}
	return rc;
}

/* A metric key (name or name@inst) and where it was defined. */
struct key_pos {
	char key[METRIC_NAME_MAX + METRIC_INST_MAX + 2];
	const struct cfg_pos *pos;
};

static void key_set(struct key_pos *k, const char *name, const struct modbus_point *p,
		    const struct cfg_pos *pos)
{
	snprintf(k->key, sizeof k->key, "%s%s%s", name, p->inst ? "@" : "",
		 p->inst ? p->inst : "");
	k->pos = pos;
}

static int key_cmp(const void *a, const void *b)
{
	const struct key_pos *ka = a, *kb = b;
	int c = strcmp(ka->key, kb->key);

	if (c)
		return c;
	return ka->pos->line != kb->pos->line ? (ka->pos->line < kb->pos->line ? -1 : 1)
		: (ka->pos->col > kb->pos->col) - (ka->pos->col < kb->pos->col);
}

/* Two points (or bit fields) reporting into one metric are errors. */
static int check_duplicates(struct pbuild *b)
{
	size_t cap = 0, n = 0;
	struct key_pos *keys;
	int rc = 0;

	for (size_t i = 0; i < b->n; i++)
		cap += 1 + b->pts[i].nbits + b->pts[i].nderived;
	keys = calloc(cap ? cap : 1, sizeof *keys);
	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++) {
		const struct modbus_point *p = &b->pts[i];

		if (p->metric)
			key_set(&keys[n++], p->metric, p, &p->pos);
		for (size_t j = 0; j < p->nbits; j++)
			key_set(&keys[n++], p->bits[j].metric, p, &p->bits[j].pos);
		for (size_t j = 0; j < p->nderived; j++)
			key_set(&keys[n++], p->derived[j].metric, p, &p->derived[j].pos);
	}
	qsort(keys, n, sizeof *keys, key_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(keys[i - 1].key, keys[i].key) == 0) {
			cfg_error(b->d, keys[i].pos, "metric %s is already defined at line %d",
				  keys[i].key, keys[i - 1].pos->line);
			rc = -EINVAL;
		}
	}
	free(keys);
	return rc;
}

static int points_read(struct pbuild *b, const struct cfgnode *list)
{
	int rc = 0;

	if (!need_list(b, list, "points: expected a non-empty list of points"))
		return -EINVAL;
	for (size_t i = 0; i < list->n; i++) {
		if (point_read(b, list->items[i]) < 0)
			rc = -EINVAL;
		if (b->n > PROFILE_POINTS_MAX) {
			cfg_error(b->d, &list->items[i]->pos, "more than %d points",
				  PROFILE_POINTS_MAX);
			return -EINVAL;
		}
	}
	if (rc == 0) {
		qsort(b->pts, b->n, sizeof *b->pts, modbus_point_cmp);
		rc = check_overlaps(b);
		rc |= check_duplicates(b);
	}
	return rc ? -EINVAL : 0;
}

/* ---- public ------------------------------------------------------------------------ */

void modbus_profile_free(struct modbus_profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->npoints; i++)
		point_clear(&p->points[i]);
	free(p->points);
	free(p->name);
	free(p->kind);
	free(p->description);
	free(p->path);
	cfgnode_free(p->root);
	free(p);
}

/* `headline:` is a list of metric names. */
static int headline_check(const struct cfgnode *n, struct cfg_diags *d)
{
	if (!n)
		return 0;
	if (n->type != CFGNODE_SEQ) {
		cfg_error(d, &n->pos, "`headline` is a list of metric names");
		return -EINVAL;
	}
	for (size_t i = 0; i < n->n; i++)
		if (n->items[i]->type != CFGNODE_SCALAR) {
			cfg_error(d, &n->items[i]->pos, "expected a metric name");
			return -EINVAL;
		}
	return 0;
}

static int header_check(struct cfg_diags *d, const struct cfgnode *root,
			const struct profile_src *src)
{
	if (strcmp(src->transport, "modbus") != 0) {
		cfg_error(d, &cfgnode_get(root, "transport")->pos,
			  "transport: this is read as a Modbus profile; expected 'modbus', got '%s'",
			  src->transport);
		return -EINVAL;
	}
	if (src->rules && src->rules->type != CFGNODE_SEQ) {
		cfg_error(d, &src->rules->pos, "rules: expected a list of rules");
		return -EINVAL;
	}
	return 0;
}

/* Builds a profile from a parsed document; takes ownership of root. */
static struct modbus_profile *profile_build(struct cfgnode *root, const char *path,
					    struct cfg_diags *d)
{
	struct profile_src src = { 0 };
	struct pbuild b = { .d = d, .defs = { .type = -1, .order = -1 } };
	struct modbus_profile *p = calloc(1, sizeof *p);
	int rc;

	rc = p ? cfg_decode(root, profile_keys, &src, d, NULL) : -ENOMEM;
	if (rc == 0)
		rc = header_check(d, root, &src);
	if (rc == 0 && src.defaults)
		rc = cfg_decode(src.defaults, defaults_keys, &b.defs, d, NULL);
	if (rc == 0)
		rc = points_read(&b, src.points);
	if (rc == 0)
		rc = headline_check(src.headline, d);
	if (!p || rc < 0) {
		for (size_t i = 0; i < b.n; i++)
			point_clear(&b.pts[i]);
		free(b.pts);
		free(src.name);
		free(src.kind);
		free(src.description);
		free(src.transport);
		free(p);
		cfgnode_free(root);
		return NULL;
	}
	free(src.transport);
	*p = (struct modbus_profile){
		.name = src.name, .kind = src.kind, .description = src.description,
		.path = strdup(path), .points = b.pts, .npoints = b.n, .root = root,
		.rules = src.rules, .headline = src.headline,
	};
	return p;
}

int modbus_profile_headline(const struct modbus_profile *p, const char *name)
{
	for (size_t i = 0; p->headline && i < p->headline->n; i++)
		if (strcmp(p->headline->items[i]->scalar, name) == 0)
			return (int)i + 1;
	return 0;
}

struct modbus_profile *modbus_profile_load(const char *path, struct cfg_diags *d)
{
	struct cfgnode *root = cfgnode_load_file(path, d);

	return root ? profile_build(root, path, d) : NULL;
}

struct modbus_profile *modbus_profile_load_string(const char *name, const char *text,
						  struct cfg_diags *d)
{
	struct cfgnode *root = cfgnode_load_string(name, text, d);

	return root ? profile_build(root, name, d) : NULL;
}
