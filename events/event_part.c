/* Daily partitions of the event store: one SQLite file per UTC day of reception,
 * events-YYYYMMDD.db, so that retention and the disk bound remove whole files (no
 * DELETE, no VACUUM) and a search opens only the days its time range touches. */
#include "events_int.h"

#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void event_part_name(int64_t t_ms, char *buf, size_t len)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "events-%04d%02d%02d.db", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t event_part_day(const char *name)
{
	int y, m, d, n = 0;
	struct tm tm;

	if (sscanf(name, "events-%4d%2d%2d.db%n", &y, &m, &d, &n) != 3 || name[n] != '\0' ||
	    n != 18 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	tm = (struct tm){.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
	return (int64_t)timegm(&tm) * 1000;
}

/* Size of path and of its -wal and -shm companions. */
static int64_t part_bytes(const char *dir, const char *name)
{
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	int64_t total = 0;
	char path[4096];
	struct stat st;

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffixes[i]);
		if (stat(path, &st) == 0)
			total += (int64_t)st.st_blocks * 512;
	}
	return total;
}

static int by_day(const void *a, const void *b)
{
	const struct event_part *x = a, *y = b;
	return x->day_ms < y->day_ms ? -1 : x->day_ms > y->day_ms;
}

int event_parts_list(const char *dir, struct event_part **out)
{
	DIR *d = opendir(dir);
	struct event_part *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	*out = NULL;
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		int64_t day = event_part_day(e->d_name);
		if (day < 0)
			continue;
		if (n == cap) {
			struct event_part *nv = realloc(v, (cap = cap ? 2 * cap : 64) * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n] = (struct event_part){.day_ms = day, .bytes = part_bytes(dir, e->d_name)};
		memcpy(v[n].name, e->d_name, strlen(e->d_name) + 1); /* 18 bytes: checked */
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), by_day);
	*out = v;
	return (int)n;
}

int event_db_int(sqlite3 *db, const char *sql, int64_t arg, int64_t *out)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int event_part_layout(sqlite3 *db)
{
	int64_t v = 0;

	/* no key (or no ev_meta, older still): the first layout */
	return event_db_int(db, EVENT_META_LAYOUT, 0, &v) == 1 ? (int)v : EVENT_LAYOUT_DEVICE_INDEX;
}
