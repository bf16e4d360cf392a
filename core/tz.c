/* Time zones by name (dcmon/tz.h): the system's TZif files (RFC 8536) read by this file,
 * so that a computation in one zone never switches the process's zone, which every
 * thread's localtime(), mktime() and getenv() share. */
#include "dcmon/tz.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_FILE_MAX (256 * 1024) /* bytes of a TZif file: the largest is about 4 kB */
#define DAY 86400

/* A date of the footer's rule: "Mm.w.d" (kind 'M'), "Jn" (1..365, no 29 February),
 * "n" (0..365); secs: local time of day it applies, may exceed a day or be negative. */
struct tz_date {
	char kind;
	int m, w, d, n;
	int32_t secs;
};

/* The footer's POSIX TZ string: the zone's rule after its last transition. */
struct tz_rule {
	int32_t std_off, dst_off; /* seconds east of UT */
	bool has_dst;
	struct tz_date start, end; /* DST starts (in standard time), ends (in DST) */
};

struct tz_zone {
	char name[TZ_NAME_MAX + 1];
	size_t ntrans;
	int64_t *when;	 /* transitions, ascending, seconds since 1970 UT */
	uint8_t *type;	 /* index into utoff/isdst in force from when[i] on */
	int32_t *utoff;	 /* per type: seconds east of UT */
	uint8_t *isdst;	 /* per type */
	bool has_rule;
	struct tz_rule rule;
	struct tz_zone *next;
};

/* Zones read once and kept for the process's life: a name is looked up by every thread
 * (quiet hours on workers, silences on the loop), a file is a few kB, a site has few. */
static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz_zone *zones;

/* ---- calendar arithmetic without the C library's zone state ------------------------ */

