/* Names of enums from one table each (dcmon/enumtab.h). */
#include "dcmon/enumtab.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *enum_name(const char *const *names, int v)
{
	if (v < 0)
		return "?";
	for (int i = 0; i < v; i++) /* tables are a dozen names: walking beats a count */
		if (names[i] == NULL)
			return "?";
	return names[v] ? names[v] : "?";
}

static int parse_with(const char *const *names, const char *s, int *out,
		      int (*cmp)(const char *, const char *))
{
	for (int i = 0; s != NULL && names[i] != NULL; i++) {
		if (cmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int enum_parse(const char *const *names, const char *s, int *out)
{
	return parse_with(names, s, out, strcmp);
}

int enum_parse_nocase(const char *const *names, const char *s, int *out)
{
	return parse_with(names, s, out, strcasecmp);
}

char *enum_list(const char *const *names, char *buf, size_t len)
{
	size_t used = 0;
	if (len > 0)
		buf[0] = '\0';
	for (size_t i = 0; names[i] != NULL && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}
