/* Time zones (core/tz.c): the wall clock in a named zone agrees with the C library's for
 * zones of every kind (half hours, negative DST, southern DST, times past the files'
 * transitions that only the footer's rule covers); local times map back, through DST
 * gaps and overlaps; broken files are refused; and no computation moves the process's
 * own zone under another thread (the switch of TZ it replaced did). */
#include "testing.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcmon/tz.h"

static const char *const zones[] = {
	"UTC",		    "Europe/Berlin",	  "America/New_York", "Australia/Lord_Howe",
	"Pacific/Chatham",  "Asia/Kolkata",	  "America/Sao_Paulo", "Europe/Dublin",
	"America/Nuuk",	    "Africa/Casablanca", "Pacific/Kiritimati", "America/St_Johns",
	"Australia/Sydney", "Asia/Tehran",	  "Pacific/Apia",     "America/Santiago",
};

/* The C library's wall clock of t in zone tz (TZ switched: this test's one thread). */
static void libc_localtime(const char *tz, time_t t, struct tm *tm)
{
	setenv("TZ", tz, 1);
	tzset();
	assert_non_null(localtime_r(&t, tm));
}

static void same_wall_clock(const struct tm *a, const struct tm *b, const char *tz, time_t t)
{
	if (a->tm_year != b->tm_year || a->tm_yday != b->tm_yday || a->tm_hour != b->tm_hour ||
	    a->tm_min != b->tm_min || a->tm_sec != b->tm_sec || a->tm_wday != b->tm_wday ||
	    a->tm_gmtoff != b->tm_gmtoff || a->tm_isdst != b->tm_isdst)
		fail_msg("%s at %lld: %04d-%03d %02d:%02d off %ld dst %d, libc %04d-%03d %02d:%02d "
			 "off %ld dst %d",
			 tz, (long long)t, a->tm_year + 1900, a->tm_yday, a->tm_hour, a->tm_min,
			 a->tm_gmtoff, a->tm_isdst, b->tm_year + 1900, b->tm_yday, b->tm_hour,
			 b->tm_min, b->tm_gmtoff, b->tm_isdst);
}

/* 1901 to 2100 in steps of 3 days and 7 hours 13 minutes: every DST rule of each zone,
 * its history and the footer's rule past 2037. */
static void test_agrees_with_libc(void **state)
{
	(void)state;
	for (size_t z = 0; z < sizeof(zones) / sizeof(zones[0]); z++) {
		assert_true(tz_valid(zones[z]));
		for (int64_t t = -2147483647LL; t < 4102444800LL; t += 3 * 86400 + 7 * 3600 + 13 * 60) {
			struct tm ours, libc;
			assert_true(tz_localtime(zones[z], t * 1000, &ours));
			libc_localtime(zones[z], (time_t)t, &libc);
			same_wall_clock(&ours, &libc, zones[z], (time_t)t);
			assert_int_equal(tz_minute_of_day(zones[z], t * 1000),
					 libc.tm_hour * 60 + libc.tm_min);
			/* and back: the wall clock's minute maps to that minute (or, where the
			 * clock reads it twice, to the earlier reading of it) */
			int64_t back = tz_local_at(zones[z], &ours, 0, ours.tm_hour * 60 + ours.tm_min);
			struct tm again;
			assert_true(tz_localtime(zones[z], back, &again));
			assert_int_equal(again.tm_hour * 60 + again.tm_min, ours.tm_hour * 60 + ours.tm_min);
			assert_int_equal(again.tm_yday, ours.tm_yday);
			assert_true(back <= (t - ours.tm_sec) * 1000);
		}
	}
	unsetenv("TZ");
	tzset();
}

static int64_t berlin(int mday, int month, int min)
{
	struct tm base = {.tm_year = 2024 - 1900, .tm_mon = month - 1, .tm_mday = mday};
	return tz_local_at("Europe/Berlin", &base, 0, min);
}

/* 2024-03-31 02:30 never happens in Berlin (02:00 CET -> 03:00 CEST): 03:30 CEST, as
 * mktime gives; 2024-10-27 02:30 happens twice: the first, in CEST. */
