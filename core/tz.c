/* Time zones by name (dcmon/tz.h): the C library's local time under a TZ switched for
 * one computation. */
#include "dcmon/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool tz_valid(const char *tz)
{
	if (!tz || !*tz)
		return false;
	if (strcmp(tz, "UTC") == 0)
		return true;
	if (tz[0] == '/' || strstr(tz, "..") || strlen(tz) > TZ_NAME_MAX)
		return false;
	const char *dir = getenv("TZDIR");
	char path[512], magic[4];
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool ok = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
		  memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

void tz_enter(const char *tz, struct tz_guard *g)
{
	const char *cur = getenv("TZ");
	g->old = cur ? strdup(cur) : NULL;
	g->switched = tz != NULL;
	if (tz) {
		setenv("TZ", tz, 1);
		tzset();
	}
}

void tz_leave(struct tz_guard *g)
{
	if (g->switched) {
		if (g->old)
			setenv("TZ", g->old, 1);
		else
			unsetenv("TZ");
		tzset();
	}
	free(g->old);
}

int tz_minute_of_day(const char *tz, int64_t ms)
{
	struct tz_guard g;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	tz_enter(tz, &g);
	localtime_r(&t, &tm);
	tz_leave(&g);
	return tm.tm_hour * 60 + tm.tm_min;
}

int64_t tz_local_at(const struct tm *base, int day, int min)
{
	struct tm t = *base;
	t.tm_mday += day;
	t.tm_hour = min / 60;
	t.tm_min = min % 60;
	t.tm_sec = 0;
	t.tm_isdst = -1; /* mktime decides whether that time is summer time */
	return (int64_t)mktime(&t) * 1000;
}
