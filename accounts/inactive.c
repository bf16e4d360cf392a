/* Accounts unused for daemon.accounts.inactive_disable (default 90 days) are disabled:
 * no login and no use of one of its API tokens since then (since its creation when it
 * was never used).  The same hourly sweep runs the audit log's retention pass
 * (daemon.accounts.audit_retention).  The clock is the caller's, so tests move it. */
#include "accounts_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>

#include "dcmon/alert.h"
#include "dcmon/log.h"
#include "dcmon/state_db.h"

static const char inactive_sql[] =
	"UPDATE accounts SET disabled = 1 WHERE disabled = 0 AND "
	"max(created_ms, last_login_ms, coalesce((SELECT max(last_used_ms) FROM tokens "
	"WHERE tokens.account = accounts.name), 0)) < ? RETURNING name";

int accounts_disable_inactive(struct accounts *a, struct alert_engine *alerts, int64_t now_ms)
{
	const struct cfg_accounts *c = accounts_cfg(a);
	if (c->inactive_ms <= 0)
		return 0;
	struct store_row r = {0};
	store_row_int(&r, now_ms - c->inactive_ms);
	sqlite3_stmt *s = state_db_query(a->db, inactive_sql, &r);
	if (!s)
		return -EIO;
	int n = 0, rc;
	char detail[64];
	snprintf(detail, sizeof(detail), "unused for %lld days",
		 (long long)(c->inactive_ms / 86400000));
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		char target[AUTHZ_NAME_MAX + 8];
		snprintf(target, sizeof(target), "user:%s", name ? name : "");
		log_warnx("accounts", NULL, "account %s disabled: %s", name ? name : "?", detail);
		struct alert_actor by = {.who = "dcmond", .origin = "inactivity"};
		if (alerts)
			alert_engine_audit_add(alerts, &by, "user-disable", target, detail, now_ms);
		n++;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? n : -EIO;
}

void accounts_tick(struct accounts *a, struct alert_engine *alerts, struct metric_reg *reg,
		   int64_t now_ms)
{
	if (!a)
		return;
	login_watch_report(a, reg, now_ms);
	if (now_ms < a->next_sweep_ms)
		return;
	a->next_sweep_ms = now_ms + ACCOUNTS_SWEEP_MS;
	if (accounts_disable_inactive(a, alerts, now_ms) < 0)
		log_msg(LOG_LVL_ERROR, "accounts", NULL, "%s: cannot look for inactive accounts",
			a->path);
	if (alerts) /* a failed pass is logged by the store and tried again next time */
		alert_engine_audit_retain(alerts, accounts_cfg(a)->audit_retention_ms, now_ms);
}