static void test_gap_and_overlap(void **state)
{
	(void)state;
	assert_int_equal(berlin(31, 3, 150), 1711848600000LL);	/* 01:30 UT */
	assert_int_equal(berlin(31, 3, 60), 1711843200000LL);	/* 00:00 UT, CET */
	assert_int_equal(berlin(31, 3, 240), 1711850400000LL);	/* 02:00 UT, CEST */
	assert_int_equal(berlin(27, 10, 150), 1729989000000LL); /* 00:30 UT, CEST */
	assert_int_equal(berlin(27, 10, 210), 1729996200000LL); /* 02:30 UT, CET */
	struct tm base = {.tm_year = 2024 - 1900, .tm_mon = 2, .tm_mday = 30}; /* a Saturday */
	assert_int_equal(tz_weekday(&base, 0), 6);
	assert_int_equal(tz_weekday(&base, 1), 0);
	assert_int_equal(tz_weekday(&base, -6), 0);
	/* 25 hours between the midnights around the fall-back, as the wall clock says */
	assert_int_equal(berlin(28, 10, 0) - berlin(27, 10, 0), 25 * 3600 * 1000LL);
}

static void write_file(const char *path, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

/* A file that starts like TZif but is cut short, or whose footer is no TZ string, is no
 * zone; an unsafe name is none either; a copy of a real file is one. */
static void test_broken_files_refused(void **state)
{
	(void)state;
	char dir[] = "/tmp/dcmon-tz-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	FILE *f = fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
	assert_non_null(f);
	static unsigned char buf[65536];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_true(len > 100 && buf[len - 1] == '\n');
	snprintf(path, sizeof(path), "%s/Good", dir);
	write_file(path, buf, len);
	snprintf(path, sizeof(path), "%s/Short", dir);
	write_file(path, buf, len / 2);
	buf[len - 3] = '!'; /* "...M10.5.0/3\n" -> "...M10.5.0!3\n" */
	snprintf(path, sizeof(path), "%s/Footer", dir);
	write_file(path, buf, len);
	snprintf(path, sizeof(path), "%s/Text", dir);
	write_file(path, "TZif not really\n", 16);
	setenv("TZDIR", dir, 1);
	assert_true(tz_valid("Good"));
	assert_false(tz_valid("Short"));
	assert_false(tz_valid("Footer"));
	assert_false(tz_valid("Text"));
	assert_false(tz_valid("Missing"));
	assert_false(tz_valid("../etc/passwd"));
	assert_false(tz_valid("/usr/share/zoneinfo/UTC"));
	assert_false(tz_valid(""));
	assert_true(tz_valid("UTC")); /* known without a file */
	unsetenv("TZDIR");
	for (const char *n = "Good\0Short\0Footer\0Text\0"; *n; n += strlen(n) + 1) {
		snprintf(path, sizeof(path), "%s/%s", dir, n);
		unlink(path);
	}
	rmdir(dir);
}

#define RACE_TRIES 200000

static atomic_bool racing;

static void *far_zone_reader(void *arg)
{
	(void)arg;
	int64_t ms = 1796515200000LL; /* 2026-12-06 00:00 UT: 14:00 in Kiritimati */
	for (int i = 0; i < RACE_TRIES && atomic_load(&racing); i++)
		if (tz_minute_of_day("Pacific/Kiritimati", ms) != 14 * 60)
			return (void *)1;
	return NULL;
}

/* While one thread computes times in UT+14, the process's zone (UTC here) stays UTC for
 * every other thread's localtime_r and getenv: with TZ switched around each computation,
 * the main thread saw Kiritimati's hour within a few hundred tries. */
static void test_process_zone_untouched(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	atomic_store(&racing, true);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, far_zone_reader, NULL), 0);
	int moved = 0, i;
	for (i = 0; i < RACE_TRIES && !moved; i++) {
		time_t t = 1796515200 + i;
		struct tm local, ut;
		const char *tz = getenv("TZ");
		localtime_r(&t, &local);
		gmtime_r(&t, &ut);
		moved = !tz || strcmp(tz, "UTC") != 0 || local.tm_hour != ut.tm_hour;
	}
	atomic_store(&racing, false);
	void *wrong;
	pthread_join(th, &wrong);
	if (moved)
		fail_msg("the process's zone moved under this thread after %d tries", i);
	assert_null(wrong);
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agrees_with_libc),
		cmocka_unit_test(test_gap_and_overlap),
		cmocka_unit_test(test_broken_files_refused),
		cmocka_unit_test(test_process_zone_untouched),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
