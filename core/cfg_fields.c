/* Freeing and comparing structs decoded with a struct cfg_key table. */
#include "dcmon/cfgtree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIELD(obj, k) ((char *)(obj) + (k)->offset)
#define CFIELD(obj, k) ((const char *)(obj) + (k)->offset)
#define COUNT(obj, k) (*(size_t *)((char *)(obj) + (k)->count_offset))
#define CCOUNT(obj, k) (*(const size_t *)((const char *)(obj) + (k)->count_offset))

static void strlist_release(const struct cfg_key *k, void *obj)
{
	char **list = *(char ***)FIELD(obj, k);
	for (size_t i = 0; list && i < COUNT(obj, k); i++)
		free(list[i]);
	free(list);
	*(char ***)FIELD(obj, k) = NULL;
	COUNT(obj, k) = 0;
}

static void strmap_release(const struct cfg_key *k, void *obj)
{
	struct cfg_label *map = *(struct cfg_label **)FIELD(obj, k);
	for (size_t i = 0; map && i < COUNT(obj, k); i++) {
		free(map[i].key);
		free(map[i].value);
	}
	free(map);
	*(struct cfg_label **)FIELD(obj, k) = NULL;
	COUNT(obj, k) = 0;
}

static void seq_release(const struct cfg_key *k, void *obj)
{
	char *arr = *(char **)FIELD(obj, k);
	for (size_t i = 0; arr && i < COUNT(obj, k); i++)
		cfg_fields_free(k->sub, arr + i * k->elem_size);
	free(arr);
	*(char **)FIELD(obj, k) = NULL;
	COUNT(obj, k) = 0;
}

static void section_release(const struct cfg_key *k, void *obj)
{
	void **p = (void **)FIELD(obj, k);
	if (*p)
		cfg_fields_free(k->sub, *p);
	free(*p);
	*p = NULL;
}

void cfg_fields_free(const struct cfg_key *keys, void *obj)
{
	if (obj == NULL)
		return;
	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		switch (k->type) {
		case CFGK_STRING:
			free(*(char **)FIELD(obj, k));
			*(char **)FIELD(obj, k) = NULL;
			break;
		case CFGK_STRLIST:
			strlist_release(k, obj);
			break;
		case CFGK_STRMAP:
			strmap_release(k, obj);
			break;
		case CFGK_SEQ:
			seq_release(k, obj);
			break;
		case CFGK_SECTION:
			section_release(k, obj);
			break;
		case CFGK_STRUCT:
			cfg_fields_free(k->sub, FIELD(obj, k));
			break;
		case CFGK_CUSTOM:
			if (k->release)
				k->release(FIELD(obj, k));
			break;
		default:
			break;
		}
	}
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool strlist_same(const struct cfg_key *k, const void *a, const void *b)
{
	if (CCOUNT(a, k) != CCOUNT(b, k))
		return false;
	char *const *la = *(char *const *const *)CFIELD(a, k);
	char *const *lb = *(char *const *const *)CFIELD(b, k);
	for (size_t i = 0; i < CCOUNT(a, k); i++) {
		if (!str_same(la[i], lb[i]))
			return false;
	}
	return true;
}

static bool strmap_same(const struct cfg_key *k, const void *a, const void *b)
{
	if (CCOUNT(a, k) != CCOUNT(b, k))
		return false;
	const struct cfg_label *ma = *(struct cfg_label *const *)CFIELD(a, k);
	const struct cfg_label *mb = *(struct cfg_label *const *)CFIELD(b, k);
	for (size_t i = 0; i < CCOUNT(a, k); i++) {
		if (!str_same(ma[i].key, mb[i].key) || !str_same(ma[i].value, mb[i].value))
			return false;
	}
	return true;
}

static bool seq_same(const struct cfg_key *k, const void *a, const void *b)
{
	if (CCOUNT(a, k) != CCOUNT(b, k))
		return false;
	const char *sa = *(const char *const *)CFIELD(a, k);
	const char *sb = *(const char *const *)CFIELD(b, k);
	for (size_t i = 0; i < CCOUNT(a, k); i++) {
		if (!cfg_fields_same(k->sub, sa + i * k->elem_size, sb + i * k->elem_size))
			return false;
	}
	return true;
}

static bool section_same(const struct cfg_key *k, const void *a, const void *b)
{
	const void *pa = *(const void *const *)CFIELD(a, k);
	const void *pb = *(const void *const *)CFIELD(b, k);
	if (pa == NULL || pb == NULL)
		return pa == pb;
	return cfg_fields_same(k->sub, pa, pb);
}

static bool double_same(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

static bool field_same(const struct cfg_key *k, const void *a, const void *b)
{
	const void *fa = CFIELD(a, k), *fb = CFIELD(b, k);
	switch (k->type) {
	case CFGK_STRING:
		return str_same(*(char *const *)fa, *(char *const *)fb);
	case CFGK_INT:
	case CFGK_ENUM:
		return *(const int *)fa == *(const int *)fb;
	case CFGK_INT64:
	case CFGK_DURATION:
		return *(const int64_t *)fa == *(const int64_t *)fb;
	case CFGK_DOUBLE:
		return double_same(*(const double *)fa, *(const double *)fb);
	case CFGK_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case CFGK_STRLIST:
		return strlist_same(k, a, b);
	case CFGK_STRMAP:
		return strmap_same(k, a, b);
	case CFGK_SEQ:
		return seq_same(k, a, b);
	case CFGK_SECTION:
		return section_same(k, a, b);
	case CFGK_STRUCT:
		return cfg_fields_same(k->sub, fa, fb);
	case CFGK_CUSTOM:
		return k->same != NULL && k->same(fa, fb);
	}
	return false;
}

bool cfg_fields_same(const struct cfg_key *keys, const void *a, const void *b)
{
	for (const struct cfg_key *k = keys; k->name != NULL; k++) {
		if (!field_same(k, a, b))
			return false;
	}
	return true;
}
