/* Time zones by name ("Asia/Tokyo", "UTC"): the system's zoneinfo files (TZif, RFC 8536)
 * read by dcmon itself, each once per process.  Used by silences' weekly windows,
 * recipients' quiet hours and tenants' days (alarm reports).
 *
 * Threads: any.  Nothing here switches the process's zone (setenv("TZ") + tzset()
 * would change it under every other thread's localtime() and mktime(), and setenv may
 * reallocate the environment under a concurrent getenv()); a NULL zone is the
 * process's own, read through the C library. */
#ifndef DCMON_TZ_H
#define DCMON_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TZ_NAME_MAX 64 /* bytes of a zone's name */

/* Whether the system has zone tz: "UTC", or a readable, well-formed TZif file of that
 * name under $TZDIR (default /usr/share/zoneinfo); no absolute path, no "..". */
bool tz_valid(const char *tz);

/* The wall clock of time ms (since 1970 UT) in zone tz (NULL: the process's zone,
 * dcmond's: the site's); false if the zone is unknown. */
bool tz_localtime(const char *tz, int64_t ms, struct tm *out);
/* Minutes after local midnight of wall time ms in zone tz (NULL: the process's zone). */
int tz_minute_of_day(const char *tz, int64_t ms);
/* The time (ms since 1970) when zone tz's wall clock reads `min` minutes after midnight
 * of the day `day` days after base's date (base: a tz_localtime of that zone); a day of
 * 23 or 25 hours across a DST change lasts what the wall clock says.  A wall time that
 * happens twice is the earlier; one skipped by a DST change is later by the skip. */
int64_t tz_local_at(const char *tz, const struct tm *base, int day, int min);
/* Weekday (0 Sunday) of the date `day` days after base's date. */
int tz_weekday(const struct tm *base, int day);

#endif
