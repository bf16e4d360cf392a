/* The site's durable record of the last command applied per hub (mqtt_command.h). */
#include "mqtt_command.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcmon/log.h"
#include "dcmon/state_db.h"

struct mqtt_cmd_applied {
	sqlite3 *db;
	char *path, *hub;
	int64_t last_id; /* also kept when the file cannot take it (a full disk) */
};

static const char applied_schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS applied(hub TEXT PRIMARY KEY, last_id INTEGER NOT NULL);";

static int64_t applied_read(struct mqtt_cmd_applied *a)
{
	struct store_row r = {0};
	store_row_text(&r, a->hub);
	sqlite3_stmt *st = state_db_query(a->db, "SELECT last_id FROM applied WHERE hub = ?", &r);
	int64_t id = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return id;
}

struct mqtt_cmd_applied *mqtt_cmd_applied_open(const char *state_dir, const char *hub,
					       char *err, size_t errlen)
{
	char path[4096], why[256];
	if (state_dir && snprintf(path, sizeof(path), "%s/mqtt_commands.db", state_dir) >=
				 (int)sizeof(path)) {
		snprintf(err, errlen, "mqtt commands: state_dir too long");
		return NULL;
	}
	struct mqtt_cmd_applied *a = calloc(1, sizeof(*a));
	if (!a || !(a->path = strdup(state_dir ? path : ":memory:")) || !(a->hub = strdup(hub))) {
		snprintf(err, errlen, "mqtt commands: out of memory");
		mqtt_cmd_applied_close(a);
		return NULL;
	}
	if (state_db_open(&a->db, a->path, applied_schema, why, sizeof(why)) != SQLITE_OK) {
		snprintf(err, errlen, "mqtt commands %s", why);
		mqtt_cmd_applied_close(a);
		return NULL;
	}
	a->last_id = applied_read(a);
	return a;
}

void mqtt_cmd_applied_close(struct mqtt_cmd_applied *a)
{
	if (!a)
		return;
	sqlite3_close(a->db);
	free(a->path);
	free(a->hub);
	free(a);
}

int64_t mqtt_cmd_applied_last(const struct mqtt_cmd_applied *a)
{
	return a->last_id;
}

void mqtt_cmd_applied_set(struct mqtt_cmd_applied *a, int64_t id)
{
	char why[256];
	struct store_row r = {0};
	a->last_id = id;
	store_row_text(&r, a->hub);
	store_row_int(&r, id);
	sqlite3_stmt *st = state_db_query(a->db, "INSERT INTO applied(hub, last_id) VALUES(?, ?)"
						 " ON CONFLICT(hub) DO UPDATE SET last_id = excluded.last_id", &r);
	int rc = st ? sqlite3_step(st) : sqlite3_errcode(a->db);
	if (rc != SQLITE_DONE) {
		state_db_failure(a->db, rc, why, sizeof(why));
		log_warnx("mqtt", NULL, "commands: %s: command %lld applied but not recorded (%s):"
			  " after a restart a resent copy would apply again", a->path, (long long)id, why);
	}
	sqlite3_finalize(st);
}
