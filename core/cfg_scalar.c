/* Scalar syntax of config values: integers, numbers, booleans and durations. */
#include "cfg_scalar.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dcmon/config.h"

int cfg_scalar_int64(const char *s, int64_t *out)
{
	if (s == NULL || *s == '\0' || strchr(" \t\n+", s[0]) != NULL)
		return -EINVAL;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

int cfg_scalar_double(const char *s, double *out)
{
	if (s == NULL || *s == '\0' || strchr(" \t\n", s[0]) != NULL)
		return -EINVAL;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

int cfg_scalar_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	for (size_t i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Duration units, largest first: a duration lists each at most once in this order. */
static const struct {
	const char *suffix;
	int64_t ms;
} duration_units[] = {
    {"d", 86400000}, {"h", 3600000}, {"ms", 1}, {"m", 60000}, {"s", 1000},
};
#define DURATION_NUNITS (sizeof(duration_units) / sizeof(duration_units[0]))

/* Index of the unit `s` starts with ("ms" before "m"), or -1. */
static int duration_unit(const char *s, size_t *len)
{
	for (size_t i = 0; i < DURATION_NUNITS; i++) {
		size_t l = strlen(duration_units[i].suffix);
		if (strncmp(s, duration_units[i].suffix, l) == 0) {
			*len = l;
			return (int)i;
		}
	}
	return -1;
}

/* Rank of a unit from largest (0) to smallest, for the order check. */
static int64_t duration_rank(int unit)
{
	return -duration_units[unit].ms;
}

int cfg_parse_duration(const char *s, int64_t *ms)
{
	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (strcmp(s, "0") == 0) {
		*ms = 0;
		return 0;
	}
	int64_t total = 0;
	int64_t last_rank = INT64_MIN;
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		int64_t v = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v > (INT64_MAX - 9) / 10)
				return -EINVAL;
			v = v * 10 + (*s - '0');
		}
		size_t len;
		int unit = duration_unit(s, &len);
		if (unit < 0 || duration_rank(unit) <= last_rank)
			return -EINVAL;
		last_rank = duration_rank(unit);
		if (v > (INT64_MAX - total) / duration_units[unit].ms)
			return -EINVAL;
		total += v * duration_units[unit].ms;
		s += len;
	}
	*ms = total;
	return 0;
}