static bool leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12, d may overflow). */
static int64_t days_from_civil(int64_t y, int m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_days(int64_t y, int m)
{
	static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return len[m - 1] + (m == 2 && leap_year(y));
}

/* Seconds since 1970 of the rule date's local midnight in year y (as if UT). */
static int64_t rule_date_midnight(int64_t y, const struct tz_date *dt)
{
	int64_t jan1 = days_from_civil(y, 1, 1), day;
	if (dt->kind == 'J')
		day = jan1 + dt->n - 1 + (leap_year(y) && dt->n >= 60);
	else if (dt->kind == 'n')
		day = jan1 + dt->n;
	else {
		int64_t first = days_from_civil(y, dt->m, 1);
		int wday1 = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
		int mday = 1 + (dt->d - wday1 + 7) % 7 + 7 * (dt->w - 1);
		while (mday > month_days(y, dt->m))
			mday -= 7; /* w 5: the last such weekday */
		day = first + mday - 1;
	}
	return day * DAY;
}

static int64_t year_of(int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;
	return gmtime_r(&t, &tm) ? (int64_t)tm.tm_year + 1900 : 1970;
}

static int32_t rule_offset(const struct tz_rule *r, int64_t t, bool *isdst)
{
	*isdst = false;
	if (!r->has_dst)
		return r->std_off;
	int64_t y = year_of(t + r->std_off);
	int64_t start = rule_date_midnight(y, &r->start) + r->start.secs - r->std_off;
	int64_t end = rule_date_midnight(y, &r->end) + r->end.secs - r->dst_off;
	if (start < end)
		*isdst = t >= start && t < end;
	else /* southern hemisphere: DST spans the new year */
		*isdst = !(t >= end && t < start);
	return *isdst ? r->dst_off : r->std_off;
}

/* ---- the footer: a POSIX TZ string ------------------------------------------------- */

static const char *parse_name(const char *p)
{
	if (*p == '<') {
		const char *e = strchr(p, '>');
		return e && e - p > 1 ? e + 1 : NULL;
	}
	const char *s = p;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static long parse_num(const char **p, long max)
{
	if (**p < '0' || **p > '9')
		return -1;
	long v = 0;
	while (**p >= '0' && **p <= '9' && v <= max)
		v = v * 10 + (*(*p)++ - '0');
	return v <= max ? v : -1;
}

/* [+-]hh[:mm[:ss]] (hours to 167, RFC 8536's extension) into seconds; NULL if malformed. */
static const char *parse_hms(const char *p, int32_t *secs)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	long h = parse_num(&p, 167), m = 0, s = 0;
	if (h < 0)
		return NULL;
	if (*p == ':' && (p++, (m = parse_num(&p, 59)) < 0))
		return NULL;
	if (*p == ':' && (p++, (s = parse_num(&p, 59)) < 0))
		return NULL;
	*secs = (int32_t)(sign * (h * 3600 + m * 60 + s));
	return p;
}

static const char *parse_date(const char *p, struct tz_date *dt)
{
	long a, b, c;
	dt->secs = 2 * 3600; /* POSIX: 02:00 unless said */
	if (*p == 'M') {
		p++;
		if ((a = parse_num(&p, 12)) < 1 || *p++ != '.' || (b = parse_num(&p, 5)) < 1 ||
		    *p++ != '.' || (c = parse_num(&p, 6)) < 0)
			return NULL;
		*dt = (struct tz_date){'M', (int)a, (int)b, (int)c, 0, dt->secs};
	} else if (*p == 'J') {
		p++;
		if ((a = parse_num(&p, 365)) < 1)
			return NULL;
		*dt = (struct tz_date){.kind = 'J', .n = (int)a, .secs = dt->secs};
	} else {
		if ((a = parse_num(&p, 365)) < 0)
			return NULL;
		*dt = (struct tz_date){.kind = 'n', .n = (int)a, .secs = dt->secs};
	}
	if (*p == '/')
		p = parse_hms(p + 1, &dt->secs);
	return p;
}

/* "CET-1CEST,M3.5.0,M10.5.0/3", "<+0530>-5:30", "EST5EDT" (US rules when none given). */
static bool parse_rule(const char *p, struct tz_rule *r)
{
	int32_t west;
	*r = (struct tz_rule){0};
	if (!(p = parse_name(p)) || !(p = parse_hms(p, &west)))
		return false;
	r->std_off = -west;
	if (!*p)
		return true;
	if (!(p = parse_name(p)))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!(p = parse_hms(p, &west)))
			return false;
		r->dst_off = -west;
	}
	if (!*p)
		p = ",M3.2.0,M11.1.0";
	if (*p++ != ',' || !(p = parse_date(p, &r->start)) || *p++ != ',' ||
	    !(p = parse_date(p, &r->end)))
		return false;
	return *p == '\0';
}

/* ---- the TZif file ---------------------------------------------------------------- */

struct reader {
	const unsigned char *p, *end;
};

static bool take(struct reader *rd, size_t n, const unsigned char **at)
{
	if ((size_t)(rd->end - rd->p) < n)
		return false;
	*at = rd->p;
	rd->p += n;
	return true;
}

