/* Table-driven decoding of YAML maps into C structs (struct cfg_key tables).
 * Reports every problem it finds, each at the node it concerns. */
#include "dcmon/cfgtree.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg_scalar.h"
#include "dcmon/enumtab.h"

#define DECODE_MAX_KEYS 128 /* keys per table, for the suggestion list */

static int decode_map(const struct cfgnode *map, const struct cfg_key *keys, void *out,
                      struct cfg_diags *d, void *ctx, const char *where);
static void decode_value(const struct cfg_key *k, const struct cfgnode *v, void *field,
                         struct cfg_diags *d, void *ctx);
static bool duplicate_key(const struct cfgnode *map, size_t i, struct cfg_diags *d);

/* "'abc'" for a scalar, "a list" / "a map" otherwise; buf holds the result. */
static const char *node_shown(const struct cfgnode *n, char *buf, size_t len)
{
	if (n->type == CFGNODE_SCALAR && n->scalar[0] == '\0' && !n->quoted)
		return "nothing";
	if (n->type == CFGNODE_SCALAR) {
		snprintf(buf, len, "'%.60s%s'", n->scalar, strlen(n->scalar) > 60 ? "..." : "");
		return buf;
	}
	return n->type == CFGNODE_MAP ? "a map" : "a list";
}

static const char *key_expect(const struct cfg_key *k)
{
	static const char *const defaults[] = {
	    [CFGK_STRING] = "a string",
	    [CFGK_INT] = "an integer",
	    [CFGK_INT64] = "an integer",
	    [CFGK_DOUBLE] = "a number",
	    [CFGK_BOOL] = "true or false",
	    [CFGK_DURATION] = "a duration like 10s, 500ms, 2m",
	    [CFGK_ENUM] = "one of the listed names",
	    [CFGK_STRLIST] = "a list of strings",
	    [CFGK_CUSTOM] = "a valid value",
	    [CFGK_STRUCT] = "a map",
	    [CFGK_SECTION] = "a map",
	    [CFGK_SEQ] = "a list",
	    [CFGK_STRMAP] = "a map of names to values",
	};
	return k->expect ? k->expect : defaults[k->type];
}

static void bad_value(struct cfg_diags *d, const struct cfg_key *k, const struct cfgnode *v)
{
	char buf[80];
	cfg_error(d, &v->pos, "%s: expected %s, got %s", k->name, key_expect(k),
	          node_shown(v, buf, sizeof(buf)));
}

/* A scalar with text, or an error; quoted "" counts as text for strings only. */
static bool need_scalar(struct cfg_diags *d, const struct cfg_key *k, const struct cfgnode *v)
{
	if (v->type == CFGNODE_SCALAR &&
	    (v->scalar[0] != '\0' || (v->quoted && k->type == CFGK_STRING)))
		return true;
	bad_value(d, k, v);
	return false;
}

