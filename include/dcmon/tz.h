/* Time zones by name ("Asia/Tokyo", "UTC"): the system's zoneinfo files, read through
 * the C library under a TZ switched for one computation.  Used by silences' weekly
 * windows, recipients' quiet hours and tenants' days (alarm reports).
 *
 * Threads: the loop thread only (the switch is of the process's TZ; dcmond sets TZ
 * before any thread starts, so a switch only swaps the value of an existing entry,
 * which other threads' getenv() may read meanwhile).  tz_valid: any thread. */
#ifndef DCMON_TZ_H
#define DCMON_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define TZ_NAME_MAX 64 /* bytes of a zone's name */

/* Whether the system has zone tz: "UTC", or a readable zoneinfo file of that name under
 * $TZDIR (default /usr/share/zoneinfo) that is a TZif file; no absolute path, no "..". */
bool tz_valid(const char *tz);

/* The process's zone switched to tz for one computation (tz NULL: left alone, the
 * process's own zone, dcmond's: the site's); tz_leave puts it back. */
struct tz_guard {
	char *old; /* previous TZ value, NULL if unset */
	bool switched;
};
void tz_enter(const char *tz, struct tz_guard *g);
void tz_leave(struct tz_guard *g);

/* Minutes after local midnight of wall time ms in zone tz (NULL: the process's zone). */
int tz_minute_of_day(const char *tz, int64_t ms);
/* Under a zone entered: the local time `min` minutes after midnight of the day `day`
 * days after base's date (ms since 1970); a day of 23 or 25 hours across a DST change
 * lasts what the wall clock says. */
int64_t tz_local_at(const struct tm *base, int day, int min);

#endif