static int64_t be(const unsigned char *b, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | b[i];
	return n == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

struct tzif_counts {
	size_t isut, isstd, leap, time, type, chars;
};

static bool read_header(struct reader *rd, char *version, struct tzif_counts *c)
{
	const unsigned char *h;
	if (!take(rd, 44, &h) || memcmp(h, "TZif", 4) != 0)
		return false;
	*version = (char)h[4];
	size_t *f[] = {&c->isut, &c->isstd, &c->leap, &c->time, &c->type, &c->chars};
	for (int i = 0; i < 6; i++)
		*f[i] = (size_t)(uint32_t)be(h + 20 + 4 * i, 4);
	return c->type >= 1 && c->type <= 256 && c->time <= 100000;
}

static size_t block_size(const struct tzif_counts *c, int tsize)
{
	return c->time * (tsize + 1) + c->type * 6 + c->chars + c->leap * (tsize + 4) +
	       c->isstd + c->isut;
}

static bool read_block(struct reader *rd, const struct tzif_counts *c, int tsize,
		       struct tz_zone *z)
{
	const unsigned char *b;
	if (!take(rd, block_size(c, tsize), &b))
		return false;
	z->ntrans = c->time;
	z->when = malloc(sizeof(*z->when) * (c->time ? c->time : 1));
	z->type = malloc(c->time ? c->time : 1);
	z->utoff = malloc(sizeof(*z->utoff) * c->type);
	z->isdst = malloc(c->type);
	if (!z->when || !z->type || !z->utoff || !z->isdst)
		return false;
	for (size_t i = 0; i < c->time; i++) {
		z->when[i] = be(b + i * tsize, tsize);
		z->type[i] = b[c->time * tsize + i];
		if (z->type[i] >= c->type || (i && z->when[i] <= z->when[i - 1]))
			return false;
	}
	const unsigned char *ti = b + c->time * (tsize + 1);
	for (size_t i = 0; i < c->type; i++) {
		z->utoff[i] = (int32_t)be(ti + 6 * i, 4);
		z->isdst[i] = ti[6 * i + 4];
	}
	return true;
}

/* The footer after a version 2+ data block: "\n" TZ string "\n"; empty: none. */
static bool read_footer(struct reader *rd, struct tz_zone *z)
{
	if (rd->p >= rd->end || *rd->p != '\n')
		return false;
	const unsigned char *s = rd->p + 1;
	const unsigned char *nl = memchr(s, '\n', (size_t)(rd->end - s));
	if (!nl || nl - s >= 128)
		return false;
	char text[128];
	memcpy(text, s, (size_t)(nl - s));
	text[nl - s] = '\0';
	if (!text[0])
		return true;
	z->has_rule = parse_rule(text, &z->rule);
	return z->has_rule;
}

static void zone_free(struct tz_zone *z)
{
	if (!z)
		return;
	free(z->when);
	free(z->type);
	free(z->utoff);
	free(z->isdst);
	free(z);
}

static bool parse_tzif(const unsigned char *buf, size_t len, struct tz_zone *z)
{
	struct reader rd = {buf, buf + len};
	struct tzif_counts c;
	char version;
	const unsigned char *skip;
	if (!read_header(&rd, &version, &c))
		return false;
	if (version == '\0')
		return read_block(&rd, &c, 4, z);
	/* version 2+: the 32-bit block is for old readers; the 64-bit one follows */
	return take(&rd, block_size(&c, 4), &skip) && read_header(&rd, &version, &c) &&
	       read_block(&rd, &c, 8, z) && read_footer(&rd, z);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = malloc(TZ_FILE_MAX);
	*len = buf ? fread(buf, 1, TZ_FILE_MAX, f) : 0;
	bool whole = buf && feof(f) && !ferror(f);
	fclose(f);
	if (!whole) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool name_safe(const char *tz)
{
	return tz && *tz && tz[0] != '/' && !strstr(tz, "..") && strlen(tz) <= TZ_NAME_MAX;
}

static struct tz_zone *zone_load(const char *tz)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	size_t len;
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	struct tz_zone *z = calloc(1, sizeof(*z));
	unsigned char *buf = z ? read_file(path, &len) : NULL;
	if (buf && parse_tzif(buf, len, z))
		snprintf(z->name, sizeof(z->name), "%s", tz);
	else if (z && strcmp(tz, "UTC") == 0 && !buf) { /* no zoneinfo: UTC is known anyway */
		zone_free(z);
		z = calloc(1, sizeof(*z));
		int32_t *off = z ? calloc(1, sizeof(*off)) : NULL;
		if (z && off)
			*z = (struct tz_zone){.name = "UTC", .utoff = off};
		else {
			free(off);
			zone_free(z);
			z = NULL;
		}
	} else {
		zone_free(z);
		z = NULL;
	}
	free(buf);
	return z;
}

/* The zone named tz, read on first use; NULL if unknown or not a valid TZif file. */
static const struct tz_zone *zone_get(const char *tz)
{
	if (!name_safe(tz))
		return NULL;
	pthread_mutex_lock(&zones_lock);
	struct tz_zone *z = zones;
	while (z && strcmp(z->name, tz) != 0)
		z = z->next;
	if (!z && (z = zone_load(tz))) {
		z->next = zones;
		zones = z;
	}
	pthread_mutex_unlock(&zones_lock);
	return z;
}

/* Seconds east of UT in zone z at time t (seconds since 1970 UT). */
static int32_t zone_offset(const struct tz_zone *z, int64_t t, bool *isdst)
{
	if (z->ntrans == 0 && z->has_rule)
		return rule_offset(&z->rule, t, isdst);
	size_t ty = 0; /* RFC 8536: type 0 before the first transition */
	if (z->ntrans && t >= z->when[z->ntrans - 1] && z->has_rule)
		return rule_offset(&z->rule, t, isdst);
	if (z->ntrans && t >= z->when[0]) {
		size_t lo = 0, hi = z->ntrans; /* last transition at or before t */
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2;
			if (z->when[mid] <= t)
				lo = mid;
			else
				hi = mid;
		}
		ty = z->type[lo];
	}
	*isdst = z->isdst[ty] != 0;
	return z->utoff[ty];
}