/* Writes ms in the largest unit that divides it exactly ("1d", "90s", "100ms"). */
static void duration_text(double ms, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	int64_t v = (int64_t)ms;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v != 0 && v % units[i].ms == 0) {
			snprintf(buf, len, "%lld%s", (long long)(v / units[i].ms), units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%lldms", (long long)v);
}

static bool in_range(struct cfg_diags *d, const struct cfg_key *k, const struct cfgnode *v,
                     double x)
{
	if ((k->min == 0 && k->max == 0) || (x >= k->min && x <= k->max))
		return true;
	char lo[32], hi[32];
	if (k->type == CFGK_DURATION) {
		duration_text(k->min, lo, sizeof(lo));
		duration_text(k->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%.15g", k->min);
		snprintf(hi, sizeof(hi), "%.15g", k->max);
	}
	cfg_error(d, &v->pos, "%s: %s is out of range %s..%s", k->name, v->scalar, lo, hi);
	return false;
}

static void decode_int(const struct cfg_key *k, const struct cfgnode *v, void *field,
                       struct cfg_diags *d)
{
	int64_t x;
	if (cfg_scalar_int64(v->scalar, &x) < 0 ||
	    (k->type == CFGK_INT && (x < INT32_MIN || x > INT32_MAX))) {
		bad_value(d, k, v);
		return;
	}
	if (!in_range(d, k, v, (double)x))
		return;
	if (k->type == CFGK_INT)
		*(int *)field = (int)x;
	else
		*(int64_t *)field = x;
}

static void decode_double(const struct cfg_key *k, const struct cfgnode *v, void *field,
                          struct cfg_diags *d)
{
	double x;
	if (cfg_scalar_double(v->scalar, &x) < 0)
		bad_value(d, k, v);
	else if (in_range(d, k, v, x))
		*(double *)field = x;
}

static void decode_duration(const struct cfg_key *k, const struct cfgnode *v, void *field,
                            struct cfg_diags *d)
{
	int64_t ms;
	if (cfg_parse_duration(v->scalar, &ms) < 0)
		bad_value(d, k, v);
	else if (in_range(d, k, v, (double)ms))
		*(int64_t *)field = ms;
}

static void decode_bool(const struct cfg_key *k, const struct cfgnode *v, void *field,
                        struct cfg_diags *d)
{
	if (cfg_scalar_bool(v->scalar, (bool *)field) < 0)
		bad_value(d, k, v);
}

static void decode_enum(const struct cfg_key *k, const struct cfgnode *v, void *field,
                        struct cfg_diags *d)
{
	if (enum_parse_nocase(k->names, v->scalar, field) == 0)
		return;
	char list[256];
	enum_list(k->names, list, sizeof list);
	const char *near = cfg_suggest(v->scalar, k->names);
	cfg_error(d, &v->pos, "%s: expected one of %s, got '%s'%s%s%s", k->name, list, v->scalar,
	          near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
}

static void decode_string(const struct cfg_key *k, const struct cfgnode *v, void *field,
                          struct cfg_diags *d)
{
	char **s = field;
	free(*s);
	*s = strdup(v->scalar);
	if (*s == NULL)
		abort();
}

static void strlist_free(char ***list, size_t *n)
{
	for (size_t i = 0; *list && i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

/* A scalar is a one-item list; an empty (null) value an empty list. */
static void decode_strlist(const struct cfg_key *k, const struct cfgnode *v, void *out,
                           struct cfg_diags *d)
{
	char ***list = (char ***)((char *)out + k->offset);
	size_t *n = (size_t *)((char *)out + k->count_offset);
	strlist_free(list, n);
	if (v->type == CFGNODE_MAP) {
		bad_value(d, k, v);
		return;
	}
	const struct cfgnode *const *items = v->type == CFGNODE_SEQ
	                                         ? (const struct cfgnode *const *)v->items
	                                         : (const struct cfgnode *const *)&v;
	size_t count = v->type == CFGNODE_SEQ ? v->n : (v->scalar[0] || v->quoted);
	*list = calloc(count + 1, sizeof(char *));
	if (*list == NULL)
		abort();
	for (size_t i = 0; i < count; i++) {
		if (items[i]->type != CFGNODE_SCALAR) {
			bad_value(d, k, items[i]);
			continue;
		}
		(*list)[(*n)++] = strdup(items[i]->scalar);
	}
}

static void decode_strmap(const struct cfg_key *k, const struct cfgnode *v, void *out,
                          struct cfg_diags *d)
{
	struct cfg_label **map = (struct cfg_label **)((char *)out + k->offset);
	size_t *n = (size_t *)((char *)out + k->count_offset);
	if (v->type == CFGNODE_SCALAR && v->scalar[0] == '\0' && !v->quoted)
		return;
	if (v->type != CFGNODE_MAP) {
		bad_value(d, k, v);
		return;
	}
	*map = calloc(v->n + 1, sizeof(**map));
	if (*map == NULL)
		abort();
	for (size_t i = 0; i < v->n; i++) {
		const struct cfgnode *val = v->pairs[i].value;
		if (duplicate_key(v, i, d))
			continue;
		if (val->type != CFGNODE_SCALAR) {
			bad_value(d, k, val);
			continue;
		}
		(*map)[*n].key = strdup(v->pairs[i].key->scalar);
		(*map)[*n].value = strdup(val->scalar);
		(*n)++;
	}
}

static const char *sub_where(const struct cfg_key *k)
{
	return k->what ? k->what : k->name;
}

/* Decodes one nested map into elem, with the key's init and check hooks. */
static void decode_elem(const struct cfg_key *k, const struct cfgnode *v, void *elem,
                        struct cfg_diags *d, void *ctx)
{
	size_t before = d->nerrors;
	if (k->init)
		k->init(elem, v, ctx);
	if (v->type == CFGNODE_SCALAR && k->shorthand) {
		const struct cfg_key *sk = k->sub;
		while (sk->name && strcmp(sk->name, k->shorthand) != 0)
			sk++;
		decode_value(sk, v, (char *)elem + sk->offset, d, ctx);
	} else {
		decode_map(v, k->sub, elem, d, ctx, sub_where(k));
	}
	if (k->check && d->nerrors == before)
		k->check(elem, v, d, ctx);
}

int cfg_decode_item(const struct cfg_key *list, const struct cfgnode *node, void *item,
		    struct cfg_diags *d, void *ctx)
{
	size_t before = d->nerrors;
	decode_elem(list, node, item, d, ctx);
	return d->nerrors > before ? -EINVAL : 0;
}

static void decode_section(const struct cfg_key *k, const struct cfgnode *v, void *field,
                           struct cfg_diags *d, void *ctx)
{
	void **p = field;
	bool on = true;
	if (*p) {
		cfg_fields_free(k->sub, *p);
		free(*p);
		*p = NULL;
	}
	if (v->type == CFGNODE_SCALAR && cfg_scalar_bool(v->scalar, &on) < 0) {
		cfg_error(d, &v->pos, "%s: expected a map, true or false, got '%s'", k->name,
		          v->scalar);
		return;
	}
	if (!on)
		return;
	*p = calloc(1, k->elem_size);
	if (*p == NULL)
		abort();
	if (v->type == CFGNODE_SCALAR) {
		size_t before = d->nerrors;
		if (k->init)
			k->init(*p, v, ctx);
		if (k->check && d->nerrors == before)
			k->check(*p, v, d, ctx);
		return;
	}
	decode_elem(k, v, *p, d, ctx);
}

/* Frees an array of n elements decoded with sub keys. */
static void seq_free(const struct cfg_key *k, void **arr, size_t *n)
{
	for (size_t i = 0; *arr && i < *n; i++)
		cfg_fields_free(k->sub, (char *)*arr + i * k->elem_size);
	free(*arr);
	*arr = NULL;
	*n = 0;
}

static void decode_seq(const struct cfg_key *k, const struct cfgnode *v, void *out,
                       struct cfg_diags *d, void *ctx)
{
	void **arr = (void **)((char *)out + k->offset);
	size_t *n = (size_t *)((char *)out + k->count_offset);
	seq_free(k, arr, n);
	if (v->type == CFGNODE_SCALAR && v->scalar[0] == '\0' && !v->quoted)
		return;
	if (v->type != CFGNODE_SEQ) {
		char buf[80];
		cfg_error(d, &v->pos, "%s: expected a list of %s, got %s", k->name, sub_where(k),
		          node_shown(v, buf, sizeof(buf)));
		return;
	}
	*arr = calloc(v->n + 1, k->elem_size);
	if (*arr == NULL)
		abort();
	*n = v->n;
	for (size_t i = 0; i < v->n; i++)
		decode_elem(k, v->items[i], (char *)*arr + i * k->elem_size, d, ctx);
}

static void decode_value(const struct cfg_key *k, const struct cfgnode *v, void *field,
                         struct cfg_diags *d, void *ctx)
{
	void *out = (char *)field - k->offset; /* the struct, for count_offset types */
	switch (k->type) {
	case CFGK_STRLIST:
		decode_strlist(k, v, out, d);
		return;
	case CFGK_STRMAP:
		decode_strmap(k, v, out, d);
		return;
	case CFGK_CUSTOM:
		k->custom(v, field, d, ctx);
		return;
	case CFGK_STRUCT:
		decode_elem(k, v, field, d, ctx);
		return;
	case CFGK_SECTION:
		decode_section(k, v, field, d, ctx);
		return;
	case CFGK_SEQ:
		decode_seq(k, v, out, d, ctx);
		return;
	default:
		break;
	}
	if (!need_scalar(d, k, v))
		return;
	switch (k->type) {
	case CFGK_STRING:
		decode_string(k, v, field, d);
		break;
	case CFGK_INT:
	case CFGK_INT64:
		decode_int(k, v, field, d);
		break;
	case CFGK_DOUBLE:
		decode_double(k, v, field, d);
		break;
	case CFGK_BOOL:
		decode_bool(k, v, field, d);
		break;
	case CFGK_DURATION:
		decode_duration(k, v, field, d);
		break;
	case CFGK_ENUM:
		decode_enum(k, v, field, d);
		break;
	default:
		break;
	}
}

static const struct cfg_key *key_find(const struct cfg_key *keys, const char *name)
{
	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		if (strcmp(k->name, name) == 0)
			return k;
	}
	return NULL;
}

static void unknown_key(const struct cfgnode *key, const struct cfg_key *keys, struct cfg_diags *d,
                        const char *where)
{
	const char *names[DECODE_MAX_KEYS + 1];
	size_t n = 0;
	char list[512] = "";
	for (const struct cfg_key *k = keys; k->name != NULL && n < DECODE_MAX_KEYS; k++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", n ? ", " : "", k->name);
		names[n++] = k->name;
	}
	names[n] = NULL;
	const char *near = cfg_suggest(key->scalar, names);
	const char *in = where ? " in " : "";
	if (near)
		cfg_error(d, &key->pos, "unknown key '%s'%s%s; did you mean '%s'?", key->scalar, in,
		          where ? where : "", near);
	else
		cfg_error(d, &key->pos, "unknown key '%s'%s%s; valid keys: %s", key->scalar, in,
		          where ? where : "", list);
}

/* Reports a key seen earlier in the same map; true if `i` is such a duplicate. */
static bool duplicate_key(const struct cfgnode *map, size_t i, struct cfg_diags *d)
{
	const struct cfgnode *key = map->pairs[i].key;
	for (size_t j = 0; j < i; j++) {
		const struct cfgnode *prev = map->pairs[j].key;
		if (strcmp(prev->scalar, key->scalar) == 0) {
			cfg_error(d, &key->pos, "duplicate key '%s' (first at line %d)",
			          key->scalar, prev->pos.line);
			return true;
		}
	}
	return false;
}

static void missing_keys(const struct cfgnode *map, const struct cfg_key *keys, struct cfg_diags *d,
                         const char *where)
{
	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		if (k->required && cfgnode_get(map, k->name) == NULL)
			cfg_error(d, &map->pos, "missing required key '%s'%s%s", k->name,
			          where ? " in " : "", where ? where : "");
	}
}

static int decode_map(const struct cfgnode *map, const struct cfg_key *keys, void *out,
                      struct cfg_diags *d, void *ctx, const char *where)
{
	size_t before = d->nerrors;
	if (map->type != CFGNODE_MAP) {
		char buf[80];
		cfg_error(d, &map->pos, "%s: expected a map, got %s", where ? where : "document",
		          node_shown(map, buf, sizeof(buf)));
		return -EINVAL;
	}
	for (size_t i = 0; i < map->n; i++) {
		const struct cfgnode *key = map->pairs[i].key;
		const struct cfg_key *k = key_find(keys, key->scalar);
		if (duplicate_key(map, i, d))
			continue;
		if (k == NULL)
			unknown_key(key, keys, d, where);
		else
			decode_value(k, map->pairs[i].value, (char *)out + k->offset, d, ctx);
	}
	missing_keys(map, keys, d, where);
	return d->nerrors > before ? -EINVAL : 0;
}

int cfg_decode(const struct cfgnode *map, const struct cfg_key *keys, void *out,
               struct cfg_diags *d, void *ctx)
{
	return decode_map(map, keys, out, d, ctx, NULL);
}
