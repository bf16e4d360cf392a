/* dcmond's own state files as metrics of the device `dcmond` (state_health.h). */
#include "state_health.h"

#include <errno.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define STATE_HEALTH_INTERVAL_MS 10000 /* stale after 2.5 intervals without a tick */

void state_health_init(struct state_health *h, struct metric_reg *reg, const char *file)
{
	static const struct metric_enum states[] = {{0, "ok"}, {1, "full"}};
	struct metric_desc d = {.unit = "", .inst_label = "file", .inst = file,
				.interval_ms = STATE_HEALTH_INTERVAL_MS};
	*h = (struct state_health){0};
	if (!reg)
		return;
	d.name = "state_store_state";
	d.kind = METRIC_STATE;
	d.enums = states;
	d.nenums = 2;
	h->m_state = metric_reg_get(reg, STATE_HEALTH_DEVICE, &d);
	d.kind = METRIC_GAUGE;
	d.enums = NULL;
	d.nenums = 0;
	d.name = "state_held_count";
	h->m_held = metric_reg_get(reg, STATE_HEALTH_DEVICE, &d);
	d.name = "state_lost_count";
	h->m_lost = metric_reg_get(reg, STATE_HEALTH_DEVICE, &d);
}

void state_health_put(struct state_health *h, struct metric_reg *reg, int64_t now_ms,
		      bool full, size_t held, uint64_t lost)
{
	/* the archive takes one update per second and metric */
	if (!reg || now_ms / 1000 == h->last_sec)
		return;
	h->last_sec = now_ms / 1000;
	if (h->m_state)
		metric_put(reg, h->m_state, now_ms, full ? 1 : 0);
	if (h->m_held)
		metric_put(reg, h->m_held, now_ms, (double)held);
	if (h->m_lost)
		metric_put(reg, h->m_lost, now_ms, (double)lost);
}

bool state_db_disk_error(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_NOMEM:
		return true;
	default:
		return false;
	}
}

void state_db_failure(sqlite3 *db, int rc, char *buf, size_t len)
{
	/* SQLite keeps no errno for SQLITE_FULL: its unix VFS returns it for ENOSPC and
	 * short writes alone (a quota is an I/O error with EDQUOT) */
	int sys = (rc & 0xff) == SQLITE_FULL ? ENOSPC : sqlite3_system_errno(db);
	const char *msg = sqlite3_errmsg(db);
	if (!msg || !*msg || strcmp(msg, "not an error") == 0)
		msg = sqlite3_errstr(rc);
	if (sys)
		snprintf(buf, len, "%s (%s)", msg, strerror(sys));
	else
		snprintf(buf, len, "%s", msg);
}