/* ---- the interface ---------------------------------------------------------------- */

bool tz_valid(const char *tz)
{
	return zone_get(tz) != NULL;
}

bool tz_localtime(const char *tz, int64_t ms, struct tm *out)
{
	time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	if (!tz)
		return localtime_r(&t, out) != NULL;
	const struct tz_zone *z = zone_get(tz);
	if (!z)
		return false;
	bool isdst;
	int32_t off = zone_offset(z, (int64_t)t, &isdst);
	time_t local = t + off;
	if (!gmtime_r(&local, out))
		return false;
	out->tm_isdst = isdst;
	out->tm_gmtoff = off;
	out->tm_zone = NULL;
	return true;
}

int tz_minute_of_day(const char *tz, int64_t ms)
{
	struct tm tm;
	if (!tz_localtime(tz, ms, &tm))
		return 0;
	return tm.tm_hour * 60 + tm.tm_min;
}

/* The UT time whose wall clock in z reads `local` (seconds since 1970 as if UT): of two
 * (a fall-back hour) the earlier; of none (a spring-forward gap) the time the offset in
 * force before the gap gives, later by the gap, as mktime() does. */
static int64_t zone_solve(const struct tz_zone *z, int64_t local)
{
	bool dst;
	int32_t before = zone_offset(z, local - 2 * DAY, &dst);
	int32_t after = zone_offset(z, local + 2 * DAY, &dst);
	int32_t first = before > after ? before : after; /* larger offset: earlier UT */
	int32_t second = before > after ? after : before;
	if (zone_offset(z, local - first, &dst) == first)
		return local - first;
	if (zone_offset(z, local - second, &dst) == second)
		return local - second;
	return local - before;
}

int64_t tz_local_at(const char *tz, const struct tm *base, int day, int min)
{
	if (!tz) {
		struct tm t = *base;
		t.tm_mday += day;
		t.tm_hour = min / 60;
		t.tm_min = min % 60;
		t.tm_sec = 0;
		t.tm_isdst = -1; /* mktime decides whether that time is summer time */
		return (int64_t)mktime(&t) * 1000;
	}
	const struct tz_zone *z = zone_get(tz);
	int64_t days = days_from_civil((int64_t)base->tm_year + 1900, base->tm_mon + 1,
				       (int64_t)base->tm_mday + day);
	int64_t local = days * DAY + (int64_t)min * 60;
	return (z ? zone_solve(z, local) : local) * 1000;
}

int tz_weekday(const struct tm *base, int day)
{
	int64_t days = days_from_civil((int64_t)base->tm_year + 1900, base->tm_mon + 1,
				       (int64_t)base->tm_mday + day);
	return (int)(((days + 4) % 7 + 7) % 7);
}
